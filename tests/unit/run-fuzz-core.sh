#!/usr/bin/env bash
# Run the core fuzzer briefly, seeded with the parity corpus (one file per
# frame, written by pl-mkcorpus --seeds) in a scratch directory. A crash or
# an invariant failure fails the test and prints the input in hex.
# Usage: run-fuzz-core.sh FUZZER PL_MKCORPUS SECONDS
set -eu
fuzzer=$(realpath "$1") gen=$(realpath "$2") secs=$3
work=$(mktemp -d /tmp/plt-u-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$gen" -o "$work/seed.pcap" --seeds "$work/corpus"
cd "$work"
rc=0
"$fuzzer" -max_total_time="$secs" -max_len=2048 -timeout=5 -print_final_stats=1 \
	-artifact_prefix="$work/" corpus || rc=$?
if [ "$rc" -ne 0 ]; then
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -f "$f" ] || continue
		echo "failing input $f:"
		od -An -tx1 -v "$f"
	done
	exit "$rc"
fi
