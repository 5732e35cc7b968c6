"""REST API v1 of the real stdtaxd: every route, every error status, auth,
idempotency, pagination, CSV export; every JSON answer checked against its
schema in api/openapi.json."""

import copy
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import BUILDDIR, SRCDIR, Daemon, assert_valid, tap_main  # noqa: E402

SUBMIT = "submit-secret-0123456789"
ADMIN = "admin-secret-9876543210"
BATCH_MAX = 4


def example(track):
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track),
              encoding="utf-8") as f:
        return json.load(f)


def problem(t, r, status, slug=None):
    t.assertEqual(r.status, status, r)
    t.assertTrue(r.content_type.startswith("application/problem+json"), r)
    body = r.json()
    t.assertEqual(body["status"], status)
    if slug:
        t.assertEqual(body["type"], "urn:stdtaxd:problem:" + slug, body)
    return body


def pointers(body):
    return sorted(e["pointer"] for e in body.get("errors", []))


class V1(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The example proposal is submitted many times (tests/api/test_overlap.py
        # tests the 409 for a duplicate of the same organisation).
        cls.d = Daemon(config="token ci submit %s\ntoken secretariat admin %s\n"
                       "batch-max %d\nmax-body 200k\nduplicate-check no\n"
                       % (SUBMIT, ADMIN, BATCH_MAX)).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, "exit status %d" % code

    def submit(self, body, token=ADMIN, headers=None):
        r = self.d.post("/v1/proposals", body, token=token, headers=headers)
        return assert_valid(self, "POST", "/v1/proposals", r)

    def stats(self, query=""):
        r = self.d.get("/v1/stats" + query)
        assert_valid(self, "GET", "/v1/stats", r)
        self.assertEqual(r.status, 200, r)
        return r.json()

    # -- taxonomy -----------------------------------------------------------------

    def test_taxonomy_whole(self):
        r = assert_valid(self, "GET", "/v1/taxonomy", self.d.get("/v1/taxonomy"))
        self.assertEqual(r.status, 200)
        body = r.json()
        codes = [n["code"] for n in body["nodes"]]
        self.assertEqual(codes, ["infra", "core", "domain", "products", "industry",
                                 "safety", "other"])
        core = body["nodes"][1]
        self.assertIn("core.foundation-models", [c["code"] for c in core["children"]])
        self.assertEqual(len(body["priority_topics"]), 12)

    def test_taxonomy_node(self):
        r = assert_valid(self, "GET", "/v1/taxonomy/{code}", self.d.get("/v1/taxonomy/core"))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["labels"]["zh"], "关键通用技术")
        r = self.d.get("/v1/taxonomy/core.foundation-models")
        self.assertEqual(r.json()["parent"], "core")

    def test_taxonomy_unknown_lists_nearest(self):
        r = assert_valid(self, "GET", "/v1/taxonomy/{code}", self.d.get("/v1/taxonomy/core.m"))
        body = problem(self, r, 404, "not-found")
        self.assertIn("core.ml", [n["code"] for n in body["nearest"]])
        self.assertIn("core.ml", body["detail"])

    def test_unknown_query_parameter_is_400_naming_it(self):
        for path, op in (("/v1/taxonomy?colour=1", "/v1/taxonomy"),
                         ("/v1/stats?category=core", "/v1/stats"),
                         ("/v1/proposals?sort=id", "/v1/proposals")):
            r = assert_valid(self, "GET", op, self.d.get(path))
            body = problem(self, r, 400, "unparsable")
            self.assertRegex(body["detail"], r"'(colour|category|sort)'")

    # -- classify -----------------------------------------------------------------

    def test_classify(self):
        before = self.metric("stdtax_classifications_total")
        r = self.d.post("/v1/classify", {"title": "智能网联汽车 自动驾驶 测试规范",
                                         "scope": "规定了自动驾驶汽车的测试方法"})
        assert_valid(self, "POST", "/v1/classify", r)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertIn(body["category"]["code"], ("products", "industry"))
        self.assertTrue(0 <= body["confidence"] <= 1)
        self.assertTrue(body["evidence"])
        self.assertEqual(self.metric("stdtax_classifications_total"), before + 1)

    def test_classify_empty_text_is_422(self):
        for body in ({"title": "   "}, {}, {"title": "", "scope": "\u3000"}):
            r = assert_valid(self, "POST", "/v1/classify", self.d.post("/v1/classify", body))
            problem(self, r, 422, "empty-text")

    def test_classify_invalid_members_name_pointers(self):
        r = self.d.post("/v1/classify", {"title": 5, "colour": "red"})
        assert_valid(self, "POST", "/v1/classify", r)
        body = problem(self, r, 422, "invalid")
        self.assertIn("/colour", pointers(body))

    def test_unparsable_json_is_400_with_line_and_column(self):
        r = self.d.post("/v1/classify", body='{"title":\n  "x",,}',
                        headers={"Content-Type": "application/json"})
        assert_valid(self, "POST", "/v1/classify", r)
        body = problem(self, r, 400, "unparsable")
        self.assertEqual(body["line"], 2)
        self.assertGreater(body["column"], 0)

    def test_wrong_media_type_is_415(self):
        r = self.d.post("/v1/classify", body="title=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        problem(self, assert_valid(self, "POST", "/v1/classify", r), 415)

    def test_body_over_max_body_is_413(self):
        # libevent refuses from Content-Length (HTML, see doc/http-errors.md).
        r = self.d.post("/v1/classify", {"text": "x" * 300000})
        self.assertEqual(r.status, 413)

    def test_batch(self):
        items = [{"title": "人脸识别 安全要求"}, {"title": " "}, {"title": "x", "bad": 1},
                 {"title": "工业大模型 应用指南"}]
        r = self.d.post("/v1/classify/batch", {"items": items})
        assert_valid(self, "POST", "/v1/classify/batch", r)
        self.assertEqual(r.status, 200, r)
        results = r.json()["results"]
        self.assertEqual(len(results), 4)
        self.assertIn("category", results[0])
        self.assertEqual(results[1]["error"]["type"], "urn:stdtaxd:problem:empty-text")
        self.assertEqual(results[1]["error"]["status"], 422)
        self.assertIn("/items/2/bad", pointers(results[2]["error"]))
        self.assertIn("category", results[3])

    def test_batch_over_batch_max_is_413(self):
        r = self.d.post("/v1/classify/batch", {"items": [{"title": "a"}] * (BATCH_MAX + 1)})
        body = problem(self, assert_valid(self, "POST", "/v1/classify/batch", r), 413,
                       "too-large")
        self.assertIn("at most %d" % BATCH_MAX, body["detail"])

    def test_batch_shape_is_422(self):
        for body, ptr in (({"item": []}, "/items"), ({"items": []}, "/items"),
                          ([1], ""), ({"items": {}}, "/items")):
            r = self.d.post("/v1/classify/batch", body)
            b = problem(self, assert_valid(self, "POST", "/v1/classify/batch", r), 422)
            self.assertIn(ptr, pointers(b))

    # -- proposals: submit --------------------------------------------------------

    def test_submit_needs_a_token(self):
        r = self.submit(example("local"), token=None)
        problem(self, r, 401, "unauthorized")
        self.assertTrue(r.header("WWW-Authenticate").startswith("Bearer"))
        r = self.submit(example("local"), token="not-a-configured-token-xx")
        problem(self, r, 401)
        self.assertIn("invalid_token", r.header("WWW-Authenticate"))

    def test_submit_after_deadline_with_submit_token_is_422_late(self):
        for track, date in (("local", "2023-09-12"), ("group", "2023-10-31")):
            body = problem(self, self.submit(example(track), token=SUBMIT), 422, "late")
            self.assertIn(date, body["detail"])

    def test_submit_late_as_admin(self):
        r = self.submit(example("group"))
        self.assertEqual(r.status, 201, r)
        rec = r.json()
        rec.pop("overlaps")  # the answer's extra (doc/overlap.md), not stored
        self.assertTrue(rec["late"])
        self.assertEqual(rec["status"], "submitted")
        self.assertEqual(r.header("Location"), "/v1/proposals/" + rec["id"])
        g = assert_valid(self, "GET", "/v1/proposals/{id}", self.d.get(r.header("Location")))
        got = g.json()
        # A read adds the materials' summary (doc/materials.md): none yet.
        self.assertEqual((got.pop("complete"), got.pop("materials")), (False, []))
        self.assertEqual(got, rec)

    def test_submit_invalid_names_every_field(self):
        bad = example("local")
        del bad["title"]
        bad["contact"]["email"] = "not an address"
        bad["colour"] = "red"
        bad["budget"]["amount"] = -1
        body = problem(self, self.submit(bad), 422, "invalid")
        for p in ("/title", "/contact/email", "/colour", "/budget/amount"):
            self.assertIn(p, pointers(body))

    def test_idempotency(self):
        sub = example("local")
        sub["title"] = "幂等性 测试 大模型 标准"
        h = {"Idempotency-Key": "idem-test-1"}
        first = self.submit(sub, headers=h)
        self.assertEqual(first.status, 201, first)
        self.assertIsNone(first.header("Idempotency-Replayed"))
        again = self.submit(sub, headers=h)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.header("Idempotency-Replayed"), "true")
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertEqual(again.json(), first.json())
        other = copy.deepcopy(sub)
        other["title"] = "另一个 标准"
        problem(self, self.submit(other, headers=h), 409, "conflict")
        r = self.submit(sub, headers={"Idempotency-Key": "bad key with spaces"})
        problem(self, r, 400)

    # -- proposals: get, patch, delete ----------------------------------------------

    def new_record(self, title=None, track="local"):
        sub = example(track)
        if title:
            sub["title"] = title
        r = self.submit(sub)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_corrections_export_as_training_examples(self):
        """The secretariat's corrections are labelled data: `stdtax export --format
        training` writes them (and only them) in the form `stdtax train` reads."""
        corrected = self.new_record("训练样例导出 更正")
        self.new_record("训练样例导出 未更正")
        r = self.d.request("PATCH", "/v1/proposals/" + corrected["id"],
                           json_body={"subcategory": "industry.legal"}, token=ADMIN,
                           headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(r.status, 200, r)
        stdtax = os.path.join(BUILDDIR, "src", "cli", "stdtax")
        out = subprocess.run([stdtax, "export", "--data-dir", self.d.data_dir,
                              "--format", "training", "--query", "训练样例导出"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = [json.loads(line) for line in out.stdout.splitlines()]
        self.assertEqual([x["id"] for x in lines], [corrected["id"]])
        self.assertEqual((lines[0]["category"], lines[0]["subcategory"]),
                         ("industry", "industry.legal"))
        self.assertEqual(lines[0]["title"], "训练样例导出 更正")
        # ...which `stdtax train` takes together with the shipped examples (doc/cli.md)
        with tempfile.TemporaryDirectory() as tmp:
            corrections = os.path.join(tmp, "corrections.jsonl")
            with open(corrections, "w", encoding="utf-8") as t:
                t.write(out.stdout)
            r = subprocess.run([stdtax, "train", "--out", os.path.join(tmp, "m.json"),
                                os.path.join(SRCDIR, "taxonomy", "train",
                                             "labelled-2023.jsonl"), corrections],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = re.search(r"from (\d+) examples \((\d+) of them reference", r.stderr)
            self.assertTrue(got, r.stderr)
            self.assertEqual(int(got.group(1)) - int(got.group(2)), 124, r.stderr)

    def test_get_unknown_is_404(self):
        r = self.d.get("/v1/proposals/P2023-999999")
        problem(self, assert_valid(self, "GET", "/v1/proposals/{id}", r), 404)

    def test_patch_corrects_category_and_counts_follow(self):
        rec = self.new_record("分类更正 测试")
        before = self.stats()
        path = "/v1/proposals/" + rec["id"]
        r = self.d.request("PATCH", path, json_body={"subcategory": "industry.agriculture"},
                           token=ADMIN, headers={"Content-Type": "application/merge-patch+json"})
        assert_valid(self, "PATCH", "/v1/proposals/{id}", r)
        self.assertEqual(r.status, 200, r)
        cls = r.json()["classification"]
        self.assertEqual((cls["category"], cls["subcategory"]),
                         ("industry", "industry.agriculture"))
        self.assertEqual(cls["source"], "secretariat")
        after = self.stats()

        def count(stats, code):
            for c in stats["categories"]:
                if c["code"] == code:
                    return c["count"]
                for s in c["subcategories"]:
                    if s["code"] == code:
                        return s["count"]
        self.assertEqual(count(after, "industry.agriculture"),
                         count(before, "industry.agriculture") + 1)
        old = rec["classification"]["category"]
        if old != "industry":
            self.assertEqual(count(after, old), count(before, old) - 1)
        self.assertEqual(after["total"], before["total"])

    def test_patch_errors(self):
        rec = self.new_record("更正 错误 测试")
        path = "/v1/proposals/" + rec["id"]
        r = self.d.request("PATCH", path, json_body={"status": "under-review"}, token=SUBMIT)
        problem(self, assert_valid(self, "PATCH", "/v1/proposals/{id}", r), 403, "forbidden")
        r = self.d.request("PATCH", path, json_body={"status": "under-review"})
        problem(self, r, 401)
        r = self.d.request("PATCH", path, body="status=x", token=ADMIN,
                           headers={"Content-Type": "text/plain"})
        problem(self, assert_valid(self, "PATCH", "/v1/proposals/{id}", r), 415)
        r = self.d.request("PATCH", path, json_body={"category": "no-such", "colour": 1},
                           token=ADMIN)
        body = problem(self, assert_valid(self, "PATCH", "/v1/proposals/{id}", r), 422)
        self.assertIn("/colour", pointers(body))
        r = self.d.request("PATCH", "/v1/proposals/P2023-999999",
                           json_body={"status": "rejected"}, token=ADMIN)
        problem(self, assert_valid(self, "PATCH", "/v1/proposals/{id}", r), 404)
        # rejected may only go back to under-review
        r = self.d.request("PATCH", path, json_body={"status": "rejected"}, token=ADMIN)
        self.assertEqual(r.status, 200, r)
        r = self.d.request("PATCH", path, json_body={"status": "recommended-local"},
                           token=ADMIN)
        # a move the table does not allow from the current status: a conflict with
        # the proposal's state, not invalid content (issue 18)
        body = problem(self, assert_valid(self, "PATCH", "/v1/proposals/{id}", r), 409)
        self.assertEqual(pointers(body), ["/status"])

    def test_delete_withdraws(self):
        rec = self.new_record("撤回 测试")
        before = self.stats()
        path = "/v1/proposals/" + rec["id"]
        r = self.d.request("DELETE", path, token=SUBMIT)
        problem(self, assert_valid(self, "DELETE", "/v1/proposals/{id}", r), 403)
        r = self.d.request("DELETE", path, token=ADMIN)
        assert_valid(self, "DELETE", "/v1/proposals/{id}", r)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "withdrawn")
        self.assertEqual(self.stats()["total"], before["total"] - 1)
        again = self.d.request("DELETE", path, token=ADMIN)
        self.assertEqual(again.status, 200)
        self.assertEqual(self.d.get(path).json()["status"], "withdrawn")
        r = self.d.request("DELETE", "/v1/proposals/P2023-999999", token=ADMIN)
        problem(self, r, 404)

    def test_method_not_allowed_lists_allow(self):
        r = self.d.request("PUT", "/v1/proposals", body=b"{}", token=ADMIN)
        problem(self, assert_valid(self, "POST", "/v1/proposals", r), 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, POST, OPTIONS")
        r = self.d.request("POST", "/v1/stats", json_body={})
        problem(self, r, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")

    def test_unknown_path_is_404(self):
        problem(self, self.d.get("/v1/nothing"), 404, "not-found")

    # -- listing ------------------------------------------------------------------

    def test_pagination_with_cursor(self):
        ids = [self.new_record("分页 测试 %d" % i, "group")["id"] for i in range(7)]
        seen, cursor, pages = [], None, 0
        while True:
            q = "/v1/proposals?track=group&limit=3" + ("&cursor=" + cursor if cursor else "")
            r = assert_valid(self, "GET", "/v1/proposals", self.d.get(q))
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertLessEqual(len(page["items"]), 3)
            seen += [p["id"] for p in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
            self.assertLess(pages, 100)
        self.assertEqual(len(seen), len(set(seen)))
        for i in ids:
            self.assertIn(i, seen)
        self.assertTrue(all(p["track"] == "group"
                            for p in self.d.get("/v1/proposals?track=group").json()["items"]))

    def test_list_filters_and_errors(self):
        rec = self.new_record("筛选 测试")
        cat = rec["classification"]["category"]
        r = self.d.get("/v1/proposals?limit=1000&category=" + cat)
        items = assert_valid(self, "GET", "/v1/proposals", r).json()["items"]
        self.assertIn(rec["id"], [p["id"] for p in items])
        self.assertTrue(all(p["classification"]["category"] == cat for p in items))
        problem(self, self.d.get("/v1/proposals?limit=0"), 400)
        problem(self, self.d.get("/v1/proposals?limit=abc"), 400)
        problem(self, self.d.get("/v1/proposals?limit=1&limit=2"), 400)
        r = self.d.get("/v1/proposals?track=nowhere")
        body = problem(self, assert_valid(self, "GET", "/v1/proposals", r), 422)
        self.assertEqual(pointers(body), ["/query/track"])
        r = self.d.get("/v1/proposals", headers={"Accept": "image/png"})
        problem(self, assert_valid(self, "GET", "/v1/proposals", r), 406)
        problem(self, self.d.get("/v1/proposals?format=xml"), 400)

    def test_needs_review_lists_the_unsure_first(self):
        """Every classification says whether it needs review; ?needs_review=true lists
        the flagged ones not yet corrected, and a correction settles it."""
        vague = self.new_record("复核 测试 通用 规范")
        sure = self.new_record("复核 测试 自动驾驶汽车 车路协同 智能网联汽车 测试规范")
        q = "&q=" + urllib.parse.quote("复核")
        for rec in (vague, sure):
            flag = rec["classification"]["suggested"]["needs_review"]
            self.assertIsInstance(flag, bool)
        flagged = [x for x in (vague, sure) if x["classification"]["suggested"]["needs_review"]]
        self.assertTrue(flagged, "the vague title is flagged")
        r = self.d.get("/v1/proposals?limit=1000&needs_review=true" + q)
        items = assert_valid(self, "GET", "/v1/proposals", r).json()["items"]
        self.assertEqual(sorted(p["id"] for p in items), sorted(x["id"] for x in flagged))
        r = self.d.get("/v1/proposals?limit=1000&needs_review=false" + q)
        others = [p["id"] for p in r.json()["items"]]
        self.assertEqual(len(others) + len(items), 2)
        r = self.d.request("PATCH", "/v1/proposals/" + flagged[0]["id"],
                           json_body={"subcategory": "industry.legal"}, token=ADMIN,
                           headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(r.status, 200, r)
        r = self.d.get("/v1/proposals?limit=1000&needs_review=true" + q)
        self.assertNotIn(flagged[0]["id"], [p["id"] for p in r.json()["items"]])
        r = self.d.get("/v1/proposals?needs_review=maybe")
        body = problem(self, assert_valid(self, "GET", "/v1/proposals", r), 422)
        self.assertEqual(pointers(body), ["/query/needs_review"])

    def test_csv_export(self):
        sub = example("local")
        sub["title"] = '=HYPERLINK("x"), 带 "引号" 的 标题'
        rec = self.submit(sub).json()
        for r in (self.d.get("/v1/proposals?format=csv"),
                  self.d.get("/v1/proposals", headers={"Accept": "text/csv"})):
            assert_valid(self, "GET", "/v1/proposals", r)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.content_type.startswith("text/csv"), r.content_type)
            self.assertEqual(r.header("Content-Disposition"),
                             'attachment; filename="proposals.csv"')
            self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"), r.body[:10])
            text = r.body[3:].decode("utf-8")
            self.assertIn("\r\n", text)
            rows = list(csv.reader(io.StringIO(text, newline="")))
            header = rows[0]
            self.assertEqual(header[0], "编号")
            self.assertIn("项目名称（中文）", header)
            data = rows[1:]
            self.assertEqual(len(data), int(r.header("X-Total-Count")))
            total = self.d.get("/v1/proposals?limit=1000").json()["items"]
            self.assertEqual(len(data), len(total))
            row = [x for x in data if x[0] == rec["id"]][0]
            title = row[header.index("项目名称（中文）")]
            # quotes and commas survive; the formula is guarded by an apostrophe
            self.assertEqual(title, "'" + sub["title"])
        problem(self, self.d.get("/v1/proposals?format=csv&limit=5"), 400)
        r = self.d.get("/v1/proposals?format=csv&track=group")
        self.assertEqual(r.status, 200)
        rows = list(csv.reader(io.StringIO(r.body[3:].decode("utf-8"), newline="")))
        self.assertTrue(all(x[rows[0].index("标准类型")] in ("group", "团标") for x in rows[1:]))

    # -- statistics -----------------------------------------------------------------

    def test_stats_and_filters(self):
        self.new_record("统计 测试", "group")
        s = self.stats()
        self.assertEqual(s["total"], sum(c["count"] for c in s["categories"]))
        g = self.stats("?track=group&call=2023&status=submitted")
        self.assertLessEqual(g["total"], s["total"])
        self.assertEqual(g["filter"]["track"], "group")
        r = self.d.get("/v1/stats?status=nope")
        body = problem(self, assert_valid(self, "GET", "/v1/stats", r), 422)
        self.assertEqual(pointers(body), ["/query/status"])

    def test_coverage(self):
        r = assert_valid(self, "GET", "/v1/coverage", self.d.get("/v1/coverage"))
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["min"], 3)
        missing = [g["missing"] for g in body["gaps"]]
        self.assertEqual(missing, sorted(missing, reverse=True))
        self.assertNotIn("other", [g["code"] for g in body["gaps"]])
        r = assert_valid(self, "GET", "/v1/coverage",
                         self.d.get("/v1/coverage?min=1000&track=local"))
        self.assertEqual(r.json()["min"], 1000)
        self.assertGreater(len(r.json()["gaps"]), 50)
        for q in ("min=0", "min=abc", "min=1000001", "min=-1"):
            body = problem(self, self.d.get("/v1/coverage?" + q), 400)
            self.assertEqual(pointers(body), ["/query/min"])

    # -- metrics ------------------------------------------------------------------

    def metric(self, name, labels=""):
        text = self.d.get("/metrics").body.decode("utf-8")
        m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
        self.assertIsNotNone(m, "%s%s not in /metrics" % (name, labels))
        return float(m.group(1))

    def test_metrics_gauges(self):
        rec = self.new_record("指标 测试")
        cat = rec["classification"]["category"]
        n = self.metric("stdtax_proposals", '{category="%s"}' % cat)
        stats = self.stats()
        self.assertEqual(n, [c["count"] for c in stats["categories"] if c["code"] == cat][0])
        self.assertGreater(self.metric("stdtax_store_bytes"), 0)


class ReadToken(unittest.TestCase):
    def test_require_read_token(self):
        with Daemon(config="require-read-token yes\ntoken ci submit %s\n" % SUBMIT) as d:
            problem(self, d.get("/v1/stats"), 401)
            problem(self, d.post("/v1/classify", {"title": "x"}), 401)
            self.assertEqual(d.get("/v1/stats", token=SUBMIT).status, 200)
            self.assertEqual(d.get("/v1/taxonomy/core", token=SUBMIT).status, 200)
            self.assertEqual(d.get("/healthz").status, 200)


if __name__ == "__main__":
    tap_main()
