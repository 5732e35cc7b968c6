/* Proposals: the two forms of the call (附件3 local, 附件4 group), their validation,
 * the deadlines, the stored record and its CSV form.
 *
 * The schema is one table of fields (prop_fields), documented in doc/proposals.md. */
#ifndef STDTAX_PROPOSAL_H
#define STDTAX_PROPOSAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "stdtax/csv.h"
#include "stdtax/error.h"
#include "stdtax/message.h"

enum prop_track {
    PROP_TRACK_LOCAL = 0, /* 上海地方标准, form 附件3 */
    PROP_TRACK_GROUP = 1, /* 上海市人工智能行业协会团体标准, form 附件4 */
    PROP_TRACK_COUNT
};

/* Bit masks of tracks, used in the field table. */
#define PROP_LOCAL (1u << PROP_TRACK_LOCAL)
#define PROP_GROUP (1u << PROP_TRACK_GROUP)
#define PROP_BOTH (PROP_LOCAL | PROP_GROUP)

/* Returns the track of a code ("local", "group") or of its Chinese name (地标, 团标,
 * 地方标准, 团体标准), or -1. */
int prop_track_parse(const char *s);
/* Static: "local" / "group"; NULL for an out-of-range track. */
const char *prop_track_code(enum prop_track track);
/* Static: the call's file-name suffix, 地标 / 团标. */
const char *prop_track_suffix(enum prop_track track);

enum prop_type {
    PROP_T_STRING,  /* one line of text */
    PROP_T_TEXT,    /* text that may hold line breaks and tabs */
    PROP_T_DATE,    /* "YYYY-MM-DD", a real calendar date */
    PROP_T_ENUM,    /* one of the field's values (a JSON string) */
    PROP_T_STRINGS, /* array of one-line strings */
    PROP_T_NUMBER,  /* JSON number within [min, max] */
    PROP_T_OBJECT,  /* object with the fields in `members` (contacts, budget, adoption) */
};

struct prop_enum_value {
    const char *code;     /* what JSON carries */
    const char *label_zh; /* what the form shows; also accepted by CSV import */
};

/* Returns MSG_NONE when s[0..len) is acceptable, else the rule it breaks. */
typedef enum msg_id (*prop_check_fn)(const char *s, size_t len);

/* Writes the stored form of an acceptable s[0..len) into out (NUL-terminated).
 * Returns 0, STDTAX_EINVAL (s is not acceptable) or STDTAX_ETOOBIG (out too small). */
typedef int (*prop_normalise_fn)(const char *s, size_t len, char *out, size_t size);

struct prop_field {
    const char *name;  /* JSON member name, snake_case */
    const char *label; /* Chinese label, unique: docs and CSV header */
    const char
        *form_local; /* label on form 附件3, NULL when the form has no such field */
    const char *form_group; /* label on form 附件4, NULL likewise */
    enum prop_type type;
    unsigned tracks;     /* PROP_LOCAL | PROP_GROUP: where the field may appear */
    unsigned required;   /* tracks on which it is required (conditional rules are code) */
    size_t max_chars;    /* strings: characters (code points); arrays: per item */
    size_t max_bytes;    /* strings: UTF-8 bytes; arrays: per item */
    size_t max_items;    /* arrays */
    double min, max;     /* numbers */
    prop_check_fn check; /* extra format check, or NULL */
    /* The record keeps the value in this form and the value as written beside it,
     * in NAME_as_written (when they differ); NULL: kept as written. */
    prop_normalise_fn normalise;
    const struct prop_enum_value *values; /* enums: terminated by a NULL code */
    const struct prop_field *members;     /* objects: terminated by a NULL name */
    const char *csv_name; /* members: dotted English CSV name, "contact.email" */
    const char *doc;      /* one line of English for the docs */
};

/* The top-level fields, terminated by an entry with a NULL name (static). */
const struct prop_field *prop_fields(void);
/* Finds a top-level field by JSON name, or NULL (static). */
const struct prop_field *prop_field_find(const char *name);

