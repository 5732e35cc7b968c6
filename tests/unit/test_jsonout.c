/* jsonout_dump must give exactly jansson's compact text with 15 significant digits. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

static void same_as_jansson(json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = jsonout_dump(v, &len);
    cr_assert_not_null(want);
    cr_assert_not_null(got, "jsonout failed where jansson gave %s", want);
    cr_expect_eq(len, strlen(got));
    cr_expect_str_eq(got, want);
    free(want);
    free(got);
    json_decref(v);
}

Test(jsonout, scalars_and_reals)
{
    static const double reals[] = {0.0,
                                   -0.0,
                                   1.0,
                                   0.5,
                                   0.1,
                                   1.0 / 3,
                                   1e300,
                                   -1e-300,
                                   1e15,
                                   1e16,
                                   123456789012345678.0,
                                   0.8132,
                                   2.5e-7,
                                   1e21,
                                   -42.0,
                                   3.14159265358979};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        same_as_jansson(json_real(reals[i]));
    static const json_int_t ints[] = {0, 1, -1, 9007199254740993LL,
                                      -9223372036854775807LL};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        same_as_jansson(json_integer(ints[i]));
    same_as_jansson(json_true());
    same_as_jansson(json_false());
    same_as_jansson(json_null());
}

Test(jsonout, strings_escape_like_jansson)
{
    const char *texts[] = {"",
                           "plain",
                           "quote \" and backslash \\",
                           "/slash/",
                           "controls \b\f\n\r\t\x01\x1f\x7f",
                           "中文 标准（全角）",
                           "emoji 😀",
                           "\xe2\x80\xa8 line separator"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        same_as_jansson(json_string(texts[i]));
    same_as_jansson(json_stringn("nul\0inside", 10));
}

Test(jsonout, nested_in_insertion_order)
{
    same_as_jansson(json_pack("{s:[i,f,s,{}], s:{s:n, s:b}, s:[], s:o}", "zeta", 1, 2.5,
                              "x", "alpha", "k", "b", 1, "empty", "last",
                              json_pack("[[[[{s:s}]]]]", "deep", "值")));
}

/* Random documents: whatever jansson writes, jsonout writes the same. */
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
        for (int i = rand_r(seed) % 5; i > 0; i--) {
            char key[8];
            snprintf(key, sizeof key, "k%d", rand_r(seed) % 100);
            json_object_set_new(o, key, random_value(seed, depth + 1));
        }
        return o;
    }
    }
}

Test(jsonout, random_documents)
{
    unsigned seed = 12345;
    for (int i = 0; i < 2000; i++)
        same_as_jansson(random_value(&seed, 0));
}

Test(jsonout, refuses_what_it_cannot_write)
{
    size_t len;
    json_t *deep = json_array();
    json_t *cur = deep;
    for (int i = 0; i < JSONOUT_DEPTH_MAX + 2; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    cr_expect_null(jsonout_dump(deep, &len));
    json_decref(deep);
    cr_expect_null(jsonout_dump(NULL, &len));
}
