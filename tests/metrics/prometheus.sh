#!/bin/bash
# SPDX-License-Identifier: MIT
# A real Prometheus server, loaded with the configuration in the tree
# (docs/prometheus-pathlab.yml, its intervals shortened to 1 s), scrapes
# pathlab-xdp's --metrics while traffic exercises every panel of the Grafana
# dashboard, and the figures of a short harness run (bench/compare.sh, one XDP
# cell, served by `compare.sh metrics RUN --listen`); every query of the
# dashboard is evaluated through the HTTP API (All for the path, instance,
# interface and run variables) and must return data.
#   prometheus.sh PATHLAB_XDP DASHBOARD_JSON PROMETHEUS_YML
#
# A pl-topo pair (tests/lib/lib.sh):
#   gen  GEN 10.0.1.1 ──veth── DUT_IN 10.0.1.2  dut
#                              pathlab-xdp run DUT_IN --metrics 127.0.0.1:9464
#                              prometheus 127.0.0.1:FREE (private TSDB in a temp dir)
# Traffic from GEN: ping (pass), UDP 9 (ACL drop), UDP bursts over the rate
# limit, SYN bursts over the SYN guard, UDP to the load balancer's VIP
# (reflected to GEN). The responder listens (its route series exist, at 0;
# tests/ctl/test_report.c counts responses exactly).
set -u
XDP=$1 DASH=$2 CONF=$3
PL_TAG=mp
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "namespaces, XDP"
for c in prometheus promtool curl; do
	command -v $c >/dev/null || fail "$c is missing (scripts/bootstrap.sh installs it: Debian prometheus, curl)"
done
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
T=$PL_TMP

