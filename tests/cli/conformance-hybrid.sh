#!/usr/bin/env bash
# tests/cli/conformance-hybrid.sh - vsock-conformance --target hybrid against
# tests/hybrid-backend.py, a hybrid vsock UNIX socket with the guest services simulated
# in-process (no vsock anywhere).  The correct backend passes every case; each of its
# faults fails exactly the cases it breaks, each failure naming a rule; usage errors of
# the hybrid argument give one stderr line and status 2.  The same suite against vsockdev
# and a real guest runs in tests/cli/vsockdev.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
C=$B/vsock-conformance
T=$(mktemp -d)
bp=
cleanup() { [ -n "$bp" ] && kill "$bp" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
# shellcheck source=../conformance-tap.bash
. tests/conformance-tap.bash    # ok, diag, expect_exit, fails_exactly
# backend [FAULT]: (re)starts tests/hybrid-backend.py on $T/h.sock, echo service on 5100
backend() {
	[ -n "$bp" ] && kill "$bp" 2>/dev/null && wait "$bp" 2>/dev/null
	rm -f "$T/h.sock"
	python3 tests/hybrid-backend.py "$T/h.sock" 5100 "$@" >"$T/backend.out" 2>&1 &
	bp=$!
	read -r -t 10 _ < <(tail -f "$T/backend.out" 2>/dev/null | grep -m1 listening)
}

# ---- the correct backend passes every case ----
backend
"$C" --target "hybrid=$T/h.sock,port=5100" --json "$T/all.json" >"$T/all" 2>"$T/err"
rc=$?
total=$("$C" --target "hybrid=$T/h.sock" --list | wc -l)
[ $rc = 0 ] && [ "$(grep -c '^ok ' "$T/all")" = "$total" ] && grep -qx "1..$total" "$T/all"
ok $? "--target hybrid: all $total cases pass against the correct backend (status $rc)" ||
	grep -A5 '^not ok' "$T/all" | diag
[ "$total" -ge 15 ]
ok $? "at least 15 hybrid cases ($total)"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["target"] == "hybrid" and d["summary"]["pass"] == int(sys.argv[2])
assert d["guest_cid"] is None and d["layout"] is None
assert all(c["verdict"] == "pass" and c["required"] and c["observed"] for c in d["cases"])' \
	"$T/all.json" "$total" 2>&1 | diag
ok "${PIPESTATUS[0]}" "--json: target hybrid, every case with what is required and what was seen"
"$C" --target "hybrid=$T/h.sock" --only ok_format,pipelined --skip pipelined >"$T/sel" 2>&1
[ "$(grep -c '^ok ' "$T/sel")" = 1 ] && grep -q '^ok 1 - ok_format ' "$T/sel"
ok $? "--only and --skip select hybrid cases by name" || diag <"$T/sel"
grep -qF 'a host-side port in [2^30, 2^31)' "$T/all"
ok $? "ok_format reports which kind of number the OK line carries" || diag <"$T/all"

# ---- each fault fails the cases it breaks, and names a rule ----
while read -r fault want only; do
	backend "$fault"
	"$C" --timeout 3000 --target "hybrid=$T/h.sock" ${only:+--only "$only"} >"$T/f.out" 2>&1
	fails_exactly "$T/f.out" $? "$want" "fault $fault: fails $want"
done <<'E'
ok-lower ok_format
swallow pipelined
eof-lost half_close_host
case keyword_case
wrap bad_port
hang-unknown unknown_port
die-early close_before_ok close_before_ok
E

# ---- usage errors ----
# usage PATTERN DESC ARGS...
usage() { local pat=$1 desc=$2; shift 2; expect_exit 2 "$pat" "$desc" -- "$C" "$@"; }
usage "no socket path" "hybrid without a path" --target hybrid
usage "no socket path" "hybrid= with an empty path" --target hybrid=
usage "'bogus=1': not port=P or hostport=H" "unknown hybrid option" --target "hybrid=$T/h.sock,bogus=1"
usage "port 'x': not a number" "port not a number" --target "hybrid=$T/h.sock,port=x"
usage "hostport '4294967295': out of range" "hostport out of range" --target "hybrid=$T/h.sock,hostport=4294967295"
usage "too long" "a path too long for a UNIX socket" --target "hybrid=/$(printf 'x%.0s' $(seq 120))"
usage "are for the virtqueue targets" "--capture is not for hybrid" --target "hybrid=$T/h.sock" --capture "$T/c.pcap"
usage "are for the virtqueue targets" "--layout is not for hybrid" --target "hybrid=$T/h.sock" --layout split
# nothing at PATH: every case fails naming rule "socket", no hang
rm -f "$T/none.sock"
"$C" --timeout 2000 --target "hybrid=$T/none.sock" --only connect,echo >"$T/none" 2>&1
[ $? = 1 ] && [ "$(grep -c '^#   rule: socket$' "$T/none")" = 2 ]
ok $? "no socket at PATH: each case fails with rule socket" || diag <"$T/none"

echo "1..$n"
exit "$failed"
