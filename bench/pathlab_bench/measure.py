# SPDX-License-Identifier: MIT
"""Trials, the NDR/PDR search, overload, repeats, frame accounting.

A trial: read every counter, run pl-gen for D seconds at rate R (0: as fast as
it can), wait until the sink stops counting, read every counter again. The
frames pl-gen sent are accounted for from the kernel's veth counters and the
DUT's own: refused by the DUT's full input ring, dropped on input (XDP drop
verdicts and failed redirects, e.g. a full AF_XDP ring), dropped by the DUT's
policy in user space, lost inside the DUT, lost at its output ring, delivered.

The search follows FD.io CSIT's MLRsearch in spirit: short trials bracket the
rate for each loss target (NDR: 0 %, PDR: 0.5 %), halving the interval;
trials of the full length then confirm the lower bound (a failed confirmation
moves the bound down), and a final trial at the found rate is reported.
"""
import concurrent.futures
import json
import os
import statistics
import time

from . import counters as C
from .where import layout

POOL = concurrent.futures.ThreadPoolExecutor(max_workers=6)
NDR_LOSS = 0.0
PDR_LOSS = 0.005


class Cell:
    """The running DUT of one row plus what a trial needs."""

    def __init__(self, ctx, topo, path, wl, place, size):
        self.ctx = ctx
        self.lab = ctx.lab
        self.topo = topo
        self.path = path
        self.wl = wl
        self.place = place
        self.size = size
        self.bpf_prog = None

    # --- readings ---------------------------------------------------------
    def snapshot(self):
        """Every counter at once (the reads run in parallel: each is a
        process in a namespace)."""
        t = self.topo.info
        jobs = {"gen": lambda: C.veth(self.topo, "gen", t["GEN_IF"]),
                "dut_in": lambda: C.veth(self.topo, "dut", t["DUT_IN_IF"]),
                "dut_out": lambda: C.veth(self.topo, "dut", t["DUT_OUT_IF"]),
                "sink": lambda: C.veth(self.topo, "sink", t["SINK_IF"]),
                "dut": lambda: self.path.counters() or {},
                "bpf": self.bpf_read}
        futs = {k: POOL.submit(f) for k, f in jobs.items()}
        s = {k: f.result() for k, f in futs.items()}
        s["cpu"] = C.cpu_times()
        s["proc"] = C.proc_cpu_seconds(self.pids)
        s["t"] = time.time()
        return s

    def sink_count(self):
        """What has landed so far: the sink's count and the DUT's own counters
        (a user-space DUT may still work through its rings after the generator
        stopped; a drop workload sends nothing to the sink)."""
        c = self.path.counters() or {}
        return (C.veth_sum(C.veth(self.topo, "sink", self.topo["SINK_IF"]), "xdp_packets"),
                c.get("rx", 0), c.get("drop", 0), c.get("internal", 0))

    def bpf_read(self):
        if not self.bpf_prog:
            return None
        rc, out, _ = self.lab.run(["bpftool", "-j", "prog", "show", "id", str(self.bpf_prog)], quiet=True)
        try:
            j = json.loads(out)
            return (j.get("run_time_ns", 0), j.get("run_cnt", 0))
        except ValueError:
            return None

    def bpf_find(self):
        """The id of the XDP program on the path's device (for run time per packet)."""
        dev = self.path.xdp_prog_dev()
        self.bpf_prog = None
        if not dev or not self.ctx.bpf_stats:
            return
        rc, out, _ = self.topo.nsrun("dut", ["ip", "-j", "-d", "link", "show", "dev", dev], quiet=True)
        try:
            xdp = json.loads(out)[0].get("xdp", {})
            pid = xdp.get("prog", {}).get("id") or (xdp.get("attached") or [{}])[0].get("prog", {}).get("id")
            self.bpf_prog = pid
        except (ValueError, IndexError, AttributeError):
            pass

    def start_counting(self):
        self.pids = self.path.pids()
        self.bpf_find()

    # --- one trial ---------------------------------------------------------
    def trial(self, rate, seconds):
        genargv = [layout.tool("bench/pl-gen"), "-T", self.topo.name, "-s", str(self.size),
                   "-d", "%g" % seconds, "--cpu", str(self.place.gen_cpu), "--nice", "-10", "--json"]
        if rate:
            genargv += ["-r", str(int(rate))]
        genargv += self.wl.gen_args
        a = self.snapshot()
        rc, out, err = self.topo.nsrun("gen", genargv, timeout=seconds + 30)
        gen = {}
        for line in out.splitlines():
            if line.startswith("{"):
                try:
                    gen = json.loads(line)
                except ValueError:
                    pass
        tgen = time.time()
        self.drain()
        b = self.snapshot()
        acc = account(self, a, b, gen)
        acc["gen_seconds"] = gen.get("seconds", seconds)
        acc["window_end"] = tgen
        acc["offered"] = rate
        ok, detail = self.wl.check(acc)
        acc["correct"] = ok
        acc["detail"] = detail
        self.ctx.trials.append({"path": self.path.name, "variant": self.place.variant, "workload": self.wl.name,
                                "size": self.size, "rate": rate, "seconds": seconds, **acc})
        return acc

    def drain(self, step=0.05, most=1.5):
        """Wait until frames in flight have landed (the sink's count stands still)."""
        last = self.sink_count()
        end = time.time() + most
        time.sleep(step)
        while time.time() < end:
            cur = self.sink_count()
            if cur == last:
                break
            last = cur
            time.sleep(step)


