#!/usr/bin/env bash
# bench/run.sh - decoding speed of vsockdump against tcpdump and tshark on the same
# 1,000,000-frame captures, in one run.  Output goes to a pipe, TZ=UTC for all (without
# TZ glibc makes tcpdump stat /etc/localtime for every packet: we compare against its
# honest best).  Each command runs RUNS times (default 5); the best wall time counts.
# vsockdump runs twice: as users run it (flow analysis on) and with --no-analysis.
# Usage: bench/run.sh [COUNT]      (results: bench/out/results.md)
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
COUNT=${1:-1000000}
RUNS=${RUNS:-5}
OUT=bench/out
mkdir -p "$OUT"
export TZ=UTC LC_ALL=C

# best_wall CMD: the best wall-clock seconds (ms precision) of RUNS runs of CMD | cat.
best_wall() {
	local best="" t0 t1 t
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		bash -c "$1 | cat >/dev/null"
		t1=$(date +%s%N)
		t=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
	done
	echo "$best"
}

{
echo "| capture | frames | vsockdump -v | vsockdump -v --no-analysis | tcpdump -nn -v | tshark | vsockdump vs tcpdump | --no-analysis vs tcpdump | vsockdump vs tshark | analysis cost |"
echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$OUT/results.md"

for snap in 128 65612; do
	f=$OUT/bulk-$snap.pcap
	[ -s "$f" ] || "$B"/tests/mkcap bulk -n "$COUNT" -s "$snap" "$f"
	size=$(du -h "$f" | cut -f1)
	v=$(best_wall "$B/vsockdump -r $f -v")
	d=$(best_wall "$B/vsockdump -r $f -v --no-analysis")
	t=$(best_wall "tcpdump -r $f -nn -v 2>/dev/null")
	s=$(RUNS=1 best_wall "tshark -r $f 2>/dev/null")
	ratio() { awk "BEGIN{printf \"%.1fx\", $1 / ($2 > 0 ? $2 : 0.01)}"; }
	rt=$(ratio "$t" "$v") rd=$(ratio "$t" "$d") rs=$(ratio "$s" "$v") ra=$(awk "BEGIN{printf \"%.2fx\", $v / ($d > 0 ? $d : 0.01)}")
	echo "| snaplen $snap ($size) | $COUNT | ${v} s | ${d} s | ${t} s | ${s} s | $rt | $rd | $rs | $ra |" >>"$OUT/results.md"
	echo "snaplen $snap: vsockdump ${v}s (decode only ${d}s) tcpdump ${t}s tshark ${s}s -> $rt ($rd) faster than tcpdump, $rs than tshark, analysis $ra" >&2
done
{
echo
echo "Machine: $(nproc) cores, $(uname -r); $(tcpdump --version 2>&1 | head -1);"
echo "$(tshark --version 2>/dev/null | head -1); best of $RUNS runs (tshark: 1), ms precision; $(date -u +%F)."
} >>"$OUT/results.md"
cat "$OUT/results.md"
