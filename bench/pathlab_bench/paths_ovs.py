# SPDX-License-Identifier: MIT
"""The Open vSwitch rows: OVS's userspace datapath on afxdp ports (with pathlab's
OpenFlow policy, with pathlab's XDP pre-filter in front, and with one static
flow as the reference), OVS-DPDK (the DPDK build of
ovs-vswitchd, type=dpdk ports on net_af_xdp over the DUT's veths), PVP
(physical -> OVS-DPDK -> vhost-user -> a DPDK application on virtio_user ->
vhost-user -> OVS-DPDK -> physical) with pathlab-dpdk or dpdk-testpmd as the
application, and OVS's kernel datapath where the kernel has it.

Each OVS-DPDK cell leaves OVS's own per-PMD cycle accounting
(ovs-appctl dpif-netdev/pmd-perf-show, cleared at the start of the cell) in
logs/NAME-WORKLOAD-pmd-perf.txt.
"""
import os
import shutil

from . import counters as C
from . import placement as P
from .lab import Error
from .paths import Controlled, Path
from .paths_dpdk import NET_AF_XDP_NO_JUMBO, TestpmdRef
from .where import layout

# --- Open vSwitch, userspace datapath with afxdp ports ----------------------------
class Ovs(Path):
    kind = "afxdp"
    mode = "openflow"
    # full: the policy as OpenFlow (pathlab-ofgen: per-source counting is not
    # translated, the ACL and steering are tables in front of the forward
    # flow), or, with the pre-filter, every stage in XDP in front of OVS
    workloads = ("drop", "fwd", "full", "acl")
    live_switch = True
    same_across_placements = True
    poller = "cpu%d (ovs-vswitchd PMD thread, pmd-cpu-mask)"
    busy_poll = None   # OVS 3.1 afxdp: no busy-poll option (use-need-wakeup only)
    no_jumbo = ("Open vSwitch 3.1's afxdp ports have no AF_XDP multi-buffer (no XDP_USE_SG): the kernel drops "
                "a frame longer than one 4096-byte UMEM frame")

    @property
    def name(self):
        return {"openflow": "ovs-afxdp", "prefilter": "ovs-afxdp-xdp", "static": "ref-ovs"}[self.mode]

    @property
    def title(self):
        return {"openflow": "OVS afxdp + pathlab OpenFlow", "prefilter": "OVS afxdp + pathlab XDP pre-filter",
                "static": "OVS afxdp, one static flow"}[self.mode]

    @property
    def drops_in_xdp(self):
        return self.mode == "prefilter"

    def check(self, wl):
        if not os.access(self.bin("ovs/pl-ovs"), os.X_OK):
            return "pl-ovs missing"
        if not shutil.which("ovs-vswitchd"):
            return "ovs-vswitchd not installed (apt-get install openvswitch-switch)"
        if self.mode != "static" and not os.access(self.bin("ovs/pathlab-ofgen"), os.X_OK):
            return "pathlab-ofgen not built"
        return Path.check(self, wl)

    def ovs_argv(self):
        build = ["--build", layout.build] if layout.build else []
        return self.topo.exec_argv("dut", [self.bin("ovs/pl-ovs"), "--rundir", self.rundir] + build +
                                          ["--bridge", "%sbr" % self.lab.prefix,
                                           "--pmd-cpu-mask", "0x%x" % (1 << self.place.dut_cpus[-1])])

    def start(self, topo, place, wl, policy_file):
        self.topo = topo
        self.place = place
        self.rundir = os.path.join(self.ctx.work, "ovs-" + self.name)
        self.lab.on_cleanup(self.teardown)
        # OVS's daemons detach (their own session): if the harness is killed,
        # its watchdog or the next run tears them down with this command
        self.lab.record("undo", self.ovs_argv() + ["bench-teardown"])
        self.setup(wl, policy_file)
        if self.mode == "static" and not self.set_flow(wl):
            raise Error("ovs-ofctl: " + self.flow_error)
        # the revalidators bring the flows' counters up to date every 100 ms
        # instead of 500 (they run outside the PMD's CPU): the trial's closing
        # read waits for one cycle (settle)
        self.lab.run(self.ovs_argv() + ["vsctl", "set", "Open_vSwitch", ".", "other_config:max-revalidator=100"],
                     quiet=True)
        with open(os.path.join(self.rundir, "ovs-vswitchd.pid")) as f:
            self.ovs_pid = int(f.read().strip())

    def setup(self, wl, policy_file):
        """pl-ovs bench-setup: starts OVS and adds the ports the first time; on a
        running switch it only replaces the flows (or the pre-filter's policy)."""
        mode = {"openflow": "openflow", "prefilter": "prefilter", "static": "normal"}[self.mode]
        pol = policy_file
        if self.mode == "prefilter":
            # forwarding is OVS's job (NORMAL): the pre-filter keeps the rest
            pol = policy_file + ".prefilter"
            with open(policy_file) as f, open(pol, "w") as g:
                g.writelines(l for l in f if not l.startswith("forward"))
        rc, out, err = self.lab.run(self.ovs_argv() + ["bench-setup", "--mode", mode, "--policy", pol,
                                                       "--ports", ",".join(self.dut_ifs())], timeout=90)
        if rc != 0:
            raise Error("pl-ovs bench-setup: " + (err or out).strip()[-250:])

    def switch(self, wl, policy_file):
        if self.mode == "static":
            return self.set_flow(wl)
        try:
            self.setup(wl, policy_file)
        except Error:
            return False
        return True

    def set_flow(self, wl):
        """The reference's one static flow for workload wl."""
        t = self.topo.info
        if wl.action == "drop":
            flow = "in_port=%s,actions=drop" % t["DUT_IN_IF"]
        else:
            flow = "in_port=%s,actions=mod_dl_src:%s,mod_dl_dst:%s,output:%s" % (
                t["DUT_IN_IF"], t["DUT_OUT_MAC"], t["SINK_MAC"], t["DUT_OUT_IF"])
        for cmd in (["ofctl", "del-flows", "%sbr" % self.lab.prefix],
                    ["ofctl", "add-flow", "%sbr" % self.lab.prefix, flow]):
            rc, out, err = self.lab.run(self.ovs_argv() + cmd)
            if rc != 0:
                self.flow_error = (err or out).strip()[-200:]
                return False
        return True

    def teardown(self):
        if self.topo is not None and getattr(self, "rundir", None) and os.path.isdir(self.rundir):
            self.lab.run(self.ovs_argv() + ["bench-teardown"], timeout=60, quiet=True)
            self.lab.unrecord("undo", self.ovs_argv() + ["bench-teardown"])
            shutil.rmtree(self.rundir, ignore_errors=True)

    def stop(self):
        self.teardown()

    def settle(self):
        if self.mode == "prefilter":
            return
        # OVS's OpenFlow flow counters (the drop flows' n_packets: its verdict
        # counter) are brought up to date by the revalidators: wait for one
        # full cycle so that they hold every frame of the trial
        self.lab.run(["env", "OVS_RUNDIR=" + self.rundir, "ovs-appctl", "revalidator/wait"], quiet=True,
                     timeout=10)

    def counters(self):
        if self.mode == "prefilter":
            # the pre-filter's drops are its XDP verdict counter (what pl-ovs
            # bench-counters reads with pathlab-xdp status), read per port in
            # parallel with OVS's port counters
            st = {i: C.POOL.submit(self.topo.xrun, "dut", [self.bin("xdp/pathlab-xdp"), "status", i], quiet=True,
                                   timeout=10) for i in self.dut_ifs()}
            c = C.ovs_direct(self.lab, self.rundir, "%sbr" % self.lab.prefix, self.dut_ifs(), C.POOL) or {}
            drop = 0
            for i, f in st.items():
                rc, out, _ = f.result()
                if rc != 0:
                    c = {}
                drop += sum(int(w[1]) for w in (l.split() for l in out.splitlines())
                            if len(w) > 1 and w[0] == "verdict_drop" and w[1].isdigit())
            if c:
                c["dropped"] = drop
        else:
            c = C.ovs_direct(self.lab, self.rundir, "%sbr" % self.lab.prefix, self.dut_ifs(), C.POOL) or {}
        if not c:
            return {}
        o = self.topo["DUT_OUT_IF"]
        # OVS's port rx counter is the kernel's (it includes frames the XDP
        # program failed to hand over): what reached OVS's socket is the input
        # veth's count of successful XDP redirects
        to_ovs = C.veth_sum(C.veth(self.topo, "dut", self.topo["DUT_IN_IF"]), "xdp_redirect")
        # the policy's drops: OVS's own verdict counter (n_packets of the drop
        # flows; with the pre-filter, its XDP verdict counter), never the
        # frames that reached the socket
        drop = c.get("dropped", 0)
        # handed to OVS, neither dropped by a flow nor sent on the output
        # port: lost inside OVS (its tx_dropped among them)
        sent = c.get("ovs_%s_tx_packets" % o, 0)
        return {"rx": to_ovs, "drop": drop,
                "internal": max(0, to_ovs - sent - (0 if self.mode == "prefilter" else drop))}

    def pids(self):
        return [getattr(self, "ovs_pid", 0)] if getattr(self, "ovs_pid", 0) else []


