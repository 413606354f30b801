# SPDX-License-Identifier: MIT
"""The DPDK rows: pathlab-dpdk on net_af_xdp (and hybrid, behind the core's XDP
program), the bypass PMD, and dpdk-testpmd as their reference. They build on
paths.py's Path and Controlled, like the Open vSwitch rows in paths_ovs.py.
"""
import os
import shutil
import time

from . import counters as C
from . import placement as P
from .lab import Error
from .paths import Controlled, Path


NET_AF_XDP_NO_JUMBO = ("DPDK 22.11's net_af_xdp has no AF_XDP multi-buffer (it binds without XDP_USE_SG, a UMEM "
                       "frame is one mbuf), so the kernel drops a frame longer than a UMEM frame before DPDK sees it")


class PathlabDpdk(Controlled):
    """The same process serves both placements: its argv does not change
    (net_af_xdp's busy polling is on by default), only the per-device
    busy-poll settings and the NAPI move."""
    kind = "afxdp"
    workloads = ("drop", "fwd", "full", "acl", "route", "responder")
    hybrid = False
    same_across_placements = True
    metrics_port = 19736
    poller = "cpu%d (DPDK worker lcore, 100 %% busy)"
    busy_poll = "net_af_xdp busy_budget=64 (its default: SO_PREFER_BUSY_POLL); napi_defer_hard_irqs=2, gro_flush_timeout=200000"

    @property
    def name(self):
        return "dpdk-hybrid" if self.hybrid else "dpdk-afxdp"

    @property
    def title(self):
        return "pathlab-dpdk %s" % ("hybrid" if self.hybrid else "net_af_xdp")

    @property
    def drops_in_xdp(self):
        return self.hybrid

    def check(self, wl):
        if not os.access(self.bin("dpdk_app/pathlab-dpdk"), os.X_OK):
            return "pathlab-dpdk not built (needs DPDK)"
        return Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        self.file_prefix = "%s-dpdk" % self.lab.prefix
        self.lab.record("remove", "/var/run/dpdk/" + self.file_prefix)
        # main lcore: the stats thread (sleeps) on the generator's CPU; the
        # worker lcore, which polls, on the budget
        argv = [self.bin("dpdk_app/pathlab-dpdk"), "-l", "%d,%d" % (place.gen_cpu, place.dut_cpus[-1]),
                "--main-lcore", str(place.gen_cpu), "--no-pci", "--no-huge", "-m", "512",
                "--file-prefix", self.file_prefix, "--log-level=error", "--"]
        for i in self.dut_ifs():
            argv += ["--iface", i]
        if self.hybrid:
            argv.append("--hybrid")
        argv += ["--policy", policy_file, "--stats-interval", "0", "--metrics", "127.0.0.1:%d" % self.metrics_port]
        if place.busy_poll:
            P.apply_busy_poll(topo, self.dut_ifs(), True)
        p = self.bg(argv, "%s-%s" % (wl.name, place.variant))
        self.wait_metrics(self.metrics_port, p, 30)
        if not self.verify(policy_file):
            raise Error(self.switch_error)
        if self.hybrid:
            self.xdp_metrics = 19737
            self.bg([self.bin("xdp/pathlab-xdp"), "stats", topo["DUT_IN_IF"], "-i", "3600",
                     "-M", "127.0.0.1:%d" % self.xdp_metrics], "xdpstats")

    def ctl_target(self):
        # its control name is its EAL --file-prefix
        return "dpdk:" + self.file_prefix

    def move(self, place):
        self.place = place
        P.apply_busy_poll(self.topo, self.dut_ifs(), bool(place.busy_poll))

    def stop(self):
        Path.stop(self)
        if self.topo is not None:
            P.apply_busy_poll(self.topo, self.dut_ifs(), False)
            shutil.rmtree("/var/run/dpdk/" + getattr(self, "file_prefix", "-"), ignore_errors=True)
            self.lab.unrecord("remove", "/var/run/dpdk/" + getattr(self, "file_prefix", "-"))

    def counters(self):
        if self.hybrid:
            # every frame meets the core in XDP first; DPDK sees USER frames only
            return C.prometheus(self.topo, "dut", self.xdp_metrics) or {}
        return C.prometheus(self.topo, "dut", self.metrics_port) or {}

    def pids(self):
        return self.lab.session_pids(self.procs[0]) if self.procs else []

    def xdp_prog_dev(self):
        return self.topo["DUT_IN_IF"]


class PathlabDpdkAfxdp(PathlabDpdk):
    hybrid = False
    no_jumbo = NET_AF_XDP_NO_JUMBO


class PathlabDpdkHybrid(PathlabDpdk):
    hybrid = True
    metrics_port = 19738


class DpdkPmd(Path):
    name = "dpdk-pmd"
    title = "pathlab-dpdk bypass PMD"

    def check(self, wl):
        return "no NIC bound to vfio-pci here (veth topology): the bypass PMD needs a real port"


