#!/bin/sh
# make check: the dashboard in a real browser (dashboard.test.mjs), when this machine
# has one.  Without node, /usr/bin/chromium or tests/browser/node_modules the test
# reports a TAP skip; tests/browser/run.sh is the CI entry that makes them required.
here=$(dirname "$0")
if ! command -v node >/dev/null 2>&1; then
    echo "1..0 # SKIP node is not installed"
    exit 0
fi
exec node "$here/dashboard.test.mjs"
