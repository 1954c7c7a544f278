#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dissector/vm-live.sh - runs inside the test VM (tests/vm/run), started by
# tests/cli/dissector.sh: real kernel traffic on vsockmon0 for the plugin to decode on the
# host.  A stream connection with data both ways and a half-close, seqpacket messages with
# EOR, a 200 KB transfer (credit updates), a refused connection; the capture goes to
# /out/live.pcap.  TAP (the capture itself is judged on the host).
# shellcheck source-path=SCRIPTDIR source=../tests/vm/lib.sh
. "$(dirname "$0")/../tests/vm/lib.sh"

cap_start live
ok $? "vsockdump -i vsockmon0 is listening"

# Stream, both ways: the server answers every line, the client half-closes at EOF.
timeout 30 socat VSOCK-LISTEN:7001 EXEC:cat 2>"$T/s1.err" &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':7001 '"
out=$(printf 'ping\npong\n' | timeout 20 socat - VSOCK-CONNECT:1:7001 2>"$T/c1.err")
wait_pid "$srv" 20
[ "$out" = "$(printf 'ping\npong')" ]
ok $? "stream: two lines out and back over port 7001"

# Seqpacket, one record per line.
timeout 30 vsockcat -l --seqpacket 7002 >"$T/s2.out" 2>"$T/s2.err" </dev/null &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':7002 '"
printf 'a\nbb\n\nccc' | timeout 20 vsockcat --seqpacket --eor local 7002 2>"$T/c2.err"
rc=$?
wait_pid "$srv" 20
[ "$rc" = 0 ]
ok $? "seqpacket: records over port 7002 (status $rc)"
diag "$T/c2.err" "$T/s2.err"

# A bigger transfer: the receiver sends credit updates.
head -c 200000 /dev/zero | tr '\0' x >"$T/big"
timeout 60 vsockcat -l 7003 >"$T/s3.out" 2>"$T/s3.err" </dev/null &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':7003 '"
timeout 60 vsockcat local 7003 <"$T/big" 2>"$T/c3.err"
wait_pid "$srv" 60
cmp -s "$T/big" "$T/s3.out"
ok $? "stream: 200000 bytes over port 7003"

# Refused: nobody listens.
timeout 10 socat -u /dev/null VSOCK-CONNECT:1:7099 2>/dev/null
ok $(($? != 0 ? 0 : 1)) "refused: connect to port 7099 fails"

# Let the last RSTs pass.
wait_for 10 sh -c "! ss --vsock -a -n | grep -qE ':70(01|02|03) '"
cap_stop live
ok $? "vsockdump stops on SIGINT with status 0"
[ "$(cap_count live 'dropped by kernel')" = 0 ]
ok $? "kernel dropped $(cap_count live 'dropped by kernel') frames"
keep "$T/live.pcap"
[ -s /out/live.pcap ]
ok $? "the capture is in /out/live.pcap ($(wc -c <"$T/live.pcap") bytes)"
finish
