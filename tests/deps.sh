#!/usr/bin/env bash
# tests/deps.sh - installs the Debian packages the build and the tests need: directly as
# root, otherwise through sudo, otherwise prints the exact apt-get line and fails.
set -u
pkgs=(build-essential libpcap-dev tcpdump tshark mandoc python3 python3-junitparser libxml2-utils clang libclang-rt-14-dev time
	qemu-system-x86 busybox-static cpio kmod iproute2 socat ncat xz-utils zstd
	pkg-config libnl-3-dev libncurses-dev tmux libwireshark-dev libglib2.0-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ]; then
	run=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	run=(sudo -E)
else
	echo "deps: missing Debian packages; as root run: apt-get update && $line" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	"${run[@]}" debconf-set-selections 2>/dev/null || true
"${run[@]}" apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
"${run[@]}" $line >/tmp/vsockkit-deps.log 2>&1 || {
	tail -20 /tmp/vsockkit-deps.log >&2
	echo "deps: '$line' failed" >&2
	exit 1
}
