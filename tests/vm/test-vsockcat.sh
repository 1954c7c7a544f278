#!/usr/bin/env bash
# tests/vm/test-vsockcat.sh - runs inside the test VM (tests/vm/run).  vsockcat over the
# loopback transport (CID 1): byte-identical bulk transfers both ways, half-close both
# ways, SEQPACKET boundaries over 1,000 messages, refused vs timed out vs no transport,
# -k with 20 clients (one after another and concurrently), -e/-c environment,
# --allow/--deny, -z over a range, --bench.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
MIB=${VSK_VSOCKCAT_MIB:-64}

listening() { ss --vsock -l -n | grep -q ":$1 "; }
# serve PORT ARGS...: vsockcat -l ARGS PORT in the background (stdin /dev/null unless
# redirected by the caller through $SRV_IN), output $T/srv-PORT.out; pid in $srv
serve() {
	local port=$1
	shift
	timeout 120 vsockcat -l "$@" "$port" <"${SRV_IN:-/dev/null}" >"$T/srv-$port.out" \
		2>"$T/srv-$port.err" &
	srv=$!
	wait_for 10 listening "$port"
}

# ---- bulk, both directions ----
head -c $((MIB << 20)) /dev/urandom >"$T/big"
want=$(sha256sum <"$T/big" | cut -d' ' -f1)
serve 6001
timeout 300 vsockcat local 6001 <"$T/big" 2>"$T/c1.err"
rc=$?
wait_pid "$srv" 60
src=$?
got=$(sha256sum <"$T/srv-6001.out" | cut -d' ' -f1)
[ "$rc" = 0 ] && [ "$src" = 0 ] && [ "$got" = "$want" ]
ok $? "$MIB MiB client -> listener arrive byte-identical (sha256; status $rc/$src)"
diag "$T/c1.err" "$T/srv-6001.err"

# stdin a file already read in part (sent from mapped windows of 4 MiB: 9 MiB + 123 bytes
# crosses three) and stdin a pipe: exactly the rest of the file arrives, and the file's
# offset is left at its end for the next reader.
head -c $(((9 << 20) + 123)) "$T/big" >"$T/odd"
want_rest=$(tail -c +1001 "$T/odd" | sha256sum | cut -d' ' -f1)
serve 6011
{ head -c 1000 >/dev/null; timeout 120 vsockcat local 6011 2>"$T/c11.err"; echo "rc=$?"; cat | wc -c; } \
	<"$T/odd" >"$T/c11.out"
wait_pid "$srv" 60
src=$?
got=$(sha256sum <"$T/srv-6011.out" | cut -d' ' -f1)
[ "$got" = "$want_rest" ] && [ "$src" = 0 ] && [ "$(tr '\n' ' ' <"$T/c11.out")" = "rc=0 0 " ]
ok $? "stdin a file at offset 1000: the rest arrives byte-identical, offset left at the end ($(tr '\n' ' ' <"$T/c11.out"))"
diag "$T/c11.err" "$T/srv-6011.err"
serve 6012
cat "$T/odd" | timeout 120 vsockcat local 6012 2>"$T/c12.err"
rc=$?
wait_pid "$srv" 60
src=$?
[ "$(sha256sum <"$T/srv-6012.out" | cut -d' ' -f1)" = "$(sha256sum <"$T/odd" | cut -d' ' -f1)" ] &&
	[ "$rc" = 0 ] && [ "$src" = 0 ]
ok $? "stdin a pipe: 9 MiB + 123 bytes arrive byte-identical (status $rc/$src)"
diag "$T/c12.err" "$T/srv-6012.err"

# The client has nothing to send: its stdin EOF at once is SHUT_WR, and the listener's
# 64 MiB still arrive whole (the half-close the VMMs get wrong, vsock-facts E.2).
SRV_IN=$T/big serve 6002
timeout 300 vsockcat local 6002 </dev/null >"$T/c2.out" 2>"$T/c2.err"
rc=$?
wait_pid "$srv" 60
src=$?
got=$(sha256sum <"$T/c2.out" | cut -d' ' -f1)
[ "$rc" = 0 ] && [ "$src" = 0 ] && [ "$got" = "$want" ]
ok $? "$MIB MiB listener -> client after the client's half-close arrive byte-identical (status $rc/$src)"
diag "$T/c2.err" "$T/srv-6002.err"
rm -f "$T/c2.out" "$T/srv-6001.out"

