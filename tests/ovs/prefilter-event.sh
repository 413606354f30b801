#!/bin/bash
# SPDX-License-Identifier: MIT
# The XDP pre-filter across Open vSwitch reconfigurations, with traffic: the
# core owns the interface's XDP hook (a pinned bpf_link OVS cannot detach)
# and libxdp binds OVS's new sockets into the core's xsks_map, so every
# frame meets the core before, during and after OVS reconfigures the port
# in place (options:use-need-wakeup) and after the port is removed and
# added again, while a host sends UDP to a dropped port (5001) and an
# allowed one (5002) the whole time. No OpenFlow backstop behind it.
#   prefilter-event.sh SRCDIR BUILDDIR
# Topology: ns plt-oe0 [plt-oeh0 10.75.0.1] -- [plt-oep0] OVS (afxdp) [plt-oep1] -- [plt-oeh1 10.75.0.2] ns plt-oe1
# Checks: no datagram to 5001 reaches the receiver; the core's acl_drop equals what was sent to
# 5001 exactly (not one frame went past the core: none to OVS unfiltered, none to the kernel
# without a program); the program on the interface is the same one throughout; afterwards OVS's
# new socket is bound into the core's map (a burst to 5002 arrives whole, 5001 none). Then
# REDIRECT in front of OVS: with `forward redirect from P1 to P0` the allowed datagrams leave
# through P0 from XDP, past OVS, all of them arrive, and the core's redirect counter equals what
# was sent.
set -u
SRC=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
NS0=plt-oe0 NS1=plt-oe1 P0=plt-oep0 P1=plt-oep1 BR=plt-oebr
IP0=10.75.0.1
PPS=400 NR=300
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$HERE/../lib/lib.sh"
require_root "namespaces, AF_XDP"
require_tool ovs-vswitchd
[ -x "$BUILD/xdp/pathlab-xdp" ] || fail "$BUILD/xdp/pathlab-xdp not built"
RUN=$PL_TMP/ovs
ovs() { "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge $BR --wait 30 "$@"; }
cleanup() {
	[ -d "$BUILD/meson-logs" ] && cp "$RUN/ovs-vswitchd.log" "$BUILD/meson-logs/ovs-prefilter-event-vswitchd.log" 2>/dev/null
	ovs stop >/dev/null 2>&1
	ip netns del $NS0 2>/dev/null
	ip netns del $NS1 2>/dev/null
	rm -rf "/sys/fs/bpf/pathlab/ovs-$P0" "/sys/fs/bpf/pathlab/ovs-$P1"
}
pl_defer cleanup
cleanup
mkdir -p "$RUN"
mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf
for i in 0 1; do
	ns=plt-oe$i
	ip netns add $ns || fail "netns $ns"
	ip link add plt-oep$i type veth peer name plt-oeh$i netns $ns || fail "veth"
	ip -n $ns addr add 10.75.0.$((i + 1))/24 dev plt-oeh$i
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n $ns link set plt-oeh$i up
	ip netns exec $ns ethtool -K plt-oeh$i tx off >/dev/null
	sysctl -qw net.ipv6.conf.plt-oep$i.disable_ipv6=1
	ip link set plt-oep$i up
done
# the sender never waits for ARP (whose answers cannot cross while the port is out of OVS):
# every datagram it sends is a frame on the wire into P1
ip -n $NS1 neigh replace $IP0 lladdr "$(ip -n $NS0 -br link show plt-oeh0 | awk '{ print $3 }')" dev plt-oeh1 nud permanent
cat >"$PL_TMP/acl.policy" <<'P'
mode policy
acl drop proto udp dport 5001
acl default pass
P
out=$(ovs start 2>&1) || fail "pl-ovs start: $out"
for p in $P0 $P1; do out=$(ovs add-port $p 2>&1) || fail "add-port $p: $out"; done
out=$(ovs --policy "$PL_TMP/acl.policy" prefilter attach $P1 2>&1) || fail "prefilter attach: $out"
ok "pre-filter on $P1 (drop udp 5001), nothing behind it in OVS (NORMAL)"
ip netns exec $NS1 ping -c 3 -i 0.2 -W 2 $IP0 >/dev/null && ok "ping across the bridge" || bad "ping across the bridge"
core_counter() { "$BUILD/xdp/pathlab-xdp" status "$1" -v 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'; }
# NR datagrams to 5001 and to 5002 from NS1; prints "5001=X 5002=Y" as received in NS0.
burst() {
	ip netns exec $NS0 timeout 20 /usr/bin/python3 "$HERE/udp.py" recv $IP0 5001,5002 8 >"$PL_TMP/$1" &
	local rp=$!
	for _ in $(seq 100); do grep -q ready "$PL_TMP/$1" 2>/dev/null && break; sleep 0.05; done
	ip netns exec $NS1 timeout 20 /usr/bin/python3 "$HERE/udp.py" send $IP0 5001,5002 $NR
	wait $rp
	tail -1 "$PL_TMP/$1"
}
prog_id() { ip -d link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1; }
id0=$(prog_id $P1) d0=$(core_counter $P1 acl_drop)

ip netns exec $NS0 timeout 120 /usr/bin/python3 "$HERE/udp.py" recv $IP0 5001,5002 120 120 >"$PL_TMP/recv.out" &
RPID=$!
for _ in $(seq 100); do grep -q ready "$PL_TMP/recv.out" 2>/dev/null && break; sleep 0.05; done
ip netns exec $NS1 timeout 120 /usr/bin/python3 "$HERE/udp.py" stream $IP0 5001,5002 100 $PPS >"$PL_TMP/sent.out" &
SPID=$!
pl_track $SPID
for _ in $(seq 100); do grep -q sending "$PL_TMP/sent.out" 2>/dev/null && break; sleep 0.05; done
sleep 1
# the reconfigurations, while the host sends (ovs-vsctl returns once ovs-vswitchd applied each):
# in place (OVS destroys its socket, tries to detach the program, creates a socket again) ...
ovs vsctl -- --timeout=30 set interface $P1 options:use-need-wakeup=false || bad "ovs-vsctl set use-need-wakeup"
# ... and the port removed from OVS and added again
ovs vsctl -- --timeout=30 del-port $BR $P1 || bad "ovs-vsctl del-port $P1"
ovs vsctl -- --timeout=30 add-port $BR $P1 -- set interface $P1 type=afxdp options:xdp-mode=native ||
	bad "ovs-vsctl add-port $P1"
ok "$P1 reconfigured in place, then removed from OVS and added again, during the traffic"
sleep 1
kill -TERM $SPID
wait $SPID
sleep 0.5 # the last datagrams in flight
kill -TERM $RPID
wait $RPID
sent=$(grep -F '=' "$PL_TMP/sent.out") got=$(tail -1 "$PL_TMP/recv.out")
echo "sent: $sent; received: $got"
s1=$(echo "$sent" | sed -n 's/.*5001=\([0-9]*\).*/\1/p')
g1=$(echo "$got" | sed -n 's/.*5001=\([0-9]*\).*/\1/p')
[ "${g1:-x}" = 0 ] && ok "no datagram to the dropped port passed, before, during or after the reconfigurations" ||
	bad "${g1:-?} datagram(s) to udp 5001 passed unfiltered"
d1=$(core_counter $P1 acl_drop)
[ "$((d1 - d0))" = "${s1:-x}" ] && ok "core acl_drop +$((d1 - d0)) = the $s1 sent to 5001: every frame met the core" ||
	bad "core acl_drop +$((d1 - d0)), sent ${s1:-?} to 5001: frames went past the core"
id1=$(prog_id $P1)
[ -n "$id0" ] && [ "$id1" = "$id0" ] && ok "the same program (id $id0) on $P1 throughout" ||
	bad "program on $P1: id ${id0:-none} before, ${id1:-none} after"
n=$(grep -c "Failed to detach XDP program" "$RUN/ovs-vswitchd.log")
echo "OVS tried to detach the program $n time(s) and could not (a link-held program)"
st=$("$BUILD/xdp/pathlab-xdp" status $P1 2>&1)
echo "$st" | grep -q "in front of Open vSwitch" && ok "status: in front of Open vSwitch" || bad "status: $st"
# OVS's new socket is in the core's map: a burst arrives whole
got=$(burst recv1.out)
[ "$got" = "5001=0 5002=$NR" ] && ok "after the re-add, OVS's new socket behind the core: $got" ||
	bad "after the re-add: expected 5001=0 5002=$NR, got $got"
d2=$(core_counter $P1 acl_drop)
[ "$((d2 - d1))" = $NR ] && ok "core acl_drop +$NR" || bad "core acl_drop +$((d2 - d1)), sent $NR"
# REDIRECT in front of OVS: the pre-filter sends what it does not drop straight out of the
# other port (devmap), past OVS
cat "$PL_TMP/acl.policy" >"$PL_TMP/redirect.policy"
echo "forward redirect from $P1 to $P0" >>"$PL_TMP/redirect.policy"
# a veth is an XDP_REDIRECT target only when its peer has GRO or an XDP program
ip netns exec $NS0 ethtool -K plt-oeh0 gro on >/dev/null
out=$(ovs prefilter policy $P1 "$PL_TMP/redirect.policy" 2>&1) || bad "prefilter policy (redirect): $out"
r0=$(core_counter $P1 verdict_redirect) d0=$(core_counter $P1 acl_drop)
p0=$(core_counter $P1 verdict_pass) u0=$(core_counter $P1 verdict_user)
got=$(burst recv2.out)
r1=$(core_counter $P1 verdict_redirect) d1=$(core_counter $P1 acl_drop)
p1=$(core_counter $P1 verdict_pass) u1=$(core_counter $P1 verdict_user)
[ "$got" = "5001=0 5002=$NR" ] && ok "REDIRECT in front of OVS: $got" || bad "REDIRECT: expected 5001=0 5002=$NR, got $got"
[ $((r1 - r0)) = $NR ] && [ $((d1 - d0)) = $NR ] && ok "core: verdict_redirect +$((r1 - r0)), acl_drop +$((d1 - d0)) (sent $NR each)" ||
	bad "core: verdict_redirect +$((r1 - r0)), acl_drop +$((d1 - d0)), sent $NR each"
# (OVS's port counters of an afxdp port are the kernel's, which count XDP transmissions too)
[ $((p1 - p0 + u1 - u0)) = 0 ] && ok "nothing handed to OVS's socket meanwhile (verdict_pass, verdict_user +0): the frames went past OVS" ||
	bad "verdict_pass +$((p1 - p0)), verdict_user +$((u1 - u0)): frames went to OVS"

out=$(ovs stop 2>&1) || bad "stop: $out"
pgrep -f "$RUN" >/dev/null && bad "process left: $(pgrep -a -f "$RUN")" || ok "nothing left running"
pl_done "ovs-prefilter-event"
