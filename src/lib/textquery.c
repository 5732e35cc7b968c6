/* The text query of a proposal listing: normalised words, all of which must occur. */
#include "stdtax/textquery.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/normalise.h"

/* What a secretariat user searches a proposal by: its titles, its scope, the proposing
 * or lead unit, and the numbers written on paper (the record id, the standard it
 * revises, the adopted international standard, the ICS and CCS codes).  Long prose
 * (purpose, situation) is left out: a word there says little about the proposal. */
static const struct {
    const char *member;
    const char *sub; /* a member of the object `member`, or NULL */
} searched[] = {
    {"id", NULL},       {"title", NULL},    {"title_en", NULL},
    {"organisation", NULL}, {"scope", NULL}, {"replaces", NULL},
    {"adoption", "number"}, {"ics", NULL},  {"ccs", NULL},
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
                                "a text query has at most %d bytes, not %zu", TQ_QUERY_MAX,
                                len);
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

bool tq_record_match(const struct tq_query *q, const json_t *record)
{
    const char *val[N_SEARCHED];
    size_t len[N_SEARCHED], total = 0;
    for (size_t i = 0; i < N_SEARCHED; i++) {
        const json_t *v = json_object_get(record, searched[i].member);
        if (searched[i].sub)
            v = json_object_get(v, searched[i].sub);
        /* jansson's strings are valid UTF-8; strlen stops before any \u0000, which the
         * normaliser must not see. */
        val[i] = json_string_value(v);
        len[i] = val[i] ? strlen(val[i]) : 0;
        total += len[i] + 1;
    }
    /* Each field normalised (never longer than its input) and ended by '\n', which
     * the normaliser never writes: a word cannot span two fields. */
    char stack[STACK_TEXT];
    char *hay = total + 1 <= sizeof stack ? stack : malloc(total + 1);
    if (!hay)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < N_SEARCHED; i++) {
        if (!val[i])
            continue;
        o += norm_text_fill(val[i], len[i], hay + o, NULL);
        hay[o++] = '\n';
    }
    hay[o] = 0;
    bool match = o > 0;
    for (size_t i = 0; match && i < q->n_words; i++)
        match = strstr(hay, q->words[i]) != NULL;
    if (hay != stack)
        free(hay);
    return match;
}

int tq_record_match_fn(const json_t *record, void *arg)
{
    return tq_record_match(arg, record);
}
