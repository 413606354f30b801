#!/bin/bash
# SPDX-License-Identifier: MIT
# Multi-queue: pathlab-dpdk --queues 2 with two worker lcores on a net_tap
# port (the kernel's multi-queue TUN spreads flows over the queues by hash,
# as RSS on a NIC; net_af_xdp on veth cannot: DPDK 22.11's PMD wants
# "combined" channels, which a veth does not report). 64 UDP flows are sent
# into the tap; every frame must reach the core (rx = sent, each given the
# policy's DROP), both queues must have received some (xstats rx_q0/rx_q1),
# and SIGINT must end it cleanly (exit 0, tap gone, no EAL runtime dir).
# It runs in the DUT namespace of a pl-topo pair without IPv6 (the pair's
# veth carries nothing here).
#   multiqueue.sh PATHLAB_DPDK
set -u
DPDK=$1
PL_TAG=dq
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "namespace, TAP"
T=$PL_TMP
DUT=
PREFIX=plt-m-q$$
cleanup() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_defer cleanup
pl_on_fail() { echo "--- pathlab-dpdk output:"; cat "$T/dut.log"; }
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
N_FLOWS=64 PER_FLOW=4

pl_topo_up mq --topo pair --ipv6 off
NS=$NS_DUT TAP=${PL_PREFIX}q
printf 'mode policy\ndefault drop\n' >"$T/drop.policy"
# two worker lcores share CPU 1 (the machine may have only 2): lcore 0 prints
ip netns exec $NS "$DPDK" --lcores '0@0,1@1,2@1' --no-huge -m 512 --no-pci --file-prefix $PREFIX \
	--log-level=error --vdev net_tap0,iface=$TAP -- --queues 2 --policy "$T/drop.policy" \
	--xstats --duration 60 >"$T/dut.log" 2>&1 &
DUT=$!
for _ in $(seq 150); do grep -q 'port(s)' "$T/dut.log" && break; kill -0 $DUT 2>/dev/null || fail "exited early"; sleep 0.1; done
grep -q '2 queue(s) each, 3 lcore(s)' "$T/dut.log" || fail "not started with 2 queues and 3 lcores"
echo "ok: $(grep -o '[0-9]* port(s).*lcore(s)' "$T/dut.log")"
ip -n $NS addr add 10.81.0.1/24 dev $TAP && ip -n $NS link set $TAP up || fail "tap $TAP"
ip -n $NS neigh replace 10.81.0.2 lladdr 02:00:00:00:00:09 dev $TAP nud permanent
sleep 0.5
ip netns exec $NS $PY -c '
import socket, sys, time
for p in range(int(sys.argv[1])):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(int(sys.argv[2])):
        u.sendto(b"pathlab", ("10.81.0.2", 7000 + p)); time.sleep(0.001)
' $N_FLOWS $PER_FLOW
sleep 1.5
kill -INT $DUT
wait $DUT
rc=$?
DUT=
[ $rc = 0 ] || fail "exit $rc after SIGINT"
N=$((N_FLOWS * PER_FLOW))
total=$(grep '^\[dpdk\] total' "$T/dut.log")
echo "$total"
# the tap may also carry the kernel's own frames (none here: no IPv6, static neighbour)
rx=$(echo "$total" | sed -n 's/.* rx=\([0-9]*\) drop=\([0-9]*\) .*/\1 \2/p')
[ "$rx" = "$N $N" ] || fail "rx/drop = $rx, sent $N (each frame once through the core, DROP)"
x=$(grep 'port 0 (net_tap0) xstats' "$T/dut.log" | tail -1)
q0=$(echo "$x" | sed -n 's/.* rx_q0_packets=\([0-9]*\).*/\1/p')
q1=$(echo "$x" | sed -n 's/.* rx_q1_packets=\([0-9]*\).*/\1/p')
[ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ] || fail "queues not both used: rx_q0=${q0:-0} rx_q1=${q1:-0}"
echo "ok: $N frames over queue 0 ($q0) and queue 1 ($q1), each through the core once"
ip netns exec $NS ip link show $TAP >/dev/null 2>&1 && fail "tap $TAP left"
[ -e "/var/run/dpdk/$PREFIX" ] && fail "EAL runtime directory left"
echo "ok: clean shutdown (exit 0, tap gone, no runtime directory)"
