#!/usr/bin/env python3
"""Builds the overlap test set (tests/overlap/testset.jsonl) from the real titles of the
shipped catalogue (taxonomy/catalog-2023.jsonl).  Deterministic (fixed seed).

usage: make-testset.py CATALOG.jsonl > testset.jsonl

Each line: {"case", "target" (a catalogue id), "expect" (true: the query must be
flagged as overlapping the target; false: it must not), "variant", "query": {title?,
title_en?}}.

Positives: what a proposer might write for an existing standard:
  reorder      the title's segments (or the two sides of 和/与/及, "and", "for") swapped
  prefix-add   a series prefix (人工智能 / 信息技术 / Artificial intelligence -) added
  prefix-drop  the leading series prefix removed
  mix          one segment of the Chinese title replaced by its English counterpart
  english      the English title alone, for a standard with both titles
  part-year    the part number changed, or a version/edition year added
Entries without a number (drafts) are left out: their ids are derived in C.
Negatives: the real title of every other standard of the same node (subcategory, or
category when it has no subcategory), up to 4, which must not be flagged."""
import json
import random
import re
import sys

ZH_PREFIXES = ["信息安全技术", "网络安全技术", "信息技术", "人工智能"]
EN_PREFIXES = ["Information technology", "Artificial intelligence",
               "Information security technology", "Cybersecurity technology"]


def zh_segments(t):
    return [s for s in re.split(r"[ \u3000]+", t) if s]


def en_segments(t):
    return [s for s in re.split(r"\s+-+\s+|\s+–\s+|;\s+", t) if s]


def reorder_zh(t):
    seg = zh_segments(t)
    if len(seg) >= 2:
        return " ".join(seg[1:] + seg[:1])
    m = re.search(r"^(.+?)(和|与|及)(.+)$", t)
    if m:
        return m.group(3) + m.group(2) + m.group(1)
    return None


def reorder_en(t):
    seg = en_segments(t)
    if len(seg) >= 2:
        return " - ".join(seg[1:] + seg[:1])
    m = re.search(r"^(.+?) (for|and) (.+)$", t)
    if m:
        return m.group(3) + " " + m.group(2) + " " + m.group(1)
    return None


def strip_prefix(t, prefixes, sep):
    for p in prefixes:
        if t.lower().startswith(p.lower()):
            rest = t[len(p):].lstrip(" -–")
            if rest:
                return rest
    return None


def part_year(t, rng):
    m = re.search(r"第(\d+)部分", t)
    if m:
        n = int(m.group(1))
        return t[:m.start(1)] + str(n + 1) + t[m.end(1):]
    m = re.search(r"Part (\d+)", t)
    if m:
        n = int(m.group(1))
        return t[:m.start(1)] + str(n + 1) + t[m.end(1):]
    year = rng.choice([2024, 2025, 2026])
    if re.search(r"[\u4e00-\u9fff]", t):
        return "%s（%d版）" % (t, year)
    return "%s (%d edition)" % (t, year)


def mix(zh, en):
    zs, es = zh_segments(zh), en_segments(en)
    if len(zs) >= 2 and len(zs) == len(es):
        return " ".join(zs[:-1] + [es[-1]])
    return None


def node(e):
    c = e.get("classification") or {}
    return c.get("subcategory") or c.get("category")


def main():
    rng = random.Random(2023)
    cat = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    cases = []

    def add(target, expect, variant, query):
        query = {k: v for k, v in query.items() if v}
        if query:
            cases.append({"target": target["id"], "expect": expect, "variant": variant,
                          "query": query})

    for e in cat:
        e.setdefault("id", e.get("number") or None)
    cat = [e for e in cat if e["id"]]
    for e in cat:
        zh, en = e.get("title"), e.get("title_en")
        if zh:
            add(e, True, "reorder", {"title": reorder_zh(zh)})
            dropped = strip_prefix(zh, ZH_PREFIXES, " ")
            if dropped:
                add(e, True, "prefix-drop", {"title": dropped})
            else:
                add(e, True, "prefix-add", {"title": rng.choice(ZH_PREFIXES[2:]) + " " + zh})
            if en:
                add(e, True, "mix", {"title": mix(zh, en)})
                add(e, True, "english", {"title_en": en})
            add(e, True, "part-year", {"title": part_year(zh, rng)})
        elif en:
            add(e, True, "reorder", {"title_en": reorder_en(en)})
            dropped = strip_prefix(en, EN_PREFIXES, " - ")
            if dropped:
                add(e, True, "prefix-drop", {"title_en": dropped})
            else:
                add(e, True, "prefix-add", {"title_en": "Artificial intelligence - " + en})
            add(e, True, "part-year", {"title_en": part_year(en, rng)})
        others = [o for o in cat if o is not e and node(o) == node(e)]
        rng.shuffle(others)
        for o in others[:4]:
            add(e, False, "unrelated", {"title": o.get("title"), "title_en": o.get("title_en")})
    for i, c in enumerate(cases):
        c["case"] = i + 1
        print(json.dumps(c, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
