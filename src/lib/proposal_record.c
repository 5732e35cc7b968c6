/* The stored record: built from a valid submission and the classifier's answer, then
 * changed only by a secretariat (classification, status). */
#include "proposal_internal.h"
#include "stdtax/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
    prop_trimmed(s, &start, &len);
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
    const char *org = prop_str_of(submission, "organisation");
    const char *title = prop_str_of(submission, "title");
    const char *tv = prop_str_of(submission, "track");
    int t = tv ? prop_track_parse(tv) : -1;
    if (!org || !title || t < 0 || size < PROP_EXPORT_NAME_MAX + 1)
        return STDTAX_EINVAL;
    const char *suffix = prop_track_suffix(t);
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
        if (!prop_given(value))
            json_object_del(obj, key);
        else if (json_is_object(value))
            prune(value);
    }
}

/* Puts each field that has a normal form into it, keeping what was written beside it
 * in NAME_as_written when the two differ (a valid submission: every value checks). */
static int normalise_fields(json_t *obj, const struct prop_field *fields)
{
    for (const struct prop_field *f = fields; f->name; f++) {
        json_t *value = json_object_get(obj, f->name);
        if (f->type == PROP_T_OBJECT && json_is_object(value)) {
            int rc = normalise_fields(value, f->members);
            if (rc)
                return rc;
            continue;
        }
        if (!f->normalise || !json_is_string(value))
            continue;
        char out[128], key[64];
        if (f->normalise(json_string_value(value), json_string_length(value), out,
                         sizeof out) != 0 ||
            strcmp(out, json_string_value(value)) == 0)
            continue;
        snprintf(key, sizeof key, "%s" PROP_AS_WRITTEN, f->name);
        if (json_object_set(obj, key, value) != 0 ||
            json_object_set_new(obj, f->name, json_string(out)) != 0)
            return STDTAX_ENOMEM;
    }
    return 0;
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
    if (normalise_fields(r, prop_fields()) != 0)
        goto nomem;

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
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static int actor_check(const char *who, struct stdtax_error *err)
{
    size_t chars;
    bool blank;
    if (!who || prop_text_scan(who, strlen(who), false, &chars, &blank) || blank ||
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
                                "cannot go from %s to %s", prop_status_code(from),
                                prop_status_code(to));
    char at[32];
    if (prop_time_format(when, at, sizeof at) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "/status_set_at",
                                "time out of range");
    if (set_new(record, "status", json_string(prop_status_code(to))) ||
        set_new(record, "status_set_by", json_string(who)) ||
        set_new(record, "status_set_at", json_string(at)))
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    return 0;
}
