/* What the handlers share, and the application's hooks into the server. */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "log.h"
#include "stdtax/service_store.h"
#include "stdtax/taxonomy.h"

int app_problem(struct api_response *resp, int rc, json_t *problems,
                const struct stdtax_error *err)
{
    const char *field = err && err->field[0] ? err->field : NULL;
    const char *text = err && err->text[0] ? err->text : stdtax_strerror(rc);
    /* A member over its size limit or with bad text inside a body that parsed is a
     * content problem of that member: 422 with its pointer, like any other. */
    if ((rc == STDTAX_ETOOBIG || rc == STDTAX_EUTF8) && field && field[0] == '/')
        rc = STDTAX_EINVAL;
    if (problems && json_array_size(problems) == 0) {
        json_decref(problems);
        problems = NULL;
    }
    if (!problems && field && field[0] == '/' &&
        (rc == STDTAX_EINVAL || rc == STDTAX_EEMPTY || rc == STDTAX_ECONFLICT ||
         rc == STDTAX_ETYPE)) {
        problems = json_array();
        if (problems)
            stdtax_problem_add(problems, field, "%s", text);
    }
    if (problems && json_array_size(problems) > 1 && rc == STDTAX_EINVAL)
        return api_response_problem(resp, rc, problems, "%zu problems: %s",
                                    json_array_size(problems), text);
    return api_response_problem(resp, rc, problems, "%s", text);
}

