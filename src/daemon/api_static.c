/* The dashboard's files: GET / (index.html) and GET /ui/{file} from web-root.
 *
 * Files are read at request time, so a package upgrade or an edit in the source tree
 * shows without a restart and nothing is held in memory.  Only names that a
 * whitelist accepts ([a-z0-9._-], no leading dot, one directory, a known extension)
 * reach the file system: traversal is impossible by construction rather than
 * filtered out, whatever encoding a client tries (the router decodes {file} once;
 * '/' and NUL never pass).  The page runs under a Content-Security-Policy that
 * allows only our own origin, so a stored proposal title can never become script. */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_FILE_MAX (4u * 1024u * 1024u)

/* default-src 'self' covers scripts, styles, fetch and images; the rest closes
 * what default-src does not: plugins, <base>, framing and form targets. */
static const char csp[] = "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                          "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/vnd.microsoft.icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

bool api_static_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > API_STATIC_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

const char *api_static_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

/* RFC 9110 13.1.2: If-None-Match uses the weak comparison, so W/ is ignored on
 * both sides; "*" matches any current representation. */
bool api_etag_match(const char *header, const char *etag)
{
    if (!header || !etag)
        return false;
    if (etag[0] == 'W' && etag[1] == '/')
        etag += 2;
    size_t elen = strlen(etag);
    const char *p = header;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return false;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false; /* malformed: never a match, the client gets the file */
        const char *close = strchr(p + 1, '"');
        if (!close)
            return false;
        size_t len = (size_t)(close - p) + 1;
        if (len == elen && memcmp(p, etag, len) == 0)
            return true;
        p = close + 1;
    }
}

static int not_found(struct api_response *resp)
{
    return api_response_problem(resp, STDTAX_ENOTFOUND, NULL,
                                "no such file in the dashboard");
}

int api_static_serve(const char *root, const char *name, const char *if_none_match,
                     struct api_response *resp)
{
    const char *type = api_static_type(name);
    if (!root || !*root || !api_static_name_ok(name) || !type)
        return not_found(resp);
    char path[PATH_MAX];
    int k = snprintf(path, sizeof path, "%s/%s", root, name);
    if (k < 0 || (size_t)k >= sizeof path)
        return not_found(resp);
    /* O_NOFOLLOW: a symlink planted in web-root cannot point elsewhere; O_NONBLOCK:
     * a FIFO cannot hang a worker (it fails the S_ISREG check below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
                   ? not_found(resp)
                   : api_response_problem(resp, API_EINTERNAL, NULL,
                                          "the dashboard file cannot be read");
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (unsigned long long)st.st_size > STATIC_FILE_MAX) {
        close(fd);
        return not_found(resp);
    }
    char etag[96];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);

    /* The page itself is revalidated every time so a new version shows at once;
     * the assets it names may be reused for a few minutes. */
    bool page = strcmp(name, "index.html") == 0;
    int rc = 0;
    if (api_etag_match(if_none_match, etag)) {
        close(fd);
        rc = api_response_raw(resp, 304, NULL, NULL, 0);
    } else {
        size_t size = (size_t)st.st_size;
        char *data = malloc(size + 1);
        if (!data) {
            close(fd);
            return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
        }
        size_t got = 0;
        while (got < size) {
            ssize_t r = read(fd, data + got, size - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
        if (got != size) {
            free(data);
            return api_response_problem(resp, API_EINTERNAL, NULL,
                                        "the dashboard file changed while being read");
        }
        data[size] = '\0';
        rc = api_response_raw(resp, 200, type, data, size);
    }
    if (rc == 0)
        rc = api_response_header(resp, "ETag", "%s", etag);
    if (rc == 0)
        rc = api_response_header(resp, "Cache-Control", "%s",
                                 page ? "no-cache" : "public, max-age=300");
    if (rc == 0)
        rc = api_response_header(resp, "Content-Security-Policy", "%s", csp);
    if (rc == 0)
        rc = api_response_header(resp, "Referrer-Policy", "no-referrer");
    if (rc == 0)
        rc = api_response_header(resp, "X-Frame-Options", "DENY");
    if (rc != 0)
        return api_response_problem(resp, STDTAX_ENOMEM, NULL, "out of memory");
    return 0;
}

int api_index_get(struct api_ctx *app, const struct api_request *req,
                  struct api_response *resp)
{
    return api_static_serve(app->cfg->web_root, "index.html", req->if_none_match, resp);
}

int api_ui_get(struct api_ctx *app, const struct api_request *req,
               struct api_response *resp)
{
    const char *name = api_param(req, "file");
    return api_static_serve(app->cfg->web_root, name ? name : "", req->if_none_match,
                            resp);
}
