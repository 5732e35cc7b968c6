#!/bin/sh
# stdtax catalog on the shipped catalogue: every entry imports, search finds a real
# standard from a proposer's variant of its title, check agrees, re-import changes nothing.
set -u
top=${STDTAX_BUILDDIR:-.}
src=${STDTAX_SRCDIR:-.}
stdtax="$top/src/cli/stdtax"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi; }
echo "1..5"
t "the shipped catalogue imports without problems" \
  "\"$stdtax\" catalog import --data-dir \"$dir/s\" \"$src/taxonomy/catalog-2023.jsonl\" > \"$dir/r\" && grep -q '\"created\": 123' \"$dir/r\""
t "search finds GB/T 41867-2022 from 人工智能 术语 信息技术" \
  "\"$stdtax\" catalog search --data-dir \"$dir/s\" '人工智能 术语 信息技术' | grep -q 'GB/T 41867-2022'"
t "check agrees" "\"$stdtax\" catalog check --data-dir \"$dir/s\" > /dev/null"
t "a second import changes nothing" \
  "\"$stdtax\" catalog import --data-dir \"$dir/s\" \"$src/taxonomy/catalog-2023.jsonl\" | grep -q '\"unchanged\": 123'"
t "list filters by kind" \
  "test \"\$(\"$stdtax\" catalog list --data-dir \"$dir/s\" --kind local | wc -l)\" -eq 3"
