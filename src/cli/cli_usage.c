/* Options as data (struct cli_option): getopt_long's table and the usage are both made
 * from a command's rows, so --help lists exactly what the parser accepts. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define WRAP_COLUMN 80
#define HELP_COLUMN 24 /* where an option's help starts */

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd)
{
    size_t n = 0, s = 0;
    for (const struct cli_option *o = cmd->options; o && o->name; o++) {
        if (n == CLI_OPTIONS_MAX)
            break; /* tests/cli/help.py fails on an option missing from --help */
        p->longopts[n++] = (struct option){
            o->name, o->arg ? required_argument : no_argument, NULL, o->val};
        if (o->short_name) {
            p->shortopts[s++] = o->short_name;
            if (o->arg)
                p->shortopts[s++] = ':';
        }
    }
    p->longopts[n++] = (struct option){"help", no_argument, NULL, CLI_OPT_HELP};
    p->longopts[n] = (struct option){NULL, 0, NULL, 0};
    p->shortopts[s++] = 'h';
    p->shortopts[s] = '\0';
    optind = 1;
}

int cli_parser_next(struct cli_parser *p, int argc, char **argv)
{
    int longindex = -1; /* stays -1 for a short option */
    int c = getopt_long(argc, argv, p->shortopts, p->longopts, &longindex);
    return c == 'h' && longindex < 0 ? CLI_OPT_HELP : c;
}

/* "--name ARG" or "-x, --name ARG" into buf; returns its length. */
static size_t option_label(char *buf, size_t cap, const struct cli_option *o,
                           const char *between)
{
    int n;
    if (o->short_name)
        n = snprintf(buf, cap, "-%c%s--%s%s%s", o->short_name, between, o->name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
    else
        n = snprintf(buf, cap, "--%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Prints word, starting a new line indented by `indent` columns when it would pass the
 * wrap column; *col is the column after what is printed so far. */
static void word_print(FILE *to, const char *word, size_t indent, size_t *col)
{
    size_t len = cli_text_width(word);
    if (*col > indent && *col + 1 + len > WRAP_COLUMN) {
        fprintf(to, "\n%*s", (int)indent, "");
        *col = indent;
    } else if (*col != indent) {
        fputc(' ', to);
        (*col)++;
    }
    fputs(word, to);
    *col += len;
}

/* The words of text (split at spaces), wrapped as word_print does. */
static void words_print(FILE *to, const char *text, size_t indent, size_t *col)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", text ? text : "");
    for (char *save, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        word_print(to, w, indent, col);
}

void cli_synopsis_print(FILE *to, const char *lead, const struct cli_command *cmd)
{
    char word[128];
    fprintf(to, "%sstdtax %s", lead, cmd->name);
    size_t indent = strlen(lead) + strlen("stdtax ") + strlen(cmd->name) + 1;
    size_t col = indent - 1;
    for (const struct cli_option *o = cmd->options; o && o->name; o++) {
        char label[96];
        option_label(label, sizeof label, o, "|");
        snprintf(word, sizeof word, "[%s]%s", label, o->repeat ? "..." : "");
        word_print(to, word, indent, &col);
    }
    /* The operands wrap as a whole where they hold no space (FILE|-), else by word. */
    char operands[256];
    snprintf(operands, sizeof operands, "%s", cmd->operands ? cmd->operands : "");
    for (char *save, *w = strtok_r(operands, " ", &save); w;
         w = strtok_r(NULL, " ", &save))
        word_print(to, w, indent, &col);
    fputc('\n', to);
}

/* Whether an option of the same name came before (catalog's subcommands share some). */
static int option_seen(const struct cli_command *const *cmds, size_t i,
                       const struct cli_option *at)
{
    for (size_t k = 0; k <= i; k++)
        for (const struct cli_option *o = cmds[k]->options; o && o->name && o != at; o++)
            if (strcmp(o->name, at->name) == 0)
                return 1;
    return 0;
}

static void option_line_print(const char *label, const char *help)
{
    size_t col = HELP_COLUMN;
    if (strlen(label) + 4 > HELP_COLUMN)
        printf("  %s\n%*s", label, HELP_COLUMN, "");
    else
        printf("  %-*s", HELP_COLUMN - 2, label);
    words_print(stdout, help, HELP_COLUMN, &col);
    fputc('\n', stdout);
}

int cli_help(const struct cli_command *const *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cli_synopsis_print(stdout, i == 0 ? "usage: " : "       ", cmds[i]);
    fputc('\n', stdout);
    for (size_t i = 0; i < n; i++) {
        size_t col = 0;
        if (n > 1) {
            printf("%s:", cmds[i]->name);
            col = strlen(cmds[i]->name) + 1;
        }
        words_print(stdout, cmds[i]->summary, n > 1 ? 4 : 0, &col);
        fputc('\n', stdout);
    }
    puts("\noptions:");
    for (size_t i = 0; i < n; i++)
        for (const struct cli_option *o = cmds[i]->options; o && o->name; o++) {
            if (option_seen(cmds, i, o))
                continue;
            char label[96];
            option_label(label, sizeof label, o, ", ");
            option_line_print(label, o->help);
        }
    option_line_print("-h, --help", "print this help and exit");
    puts("\nThe global options (stdtax --help) may come before the command; see "
         "stdtax(1)\nand doc/cli.md.");
    return CLI_OK;
}

int cli_usage_error(const struct cli_command *const *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cli_synopsis_print(stderr, i == 0 ? "usage: " : "       ", cmds[i]);
    const char *name = cmds[0]->name;
    fprintf(stderr, "stdtax %.*s --help lists what every option does\n",
            (int)(n > 1 ? strcspn(name, " ") : strlen(name)), name);
    return CLI_USAGE;
}
