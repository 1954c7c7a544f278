#!/usr/bin/env bash
# tests/vm/test-capture.sh - runs inside the test VM (tests/vm/run).  A live capture on
# vsockmon0 of a loopback connection carrying a known 4 MiB payload: the payload recovered
# from vsockdump's file equals what was sent, the kernel dropped nothing, and vsockdump's
# decode of the file agrees with tcpdump's, packet by packet.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=5000
SIZE=$((4 << 20))

head -c "$SIZE" /dev/urandom >"$T/payload"
cap_start live
ok $? "vsockdump -i vsockmon0 -w is listening"

timeout 60 socat -u VSOCK-LISTEN:$PORT CREATE:"$T/received" 2>"$T/server.err" &
srv=$!
# The listener is up when a connection gets through; retry while it is refused.
for ((i = 0; i < 50; i++)); do
	timeout 60 socat -u FILE:"$T/payload" VSOCK-CONNECT:1:$PORT 2>"$T/client.err" && break
	sleep 0.1
done
wait_pid "$srv" 60
srv_rc=$?
cmp -s "$T/payload" "$T/received"
ok $((srv_rc + $?)) "4 MiB sent over loopback with socat arrived intact"
diag "$T/server.err" "$T/client.err"

cap_stop live
ok $? "vsockdump stops on SIGINT with status 0"
diag "$T/live.err"
captured=$(cap_count live captured)
received=$(cap_count live 'received by filter')
dropped=$(cap_count live 'dropped by kernel')
[ "$dropped" = 0 ] && [ -n "$captured" ] && [ "$captured" = "$received" ]
ok $? "kernel dropped ${dropped:-?} frames, captured ${captured:-?} of ${received:-?} received"
lines=$(wc -l <"$T/live.txt")
[ "$lines" = "$captured" ]
ok $? "--print showed one line per captured frame ($lines)"

python3 "$(dirname "$0")/pcap-payload.py" "$T/live.pcap" $PORT >"$T/recovered" 2>"$T/recover.err"
rc=$?
cmp -s "$T/payload" "$T/recovered"
ok $((rc + $?)) "payload recovered from the capture equals the 4 MiB sent"
diag "$T/recover.err"

tcpdump -Z root -r "$T/live.pcap" -nn -v -tttt >"$T/tcpdump.txt" 2>"$T/tcpdump.err"
ok $? "tcpdump reads vsockdump's file"
vsockdump -r "$T/live.pcap" --json >"$T/vsockdump.json" 2>"$T/vsockdump.err"
ok $? "vsockdump -r --json reads its own file"
# 4 MiB in RW of at most 64 KiB: 64 frames or more
python3 "$VSK_SRC/tests/golden/tcpdump-agree.py" --min 64 "$T/tcpdump.txt" "$T/vsockdump.json" \
	>"$T/agree" 2>&1
ok $? "vsockdump --json and tcpdump -v agree on every frame of the live capture (64 or more)"
diag "$T/agree"

[ "$failed" = 0 ] || keep "$T"/live.* "$T"/*.txt "$T"/*.json "$T"/*.err
cap_clean live
finish
