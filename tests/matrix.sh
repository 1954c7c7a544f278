#!/usr/bin/env bash
# tests/matrix.sh [KERNEL...] - the conformance matrix (make matrix; docs/conformance.md):
# for each kernel, one VM at a time, the vhost target with its capture checks
# (tests/vm/test-conformance.sh) and the guest target (tests/cli/conformance-guest.sh),
# then one table per target, case by kernel, marking each case whose verdict or observed
# behaviour changed from the kernel before (tests/matrix-table.py).  KERNEL is anything
# tests/vm/run -k takes; by default every linux-image-6.1.0-N-amd64 and
# linux-image-6.12.N+deb12-amd64 that apt offers now.  A long run (minutes per kernel
# under TCG): not part of make check.
#
# Output in VSK_MATRIX_OUT (default build/matrix): KERNEL/vhost/ (the VM's /out: report,
# capture, TAP, JUnit), KERNEL/guest/ (report, capture, TAP), KERNEL/changelog.gz
# (a Debian kernel's changelog: the upstream commit subjects that explain a change),
# KERNEL/*.log, and matrix.md.  Exit status 0 when every kernel gave both reports.
set -u
cd "$(dirname "$0")/.." || exit 1
out=${VSK_MATRIX_OUT:-build/matrix}
kernels=("$@")
if [ ${#kernels[@]} = 0 ]; then
	mapfile -t kernels < <(apt-cache pkgnames linux-image-6. 2>/dev/null |
		sed -n 's/^linux-image-\(6\.1\.0-[0-9]*\|6\.12\.[0-9]*+deb12\)-amd64$/\1/p' | sort -V)
	[ ${#kernels[@]} -gt 0 ] || { echo "matrix: apt offers no 6.1 or 6.12 kernel (apt-get update?)" >&2; exit 1; }
fi
mkdir -p "$out" || exit 1
echo "matrix: ${#kernels[@]} kernels: ${kernels[*]}" >&2
t0=$SECONDS bad=0 i=0
for k in "${kernels[@]}"; do
	i=$((i + 1))
	kd=$out/$k
	rm -rf "$kd" && mkdir -p "$kd/vhost" || exit 1
	kdir=$(tests/vm/kernel.sh "$k" 2>"$kd/kernel.log") || {
		echo "matrix: [$i/${#kernels[@]}] $k: no kernel (see $kd/kernel.log)" >&2
		bad=1
		continue
	}
	# the package's changelog: Debian's entries, each with the upstream commit subjects
	cl=$(ls "$kdir"/root/usr/share/doc/linux-image-*/changelog*.gz 2>/dev/null | head -1)
	[ -n "$cl" ] && cp "$cl" "$kd/changelog.gz"
	s=$SECONDS
	tests/vm/run -k "$k" -t 900 -o "$kd/vhost" tests/vm/test-conformance.sh \
		>"$kd/vhost.log" 2>&1
	echo "matrix: [$i/${#kernels[@]}] $k: vhost $((SECONDS - s)) s (status $?)" >&2
	s=$SECONDS
	VSK_KERNELS=$k VSK_CONF_OUT=$out/.guest bash tests/cli/conformance-guest.sh \
		>"$kd/guest.log" 2>&1
	echo "matrix: [$i/${#kernels[@]}] $k: guest $((SECONDS - s)) s (status $?)" >&2
	rm -rf "$kd/guest"
	mv "$out/.guest/$k" "$kd/guest" 2>/dev/null
	for f in "$kd/vhost/conformance-vhost.json" "$kd/guest/run.json"; do
		[ -s "$f" ] || { echo "matrix: $k: no $f" >&2; bad=1; }
	done
done
rmdir "$out/.guest" 2>/dev/null
python3 tests/matrix-table.py "$out" "${kernels[@]}" >"$out/matrix.md" ||
	{ echo "matrix: the table failed" >&2; exit 1; }
echo "matrix: $out/matrix.md, ${#kernels[@]} kernels in $((SECONDS - t0)) s" >&2
exit "$bad"
