# shellcheck shell=bash
# tests/vsockdev-tap.bash - helpers of the tests that run vsockdev on the build machine
# (tests/cli/vsockdev.sh, tests/cli/vsockdev-relay.sh, tests/cli/conformance-guest.sh),
# sourced, on top of tests/tap.bash (ok, diag, expect_exit, man_matches_usage; diag only
# after a failed test here) and tests/wait.bash: they kill the caller's pids and remove
# its T at exit (VSK_KEEP=1 keeps T).  Not a test itself (tests/run runs tests/cli/*.sh).
# shellcheck disable=SC2034  # pids, dpid and vmpid are the caller's
# shellcheck source=../tap.bash  # (relative to tests/cli, where the sourcing scripts are)
. "$(dirname "${BASH_SOURCE[0]}")/tap.bash"
TAP_DIAG=failed
pids=()
cleanup() {
	stop_pids
	[ -n "${VSK_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
# shellcheck source=wait.bash
. "$(dirname "${BASH_SOURCE[0]}")/wait.bash"
# stop_pids: kills the caller's background pids and waits for them
stop_pids() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pids=()
}
# py_tap NAME STATUS FILE: the "ok - " and "not ok - " lines a Python helper
# (tests/vu-frontend.py, tests/relay-peer.py) wrote to FILE as TAP, then whether it
# finished (its exit STATUS)
py_tap() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok 0 "$1: ${line#ok - }" ;;
		"not ok - "*) ok 1 "$1: ${line#not ok - }" ;;
		esac
	done <"$3"
	[ "$2" = 0 ] && grep -q '^ok' "$3"
	ok $? "$1: finished (status $2)"
	diag <"$3"
}
# each_kernel FUNC...: each FUNC KERNEL for each of VSK_KERNELS (default "6.1 6.12"), and
# once more as FUNC KERNEL again when it returns 75 (it asks to start over: a guest kernel
# panicked while booting); then the TAP plan; exits 1 if any test failed
each_kernel() {
	local k f
	for k in ${VSK_KERNELS:-6.1 6.12}; do
		for f in "$@"; do
			vm_again=''
			"$f" "$k" || [ $? != 75 ] || { vm_again=1; "$f" "$k" again; }
		done
	done
	echo "1..$n"
	exit "$failed"
}
# vm_wait_ready K W: waits (300 s) until the guest wrote W/out/ready or the VM (vmpid)
# ended.  Status 1 when its kernel panicked while booting (tests/vm/run with
# VSK_VM_BOOT_RETRY=0 exited 123: an outside vsockdev cannot follow QEMU into a second
# boot) and this is not each_kernel's second try: the caller's processes are stopped, W
# removed, and the caller returns 75 to start over.  0 otherwise (ready or not).
vm_wait_ready() {
	local k=$1 W=$2
	ready_or_gone() { [ -e "$W/out/ready" ] || ! kill -0 "$vmpid" 2>/dev/null; }
	wait_for 300 ready_or_gone
	if [ ! -e "$W/out/ready" ] && ! kill -0 "$vmpid" 2>/dev/null; then
		wait "$vmpid"
		if [ $? = 123 ] && [ -z "${vm_again:-}" ]; then
			echo "# $k: the guest kernel panicked while booting; starting over with a fresh vsockdev"
			stop_pids
			rm -rf "$W"
			return 1
		fi
	fi
	return 0
}
# relay_vm_start K W [VSOCKDEV_OPTION...]: vsockdev --relay W/relay.sock (--cid 42, its
# log in W/dev.err, its pid in dpid) and the test VM on kernel K with it as the vsock
# device and the virtio-serial port vskagent (chardev socket W/agent.sock), running
# tests/vm/relay-guest.sh (the guest agent; its pid in vmpid); TAP for both coming up.
# Returns 75, with no TAP line for the guest, when its kernel panicked while booting
# (tests/vm/run with VSK_VM_BOOT_RETRY=0: vsockdev cannot follow QEMU into a second boot)
# and this is not already each_kernel's second try (vm_again).
relay_vm_start() {
	local k=$1 W=$2
	shift 2
	mkdir -p "$W/out"
	"$B/vsockdev" --socket "$W/vu.sock" --cid 42 --relay "$W/relay.sock" -v "$@" \
		2>"$W/dev.err" &
	dpid=$!
	pids+=("$dpid")
	wait_for 10 test -S "$W/vu.sock" && wait_for 10 test -S "$W/relay.sock"
	ok $? "$k: vsockdev --relay is up"
	VSK_VM_BOOT_RETRY=0 VSK_VM_MEMFD=1 VSK_VM_QEMU_ARGS="-chardev socket,id=vsk0,path=$W/vu.sock -device vhost-user-vsock-pci,chardev=vsk0 -device virtio-serial-pci -chardev socket,id=ag0,path=$W/agent.sock,server=on,wait=off -device virtserialport,chardev=ag0,name=vskagent" \
		tests/vm/run -k "$k" -t 1500 -o "$W/out" tests/vm/relay-guest.sh \
		>"$W/vm.out" 2>"$W/vm.err" &
	vmpid=$!
	pids+=("$vmpid")
	vm_wait_ready "$k" "$W" || return 75
	[ -e "$W/out/ready" ]
	ok $? "$k: the guest's agent runs"
	tail -20 "$W/vm.err" | diag
}
# relay_vm_finish K W: tells the guest the host is done, waits for the VM; TAP for the
# guest's own checks
relay_vm_finish() {
	touch "$2/out/host-done"
	vm_guest_tap "$1" "$2" 300
}
# vm_guest_tap LABEL W SECONDS: waits (SECONDS) for the VM (vmpid) whose output is in
# W/vm.out and W/vm.err; one TAP line, "LABEL: ...": it exited 0, its guest script wrote
# W/out/done and none of its TAP lines failed
vm_guest_tap() {
	local W=$2 rc
	wait_pid "$vmpid" "$3"
	rc=$?
	grep -E '^(not )?ok' "$W/vm.out" >"$W/guest.tap"
	[ "$rc" = 0 ] && ! grep -q '^not ok' "$W/guest.tap" && [ -e "$W/out/done" ]
	ok $? "$1: the guest's $(grep -c '^ok' "$W/guest.tap") checks passed (VM status $rc)"
	{ cat "$W/guest.tap"; tail -20 "$W/vm.err"; } | diag
}
