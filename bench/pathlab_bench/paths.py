# SPDX-License-Identifier: MIT
"""One class per path: check / start / switch / stop / counters / placements.

A path runs in the DUT namespace of a pl-topo line topology (DUT_IN_IF from
the generator, DUT_OUT_IF to the sink). counters() returns at least "drop"
(frames the DUT dropped by its policy) and, where the DUT says so, "rx";
"internal" counts frames the DUT lost itself outside the kernel's view (its
TX rings, user-space queues). drops_in_xdp says whether the DUT's policy drops
happen in an XDP program on the input veth (then the veth's xdp_drops
counter already includes them).
"""
import os
import re
import shutil
import time

from . import counters as C
from . import nicprobe
from . import requests
from . import placement as P
from .lab import Error
from .where import layout


class NotApplicable(Exception):
    """The path cannot run this workload here; the message is the reason."""


def short(msg):
    """msg with every absolute file path cut to its file name (a reason in
    the table names what is wrong, not where the build tree is)."""
    return re.sub(r"(?<![\w.])/(?:[\w.+-]+/)+([\w.+-]+)", r"\1", msg)


class Path:
    name = ""
    title = ""
    kind = "kernel"          # kernel | afxdp (decides the placement recipe)
    reference = None         # for a reference row: the role it plays ("bare XDP", ...)
    workloads = ("drop", "fwd", "full", "acl")
    # the row runs no pathlab policy (bare XDP, pl-xskfwd, dpdk-testpmd, OVS
    # with one static flow): it does a workload's action (full: fwd's), and a
    # workload with the action it runs already keeps it running
    policy_free = False
    drops_in_xdp = False
    live_switch = False      # switch() loads the next workload's policy without a restart
    # why the next workload needs a new process (recorded in the row)
    restart_reason = "no live control plane: a new process takes the next workload"
    same_across_placements = False  # the same processes serve every placement variant (only NAPI moves)
    placement_reason = "the next placement's recipe starts a new process"
    switch_error = ""        # why the last switch() failed
    poller = None            # "... on cpu%d" for AF_XDP paths
    busy_poll = None
    no_jumbo = None          # why frames above 1518 bytes cannot cross this path (None: they can)
    # measured by the default run (--paths default); the others only when named or with --paths all
    in_default = True

    def __init__(self, ctx):
        self.ctx = ctx       # lab, build, src, gen_cpu, dut_cpus, both_ways
        self.lab = getattr(ctx, "lab", None)
        self.topo = None
        self.place = None
        self.procs = []

    # --- what a path declares -------------------------------------------
    def check(self, wl):
        """None, or the reason why this path cannot run workload wl here."""
        if wl.name not in self.workloads:
            return "%s does not do '%s'" % (self.title, wl.name)
        return None

    def check_size(self, size):
        """None, or the reason why this path cannot carry frames of size bytes here."""
        if size > 1518 and self.no_jumbo:
            return "%d-byte frames: %s" % (size, self.no_jumbo)
        return None

    def placements(self):
        if self.kind == "afxdp":
            return P.afxdp(self.ctx.gen_cpu, self.ctx.dut_cpus, self.poller, self.busy_poll,
                           both=self.ctx.both_ways)
        return P.kernel(self.ctx.gen_cpu, self.ctx.dut_cpus)

    def dut_ifs(self):
        return [self.topo["DUT_IN_IF"], self.topo["DUT_OUT_IF"]]

    # --- life cycle ---------------------------------------------------------
    def start(self, topo, place, wl, policy_file):
        raise NotImplementedError

    def switch(self, wl, policy_file):
        return False

    def move(self, place):
        """A path that keeps its processes across placements: set what the
        new placement changes while they run (besides the NAPI, which the
        harness moves)."""
        self.place = place

    def stop(self):
        for p in reversed(self.procs):
            self.lab.stop(p)
        self.procs = []

    def counters(self):
        return {}

    def pids(self):
        pids = []
        for p in self.procs:
            pids += self.lab.session_pids(p)
        return pids

    def xdp_prog_dev(self):
        """The interface whose XDP program's run time is reported (or None)."""
        return None

    def settle(self):
        """Bring the DUT's own counters up to date after a trial (a no-op
        where they are live)."""

    # --- helpers --------------------------------------------------------
    def bin(self, rel):
        return layout.tool(rel)

    def bg(self, argv, tag):
        log = os.path.join(self.ctx.out, "logs", "%s-%s.log" % (self.name, tag))
        p = self.topo.start("dut", argv, log)
        self.procs.append(p)
        return p

    def wait_metrics(self, port, proc, seconds=20):
        end = time.time() + seconds
        while time.time() < end:
            if C.prometheus(self.topo, "dut", port) is not None:
                return
            if not proc.alive():
                raise Error("exited: " + proc.tail())
            time.sleep(0.2)
        raise Error("no metrics on port %d after %d s: %s" % (port, seconds, proc.tail()))


