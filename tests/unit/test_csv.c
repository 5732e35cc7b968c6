#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/csv.h"

/* Reads all records of `text` into a JSON-like flat dump "a|b\n" per record, so that
 * a test can compare with one string; stops at the first error and returns it. */
static int read_all(const char *text, size_t len, const struct csv_limits *limits,
                    char **dump, struct stdtax_error *err, unsigned long *lines)
{
    FILE *in = fmemopen((void *)text, len, "r");
    cr_assert_not_null(in);
    char *out = NULL;
    size_t outlen = 0;
    FILE *o = open_memstream(&out, &outlen);
    struct csv_reader *r = csv_reader_new(in, limits);
    cr_assert_not_null(r);
    struct csv_row row;
    int rc;
    size_t k = 0;
    while ((rc = csv_reader_next(r, &row, err)) == 1) {
        if (lines)
            lines[k++] = row.line;
        for (size_t i = 0; i < row.n; i++) {
            cr_assert_eq(strlen(row.cells[i]), row.lens[i]);
            fprintf(o, "%s%s", i ? "|" : "", row.cells[i]);
        }
        fputc('\n', o);
    }
    fclose(o);
    csv_reader_free(r);
    fclose(in);
    *dump = out;
    return rc;
}

static void expect_read(const char *text, const char *want)
{
    char *dump;
    struct stdtax_error err = {0};
    int rc = read_all(text, strlen(text), NULL, &dump, &err, NULL);
    cr_expect_eq(rc, 0, "rc %d: %s %s", rc, err.field, err.text);
    cr_expect_str_eq(dump, want);
    free(dump);
}

Test(csv, reads_plain_and_quoted_fields)
{
    expect_read("a,b,c\r\n1,2,3\r\n", "a|b|c\n1|2|3\n");
    expect_read("a,b\n1,2", "a|b\n1|2\n"); /* LF, no final newline */
    expect_read("\"x,y\",\"say \"\"hi\"\"\"\n", "x,y|say \"hi\"\n");
    expect_read(",,\n", "||\n");     /* three empty fields */
    expect_read("\"\",a\n", "|a\n"); /* quoted empty */
    expect_read("a\rb\r", "a\nb\n"); /* lone CR ends a record */
}

/* Regression (tests/fuzz/fuzz_csv): an empty first cell on a fresh reader computed
 * NULL + 0, which UndefinedBehaviorSanitizer (--enable-sanitizers) aborts on. */
Test(csv, empty_first_cell_of_fresh_reader)
{
    expect_read(",a\r\n", "|a\n");
    expect_read(",\n", "|\n");
}

Test(csv, keeps_newlines_inside_quotes)
{
    expect_read("\"line1\r\nline2\",z\r\nnext,row\r\n", "line1\r\nline2|z\nnext|row\n");
    expect_read("\"a\nb\nc\"\n", "a\nb\nc\n");
}

Test(csv, skips_bom_and_empty_lines)
{
    expect_read("\xEF\xBB\xBF名称,值\r\n\r\n\r\n甲,1\r\n", "名称|值\n甲|1\n");
}

/* A BOM-like prefix that is not a whole BOM is content (and here invalid UTF-8). */
Test(csv, partial_bom_is_content)
{
    char *dump;
    struct stdtax_error err = {0};
    const char *text = "\xEF\xBB"
                       "a\n";
    cr_expect_eq(read_all(text, strlen(text), NULL, &dump, &err, NULL), STDTAX_EUTF8);
    free(dump);
}

Test(csv, record_lines_count_embedded_newlines)
{
    const char *text = "h1,h2\n\"a\nb\nc\",x\n\nlast,y\n";
    char *dump;
    unsigned long lines[8] = {0};
    struct stdtax_error err;
    cr_assert_eq(read_all(text, strlen(text), NULL, &dump, &err, lines), 0);
    cr_expect_eq(lines[0], 1);
    cr_expect_eq(lines[1], 2);
    cr_expect_eq(lines[2], 6); /* 2-4 the quoted record, 5 empty */
    free(dump);
}

static void expect_error(const char *text, size_t len, const struct csv_limits *limits,
                         int code, const char *field)
{
    char *dump;
    struct stdtax_error err = {0};
    int rc = read_all(text, len, limits, &dump, &err, NULL);
    cr_expect_eq(rc, code, "%s: rc %d (%s)", text, rc, err.text);
    cr_expect_str_eq(err.field, field, "%s", text);
    free(dump);
}

Test(csv, reports_errors_with_line)
{
    expect_error("a,b\n\"open,\nstill\n", 17, NULL, STDTAX_EPARSE, "line 2");
    expect_error("a,b\nx\"y,z\n", 10, NULL, STDTAX_EPARSE, "line 2");
    expect_error("a\n\"q\"x\n", 7, NULL, STDTAX_EPARSE, "line 2");
    expect_error("a\nb\0c\n", 6, NULL, STDTAX_EPARSE, "line 2");
    expect_error("ok\n\xC3\x28\n", 6, NULL, STDTAX_EUTF8, "line 2");
    expect_error("ok\n\xED\xA0\x80\n", 7, NULL, STDTAX_EUTF8, "line 2"); /* surrogate */
}

Test(csv, enforces_limits)
{
    struct csv_limits lim = {.max_field = 4, .max_record = 10, .max_fields = 3};
    expect_error("abcd,e\nabcde\n", 13, &lim, STDTAX_ETOOBIG, "line 2");
    expect_error("abcd,abcd,abc\n", 14, &lim, STDTAX_ETOOBIG, "line 1");
    expect_error("a,b,c,d\n", 8, &lim, STDTAX_ETOOBIG, "line 1");
    char *dump;
    struct stdtax_error err;
    cr_expect_eq(read_all("abcd,abcd,ab\n", 13, &lim, &dump, &err, NULL), 0);
    free(dump);
}

