#!/bin/sh
# The defaults shown, commented out, in etc/stdtaxd.conf are the daemon's real
# defaults: the file with every such line uncommented gives the same settings
# (stdtaxd --check-config) as no file at all.  Paths are left out here because
# their defaults depend on where the binary runs; tests/pkg/ci-package.sh
# checks them on the installed package.  TAP output.
srcdir=${STDTAX_SRCDIR:-$(dirname "$0")/..}
builddir=${STDTAX_BUILDDIR:-.}
daemon=$builddir/src/daemon/stdtaxd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..3"
sed -n 's/^#\([a-z][a-z-]*\) /\1 /p' "$srcdir/etc/stdtaxd.conf" |
    grep -Ev '^(data-dir|taxonomy|model|openapi|web-root|backup-dir|port-file|token|cors-origin) ' \
        >"$tmp/defaults.conf"
: >"$tmp/empty.conf"
if [ "$(wc -l <"$tmp/defaults.conf")" -ge 10 ]; then
    echo "ok 1 - $(wc -l <"$tmp/defaults.conf") default lines in etc/stdtaxd.conf"
else
    echo "not ok 1 - too few default lines in etc/stdtaxd.conf"
fi
if "$daemon" --config "$tmp/defaults.conf" --check-config >"$tmp/file.out" 2>&1 &&
    "$daemon" --config "$tmp/empty.conf" --check-config >"$tmp/none.out" 2>&1; then
    echo "ok 2 - stdtaxd --check-config accepts the uncommented defaults"
else
    echo "not ok 2 - stdtaxd --check-config accepts the uncommented defaults"
    sed 's/^/# /' "$tmp/file.out" "$tmp/none.out"
fi
if diff -u "$tmp/none.out" "$tmp/file.out" | grep -v '^[-+]# ' | grep -q '^[-+][^-+]'; then
    echo "not ok 3 - the commented values are the defaults"
    diff -u "$tmp/none.out" "$tmp/file.out" | sed 's/^/# /'
else
    echo "ok 3 - the commented values are the defaults"
fi