# --- the control plane of a running pathlab datapath ------------------------------
_SHOW_MODE = re.compile(r"(?:^|\s)mode=(\S+)")


class Controlled(Path):
    """A pathlab datapath process with a control socket (pathlab-afxdp,
    pathlab-dpdk): the next workload's policy goes in with `pathlab-policy
    apply --target KIND:NAME`, and `pathlab-policy show` must then report
    that policy, mode "policy" and the same process before a trial runs."""
    live_switch = True

    def ctl_target(self):
        raise NotImplementedError

    def policy_tool(self, argv, timeout=15):
        return self.lab.run([self.bin("xdp/pathlab-policy")] + list(argv), timeout=timeout)

    def switch(self, wl, policy_file):
        self.switch_error = ""
        t = self.ctl_target()
        rc, out, err = self.policy_tool(["apply", "--target", t, policy_file])
        if rc != 0:
            self.switch_error = "pathlab-policy apply --target %s: %s" % (t, (err or out).strip()[-200:])
            return False
        return self.verify(policy_file)

    def verify(self, policy_file):
        """The datapath reports it runs policy_file in mode "policy" (set
        the mode when it does not); sets self.runs, or switch_error and False."""
        t = self.ctl_target()
        for attempt in (0, 1):
            rc, out, err = self.policy_tool(["show", "--target", t])
            if rc != 0:
                self.switch_error = "pathlab-policy show --target %s: %s" % (t, (err or out).strip()[-200:])
                return False
            lines = out.splitlines()
            head = dict(kv.split("=", 1) for kv in (lines[0].split() if lines else []) if "=" in kv)
            mode = next((m.group(1) for l in lines[1:] for m in [_SHOW_MODE.search(l)] if m), "")
            pid = int(head.get("pid", "0") or 0)
            ours = self.procs and (pid == self.procs[0].pid or pid in self.lab.session_pids(self.procs[0]))
            if not ours:
                self.switch_error = "%s is served by pid %d, not by the process the harness started" % (t, pid)
                return False
            if head.get("policy") != policy_file:
                self.switch_error = "%s reports policy %s, not %s" % (t, head.get("policy"), policy_file)
                return False
            if mode == "policy":
                self.runs = {"target": t, "pid": pid, "policy": os.path.basename(policy_file), "mode": mode}
                return True
            if attempt == 0:
                rc, out, err = self.policy_tool(["mode", "--target", t, "policy"])
                if rc != 0:
                    self.switch_error = "pathlab-policy mode --target %s policy: %s" % (t, (err or out).strip()[-200:])
                    return False
        self.switch_error = "%s reports mode %s, not policy" % (t, mode or "(none)")
        return False


