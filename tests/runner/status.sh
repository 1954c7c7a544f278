#!/bin/sh
# a fixture of tests/cli/runner.sh: whole TAP, all passed, and a failing exit status
printf '1..1\nok 1 - a\n'
exit 3
