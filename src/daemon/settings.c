#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFF(field) offsetof(struct stdtax_config, field)
#define KIB 1024ULL
#define MIB (1024ULL * 1024ULL)

/* One row per directive; a new setting is a new row here plus a field. */
static const struct cfg_directive directives[] = {
    {"listen", CFG_T_LISTEN, OFF(listen), 0, 0, true, false, "ADDR[:PORT]",
     "address to listen on (127.0.0.1)"},
    {"port", CFG_T_UINT, OFF(port), 0, 65535, true, false, "N",
     "TCP port (8080); 0 picks a free port, see port-file"},
    {"port-file", CFG_T_PATH, OFF(port_file), 0, 0, true, false, "FILE",
     "write the bound port to FILE once listening"},
    {"workers", CFG_T_UINT, OFF(workers), 0, 256, true, false, "N",
     "event-loop threads (0 = one per core)"},
    {"threads", CFG_T_UINT, OFF(workers), 0, 256, true, false, "N", "same as workers"},
    {"data-dir", CFG_T_PATH, OFF(data_dir), 0, 0, true, false, "DIR",
     "directory of the LMDB store"},
    {"taxonomy", CFG_T_PATH, OFF(taxonomy), 0, 0, true, false, "FILE",
     "taxonomy JSON file"},
    {"model", CFG_T_PATH, OFF(model), 0, 0, true, false, "FILE",
     "classifier model JSON file"},
    {"openapi", CFG_T_PATH, OFF(openapi), 0, 0, true, false, "FILE",
     "OpenAPI description served at /v1/openapi.json"},
    {"backup-dir", CFG_T_PATH, OFF(backup_dir), 0, 0, true, false, "DIR",
     "where POST /v1/admin/backup writes backups (none: the route answers 409)"},
    {"backup-keep", CFG_T_UINT, OFF(backup_keep), 1, 10000, true, false, "N",
     "backups kept in backup-dir after each one (7)"},
    {"web-root", CFG_T_PATH, OFF(web_root), 0, 0, true, false, "DIR",
     "directory of the dashboard served at / and /ui/"},
    {"token", CFG_T_TOKEN, OFF(tokens), 0, 0, false, true, "[NAME] SCOPE SECRET",
     "bearer token with scope submit or admin (config file only)"},
    {"require-read-token", CFG_T_BOOL, OFF(require_read_token), 0, 0, true, false,
     "yes|no", "reads need a token too (no)"},
    {"max-body", CFG_T_SIZE, OFF(max_body), 1 * KIB, 256 * MIB, true, false, "SIZE",
     "largest request body (1MiB)"},
    {"material-max", CFG_T_SIZE, OFF(material_max), 1 * KIB, 1024 * MIB, true, false,
     "SIZE", "largest submission material (20MiB)"},
    {"materials-per-proposal", CFG_T_UINT, OFF(materials_per_proposal), 1, 1000, true,
     false, "N", "materials one proposal may have (10)"},
    {"max-header", CFG_T_SIZE, OFF(max_header), 1 * KIB, 1 * MIB, true, false, "SIZE",
     "largest request header block (16KiB)"},
    {"max-connections", CFG_T_UINT, OFF(max_connections), 1, 1000000, true, false, "N",
     "open connections at most, over all workers (1024)"},
    {"idle-timeout", CFG_T_SECONDS, OFF(idle_timeout), 1, 86400, true, false, "SECONDS",
     "keep-alive connection idle time (60)"},
    {"read-timeout", CFG_T_SECONDS, OFF(read_timeout), 1, 3600, true, false, "SECONDS",
     "time to receive a request or send a response (30)"},
    {"idempotency-ttl", CFG_T_SECONDS, OFF(idempotency_ttl), 1, 366 * 86400, true, false,
     "SECONDS", "how long an Idempotency-Key is remembered (7d)"},
    {"shutdown-grace", CFG_T_SECONDS, OFF(shutdown_grace), 0, 3600, true, false,
     "SECONDS", "time for in-flight requests after SIGTERM (10)"},
    {"overlap-threshold", CFG_T_FRACTION, OFF(overlap_threshold), 0, 1, true, false, "X",
     "similarity (0..1) from which overlaps with standards and proposals are reported"},
    {"duplicate-check", CFG_T_BOOL, OFF(duplicate_check), 0, 0, true, false, "yes|no",
     "refuse (409) a proposal that duplicates one of the same organisation"},
    {"batch-max", CFG_T_UINT, OFF(batch_max), 1, 10000, true, false, "N",
     "items per classify batch (100)"},
    {"log-level", CFG_T_LEVEL, OFF(log_level), 0, 0, true, false, "error|warn|info|debug",
     "log verbosity (info)"},
    {"log-timestamps", CFG_T_TRISTATE, OFF(log_timestamps), 0, 0, true, false,
     "yes|no|auto", "prefix log lines with the time (auto: when stderr is a tty)"},
    {"access-log", CFG_T_BOOL, OFF(access_log), 0, 0, true, false, "yes|no",
     "one log line per request (yes)"},
    {"cors-origin", CFG_T_ORIGIN, OFF(cors_origins), 0, 0, true, true, "ORIGIN",
     "allow browser calls from ORIGIN (repeatable; * for any)"},
    {NULL, 0, 0, 0, 0, false, false, NULL, NULL},
};

