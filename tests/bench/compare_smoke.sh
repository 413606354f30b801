#!/bin/bash
# SPDX-License-Identifier: MIT
# Smoke run of bench/compare.sh over every path (workload fwd, placement
# "dut", one short trial per step) and checks of what it must produce:
#  - every path has a fwd row: measured, or n/a / FAILED with a reason; a
#    path whose binary is built never reports n/a or FAILED without a
#    platform reason;
#  - the reference rows (bare XDP, bare AF_XDP, testpmd, OVS static flow) are there;
#  - results.json carries the placement of every measured row (which CPU
#    ran the generator, the DUT's receive NAPI, its poller), results.md and
#    trials.jsonl are written;
#  - pathlab-afxdp and pathlab-dpdk switch workloads live (one process per
#    path, the policy each reports checked before a trial);
#  - the default jumbo fwd cell (9018 B) is measured in the process of the
#    path's 64-byte fwd cell with the links at MTU 9000, or n/a with the reason;
#  - every trial's delivered count is pl-sink's own (not a driver counter);
#  - the exit status follows the cells: a run where one path's start fails
#    (--fail-start) exits 1 and shows that row FAILED; --out onto an existing
#    directory is refused with 2.
# Asserts nothing about speed (the machine is shared).
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PATHLAB_BUILD:-$SRC/build}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "namespaces, XDP"
OUT=$PL_TMP
export PATHLAB_BUILD=$BUILD

# 1. every path, fwd, short
timeout 200 "$SRC/bench/compare.sh" --paths all --workloads fwd --placements dut --jumbo-fwd 0 --repeat 1 --window 0.3 \
	--overload-seconds 0.2 --short 0.1 --steps 1 --latency-seconds 0.1 --warmup 0 --prefix plt-cs \
	--out "$OUT/all" >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
cat "$OUT/stdout"
[ $rc = 0 ] || [ $rc = 1 ] || { tail -20 "$OUT/stderr"; fail "compare.sh exited $rc"; }
for f in results.md results.json trials.jsonl commands.txt; do
	[ -s "$OUT/all/$f" ] || fail "$f missing or empty"
done
/usr/bin/python3 - "$OUT/all" "$BUILD" "$rc" <<'PY' || exit 1
import json, os, sys
out, build, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
res = json.load(open(os.path.join(out, "results.json")))
for k in ("kernel", "cpu", "packages", "argv", "gen_cpu", "dut_cpus"):
    assert res["meta"].get(k) is not None, "results.json: meta has no %s" % k
assert res["commands"], "results.json: no commands recorded"
needs = {"xdp-native": "xdp/pathlab-xdp", "xdp-generic": "xdp/pathlab-xdp",
         "afxdp-user": "afxdp_port/pathlab-afxdp", "afxdp-hybrid": "afxdp_port/pathlab-afxdp",
         "dpdk-afxdp": "dpdk_app/pathlab-dpdk", "dpdk-hybrid": "dpdk_app/pathlab-dpdk",
         "ovs-afxdp": "ovs/pathlab-ofgen", "ovs-afxdp-xdp": "ovs/pathlab-ofgen", "linux": None,
         "ref-afxdp": "bench/pl-xskfwd"}
platform = ("refused XDP offload", "no NIC bound", "does not do")
rows = {}
for r in res["rows"]:
    rows.setdefault(r["path"], []).append(r)
bad = []
for p in ["linux", "xdp-native", "xdp-generic", "xdp-offload", "ref-xdp", "afxdp-user", "afxdp-hybrid",
          "ref-afxdp", "dpdk-afxdp", "dpdk-hybrid", "testpmd-io", "ref-testpmd", "ovs-afxdp", "ovs-afxdp-xdp",
          "ref-ovs", "dpdk-pmd"]:
    rs = [r for r in rows.get(p, []) if r["workload"] == "fwd"]
    if not rs:
        bad.append("%s: no fwd row" % p)
        continue
    for r in rs:
        if r["status"] == "ok":
            pl = r.get("placement") or {}
            for k in ("generator", "dut_rx_napi", "dut_budget"):
                if not pl.get(k):
                    bad.append("%s: placement has no %s" % (p, k))
            if not r.get("overload_mpps") or not r.get("accounting"):
                bad.append("%s: no throughput or accounting" % p)
            continue
        if not r.get("reason"):
            bad.append("%s: %s without a reason" % (p, r["status"]))
        built = p in needs and (needs[p] is None or os.path.exists(os.path.join(build, needs[p])))
        if built and not any(s in r.get("reason", "") for s in platform):
            bad.append("%s is built but %s: %s" % (p, r["status"], r.get("reason")))
