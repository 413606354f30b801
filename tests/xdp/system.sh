#!/usr/bin/env bash
# XDP datapath with real traffic: two namespaces joined by veth (pl-topo
# "pair"), pathlab-xdp on the DUT side in MODE (native or generic) with
# examples/acl.policy. Checks: ping, TCP 80 passes and TCP 22 is dropped,
# the UDP counter equals what was sent, the mode switch flips while a ping
# flows, a live policy reload, `stats`, pinned attach/detach, and that
# nothing stays attached after `run` ends by SIGINT and by SIGKILL; `mode`
# waits while another configuration writer holds the lock.
# Usage: system.sh MODE PATHLAB_XDP PL_TRAFFIC SOURCE_ROOT
set -uo pipefail

MODE=$1 XDP=$(realpath "$2") TRAFFIC=$(realpath "$3") SRC=$(realpath "$4")
PL_TAG=x${MODE:0:1}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
PLTOPO=$PL_TOPO
require_root "network namespaces, XDP attach"

say() { echo "--- $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

pl_topo_up "xsys${MODE:0:1}"
TMP=$PL_TMP
IF=$DUT_IN_IF
IN_DUT=(ip netns exec "$NS_DUT")
IN_GEN=(ip netns exec "$NS_GEN")
PINNED=("$PLTOPO" exec "$NAME" dut --)

# Counter NAME of the program on IF (status output), empty if none.
counter() { "${IN_DUT[@]}" "$XDP" status "$IF" 2>/dev/null | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'; }
# Is any XDP program attached to IF?
xdp_attached() { ip -n "$NS_DUT" -d link show dev "$IF" | grep -q 'prog/xdp'; }
wait_attached() { pl_xdp_wait "$NS_DUT" "$IF" "$1"; }
ping_ok() { "${IN_GEN[@]}" ping -q -c 2 -i 0.2 -W 1 "$DUT_IN_IP4" >/dev/null 2>&1; }
tcp_ok() { "${IN_GEN[@]}" "$TRAFFIC" connect "$DUT_IN_IP4" "$1" 1000 >/dev/null; }

# Start `run` in the DUT namespace; sets RUN_PID.
start_run() {
	# bounded by --duration (not timeout(1): the PID must be pathlab-xdp's own)
	"${IN_DUT[@]}" "$XDP" run "$IF" --mode "$MODE" --policy "$SRC/examples/acl.policy" --duration 90 \
		--metrics 127.0.0.1:0 \
		>"$TMP/run.log" 2>&1 &
	RUN_PID=$!
	pl_track "$RUN_PID"
	wait_attached 1
}

say "TCP server on ports 22 and 80 in the DUT namespace"
"${IN_DUT[@]}" "$TRAFFIC" serve 100 22 80 >"$TMP/serve.log" 2>&1 &
pl_track $!
sleep 0.3
check "port 22 reachable before XDP (the server works)" tcp_ok 22

say "run $IF --mode $MODE --policy acl.policy"
check "program attached by run" start_run
check "attached in $MODE mode (run says so)" grep -q "attached in $MODE mode" "$TMP/run.log"
status_has() { "${IN_DUT[@]}" "$XDP" status "$IF" 2>&1 | grep -q "$1"; }
check "status reports $MODE mode" status_has ", $MODE mode"

check "ping passes" ping_ok
check "TCP port 80 connects" tcp_ok 80
drop0=$(counter acl_drop)
if tcp_ok 22; then bad "TCP port 22 is dropped"; else ok "TCP port 22 is dropped"; fi
drop1=$(counter acl_drop)
check "acl_drop counted the SYNs to port 22 ($drop0 -> $drop1)" test "$drop1" -gt "$drop0"

say "UDP: the counter equals what was sent"
udp0=$(counter proto_udp)
"${IN_GEN[@]}" "$TRAFFIC" udp "$DUT_IN_IP4" 4000 1000 >/dev/null
sleep 0.3
udp1=$(counter proto_udp)
check "proto_udp grew by exactly 1000 ($udp0 -> $udp1)" test "$((udp1 - udp0))" -eq 1000

say "mode switch while a ping flows"
"${IN_GEN[@]}" ping -q -i 0.05 -w 6 "$DUT_IN_IP4" >"$TMP/flow.log" 2>&1 &
flow=$!
pl_track "$flow"
sleep 1
check "mode drop-all" "${IN_DUT[@]}" "$XDP" mode "$IF" drop-all
d0=$(counter verdict_drop)
sleep 1
d1=$(counter verdict_drop)
check "drops grow under drop-all while traffic flows ($d0 -> $d1)" test "$d1" -gt "$((d0 + 5))"
if ping_ok; then bad "drop-all stops ping"; else ok "drop-all stops ping"; fi
check "mode policy" "${IN_DUT[@]}" "$XDP" mode "$IF" policy
check "policy mode restores ping" ping_ok
wait "$flow"
check "the flowing ping lost some and got some replies" \
	grep -Eq '[1-9][0-9]* received, [0-9.]+% packet loss' "$TMP/flow.log"
grep -q ' 0% packet loss' "$TMP/flow.log" && bad "the flowing ping lost nothing under drop-all"

say "mode and policy writers take one lock"
# Another writer holds the lock the commands take (the pin root, or
# /sys/fs/bpf before anything is pinned): `mode` must wait for it.
rm -f "$TMP/held" "$TMP/lock.log"
"${IN_DUT[@]}" sh -c 'd=/sys/fs/bpf/pathlab; [ -d "$d" ] || d=/sys/fs/bpf
	exec flock "$d" sh -c "touch $1/held; sleep 1; echo released >>$1/lock.log"' sh "$TMP" &
holder=$!
pids+=("$holder")
for _ in $(seq 50); do [ -e "$TMP/held" ] && break; sleep 0.1; done
check "a second writer holds the lock" test -e "$TMP/held"
"${IN_DUT[@]}" "$XDP" mode "$IF" policy && echo mode-done >>"$TMP/lock.log"
wait "$holder"
check "mode waited for the other writer" test "$(tr '\n' ' ' <"$TMP/lock.log")" = "released mode-done "

say "live policy reload"
printf 'mode policy\nacl default pass\n' >"$TMP/open.policy"
check "policy reload (no ACL)" "${IN_DUT[@]}" "$XDP" policy "$IF" "$TMP/open.policy"
check "port 22 connects without the ACL" tcp_ok 22
check "policy reload (acl.policy)" "${IN_DUT[@]}" "$XDP" policy "$IF" "$SRC/examples/acl.policy"
if tcp_ok 22; then bad "port 22 dropped again"; else ok "port 22 dropped again"; fi

say "stats"
"${IN_DUT[@]}" "$XDP" stats "$IF" --interval 0.5 --duration 1.5 >"$TMP/stats.log" 2>&1
check "stats prints the common line" grep -Eq '^\[xdp\] t=[0-9.]+ rx=[0-9]+ drop=[0-9]+ pass=[0-9]+ tx=' "$TMP/stats.log"
check "run printed per-second lines" grep -Eq '^\[xdp\] t=' "$TMP/run.log"

say "metrics"
mport=$(sed -n 's/.*metrics: GET \/metrics on port \([0-9]*\).*/\1/p' "$TMP/run.log")
"${IN_DUT[@]}" curl -sS --max-time 3 "http://127.0.0.1:$mport/metrics" >"$TMP/metrics.txt" 2>&1
check "metrics served (pathlab_up 1 for this path and interface)" \
	grep -Eq "^pathlab_up\\{([^}]*,)?path=\"xdp\"[,}].* 1\$" "$TMP/metrics.txt"
check "metrics carry the interface" grep -Eq "^pathlab_up\\{([^}]*,)?ifname=\"$IF\"[,}]" "$TMP/metrics.txt"

say "run ends by SIGINT"
kill -INT "$RUN_PID"
wait "$RUN_PID"
rc=$?
check "run exits 0 on SIGINT (rc=$rc)" test "$rc" -eq 0
check "nothing attached after SIGINT" wait_attached 0
check "run said it detached" grep -q "detached from 1 interface" "$TMP/run.log"

say "run ends by SIGKILL"
check "program attached by run again" start_run
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
check "nothing attached after SIGKILL (the kernel released the link)" wait_attached 0
check "ping passes with nothing attached" ping_ok

say "attach (pinned) / detach"
check "attach --mode $MODE" "${PINNED[@]}" "$XDP" attach "$IF" --mode "$MODE" --policy "$SRC/examples/acl.policy"
check "still attached after attach exits" xdp_attached
check "status says pinned" sh -c "$(printf '%q ' "${PINNED[@]}" "$XDP") status $IF | grep -q 'link pinned'"
if tcp_ok 22; then bad "pinned: port 22 dropped"; else ok "pinned: port 22 dropped"; fi
check "pinned: port 80 connects" tcp_ok 80
check "pinned: mode drop-all" "${PINNED[@]}" "$XDP" mode "$IF" drop-all
if ping_ok; then bad "pinned: drop-all stops ping"; else ok "pinned: drop-all stops ping"; fi
check "detach" "${PINNED[@]}" "$XDP" detach "$IF"
check "nothing attached after detach" wait_attached 0
check "pins removed" test ! -e "$("$PLTOPO" info "$NAME" >/dev/null; echo "$RUNDIR")/bpffs/dut/pathlab/$IF"
check "ping passes after detach" ping_ok

say "errors"
out=$("${IN_DUT[@]}" "$XDP" run plt-xnope 2>&1)
check "unknown interface is named" grep -q "no interface 'plt-xnope'" <<<"$out"
if [ "$MODE" = native ]; then
	# The namespace's loopback has no native XDP (a veth at MTU 9000 no
	# longer refuses it: the program is frags-aware).
	QIF=lo
	out=$("${IN_DUT[@]}" "$XDP" run "$QIF" --mode native --duration 1 2>&1)
	check "native refusal gives the kernel's reason" \
		grep -q "cannot attach to lo .*in native mode: .*kernel: Underlying driver does not support XDP in native mode" <<<"$out"
	check "native refusal says what to try" grep -q "try: .*--mode generic" <<<"$out"
	out=$("${IN_DUT[@]}" "$XDP" run "$QIF" --duration 1 2>&1)
	check "auto falls back to generic and says so" grep -q "attached in generic mode (native refused)" <<<"$out"
	# At MTU 9000 native XDP is accepted: the program is frags-aware.
	ip -n "$NS_GEN" link set dev "$GEN_IF" mtu 9000
	ip -n "$NS_DUT" link set dev "$IF" mtu 9000
	out=$("${IN_DUT[@]}" "$XDP" run "$IF" --mode native --duration 1 2>&1)
	check "native XDP at MTU 9000 (frags-aware)" grep -q "$IF: attached in native mode" <<<"$out"
	check "nothing attached after the refusals" wait_attached 0
	ip -n "$NS_DUT" -d link show dev "$QIF" | grep -q 'prog/xdp' && bad "an XDP program left on $QIF"
fi

if [ "$fails" -ne 0 ]; then
	echo "FAILED: $fails check(s) ($MODE)"
	echo "--- run.log"; cat "$TMP/run.log"
	exit 1
fi
echo "PASSED ($MODE)"
