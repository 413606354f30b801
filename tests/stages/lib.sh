# Shared helpers of the stage system tests (sourced). Namespaces and
# interfaces are prefixed plt-s; everything is removed on exit.
set -u
BUILD=${BUILD:?}
OBJ=$BUILD/xdp/pathlab.bpf.o
RUN=$BUILD/tests/stages/pl-stages-run
NSES=""
PIDS=""
TMP=$(mktemp -d /tmp/plt-s.XXXXXX)

need() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, XDP)"; exit 77; }
	for t in ip "$@"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
	done
	[ -x "$RUN" ] || { echo "SKIP: pl-stages-run not built (libbpf missing)"; exit 77; }
}

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for n in $NSES; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# mkns NAME: a namespace with lo up and bpffs.
mkns() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1"
	NSES="$NSES $1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; true'
}

# link NS1 IF1 NS2 IF2: a veth pair between two namespaces, up, with
# checksum offload off (XDP rewrites see complete checksums) and GRO on (so
# each end can be an XDP_TX / XDP_REDIRECT target).
link() {
	# created inside the namespaces: small ifindexes (devmap keys < 64)
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	for e in "$1 $2" "$3 $4"; do
		set -- $e
		ip -n "$1" link set "$2" up
		ip netns exec "$1" ethtool -K "$2" tx off rx off gro on >/dev/null 2>&1
	done
}

# start NS POLICY IFACE...: run pl-stages-run in NS; waits for "ready".
start_xdp() {
	ns=$1 pol=$2
	shift 2
	devs=""
	for d in "$@"; do devs="$devs --dev $d"; done
	ip netns exec "$ns" "$RUN" --obj "$OBJ" --policy "$pol" $devs >"$TMP/run.out" 2>"$TMP/run.err" &
	XDP_PID=$!
	PIDS="$PIDS $XDP_PID"
	# up to 30 s: verifying the object takes seconds on a busy machine
	for i in $(seq 300); do
		grep -q ready "$TMP/run.out" 2>/dev/null && return 0
		kill -0 $XDP_PID 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: pl-stages-run did not start:"; cat "$TMP/run.err"
	exit 1
}

# counter NAME: the value of a core counter (after a SIGUSR1 dump).
counter() {
	n=$(grep -c '^--$' "$TMP/run.out")
	kill -USR1 "$XDP_PID"
	for i in $(seq 50); do
		[ "$(grep -c '^--$' "$TMP/run.out")" -gt "$n" ] && break
		sleep 0.1
	done
	awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' "$TMP/run.out"
}

# xdp_pass NS IFACE: attach the pipeline in pass-all mode, so IFACE can
# receive XDP_TX / XDP_REDIRECT frames from its peer (GRO alone loses them
# on this kernel: they wait in the peer's ring until other traffic comes).
xdp_pass() {
	echo "mode pass-all" >"$TMP/pass-$2"
	ip netns exec "$1" "$RUN" --obj "$OBJ" --policy "$TMP/pass-$2" --dev "$2" >"$TMP/pass-$2.out" 2>&1 &
	PIDS="$PIDS $!"
	for i in $(seq 300); do
		grep -q ready "$TMP/pass-$2.out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: pass-all attach on $2:"; cat "$TMP/pass-$2.out"; exit 1
}

# responder_ns: client plt-s-rc (10.78.0.1, fd78::1) and server plt-s-rs
# (10.78.0.2, fd78::2) on one veth pair; the client end gets a pass-all
# program (XDP_TX target), the server end the pipeline with POLICY.
responder_ns() {
	mkns plt-s-rc
	mkns plt-s-rs
	link plt-s-rc plt-s-rc0 plt-s-rs plt-s-rs0
	ip -n plt-s-rc addr add 10.78.0.1/24 dev plt-s-rc0
	ip -n plt-s-rs addr add 10.78.0.2/24 dev plt-s-rs0
	ip -n plt-s-rc addr add fd78::1/64 dev plt-s-rc0 nodad
	ip -n plt-s-rs addr add fd78::2/64 dev plt-s-rs0 nodad
	xdp_pass plt-s-rc plt-s-rc0
	start_xdp plt-s-rs "$1" plt-s-rs0
}
