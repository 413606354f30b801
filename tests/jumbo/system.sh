#!/usr/bin/env bash
# Jumbo frames through a datapath, live: two namespaces joined by veth with
# MTU 9000 (pl-topo "pair"), the datapath on the DUT side, 9014-byte frames
# (9000-byte IPv4 UDP datagrams) from the generator side. Policy: UDP port 9
# dropped by the ACL, port 4242 steered to user space (AF_XDP paths only: in
# XDP alone it would reach the DUT's stack), everything else reflected back
# out the port (forward reflect: TX). Checks, exactly: the core saw every
# frame once with all its bytes (rx_packets, rx_bytes over the whole
# multi-buffer frame), the verdicts, and pl-sink (frags-aware XDP, native)
# on the generator's interface got the reflected frames back whole (packets
# and bytes); AF_XDP paths: the frames came as descriptor chains
# (rx_multibuf) and the frame accounting holds.
# Usage: system.sh DATAPATH BINARY PL_TRAFFIC PL_SINK
#   DATAPATH: xdp-native, xdp-generic, afxdp-user, afxdp-hybrid
set -uo pipefail

DP=$1 BIN=$(realpath "$2") TRAFFIC=$(realpath "$3") SINK=$(realpath "$4")
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces, XDP attach"
require_tool curl

FRAME=9014   # on the wire 9018 with the FCS
PAYLOAD=8972 # 9000 - 20 (IPv4) - 8 (UDP)
N_TX=20 N_DROP=10 N_USER=0
case $DP in
xdp-native | xdp-generic) ;;
afxdp-user | afxdp-hybrid) N_USER=5 ;;
*) fail "unknown datapath '$DP' (xdp-native, xdp-generic, afxdp-user, afxdp-hybrid)" ;;
esac

pl_topo_up "jb${DP:0:1}${DP: -1}"
TMP=$PL_TMP
IN_DUT=(ip netns exec "$NS_DUT")
IN_GEN=(ip netns exec "$NS_GEN")
PORT=$((9480 + RANDOM % 500))

ip -n "$NS_GEN" link set dev "$GEN_IF" mtu 9000 || fail "MTU 9000 on $GEN_IF"
ip -n "$NS_DUT" link set dev "$DUT_IN_IF" mtu 9000 || fail "MTU 9000 on $DUT_IN_IF"
# Only the test's frames on the link: no IPv6 (router and neighbour
# solicitations); IPv4 neighbours are static (pl-topo).
for ns in "$NS_GEN" "$NS_DUT"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done

cat >"$TMP/jumbo.policy" <<'EOF'
mode policy
malformed drop
default pass
acl drop proto udp dport 9
steer udp 4242 user
forward reflect
EOF

case $DP in
xdp-*)
	"${IN_DUT[@]}" "$BIN" run "$DUT_IN_IF" --mode "${DP#xdp-}" --policy "$TMP/jumbo.policy" \
		--duration 60 --metrics "127.0.0.1:$PORT" >"$TMP/dp.log" 2>&1 &
	;;
afxdp-*)
	"${IN_DUT[@]}" "$BIN" -i "$DUT_IN_IF" --placement "${DP#afxdp-}" --policy "$TMP/jumbo.policy" \
		--no-tap --quiet --duration 60 --metrics "127.0.0.1:$PORT" >"$TMP/dp.log" 2>&1 &
	;;
esac
DP_PID=$!
pl_track "$DP_PID"
pl_on_fail() { tail -30 "$TMP/dp.log"; }

# metric NAME [LABEL]: the value of a metric line (0 when absent).
metric() {
	"${IN_DUT[@]}" curl -s --max-time 3 "http://127.0.0.1:$PORT/metrics" |
		awk -v n="$1" -v l="${2:-}" '$1 ~ "^" n "({|$)" && index($1, l) { v = $2 } END { printf "%d\n", v }'
}
# The reflected frames come back to pl-sink on the generator's side (XDP_TX
# on a veth hands frames to its peer's XDP receive path, which needs a
# program there).
"${IN_GEN[@]}" "$SINK" --dev "$GEN_IF" --mode native --duration 60 --json --ready-file "$TMP/sink.ready" \
	>"$TMP/sink.json" 2>"$TMP/sink.log" &
SINK_PID=$!
pl_track "$SINK_PID"

for _ in $(seq 300); do
	[ "$(metric pathlab_up)" = 1 ] && [ -e "$TMP/sink.ready" ] && break
	kill -0 "$DP_PID" 2>/dev/null || fail "$DP exited: $(tail -5 "$TMP/dp.log")"
	sleep 0.1
done
[ "$(metric pathlab_up)" = 1 ] || fail "$DP: no metrics on port $PORT"
[ -e "$TMP/sink.ready" ] || fail "pl-sink did not attach to $GEN_IF: $(cat "$TMP/sink.log")"
sleep 0.5
ok "$DP running on $DUT_IN_IF with MTU 9000"

