#include "jsonout.h"
#include "stdtax/jsontext.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
    char *data;
    size_t len, cap;
    bool failed;
};

static bool grow(struct out *o, size_t need)
{
    if (o->failed)
        return false;
    if (o->len + need + 1 <= o->cap)
        return true;
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < o->len + need + 1)
        cap *= 2;
    char *p = realloc(o->data, cap);
    if (!p) {
        o->failed = true;
        return false;
    }
    o->data = p;
    o->cap = cap;
    return true;
}

static void put(struct out *o, const char *s, size_t n)
{
    if (grow(o, n)) {
        memcpy(o->data + o->len, s, n);
        o->len += n;
    }
}

static void put_string(struct out *o, const char *s, size_t n)
{
    if (grow(o, JSONTEXT_STRING_MAX(n)))
        o->len += jsontext_string_write(o->data + o->len, s, n);
}

/* jansson's jsonp_dtostr with precision 15: %.15g, a ".0" when the text would read
 * back as an integer, and no '+' or leading zeros in the exponent. */
static bool put_real(struct out *o, double v)
{
    char buf[JSONTEXT_REAL_MAX];
    size_t len = jsontext_real_write(buf, v, 15);
    if (len == 0)
        return false;
    put(o, buf, len);
    return true;
}

static bool dump(struct out *o, const json_t *v, int depth)
{
    if (depth > JSONOUT_DEPTH_MAX)
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        put(o, "{", 1);
        const char *key;
        size_t klen;
        json_t *item;
        bool first = true;
        json_object_keylen_foreach((json_t *)v, key, klen, item)
        {
            if (!first)
                put(o, ",", 1);
            first = false;
            put_string(o, key, klen);
            put(o, ":", 1);
            if (!dump(o, item, depth + 1))
                return false;
        }
        put(o, "}", 1);
        return true;
    }
    case JSON_ARRAY: {
        put(o, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                put(o, ",", 1);
            if (!dump(o, json_array_get(v, i), depth + 1))
                return false;
        }
        put(o, "]", 1);
        return true;
    }
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        return true;
    case JSON_INTEGER: {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(o, buf, (size_t)n);
        return true;
    }
    case JSON_REAL:
        return put_real(o, json_real_value(v));
    case JSON_TRUE:
        put(o, "true", 4);
        return true;
    case JSON_FALSE:
        put(o, "false", 5);
        return true;
    case JSON_NULL:
        put(o, "null", 4);
        return true;
    }
    return false;
}

char *jsonout_dump(const json_t *v, size_t *len)
{
    struct out o = {0};
    if (!v || !dump(&o, v, 0) || !grow(&o, 0)) {
        free(o.data);
        return NULL;
    }
    o.data[o.len] = '\0';
    *len = o.len;
    return o.data;
}
