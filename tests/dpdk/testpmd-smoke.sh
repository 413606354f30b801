#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/testpmd.sh end to end (suite bench-smoke): dpdk-testpmd io and rxonly
# on two net_af_xdp veth ports between two namespaces, UDP flowing from A to
# B. Checks the common stats format, that io forwarded (rx > 0 and the
# REDIRECT column > 0, host B received datagrams) and rxonly dropped
# (DROP column > 0), exit 0, and nothing left (XDP program, runtime dir).
# Rates are printed, never asserted.
#   testpmd-smoke.sh TESTPMD_SH
set -u
TP=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, AF_XDP)"; exit 77; }
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed (Debian dpdk)"; exit 77; }
NS_A=plt-m-ta NS_B=plt-m-tb NS_X=plt-m-tx
IF_A0=plt-mta0 IF_A1=plt-mta1 IF_B0=plt-mtb0 IF_B1=plt-mtb1
PREFIX=plt-m-tp$$
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
T=$(mktemp -d /tmp/plt-m-tp.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for n in $NS_A $NS_B $NS_X; do ip netns del $n 2>/dev/null; done
	rm -rf "$T" "/var/run/dpdk/$PREFIX"
}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
pl_defer cleanup
pl_on_fail() { echo "--- testpmd.sh output:"; cat "$T/out"; }

for n in $NS_A $NS_B $NS_X; do
	ip netns del $n 2>/dev/null
	ip netns add $n || exit 1
	ip -n $n link set lo up
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add $IF_A0 netns $NS_A type veth peer name $IF_A1 netns $NS_X || exit 1
ip link add $IF_B0 netns $NS_B type veth peer name $IF_B1 netns $NS_X || exit 1
ip -n $NS_A addr add 10.83.0.1/24 dev $IF_A0
ip -n $NS_B addr add 10.83.0.2/24 dev $IF_B0
for l in "$NS_A $IF_A0" "$NS_B $IF_B0" "$NS_X $IF_A1" "$NS_X $IF_B1"; do
	set -- $l
	ip netns exec $1 ethtool -K $2 tx off >/dev/null 2>&1
	ip -n $1 link set $2 up
done
ip -n $NS_A neigh replace 10.83.0.2 lladdr "$(ip -n $NS_B -br link show $IF_B0 | awk '{print $3}')" dev $IF_A0 nud permanent

# host B counts UDP 7000; host A sends 1000/s until killed
ip netns exec $NS_B $PY -c '
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 7000)); n = 0
while True:
    u.recvfrom(2048); n += 1
    open(sys.argv[1], "w").write("%d\n" % n)' "$T/recv" &
PIDS+=($!)
ip netns exec $NS_A $PY -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    u.sendto(b"pathlab", ("10.83.0.2", 7000)); time.sleep(0.001)' &
PIDS+=($!)

timeout 100 "$TP" --mode io,rxonly --duration 4 --lcores 0,1 --netns $NS_X --prefix $PREFIX $IF_A1 $IF_B1 >"$T/out" 2>&1
rc=$?
grep '^\[testpmd' "$T/out"
[ $rc = 0 ] || fail "testpmd.sh exited $rc"
grep -Eq '^\[testpmd-io\] t=[0-9]+ rx=[0-9]+ drop=[0-9]+ pass=0 tx=[0-9]+ redirect=[0-9]+ user=0 aborted=0$' "$T/out" ||
	fail "no [testpmd-io] line in the common stats format"
io=$(sed -n 's/^\[testpmd-io\] mean rx=\([0-9]*\) .* redirect=\([0-9]*\) .*/\1 \2/p' "$T/out")
set -- $io
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] || fail "io: mean rx=${1:-?} redirect=${2:-?}, traffic was flowing"
echo "ok: io forwarded (mean rx=$1 redirect=$2 pps)"
got=$(cat "$T/recv" 2>/dev/null || echo 0)
[ "$got" -gt 0 ] || fail "host B received nothing through testpmd io"
echo "ok: host B received $got datagrams through testpmd"
rx=$(sed -n 's/^\[testpmd-rxonly\] mean rx=\([0-9]*\) drop=\([0-9]*\) .*/\1 \2/p' "$T/out")
set -- $rx
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" = "$1" ] || fail "rxonly: mean rx=${1:-?} drop=${2:-?}"
echo "ok: rxonly dropped what it received (mean $1 pps)"
ip -n $NS_X link show | grep -q 'prog/xdp' && fail "XDP program left on a port"
[ -e "/var/run/dpdk/$PREFIX" ] && fail "EAL runtime directory left"
echo "ok: nothing left"
