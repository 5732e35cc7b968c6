/* The stdtax command-line tool: thin subcommands over the library. */
#ifndef STDTAX_CLI_H
#define STDTAX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "stdtax/classifier.h"
#include "stdtax/service.h"

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_classify(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_taxonomy(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_coverage(int argc, char **argv);
int cmd_check(int argc, char **argv);

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
#define CLI_REFERENCE_LONG_OPTIONS                                                       \
    {"reference", required_argument, NULL, CLI_OPT_REFERENCE},                           \
    {                                                                                    \
        "no-reference", no_argument, NULL, CLI_OPT_NO_REFERENCE                          \
    }
/* 1 when c was one of those options (recorded in r), -1 after printing why it is bad,
 * 0 otherwise. */
int cli_reference_option(int c, char *arg, struct cli_reference *r);
/* The reference files to read: those given, else the shipped one, none with
 * --no-reference.  *paths is borrowed from r. */
size_t cli_reference_paths(struct cli_reference *r, char *const **paths);

/* Options naming the engine's files, shared by classify and eval: 'T' --taxonomy,
 * 'M' --model, 'N' --no-model (model NULL).  Returns 1 when c was one of them. */
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
};
#define CLI_SVC_LONG_OPTIONS                                                             \
    {"data-dir", required_argument, NULL, CLI_OPT_DATA_DIR},                             \
        {"taxonomy", required_argument, NULL, CLI_OPT_TAXONOMY},                         \
        {"model", required_argument, NULL, CLI_OPT_MODEL},                               \
    {                                                                                    \
        "no-model", no_argument, NULL, CLI_OPT_NO_MODEL                                  \
    }
#define CLI_FILTER_LONG_OPTIONS                                                          \
    {"call", required_argument, NULL, CLI_OPT_CALL},                                     \
        {"track", required_argument, NULL, CLI_OPT_TRACK},                               \
        {"status", required_argument, NULL, CLI_OPT_STATUS},                             \
        {"category", required_argument, NULL, CLI_OPT_CATEGORY},                         \
        {"topic", required_argument, NULL, CLI_OPT_TOPIC},                               \
    {                                                                                    \
        "query", required_argument, NULL, CLI_OPT_QUERY                                  \
    }

struct cli_svc {
    const char *data_dir;
    const char *taxonomy;
    const char *model; /* NULL: keywords only */
};
/* The defaults, after the global options. */
void cli_svc_init(struct cli_svc *s);
/* Applies a CLI_SVC_LONG_OPTIONS option; returns 1 when c was one, else 0. */
int cli_svc_option(struct cli_svc *s, int c, const char *arg);
/* Applies a CLI_FILTER_LONG_OPTIONS option; returns 1 when c was one, else 0. */
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

/* Prints "stdtax: [field: ]text" to stderr. */
void cli_error(const struct stdtax_error *err);

/* Applies one "key=value" to the classifier parameters or the model config (either may
 * be NULL).  Returns 0, or -1 for an unknown key or bad value. */
int cli_param_set(const char *kv, struct clf_params *p, struct model_config *cfg);

#endif
