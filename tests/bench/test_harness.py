# SPDX-License-Identifier: MIT
"""Unit tests of the comparison harness's method (no root, no traffic): the
NDR/PDR search against model DUTs, and where drop verdicts are counted from.

Run: /usr/bin/python3 tests/bench/test_harness.py (meson: suite bench-unit).
"""
import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))

from pathlab_bench import cli, lab, measure, paths, paths_ovs, report, requests, workloads  # noqa: E402


class Model:
    """A DUT that handles up to `cap` frames/s (beyond: the excess is lost)
    behind a generator that offers at most `gen` frames/s; `dip` = (lo, hi,
    loss): a band of rates where it loses anyway (loss not monotonic)."""

    def __init__(self, cap, gen, dip=None):
        self.cap, self.gen, self.dip = cap, gen, dip
        self.trials = []

    def acc(self, rate, seconds):
        offered = self.gen if not rate else min(rate, self.gen)
        sent = int(offered * seconds)
        handled = min(offered, self.cap) * seconds
        if self.dip and self.dip[0] <= offered <= self.dip[1]:
            handled *= 1 - self.dip[2]
        handled = int(handled)
        self.trials.append((rate, seconds))
        a = {"sent": sent, "delivered": handled, "policy_drop": 0, "gen_seconds": seconds, "cpu_util": {},
             "span_s": seconds, "dut_proc_cpu_s": 0, "correct": True, "detail": ""}
        for k in getattr(measure, "ACCOUNT_KEYS", ()) + ("input_ring_drop", "input_drop", "dut_drop",
                                                          "dut_internal", "output_ring_drop"):
            a.setdefault(k, 0)
        a["unaccounted"] = 0
        return a


class Livelock(Model):
    """A DUT that forwards `cap` frames/s under overload but loses `lost` of
    them at every rate above `ok` (its receive starved by its own poller)."""

    def __init__(self, ok, cap, gen, lost=0.02):
        super().__init__(cap, gen)
        self.ok, self.lost = ok, lost

    def acc(self, rate, seconds):
        a = super().acc(rate, seconds)
        offered = self.gen if not rate else min(rate, self.gen)
        if self.ok < offered <= self.cap:
            a["delivered"] = int(a["sent"] * (1 - self.lost))
        return a


class PacedBehind(Model):
    """Its paced generator offers at most `paced` frames/s, whatever the
    target (its CPU also runs the DUT's receive); unpaced it offers `gen`."""

    def __init__(self, cap, gen, paced):
        super().__init__(cap, gen)
        self.paced = paced

    def acc(self, rate, seconds):
        a = super().acc(min(rate, self.paced) if rate else rate, seconds)
        self.trials[-1] = (rate, seconds)
        a["offered"] = rate
        return a


class PacedShort(Model):
    """Its paced generator keeps `share` of its target (a loaded machine)."""

    def __init__(self, cap, gen, share):
        super().__init__(cap, gen)
        self.share = share

    def acc(self, rate, seconds):
        a = super().acc(rate * self.share, seconds)
        self.trials[-1] = (rate, seconds)
        return a


class FakeCell:
    def __init__(self, model):
        self.model = model
        self.wl = workloads.WORKLOADS["fwd"]
        self.ctx = argparse.Namespace(bpf_stats=False)
        self.place = argparse.Namespace(dut_cpus=[1])
        self.bpf_prog = None

    def start_counting(self):
        pass

    def trial(self, rate, seconds, extra=()):
        return self.model.acc(rate, seconds)


def opts(**kw):
    o = dict(warmup=0, repeat=3, window=1.0, short=0.5, overload_seconds=0.5, steps=4, search=True, search_repeat=1, latency=False,
             latency_seconds=0.5)
    o.update(kw)
    return argparse.Namespace(**o)


