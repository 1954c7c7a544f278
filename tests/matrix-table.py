#!/usr/bin/env python3
"""tests/matrix-table.py OUT KERNEL... - the conformance matrix as Markdown (tests/matrix.sh):
per target (vhost, guest) a table of case by kernel, each cell the verdict, marked where it
differs from the kernel before: **bold** a changed verdict, * a changed observation (the
case's 'observed' text, numbers of 8 digits or more, the kernel's random ports, left out);
then every change, with both texts.  A kernel without a report shows '?' in its column."""
import json
import os
import re
import sys

TARGETS = [("vhost", "vhost/conformance-vhost.json"), ("guest", "guest/run.json")]
SHORT = {"pass": "pass", "fail": "FAIL", "n/a": "n/a"}


def norm(text):
    return re.sub(r"[0-9]{8,}", "N", text or "")


def load(path):
    try:
        with open(path) as f:
            return {c["name"]: c for c in json.load(f)["cases"]}
    except (OSError, ValueError, KeyError):
        return None


def main():
    out, kernels = sys.argv[1], sys.argv[2:]
    print(f"Kernels: {', '.join(kernels)}.\n")
    for target, rel in TARGETS:
        reports = [load(os.path.join(out, k, rel)) for k in kernels]
        names = []
        for r in reports:
            for n in r or {}:
                if n not in names:
                    names.append(n)
        print(f"### Target `{target}`\n")
        print("| case | " + " | ".join(kernels) + " |")
        print("|---|" + "---|" * len(kernels))
        changes = []
        for n in names:
            cells, prev = [], None
            for k, r in zip(kernels, reports):
                c = (r or {}).get(n)
                if c is None:
                    cells.append("?")
                    continue
                v, obs = c["verdict"], c.get("observed", "")
                cell = SHORT.get(v, v)
                if prev is not None and prev["verdict"] != v:
                    cell = f"**{cell}**"
                    changes.append((n, prevk, k, f"{prev['verdict']} -> {v}", prev, c))
                elif prev is not None and norm(prev.get("observed")) != norm(obs):
                    cell += "*"
                    changes.append((n, prevk, k, "observed", prev, c))
                cells.append(cell)
                prev, prevk = c, k
            print(f"| `{n}` | " + " | ".join(cells) + " |")
        print()
        if changes:
            print(f"Changes ({target}):\n")
            for n, a, b, what, pc, c in changes:
                print(f"- `{n}`, {a} to {b}: {what}")
                print(f"  - {a}: {pc.get('rule') or ''} {pc.get('observed', '')}".rstrip())
                print(f"  - {b}: {c.get('rule') or ''} {c.get('observed', '')}".rstrip())
            print()
        else:
            print(f"No case changed verdict or observation from one kernel to the next ({target}).\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
