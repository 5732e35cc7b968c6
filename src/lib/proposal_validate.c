/* Validation of a submission against the form of its track and the rules: the field
 * table first, then the rules that tie fields together. */
#include "proposal_internal.h"
#include "stdtax/date.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A planned date: a real date (date_parse) in 1900..2199.  *days orders them. */
static bool planned_date(const char *s, size_t len, int64_t *days)
{
    struct date_ymd date;
    if (date_parse(s, len, &date) != 0 || date.year < 1900 || date.year > 2199)
        return false;
    *days = date_days(&date);
    return true;
}

/* Checks one string against the field's limits and format.  Returns true when good. */
static bool check_string(struct prop_problems *v, const struct prop_field *f,
                         const json_t *value, const char *ptr, bool multiline)
{
    if (!json_is_string(value)) {
        prop_problem(v, ptr, MSG_TYPE_STRING, NULL);
        return false;
    }
    const char *s = json_string_value(value);
    size_t len = json_string_length(value), chars;
    bool blank;
    enum msg_id why = prop_text_scan(s, len, multiline, &chars, &blank);
    if (why) {
        prop_problem(v, ptr, why, NULL);
        return false;
    }
    if (blank) {
        prop_problem(v, ptr, MSG_EMPTY, NULL);
        return false;
    }
    char got[24], max[24];
    if (f->max_chars && chars > f->max_chars) {
        snprintf(got, sizeof got, "%zu", chars);
        snprintf(max, sizeof max, "%zu", f->max_chars);
        prop_problem(v, ptr, MSG_TOO_LONG_CHARS, got, max, NULL);
        return false;
    }
    if (f->max_bytes && len > f->max_bytes) {
        snprintf(got, sizeof got, "%zu", len);
        snprintf(max, sizeof max, "%zu", f->max_bytes);
        prop_problem(v, ptr, MSG_TOO_LONG_BYTES, got, max, NULL);
        return false;
    }
    if (f->check && (why = f->check(s, len)) != MSG_NONE) {
        prop_problem(v, ptr, why, NULL);
        return false;
    }
    return true;
}

static bool validate_object(struct prop_problems *v, const struct prop_field *members,
                            const json_t *obj, const char *base, unsigned track_mask);

static bool validate_value(struct prop_problems *v, const struct prop_field *f,
                           const json_t *value, const char *ptr, unsigned track_mask)
{
    switch (f->type) {
    case PROP_T_STRING:
        return check_string(v, f, value, ptr, false);
    case PROP_T_TEXT:
        return check_string(v, f, value, ptr, true);
    case PROP_T_DATE:
        if (!json_is_string(value)) {
            prop_problem(v, ptr, MSG_TYPE_DATE, NULL);
            return false;
        }
        int64_t days;
        if (!planned_date(json_string_value(value), json_string_length(value), &days)) {
            prop_problem(v, ptr, MSG_DATE, NULL);
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
        prop_problem(v, ptr, MSG_ENUM, list, NULL);
        return false;
    }
    case PROP_T_NUMBER: {
        if (!json_is_number(value)) {
            prop_problem(v, ptr, MSG_TYPE_NUMBER, NULL);
            return false;
        }
        double d = json_number_value(value);
        if (!(d >= f->min && d <= f->max)) {
            char lo[32], hi[32];
            snprintf(lo, sizeof lo, "%g", f->min);
            snprintf(hi, sizeof hi, "%g", f->max);
            prop_problem(v, ptr, MSG_NUMBER_RANGE, lo, hi, NULL);
            return false;
        }
        return true;
    }
    case PROP_T_STRINGS: {
        if (!json_is_array(value)) {
            prop_problem(v, ptr, MSG_TYPE_ARRAY, NULL);
            return false;
        }
        size_t n = json_array_size(value);
        if (n > f->max_items) {
            char got[24], max[24];
            snprintf(got, sizeof got, "%zu", n);
            snprintf(max, sizeof max, "%zu", f->max_items);
            prop_problem(v, ptr, MSG_TOO_MANY_ITEMS, got, max, NULL);
            return false;
        }
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            char ip[PROP_PTR_MAX], idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            prop_ptr_join(ip, ptr, idx);
            const json_t *item = json_array_get(value, i);
            if (!check_string(v, f, item, ip, false)) {
                ok = false;
                continue;
            }
            for (size_t k = 0; k < i; k++) {
                const json_t *prev = json_array_get(value, k);
                if (json_is_string(prev) && json_equal(prev, item)) {
                    char first[24];
                    snprintf(first, sizeof first, "%zu", k);
                    prop_problem(v, ip, MSG_REPEATED_ITEM, first, NULL);
                    ok = false;
                    break;
                }
            }
        }
        return ok;
    }
    case PROP_T_OBJECT:
        if (!json_is_object(value)) {
            prop_problem(v, ptr, MSG_TYPE_OBJECT, NULL);
            return false;
        }
        return validate_object(v, f->members, value, ptr, track_mask);
    }
    return false;
}

