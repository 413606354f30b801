# SPDX-License-Identifier: MIT
"""The responder workload: HTTP requests, not frames.

The client is wrk (Debian's), in the generator's namespace, pinned to the
CPUs outside the DUT's budget (the client's budget, which also runs the
client veth's NAPI thread): one wrk thread per
client CPU, 32 connections per thread, every request on a new TCP
connection (`Connection: close`; the pathlab responder closes every
connection, so nginx is told to as well: keepalive_timeout 0). The server is
the DUT: the core's responder stage (pathlab-xdp, pathlab-afxdp,
pathlab-dpdk) or, on the Linux row, nginx on the kernel's TCP stack with one
worker per DUT CPU, pinned to the budget.

The client end gets an XDP_PASS program for the cell (pl-sink --action
pass): a veth delivers XDP_TX frames to a peer at once only when the peer
has an XDP program of its own, and the rows must see the same client.

Per trial the client's CPUs are read from /proc/stat: a cell whose client
CPUs were busy for CLIENT_LIMIT of the time or more is `client-limited`
(the figure is the client's, not the server's), and the table says so.
Correct: the body answered is the route's, wrk saw no socket error, no
timeout and no non-2xx answer.
"""
import os
import re
import shutil
import statistics
import time

from . import counters as C
from . import workloads as W
from .lab import Error
from .where import layout

CLIENT_LIMIT = 0.90      # busy share of the client CPUs that makes a cell client-limited
CONNS_PER_THREAD = 32
SECONDS = 3.0            # one wrk run (wrk needs a few seconds to settle)


def client_cpus(ctx):
    """The client's budget: every CPU outside the DUT's (the generator's CPU at least)."""
    cpus = [c for c in range(os.cpu_count() or 1) if c not in ctx.dut_cpus]
    return cpus or [ctx.gen_cpu]


def shape(cpus):
    """wrk threads and connections for a client budget of len(cpus) CPUs."""
    threads = max(1, len(cpus))
    return threads, threads * CONNS_PER_THREAD


def parse_wrk(out):
    """requests, seconds, req/s, errors, latency percentiles (µs) from wrk --latency output."""
    r = {"requests": 0, "seconds": 0.0, "rps": 0.0, "errors": 0, "non2xx": 0, "latency_us": {}}
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if m:
        r["requests"] = int(m.group(1))
        r["seconds"] = float(m.group(2)) * (60 if m.group(3) == "m" else 1)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["errors"] = sum(int(x) for x in m.groups())
        r["error_detail"] = m.group(0)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    unit = {"us": 1.0, "ms": 1e3, "s": 1e6}
    for q, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        r["latency_us"]["p" + q] = round(float(v) * unit[u], 1)
    return r


def nginx_conf(ctx, topo, workers):
    """An nginx configuration answering GET / with the responder's body from DUT_IN_IP4:PORT."""
    d = os.path.join(ctx.work, "nginx")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write("worker_processes %d;\npid %s/nginx.pid;\nerror_log %s/error.log;\n"
                "events { worker_connections 8192; }\n"
                "http {\n access_log off;\n keepalive_timeout 0;\n"
                " client_body_temp_path %s/body;\n proxy_temp_path %s/proxy;\n fastcgi_temp_path %s/fcgi;\n"
                " uwsgi_temp_path %s/uwsgi;\n scgi_temp_path %s/scgi;\n"
                " server {\n  listen %s:%d reuseport backlog=4096;\n"
                "  location / { default_type text/plain; return 200 \"%s\"; }\n }\n}\n"
                % ((workers, d, d) + (d,) * 5 + (topo["DUT_IN_IP4"], W.RESPONDER_PORT, W.RESPONDER_BODY)))
    return conf


def start_nginx(path, topo):
    """nginx in the DUT namespace, its workers on the DUT budget (for the Linux row)."""
    if not shutil.which("nginx"):
        raise Error("nginx not installed (apt-get install nginx-light)")
    cpus = path.ctx.dut_cpus
    conf = nginx_conf(path.ctx, topo, len(cpus))
    log = os.path.join(path.ctx.work, "nginx", "error.log")
    return path.bg(["taskset", "-c", ",".join(map(str, cpus)), "nginx", "-e", log, "-c", conf, "-g", "daemon off;"],
                   "nginx")


