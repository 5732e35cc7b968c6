#!/usr/bin/env python3
"""TAP: every text the daemon and the service write for a problem has its row in the
message table (src/lib/message.c), so that a caller who prefers Chinese reads it in
Chinese (doc/http-errors.md, "Languages").  Reads the sources: each format given to
api_response_problem, stdtax_problem_add or stdtax_error_set in src/daemon (in server.c
only the dispatcher's api_response_problem; not the files that run at start-up) and in
src/lib/service*.c.  A pointer ("/...") is not a format; a format that is only "%s"
passes a text made elsewhere."""

import glob
import os
import re
import sys

SRC = os.environ.get("STDTAX_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
LITERAL = r'"(?:[^"\\]|\\.)*"'
STARTUP = re.compile(r"(main|settings|options|log|metrics)\.c$")


def joined(text):
    """The C string of adjacent literals (PRIu64 read as glibc defines it)."""
    text = re.sub(r'"\s*PRIu64\s*"', "lu", text)
    text = re.sub(r'"\s*PRIu64\s*$', 'lu"', text.strip())
    return "".join(m[1:-1] for m in re.findall(LITERAL, text)).replace('\\"', '"')


def table():
    with open(os.path.join(SRC, "src", "lib", "message.c"), encoding="utf-8") as f:
        text = f.read()
    rows = re.findall(r'"[a-z0-9-]+",\s*\{?\s*((?:%s\s*)+),' % LITERAL, text)
    return {joined(r) for r in rows}


def arguments(text, start):
    """The argument text of the call whose '(' ends at start."""
    depth, i = 1, start
    while depth:
        c = text[i]
        if c == '"':
            i = re.match(LITERAL, text[i:]).end() + i
            continue
        depth += {"(": 1, ")": -1}.get(c, 0)
        i += 1
    return text[start:i - 1]


def formats():
    files = [f for f in glob.glob(os.path.join(SRC, "src", "daemon", "*.c"))
             if not STARTUP.search(f)]
    files += glob.glob(os.path.join(SRC, "src", "lib", "service*.c"))
    for path in sorted(files):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        names = "api_response_problem" if path.endswith("server.c") else \
            "api_response_problem|stdtax_problem_add|stdtax_error_set"
        for call in re.finditer(r"\b(?:%s)\s*\(" % names, text):
            args = arguments(text, call.end())
            for group in re.findall(r"((?:%s\s*(?:PRIu64\s*)?)+)" % LITERAL, args):
                fmt = joined(group)
                if fmt.startswith("/") or not (" " in fmt or "%" in fmt):
                    continue  # a pointer or a field name
                if fmt != "%s":
                    yield os.path.basename(path), fmt
                break


def main():
    known = table()
    found = list(formats())
    missing = sorted({(f, fmt) for f, fmt in found if fmt not in known})
    print("1..1")
    if len(found) < 100:  # the scan itself broke: it would pass for nothing
        print("not ok 1 - the scan found only %d problem texts" % len(found))
        return 1
    if missing:
        print("not ok 1 - every problem text has its row in the message table")
        for f, fmt in missing:
            print("# %s: no row for: %s" % (f, fmt))
        return 1
    print("ok 1 - every problem text has its row in the message table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
