/* libFuzzer target for what the dispatcher does with hostile request text before
 * any handler runs: route matching, query-string parsing, percent-decoding and
 * JSON body parsing (src/daemon/route.c, src/daemon/api.c).
 * Build and run (not part of make check):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc/daemon \
 *     tests/fuzz/fuzz_request.c src/daemon/route.c src/daemon/api.c src/daemon/routes.c \
 *     src/daemon/api_system.c src/daemon/metrics.c src/lib/config.c src/lib/error.c \
 *     -I. $(pkg-config --cflags --libs jansson) -o tests/fuzz/fuzz_request
 *   tests/fuzz/fuzz_request -max_total_time=60
 * (-I. finds the config.h that configure writes, for PACKAGE_VERSION.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Input: "PATH?QUERY\nBODY". */
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t head = nl ? (size_t)(nl - text) : size;
    const char *q = memchr(text, '?', head);
    size_t plen = q ? (size_t)(q - text) : head;

    size_t n;
    const struct api_route *routes = api_routes(&n);
    struct api_match m;
    api_route_match(routes, n, API_GET, text, plen, &m);
    for (size_t i = 0; i < m.n_params; i++) {
        char *out = malloc(m.params[i].value_len + 1);
        long len = api_percent_decode(m.params[i].value, m.params[i].value_len, out, false);
        if (len >= 0)
            api_utf8_valid(out, (size_t)len);
        free(out);
    }
    struct api_query query;
    struct stdtax_error err;
    if (q)
        api_query_parse(q + 1, head - plen - 1, &query, &err);
    else
        api_query_parse(NULL, 0, &query, &err);
    api_query_free(&query);

    if (nl) {
        struct stdtax_config cfg;
        cfg_config_init(&cfg);
        struct api_response resp = {0};
        json_t *body = NULL;
        api_body_parse(&cfg, "application/json", nl + 1, size - head - 1, &body, &resp);
        json_decref(body);
        api_response_clear(&resp);
        cfg_config_free(&cfg);
    }
    return 0;
}
