#!/usr/bin/env bash
# tests/vm/test-conformance.sh - runs inside the test VM (tests/vm/run).  vsock-conformance
# --target vhost against this kernel's vhost-vsock (the suite plays the guest driver on
# /dev/vhost-vsock, AF_VSOCK sockets of this kernel are the application): every case that
# --list names ran and has a verdict (pass; fail with evidence; n/a with a reason), and the
# verdicts are the recorded ones for this kernel, conformance-expect/KERNEL.txt ("case
# verdict" lines).  A fail against the kernel is a finding (docs/conformance.md), not a
# test failure; a verdict that changed is.  The --capture file decodes with vsockdump.
# The run time of the suite is printed, never asserted.  The JSON report, the capture,
# the suite's own output and the verdicts go to /out.  TAP.
#
# Recording the verdicts of a kernel after a deliberate change: run this script, review
# build/vm/out/test-conformance-K/verdicts.txt, copy it to conformance-expect/K.txt and
# update docs/conformance.md in the same commit.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
expect=$here/conformance-expect/$VSK_KERNEL.txt

# The target's errors are one line that says what to do: first without the module...
vsock-conformance --target vhost --only request_listener >"$T/nomod" 2>&1
rc=$?
[ ! -e /dev/vhost-vsock ] && [ "$rc" = 1 ] &&
	grep -q '^#   failure: target vhost: /dev/vhost-vsock: .*modprobe vhost_vsock' "$T/nomod"
ok $? "without vhost_vsock: the case fails with '... modprobe vhost_vsock' (status $rc)"
diag "$T/nomod"

modprobe vhost_vsock 2>"$T/modprobe.err"
[ -c /dev/vhost-vsock ]
ok $? "modprobe vhost_vsock: /dev/vhost-vsock exists"
diag "$T/modprobe.err"

# ...then with the guest CID held by another vhost-vsock user (a python3 that set CID 3
# and sleeps).
python3 -c '
import fcntl, struct, time
fd = open("/dev/vhost-vsock", "rb", buffering=0)
fcntl.ioctl(fd, 0x4008af60, struct.pack("<Q", 3))   # VHOST_VSOCK_SET_GUEST_CID
print("ready", flush=True)
time.sleep(60)
' >"$T/holder.out" 2>&1 &
holder=$!
wait_for 10 grep -q ready "$T/holder.out"
vsock-conformance --target vhost --cid 3 --only request_listener >"$T/busy" 2>&1
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
[ "$rc" = 1 ] &&
	grep -q '^#   failure: target vhost: VHOST_VSOCK_SET_GUEST_CID 3: .*use another guest CID' "$T/busy"
ok $? "guest CID 3 taken: the case fails with 'VHOST_VSOCK_SET_GUEST_CID 3: ... use another guest CID' (status $rc)"
diag "$T/busy" "$T/holder.out"

vsock-conformance --list >"$T/list" 2>"$T/list.err"
rc=$?
[ "$rc" = 0 ] && [ -s "$T/list" ]
ok $? "vsock-conformance --list names the cases ($(wc -l <"$T/list") lines, status $rc)"
diag "$T/list.err"

# No --timeout: the vhost target's own default (30 s a case, the model's is 5) is what is
# tested.  Under TCG the kernel's vhost worker, its sockets and the suite share two slow
# vCPUs, and the credit cases move 64 to 264 KiB in 4 KiB windows, one quiet period per
# window.  A case that passes takes what it needs; only a case that waits for something
# that never comes uses its whole timeout.
t0=${EPOCHREALTIME/./}
# --expect: the verdicts against this kernel's record (status 1 only when one changed)
exp=()
[ -f "$expect" ] && exp=(--expect "$expect")
timeout 250 vsock-conformance --target vhost "${exp[@]}" --json "$T/r.json" \
	--junit "$T/r.xml" --capture "$T/c.pcap" >"$T/tap" 2>"$T/run.err"
rc=$?
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
echo "# vhost run on $VSK_KERNEL: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
cp "$T/r.json" /out/conformance-vhost.json 2>/dev/null
cp "$T/c.pcap" /out/conformance-vhost.pcap 2>/dev/null
cp "$T/r.xml" /out/conformance-vhost.junit.xml 2>/dev/null
cp "$T/tap" /out/conformance-vhost.tap 2>/dev/null
cp "$T/run.err" /out/conformance-vhost.err 2>/dev/null
# A changed verdict makes the suite exit 1; anything else (2 usage, 124 timeout, a crash)
# is ours.
[ "$rc" = 0 ] || [ "$rc" = 1 ]
ok $? "vsock-conformance --target vhost ran to the end (status $rc: 0 as recorded, 1 changed)"
diag "$T/run.err"

