#!/usr/bin/env python3
"""Writes to stdout the payload of the RW frames sent to one port, in capture order.

Usage: pcap-payload.py FILE PORT

FILE is a pcapng (as vsockdump -w writes them) or pcap of LINKTYPE_VSOCK (271) frames:
a 32-byte af_vsockmon_hdr (its len field is the length of the transport header that follows), the
44-byte virtio_vsock_hdr, then the payload.  All vsock fields are little-endian.  Exits 1,
saying why on stderr, when the file is not such a pcap or an RW frame is cut short.
"""
import struct
import sys

VSK_LINKTYPE_VSOCK = 271
MON_HDR = struct.Struct('<QQIIHHHH')        # src_cid dst_cid src_port dst_port op transport len rsvd
VIRTIO_HDR = struct.Struct('<QQIIIHHIII')   # src_cid dst_cid src_port dst_port len type op flags buf_alloc fwd_cnt
OP_RW = 5
PCAPNG_SHB = b'\x0a\x0d\x0d\x0a'  # pcapng block types (lib/vsock.def VSK_PCAPNG_*)
PCAPNG_IDB, PCAPNG_EPB = 1, 6


def fail(msg):
    print('pcap-payload.py: ' + msg, file=sys.stderr)
    sys.exit(1)


def pcap_records(data):
    """(caplen, len, frame) of each record of a classic pcap."""
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        fail('not a pcap or pcapng file')
    if len(data) < 24 or struct.unpack_from(e + 'I', data, 20)[0] & 0xffff != VSK_LINKTYPE_VSOCK:
        fail('not link type VSOCK')
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            fail('record header cut short at byte %d' % off)
        _, _, incl, orig = struct.unpack_from(e + 'IIII', data, off)
        off += 16
        frame = data[off:off + incl]
        off += incl
        if len(frame) != incl:
            fail('record cut short at byte %d' % off)
        yield incl, orig, frame


def pcapng_records(data):
    """(caplen, len, frame) of each Enhanced Packet Block of a pcapng (one interface of link
    type VSOCK, as vsockdump -w writes it)."""
    off, e = 0, '<'
    while off + 12 <= len(data):
        if data[off:off + 4] == PCAPNG_SHB:
            e = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
        btype, total = struct.unpack_from(e + 'II', data, off)
        if total < 12 or off + total > len(data):
            fail('block cut short at byte %d' % off)
        if btype == PCAPNG_IDB and struct.unpack_from(e + 'H', data, off + 8)[0] != VSK_LINKTYPE_VSOCK:
            fail('not link type VSOCK')
        if btype == PCAPNG_EPB:
            incl, orig = struct.unpack_from(e + 'II', data, off + 20)
            yield incl, orig, data[off + 28:off + 28 + incl]
        off += total


def records(data):
    return pcapng_records(data) if data[:4] == PCAPNG_SHB else pcap_records(data)


def main():
    if len(sys.argv) != 3:
        print('usage: pcap-payload.py FILE PORT', file=sys.stderr)
        return 2
    data = open(sys.argv[1], 'rb').read()
    port = int(sys.argv[2])
    out, frames = bytearray(), 0
    for incl, orig, frame in records(data):
        if len(frame) < MON_HDR.size + VIRTIO_HDR.size:
            continue
        hlen = MON_HDR.unpack_from(frame)[6]
        f = VIRTIO_HDR.unpack_from(frame, MON_HDR.size)
        dst_port, vlen, op = f[3], f[4], f[6]
        if op != OP_RW or dst_port != port:
            continue
        start = MON_HDR.size + hlen
        payload = frame[start:start + vlen]
        if incl != orig or len(payload) != vlen:
            fail('frame %d: %d of %d payload bytes captured' % (frames + 1, len(payload), vlen))
        out += payload
        frames += 1
    sys.stdout.buffer.write(out)
    print('%d RW frames to port %d, %d bytes' % (frames, port, len(out)), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
