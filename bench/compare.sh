#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# compare.sh: drive the same traffic through every pathlab path and print one
# results table (Markdown), with CSV, JSON (machine metadata, exact commands)
# and PNG charts in a results directory. The method: docs/benchmarking.md.
#
# It only orchestrates the lab's tools: topologies/pl-topo (veth topologies),
# bench/pl-gen and pl-sink (traffic, per-class counts, latency probes),
# bench/pl-ratesearch (zero-loss rate), bench/pl-cpu (CPU accounting),
# bench/testpmd.sh, and the datapaths (pathlab-xdp, pathlab-afxdp,
# pathlab-dpdk). Results are aggregated by bench/compare-report.
#
# Structure: one set of functions per path (path_NAME_check / _start /
# _stop / _counters) and one per workload (wl_NAME_*); measure_cell runs one
# (path, workload, size) cell.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$HERE")
BUILD=${PATHLAB_BUILD:-$SRC/build}
PLTOPO=$SRC/topologies/pl-topo
REPORT=$HERE/compare-report
export PATH=$SRC/topologies:$PATH # pl-gen -T asks pl-topo info
export PL_BPF_DIR=$BUILD/bench

ALL_PATHS="linux xdp-native xdp-generic xdp-offload afxdp-user afxdp-hybrid ovs-afxdp ovs-afxdp-xdp dpdk-afxdp dpdk-hybrid testpmd-io testpmd-macswap dpdk-pmd"
ALL_WORKLOADS="drop reflect fwd acl ratelimit lb responder"

# Option table: name|value|help. Drives parsing and --help.
OPTS=(
	"paths|LIST|comma list of paths (default: all): ${ALL_PATHS// /,}"
	"workloads|LIST|comma list of workloads (default: all): ${ALL_WORKLOADS// /,}"
	"sizes|LIST|frame sizes on the wire incl. FCS (default 64,1500)"
	"repeat|N|repeats of each full-load measurement; figures are medians with min-max (default 3)"
	"window|SEC|measurement window of one full-load run (default 1)"
	"warmup|SEC|full-speed warm-up at the start of every cell, not counted; then the DUT drains (default 0.5)"
	"size-workloads|LIST|workloads that run at every --sizes; the others run at the first size only (default fwd,reflect; 'all')"
	"search|SIZES|sizes that get an RFC 2544 zero-loss search, 'all' or 'none' (default 64)"
	"search-workloads|LIST|workloads that get the zero-loss search (default fwd; 'all')"
	"search-trials|N|trials of one zero-loss search between the cell's full-load rate and 1/64 of it, 0.5 s each, no retries (default 6)"
	"quick||under a minute: paths linux,xdp-native,afxdp-hybrid; workload fwd; size 64; 1 repeat of 1 s; no zero-loss search (options given explicitly win)"
	"cpus|GEN,DUT|generator CPU and DUT CPU (DUT processes, NAPI threads, sink) (default 0,1)"
	"dut-if|IF|real NIC as the DUT (pl-topo pair topology, root namespace); a PCI address bound to vfio-pci enables dpdk-pmd"
	"peer-if|IF|with --dut-if: the generator's port cabled to it (moved into the generator namespace)"
	"prefix|NAME|prefix of the namespaces and interfaces created, at most 7 characters like the default (plt-cNN, NN from the PID)"
	"out|DIR|results directory (default results/<timestamp>)"
	"against|DIR|compare this run with the results in DIR (with no measurement options: just print the difference of --out DIR and DIR)"
	"verbose||print every command run"
	"help||this text"
)

usage() {
	cat <<EOF
usage: bench/compare.sh [options]        (root; after ninja -C build)
Drives the same traffic (bench/pl-gen, live frames) through every path on a
pl-topo veth topology (gen -> DUT -> sink) and prints one table per run:
throughput at full load and at zero loss (RFC 2544), loss, latency
percentiles, CPU cycles per packet on the DUT CPU and a correctness check.
Files: results/<timestamp>/{results.md,results.csv,results.json,raw.jsonl,*.png,logs/}.
  bench/compare.sh --against DIR_A --out DIR_B   difference of two finished runs
Options:
EOF
	local o name val help
	for o in "${OPTS[@]}"; do
		IFS='|' read -r name val help <<<"$o"
		printf '  --%-18s %s\n' "$name${val:+ $val}" "$help"
	done
	cat <<EOF
Paths that cannot run here print n/a with the reason (e.g. XDP offload on veth).
Ctrl-C tears everything down (namespaces, XDP programs, processes by PID).
EOF
}

die() { echo "compare.sh: $*" >&2; exit 1; }
say() { printf '[compare %s] %s\n' "$(date +%T)" "$*" >&2; }

