#!/bin/bash
# SPDX-License-Identifier: MIT
# DPDK replay parity: every corpus frame through pathlab-dpdk on net_pcap
# (--no-huge, one lcore, the replay clock) under every corpus policy; the
# plres file it writes must match pathlab-replay's native build frame for
# frame (verdict, out_port, output bytes).
#   parity.sh PATHLAB_DPDK PATHLAB_REPLAY|"" CORPUS.pcap POLICY...
set -u
DPDK=$1 REPLAY=$2 PCAP=$3
shift 3
PL_TAG=par
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
[ -n "$REPLAY" ] && [ -x "$REPLAY" ] ||
	skip "pathlab-replay is not in this build (it needs -Dxdp enabled and libpcap); nothing to compare the DPDK results with"
T=$PL_TMP
EAL=$PL_PREFIX
pl_own path "/var/run/dpdk/$EAL"
# every frame of 14 bytes or more is replayed, jumbo frames in one mbuf
want=$(awk -F'\t' '!/^#/ && $3 >= 14' "${PCAP%.pcap}.index" | wc -l)
for pol in "$@"; do
	name=$(basename "$pol" .policy)
	if ! timeout 60 "$DPDK" -l 0 --no-huge -m 256 --no-pci --no-telemetry --log-level=error \
		--file-prefix "$EAL" \
		--vdev "net_pcap0,rx_pcap=$PCAP,tx_pcap=$T/$name.out.pcap" -- \
		--replay --policy "$pol" --results-out "$T/$name.plres" --pcap-name "$(basename "$PCAP")" \
		>"$T/$name.log" 2>&1; then
		cat "$T/$name.log"; bad "$name: pathlab-dpdk exited non-zero"; continue
	fi
	frames=$(grep -vc '^#' "$T/$name.plres")
	if [ "$frames" != "$want" ]; then
		bad "$name: $frames frames replayed, want $want (jumbo frames too)"; continue
	fi
	if timeout 120 "$REPLAY" -q --policy "$pol" --against "$T/$name.plres" "$PCAP" >"$T/$name.cmp" 2>&1; then
		ok "$name: $frames frames, identical verdicts and bytes (native vs dpdk)"
	else
		head -40 "$T/$name.cmp"; bad "$name: verdicts or bytes differ"
	fi
done
pl_done "dpdk replay parity"
