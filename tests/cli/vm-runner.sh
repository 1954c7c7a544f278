#!/usr/bin/env bash
# tests/cli/vm-runner.sh - black-box tests of tests/vm/run itself, the runner every VM test
# goes through: usage errors, a script's output and exit status passed through, and the
# statuses that keep a CI run honest when QEMU under TCG misbehaves: a boot that hangs
# (VSK_VM_BOOT_TMO) or panics is retried once and then reported (125), or reported at
# once with VSK_VM_BOOT_RETRY=0 (123), and a script that outlives -t gives 124.  The
# guest runs only what this script writes (no vsock socket anywhere).  TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. tests/tap.bash
R=tests/vm/run
export VSK_VM_ACCEL=tcg # a boot under TCG takes seconds: VSK_VM_BOOT_TMO=1 always runs out

# usage errors: status 2, a message on stderr, QEMU never started
$R >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] && grep -q '^usage: tests/vm/run' "$T/err" && [ ! -s "$T/out" ]
ok $? "no script: usage on stderr, status 2 (got $rc)" || diag <"$T/err"
printf 'echo 1..1; echo ok 1 - inside; exit 3\n' >"$T/three.sh"
for bad in "-k 5.10" "-t 0" "-t 1x" "-x"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	$R $bad "$T/three.sh" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 2 ] && grep -q '^usage: ' "$T/err" && [ ! -s "$T/out" ]
	ok $? "tests/vm/run $bad: status 2 (got $rc)" || diag <"$T/err"
done
$R "$T/none.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] && grep -q "^vm: $T/none.sh: no such file" "$T/err"
ok $? "a missing script: 'no such file', status 2 (got $rc)" || diag <"$T/err"
VSK_VM_BOOT_TMO=abc $R "$T/three.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 126 ] && grep -q "VSK_VM_BOOT_TMO=abc: not 1 to 99999 seconds" "$T/err"
ok $? "VSK_VM_BOOT_TMO=abc: refused, status 126 (got $rc)" || diag <"$T/err"

# A script's standard output comes out on the runner's, its status is the runner's, and a
# status other than 0 shows the console log.
$R -k 6.1 "$T/three.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 3 ] && grep -qx 'ok 1 - inside' "$T/out"
ok $? "the script's TAP line on stdout and its status 3 (got $rc)" || diag <"$T/out"
grep -q 'script exited with status 3' "$T/err" && grep -q '^| vsockkit-vm: .* init started' "$T/err"
ok $? "status 3: the console log on stderr, each line after '| '" || diag <"$T/err"

# A boot that never reaches the script: stopped after VSK_VM_BOOT_TMO, retried once, 125.
VSK_VM_BOOT_TMO=1 $R -k 6.1 "$T/three.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 125 ] && grep -q '^# vm: the guest kernel panicked or hung while booting (tcg); retrying once' "$T/out" &&
	[ "$(grep -c 'did not reach the script within 1 s' "$T/err")" = 2 ] &&
	grep -q 'the guest hung while booting, twice' "$T/err"
ok $? "a boot that hangs: stopped, retried once (a TAP comment), then status 125 (got $rc)" ||
	diag <"$T/err"
VSK_VM_BOOT_RETRY=0 VSK_VM_BOOT_TMO=1 $R -k 6.1 "$T/three.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 123 ] && [ ! -s "$T/out" ] && [ "$(grep -c 'did not reach the script' "$T/err")" = 1 ]
ok $? "VSK_VM_BOOT_RETRY=0: a boot that hangs gives 123 at once, no retry (got $rc)" ||
	diag <"$T/err"

# A kernel panic before init (no such init): retried once; the first console log is kept.
log=$T/panic.console
VSK_VM_APPEND=rdinit=/nonexistent $R -k 6.1 -l "$log" "$T/three.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 125 ] && grep -q 'retrying once' "$T/out" && grep -q 'Kernel panic' "$log.first" &&
	grep -q 'never reported a status' "$T/err"
ok $? "a boot-time kernel panic: retried once, first log kept, then status 125 (got $rc)" ||
	diag <"$T/err"

# A script that outlives -t: 124, whatever it printed before.
printf 'echo 1..1; echo ok 1 - before; sleep 300\n' >"$T/sleep.sh"
$R -k 6.1 -t 15 "$T/sleep.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 124 ] && grep -qx 'ok 1 - before' "$T/out" && grep -q 'timed out after 15 s' "$T/err"
ok $? "-t 15 and a script that sleeps: status 124, its output so far kept (got $rc)" ||
	diag <"$T/err"

echo "1..$n"
exit "$failed"
