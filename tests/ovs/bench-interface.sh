#!/bin/bash
# The interface bench/compare.sh uses: pl-ovs bench-setup (both modes, switching between them,
# prefilter set up twice), bench-counters (dropped = what was sent to the dropped port),
# bench-teardown (nothing left). OVS runs inside the DUT namespace of a pl-topo wire, every
# pl-ovs command through `pl-topo exec` (the harness's way: a bpffs that lasts, where the
# pre-filter's link is pinned); through `ip netns exec` (no bpffs that outlives the command) the
# pre-filter is refused with the reason, and nothing is left attached.
#   bench-interface.sh SRCDIR BUILDDIR
set -u
SRC=$1
BUILD=$2
N=200
PL_TAG=ob
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
RUN=$PL_TMP/run
require_root
require_tool ovs-vswitchd
BR=${PL_PREFIX}br
ovs() { pl_in dut "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge "$BR" "$@"; }
ovs_netns() { ip netns exec "$NS_DUT" "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge "$BR" "$@"; }
mkdir "$RUN"
printf 'mode policy\nacl drop proto udp dport 5001\nacl default pass\n' >"$RUN/p.policy"
pl_topo_up wire --topo wire --neigh dynamic
pl_defer ovs bench-teardown
# frames cross OVS's AF_XDP sockets as they are: no partial checksums
pl_ethtool GEN tx off
pl_ethtool SINK tx off
P0=$DUT_IN_IF P1=$DUT_OUT_IF
for mode in prefilter prefilter openflow; do
	out=$(ovs bench-setup --mode $mode --policy "$RUN/p.policy" --ports "$P0,$P1" 2>/dev/null)
	echo "$out" | grep -q "^mode=$mode$" && echo "$out" | grep -q "^bridge=$BR$" &&
		ok "bench-setup --mode $mode: $(echo $out)" || bad "bench-setup $mode: $out"
	ip netns exec "$SINK_NS" ping -c 2 -W 2 "$GEN_IP4" >/dev/null || bad "ping ($mode)"
	before=$(ovs bench-counters | sed -n 's/^dropped=//p')
	ip netns exec "$SINK_NS" timeout 10 python3 "$SRC/tests/ovs/udp.py" send "$GEN_IP4" 5001 $N
	sleep 0.5
	c=$(ovs bench-counters)
	after=$(echo "$c" | sed -n 's/^dropped=//p')
	[ $((after - before)) = $N ] && ok "$mode: dropped $((after - before)) of $N sent" || bad "$mode: dropped $before -> $after, sent $N: $c"
	echo "$c" | grep -q "^ovs_${P1}_rx_packets=[0-9]" && ok "$mode: per-port counters" || bad "$mode: no port counters: $c"
done
out=$(ovs_netns bench-setup --mode prefilter --policy "$RUN/p.policy" --ports "$P0,$P1" 2>&1)
[ $? != 0 ] && echo "$out" | grep -q "no bpffs here that outlives this command" &&
	ok "prefilter through ip netns exec refused: $(echo "$out" | tail -1)" || bad "prefilter through ip netns exec: $out"
st=$(pl_in dut "$BUILD/xdp/pathlab-xdp" status "$P1" 2>&1)
echo "$st" | grep -q "'xsk_def_prog'.*attached over netlink" && ok "OVS's own program on $P1 after the refusal" ||
	bad "after the refusal: $st"
ovs bench-teardown >/dev/null
[ -e "$RUN/ovs-vswitchd.pid" ] && bad "pid file left" || ok "bench-teardown stopped OVS"
ip -n "$NS_DUT" link show "$BR" >/dev/null 2>&1 && bad "tap $BR left" || ok "no tap left"
for p in "$P0" "$P1"; do ip -n "$NS_DUT" -d link show "$p" | grep -q prog/xdp && bad "XDP left on $p"; done
pl_done
