#!/bin/sh
# TAP: `stdtax eval --cv K --extra F` trains every fold on F as well, leaves out the lines of
# F that are an evaluated standard (same title or number), and `stdtax train A B` learns
# from both; reference examples (--reference, by default the shipped file) are left out
# the same way, and --no-reference does without them.
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
dir="${STDTAX_SRCDIR:-.}/taxonomy"
tax="$dir/shanghai-ai-2023.json"
data="$dir/train/labelled-2023.jsonl"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
field() { sed -n "s/^  \"$1\": \([0-9.]*\),*$/\1/p" "$2"; }  # top level only (two spaces)

echo "1..12"
"$stdtax" eval --taxonomy "$tax" --json --cv 5 "$data" > "$tmp/plain"
"$stdtax" eval --taxonomy "$tax" --json --cv 5 --extra "$data" "$data" > "$tmp/self"
# Every line of the file is an evaluated standard, so none may train a fold.
if [ "$(field extra_used "$tmp/self")" = 0 ] && [ "$(field extra_left_out "$tmp/self")" = 123 ] &&
   [ "$(field top1_accuracy "$tmp/self")" = "$(field top1_accuracy "$tmp/plain")" ]; then
    echo "ok 1 - the evaluated standards themselves are left out of the extra examples"
else echo "not ok 1 - the evaluated standards themselves are left out"; fi

# The same standard under full-width spacing is still the same title, and its number
# without the year still the same number; part 20 of the series is another standard.
head -1 "$data" | sed -e 's/"title": "信息技术 /"title": "信息技术　/' \
    -e 's/"code": "[^"]*", //' > "$tmp/extra.jsonl"
cat >> "$tmp/extra.jsonl" <<'LINES'
{"title": "人工智能 芯片 第9部分：测试用例", "category": "基础软硬件", "subcategory": "智能芯片"}
{"title": "Edge AI accelerator interface", "category": "infra", "subcategory": "infra.chips"}
{"code": "GB/T 36464.2", "title": "智能语音 第2部分", "category": "domain", "subcategory": "domain.speech"}
{"code": "GB/T 36464.20-2030", "title": "智能语音 第20部分", "category": "domain", "subcategory": "domain.speech"}
LINES
"$stdtax" eval --taxonomy "$tax" --json --cv 5 --extra "$tmp/extra.jsonl" "$data" > "$tmp/x"
if [ "$(field extra_used "$tmp/x")" = 3 ] && [ "$(field extra_left_out "$tmp/x")" = 2 ]; then
    echo "ok 2 - new standards train every fold, evaluated ones (title or number) do not"
else echo "not ok 2 - extra counts"; sed 's/^/# /' "$tmp/x"; fi

"$stdtax" eval --taxonomy "$tax" --extra "$tmp/extra.jsonl" "$data" > /dev/null 2>&1
if [ $? -eq 2 ]; then echo "ok 3 - --extra without --cv is a usage error"
else echo "not ok 3 - --extra without --cv is a usage error"; fi

"$stdtax" train --taxonomy "$tax" --no-reference --out "$tmp/one.json" "$data" 2> /dev/null
"$stdtax" train --taxonomy "$tax" --no-reference --out "$tmp/two.json" "$data" \
    "$tmp/extra.jsonl" 2> "$tmp/err"
if grep -q '"file":"labelled-2023.jsonl+extra.jsonl"' "$tmp/two.json" &&
   grep -q 'from 127 examples .*1 labelled lines replaced' "$tmp/err" && ! cmp -s "$tmp/one.json" "$tmp/two.json"; then
    echo "ok 4 - train learns from several files and records them"
else echo "not ok 4 - train learns from several files"; sed 's/^/# /' "$tmp/err"; fi

echo '{"title": "x", "category": "no-such-category"}' > "$tmp/bad.jsonl"
"$stdtax" train --taxonomy "$tax" --out "$tmp/bad.json" "$data" "$tmp/bad.jsonl" \
    > /dev/null 2> "$tmp/err"
if [ $? -eq 1 ] && grep -q 'bad.jsonl:1' "$tmp/err" && [ ! -e "$tmp/bad.json" ]; then
    echo "ok 5 - a bad line in the second file names that file and line"
else echo "not ok 5 - a bad second file"; sed 's/^/# /' "$tmp/err"; fi

# Reference examples: by default the shipped file, in every fold; none that is the
# standard of an evaluated line.
"$stdtax" eval --taxonomy "$tax" --json --cv 5 "$data" > "$tmp/ref"
"$stdtax" eval --taxonomy "$tax" --json --cv 5 --reference "$dir/reference-2023.jsonl" \
    "$data" > "$tmp/ref-explicit"
"$stdtax" eval --taxonomy "$tax" --json --cv 5 --no-reference "$data" > "$tmp/noref"
used=$(field reference_used "$tmp/ref")
if [ -n "$used" ] && [ "$used" -gt 0 ] && [ "$(field reference_left_out "$tmp/ref")" -gt 0 ] &&
   cmp -s "$tmp/ref" "$tmp/ref-explicit" && ! grep -q reference_used "$tmp/noref" &&
   ! cmp -s "$tmp/ref" "$tmp/noref"; then
    echo "ok 6 - eval --cv trains every fold on the shipped reference examples, not with --no-reference"
