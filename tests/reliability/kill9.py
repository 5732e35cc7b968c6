#!/usr/bin/env python3
"""Kill -9 under concurrent writes: nothing acknowledged is ever lost.

CLIENTS threads submit proposals (admin token, so the call's past deadline does not
refuse them) as fast as the daemon answers.  The daemon is killed with SIGKILL at
random moments (fixed seed) KILLS times and restarted on the same data directory.
After each kill: `stdtax check` finds the store consistent (when the CLI has the
command).  After each restart: every proposal answered 201 since the last restart is
fetched by id and is what was sent, the stats total is at least the number
acknowledged (and at most one in-flight request per client per kill more), and the
daemon takes a new submission.  At the end every acknowledged proposal is in the
listing and the stats total equals the number listed.

    tests/reliability/kill9.py [--kills 20] [--clients 16] [--seed 1] [--max-seconds 90]

Prints `figure ...` lines; exit status 0 when every check held."""

import argparse
import http.client
import random
import signal
import sys
import tempfile
import threading
import time

import common
from common import ADMIN_TOKEN, figure
from stdtaxd import Daemon


class Clients:
    def __init__(self, n, title_prefix):
        self.n = n
        self.prefix = title_prefix
        self.port = None
        self.lock = threading.Lock()
        self.acked = {}  # id -> title
        self.sent = 0
        self.failed = 0  # connection errors (the daemon was being killed)
        self.other = {}  # unexpected statuses
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(n)]

    def start(self):
        for t in self.threads:
            t.start()

    def run(self, k):
        body = common.example("local" if k % 2 else "group")
        seq = 0
        conn = None
        conn_port = None
        while not self.stop.is_set():
            port = self.port
            if port is None:
                time.sleep(0.01)
                continue
            if conn is None or conn_port != port:
                if conn:
                    conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn_port = port
            seq += 1
            title = "%s 客户%d-%d" % (self.prefix, k, seq)
            body["title"] = title
            data = common.json.dumps(body, ensure_ascii=False).encode("utf-8")
            try:
                conn.request("POST", "/v1/proposals", body=data,
                             headers={"Content-Type": "application/json",
                                      "Authorization": "Bearer " + ADMIN_TOKEN})
                r = conn.getresponse()
                payload = r.read()
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.sent += 1
                    self.failed += 1
                conn.close()
                conn = None
                time.sleep(0.005)
                continue
            with self.lock:
                self.sent += 1
                if r.status == 201:
                    self.acked[common.json.loads(payload)["id"]] = title
                else:
                    self.other[r.status] = self.other.get(r.status, 0) + 1
            if r.status != 201:
                time.sleep(0.01)
        if conn:
            conn.close()

    def snapshot(self):
        with self.lock:
            return dict(self.acked)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    base = tempfile.mkdtemp(prefix="stdtax-kill9-")
    data_dir = base + "/data"
    started = time.monotonic()
    failures = []
    kills = 0
    verified_gets = 0
    has_check = common.cli_has_check()
    clients = Clients(a.clients, "崩溃测试")
    d = None
    seen = set()
    n = 0
    acked = {}

    def start_daemon():
        dd = Daemon(config=common.CONFIG, workers=a.workers, data_dir=data_dir)
        dd.start(timeout=60)
        return dd

    def verify_new(dd, acked, seen, when):
        """GET by id every acknowledged proposal not verified before (those were
        checked after an earlier restart; the final listing covers them again)."""
        nonlocal verified_gets
        conn = dd.connection(timeout=30)
        try:
            for i in sorted(set(acked) - seen):
                r = dd.request("GET", "/v1/proposals/" + i, token=ADMIN_TOKEN, conn=conn)
                verified_gets += 1
                if r.status != 200 or r.json().get("title") != acked[i]:
                    failures.append("%s: GET %s -> %r" % (when, i, r))
                    return
                seen.add(i)
        finally:
            conn.close()
        st = dd.get("/v1/stats", token=ADMIN_TOKEN)
        total = st.json().get("total") if st.status == 200 else None
        # Stored but not acknowledged: at most one request in flight per client per kill.
        if total is None or not len(acked) <= total <= len(acked) + a.clients * kills + 1:
            failures.append("%s: stats total %r for %d acknowledged" % (when, total, len(acked)))
        return total

    def verify_all(dd, acked, when):
        listed = common.list_ids(dd)
        missing = [i for i in acked if i not in set(listed)]
        if missing:
            failures.append("%s: %d acknowledged proposals missing, e.g. %s"
                            % (when, len(missing), missing[:5]))
        if len(set(listed)) != len(listed):
            failures.append("%s: the listing repeats ids" % when)
        st = dd.get("/v1/stats", token=ADMIN_TOKEN)
        total = st.json().get("total") if st.status == 200 else None
        if total != len(listed):
            failures.append("%s: stats total %r but %d listed" % (when, total, len(listed)))
        return len(listed)

    try:
        d = start_daemon()
        clients.port = d.port
        clients.start()
        while kills < a.kills and not failures:
            if time.monotonic() - started > a.max_seconds:
                print("# time bound reached after %d kills" % kills)
                break
            time.sleep(rng.uniform(0.1, 0.8))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            kills += 1
            clients.port = None
            acked = clients.snapshot()  # no 201 can arrive from a dead daemon
            d.cleanup()  # its config and log; the data directory is outside
            t0 = time.monotonic()
            if has_check:
                ok, text = common.store_check(data_dir)
                if not ok:
                    failures.append("kill %d: stdtax check: %s" % (kills, text[-2000:]))
            t1 = time.monotonic()
            d = start_daemon()
            t2 = time.monotonic()
            n = verify_new(d, acked, seen, "restart %d" % kills)
            t3 = time.monotonic()
            r = d.post("/v1/proposals", common.example("local"), token=ADMIN_TOKEN)
            if r.status != 201:
                failures.append("restart %d: a new submission got %r" % (kills, r))
            else:
                with clients.lock:
                    clients.acked[r.json()["id"]] = r.json()["title"]
            print("# kill %2d: %6d acknowledged, %6d stored, %5d refused connections; "
                  "check %.2fs, restart %.2fs, verify %.2fs"
                  % (kills, len(acked), n, clients.failed, t1 - t0, t2 - t1, t3 - t2),
                  flush=True)
            clients.port = d.port
        time.sleep(0.3)
        clients.stop.set()
        for t in clients.threads:
            t.join(15)
        acked = clients.snapshot()
        verify_new(d, acked, seen, "end")
        n = verify_all(d, acked, "end")
        rc = d.stop()
        if rc != 0:
            failures.append("SIGTERM at the end: exit status %d\n%s" % (rc, d.log()[-3000:]))
        if has_check:
            ok, text = common.store_check(data_dir)
            if not ok:
                failures.append("end: stdtax check: %s" % text[-2000:])
    finally:
        clients.stop.set()
        if d:
            d.cleanup()
        common.rmtree(base)

    figure("kill9.kills_survived", kills if not failures else 0)
    figure("kill9.clients", a.clients)
    figure("kill9.acknowledged", len(acked))
    figure("kill9.stored", n)
    figure("kill9.requests_sent", clients.sent)
    figure("kill9.connection_errors", clients.failed)
    figure("kill9.other_statuses", dict(sorted(clients.other.items())) or "none")
    figure("kill9.gets_by_id", verified_gets)
    figure("kill9.store_check", "stdtax check" if has_check else "stats-vs-listing")
    figure("kill9.seconds", "%.1f" % (time.monotonic() - started))
    for f in failures:
        print("FAIL " + f)
    print("kill9: %s" % ("FAIL" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