class SearchTest(unittest.TestCase):
    def test_generator_limited(self):
        # no loss at the generator's full speed: NDR and PDR are that rate,
        # never a lower one found by bisection
        m = Model(cap=50e6, gen=4e6)
        row = measure.measure_cell(FakeCell(m), opts())
        self.assertEqual(row["overload_loss"], 0)
        self.assertGreaterEqual(row["ndr_mpps"]["median"], 0.99 * 4.0)
        self.assertGreaterEqual(row["pdr_mpps"]["median"], 0.99 * 4.0)
        # and they say so: a lower bound the generator set (a PDR above the
        # overload column is then no contradiction), marked in the table
        self.assertEqual(sorted(row["generator_limited"]), ["ndr_mpps", "pdr_mpps"])
        self.assertTrue(any("generator's full speed" in f for f in row["search_flags"]), row["search_flags"])
        row.update(path="x", title="x", workload="fwd", status="ok", variant="dut", correct="OK")
        md = report.markdown({"meta": {}, "rows": [row]})
        self.assertIn("| ≥4.000 | ≥4.000 |", md)

    def test_na_reason_without_build_path(self):
        e = ("driver veth refused XDP offload: pathlab-xdp: cannot load /work/x/build/xdp/pathlab.bpf.o: "
             "Invalid argument")
        self.assertEqual(paths.short(e), "driver veth refused XDP offload: pathlab-xdp: cannot load pathlab.bpf.o: "
                                         "Invalid argument")

    def test_limited_dut(self):
        # the DUT's limit is found from below, and each figure rests on a
        # full-length trial at that rate
        m = Model(cap=1e6, gen=4e6)
        row = measure.measure_cell(FakeCell(m), opts(steps=6))
        ndr = row["ndr_mpps"]["median"] * 1e6
        self.assertLessEqual(ndr, 1e6 * 1.001)
        self.assertGreaterEqual(ndr, 0.8e6)
        full = [r for r, s in m.trials if s == 1.0 and r]
        self.assertTrue(any(abs(r - ndr) <= 0.01 * ndr for r in full), (ndr, m.trials))
        # short trials bracket, full-length ones confirm
        self.assertTrue(any(s == 0.5 for _, s in m.trials))
        self.assertEqual(row["generator_limited"], [])

    def test_limit_near_the_overload_rate_in_default_steps(self):
        # a DUT that forwards its limit under overload (the generator offers
        # four times that): the default three bracketing trials find it
        # within 2 %, and nothing is flagged open
        for cap in (0.3e6, 1.19e6, 3e6):
            m = Model(cap=cap, gen=4.6e6)
            row = measure.measure_cell(FakeCell(m), opts(steps=3, repeat=1))
            pdr = row["pdr_mpps"]["median"] * 1e6
            self.assertLessEqual(pdr, cap * 1.001, m.trials)
            self.assertGreaterEqual(pdr, 0.98 * cap, m.trials)
            self.assertEqual(row["open_mpps"], {}, row["search_flags"])

    def test_open_interval_is_flagged_and_shown(self):
        # lossless only far below what it forwards under overload: the
        # bracketing trials may not close the interval; the figure is then
        # marked a lower bound, with the lowest rate seen failing
        m = Livelock(ok=0.03e6, cap=0.3e6, gen=4.6e6)
        row = measure.measure_cell(FakeCell(m), opts(steps=2, repeat=1))
        pdr = row["pdr_mpps"]["median"]
        self.assertLessEqual(pdr, 0.03)
        self.assertIn("pdr_mpps", row["open_mpps"])
        top = row["open_mpps"]["pdr_mpps"]
        self.assertGreater(top, 1.2 * pdr)
        self.assertTrue(any(f.startswith("PDR: interval left open") for f in row["search_flags"]), row["search_flags"])
        row.update(path="x", title="x", workload="fwd", status="ok", variant="dut", correct="OK")
        self.assertIn("%.3f, open to %.3f" % (pdr, top), report.markdown({"meta": {}, "rows": [row]}))
        # and the bracketing stays bounded: at most twice --steps short trials
        shorts = [r for r, s in m.trials if s == 0.5 and r]
        self.assertLessEqual(len(shorts), 4, m.trials)

    def test_more_steps_close_a_wide_interval(self):
        # an interval still wider than a factor of two after --steps gets up
        # to --steps more trials
        m = Livelock(ok=0.2e6, cap=1.19e6, gen=4.6e6, lost=0.006)
        row = measure.measure_cell(FakeCell(m), opts(steps=3, repeat=1))
        top = row["open_mpps"].get("pdr_mpps")
        self.assertTrue(top is None or top <= 2.0 * row["pdr_mpps"]["median"] * 1.001, (top, m.trials))

    def test_paced_generator_behind_is_a_lower_bound(self):
        # the DUT loses 1 % above 0.76 Mpps; the generator offers 0.8 unpaced
        # but only 0.54 paced: the figure is the generator's, marked so, and
        # the search stops asking for rates it cannot offer
        m = PacedBehind(cap=0.76e6 / 0.99, gen=0.8e6, paced=0.54e6)
        m.dip = (0.76e6, 1e9, 0.01)
        row = measure.measure_cell(FakeCell(m), opts(steps=3, repeat=1))
        self.assertAlmostEqual(row["pdr_mpps"]["median"], 0.54, places=3)
        self.assertIn("pdr_mpps", row["generator_limited"])
        self.assertEqual(row["open_mpps"], {}, row["search_flags"])
        self.assertTrue(any("paced generator fell behind" in f for f in row["search_flags"]), row["search_flags"])
        shorts = [r for r, s in m.trials if s == 0.5 and r]
        self.assertLessEqual(len(shorts), 2, m.trials)

    def test_paced_shortfall_is_made_up(self):
        # a generator that keeps 7 % under every paced target: the search
        # asks for that much more, and the figure is not 7 % low
        m = PacedShort(cap=1e6, gen=4.6e6, share=0.93)
        row = measure.measure_cell(FakeCell(m), opts(steps=3, repeat=1))
        self.assertGreaterEqual(row["pdr_mpps"]["median"], 0.97, m.trials)
        self.assertLessEqual(row["pdr_mpps"]["median"], 1.0, m.trials)
        self.assertEqual(row["generator_limited"], [])

    def test_never_below_a_lossless_full_trial(self):
        # a full-length trial without loss above the reported PDR must either
        # raise the PDR or be flagged
        m = Model(cap=50e6, gen=4e6, dip=(1.5e6, 3.0e6, 0.02))
        row = measure.measure_cell(FakeCell(m), opts())
        pdr = row["pdr_mpps"]["median"]
        self.assertGreaterEqual(pdr, 0.99 * 4.0)
        flags = " ".join(row.get("search_flags", []))
        lossy_below = any(1.5e6 <= r <= 3.0e6 for r, s in m.trials if s == 1.0 and r)
        if lossy_below:
            self.assertIn("not monotonic", flags)


