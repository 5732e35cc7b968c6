/* The reference for tests/bench/http: the least an evhttp server can do per request.
 * Same shape as stdtaxd's server (one event loop per thread, each with its own
 * SO_REUSEPORT socket), but every request gets the same small JSON body at once, so
 * the difference to stdtaxd is the cost of routing, parsing, the work and the JSON.
 *
 *     http-reference PORT [THREADS [BYTES]]
 *
 * THREADS: default 2.  BYTES: size of the JSON body (default: a 35-byte object); a
 * larger one is padded, so that an answer as big as stdtaxd's can be compared too. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char small[] = "{\"status\":\"ok\",\"reference\":true}\n";
static const char *body = small;
static size_t body_len = sizeof small - 1;

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    evbuffer_add_reference(out, body, body_len, NULL, NULL);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", NULL);
}

static int listen_on(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 511) != 0) {
        perror("http-reference: listen");
        exit(1);
    }
    return fd;
}

static void *run(void *arg)
{
    event_base_dispatch(arg);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: http-reference PORT [THREADS]\n");
        return 2;
    }
    unsigned port = (unsigned)atoi(argv[1]);
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (threads < 1 || threads > 64)
        threads = 2;
    long bytes = argc > 3 ? atol(argv[3]) : 0;
    if (bytes > 64 && bytes < 16 * 1024 * 1024) {
        /* {"pad":"xxx...x"}\n */
        char *big = malloc((size_t)bytes);
        if (!big)
            return 1;
        memset(big, 'x', (size_t)bytes);
        memcpy(big, "{\"pad\":\"", 8);
        memcpy(big + bytes - 3, "\"}\n", 3);
        body = big;
        body_len = (size_t)bytes;
    }
    signal(SIGPIPE, SIG_IGN);
    pthread_t tid[64];
    for (int i = 0; i < threads; i++) {
        struct event_base *base = event_base_new();
        struct evhttp *http = base ? evhttp_new(base) : NULL;
        if (!http || !evhttp_accept_socket_with_handle(http, listen_on(port))) {
            fprintf(stderr, "http-reference: cannot set up thread %d\n", i);
            return 1;
        }
        evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
        evhttp_set_gencb(http, on_request, NULL);
        pthread_create(&tid[i], NULL, run, base);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