for ref in ("ref-xdp", "ref-afxdp", "ref-testpmd", "ref-ovs"):
    if not any(r["status"] == "ok" for r in rows.get(ref, [])) and not any(
            "not installed" in r.get("reason", "") for r in rows.get(ref, [])):
        bad.append("reference row %s not measured" % ref)
wrong = [r for rs in rows.values() for r in rs if r["status"] == "ok" and r["correct"] != "OK"]
failed = [r for rs in rows.values() for r in rs if r["status"] == "failed"]
if (wrong or failed) and rc != 1:
    bad.append("a cell failed or was wrong but the exit status is %d" % rc)
if not wrong and not failed and rc != 0:
    bad.append("every cell measured and correct but the exit status is %d" % rc)
# every frame at the sink is counted by pl-sink itself, whatever the driver
trials = [json.loads(l) for l in open(os.path.join(out, "trials.jsonl"))]
odd = {t.get("delivered_from") for t in trials if t.get("delivered_from") != "pl-sink"}
if odd:
    bad.append("trials whose delivered count is not pl-sink's: %s" % odd)
if bad:
    print("FAIL:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("ok: %d rows, %d measured, %d wrong (on a loaded machine)" % (
    len(res["rows"]), sum(1 for rs in rows.values() for r in rs if r["status"] == "ok"), len(wrong)))
PY

# 1b. the jumbo fwd cell (--jumbo-fwd, on by default): after the path's
#     64-byte fwd cell, in the same process, the links at MTU 9000 for it and
#     back to 1500 after it; the paths that cannot carry it are n/a with the reason
timeout 200 "$SRC/bench/compare.sh" --paths linux,xdp-native,xdp-generic,ref-xdp,afxdp-user,afxdp-hybrid,ref-afxdp,dpdk-afxdp,dpdk-hybrid,testpmd-io \
	--workloads fwd --placements dut --repeat 1 --no-search --no-latency --overload-seconds 0.2 --warmup 0 \
	--no-bpf-stats --prefix plt-cs --out "$OUT/jumbo" >"$OUT/stdout5" 2>&1
rc=$?
[ $rc = 0 ] || { tail -20 "$OUT/stdout5"; fail "the jumbo fwd run exited $rc"; }
/usr/bin/python3 - "$OUT/jumbo" "$BUILD" <<'PY' || exit 1
import json, os, sys
out, build = sys.argv[1], sys.argv[2]
res = json.load(open(os.path.join(out, "results.json")))
needs = {"xdp-native": "xdp/pathlab-xdp", "xdp-generic": "xdp/pathlab-xdp", "ref-xdp": "bench/pl_ref.bpf.o",
         "afxdp-user": "afxdp_port/pathlab-afxdp", "afxdp-hybrid": "afxdp_port/pathlab-afxdp",
         "dpdk-hybrid": "dpdk_app/pathlab-dpdk", "linux": None}
rows = {}
for r in res["rows"]:
    rows.setdefault(r["path"], []).append(r)
bad = []
if res["meta"].get("jumbo_fwd") != {"size": 9018, "mtu": 9000}:
    bad.append("meta.jumbo_fwd: %s" % res["meta"].get("jumbo_fwd"))
for p in needs:
    r = [x for x in rows.get(p, []) if x.get("size") == 9018 and x["status"] == "ok"]
    if needs[p] and not os.path.exists(os.path.join(build, needs[p])):
        continue
    if not r:
        bad.append("%s: no measured 9018-byte fwd cell" % p)
    elif r[0].get("mtu") != 9000 or (r[0].get("setup") or {}).get("how") != "kept":
        bad.append("%s 9018 B: mtu %s, set-up %s (want 9000, the 64-byte cell's process kept)"
                   % (p, r[0].get("mtu"), r[0].get("setup")))
    elif r[0]["accounting"]["delivered"] <= 0:
        bad.append("%s 9018 B: nothing delivered" % p)
