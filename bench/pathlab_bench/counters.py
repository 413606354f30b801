# SPDX-License-Identifier: MIT
"""Counters, read one way per kind of source.

Every reader returns a flat dict of monotonically increasing integers, so a
trial's figures are differences of two readings (delta()).

- prometheus: the /metrics endpoint every pathlab datapath serves
  (pathlab-xdp stats --metrics, pathlab-afxdp --metrics, pathlab-dpdk --metrics)
- sink: what pl-sink received, from its own counters (--counts FILE): the
  delivered count on any interface
- veth: the kernel's per-interface counters (ethtool -S and ip -s link)
- nftables: rule counters by comment (nft -j list table)
- ovs: Open vSwitch's port and flow counters (pl-ovs bench-counters)
- testpmd: dpdk-testpmd's own port statistics (show port stats all)
- cpu: /proc/stat per CPU
"""
import concurrent.futures
import json
import os
import re

from . import netns

# counters of one snapshot are read in parallel (each read is a process)
POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8)


def delta(a, b):
    """b - a per key (keys of b; a missing key counts from 0)."""
    return {k: v - a.get(k, 0) for k, v in b.items() if isinstance(v, (int, float))}


_PROM = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$')


def prometheus(topo, role, port):
    """pathlab's Prometheus endpoint: verdict=N, rx=N, spread_queued=N and every *drop*/*error* series."""
    ns = local_ns(topo, role)
    out = netns.http_get(ns, port) if ns is not None else None
    if out is None:
        rc, out, _ = topo.nsrun(role, ["curl", "-s", "--max-time", "2",
                                       "http://127.0.0.1:%d/metrics" % port], quiet=True, timeout=5)
        if rc != 0:
            return None
    if not out:
        return None
    c = {}
    for line in out.splitlines():
        m = _PROM.match(line.strip())
        if not m:
            continue
        name, labels, val = m.group(1), m.group(2) or "", float(m.group(3))
        if name == "pathlab_packets_total":
            v = re.search(r'verdict="([a-z]+)"', labels)
            if v:
                c[v.group(1)] = c.get(v.group(1), 0) + int(val)
        elif name == "pathlab_rx_packets_total":
            c["rx"] = c.get("rx", 0) + int(val)
        elif name == "pathlab_spread_queued_total":
            c["spread_queued"] = c.get("spread_queued", 0) + int(val)
        elif name.endswith("_total") and ("drop" in name or "error" in name or "full" in name):
            key = name[len("pathlab_"):-len("_total")] if name.startswith("pathlab_") else name
            c["x." + key] = c.get("x." + key, 0) + int(val)
    return c


def sink(topo, path):
    """pl-sink's running totals (--counts FILE): {"packets", "bytes",
    "polled_ns"} (polled_ns: CLOCK_MONOTONIC of the reading), or None."""
    c = {}
    for line in topo.read_file("sink", path).splitlines():
        k, _, v = line.partition("=")
        if v.strip().isdigit():
            c[k.strip()] = int(v)
    return c if "packets" in c and "polled_ns" in c else None


def local_ns(topo, role):
    """The namespace of this host that ROLE of topo runs in ("": the root
    one), or None (another host, or a topology that does not say)."""
    f = getattr(topo, "local_ns", None)
    return f(role) if f else None


def veth(topo, role, ifname):
    """ethtool -S plus the netdev's rx/tx packets and drops (prefix-free keys):
    read in the namespace by the harness itself (netns.py), else with the
    two commands."""
    ns = local_ns(topo, role)
    if ns is not None:
        c = netns.veth(ns, ifname)
        if c is not None:
            return c
    rc, out, _ = topo.nsrun(role, ["sh", "-c", "ethtool -S %s; ip -j -s link show dev %s" % (ifname, ifname)],
                            quiet=True, timeout=5)
    c = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("["):
            try:
                st = json.loads(line)[0]["stats64"]
                for d in ("rx", "tx"):
                    for k in ("packets", "dropped", "errors"):
                        c["%s_%s" % (d, k)] = int(st[d][k])
            except (ValueError, KeyError, IndexError):
                pass
        elif ":" in line:
            k, _, v = line.partition(":")
            v = v.strip()
            if v.isdigit() and k != "peer_ifindex":
                c[k.strip()] = int(v)
    return c


def veth_sum(c, suffix):
    """Sum of the per-queue ethtool counters rx_queue_N_SUFFIX / tx_queue_N_SUFFIX."""
    return sum(v for k, v in c.items() if re.match(r'^(rx|tx)_queue_\d+_' + suffix + '$', k))


def nftables(topo, role, family, table):
    """Packets per rule comment of an nftables table."""
    rc, out, _ = topo.nsrun(role, ["nft", "-j", "list", "table", family, table], quiet=True, timeout=5)
    c = {}
    try:
        for obj in json.loads(out)["nftables"]:
            rule = obj.get("rule")
            if not rule or "comment" not in rule:
                continue
            for e in rule.get("expr", []):
                if "counter" in e:
                    c[rule["comment"]] = c.get(rule["comment"], 0) + int(e["counter"]["packets"])
    except (ValueError, KeyError, TypeError):
        return None
    return c


def ovs(lab, argv):
    """pl-ovs bench-counters KEY=VALUE lines (dropped, ovs_IF_{rx,tx}_{packets,dropped})."""
    rc, out, _ = lab.run(argv + ["bench-counters"], quiet=True, timeout=10)
    c = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        if v.strip().isdigit():
            c[k.strip()] = int(v)
    return c if c else None


