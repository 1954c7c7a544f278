#!/usr/bin/env bash
# tests/cli/vsockss.sh - black-box tests of vsockss's command line, on the build machine:
# usage errors (one line, status 2), saved dumps read with --read (hand-built netlink
# reply bytes: the listing, JSON, summary, filters, broken files) and the man page.
# Every run either stops at a usage error or reads a file: this machine's own vsock
# sockets are never dumped (tests/vm/README.md).  TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
D=$B/vsockss
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=../tap.bash
. tests/tap.bash    # ok, diag, expect_exit, man_matches_usage

# A dump as the kernel sends it: SOCK_DIAG_BY_FAMILY messages, then NLMSG_DONE.
python3 - "$T" <<'PY'
import struct, sys
d = sys.argv[1]
A = 0xffffffff
def msg(t, st, sh, sc, sp, dc, dp, ino, ck):
    return struct.pack("=BBBBIIIIIII", 40, t, st, sh, sc, sp, dc, dp, ino, ck & A, ck >> 32)
def nl(ty, pl):
    b = struct.pack("=IHHII", 16 + len(pl), ty, 2, 7, 0) + pl
    return b + b"\0" * (-len(b) % 4)
socks = [msg(1, 10, 0, A, 1234, A, A, 100, 1), msg(1, 1, 0, 1, 1234, 1, 5000, 101, 2),
         msg(1, 1, 2, A, 5000, 1, 1234, 102, 3), msg(5, 10, 0, 2, 1235, A, A, 103, 4),
         msg(5, 1, 3, 1, 1235, 1, 5001, 104, 5), msg(1, 2, 0, A, 5002, 3, 9, 105, 6),
         msg(1, 7, 0, A, 7000, A, A, 106, 0x100000007), msg(9, 99, 0x80, 3, 7, 2, 8, 107, 8)]
open(d + "/dump", "wb").write(b"".join(nl(20, m) for m in socks) + nl(3, struct.pack("=i", 0)))
open(d + "/enoent", "wb").write(nl(2, struct.pack("=i", -2) + bytes(16)))
open(d + "/eperm", "wb").write(nl(2, struct.pack("=i", -1) + bytes(16)))
open(d + "/short", "wb").write(nl(20, socks[0][:20]))
open(d + "/family", "wb").write(nl(20, b"\x02" + socks[0][1:]))
open(d + "/badlen", "wb").write(struct.pack("=IHHII", 4000, 20, 2, 7, 0) + socks[0])
open(d + "/empty", "wb").write(b"")
PY

# expect_error STATUS PATTERN DESC -- ARGS...: one stderr line "vsockss: ...PATTERN",
# that status, nothing on stdout for a usage error.  --read of a missing file goes first,
# so that even a wrongly accepted command line reads a file instead of the kernel.
expect_error() {
	local s=$1 pat=$2 desc=$3
	shift 4
	expect_exit "$s" "$pat" "$desc" -- "$D" --read "$T/none" "$@"
}
expect_error 2 "unknown option --bogus" "unknown long option" -- --bogus
expect_error 2 "unknown option -x" "unknown short option" -- -x
expect_error 2 "option -c needs an argument" "-c without argument" -- -w -c
expect_error 2 "-c 'abc': not a number" "-c not a number" -- -w -c abc
expect_error 2 "-c '0': out of range" "-c zero" -- -w -c 0
expect_error 2 "-w '0.01': out of range" "-w interval too small" -- -w 0.01
expect_error 2 "state 'foo': unknown" "unknown state" -- state foo
expect_error 2 "state: needs an argument" "state without a name" -- state
expect_error 2 "'bogus': not a filter" "unknown filter word" -- bogus 1
expect_error 2 "src 'x:1': cid 'x' is not a number" "src with a bad cid" -- src x:1
expect_error 2 "src '4294967296:1': cid" "src cid out of range" -- src 4294967296:1
expect_error 2 "dst 'abc': not a number" "dst with a bad port" -- dst 1:abc
expect_error 2 "dst '4294967296': out of range" "dst port out of range" -- dst :4294967296
expect_error 2 "src given twice" "src twice" -- src :1 src :2
expect_error 2 "cannot use -a and -l" "-a with -l" -- -a -l
expect_error 2 "cannot use -j with -s" "-j with -s" -- -j -s
expect_error 2 "--batch needs -w" "--batch without -w" -- --batch
expect_error 2 "-c needs -w" "-c without -w" -- -c 3
expect_error 2 "cannot use -w with -j" "-w with -j" -- -w -j
expect_error 2 "cannot use --read and --record" "--read with --record" -- --record "$T/rec"
expect_error 2 "cannot use --read with -w" "--read with -w" -- -w 1
expect_error 1 "none: No such file" "--read of a missing file" --

# Broken dumps: status 1, one line naming the problem.
readerr() {
	local file=$1 pat=$2 desc=$3
	"$D" -a --read "$T/$file" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qE "^vsockss: $pat" "$T/err"
	ok $? "$desc (status $rc)" || diag <"$T/err"
}
readerr short ".*short: reply shorter than the 32-byte vsock_diag_msg" "a 20-byte reply is refused"
readerr family ".*family: reply for a family other than AF_VSOCK" "a reply for AF_INET is refused"
readerr badlen ".*badlen: netlink message length out of bounds" "nlmsg_len beyond the file is refused"
readerr enoent "vsock_diag: .*(modprobe vsock_diag|modprobe vsock)" "NLMSG_ERROR ENOENT names the module to load"
readerr eperm "vsock_diag: permission denied" "NLMSG_ERROR EPERM says permission denied"
"$D" -a --read "$T/empty" >"$T/out" 2>"$T/err"
[ $? = 0 ] && [ "$(cat "$T/out")" = "Netid State Local Address:Port Peer Address:Port Shutdown" ]
ok $? "an empty dump: the header only"

