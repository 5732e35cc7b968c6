/* Proposals as CSV: the export (the forms' Chinese labels as column names, objects
 * flattened, arrays joined) and the import of such rows back into submissions. */
#include "proposal_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *label, *name, *path[2];
} server_cols[] = {
    {"编号", "id", {"id", NULL}},
    {"状态", "status", {"status", NULL}},
    {"收到时间", "received", {"received", NULL}},
    {"逾期", "late", {"late", NULL}},
    {"分类", "category", {"classification", "category"}},
    {"子类", "subcategory", {"classification", "subcategory"}},
    {"分类来源", "classification_source", {"classification", "source"}},
    {"置信度", "confidence", {"classification", "confidence"}},
    {"立项重点", "priority_topics", {"priority_topics", NULL}},
    {"文件名", "export_name", {"export_name", NULL}},
};
#define N_SERVER (sizeof server_cols / sizeof server_cols[0])
#define N_LEAD 1 /* server columns before the form's: the id */

/* Separator of array items in a cell (full-width semicolon, as Chinese text uses).
 * Import also splits on ";"; a backslash before either, or before a backslash, keeps
 * it in the item, so that an item holding one comes back whole. */
#define ARRAY_SEP "；"
#define ARRAY_ESC '\\'

/* Length of the separator at s, 0 if none. */
static size_t sep_len(const char *s, size_t len)
{
    if (len >= 1 && s[0] == ';')
        return 1;
    return len >= sizeof ARRAY_SEP - 1 && memcmp(s, ARRAY_SEP, sizeof ARRAY_SEP - 1) == 0
               ? sizeof ARRAY_SEP - 1
               : 0;
}

struct col {
    const struct prop_field *f; /* top-level field, or NULL for a server column */
    const struct prop_field *m; /* member of an object field, or NULL */
    size_t server;              /* index into server_cols when f is NULL */
};

/* Column i in export order: id, the form's fields (objects flattened), server fields. */
static bool col_get(size_t i, struct col *c)
{
    c->f = c->m = NULL;
    if (i < N_LEAD) {
        c->server = i;
        return true;
    }
    i -= N_LEAD;
    for (const struct prop_field *f = prop_fields(); f->name; f++) {
        if (f->type != PROP_T_OBJECT) {
            if (i-- == 0) {
                c->f = f;
                return true;
            }
            continue;
        }
        for (const struct prop_field *m = f->members; m->name; m++)
            if (i-- == 0) {
                c->f = f, c->m = m;
                return true;
            }
    }
    if (i < N_SERVER - N_LEAD) {
        c->server = N_LEAD + i;
        return true;
    }
    return false;
}

size_t prop_csv_column_count(void)
{
    size_t n = 0;
    struct col c;
    while (col_get(n, &c))
        n++;
    return n;
}

const char *prop_csv_column_label(size_t i)
{
    struct col c;
    if (!col_get(i, &c))
        return NULL;
    return c.m ? c.m->label : c.f ? c.f->label : server_cols[c.server].label;
}

const char *prop_csv_column_name(size_t i)
{
    struct col c;
    if (!col_get(i, &c))
        return NULL;
    return c.m ? c.m->csv_name : c.f ? c.f->name : server_cols[c.server].name;
}

int prop_csv_header(FILE *out)
{
    size_t n = prop_csv_column_count();
    const char **labels = malloc(n * sizeof *labels);
    if (!labels)
        return STDTAX_ENOMEM;
    for (size_t i = 0; i < n; i++)
        labels[i] = prop_csv_column_label(i);
    int rc = csv_bom_write(out);
    if (rc == 0)
        rc = csv_row_write(out, labels, NULL, n, CSV_GUARD_FORMULA);
    free(labels);
    return rc;
}

