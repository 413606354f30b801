#!/bin/sh
# Route stage system test: three namespaces, generator plt-s-ga, router
# plt-s-rr, sink plt-s-sk (which also owns 10.99.0.1 behind a gateway
# route). The router's datapath runs a policy with `route kernel`, its
# tables mirrored from the router namespace's kernel (routes, neighbours).
# Real pings cross it: IPv4 and IPv6, an on-link and a gateway route, TTL 1
# (the kernel's "Time to live exceeded" comes back), TTL 2 (forwarded with
# TTL 1 and accepted: the checksum is right), no route, and a blackhole
# route added and removed live in the kernel while the datapath runs.
#   test-route.sh BUILD_DIR [xdp|afxdp]
# xdp (default): pathlab-xdp run on both router interfaces and
# pathlab-policy routes following the kernel. afxdp: pathlab-afxdp
# --placement user on them; the router's addresses live on its TAPs
# (plt-s-rt0/1), and pathlab-afxdp follows the kernel itself.
BUILD=$1 FRONT=${2:-xdp}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need ethtool ping

mkns plt-s-ga; mkns plt-s-rr; mkns plt-s-sk
link plt-s-ga plt-s-ga0 plt-s-rr plt-s-rr0
link plt-s-rr plt-s-rr1 plt-s-sk plt-s-sk0
ip -n plt-s-ga addr add 10.81.1.1/24 dev plt-s-ga0
ip -n plt-s-ga addr add fd81:1::1/64 dev plt-s-ga0 nodad
ip -n plt-s-sk addr add 10.81.2.1/24 dev plt-s-sk0
ip -n plt-s-sk addr add fd81:2::1/64 dev plt-s-sk0 nodad
ip -n plt-s-sk addr add 10.99.0.1/32 dev lo
ip -n plt-s-ga route add default via 10.81.1.2
ip -n plt-s-ga -6 route add default via fd81:1::2
ip -n plt-s-sk route add default via 10.81.2.2
ip -n plt-s-sk -6 route add default via fd81:2::2
ip netns exec plt-s-rr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# The generator's and sink's ends receive XDP_REDIRECT frames: a program there.
xdp_pass plt-s-ga plt-s-ga0
xdp_pass plt-s-sk plt-s-sk0
echo "route kernel" >"$TMP/route.policy"

if [ "$FRONT" = afxdp ]; then
	start_afxdp plt-s-rr -i plt-s-rr0 -i plt-s-rr1 --policy "$TMP/route.policy" --tap-prefix plt-s-rt
	R0=plt-s-rt0 R1=plt-s-rt1
else
	start_xdp plt-s-rr "$TMP/route.policy" plt-s-rr0 plt-s-rr1
	R0=plt-s-rr0 R1=plt-s-rr1
fi
ip -n plt-s-rr addr add 10.81.1.2/24 dev $R0
ip -n plt-s-rr addr add fd81:1::2/64 dev $R0 nodad
ip -n plt-s-rr addr add 10.81.2.2/24 dev $R1
ip -n plt-s-rr addr add fd81:2::2/64 dev $R1 nodad
ip -n plt-s-rr route add 10.99.0.0/16 via 10.81.2.1 dev $R1
if [ "$FRONT" = xdp ]; then
	id=$(ip -n plt-s-rr -d link show dev plt-s-rr0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
	[ -n "$id" ] || { echo "FAIL: no program id on plt-s-rr0"; exit 1; }
	out=$(ip netns exec plt-s-rr "$POLICY" routes --prog-id "$id" --once 2>&1) &&
		ok "routes --once: $out" || bad "routes --once: $out"
	ip netns exec plt-s-rr "$POLICY" routes --prog-id "$id" >"$TMP/routes.log" 2>&1 &
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
pings plt-s-ga 10.81.2.1 3 || true
pings plt-s-ga fd81:2::1 3 || true
pings plt-s-ga 10.99.0.1 2 || true
sleep 1

f0=$(cnt route_fwd)
pings plt-s-ga 10.81.2.1 20 && ok "IPv4 pings across the router" || bad "IPv4 pings across the router lost"
f1=$(cnt route_fwd)
if [ "$FRONT" = xdp ]; then
	[ $((f1 - f0)) -ge 40 ] && ok "the route stage forwarded them both ways (route_fwd +$((f1 - f0)))" ||
		bad "route_fwd grew by $((f1 - f0)), want >= 40 (the kernel forwarded instead?)"
fi
pings plt-s-ga fd81:2::1 20 && ok "IPv6 pings across the router" || bad "IPv6 pings across the router lost"
f2=$(cnt route_fwd)
[ "$FRONT" = afxdp ] || { [ $((f2 - f1)) -ge 40 ] && ok "IPv6 forwarded by the route stage (+$((f2 - f1)))" ||
	bad "IPv6: route_fwd grew by $((f2 - f1))"; }
pings plt-s-ga 10.99.0.1 10 && ok "gateway route 10.99.0.0/16 via the sink" || bad "gateway route lost pings"
pings plt-s-ga 10.81.2.1 3 -t 2 && ok "TTL 2: forwarded with TTL 1, accepted (checksum right)" ||
	bad "TTL 2 pings lost"
t0=$(cnt route_ttl_expired)
out=$(ip netns exec plt-s-ga ping -c 1 -W 1 -t 1 10.81.2.1 2>&1)
echo "$out" | grep -qi 'time to live exceeded' && ok "TTL 1: the router's kernel answers Time to live exceeded" ||
	bad "TTL 1: no Time to live exceeded: $out"
[ "$FRONT" = afxdp ] || { [ "$(cnt route_ttl_expired)" -gt "$t0" ] && ok "route_ttl_expired counted" ||
	bad "route_ttl_expired did not grow"; }
n0=$(cnt route_no_route)
out=$(ip netns exec plt-s-ga ping -c 1 -W 1 10.200.0.1 2>&1)
echo "$out" | grep -qi 'unreachable' && ok "no route: the router's kernel answers unreachable" ||
	bad "no route: $out"
[ "$FRONT" = afxdp ] || { [ "$(cnt route_no_route)" -gt "$n0" ] && ok "route_no_route counted" ||
	bad "route_no_route did not grow"; }

# live: a blackhole in the kernel reaches the datapath, and its removal too
ip -n plt-s-rr route add blackhole 10.99.0.0/24
sleep 1
d0=$(cnt route_drop)
pings plt-s-ga 10.99.0.1 3 && bad "blackhole 10.99.0.0/24: pings still answered" ||
	ok "blackhole added in the kernel: pings to 10.99.0.1 dropped"
[ "$FRONT" = afxdp ] || { [ "$(cnt route_drop)" -ge $((d0 + 3)) ] && ok "dropped by the route stage (route_drop)" ||
	bad "route_drop did not grow by 3"; }
ip -n plt-s-rr route del blackhole 10.99.0.0/24
sleep 1
pings plt-s-ga 10.99.0.1 5 && ok "blackhole removed: pings answered again" || bad "pings still lost after the blackhole went"

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
