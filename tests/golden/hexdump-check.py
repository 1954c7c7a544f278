#!/usr/bin/env python3
"""Checks vsockdump's hex dumps against the capture's own bytes, read here independently.

Usage: hexdump-check.py x|xx|X CAPTURE OUTPUT
CAPTURE is a pcap or pcapng file, OUTPUT what `vsockdump -r CAPTURE -x` (-xx, -X) printed.
Each frame's line (no leading tab) is followed by its dump: lines "<tab>0xOFFSET:  hex..."
of 16 bytes each at consecutive offsets.  -x and -X dump the payload (the bytes after the
vsockmon header and the transport header it announces, at least the 44-byte virtio header
for transport virtio), -xx the whole frame; -X adds the bytes as ASCII, '.' for what is
not printable.  A frame with nothing to dump has no dump lines.  The n-th frame line is the
n-th frame of the capture (no filter).  Prints what disagrees; exit 1 if anything does or
no dump was checked.
"""
import re
import struct
import sys

MON_HDR, VIRTIO_HDR, VIRTIO = 32, 44, 2   # the vsockmon header, the virtio header, its id


def frames(path):
    data = open(path, 'rb').read()
    magic = data[:4]
    if magic == b'\x0a\x0d\x0d\x0a':     # pcapng: the enhanced packet blocks
        off, out = 0, []
        while off + 12 <= len(data):
            btype, blen = struct.unpack_from('<II', data, off)
            if btype == 6:
                caplen = struct.unpack_from('<I', data, off + 20)[0]
                out.append(data[off + 28:off + 28 + caplen])
            off += blen
        return out
    endian = {b'\xd4\xc3\xb2\xa1': '<', b'\x4d\x3c\xb2\xa1': '<',
              b'\xa1\xb2\xc3\xd4': '>', b'\xa1\xb2\x3c\x4d': '>'}[magic]
    off, out = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack_from(endian + 'I', data, off + 8)[0]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def dumped(mode, frame):
    if mode == 'xx':
        return frame
    if len(frame) < MON_HDR:
        return b''
    transport, tlen = struct.unpack_from('<HH', frame, 26)
    end = MON_HDR + tlen
    if transport == VIRTIO:
        end = max(end, MON_HDR + VIRTIO_HDR)
    return frame[end:]


LINE = re.compile(r'^\t0x([0-9a-f]{4}):  ((?:[0-9a-f]{2,4} ?)+?)(?: {2,}(.*))?$')


def main():
    mode, cap, out = sys.argv[1:4]
    want = frames(cap)
    blocks = []                        # per frame line: its dump lines
    for line in open(out, encoding='latin-1').read().splitlines():
        if line.startswith('\t'):
            if not blocks:
                print('a dump line before any frame line: %r' % line)
                return 1
            blocks[-1].append(line)
        else:
            blocks.append([])
    bad = checked = 0
    if len(blocks) > len(want):
        print('%d frame lines, the capture has %d frames' % (len(blocks), len(want)))
        return 1
    for i, lines in enumerate(blocks):
        exp = dumped(mode, want[i])
        got, text = b'', ''
        for k, line in enumerate(lines):
            m = LINE.match(line)
            if not m or int(m.group(1), 16) != 16 * k:
                print('frame %d: dump line %d malformed: %r' % (i + 1, k, line))
                bad += 1
                break
            got += bytes.fromhex(m.group(2).replace(' ', ''))
            text += m.group(3) or ''
        if got != exp:
            print('frame %d: dumped %s, capture has %s' % (i + 1, got.hex(), exp.hex()))
            bad += 1
        if mode == 'X' and text != ''.join(chr(b) if 32 <= b < 127 else '.' for b in exp):
            print('frame %d: ASCII %r for %s' % (i + 1, text, exp.hex()))
            bad += 1
        checked += bool(exp)
    print('%d frames, %d with bytes to dump, checked against the capture; %d disagree'
          % (len(blocks), checked, bad))
    return 1 if bad or not checked else 0


if __name__ == '__main__':
    sys.exit(main())
