#!/usr/bin/env bash
# bench/vsockcat.sh - bulk throughput over vsock loopback (CID 1), side by side in one VM
# run: vsockcat, socat (default and -b 262144) and ncat.  Every sender gets the same
# BYTES from a file in tmpfs, two ways: through a pipe (`cat FILE | tool`) and as stdin
# itself (`tool < FILE`); every receiver writes to /dev/null.  The time is wall clock
# from the sender's start until both ends exit, best of RUNS.  The feeder's own rate
# (`cat FILE | cat`) is printed too: it must be well above every tool's, or the table
# measures the feeder (`head -c N /dev/zero |` moves only ~15 MiB/s under TCG, which is
# why it is not used).  vsockcat --bench is also run and its own figure set against the
# external timing of the same run.
#
# On the build machine:  [RUNS=3] [MODE=sweep] bench/vsockcat.sh [-k 6.1|6.12] [MIB]
#   (both kernels if no -k; MIB defaults to 256).  MODE=sweep runs only the --buffer-size
#   sweep of vsockcat --bench (no pipes, no other tools: the buffer's own effect).
#   results: build/vm/out/vsockcat-bench-K/results.md, printed at the end.
# Inside the VM it is started by tests/vm/run; never run it on a machine whose own host
# answers on vsock.
set -u
# shellcheck source-path=SCRIPTDIR source=vm-host.bash
. "$(dirname "$0")/vm-host.bash"
kopt=()
if [ "${1:-}" = -k ]; then kopt=(-k "$2"); shift 2; fi
VSK_VM_MEM=${VSK_VM_MEM:-2048} bench_in_vm vsockcat "$0" "${kopt[@]}" "${1:-256}" "${RUNS:-3}" "${MODE:-all}"

export TZ=UTC LC_ALL=C
MIB=${1:-256}
RUNS=${2:-3}
BYTES=$((MIB << 20))
T=$(mktemp -d)
port=7000

# once RECEIVER-CMD SENDER-CMD: one timed transfer; prints milliseconds.  The receiver
# listens on $port; the sender command gets BYTES through $FEED (a pipe or the file).
SRC=$T/src.bin
head -c "$BYTES" /dev/urandom >"$SRC"
once() {
	local recv=$1 send=$2 t0 t1
	bash -c "$recv" >/dev/null 2>"$T/recv.err" &
	local rp=$!
	for _ in $(seq 100); do
		ss --vsock -l -n | grep -q ":$port " && break
		sleep 0.05
	done
	t0=${EPOCHREALTIME/./}
	if [ "$FEED" = pipe ]; then
		cat "$SRC" | bash -c "$send" >"$T/send.out" 2>"$T/send.err"
	else
		bash -c "$send" <"$SRC" >"$T/send.out" 2>"$T/send.err"
	fi
	wait "$rp"
	t1=${EPOCHREALTIME/./}
	echo $(((t1 - t0) / 1000))
}
# best NAME RECV SEND: best of RUNS, in ms; a fresh port per run
best() {
	local b="" ms
	for _ in $(seq "$RUNS"); do
		port=$((port + 1))
		ms=$(once "${2//PORT/$port}" "${3//PORT/$port}")
		if [ -z "$b" ] || [ "$ms" -lt "$b" ]; then b=$ms; fi
	done
	echo "$b"
}
rate() { awk "BEGIN{printf \"%.1f\", $MIB / ($1 / 1000.0)}"; }

