/* Shingles, MinHash, LSH bands, the overlap score and the common spans.
 *
 * Decisions:
 * - CJK text is cut into character bigrams inside runs of ideographs (no segmenter
 *   needed; a run of one ideograph gives that ideograph).  Bigrams never cross a space
 *   or punctuation, so reordering the segments of a title keeps every shingle.
 * - Everything else is cut into words at spaces and at the change to CJK; stop words
 *   go, a plural "s"/"ies" is folded, so "systems" and "system" meet.
 * - Series prefixes say which committee's series a standard is in, not what it is
 *   about; proposers add and drop them freely, so titles lose them before shingling. */
#include "stdtax/similar.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/normalise.h"
#include "stdtax/utf8.h"

/* Normalised forms (lower case, punctuation as one space), longest first where one is
 * the start of another.  Each must be followed by a space or the end of the text. */
static const char *const series_prefixes[] = {
    "信息安全技术",
    "网络安全技术",
    "信息技术",
    "人工智能",
    "information security technology",
    "information technology",
    "artificial intelligence",
    "cybersecurity technology",
    "ieee draft standard for",
    "ieee draft standard",
    "ieee standard for",
    "ieee standard",
    "ieee recommended practice for",
    "ieee draft recommended practice for",
    "ieee guide for",
    "ieee draft guide for",
    "ai",
};

static const char *const stop_words[] = {
    "a",     "an", "and",   "as",  "at",   "based",   "be",      "by",       "for",
    "from",  "in", "into",  "is",  "its",  "of",      "on",      "or",       "the",
    "their", "to", "using", "via", "with", "edition", "version", "revision", "draft",
};

/* Ideographs that say nothing alone: part and edition markers, conjunctions. */
static const char *const lone_stop[] = {"第", "版", "和", "与", "及", "的", "部"};

static int year_like(const char *w, size_t n)
{
    return n == 4 && (memcmp(w, "19", 2) == 0 || memcmp(w, "20", 2) == 0) &&
           w[2] >= '0' && w[2] <= '9' && w[3] >= '0' && w[3] <= '9';
}

static uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser: every input bit reaches every output bit. */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

#define FNV_BASIS UINT64_C(0xcbf29ce484222325)

static int is_cjk(uint32_t c)
{
    return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF) || c == 0x3007;
}

struct hbuf {
    uint32_t *h;
    size_t n, cap;
    int oom;
};

static void hbuf_add(struct hbuf *b, uint64_t v64)
{
    uint32_t v = (uint32_t)(v64 >> 32); /* the mixed high half; bit 31 = script */
    if (b->oom)
        return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        uint32_t *h = realloc(b->h, cap * sizeof *h);
        if (!h) {
            b->oom = 1;
            return;
        }
        b->h = h;
        b->cap = cap;
    }
    b->h[b->n++] = v;
}

static void word_add(struct hbuf *b, const char *w, size_t n)
{
    char tmp[64];
    if (n == 0 || year_like(w, n)) /* an edition year is not what a standard is about */
        return;
    if (n >= sizeof tmp)
        n = sizeof tmp - 1;
    memcpy(tmp, w, n);
    tmp[n] = 0;
    for (size_t i = 0; n <= 8 && i < sizeof stop_words / sizeof stop_words[0]; i++)
        if (strcmp(tmp, stop_words[i]) == 0) /* none is longer than 8 */
            return;
    if (n > 4 && memcmp(tmp + n - 3, "ies", 3) == 0) {
        tmp[n - 3] = 'y';
        n -= 2;
    } else if (n > 3 && tmp[n - 1] == 's' && tmp[n - 2] != 's') {
        n--;
    }
    hbuf_add(b, mix64(fnv1a(tmp, n, FNV_BASIS ^ 'w')) | ((uint64_t)SIM_LATIN_BIT << 32));
}

static size_t prefix_skip(const char *t, size_t len)
{
    size_t p = 0;
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof series_prefixes / sizeof series_prefixes[0]; i++) {
            size_t n = strlen(series_prefixes[i]);
            if (len - p >= n && memcmp(t + p, series_prefixes[i], n) == 0 &&
                (p + n == len || t[p + n] == ' ')) {
                p += n;
                while (p < len && t[p] == ' ')
                    p++;
                again = p < len;
                break;
            }
        }
    }
    return p < len ? p : 0; /* a title that is only prefixes keeps them */
}

/* A series name standing anywhere else as a whole segment (Chinese) or as whole words
 * (English) is blanked out too: a proposer moves it to the end as easily as to the
 * front.  Unless nothing else would remain. */
