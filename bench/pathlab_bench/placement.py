# SPDX-License-Identifier: MIT
"""Placement: which CPU runs each context of a path, for a given core budget.

The DUT's budget is --dut-cpus (default CPU 1); the generator runs on
--gen-cpu (default CPU 0), and so does the sink's veth receive (the tester's
side). On veth the DUT's receive work is the NAPI of its input veth: with
threaded NAPI it is a kthread we pin; with threaded NAPI off it is a softirq
raised by whoever transmits into the veth, i.e. the generator's CPU.

Recipes (docs/benchmarking.md, "Placement"):

- kernel paths (Linux, XDP native/generic, bare XDP): all the work is in the
  receive NAPI: threaded NAPI pinned to the DUT budget (on a NIC: the IRQ's
  smp_affinity on the budget), nothing else runs there.
- AF_XDP-based paths (pathlab-afxdp, pathlab-dpdk and testpmd on
  net_af_xdp, OVS afxdp): a poller (worker lcore, PMD thread) plus the
  kernel's receive NAPI, which does the XDP -> XSK copy (copy mode on veth).
  Each tool's own recommendation for one core: NAPI and poller on the same
  core, with preferred busy polling where the tool offers it (pathlab-afxdp
  --busy-poll, net_af_xdp's busy_budget, on by default) and the per-device
  napi_defer_hard_irqs=2, gro_flush_timeout=200000 it goes with. On this
  machine that shares one vCPU between a 100% poller and the copy, which
  livelocks: these rows are measured twice, "dut" (everything on the
  budget) and "napi-gen" (threaded NAPI off: the copy runs in the softirq of
  the generator's CPU, so the row uses more than the budget and shares the
  generator's CPU; flagged).
"""

# The sink's receive shares the generator's CPU; pl-gen spins there (paced
# too), so the sink's NAPI kthread runs SCHED_FIFO to be woken at once
# (otherwise the sink's 256-frame ring overflows and the tester, not the DUT,
# loses frames).
SINK_FIFO_PRIO = 10
BUSY_DEFER_HARD_IRQS = 2
BUSY_GRO_FLUSH_NS = 200000


class Placement:
    """A concrete placement of one row: contexts -> CPUs, plus what was set."""

    def __init__(self, variant, gen_cpu, dut_cpus, napi, poller=None, busy_poll=None, note=""):
        self.variant = variant
        self.gen_cpu = gen_cpu
        self.dut_cpus = dut_cpus
        self.napi = napi          # "threaded" (pinned to dut_cpus[0]) or "softirq-gen"
        self.poller = poller      # description of the user-space poller, or None
        self.busy_poll = busy_poll
        self.note = note

    @property
    def dut_cpu(self):
        return self.dut_cpus[0]

    @property
    def over_budget(self):
        return self.napi == "softirq-gen"

    def describe(self):
        d = {
            "variant": self.variant,
            "generator": "cpu%d (pl-gen)" % self.gen_cpu,
            "sink_rx_napi": "cpu%d (threaded NAPI of the sink veth, SCHED_FIFO %d)" % (self.gen_cpu, SINK_FIFO_PRIO),
            "dut_rx_napi": ("cpu%d (threaded NAPI kthread, pinned after every attach)" % self.dut_cpu
                            if self.napi == "threaded" else
                            "cpu%d (softirq raised by the generator's transmit: outside the DUT budget, "
                            "shared with the generator)" % self.gen_cpu),
            "dut_budget": ",".join("cpu%d" % c for c in self.dut_cpus),
        }
        if self.poller:
            d["poller"] = self.poller
        if self.busy_poll:
            d["busy_poll"] = self.busy_poll
        if self.note:
            d["note"] = self.note
        return d


def kernel(gen_cpu, dut_cpus):
    return [Placement("dut", gen_cpu, dut_cpus, "threaded")]


def afxdp(gen_cpu, dut_cpus, poller, busy_poll=None, both=True):
    """The AF_XDP recipe: everything on the budget; with both, also the NAPI on
    the generator's CPU (for a one-core budget, where the first livelocks)."""
    rows = [Placement("dut", gen_cpu, dut_cpus, "threaded", poller % dut_cpus[-1], busy_poll,
                      note="receive NAPI (XDP->XSK copy) and poller share cpu%d" % dut_cpus[0]
                      if len(dut_cpus) == 1 else "")]
    if both:
        rows.append(Placement("napi-gen", gen_cpu, dut_cpus, "softirq-gen", poller % dut_cpus[-1], None,
                              note="needs more than the budget: the receive copy runs on the generator's cpu%d"
                              % gen_cpu))
    return rows


def apply_napi(topo, place, dut_ifs):
    """Set threaded NAPI and its pinning for the DUT's interfaces; the sink's
    and generator's veths stay threaded on the generator's CPU."""
    done = topo.__dict__.setdefault("threaded_set", set())
    for role, ifname in (("gen", topo.info.get("GEN_IF")), ("sink", topo.info.get("SINK_IF"))):
        if ifname:
            # a device keeps its threaded flag; its NAPI thread is pinned
            # again (an XDP attach, e.g. a client's pl-sink, makes a new one)
            if ifname not in done:
                topo.set_threaded(role, ifname, True)
                done.add(ifname)
            topo.pin_napi(ifname, place.gen_cpu, fifo=SINK_FIFO_PRIO)
    for ifname in dut_ifs:
        topo.set_threaded("dut", ifname, place.napi == "threaded")
        if place.napi == "threaded":
            topo.pin_napi(ifname, place.dut_cpu)


def apply_busy_poll(topo, dut_ifs, on):
    """The per-device settings preferred busy polling is documented with."""
    for ifname in dut_ifs:
        topo.nsrun("dut", ["sh", "-c", "echo %d > /sys/class/net/%s/napi_defer_hard_irqs; "
                           "echo %d > /sys/class/net/%s/gro_flush_timeout"
                           % (BUSY_DEFER_HARD_IRQS if on else 0, ifname,
                              BUSY_GRO_FLUSH_NS if on else 0, ifname)], quiet=True)
