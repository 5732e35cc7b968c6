/* The REST layer between evhttp and the handlers.
 *
 * A handler sees a parsed request and fills a response; it never touches evhttp,
 * so unit tests call handlers directly.  The dispatcher (server.c) does once what
 * every route needs: 404, 405 + Allow, auth scope, 415, 413, JSON parsing with
 * JSON_REJECT_DUPLICATES, the query parameters a route takes, dropping the answer
 * cache after a write (the columns of the route table, routes.c), CORS, metrics and
 * the access log.  Every error goes out as application/problem+json through
 * api_response_problem() and one table that maps error codes to HTTP statuses
 * (webdis worker.c). */
#ifndef STDTAXD_API_H
#define STDTAXD_API_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "stdtax/error.h"
#include "stdtax/message.h"

/* Methods: the same bits as libevent's enum evhttp_cmd_type, so a route's method
 * mask converts without a table. */
enum api_method {
    API_GET = 1 << 0,
    API_POST = 1 << 1,
    API_HEAD = 1 << 2,
    API_PUT = 1 << 3,
    API_DELETE = 1 << 4,
    API_OPTIONS = 1 << 5,
    API_TRACE = 1 << 6,
    API_CONNECT = 1 << 7,
    API_PATCH = 1 << 8,
};

/* Static name ("GET"), or "?" for an unknown bit. */
const char *api_method_name(unsigned method);

/* HTTP-only conditions that enum stdtax_err has no code for; they live in the same
 * status table.  Kept far from the library's codes. */
enum api_err {
    API_EUNAUTHORIZED = -100,  /* no or unknown bearer token: 401 */
    API_EMETHOD = -101,        /* path exists, method does not: 405 */
    API_EMEDIATYPE = -102,     /* body is not application/json: 415 */
    API_EUNAVAILABLE = -103,   /* shutting down or not ready: 503 */
    API_ENOTACCEPTABLE = -104, /* no representation for Accept: 406 */
    API_ETOOMANY = -105,       /* rate or batch limit: 429 */
    API_EURITOOLONG = -106,    /* request target over the bound: 414 */
    API_EINTERNAL = -107,      /* a bug or an unexpected library failure: 500 */
    API_EHTTPVERSION = -108,   /* an HTTP version other than 1.0 and 1.1: 505 */
};

/* --- requests --------------------------------------------------------------- */

#define API_PARAMS_MAX 4
#define API_QUERY_MAX 32
#define API_QUERY_KEY_MAX 64
#define API_QUERY_VALUE_MAX 2048
#define API_PATH_MAX 2048

struct api_kv {
    const char *key;   /* decoded, NUL-terminated, valid UTF-8 */
    const char *value; /* decoded, NUL-terminated, valid UTF-8 */
};

/* Parsed query string: keys in their order of appearance, repeated keys kept. */
struct api_query {
    struct api_kv items[API_QUERY_MAX];
    size_t n;
    char *storage; /* owned: all decoded strings */
};

struct api_route;

struct api_request {
    unsigned method;                      /* one enum api_method bit (HEAD stays HEAD) */
    const char *path;                     /* the raw path, no query string */
    const struct api_route *route;        /* borrowed, static */
    struct api_kv params[API_PARAMS_MAX]; /* {id}, {code}, ...: decoded */
    size_t n_params;
    struct api_query query;
    json_t *body;         /* borrowed: parsed JSON body, or NULL */
    const char *raw_body; /* API_F_RAW_BODY: the body's bytes (borrowed) */
    size_t raw_len;
    const char *content_type;    /* API_F_RAW_BODY: Content-Type header, or NULL */
    const char *range;           /* Range header, or NULL */
    const char *accept;          /* Accept header, or NULL */
    const char *accept_language; /* Accept-Language header, or NULL */
    const char *idempotency_key; /* Idempotency-Key header, or NULL */
    const char *if_none_match;   /* If-None-Match header, or NULL */
    enum cfg_scope scope;        /* what the caller's token grants */
    const char *token_name;      /* borrowed from the config; NULL if anonymous */
    void *server; /* the dispatcher's, for api_request_defer; NULL in tests */
};