static void series_blank(char *t, size_t from, size_t len)
{
    size_t kept = 0;
    char *mark = calloc(len + 1, 1);
    if (!mark)
        return;
    for (size_t p = from; p < len;) {
        size_t e = p;
        while (e < len && t[e] != ' ')
            e++;
        size_t n = 0;
        for (size_t i = 0; i < sizeof series_prefixes / sizeof series_prefixes[0] && !n;
             i++) {
            size_t l = strlen(series_prefixes[i]);
            int latin = (unsigned char)series_prefixes[i][0] < 0x80;
            if (latin ? (len - p >= l && memcmp(t + p, series_prefixes[i], l) == 0 &&
                         (p + l == len || t[p + l] == ' '))
                      : (e - p == l && memcmp(t + p, series_prefixes[i], l) == 0))
                n = l;
        }
        if (n) {
            memset(mark + p, 1, n);
            e = p + n;
        } else {
            kept += e - p;
        }
        p = e < len ? e + 1 : e;
    }
    if (kept)
        for (size_t p = from; p < len; p++)
            if (mark[p])
                t[p] = ' ';
    free(mark);
}

static int lone_stopped(const char *c, size_t n)
{
    for (size_t i = 0; i < sizeof lone_stop / sizeof lone_stop[0]; i++)
        if (strlen(lone_stop[i]) == n && memcmp(c, lone_stop[i], n) == 0)
            return 1;
    return 0;
}

/* Sorts v[0..n) ascending: an inline-compare quicksort (qsort's callback per
 * comparison was a tenth of an overlap query). */
static void sort_u32(uint32_t *v, size_t n)
{
    while (n > 16) {
        uint32_t a = v[0], b = v[n / 2], c = v[n - 1];
        uint32_t pivot =
            a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint32_t t = v[i];
            v[i++] = v[j];
            v[j--] = t;
        }
        /* Recurse into the smaller side, loop on the larger. */
        if (j + 1 < n - j - 1) {
            sort_u32(v, j + 1);
            v += j + 1;
            n -= j + 1;
        } else {
            sort_u32(v + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t k = i;
        for (; k > 0 && v[k - 1] > x; k--)
            v[k] = v[k - 1];
        v[k] = x;
    }
}

static int set_finish(struct hbuf *b, struct sim_set *out)
{
    if (b->oom) {
        free(b->h);
        return STDTAX_ENOMEM;
    }
    size_t n = 0;
    if (b->n) {
        sort_u32(b->h, b->n);
        for (size_t i = 0; i < b->n; i++)
            if (n == 0 || b->h[i] != b->h[n - 1])
                b->h[n++] = b->h[i];
    }
    if (n > SIM_SHINGLES_MAX)
        n = SIM_SHINGLES_MAX;
    out->h = b->h;
    out->n = n;
    out->n_cjk = 0;
    while (out->n_cjk < n && !(out->h[out->n_cjk] & SIM_LATIN_BIT))
        out->n_cjk++;
    return 0;
}

int sim_set_from(const uint32_t *h, size_t n, struct sim_set *out)
{
    struct hbuf b = {0};
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        hbuf_add(&b, (uint64_t)h[i] << 32);
    return set_finish(&b, out);
}

/* The end of the last whole character at or before max bytes. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

int sim_set_new(const char *text, size_t len, int title, struct sim_set *out,
                struct stdtax_error *err)
{
    memset(out, 0, sizeof *out);
    struct norm_text nt;
    len = utf8_cut(text, len, SIM_TEXT_MAX);
    int rc = norm_text_new(text, len, &nt, err);
    if (rc)
        return rc;
    struct hbuf b = {0};
    size_t p = 0;
    if (title) {
        p = prefix_skip(nt.bytes, nt.len);
        series_blank(nt.bytes, p, nt.len);
    }
    size_t word = 0, word_len = 0; /* the word being read */
    uint32_t prev = 0;             /* previous ideograph of the current CJK run */
    size_t run = 0;                /* ideographs in the current CJK run */
    size_t prev_off = 0, prev_n = 0;
    while (p <= nt.len) {
        uint32_t c = ' ';
        size_t n = 1;
        if (p < nt.len)
            n = utf8_char_decode(nt.bytes + p, nt.len - p, &c);
        if (n == 0)
            break; /* cannot happen: normalised text is valid UTF-8 */
        int cjk = is_cjk(c);
        if (!cjk && run == 1 && !lone_stopped(nt.bytes + prev_off, prev_n))
            hbuf_add(&b, mix64(fnv1a(nt.bytes + prev_off, prev_n, FNV_BASIS ^ 'c')) &
                             ~((uint64_t)SIM_LATIN_BIT << 32)); /* a lone ideograph */
        if (cjk) {
            if (word_len) {
                word_add(&b, nt.bytes + word, word_len);
                word_len = 0;
            }
            if (run >= 1)
                hbuf_add(&b,
                         mix64(fnv1a(nt.bytes + prev_off, prev_n + n, FNV_BASIS ^ 'c')) &
                             ~((uint64_t)SIM_LATIN_BIT << 32));
            run++;
            prev = c;
            prev_off = p;
            prev_n = n;
        } else {
            run = 0;
            if (c == ' ') {
                word_add(&b, nt.bytes + word, word_len);
                word_len = 0;
            } else {
                if (word_len == 0)
                    word = p;
                word_len += n;
            }
        }
        p += n;
    }
    (void)prev;
    norm_text_free(&nt);
    rc = set_finish(&b, out);
    if (rc)
        return stdtax_error_set(err, rc, "", "out of memory");
    return 0;
}

