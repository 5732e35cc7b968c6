"""TAP: `stdtax --help`, `stdtax COMMAND --help` (and -h) and `stdtax --version` answer on
stdout with exit 0; every command's usage names every option the documentation gives it
(doc/cli.md, doc/stdtax.1), and every option the usage names is one the command's parser
accepts; wrong usage exits 2 with the usage on stderr."""

import os
import re
import subprocess
import sys
import tempfile
import traceback
import unittest

SRCDIR = os.environ.get("STDTAX_SRCDIR", ".")
BUILDDIR = os.environ.get("STDTAX_BUILDDIR", ".")
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")
GLOBAL_WITH_ARG = {"--data-dir", "--taxonomy", "--model"}
FILTERS = ["--call", "--track", "--status", "--category", "--topic", "--query"]
# getopt's words for an option it does not know, or that lacks its argument
GETOPT_REFUSES = re.compile(r"unrecognized option|requires an argument|"
                            r"doesn't allow an argument|invalid option")


def run(*args, cwd=None):
    return subprocess.run([STDTAX] + list(args), capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def table_commands():
    """The commands of the CLI's table in src/cli/stdtax.c (as tests/man-lint.sh reads
    them)."""
    with open(os.path.join(SRCDIR, "src", "cli", "stdtax.c"), encoding="utf-8") as f:
        return re.findall(r'^\s*\{"([a-z-]+)", cmd_', f.read(), re.M)


def synopses(usage):
    """{"eval": ["--taxonomy", ...], "catalog list": [...]} from the "usage:" lines of a
    --help output (a synopsis goes on over the lines indented under it)."""
    out, name = {}, None
    for line in usage.splitlines():
        m = re.match(r"^(?:usage: |       )stdtax ((?:[a-z]+)(?: [a-z]+)?)(.*)$", line)
        if m:
            words = m.group(1).split()
            # "catalog list" is a subcommand, "taxonomy validate FILE" an operand
            name = " ".join(words if words[0] == "catalog" else words[:1])
            out[name] = []
            rest = m.group(2) if name == m.group(1) else line
        elif name and line.startswith(" " * 12):
            rest = line
        else:
            name = None
            continue
        out[name] += re.findall(r"\[(?:-[a-z]\|)?(--[a-z][a-z-]*)", rest)
    return out


def listed_options(usage):
    """The options of the help's option list ("  --name ARG   help", "  -o, --output
    FILE   help"), short ones included, --help and -h left out."""
    found = set()
    for short, long in re.findall(r"^  (?:(-[a-zA-Z]), )?(--[a-z][a-z-]*)", usage, re.M):
        found.update(o for o in (short, long) if o and o not in ("-h", "--help"))
    return found


def doc_options():
    """{command: {options}} as doc/cli.md's command lines and stdtax(1)'s command
    entries give them."""
    docs = {}
    with open(os.path.join(SRCDIR, "doc", "cli.md"), encoding="utf-8") as f:
        name = None
        for line in f:
            m = re.match(r"^ {4,}stdtax (.*)$", line)
            if m:
                words = m.group(1).split()
                while words and words[0] in GLOBAL_WITH_ARG | {"--no-model"}:
                    words = words[2:] if words[0] in GLOBAL_WITH_ARG else words[1:]
                if not words or words[0].startswith("-") or (
                        words[0] == "catalog" and not re.fullmatch(r"[a-z]+", words[1])):
                    name = None
                    continue
                name = words[0] + (" " + words[1] if words[0] == "catalog" else "")
                rest = " ".join(words[1:])
            elif name and re.match(r"^ {8,}\[", line):
                rest = line
            else:
                name = None
                continue
            opts = docs.setdefault(name, set())
            opts.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o)\b", rest))
            if "FILTERS" in rest:
                opts.update(FILTERS)
    with open(os.path.join(SRCDIR, "doc", "stdtax.1"), encoding="utf-8") as f:
        page = f.read()
    for block in re.findall(r"^\.It Xo\n(.*?)^\.Xc$", page, re.M | re.S):
        words = re.match(r"\.Ic (\S+)(?: (\S+))?", block)
        name = words.group(1) + (" " + words.group(2) if words.group(1) == "catalog"
                                 else "")
        docs.setdefault(name, set()).update(
            "-" + o for o in re.findall(r"Fl (-[a-z][a-z-]*|o)\b", block))
    return docs


