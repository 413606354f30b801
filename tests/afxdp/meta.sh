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

declare -A K U
run() { # label, extra options...
	local label=$1
	shift
	ip netns exec "$NS_DUT" timeout 90 "$BIN" -i "$DUT_IN_IF" -i "$DUT_OUT_IF" --placement hybrid \
		--policy "$WORK/meta.policy" --no-tap --ring-size 512 "$@" >"$WORK/dut.log" 2>&1 &
	DUT=$!
	pl_wait_log "$WORK/dut.log" 'worker(s)' $DUT || { cat "$WORK/dut.log"; fail "$label: pathlab-afxdp did not start"; }
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
	local n
	for n in user steer_user acl_pass meta_refused; do
		K[$n]=$(total afxdp-hybrid-xdp-total $n)
	done
	for n in rx user meta_used meta_missing steer_user acl_pass proto_udp proto_ipv4; do
		U[$n]=$(total afxdp-hybrid-user-total $n)
	done
	K_USER=${K[user]:-0} K_STEER=${K[steer_user]:-0} K_ACL=${K[acl_pass]:-0} K_REFUSED=${K[meta_refused]:-0}
	U_RX=${U[rx]:-0} U_USER=${U[user]:-0} U_USED=${U[meta_used]:-0} U_MISSING=${U[meta_missing]:-0}
	U_STEER=${U[steer_user]:-0} U_ACL=${U[acl_pass]:-0} U_UDP=${U[proto_udp]:-0} U_IP4=${U[proto_ipv4]:-0}
	echo "$label: kernel user=$K_USER steer_user=$K_STEER acl_pass=$K_ACL meta_refused=$K_REFUSED;" \
		"worker rx=$U_RX user=$U_USER meta_used=$U_USED meta_missing=$U_MISSING steer_user=$U_STEER" \
		"acl_pass=$U_ACL proto_udp=$U_UDP proto_ipv4=$U_IP4"
	# most datagrams must have arrived (a few may be lost to a full ring)
	[ "$K_USER" -ge $((N * 9 / 10)) ] || bad "$label: the kernel steered $K_USER of $N"
	[ "$U_RX" = "$K_USER" ] && [ "$U_USER" = "$K_USER" ] ||
		bad "$label: the worker saw $U_RX frames, gave USER to $U_USER; the kernel steered $K_USER"
	[ "$K_STEER" = "$K_USER" ] && [ "$K_ACL" -ge "$K_USER" ] ||
		bad "$label: the kernel's stages: steer_user=$K_STEER acl_pass=$K_ACL, user=$K_USER"
	[ "$K_REFUSED" = 0 ] || bad "$label: veth refused the metadata $K_REFUSED times"
}

# ---- 1: with metadata --------------------------------------------------------
run meta
[ "$U_USED" = "$K_USER" ] && [ "$U_USED" -gt 0 ] &&
	ok "meta: the worker resumed all $U_USED steered frames from the XDP metadata" ||
	bad "meta: meta_used=$U_USED, the kernel steered $K_USER"
[ "$U_MISSING" = 0 ] && ok "meta: no frame without metadata" || bad "meta: meta_missing=$U_MISSING"
[ "$U_STEER" = 0 ] && [ "$U_ACL" = 0 ] && [ "$U_UDP" = 0 ] && [ "$U_IP4" = 0 ] &&
	ok "meta: parse, ACL and steer ran once (in the kernel), not again in the worker" ||
	bad "meta: the worker ran stages again: steer_user=$U_STEER acl_pass=$U_ACL proto_udp=$U_UDP proto_ipv4=$U_IP4"

# ---- 2: without metadata: the whole pipeline, counted -----------------------
run no-meta --no-xdp-meta
[ "$U_USED" = 0 ] && [ "$U_MISSING" = "$K_USER" ] && [ "$U_MISSING" -gt 0 ] &&
	ok "no-meta: every steered frame counted meta_missing ($U_MISSING)" ||
	bad "no-meta: meta_missing=$U_MISSING meta_used=$U_USED, the kernel steered $K_USER"
[ "$U_STEER" = "$K_USER" ] && [ "$U_ACL" = "$K_USER" ] &&
	ok "no-meta: the worker ran the whole pipeline on them (steer_user=$U_STEER acl_pass=$U_ACL)" ||
	bad "no-meta: steer_user=$U_STEER acl_pass=$U_ACL in the worker, $K_USER steered"
pl_done
