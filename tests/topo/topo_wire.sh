#!/usr/bin/env bash
# The wire topology and the options made for it:
#   - wire: GEN and SINK on one subnet, each cabled to a port of the DUT,
#     which has no addresses and forwards nothing (GEN cannot reach SINK);
#     with --bridge a Linux bridge joins the ports and GEN reaches SINK
#     over IPv4 and IPv6, through permanent neighbour entries;
#   - --ipv6 off --neigh dynamic: no IPv6 anywhere, no permanent
#     neighbours, ARP crosses the DUT;
#   - --mtu N: every lab interface gets N (pair, wire with its bridge,
#     real-NIC mode, which gives the old MTU back at down); a full-size
#     frame crosses unfragmented; bad values are refused with a clear error
#     and leave nothing;
#   - down stops what still runs in the topology's namespaces;
#   - napi-pin finds every NAPI thread of the lab, also when the interface
#     names are too long to appear whole in the thread names.
PREFIX=plt-w
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

"$PLTOPO" down --all-with-prefix "$PREFIX"
n=w$RUN_ID
up() { "$PLTOPO" up "$n" --prefix "$PREFIX" "$@" 2>"$TMP/err" || { cat "$TMP/err"; fail "up $*"; }; eval "$("$PLTOPO" info "$n")"; }
mtu_of() { ip netns exec "$1" cat "/sys/class/net/$2/mtu"; }

# --- wire, no bridge: the DUT forwards nothing -------------------------------
up --topo wire
[ "$TOPO" = wire ] && [ "$ENDPOINTS" = "GEN DUT_IN DUT_OUT SINK" ] && [ "$LINKS" = "GEN:DUT_IN DUT_OUT:SINK" ] ||
	fail "wire info: TOPO=$TOPO ENDPOINTS=$ENDPOINTS LINKS=$LINKS"
[ "$GEN_IP4" = 10.0.1.1 ] && [ "$SINK_IP4" = 10.0.1.2 ] && [ "$GEN_IP6" = fd00:0:0:1::1 ] && [ "$SINK_IP6" = fd00:0:0:1::2 ] ||
	fail "wire addresses: GEN $GEN_IP4 $GEN_IP6, SINK $SINK_IP4 $SINK_IP6"
[ "$GEN_WIRE_PEER" = SINK ] && [ "$SINK_WIRE_PEER" = GEN ] && [ "$DUT_IF" = "$DUT_IN_IF" ] && [ -z "$DUT_BRIDGE" ] ||
	fail "wire info: GEN_WIRE_PEER=$GEN_WIRE_PEER SINK_WIRE_PEER=$SINK_WIRE_PEER DUT_IF=$DUT_IF DUT_BRIDGE=$DUT_BRIDGE"
[ "$NS_DUT" = "$DUT_IN_NS" ] && [ "$DUT_OUT_NS" = "$NS_DUT" ] && [ "$ROLES" = "gen dut sink" ] || fail "wire roles: $ROLES"
[ "$FORWARDING" = 0 ] && [ "$(ip netns exec "$NS_DUT" sysctl -n net.ipv4.ip_forward)" = 0 ] || fail "wire: the DUT forwards"
for ep in DUT_IN DUT_OUT; do
	v=${ep}_IF ifn=${!v} v=${ep}_IP4 ip4=${!v}
	[ -z "$ip4" ] || fail "wire: $ep has an address in info ($ip4)"
	[ -z "$(ip -n "$NS_DUT" -o addr show dev "$ifn" scope global)" ] || fail "wire: $ifn has an address"
done
[ "$DUT_IN_MAC" = 02:50:4c:00:01:fe ] && [ "$DUT_OUT_MAC" = 02:50:4c:00:01:ff ] || fail "wire: DUT MACs $DUT_IN_MAC $DUT_OUT_MAC"
ip -n "$GEN_NS" neigh show "$SINK_IP4" dev "$GEN_IF" | grep -q "$SINK_MAC PERMANENT" || fail "wire: no permanent neighbour for SINK on GEN"
ip -n "$SINK_NS" neigh show "$GEN_IP6" dev "$SINK_IF" | grep -q "$GEN_MAC PERMANENT" || fail "wire: no permanent IPv6 neighbour for GEN on SINK"
ip netns exec "$GEN_NS" ping -c1 -W1 -q "$SINK_IP4" >/dev/null 2>&1 && fail "wire without --bridge: GEN reached SINK (the DUT forwarded)"
# down stops a process still running in a namespace (else the namespace and its veths would live on)
ip netns exec "$NS_DUT" sleep 300 &
sp=$!
PIDS+=("$sp")
"$PLTOPO" down "$n"
for _ in $(seq 30); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
kill -0 "$sp" 2>/dev/null && fail "down left a process running in $NS_DUT"
assert_clean
ok "wire: two hosts on one subnet, DUT ports without addresses, nothing forwarded; down stops what runs inside"

