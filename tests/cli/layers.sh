#!/bin/sh
# TAP: the command line and the daemon reach the store only through the service (issue
# 13): no object of stdtax or stdtaxd calls a store_ or catalogue function of the store,
# and the service hands out no store (svc_store is gone).  Read from the built objects,
# so a call through a macro counts too.
build="${STDTAX_BUILDDIR:-.}"
src="${STDTAX_SRCDIR:-.}"
echo "1..3"
n=0
for part in cli daemon; do
    n=$((n + 1))
    if [ "$part" = cli ]; then
        objects=$(ls "$build"/src/cli/*.o 2>/dev/null)
    else
        objects=$(ls "$build"/src/daemon/*.a "$build"/src/daemon/*.o 2>/dev/null)
    fi
    if [ -z "$objects" ]; then
        echo "not ok $n - the $part's objects are built"
        continue
    fi
    # shellcheck disable=SC2086 # one word per object
    calls=$(nm -u $objects 2>/dev/null |
        awk '$1 == "U" && $2 ~ /^(store_|svc_store$)/ { print $2 }' | sort -u)
    if [ -z "$calls" ]; then
        echo "ok $n - the $part calls no store function"
    else
        echo "not ok $n - the $part calls the store directly:"
        printf '%s\n' "$calls" | sed 's/^/#   /'
    fi
done
n=$((n + 1))
if grep -rn 'svc_store *(' "$src/include" "$src/src" >/dev/null; then
    echo "not ok $n - svc_store() is declared or called:"
    grep -rn 'svc_store *(' "$src/include" "$src/src" | sed 's/^/#   /'
else
    echo "ok $n - no svc_store()"
fi
