#!/bin/bash
# pathlab-afxdp's modes and options, each on real veth traffic between namespaces.
#   options.sh PATHLAB_AFXDP
# Topology: a pl-topo wire with 2 queues on every veth (ARP crosses the DUT):
#   gen [GEN_IF GEN_IP4] --veth-- [DUT_IN_IF] dut [DUT_OUT_IF] --veth-- [SINK_IF SINK_IP4] sink
# Checks, each with its own short DUT run (frames forwarded n0 <-> n1, accounting ok, clean exit):
#   queues:   all queues by default: one socket per (port, queue), one worker per queue, each
#             pinned where --cpus says, traffic on both queues; --queues 1 opens only queue 1
#   zero-copy on (veth has none): refused, the error names the driver limit and --zero-copy auto/off
#   zero-copy off, xdp-mode generic (xdpgeneric attached), --no-need-wakeup,
#   busy poll accepted (--busy-poll 20; veth's sockets get no NAPI id: said, and no
#             recvfrom on empty polls), busy poll refused by the kernel (budget 70000):
#             a message naming SO_BUSY_POLL_BUDGET and the socket runs without it
#   hugepages (2 MB pages reserved for the run if none are free, then given back),
#   --frame-size 2048 --batch 64 --ring-size 1024; sizes the kernel would refuse: refused first
#   TX verdict (forward reflect): frames come back out of the receiving port
set -u
BIN=$1
PL_TAG=ao
PY=/usr/bin/python3
HUGE_SET='' HUGE_OLD=''
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces"
[ -x "$BIN" ] || fail "$BIN not built"
WORK=$PL_TMP
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	# Give back the hugepages this test reserved (only if nobody changed the count since).
	if [ -n "$HUGE_SET" ] && [ "$(cat /proc/sys/vm/nr_hugepages)" = "$HUGE_SET" ]; then
		echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages
	fi
}
pl_defer cleanup

pl_topo_up wire --topo wire --queues 2 --neigh dynamic
NS0=$GEN_NS NS1=$SINK_NS NSD=$NS_DUT
N0=$GEN_IF D0=$DUT_IN_IF D1=$DUT_OUT_IF
IP1=$SINK_IP4 IP_OTHER=${GEN_IP4%.*}.50
for ep in GEN SINK DUT_IN DUT_OUT; do pl_ethtool $ep tx off; done
cat >"$WORK/fwd.policy" <<P
mode policy
acl default pass
forward redirect from $D0 to $D1
forward redirect from $D1 to $D0
P
cat >"$WORK/reflect.policy" <<P
mode policy
acl default pass
forward reflect
P

# A TCP server in NS1 answering "hello" on every connection.
ip netns exec $NS1 timeout 110 $PY -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80)); s.listen(16)
while True:
    c,_=s.accept(); c.sendall(b"hello\n"); c.close()
' $IP1 &
PIDS+=($!)

# Start the DUT with the given options (after -i D0 -i D1 unless PORTS is set).
start_dut() {
	ip netns exec $NSD timeout 60 "$BIN" ${PORTS:--i $D0 -i $D1} --no-tap --check-every 16 \
		--ring-size 512 "$@" >"$WORK/dut.log" 2>&1 &
	DUT=$!
	PIDS+=("$DUT")
	for _ in $(seq 150); do
		grep -q 'worker(s)' "$WORK/dut.log" && sleep 0.3 && return 0
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	wait $DUT 2>/dev/null
	bad "pathlab-afxdp $* did not start: $(tail -3 "$WORK/dut.log")"
	return 1
}

# Stop the DUT; check exit status, accounting, nothing left attached.
stop_dut() { # what
	kill -INT $DUT
	wait $DUT
	local rc=$?
	[ $rc = 0 ] || bad "$1: exit status $rc: $(tail -3 "$WORK/dut.log")"
	grep -q 'accounting ok' "$WORK/dut.log" && grep -q 'checks_failed=0 double_free=0' "$WORK/dut.log" ||
		bad "$1: frame accounting: $(grep afxdp-frames "$WORK/dut.log")"
	ip -n $NSD link show | grep -q xdp && bad "$1: an XDP program is left"
	return 0
}

# n0 reaches n1 through the port: ping and a TCP exchange.
through() { # what
	if ip netns exec $NS0 ping -c 3 -i 0.2 -W 2 $IP1 >/dev/null &&
		[ "$(ip netns exec $NS0 timeout 4 bash -c "exec 3<>/dev/tcp/$IP1/80 && head -1 <&3" 2>/dev/null)" = hello ]; then
		ok "$1: traffic forwarded"
	else
		bad "$1: no traffic through the port"
	fi
}

