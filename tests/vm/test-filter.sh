#!/usr/bin/env bash
# tests/vm/test-filter.sh - runs inside the test VM (tests/vm/run).  Two connections run at
# the same time; vsockdump -i with a filter (compiled to classic BPF and run by the kernel)
# captures exactly the frames of one of them, judged against an unfiltered capture taken
# at the same time.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
A=5101 B=5102
SIZE=$((512 << 10))

head -c "$SIZE" /dev/urandom >"$T/payload-$A"
head -c "$SIZE" /dev/urandom >"$T/payload-$B"
cap_start filtered port $A
r1=$?
cap_start all
ok $((r1 + $?)) "two live captures are listening, one with the filter 'port $A'"

for p in $A $B; do
	timeout 60 socat -u VSOCK-LISTEN:$p CREATE:"$T/received-$p" 2>"$T/server-$p.err" &
	srv[$p]=$!
done
# Wait until both listeners show up in vsock_diag (ss), then start both clients at once.
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':$A ' && ss --vsock -l -n | grep -q ':$B '"
ok $? "both listeners are up (ss --vsock -l)"
# Each client pauses half way, so both connections are open at once whatever the timing.
for p in $A $B; do
	{
		head -c $((SIZE / 2)) "$T/payload-$p"
		sleep 1
		tail -c +$((SIZE / 2 + 1)) "$T/payload-$p"
	} | timeout 60 socat -u - VSOCK-CONNECT:1:$p 2>"$T/client-$p.err" &
	cli[$p]=$!
done
bad=0
for p in $A $B; do
	wait_pid "${cli[$p]}" 60 || bad=1
	wait_pid "${srv[$p]}" 60 || bad=1
	cmp -s "$T/payload-$p" "$T/received-$p" || bad=1
done
ok $bad "both 512 KiB transfers arrived intact"
diag "$T"/server-*.err "$T"/client-*.err

cap_stop filtered
r1=$?
cap_stop all
ok $((r1 + $?)) "both captures stop on SIGINT with status 0"
for c in filtered all; do
	[ "$(cap_count $c 'dropped by kernel')" = 0 ]
	ok $? "$c: kernel dropped $(cap_count $c 'dropped by kernel') frames"
done

# The kernel's count of frames its filter accepted is what the filtered capture holds,
# fewer than the unfiltered one saw: the frames of port $B were dropped in the kernel.
fc=$(cap_count filtered captured) fr=$(cap_count filtered 'received by filter')
ar=$(cap_count all 'received by filter')
[ -n "$fc" ] && [ "$fc" = "$fr" ] && [ "$fr" -lt "$ar" ]
ok $? "the kernel filter passed $fr of the $ar frames, all $fc of them captured"

vsockdump -r "$T/filtered.pcap" --json >"$T/filtered.json" 2>"$T/filtered-r.err"
vsockdump -r "$T/all.pcap" --json >"$T/all.json" 2>"$T/all-r.err"
grep -c "\"src_port\":$B,\|\"dst_port\":$B," "$T/all.json" >"$T/nb"
[ "$(cat "$T/nb")" -gt 0 ] && [ "$(grep -c "\"dst_port\":$A," "$T/all.json")" -gt 0 ]
ok $? "the unfiltered capture holds frames of both connections ($(cat "$T/nb") of port $B)"
last_req=$(grep -n '"op":"request"' "$T/all.json" | tail -1 | cut -d: -f1)
first_shut=$(grep -n '"op":"shutdown"' "$T/all.json" | head -1 | cut -d: -f1)
[ -n "$last_req" ] && [ -n "$first_shut" ] && [ "$last_req" -lt "$first_shut" ]
ok $? "the connections overlap: both REQUESTs (to frame ${last_req:-?}) precede the first SHUTDOWN (frame ${first_shut:-?})"
# Every filtered frame has port A on one side.
! grep -v "\"src_port\":$A,\|\"dst_port\":$A," "$T/filtered.json" | grep -q .
ok $? "every frame of the filtered capture belongs to port $A"
# Exactly the same frames, in the same order, as the unfiltered capture holds for port A
# (selected here by vsockdump's own file-side filter); timestamps aside.
vsockdump -r "$T/all.pcap" --json "port $A" | sed 's/"ts":[0-9.]*,//' >"$T/all-a"
sed 's/"ts":[0-9.]*,//' "$T/filtered.json" >"$T/filtered-a"
[ -s "$T/all-a" ] && diff "$T/all-a" "$T/filtered-a" >"$T/diff"
ok $? "the filtered capture has exactly the $(wc -l <"$T/all-a") frames of port $A the unfiltered one has"
head -20 "$T/diff" | diag
python3 "$(dirname "$0")/pcap-payload.py" "$T/filtered.pcap" $A >"$T/recovered" 2>"$T/recover.err"
rc=$?
cmp -s "$T/payload-$A" "$T/recovered"
ok $((rc + $?)) "the payload of port $A recovered from the filtered capture equals what was sent"
diag "$T/recover.err"

[ "$failed" = 0 ] || keep "$T"/*.pcap "$T"/*.json "$T"/*.err
cap_clean all
cap_clean filtered
finish
