/* libFuzzer target for the JSON writer: any document jansson reads, written by jsonw
 * (in order and with sorted keys), reads back as the same value, or is refused only for
 * its depth; the input's bytes as one string are written iff they are UTF-8 and then
 * read back as themselves.  Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/jsonw.h"
#include "stdtax/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* v written by w read back (new), or NULL when the writer refused it with want_rc. */
static json_t *written(struct jsonw *w, int *rc)
{
    char *text;
    size_t len;
    *rc = jsonw_finish(w, &text, &len);
    if (*rc != 0)
        return NULL;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v || strlen(text) != len)
        abort(); /* the writer made text that is not JSON */
    free(text);
    return v;
}

static void round_trip(const json_t *v, unsigned flags)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_EXACT, flags);
    jsonw_value(&w, v);
    int rc;
    json_t *got = written(&w, &rc);
    if (rc == STDTAX_ETOOBIG)
        return; /* nested deeper than JSONW_DEPTH_MAX */
    if (rc != 0 || !json_equal(got, v))
        abort();
    json_decref(got);
}

/* UTF-8 apart from NUL bytes (which utf8_text_validate refuses and the writer escapes).
 */
static int utf8_but_nul(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i <= n;) {
        const uint8_t *z = memchr(d + i, 0, n - i);
        size_t end = z ? (size_t)(z - d) : n;
        if (utf8_text_validate((const char *)d + i, end - i, NULL) != 0)
            return 0;
        i = end + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v) {
        round_trip(v, 0);
        round_trip(v, JSONW_SORT_KEYS);
        json_decref(v);
    }
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_stringn(&w, (const char *)data, size);
    int rc;
    json_t *s = written(&w, &rc);
    if ((rc == 0) != utf8_but_nul(data, size) || (rc != 0 && rc != STDTAX_EUTF8))
        abort();
    if (s &&
        (json_string_length(s) != size || memcmp(json_string_value(s), data, size) != 0))
        abort();
    json_decref(s);
    return 0;
}
