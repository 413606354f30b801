# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2034 # the names are for the tests that source this file
# Shared by the DPDK and metrics system tests: a wire through a DUT namespace,
# a pl-topo "wire" topology (tests/lib/lib.sh sourced here; set PL_TAG first).
#
#   host A (GEN)   IF_A0 IP_A ── IF_A1 ┐
#                                      ├ DUT (NS_X): pathlab-dpdk / testpmd / ...
#   host B (SINK)  IF_B0 IP_B ── IF_B1 ┘    on IF_A1 and IF_B1 (no addresses)
#
# One subnet, so A and B talk through the DUT as through a wire (ARP too:
# --neigh dynamic). Checksum offload is off on every end (AF_XDP hands user
# space the frame as it is; a CHECKSUM_PARTIAL frame would arrive with a
# wrong checksum). IPv6 is off so nothing but what a test sends crosses it.
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"

# pl_d_topo_up [pl-topo up options]: build the wire (taken down at teardown);
# sets NS_A, NS_B, NS_X, IF_A0, IF_A1, IF_B0, IF_B1, IP_A, IP_B and
# PL_D_IN_DUT (a command prefix: run in the DUT namespace with its bpffs;
# "${PL_D_IN_DUT[@]}" CMD & leaves $! = CMD's own PID).
pl_d_topo_up() {
	local ep
	pl_topo_up wire --topo wire --ipv6 off --neigh dynamic "$@"
	NS_A=$GEN_NS NS_B=$SINK_NS NS_X=$NS_DUT
	IF_A0=$GEN_IF IF_A1=$DUT_IN_IF IF_B0=$SINK_IF IF_B1=$DUT_OUT_IF
	IP_A=$GEN_IP4 IP_B=$SINK_IP4
	for ep in GEN DUT_IN DUT_OUT SINK; do
		# frames cross user space (AF_XDP copy mode): no checksum offload
		# may leave a partial checksum for the next hop to finish
		pl_ethtool $ep tx off
	done
	# GRO on the hosts' ends: a veth is an XDP_REDIRECT target (hybrid
	# placement) only when its peer has GRO or an XDP program
	pl_ethtool GEN gro on
	pl_ethtool SINK gro on
	PL_D_IN_DUT=("$PL_TOPO" exec "$PL_TOPO_NAME" dut --)
}

# Is an XDP program attached on IF in the DUT? (prints its id)
pl_d_xdp_id() {
	ip -n "$NS_X" -d link show dev "$1" 2>/dev/null | awk '/prog\/xdp id/ { for (i = 1; i <= NF; i++) if ($i == "id") { print $(i + 1); exit } }'
}

# pl_d_dut_state PREFIX: the state of a test that runs pathlab-dpdk as $DUT
# with --file-prefix PREFIX and its output in $T/dut.log: at teardown $DUT
# is stopped and the EAL's runtime directory removed; on failure the output
# is printed.
pl_d_dut_state() {
	PREFIX=$1 DUT=
	pl_defer pl_d_dut_stop
	pl_on_fail() { echo "--- pathlab-dpdk output:"; grep -v '^libbpf: elf' "$T/dut.log"; }
}
pl_d_dut_stop() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
