#!/usr/bin/env bash
# bench/capture.sh - how many frames a live capture keeps without loss, vsockdump beside
# tcpdump, in the test VM (loopback transport, QEMU TCG, 2 vCPUs).  Each reader runs alone
# on vsockmon0 with a 32 MiB ring:
#   vsockdump           its defaults (no immediate mode, snaplen 65612)
#   vsockdump-old       --immediate-mode -s 262144 (the defaults before issue 14)
#   tcpdump             -B 32768 (its defaults otherwise: TPACKET_V3, snaplen 262144)
# Two measures:
#   stalled burst   the reader is stopped (SIGSTOP) while tests/vm/burst.py floods N
#                   16-byte writes, then continued: the largest N (doubling from 1,000 to
#                   512,000) whose frames all survive shows what the ring holds, and for
#                   how long (a packed block is handed over when full or after the
#                   reader's timeout, so a long stop uses blocks even if they are not full)
#   sustained rate  the reader runs while the flood sends WRITES writes as fast as the
#                   guest can: frames per second of the flood, and the frames dropped
#
# On the build machine:  bench/capture.sh [-k 6.1|6.12]   (both kernels if no -k)
#   results: build/vm/out/capture-bench-K/results.md, printed at the end.
# Inside the VM it is started by tests/vm/run; never run it on a machine whose own host
# answers on vsock.
set -u
# shellcheck source-path=SCRIPTDIR source=vm-host.bash
. "$(dirname "$0")/vm-host.bash"
bench_in_vm capture "$0" "$@"

export TZ=UTC LC_ALL=C
T=$(mktemp -d)
P=7000
W="python3 $(dirname "$0")/../tests/vm/burst.py"
WRITES=${WRITES:-20000}
# shellcheck source-path=SCRIPTDIR source=../tests/wait.bash
. "$(dirname "$0")/../tests/wait.bash"

$W serve $P >"$T/srv" 2>&1 &
wait_for 20 grep -qs ready "$T/srv" || { echo "burst.py serve did not start"; exit 1; }

# start READER: one capture on vsockmon0, listening; its pid in $rd
start() {
	case $1 in
	vsockdump) vsockdump -i vsockmon0 -w "$T/c.pcap" >/dev/null 2>"$T/c.err" & ;;
	vsockdump-old) vsockdump -i vsockmon0 -w "$T/c.pcap" --immediate-mode -s 262144 >/dev/null 2>"$T/c.err" & ;;
	tcpdump) tcpdump -i vsockmon0 -B 32768 -Z root -w "$T/c.pcap" 2>"$T/c.err" & ;;
	esac
	rd=$!
	wait_for 20 grep -qs 'listening on' "$T/c.err"
}
# stop: SIGINT, then the reader's "N packets dropped by kernel" and "received by filter"
stop() {
	kill -INT $rd
	wait $rd
	drop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$T/c.err")
	recv=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$T/c.err")
}
now() { date +%s.%N; }

{
	echo "## Live capture: frames kept without loss (kernel $VSK_KERNEL, $(date -u +%F))"
	echo
	echo "| reader | largest stalled burst kept whole (writes / frames in seconds stopped) | first loss (writes: frames dropped of received) | sustained: $WRITES writes, frames/s | dropped |"
	echo "|---|---|---|---|---|"
} >"$T/results.md"
for r in vsockdump vsockdump-old tcpdump; do
	best="none" lossat="none (up to 512000)"
	for w in 1000 2000 4000 8000 16000 32000 64000 128000 256000 512000; do
		start $r
		kill -STOP $rd
		t0=$(now)
		$W flood $P $w >/dev/null
		t1=$(now)
		kill -CONT $rd
		stop
		if [ "$drop" = 0 ]; then
			best="$w / $recv in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"
		else
			lossat="$w: $drop of $recv"
			break
		fi
	done
	start $r
	t0=$(now)
	$W flood $P "$WRITES" >/dev/null
	t1=$(now)
	stop
	rate=$(awk -v n="$recv" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
	echo "| $r | $best | $lossat | $rate | $drop of $recv |" >>"$T/results.md"
done
cp "$T/results.md" /out/results.md
cat "$T/results.md"
echo "ok 1 - bench ran"
echo "1..1"
