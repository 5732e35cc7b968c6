/* Request counters, a latency histogram and gauges in Prometheus text format.
 * Each worker writes only its own slot (relaxed atomic stores, no locks); a scrape
 * sums the slots. */
#ifndef STDTAXD_METRICS_H
#define STDTAXD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

/* New; NULL when out of memory.  route indexes are 0..n_routes-1, and -1 for
 * requests that matched no route. */
struct metrics *metrics_new(size_t n_routes, unsigned n_workers);
void metrics_free(struct metrics *m);

/* Called by worker `worker` only. */
void metrics_request_done(struct metrics *m, unsigned worker, int route, int status,
                          uint64_t usec);
void metrics_inflight_add(struct metrics *m, unsigned worker, int delta);
void metrics_connections_add(struct metrics *m, unsigned worker, int delta);

/* Appends the Prometheus text for the server's own metrics. */
void metrics_render(const struct metrics *m, const struct api_route *routes,
                    size_t n_routes, struct api_buf *out);

#endif
