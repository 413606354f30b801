#!/bin/bash
# System test of pathlab-afxdp over veth between namespaces, copy mode.
#   system.sh PATHLAB_AFXDP user|hybrid
# Topology: a pl-topo wire (ARP crosses the DUT: --neigh dynamic):
#   gen [GEN_IF GEN_IP4] --veth-- [DUT_IN_IF] dut [DUT_OUT_IF] --veth-- [SINK_IF SINK_IP4] sink
# pathlab-afxdp runs in the DUT namespace on both ports. Checks:
#   1. forwarding: n0 reaches n1 (ping, TCP 80) through the port (REDIRECT)
#   2. the ACL: TCP 22 is dropped, TCP 80 passes, acl_drop counted
#   3. frame accounting holds after a load burst (flood ping), nothing lost
#   4. SIGINT: exit 0, no XDP program, no TAP left
#   5. PASS reaches a host service: through the TAP (user) or the port's
#      own stack (hybrid, where PASS is XDP_PASS in the kernel)
set -u
BIN=$1
PLACE=$2
X=$([ "$PLACE" = user ] && echo 1 || echo 2)
PL_TAG=a${PLACE:0:1}
PY=/usr/bin/python3
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces"
[ -x "$BIN" ] || fail "$BIN not built"
WORK=$PL_TMP
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}
pl_defer cleanup

setup() {
	pl_topo_up wire --topo wire --neigh dynamic
	NS0=$GEN_NS NS1=$SINK_NS NSD=$NS_DUT
	D0=$DUT_IN_IF D1=$DUT_OUT_IF TAPP=${PL_PREFIX}t
	# a host address on the same subnet, for the host service of part 5
	IP0=$GEN_IP4 IP1=$SINK_IP4 IPH=${GEN_IP4%.*}.9
	# Host ends: no checksum offload (frames cross user space as they are),
	# GRO on so a veth is a valid XDP_REDIRECT target (hybrid).
	pl_ethtool GEN tx off gro on
	pl_ethtool SINK tx off gro on
	pl_ethtool DUT_IN tx off
	pl_ethtool DUT_OUT tx off
}

# A TCP server answering "hello PORT" on every connection.
serve() { # ns addr port
	ip netns exec $1 timeout 100 $PY -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
while True:
    c,_=s.accept(); c.sendall(b"hello %s\n" % sys.argv[2].encode()); c.close()
' "$2" "$3" &
	PIDS+=($!)
}

# Connect and print the greeting (empty when the connection fails).
hello() { # ns addr port
	ip netns exec $1 timeout 4 bash -c "exec 3<>/dev/tcp/$2/$3 && head -1 <&3" 2>/dev/null
}

start_dut() { # policy, ports...
	local pol=$1; shift
	local args=()
	for i in "$@"; do args+=(-i "$i"); done
	ip netns exec $NSD timeout 90 "$BIN" "${args[@]}" --placement $PLACE --policy "$pol" \
		--zero-copy auto --tap-prefix $TAPP --ring-size 512 --check-every 64 ${EXTRA[@]+"${EXTRA[@]}"} \
		>"$WORK/dut.log" 2>&1 &
	DUT=$!
	PIDS+=("$DUT")
	# up to 30 s: hybrid loads (verifies) the BPF object once per port, ~1.5 s
	# of CPU each, several seconds on a busy 2-vCPU machine
	for _ in $(seq 300); do
		grep -q 'worker(s)' "$WORK/dut.log" && sleep 0.5 && return 0
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/dut.log"
	bad "pathlab-afxdp did not start"
	return 1
}

stop_dut() {
	kill -INT $DUT
	wait $DUT
	DUT_RC=$?
}

check_clean() {
	if ip -n $NSD link show | grep -q 'xdp'; then bad "an XDP program is left: $(ip -n $NSD link show | grep xdp)"; else ok "no XDP program left"; fi
	if ip -n $NSD link show | grep -q "$TAPP"; then bad "a TAP is left"; else ok "no TAP left"; fi
	if kill -0 $DUT 2>/dev/null; then bad "process still running"; fi
}

