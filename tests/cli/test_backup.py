"""TAP: stdtax backup and restore (issue 18).  While sixteen clients submit and
correct proposals through the real daemon, a backup is taken; restored into a new
directory, every proposal acknowledged before the backup started is there, identical
to an answer the daemon gave for it (the last one before the backup, or a later
correction), `stdtax check` is clean, and a daemon on the restored directory answers
the manifest's counts.  A backup killed with SIGKILL part way is refused by restore,
never restored partially; a backup of another schema version is refused naming both."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "api"))
from proposals import on_time_taxonomy, proposal  # noqa: E402
from stdtaxd import Daemon, tap_main  # noqa: E402

BUILDDIR = os.environ.get("STDTAX_BUILDDIR", ".")
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")
ADMIN = "backup-admin-secret-0123456789"
CLIENTS = 16


def cli(*argv, timeout=300):
    return subprocess.run([STDTAX] + [str(a) for a in argv], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def stored(rec):
    """The record as stored: without what an answer adds (overlaps found at submission,
    the materials' summary of a GET)."""
    return {k: v for k, v in rec.items() if k not in ("overlaps", "complete", "materials")}


class Load:
    """CLIENTS threads submitting and correcting; every answer kept with its time."""

    def __init__(self, d):
        self.d = d
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = {}  # id -> [(time acknowledged, record)]
        self.errors = []
        self.threads = [threading.Thread(target=self.client, args=(i,))
                        for i in range(CLIENTS)]

    def keep(self, rec):
        with self.lock:
            self.answers.setdefault(rec["id"], []).append((time.monotonic(), rec))

    def client(self, k):
        rng = random.Random(k)
        conn = self.d.connection(timeout=30)
        mine = []
        n = 0
        while not self.stop.is_set():
            try:
                if mine and rng.random() < 0.3:
                    rid = rng.choice(mine)
                    body = {"status": "under-review", "note": "校对 %d-%d" % (k, n)}
                    r = self.d.request("PATCH", "/v1/proposals/" + rid, json_body=body,
                                       token=ADMIN, conn=conn)
                else:
                    p = proposal(1000 + k * 100000 + n)
                    r = self.d.post("/v1/proposals", p, token=ADMIN, conn=conn)
                n += 1
                if r.status not in (200, 201):
                    self.errors.append((r.status, r.body[:200]))
                    continue
                rec = r.json()
                if r.status == 201:
                    mine.append(rec["id"])
                self.keep(rec)
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
                conn.close()
                conn = self.d.connection(timeout=30)
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)