#define N_DIRECTIVES (sizeof directives / sizeof directives[0] - 1)
_Static_assert(N_DIRECTIVES <= sizeof(((struct stdtax_config *)0)->source),
               "source[] too small for the directive table");

const struct cfg_directive *cfg_directive_table(void)
{
    return directives;
}

const struct cfg_directive *cfg_directive_find(const char *name)
{
    for (size_t i = 0; i < N_DIRECTIVES; i++)
        if (strcmp(directives[i].name, name) == 0)
            return &directives[i];
    return NULL;
}

const char *cfg_scope_name(enum cfg_scope scope)
{
    switch (scope) {
    case CFG_SCOPE_NONE:
        return "none";
    case CFG_SCOPE_READ:
        return "read";
    case CFG_SCOPE_SUBMIT:
        return "submit";
    case CFG_SCOPE_ADMIN:
        return "admin";
    }
    return "none";
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *cfg_level_name(enum cfg_log_level level)
{
    if ((unsigned)level < sizeof level_names / sizeof level_names[0])
        return level_names[level];
    return "info";
}

int cfg_config_init(struct stdtax_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = strdup("127.0.0.1");
    if (!cfg->listen)
        return STDTAX_ENOMEM;
    cfg->port = 8080;
    cfg->workers = 0;
    cfg->require_read_token = false;
    cfg->max_body = 1 * MIB;
    cfg->max_header = 16 * KIB;
    cfg->material_max = 20 * MIB;
    cfg->materials_per_proposal = 10;
    cfg->max_connections = 1024;
    cfg->idle_timeout = 60;
    cfg->idempotency_ttl = 7 * 86400;
    cfg->backup_keep = 7;
    cfg->read_timeout = 30;
    cfg->shutdown_grace = 10;
    cfg->batch_max = 100;
    cfg->overlap_threshold = 0.5;
    cfg->duplicate_check = true;
    cfg->log_level = CFG_LOG_INFO;
    cfg->log_timestamps = -1;
    cfg->access_log = true;
    return 0;
}

static void tokens_clear(struct stdtax_config *cfg)
{
    for (size_t i = 0; i < cfg->n_tokens; i++) {
        if (cfg->tokens[i].secret) {
            /* volatile so the wipe is not optimised away before free */
            volatile char *p = cfg->tokens[i].secret;
            for (size_t j = 0; j < cfg->tokens[i].secret_len; j++)
                p[j] = 0;
            free(cfg->tokens[i].secret);
        }
    }
    memset(cfg->tokens, 0, sizeof cfg->tokens);
    cfg->n_tokens = 0;
}

static void origins_clear(struct stdtax_config *cfg)
{
    for (size_t i = 0; i < cfg->n_cors_origins; i++)
        free(cfg->cors_origins[i]);
    cfg->n_cors_origins = 0;
}

void cfg_config_free(struct stdtax_config *cfg)
{
    char **strings[] = {&cfg->listen,      &cfg->port_file, &cfg->data_dir,
                        &cfg->taxonomy,    &cfg->model,     &cfg->openapi,
                        &cfg->config_file, &cfg->web_root,  &cfg->backup_dir};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
    tokens_clear(cfg);
    origins_clear(cfg);
}

/* --- value parsers ---------------------------------------------------------- */

static int parse_number(const char *s, unsigned long long *out, const char **rest)
{
    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    *rest = end;
    return 0;
}

static int parse_uint(const char *s, unsigned long long *out)
{
    const char *rest;
    if (parse_number(s, out, &rest) != 0 || *rest)
        return -1;
    return 0;
}

static int parse_size(const char *s, unsigned long long *out)
{
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"", 1},           {"b", 1},           {"k", KIB},         {"kb", KIB},
                 {"kib", KIB},      {"m", MIB},         {"mb", MIB},        {"mib", MIB},
                 {"g", 1024 * MIB}, {"gb", 1024 * MIB}, {"gib", 1024 * MIB}};
    const char *rest;
    unsigned long long v;
    if (parse_number(s, &v, &rest) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(rest, units[i].suffix) == 0) {
            if (v > UINT64_MAX / units[i].mult)
                return -1;
            *out = v * units[i].mult;
            return 0;
        }
    }
    return -1;
}

