#!/usr/bin/env bash
# tests/cli/run.sh - black-box tests of vsockdump's command line: bad arguments and bad
# files get one line on stderr and exit 1 or 2, never a crash; good runs do what they say.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
D=$B/vsockdump
FIX=tests/golden/tcpdump-vsock-1.pcapng
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=../tap.bash
. tests/tap.bash    # ok, diag, expect_exit, man_matches_usage

# expect_error STATUS-PATTERN PATTERN DESC -- ARGS...: one stderr line matching PATTERN,
# exit status matching STATUS-PATTERN (1 or 2), nothing on stdout for usage errors.
expect_error() { local s=$1 pat=$2 desc=$3; shift 4; expect_exit "$s" "$pat" "$desc" -- "$D" "$@"; }

# Usage errors: exit 2.
expect_error 2 "unknown option --bogus" "unknown long option" -- --bogus
expect_error 2 "unknown option -j" "unknown short option" -- -j
expect_error 2 "-c 'abc': not a number" "-c not a number" -- -c abc -r $FIX
expect_error 2 "-c '0': out of range" "-c zero" -- -c 0 -r $FIX
expect_error 2 "-s '-1': out of range" "-s negative" -- -s -1 -r $FIX
expect_error 2 "-s '999999': out of range" "-s too big" -- -s 999999 -r $FIX
expect_error 2 "-B 'x': not a number" "-B not a number" -- -B x
expect_error 2 "cannot use -r and -i" "-r with -i" -- -r $FIX -i lo
expect_error 2 "cannot use --json with -x" "--json with -x" -- --json -x -r $FIX
expect_error 2 "--print needs -w" "--print without -w" -- --print -r $FIX
expect_error 2 "-t given more than 5 times" "-tttttt" -- -tttttt -r $FIX
expect_error 2 "option -r needs an argument" "-r without argument" -- -r
expect_error 2 "-Z applies to live capture only" "-Z with -r" -- -Z nobody -r $FIX
expect_error 2 "--pcap needs -w" "--pcap without -w" -- --pcap -r $FIX

# Filter errors: exit 2, the message names the token and its column.
expect_error 2 "filter: .*'foo'.*column 4" "unknown op name" -- -r $FIX op foo
expect_error 2 "filter: .*column" "dangling and" -- -r $FIX port 1 and
expect_error 2 "filter: .*" "unbalanced parenthesis" -- -r $FIX '(' port 1
expect_error 2 "filter: .*" "port out of range" -- -r $FIX port 4294967296

# Bad files: exit 1, one line naming the file.
printf 'this is not a capture file at all, just text\n' >"$T/garbage"
: >"$T/empty"
mkdir "$T/dir"
"$D" -r $FIX -w "$T/good.pcap" 2>/dev/null
"$D" -r $FIX --pcap -w "$T/classic.pcap" 2>/dev/null
head -c 10 "$T/classic.pcap" >"$T/shorthdr"
head -c $((24 + 16 + 76 + 16 + 40)) "$T/classic.pcap" >"$T/shortrec"
# a pcap of link type EN10MB (1): global header only, then one 14-byte record
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1)+struct.pack("<IIII",0,0,14,14)+bytes(14))' >"$T/ether"
expect_error 1 "nonexistent: No such file" "file that does not exist" -- -r "$T/nonexistent"
expect_error 1 "garbage: .*" "garbage file" -- -r "$T/garbage"
expect_error 1 "empty: .*" "empty file" -- -r "$T/empty"
expect_error 1 "dir: is a directory" "directory" -- -r "$T/dir"
expect_error 1 "shorthdr: .*" "truncated file header" -- -r "$T/shorthdr"
expect_error 1 "shortrec: .*truncated" "truncated record" -- -r "$T/shortrec"
expect_error 1 "ether: link type EN10MB \(1\), not VSOCK \(271\)" "wrong link type" -- -r "$T/ether"
expect_error 1 "nodir/x.pcap: .*" "-w into a missing folder" -- -r $FIX -w "$T/nodir/x.pcap"

# Live capture on something that is not a vsockmon device (no vsock involved): as root
# the link type is refused, otherwise the permission; either way one line, status 1.
expect_error 1 "lo: (not a vsockmon device \(link type EN10MB\)|.*ermission)" "-i lo is refused" -- -i lo
expect_error 1 "nonexist0: " "-i on a missing interface" -- -i nonexist0

# A truncated record still prints the frames before it.
"$D" -r "$T/shortrec" >"$T/out" 2>/dev/null
[ "$(wc -l <"$T/out")" = 1 ]; ok $? "truncated record: the complete frame before it is printed"
"$D" -r "$T/shortrec" >/dev/null 2>&1; [ $? = 1 ]; ok $? "truncated record: exit status 1"

