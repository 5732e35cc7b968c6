/* Responses, the one error table, auth and header checks, and what the dispatcher
 * does after a write route answered: no evhttp here. */
#include "api.h"
#include "stdtax/jsonflat.h"
#include "stdtax/jsonw.h"
#include "stdtax/message.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <time.h>

/* THE table: error code -> HTTP status, problem type and title (webdis worker.c).
 * Types are URNs: stable names, not links, since no page is served for them. */
static const struct {
    int code;
    int status;
    const char *slug;
    const char *title;
} problem_table[] = {
    {STDTAX_EPARSE, 400, "unparsable", "Unparsable request"},
    {STDTAX_EUTF8, 400, "invalid-utf8", "Text is not valid UTF-8"},
    {API_EUNAUTHORIZED, 401, "unauthorized", "Missing or unknown bearer token"},
    {STDTAX_EFORBIDDEN, 403, "forbidden", "Token lacks the scope for this action"},
    {STDTAX_ENOTFOUND, 404, "not-found", "Not found"},
    {API_EMETHOD, 405, "method-not-allowed", "Method not allowed"},
    {API_ENOTACCEPTABLE, 406, "not-acceptable", "No acceptable representation"},
    {STDTAX_ECONFLICT, 409, "conflict", "Conflict with the current state"},
    {STDTAX_ETOOBIG, 413, "too-large", "Request too large"},
    {API_EURITOOLONG, 414, "uri-too-long", "Request target too long"},
    {API_EMEDIATYPE, 415, "unsupported-media-type", "Body must be application/json"},
    {STDTAX_ETYPE, 415, "unsupported-file-type", "File type not accepted"},
    {STDTAX_EINVAL, 422, "invalid", "Invalid content"},
    {STDTAX_EEMPTY, 422, "empty-text", "Text is empty"},
    {STDTAX_ELATE, 422, "late", "Submitted after the deadline of its track"},
    {API_ETOOMANY, 429, "too-many", "Too many requests or items"},
    {STDTAX_ENOMEM, 500, "internal", "Out of memory"},
    {STDTAX_EIO, 500, "internal", "Input/output error"},
    {STDTAX_ESTORE, 500, "store", "Store error"},
    {STDTAX_EVERSION, 500, "version", "Data of another schema version"},
    {API_EINTERNAL, 500, "internal", "Internal error"},
    {API_EUNAVAILABLE, 503, "unavailable", "Service unavailable"},
    {API_EHTTPVERSION, 505, "http-version", "HTTP version not supported"},
    {STDTAX_ENOSPC, 507, "no-space", "No space left for the store"},
};

#define PROBLEM_TYPE_PREFIX "urn:stdtaxd:problem:"

static size_t problem_index(int err)
{
    for (size_t i = 0; i < sizeof problem_table / sizeof problem_table[0]; i++)
        if (problem_table[i].code == err)
            return i;
    return SIZE_MAX;
}

int api_err_status(int err)
{
    size_t i = problem_index(err);
    return i == SIZE_MAX ? 500 : problem_table[i].status;
}

static void raw_drop(struct api_response *resp)
{
    if (resp->has_file)
        close(resp->file_fd);
    resp->has_file = false;
    if (resp->raw && resp->raw_release)
        resp->raw_release(resp->raw, resp->raw_len, resp->raw_release_arg);
    else
        free(resp->raw);
    resp->raw = NULL;
    resp->raw_release = NULL;
    resp->raw_release_arg = NULL;
}

void api_response_clear(struct api_response *resp)
{
    json_decref(resp->body);
    raw_drop(resp);
    for (size_t i = 0; i < resp->n_headers; i++)
        free(resp->headers[i].value);
    memset(resp, 0, sizeof *resp);
}

static void response_body_clear(struct api_response *resp)
{
    json_decref(resp->body);
    resp->body = NULL;
    raw_drop(resp);
    resp->raw_len = 0;
    resp->content_type = NULL;
}

int api_response_json(struct api_response *resp, int status, json_t *body)
{
    response_body_clear(resp);
    resp->status = status;
    resp->body = body;
    return 0;
}

char *api_json_text(const json_t *body, size_t *len)
{
    struct jsonw w;
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    jsonw_value(&w, body);
    jsonw_newline(&w);
    char *text;
    return jsonw_finish(&w, &text, len) == 0 ? text : NULL;
}

int api_response_raw(struct api_response *resp, int status, const char *content_type,
                     char *data, size_t len)
{
    response_body_clear(resp);
    resp->status = status;
    resp->raw = data;
    resp->raw_len = len;
    resp->content_type = content_type;
    return 0;
}

int api_response_file(struct api_response *resp, int status, const char *content_type,
                      int fd, long long offset, long long len)
{
    api_response_raw(resp, status, content_type, NULL, 0);
    resp->has_file = true;
    resp->file_fd = fd;
    resp->file_offset = offset;
    resp->file_len = len;
    return 0;
}

int api_response_raw_shared(struct api_response *resp, int status,
                            const char *content_type, const char *data, size_t len,
                            api_release_fn release, void *arg)
{
    api_response_raw(resp, status, content_type, (char *)data, len);
    resp->raw_release = release;
    resp->raw_release_arg = arg;
    return 0;
}

