/* Text normalisation before matching and scoring.
 *
 * The output is UTF-8 where: full-width ASCII (U+FF01..U+FF5E) becomes half-width, the
 * ideographic space and every Unicode space becomes ' ', Latin letters are case-folded
 * (ASCII, Latin-1 and Latin Extended-A upper case to lower case), every run of spaces and
 * punctuation (ASCII and CJK punctuation, general punctuation U+2000..U+206F, CJK symbols
 * U+3000..U+303F, full-width forms punctuation) becomes one ' ', and the text is trimmed.
 * Letters, digits and CJK ideographs are kept.  Each output byte knows the byte offset of
 * the input character it came from, so evidence can point into the caller's text.
 * Details (the rule table is in normalise.c): all ASCII punctuation, '+', '#', '/' and
 * '.' included, becomes a space ("C++" -> "c", "VR/AR" -> "vr ar"), so keywords must be
 * normalised with the same function; control characters count as spaces; invisible
 * format characters (soft hyphen, zero-width space and joiners, bidi marks, BOM) are
 * removed without a space so they cannot split a word; 〇 々 and the other letters and
 * numerals of the CJK symbols block are kept. */
#ifndef STDTAX_NORMALISE_H
#define STDTAX_NORMALISE_H

#include <stddef.h>

#include "stdtax/error.h"

struct norm_text {
    char *bytes;        /* NUL-terminated normalised UTF-8 */
    size_t len;         /* bytes, without the NUL */
    size_t *src_offset; /* len + 1 entries: input byte offset of each output byte;
                           src_offset[len] is the input length */
};

/* Normalises in[0..len).  Invalid UTF-8 (or a NUL byte) is STDTAX_EUTF8 with err->text
 * naming the byte offset.  out is filled on success and must be released with
 * norm_text_free; on failure it is left empty.  Returns 0 or an enum stdtax_err. */
int norm_text_new(const char *in, size_t len, struct norm_text *out,
                  struct stdtax_error *err);

void norm_text_free(struct norm_text *text);

/* norm_text_new into the caller's buffers, for callers that classify many texts without
 * allocating: in must be valid UTF-8 without NUL (checked by the caller); bytes has room
 * for len + 1 bytes and offs (NULL: not wanted) for len + 1 entries.  Returns the
 * normalised length; bytes is NUL-terminated. */
size_t norm_text_fill(const char *in, size_t len, char *bytes, size_t *offs);

/* Normalises a short string (a keyword) into a new NUL-terminated buffer (caller frees).
 * Returns NULL on invalid UTF-8 or out of memory. */
char *norm_string_new(const char *in);

#endif
