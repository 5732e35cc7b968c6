#!/bin/sh
# TAP: `stdtax taxonomy validate` accepts the shipped taxonomy and names every problem of
# a broken copy by its JSON pointer, exiting 1.
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
shipped="${STDTAX_SRCDIR:-.}/taxonomy/shanghai-ai-2023.json"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..4"
if out=$("$stdtax" taxonomy validate "$shipped"); then
    echo "ok 1 - shipped taxonomy validates: $out"
else
    echo "not ok 1 - shipped taxonomy validates"
    echo "$out" | sed 's/^/# /'
fi

sed -e 's/"format": *1/"format": 2/' -e 's/"parent": *"infra"/"parent": "no-such-node"/' \
    "$shipped" > "$tmp/broken.json"
"$stdtax" taxonomy validate "$tmp/broken.json" > "$tmp/out"
rc=$?
if [ "$rc" -eq 1 ]; then echo "ok 2 - broken copy exits 1"; else echo "not ok 2 - broken copy exits 1 (got $rc)"; fi
if grep -q "^$tmp/broken.json: /format: " "$tmp/out"; then
    echo "ok 3 - /format named"
else
    echo "not ok 3 - /format named"; sed 's/^/# /' "$tmp/out"
fi
if grep -q "^$tmp/broken.json: /nodes/[0-9]*/parent: " "$tmp/out"; then
    echo "ok 4 - /nodes/N/parent named"
else
    echo "not ok 4 - /nodes/N/parent named"; sed 's/^/# /' "$tmp/out"
fi
