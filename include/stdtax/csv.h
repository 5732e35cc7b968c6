/* CSV (RFC 4180) reading and writing, as spreadsheet programs expect it.
 *
 * Reader: fields separated by ',', optionally enclosed in '"' (a doubled '""' inside is
 * one quote); quoted fields may hold commas, quotes, CR and LF.  Records end with CRLF,
 * LF or a lone CR.  A UTF-8 byte order mark at the very start is skipped.  Lines that
 * are completely empty are skipped (RFC 4180 would read them as one empty field; no
 * proposal is ever one empty field).  Every field must be valid UTF-8 without NUL.
 * Field size, record size and the number of fields are bounded.  Errors name the line.
 *
 * Writer: CRLF after every record; a field is quoted when it holds ',', '"', CR or LF,
 * or starts or ends with a space; with CSV_GUARD_FORMULA, a field that a spreadsheet
 * would run as a formula gets a leading apostrophe (see csv_cell_needs_guard). */
#ifndef STDTAX_CSV_H
#define STDTAX_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "stdtax/error.h"

struct csv_limits {
    size_t max_field;  /* bytes in one field, after unquoting */
    size_t max_record; /* bytes in one record, after unquoting */
    size_t max_fields; /* fields in one record */
};

/* The defaults used when csv_reader_new gets NULL limits. */
#define CSV_MAX_FIELD_DEFAULT (64u * 1024u)
#define CSV_MAX_RECORD_DEFAULT (1024u * 1024u)
#define CSV_MAX_FIELDS_DEFAULT 256u

/* One record.  cells[i] is NUL-terminated and lens[i] bytes long (cells never hold NUL).
 * line is the physical line (1-based) on which the record starts. */
struct csv_row {
    size_t n;
    const char *const *cells;
    const size_t *lens;
    unsigned long line;
};

struct csv_reader;

/* New reader over `in` (borrowed: the caller keeps it open and closes it after
 * csv_reader_free).  limits may be NULL for the defaults.  Returns NULL when out of
 * memory. */
struct csv_reader *csv_reader_new(FILE *in, const struct csv_limits *limits);
void csv_reader_free(struct csv_reader *r);

/* Reads the next record into *row (borrowed: valid until the next call or
 * csv_reader_free).  Returns 1 for a record, 0 at end of input, or a negative
 * enum stdtax_err: STDTAX_EPARSE (bad quoting, NUL byte), STDTAX_EUTF8, STDTAX_ETOOBIG,
 * STDTAX_EIO, STDTAX_ENOMEM, with err->field "line N" and a one-line text.  After an
 * error the reader is not usable any more. */
int csv_reader_next(struct csv_reader *r, struct csv_row *row, struct stdtax_error *err);

enum csv_write_flags {
    CSV_GUARD_FORMULA = 1u << 0, /* prefix ' to cells that a spreadsheet would evaluate */
};

/* True when s[0..len) starts with optional apostrophes and then '=', '+', '-', '@',
 * TAB or CR: the characters with which spreadsheet programs start a formula (OWASP "CSV
 * injection").  Counting leading apostrophes makes the guard reversible: a reader strips
 * exactly one apostrophe from a cell for which this is true (csv_cell_unguard). */
bool csv_cell_needs_guard(const char *s, size_t len);

/* If s[0..*len) is a guarded cell (an apostrophe followed by something for which
 * csv_cell_needs_guard holds), returns s + 1 and decrements *len; else returns s. */
const char *csv_cell_unguard(const char *s, size_t *len);

/* Writes the UTF-8 byte order mark that spreadsheet programs need to read UTF-8.
 * Returns 0 or STDTAX_EIO. */
int csv_bom_write(FILE *out);

/* Writes one record of n cells and CRLF.  lens may be NULL (strlen is used); a NULL cell
 * is written as empty.  Returns 0 or STDTAX_EIO. */
int csv_row_write(FILE *out, const char *const *cells, const size_t *lens, size_t n,
                  unsigned flags);

#endif
