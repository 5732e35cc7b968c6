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

static const char *track_names(unsigned mask)
{
    return mask == PROP_LOCAL ? "local" : mask == PROP_GROUP ? "group" : "local or group";
}

/* Checks one string against the field's limits and format.  Returns true when good. */
static bool check_string(struct prop_problems *v, const struct prop_field *f,
                         const json_t *value, const char *ptr, bool multiline)
{
    if (!json_is_string(value)) {
        prop_problem(v, ptr, "must be a string");
        return false;
    }
    const char *s = json_string_value(value);
    size_t len = json_string_length(value), chars;
    bool blank;
    const char *why = prop_text_scan(s, len, multiline, &chars, &blank);
    if (why) {
        prop_problem(v, ptr, "%s", why);
        return false;
    }
    if (blank) {
        prop_problem(v, ptr, "must not be empty");
        return false;
    }
    if (f->max_chars && chars > f->max_chars) {
        prop_problem(v, ptr, "too long: %zu characters, at most %zu", chars,
                     f->max_chars);
        return false;
    }
    if (f->max_bytes && len > f->max_bytes) {
        prop_problem(v, ptr, "too long: %zu bytes of UTF-8, at most %zu", len,
                     f->max_bytes);
        return false;
    }
    if (f->check && (why = f->check(s, len)) != NULL) {
        prop_problem(v, ptr, "%s", why);
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
            prop_problem(v, ptr, "must be a date string YYYY-MM-DD");
            return false;
        }
        int64_t days;
        if (!planned_date(json_string_value(value), json_string_length(value), &days)) {
            prop_problem(v, ptr, "must be a real date written YYYY-MM-DD");
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
        prop_problem(v, ptr, "must be one of %s", list);
        return false;
    }
    case PROP_T_NUMBER: {
        if (!json_is_number(value)) {
            prop_problem(v, ptr, "must be a number");
            return false;
        }
        double d = json_number_value(value);
        if (!(d >= f->min && d <= f->max)) {
            prop_problem(v, ptr, "must be between %g and %g", f->min, f->max);
            return false;
        }
        return true;
    }
    case PROP_T_STRINGS: {
        if (!json_is_array(value)) {
            prop_problem(v, ptr, "must be an array of strings");
            return false;
        }
        size_t n = json_array_size(value);
        if (n > f->max_items) {
            prop_problem(v, ptr, "too many items: %zu, at most %zu", n, f->max_items);
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
                    prop_problem(v, ip, "repeats item %zu", k);
                    ok = false;
                    break;
                }
            }
        }
        return ok;
    }
    case PROP_T_OBJECT:
        if (!json_is_object(value)) {
            prop_problem(v, ptr, "must be an object");
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
            prop_problem(v, ptr, "unknown field");
            ok = false;
        } else if (!(f->tracks & track_mask)) {
            prop_problem(v, ptr, "not part of the %s form", track_names(track_mask));
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
            prop_problem(v, ptr, "required");
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
            prop_problem(v, ptr, "the lead unit cannot second its own proposal");
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
        prop_problem(
            v, "/seconding_units",
            "at least 3 distinct seconding units other than the lead unit (附议单位 "
            "至少3家); %zu given",
            distinct);
}

/* Fields that another field's value makes required or refused.  A rule holds where its
 * tracks cover the submission's form (a rule of one track needs that track known). */
static const struct {
    unsigned tracks;
    const char *if_field, *if_value;
    const char *field;
    bool required; /* else refused */
    const char *detail;
} conditions[] = {
    {PROP_BOTH, "kind", "revision", "replaces", true,
     "required for a revision: the number of the standard revised"},
    {PROP_BOTH, "kind", "new", "replaces", false, "only for a revision (kind is new)"},
    {PROP_LOCAL, "nature", "mandatory", "mandatory_reason", true,
     "required for a mandatory standard"},
    {PROP_LOCAL, "nature", "mandatory", "product_catalogue", true,
     "required for a mandatory standard"},
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
            prop_problem(v, "/planned_end", "must be after planned_start (%s)", ps);
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
            prop_problem(v, ptr, "%s", conditions[i].detail);
        }
    }
    if (track_mask == PROP_GROUP)
        check_seconding(v, sub);

    const json_t *adoption = json_object_get(sub, "adoption");
    if (json_is_object(adoption) && !prop_given(json_object_get(adoption, "title_zh")) &&
        !prop_given(json_object_get(adoption, "title_en")))
        prop_problem(v, "/adoption/title_zh",
                     "an adopted standard needs its title: title_zh or title_en");
}

int prop_submission_validate(const json_t *submission, const struct prop_rules *rules,
                             json_t *problems)
{
    struct prop_problems v = {.problems = problems};
    if (!json_is_object(submission)) {
        prop_problem(&v, "", "a proposal must be a JSON object");
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
        prop_problem(&v, "/call", "unknown call; known: %s",
                     rules->ncalls ? known : "none");
    }
    check_cross_fields(&v, submission, mask);
    if (v.rc)
        return v.rc;
    return v.n ? STDTAX_EINVAL : 0;
}
