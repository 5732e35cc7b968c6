/* The text query of a proposal listing: normalised words, all of which must occur. */
#include "stdtax/textquery.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/jsonflat.h"
#include "stdtax/normalise.h"
#include "stdtax/utf8.h"

/* What a secretariat user searches a proposal by: its titles, its scope, the proposing
 * or lead unit, and the numbers written on paper (the record id, the standard it
 * revises, the adopted international standard, the ICS and CCS codes).  Long prose
 * (purpose, situation) is left out: a word there says little about the proposal. */
static const struct {
    const char *member;
    const char *sub; /* a member of the object `member`, or NULL */
} searched[] = {
    {"id", NULL},           {"title", NULL}, {"title_en", NULL},
    {"organisation", NULL}, {"scope", NULL}, {"replaces", NULL},
    {"adoption", "number"}, {"ics", NULL},   {"ccs", NULL},
};
#define N_SEARCHED (sizeof searched / sizeof searched[0])

/* Fields of a usual record fit here; a longer scope takes the heap. */
#define STACK_TEXT 4096

struct tq_query {
    char *text;   /* normalised, words separated by one space */
    char *split;  /* the same bytes with NULs between the words */
    char **words; /* into split */
    size_t n_words;
};

int tq_query_new(const char *text, struct tq_query **out, struct stdtax_error *err)
{
    *out = NULL;
    size_t len = text ? strlen(text) : 0;
    if (len > TQ_QUERY_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                "a text query has at most %d bytes, not %zu",
                                TQ_QUERY_MAX, len);
    struct norm_text nt;
    struct stdtax_error nerr = {0};
    int rc = norm_text_new(text ? text : "", len, &nt, &nerr);
    if (rc == STDTAX_EUTF8)
        return stdtax_error_set(err, rc, "", "a text query must be UTF-8 text: %s",
                                nerr.text);
    if (rc)
        return stdtax_error_set(err, rc, "", "%s", nerr.text);
    free(nt.src_offset);
    if (nt.len == 0) {
        free(nt.bytes);
        return stdtax_error_set(err, STDTAX_EEMPTY, "",
                                "a text query needs a letter, digit or ideograph; "
                                "spaces and punctuation alone match nothing");
    }
    struct tq_query *q = calloc(1, sizeof *q);
    size_t n_words = 1;
    for (size_t i = 0; i < nt.len; i++)
        n_words += nt.bytes[i] == ' ';
    if (q) {
        q->text = nt.bytes;
        q->split = strdup(nt.bytes);
        q->words = calloc(n_words, sizeof *q->words);
    }
    if (!q || !q->split || !q->words) {
        if (q) {
            free(q->split);
            free(q->words);
            free(q);
        }
        free(nt.bytes);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    /* The normaliser trims and collapses runs, so every space separates two words. */
    char *w = q->split;
    for (;;) {
        q->words[q->n_words++] = w;
        char *sp = strchr(w, ' ');
        if (!sp)
            break;
        *sp = 0;
        w = sp + 1;
    }
    *out = q;
    return 0;
}

void tq_query_free(struct tq_query *q)
{
    if (!q)
        return;
    free(q->text);
    free(q->split);
    free(q->words);
    free(q);
}

const char *tq_query_text(const struct tq_query *q)
{
    return q->text;
}

bool tq_fields_match(const struct tq_query *q, const char *const *val, const size_t *len,
                     size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += val[i] ? len[i] + 1 : 0;
    if (total == 0)
        return false;
    /* Each field normalised (never longer than its input) and ended by '\n', which
     * the normaliser never writes: a word cannot span two fields. */
    char stack[STACK_TEXT];
    char *hay = total + 1 <= sizeof stack ? stack : malloc(total + 1);
    if (!hay)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (!val[i])
            continue;
        o += norm_text_fill(val[i], len[i], hay + o, NULL);
        hay[o++] = '\n';
    }
    hay[o] = 0;
    bool match = true;
    for (size_t i = 0; match && i < q->n_words; i++)
        match = strstr(hay, q->words[i]) != NULL;
    if (hay != stack)
        free(hay);
    return match;
}

bool tq_record_match(const struct tq_query *q, const json_t *record)
{
    const char *val[N_SEARCHED];
    size_t len[N_SEARCHED];
    for (size_t i = 0; i < N_SEARCHED; i++) {
        const json_t *v = json_object_get(record, searched[i].member);
        if (searched[i].sub)
            v = json_object_get(v, searched[i].sub);
        /* jansson's strings are valid UTF-8; strlen stops before any \u0000, which the
         * normaliser must not see. */
        val[i] = json_string_value(v);
        len[i] = val[i] ? strlen(val[i]) : 0;
    }
    return tq_fields_match(q, val, len, N_SEARCHED);
}