def account(cell, a, b, gen):
    """Where every frame of a trial went, from two snapshots."""
    d = {k: C.delta(a[k], b[k]) for k in ("gen", "dut_in", "dut_out", "sink", "dut")}
    sent = int(gen.get("packets", 0))
    # one drop shows in several counters: the generator veth's xdp_xmit_errors
    # is its tx_dropped and the input veth's rx_dropped; the output veth's
    # xdp_xmit_errors is its tx_dropped and the sink veth's rx_dropped
    in_ring = max(C.veth_sum(d["gen"], "xdp_xmit_errors"), d["gen"].get("tx_dropped", 0))
    delivered = C.veth_sum(d["sink"], "xdp_packets")
    # the input veth: XDP_DROP verdicts (xdp_drops) and failed redirects, e.g.
    # into a full AF_XDP ring (rx_queue_N_drops); its rx_dropped repeats the
    # generator side's xmit errors and these
    xdp_in_drop = C.veth_sum(d["dut_in"], "xdp_drops")
    redirect_fail = C.veth_sum(d["dut_in"], "drops")
    out_ring = max(C.veth_sum(d["dut_out"], "xdp_xmit_errors"), d["dut_out"].get("tx_dropped", 0),
                   d["sink"].get("rx_dropped", 0))
    dut = d["dut"]
    dut_drop = int(dut.get("drop", 0))
    # frames the DUT says it lost itself (testpmd tx errors, OVS tx drops);
    # pathlab's per-stage counters (x.*) are verdict details, not extra losses
    internal = int(dut.get("internal", 0))
    if cell.path.drops_in_xdp:
        dropped_in = redirect_fail + max(xdp_in_drop, dut_drop)   # the veth counted the policy's drops too
    else:
        dropped_in = redirect_fail + xdp_in_drop + dut_drop
    unacc = sent - in_ring - delivered - dropped_in - out_ring - internal
    acc = {"sent": sent, "input_ring_drop": in_ring, "delivered": delivered,
           "input_drop": xdp_in_drop + redirect_fail,
           "dut_drop": dut_drop if dut_drop else (xdp_in_drop if cell.path.drops_in_xdp else 0),
           "dut_internal": internal, "output_ring_drop": out_ring, "unaccounted": unacc,
           "verdicts": bool(dut),
           "raw": {k: {n: v for n, v in d[k].items() if v} for k in d}}
    secs = max(1e-6, b["t"] - a["t"])
    acc["cpu_util"] = C.cpu_util(a["cpu"], b["cpu"])
    acc["dut_proc_cpu_s"] = round(b["proc"] - a["proc"], 3)
    if a["bpf"] and b["bpf"]:
        dn, dc = b["bpf"][0] - a["bpf"][0], b["bpf"][1] - a["bpf"][1]
        acc["bpf_ns_per_pkt"] = round(dn / dc, 1) if dc > 0 else None
    acc["span_s"] = round(secs, 3)
    return acc


def loss_of(cell, acc):
    sent = acc["sent"]
    if sent <= 0:
        return 1.0
    return max(0.0, 1.0 - cell.wl.handled(acc) / float(sent))


def rate_of(cell, acc):
    """Handled frames per second over the generator's sending time."""
    return cell.wl.handled(acc) / max(1e-6, acc["gen_seconds"])


