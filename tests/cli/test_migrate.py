"""TAP: a framework revision on a store of 10 000 proposals (issue 19).  stdtax migrate
re-files every proposal under its mapped code and keeps the old one; stdtax check is
clean; a kill -9 during the migration leaves each batch wholly old or wholly new, and
a second run finishes the job."""

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
from proposals import jsonl, on_time_taxonomy, proposal  # noqa: E402
from test_store_cli import STDTAX, SRCDIR, TapResult  # noqa: E402

REVISED = os.path.join(SRCDIR, "tests", "data", "taxonomy-2024-test.json")
N = 10000
BATCH = 50
CROSSWALK = {"domain.vr-ar": {"domain.vr", "domain.ar"},
             "domain.biometrics": {"domain.biometric-id"}}
# Subjects the revision splits (virtual / augmented reality) and renames (biometrics)
# beside the generated ones.
MOVING = [("虚拟现实 头戴式显示设备 沉浸感评价方法", "本标准规定了虚拟现实头显的沉浸感和眩晕评价方法。"),
          ("增强现实 智能眼镜 虚实融合显示要求", "本标准规定了增强现实眼镜虚实融合显示的技术要求。"),
          ("生物特征识别 指纹识别 活体检测要求", "本标准规定了指纹、虹膜和人脸等生物特征识别系统的活体检测要求。")]


def run(*args, **kw):
    return subprocess.run([STDTAX] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=600, **kw)


class Migrate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="stdtax-migrate-")
        cls.old_tax = on_time_taxonomy(os.path.join(cls.tmp, "taxonomy.json"))
        items = []
        for i in range(N):
            p = proposal(i)
            if i % 5 < 2:
                p["title"], p["scope"] = MOVING[(i // 5 + i % 5) % 3]
                p["title"] += " 第%d部分" % (i + 1)
            items.append(p)
        path = os.path.join(cls.tmp, "p.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write(jsonl(items))
        cls.store = os.path.join(cls.tmp, "base")
        r = run("--data-dir", cls.store, "--taxonomy", cls.old_tax, "import", path)
        assert r.returncode == 0, r.stderr
        cls.before = cls.records(cls.store, cls.old_tax)
        assert len(cls.before) == N

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @staticmethod
    def records(store, tax):
        """id -> classification, in the store's listing order (received, then id)."""
        r = run("--data-dir", store, "--taxonomy", tax, "--no-model", "export",
                "--format", "jsonl")
        assert r.returncode == 0, r.stderr
        out = {}
        for line in r.stdout.splitlines():
            rec = json.loads(line)
            out[rec["id"]] = rec["classification"]
        return out

    def copy(self, name):
        d = os.path.join(self.tmp, name)
        shutil.copytree(self.store, d)
        return d

    def migrate(self, store, *args):
        return run("--data-dir", store, "--taxonomy", REVISED, "--no-model", "migrate",
                   "--to", "2024-test", "--json", *args)

    def check_clean(self, store):
        r = run("--data-dir", store, "--taxonomy", REVISED, "--no-model", "check")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def assert_refiled(self, after):
        moved = 0
        for pid, old in self.before.items():
            new = after[pid]
            code = old.get("subcategory") or old["category"]
            if code not in CROSSWALK:
                self.assertNotIn("previous", new, pid)
                self.assertEqual((new["category"], new.get("subcategory")),
                                 (old["category"], old.get("subcategory")), pid)
                continue
            moved += 1
            self.assertIn(new["subcategory"], CROSSWALK[code], pid)
            self.assertEqual(new["category"], old["category"], pid)
            prev = new["previous"]
            self.assertEqual(len(prev), 1, pid)
            self.assertEqual((prev[0]["category"], prev[0]["subcategory"]),
                             (old["category"], code), pid)
            self.assertEqual(prev[0]["refiled_to"], "2024-test")
        return moved

    def test_migrate_refiles_every_proposal_and_keeps_its_old_code(self):
        store = self.copy("whole")
        r = self.migrate(store)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        after = self.records(store, REVISED)
        moved = self.assert_refiled(after)
        self.assertGreaterEqual(moved, N // 5)
        self.assertEqual(report["refiled"], moved)
        self.assertTrue(report["check_ok"])
        # The split is decided by the text: the reality subjects land on both sides.
        self.assertEqual(set(report["by_code"]["domain.vr-ar"]), {"domain.vr", "domain.ar"})
        self.assertEqual(set(report["by_code"]["domain.biometrics"]), {"domain.biometric-id"})
        self.check_clean(store)
        # The counts follow: nothing is left under an old code.
        stats = json.loads(run("--data-dir", store, "--taxonomy", REVISED, "--no-model",
                               "stats", "--json").stdout)
        subs = {s["code"]: s["count"] for c in stats["categories"] for s in c["subcategories"]}
        self.assertEqual(stats["total"], N)
        self.assertEqual(sum(subs[c] for c in ("domain.vr", "domain.ar", "domain.biometric-id")),
                         moved)
        # Again: nothing to do.
        r = self.migrate(store)
        self.assertEqual(json.loads(r.stdout)["refiled"], 0, r.stdout)

    def test_old_taxonomy_on_a_migrated_store_is_refused(self):
        store = self.copy("refused")
        self.assertEqual(self.migrate(store).returncode, 0)
        r = run("--data-dir", store, "--taxonomy", self.old_tax, "--no-model", "stats")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("domain.biometric-id", r.stderr)
        self.assertIn("/crosswalk", r.stderr)

    def test_kill_9_leaves_whole_batches_and_a_second_run_finishes(self):
        store = self.copy("killed")
        proc = subprocess.Popen([STDTAX, "--data-dir", store, "--taxonomy", REVISED,
                                 "--no-model", "migrate", "--to", "2024-test",
                                 "--batch", str(BATCH)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Kill once the first batches are visible to a reader (LMDB readers run beside
        # the writer), long before the last.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            r = run("--data-dir", store, "--taxonomy", REVISED, "--no-model", "stats",
                    "--json")
            if r.returncode == 0 and any(
                    s["count"] > 0 for c in json.loads(r.stdout)["categories"]
                    for s in c["subcategories"]
                    if s["code"] in ("domain.vr", "domain.ar", "domain.biometric-id")):
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.check_clean(store)
        mid = self.records(store, REVISED)
        done = 0
        # Each old code is migrated in pages of BATCH in listing order, one transaction
        # each: what is done of it is a whole number of pages from its start.
        for code in CROSSWALK:
            order = [pid for pid, c in self.before.items()
                     if (c.get("subcategory") or c["category"]) == code]
            flags = ["previous" in mid[pid] for pid in order]
            k = flags.index(False) if False in flags else len(flags)
            self.assertTrue(all(flags[:k]) and not any(flags[k:]), code)
            self.assertTrue(k % BATCH == 0 or k == len(flags), (code, k))
            done += k
        self.assertLess(done, sum(1 for c in self.before.values()
                                  if (c.get("subcategory") or c["category"]) in CROSSWALK),
                        "the kill came after the end: the test proves nothing")
        r = self.migrate(store)
        self.assertEqual(r.returncode, 0, r.stderr)
        moved = self.assert_refiled(self.records(store, REVISED))
        self.assertEqual(json.loads(r.stdout)["refiled"], moved - done)
        print("# killed with %d of %d re-filed (batches of %d); the second run re-filed %d"
              % (done, moved, BATCH, moved - done), flush=True)
        self.check_clean(store)


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    print("1..%d" % suite.countTestCases(), flush=True)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