# Parse the command line into the globals above (the OPTS table is --help).
parse_args() {
	PATHS=$ALL_PATHS WORKLOADS=$ALL_WORKLOADS SIZES="64 1500" REPEAT=3 WINDOW=1 WARMUP=0.5
	SIZE_WL="fwd reflect" SEARCH_WL=fwd SEARCH=64 SEARCH_TRIALS=6 QUICK=0 CPUS=0,1 DUT_IF= PEER_IF= PREFIX= OUT= AGAINST= VERBOSE=0
	while [ $# -gt 0 ]; do
		opt=$1 val=
		case $opt in
		--*=*) val=${opt#*=} opt=${opt%%=*} ;;
		esac
		case $opt in
		--paths | --workloads | --sizes | --repeat | --window | --warmup | --search | --search-trials | \
			--size-workloads | --search-workloads | \
			--cpus | --dut-if | --peer-if | --prefix | --out | --against)
			if [ -z "$val" ]; then
				[ $# -ge 2 ] || die "$opt needs a value (--help)"
				val=$2
				shift
			fi ;;
		esac
		case $opt in
		--paths) PATHS=${val//,/ }; [ "$PATHS" = all ] && PATHS=$ALL_PATHS ;;
		--workloads) WORKLOADS=${val//,/ }; [ "$WORKLOADS" = all ] && WORKLOADS=$ALL_WORKLOADS ;;
		--sizes) SIZES=${val//,/ } ;;
		--repeat) REPEAT=$val ;;
		--window) WINDOW=$val ;;
		--warmup) WARMUP=$val ;;
		--search) SEARCH=${val//,/ } ;;
		--size-workloads) SIZE_WL=${val//,/ }; [ "$SIZE_WL" = all ] && SIZE_WL=$ALL_WORKLOADS ;;
		--search-workloads) SEARCH_WL=${val//,/ }; [ "$SEARCH_WL" = all ] && SEARCH_WL=$ALL_WORKLOADS ;;
		--search-trials) SEARCH_TRIALS=$val ;;
		--quick) QUICK=1 ;;
		--cpus) CPUS=$val ;;
		--dut-if) DUT_IF=$val ;;
		--peer-if) PEER_IF=$val ;;
		--prefix) PREFIX=$val ;;
		--out) OUT=$val ;;
		--against) AGAINST=$val ;;
		--verbose) VERBOSE=1 ;;
		-h | --help) usage; exit 0 ;;
		*) die "unknown option '$opt' (--help lists them)" ;;
		esac
		shift
	done

	# --against with only --out: print the difference of two finished runs.
	if [ -n "$AGAINST" ] && [ -n "$OUT" ] && [ -f "$OUT/raw.jsonl" ] && [ ${#ARGV[@]} -le 4 ]; then
		exec python3 -S "$REPORT" diff "$AGAINST" "$OUT"
	fi

	if [ $QUICK = 1 ]; then
		has() { local a; for a in "${ARGV[@]}"; do [ "$a" = "$1" ] || [ "${a%%=*}" = "$1" ] && return 0; done; return 1; }
		has --paths || PATHS="linux xdp-native afxdp-hybrid"
		has --workloads || WORKLOADS="fwd"
		has --search || SEARCH=none
		has --sizes || SIZES=64
		has --repeat || REPEAT=1
	fi
	[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat: a positive whole number"
	[[ $SEARCH_TRIALS =~ ^[0-9]+$ ]] || die "--search-trials: a whole number"
	[ -z "$PREFIX" ] || [[ $PREFIX =~ ^[a-z][a-z0-9-]{0,6}$ ]] || die "--prefix: 1-7 characters a-z, 0-9, '-' (got '$PREFIX')"
	[[ $CPUS =~ ^[0-9]+,[0-9]+$ ]] || die "--cpus GEN,DUT (e.g. 0,1)"
	GEN_CPU=${CPUS%,*} DUT_CPU=${CPUS#*,}
	[ "$GEN_CPU" -lt "$(nproc)" ] && [ "$DUT_CPU" -lt "$(nproc)" ] || die "--cpus $CPUS: this machine has $(nproc) CPUs"
	for p in $PATHS; do [[ " $ALL_PATHS " == *" $p "* ]] || die "unknown path '$p' (paths: $ALL_PATHS)"; done
	for w in $WORKLOADS; do [[ " $ALL_WORKLOADS " == *" $w "* ]] || die "unknown workload '$w' (workloads: $ALL_WORKLOADS)"; done
	for s in $SIZES; do [[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 64 ] && [ "$s" -le 1518 ] || die "--sizes: 64..1518 (got '$s')"; done
	[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, XDP, AF_XDP): run it with sudo"
	for t in "$BUILD/bench/pl-gen" "$BUILD/bench/pl-sink"; do
		[ -x "$t" ] || die "$t is not built: meson setup build && ninja -C build"
	done
	command -v python3 >/dev/null || die "python3 is needed (bench/compare-report, pl-ratesearch, pl-cpu)"

	OUT=${OUT:-$SRC/results/$(date +%Y%m%d-%H%M%S)}
	mkdir -p "$OUT/logs" || die "cannot create $OUT"
	OUT=$(cd "$OUT" && pwd)
	RAW=$OUT/raw.jsonl
	CMDLOG=$OUT/commands.txt
	: >"$RAW"
	: >"$CMDLOG"
	WORK=$(mktemp -d /tmp/plt-c.XXXXXX)
	# short: kthread names "napi/IF-ID" are cut at 15 chars
	PREFIX=${PREFIX:-plt-c$(($$ % 90 + 10))}
	LAB=
	DUT_PIDS=()
	AUX_PIDS=()
	XDP_ATTACHED=()
	TOPOS_UP=()

}

# --- running commands ----------------------------------------------------------

# Run CMD and append its wall-clock seconds to logs/timing.tsv as
# "path workload phase seconds" (where a run's time goes); returns CMD's status.
timed() {
	local ph=$1 t0=$EPOCHREALTIME t1 us rc
	shift
	"$@"
	rc=$?
	t1=$EPOCHREALTIME
	us=$((${t1/./} - ${t0/./}))
	printf '%s\t%s\t%s\t%d.%06d\n' "${PATH_NOW:--}" "${WL_NOW:--}" "$ph" $((us / 1000000)) $((us % 1000000)) >>"$OUT/logs/timing.tsv"
	return $rc
}

# Print the seconds per phase of logs/timing.tsv, largest first.
timing_summary() {
	[ -s "$OUT/logs/timing.tsv" ] || return 0
	awk -F'\t' '{ s[$3] += $4; n[$3]++; if ($3 !~ /\//) t += $4 } END { for (p in s) printf "%-12s %4d x %8.1f s\n", p, n[p], s[p]; printf "%-12s        %8.1f s\n", "total", t }' \
		"$OUT/logs/timing.tsv" | sort -k4 -rn
}

# Run a command, recording it in commands.txt (the exact commands of the run).
run() {
	printf "%s " "$(date +%T.%N | cut -c1-12)" >>"$CMDLOG"
	printf '%q ' "$@" >>"$CMDLOG"
	echo >>"$CMDLOG"
	[ $VERBOSE = 1 ] && echo "+ $*" >&2
	"$@"
}

# RC: the command prefix that runs in the namespace of ROLE (pl-topo exec, with
# the topology's bpffs), or nothing where the role is the root namespace (the
# DUT in real-NIC mode).
role_cmd() {
	local v=NS_${1^^}
	if [ -n "${!v:-}" ]; then RC=("$PLTOPO" exec "$LAB" "$1" --); else RC=(); fi
}

# Run CMD in the namespace of ROLE of the current topology (persistent bpffs).
in_ns() {
	local role=$1
	shift
	role_cmd "$role"
	run "${RC[@]}" "$@"
}

# Start CMD in the background in its own session (so the whole group can be
# stopped); its PID goes to DUT_PIDS. Output to LOG.
start_bg() {
	local log=$1
	shift
	echo "$* &" >>"$CMDLOG"
	setsid "$@" >"$log" 2>&1 &
	DUT_PIDS+=($!)
	echo $! >>"$WORK/pids"
}

# Stop every background process this script started (by PID / session).
stop_bg() {
	local p
	for p in "${DUT_PIDS[@]}"; do kill -INT -- "-$p" 2>/dev/null || kill -INT "$p" 2>/dev/null; done
	for p in "${DUT_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	DUT_PIDS=()
	: >"$WORK/pids" # stopped: never signalled again (PIDs get reused)
}

# Tear down everything: processes, XDP programs, topologies, DPDK run dirs.
cleanup() {
	local t p
	trap - INT TERM EXIT
	[ -n "${BODY:-}" ] && { kill -TERM "$BODY" 2>/dev/null; wait "$BODY" 2>/dev/null; }
	# DUT processes the measuring child started (by PID, and their sessions)
	if [ -f "$WORK/pids" ]; then
		DUT_PIDS=($(cat "$WORK/pids"))
		for p in $(cat "$WORK/pids.aux" 2>/dev/null); do kill -INT "$p" 2>/dev/null; done
	fi
	stop_bg
	wl_finish
	# OVS started by any path of this run (state in its run directory)
	[ -z "${LAB:-}" ] && [ -f "$WORK/lab" ] && LAB=$(cat "$WORK/lab") && eval "$("$PLTOPO" info "$LAB" 2>/dev/null)"
	[ -d "$WORK/ovs" ] && [ -n "${LAB:-}" ] && ovs_finish
	# pathlab-xdp's links are pinned: a real NIC keeps them after the topology
	if [ -s "$WORK/xdp" ] && [ -n "${LAB:-}" ]; then
		XDP_ATTACHED=($(cat "$WORK/xdp"))
		xdp_stop
	fi
	for t in "${TOPOS_UP[@]}"; do "$PLTOPO" down "$t" >/dev/null 2>&1; done
	"$PLTOPO" down --all-with-prefix "$PREFIX" >/dev/null 2>&1
	rm -rf "/var/run/dpdk/plt-c-dpdk$$" "/var/run/dpdk/plt-c-tpmd$$" "$WORK"
}

# Bring up topology KIND (line, lb or pair) for path $1 and make it current.
topo_up() {
	local kind=$1 extra=()
	LAB=${PREFIX//-/}$kind
	[ -n "$DUT_IF" ] && { kind=pair; extra=(--dut-if "$DUT_IF" ${PEER_IF:+--peer-if "$PEER_IF"} --dut-addr); }
	"$PLTOPO" down "$LAB" >/dev/null 2>&1
	run "$PLTOPO" up "$LAB" --topo "$kind" --prefix "$PREFIX" --threaded-napi --napi-cpu "$DUT_CPU" \
		"${extra[@]}" >"$WORK/topo.log" 2>&1 || { cat "$WORK/topo.log" >&2; return 1; }
	TOPOS_UP+=("$LAB")
	echo "$LAB" >"$WORK/lab"
	eval "$("$PLTOPO" info "$LAB")"
	# driver and firmware of the DUT's input interface, for the metadata
	in_ns dut ethtool -i "$DUT_IN_IF" >"$OUT/dut-driver.txt" 2>&1
	# The sink side always has an XDP program (pl-sink); the Linux path needs
	# a receive handler on its input veth: GRO (pl-topo leaves it on).
}

topo_down() {
	[ -n "$LAB" ] && "$PLTOPO" down "$LAB" >/dev/null 2>&1
	LAB=
}

# Pin the NAPI threads again (the kernel re-creates them at every XDP attach).
napi_pin() { "$PLTOPO" napi-pin "$LAB" "$DUT_CPU" >/dev/null 2>&1 || true; }

# --- workloads -----------------------------------------------------------------
# wl_W_topo: topology kind; wl_W_gen: extra pl-gen options; wl_W_sink: where
# frames must arrive (sink role, or gen for reflect, "none" for drop);
# wl_W_policy FILE: the pathlab policy. The expected counts live in
# compare-report (check_W), next to the metrics.

RL_PPS=5000 RL_BURST=500

wl_topo() { case $1 in lb) echo lb ;; *) echo line ;; esac; }
wl_gen() {
	case $1 in
	acl) echo "-p udp:3,tcp:1" ;;
	lb) echo "-p udp --dport 80 -f 256" ;;
	*) echo "" ;;
	esac
}
wl_sinks() {
	if [ -n "$DUT_IF" ]; then # pair topology: the generator's port is the only other end
		case $1 in reflect) echo gen ;; *) echo none ;; esac
		return
	fi
	case $1 in
	reflect) echo gen ;;
	lb) echo "$BES" ;;
	*) echo sink ;;
	esac
}