def ovs_direct(lab, rundir, bridge, ports, pool):
    """The same counters as pl-ovs bench-counters (ovs_IF_{rx,tx}_{packets,
    dropped}; dropped = n_packets of the drop flows), read with direct
    ovs-ofctl calls in parallel (the harness reads them several times per
    trial; the script costs a shell and a call per port in a row)."""
    env = ["env", "OVS_RUNDIR=" + rundir, "OVS_DBDIR=" + rundir, "OVS_LOGDIR=" + rundir, "ovs-ofctl", "-O",
           "OpenFlow13"]
    futs = {p: pool.submit(lab.run, env + ["dump-ports", bridge, p], quiet=True, timeout=10) for p in ports}
    ff = pool.submit(lab.run, env + ["dump-flows", bridge], quiet=True, timeout=10)
    c = {}
    for p, f in futs.items():
        rc, out, _ = f.result()
        if rc != 0:
            return None
        for line in out.splitlines():
            for d in ("rx", "tx"):
                m = re.search(d + r' pkts=(\d+|\?), bytes=[^,]*, drop=(\d+|\?)', line)
                if m:
                    c["ovs_%s_%s_packets" % (p, d)] = int(m.group(1)) if m.group(1).isdigit() else 0
                    c["ovs_%s_%s_dropped" % (p, d)] = int(m.group(2)) if m.group(2).isdigit() else 0
    rc, out, _ = ff.result()
    if rc != 0:
        return None
    c["dropped"] = sum(int(m.group(1)) for line in out.splitlines() if "actions=drop" in line
                       for m in [re.search(r'n_packets=(\d+)', line)] if m)
    return c


_TPMD = re.compile(r'(RX-packets|RX-missed|RX-errors|TX-packets|TX-errors|RX-nombuf):\s*(\d+)')


def testpmd_stats(text):
    """Totals of one 'show port stats all' answer of dpdk-testpmd, per port."""
    c = {}
    port = None
    for line in text.splitlines():
        m = re.search(r'NIC statistics for port (\d+)', line)
        if m:
            port = int(m.group(1))
            continue
        if port is None:
            continue
        for k, v in _TPMD.findall(line):
            c["p%d.%s" % (port, k.lower())] = int(v)
    return c


def cpu_times():
    """Per-CPU busy and total jiffies from /proc/stat: {cpu: (busy, total, sys+softirq)}."""
    t = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                p = line.split()
                v = [int(x) for x in p[1:]]
                idle = v[3] + v[4]
                tot = sum(v[:8])
                t[int(p[0][3:])] = (tot - idle, tot, v[2] + v[5] + v[6])
    return t


def cpu_util(a, b):
    """Busy share per CPU between two cpu_times() readings."""
    u = {}
    for cpu in b:
        db = b[cpu][0] - a[cpu][0]
        dt = b[cpu][1] - a[cpu][1]
        u[cpu] = round(db / dt, 3) if dt > 0 else 0.0
    return u


def proc_cpu_seconds(pids):
    """utime+stime of the given PIDs (seconds)."""
    hz = os.sysconf("SC_CLK_TCK")
    s = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
            s += int(st[11]) + int(st[12])
        except (OSError, IndexError, ValueError):
            pass
    return s / hz


def tsc_hz():
    """The TSC frequency in Hz (for cycles per packet), from the kernel log or cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1]) * 1e6
    except OSError:
        pass
    return 0.0


def sink_ttl_map(topo):
    """The id of pl-sink's pl_sink_ttl map: through the program attached to
    the sink's interface (map names are not unique on a shared machine)."""
    rc, out, _ = topo.nsrun("sink", ["ip", "-j", "-d", "link", "show", "dev", topo["SINK_IF"]], quiet=True)
    try:
        xdp = json.loads(out)[0].get("xdp", {})
        pid = xdp.get("prog", {}).get("id") or (xdp.get("attached") or [{}])[0].get("prog", {}).get("id")
    except (ValueError, IndexError, AttributeError):
        return None
    if not pid:
        return None
    rc, out, _ = topo.lab.run(["bpftool", "-j", "prog", "show", "id", str(pid)], quiet=True)
    try:
        ids = json.loads(out).get("map_ids", [])
    except ValueError:
        return None
    for m in ids:
        rc, out, _ = topo.lab.run(["bpftool", "-j", "map", "show", "id", str(m)], quiet=True)
        try:
            if json.loads(out).get("name") == "pl_sink_ttl":
                return m
        except ValueError:
            pass
    return None


def sink_ttl(topo, map_id):
    """{ttl: frames, "bad_csum": frames} so far (summed over CPUs), from pl-sink's pl_sink_ttl."""
    if map_id is None:
        return None
    rc, out, _ = topo.lab.run(["bpftool", "-j", "map", "dump", "id", str(map_id)], quiet=True)
    try:
        entries = json.loads(out)
    except ValueError:
        return None
    res = {}
    for e in entries:
        k = e.get("key")
        k = int(k) if isinstance(k, int) else int.from_bytes(bytes(int(x, 16) for x in k), "little")
        n = sum(int(v.get("value", 0)) if isinstance(v.get("value"), int)
                else int.from_bytes(bytes(int(x, 16) for x in v.get("value")), "little")
                for v in e.get("values", []))
        if n:
            res["bad_csum" if k == 256 else k] = n
    return res