def fetch(topo, url):
    rc, out, _ = topo.nsrun("gen", ["curl", "-s", "--max-time", "2", url], quiet=True, timeout=5)
    return out if rc == 0 else None


def measure_cell(cell, opts):
    """wrk against the DUT's responder: requests/s (median, min, max of
    opts.repeat runs), latency, client and DUT CPU, client-limited flag."""
    topo, lab, ctx = cell.topo, cell.lab, cell.ctx
    if not shutil.which("wrk"):
        raise Error("wrk not installed (apt-get install wrk)")
    cpus = client_cpus(ctx)
    threads, conns = shape(cpus)
    url = "http://%s:%d/" % (topo["DUT_IN_IP4"], W.RESPONDER_PORT)
    passer = topo.start("gen", [layout.tool("bench/pl-sink"), "-i", topo["GEN_IF"], "--action", "pass"],
                        os.path.join(ctx.out, "logs", "client-pass.log"))
    try:
        # the client's receive work (its veth's NAPI, threaded in the lab's
        # topology and re-created unpinned by the attach) belongs to the
        # client's budget too, not to the DUT's CPUs
        time.sleep(0.5)
        for c in cpus[:1]:
            topo.pin_napi(topo["GEN_IF"], c)
        body = None
        end = time.time() + 10
        while time.time() < end and body is None:
            time.sleep(0.3)
            body = fetch(topo, url)
        if body is None:
            raise Error("no answer to GET %s from the client's namespace in 10 s" % url)
        runs = []
        for _ in range(max(1, opts.repeat)):
            a, pa = C.cpu_times(), C.proc_cpu_seconds(cell.path.pids())
            t0 = time.time()
            rc, out, err = topo.nsrun("gen", ["/usr/bin/time", "-f", "PLTIME %e %U %S",
                                              "taskset", "-c", ",".join(map(str, cpus)), "wrk", "-t", str(threads),
                                              "-c", str(conns), "-d", "%gs" % SECONDS, "--timeout", "2s",
                                              "--latency", "-H", "Connection: close", url],
                                      timeout=SECONDS + 30)
            b, pb = C.cpu_times(), C.proc_cpu_seconds(cell.path.pids())
            r = parse_wrk(out)
            r["rc"] = rc
            m = re.search(r"PLTIME ([\d.]+) ([\d.]+) ([\d.]+)", err or "")
            if m and float(m.group(1)) > 0:
                # wrk's own CPU (user + sys, which holds the client's TCP work
                # done in its system calls): how much of the busy client CPUs
                # was the client, on a machine other work shares
                r["wrk_cpu"] = round((float(m.group(2)) + float(m.group(3))) / float(m.group(1)) / len(cpus), 3)
            u = C.cpu_util(a, b)
            r["client_busy"] = round(statistics.mean(u.get(c, 0) for c in cpus), 3)
            r["dut_busy"] = round(statistics.mean(u.get(c, 0) for c in ctx.dut_cpus), 3)
            r["dut_proc_cpu_s"] = round(pb - pa, 3)
            r["span_s"] = round(time.time() - t0, 3)
            ctx.trials.append({"path": cell.path.name, "variant": cell.place.variant, "workload": cell.wl.name,
                               "client": "wrk -t%d -c%d on cpu %s" % (threads, conns, cpus), **r})
            runs.append(r)
    finally:
        lab.stop(passer)
    rps = [r["rps"] for r in runs]
    mid = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    bad = []
    if W.RESPONDER_BODY not in body:
        bad.append("GET / answered %r, want the route's body %r" % (body[:60], W.RESPONDER_BODY))
    for r in runs:
        if r["rc"] != 0 or r["requests"] <= 0:
            bad.append("wrk failed (exit %s, %d requests)" % (r["rc"], r["requests"]))
        if r["errors"]:
            bad.append("wrk: " + r["error_detail"])
        if r["non2xx"]:
            bad.append("wrk: %d non-2xx answers" % r["non2xx"])
    limited = statistics.median(r["client_busy"] for r in runs) >= CLIENT_LIMIT
    row = {
        "kind": "requests",
        "krps": {"median": round(statistics.median(rps) / 1e3, 2), "min": round(min(rps) / 1e3, 2),
                 "max": round(max(rps) / 1e3, 2), "n": len(rps),
                 "unstable": bool(statistics.median(rps) > 0 and (max(rps) - min(rps)) / statistics.median(rps) > 0.10)},
        "latency_us": mid["latency_us"],
        "client": {"tool": "wrk", "threads": threads, "connections": conns, "cpus": cpus, "seconds": SECONDS,
                   "napi": "napi/%s threads pinned to cpu%d" % (topo["GEN_IF"], cpus[0]),
                   "busy": [r["client_busy"] for r in runs], "wrk_cpu": [r.get("wrk_cpu") for r in runs]},
        "client_limited": limited,
        "dut_busy": [r["dut_busy"] for r in runs],
        "correct": "OK" if not bad else "WRONG",
        "correct_detail": bad[0] if bad else "",
        "checked_trials": len(runs),
    }
    if mid["rps"] > 0 and mid["dut_busy"] > 0:
        row["dut_budget_us_per_req"] = round(mid["dut_busy"] * len(ctx.dut_cpus) * 1e6 / mid["rps"], 2)
    if limited:
        own = [r["wrk_cpu"] for r in runs if "wrk_cpu" in r]
        row["notes_add"] = ["client-limited: the client's CPUs %s were %.0f %% busy%s (wrk %d threads, %d connections)"
                            % (cpus, 100 * statistics.median(r["client_busy"] for r in runs),
                               ", wrk itself %.0f %%" % (100 * statistics.median(own)) if own else "", threads, conns)]
    return row


