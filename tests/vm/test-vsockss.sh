#!/usr/bin/env bash
# tests/vm/test-vsockss.sh - runs inside the test VM (tests/vm/run).  vsockss lists a
# listener, an established stream pair, a seqpacket pair, a half-closed connection and a
# connecting socket with the right type, state, addresses and shutdown column; agrees
# with `ss --vsock -a` on every field both show (and on -p's owners); each filter selects
# exactly the expected rows; the summary, --batch snapshots and the error for a missing
# vsock_diag.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
L=6001 E=6002 Q=6003 H=6004 X=7777

# The scene.  Listener: stream, stays listening (fork).
socat -u VSOCK-LISTEN:$L,fork /dev/null 2>"$T/l.err" &
lpid=$!
# Established stream pair: the server accepts once (its listener then closes).
socat -u VSOCK-LISTEN:$E /dev/null 2>"$T/e.err" &
# Seqpacket pair (SOCK_SEQPACKET is type 5).
socat -u VSOCK-LISTEN:$Q,so-type=5 /dev/null 2>"$T/q.err" &
# Half-closed: the client's stdin is empty, so it shuts down its sending side at once
# and waits (-t) for the server, which never writes.
socat -t 100 VSOCK-LISTEN:$H SYSTEM:"cat >/dev/null; sleep 100" 2>"$T/h.err" &
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':$H '"
ok $? "the listeners are up (ss sees port $H)"
sleep 100 | socat -u - VSOCK-CONNECT:1:$E 2>"$T/ec.err" &
sleep 100 | socat -u - VSOCK-CONNECT:1:$Q,so-type=5 2>"$T/qc.err" &
socat -t 100 - VSOCK-CONNECT:1:$H </dev/null >/dev/null 2>"$T/hc.err" &
hpid=$!
# Connecting: with vhost_vsock loaded, a connect to a CID no guest owns fails with
# ENODEV after the socket entered SYN_SENT, where it stays (af_vsock.c vsock_connect).
modprobe vhost_vsock
python3 - $X >"$T/conn.out" 2>&1 <<'PY' &
import _socket, sys, time
s = _socket.socket(40, _socket.SOCK_STREAM)
try:
    s.connect((3, int(sys.argv[1])))
except OSError as e:
    print("connect:", e, flush=True)
# Unconnected: bound to a port, neither listening nor connected.
u = _socket.socket(40, _socket.SOCK_STREAM)
u.bind((0xffffffff, int(sys.argv[1]) + 1))
time.sleep(100)
PY
cpid=$!
wait_for 10 sh -c "ss --vsock -a -n | grep -q '3:$X'" &&
	wait_for 10 sh -c "[ \$(ss --vsock -n | grep -c ESTAB) -ge 6 ]"
ok $? "the scene is set: 3 connections established and one connecting"
diag "$T/conn.out"

vsockss -a -n -p -j >"$T/all.json" 2>"$T/all.err"
ok $? "vsockss -a -n -p -j exits 0"
[ ! -s "$T/all.err" ]; ok $? "nothing on stderr"; diag "$T/all.err"
ss --vsock -a -n -p -H >"$T/ss.txt" 2>&1
vsockss -a -n -p -H >"$T/vss.txt" 2>&1

python3 - "$T/all.json" "$T/ss.txt" $L $E $Q $H $X $lpid $cpid >"$T/check" 2>&1 <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
L, E, Q, H, X, lpid, cpid = map(int, sys.argv[3:10])
ANY = 0xffffffff
out = []
def ok(cond, what, detail=""):
    out.append(("ok" if cond else "not ok", what, detail))
def addr(c, p):
    return ("*" if c == ANY else str(c)) + ":" + ("*" if p == ANY else str(p))
netid = {"v_str": "stream", "v_dgr": "dgram", "???": "seqpacket"}
state = {"ESTAB": "established", "SYN-SENT": "connecting", "UNCONN": "unconnected",
         "LISTEN": "listening", "CLOSING": "closing"}
ss = []
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) < 6:
        continue
    ss.append((netid.get(f[0], f[0]), state.get(f[1], f[1]), f[4], f[5],
               " ".join(f[6:])))
mine = [(r["netid"], r["state"], addr(r["local_cid"], r["local_port"]),
         addr(r["peer_cid"], r["peer_port"]),
         "users:(" + ",".join('("%s",pid=%d,fd=%d)' % (u["comm"], u["pid"], u["fd"])
                             for u in sorted(r["users"], key=lambda u: (u["pid"], u["fd"]))) + ")"
         if r["users"] else "") for r in rows]
def users_norm(u):  # ss orders owners its own way
    return sorted(re.findall(r'\("[^"]*",pid=\d+,fd=\d+\)', u))
