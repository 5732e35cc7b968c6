"""Materials survive kill -9 (issue 16): uploads run while the daemon is killed, many
times over one data directory; after each kill every upload that was answered 201 is
there with its hash, and `stdtax check` finds nothing but unreferenced files (a file
written whose record never committed), which `stdtax check --repair` removes."""

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdtaxd import BUILDDIR, SRCDIR, WRAPPER, Daemon, tap_main  # noqa: E402
import materials_files as files  # noqa: E402

ADMIN = "secretariat-admin-crash-1"
STDTAX = os.path.join(BUILDDIR, "src", "cli", "stdtax")
# Under valgrind (tests/reliability/valgrind.sh) each start takes seconds: fewer rounds.
ROUNDS = int(os.environ.get("STDTAX_CRASH_ROUNDS", "2" if WRAPPER else "8"))
UPLOADERS = 4
CONFIG = "token sec admin %s\nduplicate-check no\nmaterials-per-proposal 1000\n" % ADMIN


def example():
    import json
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-local.json"),
              encoding="utf-8") as f:
        return json.load(f)


def stdtax(data_dir, *args):
    return subprocess.run([STDTAX, "--data-dir", data_dir, "check"] + list(args),
                          capture_output=True, text=True, timeout=120)


class Crash(unittest.TestCase):
    def test_kill_during_uploads(self):
        tmp = tempfile.mkdtemp(prefix="stdtaxd-crash-")
        data = os.path.join(tmp, "data")
        acknowledged = {}  # (proposal, slot) -> sha256
        rng = random.Random(16)
        try:
            d = Daemon(config=CONFIG, data_dir=data).start()
            pid = d.post("/v1/proposals", example(), token=ADMIN).json()["id"]
            d.kill()
            d.cleanup()
            for rnd in range(ROUNDS):
                d = Daemon(config=CONFIG, data_dir=data).start()
                stop = threading.Event()
                lock = threading.Lock()

                def upload(worker):
                    n = 0
                    while not stop.is_set():
                        n += 1
                        body = files.pdf("r%d w%d n%d" % (rnd, worker, n)) + \
                            os.urandom(rng.randrange(1, 300000))
                        try:
                            r = d.request("POST", "/v1/proposals/%s/materials/other" % pid,
                                          body=body, token=ADMIN, timeout=5,
                                          headers={"Content-Type": "application/pdf"})
                        except OSError:
                            return
                        if r.status == 201:
                            m = r.json()
                            with lock:
                                acknowledged[(pid, m["id"])] = hashlib.sha256(body).hexdigest()
                threads = [threading.Thread(target=upload, args=(i,))
                           for i in range(UPLOADERS)]
                for t in threads:
                    t.start()
                time.sleep(0.2 + rng.random() * 0.6)
                d.send_signal(signal.SIGKILL)
                stop.set()
                for t in threads:
                    t.join()
                d.wait()
                d.cleanup()
                # Every acknowledged upload is there, byte for byte.
                d = Daemon(config=CONFIG, data_dir=data).start()
                listed = d.get("/v1/proposals/%s/materials" % pid, token=ADMIN).json()
                have = {(pid, m["id"]): m["sha256"] for m in listed["items"]}
                for key, sha in acknowledged.items():
                    self.assertEqual(have.get(key), sha, "round %d: %s" % (rnd, key))
                for key in rng.sample(sorted(acknowledged), min(3, len(acknowledged))):
                    g = d.get("/v1/proposals/%s/materials/%s" % key, token=ADMIN)
                    self.assertEqual(hashlib.sha256(g.body).hexdigest(), acknowledged[key])
                self.assertEqual(d.stop(), 0)
                d.cleanup()
                # Only unreferenced files; --repair removes them.
                r = stdtax(data)
                self.assertIn(r.returncode, (0, 1), r.stderr)
                for line in r.stdout.splitlines():
                    if line.startswith("material ") and "unreferenced" not in line:
                        self.fail("round %d: damage: %s" % (rnd, line))
                self.assertRegex(r.stdout, r"0 missing, 0 damaged, 0 reference count")
                self.assertIn("0 count differences, 0 missing and 0 extra", r.stdout)
                r = stdtax(data, "--repair")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                r = stdtax(data)
                self.assertEqual(r.returncode, 0, r.stdout)
                self.assertNotIn("unreferenced:", r.stdout)
            self.assertGreater(len(acknowledged), ROUNDS)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    tap_main()
