#!/usr/bin/env bash
# tests/cli/conformance-guest.sh - vsock-conformance --target guest: the suite plays the
# DEVICE (CID 2) and a Linux guest kernel's virtio-vsock driver is the implementation.
# For each kernel (VSK_KERNELS, default "6.1 6.12") the test VM boots with vsockdev
# --relay as its vhost-user-vsock-pci device and a virtio-serial port "vskagent" on which
# the guest runs tests/vm/vsock-agent.py (tests/vm/relay-guest.sh); the suite runs every
# case with --capture, every case gets a verdict (pass; fail with evidence and a rule; n/a
# with a reason), and the verdicts equal tests/vm/guest-expect/KERNEL.txt (a fail there is
# a recorded finding, docs/conformance.md; a changed verdict fails this test).  On failure
# the capture, the report and vsockdev's log are kept in build/artefacts/.
# Environment: VSK_KERNELS (any kernel tests/vm/run -k takes; one that has no record of
# its own is compared with its series', e.g. 6.1.0-50 with 6.1.txt), VSK_KEEP=1 keeps the
# temp folder, VSK_CONF_OUT=DIR keeps each kernel's report, capture and TAP in DIR/KERNEL/
# (tests/matrix.sh).
# SAFETY: no AF_VSOCK socket on this machine: the relay, the agent's line and vhost-user
# are UNIX sockets; every vsock socket is inside the guest.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
C=$B/vsock-conformance
T=$(mktemp -d /tmp/conformance-guest.XXXXXX)
. tests/vsockdev-tap.bash

# guest_expect K: the record of kernel K's verdicts, or of its series (6.1.0-50: 6.1).
guest_expect() {
	local f=tests/vm/guest-expect/$1.txt
	[ -f "$f" ] || f=tests/vm/guest-expect/$(echo "$1" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p').txt
	echo "$f"
}

run_kernel() {
	local k=$1 W=$T/$1 rc
	relay_vm_start "$k" "$W" || return
	"$C" --list | awk '{print $2}' | sort >"$W/list"
	timeout 1200 "$C" --target "guest=relay=$W/relay.sock,agent=$W/agent.sock" \
		--timeout 60000 ${VSK_CONF_ONLY:+--only "$VSK_CONF_ONLY"} --capture "$W/run.pcap" \
		--expect "$(guest_expect "$k")" --json "$W/run.json" >"$W/run.tap" \
		2>"$W/run.err"
	rc=$?
	relay_vm_finish "$k" "$W"
	[ "$rc" = 0 ] || [ "$rc" = 1 ]
	ok $? "$k: the suite ran (status $rc)"
	diag <"$W/run.err"
	python3 - "$W/list" "$W/run.json" "$W/verdicts" >"$W/check" 2>&1 <<'PY'
import json, sys
names = open(sys.argv[1]).read().split()
d = json.load(open(sys.argv[2]))
cases = {c["name"]: c for c in d["cases"]}
bad = []
with open(sys.argv[3], "w") as out:
    for n in names:
        c = cases.get(n)
        if c is None:
            bad.append(f"{n}: no verdict")
            continue
        v = c["verdict"]
        if v == "fail" and not (c.get("evidence") and c.get("rule")):
            bad.append(f"{n}: a fail without evidence or rule")
        if v == "n/a" and not c.get("reason"):
            bad.append(f"{n}: n/a without a reason")
        print(f"{n} {v}", file=out)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	ok $? "$k: every case has a verdict (fail: evidence and rule; n/a: a reason)"
	diag <"$W/check"
	[ "$rc" = 0 ] && grep -q '^# expect .*: no change' "$W/run.tap"
	ok $? "$k: the verdicts are the recorded ones (--expect $(guest_expect "$k"))"
	if [ -n "${VSK_CONF_OUT:-}" ]; then
		mkdir -p "$VSK_CONF_OUT/$k" &&
			cp "$W/run.json" "$W/run.pcap" "$W/run.tap" "$VSK_CONF_OUT/$k/" 2>/dev/null
	fi
	{ grep -A60 '^# expect ' "$W/run.tap"; grep -A6 '^not ok' "$W/run.tap"; } | diag
	"$B/vsockdump" -r "$W/run.pcap" >"$W/cap.txt" 2>&1 && [ -s "$W/cap.txt" ]
	ok $? "$k: the run's capture decodes ($(wc -l <"$W/cap.txt") packets)"
	if [ "$failed" = 1 ]; then
		mkdir -p "$B/artefacts/conformance-guest-$k"
		cp "$W/run.pcap" "$W/run.tap" "$W/run.json" "$W/dev.err" "$W/vm.out" \
			"$B/artefacts/conformance-guest-$k/" 2>/dev/null
		echo "# artefacts in $B/artefacts/conformance-guest-$k"
	fi
	stop_pids
}

each_kernel run_kernel
