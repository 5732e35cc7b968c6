/* The one date parser: calendar dates and RFC 3339 date-times. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "stdtax/date.h"
#include "stdtax/error.h"

static int parse(const char *s, struct date_ymd *d)
{
    return date_parse(s, strlen(s), d);
}

static int parse_time(const char *s, int64_t *usec)
{
    return date_time_parse(s, strlen(s), usec);
}

Test(date, valid_dates)
{
    struct date_ymd d;
    cr_assert_eq(parse("2023-09-12", &d), 0);
    cr_expect_eq(d.year, 2023);
    cr_expect_eq(d.month, 9);
    cr_expect_eq(d.day, 12);
    cr_assert_eq(parse("0000-01-01", &d), 0);
    cr_expect_eq(d.year, 0);
    cr_assert_eq(parse("9999-12-31", &d), 0);
    cr_expect_eq(d.year, 9999);
    static const char *const month_ends[] = {"2023-01-31", "2023-03-31", "2023-04-30",
                                             "2023-05-31", "2023-06-30", "2023-07-31",
                                             "2023-08-31", "2023-09-30", "2023-10-31",
                                             "2023-11-30", "2023-12-31"};
    for (size_t i = 0; i < sizeof month_ends / sizeof month_ends[0]; i++)
        cr_expect_eq(parse(month_ends[i], &d), 0, "%s", month_ends[i]);
}

Test(date, leap_years)
{
    struct date_ymd d;
    static const char *const leap[] = {"2024-02-29", "2000-02-29", "1600-02-29",
                                       "0000-02-29", "2196-02-29"};
    for (size_t i = 0; i < sizeof leap / sizeof leap[0]; i++) {
        cr_expect_eq(parse(leap[i], &d), 0, "%s", leap[i]);
        cr_expect_eq(d.day, 29, "%s", leap[i]);
    }
}

Test(date, feb_29_of_common_years_is_refused)
{
    struct date_ymd d = {1, 2, 3};
    static const char *const common[] = {"2023-02-29", "1900-02-29", "2100-02-29",
                                         "2200-02-29", "2024-02-30"};
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        cr_expect_eq(parse(common[i], &d), STDTAX_EINVAL, "%s", common[i]);
    cr_expect(d.year == 1 && d.month == 2 && d.day == 3, "out untouched on refusal");
}

Test(date, months_and_days_out_of_range)
{
    struct date_ymd d;
    static const char *const bad[] = {"2023-00-10", "2023-13-01", "2023-99-01",
                                      "2023-01-00", "2023-01-32", "2023-04-31",
                                      "2023-06-31", "2023-09-31", "2023-11-31"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse(bad[i], &d), STDTAX_EINVAL, "%s", bad[i]);
}

Test(date, shape_garbage_empty_and_too_long)
{
    struct date_ymd d;
    static const char *const bad[] = {
        "",           "2023",        "2023-9-12",   "2023-09-1",   "23-09-12",
        "2023/09/12", "2023-09-12 ", " 2023-09-12", "2023-09-12x", "2023-09-12T00:00:00Z",
        "+023-09-12", "-023-09-12",  "2023- 9-12",  "2023-+9-12",  "２０２３-09-12",
        "20230-9-12", "2023-09-123", "abcd-ef-gh"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse(bad[i], &d), STDTAX_EINVAL, "\"%s\"", bad[i]);
    /* The length counts, not a NUL: a date followed by a NUL byte is too long. */
    cr_expect_eq(date_parse("2023-09-12\0", 11, &d), STDTAX_EINVAL);
    cr_expect_eq(date_parse("2023-09-12", 9, &d), STDTAX_EINVAL);
    cr_expect_eq(date_parse(NULL, 10, &d), STDTAX_EINVAL);
}

Test(date, days_order_dates)
{
    struct date_ymd d;
    cr_assert_eq(parse("1970-01-01", &d), 0);
    cr_expect_eq(date_days(&d), 0);
    cr_assert_eq(parse("2023-09-12", &d), 0);
    cr_expect_eq(date_days(&d), 19612);
    cr_assert_eq(parse("1969-12-31", &d), 0);
    cr_expect_eq(date_days(&d), -1);
    cr_assert_eq(parse("2024-03-01", &d), 0);
    int64_t march = date_days(&d);
    cr_assert_eq(parse("2024-02-29", &d), 0);
    cr_expect_eq(march - date_days(&d), 1);
    /* Against the C library over four centuries, one day in 97. */
    for (int64_t day = -200000; day < 200000; day += 97) {
        time_t t = (time_t)(day * 86400);
        struct tm tm;
        cr_assert_not_null(gmtime_r(&t, &tm));
        struct date_ymd x = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
        cr_expect_eq(date_days(&x), day, "%04d-%02d-%02d", x.year, x.month, x.day);
    }
}

