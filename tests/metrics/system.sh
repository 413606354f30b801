#!/bin/bash
# SPDX-License-Identifier: MIT
# The Prometheus endpoint of every datapath, end to end, with curl.
#   system.sh PATHLAB_XDP PATHLAB_AFXDP PATHLAB_DPDK DASHBOARD_JSON
# (a datapath given as "" is not built: its part is reported as skipped)
#
# The wire of the DPDK tests (tests/dpdk/lib.sh, a pl-topo "wire"):
#   host A  IF_A0 IP_A ── IF_A1 ┐
#                               ├ DUT ns: the datapath on IF_A1 + IF_B1,
#   host B  IF_B0 IP_B ── IF_B1 ┘   --metrics 127.0.0.1:9464 (the DUT's loopback)
#
# Run five ways: pathlab-xdp, pathlab-afxdp (user and hybrid placement),
# pathlab-dpdk (net_af_xdp, --no-huge; plain and --hybrid).
# Static ARP and no IPv6: only the datagrams the test sends cross the DUT, so
# the verdict counters must move by exactly what was sent:
#   UDP 7000 x N_RED  -> REDIRECT (the two-port wire; host B counts them)
#   UDP 9    x N_DROP -> DROP     (acl)
#   UDP 4242 x N_USER -> USER     (steer)
#   UDP 5353 x N_PASS -> PASS     (steer)
# Per datapath: the exposition parses (prometheus_client), passes
# `promtool check metrics` and follows the format (HELP/TYPE, _total
# counters, path label); counters are monotonic;
# the deltas per verdict equal what was sent; 404/405 on other URLs and
# methods; the same series names as the other datapaths; SIGINT: exit 0,
# port closed, nothing attached. Then the errors: a bad ADDR:PORT and a
# port in use make each tool exit non-zero with a clear message and leave
# nothing attached. The Grafana dashboard is valid JSON and queries only
# metric names the datapaths serve.
set -u
XDP=${1:-} AFXDP=${2:-} DPDK=${3:-} DASH=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
MADDR=127.0.0.1:9464
N_RED=200 N_DROP=30 N_USER=20 N_PASS=10 N_SRC2=17 N_LB=12
PREFIX=plt-m$$
DUT=
PL_TAG=ms
# The two-host wire of the DPDK tests (and the test library through it).
# shellcheck source=SCRIPTDIR/../dpdk/lib.sh
. "$HERE/../dpdk/lib.sh"
require_root "namespaces, XDP, AF_XDP"
command -v curl >/dev/null || { echo "FAIL: curl is missing (scripts/bootstrap.sh installs it)"; exit 1; }
# the Debian interpreter (a pyenv python3 first on PATH lacks Debian's modules)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY -c 'import prometheus_client' 2>/dev/null ||
	{ echo "FAIL: python3-prometheus-client is missing (scripts/bootstrap.sh installs it)"; exit 1; }
T=$PL_TMP
cleanup() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_defer cleanup

# Namespaces, veths (no IPv6, no checksum offload), static neighbours.
pl_d_topo_up --neigh static
IN_DUT=("${PL_D_IN_DUT[@]}") # run in the DUT namespace with its bpffs (lib.sh)
# a second source on host A, and the load balancer's VIP (answered by the DUT)
IP_A2=${IP_A%.*}.211 VIP=${IP_A%.*}.200 MAC_B=$SINK_MAC
ip -n "$NS_A" addr add "$IP_A2/$GEN_PLEN4" dev "$IF_A0"
ip -n "$NS_A" neigh replace "$VIP" lladdr "$MAC_B" dev "$IF_A0" nud permanent
scrape() { "${IN_DUT[@]}" curl -sS --max-time 3 "$@"; }
xdp_left() { ip -n $NS_X link show | grep -o 'prog/xdp id [0-9]*'; }

# The command line of datapath $1 with extra options; $2 = --metrics value.
cmdline() {
	case $1 in
	xdp) echo "$XDP" run $IF_A1 $IF_B1 --mode native --policy "$T/p.policy" --duration 60 --metrics "$2" ;;
	afxdp) echo "$AFXDP" -i $IF_A1 -i $IF_B1 --policy "$T/p.policy" --no-tap --zero-copy off --ring-size 512 \
		--duration 60 --metrics "$2" ;;
	afxdp-hybrid) echo "$(cmdline afxdp "$2")" --placement hybrid ;;
	dpdk) echo "$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=warning -- \
		--iface $IF_A1 --iface $IF_B1 --policy "$T/p.policy" --duration 60 --metrics "$2" ;;
	dpdk-hybrid) echo "$(cmdline dpdk "$2")" --hybrid ;;
	esac
}

