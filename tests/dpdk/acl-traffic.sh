#!/bin/bash
# SPDX-License-Identifier: MIT
# Real traffic through pathlab-dpdk on two net_af_xdp ports (veth, copy
# mode) between two namespaces, with the ACL of examples/acl.policy plus a
# two-port wire: TCP 80 gets through, TCP 22 does not, N UDP datagrams
# arrive and the core's counters (read with the real dpdk-telemetry.py)
# match what was sent (with --hybrid: DPDK resumed every USER frame from the
# XDP metadata and ran no stage again). SIGINT stops it cleanly: exit 0, no XDP program left
# on either port, no process left.
#   acl-traffic.sh PATHLAB_DPDK ACL_POLICY [--hybrid]
set -u
DPDK=$1 ACL=$2 MODE=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=da${MODE:+h}
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
require_root "namespaces, AF_XDP"
command -v dpdk-telemetry.py >/dev/null || skip "dpdk-telemetry.py not installed (dpdk package)"
T=$PL_TMP
PREFIX=plt-d-sys$$
DUT=
cleanup() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_defer cleanup
pl_on_fail() { echo "--- pathlab-dpdk output:"; grep -v '^libbpf: elf' "$T/dut.log"; }

pl_d_topo_up
{
	cat "$ACL"
	# hybrid: UDP 9999 goes to user space (USER), all else stays in the kernel
	[ -n "$MODE" ] && echo "steer udp 9999 user"
	echo "forward redirect from $IF_A1 to $IF_B1"
	echo "forward redirect from $IF_B1 to $IF_A1"
} > "$T/wire.policy"
ip netns exec $NS_B python3 "$HERE/peer.py" serve "$T/peer.log" &
pl_track $!
# bounded by --duration (and the trap); $! is pathlab-dpdk itself
"${PL_D_IN_DUT[@]}" "$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=warning -- \
	--iface $IF_A1 --iface $IF_B1 --policy "$T/wire.policy" --stats-interval 1 --duration 90 $MODE > "$T/dut.log" 2>&1 &
DUT=$!
for _ in $(seq 300); do grep -q 'port(s)' "$T/dut.log" && break; kill -0 $DUT 2>/dev/null || fail "pathlab-dpdk exited early"; sleep 0.1; done
grep -q 'port(s)' "$T/dut.log" || fail "pathlab-dpdk did not start in 30 s"
for _ in $(seq 50); do grep -q ready "$T/peer.log" 2>/dev/null && break; sleep 0.1; done
echo "pathlab-dpdk running (pid $DUT) on $IF_A1, $IF_B1${MODE:+ ($MODE)}"

ip netns exec $NS_A ping -c 2 -W 2 -i 0.3 $IP_B >/dev/null || fail "ping A -> B through the DPDK wire"
ip netns exec $NS_A python3 "$HERE/peer.py" tcp $IP_B 80 || fail "TCP 80 should pass"
echo "ok: TCP 80 passes"
ip netns exec $NS_A python3 "$HERE/peer.py" tcp $IP_B 22 >/dev/null && fail "TCP 22 connected: the ACL did not drop it"
grep -q 'tcp 22' "$T/peer.log" && fail "host B saw a TCP 22 connection"
echo "ok: TCP 22 dropped"
N=50
ip netns exec $NS_A python3 "$HERE/peer.py" udp $IP_B $N
sleep 1
got=$(grep -c '^udp' "$T/peer.log")
if [ -z "$MODE" ]; then
	[ "$got" = $N ] || fail "host B received $got of $N UDP datagrams"
	echo "ok: $N UDP datagrams arrived"
else
	[ "$got" = 0 ] || fail "hybrid: host B received $got UDP datagrams that the policy gives to user space"
	echo "ok: $N UDP datagrams went to user space (USER), none to host B"
fi

tel() { echo "$1" | timeout 10 dpdk-telemetry.py -f $PREFIX 2>/dev/null | grep "\"$1\"" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps(d['$1']))"; }
C=$(tel /pathlab/counters) || fail "dpdk-telemetry.py /pathlab/counters"
echo "telemetry: $C"
val() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], -1))" "$C" "$1"; }
if [ -z "$MODE" ]; then
	# every UDP datagram crossed the user-space core once, and nothing else UDP did
	[ "$(val proto_udp)" = $N ] || fail "proto_udp=$(val proto_udp), sent $N"
	[ "$(val acl_drop)" -ge 1 ] || fail "acl_drop=$(val acl_drop): the TCP 22 SYNs were not counted"
	[ "$(val verdict_drop)" = "$(val acl_drop)" ] || fail "verdict_drop $(val verdict_drop) != acl_drop $(val acl_drop)"
	[ "$(val acl_pass)" -ge 4 ] || fail "acl_pass=$(val acl_pass): the TCP 80 segments were not counted"
	[ "$(val dpdk_tx_sent)" = "$(val verdict_redirect)" ] || fail "sent $(val dpdk_tx_sent) != redirected $(val verdict_redirect)"
