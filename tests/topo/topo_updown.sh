#!/usr/bin/env bash
# Every topology comes up (addresses answer over IPv4 and IPv6, static
# neighbours, bpffs in each namespace) and goes down with nothing left:
# namespaces, interfaces, run directory, bpffs mounts, attached programs.
# Also: an interrupted 'up' undoes itself, and real-NIC mode gives the
# interfaces back.
PREFIX=plt-u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

"$PLTOPO" down --all-with-prefix "$PREFIX"
for topo in pair line router lb; do
	n=$topo$RUN_ID
	"$PLTOPO" up "$n" --topo "$topo" --prefix "$PREFIX" --backends 3 --queues 2 --offloads off \
		--threaded-napi --napi-cpu 0 2>"$TMP/err" || { cat "$TMP/err"; fail "up $topo"; }
	eval "$("$PLTOPO" info "$n")"
	[ "$TOPO" = "$topo" ] || fail "info TOPO=$TOPO, want $topo"
	for ep in $ENDPOINTS; do
		v=${ep}_NS ns=${!v} v=${ep}_IF ifn=${!v} v=${ep}_IFINDEX idx=${!v} v=${ep}_MAC mac=${!v}
		[ "$(ip netns exec "$ns" cat "/sys/class/net/$ifn/ifindex")" = "$idx" ] || fail "$topo $ep ifindex"
		[ "$(ip netns exec "$ns" cat "/sys/class/net/$ifn/address")" = "$mac" ] || fail "$topo $ep mac"
		[ ${#ifn} -le 15 ] || fail "$ifn longer than 15"
		[ "$(ip netns exec "$ns" ls "/sys/class/net/$ifn/queues" | grep -c '^rx-')" = 2 ] || fail "$topo $ep queues"
	done
	# every link answers both ways, v4 and v6, without ARP/ND (permanent neighbours)
	for l in $LINKS; do
		a=${l%%:*} b=${l##*:}
		v=${a}_NS nsa=${!v} v=${b}_IP4 ipb4=${!v} v=${b}_IP6 ipb6=${!v} v=${a}_IF ifa=${!v}
		ip netns exec "$nsa" ping -c1 -W2 -q "$ipb4" >/dev/null || fail "$topo: $a -> $b IPv4"
		ip netns exec "$nsa" ping -6 -c1 -W2 -q "$ipb6" >/dev/null || fail "$topo: $a -> $b IPv6"
		ip -n "$nsa" neigh show "$ipb4" dev "$ifa" | grep -q PERMANENT || fail "$topo: neighbour $ipb4 not permanent"
	done
	# end to end through the DUT's forwarding
	case $topo in
	line | router) ip netns exec "$GEN_NS" ping -c1 -W2 -q "$SINK_IP4" >/dev/null || fail "$topo: gen -> sink" ;;
	lb) ip netns exec "$GEN_NS" ping -c1 -W2 -q "$BE3_IP4" >/dev/null || fail "lb: gen -> be3" ;;
	esac
	[ "$(ip netns exec "$DUT_IN_NS" ethtool -k "$DUT_IN_IF" | awk '/generic-receive-offload/{print $2}')" = off ] ||
		fail "$topo: GRO still on with --offloads off"
	[ "$(ip netns exec "$DUT_IN_NS" cat "/sys/class/net/$DUT_IN_IF/threaded")" = 1 ] || fail "$topo: threaded NAPI"
	# persistent bpffs: a pin made in one exec is seen by the next
	"$PLTOPO" exec "$n" dut -- bpftool map create /sys/fs/bpf/plt_probe type array key 4 value 4 entries 1 name plt_probe
	"$PLTOPO" exec "$n" dut -- test -e /sys/fs/bpf/plt_probe || fail "$topo: bpffs pin did not persist"
	# a program attached to the DUT must go away with the topology
	start_sink "$n" dut -i "$DUT_IN_IF" -d 30
	ip -n "$DUT_IN_NS" link show dev "$DUT_IN_IF" | grep -q xdp || fail "$topo: sink not attached"
	"$PLTOPO" napi-pin "$n" 2>/dev/null
	"$PLTOPO" down "$n"
	"$PLTOPO" down "$n" # idempotent
	wait "$SINK_PID" 2>/dev/null || true
	assert_clean
	ok "$topo up/down"
done

# interrupted up: nothing left
for d in 0.05 0.15; do
	"$PLTOPO" up "int$RUN_ID" --topo lb --backends 8 --prefix "$PREFIX" 2>/dev/null &
	p=$!
	sleep "$d"
	kill -TERM "$p" 2>/dev/null || true
	wait "$p" || true
	"$PLTOPO" down "int$RUN_ID" 2>/dev/null || true
	assert_clean
done
ok "interrupted up undone"

# real-NIC mode, with a root-namespace veth pair standing in for two cabled ports
ip link add name "${PREFIX}A" type veth peer name "${PREFIX}B"
OWN_LINKS+=("${PREFIX}A")
"$PLTOPO" up "nic$RUN_ID" --prefix "$PREFIX" --dut-if "${PREFIX}A" --peer-if "${PREFIX}B" --dut-addr 2>/dev/null
eval "$("$PLTOPO" info "nic$RUN_ID")"
[ "$REAL_NIC" = 1 ] && [ "$DUT_IN_IF" = "${PREFIX}A" ] && [ "$DUT_IN_DRIVER" = veth ] || fail "real-NIC info"
ip netns exec "$GEN_NS" ping -c1 -W2 -q 10.0.1.2 >/dev/null || fail "real-NIC: gen -> DUT"
"$PLTOPO" down "nic$RUN_ID"
ip link show "${PREFIX}B" >/dev/null 2>&1 || fail "real-NIC: peer not given back"
ip -o addr show dev "${PREFIX}A" | grep -q 10.0.1.2 && fail "real-NIC: --dut-addr address left"
[ -z "$(ip neigh show dev "${PREFIX}A" nud permanent)" ] || fail "real-NIC: neighbour entries left on the DUT"
# a remote generator: described, neighbour entries on the DUT, removed at down
"$PLTOPO" up "rem$RUN_ID" --prefix "$PREFIX" --dut-if "${PREFIX}A" --remote-gen 02:00:00:00:0e:01 --dut-addr 2>/dev/null
eval "$("$PLTOPO" info "rem$RUN_ID")"
[ "$GEN_REMOTE" = 1 ] && [ "$GEN_MAC" = 02:00:00:00:0e:01 ] && [ -z "$GEN_NS" ] && [ "$DUT_IN_PEER" = GEN ] ||
	fail "remote generator info"
ip neigh show dev "${PREFIX}A" 10.0.1.1 | grep -q '02:00:00:00:0e:01 PERMANENT' || fail "remote generator: no neighbour entry"
"$PLTOPO" down "rem$RUN_ID"
[ -z "$(ip neigh show dev "${PREFIX}A" nud permanent)" ] || fail "remote generator: neighbour entries left"
ip link del "${PREFIX}A"
assert_clean
ok "real-NIC mode"
