#!/bin/bash
# Builds the libFuzzer targets with clang (whatever CC configure chose) and runs each
# for FUZZ_SECONDS, FUZZ_JOBS at a time.  Called by `make fuzz` / `make fuzz-build`:
#   tests/fuzz/fuzz.sh build|run [TARGET...]
# Environment: SRCDIR, BUILDDIR, FUZZ_LIB_SOURCES (library sources, relative to
# SRCDIR), FUZZ_CC (clang), FUZZ_SECONDS (30), FUZZ_JOBS (number of CPUs),
# FUZZ_FLAGS (more libFuzzer flags).  Seeds: SRCDIR/tests/fuzz/corpus/TARGET (read
# only); what the fuzzer finds goes to BUILDDIR/tests/fuzz/work/TARGET, crashes to
# BUILDDIR/tests/fuzz/crashes/.  Exit status 1 when any target crashed.
set -eu
mode=${1:?usage: fuzz.sh build|run [TARGET...]}
shift
SRCDIR=$(cd "${SRCDIR:-.}" && pwd)
BUILDDIR=$(cd "${BUILDDIR:-.}" && pwd)
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
targets=${*:-config request proposal classify taxonomy csv store similar model jsonw framing}
out=$BUILDDIR/tests/fuzz
obj=$out/obj
mkdir -p "$obj" "$out/work" "$out/crashes"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    echo "fuzz.sh: $FUZZ_CC not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi

pc=$(pkg-config --cflags jansson lmdb nettle libevent libevent_pthreads)
libs="$(pkg-config --libs jansson lmdb nettle libevent libevent_pthreads) -lm -lpthread"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE $san
 -I$SRCDIR/include -I$SRCDIR/src/daemon -I$SRCDIR/src/lib -I$BUILDDIR
 -DSTDTAX_SRCDIR=\"$SRCDIR\" -DSTDTAX_BUILDDIR=\"$BUILDDIR\"
 -DSTDTAX_PKGDATADIR=\"$SRCDIR\" -DSTDTAX_SYSCONFDIR=\"/etc\"
 -DSTDTAX_LOCALSTATEDIR=\"/var\" $pc"
export FUZZ_CC cflags obj SRCDIR

# --- build: the library sources once into an archive, then one binary per target --
newest_header=$(find "$SRCDIR/include" "$SRCDIR/src" -name '*.h' -newer "$obj/.stamp" \
    2>/dev/null | head -n 1 || true)
[ -f "$obj/.stamp" ] || newest_header=all
objs=""
stale=""
for s in ${FUZZ_LIB_SOURCES:?FUZZ_LIB_SOURCES is not set}; do
    case $s in *.c) ;; *) continue ;; esac
    o=$obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
    objs="$objs $o"
    if [ -n "$newest_header" ] || [ ! -f "$o" ] || [ "$SRCDIR/$s" -nt "$o" ]; then
        stale="$stale $s"
    fi
done
if [ -n "$stale" ]; then
    echo "fuzz.sh: compiling$stale" | fold -s -w 100
    # shellcheck disable=SC2086
    printf '%s\n' $stale | xargs -P "$FUZZ_JOBS" -I{} sh -c \
        'o=$obj/$(echo {} | tr / _ | sed "s/\.c\$/.o/");
         $FUZZ_CC $cflags -fsanitize=fuzzer-no-link -c "$SRCDIR/{}" -o "$o"'
    rm -f "$obj/libfuzz.a"
    touch "$obj/.stamp"
fi
if [ ! -f "$obj/libfuzz.a" ]; then
    # shellcheck disable=SC2086
    ar cr "$obj/libfuzz.a" $objs
fi
for t in $targets; do
    src=$SRCDIR/tests/fuzz/fuzz_$t.c
    bin=$out/fuzz_$t
    if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ] || [ "$obj/libfuzz.a" -nt "$bin" ]; then
        echo "fuzz.sh: linking $bin"
        # shellcheck disable=SC2086
        $FUZZ_CC $cflags -fsanitize=fuzzer "$src" "$obj/libfuzz.a" $libs -o "$bin"
    fi
done
[ "$mode" = build ] && exit 0

# --- run ---------------------------------------------------------------------------
run_one() {
    t=$1
    mkdir -p "$out/work/$t"
    seeds=$SRCDIR/tests/fuzz/corpus/$t
    [ -d "$seeds" ] || seeds=
    # shellcheck disable=SC2086
    "$out/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$out/crashes/$t-" \
        ${FUZZ_FLAGS:-} "$out/work/$t" $seeds >"$out/$t.log" 2>&1 && rc=0 || rc=$?
    echo "$rc" >"$out/$t.rc"
}
echo "fuzz.sh: running $targets for ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time"
running=0
rm -f "$out"/*.rc
for t in $targets; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n 2>/dev/null || wait
        running=$((running - 1))
    fi
done
wait

failed=0
printf '%-10s %8s %12s %9s %8s  %s\n' target seconds executions exec/s corpus result
for t in $targets; do
    log=$out/$t.log
    rc=$(cat "$out/$t.rc" 2>/dev/null || echo missing)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^stat::.*_time: *//p;s/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' \
        "$log" | tail -n 1)
    corpus=$(find "$out/work/$t" -type f | wc -l)
    if [ "$rc" = 0 ]; then result=ok; else result="CRASH (exit $rc)"; failed=1; fi
    rate=0
    [ -n "${secs:-}" ] && [ "${secs:-0}" -gt 0 ] && rate=$(( ${execs:-0} / secs ))
    printf '%-10s %8s %12s %9s %8s  %s\n' "$t" "${secs:-?}" "${execs:-?}" "$rate" \
        "$corpus" "$result"
done
if [ "$failed" = 1 ]; then
    for t in $targets; do
        [ "$(cat "$out/$t.rc" 2>/dev/null)" = 0 ] && continue
        echo "--- $t: $out/$t.log (tail)"
        tail -n 60 "$out/$t.log"
    done
    ls -l "$out/crashes"
    exit 1
fi
