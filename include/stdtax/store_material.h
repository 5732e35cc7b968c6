/* The store's materials (doc/materials.md): which files each proposal has, recorded
 * in the LMDB environment beside the proposals, the files themselves in the content
 * store of material.h under the same data directory.
 *
 * Databases: `material`, key `<proposal id>␟<slot>` (slot: the kind's code or
 * "other-N"), value the material's compact JSON {"id", "kind", "media_type", "size",
 * "sha256", "uploaded_at", "uploaded_by"}; `material_ref`, key a SHA-256 (hex), value
 * how many materials name it (u64).  A write that records a file runs after the file
 * is durable (material_file_put) and checks, in its transaction, that the file is
 * still there (a removal by another process may have taken it): it writes it again
 * when not.  A removal moves the file aside in its transaction and deletes it after
 * the commit, so that no file a committed record names is ever gone. */
#ifndef STDTAX_STORE_MATERIAL_H
#define STDTAX_STORE_MATERIAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "stdtax/material.h"
#include "stdtax/store.h"

/* Borrowed, valid while s is open: the data directory, under which the material files
 * live (material_file_put and friends take it). */
const char *store_material_dir(const struct store *s);

struct store_material_put {
    const char *proposal_id;
    enum material_kind kind; /* MATERIAL_OTHER: a new "other-N" slot */
    json_t *record;          /* borrowed: the material's members ("id" is set) */
    const char *sha;         /* the record's sha256 */
    const void *data;        /* the file's bytes, written again if missing */
    size_t len;
    size_t max_per_proposal; /* 0: no limit */
    /* out */
    char slot[MATERIAL_SLOT_MAX];
    bool replaced; /* a material of that kind was there before */
};

/* Records a material of a proposal in one write transaction; the file must already
 * be stored (material_file_put).  STDTAX_ENOTFOUND (err->field "/id") for an unknown
 * proposal, STDTAX_ECONFLICT when the proposal already has max_per_proposal materials
 * (replacing one of a kind does not add).  A replaced file that nothing names any more
 * is removed after the commit. */
int store_material_put(struct store *s, struct store_material_put *put,
                       struct stdtax_error *err);

/* Removes material slot of a proposal (its file too when nothing else names it).
 * STDTAX_ENOTFOUND when there is none. */
int store_material_delete(struct store *s, const char *proposal_id, const char *slot,
                          struct stdtax_error *err);

/* *record is new: the material, or STDTAX_ENOTFOUND. */
int store_material_get(struct store *s, const char *proposal_id, const char *slot,
                       json_t **record, struct stdtax_error *err);

/* *items is a new array of a proposal's materials, in slot order. */
int store_material_list(struct store *s, const char *proposal_id, json_t **items,
                        struct stdtax_error *err);

/* Check of the materials (stdtax check): *report is new
 * {"ok", "materials", "files", "unreferenced": [path...], "missing": [{id, slot,
 *   sha256}], "damaged": [{id, slot, sha256, actual}], "refs": {"differences": n}}.
 * Every referenced file is read and hashed.  Unreferenced files and count differences
 * are what a crash leaves (a file written, its record not committed); missing and
 * damaged ones are damage. */
int store_material_check(struct store *s, json_t **report, struct stdtax_error *err);

/* Removes the unreferenced files (not the temporary files of a process that still
 * runs) and rebuilds material_ref from the records, in one write transaction, so
 * that no upload committing meanwhile loses its file.  *report (may be NULL) is new
 * {"removed": n, "refs_rebuilt": n}. */
int store_material_repair(struct store *s, json_t **report, struct stdtax_error *err);

#endif
