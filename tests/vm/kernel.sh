#!/usr/bin/env bash
# tests/vm/kernel.sh - fetches and unpacks a kernel for the test VM, never installing it,
# and prints the folder that holds it.  Usage: tests/vm/kernel.sh KERNEL, KERNEL one of
#
#   6.1          the kernel that linux-image-amd64 depends on
#   6.12         the kernel that linux-image-6.12-amd64 depends on
#   6.1.0-57     a Debian kernel by its package version: linux-image-6.1.0-57-amd64, as
#                apt offers it now (an error lists what apt offers of that series)
#   FILE.deb     a linux-image .deb, downloaded by hand or built with make bindeb-pkg
#   DIR          a kernel developer's own build: a kernel image (DIR/bzImage,
#                DIR/arch/x86/boot/bzImage, DIR/vmlinux or DIR/boot/vmlinuz-*) and a
#                modules tree DIR/lib/modules/RELEASE, as `make modules_install
#                INSTALL_MOD_PATH=DIR` lays it out (an unpacked Debian kernel has the same
#                shape); the kernel config is read from DIR/.config or DIR/boot/config-*
#                when present, to name the option behind a missing module
#
# Everything lives under ${XDG_CACHE_HOME:-~/.cache}/vsockkit, keyed by package version
# (a DIR by its path and the image's size and time):
#   debs/PKG_VERSION_amd64.deb       the download (apt-get download)
#   kernels/PKG_VERSION/root/        dpkg-deb -x of it, with modules.dep made by depmod -b
#                                    (for a DIR: a link to DIR)
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
# (virtio_console: the out-of-band line to tests/vm/vsock-agent.py).  CONFIG_OF names the
# kernel option of each, for the error when a kernel has it neither built in nor as a module.
MODULES=(vsock vmw_vsock_virtio_transport_common vsock_loopback vsock_diag vsockmon
	vhost vhost_iotlb vhost_vsock vmw_vsock_virtio_transport 9p 9pnet 9pnet_virtio virtio_pci
	virtio_console)
declare -A CONFIG_OF=([vsock]=VSOCKETS [vmw_vsock_virtio_transport_common]=VIRTIO_VSOCKETS_COMMON
	[vsock_loopback]=VSOCKETS_LOOPBACK [vsock_diag]=VSOCKETS_DIAG [vsockmon]=VSOCKMON
	[vhost]=VHOST [vhost_iotlb]=VHOST_IOTLB [vhost_vsock]=VHOST_VSOCK
	[vmw_vsock_virtio_transport]=VIRTIO_VSOCKETS [9p]=9P_FS [9pnet]=NET_9P
	[9pnet_virtio]=NET_9P_VIRTIO [virtio_pci]=VIRTIO_PCI [virtio_console]=VIRTIO_CONSOLE)

usage() { echo "usage: $prog 6.1|6.12|VERSION|FILE.deb|DIR" >&2; exit 2; }
[ $# = 1 ] || usage
spec=$1
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

# from_meta SERIES: "PKG VERSION" of the kernel a series' meta package depends on, or of
# the newest cached one when apt cannot say (offline).
from_meta() {
	local r
	series=$1
	case $series in
	6.1) meta=linux-image-amd64 ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	esac
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
	case ${r% *} in
	linux-image-"$series".*) ;;
	*) die "$meta depends on ${r% *}, which is not a $series kernel" ;;
	esac
	echo "$r"
}

# from_version V: "PKG VERSION" of linux-image-V-amd64 as apt offers it.
from_version() {
	local v=$1 pkg ver offered
	pkg=linux-image-$v-amd64
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	if [ -z "$ver" ]; then
		offered=$(apt-cache pkgnames linux-image-"$(echo "$v" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')" \
			2>/dev/null | sed -n 's/^linux-image-\([0-9.]*[-+][0-9a-z]*\)-amd64$/\1/p' |
			sort -V | tr '\n' ' ')
		die "apt offers no $pkg${offered:+ (it offers: $offered)}"
	fi
	echo "$pkg $ver"
}

src_dir=
case $spec in
6.1|6.12) r=$(from_meta "$spec") || exit 1 ;;
[0-9]*.[0-9]*.[0-9]*-[0-9]*|[0-9]*.[0-9]*.[0-9]*+*) r=$(from_version "$spec") || exit 1 ;;
*.deb)
	[ -f "$spec" ] || die "$spec: no such file"
	pkg=$(dpkg-deb -f "$spec" Package 2>/dev/null) && ver=$(dpkg-deb -f "$spec" Version) ||
		die "$spec: not a Debian package"
	case $pkg in linux-image-*) ;; *) die "$spec: package $pkg is not a linux-image" ;; esac
	r="$pkg $ver"
	deb_given=$(readlink -f "$spec")
	;;
