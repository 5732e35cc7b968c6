#include "stdtax/proposal.h"
#include "stdtax/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------
 * Format checks used by the field table
 * ---------------------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

/* local@domain.tld, ASCII (an internationalised domain is written in its xn-- form). */
static const char *check_email(const char *s, size_t len)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '@')
            at = s + i;
    if (!at)
        return "is not an e-mail address (local@domain.tld)";
    size_t local = (size_t)(at - s), dlen = len - local - 1;
    const char *d = at + 1;
    if (local == 0 || local > 64)
        return "e-mail local part must have 1 to 64 characters";
    for (size_t i = 0; i < local; i++) {
        char c = s[i];
        if (!(is_alnum(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c)) || c == '\0')
            return "e-mail local part holds a character that is not allowed";
        if (c == '.' && (i == 0 || i + 1 == local || s[i + 1] == '.'))
            return "e-mail local part has a misplaced dot";
    }
    if (dlen < 4 || dlen > 253)
        return "e-mail domain must be a domain name like example.cn";
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= dlen; i++) {
        if (i < dlen && d[i] != '.') {
            if (!(is_alnum(d[i]) || d[i] == '-'))
                return "e-mail domain holds a character that is not allowed";
            continue;
        }
        size_t n = i - start;
        if (n == 0 || n > 63)
            return "e-mail domain has an empty or too long label";
        if (d[start] == '-' || d[i - 1] == '-')
            return "e-mail domain label starts or ends with '-'";
        labels++;
        if (i == dlen) {
            /* The top-level domain: letters, or an xn-- label. */
            bool ok = n >= 2;
            if (n > 4 && strncmp(d + start, "xn--", 4) == 0)
                ok = true;
            else
                for (size_t k = start; k < i && ok; k++)
                    ok = is_alpha(d[k]);
            if (!ok)
                return "e-mail domain must end in a top-level domain like .cn or .com";
        }
        start = i + 1;
    }
    if (labels < 2)
        return "e-mail domain must have a top-level domain (domain.tld)";
    return NULL;
}

/* 13301889128, 021-12345678, +86 21 1234 5678, (021) 1234-5678: digits with the usual
 * separators, a '+' only in front, 7 to 20 digits. */
static const char *check_phone(const char *s, size_t len)
{
    size_t digits = 0;
    int depth = 0;
    bool seen = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_digit(c)) {
            digits++;
        } else if (c == '+') {
            if (seen)
                return "phone number: '+' only in front";
        } else if (c == '(') {
            if (++depth > 1)
                return "phone number: nested parentheses";
        } else if (c == ')') {
            if (--depth < 0)
                return "phone number: unbalanced parentheses";
        } else if (c != '-' && c != ' ') {
            return "phone number may hold only digits, '+', '-', spaces and parentheses";
        }
        if (c != ' ')
            seen = true;
    }
    if (depth != 0)
        return "phone number: unbalanced parentheses";
    if (digits < 7 || digits > 20)
        return "phone number must have 7 to 20 digits";
    return NULL;
}

/* ICS (International Classification for Standards): NN, NN.NNN or NN.NNN.NN. */
static const char *check_ics(const char *s, size_t len)
{
    static const char *const shapes[] = {"99", "99.999", "99.999.99"};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        if (strlen(shapes[k]) != len)
            continue;
        bool ok = true;
        for (size_t i = 0; i < len && ok; i++)
            ok = shapes[k][i] == '9' ? is_digit(s[i]) : s[i] == '.';
        if (ok)
            return NULL;
    }
    return "ICS code must look like 35, 35.240 or 35.240.01";
}

/* CCS (中国标准文献分类法): one of the 24 first-level letters (A-Z without I and O) and
 * two digits, e.g. L70. */
static const char *check_ccs(const char *s, size_t len)
{
    if (len == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[0] != 'I' && s[0] != 'O' &&
        is_digit(s[1]) && is_digit(s[2]))
        return NULL;
    return "CCS code must be a class letter (A-Z without I and O) and two digits, e.g. "
           "L70";
}