EXTRA=(--metrics "127.0.0.1:947$X")
# ---- 1-4: forwarding, ACL, load burst, shutdown ----------------------------
setup
cat >"$WORK/fwd.policy" <<P
mode policy
acl drop proto tcp dport 22
acl pass proto tcp dport 80
acl default pass
forward redirect from $D0 to $D1
forward redirect from $D1 to $D0
P
serve $NS1 $IP1 80
serve $NS1 $IP1 22
start_dut "$WORK/fwd.policy" $D0 $D1 || exit 1
grep -q 'copy mode' "$WORK/dut.log" && ok "auto mode fell back to copy on veth" || bad "mode line missing: $(grep 'worker(s)' "$WORK/dut.log")"
if ip netns exec $NS0 ping -c 3 -i 0.2 -W 2 $IP1 >/dev/null; then ok "ping $IP0 -> $IP1 through the port"; else bad "ping through the port"; fi
r=$(hello $NS0 $IP1 80)
[ "$r" = "hello 80" ] && ok "TCP 80 passes ($r)" || bad "TCP 80 did not pass (got '$r')"
r=$(hello $NS0 $IP1 22)
[ -z "$r" ] && ok "TCP 22 dropped" || bad "TCP 22 reached the server ('$r')"
# Load burst: flood ping with 64 in flight.
ip netns exec $NS0 ping -q -f -l 64 -c 20000 -w 20 $IP1 >"$WORK/flood.txt" 2>&1
grep -E "transmitted|duplicates" "$WORK/flood.txt"
rx=$(grep -o '[0-9]* received' "$WORK/flood.txt" | cut -d' ' -f1)
[ "${rx:-0}" -gt 15000 ] && ok "flood: $rx of 20000 echo replies" || bad "flood: only ${rx:-0} replies: $(cat "$WORK/flood.txt")"
m=$(ip netns exec $NSD curl -s --max-time 3 http://127.0.0.1:947$X/metrics | grep 'pathlab_packets_total.*verdict="redirect"')
[ -n "$m" ] && ok "metrics served: $m" || bad "no redirect counter on /metrics"
stop_dut
[ $DUT_RC = 0 ] && ok "clean exit on SIGINT" || bad "exit status $DUT_RC"
grep -q 'accounting ok' "$WORK/dut.log" && ok "frame accounting holds: $(grep 'afxdp-frames\] worker' "$WORK/dut.log" | head -1)" || bad "frame accounting: $(grep afxdp-frames "$WORK/dut.log")"
grep -q 'checks_failed=0 double_free=0' "$WORK/dut.log" || bad "periodic accounting checks failed"
if [ $PLACE = user ]; then
	tot=$(grep -o 'afxdp-user-total.*' "$WORK/dut.log")
	red=$(echo "$tot" | grep -o 'redirect=[0-9]*' | cut -d= -f2)
	[ "${red:-0}" -ge $((2 * ${rx:-0})) ] && ok "user-space core redirected $red frames" || bad "redirect count ${red:-0}: $tot"
	sent=$(grep -o 'afxdp-total.*' "$WORK/dut.log")
	tx=$(echo "$sent" | grep -o ' tx=[0-9]*' | cut -d= -f2)
	done_=$(echo "$sent" | grep -o 'tx_done=[0-9]*' | cut -d= -f2)
	[ "$tx" = "$done_" ] && ok "every tx frame completed ($tx)" || bad "tx=$tx tx_done=$done_"
else
	tot=$(grep -o 'afxdp-hybrid-xdp-total.*' "$WORK/dut.log")
	red=$(echo "$tot" | grep -o 'redirect=[0-9]*' | cut -d= -f2)
	[ "${red:-0}" -ge $((2 * ${rx:-0})) ] && ok "XDP core redirected $red frames in the kernel" || bad "redirect count ${red:-0}: $tot"
fi
grep -q 'acl_drop=[1-9]' "$WORK/dut.log" && ok "acl_drop counted" || bad "acl_drop not counted"
check_clean

# ---- 5: PASS reaches a host service ----------------------------------------
cat >"$WORK/pass.policy" <<P
mode policy
acl drop proto tcp dport 22
acl default pass
P
EXTRA=()
if [ $PLACE = hybrid ]; then
	# TCP 80 is steered to the worker (USER) and the worker hands USER frames
	# to the TAP: the hybrid worker path end to end. The rest is XDP_PASS.
	echo "steer tcp 80 user" >>"$WORK/pass.policy"
	EXTRA=(--user-to-tap)
fi
start_dut "$WORK/pass.policy" $D0 || exit 1
if [ $PLACE = user ]; then
	ip -n $NSD addr add $IPH/24 dev ${TAPP}0 || bad "no TAP ${TAPP}0"
else
	ip -n $NSD addr add $IPH/24 dev $D0
fi
serve $NSD $IPH 80
sleep 0.5
r=$(hello $NS0 $IPH 80)
[ "$r" = "hello 80" ] && ok "PASS reaches the host service ($r)" || { bad "PASS did not reach the host service (got '$r')"; cat "$WORK/dut.log"; }
r=$(hello $NS0 $IPH 22)
[ -z "$r" ] && ok "TCP 22 to the host dropped" || bad "TCP 22 reached the host"
stop_dut
# The exit totals, not a per-second delta (the last interval may have had none).
tap=$(grep '^\[afxdp-total\]' "$WORK/dut.log" | grep -o ' tap_tx=[0-9]*' | tail -1 | cut -d= -f2)
[ "${tap:-0}" -gt 0 ] && ok "the worker wrote $tap frames to the TAP" || { bad "no frame went through the TAP"; grep -E 'afxdp-(total|socket)|-total\]|policy' "$WORK/dut.log"; }
[ $DUT_RC = 0 ] && ok "clean exit" || { bad "exit status $DUT_RC"; tail -5 "$WORK/dut.log"; }
check_clean

[ $fails = 0 ] && echo "PASS ($PLACE)" || echo "$fails check(s) failed ($PLACE)"
exit $((fails > 0))