*)
	[ -d "$spec" ] || die "$spec: not 6.1, 6.12, a package version (6.1.0-57), a .deb file or a folder"
	src_dir=$(readlink -f "$spec")
	;;
esac

if [ -n "$src_dir" ]; then
	# A developer's build: its one modules tree, and its image.
	rels=$(ls "$src_dir/lib/modules" 2>/dev/null)
	[ -n "$rels" ] || die "$src_dir: no lib/modules/RELEASE (make modules_install INSTALL_MOD_PATH=$src_dir)"
	[ "$(echo "$rels" | wc -l)" = 1 ] ||
		die "$src_dir/lib/modules: several releases ($(echo $rels)); keep one"
	image=
	for f in "$src_dir/bzImage" "$src_dir/arch/x86/boot/bzImage" "$src_dir/boot/vmlinuz-$rels" \
		"$src_dir/vmlinux"; do
		[ -f "$f" ] && { image=$f; break; }
	done
	[ -n "$image" ] || die "$src_dir: no kernel image (bzImage, arch/x86/boot/bzImage, boot/vmlinuz-$rels or vmlinux)"
	[ -s "$src_dir/lib/modules/$rels/modules.dep" ] ||
		die "$src_dir/lib/modules/$rels: no modules.dep (depmod -b $src_dir $rels)"
	key=$(printf '%s %s\n' "$src_dir" "$(stat -c '%s %Y' "$image" "$src_dir/lib/modules/$rels/modules.dep")" |
		cksum | cut -d' ' -f1)
	r="local-$rels $key"
fi
pkg=${r% *} ver=${r#* }
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

deb=${deb_given:-$cache/debs/${pkg}_${ver//:/%3a}_amd64.deb}
if [ -z "$src_dir" ] && [ ! -s "$deb" ]; then
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

if [ ! -e "$dir/complete" ] && [ -n "$src_dir" ]; then
	# A developer's build is used where it is (never changed): root is a link to it.
	rm -rf "$dir" "$dir.new"
	mkdir -p "$dir.new" && ln -s "$src_dir" "$dir.new/root" || die "$dir.new: cannot create"
	echo "$rels" >"$dir.new/release"
	if [ "$(od -An -tx1 -N4 "$image" | tr -d ' ')" = 7f454c46 ]; then
		readelf -n "$image" 2>/dev/null | grep -q 'Xen.*0x00000012' ||
			die "$image: an ELF kernel without the PVH entry note (CONFIG_PVH): give the bzImage"
		cp "$image" "$dir.new/vmlinux" || die "cannot copy $image"
	else
		cp "$image" "$dir.new/bzImage" || die "cannot copy $image"
		if extract_vmlinux "$dir.new/bzImage" "$dir.new/vmlinux.tmp" &&
			readelf -n "$dir.new/vmlinux.tmp" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
			mv "$dir.new/vmlinux.tmp" "$dir.new/vmlinux"
		else
			rm -f "$dir.new/vmlinux.tmp"
		fi
	fi
	echo "$pkg $ver" >"$dir.new/complete"
	mv "$dir.new" "$dir" || die "$dir: cannot rename"
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
# config_says OPT: ": CONFIG_OPT is not set in FILE" (or its value there) when the kernel's
# config is at hand (Debian: boot/config-RELEASE; a build: .config).
config_says() {
	local cfg v
	for cfg in "$dir/root/boot/config-$rel" "$dir/root/.config"; do
		[ -f "$cfg" ] || continue
		v=$(grep -E "^CONFIG_$1=" "$cfg" | head -1)
		echo ": ${v:-CONFIG_$1 is not set} in $(readlink -f "$cfg")"
		return
	done
}
declare -A seen=()
want=()
for m in "${MODULES[@]}"; do
	# Built in?  Then there is nothing to ship.
	if grep -qE "/$m\.ko$" "$src/modules.builtin" 2>/dev/null; then continue; fi
	line=$(grep -E "(^|/)$m\.ko(\.xz|\.zst|\.gz)?:" "$src/modules.dep" | head -1)
	[ -n "$line" ] || die "$rel: module $m (CONFIG_${CONFIG_OF[$m]}) is neither built in nor in modules.dep$(config_says "${CONFIG_OF[$m]}")"
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
