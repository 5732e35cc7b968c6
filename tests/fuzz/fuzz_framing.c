/* libFuzzer target for the request framing checks (src/daemon/framing.c): the input
 * is a byte stream on one connection, cut into lines and bodies as server.c does.
 * Checks that a rewrite keeps the line's length and CRLF, that an accepted chunk-size
 * line reads as the same size the way evhttp reads it (strtoll, base 16, a space or
 * the end after the digits), and that a refusal is 400 or 505 and final.
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct framing f;
    framing_init(&f);
    size_t at = 0;
    while (at < size) {
        uint64_t skip = framing_skip(&f);
        if (skip) {
            uint64_t n = skip < size - at ? skip : size - at;
            framing_skipped(&f, n);
            at += (size_t)n;
            continue;
        }
        const uint8_t *eol = memchr(data + at, '\n', size - at);
        if (!eol)
            break;
        size_t n = (size_t)(eol - (data + at)) + 1;
        char *line = malloc(n + 1);
        if (!line)
            abort();
        memcpy(line, data + at, n);
        line[n] = '\0';
        enum framing_expect was = f.expect;
        int rc = framing_line(&f, line, n);
        if (rc != 0 && rc != 400 && rc != 505)
            abort();
        if (rc != 0 && (f.expect != FRAMING_REFUSED || framing_line(&f, line, n) != rc))
            abort();
        if (rc == 0) {
            if (n < 2 || line[n - 2] != '\r' || line[n - 1] != '\n' ||
                memchr(line, '\0', n) != NULL)
                abort();
            if (was == FRAMING_REQUEST_LINE && (f.major != 1 || f.minor > 1))
                abort();
            if (was == FRAMING_CHUNK_SIZE) {
                line[n - 2] = '\0';
                char *end;
                long long v = strtoll(line, &end, 16);
                if (v < 0 || (*end != '\0' && *end != ' ') ||
                    (uint64_t)v != (f.expect == FRAMING_TRAILER ? 0 : f.skip))
                    abort();
            } else if (memcmp(line, data + at, n) != 0) {
                abort(); /* only chunk lines are rewritten */
            }
        }
        free(line);
        if (rc != 0)
            break;
        at += n;
    }
    return 0;
}
