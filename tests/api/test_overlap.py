"""Overlap with existing standards and other proposals (doc/overlap.md) through the
real stdtaxd: the catalogue routes, overlaps in the answers of POST /v1/classify and
POST /v1/proposals, GET /v1/proposals/{id}/overlaps, the 409 for a duplicate of the
same organisation, standards beside the counts.  Every JSON answer is checked against
api/openapi.json."""

import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, assert_valid, run, tap_main  # noqa: E402

SUBMIT = "submit-secret-0123456789"
ADMIN = "admin-secret-9876543210"
CATALOG = os.path.join(SRCDIR, "taxonomy", "catalog-2023.jsonl")


def example(track):
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track),
              encoding="utf-8") as f:
        return json.load(f)


def problem(t, r, status):
    t.assertEqual(r.status, status, r)
    t.assertTrue(r.content_type.startswith("application/problem+json"), r)
    return r.json()


class Overlap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="token ci submit %s\ntoken secretariat admin %s\n"
                       % (SUBMIT, ADMIN)).start()
        with open(CATALOG, "rb") as f:
            r = cls.d.request("POST", "/v1/catalog", body=f.read(), token=ADMIN,
                              headers={"Content-Type": "application/x-ndjson"})
        assert r.status == 200, r
        cls.imported = r.json()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, "exit status %d" % code

    def post(self, path, body, token=ADMIN, **kw):
        return assert_valid(self, "POST", path, self.d.post(path, body, token=token, **kw))

    # -- catalogue ----------------------------------------------------------------

    def test_shipped_catalogue_imports_as_json_lines(self):
        self.assertEqual(self.imported["created"] + self.imported["unchanged"], 123)
        self.assertEqual(self.imported["errors"], [])
        with open(CATALOG, "rb") as f:
            r = self.d.request("POST", "/v1/catalog", body=f.read(), token=ADMIN,
                               headers={"Content-Type": "application/jsonl"})
        assert_valid(self, "POST", "/v1/catalog", r)
        self.assertEqual(r.json()["unchanged"], 123, "the same file again changes nothing")

    def test_import_needs_admin(self):
        r = self.d.post("/v1/catalog", [{"title": "x"}])
        problem(self, assert_valid(self, "POST", "/v1/catalog", r), 401)
        r = self.d.post("/v1/catalog", [{"title": "x"}], token=SUBMIT)
        problem(self, assert_valid(self, "POST", "/v1/catalog", r), 403)

    def test_import_reports_invalid_entries_and_stores_the_rest(self):
        r = self.post("/v1/catalog", [
            {"number": "DB31/T 9999-2024", "title": "人工智能 测试用地方标准",
             "classification": {"category": "关键通用技术", "subcategory": "机器学习"}},
            {"number": "T/X 1-2024"},
            {"title": "未知节点", "classification": {"category": "nowhere"}},
            {"title": "x", "colour": "red"}])
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["created"] + body["unchanged"], 1)
        self.assertEqual(body["invalid"], 3)
        ptrs = sorted(e["pointer"] for e in body["errors"])
        self.assertEqual(ptrs, ["/1/title", "/2/classification/category", "/3/colour"])
        r = assert_valid(self, "GET", "/v1/catalog",
                         self.d.get("/v1/catalog?q=" + "%E6%B5%8B%E8%AF%95%E7%94%A8"))
        items = r.json()["items"]
        self.assertEqual([i["id"] for i in items], ["DB31/T 9999-2024"])
        self.assertEqual(items[0]["kind"], "local")
        self.assertEqual(items[0]["classification"], {"category": "core",
                                                      "subcategory": "core.ml"})

    def test_catalog_search_words_and_bad_queries(self):
        r = assert_valid(self, "GET", "/v1/catalog",
                         self.d.get("/v1/catalog?q=" + "%E6%A0%87%E5%87%86+DB31"))
        self.assertEqual(r.status, 200, r)
        # every problem at once, each named as a query parameter
        r = assert_valid(self, "GET", "/v1/catalog", self.d.get("/v1/catalog?q=--&kind=x"))
        body = problem(self, r, 422)
        self.assertEqual(sorted(e["pointer"] for e in body["errors"]),
                         ["/query/kind", "/query/q"])

    def test_import_body_errors(self):
        r = self.d.request("POST", "/v1/catalog", body=b'{"title": "a"}\n{oops\n',
                           token=ADMIN, headers={"Content-Type": "application/x-ndjson"})
        body = problem(self, assert_valid(self, "POST", "/v1/catalog", r), 400)
        self.assertEqual(body.get("line"), 2, body)
        r = self.post("/v1/catalog", {"title": "not an array"})
        problem(self, r, 422)
        r = self.d.request("POST", "/v1/catalog", body=b"[]", token=ADMIN,
                           headers={"Content-Type": "text/plain"})
        problem(self, assert_valid(self, "POST", "/v1/catalog", r), 415)

    def test_list_filters_and_pages(self):
        r = assert_valid(self, "GET", "/v1/catalog",
                         self.d.get("/v1/catalog?kind=international&limit=20"))
        page = r.json()
        self.assertEqual(len(page["items"]), 20)
        self.assertIsNotNone(page["next_cursor"])
        seen = [i["id"] for i in page["items"]]
        while page["next_cursor"]:
            r = self.d.get("/v1/catalog?kind=international&limit=20&cursor=" +
                           page["next_cursor"])
            page = assert_valid(self, "GET", "/v1/catalog", r).json()
            seen += [i["id"] for i in page["items"]]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(len(seen), 62)
        self.assertTrue(all(i.startswith(("ISO", "IEEE", "ITU", "ETSI")) for i in seen))
        r = self.d.get("/v1/catalog?kind=planet")
        body = problem(self, assert_valid(self, "GET", "/v1/catalog", r), 422)
        self.assertEqual([e["pointer"] for e in body["errors"]], ["/query/kind"])
        r = self.d.get("/v1/catalog?category=%E6%99%BA%E8%83%BD%E8%AF%AD%E9%9F%B3")  # 智能语音
        items = assert_valid(self, "GET", "/v1/catalog", r).json()["items"]
        self.assertTrue(items)
        self.assertTrue(all(i["classification"]["subcategory"] == "domain.speech"
                            for i in items), items)

    # -- overlaps -------------------------------------------------------------------

    def test_classify_answers_overlaps_with_spans(self):
        title = "人工智能 术语 信息技术"
        r = self.post("/v1/classify", {"title": title}, token=None)
        self.assertEqual(r.status, 200, r)
        overlaps = r.json()["overlaps"]
        top = overlaps[0]
        self.assertEqual(top["id"], "GB/T 41867-2022")
        self.assertEqual(top["source"], "catalog")
        self.assertEqual(top["kind"], "national")
        self.assertGreaterEqual(top["similarity"], 0.5)
        raw = title.encode("utf-8")
        for s in top["spans"]:
            self.assertEqual(raw[s["start"]:s["end"]].decode("utf-8"), s["text"])
        r = self.post("/v1/classify", {"title": "城市轨道交通 车站 照明设计"}, token=None)
        self.assertEqual(r.json()["overlaps"], [])

    def test_english_title_meets_a_chinese_standard(self):
        r = self.post("/v1/classify", {"title": "Computing capability assessment for "
                                       "AI computing centers"}, token=None)
        ids = [o["id"] for o in r.json()["overlaps"]]
        self.assertIn("GB/T 46346-2025", ids)

    def at_once(self, body, n, headers=None):
        """n identical POST /v1/proposals released together (each on its own
        connection); the answers, in no particular order."""
        start = threading.Barrier(n)
        answers, lock = [], threading.Lock()

        def one():
            c = self.d.connection(30.0)
            try:
                start.wait(timeout=30)
                r = self.d.request("POST", "/v1/proposals", json_body=body, token=ADMIN,
                                   headers=headers, conn=c, timeout=30.0)
            finally:
                c.close()
            with lock:
                answers.append(r)

        threads = [threading.Thread(target=one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(len(answers), n)
        return answers

    def test_identical_submissions_at_once_store_one(self):
        """A double click or a retry without a key: sent at the same moment, the same
        proposal of one organisation is stored once and the others get the 409 that
        points at it (the duplicate check waits for the first one's commit)."""
        sub = example("local")
        sub["organisation"] = "同时提交测试有限公司"
        sub["title"] = "人工智能 同时提交的提案 去重要求"
        answers = self.at_once(sub, 12)
        created = [r for r in answers if r.status == 201]
        self.assertEqual(len(created), 1, sorted(r.status for r in answers))
        first = created[0].json()["id"]
        for r in answers:
            if r.status != 201:
                body = problem(self, assert_valid(self, "POST", "/v1/proposals", r), 409)
                self.assertEqual(body["existing"]["id"], first)
        # With one Idempotency-Key: one 201, the rest replays of it (another
        # organisation: the scope is the same as above's).
        sub["organisation"] = "同一幂等键测试有限公司"
        sub["title"] = "人工智能 同一幂等键的同时请求 存储要求"
        answers = self.at_once(sub, 8, headers={"Idempotency-Key": "at-once-1"})
        self.assertEqual(sorted(r.status for r in answers), [200] * 7 + [201])
        self.assertEqual(len({r.json()["id"] for r in answers}), 1)

    def test_submission_overlaps_duplicates_and_replays(self):
        sub = example("local")
        sub["title"] = "人工智能 智能语音交互系统 第2部分：智能家居"
        sub["title_en"] = "Intelligent speech interaction system - Part 2: Smart home"
        r = self.post("/v1/proposals", sub, headers={"Idempotency-Key": "ov-1"})
        self.assertEqual(r.status, 201, r)
        first = r.json()
        self.assertIn("GB/T 36464.2-2018", [o["id"] for o in first["overlaps"]])
        self.assertNotIn(first["id"], [o["id"] for o in first["overlaps"]])
        # The same request again: the replay, never a 409.
        r = self.post("/v1/proposals", sub, headers={"Idempotency-Key": "ov-1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], first["id"])
        self.assertNotIn(first["id"], [o["id"] for o in r.json()["overlaps"]])
        # The same organisation again without the key: 409 pointing at the first.
        sub2 = dict(sub, title="智能语音交互系统 第2部分：智能家居")
        r = self.post("/v1/proposals", sub2)
        body = problem(self, r, 409)
        self.assertEqual(body["existing"]["id"], first["id"])
        self.assertEqual(body["existing"]["href"], "/v1/proposals/" + first["id"])
        self.assertIn(first["id"], body["detail"])
        # Another organisation: stored, and told about the first.
        sub3 = dict(sub2, organisation="上海另一家智能科技有限公司")
        r = self.post("/v1/proposals", sub3)
        self.assertEqual(r.status, 201, r)
        second = r.json()
        self.assertIn(first["id"], [o["id"] for o in second["overlaps"]])
        # The proposal's own overlaps.
        r = self.d.get("/v1/proposals/%s/overlaps" % first["id"])
        body = assert_valid(self, "GET", "/v1/proposals/{id}/overlaps", r).json()
        self.assertEqual(body["threshold"], 0.5)
        ids = [o["id"] for o in body["overlaps"]]
        self.assertIn(second["id"], ids)
        self.assertIn("GB/T 36464.2-2018", ids)
        self.assertNotIn(first["id"], ids)
        r = self.d.get("/v1/proposals/%s/overlaps?threshold=0.99" % first["id"])
        self.assertTrue(all(o["similarity"] >= 0.99 for o in r.json()["overlaps"]))
        r = self.d.get("/v1/proposals/%s/overlaps?threshold=2" % first["id"])
        problem(self, assert_valid(self, "GET", "/v1/proposals/{id}/overlaps", r), 400)
        r = self.d.get("/v1/proposals/P2023-999999/overlaps")
        problem(self, assert_valid(self, "GET", "/v1/proposals/{id}/overlaps", r), 404)
        # Withdrawn: no longer a duplicate.
        r = self.d.request("DELETE", "/v1/proposals/" + first["id"], token=ADMIN)
        self.assertEqual(r.status, 200, r)
        r = self.post("/v1/proposals", sub2)
        self.assertEqual(r.status, 201, r)

    def test_counts_show_standards_beside_proposals(self):
        r = assert_valid(self, "GET", "/v1/stats", self.d.get("/v1/stats"))
        stats = r.json()
        self.assertGreaterEqual(stats["standards_total"], 123)
        cats = {c["code"]: c for c in stats["categories"]}
        self.assertGreater(cats["safety"]["standards"], 0)
        subs = {s["code"]: s for c in stats["categories"] for s in c["subcategories"]}
        self.assertGreater(subs["domain.speech"]["standards"], 0)
        r = assert_valid(self, "GET", "/v1/coverage", self.d.get("/v1/coverage?min=1000"))
        gaps = [g for g in r.json()["gaps"] if g["kind"] == "node"]
        self.assertTrue(all("standards" in g for g in gaps))
        self.assertTrue(any(g["standards"] > 0 for g in gaps))


class Config(unittest.TestCase):
    def test_overlap_threshold_is_checked(self):
        code, _, err = run(["--overlap-threshold", "1.5", "--check-config"])
        self.assertNotEqual(code, 0)
        self.assertIn("overlap-threshold", err)

    def test_duplicate_check_can_be_turned_off(self):
        with Daemon(config="token secretariat admin %s\nduplicate-check no\n" % ADMIN) as d:
            for status in (201, 201):
                r = d.post("/v1/proposals", example("group"), token=ADMIN)
                self.assertEqual(r.status, status, r)

    def test_overlap_threshold_applies(self):
        with Daemon(config="overlap-threshold 0.95\n") as d:
            r = d.post("/v1/classify", {"title": "人工智能 计算中心 算力评估"})
            self.assertEqual(r.status, 200, r)
            self.assertTrue(all(o["similarity"] >= 0.95 for o in r.json()["overlaps"]))


if __name__ == "__main__":
    tap_main()
