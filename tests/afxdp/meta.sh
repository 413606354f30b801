#!/bin/bash
# The hybrid placement hands the XDP program's decision to user space in the
# XDP metadata (core/pl_meta.h), so the worker does not run the pipeline
# again on the frames XDP steered to it.
#   meta.sh PATHLAB_AFXDP
# Topology: a pl-topo wire, pathlab-afxdp --placement hybrid on the DUT's two
# ports; UDP 9999 is passed by an ACL rule and steered to user space, the
# rest is forwarded in the kernel. N datagrams go to UDP 9999. Checks, from
# the exit totals of both cores:
#   1. with metadata: the worker resumed every steered frame (meta_used =
#      the kernel's verdict_user = its rx = its verdict_user), and the
#      stages before steering did not run again there (no acl_pass,
#      steer_user, proto_udp, proto_ipv4 in the worker's core: they are
#      counted once, by the kernel); meta_missing and meta_refused are 0
#   2. --no-xdp-meta (the program sends USER frames without it, as through
#      a driver without metadata support): the worker runs the whole
#      pipeline on each (meta_missing = the steered frames, its acl_pass and
#      steer_user count them again), meta_used 0
set -u
BIN=$1
N=300
PY=/usr/bin/python3
PL_TAG=am
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces"
[ -x "$BIN" ] || fail "$BIN not built"
WORK=$PL_TMP
DUT=
stop_dut_now() { [ -n "$DUT" ] && kill -9 "$DUT" 2>/dev/null; }
pl_defer stop_dut_now

pl_topo_up wire --topo wire --neigh dynamic
pl_ethtool GEN tx off gro on
pl_ethtool SINK tx off gro on
pl_ethtool DUT_IN tx off
pl_ethtool DUT_OUT tx off
cat >"$WORK/meta.policy" <<P
mode policy
acl pass proto udp dport 9999
acl default pass
steer udp 9999 user
forward redirect from $DUT_IN_IF to $DUT_OUT_IF
forward redirect from $DUT_OUT_IF to $DUT_IN_IF
P

# One counter from the exit totals: total LINE NAME (the header line and
# the counters line under it).
total() { # tag name
	grep -A1 "^\[$1\]" "$WORK/dut.log" | grep -o "[ ]$2=[0-9]*" | tail -1 | cut -d= -f2
}

run() { # label, extra options...
	local label=$1
	shift
	ip netns exec "$NS_DUT" timeout 90 "$BIN" -i "$DUT_IN_IF" -i "$DUT_OUT_IF" --placement hybrid \
		--policy "$WORK/meta.policy" --no-tap --ring-size 512 "$@" >"$WORK/dut.log" 2>&1 &
	DUT=$!
	for _ in $(seq 300); do
		grep -q 'worker(s)' "$WORK/dut.log" && break
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'worker(s)' "$WORK/dut.log" || { cat "$WORK/dut.log"; fail "$label: pathlab-afxdp did not start"; }
	sleep 0.5
	# ARP and ICMP cross in the kernel (REDIRECT); then the datagrams
	ip netns exec "$GEN_NS" ping -c 2 -i 0.2 -W 2 "$SINK_IP4" >/dev/null ||
		bad "$label: ping through the kernel path"
	ip netns exec "$GEN_NS" $PY -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * 64, (sys.argv[1], 9999))
    if i % 32 == 31:
        time.sleep(0.002)
