#!/bin/bash
# pathlab-afxdp --replay: the worker's batch code fed from a pcap.
#   replay.sh PATHLAB_AFXDP SRCDIR BUILDDIR
# 1. Fixtures with known answers under examples/acl.policy (TCP 22 dropped,
#    TCP 80 passes, UDP passes, truncated IPv4 dropped as malformed) and the
#    plres format (header, one line per frame, index, verdict, out_port, hex).
# 2. Parity with the native and BPF builds: the corpus (tests/corpus) under
#    each of its policies through `pathlab-replay --against`.
set -u
BIN=$1 SRC=$2 BUILD=$3
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
WORK=$PL_TMP

/usr/bin/python3 - "$WORK/fix.pcap" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ipv4(proto, payload, src=b'\x0a\x00\x00\x01', dst=b'\x0a\x00\x00\x02'):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload
def eth(p, t=0x0800): return b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + struct.pack('!H', t) + p
def tcp(dport): return struct.pack('!HHIIBBHHH', 40000, dport, 1, 0, 0x50, 0x02, 65535, 0, 0)
def udp(dport): return struct.pack('!HHHH', 40000, dport, 12, 0) + b'abcd'
frames = [eth(ipv4(6, tcp(22))), eth(ipv4(6, tcp(80))), eth(ipv4(17, udp(53))),
          eth(ipv4(6, tcp(22))[:24])]
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack('<IIII', i, 0, len(fr), len(fr)) + fr)
PY
"$BIN" --replay "$WORK/fix.pcap" --policy "$SRC/examples/acl.policy" --results-out "$WORK/fix.plres" || bad "replay failed"
head -1 "$WORK/fix.plres" | grep -q '^# pathlab-results v1 build=afxdp policy=.* pcap=' || bad "bad header: $(head -1 "$WORK/fix.plres")"
got=$(tail -n +2 "$WORK/fix.plres" | cut -f1,2 | tr '\t\n' ': ')
want="0:drop 1:pass 2:pass 3:drop "
[ "$got" = "$want" ] && echo "ok: verdicts $got" || bad "verdicts '$got', want '$want'"
# The output bytes are the frame (unchanged here): frame 1 hex starts with its dst MAC.
sed -n 3p "$WORK/fix.plres" | cut -f4 | grep -q '^020000000002020000000001' || bad "frame bytes not written"
[ "$(tail -n +2 "$WORK/fix.plres" | awk -F'\t' 'NF != 4' | wc -l)" = 0 ] || bad "lines without 4 fields"

# Parity with the native and BPF builds over the corpus, every corpus policy.
REPLAY=$BUILD/replay/pathlab-replay
CORPUS=$BUILD/tests/corpus/corpus.pcap
if [ -x "$REPLAY" ] && [ -f "$CORPUS" ]; then
	n=0
	# every frame of 14 bytes or more is replayed, jumbo frames as chains
	want=$(awk -F'\t' '!/^#/ && $3 >= 14' "${CORPUS%.pcap}.index" | wc -l)
	for pol in "$SRC"/tests/corpus/*.policy; do
		"$BIN" --replay "$CORPUS" --policy "$pol" --results-out "$WORK/a.plres" 2>"$WORK/err.txt" ||
			{ bad "replay with $(basename "$pol"): $(cat "$WORK/err.txt")"; continue; }
		got=$(($(wc -l <"$WORK/a.plres") - 1))
		[ "$got" = "$want" ] || bad "$(basename "$pol"): $got frames replayed, want $want (jumbo frames too)"
		if "$REPLAY" -q -p "$pol" --against "$WORK/a.plres" "$CORPUS" >"$WORK/cmp.txt" 2>&1; then
			echo "ok: parity with $(basename "$pol") ($(($(wc -l <"$WORK/a.plres") - 1)) frames)"
		else
			bad "parity with $(basename "$pol"): $(grep -v '^ok' "$WORK/cmp.txt" | head -8)"
		fi
		n=$((n + 1))
	done
	[ $n -gt 0 ] || bad "no corpus policy found"
else
	echo "SKIP parity: $REPLAY or $CORPUS is not built"
	[ $fails = 0 ] && exit 77
fi
pl_done
