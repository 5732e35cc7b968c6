"""Runs every curl example of README.md's "Using the API" section against a test
daemon, in order, and checks that each exits 0 with the status its comment gives."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, tap_main  # noqa: E402

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
                       SUBMIT_TOKEN=SUBMIT, ADMIN_TOKEN=ADMIN)
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


if __name__ == "__main__":
    tap_main()
