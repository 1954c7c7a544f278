#!/usr/bin/env bash
# tests/cli/conformance-vhostuser.sh - vsock-conformance --target vhost-user against
# vsockdev on this machine: the suite is the vhost-user front end (QEMU's role) and the
# guest driver, vsockdev --persist the backend, its hybrid vsock sockets (--uds) the
# application.  Every case gets a verdict and each verdict is the one recorded in
# tests/cli/conformance-expect/vsockdev.txt (a fail there is a finding in
# docs/conformance.md); for every mutation vsockdev has (--list-mutations, names from
# conformance/mutations.def) the cases its caught_by names fail, each naming its rule
# (caught_by cases that are n/a on this target are left out: what hybrid vsock cannot
# express); for a sample of three mutations (WHOLE below) the whole suite runs and no
# other case may fail, for the rest only their cases run (a whole run takes 20 to 70 s
# against vsockdev, all 25 would add some 15 minutes to make check).  Bad --target vhost-user arguments and --mutate names exit 2 with one line.
# No timing is measured: waits are bounded only as hang guards.
# SAFETY: UNIX sockets only; no AF_VSOCK socket, no /dev/vhost-vsock.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
C=$B/vsock-conformance D=$B/vsockdev
EXPECT=tests/cli/conformance-expect/vsockdev.txt
T=$(mktemp -d /tmp/conformance-vu.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${VSK_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# shellcheck source=../conformance-tap.bash
. tests/conformance-tap.bash    # ok, diag, expect_exit, fails_exactly
# shellcheck source=../wait.bash
. tests/wait.bash               # wait_for

# start_dev DIR [vsockdev options]: vsockdev --persist on DIR/vu and DIR/uds, waiting
# (at most 10 s, a hang guard) for its socket; 1 if it ended or never listened.
start_dev() {
	local dir=$1
	shift
	mkdir -p "$dir"
	"$D" --socket "$dir/vu" --uds "$dir/uds" --cid 42 --persist "$@" 2>"$dir/log" &
	pid=$!
	up_or_gone() { [ -S "$dir/vu" ] || ! kill -0 "$pid" 2>/dev/null; }
	wait_for 10 up_or_gone && [ -S "$dir/vu" ]
}
stop_dev() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
# ---- the whole suite against vsockdev: every case, the recorded verdicts ----
start_dev "$T/d0"; ok $? "vsockdev --persist is listening" || diag <"$T/d0/log"
"$C" --target "vhost-user=$T/d0/vu,uds=$T/d0/uds" --expect "$EXPECT" --json "$T/all.json" \
	>"$T/all" 2>"$T/err"
rc=$?
total=$("$C" --list | wc -l)
grep -qx "1..$total" "$T/all" && [ "$(grep -cE '^(ok|not ok) ' "$T/all")" = "$total" ]
ok $? "--target vhost-user: all $total cases get a verdict (status $rc)" || diag <"$T/err"
grep -v '^#' "$EXPECT" | sed '/^$/d' | sort >"$T/want"
[ $rc = 0 ] && grep -q '^# expect .*: no change' "$T/all"
ok $? "the verdicts are those of $EXPECT (--expect)" ||
	{ grep -A60 '^# expect ' "$T/all" | diag; grep -A4 '^not ok' "$T/all" | diag; }
grep -c ' pass$' "$T/want" | grep -qvx 0; ok $? "the expected set has passing cases"
# n/a always says why
! grep -E '^ok .*; n/a: *$' "$T/all" | grep -q .; ok $? "every n/a case gives its reason"
# the suite took the backend's CID (GET_CONFIG), not --cid's default
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ev = [e for c in d["cases"] if c["name"] == "request_listener" for e in c["evidence"]]
tx = [e for e in ev if e.startswith("tx ")]
assert tx and all(e.startswith("tx 42:") for e in tx), tx[:3]
assert d["guest_cid"] == 42, d["guest_cid"]
' "$T/all.json" 2>&1 | diag
[ "${PIPESTATUS[0]}" = 0 ]; ok $? "request_listener's packets are from vsockdev's guest CID (42, from GET_CONFIG), and the JSON report's guest_cid says 42"
kill -0 "$pid" 2>/dev/null; ok $? "vsockdev --persist served every case and is still up"
stop_dev

# Without uds=PATH the cases that need the application are n/a, not failures.
start_dev "$T/d1"
"$C" --target "vhost-user=$T/d1/vu" --only request_no_listener,request_listener \
	--junit "$T/nouds.xml" >"$T/nouds" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^ok 1 - request_listener .*n/a: .*uds=PATH' "$T/nouds" &&
	grep -q '^ok 2 - request_no_listener ' "$T/nouds"
ok $? "without uds=: request_listener n/a (no application), request_no_listener passes" ||
	diag <"$T/nouds"
# --junit: the n/a case is <skipped> with its reason (read by Debian's junitparser)
/usr/bin/python3 -c '
import sys
from junitparser import JUnitXml, Skipped
s = list(JUnitXml.fromfile(sys.argv[1]))[0]
c = {t.name: t for t in s}
assert s.tests == 2 and s.skipped == 1 and s.failures == 0, (s.tests, s.skipped, s.failures)
r = [x for x in c["request_listener"].result if isinstance(x, Skipped)]
assert r and "uds=PATH" in r[0].message, r
assert not c["request_no_listener"].result
' "$T/nouds.xml" >"$T/nouds.chk" 2>&1
ok $? "--junit: an n/a case is skipped with its reason, a pass has no result" || diag <"$T/nouds.chk"
stop_dev

# ---- every vsockdev mutation fails the cases that check its rule ----
"$C" --list-mutations >"$T/muts"
"$D" --list-mutations >"$T/dmuts"
nm=$(wc -l <"$T/dmuts")
[ "$nm" -ge 10 ]; ok $? "vsockdev --list-mutations: $nm mutations"
! grep -vxFf <(cut -f1 "$T/muts") "$T/dmuts" | grep -q .
ok $? "every vsockdev mutation is a name of conformance/mutations.def"
# The sample that runs the whole suite: one mutation each of credit, handshake and
# shutdown.  EXTRA: cases vsockdev fails beyond the model's caught_by, and why:
# no_rst_no_listener: vsockdev refuses a REQUEST of the other type on the same path as
# one with no listener (the UNIX connect fails with EPROTOTYPE), so the mutation's
# missing RST fails request_type_mismatch too.
WHOLE=" ignore_credit no_rst_no_listener no_eof "
declare -A EXTRA=([no_rst_no_listener]=request_type_mismatch)
while read -r mut; do
	caught=$(awk -F'\t' -v m="$mut" '$1 == m { print $2 }' "$T/muts")
	whole=0
	[[ $WHOLE == *" $mut "* ]] && whole=1 && caught+=",${EXTRA[$mut]:-}"
	# the caught_by cases that pass on vsockdev unmutated (others are n/a here)
	want=$(echo "$caught" | tr ',' '\n' | sed '/^$/d' | while read -r c; do
		grep -qx "$c pass" "$T/want" && echo "$c"; done | sort | tr '\n' ' ' | sed 's/ $//')
	if [ -z "$want" ]; then
		ok 1 "--mutate $mut: none of its cases ($caught) applies to vsockdev"
		continue
	fi
	if ! start_dev "$T/m-$mut" --mutate "$mut"; then
		ok 1 "--mutate $mut: vsockdev did not start"; diag <"$T/m-$mut/log"; continue
	fi
	only=(--only "${want// /,}") desc="fails $want (only these cases run)"
	[ $whole = 1 ] && only=() desc="the whole suite: fails exactly $want"
	"$C" --target "vhost-user=$T/m-$mut/vu,uds=$T/m-$mut/uds" "${only[@]}" \
		--timeout 15000 >"$T/m" 2>"$T/merr"
	rc=$?
	stop_dev
	fails_exactly "$T/m" "$rc" "$want" "vsockdev --mutate $mut: $desc"
done <"$T/dmuts"

# ---- usage errors: status 2, one line on stderr, nothing on stdout ----
# expect_usage PROG PATTERN DESC ARGS...
expect_usage() {
	local prog=$1 pat=$2 desc=$3
	shift 3
	expect_exit 2 "$pat" "$desc" -- "$prog" "$@"
}
expect_usage "$C" "vhost-user needs the backend's socket" "--target vhost-user without socket" \
	--target vhost-user
expect_usage "$C" "vhost-user option 'foo=1': not uds=PATH" "--target vhost-user=S,foo=1" \
	--target vhost-user=/tmp/x,foo=1
expect_usage "$C" "vhost-user uds='': empty path" "--target vhost-user=S,uds=" \
	--target vhost-user=/tmp/x,uds=
expect_usage "$C" "path too long" "--target vhost-user with a socket path too long" \
	--target "vhost-user=/$(printf 'a%.0s' $(seq 120))"
expect_usage "$C" "--target vhost-user: --cid does not apply" "--target vhost-user with --cid" \
	--target "vhost-user=$T/none" --cid 5
expect_usage "$D" "'bogus': no such mutation" "vsockdev --mutate unknown" --mutate bogus
expect_usage "$D" "'reset_keeps_conns': not one vsockdev has" "vsockdev --mutate not its own" \
	--mutate reset_keeps_conns
expect_usage "$D" "an empty name after ','" "vsockdev --mutate with a trailing comma" \
	--mutate ignore_credit,
expect_usage "$D" "not with --connect" "vsockdev --persist --connect" --persist --connect \
	--cid 3 --socket "$T/x" --uds "$T/y"

# No backend there: the case fails with rule target, naming the socket; status 1.
"$C" --target "vhost-user=$T/none" --only 1 >"$T/nb" 2>&1
rc=$?
[ $rc = 1 ] && grep -q '^#   rule: target$' "$T/nb" && grep -q "$T/none" "$T/nb"
ok $? "no backend on the socket: the case fails with rule target, naming the socket" ||
	diag <"$T/nb"

echo "1..$n"
exit $failed
