#!/usr/bin/env bash
# Run a libFuzzer binary briefly, seeded with the example policies, in a
# scratch corpus (libFuzzer writes new inputs into its first directory).
# Usage: run-fuzz.sh FUZZER SEED_DIR SECONDS
set -eu
fuzzer=$(realpath "$1") seeds=$(realpath "$2") secs=$3
work=$(mktemp -d /tmp/plt-c-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$seeds"/*.policy "$work/corpus/"
cd "$work"
exec "$fuzzer" -max_total_time="$secs" -max_len=1024 -timeout=5 -print_final_stats=1 corpus
