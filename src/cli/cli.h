/* The stdtax command-line tool: thin subcommands over the library. */
#ifndef STDTAX_CLI_H
#define STDTAX_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "stdtax/classifier.h"
#include "stdtax/message.h"
#include "stdtax/service.h"

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One option of a command, as data: the parser's long option and its line in the usage
 * come from the same row, so that they cannot drift apart.  A table ends with a row
 * whose name is NULL. */
struct cli_option {
    const char *name; /* without "--" */
    int val;          /* what cli_parser_next returns for it */
    const char *arg;  /* its argument as the usage names it; NULL: it takes none */
    const char *help; /* one line for --help */
    char short_name;  /* also -x, or 0 */
    bool repeat;      /* may be given again ("..." in the synopsis) */
};

struct cli_command {
    const char *name; /* as typed after stdtax: "eval", "catalog list" */
    int (*run)(int argc, char **argv, const struct cli_command *self);
    const struct cli_option *options;
    const char *operands; /* what follows the options in the synopsis */
    const char *summary;  /* what it does, one line */
};

int cmd_classify(int argc, char **argv, const struct cli_command *self);
int cmd_eval(int argc, char **argv, const struct cli_command *self);
int cmd_train(int argc, char **argv, const struct cli_command *self);
int cmd_taxonomy(int argc, char **argv, const struct cli_command *self);
int cmd_catalog(int argc, char **argv, const struct cli_command *self);
int cmd_import(int argc, char **argv, const struct cli_command *self);
int cmd_export(int argc, char **argv, const struct cli_command *self);
int cmd_stats(int argc, char **argv, const struct cli_command *self);
int cmd_coverage(int argc, char **argv, const struct cli_command *self);
int cmd_check(int argc, char **argv, const struct cli_command *self);
int cmd_materials(int argc, char **argv, const struct cli_command *self);
int cmd_backup(int argc, char **argv, const struct cli_command *self);
int cmd_restore(int argc, char **argv, const struct cli_command *self);
int cmd_calls(int argc, char **argv, const struct cli_command *self);
int cmd_migrate(int argc, char **argv, const struct cli_command *self);

/* The option tables of the commands, beside the code that reads them. */
extern const struct cli_option cli_classify_options[], cli_eval_options[],
    cli_train_options[], cli_taxonomy_options[], cli_catalog_options[],
    cli_import_options[], cli_export_options[], cli_stats_options[],
    cli_coverage_options[], cli_check_options[], cli_materials_options[],
    cli_backup_options[], cli_restore_options[], cli_calls_options[],
    cli_migrate_options[];

/* getopt_long over a command's options and --help/-h.  No command has more. */
#define CLI_OPTIONS_MAX 24
struct cli_parser {
    struct option longopts[CLI_OPTIONS_MAX + 2];
    char shortopts[2 * CLI_OPTIONS_MAX + 4];
};
/* Prepares the parser for cmd's options and resets getopt (optind = 1, argv[0] being the
 * command's name). */
void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd);
/* The next option: its val (optarg set for one with an argument), CLI_OPT_HELP for
 * --help or -h, '?' for an unknown option or a missing argument (getopt printed which),
 * -1 after the last. */
int cli_parser_next(struct cli_parser *p, int argc, char **argv);
/* Prints the usage of cmds[0..n) (their synopses, what they do and every option) to
 * stdout; returns CLI_OK, the exit status of --help. */
int cli_help(const struct cli_command *const *cmds, size_t n);
/* Prints the synopses of cmds[0..n) and where the help is to stderr; returns
 * CLI_USAGE, the exit status of wrong usage. */
int cli_usage_error(const struct cli_command *const *cmds, size_t n);
/* The synopsis of one command, wrapped, each line starting with `lead` on the first
 * and spaces as wide on the others. */
void cli_synopsis_print(FILE *to, const char *lead, const struct cli_command *cmd);

/* `stdtax check`: 0 no difference, 1 differences, 2 error or usage. */
enum { CHECK_CLEAN = 0, CHECK_DIFFERENT = 1, CHECK_ERROR = 2 };

/* Default data files: the source tree's taxonomy/ when this binary runs from the build
 * tree, else the installed package data directory.  Static strings. */
