/* The framing of the HTTP/1.x requests on one connection, checked line by line as
 * the bytes arrive and before evhttp reads them.  libevent 2.1 frames requests
 * leniently (`Transfer-Encoding: gzip, chunked` is not chunked, `Content-Length: +2`
 * is 2, a chunk size `0x10` is 16, a header value is cut at a NUL); a proxy in front
 * that frames the same bytes strictly would see other requests than we do (request
 * smuggling, RFC 9112 section 11.2).  What this accepts, every reading agrees on;
 * anything else refuses the request, and the connection with it.
 *
 * Pure: no I/O, no allocation, no libevent; tests/fuzz/fuzz_framing.c drives it. */
#ifndef STDTAXD_FRAMING_H
#define STDTAXD_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum framing_expect {
    FRAMING_REQUEST_LINE,
    FRAMING_HEADER,
    FRAMING_BODY,       /* framing_skip bytes of body, then a request line */
    FRAMING_CHUNK_SIZE, /* a chunk-size line */
    FRAMING_CHUNK_DATA, /* framing_skip bytes of chunk data, then an empty line */
    FRAMING_CHUNK_END,  /* the empty line after chunk data */
    FRAMING_TRAILER,    /* after the last chunk: only the empty line */
    FRAMING_REFUSED,
};

#define FRAMING_NAME_MAX 24
#define FRAMING_VALUE_MAX 24

struct framing {
    enum framing_expect expect;
    uint64_t skip;         /* body or chunk bytes still to pass over */
    uint64_t requests;     /* request lines begun; the last is the current one */
    unsigned major, minor; /* the current request's version */
    bool body_forbidden;   /* HEAD, TRACE: evhttp reads no body, whatever is sent */
    bool connect;          /* CONNECT */
    unsigned hosts, lengths, encodings;
    bool length_bad, encoding_bad;
    uint64_t length;
    bool last_chunk;
    int status;         /* 400 or 505 once refused */
    const char *reason; /* static text: why it was refused */
};

void framing_init(struct framing *f);

/* Checks one line of the stream: line[0..len) ends with its '\n' (a line must end
 * with CRLF).  May rewrite it in place, keeping its length: a chunk extension
 * (`10;a=b`, valid but refused by evhttp) becomes spaces, and an unsupported version
 * (`HTTP/2.0`) becomes HTTP/1.x so that evhttp hands the request on to be answered
 * 505.  Returns 0, or the status that refuses the current request (f->status, and
 * f->reason says why); after a refusal every call returns it again. */
int framing_line(struct framing *f, char *line, size_t len);

/* Bytes of body or chunk data to pass over before the next line (f->expect is
 * FRAMING_BODY or FRAMING_CHUNK_DATA while it is not 0). */
uint64_t framing_skip(const struct framing *f);

/* Passes over n bytes of body (n <= framing_skip(f)). */
void framing_skipped(struct framing *f, uint64_t n);

#endif
