#!/bin/bash
# The XDP responder answers a plain host: a pl-topo pair as `pl-topo up`
# builds it (no XDP program and no extra settings on the client's end),
# pathlab-xdp run in native mode on the server end, curl from the client.
# The answer must come at once (--max-time 1: a SYN-ACK parked in the
# client's ring until the client retransmits its SYN after 1 s is a
# failure). Then the client's end loses its receive path (GRO off): the
# answers are dropped by the veth, and pathlab-xdp must say so, naming the
# interface and the fix.
BUILD=$1
PL_TAG=srh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need curl ethtool
pl_topo_up rh --topo pair
printf 'responder listen %s 8080\nroute /hello 200 text/plain hello from the responder\n' "$DUT_IN_IP4" >"$TMP/policy"
start_xdp "$DUT_IN_NS" "$TMP/policy" "$DUT_IN_IF"
got=$(ip netns exec "$GEN_NS" curl -sS --max-time 1 "http://$DUT_IN_IP4:8080/hello" 2>&1)
[ "$got" = "hello from the responder" ] && ok "curl from a plain host: '$got'" ||
	bad "curl from a plain host got '$got' (want the route's body within 1 s)"
n=0
for _ in $(seq 20); do
	[ "$(ip netns exec "$GEN_NS" curl -sS --max-time 1 "http://$DUT_IN_IP4:8080/hello" 2>/dev/null)" = \
		"hello from the responder" ] && n=$((n + 1))
done
[ "$n" = 20 ] && ok "20 more requests answered at once" || bad "$n of 20 more requests answered within 1 s"
[ "$(counter resp_reply)" -ge 21 ] && ok "resp_reply $(counter resp_reply)" || bad "resp_reply $(counter resp_reply) < 21"

# no receive path on the client's end: dropped, and pathlab-xdp says so
# (pathlab-xdp compares each second with the one before: wait for a second
# without answers first; the SYN is sent again after 1 s)
pl_ethtool GEN gro off
sleep 2
ip netns exec "$GEN_NS" curl -sS --max-time 2 "http://$DUT_IN_IP4:8080/hello" >/dev/null 2>&1 &&
	bad "answered although the client's end has no receive path (GRO off, no program)"
for _ in $(seq 30); do
	grep -q "$DUT_IN_IF: .*dropped by the veth: its peer cannot receive XDP frames.*gro on" "$TMP/run.out.err" && break
	sleep 0.1
done
grep -q "$DUT_IN_IF: .*dropped by the veth: its peer cannot receive XDP frames.*gro on" "$TMP/run.out.err" &&
	ok "pathlab-xdp: $(grep -o "$DUT_IN_IF: .*frames" "$TMP/run.out.err" | head -1)" ||
	{ bad "pathlab-xdp did not warn about the dropped answers:"; cat "$TMP/run.out.err"; }
pl_done "responder towards a plain host"
