#!/bin/bash
# pathlab-afxdp's life cycle over veth between namespaces, copy mode.
#   lifecycle.sh PATHLAB_AFXDP kill|startup|txtail|batch
# Topology: a pl-topo whose DUT has the ports needed (1: pair, 2: wire, 3:
# lb with 2 backends), PORT[i] in the DUT namespace cabled to PEER_IF[i] in
# PEER_NS[i]; raw frames only, IPv6 off and static neighbours, so no stack
# traffic is counted.
#   kill:    hybrid on one port; kill -9 leaves nothing attached and a
#            restart works; SIGHUP and SIGQUIT stop it like SIGTERM (exit 0,
#            nothing attached).
#   startup: hybrid on two ports, a "default pass" policy, frames sent into
#            port 0 from before the start: the kernel core drops none of them
#            (it must never run without its configuration).
#   txtail:  user placement, ports 0 and 1 redirect into port 2; the workers
#            are stopped (SIGSTOP) while 2 x 2000 frames queue up, then
#            resumed: more frames reach port 2's tx ring in one loop than the
#            kicks send (batch 256 from two ports, 32 per kick), and with no
#            further traffic every frame must still come out of port 2.
#   batch:   user placement, port 0 redirects into port 1 with --batch 8; 1000
#            frames queue on port 0's rx ring while the worker is stopped:
#            it takes them 8 at a time (the multi-buffer peek sees up to 17
#            more, which wait for the next batch), so port 1 sends them in
#            at least 125 kicks, and all 1000 arrive.
set -u
BIN=$1
MODE=$2
PL_TAG=al
PY=/usr/bin/python3
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces"
[ -x "$BIN" ] || fail "$BIN not built"
WORK=$PL_TMP
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}
pl_defer cleanup

setup() { # number of ports
	local topo l a b v
	case $1 in 1) topo=(--topo pair) ;; 2) topo=(--topo wire) ;; 3) topo=(--topo lb --backends 2) ;; esac
	pl_topo_up lc "${topo[@]}" --ipv6 off
	NSD=$NS_DUT PORT=() PEER_NS=() PEER_IF=()
	for l in $LINKS; do # A:B, one end in the DUT
		a=${l%%:*} b=${l##*:}
		v=${a}_NS
		[ "${!v}" = "$NSD" ] || { a=${l##*:} b=${l%%:*}; }
		v=${a}_IF; PORT+=("${!v}")
		v=${b}_NS; PEER_NS+=("${!v}")
		v=${b}_IF; PEER_IF+=("${!v}")
		pl_ethtool "$a" tx off
	done
}

# Send COUNT UDP frames out of peer I's interface, in chunks of 100 (so the
# veth ring behind it never overflows); COUNT 0: one frame per millisecond
# until killed.
send() { # i count
	ip netns exec "${PEER_NS[$1]}" timeout 100 $PY - "${PEER_IF[$1]}" "$2" <<'PYEOF' &
import socket, struct, sys, time
ifn, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifn, 0))
payload = b"plt-lifecycle" + bytes(18)
udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                 bytes([10, 79, 0, 1]), bytes([10, 79, 0, 2]))
csum = sum(struct.unpack("!10H", ip))
csum = (csum & 0xffff) + (csum >> 16)
csum = (csum & 0xffff) + (csum >> 16)
ip = ip[:10] + struct.pack("!H", ~csum & 0xffff) + ip[12:]
frame = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp
n = 0
while count == 0 or n < count:
    s.send(frame)
    n += 1
    if count == 0:
        time.sleep(0.001)
    elif n % 100 == 0:
        time.sleep(0.01)
PYEOF
	SENDER=$!
	PIDS+=("$SENDER")
}

start_dut() { # args...
	# no timeout(1) in between: signals (SIGKILL, SIGSTOP) go to the tool
	# itself; --duration bounds the run
	ip netns exec "$NSD" "$BIN" "$@" --no-tap --quiet --duration 60 >"$WORK/dut.log" 2>&1 &
	DUT=$!
	PIDS+=("$DUT")
	# hybrid verifies the BPF object once per port: seconds on a busy machine
	for _ in $(seq 300); do
		grep -q 'worker(s)' "$WORK/dut.log" && sleep 0.3 && return 0
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/dut.log"
	bad "pathlab-afxdp did not start ($*)"
	return 1
}

# Nothing attached to any port (polls up to 3 s: the kernel releases a dead
# process's links as its files close).
check_detached() { # what
	for _ in $(seq 30); do
		ip -n $NSD link show | grep -q 'xdp' || { ok "$1: no XDP program attached"; return 0; }
		sleep 0.1
	done
	bad "$1: an XDP program is left: $(ip -n $NSD link show | grep xdp)"
}

rx_packets() { # peer i
	ip netns exec "${PEER_NS[$1]}" cat "/sys/class/net/${PEER_IF[$1]}/statistics/rx_packets"
}