class OvsOpenflow(Ovs):
    mode = "openflow"


class OvsPrefilter(Ovs):
    mode = "prefilter"


class OvsStatic(Ovs):
    mode = "static"
    reference = "OVS with one static flow"
    workloads = ("drop", "fwd", "full")
    policy_free = True




DPDK_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"


def _dpdk_reason():
    if not os.access(DPDK_VSWITCHD, os.X_OK):
        return "%s not installed (apt-get install openvswitch-switch-dpdk)" % DPDK_VSWITCHD
    return None


class OvsDpdkMixin:
    """pl-ovs --dpdk: OVS's PMD on the DUT CPU, its other DPDK threads on the generator's.
    Not in the default run (--paths all, or by name): OVS-DPDK's start and
    the PVP rows' vhost-user chain alone would take a third of its time budget."""
    in_default = False

    def ovs_argv(self):
        # pl-ovs as the OVS-afxdp rows run it, plus the DPDK build (options before the command)
        return Ovs.ovs_argv(self) + ["--dpdk", "--lcore-mask", "0x%x" % (1 << self.place.gen_cpu)]

    def appctl(self, *args):
        return self.lab.run(self.ovs_argv() + ["appctl", "--"] + list(args), timeout=20, quiet=True)

    def pmd_perf_start(self, wl):
        self._wl_name = wl.name
        self.appctl("dpif-netdev/pmd-stats-clear")

    def pmd_perf_save(self):
        if getattr(self, "rundir", None) and os.path.isdir(self.rundir):
            rc, out, err = self.appctl("dpif-netdev/pmd-perf-show")
            path = os.path.join(self.ctx.out, "logs", "%s-%s-pmd-perf.txt" % (self.name, getattr(self, "_wl_name", "")))
            with open(path, "w") as f:
                f.write(out if rc == 0 else err)


