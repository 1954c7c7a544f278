#!/usr/bin/env bash
# tests/demo.sh - the main job, on a capture shipped in the repository: tcpdump's vsock
# fixture decoded at every level, as JSON, and through a filter.
set -eu
cd "$(dirname "$0")/.."
D=build/vsockdump
F=tests/golden/tcpdump-vsock-1.pcapng
export TZ=UTC
say() { printf '\n$ %s\n' "$*"; }
say vsockdump -r $F -v
$D -r $F -v
say vsockdump -r $F -t -X op rw
$D -r $F -t -X op rw
say vsockdump -r $F --json -c 2
$D -r $F --json -c 2
say vsockdump -r $F -t "op shutdown or op rst"
$D -r $F -t "op shutdown or op rst"
say vsockdump -d "op rw and port 1234"
$D -d "op rw and port 1234"
