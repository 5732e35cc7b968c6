/* Keys that say two records name the same standard (stdident.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/error.h"
#include "stdtax/normalise.h"
#include "stdtax/stdident.h"

/* Words a number may carry or not for the same document: "Std", the kind of an ISO
 * deliverable, a draft's stage. */
static const char *const number_noise[] = {"std", "tr",   "ts",  "draft",
                                           "dis", "fdis", "dtr", "dts"};

static bool has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return true;
    return false;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

static bool is_year(const char *s, size_t n)
{
    return n == 4 && all_digits(s, n) &&
           (memcmp(s, "19", 2) == 0 || memcmp(s, "20", 2) == 0);
}

static bool is_noise(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof number_noise / sizeof number_noise[0]; i++)
        if (strlen(number_noise[i]) == n && memcmp(number_noise[i], s, n) == 0)
            return true;
    return false;
}

int stdident_number_key(const char *code, char **key)
{
    *key = NULL;
    char *norm = norm_string_new(code);
    if (!norm)
        return STDTAX_EUTF8; /* norm_string_new: bad UTF-8, or out of memory */
    /* Tokens in place; the key is never longer than the normalised text. */
    size_t len = strlen(norm), out = 0, last_start = 0, last_len = 0, numbers = 0;
    size_t first_start = SIZE_MAX;
    /* In a Latin code the first number is the document's even when it looks like a
     * year (IEEE 2030-2011); a CJK placeholder's only number is a year
     * (国家标准（2026，编号不详）). */
    bool latin = true;
    for (size_t i = 0; i < len; i++)
        latin = latin && (unsigned char)norm[i] < 0x80;
    char *k = malloc(len + 1);
    if (!k) {
        free(norm);
        return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < len;) {
        while (i < len && norm[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && norm[i] != ' ')
            i++;
        const char *t = norm + start;
        size_t n = i - start;
        if (n == 0 || is_noise(t, n))
            continue;
        if (n > 1 && t[0] == 'p' && all_digits(t + 1, n - 1))
            t++, n--; /* IEEE P3168, the project of IEEE Std 3168 */
        bool number = has_digit(t, n) && (!is_year(t, n) || (latin && numbers == 0));
        if (out)
            k[out++] = ' ';
        if (number && numbers++ == 0)
            first_start = out;
        last_start = out;
        last_len = n;
        memcpy(k + out, t, n);
        out += n;
    }
    /* The year of the edition, after the number: the same document with or without
     * it.  Never the number itself (IEEE 2030). */
    if (last_start != first_start && is_year(k + last_start, last_len))
        out = last_start > 0 ? last_start - 1 : 0;
    k[out] = '\0';
    free(norm);
    if (numbers == 0) { /* "GB/T", "国家标准（2026，编号不详）": no number to compare */
        free(k);
        return 0;
    }
    *key = k;
    return 0;
}

/* CJK numerals of part numbers, each three UTF-8 bytes. */
static const struct {
    const char *utf8;
    int value; /* 10 for 十 */
} numerals[] = {{"零", 0}, {"一", 1}, {"二", 2}, {"三", 3}, {"四", 4}, {"五", 5},
                {"六", 6}, {"七", 7}, {"八", 8}, {"九", 9}, {"十", 10}};

static int numeral_at(const char *s)
{
    for (size_t i = 0; i < sizeof numerals / sizeof numerals[0]; i++)
        if (memcmp(s, numerals[i].utf8, 3) == 0)
            return numerals[i].value;
    return -1;
}

/* 第X部分 with X in Chinese numerals from 1 to 99 (三, 十, 十二, 二十, 二十一): the
 * value, and *used the bytes of X; -1 when s does not hold one (第二二部分, 第十十部分).
 */
static int part_number(const char *s, size_t n, size_t *used)
{
    size_t i = 0;
    int tens = -1, units = -1, v = n >= 3 ? numeral_at(s) : -1;
    if (v >= 1 && v <= 9) {
        units = v;
        i += 3;
        v = n - i >= 3 ? numeral_at(s + i) : -1;
    }
    if (v == 10) {
        tens = units < 0 ? 1 : units;
        units = -1;
        i += 3;
        v = n - i >= 3 ? numeral_at(s + i) : -1;
        if (v >= 1 && v <= 9) {
            units = v;
            i += 3;
        }
    }
    if (i == 0 || n - i < 6 || memcmp(s + i, "部分", 6) != 0)
        return -1;
    *used = i;
    return (tens < 0 ? 0 : tens * 10) + (units < 0 ? 0 : units);
}

static const char *const draft_stages[] = {"征求意见稿", "送审稿", "报批稿"};

int stdident_title_key(const char *title, char **key)
{
    *key = NULL;
    char *norm = norm_string_new(title);
    if (!norm)
        return STDTAX_EUTF8;
    size_t len = strlen(norm), out = 0;
    /* Digits of a part number are never longer than its numerals (two per three bytes).
     */
    char *k = malloc(len + 1);
    if (!k) {
        free(norm);
        return STDTAX_ENOMEM;
    }
    for (size_t i = 0; i < len;) {
        if (norm[i] == ' ') {
            i++;
            continue;
        }
        /* A draft's stage as a segment of its own ("（征求意见稿）"), not inside a
         * word (送审稿管理系统). */
        size_t skip = 0;
        for (size_t d = 0; d < sizeof draft_stages / sizeof draft_stages[0]; d++) {
            size_t dn = strlen(draft_stages[d]);
            if (len - i >= dn && memcmp(norm + i, draft_stages[d], dn) == 0 &&
                (i == 0 || norm[i - 1] == ' ') && (i + dn == len || norm[i + dn] == ' '))
                skip = dn;
        }
        if (skip) {
            i += skip;
            continue;
        }
        size_t used = 0;
        int part = len - i >= 3 && memcmp(norm + i, "第", 3) == 0
                       ? part_number(norm + i + 3, len - i - 3, &used)
                       : -1;
        if (part >= 0) {
            memcpy(k + out, "第", 3);
            out += 3;
            if (part >= 10)
                k[out++] = (char)('0' + part / 10);
            k[out++] = (char)('0' + part % 10);
            i += 3 + used;
            continue;
        }
        k[out++] = norm[i++];
    }
    k[out] = '\0';
    free(norm);
    if (out == 0) {
        free(k);
        return 0;
    }
    *key = k;
    return 0;
}
