# SPDX-License-Identifier: MIT
"""Trials, the NDR/PDR search, overload, repeats, frame accounting.

A trial: read every counter, run pl-gen for D seconds at rate R (0: as fast as
it can), wait until the sink stops counting, read every counter again. The
frames pl-gen sent are accounted for: delivered is what pl-sink counted itself
(its --counts file: the same on a veth and on any NIC driver); the DUT's own
counters give its verdicts and losses; the kernel's veth counters, where their
names are known, attribute the rest: refused by the DUT's full input ring,
dropped on input (XDP drop verdicts and failed redirects, e.g. a full AF_XDP
ring), lost at its output ring.

The search follows FD.io CSIT's MLRsearch in spirit: short trials bracket the
rate for each loss target (NDR: 0 %, PDR: 0.5 %), halving the interval;
trials of the full length then confirm the lower bound (a failed confirmation
moves the bound down), and a final trial at the found rate is reported.
"""
import concurrent.futures
import json
import os
import signal
import statistics
import time

from . import counters as C

POOL = concurrent.futures.ThreadPoolExecutor(max_workers=6)  # snapshot readers (C.POOL: within a reader)
DRAIN_STEP = 0.03  # s: the wait after the generator, and between readings while frames still land
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
        self.last = None
        self.phase = "overload"   # what the next trials are for (timing per phase)
        self.counts = getattr(ctx, "sink_counts", None)  # pl-sink's --counts file

    # --- readings ---------------------------------------------------------
    def snapshot(self):
        """Every counter at once (the reads run in parallel: each is a
        process in a namespace)."""
        t = self.topo.info
        jobs = {"gen": lambda: C.veth(self.topo, "gen", t["GEN_IF"]),
                "dut_in": lambda: C.veth(self.topo, "dut", t["DUT_IN_IF"]),
                "dut_out": lambda: C.veth(self.topo, "dut", t["DUT_OUT_IF"]),
                "sink": lambda: C.veth(self.topo, "sink", t["SINK_IF"]),
                "sink_rx": lambda: C.sink(self.topo, self.counts),
                "dut": lambda: self.path.counters() or {},
                "bpf": self.bpf_read}
        if self.wl.name == "route":
            # what the router changed, counted where the frames land
            if getattr(self, "ttl_map", None) is None:
                self.ttl_map = C.sink_ttl_map(self.topo)
            jobs["ttl"] = lambda: C.sink_ttl(self.topo, self.ttl_map)
        futs = {k: POOL.submit(f) for k, f in jobs.items()}
        s = {k: f.result() for k, f in futs.items()}
        s["cpu"] = C.cpu_times()
        s["proc"] = C.proc_cpu_seconds(self.pids)
        s["t"] = time.time()
        return s

    def sink_read(self, after_ns=0, most=0.2):
        """pl-sink's count from a reading it made after after_ns (CLOCK_MONOTONIC):
        it reads its counters every 10 ms, so two of its readings that agree
        saw no frame arrive between them."""
        end = time.time() + most
        while True:
            s = C.sink(self.topo, self.counts)
            if s is None or s["polled_ns"] > after_ns or time.time() > end:
                return s
            time.sleep(0.003)

    def sink_count(self, after_ns=0):
        """What has landed so far: the sink's count (a reading of pl-sink's
        after after_ns) and the DUT's own counters (a user-space DUT may still
        work through its rings after the generator stopped; a drop workload
        sends nothing to the sink)."""
        dut = POOL.submit(self.path.counters)
        s = self.sink_read(after_ns)
        c = dut.result() or {}
        return ((s or {}).get("packets"), c.get("rx", 0), c.get("drop", 0), c.get("internal", 0))

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
        self.path.settle()
        self.pids = self.path.pids()
        self.bpf_find()

    # --- one trial ---------------------------------------------------------
    def sink_hist(self):
        """The shared sink's running probe histogram (SIGUSR1 makes it print one line)."""
        sink = getattr(self.ctx, "sink", None)
        if sink is None:
            return None
        try:
            size = os.path.getsize(sink.log)
        except OSError:
            return None
        if not self.topo.signal(sink, "pl-sink", signal.SIGUSR1):
            return None
        end = time.time() + 2
        while time.time() < end:
            time.sleep(0.02)
            with open(sink.log, errors="replace") as f:
                f.seek(size)
                for line in f.read().splitlines():
                    if line.startswith("{") and '"running":true' in line:
                        try:
                            return json.loads(line)
                        except ValueError:
                            pass
        return None

    def trial(self, rate, seconds, extra=()):
        t0 = time.time()
        genargv = [self.topo.tool("pl-gen")] + self.topo.gen_args() + ["-s", str(self.size),
                   "-d", "%g" % seconds, "--cpu", str(self.place.gen_cpu), "--nice", "-10", "--json"]
        if rate:
            genargv += ["-r", str(int(rate))]
        genargv += self.wl.gen_args + list(extra)
        a = self.last
        if a is None or time.time() - a["t"] > 5:
            a = self.snapshot()
        else:
            # nothing moved since the last trial's closing snapshot (it was
            # taken once the sink stood still): reuse it, with fresh CPU times
            a = dict(a, cpu=C.cpu_times(), proc=C.proc_cpu_seconds(self.pids), t=time.time())
        ta = time.time()
        rc, out, err = self.topo.nsrun("gen", genargv, timeout=seconds + 30)
        gen = {}
        for line in out.splitlines():
            if line.startswith("{"):
                try:
                    gen = json.loads(line)
                except ValueError:
                    pass
        tgen = time.time()
        time.sleep(DRAIN_STEP)
        if self.wl.action != "fwd":
            self.path.settle()
        td = time.time()
        b = self.closing_snapshot()
        tb = time.time()
        self.last = b
        acc = account(self, a, b, gen)
        acc["gen_seconds"] = gen.get("seconds", seconds)
        acc["window_end"] = tgen
        acc["offered"] = rate
        ok, detail = self.wl.check(acc)
        acc["correct"] = ok
        acc["detail"] = detail
        # where the wall time of the trial went: the opening snapshot, the
        # generator's process (its sending time plus its start and exit), the
        # wait after it, the closing snapshot (until frames in flight landed)
        acc["wall"] = {"phase": self.phase, "total": round(tb - t0, 3), "open": round(ta - t0, 3),
                       "gen": round(tgen - ta, 3), "drain": round(td - tgen, 3), "close": round(tb - td, 3)}
        self.ctx.trials.append({"path": self.path.name, "variant": self.place.variant, "workload": self.wl.name,
                                "size": self.size, "rate": rate, "seconds": seconds, **acc})
        return acc

    def closing_snapshot(self, step=DRAIN_STEP, most=1.5):
        """The snapshot that closes a trial, once frames in flight have
        landed: it counts when the sink's and the DUT's counters read right
        after it have not moved since (otherwise it is taken again)."""
        end = time.time() + most
        b = self.snapshot()
        while time.time() < end:
            c = b["dut"] or {}
            s = b.get("sink_rx") or {}
            if self.sink_count(s.get("polled_ns", 0)) == (s.get("packets"), c.get("rx", 0), c.get("drop", 0),
                                                           c.get("internal", 0)):
                break
            time.sleep(step)
            b = self.snapshot()
        return b


