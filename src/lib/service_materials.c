/* Materials through the service (service_materials.h): the rules of who may do what,
 * the type decided by the bytes, the file made durable before its record commits. */
#include "stdtax/service_materials.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "service_internal.h"
#include "stdtax/sha256.h"
#include "stdtax/store_material.h"

static const char *member(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool is_owner(const json_t *record, const struct svc_caller *caller)
{
    const char *by = member(record, "submitted_by");
    return caller && caller->name && by && strcmp(by, caller->name) == 0;
}

/* May caller add materials to record now? */
static int add_allowed(struct svc *svc, const json_t *record,
                       const struct svc_caller *caller, time_t now,
                       struct stdtax_error *err)
{
    if (caller && caller->admin)
        return 0;
    const char *id = member(record, "id");
    if (!is_owner(record, caller))
        return stdtax_error_set(err, STDTAX_EFORBIDDEN, "/id",
                                "proposal %s was not submitted with this token", id);
    bool late;
    struct svc_engine *e = svc_engine_acquire(svc);
    int rc = prop_deadline_check(&e->rules, member(record, "call"),
                                 member(record, "track"), now, false, &late);
    svc_engine_release(svc, e);
    if (rc == STDTAX_ELATE)
        return stdtax_error_set(err, rc, "/track",
                                "the %s track of proposal %s has closed; only the "
                                "secretariat can still add materials",
                                member(record, "track"), id);
    return 0; /* a call the daemon no longer knows: its deadline cannot be read */
}

static int read_allowed(const json_t *record, const json_t *material,
                        const struct svc_caller *caller, struct stdtax_error *err)
{
    if (caller && caller->admin)
        return 0;
    if (is_owner(record, caller))
        return 0;
    const char *by = member(material, "uploaded_by");
    if (material && caller && caller->name && by && strcmp(by, caller->name) == 0)
        return 0;
    return stdtax_error_set(err, STDTAX_EFORBIDDEN, "/id",
                            "the materials of proposal %s are not this token's",
                            member(record, "id"));
}

/* The type of the bytes, checked against the declared one. */
static int type_decide(const struct svc_material_upload *up,
                       const struct material_type **type, struct stdtax_error *err)
{
    *type = material_type_sniff(up->data, up->len);
    if (!*type)
        return stdtax_error_set(err, STDTAX_ETYPE, "/body",
                                "the file is none of PDF, DOCX, DOC, OFD, JPEG, PNG "
                                "(declared %.80s)",
                                up->declared_type ? up->declared_type : "nothing");
    if (!material_type_declared_ok(*type, up->declared_type))
        return stdtax_error_set(err, STDTAX_ETYPE, "/Content-Type",
                                "the file is %s (%s) but was declared %.80s",
                                (*type)->name, (*type)->media_type, up->declared_type);
    return 0;
}

static int upload_check(const struct svc_material_upload *up, int *kind,
                        struct stdtax_error *err)
{
    *kind = material_kind_parse(up->kind);
    if (*kind < 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/kind",
                                "kind must be form-scan, draft, ip-proof or other");
    if (up->len == 0)
        return stdtax_error_set(err, STDTAX_EEMPTY, "/body", "the file is empty");
    if (up->max_size && up->len > up->max_size)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "",
                                "the file has %zu bytes; at most %zu are accepted",
                                up->len, up->max_size);
    return 0;
}

int svc_material_put(struct svc *svc, const struct svc_material_upload *up,
                     const struct svc_caller *caller, json_t **material, bool *replaced,
                     struct stdtax_error *err)
{
    *material = NULL;
    int kind;
    const struct material_type *type;
    int rc = upload_check(up, &kind, err);
    if (rc || (rc = type_decide(up, &type, err)) != 0)
        return rc;
    json_t *record;
    if ((rc = store_proposal_get(svc->store, up->proposal_id, &record, err)) != 0)
        return rc;
    rc = add_allowed(svc, record, caller, up->now, err);
    json_decref(record);
    if (rc)
        return rc;

    char sha[65], at[32];
    struct sha256_ctx c;
    sha256_ctx_init(&c);
    sha256_ctx_update(&c, up->data, up->len);
    sha256_ctx_final_hex(&c, sha);
    if ((rc = material_file_put(store_material_dir(svc->store), sha, up->data, up->len,
                                err)) != 0)
        return rc;
    prop_time_format(up->now, at, sizeof at);
    json_t *m = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s?}", "kind",
                          material_kind_code(kind), "type", type->name, "media_type",
                          type->media_type, "size", (json_int_t)up->len, "sha256", sha,
                          "uploaded_at", at, "uploaded_by", caller ? caller->name : NULL);
    if (!m)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    struct store_material_put put = {.proposal_id = up->proposal_id,
                                     .kind = kind,
                                     .record = m,
                                     .sha = sha,
                                     .data = up->data,
                                     .len = up->len,
                                     .max_per_proposal = up->max_per_proposal};
    if ((rc = store_material_put(svc->store, &put, err)) != 0) {
        json_decref(m);
        return rc;
    }
    *replaced = put.replaced;
    *material = m;
    return 0;
}

