#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/proposal.h"

/* ------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------- */

static json_t *load_example(const char *track)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/data/proposal-%s.json", STDTAX_SRCDIR, track);
    json_error_t e;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    cr_assert_not_null(j, "%s: %s", path, e.text);
    return j;
}

/* 2023-09-12T23:59:59+08:00 and 2023-10-31T23:59:59+08:00, the call's deadlines. */
static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return timegm(&tm);
}

static void rules_2023(struct prop_rules *rules)
{
    memset(rules, 0, sizeof *rules);
    cr_assert_eq(prop_rules_call_add(rules, "2023", utc(2023, 9, 12, 15, 59, 59),
                                     utc(2023, 10, 31, 15, 59, 59), NULL),
                 0);
}

/* Sets (or with value NULL deletes) the member at a one- or two-level pointer. */
static void patch(json_t *doc, const char *ptr, json_t *value)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", ptr + 1);
    char *slash = strchr(buf, '/');
    json_t *target = doc;
    const char *key = buf;
    if (slash) {
        *slash = '\0';
        target = json_object_get(doc, buf);
        if (!json_is_object(target)) {
            target = json_object();
            json_object_set_new(doc, buf, target);
        }
        key = slash + 1;
    }
    if (value)
        json_object_set_new(target, key, value);
    else
        json_object_del(target, key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted pointers of a problems array, joined with spaces. */
static char *pointers_of(const json_t *problems)
{
    size_t n = json_array_size(problems);
    const char **ptrs = calloc(n + 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++)
        ptrs[i] =
            json_string_value(json_object_get(json_array_get(problems, i), "pointer"));
    qsort(ptrs, n, sizeof *ptrs, cmp_str);
    char *out = calloc(1, 4096);
    for (size_t i = 0; i < n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, ptrs[i][0] ? ptrs[i] : "(root)");
    }
    free(ptrs);
    return out;
}

/* ------------------------------------------------------------------------------------
 * Validation, table-driven
 * ---------------------------------------------------------------------------------- */

struct vcase {
    const char *base;  /* "local" or "group" */
    const char *edits; /* JSON object: pointer -> new value; the value "<del>" deletes */
    const char *want;  /* sorted pointers, "" for a valid submission */
};