static bool validate_object(struct prop_problems *v, const struct prop_field *members,
                            const json_t *obj, const char *base, unsigned track_mask)
{
    bool ok = true;
    const char *key;
    json_t *value;
    char ptr[PROP_PTR_MAX];
    json_object_foreach((json_t *)obj, key, value)
    {
        const struct prop_field *f = members;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        prop_ptr_join(ptr, base, key);
        if (!f->name) {
            prop_problem(v, ptr, MSG_UNKNOWN_FIELD, NULL);
            ok = false;
        } else if (!(f->tracks & track_mask)) {
            /* Only with a known track: without one, both forms' fields pass. */
            prop_problem(v, ptr,
                         track_mask == PROP_LOCAL ? MSG_OTHER_FORM_LOCAL
                                                  : MSG_OTHER_FORM_GROUP,
                         NULL);
            ok = false;
        }
    }
    for (const struct prop_field *f = members; f->name; f++) {
        if (!(f->tracks & track_mask))
            continue;
        prop_ptr_join(ptr, base, f->name);
        value = json_object_get(obj, f->name);
        if (prop_given(value)) {
            if (!validate_value(v, f, value, ptr, track_mask))
                ok = false;
        } else if (f->required && (f->required & track_mask) == track_mask) {
            prop_problem(v, ptr, MSG_REQUIRED, NULL);
            ok = false;
        }
    }
    return ok;
}
static bool same_name(const char *a, const char *b)
{
    const char *sa, *sb;
    size_t la, lb;
    prop_trimmed(a, &sa, &la);
    prop_trimmed(b, &sb, &lb);
    return la == lb && memcmp(sa, sb, la) == 0;
}

