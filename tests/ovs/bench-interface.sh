#!/bin/bash
# The interface bench/compare.sh uses: pl-ovs bench-setup (both modes, switching between them,
# prefilter set up twice), bench-counters (dropped = what was sent to the dropped port),
# bench-teardown (nothing left). OVS runs inside a DUT namespace, every pl-ovs command through
# `ip netns exec` (a fresh bpffs each time: the pins do not last, pl-ovs must cope).
#   bench-interface.sh SRCDIR BUILDDIR
set -u
SRC=$1
BUILD=$2
BR=plt-obrc N=200
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
RUN=$PL_TMP/run
require_root
require_tool ovs-vswitchd
ovs() { ip netns exec plt-ocd "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge $BR "$@"; }
cleanup() {
	ovs bench-teardown >/dev/null 2>&1
	ip netns del plt-oc0 2>/dev/null; ip netns del plt-oc1 2>/dev/null; ip netns del plt-ocd 2>/dev/null
	rm -rf "$RUN"
}
pl_defer cleanup
cleanup
mkdir "$RUN"
printf 'mode policy\nacl drop proto udp dport 5001\nacl default pass\n' >"$RUN/p.policy"
ip netns add plt-ocd || exit 1
ip -n plt-ocd link set lo up
for i in 0 1; do
	ip netns add plt-oc$i || exit 1
	ip link add plt-ocp$i netns plt-ocd type veth peer name plt-och$i netns plt-oc$i || exit 1
	ip -n plt-oc$i addr add 10.78.1.$((i + 1))/24 dev plt-och$i
	ip -n plt-oc$i link set plt-och$i up
	ip netns exec plt-oc$i ethtool -K plt-och$i tx off >/dev/null
	ip -n plt-ocd link set plt-ocp$i up
done
for mode in prefilter prefilter openflow; do
	out=$(ovs bench-setup --mode $mode --policy "$RUN/p.policy" --ports plt-ocp0,plt-ocp1 2>/dev/null)
	echo "$out" | grep -q "^mode=$mode$" && echo "$out" | grep -q "^bridge=$BR$" &&
		ok "bench-setup --mode $mode: $(echo $out)" || bad "bench-setup $mode: $out"
	ip netns exec plt-oc1 ping -c 2 -W 2 10.78.1.1 >/dev/null || bad "ping ($mode)"
	before=$(ovs bench-counters | sed -n 's/^dropped=//p')
	ip netns exec plt-oc1 timeout 10 python3 "$SRC/tests/ovs/udp.py" send 10.78.1.1 5001 $N
	sleep 0.5
	c=$(ovs bench-counters)
	after=$(echo "$c" | sed -n 's/^dropped=//p')
	[ $((after - before)) = $N ] && ok "$mode: dropped $((after - before)) of $N sent" || bad "$mode: dropped $before -> $after, sent $N: $c"
	echo "$c" | grep -q "^ovs_plt-ocp1_rx_packets=[0-9]" && ok "$mode: per-port counters" || bad "$mode: no port counters: $c"
done
ovs bench-teardown >/dev/null
[ -e "$RUN/ovs-vswitchd.pid" ] && bad "pid file left" || ok "bench-teardown stopped OVS"
ip -n plt-ocd link show $BR >/dev/null 2>&1 && bad "tap $BR left" || ok "no tap left"
for p in plt-ocp0 plt-ocp1; do ip -n plt-ocd -d link show $p | grep -q prog/xdp && bad "XDP left on $p"; done
pl_done