static const struct vcase vcases[] = {
    /* valid */
    {"local", "{}", ""},
    {"group", "{}", ""},
    {"local", "{\"/kind\": \"revision\", \"/replaces\": \"DB31/T 1234-2020\"}", ""},
    {"group", "{\"/kind\": \"revision\", \"/replaces\": \"T/SHAIA 0001-2022\"}", ""},
    {"local",
     "{\"/nature\": \"mandatory\", \"/mandatory_reason\": \"涉及人身安全\","
     " \"/product_catalogue\": \"服务机器人\"}",
     ""},
    {"group",
     "{\"/adoption\": {\"degree\": \"IDT\", \"number\": \"ISO/IEC 42001:2023\","
     " \"title_en\": \"AI management system\"}}",
     ""},
    {"group", "{\"/adoption\": \"<del>\"}", ""},
    {"local", "{\"/contact/phone\": \"13301889128\"}", ""},
    {"local", "{\"/contact/phone\": \"021-12345678\"}", ""},
    {"local", "{\"/contact/phone\": \"(021) 1234-5678\"}", ""},
    {"group", "{\"/ics\": \"35\", \"/ccs\": \"A01\"}", ""},
    {"group", "{\"/ics\": \"35.240.01\", \"/ccs\": \"Z99\"}", ""},
    {"local",
     "{\"/ip_notes\": null, \"/replaces\": \"\", \"/participating_organisations\": []}",
     ""},
    {"local", "{\"/scope\": \"第一行\\n第二行\\t制表\"}", ""},
    {"local", "{\"/planned_start\": \"2024-02-29\", \"/planned_end\": \"2024-03-01\"}",
     ""},
    {"group", "{\"/contact/address\": \"<del>\"}", ""}, /* optional on the group form */
    {"local", "{\"/drafting_contact\": \"<del>\"}", ""},
    {"local", "{\"/budget/amount\": 12.5}", ""},
    {"group", "{\"/contact/email\": \"x.y+z@mail.xn--fiqs8s\"}", ""},

    /* unknown fields, and fields of the other form */
    {"local", "{\"/colour\": \"red\", \"/contact/fax\": \"021-1\"}",
     "/colour /contact/fax"},
    {"local", "{\"/ics\": \"35.240\", \"/seconding_units\": [\"a\", \"b\", \"c\"]}",
     "/ics /seconding_units"},
    {"group", "{\"/nature\": \"recommended\", \"/budget\": {\"amount\": 1}}",
     "/budget /nature"},
    {"local", "{\"/status\": \"recommended-local\", \"/id\": \"x\"}", "/id /status"},
    /* required fields */
    {"local",
     "{\"/title\": \"<del>\", \"/contact/email\": \"<del>\", \"/budget\": \"<del>\"}",
     "/budget /contact/email /title"},
    {"local",
     "{\"/head_of_unit\": \"   \", \"/project_lead\": null, \"/contact/address\": \"\"}",
     "/contact/address /head_of_unit /project_lead"},
    {"local", "{\"/drafting_organisations\": []}", "/drafting_organisations"},
    /* ICS and CCS are optional: proposers leave them for the committee (issue 20) */
    {"group", "{\"/seconding_units\": \"<del>\", \"/ics\": \"<del>\", \"/ccs\": null}",
     "/seconding_units"},
    /* 附件4 联系方式: a phone number or an e-mail address, at least one */
    {"group", "{\"/contact/phone\": \"<del>\"}", ""},
    {"group", "{\"/contact/email\": \"\"}", ""},
    {"group", "{\"/contact/email\": \"<del>\", \"/contact/phone\": null}",
     "/contact/phone"},
    {"local", "{\"/contact/phone\": \"<del>\"}", "/contact/phone"},
    /* telephone numbers as people write them */
    {"local", "{\"/contact/phone\": \"021-5080 1234 转 806\"}", ""},
    {"local", "{\"/contact/phone\": \"(021) 5080-1234 ext. 806\"}", ""},
    {"local", "{\"/contact/phone\": \"021-50801234x806\"}", ""},
    {"local", "{\"/contact/phone\": \"021-50801234-806\"}", ""},
    {"local", "{\"/contact/phone\": \"＋８６ １３８ ００１３ ８０００\"}", ""},
    {"local", "{\"/contact/phone\": \"（０２１）６１２３４５６７转８０６\"}", ""},
    {"local", "{\"/drafting_contact/phone\": \"0571-8765 4321 分机 12\"}", ""},
    {"local", "{\"/contact/phone\": \"021-5080 1234 转\"}", "/contact/phone"},
    {"local", "{\"/contact/phone\": \"021-5080 1234 转 806 楼\"}", "/contact/phone"},
    {"local", "{\"/contact/phone\": \"电话 021-50801234\"}", "/contact/phone"},
    {"local", "{\"/track\": \"<del>\"}", "/track"},
    {"local", "{\"/track\": \"地标\"}", "/track"},
    {"local", "{\"/call\": \"<del>\", \"/purpose\": \"<del>\"}", "/call /purpose"},
    /* types */
    {"local",
     "{\"/title\": 5, \"/planned_start\": 20240101, \"/drafting_organisations\": \"x\","
     " \"/budget/amount\": \"30\", \"/contact\": \"李娜\", \"/kind\": true}",
     "/budget/amount /contact /drafting_organisations /kind /planned_start /title"},
    {"local", "{\"/drafting_organisations\": [\"甲\", 7, \"\"]}",
     "/drafting_organisations/1 /drafting_organisations/2"},
    {"local", "{\"/participating_organisations\": [\"甲\", \"乙\", \"甲\"]}",
     "/participating_organisations/2"},
    /* text content and length */
    {"local", "{\"/title\": \"AI\\u0001标准\", \"/title_en\": \"two\\nlines\"}",
     "/title /title_en"},
    {"local", "{\"/scope\": \"nul\\u0000byte\", \"/purpose\": \"c1\\u0085control\"}",
     "/purpose /scope"},
    {"local", "{\"/budget/amount\": -1}", "/budget/amount"},
    {"local", "{\"/budget/amount\": 100001}", "/budget/amount"},
    /* formats */
    {"local", "{\"/contact/email\": \"li.na@example\", \"/contact/phone\": \"123\"}",
     "/contact/email /contact/phone"},
    {"local",
     "{\"/drafting_contact/email\": \"a..b@example.com\","
     " \"/drafting_contact/phone\": \"86+21 12345678\"}",
     "/drafting_contact/email /drafting_contact/phone"},
    {"group", "{\"/ics\": \"35.24\", \"/ccs\": \"I10\"}", "/ccs /ics"},
    {"group", "{\"/ics\": \"35.240.1\", \"/ccs\": \"l70\"}", "/ccs /ics"},
    {"local", "{\"/call\": \"2024\"}", "/call"},
    {"local", "{\"/call\": \"20 23\"}", "/call"},
    {"local", "{\"/kind\": \"draft\", \"/nature\": \"optional\"}", "/kind /nature"},
    {"local", "{\"/budget/source\": \"地方拨款\"}", "/budget/source"},
    /* dates */
    {"local", "{\"/planned_start\": \"2023-02-29\", \"/planned_end\": \"2024-13-01\"}",
     "/planned_end /planned_start"},
    {"local", "{\"/planned_start\": \"2024-12-31\", \"/planned_end\": \"2024-01-01\"}",
     "/planned_end"},
    {"group", "{\"/planned_end\": \"2023-12-01\"}", "/planned_end"}, /* equal to start */
    {"local", "{\"/planned_start\": \"2024-1-1\"}", "/planned_start"},
    /* revision and mandatory rules */
    {"local", "{\"/kind\": \"revision\"}", "/replaces"},
    {"group", "{\"/replaces\": \"T/SHAIA 0001-2022\"}", "/replaces"},
    {"local", "{\"/nature\": \"mandatory\"}", "/mandatory_reason /product_catalogue"},
    {"local", "{\"/nature\": \"mandatory\", \"/mandatory_reason\": \"涉及人身安全\"}",
     "/product_catalogue"},
    /* a rule of one form holds only when the track names that form */
    {"local", "{\"/track\": \"地标\", \"/nature\": \"mandatory\"}", "/track"},
    /* seconding units */
    {"group", "{\"/seconding_units\": [\"甲公司\", \"乙公司\"]}", "/seconding_units"},
    {"group", "{\"/seconding_units\": [\"甲公司\", \"乙公司\", \"甲公司\"]}",
     "/seconding_units /seconding_units/2"},
    {"group",
     "{\"/seconding_units\": [\"甲公司\", \"上海云岫人工智能有限公司\", \"乙公司\"]}",
     "/seconding_units /seconding_units/1"},
    {"group", "{\"/seconding_units\": [\"甲公司\", \"乙公司\", \"丙公司\", \"乙公司\"]}",
     "/seconding_units/3"},
    {"group", "{\"/seconding_units\": [\"甲公司\", \"乙公司\", \" 甲公司 \"]}",
     "/seconding_units"},
    /* adoption */
    {"group", "{\"/adoption\": {\"degree\": \"ISO\"}}",
     "/adoption/degree /adoption/number /adoption/title_zh"},
    {"group",
     "{\"/adoption\": {\"number\": \"ISO/IEC 22989:2022\", \"title_zh\": \"术语\"}}",
     "/adoption/degree"},
    {"group",
     "{\"/adoption\": {\"degree\": \"MOD\", \"number\": \"ISO 1\", \"year\": 2020,"
     " \"title_en\": \"x\"}}",
     "/adoption/year"},
    /* several problems at once, across the form */
    {"group",
     "{\"/title\": \"\", \"/contact/email\": \"nope\", \"/ics\": \"x\", \"/kind\": "
     "\"revision\","
     " \"/seconding_units\": [\"甲\"], \"/planned_end\": \"2020-01-01\", \"/extra\": 1}",
     "/contact/email /extra /ics /planned_end /replaces /seconding_units /title"},
};

static void run_vcase(size_t i, const struct vcase *c, const struct prop_rules *rules)
{
    json_t *doc = load_example(c->base);
    json_error_t e;
    json_t *edits = json_loads(c->edits, JSON_ALLOW_NUL, &e);
    cr_assert_not_null(edits, "case %zu: %s", i, e.text);
    const char *ptr;
    json_t *value;
    json_object_foreach(edits, ptr, value)
    {
        bool del =
            json_is_string(value) && strcmp(json_string_value(value), "<del>") == 0;
        patch(doc, ptr, del ? NULL : json_incref(value));
    }
    json_t *problems = json_array();
    int rc = prop_submission_validate(doc, rules, problems);
    char *got = pointers_of(problems);
    cr_expect_str_eq(got, c->want, "case %zu (%s %s): got [%s] %s", i, c->base, c->edits,
                     got, json_dumps(problems, JSON_COMPACT));
    cr_expect_eq(rc, c->want[0] ? STDTAX_EINVAL : 0, "case %zu rc %d", i, rc);
    free(got);
    json_decref(problems);
    json_decref(edits);
    json_decref(doc);
}

