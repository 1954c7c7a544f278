#!/usr/bin/env bash
# tests/cli/vsockcat.sh - black-box tests of vsockcat on the build machine: bad arguments
# get one line on stderr and exit 2 before any socket is opened; the man page SYNOPSIS is
# usage(); hybrid vsock (--uds, UNIX sockets only) against tests/hybrid-peer.py playing
# Firecracker, Cloud Hypervisor and vhost-device-vsock.  Never opens an AF_VSOCK socket:
# everything that needs one is in tests/vm/test-vsockcat.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
V=$B/vsockcat
PEER=tests/hybrid-peer.py
T=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
# shellcheck source=../tap.bash
. tests/tap.bash        # ok, diag (only after a failed test), expect_exit, man_matches_usage
TAP_DIAG=failed
# shellcheck source=../wait.bash
. tests/wait.bash       # wait_for

# expect_usage PATTERN DESC -- ARGS...: vsockcat ARGS is a usage error (tests/tap.bash).
# Every case here fails in option parsing, before any socket.
expect_usage() { local pat=$1 desc=$2; shift 3; expect_exit 2 "$pat" "$desc" -- "$V" "$@"; }

expect_usage "unknown option --bogus" "unknown long option" -- --bogus 1 2
expect_usage "unknown option -j" "unknown short option" -- -j 1 2
expect_usage "option -w needs an argument" "-w without argument" -- 1 2 -w
expect_usage "option --uds needs an argument" "--uds without argument" -- 1 2 --uds
expect_usage "missing port" "no operands" --
expect_usage "missing CID" "port only, no -l" -- 1234
expect_usage "too many arguments: 'c'" "three operands" -- a b c
expect_usage "port 'x': not a number" "port not a number" -- 1 x
expect_usage "port '4294967296': out of range" "port too big" -- 1 4294967296
expect_usage "port '12abc': not a number" "port with trailing garbage" -- 1 12abc
expect_usage "CID 'guest': not a number" "unknown CID name" -- guest 1234
expect_usage "CID '-1': out of range" "negative CID" -- -- -1 1234
expect_usage "CID '4294967296': out of range" "CID too big" -- 4294967296 1234
expect_usage "CID given twice" "--cid and a CID operand" -- --cid 3 4 1234
expect_usage "-w '0': out of range" "-w zero" -- -w 0 1 1234
expect_usage "-w 'abc': not a number" "-w not a number" -- -w abc 1 1234
expect_usage "-i '-5': out of range" "-i negative" -- -i -5 1 1234
expect_usage "-i 'nan': not a number" "-i nan" -- -i nan 1 1234
expect_usage "--buffer-size '100': out of range" "--buffer-size below 128" -- --buffer-size 100 1 1
expect_usage "--buffer-size '5G': out of range" "--buffer-size above 4 GiB" -- --buffer-size 5G 1 1
expect_usage "--max-conns '0': out of range" "--max-conns zero" -- -l -k --max-conns 0 1
expect_usage "--framing 'xml': not line or len" "--framing bad" -- --seqpacket --framing xml 1 1
expect_usage "--allow 'foo': not a number" "--allow bad CID" -- -l --allow foo 1
expect_usage "--deny '9-3': empty range" "--deny empty range" -- -l --deny 9-3 1
expect_usage "-s 'x': not a number" "-s bad CID" -- -s x 1 1
expect_usage "-k needs -l" "-k without -l" -- -k 1 1
expect_usage "--max-conns needs -k" "--max-conns without -k" -- -l --max-conns 4 1
expect_usage "cannot use -l and -z" "-l with -z" -- -l -z 1
expect_usage "cannot use -e and -c" "-e with -c" -- -e cat -c cat 1 1
expect_usage "cannot use --send-only and --recv-only" "--send-only with --recv-only" -- --send-only --recv-only 1 1
expect_usage "--allow and --deny need -l" "--allow without -l" -- --allow 3 1 1
expect_usage "need --seqpacket" "--eor without --seqpacket" -- --eor 1 1
expect_usage "need --seqpacket" "--record-size without --seqpacket" -- --record-size 10 1 1
expect_usage "cannot use --record-size and --framing len" "--record-size with --framing len" -- --seqpacket --record-size 4 --framing len 1 1
expect_usage "--seqpacket does not work over --uds" "--seqpacket with --uds" -- --seqpacket --uds /x 1
expect_usage "port range '1-9' needs -z" "port range without -z" -- 1 1-9
expect_usage "port range '9-1': empty" "empty port range" -- -z 1 9-1
expect_usage "-w applies to connecting only" "-l with -w" -- -l -w 1 1
expect_usage "apply to connecting only" "-l with --to-host" -- -l --to-host 1
expect_usage "cannot use a CID with --uds" "CID with --uds" -- --uds /x 3 52
expect_usage "-z cannot be used with" "-z with --bench" -- -z --bench 1 1-2

