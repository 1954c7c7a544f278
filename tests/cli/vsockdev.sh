#!/usr/bin/env bash
# tests/cli/vsockdev.sh - vsockdev, the vhost-user vsock device, on the build machine:
# bad arguments exit 2 with one line; the man page SYNOPSIS is usage(); SIGTERM is a clean
# exit; tests/vu-frontend.py as QEMU and driver (handshake, packets, each ring rule
# broken, 300 rounds of random rings: rules logged, queues stopped, no crash; the capture
# read by vsockdump and by tshark with the vsockkit plugin); --relay with the front end as
# the relay's client.  Then, for each kernel (6.1,
# 6.12), end to end under QEMU: vsockdev serves the test VM's vhost-user-vsock-pci device
# (tests/vm/run with VSK_VM_MEMFD=1 and VSK_VM_QEMU_ARGS), the guest half is
# tests/vm/vsockdev-guest.sh, and the host side is build/vsockcat --uds: 16 MiB each way
# byte-identical (sha256), half-close both ways, refused ports both ways, handshake
# variants, ten parallel connections, seqpacket from the guest to a SOCK_SEQPACKET
# listener (message boundaries both ways), vsock-conformance --target hybrid with the
# guest running its services (verdicts compared with tests/vm/hybrid-expect/KERNEL.txt),
# the driver unloaded and loaded again, the CID
# from GET_CONFIG, and vsockdev's --capture of the whole session decoding with
# `vsockdump -r --check` without a finding.  Guest programs at their default buffer
# (256 KiB; issue 23): socat, vsockcat --buffer-size 262144 and Python seqpacket send
# 4 MiB each to the host, socat and vsockcat receive 4 MiB, byte-identical, and the
# capture shows vsockdev's CREDIT_UPDATEs to the senders.  Then a second boot per kernel
# (run_late) with vsockdev --mutate late_credit_update, the policy before issue 23: the
# guest's socat transfer stalls, the capture has no CREDIT_UPDATE on it, vsockdump
# --stats counts the stall and --check warns credit_stall.
# Environment: VSK_KERNELS (default "6.1 6.12"), VSK_KEEP=1 keeps the temp folder.
# SAFETY: no AF_VSOCK socket on this machine: vsockdev and vsockcat --uds use UNIX sockets
# only; every vsock socket is inside the guest.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
D=$B/vsockdev V=$B/vsockcat
T=$(mktemp -d /tmp/vsockdev-test.XXXXXX)
. tests/vsockdev-tap.bash
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# seq_sink PATH DATA LENS: a SOCK_SEQPACKET listener at PATH (vsockcat --uds has no
# seqpacket) for one connection: the messages to DATA, their lengths to LENS, one a line
seq_sink() {
	python3 - "$@" <<'E'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.listen()
c, _ = s.accept()
with open(sys.argv[2], "wb") as data, open(sys.argv[3], "w") as lens:
    while True:
        m = c.recv(1 << 17)
        if not m:
            break
        data.write(m)
        print(len(m), file=lens, flush=True)
E
}
# credit_updates CAP PORT: how many CREDIT_UPDATEs vsockdev (2:PORT) sent in CAP
credit_updates() {
	"$B/vsockdump" -r "$1" --no-analysis "src cid 2 and src port $2 and op credit_update" |
		grep -c ' CREDIT_UPDATE'
}

# ---- options ----
# expect_usage PATTERN DESC -- ARGS...: vsockdev ARGS is a usage error (tests/tap.bash)
expect_usage() { local pat=$1 desc=$2; shift 3; expect_exit 2 "$pat" "$desc" -- "$D" "$@"; }
expect_usage "missing --socket" "no options" --
expect_usage "missing --cid" "no --cid" -- --socket "$T/s" --uds "$T/u"
expect_usage "missing --uds" "no --uds" -- --socket "$T/s" --cid 3
expect_usage "--cid '2': out of range" "CID 2 is the host's" -- --socket "$T/s" --cid 2 --uds "$T/u"
expect_usage "--cid '4294967295': out of range" "CID any" -- --socket "$T/s" --cid 4294967295 --uds "$T/u"
expect_usage "--cid 'x': not a number" "CID not a number" -- --socket "$T/s" --cid x --uds "$T/u"
expect_usage "unknown option --bogus" "unknown option" -- --bogus
expect_usage "option --cid needs an argument" "--cid without argument" -- --cid
expect_usage "unexpected argument 'extra'" "an operand" -- --socket "$T/s" --cid 3 --uds "$T/u" extra
long=$(printf 'x%.0s' {1..120})
expect_usage "path too long" "--socket too long" -- --socket "/tmp/$long" --cid 3 --uds "$T/u"
expect_usage "--relay replaces the connection layer --uds serves: not both" "--relay with --uds" -- \
	--socket "$T/s" --cid 3 --uds "$T/u" --relay "$T/r"
