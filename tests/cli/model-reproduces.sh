#!/bin/sh
# TAP: the shipped model is exactly what `stdtax train` makes from the shipped training
# data and reference examples (training is deterministic), and it loads against the shipped taxonomy.
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
dir="${STDTAX_SRCDIR:-.}/taxonomy"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..2"
if "$stdtax" train --taxonomy "$dir/shanghai-ai-2023.json" --out "$tmp/model.json" \
        --reference "$dir/reference-2023.jsonl" "$dir/train/labelled-2023.jsonl" \
        2> "$tmp/err" &&
   cmp -s "$tmp/model.json" "$dir/model-2023.json"; then
    echo "ok 1 - taxonomy/model-2023.json reproduces from the labelled and reference examples"
else
    echo "not ok 1 - taxonomy/model-2023.json reproduces (run 'make model' and commit)"
    sed 's/^/# /' "$tmp/err"
fi
if "$stdtax" classify --taxonomy "$dir/shanghai-ai-2023.json" --model "$dir/model-2023.json" \
        --json --title "人工智能芯片技术要求" > "$tmp/out" 2>&1 &&
   grep -q '"model_version": "nb1-' "$tmp/out"; then
    echo "ok 2 - shipped model loads and classifies"
else
    echo "not ok 2 - shipped model loads and classifies"; sed 's/^/# /' "$tmp/out"
fi