Test(validate, table_of_submissions)
{
    struct prop_rules rules;
    rules_2023(&rules);
    for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++)
        run_vcase(i, &vcases[i], &rules);
}

/* Telephone numbers as written on the forms, and their stored form (E.164 with an
 * RFC 3966 extension for Chinese numbers with an area code and mobiles). */
Test(phone, normalised_as_people_write_them)
{
    static const struct {
        const char *written, *stored;
    } cases[] = {
        {"13301889128", "+8613301889128"},
        {"138 0013 8000", "+8613800138000"},
        {"+86 138-0013-8000", "+8613800138000"},
        {"021-12345678", "+862112345678"},
        {"(021) 1234-5678", "+862112345678"},
        {"+86 21 6123 4567", "+862161234567"},
        {"+86 (0)21 6123 4567", "+862161234567"},
        {"0086-21-61234567", "+862161234567"},
        {"021-5080 1234 转 806", "+862150801234;ext=806"},
        {"021-50801234转806", "+862150801234;ext=806"},
        {"(021) 5080-1234 ext. 806", "+862150801234;ext=806"},
        {"021-50801234 EXT 806", "+862150801234;ext=806"},
        {"021-50801234x806", "+862150801234;ext=806"},
        {"021-50801234-806", "+862150801234;ext=806"},
        {"021-5080-1234", "+862150801234"}, /* the last group is the number's own */
        {"0571-8765 4321 分机 12", "+8657187654321;ext=12"},
        {"＋８６ １３８ ００１３ ８０００", "+8613800138000"},
        {"（０２１）６１２３４５６７转８０６", "+862161234567;ext=806"},
        {"０２１－６１２３　４５６７", "+862161234567"},
        {"5080 1234", "50801234"}, /* no area code: digits as written */
        {"+44 20 7946 0958", "+442079460958"},
        {"+862150801234;ext=806", "+862150801234;ext=806"}, /* the stored form reads */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        const char *w = cases[i].written;
        cr_expect_eq(prop_phone_check(w, strlen(w)), MSG_NONE, "%s", w);
        cr_expect_eq(prop_phone_normalise(w, strlen(w), out, sizeof out), 0, "%s", w);
        cr_expect_str_eq(out, cases[i].stored, "%s", w);
    }
    static const struct {
        const char *written;
        enum msg_id rule;
    } bad[] = {
        {"123456", MSG_PHONE_DIGITS},
        {"021-5080 1234 转", MSG_PHONE_EXTENSION},
        {"021-5080 1234 转 806 楼", MSG_PHONE_EXTENSION},
        {"电话 021-50801234", MSG_PHONE_CHAR},
        {"021/50801234", MSG_PHONE_CHAR},
        {"86+21 12345678", MSG_PHONE_PLUS},
        {"((021)) 12345678", MSG_PHONE_PARENS},
        {"(021 12345678", MSG_PHONE_PARENS},
        {"021-50801234 转 123456789", MSG_PHONE_EXTENSION},
        {"123456789012345678901", MSG_PHONE_DIGITS},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[64];
        const char *w = bad[i].written;
        cr_expect_eq(prop_phone_check(w, strlen(w)), bad[i].rule, "%s: %d", w,
                     prop_phone_check(w, strlen(w)));
        cr_expect_eq(prop_phone_normalise(w, strlen(w), out, sizeof out), STDTAX_EINVAL);
    }
}

Test(validate, bad_emails_and_phones)
{
    static const char *const emails[] = {"a@b",
                                         "no-at.example.com",
                                         "a@@example.com",
                                         ".a@example.com",
                                         "a.@example.com",
                                         "a b@example.com",
                                         "a@example.c0m",
                                         "a@-example.com",
                                         "a@example-.com",
                                         "@example.com",
                                         "a@example..com",
                                         "a@.example.com",
                                         "张@example.com",
                                         "a@例子.中国"};
    static const char *const phones[] = {"123456",
                                         "021-1234567x",
                                         "86+21 12345678",
                                         "((021)) 12345678",
                                         "(021 12345678",
                                         "021) 1234567",
                                         "123456789012345678901",
                                         "电话13301889128",
                                         "+"};
    struct prop_rules rules;
    rules_2023(&rules);
    for (size_t i = 0; i < sizeof emails / sizeof emails[0]; i++) {
        json_t *doc = load_example("local"), *problems = json_array();
        patch(doc, "/contact/email", json_string(emails[i]));
        cr_expect_eq(prop_submission_validate(doc, &rules, problems), STDTAX_EINVAL, "%s",
                     emails[i]);
        char *got = pointers_of(problems);
        cr_expect_str_eq(got, "/contact/email", "%s", emails[i]);
        free(got);
        json_decref(problems);
        json_decref(doc);
    }
    for (size_t i = 0; i < sizeof phones / sizeof phones[0]; i++) {
        json_t *doc = load_example("group"), *problems = json_array();
        patch(doc, "/contact/phone", json_string(phones[i]));
        cr_expect_eq(prop_submission_validate(doc, &rules, problems), STDTAX_EINVAL, "%s",
                     phones[i]);
        char *got = pointers_of(problems);
        cr_expect_str_eq(got, "/contact/phone", "%s", phones[i]);
        free(got);
        json_decref(problems);
        json_decref(doc);
    }
}

Test(validate, lengths_in_characters_and_bytes)
{
    struct prop_rules rules;
    rules_2023(&rules);
    /* 200 Chinese characters (600 bytes) fit the title; 201 do not. */
    char title[1024] = "";
    for (int i = 0; i < 200; i++)
        strcat(title, "标");
    json_t *doc = load_example("local"), *problems = json_array();
    patch(doc, "/title", json_string(title));
    cr_expect_eq(prop_submission_validate(doc, &rules, problems), 0);
    strcat(title, "标");
    patch(doc, "/title", json_string(title));
    cr_expect_eq(prop_submission_validate(doc, &rules, problems), STDTAX_EINVAL);
    cr_expect(
        strstr(json_string_value(json_object_get(json_array_get(problems, 0), "detail")),
               "characters"));
    /* 160 four-byte characters: few enough characters, too many bytes. */
    char emoji[1024] = "";
    for (int i = 0; i < 160; i++)
        strcat(emoji, "\xF0\x9F\x98\x80");
    json_array_clear(problems);
    patch(doc, "/title", json_string(emoji));
    cr_expect_eq(prop_submission_validate(doc, &rules, problems), STDTAX_EINVAL);
    cr_expect(
        strstr(json_string_value(json_object_get(json_array_get(problems, 0), "detail")),
               "bytes"));
    /* A string built without jansson's UTF-8 check is caught too. */
    json_array_clear(problems);
    patch(doc, "/title", json_string_nocheck("bad \xC3\x28 utf8"));
    cr_expect_eq(prop_submission_validate(doc, &rules, problems), STDTAX_EINVAL);
    char *got = pointers_of(problems);
    cr_expect_str_eq(got, "/title");
    free(got);
    json_decref(problems);
    json_decref(doc);
}