else
	# hybrid: the kernel program decided everything; DPDK saw only USER frames
	[ "$(val verdict_redirect)" = 0 ] || fail "hybrid: DPDK saw $(val verdict_redirect) REDIRECT frames (the kernel should)"
	[ "$(val verdict_user)" = $N ] || fail "hybrid: DPDK saw $(val verdict_user) USER frames, sent $N"
	[ "$(val rx_packets)" = $N ] || fail "hybrid: DPDK saw $(val rx_packets) frames, only the $N USER ones should reach it"
	# the kernel's decision came with each frame (XDP metadata in the mbuf's
	# headroom): DPDK resumed there, the parse and the stages ran once
	[ "$(val meta_used)" = $N ] || fail "hybrid: meta_used=$(val meta_used) in DPDK's core, $N USER frames"
	[ "$(val meta_missing)" = 0 ] || fail "hybrid: meta_missing=$(val meta_missing): frames came without the kernel's decision"
	[ "$(val steer_user)" = 0 ] && [ "$(val proto_udp)" = 0 ] ||
		fail "hybrid: DPDK's core ran the stages again: steer_user=$(val steer_user) proto_udp=$(val proto_udp)"
	echo "ok: DPDK resumed all $N USER frames from the XDP metadata (meta_used), no stage ran twice"
	for i in $IF_A1 $IF_B1; do
		id=$(pl_d_xdp_id $i)
		bpftool prog show id "$id" | grep -q 'name pathlab ' || fail "hybrid: program $id on $i is not pathlab"
	done
	kr=$(awk '/^\[dpdk-xdp:/ { for (i = 1; i <= NF; i++) if ($i ~ /^redirect=/) { split($i, a, "="); s += a[2] } } END { print s + 0 }' "$T/dut.log")
	[ "${kr%.*}" -ge 10 ] || fail "hybrid: the kernel programs redirected $kr frames/s in total"
	echo "ok: kernel redirected (sum of per-second rates $kr), DPDK saw only the USER frames"
	K=$(tel /pathlab/xdp) || fail "dpdk-telemetry.py /pathlab/xdp (the kernel's counters)"
	kval() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], -1))" "$K" "$1"; }
	[ "$(kval verdict_user)" = $N ] || fail "hybrid: /pathlab/xdp verdict_user=$(kval verdict_user), sent $N"
	[ "$(kval steer_user)" = $N ] || fail "hybrid: /pathlab/xdp steer_user=$(kval steer_user), sent $N"
	[ "$(kval acl_drop)" -ge 1 ] || fail "hybrid: /pathlab/xdp acl_drop=$(kval acl_drop): the kernel dropped no TCP 22 SYN"
	[ "$(kval verdict_redirect)" -ge 4 ] || fail "hybrid: /pathlab/xdp verdict_redirect=$(kval verdict_redirect)"
	echo "ok: /pathlab/xdp: user=$(kval verdict_user) drop=$(kval verdict_drop) redirect=$(kval verdict_redirect)"
fi
echo "ok: counters match"

for i in $IF_A1 $IF_B1; do [ -n "$(pl_d_xdp_id $i)" ] || fail "no XDP program on $i while running"; done
kill -INT $DUT
wait $DUT; rc=$?
DUT=
[ $rc = 0 ] || fail "pathlab-dpdk exited $rc after SIGINT"
grep -q '^\[dpdk\] total' "$T/dut.log" || fail "no final totals line"
for i in $IF_A1 $IF_B1; do [ -z "$(pl_d_xdp_id $i)" ] || fail "XDP program $(pl_d_xdp_id $i) left on $i"; done
pgrep -f "file-prefix $PREFIX" >/dev/null && fail "a pathlab-dpdk process is left"
[ -e "/var/run/dpdk/$PREFIX" ] && fail "the EAL runtime directory /var/run/dpdk/$PREFIX is left"
grep '^\[dpdk' "$T/dut.log" | tail -3
echo "ok: clean shutdown (exit 0, nothing attached, no process, no EAL runtime directory)"
