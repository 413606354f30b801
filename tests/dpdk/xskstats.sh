#!/bin/bash
# SPDX-License-Identifier: MIT
# pathlab-dpdk's own counters and its AF_XDP sockets' XDP_STATISTICS in the
# metrics, provoked: pathlab-dpdk forwards host A -> host B on two
# net_af_xdp ports; bench/pl-gen floods A's veth for 2 s and pathlab-dpdk is
# stopped (SIGSTOP) for 0.7 s in the middle, so the kernel fills the input
# socket's rings and then has to drop. Checks, on /metrics after the flood:
#   - pathlab_dpdk_xdp_<field>_total for each XDP_STATISTICS field, on both
#     interfaces' queue 0;
#   - the input socket counted the drops the stop provoked:
#     rx_dropped > 0 and rx_ring_full + rx_fill_ring_empty_descs > 0;
#   - the TX counters per queue are there and consistent: every REDIRECT was
#     sent or counted lost (pathlab_dpdk_tx_sent + pathlab_dpdk_tx_lost =
#     pathlab_packets_total{verdict="redirect"});
#   - the exit line [dpdk-xsk] prints the same kernel numbers.
#   xskstats.sh PATHLAB_DPDK PL_GEN
set -u
DPDK=$1 GEN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=dx
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
require_root "namespaces, AF_XDP"
for b in "$DPDK" "$GEN"; do [ -x "$b" ] || fail "$b not built"; done
T=$PL_TMP
PREFIX=plt-d-xs$$
PORT=19891
DUT=
cleanup() {
	[ -n "$DUT" ] && kill -CONT "$DUT" 2>/dev/null && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_defer cleanup
pl_on_fail() { echo "--- pathlab-dpdk output:"; grep -v '^libbpf: elf' "$T/dut.log"; }

pl_d_topo_up
printf 'mode policy\nforward redirect from %s to %s\n' $IF_A1 $IF_B1 >"$T/fwd.policy"
"${PL_D_IN_DUT[@]}" "$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=warning -- \
	--iface $IF_A1 --iface $IF_B1 --policy "$T/fwd.policy" --stats-interval 0 --duration 60 \
	--metrics 127.0.0.1:$PORT >"$T/dut.log" 2>&1 &
DUT=$!
for _ in $(seq 300); do grep -q 'port(s)' "$T/dut.log" && break; kill -0 $DUT 2>/dev/null || fail "pathlab-dpdk exited early"; sleep 0.1; done
grep -q 'port(s)' "$T/dut.log" || fail "pathlab-dpdk did not start in 30 s"
MAC=$(ip -n $NS_X -br link show $IF_A1 | awk '{print $3}')

pl_stall_under_load $DUT 0.6 0.7 ip netns exec $NS_A timeout 20 "$GEN" -i $IF_A0 --dst-mac "$MAC" -p udp:1 -d 2 \
	--cpu 0 >"$T/gen.txt" 2>&1 || fail "pl-gen failed: $(cat "$T/gen.txt")"
sleep 1
M=$(pl_scrape $NS_X $PORT) || fail "no /metrics on port $PORT"
mval() { pl_mval "$M" "$@"; }
echo "$M" | grep -E '^pathlab_dpdk_(xdp_|tx_)' | sed 's/^/# /'

for f in rx_dropped rx_invalid_descs tx_invalid_descs rx_ring_full rx_fill_ring_empty_descs tx_ring_empty_descs; do
	for i in $IF_A1 $IF_B1; do
		[ "$(mval pathlab_dpdk_xdp_${f}_total "iface=\"$i\",queue=\"0\"")" -ge 0 ] ||
			fail "no pathlab_dpdk_xdp_${f}_total for $i queue 0"
	done
done
echo "ok: every XDP_STATISTICS field served for both sockets"
drop=$(mval pathlab_dpdk_xdp_rx_dropped_total "iface=\"$IF_A1\"")
full=$(mval pathlab_dpdk_xdp_rx_ring_full_total "iface=\"$IF_A1\"")
empty=$(mval pathlab_dpdk_xdp_rx_fill_ring_empty_descs_total "iface=\"$IF_A1\"")
[ "$drop" -gt 0 ] && [ $((full + empty)) -gt 0 ] ||
	fail "the stop provoked no socket drops on $IF_A1: rx_dropped=$drop rx_ring_full=$full fill_ring_empty=$empty"
echo "ok: $IF_A1's socket counted the provoked drops: rx_dropped=$drop rx_ring_full=$full fill_ring_empty=$empty"
sent=$(mval pathlab_dpdk_tx_sent_total 'queue="0"')
lost=$(mval pathlab_dpdk_tx_lost_total 'queue="0"')
red=$(mval pathlab_packets_total 'verdict="redirect"')
[ "$sent" -gt 0 ] && [ "$lost" -ge 0 ] || fail "TX counters: sent=$sent lost=$lost"
[ $((sent + lost)) = "$red" ] || fail "redirect=$red but sent=$sent + lost=$lost"
echo "ok: TX per queue: $red redirected = $sent sent + $lost lost (TX ring full)"

kill -INT $DUT
wait $DUT
rc=$?
DUT=
[ $rc = 0 ] || fail "pathlab-dpdk exited $rc after SIGINT"
line=$(grep "^\[dpdk-xsk\] iface=$IF_A1 queue=0 " "$T/dut.log") || fail "no [dpdk-xsk] line for $IF_A1"
echo "# $line"
# the kernel's counters only grow: at exit at least what /metrics said
x=$(echo "$line" | grep -o ' xdp_rx_dropped=[0-9]*' | cut -d= -f2)
[ "${x:-0}" -ge "$drop" ] || fail "exit line rx_dropped=$x < metrics $drop"
echo "ok: the exit line carries the sockets' XDP_STATISTICS"