int app_query_uint(const struct api_request *req, const char *name, uint64_t min,
                   uint64_t max, uint64_t *out, struct api_response *resp)
{
    const char *v = api_query_get(&req->query, name);
    if (!v)
        return 0;
    uint64_t n = 0;
    bool ok = *v != '\0' && strlen(v) <= 19;
    for (const char *p = v; ok && *p; p++) {
        ok = *p >= '0' && *p <= '9';
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (!ok || n < min || n > max) {
        char pointer[API_QUERY_KEY_MAX + 8];
        snprintf(pointer, sizeof pointer, "/query/%s", name);
        json_t *problems = json_array();
        stdtax_problem_add(problems, pointer, "an integer from %" PRIu64 " to %" PRIu64,
                           min, max);
        return api_response_problem(resp, STDTAX_EPARSE, problems,
                                    "%s must be an integer from %" PRIu64 " to %" PRIu64
                                    ", not '%.40s'",
                                    name, min, max, v);
    }
    *out = n;
    return 0;
}

void app_engine_error_locate(const struct stdtax_config *cfg, struct stdtax_error *err)
{
    if (err->field[0] && err->field[0] != '/')
        return;
    /* An absolute path is not a JSON pointer: the store names its directory. */
    size_t dlen = cfg->data_dir ? strlen(cfg->data_dir) : 0;
    if (dlen && strncmp(err->field, cfg->data_dir, dlen) == 0)
        return;
    if (strstr(err->text, cfg->taxonomy) || (cfg->model && strstr(err->text, cfg->model)))
        return;
    /* The taxonomy loads first: if it loads on its own, the model was the problem. */
    struct tax_taxonomy *tax = NULL;
    struct stdtax_error probe = {0};
    const char *file = cfg->taxonomy;
    if (cfg->model && tax_file_load(cfg->taxonomy, &tax, NULL, &probe) == 0)
        file = cfg->model;
    tax_taxonomy_free(tax);
    char field[CFG_PATH_MAX + sizeof err->field + 2];
    snprintf(field, sizeof field, "%s%s%s", file, err->field[0] ? " " : "", err->field);
    /* A path longer than the field keeps its start; the log line stays one line. */
    field[sizeof err->field - 1] = '\0';
    memcpy(err->field, field, sizeof err->field);
}

/* --- answer cache --------------------------------------------------------------- */

void app_cache_init(struct app_cache *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
}

/* Drops one reference to a cached text (an api_release_fn). */
static void cache_text_release(const void *data, size_t len, void *arg)
{
    struct app_cache_text *t = arg;
    (void)data;
    (void)len;
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        free(t);
}

void app_cache_free(struct app_cache *c)
{
    for (size_t i = 0; i < APP_CACHE_SLOTS; i++)
        cache_text_release(NULL, 0, c->slots[i].body);
    pthread_mutex_destroy(&c->lock);
}

/* Appends s to key (NUL-terminated); false when the key would not fit. */
static bool key_put(char key[APP_CACHE_KEY_MAX], size_t *len, const char *s)
{
    size_t l = strlen(s);
    if (*len + l >= APP_CACHE_KEY_MAX - 1)
        return false;
    memcpy(key + *len, s, l + 1);
    *len += l;
    return true;
}

bool app_cache_key(const struct api_request *req, char key[APP_CACHE_KEY_MAX])
{
    /* Once per cached answer: by hand, not snprintf. */
    size_t len = 0;
    bool ok = key_put(key, &len, req->route->pattern);
    for (size_t i = 0; ok && i < req->query.n; i++)
        ok = key_put(key, &len, "\n") && key_put(key, &len, req->query.items[i].key) &&
             key_put(key, &len, "=") && key_put(key, &len, req->query.items[i].value);
    return ok;
}

bool app_cache_answer(struct app *app, const char *key, struct api_response *resp)
{
    struct app_cache *c = &app->cache;
    uint64_t gen = atomic_load(&app->generation);
    uint64_t now = api_now_us();
    struct app_cache_text *t = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < APP_CACHE_SLOTS; i++) {
        struct app_cache_entry *e = &c->slots[i];
        if (e->body && e->generation == gen && now - e->made_us < APP_CACHE_TTL_US &&
            strcmp(e->key, key) == 0) {
            t = e->body;
            atomic_fetch_add(&t->refs, 1); /* under the lock: the entry still holds one */
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (!t)
        return false;
    api_response_raw_shared(resp, 200, "application/json; charset=utf-8", t->text, t->len,
                            cache_text_release, t);
    return true;
}

void app_cache_store(struct app *app, const char *key, uint64_t generation,
                     const json_t *body)
{
    /* The same bytes the server would send for body. */
    size_t len;
    char *text = api_json_text(body, &len);
    if (!text)
        return;
    struct app_cache_text *t = malloc(sizeof *t + len + 1);
    if (!t) {
        free(text);
        return;
    }
    atomic_init(&t->refs, 1);
    memcpy(t->text, text, len + 1);
    free(text);
    t->len = len;
    struct app_cache *c = &app->cache;
    pthread_mutex_lock(&c->lock);
    struct app_cache_entry *e = NULL;
    for (size_t i = 0; i < APP_CACHE_SLOTS && !e; i++)
        if (c->slots[i].body && strcmp(c->slots[i].key, key) == 0)
            e = &c->slots[i];
    if (!e) {
        e = &c->slots[c->next];
        c->next = (c->next + 1) % APP_CACHE_SLOTS;
    }
    struct app_cache_text *old = e->body;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->generation = generation;
    e->made_us = api_now_us();
    e->body = t;
    pthread_mutex_unlock(&c->lock);
    cache_text_release(NULL, 0, old); /* responses sending it keep their own */
}

/* --- hooks ------------------------------------------------------------------------ */

/* Every answer in the cache was made at an older generation: none is used again. */
static void app_written(void *arg)
{
    struct app *app = arg;
    atomic_fetch_add(&app->generation, 1);
}

int app_migrate(struct app *app)
{
    struct stdtax_error err = {0};
    json_t *report = NULL;
    int rc = svc_migrate(app->svc, NULL, 0, time(NULL), &report, &err);
    if (rc != 0) {
        LOG_ERROR("migrate", "re-filing under the new framework stopped: %s%s%s",
                  err.field, err.field[0] ? ": " : "", err.text);
        return rc;
    }
    json_int_t n = json_integer_value(json_object_get(report, "refiled"));
    if (n > 0) {
        char *by = json_dumps(json_object_get(report, "by_code"), JSON_COMPACT);
        LOG_INFO("migrate",
                 "re-filed %" JSON_INTEGER_FORMAT
                 " proposals from framework %s to %s in %" JSON_INTEGER_FORMAT
                 " transactions: %s",
                 n, json_string_value(json_object_get(report, "from")) ?: "-",
                 json_string_value(json_object_get(report, "to")) ?: "-",
                 json_integer_value(json_object_get(report, "batches")), by ? by : "");
        free(by);
        app_written(app);
    }
    json_decref(report);
    return 0;
}

static int app_reload(void *arg, struct stdtax_error *err)
{
    struct app *app = arg;
    json_t *versions = NULL;
    json_t *problems = json_array();
    int rc = svc_engine_reload(app->svc, &versions, problems, err);
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        LOG_ERROR("reload", "%s %s: %s", app->cfg->taxonomy,
                  json_string_value(json_object_get(p, "pointer")) ?: "",
                  json_string_value(json_object_get(p, "detail")) ?: "");
    }
    if (rc != 0)
        app_engine_error_locate(app->cfg, err);
    else
        app_written(app); /* labels and versions in cached answers changed */
    if (rc == 0) {
        LOG_INFO("reload", "now serving taxonomy %s, model %s",
                 json_string_value(json_object_get(versions, "taxonomy_version")) ?: "-",
                 json_string_value(json_object_get(versions, "model_version")) ?: "-");
        app_migrate(app);
    }
    json_decref(problems);
    json_decref(versions);
    return rc;
}

/* Prometheus label values: backslash, quote and newline escaped. */
static void label_value(struct api_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            api_buf_printf(out, "\\%c", *s);
        else if (*s == '\n')
            api_buf_printf(out, "\\n");
        else
            api_buf_printf(out, "%c", *s);
    }
}

