#!/bin/sh
# TAP: the accuracy targets hold, measured the way the issue names them:
# `stdtax eval --cv 5 --json` on the labelled proposals, top level >= 0.85 and
# subcategory >= 0.65 (tests/bench/RESULTS.md has the figures and how they were reached).
# A change that loses them fails here, not months later in a report.
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
dir="${STDTAX_SRCDIR:-.}/taxonomy"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
field() { sed -n "s/^  \"$1\": \([0-9.]*\),*$/\1/p" "$2"; }  # top level only (two spaces)
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }

echo "1..2"
"$stdtax" eval --taxonomy "$dir/shanghai-ai-2023.json" --json --cv 5 \
    "$dir/train/labelled-2023.jsonl" > "$tmp/cv5" 2>&1
top1=$(field top1_accuracy "$tmp/cv5")
sub=$(field sub_accuracy "$tmp/cv5")
if at_least "$top1" 0.85; then echo "ok 1 - 5-fold top-level accuracy $top1 >= 0.85"
else echo "not ok 1 - 5-fold top-level accuracy '$top1' >= 0.85"; sed 's/^/# /' "$tmp/cv5"; fi
if at_least "$sub" 0.65; then echo "ok 2 - 5-fold subcategory accuracy $sub >= 0.65"
else echo "not ok 2 - 5-fold subcategory accuracy '$sub' >= 0.65"; fi
