#!/usr/bin/env bash
# CI: build the Debian package, lint it, install it, run the installed daemon
# as the stdtaxd user against the smoke test, stop it, and purge the package.
# Run as root on a Debian 12 machine from a git checkout; about 3 minutes.
#
#   tests/pkg/ci-package.sh [OUTDIR]
#
# The package is built from a copy of the checkout's files (tracked and
# untracked, not ignored) in OUTDIR (default: a fresh temporary directory),
# so an in-tree ./configure is neither used nor disturbed.  Any stdtaxd
# package already installed is purged at the end.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d /tmp/stdtaxd-pkg.XXXXXX)}
port=${STDTAXD_CI_PORT:-18089}
conf=/etc/stdtaxd/stdtaxd.conf
log=$out/stdtaxd.log
pid=""

step() { printf '\n=== %s\n' "$*"; }
fail() { printf 'ci-package: FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs packages)"
export DEBIAN_FRONTEND=noninteractive

step "build dependencies"
apt-get install -y -qq --no-install-recommends dpkg-dev debhelper lintian curl python3 git >/dev/null
# The Build-Depends of debian/control, read by apt itself.
apt-get build-dep -y -qq "$top" >/dev/null

step "copy the source into $out/src"
mkdir -p "$out/src"
# Tracked files deleted in the worktree (a make clean of a committed build
# product) are skipped.
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$out/src"

step "dpkg-buildpackage -us -uc -b"
(cd "$out/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1 ||
    { tail -n 80 "$out/build.log"; fail "dpkg-buildpackage (log: $out/build.log)"; }
grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP|# )' "$out/build.log" | tail -n 12 || true
changes=$(ls "$out"/stdtaxd_*.changes)
deb=$(ls "$out"/stdtaxd_*.deb)
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"

step "lintian (errors fail the build)"
lintian --info --display-info --fail-on error "$changes"

step "apt-get install $deb"
apt-get install -y -qq "$deb"
getent passwd stdtaxd >/dev/null || fail "no stdtaxd user after install"
[ "$(stat -c %U:%a /var/lib/stdtaxd)" = "stdtaxd:750" ] || fail "/var/lib/stdtaxd owner/mode"
[ "$(stat -c %U:%G:%a $conf)" = "root:stdtaxd:640" ] || fail "$conf owner/mode"
if grep -Eq '^[[:space:]]*token[[:space:]]' "$conf"; then fail "$conf ships a token"; fi
for f in /usr/sbin/stdtaxd /usr/bin/stdtax /lib/systemd/system/stdtaxd.service \
         /usr/share/man/man8/stdtaxd.8.gz /usr/share/man/man1/stdtax.1.gz \
         /usr/share/stdtaxd/openapi.json /usr/share/stdtaxd/web/index.html; do
    [ -e "$f" ] || fail "$f is not installed"
done
# The commented values of the installed config are the installed defaults,
# paths included: uncommented, the file gives the settings of no file at all.
# backup-dir has no default (the backup route answers 409 without it): its commented
# value is where the package's backup timer writes.
sed -n 's/^#\([a-z][a-z-]*\) /\1 /p' "$conf" |
    grep -Ev '^(token|cors-origin|port-file|backup-dir) ' >"$out/defaults.conf"
: >"$out/empty.conf"
/usr/sbin/stdtaxd --config "$out/empty.conf" --check-config | grep -v '^#' >"$out/none.out"
/usr/sbin/stdtaxd --config "$out/defaults.conf" --check-config | grep -v '^#' >"$out/file.out"
diff -u "$out/none.out" "$out/file.out" || fail "$conf does not show the installed defaults"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/stdtaxd.service
    systemd-analyze security --offline=yes /lib/systemd/system/stdtaxd.service | tail -n 1
fi

step "start the installed daemon as stdtaxd on 127.0.0.1:$port"
# An administrator's edit of the conffile: a token for the smoke test.
# (Purge must remove the edited file too.)
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '\n# added by ci-package.sh\ntoken ci admin %s\n' "$token" >>"$conf"
# setpriv execs the daemon, so $! is the daemon itself and gets our SIGTERM.
(cd /var/lib/stdtaxd &&
    exec setpriv --reuid=stdtaxd --regid=stdtaxd --init-groups --no-new-privs \
        /usr/sbin/stdtaxd --config "$conf" --listen 127.0.0.1 --port "$port") \
    >"$log" 2>&1 &
pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "stdtaxd exited at start-up"; }
    sleep 0.1
done
[ "$(ps -o user= -p "$pid")" = stdtaxd ] || fail "daemon does not run as stdtaxd"

step "smoke test"
"$top/tests/pkg/smoke.sh" "$base" "$token" || { cat "$log"; fail "smoke test"; }
[ -n "$(ls -A /var/lib/stdtaxd)" ] || fail "nothing stored in /var/lib/stdtaxd"

step "SIGTERM: expect exit 0"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
cat "$log"
[ "$rc" -eq 0 ] || fail "stdtaxd exited $rc after SIGTERM"

step "apt-get purge stdtaxd"
apt-get purge -y -qq stdtaxd
if getent passwd stdtaxd >/dev/null; then fail "user stdtaxd left after purge"; fi
if getent group stdtaxd >/dev/null; then fail "group stdtaxd left after purge"; fi
for d in /var/lib/stdtaxd /etc/stdtaxd /usr/share/stdtaxd; do
    [ ! -e "$d" ] || fail "$d left after purge"
done
if dpkg-statoverride --list /etc/stdtaxd/stdtaxd.conf >/dev/null; then
    fail "statoverride left after purge"
fi
echo "ci-package: OK ($deb)"
