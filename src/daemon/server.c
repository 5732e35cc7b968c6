#include "server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "framing.h"
#include "log.h"
#include "metrics.h"

#define ALL_METHODS                                                                      \
    (EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |               \
     EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |    \
     EVHTTP_REQ_PATCH)
#define IDEMPOTENCY_KEY_MAX 255
#define DRAIN_TICK_US 100000

/* One client connection, known from its first byte to its close.  libevent 2.1 has
 * no connection limit and no accept hook, so we count connections ourselves: the
 * bufferevent callback sees every accept, and the connection's close callback
 * every close. */
struct conn {
    struct worker *w;
    struct evhttp_connection *evcon;
    struct conn *prev, *next; /* the worker's list */
    struct conn *hnext;       /* hash chain, evcon -> conn */
    bool busy;                /* a request is being received or answered */
    bool late;                /* its request began after shutdown started */
    bool dispatched;          /* its request is complete and with the dispatcher */
    uint64_t busy_since_us;   /* when the request now being received began */
    struct framing framing;   /* the requests' framing, checked ahead of evhttp */
    uint64_t in_total;        /* bytes read on the connection */
    uint64_t scanned;         /* of those, checked by framing_line */
    uint64_t completed;       /* requests answered */
    uint64_t raw_lines;       /* bit r % 64: request r's route takes a raw body */
    bool scan_off;            /* a line over max-header: evhttp refuses it itself */
    bool answering;           /* sending its refusal; evhttp no longer reads it */
    bool cutting;             /* input_cut is moving its input */
    bool close_after;         /* close once its answer is out (CONNECT) */
};

struct server;

struct worker {
    unsigned id;
    struct server *srv;
    struct api_ctx *ctx;
    pthread_t thread;
    bool started;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    int wake_fd;           /* eventfd: doorbell for stop_level */
    atomic_int stop_level; /* set by the main thread: 1 drain, 2 stop now */
    struct event *wake_ev, *reg_ev, *drain_ev;
    struct event *deadline_ev; /* once a second: requests received too slowly */
    struct event *reap_ev;     /* refusals to answer, connections to close */
    struct event *accept_ev;   /* accepting again after EMFILE */
    bool accept_backoff;       /* out of descriptors: not accepting for a moment */
    char *line;                /* one request line or header, for framing_line */
    size_t line_cap;
    struct bufferevent **pending; /* accepted, not yet registered */
    size_t n_pending, cap_pending;
    struct conn *conns;
    struct conn **buckets;
    size_t n_buckets;
    unsigned n_conns, max_conns;
    bool paused, draining;
    uint64_t drain_deadline_us;
    uint64_t drain_started_us;
    /* Deferred requests whose answer is ready, pushed by other threads. */
    pthread_mutex_t done_lock;
    bool done_lock_init;
    struct dispatch *done_head;
    int done_fd; /* eventfd: doorbell for done_head */
    struct event *done_ev;
    /* Finished dispatch records kept for the next requests: a record is over a
     * kilobyte, past malloc's per-thread cache, and every request needs one. */
    struct dispatch *spare;
    unsigned n_spare;
};

struct server {
    struct api_ctx *ctx;
    struct worker *workers;
    unsigned n_workers;
    struct event_base *base;
    int done_fd; /* eventfd: workers report that they have stopped */
    unsigned n_done;
    bool stopping;
};

/* --- connection bookkeeping --------------------------------------------------- */

static size_t conn_hash(const struct worker *w, const void *evcon)
{
    uintptr_t p = (uintptr_t)evcon;
    return (size_t)((p >> 4) ^ (p >> 12)) & (w->n_buckets - 1);
}

