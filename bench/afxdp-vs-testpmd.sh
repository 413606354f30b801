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
# ratio to testpmd's median, and the median (min-max) of the per-round ratios (each round runs
# the paths back to back). Per measurement: Mpps at the sink, per-CPU busy/softirq share
# (/proc/stat), the DUT input veth's drops and the sockets' XDP_STATISTICS.
# Overload rates, not zero-loss rates. Environment:
#   AFXDP_OPTS="--batch 128"        extra pathlab-afxdp options (both placements)
#   TESTPMD_DEVARGS=",busy_budget=0" extra net_af_xdp devargs for testpmd
#   NAPI=threaded:0                 threaded NAPI on plt-abd0 and plt-abs, kthreads pinned to CPU 0
#   PATHS="testpmd afxdp-user"      which paths run, in this order each round
set -u
BUILD=${1:-build}
SECS=${2:-5}
REP=${3:-3}
AFXDP_OPTS=${AFXDP_OPTS:-} # extra pathlab-afxdp options, e.g. "--batch 64"
TESTPMD_DEVARGS=${TESTPMD_DEVARGS:-} # extra net_af_xdp devargs, e.g. ",busy_budget=0"
# Where the veth receive work runs: "softirq" (default: where the sender runs) or
# "threaded:CPU" (threaded NAPI on the DUT's input veth and the sink's veth, the napi/*
# kthreads pinned to CPU, re-pinned after every XDP attach; MEASURING.md)
NAPI=${NAPI:-softirq}
PATHS=${PATHS:-testpmd afxdp-user afxdp-hybrid}
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
NAPI_CPU=
case $NAPI in
softirq) ;;
threaded:[0-9]*) NAPI_CPU=${NAPI#threaded:} ;;
*) echo "NAPI=$NAPI: softirq or threaded:CPU"; exit 2 ;;
esac

# Pin the napi/ kthreads of the DUT's input veth and the sink's veth (they are
# re-created unpinned on every XDP attach). Prints what it pinned.
pin_napi() {
	[ -n "$NAPI_CPU" ] || return 0
	local out=""
	# A veth has NAPI only while an XDP program is attached: switch threading on now.
	ip netns exec $NSD sh -c "echo 1 >/sys/class/net/$D0/threaded" 2>/dev/null || out+="($D0 refused threaded) "
	ip netns exec $NSS sh -c "echo 1 >/sys/class/net/$S/threaded" 2>/dev/null || out+="($S refused threaded) "
	sleep 0.2
	for p in $(pgrep '^napi/plt-ab(d0|s)-'); do
		taskset -pc "$NAPI_CPU" "$p" >/dev/null && out+="$(cat /proc/$p/comm) "
	done
	echo "$out"
}

