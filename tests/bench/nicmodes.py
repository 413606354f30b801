#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The NIC decides the modes, from recorded pl-nicprobe answers (no root):
r8169 -> generic XDP, AF_XDP copy, no native rows, no PMD before DPDK 24.11;
ENA at MTU 9001 with every channel in use -> native refused with its limits;
mlx5 -> native, zero-copy, multi-buffer, bifurcated PMD (no rebind); ENA's
bypass binds vfio-pci and restores ena; a state file left by a crashed run is
given back at the next start (a device that no longer exists: dropped).
   nicmodes.py SRC"""
import atexit
import json
import os
import shutil
import sys
import tempfile

SRC = sys.argv[1]
sys.path.insert(0, os.path.join(SRC, "bench"))
tmp = tempfile.mkdtemp(prefix="plt-nicmodes.")
atexit.register(shutil.rmtree, tmp, True)
os.environ["PL_BYPASS_STATE"] = os.path.join(tmp, "bypass.json")
from pathlab_bench import bypass, nicprobe  # noqa: E402

fails = []


def check(cond, what):
    if not cond:
        fails.append(what)


def probe(name):
    return nicprobe.choose(nicprobe.load(os.path.join(SRC, "tests/bench/probes/%s.probe" % name)))


class Ctx:
    pass


r = probe("r8169")
check(r["driver"] == "r8169", "r8169: driver")
check(r["modes"]["xdp"] == "generic" and r["modes"]["afxdp"] == "copy", "r8169: generic XDP, AF_XDP copy: %s" % r["modes"])
check(not r["modes"]["multibuffer"], "r8169: no multi-buffer")
for p in ("xdp-native", "ref-xdp"):
    check("r8169" in r["refused"].get(p, "") and "no native XDP" in r["refused"].get(p, ""),
          "r8169: %s refused with the driver's reason: %r" % (p, r["refused"].get(p)))
check("xdp-generic" not in r["refused"] and "afxdp-user" not in r["refused"], "r8169: generic and AF_XDP rows run")
c = Ctx()
c.nic = r
check(nicprobe.afxdp_args(c) == ["--xdp-mode", "generic", "--zero-copy", "off"],
      "r8169: pathlab-afxdp options %s" % nicprobe.afxdp_args(c))
b = bypass.plan(r, "0000:03:00.0", "enp3s0", 0, [1], dpdk="22.11.11-0+deb12u1")
check(b["refused"] and "24.11" in b["refused"], "r8169 on DPDK 22.11: PMD refused naming 24.11: %s" % b["refused"])
b = bypass.plan(r, "0000:03:00.0", "enp3s0", 0, [1], dpdk="24.11.2")
check(not b["refused"] and b["pmd"] == "net_r8169", "r8169 on DPDK 24.11: net_r8169")

e = probe("ena")
check(e["modes"]["xdp"] == "generic", "ena at MTU 9001, 8/8 channels: native refused")
why = e["refused"].get("xdp-native", "")
check("3498" in why and "combined 4" in why, "ena: the reason names the MTU limit and the channel fix: %r" % why)
b = bypass.plan(e, "0000:00:05.0", "ens5", 0, [1, 2], dpdk="22.11.11", local=False)
check(["dpdk-devbind.py", "--bind=vfio-pci", "0000:00:05.0"] in b["bind"], "ena: bind to vfio-pci: %s" % b["bind"])
check(b["restore"] == [["dpdk-devbind.py", "--bind=ena", "0000:00:05.0"]], "ena: restore to ena: %s" % b["restore"])
check("--nb-cores=2" in b["run"]["ref-testpmd"] and "-a" in b["run"]["ref-testpmd"], "ena: testpmd on the same PMD, 2 cores")

m = probe("mlx5")
check(m["modes"] == dict(m["modes"], xdp="native", afxdp="zero-copy", multibuffer=True, queues=16),
      "mlx5: native, zero-copy, multi-buffer, 16 queues: %s" % m["modes"])
check(not m["refused"].get("xdp-native"), "mlx5: native rows run")
b = bypass.plan(m, "0000:41:00.0", "enp65s0f0np0", 0, [1], dpdk="22.11")
check(b["bifurcated"] and not b["bind"] and not b["restore"], "mlx5: bifurcated, no rebind: %s" % b)

# bad input: a file that is not pl-nicprobe output
bad = os.path.join(tmp, "bad.probe")
open(bad, "w").write("hello\n")
try:
    nicprobe.load(bad)
    fails.append("a non-probe file was accepted")
except ValueError as ex:
    check("KEY=VALUE" in str(ex), "bad probe: message %s" % ex)

# a crashed run's state: restored (here: the device is gone, so dropped)
json.dump({"pci": "0000:7f:1f.7", "driver": "ena", "pid": 999999999}, open(bypass.STATE, "w"))
said = []
bypass.restore_leftover(None, False, said.append)
check(said and "no longer exists" in said[0], "leftover state: %s" % said)
check(not os.path.exists(bypass.STATE), "leftover state file removed")
open(bypass.STATE, "w").write("{not json")
try:
    bypass.restore_leftover(None, False, said.append)
    fails.append("a corrupt state file was accepted")
except RuntimeError as ex:
    check("dpdk-devbind.py --status" in str(ex), "corrupt state: message %s" % ex)

for f in fails:
    print("FAIL: " + f)
if fails:
    sys.exit(1)
print("ok: r8169, ena, mlx5 recorded probes -> modes, refusals, bypass plans; leftover state restored")
