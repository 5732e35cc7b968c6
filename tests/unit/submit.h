/* One submission the way the daemon and stdtax import take it, for the unit tests:
 * svc_proposal_prepare, then svc_proposal_commit of that one item.  *record (new, or
 * NULL), *created and *existing (new, may be NULL to skip) as the item has them after
 * the commit; returns the prepare's error, the store's, or the item's. */
#ifndef STDTAX_TEST_SUBMIT_H
#define STDTAX_TEST_SUBMIT_H

#include "stdtax/service.h"

static inline int submit_one(struct svc *svc, const json_t *submission,
                             const struct svc_submit_options *opts, json_t **record,
                             bool *created, json_t **existing, json_t *problems,
                             struct stdtax_error *err)
{
    struct svc_batch_item it;
    *record = NULL;
    if (existing)
        *existing = NULL;
    int rc = svc_proposal_prepare(svc, submission, opts, &it, problems, err);
    if (rc)
        return rc;
    rc = svc_proposal_commit(svc, &it, 1, err);
    if (rc == 0 && (rc = it.rc) != 0 && err)
        *err = it.err;
    if (created)
        *created = it.created;
    *record = it.record;
    it.record = NULL;
    if (existing) {
        *existing = it.existing;
        it.existing = NULL;
    }
    svc_batch_item_clear(&it);
    return rc;
}

#endif