# ---- half-close ----
# client side: wc answers only once it sees EOF, so the answer proves SHUT_WR was sent
# and that the client kept reading afterwards.
serve 6003 -c 'wc -c'
out=$(printf 'hello\n' | timeout 20 vsockcat local 6003 2>"$T/c3.err")
rc=$?
wait_pid "$srv" 20
[ "$rc" = 0 ] && [ "$(echo $out)" = 6 ]
ok $? "client stdin EOF -> SHUT_WR; the answer sent after it still arrives ('$out', status $rc)"
diag "$T/c3.err" "$T/srv-6003.err"

# listener side: its stdin ends first (SHUT_WR), it still receives what the client
# sends a second later.
printf 'from listener\n' >"$T/l4"
SRV_IN=$T/l4 serve 6004
out=$({ sleep 1; echo late; } | timeout 20 vsockcat local 6004 2>"$T/c4.err")
rc=$?
wait_pid "$srv" 20
src=$?
[ "$rc" = 0 ] && [ "$src" = 0 ] && [ "$out" = "from listener" ] &&
	[ "$(cat "$T/srv-6004.out")" = late ]
ok $? "listener stdin EOF -> SHUT_WR; it still reads the client's later data (status $rc/$src)"

# --no-shutdown: no EOF reaches wc, so there is no answer; -i ends the wait.
serve 6005 -c 'wc -c'
out=$(printf 'hello\n' | timeout 20 vsockcat --no-shutdown -i 2 local 6005 2>"$T/c5.err")
rc=$?
kill "$srv" 2>/dev/null
wait_pid "$srv" 5
[ "$rc" = 0 ] && [ -z "$out" ]
ok $? "--no-shutdown: no SHUT_WR, no answer; -i 2 ends the idle connection (status $rc)"

# ---- SEQPACKET ----
# 1,000 messages of random sizes 1..8192, framed with a 4-byte big-endian length on both
# sides: the output equals the input only if every boundary was kept.
python3 -c '
import os, struct, sys
out = sys.stdout.buffer
for i in range(1000):
    n = 1 + int.from_bytes(os.urandom(2), "big") % 8192
    out.write(struct.pack(">I", n) + os.urandom(n))
' >"$T/frames"
serve 6006 --seqpacket --framing len
timeout 120 vsockcat --seqpacket --framing len local 6006 <"$T/frames" 2>"$T/c6.err"
rc=$?
wait_pid "$srv" 60
cmp -s "$T/frames" "$T/srv-6006.out"
ok $? "--seqpacket: 1,000 messages of random sizes, boundaries and bytes kept (status $rc, $(wc -c <"$T/frames") bytes)"
diag "$T/c6.err" "$T/srv-6006.err"

# lines -> messages; messages -> lines; --record-size; --eor
serve 6007 --seqpacket --framing len
printf 'a\nbb\n\nccc' | timeout 20 vsockcat --seqpacket --eor local 6007 2>"$T/c7.err"
wait_pid "$srv" 20
printf '\0\0\0\001a\0\0\0\002bb\0\0\0\003ccc' | cmp -s - "$T/srv-6007.out"
ok $? "--seqpacket --eor: each line is one message (empty lines are not sent; the last line needs no newline)"
serve 6008 --seqpacket
printf 'abcdefgh' | timeout 20 vsockcat --seqpacket --record-size 3 local 6008 2>"$T/c8.err"
wait_pid "$srv" 20
[ "$(cat "$T/srv-6008.out")" = "$(printf 'abc\ndef\ngh')" ]
ok $? "--seqpacket --record-size 3: 'abcdefgh' is 3 messages, written one per line"

# ---- errors ----
timeout 20 vsockcat local 6999 </dev/null >/dev/null 2>"$T/refused"
rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$T/refused")" = 1 ] &&
	grep -q '^vsockcat: 1:6999: connection refused' "$T/refused"
