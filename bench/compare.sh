#!/bin/sh
# SPDX-License-Identifier: MIT
# compare.sh: the comparison harness (bench/pathlab_bench, Debian's python3).
#   sudo bench/compare.sh [options]       measure (--help lists the options)
#   bench/compare.sh diff RUN_A RUN_B     two finished runs side by side
#   sudo bench/compare.sh cleanup         undo what a killed run left (every run does it first)
# Method, placements and columns: docs/benchmarking.md.
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd) # also through an installed bin/pathlab-compare
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PL_COMPARE_NAME="${0##*/}" # what --version calls it
exec /usr/bin/python3 -m pathlab_bench "$@"
