#!/usr/bin/env python3
"""tests/relay-peer.py - the device side of a Linux guest's virtio-vsock driver, for
tests/cli/vsockdev-relay.sh: the client of vsockdev --relay (every packet of the guest
driver, byte for byte; our packets into its rx buffers) at CID 2, and the commander of
tests/vm/vsock-agent.py in the guest over its virtio-serial line.  No AF_VSOCK here: both
are UNIX sockets.

Usage: relay-peer.py RELAY_SOCKET AGENT_SOCKET
Prints one line per check, "ok - ..." or "not ok - ...", packets as "# ..."; exits 0 if
all passed.
"""
import socket
import struct
import sys
import time

relay_path, agent_path = sys.argv[1], sys.argv[2]
failed = False
WAIT = 30.0     # an answer that must come (TCG is slow); never a timing assertion
OPS = {1: "REQUEST", 2: "RESPONSE", 3: "RST", 4: "SHUTDOWN", 5: "RW", 6: "CREDIT_UPDATE",
       7: "CREDIT_REQUEST"}


def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    failed |= not cond
    return cond


def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s


agent = connect(agent_path)
agent.settimeout(WAIT)
abuf = b""


def cmd(line):
    """One agent command: its answer line."""
    global abuf
    agent.sendall(line.encode() + b"\n")
    while b"\n" not in abuf:
        b = agent.recv(65536)
        if not b:
            raise EOFError("the agent's line closed")
        abuf += b
    ans, abuf = abuf.split(b"\n", 1)
    print(f"# agent: {line[:60]} -> {ans.decode()[:80]}", flush=True)
    return ans.decode()


relay = connect(relay_path)
rbuf = b""
pending = []


def frame(timeout):
    """The next relay frame (kind, body), or None."""
    global rbuf
    end = time.monotonic() + timeout
    while True:
        if len(rbuf) >= 8:
            kind, _, n = struct.unpack_from("<HHI", rbuf)
            if len(rbuf) >= 8 + n:
                body, rbuf = rbuf[8:8 + n], rbuf[8 + n:]
                return kind, body
        left = end - time.monotonic()
        if left <= 0:
            return None
        relay.settimeout(left)
        try:
            b = relay.recv(65536)
        except socket.timeout:
            return None
        if not b:
            return None
        rbuf += b


FIELDS = ("src_cid", "dst_cid", "src_port", "dst_port", "len", "type", "op", "flags",
          "buf_alloc", "fwd_cnt")


def decode(body):
    p = dict(zip(FIELDS, struct.unpack_from("<QQIIIHHIII", body)))
    p["data"] = body[44:]
    return p


def show(p, way):
    print(f"# {way} {p['src_cid']}:{p['src_port']} > {p['dst_cid']}:{p['dst_port']} "
          f"type {p['type']} {OPS.get(p['op'], p['op'])} flags {p['flags']} len {p['len']} "
          f"buf_alloc {p['buf_alloc']} fwd_cnt {p['fwd_cnt']}", flush=True)


def expect(pred, timeout=WAIT):
    """The first guest packet (not yet taken) that matches, or None."""
    for p in pending:
        if pred(p):
            pending.remove(p)
            return p
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        f = frame(end - time.monotonic())
        if f is None:
            return None
        if f[0] != 1:
            print(f"# relay frame kind {f[0]} {f[1].hex()}", flush=True)
            continue
        p = decode(f[1])
        show(p, "<")
        if pred(p):
            return p
        pending.append(p)
    return None


def send(src_port, dst_port, op, data=b"", type_=1, flags=0, buf_alloc=65536, fwd_cnt=0):
    h = struct.pack("<QQIIIHHIII", 2, cid, src_port, dst_port, len(data), type_, op, flags,
                    buf_alloc, fwd_cnt)
    show(decode(h), ">")
    relay.sendall(struct.pack("<HHI", 1, 0, 44 + len(data)) + h + data)


def pkt(op, src_port=None, dst_port=None, type_=None):
    return lambda p: (p["op"] == op and (src_port is None or p["src_port"] == src_port) and
                      (dst_port is None or p["dst_port"] == dst_port) and
                      (type_ is None or p["type"] == type_))


