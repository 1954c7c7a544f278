#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cli/dissector.sh - the Wireshark plugin (dissector/) through tshark: it loads from the
# build tree and takes LINKTYPE_VSOCK over from the built-in dissector; filters, the tree,
# Follow and the conversation table on the tcpdump fixture; every field agrees with
# vsockdump --json packet by packet (fixture, mkcap catalog, a bulk capture, live captures
# made in the test VM on both kernels by dissector/vm-live.sh); every flow
# rule fires as expert info on a capture that breaks it and not on its near miss; Decode As
# and the hybrid heuristic; no crash and nothing on stderr over the golden captures and
# the capture-shaped fuzz corpora (decode, flow).  TAP.
#
# tshark running as root ignores WIRESHARK_PLUGIN_DIR without a word, so as root tshark
# runs as nobody (setpriv); every file it reads is copied to a world-readable temp dir.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
# shellcheck source=../tap.bash
. tests/tap.bash    # ok
# diag: stdin as TAP comments, at most 30 lines (tshark's complaints run long)
diag() { head -30 | sed 's/^/#   /'; }

so=$(ls "$B"/dissector/plugins/*/epan/vsockkit.so 2>/dev/null | head -1)
if [ -z "$so" ] || ! command -v tshark >/dev/null; then
	echo "not ok 1 - plugin built and tshark installed (run make check: tests/deps.sh installs libwireshark-dev)"
	echo "1..1"
	exit 1
fi
# The layout WIRESHARK_PLUGIN_DIR expects: DIR/<major.minor>/epan/NAME.so.
ver=$(basename "$(dirname "$(dirname "$so")")")
mkdir -p "$T/plugins/$ver/epan" "$T/home"
cp "$so" "$T/plugins/$ver/epan/"
chmod -R a+rX "$T"
chmod 0777 "$T/home"

as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# ts ARGS...: tshark with the plugin; wsbuiltin ARGS...: tshark without it.
ts() { "${as_user[@]}" env HOME="$T/home" WIRESHARK_PLUGIN_DIR="$T/plugins" tshark "$@"; }
wsbuiltin() { "${as_user[@]}" env HOME="$T/home" WIRESHARK_PLUGIN_DIR="$T/noplugins" tshark "$@"; }
put() { cp "$1" "$T/$2" && chmod 0644 "$T/$2"; }

put tests/golden/tcpdump-vsock-1.pcapng fix.pcapng
F=$T/fix.pcapng
"$B"/tests/mkcap catalog "$T/catalog.pcap"
"$B"/tests/mkcap bulk -n 3000 -c 8 "$T/bulk.pcap"
mkdir -p "$T/rules"
"$B"/dissector/rulecaps "$T/rules"
chmod -R a+rX "$T"

# ---- loading and takeover -------------------------------------------------------------
ts -G plugins >"$T/plugins.txt" 2>&1
grep -q "vsockkit.so" "$T/plugins.txt"
ok $? "tshark -G plugins lists vsockkit.so from WIRESHARK_PLUGIN_DIR" || diag <"$T/plugins.txt"

ts -r "$F" -Y 'vsockkit.op == 5' -T fields -e frame.number >"$T/rw" 2>"$T/err"
[ "$(tr '\n' ' ' <"$T/rw")" = "3 5 7 " ] && [ ! -s "$T/err" ]
ok $? "-Y 'vsockkit.op == 5' selects exactly the 3 RW frames (3 5 7) of the tcpdump fixture" ||
	{ diag <"$T/rw"; diag <"$T/err"; }

ts -r "$F" -Y 'vsockkit.op == 6' -T fields -e frame.number >"$T/o" 2>&1
[ "$(tr '\n' ' ' <"$T/o")" = "4 6 8 " ]
ok $? "-Y 'vsockkit.op == 6' selects the 3 CREDIT_UPDATE frames (4 6 8)" || diag <"$T/o"

ts -r "$F" -V >"$T/V" 2>"$T/err"
grep -q '^vsock (vsockkit)$' "$T/V" && grep -q '^    virtio_vsock_hdr$' "$T/V" &&
	! grep -q '^vSocket' "$T/V" && [ ! -s "$T/err" ]
ok $? "-V shows the vsockkit tree and not the built-in vSocket one" || diag <"$T/err"
wsbuiltin -r "$F" -V >"$T/Vb" 2>&1
grep -q '^vSocket' "$T/Vb" && ! grep -q 'vsockkit' "$T/Vb"
ok $? "control: without the plugin the same tshark shows the built-in vSocket tree"
grep -q 'SHUTDOWN rcv: True' "$T/V" && grep -q 'SHUTDOWN send: True' "$T/V" &&
	grep -q 'op: CREDIT_UPDATE (6)' "$T/V" && grep -q 'vsockmon op: DISCONNECT (2)' "$T/V"
ok $? "-V: flags split into named bits, op and vsockmon op names from lib/vsock.def"
# Catalog frames 6-8: SHUTDOWN rcv, send, rcv|send; 10-13 SEQPACKET RW with every EOM/EOR
# pair; 18 SHUTDOWN with an undefined bit; 19 a STREAM RW with bit 0 (EOM is not defined).
ts -r "$T/catalog.pcap" -Y 'vsockkit.flags.send == 1 || vsockkit.flags.eom == 1' -T fields \
	-e frame.number >"$T/o" 2>&1
[ "$(tr '\n' ' ' <"$T/o")" = "7 8 11 12 " ]
ok $? "flag bits: vsockkit.flags.send == 1 || vsockkit.flags.eom == 1 selects catalog frames 7 8 11 12" ||
	diag <"$T/o"
ts -r "$F" -T fields -e _ws.col.Info -Y 'frame.number == 9' >"$T/o" 2>&1
[ "$(cat "$T/o")" = "2:1234 > 3:1024 stream SHUTDOWN flags rcv|send, len 0" ]
ok $? "Info column is vsockdump's line" || diag <"$T/o"

# ---- analysis fields on the fixture ----------------------------------------------------
ts -r "$F" -T fields -E separator=, -e vsockkit.stream -e vsockkit.analysis.conn \
	-e vsockkit.analysis.direction -e vsockkit.analysis.in_flight -e vsockkit.analysis.peer_free \
	-e vsockkit.analysis.state >"$T/an" 2>&1
# frame 3: 6 bytes from the requester, nothing acknowledged yet; frame 7: 7 bytes from the
# responder; frame 10: the RST closes it.
[ "$(sed -n 3p "$T/an")" = "0,1,0,6,262138,established" ] &&
	[ "$(sed -n 7p "$T/an")" = "0,1,1,7,262137,established" ] &&
	[ "$(sed -n 10p "$T/an")" = "0,1,0,0,262144,closed" ]
ok $? "analysis fields: stream, connection, direction, bytes in flight, receiver free space, state" ||
	diag <"$T/an"
ts -r "$F" -Y 'vsockkit.analysis.violation || vsockkit.analysis.stall' >"$T/o" 2>&1
[ ! -s "$T/o" ]
ok $? "the fixture is clean: no violation, no stall" || diag <"$T/o"
# Stalls (lib/vsk/flow.h): a wait at the send limit that lasts the stall time (1 s).
ts -r "$T/rules/rw_over_credit.clean.pcap" -T fields -e frame.number -e vsockkit.analysis.peer_free \
	-e vsockkit.analysis.stall >"$T/o" 2>&1
[ "$(sed -n 4p "$T/o")" = "$(printf '4\t0\t')" ] && ! cut -f3 "$T/o" | grep -q .
ok $? "no stall: a window filled exactly (frame 4, free space 0) for 10 ms" || diag <"$T/o"
stall_fields=(-T fields -e frame.number -e vsockkit.analysis.stall.direction
	-e vsockkit.analysis.stall.since -e vsockkit.analysis.stall.seconds)
ts -r "$T/rules/credit_stall.bad.pcap" -Y vsockkit.analysis.stall "${stall_fields[@]}" >"$T/o" 2>&1
[ "$(cat "$T/o")" = "$(printf '12\t0\t10\t2.02')" ]
ok $? "stall: the RST that ends the requester's 2.02 s wait at its own buf_alloc shows it, since frame 10" ||
	diag <"$T/o"
ts -r "$T/rules/credit_stall.clean.pcap" -Y vsockkit.analysis.stall "${stall_fields[@]}" >"$T/o" 2>&1
[ "$(cat "$T/o")" = "$(printf '21\t1\t19\t2.02')" ]
ok $? "stall: a zero window for 2 s (responder to requester), shown on the update that ends it, not the update within 0.5 s" ||
	diag <"$T/o"
ts -r "$T/rules/credit_stall.bad.pcap" -o vsockkit.stall_time:3 \
	-Y 'vsockkit.analysis.stall || vsockkit.analysis.violation' >"$T/o" 2>&1
[ ! -s "$T/o" ]
ok $? "-o vsockkit.stall_time:3: the 2 s wait is neither a stall nor a credit_stall" || diag <"$T/o"
ts -r "$T/rules/rw_over_credit.bad.pcap" -o vsockkit.analyze:FALSE -T fields -e vsockkit.op \
	-e vsockkit.stream -e vsockkit.analysis.violation >"$T/o" 2>&1
[ "$(tr '\n' ' ' <"$T/o")" = "$(printf '1\t\t 2\t\t 5\t\t 5\t\t 5\t\t ')" ]
ok $? "-o vsockkit.analyze:FALSE: headers still decoded, no analysis fields" || diag <"$T/o"
# Stable re-dissection: two passes (-2) show what one pass shows.
ts -r "$T/catalog.pcap" -T fields -e vsockkit.analysis.violation -e vsockkit.analysis.in_flight \
	-e vsockkit.stream >"$T/one" 2>&1
ts -2 -r "$T/catalog.pcap" -T fields -e vsockkit.analysis.violation -e vsockkit.analysis.in_flight \
	-e vsockkit.stream >"$T/two" 2>&1
cmp -s "$T/one" "$T/two" && grep -q pkt_after_rst "$T/one"
ok $? "analysis is kept per frame: tshark -2 (re-dissection) shows the same findings"

# ---- follow and conversations ---------------------------------------------------------
ts -r "$F" -q -z follow,vsockkit,ascii,0 >"$T/fol" 2>"$T/err"
grep -q '^Node 0: 3:1024$' "$T/fol" && grep -q '^Node 1: 2:1234$' "$T/fol" &&
	[ "$(grep -cE '^(Hello|World)$' "$T/fol")" = 2 ] && grep -q 'Hi :-)' "$T/fol" &&
	[ ! -s "$T/err" ]
ok $? "-z follow,vsockkit,ascii,0 prints the connection's payload, both directions" ||
	{ diag <"$T/fol"; diag <"$T/err"; }
ts -r "$F" -q -z follow,vsockkit,raw,0 >"$T/fol" 2>&1
grep -qx '48656c6c6f0a' "$T/fol" && grep -q '^[[:space:]]*4869203a2d290a$' "$T/fol"
ok $? "-z follow,vsockkit,raw,0: the payload bytes (Hello\\n ... Hi :-)\\n)" || diag <"$T/fol"
ts -r "$F" -q -z conv,vsockkit >"$T/conv" 2>&1
grep -qE '^3 +<-> 2 +5 +387 bytes +5 +392 bytes +10 +779 bytes' "$T/conv"
ok $? "-z conv,vsockkit: one conversation 3 <-> 2, 10 frames" || diag <"$T/conv"
ts -r "$F" -q -z endpoints,vsockkit >"$T/ep" 2>&1
grep -qE '^3 +10 +779' "$T/ep" && grep -qE '^2 +10 +779' "$T/ep"
ok $? "-z endpoints,vsockkit: CIDs 3 and 2" || diag <"$T/ep"

# ---- agreement with vsockdump --json --------------------------------------------------
for c in fix.pcapng catalog.pcap bulk.pcap; do
	ts -r "$T/$c" -T pdml >"$T/$c.pdml" 2>"$T/err"
	"$B"/vsockdump -r "$T/$c" --json >"$T/$c.json" 2>/dev/null
	python3 dissector/json-agree.py "$T/$c.pdml" "$T/$c.json" >"$T/agree" 2>&1 && [ ! -s "$T/err" ]
	ok $? "fields agree with vsockdump --json packet by packet: $c ($(tail -1 "$T/agree"))" ||
		{ diag <"$T/agree"; diag <"$T/err"; }
done

# Live captures: real kernel traffic from the test VM (dissector/vm-live.sh), both kernels.
for k in 6.1 6.12; do
	rm -f "$T/live-$k.pcap"
	tests/vm/run -k "$k" -t 240 -o "$T/vm-$k" dissector/vm-live.sh >"$T/vm.log" 2>&1
	rc=$?
	cp "$T/vm-$k/live.pcap" "$T/live-$k.pcap" 2>/dev/null && chmod 0644 "$T/live-$k.pcap"
	[ "$rc" = 0 ] && [ -s "$T/live-$k.pcap" ]
	ok $? "VM $k: live capture of stream, seqpacket, bulk and refused traffic (status $rc)" ||
		grep -E '^not ok|^#' "$T/vm.log" | diag
	ts -r "$T/live-$k.pcap" -T pdml >"$T/live.pdml" 2>"$T/err"
	"$B"/vsockdump -r "$T/live-$k.pcap" --json >"$T/live.json" 2>/dev/null
	python3 dissector/json-agree.py "$T/live.pdml" "$T/live.json" >"$T/agree" 2>&1 &&
		[ ! -s "$T/err" ] && [ "$(grep -c '"op":"rw"' "$T/live.json")" -ge 5 ]
	ok $? "VM $k: fields agree with vsockdump --json packet by packet ($(tail -1 "$T/agree"))" ||
		{ diag <"$T/agree"; diag <"$T/err"; }
	ts -r "$T/live-$k.pcap" -q -z follow,vsockkit,ascii,0 >"$T/fol" 2>&1
	[ "$(grep -c '^ping$' "$T/fol")" = 2 ] && [ "$(grep -c '^pong$' "$T/fol")" = 2 ]
	ok $? "VM $k: follow stream 0 shows ping/pong out and back" || diag <"$T/fol"
done

# ---- every flow rule as expert info ----------------------------------------------------
rules=$("$B"/vsockdump --rules | awk 'NR > 1 { print $1 }')
[ "$(echo "$rules" | wc -l)" -ge 14 ]
ok $? "vsockdump --rules lists the rules ($(echo "$rules" | wc -l))"
for r in $rules; do
	clause=$("$B"/vsockdump --rules | awk -v r="$r" '$1 == r' | sed -E 's/^[a-z_]+ +[a-z]+ +//; s/ {2,}.*//')
	if [ ! -f "$T/rules/$r.bad.pcap" ]; then
		ok 1 "$r: rulecaps wrote no capture for it"
		continue
	fi
	ts -r "$T/rules/$r.bad.pcap" -q -z expert,note >"$T/ex" 2>"$T/err"
	ts -r "$T/rules/$r.bad.pcap" -T fields -e vsockkit.analysis.violation \
		-Y vsockkit.analysis.violation >"$T/v" 2>>"$T/err"
	grep -qF "$r: " "$T/ex" && grep -qF "($clause)" "$T/ex" && [ "$(cat "$T/v")" = "$r" ] &&
		[ ! -s "$T/err" ]
	ok $? "$r: expert info naming the rule and '$clause' on the capture that breaks it" ||
		{ diag <"$T/ex"; diag <"$T/v"; diag <"$T/err"; }
	# Flow rules are expert info of group Sequence (decoder problems are Protocol or
	# Malformed: the unknown_type near miss has a type 7 packet on purpose).
	ts -r "$T/rules/$r.clean.pcap" -q -z expert,note >"$T/ex" 2>"$T/err"
	ts -r "$T/rules/$r.clean.pcap" -Y vsockkit.analysis.violation >"$T/v" 2>>"$T/err"
	! grep -qE 'Sequence +vsockkit' "$T/ex" && [ ! -s "$T/v" ] && [ ! -s "$T/err" ]
	ok $? "$r: no rule fires on its near miss" || { diag <"$T/ex"; diag <"$T/err"; }
	"$B"/vsockdump -r "$T/rules/$r.bad.pcap" --json >"$T/j" 2>/dev/null
	ts -r "$T/rules/$r.bad.pcap" -T pdml >"$T/p" 2>/dev/null
	python3 dissector/json-agree.py "$T/p" "$T/j" >"$T/agree" 2>&1
	ok $? "$r: same finding on the same packet as vsockdump" || diag <"$T/agree"
done

# Timed rules show on the frame whose time passed the deadline, pointing back at the frame
# that started the clock.
ts -r "$T/rules/no_rst_after_shutdown.bad.pcap" -Y vsockkit.analysis.violation -T fields \
	-e frame.number -e vsockkit.analysis.violation.since >"$T/o" 2>&1
ts -r "$T/rules/unknown_type_no_rst.bad.pcap" -Y vsockkit.analysis.violation -T fields \
	-e frame.number -e vsockkit.analysis.violation.since >>"$T/o" 2>&1
ts -r "$T/rules/credit_stall.bad.pcap" -Y vsockkit.analysis.violation -T fields \
	-e frame.number -e vsockkit.analysis.violation.since >>"$T/o" 2>&1
[ "$(cat "$T/o")" = "$(printf '4\t3\n2\t1\n11\t10')" ]
ok $? "timed rules: found on the frame past the deadline, since = the SHUTDOWN / unknown-type frame / the RW that began the wait" ||
	diag <"$T/o"

# ---- payload handoff -------------------------------------------------------------------
"$B"/tests/mkcap frame dst_port=8080 payload=$'GET /x HTTP/1.1\r\nHost: vm\r\n\r\n' "$T/http.pcap"
"$B"/tests/mkcap frame payload=$'CONNECT 1234\n' "$T/hybrid.pcap"
"$B"/tests/mkcap frame payload=$'OK 1073741824\n' "$T/hybrid-ok.pcap"
chmod 0644 "$T"/*.pcap
ts -r "$T/http.pcap" -d 'vsockkit.port==8080,http' -T fields -e http.request.method \
	-e http.request.uri >"$T/o" 2>"$T/err"
[ "$(cat "$T/o")" = "$(printf 'GET\t/x')" ] && [ ! -s "$T/err" ]
ok $? "Decode As: -d vsockkit.port==8080,http decodes the payload as HTTP" ||
	{ diag <"$T/o"; diag <"$T/err"; }
ts -r "$T/http.pcap" -T fields -e http.request.method -e vsockkit.payload >"$T/o" 2>&1
[ "$(cat "$T/o")" = "$(printf '\t474554202f7820485454502f312e310d0a486f73743a20766d0d0a0d0a')" ]
ok $? "without Decode As the payload stays vsockkit.payload" || diag <"$T/o"
ts -r "$T/hybrid.pcap" -T fields -e vsockkit.hybrid.line -e vsockkit.hybrid.port >"$T/o" 2>&1
ts -r "$T/hybrid-ok.pcap" -T fields -e vsockkit.hybrid.line -e vsockkit.hybrid.port >>"$T/o" 2>&1
[ "$(cat "$T/o")" = "$(printf '0\t1234\n1\t1073741824')" ]
ok $? "hybrid heuristic: CONNECT 1234 and OK 1073741824 lines" || diag <"$T/o"
ts -r "$F" -Y vsockkit.hybrid >"$T/o" 2>&1
[ ! -s "$T/o" ]
ok $? "hybrid heuristic: not on ordinary payload" || diag <"$T/o"

# ---- robustness: golden captures and the capture-shaped fuzz corpora ------------------
# Every decode corpus file becomes one frame (the wire length as fuzz-decode.c picks it);
# the flow corpus records become frames with fuzz-flow.c's clock; the pcap file header is
# mkcap's (LINKTYPE_VSOCK).
python3 - "$T/catalog.pcap" "$T/fz-decode.pcap" "$T/fz-flow.pcap" fuzz/corpus/decode fuzz/corpus/flow <<'PY'
import os, struct, sys
hdr = open(sys.argv[1], "rb").read(24)
def rec(out, sec, usec, data, wire):
    out.write(struct.pack("<IIII", sec, usec, len(data), wire) + data)
with open(sys.argv[2], "wb") as out:
    out.write(hdr)
    for i, name in enumerate(sorted(os.listdir(sys.argv[4]))):
        d = open(os.path.join(sys.argv[4], name), "rb").read()
        wire = len(d) + d[0] if d and d[0] & 1 else len(d)
        rec(out, 1500000000 + i, 0, d, wire)
with open(sys.argv[3], "wb") as out:
    out.write(hdr)
    for name in sorted(os.listdir(sys.argv[5])):
        d = open(os.path.join(sys.argv[5], name), "rb").read()
        sec, usec, off = 1000, 0, 0
        while len(d) - off >= 3:
            ln, step = d[off] | d[off + 1] << 8, d[off + 2]
            off += 3
            ln = min(ln, len(d) - off)
            if step == 0xff:
                sec -= 3
            else:
                usec += step * 20000
            sec, usec = sec + usec // 1000000, usec % 1000000
            rec(out, sec, usec, d[off:off + ln], ln)
            off += ln
PY
chmod 0644 "$T"/fz-*.pcap
for c in fix.pcapng catalog.pcap bulk.pcap live-6.1.pcap live-6.12.pcap fz-decode.pcap fz-flow.pcap; do
	for pass in "" -2; do
		ts $pass -r "$T/$c" -V -x >"$T/out" 2>"$T/err"
		rc=$?
		[ "$rc" = 0 ] && [ ! -s "$T/err" ] && ! grep -q 'Dissector bug' "$T/out" &&
			grep -q vsockkit "$T/out"
		ok $? "tshark ${pass:+$pass }-V -x over $c: exit 0, nothing on stderr, no dissector bug (status $rc)" ||
			{ diag <"$T/err"; grep 'Dissector bug' "$T/out" | diag; }
	done
done
[ "$(grep -c . <<<"$(ls fuzz/corpus/decode)")" -gt 100 ]
ok $? "the decode corpus has its files ($(ls fuzz/corpus/decode | wc -l))"

echo "1..$n"
exit $failed
