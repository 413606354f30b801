# SPDX-License-Identifier: MIT
"""A real DUT port (--dut-if IF or a PCI address): resolve it, refuse the
management interface, and lay out the plan (modes per path, bypass commands).

Safety: the interface that carries a default route (IPv4 or IPv6) or the ssh
session this runs in (the server address of SSH_CONNECTION) is refused unless
--force: an XDP program or a rebind there cuts the machine off.
"""
import json
import os
import subprocess

from . import bypass, nicprobe


class Refused(Exception):
    """A usage error with a message for the user (exit status 2)."""


def _ip_json(argv):
    try:
        out = subprocess.run(["ip", "-j"] + argv, capture_output=True, text=True, timeout=10).stdout
        return json.loads(out or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return []


def management_ifs():
    """{interface: why it is the machine's way in} in the root namespace."""
    found = {}
    for fam in ("-4", "-6"):
        for r in _ip_json([fam, "route", "show", "default"]):
            if r.get("dev"):
                found.setdefault(r["dev"], "it carries the default route (%s via %s)"
                                 % ("IPv4" if fam == "-4" else "IPv6", r.get("gateway", "?")))
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    if len(ssh) == 4:
        for a in _ip_json(["addr", "show"]):
            for ai in a.get("addr_info", []):
                if ai.get("local") == ssh[2]:
                    found[a["ifname"]] = "it carries this ssh session (SSH_CONNECTION: %s port %s)" % (ssh[2], ssh[3])
    return found


def resolve(arg, recorded):
    """(ifname, pci) of --dut-if ARG. A recorded probe stands for a port of
    another host: its PCI address and name need not exist here."""
    if bypass.is_pci(arg):
        pci = arg.lower()
        drv = bypass.pci_driver(pci)
        if drv is None and not recorded:
            raise Refused("--dut-if %s: no such PCI device here (see `dpdk-devbind.py --status-dev net`)" % arg)
        ifname = bypass.pci_netdev(pci) or (recorded.get("IFNAME", "") if recorded else "")
        return ifname, pci
    if not os.path.exists("/sys/class/net/%s" % arg):
        if recorded:
            return arg, recorded.get("BUS", "") if bypass.is_pci(recorded.get("BUS", "")) else ""
        raise Refused("--dut-if %s: no such interface in the root namespace (see `ip link`), nor a PCI "
                      "address like 0000:03:00.0" % arg)
    dev = os.path.realpath("/sys/class/net/%s/device" % arg)
    pci = ""
    for part in reversed(dev.split("/")):
        if bypass.is_pci(part):
            pci = part
            break
    return arg, pci


def guard(ifname, pci, force, arg=""):
    """Refuse the management interface unless forced; returns a warning or None."""
    mgmt = management_ifs()
    names = {ifname} if ifname else set()
    if pci:
        n = bypass.pci_netdev(pci)
        if n:
            names.add(n)
    for n in sorted(names):
        if n in mgmt:
            msg = ("--dut-if %s: refused: interface %s is this machine's way in: %s. Give the DUT a port of its "
                   "own; --force overrides (the machine may become unreachable)" % (arg or ifname or pci, n, mgmt[n]))
            if not force:
                raise Refused(msg)
            return "forced: " + msg
    return None


def plan(lab, arg, probe_file, force, gen_cpu, dut_cpus):
    """Everything decided before a real port is touched."""
    recorded = nicprobe.load(probe_file) if probe_file else None
    ifname, pci = resolve(arg, recorded)
    warning = guard(ifname, pci, force, arg)
    if recorded:
        probe = recorded
    elif ifname and os.path.exists("/sys/class/net/%s" % ifname):
        probe = nicprobe.live(lab, ifname)
    else:
        # a PCI device without a kernel interface (bound to vfio-pci already)
        drv = bypass.pci_driver(pci) or ""
        probe = {"DRIVER": drv, "XDP_NATIVE": "0", "BUS": pci, "NOTE": "no kernel interface (driver %s)" % drv,
                 "_source": "sysfs: %s has no kernel interface" % pci}
    nic = nicprobe.choose(probe)
    if not pci and bypass.is_pci(nic["bus"]):
        pci = nic["bus"]
    bp = bypass.plan(nic, pci, ifname, gen_cpu, dut_cpus, local=not recorded)
    nic["refused"] = dict(nic["refused"])
    if bp["refused"]:
        nic["refused"]["dpdk-pmd"] = bp["refused"]
    if not ifname:
        for name in ("linux", "xdp-native", "xdp-generic", "ref-xdp", "afxdp-user", "afxdp-hybrid",
                     "dpdk-afxdp", "dpdk-hybrid", "testpmd-io"):
            nic["refused"].setdefault(name, "the port %s has no kernel interface (bound to %s): kernel "
                                            "and AF_XDP paths need one" % (pci, bypass.pci_driver(pci) or "?"))
    return {"dut_if": arg, "ifname": ifname, "pci": pci, "nic": nic, "bypass": bp, "warning": warning}


def dry_run_text(p):
    """The plan as a person reads it, with every command a real run would run."""
    q = lambda argv: " ".join(argv)
    nic, bp = p["nic"], p["bypass"]
    m = nic["modes"]
    lines = ["DUT port: %s%s, driver %s %s (probe %s)" % (p["ifname"] or "-", " (PCI %s)" % p["pci"] if p["pci"] else "",
                                                         nic["driver"], nic["version"], nic["source"])]
    if p["warning"]:
        lines.append("warning: " + p["warning"])
    lines.append("modes: XDP %s; AF_XDP %s over %s XDP; multi-buffer %s; queues %d of %d; MTU %d" % (
        m["xdp"], m["afxdp"], m["afxdp_xdp"], "yes" if m["multibuffer"] else "no", m["queues"], m["max_queues"],
        m["mtu"]))
    for name, mode in sorted(nic["per_path"].items()):
        if name not in nic["refused"]:
            lines.append("  %-13s %s" % (name, mode))
    for name, why in sorted(nic["refused"].items()):
        lines.append("  %-13s n/a: %s" % (name, why))
    if bp["refused"]:
        lines.append("bypass: n/a: %s" % bp["refused"])
    else:
        lines.append("bypass: PMD %s on DPDK %s, %s" % (bp["pmd"], bp["dpdk"], "bifurcated: no rebind, the port "
                     "stays on %s" % bp["kernel_driver"] if bp["bifurcated"] else "bound to vfio-pci, then back to %s"
                     % bp["kernel_driver"]))
        if bp["bind"]:
            lines.append("  state file (original driver, for a restore after a crash): %s" % bypass.STATE)
        for argv in bp["bind"]:
            lines.append("  bind:    " + q(argv))
        for name, argv in sorted(bp["run"].items()):
            lines.append("  %-8s %s" % (name + ":", q(argv)))
        for argv in bp["restore"]:
            lines.append("  restore: " + q(argv))
    return "\n".join(lines) + "\n"


def run(a, say):
    """compare.sh --dut-if --dry-run: the plan of a run through a real port."""
    try:
        bypass.restore_leftover(None, True, say)
        p = plan(None, a.dut_if, a.nic_probe, a.force, a.gen_cpu, a.dut_cpus)
    except (Refused, ValueError, RuntimeError) as e:
        say(str(e))
        return 2
    print(dry_run_text(p), end="")
    if a.out:
        os.makedirs(a.out)
        with open(os.path.join(a.out, "plan.json"), "w") as f:
            json.dump(p, f, indent=1)
    return 0


def _port(arg, opt, force):
    """The kernel interface of a DUT port given as IF or PCI, guarded."""
    ifname, pci = resolve(arg, None)
    if not ifname:
        raise Refused("%s %s: the port has no kernel interface (driver %s): a measured run needs one"
                      % (opt, arg, bypass.pci_driver(pci) or "none"))
    return ifname, guard(ifname, pci, force, arg)


def prepare(a, lab, say):
    """A measured run through real ports: everything checked before one is
    touched; returns {"topology": RealTopology (not up yet), "meta": {...}}."""
    from .realtopo import RealTopology
    p = plan(lab, a.dut_if, a.nic_probe, a.force, a.gen_cpu, a.dut_cpus)
    if not p["ifname"]:
        raise Refused("--dut-if %s: the port has no kernel interface (driver %s): a measured run needs one"
                      % (a.dut_if, bypass.pci_driver(p["pci"]) or "none"))
    out_if, w_out = _port(a.dut_out_if, "--dut-out-if", a.force)
    warnings = [w for w in (p["warning"], w_out) if w]
    if not a.gen_host:
        # this host's ports go into a namespace for the run: never its way in
        for g in a.gen_if:
            if not os.path.exists("/sys/class/net/%s" % g):
                raise Refused("--gen-if %s: no such interface here (without --gen-host the generator's ports "
                              "are this host's)" % g)
            w = guard(g, "", a.force, g)
            if w:
                warnings.append(w)
    for w in warnings:
        say("warning: " + w)
    topo = RealTopology(lab, p["ifname"], out_if, a.gen_if, a.gen_host, a.ssh_config, a.gen_bindir,
                        a.dut_cpus if a.tune else None, a.force)
    return {"topology": topo, "meta": {"dut_if": a.dut_if, "dut_in": p["ifname"], "dut_out": out_if,
                                        "pci": p["pci"], "gen_if": a.gen_if, "gen_host": a.gen_host or None,
                                        "warnings": warnings, "bypass": p["bypass"]}}


def after_up(topo):
    """What meta.json records once the real topology is up."""
    return {"generator_host": topo.far.describe(), "tune": topo.tuned if topo.tune_cpus else "off",
            "saved_settings": len(topo.saved.steps)}


def not_here(path):
    """Why a path is not driven through real ports (None: it is)."""
    if path.name == "dpdk-pmd":
        return ("the bypass PMD's bind is shown by --dry-run; a measured run does not bind the port to vfio-pci "
                "yet")
    if type(path).__module__.endswith("paths_ovs"):
        return "the OVS rows run on the veth topology only (their bridges live in the DUT namespace)"
    return None
