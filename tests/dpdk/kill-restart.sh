#!/bin/bash
# SPDX-License-Identifier: MIT
# pathlab-dpdk recovers from kill -9: net_af_xdp attaches its XDP program
# over netlink (libxdp's xsk_def_prog, or pathlab with --hybrid), so a
# killed process leaves it on the interface. The next start removes it (its
# XSKMAP holds no socket: the owner is gone), says so, and runs; a clean
# stop then leaves nothing. A program whose owner is alive is left alone: a
# second instance on the same interface neither removes nor replaces it.
#   kill-restart.sh PATHLAB_DPDK
set -u
DPDK=$1
HERE=$(cd "$(dirname "$0")" && pwd)
PL_TAG=dk
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
require_root "namespaces, AF_XDP"
T=$PL_TMP
PREFIX=plt-d-kill$$
DUT='' DUT2=''
cleanup() {
	for p in $DUT $DUT2; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "/var/run/dpdk/$PREFIX" "/var/run/dpdk/${PREFIX}b"
}
pl_defer cleanup
LOG=
pl_on_fail() { [ -n "$LOG" ] && { echo "--- $LOG:"; grep -v '^libbpf: elf' "$LOG"; }; }

# start LOGNAME FILE-PREFIX [ARGS...]: pathlab-dpdk on IF_A1; sets DUT, LOG;
# returns when it runs (0) or has exited (1)
start() {
	LOG=$T/$1.log
	local fp=$2
	shift 2
	"${PL_D_IN_DUT[@]}" "$DPDK" -l 0 --no-huge -m 512 --no-pci --file-prefix "$fp" --log-level=warning -- \
		--iface $IF_A1 --duration 60 "$@" >"$LOG" 2>&1 &
	DUT=$!
	for _ in $(seq 300); do
		grep -q 'port(s)' "$LOG" && return 0
		kill -0 $DUT 2>/dev/null || { wait $DUT; DUT=; return 1; }
		sleep 0.1
	done
	fail "pathlab-dpdk did not start in 30 s"
}

pl_d_topo_up
for mode in "" --hybrid; do
	what=${mode:-default}
	start "$what-1" "$PREFIX" $mode || fail "$what: first start"
	id=$(pl_d_xdp_id $IF_A1)
	[ -n "$id" ] || fail "$what: no XDP program while running"
	kill -KILL $DUT; wait $DUT 2>/dev/null; DUT=
	rm -rf "/var/run/dpdk/$PREFIX"
	left=$(pl_d_xdp_id $IF_A1)
	echo "$what: after kill -9, XDP program ${left:-none} on $IF_A1 (net_af_xdp attaches over netlink)"
	start "$what-2" "$PREFIX" $mode || fail "$what: restart after kill -9 failed"
	if [ -n "$left" ]; then
		grep -q "removed a stale XDP program .*(id $left" "$LOG" || fail "$what: no log line about the stale program $left"
	fi
	echo "ok: $what: restart after kill -9 runs$([ -n "$left" ] && echo ", stale program $left removed")"
	if [ -n "$mode" ]; then
		# the owner is alive: a second instance must leave its program alone
		live=$(pl_d_xdp_id $IF_A1)
		first=$DUT
		start "$what-second" "${PREFIX}b" $mode && { DUT2=$DUT; fail "$what: a second instance started on a busy interface"; }
		DUT=$first
		grep -q "removed a stale" "$LOG" && fail "$what: a second instance removed the live program"
		[ "$(pl_d_xdp_id $IF_A1)" = "$live" ] || fail "$what: the live program $live was replaced by $(pl_d_xdp_id $IF_A1)"
		kill -0 $DUT 2>/dev/null || fail "$what: the first instance died"
		echo "ok: $what: a live instance's program left alone"
		LOG=$T/$what-2.log
	fi
	kill -INT $DUT; wait $DUT; rc=$?; DUT=
	[ $rc = 0 ] || fail "$what: exit $rc after SIGINT"
	[ -z "$(pl_d_xdp_id $IF_A1)" ] || fail "$what: XDP program $(pl_d_xdp_id $IF_A1) left after a clean stop"
	rm -rf "/var/run/dpdk/$PREFIX"
done
echo "ok: kill -9 then restart recovers; a clean stop leaves nothing"
