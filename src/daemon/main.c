/* stdtaxd: settings, logging, the application context, then the server. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "app.h"
#include "commit.h"
#include "config.h" /* PACKAGE_VERSION */
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "server.h"

static int fail(const struct stdtax_error *err)
{
    fprintf(stderr, "stdtaxd: %s%s%s\n", err->field, err->field[0] ? ": " : "",
            err->text);
    return 1;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && prefix && *prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What an operator should do about a failed start: one line after the error, which
 * already names the file.  err->field says which of the three files failed. */
static void startup_hint(const struct stdtax_config *cfg, int rc,
                         const struct stdtax_error *err)
{
    const char *f = err->field, *t = err->text;
    char buf[CFG_PATH_MAX * 2 + 256];
    const char *hint = NULL;
    if (starts_with(f, cfg->data_dir) || starts_with(t, cfg->data_dir)) {
        const char *d = cfg->data_dir;
        if (strstr(t, strerror(EACCES)) || strstr(t, strerror(EPERM)) ||
            strstr(t, strerror(EROFS))) {
            snprintf(buf, sizeof buf,
                     "let the user stdtaxd runs as (uid %u) read and write %s and its "
                     "data.mdb and lock.mdb (chown -R), or set data-dir to a directory "
                     "it owns",
                     (unsigned)geteuid(), d);
            hint = buf;
        } else if (strstr(t, "not a directory")) {
            snprintf(buf, sizeof buf,
                     "set data-dir (config file or --data-dir) to a directory; stdtaxd "
                     "creates a missing one");
            hint = buf;
        } else if (rc == STDTAX_EVERSION) {
            snprintf(buf, sizeof buf,
                     "start the stdtaxd version that wrote %s, or set data-dir to a new "
                     "directory and import the proposals (stdtax export / import)",
                     d);
            hint = buf;
        } else if (rc == STDTAX_ENOSPC) {
            snprintf(buf, sizeof buf, "free space on the filesystem that holds %s", d);
            hint = buf;
        } else {
            snprintf(buf, sizeof buf,
                     "%s must hold only stdtaxd's data.mdb and lock.mdb: move the other "
                     "file away, restore data.mdb from a backup (check it with `stdtax "
                     "check --data-dir %s`), or set data-dir to an empty directory",
                     d, d);
            hint = buf;
        }
    } else if (starts_with(f, cfg->model) || starts_with(t, cfg->model)) {
        hint = rc == STDTAX_EVERSION
                   ? "the model was trained for another taxonomy: retrain it (stdtax "
                     "train, or make model) or set taxonomy to the file it was made for"
                   : "set model (config file or --model) to a readable model file, or "
                     "retrain it with stdtax train";
    } else if (starts_with(f, cfg->taxonomy) || starts_with(t, cfg->taxonomy)) {
        hint = rc == STDTAX_ENOTFOUND || rc == STDTAX_EIO
                   ? "set taxonomy (config file or --taxonomy) to a readable taxonomy "
                     "file; the shipped one is shanghai-ai-2023.json"
                   : "correct the file (stdtax taxonomy validate FILE lists every "
                     "problem) or set taxonomy to a valid one";
    }
    if (hint)
        fprintf(stderr, "stdtaxd: to fix: %s\n", hint);
}

/* Opens the taxonomy, model and store; a bad taxonomy file stops the start with the
 * file and every problem, one per line. */
static int open_service(const struct stdtax_config *cfg, struct app *app)
{
    struct svc_options opts = {
        .data_dir = cfg->data_dir,
        .taxonomy_path = cfg->taxonomy,
        .model_path = cfg->model,
        .idempotency_ttl = cfg->idempotency_ttl,
    };
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    int rc = svc_open(&opts, &app->svc, problems, &err);
    if (rc != 0) {
        app_engine_error_locate(cfg, &err);
        fail(&err);
        startup_hint(cfg, rc, &err);
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
        {
            const char *ptr = json_string_value(json_object_get(p, "pointer"));
            const char *detail = json_string_value(json_object_get(p, "detail"));
            if (!detail || strcmp(detail, err.text) == 0)
                continue; /* already said */
            fprintf(stderr, "stdtaxd: %s: %s%s%s\n", cfg->taxonomy, ptr ? ptr : "",
                    ptr && ptr[0] ? ": " : "", detail);
        }
    } else {
        json_t *v = svc_versions(app->svc);
        const char *tv = json_string_value(json_object_get(v, "taxonomy_version"));
        const char *mv = json_string_value(json_object_get(v, "model_version"));
        LOG_INFO("main", "taxonomy %s (version %s), model %s, store %s", cfg->taxonomy,
                 tv ? tv : "-", mv ? mv : "none", cfg->data_dir);
        json_decref(v);
        /* A store left half re-filed (killed during a migration) is finished first. */
        rc = app_migrate(app);
    }
    json_decref(problems);
    return rc;
}

int main(int argc, char **argv)
{
    struct stdtax_config cfg;
    struct options opt;
    struct stdtax_error err = {0};
    static const struct api_hooks no_hooks = {0};
    struct api_ctx ctx = {.cfg = &cfg, .hooks = &no_hooks};
    struct app app = {.cfg = &cfg};
    atomic_init(&app.classifications, 0);
    atomic_init(&app.generation, 0);
    app_cache_init(&app.cache);
    int status = 1;

    if (options_load(argc, argv, &cfg, &opt, &err) != 0) {
        status = fail(&err);
        goto out;
    }
    if (opt.help || opt.version) {
        if (opt.help)
            options_usage(stdout);
        else
            printf("stdtaxd %s\n", PACKAGE_VERSION);
        status = 0;
        goto out;
    }
    log_setup(cfg.log_level, cfg.log_timestamps);
    log_libevent_route();

    ctx.routes = api_routes(&ctx.n_routes);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ctx.workers = cfg.workers ? cfg.workers
                  : cores > 0 ? (unsigned)(cores > 256 ? 256 : cores)
                              : 1;
    if (api_openapi_load(&ctx, cfg.openapi, &err) != 0) {
        status = fail(&err);
        goto out;
    }
    if (opt.check_config) {
        options_print(stdout, &cfg);
        printf("# configuration OK\n");
        status = 0;
        goto out;
    }
    ctx.metrics = metrics_new(ctx.n_routes, ctx.workers);
    if (!ctx.metrics) {
        fprintf(stderr, "stdtaxd: out of memory\n");
        goto out;
    }
    if (open_service(&cfg, &app) != 0)
        goto out;
    app.commits = commit_queue_new(app.svc);
    if (!app.commits) {
        fprintf(stderr, "stdtaxd: cannot start the committer thread\n");
        goto out;
    }
    ctx.app = &app;
    ctx.hooks = app_hooks();
    ctx.started_us = api_now_us();
    LOG_INFO("main", "stdtaxd %s starting (%s, config %s)", PACKAGE_VERSION,
             opt.in_build_tree ? "build tree" : "installed",
             cfg.config_file ? cfg.config_file : "none");
    if (server_run(&ctx, &err) != 0) {
        LOG_ERROR("main", "%s%s%s", err.field, err.field[0] ? ": " : "", err.text);
        goto out;
    }
    status = 0;
out:
    /* After server_run: every worker has stopped, no request holds the service. */
    commit_queue_free(app.commits); /* commits and answers what is queued */
    svc_close(app.svc);
    app_cache_free(&app.cache);
    metrics_free(ctx.metrics);
    free(ctx.openapi);
    cfg_config_free(&cfg);
    return status;
}
