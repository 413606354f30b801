# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by the DPDK system tests and bench: a wire through a DUT namespace.
#
#   host A (ns plt-d-a)  plt-da0 10.77.0.1 ── plt-da1 ┐
#                                                      ├ DUT (ns plt-d-x): pathlab-dpdk / testpmd
#   host B (ns plt-d-b)  plt-db0 10.77.0.2 ── plt-db1 ┘    on net_af_xdp over plt-da1, plt-db1
#
# One subnet, so A and B talk through the DUT as through a wire (ARP too).
# Checksum offload is off on every end (AF_XDP hands user space the frame
# as it is; a CHECKSUM_PARTIAL frame would arrive with a wrong checksum).
# IPv6 is off so nothing but what a test sends crosses it. PL_D_SUFFIX lets
# two runs coexist (names stay under IFNAMSIZ).
# Another test may set NS_*, IF_*, IP_* before sourcing this file to get the
# same wire under its own names (tests/metrics/system.sh does).
S=${PL_D_SUFFIX:-}
: "${NS_A:=plt-d-a$S}" "${NS_B:=plt-d-b$S}" "${NS_X:=plt-d-x$S}"
: "${IF_A0:=plt-da0$S}" "${IF_A1:=plt-da1$S}" "${IF_B0:=plt-db0$S}" "${IF_B1:=plt-db1$S}"
: "${IP_A:=10.77.0.1}" "${IP_B:=10.77.0.2}"

# Create the namespaces and veth pairs.
pl_d_topo_up() {
	pl_d_topo_down
	for n in $NS_A $NS_B $NS_X; do
		ip netns add $n || return 1
		ip -n $n link set lo up
		ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add $IF_A0 netns $NS_A type veth peer name $IF_A1 netns $NS_X || return 1
	ip link add $IF_B0 netns $NS_B type veth peer name $IF_B1 netns $NS_X || return 1
	ip -n $NS_A addr add $IP_A/24 dev $IF_A0
	ip -n $NS_B addr add $IP_B/24 dev $IF_B0
	for l in "$NS_A $IF_A0" "$NS_B $IF_B0" "$NS_X $IF_A1" "$NS_X $IF_B1"; do
		set -- $l
		ip netns exec $1 sysctl -qw net.ipv6.conf.$2.disable_ipv6=1 2>/dev/null
		# frames cross user space (AF_XDP copy mode): no checksum offload
		# may leave a partial checksum for the next hop to finish
		ip netns exec $1 ethtool -K $2 tx off >/dev/null 2>&1
		# GRO on the hosts' ends: a veth is an XDP_REDIRECT target (hybrid
		# placement) only when its peer has GRO or an XDP program
		[ $1 = $NS_X ] || ip netns exec $1 ethtool -K $2 gro on >/dev/null 2>&1
		ip -n $1 link set $2 up
	done
}

# Remove everything pl_d_topo_up made (idempotent).
pl_d_topo_down() {
	for n in $NS_A $NS_B $NS_X; do
		ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del $n 2>/dev/null
	done
	return 0
}

# Run a command in the DUT namespace with bpffs mounted (ip netns exec gives
# a fresh /sys). Every step execs the next, so "${PL_D_IN_DUT[@]}" CMD &
# leaves $! = CMD's own pid (signals reach it).
PL_D_IN_DUT=(ip netns exec "$NS_X" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf; exec "$@"' sh)
pl_d_in_dut() { "${PL_D_IN_DUT[@]}" "$@"; }

# Is an XDP program attached on IF in the DUT? (prints its id)
pl_d_xdp_id() {
	ip -n $NS_X -d link show dev "$1" 2>/dev/null | awk '/prog\/xdp id/ { for (i = 1; i <= NF; i++) if ($i == "id") { print $(i + 1); exit } }'
}
