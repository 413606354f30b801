#!/bin/bash
# SPDX-License-Identifier: MIT
# dpdk-bench.sh: pathlab-dpdk against dpdk-testpmd on the same net_af_xdp
# ports of one line topology (gen -> DUT -> sink), in one run:
#   testpmd-io, testpmd-macswap      the baselines (bench/testpmd.sh's setup)
#   pathlab-fwd                      pathlab-dpdk, forward-only policy (d0 -> d1)
#   pathlab-full                     pathlab-dpdk, examples/full.policy with its
#                                    forward lines pointed at d0 -> d1
# Each configuration runs ROUNDS times (interleaved) for SEC seconds of
# 64-byte UDP at full generator speed (bench/pl-gen, 256 flows); the rate is
# what the sink (bench/pl-sink, XDP drop) received. Prints medians (min-max),
# the ratio to testpmd-io and macswap, and pathlab-dpdk's own per-frame
# costs (TSC around the core over each received burst, and around the whole
# burst's processing); the core's difference between full and fwd is the
# policy's cost.
#   bench/dpdk-bench.sh [--rounds N] [--seconds S] BUILD_DIR
# Placement: generator pinned to CPU 0 (the veth receive / AF_XDP copy into
# the DUT runs there too), DUT worker lcore on CPU 1, DUT main lcore on CPU 0
# (sleeps), sink wherever its veth NAPI runs. --no-huge for both DUTs.
set -u
ROUNDS=3 SEC=5
usage() { sed -n '3,/^set -u/p' "$0" | sed '/^set -u/d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--rounds|--seconds)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "dpdk-bench.sh: $1 needs a positive whole number" >&2; exit 2; }
		[ "$1" = --rounds ] && ROUNDS=$2 || SEC=$2
		shift 2 ;;
	-*) echo "dpdk-bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# = 1 ] || { echo "usage: dpdk-bench.sh [--rounds N] [--seconds S] BUILD_DIR (try --help)" >&2; exit 2; }
[ -x "$1/dpdk_app/pathlab-dpdk" ] && [ -x "$1/bench/pl-gen" ] ||
	{ echo "dpdk-bench.sh: $1 is not a meson build directory with pathlab-dpdk and pl-gen built (meson setup $1 && ninja -C $1)" >&2; exit 2; }
B=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "dpdk-bench.sh: needs root" >&2; exit 2; }
LAB=pltdb # (pl-topo info sets TOPO)
PLTOPO=$SRC/topologies/pl-topo
export PATH=$SRC/topologies:$PATH # pl-gen -T asks pl-topo
T=$(mktemp -d /tmp/plt-d-bench.XXXXXX)
DUT=
cleanup() {
	[ -n "$DUT" ] && kill -INT "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	"$PLTOPO" down $LAB >/dev/null 2>&1
	rm -rf "$T" /var/run/dpdk/plt-d-bench
}
trap cleanup EXIT
"$PLTOPO" up $LAB --topo line --prefix plt-dB- --offloads off >/dev/null || exit 1
eval "$("$PLTOPO" info $LAB)"
INDUT=(ip netns exec "$NS_DUT" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf; exec "$@"' sh)
EAL=(-l 0,1 --main-lcore 0 --no-pci --no-huge -m 1024 --log-level=error
     --vdev "net_af_xdp0,iface=$DUT_IN_IF,start_queue=0,queue_count=1"
     --vdev "net_af_xdp1,iface=$DUT_OUT_IF,start_queue=0,queue_count=1")
printf 'mode policy\nforward redirect from %s to %s\n' "$DUT_IN_IF" "$DUT_OUT_IF" > "$T/fwd.policy"
{ grep -v '^forward' "$SRC/examples/full.policy"; echo "forward redirect from $DUT_IN_IF to $DUT_OUT_IF"; } > "$T/full.policy"

# start_dut NAME: start the DUT in the background, wait until its ports are up
start_dut() {
	case $1 in
	testpmd-*)
		"${INDUT[@]}" dpdk-testpmd "${EAL[@]}" --file-prefix plt-d-bench -- --nb-cores=1 \
			--forward-mode=${1#testpmd-} --port-topology=paired --stats-period 1 \
			--eth-peer=1,$SINK_MAC >"$T/dut.log" 2>&1 &
		DUT=$!
		ready='Rx-pps' ;;
	pathlab-*)
		"${INDUT[@]}" "$B/dpdk_app/pathlab-dpdk" "${EAL[@]}" --file-prefix plt-d-bench -- \
			--policy "$T/${1#pathlab-}.policy" --stats-interval 1 >"$T/dut.log" 2>&1 &
		DUT=$!
		ready='t=' ;;
	esac
	for _ in $(seq 150); do grep -q "$ready" "$T/dut.log" && return 0; sleep 0.1; done
	echo "dpdk-bench.sh: $1 did not start:" >&2; tail "$T/dut.log" >&2; return 1
}

