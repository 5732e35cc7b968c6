/* The call's duplicate rule (doc/overlap.md): a proposal whose title, English title or
 * scope is at least DUP_THRESHOLD similar to a live (not withdrawn) proposal of the
 * same organisation is refused.  The rule is decided in the write transaction that
 * stores the proposal: this module makes, before it, what the store needs (the
 * submission's fingerprint and its organisation's group key) and gives the store the
 * comparison it calls for each proposal of that group (store.h, store_duplicate_fn).
 * The store only stores and hands back; the similarity stays here. */
#ifndef STDTAX_DUPLICATE_H
#define STDTAX_DUPLICATE_H

#include <jansson.h>

#include "stdtax/error.h"
#include "stdtax/store.h"

/* A submission this close to a proposal of the same organisation is a duplicate. */
#define DUP_THRESHOLD 0.8

/* What the rule knows of one submission, and what it found. */
struct dup_print;

/* The fingerprint of record's (or a submission's) /title, /title_en and /scope, made as
 * the store would make it, and the group key of its /organisation.  *out is new
 * (dup_print_free).  STDTAX_ENOMEM only: a text that cannot be fingerprinted leaves
 * its field empty. */
int dup_print_new(const json_t *record, struct dup_print **out, struct stdtax_error *err);
void dup_print_free(struct dup_print *p);

/* Borrowed from p: the fingerprint for the put item, and the group key (NULL when the
 * record names no organisation: no rule applies). */
const struct store_fingerprint *dup_print_fingerprint(const struct dup_print *p);
const char *dup_print_group(const struct dup_print *p);

/* The store's callback (store_duplicate_fn; arg is the struct dup_print): nonzero when
 * the candidate duplicates the print, which then remembers it. */
int dup_compare(const struct store_candidate *c, void *arg);

/* After a put refused by the rule: err (STDTAX_ECONFLICT) names the field that matched
 * and the proposal, and *existing is new: that proposal as an overlap item
 * (service_overlap.h: source, id, its summary, similarity, field, matched_field,
 * spans), from what dup_compare remembered and record, the stored proposal (may be
 * NULL: no spans for its scope).  org is the submission's organisation. */
int dup_conflict(const struct dup_print *p, const char *org, const json_t *record,
                 json_t **existing, struct stdtax_error *err);

/* The store's group_of (store_options): the group key of a stored record. */
int dup_group_of(const json_t *record, char key[STORE_GROUP_KEY_MAX + 1], void *arg);

#endif
