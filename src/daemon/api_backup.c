/* POST /v1/admin/backup and GET /v1/admin/backups/{name}: a backup of the store into
 * backup-dir (svc_backup_make, doc/backup.md), made on a thread of its own while the
 * workers go on serving; then the newest backup-keep are kept (svc_backup_prune).  One
 * at a time. */
#include "app.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "stdtax/service_backup.h"

enum job_state { JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct app_backup {
    pthread_mutex_t lock;
    pthread_t thread;
    bool started; /* thread to join */
    enum job_state state;
    char name[32];
    char path[4096];
    json_t *manifest; /* JOB_DONE */
    struct stdtax_error err;
    struct app *app;
};

/* The app's backup record, made on first use (workers race for it). */
static struct app_backup *jobs_of(struct app *app)
{
    struct app_backup *b = atomic_load(&app->backup);
    if (b)
        return b;
    b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->app = app;
    struct app_backup *none = NULL;
    if (!atomic_compare_exchange_strong(&app->backup, &none, b)) {
        pthread_mutex_destroy(&b->lock);
        free(b);
        return none;
    }
    return b;
}

static void *job_run(void *arg)
{
    struct app_backup *b = arg;
    struct stdtax_error err = {0};
    json_t *m = NULL;
    int rc = svc_backup_make(b->app->svc, b->path, &m, &err);
    unsigned removed = 0;
    if (rc == 0)
        rc = svc_backup_prune(b->app->cfg->backup_dir, b->app->cfg->backup_keep, &removed,
                              &err);
    if (rc == 0)
        LOG_INFO("backup", "backup %s done, %u older ones removed", b->name, removed);
    else
        LOG_ERROR("backup", "backup %s failed: %s", b->name, err.text);
    pthread_mutex_lock(&b->lock);
    b->state = rc == 0 ? JOB_DONE : JOB_FAILED;
    b->manifest = m;
    b->err = err;
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static int job_answer(struct api_response *resp, int status, const struct app_backup *b)
{
    static const char *const states[] = {"running", "done", "failed"};
    json_t *body = json_pack("{s:s, s:s, s:s+}", "name", b->name, "status",
                             states[b->state], "href", "/v1/admin/backups/", b->name);
    if (body && b->state == JOB_DONE)
        json_object_set(body, "manifest", b->manifest);
    if (body && b->state == JOB_FAILED)
        json_object_set_new(body, "error", json_string(b->err.text));
    if (!body)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    api_response_header(resp, "Location", "/v1/admin/backups/%s", b->name);
    return api_response_json(resp, status, body);
}

int api_backup_post(struct api_ctx *ctx, const struct api_request *req,
                    struct api_response *resp)
{
    (void)req;
    struct app *app = app_of(ctx);
    if (!app->cfg->backup_dir)
        return api_response_problem(resp, STDTAX_ECONFLICT, NULL,
                                    "no backup-dir is configured (stdtaxd(8))");
    struct app_backup *b = jobs_of(app);
    if (!b)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    pthread_mutex_lock(&b->lock);
    int rc;
    if (b->started && b->state == JOB_RUNNING) {
        rc = job_answer(resp, 409, b);
    } else {
        if (b->started)
            pthread_join(b->thread, NULL);
        b->started = false;
        json_decref(b->manifest);
        b->manifest = NULL;
        mkdir(app->cfg->backup_dir, 0750);
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        /* Named by its time; a second one in the same second gets a suffix. */
        for (int k = 0; k < 100; k++) {
            size_t n = strftime(b->name, sizeof b->name, "%Y%m%dT%H%M%SZ", &tm);
            if (k)
                snprintf(b->name + n, sizeof b->name - n, "-%d", k);
            snprintf(b->path, sizeof b->path, "%s/%s", app->cfg->backup_dir, b->name);
            struct stat sb;
            if (stat(b->path, &sb) != 0 && errno == ENOENT)
                break;
        }
        b->state = JOB_RUNNING;
        memset(&b->err, 0, sizeof b->err);
        if (pthread_create(&b->thread, NULL, job_run, b) != 0) {
            rc = api_response_problem(resp, API_EINTERNAL, NULL,
                                      "cannot start the backup");
        } else {
            b->started = true;
            rc = job_answer(resp, 202, b);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int api_backup_get(struct api_ctx *ctx, const struct api_request *req,
                   struct api_response *resp)
{
    struct app *app = app_of(ctx);
    const char *name = api_param(req, "name");
    struct app_backup *b = app->cfg->backup_dir ? jobs_of(app) : NULL;
    if (b) {
        pthread_mutex_lock(&b->lock);
        int rc = b->started && strcmp(b->name, name) == 0 ? job_answer(resp, 200, b) : 1;
        pthread_mutex_unlock(&b->lock);
        if (rc != 1)
            return rc;
    }
    /* An earlier backup (another run of the daemon, or the timer's): its manifest. */
    char path[4096 + 64];
    json_t *m = NULL;
    if (app->cfg->backup_dir && !strchr(name, '/') && name[0] != '.') {
        snprintf(path, sizeof path, "%s/%s/%s", app->cfg->backup_dir, name,
                 BACKUP_MANIFEST);
        m = json_load_file(path, 0, NULL);
    }
    if (!m)
        return api_response_problem(resp, STDTAX_ENOTFOUND, NULL, "no backup '%.64s'",
                                    name);
    json_t *body = json_pack("{s:s, s:s, s:s+, s:o}", "name", name, "status", "done",
                             "href", "/v1/admin/backups/", name, "manifest", m);
    return body ? api_response_json(resp, 200, body)
                : api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
}

void api_backup_stop(struct app *app)
{
    struct app_backup *b = atomic_load(&app->backup);
    if (!b)
        return;
    if (b->started)
        pthread_join(b->thread, NULL); /* a backup under way finishes */
    json_decref(b->manifest);
    pthread_mutex_destroy(&b->lock);
    free(b);
    atomic_store(&app->backup, NULL);
}