Test(date_time, offsets_and_fractions)
{
    int64_t a, b, c;
    cr_assert_eq(parse_time("2023-09-12T08:00:00+08:00", &a), 0);
    cr_assert_eq(parse_time("2023-09-12T00:00:00Z", &b), 0);
    cr_expect_eq(a, b);
    cr_expect_eq(b, INT64_C(1694476800) * 1000000);
    cr_assert_eq(parse_time("2023-09-11t19:30:00-04:30", &c), 0);
    cr_expect_eq(c, b);
    cr_assert_eq(parse_time("2023-09-12 00:00:00.25z", &c), 0);
    cr_expect_eq(c - b, 250000);
    cr_assert_eq(parse_time("2023-09-12T00:00:00.123456789Z", &c), 0);
    cr_expect_eq(c - b, 123456, "cut to microseconds");
    cr_assert_eq(parse_time("2023-09-12T23:59:60Z", &c), 0);
    cr_expect_eq(c - b, INT64_C(86400) * 1000000, "a leap second is the next minute");
    cr_assert_eq(parse_time("1969-12-31T23:59:59.5Z", &c), 0);
    cr_expect_eq(c, -500000);
    cr_assert_eq(parse_time("2023-09-12T23:59:59+08:00", &c), 0);
    cr_expect_eq(c / 1000000, 1694534399);
}

Test(date_time, leap_years_through_the_date_parser)
{
    int64_t t;
    cr_expect_eq(parse_time("2024-02-29T00:00:00Z", &t), 0);
    cr_expect_eq(parse_time("2000-02-29T00:00:00Z", &t), 0);
    cr_expect_eq(parse_time("2023-02-29T00:00:00Z", &t), STDTAX_EINVAL);
    cr_expect_eq(parse_time("1900-02-29T00:00:00Z", &t), STDTAX_EINVAL);
    cr_expect_eq(parse_time("2023-02-30T00:00:00Z", &t), STDTAX_EINVAL);
}

Test(date_time, refused)
{
    int64_t t = 42;
    static const char *const bad[] = {
        "",
        "2023-09-12",
        "2023-09-12T00:00:00",             /* no offset */
        "2023-09-12T00:00:00+0800",        /* offset without colon */
        "2023-09-12T00:00:00+08",          /* offset cut */
        "2023-09-12T00:00:00+24:00",       /* offset hour */
        "2023-09-12T00:00:00+08:60",       /* offset minute */
        "2023-13-01T00:00:00Z",            /* month */
        "2023-09-12T24:00:00Z",            /* hour */
        "2023-09-12T00:60:00Z",            /* minute */
        "2023-09-12T00:00:61Z",            /* second */
        "2023-09-12X00:00:00Z",            /* separator */
        "2023-09-12T0:00:00Z",             /* one-digit hour */
        "2023-09-12T 8:00:00Z",            /* space in a number */
        "2023-09-12T+8:00:00Z",            /* sign in a number */
        "-001-01-01T00:00:00Z",            /* negative year */
        "2023-09-12T00:00:00.Z",           /* empty fraction */
        "2023-09-12T00:00:00.1234567890Z", /* fraction over 9 digits */
        "2023-09-12T00:00:00Zjunk",        /* trailing garbage */
        "2023-09-12T00:00:00Z ",           /* trailing space */
        " 2023-09-12T00:00:00Z",           /* leading space */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse_time(bad[i], &t), STDTAX_EINVAL, "\"%s\"", bad[i]);
    cr_expect_eq(t, 42, "usec untouched on refusal");
    /* A NUL inside the given length is garbage, not an end. */
    cr_expect_eq(date_time_parse("2023-09-12T00:00:00Z\0", 21, &t), STDTAX_EINVAL);
    cr_expect_eq(date_time_parse("2023-09-12T00:00:00+08:00", 24, &t), STDTAX_EINVAL);
    cr_expect_eq(date_time_parse(NULL, 20, &t), STDTAX_EINVAL);
}