Test(validate, not_an_object_and_problem_cap)
{
    struct prop_rules rules;
    rules_2023(&rules);
    json_t *problems = json_array();
    json_t *arr = json_array();
    cr_expect_eq(prop_submission_validate(arr, &rules, problems), STDTAX_EINVAL);
    char *got = pointers_of(problems);
    cr_expect_str_eq(got, "(root)");
    free(got);
    json_decref(arr);

    json_array_clear(problems);
    json_t *doc = load_example("local");
    for (int i = 0; i < 300; i++) {
        char key[16];
        snprintf(key, sizeof key, "junk%d", i);
        json_object_set_new(doc, key, json_true());
    }
    cr_expect_eq(prop_submission_validate(doc, &rules, problems), STDTAX_EINVAL);
    cr_expect_eq(json_array_size(problems), PROP_PROBLEMS_MAX + 1);
    json_decref(doc);
    json_decref(problems);
}

Test(validate, pointer_escapes_hostile_keys)
{
    json_t *doc = load_example("group"), *problems = json_array();
    json_object_set_new(doc, "a/b~c", json_true());
    char longkey[400];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    json_object_set_new(doc, longkey, json_true());
    cr_expect_eq(prop_submission_validate(doc, NULL, problems), STDTAX_EINVAL);
    cr_assert_eq(json_array_size(problems), 2);
    bool seen_escaped = false;
    for (size_t i = 0; i < 2; i++) {
        const char *p =
            json_string_value(json_object_get(json_array_get(problems, i), "pointer"));
        if (strcmp(p, "/a~1b~0c") == 0)
            seen_escaped = true;
        else
            cr_expect_lt(strlen(p), 160);
    }
    cr_expect(seen_escaped);
    json_decref(problems);
    json_decref(doc);
}

Test(validate, rules_null_skips_known_call_check)
{
    json_t *doc = load_example("local"), *problems = json_array();
    patch(doc, "/call", json_string("2031"));
    cr_expect_eq(prop_submission_validate(doc, NULL, problems), 0);
    struct prop_rules empty = {.ncalls = 0};
    cr_expect_eq(prop_submission_validate(doc, &empty, problems), STDTAX_EINVAL);
    json_decref(problems);
    json_decref(doc);
}

/* ------------------------------------------------------------------------------------
 * The field table
 * ---------------------------------------------------------------------------------- */

Test(schema, field_table_is_consistent)
{
    size_t n = 0;
    for (const struct prop_field *f = prop_fields(); f->name; f++, n++) {
        cr_expect_not_null(f->label, "%s", f->name);
        cr_expect_not_null(f->doc, "%s", f->name);
        cr_expect_eq(f->required & ~f->tracks, 0u, "%s required where absent", f->name);
        cr_expect(f->tracks != 0, "%s", f->name);
        if (f->type == PROP_T_ENUM)
            cr_expect_not_null(f->values, "%s", f->name);
        if (f->type == PROP_T_OBJECT)
            cr_expect_not_null(f->members, "%s", f->name);
        if (f->type == PROP_T_STRING || f->type == PROP_T_TEXT ||
            f->type == PROP_T_STRINGS)
            cr_expect(f->max_chars > 0 && f->max_bytes >= f->max_chars, "%s", f->name);
        cr_expect_eq(prop_field_find(f->name), f);
    }
    cr_expect_geq(n, 25);
    cr_expect_null(prop_field_find("nope"));
}

Test(schema, csv_columns_are_unique)
{
    size_t n = prop_csv_column_count();
    cr_assert_gt(n, 30);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            cr_expect_str_neq(prop_csv_column_label(i), prop_csv_column_label(k));
            cr_expect_str_neq(prop_csv_column_name(i), prop_csv_column_name(k));
            cr_expect_str_neq(prop_csv_column_label(i), prop_csv_column_name(k));
        }
    cr_expect_str_eq(prop_csv_column_label(0), "编号");
    cr_expect_null(prop_csv_column_label(n));
}

/* Every name a CSV header may use (label, English name, form labels) means one column. */
Test(schema, csv_aliases_are_unambiguous)
{
    const char *names[256];
    const void *owner[256];
    size_t n = 0;
    for (const struct prop_field *f = prop_fields(); f->name; f++) {
        const struct prop_field *list = f->type == PROP_T_OBJECT ? f->members : f;
        for (const struct prop_field *x = list; x->name; x++) {
            const char *alias[] = {x->label,
                                   f->type == PROP_T_OBJECT ? x->csv_name : x->name,
                                   x->form_local, x->form_group};
            for (size_t k = 0; k < 4; k++) {
                if (!alias[k])
                    continue;
                for (size_t i = 0; i < n; i++)
                    if (strcmp(names[i], alias[k]) == 0)
                        cr_expect_eq(owner[i], x, "%s names two columns", alias[k]);
                cr_assert_lt(n, 256);
                names[n] = alias[k];
                owner[n++] = x;
            }
            if (f->type != PROP_T_OBJECT)
                break;
        }
    }
}

/* doc/proposals.md documents every field of the table. */
Test(schema, documented)
{
    char path[512];
    snprintf(path, sizeof path, "%s/doc/proposals.md", STDTAX_SRCDIR);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "%s", path);
    static char doc[200000];
    size_t len = fread(doc, 1, sizeof doc - 1, fp);
    fclose(fp);
    doc[len] = '\0';
    for (const struct prop_field *f = prop_fields(); f->name; f++) {
        char row[160];
        snprintf(row, sizeof row, "| `%s` | %s |", f->name, f->label);
        cr_expect_not_null(strstr(doc, row), "doc/proposals.md lacks %s", row);
        for (const struct prop_field *m = f->members; m && m->name; m++) {
            snprintf(row, sizeof row, "| `%s` | %s |", m->csv_name, m->label);
            cr_expect_not_null(strstr(doc, row), "doc/proposals.md lacks %s", row);
        }
    }
    for (int st = 0; st < PROP_ST_COUNT; st++)
        cr_expect_not_null(strstr(doc, prop_status_code(st)));
}

