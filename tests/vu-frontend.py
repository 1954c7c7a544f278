#!/usr/bin/env python3
"""tests/vu-frontend.py - a vhost-user front end and a virtio-vsock driver in one, for
tests/cli/vsockdev.sh: it plays QEMU (the messages of reference/vhost-user-vsock.md, a
memfd as guest memory) and the guest driver (split rings laid out by hand), so vsockdev can
be checked on the build machine without a VM, including with rings no real driver would
write.  No AF_VSOCK anywhere: the vhost-user socket and the hybrid sockets are UNIX sockets.

Usage: vu-frontend.py VHOST_USER_SOCKET UDS_PATH CID
Prints one line per check, "ok - ..." or "not ok - ...", and exits 0 if all passed.
"""
import mmap
import os
import select
import socket
import struct
import sys
import time

sock_path, uds, cid = sys.argv[1], sys.argv[2], int(sys.argv[3])
failed = False


def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    failed |= not cond
    return cond


# ---- vhost-user ----
vu = socket.socket(socket.AF_UNIX)
vu.connect(sock_path)
vu.settimeout(10)


def send(req, payload=b"", fds=(), flags=1):
    socket.send_fds(vu, [struct.pack("<III", req, flags, len(payload)) + payload], list(fds))


def recv_exact(n):
    b = b""
    while len(b) < n:
        c = vu.recv(n - len(b))
        if not c:
            raise EOFError("vsockdev closed the vhost-user socket")
        b += c
    return b


def reply(req):
    r, fl, size = struct.unpack("<III", recv_exact(12))
    body = recv_exact(size)
    if r != req or fl != 0x5:
        check(False, f"reply to {req}: request {r}, flags {fl:#x} (want 0x5)")
    return body


def u64(v):
    return struct.pack("<Q", v)


send(1)
feat = struct.unpack("<Q", reply(1))[0]
check(feat == 0x150000002,
      f"GET_FEATURES {feat:#x}: VERSION_1, PROTOCOL_FEATURES, INDIRECT_DESC, SEQPACKET")
send(15)
pf = struct.unpack("<Q", reply(15))[0]
check(pf == 0x209, f"GET_PROTOCOL_FEATURES {pf:#x}: MQ, REPLY_ACK, CONFIG")
send(16, u64(0x209))
send(3)
send(24, struct.pack("<III", 0, 8, 0) + bytes(8))
cfg = reply(24)
check(len(cfg) == 20 and struct.unpack("<IIIQ", cfg) == (0, 8, 0, cid),
      f"GET_CONFIG: the 20-byte reply with guest_cid {cid}")
# SET_FEATURES with a bit that was not offered is refused (REPLY_ACK: non-zero)
send(2, u64(1 << 33), flags=0x9)
check(struct.unpack("<Q", reply(2))[0] != 0, "SET_FEATURES with an unoffered bit: refused")

# ---- guest memory: a memfd, mapped by vsockdev at mmap_offset 0x1000 ----
GPA, UVA, OFF, SIZE = 0x100000, 0x7F0000000000, 0x1000, 0x40000
NUM = 8
fd = os.memfd_create("guest")
os.ftruncate(fd, OFF + SIZE)
mem = mmap.mmap(fd, OFF + SIZE)
RINGS = {0: (0x0000, 0x0100, 0x0200), 1: (0x1000, 0x1100, 0x1200)}
RXBUF, TXBUF, BUFLEN = GPA + 0x10000, GPA + 0x20000, 4096


def at(gpa):
    return OFF + gpa - GPA


kick = {q: os.eventfd(0, os.EFD_NONBLOCK) for q in (0, 1)}
call = {q: os.eventfd(0, os.EFD_NONBLOCK) for q in (0, 1)}
for q in (0, 1):
    send(13, u64(q), [call[q]])
