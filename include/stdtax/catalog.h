/* The catalogue of existing standards as the domain knows it (doc/overlap.md): the form
 * of an entry, its check and normalisation, its id and its fingerprint, made before
 * the store's write (store.h: store_catalog_* keeps the entries, their counts,
 * fingerprints and LSH band entries, and answers the overlap query).
 *
 * A catalogue entry is {"number"?, "title"?, "title_en"?, "kind"?, "status"?,
 * "scope"?, "classification"?: {"category", "subcategory"?}, "source"?} with a title
 * in at least one language.  Its id is the number, or "draft-" and 12 hex digits of a
 * hash of its titles when it has none; importing an entry with an id that exists
 * replaces it. */
#ifndef STDTAX_CATALOG_H
#define STDTAX_CATALOG_H

#include <jansson.h>
#include <stddef.h>

#include "stdtax/error.h"
#include "stdtax/store.h"

#define CATALOG_TITLE_MAX 1200  /* bytes of a title */
#define CATALOG_SCOPE_MAX 15000 /* bytes of a scope */
#define CATALOG_SOURCE_MAX 2000 /* bytes of a source note or URL */

/* Kinds: national, industry, local, group, international, other.  The kind of a
 * number by its prefix (GB -> national, DB31/T -> local, T/ -> group, ISO/IEC/IEEE/
 * ITU/ETSI -> international, other letters + "/T" -> industry); static string, NULL
 * when the prefix says nothing. */
const char *catalog_kind_guess(const char *number);

/* Checks one entry; on success *out is new: the entry as it will be stored, with
 * "id", "kind" (guessed from the number when absent) and "status" (default
 * "published" with a number, "planned" without) filled in.  Each problem goes to
 * problems (may be NULL) as {pointer: prefix + "/member", detail}; the return value is
 * then STDTAX_EINVAL.  Node codes are checked for form only; the caller checks them
 * against the taxonomy. */
int catalog_entry_check(const json_t *entry, const char *prefix, json_t **out,
                        json_t *problems, struct stdtax_error *err);

/* Checks, normalises and fingerprints the entries (a JSON array of at most
 * CATALOG_IMPORT_MAX raw entries) and stores the valid ones in one write transaction
 * (store_catalog_import).  Invalid entries are reported in problems with the pointer
 * "/<index>/..." and skipped.  *report (may be NULL) is new: {"received", "created",
 * "updated", "unchanged", "invalid"}. */
int catalog_import(struct store *store, const json_t *entries, json_t **report,
                   json_t *problems, struct stdtax_error *err);

#endif