static char *write_row(const char *const *cells, size_t n, unsigned flags)
{
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    cr_assert_eq(csv_row_write(o, cells, NULL, n, flags), 0);
    fclose(o);
    return out;
}

Test(csv, writer_quotes_only_when_needed)
{
    const char *cells[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "", " pad", NULL};
    char *s = write_row(cells, 7, 0);
    cr_expect_str_eq(s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\" pad\",\r\n");
    free(s);
}

Test(csv, formula_guard)
{
    const char *cells[] = {"=1+2", "+86 21 1234 5678",
                           "-x",   "@SUM(A1)",
                           "'=x",  "ok",
                           "a=b",  "=HYPERLINK(\"http://x\",\"y\")"};
    char *s = write_row(cells, 8, CSV_GUARD_FORMULA);
    cr_expect_str_eq(s, "'=1+2,'+86 21 1234 5678,'-x,'@SUM(A1),''=x,ok,a=b,"
                        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
    free(s);
    s = write_row(cells, 1, 0);
    cr_expect_str_eq(s, "=1+2\r\n");
    free(s);
}

Test(csv, unguard_reverses_guard)
{
    const char *vals[] = {"=1", "'=1", "''+2", "'plain", "plain", "'", "-"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char buf[16];
        size_t len = strlen(vals[i]);
        bool guard = csv_cell_needs_guard(vals[i], len);
        snprintf(buf, sizeof buf, "%s%s", guard ? "'" : "", vals[i]);
        size_t blen = strlen(buf);
        const char *back = csv_cell_unguard(buf, &blen);
        cr_expect_eq(blen, len, "%s", vals[i]);
        cr_expect(memcmp(back, vals[i], len) == 0, "%s", vals[i]);
    }
}

Test(csv, round_trip_of_tricky_cells)
{
    const char *cells[] = {"逗号,引号\"",
                           "多行\r\n文本\n第三行",
                           "=cmd|' /C calc'!A0",
                           "  spaces  ",
                           "",
                           "；分号；",
                           "\t tab"};
    size_t n = sizeof cells / sizeof cells[0];
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    cr_assert_eq(csv_bom_write(o), 0);
    cr_assert_eq(csv_row_write(o, cells, NULL, n, CSV_GUARD_FORMULA), 0);
    cr_assert_eq(csv_row_write(o, cells, NULL, n, CSV_GUARD_FORMULA), 0);
    fclose(o);
    cr_expect(memcmp(out, "\xEF\xBB\xBF", 3) == 0);

    FILE *in = fmemopen(out, len, "r");
    struct csv_reader *r = csv_reader_new(in, NULL);
    struct csv_row row;
    struct stdtax_error err;
    for (int rec = 0; rec < 2; rec++) {
        cr_assert_eq(csv_reader_next(r, &row, &err), 1);
        cr_assert_eq(row.n, n);
        for (size_t i = 0; i < n; i++) {
            size_t l = row.lens[i];
            const char *c = csv_cell_unguard(row.cells[i], &l);
            cr_expect_eq(l, strlen(cells[i]), "cell %zu", i);
            cr_expect(memcmp(c, cells[i], l) == 0, "cell %zu: %s", i, row.cells[i]);
        }
    }
    cr_expect_eq(row.line, 4); /* the first record spans lines 1-3 */
    cr_expect_eq(csv_reader_next(r, &row, &err), 0);
    csv_reader_free(r);
    fclose(in);
    free(out);
}

/* Hostile input: random mixes of the characters that matter never crash the reader (run
 * under --enable-sanitizers), and every outcome is a record, the end or an error. */
Test(csv, random_input_is_handled)
{
    static const char *const atoms[] = {
        ",", "\"", "\r", "\n", "a", "中", "\xEF\xBB\xBF", "\xFF", "\"\"", "\r\n", " "};
    unsigned seed = 12345;
    struct csv_limits lim = {.max_field = 16, .max_record = 64, .max_fields = 8};
    for (int round = 0; round < 3000; round++) {
        char buf[512];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int parts = (int)(seed >> 16) % 60;
        for (int i = 0; i < parts; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *a = atoms[(seed >> 16) % (sizeof atoms / sizeof atoms[0])];
            memcpy(buf + len, a, strlen(a));
            len += strlen(a);
        }
        FILE *in = fmemopen(buf, len ? len : 1, "r");
        if (len == 0)
            fgetc(in);
        struct csv_reader *r = csv_reader_new(in, &lim);
        struct csv_row row;
        struct stdtax_error err;
        int rc, records = 0;
        while ((rc = csv_reader_next(r, &row, &err)) == 1) {
            cr_assert_leq(row.n, lim.max_fields);
            for (size_t i = 0; i < row.n; i++)
                cr_assert_leq(row.lens[i], lim.max_field);
            cr_assert_leq(++records, 200);
        }
        cr_assert(rc == 0 || rc == STDTAX_EPARSE || rc == STDTAX_EUTF8 ||
                      rc == STDTAX_ETOOBIG,
                  "rc %d", rc);
        if (rc < 0)
            cr_assert_eq(csv_reader_next(r, &row, &err), STDTAX_EPARSE, "stays failed");
        csv_reader_free(r);
        fclose(in);
    }
}