static int parse_seconds(const char *s, unsigned long long *out)
{
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"", 1}, {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400}};
    const char *rest;
    unsigned long long v;
    if (parse_number(s, &v, &rest) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(rest, units[i].suffix) == 0) {
            if (v > UINT64_MAX / units[i].mult)
                return -1;
            *out = v * units[i].mult;
            return 0;
        }
    }
    return -1;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int cfg_listen_split(const char *value, char *host, size_t host_size, unsigned *port,
                     bool *has_port)
{
    const char *h = value, *p = NULL;
    size_t hlen;
    *has_port = false;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (!close)
            return STDTAX_EINVAL;
        h = value + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1])
            return STDTAX_EINVAL;
    } else {
        const char *colon = strchr(value, ':');
        if (colon && !strchr(colon + 1, ':')) {
            hlen = (size_t)(colon - value);
            p = colon + 1;
        } else {
            hlen = strlen(value); /* no colon, or a bare IPv6 address */
        }
    }
    if (hlen == 0 || hlen >= host_size)
        return STDTAX_EINVAL;
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!(isalnum(c) || c == '.' || c == ':' || c == '-' || c == '%' || c == '_'))
            return STDTAX_EINVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (p) {
        unsigned long long v;
        if (parse_uint(p, &v) != 0 || v > 65535)
            return STDTAX_EINVAL;
        *port = (unsigned)v;
        *has_port = true;
    }
    return 0;
}

/* An origin is what a browser sends in Origin: scheme://host[:port], no path. */
static bool origin_valid(const char *s)
{
    if (strcmp(s, "*") == 0)
        return true;
    const char *host;
    if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else
        return false;
    if (!*host || strlen(s) > 255)
        return false;
    for (const char *c = host; *c; c++)
        if (!(isalnum((unsigned char)*c) || strchr(".-:[]", *c)))
            return false;
    return true;
}

static bool scope_parse(const char *s, enum cfg_scope *out)
{
    if (strcmp(s, "submit") == 0)
        *out = CFG_SCOPE_SUBMIT;
    else if (strcmp(s, "admin") == 0)
        *out = CFG_SCOPE_ADMIN;
    else
        return false;
    return true;
}

static bool token_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= CFG_TOKEN_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr("._-@", s[i])))
            return false;
    return true;
}

