#!/bin/bash
# Benchmark (prints figures, asserts nothing about speed): requests/s and
# latency of the XDP responder against nginx serving the same body from the
# kernel's TCP stack in the same namespaces, one run, wrk 2 threads, 50
# connections, Connection: close for both (the responder closes every
# connection). Usage: bench-responder.sh BUILD_DIR [SECONDS]
BUILD=$1
DUR=${2:-10}
PL_TAG=sn
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
need wrk nginx ethtool
echo "responder listen any-destination 8080" >"$TMP/policy"
responder_ns "$TMP/policy"
cat >"$TMP/nginx.conf" <<N
worker_processes 2;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP; proxy_temp_path $TMP; fastcgi_temp_path $TMP;
	uwsgi_temp_path $TMP; scgi_temp_path $TMP;
	server {
		listen $RS_IP4:8081 backlog=4096;
		location / { default_type text/plain; return 200 "Hello from XDP!"; }
	}
}
N
ip netns exec "$RS_NS" nginx -c "$TMP/nginx.conf" -p "$TMP" &
PIDS="$PIDS $!"
sleep 1
ip netns exec "$RC_NS" curl -sS --max-time 2 "http://$RS_IP4:8081/" | grep -q "Hello from XDP!" ||
	{ echo "FAIL: nginx does not answer"; cat "$TMP/nginx.err"; exit 1; }
run() { # name url
	ip netns exec "$RC_NS" timeout $((DUR + 15)) wrk -t2 -c50 -d${DUR}s --timeout 2s --latency \
		-H 'Connection: close' "$2" >"$TMP/wrk.$1" 2>&1
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$TMP/wrk.$1")
	p50=$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.$1")
	p99=$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.$1")
	err=$(grep -h "Socket errors\|Non-2xx" "$TMP/wrk.$1" | tr '\n' ' ')
	printf "%-16s %10s req/s  p50 %-9s p99 %-9s %s\n" "$1" "$rps" "$p50" "$p99" "${err:-no errors}"
}
echo "wrk -t2 -c50 -d${DUR}s -H 'Connection: close', client and server namespaces on one veth pair"
run xdp-responder "http://$RS_IP4:8080/"
run nginx "http://$RS_IP4:8081/"