static void node_gauge(struct api_buf *out, const json_t *node)
{
    const char *code = json_string_value(json_object_get(node, "code"));
    if (!code)
        return;
    api_buf_printf(out, "stdtax_proposals{category=\"");
    label_value(out, code);
    api_buf_printf(out, "\"} %" JSON_INTEGER_FORMAT "\n",
                   json_integer_value(json_object_get(node, "count")));
}

static int app_metrics(void *arg, struct api_buf *out)
{
    struct app *app = arg;
    struct stdtax_error err = {0};
    json_t *stats = NULL;
    int rc = svc_stats_get(app->svc, &(struct svc_filter){0}, &stats, NULL, &err);
    if (rc != 0) {
        LOG_ERROR("metrics", "stats: %s", err.text[0] ? err.text : stdtax_strerror(rc));
        return rc;
    }
    api_buf_printf(out, "# HELP stdtax_proposals Proposals (not withdrawn) per category "
                        "and subcategory.\n# TYPE stdtax_proposals gauge\n");
    size_t i, k;
    json_t *cat, *sub;
    json_array_foreach(json_object_get(stats, "categories"), i, cat)
    {
        node_gauge(out, cat);
        json_array_foreach(json_object_get(cat, "subcategories"), k, sub)
            node_gauge(out, sub);
    }
    api_buf_printf(out,
                   "# HELP stdtax_proposals_total Proposals (not withdrawn).\n"
                   "# TYPE stdtax_proposals_total gauge\nstdtax_proposals_total "
                   "%" JSON_INTEGER_FORMAT "\n",
                   json_integer_value(json_object_get(stats, "total")));
    json_decref(stats);
    api_buf_printf(out,
                   "# HELP stdtax_classifications_total Texts classified by "
                   "/v1/classify and /v1/classify/batch.\n"
                   "# TYPE stdtax_classifications_total counter\n"
                   "stdtax_classifications_total %" PRIuFAST64 "\n",
                   atomic_load(&app->classifications));
    uint64_t batches, items;
    commit_queue_counts(app->commits, &batches, &items);
    api_buf_printf(out,
                   "# HELP stdtax_commit_batches_total Write transactions of the group "
                   "commit of submissions.\n# TYPE stdtax_commit_batches_total counter\n"
                   "stdtax_commit_batches_total %" PRIu64 "\n"
                   "# HELP stdtax_commit_items_total Submissions stored by the group "
                   "commit.\n# TYPE stdtax_commit_items_total counter\n"
                   "stdtax_commit_items_total %" PRIu64 "\n",
                   batches, items);
    json_t *raw = NULL;
    if (svc_store_stats(app->svc, &raw, &err) == 0) {
        json_int_t pages = json_integer_value(json_object_get(raw, "last_page")) + 1;
        json_int_t psize = json_integer_value(json_object_get(raw, "page_size"));
        api_buf_printf(out,
                       "# HELP stdtax_store_bytes Bytes of the store in use (pages up to "
                       "the last one written).\n# TYPE stdtax_store_bytes gauge\n"
                       "stdtax_store_bytes %" JSON_INTEGER_FORMAT "\n"
                       "# HELP stdtax_store_map_bytes Size of the store's memory map.\n"
                       "# TYPE stdtax_store_map_bytes gauge\n"
                       "stdtax_store_map_bytes %" JSON_INTEGER_FORMAT "\n",
                       pages * psize,
                       json_integer_value(json_object_get(raw, "map_size")));
        json_decref(raw);
    }
    return 0;
}

static int app_ready(void *arg, struct stdtax_error *err)
{
    struct app *app = arg;
    if (!app->svc) /* an open service has its store open */
        return stdtax_error_set(err, API_EUNAVAILABLE, "", "the store is not open");
    return 0;
}

static void app_stop(void *arg)
{
    struct app *app = arg;
    commit_queue_stop(app->commits);
    api_backup_stop(app);
}

static const struct api_hooks hooks = {
    .stop = app_stop,
    .written = app_written,
    .reload = app_reload,
    .metrics = app_metrics,
    .ready = app_ready,
};

const struct api_hooks *app_hooks(void)
{
    return &hooks;
}