case $MODE in
kill)
	setup 1
	printf 'mode policy\ndefault drop\n' >"$WORK/drop.policy"
	start_dut -i "${PORT[0]}" --placement hybrid --policy "$WORK/drop.policy" || exit 1
	kill -9 $DUT
	wait $DUT 2>/dev/null
	check_detached "after kill -9"
	if start_dut -i "${PORT[0]}" --placement hybrid --policy "$WORK/drop.policy"; then
		ok "restart after kill -9"
	fi
	for sig in HUP QUIT TERM; do
		kill -0 $DUT 2>/dev/null || start_dut -i "${PORT[0]}" --placement hybrid \
			--policy "$WORK/drop.policy" || continue
		kill -$sig $DUT
		wait $DUT
		rc=$?
		[ $rc = 0 ] && ok "SIG$sig: exit 0" || { bad "SIG$sig: exit $rc"; cat "$WORK/dut.log"; }
		grep -q 'accounting ok' "$WORK/dut.log" && ok "SIG$sig: shut down cleanly (frames accounted)" \
			|| bad "SIG$sig: no shutdown report"
		check_detached "after SIG$sig"
	done
	;;
startup)
	setup 2
	printf 'mode policy\ndefault pass\n' >"$WORK/pass.policy"
	send 0 0
	sleep 0.5
	start_dut -i "${PORT[0]}" -i "${PORT[1]}" --placement hybrid --policy "$WORK/pass.policy" || exit 1
	sleep 1
	kill -INT $DUT
	wait $DUT
	kill $SENDER 2>/dev/null
	line=$(grep '^\[afxdp-hybrid-xdp-total\]' "$WORK/dut.log")
	rx=$(sed -n 's/.* rx=\([0-9]*\).*/\1/p' <<<"$line")
	drop=$(sed -n 's/.* drop=\([0-9]*\).*/\1/p' <<<"$line")
	echo "kernel core: $line"
	if [ -z "$rx" ] || [ "$rx" -lt 100 ]; then
		bad "the kernel core saw too few frames (rx=${rx:-none}): the sender did not run"
	elif [ "$drop" != 0 ]; then
		bad "the kernel core dropped $drop of $rx frames: it ran before its configuration was written"
	else
		ok "from the first frame on, the kernel core ran with the policy ($rx frames, none dropped)"
	fi
	;;
txtail)
	setup 3
	printf 'mode policy\nforward redirect from %s to %s\nforward redirect from %s to %s\n' \
		"${PORT[0]}" "${PORT[2]}" "${PORT[1]}" "${PORT[2]}" >"$WORK/fwd.policy"
	start_dut -i "${PORT[0]}" -i "${PORT[1]}" -i "${PORT[2]}" --placement user --policy "$WORK/fwd.policy" \
		--batch 256 --tx-budget 32 --ring-size 2048 --tx-size 8192 --frames 16384 || exit 1
	before=$(rx_packets 2)
	kill -STOP $DUT
	send 0 2000; s0=$SENDER
	send 1 2000; s1=$SENDER
	wait $s0 $s1
	kill -CONT $DUT
	# Every frame is on port 2's tx ring within milliseconds; 1.5 s is for
	# a busy machine. Frames left behind by a kick would come out only
	# when the idle worker's poll() drives the copy-mode tx (32 per 100 ms).
	sleep 1.5
	got=$(($(rx_packets 2) - before))
	if [ $got -ge 4000 ]; then
		ok "a burst, then silence: all $got of 4000 frames left port 2"
	else
		bad "a burst, then silence: $got of 4000 frames left port 2 (the rest wait on the tx ring for a kick)"
	fi
	kill -INT $DUT
	wait $DUT
	grep '^\[afxdp-total\]' "$WORK/dut.log"
	;;
batch)
	setup 2
	printf 'mode policy\nforward redirect from %s to %s\n' "${PORT[0]}" "${PORT[1]}" >"$WORK/fwd.policy"
	start_dut -i "${PORT[0]}" -i "${PORT[1]}" --placement user --policy "$WORK/fwd.policy" --batch 8 || exit 1
	before=$(rx_packets 1)
	kill -STOP $DUT
	send 0 1000
	wait $SENDER
	kill -CONT $DUT
	sleep 1.5
	got=$(($(rx_packets 1) - before))
	kill -INT $DUT
	wait $DUT
	line=$(grep "^\[afxdp-socket\] ${PORT[1]} " "$WORK/dut.log")
	kicks=$(sed -n 's/.* tx_kicks=\([0-9]*\).*/\1/p' <<<"$line")
	tx=$(sed -n 's/.* tx=\([0-9]*\).*/\1/p' <<<"$line")
	echo "port 1: $line"
	[ "$got" -ge 1000 ] && ok "all $got of 1000 frames left port 1" || bad "$got of 1000 frames left port 1"
	if [ "${tx:-0}" -ge 1000 ] && [ "${kicks:-0}" -ge $((tx / 8)) ]; then
		ok "--batch 8: $tx frames sent in $kicks kicks (at most 8 frames a batch)"
	else
		bad "--batch 8: $tx frames sent in ${kicks:-?} kicks: batches were larger than 8 frames"
	fi
	;;
*)
	echo "usage: lifecycle.sh PATHLAB_AFXDP kill|startup|txtail|batch"; exit 2 ;;
esac

[ $fails = 0 ] && echo "PASS" || echo "FAILED: $fails"
[ $fails = 0 ]
