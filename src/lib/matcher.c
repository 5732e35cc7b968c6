/* Aho-Corasick over bytes.
 *
 * Representation, and why: a full 256-way DFA costs 1 KiB per state, and a taxonomy's
 * keywords in Chinese give a state per UTF-8 byte (10 000 keywords are ~50 000
 * states, 50 MB).  So only the states nearest the root are dense: the first
 * dense_rows states in breadth-first order (1024 by default, 1 MiB) get a complete
 * 256-entry row with goto and failure already resolved.  Those are where a scan spends
 * most of its time, since every mismatch falls back towards the root.  Every other
 * state keeps its outgoing edges as one sorted run in two flat arrays (labels,
 * targets), compressed-sparse-row style; labels are contiguous, so a lookup is a short
 * linear scan (the usual one or two edges) or a binary search (wide states).  A miss
 * in a sparse state follows failure links until a dense state answers.  Memory is
 * O(states + edges + 256 * dense_rows) and the scan is amortised O(text).
 *
 * States are renumbered in breadth-first order at build.  That makes the dense states
 * exactly 0..ndense-1 (a failure target is shallower, hence dense whenever its state
 * is, so each row is its failure state's row plus its own edges), lets the scan tell
 * dense from sparse by comparing numbers, and keeps a state's row at state * 256: one
 * load per byte of text on the dense path.  Transition values carry MATCH_REPORT when
 * the target ends a pattern (itself or down its output links), so the scan touches the
 * output tables only where something matches.
 *
 * While patterns are added, edges live in an open-addressing hash table keyed by
 * (state, byte), which makes each added byte O(1) expected.  Build turns it into the
 * sorted flat arrays with two counting-sort passes (by byte, then stably by state).
 * Everything in build is linear in the total pattern bytes (plus 1 KiB per dense row).
 * After build nothing is written, so scans may run concurrently.
 *
 * Report order: by end offset; at one end offset the longest pattern first; for the
 * same bytes, ids in the order they were added.  Figures: tests/bench/RESULTS.md. */
#include "stdtax/matcher.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* State numbers use 31 bits; bit 31 of a transition is MATCH_REPORT, and UINT32_MAX
 * marks an empty hash slot. */
#define MATCH_STATES_MAX (UINT32_MAX / 2)
#define MATCH_REPORT 0x80000000u
#define MATCH_STATE_MASK 0x7FFFFFFFu

/* Hot data of a sparse state, read on every byte scanned in it. */
struct match_sparse {
    uint32_t edge_start; /* first edge in edge_byte/edge_to */
    uint32_t edge_count;
    uint32_t fail; /* failure link (a state number, no flag) */
};

/* Output data, read only where something matches. */
struct match_out {
    uint32_t report;   /* this state if it ends a pattern, else out_link; 0 = none */
    uint32_t out_link; /* nearest state down the failure chain that ends a pattern */
    uint32_t start;    /* first entry in out_pat */
    uint32_t count;
};

struct match_edge_slot {
    uint32_t from; /* UINT32_MAX = empty */
    uint32_t to;
    uint8_t byte;
};

struct match_automaton {
    bool built;
    size_t dense_max;
    /* patterns, by index in the order added */
    size_t npat, pat_cap;
    uint32_t *pat_id;
    uint16_t *pat_len;
    uint8_t *pat_flags;
    uint32_t *pat_state; /* the state its last byte leads to */

    uint32_t nstates;
    /* build-time trie edges */
    struct match_edge_slot *slots;
    size_t slot_cap, nedges;

    /* read-only after build; states numbered breadth first */
    size_t ndense;
    uint32_t *dense;             /* ndense rows of 256 transitions */
    struct match_sparse *sparse; /* indexed by state; used for state >= ndense */
    uint8_t *edge_byte;
    uint32_t *edge_to;     /* transitions, with MATCH_REPORT */
    struct match_out *out; /* indexed by state */
    uint32_t *out_pat;     /* pattern indices grouped by state */
};

int match_automaton_new(struct match_automaton **out)
{
    struct match_automaton *ac = calloc(1, sizeof *ac);
    if (ac == NULL)
        return STDTAX_ENOMEM;
    ac->nstates = 1; /* the root */
    ac->dense_max = MATCH_DENSE_ROWS_DEFAULT;
    *out = ac;
    return 0;
}

void match_automaton_free(struct match_automaton *ac)
{
    if (ac == NULL)
        return;
    free(ac->pat_id);
    free(ac->pat_len);
    free(ac->pat_flags);
    free(ac->pat_state);
    free(ac->slots);
    free(ac->dense);
    free(ac->sparse);
    free(ac->edge_byte);
    free(ac->edge_to);
    free(ac->out);
    free(ac->out_pat);
    free(ac);
}

