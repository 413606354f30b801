# SPDX-License-Identifier: MIT
"""A run through real ports: the DUT's two ports on this host, the generator
and the sink on two ports of the generator host.

    generator host                      this host (DUT)
    GEN_IF  (pl-gen)   ---- cable ---->  DUT_IN_IF  (--dut-if)
    SINK_IF (pl-sink)  <--- cable -----  DUT_OUT_IF (--dut-out-if)

The generator host is reached through a transport (transport.py): ssh to a
second host (--gen-host), or a namespace of this host that the run makes and
moves --gen-if's ports into (one host, two cabled port pairs). Everything
else (trials, counters, the paths) is the code of the veth runs: this class
answers like lab.Topology, with the DUT role in the root namespace.

Safety (realport.guard before anything is touched): the interface of the
default route or of the ssh session is refused unless --force. A DUT port
that already has an XDP program is refused (detaching at the end would take
someone else's). Every setting the run changes on a DUT port (threaded NAPI,
busy-poll settings, link state, --tune) is saved first as an undo step of
the run's state file, and XDP is detached from both ports at the end, also
by the watchdog after kill -9.
"""
import json
import os
import re

from . import tune
from .hostenv import _read
from .lab import Error, Topology
from .transport import Netns, Ssh
from .where import layout

# addresses the generated traffic carries (nothing on the hosts answers them)
ADDR = {"GEN": ("10.0.1.1", "fd00:0:0:1::1"), "DUT_IN": ("10.0.1.2", "fd00:0:0:1::2"),
        "DUT_OUT": ("10.0.2.1", "fd00:0:0:2::1"), "SINK": ("10.0.2.2", "fd00:0:0:2::2")}
# per-device settings the paths change on the DUT ports (placement.py)
PORT_FILES = ("threaded", "napi_defer_hard_irqs", "gro_flush_timeout")


def xdp_attached(ifname):
    """The id of an XDP program on ifname (root namespace), or None."""
    import subprocess
    try:
        out = subprocess.run(["ip", "-j", "-d", "link", "show", "dev", ifname], capture_output=True, text=True,
                             timeout=10).stdout
        xdp = json.loads(out or "[{}]")[0].get("xdp") or {}
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None
    if xdp.get("prog", {}).get("id"):
        return xdp["prog"]["id"]
    for a in xdp.get("attached") or []:
        if a.get("prog", {}).get("id"):
            return a["prog"]["id"]
    return None