# Interface settings a workload needs. responder: the client's TCP stack must
# write real checksums (veth checksum offload leaves them partial, and the
# responder checks them), as tests/stages does.
wl_prepare() {
	case $1 in
	responder)
		in_ns gen ethtool -K "$GEN_IF" tx off rx off >/dev/null 2>&1
		in_ns dut ethtool -K "$DUT_IN_IF" tx off rx off >/dev/null 2>&1
		# an XDP_TX answer reaches the client's veth only if that end has
		# an XDP program: pl-sink passing (and counting) every frame
		rm -f "$WORK/ready.pass"
		echo "pl-topo exec $LAB gen -- pl-sink -i $GEN_IF --action pass --ready-file F &" >>"$CMDLOG"
		"$PLTOPO" exec "$LAB" gen -- "$BUILD/bench/pl-sink" -i "$GEN_IF" --action pass \
			--ready-file "$WORK/ready.pass" >"$OUT/logs/pass-sink.log" 2>&1 &
		AUX_PIDS+=($!)
		echo $! >>"$WORK/pids.aux"
		for _ in $(seq 100); do [ -e "$WORK/ready.pass" ] && break; sleep 0.05; done ;;
	esac
	return 0
}

# Stop what wl_prepare started.
wl_finish() {
	local p
	for p in "${AUX_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	AUX_PIDS=()
	: >"$WORK/pids.aux"
}

# Write the pathlab policy of workload $1 to $2.
wl_policy() {
	local w=$1 f=$2 i
	{
		echo "# compare.sh workload $w"
		case $w in
		drop) echo "default drop" ;;
		reflect) echo "forward reflect" ;;
		fwd) echo "forward redirect from $DUT_IN_IF to $DUT_OUT_IF dst-mac $SINK_MAC src-mac $DUT_OUT_MAC" ;;
		acl)
			echo "acl drop proto tcp"
			echo "acl default pass"
			echo "forward redirect from $DUT_IN_IF to $DUT_OUT_IF dst-mac $SINK_MAC src-mac $DUT_OUT_MAC" ;;
		ratelimit)
			echo "ratelimit pps $RL_PPS burst $RL_BURST prefix4 24"
			echo "forward redirect from $DUT_IN_IF to $DUT_OUT_IF dst-mac $SINK_MAC src-mac $DUT_OUT_MAC" ;;
		lb)
			echo "lb service web $VIP4 80 udp mode dsr size 251"
			for i in $(seq "$BACKENDS"); do
				local ifv=DUT_OUT${i}_IF mv=BE${i}_MAC ipv=BE${i}_IP4
				echo "lb backend web ${!ipv} mac ${!mv} via ${!ifv}"
			done ;;
		responder) echo "responder listen any-destination 8080" ;;
		esac
	} >"$f"
}

# --- paths ---------------------------------------------------------------------
# path_P_check W: print the reason when path P cannot run workload W (n/a).
# path_P_start W POLICY: start the DUT; path_P_stop; path_P_counters: print
# the DUT's verdict counters as key=value (rx drop pass tx redirect).

# A path is "built" when its binary exists.
xdp_bin=$BUILD/xdp/pathlab-xdp
afxdp_bin=$BUILD/afxdp_port/pathlab-afxdp
dpdk_bin=$BUILD/dpdk_app/pathlab-dpdk

# The DUT interfaces a workload uses (input first).
dut_ifs() {
	local i
	case $1 in
	lb) echo -n "$DUT_IN_IF"; for i in $(seq "$BACKENDS"); do local v=DUT_OUT${i}_IF; echo -n " ${!v}"; done; echo ;;
	*) echo "$DUT_IN_IF${DUT_OUT_IF:+ $DUT_OUT_IF}" ;; # pair (real NIC): one port
	esac
}

# Read pathlab's Prometheus endpoint in the DUT namespace as key=value.
metrics_counters() {
	in_ns dut curl -s --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null |
		awk '/^pathlab_packets_total/ { match($0, /verdict="[a-z]+"/); v = substr($0, RSTART + 9, RLENGTH - 10); s[v] += $NF }
		     /^pathlab_rx_packets_total/ { rx += $NF }
		     END { printf "rx=%d\n", rx; for (v in s) printf "%s=%d\n", v, s[v] }'
}

# Wait until the metrics endpoint on port $1 answers (DUT started), at most $2 s.
wait_metrics() {
	local i
	for i in $(seq $(($2 * 10))); do
		metrics_counters "$1" | grep -q '^rx=' && in_ns dut curl -sf --max-time 1 "http://127.0.0.1:$1/metrics" >/dev/null 2>&1 && return 0
		kill -0 "${DUT_PIDS[-1]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Linux stack: IPv4 forwarding in the DUT namespace, the policy as nftables.
path_linux_check() {
	case $1 in
	reflect) echo "the Linux stack routes; it has no MAC-swap reflect" ;;
	lb) echo "no kernel load balancer (IPVS) set up by this harness" ;;
	esac
	command -v nft >/dev/null || echo "nft not installed (apt-get install nftables)"
}
path_linux_start() {
	local w=$1 rule=
	case $w in
	drop) rule='counter drop comment "drop"' ;;
	acl) rule='meta l4proto tcp counter drop comment "drop"' ;;
	ratelimit) rule="meter plt_c_rl { ip saddr & 255.255.255.0 limit rate over $RL_PPS/second burst $RL_BURST packets } counter drop comment \"drop\"" ;;
	esac
	if [ "$w" = responder ]; then
		start_nginx || return 1
	fi
	# prerouting at raw priority: the earliest hook of the stack for every
	# workload; forwarding does the rest (FIB lookup, neighbour, TX)
	{
		echo "table inet plt_c {"
		echo " chain pre { type filter hook prerouting priority -300; policy accept;"
		echo "  counter comment \"rx\""
		[ -n "$rule" ] && echo "  $rule"
		echo " }"
		echo "}"
	} >"$WORK/linux.nft"
	in_ns dut nft -f "$WORK/linux.nft" || return 1
	napi_pin
}
path_linux_stop() {
	in_ns dut nft delete table inet plt_c 2>/dev/null
	stop_bg
}
path_linux_counters() {
	in_ns dut nft list table inet plt_c 2>/dev/null |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") p = $(i + 1)
			if (match($0, /comment "[a-z]+"/)) { n = substr($0, RSTART + 9, RLENGTH - 10); printf "%s=%d\n", n, p } }'
}

