#!/bin/bash
# Route stage system test: a pl-topo line, generator GEN, router DUT, sink
# SINK (which also owns 10.99.0.1 behind a gateway route; ARP and ND
# resolved by the stacks). The router's datapath runs a policy with `route kernel`, its
# tables mirrored from the router namespace's kernel (routes, neighbours).
# Real pings cross it: IPv4 and IPv6, an on-link and a gateway route, TTL 1
# (the kernel's "Time to live exceeded" comes back), TTL 2 (forwarded with
# TTL 1 and accepted: the checksum is right), no route, and a blackhole
# route added and removed live in the kernel while the datapath runs.
#   test-route.sh BUILD_DIR [xdp|afxdp]
# xdp (default): pathlab-xdp run on both router interfaces and
# pathlab-policy routes following the kernel. afxdp: pathlab-afxdp
# --placement user on them; the router's addresses move to its TAPs, and
# pathlab-afxdp follows the kernel itself.
BUILD=$1 FRONT=${2:-xdp}
PL_TAG=st${FRONT:0:1}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need ethtool ping
POLICY=$BUILD/xdp/pathlab-policy
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# generator and sink default-routed via the router, forwarding on in it
stages_topo rt --topo line --neigh dynamic
GA=$GEN_NS RR=$NS_DUT SK=$SINK_NS SK_IP4=$SINK_IP4 SK_IP6=$SINK_IP6
ip -n "$SK" addr add 10.99.0.1/32 dev lo
# The generator's and sink's ends receive XDP_REDIRECT frames: a program there.
xdp_pass "$GA" "$GEN_IF"
xdp_pass "$SK" "$SINK_IF"
echo "route kernel" >"$TMP/route.policy"

if [ "$FRONT" = afxdp ]; then
	# the router's addresses go to its TAPs
	ip -n "$RR" addr flush dev "$DUT_IN_IF"
	ip -n "$RR" addr flush dev "$DUT_OUT_IF"
	start_afxdp "$RR" -i "$DUT_IN_IF" -i "$DUT_OUT_IF" --policy "$TMP/route.policy" --tap-prefix "${PL_PREFIX}t"
	R0=${PL_PREFIX}t0 R1=${PL_PREFIX}t1
	ip -n "$RR" addr add "$DUT_IN_IP4/24" dev "$R0"
	ip -n "$RR" addr add "$DUT_IN_IP6/64" dev "$R0" nodad
	ip -n "$RR" addr add "$DUT_OUT_IP4/24" dev "$R1"
	ip -n "$RR" addr add "$DUT_OUT_IP6/64" dev "$R1" nodad
else
	start_xdp "$RR" "$TMP/route.policy" "$DUT_IN_IF" "$DUT_OUT_IF"
	R1=$DUT_OUT_IF
