#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

Test(static_name, whitelist)
{
    const char *good[] = {"index.html", "app.js",      "style.css",
                          "a",          "x-y_z.0.svg", "favicon.ico"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(api_static_name_ok(good[i]), "%s", good[i]);
    char longest[API_STATIC_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[API_STATIC_NAME_MAX] = '\0';
    cr_expect(api_static_name_ok(longest));
    longest[API_STATIC_NAME_MAX] = 'a';
    longest[API_STATIC_NAME_MAX + 1] = '\0';
    cr_expect_not(api_static_name_ok(longest), "one byte over the bound");

    const char *bad[] = {"",
                         ".",
                         "..",
                         "../app.js",
                         "..%2fapp.js",
                         "%2e%2e",
                         "a/b.js",
                         "/etc/passwd",
                         "a\\b.js",
                         ".htaccess",
                         ".git",
                         "App.js",
                         "app.js ",
                         "app js",
                         "app.js?x",
                         "app:js",
                         "\xe4\xb8\xad.js",
                         "app.js\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(api_static_name_ok(bad[i]), "%s", bad[i]);
}

Test(static_name, content_types)
{
    cr_expect_str_eq(api_static_type("index.html"), "text/html; charset=utf-8");
    cr_expect_str_eq(api_static_type("app.js"), "text/javascript; charset=utf-8");
    cr_expect_str_eq(api_static_type("style.css"), "text/css; charset=utf-8");
    cr_expect_str_eq(api_static_type("logo.svg"), "image/svg+xml");
    cr_expect_str_eq(api_static_type("data.json"), "application/json; charset=utf-8");
    cr_expect_null(api_static_type("Makefile"));
    cr_expect_null(api_static_type("run.sh"));
    cr_expect_null(api_static_type(".js"), "an extension alone is no name");
    cr_expect_null(api_static_type("app.js.bak"));
}

Test(static_etag, weak_comparison_and_lists)
{
    const char *e = "\"1a-2b-3c\"";
    cr_expect(api_etag_match("\"1a-2b-3c\"", e));
    cr_expect(api_etag_match("W/\"1a-2b-3c\"", e));
    cr_expect(api_etag_match("\"x\", \"1a-2b-3c\"", e));
    cr_expect(api_etag_match("*", e));
    cr_expect_not(api_etag_match(NULL, e));
    cr_expect_not(api_etag_match("", e));
    cr_expect_not(api_etag_match("\"1a-2b-3\"", e));
    cr_expect_not(api_etag_match("\"1a-2b-3c", e), "unterminated");
    cr_expect_not(api_etag_match("1a-2b-3c", e), "unquoted");
    cr_expect_not(api_etag_match("\"1a-2b-3c\"x", "\"other\""));
}

/* A web root in a fresh temporary directory. */
static char root[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void make_root(void)
{
    strcpy(root, "/tmp/stdtax-static-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    write_file("index.html", "<!doctype html><title>t</title>");
    write_file("app.js", "console.log(1);\n");
    write_file("secret.txt", "outside");
    char path[256];
    snprintf(path, sizeof path, "%s/sub.js", root);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/link.js", root);
    cr_assert_eq(symlink("/etc/passwd", path), 0);
    snprintf(path, sizeof path, "%s/fifo.js", root);
    cr_assert_eq(mkfifo(path, 0600), 0);
}

static void remove_root(void)
{
    const char *names[] = {"index.html", "app.js", "secret.txt", "link.js", "fifo.js"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/sub.js", root);
    rmdir(path);
    rmdir(root);
}

TestSuite(static_serve, .init = make_root, .fini = remove_root);

Test(static_serve, file_with_headers)
{
    struct api_response resp = {0};
    cr_assert_eq(api_static_serve(root, "app.js", NULL, &resp), 0);
    cr_expect_eq(resp.status, 200);
    cr_expect_str_eq(resp.content_type, "text/javascript; charset=utf-8");
    cr_assert_eq(resp.raw_len, strlen("console.log(1);\n"));
    cr_expect_eq(memcmp(resp.raw, "console.log(1);\n", resp.raw_len), 0);
    cr_expect_str_eq(api_response_header_get(&resp, "Cache-Control"),
                     "public, max-age=300");
    const char *csp = api_response_header_get(&resp, "Content-Security-Policy");
    cr_assert_not_null(csp);
    cr_expect(strncmp(csp, "default-src 'self'", 18) == 0, "%s", csp);
    const char *etag = api_response_header_get(&resp, "ETag");
    cr_assert_not_null(etag);
    cr_expect_eq(etag[0], '"');

    struct api_response again = {0};
    cr_assert_eq(api_static_serve(root, "app.js", etag, &again), 0);
    cr_expect_eq(again.status, 304);
    cr_expect_null(again.raw);
    cr_expect_str_eq(api_response_header_get(&again, "ETag"), etag);
    api_response_clear(&again);
    cr_assert_eq(api_static_serve(root, "app.js", "\"stale\"", &again), 0);
    cr_expect_eq(again.status, 200);
    api_response_clear(&again);
    api_response_clear(&resp);
}

Test(static_serve, page_is_revalidated)
{
    struct api_response resp = {0};
    cr_assert_eq(api_static_serve(root, "index.html", NULL, &resp), 0);
    cr_expect_str_eq(resp.content_type, "text/html; charset=utf-8");
    cr_expect_str_eq(api_response_header_get(&resp, "Cache-Control"), "no-cache");
    cr_expect_str_eq(api_response_header_get(&resp, "X-Frame-Options"), "DENY");
    api_response_clear(&resp);
}

Test(static_serve, refusals_are_404)
{
    const char *names[] = {"missing.js", /* absent */
                           "link.js",    /* symlink out of the root */
                           "sub.js",     /* a directory */
                           "fifo.js",    /* would block a worker */
                           "secret.txx", /* no type */
                           "../secret.txt", "..", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct api_response resp = {0};
        cr_expect_eq(api_static_serve(root, names[i], NULL, &resp), STDTAX_ENOTFOUND,
                     "%s", names[i]);
        cr_expect_eq(resp.status, 404, "%s", names[i]);
        api_response_clear(&resp);
    }
    struct api_response resp = {0};
    cr_expect_eq(api_static_serve(NULL, "app.js", NULL, &resp), STDTAX_ENOTFOUND);
    api_response_clear(&resp);
}