Test(schema, tracks_and_statuses)
{
    cr_expect_eq(prop_track_parse("local"), PROP_TRACK_LOCAL);
    cr_expect_eq(prop_track_parse("团标"), PROP_TRACK_GROUP);
    cr_expect_eq(prop_track_parse("团体标准"), PROP_TRACK_GROUP);
    cr_expect_eq(prop_track_parse("national"), -1);
    cr_expect_str_eq(prop_track_suffix(PROP_TRACK_LOCAL), "地标");
    cr_expect_null(prop_track_code(PROP_TRACK_COUNT));
    cr_expect_eq(prop_status_parse("under-review"), PROP_ST_UNDER_REVIEW);
    cr_expect_eq(prop_status_parse("已撤回"), PROP_ST_WITHDRAWN);
    cr_expect_eq(prop_status_parse("done"), -1);
    cr_expect(prop_status_transition_allowed(PROP_ST_SUBMITTED, PROP_ST_UNDER_REVIEW));
    cr_expect(
        prop_status_transition_allowed(PROP_ST_UNDER_REVIEW, PROP_ST_RECOMMENDED_GROUP));
    cr_expect(prop_status_transition_allowed(PROP_ST_WITHDRAWN, PROP_ST_SUBMITTED));
    cr_expect_not(
        prop_status_transition_allowed(PROP_ST_WITHDRAWN, PROP_ST_RECOMMENDED_LOCAL));
    cr_expect_not(
        prop_status_transition_allowed(PROP_ST_REJECTED, PROP_ST_RECOMMENDED_LOCAL));
    cr_expect_not(
        prop_status_transition_allowed(PROP_ST_UNDER_REVIEW, PROP_ST_SUBMITTED));
    cr_expect_not(prop_status_transition_allowed(PROP_ST_COUNT, PROP_ST_SUBMITTED));
}

/* ------------------------------------------------------------------------------------
 * Deadlines
 * ---------------------------------------------------------------------------------- */

Test(deadline, per_track_and_secretariat)
{
    struct prop_rules rules;
    rules_2023(&rules);
    bool late = true;
    time_t local_dl = utc(2023, 9, 12, 15, 59, 59);
    cr_expect_eq(
        prop_deadline_check(&rules, "2023", "local", local_dl - 86400, false, &late), 0);
    cr_expect_not(late);
    cr_expect_eq(prop_deadline_check(&rules, "2023", "local", local_dl, false, &late), 0);
    cr_expect_not(late);
    cr_expect_eq(prop_deadline_check(&rules, "2023", "local", local_dl + 1, false, &late),
                 STDTAX_ELATE);
    cr_expect_not(late);
    cr_expect_eq(prop_deadline_check(&rules, "2023", "local", local_dl + 1, true, &late),
                 0);
    cr_expect(late);
    /* After the local deadline the group track is still open. */
    cr_expect_eq(prop_deadline_check(&rules, "2023", "group", local_dl + 1, false, &late),
                 0);
    cr_expect_not(late);
    cr_expect_eq(prop_deadline_check(&rules, "2023", "group", utc(2023, 11, 1, 0, 0, 0),
                                     false, &late),
                 STDTAX_ELATE);
    cr_expect_eq(prop_deadline_check(&rules, "2024", "group", 0, false, &late),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_deadline_check(&rules, "2023", "national", 0, false, &late),
                 STDTAX_EINVAL);
}

Test(deadline, zero_means_open_and_rules_table)
{
    struct prop_rules rules = {.ncalls = 0};
    struct stdtax_error err;
    cr_assert_eq(prop_rules_call_add(&rules, "2024-spring", 0, 1000, &err), 0);
    bool late;
    cr_expect_eq(
        prop_deadline_check(&rules, "2024-spring", "local", 2000000000, false, &late), 0);
    cr_expect_eq(prop_deadline_check(&rules, "2024-spring", "group", 1001, false, &late),
                 STDTAX_ELATE);
    cr_expect_eq(prop_rules_call_add(&rules, "2024-spring", 0, 0, &err),
                 STDTAX_ECONFLICT);
    cr_expect_eq(prop_rules_call_add(&rules, "bad id", 0, 0, &err), STDTAX_EINVAL);
    cr_expect_eq(prop_rules_call_add(&rules, "", 0, 0, &err), STDTAX_EINVAL);
    for (int i = 1; i < PROP_CALLS_MAX; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        cr_expect_eq(prop_rules_call_add(&rules, id, 0, 0, &err), 0);
    }
    cr_expect_eq(prop_rules_call_add(&rules, "one-more", 0, 0, &err), STDTAX_ETOOBIG);
}

/* ------------------------------------------------------------------------------------
 * Export name and records
 * ---------------------------------------------------------------------------------- */

Test(record, export_name)
{
    char name[PROP_EXPORT_NAME_MAX + 1];
    json_t *doc = load_example("local");
    cr_assert_eq(prop_export_name(doc, name, sizeof name), 0);
    cr_expect_str_eq(
        name, "上海浦江智算科技有限公司-人工智能 大模型 训练数据质量评价规范-地标");

    patch(doc, "/organisation", json_string(" .上海/某\\公司: \"A*B\" "));
    patch(doc, "/title", json_string("标准<名>?|\n\t尾\n"));
    patch(doc, "/track", json_string("group"));
    cr_assert_eq(prop_export_name(doc, name, sizeof name), 0);
    cr_expect_str_eq(name, "_上海_某_公司_ _A_B_-标准_名_____尾-团标");

    char longtitle[3000] = "";
    for (int i = 0; i < 300; i++)
        strcat(longtitle, "长");
    patch(doc, "/title", json_string(longtitle));
    patch(doc, "/organisation", json_string(longtitle));
    cr_assert_eq(prop_export_name(doc, name, sizeof name), 0);
    size_t len = strlen(name);
    cr_expect_leq(len, PROP_EXPORT_NAME_MAX);
    cr_expect_gt(len, PROP_EXPORT_NAME_MAX - 6);
    cr_expect_str_eq(name + len - strlen("-团标"), "-团标");
    json_t *check = json_string(name); /* NULL when not valid UTF-8 */
    cr_expect_not_null(check, "export name must stay valid UTF-8");
    json_decref(check);

    json_object_del(doc, "organisation");
    cr_expect_eq(prop_export_name(doc, name, sizeof name), STDTAX_EINVAL);
    json_decref(doc);
}

static json_t *classification_example(void)
{
    return json_pack("{s:{s:s,s:{s:s,s:s}}, s:{s:s}, s:f, s:[{s:s},s], s:s, s:s, s:[]}",
                     "category", "code", "core", "labels", "zh", "关键通用技术", "en",
                     "Key", "subcategory", "code", "core.foundation-models", "confidence",
                     0.82, "priority_topics", "code", "foundation-models", "trustworthy",
                     "taxonomy_version", "2023.1", "model_version", "kw-1", "evidence");
}

