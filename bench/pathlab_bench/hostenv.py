# SPDX-License-Identifier: MIT
"""The environment is part of the result: what the DUT port and the host were
set to during a run, and the port's own counters around each cell.

record() returns, per DUT port: IRQ affinity of its queues, ring sizes,
channels, offloads, NUMA node; for the host: CPU frequency governor, SMT,
isolated CPUs. What a device does not have is "n/a (reason)", never left out.
nic_stats() / stats_delta() give `ethtool -S` before and after a cell; the
changed counters are stored in the cell's row (a loss is then attributed to
the NIC, the driver or the DUT).
"""
import os
import subprocess

from . import netns


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _run(ns, argv):
    full = (["ip", "netns", "exec", ns] if ns else []) + argv
    try:
        p = subprocess.run(full, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 1, str(e)
    return p.returncode, (p.stdout if p.returncode == 0 else (p.stderr or p.stdout)).strip()


def _na(why):
    return "n/a (%s)" % why


def _ethtool(ns, opt, ifname):
    rc, out = _run(ns, ["ethtool", opt, ifname])
    if rc != 0:
        return _na("ethtool %s %s: %s" % (opt, ifname, out.splitlines()[-1] if out else "refused"))
    return out


def _sections(text):
    """ethtool -g/-l output -> {section: {key: value}}."""
    res, cur = {}, None
    for line in text.splitlines():
        if line.endswith(":") and ":" not in line[:-1]:
            cur = line[:-1].strip()
            res[cur] = {}
        elif ":" in line and cur:
            k, v = line.split(":", 1)
            res[cur][k.strip()] = v.strip()
    return res


def irqs(ifname):
    """{irq: (name, affinity list)} of the interrupts named after ifname."""
    out = {}
    text = _read("/proc/interrupts") or ""
    for line in text.splitlines()[1:]:
        f = line.split()
        if not f or not f[0].rstrip(":").isdigit():
            continue
        name = f[-1]
        if name == ifname or name.startswith(ifname + "-") or ("@" + ifname) in name:
            n = f[0].rstrip(":")
            out[n] = {"name": name, "affinity": _read("/proc/irq/%s/smp_affinity_list" % n)}
    return out


def port(ns, ifname):
    base = "/sys/class/net/%s" % ifname
    e = {}
    rc, drv = _run(ns, ["ethtool", "-i", ifname])
    e["driver"] = dict(l.split(": ", 1) for l in drv.splitlines() if ": " in l).get("driver", "?") if rc == 0 else "?"
    q = irqs(ifname) if not ns else {}
    e["irq_affinity"] = q or _na("no interrupts of %s in /proc/interrupts (%s)" % (
        ifname, "a virtual device: its receive runs in NAPI/softirq" if e["driver"] in ("veth", "?")
        else "in another namespace, or MSI-X names differ"))
    g = _ethtool(ns, "-g", ifname)
    e["rings"] = _sections(g).get("Current hardware settings", g) if not g.startswith("n/a") else g
    ch = _ethtool(ns, "-l", ifname)
    e["channels"] = _sections(ch).get("Current hardware settings", ch) if not ch.startswith("n/a") else ch
    k = _ethtool(ns, "-k", ifname)
    if not k.startswith("n/a"):
        k = {a.strip(): b.split()[0] for a, b in (l.split(":", 1) for l in k.splitlines()[1:] if ":" in l)
             if b.split()}
    e["offloads"] = k
    if ns:
        rc, numa = _run(ns, ["cat", base + "/device/numa_node"])
    else:
        numa = _read(base + "/device/numa_node")
        rc = 0 if numa is not None else 1
    e["numa_node"] = numa if rc == 0 and numa else _na("%s has no device in sysfs (virtual)" % ifname)
    return e


def host():
    govs = {}
    for c in sorted(os.listdir("/sys/devices/system/cpu")):
        if c.startswith("cpu") and c[3:].isdigit():
            g = _read("/sys/devices/system/cpu/%s/cpufreq/scaling_governor" % c)
            govs[c] = g if g else _na("no cpufreq driver (virtual machine or firmware control)")
    smt = _read("/sys/devices/system/cpu/smt/active")
    iso = _read("/sys/devices/system/cpu/isolated")
    return {"governor": govs,
            "smt": ("on" if smt == "1" else "off") if smt is not None else _na("no /sys/devices/system/cpu/smt"),
            "isolated_cpus": iso if iso else "none",
            "cmdline": _read("/proc/cmdline") or ""}


def record(ns, ifnames):
    return {"host": host(), "ports": {i: port(ns, i) for i in ifnames}}


def nic_stats(ns, ifname):
    """ethtool -S as {counter: value}, or None when the driver has none
    (read by the harness in the namespace, else with ethtool)."""
    st = netns.ethtool(ns, ifname)
    if st:
        return st
    rc, out = _run(ns, ["ethtool", "-S", ifname])
    if rc != 0:
        return None
    st = {}
    for line in out.splitlines()[1:]:
        if ":" in line:
            k, v = line.rsplit(":", 1)
            try:
                st[k.strip()] = int(v)
            except ValueError:
                pass
    return st


def stats_delta(before, after):
    """The counters that changed in a cell (after - before)."""
    if before is None or after is None:
        return _na("ethtool -S gives no statistics for this device")
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
