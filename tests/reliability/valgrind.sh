#!/bin/sh
# The whole API test suite (tests/api/test_*.py) with every stdtaxd it starts running
# under valgrind memcheck: any memory error or definite/indirect leak makes the
# daemon exit 99 (so the test that stopped it fails) and is counted here from the
# per-process logs.  Processes killed on purpose (SIGKILL) leave no summary.
#   tests/reliability/valgrind.sh            (from the build directory)
# Exit 0 when every test passed and no log reports an error or a leak.
set -u
SRCDIR=${STDTAX_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STDTAX_BUILDDIR:-$(pwd)}
export STDTAX_SRCDIR=$SRCDIR STDTAX_BUILDDIR=$BUILDDIR
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/stdtax-valgrind.XXXXXX")
STDTAXD_WRAPPER="valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$logs/vg.%p.log"
export STDTAXD_WRAPPER
start=$(date +%s)
failed=0
tests=0
for t in "$SRCDIR"/tests/api/test_*.py; do
    out=$(python3 "$t" 2>&1)
    rc=$?
    n_ok=$(printf '%s\n' "$out" | grep -c '^ok')
    n_bad=$(printf '%s\n' "$out" | grep -c '^not ok')
    tests=$((tests + n_ok + n_bad))
    printf '%-28s %3d ok %3d not ok\n' "$(basename "$t")" "$n_ok" "$n_bad"
    if [ "$rc" -ne 0 ] || [ "$n_bad" -ne 0 ]; then
        failed=1
        printf '%s\n' "$out" | grep -A 30 '^not ok' | head -n 60
    fi
done
# --quiet logs only errors and leaks: an empty log is a clean process.
procs=$(find "$logs" -name 'vg.*.log' | wc -l)
dirty=$(find "$logs" -name 'vg.*.log' -size +0 | wc -l)
echo "figure valgrind.api_tests $tests"
echo "figure valgrind.daemon_processes $procs"
echo "figure valgrind.processes_with_errors_or_leaks $dirty"
echo "figure valgrind.seconds $(($(date +%s) - start))"
if [ "$dirty" -ne 0 ]; then
    failed=1
    for f in $(find "$logs" -name 'vg.*.log' -size +0 | head -n 5); do
        echo "--- $f"
        head -n 80 "$f"
    done
fi
[ -n "${STDTAX_KEEP_TMP:-}" ] || rm -rf "$logs"
if [ "$failed" -ne 0 ]; then
    echo "valgrind: FAIL"
    exit 1
fi
echo "valgrind: ok"