const char *cli_default_taxonomy(void);
const char *cli_default_model(void);
/* Where `stdtax train` writes by default. Static. */
const char *cli_default_model_out(void);
/* The store: the build tree's var/stdtaxd when run from the build tree, else
 * /var/lib/stdtaxd.  Static. */
const char *cli_default_data_dir(void);

/* The taxonomy at path, or NULL after printing why it cannot be loaded.  New. */
struct tax_taxonomy *cli_taxonomy_load(const char *path);

/* Moves src[0..m) (new, freed here; may be NULL when m is 0) to the end of *dst[0..*n).
 * -1 when out of memory (src is then still the caller's). */
int cli_examples_append(struct model_example **dst, size_t *n, struct model_example *src,
                        size_t m);

/* The labelled examples of paths[0..n_paths) in file order, where a later file wins: a
 * line of an earlier file that names the same standard as a line of a later one is left
 * out (*overridden counts them), so corrections appended after the shipped examples
 * replace their label.  sha256_hex (65 bytes, may be NULL): one file's SHA-256, or for
 * several the SHA-256 of their SHA-256s in order.  *out is new. */
int cli_examples_read_overriding(char *const *paths, size_t n_paths,
                                 const struct tax_taxonomy *tax,
                                 struct model_example **out, size_t *n,
                                 size_t *overridden, char *sha256_hex,
                                 struct stdtax_error *err);

/* The examples of paths[0..n_paths) that are not the same standard as one of
 * held[0..n_held) (equal keys of a title, English title or number: stdident.h), each
 * with .reference set to reference;
 * *left_out counts the others.  *out is new (model_examples_free). */
int cli_examples_read_new(char *const *paths, size_t n_paths,
                          const struct tax_taxonomy *tax,
                          const struct model_example *held, size_t n_held, bool reference,
                          struct model_example **out, size_t *n, size_t *left_out,
                          char *sha256_hex, struct stdtax_error *err);

/* The shipped reference examples (doc/classifier.md, "Reference examples"). Static. */
const char *cli_default_reference(void);

/* --reference F (repeatable) and --no-reference, shared by train and eval. */
#define CLI_REFERENCE_MAX 8
struct cli_reference {
    char *paths[CLI_REFERENCE_MAX];
    size_t n;
    bool none;
};
#define CLI_REFERENCE_OPTIONS                                                            \
    {"reference", CLI_OPT_REFERENCE, "FILE",                                             \
     .help = "reference examples (default: the shipped ones)", .repeat = true},          \
    {                                                                                    \
        "no-reference", CLI_OPT_NO_REFERENCE, NULL, .help = "no reference examples"      \
    }
/* 1 when c was one of those options (recorded in r), -1 after printing why it is bad,
 * 0 otherwise. */
int cli_reference_option(int c, char *arg, struct cli_reference *r);
/* The reference files to read: those given, else the shipped one, none with
 * --no-reference.  *paths is borrowed from r. */
size_t cli_reference_paths(struct cli_reference *r, char *const **paths);

/* Options naming the engine's files, shared by classify and eval: --taxonomy, --model
 * and --no-model (model NULL).  Returns 1 when c was one of them. */
int cli_engine_option(int c, const char **taxonomy, const char **model);

/* The global options given before the subcommand (stdtax --data-dir D stats); the
 * cli_default_* functions answer them when set. */
struct cli_globals {
    const char *data_dir;
    const char *taxonomy;
    const char *model;
    bool no_model;
};
extern struct cli_globals cli_globals;

/* What the subcommands over the application service share: where the store, the
 * taxonomy and the model are.  Long options (getopt values): */
enum {
    CLI_OPT_DATA_DIR = 0x100,
    CLI_OPT_TAXONOMY,
    CLI_OPT_MODEL,
    CLI_OPT_NO_MODEL,
    CLI_OPT_CALL,
    CLI_OPT_TRACK,
    CLI_OPT_STATUS,
    CLI_OPT_CATEGORY,
    CLI_OPT_TOPIC,
    CLI_OPT_QUERY,
    CLI_OPT_REFERENCE,
    CLI_OPT_NO_REFERENCE,
    CLI_OPT_HELP,
};
#define CLI_OPTION_DATA_DIR                                                              \
    {                                                                                    \
        "data-dir", CLI_OPT_DATA_DIR, "DIR",                                             \
            .help = "the store (default: see stdtax --help)"                             \
    }
