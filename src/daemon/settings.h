/* stdtaxd settings: one struct with a default for every field, and a parser for
 * `directive value...` lines driven by one declarative table (redis config.c,
 * memcached settings).  Only the daemon has settings (listen address, workers,
 * limits, timeouts, tokens, logging, the files it serves): the library and the CLI
 * take what they need as arguments, so this lives in src/daemon.  No globals, no
 * printing: every problem comes back in a struct stdtax_error whose field names
 * where it was found ("file:line" or "--flag") so the daemon can print it and
 * stop. */
#ifndef STDTAXD_SETTINGS_H
#define STDTAXD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "stdtax/error.h"

/* What a bearer token may do.  Ordered: a higher scope includes the lower ones
 * (an admin may also submit, anyone with a token may read). */
enum cfg_scope {
    CFG_SCOPE_NONE = 0,   /* anonymous caller */
    CFG_SCOPE_READ = 1,   /* reads, when require-read-token is on */
    CFG_SCOPE_SUBMIT = 2, /* services submitting proposals */
    CFG_SCOPE_ADMIN = 3,  /* the secretariat: corrections, withdrawals, late entries */
};

enum cfg_log_level {
    CFG_LOG_ERROR = 0,
    CFG_LOG_WARN = 1,
    CFG_LOG_INFO = 2,
    CFG_LOG_DEBUG = 3,
};

/* Where a value came from; a higher source overrides a lower one, and a list
 * directive given by a higher source replaces the list from a lower one. */
enum cfg_source {
    CFG_SOURCE_DEFAULT = 0,
    CFG_SOURCE_FILE = 1,
    CFG_SOURCE_FLAG = 2,
};

#define CFG_TOKEN_NAME_MAX 64
#define CFG_TOKEN_SECRET_MIN 16
#define CFG_TOKEN_SECRET_MAX 256
#define CFG_TOKENS_MAX 64
#define CFG_ORIGINS_MAX 32
#define CFG_LINE_MAX 4096
#define CFG_FILE_MAX (1024 * 1024)
#define CFG_PATH_MAX 4096

struct cfg_token {
    char name[CFG_TOKEN_NAME_MAX]; /* shown in logs instead of the secret */
    enum cfg_scope scope;          /* CFG_SCOPE_SUBMIT or CFG_SCOPE_ADMIN */
    char *secret;                  /* owned; never logged */
    size_t secret_len;
};

struct stdtax_config {
    char *listen;     /* address to bind: 127.0.0.1, loopback only until told otherwise */
    unsigned port;    /* 8080; 0 asks the kernel for a free port (see port_file) */
    char *port_file;  /* none; when set, the bound port is written there at start */
    unsigned workers; /* 0 = one event-loop thread per online core */
    char *data_dir;   /* LMDB environment; set by the daemon (tree or /var/lib) */
    char *taxonomy;   /* taxonomy JSON; set by the daemon (tree or /usr/share) */
    char *model;      /* classifier model JSON; set like taxonomy */
    char *openapi;    /* API description served at /v1/openapi.json */
    char *web_root;   /* the dashboard's files served at / and /ui/{file} */
    char *backup_dir; /* NULL: POST /v1/admin/backup is not available */
    unsigned backup_keep;    /* 7 backups kept in backup_dir */
    char *config_file;       /* the file read (informational; set by --config) */
    bool require_read_token; /* no: reads are open, writes need a token */
    size_t max_body;         /* 1 MiB: a proposal with long texts fits many times */
    size_t max_header;       /* 16 KiB: headers of any sane client */
    size_t material_max;     /* 20 MiB: a scanned form or a draft with figures */
    unsigned materials_per_proposal; /* 10: the form, the draft and a few proofs */
    unsigned max_connections;        /* 1024, shared out between the workers */
    unsigned idle_timeout;    /* 60 s a keep-alive connection may wait between requests */
    unsigned idempotency_ttl; /* 7 days an Idempotency-Key replays its first answer */
    unsigned read_timeout;    /* 30 s to receive a request and to send its response */
    unsigned shutdown_grace;  /* 10 s for in-flight requests after SIGTERM */
    unsigned batch_max;       /* 100 items per POST /v1/classify/batch */
    double overlap_threshold; /* 0.5: similarity from which overlaps are reported */
    bool duplicate_check;     /* yes: 409 for a proposal the same organisation sent */
    enum cfg_log_level log_level; /* info: lifecycle events and one line per request */
    int log_timestamps;           /* -1 auto (when stderr is a tty), 0 no, 1 yes */
    bool access_log;              /* yes: one line per request at level info */
    struct cfg_token tokens[CFG_TOKENS_MAX]; /* none: every write answers 401 */
    size_t n_tokens;
    char *cors_origins[CFG_ORIGINS_MAX]; /* none: no CORS headers at all */
    size_t n_cors_origins;

