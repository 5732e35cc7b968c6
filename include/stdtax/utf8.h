/* UTF-8 validation and decoding (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#ifndef STDTAX_UTF8_H
#define STDTAX_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 when s[0..len) is valid UTF-8 with no NUL byte, else STDTAX_EUTF8 and,
 * when bad_offset is not NULL, the byte offset of the first bad sequence. */
int utf8_text_validate(const char *s, size_t len, size_t *bad_offset);

/* Decodes one code point at s[0..len).  Returns the number of bytes used (1..4),
 * or 0 for an invalid or truncated sequence. */
size_t utf8_char_decode(const char *s, size_t len, uint32_t *cp);

/* Encodes cp into out (at least 4 bytes); returns the number of bytes (1..4), 0 if cp is
 * not a scalar value. */
size_t utf8_char_encode(uint32_t cp, char *out);

#endif
