#!/usr/bin/env bash
# The XDP mode options of the loaders: -N / -S / -O (the kernel's XDP
# samples) and --mode drv / skb / hw (xdp-tools) attach as --mode native /
# generic / offload do; offload is refused before the kernel is asked (the
# core has a devmap and an XSKMAP, which stay on the host), saying why, with
# nothing attached; pathlab-afxdp refuses it at the option.
# Usage: modes.sh PATHLAB_XDP [PATHLAB_AFXDP]
set -uo pipefail

XDP=$(realpath "$1")
AFXDP=${2:+$(realpath "$2")}
PL_TAG=xm
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces, XDP attach"

pl_topo_up md --topo pair
NS=$DUT_IN_NS IF=$DUT_IN_IF

# $1: what; the rest: pathlab-xdp's mode options. Runs `run` for 0.3 s and
# expects "attached in $want mode".
attached() {
	local what=$1 want=$2 out
	shift 2
	out=$(ip netns exec "$NS" "$XDP" run "$@" -d 0.3 "$IF" 2>&1)
	if [[ "$out" == *"$IF: attached in $want mode"* ]]; then
		ok "$what: attached in $want mode"
	else
		bad "$what: expected '$want' mode: $out"
	fi
}

attached "-S" generic -S
attached "--mode skb" generic --mode skb
attached "--skb-mode" generic --skb-mode
attached "-N" native -N
attached "--mode drv" native --mode drv
attached "-m native" native -m native

nothing_attached() {
	if ip netns exec "$NS" ip -d link show dev "$IF" | grep -q "prog/xdp"; then
		bad "$1: an XDP program stayed attached to $IF"
	else
		ok "$1: nothing attached"
	fi
}

for opt in "-O" "--mode hw" "--mode offload" "--offload-mode"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	out=$(ip netns exec "$NS" "$XDP" run $opt -d 0.3 "$IF" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && [[ "$out" == *"offload refused before trying"* ]] && [[ "$out" == *"xskmap"* ]] &&
		[[ "$out" == *"devmap"* ]] && [[ "$out" == *"use native or generic mode"* ]]; then
		ok "run $opt: refused, naming the devmap and the XSKMAP (exit 1)"
	else
		bad "run $opt: exit $rc: $out"
	fi
	nothing_attached "run $opt"
done

out=$(ip netns exec "$NS" "$XDP" run --mode nic "$IF" 2>&1)
rc=$?
[ "$rc" -eq 2 ] && [[ "$out" == *"drv"*"skb"*"hw"* ]] && ok "--mode nic: usage error naming the choices" ||
	bad "--mode nic: exit $rc: $out"

if [ -n "$AFXDP" ]; then
	out=$(ip netns exec "$NS" "$AFXDP" -O -i "$IF" -d 0.3 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] && [[ "$out" == *"offload"*"refused"*"XSKMAP"* ]] &&
		ok "pathlab-afxdp -O: refused at the option, naming the XSKMAP" || bad "pathlab-afxdp -O: exit $rc: $out"
	nothing_attached "pathlab-afxdp -O"
fi

pl_done "XDP mode options"