size_t match_pattern_count(const struct match_automaton *ac)
{
    return ac == NULL ? 0 : ac->npat;
}

int match_automaton_dense_set(struct match_automaton *ac, size_t rows)
{
    if (ac == NULL || ac->built || rows == 0 || rows > MATCH_DENSE_ROWS_MAX)
        return STDTAX_EINVAL;
    ac->dense_max = rows;
    return 0;
}

static size_t slot_hash(uint32_t from, uint8_t byte, size_t cap)
{
    uint64_t k = ((uint64_t)from << 8) | byte;
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 20) & (cap - 1);
}

static struct match_edge_slot *slot_find(struct match_edge_slot *slots, size_t cap,
                                         uint32_t from, uint8_t byte)
{
    size_t i = slot_hash(from, byte, cap);
    for (;;) {
        struct match_edge_slot *s = &slots[i];
        if (s->from == UINT32_MAX || (s->from == from && s->byte == byte))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

/* Keeps the load factor at or below one half. */
static int slots_reserve(struct match_automaton *ac, size_t more)
{
    size_t need = (ac->nedges + more) * 2;
    if (need <= ac->slot_cap)
        return 0;
    size_t cap = ac->slot_cap ? ac->slot_cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(struct match_edge_slot))
            return STDTAX_ENOMEM;
        cap *= 2;
    }
    struct match_edge_slot *slots = malloc(cap * sizeof *slots);
    if (slots == NULL)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].from = UINT32_MAX;
    for (size_t i = 0; i < ac->slot_cap; i++) {
        struct match_edge_slot *old = &ac->slots[i];
        if (old->from != UINT32_MAX)
            *slot_find(slots, cap, old->from, old->byte) = *old;
    }
    free(ac->slots);
    ac->slots = slots;
    ac->slot_cap = cap;
    return 0;
}

static int patterns_reserve(struct match_automaton *ac)
{
    if (ac->npat < ac->pat_cap)
        return 0;
    size_t cap = ac->pat_cap ? ac->pat_cap * 2 : 16;
    if (cap > UINT32_MAX)
        return STDTAX_ETOOBIG;
    uint32_t *id = realloc(ac->pat_id, cap * sizeof *id);
    if (id == NULL)
        return STDTAX_ENOMEM;
    ac->pat_id = id;
    uint16_t *len = realloc(ac->pat_len, cap * sizeof *len);
    if (len == NULL)
        return STDTAX_ENOMEM;
    ac->pat_len = len;
    uint8_t *flags = realloc(ac->pat_flags, cap * sizeof *flags);
    if (flags == NULL)
        return STDTAX_ENOMEM;
    ac->pat_flags = flags;
    uint32_t *state = realloc(ac->pat_state, cap * sizeof *state);
    if (state == NULL)
        return STDTAX_ENOMEM;
    ac->pat_state = state;
    ac->pat_cap = cap;
    return 0;
}

int match_pattern_add(struct match_automaton *ac, const char *pattern, size_t len,
                      uint32_t id, unsigned flags)
{
    if (ac == NULL || ac->built || pattern == NULL || len == 0 ||
        (flags & ~(unsigned)MATCH_WORD_BOUNDARY) != 0)
        return STDTAX_EINVAL;
    if (len > MATCH_PATTERN_MAX)
        return STDTAX_ETOOBIG;
    if ((size_t)ac->nstates + len > MATCH_STATES_MAX)
        return STDTAX_ETOOBIG;
    int rc = patterns_reserve(ac);
    if (rc == 0)
        rc = slots_reserve(ac, len);
    if (rc != 0)
        return rc;

    const unsigned char *p = (const unsigned char *)pattern;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        struct match_edge_slot *slot = slot_find(ac->slots, ac->slot_cap, s, p[i]);
        if (slot->from == UINT32_MAX) {
            slot->from = s;
            slot->byte = p[i];
            slot->to = ac->nstates++;
            ac->nedges++;
        }
        s = slot->to;
    }
    ac->pat_id[ac->npat] = id;
    ac->pat_len[ac->npat] = (uint16_t)len;
    ac->pat_flags[ac->npat] = (uint8_t)flags;
    ac->pat_state[ac->npat] = s;
    ac->npat++;
    return 0;
}

/* Target of a sparse state s on byte b (flagged), or 0 if it has no such edge (the
 * root, 0, is never a target). */
