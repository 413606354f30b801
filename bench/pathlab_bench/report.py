# SPDX-License-Identifier: MIT
"""The summary table (Markdown), results.json, charts and the diff of two runs."""
import json
import os

from . import requests
from .workloads import WORKLOADS

REQUEST_WORKLOADS = [w for w, x in WORKLOADS.items() if x.kind == "requests"]

NOISE = 0.10  # figures of two runs within 10 % are inside the noise band
FLOOR_MPPS = 0.00525  # the search's floor (5 kpps) and 5 % above: "at most the floor"


def fmt(s, digits=3, at_least=False, open_to=None):
    if not s:
        return "-"
    if s["median"] <= FLOOR_MPPS and s["max"] <= FLOOR_MPPS:
        return "floor"
    # at_least: met at the generator's full speed, a lower bound of the DUT's figure
    t = ("≥" if at_least else "") + "%.*f" % (digits, s["median"])
    if s["n"] > 1:
        t += " (%.*f-%.*f)" % (digits, s["min"], digits, s["max"])
    if s["unstable"]:
        t += " unstable"
    # open_to: the search ended with the DUT's figure somewhere below this rate
    if open_to:
        t += ", open to %.*f" % (digits, open_to)
    return t


def search_cell(r, col):
    return fmt(r.get(col), at_least=col in r.get("generator_limited", ()),
               open_to=(r.get("open_mpps") or {}).get(col))


def row_key(r):
    return "%s@%s/%s/%s" % (r["path"], r.get("variant", "-"), r["workload"], r.get("size", "-"))


def tax(rows):
    """Each row's overload and PDR rate as a ratio of its reference row (same
    workload, same placement variant): what the datapath costs over the bare one."""
    idx = {(r["path"], r.get("variant"), r["workload"], r.get("size")): r for r in rows if r["status"] == "ok"}
    for r in rows:
        ref = r.get("reference_path")
        if r["status"] != "ok" or not ref:
            continue
        # the same placement only: a reference with one placement (bare XDP)
        # says nothing about a row whose receive ran on another CPU
        b = idx.get((ref, r.get("variant"), r["workload"], r.get("size")))
        if not b:
            continue
        for col in ("overload_mpps", "pdr_mpps"):
            x, y = r.get(col), b.get(col)
            # a search that only confirmed its floor has no figure to divide by
            if x and y and y["median"] > FLOOR_MPPS and x["median"] > FLOOR_MPPS:
                r.setdefault("vs_reference", {})[col] = round(x["median"] / y["median"], 2)
        r["reference_row"] = "%s@%s" % (b["path"], b.get("variant"))


def lat_cell(r):
    """p50 / p99 one-way delay (µs) at 10, 50 and 90 % of the PDR."""
    lat = r.get("latency") or {}
    parts = []
    for share in ("0.1", "0.5", "0.9"):
        x = lat.get(share) or {}
        if x.get("p50") is None:
            parts.append("-")
        else:
            parts.append("%.0f / %.0f" % (x["p50"] / 1e3, x.get("p99", x["p50"]) / 1e3))
    return ", ".join(parts) if any(p != "-" for p in parts) else "-"


def sizes_text(m):
    sizes = m.get("frame_sizes") or [m.get("frame_size", 64)]
    t = "%s-byte frames" % ", ".join(map(str, sizes))
    if m.get("mtu"):
        t += " (MTU %s on every link; Gbit/s = overload Mpps x frame size in the note)" % m["mtu"]
    j = m.get("jumbo_fwd")
    if j:
        t += "; fwd also with %d-byte frames (the links at MTU %d for those cells; Gbit/s in the note)" % (
            j["size"], j["mtu"])
    return t


def wl_cell(r, m):
    """The workload, with the frame size when the run has more than one."""
    if len(m.get("frame_sizes") or [64]) > 1 or r.get("size", 64) != m.get("frame_size", 64):
        return "%s, %s B" % (r["workload"], r.get("size", 64))
    return r["workload"]


