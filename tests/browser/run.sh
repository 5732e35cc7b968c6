#!/bin/sh
# CI entry for the dashboard's browser test: here a missing prerequisite is a failure,
# not a skip.  What the machine needs (.ci/run installs it):
#   - Debian's chromium at /usr/bin/chromium   apt-get install -y chromium
#   - a CJK font for readable screenshots       apt-get install -y fonts-wqy-microhei
#   - Node.js >= 18 with npm (the npm registry, for playwright-core as pinned in
#     package-lock.json; it never downloads a browser)
#   - a built tree: autoreconf -fi && ./configure && make  (src/daemon/stdtaxd)
# Screenshots and a PDF of the print view go to $STDTAX_ARTIFACTS, by default
# BUILDDIR/tests/browser/artifacts/ (gitignored; keep it as a CI artefact).
# Usage: tests/browser/run.sh            (from anywhere; BUILDDIR defaults to the tree)
#        STDTAX_BUILDDIR=/path/to/build tests/browser/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$here/../.." && pwd)
STDTAX_SRCDIR=${STDTAX_SRCDIR:-$tree}
STDTAX_BUILDDIR=${STDTAX_BUILDDIR:-$tree}
export STDTAX_SRCDIR STDTAX_BUILDDIR
STDTAX_BROWSER_REQUIRED=1
export STDTAX_BROWSER_REQUIRED

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "run.sh: ${CHROMIUM:-/usr/bin/chromium} is missing: apt-get install -y chromium" >&2
    exit 1
fi
if [ ! -x "$STDTAX_BUILDDIR/src/daemon/stdtaxd" ]; then
    echo "run.sh: $STDTAX_BUILDDIR/src/daemon/stdtaxd is not built" >&2
    exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund)
fi
exec node "$here/dashboard.test.mjs"
