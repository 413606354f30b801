#!/bin/bash
# pathlab-afxdp on an interface without native XDP (an ifb device, like r8169):
# by default it falls back to generic XDP with a warning naming the driver and
# runs (xdpgeneric attached, copy-mode sockets); --xdp-mode native refuses;
# nothing stays attached after it stops.
#   fallback.sh PATHLAB_AFXDP
set -u
BIN=$1
PL_TAG=afb
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces"
# an ifb device in a namespace of its own: pl-topo builds veth pairs only
NS=$PL_PREFIX-ns
IF=${PL_PREFIX#plt-}d0
WORK=$PL_TMP
PID=''
stop_bin() { [ -z "$PID" ] || { kill "$PID" 2>/dev/null && sleep 0.2 && kill -9 "$PID" 2>/dev/null; }; }
pl_defer stop_bin
pl_own netns $NS
ip netns add $NS || fail "ip netns add $NS"
ip -n $NS link add $IF type ifb || skip "no ifb device (modprobe ifb)"
ip -n $NS link set $IF up

# default (auto): generic with a warning, and it keeps running
ip netns exec $NS timeout 30 "$BIN" -i $IF --no-tap >"$WORK/auto.log" 2>&1 &
PID=$!
for _ in $(seq 50); do
	grep -q "port(s)" "$WORK/auto.log" && break
	kill -0 $PID 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 $PID 2>/dev/null; then
	bad "default mode exited on a driver without native XDP: $(tail -3 "$WORK/auto.log")"
else
	grep -q "$IF (driver ifb): no native XDP, running on generic XDP" "$WORK/auto.log" ||
		bad "no fallback warning naming the driver: $(cat "$WORK/auto.log")"
	grep -q "copy mode, generic XDP" "$WORK/auto.log" ||
		bad "the summary line does not say copy mode, generic XDP: $(grep 'port(s)' "$WORK/auto.log")"
	ip -n $NS -d link show $IF | grep -q xdpgeneric || bad "no xdpgeneric program attached"
	kill -INT $PID
	wait $PID
	rc=$?
	[ $rc = 0 ] || bad "exit status $rc after SIGINT"
fi
PID=''
ip -n $NS -d link show $IF | grep -q 'prog/xdp' && bad "an XDP program stayed attached"

# --xdp-mode native: an error naming the driver, nothing attached
ip netns exec $NS timeout 10 "$BIN" -i $IF --no-tap --xdp-mode native >"$WORK/native.log" 2>&1
rc=$?
[ $rc != 0 ] || bad "--xdp-mode native succeeded on a driver without native XDP"
grep -q "cannot attach to $IF (driver ifb) in native mode" "$WORK/native.log" ||
	bad "--xdp-mode native: no message naming the driver: $(cat "$WORK/native.log")"
ip -n $NS -d link show $IF | grep -q 'prog/xdp' && bad "an XDP program stayed attached after the refusal"

pl_done "default falls back to generic XDP with a warning; --xdp-mode native refuses; nothing left attached"