static const char *check_call_id(const char *s, size_t len)
{
    if (len == 0 || len >= PROP_CALL_ID_MAX)
        return "call id must have 1 to 31 characters";
    for (size_t i = 0; i < len; i++)
        if (!(is_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return "call id may hold only ASCII letters, digits, '.', '_' and '-'";
    return NULL;
}

/* ------------------------------------------------------------------------------------
 * The schema: both forms in one table
 * ---------------------------------------------------------------------------------- */

static const struct prop_enum_value track_values[] = {
    {"local", "地标"}, {"group", "团标"}, {NULL, NULL}};
static const struct prop_enum_value kind_values[] = {
    {"new", "制定"}, {"revision", "修订"}, {NULL, NULL}};
static const struct prop_enum_value nature_values[] = {
    {"mandatory", "强制"}, {"recommended", "推荐"}, {NULL, NULL}};
static const struct prop_enum_value source_values[] = {
    {"local-funding", "地方拨款"}, {"self-funded", "自筹"}, {NULL, NULL}};
static const struct prop_enum_value degree_values[] = {
    {"IDT", "等同采用"}, {"MOD", "修改采用"}, {"NEQ", "非等效采用"}, {NULL, NULL}};

/* Shorthand for table rows: limits in characters and bytes. */
#define STR(chars, bytes) .max_chars = (chars), .max_bytes = (bytes)

static const struct prop_field contact_members[] = {
    {.name = "name",
     .label = "联系人",
     .form_local = "联系人",
     .form_group = "项目联系人",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(64, 192),
     .csv_name = "contact.name",
     .doc = "contact person"},
    {.name = "phone",
     .label = "电话",
     .form_local = "电话",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(32, 32),
     .check = check_phone,
     .csv_name = "contact.phone",
     .doc = "telephone number"},
    {.name = "email",
     .label = "邮箱",
     .form_local = "邮箱",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(254, 254),
     .check = check_email,
     .csv_name = "contact.email",
     .doc = "e-mail address"},
    {.name = "address",
     .label = "联系地址",
     .form_local = "联系地址",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_LOCAL,
     STR(200, 600),
     .csv_name = "contact.address",
     .doc = "postal address"},
    {.name = NULL},
};

/* The drafting unit's contact (附件3, block under 主要起草单位); its CSV labels must
 * differ from the proposing unit's contact. */
static const struct prop_field drafting_contact_members[] = {
    {.name = "name",
     .label = "起草单位联系人",
     .type = PROP_T_STRING,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     STR(64, 192),
     .csv_name = "drafting_contact.name",
     .doc = "contact person"},
    {.name = "phone",
     .label = "起草单位电话",
     .type = PROP_T_STRING,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     STR(32, 32),
     .check = check_phone,
     .csv_name = "drafting_contact.phone",
     .doc = "telephone number"},
    {.name = "email",
     .label = "起草单位邮箱",
     .type = PROP_T_STRING,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     STR(254, 254),
     .check = check_email,
     .csv_name = "drafting_contact.email",
     .doc = "e-mail address"},
    {.name = "address",
     .label = "起草单位联系地址",
     .type = PROP_T_STRING,
     .tracks = PROP_LOCAL,
     .required = 0,
     STR(200, 600),
     .csv_name = "drafting_contact.address",
     .doc = "postal address"},
    {.name = NULL},
};

static const struct prop_field budget_members[] = {
    {.name = "amount",
     .label = "经费预算（万元）",
     .form_local = "经费预算",
     .type = PROP_T_NUMBER,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     .min = 0,
     .max = 100000,
     .csv_name = "budget.amount",
     .doc = "budget in 万元 (10,000 CNY), 0 to 100000"},
    {.name = "source",
     .label = "经费来源",
     .form_local = "经费来源",
     .type = PROP_T_ENUM,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     .values = source_values,
     .csv_name = "budget.source",
     .doc = "local-funding (地方拨款) or self-funded (自筹)"},
    {.name = NULL},
};

static const struct prop_field adoption_members[] = {
    {.name = "degree",
     .label = "采用程度",
     .form_group = "采用程度",
     .type = PROP_T_ENUM,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     .values = degree_values,
     .csv_name = "adoption.degree",
     .doc = "IDT, MOD or NEQ"},
    {.name = "number",
     .label = "采标号",
     .form_group = "采标号",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(64, 128),
     .csv_name = "adoption.number",
     .doc = "number of the adopted standard, e.g. ISO/IEC 22989:2022"},
    {.name = "title_zh",
     .label = "国际标准名称（中文）",
     .form_group = "国际标准名称（中文）",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     STR(200, 600),
     .csv_name = "adoption.title_zh",
     .doc = "its Chinese title (this or title_en required)"},
    {.name = "title_en",
     .label = "国际标准名称（英文）",
     .form_group = "国际标准名称（英文）",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     STR(400, 1200),
     .csv_name = "adoption.title_en",
     .doc = "its English title (this or title_zh required)"},
    {.name = NULL},
};

static const struct prop_field fields[] = {
    {.name = "track",
     .label = "标准类型",
     .type = PROP_T_ENUM,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     .values = track_values,
     .doc = "local (附件3, 上海地方标准) or group (附件4, 团体标准)"},
    {.name = "call",
     .label = "征集批次",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(31, 31),
     .check = check_call_id,
     .doc = "the call, e.g. 2023; must be a call the daemon knows"},
    {.name = "title",
     .label = "项目名称（中文）",
     .form_local = "项目名称（中文）",
     .form_group = "建议项目名称（中文）",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(200, 600),
     .doc = "title in Chinese"},
    {.name = "title_en",
     .label = "项目名称（英文）",
     .form_local = "项目名称（英文）",
     .form_group = "建议项目名称（英文）",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(400, 1200),
     .doc = "title in English"},
    {.name = "kind",
     .label = "制定或修订",
     .form_local = "制定或修订",
     .form_group = "制定或修订",
     .type = PROP_T_ENUM,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     .values = kind_values,
     .doc = "new (制定) or revision (修订)"},
    {.name = "replaces",
     .label = "代替标准号/被修订标准号",
     .form_local = "代替标准号",
     .form_group = "被修订标准号",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     STR(64, 128),
     .doc = "number of the standard revised; required for a revision"},
    {.name = "nature",
     .label = "项目性质（强制或推荐）",
     .form_local = "项目性质（强制或推荐）",
     .type = PROP_T_ENUM,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     .values = nature_values,
     .doc = "mandatory (强制) or recommended (推荐)"},
    {.name = "organisation",
     .label = "项目提出单位/牵头单位",
     .form_local = "项目提出单位",
     .form_group = "牵头单位",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(200, 600),
     .doc = "proposing unit (local) / lead unit (group)"},
    {.name = "head_of_unit",
     .label = "单位负责人",
     .form_local = "单位负责人",
     .type = PROP_T_STRING,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     STR(64, 192),
     .doc = "head of the proposing unit"},
    {.name = "contact",
     .label = "联系人信息",
     .type = PROP_T_OBJECT,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     .members = contact_members,
     .doc = "contact of the proposing / lead unit {name, phone, email, address}"},
    {.name = "project_lead",
     .label = "项目负责人",
     .form_local = "项目负责人",
     .type = PROP_T_STRING,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     STR(64, 192),
     .doc = "project lead at the main drafting unit"},
    {.name = "drafting_contact",
     .label = "起草单位联系人信息",
     .type = PROP_T_OBJECT,
     .tracks = PROP_LOCAL,
     .members = drafting_contact_members,
     .doc = "contact of the main drafting unit {name, phone, email, address}"},
    {.name = "planned_start",
     .label = "计划开始日期",
     .type = PROP_T_DATE,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     .doc = "planned start (计划起止时间)"},
    {.name = "planned_end",
     .label = "计划完成日期",
     .type = PROP_T_DATE,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     .doc = "planned end (计划起止时间), after planned_start"},
    {.name = "purpose",
     .label = "目的、意义",
     .form_local = "目的、意义（标准制定的必要性）",
     .form_group = "目的、意义、必要性",
     .type = PROP_T_TEXT,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(5000, 15000),
     .doc = "purpose, significance and need"},
    {.name = "scope",
     .label = "范围和主要技术内容",
     .form_local = "范围和主要技术内容",
     .form_group = "范围和主要技术内容",
     .type = PROP_T_TEXT,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(5000, 15000),
     .doc = "scope and main technical content"},
    {.name = "product_catalogue",
     .label = "标准所涉及的产品目录",
     .form_local = "标准所涉及的产品目录",
     .type = PROP_T_TEXT,
     .tracks = PROP_LOCAL,
     STR(2000, 6000),
     .doc = "products covered; required for a mandatory standard"},
    {.name = "mandatory_reason",
     .label = "设置强制性条款的理由",
     .form_local = "设置强制性条款的理由",
     .type = PROP_T_TEXT,
     .tracks = PROP_LOCAL,
     STR(2000, 6000),
     .doc = "reason for mandatory clauses; required for a mandatory standard"},
    {.name = "situation",
     .label = "国内外情况简要说明",
     .form_local = "国内外情况简要说明",
     .form_group = "国内外情况简要说明",
     .type = PROP_T_TEXT,
     .tracks = PROP_BOTH,
     .required = PROP_BOTH,
     STR(5000, 15000),
     .doc = "domestic and international situation, related standards"},
    {.name = "ip_notes",
     .label = "知识产权情况",
     .type = PROP_T_TEXT,
     .tracks = PROP_BOTH,
     STR(2000, 6000),
     .doc = "known intellectual-property questions (附件4 item 4)"},
    {.name = "adoption",
     .label = "采用国际标准",
     .type = PROP_T_OBJECT,
     .tracks = PROP_BOTH,
     .members = adoption_members,
     .doc =
         "international / foreign standard adopted {degree, number, title_zh, title_en}"},
    {.name = "ics",
     .label = "ICS分类号",
     .form_group = "ICS 分类号",
     .type = PROP_T_STRING,
     .tracks = PROP_GROUP,
     .required = PROP_GROUP,
     STR(9, 9),
     .check = check_ics,
     .doc = "ICS code, e.g. 35.240"},
    {.name = "ccs",
     .label = "中国标准分类号",
     .form_group = "中国标准分类号",
     .type = PROP_T_STRING,
     .tracks = PROP_GROUP,
     .required = PROP_GROUP,
     STR(3, 3),
     .check = check_ccs,
     .doc = "CCS code, e.g. L70"},
    {.name = "drafting_organisations",
     .label = "主要起草单位",
     .form_local = "主要起草单位",
     .type = PROP_T_STRINGS,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     STR(200, 600),
     .max_items = 20,
     .doc = "main drafting units"},
    {.name = "participating_organisations",
     .label = "参加起草单位/参加单位",
     .form_local = "参加起草单位",
     .form_group = "参加单位",
     .type = PROP_T_STRINGS,
     .tracks = PROP_BOTH,
     STR(200, 600),
     .max_items = 100,
     .doc = "participating (drafting) units"},
    {.name = "seconding_units",
     .label = "附议单位",
     .form_group = "附议单位",
     .type = PROP_T_STRINGS,
     .tracks = PROP_GROUP,
     .required = PROP_GROUP,
     STR(200, 600),
     .max_items = 50,
     .doc = "seconding units: at least 3 distinct, not the lead unit"},
    {.name = "budget",
     .label = "经费",
     .type = PROP_T_OBJECT,
     .tracks = PROP_LOCAL,
     .required = PROP_LOCAL,
     .members = budget_members,
     .doc = "budget {amount, source}"},
    {.name = NULL},
};

const struct prop_field *prop_fields(void)
{
    return fields;
}

const struct prop_field *prop_field_find(const char *name)
{
    for (const struct prop_field *f = fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static const struct {
    const char *code, *suffix, *alias;
} tracks[PROP_TRACK_COUNT] = {
    [PROP_TRACK_LOCAL] = {"local", "地标", "地方标准"},
    [PROP_TRACK_GROUP] = {"group", "团标", "团体标准"},
};

int prop_track_parse(const char *s)
{
    if (!s)
        return -1;
    for (int t = 0; t < PROP_TRACK_COUNT; t++)
        if (strcmp(s, tracks[t].code) == 0 || strcmp(s, tracks[t].suffix) == 0 ||
            strcmp(s, tracks[t].alias) == 0)
            return t;
    return -1;
}

const char *prop_track_code(enum prop_track track)
{
    return (unsigned)track < PROP_TRACK_COUNT ? tracks[track].code : NULL;
}

const char *prop_track_suffix(enum prop_track track)
{
    return (unsigned)track < PROP_TRACK_COUNT ? tracks[track].suffix : NULL;
}

/* ------------------------------------------------------------------------------------
 * Status
 * ---------------------------------------------------------------------------------- */

static const struct {
    const char *code, *label;
    unsigned next; /* bit set of allowed targets */
} statuses[PROP_ST_COUNT] = {
#define ST(x) (1u << PROP_ST_##x)
    [PROP_ST_SUBMITTED] = {"submitted", "已提交",
                           ST(UNDER_REVIEW) | ST(RECOMMENDED_LOCAL) |
                               ST(RECOMMENDED_GROUP) | ST(REJECTED) | ST(WITHDRAWN)},
    [PROP_ST_UNDER_REVIEW] = {"under-review", "评审中",
                              ST(RECOMMENDED_LOCAL) | ST(RECOMMENDED_GROUP) |
                                  ST(REJECTED) | ST(WITHDRAWN)},
    [PROP_ST_RECOMMENDED_LOCAL] = {"recommended-local", "推荐地标",
                                   ST(UNDER_REVIEW) | ST(RECOMMENDED_GROUP) |
                                       ST(WITHDRAWN)},
    [PROP_ST_RECOMMENDED_GROUP] = {"recommended-group", "推荐团标",
                                   ST(UNDER_REVIEW) | ST(RECOMMENDED_LOCAL) |
                                       ST(WITHDRAWN)},
    [PROP_ST_REJECTED] = {"rejected", "未入选", ST(UNDER_REVIEW)},
    /* Withdrawal can be undone, in case the secretariat withdrew the wrong one. */
    [PROP_ST_WITHDRAWN] = {"withdrawn", "已撤回", ST(SUBMITTED)},
#undef ST
};

int prop_status_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < PROP_ST_COUNT; i++)
        if (strcmp(s, statuses[i].code) == 0 || strcmp(s, statuses[i].label) == 0)
            return i;
    return -1;
}

const char *prop_status_code(enum prop_status st)
{
    return (unsigned)st < PROP_ST_COUNT ? statuses[st].code : NULL;
}

const char *prop_status_label(enum prop_status st)
{
    return (unsigned)st < PROP_ST_COUNT ? statuses[st].label : NULL;
}

bool prop_status_transition_allowed(enum prop_status from, enum prop_status to)
{
    if ((unsigned)from >= PROP_ST_COUNT || (unsigned)to >= PROP_ST_COUNT)
        return false;
    return (statuses[from].next >> to) & 1u;
}

/* ------------------------------------------------------------------------------------
 * Text helpers
 * ---------------------------------------------------------------------------------- */

static bool is_space_cp(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 ||
           cp == 0x3000;
}

/* Checks text: valid UTF-8, no NUL or control characters (line breaks and tabs only in
 * multi-line text).  Counts characters and tells whether it is all white space.
 * Returns NULL or a static reason. */
static const char *text_scan(const char *s, size_t len, bool multiline, size_t *chars,
                             bool *blank)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;
    bool all_space = true;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_char_decode((const char *)u + i, len - i, &cp);
        if (k == 0)
            return "is not valid UTF-8";
        if (cp == 0)
            return "holds a NUL character";
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            if (!(multiline && (cp == '\n' || cp == '\r' || cp == '\t')))
                return multiline ? "holds a control character"
                                 : "holds a control character or line break";
        }
        if (!is_space_cp(cp))
            all_space = false;
        i += k;
        n++;
    }
    *chars = n;
    *blank = all_space;
    return NULL;
}

