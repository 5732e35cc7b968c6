#!/bin/sh
# TAP: `stdtax taxonomy validate` accepts the shipped taxonomy and names every problem of
# a broken copy by its JSON pointer, exiting 1; a label of 1 MB and a call without tracks
# are refused (issue 18).
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
shipped="${STDTAX_SRCDIR:-.}/taxonomy/shanghai-ai-2023.json"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..6"
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

python3 - "$shipped" "$tmp" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["nodes"][0]["labels"]["zh"] = "长" * 350000
json.dump(doc, open(sys.argv[2] + "/label.json", "w", encoding="utf-8"), ensure_ascii=False)
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc["calls"][0]["tracks"] = []
json.dump(doc, open(sys.argv[2] + "/notracks.json", "w", encoding="utf-8"), ensure_ascii=False)
EOF
n=5
for case in "label:/nodes/0/labels/zh: longer than" "notracks:/calls/0/tracks: "; do
    file=${case%%:*}
    want=${case#*:}
    "$stdtax" taxonomy validate "$tmp/$file.json" > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "^$tmp/$file.json: $want" "$tmp/out"; then
        echo "ok $n - $file refused at ${want%%:*}"
    else
        echo "not ok $n - $file refused at ${want%%:*} (exit $rc)"; sed 's/^/# /' "$tmp/out" | head -5
    fi
    n=$((n + 1))
done
