#!/usr/bin/env bash
# tests/vm/kernel-probe.sh RELEASE - runs inside the test VM (tests/vm/run -k KERNEL), for
# tests/cli/vm-kernels.sh: the VM booted the kernel it was given and has the modules the
# other VM tests load.  Not a test-*.sh: it needs the release as its argument.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
want=${1:-}
[ "$(uname -r)" = "$want" ]
ok $? "uname -r is $(uname -r) (given $want)"
for m in vsock_loopback vsock_diag vsockmon vhost_vsock vmw_vsock_virtio_transport; do
	modprobe "$m" 2>"$T/err"
	ok $? "modprobe $m" || diag "$T/err"
done
finish