/* A value counts as given when it is not null, a blank string or an empty array: forms
 * leave unused boxes empty, and clients send them so. */
static bool given(const json_t *v)
{
    if (!v || json_is_null(v))
        return false;
    if (json_is_string(v)) {
        size_t chars;
        bool blank;
        if (text_scan(json_string_value(v), json_string_length(v), true, &chars, &blank))
            return true; /* not blank; the bad text is reported where it is checked */
        return !blank;
    }
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return true;
}

/* "YYYY-MM-DD", a real date in 1900..2199; returns yyyymmdd or -1. */
static long date_parse(const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(s[i]))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    if (d > max)
        return -1;
    return (long)y * 10000 + m * 100 + d;
}

/* ------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------- */

#define PTR_MAX 160

struct vctx {
    json_t *problems;
    size_t n;
    int rc; /* STDTAX_ENOMEM once adding failed */
};

static void problem(struct vctx *v, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct vctx *v, const char *ptr, const char *fmt, ...)
{
    if (v->rc != 0)
        return;
    if (v->n == PROP_PROBLEMS_MAX) {
        if (stdtax_problem_add(v->problems, "", "more than %d problems; list cut",
                               PROP_PROBLEMS_MAX) != 0)
            v->rc = STDTAX_ENOMEM;
        v->n++;
        return;
    }
    if (v->n > PROP_PROBLEMS_MAX)
        return;
    char text[STDTAX_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (stdtax_problem_add(v->problems, ptr, "%s", text) != 0)
        v->rc = STDTAX_ENOMEM;
    v->n++;
}

/* Appends "/token" to a JSON pointer (RFC 6901 escaping), cutting a hostile long key. */
static void ptr_join(char *out, const char *base, const char *token)
{
    size_t n = (size_t)snprintf(out, PTR_MAX, "%s/", base);
    for (const char *t = token; *t && n + 3 < PTR_MAX; t++) {
        if (*t == '~') {
            out[n++] = '~', out[n++] = '0';
        } else if (*t == '/') {
            out[n++] = '~', out[n++] = '1';
        } else {
            out[n++] = *t;
        }
    }
    /* Do not leave a cut UTF-8 sequence at the end. */
    while (n > 0 && (out[n - 1] & 0xC0) == 0x80) {
        size_t k = n - 1;
        while (k > 0 && (out[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        if (utf8_char_decode(out + k, n - k, &cp) == n - k)
            break;
        n = k;
    }
    if (n > 0 && (unsigned char)out[n - 1] >= 0xC0)
        n--;
    out[n] = '\0';
}

static const char *track_names(unsigned mask)
{
    return mask == PROP_LOCAL ? "local" : mask == PROP_GROUP ? "group" : "local or group";
}

/* Checks one string against the field's limits and format.  Returns true when good. */
static bool check_string(struct vctx *v, const struct prop_field *f, const json_t *value,
                         const char *ptr, bool multiline)
{
    if (!json_is_string(value)) {
        problem(v, ptr, "must be a string");
        return false;
    }
    const char *s = json_string_value(value);
    size_t len = json_string_length(value), chars;
    bool blank;
    const char *why = text_scan(s, len, multiline, &chars, &blank);
    if (why) {
        problem(v, ptr, "%s", why);
        return false;
    }
    if (blank) {
        problem(v, ptr, "must not be empty");
        return false;
    }
    if (f->max_chars && chars > f->max_chars) {
        problem(v, ptr, "too long: %zu characters, at most %zu", chars, f->max_chars);
        return false;
    }
    if (f->max_bytes && len > f->max_bytes) {
        problem(v, ptr, "too long: %zu bytes of UTF-8, at most %zu", len, f->max_bytes);
        return false;
    }
    if (f->check && (why = f->check(s, len)) != NULL) {
        problem(v, ptr, "%s", why);
        return false;
    }
    return true;
}

static bool validate_object(struct vctx *v, const struct prop_field *members,
                            const json_t *obj, const char *base, unsigned track_mask);

static bool validate_value(struct vctx *v, const struct prop_field *f,
                           const json_t *value, const char *ptr, unsigned track_mask)
{
    switch (f->type) {
    case PROP_T_STRING:
        return check_string(v, f, value, ptr, false);
    case PROP_T_TEXT:
        return check_string(v, f, value, ptr, true);
    case PROP_T_DATE:
        if (!json_is_string(value)) {
            problem(v, ptr, "must be a date string YYYY-MM-DD");
            return false;
        }
        if (date_parse(json_string_value(value), json_string_length(value)) < 0) {
            problem(v, ptr, "must be a real date written YYYY-MM-DD");
            return false;
        }
        return true;
    case PROP_T_ENUM: {
        if (json_is_string(value))
            for (const struct prop_enum_value *e = f->values; e->code; e++)
                if (strcmp(json_string_value(value), e->code) == 0)
                    return true;
        char list[160] = "";
        for (const struct prop_enum_value *e = f->values; e->code; e++) {
            size_t n = strlen(list);
            snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", e->code);
        }
        problem(v, ptr, "must be one of %s", list);
        return false;
    }
    case PROP_T_NUMBER: {
        if (!json_is_number(value)) {
            problem(v, ptr, "must be a number");
            return false;
        }
        double d = json_number_value(value);
        if (!(d >= f->min && d <= f->max)) {
            problem(v, ptr, "must be between %g and %g", f->min, f->max);
            return false;
        }
        return true;
    }
    case PROP_T_STRINGS: {
        if (!json_is_array(value)) {
            problem(v, ptr, "must be an array of strings");
            return false;
        }
        size_t n = json_array_size(value);
        if (n > f->max_items) {
            problem(v, ptr, "too many items: %zu, at most %zu", n, f->max_items);
            return false;
        }
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            char ip[PTR_MAX], idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            ptr_join(ip, ptr, idx);
            const json_t *item = json_array_get(value, i);
            if (!check_string(v, f, item, ip, false)) {
                ok = false;
                continue;
            }
            for (size_t k = 0; k < i; k++) {
                const json_t *prev = json_array_get(value, k);
                if (json_is_string(prev) && json_equal(prev, item)) {
                    problem(v, ip, "repeats item %zu", k);
                    ok = false;
                    break;
                }
            }
        }
        return ok;
    }
    case PROP_T_OBJECT:
        if (!json_is_object(value)) {
            problem(v, ptr, "must be an object");
            return false;
        }
        return validate_object(v, f->members, value, ptr, track_mask);
    }
    return false;
}

static bool validate_object(struct vctx *v, const struct prop_field *members,
                            const json_t *obj, const char *base, unsigned track_mask)
{
    bool ok = true;
    const char *key;
    json_t *value;
    char ptr[PTR_MAX];
    json_object_foreach((json_t *)obj, key, value)
    {
        const struct prop_field *f = members;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        ptr_join(ptr, base, key);
        if (!f->name) {
            problem(v, ptr, "unknown field");
            ok = false;
        } else if (!(f->tracks & track_mask)) {
            problem(v, ptr, "not part of the %s form", track_names(track_mask));
            ok = false;
        }
    }
    for (const struct prop_field *f = members; f->name; f++) {
        if (!(f->tracks & track_mask))
            continue;
        ptr_join(ptr, base, f->name);
        value = json_object_get(obj, f->name);
        if (given(value)) {
            if (!validate_value(v, f, value, ptr, track_mask))
                ok = false;
        } else if (f->required && (f->required & track_mask) == track_mask) {
            problem(v, ptr, "required");
            ok = false;
        }
    }
    return ok;
}

/* The value of a string member, or NULL when it is not a given string. */
static const char *str_of(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) && given(v) ? json_string_value(v) : NULL;
}

/* Text with surrounding white space removed, for comparing unit names. */
static void trimmed(const char *s, const char **start, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), b = 0, e = n;
    uint32_t cp;
    size_t k;
    while (b < e && (k = utf8_char_decode((const char *)u + b, e - b, &cp)) &&
           is_space_cp(cp))
        b += k;
    while (e > b) {
        size_t p = e - 1;
        while (p > b && (u[p] & 0xC0) == 0x80)
            p--;
        if (!(k = utf8_char_decode((const char *)u + p, e - p, &cp)) || !is_space_cp(cp))
            break;
        e = p;
    }
    *start = s + b;
    *len = e - b;
}

static bool same_name(const char *a, const char *b)
{
    const char *sa, *sb;
    size_t la, lb;
    trimmed(a, &sa, &la);
    trimmed(b, &sb, &lb);
    return la == lb && memcmp(sa, sb, la) == 0;
}

static void check_seconding(struct vctx *v, const json_t *sub)
{
    const json_t *units = json_object_get(sub, "seconding_units");
    if (!json_is_array(units) || json_array_size(units) == 0 ||
        json_array_size(units) > prop_field_find("seconding_units")->max_items)
        return; /* missing or wrong type: already reported */
    const char *lead = str_of(sub, "organisation");
    size_t distinct = 0;
    for (size_t i = 0; i < json_array_size(units); i++) {
        const json_t *u = json_array_get(units, i);
        if (!json_is_string(u) || !given(u))
            continue;
        char ptr[PTR_MAX];
        snprintf(ptr, sizeof ptr, "/seconding_units/%zu", i);
        if (lead && same_name(json_string_value(u), lead)) {
            problem(v, ptr, "the lead unit cannot second its own proposal");
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) {
            const json_t *p = json_array_get(units, k);
            dup = json_is_string(p) &&
                  same_name(json_string_value(p), json_string_value(u));
        }
        if (!dup)
            distinct++;
        /* exact repeats are already reported by the array check; near repeats
         * (differing only in surrounding spaces) are merely not counted */
    }
    if (distinct < 3)
        problem(v, "/seconding_units",
                "at least 3 distinct seconding units other than the lead unit (附议单位 "
                "至少3家); %zu given",
                distinct);
}

static void check_cross_fields(struct vctx *v, const json_t *sub, int track)
{
    /* Dates: only when both are good dates (else already reported). */
    const char *ps = str_of(sub, "planned_start"), *pe = str_of(sub, "planned_end");
    if (ps && pe) {
        long a = date_parse(ps, strlen(ps)), b = date_parse(pe, strlen(pe));
        if (a > 0 && b > 0 && b <= a)
            problem(v, "/planned_end", "must be after planned_start (%s)", ps);
    }
    const char *kind = str_of(sub, "kind");
    bool has_replaces = given(json_object_get(sub, "replaces"));
    if (kind && strcmp(kind, "revision") == 0 && !has_replaces)
        problem(v, "/replaces",
                "required for a revision: the number of the standard revised");
    else if (kind && strcmp(kind, "new") == 0 && has_replaces)
        problem(v, "/replaces", "only for a revision (kind is new)");

    if (track == PROP_TRACK_LOCAL) {
        const char *nature = str_of(sub, "nature");
        if (nature && strcmp(nature, "mandatory") == 0) {
            if (!given(json_object_get(sub, "mandatory_reason")))
                problem(v, "/mandatory_reason", "required for a mandatory standard");
            if (!given(json_object_get(sub, "product_catalogue")))
                problem(v, "/product_catalogue", "required for a mandatory standard");
        }
    }
    if (track == PROP_TRACK_GROUP)
        check_seconding(v, sub);

    const json_t *adoption = json_object_get(sub, "adoption");
    if (json_is_object(adoption) && !given(json_object_get(adoption, "title_zh")) &&
        !given(json_object_get(adoption, "title_en")))
        problem(v, "/adoption/title_zh",
                "an adopted standard needs its title: title_zh or title_en");
}

int prop_submission_validate(const json_t *submission, const struct prop_rules *rules,
                             json_t *problems)
{
    struct vctx v = {.problems = problems};
    if (!json_is_object(submission)) {
        problem(&v, "", "a proposal must be a JSON object");
        return v.rc ? v.rc : STDTAX_EINVAL;
    }
    /* The track decides which form applies; without a usable one, check what both forms
     * share (a field is then required only when both forms require it). */
    const json_t *tv = json_object_get(submission, "track");
    int track = json_is_string(tv) ? prop_track_parse(json_string_value(tv)) : -1;
    if (track >= 0 && strcmp(json_string_value(tv), tracks[track].code) != 0)
        track = -1; /* JSON carries codes; the Chinese names are for CSV */
    unsigned mask = track >= 0 ? 1u << track : PROP_BOTH;

    validate_object(&v, fields, submission, "", mask);

    const char *call = str_of(submission, "call");
    if (rules && call && !check_call_id(call, strlen(call)) &&
        !prop_rules_call_find(rules, call)) {
        char known[200] = "";
        for (size_t i = 0; i < rules->ncalls; i++) {
            size_t n = strlen(known);
            snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "",
                     rules->calls[i].id);
        }
        problem(&v, "/call", "unknown call; known: %s", rules->ncalls ? known : "none");
    }
    check_cross_fields(&v, submission, track);
    if (v.rc)
        return v.rc;
    return v.n ? STDTAX_EINVAL : 0;
}

