/* Path matching, query strings, percent-decoding and the check of a query against
 * its route's column: pure functions, unit-tested without a server. */
#include "api.h"
#include "stdtax/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    unsigned bit;
    const char *name;
} method_names[] = {
    {API_GET, "GET"},         {API_HEAD, "HEAD"},   {API_POST, "POST"},
    {API_PUT, "PUT"},         {API_PATCH, "PATCH"}, {API_DELETE, "DELETE"},
    {API_OPTIONS, "OPTIONS"}, {API_TRACE, "TRACE"}, {API_CONNECT, "CONNECT"},
};

const char *api_method_name(unsigned method)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (method_names[i].bit == method)
            return method_names[i].name;
    return "?";
}

void api_allow_format(unsigned methods, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (!(methods & method_names[i].bit))
            continue;
        int k = snprintf(out + n, size - n, "%s%s", n ? ", " : "", method_names[i].name);
        if (k < 0 || (size_t)k >= size - n)
            return;
        n += (size_t)k;
    }
}

/* Matches one pattern against the path; fills params on success. */
static bool pattern_match(const char *pattern, const char *path, size_t len,
                          struct api_match *m)
{
    const char *p = pattern;
    size_t i = 0;
    size_t n_params = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || n_params == API_PARAMS_MAX)
                return false;
            size_t start = i;
            while (i < len && path[i] != '/')
                i++;
            if (i == start)
                return false; /* a parameter is never empty */
            m->params[n_params].name = p + 1;
            m->params[n_params].name_len = (size_t)(close - p - 1);
            m->params[n_params].value = path + start;
            m->params[n_params].value_len = i - start;
            n_params++;
            p = close + 1;
        } else {
            if (i >= len || path[i] != *p)
                return false;
            i++;
            p++;
        }
    }
    if (i != len)
        return false;
    m->n_params = n_params;
    return true;
}

