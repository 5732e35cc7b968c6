/* Group commit of proposal submissions (DESIGN.md section 3: "batching several
 * requests into one commit is allowed").  Workers prepare a submission (validate,
 * classify, build the record) on their own thread and hand it here; one committer
 * thread stores everything that queued up while the previous transaction was syncing
 * in ONE durable transaction (svc_proposal_commit, which also decides the duplicate
 * rule), then gives each item to the completion callback its pusher named.  No 2xx
 * leaves before the commit that holds its record: the callback runs only after
 * svc_proposal_commit returned.  No artificial wait: a lone item is committed at once,
 * and batches grow with the load by themselves.  No worker ever waits here: a push
 * only queues.  The queue knows nothing of requests or answers. */
#ifndef STDTAXD_COMMIT_H
#define STDTAXD_COMMIT_H

#include <stdatomic.h>
#include <stdint.h>

#include "stdtax/service.h"

#define COMMIT_BATCH_MAX 256

struct commit_queue;

/* Called once per pushed item after its transaction ended (on the committer thread, or
 * on the pusher's when the queue is stopping or memory is short): the item holds the
 * outcome (rc, record, existing, ...) and is the callback's to clear; arg is the
 * push's. */
typedef void (*commit_done_fn)(struct svc_batch_item *item, void *arg);

/* Starts the committer thread.  NULL when out of memory or threads.  (The pusher's
 * callback answers through api_deferred_finish, so the dispatcher drops the answer
 * cache before each answer leaves, as for a write answered at once.) */
struct commit_queue *commit_queue_new(struct svc *svc);

/* Queues a prepared item (moved: *item is emptied) to be committed, then given to
 * done(item, arg).  Never fails: when the queue is stopping it commits at once on the
 * calling thread, and without memory for the entry the item gets rc STDTAX_ENOMEM
 * (nothing stored); either way done is called. */
void commit_queue_push(struct commit_queue *q, struct svc_batch_item *item,
                       commit_done_fn done, void *arg);

/* Commits and completes what is queued, then stops the thread.  NULL is accepted. */
void commit_queue_stop(struct commit_queue *q);
void commit_queue_free(struct commit_queue *q);

/* Transactions and items committed so far (for /metrics). */
void commit_queue_counts(struct commit_queue *q, uint64_t *batches, uint64_t *items);

#endif
