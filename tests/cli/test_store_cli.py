"""TAP: stdtax import, export, stats, coverage and check against a real store."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from proposals import GROUP, LOCAL, jsonl, on_time_taxonomy, proposal  # noqa: E402
from stdtaxd import Daemon  # noqa: E402

SRCDIR = os.environ.get("STDTAX_SRCDIR", ".")
BUILDDIR = os.environ.get("STDTAX_BUILDDIR", ".")
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")
SHIPPED = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")


def run(*args, stdin=None):
    return subprocess.run([STDTAX] + [str(a) for a in args], input=stdin,
                          capture_output=True, text=True, timeout=120)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stdtax-cli-")
        self.tax = on_time_taxonomy(os.path.join(self.tmp, "taxonomy.json"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)

    def cli(self, cmd, *args, data="d", tax=None, stdin=None):
        return run(cmd, "--data-dir", self.path(data), "--taxonomy", tax or self.tax,
                   *args, stdin=stdin)

    def ok(self, r, code=0):
        self.assertEqual(r.returncode, code, "stdout: %s\nstderr: %s" % (r.stdout, r.stderr))
        return r

    def stats(self, *args, data="d"):
        return json.loads(self.ok(self.cli("stats", "--json", *args, data=data)).stdout)

    def export_records(self, *args, data="d"):
        out = self.ok(self.cli("export", "--format", "jsonl", *args, data=data)).stdout
        return [json.loads(line) for line in out.splitlines()]

    def summary(self, r):
        m = re.search(r"read (\d+), imported (\d+), duplicates (\d+), skipped (\d+)",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        return tuple(int(x) for x in m.groups())


class Deadline(Base):
    """Call 2023 closed in 2023: the shipped taxonomy refuses its proposals unless the
    secretariat imports them, which marks them late."""

    def setUp(self):
        super().setUp()
        self.file = self.write("two.jsonl", jsonl([LOCAL, GROUP]))

    def test_late_refused(self):
        r = self.ok(self.cli("import", self.file, tax=SHIPPED), 1)
        self.assertIn("%s:1: /track: " % self.file, r.stderr)
        self.assertIn("%s:2: /track: " % self.file, r.stderr)
        self.assertIn("nothing imported", r.stderr)
        self.assertEqual(self.summary(r), (2, 0, 0, 2))
        self.assertEqual(self.stats()["total"], 0)

    def test_secretariat_marks_late(self):
        r = self.ok(self.cli("import", "--as-secretariat", self.file, tax=SHIPPED))
        self.assertEqual(self.summary(r), (2, 2, 0, 0))
        recs = self.export_records()
        self.assertEqual(len(recs), 2)
        self.assertTrue(all(rec["late"] is True for rec in recs), recs)
        self.assertEqual(sorted(rec["track"] for rec in recs), ["group", "local"])

    def test_json_document(self):
        # The examples themselves: one pretty-printed object per .json file.
        f = os.path.join(SRCDIR, "tests", "data", "proposal-group.json")
        r = self.ok(self.cli("import", f, tax=SHIPPED), 1)
        self.assertIn("%s: /track: " % f, r.stderr)
        r = self.ok(self.cli("import", "--as-secretariat", f, tax=SHIPPED))
        self.assertEqual(self.summary(r), (1, 1, 0, 0))


class Import(Base):
    def test_reimport_counts_once(self):
        f = self.write("p.jsonl", jsonl(proposal(i) for i in range(6)))
        self.assertEqual(self.summary(self.ok(self.cli("import", f))), (6, 6, 0, 0))
        before = self.stats()
        self.assertEqual(before["total"], 6)
        # Same file again, and the same proposals with members in another order.
        self.assertEqual(self.summary(self.ok(self.cli("import", f))), (6, 0, 6, 0))
        shuffled = "".join(json.dumps(dict(reversed(list(proposal(i).items()))),
                                      ensure_ascii=False) + "\n" for i in range(6))
        g = self.write("q.jsonl", shuffled)
        self.assertEqual(self.summary(self.ok(self.cli("import", g))), (6, 0, 6, 0))
        self.assertEqual(self.stats(), before)
        self.ok(self.cli("check"))

    def test_refuses_the_duplicate_the_api_refuses(self):
        """Issue 13: the same organisation's stored proposal again with its scope one
        sentence longer - the API answers 409; import stored it.  Now both refuse it by
        the same code (svc_proposal_commit), with the same problem."""
        first = proposal(0)
        self.assertEqual(self.summary(self.ok(self.cli(
            "import", self.write("a.jsonl", jsonl([first]))))), (1, 1, 0, 0))
        stored = self.export_records()[0]["id"]
        again = dict(first, scope=first["scope"] + "本标准也适用于相关产品的验收。")
        f = self.write("b.jsonl", jsonl([again]))
        r = self.ok(self.cli("import", f), 1)
        self.assertEqual(self.summary(r), (1, 0, 0, 1))
        self.assertEqual(self.stats()["total"], 1)
        m = re.search(r"^%s:1: (/\w+): (.*) \((\w+)\)$" % re.escape(f), r.stderr, re.M)
        self.assertIsNotNone(m, r.stderr)
        pointer, detail, kind = m.groups()
        self.assertIn(stored, detail)
        # The daemon on the same store answers the same submission with that problem.
        d = Daemon(config='taxonomy "%s"\nduplicate-check yes\ntoken s admin %s\n'
                   % (self.tax, "admin-token-0123456789"), data_dir=self.path("d"))
        d.start()
        try:
            a = d.post("/v1/proposals", again, token="admin-token-0123456789")
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()
        self.assertEqual(a.status, 409, a)
        body = a.json()
        self.assertEqual(body["type"], "urn:stdtaxd:problem:" + kind)
        self.assertEqual(body["detail"], detail)
        self.assertEqual(body["existing"]["id"], stored)
        self.assertEqual(pointer, "/" + body["existing"]["field"])

    def test_duplicates_within_one_file_store_the_first(self):
        a = proposal(1)
        b = dict(a, title="完全不同的另一个题目 同一范围", title_en="Another title")
        r = self.ok(self.cli("import", self.write("ab.jsonl", jsonl([a, b]))), 1)
        self.assertEqual(self.summary(r), (2, 1, 0, 1))
        self.assertRegex(r.stderr, r"ab.jsonl:2: /scope: .* already submitted this "
                                   r"proposal as P2023-000001 .*\(conflict\)")
        self.assertEqual([rec["title"] for rec in self.export_records()], [a["title"]])

    def test_stdin(self):
        r = self.ok(self.cli("import", "-", stdin=jsonl([proposal(0), proposal(1)])))
        self.assertEqual(self.summary(r), (2, 2, 0, 0))

    def test_one_bad_line_imports_nothing(self):
        bad = proposal(1)
        bad["contact"]["email"] = "not an address"
        del bad["title"]
        lines = [proposal(0), bad, proposal(2)]
        text = jsonl(lines) + "\n{\"track\": \n"  # line 4 empty, line 5 broken JSON
        f = self.write("bad.jsonl", text)
        r = self.ok(self.cli("import", f), 1)
        self.assertIn("%s:2: /contact/email: " % f, r.stderr)
        self.assertIn("%s:2: /title: " % f, r.stderr)
        self.assertRegex(r.stderr, re.escape(f) + r":5: not JSON")
        self.assertNotIn("%s:1:" % f, r.stderr)
        self.assertNotIn("%s:3:" % f, r.stderr)
        self.assertEqual(self.summary(r), (4, 0, 0, 4))
        self.assertEqual(self.stats()["total"], 0)

        r = self.ok(self.cli("import", "--skip-invalid", f), 1)
        self.assertEqual(self.summary(r), (4, 2, 0, 2))
        self.assertIn("%s:2: /contact/email: " % f, r.stderr)
        titles = sorted(rec["title"] for rec in self.export_records())
        self.assertEqual(titles, sorted([proposal(0)["title"], proposal(2)["title"]]))

    def test_format_from_name(self):
        f = self.write("p.txt", jsonl([proposal(0)]))
        r = self.ok(self.cli("import", f), 2)
        self.assertIn("--format", r.stderr)
        r = self.ok(self.cli("import", "--format", "jsonl", f))
        self.assertEqual(self.summary(r), (1, 1, 0, 0))


class Csv(Base):
    def setUp(self):
        super().setUp()
        f = self.write("p.jsonl", jsonl(proposal(i) for i in range(10)))
        self.ok(self.cli("import", f))
        # One withdrawn-free, varied store: 5 local, 5 group.
        self.csv = self.path("out.csv")
        self.ok(self.cli("export", "-o", self.csv))
        with open(self.csv, "rb") as fh:
            self.raw = fh.read()

    def test_spreadsheet_form(self):
        self.assertTrue(self.raw.startswith(b"\xef\xbb\xbf"), self.raw[:10])
        body = self.raw[3:]
        self.assertEqual(body.count(b"\n"), body.count(b"\r\n"))  # only CRLF line ends...
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        self.assertEqual(len(rows), 11)
        self.assertEqual(rows[0][0], "编号")
        self.assertIn("项目名称（中文）", rows[0])
        phone = rows[0].index("电话")
        # The formula guard: a phone number starting with + is written as text.
        self.assertTrue(any(r[phone].startswith("'+") for r in rows[1:]), rows[1][phone])
        # ...but the texts keep their own line breaks, inside quotes.
        scope = rows[0].index("范围和主要技术内容")
        self.assertTrue(all(len(r) == len(rows[0]) for r in rows))
        self.assertTrue(all(r[scope] for r in rows[1:]))

    def test_round_trip(self):
        r = self.ok(self.cli("import", self.csv, data="fresh"))
        self.assertEqual(self.summary(r), (10, 10, 0, 0))
        a, b = self.stats(), self.stats(data="fresh")
        self.assertEqual(a, b)
        self.assertEqual(a["total"], 10)
        strip = ("id", "received", "classification")
        old = sorted((json.dumps({k: v for k, v in rec.items() if k not in strip},
                                 sort_keys=True) for rec in self.export_records()))
        new = sorted((json.dumps({k: v for k, v in rec.items() if k not in strip},
                                 sort_keys=True)
                      for rec in self.export_records(data="fresh")))
        self.assertEqual(old, new)
        # The CSV again into the same store: duplicates.
        r = self.ok(self.cli("import", self.csv, data="fresh"))
        self.assertEqual(self.summary(r), (10, 0, 10, 0))

    def test_separator_inside_an_item_round_trips(self):
        p = proposal(20, track="local")
        items = ["上海甲；乙联合实验室", "A; B Ltd", "C:\\dir\\", "back\\；slash", "plain"]
        p["participating_organisations"] = items
        f = self.write("sep.jsonl", jsonl([p]))
        self.ok(self.cli("import", f, data="sep"))
        out = self.path("sep.csv")
        self.ok(self.cli("export", "-o", out, data="sep"))
        self.ok(self.cli("import", out, data="sep2"))
        back = self.export_records(data="sep2")
        self.assertEqual(back[0]["participating_organisations"], items)
        # Cells written before escaping existed split as before.
        self.assertEqual(len(self.export_records()[0]["participating_organisations"]),
                         len(proposal(0).get("participating_organisations", [])))

    def test_bad_row_names_line(self):
        text = self.raw.decode("utf-8")
        # Break the e-mail of the third record: CSV line numbers count physical lines,
        # and the scope texts hold line breaks, so find the line of the record.
        recs = self.export_records()
        victim = recs[2]["contact"]["email"]
        self.assertEqual(text.count(victim), 1)
        broken = self.path("broken.csv")
        with open(broken, "wb") as fh:
            fh.write(text.replace(victim, "nobody@").encode("utf-8"))
        line = text[:text.index(victim)].count("\n") + 1
        r = self.ok(self.cli("import", broken, data="fresh"), 1)
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith(broken + ":")]
        self.assertTrue(lines, r.stderr)
        start = int(lines[0].split(":")[1])
        self.assertLessEqual(start, line)
        self.assertIn(": /contact/email: ", lines[0])
        self.assertEqual(self.summary(r), (10, 0, 0, 10))
        r = self.ok(self.cli("import", "--skip-invalid", broken, data="fresh"), 1)
        self.assertEqual(self.summary(r), (10, 9, 0, 1))


class Figures(Base):
    """stats and coverage against a recount of the exported records."""

    def setUp(self):
        super().setUp()
        self.ok(self.cli("import", self.write("p.jsonl",
                                              jsonl(proposal(i) for i in range(13)))))
        self.recs = self.export_records()
        self.assertEqual(len(self.recs), 13)
        with open(self.tax, encoding="utf-8") as f:
            self.taxonomy = json.load(f)

    def node_counts(self, recs):
        counts = {}
        for rec in recs:
            c = rec["classification"]
            for code in (c.get("category"), c.get("subcategory")):
                if code:
                    counts[code] = counts.get(code, 0) + 1
        return counts

    def topic_counts(self, recs):
        counts = {}
        for rec in recs:
            for t in set(rec.get("priority_topics", [])):
                counts[t] = counts.get(t, 0) + 1
        return counts

    def test_stats(self):
        st = self.stats()
        self.assertEqual(st["total"], 13)
        nodes = self.node_counts(self.recs)
        for cat in st["categories"]:
            self.assertEqual(cat["count"], nodes.get(cat["code"], 0), cat["code"])
            self.assertAlmostEqual(cat["share"], nodes.get(cat["code"], 0) / 13)
            for sub in cat["subcategories"]:
                self.assertEqual(sub["count"], nodes.get(sub["code"], 0), sub["code"])
        self.assertEqual(sum(c["count"] for c in st["categories"]), 13)
        topics = self.topic_counts(self.recs)
        for t in st["priority_topics"]:
            self.assertEqual(t["count"], topics.get(t["code"], 0), t["code"])
        self.assertEqual({t["code"]: t["count"] for t in st["tracks"]},
                         {"local": 7, "group": 6})
        self.assertEqual({s["code"]: s["count"] for s in st["statuses"]}["submitted"], 13)
        self.assertEqual(st["calls"], [{"id": "2023", "count": 13}])
        # Filters: the same figures as a recount of the filtered export.
        g = self.stats("--track", "group")
        self.assertEqual(g["total"], 6)
        grecs = self.export_records("--track", "group")
        self.assertEqual(len(grecs), 6)
        gn = self.node_counts(grecs)
        for cat in g["categories"]:
            self.assertEqual(cat["count"], gn.get(cat["code"], 0))
        r = self.ok(self.cli("stats", "--track", "bogus"), 2)
        self.assertIn("track", r.stderr)
        self.ok(self.cli("stats", "--category", "infra"), 2)

    def test_export_query(self):
        # organisation "上海测试7号人工智能有限公司", title_en "... Part 8"
        recs = self.export_records("--query", "测试7号")
        self.assertEqual([r["organisation"] for r in recs], ["上海测试7号人工智能有限公司"])
        # full-width and case: every English title says "Artificial intelligence"
        self.assertEqual(len(self.export_records("--query", "ＡＲＴＩＦＩＣＩＡＬ　intelligence")),
                         13)
        # AND with the other filters and between words
        grecs = self.export_records("--query", "artificial", "--track", "group")
        self.assertEqual(len(grecs), 6)
        self.assertEqual(self.export_records("--query", "测试7号 blockchain"), [])
        csv_out = self.ok(self.cli("export", "--query", "测试12号 ＰＡＲＴ")).stdout
        self.assertEqual(len(list(csv.reader(io.StringIO(csv_out.lstrip("\ufeff"))))), 2)
        for bad in ("", "。，！", "x" * 257):
            r = self.ok(self.cli("export", "--query", bad), 2)
            self.assertIn("--query: ", r.stderr)
        r = self.ok(self.cli("stats", "--query", "part"), 2)
        self.assertIn("--query", r.stderr)

    def test_coverage(self):
        cov = json.loads(self.ok(self.cli("coverage", "--min", "2", "--json")).stdout)
        self.assertEqual(cov["min"], 2)
        nodes, topics = self.node_counts(self.recs), self.topic_counts(self.recs)
        expected = set()
        for n in self.taxonomy["nodes"]:
            if n["code"] != "other" and nodes.get(n["code"], 0) < 2:
                expected.add(("node", n["code"], nodes.get(n["code"], 0)))
        for t in self.taxonomy["priority_topics"]:
            if topics.get(t["code"], 0) < 2:
                expected.add(("topic", t["code"], topics.get(t["code"], 0)))
        got = {(g["kind"], g["code"], g["count"]) for g in cov["gaps"]}
        self.assertEqual(got, expected)
        missing = [g["missing"] for g in cov["gaps"]]
        self.assertEqual(missing, sorted(missing, reverse=True))
        self.assertTrue(all(g["priority"] == (g["kind"] == "topic") for g in cov["gaps"]))

    def test_tables_align(self):
        def width(s):
            return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

        out = self.ok(self.cli("stats")).stdout
        self.assertIn("提案总数: 13", out)
        rows = [ln for ln in out.splitlines() if re.search(r"\d+\.\d%$", ln)]
        self.assertGreater(len(rows), 20)
        # The count column ends at the same display column in every row of a section.
        cat_rows = [ln for ln in rows if re.match(r"^\s*\S+\s+(infra|core|domain|products"
                                                  r"|industry|safety|other)\S*\s", ln)]
        ends = {width(re.match(r"^(.*?\d+)\s+\d+\.\d%$", ln).group(1)) for ln in cat_rows}
        self.assertEqual(len(ends), 1, cat_rows)
        out = self.ok(self.cli("coverage", "--min", "2")).stdout
        self.assertIn("立项重点", out)
        rows = [ln for ln in out.splitlines() if re.search(r"\s\d+\s+\d+$", ln)]
        ends = {width(ln) for ln in rows}
        self.assertEqual(len(ends), 1, rows)


class Check(Base):
    def setUp(self):
        super().setUp()
        self.ok(self.cli("import", self.write("p.jsonl",
                                              jsonl(proposal(i) for i in range(5)))))

    def corrupt_count(self):
        """Adds 5 to the first value of the counts database with mdb_dump/mdb_load."""
        d = self.path("d")
        dump = subprocess.run(["mdb_dump", "-s", "counts", d], capture_output=True,
                              text=True, check=True).stdout.splitlines()
        end = dump.index("HEADER=END")
        key, value = dump[end + 1].strip(), dump[end + 2].strip()
        n = int.from_bytes(bytes.fromhex(value), sys.byteorder) + 5
        new = n.to_bytes(8, sys.byteorder).hex()
        text = "\n".join(dump[:end + 1] + [" " + key, " " + new, "DATA=END"]) + "\n"
        subprocess.run(["mdb_load", "-s", "counts", d], input=text, text=True,
                       check=True, capture_output=True)
        return bytes.fromhex(key).replace(b"\x1f", b"|").decode("utf-8"), n - 5, n

    def test_clean_after_import(self):
        r = self.ok(self.cli("check"))
        self.assertIn("5 records: 0 count differences", r.stdout)
        j = json.loads(self.ok(self.cli("check", "--json")).stdout)
        self.assertTrue(j["check"]["ok"])

    def test_corrupt_then_repair(self):
        key, stored, corrupted = self.corrupt_count()
        r = self.ok(self.cli("check"), 1)
        self.assertIn("count %s: stored %d, recounted %d" % (key, corrupted, stored),
                      r.stdout)
        j = json.loads(self.ok(self.cli("check", "--json"), 1).stdout)
        self.assertFalse(j["check"]["ok"])
        self.assertEqual(j["check"]["counts"]["differences"], 1)
        r = self.ok(self.cli("check", "--repair"))
        self.assertIn("repaired", r.stdout)
        self.ok(self.cli("check"))
        self.assertEqual(self.stats()["total"], 5)

    def test_no_store(self):
        r = self.ok(self.cli("check", data="nothing-here"), 2)
        self.assertIn("no store", r.stderr)
        self.ok(self.cli("check", "--bogus"), 2)


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, err=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, test.id().split(".", 1)[-1]),
              flush=True)
        if err:
            for line in "".join(traceback.format_exception(*err)).splitlines():
                print("# " + line, flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(False, test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._line(False, test, err)


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    print("1..%d" % suite.countTestCases(), flush=True)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