class OvsDpdk(OvsDpdkMixin, Ovs):
    """OVS-DPDK with the policy as OpenFlow (pathlab-ofgen), beside OVS afxdp + OpenFlow."""
    mode = "openflow"
    poller = "cpu%d (ovs-vswitchd-dpdk PMD thread, pmd-cpu-mask)"
    no_jumbo = NET_AF_XDP_NO_JUMBO

    @property
    def name(self):
        return "ovs-dpdk"

    @property
    def title(self):
        return "OVS-DPDK net_af_xdp + pathlab OpenFlow"

    def check(self, wl):
        return _dpdk_reason() or Ovs.check(self, wl)

    def placements(self):
        # one placement: everything on the budget (docs/benchmarking.md, "Placement")
        return P.afxdp(self.ctx.gen_cpu, self.ctx.dut_cpus, self.poller, None, both=False)

    def start(self, topo, place, wl, policy_file):
        Ovs.start(self, topo, place, wl, policy_file)
        self.pmd_perf_start(wl)

    def switch(self, wl, policy_file):
        self.pmd_perf_save()
        ok = Ovs.switch(self, wl, policy_file)
        self.pmd_perf_start(wl)
        return ok

    def stop(self):
        self.pmd_perf_save()
        Ovs.stop(self)


class OvsPvp(OvsDpdkMixin, Path):
    """PVP: DUT_IN_IF -> vhu0 -> the application -> vhu1 -> DUT_OUT_IF (and back).
    OVS's PMD and the application's worker share the DUT budget. OVS, its
    ports and flows and the application stay up for every cell of the row:
    pathlab-dpdk takes the next workload's policy through its control socket
    (pathlab-policy apply --target dpdk:FILE_PREFIX), as on net_af_xdp."""
    vnf = "pathlab-dpdk"
    no_jumbo = NET_AF_XDP_NO_JUMBO
    workloads = ("drop", "fwd", "full", "acl")
    live_switch = True
    poller = "cpu%d (ovs-vswitchd-dpdk PMD thread and the application's worker lcore)"

    def placements(self):
        # one placement: OVS's PMD and the application's worker on the budget
        return P.afxdp(self.ctx.gen_cpu, self.ctx.dut_cpus, self.poller, None, both=False)

    def vnf_policy(self, wl, policy_file):
        """The workload's policy with the DUT's interfaces renamed to the virtio_user ports."""
        t = self.topo.info
        pol = os.path.join(self.rundir, "pvp-%s.policy" % wl.name)
        with open(policy_file) as f, open(pol, "w") as g:
            g.write(f.read().replace(t["DUT_IN_IF"], "virtio_user0").replace(t["DUT_OUT_IF"], "virtio_user1"))
        return pol

    # pathlab-dpdk's control plane, as for the pathlab-dpdk rows
    policy_tool = Controlled.policy_tool
    verify = Controlled.verify

    def ctl_target(self):
        return "dpdk:" + self.file_prefix

    def switch(self, wl, policy_file):
        self.pmd_perf_save()
        ok = Controlled.switch(self, wl, self.vnf_policy(wl, policy_file))
        self.pmd_perf_start(wl)
        return ok

    @property
    def name(self):
        return "pvp-pathlab"

    @property
    def title(self):
        return "PVP: OVS-DPDK + pathlab-dpdk (vhost-user)"

    def check(self, wl):
        if not os.access(self.bin("dpdk_app/pathlab-dpdk"), os.X_OK):
            return "pathlab-dpdk not built (needs DPDK)"
        return _dpdk_reason() or Path.check(self, wl)

    def vdevs(self):
        return ["--vdev", "virtio_user0,path=%s/vhu0.sock,server=1,queues=1" % self.rundir,
                "--vdev", "virtio_user1,path=%s/vhu1.sock,server=1,queues=1" % self.rundir]

    def ovs(self, *args, timeout=60):
        rc, out, err = self.lab.run(self.ovs_argv() + list(args), timeout=timeout)
        if rc != 0:
            raise Error("pl-ovs %s: %s" % (args[0], (err or out).strip()[-250:]))
        return out

    def setup_ovs(self, topo, place):
        self.topo = topo
        self.place = place
        self.rundir = os.path.join(self.ctx.work, "ovs-" + self.name)
        self.lab.on_cleanup(self.teardown)
        # OVS's daemons detach: stopped by this command if the harness is killed
        self.lab.record("undo", self.ovs_argv() + ["stop"])
        t = topo.info
        self.ovs("start", timeout=90)
        for i in self.dut_ifs():
            self.ovs("add-port", i)
        for v in ("vhu0", "vhu1"):
            self.ovs("add-vhost", v)
        of = {n: self.ovs("vsctl", "get", "Interface", n, "ofport").strip()
              for n in self.dut_ifs() + ["vhu0", "vhu1"]}
        i, o = t["DUT_IN_IF"], t["DUT_OUT_IF"]
        flows = os.path.join(self.rundir, "pvp.flows")
        with open(flows, "w") as f:
            for a, b in ((i, "vhu0"), ("vhu0", i), (o, "vhu1"), ("vhu1", o)):
                f.write("table=0,in_port=%s,actions=output:%s\n" % (of[a], of[b]))
        self.ovs("ofctl", "replace-flows", "%sbr" % self.lab.prefix, flows)
        with open(os.path.join(self.rundir, "ovs-vswitchd.pid")) as f:
            self.ovs_pid = int(f.read().strip())

    def start(self, topo, place, wl, policy_file):
        self.setup_ovs(topo, place)
        pol = self.vnf_policy(wl, policy_file)
        self.file_prefix = "%s-pvp" % self.lab.prefix
        self.lab.record("remove", "/var/run/dpdk/" + self.file_prefix)
        self.metrics_port = 19739
        argv = [self.bin("dpdk_app/pathlab-dpdk"), "-l", "%d,%d" % (place.gen_cpu, place.dut_cpus[-1]),
                "--main-lcore", str(place.gen_cpu), "--no-pci", "--no-huge", "-m", "512",
                "--file-prefix", self.file_prefix, "--log-level=error"] + self.vdevs() + [
                "--", "--policy", pol, "--stats-interval", "0", "--metrics", "127.0.0.1:%d" % self.metrics_port]
        p = self.bg(argv, "%s-%s" % (wl.name, place.variant))
        self.wait_metrics(self.metrics_port, p, 30)
        if not self.verify(pol):
            raise Error(self.switch_error)
        self.pmd_perf_start(wl)

    def pvp_counters(self, drop):
        """rx: what reached OVS's socket on the input veth (its XDP redirects); drop: the
        application's policy drops; internal: the rest of what reached OVS and did not leave
        on the output port (full vhost rings, the application's own losses)."""
        # ovs-ofctl per port in parallel, as for the OVS rows (pl-ovs bench-counters
        # runs them one after the other)
        c = C.ovs_direct(self.lab, self.rundir, "%sbr" % self.lab.prefix, self.dut_ifs(), C.POOL) or {}
        to_ovs = C.veth_sum(C.veth(self.topo, "dut", self.topo["DUT_IN_IF"]), "xdp_redirect")
        sent = c.get("ovs_%s_tx_packets" % self.topo["DUT_OUT_IF"], 0)
        return {"rx": to_ovs, "drop": drop, "internal": max(0, to_ovs - sent - drop)}

    def counters(self):
        c = C.prometheus(self.topo, "dut", self.metrics_port) or {}
        return self.pvp_counters(c.get("drop", 0))

    def teardown(self):
        if self.topo is not None and getattr(self, "rundir", None) and os.path.isdir(self.rundir):
            self.lab.run(self.ovs_argv() + ["stop"], timeout=60, quiet=True)
            self.lab.unrecord("undo", self.ovs_argv() + ["stop"])
            shutil.rmtree(self.rundir, ignore_errors=True)

    def stop(self):
        self.pmd_perf_save()
        Path.stop(self)
        self.teardown()
        shutil.rmtree("/var/run/dpdk/" + getattr(self, "file_prefix", "-"), ignore_errors=True)
        self.lab.unrecord("remove", "/var/run/dpdk/" + getattr(self, "file_prefix", "-"))

    def pids(self):
        return ([self.ovs_pid] if getattr(self, "ovs_pid", 0) else []) + Path.pids(self)