A = sorted((n, s, l, p) for n, s, l, p, u in mine)
B = sorted((n, s, l, p) for n, s, l, p, u in ss)
# 1 listener, 3 pairs, 1 connecting, 1 unconnected
ok(len(rows) == len(ss) == 9, "9 sockets, as many as ss --vsock -a of sockets as ss --vsock -a (%d, %d)" % (len(rows), len(ss)))
ok(A == B, "netid, state, local and peer address agree with ss on every socket",
   "\n".join("vsockss %s" % (x,) for x in A if x not in B) + "\n" + "\n".join("ss %s" % (x,) for x in B if x not in A))
U1 = sorted((n, s, l, p, tuple(users_norm(u))) for n, s, l, p, u in mine)
U2 = sorted((n, s, l, p, tuple(users_norm(u))) for n, s, l, p, u in ss)
ok(U1 == U2, "-p owners agree with ss -p on every socket",
   "\n".join("vsockss %s" % (x,) for x in U1 if x not in U2) + "\n" + "\n".join("ss %s" % (x,) for x in U2 if x not in U1))
def find(**kw):
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]
lst = find(netid="stream", state="listening", local_port=L)
ok(len(lst) == 1 and lst[0]["peer_cid"] == ANY and lst[0]["peer_port"] == ANY and lst[0]["shutdown"] == "-",
   "listener: stream LISTEN *:%d, peer *:*, shutdown -" % L, str(lst))
ok(len(lst) == 1 and any(u["pid"] == lpid and u["comm"] == "socat" for u in lst[0]["users"]),
   "-p: the listener is owned by socat pid %d" % lpid, str(lst))
def pair(port, typ):
    srv = find(netid=typ, state="established", local_cid=1, local_port=port)
    cli = find(netid=typ, state="established", peer_cid=1, peer_port=port)
    good = (len(srv) == 1 and len(cli) == 1 and srv[0]["peer_port"] == cli[0]["local_port"]
            and srv[0]["peer_cid"] == 1)
    return good, srv, cli
g, srv, cli = pair(E, "stream")
ok(g and srv[0]["shutdown"] == "-" and cli[0]["shutdown"] == "-",
   "stream pair on %d: both ESTAB, addresses mirror, shutdown -" % E, str(srv + cli))
g, srv, cli = pair(Q, "seqpacket")
ok(g, "seqpacket pair on %d: netid seqpacket (ss: ???), both ESTAB, addresses mirror" % Q, str(srv + cli))
g, srv, cli = pair(H, "stream")
ok(g and cli[0]["shutdown"] == "send" and cli[0]["shutdown_bits"] == 2,
   "half-closed on %d: the client that shut down writing shows shutdown send" % H, str(srv + cli))
c = find(state="connecting")
ok(len(c) == 1 and c[0]["peer_cid"] == 3 and c[0]["peer_port"] == X and c[0]["netid"] == "stream"
   and any(u["pid"] == cpid and u["comm"] == "python3" for u in c[0]["users"]),
   "connecting: one stream SYN-SENT to 3:%d, owned by python3 pid %d" % (X, cpid), str(c))
u = find(state="unconnected")
ok(len(u) == 1 and u[0]["local_cid"] == ANY and u[0]["local_port"] == X + 1 and u[0]["peer_port"] == ANY,
   "unconnected: one stream UNCONN bound to *:%d" % (X + 1), str(u))
ok(all(r["ino"] > 0 for r in rows) and len({r["cookie"] for r in rows}) == len(rows),
   "every socket has an inode and a distinct cookie")
for s, w, d in out:
    print(s, "-", w)
    if s != "ok" and d:
        print("\n".join("#   " + l for l in d.splitlines()))
PY
while read -r line; do
	case $line in
	"ok - "*) ok 0 "${line#ok - }" ;;
	"not ok - "*) ok 1 "${line#not ok - }" ;;
	"#"*) echo "$line" ;;
	*) echo "#   $line" ;;
	esac
done <"$T/check"
grep -q '^ok - \|^not ok - ' "$T/check"; ok $? "the comparison ran"

# --record saves the dump's reply messages; --read shows the same from them.
vsockss -a -n -j --record "$T/record.nl" >"$T/rec.json" 2>&1 &&
	vsockss -a -n -j --read "$T/record.nl" >"$T/read.json" 2>&1 &&
	[ -s "$T/rec.json" ] && cmp -s "$T/rec.json" "$T/read.json"
ok $? "--record then --read: the same $(wc -l <"$T/rec.json") sockets, byte for byte"
keep "$T/record.nl"

# Text output: the same rows, columns as documented.
[ "$(wc -l <"$T/vss.txt")" = "$(wc -l <"$T/all.json")" ] &&
	grep -qE "^seqpacket +ESTAB +1:$Q +1:[0-9]+ +- " "$T/vss.txt" &&
	grep -qE "^stream +ESTAB +\*:[0-9]+ +1:$H +send " "$T/vss.txt" &&
	grep -qE "^stream +SYN-SENT +\*:[0-9]+ +3:$X +- " "$T/vss.txt"
