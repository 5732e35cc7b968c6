"""stdtaxd's life with data: a bad taxonomy at start, SIGHUP with a good and a
bad taxonomy, SIGTERM while submissions are in flight, and a restart that finds
every acknowledged proposal."""

import http.client
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import SRCDIR, Daemon, assert_valid, run, tap_main  # noqa: E402

ADMIN = "admin-secret-9876543210"
TAXONOMY = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")
MODEL = os.path.join(SRCDIR, "taxonomy", "model-2023.json")


def example(track):
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track),
              encoding="utf-8") as f:
        return json.load(f)


def write_pair(directory, version):
    """A taxonomy and a model in directory whose taxonomy version is `version`
    (the model records the version it was trained with)."""
    with open(TAXONOMY, encoding="utf-8") as f:
        tax = json.load(f)
    with open(MODEL, encoding="utf-8") as f:
        model = json.load(f)
    tax["version"] = version
    model["taxonomy_version"] = version
    tpath = os.path.join(directory, "taxonomy.json")
    mpath = os.path.join(directory, "model.json")
    for path, doc in ((tpath, tax), (mpath, model)):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
    return tpath, mpath


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stdtaxd-life-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_bad_taxonomy_stops_start_naming_file_and_problems(self):
        with open(TAXONOMY, encoding="utf-8") as f:
            tax = json.load(f)
        tax["nodes"].append(dict(tax["nodes"][0]))  # a duplicate code
        del tax["nodes"][1]["labels"]
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w", encoding="utf-8") as f:
            json.dump(tax, f, ensure_ascii=False)
        code, out, err = run(["--taxonomy", bad, "--data-dir", os.path.join(self.tmp, "d"),
                              "--port", "0", "--port-file", os.path.join(self.tmp, "port")])
        self.assertNotEqual(code, 0)
        self.assertIn(bad, err)
        lines = [l for l in err.splitlines() if l.startswith("stdtaxd: " + bad + ": /")]
        self.assertGreaterEqual(len(lines), 2, err)
        with open(bad, "w") as f:
            f.write("{not json")
        code, out, err = run(["--taxonomy", bad, "--data-dir", os.path.join(self.tmp, "d"),
                              "--port", "0", "--port-file", os.path.join(self.tmp, "port")])
        self.assertNotEqual(code, 0)
        self.assertIn(bad, err)

    def test_sighup_good_and_bad_taxonomy(self):
        tpath, mpath = write_pair(self.tmp, "2023.1")
        with Daemon(config='taxonomy "%s"\nmodel "%s"\n' % (tpath, mpath)) as d:
            self.assertEqual(d.get("/v1/taxonomy").json()["version"], "2023.1")
            write_pair(self.tmp, "2023.1-reloaded")
            d.send_signal(signal.SIGHUP)
            self.assertTrue(d.wait_log("now serving taxonomy 2023.1-reloaded"), d.log())
            r = assert_valid(self, "GET", "/v1/taxonomy", d.get("/v1/taxonomy"))
            self.assertEqual(r.json()["version"], "2023.1-reloaded")
            c = d.post("/v1/classify", {"title": "人脸识别"}).json()
            self.assertEqual(c["taxonomy_version"], "2023.1-reloaded")
            # A broken file: logged, and the engine in use keeps serving.
            with open(tpath, "w") as f:
                f.write('{"version": "broken", ')
            d.send_signal(signal.SIGHUP)
            self.assertTrue(d.wait_log("reload failed"), d.log())
            self.assertIn(tpath, d.log().split("reload failed", 1)[1])
            self.assertEqual(d.get("/v1/taxonomy").json()["version"], "2023.1-reloaded")
            r = d.post("/v1/classify", {"title": "人脸识别"})
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["taxonomy_version"], "2023.1-reloaded")
            self.assertEqual(d.stop(), 0)

    def test_sigterm_in_flight_then_restart_finds_every_acknowledged(self):
        data = os.path.join(self.tmp, "data")
        # One body posted again and again: no duplicate check (tests/api/test_overlap.py).
        config = "token secretariat admin %s\nshutdown-grace 10\nduplicate-check no\n" % ADMIN
        d = Daemon(config=config, data_dir=data)
        acked, errors = [], []
        lock = threading.Lock()
        stop = threading.Event()
        try:
            d.start()
            body = json.dumps(example("group")).encode("utf-8")

            def client():
                conn = None
                while not stop.is_set():
                    try:
                        conn = conn or http.client.HTTPConnection("127.0.0.1", d.port,
                                                                  timeout=10)
                        conn.request("POST", "/v1/proposals", body=body,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer " + ADMIN})
                        r = conn.getresponse()
                        data_ = r.read()
                        if r.status == 201:
                            with lock:
                                acked.append(json.loads(data_)["id"])
                        elif r.status != 503:
                            errors.append((r.status, data_[:200]))
                        if r.getheader("Connection") == "close":
                            conn.close()
                            conn = None
                    except (OSError, http.client.HTTPException):
                        if conn:
                            conn.close()
                        conn = None
                        time.sleep(0.01)

            threads = [threading.Thread(target=client) for _ in range(8)]
            for t in threads:
                t.start()
            time.sleep(0.8)
            d.send_signal(signal.SIGTERM)
            code = d.wait(20)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(code, 0, d.log())
            self.assertEqual(errors, [])
            self.assertGreater(len(acked), 10)
            self.assertEqual(len(acked), len(set(acked)))
        finally:
            stop.set()
            d.cleanup()
        with Daemon(config=config, data_dir=data) as again:
            for pid in acked:
                r = again.get("/v1/proposals/" + pid)
                self.assertEqual(r.status, 200, pid)
            stats = again.get("/v1/stats").json()
            self.assertEqual(stats["total"], len(acked))
            listed, cursor = [], None
            while True:
                page = again.get("/v1/proposals?limit=1000" +
                                 ("&cursor=" + cursor if cursor else "")).json()
                listed += [p["id"] for p in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            self.assertEqual(sorted(listed), sorted(acked))


if __name__ == "__main__":
    tap_main()
