# shellcheck shell=bash
# tests/vm/vsockdev-guest.sh - the guest half of tests/cli/vsockdev.sh (not a test-*.sh: it
# needs vsockdev and vsockcat --uds running on the build machine, which the host test
# starts).  The VM's vsock device is vsockdev (vhost-user-vsock-pci); this loads the guest
# driver, and talks to the host only through it (CID 2).  Facts go to /out for the host
# to judge; TAP lines here cover what only the guest can see.
#
# Protocol with the host (files in /out):
#   cid                  the CID the guest driver read from the device
#   g.sha                sha256 of the 16 MiB the guest sends on port 5001
#   ready                listeners on 5001 (bulk, both ways), 5002 (tr a-z A-Z) and 5003
#                        (-k, echo) are up, the services of vsock-conformance
#                        --target hybrid=...,port=5100 (man/vsock-conformance.1): 5100
#                        echo (at the default buffer size), 5101 sink, 5102 report, 5103
#                        dial, and 5010 (socat) and 5011 (vsockcat --buffer-size 262144)
#   host-done            (written by the host) its clients of 5003 and its run of
#                        vsock-conformance --target hybrid are finished
#   r1.sha, r1.size      sha256 and size of what arrived on 5001 (when the connection ended)
#   g3.txt               the host's answer to the guest's half-closed "from guest" (6001)
#   g4.sha, g4-sent.sha  1 MiB the guest sent to host port 6002 and what came back
#   g4.size              the size of what came back
#   g5.err               vsockcat's error connecting to host port 6099 (nobody there)
#   g6.txt               the answers to three seqpacket messages sent to host port 6003
#   g7.err               vsockcat's error for seqpacket to 6001 (a stream listener)
#   g8.txt               host port 6004's echo after the driver was unloaded and loaded
#   g9.err, g9.rc        vsockcat -w 2 9 6005 with vhost_vsock loaded (the h2g transport)
#   g10.err, g10.rc      the same with --to-host (through vsockdev, which drops it)
#   d.sha                sha256 of the 4 MiB the guest sends with its default buffer
#                        (256 KiB, SO_VM_SOCKETS_BUFFER_SIZE's default) to host ports
#                        6010 (socat), 6011 (vsockcat --buffer-size 262144) and, as
#                        seqpacket messages, 6012 (Python's socket module)
#   d6010.rc, d6011.rc,  their exit statuses (124: still going after the bound)
#   d6012.rc
#   d6012.lens           the lengths of the messages sent to 6012, one a line
#   r5010.sha, .size     what arrived on 5010 (socat VSOCK-LISTEN, default buffer) and on
#   r5011.sha, .size     5011 (vsockcat --buffer-size 262144 -l) from the host
#   done                 the guest is finished
#
# With the argument "late" (the host runs vsockdev --mutate late_credit_update) the guest
# only sends d.sha's 4 MiB with socat to host port 6010, giving up after 25 s (d6010.rc),
# and is done: under that policy the transfer stalls once the guest's 256 KiB are in
# flight.
. "$(dirname "$0")/lib.sh"

modprobe vmw_vsock_virtio_transport
ok $? "modprobe vmw_vsock_virtio_transport"
wait_for 30 test -c /dev/vsock
cid=$(python3 -c 'import fcntl, struct
with open("/dev/vsock", "rb") as f:
    print(struct.unpack("I", fcntl.ioctl(f, 0x7b9, bytes(4)))[0])')
echo "$cid" >/out/cid
# a guest's CID: 3 or more, below VMADDR_CID_ANY
[[ $cid =~ ^[0-9]+$ ]] && [ "$cid" -ge 3 ] && [ "$cid" -lt 4294967295 ]
ok $? "IOCTL_VM_SOCKETS_GET_LOCAL_CID: $cid"
# The driver is bound to the PCI device QEMU made for vsockdev.
drv=$(basename "$(readlink /sys/bus/virtio/drivers/vmw_vsock_virtio_transport/virtio*/driver 2>/dev/null)" 2>/dev/null)
[ "$drv" = vmw_vsock_virtio_transport ]
ok $? "virtio device bound to vmw_vsock_virtio_transport"

# Guest programs at the guest's default buffer size (256 KiB): a Linux sender never has
# more than its own buffer in flight ("cap TX credit to local buffer size"), so these
# transfers go on only if vsockdev sends CREDIT_UPDATE before the guest's view of its
# 1 MiB buf_alloc runs low (issue 23).  d_send PORT BOUND PROGRAM: one transfer of d.bin
# to host port PORT, its status in /out/dPORT.rc (124: cut off after BOUND seconds).
head -c 4194304 /dev/urandom >"$T/d.bin"
sha256sum <"$T/d.bin" | cut -d' ' -f1 >/out/d.sha
d_send() {
	local port=$1 bound=$2 prog=$3
	case $prog in
	socat) timeout "$bound" socat -u "OPEN:$T/d.bin" "VSOCK-CONNECT:2:$port" ;;
	vsockcat) timeout "$bound" vsockcat --buffer-size 262144 2 "$port" <"$T/d.bin" >/dev/null ;;
	seqpacket)
		# messages of 1 byte to 64 KiB, their lengths to /out/d$port.lens
		timeout "$bound" python3 - "$port" "$T/d.bin" "/out/d$port.lens" <<'E'
