#!/bin/sh
# a fixture of tests/cli/runner.sh: a suite named run.sh (as tests/golden/run.sh)
cat "$(dirname "$0")/run.tap"
