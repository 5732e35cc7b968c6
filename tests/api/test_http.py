"""HTTP behaviour of the real stdtaxd: routes, errors, headers, limits."""

import json
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import (OPENAPI, Daemon, read_response, response_errors,  # noqa: E402
                     schema_errors, tap_main)

SUBMIT = "submit-secret-0123456789"
ADMIN = "admin-secret-9876543210"

PROBLEM_MEMBERS = {"type", "title", "status", "detail"}


def assert_problem(t, r, status):
    t.assertEqual(r.status, status, r)
    t.assertTrue(r.content_type.startswith("application/problem+json"), r.content_type)
    t.assertIn("charset=utf-8", r.content_type)
    body = r.json()
    t.assertTrue(PROBLEM_MEMBERS <= set(body), body)
    t.assertEqual(body["status"], status)
    t.assertTrue(body["type"].startswith("urn:stdtaxd:problem:"), body)
    return body


class Http(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="token ci submit %s\ntoken secretariat admin %s\n"
                       "cors-origin https://app.example\n" % (SUBMIT, ADMIN)).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, "exit status %d" % code

    # -- operational routes ------------------------------------------------------

    def test_healthz(self):
        r = self.d.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.content_type, "application/json; charset=utf-8")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        body = r.json()
        self.assertEqual(body["status"], "ok")
        self.assertTrue(body["ready"])
        self.assertEqual(body["workers"], 2)
        self.assertIsInstance(body["uptime_seconds"], int)
        self.assertRegex(body["version"], r"^\d+\.\d+\.\d+")

    def test_head_has_no_body(self):
        r = self.d.request("HEAD", "/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")

    def test_metrics_format(self):
        self.d.get("/healthz")
        self.d.get("/no/such/path")
        r = self.d.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.content_type.startswith("text/plain; version=0.0.4"), r.content_type)
        text = r.body.decode("utf-8")
        self.assertTrue(text.endswith("\n"))
        sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\n]*"'
                            r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\n]*")*\})? [-+0-9.eE]+(Inf)?$')
        types = {}
        values = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ")
                types[name] = kind
            elif line.startswith("# HELP "):
                continue
            else:
                self.assertRegex(line, sample)
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        self.assertEqual(types["stdtaxd_http_requests_total"], "counter")
        self.assertEqual(types["stdtaxd_http_request_duration_seconds"], "histogram")
        self.assertEqual(types["stdtaxd_http_requests_in_flight"], "gauge")
        self.assertGreaterEqual(values['stdtaxd_http_requests_total{method="GET",'
                                       'route="/healthz",status="200"}'], 1)
        self.assertGreaterEqual(values['stdtaxd_http_requests_total{method="",'
                                       'route="unmatched",status="404"}'], 1)
        buckets = [(k, v) for k, v in values.items()
                   if k.startswith("stdtaxd_http_request_duration_seconds_bucket")]
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts), "buckets are cumulative")
        self.assertEqual(values['stdtaxd_http_request_duration_seconds_bucket{le="+Inf"}'],
                         values["stdtaxd_http_request_duration_seconds_count"])
        self.assertEqual(values["stdtaxd_workers"], 2)

    def test_openapi_served(self):
        r = self.d.get("/v1/openapi.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.content_type, "application/json; charset=utf-8")
        with open(OPENAPI, encoding="utf-8") as f:
            self.assertEqual(r.json(), json.load(f))
        self.assertTrue(r.json()["openapi"].startswith("3.1"))

    def test_responses_match_openapi(self):
        cases = [("GET", "/healthz", "/healthz"), ("GET", "/metrics", "/metrics"),
                 ("GET", "/v1/openapi.json", "/v1/openapi.json"),
                 ("POST", "/healthz", "/healthz"), ("DELETE", "/metrics", "/metrics")]
        for method, path, pattern in cases:
            r = self.d.request(method, path, body=b"" if method != "GET" else None)
            errs = response_errors(method, pattern, r) if r.status < 400 else \
                schema_errors(r.json(), {"$ref": "#/components/schemas/Problem"})
            self.assertEqual(errs, [], "%s %s -> %r" % (method, path, r))

    def test_schema_checker_catches_mismatches(self):
        # The checker itself must fail on wrong bodies, or the test above proves nothing.
        health = {"$ref": "#/components/schemas/Health"}
        self.assertEqual(schema_errors({"status": "ok", "version": "1", "uptime_seconds": 1,
                                        "workers": 1, "ready": True}, health), [])
        self.assertNotEqual(schema_errors({"status": "fine", "version": "1",
                                           "uptime_seconds": 1, "workers": 1,
                                           "ready": True}, health), [])
        self.assertNotEqual(schema_errors({"status": "ok"}, health), [])
        self.assertNotEqual(schema_errors({"type": "x", "title": "t", "status": "404",
                                           "detail": "d"},
                                          {"$ref": "#/components/schemas/Problem"}), [])

    # -- dispatcher errors -------------------------------------------------------

    def test_unknown_path_404(self):
        for path in ["/ui", "/ui/", "/v2", "/healthz/", "/healthz/x", "/v1/openapi.json/x"]:
            body = assert_problem(self, self.d.get(path), 404)
            self.assertIn("no resource", body["detail"])

    def test_wrong_method_405_with_allow(self):
        for method in ["POST", "PUT", "DELETE", "PATCH", "TRACE"]:
            r = self.d.request(method, "/healthz", body=b"")
            body = assert_problem(self, r, 405)
            self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
            self.assertIn(method, body["detail"])

    def test_options_lists_allow(self):
        r = self.d.request("OPTIONS", "/metrics")
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
        self.assertEqual(r.body, b"")
        assert_problem(self, self.d.request("OPTIONS", "/nowhere"), 404)

    def test_unknown_method_is_answered_by_libevent(self):
        # Documented in doc/http-errors.md: libevent answers 501 itself.
        status, headers, _ = self.d.raw(b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status, 501)

    def test_garbage_request_line_is_400(self):
        status, headers, _ = self.d.raw(b"this is not http\r\n\r\n")
        self.assertEqual(status, 400)

    def test_oversized_body_413(self):
        # The body limit is enforced by libevent while reading, before any route.
        status, headers, _ = self.d.raw(
            b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2000000\r\n\r\n{}")
        self.assertEqual(status, 413)

    def test_oversized_headers_400_from_libevent(self):
        # libevent 2.1 answers header blocks over max-header with 400, not 431.
        big = b"X-Big: " + b"a" * 20000 + b"\r\n"
        status, headers, _ = self.d.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
        self.assertEqual(status, 400)
        many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(300))
        status, headers, _ = self.d.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        self.assertEqual(status, 400)

    def test_oversized_chunked_body_413(self):
        status, headers, _ = self.d.raw(
            b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"200000\r\n" + b"x" * 10)
        self.assertEqual(status, 413)

    def test_long_path_414(self):
        assert_problem(self, self.d.get("/" + "a" * 3000), 414)

    def test_bad_query_string_400(self):
        body = assert_problem(self, self.d.get("/healthz?x=%zz"), 400)
        self.assertIn("x", body["detail"])
        assert_problem(self, self.d.get("/healthz?x=%ff"), 400)
        assert_problem(self, self.d.get("/healthz?" + "&".join("k%d=1" % i for i in range(40))),
                       414)

    def test_bad_idempotency_key_400(self):
        r = self.d.get("/healthz", headers={"Idempotency-Key": "x" * 300})
        body = assert_problem(self, r, 400)
        self.assertIn("Idempotency-Key", body["detail"])

    # -- auth ---------------------------------------------------------------------

    def test_unknown_token_401_even_on_open_route(self):
        r = self.d.get("/healthz", token="not-a-token-at-all-xx")
        assert_problem(self, r, 401)
        self.assertIn('error="invalid_token"', r.header("WWW-Authenticate"))
        self.assertTrue(r.header("WWW-Authenticate").startswith("Bearer"))
        r = self.d.get("/healthz", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert_problem(self, r, 401)

    def test_valid_token_logged_by_name_only(self):
        r = self.d.get("/healthz?probe=tokenlog", token=ADMIN)
        self.assertEqual(r.status, 200)
        self.assertTrue(self.d.wait_log("token=secretariat"))
        self.assertNotIn(ADMIN, self.d.log())
        self.assertNotIn(SUBMIT, self.d.log())

    # -- headers, CORS, logging ------------------------------------------------------

    def test_cors_allowed_origin(self):
        r = self.d.get("/healthz", headers={"Origin": "https://app.example"})
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "https://app.example")
        self.assertIn("Origin", r.header("Vary"))
        r = self.d.get("/healthz", headers={"Origin": "https://evil.example"})
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        self.assertEqual(r.status, 200)

    def test_cors_preflight(self):
        r = self.d.request("OPTIONS", "/healthz", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "https://app.example")
        self.assertIn("GET", r.header("Access-Control-Allow-Methods"))
        self.assertIn("Authorization", r.header("Access-Control-Allow-Headers"))
        r = self.d.request("OPTIONS", "/healthz", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        self.assertIsNone(r.header("Access-Control-Allow-Methods"))

    def test_access_log_line(self):
        self.d.get("/healthz?secret=hunter2-in-query")
        self.assertTrue(self.d.wait_log("GET /healthz 200"))
        line = [l for l in self.d.log().splitlines() if "GET /healthz 200" in l][-1]
        self.assertRegex(line, r"^info access: GET /healthz 200 \d+us \d+B")
        self.assertNotIn("hunter2", self.d.log(), "query strings are never logged")

    def test_keep_alive_serves_several_requests(self):
        c = self.d.connection()
        try:
            for _ in range(5):
                self.assertEqual(self.d.get("/healthz", conn=c).status, 200)
        finally:
            c.close()

    def test_pipelined_requests(self):
        s = self.d.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200)
            self.assertEqual(read_response(s)[0], 404)
        finally:
            s.close()

    # -- JSON bodies: need a route with a JSON body (POST /v1/classify) ---------------

    def json_route(self):
        r = self.d.request("OPTIONS", "/v1/classify")
        if r.status != 204 or "POST" not in (r.header("Allow") or ""):
            self.skipTest("no JSON-body route yet (POST /v1/classify)")
        return "/v1/classify"

    def test_json_body_415(self):
        path = self.json_route()
        for ct in [None, "text/plain", "application/json; charset=latin1",
                   "application/x-www-form-urlencoded"]:
            headers = {"Content-Type": ct} if ct else {}
            r = self.d.request("POST", path, body=b'{"title": "x"}', headers=headers)
            assert_problem(self, r, 415)

    def test_json_body_400_with_line_and_column(self):
        path = self.json_route()
        r = self.d.request("POST", path, body=b'{\n  "title": "a",\n  "title": }',
                           headers={"Content-Type": "application/json"})
        body = assert_problem(self, r, 400)
        self.assertEqual(body["line"], 3)
        self.assertGreater(body["column"], 0)
        self.assertIn("line 3", body["detail"])
        r = self.d.request("POST", path, body=b'{"title": "a", "title": "b"}',
                           headers={"Content-Type": "application/json"})
        self.assertIn("duplicate", assert_problem(self, r, 400)["detail"])
        r = self.d.request("POST", path, body=b'{"title": "\xff"}',
                           headers={"Content-Type": "application/json"})
        assert_problem(self, r, 400)
        r = self.d.request("POST", path, body=b"",
                           headers={"Content-Type": "application/json"})
        assert_problem(self, r, 400)


class Limits(unittest.TestCase):
    def test_connection_limit_queues_extra_clients(self):
        with Daemon(config="max-connections 2\n", workers=1) as d:
            a, b = d.connect(), d.connect()
            for s in (a, b):
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(read_response(s)[0], 200)
            self.assertTrue(d.wait_log("not accepting more"))
            c = d.connect(timeout=0.5)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            with self.assertRaises(socket.timeout):
                c.recv(1)  # waits in the kernel's accept queue
            a.close()
            c.settimeout(5)
            self.assertEqual(read_response(c)[0], 200)
            b.close()
            c.close()
            self.assertTrue(d.wait_log("accepting connections again"))
            m = d.get("/metrics").body.decode()
            self.assertRegex(m, r"stdtaxd_http_connections_open [12]\n")

    def test_idle_connection_is_closed(self):
        with Daemon(config="idle-timeout 1\nread-timeout 1\n", workers=1) as d:
            s = d.connect(timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200)
            t0 = time.monotonic()
            self.assertEqual(s.recv(1), b"", "server closes the idle connection")
            self.assertLess(time.monotonic() - t0, 4)
            s.close()

    def test_idle_and_read_timeouts_are_separate(self):
        # read-timeout 2 must not close a keep-alive connection between requests;
        # idle-timeout 5 does.  Seconds rather than fractions, so that a loaded
        # machine does not turn scheduling delays into timeouts.
        with Daemon(config="idle-timeout 5\nread-timeout 2\n", workers=1) as d:
            s = d.connect(timeout=12)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200)
            time.sleep(3)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200, "still open after the read timeout")
            t0 = time.monotonic()
            self.assertEqual(s.recv(1), b"")
            self.assertGreater(time.monotonic() - t0, 3)
            s.close()

    def test_slow_request_hits_read_timeout(self):
        with Daemon(config="idle-timeout 10\nread-timeout 1\n", workers=1) as d:
            s = d.connect(timeout=6)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
            t0 = time.monotonic()
            status, _, _ = read_response(s)
            self.assertIsNone(status)
            self.assertLess(time.monotonic() - t0, 4)
            s.close()


if __name__ == "__main__":
    tap_main()