# --- Linux: nftables netdev ingress ---------------------------------------------
class Linux(Path):
    """drop, fwd, acl: an nftables netdev ingress table; route: the kernel's
    IPv4 forwarding (the table only counts); responder: nginx on the
    kernel's TCP stack (requests.start_nginx)."""
    name = "linux"
    title = "Linux (nftables netdev)"
    workloads = ("drop", "fwd", "acl", "route", "responder")

    def check(self, wl):
        if not shutil.which("nft"):
            return "nft not installed (apt-get install nftables)"
        return Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        t = topo.info
        fwd = 'ether saddr set %s ether daddr set %s counter fwd to "%s" comment "fwd"' % (
            t["DUT_OUT_MAC"], t["SINK_MAC"], t["DUT_OUT_IF"])
        rules = {"drop": ['counter drop comment "drop"'],
                 "fwd": [fwd],
                 "acl": ['meta l4proto tcp counter drop comment "drop"', fwd],
                 "route": [], "responder": []}[wl.name]
        text = ('table netdev plt_b {\n chain in { type filter hook ingress device "%s" priority 0; policy accept;\n'
                '  counter comment "rx"\n%s\n }\n}\n' % (t["DUT_IN_IF"], "\n".join("  " + r for r in rules)))
        self.stop()
        rc, out, err = topo.nsrun("dut", ["nft", "-f", "-"], stdin=text)
        if rc != 0:
            raise Error("nft: " + (err or out).strip()[-200:])
        self.loaded = True
        if wl.name == "responder":
            requests.start_nginx(self, topo)

    def stop(self):
        Path.stop(self)
        if self.topo is not None:
            self.topo.nsrun("dut", ["nft", "delete", "table", "netdev", "plt_b"], quiet=True)

    def switch(self, wl, policy_file):
        self.start(self.topo, self.place, wl, policy_file)
        return True

    def counters(self):
        c = C.nftables(self.topo, "dut", "netdev", "plt_b") or {}
        return {"rx": c.get("rx", 0), "drop": c.get("drop", 0), "fwd": c.get("fwd", 0)}


# --- pathlab-xdp --------------------------------------------------------------------
class PathlabXdp(Path):
    mode = "native"
    workloads = ("drop", "fwd", "full", "acl", "route", "responder")
    drops_in_xdp = True
    live_switch = True
    metrics_port = 19731

    @property
    def name(self):
        return "xdp-" + self.mode

    @property
    def title(self):
        return "pathlab-xdp %s" % self.mode

    def check(self, wl):
        if not os.access(self.bin("xdp/pathlab-xdp"), os.X_OK):
            return "pathlab-xdp not built (needs clang and libbpf)"
        return Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        # `pathlab-xdp run` attaches, serves the metrics itself and detaches
        # when it stops (bpf_links only it holds: on kill -9 too); `attach`
        # is the one-shot command that leaves the program pinned, which would
        # need a second process to serve the metrics and leave the program
        # behind if the harness died
        self.topo = topo
        p = self.bg([self.bin("xdp/pathlab-xdp"), "run", "-m", self.mode, "-p", policy_file, "-i", "3600",
                     "-M", "127.0.0.1:%d" % self.metrics_port] + self.run_args(place) + self.dut_ifs(), "run")
        try:
            self.wait_metrics(self.metrics_port, p)
        except Error as e:
            msg = [l for l in p.tail(20).split("pathlab-xdp:") if l.strip()]
            raise Error(("pathlab-xdp:" + msg[-1]) if msg else str(e))

    def run_args(self, place):
        return []

    def switch(self, wl, policy_file):
        rc, _, _ = self.topo.xrun("dut", [self.bin("xdp/pathlab-xdp"), "policy", self.topo["DUT_IN_IF"],
                                          policy_file])
        return rc == 0

    def stop(self):
        Path.stop(self)
        if self.topo is not None:
            for i in self.dut_ifs():
                self.topo.xrun("dut", [self.bin("xdp/pathlab-xdp"), "detach", i], quiet=True)

    def counters(self):
        return C.prometheus(self.topo, "dut", self.metrics_port) or {}

    def pids(self):
        return []  # the stats reader is not the datapath

    def xdp_prog_dev(self):
        return self.topo["DUT_IN_IF"]


class PathlabXdpNative(PathlabXdp):
    mode = "native"


