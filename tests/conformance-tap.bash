# shellcheck shell=bash
# tests/conformance-tap.bash - helpers of the conformance suite's CLI tests
# (tests/cli/conformance.sh, tests/cli/conformance-vhostuser.sh,
# tests/cli/conformance-hybrid.sh), sourced, on top of tests/tap.bash (ok, diag,
# expect_exit, man_matches_usage).  Not a test itself (tests/run runs tests/cli/*.sh).
# shellcheck source=../tap.bash  # (relative to tests/cli, where the sourcing scripts are)
. "$(dirname "${BASH_SOURCE[0]}")/tap.bash"

# The failing case names of a vsock-conformance TAP run, sorted, one line.
fails() { sed -n 's/^not ok [0-9]* - \([a-z0-9_]*\) .*/\1/p' "$1" | sort | tr '\n' ' ' | sed 's/ $//'; }
# True if every failing case of a TAP run has a "#   rule: NAME" line.
rules_named() {
	awk '/^(ok|not ok) / { if (inb && !r) bad = 1; inb = /^not ok/; r = 0; next }
	     inb && /^#   rule: [a-z0-9_]+$/ { r = 1 }
	     END { if (inb && !r) bad = 1; exit bad }' "$1"
}
# fails_exactly TAP STATUS WANT DESC [NOTE]: one test DESC: a vsock-conformance run that
# exited with STATUS and wrote TAP failed exactly the cases WANT (sorted, one line), each
# naming its rule; on failure what it did (and NOTE) as diagnostics.
fails_exactly() {
	local tap=$1 rc=$2 want=$3 desc=$4 note=${5:-} got named
	got=$(fails "$tap")
	rules_named "$tap" && named=1 || named=0
	[ "$rc" = 1 ] && [ "$got" = "$want" ] && [ $named = 1 ]
	ok $? "$desc" && return 0
	{ echo "status $rc; failed: ${got:-none}; rule named: $named${note:+ ($note)}"
	  grep -A3 '^not ok' "$tap"; } | diag
	return 1
}
