"""What an outside attack found at the HTTP edge (issue 18), on the real daemon over raw
sockets: HEAD answered with a body, lenient framing (request smuggling), control
characters in header values, a CONNECT that stays open, /metrics open under
require-read-token, accept() spinning when out of descriptors, the open files limit,
and another process sharing the port with SO_REUSEPORT."""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import BINARY, OPENAPI, WRAPPER, Daemon, tap_main  # noqa: E402

TOKEN = "0123456789abcdef0123"


def shared():
    d = Daemon(config="token ci admin %s\n" % TOKEN, workers=2)
    d.start()
    return d


class Head(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = shared()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def test_head_has_get_headers_and_no_body_and_keeps_sync(self):
        for path in ("/healthz", "/v1/taxonomy", "/ui/style.css",
                     "/v1/openapi.json", "/nowhere"):
            c = self.d.connect()
            try:
                c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
                gstatus, gheaders, gbody = c.read_response()
                c.sendall(("HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n"
                           "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
                # A HEAD answer has a Content-Length but no body: read the head only.
                while b"\r\n\r\n" not in c.buf:
                    self.assertTrue(c._fill(), path)
                head, _, c.buf = c.buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                hstatus = int(lines[0].split()[1])
                hheaders = {k.strip().lower(): v.strip()
                            for k, _, v in (ln.partition(":") for ln in lines[1:])}
                self.assertEqual(hstatus, gstatus, path)
                self.assertEqual(hheaders.get("content-length"), str(len(gbody)), path)
                self.assertEqual(hheaders.get("content-type"), gheaders.get("content-type"))
                status, _, body = c.read_response()
                self.assertEqual(status, 200, (path, body[:80]))
                self.assertIn(b'"status"', body)
            finally:
                c.close()


def refused(test, d, data, status=400):
    """Sends data on a new connection: one answer, status, problem+json, and the
    connection closed after it."""
    c = d.connect()
    try:
        c.sendall(data)
        got, headers, body = c.read_response()
        test.assertEqual(got, status, (data, body))
        test.assertTrue(headers.get("content-type", "").startswith(
            "application/problem+json"), headers)
        test.assertEqual(headers.get("connection"), "close")
        c.settimeout(5)
        rest = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except ConnectionResetError:
            pass
        test.assertEqual(rest, b"", "more after a refusal: %r" % rest[:200])
        return body
    finally:
        c.close()


class Framing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = shared()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    POST = b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    def test_transfer_encoding_other_than_chunked(self):
        for te in (b"gzip, chunked", b"chunked, chunked", b"identity", b"chunked;x"):
            refused(self, self.d, self.POST + b"Transfer-Encoding: " + te +
                    b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n" + self.SMUGGLED)

    def test_space_before_colon(self):
        refused(self, self.d, self.POST + b"Transfer-Encoding : chunked\r\n\r\n"
                b"2\r\n{}\r\n0\r\n\r\n" + self.SMUGGLED)

    def test_two_transfer_encodings(self):
        refused(self, self.d, self.POST + b"Transfer-Encoding: chunked\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")

    def test_chunked_in_http10(self):
        refused(self, self.d, b"POST /v1/classify HTTP/1.0\r\nContent-Type: application/json"
                b"\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")

    def test_content_length_not_digits(self):
        for cl in (b"+2", b"2 2", b"0x2", b"-0", b"", b"2,2", b"99999999999999999999"):
            refused(self, self.d, self.POST + b"Content-Length: " + cl + b"\r\n\r\n{}")

    def test_chunk_size_not_bare_hex(self):
        for size in (b"+2", b" 2", b"0x2", b"2 ", b"", b"z"):
            refused(self, self.d, self.POST + b"Transfer-Encoding: chunked\r\n\r\n" +
                    size + b"\r\n{}\r\n0\r\n\r\n")

    def test_chunk_data_longer_than_its_size(self):
        refused(self, self.d, self.POST + b"Transfer-Encoding: chunked\r\n\r\n"
                b"1\r\n{}\r\n0\r\n\r\n")

    def test_trailer_fields(self):
        refused(self, self.d, self.POST + b"Transfer-Encoding: chunked\r\n\r\n"
                b"2\r\n{}\r\n0\r\nAuthorization: Bearer x\r\n\r\n")

    def test_host(self):
        refused(self, self.d, b"GET /healthz HTTP/1.1\r\n\r\n")
        refused(self, self.d, b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        c = self.d.connect()
        try:  # HTTP/1.0 needs none
            c.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            self.assertEqual(c.read_response()[0], 200)
        finally:
            c.close()

    def test_header_names(self):
        for line in (b"X Y: 1", b"X\x01: 1", b"X\x00Y: 1", b": 1", b"\tfolded",
                     b" folded", b"NoColon"):
            refused(self, self.d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nA: b\r\n" + line +
                    b"\r\n\r\n")

    def test_control_characters_in_values(self):
        for value in (b"Bearer " + TOKEN.encode() + b"\x00junk", b"a\x01b", b"a\x7fb",
                      b"a\rb", b"a\x1bb"):
            refused(self, self.d, b"GET /v1/taxonomy HTTP/1.1\r\nHost: x\r\n"
                    b"Authorization: " + value + b"\r\n\r\n")
        # HTAB and UTF-8 are allowed in values.
        r = self.d.get("/healthz", headers={"X-Note": "a\tb"})
        self.assertEqual(r.status, 200)

    def test_target_and_line_ends(self):
        for data in (b"GET /heal\x01thz HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /healthz\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /healthz HTTP/1.1\nHost: x\n\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\n\r\n",
                     b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n",
                     b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"):
            refused(self, self.d, data)

    def test_other_versions_are_505(self):
        for v in (b"HTTP/1.2", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/3.1"):
            body = refused(self, self.d, b"GET /healthz " + v + b"\r\nHost: x\r\n\r\n", 505)
            self.assertIn(b"http-version", body)
        refused(self, self.d, b"GET /healthz HTTP/2\r\nHost: x\r\n\r\n")  # not a version

    def test_head_with_body(self):
        refused(self, self.d, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + str(len(self.SMUGGLED)).encode() + b"\r\n\r\n" + self.SMUGGLED)

    def test_chunk_extensions_are_accepted(self):
        c = self.d.connect()
        try:
            text = b'{"title":"\xe4\xba\xba\xe5\xb7\xa5\xe6\x99\xba\xe8\x83\xbd"}'
            half = len(text) // 2
            c.sendall(self.POST + b"Transfer-Encoding: chunked\r\n\r\n" +
                      b"%x;a=b\r\n" % half + text[:half] + b"\r\n" +
                      b"%x;name=\"q v\";x\r\n" % (len(text) - half) + text[half:] +
                      b"\r\n0;end\r\n\r\n")
            status, _, body = c.read_response()
            self.assertEqual(status, 200, body)
            c.sendall(self.SMUGGLED)  # the connection is still in step
            self.assertEqual(c.read_response()[0], 200)
        finally:
            c.close()

    def test_pipelined_good_request_answered_before_the_refusal(self):
        c = self.d.connect()
        try:
            c.sendall(self.SMUGGLED + b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: +0\r\n\r\n")
            self.assertEqual(c.read_response()[0], 200)
            status, headers, _ = c.read_response()
            self.assertEqual(status, 400)
            self.assertEqual(headers.get("connection"), "close")
        finally:
            c.close()

    def test_refused_byte_by_byte(self):
        c = self.d.connect()
        try:
            for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n":
                c.sendall(bytes([b]))
            self.assertEqual(c.read_response()[0], 400)
        finally:
            c.close()

    def test_connect_closes(self):
        c = self.d.connect()
        try:
            c.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
                      + self.SMUGGLED)
            status, headers, body = c.read_response()
            self.assertEqual(status, 405, body)
            self.assertEqual(headers.get("connection"), "close")
            self.assertEqual(int(headers.get("content-length", -1)), len(body))
            c.settimeout(5)
            self.assertEqual(c.recv(65536), b"", "the connection stayed open")
        finally:
            c.close()

    def test_daemon_still_serves(self):
        self.assertEqual(self.d.get("/healthz").status, 200)


class Metrics(unittest.TestCase):
    def test_metrics_need_a_token_under_require_read_token(self):
        with Daemon(config="require-read-token yes\ntoken ci submit %s\n" % TOKEN) as d:
            self.assertEqual(d.get("/metrics").status, 401)
            self.assertEqual(d.get("/metrics", token="wrong-token-wrong").status, 401)
            r = d.get("/metrics", token=TOKEN)
            self.assertEqual(r.status, 200)
            self.assertIn(b"stdtaxd_", r.body)
            self.assertEqual(d.get("/healthz").status, 200)
        with Daemon() as d:
            self.assertEqual(d.get("/metrics").status, 200)


def limited(soft, hard):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return set_limit


class Descriptors(unittest.TestCase):
    def setUp(self):
        if WRAPPER:
            self.skipTest("valgrind keeps descriptors of its own and reports its own limit")

    def argv(self, tmp, config):
        path = os.path.join(tmp, "stdtaxd.conf")
        with open(path, "w") as f:
            f.write('data-dir "%s"\nopenapi "%s"\n%s' % (os.path.join(tmp, "data"),
                                                        OPENAPI, config))
        return WRAPPER + [BINARY, "--config", path, "--listen", "127.0.0.1", "--port",
                          "0", "--port-file", os.path.join(tmp, "port"), "--workers", "1"]

    def test_refuses_to_start_when_the_hard_limit_is_too_low(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.run(self.argv(tmp, "max-connections 1000\n"),
                               capture_output=True, timeout=30,
                               preexec_fn=limited(200, 200))
            self.assertNotEqual(p.returncode, 0)
            err = p.stderr.decode()
            self.assertIn("1000", err)
            self.assertIn("200", err)
            self.assertIn("RLIMIT_NOFILE", err)

    def test_raises_the_soft_limit(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < 2000:
            self.skipTest("hard limit %d" % hard)
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.Popen(self.argv(tmp, "max-connections 1500\n"),
                                 stderr=subprocess.PIPE, preexec_fn=limited(200, hard))
            try:
                port = os.path.join(tmp, "port")
                for _ in range(500):
                    if os.path.exists(port) or p.poll() is not None:
                        break
                    time.sleep(0.02)
                self.assertIsNone(p.poll(), p.stderr.read() if p.poll() is not None else "")
                soft = resource.prlimit(p.pid, resource.RLIMIT_NOFILE)[0]
                self.assertGreaterEqual(soft, 1500)
            finally:
                p.terminate()
                p.wait(timeout=20)

    def test_accept_pauses_when_out_of_descriptors(self):
        with Daemon(config="max-connections 100\n", workers=1) as d:
            # Lower the running daemon's limit to just above what it holds now.
            held = len(os.listdir("/proc/%d/fd" % d.proc.pid))
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (held + 5, hard))
            socks = []
            try:
                for _ in range(30):  # accepted up to the limit, the rest wait
                    s = socket.socket()
                    s.setblocking(False)
                    s.connect_ex(("127.0.0.1", d.port))
                    socks.append(s)
                t0 = os.times()
                cpu0 = self.cpu(d.proc.pid)
                time.sleep(1.5)
                cpu = self.cpu(d.proc.pid) - cpu0
                self.assertLess(cpu, 0.5, "the daemon spun for %.2f s of CPU" % cpu)
                del t0
                log = d.log()
                pauses = log.count("not accepting for")
                self.assertGreaterEqual(pauses, 1, log[-2000:])
                self.assertLess(pauses, 30, "logged %d times in 1.5 s" % pauses)
            finally:
                for s in socks:
                    s.close()
            resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (4096, hard))
            time.sleep(0.5)
            self.assertEqual(d.get("/healthz").status, 200)

    @staticmethod
    def cpu(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Port(unittest.TestCase):
    def test_refuses_a_port_already_listened_on(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(5)
        port = s.getsockname()[1]
        try:
            with tempfile.TemporaryDirectory() as tmp:
                conf = os.path.join(tmp, "c.conf")
                with open(conf, "w") as f:
                    f.write('data-dir "%s"\nopenapi "%s"\n' % (tmp + "/data", OPENAPI))
                p = subprocess.run(WRAPPER + [BINARY, "--config", conf, "--listen",
                                              "127.0.0.1", "--port", str(port)],
                                   capture_output=True, timeout=30)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(str(port), p.stderr.decode())
        finally:
            s.close()

    def test_a_later_socket_gets_no_connections(self):
        with Daemon(workers=2) as d:
            thief = socket.socket()
            thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                thief.bind(("127.0.0.1", d.port))
            except OSError:
                thief.close()
                return  # refused outright: nothing to steal
            thief.listen(64)
            thief.setblocking(False)
            try:
                for _ in range(60):
                    self.assertEqual(d.get("/healthz").status, 200)
                stolen = 0
                try:
                    while True:
                        thief.accept()[0].close()
                        stolen += 1
                except BlockingIOError:
                    pass
                self.assertEqual(stolen, 0, "another process got %d connections" % stolen)
            finally:
                thief.close()


class IdempotencyExpiry(unittest.TestCase):
    def test_a_key_is_forgotten_after_idempotency_ttl(self):
        import json
        from stdtaxd import SRCDIR
        with open(os.path.join(SRCDIR, "tests", "data", "proposal-local.json"),
                  encoding="utf-8") as f:
            sub = json.load(f)
        other = dict(sub, title="另一个 幂等 过期 测试 标准")
        config = ("token secretariat admin %s\nduplicate-check no\nidempotency-ttl 2\n"
                  % TOKEN)
        with Daemon(config=config) as d:
            h = {"Idempotency-Key": "expiry-1"}
            first = d.post("/v1/proposals", sub, token=TOKEN, headers=h)
            self.assertEqual(first.status, 201, first)
            again = d.post("/v1/proposals", sub, token=TOKEN, headers=h)
            self.assertEqual((again.status, again.json()["id"]), (200, first.json()["id"]))
            self.assertEqual(d.post("/v1/proposals", other, token=TOKEN,
                                    headers=h).status, 409)
            time.sleep(3.2)
            # Past the time to live the key is a new one: another body is accepted...
            later = d.post("/v1/proposals", other, token=TOKEN, headers=h)
            self.assertEqual(later.status, 201, later)
            self.assertNotEqual(later.json()["id"], first.json()["id"])
            # ...and the key now replays that request.
            again = d.post("/v1/proposals", other, token=TOKEN, headers=h)
            self.assertEqual((again.status, again.json()["id"]), (200, later.json()["id"]))
            data = d.data_dir
        # Keys past their time are removed when the daemon starts.
        time.sleep(3.2)
        with Daemon(config=config, data_dir=data) as d:
            r = d.post("/v1/proposals", sub, token=TOKEN, headers=h)
            self.assertEqual(r.status, 201, r)

    def test_default_is_seven_days(self):
        p = subprocess.run(WRAPPER + [BINARY, "--check-config"], capture_output=True,
                           text=True, timeout=60)
        self.assertIn("idempotency-ttl 604800", p.stdout)


if __name__ == "__main__":
    tap_main()