class PathlabXdpNativeSpread(PathlabXdpNative):
    """The one receive queue spread over the DUT's CPU budget (--spread, a
    cpumap): the stages run on the budget's CPUs; compared with xdp-native.
    Not in the default run: on its one-CPU budget it measures only the
    cpumap hop."""
    metrics_port = 19740
    in_default = False

    @property
    def name(self):
        return "xdp-native-spread"

    @property
    def title(self):
        return "pathlab-xdp native --spread"

    def run_args(self, place):
        return ["--spread", ",".join(str(c) for c in place.dut_cpus)]

    def counters(self):
        # frames handed to a cpumap queue that no target CPU ran: the
        # queue dropped them (pathlab-xdp status: "lost in the cpumap queues")
        c = PathlabXdpNative.counters(self)
        if "spread_queued" in c:
            c["internal"] = max(0, c["spread_queued"] - c.get("rx", 0))
        return c


class PathlabXdpGeneric(PathlabXdp):
    mode = "generic"
    metrics_port = 19732


class PathlabXdpOffload(PathlabXdp):
    mode = "offload"
    metrics_port = 19733

    def dut_ifs(self):
        # an offloaded program is bound to one device: the input port
        return [self.topo["DUT_IN_IF"]]

    def start(self, topo, place, wl, policy_file):
        try:
            PathlabXdp.start(self, topo, place, wl, policy_file)
        except Error as e:
            rc, out, _ = topo.nsrun("dut", ["ethtool", "-i", topo["DUT_IN_IF"]], quiet=True)
            drv = [l.split()[1] for l in out.splitlines() if l.startswith("driver:")]
            # the loader's own explanation when it gives one ("(offload: ...)"),
            # else its message without file paths; the whole of it is in the log
            m = re.search(r"\(offload: ([^)]*)\)", str(e))
            raise NotApplicable("driver %s refused XDP offload: %s" % (drv[0] if drv else "?",
                                                                       m.group(1) if m else short(str(e))))


# --- bare XDP: reference of the XDP rows -----------------------------------------
def _bytes(n, width):
    return [str((n >> (8 * i)) & 0xff) for i in range(width)]


def _mac(m):
    return [str(int(x, 16)) for x in m.split(":")]


class BareXdp(Path):
    """bench/pl_ref.bpf.o: XDP_DROP, or both MACs written and a devmap
    redirect, loaded and attached (native) with bpftool."""
    name = "ref-xdp"
    title = "bare XDP (pl_ref.bpf.o)"
    reference = "bare XDP program, same action"
    workloads = ("drop", "fwd", "full")
    policy_free = True
    drops_in_xdp = True

    def check(self, wl):
        if not shutil.which("bpftool"):
            return "bpftool not installed (apt-get install bpftool)"
        if not os.path.exists(self.bin("bench/pl_ref.bpf.o")):
            return "bench/pl_ref.bpf.o not built"
        return Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        t = topo.info
        d = "/sys/fs/bpf/plt_ref_%s" % t["DUT_IN_IF"]
        cfg = _bytes(0 if wl.action == "drop" else 1, 4) + _mac(t["SINK_MAC"]) + _mac(t["DUT_OUT_MAC"])
        script = " && ".join([
            "rm -rf %s" % d, "mkdir -p %s" % d,
            "bpftool prog load %s %s/prog type xdp pinmaps %s" % (self.bin("bench/pl_ref.bpf.o"), d, d),
            "bpftool map update pinned %s/pl_ref_cfg key 0 0 0 0 value %s" % (d, " ".join(cfg)),
            "bpftool map update pinned %s/pl_ref_port key 0 0 0 0 value %s" % (d, " ".join(_bytes(int(t["DUT_OUT_IFINDEX"]), 4))),
            "bpftool net attach xdpdrv pinned %s/prog dev %s overwrite" % (d, t["DUT_IN_IF"])])
        self.pin_dir = d
        rc, out, err = topo.xrun("dut", ["sh", "-c", script])
        if rc != 0:
            raise Error("bpftool: " + (err or out).strip()[-200:])

    restart_reason = "a bare program: its action is set when bpftool loads it"

    def switch(self, wl, policy_file):
        return False

    def stop(self):
        if self.topo is not None and getattr(self, "pin_dir", None):
            self.topo.xrun("dut", ["sh", "-c", "bpftool net detach xdpdrv dev %s; rm -rf %s"
                                   % (self.topo["DUT_IN_IF"], self.pin_dir)], quiet=True)
            self.pin_dir = None

    def counters(self):
        c = C.veth(self.topo, "dut", self.topo["DUT_IN_IF"])
        return {"drop": C.veth_sum(c, "xdp_drops"), "rx": C.veth_sum(c, "xdp_packets")}

    def xdp_prog_dev(self):
        return self.topo["DUT_IN_IF"]


