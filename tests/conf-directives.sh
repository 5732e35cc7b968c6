#!/bin/sh
# Every directive of the daemon's table (src/daemon/settings.c) is documented in
# stdtaxd(8) and shown, commented out, in the installed etc/stdtaxd.conf;
# and neither names a directive the daemon does not know.  TAP output.
srcdir=${STDTAX_SRCDIR:-$(dirname "$0")/..}
table=$(sed -n 's/^[[:space:]]*{"\([a-z-]*\)", CFG_T_.*/\1/p' "$srcdir/src/daemon/settings.c")
conf=$(sed -n 's/^#\([a-z][a-z-]*\) .*/\1/p' "$srcdir/etc/stdtaxd.conf" | sort -u)
man=$(sed -n 's/^\.It Ic \([a-z][a-z-]*\).*/\1/p' "$srcdir/doc/stdtaxd.8" | sort -u)
n=0
check() { # check DESCRIPTION CONDITION...
    n=$((n + 1))
    desc=$1
    shift
    if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi
}
has() { printf '%s\n' "$2" | grep -qx -- "$1"; }
if [ -z "$table" ]; then
    echo "1..1"
    echo "not ok 1 - no directive found in src/daemon/settings.c"
    exit 0
fi
for d in $table; do
    # threads is a synonym of workers: documented with it, not on its own line.
    [ "$d" = threads ] && continue
    check "etc/stdtaxd.conf shows '$d'" has "$d" "$conf"
    check "stdtaxd(8) documents '$d'" has "$d" "$man"
done
for d in $conf; do
    check "etc/stdtaxd.conf: '$d' is a directive" has "$d" "$table"
done
for d in $man; do
    check "stdtaxd(8): '$d' is a directive" has "$d" "$table"
done
echo "1..$n"
