#!/usr/bin/env python3
"""Validate a stdtaxd taxonomy file against doc/taxonomy-format.md.

A development aid and a cross-check for the C loader (tax_file_load): it applies the same
rules and names every problem by its JSON pointer, one per line, "pointer: detail".

    check-taxonomy.py [--strict] [--json] [--stats] [--reformat] FILE

  --strict    also check what DESIGN.md section 1 asks of the shipped file but the loader
              does not enforce: exactly seven top-level nodes and an `other` node, a
              description {zh, en} on every node, evidence on every node but `other`.
  --json      print the problems as a JSON array of {"pointer", "detail"} (the shape of
              stdtax_problem_add) instead of text lines.
  --stats     print node and evidence counts per top-level category.
  --reformat  rewrite FILE in the canonical layout (pretty-printed, one evidence entry per
              line) when it has no problems.
  --design=PATH
              also compare the node codes, their order and their labels with the table in
              section 1 of DESIGN.md at PATH (the contract the file must follow).

Exit status: 0 clean, 1 problems found, 2 unreadable file or bad usage.
Python 3 standard library only.
"""

import json
import re
import sys
import unicodedata

MAX_CODE_BYTES = 64
MAX_TERM_BYTES = 128
MAX_LABEL_BYTES = 256  # a label (zh or en) of a node, topic or track
MAX_TEXT_BYTES = 4096  # any other text: descriptions, titles, names
CODE_RE = re.compile(r"^[a-z0-9.-]+$")
# RFC 3339 date-time with a mandatory offset (Z or +hh:mm / -hh:mm).
RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")
TRACK_CODES = ("local", "group")
ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def pointer(*parts):
    """JSON pointer (RFC 6901) from path parts."""
    out = ""
    for p in parts:
        out += "/" + str(p).replace("~", "~0").replace("/", "~1")
    return out


def is_separator(ch):
    """True for characters the normaliser turns into a space (see normalise.h)."""
    c = ord(ch)
    if ch in ASCII_PUNCT or ch.isspace():
        return True
    if unicodedata.category(ch) == "Zs":
        return True
    if 0x2000 <= c <= 0x206F or 0x3000 <= c <= 0x303F:
        return True
    if 0xFF5F <= c <= 0xFF65:  # half-width CJK punctuation in the full-width block
        return True
    return False


def normalise(text):
    """Mirror of norm_string_new: full-width ASCII to half-width, Latin case folding,
    every run of spaces and punctuation to one space, trimmed."""
    out = []
    pending_space = False
    for ch in text:
        c = ord(ch)
        if 0xFF01 <= c <= 0xFF5E:
            ch = chr(c - 0xFEE0)
            c = ord(ch)
        if is_separator(ch):
            pending_space = True
            continue
        if c < 0x180:
            low = ch.lower()
            ch = low if len(low) == 1 else ch
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(ch)
    return "".join(out)


