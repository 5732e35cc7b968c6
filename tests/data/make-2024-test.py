#!/usr/bin/env python3
"""Writes tests/data/taxonomy-2024-test.json: an INVENTED revision of the shipped
framework for tests of calls and framework versions (issue 19). Not an official
document: the call 2024-test, its deadlines and its criteria are made up.

From taxonomy/shanghai-ai-2023.json it:
  - splits domain.vr-ar into domain.vr (virtual reality) and domain.ar (augmented and
    mixed reality), the evidence terms shared out;
  - renames domain.biometrics to domain.biometric-id;
  - keeps the 2023 call beside a new current call 2024-test with its own deadlines
    (its local track closed in 2024, its group track open until 2099 so that a test
    can submit on time) and its own review criteria;
  - adds the crosswalk from the 2023 framework.
Run it again after the shipped file changes: python3 tests/data/make-2024-test.py"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "..", "taxonomy", "shanghai-ai-2023.json")
OUT = os.path.join(HERE, "taxonomy-2024-test.json")

AR_TERMS = ("增强现实", "混合现实", "AR", "MR", "虚实融合", "智能眼镜", "augmented",
            "mixed")

with open(SHIPPED, encoding="utf-8") as f:
    tax = json.load(f)
old_version = tax["version"]
calls = tax.pop("calls", None) or [dict(tax.pop("call"), current=True)]
call_2023 = dict(calls[0], current=False)
call_2024 = {
    "id": "2024-test",
    "current": True,
    "title": {"zh": "（测试用，虚构）2024 年标准征集通知",
              "en": "(test data, invented) 2024 call for standard proposals"},
    "document": "TEST-NOT-OFFICIAL [2024] 0 号",
    "published": "2024-06-01",
    "framework": "2024-test",
    "note": "invented for the tests of issue 19; not an official document",
    "tracks": [
        {"code": "local", "labels": {"zh": "上海地方标准", "en": "Shanghai local standard"},
         "form": "附件3", "suffix": "地标", "deadline": "2024-09-30T23:59:59+08:00"},
        {"code": "group", "labels": {"zh": "团体标准", "en": "Group standard"},
         "form": "附件4", "suffix": "团标", "deadline": "2099-11-15T23:59:59+08:00"},
    ],
    "criteria": [
        {"code": "technical-leadership", "labels": {"zh": "技术领先性", "en": "Technical leadership"},
         "max": 30, "weight": 1.5},
        {"code": "feasibility", "labels": {"zh": "实施可行性", "en": "Feasibility"},
         "max": 20, "weight": 1},
        {"code": "benefit", "labels": {"zh": "成效收益性", "en": "Benefit"},
         "max": 20, "weight": 1},
    ],
}
tax["version"] = "2024-test"
tax["name"] = {"zh": tax["name"]["zh"] + "（测试修订版，虚构）",
               "en": tax["name"]["en"] + " (invented test revision)"}

nodes = []
for n in tax["nodes"]:
    if n["code"] == "domain.vr-ar":
        ar = [e for e in n["evidence"] if any(t.lower() in e["term"].lower() for t in AR_TERMS)]
        vr = [e for e in n["evidence"] if e not in ar]
        nodes.append(dict(n, code="domain.vr", labels={"zh": "虚拟现实", "en": "Virtual reality"},
                          evidence=vr))
        nodes.append(dict(n, code="domain.ar",
                          labels={"zh": "增强现实与混合现实", "en": "Augmented and mixed reality"},
                          evidence=ar))
    elif n["code"] == "domain.biometrics":
        nodes.append(dict(n, code="domain.biometric-id"))
    else:
        nodes.append(n)
tax["nodes"] = nodes
for t in tax["priority_topics"]:
    out = []
    for c in t["nodes"]:
        out += {"domain.vr-ar": ["domain.vr", "domain.ar"],
                "domain.biometrics": ["domain.biometric-id"]}.get(c, [c])
    t["nodes"] = out

doc = {"format": tax["format"], "version": tax["version"], "name": tax["name"],
       "calls": [call_2023, call_2024],
       "crosswalk": {"from": call_2023.get("framework", old_version),
                     "codes": {"domain.vr-ar": ["domain.vr", "domain.ar"],
                               "domain.biometrics": ["domain.biometric-id"]}}}
doc.update((k, v) for k, v in tax.items() if k not in doc)
with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=1)
    f.write("\n")
