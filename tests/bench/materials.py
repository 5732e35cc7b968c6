#!/usr/bin/env python3
"""Materials (issue 16): the daemon's memory while sixteen 20 MiB uploads run at once
(VmHWM - VmRSS before, from /proc), and upload / download throughput of one 20 MiB
file against cp of the same file on the same disk.  Prints a Markdown table for
tests/bench/RESULTS.md.  Run from the build directory:
    python3 tests/bench/materials.py [--uploads 16] [--size-mib 20]"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
from stdtaxd import SRCDIR, Daemon  # noqa: E402
import materials_files as files  # noqa: E402

ADMIN = "bench-admin-token-0123"


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=16)
    ap.add_argument("--size-mib", type=int, default=20)
    a = ap.parse_args()
    size = a.size_mib << 20
    with open(os.path.join(SRCDIR, "tests", "data", "proposal-local.json"), "rb") as f:
        proposal = f.read()
    with Daemon(config="token sec admin %s\nduplicate-check no\nmaterial-max %dMiB\n"
                "materials-per-proposal 100\nlog-level warn\n" % (ADMIN, a.size_mib),
                workers=4) as d:
        pid = d.request("POST", "/v1/proposals", body=proposal, token=ADMIN,
                        headers={"Content-Type": "application/json"}).json()["id"]
        head = files.pdf("bench")
        bodies = [head + os.urandom(size - len(head)) for _ in range(a.uploads)]
        rss0 = status_kib(d.proc.pid, "VmRSS")
        statuses = []

        def up(body):
            r = d.request("POST", "/v1/proposals/%s/materials/other" % pid, body=body,
                          token=ADMIN, timeout=300,
                          headers={"Content-Type": "application/pdf"})
            statuses.append(r.status)
        t0 = time.monotonic()
        threads = [threading.Thread(target=up, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_all = time.monotonic() - t0
        hwm = status_kib(d.proc.pid, "VmHWM")
        print("| simultaneous uploads | %d x %d MiB, answers %s |" %
              (a.uploads, a.size_mib, sorted(set(statuses))))
        print("| VmRSS before | %.1f MiB |" % (rss0 / 1024))
        print("| VmHWM after (peak) | %.1f MiB |" % (hwm / 1024))
        print("| peak - before | %.1f MiB (bound asked: 64 MiB) |" % ((hwm - rss0) / 1024))
        print("| all uploads | %.2f s, %.0f MiB/s |" % (t_all, a.uploads * a.size_mib / t_all))

        # One file: upload, download, cp, on the same disk (the data directory's).
        body = head + os.urandom(size - len(head))
        src = os.path.join(d.tmp, "src.pdf")
        with open(src, "wb") as f:
            f.write(body)
        best = {}
        for _ in range(3):
            t0 = time.monotonic()
            r = d.request("POST", "/v1/proposals/%s/materials/other" % pid, body=body,
                          token=ADMIN, timeout=300)
            best["upload"] = min(best.get("upload", 1e9), time.monotonic() - t0)
            slot = r.json()["id"]
            t0 = time.monotonic()
            g = d.get("/v1/proposals/%s/materials/%s" % (pid, slot), token=ADMIN,
                      timeout=300)
            best["download"] = min(best.get("download", 1e9), time.monotonic() - t0)
            assert hashlib.sha256(g.body).digest() == hashlib.sha256(body).digest()
            dst = os.path.join(d.tmp, "copy.pdf")
            t0 = time.monotonic()
            subprocess.run(["cp", src, dst], check=True)
            subprocess.run(["sync", "-f", dst], check=False)
            best["cp + sync"] = min(best.get("cp + sync", 1e9), time.monotonic() - t0)
            os.unlink(dst)
        for k in ("upload", "download", "cp + sync"):
            print("| %s %d MiB (best of 3) | %.3f s, %.0f MiB/s |"
                  % (k, a.size_mib, best[k], a.size_mib / best[k]))


if __name__ == "__main__":
    main()
