#include "stdtax/csv.h"
#include "stdtax/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct csv_reader {
    FILE *in;
    struct csv_limits limits;
    unsigned long line; /* physical line of the next byte */
    bool started;       /* the BOM check has been done */
    bool failed;
    int back[4]; /* bytes pushed back (ungetc promises only one) */
    int nback;
    /* The current record: cell bytes, each NUL-terminated, back to back. */
    char *buf;
    size_t len, cap;
    size_t *starts; /* offset of each cell in buf */
    size_t *lens;
    const char **cells;
    size_t ncells, cellcap;
};

struct csv_reader *csv_reader_new(FILE *in, const struct csv_limits *limits)
{
    struct csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->in = in;
    r->line = 1;
    if (limits) {
        r->limits = *limits;
    } else {
        r->limits.max_field = CSV_MAX_FIELD_DEFAULT;
        r->limits.max_record = CSV_MAX_RECORD_DEFAULT;
        r->limits.max_fields = CSV_MAX_FIELDS_DEFAULT;
    }
    return r;
}

void csv_reader_free(struct csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->starts);
    free(r->lens);
    free(r->cells);
    free(r);
}

static int fail(struct csv_reader *r, struct stdtax_error *err, int code,
                unsigned long line, const char *text)
{
    r->failed = true;
    char where[32];
    snprintf(where, sizeof where, "line %lu", line);
    return stdtax_error_set(err, code, where, "%s", text);
}

static int buf_put(struct csv_reader *r, char c)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *b = realloc(r->buf, cap);
        if (!b)
            return STDTAX_ENOMEM;
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
    return 0;
}

static int cell_begin(struct csv_reader *r)
{
    if (r->ncells == r->cellcap) {
        size_t cap = r->cellcap ? r->cellcap * 2 : 16;
        size_t *s = realloc(r->starts, cap * sizeof *s);
        if (!s)
            return STDTAX_ENOMEM;
        r->starts = s;
        size_t *l = realloc(r->lens, cap * sizeof *l);
        if (!l)
            return STDTAX_ENOMEM;
        r->lens = l;
        const char **c = realloc(r->cells, cap * sizeof *c);
        if (!c)
            return STDTAX_ENOMEM;
        r->cells = c;
        r->cellcap = cap;
    }
    r->starts[r->ncells++] = r->len;
    return 0;
}

/* Adds one byte of cell content, enforcing the size limits. */
static int cell_byte(struct csv_reader *r, struct stdtax_error *err, int c)
{
    if (c == 0)
        return fail(r, err, STDTAX_EPARSE, r->line, "NUL byte in CSV");
    size_t cell_len = r->len - r->starts[r->ncells - 1];
    if (cell_len >= r->limits.max_field)
        return fail(r, err, STDTAX_ETOOBIG, r->line, "CSV field too long");
    /* Each cell also costs its terminating NUL in buf; count only content bytes. */
    if (r->len - (r->ncells - 1) >= r->limits.max_record)
        return fail(r, err, STDTAX_ETOOBIG, r->line, "CSV record too long");
    if (buf_put(r, (char)c) != 0)
        return fail(r, err, STDTAX_ENOMEM, r->line, "out of memory");
    return 0;
}

static int cell_end(struct csv_reader *r, struct stdtax_error *err)
{
    size_t start = r->starts[r->ncells - 1];
    size_t n = r->len - start;
    /* buf is still NULL when the very first cell of a reader is empty (",a"): NULL + 0
     * is undefined behaviour (found by tests/fuzz/fuzz_csv). */
    if (n > 0 && utf8_text_validate(r->buf + start, n, NULL) != 0) {
        char text[64];
        snprintf(text, sizeof text, "field %zu is not valid UTF-8", r->ncells);
        return fail(r, err, STDTAX_EUTF8, r->line, text);
    }
    r->lens[r->ncells - 1] = n;
    if (buf_put(r, '\0') != 0)
        return fail(r, err, STDTAX_ENOMEM, r->line, "out of memory");
    return 0;
}

static int new_cell(struct csv_reader *r, struct stdtax_error *err)
{
    if (r->ncells >= r->limits.max_fields)
        return fail(r, err, STDTAX_ETOOBIG, r->line, "too many fields in CSV record");
    if (cell_begin(r) != 0)
        return fail(r, err, STDTAX_ENOMEM, r->line, "out of memory");
    return 0;
}

static int rd(struct csv_reader *r)
{
    if (r->nback > 0)
        return r->back[--r->nback];
    return getc(r->in);
}

static void unrd(struct csv_reader *r, int c)
{
    if (c != EOF && r->nback < 4)
        r->back[r->nback++] = c;
}

/* Consumes the LF of a CRLF pair after a CR has been read. */
static void eat_lf_after_cr(struct csv_reader *r)
{
    int c = rd(r);
    if (c != '\n')
        unrd(r, c);
}