class Backup(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stdtax-backup-")
        self.tax = on_time_taxonomy(os.path.join(self.tmp, "taxonomy.json"))
        self.config = ('taxonomy "%s"\ntoken secretariat admin %s\nduplicate-check no\n'
                       % (self.tax, ADMIN))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_backup_under_load_restores_every_acknowledged_proposal(self):
        out, restored = self.path("backup"), self.path("restored")
        with Daemon(config=self.config, workers=2) as d:
            with Load(d) as load:
                time.sleep(1.5)
                started = time.monotonic()
                r = cli("backup", "--data-dir", d.data_dir, "--taxonomy", self.tax, out)
                time.sleep(0.3)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(load.errors, [])
            with open(os.path.join(out, "manifest.json")) as f:
                manifest = json.load(f)
        before = {i: a for i, a in load.answers.items() if a[0][0] < started}
        self.assertGreater(len(before), 50)
        r = cli("restore", "--data-dir", restored, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = cli("check", "--data-dir", restored, "--taxonomy", self.tax)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with Daemon(config=self.config, data_dir=restored) as d:
            stats = d.get("/v1/stats").json()
            self.assertEqual(stats["total"], manifest["counts"]["proposals"])
            for rid, answers in before.items():
                got = d.get("/v1/proposals/" + rid)
                self.assertEqual(got.status, 200, rid)
                rec = stored(got.json())
                # The state at the backup: the last answer before it, or a later one.
                last_before = max(i for i, (t, _) in enumerate(answers) if t < started)
                allowed = [stored(a) for _, a in answers[last_before:]]
                self.assertIn(rec, allowed, rid)

    def test_killed_backup_is_never_restored(self):
        with Daemon(config=self.config) as d:
            with Load(d):
                time.sleep(1.0)
            for k, delay in enumerate((0.0, 0.05, 0.1, 0.2, 0.4)):
                out = self.path("killed%d" % k)
                p = subprocess.Popen([STDTAX, "backup", "--data-dir", d.data_dir,
                                      "--taxonomy", self.tax, out],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                time.sleep(delay)
                p.send_signal(signal.SIGKILL)
                p.wait()
                r = cli("restore", "--data-dir", self.path("r%d" % k), out)
                if os.path.exists(os.path.join(out, "manifest.json")):
                    self.assertEqual(r.returncode, 0, r.stderr)  # it had finished
                else:
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn("manifest.json", r.stderr)
                    self.assertFalse(os.path.exists(self.path("r%d/data.mdb" % k)))

    def test_materials_and_keep(self):
        data = self.path("data")
        with Daemon(config=self.config, data_dir=data) as d:
            r = d.post("/v1/proposals", proposal(2), token=ADMIN)
            self.assertEqual(r.status, 201, r)
            rid = r.json()["id"]
            draft = self.path("draft.pdf")
            with open(draft, "wb") as f:
                f.write(b"%PDF-1.4\n% a draft\n")
            r = cli("materials", "add", "--data-dir", data, "--taxonomy", self.tax, rid,
                    "draft", draft)
            self.assertEqual(r.returncode, 0, r.stderr)
            root = self.path("backups")
            os.mkdir(root)
            os.mkdir(os.path.join(root, "unfinished"))  # no manifest: left alone
            for k in range(4):
                r = cli("backup", "--data-dir", data, "--taxonomy", self.tax, "--keep", "2",
                        os.path.join(root, "b%d" % k))
                self.assertEqual(r.returncode, 0, r.stderr)
                time.sleep(1.1)  # manifests a second apart
        self.assertEqual(sorted(os.listdir(root)), ["b2", "b3", "unfinished"])
        with open(os.path.join(root, "b3", "manifest.json")) as f:
            self.assertEqual(json.load(f)["counts"]["materials"], 1)
        restored = self.path("restored")
        r = cli("restore", "--data-dir", restored, os.path.join(root, "b3"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = cli("materials", "list", "--data-dir", restored, "--taxonomy", self.tax, rid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"draft"', r.stdout)

    def test_admin_backup_route(self):
        root = self.path("backups")
        config = self.config + 'backup-dir "%s"\nbackup-keep 2\n' % root
        with Daemon(config=config) as d:
            for k in range(3):
                self.assertEqual(d.post("/v1/proposals", proposal(k), token=ADMIN).status, 201)
            self.assertEqual(d.post("/v1/admin/backup").status, 401)
            names = []
            for k in range(3):
                r = d.post("/v1/admin/backup", token=ADMIN)
                self.assertEqual(r.status, 202, r)
                where = r.header("Location")
                self.assertEqual(where, r.json()["href"])
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    job = d.get(where, token=ADMIN).json()
                    if job["status"] != "running":
                        break
                    time.sleep(0.1)
                self.assertEqual(job["status"], "done", job)
                self.assertEqual(job["manifest"]["counts"]["proposals"], 3)
                names.append(job["name"])
                time.sleep(1.1)
            self.assertEqual(sorted(os.listdir(root)), sorted(names[1:]))  # backup-keep 2
            self.assertEqual(d.get("/v1/admin/backups/nope", token=ADMIN).status, 404)
        r = cli("restore", "--data-dir", self.path("restored"), os.path.join(root, names[2]))
        self.assertEqual(r.returncode, 0, r.stderr)
        with Daemon(config=self.config) as d:  # no backup-dir: refused
            self.assertEqual(d.post("/v1/admin/backup", token=ADMIN).status, 409)

    def test_refusals(self):
        out = self.path("b")
        with Daemon(config=self.config) as d:
            self.assertEqual(d.post("/v1/proposals", proposal(1), token=ADMIN).status, 201)
            self.assertEqual(cli("backup", "--data-dir", d.data_dir, "--taxonomy", self.tax,
                                 out).returncode, 0)
            r = cli("backup", "--data-dir", d.data_dir, "--taxonomy", self.tax, out)
            self.assertEqual(r.returncode, 1)  # not into a backup that exists
            self.assertIn("not empty", r.stderr)
            r = cli("restore", "--data-dir", d.data_dir, out)
            self.assertEqual(r.returncode, 1)  # not over a store without --force
            self.assertIn("--force", r.stderr)
        mpath = os.path.join(out, "manifest.json")
        with open(mpath) as f:
            m = json.load(f)
        m["schema_version"] = 99
        with open(mpath, "w") as f:
            json.dump(m, f)
        r = cli("restore", "--data-dir", self.path("x"), out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("99", r.stderr)
        self.assertIn("schema version 2", r.stderr)
        m["schema_version"] = 2
        with open(mpath, "w") as f:
            json.dump(m, f)
        with open(os.path.join(out, "data.mdb"), "r+b") as f:
            f.seek(5000)
            f.write(b"\xff")
        r = cli("restore", "--data-dir", self.path("y"), out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("differs from the backup's manifest", r.stderr)


if __name__ == "__main__":
    tap_main()
