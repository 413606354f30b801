#!/bin/bash
# SPDX-License-Identifier: MIT
# pathlab-dpdk --busy-budget on two net_af_xdp veth ports, read from the PMD's
# own log (pmd.net.af_xdp at debug level):
#   - default: the PMD's busy polling (budget 64) on both ports;
#   - --busy-budget 0: busy polling off on both ports ("Preferred busy polling
#     not enabled"), and A still reaches B through the DUT (ping);
#   - --busy-budget 16: the PMD sets 16 on both ports;
#   - --busy-budget with a value that is not 0..65535: exit 2, the message
#     names the option, nothing attached.
#   busy-budget.sh PATHLAB_DPDK
set -u
DPDK=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=dbb
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
require_root "namespaces, AF_XDP"
[ -x "$DPDK" ] || fail "$DPDK not built"
T=$PL_TMP
pl_d_dut_state plt-d-bb$$

pl_d_topo_up
printf 'mode policy\nacl default pass\n' >"$T/pass.policy"
printf 'mode policy\nforward redirect from %s to %s\nforward redirect from %s to %s\n' \
	$IF_A1 $IF_B1 $IF_B1 $IF_A1 >"$T/fwd.policy"

# run_dut WHAT [pathlab-dpdk options]: start it, wait for its start line
run_dut() {
	local what=$1
	shift
	"${PL_D_IN_DUT[@]}" "$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX \
		--log-level=pmd.net.af_xdp:debug -- \
		--iface $IF_A1 --iface $IF_B1 --policy "$T/fwd.policy" --stats-interval 0 --duration 30 "$@" \
		>"$T/dut.log" 2>&1 &
	DUT=$!
	for _ in $(seq 300); do grep -q 'port(s)' "$T/dut.log" && return 0; kill -0 $DUT 2>/dev/null || break; sleep 0.1; done
	fail "$what: pathlab-dpdk did not start"
}
stop_dut() {
	kill -INT $DUT
	wait $DUT
	local rc=$?
	DUT=
	[ $rc = 0 ] || fail "$1: pathlab-dpdk exited $rc after SIGINT"
}

# pmd_said WHAT PATTERN: after the DUT stopped (its output is flushed at
# exit), the PMD's log has PATTERN once per port
pmd_said() {
	local n
	n=$(grep -c "$2" "$T/dut.log")
	[ "$n" = 2 ] || fail "$1: the PMD's log has '$2' $n times, not once per port: $(grep -i busy "$T/dut.log")"
	echo "ok: $1: the PMD says '$2' for both ports"
}

run_dut "default"
stop_dut "default"
pmd_said "default (the PMD's busy polling)" 'Busy polling budget set to: 64'
run_dut "--busy-budget 0" --busy-budget 0
ip netns exec $NS_A ping -c 3 -i 0.2 -W 2 $IP_B >/dev/null || fail "--busy-budget 0: no ping from A to B through the DUT"
echo "ok: A reaches B through pathlab-dpdk without busy polling"
stop_dut "--busy-budget 0"
pmd_said "--busy-budget 0" 'Preferred busy polling not enabled'
run_dut "--busy-budget 16" --busy-budget 16
stop_dut "--busy-budget 16"
pmd_said "--busy-budget 16" 'Busy polling budget set to: 16'

for v in 70000 -1 x auto; do
	"${PL_D_IN_DUT[@]}" "$DPDK" -l 0 --no-huge -m 512 --no-pci --file-prefix $PREFIX -- \
		--iface $IF_A1 --busy-budget "$v" >"$T/err.log" 2>&1
	rc=$?
	[ $rc = 2 ] && grep -q -- "--busy-budget: '$v' is not a number from 0 to 65535" "$T/err.log" ||
		fail "--busy-budget $v: exit $rc: $(cat "$T/err.log")"
	[ -z "$(pl_d_xdp_id $IF_A1)" ] || fail "--busy-budget $v: an XDP program was left on $IF_A1"
done
echo "ok: --busy-budget 70000, -1, x, auto refused (exit 2, the option named), nothing attached"
