#!/bin/bash
# pathlab-afxdp under overload: no UMEM frame leaks or is lost, every frame the kernel handed
# to a socket is accounted for, and the per-second stats carry the ring events.
#   load.sh PATHLAB_AFXDP PL_GEN user|hybrid
# Topology: a pl-topo line (tests/lib/lib.sh): gen [GEN] --veth-- [DUT_IN] dut [DUT_OUT] --veth-- [SINK] sink
# bench/pl-gen sends 64-byte frames, half UDP half TCP, at full speed for 3 s into DUT_IN.
# Policy: UDP dropped by the ACL; TCP (dport 7) forwarded DUT_IN -> DUT_OUT (user), or
# steered to the worker (hybrid: the worker consumes USER frames). Small rings (256) and the
# accounting check every 8 batches, so ring-full events happen while the check runs.
# Checks after SIGINT:
#   - accounting ok, no periodic check failed, no double free
#   - kernel -> socket: the veth's rx_queue_0_xdp_redirect delta == socket rx + rx_drained
#   - socket -> core: socket rx == the core's rx (user) / USER verdicts (hybrid)
#   - core: rx == drop + redirect (+ pass + tx + user + aborted); both drop and redirect > 0
#   - socket -> kernel: tx == tx_done (every transmitted frame completed and came back)
#   - stats: a [afxdp-user|hybrid-*] line and an [afxdp-events] line with XDP_STATISTICS each second
#   - metrics (the worker is stopped with SIGSTOP for 0.5 s mid-flood, so the kernel must drop
#     at the input socket): pathlab_afxdp_xdp_<field>_total for every XDP_STATISTICS field on
#     both sockets, the input socket's rx_dropped > 0 and rx_ring_full + fill_ring_empty > 0;
#     pathlab_afxdp_<counter>_total per socket, tx_ring_full and the kernel's rx_ring_full
#     equal to the exit report's
set -u
BIN=$1 GEN=$2 PLACE=$3
PL_TAG=l${PLACE:0:1}
X=$([ "$PLACE" = user ] && echo 0 || echo 1)
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces"
for b in "$BIN" "$GEN"; do [ -x "$b" ] || fail "$b not built"; done
WORK=$PL_TMP

# Value of key=N in a line (first match).
val() { echo "$1" | grep -o "[ ]$2=[0-9]*" | head -1 | cut -d= -f2; }

pl_topo_up "load$PLACE" --topo line
NSG=$GEN_NS NSD=$DUT_IN_NS NSS=$SINK_NS G=$GEN_IF D0=$DUT_IN_IF D1=$DUT_OUT_IF S=$SINK_IF
ip netns exec $NSS ethtool -K $S gro on >/dev/null # a receive handler for what the DUT sends
MAC=$(ip -n $NSD -br link show $D0 | awk '{print $3}')
{
	echo "mode policy"
	echo "acl drop proto udp"
	echo "acl default pass"
	if [ $PLACE = user ]; then echo "forward redirect from $D0 to $D1"; else echo "steer tcp 7 user"; fi
} >"$WORK/load.policy"

MPORT=$((19893 + X))
# Sampled before the DUT attaches: every frame ever redirected to the socket counts.
e0=$(ip netns exec $NSD ethtool -S $D0 | awk '/rx_queue_0_xdp_redirect:/ {print $2}')
ip netns exec $NSD timeout 60 "$BIN" -i $D0 -i $D1 --placement $PLACE --policy "$WORK/load.policy" \
	--no-tap --ring-size 256 --check-every 8 --cpus 1 --metrics 127.0.0.1:$MPORT >"$WORK/dut.log" 2>&1 &
DUT=$!
pl_track $DUT
for _ in $(seq 200); do grep -q 'worker(s)' "$WORK/dut.log" && break; kill -0 $DUT 2>/dev/null || break; sleep 0.1; done
grep -q 'worker(s)' "$WORK/dut.log" || { cat "$WORK/dut.log"; echo "FAIL: pathlab-afxdp did not start"; exit 1; }
sleep 0.3
pl_stall_under_load $DUT 1 0.5 ip netns exec $NSG timeout 20 "$GEN" -i $G --dst-mac $MAC -p udp:1,tcp:1 --dport 7 \
	-d 3 --cpu 0 >"$WORK/gen.txt" 2>&1 || bad "pl-gen failed: $(cat "$WORK/gen.txt")"
sleep 1.2
M=$(pl_scrape $NSD $MPORT) || bad "no /metrics on port $MPORT"
mval() { pl_mval "$M" "$@"; }
kill -INT $DUT
wait $DUT
rc=$?
e1=$(ip netns exec $NSD ethtool -S $D0 | awk '/rx_queue_0_xdp_redirect:/ {print $2}')
echo "# generator: $(tail -1 "$WORK/gen.txt")"
grep -E 'afxdp-(total|socket|frames)|-total\]' "$WORK/dut.log" | sed 's/^/# /'