class VerdictCounterTest(unittest.TestCase):
    def test_ovs_static_drop_counts_the_flow(self):
        # the OVS reference's drops are its drop flow's n_packets, not the
        # frames that reached its socket (some never got to OVS's PMD)
        ctx = argparse.Namespace(src="/nonexistent", build="/nonexistent", lab=argparse.Namespace(prefix="plt-t"))
        p = paths_ovs.OvsStatic(ctx)
        p.topo = {"DUT_IN_IF": "in0", "DUT_OUT_IF": "out0"}
        p.rundir = "/nonexistent"
        p.place = argparse.Namespace(dut_cpus=[1])
        p._wl = "drop"
        p.ovs_argv = lambda: ["true"]
        saved = paths.C.ovs, paths.C.veth, getattr(paths.C, "ovs_direct", None)
        try:
            paths.C.ovs = lambda lab, argv: {"dropped": 100, "ovs_out0_tx_packets": 0}
            paths.C.ovs_direct = lambda lab, rundir, br, ports, pool: {"dropped": 100, "ovs_out0_tx_packets": 0}
            paths.C.veth = lambda topo, role, ifname: {"rx_queue_0_xdp_redirect": 1000}
            c = p.counters()
        finally:
            paths.C.ovs, paths.C.veth, paths.C.ovs_direct = saved
        self.assertEqual(c["drop"], 100)

    def test_ring_drops_are_not_verdicts(self):
        # a user-space DUT's drop verdicts come from its counter alone; frames
        # its AF_XDP ring refused are lost, not handled
        if not hasattr(measure, "ACCOUNT_KEYS"):
            self.fail("no per-cause accounting")
        cell = argparse.Namespace(path=argparse.Namespace(drops_in_xdp=False))
        z = {"cpu": {}, "proc": 0, "t": 0.0, "bpf": None}
        a = dict(z, gen={}, dut_in={}, dut_out={}, sink={}, dut={"drop": 0})
        b = dict(z, t=1.0, gen={}, dut_in={"rx_queue_0_drops": 600, "rx_queue_0_xdp_redirect": 400},
                 dut_out={}, sink={}, dut={"drop": 400})
        acc = measure.account(cell, a, b, {"packets": 1000})
        self.assertEqual(acc["policy_drop"], 400)
        self.assertEqual(acc["redirect_fail"], 600)
        self.assertEqual(acc["unaccounted"], 0)
        self.assertEqual(workloads.WORKLOADS["drop"].handled(acc), 400)

    def test_delivered_is_the_sinks_own_count(self):
        # what reached the sink is pl-sink's own count (its --counts file),
        # not a driver's counter: a NIC names its per-queue XDP counters its
        # own way (mlx5: rx_xdp_*, ena: queue_N_rx_xdp_*), and veth's
        # rx_queue_N_xdp_packets only attributes
        cell = argparse.Namespace(path=argparse.Namespace(drops_in_xdp=False))
        z = {"cpu": {}, "proc": 0, "t": 0.0, "bpf": None, "gen": {}, "dut_in": {}, "dut_out": {}, "dut": {"drop": 0}}
        for sink_a, sink_b in (({}, {"rx_xdp_redirect": 7, "rx_packets_phy": 1000}),      # a NIC's names
                               ({"rx_queue_0_xdp_packets": 5}, {"rx_queue_0_xdp_packets": 905})):  # veth's
            a = dict(z, sink=sink_a, sink_rx={"packets": 100, "bytes": 6400, "polled_ns": 1})
            b = dict(z, t=1.0, sink=sink_b, sink_rx={"packets": 1100, "bytes": 70400, "polled_ns": 2})
            acc = measure.account(cell, a, b, {"packets": 1000})
            self.assertEqual(acc["delivered"], 1000)
            self.assertEqual(acc["unaccounted"], 0)
            self.assertEqual(acc.get("delivered_from"), "pl-sink")
            ok, why = workloads.WORKLOADS["fwd"].check(dict(acc, verdicts=True))
            self.assertTrue(ok, why)
        # no counts from pl-sink: the trial is wrong, with the reason
        a = dict(z, sink={"rx_queue_0_xdp_packets": 0}, sink_rx=None)
        b = dict(z, t=1.0, sink={"rx_queue_0_xdp_packets": 1000}, sink_rx=None)
        acc = measure.account(cell, a, b, {"packets": 1000})
        ok, why = workloads.WORKLOADS["fwd"].check(dict(acc, verdicts=True))
        self.assertFalse(ok)
        self.assertIn("pl-sink", why)