expect_usage "--mutate changes the connection layer --relay replaces: not both" "--relay with --mutate" -- \
	--socket "$T/s" --cid 3 --relay "$T/r" --mutate no_eof
expect_usage "--relay '/tmp/x+': path too long" "--relay too long" -- --socket "$T/s" --cid 3 --relay "/tmp/$long"

"$D" -h >"$T/usage" 2>&1
ok $? "-h exits 0"
man_matches_usage "$D" man/vsockdev.8

timeout 5 "$D" --socket "$T/missing/vu.sock" --cid 3 --uds "$T/u" 2>"$T/err"
[ $? = 1 ] && grep -q "^vsockdev: $T/missing/vu.sock: " "$T/err"
ok $? "a socket in a missing folder: status 1 and the reason"
diag <"$T/err"

# SIGTERM before any front end: exit 0, both sockets removed.
"$D" --socket "$T/s0" --cid 3 --uds "$T/u0" 2>"$T/err" &
p=$!
wait_for 5 test -S "$T/s0" && wait_for 5 test -S "$T/u0"
ok $? "listening on the vhost-user socket and the hybrid socket"
kill -TERM "$p"
wait_pid "$p" 10
rc=$?
[ "$rc" = 0 ] && [ ! -e "$T/s0" ] && [ ! -e "$T/u0" ]
ok $? "SIGTERM: status 0 ($rc), sockets removed"
diag <"$T/err"

# A host program whose CONNECT line is garbage is closed; one that connects before the
# guest has a driver gets no OK within vsockcat's -w (nothing answers the REQUEST).
"$D" --socket "$T/s1" --cid 3 --uds "$T/u1" 2>"$T/err" &
p=$!
pids+=("$p")
wait_for 5 test -S "$T/u1"
python3 - "$T/u1" <<'E' >"$T/py" 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"HELLO 52\n")
s.settimeout(5)
print("closed" if s.recv(100) == b"" else "answered")
E
grep -qx closed "$T/py"
ok $? "a bad CONNECT line: the socket is closed without an answer"
diag <"$T/py"
kill -TERM "$p"
wait_pid "$p" 10
ok $? "still a clean exit after host programs came and went"

