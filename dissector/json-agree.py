#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""json-agree.py PDML JSON - the plugin's fields (tshark -T pdml) agree with vsockdump --json,
packet by packet: timestamp, caplen, the vsockmon addresses, op and transport, the virtio
type, op (by name), flags and flag names, len, buf_alloc, fwd_cnt, decoder problems, and
the flow findings (rule, connection, detail, timed).  Prints one line per disagreement
and "agree: N packets, M findings" at the end; exit status 1 on any disagreement."""
import json
import sys
import xml.etree.ElementTree as ET


def load_json(path):
    """Packet records, each with the violation records that belong to it: a timed finding
    is printed before the packet whose time revealed it, the others after their packet."""
    pkts, pending = [], []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("record") == "violation":
                if r["timed"]:
                    pending.append(r)
                else:
                    pkts[-1]["_v"].append(r)
            elif "record" in r:
                continue
            else:
                r["_v"] = pending
                pending = []
                pkts.append(r)
    return pkts


def load_pdml(path):
    pkts = []
    for _, el in ET.iterparse(path):
        if el.tag != "packet":
            continue
        p = {"fields": {}, "shownames": {}, "violations": [], "experts": [], "flags": set()}
        for f in el.iter("field"):
            name = f.get("name", "")
            if name == "vsockkit.analysis.violation":
                stream = None
                for c in f.iter("field"):
                    if c.get("name") == "vsockkit.analysis.violation.stream":
                        stream = int(c.get("show"))
                p["violations"].append((f.get("show"), stream))
            elif name.startswith("vsockkit.rule."):
                p["experts"].append((name[len("vsockkit.rule."):], f.get("showname", "")))
            elif name.startswith("vsockkit.flags.") and f.get("show") in ("1", "True"):
                p["flags"].add(name[len("vsockkit.flags."):])
            elif name == "vsockkit.problem":
                p["fields"].setdefault(name, []).append(f.get("show"))
            elif name.startswith("vsockkit.") or name in ("frame.time_epoch", "frame.cap_len"):
                p["fields"].setdefault(name, [f.get("show")])
                p["shownames"].setdefault(name, f.get("showname", ""))
        pkts.append(p)
        el.clear()
    return pkts


def label(p, field):
    """The value name in a showname "op: RW (5)", lowercased; the number if unnamed."""
    sn = p["shownames"].get(field)
    v = p["fields"].get(field, [None])[0]
    if sn is None:
        return None
    text = sn.split(": ", 1)[1] if ": " in sn else sn
    if text.endswith(")") and " (" in text and not text.startswith("Unknown ("):
        return text.rsplit(" (", 1)[0].lower()
    return int(v)


def main():
    pdml, js = load_pdml(sys.argv[1]), load_json(sys.argv[2])
    bad = []
    nfind = 0
    if len(pdml) != len(js):
        bad.append(f"packet count: tshark {len(pdml)}, vsockdump {len(js)}")
    for i, (p, j) in enumerate(zip(pdml, js), 1):
        f = p["fields"]

        def get(name):
            return int(f[name][0]) if name in f else None

        def want(key, got):
            if j.get(key) != got:
                bad.append(f"packet {i}: {key}: vsockdump {j.get(key)!r}, tshark {got!r}")

        ts = f.get("frame.time_epoch", ["0"])[0]
        sec, _, frac = ts.partition(".")
        want("ts", float(f"{sec}.{(frac + '000000')[:6]}"))
        want("caplen", get("frame.cap_len"))
        for k in ("src_cid", "dst_cid", "src_port", "dst_port"):
            want(k, get("vsockkit.mon." + k))
        want("mon_op", label(p, "vsockkit.mon.op"))
        want("transport", label(p, "vsockkit.mon.transport"))
        want("type", label(p, "vsockkit.type"))
        want("op", label(p, "vsockkit.op"))
        flags = f.get("vsockkit.flags")
        want("flags", int(flags[0], 16) if flags else None)
        if "flag_names" in j or p["flags"]:
            if set(j.get("flag_names", [])) != p["flags"]:
                bad.append(f"packet {i}: flag_names: vsockdump {j.get('flag_names')}, "
                           f"tshark {sorted(p['flags'])}")
        for k in ("len", "buf_alloc", "fwd_cnt"):
            want(k, get("vsockkit." + k))
        if set(j.get("problems", [])) != set(f.get("vsockkit.problem", [])):
            bad.append(f"packet {i}: problems: vsockdump {j.get('problems')}, "
                       f"tshark {f.get('vsockkit.problem')}")
        jv = sorted((v["rule"], v["conn"] - 1 if v.get("conn") else None) for v in j["_v"])
        tv = sorted(p["violations"])
        if jv != tv:
            bad.append(f"packet {i}: findings: vsockdump {jv}, tshark {tv}")
        for v in j["_v"]:
            nfind += 1
            if not any(r == v["rule"] and v["detail"] in msg and v["clause"] in msg
                       for r, msg in p["experts"]):
                bad.append(f"packet {i}: no expert info for {v['rule']} naming "
                           f"'{v['clause']}' and '{v['detail']}'")
    for b in bad[:50]:
        print(b)
    print(f"agree: {len(js)} packets, {nfind} findings" if not bad else
          f"disagree: {len(bad)} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
