#!/usr/bin/env python3
"""Start-up failures: stdtaxd must refuse to start, quickly, with a message that names
the file at fault and says how to fix it ("to fix: ...").

Cases: random bytes as data.mdb; a text file as data.mdb; an LMDB environment of
another program; a store of another schema version; data-dir that is a regular file;
a missing, a truncated and a deleted-while-running taxonomy file (SIGHUP keeps the old
one serving; the restart then fails); a missing model file; a data directory the
daemon's user may not enter and a data.mdb it may not write (run as `nobody` through
setpriv: root ignores permissions).

    tests/reliability/startup.py

Prints `figure ...` lines; exit 0 when every check held."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import common
from common import figure
from stdtaxd import BINARY, OPENAPI, Daemon

failures = []


def fail(msg):
    failures.append(msg)


def start(args, user=None, timeout=30):
    """Runs stdtaxd until it exits (it must): (exit status, stderr)."""
    argv = [BINARY, "--listen", "127.0.0.1", "--port", "0", "--openapi", OPENAPI] + args
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups",
                "--"] + argv
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "still running after %d s" % timeout
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def expect_refusal(name, args, must_name, user=None):
    t0 = time.monotonic()
    rc, out = start(args, user)
    took = time.monotonic() - t0
    if rc is None or rc == 0:
        fail("%s: stdtaxd did not refuse to start (%r): %s" % (name, rc, out[-500:]))
        return
    if must_name not in out:
        fail("%s: the message does not name %s:\n%s" % (name, must_name, out[-800:]))
    if "to fix:" not in out:
        fail("%s: the message does not say how to fix it:\n%s" % (name, out[-800:]))
    print("# %-28s exit %d in %.2fs: %s" % (name, rc, took,
                                            " / ".join(out.strip().splitlines()[-2:])))


def main():
    started = time.monotonic()
    base = tempfile.mkdtemp(prefix="stdtax-startup-")
    os.chmod(base, 0o755)
    tax, model = common.TAXONOMY, common.MODEL
    files = ["--taxonomy", tax, "--model", model]
    port_dir = os.path.join(base, "ports")
    os.mkdir(port_dir)
    os.chmod(port_dir, 0o1777)
    n = [0]

    def port_file():
        n[0] += 1
        return ["--port-file", os.path.join(port_dir, "p%d" % n[0])]

    def data_dir(name):
        path = os.path.join(base, name)
        os.mkdir(path)
        return path

    try:
        # A good store to damage later.
        good = os.path.join(base, "good")
        with Daemon(config=common.CONFIG, data_dir=good) as d:
            r = d.post("/v1/proposals", common.example("local"), token=common.ADMIN_TOKEN)
            if r.status != 201:
                fail("could not make a store: %r" % r)

        d1 = data_dir("random")
        with open(os.path.join(d1, "data.mdb"), "wb") as f:
            f.write(os.urandom(64 << 10))
        expect_refusal("random bytes as data.mdb", files + port_file() + ["--data-dir", d1],
                       os.path.join(d1, "data.mdb"))

        d2 = data_dir("text")
        with open(os.path.join(d2, "data.mdb"), "w") as f:
            f.write("these are my notes, not a database\n" * 200)
        expect_refusal("text file as data.mdb", files + port_file() + ["--data-dir", d2],
                       os.path.join(d2, "data.mdb"))

        d3 = data_dir("foreign")
        subprocess.run(["mdb_load", "-T", "-s", "somebody-else", d3],
                       input=b"key\nvalue\n", check=True, capture_output=True)
        expect_refusal("another program's LMDB", files + port_file() + ["--data-dir", d3],
                       d3)

        d4 = os.path.join(base, "version")
        shutil.copytree(good, d4)
        subprocess.run(["mdb_load", "-T", "-s", "meta", d4],
                       input=b"schema_version\n99\n", check=True, capture_output=True)
        expect_refusal("schema version 99", files + port_file() + ["--data-dir", d4], d4)

        f5 = os.path.join(base, "a-file")
        open(f5, "w").close()
        expect_refusal("data-dir is a file", files + port_file() + ["--data-dir", f5], f5)

        missing = os.path.join(base, "no-such-taxonomy.json")
        expect_refusal("missing taxonomy", ["--taxonomy", missing, "--model", model]
                       + port_file() + ["--data-dir", data_dir("t1")], missing)

        trunc = os.path.join(base, "truncated.json")
        with open(tax, "rb") as f, open(trunc, "wb") as g:
            g.write(f.read()[:5000])
        expect_refusal("truncated taxonomy", ["--taxonomy", trunc, "--model", model]
                       + port_file() + ["--data-dir", data_dir("t2")], trunc)

        nomodel = os.path.join(base, "no-such-model.json")
        expect_refusal("missing model", ["--taxonomy", tax, "--model", nomodel]
                       + port_file() + ["--data-dir", data_dir("t3")], nomodel)

        # The taxonomy disappears under a running daemon.
        gone = os.path.join(base, "vanishing.json")
        shutil.copy(tax, gone)
        d6 = os.path.join(base, "vanish-data")
        d = Daemon(config=common.TOKENS + 'taxonomy "%s"\nmodel "%s"\n' % (gone, model),
                   data_dir=d6)
        d.start(timeout=60)
        try:
            os.unlink(gone)
            d.send_signal(signal.SIGHUP)
            if not d.wait_log(gone, timeout=10):
                fail("SIGHUP with the taxonomy gone: the log does not name %s" % gone)
            r = d.get("/v1/taxonomy")
            if r.status != 200 or d.proc.poll() is not None:
                fail("SIGHUP with the taxonomy gone: no longer serving: %r" % r)
            if d.stop() != 0:
                fail("SIGTERM after the failed reload: exit %r" % d.returncode)
        finally:
            d.cleanup()
        expect_refusal("taxonomy deleted, restart", ["--taxonomy", gone, "--model", model]
                       + port_file() + ["--data-dir", d6], gone)

        # Permissions: as nobody (root would not be stopped).
        nobody = 65534
        d7 = data_dir("locked")
        os.chmod(d7, 0o700)
        expect_refusal("data dir not accessible", files + port_file() + ["--data-dir", d7],
                       d7, user=nobody)
        d8 = os.path.join(base, "readonly")
        shutil.copytree(good, d8)
        os.chmod(d8, 0o755)
        for name in os.listdir(d8):
            os.chmod(os.path.join(d8, name), 0o644)
        expect_refusal("data.mdb not writable", files + port_file() + ["--data-dir", d8],
                       d8, user=nobody)
    finally:
        common.rmtree(base)

    figure("startup.cases", 12)
    figure("startup.seconds", "%.1f" % (time.monotonic() - started))
    for f in failures:
        print("FAIL " + f)
    print("startup: %s" % ("FAIL" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
