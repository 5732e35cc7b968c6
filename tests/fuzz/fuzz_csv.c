/* libFuzzer target for the CSV import: the RFC 4180 reader (small limits, so the
 * bounds are reached) and prop_csv_row_to_submission on every row against the first
 * row as header, then prop_submission_validate on what it makes.
 * Built and run by `make fuzz` (tests/fuzz/fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/csv.h"
#include "stdtax/proposal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct prop_rules rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct stdtax_error err;
    return prop_rules_call_add(&rules, "2023", 1694534399, 1698767999, &err) ? 1 : 0;
}

/* The header row is borrowed until the next read: keep a deep copy. */
struct row_copy {
    struct csv_row row;
    char **cells;
    size_t *lens;
};

static void row_copy_free(struct row_copy *c)
{
    for (size_t i = 0; c->cells && i < c->row.n; i++)
        free(c->cells[i]);
    free(c->cells);
    free(c->lens);
}

static void row_copy(struct row_copy *c, const struct csv_row *row)
{
    c->cells = calloc(row->n ? row->n : 1, sizeof *c->cells);
    c->lens = calloc(row->n ? row->n : 1, sizeof *c->lens);
    for (size_t i = 0; i < row->n; i++) {
        c->cells[i] = malloc(row->lens[i] + 1);
        memcpy(c->cells[i], row->cells[i], row->lens[i] + 1);
        c->lens[i] = row->lens[i];
    }
    c->row = *row;
    c->row.cells = (const char *const *)c->cells;
    c->row.lens = c->lens;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *buf = malloc(size);
    memcpy(buf, data, size);
    FILE *in = fmemopen(buf, size, "r");
    if (!in) {
        free(buf);
        return 0;
    }
    static const struct csv_limits lim = {
        .max_field = 4096, .max_record = 16384, .max_fields = 64};
    struct csv_reader *r = csv_reader_new(in, &lim);
    struct row_copy header = {0};
    struct csv_row row;
    struct stdtax_error err;
    int rc, have_header = 0;
    while ((rc = csv_reader_next(r, &row, &err)) == 1) {
        for (size_t i = 0; i < row.n; i++)
            if (strlen(row.cells[i]) != row.lens[i])
                __builtin_trap();
        if (!have_header) {
            row_copy(&header, &row);
            have_header = 1;
            continue;
        }
        json_t *problems = json_array();
        json_t *sub = NULL;
        prop_csv_row_to_submission(&header.row, &row, &sub, problems);
        if (sub)
            prop_submission_validate(sub, &rules, problems);
        json_decref(sub);
        json_decref(problems);
    }
    if (have_header)
        row_copy_free(&header);
    csv_reader_free(r);
    fclose(in);
    free(buf);
    return 0;
}