send(2, u64(0x140000000), flags=0x9)
check(struct.unpack("<Q", reply(2))[0] == 0, "SET_FEATURES 0x140000000 acknowledged")
send(5, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", GPA, SIZE, UVA, OFF), [fd], flags=0x9)
check(struct.unpack("<Q", reply(5))[0] == 0, "SET_MEM_TABLE (REPLY_ACK) answered 0")
for q, (d, a, u) in RINGS.items():
    send(8, struct.pack("<II", q, NUM))
    send(10, struct.pack("<II", q, 0))
    # ring addresses in the front end's address space (UVA), as QEMU sends them
    send(9, struct.pack("<IIQQQQ", q, 0, UVA + d, UVA + u, UVA + a, GPA + u))
    send(12, u64(q), [kick[q]])
    send(18, struct.pack("<II", q, 1))

# ---- the driver ----
avail_idx = {0: 0, 1: 0}
used_seen = {0: 0, 1: 0}


def desc(q, i, addr, length, flags, nxt=0):
    struct.pack_into("<QIHH", mem, at(GPA + RINGS[q][0] + 16 * i), addr, length, flags, nxt)


def publish(q, head):
    a = GPA + RINGS[q][1]
    struct.pack_into("<H", mem, at(a + 4 + 2 * (avail_idx[q] % NUM)), head)
    avail_idx[q] = (avail_idx[q] + 1) & 0xFFFF
    struct.pack_into("<H", mem, at(a + 2), avail_idx[q])
    os.eventfd_write(kick[q], 1)


def used(q, timeout=5.0):
    """The next used element of queue q, waiting for the call eventfd."""
    u = GPA + RINGS[q][2]
    deadline = time.monotonic() + timeout
    while True:
        idx = struct.unpack_from("<H", mem, at(u + 2))[0]
        if idx != used_seen[q]:
            e = struct.unpack_from("<II", mem, at(u + 4 + 8 * (used_seen[q] % NUM)))
            used_seen[q] = (used_seen[q] + 1) & 0xFFFF
            return e
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        # an interrupt may stand for elements already read: wait, clear, look again
        if select.select([call[q]], [], [], left)[0]:
            os.eventfd_read(call[q])


def hdr(src_port, dst_port, op, length=0, type_=1, flags=0, dst_cid=2):
    return struct.pack("<QQIIIHHIII", cid, dst_cid, src_port, dst_port, length, type_, op,
                       flags, 262144, 0)


def tx(pkt, head=0):
    mem[at(TXBUF):at(TXBUF) + len(pkt)] = pkt
    desc(1, head, TXBUF, len(pkt), 0)
    publish(1, head)
    return used(1)


def rx_post(i):
    desc(0, i, RXBUF + BUFLEN * i, BUFLEN, 2)   # VRING_DESC_F_WRITE
    publish(0, i)


def rx():
    e = used(0)
    if e is None:
        return None
    head, length = e
    b = bytes(mem[at(RXBUF + BUFLEN * head):at(RXBUF + BUFLEN * head) + length])
    rx_post(head)
    f = struct.unpack_from("<QQIIIHHIII", b)
    return {"src_cid": f[0], "dst_cid": f[1], "src_port": f[2], "dst_port": f[3],
            "len": f[4], "type": f[5], "op": f[6], "flags": f[7], "data": b[44:]}


for i in range(NUM - 1):
    rx_post(i)

# guest to host: REQUEST to port 6000, where a host program listens
lst = socket.socket(socket.AF_UNIX)
lst.bind(uds + "_6000")
lst.listen()
check(tx(hdr(1000, 6000, 1)) is not None, "tx: REQUEST taken and given back")
p = rx()
check(p is not None and p["op"] == 2 and p["src_cid"] == 2 and p["dst_cid"] == cid
      and (p["src_port"], p["dst_port"]) == (6000, 1000), "RESPONSE to the guest's REQUEST")
lst.settimeout(5)
host, _ = lst.accept()
host.settimeout(5)
tx(hdr(1000, 6000, 5, 4) + b"pong")
check(host.recv(100) == b"pong", "guest RW reaches the host program")
host.sendall(b"ping")
p = rx()
check(p is not None and p["op"] == 5 and p["data"] == b"ping", "host program's bytes: RW to the guest")
tx(hdr(1000, 6000, 5, 8) + b"overflow", head=1)
# no listener at UDS_6001: RST; an unknown type: RST; an RST gets nothing
tx(hdr(1001, 6001, 1), head=2)
p = rx()
check(p is not None and p["op"] == 3 and p["dst_port"] == 1001, "REQUEST to a port nobody serves: RST")
tx(hdr(1002, 6000, 1, type_=9), head=3)
p = rx()
check(p is not None and p["op"] == 3 and p["type"] == 9, "unknown type 9: RST")
tx(hdr(1003, 6000, 1, type_=2), head=4)
p = rx()
check(p is not None and p["op"] == 3 and p["type"] == 2, "seqpacket when not negotiated: RST")
check(host.recv(100) == b"overflow", "a second RW arrives too")

# ---- a driver that breaks ring rules ----
# rx: the next buffer is a descriptor that loops to itself; the host program's bytes make
# vsockdev pop it
desc(0, 7, RXBUF + BUFLEN * 7, BUFLEN, 2 | 1, 7)
avail_rx_before = avail_idx[0]
# take every posted buffer but the loop out of reach: fill the ring's remaining entries
# with the loop head
for _ in range(NUM - ((avail_idx[0] - used_seen[0]) & 0xFFFF)):
    publish(0, 7)
for _ in range(16):
    host.sendall(b"x" * 3000)
# tx: an avail entry that is not a descriptor index
publish(1, 200)
select.select([], [], [], 1.0)

send(11, struct.pack("<II", 1, 0))
b = struct.unpack("<II", reply(11))
check(b[0] == 1, f"GET_VRING_BASE tx answered after a broken ring (base {b[1]})")
send(11, struct.pack("<II", 0, 0))
b = struct.unpack("<II", reply(11))
check(b[0] == 0, f"GET_VRING_BASE rx answered after a broken ring (base {b[1]})")
host.close()
vu.close()
sys.exit(1 if failed else 0)
