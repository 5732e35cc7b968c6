/* The HTTP server: N worker threads, each with its own event_base, evhttp and
 * SO_REUSEPORT listening socket on the same address (DESIGN.md section 7); the
 * main thread owns the signals.  This is the only file that talks to evhttp. */
#ifndef STDTAXD_SERVER_H
#define STDTAXD_SERVER_H

#include "api.h"

/* Binds, starts the workers and serves until SIGTERM or SIGINT, then stops
 * accepting, lets requests in flight finish (shutdown-grace at most) and returns
 * 0.  SIGHUP calls ctx->hooks->reload.  Returns a negative error, with err filled,
 * when it cannot start. */
int server_run(struct api_ctx *ctx, struct stdtax_error *err);

#endif