static int token_add(struct stdtax_config *cfg, size_t argc, char *const *argv,
                     const char *where, struct stdtax_error *err)
{
    const char *name, *scope_word, *secret;
    char auto_name[CFG_TOKEN_NAME_MAX];
    if (argc == 3) {
        name = argv[0];
        scope_word = argv[1];
        secret = argv[2];
        if (!token_name_valid(name))
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "token: name must be 1-63 of [A-Za-z0-9._@-]");
    } else if (argc == 2) {
        scope_word = argv[0];
        secret = argv[1];
        snprintf(auto_name, sizeof auto_name, "%s-%zu", scope_word, cfg->n_tokens + 1);
        name = auto_name;
    } else {
        return stdtax_error_set(err, STDTAX_EINVAL, where,
                                "token: expected [NAME] SCOPE SECRET");
    }
    enum cfg_scope scope;
    if (!scope_parse(scope_word, &scope))
        return stdtax_error_set(err, STDTAX_EINVAL, where,
                                "token: scope must be submit or admin");
    size_t len = strlen(secret);
    if (len < CFG_TOKEN_SECRET_MIN || len > CFG_TOKEN_SECRET_MAX)
        return stdtax_error_set(err, STDTAX_EINVAL, where,
                                "token: secret must be %d to %d characters",
                                CFG_TOKEN_SECRET_MIN, CFG_TOKEN_SECRET_MAX);
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)secret[i]))
            return stdtax_error_set(
                err, STDTAX_EINVAL, where,
                "token: secret must be printable ASCII without spaces");
    if (cfg->n_tokens >= CFG_TOKENS_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, where, "token: more than %d tokens",
                                CFG_TOKENS_MAX);
    for (size_t i = 0; i < cfg->n_tokens; i++) {
        if (strcmp(cfg->tokens[i].name, name) == 0)
            return stdtax_error_set(err, STDTAX_ECONFLICT, where,
                                    "token: name '%s' is already used", name);
        if (cfg->tokens[i].secret_len == len &&
            memcmp(cfg->tokens[i].secret, secret, len) == 0)
            return stdtax_error_set(err, STDTAX_ECONFLICT, where,
                                    "token: the same secret is already given to '%s'",
                                    cfg->tokens[i].name);
    }
    struct cfg_token *t = &cfg->tokens[cfg->n_tokens];
    t->secret = strdup(secret);
    if (!t->secret)
        return stdtax_error_set(err, STDTAX_ENOMEM, where, "out of memory");
    snprintf(t->name, sizeof t->name, "%s", name);
    t->scope = scope;
    t->secret_len = len;
    cfg->n_tokens++;
    return 0;
}

static int string_replace(char **field, const char *value, const char *where,
                          struct stdtax_error *err)
{
    char *copy = strdup(value);
    if (!copy)
        return stdtax_error_set(err, STDTAX_ENOMEM, where, "out of memory");
    free(*field);
    *field = copy;
    return 0;
}

int cfg_directive_set(struct stdtax_config *cfg, const char *name, size_t argc,
                      char *const *argv, enum cfg_source source, const char *where,
                      struct stdtax_error *err)
{
    const struct cfg_directive *d = cfg_directive_find(name);
    if (!d)
        return stdtax_error_set(err, STDTAX_EINVAL, where, "unknown directive '%s'",
                                name);
    size_t idx = (size_t)(d - directives);
    if (cfg->source[idx] > source)
        return 0; /* a higher-precedence source already set it */
    bool first_from_source = cfg->source[idx] < source;

    if (d->type != CFG_T_TOKEN && argc != 1)
        return stdtax_error_set(err, STDTAX_EINVAL, where, "%s: expected one value (%s)",
                                d->name, d->arg);
    const char *v = argc ? argv[0] : "";
    if (d->type != CFG_T_TOKEN && !*v)
        return stdtax_error_set(err, STDTAX_EINVAL, where, "%s: empty value", d->name);
    char *base = (char *)cfg + d->offset;
    unsigned long long n;
    int rc = 0;