static struct conn *conn_find(struct worker *w, struct evhttp_connection *evcon)
{
    for (struct conn *c = w->buckets[conn_hash(w, evcon)]; c; c = c->hnext)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

static void listener_update(struct worker *w)
{
    if (!w->bound)
        return;
    struct evconnlistener *l = evhttp_bound_socket_get_listener(w->bound);
    if (w->accept_backoff)
        return; /* accept_resume_cb decides */
    if (!w->paused && w->n_conns >= w->max_conns) {
        evconnlistener_disable(l);
        w->paused = true;
        LOG_WARN("http", "worker %u: %u connections open, not accepting more", w->id,
                 w->n_conns);
    } else if (w->paused && w->n_conns < w->max_conns) {
        evconnlistener_enable(l);
        w->paused = false;
        LOG_INFO("http", "worker %u: accepting connections again", w->id);
    }
}

static void conn_count_drop(struct worker *w)
{
    w->n_conns--;
    metrics_connections_add(w->ctx->metrics, w->id, -1);
    listener_update(w);
}

static void conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct worker *w = c->w;
    (void)evcon;
    struct conn **pp = &w->buckets[conn_hash(w, c->evcon)];
    while (*pp && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = c->hnext;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    conn_count_drop(w);
}

/* --- the body limit of a request ------------------------------------------------ */

/* evhttp has one body limit per connection and reads a body before any callback of
 * ours, so the limit of each request is set from its line, which the framing scan
 * sees before evhttp reads the headers: a route with API_F_RAW_BODY takes
 * material-max, every other max-body; a larger Content-Length is then refused (413)
 * before the body is read.  evhttp reads one request at a time, so the limit is set
 * for the request it reads next: now if that is the line just seen, else when the
 * request before it is answered (pipelined lines are remembered in raw_lines). */
static void body_limit_set(struct conn *c)
{
    const struct stdtax_config *cfg = c->w->ctx->cfg;
    bool raw = c->raw_lines >> ((c->completed + 1) % 64) & 1;
    evhttp_connection_set_max_body_size(
        c->evcon, (ev_ssize_t)(raw ? cfg->material_max : cfg->max_body));
}

static void body_limit_note(struct conn *c, const char *line, size_t n)
{
    const struct api_ctx *ctx = c->w->ctx;
    unsigned method = n > 4 && memcmp(line, "PUT ", 4) == 0    ? API_PUT
                      : n > 5 && memcmp(line, "POST ", 5) == 0 ? API_POST
                                                               : 0;
    bool raw = false;
    if (method) {
        const char *target = memchr(line, ' ', n) + 1;
        const char *end = line + n;
        size_t len = 0;
        while (target + len < end && target[len] != ' ' && target[len] != '?')
            len++;
        struct api_match m;
        int r = api_route_match(ctx->routes, ctx->n_routes, method, target, len, &m);
        raw = r >= 0 && (ctx->routes[r].flags & API_F_RAW_BODY);
    }
    uint64_t bit = (uint64_t)1 << (c->framing.requests % 64);
    c->raw_lines = raw ? c->raw_lines | bit : c->raw_lines & ~bit;
    if (c->framing.requests == c->completed + 1)
        body_limit_set(c);
}

/* --- framing: requests refused before evhttp reads them ------------------------ */

#define LINGER_S 2

/* A refusal is answered once every request before the refused one is. */
static bool refusal_due(const struct conn *c)
{
    return c->framing.expect == FRAMING_REFUSED && !c->answering && !c->dispatched &&
           c->completed + 1 >= c->framing.requests;
}

/* Keeps the first keep bytes of the input: what follows a refused line never
 * reaches evhttp.  Moving the kept bytes out and back calls conn_input_cb, which
 * c->cutting tells to let it be. */
static void input_cut(struct conn *c, struct evbuffer *buf, size_t keep)
{
    size_t len = evbuffer_get_length(buf);
    if (keep >= len)
        return;
    c->cutting = true;
    struct evbuffer *head = keep ? evbuffer_new() : NULL;
    if (head && evbuffer_remove_buffer(buf, head, keep) != (int)keep) {
        evbuffer_free(head);
        head = NULL; /* out of memory: drop it all, the refusal still goes out */
    }
    evbuffer_drain(buf, evbuffer_get_length(buf));
    if (head) {
        evbuffer_add_buffer(buf, head);
        evbuffer_free(head);
    }
    c->cutting = false;
}

/* Puts line[0..n), checked and perhaps rewritten by framing_line, back at pos. */
static bool line_put_back(struct evbuffer *buf, struct evbuffer_ptr *pos,
                          const char *line, size_t n)
{
    struct evbuffer_iovec vec[16];
    int nv = evbuffer_peek(buf, (ev_ssize_t)n, pos, vec, 16);
    if (nv < 0 || nv > 16)
        return false;
    for (int i = 0; i < nv && n; i++) {
        size_t k = vec[i].iov_len < n ? vec[i].iov_len : n;
        if (memcmp(vec[i].iov_base, line, k) != 0)
            memcpy(vec[i].iov_base, line, k);
        line += k;
        n -= k;
    }
    return n == 0;
}

/* Checks the lines that arrived (framing.h), before evhttp reads them. */
static void conn_scan(struct conn *c, struct evbuffer *buf, size_t n_added)
{
    struct worker *w = c->w;
    size_t len = evbuffer_get_length(buf);
    if (c->framing.expect == FRAMING_REFUSED) {
        input_cut(c, buf, len - n_added);
        return;
    }
    uint64_t start = c->in_total - len; /* the stream offset of buf's first byte */
    if (c->scanned < start)
        c->scanned = start; /* evhttp reads complete lines only: cannot happen */
    for (;;) {
        uint64_t skip = framing_skip(&c->framing);
        if (skip) {
            uint64_t avail = c->in_total - c->scanned;
            uint64_t n = skip < avail ? skip : avail;
            if (n == 0)
                return;
            framing_skipped(&c->framing, n);
            c->scanned += n;
            continue;
        }
        size_t off = (size_t)(c->scanned - start);
        struct evbuffer_ptr pos, eol;
        if (off >= len || evbuffer_ptr_set(buf, &pos, off, EVBUFFER_PTR_SET) != 0)
            return;
        eol = evbuffer_search(buf, "\n", 1, &pos);
        size_t n = eol.pos < 0 ? len - off : (size_t)eol.pos + 1 - off;
        int rc = 0;
        if (n > w->line_cap) {
            c->framing.expect = FRAMING_REFUSED;
            c->framing.status = rc = 400;
            c->framing.reason = "a line longer than max-header";
        } else if (eol.pos < 0) {
            return;
        } else {
            evbuffer_copyout_from(buf, &pos, w->line, n);
            bool request_line = c->framing.expect == FRAMING_REQUEST_LINE;
            rc = framing_line(&c->framing, w->line, n);
            if (rc == 0 && request_line)
                body_limit_note(c, w->line, n);
            if (rc == 0 && !line_put_back(buf, &pos, w->line, n)) {
                c->framing.expect = FRAMING_REFUSED;
                c->framing.status = rc = 400;
                c->framing.reason = "a chunk line in too many pieces";
            }
        }
        if (rc != 0) {
            LOG_INFO("http", "worker %u: refusing request %llu on a connection: %s",
                     w->id, (unsigned long long)c->framing.requests, c->framing.reason);
            input_cut(c, buf, off);
            if (refusal_due(c))
                event_active(w->reap_ev, EV_TIMEOUT, 0);
            return;
        }
        c->scanned += n;
    }
}

static void linger_read_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

/* The refusal is out: no more from us; what the client still sends is read and
 * dropped until it closes, so that our close does not reset the connection before
 * the client has read the answer. */
static void linger_write_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    (void)what;
    evhttp_connection_free(c->evcon);
}

/* Answers a refused request (400, or 505 for another HTTP version) and closes.
 * evhttp, which has not seen the request, is taken off the connection. */
static void conn_refusal_send(struct conn *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
    int status = c->framing.status;
    c->answering = true;
    evbuffer_drain(in, evbuffer_get_length(in));
    struct api_response resp = {0};
    api_response_problem(&resp, status == 505 ? API_EHTTPVERSION : STDTAX_EPARSE, NULL,
                         "%s", c->framing.reason);
    size_t len = 0;
    char *text = api_json_text(resp.body, &len);
    api_response_clear(&resp);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json; "
                        "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n"
                        "X-Content-Type-Options: nosniff\r\n\r\n",
                        status,
                        status == 505 ? "HTTP Version Not Supported" : "Bad Request",
                        text ? len : 0);
    if (text)
        evbuffer_add(out, text, len);
    free(text);
    struct timeval linger = {LINGER_S, 0};
    bufferevent_setcb(bev, linger_read_cb, linger_write_cb, linger_event_cb, c);
    bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
    bufferevent_set_timeouts(bev, &linger, &linger);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Answers refusals that are due and closes connections whose answer said so. */
static void worker_reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    struct conn *next;
    for (struct conn *c = w->conns; c; c = next) {
        next = c->next;
        if (c->close_after && !c->dispatched)
            evhttp_connection_free(c->evcon);
        else if (refusal_due(c))
            conn_refusal_send(c);
    }
}

static void conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                          void *arg)
{
    struct conn *c = arg;
    if (c->answering || c->cutting || info->n_added == 0)
        return;
    c->in_total += info->n_added;
    conn_scan(c, buf, info->n_added);
    if (c->busy)
        return;
    c->busy = true;
    c->busy_since_us = api_now_us();
    /* Bytes read within the first drain tick were already on their way when the
     * signal came (a loaded worker may read them only now): finish those requests.
     * After the first sweep, idle connections are gone and anything new is late. */
    if (c->w->draining && api_now_us() > c->w->drain_started_us + DRAIN_TICK_US)
        c->late = true;
    LOG_DEBUG("http", "worker %u: connection %p busy%s", c->w->id, (void *)c,
              c->late ? " (after shutdown began)" : "");
    const struct stdtax_config *cfg = c->w->ctx->cfg;
    if (cfg->idle_timeout != cfg->read_timeout)
        evhttp_connection_set_timeout(c->evcon, (int)cfg->read_timeout);
}

/* evhttp calls this for every accepted socket before it builds the connection:
 * the one place where libevent 2.1 lets us count accepts. */