# -h: the usage on stdout, status 0.  The man page SYNOPSIS is the same text.
"$V" -h >"$T/usage" 2>&1
ok $? "-h exits 0"
man_matches_usage "$V" man/vsockcat.1
"$V" 2>"$T/err" >/dev/null
grep -q 'see vsockcat -h' "$T/err"
ok $? "no operands points at -h"

# ---- hybrid vsock against the three VMM stand-ins ----
for m in firecracker cloud-hypervisor vhost-device-vsock; do
	python3 "$PEER" "$m" serve "$T/$m.sock" >"$T/$m.ready" 2>"$T/$m.log" &
	pids+=($!)
done
for m in firecracker cloud-hypervisor vhost-device-vsock; do
	wait_for 10 grep -q ready "$T/$m.ready" || echo "# $m peer did not start"
done

# run_uds MODE PORT STDIN-TEXT [OPTIONS...]: vsockcat --uds; status in $rc, output $T/o
run_uds() {
	local m=$1 port=$2 in=$3
	shift 3
	printf '%b' "$in" | timeout 10 "$V" "$@" --uds "$T/$m.sock" "$port" >"$T/o" 2>"$T/e"
	rc=$?
}

for m in firecracker cloud-hypervisor vhost-device-vsock; do
	run_uds "$m" 53 'one\ntwo\n'
	printf 'hello from guest\nONE\nTWO\n' | cmp -s - "$T/o" && [ "$rc" = 0 ]
	ok $? "$m: bytes in the same write as OK are kept, then the stream (status $rc)"

	run_uds "$m" 99 ''
	[ "$rc" = 1 ] && grep -q "closed the connection instead of answering OK" "$T/e" &&
		[ "$(wc -l <"$T/e")" = 1 ]
	ok $? "$m: no guest listener: one clear line, status 1 (status $rc)"
	diag <"$T/e"

	run_uds "$m" 54 '' -w 0.5
	[ "$rc" = 3 ] && grep -q "no OK for port 54 within 0.5 s" "$T/e"
	ok $? "$m: no OK line within -w: timed out, status 3 (status $rc)"
done

# Half-close, host-initiated: stdin EOF is SHUT_WR, then the answer is read.  Each VMM
# treats the host's EOF its own way (vsock-facts D.3, E.2).
run_uds cloud-hypervisor 52 'abc\n'
[ "$rc" = 0 ] && [ "$(cat "$T/o")" = ABC ]
ok $? "cloud-hypervisor: stdin EOF half-closes and the answer still arrives"
run_uds firecracker 52 'abc\n'
sleep 0.2
[ "$rc" = 0 ] && [ ! -s "$T/o" ] && grep -q 'conn 52 host EOF -> guest sees RCV|SEND' "$T/firecracker.log"
ok $? "firecracker: host EOF kills both directions: the VMM got OK'd data and EOF, vsockcat ends cleanly with no answer"
# -v says what ended it: the idle timeout, not an EOF or an error (no clock read)
run_uds vhost-device-vsock 52 'abc\n' -i 1 -v
[ "$rc" = 0 ] && [ ! -s "$T/o" ] && grep -q 'idle for 1 s, closing' "$T/e"
ok $? "vhost-device-vsock: SHUT_WR never reaches the guest: -i 1 ends the wait" || diag <"$T/e"
run_uds vhost-device-vsock 53 'x\n' -v
grep -q 'OK 53)' "$T/e" && [ ! -s "$T/vhost-device-vsock.swallowed" ] &&
	! grep -q swallowed "$T/vhost-device-vsock.log"
