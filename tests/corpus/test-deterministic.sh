#!/usr/bin/env bash
# The corpus is deterministic: generating it again gives the same bytes as
# the build's copy. Usage: test-deterministic.sh PL_MKCORPUS CORPUS.pcap
set -eu
gen=$1 built=$2
tmp=$(mktemp -d /tmp/plt-u-corpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$gen" -o "$tmp/a.pcap" --index "$tmp/a.index"
cmp "$tmp/a.pcap" "$built"
# --help tells the truth: every option it lists is accepted
"$gen" --help | grep -q -- '--seeds'
"$gen" --list | grep -q '^truncated'
if "$gen" --class nope -o "$tmp/b.pcap" 2>"$tmp/err"; then
	echo "unknown class accepted" >&2
	exit 1
fi
grep -q "unknown class 'nope'" "$tmp/err"
echo "corpus: $(grep -vc '^#' "$tmp/a.index") frames, deterministic"