' "$SINK_IP4" $N
	sleep 1
	kill -INT $DUT
	wait $DUT
	local rc=$?
	DUT=
	[ $rc = 0 ] || { bad "$label: exit status $rc"; tail -20 "$WORK/dut.log"; }
	grep -q 'accounting ok' "$WORK/dut.log" || bad "$label: frame accounting: $(grep afxdp-frames "$WORK/dut.log")"
	K_USER=$(total afxdp-hybrid-xdp-total user)
	K_STEER=$(total afxdp-hybrid-xdp-total steer_user)
	K_ACL=$(total afxdp-hybrid-xdp-total acl_pass)
	K_REFUSED=$(total afxdp-hybrid-xdp-total meta_refused)
	U_RX=$(total afxdp-hybrid-user-total rx)
	U_USER=$(total afxdp-hybrid-user-total user)
	U_USED=$(total afxdp-hybrid-user-total meta_used)
	U_MISSING=$(total afxdp-hybrid-user-total meta_missing)
	U_STEER=$(total afxdp-hybrid-user-total steer_user)
	U_ACL=$(total afxdp-hybrid-user-total acl_pass)
	U_UDP=$(total afxdp-hybrid-user-total proto_udp)
	U_IP4=$(total afxdp-hybrid-user-total proto_ipv4)
	echo "$label: kernel user=${K_USER:-0} steer_user=${K_STEER:-0} acl_pass=${K_ACL:-0}" \
		"meta_refused=${K_REFUSED:-0}; worker rx=${U_RX:-0} user=${U_USER:-0} meta_used=${U_USED:-0}" \
		"meta_missing=${U_MISSING:-0} steer_user=${U_STEER:-0} acl_pass=${U_ACL:-0} proto_udp=${U_UDP:-0}"
	# most datagrams must have arrived (a few may be lost to a full ring)
	[ "${K_USER:-0}" -ge $((N * 9 / 10)) ] || bad "$label: the kernel steered ${K_USER:-0} of $N"
	[ "${U_RX:-0}" = "${K_USER:-0}" ] && [ "${U_USER:-0}" = "${K_USER:-0}" ] ||
		bad "$label: the worker saw ${U_RX:-0} frames, gave USER to ${U_USER:-0}; the kernel steered ${K_USER:-0}"
	[ "${K_STEER:-0}" = "${K_USER:-0}" ] && [ "${K_ACL:-0}" -ge "${K_USER:-0}" ] ||
		bad "$label: the kernel's stages: steer_user=${K_STEER:-0} acl_pass=${K_ACL:-0}, user=${K_USER:-0}"
	[ "${K_REFUSED:-0}" = 0 ] || bad "$label: veth refused the metadata ${K_REFUSED} times"
}

# ---- 1: with metadata --------------------------------------------------------
run meta
[ "${U_USED:-0}" = "${K_USER:-0}" ] && [ "${U_USED:-0}" -gt 0 ] &&
	ok "meta: the worker resumed all ${U_USED:-0} steered frames from the XDP metadata" ||
	bad "meta: meta_used=${U_USED:-0}, the kernel steered ${K_USER:-0}"
[ "${U_MISSING:-0}" = 0 ] && ok "meta: no frame without metadata" || bad "meta: meta_missing=${U_MISSING}"
[ "${U_STEER:-0}" = 0 ] && [ "${U_ACL:-0}" = 0 ] && [ "${U_UDP:-0}" = 0 ] && [ "${U_IP4:-0}" = 0 ] &&
	ok "meta: parse, ACL and steer ran once (in the kernel), not again in the worker" ||
	bad "meta: the worker ran stages again: steer_user=${U_STEER:-0} acl_pass=${U_ACL:-0} proto_udp=${U_UDP:-0} proto_ipv4=${U_IP4:-0}"

# ---- 2: without metadata: the whole pipeline, counted -----------------------
run no-meta --no-xdp-meta
[ "${U_USED:-0}" = 0 ] && [ "${U_MISSING:-0}" = "${K_USER:-0}" ] && [ "${U_MISSING:-0}" -gt 0 ] &&
	ok "no-meta: every steered frame counted meta_missing (${U_MISSING})" ||
	bad "no-meta: meta_missing=${U_MISSING:-0} meta_used=${U_USED:-0}, the kernel steered ${K_USER:-0}"
[ "${U_STEER:-0}" = "${K_USER:-0}" ] && [ "${U_ACL:-0}" = "${K_USER:-0}" ] &&
	ok "no-meta: the worker ran the whole pipeline on them (steer_user=${U_STEER} acl_pass=${U_ACL})" ||
	bad "no-meta: steer_user=${U_STEER:-0} acl_pass=${U_ACL:-0} in the worker, ${K_USER:-0} steered"
pl_done