# Good runs.
"$D" -r $FIX >"$T/out" 2>"$T/err"; ok $? "reads the pcapng fixture"
[ "$(wc -l <"$T/out")" = 10 ] && [ ! -s "$T/err" ]; ok $? "10 lines, nothing on stderr"
"$D" -r - <$FIX >"$T/out2" 2>/dev/null && cmp -s "$T/out" "$T/out2"; ok $? "-r - reads stdin"
"$D" -r "$T/good.pcap" >"$T/out3" 2>/dev/null && cmp -s "$T/out" "$T/out3"; ok $? "-w wrote a file that reads back the same"
[ "$(od -An -tx4 -N4 "$T/good.pcap" | tr -d ' ')" = 0a0d0d0a ]; ok $? "-w writes pcapng"
[ "$(od -An -tx4 -N4 "$T/classic.pcap" | tr -d ' ')" = a1b2c3d4 ] &&
	"$D" -r "$T/classic.pcap" 2>/dev/null | cmp -s "$T/out" -; ok $? "--pcap -w writes classic pcap, same frames"
if command -v tshark >/dev/null; then
	tshark -r "$T/good.pcap" -T fields -e frame.len >"$T/tshark" 2>"$T/tshark.err"
	[ "$(wc -l <"$T/tshark")" = 10 ]; ok $? "tshark reads the pcapng -w wrote"; diag <"$T/tshark.err"
else
	ok 0 "tshark reads the pcapng -w wrote # SKIP tshark not installed"
fi
"$D" -r $FIX -w - op rw 2>/dev/null | "$D" -r - >"$T/out" 2>/dev/null
[ "$(wc -l <"$T/out")" = 3 ] && ! grep -qv ' RW' "$T/out"; ok $? "-w - with a filter writes only matching frames to stdout"
[ "$("$D" -r $FIX -c 3 2>/dev/null | wc -l)" = 3 ]; ok $? "-c 3 stops after 3 frames"
[ "$("$D" -r $FIX -c 2 op rw 2>/dev/null | grep -c ' RW')" = 2 ]; ok $? "-c counts matching frames"
"$D" -r $FIX --json 2>/dev/null >"$T/json" && python3 -m json.tool --json-lines <"$T/json" >/dev/null
ok $? "--json output parses as JSON lines"
python3 - "$T/json" <<'PY' >"$T/keys" 2>&1
import json, sys
want = ["ts", "caplen", "src_cid", "dst_cid", "src_port", "dst_port", "mon_op", "transport",
        "type", "op", "flags", "flag_names", "len", "buf_alloc", "fwd_cnt"]
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 10, len(rows)
for r in rows:
    assert list(r) == want, list(r)
assert rows[8]["flag_names"] == ["rcv", "send"] and rows[8]["op"] == "shutdown", rows[8]
assert rows[2]["op"] == "rw" and rows[2]["type"] == "stream" and rows[2]["mon_op"] == "payload"
assert isinstance(rows[0]["ts"], float) and abs(rows[0]["ts"] - 1499949071.261679) < 1e-6
PY
ok $? "--json has exactly the documented keys and values"; diag <"$T/keys"
"$D" -d op rw and port 1234 >"$T/out" 2>&1 && grep -q 'link\[' "$T/out" && grep -qE '^\([0-9]+\) ' "$T/out"
ok $? "-d prints the libpcap expression and the BPF program"
"$D" --version >"$T/out" 2>&1 && grep -q '^vsockdump ' "$T/out"; ok $? "--version"
"$D" -h 2>"$T/err"; [ $? = 2 ] && grep -q '^usage: vsockdump' "$T/err"; ok $? "-h prints usage, exit 2"
"$D" -D >"$T/out" 2>&1; ok $? "-D lists interfaces"

# Stalls and credit_stall on a real capture of issue 23's deadlock (tests/golden/
# PROVENANCE.txt): the guest's 256 KiB in flight against vsockdev's 1 MiB, 5.68 s with no
# update until the guest's SHUTDOWN.
S=tests/golden/vsockdev-stall.pcap
"$D" -r $S --check >"$T/out" 2>&1
rc=$?
grep '!' "$T/out" >"$T/found"
[ $rc = 0 ] && [ "$(wc -l <"$T/found")" = 1 ] &&
	grep -qE '^10:42:57\.715836 ! 42:3783963619 > 2:6000 stream #1 credit_stall: 42:3783963619 at its own buf_alloc 262144 since 1796553772\.034664$' "$T/found"
ok $? "--check: one credit_stall, found as time passed, naming the sender and when it began waiting; a warning (status $rc)" ||
	diag <"$T/out"