# One run of the DUT with options, expecting a start-up line matching PATTERN.
run() { # what pattern options...
	local what=$1 pat=$2; shift 2
	start_dut "$@" || return
	grep -q -- "$pat" "$WORK/dut.log" && ok "$what: start-up says '$pat'" ||
		bad "$what: start-up line lacks '$pat': $(grep 'worker(s)' "$WORK/dut.log")"
	through "$what"
	stop_dut "$what"
}

# ---- queues, sockets, workers, pinning --------------------------------------
start_dut --policy "$WORK/fwd.policy" --cpus 0,1 || exit 1
grep -q '2 port(s), 2 worker(s), placement user, copy mode' "$WORK/dut.log" && ok "all queues: 2 ports x 2 queues -> 2 workers, auto gave copy mode on every socket" ||
	bad "all queues: $(grep 'worker(s)' "$WORK/dut.log")"
[ "$(grep -Ec "socket ($D0|$D1) queue [01]: worker" "$WORK/dut.log")" = 4 ] && ok "one socket per (port, queue): 4" ||
	bad "sockets: $(grep socket "$WORK/dut.log")"
pins=""
for t in /proc/$(pgrep -P $DUT -x pathlab-afxdp || echo $DUT)/task/*; do
	n=$(cat $t/comm)
	case $n in pl-afxdp-w*) pins+="$n:$(taskset -pc ${t##*/} | sed 's/.*: //') " ;; esac
done
[ "$pins" = "pl-afxdp-w0:0 pl-afxdp-w1:1 " ] && ok "workers pinned: $pins" || bad "worker pinning: '$pins'"
# New TCP connections get random flow hashes: they spread over both queues.
for _ in $(seq 16); do ip netns exec $NS0 timeout 4 bash -c "exec 3<>/dev/tcp/$IP1/80 && head -1 <&3" >/dev/null 2>&1; done
through "all queues"
stop_dut "all queues"
for q in 0 1; do
	rx=$(grep "afxdp-socket\] $D0 queue=$q" "$WORK/dut.log" | grep -o ' rx=[0-9]*' | cut -d= -f2)
	[ "${rx:-0}" -gt 0 ] && ok "$D0 queue $q received $rx frames" || bad "$D0 queue $q received nothing: $(grep afxdp-socket "$WORK/dut.log")"
done
start_dut --policy "$WORK/fwd.policy" --queues 1 --cpus 1 || exit 1
grep -q '2 port(s), 1 worker(s)' "$WORK/dut.log" && [ "$(grep -c 'socket .* queue 1: worker 0, CPU 1' "$WORK/dut.log")" = 2 ] &&
	ok "--queues 1: one worker, sockets on queue 1 of both ports only" || bad "--queues 1: $(grep -E 'worker|socket' "$WORK/dut.log")"
stop_dut "--queues 1"
ip netns exec $NSD timeout 10 "$BIN" -i $D0 --queues 2 --no-tap >"$WORK/err.log" 2>&1
[ $? = 1 ] && grep -q 'queue 2 does not exist' "$WORK/err.log" && ok "--queues 2 refused: $(head -1 "$WORK/err.log")" ||
	bad "--queues 2: $(cat "$WORK/err.log")"

# ---- modes -----------------------------------------------------------------------
ip netns exec $NSD timeout 10 "$BIN" -i $D0 -i $D1 --zero-copy on --no-tap >"$WORK/err.log" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'driver (veth) has no AF_XDP zero-copy.*--zero-copy auto or off' "$WORK/err.log" && ! ip -n $NSD link show | grep -q xdp; then
	ok "zero-copy on refused on veth: $(grep zero-copy "$WORK/err.log" | head -1)"
else
	bad "zero-copy on: exit $rc: $(cat "$WORK/err.log")"
fi
run "zero-copy off" ', copy mode' --policy "$WORK/fwd.policy" --zero-copy off
start_dut --policy "$WORK/fwd.policy" --xdp-mode generic || exit 1
ip -n $NSD link show $D0 | grep -q xdpgeneric && ok "generic: xdpgeneric attached" ||
	bad "generic: no xdpgeneric on $D0: $(ip -n $NSD link show $D0); bpftool: $(ip netns exec $NSD bpftool net show dev $D0 2>&1 | tr '\n' ' '); DUT: $(tail -4 "$WORK/dut.log" | tr '\n' ' ')"
