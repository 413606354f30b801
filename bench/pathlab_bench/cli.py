# SPDX-License-Identifier: MIT
"""The command line: bench/compare.sh [run] [options] | diff A B.

Exit status: 0 when every requested cell was measured and correct, 1 when a
cell failed (a path that did not start, a wrong or unaccounted result), 2 for
usage errors.
"""
import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time

from . import bypass, hostenv, measure, nicprobe, paths, promfile, realport, report, requests, workloads
from . import counters as C
from . import placement as P
from . import lab as L
from .lab import Error, Lab
from .where import layout

QUICK_PATHS = "linux,xdp-native,ref-xdp"
JUMBO_MTU = 9000
JUMBO_MAX = JUMBO_MTU + 18  # Ethernet header and FCS
JUMBO_FWD = JUMBO_MAX       # the default run's jumbo fwd cell (--jumbo-fwd)


class Ctx:
    """What every part of a run shares."""


def version():
    return "%s (pathlab) %s" % (os.environ.get("PL_COMPARE_NAME", "compare.sh"), layout.version())


def all_paths(ctx):
    return [cls(ctx) for cls in paths.PATHS]


def parse(argv):
    ap = argparse.ArgumentParser(
        prog="bench/compare.sh",
        description="The same workloads through every pathlab path and its references, on a pl-topo veth "
                    "line (generator -> DUT -> sink): NDR/PDR, overload throughput, frame accounting, "
                    "placement per row. docs/benchmarking.md. Also: bench/compare.sh diff RUN_A RUN_B; "
                    "bench/compare.sh cleanup (undo what a killed run left).")
    every = all_paths(Ctx())
    names = [p.name for p in every]
    default = [p.name for p in every if p.in_default]
    ap.add_argument("--paths", default="default",
                    help="comma list, 'default' (the default: every path but %s) or 'all': %s"
                         % (", ".join(n for n in names if n not in default), ",".join(names)))
    ap.add_argument("--workloads", default=",".join(workloads.DEFAULT),
                    help="comma list or 'all' (%s; default %s): %s"
                         % (",".join(workloads.ORDER), ",".join(workloads.DEFAULT),
                            "; ".join("%s = %s" % (w, workloads.WORKLOADS[w].describe) for w in workloads.ORDER)))
    ap.add_argument("--sizes", default="64",
                    help="frame sizes on the wire (FCS included), a comma list from 64 to 9018 (default 64); "
                         "a size above 1518 brings the topology up with MTU 9000 and measures only the paths "
                         "that carry jumbo frames (the others n/a with the reason)")
    ap.add_argument("--jumbo-fwd", type=int, default=JUMBO_FWD, metavar="SIZE",
                    help="also measure fwd with SIZE-byte frames (1519 to %d; default %d; 0: not) on every path "
                         "that carries them, after its other cells: the links go to MTU %d for those cells while "
                         "the DUT runs, and back (the others n/a with the reason); off with --quick, and when "
                         "--sizes already has a jumbo size" % (JUMBO_MAX, JUMBO_FWD, JUMBO_MTU))
    ap.add_argument("--dut-cpus", default="1", help="the DUT's core budget, a CPU list (default 1)")
    ap.add_argument("--gen-cpu", type=int, default=0, help="the generator's (and sink's) CPU (default 0)")
    ap.add_argument("--placements", choices=("both", "dut"), default="dut",
                    help="AF_XDP rows: 'dut' (default): everything on the DUT's budget; 'both': also with "
                         "the receive NAPI on the generator's CPU (napi-gen: more than the budget)")
    ap.add_argument("--repeat", type=int, default=3, help="overload trials per cell (default 3)")
    ap.add_argument("--search-repeat", type=int, default=1, help="NDR/PDR searches per cell (default 1)")
    ap.add_argument("--window", type=float, default=1.0,
                    help="overload and confirming (full-length) trials, seconds (default 1, CSIT's trial)")
    ap.add_argument("--short", type=float, default=0.5, help="bracketing trial, seconds (default 0.5)")
    ap.add_argument("--overload-seconds", type=float, default=0.3,
                    help="overload trial (the search's initial phase), seconds (default 0.3)")
    ap.add_argument("--steps", type=int, default=3,
                    help="bracketing trials per search, shared by NDR and PDR, and up to as many more while an "
                         "interval spans over 2x (default 3)")
    ap.add_argument("--warmup", type=float, default=0, help="warm-up per cell, seconds (default 0)")
    ap.add_argument("--no-search", action="store_true", help="overload only, no NDR/PDR")
    ap.add_argument("--no-latency", action="store_true",
                    help="no latency trials (default: one-way delay at 10, 50, 90 %% of the PDR)")
    ap.add_argument("--latency-seconds", type=float, default=0.2,
                    help="length of each latency trial, seconds (default 0.2)")
    ap.add_argument("--no-bpf-stats", action="store_true",
                    help="do not turn kernel.bpf_stats_enabled on for one overload trial per XDP row")
    ap.add_argument("--quick", action="store_true",
                    help="under 30 s: paths %s, workload fwd, 1 overload trial, a search of 2 "
                         "bracketing trials, no latency (explicit options win)" % QUICK_PATHS)
    ap.add_argument("--prefix", default="", help="prefix of what is created (at most 7 of a-z0-9-; default plt-bNN)")
    ap.add_argument("--out", default="", help="results directory, must not exist (default results/<time>, "
                                             "in the source tree, or in the current directory when installed)")
    ap.add_argument("--metrics", default="", metavar="ADDR:PORT",
                    help="also serve the cells' figures (Prometheus text, as in RUN/metrics.prom) at "
                         "http://ADDR:PORT/metrics while the run goes (docs/prometheus-pathlab.yml: 127.0.0.1:9467)")
    ap.add_argument("--fail-start", default="", help="testing: make this path's start fail")
    ap.add_argument("--verbose", action="store_true", help="print every command")
    ap.add_argument("--dut-if", default="", metavar="IF|PCI",
                    help="a real DUT port (interface name or PCI address such as 0000:03:00.0), cabled to the "
                         "first --gen-if: the run measures through it (with --dut-out-if and --gen-if); with "
                         "--dry-run, the plan: modes the probe allows per path, bypass (dpdk-pmd) bind/run/restore "
                         "commands")
    ap.add_argument("--dut-out-if", default="", metavar="IF|PCI",
                    help="the DUT's second port (to the sink), cabled to the second --gen-if")
    ap.add_argument("--gen-if", default="", metavar="GEN,SINK",
                    help="with --dut-if: the generator's and the sink's ports (on --gen-host, or on this host: "
                         "moved into a namespace for the run and given back)")
    ap.add_argument("--gen-host", default="", metavar="[USER@]HOST",
                    help="the generator/sink host, over ssh with keys only (BatchMode: never a password); "
                         "root there, or password-less sudo")
    ap.add_argument("--ssh-config", default="", metavar="FILE", help="ssh -F FILE for --gen-host")
    ap.add_argument("--gen-bindir", default="", metavar="DIR",
                    help="where pl-gen and pl-sink are on the generator host (default: the same paths as here)")
    ap.add_argument("--tune", action="store_true",
                    help="with --dut-if: set the DUT ports' rings to their maximum (ethtool -G), spread their "
                         "IRQs over --dut-cpus, threaded NAPI on; restored afterwards (kill -9 too); in meta.json")
    ap.add_argument("--nic-probe", default="", metavar="FILE",
                    help="take the DUT port's answers from FILE (`pl-nicprobe --kv IF` recorded) instead of "
                         "probing it: its modes decide each path's (docs/benchmarking.md, 'The NIC decides')")
    ap.add_argument("--force", action="store_true",
                    help="allow --dut-if, --dut-out-if or --gen-if on the interface of the default route or of the "
                         "ssh session")
    ap.add_argument("--dry-run", action="store_true", help="with --dut-if: print the plan and commands, change nothing")
    ap.add_argument("--version", action="version", version=version())
    a = ap.parse_args(argv)
    given = {x.split("=")[0] for x in argv if x.startswith("--")}
    if a.quick:
        if "--paths" not in given:
            a.paths = QUICK_PATHS
        if "--workloads" not in given:
            a.workloads = "fwd"
        if "--repeat" not in given:
            a.repeat = 1
        if "--steps" not in given:
            a.steps = 2
        if "--no-latency" not in given:
            a.no_latency = True
        if "--warmup" not in given:
            a.warmup = 0
        if "--placements" not in given:
            a.placements = "dut"
        if "--jumbo-fwd" not in given:
            a.jumbo_fwd = 0
    try:
        a.dut_cpus = [int(x) for x in a.dut_cpus.split(",")]
    except ValueError:
        ap.error("--dut-cpus: a comma list of CPU numbers, e.g. 1")
    ncpu = os.cpu_count()
    for c in a.dut_cpus + [a.gen_cpu]:
        if not 0 <= c < ncpu:
            ap.error("CPU %d: this machine has %d CPUs" % (c, ncpu))
    try:
        a.sizes = [int(x) for x in a.sizes.split(",")]
    except ValueError:
        ap.error("--sizes '%s': a comma list of frame sizes in bytes, e.g. 64,1518,9018" % a.sizes)
    for n in a.sizes:
        if not 64 <= n <= JUMBO_MAX:
            ap.error("--sizes: %d is outside 64 (the wire minimum) to %d (a 9000-byte MTU's frame)" % (n, JUMBO_MAX))
    if a.jumbo_fwd and not 1518 < a.jumbo_fwd <= JUMBO_MAX:
        ap.error("--jumbo-fwd: %d is not a jumbo frame size: 1519 to %d, or 0 for none" % (a.jumbo_fwd, JUMBO_MAX))
    if mtu_of(a.sizes) or a.dut_if or not (a.workloads == "all" or "fwd" in a.workloads.split(",")):
        # the run's sizes already have a jumbo one, real ports (the run does
        # not set their MTU), or no fwd cell to repeat
        a.jumbo_fwd = 0
    a.paths = names if a.paths == "all" else default if a.paths == "default" else a.paths.split(",")
    for p in a.paths:
        if p not in names:
            ap.error("unknown path '%s' (paths: %s)" % (p, ",".join(names)))
    a.workloads = workloads.ORDER if a.workloads == "all" else a.workloads.split(",")
    for w in a.workloads:
        if w not in workloads.WORKLOADS:
            ap.error("unknown workload '%s' (workloads: %s)" % (w, ",".join(workloads.ORDER)))
    if a.repeat < 1 or a.search_repeat < 1 or a.steps < 1 or a.window <= 0 or a.short <= 0 \
            or a.latency_seconds <= 0 or a.overload_seconds <= 0:
        ap.error("--repeat, --search-repeat, --steps: at least 1; --window, --short, --latency-seconds: above 0")
    if a.prefix and not (len(a.prefix) <= 7 and a.prefix[0].isalpha()
                         and all(c.isalnum() or c == "-" for c in a.prefix)):
        ap.error("--prefix: 1-7 characters a-z, 0-9, '-' (got '%s')" % a.prefix)
    if a.dry_run and not a.dut_if:
        ap.error("--dry-run goes with --dut-if (a veth run changes nothing outside its own namespaces)")
    for opt in ("dut_out_if", "gen_if", "gen_host", "ssh_config", "gen_bindir", "tune"):
        if getattr(a, opt) and not a.dut_if:
            ap.error("--%s goes with --dut-if (a run through real ports)" % opt.replace("_", "-"))
    if a.dut_if and not a.dry_run:
        a.gen_if = [x for x in a.gen_if.split(",") if x]
        if not a.dut_out_if or len(a.gen_if) != 2:
            ap.error("--dut-if %s: a run through real ports needs the DUT's second port (--dut-out-if) and the "
                     "generator's two ports cabled to them (--gen-if GEN,SINK; on --gen-host, or on this host); "
                     "--dry-run prints the plan" % a.dut_if)
    if a.ssh_config and not os.path.isfile(a.ssh_config):
        ap.error("--ssh-config %s: no such file" % a.ssh_config)
    if a.nic_probe and not os.path.isfile(a.nic_probe):
        ap.error("--nic-probe %s: no such file (record one with `pl-nicprobe --kv IF > FILE`)" % a.nic_probe)
    if a.metrics:
        try:
            promfile.parse_listen(a.metrics)
        except ValueError as e:
            ap.error(str(e))
    if a.out and os.path.exists(a.out):
        ap.error("--out %s exists: give a new directory (results are never overwritten)" % a.out)
    return a


