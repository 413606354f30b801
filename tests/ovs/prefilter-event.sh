#!/bin/bash
# SPDX-License-Identifier: MIT
# The XDP pre-filter across an Open vSwitch reconfiguration, with traffic:
# `pl-ovs prefilter watch` reacts to the interface's XDP change notification
# (netlink RTM_NEWLINK, IFLA_XDP) and re-applies the pre-filter in one event
# after the port is removed and added again, while a host sends UDP to a
# dropped port (5001) and an allowed one (5002) the whole time.
#   prefilter-event.sh SRCDIR BUILDDIR
# Topology: ns plt-oe0 [plt-oeh0 10.75.0.1] -- [plt-oep0] OVS (afxdp) [plt-oep1] -- [plt-oeh1 10.75.0.2] ns plt-oe1
# Checks: no datagram to 5001 reaches the receiver (none passes unfiltered, before, during
# or after the reconfiguration); 5002 keeps arriving after it; the watch saw the port go and
# come back and re-applied on the first notification of OVS's new program; the core's
# drop counter kept counting across the re-apply (pinned maps reused). Then REDIRECT in front of
# OVS: with `forward redirect from P1 to P0` the allowed datagrams leave through P0 from XDP, past
# OVS, all of them arrive, and the core's redirect counter equals what was sent.
set -u
SRC=$1 BUILD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
NS0=plt-oe0 NS1=plt-oe1 P0=plt-oep0 P1=plt-oep1 BR=plt-oebr
IP0=10.75.0.1
PPS=400 SECONDS_SENT=6 NR=300
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$HERE/../lib/lib.sh"
require_root "namespaces, AF_XDP"
require_tool ovs-vswitchd
[ -x "$BUILD/xdp/pathlab-xdp" ] || fail "$BUILD/xdp/pathlab-xdp not built"
RUN=$PL_TMP/ovs
ovs() { "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge $BR "$@"; }
cleanup() {
	[ -d "$BUILD/meson-logs" ] && cp "$RUN/ovs-vswitchd.log" "$BUILD/meson-logs/ovs-prefilter-event-vswitchd.log" 2>/dev/null
	ovs stop >/dev/null 2>&1
	ip netns del $NS0 2>/dev/null
	ip netns del $NS1 2>/dev/null
	rm -rf "/sys/fs/bpf/pathlab/ovs-$P0" "/sys/fs/bpf/pathlab/ovs-$P1"
}
pl_defer cleanup
cleanup
pl_on_fail() { cat "$PL_TMP/watch.out" 2>/dev/null; }
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
cat >"$PL_TMP/acl.policy" <<'P'
mode policy
acl drop proto udp dport 5001
acl default pass
P
out=$(ovs start 2>&1) || fail "pl-ovs start: $out"
for p in $P0 $P1; do out=$(ovs add-port $p 2>&1) || fail "add-port $p: $out"; done
out=$(ovs --policy "$PL_TMP/acl.policy" --backstop prefilter attach $P1 2>&1) ||
	fail "prefilter attach: $out"
ok "pre-filter on $P1 (drop udp 5001), the same policy as OpenFlow flows behind it for frames from $P1"
ip netns exec $NS1 ping -c 3 -i 0.2 -W 2 $IP0 >/dev/null && ok "ping across the bridge" || bad "ping across the bridge"
core_counter() { "$BUILD/xdp/pathlab-xdp" status "$1" -v 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'; }

ovs --wait 30 prefilter watch $P1 >"$PL_TMP/watch.out" 2>&1 &
WPID=$!
pl_track $WPID
for _ in $(seq 50); do grep -q "watching" "$PL_TMP/watch.out" && break; sleep 0.1; done
grep -q "watching" "$PL_TMP/watch.out" || fail "watch did not start: $(cat "$PL_TMP/watch.out")"

ip netns exec $NS0 timeout 30 /usr/bin/python3 "$HERE/udp.py" recv $IP0 5001,5002 $((SECONDS_SENT + 6)) 3 >"$PL_TMP/recv.out" &
RPID=$!
for _ in $(seq 50); do grep -q ready "$PL_TMP/recv.out" 2>/dev/null && break; sleep 0.05; done
ip netns exec $NS1 timeout 30 /usr/bin/python3 "$HERE/udp.py" stream $IP0 5001,5002 $SECONDS_SENT $PPS >"$PL_TMP/sent.out" &
SPID=$!
sleep 2
# the reconfiguration, while the host sends: the port removed from OVS and added again
# (the same ofport again: the backstop flows name the port by its number)
of=$(ovs vsctl get interface $P1 ofport)
ovs vsctl -- --timeout=20 del-port $BR $P1 || bad "ovs-vsctl del-port $P1"
sleep 0.5
ovs vsctl -- --timeout=20 add-port $BR $P1 -- set interface $P1 type=afxdp options:xdp-mode=native ofport_request="$of" ||
	bad "ovs-vsctl add-port $P1"
ok "$P1 removed from OVS and added again during the traffic"
wait $SPID
wait $RPID
sent=$(cat "$PL_TMP/sent.out") got=$(tail -1 "$PL_TMP/recv.out")
echo "sent: $sent; received: $got"
s2=$(echo "$sent" | sed -n 's/.*5002=\([0-9]*\).*/\1/p')
g1=$(echo "$got" | sed -n 's/.*5001=\([0-9]*\).*/\1/p') g2=$(echo "$got" | sed -n 's/.*5002=\([0-9]*\).*/\1/p')
[ "${g1:-x}" = 0 ] && ok "no datagram to the dropped port passed, before, during or after the reconfiguration" ||
	bad "$g1 datagram(s) to udp 5001 passed unfiltered"
[ "${g2:-0}" -ge $((s2 / 3)) ] && ok "udp 5002 kept arriving ($g2 of $s2)" || bad "udp 5002: $g2 of $s2 arrived"
kill -INT $WPID 2>/dev/null
wait $WPID 2>/dev/null
cat "$PL_TMP/watch.out"
n=$(grep -c "re-applying the pre-filter" "$PL_TMP/watch.out")
[ "$n" = 1 ] && ok "re-applied once" || bad "re-applied $n times"
grep -q "no XDP program" "$PL_TMP/watch.out" && ok "the watch saw the port go (a notification, no program)" ||
	bad "the removal was not noticed"
# the first notification after the removal that shows a program is OVS's new one: re-applied there
first=$(awk '/event [0-9]+:/ && !/no XDP program/ && !/re-applied in/ { print; exit }' "$PL_TMP/watch.out")
echo "$first" | grep -q "Open vSwitch attached its program" && ok "re-applied on the first notification of OVS's program" ||
	bad "first notification with a program: $first"
grep -q "pinned maps reused" "$PL_TMP/watch.out" && ok "pinned maps reused (policy and counters kept)" || bad "maps not reused"
c=$(ovs openflow counters 2>&1)
fd=$(echo "$c" | sed -n 's/^acl_drop=//p')
echo "the OpenFlow flows behind the pre-filter dropped ${fd:-?} (what reached OVS before the re-apply)"
ip -d link show $P1 | grep -q "name pathlab" && ok "pathlab is in front of OVS on $P1 again" || bad "pathlab not on $P1"
s1=$(echo "$sent" | sed -n 's/.*5001=\([0-9]*\).*/\1/p')
d=$(core_counter $P1 acl_drop)
[ "${d:-0}" -gt 0 ] && [ "$d" -le "$s1" ] && ok "core acl_drop=$d of $s1 sent to 5001 (the rest met no XDP program while the port was out of OVS, and the kernel stack dropped them)" ||
	bad "core acl_drop=$d, sent $s1"
# REDIRECT in front of OVS: the pre-filter sends what it does not drop straight out of the
# other port (devmap), past OVS
cat "$PL_TMP/acl.policy" >"$PL_TMP/redirect.policy"
echo "forward redirect from $P1 to $P0" >>"$PL_TMP/redirect.policy"
# a veth is an XDP_REDIRECT target only when its peer has GRO or an XDP program
ip netns exec $NS0 ethtool -K plt-oeh0 gro on >/dev/null
out=$(ovs prefilter policy $P1 "$PL_TMP/redirect.policy" 2>&1) || bad "prefilter policy (redirect): $out"
r0=$(core_counter $P1 verdict_redirect) d0=$(core_counter $P1 acl_drop)
p0=$(core_counter $P1 verdict_pass) u0=$(core_counter $P1 verdict_user)
ip netns exec $NS0 timeout 20 /usr/bin/python3 "$HERE/udp.py" recv $IP0 5001,5002 8 >"$PL_TMP/recv2.out" &
RPID=$!
for _ in $(seq 50); do grep -q ready "$PL_TMP/recv2.out" 2>/dev/null && break; sleep 0.05; done
ip netns exec $NS1 timeout 20 /usr/bin/python3 "$HERE/udp.py" send $IP0 5001,5002 $NR
wait $RPID
got=$(tail -1 "$PL_TMP/recv2.out")
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