# Busy jiffies per CPU (user+nice+sys+irq+softirq, and softirq alone) from /proc/stat.
cpu_snap() { awk '/^cpu[0-9]/ { printf "%s %d %d %d ", $1, $2 + $3 + $4 + $7 + $8, $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
cpu_delta() { # before after -> "cpu0 busy%/softirq% cpu1 ..."
	echo "$1 $2" | awk '{ n = NF / 2; for (i = 1; i <= n; i += 4) { t = $(n + i + 3) - $(i + 3); if (t <= 0) t = 1
		printf "%s %d%% busy (softirq %d%%)  ", $i, 100 * ($(n + i + 1) - $(i + 1)) / t, 100 * ($(n + i + 2) - $(i + 2)) / t } }'
}
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
	: >"$WORK/cpu"; : >"$WORK/pinned"
	if [ $TOPO_GEN = 1 ]; then
		rm -f "$WORK/ready"
		ip netns exec $NSS timeout $((SECS + 8)) "$BUILD/bench/pl-sink" -i $S -d $((SECS + 2)) \
			--ready-file "$WORK/ready" --json >"$WORK/sink.json" 2>/dev/null &
		local sp=$!
		for _ in $(seq 50); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
		pin_napi >"$WORK/pinned"
		local c0=$(cpu_snap)
		ip netns exec $NSG timeout $((SECS + 5)) "$BUILD/bench/pl-gen" -i $G --dst-mac $SMAC \
			-d $SECS --cpu 0 >"$WORK/gen.txt" 2>&1
		local c1=$(cpu_snap)
		wait $sp
		cpu_delta "$c0" "$c1" >"$WORK/cpu"
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
	ip netns exec $NSD timeout $((SECS + 60)) "$@" >"$WORK/$name.log" 2>&1 &
	DUT=$!
	PIDS+=($DUT)
	# Ready: our start-up line, or testpmd's prompt (it forwards from then on).
	for _ in $(seq 300); do
		grep -q 'worker(s)\|Press enter to exit' "$WORK/$name.log" && break
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	if ! kill -0 $DUT 2>/dev/null; then echo "$name did not start:"; tail -5 "$WORK/$name.log"; return 1; fi
	ip netns exec $NSD ethtool -S $D0 >"$WORK/eth0.txt" 2>/dev/null
	local r=$(measure)
	ip netns exec $NSD ethtool -S $D0 >"$WORK/eth1.txt" 2>/dev/null
	kill -INT $DUT; wait $DUT 2>/dev/null
	echo "$r" >>"$WORK/$name.res"
	eval "R_${name//-/_}=$r"
	echo "# $name: $r Mpps at the sink; $(cat "$WORK/cpu")${NAPI_CPU:+; pinned to CPU $NAPI_CPU: $(cat "$WORK/pinned")}"
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
echo "# DUT worker / testpmd forwarding lcore on CPU 1; veth receive: $([ -n "$NAPI_CPU" ] && echo "threaded NAPI of $D0 and $S pinned to CPU $NAPI_CPU" || echo "softirq ($D0's where the generator runs, CPU 0; $S's where the DUT transmits, CPU 1)")"
echo "# pathlab-afxdp extra options: '${AFXDP_OPTS}'; testpmd extra devargs: '${TESTPMD_DEVARGS}'; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq $REP); do
	R_testpmd= R_afxdp_user= R_afxdp_hybrid=
	for path in $PATHS; do
		case $path in
		testpmd) run_dut testpmd "$TESTPMD" -l 0,1 --no-huge -m 512 --no-pci --log-level=*:error --file-prefix plt-a-bench \
			--vdev "net_af_xdp0,iface=$D0,xdp_prog=$BUILD/afxdp_port/redirect_all.bpf.o$TESTPMD_DEVARGS" \
			--vdev "net_af_xdp1,iface=$D1,xdp_prog=$BUILD/afxdp_port/redirect_all.bpf.o$TESTPMD_DEVARGS" \
			-- --forward-mode=io --auto-start --stats-period 10 --nb-cores 1 --total-num-mbufs 16384 ;;
		afxdp-user) run_dut afxdp-user "$AFXDP" -i $D0 -i $D1 --placement user --policy "$WORK/bench.policy" --cpus 1 --quiet --no-tap $AFXDP_OPTS ;;
		afxdp-hybrid) run_dut afxdp-hybrid "$AFXDP" -i $D0 -i $D1 --placement hybrid --policy "$WORK/bench.policy" --cpus 1 --quiet --no-tap $AFXDP_OPTS ;;
		esac
	done
	# This round's ratios (paths measured back to back, so noise hits them alike).
	for n in afxdp-user afxdp-hybrid; do
		v=R_${n//-/_}
		[ -n "${!v}" ] && [ -n "$R_testpmd" ] && awk -v a="${!v}" -v b="$R_testpmd" 'BEGIN { if (b > 0) printf "%.3f\n", a / b }' >>"$WORK/$n.ratio"
	done
	echo "# round $rep: user/testpmd $(tail -1 "$WORK/afxdp-user.ratio" 2>/dev/null), hybrid/testpmd $(tail -1 "$WORK/afxdp-hybrid.ratio" 2>/dev/null); load average $(cut -d' ' -f1 /proc/loadavg)"
done
rm -rf /var/run/dpdk/plt-a-bench

for f in "$WORK"/*.res; do sort -g -o "$f" "$f"; done
base=$([ -s "$WORK/testpmd.res" ] && stats "$WORK/testpmd.res" | cut -d' ' -f1)
for f in "$WORK"/*.ratio; do [ -e "$f" ] && sort -g -o "$f" "$f"; done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n| path | Mpps median | min | max | median ratio | per-round ratio median (min-max) |\n|---|---|---|---|---|---|\n'
for n in $PATHS; do
	[ -s "$WORK/$n.res" ] || { echo "| $n | failed | | | | |"; continue; }
	read -r med mn mx < <(stats "$WORK/$n.res")
	ratio=$(awk -v a="$med" -v b="${base:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
	pr="1.00x"
	[ -s "$WORK/$n.ratio" ] && { read -r rm rmin rmax < <(stats "$WORK/$n.ratio"); pr="${rm}x ($rmin-$rmax)"; }
	[ $n = testpmd ] || [ -s "$WORK/$n.ratio" ] || pr="-"
	echo "| $n | $med | $mn | $mx | $ratio | $pr |"
done