ok $? "vhost-device-vsock: OK carries the guest port; nothing pipelined after CONNECT to swallow"
run_uds firecracker 53 '' -v
grep -q 'OK 10737418[0-9][0-9])' "$T/e"
ok $? "firecracker: OK carries a host-side local port from 1<<30"
rm -f "$T/nothing"
run_uds nothing 52 ''
[ "$rc" = 1 ] && grep -q "nothing.sock: No such file" "$T/e"
ok $? "--uds to a missing socket: status 1, names the path"

# Guest-initiated: the VMM connects to PATH_PORT.
for m in cloud-hypervisor firecracker vhost-device-vsock; do
	rm -f "$T/l.sock_1234"
	printf 'from host\n' >"$T/in"
	timeout 10 "$V" -l --uds "$T/l.sock" 1234 <"$T/in" >"$T/lo" 2>"$T/le" &
	lp=$!
	wait_for 5 test -S "$T/l.sock_1234"
	timeout 10 python3 "$PEER" "$m" dial "$T/l.sock" 1234 'from guest' >"$T/do" 2>"$T/de"
	drc=$?
	wait "$lp"
	lrc=$?
	[ "$drc" = 0 ] && [ "$lrc" = 0 ] && [ "$(cat "$T/lo")" = "from guest" ] &&
		[ "$(cat "$T/do")" = "from host" ]
	ok $? "$m: -l --uds PATH 1234 serves the guest's connection on PATH_1234 (peer $drc, vsockcat $lrc)"
	diag <"$T/le"
done
rm -f "$T/l.sock_1235"
timeout 10 "$V" -l --uds "$T/l.sock" 1235 -c 'tr a-z A-Z' >"$T/lo" 2>"$T/le" &
lp=$!
wait_for 5 test -S "$T/l.sock_1235"
timeout 10 python3 "$PEER" cloud-hypervisor dial "$T/l.sock" 1235 'shout' >"$T/do" 2>/dev/null
wait "$lp"
[ "$(cat "$T/do")" = SHOUT ]
ok $? "-l --uds with -c: the guest's half-close reaches the program, its answer returns"

# --bench over hybrid vsock, both ends
run_uds cloud-hypervisor 52 '' --bench --bytes 1M
[ "$rc" = 0 ] && grep -qE '^sent 1048576 bytes in [0-9.]+ s: [0-9.]+ MiB/s, [0-9.]+ Gbit/s' "$T/o" &&
	grep -q 'conn 52 echoed 1048576 bytes' "$T/cloud-hypervisor.log"
ok $? "--bench --uds: 1 MiB through the VMM's socket, counted by the peer too"
diag <"$T/o"
rm -f "$T/l.sock_1236"
timeout 10 "$V" -l --bench --uds "$T/l.sock" 1236 >"$T/lo" 2>"$T/le" &
lp=$!
wait_for 5 test -S "$T/l.sock_1236"
timeout 10 python3 "$PEER" cloud-hypervisor dial "$T/l.sock" 1236 '0123456789' >/dev/null 2>&1
wait "$lp"
grep -q '^received 10 bytes in' "$T/lo"
ok $? "-l --bench --uds: the listener counts what the guest sent"
diag <"$T/lo"

echo "1..$n"
exit "$failed"
