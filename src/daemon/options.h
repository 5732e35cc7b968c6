/* Command line and defaults: flags > config file > built-in defaults. */
#ifndef STDTAXD_OPTIONS_H
#define STDTAXD_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "settings.h"

struct options {
    bool check_config; /* --check-config: validate, print the settings, exit */
    bool help;
    bool version;
    bool in_build_tree; /* the binary runs from the build tree: tree defaults */
};

/* Fills cfg (initialised here; free with cfg_config_free even on failure) from the
 * defaults, the config file and argv.  Returns 0 or a negative error with err
 * naming the file and line, or the flag. */
int options_load(int argc, char **argv, struct stdtax_config *cfg, struct options *opt,
                 struct stdtax_error *err);

void options_usage(FILE *out);

/* Prints the effective settings as config-file lines, secrets replaced. */
void options_print(FILE *out, const struct stdtax_config *cfg);

#endif
