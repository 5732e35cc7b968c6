#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/matcher.h"

struct hit {
    uint32_t id;
    size_t start, end;
};

struct hits {
    struct hit *v;
    size_t n, cap;
    size_t stop_after; /* 0 = never stop */
};

static int collect(void *ctx, uint32_t id, size_t start, size_t end)
{
    struct hits *h = ctx;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        cr_assert_not_null(h->v);
    }
    h->v[h->n++] = (struct hit){id, start, end};
    if (h->stop_after && h->n == h->stop_after)
        return 42;
    return 0;
}

static struct match_automaton *build(const char *const *pats, size_t n, unsigned flags)
{
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(match_pattern_add(ac, pats[i], strlen(pats[i]), (uint32_t)i, flags),
                     0);
    cr_assert_eq(match_automaton_build(ac), 0);
    return ac;
}

static void expect_hits(const struct hits *h, const struct hit *want, size_t n)
{
    cr_assert_eq(h->n, n, "got %zu hits, want %zu", h->n, n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(h->v[i].id, want[i].id, "hit %zu id", i);
        cr_expect_eq(h->v[i].start, want[i].start, "hit %zu start", i);
        cr_expect_eq(h->v[i].end, want[i].end, "hit %zu end", i);
    }
}

Test(matcher, overlapping_he_she_his_hers)
{
    static const char *const pats[] = {"he", "she", "his", "hers"};
    struct match_automaton *ac = build(pats, 4, 0);
    struct hits h = {0};
    const char *text = "ushers ahishers";
    cr_assert_eq(match_text_scan(ac, text, strlen(text), collect, &h), 0);
    /* ushers: she [1,4) he [2,4) hers [2,6); ahishers: his [8,11) she [10,13)
     * he [11,13) hers [11,15) */
    static const struct hit want[] = {
        {1, 1, 4},   {0, 2, 4},   {3, 2, 6},   {2, 8, 11},
        {1, 10, 13}, {0, 11, 13}, {3, 11, 15},
    };
    expect_hits(&h, want, sizeof want / sizeof want[0]);
    cr_expect_eq(match_pattern_count(ac), 4);
    free(h.v);
    match_automaton_free(ac);
}

Test(matcher, same_bytes_with_two_ids_and_nested_cjk)
{
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    cr_assert_eq(match_pattern_add(ac, "大模型", strlen("大模型"), 7, 0), 0);
    cr_assert_eq(match_pattern_add(ac, "模型", strlen("模型"), 8, 0), 0);
    cr_assert_eq(match_pattern_add(ac, "大模型", strlen("大模型"), 9, 0), 0);
    cr_assert_eq(match_automaton_build(ac), 0);
    struct hits h = {0};
    const char *text = "通用大模型安全";
    cr_assert_eq(match_text_scan(ac, text, strlen(text), collect, &h), 0);
    static const struct hit want[] = {{7, 6, 15}, {9, 6, 15}, {8, 9, 15}};
    expect_hits(&h, want, 3);
    free(h.v);
    match_automaton_free(ac);
}

Test(matcher, word_boundaries)
{
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    cr_assert_eq(match_pattern_add(ac, "ai", 2, 1, MATCH_WORD_BOUNDARY), 0);
    cr_assert_eq(match_pattern_add(ac, "ai", 2, 2, 0), 0);
    cr_assert_eq(match_pattern_add(ac, "5g", 2, 3, MATCH_WORD_BOUNDARY), 0);
    cr_assert_eq(match_automaton_build(ac), 0);
    struct hits h = {0};
    /* maintain (glued), ai (alone), 人工智能ai安全 (CJK neighbours are not word bytes),
     * ai5 (digit after), 5g, 55g */
    const char *text = "maintain ai 智能ai安全 ai5 5g 55g ai";
    cr_assert_eq(match_text_scan(ac, text, strlen(text), collect, &h), 0);
    size_t n1 = 0, n2 = 0, n3 = 0;
    for (size_t i = 0; i < h.n; i++) {
        if (h.v[i].id == 1) {
            n1++;
            cr_expect(h.v[i].start == 9 || h.v[i].start == 18 ||
                          h.v[i].start == strlen(text) - 2,
                      "boundary hit at %zu", h.v[i].start);
        }
        n2 += h.v[i].id == 2;
        n3 += h.v[i].id == 3;
    }
    cr_expect_eq(n1, 3, "ai with boundary: start, middle after CJK, end of text");
    cr_expect_eq(n2, 6, "ai without boundary matches everywhere");
    cr_expect_eq(n3, 1);
    free(h.v);
    match_automaton_free(ac);
}

