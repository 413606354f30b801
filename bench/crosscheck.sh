#!/bin/bash
# SPDX-License-Identifier: MIT
# crosscheck.sh: measure one row of bench/compare.sh independently of it, in
# the same placement, with plain commands (ip, ethtool, dpdk-testpmd or
# ovs-vsctl/ovs-ofctl through ovs/pl-ovs), so the two can be compared.
#
#   sudo bench/crosscheck.sh testpmd-io [--placement dut|napi-gen] [--seconds S] [--runs N]
#   sudo bench/crosscheck.sh ref-ovs    [--placement dut|napi-gen] [--seconds S] [--runs N]
#
# testpmd-io: dpdk-testpmd io on two net_af_xdp ports (the harness's testpmd-io fwd row);
# ref-ovs:    OVS userspace datapath, two afxdp ports, one static flow that
#             rewrites both MACs and outputs to the other port (the ref-ovs fwd row).
# Veths: GRO on and threaded NAPI, as pl-topo --threaded-napi sets them.
# Placement: generator (pl-gen, unpaced, 64 B, 256 flows) and the sink's veth
# on --gen-cpu (0), the sink's NAPI thread at SCHED_FIFO 10; the DUT's poller on --dut-cpu (1); the DUT's receive NAPI
# threaded and pinned to --dut-cpu ("dut") or left to the softirq of the
# generator's transmit ("napi-gen"). Prints the forwarded Mpps of each run
# (frames counted by the sink veth / seconds) and their median.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
BUILD=${PATHLAB_BUILD:-$SRC/build}
ROW=${1:-}
shift || true
PLACE=dut SECONDS_=5 RUNS=3 GEN=0 DUT=1
while [ $# -gt 0 ]; do
	case $1 in
	--placement) PLACE=$2; shift ;;
	--seconds) SECONDS_=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--gen-cpu) GEN=$2; shift ;;
	--dut-cpu) DUT=$2; shift ;;
	*) echo "crosscheck.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case $ROW in testpmd-io | ref-ovs) ;; *) sed -n '4,17s/^# \{0,1\}//p' "$0"; exit 2 ;; esac
case $PLACE in dut | napi-gen) ;; *) echo "crosscheck.sh: --placement dut or napi-gen" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "crosscheck.sh: needs root" >&2; exit 2; }

