#!/bin/bash
# System test of the Open vSwitch integration: a private OVS with a netdev
# bridge and two type=afxdp ports on veths, traffic between namespaces.
#   system.sh SRCDIR BUILDDIR
# Topology: a pl-topo wire, OVS in the DUT namespace (every command there through pl-topo exec,
# with the topology's persistent bpffs):
#   gen [GEN_IF GEN_IP4] --veth-- [P0] OVS bridge BR [P1] --veth-- [SINK_IF SINK_IP4] sink
# Checks:
#   1. pl-ovs start / add-port, and the plain `ovs-vsctl add-port BR IF -- set interface IF
#      type=afxdp` through the env file; ping across the bridge
#   2. no policy: UDP to 5001 and 5002 both arrive
#   3. XDP pre-filter on P1 (acl drop udp 5001, steer udp 5002 user): 5001 dropped, 5002
#      (USER) and ping (PASS) reach OVS's socket and arrive; the core's counters equal what was sent
#   4. OVS reconfigures the port: the pre-filter stays (the same program, OVS's new socket bound
#      into its map), status and check say it is in front, the ACL holds, the counters go on
#   5. detach puts OVS's program back: 5001 arrives again
#   6. the same policy as OpenFlow (pathlab-ofgen): 5001 dropped, flow stats (acl drop, steer)
#      = what was sent
#   6b. OVS accepts the translation of every example policy
#   7. del-port with the pre-filter attached leaves no XDP program; stop leaves no daemon, no tap
set -u
N=300
PL_TAG=os
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh" "$@"
POL=$RUN/acl.policy

pl_topo_up wire --topo wire --neigh dynamic
NS0=$GEN_NS NS1=$SINK_NS P0=$DUT_IN_IF P1=$DUT_OUT_IF IP0=$GEN_IP4 IP1=$SINK_IP4
# frames cross OVS's AF_XDP sockets as they are: no partial checksums
pl_ethtool GEN tx off
pl_ethtool SINK tx off
PINS=$RUNDIR/bpffs/dut/pathlab # the DUT's /sys/fs/bpf/pathlab
# --wait 30: OVS answers slowly when its PMD polls on a busy two-vCPU machine
ovs() { pl_in dut "$PLOVS" --rundir "$RUN" --build "$BUILD" --bridge "$BR" --wait 30 "$@"; }
dut_link() { ip -n "$NS_DUT" -d link show "$@"; }

cleanup() {
	# keep the switch log of the last run in the build tree, for a look afterwards
	[ -d "$BUILD/meson-logs" ] && cp "$RUN/ovs-vswitchd.log" "$BUILD/meson-logs/ovs-system-vswitchd.log" 2>/dev/null
	ovs stop >/dev/null 2>&1
}
pl_defer cleanup

cat >"$POL" <<'EOF'
mode policy
acl drop proto udp dport 5001
acl default pass
steer udp 5002 user
EOF

