#!/usr/bin/env bash
# pathlab-xdp detach of a program another tool attached over netlink
# (iproute2): status says so, detach removes it (only that program:
# XDP_FLAGS_REPLACE with it as the expected one) and says which
# (suite system).
#   detach.sh PATHLAB_XDP OTHER_BPF_OBJ
set -u
XDP=$1 OBJ=$2
PL_TAG=xd
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces, XDP"
[ -f "$OBJ" ] || skip "$OBJ not built"
pl_topo_up xd --topo pair
NS=$DUT_IN_NS IF=$DUT_IN_IF
# The object's program is frags-aware (section xdp.frags), as every XDP
# program of the tree is: iproute2 loads it by that section name.
ip -n "$NS" link set dev "$IF" xdpgeneric obj "$OBJ" sec xdp.frags ||
	{ bad "iproute2 cannot load $OBJ (section xdp.frags)"; exit 1; }
attached() { ip -n "$NS" -d link show dev "$IF" | grep -q 'prog/xdp'; }
attached && ok "iproute2 attached a program over netlink" || { bad "nothing attached by iproute2"; exit 1; }
out=$(ip netns exec "$NS" "$XDP" status "$IF" 2>&1)
echo "$out" | grep -q "attached over netlink" && ok "status: attached over netlink" || bad "status: $out"
out=$(ip netns exec "$NS" "$XDP" detach "$IF" 2>&1) && echo "$out" | grep -q "detached program [0-9]* .*attached over netlink" &&
	ok "detach: $out" || bad "detach: $out"
attached && bad "a program is still attached after detach" || ok "nothing attached after detach"
out=$(ip netns exec "$NS" "$XDP" detach "$IF" 2>&1) && echo "$out" | grep -q "nothing attached" &&
	ok "detach again: $out" || bad "detach again: $out"
pl_done
