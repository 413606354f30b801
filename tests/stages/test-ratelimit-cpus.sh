#!/bin/bash
# Budget scope on two CPUs: source A floods UDP from two senders, one
# pinned to CPU 0 and one to CPU 1, four flows each.
# xdp (default): pathlab-xdp on the receiver (on veth the receiving CPU is
#   the sender's, so A's frames reach the XDP limiter on both CPUs);
# afxdp: pathlab-afxdp --placement user on two-queue veths, one worker per
#   queue (the flows spread over both queues, so over two workers, each with
#   its own per-CPU tables); PASS frames reach the receiver's stack through
#   its TAP devices, which hold the receiver's addresses.
#   per CPU (ratelimit pps 1000 burst 100): each CPU has its own bucket, A
#     gets about twice its budget (asserted: at least 1.5 times);
#   shared (... shared): one bucket for both CPUs, A gets its budget once,
#     1000/s * T + 100 within +-10 %;
#   aggregate shared (ratelimit pps 1000 burst 100 aggregate shared): A and
#     a second source B share that one budget.
#   test-ratelimit-cpus.sh BUILD_DIR [xdp|afxdp]
BUILD=$1 FRONT=${2:-xdp}
PL_TAG=sc${FRONT:0:1}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3)
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
rl_topo rc --queues 2
T=2
echo "ratelimit pps 1000 burst 100" >"$TMP/percpu"
echo "ratelimit pps 1000 burst 100 shared" >"$TMP/shared"
echo "ratelimit pps 1000 burst 100 aggregate shared" >"$TMP/aggregate"
# use POLICY: the datapath under test with POLICY (pathlab-xdp: applied to
# the running program; pathlab-afxdp: started again with it).
if [ "$FRONT" = afxdp ]; then
	TAPP=${PL_PREFIX}t
	ip -n "$RL" addr flush dev "$RLA"
	ip -n "$RL" addr flush dev "$RLB"
	use() {
		if [ -n "${DUT:-}" ]; then
			kill -INT "$DUT" 2>/dev/null
			wait "$DUT" 2>/dev/null
			cp "$TMP/dut.log" "$TMP/dut.log.$RUNS"
		fi
		RUNS=$((${RUNS:-0} + 1))
		start_afxdp "$RL" -i "$RLA" -i "$RLB" --policy "$1" --tap-prefix "$TAPP" --quiet
		ip -n "$RL" addr add "$RA_IP/24" dev "${TAPP}0"
		ip -n "$RL" addr add "$RB_IP/24" dev "${TAPP}1"
		sleep 0.5
	}
	# a counter of the run so far, from the totals pathlab-afxdp prints when it stops
	drop_count() { afxdp_stop_total "$1"; }
else
	use() {
		if [ -z "${XDP_PID:-}" ]; then start_xdp "$RL" "$1" "$RLA" "$RLB"; else reload "$1"; fi
		sleep 0.3
	}
	drop_count() { counter "$1"; }