# --- dpdk-testpmd ---------------------------------------------------------------------
class Testpmd(Path):
    """dpdk-testpmd on two net_af_xdp ports, interactive (its own counters).
    One process serves every cell of the path: its forwarding mode changes
    between "stop" and "start" (it then prints "MODE packet forwarding"), and
    its argv is the same in both placements (net_af_xdp busy-polls by
    default), so only the per-device busy-poll settings and the NAPI move."""
    kind = "afxdp"
    fwd_mode = "io"
    live_switch = True
    same_across_placements = True
    policy_free = True
    poller = "cpu%d (testpmd forwarding lcore, 100 %% busy)"
    busy_poll = "net_af_xdp busy_budget=64 (its default: SO_PREFER_BUSY_POLL); napi_defer_hard_irqs=2, gro_flush_timeout=200000"
    no_jumbo = NET_AF_XDP_NO_JUMBO

    @property
    def name(self):
        return "testpmd-" + self.fwd_mode

    @property
    def title(self):
        return "dpdk-testpmd %s" % self.fwd_mode

    def check(self, wl):
        if not shutil.which("dpdk-testpmd"):
            return "dpdk-testpmd not installed (apt-get install dpdk)"
        return Path.check(self, wl)

    def mode_for(self, wl):
        return self.fwd_mode

    def vdevs(self):
        vdev = []
        for k, i in enumerate(self.dut_ifs()):
            vdev += ["--vdev", "net_af_xdp%d,iface=%s,start_queue=0,queue_count=1" % (k, i)]
        return vdev

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        t = topo.info
        self.file_prefix = "%s-tpmd" % self.lab.prefix
        self.lab.record("remove", "/var/run/dpdk/" + self.file_prefix)
        mode = self.mode_for(wl)
        vdev = self.vdevs()
        # stdbuf: testpmd's answers go to a file, line-buffered so that each
        # "show port stats all" can be read at once
        argv = ["stdbuf", "-oL", "dpdk-testpmd", "-l", "%d,%d" % (place.gen_cpu, place.dut_cpus[-1]), "--main-lcore",
                str(place.gen_cpu), "--no-pci", "--no-huge", "-m", "1024", "--file-prefix", self.file_prefix,
                "--log-level=error"] + vdev + [
                "--", "-i", "--nb-cores=1", "--forward-mode=%s" % mode, "--port-topology=paired",
                "--txq=1", "--rxq=1", "--burst=32", "--eth-peer=1,%s" % t["SINK_MAC"],
                "--eth-peer=0,%s" % t["GEN_MAC"]]
        if place.busy_poll:
            P.apply_busy_poll(topo, self.dut_ifs(), True)
        import subprocess
        self.log = os.path.join(self.ctx.out, "logs", "%s-%s-%s.log" % (self.name, wl.name, place.variant))
        p = self.lab.start(topo.exec_argv("dut", argv), self.log, stdin=subprocess.PIPE)
        self.procs.append(p)
        self.proc = p
        end = time.time() + 40
        while time.time() < end:
            if "testpmd>" in self.read_log() or "Port 1: " in self.read_log():
                break
            if not p.alive():
                raise Error("dpdk-testpmd exited: " + p.tail())
            time.sleep(0.2)
        else:
            raise Error("dpdk-testpmd did not start: " + p.tail())
        self.send("start")
        time.sleep(0.3)

    def switch(self, wl, policy_file):
        mode = self.mode_for(wl)
        mark = len(self.read_log())
        for line in ("stop", "set fwd %s" % mode, "start"):
            self.send(line)
        end = time.time() + 5
        while time.time() < end:
            if "%s packet forwarding" % mode in self.read_log()[mark:]:
                return True
            time.sleep(0.05)
        self.switch_error = "dpdk-testpmd did not confirm '%s packet forwarding' in 5 s" % mode
        return False

    def move(self, place):
        self.place = place
        P.apply_busy_poll(self.topo, self.dut_ifs(), bool(place.busy_poll))

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def send(self, line):
        try:
            self.proc.popen.stdin.write((line + "\n").encode())
            self.proc.popen.stdin.flush()
        except (OSError, ValueError):
            pass

    def counters(self):
        mark = len(self.read_log())
        self.send("show port stats all")
        end = time.time() + 3
        while time.time() < end:
            text = self.read_log()[mark:]
            c = C.testpmd_stats(text)
            if "p1.tx-packets" in c:
                rx = c.get("p0.rx-packets", 0)
                if self.mode_now == "rxonly":
                    return {"rx": rx, "drop": rx, "internal": 0}
                # io/mac: what port 0 received and port 1 did not send was
                # dropped by testpmd (a full TX ring: its fwd_dropped)
                return {"rx": rx, "drop": 0, "internal": rx - c.get("p1.tx-packets", 0),
                        "missed": c.get("p0.rx-missed", 0)}
            time.sleep(0.05)
        return {}

    def stop(self):
        if getattr(self, "proc", None) is not None and self.proc.alive():
            self.send("stop")
            self.send("quit")
            try:
                self.proc.popen.wait(5)
            except Exception:
                pass
        Path.stop(self)
        self.proc = None
        if self.topo is not None:
            P.apply_busy_poll(self.topo, self.dut_ifs(), False)
            shutil.rmtree("/var/run/dpdk/" + getattr(self, "file_prefix", "-"), ignore_errors=True)
            self.lab.unrecord("remove", "/var/run/dpdk/" + getattr(self, "file_prefix", "-"))

    @property
    def mode_now(self):
        return self.fwd_mode


class TestpmdIo(Testpmd):
    fwd_mode = "io"
    workloads = ("fwd", "full")


class TestpmdRef(Testpmd):
    """Reference: rxonly for drop, mac (set both MACs, out the paired port) for fwd."""
    fwd_mode = "ref"
    reference = "dpdk-testpmd rxonly (drop) / mac (fwd, full)"
    workloads = ("drop", "fwd", "full")

    @property
    def name(self):
        return "ref-testpmd"

    @property
    def title(self):
        return "dpdk-testpmd rxonly/mac"

    def mode_for(self, wl):
        self._mode = "rxonly" if wl.action == "drop" else "mac"
        return self._mode

    @property
    def mode_now(self):
        return getattr(self, "_mode", "mac")

