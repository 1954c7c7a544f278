#!/usr/bin/env bash
# tests/cli/runner.sh - tests of tests/run itself, on the fake suites of tests/runner/ (TAP
# files printed by cat, and a few scripts): a suite whose TAP is not whole (truncated, a
# bail out, no plan, an empty plan, two plans, a result without its number) or that exits
# non-zero fails the run; a skip in any case counts as skipped, TODO as neither passed nor
# failed; with CI=true a skip in a VM suite is a failure; two suites named run.sh keep
# their own logs.
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=../tap.bash
. tests/tap.bash    # ok, diag
F=tests/runner

# runs SUITES CLOSING DESC [FAULT]: one test DESC: tests/run on the suites SUITES (one
# command a line), with CI set to $ci (not the caller's CI), ends with the line CLOSING,
# exits 0 exactly when CLOSING says "0 failed", and when FAULT is given, a log says it.
ci=''
runs() {
	local suites=$1 closing=$2 desc=$3 fault=${4:-} rc want=1
	rm -rf "$T/b"
	CI=$ci VSK_SUITES=$suites B=$T/b tests/run >"$T/out" 2>&1
	rc=$?
	[[ $closing == *" 0 failed"* ]] && want=0
	[ "$(tail -1 "$T/out")" = "$closing" ] && [ "$rc" = "$want" ] &&
		{ [ -z "$fault" ] || cat "$T/b/test-logs/"*.log | grep -qF -- "$fault"; }
	ok $? "$desc" || diag <"$T/out"
}

runs "cat $F/whole.tap" "2 passed, 0 failed, 1 skipped" "whole TAP: passes, a skip counted"
runs "cat $F/truncated.tap" "3 passed, 1 failed, 0 skipped" \
	"a truncated suite (1..5, three results) fails" "planned 5 tests but reported 3"
runs "cat $F/bailout.tap" "2 passed, 1 failed, 0 skipped" "a suite that bails out fails" \
	"bailed out: Bail out! the rest cannot run"
runs "cat $F/noplan.tap" "2 passed, 1 failed, 0 skipped" "a suite without a plan fails" \
	"printed no TAP plan"
runs "cat $F/emptyplan.tap" "0 passed, 1 failed, 0 skipped" "a suite with the plan 1..0 fails" \
	"planned no tests (1..0)"
runs "cat $F/twoplans.tap" "2 passed, 1 failed, 0 skipped" "a suite with two plans fails" \
	"printed 2 TAP plans"
runs "cat $F/unnumbered.tap" "2 passed, 1 failed, 0 skipped" \
	"a suite with an unnumbered 'not ok' fails" "1 result(s) without a number, first: not ok - b"
runs "$F/status.sh" "1 passed, 1 failed, 0 skipped" "a suite that exits 3 fails" \
	"exited with status 3"
runs "cat $F/skipcase.tap" "1 passed, 0 failed, 3 skipped" \
	"a skip directive in any case, with or without a space after the hash, counts as skipped"
runs "cat $F/todo.tap" "1 passed, 0 failed, 0 skipped" \
	"TODO, failing or passing, counts as neither passed nor failed"
grep -q '^cat  *1 passed, 0 failed, 0 skipped (2 TODO)$' "$T/out"
ok $? "the suite's line says how many were TODO" || diag <"$T/out"
runs "$F/vm/run -k 6.1 $F/vm/test-skip.sh" "1 passed, 0 failed, 1 skipped" \
	"a skip in a VM suite without CI=true is a skip"
ci=true
runs "$F/vm/run -k 6.1 $F/vm/test-skip.sh" "1 passed, 2 failed, 0 skipped" \
	"with CI=true a skip in a VM suite is a failure" "skipped 1 test(s) in a VM suite, and CI=true"
ci=''

runs "$F/one/run.sh
$F/two/run.sh" "1 passed, 1 failed, 0 skipped" "two suites named run.sh"
[ -f "$T/b/test-logs/one-run.sh.log" ] && [ -f "$T/b/test-logs/two-run.sh.log" ] &&
	grep -q '^ok 1' "$T/b/test-logs/one-run.sh.log" && grep -q '^not ok 1' "$T/b/test-logs/two-run.sh.log"
ok $? "... each with its own log" || ls "$T/b/test-logs" | diag
echo "1..$n"
exit $failed
