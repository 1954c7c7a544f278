#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/dissector.sh - the cost of the Wireshark plugin: tshark with the vsockkit plugin
# (analysis on, as installed; and with -o vsockkit.analyze:FALSE) against tshark with its
# built-in vsock dissector, on the same COUNT-frame capture (mkcap bulk), summary lines and
# -V.  Each command runs RUNS times (default 3); the best wall and the best CPU time count.  Not a test.
# As root, tshark runs as nobody (root ignores WIRESHARK_PLUGIN_DIR).
# Usage: bench/dissector.sh [COUNT]    (results: bench/out/dissector.md)
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
COUNT=${1:-100000}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
export TZ=UTC LC_ALL=C

so=$(ls "$B"/dissector/plugins/*/epan/vsockkit.so | head -1)
ver=$(basename "$(dirname "$(dirname "$so")")")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/plugins/$ver/epan" "$T/none" "$T/home"
cp "$so" "$T/plugins/$ver/epan/"
f=$T/bulk.pcap
"$B"/tests/mkcap bulk -n "$COUNT" "$f"
chmod -R a+rX "$T"
chmod 0777 "$T/home"
as_user=""
[ "$(id -u)" = 0 ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
with="$as_user env HOME=$T/home WIRESHARK_PLUGIN_DIR=$T/plugins tshark"
without="$as_user env HOME=$T/home WIRESHARK_PLUGIN_DIR=$T/none tshark"

# best CMD: "WALL CPU", the best wall-clock seconds and the best user+sys CPU seconds of
# tshark itself (GNU time, 10 ms precision) over RUNS runs of CMD | cat.  The build machine
# is shared: CPU time is the steadier of the two.
best() {
	local bw="" bc="" t0 t1 w c
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		bash -c "/usr/bin/time -f '%U %S' -o $T/cpu $1 2>/dev/null | cat >/dev/null"
		t1=$(date +%s%N)
		w=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
		c=$(awk '{printf "%.2f", $1 + $2}' "$T/cpu")
		if [ -z "$bw" ] || awk "BEGIN{exit !($w < $bw)}"; then bw=$w; fi
		if [ -z "$bc" ] || awk "BEGIN{exit !($c < $bc)}"; then bc=$c; fi
	done
	echo "$bw $bc"
}
ratio() { awk "BEGIN{printf \"%.2fx\", $1 / ($2 > 0 ? $2 : 0.001)}"; }

# The plugin must be the one decoding, or the numbers mean nothing.
$with -r "$f" -c 1 -V 2>/dev/null | grep -q '^vsock (vsockkit)$' || { echo "bench: plugin not loaded" >&2; exit 1; }
$without -r "$f" -c 1 -V 2>/dev/null | grep -q '^vSocket' || { echo "bench: built-in not used" >&2; exit 1; }

{
echo "| output | frames | built-in wall / CPU | plugin, analysis on | plugin, analysis off | ratio on (wall / CPU) | ratio off (wall / CPU) |"
echo "|---|---|---|---|---|---|---|"
} >"$OUT/dissector.md"
for mode in "" "-V"; do
	read -r bw bc < <(best "$without -r $f $mode")
	read -r pw pc < <(best "$with -r $f $mode")
	read -r ow oc < <(best "$with -r $f $mode -o vsockkit.analyze:FALSE")
	echo "| tshark -r FILE ${mode:-(summary lines)} | $COUNT | ${bw} / ${bc} s | ${pw} / ${pc} s | ${ow} / ${oc} s | $(ratio "$pw" "$bw") / $(ratio "$pc" "$bc") | $(ratio "$ow" "$bw") / $(ratio "$oc" "$bc") |" >>"$OUT/dissector.md"
	echo "tshark ${mode:-summary}: built-in ${bw}s (cpu ${bc}s), plugin ${pw}s (cpu ${pc}s), analysis off ${ow}s (cpu ${oc}s)" >&2
done
lb=$($without -r "$f" -V 2>/dev/null | wc -l) lp=$($with -r "$f" -V 2>/dev/null | wc -l)
{
echo
echo "Machine: $(nproc) cores, $(uname -r); $(tshark --version 2>/dev/null | head -1);"
echo "tshark -V prints $lp lines with the plugin, $lb with the built-in ($(ratio "$lp" "$lb"))."
echo "capture: build/tests/mkcap bulk -n $COUNT (snaplen 65612, $(du -h "$f" | cut -f1)); best of $RUNS runs, ms precision; $(date -u +%F)."
} >>"$OUT/dissector.md"
cat "$OUT/dissector.md"