ACCOUNT_KEYS = ("sent", "input_ring_drop", "redirect_fail", "xdp_drop", "policy_drop", "other_drop",
                "dut_internal", "output_ring_drop", "delivered", "unaccounted")


def account(cell, a, b, gen):
    """Where every frame of a trial went, from two snapshots.

    Drops the datapath decided (its policy's verdict) come from the
    datapath's own verdict counter only; frames lost on the way (a full input
    ring, a failed redirect into a full AF_XDP ring, a full output ring, inside
    the DUT) are kept apart from them, so that a frame lost before the DUT saw
    it never counts as handled."""
    d = {k: C.delta(a[k], b[k]) for k in ("gen", "dut_in", "dut_out", "sink", "dut")}
    sent = int(gen.get("packets", 0))
    # one drop shows in several counters: the generator veth's xdp_xmit_errors
    # is its tx_dropped and the input veth's rx_dropped; the output veth's
    # xdp_xmit_errors is its tx_dropped and the sink veth's rx_dropped
    in_ring = max(C.veth_sum(d["gen"], "xdp_xmit_errors"), d["gen"].get("tx_dropped", 0))
    # delivered: what pl-sink counted itself (any driver); the veth's own
    # count of XDP runs on the sink port is kept beside it where it has one
    delivered = (b.get("sink_rx") or {}).get("packets", 0) - (a.get("sink_rx") or {}).get("packets", 0)
    # the input veth: XDP_DROP verdicts of whatever program runs there
    # (xdp_drops) and failed redirects, e.g. into a full AF_XDP ring
    # (rx_queue_N_drops); its rx_dropped repeats the generator side's xmit
    # errors and these
    xdp_drop = C.veth_sum(d["dut_in"], "xdp_drops")
    redirect_fail = C.veth_sum(d["dut_in"], "drops")
    out_ring = max(C.veth_sum(d["dut_out"], "xdp_xmit_errors"), d["dut_out"].get("tx_dropped", 0),
                   d["sink"].get("rx_dropped", 0))
    dut = d["dut"]
    policy = int(dut.get("drop", 0))
    # frames the DUT says it lost itself (testpmd tx errors, OVS tx drops);
    # pathlab's per-stage counters (x.*) are verdict details, not extra losses
    internal = int(dut.get("internal", 0))
    if cell.path.drops_in_xdp:
        # the policy's drops are XDP_DROP verdicts on the input port: the
        # veth counted them too; what else it dropped was not the policy
        other = max(0, xdp_drop - policy)
        lost_in = redirect_fail + max(xdp_drop, policy)
    else:
        other = xdp_drop
        lost_in = redirect_fail + xdp_drop + policy
    unacc = sent - in_ring - delivered - lost_in - out_ring - internal
    acc = {"sent": sent, "input_ring_drop": in_ring, "redirect_fail": redirect_fail, "xdp_drop": xdp_drop,
           "policy_drop": policy, "other_drop": other, "delivered": delivered,
           "dut_internal": internal, "output_ring_drop": out_ring, "unaccounted": unacc,
           "verdicts": bool(dut), "delivered_from": "pl-sink",
           "raw": {k: {n: v for n, v in d[k].items() if v} for k in d}}
    if a.get("sink_rx") is None or b.get("sink_rx") is None:
        acc["delivered_from"] = "none: pl-sink wrote no counts"
    drv = C.veth_sum(d["sink"], "xdp_packets")
    if drv or any(k.endswith("_xdp_packets") for k in b["sink"]):
        acc["sink_driver_rx"] = drv  # attribution only (veth's per-queue XDP counter)
    secs = max(1e-6, b["t"] - a["t"])
    if a.get("ttl") is not None and b.get("ttl") is not None:
        acc["ttl"] = {k: b["ttl"].get(k, 0) - a["ttl"].get(k, 0) for k in b["ttl"]
                      if b["ttl"].get(k, 0) - a["ttl"].get(k, 0)}
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


