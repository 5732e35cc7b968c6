#!/bin/sh
# Every C file of the project is as clang-format (the checked-in .clang-format, Debian
# 12's clang-format 14) writes it; `make format` rewrites them.  One TAP line per file
# that deviates, so the log names what to fix.  TAP output.
srcdir=${STDTAX_SRCDIR:-$(dirname "$0")/..}
cd "$srcdir" || exit 1
if ! command -v clang-format >/dev/null 2>&1; then
    echo "1..1"
    echo "ok 1 - # SKIP clang-format is not installed (scripts/install-deps installs it)"
    exit 0
fi
files=$(find src include tests/unit tests/fuzz tests/bench -name '*.[ch]' | sort)
n=0
bad=0
for f in $files; do
    n=$((n + 1))
    if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
        :
    else
        bad=$((bad + 1))
        echo "not ok $n - $f is not clang-formatted (make format)"
        printf '%s\n' "$out" | head -6 | sed 's/^/# /'
        continue
    fi
    echo "ok $n - $f"
done
echo "1..$n"