void sim_set_free(struct sim_set *set)
{
    if (!set)
        return;
    free(set->h);
    memset(set, 0, sizeof *set);
}

void sim_minhash_n(const uint32_t *h, size_t n, uint64_t *sig, int k)
{
    /* h_i(x) = a_i x + b_i mod 2^64 with fixed odd a_i: a permutation of the already
     * mixed shingle hashes, two operations per function (the signatures are stored,
     * so the constants never change). */
    uint64_t a[SIM_HASHES], b[SIM_HASHES];
    uint64_t s = UINT64_C(0x5851f42d4c957f2d);
    if (k > SIM_HASHES)
        k = SIM_HASHES;
    for (int i = 0; i < k; i++) {
        s += UINT64_C(0x9e3779b97f4a7c15);
        a[i] = mix64(s) | 1;
        s += UINT64_C(0x9e3779b97f4a7c15);
        b[i] = mix64(s);
        sig[i] = UINT64_MAX;
    }
    for (size_t j = 0; j < n; j++) {
        uint64_t x = h[j];
        for (int i = 0; i < k; i++) {
            uint64_t v = a[i] * x + b[i];
            if (v < sig[i])
                sig[i] = v;
        }
    }
}

void sim_minhash(const uint32_t *h, size_t n, uint64_t sig[SIM_HASHES])
{
    sim_minhash_n(h, n, sig, SIM_HASHES);
}

void sim_bands_n(const uint64_t *sig, uint64_t *bands, int nb)
{
    for (int b = 0; b < nb && b < SIM_BANDS; b++) {
        uint64_t k = mix64((uint64_t)b + 1);
        for (int r = 0; r < SIM_ROWS; r++)
            k = mix64(k ^ sig[b * SIM_ROWS + r]);
        bands[b] = k;
    }
}

void sim_bands(const uint64_t sig[SIM_HASHES], uint64_t bands[SIM_BANDS])
{
    sim_bands_n(sig, bands, SIM_BANDS);
}

size_t sim_common(const struct sim_set *q, const struct sim_set *r)
{
    size_t i = 0, j = 0, c = 0;
    while (i < q->n && j < r->n) {
        if (q->h[i] < r->h[j])
            i++;
        else if (q->h[i] > r->h[j])
            j++;
        else {
            c++;
            i++;
            j++;
        }
    }
    return c;
}

#define SCORE_RECORDS_MAX 4

double sim_score(const struct sim_set *q, const struct sim_set *const *r, size_t nr)
{
    if (!q || q->n == 0)
        return 0;
    if (nr > SCORE_RECORDS_MAX)
        nr = SCORE_RECORDS_MAX;
    size_t pos[SCORE_RECORDS_MAX] = {0}, common[SCORE_RECORDS_MAX] = {0};
    size_t in_any = 0;
    for (size_t i = 0; i < q->n; i++) {
        int found = 0;
        for (size_t k = 0; k < nr; k++) {
            if (!r[k])
                continue;
            while (pos[k] < r[k]->n && r[k]->h[pos[k]] < q->h[i])
                pos[k]++;
            if (pos[k] < r[k]->n && r[k]->h[pos[k]] == q->h[i]) {
                common[k]++;
                found = 1;
            }
        }
        in_any += found;
    }
    double cov = 0;
    for (size_t k = 0; k < nr; k++)
        if (r[k] && r[k]->n)
            cov += (double)common[k] / (double)r[k]->n;
    if (cov > 1)
        cov = 1;
    double contained = (double)in_any / (double)q->n;
    return contained < cov ? contained : cov;
}

/* ---- spans ------------------------------------------------------------------ */

struct cps {
    uint32_t *cp;
    size_t *off; /* byte offset in the normalised text */
    size_t n;
};

static int cps_make(const struct norm_text *t, struct cps *c)
{
    c->n = 0;
    c->cp = malloc((SIM_SPAN_TEXT_MAX + 1) * sizeof *c->cp);
    c->off = malloc((SIM_SPAN_TEXT_MAX + 1) * sizeof *c->off);
    if (!c->cp || !c->off)
        return STDTAX_ENOMEM;
    for (size_t p = 0; p < t->len && c->n < SIM_SPAN_TEXT_MAX;) {
        uint32_t cp;
        size_t n = utf8_char_decode(t->bytes + p, t->len - p, &cp);
        if (n == 0)
            break;
        c->cp[c->n] = cp;
        c->off[c->n++] = p;
        p += n;
    }
    return 0;
}

