#!/bin/bash
# Mpps of pathlab-afxdp (placements user and hybrid, policy on) against
# dpdk-testpmd io-forwarding on net_af_xdp, over the same veths, in one run.
#   bench/afxdp-vs-testpmd.sh [BUILD_DIR] [SECONDS] [REPEATS]
# Topology: ns plt-a-bg [plt-abg] -> [plt-abd0] ns plt-a-bd [plt-abd1] -> [plt-abs] ns plt-a-bs
#   generator: BPF_PROG_TEST_RUN live frames, 64-byte UDP, 256 flows, CPU 0
#   DUT: worker / testpmd forwarding lcore on CPU 1 (testpmd main lcore on 0)
#   sink: XDP program counting and dropping on plt-abs; the figure is what reaches it
#   policy on the DUT: acl drop tcp 22, pass tcp 80, default pass; forward d0 -> d1
# The generator is bench/pl-gen and the sink bench/pl-sink (branch topo);
# without them, afxdp_port's pl-afxdp-gen does both. Prints one table: median, min, max Mpps and the
# ratio to testpmd's median. Overload rates, not zero-loss rates.
set -u
BUILD=${1:-build}
SECS=${2:-5}
REP=${3:-3}
AFXDP_OPTS=${AFXDP_OPTS:-} # extra pathlab-afxdp options, e.g. "--batch 64"
SRC=$(cd "$(dirname "$0")/.." && pwd)
AFXDP=$BUILD/afxdp_port/pathlab-afxdp
GEN=$BUILD/afxdp_port/pl-afxdp-gen
TESTPMD=$(command -v dpdk-testpmd)
NSG=plt-a-bg NSD=plt-a-bd NSS=plt-a-bs
G=plt-abg D0=plt-abd0 D1=plt-abd1 S=plt-abs
WORK=$(mktemp -d /tmp/plt-a-bench.XXXXXX)
PIDS=()

