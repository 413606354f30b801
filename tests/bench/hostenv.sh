#!/bin/bash
# SPDX-License-Identifier: MIT
# The environment recorded per run, on a veth in a namespace: rings, channels,
# offloads recorded; IRQ affinity and NUMA node "n/a (reason)" (veth has
# neither; rings n/a where ethtool -g is refused); governor, SMT, isolated
# CPUs; ethtool -S read and its per-cell delta.
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PL_TAG=hev
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "namespaces"
# one veth pair in one namespace (pl-topo puts each end in a host of its own)
NS=$PL_PREFIX
pl_own netns $NS
ip netns add $NS || fail "ip netns add $NS"
ip -n $NS link add plt-hev0 type veth peer name plt-hev1
ip -n $NS addr add 10.252.1.1/24 dev plt-hev0
ip -n $NS link set plt-hev0 up
ip -n $NS link set plt-hev1 up
PYTHONPATH=$SRC/bench /usr/bin/python3 - $NS <<'PY'
import json, subprocess, sys
from pathlab_bench import hostenv
ns = sys.argv[1]
env = hostenv.record(ns, ["plt-hev0"])
bad = []
p = env["ports"]["plt-hev0"]
if p["driver"] != "veth": bad.append("driver %s" % p["driver"])
if not (isinstance(p["rings"], dict) and "RX" in p["rings"]) and not str(p["rings"]).startswith("n/a (ethtool -g"): bad.append("rings %r" % p["rings"])
if not isinstance(p["channels"], dict) or "RX" not in p["channels"]: bad.append("channels %r" % p["channels"])
if not isinstance(p["offloads"], dict) or "generic-receive-offload" not in p["offloads"]: bad.append("offloads")
for k in ("irq_affinity", "numa_node"):
    if not (isinstance(p[k], str) and p[k].startswith("n/a (")): bad.append("%s: %r (expected n/a with a reason)" % (k, p[k]))
h = env["host"]
for k in ("governor", "smt", "isolated_cpus"):
    if k not in h or not h[k]: bad.append("host %s missing" % k)
a = hostenv.nic_stats(ns, "plt-hev0")
subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.05", "-W", "1", "10.252.1.2"], capture_output=True)
d = hostenv.stats_delta(a, hostenv.nic_stats(ns, "plt-hev0"))
if not isinstance(a, dict) or "peer_ifindex" not in a or not isinstance(d, dict): bad.append("ethtool -S: %r delta %r" % (a, d))
if hostenv.stats_delta({"x": 1, "y": 2}, {"x": 5, "y": 2}) != {"x": 4}: bad.append("delta arithmetic")
if not hostenv.stats_delta(None, {}).startswith("n/a ("): bad.append("no stats: not n/a")
for b in bad: print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
[ $? = 0 ] && ok "environment recorded, n/a with reasons for what veth lacks, ethtool -S deltas" || bad "environment"
pl_done "hostenv"