# sweep: vsockcat --bench at each buffer size on both ends; best sender MiB/s of RUNS
if [ "${3:-all}" = sweep ]; then
	{
		echo "### --buffer-size sweep with vsockcat --bench, kernel $(uname -r), $MIB MiB, best of $RUNS"
		echo
		echo "| --buffer-size | MiB/s (each run) | best |"
		echo "|---|---|---|"
	} >"$T/results.md"
	for bs in 64K 128K 256K 512K 1M 2M 4M 8M 16M; do
		all="" b=0
		for _ in $(seq "$RUNS"); do
			port=$((port + 1))
			vsockcat -l --bench --buffer-size "$bs" "$port" >/dev/null 2>&1 &
			rp=$!
			for _ in $(seq 100); do ss --vsock -l -n | grep -q ":$port " && break; sleep 0.05; done
			r=$(vsockcat --bench --buffer-size "$bs" --bytes "${MIB}M" local "$port" 2>&1 |
				sed -n 's/.* s: \([0-9.]*\) MiB\/s.*/\1/p')
			wait "$rp"
			all="$all $r"
			b=$(awk "BEGIN{print ($r > $b) ? $r : $b}")
		done
		echo "| $bs |$all | $b |" >>"$T/results.md"
		echo "$bs:$all" >&2
	done
	echo >>"$T/results.md"
	echo "VM: $(nproc) vCPUs, TCG; $(date -u +%F)" >>"$T/results.md"
	cp "$T/results.md" /out/results.md
	exit 0
fi

declare -A ms
row() {
	ms[$FEED $1]=$(best "$1" "$2" "$3")
	echo "| $FEED | $1 | ${ms[$FEED $1]} ms | $(rate "${ms[$FEED $1]}") MiB/s |" >>"$T/rows"
	echo "$FEED $1: ${ms[$FEED $1]} ms, $(rate "${ms[$FEED $1]}") MiB/s" >&2
}

t0=${EPOCHREALTIME/./}
cat "$SRC" | cat >/dev/null
t1=${EPOCHREALTIME/./}
feeder=$(rate $(((t1 - t0) / 1000)))
: >"$T/rows"
for FEED in pipe file; do
	row "vsockcat" "vsockcat -l --recv-only PORT" "vsockcat local PORT"
	row "socat (default)" "socat -u VSOCK-LISTEN:PORT -" "socat -u - VSOCK-CONNECT:1:PORT"
	row "socat -b 262144" "socat -b 262144 -u VSOCK-LISTEN:PORT -" "socat -b 262144 -u - VSOCK-CONNECT:1:PORT"
	row "ncat" "ncat -l --vsock -p PORT --recv-only" "ncat --vsock --send-only 1 PORT"
done

# --bench against an external clock: the sender's own figure and the wall time of it.
port=$((port + 1))
vsockcat -l --bench "$port" >"$T/bench-recv" 2>&1 &
rp=$!
for _ in $(seq 100); do ss --vsock -l -n | grep -q ":$port " && break; sleep 0.05; done
t0=${EPOCHREALTIME/./}
vsockcat --bench --bytes "${MIB}M" local "$port" >"$T/bench-send" 2>&1
t1=${EPOCHREALTIME/./}
wait "$rp"
ext=$(((t1 - t0) / 1000))
own=$(sed -n 's/^sent [0-9]* bytes in \([0-9.]*\) s.*/\1/p' "$T/bench-send")

ratio() {
	local other
	other=$(printf '%s\n' "${ms[$1 socat (default)]}" "${ms[$1 socat -b 262144]}" "${ms[$1 ncat]}" |
		sort -n | head -1)
	awk "BEGIN{printf \"%.2fx\", $other / ${ms[$1 vsockcat]}}"
}
{
	echo "### kernel $(uname -r), $MIB MiB over loopback, best of $RUNS"
	echo
	echo "| stdin | command | time | throughput |"
	echo "|---|---|---|---|"
	cat "$T/rows"
	echo
	echo "feeder alone (cat FILE | cat >/dev/null): $feeder MiB/s"
	echo
	echo "vsockcat vs the best of socat/ncat: $(ratio pipe) with stdin a pipe, $(ratio file) with stdin the file"
	echo
	echo "--bench: $(cat "$T/bench-send"); external wall clock $ext ms ($(awk "BEGIN{printf \"%+.1f%%\", ($own * 1000 - $ext) / $ext * 100}") own vs external)"
	echo "receiver: $(cat "$T/bench-recv")"
	echo
	echo "VM: $(nproc) vCPUs, $(awk '/MemTotal/{print $2}' /proc/meminfo) kB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); $(date -u +%F)"
} >"$T/results.md"
cp "$T/results.md" /out/results.md