# nginx in the DUT namespace: the Linux stack's answer to the responder workload.
start_nginx() {
	command -v nginx >/dev/null || { echo "nginx not installed" >&2; return 1; }
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<N
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
	uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
	server { listen $DUT_IN_IP4:8080 backlog=4096;
		location / { default_type text/plain; return 200 "Hello from XDP!"; } }
}
N
	role_cmd dut
	start_bg "$OUT/logs/nginx.log" "${RC[@]}" taskset -c "$DUT_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
	sleep 0.5
}

# pathlab-xdp: attach (pinned link), counters from `status`, detach.
xdp_check() {
	[ -x "$xdp_bin" ] || { echo "pathlab-xdp not built (needs clang and libbpf)"; return; }
}
xdp_start() {
	local mode=$1 w=$2 pol=$3
	# already attached to the same interfaces: load the new policy (no reload)
	if [ "${XDP_ATTACHED[*]}" = "$(dut_ifs "$w")" ]; then
		in_ns dut "$xdp_bin" policy "$DUT_IN_IF" "$pol" >"$WORK/xdp.log" 2>&1 && return 0
		xdp_stop
	fi
	# shellcheck disable=SC2046
	in_ns dut "$xdp_bin" attach -m "$mode" -p "$pol" $(dut_ifs "$w") >"$WORK/xdp.log" 2>&1 || {
		grep -v '^pl-topo' "$WORK/xdp.log" | head -3 >"$WORK/reason"
		return 1
	}
	XDP_ATTACHED=($(dut_ifs "$w"))
	echo "${XDP_ATTACHED[*]}" >"$WORK/xdp"
	napi_pin
}
xdp_stop() {
	local i
	for i in "${XDP_ATTACHED[@]}"; do in_ns dut "$xdp_bin" detach "$i" >/dev/null 2>&1; done
	XDP_ATTACHED=()
	: >"$WORK/xdp"
}
xdp_counters() {
	in_ns dut "$xdp_bin" status "$DUT_IN_IF" 2>/dev/null |
		awk '$1 == "rx_packets" { print "rx=" $2 } $1 ~ /^verdict_/ { sub("verdict_", "", $1); print $1 "=" $2 }'
}
path_xdp-native_check() { xdp_check; }
path_xdp-native_start() { xdp_start native "$@"; }
path_xdp-native_stop() { :; } # detached at path_xdp-native_finish (next workloads reuse it)
path_xdp-native_finish() { xdp_stop; }
path_xdp-native_counters() { xdp_counters; }
path_xdp-generic_check() { xdp_check; }
path_xdp-generic_start() { xdp_start generic "$@"; }
path_xdp-generic_stop() { :; }
path_xdp-generic_finish() { xdp_stop; }
path_xdp-generic_counters() { xdp_counters; }
# Offload: tried for real on the DUT interface; the driver's refusal becomes
# the n/a reason (veth, like most NICs, cannot run XDP on the NIC itself).
path_xdp-offload_check() { xdp_check; }
path_xdp-offload_start() {
	# offload binds the program to one device: the input port only
	if in_ns dut "$xdp_bin" attach -m offload -p "$2" "$DUT_IN_IF" >"$WORK/xdp.log" 2>&1; then
		XDP_ATTACHED=("$DUT_IN_IF")
		echo "$DUT_IN_IF" >"$WORK/xdp"
		return 0
	fi
	local drv
	drv=$(in_ns dut ethtool -i "$DUT_IN_IF" 2>/dev/null | awk '/^driver/ { print $2 }')
	echo "driver ${drv:-?} refused: $(grep '^pathlab-xdp:' "$WORK/xdp.log" | tail -1 | sed 's/^pathlab-xdp: //' | cut -c1-160)" >"$WORK/na"
	return 1
}
path_xdp-offload_stop() { xdp_stop; }
path_xdp-offload_counters() { xdp_counters; }

# pathlab-afxdp: AF_XDP sockets on the DUT ports, worker pinned to the DUT CPU.
AFXDP_PORT=19631
afxdp_check() {
	[ -x "$afxdp_bin" ] || { echo "pathlab-afxdp not built (needs libxdp)"; return; }
}
afxdp_start() {
	local placement=$1 w=$2 pol=$3 i args=()
	for i in $(dut_ifs "$w"); do args+=(-i "$i"); done
	role_cmd dut
	start_bg "$OUT/logs/afxdp-$placement-$w.log" "${RC[@]}" "$afxdp_bin" "${args[@]}" \
		--placement "$placement" -p "$pol" --cpus "$DUT_CPU" --quiet --no-tap --metrics "127.0.0.1:$AFXDP_PORT"
	echo "pathlab-afxdp ${args[*]} --placement $placement -p $pol --cpus $DUT_CPU --quiet --no-tap --metrics 127.0.0.1:$AFXDP_PORT" >>"$CMDLOG"
	wait_metrics $AFXDP_PORT 15 || { tail -3 "$OUT/logs/afxdp-$placement-$w.log" >"$WORK/reason"; return 1; }
	napi_pin
}
path_afxdp-user_check() { afxdp_check "$@"; }
path_afxdp-user_start() { afxdp_start user "$@"; }
path_afxdp-user_stop() { stop_bg; }
path_afxdp-user_counters() { metrics_counters $AFXDP_PORT; }
path_afxdp-hybrid_check() { afxdp_check "$@"; }
path_afxdp-hybrid_start() { afxdp_start hybrid "$@"; }
path_afxdp-hybrid_stop() { stop_bg; }
path_afxdp-hybrid_counters() { metrics_counters $AFXDP_PORT; }

