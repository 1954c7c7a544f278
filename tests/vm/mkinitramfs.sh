#!/usr/bin/env bash
# tests/vm/mkinitramfs.sh - builds the userland half of the test VM's initramfs (an
# uncompressed newc cpio): busybox-static, bash, the project's freshly built tools, the
# reference tools (tcpdump, ss and ip from iproute2, socat, ncat, kmod, a python3 cut down
# to the modules the VM tests use), every shared library ldd names for them, and
# tests/vm/init as /init.  The kernel's modules are the other half (tests/vm/kernel.sh);
# the runner appends one to the other.
#
# Usage: tests/vm/mkinitramfs.sh OUT.cpio
# Rebuilds only when an input changed (size or mtime of any file that goes in, recorded
# in OUT.cpio.manifest).  Environment: VSK_BUILD, the build folder (default build/).
set -u
prog=mkinitramfs.sh
die() { echo "$prog: $*" >&2; exit 1; }
[ $# = 1 ] || { echo "usage: $prog OUT.cpio" >&2; exit 2; }
case $1 in /*) out=$1 ;; *) out=$PWD/$1 ;; esac
here=$(cd "$(dirname "$0")" && pwd) || exit 1
root=$(cd "$here/../.." && pwd) || exit 1
B=${VSK_BUILD:-$root/build}

# Reference tools, found on the host (tests/deps.sh installs their packages).
TOOLS=(bash tcpdump ip ss socat ncat kmod python3 tmux)
# Python modules the guest scripts may import (tests/golden/tcpdump-agree.py and the VM
# tests' own helpers); only these and what they pull in are copied.
PY_MODULES=json,re,datetime,_strptime,struct,hashlib,os,sys,subprocess,argparse,time,collections,binascii,zlib,signal,select,errno,io,math,socket,fcntl
BUSYBOX=/bin/busybox

[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (Debian package busybox-static)"

declare -A src=()   # guest path -> host file
declare -A link=()  # guest path -> link target
elves=()            # host ELF files whose libraries go in too

add() { src[$1]=$2; }   # add GUEST_PATH HOST_FILE

# Reference tools keep their host path, so ss and ip land in the same folders as on Debian.
for t in "${TOOLS[@]}"; do
	p=$(command -v "$t") || die "$t not found (see tests/deps.sh)"
	case $t in
	python3) p=/usr/bin/python3 ;;   # Debian's, never a pyenv shim on PATH
	esac
	f=$(readlink -f "$p")
	[ -f "$f" ] || die "$p: not a file"
	add "$f" "$f"
	[ "$f" != "$p" ] && link[$p]=$f
	elves+=("$f")
done
add /usr/bin/busybox "$BUSYBOX"
elves+=("$BUSYBOX")   # static (busybox-static) has no libraries; a dynamic one brings its own

# The project's tools: every executable ELF file at the top of the build folder.
project=()
for f in "$B"/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	[ "$(head -c4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
	add "/usr/local/bin/${f##*/}" "$f"
	elves+=("$f")
	project+=("${f##*/}")
