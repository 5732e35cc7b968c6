#!/usr/bin/env python3
"""TAP tests for taxonomy/check-taxonomy.py and the shipped taxonomy file.

Each broken variant breaks exactly one rule of doc/taxonomy-format.md and must be reported
at the expected JSON pointer; the shipped file must be clean, also under --strict and
against the DESIGN.md table when that file is available."""

import copy
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

SRCDIR = os.environ.get("STDTAX_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
CHECKER = os.path.join(SRCDIR, "taxonomy", "check-taxonomy.py")
SHIPPED = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")

spec = importlib.util.spec_from_file_location("check_taxonomy", CHECKER)
ct = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ct)

results = []


def test(name):
    def wrap(fn):
        results.append((name, fn))
        return fn
    return wrap


def problems(doc, strict=False):
    c = ct.Checker(strict)
    c.check(doc)
    return c.problems


def pointers(doc, strict=False):
    return {p["pointer"] for p in problems(doc, strict)}


with open(SHIPPED, encoding="utf-8") as f:
    GOOD = json.load(f)


def index_of(doc, code):
    return next(i for i, n in enumerate(doc["nodes"]) if n["code"] == code)


def mutated(fn):
    doc = copy.deepcopy(GOOD)
    fn(doc)
    return doc


@test("shipped file has no problems (strict)")
def _():
    p = problems(GOOD, strict=True)
    assert p == [], p


@test("shipped file has 7 top-level nodes and every subcategory has evidence")
def _():
    top = [n for n in GOOD["nodes"] if n["parent"] is None]
    assert len(top) == 7, len(top)
    for n in GOOD["nodes"]:
        if n["parent"] is not None:
            assert len(n["evidence"]) >= 20, n["code"]
        elif n["code"] != "other":
            assert n["evidence"], n["code"]


@test("shipped file matches the DESIGN.md table when available")
def _():
    design = os.path.join(SRCDIR, "..", "shared", "DESIGN.md")
    for cand in (os.environ.get("STDTAX_DESIGN", ""), design, "/work/shared/DESIGN.md"):
        if cand and os.path.exists(cand):
            out = []
            ct.check_design(GOOD, ct.design_rows(cand), lambda p, d: out.append((p, d)))
            assert out == [], out
            return
    # Without the design file there is nothing to compare; the strict check still ran.


@test("generic words are not evidence")
def _():
    generic = {"人工智能", "信息技术", "技术要求", "测试方法", "系统", "平台", "数据",
               "artificial intelligence", "information technology", "system", "platform", "data"}
    for n in GOOD["nodes"]:
        for e in n["evidence"]:
            assert ct.normalise(e["term"]) not in generic, (n["code"], e["term"])


@test("format must be 1")
def _():
    assert "/format" in pointers(mutated(lambda d: d.update(format=2)))
    assert "/format" in pointers(mutated(lambda d: d.update(format=True)))


@test("version must be a non-empty string")
def _():
    assert "/version" in pointers(mutated(lambda d: d.update(version="")))
    assert "/version" in pointers(mutated(lambda d: d.pop("version")))


@test("duplicate node code is reported at the second node")
def _():
    def f(d):
        d["nodes"][5]["code"] = d["nodes"][4]["code"]
    assert "/nodes/5/code" in pointers(mutated(f))


@test("code outside [a-z0-9.-] or longer than 64 bytes is reported")
def _():
    assert "/nodes/0/code" in pointers(mutated(lambda d: d["nodes"][0].update(code="Infra")))
    long = "x" * 65
    assert "/nodes/0/code" in pointers(mutated(lambda d: d["nodes"][0].update(code=long)))


@test("parent must exist")
def _():
    i = index_of(GOOD, "core.ml")
    p = pointers(mutated(lambda d: d["nodes"][i].update(parent="nosuch")))
    assert "/nodes/%d/parent" % i in p, p


