# SPDX-License-Identifier: MIT
"""The bypass path: a DPDK PMD on the DUT port, and giving the port back.

plan() decides, from the probe and the installed DPDK, how the dpdk-pmd row
and its reference (dpdk-testpmd on the same PMD) get the port:
- bifurcated PMDs (mlx5): no rebind, the port stays on its kernel driver and
  the PMD is given the PCI address (-a);
- every other PMD: the port is bound to vfio-pci with dpdk-devbind.py and
  bound back to its kernel driver afterwards.
Before a bind the original driver is written to a state file; the harness
restores whatever a run left bound (Ctrl-C, a crash, kill -9) when it next
starts (restore_leftover), and removes the file once the port is back.
"""
import glob
import json
import os
import re
import subprocess
import time

STATE = os.environ.get("PL_BYPASS_STATE", "/run/pathlab/bypass.json")
SYSFS_PCI = "/sys/bus/pci/devices"
PCI_RE = re.compile(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")

# kernel driver -> (DPDK PMD, first DPDK release that has it, bifurcated)
PMDS = {
    "mlx5_core": ("net_mlx5", "17.02", True),
    "ena": ("net_ena", "16.04", False),
    "i40e": ("net_i40e", "2.0", False),
    "ice": ("net_ice", "19.02", False),
    "ixgbe": ("net_ixgbe", "2.0", False),
    "igb": ("net_e1000_igb", "2.0", False),
    "virtio-pci": ("net_virtio", "2.0", False),
    "virtio_net": ("net_virtio", "2.0", False),
    # RTL8125/8126 in 24.11 (doc.dpdk.org/guides-24.11/nics/r8169.html), RTL8168 later
    "r8169": ("net_r8169", "24.11", False),
}


def is_pci(s):
    return bool(PCI_RE.match(s or ""))


def _vers(s):
    return tuple(int(x) for x in re.findall(r"\d+", s)[:2])


def dpdk_version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "dpdk"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def pci_driver(pci):
    """The driver bound to a PCI device now ('' when none, None when no such device)."""
    d = os.path.join(SYSFS_PCI, pci)
    if not os.path.exists(d):
        return None
    link = os.path.join(d, "driver")
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else ""


def pci_netdev(pci):
    """The kernel interface of a PCI device (also one under a virtio device), or ''."""
    for pat in ("net/*", "*/net/*"):
        names = sorted(glob.glob(os.path.join(SYSFS_PCI, pci, pat)))
        if names:
            return os.path.basename(names[0])
    return ""


def plan(nic, pci, ifname, gen_cpu, dut_cpus, dpdk=None, local=True):
    """How the bypass rows get the port: commands to bind, run, restore; or why not.
    local: the port is on this host (its driver is read from sysfs), not a recorded one."""
    dpdk = dpdk_version() if dpdk is None else dpdk
    drv = (pci_driver(pci) if local else "") or nic["driver"]
    pmd, since, bifurcated = PMDS.get(drv, PMDS.get(nic["driver"], (None, None, False)))
    out = {"pci": pci, "kernel_driver": drv, "pmd": pmd, "dpdk": dpdk, "bifurcated": bifurcated,
           "bind": [], "restore": [], "run": {}, "refused": None}
    if not pci:
        out["refused"] = "the DUT port %s is not a PCI device (bus '%s'): no bypass PMD" % (ifname, nic["bus"])
        return out
    if not pmd:
        out["refused"] = "no DPDK PMD known for driver %s" % drv
        return out
    if not dpdk:
        out["refused"] = "DPDK not installed (apt-get install dpdk)"
        return out
    if _vers(dpdk) < _vers(since):
        out["refused"] = ("DPDK %s has no %s PMD: it arrived in DPDK %s" % (dpdk, pmd, since))
        return out
    lcores = "%d,%s" % (gen_cpu, ",".join(map(str, dut_cpus)))
    n = len(dut_cpus)
    if not bifurcated:
        out["bind"] = ([["ip", "link", "set", ifname, "down"]] if ifname else []) + [
            ["modprobe", "vfio-pci"], ["dpdk-devbind.py", "--bind=vfio-pci", pci]]
        out["restore"] = [["dpdk-devbind.py", "--bind=%s" % drv, pci]]
    out["run"] = {
        "dpdk-pmd": ["pathlab-dpdk", "-l", lcores, "--main-lcore", str(gen_cpu), "-a", pci, "--",
                     "--queues", str(n), "--policy", "POLICY"],
        "ref-testpmd": ["dpdk-testpmd", "-l", lcores, "--main-lcore", str(gen_cpu), "-a", pci, "--",
                        "--nb-cores=%d" % n, "--rxq=%d" % n, "--txq=%d" % n, "--forward-mode=rxonly", "-i"],
    }
    return out


def _write_state(st):
    os.makedirs(os.path.dirname(STATE), exist_ok=True)
    tmp = STATE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, STATE)


def bind(lab, bp):
    """Give the port to the PMD (state file first, so a crash leaves a way back)."""
    if not bp["bind"]:
        return
    _write_state({"pci": bp["pci"], "driver": bp["kernel_driver"], "pid": os.getpid(),
                  "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    lab.on_cleanup(lambda: restore(lab, bp["pci"], bp["kernel_driver"]))
    for argv in bp["bind"]:
        lab.run(argv, check=True, timeout=60)


def restore(lab, pci, driver):
    """Bind pci back to driver (if it is not there already); drop the state file."""
    now = pci_driver(pci)
    if now is None:
        msg = "%s no longer exists: nothing to give back to %s" % (pci, driver)
    elif now == driver:
        msg = "%s is on %s" % (pci, driver)
    else:
        rc, out, err = lab.run(["dpdk-devbind.py", "--bind=%s" % driver, pci], timeout=60)
        if rc != 0:
            raise RuntimeError("cannot give %s back to %s: %s (try: dpdk-devbind.py --bind=%s %s)"
                               % (pci, driver, (err or out).strip()[-200:], driver, pci))
        msg = "%s given back to %s (was %s)" % (pci, driver, now or "unbound")
    try:
        os.unlink(STATE)
    except FileNotFoundError:
        pass
    return msg


def leftover():
    """The state a run left behind (its process gone), or None."""
    try:
        with open(STATE) as f:
            st = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise RuntimeError("%s: unreadable (%s): remove it after checking `dpdk-devbind.py --status`" % (STATE, e))
    if not isinstance(st, dict) or not is_pci(st.get("pci", "")) or not st.get("driver"):
        raise RuntimeError("%s: not a bypass state (pci, driver): remove it after checking "
                           "`dpdk-devbind.py --status`" % STATE)
    pid = st.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and os.path.exists("/proc/%d" % pid):
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if b"pathlab_bench" in f.read():
                raise RuntimeError("another run (pid %d) holds %s: wait for it" % (pid, st["pci"]))
    return st


def restore_leftover(lab, dry_run, say):
    """At start: give back what an interrupted run left bound."""
    st = leftover()
    if not st:
        return None
    if dry_run:
        say("a previous run left %s off its driver %s (state %s): a real run first runs: "
            "dpdk-devbind.py --bind=%s %s" % (st["pci"], st["driver"], STATE, st["driver"], st["pci"]))
        return st
    say("a previous run left state in %s: %s" % (STATE, restore(lab, st["pci"], st["driver"])))
    return st