pl_topo_up prom --topo pair
NS_S=$GEN_NS NS_R=$DUT_IN_NS IF_R=$DUT_IN_IF IP_R=$DUT_IN_IP4 VIP=10.0.1.100
IN_R=(ip netns exec "$NS_R" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf; exec "$@"' sh)
ip -n "$NS_S" neigh replace $VIP lladdr "$DUT_IN_MAC" dev "$GEN_IF" nud permanent
cat >"$T/p.policy" <<P
mode policy
count sources on
ratelimit pps 200 burst 100
synguard per-source 1 2
acl drop proto udp dport 9
acl default pass
responder listen any-destination 8080
lb service web $VIP 7100 udp mode dsr size 251
lb backend web $GEN_IP4 mac $GEN_MAC via tx
P
"${IN_R[@]}" "$XDP" run "$IF_R" --policy "$T/p.policy" --duration 80 --metrics 127.0.0.1:9464 >"$T/xdp.log" 2>&1 &
pl_track $!

# the harness's figures: a short real run (one XDP cell), served where the
# configuration of the tree scrapes them (job pathlab-bench, 127.0.0.1:9467)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
timeout 120 "$SRC/bench/compare.sh" --paths xdp-native --workloads drop --placements dut --repeat 1 --no-search \
	--no-latency --overload-seconds 0.2 --prefix plt-mq --out "$T/bench" >"$T/bench.out" 2>&1 ||
	{ tail -5 "$T/bench.out"; bad "bench/compare.sh (one cell) failed"; }
grep -q '^pathlab_bench_cycles_per_packet{.*path="xdp-native".*source="dut"' "$T/bench/metrics.prom" &&
	ok "the harness wrote its cells' cycles per packet to metrics.prom" ||
	bad "metrics.prom has no cycles per packet of the xdp-native cell: $(head -c 400 "$T/bench/metrics.prom")"
ip netns exec "$NS_R" "$SRC/bench/compare.sh" metrics "$T/bench" --listen 127.0.0.1:9467 --seconds 80 \
	>"$T/bench-serve.log" 2>&1 &
pl_track $!

# the configuration of the tree, 1 s intervals
sed -e 's/scrape_interval: 5s/scrape_interval: 1s/' -e 's/evaluation_interval: 5s/evaluation_interval: 1s/' \
	"$CONF" >"$T/prometheus.yml"
grep -q 'scrape_interval: 1s' "$T/prometheus.yml" || bad "$CONF: no 'scrape_interval: 5s' to shorten"
promtool check config "$CONF" >/dev/null && ok "promtool check config $(basename "$CONF")" || bad "promtool check config $CONF"
PORT=$(ip netns exec "$NS_R" $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ip netns exec "$NS_R" prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address=127.0.0.1:"$PORT" --log.level=warn >"$T/prom.log" 2>&1 &
pl_track $!
q() { ip netns exec "$NS_R" curl -sS --max-time 5 -G "http://127.0.0.1:$PORT/api/v1/query" --data-urlencode "query=$1"; }
for _ in $(seq 300); do
	q 'up' 2>/dev/null | grep -q '"success"' && break
	sleep 0.1
done
q 'up' | grep -q '"success"' || { bad "prometheus did not come up"; tail "$T/prom.log"; exit 1; }

# the datapath attached and scraped before any traffic
for _ in $(seq 150); do
	q 'pathlab_up' 2>/dev/null | grep -q '"value":\[[0-9.]*,"1"\]' && break
	sleep 0.1
done
# traffic for ~8 s
ip netns exec "$NS_S" ping -c 80 -i 0.1 -W 1 "$IP_R" >/dev/null &
pl_track $!
ip netns exec "$NS_S" $PY -c '
import socket, sys, time
dut, vip = sys.argv[1], sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for sec in range(8):
    for i in range(5):                       # SYNs over the SYN guard
        s = socket.socket(); s.setblocking(False); s.connect_ex((dut, 22)); s.close()
    for i in range(300):                     # a burst over the rate limit
        u.sendto(b"x", (dut, 53))
    for i in range(50):
        u.sendto(b"x", (dut, 9))             # dropped by the ACL
        u.sendto(b"y", (vip, 7100))          # load balanced (reflected)
        time.sleep(0.02)' "$IP_R" "$VIP" &
sender=$!
pl_track $sender
wait $sender
sleep 2

r=$(q 'up{job="pathlab",instance="127.0.0.1:9464"}')
echo "$r" | grep -q '"value":\[[0-9.]*,"1"\]' && ok "Prometheus scrapes the target (up 1)" || bad "up: $r"
r=$(q 'up{job="pathlab-bench",instance="127.0.0.1:9467"}')
echo "$r" | grep -q '"value":\[[0-9.]*,"1"\]' && ok "Prometheus scrapes the harness's figures (job pathlab-bench)" ||
	bad "up of pathlab-bench: $r"
r=$(q 'pathlab_bench_cycles_per_packet{path="xdp-native",workload="drop",source="xdp_prog"}')
echo "$r" | grep -q '"value":\[[0-9.]*,"[0-9.]*"\]' && ok "the XDP program's cycles per packet from the harness in Prometheus" ||
	bad "pathlab_bench_cycles_per_packet{source=xdp_prog}: $r"
r=$(q "count(pathlab_rx_packets_total{instance=\"xdp:$IF_R\"})")
echo "$r" | grep -q '"value":\[[0-9.]*,"1"\]' && ok "honor_labels keeps the datapath's instance (xdp:$IF_R)" || bad "instance: $r"
r=$(q "pathlab_up{path=\"xdp\",xdp_mode=~\"native|generic\",ifname=\"$IF_R\"}")
echo "$r" | grep -q '"value":\[[0-9.]*,"1"\]' && ok "pathlab_up 1 in Prometheus, with ifname and xdp_mode" || bad "pathlab_up: $r"
for v in drop pass; do
	r=$(q "sum(rate(pathlab_packets_total{path=\"xdp\",verdict=\"$v\"}[5s]))")
	val=$(echo "$r" | $PY -c 'import json,sys; d=json.load(sys.stdin)["data"]["result"]; print(d[0]["value"][1] if d else "none")')
	$PY -c "import sys; sys.exit(0 if float('$val' if '$val' != 'none' else 0) > 0 else 1)" &&
		ok "rate() of verdict=$v: $val pps" || bad "rate() of verdict=$v: $val ($r)"
done

# every dashboard query, with All for the variables: valid PromQL, with data
$PY - "$DASH" >"$T/exprs" <<'PYEOF'
import json, sys
def walk(ps):
    for p in ps:
        yield from walk(p.get("panels", []))
        for t in p.get("targets", []):
            if "expr" in t:
                e = t["expr"].replace("$__rate_interval", "5s")
                for v in ("path", "instance", "ifname", "run"):
                    e = e.replace('"$%s"' % v, '".*"')
                yield p["title"] + "\t" + e
for line in walk(json.load(open(sys.argv[1]))["panels"]):
    print(line)
PYEOF
n=0 nodata=0
while IFS=$'\t' read -r title expr; do
	r=$(q "$expr")
	n=$((n + 1))
	if ! echo "$r" | grep -q '"status":"success"'; then
		bad "dashboard panel '$title': Prometheus rejects '$expr': $r"
		nodata=$((nodata + 1))
	elif echo "$r" | grep -q '"result":\[\]'; then
		bad "dashboard panel '$title': no data for $expr"
		nodata=$((nodata + 1))
	fi
done <"$T/exprs"
[ $n -ge 40 ] || bad "only $n dashboard queries found"
[ $nodata = 0 ] && ok "Prometheus evaluated all $n dashboard queries, each with data"

[ $fails = 0 ] && echo "PASS: Prometheus scrape and dashboard queries" || echo "FAILED: $fails check(s)"
[ $fails = 0 ]