    /* The source of the last value of each directive, by table index, so that a
     * lower-precedence source never overrides a higher one. */
    unsigned char source[48];
};

/* Value types of the directive table. */
enum cfg_type {
    CFG_T_STRING,   /* any non-empty text */
    CFG_T_PATH,     /* a file or directory name */
    CFG_T_UINT,     /* decimal integer in [min, max] */
    CFG_T_SIZE,     /* bytes with optional k/K/KiB/M/MiB suffix, in [min, max] */
    CFG_T_SECONDS,  /* seconds with optional s/m/h suffix, in [min, max] */
    CFG_T_BOOL,     /* yes/no, true/false, on/off, 1/0 */
    CFG_T_LEVEL,    /* error|warn|info|debug */
    CFG_T_TRISTATE, /* yes/no/auto */
    CFG_T_LISTEN,   /* ADDR, ADDR:PORT or [V6]:PORT */
    CFG_T_TOKEN,    /* [NAME] SCOPE SECRET, repeated */
    CFG_T_ORIGIN,   /* scheme://host[:port] or *, repeated */
    CFG_T_FRACTION, /* decimal number in [0, 1] */
};

struct cfg_directive {
    const char *name; /* as in the file and as --name on the command line */
    enum cfg_type type;
    size_t offset;               /* of the field in struct stdtax_config */
    unsigned long long min, max; /* bounds for numbers */
    bool flag;                   /* also settable as --name (never for secrets) */
    bool repeated;               /* may appear several times; values accumulate */
    const char *arg;             /* argument name for --help */
    const char *help;            /* one line for --help */
};

/* The directive table: borrowed, static, terminated by a NULL name. */
const struct cfg_directive *cfg_directive_table(void);

/* Borrowed table row for name, or NULL. */
const struct cfg_directive *cfg_directive_find(const char *name);

/* Fills cfg with the built-in defaults; path fields stay NULL for the caller
 * to set (they depend on where the binary runs).  Returns 0 or STDTAX_ENOMEM. */
int cfg_config_init(struct stdtax_config *cfg);

/* Frees what cfg owns (and wipes token secrets); cfg may then be re-initialised. */
void cfg_config_free(struct stdtax_config *cfg);

/* Sets one directive from its argument words.  where names the origin for
 * messages ("stdtaxd.conf:12", "--port").  Returns 0 or a negative
 * enum stdtax_err with err filled (field = where). */
int cfg_directive_set(struct stdtax_config *cfg, const char *name, size_t argc,
                      char *const *argv, enum cfg_source source, const char *where,
                      struct stdtax_error *err);

/* Parses a whole config text (for files, tests and fuzzing).  name is used in
 * messages.  Stops at the first bad line. */
int cfg_text_parse(struct stdtax_config *cfg, const char *name, const char *text,
                   size_t len, struct stdtax_error *err);

/* Reads and parses a config file (at most CFG_FILE_MAX bytes). */
int cfg_file_load(struct stdtax_config *cfg, const char *path, struct stdtax_error *err);

/* Checks what single directives cannot: every path is set, token names unique. */
int cfg_config_check(const struct stdtax_config *cfg, struct stdtax_error *err);

/* Static names, never NULL. */
const char *cfg_scope_name(enum cfg_scope scope);
const char *cfg_level_name(enum cfg_log_level level);

/* Splits a listen value into host and port: "a.b.c.d", "a.b.c.d:80", "[::1]:80",
 * "::1".  host receives at most host_size bytes; *port is left alone when the
 * value has no port.  Returns 0 or STDTAX_EINVAL. */
int cfg_listen_split(const char *value, char *host, size_t host_size, unsigned *port,
                     bool *has_port);

#endif
