#!/usr/bin/env python3
"""tests/hybrid-backend.py - a hybrid vsock UNIX socket with the guest services of
`vsock-conformance --target hybrid` simulated in this process, for the suite's host tests
(tests/cli/conformance-hybrid.sh).  No vsock anywhere: everything is UNIX sockets.

Without FAULT it behaves as Firecracker documents it (reference/vsock-facts.md D.3):
the CONNECT line is read byte by byte (at most 32 bytes), split on whitespace, the
keyword matched ignoring case, the port a decimal u32; the answer is "OK <n>\\n" with n
a host-side port counted from 2^30; no service on the port: closed without an answer.
The guest services (PORT is the echo service):
  PORT      echo; the host's EOF ends it: shutdown(SHUT_WR) after the last echoed byte
  PORT + 1  sink: shuts its sending side at once, appends what it reads to a buffer
  PORT + 2  report: sends that buffer and closes
  PORT + 3  dial: reads "<H>\\n", connects to PATH_H and echoes there
A FAULT breaks one thing, as a broken VMM would:
  ok-lower      answers "ok <n>\\n"                      (case ok_format fails)
  swallow       drops bytes sent after the CONNECT newline (pipelined)
  eof-lost      the host's EOF never reaches the echo     (half_close_host)
  case          the keyword must be upper case            (keyword_case)
  wrap          the port is taken modulo 2^32             (bad_port)
  hang-unknown  no answer at all for a port with no service (unknown_port)
  die-early     exits when a client leaves before its newline (close_before_ok)

Usage: hybrid-backend.py PATH PORT [FAULT]
"""
import os
import socket
import sys
import threading

FAULTS = ("ok-lower", "swallow", "eof-lost", "case", "wrap", "hang-unknown", "die-early")

path, base = sys.argv[1], int(sys.argv[2])
fault = sys.argv[3] if len(sys.argv) > 3 else None
if fault is not None and fault not in FAULTS:
    sys.exit("hybrid-backend.py: unknown fault %r" % fault)
lock = threading.Lock()
state = {"next": 1 << 30, "sink": b""}
held = []   # connections of hang-unknown, kept open


def parse(line):
    """The port of a CONNECT line (without its newline), or None."""
    words = line.split()
    if len(words) != 2:
        return None
    kw, port = words
    if kw != b"CONNECT" if fault == "case" else kw.lower() != b"connect":
        return None
    if not port.isdigit():
        return None
    n = int(port)
    if fault == "wrap":
        return n % (1 << 32)
    return n if n < 1 << 32 else None


def echo(c):
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    if fault == "eof-lost":
        held.append(c)
        return
    c.shutdown(socket.SHUT_WR)


def sink(c):
    c.shutdown(socket.SHUT_WR)
    while True:
        b = c.recv(65536)
        if not b:
            break
        with lock:
            state["sink"] += b


def dial(c):
    line = b""
    while not line.endswith(b"\n"):
        b = c.recv(1)
        if not b:
            return
        line += b
    g = socket.socket(socket.AF_UNIX)
    g.connect("%s_%d" % (path, int(line)))
    echo(g)
    g.close()


def serve(c):
    line = b""
    while not line.endswith(b"\n"):
        b = c.recv(1)
        if not b:
            if fault == "die-early" and line:
                os._exit(3)
            return
        if len(line) >= 32:
            return
        line += b
    port = parse(line)
    service = {base: echo, base + 1: sink, base + 3: dial}.get(port)
    if port == base + 2:
        with lock:
            data = state["sink"]
        service = lambda c: c.sendall(data)   # noqa: E731
    if service is None:
        if fault == "hang-unknown" and port is not None:
            held.append(c)
        return
    if fault == "swallow":
        # a buffered reader's read took what came with the line: it is dropped
        c.setblocking(False)
        try:
            c.recv(65536)
        except BlockingIOError:
            pass
        c.setblocking(True)
    with lock:
        n = state["next"]
        state["next"] += 1
    c.sendall(b"%s %d\n" % (b"ok" if fault == "ok-lower" else b"OK", n))
    service(c)


def conn(c):
    try:
        serve(c)
    except OSError:
        pass
    if c not in held:
        c.close()


s = socket.socket(socket.AF_UNIX)
if os.path.exists(path):
    os.unlink(path)
s.bind(path)
s.listen(64)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=conn, args=(c,), daemon=True).start()
