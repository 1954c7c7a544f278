#!/usr/bin/env python3
"""tests/vm/vsock-agent.py - the application side of a guest kernel under test: opens,
reads, writes, shuts down and closes AF_VSOCK sockets on command.  It runs inside the test
VM only; its commands come over an out-of-band line channel (a virtio-serial port the host
reaches through a QEMU chardev UNIX socket), so the vsock device under test carries nothing
but the sockets' own packets.

Usage: vsock-agent.py PORT_NAME   (the virtio-serial port's name, e.g. vskagent)

One command a line, one answer a line: "ok ..." or "err ENAME text".
  hello                        ok vsock-agent CID           (the guest's CID)
  listen PORT TYPE             ok H                         (TYPE stream or seqpacket)
  accept H MS                  ok H2        | err ETIMEDOUT
  connect CID PORT TYPE        ok H                         (non-blocking: it goes on)
  connected H MS               ok           | err ECONNREFUSED, ETIMEDOUT, ECONNRESET
  send H EOR HEX               ok N         | err EAGAIN, EPIPE, ECONNRESET (EOR 0 or 1)
  recv H LEN MS                ok N EOR HEX (N 0 and HEX "-" at end of file)
                               | err ETIMEDOUT, ECONNRESET
  shutdown H rd|wr|rdwr        ok
  close H                      ok
  setbuf H SIZE                ok           (SO_VM_SOCKETS_BUFFER_SIZE and _MAX_SIZE)
  reset                        ok           (every socket closed)
"""
import errno
import fcntl
import os
import select
import socket
import sys
import time

SOL_VSOCK = getattr(socket, "AF_VSOCK", 40)
SO_VM_SOCKETS_BUFFER_SIZE = 0
SO_VM_SOCKETS_BUFFER_MAX_SIZE = 2
TYPES = {"stream": socket.SOCK_STREAM, "seqpacket": socket.SOCK_SEQPACKET}
HOWS = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}

socks = {}
next_h = 0


class Fail(Exception):
    def __init__(self, err, text=""):
        super().__init__(text)
        self.err = err


def add(s):
    global next_h
    next_h += 1
    socks[next_h] = s
    return next_h


def get(h):
    s = socks.get(int(h))
    if s is None:
        raise Fail(errno.EBADF, f"no socket {h}")
    return s


def wait(s, ms, write=False):
    r, w, _ = select.select([] if write else [s], [s] if write else [], [], int(ms) / 1000)
    return bool(r or w)


def cmd(words):
    op, a = words[0], words[1:]
    if op == "hello":
        with open("/dev/vsock", "rb") as f:
            cid = int.from_bytes(fcntl.ioctl(f, 0x7b9, bytes(4)), "little")
        return f"vsock-agent {cid}"
    if op == "listen":
        s = socket.socket(socket.AF_VSOCK, TYPES[a[1]])
        s.bind((socket.VMADDR_CID_ANY, int(a[0])))
        s.listen(16)
        s.setblocking(False)
        return str(add(s))
    if op == "accept":
        s = get(a[0])
        if not wait(s, a[1]):
            raise Fail(errno.ETIMEDOUT, "no connection")
        c, _ = s.accept()
        c.setblocking(False)
        return str(add(c))
    if op == "connect":
        s = socket.socket(socket.AF_VSOCK, TYPES[a[2]])
        s.setblocking(False)
        e = s.connect_ex((int(a[0]), int(a[1])))
        if e not in (0, errno.EINPROGRESS):
            s.close()
            raise Fail(e, "connect")
        return str(add(s))
    if op == "connected":
        s = get(a[0])
        if not wait(s, a[1], write=True):
            raise Fail(errno.ETIMEDOUT, "connect not finished")
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e:
            raise Fail(e, "connect")
        return ""
    if op == "send":
        s = get(a[0])
        data = bytes.fromhex(a[2]) if len(a) > 2 and a[2] != "-" else b""
        flags = socket.MSG_EOR if a[1] == "1" else 0
        return str(s.send(data, flags | socket.MSG_NOSIGNAL))
    if op == "recv":
        s = get(a[0])
        if not wait(s, a[2]):
            raise Fail(errno.ETIMEDOUT, "nothing to read")
        data, _, flags, _ = s.recvmsg(int(a[1]))
        eor = 1 if flags & socket.MSG_EOR else 0
        return f"{len(data)} {eor} {data.hex() if data else '-'}"
    if op == "shutdown":
        get(a[0]).shutdown(HOWS[a[1]])
        return ""
    if op == "close":
        get(a[0]).close()
        del socks[int(a[0])]
        return ""
    if op == "setbuf":
        s = get(a[0])
        # Python passes an int to an AF_VSOCK socket as the u64 these options take
        for o in (SO_VM_SOCKETS_BUFFER_MAX_SIZE, SO_VM_SOCKETS_BUFFER_SIZE):
            s.setsockopt(SOL_VSOCK, o, int(a[1]))
        return ""
    if op == "reset":
        for s in socks.values():
            s.close()
        socks.clear()
        return ""
    raise Fail(errno.EINVAL, f"unknown command {op}")


def answer(line):
    try:
        words = line.split()
        if not words:
            raise Fail(errno.EINVAL, "empty line")
        r = cmd(words)
        return "ok" + (" " + r if r else "")
    except Fail as e:
        return f"err {errno.errorcode.get(e.err, 'EIO')} {e}"
    except OSError as e:
        return f"err {errno.errorcode.get(e.errno or errno.EIO, 'EIO')} {e.strerror}"
    except (ValueError, IndexError, KeyError, TypeError, OverflowError) as e:
        return f"err EINVAL bad arguments: {e}"


def port_path(name):
    base = "/sys/class/virtio-ports"
    for d in os.listdir(base) if os.path.isdir(base) else []:
        with open(f"{base}/{d}/name") as f:
            if f.read().strip() == name:
                return "/dev/" + d
    return None


def main():
    path = port_path(sys.argv[1])
    if not path:
        print(f"vsock-agent: no virtio-serial port named {sys.argv[1]}", file=sys.stderr)
        return 1
    fd = os.open(path, os.O_RDWR)
    buf = b""
    while True:
        b = os.read(fd, 65536)
        if not b:
            # the host end is not connected: wait for it
            time.sleep(0.1)
            continue
        buf += b
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            out = (answer(line.decode("ascii", "replace")) + "\n").encode()
            # a virtio-serial port takes at most 32 KiB a write
            while out:
                out = out[os.write(fd, out):]


if __name__ == "__main__":
    sys.exit(main())