static struct bufferevent *worker_bev_cb(struct event_base *base, void *arg)
{
    struct worker *w = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    if (w->n_pending == w->cap_pending) {
        size_t cap = w->cap_pending ? w->cap_pending * 2 : 16;
        struct bufferevent **p = realloc(w->pending, cap * sizeof *p);
        if (!p)
            return bev; /* served but uncounted; only under memory exhaustion */
        w->pending = p;
        w->cap_pending = cap;
    }
    /* Our reference keeps bev valid until reg_cb, even if evhttp drops it. */
    bufferevent_incref(bev);
    w->pending[w->n_pending++] = bev;
    w->n_conns++;
    metrics_connections_add(w->ctx->metrics, w->id, 1);
    if (w->n_pending == 1)
        event_active(w->reg_ev, EV_TIMEOUT, 0);
    listener_update(w);
    return bev;
}

/* Runs in the same loop iteration as the accepts, before any read on them: by now
 * evhttp has made each bufferevent's callback argument its evhttp_connection, the
 * handle we need for the close callback. */
static void worker_reg_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    for (size_t i = 0; i < w->n_pending; i++) {
        struct bufferevent *bev = w->pending[i];
        void *cbarg = NULL;
        bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
        if (!cbarg) {
            conn_count_drop(w); /* evhttp already gave up on it */
        } else {
            struct evhttp_connection *evcon = cbarg;
            struct conn *c = calloc(1, sizeof *c);
            if (!c || !evbuffer_add_cb(bufferevent_get_input(bev), conn_input_cb, c)) {
                free(c);
                evhttp_connection_free(evcon);
                conn_count_drop(w);
            } else {
                c->w = w;
                c->evcon = evcon;
                c->next = w->conns;
                if (w->conns)
                    w->conns->prev = c;
                w->conns = c;
                size_t h = conn_hash(w, evcon);
                c->hnext = w->buckets[h];
                w->buckets[h] = c;
                evhttp_connection_set_closecb(evcon, conn_closed_cb, c);
            }
        }
        bufferevent_decref(bev);
    }
    w->n_pending = 0;
}