hello = cmd("hello").split()
check(len(hello) == 3 and hello[:2] == ["ok", "vsock-agent"], "the agent answers hello")
cid = int(hello[2]) if len(hello) == 3 else 3
check(cid == 42, f"the guest's CID is vsockdev's --cid ({cid})")

# ---- ours to the guest's listener ----
lh = cmd("listen 5000 stream").split()[1]
send(7000, 5000, 1)
p = expect(pkt(2, 5000, 7000))
check(p is not None and p["src_cid"] == cid and p["dst_cid"] == 2 and p["type"] == 1,
      "our REQUEST to the guest's listener: its RESPONSE, from its CID to ours")
h = cmd(f"accept {lh} 30000").split()
check(h[0] == "ok", "the agent accepts the connection")
h = h[1] if h[0] == "ok" else "0"
send(7000, 5000, 5, b"hello")
check(cmd(f"recv {h} 100 30000") == "ok 5 0 " + b"hello".hex(), "our RW reaches the application")
check(cmd(f"send {h} 0 {b'world'.hex()}") == "ok 5", "the application sends 5 bytes")
p = expect(pkt(5, 5000, 7000))
check(p is not None and p["data"] == b"world" and p["len"] == 5, "they come as its RW")
# A CREDIT_UPDATE the guest sent on its own after the read went out before that RW (its
# tx queue is in order): dropped here, so that the one taken next answers our
# CREDIT_REQUEST.  Else the answer could still be on its way when the close below ends
# in our RST, and arrive after it (pkt_after_rst in vsockdev --check, seen on 6.12).
pending[:] = [q for q in pending if q["op"] != 6]
send(7000, 5000, 7, fwd_cnt=0)
p = expect(pkt(6, 5000, 7000))
check(p is not None and p["fwd_cnt"] == 5,
      "our CREDIT_REQUEST: its CREDIT_UPDATE, fwd_cnt 5 (the bytes its application read)")
cmd(f"shutdown {h} wr")
p = expect(pkt(4, 5000, 7000))
check(p is not None and p["flags"] == 2, "the application's shutdown(SHUT_WR): SHUTDOWN SEND")
cmd(f"close {h}")
p = expect(pkt(4, 5000, 7000))
check(p is not None and p["flags"] == 3, "its close(2): SHUTDOWN RCV|SEND")
send(7000, 5000, 3)

# ---- the guest's connects to us ----
h2 = cmd("connect 2 6000 stream").split()[1]
p = expect(pkt(1, dst_port=6000))
check(p is not None and p["dst_cid"] == 2, "the application's connect: REQUEST to 2:6000")
if p is not None:
    send(6000, p["src_port"], 3)
# Linux fails a connect answered by RST with ECONNRESET, not ECONNREFUSED
# (net/vmw_vsock/virtio_transport_common.c, virtio_transport_recv_connecting)
check(cmd(f"connected {h2} 30000").startswith("err ECONNRESET"),
      "our RST to it: the connect fails (ECONNRESET)")
h3 = cmd("connect 2 6001 stream").split()[1]
p = expect(pkt(1, dst_port=6001))
check(p is not None, "a second connect: REQUEST to 2:6001")
gport = p["src_port"] if p is not None else 0
send(6001, gport, 2)
check(cmd(f"connected {h3} 30000") == "ok", "our RESPONSE: connected")
check(cmd(f"send {h3} 0 {b'abc'.hex()}") == "ok 3", "the application sends 3 bytes")
p = expect(pkt(5, gport, 6001))
check(p is not None and p["data"] == b"abc", "they come as its RW")
cmd(f"close {h3}")
p = expect(pkt(4, gport, 6001))
check(p is not None and p["flags"] == 3, "its close: SHUTDOWN RCV|SEND")
send(6001, gport, 3)

# ---- a type the guest does not know ----
send(7001, 5000, 1, type_=9)
p = expect(pkt(3, 5000, 7001))
check(p is not None and p["type"] == 9, "a REQUEST of unknown type 9: RST")
cmd("reset")
check(not [q for q in pending if q["op"] not in (3, 6)],
      "no other packet from the guest")
sys.exit(1 if failed else 0)
