"""SIGTERM/SIGINT: stop accepting, finish what is in flight, exit 0."""

import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import Daemon, read_response, tap_main  # noqa: E402


class Shutdown(unittest.TestCase):
    def test_sigterm_idle_exits_0_quickly(self):
        d = Daemon()
        try:
            d.start()
            t0 = time.monotonic()
            self.assertEqual(d.stop(signal.SIGTERM), 0, d.log())
            self.assertLess(time.monotonic() - t0, 3)
            self.assertIn("stopped", d.log())
        finally:
            d.cleanup()

    def test_sigint_exits_0(self):
        d = Daemon()
        try:
            d.start()
            self.assertEqual(d.stop(signal.SIGINT), 0, d.log())
        finally:
            d.cleanup()

    def test_requests_in_flight_finish(self):
        d = Daemon(config="shutdown-grace 10\n")
        try:
            d.start()
            # Two requests in flight when SIGTERM arrives: one with half its
            # headers sent, one with half its body sent.
            a = d.connect(timeout=10)
            a.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            b = d.connect(timeout=10)
            b.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
            # An idle keep-alive connection must not hold the shutdown up.
            idle = d.connect(timeout=10)
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(idle)[0], 200)
            time.sleep(0.2)
            d.send_signal(signal.SIGTERM)
            self.assertTrue(d.wait_log("no longer accepting"))
            time.sleep(0.5)  # well past the first idle sweep
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", d.port), timeout=2).close()
            self.assertEqual(idle.recv(1), b"", "idle connection closed")
            a.sendall(b"\r\n")
            status, headers, body = read_response(a)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("connection"), "close")
            b.sendall(b"67890")
            status, headers, body = read_response(b)
            self.assertEqual(status, 405)
            self.assertEqual(headers.get("connection"), "close")
            self.assertEqual(d.wait(10), 0, d.log())
            for s in (a, b, idle):
                s.close()
        finally:
            d.cleanup()

    def test_grace_period_bounds_the_wait(self):
        d = Daemon(config="shutdown-grace 1\n")
        try:
            d.start()
            s = d.connect(timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never completed
            time.sleep(0.2)
            t0 = time.monotonic()
            self.assertEqual(d.stop(signal.SIGTERM), 0, d.log())
            self.assertLess(time.monotonic() - t0, 4)
            self.assertIn("grace over", d.log())
            s.close()
        finally:
            d.cleanup()

    def test_request_on_idle_connection_after_sigterm_is_refused(self):
        d = Daemon(config="shutdown-grace 5\n")
        try:
            d.start()
            s = d.connect(timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(s)[0], 200)
            d.send_signal(signal.SIGTERM)
            self.assertTrue(d.wait_log("no longer accepting"))
            # Sent after shutdown began: answered 503 if read before the idle
            # sweep closes the connection, else the connection is closed.
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                status, headers, body = read_response(s)
            except (ConnectionResetError, BrokenPipeError):
                status = None
            self.assertIn(status, (None, 503))
            self.assertEqual(d.wait(10), 0, d.log())
            s.close()
        finally:
            d.cleanup()

    def test_second_signal_stops_at_once(self):
        d = Daemon(config="shutdown-grace 30\n")
        try:
            d.start()
            s = d.connect(timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # holds the drain
            time.sleep(0.2)
            d.send_signal(signal.SIGTERM)
            self.assertTrue(d.wait_log("no longer accepting"))
            t0 = time.monotonic()
            d.send_signal(signal.SIGTERM)
            self.assertEqual(d.wait(10), 0, d.log())
            self.assertLess(time.monotonic() - t0, 3)
            s.close()
        finally:
            d.cleanup()


if __name__ == "__main__":
    tap_main()