[ $rc = 0 ] && ok "exit 0 after overload" || bad "exit status $rc: $(tail -3 "$WORK/dut.log")"
grep -q 'accounting ok' "$WORK/dut.log" && ok "frame accounting holds after overload" || bad "accounting: $(grep afxdp-frames "$WORK/dut.log")"
chk=$(grep -o 'checks_failed=[0-9]* double_free=[0-9]*' "$WORK/dut.log")
[ "$chk" = "checks_failed=0 double_free=0" ] && ok "periodic checks under load: $chk" || bad "periodic checks: $chk"
tot=$(grep -o '\[afxdp-total\].*' "$WORK/dut.log")
rx=$(val "$tot" rx) tx=$(val "$tot" tx) txd=$(val "$tot" tx_done)
s0=$(grep -o "\[afxdp-socket\] $D0 .*" "$WORK/dut.log")
rx0=$(val "$s0" rx) drained=$(val "$s0" rx_drained)
kern=$((e1 - e0))
[ $kern -gt 0 ] && [ $kern = $((rx0 + drained)) ] && ok "kernel -> $D0's socket: $kern redirected = $rx0 received + $drained drained" ||
	bad "kernel redirected $kern to $D0's socket, it accounts for rx=$rx0 + drained=$drained"
[ "$tx" = "$txd" ] && ok "socket -> kernel: every tx frame completed ($tx)" || bad "tx=$tx tx_done=$txd"
if [ $PLACE = user ]; then
	core=$(grep -o 'afxdp-user-total.*' "$WORK/dut.log")
else
	core=$(grep -o 'afxdp-hybrid-user-total.*' "$WORK/dut.log")
	xcore=$(grep -o 'afxdp-hybrid-xdp-total.*' "$WORK/dut.log")
	[ "$(val "$xcore" drop)" -gt 0 ] && [ "$(val "$xcore" user)" -gt 0 ] &&
		ok "XDP core: drop=$(val "$xcore" drop) user=$(val "$xcore" user)" || bad "XDP core: $xcore"
fi
crx=$(val "$core" rx) sum=0
for v in drop pass tx redirect user aborted; do sum=$((sum + $(val "$core" $v))); done
[ "$crx" = "$rx" ] && ok "socket -> core: $rx frames" || bad "sockets received $rx, the core saw $crx"
[ "$crx" = "$sum" ] && ok "every frame got one verdict ($sum)" || bad "core rx=$crx, verdicts sum to $sum: $core"
if [ $PLACE = user ]; then
	[ "$(val "$core" drop)" -gt 0 ] && [ "$(val "$core" redirect)" -gt 0 ] &&
		ok "DROP and REDIRECT both exercised: drop=$(val "$core" drop) redirect=$(val "$core" redirect)" || bad "verdicts: $core"
	red=$(val "$core" redirect) full=$(val "$tot" tx_ring_full)
	[ "$red" = $((tx + full)) ] && ok "every REDIRECT was sent ($tx) or counted tx_ring_full ($full)" || bad "redirect=$red tx=$tx tx_ring_full=$full"
fi
echo "$M" | grep -E '^pathlab_afxdp_(xdp_|tx_ring_full)' | sed 's/^/# /'
miss=
for f in rx_dropped rx_invalid_descs tx_invalid_descs rx_ring_full rx_fill_ring_empty_descs tx_ring_empty_descs; do
	for i in $D0 $D1; do
		[ "$(mval pathlab_afxdp_xdp_${f}_total "iface=\"$i\"")" -ge 0 ] || miss="$miss $i:$f"
	done
done
[ -z "$miss" ] && ok "metrics: every XDP_STATISTICS field for both sockets" || bad "metrics lack:$miss"
drop=$(mval pathlab_afxdp_xdp_rx_dropped_total "iface=\"$D0\"")
full=$(mval pathlab_afxdp_xdp_rx_ring_full_total "iface=\"$D0\"")
empty=$(mval pathlab_afxdp_xdp_rx_fill_ring_empty_descs_total "iface=\"$D0\"")
[ "$drop" -gt 0 ] && [ $((full + empty)) -gt 0 ] &&
	ok "metrics: $D0's socket counted the provoked drops: rx_dropped=$drop rx_ring_full=$full fill_ring_empty=$empty" ||
	bad "metrics: no provoked drops on $D0: rx_dropped=$drop rx_ring_full=$full fill_ring_empty=$empty"
mf=$(mval pathlab_afxdp_tx_ring_full_total "") kf=$(mval pathlab_afxdp_xdp_rx_ring_full_total "")
[ "$mf" = "$(val "$tot" tx_ring_full)" ] && [ "$kf" = "$(val "$tot" xdp_rx_ring_full)" ] &&
	ok "metrics agree with the exit report: tx_ring_full=$mf xdp_rx_ring_full=$kf" ||
	bad "metrics tx_ring_full=$mf xdp_rx_ring_full=$kf, exit report: $(val "$tot" tx_ring_full) $(val "$tot" xdp_rx_ring_full)"
n=$(grep -c '^\[afxdp-events\] t=.* xdp_rx_ring_full=[0-9]* xdp_fill_ring_empty=[0-9]*' "$WORK/dut.log")
m=$(grep -c "^\[afxdp-$([ $PLACE = user ] && echo user || echo hybrid-user)\] t=" "$WORK/dut.log")
[ $n -ge 3 ] && [ $m -ge 3 ] && ok "$m stats lines and $n events lines" || bad "stats lines: $m, events lines: $n"
echo "# ring events over the run: $(grep '^\[afxdp-events\]' "$WORK/dut.log" | awk '{for (i = 3; i <= NF; i++) {split($i, a, "="); s[a[1]] += a[2]}} END {for (k in s) if (s[k]) printf "%s=%d ", k, s[k]}')"
[ $fails = 0 ] && echo "PASS ($PLACE)" || echo "$fails check(s) failed ($PLACE)"
exit $((fails > 0))
