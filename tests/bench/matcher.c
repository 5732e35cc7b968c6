/* Throughput of the Aho-Corasick matcher against a naive memmem-per-pattern loop.
 *
 * Patterns are random mixes of CJK ideographs and short ASCII words (what the taxonomy
 * keywords look like); the text is the same vocabulary passed through norm_text_new
 * and cut to 1 MiB, with about one pattern planted per 160 bytes so that the output
 * path is exercised too.  Fixed seed: runs are comparable.  Run with `make
 * bench-matcher`; `tests/bench/matcher ROWS` sets the dense rows
 * (match_automaton_dense_set). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdtax/matcher.h"
#include "stdtax/normalise.h"
#include "stdtax/utf8.h"

#define TEXT_BYTES (1u << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* Appends one token (a CJK ideograph among the 3000 most common-looking block
 * positions, or an ASCII word) and returns the new length. */
static size_t token_append(char *buf, size_t n)
{
    if (rng() % 4 == 0) {
        static const char letters[] = "abcdefghilmnoprstu";
        size_t w = 2 + rng() % 6;
        if (n > 0)
            buf[n++] = ' ';
        for (size_t i = 0; i < w; i++)
            buf[n++] = letters[rng() % (sizeof letters - 1)];
        buf[n++] = ' ';
        return n;
    }
    return n + utf8_char_encode(0x4E00 + rng() % 3000, buf + n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_hit(void *ctx, uint32_t id, size_t start, size_t end)
{
    (void)id, (void)start, (void)end;
    ++*(size_t *)ctx;
    return 0;
}

struct pat {
    char *bytes;
    size_t len;
};

int main(int argc, char **argv)
{
    /* optional: dense rows per automaton (see match_automaton_dense_set) */
    size_t dense_rows = argc > 1 ? strtoul(argv[1], NULL, 10) : MATCH_DENSE_ROWS_DEFAULT;
    static const size_t sizes[] = {100, 1000, 10000};
    enum { NSIZES = sizeof sizes / sizeof sizes[0] };
    const size_t nmax = sizes[NSIZES - 1];

    struct pat *pats = calloc(nmax, sizeof *pats);
    for (size_t p = 0; p < nmax; p++) {
        char buf[128];
        size_t n = 0, tokens = 2 + rng() % 4;
        for (size_t t = 0; t < tokens; t++)
            n = token_append(buf, n);
        buf[n] = '\0';
        pats[p].bytes = norm_string_new(buf); /* keywords are normalised too */
        pats[p].len = strlen(pats[p].bytes);
    }

    char *raw = malloc(TEXT_BYTES + TEXT_BYTES / 8 + 256);
    size_t rn = 0;
    while (rn < TEXT_BYTES + TEXT_BYTES / 8) {
        if (rng() % 40 == 0) {
            /* plant a pattern from the smallest set so every N sees some hits */
            const struct pat *p = &pats[rng() % sizes[0]];
            raw[rn++] = ' ';
            memcpy(raw + rn, p->bytes, p->len);
            rn += p->len;
            raw[rn++] = ' ';
        } else {
            rn = token_append(raw, rn);
        }
    }
    struct norm_text text;
    if (norm_text_new(raw, rn, &text, NULL) != 0) {
        fprintf(stderr, "normalise failed\n");
        return 1;
    }
    free(raw);
    /* exactly 1 MiB, or just under it at a character boundary */
    if (text.len > TEXT_BYTES) {
        text.len = TEXT_BYTES;
        while ((text.bytes[text.len] & 0xC0) == 0x80)
            text.len--;
        text.bytes[text.len] = '\0';
    }
    printf("text: %zu bytes normalised; MB = 10^6 bytes; dense rows: %zu\n", text.len,
           dense_rows);
    printf("%6s %9s %10s %11s %11s %8s\n", "N", "build_ms", "hits", "ac_MB/s",
           "naive_MB/s", "ratio");

    for (size_t si = 0; si < NSIZES; si++) {
        size_t n = sizes[si];
        double t0 = now();
        struct match_automaton *ac;
        if (match_automaton_new(&ac) != 0 ||
            match_automaton_dense_set(ac, dense_rows) != 0)
            return 1;
        for (size_t p = 0; p < n; p++)
            if (match_pattern_add(ac, pats[p].bytes, pats[p].len, (uint32_t)p, 0) != 0)
                return 1;
        if (match_automaton_build(ac) != 0)
            return 1;
        double build_ms = (now() - t0) * 1e3;

        size_t hits = 0, reps = 0;
        t0 = now();
        double el;
        do {
            hits = 0;
            match_text_scan(ac, text.bytes, text.len, count_hit, &hits);
            reps++;
        } while ((el = now() - t0) < 0.5);
        double ac_mbs = (double)text.len * (double)reps / el / 1e6;

        char naive_col[16] = "-", ratio_col[16] = "-";
        if (n <= 1000) {
            size_t nh = 0;
            reps = 0;
            t0 = now();
            do {
                nh = 0;
                for (size_t p = 0; p < n; p++) {
                    const char *q = text.bytes, *end = text.bytes + text.len;
                    while ((q = memmem(q, (size_t)(end - q), pats[p].bytes,
                                       pats[p].len)) != NULL) {
                        nh++;
                        q++;
                    }
                }
                reps++;
            } while ((el = now() - t0) < 0.5);
            double naive_mbs = (double)text.len * (double)reps / el / 1e6;
            if (nh != hits) {
                fprintf(stderr, "N=%zu: automaton %zu hits, memmem %zu\n", n, hits, nh);
                return 1;
            }
            snprintf(naive_col, sizeof naive_col, "%.1f", naive_mbs);
            snprintf(ratio_col, sizeof ratio_col, "%.1fx", ac_mbs / naive_mbs);
        }
        printf("%6zu %9.1f %10zu %11.1f %11s %8s\n", n, build_ms, hits, ac_mbs, naive_col,
               ratio_col);
        match_automaton_free(ac);
    }
    norm_text_free(&text);
    for (size_t p = 0; p < nmax; p++)
        free(pats[p].bytes);
    free(pats);
    return 0;
}
