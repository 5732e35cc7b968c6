#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

/* The statuses this server sends; anything else is counted as "other". */
static const int statuses[] = {200, 201, 202, 204, 304, 400, 401, 403, 404, 405,
                               406, 409, 413, 414, 415, 422, 429, 500, 503, 507};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1)

/* Latency bucket bounds in microseconds (Prometheus le= in seconds). */
static const uint64_t bounds_us[] = {100,    250,    500,     1000,    2500,
                                     5000,   10000,  25000,   50000,   100000,
                                     250000, 500000, 1000000, 2500000, 10000000};
#define N_BUCKETS (sizeof bounds_us / sizeof bounds_us[0] + 1)

struct slot {
    _Atomic uint64_t *requests; /* [(route + 1) * N_STATUS + status index] */
    _Atomic uint64_t buckets[N_BUCKETS];
    _Atomic uint64_t sum_us;
    _Atomic uint64_t count;
    _Atomic int64_t inflight;
    _Atomic int64_t connections;
} __attribute__((aligned(64))); /* one cache line per worker, no false sharing */

struct metrics {
    size_t n_routes;
    unsigned n_workers;
    struct slot *slots;
};

struct metrics *metrics_new(size_t n_routes, unsigned n_workers)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->n_routes = n_routes;
    m->n_workers = n_workers;
    m->slots = aligned_alloc(64, sizeof(struct slot) * n_workers);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    for (unsigned w = 0; w < n_workers; w++) {
        struct slot *s = &m->slots[w];
        for (size_t b = 0; b < N_BUCKETS; b++)
            atomic_init(&s->buckets[b], 0);
        atomic_init(&s->sum_us, 0);
        atomic_init(&s->count, 0);
        atomic_init(&s->inflight, 0);
        atomic_init(&s->connections, 0);
        s->requests = calloc((n_routes + 1) * N_STATUS, sizeof *s->requests);
        if (!s->requests) {
            m->n_workers = w;
            metrics_free(m);
            return NULL;
        }
    }
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (unsigned w = 0; w < m->n_workers; w++)
        free((void *)m->slots[w].requests);
    free(m->slots);
    free(m);
}

/* Only the owning worker writes a slot: load + store is enough and costs no
 * locked instruction; readers may see a value one update old. */
static void bump(_Atomic uint64_t *v, uint64_t by)
{
    atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUS - 1;
}

void metrics_request_done(struct metrics *m, unsigned worker, int route, int status,
                          uint64_t usec)
{
    if (!m || worker >= m->n_workers)
        return;
    struct slot *s = &m->slots[worker];
    size_t r = route < 0 || (size_t)route >= m->n_routes ? 0 : (size_t)route + 1;
    bump(&s->requests[r * N_STATUS + status_index(status)], 1);
    size_t b = 0;
    while (b < N_BUCKETS - 1 && usec > bounds_us[b])
        b++;
    bump(&s->buckets[b], 1);
    bump(&s->sum_us, usec);
    bump(&s->count, 1);
}

void metrics_inflight_add(struct metrics *m, unsigned worker, int delta)
{
    if (m && worker < m->n_workers)
        atomic_fetch_add_explicit(&m->slots[worker].inflight, delta,
                                  memory_order_relaxed);
}

void metrics_connections_add(struct metrics *m, unsigned worker, int delta)
{
    if (m && worker < m->n_workers)
        atomic_fetch_add_explicit(&m->slots[worker].connections, delta,
                                  memory_order_relaxed);
}

static uint64_t load(const _Atomic uint64_t *v)
{
    return atomic_load_explicit((_Atomic uint64_t *)v, memory_order_relaxed);
}

void metrics_render(const struct metrics *m, const struct api_route *routes,
                    size_t n_routes, struct api_buf *out)
{
    api_buf_printf(out, "# HELP stdtaxd_http_requests_total HTTP requests answered, by "
                        "route pattern and status.\n"
                        "# TYPE stdtaxd_http_requests_total counter\n");
    for (size_t r = 0; r <= m->n_routes && r <= n_routes; r++) {
        for (size_t st = 0; st < N_STATUS; st++) {
            uint64_t total = 0;
            for (unsigned w = 0; w < m->n_workers; w++)
                total += load(&m->slots[w].requests[r * N_STATUS + st]);
            if (!total)
                continue;
            const char *method = r ? api_method_name(routes[r - 1].method) : "";
            const char *pattern = r ? routes[r - 1].pattern : "unmatched";
            if (st < N_STATUS - 1)
                api_buf_printf(out,
                               "stdtaxd_http_requests_total{method=\"%s\",route=\"%s\","
                               "status=\"%d\"} %llu\n",
                               method, pattern, statuses[st], (unsigned long long)total);
            else
                api_buf_printf(out,
                               "stdtaxd_http_requests_total{method=\"%s\",route=\"%s\","
                               "status=\"other\"} %llu\n",
                               method, pattern, (unsigned long long)total);
        }
    }
    api_buf_printf(out, "# HELP stdtaxd_http_request_duration_seconds Time from the "
                        "complete request to the queued response.\n"
                        "# TYPE stdtaxd_http_request_duration_seconds histogram\n");
    uint64_t cumulative = 0, sum = 0, count = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        for (unsigned w = 0; w < m->n_workers; w++)
            cumulative += load(&m->slots[w].buckets[b]);
        if (b < N_BUCKETS - 1)
            api_buf_printf(
                out, "stdtaxd_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                (double)bounds_us[b] / 1e6, (unsigned long long)cumulative);
        else
            api_buf_printf(
                out, "stdtaxd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)cumulative);
    }
    for (unsigned w = 0; w < m->n_workers; w++) {
        sum += load(&m->slots[w].sum_us);
        count += load(&m->slots[w].count);
    }
    api_buf_printf(out,
                   "stdtaxd_http_request_duration_seconds_sum %.6f\n"
                   "stdtaxd_http_request_duration_seconds_count %llu\n",
                   (double)sum / 1e6, (unsigned long long)count);
    int64_t inflight = 0, conns = 0;
    for (unsigned w = 0; w < m->n_workers; w++) {
        inflight += atomic_load_explicit(&m->slots[w].inflight, memory_order_relaxed);
        conns += atomic_load_explicit(&m->slots[w].connections, memory_order_relaxed);
    }
    api_buf_printf(out,
                   "# HELP stdtaxd_http_requests_in_flight Requests being handled now.\n"
                   "# TYPE stdtaxd_http_requests_in_flight gauge\n"
                   "stdtaxd_http_requests_in_flight %lld\n"
                   "# HELP stdtaxd_http_connections_open Client connections open now.\n"
                   "# TYPE stdtaxd_http_connections_open gauge\n"
                   "stdtaxd_http_connections_open %lld\n",
                   (long long)inflight, (long long)conns);
}
