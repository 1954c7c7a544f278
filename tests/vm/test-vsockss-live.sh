#!/usr/bin/env bash
# tests/vm/test-vsockss-live.sh - runs inside the test VM (tests/vm/run).  The live view
# (vsockss -w) in a real terminal: tmux runs it, sockets are opened, half-closed and
# closed, and capture-pane shows each change, its highlight, the fade-out, and the keys
# (filter, sort, pause, quit) and a resize.  TAP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
P=6101 S=6102
export TERM=screen
tmux_() { tmux -L vsk -f /dev/null "$@"; }
screen() { tmux_ capture-pane -p -t live; }
# has REGEX: the visible screen has a line matching it
has() { screen | grep -qE "$1"; }
# row MODE REGEX: the first screen line whose text matches REGEX exists (MODE any), is
# highlighted (hl: bold, dim or a colour in its SGR attributes), or is not (plain).
# capture-pane -e gives each cell's attributes as SGR sequences; they are stripped for
# the match.
row() {
	tmux_ capture-pane -p -e -t live | python3 -c '
import re, sys
mode, pat = sys.argv[1], sys.argv[2]
sgr = re.compile(r"\x1b\[([0-9;]*)m")
for line in sys.stdin:
    if re.search(pat, sgr.sub("", line)):
        codes = {c for m in sgr.findall(line) for c in m.split(";") if c}
        hl = bool(codes & {"1", "2", "31", "32", "33", "34", "35", "36", "37"})
        sys.exit(0 if mode == "any" or (mode == "hl") == hl else 1)
sys.exit(1)' "$1" "$2"
}
snap() { screen >"$T/screen.$1"; }

tmux_ new-session -d -s live -x 140 -y 30 "vsockss -w 0.3 -n -a; echo EXITED \$?; sleep 100"
wait_for 10 has '^vsockss: [0-9]+ sockets'
ok $? "tmux runs vsockss -w: the header shows"
has '1-8 sort +r reverse +/ filter +p pause +q quit'
ok $? "the help line shows the keys"
snap start; ! grep -q ":$P " "$T/screen.start"
ok $? "no socket on port $P yet"

# A new listener appears, highlighted, and loses the highlight after a few seconds.
# The server reads to EOF and keeps its end open, so the client stays half-closed.
socat -t 100 VSOCK-LISTEN:$P,fork SYSTEM:"cat >/dev/null; sleep 100" &
wait_for 5 has "LISTEN +\*:$P "
ok $? "a new listener on $P appears within 5 s"
row hl "LISTEN +\*:$P "
ok $? "it is highlighted while new"; snap new
wait_for 6 row plain "LISTEN +\*:$P "
ok $? "the highlight goes after a few seconds"; snap old

# A connection: both ends appear; then a half-close is a highlighted change.
mkfifo "$T/in"
socat -t 100 - VSOCK-CONNECT:1:$P <"$T/in" >/dev/null &
cpid=$!
exec 3>"$T/in"
wait_for 5 has "ESTAB +1:$P +1:[0-9]+" && wait_for 5 has "ESTAB +\*:[0-9]+ +1:$P +-( |$)"
ok $? "a connection to $P: both ends appear as ESTAB"; snap conn
wait_for 6 row plain "ESTAB +\*:[0-9]+ +1:$P +-( |$)"
exec 3>&- # socat reads EOF and shuts down its sending side
wait_for 5 has "ESTAB +\*:[0-9]+ +1:$P +send( |$)"
ok $? "the client's half-close shows as shutdown send"; snap half
row hl "ESTAB +\*:[0-9]+ +1:$P +send( |$)"
ok $? "the changed row is highlighted"

# Closed sockets fade out: marked CLOSED for a moment, then gone.
kill "$cpid"
wait_for 5 has "CLOSED +\*:[0-9]+ +1:$P "
ok $? "the closed client stays a moment marked CLOSED"; snap closing
wait_for 8 sh -c "! tmux -L vsk capture-pane -p -t live | grep -qE '\*:[0-9]+ +1:$P '"
ok $? "then it is gone"
snap closed

# Keys: a typed filter, sorting, pause.
socat -u VSOCK-LISTEN:$S,fork /dev/null &
wait_for 5 has "LISTEN +\*:$S "
tmux_ send-keys -t live / "$S" Enter
wait_for 5 has "filter: $S" && wait_for 3 sh -c "! tmux -L vsk capture-pane -p -t live | grep -q ':$P '" && has ":$S "
ok $? "/ filter: only rows with $S are left"
snap filter
tmux_ send-keys -t live / BSpace BSpace BSpace BSpace Enter
wait_for 5 has ":$P " && ! has "filter:"
ok $? "an empty filter shows every row again"
tmux_ send-keys -t live 3
wait_for 5 has "sort: Local Address:Port"
ok $? "key 3 sorts by the local address"
tmux_ send-keys -t live r
wait_for 5 has "sort: Local Address:Port \(reversed\)" &&
	[ "$(screen | grep -nE "\*:$S " | cut -d: -f1)" -lt "$(screen | grep -nE "\*:$P " | cut -d: -f1)" ]
ok $? "r reverses: *:$S comes before *:$P"
snap sorted
tmux_ send-keys -t live p
wait_for 5 has '\[paused\]'
ok $? "p pauses"
socat -u VSOCK-LISTEN:$((S + 1)) /dev/null &
sleep 1.5
! has ":$((S + 1)) "
ok $? "while paused a new socket does not show"
has "LISTEN +\*:$S " && ! has CLOSED
ok $? "while paused the rows shown stay as they were"; snap paused
tmux_ send-keys -t live p
wait_for 5 has "LISTEN +\*:$((S + 1)) "
ok $? "after p again it does"

# Resize: the help line moves to the new last line.
tmux_ resize-window -t live -x 100 -y 15
wait_for 5 sh -c "tmux -L vsk capture-pane -p -t live | sed -n 15p | grep -q '1-8 sort'"
ok $? "after a resize to 100x15 the help line is on line 15"
snap resized

tmux_ send-keys -t live q
wait_for 5 has '^EXITED 0'
ok $? "q quits with status 0 and restores the terminal"
[ "$failed" = 0 ] || diag "$T"/screen.*
tmux_ kill-server
finish
