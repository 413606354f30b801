#!/bin/bash
# The responder in user space (all-in-user-space placement, TX verdict):
# real curl from a client namespace gets the responder's answers through
#   afxdp  afxdp_port/pathlab-afxdp --placement user (AF_XDP socket, copy mode)
#   dpdk   dpdk_app/pathlab-dpdk on a net_af_xdp port (--no-huge)
# on the server end (DUT_IN) of a pl-topo pair. The same core stage as in the kernel:
# exact bodies of every route over IPv4 and IPv6, HEAD, 404, 405; 200
# sequential requests; wrk with 50 connections for 3 s with zero errors;
# the front end's TX total covers a SYN-ACK and a response per request.
# The server end has no IP address (nothing but the datapath answers): the
# client has pl-topo's static neighbour entries for the server's MAC.
#   test-responder-user.sh BUILD_DIR afxdp|dpdk
BUILD=$1 FRONT=$2
PL_TAG=su${FRONT:0:1}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need curl wrk ethtool
case $FRONT in
afxdp) BIN=$BUILD/afxdp_port/pathlab-afxdp ;;
dpdk) BIN=$BUILD/dpdk_app/pathlab-dpdk ;;
*) echo "usage: $0 BUILD_DIR afxdp|dpdk"; exit 2 ;;
esac
[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
stages_topo resp --topo pair
C=$GEN_NS S=$NS_DUT SIF=$DUT_IN_IF SIP4=$DUT_IN_IP4 SIP6=$DUT_IN_IP6
# the server's addresses are the datapath's alone
ip -n "$S" addr del "$SIP4/$DUT_IN_PLEN4" dev "$SIF"
ip -n "$S" addr del "$SIP6/$DUT_IN_PLEN6" dev "$SIF"
cat >"$TMP/policy" <<'P'
responder listen any-destination 8080
route /hello 200 text/plain hello world from a policy route
P
PREFIX=plt-s-rdpdk$$
pl_defer rm -rf "/var/run/dpdk/$PREFIX"
if [ "$FRONT" = afxdp ]; then
	start_afxdp "$S" -i "$SIF" --policy "$TMP/policy" --no-tap --interval 1
else
	"$PL_TOPO" exec "$PL_TOPO_NAME" dut -- \
		timeout 100 "$BIN" -l 0 --no-huge -m 512 --no-pci --file-prefix $PREFIX --log-level=warning -- \
		--iface "$SIF" --policy "$TMP/policy" --stats-interval 1 >"$TMP/dut.log" 2>&1 &
	DUT=$!
	PIDS="$PIDS $DUT"
	wait_ready $DUT "$TMP/dut.log" 'port(s)' pathlab-dpdk
fi
sleep 0.5
fail=0
check_routes "$C" "$SIP4" "[$SIP6]"
urls=""
for _ in $(seq 200); do urls="$urls http://$SIP4:8080/health"; done
n=$(ip netns exec "$C" sh -c "curl -sS --max-time 60 $urls" 2>"$TMP/seq.err" | tr -d '\n' | grep -o OK | wc -l)
[ "$n" = 200 ] && echo "ok: 200 sequential requests" || { echo "FAIL: $n/200 sequential requests; $(head -3 "$TMP/seq.err")"; fail=1; }
ip netns exec "$C" timeout 20 wrk -t2 -c50 -d3s --timeout 2s "http://$SIP4:8080/" >"$TMP/wrk" 2>&1
reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk")
if grep -q "Socket errors\|Non-2xx" "$TMP/wrk" || [ -z "$reqs" ] || [ "$reqs" -lt 500 ]; then
	echo "FAIL: wrk reported errors or too few requests ($reqs)"; cat "$TMP/wrk"; fail=1
else
	echo "ok: wrk 50 connections, 3 s: $reqs requests ($(awk '/^Requests\/sec/ { print $2 }' "$TMP/wrk") req/s), no errors"
fi
kill -INT $DUT
wait $DUT
rc=$?
[ $rc = 0 ] || { echo "FAIL: $FRONT exited $rc after SIGINT"; tail -5 "$TMP/dut.log"; fail=1; }
# The front end's totals at exit: every answer was the core's TX (a
# SYN-ACK and a response per request at least, and a FIN's ACK mostly).
tot=$(grep -E '^\[(afxdp-user-total|dpdk)\]' "$TMP/dut.log" | tail -1)
echo "$tot"
tx=$(echo "$tot" | grep -o ' tx=[0-9]*' | cut -d= -f2)
want=$((2 * (214 + reqs)))
[ "${tx:-0}" -ge $want ] && echo "ok: $FRONT sent $tx TX frames (>= $want: a SYN-ACK and a response per request)" ||
	{ echo "FAIL: $FRONT sent '${tx}' TX frames, want >= $want"; fail=1; }
exit $fail