class DefaultRunTest(unittest.TestCase):
    """What `./lab run` (compare.sh without options) measures: the cells of its plan."""

    def plan(self, argv):
        a = cli.parse(argv)
        ctx = argparse.Namespace(gen_cpu=a.gen_cpu, dut_cpus=a.dut_cpus, both_ways=a.placements == "both",
                                 lab=None, nic=None)
        chosen = [p for p in cli.all_paths(ctx) if p.name in a.paths]
        plan, na = cli.plan_cells(a, chosen)
        cells = {(p.name, place.variant, wl.name, size) for p, place, runs in plan for wl, size in runs}
        return chosen, cells, na

    def test_default_run_has_a_jumbo_fwd_cell(self):
        chosen, cells, na = self.plan([])
        fwd = workloads.WORKLOADS["fwd"]
        carried = 0
        for p in chosen:
            if p.check(fwd):
                continue  # not built here, or no fwd: its fwd row says why
            if p.check_size(9018):
                # the rows that cannot carry it say why (e.g. DPDK 22.11's net_af_xdp)
                r = [x for x in na if x["path"] == p.name and x["size"] == 9018 and x["workload"] == "fwd"]
                self.assertTrue(r and r[0]["reason"], "%s: no n/a row for 9018-byte fwd" % p.name)
                continue
            carried += 1
            for place in p.placements():
                self.assertIn((p.name, place.variant, "fwd", 9018), cells)
                self.assertIn((p.name, place.variant, "fwd", 64), cells)
        self.assertGreater(carried, 0, "no path here carries the default run's jumbo fwd cell")
        # the drop workload stays at 64 bytes only
        self.assertFalse([c for c in cells if c[2] == "drop" and c[3] != 64])

    def test_quick_and_explicit_sizes_have_no_extra_jumbo_cell(self):
        for argv in (["--quick"], ["--jumbo-fwd", "0"], ["--sizes", "9018"], ["--workloads", "drop"]):
            a = cli.parse(argv)
            self.assertEqual(a.jumbo_fwd, 0, argv)

    def test_jumbo_fwd_size_is_checked(self):
        import contextlib
        import io
        for bad in ("1518", "9019", "64"):
            err = io.StringIO()
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(err):
                cli.parse(["--jumbo-fwd", bad])
            self.assertIn("--jumbo-fwd", err.getvalue())


