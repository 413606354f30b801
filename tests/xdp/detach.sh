#!/usr/bin/env bash
# pathlab-xdp detach of a program another tool attached over netlink
# (iproute2): status says so, detach removes it (only that program:
# XDP_FLAGS_REPLACE with it as the expected one) and says which
# (suite system).
#   detach.sh PATHLAB_XDP OTHER_BPF_OBJ
set -u
XDP=$1 OBJ=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces, XDP)"; exit 77; }
[ -f "$OBJ" ] || { echo "SKIP: $OBJ not built"; exit 77; }
NS=plt-xd-a
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
cleanup() { ip netns del $NS 2>/dev/null; }
trap cleanup EXIT
cleanup
ip netns add $NS && ip -n $NS link add plt-xd0 type veth peer name plt-xd1 &&
	ip -n $NS link set plt-xd0 up && ip -n $NS link set plt-xd1 up || { echo "FAIL: cannot build the veth pair"; exit 1; }
ip -n $NS link set dev plt-xd0 xdpgeneric obj "$OBJ" sec xdp || { echo "SKIP: iproute2 cannot load $OBJ"; exit 77; }
attached() { ip -n $NS -d link show dev plt-xd0 | grep -q 'prog/xdp'; }
attached && ok "iproute2 attached a program over netlink" || { bad "nothing attached by iproute2"; exit 1; }
out=$(ip netns exec $NS "$XDP" status plt-xd0 2>&1)
echo "$out" | grep -q "attached over netlink" && ok "status: attached over netlink" || bad "status: $out"
out=$(ip netns exec $NS "$XDP" detach plt-xd0 2>&1) && echo "$out" | grep -q "detached program [0-9]* .*attached over netlink" &&
	ok "detach: $out" || bad "detach: $out"
attached && bad "a program is still attached after detach" || ok "nothing attached after detach"
out=$(ip netns exec $NS "$XDP" detach plt-xd0 2>&1) && echo "$out" | grep -q "nothing attached" &&
	ok "detach again: $out" || bad "detach again: $out"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