/* Renders a JSON value as a cell (new string, NULL when out of memory). */
static char *cell_text(const json_t *v)
{
    char num[64];
    if (!v || json_is_null(v))
        return strdup("");
    if (json_is_string(v)) {
        char *s = malloc(json_string_length(v) + 1);
        if (s)
            memcpy(s, json_string_value(v), json_string_length(v) + 1);
        return s;
    }
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strdup(num);
    }
    if (json_is_real(v)) {
        /* The shortest form that reads back as the same double. */
        double d = json_real_value(v);
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, d);
            if (strtod(num, NULL) == d)
                break;
        }
        return strdup(num);
    }
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "true" : "false");
    if (json_is_array(v)) {
        size_t total = 1;
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *item = json_array_get(v, i);
            /* At worst every byte escaped. */
            total += (json_is_string(item) ? 2 * json_string_length(item) : 0) +
                     sizeof ARRAY_SEP;
        }
        char *s = malloc(total), *p = s;
        if (!s)
            return NULL;
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *item = json_array_get(v, i);
            if (!json_is_string(item))
                continue;
            if (p != s) {
                memcpy(p, ARRAY_SEP, sizeof ARRAY_SEP - 1);
                p += sizeof ARRAY_SEP - 1;
            }
            const char *t = json_string_value(item);
            size_t tlen = json_string_length(item);
            for (size_t k = 0; k < tlen; k++) {
                if (t[k] == ARRAY_ESC || sep_len(t + k, tlen - k))
                    *p++ = ARRAY_ESC;
                *p++ = t[k];
            }
        }
        *p = '\0';
        return s;
    }
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int prop_record_to_csv_row(const json_t *record, FILE *out)
{
    size_t n = prop_csv_column_count();
    char **cells = calloc(n, sizeof *cells);
    if (!cells)
        return STDTAX_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct col c;
        col_get(i, &c);
        const json_t *v;
        if (c.f) {
            const json_t *obj = c.m ? json_object_get(record, c.f->name) : record;
            const struct prop_field *x = c.m ? c.m : c.f;
            v = json_object_get(obj, x->name);
            /* The value as the proposer wrote it, as on the paper form: an import then
             * gives back the submission. */
            char key[64];
            snprintf(key, sizeof key, "%s" PROP_AS_WRITTEN, x->name);
            if (x->normalise && json_is_string(json_object_get(obj, key)))
                v = json_object_get(obj, key);
        } else {
            v = json_object_get(record, server_cols[c.server].path[0]);
            if (server_cols[c.server].path[1])
                v = json_object_get(v, server_cols[c.server].path[1]);
        }
        if (!(cells[i] = cell_text(v)))
            rc = STDTAX_ENOMEM;
    }
    if (rc == 0)
        rc = csv_row_write(out, (const char *const *)cells, NULL, n, CSV_GUARD_FORMULA);
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    return rc;
}

/* Which column a header cell names: 1 for a form column (*c filled), 0 for a server
 * column (ignored on import), -1 for an unknown name. */
static int col_match(const char *h, struct col *c)
{
    for (size_t k = 0; k < N_SERVER; k++)
        if (strcmp(h, server_cols[k].label) == 0 || strcmp(h, server_cols[k].name) == 0)
            return 0;
    for (size_t i = 0; col_get(i, c); i++) {
        if (!c->f)
            continue;
        const struct prop_field *x = c->m ? c->m : c->f;
        const char *names[] = {x->label, c->m ? x->csv_name : x->name, x->form_local,
                               x->form_group};
        for (size_t k = 0; k < 4; k++)
            if (names[k] && strcmp(h, names[k]) == 0)
                return 1;
    }
    return -1;
}

/* Splits an array cell on "；" or ";", trimming each item and dropping empty ones; a
 * backslash keeps the separator or backslash after it (cell_text writes them so). */
static json_t *split_items(const char *s, size_t len)
{
    json_t *arr = json_array();
    char *piece = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; arr && piece && i <= len;) {
        size_t sep = i < len ? sep_len(s + i, len - i) : 0;
        if (i < len && s[i] == ARRAY_ESC && i + 1 < len) {
            size_t kept = s[i + 1] == ARRAY_ESC ? 1 : sep_len(s + i + 1, len - i - 1);
            if (kept) {
                memcpy(piece + n, s + i + 1, kept);
                n += kept;
                i += 1 + kept;
                continue;
            }
        }
        if (i < len && sep == 0) {
            piece[n++] = s[i++];
            continue;
        }
        piece[n] = '\0';
        const char *b;
        size_t blen;
        prop_trimmed(piece, &b, &blen);
        json_t *item = blen ? json_stringn(b, blen) : NULL;
        if (blen && (!item || json_array_append_new(arr, item) != 0)) {
            json_decref(arr);
            arr = NULL;
        }
        n = 0;
        i += i == len ? 1 : sep;
    }
    free(piece);
    if (!piece) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* Converts a cell to the field's JSON value; NULL with *why set when it cannot. */
