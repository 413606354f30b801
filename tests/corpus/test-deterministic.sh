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
n=$(grep -vc '^#' "$tmp/a.index")
# An independent reader agrees: tcpdump (libpcap) reads every frame, and its
# checksum verification finds no bad IP/TCP/UDP/ICMP checksum in the
# well-formed classes (the malformed classes corrupt fields on purpose).
if command -v tcpdump >/dev/null; then
	got=$(tcpdump -nr "$built" 2>/dev/null | wc -l)
	[ "$got" -eq "$n" ] || { echo "tcpdump reads $got frames, the index lists $n" >&2; exit 1; }
	"$gen" -o "$tmp/good.pcap" -c shapes -c tcp -c udp -c icmp -c vlan -c arp -c frag -c prefixes
	bad=$(tcpdump -nvvr "$tmp/good.pcap" 2>&1 | grep -ci 'bad cksum\|incorrect' || true)
	[ "$bad" -eq 0 ] || { tcpdump -nvvr "$tmp/good.pcap" 2>&1 | grep -i -B1 'bad cksum\|incorrect' >&2; exit 1; }
	echo "tcpdump: $got frames read, well-formed classes have correct checksums"
else
	echo "tcpdump not installed: cross-check skipped (the rest ran)"
fi
echo "corpus: $n frames, deterministic"
