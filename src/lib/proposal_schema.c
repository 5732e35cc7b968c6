/* The schema of the two forms (附件3 local, 附件4 group): one table of fields with the
 * format checks it names, and the tracks.  Documented in doc/proposals.md. */
#include "proposal_internal.h"

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
static enum msg_id check_email(const char *s, size_t len)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '@')
            at = s + i;
    if (!at)
        return MSG_EMAIL_FORMAT;
    size_t local = (size_t)(at - s), dlen = len - local - 1;
    const char *d = at + 1;
    if (local == 0 || local > 64)
        return MSG_EMAIL_LOCAL_LENGTH;
    for (size_t i = 0; i < local; i++) {
        char c = s[i];
        if (!(is_alnum(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c)) || c == '\0')
            return MSG_EMAIL_LOCAL_CHAR;
        if (c == '.' && (i == 0 || i + 1 == local || s[i + 1] == '.'))
            return MSG_EMAIL_LOCAL_DOT;
    }
    if (dlen < 4 || dlen > 253)
        return MSG_EMAIL_DOMAIN;
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= dlen; i++) {
        if (i < dlen && d[i] != '.') {
            if (!(is_alnum(d[i]) || d[i] == '-'))
                return MSG_EMAIL_DOMAIN_CHAR;
            continue;
        }
        size_t n = i - start;
        if (n == 0 || n > 63)
            return MSG_EMAIL_DOMAIN_LABEL;
        if (d[start] == '-' || d[i - 1] == '-')
            return MSG_EMAIL_DOMAIN_HYPHEN;
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
                return MSG_EMAIL_TLD;
        }
        start = i + 1;
    }
    if (labels < 2)
        return MSG_EMAIL_NO_TLD;
    return MSG_NONE;
}

/* ICS (International Classification for Standards): NN, NN.NNN or NN.NNN.NN. */
static enum msg_id check_ics(const char *s, size_t len)
{
    static const char *const shapes[] = {"99", "99.999", "99.999.99"};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        if (strlen(shapes[k]) != len)
            continue;
        bool ok = true;
        for (size_t i = 0; i < len && ok; i++)
            ok = shapes[k][i] == '9' ? is_digit(s[i]) : s[i] == '.';
        if (ok)
            return MSG_NONE;
    }
    return MSG_ICS;
}

/* CCS (中国标准文献分类法): one of the 24 first-level letters (A-Z without I and O) and
 * two digits, e.g. L70. */
static enum msg_id check_ccs(const char *s, size_t len)
{
    if (len == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[0] != 'I' && s[0] != 'O' &&
        is_digit(s[1]) && is_digit(s[2]))
        return MSG_NONE;
    return MSG_CCS;
}

enum msg_id prop_check_call_id(const char *s, size_t len)
{
    if (len == 0 || len >= PROP_CALL_ID_MAX)
        return MSG_CALL_ID_LENGTH;
    for (size_t i = 0; i < len; i++)
        if (!(is_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return MSG_CALL_ID_CHAR;
    return MSG_NONE;
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
     .required = PROP_LOCAL, /* 附件4: phone or e-mail, a rule across fields */
     STR(40, 120),
     .check = prop_phone_check,
     .normalise = prop_phone_normalise,
     .csv_name = "contact.phone",
     .doc = "telephone number as written; stored normalised"},
    {.name = "email",
     .label = "邮箱",
     .form_local = "邮箱",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     .required = PROP_LOCAL,
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
     STR(40, 120),
     .check = prop_phone_check,
     .normalise = prop_phone_normalise,
     .csv_name = "drafting_contact.phone",
     .doc = "telephone number as written; stored normalised"},
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
     .check = prop_check_call_id,
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
    {.name = "credit_code",
     .label = "统一社会信用代码",
     .type = PROP_T_STRING,
     .tracks = PROP_BOTH,
     STR(18, 18),
     .check = prop_credit_code_check,
     .doc = "the proposing unit's unified social credit code (GB 32100); optional; "
            "when given its check character must hold and it must be registered in "
            "Shanghai (31...)"},
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
     STR(9, 9),
     .check = check_ics,
     .doc = "ICS code, e.g. 35.240; optional (the committee may fill it)"},
    {.name = "ccs",
     .label = "中国标准分类号",
     .form_group = "中国标准分类号",
     .type = PROP_T_STRING,
     .tracks = PROP_GROUP,
     STR(3, 3),
     .check = check_ccs,
     .doc = "CCS code, e.g. L70; optional (the committee may fill it)"},
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