class Checker:
    def __init__(self, strict):
        self.strict = strict
        self.problems = []

    def add(self, ptr, detail):
        self.problems.append({"pointer": ptr, "detail": detail})

    # --- generic helpers -------------------------------------------------------------
    def want_object(self, value, ptr, what):
        if not isinstance(value, dict):
            self.add(ptr, "%s must be an object" % what)
            return False
        return True

    def want_array(self, value, ptr, what):
        if not isinstance(value, list):
            self.add(ptr, "%s must be an array" % what)
            return False
        return True

    def text_ok(self, value, ptr, what):
        """Non-empty string that encodes as UTF-8 (no lone surrogates) and has no NUL."""
        if not isinstance(value, str):
            self.add(ptr, "%s must be a string" % what)
            return False
        if value.strip() == "":
            self.add(ptr, "%s must not be empty" % what)
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.add(ptr, "%s is not valid UTF-8 (lone surrogate)" % what)
            return False
        if "\0" in value:
            self.add(ptr, "%s contains a NUL character" % what)
            return False
        limit = MAX_LABEL_BYTES if what.startswith("labels.") else MAX_TEXT_BYTES
        if len(value.encode("utf-8")) > limit:
            self.add(ptr, "%s is longer than %d bytes" % (what, limit))
            return False
        return True

    def labels(self, obj, ptr, key="labels"):
        """Checks obj[key] = {zh, en}; returns (zh, en) or (None, None)."""
        lab = obj.get(key)
        lptr = pointer(*ptr, key)
        if lab is None:
            self.add(lptr, "%s {zh, en} is missing" % key)
            return None, None
        if not self.want_object(lab, lptr, key):
            return None, None
        zh = lab.get("zh")
        en = lab.get("en")
        okz = self.text_ok(zh, pointer(*ptr, key, "zh"), key + ".zh")
        oke = self.text_ok(en, pointer(*ptr, key, "en"), key + ".en")
        return (zh if okz else None), (en if oke else None)

    def unique_labels(self, items, *base):
        """items: list of (index, zh, en); base: path parts of the array.  Chinese labels
        are unique, English labels case-insensitively."""
        seen_zh, seen_en = {}, {}
        for idx, zh, en in items:
            if zh is not None:
                if zh in seen_zh:
                    self.add(pointer(*base, idx, "labels", "zh"),
                             "Chinese label %r already used at %s" %
                             (zh, pointer(*base, seen_zh[zh])))
                else:
                    seen_zh[zh] = idx
            if en is not None:
                key = en.casefold()
                if key in seen_en:
                    self.add(pointer(*base, idx, "labels", "en"),
                             "English label %r already used at %s" %
                             (en, pointer(*base, seen_en[key])))
                else:
                    seen_en[key] = idx

    # --- sections --------------------------------------------------------------------
    def check(self, doc):
        if not self.want_object(doc, "", "the document"):
            return
        fmt = doc.get("format")
        if isinstance(fmt, bool) or fmt != 1:
            self.add("/format", "format must be the number 1, got %r" % (fmt,))
        ver = doc.get("version")
        if ver is None:
            self.add("/version", "version is missing")
        else:
            self.text_ok(ver, "/version", "version")
        if "name" in doc:
            self.name(doc)
        if "calls" in doc:  # several calls side by side (doc/taxonomy-format.md)
            if self.want_array(doc["calls"], "/calls", "calls"):
                for i, call in enumerate(doc["calls"]):
                    self.call(call, ("calls", i))
        else:
            self.call(doc.get("call"))
        codes = self.nodes(doc.get("nodes"))
        self.topics(doc.get("priority_topics"), codes)

    def name(self, doc):
        name = doc["name"]
        if self.want_object(name, "/name", "name"):
            for lang in ("zh", "en"):
                self.text_ok(name.get(lang), pointer("name", lang), "name." + lang)

    def call(self, call, base=("call",)):
        if call is None:
            self.add(pointer(*base), "call is missing")
            return
        if not self.want_object(call, pointer(*base), "call"):
            return
        tracks = call.get("tracks")
        if tracks is None:
            self.add(pointer(*base, "tracks"), "tracks are missing")
            return
        if not self.want_array(tracks, pointer(*base, "tracks"), "tracks"):
            return
        if not tracks:
            self.add(pointer(*base, "tracks"), "a call needs at least one track")
        seen = {}
        items = []
        for i, tr in enumerate(tracks):
            tp = pointer(*base, "tracks", i)
            if not self.want_object(tr, tp, "a track"):
                continue
            code = tr.get("code")
            if code not in TRACK_CODES:
                self.add(tp + "/code", "track code must be one of %s, got %r" %
                         (", ".join(TRACK_CODES), code))
            elif code in seen:
                self.add(tp + "/code", "track %r already defined at %s" %
                         (code, pointer(*base, "tracks", seen[code])))
            else:
                seen[code] = i
            zh, en = self.labels(tr, base + ("tracks", i))
            items.append((i, zh, en))
            dl = tr.get("deadline")
            if not isinstance(dl, str) or not rfc3339_ok(dl):
                self.add(tp + "/deadline",
                         "deadline must be an RFC 3339 timestamp with an offset, got %r" % (dl,))
        for code in TRACK_CODES:
            if code not in seen:
                self.add(pointer(*base, "tracks"), "track %r is missing" % code)
        self.unique_labels(items, *base, "tracks")

    def nodes(self, nodes):
        """Returns the set of valid node codes (for topic checks)."""
        if nodes is None:
            self.add("/nodes", "nodes are missing")
            return set()
        if not self.want_array(nodes, "/nodes", "nodes"):
            return set()
        if not nodes:
            self.add("/nodes", "nodes must not be empty")
        by_code = {}
        parents = {}
        items = []
        for i, node in enumerate(nodes):
            np_ = pointer("nodes", i)
            if not self.want_object(node, np_, "a node"):
                continue
            code = node.get("code")
            if not isinstance(code, str) or not code:
                self.add(np_ + "/code", "code must be a non-empty string")
                code = None
            elif len(code.encode("utf-8")) > MAX_CODE_BYTES:
                self.add(np_ + "/code", "code is longer than %d bytes" % MAX_CODE_BYTES)
                code = None
            elif not CODE_RE.match(code):
                self.add(np_ + "/code", "code %r has characters outside [a-z0-9.-]" % code)
                code = None
            elif code in by_code:
                self.add(np_ + "/code", "code %r already used at %s" %
                         (code, pointer("nodes", by_code[code])))
                code = None
            else:
                by_code[code] = i
            if "parent" not in node:
                self.add(np_ + "/parent", "parent is missing (null for a top-level node)")
            parent = node.get("parent")
            if parent is not None and not isinstance(parent, str):
                self.add(np_ + "/parent", "parent must be null or a node code")
                parent = None
            if code is not None:
                parents[code] = (i, parent)
            zh, en = self.labels(node, ("nodes", i))
            items.append((i, zh, en))
            if "description" in node or self.strict:
                self.description(node, i)
            self.evidence(node, i, code)
        self.unique_labels(items, "nodes")

        # Tree shape: parent exists, code prefix rule, depth at most 2.
        for code, (i, parent) in parents.items():
            pp = pointer("nodes", i, "parent")
            if parent is None:
                if "." in code:
                    self.add(pointer("nodes", i, "code"),
                             "top-level code %r must not contain a dot" % code)
                continue
            if parent not in parents:
                self.add(pp, "parent %r is not an existing node code" % parent)
                continue
            if parents[parent][1] is not None:
                self.add(pp, "parent %r is itself a subcategory (depth at most 2)" % parent)
                continue
            suffix = code[len(parent) + 1:] if code.startswith(parent + ".") else ""
            if not suffix or "." in suffix:
                self.add(pointer("nodes", i, "code"),
                         "code %r must be the parent's code %r, a dot and a suffix" %
                         (code, parent))
        if self.strict:
            top = [c for c, (_, p) in parents.items() if p is None]
            if len(top) != 7:
                self.add("/nodes", "expected 7 top-level nodes, found %d" % len(top))
            if "other" not in parents:
                self.add("/nodes", "the top-level node 'other' is missing")
        return set(parents)

    def description(self, node, i):
        d = node.get("description")
        dp = pointer("nodes", i, "description")
        if d is None:
            self.add(dp, "description {zh, en} is missing")
            return
        if self.want_object(d, dp, "description"):
            for lang in ("zh", "en"):
                self.text_ok(d.get(lang), pointer("nodes", i, "description", lang),
                             "description." + lang)

    def evidence(self, node, i, code):
        ev = node.get("evidence")
        ep = pointer("nodes", i, "evidence")
        if ev is None:
            if self.strict and code != "other":
                self.add(ep, "evidence is missing")
            return
        if not self.want_array(ev, ep, "evidence"):
            return
        if self.strict and code != "other" and not ev:
            self.add(ep, "evidence is empty")
        seen = {}
        for j, entry in enumerate(ev):
            tp = pointer("nodes", i, "evidence", j)
            if not self.want_object(entry, tp, "an evidence entry"):
                continue
            self.term(entry.get("term"), tp + "/term", seen, j,
                      lambda k: pointer("nodes", i, "evidence", k))
            w = entry.get("weight")
            if isinstance(w, bool) or not isinstance(w, (int, float)):
                self.add(tp + "/weight", "weight must be a number in (0, 1]")
            elif not (0 < w <= 1):
                self.add(tp + "/weight", "weight %r is outside (0, 1]" % (w,))

    def topic_evidence(self, ev, i):
        """A topic's own terms: a non-empty array of distinct strings (any one of them
        is the topic's evidence, so they carry no weight)."""
        ep = pointer("priority_topics", i, "evidence")
        if not isinstance(ev, list):
            self.add(ep, "evidence must be an array of terms")
            return
        if not ev:
            self.add(ep, "a priority topic needs at least one evidence term")
        seen = {}
        for j, term in enumerate(ev):
            self.term(term, pointer("priority_topics", i, "evidence", j), seen, j,
                      lambda k: pointer("priority_topics", i, "evidence", k))

    def term(self, term, tp, seen, j, where):
        """One evidence term at tp: text, length, not equal after normalisation to an
        earlier one of the same list (seen: normalised term -> index; where(index) its
        pointer)."""
        if not self.text_ok(term, tp, "term"):
            return
        nbytes = len(term.encode("utf-8"))
        if nbytes > MAX_TERM_BYTES:
            self.add(tp, "term is %d bytes, more than %d" % (nbytes, MAX_TERM_BYTES))
        norm = normalise(term)
        if not norm:
            self.add(tp, "term %r is empty after normalisation" % term)
        elif norm in seen:
            self.add(tp, "term %r normalises to %r like %s" % (term, norm, where(seen[norm])))
        else:
            seen[norm] = j

    def topics(self, topics, codes):
        if topics is None:
            return
        if not self.want_array(topics, "/priority_topics", "priority_topics"):
            return
        seen = {}
        items = []
        for i, t in enumerate(topics):
            tp = pointer("priority_topics", i)
            if not self.want_object(t, tp, "a priority topic"):
                continue
            code = t.get("code")
            if not isinstance(code, str) or not code or not CODE_RE.match(code) \
                    or len(code) > MAX_CODE_BYTES:
                self.add(tp + "/code", "topic code must be ASCII [a-z0-9.-], at most %d bytes"
                         % MAX_CODE_BYTES)
            elif code in seen:
                self.add(tp + "/code", "topic code %r already used at %s" %
                         (code, pointer("priority_topics", seen[code])))
            else:
                seen[code] = i
            zh, en = self.labels(t, ("priority_topics", i))
            items.append((i, zh, en))
            self.topic_evidence(t.get("evidence"), i)
            nodes = t.get("nodes")
            if not self.want_array(nodes, tp + "/nodes", "topic nodes"):
                continue
            if not nodes:
                self.add(tp + "/nodes", "a priority topic must name at least one node")
            for j, n in enumerate(nodes):
                if n not in codes:
                    self.add(pointer("priority_topics", i, "nodes", j),
                             "%r is not an existing node code" % (n,))
        self.unique_labels(items, "priority_topics")


