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
D=$B/vsockdev
T=$(mktemp -d /tmp/vsockdev-relay.XXXXXX)
. tests/vsockdev-tap.bash

run_kernel() {
	local k=$1 W=$T/$1 dpid vmpid rc
	mkdir -p "$W/out"
	"$D" --socket "$W/vu.sock" --cid 42 --relay "$W/relay.sock" --check \
		--capture "$W/cap.pcap" -v 2>"$W/dev.err" &
	dpid=$!
	pids+=("$dpid")
	wait_for 10 test -S "$W/vu.sock" && wait_for 10 test -S "$W/relay.sock"
	ok $? "$k: vsockdev --relay is up"
	VSK_VM_MEMFD=1 VSK_VM_QEMU_ARGS="-chardev socket,id=vsk0,path=$W/vu.sock -device vhost-user-vsock-pci,chardev=vsk0 -device virtio-serial-pci -chardev socket,id=ag0,path=$W/agent.sock,server=on,wait=off -device virtserialport,chardev=ag0,name=vskagent" \
		tests/vm/run -k "$k" -t 500 -o "$W/out" tests/vm/relay-guest.sh \
		>"$W/vm.out" 2>"$W/vm.err" &
	vmpid=$!
	pids+=("$vmpid")
	wait_for 300 test -e "$W/out/ready"
	ok $? "$k: the guest's agent runs"
	tail -20 "$W/vm.err" | diag
	timeout 400 python3 tests/relay-peer.py "$W/relay.sock" "$W/agent.sock" >"$W/peer.out" 2>&1
	rc=$?
	touch "$W/out/host-done"
	py_tap "$k" "$rc" "$W/peer.out"
	wait_pid "$vmpid" 300
	rc=$?
	grep -E '^(not )?ok' "$W/vm.out" >"$W/guest.tap"
	[ "$rc" = 0 ] && ! grep -q '^not ok' "$W/guest.tap" && [ -e "$W/out/done" ]
	ok $? "$k: the guest's $(grep -c '^ok' "$W/guest.tap") checks passed (VM status $rc)"
	{ cat "$W/guest.tap"; tail -20 "$W/vm.err"; } | diag
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
