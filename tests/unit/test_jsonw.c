/* The JSON writer: what it writes is read back by jansson's parser and compared as
 * values (not as bytes); what JSON cannot carry is refused. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/jsonw.h"
#include "stdtax/utf8.h"

/* The finished text of w parsed (new); the text must be one JSON value. */
static json_t *parsed(struct jsonw *w)
{
    char *text;
    size_t len;
    int rc = jsonw_finish(w, &text, &len);
    cr_assert_eq(rc, 0, "writer failed: %d", rc);
    cr_assert_eq(strlen(text), len, "NUL-terminated at its length");
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert_not_null(v, "%s: %s", text, je.text);
    free(text);
    return v;
}

/* v written by a fresh writer at the exact precision, read back. */
static json_t *round_trip(const json_t *v, unsigned flags)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_EXACT, flags);
    jsonw_value(&w, v);
    return parsed(&w);
}

static void expect_round_trip(json_t *v)
{
    json_t *got = round_trip(v, 0);
    char *want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    cr_expect(json_equal(got, v), "read back differs from %s", want);
    free(want);
    json_decref(got);
    json_decref(v);
}

/* The error w stopped with (and no text). */
static int failure(struct jsonw *w)
{
    char *text;
    size_t len;
    int rc = jsonw_finish(w, &text, &len);
    cr_expect_null(text);
    return rc;
}

Test(jsonw, streamed_document_reads_back)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_begin(&w);
    JSONW_KEY(&w, "name");
    jsonw_string(&w, "标准 \"quoted\"");
    jsonw_key(&w, "n");
    jsonw_int(&w, -42);
    JSONW_KEY(&w, "share");
    jsonw_real(&w, 0.8132);
    JSONW_KEY(&w, "flags");
    jsonw_array_begin(&w);
    jsonw_bool(&w, true);
    jsonw_bool(&w, false);
    jsonw_null(&w);
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    jsonw_array_end(&w);
    JSONW_KEY(&w, "nested");
    jsonw_object_begin(&w);
    JSONW_KEY(&w, "a");
    jsonw_array_begin(&w);
    jsonw_int(&w, 1);
    jsonw_object_begin(&w);
    JSONW_KEY(&w, "b");
    jsonw_null(&w);
    jsonw_object_end(&w);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    jsonw_object_end(&w);
    json_t *got = parsed(&w);
    json_t *want = json_pack("{s:s, s:i, s:f, s:[b, b, n, [], {}], s:{s:[i, {s:n}]}}",
                             "name", "标准 \"quoted\"", "n", -42, "share", 0.8132,
                             "flags", 1, 0, "nested", "a", 1, "b");
    cr_expect(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    jsonw_free(&w);
}