static void check_seconding(struct prop_problems *v, const json_t *sub)
{
    const json_t *units = json_object_get(sub, "seconding_units");
    if (!json_is_array(units) || json_array_size(units) == 0 ||
        json_array_size(units) > prop_field_find("seconding_units")->max_items)
        return; /* missing or wrong type: already reported */
    const char *lead = prop_str_of(sub, "organisation");
    size_t distinct = 0;
    for (size_t i = 0; i < json_array_size(units); i++) {
        const json_t *u = json_array_get(units, i);
        if (!json_is_string(u) || !prop_given(u))
            continue;
        char ptr[PROP_PTR_MAX];
        snprintf(ptr, sizeof ptr, "/seconding_units/%zu", i);
        if (lead && same_name(json_string_value(u), lead)) {
            prop_problem(v, ptr, MSG_SECONDING_LEAD, NULL);
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
    if (distinct < 3) {
        char given[24];
        snprintf(given, sizeof given, "%zu", distinct);
        prop_problem(v, "/seconding_units", MSG_SECONDING_COUNT, given, NULL);
    }
}

/* Fields that another field's value makes required or refused.  A rule holds where its
 * tracks cover the submission's form (a rule of one track needs that track known). */
static const struct {
    unsigned tracks;
    const char *if_field, *if_value;
    const char *field;
    bool required; /* else refused */
    enum msg_id rule;
} conditions[] = {
    {PROP_BOTH, "kind", "revision", "replaces", true, MSG_REVISION_NEEDS_REPLACES},
    {PROP_BOTH, "kind", "new", "replaces", false, MSG_NEW_REFUSES_REPLACES},
    {PROP_LOCAL, "nature", "mandatory", "mandatory_reason", true, MSG_MANDATORY_NEEDS},
    {PROP_LOCAL, "nature", "mandatory", "product_catalogue", true, MSG_MANDATORY_NEEDS},
};

/* Objects that need at least one of two members on a form: 附件4 has one 联系方式 box
 * for a phone number or an e-mail address (附件3 has both boxes, each required). */
static const struct {
    unsigned tracks;
    const char *object, *one, *other;
    enum msg_id rule;
} one_of[] = {
    {PROP_GROUP, "contact", "phone", "email", MSG_CONTACT_PHONE_OR_EMAIL},
    {PROP_BOTH, "adoption", "title_zh", "title_en", MSG_ADOPTION_TITLE},
};

static void check_cross_fields(struct prop_problems *v, const json_t *sub,
                               unsigned track_mask)
{
    /* Dates: only when both are good dates (else already reported). */
    const char *ps = prop_str_of(sub, "planned_start"),
               *pe = prop_str_of(sub, "planned_end");
    if (ps && pe) {
        int64_t a, b;
        if (planned_date(ps, strlen(ps), &a) && planned_date(pe, strlen(pe), &b) &&
            b <= a)
            prop_problem(v, "/planned_end", MSG_END_BEFORE_START, ps, NULL);
    }
    for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++) {
        if ((conditions[i].tracks & track_mask) != track_mask)
            continue;
        const char *value = prop_str_of(sub, conditions[i].if_field);
        if (!value || strcmp(value, conditions[i].if_value) != 0)
            continue;
        if (prop_given(json_object_get(sub, conditions[i].field)) !=
            conditions[i].required) {
            char ptr[PROP_PTR_MAX];
            prop_ptr_join(ptr, "", conditions[i].field);
            prop_problem(v, ptr, conditions[i].rule, NULL);
        }
    }
    if (track_mask == PROP_GROUP)
        check_seconding(v, sub);

    for (size_t i = 0; i < sizeof one_of / sizeof one_of[0]; i++) {
        const json_t *obj = json_object_get(sub, one_of[i].object);
        if ((one_of[i].tracks & track_mask) != track_mask || !json_is_object(obj) ||
            prop_given(json_object_get(obj, one_of[i].one)) ||
            prop_given(json_object_get(obj, one_of[i].other)))
            continue;
        char ptr[PROP_PTR_MAX], base[PROP_PTR_MAX];
        prop_ptr_join(base, "", one_of[i].object);
        prop_ptr_join(ptr, base, one_of[i].one);
        prop_problem(v, ptr, one_of[i].rule, NULL);
    }
}

int prop_submission_validate(const json_t *submission, const struct prop_rules *rules,
                             json_t *problems)
{
    struct prop_problems v = {.problems = problems};
    if (!json_is_object(submission)) {
        prop_problem(&v, "", MSG_NOT_OBJECT, NULL);
        return v.rc ? v.rc : STDTAX_EINVAL;
    }
    /* The track decides which form applies; without a usable one, check what both forms
     * share (a field is then required only when both forms require it). */
    const json_t *tv = json_object_get(submission, "track");
    int track = json_is_string(tv) ? prop_track_parse(json_string_value(tv)) : -1;
    if (track >= 0 && strcmp(json_string_value(tv), prop_track_code(track)) != 0)
        track = -1; /* JSON carries codes; the Chinese names are for CSV */
    unsigned mask = track >= 0 ? 1u << track : PROP_BOTH;

    validate_object(&v, prop_fields(), submission, "", mask);

    const char *call = prop_str_of(submission, "call");
    if (rules && call && !prop_check_call_id(call, strlen(call)) &&
        !prop_rules_call_find(rules, call)) {
        char known[200] = "";
        for (size_t i = 0; i < rules->ncalls; i++) {
            size_t n = strlen(known);
            snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "",
                     rules->calls[i].id);
        }
        if (rules->ncalls)
            prop_problem(&v, "/call", MSG_CALL_UNKNOWN, known, NULL);
        else
            prop_problem(&v, "/call", MSG_CALL_UNKNOWN_NONE, NULL);
    }
    check_cross_fields(&v, submission, mask);
    if (v.rc)
        return v.rc;
    return v.n ? STDTAX_EINVAL : 0;
}