/* ---- the stored text ------------------------------------------------------------
 * Parsing a whole record costs about a hundred times more than testing it (its
 * classification evidence is most of its bytes), so the listing's test reads the
 * few members it needs straight from the JSON text.  The text is the store's own
 * (compact, sorted keys) but is read as untrusted: anything malformed is no match. */

struct scan {
    const char *p, *end;
    char *out; /* decoded strings go here (decoding never lengthens text) */
    size_t o;
};

static void ws(struct scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* At a '"': the string decoded into s->out at s->o; kept (its start in *at) or, with
 * at NULL, passed over (the bytes are written and dropped).  0 on malformed text. */
static int string_scan(struct scan *s, size_t *at, size_t *len)
{
    size_t n;
    if (!jsonflat_string_decode(&s->p, s->end, s->out + s->o, &n))
        return 0;
    if (at) {
        *at = s->o;
        *len = n;
        s->o += n;
    }
    return 1;
}

/* Passes over any value; nesting is followed with a depth count, not recursion. */
static int value_skip(struct scan *s)
{
    ws(s);
    if (s->p >= s->end)
        return 0;
    if (*s->p == '"')
        return string_scan(s, NULL, NULL);
    if (*s->p != '{' && *s->p != '[') {
        while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
            s->p++;
        return s->p < s->end;
    }
    size_t depth = 0;
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '"') {
            if (!string_scan(s, NULL, NULL))
                return 0;
            continue;
        }
        s->p++;
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return 1;
    }
    return 0;
}

/* Walks the object at s->p; parent is NULL for the record, else the member the object
 * is the value of.  Searched strings land in val/len (offsets into s->out until the
 * caller turns them into pointers). */
static int object_walk(struct scan *s, const char *parent, size_t *at, size_t *len,
                       bool *found)
{
    ws(s);
    if (s->p >= s->end || *s->p != '{')
        return 0;
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 1;
    }
    for (;;) {
        ws(s);
        if (s->p >= s->end || *s->p != '"')
            return 0;
        /* keys are decoded into out and dropped again */
        size_t mark = s->o, kat = 0, klen = 0;
        if (!string_scan(s, &kat, &klen))
            return 0;
        char key[32];
        bool short_key = klen < sizeof key;
        if (short_key) {
            memcpy(key, s->out + kat, klen);
            key[klen] = 0;
        }
        s->o = mark;
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return 0;
        s->p++;
        ws(s);
        if (s->p >= s->end)
            return 0;
        int done = 0;
        for (size_t i = 0; short_key && !done && i < N_SEARCHED; i++) {
            const char *name = parent ? searched[i].sub : searched[i].member;
            if (!name || strcmp(name, key) != 0 ||
                (parent && strcmp(searched[i].member, parent) != 0))
                continue;
            if (!parent && searched[i].sub) {
                if (*s->p != '{')
                    continue;
                if (!object_walk(s, searched[i].member, at, len, found))
                    return 0;
                done = 1;
            } else if (*s->p == '"') {
                if (!string_scan(s, &at[i], &len[i]))
                    return 0;
                found[i] = true;
                done = 1;
            }
        }
        if (!done && !value_skip(s))
            return 0;
        ws(s);
        if (s->p >= s->end)
            return 0;
        if (*s->p == '}') {
            s->p++;
            return 1;
        }
        if (*s->p != ',')
            return 0;
        s->p++;
    }
}

bool tq_text_match(const struct tq_query *q, const char *text, size_t len)
{
    /* what is kept never outgrows what was read, and one string more (with its NUL)
     * fits in the rest */
    char stack[STACK_TEXT];
    char *out = len + 1 <= sizeof stack ? stack : malloc(len + 1);
    if (!out)
        return false;
    struct scan s = {text, text + len, out, 0};
    size_t at[N_SEARCHED], n[N_SEARCHED];
    bool found[N_SEARCHED] = {false};
    bool match = false;
    if (object_walk(&s, NULL, at, n, found)) {
        const char *val[N_SEARCHED];
        bool ok = true;
        for (size_t i = 0; i < N_SEARCHED; i++) {
            val[i] = found[i] ? out + at[i] : NULL;
            /* the normaliser takes valid UTF-8 only */
            if (val[i] && utf8_text_validate(val[i], n[i], NULL) != 0)
                ok = false;
        }
        match = ok && tq_fields_match(q, val, n, N_SEARCHED);
    }
    if (out != stack)
        free(out);
    return match;
}

int tq_text_match_fn(const char *text, size_t len, void *arg)
{
    return tq_text_match(arg, text, len);
}
