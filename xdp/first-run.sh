#!/usr/bin/env bash
# First real run of the XDP datapath: a veth topology (pl-topo "pair"),
# pathlab-xdp attached on the DUT side with examples/acl.policy, ~10 s of
# real traffic (ping, UDP, TCP to ports 80 and 22) and the live stats, then
# everything is torn down (also on ^C or error). Needs root and a build
# (`meson setup build && ninja -C build`).
# Usage: xdp/first-run.sh [BUILD_DIR] [SECONDS]   (BUILD_DIR default: $PATHLAB_BUILD, else ./build)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "${1:-${PATHLAB_BUILD:-$SRC/build}}")
SECS=${2:-10}
XDP=$BUILD/xdp/pathlab-xdp
TRAFFIC=$BUILD/tests/xdp/pl-traffic
PLTOPO=$SRC/topologies/pl-topo
# PL_FIRSTRUN_ID (a few letters/digits) makes the names unique, for runs in parallel.
NAME=firstrun${PL_FIRSTRUN_ID:-}
PREFIX=plt-xf${PL_FIRSTRUN_ID:-}
pids=()

[ "$(id -u)" -eq 0 ] || { echo "first-run: needs root (namespaces, XDP): sudo $0" >&2; exit 1; }
for f in "$XDP" "$TRAFFIC"; do
	[ -x "$f" ] || { echo "first-run: $f is missing: meson setup $BUILD && ninja -C $BUILD" >&2; exit 1; }
done

# Stop what we started (by PID) and remove the topology.
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$PLTOPO" down "$NAME" >/dev/null 2>&1 || true
	echo "first-run: torn down"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PLTOPO" down "$NAME" >/dev/null 2>&1 || true
"$PLTOPO" up "$NAME" --prefix "$PREFIX" >/dev/null
eval "$("$PLTOPO" info "$NAME")"
echo "first-run: $GEN_IF ($GEN_IP4, namespace $NS_GEN) <-> $DUT_IN_IF ($DUT_IN_IP4, namespace $NS_DUT)"
echo "first-run: policy examples/acl.policy: TCP 22 dropped, everything else passes"

# A TCP server on 22 and 80 behind the XDP program (stopped by cleanup).
ip netns exec "$NS_DUT" "$TRAFFIC" serve $((SECS + 60)) 22 80 >/dev/null &
pids+=($!)
# The datapath, with live stats, bounded by --duration.
ip netns exec "$NS_DUT" "$XDP" run "$DUT_IN_IF" --policy "$SRC/examples/acl.policy" --extended --duration "$((SECS + 2))" &
xdp_pid=$!
pids+=("$xdp_pid")
# Loading (verifying) the program takes seconds on a busy machine: start the
# traffic once it is attached.
for _ in $(seq 300); do
	ip -n "$NS_DUT" link show dev "$DUT_IN_IF" | grep -q 'prog/xdp' && break
	kill -0 "$xdp_pid" 2>/dev/null || { echo "first-run: pathlab-xdp failed (see above)" >&2; exit 1; }
	sleep 0.1
done

# Real traffic from the generator side for SECS seconds.
end=$((SECONDS + SECS))
ip netns exec "$NS_GEN" timeout "$SECS" ping -q -i 0.01 "$DUT_IN_IP4" >/dev/null 2>&1 &
pids+=($!)
while [ "$SECONDS" -lt "$end" ]; do
	ip netns exec "$NS_GEN" "$TRAFFIC" udp "$DUT_IN_IP4" 4000 500 >/dev/null
	ip netns exec "$NS_GEN" "$TRAFFIC" connect "$DUT_IN_IP4" 80 300 >/dev/null || true
	ip netns exec "$NS_GEN" "$TRAFFIC" connect "$DUT_IN_IP4" 22 300 >/dev/null || true
	sleep 0.5
done
wait "$xdp_pid" || true
echo "first-run: TCP 80 -> $(ip netns exec "$NS_GEN" "$TRAFFIC" connect "$DUT_IN_IP4" 80 300 || true) (nothing attached now)"