static void request_complete_cb(struct evhttp_request *ereq, void *arg)
{
    struct conn *c = arg;
    (void)ereq;
    c->dispatched = false;
    c->raw_lines &= ~((uint64_t)1 << (c->completed + 1) % 64);
    c->completed++;
    body_limit_set(c);
    if (c->close_after || refusal_due(c)) {
        /* Not here: evhttp goes on using the connection after this returns. */
        struct evbuffer *in =
            bufferevent_get_input(evhttp_connection_get_bufferevent(c->evcon));
        if (c->close_after)
            evbuffer_drain(in, evbuffer_get_length(in));
        event_active(c->w->reap_ev, EV_TIMEOUT, 0);
        return;
    }
    /* A pipelined request may already wait in the input buffer: its time starts now. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
        c->busy_since_us = api_now_us();
        return;
    }
    c->busy = false;
    const struct stdtax_config *cfg = c->w->ctx->cfg;
    if (cfg->idle_timeout != cfg->read_timeout)
        evhttp_connection_set_timeout(c->evcon, (int)cfg->idle_timeout);
}

/* --- the dispatcher ------------------------------------------------------------ */

/* The request headers that the dispatcher and the answer read, found in one pass over
 * the list (evhttp_find_header walks all of it, comparing without case, per name).
 * Pointers into the request's headers: valid until it is answered.  The first of
 * repeated headers counts, as with evhttp_find_header. */
struct req_headers {
    const char *authorization, *accept, *accept_language, *if_none_match,
        *idempotency_key, *origin, *content_type, *ac_request_method, *range;
    unsigned content_lengths, transfer_encodings;
};

static const struct {
    const char *name;
    size_t offset; /* of the member in struct req_headers */
} header_names[] = {
    {"Authorization", offsetof(struct req_headers, authorization)},
    {"Accept", offsetof(struct req_headers, accept)},
    {"Accept-Language", offsetof(struct req_headers, accept_language)},
    {"If-None-Match", offsetof(struct req_headers, if_none_match)},
    {"Idempotency-Key", offsetof(struct req_headers, idempotency_key)},
    {"Origin", offsetof(struct req_headers, origin)},
    {"Content-Type", offsetof(struct req_headers, content_type)},
    {"Access-Control-Request-Method", offsetof(struct req_headers, ac_request_method)},
    {"Range", offsetof(struct req_headers, range)},
};

static void headers_scan(const struct evkeyvalq *in, struct req_headers *rh)
{
    memset(rh, 0, sizeof *rh);
    for (const struct evkeyval *h = in->tqh_first; h; h = h->next.tqe_next) {
        if (evutil_ascii_strcasecmp(h->key, "Content-Length") == 0) {
            rh->content_lengths++;
            continue;
        }
        if (evutil_ascii_strcasecmp(h->key, "Transfer-Encoding") == 0) {
            rh->transfer_encodings++;
            continue;
        }
        for (size_t i = 0; i < sizeof header_names / sizeof header_names[0]; i++) {
            const char **slot = (const char **)((char *)rh + header_names[i].offset);
            if ((h->key[0] | 0x20) == (header_names[i].name[0] | 0x20) &&
                evutil_ascii_strcasecmp(h->key, header_names[i].name) == 0) {
                if (!*slot)
                    *slot = h->value;
                break;
            }
        }
    }
}

/* One request from its arrival to its answer; on the heap, since a deferred request
 * outlives the callback that received it. */
struct dispatch {
    struct req_headers hdr;
    struct worker *w;
    struct evhttp_request *ereq;
    struct conn *conn;
    struct api_request req;
    struct api_response resp;
    int route;
    const char *path;
    json_t *body;
    uint64_t t0;
    bool deferred;
    struct dispatch *next; /* the worker's done list */
};

static void unauthorized(struct api_response *resp, int rc, bool presented)
{
    if (rc == API_EUNAUTHORIZED) {
        api_response_problem(resp, rc, NULL,
                             presented ? "the bearer token is malformed or unknown"
                                       : "this route needs a bearer token "
                                         "(Authorization: Bearer TOKEN)");
        api_response_header(resp, "WWW-Authenticate",
                            presented
                                ? "Bearer realm=\"stdtaxd\", error=\"invalid_token\""
                                : "Bearer realm=\"stdtaxd\"");
    } else {
        api_response_problem(resp, rc, NULL, "the token's scope does not allow this");
    }
}

static void preflight(struct dispatch *d, unsigned allow)
{
    const char *origin = d->hdr.origin;
    char methods[128];
    api_allow_format(allow, methods, sizeof methods);
    api_response_raw(&d->resp, 204, NULL, NULL, 0);
    api_response_header(&d->resp, "Allow", "%s", methods);
    if (d->hdr.ac_request_method && api_cors_allowed(d->w->ctx->cfg, origin)) {
        api_response_header(&d->resp, "Access-Control-Allow-Methods", "%s", methods);
        api_response_header(&d->resp, "Access-Control-Allow-Headers",
                            "Authorization, Content-Type, Accept, Idempotency-Key");
        api_response_header(&d->resp, "Access-Control-Max-Age", "600");
    }
}

static int decode_params(struct dispatch *d, const struct api_match *m, char *buf)
{
    char *out = buf;
    for (size_t i = 0; i < m->n_params; i++) {
        char *name = out;
        memcpy(name, m->params[i].name, m->params[i].name_len);
        name[m->params[i].name_len] = '\0';
        out += m->params[i].name_len + 1;
        long n =
            api_percent_decode(m->params[i].value, m->params[i].value_len, out, false);
        if (n < 0 || !api_utf8_valid(out, (size_t)n))
            return api_response_problem(&d->resp, STDTAX_EPARSE, NULL,
                                        "path parameter {%s} is not %%-encoded UTF-8",
                                        name);
        d->req.params[i].key = name;
        d->req.params[i].value = out;
        out += n + 1;
    }
    d->req.n_params = m->n_params;
    return 0;
}

static int read_json_body(struct dispatch *d)
{
    struct evbuffer *buf = evhttp_request_get_input_buffer(d->ereq);
    size_t len = evbuffer_get_length(buf);
    const char *data = len ? (const char *)evbuffer_pullup(buf, -1) : "";
    const char *ctype = d->hdr.content_type;
    /* A merge patch is JSON to the parser; the handler reads it as such. */
    if ((d->req.route->flags & API_F_MERGE_PATCH) && api_content_type_merge_patch(ctype))
        ctype = "application/json";
    int rc = (d->req.route->flags & API_F_JSONL_BODY) && api_content_type_jsonl(ctype)
                 ? api_body_parse_jsonl(d->w->ctx->cfg, data, len, &d->body, &d->resp)
                 : api_body_parse(d->w->ctx->cfg, ctype, data, len, &d->body, &d->resp);
    d->req.body = d->body;
    return rc;
}

static void dispatch(struct dispatch *d)
{
    struct api_ctx *ctx = d->w->ctx;
    struct evhttp_request *ereq = d->ereq;
    struct evkeyvalq *in = evhttp_request_get_input_headers(ereq);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ereq);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path)
        path = "/";
    d->path = path;
    d->req.method = (unsigned)evhttp_request_get_command(ereq);
    d->req.path = path;

    headers_scan(in, &d->hdr);
    /* More than one Content-Length, or one with chunked. */
    if (d->hdr.content_lengths > 1 ||
        (d->hdr.content_lengths && d->hdr.transfer_encodings)) {
        /* Two lengths, or a length and chunked: a proxy in front may have framed the
         * body differently (request smuggling, RFC 9112 6.3).  Refuse and close. */
        api_response_problem(&d->resp, STDTAX_EPARSE, NULL,
                             "conflicting Content-Length / Transfer-Encoding headers");
        api_response_header(&d->resp, "Connection", "close");
        return;
    }
    if (d->conn && d->conn->late) {
        api_response_problem(&d->resp, API_EUNAVAILABLE, NULL,
                             "the server is shutting down; retry on another instance");
        api_response_header(&d->resp, "Retry-After", "1");
        return;
    }
    size_t plen = strlen(path);
    if (plen > API_PATH_MAX) {
        api_response_problem(&d->resp, API_EURITOOLONG, NULL, "path longer than %d bytes",
                             API_PATH_MAX);
        return;
    }
    struct api_match m;
    d->route = api_route_match(ctx->routes, ctx->n_routes, d->req.method, path, plen, &m);
    if (d->req.method == API_OPTIONS && m.allow) {
        preflight(d, m.allow);
        return;
    }
    if (d->route < 0) {
        if (!m.allow) {
            api_response_problem(&d->resp, STDTAX_ENOTFOUND, NULL,
                                 "no resource at %.200s", path);
        } else {
            char methods[128];
            api_allow_format(m.allow, methods, sizeof methods);
            api_response_problem(&d->resp, API_EMETHOD, NULL,
                                 "%s is not allowed here; use %s",
                                 api_method_name(d->req.method), methods);
            api_response_header(&d->resp, "Allow", "%s", methods);
        }
        return;
    }
    const struct api_route *route = &ctx->routes[d->route];
    d->req.route = route;

    const char *authz = d->hdr.authorization;
    int rc =
        api_auth_check(ctx->cfg, authz, route->scope, &d->req.scope, &d->req.token_name);
    if (rc != 0) {
        unauthorized(&d->resp, rc, authz != NULL);
        return;
    }

    const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
    struct stdtax_error qerr = {0};
    rc = api_query_parse(qs, qs ? strlen(qs) : 0, &d->req.query, &qerr);
    if (rc != 0) {
        /* Like every other bad request, name the parameter (/query/q) in errors. */
        json_t *errors = NULL;
        if (qerr.field[0] && (errors = json_array()) &&
            stdtax_problem_add(errors, qerr.field, "%s", qerr.text) != 0) {
            json_decref(errors);
            errors = NULL;
        }
        api_response_problem(&d->resp, rc == STDTAX_ETOOBIG ? API_EURITOOLONG : rc,
                             errors, "%s", qerr.text);
        return;
    }
    char pbuf[API_PATH_MAX + 2 * API_PARAMS_MAX + 64];
    if (decode_params(d, &m, pbuf) != 0)
        return;

    d->req.accept = d->hdr.accept;
    d->req.accept_language = d->hdr.accept_language;
    d->req.if_none_match = d->hdr.if_none_match;
    const char *ikey = d->hdr.idempotency_key;
    if (ikey) {
        size_t n = strlen(ikey);
        bool ok = n > 0 && n <= IDEMPOTENCY_KEY_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = ikey[i] > 0x20 && ikey[i] < 0x7f;
        if (!ok) {
            api_response_problem(
                &d->resp, STDTAX_EPARSE, NULL,
                "Idempotency-Key must be 1 to %d printable ASCII characters",
                IDEMPOTENCY_KEY_MAX);
            return;
        }
        d->req.idempotency_key = ikey;
    }

    if ((route->flags & API_F_JSON_BODY) && read_json_body(d) != 0)
        return;
    if (route->flags & API_F_RAW_BODY) {
        /* One contiguous block for the handler; evhttp kept it to material-max. */
        struct evbuffer *buf = evhttp_request_get_input_buffer(ereq);
        d->req.raw_len = evbuffer_get_length(buf);
        d->req.raw_body = d->req.raw_len ? (const char *)evbuffer_pullup(buf, -1) : "";
        d->req.content_type = d->hdr.content_type;
    }
    d->req.range = d->hdr.range;
    if (api_query_allowed(route, &d->req.query, &d->resp) != 0)
        return;

    d->req.server = d;
    rc = route->handler(ctx, &d->req, &d->resp);
    if (rc == API_DEFERRED && d->deferred)
        return;
    d->deferred = false;
    if (rc != 0 && !d->resp.body && !d->resp.raw)
        api_response_problem(&d->resp, rc, NULL, "%s", stdtax_strerror(rc));
}

