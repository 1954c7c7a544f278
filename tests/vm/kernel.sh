#!/usr/bin/env bash
# tests/vm/kernel.sh - fetches and unpacks a Debian kernel for the test VM, never installing
# it, and prints the folder that holds it.  Usage: tests/vm/kernel.sh 6.1|6.12
#
#   6.1    the kernel that linux-image-amd64 depends on
#   6.12   the kernel that linux-image-6.12-amd64 depends on
#
# Everything lives under ${XDG_CACHE_HOME:-~/.cache}/vsockkit, keyed by package version:
#   debs/PKG_VERSION_amd64.deb       the download (apt-get download)
#   kernels/PKG_VERSION/root/        dpkg-deb -x of it, with modules.dep made by depmod -b
#   kernels/PKG_VERSION/vmlinux      the ELF kernel cut out of the bzImage, for PVH boot
#   kernels/PKG_VERSION/bzImage      the kernel as shipped (fallback when vmlinux is absent)
#   kernels/PKG_VERSION/release      the kernel release (uname -r)
#   kernels/PKG_VERSION/modules-*.cpio   the modules the VM needs, uncompressed, own modules.dep
# A folder is used only once its "complete" marker exists.  When apt cannot resolve the
# package (no lists, no network) the newest complete folder of that series is used.
set -u
prog=kernel.sh
die() { echo "$prog: $*" >&2; exit 1; }

# The modules the VM loads or may load, with their dependencies added from modules.dep:
# vsock core and loopback, diag, the monitor device, vhost for later tests, the guest
# driver (vmw_vsock_virtio_transport, for a vsock device such as vsockdev), and 9p over
# virtio (virtio_pci is a module on 6.1, built in on 6.12), and virtio-serial
# (virtio_console: the out-of-band line to tests/vm/vsock-agent.py).
MODULES=(vsock vmw_vsock_virtio_transport_common vsock_loopback vsock_diag vsockmon
	vhost vhost_iotlb vhost_vsock vmw_vsock_virtio_transport 9p 9pnet 9pnet_virtio virtio_pci
	virtio_console)

[ $# = 1 ] || { echo "usage: $prog 6.1|6.12" >&2; exit 2; }
series=$1
case $series in
6.1) meta=linux-image-amd64 ;;
6.12) meta=linux-image-6.12-amd64 ;;
*) echo "usage: $prog 6.1|6.12" >&2; exit 2 ;;
esac
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vsockkit
mkdir -p "$cache/debs" "$cache/kernels" || die "$cache: cannot create"

# resolve: prints "PKG VERSION" for the kernel image package the meta package depends on.
# apt-cache takes a second or two, so the answer is kept until apt's lists change.
resolve() {
	local pkg ver key memo=$cache/kernels/resolved-$series
	key=$(stat -c %Y /var/lib/apt/lists 2>/dev/null)
	if [ -n "$key" ] && [ -s "$memo" ] && [ "$(sed -n 1p "$memo")" = "$key" ]; then
		sed -n 2p "$memo"
		return 0
	fi
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	[ -n "$ver" ] || return 1
	[ -n "$key" ] && printf '%s\n%s\n' "$key" "$pkg $ver" >"$memo"
	echo "$pkg $ver"
}

if ! r=$(resolve) && [ "$(id -u)" = 0 ]; then
	echo "$prog: apt knows no $meta; running apt-get update" >&2
	apt-get update -qq >/dev/null 2>&1 || true
	r=$(resolve) || r=
fi
if [ -z "${r:-}" ]; then
	# Offline: the newest complete unpack of this series, if any.
	r=$(for d in "$cache"/kernels/linux-image-"$series".*/complete; do
		[ -e "$d" ] && cat "$d"
	done | sort -V | tail -1)
	[ -n "$r" ] || die "apt-cache cannot resolve $meta and nothing is cached; run apt-get update"
	echo "$prog: apt-cache cannot resolve $meta; using cached ${r% *}" >&2
fi
pkg=${r% *} ver=${r#* }
case $pkg in
linux-image-"$series".*) ;;
*) die "$meta depends on $pkg, which is not a $series kernel" ;;
esac
dir=$cache/kernels/${pkg}_$ver
modlist_key=$(printf '%s\n' "${MODULES[@]}" | cksum | cut -d' ' -f1)
modcpio=$dir/modules-$modlist_key.cpio
if [ -e "$dir/complete" ] && [ -e "$modcpio" ]; then
	echo "$dir"
	exit 0
fi

# Serialise concurrent callers; whoever gets the lock second finds the work done.
exec 9>"$cache/kernels/.lock"
flock -w 600 9 || die "$cache/kernels/.lock: busy for 10 minutes"
if [ -e "$dir/complete" ] && [ -e "$modcpio" ]; then
	echo "$dir"
	exit 0
fi

