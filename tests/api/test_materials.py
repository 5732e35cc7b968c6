"""Submission materials (issue 16) on the real daemon: every type up and down
byte-identical, the call's file name through a real client (curl -OJ), types decided
by the bytes (415 naming both), empty (422), too large (413 before the body is sent),
too many (409), who may read and write (401, 403), ranges, completeness in the record,
removal, and the same file stored once."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, assert_valid, tap_main  # noqa: E402
import materials_files as files  # noqa: E402

ALICE = "alice-submit-0123456789"
BOB = "bob-submit-0123456789ab"
ADMIN = "secretariat-admin-98765"
MATERIAL_MAX = 256 * 1024
PER_PROPOSAL = 6
TAXONOMY = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")


def example(track):
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track),
              encoding="utf-8") as f:
        return json.load(f)


def open_taxonomy(directory):
    """The 2023 taxonomy with its deadlines in the future, so that submit tokens
    may still add materials."""
    with open(TAXONOMY, encoding="utf-8") as f:
        tax = json.load(f)
    for call in tax["calls"]:  # doc/taxonomy-format.md, "Calls"
        for t in call["tracks"]:
            t["deadline"] = "2099-12-31T23:59:59+08:00"
    path = os.path.join(directory, "taxonomy.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tax, f, ensure_ascii=False)
    return path


def disposition_name(header):
    """The UTF-8 name of a Content-Disposition's filename* (RFC 5987)."""
    for part in header.split(";"):
        part = part.strip()
        if part.startswith("filename*="):
            charset, _, value = part[len("filename*="):].partition("''")
            assert charset.upper() == "UTF-8", header
            return urllib.parse.unquote(value, encoding="utf-8", errors="strict")
    raise AssertionError("no filename* in " + header)


