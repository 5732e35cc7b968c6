#!/bin/sh
# Lints the man pages with mandoc: any warning or error fails.  Style messages
# are not counted: they depend on which other manuals are installed on the
# machine (e.g. "referenced manual not found").  Then checks that stdtax(1)
# documents every command of the CLI's table (src/cli/stdtax.c).  TAP output.
srcdir=${STDTAX_SRCDIR:-$(dirname "$0")/..}
pages="doc/stdtaxd.8 doc/stdtax.1"
commands=$(sed -n 's/^[[:space:]]*{"\([a-z-]*\)", cmd_.*/\1/p' "$srcdir/src/cli/stdtax.c")
# Commands the page defines: ".It Ic NAME ..." or ".Ic NAME" right after ".It Xo".
documented=$(awk '/^\.It Ic / { print $3 } prev == ".It Xo" && /^\.Ic / { print $2 } { prev = $0 }' \
    "$srcdir/doc/stdtax.1" | sort -u)
n=0
if command -v mandoc >/dev/null 2>&1; then
    for p in $pages; do
        n=$((n + 1))
        if out=$(mandoc -T lint -W warning "$srcdir/$p" 2>&1) && [ -z "$out" ]; then
            echo "ok $n - mandoc -T lint $p"
        else
            echo "not ok $n - mandoc -T lint $p"
            printf '%s\n' "$out" | sed 's/^/# /'
        fi
    done
else
    for p in $pages; do
        n=$((n + 1))
        echo "ok $n - mandoc -T lint $p # SKIP mandoc is not installed"
    done
fi
n=$((n + 1))
if [ -n "$commands" ]; then
    echo "ok $n - $(printf '%s\n' "$commands" | wc -l) commands in src/cli/stdtax.c"
else
    echo "not ok $n - no command found in src/cli/stdtax.c"
fi
for c in $commands; do
    n=$((n + 1))
    if printf '%s\n' "$documented" | grep -qx -- "$c"; then
        echo "ok $n - stdtax(1) documents '$c'"
    else
        echo "not ok $n - stdtax(1) documents '$c'"
    fi
done
echo "1..$n"
