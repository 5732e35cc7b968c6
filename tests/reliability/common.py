"""Shared pieces of the reliability scripts (Python 3 standard library only).

They drive the real stdtaxd through tests/api/stdtaxd.py (the API test harness) and
print their figures as `figure NAME VALUE` lines, which CI logs and
tests/RELIABILITY.md records."""

import copy
import json
import os
import shutil
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("STDTAX_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("STDTAX_BUILDDIR") or SRCDIR
sys.path.insert(0, os.path.join(SRCDIR, "tests", "api"))

import stdtaxd  # noqa: E402  (the harness, found through SRCDIR)

CLI = os.environ.get("STDTAX") or os.path.join(BUILDDIR, "src", "cli", "stdtax")

# Secrets long and distinctive enough that finding them in a log is not chance.
SUBMIT_TOKEN = "rel-submit-7f3a9c1e5b2d4a6f8e0c"
ADMIN_TOKEN = "rel-admin-2b8d6f0a4c1e9b7d3f5a"
TOKENS = ("token rel-submit submit %s\ntoken rel-admin admin %s\n"
          % (SUBMIT_TOKEN, ADMIN_TOKEN))
TAXONOMY = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")
MODEL = os.path.join(SRCDIR, "taxonomy", "model-2023.json")
# Named explicitly, so that a daemon built elsewhere (STDTAXD=...) finds them too.
# These scripts send the same example form many times to measure durability and
# refusals, so the same-organisation duplicate check (409) is off for them.
CONFIG = TOKENS + 'taxonomy "%s"\nmodel "%s"\nduplicate-check no\n' % (TAXONOMY, MODEL)


def example(track="local"):
    """A valid submission of the track (a new dict each call)."""
    path = os.path.join(SRCDIR, "tests", "data", "proposal-%s.json" % track)
    with open(path, encoding="utf-8") as f:
        return copy.deepcopy(json.load(f))


def figure(name, value):
    print("figure %s %s" % (name, value), flush=True)


def cli_has_check():
    if not os.access(CLI, os.X_OK):
        return False
    p = subprocess.run([CLI, "--help"], capture_output=True, timeout=10)
    return b"check" in p.stdout + p.stderr


def store_check(data_dir):
    """Runs `stdtax check --json` on a data directory: (ok, report text).  None when the
    CLI has no check command (then callers compare stats with the listing)."""
    if not cli_has_check():
        return None
    p = subprocess.run([CLI, "check", "--json", "--data-dir", data_dir],
                       capture_output=True, timeout=60)
    return p.returncode == 0, (p.stdout + p.stderr).decode("utf-8", "replace")


def list_ids(d, token=ADMIN_TOKEN):
    """Every proposal id the listing returns (status filter none: withdrawn left out)."""
    ids = []
    cursor = None
    for _ in range(10000):
        path = "/v1/proposals?limit=1000" + ("&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else "")
        r = d.get(path, token=token, timeout=30)
        if r.status != 200:
            raise AssertionError("GET %s: %r" % (path, r))
        page = r.json()
        ids += [it["id"] for it in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return ids
    raise AssertionError("listing does not end")


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rmtree(path):
    if path and not os.environ.get("STDTAX_KEEP_TMP"):
        shutil.rmtree(path, ignore_errors=True)