Test(matcher, empty_text_and_pattern_longer_than_text)
{
    static const char *const pats[] = {"artificial intelligence", "x"};
    struct match_automaton *ac = build(pats, 2, 0);
    struct hits h = {0};
    cr_expect_eq(match_text_scan(ac, "", 0, collect, &h), 0);
    cr_expect_eq(match_text_scan(ac, NULL, 0, collect, &h), 0);
    cr_expect_eq(h.n, 0);
    cr_expect_eq(match_text_scan(ac, "artificial", 10, collect, &h), 0);
    cr_expect_eq(h.n, 0);
    cr_expect_eq(match_text_scan(ac, "ax", 2, collect, &h), 0);
    cr_expect_eq(h.n, 1);
    free(h.v);
    match_automaton_free(ac);
}

Test(matcher, callback_stops_scan)
{
    static const char *const pats[] = {"a"};
    struct match_automaton *ac = build(pats, 1, 0);
    struct hits h = {.stop_after = 2};
    cr_expect_eq(match_text_scan(ac, "aaaa", 4, collect, &h), 42);
    cr_expect_eq(h.n, 2);
    free(h.v);
    match_automaton_free(ac);
}

Test(matcher, misuse_is_einval_and_limits_hold)
{
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    struct hits h = {0};
    cr_expect_eq(match_pattern_add(ac, "", 0, 1, 0), STDTAX_EINVAL);
    cr_expect_eq(match_pattern_add(ac, "a", 1, 1, 1u << 7), STDTAX_EINVAL);
    cr_expect_eq(match_text_scan(ac, "a", 1, collect, &h), STDTAX_EINVAL, "not built");
    char big[1025];
    memset(big, 'a', sizeof big);
    cr_expect_eq(match_pattern_add(ac, big, 1025, 1, 0), STDTAX_ETOOBIG);
    cr_expect_eq(match_pattern_add(ac, big, 1024, UINT32_MAX, 0), 0);
    cr_expect_eq(match_automaton_build(ac), 0);
    cr_expect_eq(match_pattern_add(ac, "b", 1, 2, 0), STDTAX_EINVAL, "after build");
    cr_expect_eq(match_automaton_build(ac), STDTAX_EINVAL);
    cr_expect_eq(match_text_scan(ac, big, 1025, collect, &h), 0);
    cr_assert_eq(h.n, 2);
    cr_expect_eq(h.v[0].id, UINT32_MAX);
    cr_expect_eq(h.v[1].start, 1);
    free(h.v);
    match_automaton_free(ac);
}

Test(matcher, no_patterns)
{
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    cr_assert_eq(match_automaton_build(ac), 0);
    struct hits h = {0};
    cr_expect_eq(match_text_scan(ac, "abc", 3, collect, &h), 0);
    cr_expect_eq(h.n, 0);
    cr_expect_eq(match_pattern_count(ac), 0);
    match_automaton_free(ac);
}

/* --- randomised comparison with a naive reference --------------------------------- */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* Small alphabets make overlaps and repeats common.  Mixing a two-byte character's
 * bytes in exercises multi-byte transitions. */
static void random_bytes(char *buf, size_t n, int alphabet)
{
    static const char abc[] = "ab1 \xe4\xb8";
    for (size_t i = 0; i < n; i++)
        buf[i] = abc[rng() % (unsigned)alphabet];
}

struct ref_pat {
    char bytes[16];
    size_t len;
    unsigned flags;
};

static int hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    if (x->start != y->start) /* longer first */
        return x->start < y->start ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