class LeftoversTest(unittest.TestCase):
    """What a killed run recorded is undone by PID and start time only, and
    only for runs that are dead."""

    def setUp(self):
        import subprocess
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="plt-state-")
        lab.STATE_DIR = self.dir
        self.sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)

    def tearDown(self):
        import shutil
        if self.sleeper.poll() is None:
            self.sleeper.kill()
        self.sleeper.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def record(self, name, run_pid, run_start, proc_start):
        import json
        data = {"pid": run_pid, "start": run_start, "prefix": name, "pltopo": "", "undo": [], "remove": [],
                "sysctl": {}, "procs": [{"pid": self.sleeper.pid, "start": proc_start, "argv": ["sleep"]}]}
        with open(os.path.join(self.dir, name + ".json"), "w") as f:
            json.dump(data, f)

    def test_dead_run_is_undone(self):
        # a run whose PID is gone (no start time matches): its processes are killed
        me = lab.start_time(self.sleeper.pid)
        self.record("plt-x1", 2 ** 22 + 7, 1, me)
        self.assertEqual(lab.clean_stale(), [])
        self.assertEqual(self.sleeper.wait(5), -9)
        self.assertEqual(os.listdir(self.dir), [])

    def test_reused_pid_is_spared(self):
        # the recorded start time is not the process's: the PID was reused
        self.record("plt-x2", 2 ** 22 + 7, 1, lab.start_time(self.sleeper.pid) - 1)
        lab.clean_stale()
        self.assertIsNone(self.sleeper.poll())

    def test_live_run_is_left_alone(self):
        self.record("plt-x3", os.getpid(), lab.start_time(os.getpid()), lab.start_time(self.sleeper.pid))
        self.assertEqual(lab.clean_stale(), ["plt-x3"])
        self.assertIsNone(self.sleeper.poll())
        self.assertEqual(os.listdir(self.dir), ["plt-x3.json"])


TOPO = {"DUT_IN_IF": "d0", "DUT_OUT_IF": "d1", "SINK_MAC": "02:50:4c:00:02:02", "DUT_OUT_MAC": "02:50:4c:00:02:01",
        "SINK_IP4": "10.0.2.2", "SINK_PLEN4": "24", "DUT_IN_IP4": "10.0.1.2"}

WRK_OUT = """Running 3s test @ http://10.0.1.2:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   510.12us  300.00us   9.10ms   90.00%
    Req/Sec    30.10k     1.20k   32.00k    70.00%
  Latency Distribution
     50%  450.00us
     75%  600.00us
     90%  800.00us
     99%    1.50ms
  90321 requests in 3.00s, 10.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:  30107.00
Transfer/sec:      3.33MB
"""