through "generic"
stop_dut "generic"
run "need_wakeup off" 'need_wakeup off' --policy "$WORK/fwd.policy" --no-need-wakeup
run "busy poll" 'busy poll 20 us budget 32' --policy "$WORK/fwd.policy" --busy-poll 20
# veth gives its AF_XDP sockets no NAPI id: the kernel cannot busy-poll them, so
# after the first frames the worker says so and makes no recvfrom on empty polls
grep -q "$D0 q[01]: busy poll cannot run: the kernel gave the socket no NAPI id" "$WORK/dut.log" &&
	ok "busy poll: no NAPI id on veth named: $(grep -m1 'NAPI id' "$WORK/dut.log")" ||
	bad "busy poll: no word on the missing NAPI id: $(grep -i napi "$WORK/dut.log")"
wk=$(grep '^\[afxdp-socket\]' "$WORK/dut.log" | grep -o ' rx_wakeups=[0-9]*' | cut -d= -f2 | sort -un | tr '\n' ' ')
[ "$wk" = "0 " ] && ok "busy poll without a NAPI id: no recvfrom on any socket (rx_wakeups=0)" ||
	bad "busy poll without a NAPI id: rx_wakeups $wk"
run "busy poll refused" 'busy poll refused, off' --policy "$WORK/fwd.policy" --busy-poll 20 --busy-poll-budget 70000
grep -q 'SO_BUSY_POLL_BUDGET=70000 refused.*continuing without busy polling' "$WORK/dut.log" &&
	ok "busy poll refusal named: $(grep -m1 refused "$WORK/dut.log")" || bad "busy poll refusal message: $(cat "$WORK/dut.log" | head -5)"

# ---- UMEM, sizes -----------------------------------------------------------------
# 1024 frames x 4 KB x 2 workers = 8 MB = 4 pages of 2 MB (8 reserved: room for rounding).
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -lt 8 ]; then
	HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
	HUGE_SET=$((HUGE_OLD + 8 - ${free:-0}))
	echo $HUGE_SET >/proc/sys/vm/nr_hugepages
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 8 ]; then
	run "hugepages" 'UMEM on hugepages' --policy "$WORK/fwd.policy" --hugepages --ring-size 256 --frames 1024
else
	bad "could not reserve 8 hugepages (free: $free)"
fi
ip netns exec $NSD timeout 10 "$BIN" -i $D0 --hugepages --frames 4000000 --no-tap >"$WORK/err.log" 2>&1
[ $? = 1 ] && grep -q 'nr_hugepages' "$WORK/err.log" && ok "hugepages shortage explained: $(grep -m1 hugepages "$WORK/err.log")" ||
	bad "hugepages shortage: $(cat "$WORK/err.log")"
run "sizes" 'batch 64, tx budget 64, rings rx/tx/fill/comp 1024/1024/1024/1024, frame 2048' --policy "$WORK/fwd.policy" \
	--frame-size 2048 --batch 64 --ring-size 1024
for bad_opt in "--ring-size 1000" "--frame-size 3000" "--batch 300" "--fill-size 0"; do
	ip netns exec $NSD timeout 10 "$BIN" -i $D0 --no-tap $bad_opt >"$WORK/err.log" 2>&1
	[ $? = 2 ] && grep -q 'try\|must be' "$WORK/err.log" && ok "$bad_opt refused: $(head -1 "$WORK/err.log")" ||
		bad "$bad_opt: $(cat "$WORK/err.log")"
done

# ---- TX verdict: forward reflect sends each frame back out of the port it came in on --
MAC_D0=$(ip -n $NSD -br link show $D0 | awk '{print $3}')
ip -n $NS0 neigh replace $IP_OTHER lladdr $MAC_D0 dev $N0
PORTS="-i $D0" start_dut --policy "$WORK/reflect.policy" || exit 1
before=$(ip netns exec $NS0 cat /sys/class/net/$N0/statistics/rx_packets)
ip netns exec $NS0 ping -c 20 -i 0.05 -W 1 $IP_OTHER >/dev/null 2>&1
after=$(ip netns exec $NS0 cat /sys/class/net/$N0/statistics/rx_packets)
stop_dut "reflect"
tot=$(grep -o 'afxdp-total.*' "$WORK/dut.log")
tx=$(echo "$tot" | grep -o ' tx=[0-9]*' | cut -d= -f2) txd=$(echo "$tot" | grep -o 'tx_done=[0-9]*' | cut -d= -f2)
if [ "${tx:-0}" -ge 20 ] && [ "$tx" = "$txd" ] && [ $((after - before)) -ge 20 ]; then
	ok "TX: $tx frames reflected out of $D0, all completed, $((after - before)) received back on $N0"
else
	bad "TX: tx=$tx tx_done=$txd, $N0 received $((after - before)): $tot"
fi

[ $fails = 0 ] && echo PASS || echo "$fails check(s) failed"
exit $((fails > 0))
