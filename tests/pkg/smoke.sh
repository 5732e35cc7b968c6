#!/bin/sh
# ok() only prints, so `test && ok ... || not_ok ...` is an if-then-else here.
# shellcheck disable=SC2015
# Smoke test of a running stdtaxd over HTTP with curl: health, classify,
# submit a proposal, read it back, and see the counts follow.
#
#   tests/pkg/smoke.sh BASE_URL TOKEN
#
# TOKEN must have the admin scope: the sample proposal belongs to the 2023
# call, whose deadline has passed, and only admin may record late proposals.
# Used by the autopkgtest (debian/tests/smoke) and tests/pkg/ci-package.sh.
# Prints TAP-like lines; exits 1 at the first failure.
set -eu

base=${1:?usage: smoke.sh BASE_URL TOKEN}
token=${2:?usage: smoke.sh BASE_URL TOKEN}
here=$(cd "$(dirname "$0")" && pwd)
proposal=${STDTAX_SMOKE_PROPOSAL:-$here/../data/proposal-local.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() {
    n=$((n + 1))
    echo "not ok $n - $1"
    [ -s "$tmp/body" ] && sed 's/^/# /' "$tmp/body" | head -n 20
    exit 1
}

# req METHOD PATH [curl args...]: body in $tmp/body, headers in $tmp/head,
# status in $status.
req() {
    m=$1 p=$2
    shift 2
    status=$(curl -sS -X "$m" -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' \
        "$@" "$base$p") || status=000
}

# json EXPR: evaluate a Python expression over the last body, bound to d;
# code(x) is a node's code whether x is the code itself or {"code": ...}.
json() {
    python3 -c 'import json, sys
def code(x):
    return x if isinstance(x, str) else x["code"]
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$tmp/body" "$1"
}

# stats FILE: saves GET /v1/stats to FILE.
stats() {
    req GET /v1/stats
    [ "$status" = 200 ] || not_ok "GET /v1/stats answers 200 (got $status)"
    cp "$tmp/body" "$1"
}

# count FILE CODE: "TOTAL N" from saved stats, N being the count of category CODE.
count() {
    cp "$1" "$tmp/body"
    json "'%d %d' % (d['total'], next(c['count'] for c in d['categories'] if c['code'] == '$2'))"
}

req GET /healthz
[ "$status" = 200 ] && ok "GET /healthz answers 200" || not_ok "GET /healthz (got $status)"

req POST /v1/classify -H 'Content-Type: application/json' \
    --data-binary '{"title":"人工智能 大模型 训练数据质量评估规范","scope":"本文件规定了大模型预训练数据的质量评估指标和方法。"}'
[ "$status" = 200 ] || not_ok "POST /v1/classify answers 200 (got $status)"
# 大模型 (foundation models) is evidence for core, whatever the model's weights.
cls=$(json "code(d['category'])")
[ "$cls" = core ] && ok "POST /v1/classify: a foundation-model standard is in core" ||
    not_ok "POST /v1/classify: a foundation-model standard is in core, not '$cls'"

req POST /v1/proposals -H 'Content-Type: application/json' --data-binary "@$proposal"
[ "$status" = 401 ] && ok "POST /v1/proposals without a token answers 401" ||
    not_ok "POST /v1/proposals without a token answers 401 (got $status)"

stats "$tmp/stats-before"
ok "GET /v1/stats before: $(cp "$tmp/stats-before" "$tmp/body"; json "d['total']") proposals"

key=smoke-$(date +%s)-$$
req POST /v1/proposals -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $token" -H "Idempotency-Key: $key" --data-binary "@$proposal"
[ "$status" = 201 ] || not_ok "POST /v1/proposals answers 201 (got $status)"
loc=$(tr -d '\r' <"$tmp/head" | sed -n 's/^[Ll]ocation: *//p')
[ -n "$loc" ] && ok "POST /v1/proposals: 201, Location $loc" || not_ok "201 has a Location"
id=$(json "d['id']")
cat=$(json "code(d['classification']['category'])")
ok "proposal $id classified as $cat (late: $(json "d.get('late')"))"

req GET "$loc"
[ "$status" = 200 ] || not_ok "GET $loc answers 200 (got $status)"
[ "$(json "d['id']")" = "$id" ] && [ "$(json "code(d['classification']['category'])")" = "$cat" ] &&
    ok "GET $loc returns proposal $id in $cat" || not_ok "GET $loc returns proposal $id in $cat"

stats "$tmp/stats-after"
before=$(count "$tmp/stats-before" "$cat")
after=$(count "$tmp/stats-after" "$cat")
# shellcheck disable=SC2086 # split "TOTAL N" into $1 and $2
set -- $before
expect="$(($1 + 1)) $(($2 + 1))"
[ "$after" = "$expect" ] && ok "GET /v1/stats: total and $cat went from $before to $after" ||
    not_ok "total and $cat went from $before to $after, not $expect"

echo "1..$n"