# Open vSwitch (userspace datapath, afxdp ports) through ovs/pl-ovs's bench
# interface (branch ovs): "openflow" = the policy translated to OpenFlow by
# pathlab-ofgen; "prefilter" = the pathlab XDP program in front of OVS's
# AF_XDP sockets drops what the policy drops, OVS (NORMAL) forwards the rest.
# OVS stays up across the workloads of a path (bench-setup switches policies).
PL_OVS=$SRC/ovs/pl-ovs
OVS_PID=
ovs_check() {
	[ -x "$PL_OVS" ] || { echo "Open vSwitch harness not merged (ovs/pl-ovs, branch ovs)"; return; }
	command -v ovs-vswitchd >/dev/null || { echo "ovs-vswitchd not installed (apt-get install openvswitch-switch)"; return; }
	[ -x "$BUILD/ovs/pathlab-ofgen" ] || { echo "pathlab-ofgen not built (ninja -C build)"; return; }
	case $1:$2 in
	*:lb | *:responder) echo "the policy's $2 stage has no OpenFlow translation and would bypass OVS in XDP" ;;
	openflow:ratelimit) echo "no OpenFlow translation of the per-source rate limit (pathlab-ofgen)" ;;
	prefilter:reflect) echo "a reflect in the pre-filter (XDP_TX) would bypass OVS" ;;
	esac
}
ovs_run() {
	in_ns dut "$PL_OVS" --rundir "$WORK/ovs" --build "$BUILD" --bridge "${PREFIX}br" \
		--pmd-cpu-mask "$(printf '0x%x' $((1 << DUT_CPU)))" "$@"
}
ovs_start() {
	local mode=$1 w=$2 pol=$3
	if [ "$mode" = prefilter ]; then
		# forwarding is OVS's job (NORMAL): the pre-filter keeps the rest
		grep -v '^forward' "$pol" >"$pol.prefilter"
		pol=$pol.prefilter
	fi
	ovs_run bench-setup --mode "$mode" --policy "$pol" --ports "$DUT_IN_IF,$DUT_OUT_IF" \
		>"$OUT/logs/ovs-$mode-$w.log" 2>&1 || {
		local why
		why=$(grep -i 'cannot\|not supported\|unsupported\|translat' "$OUT/logs/ovs-$mode-$w.log" | tail -1)
		if [ -n "$why" ]; then echo "${why#pl-ovs: }" | cut -c1-200 >"$WORK/na"; else tail -3 "$OUT/logs/ovs-$mode-$w.log" >"$WORK/reason"; fi
		return 1
	}
	OVS_PID=$(cat "$WORK/ovs/ovs-vswitchd.pid" 2>/dev/null)
	napi_pin
}
ovs_counters() {
	ovs_run bench-counters 2>/dev/null | awk -F= -v inport="ovs_${DUT_IN_IF}_rx_packets" '
		$1 == "mode" { mode = $2 } $1 == inport { rx = $2 } $1 == "dropped" { drop = $2 }
		END { printf "rx=%d\ndrop=%d\n", rx, drop }'
}
ovs_finish() { ovs_run bench-teardown >/dev/null 2>&1; OVS_PID=; }
path_ovs-afxdp_check() { ovs_check openflow "$@"; }
path_ovs-afxdp_start() { ovs_start openflow "$@"; }
path_ovs-afxdp_stop() { :; }
path_ovs-afxdp_finish() { ovs_finish; }
path_ovs-afxdp_counters() { ovs_counters; }
path_ovs-afxdp-xdp_check() { ovs_check prefilter "$@"; }
path_ovs-afxdp-xdp_start() { ovs_start prefilter "$@"; }
path_ovs-afxdp-xdp_stop() { :; }
path_ovs-afxdp-xdp_finish() { ovs_finish; }
path_ovs-afxdp-xdp_counters() { ovs_counters; }

# pathlab-dpdk on net_af_xdp (one port per DUT interface), worker lcore on
# the DUT CPU, main lcore on the generator CPU (it sleeps); no hugepages.
DPDK_PORT=19632
dpdk_check() {
	[ -x "$dpdk_bin" ] || { echo "pathlab-dpdk not built (needs DPDK)"; return; }
}
dpdk_start() {
	local hybrid=$1 w=$2 pol=$3 i args=()
	for i in $(dut_ifs "$w"); do args+=(--iface "$i"); done
	[ "$hybrid" = 1 ] && args+=(--hybrid)
	role_cmd dut
	start_bg "$OUT/logs/dpdk-$hybrid-$w.log" "${RC[@]}" "$dpdk_bin" \
		-l "$GEN_CPU,$DUT_CPU" --main-lcore "$GEN_CPU" --no-pci --no-huge -m 512 --file-prefix "plt-c-dpdk$$" \
		--log-level=error -- "${args[@]}" --policy "$pol" --stats-interval 0 --metrics "127.0.0.1:$DPDK_PORT"
	wait_metrics $DPDK_PORT 20 || { tail -3 "$OUT/logs/dpdk-$hybrid-$w.log" >"$WORK/reason"; return 1; }
	napi_pin
}
path_dpdk-afxdp_check() { dpdk_check "$@"; }
path_dpdk-afxdp_start() { dpdk_start 0 "$@"; }
path_dpdk-afxdp_stop() { stop_bg; rm -rf "/var/run/dpdk/plt-c-dpdk$$"; }
path_dpdk-afxdp_counters() { metrics_counters $DPDK_PORT; }
path_dpdk-hybrid_check() { dpdk_check "$@"; }
path_dpdk-hybrid_start() { dpdk_start 1 "$@"; }
path_dpdk-hybrid_stop() { stop_bg; rm -rf "/var/run/dpdk/plt-c-dpdk$$"; }
# hybrid: every frame meets the core in XDP first (pathlab-dpdk's own metrics
# count only the USER frames that reach DPDK): the XDP program's counters
path_dpdk-hybrid_counters() { xdp_counters; }

# pathlab-dpdk on a bypass PMD: only for a NIC bound to vfio-pci/uio (--dut-if PCI).
path_dpdk-pmd_check() {
	if [ -z "$DUT_IF" ]; then
		echo "no NIC bound to a DPDK driver: pass --dut-if PCI-ADDRESS of a port bound to vfio-pci"
		return
	fi
	[ -e "/sys/bus/pci/devices/$DUT_IF/driver" ] &&
		readlink "/sys/bus/pci/devices/$DUT_IF/driver" | grep -q 'vfio-pci\|uio' ||
		echo "--dut-if $DUT_IF is not a PCI device bound to vfio-pci or uio (dpdk-devbind.py --status)"
	echo "the bypass-PMD run needs a generator cabled to the NIC: not automated by this harness yet"
}

# dpdk-testpmd through bench/testpmd.sh (its own set-up): no policy, so only
# the forwarding workloads apply; io keeps MACs, macswap swaps them.
testpmd_check() {
	command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; return; }
	case $1 in
	fwd | reflect) ;;
	*) echo "testpmd forwards everything (no policy): only fwd and reflect apply" ;;
	esac
}
testpmd_start() {
	local mode=$1 w=$2 ifs
	ifs=$DUT_IN_IF
	[ "$w" = fwd ] && ifs="$DUT_IN_IF $DUT_OUT_IF"
	# shellcheck disable=SC2086
	start_bg "$OUT/logs/testpmd-$mode-$w.log" "$HERE/testpmd.sh" --mode "$mode" --duration 600 \
		--lcores "$GEN_CPU,$DUT_CPU" ${NS_DUT:+--netns "$NS_DUT"} --prefix "plt-c-tpmd$$" $ifs
	# testpmd.sh prints only at the end: wait for its XDP socket to appear
	local i
	for i in $(seq 50); do
		in_ns dut ip link show dev "$DUT_IN_IF" 2>/dev/null | grep -q 'xdp' && { sleep 0.5; napi_pin; return 0; }
		kill -0 "${DUT_PIDS[-1]}" 2>/dev/null || break
		sleep 0.2
	done
	tail -3 "$OUT/logs/testpmd-$mode-$w.log" >"$WORK/reason"
	return 1
}
path_testpmd-io_check() { testpmd_check "$@"; }
path_testpmd-io_start() { testpmd_start io "$@"; }
path_testpmd-io_stop() { stop_bg; rm -rf "/var/run/dpdk/plt-c-tpmd$$"; }
path_testpmd-io_counters() { :; }
path_testpmd-macswap_check() { testpmd_check "$@"; }
path_testpmd-macswap_start() { testpmd_start macswap "$@"; }
path_testpmd-macswap_stop() { stop_bg; rm -rf "/var/run/dpdk/plt-c-tpmd$$"; }
path_testpmd-macswap_counters() { :; }

# Extra applicability rules of the workloads (beyond each path's own).
wl_check() {
	local p=$1 w=$2
	if [ -n "$DUT_IF" ]; then
		case $w in fwd | acl | ratelimit | lb) echo "real-NIC mode has one DUT port (pair topology): port-to-port workloads need the veth line topology" ;; esac
	fi
	case $w in responder) command -v wrk >/dev/null || echo "wrk not installed" ;; esac
}

# --- measurements --------------------------------------------------------------

# Write the DUT's counters (key=value) to file $2 (path $1).
dut_counters() { "path_$1_counters" >"$2" 2>/dev/null || : >"$2"; }

