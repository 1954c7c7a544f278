#!/usr/bin/env bash
# tests/vm/test-artefacts.sh - runs inside the test VM (tests/vm/run).  What the kernel
# itself puts on the wire is decoded: a refused connection (REQUEST, then an RST sent
# without a socket, so buf_alloc 0 and fwd_cnt 0) and a clean close (SHUTDOWN, then RST).
# TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
R=5201 C=5202

cap_start cap
ok $? "vsockdump -i vsockmon0 is listening"

# Refused: nobody listens on R.
timeout 10 socat -u /dev/null VSOCK-CONNECT:1:$R 2>"$T/refused.err"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q 'Connection reset by peer' "$T/refused.err"
ok $? "connect to port $R without a listener fails with ECONNRESET (status $rc)"
diag "$T/refused.err"

# Clean close: socat sends one line, half-closes (shutdown SHUT_WR) at EOF, then closes.
timeout 20 socat -u VSOCK-LISTEN:$C CREATE:"$T/received" 2>"$T/server.err" &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':$C '"
echo hello | timeout 10 socat -u - VSOCK-CONNECT:1:$C 2>"$T/client.err"
rc=$?
wait_pid "$srv" 20
[ "$rc" = 0 ] && [ $? = 0 ] && [ "$(cat "$T/received")" = hello ]
ok $? "one line over port $C, then a close on both sides"
diag "$T/server.err" "$T/client.err"
# Let the last RSTs pass (the closing side waits for the peer's RST).
wait_for 10 sh -c "! ss --vsock -a -n | grep -q ':$C '"

cap_stop cap
ok $? "vsockdump stops on SIGINT with status 0"
[ "$(cap_count cap 'dropped by kernel')" = 0 ]
ok $? "kernel dropped $(cap_count cap 'dropped by kernel') frames"

vsockdump -r "$T/cap.pcap" -t -v >"$T/text" 2>"$T/text.err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/text.err" ] && ! grep -q '\[' "$T/text"
ok $? "every frame decodes without a problem (vsockdump -r -v, status $rc)"
diag "$T/text.err"

# Refused, as vsockdump prints it: exactly a REQUEST and an RST with zero credit.
grep -E "^1:$R > | > 1:$R " "$T/text" >"$T/refused"
cp=$(sed -n "s/^1:\([0-9]*\) > 1:$R stream REQUEST, len 0, buf_alloc [0-9]*, fwd_cnt 0\$/\1/p" "$T/refused")
[ -n "$cp" ] && [ "$(wc -l <"$T/refused")" = 2 ] &&
	[ "$(sed -n 2p "$T/refused")" = "1:$R > 1:$cp stream RST, len 0, buf_alloc 0, fwd_cnt 0" ]
ok $? "refused: REQUEST to 1:$R, then RST back with buf_alloc 0, fwd_cnt 0, nothing else"
diag "$T/refused"

# Clean close, as vsockdump prints it.
grep -E "^1:$C > | > 1:$C " "$T/text" >"$T/close"
cp=$(sed -n "1s/^1:\([0-9]*\) > 1:$C stream REQUEST, .*/\1/p" "$T/close")
[ -n "$cp" ] && sed -n 2p "$T/close" | grep -q "^1:$C > 1:$cp stream RESPONSE, len 0,"
ok $? "close: the connection opens with REQUEST and RESPONSE"
vsockdump -r "$T/cap.pcap" -t -A "port $C and op rw" >"$T/data"
[ "$(cat "$T/data")" = "1:$cp > 1:$C stream RW, len 6
hello" ]
ok $? "close: its only data is RW len 6 'hello', shown by -A"
diag "$T/data"
grep -q "^1:$cp > 1:$C stream SHUTDOWN flags send, len 0," "$T/close"
ok $? "close: socat's half-close is a SHUTDOWN with flags send"
grep -q "stream SHUTDOWN flags rcv|send, len 0," "$T/close"
ok $? "close: the full close is a SHUTDOWN with flags rcv|send"
first_shut=$(grep -n ' SHUTDOWN ' "$T/close" | head -1 | cut -d: -f1)
first_rst=$(grep -n ' RST, ' "$T/close" | head -1 | cut -d: -f1)
[ -n "$first_shut" ] && [ -n "$first_rst" ] && [ "$first_shut" -lt "$first_rst" ] &&
	! tail -n +"$first_rst" "$T/close" | grep -qv -e ' RST, ' -e ' SHUTDOWN '
ok $? "close: SHUTDOWN comes first, then RST, and no data or credit after the first RST"
diag "$T/close"

vsockdump -r "$T/cap.pcap" --json "port $R or port $C" >"$T/json"
[ -s "$T/json" ] && ! grep -q '"problems"' "$T/json" &&
	grep -q '"op":"rst","flags":0,"flag_names":\[\],"len":0,"buf_alloc":0,"fwd_cnt":0' "$T/json" &&
	grep -q '"op":"shutdown","flags":3,"flag_names":\["rcv","send"\]' "$T/json"
ok $? "--json names the same: rst with zero credit, shutdown flags 3 as [rcv, send]"

[ "$failed" = 0 ] || keep "$T/cap.pcap" "$T/text" "$T"/*.err
cap_clean cap
finish