/* ------------------------------------------------------------------------------------
 * Rules and deadlines
 * ---------------------------------------------------------------------------------- */

int prop_rules_call_add(struct prop_rules *rules, const char *id, time_t local_deadline,
                        time_t group_deadline, struct stdtax_error *err)
{
    const char *why = id ? check_call_id(id, strlen(id)) : "call id missing";
    if (why)
        return stdtax_error_set(err, STDTAX_EINVAL, "/call/id", "%s", why);
    if (prop_rules_call_find(rules, id))
        return stdtax_error_set(err, STDTAX_ECONFLICT, "/call/id", "call %s given twice",
                                id);
    if (rules->ncalls >= PROP_CALLS_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "/call", "more than %d calls",
                                PROP_CALLS_MAX);
    struct prop_call *c = &rules->calls[rules->ncalls++];
    snprintf(c->id, sizeof c->id, "%s", id);
    c->deadline[PROP_TRACK_LOCAL] = local_deadline;
    c->deadline[PROP_TRACK_GROUP] = group_deadline;
    return 0;
}

const struct prop_call *prop_rules_call_find(const struct prop_rules *rules,
                                             const char *id)
{
    if (!rules || !id)
        return NULL;
    for (size_t i = 0; i < rules->ncalls && i < PROP_CALLS_MAX; i++)
        if (strcmp(rules->calls[i].id, id) == 0)
            return &rules->calls[i];
    return NULL;
}

