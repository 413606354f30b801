#!/usr/bin/env bash
# Run a fuzz target over seeds: once each (--replay, the build without
# libFuzzer) or under libFuzzer for SECONDS (--fuzz).
# Usage: run-fuzz.sh --replay BIN | --fuzz BIN SECONDS
#                    [--dir DIR]... [--frames PL_MKCORPUS] [--max-len N]
# PL_FUZZ_SECONDS in the environment replaces SECONDS.
# --dir copies the files of DIR into the seeds; --frames adds every frame of
# the parity corpus (pl-mkcorpus --seeds) behind fuzz-core's 5-byte header
# of zeros. libFuzzer writes what it finds into a scratch directory; a
# failing input is printed in hex and kept in ./fuzz-artifacts (the
# directory meson runs the test in); to keep it as a regression test,
# minimise it (BIN -minimize_crash=1 -runs=10000 FILE) and add it to
# tests/fuzz/corpus/core or tests/fuzz/corpus/policy.
set -eu
mode='' bin='' secs='' gen='' maxlen=4096
dirs=()
while [ $# -gt 0 ]; do
	case $1 in
	--replay) mode=replay bin=$(realpath "$2"); shift 2 ;;
	--fuzz) mode=fuzz bin=$(realpath "$2") secs=$3; shift 3 ;;
	--dir) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do dirs+=("$(realpath "$1")"); shift; done ;;
	--frames) gen=$(realpath "$2"); shift 2 ;;
	--max-len) maxlen=$2; shift 2 ;;
	*) echo "run-fuzz.sh: unknown argument '$1' (see the usage at the top of the script)" >&2; exit 2 ;;
	esac
done
[ -n "$mode" ] || { echo "run-fuzz.sh: give --replay BIN or --fuzz BIN SECONDS" >&2; exit 2; }
secs=${PL_FUZZ_SECONDS:-$secs}
out=$PWD
work=$(mktemp -d /tmp/plt-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/seeds" "$work/new"
for d in "${dirs[@]}"; do
	for f in "$d"/*; do
		[ -f "$f" ] && cp "$f" "$work/seeds/$(basename "$d")-$(basename "$f")"
	done
done
if [ -n "$gen" ]; then
	"$gen" -o "$work/frames.pcap" --seeds "$work/frames" >/dev/null
	/usr/bin/python3 - "$work/frames" "$work/seeds" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), 'rb') as f:
        frame = f.read()
    with open(os.path.join(dst, 'frame-' + name), 'wb') as f:
        f.write(bytes(5) + frame)
PY
fi
echo "$(ls "$work/seeds" | wc -l) seeds"
if [ "$mode" = replay ]; then
	"$bin" "$work/seeds" 2>"$work/log" || { tail -n 40 "$work/log"; exit 1; }
	exit 0
fi
cd "$work"
rc=0
"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=4096 \
	-print_final_stats=1 -artifact_prefix="$work/" new seeds || rc=$?
if [ "$rc" -ne 0 ]; then
	mkdir -p "$out/fuzz-artifacts"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -f "$f" ] || continue
		cp "$f" "$out/fuzz-artifacts/"
		echo "failing input $out/fuzz-artifacts/$(basename "$f"):"
		od -An -tx1 -v "$f"
	done
	exit "$rc"
fi
echo "$(ls new | wc -l) new inputs found"