/* The record of proposal id, and whether caller may read its materials. */
static int proposal_readable(struct svc *svc, const char *id, const json_t *material,
                             const struct svc_caller *caller, json_t **record,
                             struct stdtax_error *err)
{
    int rc = store_proposal_get(svc->store, id, record, err);
    if (!rc && (rc = read_allowed(*record, material, caller, err)) != 0) {
        json_decref(*record);
        *record = NULL;
    }
    return rc;
}

/* Sets "complete" and "missing" on out from items. */
static void completeness_set(json_t *out, const json_t *items)
{
    const char *slots[64];
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (n < sizeof slots / sizeof slots[0])
            slots[n++] = member(it, "id");
    }
    json_t *missing = json_array();
    static const enum material_kind required[] = {MATERIAL_FORM_SCAN, MATERIAL_DRAFT};
    for (size_t k = 0; k < 2; k++) {
        const char *code = material_kind_code(required[k]);
        bool have = false;
        for (size_t j = 0; j < n; j++)
            have |= slots[j] && strcmp(slots[j], code) == 0;
        if (!have)
            json_array_append_new(missing, json_string(code));
    }
    json_object_set_new(out, "complete", json_boolean(material_complete(slots, n)));
    json_object_set_new(out, "missing", missing);
}

int svc_material_list(struct svc *svc, const char *proposal_id,
                      const struct svc_caller *caller, json_t **out,
                      struct stdtax_error *err)
{
    *out = NULL;
    json_t *record, *items;
    int rc = proposal_readable(svc, proposal_id, NULL, caller, &record, err);
    if (rc)
        return rc;
    json_decref(record);
    if ((rc = store_material_list(svc->store, proposal_id, &items, err)) != 0)
        return rc;
    *out = json_pack("{s:s, s:o}", "proposal", proposal_id, "items", items);
    if (!*out)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    completeness_set(*out, items);
    return 0;
}

int svc_material_open(struct svc *svc, const char *proposal_id, const char *slot,
                      const struct svc_caller *caller, json_t **material, int *fd,
                      off_t *size, char *name, size_t name_size, struct stdtax_error *err)
{
    json_t *m, *record;
    *material = NULL;
    *fd = -1;
    int rc = store_material_get(svc->store, proposal_id, slot, &m, err);
    if (rc)
        return rc;
    if ((rc = proposal_readable(svc, proposal_id, m, caller, &record, err)) != 0) {
        json_decref(m);
        return rc;
    }
    const struct material_type *type = material_type_find(member(m, "media_type"));
    material_file_name(member(record, "organisation"), member(record, "title"),
                       member(record, "track"), material_slot_kind(slot),
                       type ? type->ext : "", name, name_size);
    json_decref(record);
    rc = material_file_open(store_material_dir(svc->store), member(m, "sha256"), fd, size,
                            err);
    if (rc) {
        json_decref(m);
        return rc == STDTAX_ENOTFOUND
                   ? stdtax_error_set(err, STDTAX_EIO, "/sha256",
                                      "the file of material %s of %s is missing "
                                      "(stdtax check reports the damage)",
                                      slot, proposal_id)
                   : rc;
    }
    *material = m;
    return 0;
}

int svc_material_delete(struct svc *svc, const char *proposal_id, const char *slot,
                        const struct svc_caller *caller, struct stdtax_error *err)
{
    if (!caller || !caller->admin)
        return stdtax_error_set(err, STDTAX_EFORBIDDEN, "",
                                "only the secretariat "
                                "removes materials");
    return store_material_delete(svc->store, proposal_id, slot, err);
}

int svc_material_summary_add(struct svc *svc, json_t *record, struct stdtax_error *err)
{
    json_t *items;
    int rc = store_material_list(svc->store, member(record, "id"), &items, err);
    if (rc)
        return rc;
    json_t *ids = json_array(), *summary = json_object();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) json_array_append(ids, json_object_get(it, "id"));
    completeness_set(summary, items);
    json_object_set(record, "complete", json_object_get(summary, "complete"));
    json_object_set_new(record, "materials", ids);
    json_decref(summary);
    json_decref(items);
    return 0;
}

int svc_material_check(struct svc *svc, json_t **report, struct stdtax_error *err)
{
    return store_material_check(svc->store, report, err);
}

int svc_material_repair(struct svc *svc, json_t **report, struct stdtax_error *err)
{
    return store_material_repair(svc->store, report, err);
}
