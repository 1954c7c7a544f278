#!/usr/bin/env bash
# tests/cli/vm-kernels.sh - tests/vm/run -k takes any kernel, not only the two series: a
# Debian kernel by its package version (the one apt offers now for 6.1, never a pinned
# one), a linux-image .deb file, and a kernel developer's build folder (bzImage and a
# `make modules_install INSTALL_MOD_PATH=` tree; CI cannot build a kernel, so the folder
# is an unpacked Debian 6.12 kernel, which has the same shape).  Each boots and loads the
# vsock modules (tests/vm/kernel-probe.sh).  A kernel without a module the VM needs fails
# before booting, naming the module and its config option.  TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. tests/tap.bash
R=tests/vm/run
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vsockkit

# the kernels as the series resolve them now ("linux-image-6.1.0-57-amd64_6.1.192-3")
k61=$(tests/vm/kernel.sh 6.1) && k612=$(tests/vm/kernel.sh 6.12)
ok $? "tests/vm/kernel.sh resolves 6.1 and 6.12" || exit 1
pkg61=$(basename "$k61")
pkg61=${pkg61%%_*}
ver61=${pkg61#linux-image-}
ver61=${ver61%-amd64}
rel61=$(cat "$k61/release") rel612=$(cat "$k612/release")

# boot KERNEL RELEASE DESC: the VM boots KERNEL and kernel-probe.sh passes in it
boot() {
	local spec=$1 rel=$2 desc=$3 rc
	$R -k "$spec" -t 240 tests/vm/kernel-probe.sh "$rel" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] && grep -q "^ok 1 - uname -r is $rel " "$T/out" &&
		[ "$(grep -c '^ok ' "$T/out")" = 6 ]
	ok $? "-k $desc: boots $rel and loads the vsock modules (status $rc)" ||
		{ diag <"$T/out"; diag <"$T/err"; }
}
boot "$ver61" "$rel61" "$ver61 (a package version apt offers)"
deb=$(ls "$cache"/debs/"${pkg61}"_*_amd64.deb 2>/dev/null | head -1)
[ -f "$deb" ]; ok $? "the 6.1 package is cached as a .deb ($deb)"
boot "$deb" "$rel61" "FILE.deb"
boot "$k612/root" "$rel612" "DIR (an unpacked kernel laid out as modules_install leaves it)"

# A kernel that lacks vsock_diag: a build folder whose modules tree has no vsock_diag and
# whose .config says so.  It fails before QEMU starts, naming module and option.  Its own
# cache, so that each run's folder does not stay behind.
fake=$T/build
mkdir -p "$fake/lib/modules/$rel612"
ln -s "$k612/bzImage" "$fake/bzImage"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	cp "$k612/root/lib/modules/$rel612/$f" "$fake/lib/modules/$rel612/" 2>/dev/null
done
grep -v '/vsock_diag\.ko' "$k612/root/lib/modules/$rel612/modules.dep" >"$fake/lib/modules/$rel612/modules.dep"
sed 's/^CONFIG_VSOCKETS_DIAG=.*/# CONFIG_VSOCKETS_DIAG is not set/' "$k612/root/boot/config-$rel612" >"$fake/.config"
XDG_CACHE_HOME=$T/cache $R -k "$fake" tests/vm/kernel-probe.sh "$rel612" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 126 ] && grep -q "module vsock_diag (CONFIG_VSOCKETS_DIAG) is neither built in nor in modules.dep: CONFIG_VSOCKETS_DIAG is not set in $fake/.config" "$T/err" &&
	[ ! -s "$T/out" ]
ok $? "a kernel without vsock_diag: status 126, the module and CONFIG_VSOCKETS_DIAG named (got $rc)" ||
	diag <"$T/err"

# what -k refuses
$R -k 6.1.0-999999 tests/vm/kernel-probe.sh x >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 126 ] && grep -q "apt offers no linux-image-6.1.0-999999-amd64 (it offers: .*$ver61" "$T/err"
ok $? "-k a version apt does not offer: status 126, what apt offers listed (got $rc)" || diag <"$T/err"
$R -k "$T/none.deb" tests/vm/kernel-probe.sh x >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 126 ] && grep -q "$T/none.deb: no such file" "$T/err"
ok $? "-k a .deb that is not there: status 126 (got $rc)" || diag <"$T/err"
$R -k "$T" tests/vm/kernel-probe.sh x >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 126 ] && grep -q "no lib/modules/RELEASE" "$T/err"
ok $? "-k a folder without a modules tree: status 126, says what is missing (got $rc)" ||
	diag <"$T/err"
echo "1..$n"
exit "$failed"