class RouteWorkloadTest(unittest.TestCase):
    """The route workload: its policy, and the check of what the router changed."""

    def acc(self, delivered, ttl):
        return {"sent": delivered, "delivered": delivered, "policy_drop": 0, "unaccounted": 0, "verdicts": True,
                "ttl": ttl}

    def test_policy_routes_the_sink_subnet_via_the_sink(self):
        self.assertEqual(workloads.WORKLOADS["route"].policy(TOPO),
                         "route 10.0.2.0/24 dev d1 mac 02:50:4c:00:02:02 src-mac 02:50:4c:00:02:01 via 10.0.2.2\n")

    def test_routed_frames_pass(self):
        ok, detail = workloads.WORKLOADS["route"].check(self.acc(100000, {63: 100000}))
        self.assertTrue(ok, detail)

    def test_ttl_not_decremented_fails(self):
        ok, detail = workloads.WORKLOADS["route"].check(self.acc(100000, {64: 100000}))
        self.assertFalse(ok)
        self.assertIn("without TTL 63", detail)

    def test_bad_checksum_fails(self):
        ok, detail = workloads.WORKLOADS["route"].check(self.acc(100000, {63: 99990, "bad_csum": 10}))
        self.assertFalse(ok)
        self.assertIn("checksum", detail)

    def test_no_ttl_counts_fails(self):
        ok, detail = workloads.WORKLOADS["route"].check(self.acc(100000, None))
        self.assertFalse(ok)

    def test_route_handled_is_arrival(self):
        self.assertEqual(workloads.WORKLOADS["route"].handled({"delivered": 7, "policy_drop": 3}), 7)

    def test_paths_with_a_route_stage_run_it(self):
        for cls in (paths.Linux, paths.PathlabXdpNative, paths.PathlabXdpGeneric, paths.PathlabAfxdpUser,
                    paths.PathlabAfxdpHybrid, paths.PathlabDpdkAfxdp, paths.PathlabDpdkHybrid):
            self.assertIn("route", cls.workloads, cls.__name__)
        self.assertNotIn("route", paths.BareXdp.workloads)


def _csum(b):
    import struct
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(sport, dport, src="10.0.1.1", dst="10.0.2.2", flen=60):
    """A 64-byte (60 without FCS) IPv4 UDP frame as pl-gen builds it (bench/pl_gen_frames.c)."""
    import socket
    import struct
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    l4len = flen - 14 - 20
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, flen - 14, 1, 0x4000, 64, 17, 0, s, d)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", sport, dport, l4len, 0) + b"\0" * (l4len - 8)
    udp = udp[:6] + struct.pack("!H", _csum(s + d + struct.pack("!BBH", 0, 17, l4len) + udp) or 0xffff) + udp[8:]
    return bytes.fromhex("02504c000102" "02504c000101" "0800") + ip + udp


def write_pcap(path, frames):
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, x in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(x), len(x)) + x)


# pl-gen's defaults (bench/pl-gen.c): GEN_IP4 10.0.1.1 -> SINK_IP4 10.0.2.2,
# source ports 1024 + flow over 256 flows, destination port 7; latency
# probes to UDP 9999
GEN_FRAMES = [udp_frame(1024 + i, 7) for i in range(256)] + [udp_frame(1024, 9999), udp_frame(1279, 9999)]


