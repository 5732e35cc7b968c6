/* Submissions between their duplicate check and their commit.  The call's first rule
 * is that an organisation does not submit the same proposal twice; the check reads the
 * store, and a submission reaches the store only when its group commit ends, so two
 * identical submissions sent at the same moment (a double click, a retry without an
 * Idempotency-Key) would both pass it.  A claim on (organisation, title) makes the
 * second wait until the first is committed; its check then finds the first and answers
 * 409, exactly as if they had come one after the other. */
#ifndef STDTAXD_INFLIGHT_H
#define STDTAXD_INFLIGHT_H

#include <jansson.h>

struct inflight;
struct inflight_claim;

/* NULL when out of memory. */
struct inflight *inflight_new(void);
/* Every claim must have been released. NULL is accepted. */
void inflight_free(struct inflight *f);

/* Longest wait for another request's claim, in milliseconds (a group commit takes a
 * few). */
#define INFLIGHT_WAIT_MS 2000

/* Claims the key of a submission: its organisation and the key of its title
 * (stdident.h: spacing, case and part numerals do not matter), waiting while another
 * request holds the same key, at most INFLIGHT_WAIT_MS.  New (inflight_release); NULL
 * when the submission has no organisation or title (there is no duplicate to race
 * for), when f is NULL, when the wait ran out or when out of memory (the check then
 * runs unguarded, as without this). */
struct inflight_claim *inflight_claim(struct inflight *f, const json_t *submission);

/* Releases and frees a claim, waking the requests that wait for its key.  Any thread;
 * NULL is accepted. */
void inflight_release(struct inflight_claim *c);

#endif