# --- wire with --bridge, --mtu 9000: end to end, v4 and v6, jumbo frames ----------
up --topo wire --bridge --mtu 9000
[ "$DUT_BRIDGE" = "${PREFIX}br" ] && [ "$MTU" = 9000 ] || fail "info DUT_BRIDGE=$DUT_BRIDGE MTU=$MTU"
for ep in $ENDPOINTS; do
	v=${ep}_NS ns=${!v} v=${ep}_IF ifn=${!v}
	[ "$(mtu_of "$ns" "$ifn")" = 9000 ] || fail "--mtu 9000: $ifn has $(mtu_of "$ns" "$ifn")"
done
[ "$(mtu_of "$NS_DUT" "$DUT_BRIDGE")" = 9000 ] || fail "--mtu 9000: the bridge has $(mtu_of "$NS_DUT" "$DUT_BRIDGE")"
ip netns exec "$GEN_NS" ping -c1 -W2 -q "$SINK_IP4" >/dev/null || fail "wire --bridge: GEN -> SINK IPv4"
ip netns exec "$SINK_NS" ping -6 -c1 -W2 -q "$GEN_IP6" >/dev/null || fail "wire --bridge: SINK -> GEN IPv6"
# 8972 + 8 (ICMP) + 20 (IPv4) = 9000, don't fragment
ip netns exec "$GEN_NS" ping -c1 -W2 -q -M "do" -s 8972 "$SINK_IP4" >/dev/null || fail "--mtu 9000: a 9000-byte packet did not cross"
ip netns exec "$GEN_NS" ping -c1 -W2 -q -M "do" -s 8973 "$SINK_IP4" >/dev/null 2>&1 && fail "--mtu 9000: a 9001-byte packet left unfragmented"
"$PLTOPO" down "$n"
assert_clean
ok "wire --bridge --mtu 9000: GEN <-> SINK over IPv4/IPv6, 9000-byte packets cross, every interface at 9000"

# --- napi-pin finds the threads of every lab veth, whose names are cut in the
# thread name ("napi/IFNAME-ID", 15 characters) ----------------------------------
up --topo wire --threaded-napi --napi-cpu 0
"$PLTOPO" napi-pin "$n" 1 2>"$TMP/pin"
grep -q "pinned 4 NAPI thread(s)" "$TMP/pin" || fail "napi-pin: $(cat "$TMP/pin") (want the 4 threads of the wire's veths)"
for pid in $(grep -l "^napi/$PREFIX" /proc/[0-9]*/comm | cut -d/ -f3); do
	[ "$(taskset -pc "$pid" | sed 's/.*: //')" = 1 ] || fail "napi-pin: thread $pid ($(cat "/proc/$pid/comm")) not on CPU 1"
done
"$PLTOPO" down "$n"
assert_clean
ok "napi-pin: the 4 NAPI threads of the wire pinned (interface names cut in the thread names)"

# --- --ipv6 off --neigh dynamic: ARP through the DUT, no IPv6 --------------------
up --topo wire --bridge --ipv6 off --neigh dynamic
[ "$IPV6" = 0 ] && [ "$NEIGH" = dynamic ] && [ -z "$GEN_IP6" ] && [ -z "$SINK_PLEN6" ] || fail "info IPV6=$IPV6 NEIGH=$NEIGH GEN_IP6=$GEN_IP6"
for ep in $ENDPOINTS; do
	v=${ep}_NS ns=${!v} v=${ep}_IF ifn=${!v}
	[ "$(ip netns exec "$ns" sysctl -n "net.ipv6.conf.$ifn.disable_ipv6")" = 1 ] || fail "--ipv6 off: IPv6 on $ifn"
	[ -z "$(ip -n "$ns" -6 -o addr show dev "$ifn")" ] || fail "--ipv6 off: IPv6 address on $ifn"
