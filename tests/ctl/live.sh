#!/bin/bash
# SPDX-License-Identifier: MIT
# The live control plane, end to end: pathlab-policy --target reaches a
# running pathlab-afxdp (user and hybrid placement) and pathlab-dpdk through
# their control sockets while traffic flows, and nothing restarts.
#   live.sh PATHLAB_POLICY PATHLAB_AFXDP PATHLAB_DPDK   ("" = not built: skipped)
#
#   host A (GEN)   IF_A0 IP_A ── IF_A1 ┐
#                                      ├ DUT: the datapath on IF_A1 + IF_B1
#   host B (SINK)  IF_B0 IP_B ── IF_B1 ┘     (a pl-topo wire, tests/dpdk/lib.sh)
# Static ARP and no IPv6: only the datagrams the test sends reach the DUT, so
# every verdict counter must move by exactly what was sent. Per datapath:
#   1. started with a pass-all policy: 50 datagrams to UDP 9 are PASS
#   2. apply an ACL (drop UDP 9): 50 to UDP 9 are DROP, 20 to UDP 7 PASS
#   3. apply pass-all again: 30 to UDP 9 are PASS
#   4. mode drop-all: 40 to UDP 7 are DROP; `show` reports mode drop-all
#   5. while 600 datagrams flow, apply ACL / pass-all / mode drop-all / ACL:
#      rx moved by 600 and drop + pass by 600 (no frame lost or counted
#      twice), both verdicts seen
#   6. same PID throughout (show's pid= too); a bad policy is refused with
#      file:line and nothing changes; the socket is 0600 in a 0700 directory
#   7. SIGINT: exit 0, the socket removed
# Then: after kill -9 the socket stays, `show` says nothing runs there, and
# the next start removes it and serves again.
set -u
POLICY=$1 AFXDP=${2:-} DPDK=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
PREFIX=plt-l$$
RUN=/run/pathlab/ctl
DUT=
PL_TAG=cl

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, AF_XDP)"; exit 77; }
[ -n "$AFXDP$DPDK" ] || { echo "SKIP: neither pathlab-afxdp nor pathlab-dpdk is built"; exit 77; }
T=$(mktemp -d /tmp/plt-l.XXXXXX)
# the two-host wire of the DPDK tests (and the test library through it)
# shellcheck source=SCRIPTDIR/../dpdk/lib.sh
. "$HERE/../dpdk/lib.sh"
cleanup() {
	[ -n "$DUT" ] && kill -9 "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "$T" "/var/run/dpdk/$PREFIX" "$RUN/dpdk-$PREFIX.sock" "$RUN/afxdp-$IF_A1.sock"
}
pl_defer cleanup

pl_d_topo_up --neigh static

printf 'mode pass-all\n' >"$T/pass.policy"
printf 'mode policy\nacl drop proto udp dport 9\nacl default pass\n' >"$T/acl.policy"
printf 'mode policy\nacl drop proto udp dport 70000\n' >"$T/bad.policy"

send() { ip netns exec $NS_A $PY "$HERE/../metrics/peer.py" send $IP_B "$1" "$2"; }
pol() { timeout 15 "$POLICY" "$@"; }
# Counter NAME of the last `show -v` in $T/show.
cnt() { awk -v n="$1" '$1 == n { print $2 }' "$T/show"; }
snap() { pol show -v --target "$TARGET" >"$T/show" 2>&1 || { bad "$name: show failed: $(cat "$T/show")"; return 1; }
	D=$(cnt verdict_drop) P=$(cnt verdict_pass) R=$(cnt rx_packets); }
# expect WHAT DROP PASS RX: the deltas since the previous snap.
expect() {
	local d0=$D p0=$P r0=$R
	sleep 0.3
	snap || return
	if [ $((D - d0)) = "$2" ] && [ $((P - p0)) = "$3" ] && [ $((R - r0)) = "$4" ]; then
		ok "$name: $1: drop +$2 pass +$3 rx +$4"
	else
		bad "$name: $1: drop +$((D - d0)) pass +$((P - p0)) rx +$((R - r0)), want +$2 +$3 +$4"
	fi
}

cmdline() {
	case $1 in
	afxdp) echo "$AFXDP" -i $IF_A1 -i $IF_B1 --no-tap --zero-copy off --quiet --duration 120 --policy "$T/pass.policy" ;;
	afxdp-hybrid) echo "$(cmdline afxdp)" --placement hybrid ;;
	dpdk) echo "$DPDK" -l 0,1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=warning -- \
		--iface $IF_A1 --iface $IF_B1 --stats-interval 0 --duration 120 --policy "$T/pass.policy" ;;
	esac
}

start() { # name target
	# shellcheck disable=SC2046 # the command line is split into words on purpose
	"${PL_D_IN_DUT[@]}" $(cmdline "$1") >"$T/$1.log" 2>&1 &
	DUT=$!
	for _ in $(seq 200); do
		pol show --target "$2" >/dev/null 2>&1 && return 0
		kill -0 $DUT 2>/dev/null || break
		sleep 0.1
	done
	bad "$1: control socket of $2 not answering within 20 s"; tail -20 "$T/$1.log"
	return 1
}

