#!/usr/bin/env bash
# tests/golden/run.sh - golden-output tests (TAP).  Each TESTLIST line runs vsockdump on
# an input and compares with NAME.out; the hex dumps are checked against the capture's
# bytes (hexdump-check.py); then the field values vsockdump prints are checked
# against tcpdump's: its expected -v output for the fixture, and tcpdump itself on the
# catalog capture.  `tests/golden/run.sh --update` rewrites the .out files (review the diff).
set -u
cd "$(dirname "$0")" || exit 1
B=${VSK_BUILD:-$PWD/../../build}
D=$B/vsockdump
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TZ=UTC LC_ALL=C
update=0; [ "${1:-}" = --update ] && update=1
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }

"$B"/tests/mkcap catalog "$T/catalog.pcap" || { echo "not ok 1 - mkcap catalog"; echo 1..1; exit 1; }

while read -r name input opts; do
	case $name in ''|'#'*) continue ;; esac
	[ "$input" = catalog ] && input=$T/catalog.pcap
	# shellcheck disable=SC2086 # options are words on purpose
	"$D" -r "$input" $opts >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	if [ $update = 1 ]; then cp "$T/$name.out" "$name.out"; fi
	# stderr may carry only the closing count of malformed frames.
	if [ $rc = 0 ] && ! grep -qv 'malformed frame' "$T/$name.err" &&
		diff -u "$name.out" "$T/$name.out" >"$T/diff"; then
		ok 0 "$name"
	else
		ok 1 "$name (status $rc)"
		sed 's/^/#   /' "$T/$name.err" "$T/diff" | head -40
	fi
done <TESTLIST

# The hex dumps have no outside reference: a second derivation checks them against the
# capture's bytes, read by hexdump-check.py on its own (not through libvsk).
while read -r name input opts; do
	case $name in ''|'#'*) continue ;; esac
	case " $opts " in
	*" -xx "*) mode=xx ;; *" -X "*) mode=X ;; *" -x "*) mode=x ;; *) continue ;;
	esac
	[ "$input" = catalog ] && input=$T/catalog.pcap
	python3 hexdump-check.py "$mode" "$input" "$T/$name.out" >"$T/hex" 2>&1
	ok $? "$name: the -$mode dump is the capture's bytes"
	sed 's/^/#   /' "$T/hex"
done <TESTLIST

# Field values agree with tcpdump's expected -v output for its own fixture.
"$D" -r tcpdump-vsock-1.pcapng --json >"$T/fix.json" 2>/dev/null
python3 tcpdump-agree.py --min 10 tcpdump-vsock-1-v.out "$T/fix.json" >"$T/agree" 2>&1
ok $? "fixture: every field of its 10 frames agrees with tcpdump-vsock-1-v.out, packet by packet"
sed 's/^/#   /' "$T/agree"

# ... and with tcpdump itself on the catalog: every frame whose vsockmon header tcpdump
# decodes (31 of 32; the one it does not is 20 bytes, "[|vsock]" alone), its names for
# values it does not know taken as the numbers they are.
if command -v tcpdump >/dev/null; then
	tcpdump -r "$T/catalog.pcap" -nn -v -tttt 2>/dev/null >"$T/tcpdump.out"
	"$D" -r "$T/catalog.pcap" --json >"$T/cat.json" 2>/dev/null
	python3 tcpdump-agree.py --subset --min 31 "$T/tcpdump.out" "$T/cat.json" >"$T/agree" 2>&1
	ok $? "catalog: every frame tcpdump decodes (at least 31) agrees with vsockdump"
	sed 's/^/#   /' "$T/agree"
else
	n=$((n + 1)); echo "not ok $n - tcpdump not installed (make deps installs it)"; failed=1
fi
echo "1..$n"
exit $failed
