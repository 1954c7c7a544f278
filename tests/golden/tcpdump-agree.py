#!/usr/bin/env python3
"""Checks vsockdump --json against tcpdump -v text, packet by packet.

tcpdump -v prints, per frame:
  [N  ]DATE TIME VIRTIO (len L, type STREAM, op OP, flags F, buf_alloc B, fwd_cnt C)
  <tab>SRC.PORT > DST.PORT MONOP, length CAPLEN
Without --subset both files must hold the same frames.  With --subset, frames tcpdump did
not decode (anything but a full VIRTIO STREAM header) are skipped, matched by timestamp.
"""
import datetime
import json
import re
import sys

HDR = re.compile(r'^\s*(?:\d+\s+)?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) VIRTIO \(len (\d+), '
                 r'type (\w+), op ([A-Z ]+), flags (\d+), buf_alloc (\d+), fwd_cnt (\d+)\)$')
ADDR = re.compile(r'^\t(\d+)\.(\d+) > (\d+)\.(\d+) (\w+), length (\d+)$')


def parse_tcpdump(path):
    frames, lines = [], open(path).read().splitlines()
    for i, line in enumerate(lines):
        m = HDR.match(line)
        if not m or i + 1 >= len(lines):
            continue
        a = ADDR.match(lines[i + 1])
        if not a:
            continue
        ts = datetime.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S.%f').replace(
            tzinfo=datetime.timezone.utc)
        frames.append({
            'ts': round(ts.timestamp(), 6), 'len': int(m.group(2)), 'type': m.group(3).lower(),
            'op': m.group(4).lower().replace(' ', '_'), 'flags': int(m.group(5)),
            'buf_alloc': int(m.group(6)), 'fwd_cnt': int(m.group(7)),
            'src_cid': int(a.group(1)), 'src_port': int(a.group(2)),
            'dst_cid': int(a.group(3)), 'dst_port': int(a.group(4)),
            'mon_op': a.group(5).lower(), 'caplen': int(a.group(6))})
    return frames


def main():
    args = sys.argv[1:]
    subset = args and args[0] == '--subset'
    if subset:
        args = args[1:]
    want = parse_tcpdump(args[0])
    got = [json.loads(line) for line in open(args[1])]
    if not want:
        print('no frames parsed from', args[0])
        return 1
    if not subset and len(want) != len(got):
        print('tcpdump has %d frames, vsockdump %d' % (len(want), len(got)))
        return 1
    by_ts = {}
    for g in got:
        by_ts.setdefault(round(g['ts'], 6), []).append(g)
    bad = 0
    for i, w in enumerate(want):
        g = got[i] if not subset else (by_ts.get(w['ts']) or [None])[0]
        if g is None:
            print('frame %d (ts %.6f): not in vsockdump output' % (i + 1, w['ts']))
            bad += 1
            continue
        for k, v in w.items():
            gv = round(g.get(k), 6) if k == 'ts' else g.get(k)
            if gv != v:
                print('frame %d: %s: tcpdump %r, vsockdump %r' % (i + 1, k, v, gv))
                bad += 1
    print('%d frames compared, %d fields disagree' % (len(want), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
