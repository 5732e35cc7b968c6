/* stdtaxd: settings, logging, the application context, then the server. */
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

/* Opens the taxonomy, model and store; a bad taxonomy file stops the start with the
 * file and every problem, one per line. */
static int open_service(const struct stdtax_config *cfg, struct app *app)
{
    struct svc_options opts = {
        .data_dir = cfg->data_dir,
        .taxonomy_path = cfg->taxonomy,
        .model_path = cfg->model,
    };
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    int rc = svc_open(&opts, &app->svc, problems, &err);
    if (rc != 0) {
        app_engine_error_locate(cfg, &err);
        fail(&err);
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
    app.commits = commit_queue_new(app.svc, &app.generation);
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
    commit_queue_free(app.commits);
    svc_close(app.svc);
    app_cache_free(&app.cache);
    metrics_free(ctx.metrics);
    free(ctx.openapi);
    cfg_config_free(&cfg);
    return status;
}
