"""stdtaxd's command line and config file, on the real binary."""

import os
import shutil
import signal
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import OPENAPI, Daemon, run, tap_main  # noqa: E402

SECRET = "very-secret-token-0123456789"


def write(dirname, name, text):
    path = os.path.join(dirname, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path



def scratch_dir(test):
    """A data directory of the test's own, so no run touches the build tree's var/."""
    path = tempfile.mkdtemp(prefix="stdtaxd-cfg-")
    test.addCleanup(shutil.rmtree, path, True)
    return path

class CheckConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="stdtaxd-conf-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_good_config_exits_0_and_hides_secrets(self):
        conf = write(self.dir, "good.conf",
                     "# comment\nlisten 127.0.0.1:9123\nworkers 2\n"
                     "token ci submit %s\nmax-body 2MiB\nopenapi \"%s\"\n" % (SECRET, OPENAPI))
        code, out, err = run(["--config", conf, "--check-config"])
        self.assertEqual(code, 0, err)
        self.assertIn("configuration OK", out)
        self.assertIn("port 9123", out)
        self.assertIn("max-body 2097152", out)
        self.assertIn("token ci submit", out)
        self.assertNotIn(SECRET, out + err)

    def test_bad_line_names_file_line_and_reason(self):
        conf = write(self.dir, "bad.conf", "port 8080\n# fine\nworkers many\n")
        code, out, err = run(["--config", conf, "--check-config"])
        self.assertEqual(code, 1)
        self.assertIn("%s:3" % conf, err)
        self.assertIn("workers", err)
        self.assertIn("not a valid number", err)

    def test_unknown_directive(self):
        conf = write(self.dir, "bad.conf", "\n\nlisten-port 80\n")
        code, out, err = run(["--config", conf, "--check-config"])
        self.assertEqual(code, 1)
        self.assertIn("%s:3: unknown directive 'listen-port'" % conf, err)

    def test_bad_token_line_never_echoes_the_secret(self):
        conf = write(self.dir, "bad.conf", "token ci reader %s\n" % SECRET)
        code, out, err = run(["--config", conf, "--check-config"])
        self.assertEqual(code, 1)
        self.assertIn("%s:1" % conf, err)
        self.assertIn("submit or admin", err)
        self.assertNotIn(SECRET, err)

    def test_missing_config_file(self):
        code, out, err = run(["--config", os.path.join(self.dir, "none.conf"), "--check-config"])
        self.assertEqual(code, 1)
        self.assertIn("none.conf", err)

    def test_flags_override_the_file(self):
        conf = write(self.dir, "c.conf", "port 9000\nlog-level warn\n")
        code, out, err = run(["--config", conf, "--port", "9001", "--check-config"])
        self.assertEqual(code, 0, err)
        self.assertIn("port 9001", out)
        self.assertIn("log-level warn", out)

    def test_bad_flag_value_names_the_flag(self):
        code, out, err = run(["--port", "99999", "--check-config"])
        self.assertEqual(code, 1)
        self.assertIn("--port", err)
        self.assertIn("out of range", err)
        code, out, err = run(["--no-such-flag"])
        self.assertEqual(code, 1)
        self.assertIn("--no-such-flag", err)
        code, out, err = run(["stray"])
        self.assertEqual(code, 1)

    def test_bad_openapi_file_fails_check(self):
        bad = write(self.dir, "api.json", '{"openapi": "3.1.0",}')
        code, out, err = run(["--openapi", bad, "--check-config"])
        self.assertEqual(code, 1)
        self.assertIn("api.json", err)

    def test_defaults_in_build_tree(self):
        code, out, err = run(["--check-config"])
        self.assertEqual(code, 0, err)
        self.assertIn('listen "127.0.0.1"', out)
        self.assertIn("port 8080", out)
        self.assertIn("taxonomy/shanghai-ai-2023.json", out)
        self.assertIn("var/stdtaxd", out)
        self.assertIn("no config file", out)

    def test_help_and_version(self):
        code, out, err = run(["--help"])
        self.assertEqual(code, 0)
        for flag in ["--listen", "--port", "--data-dir", "--taxonomy", "--config",
                     "--threads", "--check-config", "--version", "--max-body"]:
            self.assertIn(flag, out)
        code, out, err = run(["--version"])
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^stdtaxd \d+\.\d+\.\d+\n$")


class StartUp(unittest.TestCase):
    def test_listen_flag_with_port(self):
        # --listen ADDR:PORT is also accepted; the harness then overrides the port.
        with Daemon(args=["--listen", "127.0.0.1:0"]) as d:
            self.assertEqual(d.get("/healthz").status, 200)

    def test_port_in_use_fails_with_a_message(self):
        # A socket without SO_REUSEPORT holds the port: stdtaxd must refuse to start.
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        try:
            port = holder.getsockname()[1]
            code, out, err = run(["--port", str(port), "--listen", "127.0.0.1",
                                  "--workers", "1", "--data-dir", scratch_dir(self)])
            self.assertEqual(code, 1)
            self.assertIn("bind on 127.0.0.1 port %d" % port, err)
        finally:
            holder.close()

    def test_second_instance_on_the_same_port_is_refused(self):
        with Daemon() as d:
            code, out, err = run(["--port", str(d.port), "--listen", "127.0.0.1",
                                  "--data-dir", scratch_dir(self)])
            self.assertEqual(code, 1)
            self.assertIn("Address already in use", err)
            self.assertEqual(d.get("/healthz").status, 200)

    def test_sighup_without_reload_hook_keeps_serving(self):
        with Daemon() as d:
            d.send_signal(signal.SIGHUP)
            self.assertTrue(d.wait_log("SIGHUP"))
            self.assertEqual(d.get("/healthz").status, 200)


if __name__ == "__main__":
    tap_main()