/* Telephone numbers as written on the forms: digits (also full-width), spaces, '-',
 * parentheses, a leading '+', an extension after 转, 分机, ext, x or ;ext= (and after a
 * last '-' of a complete landline).  The normal form is E.164 for Chinese numbers with
 * an area code and mobiles (+862150801234), the digits otherwise, and ";ext=806"
 * (RFC 3966).  doc/proposals.md, "Telephone numbers". */
enum msg_id prop_phone_check(const char *s, size_t len);

/* The unified social credit code (GB 32100) of a unit registered in Shanghai (the
 * call's condition 三(一)): MSG_CREDIT_CODE_FORM (length, alphabet),
 * MSG_CREDIT_CODE_CHECK (the check character), MSG_CREDIT_CODE_SHANGHAI (the
 * registration authority's division is not 31xxxx), or MSG_NONE. */
enum msg_id prop_credit_code_check(const char *s, size_t len);
int prop_phone_normalise(const char *s, size_t len, char *out, size_t size);

/* Status of a stored proposal. */
enum prop_status {
    PROP_ST_SUBMITTED,
    PROP_ST_UNDER_REVIEW,
    PROP_ST_RECOMMENDED_LOCAL,
    PROP_ST_RECOMMENDED_GROUP,
    PROP_ST_REJECTED,
    PROP_ST_WITHDRAWN,
    PROP_ST_COUNT
};
/* The code ("submitted", "under-review", ...) or the Chinese label (已提交, ...) to a
 * status, or -1. */
int prop_status_parse(const char *s);
/* Static code, NULL when out of range. */
const char *prop_status_code(enum prop_status st);
/* Static Chinese label, NULL when out of range. */
const char *prop_status_label(enum prop_status st);
/* True when a secretariat may move a proposal from `from` to `to` (doc/proposals.md). */
bool prop_status_transition_allowed(enum prop_status from, enum prop_status to);

/* Validation rules that come from outside the library: the known calls and their
 * deadlines (from the taxonomy file's call metadata).  Filled by the caller. */
#define PROP_CALLS_MAX 16
#define PROP_CALL_ID_MAX 32
struct prop_call {
    char id[PROP_CALL_ID_MAX];
    /* Last moment a submission is on time, per track; 0 = that track has no deadline. */
    time_t deadline[PROP_TRACK_COUNT];
};
struct prop_rules {
    struct prop_call calls[PROP_CALLS_MAX];
    size_t ncalls;
};

/* Adds a call (id of 1..31 ASCII letters, digits, '.', '_' or '-').  Returns 0,
 * STDTAX_EINVAL (bad id), STDTAX_ECONFLICT (id already there) or STDTAX_ETOOBIG (table
 * full), with err filled. */
int prop_rules_call_add(struct prop_rules *rules, const char *id, time_t local_deadline,
                        time_t group_deadline, struct stdtax_error *err);
/* Borrowed from rules, NULL when the call is unknown. */
const struct prop_call *prop_rules_call_find(const struct prop_rules *rules,
                                             const char *id);

/* Validates a submission (a JSON object as a client sends it) against the form of its
 * track and the rules.  Appends every problem to the `problems` array as
 * {"pointer": JSON pointer, "detail": English text, "rule": message id, "args":
 * [strings]} (stdtax_problem_add_msg; render with msg_problems_render) (at most
 * PROP_PROBLEMS_MAX, then one last problem saying the list was cut).  Returns 0 when
 * valid, STDTAX_EINVAL when any problem was found, STDTAX_ENOMEM. */
#define PROP_PROBLEMS_MAX 100
int prop_submission_validate(const json_t *submission, const struct prop_rules *rules,
                             json_t *problems);

/* The deadline check.  Returns 0 with *late = false when `now` is at or before the
 * track's deadline of the call (or the track has none); after it, returns 0 with
 * *late = true when is_secretariat, else STDTAX_ELATE.  Unknown call or track:
 * STDTAX_EINVAL. */
int prop_deadline_check(const struct prop_rules *rules, const char *call,
                        const char *track, time_t now, bool is_secretariat, bool *late);