Test(record, build_holds_submission_and_server_fields)
{
    json_t *doc = load_example("local"), *cl = classification_example(), *rec;
    json_object_set_new(doc, "ip_notes", json_null());
    json_object_set_new(doc, "replaces", json_string(""));
    struct stdtax_error err;
    time_t t = utc(2023, 9, 1, 8, 30, 0);
    cr_assert_eq(prop_record_build(doc, cl, t, false, &rec, &err), 0, "%s", err.text);

    /* The paths the store reads. */
    cr_expect_null(json_object_get(rec, "id"));
    cr_expect_str_eq(json_string_value(json_object_get(rec, "call")), "2023");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "track")), "local");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status")), "submitted");
    json_t *c = json_object_get(rec, "classification");
    cr_expect_str_eq(json_string_value(json_object_get(c, "category")), "core");
    cr_expect_str_eq(json_string_value(json_object_get(c, "subcategory")),
                     "core.foundation-models");
    cr_expect_str_eq(json_string_value(json_object_get(c, "source")), "classifier");
    cr_expect_str_eq(json_string_value(json_object_get(c, "taxonomy_version")), "2023.1");
    cr_expect_str_eq(json_string_value(json_object_get(c, "model_version")), "kw-1");
    cr_expect_float_eq(json_real_value(json_object_get(c, "confidence")), 0.82, 1e-9);
    cr_expect(json_equal(json_object_get(c, "suggested"), cl));
    json_t *topics = json_object_get(rec, "priority_topics");
    cr_assert_eq(json_array_size(topics), 2);
    cr_expect_str_eq(json_string_value(json_array_get(topics, 0)), "foundation-models");
    cr_expect_str_eq(json_string_value(json_array_get(topics, 1)), "trustworthy");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "received")),
                     "2023-09-01T08:30:00Z");
    cr_expect(json_is_false(json_object_get(rec, "late")));
    cr_expect_str_eq(
        json_string_value(json_object_get(rec, "export_name")),
        "上海浦江智算科技有限公司-人工智能 大模型 训练数据质量评价规范-地标");
    /* Submitted fields at top level; nulls and blanks dropped; the phone numbers
     * normalised, as written beside. */
    json_t *contact = json_object_get(rec, "contact");
    cr_expect_str_eq(json_string_value(json_object_get(contact, "phone")),
                     "+862150801234");
    cr_expect_str_eq(
        json_string_value(json_object_get(contact, "phone_as_written")),
        json_string_value(json_object_get(json_object_get(doc, "contact"), "phone")));
    cr_expect(json_equal(json_object_get(contact, "email"),
                         json_object_get(json_object_get(doc, "contact"), "email")));
    cr_expect_null(json_object_get(rec, "ip_notes"));
    cr_expect_null(json_object_get(rec, "replaces"));
    /* The record is a copy: the submission is unchanged. */
    cr_expect_not_null(json_object_get(doc, "ip_notes"));
    cr_expect_null(json_object_get(doc, "status"));
    json_decref(rec);

    /* Without a classification the category is null; a late admin submission. */
    cr_assert_eq(prop_record_build(doc, NULL, t, true, &rec, &err), 0);
    cr_expect(json_is_null(
        json_object_get(json_object_get(rec, "classification"), "category")));
    cr_expect(json_is_true(json_object_get(rec, "late")));
    cr_expect_eq(json_array_size(json_object_get(rec, "priority_topics")), 0);
    json_decref(rec);

    json_t *bad = json_pack("{s:f}", "confidence", 0.5);
    cr_expect_eq(prop_record_build(doc, bad, t, false, &rec, &err), STDTAX_EINVAL);
    cr_expect_null(rec);
    json_decref(bad);
    json_decref(cl);
    json_decref(doc);
}

