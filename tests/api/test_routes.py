"""The route table's columns as the real stdtaxd's dispatcher applies them: every
operation refuses a query parameter it does not take (400 at /query/NAME) and one
given twice, whatever its handler; after every write route, the next read answers
the new state although the answers of /v1/stats are cached."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, assert_valid, openapi, tap_main  # noqa: E402

SUBMIT = "submit-secret-routes-0123456789"
ADMIN = "admin-secret-routes-0123456789"


def example(track="local"):
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track),
              encoding="utf-8") as f:
        return json.load(f)


# A body each operation's dispatcher step accepts (the query is checked after it).
BODIES = {
    "classify": {"title": "x"},
    "classifyBatch": {"items": [{"title": "x"}]},
    "createProposal": example(),
    "updateProposal": {"status": "under-review"},
    "importCatalog": [],
}


class Routes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="token ci submit %s\ntoken secretariat admin %s\n"
                       "duplicate-check no\n" % (SUBMIT, ADMIN)).start()
        r = cls.d.post("/v1/proposals", example(), token=ADMIN)
        assert r.status == 201, r
        cls.rec_id = r.json()["id"]

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, "exit status %d" % code

    def operations(self):
        """(method, pattern, operation, concrete path) for every operation."""
        values = {"{id}": self.rec_id, "{code}": "core", "{file}": "app.js"}
        for pattern, item in openapi()["paths"].items():
            path = pattern
            for k, v in values.items():
                path = path.replace(k, v)
            for method, op in item.items():
                yield method.upper(), pattern, op, path

    def send(self, method, path, op):
        body = BODIES.get(op["operationId"])
        return self.d.request(method, path, json_body=body, token=ADMIN)

    def total(self):
        r = self.d.get("/v1/stats")
        self.assertEqual(r.status, 200, r)
        return r.json()["total"]

    def assert_query_problem(self, r, method, pattern, pointer, words):
        assert_valid(self, method, pattern, r)
        self.assertEqual(r.status, 400, "%s %s: %r" % (method, pattern, r))
        body = r.json()
        self.assertEqual(body["type"], "urn:stdtaxd:problem:unparsable")
        self.assertIn(words, body["detail"])
        self.assertEqual([e["pointer"] for e in body["errors"]], [pointer])

    def test_every_operation_refuses_a_parameter_it_does_not_take(self):
        before = self.total()
        checked = 0
        for method, pattern, op, path in self.operations():
            r = self.send(method, path + "?zz-unknown=1", op)
            if "400" not in op["responses"]:
                # A page or a probe: the query is not read, the answer is the usual one.
                usual = self.send(method, path, op)
                self.assertEqual(r.status, usual.status, "%s %s" % (method, pattern))
                continue
            self.assert_query_problem(r, method, pattern, "/query/zz-unknown",
                                      "unknown query parameter 'zz-unknown'")
            checked += 1
        self.assertGreaterEqual(checked, 14)
        # Refused before the handler ran: nothing was stored, withdrawn or changed.
        self.assertEqual(self.total(), before)
        r = self.d.get("/v1/proposals/" + self.rec_id)
        self.assertEqual(r.json()["status"], "submitted")

    def test_a_parameter_given_twice_is_refused(self):
        for method, pattern, op, path in self.operations():
            for p in op.get("parameters", []):
                if p["in"] != "query":
                    continue
                name = p["name"]
                r = self.send(method, "%s?%s=1&%s=1" % (path, name, name), op)
                self.assert_query_problem(r, method, pattern, "/query/" + name,
                                          "'%s' given more than once" % name)

    def test_a_name_is_escaped_in_the_pointer(self):
        r = self.d.get("/v1/stats?a%2Fb~c=1")
        self.assert_query_problem(r, "GET", "/v1/stats", "/query/a~1b~0c", "'a/b~c'")

    # -- writes and the answer cache -----------------------------------------------

    def cached(self, path):
        """The answer of path, asked twice: the second comes from the cache."""
        first = self.d.get(path)
        self.assertEqual(first.status, 200, first)
        second = self.d.get(path)
        self.assertEqual(second.body, first.body)
        return second.json()

    def test_every_write_is_seen_by_the_next_read(self):
        ops = {op["operationId"] for _, _, op, _ in self.operations()}
        writes = {"createProposal", "updateProposal", "deleteProposal", "importCatalog"}
        self.assertLessEqual(writes, ops)

        # POST /v1/proposals: answered by the group commit (a deferred answer).
        before = self.cached("/v1/stats")
        r = self.d.post("/v1/proposals", example("group"), token=ADMIN)
        self.assertEqual(r.status, 201, r)
        rec = r.json()
        self.assertEqual(self.d.get("/v1/stats").json()["total"], before["total"] + 1)

        # PATCH /v1/proposals/{id}: the status counted changes.
        path = "/v1/proposals/" + rec["id"]
        before = self.cached("/v1/stats?status=under-review")
        r = self.d.request("PATCH", path, json_body={"status": "under-review"},
                           token=ADMIN)
        self.assertEqual(r.status, 200, r)
        after = self.d.get("/v1/stats?status=under-review").json()
        self.assertEqual(after["total"], before["total"] + 1)

        # DELETE /v1/proposals/{id}: withdrawn proposals are not counted.
        before = self.cached("/v1/stats")
        r = self.d.request("DELETE", path, token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.d.get("/v1/stats").json()["total"], before["total"] - 1)

        # POST /v1/catalog: the standards beside the proposals.
        before = self.cached("/v1/stats")
        r = self.d.post("/v1/catalog", [
            {"number": "DB31/T 9998-2024", "title": "人工智能 路由表测试用地方标准",
             "classification": {"category": "关键通用技术", "subcategory": "机器学习"}}],
            token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["created"], 1, r)
        after = self.d.get("/v1/stats").json()
        self.assertEqual(after["standards_total"], before["standards_total"] + 1)


if __name__ == "__main__":
    tap_main()