@test("subcategory code must be parent code, dot, suffix")
def _():
    i = index_of(GOOD, "core.ml")
    p = pointers(mutated(lambda d: d["nodes"][i].update(parent="infra")))
    assert "/nodes/%d/code" % i in p, p


@test("depth at most 2")
def _():
    def f(d):
        d["nodes"].append({"code": "core.ml.deep", "parent": "core.ml",
                           "labels": {"zh": "深", "en": "Deep"}, "evidence": []})
    p = pointers(mutated(f))
    assert "/nodes/%d/parent" % len(GOOD["nodes"]) in p, p


@test("labels zh and en must be present and non-empty")
def _():
    assert "/nodes/3/labels/zh" in pointers(mutated(lambda d: d["nodes"][3]["labels"].pop("zh")))
    assert "/nodes/3/labels/en" in pointers(
        mutated(lambda d: d["nodes"][3]["labels"].update(en=" ")))
    assert "/nodes/3/labels" in pointers(mutated(lambda d: d["nodes"][3].pop("labels")))


@test("labels must be unique (English case-insensitively)")
def _():
    def f(d):
        d["nodes"][2]["labels"]["zh"] = d["nodes"][1]["labels"]["zh"]
        d["nodes"][4]["labels"]["en"] = d["nodes"][3]["labels"]["en"].upper()
    p = problems(mutated(f))
    ptrs = {x["pointer"] for x in p}
    assert "/nodes/2/labels/zh" in ptrs and "/nodes/4/labels/en" in ptrs, p
    assert any("/nodes/1" in x["detail"] for x in p), p
    tracks = pointers(mutated(lambda d: d["calls"][0]["tracks"][1]["labels"].update(
        zh=d["calls"][0]["tracks"][0]["labels"]["zh"])))
    assert "/calls/0/tracks/1/labels/zh" in tracks, tracks


@test("weight must be a number in (0, 1]")
def _():
    for bad in (0, 1.5, -0.1, True, "0.5", None):
        p = pointers(mutated(lambda d: d["nodes"][1]["evidence"][0].update(weight=bad)))
        assert "/nodes/1/evidence/0/weight" in p, (bad, p)
    assert pointers(mutated(lambda d: d["nodes"][1]["evidence"][0].update(weight=1))) == set()


@test("term must be non-empty and at most 128 bytes")
def _():
    long = "智" * 43  # 129 bytes
    assert "/nodes/1/evidence/0/term" in pointers(
        mutated(lambda d: d["nodes"][1]["evidence"][0].update(term=long)))
    ok = "智" * 42  # 126 bytes
    assert pointers(mutated(lambda d: d["nodes"][1]["evidence"][0].update(term=ok))) == set()
    assert "/nodes/1/evidence/0/term" in pointers(
        mutated(lambda d: d["nodes"][1]["evidence"][0].update(term="")))
    assert "/nodes/1/evidence/0/term" in pointers(
        mutated(lambda d: d["nodes"][1]["evidence"][0].update(term="--")))


@test("terms equal after normalisation are duplicates within a node")
def _():
    def f(d):
        ev = d["nodes"][1]["evidence"]
        ev.append({"term": "ＡＩ芯片", "weight": 0.5})   # full-width of "AI芯片"
        ev.append({"term": "Text-to-Speech", "weight": 0.5})
        ev.append({"term": "text  to speech", "weight": 0.5})
    p = pointers(mutated(f))
    n = len(GOOD["nodes"][1]["evidence"])
    assert "/nodes/1/evidence/%d/term" % n in p, p
    assert "/nodes/1/evidence/%d/term" % (n + 2) in p, p


@test("the same term may appear in two different nodes")
def _():
    def f(d):
        d["nodes"][2]["evidence"].append(dict(d["nodes"][1]["evidence"][0]))
    assert pointers(mutated(f)) == set()


