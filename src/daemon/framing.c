#include "framing.h"

#include <string.h>

/* RFC 9110 5.6.2: the characters of a method or a field name. */
static bool is_tchar(unsigned char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c && memchr(extra, c, sizeof extra - 1));
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int refuse(struct framing *f, int status, const char *reason)
{
    f->expect = FRAMING_REFUSED;
    f->status = status;
    f->reason = reason;
    return status;
}

static bool ascii_equal_nocase(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if ((a[i] | 0x20) != (b[i] | 0x20))
            return false;
    return true;
}

void framing_init(struct framing *f)
{
    memset(f, 0, sizeof *f);
    f->expect = FRAMING_REQUEST_LINE;
}

static int request_line(struct framing *f, char *p, size_t len)
{
    size_t i = 0;
    while (i < len && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i == len || p[i] != ' ')
        return refuse(f, 400, "malformed method in the request line");
    f->body_forbidden =
        (i == 4 && memcmp(p, "HEAD", 4) == 0) || (i == 5 && memcmp(p, "TRACE", 5) == 0);
    f->connect = i == 7 && memcmp(p, "CONNECT", 7) == 0;
    size_t t = ++i;
    while (i < len && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] != 0x7f)
        i++;
    if (i == t || i == len || p[i] != ' ')
        return refuse(f, 400, "a control character or space in the request target");
    const char *v = p + i + 1;
    if ((size_t)(len - i - 1) != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
        v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
        return refuse(f, 400, "malformed HTTP version in the request line");
    f->major = (unsigned)(v[5] - '0');
    f->minor = (unsigned)(v[7] - '0');
    if (f->major != 1 || f->minor > 1)
        return refuse(f, 505, "only HTTP/1.0 and HTTP/1.1 are served");
    f->expect = FRAMING_HEADER;
    return 0;
}

/* Content-Length: digits only, no sign, no space inside, no list. */
static void content_length(struct framing *f, const char *v, size_t n)
{
    f->lengths++;
    uint64_t x = 0;
    if (n == 0 || n > 18)
        f->length_bad = true;
    for (size_t i = 0; i < n && !f->length_bad; i++) {
        if (v[i] < '0' || v[i] > '9')
            f->length_bad = true;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    f->length = x;
}

static int head_end(struct framing *f)
{
    if (f->encodings > 1 || f->encoding_bad)
        return refuse(f, 400, "Transfer-Encoding other than exactly chunked");
    if (f->encodings && f->minor == 0)
        return refuse(f, 400, "a chunked body in HTTP/1.0");
    if (f->lengths > 1 || f->length_bad)
        return refuse(f, 400, "Content-Length is not one number of digits");
    if (f->lengths && f->encodings)
        return refuse(f, 400, "both Content-Length and Transfer-Encoding");
    if (f->minor == 1 && f->hosts != 1)
        return refuse(f, 400, "an HTTP/1.1 request needs exactly one Host header");
    /* evhttp reads no body for HEAD or TRACE: what follows would be a request to
     * it and a body to a proxy. */
    if (f->body_forbidden && (f->encodings || f->length))
        return refuse(f, 400, "a HEAD or TRACE request with a body");
    f->skip = f->encodings ? 0 : f->length;
    f->expect = f->encodings ? FRAMING_CHUNK_SIZE
                : f->skip    ? FRAMING_BODY
                             : FRAMING_REQUEST_LINE;
    return 0;
}

static int header_line(struct framing *f, char *p, size_t len)
{
    if (len == 0)
        return head_end(f);
    if (p[0] == ' ' || p[0] == '\t')
        return refuse(f, 400, "a folded header line (obs-fold)");
    size_t i = 0;
    while (i < len && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i == len || p[i] != ':')
        return refuse(f, 400, "a header name with a space or a control character");
    size_t name_len = i++;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t vstart = i, vend = i;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return refuse(f, 400, "a control character in a header value");
        if (c != ' ' && c != '\t')
            vend = i + 1;
    }
    const char *v = p + vstart;
    size_t vlen = vend - vstart;
    if (ascii_equal_nocase(p, name_len, "Content-Length")) {
        content_length(f, v, vlen);
    } else if (ascii_equal_nocase(p, name_len, "Transfer-Encoding")) {
        f->encodings++;
        f->encoding_bad |= !ascii_equal_nocase(v, vlen, "chunked");
    } else if (ascii_equal_nocase(p, name_len, "Host")) {
        f->hosts++;
    }
    return 0;
}

/* chunk-size [ ";" chunk-ext ]: bare hex; the extension, which evhttp refuses,
 * becomes spaces, which it skips. */
static int chunk_size_line(struct framing *f, char *p, size_t len)
{
    size_t i = 0;
    uint64_t size = 0;
    while (i < len && hex_value((unsigned char)p[i]) >= 0) {
        if (i == 15)
            return refuse(f, 400, "a chunk size over 15 hex digits");
        size = size * 16 + (uint64_t)hex_value((unsigned char)p[i]);
        i++;
    }
    if (i == 0 || (i < len && p[i] != ';'))
        return refuse(f, 400, "a chunk size that is not bare hex");
    for (size_t j = i; j < len; j++) {
        unsigned char c = (unsigned char)p[j];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return refuse(f, 400, "a control character in a chunk extension");
    }
    memset(p + i, ' ', len - i);
    f->skip = size;
    f->expect = size ? FRAMING_CHUNK_DATA : FRAMING_TRAILER;
    return 0;
}

int framing_line(struct framing *f, char *line, size_t len)
{
    if (f->expect == FRAMING_REFUSED)
        return f->status;
    if (len < 2 || line[len - 1] != '\n' || line[len - 2] != '\r')
        return refuse(f, 400, "a line that does not end with CRLF");
    len -= 2;
    if (memchr(line, '\r', len))
        return refuse(f, 400, "a bare CR inside a line");
    switch (f->expect) {
    case FRAMING_REQUEST_LINE: {
        uint64_t requests = f->requests + 1;
        framing_init(f);
        f->requests = requests;
        return request_line(f, line, len);
    }
    case FRAMING_HEADER:
        return header_line(f, line, len);
    case FRAMING_TRAILER:
        /* evhttp would add trailer fields to the headers (a late Authorization). */
        if (len != 0)
            return refuse(f, 400, "a trailer field after a chunked body");
        f->expect = FRAMING_REQUEST_LINE;
        return 0;
    case FRAMING_CHUNK_SIZE:
        return chunk_size_line(f, line, len);
    case FRAMING_CHUNK_END:
        if (len != 0)
            return refuse(f, 400, "chunk data longer than its size");
        f->expect = FRAMING_CHUNK_SIZE;
        return 0;
    case FRAMING_BODY:
    case FRAMING_CHUNK_DATA:
    case FRAMING_REFUSED:
        break;
    }
    return refuse(f, 400, "a line where body bytes were expected");
}

uint64_t framing_skip(const struct framing *f)
{
    return f->expect == FRAMING_BODY || f->expect == FRAMING_CHUNK_DATA ? f->skip : 0;
}

void framing_skipped(struct framing *f, uint64_t n)
{
    f->skip -= n;
    if (f->skip == 0)
        f->expect =
            f->expect == FRAMING_CHUNK_DATA ? FRAMING_CHUNK_END : FRAMING_REQUEST_LINE;
}