#define CLI_OPTION_TAXONOMY                                                              \
    {                                                                                    \
        "taxonomy", CLI_OPT_TAXONOMY, "FILE",                                            \
            .help = "the taxonomy (default: the shipped one)"                            \
    }
#define CLI_OPTION_MODEL                                                                 \
    {                                                                                    \
        "model", CLI_OPT_MODEL, "FILE",                                                  \
            .help = "the classifier's model (default: the shipped one)"                  \
    }
#define CLI_OPTION_NO_MODEL                                                              \
    {                                                                                    \
        "no-model", CLI_OPT_NO_MODEL, NULL,                                              \
            .help = "classify with the taxonomy's keywords only"                         \
    }
#define CLI_SVC_OPTIONS                                                                  \
    CLI_OPTION_DATA_DIR, CLI_OPTION_TAXONOMY, CLI_OPTION_MODEL, CLI_OPTION_NO_MODEL
/* The filters the counts are kept by (stats, coverage). */
#define CLI_COUNT_FILTER_OPTIONS                                                         \
    {"call", CLI_OPT_CALL, "C", .help = "only this call"},                               \
        {"track", CLI_OPT_TRACK, "T",                                                    \
         .help = "only this track: local or group (地标, 团标)"},                        \
    {                                                                                    \
        "status", CLI_OPT_STATUS, "S", .help = "only this status (code or label)"        \
    }
#define CLI_FILTER_OPTIONS                                                               \
    CLI_COUNT_FILTER_OPTIONS,                                                            \
        {"category", CLI_OPT_CATEGORY, "X",                                              \
         .help = "only this category or subcategory (code or label)"},                   \
        {"topic", CLI_OPT_TOPIC, "T",                                                    \
         .help = "only this priority topic (code or label)"},                            \
    {                                                                                    \
        "query", CLI_OPT_QUERY, "TEXT",                                                  \
            .help = "only proposals holding every word of TEXT (title, scope, unit, "    \
                    "numbers)"                                                           \
    }

struct cli_svc {
    const char *data_dir;
    const char *taxonomy;
    const char *model; /* NULL: keywords only */
};
/* The defaults, after the global options. */
void cli_svc_init(struct cli_svc *s);
/* Applies a CLI_SVC_OPTIONS option; returns 1 when c was one, else 0. */
int cli_svc_option(struct cli_svc *s, int c, const char *arg);
/* Applies a CLI_FILTER_OPTIONS option; returns 1 when c was one, else 0. */
int cli_filter_option(struct svc_filter *f, int c, const char *arg);
/* Opens the service, printing what went wrong (taxonomy problems included) to stderr.
 * Returns 0 with *out new (svc_close it), or -1. */
int cli_svc_open(const struct cli_svc *s, bool read_only, struct svc **out);

/* Prints each {pointer, detail} of problems as "PREFIX: /pointer: detail" (or "PREFIX:
 * detail" for the empty pointer) to `to`. */
void cli_problems_print(FILE *to, const char *prefix, const json_t *problems);

/* Columns a terminal gives to the UTF-8 text s: 2 for East Asian wide and full-width
 * characters, 0 for combining marks, 1 for the rest. */
size_t cli_text_width(const char *s);
/* Prints s and spaces up to `width` columns (s is left as it is when wider);
 * right-aligned when right is true. */
void cli_cell_print(FILE *to, const char *s, size_t width, bool right);

/* Prints "stdtax: [field: ]text" to stderr, the text in the locale's language. */
void cli_error(const struct stdtax_error *err);

/* The language of the user's locale (LC_ALL, LC_MESSAGES, LANG): Chinese for zh_*. */
enum msg_lang cli_lang(void);

/* A library's English text in the locale's language: text itself, or buf holding its
 * translation (doc/cli.md, "Languages"). */
const char *cli_text(const char *text, char *buf, size_t size);

/* Applies one "key=value" to the classifier parameters or the model config (either may
 * be NULL).  Returns 0, or -1 for an unknown key or bad value. */
int cli_param_set(const char *kv, struct clf_params *p, struct model_config *cfg);

#endif