def offered_of(acc):
    """The rate the generator really offered (frames sent / its sending time)."""
    return acc["sent"] / max(1e-6, acc["gen_seconds"])


class Result:
    """One trial as the search sees it: the rate offered, the loss, the
    duration, and whether it counts (the generator kept to its schedule)."""

    def __init__(self, rate, loss, seconds, valid=True, acc=None, asked=None):
        self.rate = rate
        self.loss = loss
        self.seconds = seconds
        self.valid = valid
        self.acc = acc
        self.asked = asked   # a paced trial's target (None: unpaced)

    def __repr__(self):
        return "Result(%.0f, %.4f, %.2fs%s)" % (self.rate, self.loss, self.seconds, "" if self.valid else ", invalid")


def measure(cell, rate, seconds):
    """One paced trial as a Result (rate: the target; the Result carries the
    rate the generator really offered, which is what the trial measured)."""
    acc = cell.trial(rate, seconds)
    # the paced generator can fall behind its target on a loaded machine (its
    # CPU also runs receive softirqs): the trial measured the loss at the rate
    # it did offer, and counts at that rate
    return Result(offered_of(acc), loss_of(cell, acc), seconds, acc["sent"] > 0, acc, rate or None)


# a paced trial that offered less than this share of its target fell behind:
# the generator, not the DUT, set its rate
PACED_BEHIND = 0.85