class RealTopology(Topology):
    """The lab.Topology of a real-port run (DUT role: this host's root namespace)."""

    def __init__(self, lab, dut_in, dut_out, gen_ifs, gen_host="", ssh_config="", gen_bindir="", tune_cpus=None,
                 force=False):
        Topology.__init__(self, lab, "real", "real")
        self.dut_in, self.dut_out = dut_in, dut_out
        self.gen_ifs = gen_ifs
        self.gen_host = gen_host
        self.ssh_config = ssh_config
        self.gen_bindir = gen_bindir
        self.tune_cpus = tune_cpus
        self.force = force
        self.saved = tune.Saved(lab)
        self.tuned = None
        self.gen_ns = ""
        self.far = None

    # --- bring up / down -----------------------------------------------------
    def up(self):
        lab = self.lab
        for role, i in (("--dut-if", self.dut_in), ("--dut-out-if", self.dut_out)):
            if not os.path.exists("/sys/class/net/%s" % i):
                raise Error("%s %s: no such interface in the root namespace (see `ip link`)" % (role, i))
            pid = xdp_attached(i)
            if pid:
                raise Error("%s %s: an XDP program (id %s) is attached already: the run would detach it at the "
                            "end; detach it (`ip link set dev %s xdp off`) or give another port" % (role, i, pid, i))
        if self.dut_in == self.dut_out:
            raise Error("--dut-if and --dut-out-if must be two ports")
        lab.topos.append(self)
        self.saved.add(["nft", "delete", "table", "netdev", "plt_b"])
        # from here on every change has its undo step recorded first
        pxdp = layout.tool("xdp/pathlab-xdp")
        for i in (self.dut_in, self.dut_out):
            if os.access(pxdp, os.X_OK):
                # its pins under /sys/fs/bpf/pathlab/IF (a killed `run` leaves them)
                self.saved.add([pxdp, "detach", i])
            for argv in (["ip", "link", "set", "dev", i, "xdp", "off"],
                         ["ip", "link", "set", "dev", i, "xdpgeneric", "off"]):
                self.saved.add(argv)
            self.saved.add(["sh", "-c", "rm -rf /sys/fs/bpf/plt_ref_%s" % i])
            for f in PORT_FILES:
                path = "/sys/class/net/%s/%s" % (i, f)
                old = _read(path)
                if old is not None:
                    self.saved.add(["sh", "-c", "echo %s > %s" % (old, path)])
            if "UP" not in self._flags(i):
                self.saved.add(["ip", "link", "set", "dev", i, "down"])
                lab.run(["ip", "link", "set", "dev", i, "up"], check=True)
        if self.tune_cpus:
            self.tuned = {i: tune.apply(lab, self.saved, i, self.tune_cpus) for i in (self.dut_in, self.dut_out)}
        self._far_side()
        info = {"NAME": self.name, "TOPO": "real", "REAL_NIC": "1", "NAMESPACES": self.gen_ns,
                "DUT_IN_NS": "", "DUT_OUT_NS": "", "DUT_IN_IF": self.dut_in, "DUT_OUT_IF": self.dut_out,
                "GEN_IF": self.gen_ifs[0], "SINK_IF": self.gen_ifs[1], "NS_GEN": self.gen_ns,
                "NS_SINK": self.gen_ns, "NS_DUT": ""}
        for ep, i in (("DUT_IN", self.dut_in), ("DUT_OUT", self.dut_out)):
            info[ep + "_MAC"] = _read("/sys/class/net/%s/address" % i)
            info[ep + "_IFINDEX"] = _read("/sys/class/net/%s/ifindex" % i)
        for ep, i in (("GEN", self.gen_ifs[0]), ("SINK", self.gen_ifs[1])):
            rc, out, err = self.far.run(["cat", "/sys/class/net/%s/address" % i, "/sys/class/net/%s/ifindex" % i],
                                        quiet=True, timeout=20)
            if rc != 0:
                raise Error("--gen-if %s: no such interface on the generator host (%s): %s"
                            % (i, self.far.describe(), (err or out).strip()[-160:]))
            info[ep + "_MAC"], info[ep + "_IFINDEX"] = out.split()[:2]
        for ep, (a4, a6) in ADDR.items():
            info[ep + "_IP4"], info[ep + "_IP6"] = a4, a6
        self.info = info

    @staticmethod
    def _flags(i):
        import subprocess
        out = subprocess.run(["ip", "-o", "link", "show", "dev", i], capture_output=True, text=True).stdout
        m = re.search(r"<([^>]*)>", out)
        return m.group(1).split(",") if m else []

    def _far_side(self):
        """The generator host: connect (ssh) or make the namespace (one host)."""
        lab = self.lab
        if self.gen_host:
            self.far = Ssh(lab, self.gen_host, self.ssh_config, os.path.dirname(lab.state.file))
            self.far.connect()
            self._far_guard()
            # pl-sink's counts file there: removed at the end, or by the
            # watchdog (its own ssh connection) when the harness is killed
            lab.record("undo", self.far.undo_argv(["rm", "-f", self.sink_counts_path()]))
        else:
            self.gen_ns = lab.prefix + "-gh"
            if os.path.exists("/run/netns/" + self.gen_ns):
                raise Error("namespace %s exists (a leftover? `bench/compare.sh cleanup`)" % self.gen_ns)
            for i in self.gen_ifs:
                if not os.path.exists("/sys/class/net/%s" % i):
                    raise Error("--gen-if %s: no such interface in the root namespace" % i)
            # undo (newest first): the ports go back, then the namespace goes
            self.saved.add(["ip", "netns", "del", self.gen_ns])
            lab.run(["ip", "netns", "add", self.gen_ns], check=True)
            # the run's own namespace: only the generator's frames cross the cables
            lab.run(["ip", "netns", "exec", self.gen_ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                     "net.ipv6.conf.default.disable_ipv6=1"], quiet=True)
            for i in self.gen_ifs:
                self.saved.add(["ip", "-n", self.gen_ns, "link", "set", "dev", i, "netns", "1"])
                lab.run(["ip", "link", "set", "dev", i, "netns", self.gen_ns], check=True)
            self.far = Netns(lab, self.gen_ns)
        for t in ("pl-gen", "pl-sink"):
            rc, _, _ = self.far.run(["test", "-x", self.tool(t)], quiet=True, timeout=20)
            if rc != 0:
                raise Error("%s is not at %s on the generator host (%s): install pathlab there (same path), or "
                            "give --gen-bindir DIR" % (t, self.tool(t), self.far.describe()))
        # the far ports up; on the far host these are the lab's own ports
        for i in self.gen_ifs:
            self.far.run(["ip", "link", "set", "dev", i, "up"], quiet=True, timeout=20)

    def _far_guard(self):
        """Refuse the generator host's way in (its default route, this ssh
        session) as --gen-if, unless --force."""
        rc, out, _ = self.far.lab.run(self.far.base() + [self.far.dest, "--",
                                      "ip -o route show default; ip -o -6 route show default; "
                                      "echo \"ssh $SSH_CONNECTION\"; ip -o addr show"], quiet=True, timeout=20,
                                      stdin="")
        mgmt = {}
        server = ""
        for line in out.splitlines():
            f = line.split()
            if f[:1] == ["default"] and "dev" in f:
                mgmt.setdefault(f[f.index("dev") + 1], "it carries the generator host's default route")
            elif f[:1] == ["ssh"] and len(f) == 5:
                server = f[3]
        for line in out.splitlines():
            f = line.split()
            if len(f) > 3 and f[2] in ("inet", "inet6") and f[3].split("/")[0] == server:
                mgmt[f[1]] = "it carries this ssh session (%s)" % server
        for g in self.gen_ifs:
            if g in mgmt:
                msg = ("--gen-if %s: refused: on %s it is the way in: %s; --force overrides" % (g, self.gen_host,
                                                                                                  mgmt[g]))
                if not self.force:
                    raise Error(msg)

    def tool(self, name):
        return os.path.join(self.gen_bindir, name) if self.gen_bindir else layout.tool("bench/" + name)

    def down(self):
        if self not in self.lab.topos:
            return
        self.lab.topos.remove(self)
        if self.far is not None:
            if self.far.kind == "ssh":
                self.far.run(["rm", "-f", self.sink_counts_path()], quiet=True, timeout=10)
            self.far.close()
        self.saved.restore()

    # --- the lab.Topology interface -----------------------------------------
    def ns(self, role):
        return "" if role == "dut" else self.gen_ns

    def _far_role(self, role):
        return role in ("gen", "sink")

    def exec_argv(self, role, argv):
        if self._far_role(role):
            return self.far.argv(argv)
        return list(argv)

    def nsrun(self, role, argv, **kw):
        if self._far_role(role):
            return self.far.run(argv, **kw)
        return self.lab.run(list(argv), **kw)

    xrun = nsrun

    def start(self, role, argv, log, **kw):
        if self._far_role(role):
            proc = self.far.start(argv, log)
            proc.far = True
            return proc
        return self.lab.start(list(argv), log, **kw)

    def stop_proc(self, proc):
        if getattr(proc, "far", False):
            self.far.stop(proc)
        else:
            self.lab.stop(proc)

    def signal(self, proc, comm, sig):
        if getattr(proc, "far", False):
            return self.far.signal(proc, comm, sig)
        return Topology.signal(self, proc, comm, sig)

    def gen_args(self):
        t = self.info
        return ["-i", t["GEN_IF"], "--src-mac", t["GEN_MAC"], "--dst-mac", t["DUT_IN_MAC"],
                "--src-ip", t["GEN_IP4"], "--dst-ip", t["SINK_IP4"]]

    def local_ns(self, role):
        if self._far_role(role):
            # the generator's ports in a namespace of this host; another host's: None
            return self.gen_ns if self.far is not None and self.far.kind != "ssh" and self.gen_ns else None
        return ""

    def sink_counts_path(self):
        if self.far is not None and self.far.kind == "ssh":
            return "/tmp/%s-sink.counts" % self.lab.prefix
        return Topology.sink_counts_path(self)

    def read_file(self, role, path):
        if self._far_role(role) and self.far is not None and self.far.kind == "ssh":
            rc, out, _ = self.far.run(["cat", path], quiet=True, timeout=5)
            return out if rc == 0 else ""
        return Topology.read_file(self, role, path)

    def set_threaded(self, role, ifname, on):
        if self._far_role(role):
            self.far.sh("echo %d > /sys/class/net/%s/threaded" % (1 if on else 0, ifname), quiet=True, timeout=20)
        else:
            Topology.set_threaded(self, role, ifname, on)

    def pin_napi(self, ifname, cpu, fifo=0):
        if ifname in self.gen_ifs:
            # the generator host's NAPI threads, found there by name
            want = ("napi/%s-" % ifname)[:15]
            script = ("for f in /proc/[0-9]*/comm; do read -r c < $f 2>/dev/null || continue; case $c in %s*) "
                      "p=${f#/proc/}; p=${p%%/comm}; taskset -pc %d $p >/dev/null%s;; esac; done"
                      % (want, cpu, "; chrt -f -p %d $p" % fifo if fifo else ""))
            self.far.sh(script, quiet=True, timeout=20)
        else:
            Topology.pin_napi(self, ifname, cpu, fifo)
