/* Materials of a proposal through the service (doc/materials.md): the daemon's
 * /v1/proposals/{id}/materials routes and `stdtax materials` call these, never the
 * store.  Who may do what:
 *   - adding: the secretariat (caller->admin) at any time; a submit token only to a
 *     proposal it submitted (the record's submitted_by) and only until its track's
 *     deadline (STDTAX_EFORBIDDEN, STDTAX_ELATE);
 *   - reading: the secretariat, the token that submitted the proposal, or the one that
 *     uploaded the material; anyone else STDTAX_EFORBIDDEN (materials are unpublished
 *     drafts: the daemon asks for a token even when reads are open);
 *   - removing: the secretariat. */
#ifndef STDTAX_SERVICE_MATERIALS_H
#define STDTAX_SERVICE_MATERIALS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "stdtax/material.h"
#include "stdtax/service.h"

struct svc_material_upload {
    const char *proposal_id;
    const char *kind; /* form-scan, draft, ip-proof (replaced), other (added) */
    const void *data; /* the file's bytes, borrowed */
    size_t len;
    const char *declared_type; /* the Content-Type given, or NULL */
    size_t max_size;           /* material-max; 0: none */
    size_t max_per_proposal;   /* materials-per-proposal; 0: none */
    time_t now;
};

/* Stores a file as a material: STDTAX_EINVAL (field "/kind") for an unknown kind,
 * STDTAX_EEMPTY for 0 bytes, STDTAX_ETOOBIG over max_size, STDTAX_ECONFLICT when the
 * proposal has max_per_proposal materials already (a replacement does not add),
 * STDTAX_ETYPE when the bytes are none of PDF, DOCX, DOC, OFD, JPEG, PNG or the
 * declared type disagrees (the message names both), STDTAX_ENOTFOUND for an unknown
 * proposal, and the rules above.  *material is new (its "id", "kind", "media_type",
 * "size", "sha256", "uploaded_at", "uploaded_by"); *replaced says whether a material of
 * that kind was there before. */
int svc_material_put(struct svc *svc, const struct svc_material_upload *up,
                     const struct svc_caller *caller, json_t **material, bool *replaced,
                     struct stdtax_error *err);

/* *out is new {"proposal", "complete", "missing": [kinds], "items": [materials]}. */
int svc_material_list(struct svc *svc, const char *proposal_id,
                      const struct svc_caller *caller, json_t **out,
                      struct stdtax_error *err);

/* A material to send: *material new, *fd open (the caller closes it), *size, and
 * name (the call's file name plus the kind, material_file_name).  A file that is
 * missing is STDTAX_EIO (damage: stdtax check reports it). */
int svc_material_open(struct svc *svc, const char *proposal_id, const char *slot,
                      const struct svc_caller *caller, json_t **material, int *fd,
                      off_t *size, char *name, size_t name_size,
                      struct stdtax_error *err);

/* Removes a material (admin only). */
int svc_material_delete(struct svc *svc, const char *proposal_id, const char *slot,
                        const struct svc_caller *caller, struct stdtax_error *err);

/* Sets record's "complete" (form-scan and draft present) and "materials" (the ids of
 * those present) from the store. */
int svc_material_summary_add(struct svc *svc, json_t *record, struct stdtax_error *err);

/* The check of stdtax check: as store_material_check; repair as store_material_repair. */
int svc_material_check(struct svc *svc, json_t **report, struct stdtax_error *err);
int svc_material_repair(struct svc *svc, json_t **report, struct stdtax_error *err);

#endif
