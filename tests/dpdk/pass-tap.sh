#!/bin/bash
# SPDX-License-Identifier: MIT
# PASS through the exception path: pathlab-dpdk on one net_af_xdp port with
# --pass-tap; the DUT's own stack lives on the net_tap interface. Host A
# pings the DUT and sends UDP to it: ARP, ICMP and UDP 5353 are PASS, go up
# through the tap, and the kernel's answers come back down the tap and out
# the port; UDP 9 is dropped by the ACL and never reaches the DUT's socket.
# A pl-topo pair without IPv6 or static neighbours (ARP crosses the port);
# the DUT's address moves from its port to the tap:
#   gen  GEN_IF GEN_IP4 ── DUT_IN_IF [pathlab-dpdk] ⇄ tap TAP DUT_IN_IP4  dut
#   pass-tap.sh PATHLAB_DPDK
set -u
DPDK=$1
PL_TAG=dp
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "namespaces, AF_XDP, TAP"
command -v dpdk-telemetry.py >/dev/null || skip "dpdk-telemetry.py not installed (dpdk package)"
PREFIX=plt-m-pt$$
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
T=$PL_TMP
DUT=''
cleanup() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_defer cleanup
pl_on_fail() { echo "--- pathlab-dpdk output:"; grep -v '^libbpf: elf' "$T/dut.log"; }

pl_topo_up pass --topo pair --ipv6 off --neigh dynamic
NS_A=$GEN_NS NS_X=$NS_DUT IF_A1=$DUT_IN_IF TAP=${PL_PREFIX}t IP_X=$DUT_IN_IP4
# the DUT's own stack lives on the tap, not on the port
ip -n "$NS_X" addr flush dev "$IF_A1"
pl_ethtool GEN tx off
pl_ethtool DUT_IN tx off
printf 'mode policy\nacl drop proto udp dport 9\nacl default pass\ndefault pass\n' >"$T/p.policy"

"$PL_TOPO" exec "$PL_TOPO_NAME" dut -- \
	"$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=error -- \
	--iface $IF_A1 --pass-tap $TAP --policy "$T/p.policy" --duration 60 >"$T/dut.log" 2>&1 &
DUT=$!
for _ in $(seq 300); do grep -q 'port(s)' "$T/dut.log" && break; kill -0 $DUT 2>/dev/null || fail "exited early"; sleep 0.1; done
grep -q 'port(s)' "$T/dut.log" || fail "did not start in 30 s"
ip -n $NS_X link show $TAP >/dev/null 2>&1 || fail "no exception interface $TAP"
ip -n $NS_X addr add "$IP_X/24" dev $TAP
ip -n $NS_X link set $TAP up
ip netns exec $NS_X $PY -c '
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[2], 0))
socks = []
for p in (5353, 9):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[2], p)); socks.append(s)
import select
out = open(sys.argv[1], "a", buffering=1)
out.write("ready\n")
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        s.recvfrom(2048); out.write("udp %d\n" % s.getsockname()[1])' "$T/host.log" "$IP_X" &
pl_track $!
for _ in $(seq 50); do grep -q ready "$T/host.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5

ip netns exec $NS_A ping -c 3 -i 0.3 -W 2 "$IP_X" >"$T/ping" || fail "ping A -> the DUT's stack through the tap: $(tail -2 "$T/ping")"
echo "ok: ping reaches the DUT's own stack (ARP and ICMP PASS up the tap, replies out the port)"
ip netns exec $NS_A $PY -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (5353, 9):
    for i in range(10):
        u.sendto(b"pathlab", (sys.argv[1], p)); time.sleep(0.005)' "$IP_X"
sleep 1
got=$(grep -c 'udp 5353' "$T/host.log")
[ "$got" = 10 ] || fail "the DUT's socket got $got of 10 PASS datagrams (UDP 5353)"
echo "ok: 10 UDP 5353 datagrams reached the DUT's socket through the tap"
grep -q 'udp 9$' "$T/host.log" && fail "UDP 9 reached the DUT's socket: the ACL did not drop it"
echo "ok: UDP 9 dropped before the tap"

C=$(echo /pathlab/counters | timeout 10 dpdk-telemetry.py -f $PREFIX 2>/dev/null | grep '"/pathlab/counters"' |
	$PY -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["/pathlab/counters"]))') || fail "telemetry"
val() { $PY -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], -1))" "$C" "$1"; }
[ "$(val dpdk_pass_to_host)" = "$(val verdict_pass)" ] || fail "pass_to_host $(val dpdk_pass_to_host) != verdict_pass $(val verdict_pass)"
[ "$(val verdict_pass)" -ge 14 ] || fail "verdict_pass $(val verdict_pass): want 3 echo requests + 10 datagrams + at least 1 ARP"
[ "$(val dpdk_host_to_wire)" -ge 3 ] || fail "dpdk_host_to_wire $(val dpdk_host_to_wire): the echo replies"
[ "$(val acl_drop)" = 10 ] || fail "acl_drop $(val acl_drop), sent 10 UDP 9"
echo "ok: counters: pass=$(val verdict_pass) to_host=$(val dpdk_pass_to_host) host_to_wire=$(val dpdk_host_to_wire) acl_drop=$(val acl_drop)"

kill -INT $DUT; wait $DUT; rc=$?; DUT=
[ $rc = 0 ] || fail "exit $rc after SIGINT"
ip -n $NS_X link show $TAP >/dev/null 2>&1 && fail "tap $TAP left"
ip -n $NS_X link show $IF_A1 | grep -q 'prog/xdp' && fail "XDP program left on $IF_A1"
[ -e "/var/run/dpdk/$PREFIX" ] && fail "EAL runtime directory left"
echo "ok: clean shutdown (exit 0, tap gone, nothing attached)"