/* A handler's return value when its answer comes later (api_request_defer). */
#define API_DEFERRED 1

struct api_deferred;
struct api_response;

/* Takes the request over, for work that finishes on another thread (group commit):
 * the handler then returns API_DEFERRED without touching resp, and later calls
 * api_deferred_finish exactly once, from any thread.  req stays valid until then
 * except path parameters and the body, which the handler must copy what it needs of.
 * NULL when the caller cannot defer (unit tests): answer at once instead. */
struct api_deferred *api_request_defer(const struct api_request *req);

/* Sends resp as the answer of a deferred request; moves resp's content (resp is left
 * empty).  Thread-safe; the answer goes out on the request's own event loop. */
void api_deferred_finish(struct api_deferred *d, struct api_response *resp);

/* Borrowed, valid as long as req: the decoded path parameter, or NULL. */
const char *api_param(const struct api_request *req, const char *name);

/* Borrowed: the first value of a query key, or NULL. */
const char *api_query_get(const struct api_query *q, const char *key);

/* How many times key occurs in the query. */
size_t api_query_count(const struct api_query *q, const char *key);

/* Parses a raw query string (without '?'): '&'-separated key=value pairs,
 * '+' is a space, %XX escapes; at most API_QUERY_MAX pairs, keys up to
 * API_QUERY_KEY_MAX and values up to API_QUERY_VALUE_MAX bytes after decoding;
 * decoded text must be UTF-8 without NUL.  Returns 0, or STDTAX_EPARSE /
 * STDTAX_EUTF8 / STDTAX_ETOOBIG with err filled (field "/query/KEY" when known).
 * q must be freed with api_query_free() whatever the result. */
int api_query_parse(const char *qs, size_t len, struct api_query *q,
                    struct stdtax_error *err);
void api_query_free(struct api_query *q);

/* Decodes %XX escapes of in[0..len) into out (at least len+1 bytes; NUL-terminated),
 * and '+' into ' ' when plus_is_space.  Returns the decoded length, or -1 for a
 * malformed escape. */
long api_percent_decode(const char *in, size_t len, char *out, bool plus_is_space);

/* True when s[0..len) is valid UTF-8 (RFC 3629) without NUL. */
bool api_utf8_valid(const char *s, size_t len);

/* --- responses -------------------------------------------------------------- */

#define API_HEADERS_MAX 8

struct api_header {
    const char *name; /* static */
    char *value;      /* owned */
};

/* Gives back a raw body that the response only borrowed (api_response_raw_shared);
 * the signature of libevent's evbuffer_ref_cleanup_cb, so the server hands it to
 * evbuffer_add_reference as it is. */
typedef void (*api_release_fn)(const void *data, size_t len, void *arg);

struct api_response {
    int status;   /* HTTP status; 200 when left 0 */
    json_t *body; /* owned: sent as JSON */
    char *raw;    /* owned (or shared, see raw_release): sent as-is when body is NULL */
    size_t raw_len;
    api_release_fn raw_release; /* NULL: raw is owned (free); else called instead */
    void *raw_release_arg;
    const char *content_type; /* static: type of raw ("text/csv; charset=utf-8") */
    /* A file instead of raw (api_response_file): bytes [file_offset, +file_len) of
     * file_fd, which the response owns (closed when sent or cleared). */
    bool has_file;
    int file_fd;
    long long file_offset, file_len;
    struct api_header headers[API_HEADERS_MAX];
    size_t n_headers;
};

/* Sets status and a JSON body (steals body, even on failure).  Returns 0. */
int api_response_json(struct api_response *resp, int status, json_t *body);

