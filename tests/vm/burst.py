#!/usr/bin/env python3
"""tests/vm/burst.py - the burst workload of test-burst.sh and bench/capture.sh (inside the
test VM only: it opens AF_VSOCK sockets on the loopback transport, CID 1).

  burst.py serve PORT          echo stream on PORT, echo seqpacket on PORT+1, sink stream
                               on PORT+2; runs until killed; prints "ready" when listening
  burst.py conns PORT N        N stream and N seqpacket connections opened at once, each
                               sends one 32-byte message and reads the echo, then all of
                               them closed at once
  burst.py bulk PORT BYTES     one stream connection sending BYTES in 64 KiB writes
  burst.py flood PORT COUNT    one stream connection sending COUNT 16-byte writes
  burst.py sparse PORT N FILE  one stream connection sending N 5-byte writes, each only
                               after FILE (a capture's printed lines) shows the one
                               before: frames printed promptly on sparse traffic

Each client prints one line saying what it did; a failure is an exception (status 1).
"""
import socket
import sys
import threading

CID_LOCAL = socket.VMADDR_CID_LOCAL if hasattr(socket, "VMADDR_CID_LOCAL") else 1


def serve_conn(c, echo):
    with c:
        while True:
            b = c.recv(65536)
            if not b:
                return
            if echo:
                c.sendall(b)


def listener(port, kind, echo):
    s = socket.socket(socket.AF_VSOCK, kind)
    s.bind((socket.VMADDR_CID_ANY, port))
    s.listen(512)

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve_conn, args=(c, echo), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def serve(port):
    listener(port, socket.SOCK_STREAM, True)
    listener(port + 1, socket.SOCK_SEQPACKET, True)
    listener(port + 2, socket.SOCK_STREAM, False)
    print("ready", flush=True)
    threading.Event().wait()


def connect(port, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_VSOCK, kind)
    s.settimeout(60)
    s.connect((CID_LOCAL, port))
    return s


def conns(port, n):
    socks = [connect(port) for _ in range(n)] + \
        [connect(port + 1, socket.SOCK_SEQPACKET) for _ in range(n)]
    msg = bytes(range(32))
    for s in socks:
        s.sendall(msg)
    for s in socks:
        got = b""
        while len(got) < len(msg):
            b = s.recv(len(msg) - len(got))
            if not b:
                raise SystemExit("echo ended early")
            got += b
        if got != msg:
            raise SystemExit("echo differs")
    for s in socks:
        s.close()
    print(f"{n} stream and {n} seqpacket connections opened, used and closed", flush=True)


def bulk(port, size):
    chunk = bytes(65536)
    with connect(port + 2) as s:
        left = size
        while left > 0:
            k = min(left, len(chunk))
            s.sendall(chunk[:k])
            left -= k
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # the sink's close: everything was read
    print(f"{size} bytes sent in 64 KiB writes", flush=True)


def flood(port, count):
    with connect(port + 2) as s:
        for i in range(count):
            s.sendall(b"%016d" % i)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
    print(f"{count} 16-byte writes sent", flush=True)


def sparse(port, n, path):
    import time
    want = "> 1:%d stream RW, len 5" % (port + 2)
    with connect(port + 2) as s:
        for i in range(n):
            s.sendall(b"m%04d" % i)
            # a liveness bound, not a timing: the line is expected at once
            for _ in range(600):
                with open(path) as f:
                    if sum(want in line for line in f) > i:
                        break
                time.sleep(0.05)
            else:
                raise SystemExit(f"write {i + 1} of {n}: no line in {path} after 30 s")
    print(f"{n} writes, each printed before the next was sent", flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "serve":
        serve(int(a[1]))
    elif len(a) == 4 and a[0] == "sparse":
        sparse(int(a[1]), int(a[2]), a[3])
    elif len(a) == 3 and a[0] in ("conns", "bulk", "flood"):
        {"conns": conns, "bulk": bulk, "flood": flood}[a[0]](int(a[1]), int(a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
