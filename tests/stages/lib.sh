# shellcheck shell=bash
# Shared helpers of the stage system tests (sourced, bash), on top of the
# shell test library (tests/lib/lib.sh: ok/fail/skip, teardown). Each test
# sets PL_TAG (s + a letter) before sourcing; its namespaces and veths are a
# pl-topo topology (stages_topo), its addresses those pl-topo info gives.
# The XDP datapath is the project's front end, xdp/pathlab-xdp: `run`
# attaches (a bpf_link per interface, gone when the process ends), `policy`
# re-applies a policy to the running program, `status` prints its counters.
# shellcheck disable=SC2034 # XDP_PID and fail are for the tests that source this file
set -u
BUILD=${BUILD:?}
OBJ=$BUILD/xdp/pathlab.bpf.o
XDP=$BUILD/xdp/pathlab-xdp
PIDS=""
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
TMP=$PL_TMP

need() {
	require_root "namespaces, XDP"
	require_tool ip "$@"
	[ -x "$XDP" ] || skip "pathlab-xdp not built (libbpf missing)"
}

# Stop what the test started (by PID), before the topology goes down.
stages_cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
}
pl_defer stages_cleanup

# stages_topo NAME [pl-topo up options]: the test's topology (pl_topo_up),
# every lab interface with checksum offload off (XDP rewrites see complete
# checksums) and GRO on (so each end can be an XDP_TX / XDP_REDIRECT target).
stages_topo() {
	local ep
	pl_topo_up "$@"
	for ep in $ENDPOINTS; do pl_ethtool "$ep" tx off rx off gro on; done
}