Test(matcher, agrees_with_naive_reference_on_random_sets)
{
    rng_state = 0x5eed5eed12345678ull;
    for (int round = 0; round < 600; round++) {
        size_t npat = 1 + rng() % 40;
        int alphabet = 2 + (int)(rng() % 5);
        struct ref_pat pats[40];
        /* All dense, all sparse but the root, and a mix: the results must not
         * depend on the representation. */
        static const size_t dense_rows[] = {1, 7, MATCH_DENSE_ROWS_DEFAULT};
        size_t rows = dense_rows[round % 3];
        struct match_automaton *ac;
        cr_assert_eq(match_automaton_new(&ac), 0);
        cr_assert_eq(match_automaton_dense_set(ac, rows), 0);
        for (size_t p = 0; p < npat; p++) {
            if (p > 0 && rng() % 8 == 0) { /* a duplicate with another id */
                pats[p] = pats[rng() % p];
            } else {
                pats[p].len = 1 + rng() % 6;
                random_bytes(pats[p].bytes, pats[p].len, alphabet);
                pats[p].flags = rng() % 3 == 0 ? MATCH_WORD_BOUNDARY : 0;
            }
            cr_assert_eq(match_pattern_add(ac, pats[p].bytes, pats[p].len, (uint32_t)p,
                                           pats[p].flags),
                         0);
        }
        cr_assert_eq(match_automaton_build(ac), 0);

        char text[300];
        size_t tlen = rng() % sizeof text;
        random_bytes(text, tlen, alphabet);

        struct hits got = {0}, want = {0};
        cr_assert_eq(match_text_scan(ac, text, tlen, collect, &got), 0);
        for (size_t p = 0; p < npat; p++) {
            for (size_t s = 0; s + pats[p].len <= tlen; s++) {
                if (memcmp(text + s, pats[p].bytes, pats[p].len) != 0)
                    continue;
                size_t e = s + pats[p].len;
                if ((pats[p].flags & MATCH_WORD_BOUNDARY) &&
                    ((s > 0 && word_byte((unsigned char)text[s - 1])) ||
                     (e < tlen && word_byte((unsigned char)text[e]))))
                    continue;
                collect(&want, (uint32_t)p, s, e);
            }
        }
        /* The contract's order: by end, longest first, then in the order added
         * (ids here are the add order). */
        if (want.n)
            qsort(want.v, want.n, sizeof *want.v, hit_cmp);
        cr_assert_eq(got.n, want.n, "round %d (%zu dense): %zu hits, want %zu", round,
                     rows, got.n, want.n);
        for (size_t i = 0; i < got.n; i++)
            cr_assert(got.v[i].id == want.v[i].id && got.v[i].start == want.v[i].start &&
                          got.v[i].end == want.v[i].end,
                      "round %d hit %zu: (%u,%zu,%zu) want (%u,%zu,%zu)", round, i,
                      got.v[i].id, got.v[i].start, got.v[i].end, want.v[i].id,
                      want.v[i].start, want.v[i].end);
        free(got.v);
        free(want.v);
        match_automaton_free(ac);
    }
}

/* Many patterns sharing prefixes and suffixes: a larger automaton than the random
 * rounds, checked against strstr on NUL-free text. */
static void many_patterns_against_strstr(size_t dense_rows)
{
    rng_state = 42;
    enum { NPAT = 2000, TLEN = 20000 };
    static char pats[NPAT][12];
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    cr_assert_eq(match_automaton_dense_set(ac, dense_rows), 0);
    for (size_t p = 0; p < NPAT; p++) {
        size_t len = 2 + rng() % 10;
        random_bytes(pats[p], len, 6);
        pats[p][len] = '\0';
        cr_assert_eq(match_pattern_add(ac, pats[p], len, (uint32_t)p, 0), 0);
    }
    cr_assert_eq(match_automaton_build(ac), 0);
    static char text[TLEN + 1];
    random_bytes(text, TLEN, 6);
    text[TLEN] = '\0';
    size_t *count = calloc(NPAT, sizeof *count);
    struct hits got = {0};
    cr_assert_eq(match_text_scan(ac, text, TLEN, collect, &got), 0);
    size_t prev_end = 0;
    for (size_t i = 0; i < got.n; i++) {
        cr_assert_geq(got.v[i].end, prev_end, "ordered by end");
        prev_end = got.v[i].end;
        cr_assert_eq(memcmp(text + got.v[i].start, pats[got.v[i].id],
                            got.v[i].end - got.v[i].start),
                     0);
        count[got.v[i].id]++;
    }
    for (size_t p = 0; p < NPAT; p++) {
        size_t n = 0;
        for (const char *q = text; (q = strstr(q, pats[p])) != NULL; q++)
            n++;
        cr_assert_eq(count[p], n, "pattern %zu \"%s\": %zu hits, strstr %zu", p, pats[p],
                     count[p], n);
    }
    free(count);
    free(got.v);
    match_automaton_free(ac);
}