# --- pathlab-afxdp ------------------------------------------------------------------
class PathlabAfxdp(Controlled):
    kind = "afxdp"
    workloads = ("drop", "fwd", "full", "acl", "route", "responder")
    placement_mode = "user"
    placement_reason = "busy polling (--busy-poll) is a start option and the placements differ in it"
    metrics_port = 19734
    poller = "cpu%d (pathlab-afxdp worker, poll() with need_wakeup)"
    busy_poll = "SO_PREFER_BUSY_POLL, SO_BUSY_POLL=20 us, budget 64 (--busy-poll 20); napi_defer_hard_irqs=2, gro_flush_timeout=200000"

    @property
    def name(self):
        return "afxdp-" + self.placement_mode

    @property
    def title(self):
        return "pathlab-afxdp %s" % self.placement_mode

    @property
    def drops_in_xdp(self):
        return self.placement_mode == "hybrid"

    def check(self, wl):
        if not os.access(self.bin("afxdp_port/pathlab-afxdp"), os.X_OK):
            return "pathlab-afxdp not built (needs libxdp)"
        return Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        argv = [self.bin("afxdp_port/pathlab-afxdp")]
        for i in self.dut_ifs():
            argv += ["-i", i]
        argv += ["--placement", self.placement_mode, "-p", policy_file, "--cpus", str(place.dut_cpus[-1]),
                 "--quiet", "--no-tap", "--metrics", "127.0.0.1:%d" % self.metrics_port]
        argv += nicprobe.afxdp_args(self.ctx)
        if place.busy_poll:
            argv += ["--busy-poll", "20", "--busy-poll-budget", "64"]
            P.apply_busy_poll(topo, self.dut_ifs(), True)
        p = self.bg(argv, "%s-%s" % (wl.name, place.variant))
        self.wait_metrics(self.metrics_port, p)
        if not self.verify(policy_file):
            raise Error(self.switch_error)

    def ctl_target(self):
        # its control name is its first -i interface
        return "afxdp:" + self.dut_ifs()[0]

    def stop(self):
        Path.stop(self)
        if self.topo is not None:
            P.apply_busy_poll(self.topo, self.dut_ifs(), False)

    def counters(self):
        return C.prometheus(self.topo, "dut", self.metrics_port) or {}

    def xdp_prog_dev(self):
        return self.topo["DUT_IN_IF"]