# run_xdp NS OUT POLICY IFACE...: `pathlab-xdp run` in NS in the
# background (stats lines go to OUT); waits until every interface is
# attached. Sets LAST_PID.
run_xdp() {
	ns=$1 out=$2 pol=$3
	shift 3
	ip netns exec "$ns" "$XDP" run --mode native --obj "$OBJ" --policy "$pol" "$@" >"$out" 2>"$out.err" &
	LAST_PID=$!
	PIDS="$PIDS $LAST_PID"
	# up to 30 s: verifying the object takes seconds on a busy machine
	for _ in $(seq 300); do
		n=$(grep -c 'attached in native mode' "$out" 2>/dev/null)
		[ "${n:-0}" -ge $# ] && return 0
		kill -0 $LAST_PID 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: pathlab-xdp run $* in $ns did not attach:"; cat "$out.err"
	exit 1
}

# start_xdp NS POLICY IFACE...: the datapath under test (XDP_NS, XDP_IF:
# its namespace and first interface, for reload and counter).
start_xdp() {
	XDP_NS=$1 XDP_IF=$3 pol=$2
	shift 2
	run_xdp "$XDP_NS" "$TMP/run.out" "$pol" "$@"
	XDP_PID=$LAST_PID
}

# reload POLICY: apply POLICY to the running program (pathlab-xdp policy).
reload() {
	ip netns exec "$XDP_NS" "$XDP" policy "$XDP_IF" "$1" >"$TMP/reload.out" 2>&1 ||
		{ echo "FAIL: pathlab-xdp policy $XDP_IF $1:"; cat "$TMP/reload.out"; exit 1; }
}

# counter NAME: the value of a core counter of the running program
# (pathlab-xdp status --verbose lists every counter).
counter() {
	ip netns exec "$XDP_NS" "$XDP" status --verbose "$XDP_IF" 2>/dev/null |
		awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

# xdp_pass NS IFACE: attach the pipeline in pass-all mode, so IFACE can
# receive XDP_TX / XDP_REDIRECT frames from its peer (GRO alone loses them
# on this kernel: they wait in the peer's ring until other traffic comes).
xdp_pass() {
	echo "mode pass-all" >"$TMP/pass-$2"
	run_xdp "$1" "$TMP/pass-$2.out" "$TMP/pass-$2" "$2"
}

# responder_ns POLICY: client (GEN) and server (DUT_IN) of a pl-topo pair
# (ARP and ND resolved by the stacks); the client end gets a pass-all
# program (XDP_TX target), the server end the pipeline with POLICY. Sets
# RC_NS (client), RS_NS, RS_IF, RS_IP4, RS_IP6 (server).
responder_ns() {
	stages_topo resp --topo pair --neigh dynamic
	RC_NS=$GEN_NS RS_NS=$DUT_IN_NS RS_IF=$DUT_IN_IF RS_IP4=$DUT_IN_IP4 RS_IP6=$DUT_IN_IP6
	xdp_pass "$RC_NS" "$GEN_IF"
	start_xdp "$RS_NS" "$1" "$RS_IF"
}

# wait_ready PID LOG PATTERN WHAT: wait (10 s) until LOG has PATTERN; fail
# showing LOG if PID exits first or it never comes.
wait_ready() {
	for _ in $(seq 100); do
		grep -q "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: $4 did not start:"; cat "$2"
	exit 1
}

# start_afxdp NS ARGS...: pathlab-afxdp --placement user (copy mode, quiet
# stats) in NS in the background, log in $TMP/dut.log; sets DUT.
start_afxdp() {
	ns=$1
	shift
	AFXDP=$BUILD/afxdp_port/pathlab-afxdp
	[ -x "$AFXDP" ] || skip "$AFXDP not built"
	ip netns exec "$ns" timeout 100 "$AFXDP" --placement user --zero-copy off "$@" >"$TMP/dut.log" 2>&1 &
	DUT=$!
	PIDS="$PIDS $DUT"
	wait_ready $DUT "$TMP/dut.log" 'worker(s)' pathlab-afxdp
}

# afxdp_stop_total NAME: stop pathlab-afxdp ($DUT) and print counter NAME
# from the totals it prints when it stops (it waits for the line, not for
# $DUT: callable in a subshell).
afxdp_stop_total() {
	kill -INT "$DUT" 2>/dev/null
	for _ in $(seq 50); do
		grep -q '^\[afxdp-user-total\]' "$TMP/dut.log" && break
		sleep 0.1
	done
	afxdp_total "$1"
}

# afxdp_total NAME: a counter from the totals pathlab-afxdp printed at exit.
afxdp_total() {
	grep -A1 '^\[afxdp-user-total\]' "$TMP/dut.log" | grep -o " $1=[0-9]*" | head -1 | cut -d= -f2
}

# check_routes CLIENT_NS HOST...: real curl from CLIENT_NS gets the exact
# body of every route of the test policy (defaults plus /hello) on port
# 8080 of each HOST, 404, 405, and HEAD's status line. Sets fail=1 on a
# mismatch.
check_routes() {
	cns=$1
	shift
	for host in "$@"; do
		# shellcheck disable=SC2089,SC2090 # each word is split into method, path, code, body
		for r in "GET / 200 Hello from XDP!" 'GET /api 200 {"status":"ok"}' "GET /health 200 OK" \
			"GET /hello 200 hello world from a policy route" "GET /nothing 404 Not Found" \
			"POST / 405 Method Not Allowed"; do
			# shellcheck disable=SC2090
			set -- $r
			m=$1 path=$2 code=$3
			shift 3
			want="$*"
			out=$(ip netns exec "$cns" curl -sS --max-time 3 -X "$m" -o "$TMP/body" -w '%{http_code}' \
				"http://$host:8080$path" 2>"$TMP/curl.err")
			body=$(cat "$TMP/body" 2>/dev/null)
			if [ "$out" != "$code" ] || [ "$body" != "$want" ]; then
				echo "FAIL: $m http://$host:8080$path -> $out '$body' (want $code '$want') $(cat "$TMP/curl.err")"
				fail=1
			else
				echo "ok: $m http://$host:8080$path -> $out '$body'"
			fi
		done
		h=$(ip netns exec "$cns" curl -sS --max-time 3 -I "http://$host:8080/" 2>&1 | tr -d '\r' | head -1)
		[ "$h" = "HTTP/1.1 200 OK" ] && echo "ok: HEAD http://$host:8080/ -> $h" ||
			{ echo "FAIL: HEAD http://$host:8080/ -> '$h'"; fail=1; }
	done
}

# udp_count NS IDLE A B: count the UDP datagrams reaching port 9000 in NS from
# source addresses A and B, until IDLE s pass without one; prints "A_COUNT B_COUNT"
# (run it in the background, before the senders).
udp_count() {
	ip netns exec "$1" "${PY:-/usr/bin/python3}" -c '
import socket, sys, collections
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("0.0.0.0", 9000)); s.settimeout(float(sys.argv[1]))
n = collections.Counter()
try:
    while True:
        d, a = s.recvfrom(2048); n[a[0]] += 1
except socket.timeout:
    pass
print(n[sys.argv[2]], n[sys.argv[3]])
' "$2" "$3" "$4"
}

# rl_topo NAME [pl-topo up options]: the rate limiter tests' line without
# forwarding: source A is GEN (FA, A_IP), source B is SINK (FB, B_IP), the
# receiver is the DUT (RL; RLA faces A, address RA_IP; RLB faces B, RB_IP).
rl_topo() {
	need ethtool taskset
	stages_topo "$@" --topo line --no-forward --neigh dynamic
	FA=$GEN_NS FB=$SINK_NS RL=$NS_DUT RLA=$DUT_IN_IF RLB=$DUT_OUT_IF
	A_IP=$GEN_IP4 B_IP=$SINK_IP4 RA_IP=$DUT_IN_IP4 RB_IP=$DUT_OUT_IP4
}