fi
warm() {
	ip netns exec "$FA" ping -c1 -W1 "$RA_IP" >/dev/null
	ip netns exec "$FB" ping -c1 -W1 "$RB_IP" >/dev/null
}
SEND='
import socket, sys, time
dst, dur = sys.argv[1], float(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
t0 = time.monotonic(); n = 0; b = b"x" * 64
while time.monotonic() - t0 < dur:
    try:
        socks[n & 3].sendto(b, (dst, 9000)); n += 1
    except OSError:
        pass
print(n, time.monotonic() - t0)
'
# phase NAME WITH_B: flood from A on CPUs 0 and 1 (and from B on CPU 1
# when WITH_B), print "sent_a got_a got_b dur".
phase() {
	udp_count "$RL" 1.5 "$A_IP" "$B_IP" >"$TMP/recv.$1" &
	local recv=$! p0 p1 pb=""
	sleep 0.5
	ip netns exec "$FA" taskset -c 0 "$PY" -c "$SEND" "$RA_IP" $T >"$TMP/a0.$1" &
	p0=$!
	ip netns exec "$FA" taskset -c 1 "$PY" -c "$SEND" "$RA_IP" $T >"$TMP/a1.$1" &
	p1=$!
	if [ "$2" = 1 ]; then
		ip netns exec "$FB" taskset -c 1 "$PY" -c "$SEND" "$RB_IP" $T >"$TMP/b.$1" &
		pb=$!
	fi
	wait $p0 $p1 $pb
	wait $recv
	local s0 s1 d0 d1 ga gb
	read -r s0 d0 <"$TMP/a0.$1"
	read -r s1 d1 <"$TMP/a1.$1"
	read -r ga gb <"$TMP/recv.$1"
	echo "$((s0 + s1)) $ga $gb $(awk -v a="$d0" -v b="$d1" 'BEGIN { print (a > b ? a : b) }')"
}
fail=0
allowed() { awk -v d="$1" 'BEGIN { printf "%d", 1000 * d + 100 }'; }

use "$TMP/percpu"
warm
read -r sent got _ dur < <(phase percpu 0)
want=$(allowed "$dur")
echo "per CPU: A sent $sent from CPUs 0 and 1 in ${dur}s, received $got (one CPU's budget $want)"
[ "$sent" -gt $((want * 6)) ] || { echo "FAIL: A did not flood (sent $sent)"; fail=1; }
awk -v g="$got" -v w="$want" 'BEGIN { exit !(g >= w * 1.5 && g <= w * 2.2) }' ||
	{ echo "FAIL: per CPU, A received $got: want about twice $want (1.5 to 2.2 times; did A reach both CPUs?)"; fail=1; }

use "$TMP/shared"
warm
d0=0
[ "$FRONT" = afxdp ] || d0=$(drop_count ratelimit_drop)
read -r sent got _ dur < <(phase shared 0)
want=$(allowed "$dur")
drops=$(( $(drop_count ratelimit_drop) - d0 ))
busy=$(drop_count budget_busy)
echo "shared: A sent $sent in ${dur}s, received $got (budget $want); ratelimit_drop +$drops; budget_busy ${busy:-0}"
[ "$sent" -gt $((want * 6)) ] || { echo "FAIL: A did not flood (sent $sent)"; fail=1; }
awk -v g="$got" -v w="$want" 'BEGIN { exit !(g >= w * 0.9 && g <= w * 1.1) }' ||
	{ echo "FAIL: shared, A received $got: want $want +- 10 % (one budget for both CPUs)"; fail=1; }
if [ "$FRONT" = afxdp ]; then
	# user-space workers also lose frames before the core (AF_XDP rx rings full)
	[ "${drops:-0}" -gt $((want * 2)) ] || { echo "FAIL: ratelimit_drop +$drops"; fail=1; }
else
	awk -v d="$drops" -v s="$sent" -v g="$got" 'BEGIN { l = s - g; exit !(d >= l * 0.98 && d <= l) }' ||
		{ echo "FAIL: ratelimit_drop +$drops vs A lost $((sent - got))"; fail=1; }
fi

use "$TMP/aggregate"
warm
b0=0
[ "$FRONT" = afxdp ] || b0=$(drop_count budget_busy)
read -r sent got gotb dur < <(phase aggregate 1)
want=$(allowed "$dur")
# Frames that found the bucket's lock held through every try pass uncharged
# and are counted (budget_busy): on a VM a lock holder's vCPU can be
# descheduled for a while, so they are allowed above the budget.
b1=$(drop_count budget_busy)
busy=$(( ${b1:-0} - ${b0:-0} ))
echo "aggregate shared: A sent $sent, A and B received $got + $gotb = $((got + gotb)) (budget $want for both); budget_busy +$busy"
[ "$gotb" -gt 0 ] || { echo "FAIL: nothing of B's arrived"; fail=1; }
awk -v g="$((got + gotb))" -v w="$want" -v b="$busy" 'BEGIN { exit !(g >= w * 0.9 && g <= w * 1.1 + b) }' ||
	{ echo "FAIL: aggregate shared, A and B received $((got + gotb)): want $want +- 10 % (+ $busy passed uncharged)"; fail=1; }
exit $fail
