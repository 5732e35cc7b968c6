"""TAP: calls side by side on the real daemon (issue 19).  One daemon lives through a
framework revision: it starts with the shipped taxonomy (call 2023), takes proposals,
is reloaded with the invented revision tests/data/taxonomy-2024-test.json (calls 2023
and 2024-test, one subcategory split, one renamed), re-files the proposals, and then
checks each proposal against its own call's deadline, counts and covers per call
exactly, compares the calls, and refuses a broken crosswalk while the revision keeps
serving."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import BUILDDIR, SLOW, SRCDIR, Daemon, assert_valid, tap_main  # noqa: E402

SUBMIT = "submit-secret-0123456789"
ADMIN = "admin-secret-9876543210"
SHIPPED = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")
MODEL = os.path.join(SRCDIR, "taxonomy", "model-2023.json")
TRAIN = os.path.join(SRCDIR, "taxonomy", "train", "labelled-2023.jsonl")
REVISED = os.path.join(SRCDIR, "tests", "data", "taxonomy-2024-test.json")
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")
# The revision's crosswalk (tests/data/make-2024-test.py), also for training labels.
MOVED = {"domain.vr-ar": "domain.vr", "虚拟现实/增强现实": "domain.vr",
         "domain.biometrics": "domain.biometric-id"}

# (title, the node the secretariat files it under before the revision)
SUBJECTS_2023 = [
    ("虚拟现实 头戴式显示设备 沉浸感评价方法", "domain.vr-ar"),
    ("增强现实 智能眼镜 虚实融合显示要求", "domain.vr-ar"),
    ("人脸识别系统 活体检测技术要求", "domain.biometrics"),
    ("服务机器人 安全要求", "products.robots"),
    ("人工智能芯片 性能测试方法", "infra.chips"),
    ("智能网联汽车 自动驾驶仿真测试", "products.vehicles"),
]


def example(track):
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track),
              encoding="utf-8") as f:
        return json.load(f)


def proposal(i, title, track="group", call=None):
    p = example(track)
    p.pop("call")
    if call:
        p["call"] = call
    p["title"] = title
    p["scope"] = "本标准规定了%s的术语、要求和试验方法。" % title
    p["organisation"] = "上海测试%d号人工智能有限公司" % i
    return p


def replace(path, source=None, doc=None):
    """Writes source's bytes (or doc as JSON) to path atomically."""
    tmp = path + ".new"
    if doc is not None:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
    else:
        shutil.copyfile(source, tmp)
    os.rename(tmp, path)