run_path() { # name target
	name=$1 TARGET=$2
	echo "== $name ($TARGET)"
	start "$name" "$TARGET" || { kill -9 $DUT 2>/dev/null; wait $DUT 2>/dev/null; DUT=; return; }
	sleep 1
	snap || return
	send 9 50
	expect "pass-all" 0 50 50
	pol apply --target "$TARGET" "$T/acl.policy" >"$T/out" 2>&1 && ok "$name: apply ACL: $(head -1 "$T/out")" ||
		bad "$name: apply ACL: $(cat "$T/out")"
	send 9 50; send 7 20
	expect "ACL" 50 20 70
	pol apply --target "$TARGET" "$T/pass.policy" >"$T/out" 2>&1 && ok "$name: apply pass-all again" ||
		bad "$name: apply pass-all: $(cat "$T/out")"
	send 9 30
	expect "pass-all again" 0 30 30
	pol mode --target "$TARGET" drop-all >"$T/out" 2>&1 && ok "$name: mode drop-all" || bad "$name: mode: $(cat "$T/out")"
	send 7 40
	expect "drop-all" 40 0 40
	grep -q '^mode=drop-all ' "$T/show" && ok "$name: show reports mode drop-all" || bad "$name: show: $(grep '^mode=' "$T/show")"

	# Switching while traffic flows.
	pol apply --target "$TARGET" "$T/pass.policy" >/dev/null
	sleep 0.3; snap
	local d0=$D p0=$P r0=$R sender
	send 9 600 & sender=$!
	sleep 0.2; pol apply --target "$TARGET" "$T/acl.policy" >/dev/null || bad "$name: apply under traffic"
	sleep 0.2; pol apply --target "$TARGET" "$T/pass.policy" >/dev/null || bad "$name: apply under traffic"
	sleep 0.2; pol mode --target "$TARGET" drop-all >/dev/null || bad "$name: mode under traffic"
	sleep 0.2; pol apply --target "$TARGET" "$T/acl.policy" >/dev/null || bad "$name: apply under traffic"
	wait $sender
	sleep 0.3; snap
	if [ $((R - r0)) = 600 ] && [ $((D - d0 + P - p0)) = 600 ] && [ $((D - d0)) -gt 0 ] && [ $((P - p0)) -gt 0 ]; then
		ok "$name: 600 frames during four switches: rx +600 = drop +$((D - d0)) + pass +$((P - p0))"
	else
		bad "$name: during switches: rx +$((R - r0)), drop +$((D - d0)), pass +$((P - p0)) (want rx 600 = drop + pass, both > 0)"
	fi
	local vsum=0 v
	for v in drop pass tx redirect user aborted; do vsum=$((vsum + $(cnt verdict_$v))); done
	[ "$vsum" = "$R" ] && ok "$name: sum of verdicts = rx ($R)" || bad "$name: sum of verdicts $vsum != rx $R"

	# Same process; bad input changes nothing.
	kill -0 $DUT 2>/dev/null && grep -q "pid=$DUT " "$T/show" && ok "$name: same process throughout (pid $DUT)" ||
		bad "$name: process changed: $(head -1 "$T/show"), started as $DUT"
	pol apply --target "$TARGET" "$T/bad.policy" >"$T/out" 2>&1
	grep -qF "$T/bad.policy:2:" "$T/out" && ok "$name: bad policy refused with file:line" || bad "$name: bad policy: $(cat "$T/out")"
	pol mode --target "$TARGET" sideways >"$T/out" 2>&1; rc=$?
	[ $rc = 2 ] && grep -q "unknown mode" "$T/out" && ok "$name: unknown mode refused (rc 2)" || bad "$name: unknown mode: rc $rc $(cat "$T/out")"
	snap; grep -q '^mode=policy .*acl_default=pass' "$T/show" && grep -q 'acl rule 0 .*acl drop proto udp dport 9' "$T/show" &&
		ok "$name: the ACL policy still runs, rule shown with its text" || bad "$name: after bad input: $(grep -E '^(mode|acl)' "$T/show")"

	local sock=$RUN/${TARGET%%:*}-${TARGET#*:}.sock
	[ "$(stat -c %a "$sock" 2>/dev/null)" = 600 ] && [ "$(stat -c %a "$RUN")" = 700 ] &&
		ok "$name: socket 0600 in a 0700 directory" || bad "$name: modes: $(stat -c '%a %n' "$sock" "$RUN")"
	kill -INT $DUT; wait $DUT; rc=$?; DUT=
	[ $rc = 0 ] && ok "$name: SIGINT: exit 0" || { bad "$name: exit $rc"; tail -5 "$T/$name.log"; }
	[ ! -e "$sock" ] && ok "$name: socket removed at exit" || bad "$name: $sock left behind"
}

if [ -n "$AFXDP" ]; then
	run_path afxdp afxdp:$IF_A1
	run_path afxdp-hybrid afxdp:$IF_A1
else
	echo "SKIP: pathlab-afxdp not built"
fi
if [ -n "$DPDK" ]; then
	run_path dpdk dpdk:$PREFIX
else
	echo "SKIP: pathlab-dpdk not built"
fi

# kill -9 leaves a stale socket; nothing answers there; the next start cleans it.
if [ -n "$AFXDP" ]; then
	name=afxdp-kill
	start afxdp afxdp:$IF_A1 && {
		kill -9 $DUT; wait $DUT 2>/dev/null; DUT=
		[ -S "$RUN/afxdp-$IF_A1.sock" ] && ok "$name: socket left by kill -9" || bad "$name: no socket after kill -9?"
		out=$(pol show --target afxdp:$IF_A1 2>&1); rc=$?
		[ $rc = 1 ] && grep -q "killed: nothing runs under that name" <<<"$out" &&
			ok "$name: show says nothing runs there" || bad "$name: show of a stale socket: rc $rc $out"
		start afxdp afxdp:$IF_A1 && grep -q "removed stale control socket" "$T/afxdp.log" &&
			ok "$name: next start removed the stale socket and serves" || bad "$name: restart: $(tail -3 "$T/afxdp.log")"
		kill -INT $DUT 2>/dev/null; wait $DUT 2>/dev/null; DUT=
	}
fi
pl_done
