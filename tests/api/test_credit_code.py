"""The proposing unit's unified social credit code (统一社会信用代码, GB 32100-2015;
the call's condition 三(一): units registered in Shanghai) on the real daemon.  The
test vectors are computed here from the standard's definition (alphabet of 31
characters, weights 3^(i-1) mod 31, check = 31 - sum mod 31), not from the daemon."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, assert_valid, tap_main  # noqa: E402

ADMIN = "credit-admin-token-0123"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 table 1: no I, O, S, V, Z


def check_char(first17):
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return ALPHABET[(31 - total % 31) % 31]


def code(department, kind, division, organisation):
    first17 = department + kind + division + organisation
    assert len(first17) == 17
    return first17 + check_char(first17)


SHANGHAI = code("9", "1", "310115", "MA1FL8K2X")  # a company, Pudong
BEIJING = code("9", "1", "110108", "MA01ABCD3")    # a company, Haidian
# A code published as an example of a valid one (Fuzhou, 350100): its check character
# holds, so only the Shanghai rule refuses it.
PUBLISHED = "91350100M000100Y43"
WRONG_CHECK = SHANGHAI[:17] + ALPHABET[(ALPHABET.index(SHANGHAI[17]) + 1) % 31]


def example():
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-local.json"),
              encoding="utf-8") as f:
        return json.load(f)


class CreditCode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="token sec admin %s\nduplicate-check no\n" % ADMIN).start()

    @classmethod
    def tearDownClass(cls):
        code_ = cls.d.stop()
        cls.d.cleanup()
        assert code_ == 0, "exit status %d" % code_

    def submit(self, credit):
        body = example()
        body["credit_code"] = credit
        r = self.d.post("/v1/proposals", body, token=ADMIN)
        return assert_valid(self, "POST", "/v1/proposals", r)

    def rules(self, r):
        self.assertEqual(r.status, 422, r)
        return [(e["pointer"], e.get("rule")) for e in r.json()["errors"]]

    def test_a_shanghai_code_is_kept(self):
        r = self.submit(SHANGHAI)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["credit_code"], SHANGHAI)
        got = self.d.get("/v1/proposals/" + r.json()["id"]).json()
        self.assertEqual(got["credit_code"], SHANGHAI)

    def test_a_wrong_check_character_is_422(self):
        self.assertEqual(self.rules(self.submit(WRONG_CHECK)),
                         [("/credit_code", "credit-code-check")])

    def test_a_unit_registered_outside_shanghai_is_422(self):
        self.assertEqual(check_char(PUBLISHED[:17]), PUBLISHED[17])
        for other in (BEIJING, PUBLISHED):
            self.assertEqual(self.rules(self.submit(other)),
                             [("/credit_code", "credit-code-shanghai")], other)

    def test_form(self):
        for bad in (SHANGHAI[:17], SHANGHAI[:10] + "I" + SHANGHAI[11:],
                    "91" + "31011A" + SHANGHAI[8:], SHANGHAI.lower()):
            self.assertEqual(self.rules(self.submit(bad)),
                             [("/credit_code", "credit-code-form")], bad)
        self.assertEqual(self.rules(self.submit(SHANGHAI + "0")),
                         [("/credit_code", "too-long-chars")])

    def test_optional(self):
        r = self.d.post("/v1/proposals", example(), token=ADMIN)
        self.assertEqual(r.status, 201, r)
        self.assertNotIn("credit_code", r.json())


if __name__ == "__main__":
    tap_main()
