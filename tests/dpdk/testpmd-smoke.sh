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
PL_TAG=dt
# the wire of the DPDK tests (tests/lib/lib.sh through it)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
require_root "namespaces, AF_XDP"
require_tool dpdk-testpmd
PREFIX=plt-m-tp$$
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
T=$PL_TMP
pl_defer rm -rf "/var/run/dpdk/$PREFIX"
pl_on_fail() { echo "--- testpmd.sh output:"; cat "$T/out"; }

# A and B know each other's MAC: no ARP needed through testpmd
pl_d_topo_up --neigh static

# host B counts UDP 7000; host A sends 1000/s until killed
ip netns exec $NS_B $PY -c '
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 7000)); n = 0
while True:
    u.recvfrom(2048); n += 1
    open(sys.argv[1], "w").write("%d\n" % n)' "$T/recv" &
pl_track $!
ip netns exec $NS_A $PY -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    u.sendto(b"pathlab", (sys.argv[1], 7000)); time.sleep(0.001)' "$IP_B" &
pl_track $!

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