done
[ -z "$(ip -n "$GEN_NS" neigh show nud permanent)" ] || fail "--neigh dynamic: permanent entries on GEN"
ip netns exec "$GEN_NS" ping -c1 -W2 -q "$SINK_IP4" >/dev/null || fail "--neigh dynamic: GEN -> SINK (ARP through the bridge)"
ip -n "$GEN_NS" neigh show "$SINK_IP4" | grep -q "$SINK_MAC" || fail "--neigh dynamic: ARP did not resolve SINK"
"$PLTOPO" down "$n"
assert_clean
ok "--ipv6 off --neigh dynamic: no IPv6, ARP resolves through the DUT"

# --- --mtu on the other topologies and in real-NIC mode --------------------------
up --topo lb --backends 2 --mtu 1280
for ep in $ENDPOINTS; do
	v=${ep}_NS ns=${!v} v=${ep}_IF ifn=${!v}
	[ "$(mtu_of "$ns" "$ifn")" = 1280 ] || fail "lb --mtu 1280: $ifn has $(mtu_of "$ns" "$ifn")"
done
ip netns exec "$GEN_NS" ping -6 -c1 -W2 -q "$BE2_IP6" >/dev/null || fail "lb --mtu 1280: IPv6 through the DUT"
"$PLTOPO" down "$n"
up --topo pair --mtu 576 --ipv6 off
[ "$(mtu_of "$GEN_NS" "$GEN_IF")" = 576 ] || fail "--mtu 576 --ipv6 off: GEN has $(mtu_of "$GEN_NS" "$GEN_IF")"
ip netns exec "$GEN_NS" ping -c1 -W2 -q -M "do" -s 548 "$DUT_IN_IP4" >/dev/null || fail "--mtu 576: a 576-byte packet"
"$PLTOPO" down "$n"
ip link add name "${PREFIX}A" type veth peer name "${PREFIX}B"
OWN_LINKS+=("${PREFIX}A")
up --dut-if "${PREFIX}A" --peer-if "${PREFIX}B" --dut-addr --mtu 4000
[ "$(cat "/sys/class/net/${PREFIX}A/mtu")" = 4000 ] && [ "$(mtu_of "$GEN_NS" "${PREFIX}B")" = 4000 ] || fail "real NIC --mtu 4000"
ip netns exec "$GEN_NS" ping -c1 -W2 -q -M "do" -s 3972 10.0.1.2 >/dev/null || fail "real NIC --mtu 4000: a 4000-byte packet"
"$PLTOPO" down "$n"
[ "$(cat "/sys/class/net/${PREFIX}A/mtu")" = 1500 ] && [ "$(cat "/sys/class/net/${PREFIX}B/mtu")" = 1500 ] ||
	fail "real NIC: MTU not given back: $(cat "/sys/class/net/${PREFIX}A/mtu") $(cat "/sys/class/net/${PREFIX}B/mtu" 2>/dev/null)"
ip link del "${PREFIX}A"
assert_clean
ok "--mtu on lb (1280, IPv6 through), pair (576 without IPv6) and a real NIC (4000, given back at down)"

# --- refusals: clear errors, nothing left ------------------------------------------
refuse() { # want-regex options...
	local re=$1
	shift
	"$PLTOPO" up "$n" --prefix "$PREFIX" "$@" 2>"$TMP/err" && fail "up $* accepted"
	grep -Eq -- "$re" "$TMP/err" || fail "up $*: unclear error: $(cat "$TMP/err")"
	[ ! -e "/run/pathlab/topo/$n" ] || fail "up $*: run directory left"
	assert_clean
}
refuse "--mtu '67': a number from 68" --mtu 67
refuse "--mtu '65536': a number from 68 .* to 65535" --mtu 65536
refuse "--mtu 'jumbo'" --mtu jumbo
refuse "--mtu '-1'" --mtu -1
refuse "IPv6 needs at least 1280.*--ipv6 off" --mtu 1279
refuse "--neigh takes 'dynamic'" --neigh sometimes
refuse "--ipv6 takes 'off'" --ipv6 no
refuse "--bridge is for --topo wire" --topo pair --bridge
ok "--mtu 67, 65536, jumbo, -1, 1279 with IPv6, --neigh sometimes, --ipv6 no, --bridge on pair: refused, nothing left"
