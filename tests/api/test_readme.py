"""README.md as a reader runs it: every curl example of its "Using the API" section
against a test daemon, in order, each exiting 0 with the status its comment gives; and
the whole walk-through, every shell block from top to bottom in one shell, as written
(the build and install blocks aside: this test runs inside the build they make)."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import BUILDDIR, SLOW, SRCDIR, Daemon, tap_main  # noqa: E402

SUBMIT = "readme-submit-0123456789"
ADMIN = "readme-admin-0123456789"


def examples():
    """(expected status, command) for each curl command of the section, in order."""
    with open(os.path.join(SRCDIR, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Using the API\n", 1)[1].split("\n## ", 1)[0]
    out = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            m = re.match(r"# (\d{3})\b", lines[i])
            if m and i + 1 < len(lines) and lines[i + 1].startswith("curl "):
                cmd = []
                i += 1
                while True:
                    cmd.append(lines[i])
                    if not lines[i].endswith("\\"):
                        break
                    i += 1
                out.append((int(m.group(1)), "\n".join(cmd)))
            i += 1
    return out


class Readme(unittest.TestCase):
    def test_examples_cover_every_operation(self):
        cmds = "\n".join(c for _, c in examples())
        for path in ("/healthz", "/metrics", "/v1/openapi.json", "/v1/taxonomy\"",
                     "/v1/taxonomy/", "/v1/classify\"", "/v1/classify/batch",
                     "/v1/proposals\"", "/v1/proposals?", "/v1/proposals/P", "-X PATCH",
                     "-X DELETE", "/v1/stats", "/v1/coverage", "/v1/catalog\"",
                     "/v1/catalog?", "/overlaps"):
            self.assertIn(path, cmds)

    def test_every_example_answers_as_documented(self):
        found = examples()
        self.assertGreaterEqual(len(found), 17)
        with Daemon(config="token ci submit %s\ntoken secretariat admin %s\n"
                    % (SUBMIT, ADMIN)) as d, tempfile.TemporaryDirectory() as cwd:
            # The examples name the data files relative to the source tree.
            os.symlink(os.path.join(SRCDIR, "tests"), os.path.join(cwd, "tests"))
            os.symlink(os.path.join(SRCDIR, "taxonomy"), os.path.join(cwd, "taxonomy"))
            env = dict(os.environ, STDTAXD="http://127.0.0.1:%d" % d.port,
                       SUBMIT_TOKEN=SUBMIT, ADMIN_TOKEN=ADMIN, WALK=cwd)
            for status, cmd in found:
                # -w prints the status after the body; -o (when the example has
                # none) keeps big bodies out of the test's memory.
                extra = " -w '\\n%{http_code}\\n'" + ("" if " -o " in cmd else " -o /dev/null")
                p = subprocess.run(["bash", "-c", cmd + extra], cwd=cwd, env=env,
                                   capture_output=True, timeout=30)
                self.assertEqual(p.returncode, 0, (cmd, p.stderr))
                got = p.stdout.decode("utf-8", "replace").rstrip("\n").rsplit("\n", 1)[-1]
                self.assertEqual(got, str(status), cmd)
            self.assertTrue(os.path.getsize(os.path.join(cwd, "proposals.csv")) > 100)


# The blocks a reader runs to build, test and install: this test runs inside the build
# they make, so it checks they are still these and leaves them out.
BUILD_BLOCKS = [
    'scripts/install-deps && autoreconf -fi && ./configure && make -j"$(nproc)"',
    'make -j"$(nproc)" check',
    "sudo apt-get build-dep ./ && dpkg-buildpackage -us -uc -b && "
    "sudo apt-get install ../stdtaxd_*.deb",
]


def shell_blocks():
    with open(os.path.join(SRCDIR, "README.md"), encoding="utf-8") as f:
        return [b.strip("\n") for b in re.findall(r"```sh\n(.*?)```", f.read(), re.S)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Walkthrough(unittest.TestCase):
    def test_blocks_run_top_to_bottom_as_written(self):
        blocks = shell_blocks()
        for b in BUILD_BLOCKS:
            self.assertIn(b, blocks, "the build blocks changed: update BUILD_BLOCKS")
        script = [b for b in blocks if b not in BUILD_BLOCKS]
        self.assertGreaterEqual(len(script), 10)
        with tempfile.TemporaryDirectory() as cwd:
            # The source tree as the reader has it after the build: the programs from
            # the build directory, the data from the source directory.
            os.symlink(os.path.join(BUILDDIR, "src"), os.path.join(cwd, "src"))
            for d in ("tests", "taxonomy", "api", "web", "scripts"):
                os.symlink(os.path.join(SRCDIR, d), os.path.join(cwd, d))
            tmp = os.path.join(cwd, "tmp")
            os.mkdir(tmp)
            port = free_port()
            env = dict(os.environ, PORT=str(port), TMPDIR=tmp, LANG="C.UTF-8")
            for name in ("SUBMIT_TOKEN", "ADMIN_TOKEN", "STDTAXD", "WALK", "LC_ALL"):
                env.pop(name, None)
            text = "set -euo pipefail\n" + "\n".join(script) + "\n"
            p = subprocess.run(["bash", "-c", text], cwd=cwd, env=env, capture_output=True,
                               timeout=300 * SLOW)
            out = p.stdout.decode("utf-8", "replace")
            err = p.stderr.decode("utf-8", "replace")
            self.assertEqual(p.returncode, 0, "stdout:\n%s\nstderr:\n%s" % (out[-3000:], err))
            self.assertIn("read 1, imported 1, duplicates 0, skipped 0", out + err)
            self.assertIn("0 count differences", out + err)
            self.assertIn('"urn:stdtaxd:problem:late"', out)
            self.assertIn("内容不符合要求", out)
            # The daemon stopped (the port is free again) and the data is gone.
            with socket.socket() as s:
                self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0)
            self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    tap_main()
