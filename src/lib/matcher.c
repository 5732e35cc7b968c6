/* Aho-Corasick over bytes.
 *
 * Representation, and why: a full 256-way DFA costs 1 KiB per state, and a taxonomy's
 * keywords in Chinese give a state per UTF-8 byte (10 000 keywords are ~100 000
 * states, 100 MB).  Only the root is dense: it is visited after every failed match, so
 * its transitions are a 256-entry table.  Every other state keeps its outgoing edges
 * as one sorted run in two flat arrays (labels, targets), compressed-sparse-row style;
 * labels are contiguous so a lookup touches one or two cache lines (a linear scan for
 * the usual one or two edges, a binary search for wide states such as the CJK lead
 * bytes).  Missing transitions are resolved through failure links at scan time, which
 * keeps the structure at O(states + edges) and the scan amortised O(text).
 *
 * While patterns are added, edges live in an open-addressing hash table keyed by
 * (state, byte), which makes each added byte O(1) expected.  Build turns the table
 * into the sorted flat arrays with two counting-sort passes (by byte, then stably by
 * state), computes failure links breadth first and an output link per state (the
 * nearest state on its failure chain that ends a pattern).  All of it is linear in the
 * total pattern bytes.  After build nothing is written, so scans may run concurrently.
 *
 * Report order: by end offset; at one end offset the longest pattern first; for the
 * same bytes, ids in the order they were added. */
#include "stdtax/matcher.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_PATTERN_MAX 1024
/* State numbers are uint32_t and UINT32_MAX marks an empty hash slot. */
#define MATCH_STATES_MAX (UINT32_MAX / 2)

struct match_state {
    uint32_t edge_start; /* first edge in edge_byte/edge_to */
    uint32_t edge_count;
    uint32_t fail;       /* failure link (root = 0) */
    uint32_t report;     /* this state if it ends a pattern, else its output link;
                            0 = nothing ends here */
    uint32_t out_link;   /* next state down the failure chain that ends a pattern */
    uint32_t out_start;  /* first entry in out_pat */
    uint32_t out_count;
};

struct match_edge_slot {
    uint32_t from; /* UINT32_MAX = empty */
    uint32_t to;
    uint8_t byte;
};

struct match_automaton {
    bool built;
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

    /* read-only after build */
    struct match_state *states;
    uint8_t *edge_byte;
    uint32_t *edge_to;
    uint32_t *out_pat; /* pattern indices grouped by state */
    uint32_t root_next[256];
};

int match_automaton_new(struct match_automaton **out)
{
    struct match_automaton *ac = calloc(1, sizeof *ac);
    if (ac == NULL)
        return STDTAX_ENOMEM;
    ac->nstates = 1; /* the root */
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
    free(ac->states);
    free(ac->edge_byte);
    free(ac->edge_to);
    free(ac->out_pat);
    free(ac);
}