int api_route_match(const struct api_route *routes, size_t n_routes, unsigned method,
                    const char *path, size_t len, struct api_match *m)
{
    unsigned want = method == API_HEAD ? API_GET : method;
    struct api_match tmp = {0};
    memset(m, 0, sizeof *m);
    m->route = -1;
    /* Every request walks the table: no clearing per route (pattern_match sets
     * n_params and the params below it on success; the rest is never read). */
    for (size_t r = 0; r < n_routes; r++) {
        if (!pattern_match(routes[r].pattern, path, len, &tmp))
            continue;
        m->allow |= routes[r].method;
        if (routes[r].method == API_GET)
            m->allow |= API_HEAD;
        if (m->route < 0 && routes[r].method == want) {
            unsigned allow = m->allow;
            *m = tmp;
            m->allow = allow;
            m->route = (int)r;
        }
    }
    if (m->allow)
        m->allow |= API_OPTIONS;
    return m->route;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long api_percent_decode(const char *in, size_t len, char *out, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hexval((unsigned char)in[i + 1]);
            int lo = hi < 0 ? -1 : hexval((unsigned char)in[i + 2]);
            if (lo < 0)
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return (long)o;
}

bool api_utf8_valid(const char *s, size_t len)
{
    return utf8_text_validate(s, len, NULL) == 0;
}

/* "/query/KEY" as a JSON pointer (RFC 6901): '~' and '/' in the name escaped, so a
 * client can resolve the pointer whatever the parameter was called.  A name too long to
 * escape into out is not cut (that could split a UTF-8 sequence): just "/query". */
static void query_pointer(char *out, size_t cap, const char *key)
{
    size_t need = sizeof "/query/";
    for (const char *k = key; *k; k++)
        need += *k == '~' || *k == '/' ? 2 : 1;
    if (need > cap) {
        snprintf(out, cap, "/query");
        return;
    }
    size_t n = (size_t)snprintf(out, cap, "/query/");
    for (; *key; key++) {
        if (*key == '~' || *key == '/') {
            out[n++] = '~';
            out[n++] = *key == '~' ? '0' : '1';
        } else {
            out[n++] = *key;
        }
    }
    out[n] = '\0';
}

int api_query_parse(const char *qs, size_t len, struct api_query *q,
                    struct stdtax_error *err)
{
    memset(q, 0, sizeof *q);
    if (!qs || len == 0)
        return 0;
    /* Decoding never lengthens text, so twice the raw length holds every decoded
     * key and value with their terminators. */
    q->storage = malloc(len * 2 + 2);
    if (!q->storage)
        return stdtax_error_set(err, STDTAX_ENOMEM, "/query", "out of memory");
    char *out = q->storage;
    size_t pos = 0;
    while (pos <= len) {
        const char *start = qs + pos;
        const char *amp = memchr(start, '&', len - pos);
        size_t n = amp ? (size_t)(amp - start) : len - pos;
        pos += n + 1;
        if (n == 0) {
            if (!amp)
                break;
            continue; /* "a=1&&b=2" or a trailing '&' */
        }
        if (q->n == API_QUERY_MAX)
            return stdtax_error_set(err, STDTAX_ETOOBIG, "/query",
                                    "more than %d query parameters", API_QUERY_MAX);
        const char *eq = memchr(start, '=', n);
        size_t klen = eq ? (size_t)(eq - start) : n;
        const char *v = eq ? eq + 1 : start + n;
        size_t vlen = eq ? n - klen - 1 : 0;
        char *key = out;
        long kd = api_percent_decode(start, klen, key, true);
        if (kd < 0)
            return stdtax_error_set(err, STDTAX_EPARSE, "/query",
                                    "malformed %%-escape in a query parameter name");
        if (kd == 0)
            return stdtax_error_set(err, STDTAX_EPARSE, "/query",
                                    "query parameter without a name");
        if (kd > API_QUERY_KEY_MAX)
            return stdtax_error_set(err, STDTAX_ETOOBIG, "/query",
                                    "query parameter name longer than %d bytes",
                                    API_QUERY_KEY_MAX);
        if (!api_utf8_valid(key, (size_t)kd))
            return stdtax_error_set(err, STDTAX_EUTF8, "/query",
                                    "query parameter name is not UTF-8 text");
        out += kd + 1;
        char *value = out;
        long vd = api_percent_decode(v, vlen, value, true);
        char field[STDTAX_FIELD_MAX];
        query_pointer(field, sizeof field, key);
        if (vd < 0)
            return stdtax_error_set(err, STDTAX_EPARSE, field,
                                    "malformed %%-escape in query parameter '%s'", key);
        if (vd > API_QUERY_VALUE_MAX)
            return stdtax_error_set(err, STDTAX_ETOOBIG, field,
                                    "query parameter '%s' longer than %d bytes", key,
                                    API_QUERY_VALUE_MAX);
        if (!api_utf8_valid(value, (size_t)vd))
            return stdtax_error_set(err, STDTAX_EUTF8, field,
                                    "query parameter '%s' is not UTF-8 text", key);
        out += vd + 1;
        q->items[q->n].key = key;
        q->items[q->n].value = value;
        q->n++;
        if (!amp)
            break;
    }
    return 0;
}

/* True when key is one of the NULL-terminated names (NULL: none). */
static bool name_listed(const char *const *names, const char *key)
{
    for (size_t k = 0; names && names[k]; k++)
        if (strcmp(names[k], key) == 0)
            return true;
    return false;
}

int api_query_allowed(const struct api_route *route, const struct api_query *q,
                      struct api_response *resp)
{
    if (route->flags & API_F_QUERY_IGNORED)
        return 0;
    for (size_t i = 0; i < q->n; i++) {
        const char *key = q->items[i].key;
        bool known = name_listed(route->query, key);
        if (known && api_query_count(q, key) == 1)
            continue;
        char pointer[STDTAX_FIELD_MAX];
        query_pointer(pointer, sizeof pointer, key);
        json_t *problems = json_array();
        if (!known) {
            stdtax_problem_add(problems, pointer, "unknown parameter '%.64s'", key);
            return api_response_problem(resp, STDTAX_EPARSE, problems,
                                        "unknown query parameter '%.64s'", key);
        }
        stdtax_problem_add(problems, pointer, "'%.64s' given more than once", key);
        return api_response_problem(resp, STDTAX_EPARSE, problems,
                                    "query parameter '%.64s' given more than once", key);
    }
    return 0;
}

void api_query_free(struct api_query *q)
{
    free(q->storage);
    memset(q, 0, sizeof *q);
}

const char *api_query_get(const struct api_query *q, const char *key)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return q->items[i].value;
    return NULL;
}

size_t api_query_count(const struct api_query *q, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < q->n; i++)
        n += strcmp(q->items[i].key, key) == 0;
    return n;
}

const char *api_param(const struct api_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->params[i].key, name) == 0)
            return req->params[i].value;
    return NULL;
}