class BareAfxdp(Path):
    """bench/pl-xskfwd: the least an AF_XDP program does per workload (drop,
    or both MACs written and out the other port), same placement recipe as
    pathlab-afxdp."""
    name = "ref-afxdp"
    title = "bare AF_XDP (pl-xskfwd)"
    kind = "afxdp"
    reference = "bare AF_XDP forwarder, same action"
    workloads = ("drop", "fwd", "full")
    policy_free = True
    poller = "cpu%d (pl-xskfwd, poll() with need_wakeup)"
    busy_poll = PathlabAfxdp.busy_poll
    no_jumbo = ("pl-xskfwd binds without XDP_USE_SG, so the kernel drops a frame longer than its 4096-byte "
                "UMEM frame (pathlab-afxdp carries it as a descriptor chain)")

    def check(self, wl):
        if not os.access(self.bin("bench/pl-xskfwd"), os.X_OK):
            return "bench/pl-xskfwd not built (needs libxdp)"
        if not os.path.exists(self.bin("afxdp_port/redirect_all.bpf.o")):
            return "afxdp_port/redirect_all.bpf.o not built"
        return Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        t = topo.info
        self.stats = os.path.join(self.ctx.work, "xskfwd.stats")
        if os.path.exists(self.stats):
            os.unlink(self.stats)
        argv = [self.bin("bench/pl-xskfwd"), "-i", t["DUT_IN_IF"], "--cpu", str(place.dut_cpus[-1]),
                "--stats", self.stats]
        if wl.action == "drop":
            argv.append("--drop")
        else:
            argv += ["-o", t["DUT_OUT_IF"], "--dst-mac", t["SINK_MAC"], "--src-mac", t["DUT_OUT_MAC"]]
        if place.busy_poll:
            argv += ["--busy-poll", "20"]
            P.apply_busy_poll(topo, self.dut_ifs(), True)
        p = self.bg(argv, "%s-%s" % (wl.name, place.variant))
        end = time.time() + 10
        while not self.counters():
            if not p.alive():
                raise Error("pl-xskfwd exited: " + p.tail())
            if time.time() > end:
                raise Error("pl-xskfwd wrote no counters in 10 s: " + p.tail())
            time.sleep(0.1)

    def stop(self):
        Path.stop(self)
        if self.topo is not None:
            P.apply_busy_poll(self.topo, self.dut_ifs(), False)

    def counters(self):
        c = {}
        try:
            with open(self.stats) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    if v.isdigit():
                        c[k] = int(v)
        except OSError:
            return {}
        if not c:
            return {}
        # frames the TX ring had no room for: lost inside the DUT
        return {"rx": c.get("rx", 0), "drop": c.get("drop", 0), "internal": c.get("tx_full", 0)}

    def xdp_prog_dev(self):
        return self.topo["DUT_IN_IF"]


BareAfxdp.restart_reason = "pl-xskfwd has no control plane: its action is a start option"
BareAfxdp.placement_reason = PathlabAfxdp.placement_reason


class PathlabAfxdpUser(PathlabAfxdp):
    placement_mode = "user"


class PathlabAfxdpHybrid(PathlabAfxdp):
    placement_mode = "hybrid"
    metrics_port = 19735


# --- pathlab-dpdk on net_af_xdp -----------------------------------------------------
class Ceiling(Path):
    """No DUT: pl-sink drops on the DUT's input port (what the generator can offer)."""
    name = "ceiling"
    title = "generator ceiling (no DUT)"
    workloads = ("drop",)
    drops_in_xdp = True

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        p = self.bg([self.bin("bench/pl-sink"), "-i", topo["DUT_IN_IF"]], "sink")
        time.sleep(0.5)
        if not p.alive():
            raise Error("pl-sink exited: " + p.tail())

    def counters(self):
        c = C.veth(self.topo, "dut", self.topo["DUT_IN_IF"])
        return {"drop": C.veth_sum(c, "xdp_drops"), "rx": C.veth_sum(c, "xdp_packets")}



# The DPDK rows (paths_dpdk.py: it builds on the classes above).
from .paths_dpdk import DpdkPmd, PathlabDpdkAfxdp, PathlabDpdkHybrid, TestpmdIo, TestpmdRef  # noqa: E402

# The rows, in table order; a reference row follows the rows it is for.
PATHS = [Ceiling, Linux, PathlabXdpNative, PathlabXdpNativeSpread, PathlabXdpGeneric, PathlabXdpOffload, BareXdp,
         PathlabAfxdpUser, PathlabAfxdpHybrid, BareAfxdp, PathlabDpdkAfxdp, PathlabDpdkHybrid,
         TestpmdIo, TestpmdRef]
REFERENCE_OF = {
    "xdp-native": "ref-xdp", "xdp-native-spread": "xdp-native", "xdp-generic": "ref-xdp", "afxdp-hybrid": "ref-xdp",
    "afxdp-user": "ref-afxdp", "dpdk-afxdp": "ref-testpmd", "dpdk-hybrid": "ref-xdp",
    "testpmd-io": "ref-testpmd", "ovs-afxdp": "ref-ovs", "ovs-afxdp-xdp": "ref-ovs",
    "linux": "ref-xdp",
}

# The Open vSwitch rows (paths_ovs.py), then the bypass PMD.
from . import paths_ovs  # noqa: E402 (it builds on the classes above)
PATHS += paths_ovs.PATHS + [DpdkPmd]
REFERENCE_OF.update(paths_ovs.REFERENCE_OF)
