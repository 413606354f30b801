#!/bin/bash
# SPDX-License-Identifier: MIT
# PASS through the exception path: pathlab-dpdk on one net_af_xdp port with
# --pass-tap; the DUT's own stack lives on the net_tap interface. Host A
# pings the DUT and sends UDP to it: ARP, ICMP and UDP 5353 are PASS, go up
# through the tap, and the kernel's answers come back down the tap and out
# the port; UDP 9 is dropped by the ACL and never reaches the DUT's socket.
#   ns plt-m-pa  plt-mpa0 10.84.0.1 ── plt-mpa1 [pathlab-dpdk] ⇄ tap plt-mpt 10.84.0.2  ns plt-m-px
#   pass-tap.sh PATHLAB_DPDK
set -u
DPDK=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, AF_XDP, TAP)"; exit 77; }
command -v dpdk-telemetry.py >/dev/null || { echo "SKIP: dpdk-telemetry.py not installed (dpdk package)"; exit 77; }
NS_A=plt-m-pa NS_X=plt-m-px IF_A0=plt-mpa0 IF_A1=plt-mpa1 TAP=plt-mpt
PREFIX=plt-m-pt$$
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
T=$(mktemp -d /tmp/plt-m-pt.XXXXXX)
DUT='' PIDS=()
cleanup() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	ip netns del $NS_A 2>/dev/null; ip netns del $NS_X 2>/dev/null
	rm -rf "$T" "/var/run/dpdk/$PREFIX"
}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
pl_defer cleanup
pl_on_fail() { echo "--- pathlab-dpdk output:"; grep -v '^libbpf: elf' "$T/dut.log"; }

for n in $NS_A $NS_X; do
	ip netns del $n 2>/dev/null
	ip netns add $n || exit 1
	ip -n $n link set lo up
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add $IF_A0 netns $NS_A type veth peer name $IF_A1 netns $NS_X || exit 1
ip -n $NS_A addr add 10.84.0.1/24 dev $IF_A0
ip netns exec $NS_A ethtool -K $IF_A0 tx off >/dev/null 2>&1
ip netns exec $NS_X ethtool -K $IF_A1 tx off >/dev/null 2>&1
ip -n $NS_A link set $IF_A0 up
ip -n $NS_X link set $IF_A1 up
printf 'mode policy\nacl drop proto udp dport 9\nacl default pass\ndefault pass\n' >"$T/p.policy"

ip netns exec $NS_X sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf; exec "$@"' sh \
	"$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=error -- \
	--iface $IF_A1 --pass-tap $TAP --policy "$T/p.policy" --duration 60 >"$T/dut.log" 2>&1 &
DUT=$!
for _ in $(seq 300); do grep -q 'port(s)' "$T/dut.log" && break; kill -0 $DUT 2>/dev/null || fail "exited early"; sleep 0.1; done
grep -q 'port(s)' "$T/dut.log" || fail "did not start in 30 s"
ip -n $NS_X link show $TAP >/dev/null 2>&1 || fail "no exception interface $TAP"
ip -n $NS_X addr add 10.84.0.2/24 dev $TAP
ip -n $NS_X link set $TAP up
ip netns exec $NS_X $PY -c '
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.84.0.2", 0))
socks = []
for p in (5353, 9):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.84.0.2", p)); socks.append(s)
import select
out = open(sys.argv[1], "a", buffering=1)
out.write("ready\n")
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        s.recvfrom(2048); out.write("udp %d\n" % s.getsockname()[1])' "$T/host.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$T/host.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5

ip netns exec $NS_A ping -c 3 -i 0.3 -W 2 10.84.0.2 >"$T/ping" || fail "ping A -> the DUT's stack through the tap: $(tail -2 "$T/ping")"
echo "ok: ping reaches the DUT's own stack (ARP and ICMP PASS up the tap, replies out the port)"
ip netns exec $NS_A $PY -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (5353, 9):
    for i in range(10):
        u.sendto(b"pathlab", ("10.84.0.2", p)); time.sleep(0.005)'
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