class OvsPvpTestpmd(OvsPvp, TestpmdRef):
    """The classic PVP baseline: dpdk-testpmd rxonly (drop) / mac (fwd) in pathlab-dpdk's place."""
    reference = "PVP with dpdk-testpmd rxonly (drop) / mac (fwd, full)"
    workloads = ("drop", "fwd", "full")

    @property
    def name(self):
        return "pvp-testpmd"

    @property
    def title(self):
        return "PVP: OVS-DPDK + dpdk-testpmd (vhost-user)"

    def check(self, wl):
        if not shutil.which("dpdk-testpmd"):
            return "dpdk-testpmd not installed (apt-get install dpdk)"
        return _dpdk_reason() or Path.check(self, wl)

    def start(self, topo, place, wl, policy_file):
        self.setup_ovs(topo, place)
        TestpmdRef.start(self, topo, place, wl, policy_file)
        self.pmd_perf_start(wl)

    def switch(self, wl, policy_file):
        self.pmd_perf_save()
        ok = TestpmdRef.switch(self, wl, policy_file)
        self.pmd_perf_start(wl)
        return ok

    def counters(self):
        return self.pvp_counters(TestpmdRef.counters(self).get("drop", 0))

    def stop(self):
        self.pmd_perf_save()
        TestpmdRef.stop(self)
        self.teardown()


class OvsKernel(Path):
    """OVS's kernel datapath (datapath_type=system) needs the openvswitch module."""
    name = "ovs-kernel"
    title = "OVS kernel datapath"

    def check(self, wl):
        rel = os.uname().release
        if not os.path.isdir("/sys/module/openvswitch") and not os.path.isdir("/lib/modules/%s" % rel):
            return "n/a: kernel %s has no openvswitch module (no /lib/modules/%s; built without CONFIG_OPENVSWITCH)" % (rel, rel)
        if not os.path.isdir("/sys/module/openvswitch"):
            return "n/a: the openvswitch module is not loaded (modprobe openvswitch)"
        return "pl-ovs sets up userspace (netdev) bridges only: no system-datapath bridge here"


# Rows and references, appended to the table by paths.py.
PATHS = [OvsOpenflow, OvsPrefilter, OvsStatic, OvsDpdk, OvsPvp, OvsPvpTestpmd, OvsKernel]
REFERENCE_OF = {"ovs-dpdk": "ref-ovs", "pvp-pathlab": "pvp-testpmd"}