ok $? "no listener: 'connection refused', status 1 (status $rc)"
diag "$T/refused"
timeout 20 vsockcat 3 6999 </dev/null >/dev/null 2>"$T/nodev"
rc=$?
[ "$rc" = 1 ] && grep -q '^vsockcat: 3:6999: no vsock transport' "$T/nodev"
ok $? "CID 3 before vhost_vsock is loaded: 'no vsock transport', status 1 (status $rc)"
diag "$T/nodev"
# A timeout needs a peer that never answers: vhost_vsock with guest CID 3 set but no
# worker queues the REQUEST for ever (the fd is held open by a sleeping python3).
modprobe vhost_vsock 2>"$T/modprobe.err"
python3 -c '
import fcntl, struct, time
fd = open("/dev/vhost-vsock", "rb", buffering=0)
fcntl.ioctl(fd, 0x4008af60, struct.pack("<Q", 3))   # VHOST_VSOCK_SET_GUEST_CID
print("ready", flush=True)
time.sleep(60)
' >"$T/vhost.out" 2>"$T/vhost.err" &
vh=$!
wait_for 10 grep -q ready "$T/vhost.out"
t0=${EPOCHREALTIME/./}
timeout 20 vsockcat -w 1.5 3 6999 </dev/null >/dev/null 2>"$T/timeout"
rc=$?
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
[ "$rc" = 3 ] && grep -q '^vsockcat: 3:6999: connection timed out' "$T/timeout" &&
	[ "$ms" -ge 1400 ] && [ "$ms" -lt 4000 ]
ok $? "a CID that never answers: 'connection timed out' after -w 1.5 ($ms ms), status 3 (status $rc)"
diag "$T/timeout" "$T/vhost.err" "$T/modprobe.err"
kill "$vh" 2>/dev/null

# ports below 1024 need CAP_NET_BIND_SERVICE: as nobody, binding 80 is refused
python3 -c 'import os; os.setgid(65534); os.setuid(65534); os.execvp("vsockcat", ["vsockcat", "-l", "80"])' \
	</dev/null >/dev/null 2>"$T/perm"
rc=$?
[ "$rc" = 1 ] && grep -q '^vsockcat: bind 4294967295:80: permission denied (ports below 1024' "$T/perm"
ok $? "-l 80 as an unprivileged user: 'permission denied', status 1 (status $rc)"
diag "$T/perm"
# -s and --source-port bind the connecting socket first
serve 6030 -c 'echo "$VSOCK_PEER_CID $VSOCK_PEER_PORT"'
out=$(timeout 10 vsockcat -s local --source-port 7030 local 6030 </dev/null 2>&1)
wait_pid "$srv" 10
[ "$out" = "1 7030" ]
ok $? "-s local --source-port 7030: the listener sees the client as 1:7030 ('$out')"

# ---- -k: 20 clients one after another, then 20 at once with --max-conns 5 ----
serve 6010 -k -e cat
bad=0
for i in $(seq 20); do
	out=$(echo "client $i" | timeout 10 vsockcat local 6010 2>>"$T/k.err")
	[ "$out" = "client $i" ] || bad=$((bad + 1))
done
kill "$srv" 2>/dev/null
wait_pid "$srv" 5
[ "$bad" = 0 ]
ok $? "-k -e cat: 20 clients one after another each get their line back ($bad failed)"
serve 6011 -k --max-conns 5 -c 'sleep 0.5; cat'
for i in $(seq 20); do
	(echo "client $i" | timeout 30 vsockcat local 6011 >"$T/kc.$i" 2>&1) &
done
t0=$(date +%s)
wait_for 30 sh -c "[ \$(cat $T/kc.* | grep -c '^client') = 20 ]"
bad=0
for i in $(seq 20); do [ "$(cat "$T/kc.$i")" = "client $i" ] || bad=$((bad + 1)); done
kill "$srv" 2>/dev/null
wait_pid "$srv" 5
[ "$bad" = 0 ]
ok $? "-k --max-conns 5: 20 concurrent clients all served ($bad failed, $(($(date +%s) - t0)) s)"