import socket, sys
port, src, lens = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
s = socket.socket(socket.AF_VSOCK, socket.SOCK_SEQPACKET)
s.connect((2, port))
with open(lens, "w") as log:
    off, i = 0, 0
    while off < len(data):
        n = min(len(data) - off, 1 + (i * 40503) % 65536)
        s.send(data[off:off + n])
        print(n, file=log, flush=True)
        off, i = off + n, i + 1
s.close()
E
		;;
	esac 2>"$T/d$port.err"
	local rc=$?
	# busybox's timeout, the guest's, exits 143 (TERM) where coreutils' says 124
	[ "$rc" = 143 ] && rc=124
	echo "$rc" >"/out/d$port.rc"
}
if [ "${1:-}" = late ]; then
	touch /out/ready
	d_send 6010 25 socat    # the host judges its status and what arrived
	diag "$T/d6010.err"
	touch /out/done
	finish
fi

head -c 16777216 /dev/urandom >"$T/g.bin"
sha256sum <"$T/g.bin" | cut -d' ' -f1 >/out/g.sha
[ "$(wc -c <"$T/g.bin")" = 16777216 ]
ok $? "16 MiB to send"

# Host-initiated: the host's vsockcat --uds reaches these through vsockdev.
vsockcat -v -l 5001 <"$T/g.bin" >"$T/r1.bin" 2>"$T/l1.err" &
p1=$!
vsockcat -v -l 5002 -c 'tr a-z A-Z' </dev/null 2>"$T/l2.err" &
p2=$!
vsockcat -v -l -k 5003 -e cat </dev/null 2>"$T/l3.err" &
p3=$!
# The guest services of vsock-conformance --target hybrid=PATH,port=5100, as its man
# page gives them; the echo at the guest's default buffer size (256 KiB), which the
# cases echo and parallel exceed on every connection.
: >"$T/sink"
vsockcat -v -l -k --max-conns 64 --buffer-size 262144 5100 -e cat </dev/null 2>"$T/h0.err" &
h0=$!
vsockcat -v -l -k 5101 --recv-only </dev/null >>"$T/sink" 2>"$T/h1.err" &
h1=$!
vsockcat -v -l -k 5102 -c "cat $T/sink" </dev/null 2>"$T/h2.err" &
h2=$!
vsockcat -v -l -k --max-conns 16 5103 -c 'read -r p && exec vsockcat 2 "$p" -e cat' \
	</dev/null 2>"$T/h3.err" &
h3=$!
wait_for 30 grep -q listening "$T/l1.err" && wait_for 30 grep -q listening "$T/l2.err" &&
	wait_for 30 grep -q listening "$T/l3.err"
ok $? "listeners on 5001, 5002 and 5003 (-k, echo)"
wait_for 30 grep -q listening "$T/h0.err" && wait_for 30 grep -q listening "$T/h1.err" &&
	wait_for 30 grep -q listening "$T/h2.err" && wait_for 30 grep -q listening "$T/h3.err"
ok $? "vsock-conformance --target hybrid services on 5100-5103"
# Host-initiated into default-buffer receivers (the host sends 4 MiB to each).
socat -u VSOCK-LISTEN:5010 "CREATE:$T/r5010.bin" 2>"$T/r5010.err" &
r0=$!
vsockcat -v --buffer-size 262144 -l 5011 >"$T/r5011.bin" 2>"$T/r5011.err" </dev/null &
r1=$!
listening() { ss --vsock -l -n | grep -q ":$1 "; }
wait_for 30 listening 5010 && wait_for 30 grep -q listening "$T/r5011.err"
ok $? "default-buffer listeners: socat on 5010, vsockcat --buffer-size 262144 on 5011"
touch /out/ready

