#include "commit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"

struct commit_entry {
    struct svc_batch_item item;
    char *idem_key; /* owned copy: the request's header may go before the commit */
    struct api_deferred *d;
    json_t *overlaps; /* owned: added to a successful answer (doc/overlap.md) */
    struct inflight_claim *claim; /* owned: released when the transaction ends */
    struct commit_entry *next;
};

struct commit_queue {
    struct svc *svc;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct commit_entry *head, *tail;
    bool stopping, started;
    atomic_uint_fast64_t batches, items;
};

/* Stores n entries in one transaction and answers each. */
static void commit_run(struct commit_queue *q, struct commit_entry **entries, size_t n)
{
    struct svc_batch_item items[COMMIT_BATCH_MAX];
    struct stdtax_error err = {0};
    for (size_t i = 0; i < n; i++)
        items[i] = entries[i]->item;
    int rc = svc_proposal_commit(q->svc, items, n, &err);
    if (rc != 0)
        LOG_ERROR("commit", "a batch of %zu proposals failed: %s", n,
                  err.text[0] ? err.text : stdtax_strerror(rc));
    /* The records are in the store (or refused): a submission waiting on the same
     * organisation and title may now check against them. */
    for (size_t i = 0; i < n; i++) {
        inflight_release(entries[i]->claim);
        entries[i]->claim = NULL;
    }
    atomic_fetch_add(&q->batches, 1);
    atomic_fetch_add(&q->items, n);
    for (size_t i = 0; i < n; i++) {
        struct api_response resp = {0};
        if (api_proposal_answer(&resp, items[i].rc, items[i].record, items[i].created,
                                NULL, &items[i].err) == 0)
            app_overlaps_attach(resp.body, entries[i]->overlaps);
        else
            json_decref(entries[i]->overlaps);
        api_deferred_finish(entries[i]->d, &resp);
        free(entries[i]->idem_key);
        free(entries[i]);
    }
}

static void *committer(void *arg)
{
    struct commit_queue *q = arg;
    struct commit_entry *batch[COMMIT_BATCH_MAX];
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->cond, &q->lock);
        if (!q->head)
            break; /* stopping and nothing left */
        size_t n = 0;
        while (q->head && n < COMMIT_BATCH_MAX) {
            batch[n++] = q->head;
            q->head = q->head->next;
        }
        if (!q->head)
            q->tail = NULL;
        pthread_mutex_unlock(&q->lock);
        commit_run(q, batch, n);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

struct commit_queue *commit_queue_new(struct svc *svc)
{
    struct commit_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->svc = svc;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cond, NULL);
    atomic_init(&q->batches, 0);
    atomic_init(&q->items, 0);
    if (pthread_create(&q->thread, NULL, committer, q) != 0) {
        commit_queue_free(q);
        return NULL;
    }
    q->started = true;
    return q;
}

void commit_queue_push(struct commit_queue *q, struct svc_batch_item *item,
                       json_t *overlaps, struct inflight_claim *claim,
                       struct api_deferred *d)
{
    struct commit_entry *e = calloc(1, sizeof *e);
    if (!e) {
        /* Not even an entry: nothing is stored and the client is told to retry. */
        struct api_response resp = {0};
        inflight_release(claim);
        json_decref(overlaps);
        svc_batch_item_clear(item);
        memset(item, 0, sizeof *item);
        api_response_problem(&resp, STDTAX_ENOMEM, NULL, "out of memory; retry");
        api_deferred_finish(d, &resp);
        return;
    }
    e->item = *item;
    e->d = d;
    e->overlaps = overlaps;
    e->claim = claim;
    memset(item, 0, sizeof *item);
    if (e->item.idem_key && (e->idem_key = strdup(e->item.idem_key)) != NULL)
        e->item.idem_key = e->idem_key;
    /* Without a copy of its key the entry cannot wait: the header it points to is
     * only valid on this thread, now. */
    bool queued = false;
    if (!e->item.idem_key || e->idem_key) {
        pthread_mutex_lock(&q->lock);
        queued = !q->stopping;
        if (queued) {
            if (q->tail)
                q->tail->next = e;
            else
                q->head = e;
            q->tail = e;
            pthread_cond_signal(&q->cond);
        }
        pthread_mutex_unlock(&q->lock);
    }
    if (!queued)
        commit_run(q, &e, 1);
}

void commit_queue_stop(struct commit_queue *q)
{
    if (!q || !q->started)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    q->started = false;
}

void commit_queue_free(struct commit_queue *q)
{
    if (!q)
        return;
    commit_queue_stop(q);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
    free(q);
}

void commit_queue_counts(struct commit_queue *q, uint64_t *batches, uint64_t *items)
{
    *batches = q ? atomic_load(&q->batches) : 0;
    *items = q ? atomic_load(&q->items) : 0;
}