static json_t *cell_value(const struct prop_field *x, const char *s, size_t len,
                          enum msg_id *why)
{
    *why = MSG_NONE;
    if (x->type == PROP_T_ENUM || x->type == PROP_T_NUMBER || x->type == PROP_T_DATE) {
        /* Codes, numbers and dates never hold spaces of their own; spreadsheets add them.
         */
        const char *b;
        size_t n;
        char *copy = strndup(s, len);
        if (!copy)
            return NULL;
        prop_trimmed(copy, &b, &n);
        json_t *v = NULL;
        if (n < len) {
            v = cell_value(x, s + (b - copy), n, why);
            free(copy);
            return v;
        }
        free(copy);
    }
    switch (x->type) {
    case PROP_T_ENUM:
        for (const struct prop_enum_value *e = x->values; e->code; e++)
            if ((strlen(e->code) == len && memcmp(s, e->code, len) == 0) ||
                (strlen(e->label_zh) == len && memcmp(s, e->label_zh, len) == 0))
                return json_string(e->code);
        *why = MSG_CSV_UNKNOWN_VALUE;
        return NULL;
    case PROP_T_STRINGS:
        return split_items(s, len);
    case PROP_T_NUMBER: {
        char buf[64], *end;
        if (len == 0 || len >= sizeof buf) {
            *why = MSG_CSV_NOT_NUMBER;
            return NULL;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        double d = strtod(buf, &end);
        if (*end != '\0' || !isfinite(d) || strspn(buf, "0123456789.eE+-") != len) {
            *why = MSG_CSV_NOT_NUMBER;
            return NULL;
        }
        if (!strpbrk(buf, ".eE") && d >= -9e15 && d <= 9e15)
            return json_integer((json_int_t)d);
        return json_real(d);
    }
    default:
        return json_stringn(s, len);
    }
}

/* Boxes of a form that hold more than one field.  附件4's 联系方式 is one box for the
 * contact's phone number, e-mail address or both: the piece of the cell around its '@'
 * (up to a space or punctuation) is the e-mail address, what is left the phone
 * number. */
static const struct {
    const char *label, *object, *with_at, *rest;
} boxes[] = {{"联系方式", "contact", "email", "phone"}};

static const char *const box_separators[] = {" ",  "\t", ",",  ";",     "/",
                                             "，", "；", "、", "\u3000"};

/* The length of a separator starting at s + i (forward) or ending there (back), or 0. */
static size_t box_separator(const char *s, size_t len, size_t i, bool back)
{
    for (size_t k = 0; k < sizeof box_separators / sizeof box_separators[0]; k++) {
        size_t n = strlen(box_separators[k]);
        size_t at = back ? i - n : i;
        if ((back ? i >= n : len - i >= n) && memcmp(s + at, box_separators[k], n) == 0)
            return n;
    }
    return 0;
}

/* Sets obj[name] to s[b..e) with separators trimmed (nothing when that is empty); a
 * member another column gave already is a problem at its pointer. */
static void box_put(struct prop_problems *v, json_t *obj, const char *object,
                    const char *name, const char *label, const char *s, size_t b,
                    size_t e)
{
    size_t k;
    while (b < e && (k = box_separator(s, e, b, false)) != 0)
        b += k;
    while (e > b && (k = box_separator(s, e, e, true)) != 0)
        e -= k;
    if (e == b)
        return;
    char base[PROP_PTR_MAX], ptr[PROP_PTR_MAX];
    prop_ptr_join(base, "", object);
    prop_ptr_join(ptr, base, name);
    if (json_object_get(obj, name)) {
        prop_problem(v, ptr, MSG_CSV_COLUMN_TWICE, label, NULL);
        return;
    }
    json_t *value = json_stringn(s + b, e - b);
    if (!value || json_object_set_new(obj, name, value) != 0)
        v->rc = STDTAX_ENOMEM;
}

/* When header names a box of several fields, puts the cell's pieces into sub and
 * returns true. */
static bool box_cell(struct prop_problems *v, json_t *sub, const char *header,
                     const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof boxes / sizeof boxes[0]; i++)
        if (strcmp(header, boxes[i].label) == 0)
            break;
    if (i == sizeof boxes / sizeof boxes[0])
        return false;
    if (!s || len == 0)
        return true;
    json_t *obj = json_object_get(sub, boxes[i].object);
    if (!obj) {
        obj = json_object();
        if (!obj || json_object_set_new(sub, boxes[i].object, obj) != 0) {
            v->rc = STDTAX_ENOMEM;
            return true;
        }
    }
    const char *at = memchr(s, '@', len);
    size_t b = at ? (size_t)(at - s) : len, e = b;
    while (at && b > 0 && box_separator(s, len, b, true) == 0)
        b--;
    while (at && e < len && box_separator(s, len, e, false) == 0)
        e++;
    if (at)
        box_put(v, obj, boxes[i].object, boxes[i].with_at, header, s, b, e);
    /* The rest: before the address and after it, as one text. */
    char *rest = malloc(len - (e - b) + 2);
    if (!rest) {
        v->rc = STDTAX_ENOMEM;
        return true;
    }
    memcpy(rest, s, b);
    rest[b] = ' ';
    memcpy(rest + b + 1, s + e, len - e);
    box_put(v, obj, boxes[i].object, boxes[i].rest, header, rest, 0, len - (e - b) + 1);
    free(rest);
    return true;
}

