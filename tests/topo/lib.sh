# shellcheck shell=bash
# Shared by the topologies/bench system tests: paths, skip rules, cleanup,
# on top of the shell test library (tests/lib/lib.sh: ok, fail, skip,
# teardown on EXIT/INT/TERM).
# shellcheck disable=SC2034 # the paths are for the tests that source this file
# Each test sets PREFIX (unique per test) before sourcing this file.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
# Runs of these tests from several worktrees may overlap on one machine:
# every name (prefix, topology) carries a per-run id.
RUN_ID=$(printf '%04x' $((RANDOM % 65536)))
PREFIX=$PREFIX$RUN_ID
SRC=${PL_SRC:?PL_SRC not set (run through meson test)}
BUILD=${PL_BUILD:?PL_BUILD not set (run through meson test)}
PLTOPO=$SRC/topologies/pl-topo
PLGEN=$BUILD/bench/pl-gen
PLSINK=$BUILD/bench/pl-sink
PROBE=$BUILD/topologies/pl-nicprobe
RATESEARCH=$SRC/bench/pl-ratesearch
export PL_BPF_DIR=$BUILD/bench
TMP=$PL_TMP
PIDS=()
# Root-namespace interfaces and namespaces a test makes itself (not through
# pl-topo, whose down removes only what it recorded): removed at exit.
OWN_LINKS=() OWN_NETNS=()

require_root "network namespaces, XDP"

# Kill what this test started (by PID), destroy its topologies (at
# teardown, before PL_TMP goes).
topo_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	"$PLTOPO" down --all-with-prefix "$PREFIX" || true
	for p in "${OWN_LINKS[@]}"; do ip link del "$p" 2>/dev/null || true; done
	for p in "${OWN_NETNS[@]}"; do ip netns del "$p" 2>/dev/null || true; done
}
pl_defer topo_cleanup

# Nothing named $PREFIX* may remain: namespaces, root interfaces, run dirs, bpffs mounts.
assert_clean() {
	local left
	left=$(ip netns list | awk '{print $1}' | grep "^$PREFIX" || true)
	[ -z "$left" ] || fail "namespaces left: $left"
	left=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$PREFIX" || true)
	[ -z "$left" ] || fail "root interfaces left: $left"
	left=$(grep -l "^$PREFIX\$" /run/pathlab/topo/*/prefix 2>/dev/null || true)
	[ -z "$left" ] || fail "run directories left: $left"
	left=$(grep -c " /run/pathlab/topo/.*bpffs" /proc/mounts || true)
	[ "$left" = 0 ] || ! grep " /run/pathlab/topo/" /proc/mounts | grep -q "$PREFIX" || fail "bpffs mounts left"
}

# Start pl-sink on topology $1 in role $2 (args after), wait until attached; sets SINK_PID, SINK_OUT.
start_sink() {
	local name=$1 role=$2 i
	shift 2
	SINK_OUT=$TMP/sink.$RANDOM.json
	rm -f "$TMP/ready"
	timeout 60 "$PLTOPO" exec "$name" "$role" -- "$PLSINK" -T "$name" --ready-file "$TMP/ready" --json "$@" >"$SINK_OUT" &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	for _ in $(seq 400); do [ -e "$TMP/ready" ] && return 0; sleep 0.05; done
	fail "pl-sink did not attach within 20 s"
}

# Value of a top-level number key in a one-line JSON file.
jnum() { jq -r ".$2" "$1"; }