size_t match_pattern_count(const struct match_automaton *ac)
{
    return ac == NULL ? 0 : ac->npat;
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

/* The child of s on byte b, or 0 if none (0 is the root, never a child). */
static inline uint32_t state_next(const struct match_automaton *ac,
                                  const struct match_state *st, uint8_t b)
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

int match_automaton_build(struct match_automaton *ac)
{
    if (ac == NULL || ac->built)
        return STDTAX_EINVAL;
    size_t ns = ac->nstates, ne = ac->nedges;
    struct match_state *states = calloc(ns, sizeof *states);
    uint8_t *ebyte = malloc(ne ? ne : 1);
    uint32_t *eto = malloc((ne ? ne : 1) * sizeof *eto);
    uint32_t *tmp = malloc((ne ? ne : 1) * sizeof *tmp);
    uint32_t *outp = malloc((ac->npat ? ac->npat : 1) * sizeof *outp);
    uint32_t *queue = malloc(ns * sizeof *queue);
    if (!states || !ebyte || !eto || !tmp || !outp || !queue) {
        free(states), free(ebyte), free(eto), free(tmp), free(outp), free(queue);
        return STDTAX_ENOMEM;
    }

    /* Counting sort of the hash-table edges: first by byte into tmp (slot indices),
     * then stably by source state into the flat arrays, so each state's run is sorted
     * by byte. */
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
        states[ac->slots[tmp[e]].from].edge_count++;
    uint32_t pos = 0;
    for (size_t s = 0; s < ns; s++) {
        states[s].edge_start = pos;
        pos += states[s].edge_count;
        states[s].edge_count = 0;
    }
    for (size_t e = 0; e < ne; e++) {
        const struct match_edge_slot *sl = &ac->slots[tmp[e]];
        struct match_state *st = &states[sl->from];
        ebyte[st->edge_start + st->edge_count] = sl->byte;
        eto[st->edge_start + st->edge_count] = sl->to;
        st->edge_count++;
    }
    free(tmp);

    /* Outputs grouped by end state, in the order the patterns were added. */
    for (size_t p = 0; p < ac->npat; p++)
        states[ac->pat_state[p]].out_count++;
    pos = 0;
    for (size_t s = 0; s < ns; s++) {
        states[s].out_start = pos;
        pos += states[s].out_count;
        states[s].out_count = 0;
    }
    for (size_t p = 0; p < ac->npat; p++) {
        struct match_state *st = &states[ac->pat_state[p]];
        outp[st->out_start + st->out_count++] = (uint32_t)p;
    }

    ac->states = states;
    ac->edge_byte = ebyte;
    ac->edge_to = eto;
    ac->out_pat = outp;
    free(ac->slots);
    ac->slots = NULL;
    ac->slot_cap = 0;

    /* Breadth first: a state's failure target is shallower, so it is final when the
     * state is reached. */
    memset(ac->root_next, 0, sizeof ac->root_next);
    size_t head = 0, tail = 0;
    const struct match_state *root = &states[0];
    for (uint32_t e = 0; e < root->edge_count; e++) {
        uint32_t c = eto[root->edge_start + e];
        ac->root_next[ebyte[root->edge_start + e]] = c;
        states[c].fail = 0;
        queue[tail++] = c;
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        struct match_state *st = &states[s];
        uint32_t f = st->fail;
        st->out_link = states[f].report;
        st->report = st->out_count ? s : st->out_link;
        for (uint32_t e = 0; e < st->edge_count; e++) {
            uint8_t b = ebyte[st->edge_start + e];
            uint32_t c = eto[st->edge_start + e];
            uint32_t g = f, t = 0;
            while (g != 0 && (t = state_next(ac, &states[g], b)) == 0)
                g = states[g].fail;
            states[c].fail = g != 0 ? t : ac->root_next[b];
            queue[tail++] = c;
        }
    }
    free(queue);
    ac->built = true;
    return 0;
}

static inline bool is_word_byte(unsigned char c)
{
    /* [a-z0-9] per the contract (text is normalised); A-Z too so that a caller
     * scanning raw ASCII gets the same answer. */
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

int match_text_scan(const struct match_automaton *ac, const char *text, size_t len,
                    match_hit_fn on_hit, void *ctx)
{
    if (ac == NULL || !ac->built || on_hit == NULL || (text == NULL && len != 0))
        return STDTAX_EINVAL;
    const unsigned char *t = (const unsigned char *)text;
    const struct match_state *states = ac->states;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = t[i];
        uint32_t next = 0;
        while (s != 0 && (next = state_next(ac, &states[s], b)) == 0)
            s = states[s].fail;
        s = s != 0 ? next : ac->root_next[b];
        for (uint32_t o = states[s].report; o != 0; o = states[o].out_link) {
            const struct match_state *os = &states[o];
            for (uint32_t k = 0; k < os->out_count; k++) {
                uint32_t p = ac->out_pat[os->out_start + k];
                size_t end = i + 1, start = end - ac->pat_len[p];
                if ((ac->pat_flags[p] & MATCH_WORD_BOUNDARY) &&
                    ((start > 0 && is_word_byte(t[start - 1])) ||
                     (end < len && is_word_byte(t[end]))))
                    continue;
                int rc = on_hit(ctx, ac->pat_id[p], start, end);
                if (rc != 0)
                    return rc;
            }
        }
    }
    return 0;
}