class Materials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="stdtaxd-materials-")
        cls.d = Daemon(config='token alice submit %s\ntoken bob submit %s\n'
                       'token sec admin %s\ntaxonomy "%s"\nduplicate-check no\n'
                       'material-max %d\nmaterials-per-proposal %d\n'
                       % (ALICE, BOB, ADMIN, open_taxonomy(cls.tmp), MATERIAL_MAX,
                          PER_PROPOSAL)).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert code == 0, "exit status %d" % code

    def submit(self, token=ALICE, track="local"):
        r = self.d.post("/v1/proposals", example(track), token=token)
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def put(self, pid, kind, data, ctype=None, token=ALICE, method="PUT"):
        headers = {"Content-Type": ctype} if ctype else {}
        path = "/v1/proposals/%s/materials/%s" % (pid, kind)
        r = self.d.request(method, path, body=data, headers=headers, token=token)
        op = "/v1/proposals/{id}/materials/{kind}"
        return assert_valid(self, method, op, r)

    def get(self, pid, slot, token=ALICE, headers=None):
        r = self.d.get("/v1/proposals/%s/materials/%s" % (pid, slot), token=token,
                       headers=headers)
        return assert_valid(self, "GET", "/v1/proposals/{id}/materials/{kind}", r)

    def test_every_type_round_trips_with_the_calls_name(self):
        pid = self.submit()
        rec = example("local")
        kinds = {"PDF": "form-scan", "DOCX": "draft", "PNG": "ip-proof"}
        for name, (media, ext, make) in files.TYPES.items():
            data = make()
            kind = kinds.get(name, "other")
            r = self.put(pid, kind, data, media, method="POST" if kind == "other" else "PUT")
            self.assertEqual(r.status, 201, r)
            m = r.json()
            self.assertEqual((m["type"], m["media_type"], m["size"]), (name, media, len(data)))
            self.assertEqual(m["sha256"], hashlib.sha256(data).hexdigest())
            self.assertEqual(m["uploaded_by"], "alice")
            self.assertEqual(r.header("Location"),
                             "/v1/proposals/%s/materials/%s" % (pid, m["id"]))
            g = self.get(pid, m["id"])
            self.assertEqual(g.status, 200, g)
            self.assertEqual(g.body, data)
            self.assertEqual(g.content_type, media)
            self.assertEqual(g.header("ETag"), '"%s"' % m["sha256"])
            self.assertEqual(g.header("X-Content-Type-Options"), "nosniff")
            label = {"form-scan": "建议书", "draft": "草案", "ip-proof": "知识产权证明",
                     "other": "其他"}[kind]
            want = "%s-%s-地标-%s%s" % (rec["organisation"], rec["title"], label, ext)
            cd = g.header("Content-Disposition")
            self.assertTrue(cd.startswith("attachment;"), cd)
            self.assertEqual(disposition_name(cd), want)
            # The same bytes in filename, for clients that read only that (curl -OJ).
            raw = cd.encode("latin-1").decode("utf-8")
            self.assertIn('filename="%s";' % want, raw)

    def test_curl_saves_the_chinese_name(self):
        curl = shutil.which("curl")
        if not curl:
            self.skipTest("no curl")
        pid = self.submit()
        data = files.docx()
        self.assertEqual(self.put(pid, "draft", data).status, 201)
        out = tempfile.mkdtemp(dir=self.tmp)
        subprocess.run([curl, "-sS", "-f", "-O", "-J", "-H", "Authorization: Bearer " + ALICE,
                        "http://127.0.0.1:%d/v1/proposals/%s/materials/draft"
                        % (self.d.port, pid)], cwd=out, check=True, timeout=30)
        rec = example("local")
        name = "%s-%s-地标-草案.docx" % (rec["organisation"], rec["title"])
        self.assertEqual(os.listdir(out), [name])
        with open(os.path.join(out, name), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_declared_type_that_disagrees_is_415_naming_both(self):
        pid = self.submit()
        r = self.put(pid, "draft", files.pdf(), "image/png")
        self.assertEqual(r.status, 415, r)
        detail = r.json()["detail"]
        self.assertIn("PDF", detail)
        self.assertIn("image/png", detail)
        # the refusal names the field, as every other problem does
        pointers = [e["pointer"] for e in r.json().get("errors", [])]
        self.assertTrue(pointers and pointers[0].startswith("/"), r.json())

    def test_executable_named_pdf_is_415(self):
        pid = self.submit()
        r = self.put(pid, "draft", files.elf(), "application/pdf")
        self.assertEqual(r.status, 415, r)
        self.assertTrue(r.content_type.startswith("application/problem+json"))
        self.assertEqual(self.put(pid, "draft", files.plain_zip()).status, 415)

    def test_empty_file_is_422(self):
        pid = self.submit()
        r = self.put(pid, "draft", b"", "application/pdf")
        self.assertEqual(r.status, 422, r)
        self.assertEqual([e["pointer"] for e in r.json()["errors"]], ["/body"])

    def test_over_material_max_is_413_before_the_body_is_sent(self):
        pid = self.submit()
        # Only the headers go out: the answer must come without the body.
        head = ("PUT /v1/proposals/%s/materials/draft HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/pdf\r\n"
                "Content-Length: %d\r\n\r\n" % (pid, ALICE, MATERIAL_MAX + 1))
        status, headers, _ = self.d.raw(head.encode(), timeout=5)
        self.assertEqual(status, 413)
        # At the limit it is taken (a JSON route keeps max-body: 1 MiB > 256 KiB here).
        data = files.pdf() + bytes(MATERIAL_MAX - len(files.pdf()))
        self.assertEqual(self.put(pid, "draft", data).status, 201)

    def test_too_many_is_409(self):
        pid = self.submit()
        for i in range(PER_PROPOSAL):
            r = self.put(pid, "other", files.pdf("n%d" % i), method="POST")
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.json()["id"], "other-%d" % (i + 1))
        r = self.put(pid, "other", files.pdf("one more"), method="POST")
        self.assertEqual(r.status, 409, r)
        self.assertTrue(r.content_type.startswith("application/problem+json"))

    def test_who_may_read_and_write(self):
        pid = self.submit(token=ALICE)
        self.assertEqual(self.put(pid, "draft", files.pdf()).status, 201)
        # Another submit token: not its proposal.
        self.assertEqual(self.put(pid, "ip-proof", files.png(), token=BOB).status, 403)
        self.assertEqual(self.get(pid, "draft", token=BOB).status, 403)
        r = self.d.get("/v1/proposals/%s/materials" % pid, token=BOB)
        self.assertEqual(r.status, 403)
        # No token at all, although reads are open here.
        self.assertEqual(self.get(pid, "draft", token=None).status, 401)
        self.assertEqual(self.d.get("/v1/proposals/%s/materials" % pid).status, 401)
        # The secretariat reads everything and alone removes.
        self.assertEqual(self.get(pid, "draft", token=ADMIN).status, 200)
        r = self.d.request("DELETE", "/v1/proposals/%s/materials/draft" % pid, token=ALICE)
        self.assertEqual(r.status, 403)

    def test_range_and_conditional(self):
        pid = self.submit()
        data = files.pdf("range")
        etag = '"%s"' % self.put(pid, "draft", data).json()["sha256"]
        r = self.get(pid, "draft", headers={"Range": "bytes=5-14"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, data[5:15])
        self.assertEqual(r.header("Content-Range"), "bytes 5-14/%d" % len(data))
        r = self.get(pid, "draft", headers={"Range": "bytes=-4"})
        self.assertEqual(r.body, data[-4:])
        r = self.get(pid, "draft", headers={"Range": "bytes=%d-" % len(data)})
        self.assertEqual(r.status, 416)
        # not a range at all (RFC 9110 14.2: ignored): the whole file
        r = self.get(pid, "draft", headers={"Range": "bytes=-abc"})
        self.assertEqual((r.status, r.body), (200, data))
        self.assertEqual(self.get(pid, "draft", headers={"If-None-Match": etag}).status, 304)

    def test_completeness_listing_and_removal(self):
        pid = self.submit()
        lst = self.d.get("/v1/proposals/%s/materials" % pid, token=ALICE)
        assert_valid(self, "GET", "/v1/proposals/{id}/materials", lst)
        self.assertEqual(lst.json()["missing"], ["form-scan", "draft"])
        self.assertFalse(self.d.get("/v1/proposals/" + pid).json()["complete"])
        self.assertEqual(self.put(pid, "form-scan", files.jpeg()).status, 201)
        self.assertEqual(self.put(pid, "draft", files.doc()).status, 201)
        self.assertEqual(self.put(pid, "draft", files.docx()).status, 200)  # replaced
        body = self.d.get("/v1/proposals/%s/materials" % pid, token=ALICE).json()
        self.assertTrue(body["complete"])
        self.assertEqual([m["id"] for m in body["items"]], ["draft", "form-scan"])
        self.assertEqual(body["items"][0]["type"], "DOCX")
        rec = self.d.get("/v1/proposals/" + pid).json()
        self.assertTrue(rec["complete"])
        self.assertEqual(rec["submitted_by"], "alice")
        r = self.d.request("DELETE", "/v1/proposals/%s/materials/draft" % pid, token=ADMIN)
        self.assertEqual(r.status, 204)
        self.assertEqual(self.get(pid, "draft").status, 404)
        self.assertFalse(self.d.get("/v1/proposals/" + pid).json()["complete"])

    def stored_files(self):
        root = os.path.join(self.d.data_dir, "materials")
        return sorted(n for sub in os.listdir(root) if sub != "tmp"
                      for n in os.listdir(os.path.join(root, sub)))

    def test_same_file_is_stored_once_and_goes_with_its_last_reference(self):
        data = files.pdf("stored once")
        sha = hashlib.sha256(data).hexdigest()
        a, b = self.submit(), self.submit()
        self.assertEqual(self.put(a, "draft", data).status, 201)
        self.assertEqual(self.put(b, "draft", data).status, 201)
        self.assertEqual(self.stored_files().count(sha), 1)
        for pid in (a, b):
            self.assertIn(sha, self.stored_files())
            r = self.d.request("DELETE", "/v1/proposals/%s/materials/draft" % pid,
                               token=ADMIN)
            self.assertEqual(r.status, 204)
        self.assertNotIn(sha, self.stored_files())

    def test_unknown_proposal_and_kind(self):
        self.assertEqual(self.put("P2023-999999", "draft", files.pdf()).status, 404)
        pid = self.submit()
        self.assertEqual(self.put(pid, "budget", files.pdf()).status, 422)
        self.assertEqual(self.put(pid, "other", files.pdf()).status, 422)  # PUT other
        self.assertEqual(self.get(pid, "other-7").status, 404)
        self.assertEqual(self.get(pid, "..%2f..%2fdata.mdb").status, 404)


if __name__ == "__main__":
    tap_main()
