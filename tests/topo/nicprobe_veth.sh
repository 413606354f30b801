#!/usr/bin/env bash
# pl-nicprobe reports veth correctly: driver veth, native XDP yes, AF_XDP
# zero-copy no, features from the netdev netlink family, and ndo-xmit
# (redirect target) only once the peer has an XDP program or GRO (the lab
# turns GRO on by default: this topology starts with offloads off).
PREFIX=plt-p
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

"$PLTOPO" up "p$RUN_ID" --prefix "$PREFIX" --offloads off 2>"$TMP/up.err" || { cat "$TMP/up.err" >&2; fail "pl-topo up"; }
eval "$("$PLTOPO" info "p$RUN_ID")"
kv() { ip netns exec "$1" "$PROBE" --kv "$2" | sed -n "s/^$3=//p"; }
[ "$(kv "$GEN_NS" "$GEN_IF" DRIVER)" = veth ] || fail "driver is not veth"
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_NATIVE)" = 1 ] || fail "native XDP not reported"
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_ZEROCOPY)" = 0 ] || fail "zero-copy reported on veth"
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_SOURCE)" = netlink ] || fail "not from the netdev netlink family (kernel $(uname -r))"
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_NDO_XMIT)" = 0 ] || fail "ndo-xmit before the peer has XDP or GRO"
ip netns exec "$DUT_IN_NS" ethtool -K "$DUT_IN_IF" gro on >/dev/null || fail "ethtool -K $DUT_IN_IF gro on"
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_NDO_XMIT)" = 1 ] || fail "ndo-xmit not reported with GRO on the peer"
ip netns exec "$DUT_IN_NS" ethtool -K "$DUT_IN_IF" gro off >/dev/null || fail "ethtool -K $DUT_IN_IF gro off"
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_NDO_XMIT)" = 0 ] || fail "ndo-xmit still reported after GRO off on the peer"
[ "$(kv "$GEN_NS" "$GEN_IF" PICK_AFXDP)" = copy ] || fail "lab should pick AF_XDP copy mode"
start_sink "p$RUN_ID" dut -d 30
[ "$(kv "$GEN_NS" "$GEN_IF" XDP_NDO_XMIT)" = 1 ] || fail "ndo-xmit not reported with XDP on the peer"
ip netns exec "$GEN_NS" "$PROBE" --json "$GEN_IF" | jq -e '.driver == "veth" and .xdp.native and (.xdp.zerocopy | not)' >/dev/null ||
	fail "--json output"
ip netns exec "$GEN_NS" "$PROBE" "$GEN_IF" | grep -q "AF_XDP zero-copy: no" || fail "human output"
ip netns exec "$GEN_NS" "$PROBE" nosuchif 2>/dev/null && fail "missing interface accepted"
ok "pl-nicprobe reports veth"