struct run {
    size_t qend; /* last code point index in q, inclusive */
    size_t len;
};

static int run_cmp(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->qend < y->qend ? -1 : x->qend > y->qend;
}

static int span_cmp(const void *a, const void *b)
{
    const struct sim_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Trims spaces at both ends of q[*s..*e] and says whether what is left is long enough:
 * two ideographs, or four other characters. */
static int run_keep(const struct cps *q, size_t *s, size_t *e)
{
    while (*s <= *e && q->cp[*s] == ' ')
        (*s)++;
    while (*e > *s && q->cp[*e] == ' ')
        (*e)--;
    if (*s > *e || q->cp[*s] == ' ')
        return 0;
    size_t cjk = 0, other = 0;
    for (size_t i = *s; i <= *e; i++) {
        if (is_cjk(q->cp[i]))
            cjk++;
        else if (q->cp[i] != ' ')
            other++;
    }
    return cjk >= 2 || other >= 4 || (cjk >= 1 && other >= 2);
}

#define RUNS_MAX 65536

int sim_spans_find(const char *q, size_t qlen, const char *r, size_t rlen,
                   struct sim_span *spans, size_t max, size_t *n,
                   struct stdtax_error *err)
{
    struct norm_text nq = {0}, nr = {0};
    struct cps cq = {0}, cr = {0};
    uint16_t *prev = NULL, *cur = NULL;
    struct run *runs = NULL;
    unsigned char *used = NULL;
    size_t n_runs = 0, cap_runs = 0;
    int rc;
    *n = 0;
    if ((rc = norm_text_new(q, qlen, &nq, err)) != 0)
        return rc;
    if ((rc = norm_text_new(r, rlen, &nr, err)) != 0)
        goto out;
    rc = STDTAX_ENOMEM;
    if (cps_make(&nq, &cq) || cps_make(&nr, &cr))
        goto oom;
    prev = calloc(cq.n + 1, sizeof *prev);
    cur = calloc(cq.n + 1, sizeof *cur);
    used = calloc(cq.n + 1, 1);
    if (!prev || !cur || !used)
        goto oom;
    /* Common-suffix lengths, one row per record code point; a run is recorded where
     * it cannot be extended (maximal). */
    for (size_t j = 0; j < cr.n; j++) {
        for (size_t i = 0; i < cq.n; i++) {
            if (cq.cp[i] != cr.cp[j]) {
                cur[i + 1] = 0;
                continue;
            }
            cur[i + 1] = (uint16_t)(prev[i] + 1);
            int maximal = i + 1 == cq.n || j + 1 == cr.n || cq.cp[i + 1] != cr.cp[j + 1];
            if (maximal && cur[i + 1] >= 2 && n_runs < RUNS_MAX) {
                if (n_runs == cap_runs) {
                    size_t cap = cap_runs ? cap_runs * 2 : 64;
                    struct run *nr2 = realloc(runs, cap * sizeof *runs);
                    if (!nr2)
                        goto oom;
                    runs = nr2;
                    cap_runs = cap;
                }
                runs[n_runs].qend = i;
                runs[n_runs++].len = cur[i + 1];
            }
        }
        uint16_t *t = prev;
        prev = cur;
        cur = t;
    }
    if (n_runs)
        qsort(runs, n_runs, sizeof *runs, run_cmp);
    for (size_t k = 0; k < n_runs && *n < max; k++) {
        size_t s = runs[k].qend + 1 - runs[k].len, e = runs[k].qend;
        if (!run_keep(&cq, &s, &e))
            continue;
        int clash = 0;
        for (size_t i = s; i <= e && !clash; i++)
            clash = used[i];
        if (clash)
            continue;
        memset(used + s, 1, e - s + 1);
        size_t start = nq.src_offset[cq.off[s]];
        size_t last = nq.src_offset[cq.off[e]];
        uint32_t cp;
        size_t clen = utf8_char_decode(q + last, qlen - last, &cp);
        spans[*n].start = start;
        spans[(*n)++].end = last + (clen ? clen : 1);
    }
    qsort(spans, *n, sizeof *spans, span_cmp);
    rc = 0;
    goto out;
oom:
    rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
out:
    free(prev);
    free(cur);
    free(used);
    free(runs);
    free(cq.cp);
    free(cq.off);
    free(cr.cp);
    free(cr.off);
    norm_text_free(&nq);
    norm_text_free(&nr);
    return rc;
}
