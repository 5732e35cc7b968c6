#include "commit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct commit_entry {
    struct svc_batch_item item;
    char *idem_key; /* owned copy: the request's header may go before the commit */
    commit_done_fn done;
    void *arg;
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

/* Stores n entries in one transaction and completes each. */
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
    atomic_fetch_add(&q->batches, 1);
    atomic_fetch_add(&q->items, n);
    for (size_t i = 0; i < n; i++) {
        entries[i]->done(&items[i], entries[i]->arg);
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
                       commit_done_fn done, void *arg)
{
    struct commit_entry *e = calloc(1, sizeof *e);
    if (!e) {
        /* Not even an entry: nothing is stored and the pusher is told so. */
        struct svc_batch_item failed = *item;
        memset(item, 0, sizeof *item);
        json_decref(failed.record);
        failed.record = NULL;
        failed.rc =
            stdtax_error_set(&failed.err, STDTAX_ENOMEM, "", "out of memory; retry");
        done(&failed, arg);
        return;
    }
    e->item = *item;
    e->done = done;
    e->arg = arg;
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
