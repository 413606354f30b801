#!/usr/bin/env bash
# pl-sink leaves nothing attached, even when it is killed with SIGKILL: its
# XDP program hangs on a bpf_link that dies with the process (suite system).
#   sink_kill.sh PL_SINK
set -u
sink=$1
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (network namespaces, XDP)"; exit 77; }
A=plt-sk-a B=plt-sk-b
tmp=$(mktemp -d /tmp/plt-sk.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cleanup_ns() { ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; }
cleanup_ns
ip netns add $A && ip netns add $B &&
	ip -n $A link add plt-sk0 type veth peer name plt-sk1 netns $B &&
	ip -n $A link set plt-sk0 up && ip -n $B link set plt-sk1 up || { echo "FAIL: cannot build the veth pair"; exit 1; }
attached() { ip -n $A -d link show dev plt-sk0 | grep -q 'prog/xdp'; }

ip netns exec $A timeout 60 "$sink" -i plt-sk0 --ready-file "$tmp/ready" >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
[ -e "$tmp/ready" ] || { echo "FAIL: pl-sink did not attach"; cat "$tmp/out"; exit 1; }
attached && echo "ok: pl-sink attached to plt-sk0" || { echo "FAIL: nothing attached while pl-sink runs"; exit 1; }
# timeout execs nothing: kill pl-sink itself
spid=$(pgrep -P "$pid" -x pl-sink || echo "$pid")
kill -9 "$spid"
wait "$pid" 2>/dev/null
pid=
for _ in $(seq 50); do attached || break; sleep 0.1; done
if attached; then
	echo "FAIL: an XDP program is still attached to plt-sk0 after pl-sink was killed with SIGKILL"
	ip -n $A -d link show dev plt-sk0
	exit 1
fi
echo "ok: nothing attached after SIGKILL"
