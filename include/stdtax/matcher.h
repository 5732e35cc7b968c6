/* One multi-pattern automaton (Aho-Corasick over bytes) built once from every keyword
 * and run over a normalised text in a single pass, whatever the number of patterns.
 *
 * Patterns and text are expected to be normalised (see normalise.h).  A pattern added
 * with MATCH_WORD_BOUNDARY only matches where it is not glued to ASCII letters or digits
 * on either side (so "ai" does not match inside "maintain"); CJK patterns never need it.
 */
#ifndef STDTAX_MATCHER_H
#define STDTAX_MATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "stdtax/error.h"

enum match_flags {
    MATCH_WORD_BOUNDARY = 1u << 0,
};

struct match_automaton;

/* new: caller frees with match_automaton_free. */
int match_automaton_new(struct match_automaton **out);
void match_automaton_free(struct match_automaton *ac);

/* Patterns longer than this are STDTAX_ETOOBIG. */
#define MATCH_PATTERN_MAX 1024
/* States nearest the root that get a full 256-entry transition row (1 KiB each). */
#define MATCH_DENSE_ROWS_DEFAULT 1024
#define MATCH_DENSE_ROWS_MAX 65536

/* Sets how many states get a dense row (1..MATCH_DENSE_ROWS_MAX; the root always
 * does); a space/speed trade-off that does not change results.  Only before
 * match_automaton_build.  Returns 0 or STDTAX_EINVAL. */
int match_automaton_dense_set(struct match_automaton *ac, size_t rows);

/* Adds a pattern (copied) with a caller-chosen id; the same bytes may be added with
 * several ids.  Empty patterns are STDTAX_EINVAL.  Only before match_automaton_build. */
int match_pattern_add(struct match_automaton *ac, const char *pattern, size_t len,
                      uint32_t id, unsigned flags);

/* Computes failure links; after this the automaton is read-only and may be shared by
 * threads. */
int match_automaton_build(struct match_automaton *ac);

/* Called for every occurrence, in order of end offset; [start, end) are byte offsets in
 * the scanned text.  A non-zero return stops the scan and is returned by scan. */
typedef int (*match_hit_fn)(void *ctx, uint32_t id, size_t start, size_t end);

int match_text_scan(const struct match_automaton *ac, const char *text, size_t len,
                    match_hit_fn on_hit, void *ctx);

size_t match_pattern_count(const struct match_automaton *ac);

#endif
