"""TAP: stdtax import on the intake corpus of issue 20 (tests/data/intake): every
accepted form imports, every refused one is refused with exactly its pointer and rule,
and the problems follow the locale (LANG=zh_CN.UTF-8)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proposals import on_time_taxonomy  # noqa: E402
from test_store_cli import TapResult  # noqa: E402

SRCDIR = os.environ.get("STDTAX_SRCDIR", ".")
BUILDDIR = os.environ.get("STDTAX_BUILDDIR", ".")
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")
INTAKE = os.path.join(SRCDIR, "tests", "data", "intake")
HAN = re.compile(r"[\u4e00-\u9fff]")


def corpus(kind):
    d = os.path.join(INTAKE, kind)
    return [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".json")]


class IntakeCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stdtax-intake-")
        self.tax = on_time_taxonomy(os.path.join(self.tmp, "taxonomy.json"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stdtax(self, *args, lang="C.UTF-8"):
        env = dict(os.environ, LANG=lang)
        for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
            env.pop(name, None)
        return subprocess.run([STDTAX] + list(args), capture_output=True, text=True,
                              timeout=120, env=env)

    def imp(self, path, lang="C.UTF-8"):
        return self.stdtax("import", "--data-dir", os.path.join(self.tmp, "d"),
                           "--taxonomy", self.tax, path, lang=lang)

    def test_every_accepted_form_imports(self):
        files = corpus("accepted")
        self.assertGreaterEqual(len(files), 40)
        lines = os.path.join(self.tmp, "all.jsonl")
        with open(lines, "w", encoding="utf-8") as out:
            for path in files:
                with open(path, encoding="utf-8") as f:
                    out.write(json.dumps(json.load(f), ensure_ascii=False) + "\n")
        r = self.imp(lines)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported %d" % len(files), r.stdout + r.stderr)
        r = self.stdtax("export", "--data-dir", os.path.join(self.tmp, "d"), "--taxonomy",
                        self.tax, "--format", "jsonl")
        self.assertEqual(r.returncode, 0, r.stderr)
        records = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(len(records), len(files))
        for rec in records:
            self.assertRegex(rec["contact"].get("phone", "+8613800000000"),
                             r"^\+?[0-9]{7,20}(;ext=[0-9]{1,8})?$")

    def test_every_refused_form_names_its_pointer_and_rule(self):
        with open(os.path.join(INTAKE, "refused.json"), encoding="utf-8") as f:
            expected = json.load(f)
        self.assertGreaterEqual(len(expected), 40)
        for want in expected:
            path = os.path.join(INTAKE, "refused", want["file"])
            r = self.imp(path)
            self.assertEqual(r.returncode, 1, (want["file"], r.stderr))
            problems = [line for line in r.stderr.splitlines()
                        if line.startswith(path + ": /")]
            self.assertEqual(len(problems), 1, (want["file"], r.stderr))
            m = re.match(re.escape(path) + r": (\S*): (.*) \[([a-z0-9-]+)\]$", problems[0])
            self.assertIsNotNone(m, problems[0])
            self.assertEqual((m.group(1), m.group(3)), (want["pointer"], want["rule"]),
                             want["file"])

    def test_problems_follow_the_locale(self):
        path = os.path.join(INTAKE, "refused", "05-phone-too-short.json")
        zh = self.imp(path, lang="zh_CN.UTF-8")
        en = self.imp(path, lang="en_US.UTF-8")
        self.assertEqual(zh.returncode, 1)
        self.assertEqual(en.returncode, 1)
        self.assertIn("电话号码须有 7 至 20 位数字 [phone-digits]", zh.stderr)
        self.assertIn("phone number must have 7 to 20 digits [phone-digits]", en.stderr)
        self.assertNotRegex(en.stderr, HAN)


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    print("1..%d" % suite.countTestCases(), flush=True)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
