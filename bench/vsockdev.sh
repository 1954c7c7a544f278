#!/usr/bin/env bash
# bench/vsockdev.sh - bulk throughput through vsockdev, the vhost-user vsock device: the
# test VM boots with vsockdev as its vsock device (tests/vm/run with VSK_VM_MEMFD=1 and
# VSK_VM_QEMU_ARGS) and, in the same VM run, measures
#   guest to host: `vsockcat 2 PORT < FILE` in the guest, `vsockcat --uds SOCK -l PORT -k
#                  -c 'cat >/dev/null'` on the build machine (through vsockdev's UNIX socket);
#                  vsockcat at its default buffer (4 MiB), and the same with the guest's
#                  default buffer of 256 KiB: `vsockcat --buffer-size 262144 2 PORT < FILE`
#                  and `socat -u OPEN:FILE VSOCK-CONNECT:2:PORT` (a Linux sender never has
#                  more than its own buffer in flight, so these depend on vsockdev's
#                  CREDIT_UPDATEs, issue 23; a run not done in BOUND seconds, 60 by
#                  default, is reported as stalled and that sender is not run again)
#   loopback:      `vsockcat 1 PORT < FILE` to `vsockcat -l PORT > /dev/null` in the guest
#                  (vsock_loopback, no device at all), for scale
# FILE is MIB MiB of random bytes in the guest's tmpfs; the time is the guest's wall clock
# from the sender's start until it exits (after the receiver's EOF: everything arrived),
# best of RUNS.  vsockdev runs without --capture and --check (a second row with both).
#
# On the build machine:  [RUNS=3] bench/vsockdev.sh [-k 6.1|6.12] [MIB]
#   [BOUND=60] (both kernels if no -k; MIB defaults to 64); results:
#   build/vm/out/vsockdev-bench-K/results.md, printed at the end.  Inside the VM it is
#   started by tests/vm/run.  socat -u exits once its last bytes are queued, up to its
#   256 KiB before the receiver has them: its time is that much short (0.4 % of 64 MiB).
set -u
if [ ! -e /etc/vsockkit-vm ]; then
	cd "$(dirname "$0")/.." || exit 1
	kernels=(6.1 6.12)
	if [ "${1:-}" = -k ]; then kernels=("$2"); shift 2; fi
	B=${VSK_BUILD:-$PWD/build}
	for k in "${kernels[@]}"; do
		out=$PWD/build/vm/out/vsockdev-bench-$k
		rm -rf "$out"
		mkdir -p "$out"
		W=$(mktemp -d /tmp/vsockdev-bench.XXXXXX)
		for mode in plain checked; do
			extra=()
			[ $mode = checked ] && extra=(--capture "$W/cap.pcap" --check)
			"$B/vsockdev" --socket "$W/vu.sock" --cid 42 --uds "$W/v.sock" "${extra[@]}" \
				2>"$out/vsockdev-$mode.err" &
			dp=$!
			"$B/vsockcat" --uds "$W/v.sock" -l 7001 -k -c 'cat >/dev/null' 2>/dev/null &
			lp=$!
			for _ in $(seq 50); do [ -S "$W/v.sock_7001" ] && [ -S "$W/vu.sock" ] && break; sleep 0.1; done
			VSK_VM_MEMFD=1 VSK_VM_MEM=${VSK_VM_MEM:-2048} \
			VSK_VM_QEMU_ARGS="-chardev socket,id=vsk0,path=$W/vu.sock -device vhost-user-vsock-pci,chardev=vsk0" \
				tests/vm/run -k "$k" -t 1800 -o "$out" bench/vsockdev.sh "${1:-64}" "${RUNS:-3}" $mode "${BOUND:-60}" \
				>"$out/log-$mode" 2>&1 || { echo "bench/vsockdev.sh: VM run on $k ($mode) failed" >&2; cat "$out/log-$mode" >&2; }
			kill "$lp" 2>/dev/null
			wait "$dp"
			wait "$lp" 2>/dev/null
		done
		rm -rf "$W"
		{
			echo "vsockdev throughput, kernel $k, $(qemu-system-x86_64 --version | head -1), TCG, ${1:-64} MiB, best of ${RUNS:-3}"
			echo
			echo "| path | vsockdev | MiB/s |"
			echo "|---|---|---|"
			cat "$out"/rows-* 2>/dev/null
		} >"$out/results.md"
		cat "$out/results.md"
	done
	exit 0
