/* Group commit of proposal submissions (DESIGN.md section 3: "batching several
 * requests into one commit is allowed").  Workers prepare a submission (validate,
 * classify, build the record) on their own thread and hand it here with their
 * deferred request; one committer thread stores everything that queued up while the
 * previous transaction was syncing in ONE durable transaction, then answers each
 * request.  No 2xx leaves before the commit that holds its record: the answer is made
 * only after svc_proposal_commit returned.  No artificial wait: a lone request is
 * committed at once, and batches grow with the load by themselves. */
#ifndef STDTAXD_COMMIT_H
#define STDTAXD_COMMIT_H

#include <stdatomic.h>
#include <stdint.h>

#include "api.h"
#include "inflight.h"
#include "stdtax/service.h"

#define COMMIT_BATCH_MAX 256

struct commit_queue;

/* Starts the committer thread.  NULL when out of memory or threads.  The answers go
 * through api_deferred_finish, so the dispatcher drops the answer cache before each
 * leaves (API_F_WRITE), as for a write answered at once. */
struct commit_queue *commit_queue_new(struct svc *svc);

/* Queues a prepared item (moved: *item is emptied) whose answer goes to d, with the
 * overlaps found for it (steals; may be NULL) added to a successful answer, and the
 * claim on its key (steals; may be NULL), released once the item's transaction has
 * ended and before any answer.  Never fails: when the queue is stopping or memory is
 * short, commits at once on the calling thread.  Either way the answer is sent through
 * api_deferred_finish. */
void commit_queue_push(struct commit_queue *q, struct svc_batch_item *item,
                       json_t *overlaps, struct inflight_claim *claim,
                       struct api_deferred *d);

/* Commits and answers what is queued, then stops the thread.  NULL is accepted. */
void commit_queue_stop(struct commit_queue *q);
void commit_queue_free(struct commit_queue *q);

/* Transactions and items committed so far (for /metrics). */
void commit_queue_counts(struct commit_queue *q, uint64_t *batches, uint64_t *items);

#endif
