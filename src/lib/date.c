#include "stdtax/date.h"
#include "stdtax/error.h"

#include <stdbool.h>

/* Reads n ASCII digits at s into *out; false when any is not a digit. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_parse(const char *s, size_t len, struct date_ymd *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (!s || len != 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
        s[7] != '-' || !digits(s + 8, 2, &d))
        return STDTAX_EINVAL;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && is_leap(y)))
        return STDTAX_EINVAL;
    out->year = y;
    out->month = m;
    out->day = d;
    return 0;
}

/* H. Hinnant's days_from_civil: exact for every proleptic Gregorian date. */
int64_t date_days(const struct date_ymd *date)
{
    int64_t y = date->year - (date->month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy =
        (153 * (date->month + (date->month > 2 ? -3 : 9)) + 2) / 5 + date->day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int date_time_parse(const char *s, size_t len, int64_t *usec)
{
    struct date_ymd date;
    int h, mi, se, oh = 0, om = 0;
    /* The shortest form, "YYYY-MM-DDThh:mm:ssZ", has 20 bytes. */
    if (!s || len < 20 || date_parse(s, 10, &date) != 0 ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se) || h > 23 || mi > 59 || se > 60)
        return STDTAX_EINVAL;
    const char *p = s + 19, *end = s + len;
    int64_t frac = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, n++)
            if (n < 6)
                frac = frac * 10 + (*p - '0');
        if (n == 0 || n > 9)
            return STDTAX_EINVAL;
        for (; n < 6; n++)
            frac *= 10;
    }
    int sign = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        sign = *p == '+' ? 1 : -1;
        if (end - p < 6 || !digits(p + 1, 2, &oh) || p[3] != ':' ||
            !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return STDTAX_EINVAL;
        p += 6;
    } else {
        return STDTAX_EINVAL;
    }
    if (p != end)
        return STDTAX_EINVAL;
    int64_t secs = date_days(&date) * 86400 + h * 3600 + mi * 60 + se;
    secs -= sign * (oh * 3600 + om * 60);
    *usec = secs * 1000000 + frac;
    return 0;
}