static void free_raw(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

/* Sends d->resp; returns the number of body bytes queued. */
static size_t send_response(struct dispatch *d)
{
    struct api_ctx *ctx = d->w->ctx;
    struct api_response *resp = &d->resp;
    struct evkeyvalq *out = evhttp_request_get_output_headers(d->ereq);
    struct evbuffer *body = evhttp_request_get_output_buffer(d->ereq);
    if (!resp->status)
        resp->status = resp->body || resp->raw ? 200 : 204;

    evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    const char *origin = d->hdr.origin;
    if (ctx->cfg->n_cors_origins) {
        evhttp_add_header(out, "Vary", "Origin");
        if (api_cors_allowed(ctx->cfg, origin)) {
            evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
            evhttp_add_header(out, "Access-Control-Expose-Headers",
                              "Location, Retry-After, WWW-Authenticate");
        }
    }
    for (size_t i = 0; i < resp->n_headers; i++)
        evhttp_add_header(out, resp->headers[i].name, resp->headers[i].value);
    if (d->w->draining)
        evhttp_add_header(out, "Connection", "close");

    if (resp->body && resp->content_type &&
        strncmp(resp->content_type, "application/problem+json", 24) == 0) {
        /* Problems are for people: in the language they ask for. */
        enum msg_lang lang = msg_lang_from_accept_language(d->hdr.accept_language);
        api_problem_localise(resp->body, lang);
        evhttp_add_header(out, "Content-Language", msg_lang_tag(lang));
        evhttp_add_header(out, "Vary", "Accept-Language");
    }
    if (resp->body) {
        evhttp_add_header(out, "Content-Type",
                          resp->content_type ? resp->content_type
                                             : "application/json; charset=utf-8");
        /* One text handed to the evbuffer, not copied. */
        size_t tlen = 0;
        char *text = api_json_text(resp->body, &tlen);
        if (!text) {
            evhttp_remove_header(out, "Content-Type");
            evhttp_add_header(out, "Content-Type",
                              "application/problem+json; charset=utf-8");
            resp->status = 500;
            evbuffer_add_printf(body,
                                "{\"type\":\"urn:stdtaxd:problem:internal\",\"title\":"
                                "\"Internal error\",\"status\":500}\n");
        } else if (evbuffer_add_reference(body, text, tlen, free_raw, NULL) != 0) {
            free(text);
        }
    } else if (resp->has_file) {
        if (resp->content_type)
            evhttp_add_header(out, "Content-Type", resp->content_type);
        /* The file goes out from the page cache (sendfile), never read into memory. */
        if (evbuffer_add_file(body, resp->file_fd, resp->file_offset, resp->file_len) ==
            0)
            resp->has_file = false; /* the evbuffer closes it */
    } else if (resp->raw) {
        if (resp->content_type)
            evhttp_add_header(out, "Content-Type", resp->content_type);
        /* The evbuffer gives the body back once sent: frees it, or releases the
         * shared (cached) text it borrowed. */
        evbuffer_ref_cleanup_cb done = resp->raw_release ? resp->raw_release : free_raw;
        if (evbuffer_add_reference(body, resp->raw, resp->raw_len, done,
                                   resp->raw_release_arg) == 0) {
            resp->raw = NULL;
            resp->raw_release = NULL;
        }
    }
    size_t bytes = evbuffer_get_length(body);
    /* evhttp frames no body for HEAD and CONNECT, but sends the one it is given,
     * without a length: the next answer on the connection would start inside it. */
    if (d->req.method == API_HEAD || d->req.method == API_CONNECT) {
        char n[24];
        snprintf(n, sizeof n, "%zu", bytes);
        if (resp->status >= 200 && resp->status != 204 && resp->status != 304)
            evhttp_add_header(out, "Content-Length", n);
        if (d->req.method == API_HEAD) {
            evbuffer_drain(body, bytes);
            bytes = 0;
        } else if (d->conn) {
            /* evhttp keeps a CONNECT's connection whatever the answer says. */
            evhttp_add_header(out, "Connection", "close");
            d->conn->close_after = true;
        }
    }
    if (d->conn)
        evhttp_request_set_on_complete_cb(d->ereq, request_complete_cb, d->conn);
    evhttp_send_reply(d->ereq, resp->status, NULL, NULL);
    return bytes;
}

#define SPARE_MAX 64

/* A zeroed dispatch record; its worker's thread only. */
static struct dispatch *dispatch_get(struct worker *w)
{
    struct dispatch *d = w->spare;
    if (!d)
        return calloc(1, sizeof *d);
    w->spare = d->next;
    w->n_spare--;
    memset(d, 0, sizeof *d);
    return d;
}

static void dispatch_put(struct worker *w, struct dispatch *d)
{
    if (w->n_spare >= SPARE_MAX) {
        free(d);
        return;
    }
    d->next = w->spare;
    w->spare = d;
    w->n_spare++;
}

/* Answers d, counts and logs it, and gives it back. */
static void request_finish(struct dispatch *d)
{
    struct worker *w = d->w;
    /* Here, not in dispatch: a deferred write (the group commit) answers through
     * this too, and the cache must drop before any answer of a write leaves. */
    api_route_answered(w->ctx, d->req.route, &d->resp);
    int status = d->resp.status;
    size_t bytes = send_response(d);
    status = d->resp.status ? d->resp.status : status;
    uint64_t usec = api_now_us() - d->t0;

    metrics_inflight_add(w->ctx->metrics, w->id, -1);
    metrics_request_done(w->ctx->metrics, w->id, d->route, status, usec);
    if (w->ctx->cfg->access_log)
        LOG_INFO("access", "%s %.300s %d %lluus %zuB%s%s", api_method_name(d->req.method),
                 d->path ? d->path : "-", status, (unsigned long long)usec, bytes,
                 d->req.token_name ? " token=" : "",
                 d->req.token_name ? d->req.token_name : "");
    api_query_free(&d->req.query);
    json_decref(d->body);
    api_response_clear(&d->resp);
    dispatch_put(w, d);
}

static void worker_request_cb(struct evhttp_request *ereq, void *arg)
{
    struct worker *w = arg;
    struct dispatch *d = dispatch_get(w);
    if (!d) {
        evhttp_send_error(ereq, 503, "out of memory");
        return;
    }
    d->t0 = api_now_us();
    d->w = w;
    d->ereq = ereq;
    d->route = -1;
    d->conn = conn_find(w, evhttp_request_get_connection(ereq));
    if (d->conn)
        d->conn->dispatched = true;
    metrics_inflight_add(w->ctx->metrics, w->id, 1);

    dispatch(d);
    if (!d->deferred)
        request_finish(d);
}

struct api_deferred *api_request_defer(const struct api_request *req)
{
    struct dispatch *d = req->server;
    if (!d)
        return NULL;
    d->deferred = true;
    return (struct api_deferred *)d;
}

void api_deferred_finish(struct api_deferred *ad, struct api_response *resp)
{
    struct dispatch *d = (struct dispatch *)ad;
    struct worker *w = d->w;
    api_response_clear(&d->resp);
    d->resp = *resp;
    memset(resp, 0, sizeof *resp);
    pthread_mutex_lock(&w->done_lock);
    bool ring = w->done_head == NULL;
    d->next = w->done_head;
    w->done_head = d;
    pthread_mutex_unlock(&w->done_lock);
    uint64_t one = 1;
    if (ring && write(w->done_fd, &one, sizeof one) < 0)
        LOG_ERROR("http", "worker %u: cannot signal a finished request: %s", w->id,
                  strerror(errno));
}

/* Sends the answers of deferred requests, on the worker's own loop. */
static void worker_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    uint64_t v;
    (void)what;
    if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
        LOG_WARN("http", "worker %u: eventfd read: %s", w->id, strerror(errno));
    pthread_mutex_lock(&w->done_lock);
    struct dispatch *list = w->done_head;
    w->done_head = NULL;
    pthread_mutex_unlock(&w->done_lock);
    /* The list is newest first; answer in arrival order. */
    struct dispatch *rev = NULL;
    while (list) {
        struct dispatch *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev) {
        struct dispatch *d = rev;
        rev = d->next;
        /* The connection may have gone meanwhile (a timeout): look it up again. */
        struct evhttp_connection *evcon = evhttp_request_get_connection(d->ereq);
        d->conn = evcon ? conn_find(w, evcon) : NULL;
        request_finish(d);
    }
}

