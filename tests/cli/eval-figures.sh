#!/bin/sh
# TAP: `stdtax eval --json` reports what issue 17 asks for beside accuracy: top2_accuracy,
# calibration_error (expected calibration error), coverage_at_95 and per_language (zh and
# en apart, adding up to the whole); and `stdtax eval FILE` without folds warns when the
# model was trained from FILE (the figures would score the training data).
stdtax="${STDTAX_BUILDDIR:-.}/src/cli/stdtax"
src="${STDTAX_SRCDIR:-.}"
tax="$src/taxonomy/shanghai-ai-2023.json"
data="$src/taxonomy/train/labelled-2023.jsonl"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..4"
"$stdtax" eval --taxonomy "$tax" --json --cv 5 "$data" > "$tmp/cv5" 2> "$tmp/err"
if python3 - "$tmp/cv5" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["top1_accuracy"] <= r["top2_accuracy"] <= 1, r
assert 0 <= r["calibration_error"] <= 1 and 0 <= r["coverage_at_95"] <= 1, r
zh, en = r["per_language"]["zh"], r["per_language"]["en"]
assert zh["n"] > 0 and en["n"] > 0 and zh["n"] + en["n"] == r["n"], r["per_language"]
# the whole is the two languages together
top1 = (zh["top1_accuracy"] * zh["n"] + en["top1_accuracy"] * en["n"]) / r["n"]
assert abs(top1 - r["top1_accuracy"]) < 1e-5, (top1, r["top1_accuracy"])
for lang in (zh, en):
    for k in ("top2_accuracy", "calibration_error", "coverage_at_95", "macro_f1"):
        assert 0 <= lang[k] <= 1, (k, lang)
PY
then echo "ok 1 - --json has top2_accuracy, calibration_error, coverage_at_95, per_language"
else echo "not ok 1 - --json figures"; sed 's/^/# /' "$tmp/cv5" | head -40; fi

if grep -q "score the training data" "$tmp/err"; then
    echo "not ok 2 - cross-validation does not warn"
else echo "ok 2 - cross-validation does not warn"; fi

"$stdtax" eval --taxonomy "$tax" "$data" > /dev/null 2> "$tmp/err2"
if grep -q "score the training data" "$tmp/err2"; then
    echo "ok 3 - eval of the shipped model on its own training file warns"
else echo "not ok 3 - eval of the shipped model on its own training file warns"
    sed 's/^/# /' "$tmp/err2"; fi

head -n 60 "$data" > "$tmp/part.jsonl"
"$stdtax" eval --taxonomy "$tax" "$tmp/part.jsonl" > /dev/null 2> "$tmp/err3"
if grep -q "score the training data" "$tmp/err3"; then
    echo "not ok 4 - another file does not warn"; sed 's/^/# /' "$tmp/err3"
else echo "ok 4 - another file does not warn"; fi
