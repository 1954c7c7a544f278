#!/usr/bin/env bash
# tests/vm/test-burst.sh - runs inside the test VM (tests/vm/run).  vsockdump with its
# defaults loses no frame that tcpdump keeps: both capture a burst (100 stream and 100
# seqpacket connections opened, used and closed at once, a 2 MiB bulk transfer in 64 KiB
# writes, 2,000 small writes) while both are stopped (SIGSTOP), so that only the kernel
# ring decides, not who gets the two vCPUs.  Then: the same burst loses frames with the old
# defaults (--immediate-mode -s 262144); a small -B (256 KiB) loses frames and its file
# says how many; printed lines come promptly on sparse traffic.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
P=7000
W="python3 $(dirname "$0")/burst.py"

$W serve $P >"$T/srv" 2>&1 &
wait_for 20 grep -qs ready "$T/srv"
ok $? "burst.py serves stream, seqpacket and sink on $P..$((P + 2))"

# start NAME VSOCKDUMP-OPTIONS...: vsockdump -w $T/NAME.pcap and tcpdump -w $T/NAME-td.pcap
# (tcpdump's defaults but -B 32768, vsockdump's buffer; -U: each frame written as read),
# both listening
start() {
	local name=$1
	shift
	vsockdump -i vsockmon0 -w "$T/$name.pcap" "$@" >"$T/$name.txt" 2>"$T/$name.err" &
	vd=$!
	tcpdump -i vsockmon0 -B 32768 -Z root -U -w "$T/$name-td.pcap" 2>"$T/$name-td.err" &
	td=$!
	wait_for 20 grep -qs 'listening on' "$T/$name.err" &&
		wait_for 20 grep -qs 'listening on' "$T/$name-td.err"
}
# burst: the workload with both readers stopped, then a little more with them running
burst() {
	$W conns $P 10 >/dev/null &&
		kill -STOP $vd $td &&
		$W conns $P 100 && $W bulk $P $((2 << 20)) && $W flood $P 2000
	local rc=$?
	kill -CONT $vd $td
	$W bulk $P $((256 << 10)) >/dev/null && return $rc
}
# stop NAME: both readers end on SIGINT, vsockdump first (it reads the kernel's last,
# partly filled block before it exits; tcpdump does not), then tcpdump once its file
# holds as many frames (the kernel hands it that block within its timeout); vsockdump's
# status
stop() {
	local rc k
	kill -INT $vd
	wait_pid $vd 30
	rc=$?
	k=$(vsockdump -r "$T/$1.pcap" -q --no-analysis 2>/dev/null | wc -l)
	wait_for 30 sh -c "[ \$(tcpdump -r '$T/$1-td.pcap' 2>/dev/null | wc -l) -ge $k ]"
	kill -INT $td
	wait_pid $td 30
	return $rc
}
dropped() { sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$T/$1.err" | head -1; }

# ---- defaults ---------------------------------------------------------------------------
start dflt
ok $? "vsockdump -w (no --print) says it is listening, as tcpdump does"
burst >"$T/burst.out" 2>&1
ok $? "the burst ran: $(tr '\n' ';' <"$T/burst.out")"
stop dflt
ok $? "vsockdump stops on SIGINT with status 0"
! grep -q ' ! ' "$T/dflt.txt"; ok $? "no timed finding on stdout"
diag "$T/dflt.err"
[ "$(dropped dflt-td)" = 0 ]
ok $? "tcpdump -B 32768 dropped $(dropped dflt-td) frames"
[ "$(dropped dflt)" = 0 ]
ok $? "vsockdump with its defaults dropped $(dropped dflt) frames"
# the same frames: every decoded field but the time (each socket stamps its own copy)
vsockdump -r "$T/dflt.pcap" --json --no-analysis 2>/dev/null | sed 's/"ts":[0-9.]*,//' >"$T/vd.json"
vsockdump -r "$T/dflt-td.pcap" --json --no-analysis 2>/dev/null | sed 's/"ts":[0-9.]*,//' >"$T/td.json"
nvd=$(wc -l <"$T/vd.json") ntd=$(wc -l <"$T/td.json")
cmp -s "$T/vd.json" "$T/td.json" && [ "$nvd" -gt 1000 ]
ok $? "the same $nvd frames in both files, decoded fields equal frame by frame (tcpdump: $ntd)"
diff "$T/vd.json" "$T/td.json" | head -5 | diag
nreq=$(grep -c '"op":"request"' "$T/vd.json") nrst=$(grep -c '"op":"rst"' "$T/vd.json")
[ "$nreq" -ge 210 ] && [ "$nrst" -ge 210 ]
ok $? "the capture holds the burst: $nreq REQUESTs, $nrst RSTs"
! vsockdump -r "$T/dflt.pcap" --json 2>/dev/null | head -1 | grep -q '"record":"loss"'
ok $? "the file records no loss"
cap_clean dflt
keep "$T/dflt.err" "$T/dflt-td.err"

# ---- today's defaults before this test: a ring of fixed 256 KiB slots ------------------
start old --immediate-mode -s 262144
burst >/dev/null 2>&1
stop old
lost=$(dropped old)
[ "${lost:-0}" -gt 0 ] && [ "$(dropped old-td)" = 0 ]
ok $? "the old defaults (--immediate-mode -s 262144) drop ${lost:-?} frames of the burst, tcpdump $(dropped old-td)"

# ---- a loss is never silent ---------------------------------------------------------------
start tiny -B 256
burst >/dev/null 2>&1
stop tiny
lost=$(dropped tiny)
vsockdump -r "$T/tiny.pcap" --check >/dev/null 2>"$T/tiny.check"
head -1 "$T/tiny.check" | grep -q ": $lost frames lost: findings may come from missing frames" &&
	[ "${lost:-0}" -gt 0 ]
ok $? "-B 256 dropped ${lost:-?} frames; the file records them and --check leads with the loss"
head -3 "$T/tiny.check" | diag
vsockdump -r "$T/tiny.pcap" --json 2>/dev/null | head -1 | grep -q "\"record\":\"loss\",\"source\":\"file\",\"frames_lost\":$lost,"
ok $? "--json's first record is the loss ($lost)"

# ---- prompt on sparse traffic ------------------------------------------------------------
vsockdump -i vsockmon0 -l >"$T/sparse.txt" 2>"$T/sparse.err" &
sp=$!
wait_for 20 grep -qs 'listening on' "$T/sparse.err"
$W sparse $P 5 "$T/sparse.txt" >"$T/sparse.out" 2>&1
ok $? "vsockdump -l prints each frame before the next is sent ($(cat "$T/sparse.out"))"
kill -INT $sp
wait_pid $sp 30
ok $? "vsockdump -l stops on SIGINT with status 0"
finish