Test(record, reclassify_keeps_suggestion)
{
    json_t *doc = load_example("group"), *cl = classification_example(), *rec;
    struct stdtax_error err;
    cr_assert_eq(prop_record_build(doc, cl, 1700000000, false, &rec, &err), 0);
    json_t *topics = json_pack("[s]", "genai-safety");
    cr_assert_eq(prop_record_reclassify(rec, "safety", "safety.data-algorithm-model",
                                        topics, "陈曦", utc(2023, 11, 2, 1, 0, 0), &err),
                 0, "%s", err.text);
    json_t *c = json_object_get(rec, "classification");
    cr_expect_str_eq(json_string_value(json_object_get(c, "category")), "safety");
    cr_expect_str_eq(json_string_value(json_object_get(c, "subcategory")),
                     "safety.data-algorithm-model");
    cr_expect_str_eq(json_string_value(json_object_get(c, "source")), "secretariat");
    cr_expect_str_eq(json_string_value(json_object_get(c, "set_by")), "陈曦");
    cr_expect_str_eq(json_string_value(json_object_get(c, "set_at")),
                     "2023-11-02T01:00:00Z");
    cr_expect(json_is_null(json_object_get(c, "confidence")));
    cr_expect(json_equal(json_object_get(c, "suggested"), cl));
    cr_expect(json_equal(json_object_get(rec, "priority_topics"), topics));

    cr_assert_eq(prop_record_reclassify(rec, "other", NULL, NULL, "admin", 0, &err), 0);
    cr_expect(json_is_null(json_object_get(c, "subcategory")));
    cr_expect(json_equal(json_object_get(rec, "priority_topics"), topics));

    cr_expect_eq(prop_record_reclassify(rec, "safety", "core.ml", NULL, "a", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_reclassify(rec, "safety", "safety", NULL, "a", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_reclassify(rec, "safety", "safety.", NULL, "a", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_reclassify(rec, "core.ml", NULL, NULL, "a", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_reclassify(rec, "Core", NULL, NULL, "a", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_reclassify(rec, "core", NULL, NULL, "", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_reclassify(rec, "core", NULL, NULL, "a\nb", 0, &err),
                 STDTAX_EINVAL);
    cr_expect_str_eq(json_string_value(json_object_get(c, "category")), "other");
    json_decref(topics);
    json_decref(rec);
    json_decref(cl);
    json_decref(doc);
}

Test(record, status_transitions)
{
    json_t *doc = load_example("group"), *rec;
    struct stdtax_error err;
    cr_assert_eq(prop_record_build(doc, NULL, 1700000000, false, &rec, &err), 0);
    cr_expect_eq(prop_record_set_status(rec, "submitted", "admin", 1, &err), 0);
    cr_expect_null(json_object_get(rec, "status_set_by")); /* no-op */
    cr_expect_eq(prop_record_set_status(rec, "under-review", "admin", 1700000100, &err),
                 0);
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status")), "under-review");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status_set_by")), "admin");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status_set_at")),
                     "2023-11-14T22:15:00Z");
    cr_expect_eq(prop_record_set_status(rec, "submitted", "admin", 1, &err),
                 STDTAX_ECONFLICT);
    cr_expect_eq(prop_record_set_status(rec, "推荐团标", "admin", 1, &err), 0);
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status")),
                     "recommended-group");
    cr_expect_eq(prop_record_set_status(rec, "withdrawn", "admin", 1, &err), 0);
    cr_expect_eq(prop_record_set_status(rec, "rejected", "admin", 1, &err),
                 STDTAX_ECONFLICT);
    cr_expect_str_eq(err.field, "/status");
    cr_expect_eq(prop_record_set_status(rec, "finished", "admin", 1, &err),
                 STDTAX_EINVAL);
    cr_expect_eq(prop_record_set_status(rec, "submitted", NULL, 1, &err), STDTAX_EINVAL);
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status")), "withdrawn");
    json_decref(rec);
    json_decref(doc);
}

/* ------------------------------------------------------------------------------------
 * CSV export and import
 * ---------------------------------------------------------------------------------- */

/* Exports records and reads the result back with the CSV reader into submissions. */
static json_t *csv_round_trip(json_t *const *records, size_t n, json_t *problems)
{
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    cr_assert_eq(prop_csv_header(o), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(prop_record_to_csv_row(records[i], o), 0);
    fclose(o);
    cr_assert(memcmp(out, "\xEF\xBB\xBF", 3) == 0, "BOM first");
    cr_assert(strncmp(out + 3, "编号,", strlen("编号,")) == 0);

    FILE *in = fmemopen(out, len, "r");
    struct csv_reader *r = csv_reader_new(in, NULL);
    struct csv_row row;
    struct stdtax_error err;
    cr_assert_eq(csv_reader_next(r, &row, &err), 1);
    /* Keep a copy of the header: the reader's row is borrowed until the next call. */
    size_t hn = row.n;
    char **hcells = calloc(hn, sizeof *hcells);
    size_t *hlens = calloc(hn, sizeof *hlens);
    for (size_t i = 0; i < hn; i++) {
        hcells[i] = strdup(row.cells[i]);
        hlens[i] = row.lens[i];
    }
    struct csv_row header = {
        .n = hn, .cells = (const char *const *)hcells, .lens = hlens};
    json_t *subs = json_array();
    int rc;
    while ((rc = csv_reader_next(r, &row, &err)) == 1) {
        json_t *sub;
        cr_expect_eq(prop_csv_row_to_submission(&header, &row, &sub, problems), 0,
                     "line %lu: %s", row.line, json_dumps(problems, JSON_COMPACT));
        json_array_append_new(subs, sub);
    }
    cr_expect_eq(rc, 0, "%s %s", err.field, err.text);
    for (size_t i = 0; i < hn; i++)
        free(hcells[i]);
    free(hcells);
    free(hlens);
    csv_reader_free(r);
    fclose(in);
    free(out);
    return subs;
}

Test(csv_export, round_trip_both_examples)
{
    json_t *docs[2] = {load_example("local"), load_example("group")};
    /* Make it hard: quotes, commas, line breaks, formula starts, array separators. */
    patch(docs[0], "/title", json_string("=HYPERLINK(\"http://x\",\"点我\"), 第二部分"));
    patch(docs[0], "/scope", json_string("第一行\r\n第二行\n\"引用\", 逗号\n-减号开头"));
    patch(docs[1], "/organisation", json_string("@上海云岫人工智能有限公司"));
    patch(docs[1], "/contact/phone", json_string("+86 21 6123 4567"));
    json_t *recs[2], *cl = classification_example();
    struct stdtax_error err;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(prop_record_build(docs[i], cl, 1700000000, i == 1, &recs[i], &err),
                     0);
        json_object_set_new(recs[i], "id", json_string(i ? "p-2" : "p-1"));
    }
    json_t *problems = json_array();
    json_t *subs = csv_round_trip(recs, 2, problems);
    cr_assert_eq(json_array_size(subs), 2);
    struct prop_rules rules;
    rules_2023(&rules);
    for (int i = 0; i < 2; i++) {
        json_t *sub = json_array_get(subs, i);
        cr_expect(json_equal(sub, docs[i]), "record %d:\n%s\n%s", i,
                  json_dumps(sub, JSON_INDENT(1) | JSON_SORT_KEYS),
                  json_dumps(docs[i], JSON_INDENT(1) | JSON_SORT_KEYS));
        cr_expect_eq(prop_submission_validate(sub, &rules, problems), 0);
    }
    cr_expect_eq(json_array_size(problems), 0, "%s", json_dumps(problems, JSON_COMPACT));
    json_decref(problems);
    json_decref(subs);
    json_decref(cl);
    for (int i = 0; i < 2; i++) {
        json_decref(recs[i]);
        json_decref(docs[i]);
    }
}

Test(csv_export, exported_cells)
{
    json_t *doc = load_example("group"), *rec, *cl = classification_example();
    struct stdtax_error err;
    cr_assert_eq(prop_record_build(doc, cl, 1700000000, true, &rec, &err), 0);
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    cr_assert_eq(prop_record_to_csv_row(rec, o), 0);
    fclose(o);
    cr_expect(strstr(out, ",'+86 21 6123 4567,") != NULL, "%s", out);
    cr_expect(strstr(out, "上海澜海信息科技有限公司；上海星衡数据科技有限公司；上海明图机"
                          "器人有限公司") != NULL);
    cr_expect(strstr(out, ",core,core.foundation-models,classifier,0.82,") != NULL, "%s",
              out);
    cr_expect(strstr(out, ",true,") != NULL);
    cr_expect(strcmp(out + len - 2, "\r\n") == 0);
    cr_expect(strstr(out, "\r\n") == out + len - 2, "CRLF only at the end of the record");
    free(out);
    json_decref(rec);
    json_decref(cl);
    json_decref(doc);
}

static struct csv_row make_row(const char *const *cells, size_t n, size_t *lens)
{
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(cells[i]);
    return (struct csv_row){.n = n, .cells = cells, .lens = lens, .line = 2};
}

Test(csv_import, form_labels_english_names_and_chinese_values)
{
    const char *h[] = {"track",
                       "征集批次",
                       "建议项目名称（中文）",
                       "title_en",
                       "制定或修订",
                       "牵头单位",
                       "contact.name",
                       "电话",
                       "邮箱",
                       "ICS 分类号",
                       "中国标准分类号",
                       "计划开始日期",
                       "planned_end",
                       "目的、意义、必要性",
                       "范围和主要技术内容",
                       "国内外情况简要说明",
                       "附议单位",
                       "状态",
                       "分类"};
    const char *c[] = {"团标",
                       "2023",
                       "智能体 互操作 接口规范",
                       "Agents - Interoperability",
                       "制定",
                       "上海甲公司",
                       "张三",
                       "'+86 21 1234 5678",
                       "z@example.com",
                       "35.240",
                       "L70",
                       "2024-01-01",
                       "2024-12-31",
                       "目的",
                       "范围",
                       "情况",
                       "乙公司；丙公司; 丁公司 ；",
                       "rejected",
                       "core"};
    size_t n = sizeof h / sizeof h[0], hl[32], cl[32];
    struct csv_row header = make_row(h, n, hl), row = make_row(c, n, cl);
    json_t *problems = json_array(), *sub;
    cr_assert_eq(prop_csv_row_to_submission(&header, &row, &sub, problems), 0, "%s",
                 json_dumps(problems, JSON_COMPACT));
    cr_expect_str_eq(json_string_value(json_object_get(sub, "track")), "group");
    cr_expect_str_eq(json_string_value(json_object_get(sub, "kind")), "new");
    cr_expect_str_eq(json_string_value(json_object_get(sub, "organisation")),
                     "上海甲公司");
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(sub, "contact"), "phone")),
        "+86 21 1234 5678");
    json_t *units = json_object_get(sub, "seconding_units");
    cr_assert_eq(json_array_size(units), 3);
    cr_expect_str_eq(json_string_value(json_array_get(units, 2)), "丁公司");
    cr_expect_null(json_object_get(sub, "status"));
    cr_expect_null(json_object_get(sub, "classification"));
    struct prop_rules rules;
    rules_2023(&rules);
    cr_expect_eq(prop_submission_validate(sub, &rules, problems), 0, "%s",
                 json_dumps(problems, JSON_COMPACT));
    json_decref(sub);
    json_decref(problems);
}