int prop_deadline_check(const struct prop_rules *rules, const char *call,
                        const char *track, time_t now, bool is_secretariat, bool *late)
{
    *late = false;
    const struct prop_call *c = prop_rules_call_find(rules, call);
    int t = track ? prop_track_parse(track) : -1;
    if (!c || t < 0)
        return STDTAX_EINVAL;
    time_t deadline = c->deadline[t];
    if (deadline == 0 || now <= deadline)
        return 0;
    if (!is_secretariat)
        return STDTAX_ELATE;
    *late = true;
    return 0;
}

/* ------------------------------------------------------------------------------------
 * The stored record
 * ---------------------------------------------------------------------------------- */

int prop_time_format(time_t t, char *out, size_t size)
{
    struct tm tm;
    if (size < 21 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year < -1899)
        return STDTAX_EINVAL;
    if (strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return STDTAX_EINVAL;
    return 0;
}

/* Appends a file-name-safe copy of s, cut at a character boundary to at most max bytes.
 * Returns the bytes written. */
static size_t name_part(char *out, const char *s, size_t max)
{
    const char *start;
    size_t len, n = 0;
    trimmed(s, &start, &len);
    const unsigned char *u = (const unsigned char *)start;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_char_decode((const char *)u + i, len - i, &cp);
        bool bad = k == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||
                   (cp < 0x80 && strchr("/\\:*?\"<>|", (int)cp)) || (n == 0 && cp == '.');
        size_t w = bad ? 1 : k;
        if (n + w > max)
            break;
        if (bad)
            out[n] = '_';
        else
            memcpy(out + n, start + i, k);
        n += w;
        i += k ? k : 1;
    }
    return n;
}

