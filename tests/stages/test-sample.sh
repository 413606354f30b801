#!/bin/bash
# Sample stage system test: real traffic through pathlab-xdp with sampling
# on, `pathlab-xdp sample` writing the ring to a pcap file, tcpdump reading
# it. A pl-topo line without forwarding; the sender GEN has two sources (A1
# and A3) pinging the DUT's first interface.
#  1. `sample every 2 snap 64 proto icmp from A1/32` and an ACL that drops
#     A3: 20 echo requests from A1 (all answered: sampling changes no
#     verdict) and 5 from A3. The pcap holds exactly 10 frames, all A1's
#     echo requests, each 64 bytes of a 98-byte frame; counter sampled +10.
#  2. `sample verdict drop` (every frame, any match) applied live: the pcap
#     holds A3's 5 dropped echo requests and none of A1's.
#  3. Errors: no --out (usage, exit 2), a bad sample statement (file:line).
#  4. The user-space build: pathlab-afxdp --placement user --sample-out
#     writes A1's echo requests (every 1), all answered, as many as the
#     sampled counter says.
#   test-sample.sh BUILD_DIR
BUILD=$1
PL_TAG=sm
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need ping tcpdump ethtool
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3)

stages_topo sm --topo line --no-forward --neigh dynamic
SG=$GEN_NS SD=$NS_DUT
A1=$GEN_IP4 A3=${GEN_IP4%.*}.3 D4=$DUT_IN_IP4
ip -n "$SG" addr add "$A3/24" dev "$GEN_IF"

printf "mode policy\nsample every 2 snap 64 proto icmp from %s/32\nacl drop from %s/32\n" "$A1" "$A3" \
	>"$TMP/s1.policy"
start_xdp "$SD" "$TMP/s1.policy" "$DUT_IN_IF"

