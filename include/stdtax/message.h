/* The one table of messages people read: message id -> English, Chinese.
 *
 * The library never picks a language.  A validation problem carries the id of its rule
 * and the rule's arguments (stdtax_problem_add_msg), so that the daemon and the CLI
 * render it in their caller's language (msg_problems_render); its "detail" is already
 * the English text, for callers that do not care.  Texts made elsewhere in English
 * from a message of the table (the daemon's details, the library's error texts) are
 * translated after the fact by matching them against the table, as gettext finds a
 * msgid (msg_translate).  doc/http-errors.md, "Languages". */
#ifndef STDTAX_MESSAGE_H
#define STDTAX_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum msg_lang { MSG_EN = 0, MSG_ZH = 1, MSG_LANG_COUNT };

/* The messages with a fixed id: validation rules and the problem types' titles.  The
 * daemon's details have ids too, found by their English text. */
enum msg_id {
    MSG_NONE = 0, /* no problem */
    /* types and text */
    MSG_NOT_OBJECT,
    MSG_TYPE_STRING,
    MSG_TYPE_DATE,
    MSG_TYPE_NUMBER,
    MSG_TYPE_ARRAY,
    MSG_TYPE_OBJECT,
    MSG_TEXT_UTF8,
    MSG_TEXT_NUL,
    MSG_TEXT_CONTROL,
    MSG_LINE_CONTROL,
    MSG_EMPTY,
    MSG_TOO_LONG_CHARS,
    MSG_TOO_LONG_BYTES,
    MSG_TOO_MANY_ITEMS,
    MSG_REPEATED_ITEM,
    MSG_ENUM,
    MSG_NUMBER_RANGE,
    MSG_DATE,
    MSG_UNKNOWN_FIELD,
    MSG_OTHER_FORM_LOCAL,
    MSG_OTHER_FORM_GROUP,
    MSG_REQUIRED,
    MSG_LIST_CUT,
    /* formats */
    MSG_EMAIL_FORMAT,
    MSG_EMAIL_LOCAL_LENGTH,
    MSG_EMAIL_LOCAL_CHAR,
    MSG_EMAIL_LOCAL_DOT,
    MSG_EMAIL_DOMAIN,
    MSG_EMAIL_DOMAIN_CHAR,
    MSG_EMAIL_DOMAIN_LABEL,
    MSG_EMAIL_DOMAIN_HYPHEN,
    MSG_EMAIL_TLD,
    MSG_EMAIL_NO_TLD,
    MSG_PHONE_CHAR,
    MSG_PHONE_PLUS,
    MSG_PHONE_PARENS,
    MSG_PHONE_DIGITS,
    MSG_PHONE_EXTENSION,
    MSG_ICS,
    MSG_CCS,
    MSG_CREDIT_CODE_FORM,
    MSG_CREDIT_CODE_CHECK,
    MSG_CREDIT_CODE_SHANGHAI,
    MSG_CALL_ID_LENGTH,
    MSG_CALL_ID_CHAR,
    MSG_CALL_UNKNOWN,
    MSG_CALL_UNKNOWN_NONE,
    /* across fields */
    MSG_END_BEFORE_START,
    MSG_REVISION_NEEDS_REPLACES,
    MSG_NEW_REFUSES_REPLACES,
    MSG_MANDATORY_NEEDS,
    MSG_CONTACT_PHONE_OR_EMAIL,
    MSG_SECONDING_LEAD,
    MSG_SECONDING_COUNT,
    MSG_ADOPTION_TITLE,
    /* CSV import */
    MSG_CSV_CELLS,
    MSG_CSV_UNKNOWN_COLUMN,
    MSG_CSV_COLUMN_TWICE,
    MSG_CSV_UNKNOWN_VALUE,
    MSG_CSV_NOT_NUMBER,
    /* the problem types' titles (doc/http-errors.md) */
    MSG_TITLE_UNPARSABLE,
    MSG_TITLE_INVALID_UTF8,
    MSG_TITLE_UNAUTHORIZED,
    MSG_TITLE_FORBIDDEN,
    MSG_TITLE_NOT_FOUND,
    MSG_TITLE_METHOD,
    MSG_TITLE_NOT_ACCEPTABLE,
    MSG_TITLE_CONFLICT,
    MSG_TITLE_TOO_LARGE,
    MSG_TITLE_URI_TOO_LONG,
    MSG_TITLE_MEDIA_TYPE,
    MSG_TITLE_INVALID,
    MSG_TITLE_EMPTY_TEXT,
    MSG_TITLE_LATE,
    MSG_TITLE_TOO_MANY,
    MSG_TITLE_NOMEM,
    MSG_TITLE_IO,
    MSG_TITLE_STORE,
    MSG_TITLE_VERSION,
    MSG_TITLE_INTERNAL,
    MSG_TITLE_UNAVAILABLE,
    MSG_TITLE_NO_SPACE,
    MSG_ID_COUNT /* the end of the fixed ids; the daemon's details follow in the table */
};