int prop_export_name(const json_t *submission, char *out, size_t size)
{
    const char *org = str_of(submission, "organisation");
    const char *title = str_of(submission, "title");
    const char *tv = str_of(submission, "track");
    int t = tv ? prop_track_parse(tv) : -1;
    if (!org || !title || t < 0 || size < PROP_EXPORT_NAME_MAX + 1)
        return STDTAX_EINVAL;
    const char *suffix = tracks[t].suffix;
    size_t budget = PROP_EXPORT_NAME_MAX - strlen(suffix) - 2;
    /* The organisation may take at most half, so the title always shows. */
    size_t n = name_part(out, org, budget / 2);
    out[n++] = '-';
    n += name_part(out + n, title, budget - (n - 1));
    out[n++] = '-';
    memcpy(out + n, suffix, strlen(suffix) + 1);
    return 0;
}

/* Drops null members and blank strings, so a record holds only what was given. */
static void prune(json_t *obj)
{
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value)
    {
        if (!given(value))
            json_object_del(obj, key);
        else if (json_is_object(value))
            prune(value);
    }
}

/* The code of a classifier answer: a string, or an object's "code". */
static const json_t *code_of(const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "code");
    return json_is_string(v) ? v : NULL;
}

static int set_new(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value ? value : json_null()) == 0 && value
               ? 0
               : STDTAX_ENOMEM;
}

