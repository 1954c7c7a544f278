#!/usr/bin/env bash
# tests/vm/test-analysis.sh - runs inside the test VM (tests/vm/run).  The flow analysis on
# real kernel traffic: a live capture of an echo, a refused connection, a bulk transfer, a
# half-close, a seqpacket exchange and a sender capped at its own buffer (issue 23) over
# loopback holds no finding of any severity (the kernel's own behaviour is not a
# violation, and a Linux receiver frees a capped sender in time: no credit_stall), --stats names every connection with its
# state, and --follow of the bulk transfer gives back the bytes sent.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
SIZE=$((1 << 20))

listen() { # PORT SOCAT-ADDRESS [SOCAT-OPTIONS]: a one-shot socat listener, waited for
	local port=$1
	shift
	timeout 60 socat "$@" 2>>"$T/server.err" &
	srv=$!
	wait_for 10 sh -c "ss --vsock -l -n | grep -q ':$port '"
}

cap_start live
ok $? "vsockdump -i vsockmon0 is listening"

# 1. echo: three lines, answered, then the client's EOF half-closes
listen 5000 VSOCK-LISTEN:5000 SYSTEM:cat
printf 'one\ntwo\nthree\n' | timeout 30 socat - VSOCK-CONNECT:1:5000 >"$T/echo" 2>>"$T/client.err"
wait_pid "$srv" 20
[ "$(cat "$T/echo")" = "$(printf 'one\ntwo\nthree')" ]
ok $? "echo answered"
# 2. refused: nobody on 5009
timeout 10 socat -u /dev/null VSOCK-CONNECT:1:5009 2>/dev/null
[ $? != 0 ]
ok $? "connection to a closed port refused"
# 3. bulk, client to server
head -c "$SIZE" /dev/urandom >"$T/bulk"
listen 5001 -u VSOCK-LISTEN:5001 CREATE:"$T/bulk.recv"
timeout 60 socat -u FILE:"$T/bulk" VSOCK-CONNECT:1:5001 2>>"$T/client.err"
wait_pid "$srv" 60
cmp -s "$T/bulk" "$T/bulk.recv"
ok $? "1 MiB bulk transfer arrived"
# 4. half-close: the server keeps sending after the client's SHUTDOWN send
listen 5002 VSOCK-LISTEN:5002 SYSTEM:'cat >/dev/null; echo late reply'
timeout 30 socat - VSOCK-CONNECT:1:5002 </dev/null >"$T/late" 2>>"$T/client.err"
wait_pid "$srv" 20
[ "$(cat "$T/late")" = "late reply" ]
ok $? "half-close: the reply after the client's EOF arrived"
# 5. seqpacket
listen 5003 -u VSOCK-LISTEN:5003,so-type=5 CREATE:"$T/seq.recv"
printf 'message one\n' | timeout 30 socat -u - VSOCK-CONNECT:1:5003,so-type=5 2>>"$T/client.err"
wait_pid "$srv" 20
[ "$(cat "$T/seq.recv")" = "message one" ]
ok $? "seqpacket message arrived"
# 6. a sender capped at its own buffer: socat keeps the kernel's 256 KiB, vsockcat listens
# with its 4 MiB, so the sender's limit is its own buf_alloc (since the CVE-2026-23086 fix)
timeout 60 vsockcat -l --recv-only 5004 >"$T/capped.recv" 2>>"$T/server.err" &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':5004 '"
timeout 60 socat -u FILE:"$T/bulk" VSOCK-CONNECT:1:5004 2>>"$T/client.err"
wait_pid "$srv" 60
cmp -s "$T/bulk" "$T/capped.recv"
ok $? "1 MiB from a 256 KiB sender to a 4 MiB receiver arrived"
diag "$T/server.err" "$T/client.err"
# Linux waits for the peer's RST after a full shutdown; let the last frames come.
wait_for 10 sh -c "! ss --vsock -a -n | grep -q ':500[0-4] '"
sleep 0.5
cap_stop live
ok $? "vsockdump stops on SIGINT"
[ "$(cap_count live 'dropped by kernel')" = 0 ]
ok $? "kernel dropped nothing"

# The verdicts, on the file.
vsockdump -r "$T/live.pcap" --check --close-timeout 8 >"$T/check.txt" 2>"$T/check.err"
rc=$?
ok $rc "vsockdump --check: no error on real kernel traffic (status $rc)"
grep -E '\[!|^[0-9:.]+ ! ' "$T/check.txt" >"$T/findings"
[ ! -s "$T/findings" ]
ok $? "no finding of any severity ($(wc -l <"$T/findings") lines)"
diag "$T/findings" "$T/check.err"
types=$(grep -c ' seqpacket ' "$T/check.txt")
[ "$types" -gt 0 ]
ok $? "seqpacket frames decoded as seqpacket ($types)"

vsockdump -r "$T/live.pcap" --stats -w /dev/null >"$T/stats.txt" 2>&1
ok $? "--stats"
grep -q ' refused ' "$T/stats.txt" && [ "$(grep -c ' closed ' "$T/stats.txt")" -ge 4 ]
ok $? "--stats: one refused connection and at least four closed ones"
diag "$T/stats.txt"
awk '$4 ~ /:5001$/ && $7 == '"$SIZE"' {found = 1} END {exit !found}' "$T/stats.txt"
ok $? "--stats counts the $SIZE bulk bytes"

vsockdump -r "$T/live.pcap" --follow dst port 5001 >"$T/followed" 2>"$T/follow.err"
rc=$?
cmp -s "$T/bulk" "$T/followed"
ok $((rc + $?)) "--follow dst port 5001 gives back the 1 MiB sent"
diag "$T/follow.err"
vsockdump -r "$T/live.pcap" --json --stats >"$T/json" 2>/dev/null &&
	python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
conns = [r for r in recs if r.get("record") == "conn"]
viol = [r for r in recs if r.get("record") == "violation"]
assert len(conns) >= 5 and not viol, (len(conns), viol)
' "$T/json"
ok $? "--json --stats: conn records, no violation records"

[ "$failed" = 0 ] || keep "$T"/live.* "$T"/*.txt "$T"/*.err
finish