def search(trial, overload, short, full, steps, targets=(NDR_LOSS, PDR_LOSS), floor=5000.0, confirms=2,
           width=0.05):
    """NDR and PDR together, in the manner of FD.io CSIT's MLRsearch.

    trial(rate, seconds) -> Result. overload: the Results of the unpaced
    trials, the initial phase (short trials at the highest rate the generator
    can offer): a target whose criterion they met starts its lower bound at
    the rate offered there; otherwise that rate is its upper bound. Short
    trials then bracket every target at once (a trial with loss L is a lower
    bound of each target >= L and an upper bound of the others): the first at
    95 % of what the overload trials handled, the next ones at the geometric
    middle of the widest interval; while an interval still spans more than a
    factor of two after `steps` of them, up to `steps` more. Each target's lower
    bound is then confirmed
    by a trial of the full length at that rate (the higher target first: its
    trial confirms the lower one too when it met that criterion); a failed
    confirmation halves the rate, at most `confirms` times. The figure is the
    highest rate at which a full-length trial met the criterion. It is
    flagged when a full-length trial at a lower rate did not (loss not
    monotonic in the rate), or when a short trial at a higher rate met the
    criterion and no full-length one confirmed it, or when bracketing ended
    with the target's interval open (its upper bound more than 20 % above the
    figure: the DUT's figure lies somewhere in between; "open" is that bound).
    A paced trial that offered under 85 % of its target shows the most the
    paced generator can offer: a target whose lower bound reached that is
    bracketed no further, and its figure is a lower bound the generator set.

    Returns ({target: {"rate", "loss", "final": Result or None, "flags": [..], "open"}},
    the list of Results the search made)."""
    made = []

    def run(rate, seconds):
        # the paced generator keeps a few per cent under its target on a
        # loaded machine: ask for that much more, as its earlier trials show,
        # so that the trial lands at the rate the search wants
        kept = [r.rate / r.asked for r in made if r.valid and r.asked and r.rate >= PACED_BEHIND * r.asked]
        if rate and kept and statistics.median(kept) < 1.0:
            rate /= statistics.median(kept)
        r = trial(rate, seconds)
        if r.asked is None and rate:
            r.asked = rate
        made.append(r)
        return r

    def behind():
        # the paced trials that fell well behind their target
        return [r for r in made if r.valid and r.asked and r.rate < PACED_BEHIND * r.asked]

    def paced_top():
        # the most such a trial offered
        b = behind()
        return max(r.rate for r in b) if b else None

    top = max([r.rate for r in overload] + [floor * 2])
    mrr = statistics.median([r.rate * (1.0 - r.loss) for r in overload]) if overload else top / 2
    lo = {t: float(floor) for t in targets}
    up = {t: top for t in targets}
    uploss = {t: None for t in targets}  # the loss measured at the upper bound
    shorts = list(overload)
    at_top = set()                        # met at the generator's full speed

    def narrow(r):
        if not r.valid:
            return
        for x in targets:
            if r.loss <= x:
                lo[x] = max(lo[x], min(r.rate, up[x]))
            elif r.rate < up[x]:
                up[x] = max(r.rate, lo[x])
                uploss[x] = r.loss

    for t in targets:
        ok = [r for r in overload if r.loss <= t]
        if ok and len(ok) * 2 > len(overload):
            lo[t] = up[t] = min(r.rate for r in ok)
            at_top.add(t)
        elif overload:
            up[t] = statistics.median([r.rate for r in overload])
            uploss[t] = statistics.median([r.loss for r in overload])

    tried_near, tried_above = set(), set()

    def next_rate(x):
        # once per target, just under the upper bound when it lost little
        # there (the DUT is near its limit), and just above the lower bound
        # when the rate the DUT forwarded under overload passed and the upper
        # bound is far (the limit is most often close above it); otherwise, and
        # after that, the geometric middle (the interval can span three
        # orders of magnitude)
        mid = (lo[x] * up[x]) ** 0.5
        if uploss[x] is not None and uploss[x] < 0.2 and x not in tried_near:
            tried_near.add(x)
            near = up[x] * (1.0 - 2.0 * uploss[x]) * 0.98
            if lo[x] < near < up[x]:
                return max(mid, near)
        if lo[x] >= 0.8 * mrr and up[x] > 1.5 * lo[x] and x not in tried_above:
            tried_above.add(x)
            return lo[x] * 1.1
        return mid

    # bracketing: short trials, shared by the targets; the first at 95 % of
    # what the overload trials handled (MLRsearch too starts from the
    # forwarding rate at the maximum load)
    first = bool(overload)
    for step in range(2 * steps):
        gen = paced_top()
        open_ = [x for x in targets if up[x] - lo[x] > width * up[x] and not (gen and lo[x] >= 0.95 * gen)]
        if not open_ or (step >= steps and max(up[x] / lo[x] for x in open_) <= 2.0):
            break
        x = max(open_, key=lambda x: up[x] / lo[x])
        if first and lo[x] < 0.95 * mrr < up[x]:
            rate = 0.95 * mrr
        else:
            rate = next_rate(x)
        first = False
        r = run(rate, short)
        shorts.append(r)
        narrow(r)

    # confirmation at the full length
    full_db = []
    for x in sorted(targets, reverse=True):
        rate = lo[x]
        for _ in range(confirms):
            if any(r.loss <= x and r.rate >= 0.99 * rate for r in full_db):
                break
            # at the generator's full speed the confirmation is unpaced too
            # (paced, pl-gen falls short of its top rate)
            r = run(0 if x in at_top and rate >= lo[x] else rate, full)
            if r.valid:
                full_db.append(r)
            if (r.valid and r.loss <= x) or rate <= floor:
                break
            rate = max(floor, rate / 2.0)

    res = {}
    for x in targets:
        flags = []
        passing = [r for r in full_db if r.loss <= x]
        best = max(passing, key=lambda r: r.rate) if passing else None
        figure = best.rate if best else 0.0
        below = [r for r in full_db if r.loss > x and r.rate < figure]
        if below:
            worst = min(below, key=lambda r: r.rate)
            flags.append("loss not monotonic: %.2f %% at %.3f Mpps, %.2f %% at %.3f Mpps"
                         % (100 * worst.loss, worst.rate / 1e6, 100 * best.loss, figure / 1e6))
        higher = [r for r in shorts if r.valid and r.loss <= x and r.rate > 1.1 * figure]
        if higher:
            h = max(higher, key=lambda r: r.rate)
            flags.append("%.2f %% loss at %.3f Mpps in a %g s trial, not confirmed at %g s"
                         % (100 * h.loss, h.rate / 1e6, h.seconds, full))
        if best is None and full_db:
            flags.append("lost frames in every %g s trial, down to %.3f Mpps" % (full, min(r.rate for r in full_db)
                                                                                 / 1e6))
        if best is not None and figure <= 1.05 * floor:
            flags.append("only the floor of %.3f Mpps confirmed" % (floor / 1e6))
        # met at the generator's full speed and confirmed there: the
        # generator, not the DUT, set the figure (a lower bound of the DUT's)
        limited = best is not None and x in at_top and best.acc is not None and not best.acc.get("offered")
        if limited:
            flags.append("no loss at the generator's full speed: a lower bound set by the generator (its rate "
                         "in the %g s confirmation; the overload column is its median in %g s trials)"
                         % (full, overload[0].seconds if overload else 0))
        # the paced generator fell behind its targets at about this rate:
        # nothing higher could be offered paced (in the napi-gen placement
        # its CPU also runs the DUT's receive)
        gen = paced_top()
        if best is not None and not limited and gen and figure >= 0.9 * gen and up[x] > (1 + width) * figure:
            limited = True
            asked = max(r.asked for r in behind())
            flags.append("the paced generator fell behind: asked up to %.3f Mpps, offered at most %.3f; a lower "
                         "bound set by the generator" % (asked / 1e6, gen / 1e6))
        # the interval bracketing left: a figure well under the lowest rate
        # seen failing is a lower bound of the DUT's, not its figure
        open_to = None
        if best is not None and not limited and uploss[x] is not None and up[x] > 1.2 * figure:
            open_to = up[x]
            flags.append("interval left open between %.3f and %.3f Mpps (%.2f %% loss there; more --steps "
                         "narrow it)" % (figure / 1e6, up[x] / 1e6, 100 * uploss[x]))
        res[x] = {"rate": figure, "loss": best.loss if best else None, "final": best, "flags": flags,
                  "open": open_to,
                  "generator_limited": limited,
                  "below": min(r.rate for r in full_db) if best is None and full_db else None}
    return res, made


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    return {"median": med, "min": lo, "max": hi, "n": len(values),
            "unstable": bool(med > 0 and (hi - lo) / med > 0.10)}


