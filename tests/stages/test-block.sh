#!/bin/bash
# Block stage system test: a pl-topo line without forwarding; the sender
# GEN (GEN_IP4 and two more addresses of its subnet, A3 and A5, and GEN_IP6)
# pings the DUT's first interface through pathlab-xdp, and the block lists
# change live with pathlab-policy block while a second source's flow keeps
# running: a source passes, is added (its echo requests are dropped, counted
# exactly), is removed (passes again); the IPv6 source the same through
# `block load`. The other source loses nothing throughout.
# Then examples/block-top-sources.py, one interval: a flood from A5 (about
# 500 packets/s) is blocked, a 50 packets/s source is not.
#   test-block.sh BUILD_DIR
BUILD=$1
PL_TAG=sb
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need ethtool ping
POLICY=$BUILD/xdp/pathlab-policy

stages_topo bl --topo line --no-forward --neigh dynamic
BG=$GEN_NS BD=$NS_DUT
A1=$GEN_IP4 A3=${GEN_IP4%.*}.3 A5=${GEN_IP4%.*}.5 D4=$DUT_IN_IP4 S6=$GEN_IP6 D6=$DUT_IN_IP6
ip -n "$BG" addr add "$A3/24" dev "$GEN_IF"
ip -n "$BG" addr add "$A5/24" dev "$GEN_IF"
printf "mode policy\ncount sources on\n" >"$TMP/b.policy"
start_xdp "$BD" "$TMP/b.policy" "$DUT_IN_IF"
id=$(ip -n "$BD" -d link show dev "$DUT_IN_IF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
[ -n "$id" ] || { echo "FAIL: no program id on $DUT_IN_IF"; exit 1; }
blk() { ip netns exec "$BD" "$POLICY" block --prog-id "$id" "$@"; }

# received SRC DEST N: how many of N echo requests from SRC were answered
received() {
	ip netns exec "$BG" ping -q -n -c "$3" -i 0.02 -W 1 -I "$1" "$2" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
received "$A1" "$D4" 2 >/dev/null # neighbours
received "$S6" "$D6" 2 >/dev/null

# the other source's flow, running across every change below
ip netns exec "$BG" ping -q -n -c 400 -i 0.02 -W 1 -I "$A3" "$D4" >"$TMP/other.out" 2>&1 &
OTHER=$!
PIDS="$PIDS $OTHER"

b0=$(counter blocked)
n=$(received "$A1" "$D4" 20)
[ "$n" = 20 ] && ok "$A1 passes before it is listed" || bad "before: $n of 20 answered"
[ "$(counter blocked)" = "$b0" ] && ok "blocked unchanged while the lists are empty" ||
	bad "blocked moved: $(counter blocked) (was $b0)"

out=$(blk add src "$A1/32" 2>&1) && ok "block add src $A1/32" || bad "block add: $out"
n=$(received "$A1" "$D4" 20)
[ "$n" = 0 ] && ok "$A1 blocked: 0 of 20 answered" || bad "blocked: $n of 20 answered"
b1=$(counter blocked) s1=$(counter block_src)
[ "$b1" = $((b0 + 20)) ] && [ "$s1" = 20 ] && ok "blocked +20, block_src 20" ||
	bad "counters: blocked $b0 -> $b1, block_src $s1 (want +20, 20)"

out=$(blk del src "$A1/32" 2>&1) && ok "block del src $A1/32" || bad "block del: $out"
n=$(received "$A1" "$D4" 20)
[ "$n" = 20 ] && ok "$A1 passes again once removed" || bad "after del: $n of 20 answered"
[ "$(counter blocked)" = "$b1" ] && ok "blocked unchanged after the removal" ||
	bad "blocked moved after del: $(counter blocked) (was $b1)"

printf '# test list\n%s/128\n198.18.0.0/15\n' "$S6" >"$TMP/v6.list"
received "$S6" "$D6" 2 >/dev/null # a fresh neighbour entry: no probe while blocked
b1=$(counter blocked)
out=$(blk load src "$TMP/v6.list" 2>&1) && ok "block load: $out" || bad "block load: $out"
n=$(received "$S6" "$D6" 20)
[ "$n" = 0 ] && ok "$S6 blocked by the loaded list" || bad "v6 blocked: $n of 20 answered"
[ "$(counter blocked)" = $((b1 + 20)) ] && ok "blocked +20 (IPv6)" ||
	bad "blocked $(counter blocked), want $((b1 + 20))"
printf '# empty\n' >"$TMP/v6.list"
out=$(blk load src "$TMP/v6.list" 2>&1) && ok "block load of an empty list: $out" || bad "block load empty: $out"
n=$(received "$S6" "$D6" 20)
[ "$n" = 20 ] && ok "$S6 passes after the empty list" || bad "v6 after: $n of 20 answered"

# errors: a bad line names file:line and changes nothing
printf '%s\nnot-a-prefix\n' "$A1" >"$TMP/bad.list"
out=$(blk load src "$TMP/bad.list" 2>&1) && bad "a bad list was loaded: $out" ||
	{ echo "$out" | grep -q "bad.list:2:" && ok "bad list refused: $out" || bad "bad list message: $out"; }
n=$(received "$A1" "$D4" 5)
[ "$n" = 5 ] && ok "a refused list changed nothing" || bad "after a refused list: $n of 5 answered"

wait $OTHER
grep -q ' 400 received' "$TMP/other.out" && ok "the other source's 400 echo requests all answered" ||
	bad "other source: $(grep received "$TMP/other.out")"

# the mitigation loop example, one interval, over a flood and a calm source
ip netns exec "$BG" ping -q -n -c 1500 -i 0.002 -W 1 -I "$A5" "$D4" >/dev/null 2>&1 &
FLOOD=$!
PIDS="$PIDS $FLOOD"
ip netns exec "$BG" ping -q -n -c 150 -i 0.02 -W 1 -I "$A3" "$D4" >"$TMP/calm.out" 2>&1 &
CALM=$!
PIDS="$PIDS $CALM"
sleep 0.5
out=$(ip netns exec "$BD" /usr/bin/python3 "$(dirname "$0")/../../examples/block-top-sources.py" \
	--prog-id "$id" --pathlab-policy "$POLICY" --threshold 150 --interval 1 --once 2>&1)
echo "$out" | grep -q "^$A5: .* block" && ! echo "$out" | grep -q "^$A3:" &&
	ok "block-top-sources.py blocked the flood only: $out" || bad "block-top-sources.py: $out"
wait $FLOOD
n=$(received "$A5" "$D4" 10)
[ "$n" = 0 ] && ok "the flood's source stays blocked" || bad "flood source after the loop: $n of 10 answered"
wait $CALM
grep -q ' 150 received' "$TMP/calm.out" && ok "the calm source's 150 echo requests all answered" ||
	bad "calm source: $(grep received "$TMP/calm.out")"
pl_done stages-block