Test(jsonw, empty_containers_and_scalars_at_the_top)
{
    static const char *const docs[] = {"{}",   "[]", "[[]]", "[{}]", "{\"a\":{}}",
                                       "\"\"", "0",  "null", "true", "[[],[],{}]"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        expect_round_trip(json_loads(docs[i], JSON_DECODE_ANY, NULL));
}

Test(jsonw, every_control_character_and_escape_reads_back)
{
    char all[256];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i; /* NUL included */
    json_t *s = json_stringn(all, 128);
    cr_assert_not_null(s);
    json_t *got = round_trip(s, 0);
    cr_expect(json_equal(got, s));
    json_decref(got);
    /* The same characters in a key. */
    json_t *o = json_object();
    json_object_setn_new(o, all + 1, 127, json_true());
    got = round_trip(o, 0);
    cr_expect(json_equal(got, o));
    json_decref(got);
    json_decref(o);
    json_decref(s);
    /* As jansson without JSON_ENSURE_ASCII: only what must be escaped is. */
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_string(&w, "é/\x7f\t\x01");
    char *text;
    size_t len;
    cr_assert_eq(jsonw_finish(&w, &text, &len), 0);
    cr_expect_str_eq(text, "\"é/\x7f\\t\\u0001\"");
    free(text);
}

Test(jsonw, multibyte_text_is_kept_as_is)
{
    expect_round_trip(json_string("人工智能 ｆｕｌｌｗｉｄｔｈ 😀 ÿ \xe2\x80\xa8"));
}

Test(jsonw, invalid_utf8_is_refused)
{
    static const char *const bad[] = {
        "\xff",
        "a\xc3", /* truncated */
        "\xc0\x80",
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\x80",
        "ok \xe4\xb8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct jsonw w;
        jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
        jsonw_array_begin(&w);
        jsonw_string(&w, bad[i]);
        jsonw_array_end(&w);
        cr_expect_eq(failure(&w), STDTAX_EUTF8, "string %zu", i);
        jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
        jsonw_object_begin(&w);
        jsonw_key(&w, bad[i]);
        jsonw_null(&w);
        jsonw_object_end(&w);
        cr_expect_eq(failure(&w), STDTAX_EUTF8, "key %zu", i);
    }
}

/* What the writer takes is what utf8_text_validate takes, for every sequence of two and
 * three bytes that starts past ASCII (the writer checks the common ones itself). */
Test(jsonw, utf8_accepted_as_the_validator_accepts)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    unsigned char seq[3];
    for (unsigned a = 0x80; a < 0x100; a++)
        for (unsigned b = 0x20; b < 0x100; b++)
            for (unsigned c = 0x1F; c < 0x100; c++) {
                seq[0] = (unsigned char)a;
                seq[1] = (unsigned char)b;
                seq[2] = (unsigned char)c;
                size_t n = c == 0x1F ? 2 : 3; /* 0x1F: the two bytes alone */
                jsonw_stringn(&w, (const char *)seq, n);
                int want = utf8_text_validate((const char *)seq, n, NULL);
                cr_assert_eq(jsonw_error(&w), want, "%02x %02x %02x (%zu bytes)", a, b, c,
                             n);
                if (want != 0) {
                    jsonw_free(&w);
                    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
                }
                jsonw_clear(&w);
            }
    jsonw_free(&w);
}

Test(jsonw, non_finite_reals_are_refused)
{
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        struct jsonw w;
        jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
        jsonw_array_begin(&w);
        jsonw_real(&w, bad[i]);
        jsonw_int(&w, 1); /* ignored: the writer has stopped */
        jsonw_array_end(&w);
        cr_expect_eq(failure(&w), STDTAX_EINVAL);
    }
}

Test(jsonw, reals_read_back_as_the_digits_asked_for)
{
    const double v[] = {0.0,       -0.0,      1.0,       -1.0,  0.8132, 0.0001,
                        1e-5,      123.4567,  99.9999,   1e11,  1e15,   1e16,
                        1e17,      1e100,     -2.5e-300, 1e308, 5e-324, 3.14159265358979,
                        1.0 / 3.0, 12345.678, 0.1 + 0.2, 65536, -0.5};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        for (int p = 1; p <= JSONW_PRECISION_EXACT; p++) {
            struct jsonw w;
            jsonw_init(&w, p, 0);
            jsonw_real(&w, v[i]);
            json_t *got = parsed(&w);
            cr_assert(json_is_real(got), "%g at %d digits reads back as a real", v[i], p);
            char want[64];
            snprintf(want, sizeof want, "%.*g", p, v[i]);
            double d = json_real_value(got);
            cr_expect(d == strtod(want, NULL) && !signbit(d) == !signbit(v[i]),
                      "%.17g at %d digits: read %.17g, want %s", v[i], p, d, want);
            json_decref(got);
        }
    }
}

/* Every value of four decimals (the answers' probabilities and weights, written without
 * snprintf) reads back as the double nearest it, at the answers' precision. */