# Send N datagrams to 5001 and to 5002 from ns1 to ns0 (they enter OVS on
# P1); prints "5001=X 5002=Y" as received in ns0.
traffic() {
	local out=$RUN/recv.out
	ip netns exec $NS0 timeout 10 python3 "$UDP" recv $IP0 5001,5002 6 >"$out" &
	local rp=$!
	for _ in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.05; done
	ip netns exec $NS1 timeout 10 python3 "$UDP" send $IP0 5001,5002 $N
	wait $rp
	tail -1 "$out"
}
# Counter $2 of the pre-filter on $1.
core_counter() { pl_in dut "$BUILD/xdp/pathlab-xdp" status "$1" -v 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'; }

# 1. start, add the ports (one the way users type it)
out=$(ovs start 2>&1) && ok "pl-ovs start" || { bad "pl-ovs start: $out"; exit 1; }
out=$(ovs add-port $P0 2>&1) && ok "pl-ovs add-port: $out" || bad "pl-ovs add-port $P0: $out"
(. "$RUN/env" && timeout 20 ovs-vsctl add-port "$BR" "$P1" -- set interface "$P1" type=afxdp) &&
	ok "plain ovs-vsctl add-port $BR $P1 -- set interface $P1 type=afxdp" || bad "plain ovs-vsctl add-port"
for _ in $(seq 50); do
	of=$(. "$RUN/env" && ovs-vsctl get interface "$P1" ofport 2>/dev/null)
	[ "${of:-0}" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
[ "${of:-0}" -gt 0 ] 2>/dev/null && ok "$P1 has ofport $of" || bad "$P1 has no ofport ($of)"
dut_link "$P1" | grep -q "name xsk_def_prog" && ok "OVS attached xsk_def_prog to $P1" || bad "no xsk_def_prog on $P1"
ip netns exec $NS0 ping -c 3 -i 0.2 -W 2 $IP1 >/dev/null && ok "ping across $BR" || bad "ping across $BR"
ip netns exec $NS1 ping -c 1 -W 2 $IP0 >/dev/null

# 2. no policy
r=$(traffic)
[ "$r" = "5001=$N 5002=$N" ] && ok "no policy: $r" || bad "no policy: expected 5001=$N 5002=$N, got $r"

# 3. the pre-filter
out=$(ovs --policy "$POL" prefilter attach $P1 2>&1) && ok "prefilter attach: $(echo "$out" | head -1)" ||
	bad "prefilter attach: $out"
st=$(ovs prefilter status $P1 2>&1)
echo "$st" | grep -q "in front of Open vSwitch" && ok "the core replaced OVS's program on $P1" || bad "not in front on $P1: $st"
[ -e "$PINS/ovs-$P1" ] && ok "pins in the DUT's bpffs ($PINS/ovs-$P1)" || bad "no pins at $PINS/ovs-$P1 while attached"
r=$(traffic)
[ "$r" = "5001=0 5002=$N" ] && ok "pre-filter: $r" || bad "pre-filter: expected 5001=0 5002=$N, got $r"
d=$(core_counter $P1 acl_drop) v=$(core_counter $P1 verdict_drop)
[ "$d" = $N ] && [ "$v" = $N ] && ok "core counters: acl_drop=$d verdict_drop=$v (sent $N)" ||
	bad "core counters: acl_drop=$d verdict_drop=$v, sent $N"
u=$(core_counter $P1 verdict_user) su=$(core_counter $P1 steer_user)
[ "$u" = $N ] && [ "$su" = $N ] && ok "core counters: verdict_user=$u steer_user=$su (steered to OVS's socket, sent $N)" ||
	bad "verdict_user=$u steer_user=$su, sent $N"
ip netns exec $NS0 ping -c 2 -i 0.2 -W 2 $IP1 >/dev/null && ok "ping through the pre-filter" || bad "ping through the pre-filter"
p=$(core_counter $P1 verdict_pass)
[ "${p:-0}" -ge 2 ] && ok "core verdict_pass=$p (the ping replies: PASS to OVS's socket)" || bad "verdict_pass=$p"

# 4. OVS reconfigures the port: the pre-filter stays in front
id0=$(dut_link "$P1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
(. "$RUN/env" && timeout 40 ovs-vsctl --timeout=30 set interface "$P1" options:use-need-wakeup=false) ||
	bad "ovs-vsctl set use-need-wakeup"
id1=$(dut_link "$P1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
[ -n "$id0" ] && [ "$id1" = "$id0" ] && ok "OVS reconfigured $P1: the same program (id $id0) in front" ||
	bad "program on $P1: id ${id0:-none} before the reconfiguration, ${id1:-none} after"
st=$(ovs prefilter status $P1 2>&1)
echo "$st" | grep -q "in front of Open vSwitch" && ok "status: in front of Open vSwitch" || bad "status after reconfigure: $st"
out=$(ovs prefilter check $P1 2>&1) && echo "$out" | grep -q "already in front" &&
	ok "prefilter check: already in front" || bad "prefilter check: $out"
ip netns exec $NS1 ping -c 1 -W 2 $IP0 >/dev/null
r=$(traffic)
[ "$r" = "5001=0 5002=$N" ] && ok "after the reconfiguration: $r (OVS's new socket behind the core)" ||
	bad "after the reconfiguration: got $r"
d=$(core_counter $P1 acl_drop)
[ "$d" = $((2 * N)) ] && ok "acl_drop=$d kept across the reconfiguration" || bad "acl_drop=$d, expected $((2 * N))"

# 5. detach
out=$(ovs prefilter detach $P1 2>&1) && ok "prefilter detach: $out" || bad "prefilter detach: $out"
st=$(ovs prefilter status $P1 2>&1)
echo "$st" | grep -q "'xsk_def_prog'.*attached over netlink" && ok "OVS's program is back on $P1 (over netlink)" ||
	bad "OVS's program not back: $st"
[ -e "$PINS/ovs-$P1" ] && bad "pins left after detach" || ok "no pins left"
r=$(traffic)
[ "$r" = "5001=$N 5002=$N" ] && ok "after detach: $r" || bad "after detach: expected 5001=$N 5002=$N, got $r"

# 6. OpenFlow
out=$(ovs --policy "$POL" --ports $P1 openflow apply 2>&1) && ok "$(echo "$out" | grep openflow:)" ||
	bad "openflow apply: $out"
r=$(traffic)
[ "$r" = "5001=0 5002=$N" ] && ok "openflow: $r" || bad "openflow: expected 5001=0 5002=$N, got $r"
c=$(ovs openflow counters 2>&1)
d=$(echo "$c" | sed -n 's/^acl_drop=//p')
[ "$d" = $N ] && ok "flow stats: acl_drop=$d (sent $N)" || bad "flow stats acl_drop=$d, sent $N: $c"
echo "$c" | grep -q "^line2_acl_drop=$N$" && ok "flow stats per policy line: line2_acl_drop=$N" || bad "per-line counter: $c"
st=$(echo "$c" | sed -n 's/^steer=//p')
[ "$st" = $N ] && ok "flow stats: steer=$st (sent $N)" || bad "flow stats steer=$st, sent $N"

# 6b. OVS accepts the translation of every example policy (ports named there map to 1-4)
acc=0 tot=0
for f in "$SRC"/examples/*.policy; do
	tot=$((tot + 1))
	"$BUILD/ovs/pathlab-ofgen" --port-map plt-a0=1,plt-b0=2,plt-c0=3,plt-c1=4 "$f" >"$RUN/ex.flows" 2>/dev/null &&
		ovs ofctl replace-flows "$BR" "$RUN/ex.flows" 2>"$RUN/ex.err" && acc=$((acc + 1)) ||
		bad "OVS refused the flows of $(basename "$f"): $(head -2 "$RUN/ex.err")"
done
[ $acc = $tot ] && ok "OVS accepted the OpenFlow translation of all $tot example policies"

# 7. del-port with the pre-filter on, then stop
ovs openflow clear >/dev/null
ovs --policy "$POL" prefilter attach $P1 >/dev/null 2>&1 || bad "prefilter attach (again)"
out=$(ovs del-port $P1 2>&1) && ok "del-port: $out" || bad "del-port: $out"
dut_link "$P1" | grep -q "prog/xdp" && bad "XDP program left on $P1" || ok "no XDP program on $P1"
vpid=$(cat "$RUN/ovs-vswitchd.pid" 2>/dev/null)
out=$(ovs stop 2>&1) && ok "stop: $(echo $out)" || bad "stop: $out"
[ -n "$vpid" ] && [ -d /proc/$vpid ] && bad "ovs-vswitchd $vpid still running" || ok "ovs-vswitchd gone"
ip -n "$NS_DUT" link show "$BR" >/dev/null 2>&1 && bad "tap $BR left" || ok "tap $BR removed"
dut_link "$P0" | grep -q "prog/xdp" && bad "XDP program left on $P0" || ok "no XDP program on $P0"

[ $fails = 0 ] && echo "PASS" || echo "$fails check(s) failed"
exit $((fails > 0))
