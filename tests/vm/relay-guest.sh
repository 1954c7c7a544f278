# shellcheck shell=bash
# tests/vm/relay-guest.sh - the guest half of tests/cli/vsockdev-relay.sh (not a test-*.sh:
# it needs vsockdev --relay and the host's relay client running on the build machine).
# The VM's vsock device is vsockdev in relay mode; this loads the guest driver and
# virtio-serial, and runs tests/vm/vsock-agent.py on the port "vskagent" so the host can
# make the guest's sockets act.  The host says when it is done (/out/host-done).
. "$(dirname "$0")/lib.sh"

modprobe -a vmw_vsock_virtio_transport virtio_console
ok $? "modprobe vmw_vsock_virtio_transport virtio_console"
wait_for 30 test -c /dev/vsock
ok $? "/dev/vsock is there"
wait_for 30 grep -qx vskagent /sys/class/virtio-ports/vport*/name
ok $? "the virtio-serial port vskagent is there"
python3 "$VSK_SRC/tests/vm/vsock-agent.py" vskagent 2>"$T/agent.err" &
agent=$!
touch /out/ready
wait_for 600 test -e /out/host-done
ok $? "the host finished"
kill -0 "$agent"
ok $? "the agent is still running"
kill "$agent"
wait "$agent" 2>/dev/null
diag "$T/agent.err"
touch /out/done
finish