fi

export TZ=UTC LC_ALL=C
MIB=${1:-64}
RUNS=${2:-3}
MODE=${3:-plain}
BOUND=${4:-60}
BYTES=$((MIB << 20))
T=$(mktemp -d)
SRC=$T/src.bin
modprobe vmw_vsock_virtio_transport || exit 1
head -c "$BYTES" /dev/urandom >"$SRC"

# best MS-LIST: the smallest
best() { printf '%s\n' "$@" | sort -n | head -1; }
rate() { awk -v b="$BYTES" -v ms="$1" 'BEGIN { printf "%.1f", b / 1048576 / (ms / 1000) }'; }

# send NAME: one transfer of SRC to host port 7001 by sender NAME, at most BOUND seconds
send() {
	case $1 in
	vsockcat) timeout "$BOUND" vsockcat 2 7001 <"$SRC" >/dev/null ;;
	vsockcat-256k) timeout "$BOUND" vsockcat --buffer-size 262144 2 7001 <"$SRC" >/dev/null ;;
	socat) timeout "$BOUND" socat -u "OPEN:$SRC" VSOCK-CONNECT:2:7001 ;;
	esac 2>"$T/$1.err"
}
senders=(vsockcat vsockcat-256k socat)
declare -A g2h=() stalled=()
lo=()
for ((r = 0; r < RUNS; r++)); do
	for s in "${senders[@]}"; do
		[ -n "${stalled[$s]:-}" ] && continue
		t0=${EPOCHREALTIME/./}
		send "$s"
		rc=$?
		t1=${EPOCHREALTIME/./}
		if [ "$rc" = 124 ] || [ "$rc" = 143 ]; then    # cut off (143: busybox's timeout)
			stalled[$s]=1
			continue
		fi
		[ "$rc" = 0 ] || { echo "$s: status $rc"; cat "$T/$s.err"; exit 1; }
		g2h[$s]+=" $(((t1 - t0) / 1000))"
	done

	vsockcat -l 7000 >/dev/null 2>"$T/lo-recv.err" &
	rp=$!
	for _ in $(seq 100); do ss --vsock -l -n | grep -q ":7000 " && break; sleep 0.05; done
	t0=${EPOCHREALTIME/./}
	vsockcat 1 7000 <"$SRC" >/dev/null 2>"$T/lo.err" || { cat "$T/lo.err"; exit 1; }
	wait "$rp"
	t1=${EPOCHREALTIME/./}
	lo+=($(((t1 - t0) / 1000)))
done
how=$([ "$MODE" = checked ] && echo "--capture --check" || echo "plain")
declare -A label=([vsockcat]="vsockcat, 4 MiB buffer" [vsockcat-256k]="vsockcat --buffer-size 262144"
	[socat]="socat, default buffer (256 KiB)")
: >"/out/rows-$MODE"
for s in "${senders[@]}"; do
	if [ -n "${stalled[$s]:-}" ]; then
		v="stalled: not done in $BOUND s"
	else
		# shellcheck disable=SC2086  # the list of times, split
		v=$(rate "$(best ${g2h[$s]})")
	fi
	echo "| guest to host, ${label[$s]} (to vsockcat --uds) | $how | $v |" >>"/out/rows-$MODE"
	echo "$s ms:${g2h[$s]:-}${stalled[$s]:+ (stalled)}"
done
[ "$MODE" = plain ] && echo "| in-guest loopback (CID 1), same VM run | – | $(rate "$(best "${lo[@]}")") |" >>"/out/rows-$MODE"
echo "loopback ms: ${lo[*]}"