# ---- -e / -c environment ----
serve 6012 -c 'echo "$VSOCK_PEER_CID $VSOCK_PEER_PORT $VSOCK_LOCAL_CID $VSOCK_LOCAL_PORT"'
out=$(timeout 10 vsockcat --source-port 7012 local 6012 </dev/null 2>&1)
wait_pid "$srv" 10
[ "$out" = "1 7012 1 6012" ]
ok $? "-c: VSOCK_PEER_CID/PORT and VSOCK_LOCAL_CID/PORT are set ('$out')"
serve 6013 -e env
out=$(timeout 10 vsockcat --source-port 7013 local 6013 </dev/null 2>&1 | grep '^VSOCK_' | sort | tr '\n' ' ')
wait_pid "$srv" 10
[ "$out" = "VSOCK_LOCAL_CID=1 VSOCK_LOCAL_PORT=6013 VSOCK_PEER_CID=1 VSOCK_PEER_PORT=7013 " ]
ok $? "-e env: the program sees the four variables ('$out')"
serve 6014 -e 'echo $HOME'
timeout 10 vsockcat local 6014 </dev/null >"$T/e14.out" 2>&1
wait_pid "$srv" 10
src=$?
[ "$src" = 1 ] && grep -q "vsockcat: echo \$HOME: No such file" "$T/srv-6014.err"
ok $? "-e runs no shell: 'echo \$HOME' is not a program (listener status $src)"

# ---- --allow / --deny ----
serve 6015 -v --deny local -e cat
out=$(echo hi | timeout 10 vsockcat -i 2 local 6015 2>/dev/null)
kill -0 "$srv" 2>/dev/null
alive=$?
kill "$srv" 2>/dev/null
wait_pid "$srv" 5
[ -z "$out" ] && [ "$alive" = 0 ] && grep -q 'rejected 1:' "$T/srv-6015.err"
ok $? "--deny local: the client is closed unanswered, the listener keeps waiting"
serve 6016 --allow 3-10 -e cat
out=$(echo hi | timeout 10 vsockcat -i 2 local 6016 2>/dev/null)
kill "$srv" 2>/dev/null
wait_pid "$srv" 5
[ -z "$out" ]
ok $? "--allow 3-10: CID 1 is not served"
serve 6017 --allow local,3-10 --deny 5 -e cat
out=$(echo hi | timeout 10 vsockcat local 6017 2>/dev/null)
wait_pid "$srv" 5
[ "$out" = hi ]
ok $? "--allow local,3-10 --deny 5: CID 1 is served"

# ---- -z ----
for p in 6101 6103 6105; do serve $p -k; done
timeout 30 vsockcat -z local 6100-6106 >"$T/scan" 2>&1
rc=$?
printf '1:%s %s\n' 6100 refused 6101 open 6102 refused 6103 open 6104 refused 6105 open 6106 refused |
	cmp -s - "$T/scan" && [ "$rc" = 0 ]
ok $? "-z local 6100-6106 finds exactly 6101, 6103, 6105 (status $rc)"
diag "$T/scan"
timeout 30 vsockcat -z local 6102 >/dev/null 2>&1
[ $? = 1 ]
ok $? "-z with no open port: status 1"
pkill_list=$(jobs -p)
[ -n "$pkill_list" ] && kill $pkill_list 2>/dev/null

# ---- -v and --bench ----
serve 6020 -v --bench
timeout 60 vsockcat --bench --bytes 8M local 6020 >"$T/bench.out" 2>"$T/bench.err"
rc=$?
wait_pid "$srv" 20
grep -q '^sent 8388608 bytes in [0-9.]* s: [0-9.]* MiB/s, [0-9.]* Gbit/s' "$T/bench.out" &&
	grep -q '^received 8388608 bytes in' "$T/srv-6020.out" && [ "$rc" = 0 ]
ok $? "--bench: both ends count 8 MiB and report MiB/s and Gbit/s"
diag "$T/bench.out" "$T/srv-6020.out"
grep -qE '^vsockcat: listening on 4294967295:6020 \(local CID [0-9]+\)$' "$T/srv-6020.err" &&
	grep -q '^vsockcat: connection from 1:' "$T/srv-6020.err"
ok $? "-v: the listening address, the local CID and the peer"
diag "$T/srv-6020.err"

finish
