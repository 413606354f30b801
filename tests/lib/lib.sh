# shellcheck shell=bash
# The shell test library: results, skips, teardown and topologies.
# Source it first:  . "$(dirname "$0")/../lib/lib.sh"
#
#   ok MSG / bad MSG      print "ok: MSG" / "FAIL: MSG" (bad counts, the test goes on)
#   fail MSG              print "FAIL: MSG", run pl_on_fail if the test defines it
#                         (e.g. to show a log), exit 1 now (teardown still runs)
#   skip REASON           print "SKIP: REASON" and exit 77 (meson: skipped)
#   require_root [WHY]    skip unless root
#   require_tool TOOL...  skip unless every TOOL is on PATH
#   pl_done [WHAT]        exit 0 if nothing failed, else 1, with a summary line
#   pl_defer CMD...       run CMD at teardown (last deferred first)
#   pl_track PID          stop PID at teardown (SIGTERM, then SIGKILL after 2 s)
#   pl_own netns|link|path NAME...
#                         a namespace or a root-namespace link the test made by hand
#                         (where pl-topo cannot build it), or a path outside PL_TMP (a
#                         bpffs pin, an EAL runtime directory), named plt-*: removed at
#                         teardown, and by the next run when this one is killed first
#   pl_topo_up NAME [pl-topo up options]
#                         build a topology with topologies/pl-topo under this run's
#                         prefix, removed at teardown; its info keys (GEN_NS, DUT_IN_IF,
#                         ... see topologies/README.md) become shell variables, and
#                         PL_TOPO_NAME its name
#   pl_in ROLE CMD...     run CMD in the namespace of ROLE (gen, dut, sink, ...) of the
#                         last topology, with its persistent bpffs (pl-topo exec). In the
#                         background, "$PL_TOPO" exec "$PL_TOPO_NAME" ROLE -- CMD & leaves
#                         $! = CMD's own PID (pl-topo execs it)
#   pl_xdp_wait NS IF 1|0 wait up to 30 s for an XDP program on IF in NS to
#                         appear (1) or go (0); verifying the core takes seconds
#   pl_ethtool EP ARGS... ethtool -K ARGS on endpoint EP's interface (EP: GEN, DUT_IN, ...)
#
# Teardown runs once on EXIT, SIGINT and SIGTERM: tracked processes are
# stopped, deferred commands run, topologies are taken down (pl-topo down
# removes only what it recorded), $PL_TMP is removed; the exit status of
# the test is kept (130/143 after a signal). A run killed before its
# teardown is cleaned up by the next one (tests/lib/reap.sh: its tracked
# processes, daemons with a pidfile in its PL_TMP, its topologies).
#
# Variables: PL_SRC (the source tree), PL_TOPO (pl-topo), PL_TMP (a private
# temporary directory), PL_PREFIX (this run's prefix of every namespace
# and interface: plt-TAGXXXX, TAG the test's PL_TAG if it set one before
# sourcing (at most 3 of [a-z0-9]), XXXX hex unique per run), fails (bad's count).
# Sourcing the library a second time does nothing.

[ -z "${_pl_lib_loaded:-}" ] || return 0
_pl_lib_loaded=1
PL_SRC=${PL_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PL_TOPO=$PL_SRC/topologies/pl-topo
[[ "${PL_TAG:-}" =~ ^[a-z0-9]{0,3}$ ]] || { echo "FAIL: PL_TAG '$PL_TAG': at most 3 of [a-z0-9]"; exit 1; }
PL_PREFIX=plt-${PL_TAG:-}$(printf '%04x' $((($$ ^ RANDOM) % 65536)))
PL_TMP=$(mktemp -d /tmp/plt-test.XXXXXX)
# who owns PL_TMP, so that a later run can clean up after this one if it is
# killed before its teardown (tests/lib/reap.sh); then that clean-up of others
. "$PL_SRC/tests/lib/reap.sh"
echo "$$ $(_pl_start $$)" >"$PL_TMP/.owner"
pl_reap_stale
fails=0
_pl_deferred=() _pl_pids=() _pl_topos=() _pl_owned=() _pl_torn=0

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
fail() {
	echo "FAIL: $*"
	if declare -F pl_on_fail >/dev/null; then pl_on_fail; fi
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (${1:-network namespaces})"
}

require_tool() {
	local t
	for t; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
	done
}

pl_done() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails check(s) failed${1:+ ($1)}"
		exit 1
	fi
	echo "all checks passed${1:+ ($1)}"
	exit 0
}

pl_defer() { _pl_deferred+=("$(printf '%q ' "$@")"); }
pl_track() {
	local p
	_pl_pids+=("$@")
	for p; do echo "$p $(_pl_start "$p")" >>"$PL_TMP/.pids"; done
}