fi
ip -n "$RR" route add 10.99.0.0/16 via "$SK_IP4" dev "$R1"
if [ "$FRONT" = xdp ]; then
	id=$(ip -n "$RR" -d link show dev "$DUT_IN_IF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
	[ -n "$id" ] || { echo "FAIL: no program id on $DUT_IN_IF"; exit 1; }
	out=$(ip netns exec "$RR" "$POLICY" routes --prog-id "$id" --once 2>&1) &&
		ok "routes --once: $out" || bad "routes --once: $out"
	ip netns exec "$RR" "$POLICY" routes --prog-id "$id" >"$TMP/routes.log" 2>&1 &
	MIRROR=$!
	PIDS="$PIDS $MIRROR"
	wait_ready $MIRROR "$TMP/routes.log" 'mirrored from the kernel' 'pathlab-policy routes'
	cnt() { counter "$1"; }
else
	grep -q 'mirroring the kernel' "$TMP/dut.log" && ok "pathlab-afxdp follows the kernel's routes" ||
		bad "pathlab-afxdp does not say it mirrors the kernel's routes: $(cat "$TMP/dut.log")"
	cnt() { echo 0; }
fi

pings() { # NS DEST COUNT [ARGS...]: all answered?
	ns=$1 dst=$2 n=$3
	shift 3
	ip netns exec "$ns" ping -q -c "$n" -i 0.05 -W 1 "$@" "$dst" 2>&1 | grep -q " $n received"
}
# warm: the router's kernel learns its neighbours (frames pass to it until then)
pings "$GA" "$SK_IP4" 3 || true
pings "$GA" "$SK_IP6" 3 || true
pings "$GA" 10.99.0.1 2 || true
sleep 1

f0=$(cnt route_fwd)
pings "$GA" "$SK_IP4" 20 && ok "IPv4 pings across the router" || bad "IPv4 pings across the router lost"
f1=$(cnt route_fwd)
if [ "$FRONT" = xdp ]; then
	[ $((f1 - f0)) -ge 40 ] && ok "the route stage forwarded them both ways (route_fwd +$((f1 - f0)))" ||
		bad "route_fwd grew by $((f1 - f0)), want >= 40 (the kernel forwarded instead?)"
fi
pings "$GA" "$SK_IP6" 20 && ok "IPv6 pings across the router" || bad "IPv6 pings across the router lost"
f2=$(cnt route_fwd)
[ "$FRONT" = afxdp ] || { [ $((f2 - f1)) -ge 40 ] && ok "IPv6 forwarded by the route stage (+$((f2 - f1)))" ||
	bad "IPv6: route_fwd grew by $((f2 - f1))"; }
pings "$GA" 10.99.0.1 10 && ok "gateway route 10.99.0.0/16 via the sink" || bad "gateway route lost pings"
pings "$GA" "$SK_IP4" 3 -t 2 && ok "TTL 2: forwarded with TTL 1, accepted (checksum right)" ||
	bad "TTL 2 pings lost"
t0=$(cnt route_ttl_expired)
out=$(ip netns exec "$GA" ping -c 1 -W 1 -t 1 "$SK_IP4" 2>&1)
echo "$out" | grep -qi 'time to live exceeded' && ok "TTL 1: the router's kernel answers Time to live exceeded" ||
	bad "TTL 1: no Time to live exceeded: $out"
[ "$FRONT" = afxdp ] || { [ "$(cnt route_ttl_expired)" -gt "$t0" ] && ok "route_ttl_expired counted" ||
	bad "route_ttl_expired did not grow"; }
n0=$(cnt route_no_route)
out=$(ip netns exec "$GA" ping -c 1 -W 1 10.200.0.1 2>&1)
echo "$out" | grep -qi 'unreachable' && ok "no route: the router's kernel answers unreachable" ||
	bad "no route: $out"
[ "$FRONT" = afxdp ] || { [ "$(cnt route_no_route)" -gt "$n0" ] && ok "route_no_route counted" ||
	bad "route_no_route did not grow"; }

# live: a blackhole in the kernel reaches the datapath, and its removal too
ip -n "$RR" route add blackhole 10.99.0.0/24
sleep 1
d0=$(cnt route_drop)
pings "$GA" 10.99.0.1 3 && bad "blackhole 10.99.0.0/24: pings still answered" ||
	ok "blackhole added in the kernel: pings to 10.99.0.1 dropped"
[ "$FRONT" = afxdp ] || { [ "$(cnt route_drop)" -ge $((d0 + 3)) ] && ok "dropped by the route stage (route_drop)" ||
	bad "route_drop did not grow by 3"; }
ip -n "$RR" route del blackhole 10.99.0.0/24
sleep 1
pings "$GA" 10.99.0.1 5 && ok "blackhole removed: pings answered again" || bad "pings still lost after the blackhole went"

if [ "$FRONT" = afxdp ]; then
	kill -INT $DUT
	for _ in $(seq 50); do grep -q '^\[afxdp-user-total\]' "$TMP/dut.log" && break; sleep 0.1; done
	fwd=$(afxdp_total route_fwd) drop=$(afxdp_total route_drop) ttl=$(afxdp_total route_ttl_expired)
	[ "${fwd:-0}" -ge 80 ] && ok "the user-space core routed ${fwd} frames" || bad "route_fwd ${fwd:-0}, want >= 80"
	[ "${drop:-0}" -ge 3 ] && [ "${ttl:-0}" -ge 1 ] && ok "route_drop $drop, route_ttl_expired $ttl" ||
		bad "route_drop ${drop:-0} (want >= 3), route_ttl_expired ${ttl:-0} (want >= 1)"
else
	kill $MIRROR
	wait $MIRROR 2>/dev/null
	ok "mirror stopped"
fi
[ $fail = 0 ] && echo "route ($FRONT): all checks passed"
exit $fail