int api_response_header(struct api_response *resp, const char *name, const char *fmt, ...)
{
    if (resp->n_headers == API_HEADERS_MAX)
        return STDTAX_ETOOBIG;
    char *value;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0)
        return STDTAX_ENOMEM;
    /* A header value never carries CR or LF, whatever a handler put in it. */
    for (char *c = value; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    resp->headers[resp->n_headers].name = name;
    resp->headers[resp->n_headers].value = value;
    resp->n_headers++;
    return 0;
}

const char *api_response_header_get(const struct api_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

int api_response_problem(struct api_response *resp, int err, json_t *errors,
                         const char *fmt, ...)
{
    size_t i = problem_index(err);
    int status = i == SIZE_MAX ? 500 : problem_table[i].status;
    const char *slug = i == SIZE_MAX ? "internal" : problem_table[i].slug;
    const char *title = i == SIZE_MAX ? "Internal error" : problem_table[i].title;
    char detail[STDTAX_TEXT_MAX + 64];
    char type[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(type, sizeof type, PROBLEM_TYPE_PREFIX "%s", slug);
    /* json_string rejects invalid UTF-8: a detail quoting hostile input must still
     * produce a problem, so fall back to the title. */
    json_t *jdetail = json_string(detail);
    if (!jdetail)
        jdetail = json_string(title);
    json_t *body = json_pack("{s:s, s:s, s:i, s:o}", "type", type, "title", title,
                             "status", status, "detail", jdetail);
    if (body && errors)
        json_object_set_new(body, "errors", errors);
    else
        json_decref(errors);
    api_response_json(resp, status, body);
    resp->content_type = "application/problem+json; charset=utf-8";
    return err;
}

/* --- after a write ---------------------------------------------------------- */

void api_route_answered(struct api_ctx *ctx, const struct api_route *route,
                        const struct api_response *resp)
{
    if (!route || !(route->flags & API_F_WRITE) || !ctx->hooks->written)
        return;
    /* A refusal stored nothing.  Anything else may have (a 5xx after a partial
     * import too): dropping a cache costs one rebuild, keeping a stale one a wrong
     * answer. */
    int status = resp->status ? resp->status : 200;
    if (status >= 400 && status < 500)
        return;
    ctx->hooks->written(ctx->app);
}

void api_problem_localise(json_t *problem, enum msg_lang lang)
{
    static const char *const texts[] = {"title", "detail"};
    char out[STDTAX_TEXT_MAX + 64];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *en = json_string_value(json_object_get(problem, texts[i]));
        if (en && msg_translate(en, lang, out, sizeof out))
            json_object_set_new(problem, texts[i], json_string(out));
    }
    msg_problems_render(json_object_get(problem, "errors"), lang);
}

/* --- auth and headers ------------------------------------------------------ */

bool api_secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Runs over the configured secret's length whatever the presented one is, so the
     * time tells nothing about how much of it matched. */
    volatile unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < blen; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        diff |= (unsigned char)(x ^ (unsigned char)b[i]);
    }
    return diff == 0;
}

int api_auth_check(const struct stdtax_config *cfg, const char *authorization,
                   enum cfg_scope need, enum cfg_scope *granted, const char **token_name)
{
    *granted = CFG_SCOPE_NONE;
    *token_name = NULL;
    if (!authorization) {
        if (need == CFG_SCOPE_NONE ||
            (need == CFG_SCOPE_READ && !cfg->require_read_token))
            return 0;
        return API_EUNAUTHORIZED;
    }
    /* RFC 6750: "Bearer" is case-insensitive, one or more spaces, then the token. */
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return API_EUNAUTHORIZED;
    const char *tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    size_t len = strlen(tok);
    while (len && tok[len - 1] == ' ')
        len--;
    if (len == 0 || len > CFG_TOKEN_SECRET_MAX)
        return API_EUNAUTHORIZED;
    const struct cfg_token *found = NULL;
    for (size_t i = 0; i < cfg->n_tokens; i++) {
        bool eq =
            api_secret_equal(tok, len, cfg->tokens[i].secret, cfg->tokens[i].secret_len);
        if (eq && !found)
            found = &cfg->tokens[i];
    }
    /* A wrong token is refused even on an open route: a caller who sends a
     * credential should learn that it is bad. */
    if (!found)
        return API_EUNAUTHORIZED;
    *granted = found->scope;
    *token_name = found->name;
    if (need == CFG_SCOPE_NONE || need == CFG_SCOPE_READ)
        return 0;
    return found->scope >= need ? 0 : STDTAX_EFORBIDDEN;
}

