#!/usr/bin/env bash
# Spreading over CPUs (pathlab-xdp --spread): a pl-topo line topology,
# pathlab-xdp in native mode on DUT_IN with a policy that drops UDP port
# 5000. The sender is pinned to CPU 0 (a veth receives on the sender's CPU):
# with --spread 1 every frame is judged on CPU 1 (the per-CPU counters of
# status) and the drops are exact; what the entry program queued equals what
# CPU 1 ran (spread_queued), and with a queue of one frame the losses show as
# spread_queued - rx_packets; with --spread 0,1 twenty flows land on
# both CPUs and the total is exact; ping is answered (PASS reaches the
# stack on the target CPU); reflected frames (TX) leave again; bad CPU
# lists and generic mode are refused with nothing attached; SIGKILL and pinned
# attach/detach leave nothing.
# Usage: spread.sh PATHLAB_XDP PL_TRAFFIC
set -uo pipefail

XDP=$(realpath "$1") TRAFFIC=$(realpath "$2")
PL_TAG=xsp
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces, XDP attach"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"

say() { echo "--- $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

pl_topo_up spr --topo line
TMP=$PL_TMP
IF=$DUT_IN_IF
IN_DUT=(ip netns exec "$NS_DUT")
IN_GEN=(ip netns exec "$NS_GEN")

status() { "${IN_DUT[@]}" "$XDP" status "$IF" 2>/dev/null; }
counter() { status | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'; }
# Counter NAME on CPU N (the per-CPU lines of status), 0 when that CPU saw nothing.
cpu_counter() { status | awk -v c="$1:" -v n="$2" '$1 == "cpu" && $2 == c { for (i = 3; i < NF; i += 2) if ($i == n) v = $(i + 1) } END { print v + 0 }'; }
xdp_attached() { ip -n "$NS_DUT" -d link show dev "$IF" | grep -q 'prog/xdp'; }
wait_attached() { pl_xdp_wait "$NS_DUT" "$IF" "$1"; }
udp() { taskset -c 0 "${IN_GEN[@]}" "$TRAFFIC" udp "$DUT_IN_IP4" "$1" "$2" >/dev/null; }
start_run() { # POLICY CPULIST [pathlab-xdp options]
	"${IN_DUT[@]}" "$XDP" run "$IF" --mode native --policy "$1" --spread "$2" --duration 60 "${@:3}" \
		>"$TMP/run.log" 2>&1 &
	RUN_PID=$!
	pl_track "$RUN_PID"
	wait_attached 1
}
stop_run() { kill -INT "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null; wait_attached 0; }

cat >"$TMP/drop5000.policy" <<'P'
acl drop proto udp dport 5000
acl default pass
P

say "bad CPU lists are refused, nothing attached"
refused() { # CPULIST EXPECTED-MESSAGE
	local out
	out=$("${IN_DUT[@]}" "$XDP" run "$IF" --spread "$1" --duration 5 2>&1)
	[ $? -eq 1 ] && grep -q "$2" <<<"$out" && ! xdp_attached
}
check "--spread 0,4095 refused (beyond the cpumap)" refused 0,4095 "beyond"
check "--spread 1-0 refused (not a CPU list)" refused 1-0 "not a CPU list"
check "--spread x refused (not a CPU list)" refused x "not a CPU list"
gen_refused() {
	local out
	out=$("${IN_DUT[@]}" "$XDP" run "$IF" --mode generic --spread 1 --duration 5 2>&1)
	[ $? -eq 1 ] && grep -q "needs native XDP" <<<"$out" && ! xdp_attached
}
check "--mode generic --spread refused (PASS from a generic cpumap program is broken)" gen_refused
last=$(($(nproc --all) + 3))
check "--spread $last refused (not online)" refused "$last" "not online"

say "run --spread 1: the stages run on CPU 1, the sender is on CPU 0"
check "attached with --spread 1" start_run "$TMP/drop5000.policy" 1
check "status shows the spread" eval 'status | grep -q "spread over CPUs 1 (cpumap"'
check "ping passes (PASS to the stack on CPU 1)" "${IN_GEN[@]}" ping -q -c 3 -i 0.2 -W 1 "$DUT_IN_IP4"
d0=$(counter acl_drop) c1=$(cpu_counter 1 verdict_drop) r1=$(cpu_counter 1 rx_packets) q0=$(counter spread_queued)
udp 5000 1000
udp 4000 500
sleep 0.5
d1=$(counter acl_drop) c1b=$(cpu_counter 1 verdict_drop) r1b=$(cpu_counter 1 rx_packets) q1=$(counter spread_queued)
check "acl_drop grew by exactly 1000 ($d0 -> $d1)" test "$((d1 - d0))" -eq 1000
check "CPU 1 dropped exactly 1000 ($c1 -> $c1b)" test "$((c1b - c1))" -eq 1000
check "CPU 1 saw at least the 1500 datagrams ($r1 -> $r1b)" test "$((r1b - r1))" -ge 1500
check "every frame queued to CPU 1 ran there (spread_queued +$((q1 - q0)), CPU 1 rx_packets +$((r1b - r1)))" \
	test "$((q1 - q0))" -eq "$((r1b - r1))"
check "status: nothing lost in the cpumap queues" eval 'status | grep -q "lost in the cpumap queues 0$"'
check "CPU 0 judged nothing" test "$(cpu_counter 0 rx_packets)" -eq 0
stop_run
check "nothing attached after run ends" true

say "run --spread 1 --spread-queue 1: the queue's losses are counted"
# the entry program hands frames over in bulks of 8 (the kernel's cpumap
# bulk queue): a queue of one takes one of them while CPU 1 is not draining
check "attached with --spread 1 --spread-queue 1" start_run "$TMP/drop5000.policy" 1 --spread-queue 1
q0=$(counter spread_queued) r0=$(counter rx_packets)
udp 4000 20000
sleep 0.5
q1=$(counter spread_queued) r1=$(counter rx_packets)
lost=$(status | sed -n 's/.*lost in the cpumap queues \([0-9]*\)$/\1/p')
check "every datagram was queued (spread_queued +$((q1 - q0)) >= 20000)" test "$((q1 - q0))" -ge 20000
check "the queue lost frames: CPU 1 ran $((r1 - r0)) of $((q1 - q0))" test "$((r1 - r0))" -lt "$((q1 - q0))"
check "status: lost in the cpumap queues = spread_queued - rx_packets ($lost)" test "${lost:-x}" = "$((q1 - r1))"
stop_run

say "run --spread 0,1: twenty flows over both CPUs, totals exact"
check "attached with --spread 0,1" start_run "$TMP/drop5000.policy" 0,1
u0=$(counter proto_udp) d0=$(counter acl_drop)
for _ in $(seq 10); do udp 5000 50; udp 4000 50; done
sleep 0.5
u1=$(counter proto_udp) d1=$(counter acl_drop)
check "proto_udp grew by exactly 1000 ($u0 -> $u1)" test "$((u1 - u0))" -eq 1000
check "acl_drop grew by exactly 500 ($d0 -> $d1)" test "$((d1 - d0))" -eq 500
status | grep '^  cpu'
check "CPU 0 judged frames" test "$(cpu_counter 0 rx_packets)" -gt 0
check "CPU 1 judged frames" test "$(cpu_counter 1 rx_packets)" -gt 0
check "per-CPU drops add up to the total" test \
	"$(($(cpu_counter 0 verdict_drop) + $(cpu_counter 1 verdict_drop)))" -eq "$(counter verdict_drop)"
say "run ends by SIGKILL"
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
check "nothing attached after SIGKILL" wait_attached 0

say "forward reflect: TX leaves as a redirect from the target CPU"
check "attached with --spread 1 and forward reflect" start_run "$PL_SRC/examples/forward-reflect.policy" 1
tx0=$(counter verdict_tx)
udp 4000 200
sleep 0.5
tx1=$(counter verdict_tx)
check "verdict_tx grew by at least 200 ($tx0 -> $tx1)" test "$((tx1 - tx0))" -ge 200
check "no frame aborted" test "$(counter verdict_aborted)" -eq 0
xmit=$("${IN_DUT[@]}" ethtool -S "$IF" 2>/dev/null | awk '$1 ~ /xdp_xmit:$/ { s += $2 } END { print s + 0 }')
check "the veth sent the reflected frames (xdp_xmit $xmit)" test "$xmit" -ge 200
stop_run

say "attach --spread 0,1 (pinned), detach leaves nothing"
PINNED=("$PL_TOPO" exec "$PL_TOPO_NAME" dut --)
check "attach --spread 0,1" "${PINNED[@]}" "$XDP" attach "$IF" --mode native --spread 0,1
check "status shows the spread" eval '"${PINNED[@]}" "$XDP" status "$IF" | grep -q "spread over CPUs 0,1"'
check "detach" "${PINNED[@]}" "$XDP" detach "$IF"
check "nothing attached after detach" wait_attached 0
check "no pins left" eval '! "${PINNED[@]}" test -e /sys/fs/bpf/pathlab/$IF'

pl_done "xdp spread"
