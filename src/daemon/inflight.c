/* Claims on (organisation, title) between the duplicate check and the commit
 * (inflight.h).  The set is small (the submissions of one or two group commits), so a
 * list scanned under one lock is enough. */
#include "inflight.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdtax/normalise.h"
#include "stdtax/stdident.h"

struct inflight {
    pthread_mutex_t lock;
    pthread_cond_t released;
    struct inflight_claim *head;
};

struct inflight_claim {
    struct inflight *owner;
    char *key;
    struct inflight_claim *next;
};

struct inflight *inflight_new(void)
{
    struct inflight *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->released, NULL);
    return f;
}

void inflight_free(struct inflight *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->released);
    free(f);
}

/* "organisation\x1ftitle key" (new), or NULL. */
static char *claim_key(const json_t *submission)
{
    const char *org = json_string_value(json_object_get(submission, "organisation"));
    const char *title = json_string_value(json_object_get(submission, "title"));
    if (!org || !title)
        return NULL;
    char *o = norm_string_new(org), *t = NULL, *key = NULL;
    if (o && *o && stdident_title_key(title, &t) == 0 && t) {
        size_t lo = strlen(o), lt = strlen(t);
        key = malloc(lo + lt + 2);
        if (key) {
            memcpy(key, o, lo);
            key[lo] = '\x1f';
            memcpy(key + lo + 1, t, lt + 1);
        }
    }
    free(o);
    free(t);
    return key;
}

static bool held(const struct inflight *f, const char *key)
{
    for (const struct inflight_claim *c = f->head; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return true;
    return false;
}

struct inflight_claim *inflight_claim(struct inflight *f, const json_t *submission)
{
    if (!f || !json_is_object(submission))
        return NULL;
    struct inflight_claim *c = calloc(1, sizeof *c);
    if (!c || !(c->key = claim_key(submission))) {
        free(c);
        return NULL;
    }
    c->owner = f;
    /* The wait stops this worker's event loop, normally for one group commit; a commit
     * that stalls (a slow disk) must not freeze the worker with it, so after
     * INFLIGHT_WAIT_MS the check runs unguarded, as it did before claims existed. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += INFLIGHT_WAIT_MS / 1000;
    until.tv_nsec += (long)(INFLIGHT_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    while (rc == 0 && held(f, c->key))
        rc = pthread_cond_timedwait(&f->released, &f->lock, &until);
    if (rc == 0) {
        c->next = f->head;
        f->head = c;
    }
    pthread_mutex_unlock(&f->lock);
    if (rc != 0) {
        free(c->key);
        free(c);
        return NULL;
    }
    return c;
}

void inflight_release(struct inflight_claim *c)
{
    if (!c)
        return;
    struct inflight *f = c->owner;
    pthread_mutex_lock(&f->lock);
    for (struct inflight_claim **p = &f->head; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_cond_broadcast(&f->released);
    pthread_mutex_unlock(&f->lock);
    free(c->key);
    free(c);
}