/* --- shutdown ------------------------------------------------------------------ */

/* libevent's read timeout restarts with every byte, so a client that sends one byte
 * every few seconds (slowloris) would hold its connection, and with enough of them
 * every connection slot, for ever.  read-timeout is the time to receive a whole
 * request: a request still incomplete after it loses its connection
 * (tests/reliability/abuse.py). */
static void worker_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    uint64_t now = api_now_us();
    uint64_t limit = (uint64_t)w->ctx->cfg->read_timeout * 1000000u;
    struct conn *next;
    for (struct conn *c = w->conns; c; c = next) {
        next = c->next;
        if (c->busy && !c->dispatched && now - c->busy_since_us > limit) {
            LOG_INFO("http", "worker %u: request not received within %u s, closing",
                     w->id, w->ctx->cfg->read_timeout);
            evhttp_connection_free(c->evcon);
        }
    }
}

static void drain_check(struct worker *w)
{
    if (w->n_conns == 0 && w->n_pending == 0) {
        event_base_loopexit(w->base, NULL);
    } else if (api_now_us() >= w->drain_deadline_us) {
        LOG_WARN("http", "worker %u: shutdown grace over, closing %u connections", w->id,
                 w->n_conns);
        event_base_loopexit(w->base, NULL);
    }
}

static void worker_drain_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    /* Idle keep-alive connections carry no request: close them.  Busy ones finish
     * their request and close (the response says Connection: close). */
    struct conn *next;
    for (struct conn *c = w->conns; c; c = next) {
        next = c->next;
        if (!c->busy)
            evhttp_connection_free(c->evcon);
    }
    drain_check(w);
}

static void worker_wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    uint64_t v;
    (void)what;
    if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
        LOG_WARN("http", "worker %u: eventfd read: %s", w->id, strerror(errno));
    int level = atomic_load(&w->stop_level);
    if (level >= 2) {
        event_base_loopexit(w->base, NULL); /* asked twice: stop now */
        return;
    }
    if (w->draining || level < 1)
        return;
    w->draining = true;
    if (w->bound) {
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
    w->drain_started_us = api_now_us();
    w->drain_deadline_us =
        w->drain_started_us + (uint64_t)w->ctx->cfg->shutdown_grace * 1000000u;
    /* The first sweep waits one tick, so requests already in the socket buffers
     * are read (and answered 503) rather than cut off. */
    struct timeval tick = {0, DRAIN_TICK_US};
    event_add(w->drain_ev, &tick);
    if (w->ctx->cfg->shutdown_grace == 0)
        event_base_loopexit(w->base, NULL);
}

/* The worker whose loop runs on this thread: libevent passes the listener's error
 * callback evhttp's argument, not ours. */
static _Thread_local struct worker *this_worker;

#define ACCEPT_BACKOFF_MS 200

/* accept() failed for want of descriptors (EMFILE, ENFILE) or memory: the socket
 * stays readable, and retrying at once would spin on both cores and log without
 * end.  Stop accepting for a moment; connections wait in the backlog meanwhile. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
    struct worker *w = this_worker;
    int e = EVUTIL_SOCKET_ERROR();
    (void)arg;
    evconnlistener_disable(l);
    if (!w)
        return;
    w->accept_backoff = true;
    LOG_WARN("http",
             "worker %u: accept: %s; not accepting for %d ms (%u connections open)",
             w->id, strerror(e), ACCEPT_BACKOFF_MS, w->n_conns);
    struct timeval tv = {0, ACCEPT_BACKOFF_MS * 1000};
    event_add(w->accept_ev, &tv);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    w->accept_backoff = false;
    if (!w->bound)
        return; /* shutting down */
    if (w->n_conns < w->max_conns) {
        evconnlistener_enable(evhttp_bound_socket_get_listener(w->bound));
        w->paused = false;
    } else {
        w->paused = true; /* listener_update enables it when connections close */
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    this_worker = w;
    event_base_dispatch(w->base);
    uint64_t one = 1;
    if (write(w->srv->done_fd, &one, sizeof one) < 0)
        LOG_ERROR("http", "worker %u: cannot report its end: %s", w->id, strerror(errno));
    return NULL;
}

/* --- setup ---------------------------------------------------------------------- */

/* With probe, binds without SO_REUSEPORT and closes again: fails when another
 * process listens on the port, which SO_REUSEPORT would otherwise let us share
 * silently (a second stdtaxd started by mistake would get half the requests). */
static int listen_socket(const char *host, unsigned port, bool probe,
                         unsigned *bound_port, struct stdtax_error *err)
{
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, portstr, &hints, &ai);
    if (rc != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "listen", "cannot resolve '%s': %s",
                                host, gai_strerror(rc));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    const char *step = "socket";
    if (fd >= 0) {
        step = "SO_REUSEPORT";
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            (probe || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0)) {
            step = "bind";
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                step = "listen";
                if (probe || listen(fd, 511) == 0)
                    step = NULL;
            }
        }
    }
    freeaddrinfo(ai);
    if (step) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return stdtax_error_set(err, STDTAX_EIO, "listen", "%s on %s port %u: %s%s", step,
                                host, port, strerror(e),
                                e == EADDRINUSE ? " (is another stdtaxd running?)" : "");
    }
    if (probe) {
        close(fd);
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *bound_port =
            ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* SO_REUSEPORT lets any later socket of the same user join the port's group and take
 * a share of its connections.  This program picks one of the group's first n
 * members, which are ours (a socket joins when it listens, and ours all listen before
 * a worker runs): a later member is never chosen. */
static void reuseport_steer(int fd, unsigned n)
{
    struct sock_filter code[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_RANDOM)},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, n},
        {BPF_RET | BPF_A, 0, 0, 0},
    };
    struct sock_fprog prog;
    memset(&prog, 0, sizeof prog); /* the padding after len goes to the kernel too */
    prog.len = sizeof code / sizeof code[0];
    prog.filter = code;
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0)
        LOG_WARN(
            "main",
            "cannot keep the port to our own sockets (SO_ATTACH_REUSEPORT_CBPF: %s): "
            "another process of this user could take a share of its connections",
            strerror(errno));
}