ok $? "text: one line per socket; seqpacket, send and SYN-SENT rows as expected"
diag "$T/vss.txt"

# Filters: each against the rows the unfiltered JSON says it must select.
# expect DESC JQ-LIKE-PY-CONDITION -- VSOCKSS-ARGS...
filt() {
	local cond=$1 desc=$2
	shift 3
	vsockss -n -j "$@" >"$T/f.json" 2>"$T/f.err"
	python3 - "$T/all.json" "$T/f.json" "$cond" >"$T/f.out" 2>&1 <<'PY'
import json, sys
ANY = 0xffffffff
allr = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
key = lambda r: (r["ino"], r["cookie"])
want = [r for r in allr if eval(sys.argv[3], {"ANY": ANY}, dict(r))]
gk, wk = sorted(map(key, got)), sorted(map(key, want))
print("selected %d, expected %d" % (len(gk), len(wk)))
sys.exit(0 if gk == wk and wk else 1)
PY
	ok $? "filter $*: exactly the expected rows ($(head -1 "$T/f.out"))"
	diag "$T/f.err"
}
filt 'state in ("established","connecting","closing")' "default" -- 
filt 'state == "listening"' "-l" -- -l
filt 'state == "connecting"' "state" -- state connecting
filt 'state == "unconnected"' "state" -- state unconnected
filt 'state in ("established","listening")' "two states" -- state established state listening
filt 'netid == "seqpacket"' "--seqpacket" -- -a --seqpacket
filt 'netid == "stream" and state == "listening"' "--stream -l" -- -l --stream
filt 'local_port == '$Q "src :PORT" -- -a src :$Q
filt 'peer_port == '$H' and peer_cid == 1' "dst CID:PORT" -- -a dst 1:$H
filt 'local_cid == 1' "src CID:*" -- -a src '1:*'
filt 'peer_cid == 3' "dst 3" -- state all dst 3
filt 'state == "established"' "src *:*" -- src 'vsock:*:*' state established
filt 'state == "unconnected" and local_port == '$((X + 1)) "src *:PORT" -- -a src "*:$((X + 1))"
vsockss -n state closing >"$T/closing" 2>&1
[ "$(wc -l <"$T/closing")" = 1 ] && [ "$(ss --vsock -n -H state closing | wc -l)" = 0 ]
ok $? "state closing: header only, as ss lists none"

# Summary.
vsockss -a -s >"$T/sum" 2>&1
total=$(wc -l <"$T/all.json")
grep -q "^Total: $total\$" "$T/sum" &&
	grep -qE "^seqpacket +2 " "$T/sum" # two ESTAB seqpacket sockets, first state column
ok $? "-s: total $total, 2 established seqpacket sockets"
diag "$T/sum"

# --batch snapshots: two, timestamped, while the scene changes between them.
vsockss -w 1 --batch -c 2 -n -a src ":$L" >"$T/batch" 2>&1 &
bpid=$!
sleep 0.3
sleep 100 | socat -u - VSOCK-CONNECT:1:$L 2>/dev/null &
wait_pid $bpid 20
rc=$?
[ "$rc" = 0 ] && [ "$(grep -cE '^--- [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [0-9]+ sockets$' "$T/batch")" = 2 ] &&
	[ "$(grep -cE "^stream +LISTEN +\*:$L " "$T/batch")" = 2 ] &&
	[ "$(grep -cE "^stream +ESTAB +1:$L " "$T/batch")" = 1 ]
ok $? "-w 1 --batch -c 2: two timestamped snapshots, the new connection only in the second (status $rc)"
diag "$T/batch"

# A missing vsock_diag: unloaded, and its autoload made to fail.
kill "$hpid" "$cpid" 2>/dev/null
echo /bin/false >/proc/sys/kernel/modprobe
if rmmod vsock_diag 2>"$T/rmmod.err"; then
	vsockss -a >"$T/nodiag" 2>&1
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$T/nodiag")" = 1 ] && grep -q '^vsockss: vsock_diag: .*modprobe vsock_diag' "$T/nodiag"
	ok $? "vsock_diag missing: one line naming the module, status 1 (status $rc)"
	diag "$T/nodiag"
else
	ok 1 "vsock_diag could not be unloaded"; diag "$T/rmmod.err"
fi
echo /sbin/modprobe >/proc/sys/kernel/modprobe
modprobe vsock_diag
vsockss -a -n >/dev/null 2>&1
ok $? "vsockss works again once vsock_diag is loaded"

[ "$failed" = 0 ] || keep "$T"/*.json "$T"/*.txt
finish
