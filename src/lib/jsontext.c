#include "stdtax/jsontext.h"

size_t jsontext_string_write(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* upper case, as jansson */
    static const char short_escape[32] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
                                          ['\r'] = 'r', ['\t'] = 't'};
    char *w = out;
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *w++ = (char)c;
            continue;
        }
        *w++ = '\\';
        if (c == '"' || c == '\\') {
            *w++ = (char)c;
        } else if (short_escape[c]) {
            *w++ = short_escape[c];
        } else {
            *w++ = 'u';
            *w++ = '0';
            *w++ = '0';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    *w++ = '"';
    return (size_t)(w - out);
}