for p, why in (("ref-afxdp", "XDP_USE_SG"), ("dpdk-afxdp", "net_af_xdp"), ("testpmd-io", "net_af_xdp")):
    r = [x for x in rows.get(p, []) if x.get("size") == 9018]
    if not r or r[0]["status"] != "n/a" or why not in r[0].get("reason", ""):
        bad.append("%s 9018 B: want n/a naming %s, got %s" % (p, why, r and (r[0]["status"], r[0].get("reason"))))
trials = [json.loads(l) for l in open(os.path.join(out, "trials.jsonl"))]
if not any(t["size"] == 9018 for t in trials) or any(t["size"] not in (64, 9018) for t in trials):
    bad.append("trial sizes: %s" % sorted({t["size"] for t in trials}))
if bad:
    print("FAIL:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("ok: %d jumbo fwd cells measured in their 64-byte cells' processes at MTU 9000; n/a with reasons: %s" % (
    sum(1 for rs in rows.values() for r in rs if r.get("size") == 9018 and r["status"] == "ok"),
    ", ".join(sorted(p for p, rs in rows.items() for r in rs if r.get("size") == 9018 and r["status"] == "n/a"))))
PY

# 2. one process per path: pathlab-afxdp and pathlab-dpdk take the next
#    workload through their control sockets (pathlab-policy apply), and report
#    it (pathlab-policy show) before a trial; pathlab-dpdk keeps its process
#    into the next placement; a restart says why; PVP's pathlab-dpdk (on
#    virtio_user) too
if [ -x "$BUILD/afxdp_port/pathlab-afxdp" ] && [ -x "$BUILD/dpdk_app/pathlab-dpdk" ]; then
	pvp=""
	[ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ] && pvp=,pvp-pathlab
	timeout 200 "$SRC/bench/compare.sh" --paths "afxdp-user,dpdk-afxdp$pvp" --workloads drop,fwd --placements both \
		--jumbo-fwd 0 --repeat 1 --no-search --no-latency --overload-seconds 0.2 --prefix plt-cs --out "$OUT/live" \
		>"$OUT/stdout3" 2>&1
	rc=$?
	[ $rc = 0 ] || [ $rc = 1 ] || { tail -20 "$OUT/stdout3"; fail "the live-switch run exited $rc"; }
	/usr/bin/python3 - "$OUT/live" <<'PY' || exit 1
import json, os, sys
rows = json.load(open(os.path.join(sys.argv[1], "results.json")))["rows"]
cell = {(r["path"], r.get("variant"), r["workload"]): r for r in rows if r["status"] == "ok"}
bad = []
def setup(p, v, w):
    r = cell.get((p, v, w))
    if r is None:
        bad.append("%s@%s %s: not measured" % (p, v, w))
        return {}
    if not r.get("setup"):
        bad.append("%s@%s %s: no set-up record (how its DUT got the workload)" % (p, v, w))
    return r.get("setup") or {}
for p in ("afxdp-user", "dpdk-afxdp"):
    for v in ("dut", "napi-gen"):
        a, b = setup(p, v, "drop"), setup(p, v, "fwd")
        if not a or not b:
            continue
        if b.get("how") != "live switch":
            bad.append("%s@%s fwd: %s, not a live switch (%s)" % (p, v, b.get("how"), b.get("reason")))
        ra, rb = a.get("runs") or {}, b.get("runs") or {}
        if rb.get("policy") != "fwd.policy" or rb.get("mode") != "policy":
            bad.append("%s@%s fwd: the datapath reports %s" % (p, v, rb))
        if not ra.get("pid") or ra.get("pid") != rb.get("pid"):
            bad.append("%s@%s: drop ran in pid %s, fwd in pid %s" % (p, v, ra.get("pid"), rb.get("pid")))