[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
for b in "$AFXDP" "$GEN"; do [ -x "$b" ] || { echo "missing $b (ninja -C $BUILD)"; exit 1; }; done
# The project's generator and sink (branch topo) when built, else the fallback.
TOPO_GEN=0
[ -x "$BUILD/bench/pl-gen" ] && [ -x "$BUILD/bench/pl-sink" ] && TOPO_GEN=1

cleanup() {
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in $NSG $NSD $NSS; do ip netns del $n 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
cleanup 2>/dev/null
WORK=$(mktemp -d /tmp/plt-a-bench.XXXXXX)

for n in $NSG $NSD $NSS; do ip netns add $n; ip netns exec $n sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null; done
ip link add $G netns $NSG type veth peer name $D0 netns $NSD
ip link add $D1 netns $NSD type veth peer name $S netns $NSS
ip -n $NSG link set $G up; ip -n $NSD link set $D0 up; ip -n $NSD link set $D1 up; ip -n $NSS link set $S up
SMAC=$(ip -n $NSS -br link show $S | awk '{print $3}')
cat >"$WORK/bench.policy" <<P
mode policy
acl drop proto tcp dport 22
acl pass proto tcp dport 80
acl default pass
forward redirect from $D0 to $D1
P

# One measurement: sink and generator for SECS, the DUT already running.
# Prints the Mpps that reached the sink.
measure() {
	if [ $TOPO_GEN = 1 ]; then
		rm -f "$WORK/ready"
		ip netns exec $NSS timeout $((SECS + 8)) "$BUILD/bench/pl-sink" -i $S -d $((SECS + 2)) \
			--ready-file "$WORK/ready" --json >"$WORK/sink.json" 2>/dev/null &
		local sp=$!
		for _ in $(seq 50); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
		ip netns exec $NSG timeout $((SECS + 5)) "$BUILD/bench/pl-gen" -i $G --dst-mac $SMAC \
			-d $SECS --cpu 0 >"$WORK/gen.txt" 2>&1
		wait $sp
		sed -n 's/.*"pps":\([0-9.]*\).*/\1/p' "$WORK/sink.json" | awk '{printf "%.4f\n", $1 / 1e6}'
	else
		ip netns exec $NSS timeout $((SECS + 5)) "$GEN" sink $S $SECS >"$WORK/sink.txt" 2>&1 &
		local sp=$!
		sleep 0.3
		ip netns exec $NSG timeout $((SECS + 5)) taskset -c 0 "$GEN" gen $G $SMAC $((SECS + 1)) >"$WORK/gen.txt" 2>&1
		wait $sp
		awk '/^sink:/ {print $2}' "$WORK/sink.txt"
	fi
}

# Start a DUT (its command line in $@), wait until it is up, measure once,
# stop it. The paths take turns (rep 1 of each, then rep 2...), so a noisy
# neighbour on this shared machine hits them alike.
run_dut() {
	local name=$1; shift
	ip netns exec $NSD timeout $((SECS + 30)) "$@" >"$WORK/$name.log" 2>&1 &
	DUT=$!
	PIDS+=($DUT)
	sleep 3
	if ! kill -0 $DUT 2>/dev/null; then echo "$name did not start:"; tail -5 "$WORK/$name.log"; return 1; fi
	ip netns exec $NSD ethtool -S $D0 >"$WORK/eth0.txt" 2>/dev/null
	local r=$(measure)
	ip netns exec $NSD ethtool -S $D0 >"$WORK/eth1.txt" 2>/dev/null
	kill -INT $DUT; wait $DUT 2>/dev/null
	echo "$r" >>"$WORK/$name.res"
	echo "# $name: $r Mpps at the sink"
	# Where frames went on the DUT's receive side.
	echo "#   $D0 veth receive (ethtool -S deltas): $(awk -F: '{ gsub(/ /, "", $1) } NR==FNR { a[$1]=$2; next }
		$1 ~ /xdp_(packets|redirect|drops|tx|tx_errors)$|rx_queue_0_drops/ {
		printf "%s=%d ", $1, $2 - a[$1] }' "$WORK/eth0.txt" "$WORK/eth1.txt")"
	grep -o 'xdp_rx_dropped=.*' "$WORK/$name.log" | sed "s/^/#   AF_XDP XDP_STATISTICS: /"
	sleep 1
}

stats() { # file -> "median min max"
	awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}' "$1"
}

echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) vCPU; ${SECS}s x $REP per path; 64-byte UDP, 256 flows"
echo "# generator: $([ $TOPO_GEN = 1 ] && echo "bench/pl-gen (live frames, CPU 0) -> bench/pl-sink (XDP drop)" || echo "afxdp_port/pl-afxdp-gen (fallback: bench/pl-gen not built)")"
echo "# DUT worker / testpmd forwarding lcore on CPU 1; the veth receive (AF_XDP copy) of $D0 runs on the generator's CPU 0"
for rep in $(seq $REP); do
	run_dut testpmd "$TESTPMD" -l 0,1 --no-huge -m 512 --no-pci --log-level=*:error \
		--vdev "net_af_xdp0,iface=$D0,xdp_prog=$BUILD/afxdp_port/redirect_all.bpf.o" \
		--vdev "net_af_xdp1,iface=$D1,xdp_prog=$BUILD/afxdp_port/redirect_all.bpf.o" \
		-- --forward-mode=io --auto-start --stats-period 10 --nb-cores 1 --total-num-mbufs 16384
	run_dut afxdp-user "$AFXDP" -i $D0 -i $D1 --placement user --policy "$WORK/bench.policy" --cpus 1 --quiet --no-tap $AFXDP_OPTS
	run_dut afxdp-hybrid "$AFXDP" -i $D0 -i $D1 --placement hybrid --policy "$WORK/bench.policy" --cpus 1 --quiet --no-tap $AFXDP_OPTS
done

for f in "$WORK"/*.res; do sort -g -o "$f" "$f"; done
base=$(stats "$WORK/testpmd.res" | cut -d' ' -f1)
printf '\n| path | Mpps median | min | max | vs testpmd |\n|---|---|---|---|---|\n'
for n in testpmd afxdp-user afxdp-hybrid; do
	[ -s "$WORK/$n.res" ] || { echo "| $n | failed | | | |"; continue; }
	read -r med mn mx < <(stats "$WORK/$n.res")
	ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
	echo "| $n | $med | $mn | $mx | $ratio |"
done