"$D" -r $S --stats -w /dev/null >"$T/out" 2>&1
awk '$1 == 1 && $4 == "2:6000" && $12 == "1/5.68s" && $14 == 1 { f = 1 } END { exit !f }' "$T/out"
ok $? "--stats: one stall of 5.68 s on the connection" || diag <"$T/out"
"$D" -r $S --json --stats 2>/dev/null | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
v = [r for r in recs if r.get("record") == "violation"]
c = [r for r in recs if r.get("record") == "conn"]
assert len(v) == 1 and v[0]["rule"] == "credit_stall" and v[0]["severity"] == "warning", v
assert v[0]["timed"] and v[0]["from_cid"] == 2 and v[0]["from_port"] == 6000, v
assert c[0]["a"]["stalls"] == 1 and abs(c[0]["a"]["stall_seconds"] - 5.681172) < 1e-6, c
assert c[0]["b"]["stalls"] == 0, c
' >"$T/err" 2>&1
ok $? "--json --stats: the finding blames the receiver 2:6000, the sender's end has the stall" ||
	diag <"$T/err"
"$D" -r $S --check --stats --stall-time 6 -w /dev/null >"$T/out" 2>&1
! grep -q credit_stall "$T/out" && awk '$1 == 1 && $12 == "0/0.00s" { f = 1 } END { exit !f }' "$T/out"
ok $? "--stall-time 6: the 5.68 s wait is neither a stall nor a credit_stall" || diag <"$T/out"
expect_error 2 "--stall-time '0': out of range" "--stall-time zero" -- --stall-time 0 -r $S
"$D" --rules >"$T/out" 2>&1
grep -qE '^credit_stall +warning +Socket Device: Buffer Space Management +no CREDIT_UPDATE' "$T/out"
ok $? "--rules: credit_stall, a warning, cited to Buffer Space Management" || diag <"$T/out"
# One kind of data per stream: with -w - (pcap) or --follow (payload) on stdout, every
# text line goes to stderr.  timed.pcap fires a timed rule (no_rst_after_shutdown: the
# next frame comes 20 s after connection 1's full shutdown) between two payloads.
M=$B/tests/mkcap
$M frame op=request payload= "$T/t1" && $M frame op=response src_cid=2 src_port=1234 dst_cid=3 dst_port=1024 payload= "$T/t2" &&
	$M frame payload=hello "$T/t3" && $M frame op=shutdown flags='rcv|send' payload= "$T/t4" &&
	$M frame src_port=1025 op=request payload= ts=20 "$T/t5" && $M frame src_port=1025 payload=world ts=20 "$T/t6" &&
	{ cat "$T/t1"; for f in t2 t3 t4 t5 t6; do tail -c +25 "$T/$f"; done; } >"$T/timed.pcap"
"$D" -r "$T/timed.pcap" 2>/dev/null | grep -q ' ! .*no_rst_after_shutdown'; ok $? "timed.pcap fires a timed rule"
"$D" -r "$T/timed.pcap" --follow >"$T/follow" 2>"$T/err"
[ "$(cat "$T/follow")" = helloworld ] && grep -q 'no_rst_after_shutdown' "$T/err"
ok $? "--follow: stdout is exactly the payload, the timed finding is on stderr"; diag <"$T/err"
$M catalog "$T/catalog.pcap"
# and the rule captures of the dissector's tests (a bad and a clean one per rule; two
# fire timed rules), where the Wireshark headers let it be built
rulecaps=()
if [ -x "$B/dissector/rulecaps" ] && mkdir "$T/rules" && "$B/dissector/rulecaps" "$T/rules"; then
	rulecaps=("$T"/rules/*.pcap)
fi
# the exit status is not the count of the last batch of frames (a 3-frame file exited 3)
head -c $((24 + 16 + 76)) "$T/t1" >"$T/three.pcap" && tail -c +25 "$T/t2" >>"$T/three.pcap" &&
	tail -c +25 "$T/t3" >>"$T/three.pcap"
"$D" -r "$T/three.pcap" >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && [ "$("$D" -r "$T/three.pcap" 2>/dev/null | wc -l)" = 3 ]; ok $? "a file of 3 frames: exit status 0 (was $rc)"
for f in "$T/timed.pcap" "${rulecaps[@]}"; do
	"$D" -r "$f" --follow >"$T/follow" 2>/dev/null
	"$D" -r "$f" --follow --no-analysis >"$T/follow.plain" 2>/dev/null
	cmp -s "$T/follow" "$T/follow.plain"
	ok $? "--follow: ${f##*/}: stdout is the payload only, as without the analysis"
