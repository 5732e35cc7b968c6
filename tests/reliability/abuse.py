#!/usr/bin/env python3
"""Abuse: what a hostile or broken client can throw at stdtaxd.

While an ordinary client keeps asking (one kept-alive connection and one fresh
connection per request, each with a 10 s timeout) and RSS is sampled: more
connections than max-connections, idle and half-sent (slowloris) requests, oversized
headers, URIs and bodies, pipelined and malformed requests, invalid UTF-8, deeply
nested JSON, huge numbers, duplicate keys and NUL bytes.  Each must be answered with
the right status or the connection closed; never a 5xx, never a crash.  Then auth
(every write route without a token 401, a submit token on an admin route 403), tokens
never in the log, X-Content-Type-Options: nosniff on every answer, and CORS (no
headers by default, configured origins echoed).

    tests/reliability/abuse.py

Prints `figure ...` lines; exit 0 when every check held."""

import json
import os
import socket
import sys
import threading
import time

import common
from common import ADMIN_TOKEN, SUBMIT_TOKEN, figure
from stdtaxd import Daemon

MAX_CONNECTIONS = 32
IDLE_TIMEOUT = 2
READ_TIMEOUT = 3
WRONG_TOKEN = "rel-wrong-9d1c7e3b5f2a8c4e6b0d"

failures = []
refused = {"closed": 0}
# Answers that libevent writes itself when its parser gives up (before any of our
# code runs): a fixed HTML page without client data, and libevent 2.1 has no hook to
# add headers to it, so no nosniff.  Counted, and listed with ABUSE_VERBOSE=1.
libevent_pages = []
VERBOSE = bool(os.environ.get("ABUSE_VERBOSE"))


def fail(msg):
    failures.append(msg)


def count(status):
    key = str(status) if status else "closed"
    refused[key] = refused.get(key, 0) + 1