CONFIGS="testpmd-io testpmd-macswap pathlab-fwd pathlab-full"
for r in $(seq "$ROUNDS"); do
	for c in $CONFIGS; do
		start_dut $c || exit 1
		ip netns exec "$NS_SINK" "$B/bench/pl-sink" -i "$SINK_IF" -d $((SEC + 4)) --idle 2 --json \
			> "$T/sink.json" 2>"$T/sink.err" &
		SPID=$!
		sleep 1
		ip netns exec "$NS_GEN" "$B/bench/pl-gen" -T $LAB -d "$SEC" --cpu 0 --json \
			> "$T/gen.json" 2>"$T/gen.err"
		wait $SPID
		kill -INT $DUT; wait $DUT; DUT=
		if ! tail -1 "$T/gen.json" | grep -q '"pps"' || ! tail -1 "$T/sink.json" | grep -q '"pps"'; then
			echo "dpdk-bench.sh: $c: the generator or the sink failed:" >&2
			cat "$T/gen.err" "$T/sink.err" >&2
			exit 1
		fi
		sent=$(tail -1 "$T/gen.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pps"])')
		got=$(tail -1 "$T/sink.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pps"])')
		ns=$(awk '/process ns\/packet=/ { sub("ns/packet=", "", $3); print $3 }' "$T/dut.log")
		cns=$(awk '/core ns\/packet=/ { sub("ns/packet=", "", $5); print $5 }' "$T/dut.log")
		echo "$c $got $sent ${ns:--} ${cns:--}" >> "$T/results"
		printf '  round %d %-16s offered %10.0f pps  received %10.0f pps  %s\n' "$r" "$c" "$sent" "$got" \
			"${ns:+pathlab-dpdk ns/frame: burst processing ${ns}, core ${cns}}"
	done
done
echo
python3 - "$T/results" <<'PY'
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    c, got, sent, ns, cns = line.split()
    rows.setdefault(c, []).append((float(got), float(sent), None if ns == "-" else float(ns),
                                   None if cns == "-" else float(cns)))
med = {c: st.median(x[0] for x in v) for c, v in rows.items()}
print("%-16s %12s %21s %12s %14s %14s" % ("DUT", "median pps", "(min-max)", "offered", "vs io", "vs macswap"))
for c, v in rows.items():
    g = [x[0] for x in v]
    print("%-16s %12.0f %10.0f-%-10.0f %12.0f %13.1f%% %13.1f%%" % (c, med[c], min(g), max(g),
          st.median(x[1] for x in v), 100 * med[c] / med["testpmd-io"], 100 * med[c] / med["testpmd-macswap"]))
# paired: the same round's ratio (rounds are interleaved, so a noisy spell
# hits both sides of a pair)
for c in ("pathlab-fwd", "pathlab-full"):
    for b in ("testpmd-io", "testpmd-macswap"):
        r = [100 * x[0] / y[0] for x, y in zip(rows[c], rows[b]) if y[0]]
        if r:
            print("%s / %s per round: %s -> median %.1f%%" % (c, b, " ".join("%.1f%%" % v for v in r), st.median(r)))
for k, what in ((3, "core (pl_core_process)"), (2, "burst processing (core + verdicts + TX buffering/kicks)")):
    f = [x[k] for x in rows["pathlab-fwd"] if x[k]]; u = [x[k] for x in rows["pathlab-full"] if x[k]]
    if f and u:
        print("pathlab-dpdk %s ns/frame, median: forward-only %.1f, full policy %.1f -> policy cost %.1f ns/packet"
              % (what, st.median(f), st.median(u), st.median(u) - st.median(f)))
PY
