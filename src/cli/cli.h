/* The stdtax command-line tool: thin subcommands over the library. */
#ifndef STDTAX_CLI_H
#define STDTAX_CLI_H

#include "stdtax/classifier.h"

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_classify(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_taxonomy(int argc, char **argv);
int cmd_catalog(int argc, char **argv);

/* Default data files: the source tree's taxonomy/ when this binary runs from the build
 * tree, else the installed package data directory.  Static strings. */
const char *cli_default_taxonomy(void);
const char *cli_default_model(void);
/* Where `stdtax train` writes by default. Static. */
const char *cli_default_model_out(void);

/* Prints "stdtax: [field: ]text" to stderr. */
void cli_error(const struct stdtax_error *err);

/* Applies one "key=value" to the classifier parameters or the model config (either may
 * be NULL).  Returns 0, or -1 for an unknown key or bad value. */
int cli_param_set(const char *kv, struct clf_params *p, struct model_config *cfg);

#endif
