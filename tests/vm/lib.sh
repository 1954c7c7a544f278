# shellcheck shell=bash
# tests/vm/lib.sh - helpers for the scripts that run inside the test VM (sourced, bash).
# TAP output, bounded waits, and live captures on vsockmon0 written to tmpfs.
#
#   ok STATUS DESCRIPTION      one TAP line; STATUS 0 is a pass
#   diag FILE...               the files as TAP comments ("#   ...")
#   finish                     the plan line; exits 1 if any test failed
#   wait_for SECONDS CMD...    (tests/wait.bash) runs CMD every 0.1 s until it succeeds; 1 on timeout
#   wait_pid PID SECONDS       waits for a child; its status, or 124 (then it is killed)
#   cap_start NAME [EXPR...]   vsockdump -i vsockmon0 -w $T/NAME.pcap --print [EXPR],
#                              text in $T/NAME.txt, stderr in $T/NAME.err; waits until
#                              it is listening
#   cap_stop NAME              SIGINT, then waits; vsockdump's status
#   cap_count NAME WHAT        from the closing statistics: WHAT is captured,
#                              "received by filter" or "dropped by kernel"
#   keep FILE...               copies files to /out/ (the host's folder) for a post-mortem
#   cap_clean NAME             TAP: vsockdump --check finds nothing in $T/NAME.pcap
set -u
export TZ=UTC LC_ALL=C
# These scripts open AF_VSOCK sockets: only ever inside the VM, whose initramfs carries
# /etc/vsockkit-vm, never on a build machine whose own host answers on vsock.
if [ ! -e /etc/vsockkit-vm ] || [ -z "${VSK_KERNEL:-}" ]; then
	echo "not ok 1 - $0 runs only inside the test VM: tests/vm/run $0"
	echo "1..1"
	exit 1
fi
T=$(mktemp -d /tmp/vmtest.XXXXXX) || exit 1
n=0 failed=0
declare -A cap_pid=()

ok() {
	local rc=$1
	shift
	n=$((n + 1))
	if [ "$rc" = 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		failed=1
	fi
}
diag() { sed 's/^/#   /' "$@"; }
finish() {
	echo "1..$n"
	exit "$failed"
}

# shellcheck source=../wait.bash
. "$(dirname "${BASH_SOURCE[0]}")/../wait.bash"

# A burst from the loopback transport under TCG outruns a reader that shares the two
# vCPUs with the senders; vsockdump's default 32 MiB packed ring (-B; test-burst.sh) holds
# a whole test's traffic, so a drop means a real loss, not a slow emulator.
cap_start() {
	local name=$1
	shift
	vsockdump -i vsockmon0 -w "$T/$name.pcap" --print "$@" \
		>"$T/$name.txt" 2>"$T/$name.err" &
	cap_pid[$name]=$!
	wait_for 10 grep -q 'listening on' "$T/$name.err"
}
cap_stop() {
	local pid=${cap_pid[$1]}
	kill -INT "$pid" 2>/dev/null
	wait_pid "$pid" 20
}
cap_count() {
	sed -n "s/^\([0-9][0-9]*\) packets\{0,1\} $2\$/\1/p" "$T/$1.err" | head -1
}
keep() { cp "$@" /out/ 2>/dev/null; }
# cap_clean NAME: one TAP line: the capture holds no finding of the flow analysis (real
# kernel behaviour is not a violation), with --check's status and any finding as diag.
cap_clean() {
	vsockdump -r "$T/$1.pcap" --check >"$T/$1.check" 2>&1
	local rc=$?
	grep -E '\[!|^[0-9:.]+ ! ' "$T/$1.check" >"$T/$1.findings"
	[ "$rc" = 0 ] && [ ! -s "$T/$1.findings" ]
	ok $? "vsockdump --check finds nothing in the $1 capture (status $rc)"
	diag "$T/$1.findings"
}
