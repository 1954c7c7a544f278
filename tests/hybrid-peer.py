#!/usr/bin/env python3
"""tests/hybrid-peer.py - a stand-in for a VMM's hybrid vsock UNIX socket, for the host
tests of vsockcat --uds (tests/cli/vsockcat.sh).  It behaves like one of three VMMs,
with the quirks reference/vsock-facts.md D.3 and E.2 list, and simulates the guest's
listeners itself:

  port 52  echo: collects everything until the host's EOF, answers it upper-cased, closes
  port 53  banner: "hello from guest\\n" in the same write as the OK line, then echoes
           each line upper-cased until EOF
  port 54  a guest that is not ready: no answer at all (Firecracker #1253)
  others   no guest listener: the connection is closed without an answer

  MODE firecracker       "OK <local port>\\n", local ports from 1<<30; CONNECT read with
                         at most 32 bytes; host EOF becomes SHUTDOWN(RCV|SEND) to the
                         guest: the guest's answer is lost, the connection just closes
  MODE cloud-hypervisor  same handshake; half-close passed on correctly (PR #8372)
  MODE vhost-device-vsock "OK <guest port>\\n"; CONNECT read through a buffered reader that
                         swallows bytes sent after the newline; host SHUT_WR never
                         reaches the guest (#874): port 52 never answers

Usage: hybrid-peer.py MODE serve PATH          accept host connections on PATH
       hybrid-peer.py MODE dial PATH PORT DATA the guest connects to the host's PORT:
                                               connect PATH_PORT, send DATA, half-close
                                               (cloud-hypervisor only), print the answer
Every connection is logged to stderr as one line ("conn PORT ...").
"""
import os
import socket
import sys
import threading
import time

MODES = ("firecracker", "cloud-hypervisor", "vhost-device-vsock")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_line(c, mode):
    """The CONNECT line as the VMM reads it; None if the client closed or misbehaved."""
    if mode == "vhost-device-vsock":
        buf = b""
        while b"\n" not in buf:
            chunk = c.recv(4096)
            if not chunk:
                return None
            buf += chunk
        line, rest = buf.split(b"\n", 1)
        if rest:
            log("swallowed", len(rest), "bytes after the CONNECT line")
        return line
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = c.recv(1)
        if not chunk or len(buf) >= 32:
            return None
        buf += chunk
    return buf[:-1]


def recv_all(c):
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            return data
        data += chunk


counter = [1 << 30]
lock = threading.Lock()


def handle(c, mode):
    try:
        line = read_line(c, mode)
        if line is None:
            log("conn ? closed before a CONNECT line")
            return
        words = line.split()
        if len(words) != 2 or words[0].lower() != b"connect" or not words[1].isdigit():
            log("conn ? bad line", line)
            return
        port = int(words[1])
        if port not in (52, 53, 54):
            log("conn", port, "no guest listener: closed")
            return
        if port == 54:
            log("conn", port, "guest not ready: no answer")
            c.settimeout(30)
            c.recv(1)
            return
        with lock:
            local = counter[0]
            counter[0] += 1
        ok = b"OK %d\n" % (port if mode == "vhost-device-vsock" else local)
        if port == 53:
            c.sendall(ok + b"hello from guest\n")
            f = c.makefile("rb")
            for l in f:
                c.sendall(l.upper())
            log("conn", port, "banner done")
            return
        c.sendall(ok)
        data = recv_all(c)   # the host's EOF
        if mode == "firecracker":
            log("conn", port, "host EOF -> guest sees RCV|SEND: answer lost")
            return
        if mode == "vhost-device-vsock":
            log("conn", port, "host EOF not passed on: the guest waits")
            time.sleep(30)   # the guest's service still waits for data or EOF
            return
        c.sendall(data.upper())
        log("conn", port, "echoed", len(data), "bytes")
    except OSError as e:
        log("conn error", e)
    finally:
        c.close()


def serve(mode, path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, mode), daemon=True).start()


def dial(mode, path, port, data):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect("%s_%d" % (path, port))
    c.sendall(data.encode())
    if mode == "cloud-hypervisor":
        c.shutdown(socket.SHUT_WR)
    c.settimeout(5)
    try:
        sys.stdout.buffer.write(recv_all(c))
    except socket.timeout:
        log("dial: no EOF within 5 s")
        sys.exit(3)
    c.close()


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] in MODES and a[1] == "serve":
        serve(a[0], a[2])
    elif len(a) == 5 and a[0] in MODES and a[1] == "dial":
        dial(a[0], a[2], int(a[3]), a[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