Test(jsonw, four_decimal_reals_read_back_exactly)
{
    for (long k = -20000; k <= 1200000; k += 7) {
        double v = (double)k / 10000.0;
        struct jsonw w;
        jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
        jsonw_real(&w, v);
        json_t *got = parsed(&w);
        cr_assert(json_is_real(got) && json_real_value(got) == v, "%ld", k);
        json_decref(got);
    }
}

Test(jsonw, integers_at_the_limits)
{
    expect_round_trip(json_pack("[I, I, I, I]", (json_int_t)INT64_MIN,
                                (json_int_t)INT64_MAX, (json_int_t)0, (json_int_t)-1));
}

Test(jsonw, depth_is_bounded)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    for (int i = 0; i < JSONW_DEPTH_MAX; i++)
        jsonw_array_begin(&w);
    for (int i = 0; i < JSONW_DEPTH_MAX; i++)
        jsonw_array_end(&w);
    json_t *got = parsed(&w);
    json_decref(got);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    for (int i = 0; i <= JSONW_DEPTH_MAX; i++) {
        jsonw_object_begin(&w);
        jsonw_key(&w, "k");
    }
    cr_expect_eq(failure(&w), STDTAX_ETOOBIG);

    /* A jansson tree far deeper: refused without walking all of it. */
    json_t *deep = json_array(), *cur = deep;
    for (int i = 0; i < 5000; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_value(&w, deep);
    cr_expect_eq(failure(&w), STDTAX_ETOOBIG);
    json_decref(deep);
}

Test(jsonw, misuse_is_an_error)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_array_begin(&w);
    jsonw_key(&w, "k"); /* a key in an array */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_begin(&w);
    jsonw_int(&w, 1); /* a value without its key */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_begin(&w);
    jsonw_array_end(&w); /* the wrong end */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_begin(&w);
    jsonw_key(&w, "k");
    jsonw_object_end(&w); /* a key without its value */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_array_begin(&w); /* never ended */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_array_end(&w); /* nothing to end */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_value(&w, NULL);
    cr_expect_eq(failure(&w), STDTAX_EINVAL);

    jsonw_init(&w, 0, 0); /* no such precision */
    jsonw_null(&w);
    cr_expect_eq(failure(&w), STDTAX_EINVAL);
}

static json_t *random_value(unsigned *seed, int depth)
{
    int kind = depth > 4 ? rand_r(seed) % 6 : rand_r(seed) % 8;
    switch (kind) {
    case 0:
        return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
    case 1:
        return json_real((double)rand_r(seed) / (double)(rand_r(seed) + 1) *
                         pow(10, rand_r(seed) % 40 - 20));
    case 2: {
        char buf[16];
        size_t n = (size_t)(rand_r(seed) % 15);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(1 + rand_r(seed) % 126);
        buf[n] = '\0';
        return json_string(buf);
    }
    case 3:
        return json_null();
    case 4:
        return json_boolean(rand_r(seed) % 2);
    case 5:
        return json_string("标准");
    case 6: {
        json_t *a = json_array();
        for (int i = rand_r(seed) % 5; i > 0; i--)
            json_array_append_new(a, random_value(seed, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = rand_r(seed) % 40; i > 0; i--) {
            char key[8];
            snprintf(key, sizeof key, "k%d", rand_r(seed) % 100);
            json_object_set_new(o, key, random_value(seed, depth + 1));
        }
        return o;
    }
    }
}

Test(jsonw, random_documents_read_back_equal)
{
    unsigned seed = 12345;
    for (int i = 0; i < 2000; i++)
        expect_round_trip(random_value(&seed, 0));
}

/* jansson keeps the members of what it loads in text order: the order written. */
static void expect_sorted(const json_t *v)
{
    const char *key, *prev = NULL;
    json_t *item;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) expect_sorted(item);
        return;
    }
    json_object_foreach((json_t *)v, key, item)
    {
        cr_expect(!prev || strcmp(prev, key) < 0, "%s after %s", key, prev);
        prev = key;
        expect_sorted(item);
    }
}