static inline uint32_t sparse_next(const struct match_automaton *ac,
                                   const struct match_sparse *st, uint8_t b)
{
    const uint8_t *lab = ac->edge_byte + st->edge_start;
    uint32_t n = st->edge_count;
    if (n <= 8) {
        for (uint32_t i = 0; i < n; i++)
            if (lab[i] == b)
                return ac->edge_to[st->edge_start + i];
        return 0;
    }
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (lab[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < n && lab[lo] == b) ? ac->edge_to[st->edge_start + lo] : 0;
}

/* The transition from any state: the dense row, or sparse edges then failure links. */
static inline uint32_t state_step(const struct match_automaton *ac, uint32_t s, uint8_t b)
{
    while (s >= ac->ndense) {
        const struct match_sparse *st = &ac->sparse[s];
        uint32_t next = sparse_next(ac, st, b);
        if (next != 0)
            return next;
        s = st->fail;
    }
    return ac->dense[(size_t)s * 256 + b];
}

int match_automaton_build(struct match_automaton *ac)
{
    if (ac == NULL || ac->built)
        return STDTAX_EINVAL;
    size_t ns = ac->nstates, ne = ac->nedges, np = ac->npat;
    size_t ndense = ns < ac->dense_max ? ns : ac->dense_max;
    /* old numbering (insertion order) */
    uint32_t *o_start = calloc(ns + 1, sizeof *o_start);
    uint32_t *o_to = malloc((ne ? ne : 1) * sizeof *o_to);
    uint8_t *o_byte = malloc(ne ? ne : 1);
    uint32_t *tmp = malloc((ne ? ne : 1) * sizeof *tmp);
    uint32_t *renum = malloc(ns * sizeof *renum); /* old -> new */
    uint32_t *order = malloc(ns * sizeof *order); /* new -> old */
    /* results, new numbering */
    uint32_t *dense = calloc(ndense * 256, sizeof *dense);
    struct match_sparse *sparse = calloc(ns, sizeof *sparse);
    uint8_t *ebyte = malloc(ne ? ne : 1);
    uint32_t *eto = malloc((ne ? ne : 1) * sizeof *eto);
    struct match_out *out = calloc(ns, sizeof *out);
    uint32_t *outp = malloc((np ? np : 1) * sizeof *outp);
    if (!o_start || !o_to || !o_byte || !tmp || !renum || !order || !dense || !sparse ||
        !ebyte || !eto || !out || !outp) {
        free(o_start), free(o_to), free(o_byte), free(tmp), free(renum), free(order);
        free(dense), free(sparse), free(ebyte), free(eto), free(out), free(outp);
        return STDTAX_ENOMEM; /* nothing changed: build may be retried */
    }

    /* Counting sort of the hash-table edges: by byte into tmp (slot indices), then
     * stably by source state, so each state's run is sorted by byte. */
    size_t bcount[257] = {0};
    for (size_t i = 0; i < ac->slot_cap; i++)
        if (ac->slots[i].from != UINT32_MAX)
            bcount[ac->slots[i].byte + 1]++;
    for (size_t b = 0; b < 256; b++)
        bcount[b + 1] += bcount[b];
    for (size_t i = 0; i < ac->slot_cap; i++)
        if (ac->slots[i].from != UINT32_MAX)
            tmp[bcount[ac->slots[i].byte]++] = (uint32_t)i;
    for (size_t e = 0; e < ne; e++)
        o_start[ac->slots[tmp[e]].from + 1]++;
    for (size_t s = 0; s < ns; s++)
        o_start[s + 1] += o_start[s];
    for (size_t e = 0; e < ne; e++) {
        const struct match_edge_slot *sl = &ac->slots[tmp[e]];
        uint32_t at = o_start[sl->from]++;
        o_byte[at] = sl->byte;
        o_to[at] = sl->to;
    }
    for (size_t s = ns; s > 0; s--) /* undo the increments: start[s] = end[s-1] */
        o_start[s] = o_start[s - 1];
    o_start[0] = 0;
    free(tmp);

    /* Breadth-first renumbering; order doubles as the queue. */
    size_t head = 0, tail = 0;
    order[tail++] = 0;
    renum[0] = 0;
    while (head < tail) {
        uint32_t old = order[head++];
        for (uint32_t e = o_start[old]; e < o_start[old + 1]; e++) {
            renum[o_to[e]] = (uint32_t)tail;
            order[tail++] = o_to[e];
        }
    }
    uint32_t pos = 0;
    for (size_t n = 0; n < ns; n++) {
        uint32_t old = order[n];
        sparse[n].edge_start = pos;
        sparse[n].edge_count = o_start[old + 1] - o_start[old];
        for (uint32_t e = o_start[old]; e < o_start[old + 1]; e++, pos++) {
            ebyte[pos] = o_byte[e];
            eto[pos] = renum[o_to[e]];
        }
    }
    free(o_start), free(o_to), free(o_byte), free(order);

    /* Outputs grouped by end state, in the order the patterns were added. */
    for (size_t p = 0; p < np; p++) {
        ac->pat_state[p] = renum[ac->pat_state[p]];
        out[ac->pat_state[p]].count++;
    }
    free(renum);
    pos = 0;
    for (size_t n = 0; n < ns; n++) {
        out[n].start = pos;
        pos += out[n].count;
        out[n].count = 0;
    }
    for (size_t p = 0; p < np; p++) {
        struct match_out *o = &out[ac->pat_state[p]];
        outp[o->start + o->count++] = (uint32_t)p;
    }

    ac->ndense = ndense;
    ac->dense = dense;
    ac->sparse = sparse;
    ac->edge_byte = ebyte;
    ac->edge_to = eto;
    ac->out = out;
    ac->out_pat = outp;

    /* Failure links in breadth-first (= numeric) order: a state's failure target is
     * shallower, so it and its own link are final before its children need them.
     * Transitions are still unflagged here and row 0 holds the root's children. */
    for (uint32_t e = 0; e < sparse[0].edge_count; e++)
        dense[ebyte[e]] = eto[e];
    for (size_t n = 1; n < ns; n++) {
        const struct match_sparse *st = &sparse[n];
        for (uint32_t e = st->edge_start; e < st->edge_start + st->edge_count; e++) {
            uint32_t g = st->fail, t = 0;
            while (g != 0 && (t = sparse_next(ac, &sparse[g], ebyte[e])) == 0)
                g = sparse[g].fail;
            sparse[eto[e]].fail = g != 0 ? t : dense[ebyte[e]];
        }
    }
    /* Output links, then the report flag on every transition into a state where
     * something ends. */
    for (size_t n = 1; n < ns; n++) {
        out[n].out_link = out[sparse[n].fail].report;
        out[n].report = out[n].count ? (uint32_t)n : out[n].out_link;
    }
    for (size_t e = 0; e < ne; e++)
        if (out[eto[e]].report != 0)
            eto[e] |= MATCH_REPORT;
    /* Dense rows: a row is its failure state's row (already complete, since that state
     * is shallower and so also dense) with its own edges written over it. */
    memset(dense, 0, 256 * sizeof *dense);
    for (size_t n = 0; n < ndense; n++) {
        uint32_t *row = dense + n * 256;
        if (n > 0)
            memcpy(row, dense + (size_t)sparse[n].fail * 256, 256 * sizeof *row);
        const struct match_sparse *st = &sparse[n];
        for (uint32_t e = st->edge_start; e < st->edge_start + st->edge_count; e++)
            row[ebyte[e]] = eto[e];
    }

    free(ac->slots);
    ac->slots = NULL;
    ac->slot_cap = 0;
    ac->built = true;
    return 0;
}

static inline bool is_word_byte(unsigned char c)
{
    /* [a-z0-9] per the contract (text is normalised); A-Z too so that a caller
     * scanning raw ASCII gets the same answer. */
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int report_hits(const struct match_automaton *ac, uint32_t s,
                       const unsigned char *t, size_t len, size_t end,
                       match_hit_fn on_hit, void *ctx)
{
    for (uint32_t o = ac->out[s].report; o != 0; o = ac->out[o].out_link) {
        const struct match_out *os = &ac->out[o];
        for (uint32_t k = 0; k < os->count; k++) {
            uint32_t p = ac->out_pat[os->start + k];
            size_t start = end - ac->pat_len[p];
            if ((ac->pat_flags[p] & MATCH_WORD_BOUNDARY) &&
                ((start > 0 && is_word_byte(t[start - 1])) ||
                 (end < len && is_word_byte(t[end]))))
                continue;
            int rc = on_hit(ctx, ac->pat_id[p], start, end);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int match_text_scan(const struct match_automaton *ac, const char *text, size_t len,
                    match_hit_fn on_hit, void *ctx)
{
    if (ac == NULL || !ac->built || on_hit == NULL || (text == NULL && len != 0))
        return STDTAX_EINVAL;
    const unsigned char *t = (const unsigned char *)text;
    const uint32_t *dense = ac->dense;
    const uint32_t ndense = (uint32_t)ac->ndense;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t x = s < ndense ? dense[(size_t)s * 256 + t[i]] : state_step(ac, s, t[i]);
        s = x & MATCH_STATE_MASK;
        if (x & MATCH_REPORT) {
            int rc = report_hits(ac, s, t, len, i + 1, on_hit, ctx);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}