def rfc3339_ok(s):
    m = RFC3339_RE.match(s)
    if not m:
        return False
    y, mo, d, h, mi, sec = (int(m.group(k)) for k in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and sec <= 60):
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


DESIGN_ROW_RE = re.compile(r"^\|\s*`([a-z0-9.-]+)`\s*\|([^|]*)\|([^|]*)\|\s*$")


def design_rows(path):
    """(code, zh, en) for every row of the taxonomy table in DESIGN.md."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = DESIGN_ROW_RE.match(line.rstrip("\n"))
            if m:
                rows.append((m.group(1), m.group(2).strip(), m.group(3).strip()))
    return rows


def check_design(doc, rows, add):
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        return
    if not rows:
        add("", "no taxonomy table rows found in the design file")
        return
    have = {}
    for i, n in enumerate(nodes):
        if isinstance(n, dict) and isinstance(n.get("code"), str):
            have[n["code"]] = (i, n)
    want = [r[0] for r in rows]
    for code in want:
        if code not in have:
            add("/nodes", "node %r of the design table is missing" % code)
    for code, (i, _) in have.items():
        if code not in want:
            add(pointer("nodes", i, "code"), "node %r is not in the design table" % code)
    order = [c for c in (n.get("code") for n in nodes if isinstance(n, dict)) if c in want]
    if order != [c for c in want if c in have]:
        add("/nodes", "nodes are not in the order of the design table")
    for code, zh, en in rows:
        if code not in have:
            continue
        i, n = have[code]
        lab = n.get("labels") if isinstance(n.get("labels"), dict) else {}
        if lab.get("zh") != zh:
            add(pointer("nodes", i, "labels", "zh"), "label %r differs from the design's %r" %
                (lab.get("zh"), zh))
        if lab.get("en") != en:
            add(pointer("nodes", i, "labels", "en"), "label %r differs from the design's %r" %
                (lab.get("en"), en))


def load(path):
    """Returns (document, problems). Duplicate object keys and NaN/Infinity are problems,
    as they are for jansson with JSON_REJECT_DUPLICATES."""
    problems = []

    def pairs(kv):
        obj = {}
        for k, v in kv:
            if k in obj:
                problems.append({"pointer": "", "detail": "duplicate object key %r" % k})
            obj[k] = v
        return obj

    def bad_constant(name):
        raise ValueError("%s is not valid JSON" % name)

    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # strict: invalid UTF-8 raises
    doc = json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant)
    return doc, problems


def dump_canonical(doc):
    """Pretty JSON, 2-space indent, one evidence entry per line."""
    def enc(v, indent, key=None):
        pad = "  " * indent
        if key == "evidence" and isinstance(v, list) and v and \
                all(isinstance(x, str) for x in v):
            return json.dumps(v, ensure_ascii=False)  # a priority topic's terms
        if key == "evidence" and isinstance(v, list):
            if not v:
                return "[]"
            lines = ["{\"term\": %s, \"weight\": %s}" %
                     (json.dumps(e["term"], ensure_ascii=False), json.dumps(e["weight"]))
                     for e in v]
            inner = ",\n".join(pad + "  " + s for s in lines)
            return "[\n" + inner + "\n" + pad + "]"
        if key in ("labels", "name", "title") and isinstance(v, dict):
            return json.dumps(v, ensure_ascii=False)
        if key == "nodes" and isinstance(v, list) and all(isinstance(x, str) for x in v):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, dict):
            if not v:
                return "{}"
            inner = ",\n".join(pad + "  " + json.dumps(k, ensure_ascii=False) + ": " +
                               enc(x, indent + 1, k) for k, x in v.items())
            return "{\n" + inner + "\n" + pad + "}"
        if isinstance(v, list):
            if not v:
                return "[]"
            inner = ",\n".join(pad + "  " + enc(x, indent + 1) for x in v)
            return "[\n" + inner + "\n" + pad + "]"
        return json.dumps(v, ensure_ascii=False)
    return enc(doc, 0) + "\n"


def stats(doc):
    nodes = doc.get("nodes", [])
    top = [n for n in nodes if n.get("parent") is None]
    lines = []
    total = 0
    for t in top:
        kids = [n for n in nodes if n.get("parent") == t["code"]]
        own = len(t.get("evidence", []))
        sub = sum(len(k.get("evidence", [])) for k in kids)
        total += own + sub
        lines.append("%-10s %2d subcategories, %4d terms (%d on the category, %d on "
                     "subcategories)" % (t["code"], len(kids), own + sub, own, sub))
    lines.append("%d nodes, %d terms" % (len(nodes), total))
    return "\n".join(lines)


def main(argv):
    design = None
    opts = set()
    args = []
    for a in argv[1:]:
        if a.startswith("--design="):
            design = a[len("--design="):]
        elif a.startswith("--"):
            opts.add(a)
        else:
            args.append(a)
    known = {"--strict", "--json", "--stats", "--reformat", "--help"}
    if "--help" in opts:
        print(__doc__)
        return 0
    if len(args) != 1 or opts - known:
        sys.stderr.write("usage: check-taxonomy.py [--strict] [--json] [--stats] "
                         "[--reformat] [--design=DESIGN.md] FILE\n")
        return 2
    path = args[0]
    try:
        doc, problems = load(path)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        if "--json" in opts:
            print(json.dumps([{"pointer": "", "detail": str(e)}], ensure_ascii=False))
        else:
            sys.stderr.write("%s: %s\n" % (path, e))
        return 2
    checker = Checker("--strict" in opts)
    checker.problems.extend(problems)
    checker.check(doc)
    if design is not None:
        try:
            rows = design_rows(design)
        except OSError as e:
            sys.stderr.write("%s: %s\n" % (design, e))
            return 2
        check_design(doc, rows, checker.add)
    if "--json" in opts:
        print(json.dumps(checker.problems, ensure_ascii=False, indent=1))
    else:
        for p in checker.problems:
            print("%s: %s: %s" % (path, p["pointer"] or "/", p["detail"]))
    if checker.problems:
        return 1
    if "--stats" in opts:
        print(stats(doc))
    if "--reformat" in opts:
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump_canonical(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
