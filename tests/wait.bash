# shellcheck shell=bash
# tests/wait.bash - bounded waits, sourced by the tests on the build machine
# (tests/vsockdev-tap.bash, tests/cli/vsockcat.sh) and in the VM (tests/vm/lib.sh).  Never
# a timing assertion: a bound only keeps a broken run from hanging.
# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds; 1 when it never did
wait_for() {
	local s=$1 i
	shift
	for ((i = 0; i < s * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# wait_pid PID SECONDS: waits for a child; its status, or 124 (then it is killed)
wait_pid() {
	local pid=$1 s=$2 i
	for ((i = 0; i < s * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}
