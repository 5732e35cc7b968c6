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

/* A word list entry with its length: these are compared on every title. */
struct word {
    const char *s;
    size_t n;
};
/* clang-format off */
#define WORD(x) {x, sizeof x - 1}
/* clang-format on */

/* Normalised forms (lower case, punctuation as one space), longest first where one is
 * the start of another.  Each must be followed by a space or the end of the text. */
static const struct word series_prefixes[] = {
    WORD("信息安全技术"),
    WORD("网络安全技术"),
    WORD("信息技术"),
    WORD("人工智能"),
    WORD("information security technology"),
    WORD("information technology"),
    WORD("artificial intelligence"),
    WORD("cybersecurity technology"),
    WORD("ieee draft standard for"),
    WORD("ieee draft standard"),
    WORD("ieee standard for"),
    WORD("ieee standard"),
    WORD("ieee recommended practice for"),
    WORD("ieee draft recommended practice for"),
    WORD("ieee guide for"),
    WORD("ieee draft guide for"),
    WORD("ai"),
};

static const struct word stop_words[] = {
    WORD("a"),        WORD("an"),    WORD("and"),  WORD("as"),      WORD("at"),
    WORD("based"),    WORD("be"),    WORD("by"),   WORD("for"),     WORD("from"),
    WORD("in"),       WORD("into"),  WORD("is"),   WORD("its"),     WORD("of"),
    WORD("on"),       WORD("or"),    WORD("the"),  WORD("their"),   WORD("to"),
    WORD("using"),    WORD("via"),   WORD("with"), WORD("edition"), WORD("version"),
    WORD("revision"), WORD("draft"),
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
        if (stop_words[i].n == n && memcmp(tmp, stop_words[i].s, n) == 0)
            return; /* none is longer than 8 */
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
            size_t n = series_prefixes[i].n;
            if (len - p >= n && memcmp(t + p, series_prefixes[i].s, n) == 0 &&
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
    char small[512]; /* titles: no allocation */
    char *mark = len < sizeof small ? memset(small, 0, len + 1) : calloc(len + 1, 1);
    if (!mark)
        return;
    for (size_t p = from; p < len;) {
        size_t e = p;
        while (e < len && t[e] != ' ')
            e++;
        size_t n = 0;
        for (size_t i = 0; i < sizeof series_prefixes / sizeof series_prefixes[0] && !n;
             i++) {
            size_t l = series_prefixes[i].n;
            const char *sp = series_prefixes[i].s;
            int latin = (unsigned char)sp[0] < 0x80;
            if (latin ? (len - p >= l && memcmp(t + p, sp, l) == 0 &&
                         (p + l == len || t[p + l] == ' '))
                      : (e - p == l && memcmp(t + p, sp, l) == 0))
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
    if (mark != small)
        free(mark);
}

static int lone_stopped(const char *c, size_t n)
{
    for (size_t i = 0; n == 3 && i < sizeof lone_stop / sizeof lone_stop[0]; i++)
        if (memcmp(c, lone_stop[i], 3) == 0) /* each is one 3-byte ideograph */
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

int sim_text_check(const char *text, size_t len, struct stdtax_error *err)
{
    size_t bad;
    len = utf8_cut(text, len, SIM_TEXT_MAX);
    if (text == NULL && len != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "no input text");
    /* norm_text_new's check and words. */
    if (len > 0 && utf8_text_validate(text, len, &bad) != 0)
        return stdtax_error_set(err, STDTAX_EUTF8, "",
                                "invalid UTF-8 (or NUL) at byte offset %zu", bad);
    return 0;
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

/* h_i(x) = a_i x + b_i mod 2^64 with fixed odd a_i: a permutation of the already
 * mixed shingle hashes, two operations per function.  The signatures are stored, so
 * the constants never change: they are the sequence a_i = mix64(s += phi) | 1,
 * b_i = mix64(s += phi) from s = 0x5851f42d4c957f2d, phi = 0x9e3779b97f4a7c15, written
 * out rather than remade on every call (test_similar.c checks the bands made with
 * them against the values of the first release). */
static const uint64_t minhash_coef[SIM_HASHES][2] = {
    {UINT64_C(0xba8894fa3be59747), UINT64_C(0x069945dea82460da)},
    {UINT64_C(0xf2b5717db02809eb), UINT64_C(0x4604208f575a097a)},
    {UINT64_C(0x9b2af0a33458f9d3), UINT64_C(0x0036c74e48fed613)},
    {UINT64_C(0x250924992b7b8fb9), UINT64_C(0x11c2dd5402147e8b)},
    {UINT64_C(0xa150217aa00ce50f), UINT64_C(0x1b08078cdca13467)},
    {UINT64_C(0x0ba8d4827c1ac113), UINT64_C(0x10f3ff5b71bb3208)},
    {UINT64_C(0x378ae3c511f071f3), UINT64_C(0x2edc5bbc191f9c16)},
    {UINT64_C(0x8f4870d0d2ffeacb), UINT64_C(0x0bdfe62b0dad52f6)},
    {UINT64_C(0x81b330eb8eb7f693), UINT64_C(0xde7c4e8eb1d4ec36)},
    {UINT64_C(0x5a3a88dd3d4ce485), UINT64_C(0xac4ee57bbf8f82b3)},
    {UINT64_C(0x8aa01872aaa66025), UINT64_C(0xf994dede4ff35e16)},
    {UINT64_C(0xe9e99704acc43221), UINT64_C(0xf77540e67c5ce006)},
    {UINT64_C(0x7fb67aa2839a3afb), UINT64_C(0x62eaa7be3a969775)},
    {UINT64_C(0xed7c7e7471f81d3f), UINT64_C(0x44b9b8e7c416531e)},
    {UINT64_C(0xa0bae0a52ba38c21), UINT64_C(0xb03722d1167c9ae4)},
    {UINT64_C(0x74f6872f327d115b), UINT64_C(0x242f45bd13afd80c)},
    {UINT64_C(0x8886c14a554c590d), UINT64_C(0x1fa3d4a9cdcbb1b8)},
    {UINT64_C(0xbbfc2f7d4c8891b1), UINT64_C(0x112ba465a31fe637)},
    {UINT64_C(0x8f29233ff329b0b9), UINT64_C(0xdfcde354ed423444)},
    {UINT64_C(0xaaed96625e0c5295), UINT64_C(0x036061413b286af8)},
    {UINT64_C(0xedcd59faf076f1cd), UINT64_C(0x2a32a22f3e351120)},
    {UINT64_C(0xb80e3aeb81c3f55d), UINT64_C(0x527282af39a30bc8)},
    {UINT64_C(0x369dfa3c5e44b9a5), UINT64_C(0x9141e722e4c8e92a)},
    {UINT64_C(0x41622451afdacf03), UINT64_C(0x9a224d7773462f9c)},
    {UINT64_C(0x90b7b2bd6c365c45), UINT64_C(0x4eaa88cc4cae420a)},
    {UINT64_C(0xecd2a1268088c88b), UINT64_C(0x346e3341f468c640)},
    {UINT64_C(0x80829eac65570749), UINT64_C(0x44b7f35964193f90)},
    {UINT64_C(0x86b28f0db6d241a3), UINT64_C(0xf0047aef9bf5a8cc)},
    {UINT64_C(0x54d208b984f42327), UINT64_C(0xd2b76bafe309f3f2)},
    {UINT64_C(0x7ea906b92075160b), UINT64_C(0xd64c339e4b3f0002)},
    {UINT64_C(0xca67b1fc5fbe3095), UINT64_C(0x6d15b312b94af785)},
    {UINT64_C(0x433a1c6855a434d9), UINT64_C(0xf75ceec6131a9ef5)},
    {UINT64_C(0x0f7115cea84c907f), UINT64_C(0xc545890fac6b6fbd)},
    {UINT64_C(0x04ff0af1e9225ab7), UINT64_C(0x1d1367e1f1944a92)},
    {UINT64_C(0xcfd1d0c0ebf36cdb), UINT64_C(0x57221c2945609041)},
    {UINT64_C(0x5f50b8dec2378bbb), UINT64_C(0x5c3d47084f94ad4b)},
    {UINT64_C(0x950f2ac9e753560f), UINT64_C(0xbf2292c2b64ff28b)},
    {UINT64_C(0x71cf98d6a0bda4fb), UINT64_C(0xe17d5ab1a5c44056)},
    {UINT64_C(0x16ddf2517672d837), UINT64_C(0xc7872191a42217e4)},
    {UINT64_C(0x023110fb2597b425), UINT64_C(0xac2f8544e8ecbfeb)},
    {UINT64_C(0xd600b602602fab9f), UINT64_C(0x13829abf59fed181)},
    {UINT64_C(0xd27d809e6ab6e6d7), UINT64_C(0x2051a24fd246b008)},
    {UINT64_C(0x7da7651194d2e029), UINT64_C(0xae5596cf72370aef)},
    {UINT64_C(0x88d64d2426ae0df5), UINT64_C(0xef9833e8175fe717)},
    {UINT64_C(0x2256c0e9ae161f97), UINT64_C(0xb34874ad49979cbd)},
    {UINT64_C(0x404ed78f955471cf), UINT64_C(0x2e114a4ce0d2c1dd)},
    {UINT64_C(0x6fbd0e205a9f89fd), UINT64_C(0x3be0e9186768c321)},
    {UINT64_C(0x3ef6ac4892092637), UINT64_C(0x7051540183fe57b2)},
    {UINT64_C(0xf9b860875bedb3bf), UINT64_C(0x6165bd258f38df42)},
    {UINT64_C(0x4d474034988407bd), UINT64_C(0x8937c555df1482f7)},
    {UINT64_C(0xe28d9cfb91df1b0f), UINT64_C(0xf9c7f67ef9607f76)},
    {UINT64_C(0x2cd35434ef9f82dd), UINT64_C(0x941150db40f9e993)},
    {UINT64_C(0x506945172ed31571), UINT64_C(0xefb730d556059412)},
    {UINT64_C(0xd8e59c0fc1158d6b), UINT64_C(0x7186c8d7bdd7eb2d)},
    {UINT64_C(0x2d108063ed054fab), UINT64_C(0x3ad8b3b1bdb7b583)},
    {UINT64_C(0x5340bd4c391b0655), UINT64_C(0xd8f61ffd10038c05)},
    {UINT64_C(0xc7dd0cdab332bbd1), UINT64_C(0x7491fd22fbd3bbda)},
    {UINT64_C(0x5b72270025ddaf5f), UINT64_C(0xbb6626bcda4d98c9)},
    {UINT64_C(0x727af9aa492b2d67), UINT64_C(0x9140d76b58c52ab9)},
    {UINT64_C(0x626a9769fe6d29e3), UINT64_C(0xc194a35abbb742d5)},
};

void sim_minhash_n(const uint32_t *h, size_t n, uint64_t *sig, int k)
{
    if (k > SIM_HASHES)
        k = SIM_HASHES;
    for (int i = 0; i < k; i++)
        sig[i] = UINT64_MAX;
    for (size_t j = 0; j < n; j++) {
        uint64_t x = h[j];
        for (int i = 0; i < k; i++) {
            uint64_t v = minhash_coef[i][0] * x + minhash_coef[i][1];
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

double sim_fields_score(const struct sim_set q[SIM_FIELDS],
                        const struct sim_set r[SIM_FIELDS], struct sim_match *m)
{
    const struct sim_set *titles[2] = {&r[0], &r[1]};
    *m = (struct sim_match){0};
    for (int i = 0; i < 2; i++) {
        double x = sim_score(&q[i], titles, 2);
        if (x > m->sim) {
            m->sim = x;
            m->qfield = i;
            m->rfield = sim_common(&q[i], &r[0]) >= sim_common(&q[i], &r[1]) ? 0 : 1;
        }
    }
    if (q[2].n >= SIM_SCOPE_SHINGLES_MIN && r[2].n >= SIM_SCOPE_SHINGLES_MIN) {
        const struct sim_set *scope = &r[2];
        double x = sim_score(&q[2], &scope, 1);
        if (x > m->sim) {
            m->sim = x;
            m->qfield = 2;
            m->rfield = 2;
        }
    }
    return m->sim;
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

json_t *sim_spans_json(const char *q, const char *r)
{
    struct sim_span sp[SIM_SPANS_JSON_MAX];
    size_t n = 0;
    json_t *a = json_array();
    if (!a || !q || !r ||
        sim_spans_find(q, strlen(q), r, strlen(r), sp, SIM_SPANS_JSON_MAX, &n, NULL) != 0)
        return a;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:I, s:I, s:s%}", "start",
                                           (json_int_t)sp[i].start, "end",
                                           (json_int_t)sp[i].end, "text", q + sp[i].start,
                                           sp[i].end - sp[i].start));
    return a;
}

int sim_record_sets(const json_t *record, struct sim_set set[SIM_FIELDS])
{
    static const char *const members[SIM_FIELDS] = {"title", "title_en", "scope"};
    memset(set, 0, SIM_FIELDS * sizeof *set);
    for (int i = 0; i < SIM_FIELDS; i++) {
        const char *v = json_string_value(json_object_get(record, members[i]));
        if (v && sim_set_new(v, strlen(v), i < 2, &set[i], NULL) == STDTAX_ENOMEM) {
            for (int j = 0; j < SIM_FIELDS; j++)
                sim_set_free(&set[j]);
            return STDTAX_ENOMEM;
        }
    }
    return 0;
}