class FullWorkloadTest(unittest.TestCase):
    """The full workload: fwd with every stage of examples/full.policy on."""

    def build(self, rel):
        b = os.environ.get("PATHLAB_BUILD") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                            "..", "..", "build")
        tool = os.path.join(b, rel)
        if not os.access(tool, os.X_OK):
            self.skipTest("%s not built" % rel)
        return tool

    def test_policy_is_full_policy_with_the_fwd_rule(self):
        full = workloads.WORKLOADS["full"].policy(TOPO).splitlines()
        fwd = workloads.WORKLOADS["fwd"].policy(TOPO).splitlines()
        self.assertEqual(full[-1:], fwd, "full ends with fwd's forward rule")
        ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "full.policy")
        with open(ex) as f:
            stmts = [" ".join(l.split("#")[0].split()) for l in f]
        want = [l for l in stmts if l and not l.startswith("forward")]
        self.assertEqual([" ".join(l.split()) for l in full[:-1]], want,
                         "full's stages are examples/full.policy's, in its order")
        self.assertEqual(len([l for l in want if l.startswith("acl ") and l != "acl default pass"]), 7)
        self.assertEqual(len([l for l in want if l.startswith("steer ")]), 3)

    def test_policy_parses(self):
        tool = self.build("xdp/pathlab-policy")
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory(prefix="plt-full-") as d:
            pol = os.path.join(d, "full.policy")
            with open(pol, "w") as f:
                f.write(workloads.WORKLOADS["full"].policy(TOPO))
            r = subprocess.run([tool, "check", pol], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("acl=7 steer=6 forward=redirect(1)", r.stdout)

    def replay(self, tool, d, name, frames):
        import subprocess
        pcap = os.path.join(d, "%s.pcap" % name)
        write_pcap(pcap, frames)
        out = {}
        for wl in ("fwd", "full"):
            pol = os.path.join(d, "%s.policy" % wl)
            with open(pol, "w") as f:
                f.write(workloads.WORKLOADS[wl].policy(TOPO))
            res = os.path.join(d, "%s-%s.plres" % (name, wl))
            r = subprocess.run([tool, "-b", "native", "-q", "-p", pol, "--port", "d0=2", "--port", "d1=3",
                                "--in-port", "2", "--results-out", res, pcap], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(res) as f:
                out[wl] = [l.rstrip("\n").split("\t") for l in f if not l.startswith("#")]
        return out

    def test_no_stage_decides_the_generators_frames(self):
        """pl-gen's frames through the native core: with full's policy each
        gets exactly what fwd's gives it (redirect to the output port, the
        same bytes), while frames a rule names are decided by it (the
        stages are on)."""
        tool = self.build("replay/pathlab-replay")
        import tempfile
        with tempfile.TemporaryDirectory(prefix="plt-full-") as d:
            got = self.replay(tool, d, "gen", GEN_FRAMES)
            self.assertEqual(len(got["full"]), len(GEN_FRAMES))
            self.assertEqual(got["full"], got["fwd"])
            self.assertEqual({(v, port) for _, v, port, _ in got["full"]}, {("redirect", "3")})
            control = [udp_frame(1024, 4242), udp_frame(1024, 5003), udp_frame(1024, 9001),
                       udp_frame(1024, 7, src="203.0.113.9")]
            got = self.replay(tool, d, "control", control)
            self.assertEqual([v for _, v, _, _ in got["full"]], ["user", "user", "drop", "drop"])
            self.assertEqual({v for _, v, _, _ in got["fwd"]}, {"redirect"})

    def test_handled_and_check_are_fwds(self):
        full, fwd = workloads.WORKLOADS["full"], workloads.WORKLOADS["fwd"]
        self.assertEqual(full.action, "fwd")
        self.assertNotIn("full", workloads.DEFAULT)
        self.assertEqual(full.gen_args, fwd.gen_args)
        a = {"sent": 100000, "delivered": 99000, "policy_drop": 1000, "unaccounted": 0, "verdicts": True}
        self.assertEqual(full.handled(a), fwd.handled(a))
        self.assertEqual(full.check(a), fwd.check(a))
        self.assertFalse(full.check(a)[0], "a policy drop fails full as it fails fwd")
        a = dict(a, delivered=100000, policy_drop=0)
        self.assertTrue(full.check(a)[0])

    def test_rows_that_do_fwd_do_full(self):
        ctx = argparse.Namespace(gen_cpu=0, dut_cpus=[1], both_ways=False, lab=None, nic=None)
        fwd, full = workloads.WORKLOADS["fwd"], workloads.WORKLOADS["full"]
        for p in cli.all_paths(ctx):
            if p.name == "linux":
                self.assertNotIn("full", p.workloads)
                continue
            self.assertEqual("full" in p.workloads, "fwd" in p.workloads, p.name)
        for name in ("ref-xdp", "ref-afxdp", "ref-testpmd", "testpmd-io", "ref-ovs", "pvp-testpmd"):
            p = [x for x in cli.all_paths(ctx) if x.name == name][0]
            self.assertTrue(p.policy_free, name)
        for name in ("xdp-native", "afxdp-user", "dpdk-afxdp", "ovs-afxdp", "ovs-afxdp-xdp", "pvp-pathlab"):
            p = [x for x in cli.all_paths(ctx) if x.name == name][0]
            self.assertFalse(p.policy_free, name)
        # the bare references configure the same action for both
        self.assertEqual(full.action, fwd.name)

    def test_plan_and_help(self):
        a = cli.parse(["--paths", "xdp-native,ref-xdp", "--workloads", "fwd,full", "--jumbo-fwd", "0"])
        ctx = argparse.Namespace(gen_cpu=a.gen_cpu, dut_cpus=a.dut_cpus, both_ways=False, lab=None, nic=None)
        chosen = [p for p in cli.all_paths(ctx) if p.name in a.paths]
        plan, na = cli.plan_cells(a, chosen)
        cells = {(p.name, wl.name) for p, _, runs in plan for wl, _ in runs}
        built = {p.name for p in chosen if not p.check(workloads.WORKLOADS["fwd"])}
        self.assertEqual(cells, {(n, w) for n in built for w in ("fwd", "full")})
        self.assertEqual(cli.parse([]).workloads, workloads.DEFAULT)
        import contextlib
        import io
        out = io.StringIO()
        with self.assertRaises(SystemExit), contextlib.redirect_stdout(out):
            cli.parse(["--help"])
        self.assertIn("full = L2 forward with every stage on", " ".join(out.getvalue().split()))

    def test_vs_ref_pairs_full_with_the_references_full(self):
        def row(path, wl, over, pdr, ref=None):
            return {"path": path, "variant": "dut", "workload": wl, "size": 64, "status": "ok",
                    "reference_path": ref, "overload_mpps": {"median": over}, "pdr_mpps": {"median": pdr}}
        rows = [row("xdp-native", "fwd", 1.0, 0.5, "ref-xdp"), row("xdp-native", "full", 0.9, 0.4, "ref-xdp"),
                row("ref-xdp", "fwd", 2.0, 1.0), row("ref-xdp", "full", 1.8, 0.8)]
        report.tax(rows)
        self.assertEqual(rows[1]["vs_reference"], {"overload_mpps": 0.5, "pdr_mpps": 0.5})
        self.assertEqual(rows[1]["reference_row"], "ref-xdp@dut")
        self.assertEqual(rows[0]["vs_reference"], {"overload_mpps": 0.5, "pdr_mpps": 0.5})


class ResponderWorkloadTest(unittest.TestCase):
    """The responder workload: client shape, wrk's output, the table."""

    def test_policy_listens_on_the_dut_address(self):
        pol = workloads.WORKLOADS["responder"].policy(TOPO)
        self.assertIn("responder listen 10.0.1.2 %d" % workloads.RESPONDER_PORT, pol)
        self.assertIn(workloads.RESPONDER_BODY, pol)
        self.assertEqual(workloads.WORKLOADS["responder"].kind, "requests")

    def test_client_budget_is_the_cpus_outside_the_dut(self):
        class Ctx:
            dut_cpus, gen_cpu = [1], 0
        cpus = requests.client_cpus(Ctx())
        self.assertNotIn(1, cpus)
        self.assertEqual(requests.shape(cpus), (len(cpus), len(cpus) * requests.CONNS_PER_THREAD))
        self.assertEqual(requests.shape([0, 2, 3]), (3, 3 * requests.CONNS_PER_THREAD))

    def test_parse_wrk(self):
        r = requests.parse_wrk(WRK_OUT)
        self.assertEqual(r["requests"], 90321)
        self.assertEqual(r["rps"], 30107.0)
        self.assertEqual(r["errors"], 3)
        self.assertEqual(r["non2xx"], 3)
        self.assertEqual(r["latency_us"], {"p50": 450.0, "p75": 600.0, "p90": 800.0, "p99": 1500.0})

    def test_table_says_client_limited(self):
        row = {"path": "xdp-native", "title": "pathlab-xdp native", "workload": "responder", "status": "ok",
               "variant": "dut", "krps": {"median": 30.1, "min": 29.0, "max": 31.0, "n": 3, "unstable": False},
               "latency_us": {"p50": 450.0, "p99": 1500.0}, "client": {"busy": [0.97, 0.98, 0.99]},
               "dut_busy": [0.4, 0.4, 0.4], "client_limited": True, "correct": "OK", "notes": []}
        md = report.markdown({"meta": {}, "rows": [row]})
        line = [l for l in md.splitlines() if l.startswith("| pathlab-xdp native | dut | 30.1")]
        self.assertEqual(len(line), 1, md)
        self.assertIn("**yes**", line[0])


if __name__ == "__main__":
    unittest.main()
