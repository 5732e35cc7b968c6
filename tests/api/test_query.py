"""GET /v1/proposals?q=: the text query of the real stdtaxd, in JSON pages and in
the CSV export; combined with the other filters and the cursor; every error a
problem+json that names q; every JSON answer checked against api/openapi.json."""

import csv
import io
import os
import sys
import unittest
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import Daemon, assert_valid, tap_main  # noqa: E402
from test_v1 import example, pointers, problem  # noqa: E402

ADMIN = "admin-secret-query-0123456789"


class Query(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(config="token secretariat admin %s\nduplicate-check no\n"
                       % ADMIN).start()
        cls.ids = {}

        def submit(name, track, **fields):
            sub = example(track)
            sub.update(fields)
            r = cls.d.post("/v1/proposals", sub, token=ADMIN)
            assert r.status == 201, r
            cls.ids[name] = r.json()["id"]
            return r.json()

        # Seven records that share a phrase, for paging; they alternate tracks.
        for i in range(7):
            submit("page%d" % i, "local" if i % 2 else "group",
                   title="分页检索 样例%d 大模型训练数据" % i,
                   title_en="Paged search sample %d" % i,
                   organisation="上海分页测试单位")
        cls.local = submit("local", "local")  # 训练数据质量评价规范, 浦江智算
        cls.group = submit("group", "group")  # 生成式人工智能服务 内容安全评估指南
        cls.fullwidth = submit("fullwidth", "local",
                               title="ＶＲ／ＡＲ　头显 人机交互 测试方法",
                               title_en="Test methods of VR/AR head-mounted displays",
                               organisation="上海Ａｌｐｈａ虚拟现实研究院")

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, "exit status %d" % code

    def get(self, query):
        r = self.d.get("/v1/proposals?" + query)
        return assert_valid(self, "GET", "/v1/proposals", r)

    def ids_of(self, query):
        """Every id the listing gives for query, following the cursor."""
        out, cursor, pages = [], None, 0
        while True:
            r = self.get(query + ("&cursor=" + quote(cursor) if cursor else ""))
            self.assertEqual(r.status, 200, r)
            page = r.json()
            out += [p["id"] for p in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                return out
            self.assertLess(pages, 50)

    def q(self, text):
        return "q=" + quote(text)

    # -- matching -------------------------------------------------------------------

    def test_chinese_query_matches_title_substring(self):
        got = self.ids_of(self.q("分页检索") + "&limit=1000")
        self.assertEqual(got, [self.ids["page%d" % i] for i in range(7)])
        self.assertEqual(self.ids_of(self.q("质量评价")), [self.ids["local"]])

    def test_english_query_is_case_insensitive_and_all_words_must_occur(self):
        self.assertEqual(self.ids_of(self.q("CONTENT Security")), [self.ids["group"]])
        self.assertEqual(self.ids_of(self.q("SAMPLE paged")),
                         [self.ids["page%d" % i] for i in range(7)])
        self.assertEqual(self.ids_of(self.q("样例3 paged")), [self.ids["page3"]])
        # a substring: a lone digit is in every id (P2023-...)
        self.assertEqual(len(self.ids_of(self.q("3") + "&limit=1000")), 10)
        self.assertEqual(self.ids_of(self.q("content blockchain")), [])
        # '+' in a query string is a space: two words
        self.assertEqual(self.ids_of("q=generative+guidelines"), [self.ids["group"]])

    def test_full_width_input_and_text(self):
        # full-width query against half-width text
        self.assertEqual(self.ids_of(self.q("ＣＯＮＴＥＮＴ　ＳＥＣＵＲＩＴＹ")),
                         [self.ids["group"]])
        # half-width query against full-width text (title and organisation)
        self.assertEqual(self.ids_of(self.q("vr ar 头显")), [self.ids["fullwidth"]])
        self.assertEqual(self.ids_of(self.q("alpha虚拟现实")), [self.ids["fullwidth"]])

    def test_organisation_scope_and_numbers(self):
        self.assertEqual(self.ids_of(self.q("浦江智算")), [self.ids["local"]])
        self.assertIn(self.ids["group"], self.ids_of(self.q("测试题库")))  # scope
        self.assertEqual(self.ids_of(self.q(self.ids["local"])), [self.ids["local"]])
        # ICS of the group example; the page records are group ones too
        self.assertIn(self.ids["group"], self.ids_of(self.q("ISO/IEC 23894")))
        # a field that is not searched: the contact's e-mail
        email = example("local")["contact"]["email"]
        self.assertEqual(self.ids_of(self.q(email.split("@")[0])), [])

    # -- with the other filters and the cursor ----------------------------------------

    def test_pages_count_matching_records_and_the_cursor_is_stable(self):
        seen, cursor, sizes = [], None, []
        while True:
            r = self.get(self.q("分页检索 大模型训练数据") + "&limit=2"
                         + ("&cursor=" + quote(cursor) if cursor else ""))
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertEqual(page["limit"], 2)
            sizes.append(len(page["items"]))
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
            # a record added between pages, before every page, shifts nothing
            if len(sizes) == 1:
                r = self.d.post("/v1/proposals", dict(example("local"),
                                title="分页检索 之后新增 大模型训练数据"), token=ADMIN)
                self.assertEqual(r.status, 201, r)
                late = r.json()["id"]
        want = [self.ids["page%d" % i] for i in range(7)] + [late]
        self.assertEqual(seen, want)
        self.assertEqual(sizes, [2, 2, 2, 2])
        r = self.d.request("DELETE", "/v1/proposals/" + late, token=ADMIN)
        self.assertEqual(r.status, 200, r)

    def test_combines_with_track_category_and_status(self):
        local_pages = self.ids_of(self.q("分页检索") + "&track=local")
        self.assertEqual(local_pages, [self.ids["page%d" % i] for i in (1, 3, 5)])
        cat = self.local["classification"]["category"]
        both = self.ids_of(self.q("训练数据") + "&category=" + quote(cat) + "&limit=3")
        in_cat = set(self.ids_of("category=" + quote(cat) + "&limit=1000"))
        in_q = set(self.ids_of(self.q("训练数据") + "&limit=1000"))
        self.assertEqual(set(both), in_cat & in_q)
        self.assertIn(self.ids["local"], both)
        self.assertEqual(self.ids_of(self.q("训练数据") + "&status=rejected"), [])

    def test_csv_export_with_a_query(self):
        r = self.get("format=csv&" + self.q("分页检索") + "&track=group")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.content_type.startswith("text/csv"), r.content_type)
        rows = list(csv.reader(io.StringIO(r.body[3:].decode("utf-8"), newline="")))
        self.assertEqual([row[0] for row in rows[1:]],
                         [self.ids["page%d" % i] for i in (0, 2, 4, 6)])
        self.assertEqual(r.header("X-Total-Count"), "4")
        r = self.d.get("/v1/proposals?" + self.q("ＣＯＮＴＥＮＴ"),
                       headers={"Accept": "text/csv"})
        rows = list(csv.reader(io.StringIO(r.body[3:].decode("utf-8"), newline="")))
        self.assertEqual([row[0] for row in rows[1:]], [self.ids["group"]])

    # -- errors ---------------------------------------------------------------------

    def test_bad_queries_name_q(self):
        for query in ("q=", "q=%20%2C%E3%80%82%21", "q=" + "a" * 257,
                      "q=" + quote("标" * 86), "format=csv&q=", "q=&track=nowhere"):
            r = self.get(query)
            body = problem(self, r, 422, "invalid")
            self.assertIn("/query/q", pointers(body), query)
        r = self.get("q=&track=nowhere")
        self.assertEqual(pointers(r.json()), ["/query/q", "/query/track"])
        # exactly the bound is fine
        self.assertEqual(self.get("q=" + "a" * 256).status, 200)

    def test_bad_utf8_and_repeats_are_400(self):
        for query in ("q=%FF", "q=%C3%28", "q=ab%ED%A0%80"):
            body = problem(self, self.get(query), 400, "invalid-utf8")
            self.assertIn("'q'", body["detail"])
            self.assertEqual(pointers(body), ["/query/q"])
        body = problem(self, self.get("q=a&q=b"), 400)
        self.assertIn("'q'", body["detail"])
        body = problem(self, self.get("q=%00"), 400)
        self.assertIn("'q'", body["detail"])
        self.assertEqual(pointers(body), ["/query/q"])
        # a JSON pointer escapes '/' and '~' in the parameter's name (RFC 6901)
        body = problem(self, self.get("a%2Fb~c=%FF"), 400, "invalid-utf8")
        self.assertEqual(pointers(body), ["/query/a~1b~0c"])

    def test_a_query_over_the_request_target_bound_is_414(self):
        # assert_valid checks the answer against the 414 of the operation's description
        problem(self, self.get("q=" + "a" * 2100), 414, "uri-too-long")

    def test_counts_do_not_take_a_query(self):
        r = self.d.get("/v1/stats?q=x")
        problem(self, assert_valid(self, "GET", "/v1/stats", r), 400)
        r = self.d.get("/v1/coverage?q=x")
        problem(self, assert_valid(self, "GET", "/v1/coverage", r), 400)


if __name__ == "__main__":
    tap_main()
