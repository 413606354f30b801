#!/bin/bash
# SPDX-License-Identifier: MIT
# Nothing of a comparison run outlives kill -9 of the harness:
#  A. kill -9 of the harness in the middle of a cell (OVS running, the sink
#     and a DUT started): within seconds no process of the run is left (its
#     children die with it, OVS's detached daemons are stopped by the run's
#     watchdog), no namespace of its prefix, kernel.bpf_stats_enabled as before;
#  B. the same with the watchdog killed first: the children still die with the
#     harness; what is left (namespaces, OVS) goes at the next start's clean-up
#     (`compare.sh cleanup`, which every run does first).
# "Of the run": a process whose command line names the run's results
# directory, its prefix or its topology.
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PATHLAB_BUILD:-$SRC/build}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "namespaces, XDP"
require_tool ovs-vswitchd
TMP=$PL_TMP
export PL_BENCH_STATE_DIR=$TMP/state PATHLAB_BUILD=$BUILD
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	PL_BENCH_STATE_DIR=$TMP/state "$SRC/bench/compare.sh" cleanup >/dev/null 2>&1
	# OVS daemons of the runs, by the PID files of their run directories
	for f in "$TMP"/*/work/ovs-*/ovs-vswitchd.pid "$TMP"/*/work/ovs-*/ovsdb-server.pid; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	for p in plt-k9 plt-k8; do "$SRC/topologies/pl-topo" down --all-with-prefix $p >/dev/null 2>&1; done
}
pl_defer cleanup
stats0=$(sysctl -n kernel.bpf_stats_enabled)

# leftovers PREFIX OUT: processes of the run (by command line) and namespaces
leftovers() {
	local prefix=$1 out=$2 topo=${1//-/}l d c
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = $$ ] && continue
		c=$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
		case "$c" in *"$out"* | *"$prefix"* | *"$topo"*) echo "process ${d#/proc/}: ${c:0:150}" ;; esac
	done
	ip netns list | awk '{print $1}' | grep "^$prefix" | sed 's/^/namespace /'
}

# start PREFIX: a run that reaches OVS (third path); sets HPID, OUT
start() {
	OUT=$TMP/$1
	# compare.sh execs python: $! is the harness
	"$SRC/bench/compare.sh" --quick --paths linux,xdp-native,ref-ovs --window 5 --prefix "$1" \
		--out "$OUT" >"$TMP/$1.stdout" 2>"$TMP/$1.stderr" &
	HPID=$!
	pids+=("$HPID")
	for _ in $(seq 1 600); do
		[ -s "$OUT/work/ovs-ref-ovs/ovs-vswitchd.pid" ] && grep -q "ofctl add-flow" "$OUT/commands.txt" 2>/dev/null &&
			break
		kill -0 "$HPID" 2>/dev/null || { cat "$TMP/$1.stderr"; fail "$1: the run ended before OVS started"; }
		sleep 0.2
	done
	[ -s "$OUT/work/ovs-ref-ovs/ovs-vswitchd.pid" ] || fail "$1: OVS did not start in 120 s"
	sleep 1
	[ -n "$(leftovers "$1" "$OUT")" ] || fail "$1: no process of the run found before the kill (test broken)"
}

# wait_clean PREFIX SECONDS: true when nothing of the run is left
wait_clean() {
	for _ in $(seq 1 $((${2} * 5))); do
		[ -z "$(leftovers "$1" "$OUT")" ] && return 0
		sleep 0.2
	done
	return 1
}

# A: kill -9 the harness
start plt-k9
echo "A: kill -9 $HPID (harness) while OVS runs"
kill -9 "$HPID"
wait_clean plt-k9 30 || { leftovers plt-k9 "$OUT"; fail "A: left running 30 s after kill -9 of the harness"; }
[ "$(sysctl -n kernel.bpf_stats_enabled)" = "$stats0" ] || fail "A: kernel.bpf_stats_enabled not restored"
[ -z "$(ls "$TMP/state" 2>/dev/null)" ] || fail "A: state file left: $(ls "$TMP/state")"
echo "A: nothing left"

# B: kill -9 the watchdog, then the harness: children die with the harness,
# the rest at the next start's clean-up
start plt-k8
wd=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["watchdog"])' "$TMP/state/plt-k8.json")
pids+=("$wd")
kids=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(str(p["pid"]) for p in json.load(open(sys.argv[1]))["procs"]))' \
	"$TMP/state/plt-k8.json")
[ -n "$kids" ] || fail "B: no child recorded in the state file"
echo "B: kill -9 $wd (watchdog), $HPID (harness); children $kids"
kill -9 "$wd"
kill -9 "$HPID"
for _ in $(seq 1 50); do
	left=""
	for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
	[ -z "$left" ] && break
	sleep 0.2
done
[ -z "$left" ] || fail "B: children$left still running 10 s after kill -9 of the harness"
echo "B: children died with the harness"
"$SRC/bench/compare.sh" cleanup || fail "B: compare.sh cleanup failed"
wait_clean plt-k8 5 || { leftovers plt-k8 "$OUT"; fail "B: left after compare.sh cleanup"; }
[ -z "$(ls "$TMP/state" 2>/dev/null)" ] || fail "B: state file left after cleanup"
echo "B: nothing left after the next start's clean-up"
echo PASS