def mtu_of(sizes):
    """The topology's MTU: the veth default unless a size needs a jumbo MTU."""
    return JUMBO_MTU if max(sizes) > 1518 else None


def sh(argv):
    try:
        return subprocess.run(L.GUARD + argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def meta(src, argv, a):
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pk = {}
    for name in ("libbpf1", "libxdp1", "dpdk", "openvswitch-switch", "nftables", "xdp-tools", "wrk", "nginx",
                 "clang-14", "linux-image-amd64"):
        v = sh(["dpkg-query", "-W", "-f", "${Version}", name])
        if v:
            pk[name] = v
    return {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "kernel": platform.release(),
            "cpu": cpu, "vcpus": os.cpu_count(), "virt": sh(["systemd-detect-virt"]),
            "version": layout.version(),
            "git": sh(["git", "-C", src, "describe", "--always", "--dirty"]) if src else "", "packages": pk,
            "argv": argv, "gen_cpu": a.gen_cpu, "dut_cpus": a.dut_cpus, "repeat": a.repeat,
            "search_repeat": 0 if a.no_search else a.search_repeat, "window_s": a.window, "short_s": a.short,
            "overload_s": a.overload_seconds,
            "steps": a.steps, "latency_s": 0 if a.no_latency else a.latency_seconds,
            "frame_size": a.sizes[0], "frame_sizes": a.sizes, "mtu": mtu_of(a.sizes), "flows": 256,
            "jumbo_fwd": {"size": a.jumbo_fwd, "mtu": JUMBO_MTU} if a.jumbo_fwd else None,
            "tsc_hz": C.tsc_hz(),
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}


def say(msg):
    print("[compare %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def run(argv):
    a = parse(argv)
    if a.dut_if and a.dry_run:
        return realport.run(a, say)
    if os.geteuid() != 0:
        print("compare.sh: needs root (namespaces, XDP, AF_XDP): run it with sudo", file=sys.stderr)
        return 2
    src, build = layout.src, layout.build
    for t in ("pl-gen", "pl-sink"):
        if not os.access(layout.tool("bench/" + t), os.X_OK):
            print("compare.sh: %s is %s" % (t, layout.build_hint()), file=sys.stderr)
            return 2
    out = os.path.abspath(a.out or os.path.join(src or os.getcwd(), "results", time.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out)
    prefix = a.prefix or "plt-b%d" % (os.getpid() % 90 + 10)
    ctx = Ctx()
    ctx.src, ctx.build, ctx.out = src, build, out
    ctx.gen_cpu, ctx.dut_cpus = a.gen_cpu, a.dut_cpus
    ctx.both_ways = a.placements == "both"
    ctx.bpf_stats = not a.no_bpf_stats
    ctx.trials = []
    ctx.work = os.path.join(out, "work")
    os.makedirs(ctx.work)
    lab = Lab(src, build, out, prefix, a.verbose)
    ctx.lab = lab
    try:
        lab.arm()
        bypass.restore_leftover(lab, False, say)
        ctx.nic = nicprobe.choose(nicprobe.load(a.nic_probe)) if a.nic_probe else None
        real = realport.prepare(a, lab, say) if a.dut_if else None
    except (Error, OSError, RuntimeError, ValueError, realport.Refused) as e:
        print("compare.sh: %s" % e, file=sys.stderr)
        lab.cleanup()
        return 2

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)

    res = {"meta": meta(src, argv, a), "rows": [], "commands": lab.commands}
    if real:
        res["meta"]["real_port"] = real["meta"]
    t0 = time.time()
    server = None
    if a.metrics:
        try:
            server = promfile.Server(a.metrics, lambda: promfile.render(res))
        except OSError as e:
            lab.cleanup()
            print("compare.sh: --metrics %s: %s" % (a.metrics, e), file=sys.stderr)
            return 2
    chosen = [p for p in all_paths(ctx) if p.name in a.paths]
    plan, na = plan_cells(a, chosen, real)
    res["rows"] += na
    ncells = sum(len(r) for _, _, r in plan)
    say("results in %s; prefix %s; generator cpu%d, DUT budget %s; %d cells" %
        (out, prefix, a.gen_cpu, ",".join(map(str, a.dut_cpus)), ncells))
    done = 0
    failed = False
    old_stats = sh(["sysctl", "-n", "kernel.bpf_stats_enabled"]) or "0"
    lab.record_sysctl("kernel.bpf_stats_enabled", old_stats)
    topo = None
    sink = None
    running = None
    try:
        for p, place, runs in plan:
            if topo is None:
                if real:
                    topo = real["topology"]
                    topo.up()
                    res["meta"]["real_port"].update(realport.after_up(topo))
                else:
                    topo = lab.topology(prefix.replace("-", "") + "l", "line", mtu_of(a.sizes))
                    topo.mtu_now = mtu_of(a.sizes) or 1500  # veth's default
                drv = dict(l.split(": ", 1) for l in sh((["ip", "netns", "exec", topo.ns("dut")] if topo.ns("dut")
                                                         else []) + ["ethtool", "-i", topo["DUT_IN_IF"]]).splitlines()
                           if ": " in l)
                res["meta"]["driver"] = "%s %s %s" % (drv.get("driver", "?"), drv.get("version", ""),
                                                      drv.get("firmware-version", ""))
                if ctx.nic is None:
                    try:
                        ctx.nic = nicprobe.choose(nicprobe.live(lab, topo["DUT_IN_IF"], topo.ns("dut")))
                    except ValueError as e:
                        raise Error(str(e))
                res["meta"]["nic"] = ctx.nic
                res["meta"]["environment"] = hostenv.record(topo.ns("dut"), [topo["DUT_IN_IF"], topo["DUT_OUT_IF"]])
                # what reached the sink is pl-sink's own count (--counts),
                # whatever the driver calls its counters
                ctx.sink_counts = topo.sink_counts_path()
                sink = topo.start("sink", [topo.tool("pl-sink"), "-i", topo["SINK_IF"], "--counts",
                                           ctx.sink_counts], os.path.join(out, "logs", "sink.log"))
                ctx.sink = sink
                end = time.time() + 15
                while C.sink(topo, ctx.sink_counts) is None:
                    if time.time() > end or (not getattr(sink, "far", False) and not sink.alive()):
                        raise Error("pl-sink on %s wrote no counts (%s): %s" % (topo["SINK_IF"], ctx.sink_counts,
                                                                               sink.tail()))
                    time.sleep(0.05)
            # a path whose processes are the same in every placement (OVS: no
            # busy-poll option, the same PMD mask) keeps running into the next
            # placement; the others start again with the next recipe
            if running is not None and not (running is p and p.same_across_placements):
                running.stop()
                running = None
            started = running is p
            # why the first cell of this placement starts a process (none: it moves)
            why_start = "first cell of the path"
            if started:
                p.move(place)
            elif running is None and p.place is not None and p.place.variant != place.variant:
                why_start = "new placement: %s" % p.placement_reason
            p.place = place
            for wl, size in runs:
                row = {"path": p.name, "title": p.title, "workload": wl.name, "size": size, "variant": place.variant,
                       "placement": place.describe(), "reference": p.reference,
                       "reference_path": paths.REFERENCE_OF.get(p.name), "work": wl.describe, "notes": []}
                if place.over_budget:
                    row["notes"].append("NAPI outside the budget (generator's CPU)")
                if p.policy_free and wl.action != wl.name:
                    row["notes"].append("no pathlab policy here: %s is %s's action" % (wl.name, wl.action))
                pol = os.path.join(out, "logs", "%s.policy" % wl.name)
                with open(pol, "w") as f:
                    f.write(wl.policy(topo.info))
                cell_t0 = time.time()
                try:
                    if a.fail_start == p.name:
                        raise Error("start failed on request (--fail-start)")
                    if nicprobe.refusal(ctx, p.name):
                        raise paths.NotApplicable(nicprobe.refusal(ctx, p.name))
                    setup_t0 = time.time()
                    # a jumbo cell's links at a jumbo MTU, the others back at the run's
                    mtu = JUMBO_MTU if size > 1518 else (mtu_of(a.sizes) or 1500)
                    if getattr(topo, "mtu_now", None) not in (None, mtu):
                        topo.set_mtu(mtu)
                    if mtu != mtu_of(a.sizes) and size > 1518:
                        row["mtu"] = mtu
                    if started and getattr(p, "cur_wl", None) == wl.name:
                        # the DUT runs this workload already (the next size of it)
                        row["setup"] = {"how": "kept", "reason": "it runs this workload already",
                                        "runs": getattr(p, "runs", None)}
                    elif started and p.policy_free and getattr(p, "cur_wl", None) in workloads.WORKLOADS and \
                            workloads.WORKLOADS[p.cur_wl].action == wl.action:
                        # a row without pathlab's policy does the action only
                        # (full is fwd there): the same program, unchanged
                        row["setup"] = {"how": "kept", "reason": "no pathlab policy: it runs %s's action already"
                                        % wl.action, "runs": getattr(p, "runs", None)}
                    elif started and p.live_switch and p.switch(wl, pol):
                        row["setup"] = {"how": "live switch", "runs": getattr(p, "runs", None)}
                    else:
                        if started:
                            why_start = (p.switch_error if p.live_switch else p.restart_reason) or \
                                "the live switch failed"
                            p.stop()
                        row["setup"] = {"how": "restart" if started else "start", "reason": why_start}
                        started = True
                        p.cur_wl = None
                        p.start(topo, place, wl, pol)
                        if getattr(p, "runs", None):
                            row["setup"]["runs"] = p.runs
                    p.cur_wl = wl.name
                    P.apply_napi(topo, place, p.dut_ifs())
                    row["setup"]["seconds"] = round(time.time() - setup_t0, 3)
                    if row["setup"]["how"] in ("start", "restart"):
                        time.sleep(0.2)  # a new process: its first polls, its NAPI moved
                    cell = measure.Cell(ctx, topo, p, wl, place, size)
                    cell_opts = argparse.Namespace(**vars(a))
                    cell_opts.search = not a.no_search and p.name != "ceiling"
                    nic0 = {i: hostenv.nic_stats(topo.ns("dut"), i) for i in p.dut_ifs()}
                    cell_opts.latency = not a.no_latency and not a.no_search
                    if wl.kind == "requests":
                        got = requests.measure_cell(cell, cell_opts)
                        row["notes"] += got.pop("notes_add", [])
                        row.update(got)
                    else:
                        row.update(measure.measure_cell(cell, cell_opts))
                    row["nic_stats_delta"] = {i: hostenv.stats_delta(nic0[i], hostenv.nic_stats(topo.ns("dut"), i))
                                              for i in nic0}
                    row["status"] = "ok"
                    if row["correct"] != "OK":
                        failed = True
                except paths.NotApplicable as e:
                    row.update(status="n/a", reason=paths.short(str(e)))
                except (Error, OSError, ValueError, KeyError, TypeError) as e:
                    row.update(status="failed", reason=("%s" % e if isinstance(e, Error) else
                                                        "%s: %s" % (type(e).__name__, e))[:300])
                    failed = True
                    started = False
                    why_start = "the previous cell failed"
                    p.cur_wl = None
                    p.stop()
                row["cell_s"] = round(time.time() - cell_t0, 3)
                res["rows"].append(row)
                promfile.write(res, out)
                done += 1
                el = time.time() - t0
                say("cell %d of %d: %s@%s %s %d B: %s%s; %.0f s, ETA %.0f s" % (
                    done, ncells, p.name, place.variant, wl.name, size, row["status"],
                    (" %s k req/s%s %s" % (row["krps"]["median"], " client-limited" if row["client_limited"] else "",
                                           row.get("correct"))) if row["status"] == "ok" and "krps" in row else
                    (" PDR %s overload %s %s" % (report.search_cell(row, "pdr_mpps"), report.fmt(row.get("overload_mpps")),
                                                row.get("correct"))) if row["status"] == "ok" else
                    " (%s)" % row.get("reason", ""), time.time() - cell_t0, el / done * (ncells - done)))
            running = p if started else None
        if running is not None:
            running.stop()
    except KeyboardInterrupt:
        say("interrupted: tearing down")
        failed = True
        res["meta"]["interrupted"] = True
    except Error as e:
        say("error: %s" % e)
        failed = True
        res["meta"]["error"] = str(e)
    finally:
        for p, _, _ in plan:
            try:
                p.stop()
            except Exception:
                pass
        if sink:
            topo.stop_proc(sink)
        sh(["sysctl", "-qw", "kernel.bpf_stats_enabled=%s" % old_stats])
        lab.cleanup()
    res["meta"]["elapsed_s"] = round(time.time() - t0)
    res["meta"]["timing"] = timing(res["rows"], time.time() - t0)
    say("time: " + timing_line(res["meta"]["timing"]))
    res["meta"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    res["meta"]["bpf_stats_enabled_restored_to"] = old_stats
    with open(os.path.join(out, "trials.jsonl"), "w") as f:
        for t in ctx.trials:
            f.write(json.dumps(t) + "\n")
    md = report.write(res, out)
    promfile.write(res, out)
    if server:
        server.close()
    print(md)
    say("done in %d s: %s" % (res["meta"]["elapsed_s"], out))
    return 1 if failed else 0


def plan_cells(a, chosen, real=None):
    """The run's plan: [(path, placement, [(workload, size), ...])] in table
    order, and the n/a rows (with the reason) of the cells that cannot run."""
    na = []
    wls = [workloads.WORKLOADS[w] for w in a.workloads]
    plan = []
    for p in chosen:
        runs = []
        for size in a.sizes:
            for wl in wls:
                why = (real and realport.not_here(p)) or p.check(wl) or p.check_size(size) or (
                    real and size > 1518 and "%d-byte frames: a real-port run does not set the ports' MTU "
                                             "(jumbo sizes run on the veth topology)" % size)
                if why:
                    na.append({"path": p.name, "title": p.title, "workload": wl.name, "status": "n/a",
                               "reason": paths.short(why), "size": size})
                else:
                    runs.append((wl, size))
        if a.jumbo_fwd:
            # the jumbo fwd cell, last: the links go to a jumbo MTU for it
            # (a path that does no fwd says so in its fwd row already)
            wl, size = workloads.WORKLOADS["fwd"], a.jumbo_fwd
            why = p.check_size(size)
            if p.check(wl):
                pass
            elif why:
                na.append({"path": p.name, "title": p.title, "workload": wl.name, "status": "n/a",
                           "reason": paths.short(why), "size": size})
            else:
                runs.append((wl, size))
        if runs:
            for place in p.placements():
                plan.append((p, place, runs))
    return plan, na


def timing(rows, elapsed):
    """Where the run's wall time went: per path and in total, the cells'
    set-up (start, restart or live switch), their trials per phase (wall time
    and the generator's sending time asked for), and what lies outside cells."""
    per, tot = {}, {"cells_s": 0.0, "setup_s": 0.0, "phases": {}}
    for r in rows:
        if "cell_s" not in r:
            continue
        for d in (per.setdefault(r["path"], {"cells_s": 0.0, "setup_s": 0.0, "phases": {}}), tot):
            d["cells_s"] += r["cell_s"]
            d["setup_s"] += (r.get("setup") or {}).get("seconds", 0.0)
            for ph, v in (r.get("timing") or {}).items():
                q = d["phases"].setdefault(ph, {"n": 0, "nominal_s": 0.0, "wall_s": 0.0})
                q["n"] += v["n"]
                q["nominal_s"] += v["nominal_s"]
                q["wall_s"] += v["wall_s"]
    for d in list(per.values()) + [tot]:
        d["cells_s"] = round(d["cells_s"], 1)
        d["setup_s"] = round(d["setup_s"], 1)
        for q in d["phases"].values():
            q["nominal_s"] = round(q["nominal_s"], 1)
            q["wall_s"] = round(q["wall_s"], 1)
    tot["elapsed_s"] = round(elapsed, 1)
    tot["outside_cells_s"] = round(elapsed - tot["cells_s"], 1)
    tot["per_path"] = per
    return tot


def timing_line(t):
    ph = t["phases"]
    return "%.0f s: cells %.0f s (set-up %.0f s; %s), outside cells %.0f s" % (
        t["elapsed_s"], t["cells_s"], t["setup_s"],
        ", ".join("%s %d trials %.0f s (%.0f s sending)" % (k, v["n"], v["wall_s"], v["nominal_s"])
                  for k, v in sorted(ph.items(), key=lambda kv: -kv[1]["wall_s"])),
        t["outside_cells_s"])


def metrics_cmd(argv):
    """compare.sh metrics RUN_DIR [--listen ADDR:PORT] [--seconds N]: a finished
    run's figures in the Prometheus text format, printed or served."""
    ap = argparse.ArgumentParser(prog="bench/compare.sh metrics",
                                 description="A finished run's cells as Prometheus gauges (pathlab_bench_*): "
                                             "printed, or served at http://ADDR:PORT/metrics.")
    ap.add_argument("run", help="a results directory (with results.json)")
    ap.add_argument("--listen", default="", metavar="ADDR:PORT", help="serve instead of printing")
    ap.add_argument("--seconds", type=float, default=0, help="with --listen: stop after N s (default: at a signal)")
    a = ap.parse_args(argv)
    f = os.path.join(a.run, "results.json")
    try:
        with open(f) as fh:
            res = json.load(fh)
    except (OSError, ValueError) as e:
        print("compare.sh metrics: %s: %s" % (f, e), file=sys.stderr)
        return 2
    if not a.listen:
        sys.stdout.write(promfile.render(res))
        return 0
    try:
        server = promfile.Server(a.listen, lambda: promfile.render(res))
    except (OSError, ValueError) as e:
        print("compare.sh metrics: %s" % e, file=sys.stderr)
        return 2
    stop = []
    signal.signal(signal.SIGTERM, lambda s, fr: stop.append(s))
    signal.signal(signal.SIGINT, lambda s, fr: stop.append(s))
    end = time.time() + a.seconds if a.seconds > 0 else None
    while not stop and (end is None or time.time() < end):
        time.sleep(0.2)
    server.close()
    return 0


def main(argv):
    if argv[:1] == ["--version"]:
        print(version())
        return 0
    if argv[:1] == ["diff"]:
        if len(argv) != 3:
            print("usage: bench/compare.sh diff RUN_A RUN_B", file=sys.stderr)
            return 2
        for d in argv[1:]:
            if not os.path.isfile(os.path.join(d, "results.json")):
                print("compare.sh diff: %s has no results.json" % d, file=sys.stderr)
                return 2
        sys.stdout.write(report.diff(argv[1], argv[2]))
        return 0
    if argv[:1] == ["metrics"]:
        return metrics_cmd(argv[1:])
    if argv[:1] == ["reap"] and len(argv) == 4:
        # the watchdog a run starts (lab.Lab.arm)
        return L.reap(argv[1], int(argv[2]), int(argv[3]))
    if argv[:1] == ["cleanup"]:
        if os.geteuid() != 0:
            print("compare.sh cleanup: needs root", file=sys.stderr)
            return 2
        live = L.clean_stale(lambda m: print("cleanup: " + m))
        for p in live:
            print("cleanup: the run with prefix %s is still running: left alone" % p)
        return 0
    if argv[:1] == ["run"]:
        argv = argv[1:]
    return run(argv)