done
[ ${#project[@]} -gt 0 ] || die "$B holds no built tool; run make all first"

# python3: the modules it loads for PY_MODULES, with their bytecode, and all of encodings.
pylist=$(env -i /usr/bin/python3 -c "
import sys, $PY_MODULES
for m in list(sys.modules.values()):
    f = getattr(m, '__file__', None)
    if f and f.startswith(sys.prefix + '/lib/python3.'):
        print(f)") || die "/usr/bin/python3 cannot import $PY_MODULES"
pylib=$(env -i /usr/bin/python3 -c 'import os; print(os.path.dirname(os.__file__))')
while read -r f; do
	[ -n "$f" ] || continue
	add "$f" "$(readlink -f "$f")"
	case $f in
	*.so) elves+=("$f") ;;
	*.py)
		d=$(dirname "$f") b=$(basename "$f" .py)
		for c in "$d"/__pycache__/"$b".cpython-*.pyc; do [ -f "$c" ] && add "$c" "$c"; done ;;
	esac
done < <(printf '%s\n' "$pylist"; find "$pylib/encodings" -name '*.py' -o -name '*.pyc')

# Shared libraries, as ldd names them (the dynamic loader included).
while read -r l; do
	add "$l" "$(readlink -f "$l")"
done < <(ldd "${elves[@]}" 2>/dev/null |
	sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | LC_ALL=C sort -u)

# tmux (the live-view test) and the curses programs it runs need the terminfo entries of
# tmux's terminal (tmux-256color by default, "screen" for older ones); Debian keeps them in
# /lib/terminfo (ncurses-base).
for f in /lib/terminfo/t/tmux-256color /lib/terminfo/s/screen /lib/terminfo/s/screen-256color \
	/lib/terminfo/d/dumb; do
	[ -f "$f" ] || die "$f missing (Debian package ncurses-base)"
	add "/usr$f" "$f"
done
# tmux refuses to start without a UTF-8 locale; it tries C.UTF-8 itself (libc-bin).
[ -f /usr/lib/locale/C.utf8/LC_CTYPE ] || die "/usr/lib/locale/C.utf8 missing (Debian package libc-bin)"
while read -r f; do add "$f" "$f"; done < <(find /usr/lib/locale/C.utf8 -type f)

add /init "$here/init"
files=("${!src[@]}")
manifest=$(
	hosts=()
	for g in "${files[@]}"; do hosts+=("${src[$g]}"); done
	paste -d' ' <(printf '%s\n' "${files[@]}") <(stat -L -c '%s %Y' "${hosts[@]}") | LC_ALL=C sort
	for g in "${!link[@]}"; do echo "$g -> ${link[$g]}"; done | LC_ALL=C sort
	stat -c 'mkinitramfs.sh %s %Y' "$0"
)
if [ -s "$out" ] && [ "$manifest" = "$(cat "$out.manifest" 2>/dev/null)" ]; then
	exit 0
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/vsk-initramfs.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$stage"' EXIT
cd "$stage" || exit 1
# Debian is usr-merged: /bin, /sbin, /lib, /lib64 are links into /usr.
mkdir -p usr/bin usr/sbin usr/lib usr/lib64 usr/local/bin etc root proc sys dev tmp run \
	src out var/tmp || die "mkdir failed"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$d"; done
for g in "${files[@]}"; do
	h=${src[$g]}
	t=.$g
	mkdir -p "$(dirname "$t")" || die "mkdir for $g failed"
	cp -L --preserve=mode "$h" "$t" || die "cannot copy $h"
done
for g in "${!link[@]}"; do
	mkdir -p "$(dirname ".$g")" && ln -sf "${link[$g]}" ".$g" || die "cannot link $g"
done

# kmod's personalities; busybox applets for every name nothing else provides.  sh is bash:
# busybox's sh would run its own ip applet whatever PATH says.
for k in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf ../bin/kmod "usr/sbin/$k"; done
ln -sf bash usr/bin/sh
for a in $("$BUSYBOX" --list); do
	case $a in busybox|sh|ash|linuxrc|init) continue ;; esac
	[ -e "usr/bin/$a" ] || [ -e "usr/sbin/$a" ] || [ -e "usr/local/bin/$a" ] || [ -L "usr/bin/$a" ] ||
		ln -s busybox "usr/bin/$a"
done

# Debian's tcpdump drops privileges to user tcpdump after opening the device.
cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/bash
tcpdump:x:100:101:tcpdump:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >etc/group <<'EOF'
root:x:0:
tcpdump:x:101:
nogroup:x:65534:
EOF
echo vsockkit-vm >etc/hostname
# The VM scripts refuse to run where this file is missing (tests/vm/lib.sh).
echo "vsockkit test VM: tests/vm/run" >etc/vsockkit-vm
for f in /etc/protocols /etc/services; do [ -f "$f" ] && cp "$f" etc/; done
printf '%s\n' "${project[@]}" >etc/vsockkit-tools
chmod 0755 init
chmod 1777 tmp var/tmp

find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$out.tmp" ||
	die "cpio failed"
mv "$out.tmp" "$out" || die "$out: cannot write"
printf '%s\n' "$manifest" >"$out.manifest"
echo "$prog: $out: $(du -m "$out" | cut -f1) MiB, tools: ${project[*]}" >&2