/* The text an answer sends for body (borrowed): compact JSON, reals at 15 digits,
 * and a newline.  New (free()), *len bytes and a NUL; NULL when out of memory or body
 * cannot be written (nested deeper than JSONW_DEPTH_MAX). */
char *api_json_text(const json_t *body, size_t *len);

/* Sets status and a raw body (steals data, which must come from malloc). */
int api_response_raw(struct api_response *resp, int status, const char *content_type,
                     char *data, size_t len);

/* Sets status and a raw body that the response borrows: release(data, len, arg) is
 * called exactly once, when the body has been sent or the response is cleared, instead
 * of free(data).  For an answer shared by many responses (a cached one). */
int api_response_raw_shared(struct api_response *resp, int status,
                            const char *content_type, const char *data, size_t len,
                            api_release_fn release, void *arg);

/* Sets status and a body of file bytes [offset, offset + len) of fd (steals fd: the
 * server sends it with evbuffer_add_file, without reading it into memory).  Returns 0. */
int api_response_file(struct api_response *resp, int status, const char *content_type,
                      int fd, long long offset, long long len);

/* Adds a header (name must be static).  Returns 0 or STDTAX_ENOMEM / STDTAX_ETOOBIG. */
int api_response_header(struct api_response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Borrowed: the value of a header set on resp, or NULL. */
const char *api_response_header_get(const struct api_response *resp, const char *name);

/* Puts a problem (a body of api_response_problem) into lang: title and detail
 * translated through the message table when they come from it, every error of
 * "errors" rendered from its rule, the rules' arguments dropped.  The dispatcher calls
 * it on every problem it sends, with the language of the request's Accept-Language
 * (doc/http-errors.md, "Languages"). */
void api_problem_localise(json_t *problem, enum msg_lang lang);

/* THE error function: replaces resp with an RFC 9457 problem for err (an enum
 * stdtax_err or enum api_err): type, title and status from the table, detail
 * from fmt, and `errors` (steals; may be NULL) for validation problems.
 * Returns err, so handlers can `return api_response_problem(...)`. */
int api_response_problem(struct api_response *resp, int err, json_t *errors,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The HTTP status for an error code (500 for unknown codes). */
int api_err_status(int err);

/* Frees what resp owns and zeroes it. */
void api_response_clear(struct api_response *resp);

/* --- routes ----------------------------------------------------------------- */

struct api_ctx;

typedef int (*api_handler_fn)(struct api_ctx *app, const struct api_request *req,
                              struct api_response *resp);

/* Route flags. */
#define API_F_JSON_BODY 0x1u   /* body required: application/json, into req->body */
#define API_F_MERGE_PATCH 0x2u /* also application/merge-patch+json (RFC 7396) */
#define API_F_JSONL_BODY 0x4u  /* also JSON Lines: the lines become an array in body */
/* The route changes stored data: once it has answered with anything but a refusal
 * (4xx), the dispatcher calls hooks->written, before the answer leaves, so that what
 * the application caches from the store (the GET answer cache) is never older than a
 * write whose answer a client has seen. */
#define API_F_WRITE 0x8u
/* The query string is not read: a page a browser opens, or a probe, may carry any
 * query (?utm_source=...) without being refused.  Without it, every parameter not in
 * the route's query column is a 400. */
#define API_F_QUERY_IGNORED 0x10u
/* The body is a file as it came (req->raw_body, raw_len, content_type): not parsed,
 * up to material-max instead of max-body (the limit is chosen from the request line
 * before the body is read, so a larger Content-Length is 413 at once). */
#define API_F_RAW_BODY 0x20u

/* One row of the route table (redis command table).  pattern segments are
 * literals or {name} parameters, each matching one non-empty path segment. */
struct api_route {
    unsigned method;     /* one enum api_method bit */
    const char *pattern; /* "/v1/proposals/{id}" */
    api_handler_fn handler;
    unsigned flags;       /* API_F_* */
    enum cfg_scope scope; /* NONE: always open; READ: open unless
                             require-read-token; SUBMIT, ADMIN: token scope */
    /* The query parameters the handler reads, NULL-terminated (NULL: none).  The
     * dispatcher refuses any other, and any given twice, before the handler runs
     * (api_query_allowed); api/openapi.json names the same ones (a test checks). */
    const char *const *query;
    const char *operation; /* operationId in api/openapi.json */
};

struct api_match {
    int route;      /* index of the matching route, or -1 */
    unsigned allow; /* methods of every route whose pattern matches the path */
    size_t n_params;
    struct {
        const char *name; /* into the pattern, name_len bytes, not terminated */
        size_t name_len;
        const char *value; /* into the path, raw (percent-encoded) */
        size_t value_len;
    } params[API_PARAMS_MAX];
};

/* The dispatcher's query step: 400 (STDTAX_EPARSE, the problem in resp, `errors`
 * pointing at /query/NAME) for the first parameter of q that route does not take or
 * that is given more than once.  Returns 0 when every parameter is known and single,
 * or when the route has API_F_QUERY_IGNORED. */
int api_query_allowed(const struct api_route *route, const struct api_query *q,
                      struct api_response *resp);

/* The dispatcher's last step before an answer leaves, deferred or not: after a
 * route with API_F_WRITE answered anything but a refusal (4xx), calls
 * ctx->hooks->written.  route may be NULL (no route matched). */
void api_route_answered(struct api_ctx *ctx, const struct api_route *route,
                        const struct api_response *resp);

/* Matches path[0..len) against the table.  HEAD matches GET routes.  Fills m and
 * returns m->route. */
int api_route_match(const struct api_route *routes, size_t n_routes, unsigned method,
                    const char *path, size_t len, struct api_match *m);

/* Writes "GET, HEAD, OPTIONS" style text for an Allow header. */
void api_allow_format(unsigned methods, char *out, size_t size);

/* The daemon's route table: borrowed, static. */
const struct api_route *api_routes(size_t *n);

/* --- auth -------------------------------------------------------------------- */

/* Decides whether an Authorization header value (or NULL) may use a route needing
 * `need`.  Token comparison is constant-time and checks every token.  Returns 0
 * and sets *granted / *token_name (borrowed from cfg; NULL when anonymous), or
 * API_EUNAUTHORIZED (no token where one is needed, malformed header, unknown
 * token) or STDTAX_EFORBIDDEN (a valid token without the scope). */
int api_auth_check(const struct stdtax_config *cfg, const char *authorization,
                   enum cfg_scope need, enum cfg_scope *granted, const char **token_name);

/* Constant-time for a given secret length: true when a[0..alen) equals b[0..blen). */
bool api_secret_equal(const char *a, size_t alen, const char *b, size_t blen);

/* True when a Content-Type value is application/json with no charset or UTF-8. */
bool api_content_type_json(const char *value);

/* True when a Content-Type value is application/merge-patch+json (RFC 7396), with no
 * charset or UTF-8. */
bool api_content_type_merge_patch(const char *value);

/* True for JSON Lines: application/x-ndjson, application/jsonl or application/x-jsonl. */
bool api_content_type_jsonl(const char *value);

/* Parses a JSON Lines body (one JSON value per line, blank lines allowed) into a new
 * array in *out; the same limits and answers as api_body_parse, and a bad line is 400
 * with its line number. */
int api_body_parse_jsonl(const struct stdtax_config *cfg, const char *data, size_t len,
                         json_t **out, struct api_response *resp);

/* The dispatcher's body step for API_F_JSON_BODY routes: 415 unless the media type
 * is JSON, 413 over max-body, 400 (with "line", "column" and "position" members)
 * for empty, unparsable, non-UTF-8 or duplicate-key JSON.  Returns 0 with *out
 * set (new), or an error with the problem in resp. */
int api_body_parse(const struct stdtax_config *cfg, const char *content_type,
                   const char *data, size_t len, json_t **out, struct api_response *resp);

/* True when origin may call us cross-site under cfg's cors-origin list. */
bool api_cors_allowed(const struct stdtax_config *cfg, const char *origin);

/* --- application context ------------------------------------------------------ */

/* A growable text buffer for Prometheus text and the like. */
struct api_buf {
    char *data; /* owned */
    size_t len, cap;
    bool failed; /* an allocation failed; the content is incomplete */
};
void api_buf_printf(struct api_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void api_buf_free(struct api_buf *b);

/* What the application (taxonomy, classifier, store) plugs into the server.  Every
 * hook may be NULL.  Hooks run on worker threads (metrics, ready) or the main
 * thread (reload) and must be thread-safe. */
struct api_hooks {
    /* SIGHUP: reload taxonomy and model; on failure keep the old ones. */
    int (*reload)(void *app, struct stdtax_error *err);
    /* GET /metrics: append Prometheus text (gauges: proposals by category, ...). */
    int (*metrics)(void *app, struct api_buf *out);
    /* GET /healthz readiness: 0 when ready, else an error saying why not. */
    int (*ready)(void *app, struct stdtax_error *err);
    /* A write route answered (API_F_WRITE): what the application keeps from the
     * store is stale.  Worker threads, before the answer is sent. */
    void (*written)(void *app);
    /* Every worker has stopped and nothing new arrives: finish asynchronous work
     * (deferred requests) before the server frees its loops.  Main thread. */
    void (*stop)(void *app);
};

struct metrics;

struct api_ctx {
    const struct stdtax_config *cfg; /* borrowed, read-only while serving */
    void *app;                       /* the application's own state */
    const struct api_hooks *hooks;   /* never NULL */
    const struct api_route *routes;
    size_t n_routes;
    char *openapi; /* owned: compact JSON of api/openapi.json */
    size_t openapi_len;
    struct metrics *metrics; /* owned */
    uint64_t started_us;     /* monotonic start time */
    unsigned workers;
    atomic_int draining; /* set on SIGTERM */
};

/* Monotonic microseconds. */
uint64_t api_now_us(void);

/* Loads api/openapi.json into ctx (as compact text).  Returns 0 or an error. */
int api_openapi_load(struct api_ctx *ctx, const char *path, struct stdtax_error *err);

/* Handlers of the operational routes (api_system.c). */
int api_healthz_get(struct api_ctx *app, const struct api_request *req,
                    struct api_response *resp);
int api_metrics_get(struct api_ctx *app, const struct api_request *req,
                    struct api_response *resp);
int api_openapi_get(struct api_ctx *app, const struct api_request *req,
                    struct api_response *resp);

/* --- the dashboard's static files (api_static.c) ------------------------------ */

#define API_STATIC_NAME_MAX 64

/* True for a file name the dashboard may serve: 1..API_STATIC_NAME_MAX bytes of
 * [a-z0-9._-], not starting with a dot.  Everything else is a 404 before any
 * file system call, so no encoding of "..", "/" or NUL can escape web-root. */
bool api_static_name_ok(const char *name);

/* Static Content-Type for the name's extension, or NULL (not served). */
const char *api_static_type(const char *name);

/* True when an If-None-Match header value matches etag (weak comparison, "*"). */
bool api_etag_match(const char *header, const char *etag);

/* Fills resp with root/name: 200 with the file, 304 when if_none_match (may be
 * NULL) matches its ETag, 404 for a refused or missing name.  Returns 0 or an
 * error with the problem in resp. */
int api_static_serve(const char *root, const char *name, const char *if_none_match,
                     struct api_response *resp);

/* GET / and GET /ui/{file}. */
int api_index_get(struct api_ctx *app, const struct api_request *req,
                  struct api_response *resp);
int api_ui_get(struct api_ctx *app, const struct api_request *req,
               struct api_response *resp);

#endif
