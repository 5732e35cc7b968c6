/* Dates as the project writes them: a calendar date "YYYY-MM-DD" (the forms' planned
 * dates) and an RFC 3339 date-time with an offset (the calls' deadlines, a record's
 * received).  The one parser of both: the date-time reads its date with date_parse. */
#ifndef STDTAX_DATE_H
#define STDTAX_DATE_H

#include <stddef.h>
#include <stdint.h>

/* A day of the proleptic Gregorian calendar. */
struct date_ymd {
    int year;  /* 0..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* Parses exactly s[0..len) as "YYYY-MM-DD": four, two and two ASCII digits naming a real
 * day (2023-02-29 is refused, 2024-02-29 accepted); no sign, space or anything else
 * before or after.  Returns 0 with *out filled, or STDTAX_EINVAL (*out untouched). */
int date_parse(const char *s, size_t len, struct date_ymd *out);

/* Days from 1970-01-01 to the date, negative before it: dates compare as these do. */
int64_t date_days(const struct date_ymd *date);

/* Parses exactly s[0..len) as an RFC 3339 date-time with a mandatory offset:
 * YYYY-MM-DD, then 'T', 't' or ' ', hh:mm:ss (hour 00..23, minute 00..59, second 00..60),
 * an optional '.' and 1 to 9 digits (cut to microseconds), then 'Z', 'z', +hh:mm or
 * -hh:mm (hour 00..23, minute 00..59).  Returns 0 with *usec the microseconds since
 * 1970-01-01T00:00:00Z, or STDTAX_EINVAL (*usec untouched). */
int date_time_parse(const char *s, size_t len, int64_t *usec);

#endif