int prop_csv_row_to_submission(const struct csv_row *header, const struct csv_row *row,
                               json_t **submission, json_t *problems)
{
    json_t *sub = json_object();
    *submission = sub;
    if (!sub)
        return STDTAX_ENOMEM;
    struct prop_problems v = {.problems = problems};
    if (row->n != header->n) {
        char line[24], cells[24], want[24];
        snprintf(line, sizeof line, "%lu", row->line);
        snprintf(cells, sizeof cells, "%zu", row->n);
        snprintf(want, sizeof want, "%zu", header->n);
        prop_problem(&v, "", MSG_CSV_CELLS, line, cells, want, NULL);
    }
    size_t n = row->n < header->n ? row->n : header->n;
    for (size_t j = 0; j < header->n && v.rc == 0; j++) {
        struct col c;
        char ptr[PROP_PTR_MAX], tmp[PROP_PTR_MAX];
        size_t box_len = j < n ? row->lens[j] : 0;
        if (box_cell(&v, sub, header->cells[j],
                     j < n ? csv_cell_unguard(row->cells[j], &box_len) : NULL, box_len))
            continue;
        int kind = col_match(header->cells[j], &c);
        if (kind < 0) {
            prop_ptr_join(ptr, "", header->cells[j]);
            prop_problem(&v, ptr, MSG_CSV_UNKNOWN_COLUMN, NULL);
            continue;
        }
        if (kind == 0)
            continue;
        prop_ptr_join(ptr, "", c.f->name);
        if (c.m) {
            snprintf(tmp, sizeof tmp, "%s", ptr);
            prop_ptr_join(ptr, tmp, c.m->name);
        }
        /* A repeated column: an earlier header cell mapped to the same field. */
        bool repeated = false;
        for (size_t k = 0; k < j && !repeated; k++) {
            struct col e;
            repeated = col_match(header->cells[k], &e) == 1 && e.f == c.f && e.m == c.m;
        }
        if (repeated) {
            prop_problem(&v, ptr, MSG_CSV_COLUMN_TWICE, header->cells[j], NULL);
            continue;
        }
        if (j >= n)
            continue;
        size_t len = row->lens[j];
        const char *s = csv_cell_unguard(row->cells[j], &len);
        const char *b;
        size_t tl;
        char *copy = strndup(s, len);
        if (!copy) {
            v.rc = STDTAX_ENOMEM;
            break;
        }
        prop_trimmed(copy, &b, &tl);
        bool empty = tl == 0;
        free(copy);
        if (empty)
            continue;
        const struct prop_field *x = c.m ? c.m : c.f;
        enum msg_id why;
        json_t *value = cell_value(x, s, len, &why);
        if (!value) {
            if (why)
                prop_problem(&v, ptr, why, NULL);
            else
                v.rc = STDTAX_ENOMEM;
            continue;
        }
        json_t *target = sub;
        if (c.m) {
            target = json_object_get(sub, c.f->name);
            if (!target) {
                target = json_object();
                if (!target || json_object_set_new(sub, c.f->name, target) != 0) {
                    json_decref(value);
                    v.rc = STDTAX_ENOMEM;
                    break;
                }
            }
        }
        if (json_object_get(target, x->name)) { /* given by a box of several fields */
            json_decref(value);
            prop_problem(&v, ptr, MSG_CSV_COLUMN_TWICE, header->cells[j], NULL);
        } else if (json_object_set_new(target, x->name, value) != 0) {
            v.rc = STDTAX_ENOMEM;
        }
    }
    if (v.rc)
        return v.rc;
    return v.n ? STDTAX_EINVAL : 0;
}