int csv_reader_next(struct csv_reader *r, struct csv_row *row, struct stdtax_error *err)
{
    if (r->failed)
        return stdtax_error_set(err, STDTAX_EPARSE, "", "CSV reader failed earlier");
    if (!r->started) {
        r->started = true;
        static const int bom[3] = {0xEF, 0xBB, 0xBF};
        int got[3], n = 0;
        while (n < 3 && (got[n] = rd(r)) == bom[n])
            n++;
        if (n < 3) {
            /* Not a BOM: push back what was read, last byte first. */
            if (got[n] != EOF)
                unrd(r, got[n]);
            while (n > 0)
                unrd(r, got[--n]);
        }
    }
    if (ferror(r->in))
        return fail(r, err, STDTAX_EIO, r->line, "read error");

    int c;
    /* Skip completely empty lines. */
    for (;;) {
        c = rd(r);
        if (c == '\n') {
            r->line++;
        } else if (c == '\r') {
            eat_lf_after_cr(r);
            r->line++;
        } else {
            break;
        }
    }
    if (c == EOF) {
        if (ferror(r->in))
            return fail(r, err, STDTAX_EIO, r->line, "read error");
        return 0;
    }

    r->len = 0;
    r->ncells = 0;
    unsigned long start_line = r->line;
    int rc;
    if ((rc = new_cell(r, err)) != 0)
        return rc;
    bool quoted = false, at_start = true, after_quote = false;
    unsigned long quote_line = 0;
    for (;; c = rd(r)) {
        if (quoted) {
            if (c == EOF) {
                if (ferror(r->in))
                    return fail(r, err, STDTAX_EIO, r->line, "read error");
                return fail(r, err, STDTAX_EPARSE, quote_line,
                            "quoted field not closed before end of input");
            }
            if (c == '"') {
                int d = rd(r);
                if (d == '"') {
                    if ((rc = cell_byte(r, err, '"')) != 0)
                        return rc;
                    continue;
                }
                unrd(r, d);
                quoted = false;
                after_quote = true;
                continue;
            }
            if (c == '\n')
                r->line++;
            else if (c == '\r') {
                /* Count CRLF as one line, lone CR as one line; keep the bytes. */
                int d = rd(r);
                unrd(r, d);
                if (d != '\n')
                    r->line++;
            }
            if ((rc = cell_byte(r, err, c)) != 0)
                return rc;
            continue;
        }
        if (c == ',' || c == '\n' || c == '\r' || c == EOF) {
            if ((rc = cell_end(r, err)) != 0)
                return rc;
            if (c == ',') {
                if ((rc = new_cell(r, err)) != 0)
                    return rc;
                at_start = true;
                after_quote = false;
                continue;
            }
            if (c == EOF && ferror(r->in))
                return fail(r, err, STDTAX_EIO, r->line, "read error");
            if (c == '\r')
                eat_lf_after_cr(r);
            if (c != EOF)
                r->line++;
            break;
        }
        if (after_quote)
            return fail(r, err, STDTAX_EPARSE, r->line,
                        "unexpected character after a closing quote");
        if (c == '"') {
            if (!at_start)
                return fail(r, err, STDTAX_EPARSE, r->line,
                            "quote inside an unquoted field");
            quoted = true;
            quote_line = r->line;
            at_start = false;
            continue;
        }
        at_start = false;
        if ((rc = cell_byte(r, err, c)) != 0)
            return rc;
    }
    for (size_t i = 0; i < r->ncells; i++)
        r->cells[i] = r->buf + r->starts[i];
    row->n = r->ncells;
    row->cells = r->cells;
    row->lens = r->lens;
    row->line = start_line;
    return 1;
}

bool csv_cell_needs_guard(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == '\'')
        i++;
    return i < len && strchr("=+-@\t\r", s[i]) != NULL && s[i] != '\0';
}

const char *csv_cell_unguard(const char *s, size_t *len)
{
    if (*len >= 2 && s[0] == '\'' && csv_cell_needs_guard(s + 1, *len - 1)) {
        (*len)--;
        return s + 1;
    }
    return s;
}

int csv_bom_write(FILE *out)
{
    return fwrite("\xEF\xBB\xBF", 1, 3, out) == 3 ? 0 : STDTAX_EIO;
}

static bool cell_needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return false;
    if (s[0] == ' ' || s[len - 1] == ' ')
        return true;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

int csv_row_write(FILE *out, const char *const *cells, const size_t *lens, size_t n,
                  unsigned flags)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = cells[i] ? cells[i] : "";
        size_t len = cells[i] ? (lens ? lens[i] : strlen(s)) : 0;
        if (i > 0 && putc(',', out) == EOF)
            return STDTAX_EIO;
        bool guard = (flags & CSV_GUARD_FORMULA) && csv_cell_needs_guard(s, len);
        bool quote = cell_needs_quotes(s, len);
        if (quote && putc('"', out) == EOF)
            return STDTAX_EIO;
        if (guard && putc('\'', out) == EOF)
            return STDTAX_EIO;
        for (size_t k = 0; k < len; k++) {
            if (quote && s[k] == '"' && putc('"', out) == EOF)
                return STDTAX_EIO;
            if (putc(s[k], out) == EOF)
                return STDTAX_EIO;
        }
        if (quote && putc('"', out) == EOF)
            return STDTAX_EIO;
    }
    if (fputs("\r\n", out) == EOF)
        return STDTAX_EIO;
    return ferror(out) ? STDTAX_EIO : 0;
}