/* Messages are printf formats.  A rule's message (an id below MSG_ID_COUNT) takes only
 * "%s" arguments, so that it can be rendered again later from the strings it kept;
 * a daemon detail takes what its call site passes.  Both texts of a message have the
 * same conversions in the same order (tests/unit/test_message.c). */
struct msg {
    const char *id; /* stable name: a problem's "rule", e.g. "phone-digits" */
    const char *text[MSG_LANG_COUNT]; /* English, Chinese */
};

/* The table: every message, the fixed ids first in enum order (static). */
const struct msg *msg_table(size_t *count);

/* The message of a fixed id, or NULL out of range (static). */
const struct msg *msg_of(enum msg_id id);

/* The text of a fixed id in a language, never NULL (static). */
const char *msg_text(enum msg_id id, enum msg_lang lang);

/* Renders a rule's message with its string arguments (at most 4) into out. */
void msg_render(const struct msg *m, enum msg_lang lang, const char *const *args,
                size_t nargs, char *out, size_t size);

/* Appends {"pointer", "detail": English text, "rule": id, "args": [strings]} to
 * problems; args is a NULL-terminated list of at most 4 strings (borrowed).  Returns 0
 * or STDTAX_ENOMEM. */
int stdtax_problem_add_msg(json_t *problems, const char *pointer, enum msg_id id,
                           const char *const *args);

/* Translates an English text made from a message of the table (a daemon's detail, a
 * library's error text) into lang: the message whose English text matches, each
 * conversion standing for at least one character (the message with the most fixed
 * text wins), rendered in lang with the same arguments; an argument that is itself a
 * message is translated too.  Returns false (out untouched) when no message matches
 * or lang is English. */
bool msg_translate(const char *english, enum msg_lang lang, char *out, size_t size);

/* A problem's detail in lang (rendered from its rule and args, else its detail
 * translated, else its detail as it is), into out. */
void msg_problem_detail(const json_t *problem, enum msg_lang lang, char *out,
                        size_t size);

/* Rewrites each problem of the array in lang: "detail" rendered from its "rule" and
 * "args", or translated (msg_translate) when it has no rule; "args" removed.  For
 * every answer: call it also in English, to drop the arguments. */
void msg_problems_render(json_t *problems, enum msg_lang lang);

/* The language an HTTP Accept-Language header prefers (RFC 9110 12.5.4): the zh or en
 * range of the highest q (q=0 is "not this one"); the first listed wins a tie; no
 * header, no zh or en range, or a malformed header: English. */
enum msg_lang msg_lang_from_accept_language(const char *header);

/* The language of a POSIX locale, from the values of LC_ALL, LC_MESSAGES and LANG (any
 * may be NULL), in that order of precedence: Chinese when the first set one starts with
 * "zh", else English. */
enum msg_lang msg_lang_from_locale(const char *lc_all, const char *lc_messages,
                                   const char *lang);

/* "en" or "zh-CN", for Content-Language (static). */
const char *msg_lang_tag(enum msg_lang lang);

#endif