# Verdict delta between two parsed scrapes.
delta() { # before after series
	local a b
	a=$(awk -v s="$3" '$1 == s { print $2 }' "$1")
	b=$(awk -v s="$3" '$1 == s { print $2 }' "$2")
	echo $(( ${b:-0} - ${a:-0} ))
}

# Every series of $2 is >= its value in $1 (counters never go back).
monotonic() {
	join <(sort "$1") <(sort "$2") | awk '$3 < $2 { print "went back: " $0; bad = 1 } END { exit bad }'
}

# One datapath: start, scrape, send, scrape, check, stop.
run_path() { # name label
	local name=$1 label=$2 up=0 d want
	echo "== $name (path=\"$label\")"
	# shellcheck disable=SC2046 # the command line is split into words on purpose
	"${IN_DUT[@]}" $(cmdline $name $MADDR) >"$T/$name.log" 2>&1 &
	DUT=$!
	for _ in $(seq 300); do
		scrape -o /dev/null "http://$MADDR/metrics" 2>/dev/null && { up=1; break; }
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	if [ $up = 0 ]; then
		bad "$name: /metrics not reachable within 30 s"; grep -v '^libbpf: elf' "$T/$name.log" | tail -20
		kill $DUT 2>/dev/null; wait $DUT 2>/dev/null; DUT=
		return
	fi
	sleep 1 # the datapath may serve before its ports are up: let them settle
	scrape -D "$T/$name.hdr" -o "$T/$name.0" "http://$MADDR/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/$name.hdr" &&
		ok "$name: Content-Type text/plain; version=0.0.4" || bad "$name: Content-Type: $(grep -i content-type "$T/$name.hdr")"
	if $PY "$HERE/promcheck.py" check "$T/$name.0" "$label" >"$T/$name.s0"; then
		ok "$name: exposition valid ($(grep -c '^# TYPE' "$T/$name.0") families, $(wc -l <"$T/$name.s0") series)"
	else
		bad "$name: $(cat "$T/$name.s0")"
	fi
	if command -v promtool >/dev/null; then
		promtool check metrics <"$T/$name.0" >"$T/$name.lint" 2>&1 &&
			ok "$name: promtool check metrics: clean" || bad "$name: promtool check metrics: $(cat "$T/$name.lint")"
	else
		echo "note: promtool not installed (Debian prometheus): lint skipped"
	fi
	grep -Eq "^pathlab_up\{path=\"$label\",instance=\"[a-z]+:[^\"]+\",ifname=\"$IF_A1,$IF_B1\",xdp_mode=\"(native|generic)\"\} 1\$" "$T/$name.0" &&
		ok "$name: pathlab_up 1 with instance, ifname and xdp_mode" || bad "$name: pathlab_up: $(grep '^pathlab_up' "$T/$name.0")"

	got0=$(awk '{print $2}' "$T/recv")
	ip netns exec $NS_A $PY "$HERE/peer.py" send $IP_B 7000 $N_RED
	ip netns exec $NS_A $PY "$HERE/peer.py" send $IP_B 9 $N_DROP
	ip netns exec $NS_A $PY "$HERE/peer.py" send $IP_B 4242 $N_USER
	ip netns exec $NS_A $PY "$HERE/peer.py" send $IP_B 5353 $N_PASS
	ip netns exec $NS_A $PY "$HERE/peer.py" send $IP_B 5353 $N_SRC2 $IP_A2
	ip netns exec $NS_A $PY "$HERE/peer.py" send $VIP 7100 $N_LB
	sleep 1.5
	scrape -o "$T/$name.1" "http://$MADDR/metrics"
	$PY "$HERE/promcheck.py" check "$T/$name.1" "$label" >"$T/$name.s1" || bad "$name: second scrape: $(cat "$T/$name.s1")"
	for v in redirect:$((N_RED + N_LB)) drop:$N_DROP user:$N_USER pass:$((N_PASS + N_SRC2)) tx:0 aborted:0; do
		want=${v#*:}
		d=$(delta "$T/$name.s0" "$T/$name.s1" "pathlab_packets_total{verdict=${v%%:*}}")
		[ "$d" = "$want" ] && ok "$name: verdict ${v%%:*} +$d (sent $want)" ||
			bad "$name: verdict ${v%%:*} went up by $d, sent $want"
	done
	want=$((N_RED + N_DROP + N_USER + N_PASS + N_SRC2 + N_LB))
	d=$(delta "$T/$name.s0" "$T/$name.s1" "pathlab_rx_packets_total{}")
	[ "$d" = $want ] && ok "$name: rx_packets +$d" || bad "$name: rx_packets went up by $d, sent $want"
	d=$(delta "$T/$name.s0" "$T/$name.s1" "pathlab_proto_udp_total{}")
	[ "$d" = $want ] && ok "$name: proto_udp +$d" || bad "$name: proto_udp went up by $d, sent $want"
	d=$(delta "$T/$name.s0" "$T/$name.s1" "pathlab_acl_drop_total{}")
	[ "$d" = $N_DROP ] && ok "$name: acl_drop +$d" || bad "$name: acl_drop went up by $d, sent $N_DROP"
	got=$(( $(awk '{print $2}' "$T/recv") - got0 ))
	[ "$got" = $N_RED ] && ok "$name: host B received the $N_RED redirected datagrams" ||
		bad "$name: host B received $got of $N_RED redirected datagrams"
	# the tables' series: exact totals (a fresh datapath saw only these frames)
	for v in "pathlab_source_packets_total{source=$IP_A}:$((N_RED + N_DROP + N_USER + N_PASS + N_LB))" \
		"pathlab_source_packets_total{source=$IP_A2}:$N_SRC2" \
		"pathlab_acl_rule_hits_total{line=2,rule=0,text=acl drop proto udp dport 9}:$N_DROP" \
		"pathlab_acl_rule_hits_total{line=3,rule=1,text=acl pass proto udp dport 7000}:$N_RED" \
		"pathlab_lb_service_packets_total{service=$VIP:7100/udp}:$N_LB" \
		"pathlab_lb_service_new_flows_total{service=$VIP:7100/udp}:1" \
		"pathlab_lb_backend_packets_total{backend=$IP_B,service=$VIP:7100/udp}:$N_LB" \
		"pathlab_lb_backend_new_flows_total{backend=$IP_B,service=$VIP:7100/udp}:1" \
		"pathlab_lb_backend_up{backend=$IP_B,service=$VIP:7100/udp,state=up}:1"; do
		want=${v##*:} series=${v%:*}
		got=$(awk -v s="$series" '$0 ~ /^/ && substr($0, 1, length(s)) == s && substr($0, length(s) + 1, 1) == " " { print $NF }' "$T/$name.s1")
		[ "$got" = "$want" ] && ok "$name: $series = $want" || bad "$name: $series = '${got}', want $want"
	done
	[ "$(grep -c '^pathlab_source_packets_total{' "$T/$name.s1")" = 2 ] && ok "$name: two source series" ||
		bad "$name: source series: $(grep '^pathlab_source_packets_total' "$T/$name.s1" | tr '\n' ' ')"
	monotonic "$T/$name.s0" "$T/$name.s1" && ok "$name: no counter went back" || bad "$name: a counter went back"
	sleep 0.5
	scrape -o "$T/$name.2" "http://$MADDR/metrics"
	$PY "$HERE/promcheck.py" check "$T/$name.2" "$label" >"$T/$name.s2" &&
		monotonic "$T/$name.s1" "$T/$name.s2" || bad "$name: third scrape invalid or went back"

	# other URLs and methods; HEAD and the index
	c=$(scrape -o /dev/null -w '%{http_code}' "http://$MADDR/nope")
	[ "$c" = 404 ] && ok "$name: /nope -> 404" || bad "$name: /nope -> $c"
	c=$(scrape -o /dev/null -w '%{http_code}' -X POST "http://$MADDR/metrics")
	[ "$c" = 405 ] && ok "$name: POST -> 405" || bad "$name: POST -> $c"
	c=$(scrape -o /dev/null -w '%{http_code}' -I "http://$MADDR/metrics")
	[ "$c" = 200 ] && ok "$name: HEAD -> 200" || bad "$name: HEAD -> $c"
	c=$(scrape -o /dev/null -w '%{http_code}' "http://$MADDR/metrics?x=1")
	[ "$c" = 200 ] && ok "$name: /metrics?x=1 -> 200" || bad "$name: /metrics?x=1 -> $c"

	# the series names (path label left out) for the cross-datapath check:
	# the core's, without the front ends' own (pathlab_afxdp_*, pathlab_dpdk_*:
	# their sockets and queues), which must be there for their AF_XDP sockets
	awk '{print $1}' "$T/$name.s1" | grep -Ev '^pathlab_(afxdp|dpdk)_' >"$T/$name.names"
	case $name in
	afxdp*|dpdk*)
		fe=${name%%-*}
		n=$(grep -Ec "^pathlab_${fe}_xdp_rx_ring_full_total\{.*iface=\"($IF_A1|$IF_B1)\"" "$T/$name.1")
		[ "$n" = 2 ] && ok "$name: XDP_STATISTICS of both sockets (pathlab_${fe}_xdp_*)" ||
			bad "$name: pathlab_${fe}_xdp_rx_ring_full_total for $IF_A1 and $IF_B1: $n series"
		;;
	esac

	kill -INT $DUT
	wait $DUT
	rc=$?
	DUT=
	[ $rc = 0 ] && ok "$name: exit 0 after SIGINT" || { bad "$name: exit $rc after SIGINT"; tail -5 "$T/$name.log"; }
	scrape -o /dev/null "http://$MADDR/metrics" 2>/dev/null && bad "$name: port still served after exit" ||
		ok "$name: port closed after exit"
	[ -z "$(xdp_left)" ] && ok "$name: nothing attached after exit" || bad "$name: left attached: $(xdp_left)"
}

# Errors: a bad address and a port in use; nothing left behind.
run_errors() { # name
	local name=$1 rc
	# shellcheck disable=SC2046 # the command line is split into words on purpose
	"${IN_DUT[@]}" timeout 60 $(cmdline $name nope) >"$T/$name.err1" 2>&1
	rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && grep -q "ADDR:PORT" "$T/$name.err1"; then
		ok "$name: --metrics nope -> exit $rc: $(grep -m1 ADDR:PORT "$T/$name.err1")"
	else
		bad "$name: --metrics nope -> exit $rc"; tail -5 "$T/$name.err1"
	fi
	# shellcheck disable=SC2046 # the command line is split into words on purpose
	"${IN_DUT[@]}" timeout 60 $(cmdline $name 127.0.0.1:9465) >"$T/$name.err2" 2>&1
	rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && grep -qi "in use" "$T/$name.err2"; then
		ok "$name: port in use -> exit $rc: $(grep -i -m1 'in use' "$T/$name.err2")"
	else
		bad "$name: port in use -> exit $rc"; tail -5 "$T/$name.err2"
	fi
	[ -z "$(xdp_left)" ] && ok "$name: nothing attached after the errors" || bad "$name: left attached: $(xdp_left)"
}

cat >"$T/p.policy" <<P
mode policy
acl drop proto udp dport 9
acl pass proto udp dport 7000
acl default pass
count sources on
lb service web $VIP 7100 udp mode dsr size 251
lb backend web $IP_B mac $MAC_B via $IF_B1
steer udp 4242 user
steer udp 5353 pass
forward redirect from $IF_A1 to $IF_B1
forward redirect from $IF_B1 to $IF_A1
P
# a listener holding 127.0.0.1:9465 in the DUT namespace
ip netns exec $NS_X $PY -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",9465)); s.listen(1); time.sleep(110)' &
pl_track $!

# host B counts what reaches UDP 7000 (the redirected datagrams)
ip netns exec $NS_B $PY "$HERE/peer.py" recv 7000 "$T/recv" &
pl_track $!
for _ in $(seq 50); do [ -s "$T/recv" ] && break; sleep 0.1; done

names=()
for spec in xdp:xdp:$XDP afxdp:afxdp-user:$AFXDP afxdp-hybrid:afxdp-hybrid:$AFXDP dpdk:dpdk:$DPDK \
	dpdk-hybrid:dpdk-hybrid:$DPDK; do
	IFS=: read -r name label bin <<<"$spec"
	if [ -z "$bin" ] || [ ! -x "$bin" ]; then
		echo "skip: $name is not built"
		continue
	fi
	run_path $name $label
	case $name in *-hybrid) ;; *) run_errors $name ;; esac
	names+=("$name")
done
[ ${#names[@]} -gt 0 ] || { echo "SKIP: no datapath built"; exit 77; }

# the same series everywhere
first=${names[0]}
for n in "${names[@]:1}"; do
	if cmp -s "$T/$first.names" "$T/$n.names"; then
		ok "$n serves the same $(wc -l <"$T/$n.names") series as $first"
	else
		bad "$n and $first serve different series: $(diff "$T/$first.names" "$T/$n.names" | grep '^[<>]' | head -5 | tr '\n' ' ')"
	fi
done

if [ -n "$DASH" ]; then
	if $PY -m json.tool "$DASH" >/dev/null; then ok "$(basename "$DASH") is valid JSON"; else bad "$DASH is not valid JSON"; fi
	# every family served (HELP/TYPE), samples or not: a table's family has no
	# samples when the policy does not use that stage
	awk '/^# TYPE / { print $3 }' "$T/$first.1" | sort -u >"$T/metric-names"
	r=$($PY "$HERE/promcheck.py" dashboard "$DASH" "$T/metric-names") && ok "$r" || bad "$r"
fi

[ $fails = 0 ] && echo "PASS: metrics on ${names[*]}" || echo "FAILED: $fails check(s)"
[ $fails = 0 ]