    switch (d->type) {
    case CFG_T_STRING:
    case CFG_T_PATH:
        if (strlen(v) >= CFG_PATH_MAX)
            return stdtax_error_set(err, STDTAX_ETOOBIG, where, "%s: value too long",
                                    d->name);
        rc = string_replace((char **)base, v, where, err);
        break;
    case CFG_T_UINT:
    case CFG_T_SIZE:
    case CFG_T_SECONDS: {
        int bad = d->type == CFG_T_UINT   ? parse_uint(v, &n)
                  : d->type == CFG_T_SIZE ? parse_size(v, &n)
                                          : parse_seconds(v, &n);
        if (bad)
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: '%s' is not a valid %s", d->name, v,
                                    d->type == CFG_T_SIZE      ? "size (e.g. 512k, 1MiB)"
                                    : d->type == CFG_T_SECONDS ? "duration (e.g. 30, 2m)"
                                                               : "number");
        if (n < d->min || n > d->max)
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: %llu is out of range [%llu, %llu]", d->name, n,
                                    d->min, d->max);
        if (d->type == CFG_T_SIZE)
            *(size_t *)base = (size_t)n;
        else
            *(unsigned *)base = (unsigned)n;
        break;
    }
    case CFG_T_FRACTION: {
        char *end;
        double x = strtod(v, &end);
        if (*end || end == v || !(x >= 0 && x <= 1))
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: '%s' is not a number from 0 to 1", d->name, v);
        *(double *)base = x;
        break;
    }
    case CFG_T_BOOL:
        if (parse_bool(v, (bool *)base) != 0)
            return stdtax_error_set(err, STDTAX_EINVAL, where, "%s: expected yes or no",
                                    d->name);
        break;
    case CFG_T_TRISTATE: {
        bool b;
        if (strcasecmp(v, "auto") == 0)
            *(int *)base = -1;
        else if (parse_bool(v, &b) == 0)
            *(int *)base = b;
        else
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: expected yes, no or auto", d->name);
        break;
    }
    case CFG_T_LEVEL: {
        size_t i;
        for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
            if (strcmp(v, level_names[i]) == 0)
                break;
        if (i == sizeof level_names / sizeof level_names[0])
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: expected error, warn, info or debug", d->name);
        *(enum cfg_log_level *)base = (enum cfg_log_level)i;
        break;
    }
    case CFG_T_LISTEN: {
        char host[256];
        unsigned port = cfg->port;
        bool has_port;
        if (cfg_listen_split(v, host, sizeof host, &port, &has_port) != 0)
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: '%s' is not ADDR, ADDR:PORT or [IPV6]:PORT",
                                    d->name, v);
        rc = string_replace(&cfg->listen, host, where, err);
        if (rc == 0 && has_port) {
            size_t port_idx = (size_t)(cfg_directive_find("port") - directives);
            if (cfg->source[port_idx] <= source) {
                cfg->port = port;
                cfg->source[port_idx] = (unsigned char)source;
            }
        }
        break;
    }
    case CFG_T_TOKEN:
        if (first_from_source)
            tokens_clear(cfg);
        rc = token_add(cfg, argc, argv, where, err);
        break;
    case CFG_T_ORIGIN:
        if (!origin_valid(v))
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "%s: '%s' is not * or scheme://host[:port]", d->name,
                                    v);
        if (first_from_source)
            origins_clear(cfg);
        if (cfg->n_cors_origins >= CFG_ORIGINS_MAX)
            return stdtax_error_set(err, STDTAX_ETOOBIG, where,
                                    "%s: more than %d origins", d->name, CFG_ORIGINS_MAX);
        cfg->cors_origins[cfg->n_cors_origins] = strdup(v);
        if (!cfg->cors_origins[cfg->n_cors_origins])
            return stdtax_error_set(err, STDTAX_ENOMEM, where, "out of memory");
        cfg->n_cors_origins++;
        break;
    }
    if (rc == 0)
        cfg->source[idx] = (unsigned char)source;
    return rc;
}