a, b = setup("dpdk-afxdp", "dut", "fwd"), setup("dpdk-afxdp", "napi-gen", "drop")
if b and (b.get("how") != "live switch" or (a.get("runs") or {}).get("pid") != (b.get("runs") or {}).get("pid")):
    bad.append("dpdk-afxdp: a new process for the next placement: %s" % b)
b = setup("afxdp-user", "napi-gen", "drop")
if b and (b.get("how") != "start" or "busy-poll" not in b.get("reason", "")):
    bad.append("afxdp-user@napi-gen drop: started without its reason: %s" % b)
# PVP: pathlab-dpdk on virtio_user takes the next workload live as well
if any(r["path"] == "pvp-pathlab" for r in rows):
    a, b = setup("pvp-pathlab", "dut", "drop"), setup("pvp-pathlab", "dut", "fwd")
    rb = b.get("runs") or {}
    if b and (b.get("how") != "live switch" or rb.get("policy") != "pvp-fwd.policy" or rb.get("mode") != "policy"
              or rb.get("pid") != (a.get("runs") or {}).get("pid")):
        bad.append("pvp-pathlab fwd: not switched live in the drop cell's process: %s / %s" % (a, b))
    if any(r["path"] == "pvp-pathlab" and r.get("variant") == "napi-gen" for r in rows):
        bad.append("pvp-pathlab has a napi-gen row (PVP has one placement)")
if bad:
    print("FAIL:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("ok: the fwd cells ran in the drop cells' processes, switched live and reported by the datapath")
PY
fi

# 3. the exit status follows a path whose start fails
timeout 60 "$SRC/bench/compare.sh" --paths xdp-native --workloads drop --placements dut --repeat 1 --window 0.2 \
	--no-search --warmup 0 --prefix plt-cs --fail-start xdp-native --out "$OUT/failing" >"$OUT/stdout2" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$OUT/stdout2"; fail "a run whose path failed to start exited $rc, want 1"; }
grep -q '| pathlab-xdp native | dut | drop | FAILED |' "$OUT/failing/results.md" ||
	{ cat "$OUT/failing/results.md"; fail "the failing path's row does not say FAILED"; }

# 4. --out never overwrites
"$SRC/bench/compare.sh" --out "$OUT/all" >/dev/null 2>&1
rc=$?
[ $rc = 2 ] || fail "--out onto an existing directory exited $rc, want 2"
echo "ok: exit status 1 for a failing path, 2 for an existing --out"

# 4. route and responder: the route rows check TTL and checksum at the sink,
# the responder rows say whether the client was the limit
timeout 120 "$SRC/bench/compare.sh" --paths linux,xdp-native --workloads route,responder --placements dut \
	--repeat 1 --window 0.3 --no-search --warmup 0 --prefix plt-cr --out "$OUT/l3" >"$OUT/stdout4" 2>&1
rc=$?
/usr/bin/python3 - "$OUT/l3/results.json" "$rc" <<'PY' || { tail -20 "$OUT/stdout4"; fail "route/responder rows"; }
import json, sys
res = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
bad = []
got = {(r["path"], r["workload"]): r for r in res["rows"]}
for p in ("linux", "xdp-native"):
    r = got.get((p, "route"))
    if not r or r["status"] != "ok" or r.get("correct") != "OK":
        bad.append("%s route: %s" % (p, r and (r.get("reason") or r.get("correct_detail"))))
    r = got.get((p, "responder"))
    if not r or r["status"] != "ok" or r.get("correct") != "OK" or not r["krps"]["median"] > 0:
        bad.append("%s responder: %s" % (p, r and (r.get("reason") or r.get("correct_detail"))))
    elif not isinstance(r.get("client_limited"), bool) or not r["client"]["busy"]:
        bad.append("%s responder: no client CPU reading / client-limited flag" % p)
if rc != (1 if bad else 0):
    bad.append("exit status %d" % rc)
if bad:
    print("FAIL:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("ok: route (TTL 63, checksums right at the sink) and responder rows for linux and xdp-native")
PY
grep -q '| Linux (nftables netdev) | dut | .* | \(\*\*yes\*\*\|no\) | OK |' "$OUT/l3/results.md" ||
	{ cat "$OUT/l3/results.md"; fail "the responder table has no client-limited column for the Linux row"; }