Test(csv_import, reports_bad_columns_and_cells)
{
    const char *h[] = {"track",      "颜色",  "经费预算（万元）",
                       "制定或修订", "title", "项目名称（中文）"};
    const char *c[] = {"local", "红", "三十", "起草", "甲", "乙"};
    size_t hl[8], cl[8];
    struct csv_row header = make_row(h, 6, hl), row = make_row(c, 6, cl);
    json_t *problems = json_array(), *sub;
    cr_expect_eq(prop_csv_row_to_submission(&header, &row, &sub, problems),
                 STDTAX_EINVAL);
    char *got = pointers_of(problems);
    cr_expect_str_eq(got, "/budget/amount /kind /title /颜色");
    free(got);
    cr_expect_str_eq(json_string_value(json_object_get(sub, "title")), "甲");
    json_decref(sub);

    json_array_clear(problems);
    struct csv_row shortrow = make_row(c, 3, cl);
    cr_expect_eq(prop_csv_row_to_submission(&header, &shortrow, &sub, problems),
                 STDTAX_EINVAL);
    json_decref(sub);
    cr_expect(
        strstr(json_string_value(json_object_get(json_array_get(problems, 0), "detail")),
               "line 2 has 3 cells"));
    json_decref(problems);
}

/* 附件4 has one 联系方式 box: a spreadsheet that follows the form has one column for the
 * phone number, the e-mail address or both. */
Test(csv_import, contact_box_of_the_group_form)
{
    static const struct {
        const char *cell, *phone, *email;
    } cases[] = {
        {"021-5080 1234 转 806，zhou.ting@example.cn", "021-5080 1234 转 806",
         "zhou.ting@example.cn"},
        {"zhou.ting@example.cn; 138 0013 8000", "138 0013 8000", "zhou.ting@example.cn"},
        {"zhou.ting@example.cn", NULL, "zhou.ting@example.cn"},
        {"'+86 21 6123 4567", "+86 21 6123 4567", NULL}, /* the formula guard comes off */
        {"  ０２１－６１２３４５６７ ", "０２１－６１２３４５６７", NULL},
        {"", NULL, NULL},
    };
    const char *h[] = {"track", "项目联系人", "联系方式"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *c[] = {"团标", "周婷", cases[i].cell};
        size_t hl[3], cl[3];
        struct csv_row header = make_row(h, 3, hl), row = make_row(c, 3, cl);
        json_t *problems = json_array(), *sub;
        cr_expect_eq(prop_csv_row_to_submission(&header, &row, &sub, problems), 0,
                     "%s: %s", cases[i].cell, json_dumps(problems, 0));
        json_t *contact = json_object_get(sub, "contact");
        const char *phone = json_string_value(json_object_get(contact, "phone"));
        const char *email = json_string_value(json_object_get(contact, "email"));
        cr_expect_str_eq(json_string_value(json_object_get(contact, "name")), "周婷");
        cr_expect(cases[i].phone ? phone && strcmp(phone, cases[i].phone) == 0 : !phone,
                  "%s: phone %s", cases[i].cell, phone ? phone : "(none)");
        cr_expect(cases[i].email ? email && strcmp(email, cases[i].email) == 0 : !email,
                  "%s: e-mail %s", cases[i].cell, email ? email : "(none)");
        json_decref(sub);
        json_decref(problems);
    }
    /* The box and a column of its own for the same member: given twice. */
    const char *h2[] = {"联系方式", "邮箱"};
    const char *c2[] = {"zhou.ting@example.cn", "li@example.cn"};
    size_t hl[2], cl[2];
    struct csv_row header = make_row(h2, 2, hl), row = make_row(c2, 2, cl);
    json_t *problems = json_array(), *sub;
    cr_expect_eq(prop_csv_row_to_submission(&header, &row, &sub, problems),
                 STDTAX_EINVAL);
    char *got = pointers_of(problems);
    cr_expect_str_eq(got, "/contact/email");
    free(got);
    json_decref(sub);
    json_decref(problems);
}

Test(csv_import, numbers)
{
    const char *h[] = {"budget.amount"};
    const char *vals[] = {"30", "12.5", " 7 ", "1e2", "30万", "nan", "inf", "0x10"};
    const int ok[] = {1, 1, 1, 1, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        size_t hl[1], cl[1];
        const char *c[] = {vals[i]};
        struct csv_row header = make_row(h, 1, hl), row = make_row(c, 1, cl);
        json_t *problems = json_array(), *sub;
        int rc = prop_csv_row_to_submission(&header, &row, &sub, problems);
        cr_expect_eq(rc, ok[i] ? 0 : STDTAX_EINVAL, "%s", vals[i]);
        if (ok[i]) {
            json_t *a = json_object_get(json_object_get(sub, "budget"), "amount");
            cr_expect(json_is_number(a), "%s", vals[i]);
        }
        json_decref(sub);
        json_decref(problems);
    }
}
