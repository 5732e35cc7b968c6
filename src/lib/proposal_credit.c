/* The unified social credit code (统一社会信用代码, GB 32100-2015) of the proposing
 * unit, and the call's condition 三(一) that the unit is registered in Shanghai.
 *
 * The code has 18 characters from the standard's alphabet of 31 (the digits and the
 * capitals without I, O, S, V, Z): 1 registration department, 1 kind of unit, 6 the
 * administrative division of the registration authority (GB/T 2260: Shanghai is
 * 31xxxx), 9 the organisation code, 1 check character.  The check character is
 * 31 - (sum of value(c_i) * 3^(i-1) mod 31, i = 1..17) mod 31, written as the character
 * of that value (31 is written 0). */
#include <string.h>

#include "stdtax/proposal.h"

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

enum { CREDIT_LEN = 18, DIVISION_AT = 2, DIVISION_LEN = 6 };

static int value_of(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

enum msg_id prop_credit_code_check(const char *s, size_t len)
{
    if (len != CREDIT_LEN)
        return MSG_CREDIT_CODE_FORM;
    int sum = 0, weight = 1;
    for (size_t i = 0; i < CREDIT_LEN; i++) {
        int v = value_of(s[i]);
        bool digit_here = i >= DIVISION_AT && i < DIVISION_AT + DIVISION_LEN;
        if (v < 0 || (digit_here && v > 9))
            return MSG_CREDIT_CODE_FORM;
        if (i + 1 < CREDIT_LEN) {
            sum += v * weight;
            weight = weight * 3 % 31;
        }
    }
    int check = (31 - sum % 31) % 31;
    if (value_of(s[CREDIT_LEN - 1]) != check)
        return MSG_CREDIT_CODE_CHECK;
    if (s[DIVISION_AT] != '3' || s[DIVISION_AT + 1] != '1')
        return MSG_CREDIT_CODE_SHANGHAI;
    return MSG_NONE;
}