# received SRC N: how many of N echo requests from SRC were answered
received() {
	ip netns exec "$SG" ping -q -n -c "$2" -i 0.02 -W 1 -I "$1" "$D4" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# sampler OUT ARGS...: pathlab-xdp sample in the background; SAMPLER is its PID
sampler() {
	local out=$1
	shift
	ip netns exec "$SD" "$XDP" sample "$DUT_IN_IF" --out "$out" "$@" >"$out.log" 2>&1 &
	SAMPLER=$!
	PIDS="$PIDS $SAMPLER"
	sleep 0.5
}
# caps FILE: "caplen/len" of every frame of a pcap file, one per line
caps() {
	$PY -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
while off + 16 <= len(d):
    _, _, cap, wire = struct.unpack_from("<IIII", d, off)
    print("%d/%d" % (cap, wire)); off += 16 + cap
' "$1"
}

st=$(ip netns exec "$SD" "$XDP" status "$DUT_IN_IF" 2>&1)
echo "$st" | grep -q 'lb off, sample on' && ok "status: sample on" || bad "status: $st"

# the neighbour entries, before the counting starts (A3's are dropped: the
# DUT never learns it, so its requests are plain ARP-less IP drops)
received "$A1" 2 >/dev/null
s0=$(counter sampled)
sampler "$TMP/s1.pcap" --duration 20 --count 10
n1=$(received "$A1" 20)
received "$A3" 5 >/dev/null
wait "$SAMPLER"
rc=$?
[ "$n1" = 20 ] && ok "all 20 echo requests of $A1 answered with sampling on" || bad "$A1: $n1 of 20 answered"
[ "$rc" = 0 ] && ok "sample exited 0: $(cat "$TMP/s1.pcap.log")" || bad "sample exit $rc: $(cat "$TMP/s1.pcap.log")"
td=$(tcpdump -n -r "$TMP/s1.pcap" 2>/dev/null)
n=$(echo "$td" | grep -c "IP $A1 > $D4: ICMP echo request")
total=$(echo "$td" | grep -c .)
[ "$n" = 10 ] && [ "$total" = 10 ] && ok "tcpdump reads 10 frames, all $A1's echo requests (1 in 2 of 20)" ||
	bad "tcpdump: $n of $total frames are $A1's echo requests (want 10 of 10): $td"
c=$(caps "$TMP/s1.pcap" | sort -u | tr '\n' ' ')
[ "$c" = "64/98 " ] && ok "each record: 64 bytes of a 98-byte frame" || bad "caplen/len: $c (want 64/98)"
s1=$(counter sampled)
[ "$s1" -ge $((s0 + 10)) ] && [ "$s1" -le $((s0 + 11)) ] && ok "counter sampled +$((s1 - s0))" ||
	bad "counter sampled $s0 -> $s1 (want +10)"

printf "mode policy\nsample verdict drop\nacl drop from %s/32\n" "$A3" >"$TMP/s2.policy"
reload "$TMP/s2.policy"
sampler "$TMP/s2.pcap" --duration 20 --count 5
received "$A1" 10 >/dev/null
received "$A3" 5 >/dev/null
wait "$SAMPLER"
td=$(tcpdump -n -r "$TMP/s2.pcap" 2>/dev/null)
n=$(echo "$td" | grep -c "IP $A3 > $D4: ICMP echo request")
n1=$(echo "$td" | grep -c "IP $A1 ")
[ "$n" = 5 ] && [ "$n1" = 0 ] && ok "verdict drop: $A3's 5 dropped echo requests, none of $A1's" ||
	bad "verdict drop: $n of $A3 (want 5), $n1 of $A1 (want 0): $td"

# errors
out=$(ip netns exec "$SD" "$XDP" sample "$DUT_IN_IF" 2>&1)
rc=$?
[ "$rc" = 2 ] && echo "$out" | grep -q -- "--out" && ok "no --out: exit 2: $out" || bad "no --out: exit $rc: $out"
printf "mode policy\nsample every 0\n" >"$TMP/bad.policy"
out=$(ip netns exec "$SD" "$XDP" policy "$DUT_IN_IF" "$TMP/bad.policy" 2>&1) &&
	bad "sample every 0 was accepted: $out" ||
	{ echo "$out" | grep -q "bad.policy:2:" && ok "sample every 0 refused: $out" || bad "message: $out"; }

# the user-space build: pathlab-afxdp --placement user --sample-out, the
# same stage through the shim's per-worker ring
if [ -x "$BUILD/afxdp_port/pathlab-afxdp" ]; then
	kill "$XDP_PID"
	wait "$XDP_PID" 2>/dev/null
	TAPP=${PL_PREFIX}t
	ip -n "$SD" addr flush dev "$DUT_IN_IF"
	printf "mode policy\nsample every 1 proto icmp from %s/32\n" "$A1" >"$TMP/s3.policy"
	start_afxdp "$SD" -i "$DUT_IN_IF" --policy "$TMP/s3.policy" --tap-prefix "$TAPP" --quiet \
		--sample-out "$TMP/s3.pcap"
	ip -n "$SD" addr add "$D4/24" dev "${TAPP}0"
	sleep 0.5
	received "$A1" 2 >/dev/null
	n1=$(received "$A1" 10)
	kill -INT "$DUT"
	wait "$DUT"
	td=$(tcpdump -n -r "$TMP/s3.pcap" 2>/dev/null)
	n=$(echo "$td" | grep -c "IP $A1 > $D4: ICMP echo request")
	s=$(afxdp_total sampled)
	[ "$n1" = 10 ] && [ "$n" -ge 10 ] && [ "$n" = "$s" ] && [ "$(echo "$td" | grep -c .)" = "$n" ] &&
		ok "pathlab-afxdp --sample-out: $n of $A1's echo requests (sampled=$s), all answered" ||
		bad "pathlab-afxdp: $n1 of 10 answered, $n in the pcap, sampled=$s: $td $(tail -5 "$TMP/dut.log")"
fi
pl_done stages-sample