class Watch:
    """The ordinary client and the RSS sampler."""

    def __init__(self, d):
        self.d = d
        self.stop = threading.Event()
        self.ok = 0
        self.errors = []
        self.worst = {"keepalive": 0.0, "fresh": 0.0}
        self.rss_peak = 0
        self.rss_samples = 0
        self.threads = [threading.Thread(target=self.keepalive, daemon=True),
                        threading.Thread(target=self.fresh, daemon=True),
                        threading.Thread(target=self.rss, daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _one(self, conn, kind):
        t0 = time.monotonic()
        try:
            r = self.d.request("GET", "/v1/stats", conn=conn, timeout=10)
            if r.status != 200:
                raise RuntimeError("status %d" % r.status)
            self.ok += 1
        except Exception as e:  # noqa: BLE001 - any failure is what we count
            self.errors.append("%.1fs: %r" % (time.monotonic() - t0, e))
            return False
        finally:
            self.worst[kind] = max(self.worst[kind], time.monotonic() - t0)
        return True

    def keepalive(self):
        conn = self.d.connection(timeout=10)
        while not self.stop.is_set():
            if not self._one(conn, "keepalive"):
                conn.close()
                conn = self.d.connection(timeout=10)
            time.sleep(0.05)
        conn.close()

    def fresh(self):
        while not self.stop.is_set():
            self._one(None, "fresh")
            time.sleep(0.2)

    def rss(self):
        while not self.stop.is_set():
            self.rss_peak = max(self.rss_peak, common.rss_kb(self.d.proc.pid))
            self.rss_samples += 1
            time.sleep(0.02)


def sock(d, timeout=10):
    s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
    s.settimeout(timeout)
    return s


def exchange(d, data, timeout=10):
    """Sends raw bytes, returns (status or None when closed without answer, headers,
    body)."""
    c = d.connect(timeout)
    try:
        try:
            c.sendall(data)
        except OSError:
            pass  # the server may close before reading it all: fine
        try:
            return c.read_response()
        except (OSError, ValueError, IndexError):
            return None, {}, b""
    finally:
        c.close()


def expect(name, got, allowed, headers=None):
    count(got)
    if VERBOSE:
        print("# %-40s %s" % (name, got))
    if got not in allowed:
        fail("%s: got %r, expected one of %r" % (name, got, sorted(allowed, key=str)))
    elif got is not None and headers is not None:
        if headers.get("x-content-type-options") == "nosniff":
            return
        if headers.get("content-type", "").startswith("text/html") and got >= 400:
            libevent_pages.append("%s: %d" % (name, got))
        else:
            fail("%s: %d without X-Content-Type-Options: nosniff" % (name, got))


def closes_within(s, seconds):
    """True when the server closes s (EOF or reset) within seconds."""
    deadline = time.monotonic() + seconds
    s.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            data = s.recv(65536)
            if not data:
                return True
            # an answer (408 or 400) and then the close is fine too
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


# --- scenarios ------------------------------------------------------------------

def connection_flood(d):
    n = MAX_CONNECTIONS * 2
    socks = []
    for _ in range(n):
        try:
            socks.append(sock(d))
        except OSError:
            count(None)
    t0 = time.monotonic()
    # Idle connections must be dropped; the ones the kernel queued get in as
    # slots free and are dropped in their turn.
    closed = 0
    bound = IDLE_TIMEOUT * (n // MAX_CONNECTIONS + 1) + READ_TIMEOUT + 5
    for s in socks:
        if closes_within(s, max(0.1, bound - (time.monotonic() - t0))):
            closed += 1
        s.close()
    refused["closed"] += closed
    figure("abuse.flood_connections", n)
    figure("abuse.flood_closed_by_server", closed)
    figure("abuse.flood_seconds", "%.1f" % (time.monotonic() - t0))
    if closed != len(socks):
        fail("connection flood: %d of %d idle connections still open after %.0f s"
             % (len(socks) - closed, len(socks), bound))


def slowloris(d):
    socks = []
    for i in range(16):
        s = sock(d)
        s.sendall(b"GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
        socks.append(s)
    t0 = time.monotonic()
    alive = list(socks)
    # One byte every 0.5 s per connection: never a complete header.
    while alive and time.monotonic() - t0 < READ_TIMEOUT + 8:
        for s in list(alive):
            try:
                s.sendall(b"a")
            except OSError:
                alive.remove(s)
                continue
            s.settimeout(0.01)
            try:
                data = s.recv(4096)
                if not data or data:
                    alive.remove(s)  # closed, or answered (408) and closing
            except socket.timeout:
                pass
            except OSError:
                alive.remove(s)
        time.sleep(0.5)
    held = time.monotonic() - t0
    for s in socks:
        s.close()
    refused["closed"] += len(socks) - len(alive)
    figure("abuse.slowloris_connections", len(socks))
    figure("abuse.slowloris_cut_after_s", "%.1f" % held)
    if alive:
        fail("slowloris: %d of %d half-sent requests still open after %.0f s"
             % (len(alive), len(socks), held))


def oversized(d):
    big_header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
    st, h, _ = exchange(d, big_header)
    expect("64 KiB header", st, {400, 413, 431, None}, h)
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n"
    st, h, _ = exchange(d, many)
    expect("5000 headers", st, {400, 413, 431, None}, h)
    st, h, _ = exchange(d, b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    expect("100 KB URI", st, {400, 414, 431, None}, h)
    st, h, _ = exchange(d, b"GET /v1/proposals/" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    expect("3 KB path", st, {400, 404, 414}, h)
    # Announced 100 MB: refused before it is read.
    st, h, _ = exchange(d, b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        b"application/json\r\nContent-Length: 104857600\r\n\r\n{\"title\":")
    expect("100 MB Content-Length", st, {413, None}, h)
    # Really sent: 2 MiB, over the 1 MiB limit.
    body = b'{"title":"' + b"x" * (2 << 20) + b'"}'
    st, h, _ = exchange(d, b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    expect("2 MiB body", st, {413, None}, h)
    chunk = b"x" * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40)) + b"0\r\n\r\n"
    st, h, _ = exchange(d, b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                        b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    expect("2.5 MiB chunked body", st, {413, None}, h)


def pipelined(d):
    n = 50
    c = d.connect(10)
    try:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * n)
        got = 0
        for _ in range(n):
            st, h, _ = c.read_response()
            if st != 200:
                break
            got += 1
    finally:
        c.close()
    figure("abuse.pipelined_answered", "%d/%d" % (got, n))
    if got != n:
        fail("pipelining: %d of %d answered" % (got, n))
    # Pipelined after a bad one: the bad one is refused, the connection may close.
    st, h, _ = exchange(d, b"BLAH\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    expect("pipelined garbage first", st, {400, 501, None}, h)


MALFORMED = [
    ("garbage line", b"GARBAGE\r\n\r\n", {400, 501, None}),
    ("unknown method", b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405, 501, None}),
    ("HTTP/9.9", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", {400, 505, None}),
    ("no version", b"GET /healthz\r\n\r\n", {200, 400, None}),
    ("only CRLF", b"\r\n\r\n\r\n", {400, None}),
    ("header without colon", b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", {400, None}),
    ("header folding", b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", {200, 400, None}),
    ("NUL in request line", b"GET /heal\x00thz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, None}),
    ("NUL in header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", {200, 400, None}),
    ("negative length", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
     b"\r\nContent-Length: -1\r\n\r\n{}", {400, 411, None}),
    ("length not a number", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
     b"application/json\r\nContent-Length: 1x\r\n\r\n{}", {400, 411, None}),
    ("length overflow", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
     b"application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}", {400, 411, 413, None}),
    ("two lengths", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
     b"\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}", {400, None}),
    ("length and chunked", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
     b"application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
     {400, None}),
    ("bad chunk size", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
     b"application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n",
     {400, 413, None}),  # libevent 2.1 calls a corrupt chunk "too long"
    ("huge chunk size", b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
     b"application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}", {400, 413, None}),
    ("absolute URI", b"GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n", {200, 400, 404, None}),
    ("bad percent", b"GET /v1/proposals/%zz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    ("encoded NUL", b"GET /v1/proposals/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    ("invalid UTF-8 path", b"GET /v1/taxonomy/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    ("invalid UTF-8 query", b"GET /v1/proposals?status=%c3%28 HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    ("dot segments", b"GET /v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    ("query flood", b"GET /v1/proposals?" + b"&".join(b"a%d=1" % i for i in range(2000))
     + b" HTTP/1.1\r\nHost: x\r\n\r\n", {400, 414, None}),
]


def malformed(d):
    for name, data, allowed in MALFORMED:
        st, h, _ = exchange(d, data)
        expect(name, st, allowed, h)


def post_json(d, path, body, token=None, ctype=b"application/json"):
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n" % (
        path.encode(), ctype, len(body))
    if token:
        head += b"Authorization: Bearer %s\r\n" % token.encode()
    return exchange(d, head + b"\r\n" + body)


def json_abuse(d):
    valid = json.dumps(common.example("local"), ensure_ascii=False).encode("utf-8")
    cases = [
        ("invalid UTF-8", b'{"title":"\xff\xfe\xc3\x28"}', {400}),
        ("overlong UTF-8", b'{"title":"\xc0\xaf"}', {400}),
        ("UTF-16 surrogate", b'{"title":"\xed\xa0\x80"}', {400}),
        ("escaped lone surrogate", b'{"title":"\\ud800"}', {400, 422}),
        ("nested 100000", b"[" * 100000 + b"]" * 100000, {400, 413}),
        ("nested objects 3000", b'{"a":' * 3000 + b"1" + b"}" * 3000, {400}),
        ("nested 2000 in a member", b'{"title":"t","extra":' + b"[" * 2000 + b"]" * 2000 + b"}",
         {400, 422}),
        ("huge real", b'{"title":"t","budget":{"amount":1e999999}}', {400, 422}),
        ("huge integer", b'{"title":"t","budget":{"amount":123456789012345678901234567890}}',
         {400, 422}),
        ("long digits", b'{"title":"t","x":' + b"9" * 100000 + b"}", {400, 422}),
        ("duplicate keys", b'{"title":"a","title":"b"}', {400}),
        ("raw NUL", b'{"title":"a\x00b"}', {400}),
        ("escaped NUL", b'{"title":"a\\u0000b"}', {400, 422}),
        ("NUL after document", b'{"title":"a"}\x00', {400}),
        ("two documents", b'{"title":"a"}{"title":"b"}', {400}),
        ("not an object", b'"just a string"', {400, 422}),
        ("empty", b"", {400}),
        ("BOM", b'\xef\xbb\xbf{"title":"a"}', {200, 400}),
        ("wrong content type", b'{"title":"a"}', {415}),
        ("JSON with NUL in submission", valid.replace(b'"local"', b'"lo\\u0000cal"'), {400, 422}),
    ]
    for name, body, allowed in cases:
        ctype = b"text/plain" if name == "wrong content type" else b"application/json"
        for path, token in (("/v1/classify", None), ("/v1/proposals", SUBMIT_TOKEN)):
            st, h, b = post_json(d, path, body, token, ctype)
            ok = allowed | ({422} if path == "/v1/proposals" and 200 in allowed else set())
            expect("%s %s" % (path, name), st, ok, h)
            if st and st >= 400 and not h.get("content-type", "").startswith(
                    "application/problem+json"):
                fail("%s %s: %d is not problem+json" % (path, name, st))


def auth(d):
    """Every route that needs a scope, from api/openapi.json."""
    with open(os.path.join(common.SRCDIR, "api", "openapi.json"), encoding="utf-8") as f:
        spec = json.load(f)
    checked = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            security = op.get("security", spec.get("security", []))
            if {} in security or not security:
                continue  # open
            scopes = {s for req in security for s in req.get("bearer", [])}
            url = path.replace("{id}", "P2023-000001").replace("{code}", "infra")
            body = {"title": "x"} if method in ("post", "patch", "put") else None
            m = method.upper()
            r = d.request(m, url, json_body=body)
            if r.status != 401 or "Bearer" not in (r.header("WWW-Authenticate") or ""):
                fail("%s %s without a token: %r" % (m, url, r))
            if r.header("X-Content-Type-Options") != "nosniff":
                fail("%s %s: 401 without nosniff" % (m, url))
            r = d.request(m, url, json_body=body, token=WRONG_TOKEN)
            if r.status != 401:
                fail("%s %s with an unknown token: %r" % (m, url, r))
            r = d.request(m, url, json_body=body, token="")
            if r.status != 401:
                fail("%s %s with an empty bearer: %r" % (m, url, r))
            if "admin" in scopes:
                r = d.request(m, url, json_body=body, token=SUBMIT_TOKEN)
                if r.status != 403:
                    fail("%s %s with a submit token: %r" % (m, url, r))
                if r.header("X-Content-Type-Options") != "nosniff":
                    fail("%s %s: 403 without nosniff" % (m, url))
            r = d.request(m, url, json_body=body, token=ADMIN_TOKEN)
            if r.status in (401, 403):
                fail("%s %s with the admin token: %r" % (m, url, r))
            checked += 1
    figure("abuse.auth_routes_checked", checked)
    if checked < 3:
        fail("auth: only %d routes need a token in openapi.json" % checked)
    # Basic auth, lower-case scheme, token with trailing junk.
    for value in ("Basic " + SUBMIT_TOKEN, "bearer", "Bearer " + SUBMIT_TOKEN + "x",
                  "Bearer  " + SUBMIT_TOKEN + " extra"):
        r = d.request("POST", "/v1/proposals", json_body={"title": "x"},
                      headers={"Authorization": value})
        if r.status != 401:
            fail("Authorization %r: %r" % (value[:20], r))


def nosniff_everywhere(d):
    seen = 0
    for m, url in (("GET", "/healthz"), ("GET", "/v1/stats"), ("GET", "/nope"),
                   ("DELETE", "/v1/stats"), ("GET", "/v1/proposals/NOPE-1"),
                   ("GET", "/v1/openapi.json"), ("GET", "/metrics"),
                   ("OPTIONS", "/v1/proposals")):
        r = d.request(m, url)
        seen += 1
        if r.header("X-Content-Type-Options") != "nosniff":
            fail("%s %s -> %d without nosniff" % (m, url, r.status))
        if r.header("Access-Control-Allow-Origin"):
            fail("%s %s: CORS header with no origin configured" % (m, url))
    for origin in ("https://evil.example", "null"):
        r = d.request("GET", "/v1/stats", headers={"Origin": origin})
        if r.header("Access-Control-Allow-Origin"):
            fail("default config allows origin %s" % origin)
        r = d.request("OPTIONS", "/v1/proposals", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST"})
        if r.header("Access-Control-Allow-Origin") or r.header("Access-Control-Allow-Methods"):
            fail("default config answers a preflight from %s" % origin)
    figure("abuse.nosniff_checked", seen)


def cors_configured():
    ok_origin = "https://secretariat.example"
    with Daemon(config=common.CONFIG + "cors-origin %s\n" % ok_origin) as d:
        r = d.request("GET", "/v1/stats", headers={"Origin": ok_origin})
        if r.header("Access-Control-Allow-Origin") != ok_origin:
            fail("configured origin not echoed: %r" % r.header("Access-Control-Allow-Origin"))
        if "Origin" not in (r.header("Vary") or ""):
            fail("CORS answer without Vary: Origin")
        r = d.request("OPTIONS", "/v1/proposals", headers={
            "Origin": ok_origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        if r.status not in (200, 204) or r.header("Access-Control-Allow-Origin") != ok_origin:
            fail("preflight from the configured origin: %r" % r)
        for origin in ("https://evil.example", ok_origin + ".evil.example", "null",
                       "http://secretariat.example", ok_origin + ":8443"):
            r = d.request("GET", "/v1/stats", headers={"Origin": origin})
            if r.header("Access-Control-Allow-Origin"):
                fail("origin %s allowed by %s" % (origin, ok_origin))


def main():
    started = time.monotonic()
    config = common.CONFIG + ("max-connections %d\nidle-timeout %d\nread-timeout %d\n"
                              % (MAX_CONNECTIONS, IDLE_TIMEOUT, READ_TIMEOUT))
    d = Daemon(config=config, workers=2)
    d.start(timeout=60)
    watch = Watch(d)
    rss_start = common.rss_kb(d.proc.pid)
    try:
        watch.start()
        time.sleep(0.3)
        for step in (malformed, oversized, pipelined, json_abuse, slowloris,
                     connection_flood, auth, nosniff_everywhere):
            step(d)
            if d.proc.poll() is not None:
                fail("the daemon died during %s: exit %r" % (step.__name__, d.proc.returncode))
                break
        time.sleep(0.5)
        watch.finish()
        rss_end = common.rss_kb(d.proc.pid)
        alive = d.proc.poll() is None
        rc = d.stop() if alive else d.proc.returncode
        if rc != 0:
            fail("SIGTERM after the abuse: exit %r" % rc)
        log = d.log()
        for name, secret in (("submit", SUBMIT_TOKEN), ("admin", ADMIN_TOKEN),
                             ("wrong", WRONG_TOKEN)):
            if secret in log or secret[:12] in log:
                fail("the %s token appears in the daemon's log" % name)
        figure("abuse.log_bytes_scanned_for_tokens", len(log))
    finally:
        d.cleanup()
    cors_configured()

    figure("abuse.requests_refused",
           sum(v for k, v in refused.items() if k == "closed" or int(k) >= 400))
    figure("abuse.refused_by_status", json.dumps(dict(sorted(refused.items())),
                                                  sort_keys=True).replace(" ", ""))
    figure("abuse.ordinary_client_ok", watch.ok)
    figure("abuse.ordinary_client_errors", len(watch.errors))
    figure("abuse.ordinary_client_worst_s", "keepalive=%.2f,fresh=%.2f"
           % (watch.worst["keepalive"], watch.worst["fresh"]))
    figure("abuse.libevent_error_pages", len(libevent_pages))
    if VERBOSE:
        for p in libevent_pages:
            print("# libevent page: " + p)
    figure("abuse.rss_start_kb", rss_start)
    figure("abuse.rss_peak_kb", watch.rss_peak)
    figure("abuse.rss_end_kb", rss_end)
    figure("abuse.seconds", "%.1f" % (time.monotonic() - started))
    if watch.errors:
        fail("the ordinary client failed %d times: %s" % (len(watch.errors), watch.errors[:3]))
    if max(watch.worst.values()) > 10:
        fail("the ordinary client waited %.1f s" % max(watch.worst.values()))
    if watch.rss_peak > rss_start + 256 * 1024:
        fail("RSS grew from %d to %d kB" % (rss_start, watch.rss_peak))
    for f in failures:
        print("FAIL " + f)
    print("abuse: %s" % ("FAIL" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
