#!/usr/bin/env bash
# tests/cli/conformance.sh - black-box tests of vsock-conformance against the in-process
# reference model (never --target vhost: that opens /dev/vhost-vsock and runs only in the
# test VM, tests/vm/test-conformance.sh).  The model passes every case; every mutation in
# --list-mutations fails exactly the cases it names (the whole suite runs under each), each
# failure naming its rule, and every case is named by at least one mutation; the options
# do what they say; usage errors give one stderr line and status 2.
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${VSK_BUILD:-$PWD/build}
C=$B/vsock-conformance
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# shellcheck source=../conformance-tap.bash
. tests/conformance-tap.bash    # ok, diag, expect_exit, man_matches_usage, fails_exactly

# ---- the model passes every case, in seconds ----
"$C" --target model >"$T/all" 2>"$T/err"
rc=$?
total=$("$C" --list | wc -l)
passed=$(grep -cE '^ok [0-9]+ - ' "$T/all")
[ $rc = 0 ] && [ "$passed" = "$total" ] && ! grep -q '^not ok' "$T/all" && grep -qx "1..$total" "$T/all"
ok $? "--target model: all $total cases pass (status $rc, $passed ok)" || grep -A6 '^not ok' "$T/all" | diag
[ "$total" -ge 30 ]; ok $? "at least 30 cases ($total)"
# each line of --list: id, name, group, clause
awk '!/^[0-9]+ +[a-z0-9_]+ +[a-z]+ +(Socket Device|Basic Facilities of a Virtio Device): / {
	bad = 1 } END { exit bad }' <("$C" --list); ok $? "--list names a spec clause for every case"
grep -E '^ok [0-9]+ - [a-z0-9_]+ # (Socket Device|Basic Facilities)' "$T/all" | wc -l |
	grep -qx "$total"; ok $? "TAP lines are 'ok N - name # clause'"
! grep -qiE '^ok .*# *skip' "$T/all"; ok $? "no TAP SKIP directive"

# The same with every descriptor layout the options offer.
for lay in split spread:5 one,indirect spread:3,indirect; do
	"$C" --layout "$lay" >"$T/lay" 2>&1
	ok $? "--layout $lay: all cases pass" || grep -A4 '^not ok' "$T/lay" | diag
done