P=plt-x$$
G=${P}g D=${P}d S=${P}s
T=$(mktemp -d /tmp/plt-x.XXXXXX)
DPID=
cleanup() {
	[ -n "$DPID" ] && { kill -INT "$DPID" 2>/dev/null; sleep 1; kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
	[ "$ROW" = ref-ovs ] && ip netns exec "$D" "$SRC/ovs/pl-ovs" --rundir "$T/ovs" --build "$BUILD" bench-teardown >/dev/null 2>&1
	[ -n "${SPID:-}" ] && { kill -INT "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
	for n in "$G" "$D" "$S"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T" "/var/run/dpdk/$P"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in "$G" "$D" "$S"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add "${P}g0" netns "$G" type veth peer name "${P}d0" netns "$D"
ip link add "${P}d1" netns "$D" type veth peer name "${P}s0" netns "$S"
for x in "$G:${P}g0" "$D:${P}d0" "$D:${P}d1" "$S:${P}s0"; do
	ip -n "${x%%:*}" link set "${x#*:}" up
	ip netns exec "${x%%:*}" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null
done
# the veths as pl-topo --threaded-napi leaves them for the harness: GRO on
# (a veth has NAPI only with GRO or XDP) and threaded NAPI; with GRO off the
# testpmd row in the "dut" placement measured 0.11-0.18 Mpps against
# 0.27-0.32 with it on
for x in "$G:${P}g0" "$D:${P}d0" "$D:${P}d1" "$S:${P}s0"; do
	ip netns exec "${x%%:*}" ethtool -K "${x#*:}" gro on >/dev/null 2>&1
	ip netns exec "${x%%:*}" sh -c "echo 1 > /sys/class/net/${x#*:}/threaded"
done
mac() { ip -n "$1" -j link show "$2" | sed 's/.*"address":"\([^"]*\)".*/\1/'; }
D0=$(mac "$D" "${P}d0") D1=$(mac "$D" "${P}d1") S0=$(mac "$S" "${P}s0")

# the sink: pl-sink (XDP drop) on the sink veth, its NAPI threaded on the generator's CPU
ip netns exec "$S" "$BUILD/bench/pl-sink" -i "${P}s0" >"$T/sink.log" 2>&1 &
SPID=$!
sleep 0.5

case $ROW in
testpmd-io)
	ip netns exec "$D" dpdk-testpmd -l "$GEN,$DUT" --main-lcore "$GEN" --no-pci --no-huge -m 1024 \
		--file-prefix "$P" --log-level=error --vdev "net_af_xdp0,iface=${P}d0,start_queue=0,queue_count=1" \
		--vdev "net_af_xdp1,iface=${P}d1,start_queue=0,queue_count=1" -- --nb-cores=1 --forward-mode=io \
		--port-topology=paired --txq=1 --rxq=1 --burst=32 --stats-period 5 >"$T/dut.log" 2>&1 &
	DPID=$!
	for _ in $(seq 200); do grep -q 'Port statistics\|Rx-pps' "$T/dut.log" && break; sleep 0.1; done ;;
ref-ovs)
	OVS=(ip netns exec "$D" "$SRC/ovs/pl-ovs" --rundir "$T/ovs" --build "$BUILD" --bridge "${P}b" --pmd-cpu-mask "$(printf '0x%x' $((1 << DUT)))")
	"${OVS[@]}" bench-setup --mode normal --ports "${P}d0,${P}d1" >"$T/dut.log" 2>&1 || { cat "$T/dut.log"; exit 1; }
	"${OVS[@]}" ofctl del-flows "${P}b"
	"${OVS[@]}" ofctl add-flow "${P}b" "in_port=${P}d0,actions=mod_dl_src:$D1,mod_dl_dst:$S0,output:${P}d1" || exit 1 ;;
esac
sleep 1
# placement of the receive NAPI (after the XDP attach, which re-creates the kthreads)
pin() { for p in $(grep -l "^napi/$1-" /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3); do taskset -pc "$2" "$p" >/dev/null; done; }
# the sink's receive: threaded, on the generator's CPU, SCHED_FIFO 10 (as the harness places it)
ip netns exec "$S" sh -c "echo 1 > /sys/class/net/${P}s0/threaded"
pin "${P}s0" "$GEN"
for p in $(grep -l "^napi/${P}s0-" /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3); do chrt -f -p 10 "$p"; done
for i in "${P}d0" "${P}d1"; do
	if [ "$PLACE" = dut ]; then
		ip netns exec "$D" sh -c "echo 1 > /sys/class/net/$i/threaded"
		pin "$i" "$DUT"
		# testpmd's net_af_xdp busy-polls (busy_budget, on by default): the
		# per-device settings preferred busy polling goes with, as the
		# harness's recipe sets them (OVS has no busy-poll option)
		if [ "$ROW" = testpmd-io ]; then
			ip netns exec "$D" sh -c "echo 2 > /sys/class/net/$i/napi_defer_hard_irqs; echo 200000 > /sys/class/net/$i/gro_flush_timeout"
		fi
	else
		ip netns exec "$D" sh -c "echo 0 > /sys/class/net/$i/threaded"
	fi
done
count() { ip netns exec "$S" ethtool -S "${P}s0" | awk '/rx_queue_[0-9]+_xdp_packets/ { s += $2 } END { print s + 0 }'; }
rates=()
for r in $(seq "$RUNS"); do
	a=$(count)
	ip netns exec "$G" "$BUILD/bench/pl-gen" -i "${P}g0" --dst-mac "$D0" -s 64 -d "$SECONDS_" --cpu "$GEN" --nice -10 --json >"$T/gen.json" 2>"$T/gen.err" || { cat "$T/gen.err"; exit 1; }
	sleep 0.5
	b=$(count)
	rate=$(awk -v a="$a" -v b="$b" -v s="$SECONDS_" 'BEGIN { printf "%.3f", (b - a) / s / 1e6 }')
	echo "run $r: $ROW ($PLACE): $rate Mpps forwarded; generator: $(sed 's/.*"mpps":\([0-9.]*\).*/\1/' "$T/gen.json") Mpps sent"
	rates+=("$rate")
done
printf '%s\n' "${rates[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "median: %s Mpps (%d runs of %s s)\n", v[int((NR + 1) / 2)], NR, s }' s="$SECONDS_"