else echo "not ok 6 - eval --cv and the reference examples"; sed 's/^/# /' "$tmp/ref"; fi

# A reference line for a standard the labelled file has (here its first line, under
# another label) is left out of training: the framework's own label is the one to learn.
head -1 "$data" | sed 's/"category": "[^"]*", "subcategory": "[^"]*"/"category": "infra", "subcategory": "infra.chips"/' \
    > "$tmp/ref.jsonl"
echo '{"title": "边缘人工智能加速卡 技术要求", "category": "infra", "subcategory": "infra.chips"}' \
    >> "$tmp/ref.jsonl"
"$stdtax" train --taxonomy "$tax" --reference "$tmp/ref.jsonl" --out "$tmp/r.json" "$data" \
    2> "$tmp/err"
if grep -q 'from 124 examples (1 of them reference examples, 1 more left out' "$tmp/err" &&
   grep -q '"file":"labelled-2023.jsonl+reference:ref.jsonl"' "$tmp/r.json"; then
    echo "ok 7 - train leaves out a reference line for a labelled standard and records the file"
else echo "not ok 7 - train with a reference file"; sed 's/^/# /' "$tmp/err"; fi

"$stdtax" eval --taxonomy "$tax" --reference "$tmp/ref.jsonl" "$data" > /dev/null 2>&1
if [ $? -eq 2 ]; then echo "ok 8 - --reference without --cv is a usage error"
else echo "not ok 8 - --reference without --cv is a usage error"; fi

# The shipped model is trained with the shipped reference examples, so a plain
# `stdtax train` (default reference) differs from one without.
"$stdtax" train --taxonomy "$tax" --out "$tmp/default.json" "$data" 2> /dev/null
if [ -s "$tmp/default.json" ] && [ -s "$tmp/one.json" ] &&
   ! cmp -s "$tmp/default.json" "$tmp/one.json" &&
   grep -q '"file":"labelled-2023.jsonl+reference:reference-2023.jsonl"' "$tmp/default.json"; then
    echo "ok 9 - train uses the shipped reference examples by default"
else echo "not ok 9 - train uses the shipped reference examples by default"; fi

# Empty files are no examples, not an error.
: > "$tmp/empty.jsonl"
if "$stdtax" train --taxonomy "$tax" --no-reference --out "$tmp/e.json" "$data" \
       "$tmp/empty.jsonl" 2> "$tmp/err" && grep -q 'from 123 examples' "$tmp/err" &&
   "$stdtax" eval --taxonomy "$tax" --json --cv 5 --extra "$tmp/empty.jsonl" \
       --reference "$tmp/empty.jsonl" "$data" > "$tmp/e" 2>&1 &&
   [ "$(field extra_used "$tmp/e")" = 0 ] && [ "$(field reference_used "$tmp/e")" = 0 ]; then
    echo "ok 10 - empty extra, reference and labelled files train and evaluate"
else echo "not ok 10 - empty files"; sed 's/^/# /' "$tmp/err" "$tmp/e"; fi

# A correction for a shipped example replaces it: the later file wins.
head -1 "$data" | sed 's/"category": "[^"]*", "subcategory": "[^"]*"/"category": "industry", "subcategory": "industry.home"/' \
    > "$tmp/corrections.jsonl"
"$stdtax" train --taxonomy "$tax" --no-reference --out "$tmp/c.json" "$data" \
    "$tmp/corrections.jsonl" 2> "$tmp/err"
# The same model as from the shipped file without that line, plus the correction
# (all but the record of the training files).
mkdir -p "$tmp/without"
tail -n +2 "$data" > "$tmp/without/labelled-2023.jsonl"
"$stdtax" train --taxonomy "$tax" --no-reference --out "$tmp/c2.json" \
    "$tmp/without/labelled-2023.jsonl" "$tmp/corrections.jsonl" 2> /dev/null
same_model() {
    python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
for m in (a, b):
    m.pop("training", None)
    m.pop("model_version", None)
sys.exit(0 if a == b else 1)
PY
}
if grep -q 'from 123 examples .*1 labelled lines replaced by a later file' "$tmp/err" &&
   same_model "$tmp/c.json" "$tmp/c2.json"; then
    echo "ok 11 - a later file's line replaces the earlier line for the same standard"
else echo "not ok 11 - a later file wins"; sed 's/^/# /' "$tmp/err"; fi

"$stdtax" train --taxonomy "$tax" --reference "$tmp/ref.jsonl" --no-reference \
    --out "$tmp/x.json" "$data" > /dev/null 2>&1
if [ $? -eq 2 ] && [ ! -e "$tmp/x.json" ]; then
    echo "ok 12 - --reference with --no-reference is a usage error"
else echo "not ok 12 - --reference with --no-reference is a usage error"; fi
