/* libFuzzer target for what the dispatcher does with hostile request text before
 * any handler runs: route matching (every method), query-string parsing,
 * percent-decoding, the Authorization and Origin checks and JSON body parsing
 * (src/daemon/route.c, src/daemon/api.c).
 * Input: one method byte, then "PATH?QUERY\nAUTHORIZATION\nORIGIN\nBODY".
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct stdtax_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char conf[] = "token alice submit s3cret-submit-token-0123456789\n"
                               "token root admin s3cret-admin-token-0123456789\n"
                               "cors-origin https://ok.example\n"
                               "max-body 65536\n";
    struct stdtax_error err;
    if (cfg_config_init(&cfg) != 0 ||
        cfg_text_parse(&cfg, "fuzz.conf", conf, sizeof conf - 1, &err) != 0)
        abort();
    return 0;
}

/* The next '\n'-terminated part of [*p, end) as a NUL-terminated copy (new). */
static char *part_next(const char **p, const char *end, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    memcpy(s, *p, n);
    s[n] = 0;
    *len = n;
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned method = 1u << (data[0] % 9);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    size_t head, alen, olen;
    char *target = part_next(&p, end, &head);
    char *auth = part_next(&p, end, &alen);
    char *origin = part_next(&p, end, &olen);
    const char *q = memchr(target, '?', head);
    size_t plen = q ? (size_t)(q - target) : head;

    size_t n;
    const struct api_route *routes = api_routes(&n);
    struct api_match m;
    int r = api_route_match(routes, n, method, target, plen, &m);
    if (r >= (int)n || m.n_params > API_PARAMS_MAX)
        __builtin_trap();
    for (size_t i = 0; i < m.n_params; i++) {
        char *out = malloc(m.params[i].value_len + 1);
        long len =
            api_percent_decode(m.params[i].value, m.params[i].value_len, out, false);
        if (len > (long)m.params[i].value_len)
            __builtin_trap();
        if (len >= 0)
            api_utf8_valid(out, (size_t)len);
        free(out);
    }
    char allow[128];
    api_allow_format(m.allow, allow, sizeof allow);

    struct api_query query;
    struct stdtax_error err;
    if (q)
        api_query_parse(q + 1, head - plen - 1, &query, &err);
    else
        api_query_parse(NULL, 0, &query, &err);
    if (query.n > API_QUERY_MAX)
        __builtin_trap();
    if (r >= 0) {
        struct api_response refused = {0};
        if (api_query_allowed(&routes[r], &query, &refused) != 0 && refused.status != 400)
            __builtin_trap();
        api_response_clear(&refused);
    }
    api_query_free(&query);

    if (r >= 0) {
        enum cfg_scope granted;
        const char *who = NULL;
        int rc =
            api_auth_check(&cfg, alen ? auth : NULL, routes[r].scope, &granted, &who);
        /* Only the two configured secrets may ever grant a scope. */
        if (rc == 0 && who && strcmp(who, "alice") != 0 && strcmp(who, "root") != 0)
            __builtin_trap();
    }
    api_cors_allowed(&cfg, origin);

    if (p < end || (size > 1 && end[-1] == '\n')) {
        struct api_response resp = {0};
        json_t *body = NULL;
        api_body_parse(&cfg, "application/json", p, (size_t)(end - p), &body, &resp);
        json_decref(body);
        api_response_clear(&resp);
    }
    free(target);
    free(auth);
    free(origin);
    return 0;
}