static int worker_init(struct worker *w, int fd, struct stdtax_error *err)
{
    const struct stdtax_config *cfg = w->ctx->cfg;
    w->wake_fd = -1;
    w->done_fd = -1;
    pthread_mutex_init(&w->done_lock, NULL);
    w->done_lock_init = true;
    /* Each base is used by its own thread only (the main thread talks through an
     * eventfd), so it needs no locks. */
    struct event_config *ec = event_config_new();
    if (ec) {
        event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
        w->base = event_base_new_with_config(ec);
        event_config_free(ec);
    }
    if (!w->base || !(w->http = evhttp_new(w->base))) {
        close(fd);
        return stdtax_error_set(err, STDTAX_ENOMEM, "worker", "cannot create event loop");
    }
    w->max_conns = (cfg->max_connections + w->srv->n_workers - 1) / w->srv->n_workers;
    w->n_buckets = 64;
    while (w->n_buckets < w->max_conns)
        w->n_buckets *= 2;
    w->buckets = calloc(w->n_buckets, sizeof *w->buckets);
    evhttp_set_gencb(w->http, worker_request_cb, w);
    evhttp_set_bevcb(w->http, worker_bev_cb, w);
    /* Every method reaches our dispatcher, which answers 405 with Allow as JSON
     * instead of libevent's HTML 501. */
    evhttp_set_allowed_methods(w->http, ALL_METHODS);
    /* The largest a route takes; each request gets its own (body_limit_set). */
    evhttp_set_max_body_size(w->http, (ev_ssize_t)(cfg->max_body > cfg->material_max
                                                       ? cfg->max_body
                                                       : cfg->material_max));
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)cfg->max_header);
    evhttp_set_timeout(w->http, (int)cfg->read_timeout);
    evhttp_set_default_content_type(w->http, NULL);
    w->bound = evhttp_accept_socket_with_handle(w->http, fd);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd >= 0)
        w->wake_ev =
            event_new(w->base, w->wake_fd, EV_READ | EV_PERSIST, worker_wake_cb, w);
    w->reg_ev = event_new(w->base, -1, 0, worker_reg_cb, w);
    w->reap_ev = event_new(w->base, -1, 0, worker_reap_cb, w);
    w->accept_ev = event_new(w->base, -1, 0, accept_resume_cb, w);
    w->line_cap = cfg->max_header + 2;
    w->line = malloc(w->line_cap);
    if (w->bound)
        evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(w->bound),
                                    accept_error_cb);
    w->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->done_fd >= 0)
        w->done_ev =
            event_new(w->base, w->done_fd, EV_READ | EV_PERSIST, worker_done_cb, w);
    w->drain_ev = event_new(w->base, -1, EV_PERSIST, worker_drain_cb, w);
    w->deadline_ev = event_new(w->base, -1, EV_PERSIST, worker_deadline_cb, w);
    struct timeval second = {1, 0};
    if (!w->bound)
        close(fd);
    if (!w->buckets || !w->bound || !w->wake_ev || !w->reg_ev || !w->drain_ev ||
        !w->reap_ev || !w->accept_ev || !w->line || !w->deadline_ev ||
        event_add(w->deadline_ev, &second) != 0 || !w->done_ev ||
        event_add(w->wake_ev, NULL) != 0 || event_add(w->done_ev, NULL) != 0)
        return stdtax_error_set(err, STDTAX_ENOMEM, "worker", "cannot set up worker %u",
                                w->id);
    return 0;
}

static void worker_free(struct worker *w)
{
    /* Answers that came after the loop stopped (shutdown grace over) go nowhere;
     * evhttp_free below drops their requests with the connections. */
    while (w->done_head) {
        struct dispatch *d = w->done_head;
        w->done_head = d->next;
        metrics_inflight_add(w->ctx->metrics, w->id, -1);
        api_query_free(&d->req.query);
        json_decref(d->body);
        api_response_clear(&d->resp);
        free(d);
    }
    while (w->spare) {
        struct dispatch *d = w->spare;
        w->spare = d->next;
        free(d);
    }
    if (w->done_ev)
        event_free(w->done_ev);
    if (w->done_fd >= 0)
        close(w->done_fd);
    if (w->done_lock_init)
        pthread_mutex_destroy(&w->done_lock);
    /* evhttp_free frees the listening socket before it closes the connections, whose
     * close callback must then not look at it. */
    w->bound = NULL;
    if (w->http)
        evhttp_free(w->http); /* closes connections: conn_closed_cb frees ours */
    for (size_t i = 0; i < w->n_pending; i++)
        bufferevent_decref(w->pending[i]);
    free(w->pending);
    if (w->wake_ev)
        event_free(w->wake_ev);
    if (w->reg_ev)
        event_free(w->reg_ev);
    if (w->reap_ev)
        event_free(w->reap_ev);
    if (w->accept_ev)
        event_free(w->accept_ev);
    free(w->line);
    if (w->drain_ev)
        event_free(w->drain_ev);
    if (w->deadline_ev)
        event_free(w->deadline_ev);
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    if (w->base)
        event_base_free(w->base);
    free(w->buckets);
}

/* --- main thread: signals ----------------------------------------------------------- */

static void wake_workers(struct server *srv, int level)
{
    uint64_t one = 1;
    for (unsigned i = 0; i < srv->n_workers; i++)
        atomic_store(&srv->workers[i].stop_level, level);
    for (unsigned i = 0; i < srv->n_workers; i++)
        if (write(srv->workers[i].wake_fd, &one, sizeof one) < 0)
            LOG_ERROR("main", "cannot wake worker %u: %s", i, strerror(errno));
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    (void)what;
    if (srv->stopping) {
        LOG_WARN("main", "%s again: stopping without waiting", strsignal((int)sig));
        wake_workers(srv, 2);
        return;
    } else {
        srv->stopping = true;
        atomic_store(&srv->ctx->draining, 1);
        LOG_INFO("main",
                 "%s: no longer accepting; finishing requests in flight (at most %u s)",
                 strsignal((int)sig), srv->ctx->cfg->shutdown_grace);
    }
    wake_workers(srv, 1);
}

