#!/bin/bash
# SPDX-License-Identifier: MIT
# OVS-DPDK and the PVP topology: Debian's DPDK build of ovs-vswitchd in a
# private run directory (pl-ovs --dpdk), type=dpdk ports on net_af_xdp
# vdevs over the DUT's veths, traffic between two namespaces.
#   dpdk.sh SRCDIR BUILDDIR [openflow|pvp|all]
# Topology: tests/dpdk/lib.sh's wire (pl-topo), OVS-DPDK in the DUT namespace
#   host A [IF_A0 IP_A] -- [IF_A1] OVS-DPDK [IF_B1] -- [IF_B0 IP_B] host B
# Checks:
#   openflow  the policy (acl drop udp 5001) as OpenFlow on OVS-DPDK: 5001 dropped, 5002 arrives,
#             the drop flows' n_packets = what was sent; dpif-netdev/pmd-perf-show answers
#   pvp       physical -> OVS -> vhost-user -> pathlab-dpdk (virtio_user, the same policy plus a
#             two-port wire) -> vhost-user -> OVS -> physical: 5001 dropped by the core, 5002
#             arrives; per-verdict counters exact at both OVS ports over the traffic (what OVS sent to the two
#             vhost ports = the core's rx, what it got back = the core's REDIRECTs); then
#             dpdk-testpmd io in pathlab-dpdk's place (the classic PVP baseline): all arrive
#   the end   stop leaves no ovs process, no EAL runtime directory, no socket, no XDP program
set -u
SRC=$1 BUILD=$2 WHAT=${3:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=ovd
BR=plt-ovdbr
N=200
# shellcheck source=SCRIPTDIR/../dpdk/lib.sh
. "$SRC/tests/dpdk/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$HERE/../lib/lib.sh"
require_root "namespaces, AF_XDP, vhost-user"
require_tool ovsdb-server dpdk-telemetry.py
DPDK_BIN=${PL_OVS_DPDK_BIN:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
[ -x "$DPDK_BIN" ] || skip "$DPDK_BIN not installed (openvswitch-switch-dpdk; scripts/bootstrap.sh)"
for t in "$BUILD/dpdk_app/pathlab-dpdk" "$BUILD/ovs/pathlab-ofgen"; do
	[ -x "$t" ] || fail "$t not built"
done
RUN=$PL_TMP/ovs
PREFIX=plt-ovd$$
VNF=

ovs() { "${PL_D_IN_DUT[@]}" "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge $BR --pmd-cpu-mask 0x2 "$@"; }
stop_vnf() {
	[ -n "$VNF" ] || return 0
	kill -INT "$VNF" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$VNF" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$VNF" 2>/dev/null
	wait "$VNF" 2>/dev/null
	VNF=
	rm -rf "/var/run/dpdk/$PREFIX"
}
cleanup() {
	stop_vnf
	[ -d "$BUILD/meson-logs" ] && cp "$RUN/ovs-vswitchd.log" "$BUILD/meson-logs/ovs-dpdk-vswitchd.log" 2>/dev/null
	ovs stop >/dev/null 2>&1
}
pl_defer cleanup
pl_on_fail() { tail -20 "$RUN/ovs-vswitchd.log" 2>/dev/null; tail -5 "$PL_TMP/vnf.log" 2>/dev/null; }

# N datagrams to 5001 and to 5002 from A to B; prints "5001=X 5002=Y" as B got them.
traffic() {
	local out=$PL_TMP/recv.out rp
	ip netns exec $NS_B timeout 15 /usr/bin/python3 "$HERE/udp.py" recv $IP_B 5001,5002 10 >"$out" &
	rp=$!
	for _ in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.05; done
	ip netns exec $NS_A timeout 15 /usr/bin/python3 "$HERE/udp.py" send $IP_B 5001,5002 $N
	wait $rp
	tail -1 "$out"
}
# Packet counts of OVS port $1: "RX TX" (ovs-ofctl dump-ports, live).
port_pkts() {
	ovs ofctl dump-ports $BR "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "rx" || $i == "tx") {
			v = $(i + 1); sub(/pkts=/, "", v); sub(/,/, "", v); c[$i] = v } }
		END { print c["rx"] + 0, c["tx"] + 0 }'
}

pl_d_topo_up || fail "topology"
mkdir -p "$RUN"
out=$(ovs --dpdk start 2>&1) || fail "pl-ovs --dpdk start: $out"
ok "OVS-DPDK started: $(echo "$out" | sed -n 2p)"
[ "$(ovs vsctl get Open_vSwitch . dpdk_initialized)" = true ] && ok "dpdk_initialized=true" || bad "DPDK not initialised"
for i in $IF_A1 $IF_B1; do
	out=$(ovs add-port $i 2>&1) && ok "$out" || fail "add-port $i: $out"
done
ip netns exec $NS_A ping -c 2 -i 0.3 -W 2 $IP_B >/dev/null && ok "ping A -> B through OVS-DPDK (NORMAL)" ||
	bad "ping through OVS-DPDK"

cat >"$PL_TMP/acl.policy" <<'EOF'
mode policy
acl drop proto udp dport 5001
acl default pass
EOF

if [ "$WHAT" = all ] || [ "$WHAT" = openflow ]; then
	out=$(ovs --policy "$PL_TMP/acl.policy" openflow apply 2>&1) && ok "$out" || bad "openflow apply: $out"
	r=$(traffic)
	[ "$r" = "5001=0 5002=$N" ] && ok "OVS-DPDK + OpenFlow policy: $r" || bad "OVS-DPDK + OpenFlow: expected 5001=0 5002=$N, got $r"
	c=$(ovs openflow counters 2>&1)
	d=$(echo "$c" | sed -n 's/.*\bdropped=\([0-9]*\).*/\1/p' | head -1)
	a=$(echo "$c" | sed -n 's/.*\bacl_drop=\([0-9]*\).*/\1/p' | head -1)
	[ "$d" = $N ] && [ "$a" = $N ] && ok "drop flows: acl_drop=$a dropped=$d (sent $N)" || bad "drop counters: $c (sent $N)"
	p=$(ovs appctl dpif-netdev/pmd-perf-show 2>&1)
	echo "$p" | grep -q "Iterations:" && echo "$p" | grep -q "Rx packets:" &&
		ok "pmd-perf-show: $(echo "$p" | grep -m1 'Rx packets:' | tr -s ' ')" || bad "pmd-perf-show: $p"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = pvp ]; then
	for v in vhu0 vhu1; do
		out=$(ovs add-vhost $v 2>&1) && ok "$(echo "$out" | cut -d'(' -f1)" || fail "add-vhost $v: $out"
	done
	of() { ovs vsctl get Interface "$1" ofport; }
	pa=$(of $IF_A1) pb=$(of $IF_B1) v0=$(of vhu0) v1=$(of vhu1)
	printf '%s\n' "table=0,in_port=$pa,actions=output:$v0" "table=0,in_port=$v0,actions=output:$pa" \
		"table=0,in_port=$pb,actions=output:$v1" "table=0,in_port=$v1,actions=output:$pb" >"$PL_TMP/pvp.flows"
	ovs ofctl replace-flows $BR "$PL_TMP/pvp.flows" || fail "PVP flows"
	ok "PVP flows: $IF_A1 <-> vhu0, vhu1 <-> $IF_B1"
	{
		cat "$PL_TMP/acl.policy"
		echo "forward redirect from virtio_user0 to virtio_user1"
		echo "forward redirect from virtio_user1 to virtio_user0"
	} >"$PL_TMP/pvp.policy"
	VDEVS=(--vdev "virtio_user0,path=$RUN/vhu0.sock,server=1,queues=1" --vdev "virtio_user1,path=$RUN/vhu1.sock,server=1,queues=1")
	# the VNF's worker on CPU 0 beside the traffic, OVS's PMD on CPU 1
	"${PL_D_IN_DUT[@]}" timeout 100 "$BUILD/dpdk_app/pathlab-dpdk" -l 1,0 --main-lcore 1 --no-huge -m 512 --no-pci \
		--file-prefix $PREFIX --log-level=warning "${VDEVS[@]}" -- --policy "$PL_TMP/pvp.policy" \
		--stats-interval 0 --duration 90 >"$PL_TMP/vnf.log" 2>&1 &
	VNF=$!
	for _ in $(seq 150); do
		[ "$(ovs vsctl get Interface vhu1 link_state 2>/dev/null)" = up ] &&
			[ "$(ovs vsctl get Interface vhu0 link_state 2>/dev/null)" = up ] && break
		kill -0 $VNF 2>/dev/null || fail "pathlab-dpdk exited: $(tail -3 "$PL_TMP/vnf.log")"
		sleep 0.2
	done
	[ "$(ovs vsctl get Interface vhu0 link_state)" = up ] && ok "pathlab-dpdk on virtio_user attached to vhu0, vhu1 (link up)" ||
		fail "vhost-user links not up"
	# a vhost-user link is up when the device is negotiated, which can be before the VNF's worker
	# polls it: the first echo may be lost, so wait (bounded) for one answer, then require two more
	for try in $(seq 20); do
		ip netns exec $NS_A ping -c 1 -W 1 $IP_B >/dev/null && break
	done
	ip netns exec $NS_A ping -c 2 -i 0.3 -W 2 $IP_B >/dev/null &&
		ok "ping A -> B through OVS -> pathlab-dpdk -> OVS (first answer at try $try)" ||
		bad "ping through PVP (20 single pings, then 2 pings: no answer; vnf: $(tail -3 "$PL_TMP/vnf.log"))"
	# the accounting is over the traffic alone: counters before and after it. What the start-up
	# leaves in them is not the core's (frames OVS queued to a virtqueue before the VNF polled
	# it; the virtio PMD's own announcements, sent without the application)
	tel() { echo "$1" | timeout 10 dpdk-telemetry.py -f $PREFIX 2>/dev/null | grep "\"$1\"" | /usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps(d['$1']))"; }
	val() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], -1))" "$1" "$2"; }
	core() {
		local c k
		c=$(tel /pathlab/counters) || fail "dpdk-telemetry.py /pathlab/counters"
		for k in rx_packets verdict_drop verdict_redirect dpdk_tx_sent acl_drop; do printf '%s ' "$(val "$c" $k)"; done
	}
	# "vhu0rx vhu0tx vhu1rx vhu1tx rx drop redirect tx_sent acl_drop". The two sides are read one
	# after the other, and the namespaces' own frames (an ARP probe when a neighbour entry goes
	# stale) can cross between the reads: a snapshot counts only when the core's counters are the
	# same before and after the OVS read
	snap() {
		local a o b
		for _ in $(seq 20); do
			a=$(core) o="$(port_pkts vhu0) $(port_pkts vhu1)" b=$(core)
			[ "$a" = "$b" ] && { echo "$o $a"; return; }
			sleep 0.3
		done
		fail "no quiet moment for a counter snapshot in 20 tries (core $a then $b)"
	}
	read -r -a S0 <<<"$(snap)"
	r=$(traffic)
	[ "$r" = "5001=0 5002=$N" ] && ok "PVP through pathlab-dpdk: $r" || bad "PVP: expected 5001=0 5002=$N, got $r"
	sleep 0.5
	read -r -a S1 <<<"$(snap)"
	[ ${#S0[@]} = 9 ] && [ ${#S1[@]} = 9 ] || fail "counters: before '${S0[*]}', after '${S1[*]}'"
	read -r v0rx v0tx v1rx v1tx rx drop red sent acl <<<"$(for i in $(seq 0 8); do printf '%s ' $((S1[i] - S0[i])); done)"
	echo "during the traffic: OVS vhu0 rx=$v0rx tx=$v0tx, vhu1 rx=$v1rx tx=$v1tx; core rx=$rx drop=$drop redirect=$red tx_sent=$sent acl_drop=$acl (before it: ${S0[*]})"
	[ "$drop" = $N ] && [ "$acl" = $N ] && ok "core: verdict_drop=acl_drop=$N" || bad "core verdict_drop=$drop acl_drop=$acl, sent $N"
	[ $((v0tx + v1tx)) = "$rx" ] && ok "OVS sent to vhu0+vhu1 $((v0tx + v1tx)) = the core's rx_packets" ||
		bad "OVS sent $((v0tx + v1tx)) to the vhost ports, the core received $rx"
	[ "$rx" = $((drop + red)) ] && ok "core rx = drop + redirect ($drop + $red)" || bad "core rx=$rx, drop=$drop, redirect=$red"
	[ $((v0rx + v1rx)) = "$red" ] && [ "$sent" = "$red" ] &&
		ok "OVS received from vhu0+vhu1 $((v0rx + v1rx)) = the core's REDIRECTs = its tx_sent" ||
		bad "OVS received $((v0rx + v1rx)) from the vhost ports, the core redirected $red and sent $sent"
	[ "$v1rx" -ge $N ] && [ "$v0tx" -ge $((2 * N)) ] && ok "per port: vhu0 tx=$v0tx (A's frames to the core), vhu1 rx=$v1rx (the core's frames to B)" ||
		bad "per port: vhu0 tx=$v0tx vhu1 rx=$v1rx"
	stop_vnf
	ok "pathlab-dpdk stopped"

	# the classic PVP baseline: testpmd io between the two virtio_user ports
	if command -v dpdk-testpmd >/dev/null; then
		sleep 50 | "${PL_D_IN_DUT[@]}" timeout 60 stdbuf -oL dpdk-testpmd -l 1,0 --main-lcore 1 --no-huge -m 1024 --no-pci \
			--file-prefix $PREFIX --log-level=error "${VDEVS[@]}" -- --forward-mode=io --port-topology=paired \
			--nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=8192 --auto-start >"$PL_TMP/vnf.log" 2>&1 &
		sleep 0.5
		VNF=$(pgrep -n -f "^dpdk-testpmd .*file-prefix $PREFIX")
		for _ in $(seq 150); do
			kill -0 "$VNF" 2>/dev/null || fail "dpdk-testpmd exited: $(tail -3 "$PL_TMP/vnf.log")"
			# forwarding starts once testpmd saw its links up (it checks for up to 9 s)
			grep -q "Press enter to exit" "$PL_TMP/vnf.log" || { sleep 0.2; continue; }
			[ "$(ovs vsctl get Interface vhu0 link_state 2>/dev/null)" = up ] &&
				[ "$(ovs vsctl get Interface vhu1 link_state 2>/dev/null)" = up ] && break
			sleep 0.2
		done
		ip netns exec $NS_A ping -c 2 -i 0.3 -W 2 $IP_B >/dev/null
		r=$(traffic)
		[ "$r" = "5001=$N 5002=$N" ] && ok "PVP through dpdk-testpmd io (no policy): $r" ||
			bad "PVP testpmd: expected 5001=$N 5002=$N, got $r; vhu0 $(ovs vsctl get Interface vhu0 link_state), vhu1 $(ovs vsctl get Interface vhu1 link_state); testpmd: $(grep -v '^ *$' "$PL_TMP/vnf.log" | tail -8)"
		stop_vnf
	fi
fi

out=$(ovs stop 2>&1) || bad "pl-ovs stop: $out"
ok "pl-ovs stop: $(echo "$out" | tr '\n' ' ')"
sleep 0.3
pgrep -f "$RUN" >/dev/null && bad "a process of $RUN is left: $(pgrep -a -f "$RUN")" || ok "no ovs process left"
left=$(find "$RUN" -maxdepth 1 \( -name '*.sock' -o -name '*.ctl' \) 2>/dev/null)
[ -z "$left" ] && ok "no socket left" || bad "sockets left: $left"
eal="/var/run/dpdk/plt-ovs-$(echo "$RUN" | md5sum | cut -c1-8)"
[ ! -e "$eal" ] && [ ! -e "/var/run/dpdk/$PREFIX" ] && ok "no EAL runtime directory left" || bad "EAL runtime directory left"
for i in $IF_A1 $IF_B1; do [ -z "$(pl_d_xdp_id $i)" ] || bad "XDP program left on $i"; done
pl_done "ovs-dpdk $WHAT"