@test("priority topic nodes must exist and topic codes be unique")
def _():
    def f(d):
        d["priority_topics"][0]["nodes"].append("nosuch")
        d["priority_topics"][2]["code"] = d["priority_topics"][1]["code"]
    p = pointers(mutated(f))
    k = len(GOOD["priority_topics"][0]["nodes"])
    assert "/priority_topics/0/nodes/%d" % k in p and "/priority_topics/2/code" in p, p


@test("priority topic evidence: a non-empty array of distinct terms")
def _():
    def f(d):
        d["priority_topics"][0]["evidence"] = []
        del d["priority_topics"][1]["evidence"]
        d["priority_topics"][2]["evidence"].append(" " + d["priority_topics"][2]["evidence"][0])
        d["priority_topics"][3]["evidence"][0] = {"term": "x", "weight": 1}
    p = pointers(mutated(f))
    k = len(GOOD["priority_topics"][2]["evidence"])
    for want in ("/priority_topics/0/evidence", "/priority_topics/1/evidence",
                 "/priority_topics/2/evidence/%d" % k, "/priority_topics/3/evidence/0"):
        assert want in p, (want, p)


@test("tracks must be local and group with RFC 3339 deadlines with offset")
def _():
    p = pointers(mutated(lambda d: d["calls"][0]["tracks"][1].update(code="national")))
    assert "/calls/0/tracks/1/code" in p and "/calls/0/tracks" in p, p
    for bad in ("2023-09-12T23:59:59", "2023-09-12", "2023-13-12T23:59:59+08:00", 20230912):
        p = pointers(mutated(lambda d: d["calls"][0]["tracks"][0].update(deadline=bad)))
        assert "/calls/0/tracks/0/deadline" in p, (bad, p)
    p = pointers(mutated(lambda d: d["calls"][0]["tracks"][0].update(deadline="2023-09-12T15:59:59Z")))
    assert p == set(), p


@test("normalisation mirrors normalise.h")
def _():
    assert ct.normalise("ＡＩ芯片") == "ai芯片"
    assert ct.normalise("  Text-to-Speech!! ") == "text to speech"
    assert ct.normalise("虚拟现实/增强现实") == "虚拟现实 增强现实"
    assert ct.normalise("数据、算法，模型") == "数据 算法 模型"
    assert ct.normalise("ÉCOLE") == "école"


@test("command line: exit 0 clean, 1 with problems, 2 unreadable")
def _():
    r = subprocess.run([sys.executable, CHECKER, "--strict", SHIPPED], capture_output=True)
    assert r.returncode == 0, r.stdout
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w", encoding="utf-8") as f:
            json.dump(mutated(lambda d: d.update(format=7)), f, ensure_ascii=False)
        r = subprocess.run([sys.executable, CHECKER, "--json", bad], capture_output=True)
        assert r.returncode == 1
        assert json.loads(r.stdout)[0]["pointer"] == "/format"
        dup = os.path.join(tmp, "dup.json")
        with open(dup, "w") as f:
            f.write('{"format": 1, "format": 1}')
        r = subprocess.run([sys.executable, CHECKER, dup], capture_output=True)
        assert r.returncode == 1 and b"duplicate object key" in r.stdout
        notjson = os.path.join(tmp, "x.json")
        with open(notjson, "wb") as f:
            f.write(b"{\xff}")
        r = subprocess.run([sys.executable, CHECKER, notjson], capture_output=True)
        assert r.returncode == 2


@test("--reformat keeps the shipped file byte-identical (canonical layout)")
def _():
    with open(SHIPPED, encoding="utf-8") as f:
        text = f.read()
    assert ct.dump_canonical(json.loads(text)) == text


def main():
    print("1..%d" % len(results))
    failed = 0
    for k, (name, fn) in enumerate(results, 1):
        try:
            fn()
            print("ok %d - %s" % (k, name))
        except Exception as e:  # report and go on: one line per test
            failed += 1
            print("not ok %d - %s" % (k, name))
            for line in repr(e).splitlines():
                print("# " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
