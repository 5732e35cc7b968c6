#!/usr/bin/env python3
"""The layers of doc/architecture.md, checked from the #include lines (TAP output).

A module is a header and the source files that implement it: src/lib/X_Y.c belongs to
the module of the longest header name it starts with (include/stdtax/X_Y.h, then X.h; a
private header src/lib/X_internal.h belongs to X; the service's files are one module,
with a header per area).  In src/daemon and src/cli a file
with a header of its own is that module, any other file (a resource handler, a command)
a module of its own.  Checked:
  1. no circle between modules (A includes B's header and B includes A's);
  2. each layer includes only its own layer and the layers below it (RANKS);
  3. the rules of RULES: headers a layer may not include although they are below it.
"""
import os
import re
import sys

SRC = os.environ.get("STDTAX_SRCDIR") or os.path.join(os.path.dirname(__file__), "..")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# Lower rank: lower layer.  A module includes only modules of its rank or below.
RANKS = [
    ("foundation", 0, {"error", "utf8", "normalise", "sha256", "jsonw", "jsontext",
                       "jsonflat", "date", "matcher", "stdident", "textquery", "message"}),
    ("storage", 1, {"store", "store_material"}),
    ("domain", 1, {"taxonomy", "model", "classifier", "proposal", "csv", "similar",
                   "catalog", "duplicate", "material", "calls"}),
    ("service", 2, {"service"}),
]
# (layer of the includer, header it may not include, why)
RULES = [
    ("cli", "stdtax/store.h", "the CLI reaches data only through the service"),
    ("cli", "stdtax/catalog.h", "the CLI reaches data only through the service"),
    ("daemon", "stdtax/store.h", "the daemon reaches data only through the service"),
    ("lib", "event2/", "only the daemon's HTTP layer knows libevent"),
]
# The store is storage: it knows LMDB and JSON, not the domain (fingerprints and
# summaries arrive computed in the put item).
# Known exceptions, listed so that a new one fails: (file, header) -> why it is still so.
KNOWN = {
    ("src/lib/store_sim.c", "stdtax/similar.h"):
        "the store still makes the MinHash bands of the fingerprints it indexes, and the "
        "fingerprint of a text an update changes (doc/store.md, issue 13)",
}
STORE_DOMAIN = ("stdtax/similar.h", "stdtax/textquery.h", "stdtax/normalise.h",
                "stdtax/taxonomy.h", "stdtax/classifier.h", "stdtax/proposal.h")


def files():
    for top in ("include/stdtax", "src/lib", "src/daemon", "src/cli"):
        d = os.path.join(SRC, top)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield top, name


def module_of(top, name, headers):
    base = name[:-2]
    if base.startswith("service"):
        # One module with a header per area (service_overlap.h, service_store.h, ...):
        # its files share service_internal.h by design.
        return "lib", "service"
    if top in ("include/stdtax", "src/lib"):
        if base.endswith("_internal"):
            base = base[: -len("_internal")]
        parts = base.split("_")
        for n in range(len(parts), 0, -1):
            cand = "_".join(parts[:n])
            if cand in headers["lib"]:
                return "lib", cand
        return "lib", base
    layer = "daemon" if top == "src/daemon" else "cli"
    return layer, base


def rank_of(layer, mod):
    if layer in ("daemon", "cli"):
        return 3
    for _, rank, mods in RANKS:
        if mod in mods:
            return rank
    return None


def main():
    all_files = list(files())
    headers = {"lib": {n[:-2] for t, n in all_files if t == "include/stdtax"}}
    edges = {}
    problems = []
    known = []
    unranked = set()
    for top, name in all_files:
        layer, mod = module_of(top, name, headers)
        with open(os.path.join(SRC, top, name), encoding="utf-8") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            for rl, bad, why in RULES:
                includer = "lib" if top in ("include/stdtax", "src/lib") else layer
                if includer == rl and inc.startswith(bad):
                    problems.append(f"{top}/{name} includes {inc}: {why}")
            if top == "src/lib" and mod == "store" and inc in STORE_DOMAIN:
                why = KNOWN.get((f"{top}/{name}", inc))
                if why:
                    known.append(f"{top}/{name} includes {inc}: {why}")
                else:
                    problems.append(f"{top}/{name} includes {inc}: the store is storage")
            if inc.startswith("stdtax/"):
                tl, tm = module_of("include/stdtax", inc[len("stdtax/"):], headers)
            elif inc == "config.h":
                continue  # autoconf's, not a module
            elif top in ("src/daemon", "src/cli"):
                tl, tm = layer, inc[:-2]
            else:
                tl, tm = module_of("src/lib", inc, headers)
            if (tl, tm) == (layer, mod):
                continue
            edges.setdefault((layer, mod), set()).add((tl, tm))
            r_from, r_to = rank_of(layer, mod), rank_of(tl, tm)
            if r_from is None:
                unranked.add(mod)
            elif r_to is None:
                unranked.add(tm)
            elif r_to > r_from:
                problems.append(f"{top}/{name} ({mod}, rank {r_from}) includes {inc} "
                                f"({tm}, rank {r_to}): a layer includes only layers "
                                f"below it")
    for mod in sorted(unranked):
        problems.append(f"module {mod} has no layer in tests/layering.py RANKS")
    # circles: depth-first search for a back edge
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                circle = stack[stack.index(nxt):] + [nxt]
                problems.append("circle: " + " -> ".join(f"{l}/{m}" for l, m in circle))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    print("1..1")
    if problems:
        print("not ok 1 - the layers of doc/architecture.md hold")
        for p in problems:
            print("# " + p)
    else:
        print("ok 1 - the layers of doc/architecture.md hold")
    for k in known:
        print("# known: " + k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
