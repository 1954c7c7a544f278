#!/usr/bin/env bash
# tests/vm/demo.sh - the `make demo` scene; runs inside the test VM:
#   tests/vm/run -k 6.12 tests/vm/demo.sh
# vsockdump -i vsockmon0 shows the loopback traffic live while a listener answers a client
# that sends a few lines and half-closes, a connection is refused, and a bulk transfer
# runs; it ends with vsockdump's capture statistics and its per-connection table.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
say() {
	sleep 0.4   # let the live view catch up before the next caption
	printf '\n== %s\n' "$*"
}
fail() {
	echo "demo: $*" >&2
	exit 1
}

say "kernel $(uname -r); vsockmon0 is up.  Live view: vsockdump -i vsockmon0 -l"
vsockdump -i vsockmon0 -l -w "$T/demo.pcap" --print 2>"$T/dump.err" &
dump=$!
wait_for 10 grep -q 'listening on' "$T/dump.err" || fail "vsockdump did not start"
cat "$T/dump.err"

say "1. a listener on port 1234 that answers in capitals: vsockcat -l -c 'tr a-z A-Z' 1234"
timeout 30 vsockcat -l -c 'tr a-z A-Z' 1234 </dev/null 2>"$T/server.err" &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':1234 '" || fail "the listener did not come up"
ss --vsock -l -n

say "2. a client sends three lines, answered one by one, then half-closes (SHUTDOWN flags send)"
{
	for line in hello 'how are you?' bye; do
		echo "$line"
		sleep 0.4
	done
} | timeout 30 vsockcat local 1234 >"$T/answer" 2>"$T/client.err" || fail "client failed"
wait_pid "$srv" 10
sed 's/^/   client got: /' "$T/answer"

say "3. a connection to port 4321, where nobody listens: refused with an RST"
timeout 10 vsockcat local 4321 </dev/null 2>&1 | sed 's/^/   /'

say "4. a bulk transfer: 128 KiB to port 1235, credit updates flowing back"
head -c $((128 << 10)) /dev/urandom >"$T/bulk"
timeout 30 vsockcat -l --recv-only 1235 </dev/null >/dev/null 2>&1 &
srv=$!
wait_for 10 sh -c "ss --vsock -l -n | grep -q ':1235 '" || fail "the bulk listener did not come up"
timeout 30 vsockcat local 1235 <"$T/bulk" || fail "bulk client failed"
wait_pid "$srv" 10
# The closing side waits for the peer's RST; let the last frames show.
wait_for 10 sh -c "! ss --vsock -a -n | grep -q ':1235 '"

say "summary: vsockdump stopped with SIGINT"
kill -INT "$dump"
wait_pid "$dump" 10 || fail "vsockdump did not stop"
sed -n '/packet/p' "$T/dump.err"
say "per connection, with the credit and shutdown rules checked: vsockdump -r demo.pcap --stats --check"
vsockdump -r "$T/demo.pcap" --stats --check -w /dev/null && echo "no protocol violations"