# extract_vmlinux BZIMAGE OUT: cut the compressed payload out of the bzImage using the
# boot protocol header (setup_sects at 0x1f1, payload_offset/payload_length at 0x248,
# protocol 2.08+) and decompress it.  The kernel build appends the uncompressed size (4
# bytes) after xz and zstd payloads, so those are cut off first.  Any other format fails.
extract_vmlinux() {
	local bz=$1 out=$2 setup proto off len start magic
	setup=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	proto=$(od -An -tu2 -j $((0x206)) -N2 "$bz" | tr -d ' ')
	read -r off len < <(od -An -tu4 -j $((0x248)) -N8 "$bz")
	[ -n "$setup" ] && [ -n "$proto" ] && [ -n "$len" ] || { echo "$bz: short file" >&2; return 1; }
	[ "$proto" -ge $((0x208)) ] || { echo "$bz: boot protocol $proto too old" >&2; return 1; }
	[ "$setup" = 0 ] && setup=4
	start=$(((setup + 1) * 512 + off))
	magic=$(od -An -tx1 -j "$start" -N6 "$bz" | tr -d ' ')
	case $magic in
	fd377a585a00) tail -c +$((start + 1)) "$bz" | head -c $((len - 4)) | xz -dc >"$out" ;;
	28b52ffd*) tail -c +$((start + 1)) "$bz" | head -c $((len - 4)) | zstd -dcq >"$out" ;;
	1f8b*) tail -c +$((start + 1)) "$bz" | head -c "$len" | gzip -dc >"$out" 2>/dev/null ;;
	*) echo "$bz: unknown compressed payload (magic $magic): not xz, zstd or gzip" >&2; return 1 ;;
	esac || { echo "$bz: payload does not decompress" >&2; return 1; }
	[ "$(od -An -tx1 -N4 "$out" | tr -d ' ')" = 7f454c46 ] ||
		{ echo "$bz: payload is not an ELF file" >&2; return 1; }
}

deb=$cache/debs/${pkg}_${ver//:/%3a}_amd64.deb
if [ ! -s "$deb" ]; then
	echo "$prog: downloading $pkg $ver" >&2
	tmp=$(mktemp -d "$cache/debs/.dl.XXXXXX") || die "mktemp failed"
	# apt's _apt sandbox user must be able to write here.
	chmod 0777 "$tmp"
	(cd "$tmp" && apt-get download -q "$pkg=$ver" >download.log 2>&1) ||
		{ cat "$tmp/download.log" >&2; rm -rf "$tmp"; die "apt-get download $pkg=$ver failed"; }
	got=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
	[ -n "$got" ] || { rm -rf "$tmp"; die "apt-get download left no .deb"; }
	mv "$got" "$deb" && rm -rf "$tmp" || die "$deb: cannot store"
fi

if [ ! -e "$dir/complete" ]; then
	echo "$prog: unpacking $pkg $ver" >&2
	rm -rf "$dir" "$dir.new"
	mkdir -p "$dir.new" || die "$dir.new: cannot create"
	dpkg-deb -x "$deb" "$dir.new/root" || die "$deb: dpkg-deb -x failed"
	rel=$(ls "$dir.new/root/lib/modules" | head -1)
	[ -n "$rel" ] && [ -e "$dir.new/root/boot/vmlinuz-$rel" ] || die "$deb: no kernel inside"
	echo "$rel" >"$dir.new/release"
	cp "$dir.new/root/boot/vmlinuz-$rel" "$dir.new/bzImage" || die "cannot copy bzImage"
	# modules.dep is not shipped in the .deb.
	depmod -b "$dir.new/root" "$rel" || die "depmod -b failed for $rel"
	if extract_vmlinux "$dir.new/bzImage" "$dir.new/vmlinux.tmp"; then
		# QEMU boots an ELF kernel through PVH only if it carries the PVH entry note
		# (XEN_ELFNOTE_PHYS32_ENTRY, type 18).
		if readelf -n "$dir.new/vmlinux.tmp" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
			mv "$dir.new/vmlinux.tmp" "$dir.new/vmlinux"
		else
			echo "$prog: $rel has no PVH entry note; the VM boots the bzImage" >&2
			rm -f "$dir.new/vmlinux.tmp"
		fi
	else
		die "cannot extract vmlinux from the $rel bzImage (see above)"
	fi
	echo "$pkg $ver" >"$dir.new/complete"
	mv "$dir.new" "$dir" || die "$dir: cannot rename"
fi

# The modules the VM needs, with their dependencies, decompressed, in a tree of their own
# with its own modules.dep (names change when .ko.xz becomes .ko), packed as a cpio that
# the runner appends to the initramfs.
rel=$(cat "$dir/release")
src=$dir/root/lib/modules/$rel
stage=$(mktemp -d "$dir/.stage.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$stage"' EXIT
# usr-merged like the initramfs it joins: lib is a link to usr/lib; only usr/ is packed.
dst=$stage/usr/lib/modules/$rel
mkdir -p "$dst" && ln -s usr/lib "$stage/lib" || die "$stage: cannot create"
declare -A seen=()
want=()
for m in "${MODULES[@]}"; do
	# Built in?  Then there is nothing to ship.
	if grep -qE "/$m\.ko$" "$src/modules.builtin" 2>/dev/null; then continue; fi
	line=$(grep -E "(^|/)$m\.ko(\.xz|\.zst|\.gz)?:" "$src/modules.dep" | head -1)
	[ -n "$line" ] || die "$rel: module $m is neither built in nor in modules.dep"
	for f in ${line%%:*} ${line#*:}; do
		[ -n "${seen[$f]:-}" ] && continue
		seen[$f]=1
		want+=("$f")
	done
done
for f in "${want[@]}"; do
	out=$dst/${f%.xz}
	out=${out%.zst}
	out=${out%.gz}
	mkdir -p "$(dirname "$out")"
	case $f in
	*.ko) cp "$src/$f" "$out" ;;
	*.ko.xz) xz -dc "$src/$f" >"$out" ;;
	*.ko.zst) zstd -dcq "$src/$f" >"$out" ;;
	*.ko.gz) gzip -dc "$src/$f" >"$out" ;;
	*) false ;;
	esac || die "$src/$f: cannot decompress"
done
cp "$src/modules.builtin" "$src/modules.builtin.modinfo" "$src/modules.order" "$dst/" 2>/dev/null
depmod -b "$stage" "$rel" || die "depmod -b failed on the module subset"
(cd "$stage" && find usr | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$modcpio.tmp" ||
	die "$modcpio: cpio failed"
mv "$modcpio.tmp" "$modcpio"
echo "$dir"