/* value is `type` with no parameter but a UTF-8 charset. */
static bool content_type_is(const char *value, const char *type)
{
    if (!value)
        return false;
    while (*value == ' ')
        value++;
    size_t tlen = strlen(type);
    if (strncasecmp(value, type, tlen) != 0)
        return false;
    const char *p = value + tlen;
    while (*p == ' ')
        p++;
    if (!*p)
        return true;
    if (*p != ';')
        return false;
    /* Parameters: only charset, and only UTF-8 (RFC 8259 says JSON is UTF-8). */
    for (;;) {
        p++;
        while (*p == ' ')
            p++;
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        while (n && p[n - 1] == ' ')
            n--;
        if (n == 0 && !semi)
            return true;
        if (n == 13 && strncasecmp(p, "charset=utf-8", 13) == 0) {
        } else if (n == 15 && strncasecmp(p, "charset=\"utf-8\"", 15) == 0) {
        } else {
            return false;
        }
        if (!semi)
            return true;
        p = semi;
    }
}

bool api_content_type_json(const char *value)
{
    return content_type_is(value, "application/json");
}

bool api_content_type_merge_patch(const char *value)
{
    return content_type_is(value, "application/merge-patch+json");
}

bool api_content_type_jsonl(const char *value)
{
    return content_type_is(value, "application/x-ndjson") ||
           content_type_is(value, "application/jsonl") ||
           content_type_is(value, "application/x-jsonl");
}

int api_body_parse_jsonl(const struct stdtax_config *cfg, const char *data, size_t len,
                         json_t **out, struct api_response *resp)
{
    *out = NULL;
    if (len > cfg->max_body)
        return api_response_problem(resp, STDTAX_ETOOBIG, NULL,
                                    "body of %zu bytes is over the limit of %zu", len,
                                    cfg->max_body);
    json_t *a = json_array();
    if (!a)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    size_t line = 0;
    for (size_t p = 0; p < len; line++) {
        const char *nl = memchr(data + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - data) : len, s = p;
        p = end + 1;
        while (s < end && (data[s] == ' ' || data[s] == '\t' || data[s] == '\r'))
            s++;
        if (s == end)
            continue;
        json_error_t jerr;
        json_t *v = json_loadb(data + s, end - s, JSON_REJECT_DUPLICATES, &jerr);
        if (!v) {
            json_decref(a);
            api_response_problem(resp, STDTAX_EPARSE, NULL,
                                 "invalid JSON at line %zu, column %d: %s", line + 1,
                                 jerr.column, jerr.text);
            if (resp->body)
                json_object_set_new(resp->body, "line",
                                    json_integer((json_int_t)line + 1));
            return STDTAX_EPARSE;
        }
        json_array_append_new(a, v);
    }
    if (json_array_size(a) == 0) {
        json_decref(a);
        return api_response_problem(resp, STDTAX_EPARSE, NULL,
                                    "the request body has no JSON line");
    }
    *out = a;
    return 0;
}

bool api_cors_allowed(const struct stdtax_config *cfg, const char *origin)
{
    if (!origin || !*origin)
        return false;
    for (size_t i = 0; i < cfg->n_cors_origins; i++)
        if (strcmp(cfg->cors_origins[i], "*") == 0 ||
            strcasecmp(cfg->cors_origins[i], origin) == 0)
            return true;
    return false;
}

int api_body_parse(const struct stdtax_config *cfg, const char *content_type,
                   const char *data, size_t len, json_t **out, struct api_response *resp)
{
    *out = NULL;
    if (!api_content_type_json(content_type))
        return api_response_problem(resp, API_EMEDIATYPE, NULL,
                                    "Content-Type must be application/json (UTF-8), not "
                                    "'%.80s'",
                                    content_type ? content_type : "(none)");
    if (len > cfg->max_body)
        return api_response_problem(resp, STDTAX_ETOOBIG, NULL,
                                    "body of %zu bytes is over the limit of %zu", len,
                                    cfg->max_body);
    if (len == 0)
        return api_response_problem(
            resp, STDTAX_EPARSE, NULL,
            "the request body is empty; a JSON object is expected");
    json_error_t jerr;
    /* A flat object of strings (a classification request) without jansson's loader:
     * its lexer, string buffers and hash table growth were a fifth of a
     * classification request.  The same object; anything else goes to jansson. */
    if ((*out = jsonflat_object_new(data, len)) != NULL)
        return 0;
    /* jansson refuses invalid UTF-8 and \u0000 by itself; duplicate keys we refuse,
     * since which one wins would be a guess. */
    *out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out)
        return 0;
    api_response_problem(resp, STDTAX_EPARSE, NULL,
                         "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                         jerr.text);
    if (resp->body) {
        json_object_set_new(resp->body, "line", json_integer(jerr.line));
        json_object_set_new(resp->body, "column", json_integer(jerr.column));
        json_object_set_new(resp->body, "position", json_integer(jerr.position));
    }
    return STDTAX_EPARSE;
}

/* --- text buffer -------------------------------------------------------------- */

void api_buf_printf(struct api_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_list ap;
        va_start(ap, fmt);
        int n = room ? vsnprintf(b->data + b->len, room, fmt, ap) : -2;
        va_end(ap);
        if (n == -1) {
            b->failed = true;
            return;
        }
        if (n >= 0 && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t want = b->cap ? b->cap * 2 : 4096;
        if (n > 0 && want < b->len + (size_t)n + 1)
            want = b->len + (size_t)n + 1;
        char *p = realloc(b->data, want);
        if (!p) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = want;
    }
}

void api_buf_free(struct api_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

uint64_t api_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