class Calls(unittest.TestCase):
    """The tests run in name order: each phase builds on the one before."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="stdtaxd-calls-")
        cls.tax = os.path.join(cls.tmp, "taxonomy.json")
        cls.model = os.path.join(cls.tmp, "model.json")
        replace(cls.tax, SHIPPED)
        replace(cls.model, MODEL)
        # The revision needs its own model: the shipped examples, labels moved.
        train = os.path.join(cls.tmp, "train.jsonl")
        with open(TRAIN, encoding="utf-8") as f, open(train, "w", encoding="utf-8") as out:
            for line in f:
                ex = json.loads(line)
                ex["subcategory"] = MOVED.get(ex.get("subcategory"), ex.get("subcategory"))
                out.write(json.dumps(ex, ensure_ascii=False) + "\n")
        cls.model_2024 = os.path.join(cls.tmp, "model-2024.json")
        r = subprocess.run([STDTAX, "train", "--taxonomy", REVISED, "--no-reference",
                            "--out", cls.model_2024, train], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        cls.d = Daemon(config='taxonomy "%s"\nmodel "%s"\ntoken ci submit %s\n'
                       'token secretariat admin %s\nduplicate-check no\n'
                       % (cls.tax, cls.model, SUBMIT, ADMIN)).start()
        cls.ids = {}  # id -> call

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, "exit status %d" % code

    def submit(self, body, token=ADMIN):
        return self.d.post("/v1/proposals", body, token=token)

    def created(self, body, token=ADMIN):
        r = self.submit(body, token)
        self.assertEqual(r.status, 201, r)
        rec = r.json()
        self.ids[rec["id"]] = rec["call"]
        return rec

    def late(self, body, deadline):
        r = self.submit(body, token=SUBMIT)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json()["type"], "urn:stdtaxd:problem:late")
        self.assertIn(deadline, r.json()["detail"])

    def reload(self, taxonomy, model, expect):
        replace(self.tax, taxonomy)
        replace(self.model, model)
        before = self.d.log().count(expect)
        self.d.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10 * SLOW
        while time.monotonic() < deadline:
            if self.d.log().count(expect) > before:
                return
            time.sleep(0.02)
        self.fail("no %r after SIGHUP:\n%s" % (expect, self.d.log()))

    # -- before the revision -----------------------------------------------------------

    def test_1_one_call_with_its_criteria(self):
        r = assert_valid(self, "GET", "/v1/calls", self.d.get("/v1/calls"))
        body = r.json()
        self.assertEqual(body["current"], "2023")
        self.assertEqual([c["id"] for c in body["calls"]], ["2023"])
        call = body["calls"][0]
        self.assertEqual([k["code"] for k in call["criteria"]],
                         ["technical-leadership", "industrial-progress", "market-leadership",
                          "feasibility", "benefit"])
        self.assertEqual({k["max"] for k in call["criteria"]}, {20})
        self.assertEqual(call["document"], "沪人智地标委[2023] 4 号")
        # Proposals of 2023, with and without naming the call, filed by the secretariat.
        for i, (title, node) in enumerate(SUBJECTS_2023):
            rec = self.created(proposal(i, title, call="2023" if i % 2 else None))
            self.assertEqual(rec["call"], "2023")
            self.assertTrue(rec["late"])
            r = self.d.request("PATCH", "/v1/proposals/" + rec["id"],
                               json_body={"subcategory": node}, token=ADMIN)
            self.assertEqual(r.status, 200, r)
        self.late(proposal(9, "知识图谱 构建规范"), "2023-10-31")

    # -- the revision --------------------------------------------------------------------

    def test_2_reload_refiles_under_the_new_codes(self):
        self.reload(REVISED, self.model_2024, "now serving taxonomy 2024-test")
        self.assertTrue(self.d.wait_log("re-filed 3 proposals", timeout=5 * SLOW), self.d.log())
        body = assert_valid(self, "GET", "/v1/calls", self.d.get("/v1/calls")).json()
        self.assertEqual(body["current"], "2024-test")
        self.assertEqual([c["id"] for c in body["calls"]], ["2023", "2024-test"])
        new = body["calls"][1]
        self.assertIn("not an official document", new["note"])
        self.assertEqual([(k["code"], k["max"]) for k in new["criteria"]],
                         [("technical-leadership", 30), ("feasibility", 20), ("benefit", 20)])
        one = assert_valid(self, "GET", "/v1/calls/{id}", self.d.get("/v1/calls/2024-test"))
        self.assertEqual(one.json()["tracks"][1]["deadline"], "2099-11-15T23:59:59+08:00")
        self.assertEqual(self.d.get("/v1/calls/2022").status, 404)
        seen = set()
        for pid in self.ids:
            cl = self.d.get("/v1/proposals/" + pid).json()["classification"]
            prev = cl.get("previous")
            if not prev:
                self.assertNotIn(cl["subcategory"], ("domain.vr", "domain.ar",
                                                     "domain.biometric-id"))
                continue
            old = prev[0]["subcategory"]
            self.assertEqual(prev[0]["refiled_to"], "2024-test")
            self.assertIn((old, cl["subcategory"]),
                          {("domain.vr-ar", "domain.vr"), ("domain.vr-ar", "domain.ar"),
                           ("domain.biometrics", "domain.biometric-id")})
            seen.add(cl["subcategory"])
        # The split follows each text: virtual reality here, augmented reality there.
        self.assertEqual(seen, {"domain.vr", "domain.ar", "domain.biometric-id"})

    def test_3_each_proposal_meets_its_own_calls_deadline(self):
        self.late(proposal(20, "知识图谱 构建规范", call="2023"), "2023-10-31")
        self.late(proposal(21, "知识图谱 构建规范", track="local", call="2024-test"),
                  "2024-09-30")
        # Without a call: the current one, whose group track is still open.
        rec = self.created(proposal(22, "虚拟现实 沉浸式体验评价", call=None), token=SUBMIT)
        self.assertEqual(rec["call"], "2024-test")
        self.assertFalse(rec.get("late", False))
        rec = self.created(proposal(23, "服务机器人 通用技术条件", track="local",
                                    call="2024-test"))
        self.assertTrue(rec["late"])
        r = self.submit(proposal(24, "知识图谱", call="2022"))
        self.assertEqual(r.status, 422, r)
        self.assertIn("/call", [e["pointer"] for e in r.json()["errors"]])

    # -- counts and coverage per call ----------------------------------------------------

    def expected(self):
        """call -> {node or topic code: count}, from the records themselves."""
        out = {"2023": {}, "2024-test": {}}
        for pid, call in self.ids.items():
            rec = self.d.get("/v1/proposals/" + pid).json()
            cl = rec["classification"]
            for code in [cl["category"], cl.get("subcategory")] + rec["priority_topics"]:
                if code:
                    out[call][code] = out[call].get(code, 0) + 1
        return out

    def test_4_counts_and_coverage_per_call_are_exact(self):
        expected = self.expected()
        calls = assert_valid(self, "GET", "/v1/calls", self.d.get("/v1/calls")).json()
        for call in ("2023", "2024-test"):
            n = sum(1 for c in self.ids.values() if c == call)
            self.assertEqual(self.d.get("/v1/stats?call=" + call).json()["total"], n)
            self.assertEqual([c["proposals"] for c in calls["calls"] if c["id"] == call], [n])
            cov = assert_valid(self, "GET", "/v1/coverage",
                               self.d.get("/v1/coverage?min=1&call=" + call)).json()
            gaps = {g["code"] for g in cov["gaps"]}
            tree = self.d.get("/v1/taxonomy").json()
            codes = {t["code"] for t in tree["priority_topics"]}
            for cat in tree["nodes"]:
                codes |= {cat["code"]} | {s["code"] for s in cat["children"]}
            codes.discard("other")
            self.assertEqual(gaps, {c for c in codes if not expected[call].get(c)}, call)
        one = self.d.get("/v1/calls/2024-test").json()
        self.assertEqual(one["tracks_count"], {"local": 1, "group": 1})

    def test_5_comparison_flags_the_nodes_empty_in_every_call(self):
        expected = self.expected()
        r = assert_valid(self, "GET", "/v1/coverage",
                         self.d.get("/v1/coverage?min=1&call=2023,2024-test"))
        body = r.json()
        self.assertEqual(body["calls"], ["2023", "2024-test"])
        rows = {row["code"]: row for row in body["nodes"]}
        for code, row in rows.items():
            want = {c: expected[c].get(code, 0) for c in ("2023", "2024-test")}
            self.assertEqual(row["counts"], want, code)
            self.assertEqual(row["under_in_every_call"],
                             code != "other" and not any(want.values()), code)
        gaps = {g["code"] for g in body["gaps"]}
        self.assertIn("industry.agriculture", gaps)  # empty in both
        self.assertNotIn("domain.vr", gaps)  # a 2023 proposal and a 2024-test one
        self.assertNotIn("infra.chips", gaps)  # 2023 only: not empty in every call
        self.assertEqual(rows["infra.chips"]["counts"], {"2023": 1, "2024-test": 0})
        # a list longer than the service reads is refused, not cut to what fits
        for bad in ("2023,nope", "2023,2023", "2023,", "2023,2024-test" + "," * 600 + "x"):
            r = self.d.get("/v1/coverage?call=" + bad)
            self.assertEqual(r.status, 422, (bad, r))

    # -- a broken crosswalk ----------------------------------------------------------

    def test_6_broken_crosswalk_keeps_the_revision_serving(self):
        with open(REVISED, encoding="utf-8") as f:
            doc = json.load(f)
        doc["version"] = "2024-test-broken"
        doc["crosswalk"]["codes"]["domain.vr-ar"] = ["domain.nowhere"]
        broken = os.path.join(self.tmp, "broken.json")
        with open(broken, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        self.reload(broken, self.model_2024, "reload failed")
        self.assertIn("/crosswalk/codes/domain.vr-ar/0", self.d.log())
        self.assertEqual(self.d.get("/v1/taxonomy").json()["version"], "2024-test")
        # Back to the 2023 framework: its codes cannot house the re-filed proposals.
        self.reload(SHIPPED, MODEL, "reload failed")
        self.assertIn("domain.biometric-id", self.d.log().rsplit("SIGHUP", 2)[-2])
        self.assertEqual(self.d.get("/v1/taxonomy").json()["version"], "2024-test")
        self.assertEqual(self.d.get("/v1/calls").json()["current"], "2024-test")


if __name__ == "__main__":
    tap_main()
