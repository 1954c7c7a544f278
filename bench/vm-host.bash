# shellcheck shell=bash
# bench/vm-host.bash - the build machine's half of a benchmark that runs in the test VM
# (sourced by bench/vsockcat.sh and bench/capture.sh before anything else).  Outside the
# VM, `bench_in_vm NAME SCRIPT [-k 6.1|6.12] [ARG...]` runs `bash SCRIPT ARG...` in the VM
# on each kernel (both without -k), its /out in build/vm/out/NAME-bench-K/, prints that
# folder's results.md and exits; inside the VM it returns and the script goes on.
# VSK_VM_MEM and other tests/vm/run settings pass through the environment.
bench_in_vm() {
	local name=$1 script=$2 kernels=(6.1 6.12) k out
	shift 2
	[ -e /etc/vsockkit-vm ] && return 0
	cd "$(dirname "$script")/.." || exit 1
	if [ "${1:-}" = -k ]; then kernels=("$2"); shift 2; fi
	for k in "${kernels[@]}"; do
		out=build/vm/out/$name-bench-$k
		rm -rf "$out"
		mkdir -p "$out"
		VSK_VM_OUT=$out tests/vm/run -k "$k" -t 1800 "bench/${script##*/}" "$@" >"$out/log" 2>&1 ||
			{ echo "${script##*/}: VM run on $k failed" >&2; exit 1; }
		cat "$out/results.md"
	done
	exit 0
}