def search(cell, hi, short, full, steps, targets=(NDR_LOSS, PDR_LOSS), floor=5000):
    """NDR and PDR together, as MLRsearch does: every short trial narrows the
    interval of every loss target (a trial with loss L is a lower bound for
    the targets >= L and an upper bound for the others); the next trial goes to
    the middle of the widest interval. Then, per target, a trial of the full
    length at the lower bound confirms it (if it fails, the bound halves, at
    most twice); that final trial's handled rate is the figure.
    Returns {target: {"rate", "target", "loss", "final": acc, "trials": n}}."""
    lo = {t: float(floor) for t in targets}
    up = {t: float(max(hi, floor * 2)) for t in targets}
    n = 0
    for _ in range(steps):
        t = max(targets, key=lambda x: (up[x] - lo[x]) / up[x])
        if (up[t] - lo[t]) <= 0.05 * up[t]:
            break
        mid = (lo[t] + up[t]) / 2.0
        acc = cell.trial(mid, short)
        n += 1
        # a trial counts when the generator offered at least half the target
        # (on a loaded machine it can fall behind its schedule)
        valid = acc["sent"] >= 0.5 * mid * short
        loss = loss_of(cell, acc)
        for x in targets:
            if valid and loss <= x:
                lo[x] = max(lo[x], min(mid, up[x]))
            elif mid < up[x]:
                up[x] = max(mid, lo[x])
    res = {}
    for x in targets:
        r = lo[x]
        for _ in range(3):
            acc = cell.trial(r, full)
            n += 1
            if loss_of(cell, acc) <= x or r <= floor:
                break
            r = max(floor, r / 2.0)
        ok = loss_of(cell, acc) <= x
        res[x] = {"rate": rate_of(cell, acc) if ok else 0.0, "target": r, "loss": loss_of(cell, acc),
                  "final": acc, "trials": n}
    return res


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    return {"median": med, "min": lo, "max": hi, "n": len(values),
            "unstable": bool(med > 0 and (hi - lo) / med > 0.10)}


def measure_cell(cell, opts):
    """Overload (repeats) and NDR/PDR (repeats) of one cell; returns the row's figures."""
    cell.start_counting()
    cell.trial(0, opts.warmup) if opts.warmup > 0 else None
    over = []
    for _ in range(opts.repeat):
        over.append(cell.trial(0, opts.window))
    over_rates = [rate_of(cell, a) for a in over]
    if cell.ctx.bpf_stats and cell.bpf_prog:
        # the program's own run time: one more overload trial with
        # kernel.bpf_stats_enabled on (it costs every BPF program two clock
        # reads, so the rate trials run without it)
        cell.lab.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], quiet=True)
        try:
            over_bpf = cell.trial(0, min(opts.window, 0.3))
        finally:
            cell.lab.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=0"], quiet=True)
    else:
        over_bpf = None
    hi = max(over_rates + [10000])
    ndr, pdr, finals = [], [], []
    for _ in range(opts.search_repeat if opts.search else 0):
        r = search(cell, hi * 1.05, opts.short, opts.window, opts.steps)
        ndr.append(r[NDR_LOSS]["rate"])
        # a rate without loss is also one within 0.5 % loss
        pdr.append(max(r[PDR_LOSS]["rate"], r[NDR_LOSS]["rate"]))
        finals.append(r[PDR_LOSS]["final"])
    checks = over + finals + ([over_bpf] if over_bpf else [])
    bad = [a["detail"] for a in checks if not a["correct"]]
    mid = over[len(over) // 2]
    row = {
        "overload_mpps": summary([r / 1e6 for r in over_rates]),
        "ndr_mpps": summary([r / 1e6 for r in ndr]),
        "pdr_mpps": summary([r / 1e6 for r in pdr]),
        "overload_loss": round(statistics.median(loss_of(cell, a) for a in over), 4),
        "correct": "OK" if not bad else "WRONG",
        "correct_detail": bad[0] if bad else "",
        "accounting": {k: mid[k] for k in ("sent", "input_ring_drop", "input_drop", "dut_drop", "dut_internal",
                                           "output_ring_drop", "delivered", "unaccounted")},
        "cpu_util": mid["cpu_util"],
        "checked_trials": len(checks),
    }
    handled = cell.wl.handled(mid)
    if handled > 0 and mid["dut_proc_cpu_s"] > 0:
        row["dut_proc_ns_per_pkt"] = round(mid["dut_proc_cpu_s"] * 1e9 / handled, 1)
    # CPU of the DUT budget per handled frame (busy share x window / frames)
    busy = sum(mid["cpu_util"].get(c, 0) for c in cell.place.dut_cpus)
    if handled > 0:
        row["dut_budget_ns_per_pkt"] = round(busy * mid["span_s"] * 1e9 / handled, 1)
    if over_bpf and over_bpf.get("bpf_ns_per_pkt"):
        row["bpf_ns_per_pkt"] = over_bpf["bpf_ns_per_pkt"]
    return row
