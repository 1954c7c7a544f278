#!/usr/bin/env python3
"""Checks vsockdump --json against tcpdump -v text, packet by packet.

tcpdump -v prints, per frame, a timestamp line and the vsockmon header's addresses:
  [N  ]DATE TIME VIRTIO (len L, type T, op O, flags F, buf_alloc B, fwd_cnt C)
  <tab>SRC.PORT > DST.PORT MONOP, length CAPLEN
or, without a whole virtio header, the transport (NO_INFO, "Invalid transport (7)", or
VIRTIO cut short) with the addresses on the same or the next line.  Every frame whose
vsockmon header tcpdump decoded is compared: the addresses, the monitor op and the length,
the transport, and the virtio fields when it printed them.  Names tcpdump does not know
are normalised to numbers ("Invalid type (2)" is type 2, "invalid op (9)" op 9), and so
are vsockdump's names, through the tables of lib/vsock.def.  Frames tcpdump did not decode
at all ("[|vsock]" alone) are counted, not compared.

Usage: tcpdump-agree.py [--subset] [--min N] TCPDUMP-TEXT VSOCKDUMP-JSON
Without --subset both files must hold the same frames; with it, vsockdump's are matched to
tcpdump's by timestamp.  --min N: fail if fewer than N frames were compared.
"""
import datetime
import json
import os
import re
import sys

TS = re.compile(r'^\s*(?:\d+\s+)?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) ?(.*)$')
VIRTIO = re.compile(r'^VIRTIO \(len (\d+), type (.+?), op (.+?), flags (\d+), '
                    r'buf_alloc (\d+), fwd_cnt (\d+)\)$')
ADDR = re.compile(r'(\d+)\.(\d+) > (\d+)\.(\d+) +(.+?), length (\d+)')
INVALID = re.compile(r'^invalid (?:type|op|transport) \((\d+)\)$', re.I)


def tables():
    """name -> number for each table of lib/vsock.def (types, ops, monitor ops, transports)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lib',
                        'vsock.def')
    t = {'type': {}, 'op': {}, 'mon_op': {}, 'transport': {}}
    macro = {'VSK_TYPE': 'type', 'VSK_OP': 'op', 'VSK_MON_OP': 'mon_op',
             'VSK_TRANSPORT': 'transport'}
    for line in open(path):
        m = re.match(r'^(VSK_[A-Z_]+)\((\d+), *(\w+),', line)
        if m and m.group(1) in macro:
            t[macro[m.group(1)]][m.group(3).lower()] = int(m.group(2))
    return t


def number(tab, kind, name):
    """A tcpdump or vsockdump name (or a number) as its number; None if unknown."""
    if isinstance(name, int):
        return name
    m = INVALID.match(name.strip())
    if m:
        return int(m.group(1))
    return tab[kind].get(name.strip().lower().replace(' ', '_'))


def parse_tcpdump(path, tab):
    """(frames tcpdump decoded, frames it printed in all)."""
    lines = open(path).read().splitlines()
    frames, total = [], 0
    for i, line in enumerate(lines):
        m = TS.match(line)
        if not m:
            continue
        total += 1
        rest = m.group(2)
        nxt = lines[i + 1] if i + 1 < len(lines) and not TS.match(lines[i + 1]) else ''
        a = ADDR.search(rest) or ADDR.search(nxt)
        if not a:
            continue     # not even the vsockmon header: nothing to compare
        ts = datetime.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S.%f').replace(
            tzinfo=datetime.timezone.utc)
        f = {'ts': round(ts.timestamp(), 6),
             'src_cid': int(a.group(1)), 'src_port': int(a.group(2)),
             'dst_cid': int(a.group(3)), 'dst_port': int(a.group(4)),
             'mon_op': number(tab, 'mon_op', a.group(5)), 'caplen': int(a.group(6))}
        v = VIRTIO.match(rest)
        if v:
            f.update({'len': int(v.group(1)), 'type': number(tab, 'type', v.group(2)),
                      'op': number(tab, 'op', v.group(3)), 'flags': int(v.group(4)),
                      'buf_alloc': int(v.group(5)), 'fwd_cnt': int(v.group(6))})
        same = ADDR.search(rest)
        # the transport is what precedes the addresses ("VIRTIO3.1024 > ..." when cut short)
        f['transport'] = number(tab, 'transport', 'virtio' if rest.startswith('VIRTIO') else
                                rest[:same.start()] if same else rest)
        frames.append(f)
    return frames, total


def main():
    args = sys.argv[1:]
    subset, least = False, 1
    while args and args[0].startswith('--'):
        if args[0] == '--subset':
            subset = True
            args = args[1:]
        elif args[0] == '--min' and len(args) > 1:
            least = int(args[1])
            args = args[2:]
        else:
            print('usage: tcpdump-agree.py [--subset] [--min N] TCPDUMP-TEXT VSOCKDUMP-JSON')
            return 2
    tab = tables()
    want, total = parse_tcpdump(args[0], tab)
    got = [g for g in (json.loads(line) for line in open(args[1])) if 'record' not in g]
    if not subset and total != len(got):
        print('tcpdump has %d frames, vsockdump %d' % (total, len(got)))
        return 1
    by_ts = {}
    for g in got:
        by_ts.setdefault(round(g['ts'], 6), []).append(g)
    bad = 0
    for w in want:
        same_ts = by_ts.get(w['ts'])
        g = same_ts.pop(0) if same_ts else None
        if g is None:
            print('frame at ts %.6f: not in vsockdump output' % w['ts'])
            bad += 1
            continue
        for k, v in w.items():
            gv = g.get(k)
            if k == 'ts':
                gv = round(gv, 6)
            elif k in tab and gv is not None:
                gv = number(tab, k, gv)
            if gv != v or v is None:
                print('frame at ts %.6f: %s: tcpdump %r, vsockdump %r' % (w['ts'], k, v, gv))
                bad += 1
    print('%d of %d frames compared (tcpdump did not decode the rest), %d fields disagree'
          % (len(want), total, bad))
    if len(want) < least:
        print('fewer than %d frames compared' % least)
        return 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
