"""The dashboard's files as the real daemon serves them: GET /, GET /ui/{file}."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, response_errors, tap_main  # noqa: E402

WEB = os.path.join(SRCDIR, "web")


def read(name):
    with open(os.path.join(WEB, name), "rb") as f:
        return f.read()


class StaticFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The build-tree default (the source tree's web/) is what the harness gets;
        # web-root is given anyway so a VPATH or installed run serves the same files.
        cls.d = Daemon(config='web-root "%s"' % WEB).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def test_root_serves_the_page(self):
        r = self.d.get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.content_type, "text/html; charset=utf-8")
        self.assertEqual(r.body, read("index.html"))
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        self.assertTrue(r.header("Content-Security-Policy").startswith("default-src 'self'"))
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(response_errors("GET", "/", r), [])

    def test_assets_have_their_types(self):
        for name, ctype in (("app.js", "text/javascript; charset=utf-8"),
                            ("style.css", "text/css; charset=utf-8"),
                            ("index.html", "text/html; charset=utf-8")):
            r = self.d.get("/ui/" + name)
            self.assertEqual(r.status, 200, name)
            self.assertEqual(r.content_type, ctype, name)
            self.assertEqual(r.body, read(name), name)
            self.assertEqual(response_errors("GET", "/ui/{file}", r), [], name)
        self.assertEqual(self.d.get("/ui/app.js").header("Cache-Control"),
                         "public, max-age=300")

    def test_if_none_match_gives_304(self):
        r = self.d.get("/ui/app.js")
        etag = r.header("ETag")
        self.assertTrue(etag and etag.startswith('"'), etag)
        again = self.d.get("/ui/app.js", headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.header("ETag"), etag)
        page = self.d.get("/")
        self.assertEqual(self.d.get("/", headers={"If-None-Match": "W/" + page.header("ETag")})
                         .status, 304)
        self.assertEqual(self.d.get("/ui/app.js", headers={"If-None-Match": '"x"'}).status, 200)

    def test_head(self):
        status, headers, body = self.d.raw(
            b"HEAD /ui/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/css; charset=utf-8")
        self.assertEqual(body, b"")

    def test_no_path_traversal(self):
        # Sent raw: http.client and most clients would normalise some of these.
        targets = [
            "/ui/../Makefile.am", "/ui/..", "/ui/%2e%2e", "/ui/%2E%2E/Makefile.am",
            "/ui/..%2fMakefile.am", "/ui/%2e%2e%2fMakefile.am", "/ui/%2e%2e%5cMakefile.am",
            "/ui/..%252fMakefile.am", "/ui/%2fetc%2fpasswd", "/ui//etc/passwd",
            "/ui/app.js%00.css", "/ui/%00", "/ui/.gitignore", "/ui/%2egitignore",
            "/ui/App.js", "/ui/app.js/", "/ui/Makefile.am", "/ui/stdtaxd.conf",
            "/ui/%E4%B8%AD.js", "/ui/" + "a" * 65 + ".js", "/ui/",
            "/../Makefile.am", "/%2e%2e/Makefile.am",
        ]
        for t in targets:
            status, headers, body = self.d.raw(
                ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % t).encode())
            self.assertIn(status, (400, 404), t)
            self.assertNotIn(b"AC_INIT", body, t)
            self.assertNotIn(b"root:", body, t)
            if status == 404:
                self.assertEqual(headers["content-type"],
                                 "application/problem+json; charset=utf-8", t)

    def test_writes_are_405(self):
        r = self.d.request("POST", "/", body=b"x")
        self.assertEqual(r.status, 405)
        self.assertIn("GET", r.header("Allow"))


class MissingRoot(unittest.TestCase):
    def test_missing_web_root_is_404_not_a_crash(self):
        with Daemon(config='web-root "/nonexistent/stdtaxd-web"') as d:
            self.assertEqual(d.get("/").status, 404)
            self.assertEqual(d.get("/ui/app.js").status, 404)
            self.assertEqual(d.get("/healthz").status, 200)


if __name__ == "__main__":
    tap_main()