/* Splits one line into words in place: blanks separate, '#' after a blank starts a
 * comment, "double quotes" keep blanks and take \" and \\ escapes.  Returns the
 * number of words or -1 with *why set. */
static int line_split(char *line, char **words, int max_words, const char **why)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            return n;
        if (n == max_words) {
            *why = "too many words";
            return -1;
        }
        char *out = p;
        words[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) {
                    *why = "unterminated quoted value";
                    return -1;
                }
                if (*p == '"')
                    break;
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                *out++ = *p++;
            }
            p++;
            if (*p && *p != ' ' && *p != '\t') {
                *why = "text right after a closing quote";
                return -1;
            }
        } else {
            while (*p && *p != ' ' && *p != '\t') {
                if (*p == '"') {
                    *why = "quote inside a word";
                    return -1;
                }
                *out++ = *p++;
            }
        }
        if (*p)
            p++;
        *out = '\0';
    }
}

int cfg_text_parse(struct stdtax_config *cfg, const char *name, const char *text,
                   size_t len, struct stdtax_error *err)
{
    char line[CFG_LINE_MAX + 1];
    char where[STDTAX_FIELD_MAX];
    size_t pos = 0;
    unsigned lineno = 0;
    if (len > CFG_FILE_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, name, "file larger than %d bytes",
                                CFG_FILE_MAX);
    while (pos < len) {
        lineno++;
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && start[n - 1] == '\r')
            n--;
        snprintf(where, sizeof where, "%.100s:%u", name, lineno);
        if (n > CFG_LINE_MAX)
            return stdtax_error_set(err, STDTAX_ETOOBIG, where,
                                    "line longer than %d bytes", CFG_LINE_MAX);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)start[i];
            if (c < 0x20 && c != '\t')
                return stdtax_error_set(err, STDTAX_EPARSE, where,
                                        "control character 0x%02x", c);
        }
        memcpy(line, start, n);
        line[n] = '\0';
        char *words[8];
        const char *why = "";
        int nw = line_split(line, words, 8, &why);
        if (nw < 0)
            return stdtax_error_set(err, STDTAX_EPARSE, where, "%s", why);
        if (nw == 0)
            continue;
        if (!cfg_directive_find(words[0]))
            return stdtax_error_set(err, STDTAX_EINVAL, where,
                                    "unknown directive '%.64s'", words[0]);
        int rc = cfg_directive_set(cfg, words[0], (size_t)nw - 1, words + 1,
                                   CFG_SOURCE_FILE, where, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cfg_file_load(struct stdtax_config *cfg, const char *path, struct stdtax_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return stdtax_error_set(err, errno == ENOENT ? STDTAX_ENOTFOUND : STDTAX_EIO,
                                path, "cannot open: %s", strerror(errno));
    char *buf = malloc(CFG_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return stdtax_error_set(err, STDTAX_ENOMEM, path, "out of memory");
    }
    size_t n = fread(buf, 1, CFG_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad)
        rc = stdtax_error_set(err, STDTAX_EIO, path, "read error");
    else
        rc = cfg_text_parse(cfg, path, buf, n, err);
    free(buf);
    return rc;
}

int cfg_config_check(const struct stdtax_config *cfg, struct stdtax_error *err)
{
    const struct {
        const char *name;
        const char *value;
    } paths[] = {{"data-dir", cfg->data_dir},
                 {"taxonomy", cfg->taxonomy},
                 {"openapi", cfg->openapi}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!paths[i].value || !*paths[i].value)
            return stdtax_error_set(err, STDTAX_EINVAL, paths[i].name, "%s is not set",
                                    paths[i].name);
    if (cfg->port == 0 && !cfg->port_file)
        return stdtax_error_set(err, STDTAX_EINVAL, "port",
                                "port 0 needs port-file to tell which port was chosen");
    return 0;
}