Test(matcher, many_patterns_against_strstr_default_dense)
{
    many_patterns_against_strstr(MATCH_DENSE_ROWS_DEFAULT);
}

Test(matcher, many_patterns_against_strstr_sparse)
{
    many_patterns_against_strstr(1);
}

Test(matcher, many_patterns_against_strstr_all_dense)
{
    many_patterns_against_strstr(MATCH_DENSE_ROWS_MAX);
}

Test(matcher, dense_set_validates)
{
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    cr_expect_eq(match_automaton_dense_set(ac, 0), STDTAX_EINVAL);
    cr_expect_eq(match_automaton_dense_set(ac, MATCH_DENSE_ROWS_MAX + 1), STDTAX_EINVAL);
    cr_expect_eq(match_automaton_dense_set(ac, 1), 0);
    cr_assert_eq(match_automaton_build(ac), 0);
    cr_expect_eq(match_automaton_dense_set(ac, 2), STDTAX_EINVAL, "after build");
    match_automaton_free(ac);
}

/* The automaton is read-only after build: threads scanning at once see the same hits
 * as one thread. */
struct thread_job {
    const struct match_automaton *ac;
    const char *text;
    size_t len;
    struct hits hits;
};

static void *scan_thread(void *arg)
{
    struct thread_job *job = arg;
    for (int i = 0; i < 20; i++) {
        job->hits.n = 0;
        if (match_text_scan(job->ac, job->text, job->len, collect, &job->hits) != 0)
            return arg;
    }
    return NULL;
}

Test(matcher, concurrent_scans_agree)
{
    rng_state = 7;
    struct match_automaton *ac;
    cr_assert_eq(match_automaton_new(&ac), 0);
    cr_assert_eq(match_automaton_dense_set(ac, 16), 0); /* both paths in use */
    for (uint32_t p = 0; p < 300; p++) {
        char pat[8];
        size_t len = 1 + rng() % 7;
        random_bytes(pat, len, 6);
        cr_assert_eq(match_pattern_add(ac, pat, len, p, rng() % 2), 0);
    }
    cr_assert_eq(match_automaton_build(ac), 0);
    static char text[5000];
    random_bytes(text, sizeof text, 6);

    struct hits one = {0};
    cr_assert_eq(match_text_scan(ac, text, sizeof text, collect, &one), 0);
    cr_assert_gt(one.n, 0);
    enum { NT = 4 };
    pthread_t th[NT];
    struct thread_job jobs[NT];
    for (int i = 0; i < NT; i++) {
        jobs[i] = (struct thread_job){ac, text, sizeof text, {0}};
        cr_assert_eq(pthread_create(&th[i], NULL, scan_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < NT; i++) {
        void *rv;
        cr_assert_eq(pthread_join(th[i], &rv), 0);
        cr_expect_null(rv);
        cr_expect_eq(jobs[i].hits.n, one.n);
        for (size_t k = 0; k < one.n && k < jobs[i].hits.n; k++)
            cr_expect(jobs[i].hits.v[k].id == one.v[k].id &&
                          jobs[i].hits.v[k].start == one.v[k].start &&
                          jobs[i].hits.v[k].end == one.v[k].end,
                      "thread %d hit %zu", i, k);
        free(jobs[i].hits.v);
    }
    free(one.v);
    match_automaton_free(ac);
}
