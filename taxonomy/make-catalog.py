#!/usr/bin/env python3
"""Builds the shipped starting catalogue of existing standards (catalog-2023.jsonl) from
the real standards in the labelled training data.

usage: make-catalog.py TAXONOMY.json LABELLED.jsonl > catalog-2023.jsonl

number = the record's code; kind from the number's prefix (table below); status
"planned" for drafts and calls for proposals (no number, IEEE P..., ISO/IEC FDIS/DIS/DTS,
征求意见稿, 立项), else "published"; classification = the labelled category and
subcategory, mapped from their Chinese labels to taxonomy codes."""
import json
import re
import sys

# (regular expression on the number, kind); the first match wins.
KINDS = [
    (r"^(ISO|IEC|IEEE|ITU|ETSI)\b", "international"),
    (r"^T/", "group"),
    (r"^DB\d+", "local"),
    (r"^(GB|GB/T|GB/Z)\b|^TC260", "national"),
    (r"^[A-Z]{2,3}/?T?\b", "industry"),  # YD/T, GA/T, GY/T, SJ/T, YY/T, JTG/T
]
PLANNED = re.compile(r"^IEEE P|\b(FDIS|DIS|DTS|DTR|CD)\b|征求意见稿|立项")


def kind_of(number, title):
    for pattern, kind in KINDS:
        if re.search(pattern, number):
            return kind
    if "团体标准" in title:
        return "group"
    return "other"


def main():
    tax = json.load(open(sys.argv[1], encoding="utf-8"))
    by_label = {n["labels"]["zh"]: n["code"] for n in tax["nodes"]}
    seen = set()
    for line in open(sys.argv[2], encoding="utf-8"):
        r = json.loads(line)
        number = r["code"].strip()
        title = r["title"].strip()
        key = number or title
        if key in seen:
            continue
        seen.add(key)
        e = {}
        if number:
            e["number"] = number
        if r.get("lang") == "en":
            e["title_en"] = title
        else:
            e["title"] = title
            if r.get("title_en"):
                e["title_en"] = r["title_en"].strip()
        e["kind"] = kind_of(number, title)
        e["status"] = "planned" if not number or PLANNED.search(number + " " + title) \
            else "published"
        if r.get("scope"):
            e["scope"] = r["scope"].strip()
        cat = by_label[r["category"]]
        sub = by_label.get(r.get("subcategory") or "")
        if sub and not sub.startswith(cat + "."):
            sub = None
        e["classification"] = {"category": cat, "subcategory": sub}
        print(json.dumps(e, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