# Guest-initiated, while the host works on 5001: the host listens on UDS_6001 (tr) and
# UDS_6002 (echo of 1 MiB); nothing on 6099.
printf 'from guest\n' | timeout 120 vsockcat 2 6001 >/out/g3.txt 2>"$T/g3.err"
ok $? "guest to host port 6001: half-closed request, answer read"
diag "$T/g3.err"
head -c 1048576 /dev/urandom >"$T/g4.bin"
sha256sum <"$T/g4.bin" | cut -d' ' -f1 >/out/g4-sent.sha
timeout 120 vsockcat 2 6002 <"$T/g4.bin" >"$T/g4.out" 2>"$T/g4.err"
ok $? "guest to host port 6002: 1 MiB sent, echo read"
sha256sum <"$T/g4.out" | cut -d' ' -f1 >/out/g4.sha
wc -c <"$T/g4.out" >/out/g4.size
timeout 60 vsockcat 2 6099 </dev/null >/dev/null 2>/out/g5.err
[ $? = 1 ]
ok $? "guest to host port 6099 (no listener) fails"
printf 'one\ntwo\nthree\n' | timeout 60 vsockcat --seqpacket 2 6003 >/out/g6.txt 2>"$T/g6.err"
ok $? "seqpacket to host port 6003: three messages sent, answers read"
diag "$T/g6.err"
timeout 60 vsockcat --seqpacket 2 6001 </dev/null >/dev/null 2>/out/g7.err
[ $? = 1 ]
ok $? "seqpacket to host port 6001 (a stream listener) fails"
# 4 MiB to the host from default-buffer senders (60 s each: about 1 s is usual)
for d in "6010 socat" "6011 vsockcat" "6012 seqpacket"; do
	read -r port prog <<<"$d"
	d_send "$port" 60 "$prog"
	[ "$(cat "/out/d$port.rc")" = 0 ]
	ok $? "4 MiB to host port $port with $prog at the default buffer size (status $(cat "/out/d$port.rc"))"
	diag "$T/d$port.err"
done

wait_pid "$p1" 400
ok $? "vsockcat -l 5001 ended"
diag "$T/l1.err"
sha256sum <"$T/r1.bin" | cut -d' ' -f1 >/out/r1.sha
wc -c <"$T/r1.bin" >/out/r1.size
wait_pid "$p2" 60
ok $? "vsockcat -l 5002 -e tr ended"
diag "$T/l2.err"
# the host's parallel clients on 5003 are done when it says so
wait_for 300 test -e /out/host-done
ok $? "the host finished with 5003"
for r in "5010 $r0" "5011 $r1"; do
	read -r port pid <<<"$r"
	wait_pid "$pid" 60
	ok $? "the default-buffer receiver on $port ended"
	diag "$T/r$port.err"
	sha256sum <"$T/r$port.bin" | cut -d' ' -f1 >"/out/r$port.sha"
	wc -c <"$T/r$port.bin" >"/out/r$port.size"
done
kill "$p3" "$h0" "$h1" "$h2" "$h3"
wait "$p3" "$h0" "$h1" "$h2" "$h3" 2>/dev/null
# The driver goes away and comes back: QEMU stops the device (GET_VRING_BASE) and starts
# it again with new rings; vsockdev must carry traffic again (host port 6004 echoes).
rmmod vmw_vsock_virtio_transport
ok $? "rmmod vmw_vsock_virtio_transport"
modprobe vmw_vsock_virtio_transport
ok $? "modprobe vmw_vsock_virtio_transport again"
printf 'after reload\n' | timeout 60 vsockcat 2 6004 >/out/g8.txt 2>"$T/g8.err"
ok $? "guest to host port 6004 after the driver reload"
diag "$T/g8.err"
# --to-host (VMADDR_FLAG_TO_HOST): with vhost_vsock loaded the guest has a host-to-guest
# transport too, which a connect to CID 9 takes by default (no guest 9 there: it fails at
# once, vsockdev never sees it); with --to-host the REQUEST goes through the device
# instead, and vsockdev drops it (only the host is behind it), so the connect times out.
modprobe vhost_vsock
ok $? "modprobe vhost_vsock (a host-to-guest transport beside vsockdev's)"
timeout 30 vsockcat -w 2 9 6005 </dev/null >/dev/null 2>/out/g9.err
echo $? >/out/g9.rc
timeout 30 vsockcat -w 2 --to-host 9 6005 </dev/null >/dev/null 2>/out/g10.err
echo $? >/out/g10.rc
touch /out/done
finish
