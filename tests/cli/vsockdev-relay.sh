#!/usr/bin/env bash
# tests/cli/vsockdev-relay.sh - vsockdev --relay against real Linux guest drivers: for each
# kernel (6.1, 6.12) the test VM boots with vsockdev --relay as its vhost-user-vsock-pci
# device (tests/vm/run with VSK_VM_MEMFD=1 and VSK_VM_QEMU_ARGS) and a virtio-serial port
# "vskagent" (a QEMU chardev UNIX socket) on which the guest runs tests/vm/vsock-agent.py
# (tests/vm/relay-guest.sh).  tests/relay-peer.py is the device side at CID 2 through the
# relay and makes the guest's sockets act through the agent: our REQUEST to its listener,
# RW both ways, CREDIT_REQUEST, its half-close and close, its connects refused and
# accepted, RST for an unknown type.  vsockdev's --capture of the run decodes, and its
# --check finds nothing.
# Environment: VSK_KERNELS (default "6.1 6.12"), VSK_KEEP=1 keeps the temp folder.
# SAFETY: no AF_VSOCK socket on this machine: the relay, the agent's line and vhost-user
# are UNIX sockets; every vsock socket is inside the guest.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
T=$(mktemp -d /tmp/vsockdev-relay.XXXXXX)
. tests/vsockdev-tap.bash

run_kernel() {
	local k=$1 W=$T/$1 rc
	relay_vm_start "$k" "$W" --check --capture "$W/cap.pcap" || return
	timeout 400 python3 tests/relay-peer.py "$W/relay.sock" "$W/agent.sock" >"$W/peer.out" 2>&1
	rc=$?
	py_tap "$k" "$rc" "$W/peer.out"
	relay_vm_finish "$k" "$W"
	wait_pid "$dpid" 30
	ok $? "$k: vsockdev exits 0 when QEMU leaves"
	grep -q '^vsockdev: check: 0 findings$' "$W/dev.err"
	ok $? "$k: vsockdev --check: no finding in the relayed packets"
	grep -v 'vhost-user\|queue' "$W/dev.err" | diag
	"$B/vsockdump" -r "$W/cap.pcap" >"$W/cap.txt" 2>&1 &&
		grep -q "2:7000 > 42:5000 stream REQUEST" "$W/cap.txt" &&
		grep -q "42:5000 > 2:7000 stream RESPONSE" "$W/cap.txt"
	ok $? "$k: the capture holds both ways of the relayed connection"
	diag <"$W/cap.txt"
	if [ "$failed" = 1 ]; then
		mkdir -p "$B/artefacts/vsockdev-relay-$k"
		cp "$W/cap.pcap" "$W/peer.out" "$W/dev.err" "$W/vm.out" "$B/artefacts/vsockdev-relay-$k/" 2>/dev/null
		echo "# artefacts in $B/artefacts/vsockdev-relay-$k"
	fi
	stop_pids
}

each_kernel run_kernel