def markdown(res):
    m = res["meta"]
    out = ["Run %s, %s s; Linux %s, %s, %s vCPUs; generator on cpu%s, DUT budget %s. "
           "%s. NDR = 0 %% loss, PDR = 0.5 %% loss (Mpps, median (min-max) of %s searches; "
           "floor: the search confirmed only its floor of 5 kpps, or nothing; ≥: the generator set the figure "
           "(no loss at its full speed, or the paced generator fell behind its target), a lower bound that can "
           "exceed the overload column, which is the median of shorter trials; A, open to B: loss at B, nothing "
           "confirmed above A, the DUT's figure lies between); "
           "overload = what the DUT handled while the generator sent as fast as it could. "
           "vs ref = this row / its reference row (same workload and placement)."
           % (m.get("date"), m.get("elapsed_s"), m.get("kernel"), m.get("cpu"), m.get("vcpus"),
              m.get("gen_cpu"), m.get("dut_cpus"), sizes_text(m), m.get("search_repeat")), "",
           "| path | placement | workload | NDR Mpps | PDR Mpps | overload Mpps | loss at overload | "
           "vs ref (overload / PDR) | latency p50 / p99 µs at 10, 50, 90 % PDR | DUT ns/pkt | XDP prog ns/pkt | "
           "correct | note |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        pl = r.get("variant", "")
        if r["workload"] in REQUEST_WORKLOADS:
            continue  # their own table (requests.markdown)
        if r["status"] != "ok":
            out.append("| %s | %s | %s | %s | | | | | | | | | %s |" % (
                r["title"], pl, wl_cell(r, m), "n/a" if r["status"] == "n/a" else "FAILED", r.get("reason", "")))
            continue
        vs = r.get("vs_reference") or {}
        vs_t = "%s / %s" % (vs.get("overload_mpps", "-"), vs.get("pdr_mpps", "-")) if vs else ""
        notes = list(r.get("notes", [])) + list(r.get("search_flags", []))
        if r.get("correct_detail"):
            notes.append(r["correct_detail"])
        if (m.get("mtu") or r.get("size", 64) > 1518) and r.get("overload_mpps"):
            notes.insert(0, "overload %.2f Gbit/s" % (r["overload_mpps"]["median"] * r.get("size", 64) * 8 / 1e3))
        out.append("| %s | %s | %s | %s | %s | %s | %.1f %% | %s | %s | %s | %s | %s | %s |" % (
            r["title"], pl, wl_cell(r, m), search_cell(r, "ndr_mpps"), search_cell(r, "pdr_mpps"),
            fmt(r.get("overload_mpps")), 100 * r.get("overload_loss", 0), vs_t, lat_cell(r),
            r.get("dut_budget_ns_per_pkt", "-"), r.get("bpf_ns_per_pkt", "-"), r["correct"], "; ".join(notes)))
    out += requests.markdown(res["rows"])
    out.append("")
    out.append("Placements (where each context ran): results.json rows[].placement. dut = everything on the "
               "DUT budget; napi-gen = the DUT's receive NAPI in the softirq of the generator's CPU "
               "(more than the budget).")
    return "\n".join(out) + "\n"


def charts(res, outdir):
    """Bar charts per workload (matplotlib), or a note why none were drawn."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # ImportError, or a broken installation
        return ["no charts: matplotlib unavailable (%s; apt-get install python3-matplotlib)" % e]
    files = []
    for wl in sorted({r["workload"] for r in res["rows"]}):
        rows = [r for r in res["rows"] if r["workload"] == wl and r["status"] == "ok" and "krps" not in r]
        if not rows:
            continue
        fig, ax = plt.subplots(figsize=(10, 0.4 * len(rows) + 1.5))
        labels = ["%s @%s%s" % (r["title"], r["variant"], "" if r.get("size", 64) == 64 else " %d B" % r["size"])
                  for r in rows]
        for k, (col, c) in enumerate((("ndr_mpps", "tab:green"), ("pdr_mpps", "tab:blue"),
                                      ("overload_mpps", "tab:gray"))):
            vals = [(r.get(col) or {}).get("median", 0) for r in rows]
            ax.barh([i + k * 0.27 for i in range(len(rows))], vals, 0.27, label=col.split("_")[0].upper(), color=c)
        ax.set_yticks([i + 0.27 for i in range(len(rows))])
        ax.set_yticklabels(labels, fontsize=7)
        ax.set_xlabel("Mpps (%s B)" % ", ".join(map(str, res["meta"].get("frame_sizes") or [64])))
        ax.set_title("workload %s" % wl)
        ax.legend()
        fig.tight_layout()
        f = os.path.join(outdir, "mpps-%s.png" % wl)
        fig.savefig(f, dpi=90)
        plt.close(fig)
        files.append(os.path.basename(f))
    for wl in sorted({r["workload"] for r in res["rows"]}):
        rows = [r for r in res["rows"] if r["workload"] == wl and r["status"] == "ok" and r.get("latency")]
        if not rows:
            continue
        fig, axes = plt.subplots(1, 3, figsize=(15, 5), sharey=True)
        cmap = plt.get_cmap("tab20")
        for k, share in enumerate(("0.1", "0.5", "0.9")):
            ax = axes[k]
            for i, r in enumerate(rows):
                h = (r["latency"].get(share) or {}).get("hist") or []
                n = float(sum(c for _, c in h))
                if not n:
                    continue
                xs, ys, acc = [], [], 0
                for ns, c in h:
                    acc += c
                    xs.append(ns / 1e3)
                    ys.append(acc / n)
                ax.step(xs, ys, where="post", color=cmap(i % 20), label="%s @%s" % (r["title"], r["variant"]))
            ax.set_xscale("log")
            ax.set_xlabel("one-way delay, µs (log)")
            ax.set_title("%s: %d %% of the PDR" % (wl, int(float(share) * 100)))
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_ylabel("fraction of probes (CDF)")
        axes[-1].legend(fontsize=6, loc="lower right")
        fig.tight_layout()
        f = os.path.join(outdir, "latency-%s.png" % wl)
        fig.savefig(f, dpi=90)
        plt.close(fig)
        files.append(os.path.basename(f))
    return files


def write(res, outdir):
    tax(res["rows"])
    res["charts"] = charts(res, outdir)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = markdown(res)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md)
    return md


def diff(a_dir, b_dir):
    """Both runs' machine, and per cell B/A, marking changes within the noise band."""
    a = json.load(open(os.path.join(a_dir, "results.json")))
    b = json.load(open(os.path.join(b_dir, "results.json")))
    out = []
    for k in ("kernel", "cpu", "vcpus", "driver", "packages", "git", "gen_cpu", "dut_cpus"):
        va, vb = a["meta"].get(k), b["meta"].get(k)
        out.append("%-9s A: %s\n%-9s B: %s%s" % (k, va, "", vb, "" if va == vb else "   (changed)"))
    out.append("")
    out.append("| cell | column | A | B | B/A | |")
    out.append("|---|---|---|---|---|---|")
    ia = {row_key(r): r for r in a["rows"]}
    for r in b["rows"]:
        o = ia.get(row_key(r))
        if not o:
            out.append("| %s | | (not in A) | %s | | |" % (row_key(r), r["status"]))
            continue
        for col in ("ndr_mpps", "pdr_mpps", "overload_mpps"):
            x, y = o.get(col), r.get(col)
            if not x or not y:
                continue
            ratio = y["median"] / x["median"] if x["median"] else float("inf")
            band = "within noise" if abs(ratio - 1) <= NOISE else ("better" if ratio > 1 else "worse")
            out.append("| %s | %s | %.3f | %.3f | %.2f | %s |" % (row_key(r), col, x["median"], y["median"],
                                                                   ratio, band))
        if o.get("correct") != r.get("correct"):
            out.append("| %s | correct | %s | %s | | changed |" % (row_key(r), o.get("correct"), r.get("correct")))
    return "\n".join(out) + "\n"
