#!/bin/bash
# SPDX-License-Identifier: MIT
# pathlab-dpdk's failures: a missing interface, missing hugepages, a bad
# policy, a bad option, a port that cannot be set up. Each must exit
# non-zero with a message naming what is wrong, and leave nothing behind:
# no XDP program on the interfaces, no process (the EAL runtime directory
# under /var/run/dpdk is removed by the trap: DPDK 22.11 leaves it).
#   errors.sh PATHLAB_DPDK PATHLAB_BPF_O
set -u
DPDK=$1 BPF_OBJ=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=de
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
require_root "namespaces, AF_XDP"
T=$PL_TMP
PREFIX=plt-d-err$$
pl_defer rm -rf "/var/run/dpdk/$PREFIX"
failed=0
pl_d_topo_up
EAL=(-l 0 --no-pci -m 256 --file-prefix "$PREFIX" --log-level=error)

# expect NAME WANT_RC_NONZERO REGEX -- CMD...: non-zero exit, stderr matches REGEX,
# nothing left behind
expect() {
	local name=$1 re=$2 rc
	shift 2
	timeout 60 "${PL_D_IN_DUT[@]}" "$@" >"$T/out" 2>&1
	rc=$?
	if [ $rc = 0 ] || [ $rc = 124 ]; then
		echo "FAIL $name: exit $rc (wanted a prompt non-zero exit)"; cat "$T/out"; failed=1; return
	fi
	if ! grep -Eq "$re" "$T/out"; then
		echo "FAIL $name: the message does not match /$re/:"; cat "$T/out"; failed=1; return
	fi
	for i in $IF_A1 $IF_B1; do
		if [ -n "$(pl_d_xdp_id $i)" ]; then
			echo "FAIL $name: XDP program $(pl_d_xdp_id $i) left on $i"; failed=1
			ip -n $NS_X link set dev $i xdp off
		fi
	done
	if pgrep -f "file-prefix $PREFIX" >/dev/null; then
		echo "FAIL $name: a pathlab-dpdk process is left"; failed=1
	fi
	echo "ok   $name: exit $rc, $(grep -E "$re" "$T/out" | head -1)"
}

expect "missing interface" "plt-dnope.*no such interface" \
	"$DPDK" --no-huge "${EAL[@]}" -- --iface plt-dnope
printf 'mode policy\nacl drop proto tcp dport 22\nacl frobnicate everything\n' > "$T/bad.policy"
expect "bad policy" "bad.policy:3" \
	"$DPDK" --no-huge "${EAL[@]}" -- --iface $IF_A1 --iface $IF_B1 --policy "$T/bad.policy"
expect "bad policy, hybrid" "bad.policy:3" \
	"$DPDK" --no-huge "${EAL[@]}" -- --iface $IF_A1 --hybrid --policy "$T/bad.policy"
expect "policy names an unknown port" "plt-dnothere" \
	"$DPDK" --no-huge "${EAL[@]}" -- --iface $IF_A1 --policy <(printf 'forward redirect from %s to plt-dnothere\n' $IF_A1)
# the message names the option and how the command line is split at `--`
expect "unknown option" "unknown option '--frobnicate'" \
	"$DPDK" --no-huge "${EAL[@]}" -- --frobnicate
grep -q "go before \`--\`" "$T/out" ||
	{ echo "FAIL unknown option: no hint that EAL options go before \`--\`"; cat "$T/out"; failed=1; }
expect "EAL option after --" "unknown option '--no-pci'" \
	"$DPDK" --no-huge -l 0 -- --iface $IF_A1 --no-pci
grep -q "go before \`--\`" "$T/out" ||
	{ echo "FAIL EAL option after --: no hint that EAL options go before \`--\`"; cat "$T/out"; failed=1; }
expect "application option before --" "'--iface' is a pathlab-dpdk option: put it after \`--\`" \
	"$DPDK" --no-huge "${EAL[@]}" --iface $IF_A1
# --hybrid configures the program's pinned tables before net_af_xdp attaches it:
# an object without pinned tables is refused before the EAL starts
expect "hybrid, unpinned object" "not pinned by name.*pathlab-pinned.bpf.o" \
	"$DPDK" --no-huge "${EAL[@]}" -- --iface $IF_A1 --hybrid --bpf-obj "$BPF_OBJ"
expect "no ports" "no ports" \
	"$DPDK" --no-huge "${EAL[@]}" --
# a port that starts and then fails: 2 queues on a 1-queue veth, after the EAL
# and the other port are up (everything must be undone)
expect "too many queues" "could not open.*--queues" \
	"$DPDK" --no-huge --lcores '0@0,1@1,2@1' --no-pci -m 256 --file-prefix $PREFIX --log-level=error -- \
	--iface $IF_A1 --iface $IF_B1 --queues 2 --hybrid
free=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
if [ "$free" = 0 ]; then
	expect "missing hugepages" "no free hugepages.*hugepages.sh reserve|--no-huge" \
		"$DPDK" "${EAL[@]}" -- --iface $IF_A1
else
	# hugepages exist on this machine: point the EAL at a directory that is
	# not hugetlbfs instead
	expect "missing hugepages (bad --huge-dir)" "EAL initialisation failed" \
		"$DPDK" --huge-dir /nonexistent-plt-d "${EAL[@]}" -- --iface $IF_A1
fi
exit $failed
