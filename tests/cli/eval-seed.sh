#!/bin/sh
# TAP: `stdtax eval --seed` gives other folds for another seed, the same figures for the
# same seed, seed 0 is the plain i mod K split, and a bad seed is a usage error.
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
dir="${STDTAX_SRCDIR:-.}/taxonomy"
data="$dir/train/labelled-2023.jsonl"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ev() { "$stdtax" eval --taxonomy "$dir/shanghai-ai-2023.json" --json --cv 5 \
    --show-errors "$@" "$data" 2>&1; }

echo "1..4"
ev > "$tmp/plain"; ev --seed 0 > "$tmp/s0"
ev --seed 7 > "$tmp/s7a"; ev --seed 7 > "$tmp/s7b"; ev --seed 8 > "$tmp/s8"
if cmp -s "$tmp/plain" "$tmp/s0"; then echo "ok 1 - seed 0 is the i mod K split"
else echo "not ok 1 - seed 0 is the i mod K split"; fi
if cmp -s "$tmp/s7a" "$tmp/s7b" && grep -q top1_accuracy "$tmp/s7a"; then
    echo "ok 2 - the same seed gives the same result"
else echo "not ok 2 - the same seed gives the same result"; fi
# The errors listed (one line per misclassified example) differ with the folds.
if ! cmp -s "$tmp/s7a" "$tmp/s8" && ! cmp -s "$tmp/s7a" "$tmp/s0"; then
    echo "ok 3 - another seed gives other folds"
else echo "not ok 3 - another seed gives other folds"; fi
"$stdtax" eval --cv 5 --seed x "$data" > /dev/null 2>&1
if [ $? -eq 2 ]; then echo "ok 4 - a bad seed is a usage error"
else echo "not ok 4 - a bad seed is a usage error"; fi
