#!/usr/bin/env python3
"""Disk full: the data directory on a small filesystem that this script mounts (tmpfs
by default, or a loop-mounted ext4 image with --fs ext4; needs root).

A filler file leaves a little space; proposals are submitted until the store cannot
write.  Then: every write answers 507 application/problem+json (type no-space) and
never anything else; reads (get by id, listing, stats, classify, healthz) keep
answering 200; a SIGTERM stops the daemon cleanly, `stdtax check` finds the store
consistent, a restart on the full disk serves every acknowledged proposal; when the
filler is deleted, writes are accepted again.

    tests/reliability/diskfull.py [--fs tmpfs|ext4] [--size-mb 16]

Prints `figure ...` lines; exit 0 when every check held, 77 (skip) when not root."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import common
from common import ADMIN_TOKEN, figure
from stdtaxd import Daemon


def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def mount(fs, size_mb, where, image):
    if fs == "tmpfs":
        sh("mount", "-t", "tmpfs", "-o", "size=%dm,mode=0755" % size_mb, "tmpfs", where)
    else:
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        sh("mkfs.ext4", "-q", "-F", "-m", "0", image)
        sh("mount", "-o", "loop", image, where)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fs", choices=("tmpfs", "ext4"), default="tmpfs")
    ap.add_argument("--size-mb", type=int, default=16)
    ap.add_argument("--leave-kb", type=int, default=768, help="free space the filler leaves")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("diskfull: needs root to mount a filesystem: skipped")
        return 77

    started = time.monotonic()
    base = tempfile.mkdtemp(prefix="stdtax-diskfull-")
    mnt = os.path.join(base, "mnt")
    os.mkdir(mnt)
    failures = []
    acked = {}
    counts = {"201": 0, "507": 0}
    d = None
    mounted = False

    def submit(dd, tag):
        b = common.example("local")
        b["title"] += " 磁盘%s" % tag
        r = dd.post("/v1/proposals", b, token=ADMIN_TOKEN)
        if r.status == 201:
            acked[r.json()["id"]] = b["title"]
            counts["201"] += 1
        elif r.status == 507:
            counts["507"] += 1
            p = r.json()
            if (not r.content_type.startswith("application/problem+json")
                    or p.get("status") != 507 or not p.get("type", "").endswith("no-space")
                    or not p.get("detail")):
                failures.append("507 is not a no-space problem: %r" % r)
        else:
            failures.append("a write on a full disk answered %r" % r)
        return r.status

    def reads_work(dd, when):
        for i in sorted(acked)[:: max(1, len(acked) // 25)]:
            r = dd.get("/v1/proposals/" + i, token=ADMIN_TOKEN)
            if r.status != 200 or r.json().get("title") != acked[i]:
                failures.append("%s: GET %s -> %r" % (when, i, r))
                return
        for path in ("/healthz", "/v1/stats", "/v1/proposals?limit=5", "/v1/taxonomy"):
            r = dd.get(path, token=ADMIN_TOKEN)
            if r.status != 200:
                failures.append("%s: GET %s -> %r" % (when, path, r))
        r = dd.post("/v1/classify", {"title": "人工智能 语音识别 测试方法"}, token=ADMIN_TOKEN)
        if r.status != 200:
            failures.append("%s: POST /v1/classify -> %r" % (when, r))
        total = dd.get("/v1/stats", token=ADMIN_TOKEN).json().get("total")
        if total != len(acked):
            failures.append("%s: stats total %r, %d acknowledged" % (when, total, len(acked)))

    try:
        mount(a.fs, a.size_mb, mnt, os.path.join(base, "fs.img"))
        mounted = True
        data_dir = os.path.join(mnt, "data")
        # Start first (the store's files exist), then fill the rest.
        d = Daemon(config=common.CONFIG, data_dir=data_dir).start(timeout=60)
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            chunk = b"\xa5" * (1 << 20)
            while free_bytes(mnt) > (a.leave_kb << 10) + len(chunk):
                f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            f.write(b"\xa5" * max(0, free_bytes(mnt) - (a.leave_kb << 10)))
            f.flush()
            os.fsync(f.fileno())
        figure("diskfull.free_kb_before", free_bytes(mnt) >> 10)

        for i in range(5000):
            if submit(d, "a%d" % i) != 201 or failures:
                break
        else:
            failures.append("5000 proposals fit into %d KiB" % a.leave_kb)
        first_full = counts["201"]
        for i in range(30):
            submit(d, "b%d" % i)
        figure("diskfull.accepted_until_full", first_full)
        figure("diskfull.free_kb_when_full", free_bytes(mnt) >> 10)
        reads_work(d, "full")

        rc = d.stop()
        if rc != 0:
            failures.append("SIGTERM on a full disk: exit %d\n%s" % (rc, d.log()[-2000:]))
        log = d.log()
        d.cleanup()
        if "no space" not in log:
            failures.append("the log does not say the disk is full")
        check = common.store_check(data_dir)
        if check is not None and not check[0]:
            failures.append("stdtax check after the full disk: %s" % check[1][-2000:])

        d = Daemon(config=common.CONFIG, data_dir=data_dir).start(timeout=60)
        reads_work(d, "restart on a full disk")
        submit(d, "c0")

        os.unlink(filler)
        resumed = 0
        for i in range(20):
            if submit(d, "d%d" % i) == 201:
                resumed += 1
        if resumed != 20:
            failures.append("after space returned only %d of 20 writes were accepted" % resumed)
        reads_work(d, "space returned")
        rc = d.stop()
        if rc != 0:
            failures.append("SIGTERM at the end: exit %d" % rc)
        check = common.store_check(data_dir)
        if check is not None and not check[0]:
            failures.append("stdtax check at the end: %s" % check[1][-2000:])
        figure("diskfull.fs", a.fs)
        figure("diskfull.writes_refused_507", counts["507"])
        figure("diskfull.writes_accepted", counts["201"])
        figure("diskfull.writes_after_space_returned", resumed)
        figure("diskfull.store_check", "stdtax check" if check is not None else "stats")
    finally:
        if d:
            d.cleanup()
        if mounted:
            subprocess.run(["umount", "-l", mnt])
        common.rmtree(base)
    figure("diskfull.seconds", "%.1f" % (time.monotonic() - started))
    for f in failures[:20]:
        print("FAIL " + f)
    print("diskfull: %s" % ("FAIL" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