# ---- tests/vu-frontend.py plays QEMU and the guest driver, rule-breaking rings included ----
"$D" --socket "$T/s2" --cid 7 --uds "$T/u2" --check -v --capture "$T/fe.pcap" 2>"$T/fe.err" &
p=$!
pids+=("$p")
wait_for 5 test -S "$T/s2"
timeout 60 python3 tests/vu-frontend.py "$T/s2" "$T/u2" 7 >"$T/fe.out" 2>&1
py_tap "front end" $? "$T/fe.out"
grep -q 'rx queue: the driver broke ring rule chain_loop .*queue stopped' "$T/fe.err"
ok $? "a descriptor loop in rx: rule chain_loop logged, queue stopped"
grep -q 'tx queue: the driver broke ring rule head_range .*head 200 >= num 8; queue stopped' "$T/fe.err"
ok $? "an avail entry beyond the queue in tx: rule head_range logged, queue stopped"
wait_pid "$p" 10
ok $? "the front end closed the socket: vsockdev exits 0"
grep -q '^vsockdev: check: 0 findings$' "$T/fe.err"
ok $? "--check: nothing found in what the device sent and received"
diag <"$T/fe.err"
# The capture reads the same in vsockdump and in tshark with the vsockkit plugin.
"$B/vsockdump" -r "$T/fe.pcap" 'op rw' >"$T/fe.rw" 2>&1
so=$(ls "$B"/dissector/plugins/*/epan/vsockkit.so 2>/dev/null | head -1)
if [ -n "$so" ] && command -v tshark >/dev/null; then
	# as root tshark ignores WIRESHARK_PLUGIN_DIR: it runs as nobody on copies
	P=$T/ws
	ver=$(basename "$(dirname "$(dirname "$so")")")
	mkdir -p "$P/plugins/$ver/epan" "$P/home"
	cp "$so" "$P/plugins/$ver/epan/" && cp "$T/fe.pcap" "$P/"
	chmod 0711 "$T" && chmod -R a+rX "$P" && chmod 0777 "$P/home"
	as_user=()
	[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	"${as_user[@]}" env HOME="$P/home" WIRESHARK_PLUGIN_DIR="$P/plugins" \
		tshark -r "$P/fe.pcap" -Y 'vsockkit.op == 5' -T fields -e frame.number >"$T/fe.ts" 2>&1
	[ -s "$T/fe.rw" ] && [ "$(wc -l <"$T/fe.ts")" = "$(wc -l <"$T/fe.rw")" ]
	ok $? "the vsockkit plugin finds the capture's $(wc -l <"$T/fe.rw") RW frames, as vsockdump does"
	diag <"$T/fe.ts"
else
	ok 1 "the vsockkit plugin reads the capture (plugin not built or tshark missing: make check)"
fi

# --connect: the front end listens (QEMU's server=on) and vsockdev, started first, waits
# for the socket to appear and connects.
rm -f "$T/s4" "$T/u4"
"$D" --connect --socket "$T/s4" --cid 7 --uds "$T/u4" 2>"$T/conn.err" &
p=$!
sleep 0.3    # not a timing assertion: only lets vsockdev find no socket at first
VU_LISTEN=1 timeout 60 python3 tests/vu-frontend.py "$T/s4" "$T/u4" 7 >"$T/conn.out" 2>&1 &&
	wait_pid "$p" 10
ok $? "--connect: vsockdev connects to a listening front end, passes the basic run, exits 0"
cat "$T/conn.out" "$T/conn.err" | diag
kill "$p" 2>/dev/null

# 2000 vhost-user requests with random contents (ring sizes, addresses, bases, memory
# tables larger than their file, stray or missing fds): refused, never a crash.
rm -f "$T/s3" "$T/u3"
"$D" --socket "$T/s3" --cid 7 --uds "$T/u3" 2>"$T/vur.err" &
p=$!
wait_for 5 test -S "$T/s3"
timeout 300 python3 tests/vu-frontend.py "$T/s3" "$T/u3" 7 vurandom:2000 >"$T/vur.out" 2>&1 &&
	wait_pid "$p" 10
ok $? "2000 random vhost-user requests: still answering, clean exit"
diag <"$T/vur.out"
grep -q 'the file is not that large' "$T/vur.err"
ok $? "a memory region beyond its file's end is refused (it would fault when touched)"
kill "$p" 2>/dev/null

# --check finds what a driver breaks: RW after its own SHUTDOWN SEND.
rm -f "$T/s3" "$T/u3"
"$D" --socket "$T/s3" --cid 7 --uds "$T/u3" --check 2>"$T/viol.err" &
p=$!
wait_for 5 test -S "$T/s3"
timeout 60 python3 tests/vu-frontend.py "$T/s3" "$T/u3" 7 violate >"$T/viol.out" 2>&1 &&
	wait_pid "$p" 10
ok $? "a guest sending RW after its SHUTDOWN SEND gets RST"
diag <"$T/viol.out"
grep -q '^vsockdev: check: error rw_after_shutdown: connection 1 ' "$T/viol.err" &&
	! grep -q '^vsockdev: check: 0 findings$' "$T/viol.err"
ok $? "--check logs rw_after_shutdown live"
diag <"$T/viol.err"
kill "$p" 2>/dev/null

# One ring rule broken per fresh device: the rule is logged by name, the queue stopped,
# GET_VRING_BASE still answered, and vsockdev exits 0 when the front end leaves.
for r in avail_idx_jump head_range desc_addr next_range chain_loop read_after_write \
	indirect_unnegotiated; do
	rm -f "$T/s3" "$T/u3"
	"$D" --socket "$T/s3" --cid 7 --uds "$T/u3" 2>"$T/rule.err" &
	p=$!
	wait_for 5 test -S "$T/s3"
	timeout 60 python3 tests/vu-frontend.py "$T/s3" "$T/u3" 7 "rule:$r" >"$T/rule.out" 2>&1 &&
		grep -q "tx queue: the driver broke ring rule $r .*queue stopped" "$T/rule.err" &&
		wait_pid "$p" 10
	ok $? "tx ring breaking $r: logged, queue stopped, clean exit"
	cat "$T/rule.out" "$T/rule.err" | diag
	kill "$p" 2>/dev/null
done
# Random bytes in both rings, 300 times over (each round restarts the queues, a host
# program's CONNECT makes vsockdev take an rx buffer, both queues are kicked and stopped).
rm -f "$T/s3" "$T/u3"
"$D" --socket "$T/s3" --cid 7 --uds "$T/u3" 2>"$T/rand.err" &
p=$!
wait_for 5 test -S "$T/s3"
timeout 300 python3 tests/vu-frontend.py "$T/s3" "$T/u3" 7 random:300 >"$T/rand.out" 2>&1 &&
	wait_pid "$p" 10
ok $? "300 rounds of random rings: no crash, every stop answered, clean exit"
diag <"$T/rand.out"
grep -o 'ring rule [a-z_]*' "$T/rand.err" | sort -u | wc -l >"$T/nrules"
[ "$(cat "$T/nrules")" -ge 5 ]
ok $? "random rings broke $(cat "$T/nrules") different ring rules, each logged"
kill "$p" 2>/dev/null

# --relay: no connection layer; tests/vu-frontend.py is the driver and the relay's client
# (the device side): packets byte for byte both ways, rx_wait, rx_short, bad frames,
# clients replaced, reset at GET_VRING_BASE; ring rules still enforced; the capture has
# both ways.
rm -f "$T/s3"
"$D" --socket "$T/s3" --cid 7 --relay "$T/r3" --capture "$T/relay.pcap" -v 2>"$T/relay.err" &
p=$!
wait_for 5 test -S "$T/r3"
timeout 60 python3 tests/vu-frontend.py "$T/s3" "$T/r3" 7 relay >"$T/relay.out" 2>&1
py_tap relay $? "$T/relay.out"
grep -q 'tx queue: the driver broke ring rule head_range .*head 200 >= num 8; queue stopped' "$T/relay.err"
ok $? "relay: an avail entry beyond the tx queue: rule head_range logged, queue stopped"
wait_pid "$p" 10
ok $? "relay: the front end closed the socket: vsockdev exits 0"
diag <"$T/relay.err"
[ ! -e "$T/r3" ]
ok $? "relay: its socket is removed at exit"
"$B/vsockdump" -r "$T/relay.pcap" >"$T/relay.txt" 2>&1
[ "$(grep -c ' > 2:5000 stream REQUEST' "$T/relay.txt")" = 2 ] &&
	[ "$(grep -c '9:5000 > 7:1000 stream RESPONSE' "$T/relay.txt")" = 3 ] &&
	grep -q '7:1000 > 77:5000 stream RW, len 5$' "$T/relay.txt"
ok $? "relay: --capture holds the packets both ways as relayed"
diag <"$T/relay.txt"

# ---- end to end under QEMU ----
# run_kernel K [again]: one VM boot with vsockdev as the vsock device; status 75 (and no
# test line for the boot) when the guest kernel panicked while booting, unless "again".
# On 6.1 QEMU connects to vsockdev's socket; on 6.12 QEMU is the chardev server
# (server=on,wait=on) and vsockdev --connect comes to it.
run_kernel() {
	local k=$1
	local W=$T/$k dpid="" vmpid rc server="" what want d port
	local dev=(--cid 42 --uds "$W/v.sock" --capture "$W/cap.pcap" --check -v)
	[ "$k" = 6.12 ] && server=1
	mkdir -p "$W/out"
	head -c 16M /dev/urandom >"$W/h.bin"
	if [ -z "$server" ]; then
		"$D" --socket "$W/vu.sock" "${dev[@]}" 2>"$W/dev.err" &
		dpid=$!
		pids+=("$dpid")
	fi
	# host listeners for the guest's connections: UDS_6001 upper-cases after EOF,
	# UDS_6002 echoes; nothing at UDS_6099
	"$V" --uds "$W/v.sock" -l 6001 -c 'tr a-z A-Z' 2>"$W/h6001.err" &
	pids+=($!)
	"$V" --uds "$W/v.sock" -l 6002 -e cat 2>"$W/h6002.err" &
	pids+=($!)
	# UDS_6003: a SOCK_SEQPACKET listener (vsockcat --uds has no seqpacket) that logs each
	# message and answers it upper-cased, as a message of its own
	python3 - "$W/v.sock_6003" "$W/seq.log" <<'E' 2>"$W/seq.err" &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.listen()
c, _ = s.accept()
with open(sys.argv[2], "w") as log:
    while True:
        m = c.recv(65536)
        if not m:
            break
        print(repr(m), file=log, flush=True)
        c.send(m.upper())
c.close()
E
	pids+=($!)
	"$V" --uds "$W/v.sock" -l 6004 -e cat 2>"$W/h6004.err" &
	pids+=($!)
	# UDS_6010, UDS_6011, UDS_6012: the guest's default-buffer senders (socat, vsockcat
	# --buffer-size 262144, Python seqpacket) each send 4 MiB
	"$V" --uds "$W/v.sock" -l 6010 >"$W/d6010.bin" 2>"$W/h6010.err" &
	pids+=($!)
	"$V" --uds "$W/v.sock" -l 6011 >"$W/d6011.bin" 2>"$W/h6011.err" &
	pids+=($!)
	seq_sink "$W/v.sock_6012" "$W/d6012.bin" "$W/d6012.lens" 2>"$W/h6012.err" &
	pids+=($!)
	head -c 4194304 /dev/urandom >"$W/d.bin"
	{ [ -n "$server" ] || wait_for 10 test -S "$W/vu.sock"; } &&
		wait_for 10 test -S "$W/v.sock_6001" && wait_for 10 test -S "$W/v.sock_6002" &&
		wait_for 10 test -S "$W/v.sock_6003" && wait_for 10 test -S "$W/v.sock_6004" &&
		wait_for 10 test -S "$W/v.sock_6010" && wait_for 10 test -S "$W/v.sock_6011" &&
		wait_for 10 test -S "$W/v.sock_6012"
	rc=$?
	what="vsockdev and the host listeners are"
	[ -n "$server" ] && what="the host listeners are"
	ok "$rc" "$k: $what up"

	VSK_VM_BOOT_RETRY=0 VSK_VM_MEMFD=1 VSK_VM_QEMU_ARGS="-chardev socket,id=vsk0,path=$W/vu.sock${server:+,server=on,wait=on} -device vhost-user-vsock-pci,chardev=vsk0" \
		tests/vm/run -k "$k" -t 500 -o "$W/out" tests/vm/vsockdev-guest.sh \
		>"$W/vm.out" 2>"$W/vm.err" &
	vmpid=$!
	pids+=("$vmpid")
	if [ -n "$server" ]; then
		# QEMU creates its socket once the initramfs is ready, then waits for us
		wait_for 120 test -S "$W/vu.sock"
		"$D" --connect --socket "$W/vu.sock" "${dev[@]}" 2>"$W/dev.err" &
		dpid=$!
		pids+=("$dpid")
		wait_for 30 grep -q 'connected to the front end' "$W/dev.err"
		ok $? "$k: vsockdev --connect reached QEMU's chardev server"
	fi
	# a kernel panic before init (TCG, now and then): start over once, fresh vsockdev
	vm_wait_ready "$k" "$W" || return 75
	[ -e "$W/out/ready" ]
	ok $? "$k: the guest's listeners are up"

	timeout 400 "$V" --uds "$W/v.sock" 5001 <"$W/h.bin" >"$W/got1.bin" 2>"$W/c1.err"
	ok $? "$k: vsockcat --uds to guest port 5001: 16 MiB each way"
	diag <"$W/c1.err"
	printf 'hello half-close\n' | timeout 60 "$V" --uds "$W/v.sock" 5002 >"$W/c2.out" 2>"$W/c2.err"
	[ "$(cat "$W/c2.out")" = "HELLO HALF-CLOSE" ]
	ok $? "$k: host half-close reaches the guest, its answer comes back"
	diag <"$W/c2.err"
	timeout 60 "$V" --uds "$W/v.sock" 5999 </dev/null >/dev/null 2>"$W/c3.err"
	[ $? = 1 ] && grep -q "closed the connection instead of answering OK" "$W/c3.err"
	ok $? "$k: no listener on guest port 5999: closed without OK"
	diag <"$W/c3.err"

	# handshake variants against the guest's echo on 5003: lower case and two spaces,
	# bytes pipelined in the same write as the line, then a client that leaves before OK
	python3 - "$W/v.sock" <<'E' >"$W/hs.out" 2>&1
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.settimeout(60)
c.sendall(b"connect  5003\npipelined bytes")
c.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = c.recv(4096)
    if not b:
        break
    got += b
line, _, rest = got.partition(b"\n")
print("ok" if line.startswith(b"OK 1073") and rest == b"pipelined bytes" else "bad %r" % got)
e = socket.socket(socket.AF_UNIX)
e.connect(sys.argv[1])
e.sendall(b"CONNECT 5003\n")
e.close()
E
	grep -qx ok "$W/hs.out"
	ok $? "$k: 'connect  5003' with bytes in the same write: OK <host port>, then those bytes echoed"
	diag <"$W/hs.out"

	# ten connections at once through one device: each echoed byte-identical
	local par=() good=0
	for i in $(seq 10); do
		head -c 262144 /dev/urandom >"$W/par$i.in"
		timeout 120 "$V" --uds "$W/v.sock" 5003 <"$W/par$i.in" >"$W/par$i.out" 2>"$W/par$i.err" &
		par+=($!)
	done
	for i in $(seq 10); do
		wait "${par[i - 1]}" && cmp -s "$W/par$i.in" "$W/par$i.out" && good=$((good + 1))
	done
	[ "$good" = 10 ]
	ok $? "$k: ten parallel connections to guest port 5003: $good of 10 echoed byte-identical"
	cat "$W"/par*.err 2>/dev/null | diag

	# 4 MiB into the guest's default-buffer receivers: socat VSOCK-LISTEN on 5010,
	# vsockcat --buffer-size 262144 -l on 5011 (the guest reports what arrived)
	for port in 5010 5011; do
		timeout 120 "$V" --uds "$W/v.sock" "$port" <"$W/d.bin" >/dev/null 2>"$W/c$port.err"
		ok $? "$k: vsockcat --uds to guest port $port (a default-buffer receiver): 4 MiB sent"
		diag <"$W/c$port.err"
	done

	# the hybrid conformance cases through vsockdev, the guest's services on 5100-5103:
	# every case gets a verdict, and the verdicts are the recorded ones (a fail is a
	# finding in docs/conformance.md, not a test failure; a changed verdict is)
	"$B/vsock-conformance" --target "hybrid=$W/v.sock,port=5100,hostport=7100" \
		--json "$W/hybrid.json" >"$W/hybrid.tap" 2>"$W/hybrid.err"
	touch "$W/out/host-done"
	python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    print(c["name"], c["verdict"])' "$W/hybrid.json" 2>/dev/null | sort >"$W/hybrid.verdicts"
	hcases=$("$B/vsock-conformance" --target hybrid=x --list | wc -l)
	[ "$(wc -l <"$W/hybrid.verdicts")" = "$hcases" ]
	ok $? "$k: vsock-conformance --target hybrid: all $hcases cases have a verdict"
	{ cat "$W/hybrid.err"; grep -A4 '^not ok' "$W/hybrid.tap"; } | diag
	grep -v '^#' "tests/vm/hybrid-expect/$k.txt" 2>/dev/null | sort |
		diff - "$W/hybrid.verdicts" >"$W/hybrid.diff"
	ok $? "$k: the hybrid verdicts are the recorded ones (tests/vm/hybrid-expect/$k.txt)"
	{ cat "$W/hybrid.diff"; grep -A4 '^not ok' "$W/hybrid.tap"; } | diag
	cp "$W/hybrid.tap" "$W/hybrid.json" "$W/hybrid.verdicts" "$W/out/" 2>/dev/null

	wait_pid "$vmpid" 500
	rc=$?
	grep -E '^(not )?ok' "$W/vm.out" >"$W/guest.tap"
	[ "$rc" = 0 ] && ! grep -q '^not ok' "$W/guest.tap" && [ -e "$W/out/done" ]
	ok $? "$k: the guest's $(grep -c '^ok' "$W/guest.tap") checks passed (VM status $rc)"
	sed 's/^/guest: /' "$W/guest.tap" | diag
	tail -20 "$W/vm.err" | diag
	[ "$(cat "$W/out/cid" 2>/dev/null)" = 42 ]
	ok $? "$k: the guest's CID is vsockdev's --cid (GET_CONFIG)"
	[ "$(wc -c <"$W/got1.bin")" = 16777216 ] &&
		[ "$(sha "$W/got1.bin")" = "$(cat "$W/out/g.sha" 2>/dev/null)" ]
	ok $? "$k: guest to host: 16 MiB byte-identical"
	[ "$(cat "$W/out/r1.size" 2>/dev/null)" = 16777216 ] &&
		[ "$(sha "$W/h.bin")" = "$(cat "$W/out/r1.sha" 2>/dev/null)" ]
	ok $? "$k: host to guest: 16 MiB byte-identical"
	[ "$(cat "$W/out/g3.txt" 2>/dev/null)" = "FROM GUEST" ]
	ok $? "$k: guest half-close reaches the host program, its answer comes back"
	[ "$(cat "$W/out/g4.size" 2>/dev/null)" = 1048576 ] &&
		[ "$(cat "$W/out/g4.sha")" = "$(cat "$W/out/g4-sent.sha")" ]
	ok $? "$k: guest-initiated 1 MiB echoed byte-identical"
	printf "b'one'\nb'two'\nb'three'\n" >"$W/seq.want"
	cmp -s "$W/seq.log" "$W/seq.want"
	ok $? "$k: guest seqpacket to a SOCK_SEQPACKET host listener: three messages, boundaries kept"
	diag <"$W/seq.log"
	printf 'ONE\nTWO\nTHREE\n' | cmp -s - "$W/out/g6.txt"
	ok $? "$k: the host's three answers arrive as three messages"
	diag <"$W/out/g6.txt" 2>/dev/null
	grep -q "2:6001: connection refused" "$W/out/g7.err" 2>/dev/null
	ok $? "$k: guest seqpacket to a stream host listener: refused"
	diag <"$W/out/g7.err" 2>/dev/null
	[ "$(cat "$W/out/g8.txt" 2>/dev/null)" = "after reload" ]
	ok $? "$k: after the guest driver's reload (device stop and start) traffic flows again"
	grep -c 'GET_VRING_BASE\|stopped at' "$W/dev.err" | diag
	grep -q "2:6099: connection refused" "$W/out/g5.err" 2>/dev/null
	ok $? "$k: no host listener on port 6099: the guest's connect is refused (RST)"
	diag <"$W/out/g5.err" 2>/dev/null

	# the guest's programs at their default buffer size (256 KiB), both ways (issue 23)
	want=$(cat "$W/out/d.sha" 2>/dev/null)
	for d in "6010 socat -u OPEN:FILE VSOCK-CONNECT:2:6010" \
		"6011 vsockcat --buffer-size 262144 2 6011" \
		"6012 Python SOCK_SEQPACKET messages of 1 byte to 64 KiB"; do
		read -r port what <<<"$d"
		[ "$(cat "$W/out/d$port.rc" 2>/dev/null)" = 0 ] &&
			[ "$(wc -c <"$W/d$port.bin")" = 4194304 ] && [ "$(sha "$W/d$port.bin")" = "$want" ]
		ok $? "$k: guest to host, $what: 4 MiB byte-identical"
		{ echo "guest status $(cat "$W/out/d$port.rc" 2>/dev/null), $(wc -c <"$W/d$port.bin") bytes arrived"
			cat "$W/h$port.err"; } | diag
	done
	[ -s "$W/d6012.lens" ] && cmp -s "$W/out/d6012.lens" "$W/d6012.lens"
	ok $? "$k: guest seqpacket to 6012: the $(wc -l <"$W/d6012.lens") messages arrived with their boundaries"
	diff "$W/out/d6012.lens" "$W/d6012.lens" 2>&1 | head -5 | diag
	for port in 5010 5011; do
		[ "$(cat "$W/out/r$port.size" 2>/dev/null)" = 4194304 ] &&
			[ "$(cat "$W/out/r$port.sha")" = "$(sha "$W/d.bin")" ]
		ok $? "$k: host to guest port $port (default buffer): 4 MiB byte-identical"
	done

	[ "$(cat "$W/out/g10.rc" 2>/dev/null)" = 3 ] && grep -q "timed out" "$W/out/g10.err" &&
		[ "$(grep -c 'tx: packet to CID 9, not the host: dropped' "$W/dev.err")" = 1 ]
	ok $? "$k: vsockcat --to-host 9 goes through vsockdev (dropped there: timed out)"
	{ cat "$W/out/g10.rc" "$W/out/g10.err"; grep 'CID 9' "$W/dev.err"; } 2>&1 | diag
	[ "$(cat "$W/out/g9.rc" 2>/dev/null)" = 1 ] && ! grep -q 'timed out' "$W/out/g9.err"
	ok $? "$k: without --to-host the connect to CID 9 takes vhost_vsock and fails at once"
	{ cat "$W/out/g9.rc" "$W/out/g9.err"; } 2>&1 | diag

	wait_pid "$dpid" 30
	ok $? "$k: vsockdev exits 0 when QEMU leaves"
	grep -q '^vsockdev: check: 0 findings$' "$W/dev.err"
	ok $? "$k: vsockdev --check: no finding live"
	grep -v 'connection\|host program\|vhost-user\|queue\|guest port' "$W/dev.err" | diag
	"$B/vsockdump" -r "$W/cap.pcap" --check >"$W/check.out" 2>&1
	ok $? "$k: vsockdump -r --check: no finding in vsockdev's capture"
	tail -20 "$W/check.out" | diag
	"$B/vsockdump" -r "$W/cap.pcap" --stats >"$W/stats.out" 2>&1
	awk '$3 ~ /^2:/ && $4 == "42:5001" && $7 == 16777216 && $9 == 16777216 { f = 1 }
		END { exit !f }' "$W/stats.out"
	ok $? "$k: the capture holds 5001's 16 MiB each way"
	diag <"$W/stats.out"
	# what let the default-buffer senders through: vsockdev's CREDIT_UPDATEs to them
	local cu=()
	for port in 6010 6011 6012; do
		cu+=("$(credit_updates "$W/cap.pcap" "$port")")
	done
	[ "${cu[0]}" -gt 0 ] && [ "${cu[1]}" -gt 0 ] && [ "${cu[2]}" -gt 0 ]
	ok $? "$k: the capture shows CREDIT_UPDATEs from 2:6010, 2:6011, 2:6012 to the guest (${cu[*]})"
	ps -o pid= -p "$dpid" >/dev/null 2>&1 && kill "$dpid" 2>/dev/null
	stop_pids
}

# run_late K [again]: vsockdev --mutate late_credit_update (its policy before issue 23:
# CREDIT_UPDATE only when the guest's view of our 1 MiB falls below 64 KiB) as the VM's
# vsock device, and the guest's socat sending 4 MiB to host port 6010 at its default
# buffer (tests/vm/vsockdev-guest.sh late): a patched Linux sender never has more than
# its own 256 KiB in flight, so the transfer stalls there (the guest gives up after 25 s);
# the capture shows no CREDIT_UPDATE on it, a stall in vsockdump --stats and the
# credit_stall warning in --check.  Status 75 as run_kernel.
run_late() {
	local k=$1
	local W=$T/late-$k dpid vmpid got hgot
	mkdir -p "$W/out"
	"$D" --socket "$W/vu.sock" --cid 42 --uds "$W/v.sock" --capture "$W/cap.pcap" \
		--mutate late_credit_update -v 2>"$W/dev.err" &
	dpid=$!
	pids+=("$dpid")
	"$V" --uds "$W/v.sock" -l 6010 >"$W/d6010.bin" 2>"$W/h6010.err" &
	pids+=($!)
	wait_for 10 test -S "$W/vu.sock" && wait_for 10 test -S "$W/v.sock_6010"
	ok $? "$k late: vsockdev --mutate late_credit_update and host listener 6010 are up" || {
		diag <"$W/dev.err"
		stop_pids
		return 0
	}
	VSK_VM_BOOT_RETRY=0 VSK_VM_MEMFD=1 VSK_VM_QEMU_ARGS="-chardev socket,id=vsk0,path=$W/vu.sock -device vhost-user-vsock-pci,chardev=vsk0" \
		tests/vm/run -k "$k" -t 300 -o "$W/out" tests/vm/vsockdev-guest.sh late \
		>"$W/vm.out" 2>"$W/vm.err" &
	vmpid=$!
	pids+=("$vmpid")
	vm_wait_ready "$k" "$W" || return 75
	vm_guest_tap "$k late" "$W" 200
	wait_pid "$dpid" 30
	got=$(wc -c <"$W/d6010.bin")
	[ "$(cat "$W/out/d6010.rc" 2>/dev/null)" = 124 ] && [ "$got" -lt 4194304 ]
	ok $? "$k late: socat's 4 MiB to host port 6010 stalled: cut off after 25 s, $got bytes arrived"
	diag <"$W/h6010.err"
	got=$(credit_updates "$W/cap.pcap" 6010)
	[ "$got" = 0 ]
	ok $? "$k late: the capture shows no CREDIT_UPDATE from 2:6010 ($got)"
	# the analysis sees it: a stall of the guest's end in --stats, the credit_stall
	# warning in --check
	"$B/vsockdump" -r "$W/cap.pcap" --stats --json 2>&1 | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("record") == "conn" and r["b"]["port"] == 6010:
        print(r["a"]["stalls"], r["b"]["stalls"])' >"$W/stalls"
	read -r got hgot <"$W/stalls"
	[ "${got:-0}" -gt 0 ]
	ok $? "$k late: vsockdump --stats counts the guest's stall on it (stalls: guest ${got:-none}, host ${hgot:-none})"
	"$B/vsockdump" -r "$W/cap.pcap" --stats 2>&1 | tail -3 | diag
	"$B/vsockdump" -r "$W/cap.pcap" --check >"$W/check.out" 2>&1
	grep -qw credit_stall "$W/check.out"
	ok $? "$k late: vsockdump --check warns credit_stall on it"
	tail -5 "$W/check.out" | diag
	stop_pids
}

each_kernel run_kernel run_late