done
for f in tests/golden/*.pcap* "$T/catalog.pcap" "$T/timed.pcap" "${rulecaps[@]}"; do
	for o in "" "--stats"; do
		# shellcheck disable=SC2086 # no option is no word
		"$D" -r "$f" -w - $o 2>"$T/err" | "$D" -r - >"$T/rt" 2>"$T/rterr"
		rc=$?
		"$D" -r "$f" >"$T/direct" 2>"$T/derr"
		cmp -s "$T/rt" "$T/direct" && [ $rc = 0 ] && cmp -s "$T/rterr" "$T/derr"
		ok $? "-w - ${o:+$o }| -r -: ${f##*/} reads back every frame, and nothing else"
		diag <"$T/rterr"
	done
done
grep -q '^ *conn *type' "$T/err"; ok $? "-w - --stats: the table went to stderr"

# A loss is never silent: a pcapng whose ISB records 75 dropped frames (as a live capture
# that dropped them writes it) is said to have lost them before any finding, in every mode.
$M lossy 75 "$T/timed.pcap" "$T/lossy.pcapng"
"$D" -r "$T/lossy.pcapng" --check >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 3 ] && head -1 "$T/err" | grep -q 'lossy.pcapng: 75 frames lost: findings may come from missing frames' &&
	grep -q 'check: 75 frames lost' "$T/err"
ok $? "--check: the first line says 75 frames lost, and the summary again (status $rc)"; diag <"$T/err"
"$D" -r "$T/lossy.pcapng" --json 2>/dev/null | head -1 >"$T/out"
grep -qx '{"record":"loss","source":"file","frames_lost":75,"ifrecv":81,"ifdrop":75,"usrdeliv":6}' "$T/out"
ok $? "--json: the first record is the loss, with the file's counters"; diag <"$T/out"
"$D" -r "$T/lossy.pcapng" --stats -w /dev/null >"$T/out" 2>/dev/null
grep -A1 '^75 frames lost' "$T/out" | grep -q '^ *conn *type'; ok $? "--stats: the loss line comes before the table"
"$D" -r "$T/lossy.pcapng" -w - 2>/dev/null | "$D" -r - --check >/dev/null 2>"$T/err"
grep -q '^vsockdump: -: 75 frames lost' "$T/err" && grep -q 'check: 75 frames lost' "$T/err"
ok $? "-w - keeps the counts, and a reader of the pipe says the loss"; diag <"$T/err"
if command -v capinfos >/dev/null; then
	capinfos -I "$T/lossy.pcapng" >"$T/out" 2>&1
	grep -q 'Number of stat entries = 1' "$T/out"; ok $? "capinfos sees the Interface Statistics Block"
else
	ok 0 "capinfos sees the Interface Statistics Block # SKIP capinfos not installed"
fi
"$D" -r $FIX --check >/dev/null 2>"$T/err"; ! grep -q 'lost' "$T/err"; ok $? "a file that lost nothing says nothing of it"

# make install honours PREFIX and DESTDIR.
make -s --no-print-directory install B="$B" DESTDIR="$T/inst" PREFIX=/opt/vk >/dev/null 2>&1 &&
	[ -x "$T/inst/opt/vk/bin/vsockdump" ] && [ -f "$T/inst/opt/vk/share/man/man8/vsockdump.8" ]
ok $? "make install DESTDIR=... PREFIX=/opt/vk"

# The man page SYNOPSIS is the usage text.
man_matches_usage "$D" man/vsockdump.8
# Debian's man renders with groff: no warning, and the timed-finding line as printed.
groff -mandoc -ww -z man/vsockdump.8 >"$T/groff" 2>&1 && [ ! -s "$T/groff" ]
ok $? "groff -mandoc -ww finds nothing in man/vsockdump.8"; diag <"$T/groff"
groff -mandoc -Tascii man/vsockdump.8 2>/dev/null | sed 's/.\x08//g' | tr -s ' \n' ' ' >"$T/man.txt"
# the printed line with its fields named: TIME ! A > B TYPE #N rule: detail
"$D" -r "$T/timed.pcap" 2>/dev/null | grep ' ! ' |
	sed 's/^[0-9:.]* /TIME /; s/[0-9]*:[0-9]* > [0-9]*:[0-9]* stream #1 [a-z_]*: .*/A > B TYPE #N rule: detail/' >"$T/timedfmt"
grep -qF "$(cat "$T/timedfmt")" "$T/man.txt"
ok $? "the man page's timed-finding format is the one printed"; diag <"$T/timedfmt"
for o in $(sed -n '/longopts\[\] = {/,/^};/s/^\t{"\([a-z-]*\)".*/\1/p' vsockdump/main.c); do
	grep -q -- "--$o\b" "$T/man.txt" || echo "--$o"
done >"$T/undoc"
[ ! -s "$T/undoc" ]; ok $? "every long option is in the man page"; diag <"$T/undoc"
echo "1..$n"
exit $failed
