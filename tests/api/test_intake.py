"""Issue 20 against the real daemon: the corpus of tests/data/intake (filled forms as
proposers write them: every accepted one is stored, every refused one answers 422 with
exactly its pointer and rule), the stored phone numbers, and problems in the language
Accept-Language prefers."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, assert_valid, tap_main  # noqa: E402

INTAKE = os.path.join(SRCDIR, "tests", "data", "intake")
SUBMIT = "intake-submit-0123456789"
ADMIN = "intake-admin-0123456789"
HAN = re.compile(r"[\u4e00-\u9fff]")


def load(*parts):
    with open(os.path.join(INTAKE, *parts), encoding="utf-8") as f:
        return json.load(f)


def accepted():
    d = os.path.join(INTAKE, "accepted")
    return [(n, load("accepted", n)) for n in sorted(os.listdir(d)) if n.endswith(".json")]


def refused():
    return [(e, load("refused", e["file"])) for e in load("refused.json")]


class Intake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The 2023 call is closed: the secretariat's token stores late proposals.
        cls.d = Daemon(config="token ci submit %s\ntoken secretariat admin %s\n"
                       % (SUBMIT, ADMIN)).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def post(self, body, lang=None, token=ADMIN):
        headers = {"Accept-Language": lang} if lang else {}
        return self.d.post("/v1/proposals", body, token=token, headers=headers)

    def test_corpus_sizes(self):
        acc, ref = accepted(), refused()
        self.assertGreaterEqual(len(acc), 40)
        self.assertGreaterEqual(len(ref), 40)
        for track in ("local", "group"):
            self.assertGreaterEqual(sum(f["track"] == track for _, f in acc), 15, track)
        self.assertEqual(sorted(e["file"] for e, _ in ref),
                         sorted(os.listdir(os.path.join(INTAKE, "refused"))))

    def test_every_accepted_form_is_stored(self):
        for name, form in accepted():
            r = self.post(form)
            self.assertEqual(r.status, 201, "%s: %s" % (name, r.body.decode()))
            assert_valid(self, "POST", "/v1/proposals", r)
            rec = r.json()
            for box in ("contact", "drafting_contact"):
                written = (form.get(box) or {}).get("phone")
                if not written:
                    continue
                # Normalised, the original kept beside it when it differs.
                self.assertRegex(rec[box]["phone"], r"^\+?[0-9]{7,20}(;ext=[0-9]{1,8})?$",
                                 name)
                self.assertEqual(rec[box].get("phone_as_written", rec[box]["phone"]),
                                 written, name)

    def test_every_refused_form_names_its_pointer_and_rule(self):
        for want, form in refused():
            r = self.post(form)
            self.assertEqual(r.status, 422, "%s: %s" % (want["file"], r.body.decode()))
            assert_valid(self, "POST", "/v1/proposals", r)
            errors = r.json()["errors"]
            self.assertEqual([(e["pointer"], e.get("rule")) for e in errors],
                             [(want["pointer"], want["rule"])], want["file"])
            self.assertNotIn("args", errors[0])

    def test_chinese_when_accept_language_prefers_it(self):
        for want, form in refused():
            r = self.post(form, lang="zh-CN,zh;q=0.9,en;q=0.8")
            self.assertEqual(r.status, 422, want["file"])
            p = r.json()
            self.assertEqual(r.header("Content-Language"), "zh-CN")
            self.assertIn("Accept-Language", r.header("Vary") or "")
            self.assertRegex(p["title"], HAN, want["file"])
            self.assertRegex(p["detail"], HAN, want["file"])
            self.assertEqual(p["errors"][0]["pointer"], want["pointer"])
            self.assertEqual(p["errors"][0]["rule"], want["rule"])
            self.assertRegex(p["errors"][0]["detail"], HAN, want["file"])

    def test_english_otherwise(self):
        # (Some English texts name the form's box in Chinese: not this one.)
        form = next(f for e, f in refused() if e["rule"] == "phone-digits")
        for lang in (None, "en", "en-GB,en;q=0.9", "zh;q=0.5,en", "fr", "zh;q=0",
                     "*"):
            r = self.post(form, lang=lang)
            p = r.json()
            self.assertEqual(r.status, 422)
            self.assertEqual(r.header("Content-Language"), "en", lang)
            for text in (p["title"], p["detail"], p["errors"][0]["detail"]):
                self.assertNotRegex(text, HAN, lang)
        for lang in ("zh", "zh-TW", "en;q=0.3, zh-Hans;q=0.8", "ZH-cn"):
            r = self.post(form, lang=lang)
            self.assertRegex(r.json()["title"], HAN, lang)

    def test_other_problem_types_in_chinese(self):
        zh = {"Accept-Language": "zh-CN"}
        cases = [
            self.d.get("/v1/proposals/P2023-999999", headers=zh),          # 404
            self.d.post("/v1/proposals", {}, headers=zh),                    # 401
            self.d.post("/v1/proposals", {}, token=SUBMIT, headers=zh),      # 422
            self.d.request("PUT", "/v1/taxonomy", headers=zh),               # 405
            self.d.get("/v1/proposals?colour=red", headers=zh),              # 400
            self.d.request("POST", "/v1/proposals", body=b"{", token=ADMIN,
                           headers=dict(zh, **{"Content-Type": "application/json"})),
        ]
        for r in cases:
            p = r.json()
            self.assertRegex(p["title"], HAN, p)
            self.assertRegex(p["detail"], HAN, p)
            for e in p.get("errors", []):
                self.assertRegex(e["detail"], HAN, p)

    def test_late_in_chinese(self):
        _, form = accepted()[0]
        r = self.post(form, lang="zh-CN", token=SUBMIT)
        self.assertEqual(r.status, 422)
        p = r.json()
        self.assertEqual(p["type"], "urn:stdtaxd:problem:late")
        self.assertRegex(p["title"], HAN)
        self.assertRegex(p["detail"], HAN)
        self.assertIn("2023-09-12T23:59:59+08:00", p["detail"])


if __name__ == "__main__":
    tap_main()
