/* stdtaxd: settings, logging, the application context, then the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
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

int main(int argc, char **argv)
{
    struct stdtax_config cfg;
    struct options opt;
    struct stdtax_error err = {0};
    static const struct api_hooks no_hooks = {0};
    struct api_ctx ctx = {.cfg = &cfg, .hooks = &no_hooks};
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
    metrics_free(ctx.metrics);
    free(ctx.openapi);
    cfg_config_free(&cfg);
    return status;
}
