#!/bin/bash
# SPDX-License-Identifier: MIT
# testpmd.sh: dpdk-testpmd baselines on net_af_xdp, printed in pathlab's
# common stats line format so they sit beside pathlab-dpdk's rows.
#
#   bench/testpmd.sh [options] IF [IF]
#     --mode io|macswap|rxonly   forwarding mode (default io; repeatable with a comma list)
#     --duration SEC             seconds per mode (default 10)
#     --lcores MAIN,WORKER       cores: the same pinning as pathlab-dpdk -l MAIN,WORKER
#                                (main lcore prints, worker forwards; default 0,1)
#     --netns NS                 run testpmd inside network namespace NS
#     --huge                     use hugepages (default --no-huge, as pathlab-dpdk's benchmark)
#     --prefix P                 EAL --file-prefix (default plt-d-testpmd)
#     --raw                      also print testpmd's own output
# Output, one line per second per mode:
#   [testpmd-MODE] t=SECONDS rx=PPS drop=PPS pass=0 tx=PPS redirect=PPS user=0 aborted=0
# rx: frames received on all ports; io/macswap with two ports forward each
# port's frames out of the other one (testpmd's "paired" topology: the
# REDIRECT column), with one port out of the same one (the TX column);
# rxonly frees every frame (the DROP column). A final "[testpmd-MODE] mean"
# line averages the seconds after the first. Exit 0, 1 (testpmd failed), 2 (usage).
set -u
MODES=io DURATION=10 LCORES=0,1 NETNS="" HUGE=0 PREFIX=plt-d-testpmd RAW=0
IFS_=()
usage() { sed -n '4,23s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODES=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--lcores) LCORES=$2; shift ;;
	--netns) NETNS=$2; shift ;;
	--huge) HUGE=1 ;;
	--prefix) PREFIX=$2; shift ;;
	--raw) RAW=1 ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "testpmd.sh: unknown option $1 (--help)" >&2; exit 2 ;;
	*) IFS_+=("$1") ;;
	esac
	shift
done
[ ${#IFS_[@]} -ge 1 ] && [ ${#IFS_[@]} -le 2 ] || { echo "testpmd.sh: give one or two interfaces (--help)" >&2; exit 2; }
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -ge 2 ] || { echo "testpmd.sh: --duration: whole seconds, at least 2" >&2; exit 2; }
[[ $LCORES =~ ^[0-9]+,[0-9]+$ ]] || { echo "testpmd.sh: --lcores MAIN,WORKER" >&2; exit 2; }
command -v dpdk-testpmd >/dev/null || { echo "testpmd.sh: dpdk-testpmd not found (apt-get install dpdk)" >&2; exit 1; }
IN=()
[ -n "$NETNS" ] && IN=(ip netns exec "$NETNS" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf; exec "$@"' sh)
for i in "${IFS_[@]}"; do
	"${IN[@]}" ip link show dev "$i" >/dev/null 2>&1 || { echo "testpmd.sh: no interface $i${NETNS:+ in namespace $NETNS}" >&2; exit 2; }
done
MEM=(--no-huge -m 1024)
[ $HUGE = 1 ] && MEM=()
VDEV=()
for k in "${!IFS_[@]}"; do VDEV+=(--vdev "net_af_xdp$k,iface=${IFS_[$k]},start_queue=0,queue_count=1"); done
topo=paired col=redirect
[ ${#IFS_[@]} = 1 ] && topo=loop col=tx
T=$(mktemp -d /tmp/plt-d-testpmd.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T" "/var/run/dpdk/$PREFIX"; }
trap cleanup EXIT

rc=0
for mode in ${MODES//,/ }; do
	case $mode in io|macswap|rxonly) ;; *) echo "testpmd.sh: --mode $mode: io, macswap or rxonly" >&2; exit 2 ;; esac
	# --stats-period: testpmd prints every port's stats each second, non-interactively
	"${IN[@]}" dpdk-testpmd -l "$LCORES" --main-lcore "${LCORES%,*}" --no-pci "${MEM[@]}" \
		--file-prefix "$PREFIX" --log-level=error "${VDEV[@]}" -- \
		--nb-cores=1 --forward-mode="$mode" --port-topology=$topo --stats-period 1 \
		--txq=1 --rxq=1 --burst=32 >"$T/out" 2>&1 &
	PID=$!
	# DURATION seconds from the first stats print (EAL and port start-up on
	# net_af_xdp take a few seconds on a busy machine, not part of the run)
	for _ in $(seq 300); do
		grep -q 'Rx-pps' "$T/out" 2>/dev/null && break
		kill -0 $PID 2>/dev/null || break
		sleep 0.1
	done
	sleep "$DURATION"
	kill -INT $PID 2>/dev/null
	wait $PID
	trc=$?
	PID=
	[ $RAW = 1 ] && cat "$T/out"
	if ! grep -q 'Rx-pps' "$T/out"; then
		echo "testpmd.sh: dpdk-testpmd ($mode) printed no port stats (exit $trc):" >&2
		grep -v '^ *$' "$T/out" | tail -15 >&2
		rc=1
		continue
	fi
	awk -v mode="$mode" -v nports=${#IFS_[@]} -v col=$col '
		/NIC statistics for port/ { port = $(NF - 1) + 0 }
		/Rx-pps:/ { rx[port] = $2 }
		/Tx-pps:/ { tx[port] = $2; seen++
			if (seen % nports == 0) {
				t++; r = 0; x = 0
				for (p = 0; p < nports; p++) { r += rx[p]; x += tx[p] }
				drop = mode == "rxonly" ? r : 0; fw = mode == "rxonly" ? 0 : x
				printf "[testpmd-%s] t=%d rx=%d drop=%d pass=0 tx=%d redirect=%d user=0 aborted=0\n", \
					mode, t, r, drop, col == "tx" ? fw : 0, col == "redirect" ? fw : 0
				if (t > 1) { sr += r; sd += drop; sf += fw; n++ }
			}
		}
		END {
			if (n) printf "[testpmd-%s] mean rx=%d drop=%d pass=0 tx=%d redirect=%d user=0 aborted=0\n", \
				mode, sr / n, sd / n, col == "tx" ? sf / n : 0, col == "redirect" ? sf / n : 0
		}' "$T/out"
done
exit $rc