int prop_record_build(const json_t *submission, const json_t *classification,
                      time_t received, bool late, json_t **record,
                      struct stdtax_error *err)
{
    *record = NULL;
    if (!json_is_object(submission))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "submission is not an object");
    if (classification && !json_is_object(classification))
        return stdtax_error_set(err, STDTAX_EINVAL, "/classification",
                                "classification is not an object");
    const json_t *cat =
        classification ? code_of(json_object_get(classification, "category")) : NULL;
    if (classification && !cat)
        return stdtax_error_set(err, STDTAX_EINVAL, "/classification/category",
                                "classification has no category code");
    char when[32], name[PROP_EXPORT_NAME_MAX + 1];
    if (prop_time_format(received, when, sizeof when) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/received", "time out of range");
    if (prop_export_name(submission, name, sizeof name) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/organisation",
                                "organisation, title and track are needed");

    json_t *r = json_deep_copy(submission);
    json_t *cl = json_object(), *topics = json_array();
    if (!r || !cl || !topics)
        goto nomem;
    prune(r);

    const json_t *sub =
        classification ? code_of(json_object_get(classification, "subcategory")) : NULL;
    const json_t *conf =
        classification ? json_object_get(classification, "confidence") : NULL;
    const json_t *tver =
        classification ? json_object_get(classification, "taxonomy_version") : NULL;
    const json_t *mver =
        classification ? json_object_get(classification, "model_version") : NULL;
    if (set_new(cl, "category", cat ? json_copy((json_t *)cat) : json_null()) ||
        set_new(cl, "subcategory", sub ? json_copy((json_t *)sub) : json_null()) ||
        set_new(cl, "confidence",
                json_is_number(conf) ? json_copy((json_t *)conf) : json_null()) ||
        set_new(cl, "source", json_string("classifier")) ||
        /* Shared, not copied: the classifier's result (evidence and all) is a tenth of
         * a submission's cost to copy, and nobody changes it after it is made. */
        set_new(cl, "suggested",
                classification ? json_incref((json_t *)classification) : json_null()) ||
        set_new(cl, "taxonomy_version",
                json_is_string(tver) ? json_copy((json_t *)tver) : json_null()) ||
        set_new(cl, "model_version",
                json_is_string(mver) ? json_copy((json_t *)mver) : json_null()))
        goto nomem;

    const json_t *pt =
        classification ? json_object_get(classification, "priority_topics") : NULL;
    for (size_t i = 0; i < json_array_size(pt); i++) {
        const json_t *code = code_of(json_array_get(pt, i));
        if (code && json_array_append_new(topics, json_copy((json_t *)code)) != 0)
            goto nomem;
    }

    if (set_new(r, "status", json_string(prop_status_code(PROP_ST_SUBMITTED))) ||
        set_new(r, "received", json_string(when)) ||
        set_new(r, "late", json_boolean(late)) ||
        set_new(r, "export_name", json_string(name)))
        goto nomem;
    int rc = json_object_set_new(r, "classification", cl);
    cl = NULL;
    if (rc != 0)
        goto nomem;
    rc = json_object_set_new(r, "priority_topics", topics);
    topics = NULL;
    if (rc != 0)
        goto nomem;
    *record = r;
    return 0;
nomem:
    json_decref(r);
    json_decref(cl);
    json_decref(topics);
    return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
}

static bool node_code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '.' ||
              s[i] == '-'))
            return false;
    return true;
}

static int actor_check(const char *who, struct stdtax_error *err)
{
    size_t chars;
    bool blank;
    if (!who || text_scan(who, strlen(who), false, &chars, &blank) || blank ||
        strlen(who) > 128)
        return stdtax_error_set(err, STDTAX_EINVAL, "/set_by",
                                "who must be a non-empty line of at most 128 bytes");
    return 0;
}