class Help(unittest.TestCase):
    def test_top_level_help(self):
        for flag in ("--help", "-h"):
            r = run(flag)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(r.stdout.startswith("usage: stdtax"), r.stdout)
            self.assertEqual(r.stderr, "")
            for name in table_commands():
                self.assertRegex(r.stdout, r"(?m)^  %s " % name)
        # after global options too; the defaults it shows follow them
        r = run("--data-dir", "/srv/x", "--no-model", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(default: /srv/x)", r.stdout)
        self.assertIn("(default: none, --no-model given)", r.stdout)

    def test_version(self):
        with open(os.path.join(BUILDDIR, "config.h"), encoding="utf-8") as f:
            version = re.search(r'#define PACKAGE_VERSION "([^"]+)"', f.read()).group(1)
        r = run("--version")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "stdtax %s\n" % version, ""))

    def test_every_command_helps(self):
        names = table_commands()
        self.assertGreaterEqual(len(names), 10)
        for name in names:
            for flag in ("--help", "-h"):
                with self.subTest(command=name, flag=flag):
                    r = run(name, flag)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stderr, "")
                    self.assertTrue(r.stdout.startswith("usage: stdtax " + name),
                                    r.stdout)
                    self.assertIn("--help", r.stdout)

    def test_usage_names_every_documented_option(self):
        docs = doc_options()
        for name in table_commands():
            usage = run(name, "--help").stdout
            listed = listed_options(usage)
            for cmd, opts in docs.items():
                if cmd.split()[0] != name:
                    continue
                with self.subTest(command=cmd):
                    self.assertEqual(opts - listed, set(), usage)
                    if " " in cmd:  # a subcommand: its own synopsis names them
                        self.assertEqual(
                            {o for o in opts if o != "-o"} - set(synopses(usage)[cmd]),
                            set(), usage)
        # the options issue 13 found missing from the usage
        self.assertIn("--format csv|jsonl|training", run("export", "--help").stdout)
        eval_usage = run("eval", "--help").stdout
        for opt in ("--cv", "--extra", "--seed", "--show-errors"):
            self.assertIn(opt, listed_options(eval_usage))

    def test_every_option_of_the_usage_is_parsed(self):
        # In an empty directory, with the store there: no option reaches real data.
        with tempfile.TemporaryDirectory(prefix="stdtax-help-") as tmp:
            for name in table_commands():
                usage = run(name, "--help").stdout
                syn = synopses(usage)
                self.assertTrue(syn, usage)
                longs = {o for o in listed_options(usage) if o.startswith("--")}
                self.assertEqual(set().union(*syn.values()), longs,
                                 "synopsis and option list disagree:\n" + usage)
                for cmd, opts in syn.items():
                    for opt in opts:
                        takes_arg = re.search(r"(?m)^  (?:-., )?%s [^ ]" % re.escape(opt),
                                              usage) is not None
                        args = cmd.split() + [opt] + (["x"] if takes_arg else [])
                        with self.subTest(args=args):
                            r = run("--data-dir", "store", *args, cwd=tmp)
                            self.assertNotRegex(r.stderr, GETOPT_REFUSES)
                            self.assertGreaterEqual(r.returncode, 0, "killed by a signal")

    def test_wrong_usage_exits_2_with_the_usage_on_stderr(self):
        for args in (["classify", "--bogus"], ["classify"], ["eval"], ["catalog"],
                     ["catalog", "list", "--repair"], ["taxonomy", "check", "x"],
                     ["check", "extra"], ["export", "--format"]):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertIn("usage: stdtax " + args[0], r.stderr)
        r = run()
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("usage: stdtax", r.stderr)


class TapResult(unittest.TestResult):
    """One TAP line per test, "not ok" when the test or any of its subtests failed."""

    def __init__(self):
        super().__init__()
        self.n = 0
        self.errors_of_test = []

    def startTest(self, test):
        super().startTest(test)
        self.errors_of_test = []

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.errors_of_test.append((test, err))

    addError = addFailure

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.errors_of_test.append((subtest, err))

    def stopTest(self, test):
        super().stopTest(test)
        self.n += 1
        print("%s %d - %s" % ("not ok" if self.errors_of_test else "ok", self.n,
                              test.id().split(".", 1)[-1]), flush=True)
        for where, err in self.errors_of_test:
            print("# " + str(where), flush=True)
            for line in "".join(traceback.format_exception(*err)).splitlines():
                print("# " + line, flush=True)


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Help)
    print("1..%d" % suite.countTestCases(), flush=True)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
