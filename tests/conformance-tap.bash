# shellcheck shell=bash
# tests/conformance-tap.bash - TAP helpers of the conformance suite's CLI tests
# (tests/cli/conformance.sh, tests/cli/conformance-vhostuser.sh), sourced: they count in
# the caller's n and failed.  Not a test itself (tests/run runs tests/cli/*.sh).

# ok STATUS DESC: one TAP line; returns STATUS so that `ok $? ... || diag` works.
# shellcheck disable=SC2034  # failed is the caller's
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
	return "$1"
}
diag() { sed 's/^/#   /'; }

# The failing case names of a vsock-conformance TAP run, sorted, one line.
fails() { sed -n 's/^not ok [0-9]* - \([a-z0-9_]*\) .*/\1/p' "$1" | sort | tr '\n' ' ' | sed 's/ $//'; }
# True if every failing case of a TAP run has a "#   rule: NAME" line.
rules_named() {
	awk '/^(ok|not ok) / { if (inb && !r) bad = 1; inb = /^not ok/; r = 0; next }
	     inb && /^#   rule: [a-z0-9_]+$/ { r = 1 }
	     END { if (inb && !r) bad = 1; exit bad }' "$1"
}