# Start one pl-sink per sink role in $SINKS_NOW (pl-topo exec execs, so the
# PID is pl-sink's own); wait until all are attached (unless $2 is "nowait":
# then wait_sinks does, e.g. after reading the DUT's counters meanwhile).
start_sinks() {
	local tag=$1 r ifv
	SINK_PIDS=()
	for r in $SINKS_NOW; do
		[ "$r" = none ] && continue
		rm -f "$WORK/ready.$r"
		case $r in gen) ifv=$GEN_IF ;; sink) ifv=$SINK_IF ;; dut) ifv=$DUT_IN_IF ;; be*) local v=${r^^}_IF; ifv=${!v} ;; esac
		echo "pl-topo exec $LAB $r -- pl-sink -i $ifv -d 60 --ready-file F --json &" >>"$CMDLOG"
		role_cmd "$r"
		"${RC[@]}" "$BUILD/bench/pl-sink" -i "$ifv" -d 60 \
			--ready-file "$WORK/ready.$r" --json >"$WORK/sink.$tag.$r.json" 2>"$WORK/sink.$tag.$r.err" &
		SINK_PIDS+=($!)
	done
	[ "${2:-}" = nowait ] || wait_sinks
}
# Wait until the sinks start_sinks launched are attached (at most 5 s each).
wait_sinks() {
	local r
	for r in $SINKS_NOW; do
		[ "$r" = none ] && continue
		for _ in $(seq 250); do [ -e "$WORK/ready.$r" ] && break; sleep 0.02; done
	done
	napi_pin
}
# Stop the sinks (they print their JSON on SIGINT) once frames in flight
# landed: after $1 s (default 0.3; less where the caller already waited for
# the DUT to drain).
stop_sinks() {
	local p
	sleep "${1:-0.3}"
	for p in "${SINK_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${SINK_PIDS[@]}"; do wait "$p"; done
	SINK_PIDS=()
}

# PIDs whose CPU time is the DUT's: its processes (every process of their
# sessions) and the NAPI kthreads of the DUT's interfaces (comm "napi/IF-ID",
# cut at 15 characters).
dut_pids() {
	local p ifn pids=()
	for p in "${DUT_PIDS[@]}"; do pids+=($(pgrep -s "$p")); done
	[ -n "${OVS_PID:-}" ] && pids+=("$OVS_PID")
	for ifn in $DUT_IFS_NOW; do
		pids+=($(grep -l "^napi/${ifn}-" /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3))
	done
	local IFS=,
	echo "${pids[*]}"
}

# Wait until the DUT's rx counter stands still for $1 s (at most $2 s): the
# frames queued in a user-space DUT's rings are worked through. Returns 1 when
# the path has no counters (the caller then waits a fixed time).
dut_drain() {
	local step=$1 max=$2 a b i
	# OVS's interface statistics are not live (a frame counted seconds
	# later): no draining by them, a fixed wait as before
	case $PATH_NOW in ovs-*) return 1 ;; esac
	a=$("path_${PATH_NOW}_counters" 2>/dev/null | grep '^rx=')
	[ -n "$a" ] || return 1
	for i in $(seq "$(awk -v m="$max" -v s="$step" 'BEGIN { print int(m / s + 0.5) }')"); do
		sleep "$step"
		b=$("path_${PATH_NOW}_counters" 2>/dev/null | grep '^rx=')
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	return 0
}

# Warm-up: WARMUP s at full speed, not counted (once per cell, before the
# light-load run and the repeats: every path gets the same).
warm_up() {
	# the sinks run through the warm-up too, so that no frame of it waits in a
	# veth ring (one without an XDP program is not drained) for the next run
	timed sub/sinks-up start_sinks warmup
	# shellcheck disable=SC2086
	timed sub/gen in_ns gen "$BUILD/bench/pl-gen" -T "$LAB" -s "$1" -d "$WARMUP" --cpu "$GEN_CPU" --nice -10 $2 >/dev/null 2>&1
	# a user-space DUT may still work through thousands of queued frames
	# (AF_XDP rings): wait until its rx counter stands still for 0.1 s (at
	# most 2 s); then the sinks have had what left the DUT
	if timed sub/drain dut_drain 0.1 2; then
		timed sub/sinks-down stop_sinks 0.1
	else
		sleep 0.2
		timed sub/sinks-down stop_sinks 0.3
	fi
}

# Full-load run: WINDOW s at full speed with latency probes,
# under pl-cpu (DUT CPU busy time). Files: gen/sink/cpu JSON and counters.
full_load() {
	local tag=$1 size=$2 genargs=$3
	# the DUT's counters are read while the sinks attach (nothing flows yet)
	timed sub/sinks-up start_sinks "$tag" nowait
	timed sub/counters dut_counters "$PATH_NOW" "$WORK/c0.$tag"
	timed sub/sinks-up wait_sinks
	local pids
	pids=$(dut_pids)
	# shellcheck disable=SC2086
	timed sub/gen run python3 -S "$SRC/bench/pl-cpu" --cpus "$DUT_CPU" ${pids:+--pids "$pids"} --json -- "$PLTOPO" exec "$LAB" gen -- "$BUILD/bench/pl-gen" \
		-T "$LAB" -s "$size" -d "$WINDOW" --cpu "$GEN_CPU" --nice -10 --probe-every 1000 --json $genargs \
		>"$WORK/cpu.$tag.out" 2>"$WORK/gen.$tag.err"
	timed sub/counters dut_counters "$PATH_NOW" "$WORK/c1.$tag"
	# frames in flight: until the DUT's rx counter stands still for 0.1 s
	# (then a little for the last ones out), or 0.3 s for a path without counters
	if timed sub/drain dut_drain 0.1 1; then
		timed sub/sinks-down stop_sinks 0.05
	else
		timed sub/sinks-down stop_sinks 0.3
	fi
	grep '"tool": *"pl-gen"\|"tool":"pl-gen"' "$WORK/cpu.$tag.out" | tail -1 >"$WORK/gen.$tag.json"
	tail -1 "$WORK/cpu.$tag.out" >"$WORK/cpu.$tag.json"
}

# Light-load run for the correctness check and unloaded latency: exactly
# N frames at a low paced rate.
LIGHT_N=2000 LIGHT_RATE=20000
light_load() {
	local tag=$1 size=$2 genargs=$3
	timed sub/sinks-up start_sinks "$tag" nowait
	timed sub/counters dut_counters "$PATH_NOW" "$WORK/c0.$tag"
	timed sub/sinks-up wait_sinks
	# shellcheck disable=SC2086
	# -d bounds the run (pl-gen waits for it even after -n frames): five
	# times the nominal time plus 0.5 s, for a generator CPU shared with other
	# work (with 3 x + 0.05 s, a loaded machine's pl-gen sent only 1300-1900
	# of the 2000 frames: no verdict possible); it also gives a slow DUT
	# (OVS) time to finish the warm-up's frames
	timed sub/gen in_ns gen "$BUILD/bench/pl-gen" -T "$LAB" -s "$size" -n "$LIGHT_N" -r "$LIGHT_RATE" \
		-d "$(awk -v n=$LIGHT_N -v r=$LIGHT_RATE 'BEGIN { print 5 * n / r + 0.5 }')" --cpu "$GEN_CPU" --nice -10 \
		--probe-every 10 --json $genargs >"$WORK/gen.$tag.out" 2>"$WORK/gen.$tag.err"
	tail -1 "$WORK/gen.$tag.out" >"$WORK/gen.$tag.json"
	# paced: the N frames went out in the first N/RATE s of the run, the rest
	# of the -d bound is time in flight; a little more for a generator that
	# ran late
	sleep 0.1
	timed sub/counters dut_counters "$PATH_NOW" "$WORK/c1.$tag"
	timed sub/sinks-down stop_sinks 0.1
}

