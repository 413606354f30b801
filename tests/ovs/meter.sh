#!/bin/bash
# An aggregate shared ratelimit as an OpenFlow meter, with real traffic
# through Open vSwitch's userspace datapath (a private OVS, netdev bridge,
# two type=afxdp ports on veths), and the same policy in the core's XDP
# pre-filter in front of OVS for comparison.
#   meter.sh SRCDIR BUILDDIR
# Topology as tests/ovs/system.sh: gen [IP0] --veth-- [P0] OVS [P1] --veth-- [IP1] sink;
# UDP streams from the sink's side to gen enter OVS on P1.
# Checks:
#   1. pathlab-ofgen translates `ratelimit pps 1000 burst 100 aggregate shared` into meter 1
#      (pktps, burst 100) and pl-ovs openflow apply installs it
#   2. STREAM_PPS datagrams a second for T s (10 times the meter's rate) through OVS: the
#      meter's band dropped frames (meter-stats), and what arrived is at most
#      1000/s * T + 100 (+10 %) and at least 80 % of 1000/s * T; arrived + band drops =
#      what the meter saw
#   3. the same policy in the XDP pre-filter on P1, the same stream: ratelimit_drop counts,
#      and the count that arrives is within 20 % of OVS's
set -u
T=3
STREAM_PPS=10000
RATE=1000
BURST=100
PL_TAG=om
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh" "$@"
POL=$RUN/meter.policy
PY=/usr/bin/python3

pl_topo_up wire --topo wire --neigh dynamic
NS0=$GEN_NS NS1=$SINK_NS P0=$DUT_IN_IF P1=$DUT_OUT_IF IP0=$GEN_IP4 IP1=$SINK_IP4
pl_ethtool GEN tx off
pl_ethtool SINK tx off
ovs() { pl_in dut "$PLOVS" --rundir "$RUN" --build "$BUILD" --bridge "$BR" --wait 30 "$@"; }
cleanup() {
	[ -d "$BUILD/meson-logs" ] && cp "$RUN/ovs-vswitchd.log" "$BUILD/meson-logs/ovs-meter-vswitchd.log" 2>/dev/null
	ovs stop >/dev/null 2>&1
}
pl_defer cleanup

cat >"$POL" <<EOF
mode policy
ratelimit pps $RATE burst $BURST aggregate shared
EOF