# ---- every mutation fails exactly its cases, naming the rule ----
"$C" --list-mutations >"$T/muts"
nm=$(wc -l <"$T/muts")
[ "$nm" -gt 0 ]; ok $? "--list-mutations lists $nm mutations"
# the map both ways: every case of --list is caught by a mutation, every name a mutation
# says it catches is a case
cut -f2 "$T/muts" | tr ', ' '\n\n' | sed '/^$/d' | sort -u >"$T/caught"
"$C" --list | awk '{print $2}' | sort >"$T/cases"
comm -23 "$T/cases" "$T/caught" >"$T/uncaught"
[ -s "$T/cases" ] && [ ! -s "$T/uncaught" ]
ok $? "every case of --list is in the caught_by of a mutation" || diag <"$T/uncaught"
comm -13 "$T/cases" "$T/caught" >"$T/nocase"
[ -s "$T/caught" ] && [ ! -s "$T/nocase" ]
ok $? "every case a mutation names is a case of --list" || diag <"$T/nocase"
# docs/testing.md's mutation map is --list-mutations
sed -n 's/^| `\([a-z0-9_]*\)` | \([a-z0-9_, ]*\) |$/\1\t\2/p' docs/testing.md | sed 's/, /,/g' >"$T/docmap"
cut -f1,2 "$T/muts" | diff - "$T/docmap" >"$T/docdiff"
ok $? "docs/testing.md's mutation map is --list-mutations" || diag <"$T/docdiff"
while IFS=$'\t' read -r mut caught text; do
	"$C" --target "model=$mut" --timeout 1000 >"$T/m" 2>"$T/merr"
	rc=$?
	want=$(echo "$caught" | tr ', ' '\n\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
	fails_exactly "$T/m" "$rc" "$want" "model=$mut fails exactly: $want" "$text"
done <"$T/muts"

# ---- --only / --skip ----
"$C" --only 1,request_no_listener,34 >"$T/o" 2>&1
[ "$(grep -cE '^ok ' "$T/o")" = 3 ] && grep -qx '1..3' "$T/o" &&
	grep -q '^ok 1 - request_listener ' "$T/o" && grep -q '^ok 3 - transport_reset ' "$T/o"
ok $? "--only by id and name runs those cases, in table order"
"$C" --skip 2,credit_huge_buf_alloc >"$T/s" 2>&1
[ "$(grep -cE '^ok ' "$T/s")" = $((total - 2)) ] && ! grep -qE ' - (request_no_listener|credit_huge_buf_alloc) ' "$T/s"
ok $? "--skip leaves those cases out"

# ---- --json ----
"$C" --json "$T/r.json" --capture "$T/r.pcap" >/dev/null 2>&1
ok $? "--json and --capture: status 0"
python3 - "$T/r.json" "$total" "$T/npk" >"$T/jerr" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
cases = d["cases"]
assert len(cases) == int(sys.argv[2]), len(cases)
keys = {"id", "name", "group", "clause", "verdict", "rule", "reason", "required", "observed",
        "evidence", "violations", "packets", "seconds"}
for c in cases:
    assert keys <= set(c), (c["name"], keys - set(c))
    assert c["verdict"] == "pass", c["name"]
    assert c["required"] and c["observed"] and c["clause"], c["name"]
    assert c["evidence"], c["name"]
    for v in c["violations"]:
        assert v["by"] == "driver", (c["name"], v)   # the suite's own, on purpose
assert d["summary"] == {"pass": len(cases), "fail": 0, "n/a": 0}, d["summary"]
open(sys.argv[3], "w").write("%d\n" % sum(c["packets"] for c in cases))
EOF
ok $? "--json: every case with id, name, clause, verdict, required, observed, evidence, violations"
[ -s "$T/jerr" ] && head -3 "$T/jerr" | diag
pk=$(cat "$T/npk" 2>/dev/null)
"$B/vsockdump" -r "$T/r.pcap" >"$T/dump" 2>"$T/derr"
[ $? = 0 ] && [ "$(wc -l <"$T/dump")" = "$pk" ] && [ -n "$pk" ]
ok $? "--capture: vsockdump -r decodes $pk packets, as many as the report counts"
diag <"$T/derr"
# what the suite does wrong on purpose is all that vsockdump's analysis finds
"$B/vsockdump" -r "$T/r.pcap" --check >"$T/check" 2>/dev/null
grep '\[!' "$T/check" | grep -v '^[0-9:.]* 3:' | head -5 >"$T/devfind"
[ ! -s "$T/devfind" ]; ok $? "--capture: no finding of vsockdump --check against the device"
diag <"$T/devfind"

# A failed run: JSON carries the failure, its rule and the packets; status 1.
"$C" --target model=no_rst_no_listener --only request_no_listener --timeout 500 \
	--json "$T/f.json" >/dev/null 2>&1
rc=$?
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["cases"][0]
assert c["verdict"] == "fail" and c["rule"] == "no_rst_no_listener" and c["evidence"], c
' "$T/f.json" >"$T/ferr" 2>&1
py=$?
[ $rc = 1 ] && [ $py = 0 ]
ok $? "a failing case: status 1, JSON verdict fail with rule and evidence (status $rc)" ||
	diag <"$T/ferr"

# A case whose wait runs into --timeout fails with a timeout, and the run goes on.
"$C" --target model=no_close_timeout --only 22,23 --timeout 300 >"$T/t" 2>&1
rc=$?
[ $rc = 1 ] && grep -q '^not ok 1 - shutdown_close_timeout_rst' "$T/t" &&
	grep -q '^#   failure: timeout' "$T/t" && grep -q '^ok 2 - shutdown_rw_after_our_send' "$T/t"
ok $? "a case that waits past --timeout fails with a timeout and the next one runs"

# ---- usage errors: status 2, one line on stderr, nothing on stdout ----
# expect_usage PATTERN DESC ARGS...
expect_usage() { local pat=$1 desc=$2; shift 2; expect_exit 2 "$pat" "$desc" -- "$C" "$@"; }
expect_usage "unknown option --bogus" "unknown long option" --bogus
expect_usage "unknown option -x" "unknown short option" -x
expect_usage "unexpected argument 'extra'" "stray argument" extra
expect_usage "--timeout 'abc': not a number" "--timeout not a number" --timeout abc
expect_usage "--timeout '0': out of range" "--timeout 0" --timeout 0
expect_usage "--cid '2': out of range" "--cid of the host" --cid 2
expect_usage "--cid '4294967295': out of range" "--cid reserved -1" --cid 4294967295
expect_usage "--layout 'spread:1'" "--layout spread:1" --layout spread:1
expect_usage "--layout 'two'" "--layout unknown" --layout two
expect_usage "--target 'qemu': not model, vhost, hybrid=PATH, vhost-user=SOCKET or guest=relay=PATH,agent=PATH" \
	"--target unknown" --target qemu
expect_usage "--target model: 'nosuch': no such mutation" "--target model=unknown" \
	--target model=nosuch
expect_usage "--target model: close_timeout 'abc': not a number" \
	"--target model=close_timeout=abc" --target model=close_timeout=abc
expect_usage "--target model: '': an empty name" "--target model=NAME, with an empty name" \
	--target model=credit_wrap,
# the guest's CID is its VM's: --cid is refused before anything runs, no VM needed
expect_usage "--target guest: --cid does not apply" "--target guest with --cid" \
	--target guest=relay=/nonexistent/r,agent=/nonexistent/a --cid 5
expect_usage "--only 'nosuch': no such case" "--only unknown case" --only 1,nosuch
expect_usage "--skip '99': no such case" "--skip unknown id" --skip 99
expect_usage "option --json needs an argument" "--json without file" --json
expect_usage "cannot use --list with --list-mutations" "--list with --list-mutations" \
	--list --list-mutations
"$C" -h >"$T/h" 2>&1; [ $? = 0 ] && grep -q '^usage: vsock-conformance' "$T/h"
ok $? "-h: usage on stdout, status 0"

# ---- --junit: JUnit XML that a reader nobody here wrote takes (Debian's junitparser) ----
"$C" --target model=late_credit_update,no_rst_on_shutdown --junit "$T/j.xml" --json "$T/j.json" \
	>"$T/j.tap" 2>&1
rc=$?
nfail=$(grep -c '^not ok ' "$T/j.tap")
[ $rc = 1 ] && [ "$nfail" = 2 ]; ok $? "a mutated run for --junit fails 2 cases (status $rc)"
/usr/bin/python3 - "$T/j.xml" "$T/j.json" >"$T/jcheck" 2>&1 <<'PY'
import json, sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
rep = json.load(open(sys.argv[2]))
suites = list(xml)
assert len(suites) == 1, "one testsuite per run"
s = suites[0]
cases = list(s)
want = rep["cases"]
assert s.tests == len(want) == len(cases), (s.tests, len(want), len(cases))
fails = [c for c in want if c["verdict"] == "fail"]
assert s.failures == len(fails) and s.skipped == 0, (s.failures, s.skipped)
for tc, c in zip(cases, want):
    assert tc.name == c["name"] and tc.classname == c["group"], (tc.name, tc.classname)
    assert abs(tc.time - c["seconds"]) < 0.002, (tc.name, tc.time, c["seconds"])
    res = [r for r in tc.result if isinstance(r, (Failure, Skipped))]
    if c["verdict"] == "fail":
        assert len(res) == 1 and isinstance(res[0], Failure), tc.name
        assert res[0].type == c["rule"] and res[0].message.startswith(c["rule"] + ": "), res[0].message
        assert c["observed"][:40] in res[0].text and c["required"][:40] in res[0].text
    else:
        assert not res, (tc.name, res)
print("ok", len(cases))
PY
ok $? "--junit: junitparser reads one suite, every case with its group, time and verdict; a fail carries its rule and evidence" ||
	diag <"$T/jcheck"
xmllint --noout "$T/j.xml" 2>"$T/xl"; ok $? "--junit: well-formed XML (xmllint)" || diag <"$T/xl"

# ---- --expect: the status and the summary say what changed from a record ----
sed -n 's/^ok [0-9]* - \([a-z0-9_]*\) .*/\1 pass/p' "$T/all" >"$T/rec"
# expect_run DESC STATUS SUMMARY-PATTERN RECORD [ARGS...]: the run against RECORD
expect_run() {
	local desc=$1 want=$2 pat=$3 rec=$4 rc
	shift 4
	"$C" --expect "$rec" "$@" >"$T/x.tap" 2>"$T/x.err"
	rc=$?
	[ $rc = "$want" ] && grep -qE "$pat" "$T/x.tap"
	ok $? "--expect: $desc (status $rc)" || { diag <"$T/x.err"; grep '^# expect' -A6 "$T/x.tap" | diag; }
}
expect_run "the record of a passing run: no change" 0 \
	"^# expect .*: no change \($total cases as recorded\)$" "$T/rec"
expect_run "a recorded pass that fails: new fail" 1 \
	'^#   new fail: credit_capped_sender \(recorded pass, now fail\)$' "$T/rec" \
	--target model=late_credit_update
sed 's/^credit_capped_sender pass$/credit_capped_sender fail/' "$T/rec" >"$T/rec-f"
expect_run "the same fail recorded: no change, status 0 though a case failed" 0 \
	'no change' "$T/rec-f" --target model=late_credit_update
expect_run "a recorded fail that passes: fail now passes" 1 \
	'^#   fail now passes: credit_capped_sender \(recorded fail, now pass\)$' "$T/rec-f"
sed 's/^request_listener pass$/request_listener n\/a/' "$T/rec" >"$T/rec-na"
expect_run "a recorded n/a that passes: n/a changed" 1 \
	'^#   n/a changed: request_listener \(recorded n/a, now pass\)$' "$T/rec-na"
grep -v '^app_connect ' "$T/rec" >"$T/rec-new"
expect_run "a case not recorded: new case" 1 '^#   new case: app_connect \(pass, not recorded\)$' \
	"$T/rec-new"
{ cat "$T/rec"; echo "retired_case pass"; } >"$T/rec-gone"
expect_run "a recorded case the suite no longer has: gone" 1 \
	'^#   gone: retired_case \(recorded pass on line [0-9]+, no such case\)$' "$T/rec-gone"
{ grep -v '^app_connect ' "$T/rec-f"; echo "# a comment"; echo "retired_case fail"; } >"$T/rec-3"
expect_run "three changes at once, counted per kind in the summary" 1 \
	'^# expect .*: 3 changes: 1 fail now passes, 1 new case, 1 gone$' "$T/rec-3"
expect_run "--only: the cases not run are not compared" 0 'no change \(1 cases' "$T/rec" \
	--only credit_never_exceeded
printf 'app_connect pass\napp_connect maybe\n' >"$T/rec-bad"
expect_usage "--expect $T/rec-bad: line 2: verdict 'maybe': not pass, fail or n/a" \
	"--expect with a bad verdict" --expect "$T/rec-bad"
printf 'app_connect pass\napp_connect fail\n' >"$T/rec-dup"
expect_usage "--expect $T/rec-dup: line 2: case app_connect recorded twice \\(line 1 first\\)" \
	"--expect with a case twice" --expect "$T/rec-dup"

# ---- the man page ----
man_matches_usage "$C" man/vsock-conformance.1
# every case and every mutation is in the man page, as a word of a .Cm or .It Cm line
missing=$( { "$C" --list | awk '{print $2}'; cut -f1 "$T/muts"; } | while read -r w; do
	grep -qE "^\.(It )?Cm (.* )?$w( |\$)" man/vsock-conformance.1 || echo "$w"; done)
[ -z "$missing" ]; ok $? "the man page lists every case and mutation"
[ -z "$missing" ] || echo "$missing" | diag
echo "1..$n"
exit $failed