# snap: one line of the counters, in the order of K below.
K=(rx bytes tx drop user)
snap() {
	echo "$(metric pathlab_rx_packets_total) $(metric pathlab_rx_bytes_total)" \
		"$(metric pathlab_packets_total 'verdict="tx"') $(metric pathlab_packets_total 'verdict="drop"')" \
		"$(metric pathlab_packets_total 'verdict="user"')"
}
read -ra before <<<"$(snap)"
"${IN_GEN[@]}" "$TRAFFIC" udp "$DUT_IN_IP4" 5000 "$N_TX" "$PAYLOAD" >/dev/null || bad "sending to port 5000"
"${IN_GEN[@]}" "$TRAFFIC" udp "$DUT_IN_IP4" 9 "$N_DROP" "$PAYLOAD" >/dev/null || bad "sending to port 9"
[ "$N_USER" -gt 0 ] && { "${IN_GEN[@]}" "$TRAFFIC" udp "$DUT_IN_IP4" 4242 "$N_USER" "$PAYLOAD" >/dev/null ||
	bad "sending to port 4242"; }
N=$((N_TX + N_DROP + N_USER))
for _ in $(seq 50); do
	read -ra after <<<"$(snap)"
	[ $((after[0] - before[0])) -ge "$N" ] && break
	sleep 0.1
done
sleep 0.3
read -ra after <<<"$(snap)"
# d KEY: after - before of the counter named KEY in K.
d() {
	local i
	for i in "${!K[@]}"; do
		[ "${K[$i]}" = "$1" ] && echo $((after[i] - before[i]))
	done
}
expect() {
	local what=$1 key=$2 want=$3
	[ "$(d "$key")" = "$want" ] && ok "$what: $want" || bad "$what: $(d "$key"), want $want"
}
expect "frames the core saw" rx "$N"
expect "bytes the core saw (whole frames of $FRAME bytes)" bytes $((N * FRAME))
expect "reflected (TX)" tx "$N_TX"
expect "dropped by the ACL" drop "$N_DROP"
expect "steered to user space" user "$N_USER"
kill -INT "$SINK_PID"
for _ in $(seq 50); do kill -0 "$SINK_PID" 2>/dev/null || break; sleep 0.1; done
sink=$(tr -d ' \n' <"$TMP/sink.json")
got_p=$(printf '%s' "$sink" | sed -n 's/^{[^{]*"packets":\([0-9]*\),"bytes":\([0-9]*\).*/\1/p')
got_b=$(printf '%s' "$sink" | sed -n 's/^{[^{]*"packets":\([0-9]*\),"bytes":\([0-9]*\).*/\2/p')
[ "${got_p:-x}" = "$N_TX" ] && ok "frames back at the generator (pl-sink): $got_p" ||
	bad "frames back at the generator: ${got_p:-?}, want $N_TX ($(head -c 300 "$TMP/sink.json"))"
[ "${got_b:-x}" = $((N_TX * FRAME)) ] && ok "bytes back at the generator (whole frames): $got_b" ||
	bad "bytes back at the generator: ${got_b:-?}, want $((N_TX * FRAME))"

kill -INT "$DP_PID" 2>/dev/null
for _ in $(seq 100); do kill -0 "$DP_PID" 2>/dev/null || break; sleep 0.1; done
wait "$DP_PID"
rc=$?
[ "$rc" = 0 ] && ok "$DP stopped cleanly" || bad "$DP exit status $rc"
ip -n "$NS_DUT" -d link show dev "$DUT_IN_IF" | grep -q 'prog/xdp' && bad "an XDP program is still attached"
if [ "${DP%%-*}" = afxdp ]; then
	grep -q '^\[afxdp-frames\] accounting ok' "$TMP/dp.log" && ok "AF_XDP frame accounting ok" ||
		bad "frame accounting: $(grep '^\[afxdp-frames\]' "$TMP/dp.log" | tail -2)"
	mb=$(sed -n 's/^\[afxdp-total\].* rx_multibuf=\([0-9]*\).*/\1/p' "$TMP/dp.log")
	want=$N
	[ "$DP" = afxdp-hybrid ] && want=$N_USER # XDP decides the rest in the kernel
	[ "${mb:-x}" = "$want" ] && ok "received as descriptor chains: $mb" || bad "rx_multibuf ${mb:-?}, want $want"
	if [ "$DP" = afxdp-hybrid ]; then
		# the XDP metadata travels in front of the chain's first buffer
		mu=$(grep -A1 '^\[afxdp-hybrid-user-total\]' "$TMP/dp.log" | grep -o ' meta_used=[0-9]*' | cut -d= -f2)
		[ "${mu:-x}" = "$N_USER" ] && ok "chains resumed from the XDP metadata: $mu" ||
			bad "meta_used ${mu:-?}, want $N_USER"
	fi
fi
pl_done "$DP jumbo frames"
