#!/usr/bin/env bash
# tests/vm/test-full-frames.sh - runs inside the test VM (tests/vm/run).  Like
# test-capture.sh, but the sender writes 128 KiB at a time, so the loopback transport sends
# RW frames of the full 64 KiB: 32 + 44 + 65536 = 65612 bytes on vsockmon0.  The default
# snapshot length must keep them whole (libpcap sizes ring slots from the MTU, which leaves
# out the virtio header: vsockdump asks for 262144 by default).  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
PORT=5000
SIZE=$((1 << 20))

head -c "$SIZE" /dev/urandom >"$T/payload"
cap_start live
ok $? "vsockdump -i vsockmon0 -w is listening (default snapshot length)"
timeout 60 socat -u VSOCK-LISTEN:$PORT CREATE:"$T/received" 2>"$T/server.err" &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':$PORT '"
timeout 60 socat -b 131072 -u FILE:"$T/payload" VSOCK-CONNECT:1:$PORT 2>"$T/client.err"
rc=$?
wait_pid "$srv" 60
cmp -s "$T/payload" "$T/received"
ok $((rc + $?)) "1 MiB sent in 128 KiB writes arrived intact"
cap_stop live
ok $? "vsockdump stops on SIGINT with status 0"
[ "$(cap_count live 'dropped by kernel')" = 0 ]
ok $? "kernel dropped $(cap_count live 'dropped by kernel') frames"
full=$(grep -c ' RW, len 65536' "$T/live.txt")
[ "$full" -gt 0 ]
ok $? "the capture holds $full RW frames of the full 64 KiB"
! grep -q 'truncated' "$T/live.txt"
ok $? "no frame is cut by the default snapshot length"
grep -m3 'truncated' "$T/live.txt" | diag
python3 "$(dirname "$0")/pcap-payload.py" "$T/live.pcap" $PORT >"$T/recovered" 2>"$T/recover.err"
rc=$?
cmp -s "$T/payload" "$T/recovered"
ok $((rc + $?)) "payload recovered from the capture equals the 1 MiB sent"
diag "$T/recover.err"
cap_clean live
finish