# Zero-loss search with pl-ratesearch: the sink is pl-sink where frames must
# arrive; for drop, the DUT's own rx counter (compare.sh __counter-sink).
zero_loss() {
	local tag=$1 size=$2 genargs=$3 sinkcmd r
	zl_wanted "$WL_NOW" "$size" || return 0
	# bisection between the full-load rate and 1/64 of it: a few trials then
	# land within a few percent (the rate at 0.1 % loss is often far below)
	local zmax=${ZL_MAX:-0} zmin
	[[ $zmax =~ ^[0-9]+$ ]] && [ "$zmax" -ge 20000 ] || zmax=3000000
	zmin=$((zmax / 64))
	[ "$zmin" -ge 1000 ] || zmin=1000
	r=${SINKS_NOW%% *}
	if [ "$WL_NOW" != fwd ] && [ "$WL_NOW" != reflect ]; then
		# not every frame leaves the DUT: count what the DUT received
		declare -f "path_${PATH_NOW}_counters" >/dev/null || return 0
		[ -n "$("path_${PATH_NOW}_counters" 2>/dev/null)" ] || return 0
		sinkcmd="$HERE/compare.sh __counter-sink $WORK/env {duration} {ready}"
		declare -p LAB PATH_NOW PLTOPO AFXDP_PORT DPDK_PORT DUT_IN_IF DUT_OUT_IF BUILD WORK PREFIX DUT_CPU >"$WORK/env"
	else
		local ifv
		case $r in gen) ifv=$GEN_IF ;; sink) ifv=$SINK_IF ;; esac
		sinkcmd="$PLTOPO exec $LAB $r -- $BUILD/bench/pl-sink -i $ifv --idle 0.3 -d {timeout} --ready-file {ready} --json"
	fi
	run timeout 120 python3 -S "$SRC/bench/pl-ratesearch" --gen "$PLTOPO exec $LAB gen -- $BUILD/bench/pl-gen -T $LAB -s $size -r {rate} -d {duration} --cpu $GEN_CPU --nice -10 --json $genargs" \
		--sink "$sinkcmd" --min "$zmin" --max "$zmax" --trial-seconds 0.5 --max-trials "$SEARCH_TRIALS" --retries 0 --precision 10 \
		--json >"$OUT/logs/zl.$tag.out" 2>"$OUT/logs/zl.$tag.err"
	tail -1 "$OUT/logs/zl.$tag.out" >"$WORK/zl.$tag.json"
}

# Responder workload: wrk from the generator namespace to the DUT's port 8080.
responder_run() {
	local tag=$1
	in_ns gen curl -s --max-time 2 "http://$DUT_IN_IP4:8080/" >"$WORK/curl.$tag" 2>&1
	local c0=$WORK/c0.$tag c1=$WORK/c1.$tag
	dut_counters "$PATH_NOW" "$c0"
	local pids
	pids=$(dut_pids)
	run python3 -S "$SRC/bench/pl-cpu" --cpus "$DUT_CPU" ${pids:+--pids "$pids"} --packets 1 --json -- "$PLTOPO" exec "$LAB" gen -- \
		taskset -c "$GEN_CPU" timeout $((${WINDOW%.*} + 15)) wrk -t1 -c20 -d"${WINDOW%.*}s" --timeout 2s --latency \
		-H 'Connection: close' "http://$DUT_IN_IP4:8080/" >"$WORK/wrk.$tag" 2>&1
	dut_counters "$PATH_NOW" "$c1"
	tail -1 "$WORK/wrk.$tag" >"$WORK/cpu.$tag.json"
}

# The Python helpers (compare-report, pl-cpu, pl-ratesearch) use only the
# standard library: they run with python3 -S (no site initialisation, which
# costs some tens of ms per start-up on this machine, several per cell).

# Append one record (a measurement or an n/a) to raw.jsonl.
record() { python3 -S "$REPORT" record "$RAW" "$@"; }
# Queue a record (written by flush_records: one python start-up per workload).
record_later() {
	printf '%q ' record "$RAW" "$@" >>"$WORK/batch"
	echo >>"$WORK/batch"
}
# Write the queued records, then print the summary line of path $1 workload $2.
flush_records() {
	printf '%q ' line "$RAW" "$1" "$2" >>"$WORK/batch"
	echo >>"$WORK/batch"
	python3 -S "$REPORT" batch "$WORK/batch" >&2
	rm -f "$WORK/batch"
}

# Whether the cell (workload $1, size $2) gets a zero-loss search.
zl_wanted() {
	[ "$SEARCH_TRIALS" -gt 0 ] || return 1
	case " $SEARCH " in *" all "* | *" $2 "*) ;; *) return 1 ;; esac
	case " $SEARCH_WL " in *" $1 "*) ;; *) return 1 ;; esac
}

# One cell: path P, workload W, size S (the DUT is running).
measure_cell() {
	local p=$1 w=$2 s=$3 rep tag genargs
	genargs=$(wl_gen "$w")
	if [ "$w" = responder ]; then
		for rep in $(seq "$REPEAT"); do
			tag=$p.$w.$rep
			timed wrk responder_run "$tag"
			record_later --path "$p" --workload "$w" --size 0 --rep "$rep" --wrk "$WORK/wrk.$tag" \
				--curl "$WORK/curl.$tag" --cpu "$WORK/cpu.$tag.json" --c0 "$WORK/c0.$tag" --c1 "$WORK/c1.$tag"
		done
		return
	fi
	tag=$p.$w.$s.light
	timed warmup warm_up "$s" "$genargs"
	timed light light_load "$tag" "$s" "$genargs"
	# a light-load run can lose frames to a neighbour's burst on this shared
	# machine: one more try before the cell is marked LOSS or WRONG
	if ! timed check python3 -S "$REPORT" check "$RAW" --workload "$w" --sinks "$SINKS_NOW" --light-gen "$WORK/gen.$tag.json" \
		--light-sink-prefix "$WORK/sink.$tag." --light-c0 "$WORK/c0.$tag" --light-c1 "$WORK/c1.$tag" \
		--rl-pps $RL_PPS --rl-burst $RL_BURST >"$WORK/check.$tag" 2>&1; then
		say "$p / $w / $s B: light-load check: $(cat "$WORK/check.$tag"); once more"
		timed light light_load "$tag" "$s" "$genargs"
	fi
	local lt=$tag
	for rep in $(seq "$REPEAT"); do
		tag=$p.$w.$s.$rep
		timed full full_load "$tag" "$s" "$genargs"
		local zl=
		if [ "$rep" = 1 ] && zl_wanted "$w" "$s"; then
			# the search's upper bound: this cell's full-load rate
			ZL_MAX=$(python3 -S "$REPORT" record "$RAW" --dry --path "$p" --workload "$w" --size "$s" \
				--sinks "$SINKS_NOW" --gen "$WORK/gen.$tag.json" --sink-prefix "$WORK/sink.$tag." \
				--c0 "$WORK/c0.$tag" --c1 "$WORK/c1.$tag" 2>/dev/null)
			timed zeroloss zero_loss "$tag" "$s" "$genargs"
			[ -s "$WORK/zl.$tag.json" ] && zl="--zl $WORK/zl.$tag.json"
		fi
		# shellcheck disable=SC2086
		record_later --path "$p" --workload "$w" --size "$s" --rep "$rep" --sinks "$SINKS_NOW" \
			--gen "$WORK/gen.$tag.json" --sink-prefix "$WORK/sink.$tag." --cpu "$WORK/cpu.$tag.json" \
			--c0 "$WORK/c0.$tag" --c1 "$WORK/c1.$tag" \
			--light-gen "$WORK/gen.$lt.json" --light-sink-prefix "$WORK/sink.$lt." \
			--light-c0 "$WORK/c0.$lt" --light-c1 "$WORK/c1.$lt" \
			--rl-pps $RL_PPS --rl-burst $RL_BURST $zl
	done
}

