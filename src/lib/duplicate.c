/* The call's duplicate rule (duplicate.h): fingerprints and group keys before the
 * write, the comparison the store calls inside it, the 409's details after it. */
#include "stdtax/duplicate.h"

#include <stdlib.h>
#include <string.h>

#include "stdtax/normalise.h"
#include "stdtax/sha256.h"
#include "stdtax/similar.h"

static const char *const fields[SIM_FIELDS] = {"title", "title_en", "scope"};

struct dup_print {
    json_t *record; /* the submission's record: its texts for the 409's spans */
    struct sim_set set[SIM_FIELDS];
    struct store_fingerprint fp; /* a view of set */
    char group[STORE_GROUP_KEY_MAX + 1];
    /* What dup_compare found. */
    char id[STORE_ID_MAX];
    struct sim_match match;
    char *summary; /* the candidate's summary, NUL-terminated */
};

static int group_key(const json_t *record, char key[STORE_GROUP_KEY_MAX + 1])
{
    const char *org = json_string_value(json_object_get(record, "organisation"));
    char *norm = org ? norm_string_new(org) : NULL;
    int grouped = norm && *norm;
    if (grouped) {
        struct sha256_ctx c;
        sha256_ctx_init(&c);
        sha256_ctx_update(&c, norm, strlen(norm));
        sha256_ctx_final_hex(&c, key); /* 64 characters */
    }
    free(norm);
    return grouped ? 0 : 1;
}

int dup_group_of(const json_t *record, char key[STORE_GROUP_KEY_MAX + 1], void *arg)
{
    (void)arg;
    return group_key(record, key);
}

void dup_print_free(struct dup_print *p)
{
    if (!p)
        return;
    for (int i = 0; i < SIM_FIELDS; i++)
        sim_set_free(&p->set[i]);
    json_decref(p->record);
    free(p->summary);
    free(p);
}

int dup_print_new(const json_t *record, struct dup_print **out, struct stdtax_error *err)
{
    struct dup_print *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    p->record = json_incref((json_t *)record);
    if (sim_record_sets(record, p->set) != 0) {
        dup_print_free(p);
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    for (int i = 0; i < SIM_FIELDS; i++) {
        p->fp.h[i] = p->set[i].h;
        p->fp.n[i] = p->set[i].n;
        p->fp.n_cjk[i] = p->set[i].n_cjk;
    }
    if (group_key(record, p->group) != 0)
        p->group[0] = 0;
    *out = p;
    return 0;
}

const struct store_fingerprint *dup_print_fingerprint(const struct dup_print *p)
{
    return &p->fp;
}

const char *dup_print_group(const struct dup_print *p)
{
    return p->group[0] ? p->group : NULL;
}

int dup_compare(const struct store_candidate *c, void *arg)
{
    struct dup_print *p = arg;
    struct sim_set r[SIM_FIELDS];
    for (int i = 0; i < SIM_FIELDS; i++)
        r[i] = (struct sim_set){(uint32_t *)c->fp->h[i], c->fp->n[i], c->fp->n_cjk[i]};
    struct sim_match m;
    if (sim_fields_score(p->set, r, &m) < DUP_THRESHOLD)
        return 0;
    char *summary = malloc(c->summary_len + 1);
    if (summary) {
        memcpy(summary, c->summary, c->summary_len);
        summary[c->summary_len] = 0;
    }
    free(p->summary); /* a transaction run again meets it again */
    p->summary = summary;
    p->match = m;
    snprintf(p->id, sizeof p->id, "%s", c->id);
    return 1;
}

int dup_conflict(const struct dup_print *p, const char *org, const json_t *record,
                 json_t **existing, struct stdtax_error *err)
{
    const char *field = fields[p->match.qfield], *matched = fields[p->match.rfield];
    json_t *o = json_pack("{s:s, s:s}", "source", "proposal", "id", p->id);
    json_t *summary = p->summary ? json_loads(p->summary, 0, NULL) : NULL;
    if (o && json_is_object(summary))
        json_object_update(o, summary);
    json_decref(summary);
    if (o) {
        const char *q = json_string_value(json_object_get(p->record, field));
        const char *r = json_string_value(json_object_get(record, matched));
        if (!r)
            r = json_string_value(json_object_get(o, matched));
        json_object_set_new(o, "similarity",
                            json_real((double)(int)(p->match.sim * 1000 + 0.5) / 1000));
        json_object_set_new(o, "field", json_string(field));
        json_object_set_new(o, "matched_field", json_string(matched));
        json_object_set_new(o, "spans", sim_spans_json(q, r));
    }
    *existing = o;
    char ptr[16];
    snprintf(ptr, sizeof ptr, "/%s", field);
    return stdtax_error_set(err, STDTAX_ECONFLICT, ptr,
                            "%s already submitted this proposal as %s (similarity %.2f)",
                            org ? org : "the organisation", p->id, p->match.sim);
}