# The listing.
"$D" -a --read "$T/dump" >"$T/out" 2>"$T/err"
cat >"$T/want" <<'EOF2'
Netid     State    Local Address:Port Peer Address:Port Shutdown
stream    LISTEN   *:1234             *:*               -
stream    ESTAB    local:1234         local:5000        -
stream    ESTAB    *:5000             local:1234        send
seqpacket LISTEN   host:1235          *:*               -
seqpacket ESTAB    local:1235         local:5001        both
stream    SYN-SENT *:5002             3:9               -
stream    UNCONN   *:7000             *:*               -
type-9    state-99 3:7                host:8            0x80
EOF2
cmp -s "$T/out" "$T/want" && [ ! -s "$T/err" ]
ok $? "-a: every socket, columns aligned, CID names, shutdown names, unknown values as numbers"
cmp -s "$T/out" "$T/want" || diff "$T/want" "$T/out" | diag
"$D" -a -n -e -H --read "$T/dump" >"$T/out"
[ "$(sed -n 3p "$T/out")" = "stream    ESTAB    *:5000 1:1234 send 102 3" ] &&
	[ "$(sed -n 7p "$T/out")" = "stream    UNCONN   *:7000 *:*    -    106 100000007" ] &&
	[ "$(wc -l <"$T/out")" = 8 ]
ok $? "-n -e -H: numeric CIDs, inode and cookie, no header" || diag <"$T/out"
"$D" --read "$T/dump" -H | awk '{print $2}' | tr '\n' ' ' >"$T/out"
[ "$(cat "$T/out")" = "ESTAB ESTAB ESTAB SYN-SENT " ]
ok $? "default: connected sockets only ($(cat "$T/out"))"
[ "$("$D" -l -H --read "$T/dump" | wc -l)" = 2 ]; ok $? "-l: the 2 listeners"
[ "$("$D" -H --read "$T/dump" --seqpacket state all | wc -l)" = 2 ]; ok $? "--seqpacket state all: 2"
[ "$("$D" -H --read "$T/dump" --stream --dgram state all | wc -l)" = 5 ]; ok $? "--stream --dgram: the 5 stream sockets"
[ "$("$D" -H -n --read "$T/dump" state all src :1234 | awk '{print $3}' | tr '\n' ' ')" = "*:1234 1:1234 " ]
ok $? "src :1234 matches any CID"
[ "$("$D" -H -n --read "$T/dump" state all src 1:* | wc -l)" = 2 ]; ok $? "src 1:* matches the CID only"
[ "$("$D" -H -n --read "$T/dump" state all dst host | awk '{print $4}')" = "2:8" ]; ok $? "dst host: CID by name"
[ "$("$D" -H -n --read "$T/dump" state established dst vsock:local:1234 | awk '{print $3}')" = "*:5000" ]
ok $? "state established dst vsock:local:1234"
[ "$("$D" -H --read "$T/dump" state listening state connecting | wc -l)" = 3 ]; ok $? "two states add up"
[ "$("$D" -H --read "$T/dump" state SYN-SENT | wc -l)" = 1 ]; ok $? "ss state names are accepted"

"$D" -a -j --read "$T/dump" >"$T/json" 2>&1
python3 - "$T/json" >"$T/jerr" 2>&1 <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["netid", "state", "local_cid", "local_port", "peer_cid", "peer_port", "shutdown",
        "shutdown_bits", "ino", "cookie"]
assert len(rows) == 8, len(rows)
for r in rows:
    assert list(r) == keys, list(r)
assert rows[4] == {"netid": "seqpacket", "state": "established", "local_cid": 1, "local_port": 1235,
                   "peer_cid": 1, "peer_port": 5001, "shutdown": "both", "shutdown_bits": 3,
                   "ino": 104, "cookie": 5}, rows[4]
assert rows[0]["local_cid"] == 4294967295 and rows[6]["cookie"] == 0x100000007
assert rows[7]["netid"] == 9 and rows[7]["state"] == 99 and rows[7]["shutdown"] == "0x80"
PY
ok $? "-j: JSON lines with exactly the documented keys and values"; diag <"$T/jerr"

"$D" -a -s --read "$T/dump" >"$T/out"
grep -q '^Total: 8$' "$T/out" && grep -qE '^stream +2 +1 +1 +1 +0 +0 +5$' "$T/out" &&
	grep -qE '^seqpacket +1 +0 +0 +1 +0 +0 +2$' "$T/out" && grep -qE '^other +0 +0 +0 +0 +0 +1 +1$' "$T/out"
ok $? "-s: counts per type and state" || diag <"$T/out"
"$D" -a -n --read - <"$T/dump" | cmp -s - <("$D" -a -n --read "$T/dump")
ok $? "--read - reads standard input"

"$D" --version >"$T/out" 2>&1 && grep -q '^vsockss ' "$T/out"; ok $? "--version"
"$D" -h >"$T/out" 2>"$T/err"; [ $? = 2 ] && grep -q '^usage: vsockss' "$T/err" && [ ! -s "$T/out" ]; ok $? "-h prints usage, exit 2"

# The man page SYNOPSIS is the usage text.
man_matches_usage "$D" man/vsockss.8
echo "1..$n"
exit $failed
