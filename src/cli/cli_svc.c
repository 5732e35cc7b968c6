/* What the subcommands over the application service share: options, opening the
 * service, printing problems and aligning tables of Chinese labels. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "stdtax/utf8.h"

void cli_svc_init(struct cli_svc *s)
{
    s->data_dir = cli_default_data_dir();
    s->taxonomy = cli_default_taxonomy();
    s->model = cli_default_model();
}

int cli_svc_option(struct cli_svc *s, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_DATA_DIR:
        s->data_dir = arg;
        return 1;
    case CLI_OPT_TAXONOMY:
        s->taxonomy = arg;
        return 1;
    case CLI_OPT_MODEL:
        s->model = arg;
        return 1;
    case CLI_OPT_NO_MODEL:
        s->model = NULL;
        return 1;
    default:
        return 0;
    }
}

int cli_filter_option(struct svc_filter *f, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_CALL:
        f->call = arg;
        return 1;
    case CLI_OPT_TRACK:
        f->track = arg;
        return 1;
    case CLI_OPT_STATUS:
        f->status = arg;
        return 1;
    case CLI_OPT_CATEGORY:
        f->category = arg;
        return 1;
    case CLI_OPT_TOPIC:
        f->topic = arg;
        return 1;
    case CLI_OPT_QUERY:
        f->q = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_svc_open(const struct cli_svc *s, bool read_only, struct svc **out)
{
    struct svc_options o = {.data_dir = s->data_dir,
                            .taxonomy_path = s->taxonomy,
                            .model_path = s->model,
                            .read_only = read_only};
    struct stdtax_error err = {0};
    json_t *problems = json_array();
    int rc = svc_open(&o, out, problems, &err);
    if (rc != 0) {
        cli_problems_print(stderr, s->taxonomy, problems);
        if (rc == STDTAX_ENOTFOUND && read_only)
            fprintf(stderr,
                    "stdtax: no store in %s (import proposals first, or give "
                    "--data-dir)\n",
                    s->data_dir);
        else
            cli_error(&err);
    }
    json_decref(problems);
    return rc == 0 ? 0 : -1;
}

void cli_problems_print(FILE *to, const char *prefix, const json_t *problems)
{
    size_t i;
    const json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *ptr = json_string_value(json_object_get(p, "pointer"));
        char text[STDTAX_TEXT_MAX + 64];
        msg_problem_detail(p, cli_lang(), text, sizeof text);
        const char *detail = text;
        /* The service names a bad filter as the daemon's query parameter; here it
         * was an option. */
        if (ptr && strcmp(ptr, "/query/q") == 0) /* the one option named otherwise */
            fprintf(to, "%s: --query: %s\n", prefix, detail ? detail : "");
        else if (ptr && strncmp(ptr, "/query/", 7) == 0)
            fprintf(to, "%s: --%s: %s\n", prefix, ptr + 7, detail ? detail : "");
        else if (ptr && ptr[0])
            fprintf(to, "%s: %s: %s\n", prefix, ptr, detail ? detail : "");
        else
            fprintf(to, "%s: %s\n", prefix, detail ? detail : "");
    }
}

/* East Asian Wide and Fullwidth ranges (Unicode 15, UAX #11) and the combining marks a
 * table of labels may meet; sorted by first code point. */
static const struct {
    uint32_t first, last;
    unsigned char width;
} widths[] = {
    {0x0300, 0x036F, 0},   {0x1100, 0x115F, 2},   {0x200B, 0x200F, 0},
    {0x20D0, 0x20FF, 0},   {0x2E80, 0x303E, 2},   {0x3041, 0x33FF, 2},
    {0x3400, 0x4DBF, 2},   {0x4E00, 0x9FFF, 2},   {0xA000, 0xA4CF, 2},
    {0xA960, 0xA97F, 2},   {0xAC00, 0xD7A3, 2},   {0xF900, 0xFAFF, 2},
    {0xFE00, 0xFE0F, 0},   {0xFE10, 0xFE19, 2},   {0xFE30, 0xFE6F, 2},
    {0xFEFF, 0xFEFF, 0},   {0xFF00, 0xFF60, 2},   {0xFFE0, 0xFFE6, 2},
    {0x1F300, 0x1F64F, 2}, {0x1F900, 0x1F9FF, 2}, {0x20000, 0x2FFFD, 2},
    {0x30000, 0x3FFFD, 2},
};

static size_t char_width(uint32_t cp)
{
    size_t lo = 0, hi = sizeof widths / sizeof widths[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < widths[mid].first)
            hi = mid;
        else if (cp > widths[mid].last)
            lo = mid + 1;
        else
            return widths[mid].width;
    }
    return 1;
}

size_t cli_text_width(const char *s)
{
    size_t w = 0, len = strlen(s);
    while (len > 0) {
        uint32_t cp;
        size_t n = utf8_char_decode(s, len, &cp);
        if (n == 0) { /* not UTF-8: one column per byte, as a terminal shows junk */
            n = 1;
            cp = '?';
        }
        w += char_width(cp);
        s += n;
        len -= n;
    }
    return w;
}

void cli_cell_print(FILE *to, const char *s, size_t width, bool right)
{
    size_t w = cli_text_width(s);
    if (!right)
        fputs(s, to);
    for (; w < width; w++)
        fputc(' ', to);
    if (right)
        fputs(s, to);
}
