"""Regressions for what tests/reliability/ found (tests/RELIABILITY.md): a request
trickled in byte by byte (slowloris) loses its connection after read-timeout; two
Content-Length headers are 400 and close; start-up failures name the file and say how
to fix it, and a store error is not blamed on the model file."""

import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import OPENAPI, SRCDIR, Daemon, run, tap_main  # noqa: E402

TAXONOMY = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")
MODEL = os.path.join(SRCDIR, "taxonomy", "model-2023.json")


class Slowloris(unittest.TestCase):
    def test_trickled_request_is_cut_after_read_timeout(self):
        with Daemon(config="read-timeout 1\nidle-timeout 30\n", workers=1) as d:
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                t0 = time.monotonic()
                closed = False
                s.settimeout(0.2)
                # One byte every 0.3 s restarts libevent's own timeout each time.
                while time.monotonic() - t0 < 8:
                    try:
                        s.sendall(b"a")
                        if s.recv(4096) == b"":
                            closed = True
                            break
                    except socket.timeout:
                        continue
                    except OSError:
                        closed = True
                        break
                    time.sleep(0.3)
                self.assertTrue(closed, "a trickled request held its connection 8 s")
                self.assertLess(time.monotonic() - t0, 4)
            finally:
                s.close()
            # An ordinary request still works.
            self.assertEqual(d.get("/healthz").status, 200)

    def test_slow_but_complete_requests_are_not_cut(self):
        with Daemon(config="read-timeout 2\n", workers=1) as d:
            c = d.connection(timeout=10)
            try:
                for _ in range(4):  # kept alive longer than read-timeout in total
                    self.assertEqual(d.request("GET", "/healthz", conn=c).status, 200)
                    time.sleep(0.8)
            finally:
                c.close()


class Framing(unittest.TestCase):
    def test_two_content_lengths_are_refused_and_closed(self):
        with Daemon() as d:
            c = d.connect()
            try:
                c.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          b"application/json\r\nContent-Length: 2\r\nContent-Length: 40"
                          b"\r\n\r\n{}")
                status, headers, body = c.read_response()
                self.assertEqual(status, 400, body)
                self.assertTrue(headers["content-type"].startswith("application/problem+json"))
                self.assertEqual(headers.get("connection"), "close")
            finally:
                c.close()

    def test_content_length_with_chunked_is_refused(self):
        with Daemon() as d:
            c = d.connect()
            try:
                c.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          b"application/json\r\nContent-Length: 40\r\nTransfer-Encoding: "
                          b"chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
                status, headers, body = c.read_response()
                self.assertEqual(status, 400, body)
            finally:
                c.close()


class StartupMessages(unittest.TestCase):
    def start(self, *args):
        tmp = tempfile.mkdtemp(prefix="stdtaxd-hardening-")
        self.addCleanup(lambda: __import__("shutil").rmtree(tmp, ignore_errors=True))
        argv = ["--listen", "127.0.0.1", "--port", "0", "--port-file",
                os.path.join(tmp, "port"), "--openapi", OPENAPI] + list(args)
        return tmp, argv

    def test_corrupt_store_names_the_file_not_the_model(self):
        tmp, argv = self.start()
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        with open(os.path.join(data, "data.mdb"), "wb") as f:
            f.write(b"not a database\n" * 1000)
        rc, out, err = run(argv + ["--data-dir", data, "--taxonomy", TAXONOMY,
                                   "--model", MODEL])
        self.assertNotEqual(rc, 0)
        self.assertIn(os.path.join(data, "data.mdb"), err)
        self.assertNotIn(MODEL, err)
        self.assertIn("to fix:", err)

    def test_missing_taxonomy_names_it_and_the_fix(self):
        tmp, argv = self.start()
        gone = os.path.join(tmp, "gone.json")
        rc, out, err = run(argv + ["--data-dir", os.path.join(tmp, "data"),
                                   "--taxonomy", gone, "--model", MODEL])
        self.assertNotEqual(rc, 0)
        self.assertIn(gone, err)
        self.assertIn("to fix: set taxonomy", err)


if __name__ == "__main__":
    tap_main()