def measure_cell(cell, opts):
    """Overload (repeats), NDR/PDR (repeats) and latency of one cell; returns the row's figures."""
    cell.start_counting()
    trials = getattr(cell.ctx, "trials", [])
    first = len(trials)
    cell.phase = "warmup"
    cell.trial(0, opts.warmup) if opts.warmup > 0 else None
    over = []
    cell.phase = "overload"
    for _ in range(opts.repeat):
        over.append(cell.trial(0, opts.overload_seconds))
    over_rates = [rate_of(cell, a) for a in over]
    if cell.ctx.bpf_stats and cell.bpf_prog:
        # the program's own run time: one more overload trial with
        # kernel.bpf_stats_enabled on (it costs every BPF program two clock
        # reads, so the rate trials run without it)
        cell.lab.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], quiet=True)
        cell.phase = "bpf-stats"
        try:
            over_bpf = cell.trial(0, min(opts.overload_seconds, 0.2))
        finally:
            cell.lab.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=0"], quiet=True)
    else:
        over_bpf = None
    # the overload trials are the search's initial phase (trials at the
    # highest rate the generator can offer)
    over_res = [Result(offered_of(a), loss_of(cell, a), opts.overload_seconds, True, a) for a in over]
    ndr, pdr, finals, flags, searches, limited = [], [], [], [], [], []
    open_to = {}   # column -> the highest upper bound a search left open
    for _ in range(opts.search_repeat if opts.search else 0):
        def trial(rate, sec):
            # the search's short trials bracket, its full-length ones confirm
            cell.phase = "confirm" if sec == opts.window else "bracket"
            return measure(cell, rate, sec)
        r, made = search(trial, over_res, opts.short, opts.window, opts.steps)
        ndr.append(r[NDR_LOSS]["rate"])
        pdr.append(r[PDR_LOSS]["rate"])
        for x, col in ((NDR_LOSS, "ndr_mpps"), (PDR_LOSS, "pdr_mpps")):
            if r[x].get("generator_limited") and col not in limited:
                limited.append(col)
            if r[x].get("open"):
                open_to[col] = round(max(open_to.get(col, 0), r[x]["open"] / 1e6), 6)
        for x in (NDR_LOSS, PDR_LOSS):
            if r[x]["final"] is not None and r[x]["final"].acc is not None:
                finals.append(r[x]["final"].acc)
            for f in r[x]["flags"]:
                f = "%s: %s" % ("NDR" if x == NDR_LOSS else "PDR", f)
                if f not in flags:
                    flags.append(f)
        searches.append([{"rate": round(m.rate), "loss": round(m.loss, 5), "seconds": m.seconds,
                          "valid": m.valid} for m in made])
    checks = over + finals + ([over_bpf] if over_bpf else [])
    bad = [a["detail"] for a in checks if not a["correct"]]
    mid = over[len(over) // 2]
    row = {
        "overload_mpps": summary([r / 1e6 for r in over_rates]),
        "offered_mpps": summary([offered_of(a) / 1e6 for a in over]),
        "ndr_mpps": summary([r / 1e6 for r in ndr]),
        "pdr_mpps": summary([r / 1e6 for r in pdr]),
        "search_flags": flags,
        "generator_limited": limited,
        "open_mpps": open_to,
        "searches": searches,
        "overload_loss": round(statistics.median(loss_of(cell, a) for a in over), 4),
        "correct": "OK" if not bad else "WRONG",
        "correct_detail": bad[0] if bad else "",
        "accounting": {k: mid[k] for k in ACCOUNT_KEYS},
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
    if opts.latency and cell.wl.sink and pdr and statistics.median(pdr) > 0:
        cell.phase = "latency"
        row["latency"] = latency(cell, statistics.median(pdr), opts.latency_seconds)
    row["timing"] = phase_times(trials[first:])
    return row


def phase_times(trials):
    """Wall time per phase of a cell's trials: {phase: {n, nominal_s (the
    generator's sending time asked for), wall_s, and the wall time's parts}}."""
    out = {}
    for t in trials:
        w = t.get("wall")
        if not w:
            continue
        p = out.setdefault(w["phase"], {"n": 0, "nominal_s": 0.0, "wall_s": 0.0, "open_s": 0.0, "gen_s": 0.0,
                                        "drain_s": 0.0, "close_s": 0.0})
        p["n"] += 1
        p["nominal_s"] += t["seconds"]
        p["wall_s"] += w["total"]
        for k in ("open", "gen", "drain", "close"):
            p[k + "_s"] += w[k]
    for p in out.values():
        for k in p:
            if k != "n":
                p[k] = round(p[k], 3)
    return out


LATENCY_SHARES = (0.1, 0.5, 0.9)


def hist_delta(a, b):
    """Bucket counts of b minus a ({upper ns: count}, from two sink dumps)."""
    ha = {int(k): int(v) for k, v in a.get("hist", [])}
    out = {}
    for k, v in b.get("hist", []):
        n = int(v) - ha.get(int(k), 0)
        if n > 0:
            out[int(k)] = n
    return out


def percentiles(hist, qs=(0.5, 0.9, 0.99, 0.999)):
    """Quantiles of a histogram {upper ns: count} (bucket upper bounds)."""
    total = sum(hist.values())
    res = {}
    if not total:
        return res
    for q in qs:
        want = max(1, int(q * total + 0.999999))
        acc = 0
        for k in sorted(hist):
            acc += hist[k]
            if acc >= want:
                res["p%g" % (100 * q)] = k
                break
    return res


def latency(cell, pdr_pps, seconds):
    """One-way delay at 10, 50 and 90 % of the PDR (as CSIT measures it):
    pl-gen stamps every Nth frame (about 2000 probes per trial), the sink's
    histogram is read before and after. Returns {share: {rate, probes, p50..,
    hist: [[ns, count], ...]}}."""
    out = {}
    for share in LATENCY_SHARES:
        rate = pdr_pps * share
        every = max(1, int(rate * seconds / 2000))
        a = cell.sink_hist()
        acc = cell.trial(rate, seconds, extra=["--probe-every", str(every)])
        b = cell.sink_hist()
        if a is None or b is None:
            out["%g" % share] = {"rate": rate, "error": "no histogram from the sink"}
            continue
        h = hist_delta(a, b)
        n = sum(h.values())
        r = {"rate_mpps": round(rate / 1e6, 4), "probes": n, "loss": round(loss_of(cell, acc), 5),
             "hist": sorted(h.items())}
        if n:
            r.update(percentiles(h))
            r["mean"] = round((b.get("sum_ns", 0) - a.get("sum_ns", 0)) / float(max(1, b["probes"] - a["probes"])))
        out["%g" % share] = r
    return out
