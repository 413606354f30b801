#!/bin/bash
# Dropped traffic: the pathlab XDP pre-filter in front of an Open vSwitch afxdp port, against
# OVS alone dropping the same traffic with the same policy as OpenFlow flows. One run, both
# modes alternated, median of the repeats. Figures printed, nothing asserted.
#   bench/ovs-prefilter.sh [BUILD_DIR] [SECONDS] [REPEATS]
# Topology (root namespace holds OVS and its ports):
#   ns plt-ob-g [plt-obg] --veth-- [plt-obp0] OVS bridge plt-obrb [plt-obp1] --veth-- [plt-obs] ns plt-ob-s
#   generator: bench/pl-gen, live frames, 64-byte UDP to port 7, 256 flows, full speed, CPU 0
#   OVS: netdev datapath, PMD on CPU 1 (pmd-cpu-mask 0x2), afxdp ports in native XDP (copy mode)
#   policy: acl drop proto udp (all of the generated traffic), acl default pass
#   prefilter: pathlab-xdp attach-ovs on plt-obp0: drops in XDP before OVS's socket
#   openflow:  pathlab-ofgen's flows on plt-obrb: frames cross AF_XDP into OVS, a flow drops them
# The figure is frames dropped per second by the policy: the core's acl_drop counter
# (prefilter) or the drop flow's n_packets (openflow), over the generator's sending time.
# The generator (one vCPU, shared with the veth receive where the XDP program runs) caps what
# can be offered, so the pre-filter's rate is a lower bound when it drops everything offered.
# Hence a second figure, the cost per dropped frame on the CPU that does the dropping:
#   pre-filter: the program with this policy under BPF_PROG_TEST_RUN (bench/pl-corebench),
#   OVS alone:  the PMD thread's "avg processing cycles per packet" (dpif-netdev/pmd-stats-show)
#               during the openflow rounds, at the TSC rate; the kernel's AF_XDP copy into OVS's
#               socket comes on top of it and is not counted (so the ratio is conservative).
set -u
BUILD=${1:-build}
SECS=${2:-5}
REP=${3:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
GEN=$BUILD/bench/pl-gen
XDP=$BUILD/xdp/pathlab-xdp
NSG=plt-ob-g NSS=plt-ob-s G=plt-obg S=plt-obs P0=plt-obp0 P1=plt-obp1 BR=plt-obrb
RUN=$(mktemp -d /tmp/plt-o-bench.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
for b in "$GEN" "$XDP" "$BUILD/ovs/pathlab-ofgen"; do [ -x "$b" ] || { echo "missing $b (ninja -C $BUILD)"; exit 1; }; done
command -v ovs-vswitchd >/dev/null || { echo "ovs-vswitchd not installed"; exit 77; }

ovs() { "$SRC/ovs/pl-ovs" --rundir "$RUN" --build "$BUILD" --bridge $BR "$@"; }
cleanup() {
	ovs stop >/dev/null 2>&1
	ip netns del $NSG 2>/dev/null
	ip netns del $NSS 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT
cleanup
RUN=$(mktemp -d /tmp/plt-o-bench.XXXXXX)

mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf
ip netns add $NSG && ip netns add $NSS || exit 1
ip link add $P0 type veth peer name $G netns $NSG || exit 1
ip link add $P1 type veth peer name $S netns $NSS || exit 1
ip -n $NSG link set $G up; ip -n $NSS link set $S up; ip link set $P0 up; ip link set $P1 up
ip netns exec $NSG ethtool -K $G gro on >/dev/null 2>&1
SMAC=$(ip -n $NSS -br link show $S | awk '{print $3}')
GMAC=$(ip -n $NSG -br link show $G | awk '{print $3}')
cat >"$RUN/drop.policy" <<EOF
mode policy
acl drop proto udp
acl default pass
EOF

ovs --pmd-cpu-mask 0x2 start >/dev/null || exit 1
ovs add-port $P0 >/dev/null && ovs add-port $P1 >/dev/null || { echo "cannot add the afxdp ports"; exit 1; }

# Send for SECS; print "SENT_PPS SECONDS".
generate() {
	ip netns exec $NSG timeout $((SECS + 20)) "$GEN" -i $G --src-mac "$GMAC" --dst-mac "$SMAC" \
		--src-ip 10.79.0.1 --dst-ip 10.79.0.2 --dport 7 -s 64 -f 256 -d "$SECS" --cpu 0 --json 2>/dev/null |
		tail -1 | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["pps"], j["seconds"])'
}
# Dropped so far, by mode.
dropped() {
	if [ "$1" = prefilter ]; then
		"$XDP" status $P0 -v | awk '$1 == "acl_drop" { print $2 }'
	else
		ovs openflow counters | sed -n 's/^acl_drop=//p'
	fi
}
# One round: set the mode up, send, print "DROP_PPS SENT_PPS".
round() {
	local mode=$1 before after out secs
	if [ "$mode" = prefilter ]; then
		ovs openflow clear >/dev/null
		ovs --policy "$RUN/drop.policy" prefilter attach $P0 >/dev/null 2>&1 || { echo "0 0"; return; }
	else
		[ -e /sys/fs/bpf/pathlab/ovs-$P0 ] && ovs prefilter detach $P0 >/dev/null
		ovs --policy "$RUN/drop.policy" --ports $P0 openflow apply >/dev/null 2>&1 || { echo "0 0"; return; }
	fi
	sleep 0.5
	[ "$mode" = openflow ] && ovs appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1
	before=$(dropped $mode)
	out=$(generate)
	[ "$mode" = openflow ] && ovs appctl dpif-netdev/pmd-stats-show 2>/dev/null |
		sed -n 's/.*avg processing cycles per packet: \([0-9.]*\).*/\1/p' | head -1 >>"$RUN/pmd_cycles"
	sleep 0.5
	after=$(dropped $mode)
	secs=${out#* }
	python3 -c "print('%.0f %s' % (($after - $before) / $secs, '${out% *}'))"
}

echo "OVS pre-filter benchmark: ${SECS}s x $REP repeats, 64-byte UDP, 256 flows, all dropped by the policy"
echo "generator CPU 0, OVS PMD CPU 1 (pmd-cpu-mask 0x2); kernel $(uname -r), $(ovs-vswitchd --version | head -1)"
declare -A R S
for i in $(seq "$REP"); do
	for mode in openflow prefilter; do
		read -r d s < <(round $mode)
		R[$mode]="${R[$mode]:-} $d"
		S[$mode]="${S[$mode]:-} $s"
		printf '  repeat %d %-9s dropped %8.3f Mpps (offered %.3f Mpps)\n' "$i" "$mode" \
			"$(python3 -c "print($d / 1e6)")" "$(python3 -c "print(${s:-0} / 1e6)")"
	done
done
XDPNS=$("$BUILD/bench/pl-corebench" --builds bpf --policy "$RUN/drop.policy" --rounds 3 \
	--repeat 200000 --cpu 0 2>/dev/null | grep '^udp64' | grep -o '[0-9]*\.[0-9]*' | sed -n '1p;4p' | tr '\n' ' ')
TSC_MHZ=$(awk -F: '/cpu MHz/ { print $2; exit }' /proc/cpuinfo)
CYC=$(tr '\n' ' ' <"$RUN/pmd_cycles" 2>/dev/null)
python3 - "${R[openflow]}" "${R[prefilter]}" "${S[openflow]}" "${S[prefilter]}" "${XDPNS:-0 0}" "${TSC_MHZ:-0}" "${CYC:-0}" <<'EOF'
import statistics, sys
of, pf = [float(x) for x in sys.argv[1].split()], [float(x) for x in sys.argv[2].split()]
sof, spf = [float(x) for x in sys.argv[3].split()], [float(x) for x in sys.argv[4].split()]
print("%-34s %9s %9s %9s %12s" % ("mode", "median", "min", "max", "offered"))
for name, v, s in (("OVS alone (OpenFlow drop flows)", of, sof), ("pathlab XDP pre-filter + OVS", pf, spf)):
    print("%-34s %9.3f %9.3f %9.3f %12.3f  Mpps dropped" % (name, statistics.median(v) / 1e6, min(v) / 1e6,
          max(v) / 1e6, statistics.median(s) / 1e6))
m = statistics.median(of)
print("ratio pre-filter / OVS alone: %.1fx" % (statistics.median(pf) / m if m else float("inf")))
print("share of offered frames dropped: OVS alone %.0f%%, pre-filter %.0f%%" % (
    100 * statistics.median([a / b for a, b in zip(of, sof) if b]),
    100 * statistics.median([a / b for a, b in zip(pf, spf) if b])))
if statistics.median([a / b for a, b in zip(pf, spf) if b]) > 0.99:
    print("the pre-filter dropped everything offered: its figure is the generator's ceiling (a lower bound)")
empty_ns, xdp_ns = [float(x) for x in sys.argv[5].split()]
tsc = float(sys.argv[6])
cyc = [float(x) for x in sys.argv[7].split() if float(x) > 0]
print()
print("cost per dropped frame on the CPU that drops it:")
print("  pre-filter (pathlab, BPF test_run, 64-byte UDP): %.1f ns (empty program %.1f ns) -> %.1f Mpps per CPU" % (
    xdp_ns, empty_ns, 1e3 / xdp_ns if xdp_ns else 0))
if cyc and tsc:
    ovs_ns = statistics.median(cyc) / tsc * 1e3
    print("  OVS alone (PMD processing, OpenFlow drop):        %.1f ns (%.0f cycles at %.0f MHz, median of %s) -> %.2f Mpps per CPU" % (
        ovs_ns, statistics.median(cyc), tsc, ", ".join("%.0f" % c for c in cyc), 1e3 / ovs_ns))
    if xdp_ns:
        print("  capacity ratio pre-filter / OVS alone: %.1fx (AF_XDP copy into OVS not counted)" % (ovs_ns / xdp_ns))
EOF