# stream: STREAM_PPS datagrams a second for T s from ns1 to gen's port 5003;
# prints "SENT RECEIVED SECONDS".
stream() {
	local out=$RUN/recv.out t0 t1 sent got
	ip netns exec "$NS0" timeout $((T + 10)) "$PY" "$UDP" recv "$IP0" 5003 $((T + 5)) 1 >"$out" &
	local rp=$!
	for _ in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.05; done
	t0=$(date +%s.%N)
	sent=$(ip netns exec "$NS1" timeout $((T + 10)) "$PY" "$UDP" stream "$IP0" 5003 $T $STREAM_PPS | sed -n 's/^5003=//p')
	t1=$(date +%s.%N)
	wait $rp
	got=$(sed -n 's/^5003=//p' "$out")
	echo "${sent:-0} ${got:-0} $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
}
# meter_stat KEY: meter 1's KEY (packet_in_count, or the band's packet_count).
meter_stat() { ovs openflow meters 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1://p" | head -1; }
allowed() { awk -v d="$1" -v r=$RATE -v b=$BURST 'BEGIN { printf "%d", r * d + b }'; }

# 1. OVS, the translation
out=$(ovs start 2>&1) && ok "pl-ovs start" || { bad "pl-ovs start: $out"; exit 1; }
for p in $P0 $P1; do
	out=$(ovs add-port "$p" 2>&1) && ok "pl-ovs add-port $p: $out" || bad "pl-ovs add-port $p: $out"
done
ip netns exec "$NS0" ping -c 3 -i 0.2 -W 2 "$IP1" >/dev/null && ok "ping across $BR" || bad "ping across $BR"
out=$(ovs --policy "$POL" openflow apply 2>&1) && ok "$(echo "$out" | grep openflow:)" ||
	bad "openflow apply: $out"
grep -q "^#meter meter=1,pktps,burst,stats,bands=type=drop,rate=$RATE,burst_size=$BURST$" "$RUN/flows.txt" &&
	ok "meter 1: pktps, rate $RATE, burst $BURST" || bad "no meter line in $(grep meter "$RUN/flows.txt")"
ovs ofctl dump-meters "$BR" 2>&1 | grep -q "meter=1 pktps burst stats bands=" &&
	ok "OVS holds meter 1" || bad "OVS has no meter 1: $(ovs ofctl dump-meters "$BR" 2>&1)"
ip netns exec "$NS1" ping -c 1 -W 2 "$IP0" >/dev/null

# 2. the stream through OVS
in0=$(meter_stat packet_in_count) d0=$(meter_stat packet_count)
read -r sent got dur < <(stream)
in1=$(meter_stat packet_in_count) d1=$(meter_stat packet_count)
seen=$((in1 - in0)) drops=$((d1 - d0)) want=$(allowed "$dur")
echo "OVS: sent $sent in ${dur}s, arrived $got (allowed $want); meter 1 saw $seen, band dropped $drops"
[ "$sent" -gt $((want * 4)) ] && ok "sent $sent, well above the meter's $want" || bad "sent only $sent"
[ "$drops" -gt 0 ] && ok "meter band drops: $drops" || bad "no band drops (meter-stats: $(ovs openflow meters 2>&1))"
awk -v g="$got" -v w="$want" -v r=$RATE -v d="$dur" 'BEGIN { exit !(g <= w * 1.1 && g >= r * d * 0.8) }' &&
	ok "arrived $got <= $RATE/s * ${dur}s + $BURST (+10 %), >= 80 % of the rate" ||
	bad "arrived $got: want at most $want (+10 %) and at least 80 % of $RATE/s * ${dur}s"
d=$((seen - drops - got))
[ "$d" -ge 0 ] && [ "$d" -le 20 ] && ok "meter in $seen = dropped $drops + arrived $got (+$d other IP frames)" ||
	bad "meter in $seen != dropped $drops + arrived $got (+$d)"
ovs_got=$got

# 3. the same policy in the core, in front of OVS
out=$(ovs openflow clear 2>&1) || bad "openflow clear: $out"
ovs ofctl dump-meters "$BR" 2>&1 | grep -q "meter=1" && bad "meter 1 left after openflow clear" ||
	ok "openflow clear removed the meter"
out=$(ovs --policy "$POL" prefilter attach "$P1" 2>&1) && ok "prefilter attach $P1" || bad "prefilter attach: $out"
ip netns exec "$NS1" ping -c 1 -W 2 "$IP0" >/dev/null
core() { pl_in dut "$BUILD/xdp/pathlab-xdp" status "$P1" -v 2>/dev/null | awk -v k="$1" '$1 == k { print $2 + 0 }'; }
r0=$(core ratelimit_drop)
read -r sent got dur < <(stream)
rd=$(( $(core ratelimit_drop) - r0 )) want=$(allowed "$dur")
echo "pathlab XDP: sent $sent in ${dur}s, arrived $got (allowed $want); ratelimit_drop $rd"
[ "$rd" -gt 0 ] && ok "ratelimit_drop $rd" || bad "no ratelimit_drop"
awk -v g="$got" -v w="$want" 'BEGIN { exit !(g <= w * 1.1) }' && ok "pathlab: arrived $got <= $want (+10 %)" ||
	bad "pathlab: arrived $got, more than $want (+10 %)"
awk -v a="$ovs_got" -v b="$got" -v r=$RATE -v t=$T 'BEGIN { x = a - b; if (x < 0) x = -x; exit !(x <= 0.2 * r * t) }' &&
	ok "OVS meter $ovs_got vs pathlab $got: within 20 % of $RATE/s * ${T}s" ||
	bad "OVS meter $ovs_got vs pathlab $got: more than 20 % of $RATE/s * ${T}s apart"

[ $fails = 0 ] && echo "PASS" || echo "$fails check(s) failed"
exit $((fails > 0))