int prop_record_reclassify(json_t *record, const char *category, const char *subcategory,
                           const json_t *priority_topics, const char *who, time_t when,
                           struct stdtax_error *err)
{
    int rc = actor_check(who, err);
    if (rc)
        return rc;
    if (!json_is_object(record))
        return stdtax_error_set(err, STDTAX_EINVAL, "", "record is not an object");
    if (!node_code_ok(category) || strchr(category, '.'))
        return stdtax_error_set(err, STDTAX_EINVAL, "/category",
                                "category must be a top-level code like core");
    if (subcategory &&
        (!node_code_ok(subcategory) || strncmp(subcategory, category, strlen(category)) ||
         subcategory[strlen(category)] != '.' || !subcategory[strlen(category) + 1]))
        return stdtax_error_set(err, STDTAX_EINVAL, "/subcategory",
                                "subcategory must be a code under %s, like %s.x",
                                category, category);
    if (priority_topics) {
        if (!json_is_array(priority_topics))
            return stdtax_error_set(err, STDTAX_EINVAL, "/priority_topics",
                                    "must be an array of codes");
        for (size_t i = 0; i < json_array_size(priority_topics); i++)
            if (!node_code_ok(json_string_value(json_array_get(priority_topics, i))))
                return stdtax_error_set(err, STDTAX_EINVAL, "/priority_topics",
                                        "item %zu is not a code", i);
    }
    char at[32];
    if (prop_time_format(when, at, sizeof at) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/set_at", "time out of range");

    json_t *cl = json_object_get(record, "classification");
    if (!json_is_object(cl)) {
        cl = json_object();
        if (!cl || json_object_set_new(record, "classification", cl) != 0)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
        if (json_object_set_new(cl, "suggested", json_null()) != 0)
            return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    if (set_new(cl, "category", json_string(category)) ||
        set_new(cl, "subcategory",
                subcategory ? json_string(subcategory) : json_null()) ||
        set_new(cl, "confidence", json_null()) ||
        set_new(cl, "source", json_string("secretariat")) ||
        set_new(cl, "set_by", json_string(who)) || set_new(cl, "set_at", json_string(at)))
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (priority_topics &&
        set_new(record, "priority_topics", json_deep_copy(priority_topics)) != 0)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

int prop_record_set_status(json_t *record, const char *status, const char *who,
                           time_t when, struct stdtax_error *err)
{
    int rc = actor_check(who, err);
    if (rc)
        return rc;
    int to = prop_status_parse(status);
    if (to < 0)
        return stdtax_error_set(
            err, STDTAX_EINVAL, "/status",
            "unknown status; one of submitted, under-review, "
            "recommended-local, recommended-group, rejected, withdrawn");
    int from = prop_status_parse(json_string_value(json_object_get(record, "status")));
    if (from < 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/status",
                                "record has no valid status");
    if (from == to)
        return 0;
    if (!prop_status_transition_allowed(from, to))
        return stdtax_error_set(err, STDTAX_ECONFLICT, "/status",
                                "cannot go from %s to %s", statuses[from].code,
                                statuses[to].code);
    char at[32];
    if (prop_time_format(when, at, sizeof at) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/status_set_at",
                                "time out of range");
    if (set_new(record, "status", json_string(statuses[to].code)) ||
        set_new(record, "status_set_by", json_string(who)) ||
        set_new(record, "status_set_at", json_string(at)))
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}

/* ------------------------------------------------------------------------------------
 * CSV
 * ---------------------------------------------------------------------------------- */

/* Columns that the server adds; exported, ignored on import. */
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

/* Separator of array items in a cell (full-width semicolon, as Chinese text uses). */
#define ARRAY_SEP "；"

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
    for (const struct prop_field *f = fields; f->name; f++) {
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
            total +=
                (json_is_string(item) ? json_string_length(item) : 0) + sizeof ARRAY_SEP;
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
            memcpy(p, json_string_value(item), json_string_length(item));
            p += json_string_length(item);
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
            v = json_object_get(record, c.f->name);
            if (c.m)
                v = json_object_get(v, c.m->name);
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

/* Splits an array cell on "；" or ";", trimming each item and dropping empty ones. */
static json_t *split_items(const char *s, size_t len)
{
    json_t *arr = json_array();
    size_t i = 0, start = 0;
    while (arr && i <= len) {
        size_t sep = 0;
        if (i == len)
            sep = 0;
        else if (s[i] == ';')
            sep = 1;
        else if (len - i >= 3 && memcmp(s + i, ARRAY_SEP, 3) == 0)
            sep = 3;
        if (i < len && sep == 0) {
            i++;
            continue;
        }
        char *piece = strndup(s + start, i - start);
        if (!piece) {
            json_decref(arr);
            return NULL;
        }
        const char *b;
        size_t n;
        trimmed(piece, &b, &n);
        if (n > 0) {
            json_t *item = json_stringn(b, n);
            if (!item || json_array_append_new(arr, item) != 0) {
                free(piece);
                json_decref(arr);
                return NULL;
            }
        }
        free(piece);
        if (i == len)
            break;
        i += sep;
        start = i;
    }
    return arr;
}

/* Converts a cell to the field's JSON value; NULL with *why set when it cannot. */
static json_t *cell_value(const struct prop_field *x, const char *s, size_t len,
                          const char **why)
{
    *why = NULL;
    if (x->type == PROP_T_ENUM || x->type == PROP_T_NUMBER || x->type == PROP_T_DATE) {
        /* Codes, numbers and dates never hold spaces of their own; spreadsheets add them.
         */
        const char *b;
        size_t n;
        char *copy = strndup(s, len);
        if (!copy)
            return NULL;
        trimmed(copy, &b, &n);
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
        *why = "unknown value";
        return NULL;
    case PROP_T_STRINGS:
        return split_items(s, len);
    case PROP_T_NUMBER: {
        char buf[64], *end;
        if (len == 0 || len >= sizeof buf) {
            *why = "is not a number";
            return NULL;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        double d = strtod(buf, &end);
        if (*end != '\0' || !isfinite(d) || strspn(buf, "0123456789.eE+-") != len) {
            *why = "is not a number";
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

int prop_csv_row_to_submission(const struct csv_row *header, const struct csv_row *row,
                               json_t **submission, json_t *problems)
{
    json_t *sub = json_object();
    *submission = sub;
    if (!sub)
        return STDTAX_ENOMEM;
    struct vctx v = {.problems = problems};
    if (row->n != header->n)
        problem(&v, "", "line %lu has %zu cells, the header has %zu", row->line, row->n,
                header->n);
    size_t n = row->n < header->n ? row->n : header->n;
    for (size_t j = 0; j < header->n && v.rc == 0; j++) {
        struct col c;
        char ptr[PTR_MAX], tmp[PTR_MAX];
        int kind = col_match(header->cells[j], &c);
        if (kind < 0) {
            ptr_join(ptr, "", header->cells[j]);
            problem(&v, ptr, "unknown column");
            continue;
        }
        if (kind == 0)
            continue;
        ptr_join(ptr, "", c.f->name);
        if (c.m) {
            snprintf(tmp, sizeof tmp, "%s", ptr);
            ptr_join(ptr, tmp, c.m->name);
        }
        /* A repeated column: an earlier header cell mapped to the same field. */
        bool repeated = false;
        for (size_t k = 0; k < j && !repeated; k++) {
            struct col e;
            repeated = col_match(header->cells[k], &e) == 1 && e.f == c.f && e.m == c.m;
        }
        if (repeated) {
            problem(&v, ptr, "column %s given twice", header->cells[j]);
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
        trimmed(copy, &b, &tl);
        bool empty = tl == 0;
        free(copy);
        if (empty)
            continue;
        const struct prop_field *x = c.m ? c.m : c.f;
        const char *why;
        json_t *value = cell_value(x, s, len, &why);
        if (!value) {
            if (why)
                problem(&v, ptr, "%s", why);
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
        if (json_object_set_new(target, x->name, value) != 0)
            v.rc = STDTAX_ENOMEM;
    }
    if (v.rc)
        return v.rc;
    return v.n ? STDTAX_EINVAL : 0;
}
