#!/bin/bash
# SPDX-License-Identifier: MIT
# A short jumbo cell of bench/compare.sh: --sizes 9018 brings the topology up
# with MTU 9000 and measures the fwd workload with 9018-byte frames on a path
# that carries them (pathlab-xdp native, frags-aware); paths that cannot
# carry them are n/a with the reason (bare AF_XDP without XDP_USE_SG, DPDK's
# net_af_xdp). Checks:
#  - the run records frame size 9018 and MTU 9000; every trial sent 9018-byte
#    frames; the xdp-native row is measured, correct, and frames reached the
#    sink (they cross links with MTU 9000 whole);
#  - the n/a rows name what is missing; the table says the size, the MTU and
#    Gbit/s;
#  - --sizes outside 64..9018 or not a number: exit 2 with what to give.
# Asserts nothing about speed (the machine is shared).
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PATHLAB_BUILD:-$SRC/build}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "namespaces, XDP"
OUT=$PL_TMP
export PATHLAB_BUILD=$BUILD

for bad in 63 9019 1k; do
	"$SRC/bench/compare.sh" --sizes "$bad" --out "$OUT/bad" >"$OUT/bad.out" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "--sizes $bad exited $rc, want 2"
	grep -q -- "--sizes" "$OUT/bad.out" || { cat "$OUT/bad.out"; fail "--sizes $bad: the error does not name --sizes"; }
done

timeout 200 "$SRC/bench/compare.sh" --sizes 9018 --paths xdp-native,ref-afxdp,dpdk-afxdp --workloads fwd \
	--placements dut --repeat 1 --no-search --overload-seconds 0.3 --warmup 0 --no-bpf-stats --prefix plt-cj \
	--out "$OUT/run" >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
cat "$OUT/stdout"
[ $rc = 0 ] || { tail -20 "$OUT/stderr"; fail "compare.sh --sizes 9018 exited $rc"; }
/usr/bin/python3 - "$OUT/run" <<'PY' || exit 1
import json, os, sys
out = sys.argv[1]
res = json.load(open(os.path.join(out, "results.json")))
m = res["meta"]
bad = []
if m.get("frame_sizes") != [9018] or m.get("mtu") != 9000:
    bad.append("meta: frame_sizes %s, mtu %s (want [9018], 9000)" % (m.get("frame_sizes"), m.get("mtu")))
if not any("--mtu 9000" in c.get("cmd", "") for c in res["commands"]):
    bad.append("pl-topo was not brought up with --mtu 9000")
rows = {r["path"]: r for r in res["rows"]}
x = rows.get("xdp-native")
if not x or x["status"] != "ok" or x.get("size") != 9018 or x.get("correct") != "OK":
    bad.append("xdp-native 9018 B fwd not measured and correct: %s" % (x and {k: x.get(k) for k in
                                                                       ("status", "size", "correct", "reason")}))
elif x["accounting"]["delivered"] <= 0 or x["accounting"]["unaccounted"] != 0:
    bad.append("xdp-native: %s" % x["accounting"])
for p, why in (("ref-afxdp", "XDP_USE_SG"), ("dpdk-afxdp", "net_af_xdp")):
    r = rows.get(p)
    if not r or r["status"] != "n/a" or why not in r.get("reason", "") or r.get("size") != 9018:
        bad.append("%s: want n/a naming %s, got %s" % (p, why, r and (r["status"], r.get("reason"))))
trials = [json.loads(l) for l in open(os.path.join(out, "trials.jsonl"))]
if not trials or any(t["size"] != 9018 for t in trials) or not all(t["sent"] > 0 for t in trials):
    bad.append("trials: sizes %s, sent %s" % ({t["size"] for t in trials}, [t["sent"] for t in trials]))
md = open(os.path.join(out, "results.md")).read()
for s in ("9018-byte frames (MTU 9000", "Gbit/s"):
    if s not in md:
        bad.append("results.md does not say '%s'" % s)
if bad:
    print("FAIL:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("ok: xdp-native fwd at 9018 B: %d frames delivered of %d sent; n/a: ref-afxdp, dpdk-afxdp" % (
    x["accounting"]["delivered"], x["accounting"]["sent"]))
PY