pl_own() {
	local kind=$1 n
	shift
	case $kind in netns | link | path) ;; *) fail "pl_own $kind: netns, link or path" ;; esac
	for n; do
		[[ "${n##*/}" == plt-* ]] || fail "pl_own $kind $n: only names starting plt- are removed"
		_pl_owned+=("$kind $n")
		echo "$kind $n" >>"$PL_TMP/.owned"
	done
}

# Stop tracked processes, run deferred commands newest first, remove what
# the test owns, take the topologies down, remove PL_TMP. Idempotent.
pl_teardown() {
	local i p
	# only the test's own shell tears down: a subshell forked while a trapped
	# signal was pending (a command substitution) inherits bash's pending
	# trap and would run the teardown a second time
	[ "$BASHPID" = "$$" ] || return 0
	[ "$_pl_torn" = 0 ] || return 0
	_pl_torn=1
	set +e # every step runs, whatever the test's shell options
	[ ${#_pl_pids[@]} -eq 0 ] || _pl_stop "${_pl_pids[@]}"
	for p in "${_pl_pids[@]}"; do wait "$p" 2>/dev/null; done
	for ((i = ${#_pl_deferred[@]} - 1; i >= 0; i--)); do
		eval "${_pl_deferred[$i]}" || true
	done
	for ((i = ${#_pl_owned[@]} - 1; i >= 0; i--)); do
		# shellcheck disable=SC2086 # KIND NAME: two words
		_pl_unown ${_pl_owned[$i]}
	done
	for ((i = ${#_pl_topos[@]} - 1; i >= 0; i--)); do
		"$PL_TOPO" down "${_pl_topos[$i]}" >/dev/null || echo "warning: pl-topo down ${_pl_topos[$i]} failed" >&2
	done
	rm -rf "$PL_TMP"
}
# shellcheck disable=SC2154 # _pl_rc is assigned inside the trap
trap '_pl_rc=$?; trap - EXIT; pl_teardown; exit $_pl_rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# pl_topo_up NAME [options]: the topology PL_PREFIX+NAME (so two runs never
# share one), registered for teardown before it exists; fails the test when
# pl-topo refuses.
pl_topo_up() {
	local name=${PL_PREFIX#plt-}$1 out
	shift
	_pl_topos+=("$name")
	echo "$name" >>"$PL_TMP/.topos"
	out=$("$PL_TOPO" up "$name" --prefix "$PL_PREFIX" "$@" 2>&1) || fail "pl-topo up $name $*: $out"
	eval "$("$PL_TOPO" info "$name")"
	PL_TOPO_NAME=$name
}

pl_in() {
	local role=$1
	shift
	"$PL_TOPO" exec "${PL_TOPO_NAME:?pl_in: no topology is up}" "$role" -- "$@"
}

# Wait up to TENTHS/10 s (default 30 s) for PATTERN in FILE while process PID
# runs; 0 once it is there.
pl_wait_log() { # file pattern pid [tenths]
	for _ in $(seq "${4:-300}"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "$2" "$1" 2>/dev/null
}

pl_xdp_wait() {
	local ns=$1 ifn=$2 want=$3 on
	for _ in $(seq 300); do
		on=0
		ip -n "$ns" -d link show dev "$ifn" | grep -q 'prog/xdp' && on=1
		[ "$on" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

pl_ethtool() {
	local ep=$1 ns ifn
	shift
	ns=${ep}_NS ifn=${ep}_IF
	ip netns exec "${!ns}" ethtool -K "${!ifn}" "$@" >/dev/null 2>&1 ||
		echo "warning: ethtool -K ${!ifn} $* refused" >&2
}

# pl_stall_under_load PID AFTER FOR CMD...: run CMD (a load generator) in the
# background, stop process PID (SIGSTOP) AFTER seconds into it for FOR
# seconds, so the kernel must queue and then drop what PID would have taken;
# returns CMD's exit status.
pl_stall_under_load() {
	local pid=$1 after=$2 stall=$3 g
	shift 3
	"$@" &
	g=$!
	sleep "$after"
	kill -STOP "$pid"
	sleep "$stall"
	kill -CONT "$pid"
	wait $g
}

# pl_scrape NS PORT: the page a process in NS serves at 127.0.0.1:PORT/metrics.
pl_scrape() {
	ip netns exec "$1" /usr/bin/python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$2"
}

# pl_mval TEXT NAME LABEL: the sum of the series NAME in the metrics TEXT
# whose labels contain LABEL ("": all of them); -1 when there is none.
pl_mval() {
	echo "$1" | awk -v n="$2" -v l="$3" '$1 ~ "^"n"[{]" && index($1, l) { s += $2; f = 1 } END { print f ? s : -1 }'
}