/* The call's file-name convention 单位名称-标准名-地标|团标 for a submission or
 * record: organisation and title with / \ : * ? " < > | and control characters replaced
 * by '_', a leading '.' replaced too, trimmed, each part cut at a character boundary so
 * that the whole name is at most PROP_EXPORT_NAME_MAX bytes.  Writes it NUL-terminated
 * into out (size >= PROP_EXPORT_NAME_MAX + 1).  Returns 0 or STDTAX_EINVAL when
 * organisation, title or track is missing. */
#define PROP_EXPORT_NAME_MAX 200
int prop_export_name(const json_t *submission, char *out, size_t size);

/* Builds the stored record from a valid submission.  The record holds every submitted
 * field at the top level (nulls dropped) and the server fields:
 *   status "submitted", received (RFC 3339 UTC), late,
 *   classification {category, subcategory, confidence, source: "classifier",
 *                   suggested: <classification, shared>, taxonomy_version,
 * model_version}, priority_topics [topic codes], export_name. classification (the
 * record takes a reference: the caller must not change it afterwards) is the
 * classifier's result: "category" and "subcategory" are codes or objects with a
 * "code"; "confidence" a number; "priority_topics" an array of codes or of objects with a
 * "code"; "taxonomy_version" and "model_version" strings. It may be NULL (no
 * classification yet: category null).  *record is new. Returns 0, STDTAX_EINVAL (not an
 * object, no category code) or STDTAX_ENOMEM. */
int prop_record_build(const json_t *submission, const json_t *classification,
                      time_t received, bool late, json_t **record,
                      struct stdtax_error *err);

/* A secretariat correction: sets classification.category/subcategory (subcategory NULL
 * or a code that starts with category + "."), source "secretariat", set_by, set_at
 * (RFC 3339 UTC), confidence null; keeps "suggested" and the versions.  When
 * priority_topics (borrowed, array of codes) is not NULL it replaces the record's.
 * Returns 0, STDTAX_EINVAL (bad code, who empty) or STDTAX_ENOMEM. */
int prop_record_reclassify(json_t *record, const char *category, const char *subcategory,
                           const json_t *priority_topics, const char *who, time_t when,
                           struct stdtax_error *err);

/* Moves the record to `status` (a code) when the transition is allowed, recording
 * status_set_by and status_set_at.  Setting the current status again is a no-op that
 * returns 0.  Returns 0, STDTAX_EINVAL (unknown status, who empty), STDTAX_ECONFLICT (the
 * transition is not allowed) or STDTAX_ENOMEM. */
int prop_record_set_status(json_t *record, const char *status, const char *who,
                           time_t when, struct stdtax_error *err);

/* Formats t as RFC 3339 UTC ("2023-09-01T08:00:00Z") into out (size >= 21).  Returns 0
 * or STDTAX_EINVAL. */
int prop_time_format(time_t t, char *out, size_t size);

/* CSV export and import with the forms' Chinese labels as column names.
 * prop_csv_header writes the UTF-8 BOM and the header row; prop_record_to_csv_row one
 * record (formula guard on).  Nested fields are flattened, arrays joined with "；".
 * Both return 0, STDTAX_EIO or STDTAX_ENOMEM. */
int prop_csv_header(FILE *out);
int prop_record_to_csv_row(const json_t *record, FILE *out);

/* Number of CSV columns and the Chinese label / English name of column i (static, NULL
 * out of range).  The English name of a nested field is dotted: "contact.email". */
size_t prop_csv_column_count(void);
const char *prop_csv_column_label(size_t i);
const char *prop_csv_column_name(size_t i);

/* Converts one CSV row to a submission, the columns named by `header` (Chinese labels
 * of the export, the forms' own labels, or English JSON names).  Empty cells are left
 * out; the export's server columns (编号, 状态, ...) are ignored; arrays are split on
 * "；" or ";"; enums accept codes and Chinese labels; a leading apostrophe added by the
 * formula guard is removed.  Unknown or repeated columns, a row whose cell count differs
 * from the header, unparsable numbers and unknown enum labels are appended to problems
 * (pointer of the field).  *submission (new) is set even when problems were found, so a
 * caller can also run prop_submission_validate on it.  Returns 0, STDTAX_EINVAL or
 * STDTAX_ENOMEM. */
int prop_csv_row_to_submission(const struct csv_row *header, const struct csv_row *row,
                               json_t **submission, json_t *problems);

#endif
