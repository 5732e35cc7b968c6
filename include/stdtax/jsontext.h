/* Writing JSON text without building a jansson tree (the hot paths: HTTP answers and
 * stored records), byte for byte as jansson writes it. */
#ifndef STDTAX_JSONTEXT_H
#define STDTAX_JSONTEXT_H

#include <stddef.h>

/* Upper bound of what jsontext_string_write writes for n input bytes. */
#define JSONTEXT_STRING_MAX(n) ((n)*6 + 2)

/* Writes s[0..n) as a quoted JSON string into out, which has room for at least
 * JSONTEXT_STRING_MAX(n) bytes, escaping as jansson does without JSON_ENSURE_ASCII:
 * '"', '\\' and control characters.  Returns the number of bytes written. */
size_t jsontext_string_write(char *out, const char *s, size_t n);

/* Room jsontext_real_write needs. */
#define JSONTEXT_REAL_MAX 40

/* Writes v as jansson's jsonp_dtostr does at the given precision (jansson's default is
 * 17, JSON_REAL_PRECISION(15) gives 15): %.<precision>g, ".0" when the text would read
 * back as an integer, no '+' or leading zeros in the exponent.  out has JSONTEXT_REAL_MAX
 * bytes. Returns the length, or 0 for NaN, infinities and a precision outside 1..17. */
size_t jsontext_real_write(char *out, double v, int precision);

#endif
