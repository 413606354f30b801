#!/bin/bash
# SPDX-License-Identifier: MIT
# A real Prometheus server scrapes pathlab-xdp's --metrics, with the scrape
# config docs/metrics.md gives, and every query of the Grafana dashboard is
# evaluated by it (PromQL valid, the main panels have data).
#   prometheus.sh PATHLAB_XDP DASHBOARD_JSON
#
# A pl-topo pair (tests/lib/lib.sh):
#   gen  GEN 10.0.1.1 ──veth── DUT_IN 10.0.1.2  dut
#                              pathlab-xdp run DUT_IN (UDP 9 dropped)
#                              prometheus 127.0.0.1:9090 -> 127.0.0.1:9464
set -u
XDP=$1 DASH=$2
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
NS_S=$GEN_NS NS_R=$DUT_IN_NS IF_R=$DUT_IN_IF IP_R=$DUT_IN_IP4
IN_R=(ip netns exec "$NS_R" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf; exec "$@"' sh)
printf 'mode policy\nacl drop proto udp dport 9\nacl default pass\n' >"$T/p.policy"
"${IN_R[@]}" "$XDP" run "$IF_R" --policy "$T/p.policy" --duration 60 --metrics 127.0.0.1:9464 >"$T/xdp.log" 2>&1 &
pl_track $!

# the scrape config of docs/metrics.md, 1 s interval
cat >"$T/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: pathlab
    static_configs:
      - targets: ['127.0.0.1:9464']
        labels: { mode: native }
EOF
promtool check config "$T/prometheus.yml" >/dev/null || bad "promtool check config"
ip netns exec "$NS_R" prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address=127.0.0.1:9090 --log.level=warn >"$T/prom.log" 2>&1 &
pl_track $!
q() { ip netns exec "$NS_R" curl -sS --max-time 5 -G "http://127.0.0.1:9090/api/v1/query" --data-urlencode "query=$1"; }
for _ in $(seq 300); do
	q 'up' 2>/dev/null | grep -q '"success"' && break
	sleep 0.1
done
q 'up' | grep -q '"success"' || { bad "prometheus did not come up"; tail "$T/prom.log"; exit 1; }

# traffic for ~6 s: ping (passes) and UDP 9 (dropped)
ip netns exec "$NS_S" ping -c 60 -i 0.1 -W 1 "$IP_R" >/dev/null &
pl_track $!
ip netns exec "$NS_S" $PY -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    u.sendto(b"x", (sys.argv[1], 9)); time.sleep(0.02)' "$IP_R"
sleep 2

r=$(q 'up{job="pathlab",mode="native"}')
echo "$r" | grep -q '"value":\[[0-9.]*,"1"\]' && ok "Prometheus scrapes the target (up 1)" || bad "up: $r"
r=$(q 'pathlab_up{path="xdp"}')
echo "$r" | grep -q '"value":\[[0-9.]*,"1"\]' && ok "pathlab_up{path=\"xdp\"} 1 in Prometheus" || bad "pathlab_up: $r"
for v in drop pass; do
	r=$(q "sum(rate(pathlab_packets_total{path=\"xdp\",verdict=\"$v\"}[5s]))")
	val=$(echo "$r" | $PY -c 'import json,sys; d=json.load(sys.stdin)["data"]["result"]; print(d[0]["value"][1] if d else "none")')
	$PY -c "import sys; sys.exit(0 if float('$val' if '$val' != 'none' else 0) > 0 else 1)" &&
		ok "rate() of verdict=$v: $val pps" || bad "rate() of verdict=$v: $val ($r)"
done

# every dashboard query: valid PromQL, evaluated with the dashboard's variables
$PY - "$DASH" >"$T/exprs" <<'EOF'
import json, sys
def walk(ps):
    for p in ps:
        yield from walk(p.get("panels", []))
        for t in p.get("targets", []):
            if "expr" in t:
                print(p["title"] + "\t" + t["expr"].replace("$__rate_interval", "5s").replace('"$path"', '".*"'))
walk_all = list(walk(json.load(open(sys.argv[1]))["panels"]))
EOF
n=0 empty=0
while IFS=$'\t' read -r title expr; do
	r=$(q "$expr")
	n=$((n + 1))
	if ! echo "$r" | grep -q '"status":"success"'; then
		bad "dashboard panel '$title': Prometheus rejects '$expr': $r"
		continue
	fi
	echo "$r" | grep -q '"result":\[\]' && empty=$((empty + 1))
	case $title in "Packets/s per verdict, per path"|"Received packets/s per path"|"Drops/s per path"*|"Datapaths up")
		echo "$r" | grep -q '"result":\[\]' && bad "dashboard panel '$title' has no data: $expr" ;;
	esac
done <"$T/exprs"
ok "Prometheus evaluated all $n dashboard queries ($((n - empty)) with data; the rest are counters of stages this policy does not use)"

[ $fails = 0 ] && echo "PASS: Prometheus scrape and dashboard queries" || echo "FAILED: $fails check(s)"
[ $fails = 0 ]
