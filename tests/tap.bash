# shellcheck shell=bash
# tests/tap.bash - the TAP helpers every tests/cli script sources (directly, or through
# tests/conformance-tap.bash and tests/vsockdev-tap.bash): they count in the caller's n,
# failed and last, and write their scratch files in the caller's T.  Not a test itself
# (tests/run runs tests/cli/*.sh).
# shellcheck disable=SC2034  # n, failed and last are the caller's
n=0 failed=0 last=0

# ok STATUS DESC: one TAP line; returns STATUS so that `ok $? ... || diag` works.
ok() {
	n=$((n + 1))
	last=$1
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
	return "$1"
}
# diag: stdin as TAP comments; when the caller set TAP_DIAG=failed, only after a failed
# test (stdin is read either way)
diag() {
	if [ "${TAP_DIAG:-}" = failed ] && [ "$last" = 0 ]; then
		cat >/dev/null
	else
		sed 's/^/#   /'
	fi
}

# expect_exit STATUS PATTERN DESC -- CMD...: one test DESC: CMD (stdin /dev/null, at most
# 10 s: a hang guard) exits with STATUS (an extended regex: 2, 1|2) and writes exactly one
# line to stderr, "NAME: ...PATTERN" (NAME the command's file name, PATTERN an extended
# regex); a usage error (status 2) writes nothing to stdout.  On failure the status, the
# number of stderr lines and stderr as diagnostics.
expect_exit() {
	local want=$1 pat=$2 desc=$3 rc lines
	shift 4
	timeout 10 "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	lines=$(wc -l <"$T/err")
	if [[ $rc =~ ^($want)$ ]] && [ "$lines" = 1 ] && { [ "$rc" != 2 ] || [ ! -s "$T/out" ]; } &&
		grep -qE "^${1##*/}: .*$pat" "$T/err"; then
		ok 0 "$desc"
	else
		ok 1 "$desc (status $rc, $lines stderr lines)"
		diag <"$T/err"
	fi
}

# man_matches_usage PROG PAGE: two tests: PAGE's SYNOPSIS as mandoc renders it is PROG
# -h's usage text (from stdout or stderr, "usage: " dropped, runs of white space as one
# space), and mandoc -Tlint finds nothing in PAGE but what depends on this machine's
# manual database (an outdated mandoc.db, our own pages not installed).  One SKIP when
# mandoc is not installed.
man_matches_usage() {
	local prog=$1 page=$2
	if ! command -v mandoc >/dev/null; then
		ok 0 "$page SYNOPSIS equals usage() # SKIP mandoc not installed"
		return 0
	fi
	"$prog" -h 2>&1 | sed 's/^usage: //' | tr -s ' \t\n' ' ' | sed 's/^ *//; s/ *$//' \
		>"$T/syn.usage"
	mandoc -Tascii "$page" 2>/dev/null | sed 's/.\x08//g' |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' |
		sed 's/^ *//; s/ *$//' >"$T/syn.man"
	cmp -s "$T/syn.man" "$T/syn.usage"
	ok $? "$page SYNOPSIS equals usage()" ||
		{ echo "usage:    $(cat "$T/syn.usage")"; echo "synopsis: $(cat "$T/syn.man")"; } | diag
	local own='vsockdump|vsockss|vsockcat|vsockdev|vsock-conformance'
	mandoc -Tlint "$page" 2>&1 |
		grep -vE "outdated mandoc\.db|referenced manual not found: Xr ($own) [18]" >"$T/lint"
	[ ! -s "$T/lint" ]
	ok $? "mandoc -Tlint finds nothing in $page" || diag <"$T/lint"
}
