#!/bin/bash
# SPDX-License-Identifier: MIT
# --hybrid start-up: the kernel program must never judge a frame without its
# configuration. Host A sends UDP port 9 frames into the DUT's first port
# without a pause from before pathlab-dpdk starts; the policy drops them.
# An unconfigured program passes every frame (all-zero configuration), so
# one frame judged in a window between the PMD's attach and the policy
# would show as a PASS in the program's own counters (/pathlab/xdp, read
# with dpdk-telemetry.py). Wanted: hundreds of frames judged, every one
# dropped by the ACL, none passed. Then a clean SIGINT exit.
#   hybrid-startup.sh PATHLAB_DPDK
set -u
DPDK=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=dhs
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$HERE/../lib/lib.sh"
require_root "namespaces, AF_XDP"
require_tool dpdk-telemetry.py
PY=/usr/bin/python3
PREFIX=plt-d-st$$
DUT='' SENDER=''
cleanup() {
	[ -n "$SENDER" ] && kill "$SENDER" 2>/dev/null
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_defer cleanup
pl_on_fail() { echo "--- pathlab-dpdk output:"; grep -v '^libbpf: elf' "$PL_TMP/dut.log"; }

pl_d_topo_up || fail "topology"
printf 'mode policy\nacl drop proto udp dport 9\nacl default pass\n' >"$PL_TMP/drop9.policy"

# 20 UDP datagrams per millisecond from host A to port 9, until killed
# (bounded by timeout); a static neighbour entry: no ARP needed before the DUT runs
ip -n "$NS_A" neigh replace "$IP_B" lladdr 02:00:00:00:00:02 dev "$IF_A0"
ip netns exec "$NS_A" timeout 100 $PY -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    for _ in range(20):
        try:
            u.sendto(b"plt-hybrid-startup", (sys.argv[1], 9))
        except OSError:
            pass
    time.sleep(0.001)
' "$IP_B" &
SENDER=$!
sleep 0.5

"${PL_D_IN_DUT[@]}" "$DPDK" -l 0 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=warning -- \
	--iface "$IF_A1" --iface "$IF_B1" --hybrid --policy "$PL_TMP/drop9.policy" --stats-interval 0 \
	--duration 60 >"$PL_TMP/dut.log" 2>&1 &
DUT=$!
for _ in $(seq 300); do grep -q 'port(s)' "$PL_TMP/dut.log" && break; kill -0 $DUT 2>/dev/null || fail "pathlab-dpdk exited early"; sleep 0.1; done
grep -q 'port(s)' "$PL_TMP/dut.log" || fail "pathlab-dpdk did not start in 30 s"
sleep 1

K=$(echo /pathlab/xdp | timeout 10 dpdk-telemetry.py -f $PREFIX 2>/dev/null | grep '"/pathlab/xdp"') ||
	fail "dpdk-telemetry.py /pathlab/xdp"
kval() { $PY -c "import json,sys; print(json.loads(sys.argv[1])['/pathlab/xdp'].get(sys.argv[2], -1))" "$K" "$1"; }
rx=$(kval rx_packets) pass=$(kval verdict_pass) drop=$(kval verdict_drop) acl=$(kval acl_drop)
echo "kernel programs: rx=$rx pass=$pass drop=$drop acl_drop=$acl"
[ "$rx" -ge 100 ] || fail "the kernel programs judged $rx frames: the sender did not run"
[ "$pass" = 0 ] || fail "the kernel programs passed $pass of $rx frames: they ran before their configuration was written"
[ "$acl" = "$rx" ] || fail "acl_drop $acl != rx $rx: some frame was not judged by the ACL"
ok "from the first frame on, the kernel programs ran with the policy ($rx frames, all dropped by the ACL)"

kill "$SENDER"; SENDER=
kill -INT $DUT
wait $DUT; rc=$?
DUT=
[ $rc = 0 ] || fail "pathlab-dpdk exited $rc after SIGINT"
for i in $IF_A1 $IF_B1; do [ -z "$(pl_d_xdp_id "$i")" ] || fail "XDP program $(pl_d_xdp_id "$i") left on $i"; done
ok "clean shutdown (exit 0, nothing attached)"
pl_done