# The generator's ceiling: pl-gen into pl-sink on the DUT's input veth, no
# DUT at all, same CPUs (the sink counts on the DUT CPU).
measure_ceiling() {
	local s rep tag
	timed topo-up topo_up line || die "cannot create the topology (see above)"
	PATH_NOW=none WL_NOW=ceiling SINKS_NOW=dut DUT_IFS_NOW=$DUT_IN_IF
	for s in $SIZES; do
		say "generator ceiling, $s B"
		timed warmup warm_up "$s" ""
		for rep in $(seq "$REPEAT"); do
			tag=ceiling.$s.$rep
			timed full full_load "$tag" "$s" ""
			timed record record --path ceiling --workload fwd --size "$s" --rep "$rep" --sinks dut \
				--gen "$WORK/gen.$tag.json" --sink-prefix "$WORK/sink.$tag." --cpu "$WORK/cpu.$tag.json"
		done
	done
	timed topo-down topo_down
}

# End of a path's use of a topology (e.g. detach what several workloads shared).
path_finish() {
	declare -f "path_$1_finish" >/dev/null && "path_$1_finish" >/dev/null 2>&1
	return 0
}

# One path over every workload.
run_path() {
	local p=$1 w reason s kind cur=
	for w in $WORKLOADS; do
		reason=$(wl_check "$p" "$w")
		[ -z "$reason" ] && declare -f "path_${p}_check" >/dev/null && reason=$("path_${p}_check" "$w" 2>&1 | head -1)
		[ -z "$reason" ] && ! declare -f "path_${p}_start" >/dev/null && reason="not automated"
		if [ -n "$reason" ]; then
			say "$p / $w: n/a ($reason)"
			record --path "$p" --workload "$w" --na "$reason"
			continue
		fi
		kind=$(wl_topo "$w")
		if [ "$kind" != "$cur" ]; then
			timed finish path_finish "$p"
			timed topo-down topo_down
			timed topo-up topo_up "$kind" || { record --path "$p" --workload "$w" --fail "topology $kind failed"; continue; }
			cur=$kind
			BES=
			[ "$kind" = lb ] && BES=$(for i in $(seq "$BACKENDS"); do echo -n "be$i "; done)
		fi
		PATH_NOW=$p WL_NOW=$w SINKS_NOW=$(wl_sinks "$w") DUT_IFS_NOW=$(dut_ifs "$w")
		wl_policy "$w" "$OUT/logs/$w.$kind.policy"
		timed prepare wl_prepare "$w"
		rm -f "$WORK/reason" "$WORK/na"
		say "$p / $w: starting the DUT"
		if ! timed dut-start "path_${p}_start" "$w" "$OUT/logs/$w.$kind.policy" 2>>"$OUT/logs/$p.err"; then
			if [ -s "$WORK/na" ]; then
				reason=$(head -1 "$WORK/na")
				say "$p / $w: n/a ($reason)"
				record --path "$p" --workload "$w" --na "$reason"
				"path_${p}_stop" >/dev/null 2>&1
				wl_finish
				continue
			fi
			reason=$(cat "$WORK/reason" 2>/dev/null | tr '\n' ' ' | cut -c1-200)
			say "$p / $w: FAILED to start: ${reason:-see $OUT/logs/$p.err}"
			record --path "$p" --workload "$w" --fail "start failed: ${reason:-see logs/$p.err}"
			"path_${p}_stop" >/dev/null 2>&1
			wl_finish
			continue
		fi
		if [ "$w" = responder ]; then
			say "$p / $w: wrk ${WINDOW}s x $REPEAT"
			measure_cell "$p" "$w" 0
		else
			for s in $SIZES; do
				[ "$s" != "${SIZES%% *}" ] && [[ " $SIZE_WL " != *" $w "* ]] && continue
				say "$p / $w / $s B: light load, ${REPEAT} x ${WINDOW}s full load, zero-loss search"
				measure_cell "$p" "$w" "$s"
			done
		fi
		timed dut-stop "path_${p}_stop" >/dev/null 2>&1
		timed finish wl_finish
		timed record flush_records "$p" "$w"
	done
	timed finish path_finish "$p"
	timed topo-down topo_down
}

# Internal (pl-ratesearch --sink): report the DUT's rx counter delta over
# one trial as pl-sink would: __counter-sink ENVFILE DURATION READYFILE.
counter_sink() {
	local env=$1 dur=$2 ready=$3 a b
	# shellcheck disable=SC1090
	. "$env"
	CMDLOG=/dev/null VERBOSE=0
	a=$("path_${PATH_NOW}_counters" | awk -F= '$1 == "rx" { print $2 }')
	touch "$ready"
	sleep "$(awk -v d="$dur" 'BEGIN { print d + 0.7 }')"
	b=$("path_${PATH_NOW}_counters" | awk -F= '$1 == "rx" { print $2 }')
	echo "{\"tool\": \"compare.sh counter-sink\", \"packets\": $((${b:-0} - ${a:-0}))}"
}

main() {
	parse_args "$@"
	trap cleanup EXIT
	trap 'say "interrupted: tearing down"; exit 130' INT TERM
	say "results in $OUT (prefix $PREFIX, generator CPU $GEN_CPU, DUT CPU $DUT_CPU)"
	say "paths: $PATHS; workloads: $WORKLOADS; sizes: $SIZES; $REPEAT x ${WINDOW}s, warm-up ${WARMUP}s"
	local t0=$SECONDS p
	python3 -S "$REPORT" meta "$OUT/meta.json" --build "$BUILD" --argv "${ARGV[*]}" --paths "$PATHS" \
		--workloads "$WORKLOADS" --sizes "$SIZES" --repeat "$REPEAT" --window "$WINDOW" --warmup "$WARMUP" \
		--cpus "$CPUS" --dut-if "${DUT_IF:-}" --prefix "$PREFIX" --loadavg-start "$(cut -d' ' -f1-3 /proc/loadavg)"
	# The measurements run in a child: the tools handle SIGINT themselves and
	# exit normally, and bash then ignores a Ctrl-C while it waits for them;
	# waiting for a background child, the trap runs at once. The child ignores
	# SIGINT (asynchronous command); cleanup works from state (PID file,
	# topology prefix, OVS run directory), so it can run here.
	(
		trap - EXIT
		trap 'exit 143' TERM
		measure_ceiling
		for p in $PATHS; do run_path "$p"; done
	) &
	BODY=$!
	wait $BODY || { say "the measurements failed (exit $?)"; }
	BODY=
	python3 -S "$REPORT" meta "$OUT/meta.json" --update --elapsed $((SECONDS - t0)) \
		--loadavg-end "$(cut -d' ' -f1-3 /proc/loadavg)" --driver "$(tr '\n' ';' 2>/dev/null <"$OUT/dut-driver.txt")"
	python3 -S "$REPORT" report "$OUT" ${AGAINST:+--against "$AGAINST"}
	timing_summary >"$OUT/logs/timing-summary.txt"
	say "seconds per phase (logs/timing.tsv): $(awk '$1 !~ /\// { printf "%s %s; ", $1, $(NF - 1) }' "$OUT/logs/timing-summary.txt")"
	say "done in $((SECONDS - t0)) s: $OUT"
}
if [ "${1:-}" = __counter-sink ]; then
	shift
	counter_sink "$@"; exit $?
fi
ARGV=("$@")
main "$@"; exit $? # on one line: bash has read it all before an edit of this file could matter
