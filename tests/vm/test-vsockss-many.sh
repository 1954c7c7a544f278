#!/usr/bin/env bash
# tests/vm/test-vsockss-many.sh - runs inside the test VM (tests/vm/run).  10,001 open
# sockets (a listener, 3,000 established pairs, 4,000 bound unconnected sockets): vsockss
# lists every one, exactly once, agreeing with `ss --vsock -a`.  With the argument
# --bench it also times both tools on the same set (for docs/benchmarks.md; a test never
# asserts on speed).  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
L=6200 PAIRS=3000 BOUND=4000 B0=20000
WANT=$((1 + 2 * PAIRS + BOUND))
ulimit -n 65536

python3 - $L $PAIRS $BOUND $B0 "$T/ready" >"$T/py.out" 2>&1 <<'PY' &
import _socket, sys, time
L, pairs, bound, b0 = map(int, sys.argv[1:5])
ANY = 0xffffffff
keep = []
lst = _socket.socket(40, _socket.SOCK_STREAM)
lst.bind((ANY, L))
lst.listen(4096)
keep.append(lst)
for i in range(pairs):
    c = _socket.socket(40, _socket.SOCK_STREAM)
    c.connect((1, L))
    fd, addr = lst._accept()
    keep += [c, fd]
for i in range(bound):
    u = _socket.socket(40, _socket.SOCK_STREAM)
    u.bind((ANY, b0 + i))
    keep.append(u)
open(sys.argv[5], "w").write("%d\n" % len(keep))
time.sleep(600)
PY
pypid=$!
wait_for 200 test -s "$T/ready"
ok $? "python3 opened $WANT sockets ($(cat "$T/ready" 2>/dev/null))"
diag "$T/py.out"

vsockss -a -n -H >"$T/vss" 2>"$T/vss.err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/vss.err" ]
ok $? "vsockss -a -n exits 0, nothing on stderr (status $rc)"
diag "$T/vss.err"
ss --vsock -a -n -H >"$T/ss" 2>&1
vsockss -a -n -j >"$T/vss.json" 2>&1

python3 - "$T/vss" "$T/ss" "$T/vss.json" $L $PAIRS $BOUND $B0 >"$T/check" 2>&1 <<'PY'
import json, sys
L, pairs, bound, b0 = map(int, sys.argv[4:8])
netid = {"v_str": "stream", "???": "seqpacket", "v_dgr": "dgram"}
mine = sorted(tuple(l.split()[:4]) for l in open(sys.argv[1]))
ref = []
for l in open(sys.argv[2]):
    f = l.split()
    ref.append((netid.get(f[0], f[0]), f[1], f[4], f[5]))
ref.sort()
rows = [json.loads(l) for l in open(sys.argv[3])]
res = []
res.append((len(mine) == 1 + 2 * pairs + bound, "vsockss lists %d sockets, %d expected" % (len(mine), 1 + 2 * pairs + bound)))
res.append((mine == ref, "every row agrees with ss --vsock -a (netid, state, local, peer); ss has %d" % len(ref)))
ino = [r["ino"] for r in rows]
res.append((len(set(ino)) == len(ino) == len(mine), "every socket once: %d distinct inodes in %d JSON rows" % (len(set(ino)), len(ino))))
unc = sorted(r["local_port"] for r in rows if r["state"] == "unconnected")
res.append((unc == list(range(b0, b0 + bound)), "the %d bound sockets: UNCONN on ports %d..%d, each once" % (bound, b0, b0 + bound - 1)))
srv = [r for r in rows if r["state"] == "established" and r["local_port"] == L]
cli = {r["local_port"] for r in rows if r["state"] == "established" and r["peer_port"] == L}
res.append((len(srv) == pairs and {r["peer_port"] for r in srv} == cli and len(cli) == pairs,
            "the %d pairs: both ends ESTAB, server peers are exactly the clients" % pairs))
lst = [r for r in rows if r["state"] == "listening"]
res.append((len(lst) == 1 and lst[0]["local_port"] == L, "one listener on %d" % L))
for good, what in res:
    print(("ok" if good else "not ok") + " - " + what)
PY
while read -r line; do
	case $line in
	"ok - "*) ok 0 "${line#ok - }" ;;
	"not ok - "*) ok 1 "${line#not ok - }" ;;
	*) echo "#   $line" ;;
	esac
done <"$T/check"
grep -q '^ok - \|^not ok - ' "$T/check"; ok $? "the comparison ran"

vsockss -s -a >"$T/sum" 2>&1
grep -q "^Total: $WANT\$" "$T/sum"
ok $? "-s counts $WANT"
vsockss -a -n -p -H >"$T/vssp" 2>&1
[ "$(grep -c "users:((\"python3\",pid=$pypid," "$T/vssp")" = "$WANT" ]
ok $? "-p names python3 pid $pypid on all $WANT"

if [ "${1:-}" = --bench ]; then
	# Median of 7 runs each, output to /dev/null; wall time in ms (bash's clock: busybox
	# date has no %N).
	bench() {
		local i t0 t1 all=()
		for i in 1 2 3 4 5 6 7; do
			t0=${EPOCHREALTIME/./}
			"$@" >/dev/null 2>&1
			t1=${EPOCHREALTIME/./}
			all+=("$(((t1 - t0) / 1000))")
		done
		printf '%s\n' "${all[@]}" | sort -n | sed -n 4p
	}
	echo "# bench: kernel $(uname -r), $WANT sockets, median of 7 runs, ms"
	echo "# bench: vsockss -a -n:          $(bench vsockss -a -n)"
	echo "# bench: ss --vsock -a -n:       $(bench ss --vsock -a -n)"
	echo "# bench: vsockss -a -n -p:       $(bench vsockss -a -n -p)"
	echo "# bench: ss --vsock -a -n -p:    $(bench ss --vsock -a -n -p)"
	echo "# bench: vsockss -a -n -j:       $(bench vsockss -a -n -j)"
	echo "# bench: vsockss -s -a:          $(bench vsockss -s -a)"
fi
kill "$pypid"
finish