def markdown(rows):
    """The request workloads' own table (requests/s, not Mpps)."""
    rows = [r for r in rows if r["workload"] in [w for w, x in W.WORKLOADS.items() if x.kind == "requests"]]
    if not rows:
        return []
    out = ["", "Responder: HTTP GET / (%d-byte body), one request per TCP connection; client wrk in the "
               "generator's namespace on the CPUs outside the DUT budget (%d connections per thread, one thread "
               "per CPU), %g s per run, median (min-max) of the runs. client-limited = the client's CPUs were "
               "%.0f %% busy or more: the figure is the client's ceiling, not the server's."
           % (len(W.RESPONDER_BODY), CONNS_PER_THREAD, SECONDS, 100 * CLIENT_LIMIT), "",
           "| path | placement | k requests/s | latency p50 / p99 µs | client CPU busy | DUT CPU busy | "
           "DUT µs/request | client-limited | correct | note |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] != "ok":
            out.append("| %s | %s | %s | | | | | | | %s |" % (r["title"], r.get("variant", ""),
                                                            "n/a" if r["status"] == "n/a" else "FAILED",
                                                            r.get("reason", "")))
            continue
        k = r["krps"]
        fig = "%.1f" % k["median"] + (" (%.1f-%.1f)" % (k["min"], k["max"]) if k["n"] > 1 else "") + \
              (" unstable" if k["unstable"] else "")
        lat = r.get("latency_us") or {}
        notes = list(r.get("notes", []))
        if r.get("correct_detail"):
            notes.append(r["correct_detail"])
        out.append("| %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s |" % (
            r["title"], r.get("variant", ""), fig, lat.get("p50", "-"), lat.get("p99", "-"),
            ", ".join("%.0f %%" % (100 * x) for x in r["client"]["busy"]),
            ", ".join("%.0f %%" % (100 * x) for x in r["dut_busy"]), r.get("dut_budget_us_per_req", "-"),
            "**yes**" if r["client_limited"] else "no", r["correct"], "; ".join(notes)))
    return out