static void on_hup_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    (void)sig;
    (void)what;
    if (!srv->ctx->hooks->reload) {
        LOG_INFO("main", "SIGHUP: nothing to reload");
        return;
    }
    struct stdtax_error err = {0};
    uint64_t t0 = api_now_us();
    int rc = srv->ctx->hooks->reload(srv->ctx->app, &err);
    if (rc == 0)
        LOG_INFO("main", "SIGHUP: reloaded in %llu ms",
                 (unsigned long long)(api_now_us() - t0) / 1000);
    else
        LOG_ERROR("main",
                  "SIGHUP: reload failed, still serving the previous data: %s%s%s",
                  err.field, err.field[0] ? ": " : "",
                  err.text[0] ? err.text : stdtax_strerror(rc));
}

static void on_worker_done(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    uint64_t n = 0;
    (void)what;
    if (read(fd, &n, sizeof n) == sizeof n)
        srv->n_done += (unsigned)n;
    if (srv->n_done >= srv->n_workers)
        event_base_loopexit(srv->base, NULL);
}

static int write_port_file(const char *path, unsigned port, struct stdtax_error *err)
{
    char tmp[CFG_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        return stdtax_error_set(err, STDTAX_EIO, "port-file", "cannot write %s: %s", path,
                                strerror(errno));
    return 0;
}

/* Descriptors besides the connections: per worker its listening socket, epoll and
 * eventfds; for the process the store's files, the log, stdio, and files opened on
 * demand (the dashboard's, a reload's). */
#define NOFILE_PER_WORKER 8
#define NOFILE_RESERVE 64

/* Every connection is a descriptor: without enough of them, accept fails (EMFILE)
 * long before max-connections.  Raises the soft limit when the hard one allows. */
static int nofile_ensure(const struct stdtax_config *cfg, unsigned workers,
                         struct stdtax_error *err)
{
    unsigned long long need = (unsigned long long)cfg->max_connections + NOFILE_RESERVE +
                              (unsigned long long)workers * NOFILE_PER_WORKER;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return stdtax_error_set(err, STDTAX_EIO, "max-connections",
                                "cannot read RLIMIT_NOFILE: %s", strerror(errno));
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        return stdtax_error_set(
            err, STDTAX_EINVAL, "max-connections",
            "max-connections %u needs %llu open files, but RLIMIT_NOFILE allows %llu "
            "(hard limit): lower max-connections or raise the limit (LimitNOFILE= in the "
            "systemd unit, ulimit -n)",
            cfg->max_connections, need, (unsigned long long)rl.rlim_max);
    unsigned long long old = (unsigned long long)rl.rlim_cur;
    rl.rlim_cur = (rlim_t)need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return stdtax_error_set(err, STDTAX_EIO, "max-connections",
                                "cannot raise RLIMIT_NOFILE from %llu to %llu: %s", old,
                                need, strerror(errno));
    LOG_INFO("main", "open files limit raised from %llu to %llu for max-connections %u",
             old, need, cfg->max_connections);
    return 0;
}

int server_run(struct api_ctx *ctx, struct stdtax_error *err)
{
    const struct stdtax_config *cfg = ctx->cfg;
    struct server srv = {.ctx = ctx, .n_workers = ctx->workers, .done_fd = -1};
    struct event *sig_ev[3] = {NULL, NULL, NULL}, *done_ev = NULL;
    int rc = 0;
    unsigned port = cfg->port;

    if ((rc = nofile_ensure(cfg, srv.n_workers, err)) != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    srv.workers = calloc(srv.n_workers, sizeof *srv.workers);
    srv.base = event_base_new();
    srv.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!srv.workers || !srv.base || srv.done_fd < 0) {
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "server", "cannot allocate the server");
        goto out;
    }
    for (unsigned i = 0; i < srv.n_workers; i++)
        srv.workers[i].wake_fd = srv.workers[i].done_fd = -1;
    /* All sockets are bound here, before any thread runs: with port 0 the first
     * bind picks the port and the others join it. */
    for (unsigned i = 0; i < srv.n_workers; i++) {
        struct worker *w = &srv.workers[i];
        w->id = i;
        w->srv = &srv;
        w->ctx = ctx;
        w->wake_fd = -1;
        if (i == 0 && port != 0 &&
            (rc = listen_socket(cfg->listen, port, true, &port, err)))
            goto out;
        int fd = listen_socket(cfg->listen, port, false, &port, err);
        if (fd < 0) {
            rc = fd;
            goto out;
        }
        if (i == 0)
            reuseport_steer(fd, srv.n_workers);
        if ((rc = worker_init(w, fd, err)) != 0)
            goto out;
    }
    if (cfg->port_file && (rc = write_port_file(cfg->port_file, port, err)) != 0)
        goto out;

    const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        sig_ev[i] = evsignal_new(
            srv.base, sigs[i], sigs[i] == SIGHUP ? on_hup_signal : on_stop_signal, &srv);
        if (!sig_ev[i] || event_add(sig_ev[i], NULL) != 0) {
            rc = stdtax_error_set(err, STDTAX_EIO, "server", "cannot catch signals");
            goto out;
        }
    }
    done_ev =
        event_new(srv.base, srv.done_fd, EV_READ | EV_PERSIST, on_worker_done, &srv);
    if (!done_ev || event_add(done_ev, NULL) != 0) {
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "server", "cannot watch the workers");
        goto out;
    }

    /* Workers inherit a mask without our signals, so only this thread takes them. */
    sigset_t block, old;
    sigemptyset(&block);
    for (int i = 0; i < 3; i++)
        sigaddset(&block, sigs[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (unsigned i = 0; i < srv.n_workers; i++) {
        if (pthread_create(&srv.workers[i].thread, NULL, worker_main, &srv.workers[i]) !=
            0) {
            rc = stdtax_error_set(err, STDTAX_EIO, "server", "cannot start worker %u", i);
            break;
        }
        srv.workers[i].started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) {
        LOG_INFO("main", "stdtaxd listening on %s port %u with %u workers", cfg->listen,
                 port, srv.n_workers);
        event_base_dispatch(srv.base);
    } else {
        srv.stopping = true;
        atomic_store(&ctx->draining, 1);
        wake_workers(&srv, 2);
    }
    for (unsigned i = 0; i < srv.n_workers; i++)
        if (srv.workers[i].started)
            pthread_join(srv.workers[i].thread, NULL);
    if (ctx->hooks->stop)
        ctx->hooks->stop(ctx->app);
    if (rc == 0)
        LOG_INFO("main", "stopped");
    if (cfg->port_file)
        unlink(cfg->port_file);

out:
    for (unsigned i = 0; srv.workers && i < srv.n_workers; i++)
        worker_free(&srv.workers[i]);
    free(srv.workers);
    for (int i = 0; i < 3; i++)
        if (sig_ev[i])
            event_free(sig_ev[i]);
    if (done_ev)
        event_free(done_ev);
    if (srv.done_fd >= 0)
        close(srv.done_fd);
    if (srv.base)
        event_base_free(srv.base);
    return rc;
}
