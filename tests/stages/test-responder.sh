#!/bin/bash
# Responder system test: real curl from a client namespace against the XDP
# responder (pathlab-xdp run) in the server namespace, IPv4 and IPv6: exact bodies for every
# route, HEAD, 404, 405; 1000 sequential requests; wrk with 50 connections
# for 5 s with zero errors.
BUILD=$1
PL_TAG=sr
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need curl wrk ethtool
cat >"$TMP/policy" <<'P'
responder listen any-destination 8080
route /hello 200 text/plain hello world from a policy route
P
responder_ns "$TMP/policy"
fail=0
# pathlab-xdp status names the stages the policy switched on
st=$(ip netns exec "$RS_NS" "$XDP" status "$RS_IF" 2>&1)
echo "$st" | grep -q 'stages: ratelimit off, synguard off, responder on, lb off' &&
	echo "ok: pathlab-xdp status: $(echo "$st" | grep 'stages:' | sed 's/^ *//')" ||
	{ echo "FAIL: pathlab-xdp status does not show the responder on:"; echo "$st"; fail=1; }
check_routes "$RC_NS" "$RS_IP4" "[$RS_IP6]"
# 1000 sequential requests (one curl process, 1000 connections)
urls=""
for _ in $(seq 1000); do urls="$urls http://$RS_IP4:8080/health"; done
n=$(ip netns exec "$RC_NS" sh -c "curl -sS --max-time 60 $urls" 2>"$TMP/seq.err" | tr -d '\n' | grep -o OK | wc -l)
[ "$n" = 1000 ] && echo "ok: 1000 sequential requests" || { echo "FAIL: $n/1000 sequential requests; $(head -3 "$TMP/seq.err")"; fail=1; }
# wrk: 50 connections, 5 s
ip netns exec "$RC_NS" timeout 20 wrk -t2 -c50 -d5s --timeout 2s "http://$RS_IP4:8080/" >"$TMP/wrk" 2>&1
cat "$TMP/wrk"
reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk")
if grep -q "Socket errors\|Non-2xx" "$TMP/wrk" || [ -z "$reqs" ] || [ "$reqs" -lt 1000 ]; then
	echo "FAIL: wrk reported errors or too few requests ($reqs)"; fail=1
else
	echo "ok: wrk $reqs requests, no errors"
fi
synack=$(counter resp_synack)
reply=$(counter resp_reply)
echo "counters: resp_synack=$synack resp_reply=$reply"
[ "$reply" -ge 1014 ] || { echo "FAIL: resp_reply $reply < 1014"; fail=1; }
exit $fail
