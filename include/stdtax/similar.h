/* Near-duplicate fingerprints of standard titles and scopes, Chinese and English,
 * without word segmentation (doc/overlap.md).
 *
 * A text is normalised (norm_text_new), a title loses the leading series prefixes that
 * carry no identity (信息技术, 人工智能, information technology, ...; the table is in
 * similar.c), and is cut into shingles: character bigrams inside runs of CJK
 * ideographs, and stemmed words outside stop words for everything else (Latin words
 * and numbers).  Each shingle is a 32-bit hash whose top bit tells the script, so a
 * sorted set holds the CJK shingles first.
 *
 * Candidates are found through MinHash signatures (SIM_HASHES fixed-seed hash
 * functions) cut into SIM_BANDS bands of SIM_ROWS rows (LSH banding); the candidates
 * are then scored exactly on their shingle sets with sim_score.  All of it is
 * deterministic: the same text gives the same set, signature and bands on every
 * machine and in every run. */
#ifndef STDTAX_SIMILAR_H
#define STDTAX_SIMILAR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "stdtax/error.h"

#define SIM_BANDS 20
#define SIM_ROWS 3
#define SIM_HASHES (SIM_BANDS * SIM_ROWS)
#define SIM_TEXT_MAX 16384    /* bytes of a field that are fingerprinted */
#define SIM_SHINGLES_MAX 4096 /* shingles kept per field (the smallest hashes) */
#define SIM_LATIN_BIT (UINT32_C(1) << 31)

/* A sorted set of distinct 32-bit shingle hashes: h[0..n_cjk) are CJK bigrams, the
 * rest words (SIM_LATIN_BIT set).  32 bits keep the stored fingerprints small; a
 * collision among the few thousand shingles of a domain is rare and moves a score by
 * one shingle at most. */
struct sim_set {
    uint32_t *h;
    size_t n;
    size_t n_cjk;
};

/* Fills out (new: sim_set_free) with the shingles of text[0..len).  With title set,
 * leading series prefixes are dropped first (unless nothing would remain).  Text
 * beyond SIM_TEXT_MAX bytes is ignored (cut at a character boundary).  Invalid UTF-8
 * is STDTAX_EUTF8; an empty set is not an error. */
int sim_set_new(const char *text, size_t len, int title, struct sim_set *out,
                struct stdtax_error *err);

/* Checks text[0..len) as sim_set_new would, without making the set: 0, or the error
 * sim_set_new would give (STDTAX_EUTF8 for invalid UTF-8 in the part it reads).  For
 * a query that needs no fingerprint but must refuse what a fingerprint refuses. */
int sim_text_check(const char *text, size_t len, struct stdtax_error *err);

/* A set over a copy of h[0..n) (sorted and made unique here); new. */
int sim_set_from(const uint32_t *h, size_t n, struct sim_set *out);

void sim_set_free(struct sim_set *set);

/* MinHash signature of h[0..n); all UINT64_MAX when n is 0. */
void sim_minhash(const uint32_t *h, size_t n, uint64_t sig[SIM_HASHES]);

/* One 64-bit key per band of the signature (the band index is mixed in). */
void sim_bands(const uint64_t sig[SIM_HASHES], uint64_t bands[SIM_BANDS]);

/* The first k hash functions only (k <= SIM_HASHES; the same values as sim_minhash's
 * first k), and the first nb bands from the first nb * SIM_ROWS of them: what a record
 * that stores fewer bands needs. */
void sim_minhash_n(const uint32_t *h, size_t n, uint64_t *sig, int k);
void sim_bands_n(const uint64_t *sig, uint64_t *bands, int nb);

/* Shingles that q and r have in common. */
size_t sim_common(const struct sim_set *q, const struct sim_set *r);

/* The similarity of a query set to a record given as one or more versions of the
 * same text (its Chinese and its English title):
 *   min( |q ∩ (r1 ∪ r2 ...)| / |q| ,  min(1, Σ |q ∩ ri| / |ri|) )
 * The first term is how much of the query the record contains, the second how much of
 * the record the query covers, where a query that mixes languages may cover one part
 * in Chinese and another in English.  For one record text it is |q ∩ r| / max(|q|,
 * |r|).  0 when q is empty.  r[i] may be empty. */
double sim_score(const struct sim_set *q, const struct sim_set *const *r, size_t nr);

/* The fields a text is compared by: its title, English title and scope, in this order
 * (a fingerprint is one set per field; an absent field is an empty set). */
#define SIM_FIELDS 3
#define SIM_SCOPE_SHINGLES_MIN 8 /* shorter scopes are too generic to compare */

/* The fingerprint of a record: the sets (new: sim_set_free each) of its /title,
 * /title_en and /scope, made before any write (the store keeps them, store.h).  Text
 * that cannot be fingerprinted leaves its field empty.  0, or STDTAX_ENOMEM with
 * nothing left to free. */
int sim_record_sets(const json_t *record, struct sim_set set[SIM_FIELDS]);

/* How two fingerprints met: the similarity and which field of each. */
struct sim_match {
    double sim;
    int qfield; /* 0 title, 1 title_en, 2 scope */
    int rfield;
};

/* The similarity of a query fingerprint q to a record's r, as the overlap query and
 * the duplicate rule score them: either title of q against the record's titles (both
 * languages, sim_score), and scope against scope when both have at least
 * SIM_SCOPE_SHINGLES_MIN shingles; the best of these, with the fields it came from in
 * *m.  Returns m->sim. */
double sim_fields_score(const struct sim_set q[SIM_FIELDS],
                        const struct sim_set r[SIM_FIELDS], struct sim_match *m);

/* A run of text common to the query and a record: [start, end) byte offsets in the
 * query's original text. */
struct sim_span {
    size_t start;
    size_t end;
};

#define SIM_SPAN_TEXT_MAX 1024 /* code points of each text compared for spans */

/* The longest common runs of q and r after normalisation (at least two CJK characters
 * or four other characters), longest first, none overlapping in q, at most max of
 * them, then sorted by start.  Only the first SIM_SPAN_TEXT_MAX code points of each
 * text count.  *n receives how many.  Returns 0, STDTAX_EUTF8 or STDTAX_ENOMEM. */
int sim_spans_find(const char *q, size_t qlen, const char *r, size_t rlen,
                   struct sim_span *spans, size_t max, size_t *n,
                   struct stdtax_error *err);

/* The spans of q against r as an overlap answer shows them (doc/overlap.md): a new
 * array of at most SIM_SPANS_JSON_MAX {"start", "end", "text"} (byte offsets in q and
 * the text there), empty when either is NULL or nothing is in common; NULL only when
 * out of memory. */
#define SIM_SPANS_JSON_MAX 8
json_t *sim_spans_json(const char *q, const char *r);

/* An overlap query (service_overlap_query.c answers it). */
struct overlap_query {
    const char *title; /* each may be NULL */
    const char *title_en;
    const char *scope;
    const char *exclude_id; /* a proposal left out (the one being checked), or NULL */
    unsigned what;          /* OVERLAP_STANDARDS | OVERLAP_PROPOSALS (store.h); 0: both */
    double threshold;       /* 0..1 */
    size_t limit;           /* 1..OVERLAP_LIMIT_MAX; 0 means 10 */
};

#endif