Test(jsonw, sorted_keys_on_request)
{
    unsigned seed = 777;
    for (int i = 0; i < 500; i++) {
        json_t *v = random_value(&seed, 0);
        json_t *got = round_trip(v, JSONW_SORT_KEYS);
        cr_expect(json_equal(got, v));
        expect_sorted(got);
        json_decref(got);
        json_decref(v);
    }
}

Test(jsonw, big_documents)
{
    static const char piece[] = "ab\"\n\\标"; /* 8 bytes: escapes and a CJK character */
    size_t n = 3u << 20;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    for (size_t i = 0; i < n; i += 8)
        memcpy(big + i, piece, 8);
    big[n] = '\0';
    json_t *a = json_array();
    json_array_append_new(a, json_string(big));
    for (int i = 0; i < 100000; i++)
        json_array_append_new(a, json_integer(i));
    expect_round_trip(a);
    free(big);
}

Test(jsonw, escaped_once_written_many_times)
{
    struct jsonw frag;
    jsonw_init(&frag, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_begin(&frag);
    JSONW_KEY(&frag, "code");
    jsonw_string(&frag, "A\"1");
    JSONW_KEY(&frag, "zh");
    jsonw_string(&frag, "人工智能");
    jsonw_object_end(&frag);
    char *node;
    size_t node_len;
    cr_assert_eq(jsonw_finish(&frag, &node, &node_len), 0);
    jsonw_string(&frag, "term\n");
    char *term;
    size_t term_len;
    cr_assert_eq(jsonw_finish(&frag, &term, &term_len), 0);

    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_begin(&w);
    JSONW_KEY(&w, "category");
    jsonw_raw(&w, node, node_len);
    JSONW_KEY(&w, "alternatives");
    jsonw_array_begin(&w);
    for (int i = 0; i < 3; i++) {
        jsonw_object_extend(&w, node, node_len);
        JSONW_KEY(&w, "score");
        jsonw_real(&w, 0.25 * i);
        jsonw_object_end(&w);
    }
    jsonw_object_extend(&w, "{}", 2);
    JSONW_KEY(&w, "only");
    jsonw_raw(&w, term, term_len);
    jsonw_object_end(&w);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    json_t *got = parsed(&w);
    json_t *want = json_pack(
        "{s:{s:s, s:s}, s:[{s:s, s:s, s:f}, {s:s, s:s, s:f}, {s:s, s:s, s:f}, {s:s}]}",
        "category", "code", "A\"1", "zh", "人工智能", "alternatives", "code", "A\"1",
        "zh", "人工智能", "score", 0.0, "code", "A\"1", "zh", "人工智能", "score", 0.25,
        "code", "A\"1", "zh", "人工智能", "score", 0.5, "only", "term\n");
    cr_expect(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    free(node);
    free(term);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_object_extend(&w, "[]", 2); /* not an object */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);
}

Test(jsonw, json_lines)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    for (int i = 0; i < 3; i++) {
        jsonw_object_begin(&w);
        JSONW_KEY(&w, "line");
        jsonw_int(&w, i);
        jsonw_object_end(&w);
        jsonw_newline(&w);
        if (i == 0)
            jsonw_clear(&w); /* sent: forgotten */
    }
    char *text;
    size_t len;
    cr_assert_eq(jsonw_finish(&w, &text, &len), 0);
    char *save, *line = strtok_r(text, "\n", &save);
    for (int i = 1; i < 3; i++, line = strtok_r(NULL, "\n", &save)) {
        cr_assert_not_null(line);
        json_t *got = json_loads(line, 0, NULL), *want = json_pack("{s:i}", "line", i);
        cr_expect(json_equal(got, want), "line %d", i);
        json_decref(got);
        json_decref(want);
    }
    cr_expect_null(line);
    free(text);

    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_array_begin(&w);
    jsonw_newline(&w); /* inside a value */
    cr_expect_eq(failure(&w), STDTAX_EINVAL);
}