# Every listed case ran, once, with a verdict that carries its evidence or its reason;
# the verdicts go to $T/verdicts, sorted, one "case verdict" line each.
python3 - "$T/list" "$T/r.json" "$T/verdicts" "$rc" "${#exp[@]}" >"$T/check" 2>&1 <<'PY'
import json, sys
listf, jsonf, outf, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
expecting = sys.argv[5] != '0'   # with --expect the status says whether a verdict changed
listed = []
for line in open(listf):
    f = line.split()
    if f and not line.startswith('#'):
        listed.append(f[1] if f[0].isdigit() and len(f) > 1 else f[0])
rep = json.load(open(jsonf))
cases = rep['cases']
bad = []
seen = {}
for c in cases:
    name, v = c.get('name'), c.get('verdict')
    if name in seen:
        bad.append(f'{name}: reported twice')
    seen[name] = v
    if v == 'fail':
        # evidence: the packets of the trace, and what went wrong
        if not c.get('evidence') or not c.get('reason'):
            bad.append(f'{name}: fail without evidence packets or a reason')
    elif v == 'n/a':
        if not c.get('reason'):
            bad.append(f'{name}: n/a without a reason')
    elif v != 'pass':
        bad.append(f'{name}: verdict {v!r} is not pass, fail or n/a')
    if not c.get('clause'):
        bad.append(f'{name}: no spec clause')
missing = [n for n in listed if n not in seen]
extra = [n for n in seen if n not in listed]
for n in missing:
    bad.append(f'{n}: listed but not in the report')
for n in extra:
    bad.append(f'{n}: in the report but not listed')
fails = sum(1 for v in seen.values() if v == 'fail')
if not expecting and (rc == 1) != (fails > 0):
    bad.append(f'exit status {rc} with {fails} failed cases')
with open(outf, 'w') as o:
    for n in sorted(seen):
        o.write(f'{n} {seen[n]}\n')
print(f'{len(listed)} listed, {len(seen)} reported, {fails} fail')
for b in bad:
    print(b)
sys.exit(1 if bad or not listed else 0)
PY
ok $? "every listed case ran once with a verdict, evidence for each fail, a reason for each n/a ($(head -1 "$T/check"))"
diag "$T/check"
cp "$T/verdicts" /out/verdicts.txt 2>/dev/null

# The JUnit report for a CI's test view (docs/ci.md) holds every case.
grep -q "<testsuite name=\"vsock-conformance --target vhost\" tests=\"$(wc -l <"$T/list")\"" "$T/r.xml"
ok $? "--junit: one testsuite of $(wc -l <"$T/list") cases"

# The recorded findings of this kernel are reproduced: same cases, same verdicts.
if [ -f "$expect" ]; then
	[ "$rc" = 0 ] && grep -q '^# expect .*: no change' "$T/tap"
	ok $? "verdicts equal the recorded ones for $VSK_KERNEL (--expect conformance-expect/$VSK_KERNEL.txt)"
	grep -A60 '^# expect ' "$T/tap" >"$T/vdiff"
	diag "$T/vdiff"
else
	ok 1 "conformance-expect/$VSK_KERNEL.txt exists (record it from /out/verdicts.txt)"
fi

# The capture is a LINKTYPE_VSOCK file vsockdump reads completely: one line per record.
vsockdump -r "$T/c.pcap" -n --no-analysis >"$T/c.txt" 2>"$T/c.err"
rc=$?
recs=$(python3 - "$T/c.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
magic = struct.unpack('<I', d[:4])[0]
e = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
link = struct.unpack(e + 'I', d[20:24])[0]
n, off = 0, 24
while off + 16 <= len(d):
    incl = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
    off += 16 + incl
    n += 1
print(n if link == 271 and off == len(d) else -1)
PY
)
lines=$(grep -c . "$T/c.txt")
[ "$rc" = 0 ] && [ "${recs:--1}" -gt 0 ] && [ "$lines" = "$recs" ]
ok $? "vsockdump -r decodes the capture: $lines lines for $recs LINKTYPE_VSOCK records (status $rc)"
diag "$T/c.err"

finish
