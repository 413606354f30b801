#!/bin/bash
# SPDX-License-Identifier: MIT
# Smoke run of bench/compare.sh --quick over every path (workload fwd, short
# windows) and checks of what it must produce:
#  - the Markdown table has a row for every path: measured, or n/a / FAILED
#    with a reason; a path whose binary is built is never FAILED;
#  - results.csv, results.json (with machine metadata and the commands),
#    results.md and at least one PNG are written and non-empty;
#  - the correctness column of every measured row is OK.
# Asserts nothing about speed (the machine is shared).
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PATHLAB_BUILD:-$SRC/build}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, XDP)"; exit 77; }
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot not installed (scripts/bootstrap.sh)"; exit 77; }
OUT=$(mktemp -d /tmp/plt-c-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

export PATHLAB_BUILD=$BUILD
timeout 170 "$SRC/bench/compare.sh" --quick --paths all --workloads fwd --search none --window 0.5 --warmup 0 \
	--out "$OUT" >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
cat "$OUT/stdout"
[ $rc = 0 ] || { tail -20 "$OUT/stderr"; fail "compare.sh exited $rc"; }

for f in results.md results.csv results.json raw.jsonl commands.txt meta.json; do
	[ -s "$OUT/$f" ] || fail "$f missing or empty"
done
ls "$OUT"/*.png >/dev/null 2>&1 || fail "no PNG chart written"
for p in "$OUT"/*.png; do [ -s "$p" ] || fail "$p is empty"; done
python3 - "$OUT" "$BUILD" <<'PY' || exit 1
import json, os, sys
out, build = sys.argv[1], sys.argv[2]
res = json.load(open(os.path.join(out, "results.json")))
meta = res["meta"]
for k in ("kernel", "cpu", "packages", "argv"):
    assert meta.get(k), "results.json: meta has no %s" % k
assert res["commands"], "results.json: no commands recorded"
built = {"linux": True, "xdp-native": "xdp/pathlab-xdp", "xdp-generic": "xdp/pathlab-xdp",
         "afxdp-user": "afxdp_port/pathlab-afxdp", "afxdp-hybrid": "afxdp_port/pathlab-afxdp",
         "dpdk-afxdp": "dpdk_app/pathlab-dpdk", "dpdk-hybrid": "dpdk_app/pathlab-dpdk",
         "ovs-afxdp": "ovs/pathlab-ofgen", "ovs-afxdp-xdp": "ovs/pathlab-ofgen"}
rows = {r["path"]: r for r in res["rows"] if r["workload"] == "fwd"}
table = open(os.path.join(out, "results.md")).read()
paths = ["linux", "xdp-native", "xdp-generic", "xdp-offload", "afxdp-user", "afxdp-hybrid", "ovs-afxdp",
         "ovs-afxdp-xdp", "dpdk-afxdp", "dpdk-hybrid", "testpmd-io", "testpmd-macswap", "dpdk-pmd"]
bad = []
for p in ["ceiling"] + paths:
    r = rows.get(p)
    if not r:
        bad.append("%s: no row" % p)
        continue
    if r["status"] in ("n/a", "failed"):
        if not r.get("reason"):
            bad.append("%s: %s without a reason" % (p, r["status"]))
        b = built.get(p)
        if r["status"] == "failed" and (b is True or (b and os.path.exists(os.path.join(build, b)))):
            bad.append("%s is built but FAILED: %s" % (p, r.get("reason")))
        continue
    if "mpps" not in r:
        bad.append("%s: no throughput" % p)
    if p != "ceiling" and r.get("correct") != "OK":
        bad.append("%s: correctness %s %s" % (p, r.get("correct"), r.get("correct_detail", "")))
n_rows = sum(1 for l in table.splitlines() if l.startswith("| ") and not l.startswith("| path |"))
if n_rows < len(paths) + 1:
    bad.append("results.md has %d rows, want %d" % (n_rows, len(paths) + 1))
if bad:
    print("FAIL:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("ok: %d rows, %d measured, all correct" % (n_rows, sum(1 for r in rows.values() if r["status"] == "ok")))
PY
