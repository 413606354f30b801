#!/bin/sh
# Block stage system test: sender plt-s-bg (10.82.0.1 and 10.82.0.3,
# fd82::1) pings the datapath's namespace plt-s-bd through pathlab-xdp, and
# the block lists change live with pathlab-policy block while a second
# source's flow keeps running: a source passes, is added (its echo requests
# are dropped, counted exactly), is removed (passes again); the IPv6 source
# the same through `block load`. The other source loses nothing throughout.
# Then examples/block-top-sources.py, one interval: a flood from 10.82.0.5
# (about 500 packets/s) is blocked, a 50 packets/s source is not.
#   test-block.sh BUILD_DIR
BUILD=$1
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need ethtool ping

mkns plt-s-bg; mkns plt-s-bd
link plt-s-bg plt-s-bg0 plt-s-bd plt-s-bd0
ip -n plt-s-bg addr add 10.82.0.1/24 dev plt-s-bg0
ip -n plt-s-bg addr add 10.82.0.3/24 dev plt-s-bg0
ip -n plt-s-bg addr add 10.82.0.5/24 dev plt-s-bg0
ip -n plt-s-bg addr add fd82::1/64 dev plt-s-bg0 nodad
ip -n plt-s-bd addr add 10.82.0.2/24 dev plt-s-bd0
ip -n plt-s-bd addr add fd82::2/64 dev plt-s-bd0 nodad
printf "mode policy\ncount sources on\n" >"$TMP/b.policy"
start_xdp plt-s-bd "$TMP/b.policy" plt-s-bd0
id=$(ip -n plt-s-bd -d link show dev plt-s-bd0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
[ -n "$id" ] || { echo "FAIL: no program id on plt-s-bd0"; exit 1; }
blk() { ip netns exec plt-s-bd "$POLICY" block --prog-id "$id" "$@"; }

# received SRC DEST N: how many of N echo requests from SRC were answered
received() {
	ip netns exec plt-s-bg ping -q -n -c "$3" -i 0.02 -W 1 -I "$1" "$2" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
received 10.82.0.1 10.82.0.2 2 >/dev/null # neighbours
received fd82::1 fd82::2 2 >/dev/null

# the other source's flow, running across every change below
ip netns exec plt-s-bg ping -q -n -c 400 -i 0.02 -W 1 -I 10.82.0.3 10.82.0.2 >"$TMP/other.out" 2>&1 &
OTHER=$!
PIDS="$PIDS $OTHER"

b0=$(counter blocked)
n=$(received 10.82.0.1 10.82.0.2 20)
[ "$n" = 20 ] && ok "10.82.0.1 passes before it is listed" || bad "before: $n of 20 answered"
[ "$(counter blocked)" = "$b0" ] && ok "blocked unchanged while the lists are empty" ||
	bad "blocked moved: $(counter blocked) (was $b0)"

out=$(blk add src 10.82.0.1/32 2>&1) && ok "block add src 10.82.0.1/32" || bad "block add: $out"
n=$(received 10.82.0.1 10.82.0.2 20)
[ "$n" = 0 ] && ok "10.82.0.1 blocked: 0 of 20 answered" || bad "blocked: $n of 20 answered"
b1=$(counter blocked) s1=$(counter block_src)
[ "$b1" = $((b0 + 20)) ] && [ "$s1" = 20 ] && ok "blocked +20, block_src 20" ||
	bad "counters: blocked $b0 -> $b1, block_src $s1 (want +20, 20)"

out=$(blk del src 10.82.0.1/32 2>&1) && ok "block del src 10.82.0.1/32" || bad "block del: $out"
n=$(received 10.82.0.1 10.82.0.2 20)
[ "$n" = 20 ] && ok "10.82.0.1 passes again once removed" || bad "after del: $n of 20 answered"
[ "$(counter blocked)" = "$b1" ] && ok "blocked unchanged after the removal" ||
	bad "blocked moved after del: $(counter blocked) (was $b1)"

printf '# test list\nfd82::1/128\n198.18.0.0/15\n' >"$TMP/v6.list"
received fd82::1 fd82::2 2 >/dev/null # a fresh neighbour entry: no probe while blocked
b1=$(counter blocked)
out=$(blk load src "$TMP/v6.list" 2>&1) && ok "block load: $out" || bad "block load: $out"
n=$(received fd82::1 fd82::2 20)
[ "$n" = 0 ] && ok "fd82::1 blocked by the loaded list" || bad "v6 blocked: $n of 20 answered"
[ "$(counter blocked)" = $((b1 + 20)) ] && ok "blocked +20 (IPv6)" ||
	bad "blocked $(counter blocked), want $((b1 + 20))"
printf '# empty\n' >"$TMP/v6.list"
out=$(blk load src "$TMP/v6.list" 2>&1) && ok "block load of an empty list: $out" || bad "block load empty: $out"
n=$(received fd82::1 fd82::2 20)
[ "$n" = 20 ] && ok "fd82::1 passes after the empty list" || bad "v6 after: $n of 20 answered"

# errors: a bad line names file:line and changes nothing
printf '10.82.0.1\nnot-a-prefix\n' >"$TMP/bad.list"
out=$(blk load src "$TMP/bad.list" 2>&1) && bad "a bad list was loaded: $out" ||
	{ echo "$out" | grep -q "bad.list:2:" && ok "bad list refused: $out" || bad "bad list message: $out"; }
n=$(received 10.82.0.1 10.82.0.2 5)
[ "$n" = 5 ] && ok "a refused list changed nothing" || bad "after a refused list: $n of 5 answered"

wait $OTHER
grep -q ' 400 received' "$TMP/other.out" && ok "the other source's 400 echo requests all answered" ||
	bad "other source: $(grep received "$TMP/other.out")"

# the mitigation loop example, one interval, over a flood and a calm source
ip netns exec plt-s-bg ping -q -n -c 1500 -i 0.002 -W 1 -I 10.82.0.5 10.82.0.2 >/dev/null 2>&1 &
FLOOD=$!
PIDS="$PIDS $FLOOD"
ip netns exec plt-s-bg ping -q -n -c 150 -i 0.02 -W 1 -I 10.82.0.3 10.82.0.2 >"$TMP/calm.out" 2>&1 &
CALM=$!
PIDS="$PIDS $CALM"
sleep 0.5
out=$(ip netns exec plt-s-bd /usr/bin/python3 "$(dirname "$0")/../../examples/block-top-sources.py" \
	--prog-id "$id" --pathlab-policy "$POLICY" --threshold 150 --interval 1 --once 2>&1)
echo "$out" | grep -q '^10.82.0.5: .* block' && ! echo "$out" | grep -q '^10.82.0.3' &&
	ok "block-top-sources.py blocked the flood only: $out" || bad "block-top-sources.py: $out"
wait $FLOOD
n=$(received 10.82.0.5 10.82.0.2 10)
[ "$n" = 0 ] && ok "the flood's source stays blocked" || bad "flood source after the loop: $n of 10 answered"
wait $CALM
grep -q ' 150 received' "$TMP/calm.out" && ok "the calm source's 150 echo requests all answered" ||
	bad "calm source: $(grep received "$TMP/calm.out")"
exit $fail
