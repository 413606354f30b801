# SPDX-License-Identifier: MIT
"""The run's figures in the Prometheus text format.

Every measured cell becomes gauges labelled with the run, the path, its
placement variant, the workload and the frame size:

  pathlab_bench_mpps{figure="ndr|pdr|overload"}    median of the cell's searches / overload trials
  pathlab_bench_cycles_per_packet{source="dut"}    the DUT budget's CPU time per handled frame, in TSC cycles
  pathlab_bench_cycles_per_packet{source="xdp_prog"} the XDP program's own run time per frame (BPF statistics)
  pathlab_bench_cell_correct                       1 when the cell's frame accounting passed, else 0
  pathlab_bench_info{kernel, cpu, tsc_mhz}         1, one per run

The harness writes them to metrics.prom in the results directory after every
cell (a textfile collector can pick it up) and, with --metrics ADDR:PORT,
serves them at http://ADDR:PORT/metrics while it runs;
`bench/compare.sh metrics RUN_DIR [--listen ADDR:PORT]` prints or serves a
finished run's. docs/prometheus-pathlab.yml scrapes the harness (job
pathlab-bench); the Grafana dashboard's "Cycles per packet from the harness"
panel reads pathlab_bench_cycles_per_packet.
"""
import http.server
import os
import threading

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# every family the harness serves (the dashboard check looks queries up here)
FAMILIES = ("pathlab_bench_mpps", "pathlab_bench_cycles_per_packet", "pathlab_bench_cell_correct",
            "pathlab_bench_info")


def _esc(v):
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(d):
    return "{" + ",".join('%s="%s"' % (k, _esc(v)) for k, v in d.items()) + "}"


def render(res):
    """The text of every measured cell of res (a results.json object)."""
    m = res.get("meta", {})
    run = m.get("date", "")
    tsc = m.get("tsc_hz") or 0.0
    out = []

    def family(name, help_, samples):
        if not samples:
            return
        out.append("# HELP %s %s" % (name, help_))
        out.append("# TYPE %s gauge" % name)
        for labels, value in samples:
            out.append("%s%s %s" % (name, _labels(labels), repr(float(value))))

    mpps, cycles, correct = [], [], []
    for r in res.get("rows", []):
        if r.get("status") != "ok":
            continue
        base = {"run": run, "path": r["path"], "variant": r.get("variant", ""), "workload": r["workload"],
                "size": r.get("size", 64)}
        for fig in ("ndr", "pdr", "overload"):
            s = r.get(fig + "_mpps")
            if s:
                mpps.append((dict(base, figure=fig), s["median"]))
        if tsc:
            for src, key in (("dut", "dut_budget_ns_per_pkt"), ("xdp_prog", "bpf_ns_per_pkt")):
                if r.get(key):
                    cycles.append((dict(base, source=src), round(r[key] * tsc / 1e9, 1)))
        correct.append((base, 1 if r.get("correct") == "OK" else 0))
    family("pathlab_bench_mpps", "Mpps of one harness cell: NDR, PDR (median of its searches) or overload "
           "(median of its trials).", mpps)
    family("pathlab_bench_cycles_per_packet", "TSC cycles per handled frame of one harness cell: the DUT "
           "budget's CPU time (dut) or the XDP program's own run time (xdp_prog).", cycles)
    family("pathlab_bench_cell_correct", "1 when the cell's frame accounting passed on every checked trial.",
           correct)
    family("pathlab_bench_info", "One harness run: its kernel, CPU and TSC frequency.",
           [({"run": run, "kernel": m.get("kernel", ""), "cpu": m.get("cpu", ""),
              "tsc_mhz": "%.0f" % (tsc / 1e6)}, 1)])
    return "\n".join(out) + "\n"


def write(res, outdir):
    """metrics.prom in outdir, replaced at once (a reader never sees half)."""
    path = os.path.join(outdir, "metrics.prom")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(render(res))
    os.replace(tmp, path)
    return path


def parse_listen(s):
    """ADDR:PORT -> (addr, port); ValueError with what is wrong."""
    host, sep, port = s.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("--metrics/--listen '%s': give ADDR:PORT, e.g. 127.0.0.1:9467" % s)
    return host, int(port)


class Server:
    """/metrics over HTTP from a thread; text() gives the current text."""

    def __init__(self, listen, text):
        host, port = parse_listen(listen)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404, "only /metrics")
                    return
                body = text().encode()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
