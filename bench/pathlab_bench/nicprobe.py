# SPDX-License-Identifier: MIT
"""The DUT port decides the modes: pl-nicprobe's answers -> one choice per path.

The probe is pl-nicprobe --kv on the DUT port (live, in the DUT's namespace)
or a recorded answer (--nic-probe FILE, the same KEY=VALUE lines, e.g. taken
on another host with `pl-nicprobe --kv enp3s0 > r8169.probe`). choose() turns
it into what each path runs with (native or generic XDP, zero-copy or copy
AF_XDP, multi-buffer, queues) and the paths that cannot run, each with the
driver's reason. The result goes to meta.json ("nic").
"""
import shlex
import subprocess

from .where import layout

# pathlab paths whose XDP program must be native (no generic variant of the row)
NATIVE_ONLY = ("xdp-native", "ref-xdp")
AFXDP = ("afxdp-user", "afxdp-hybrid")


def parse_kv(text, origin):
    """pl-nicprobe --kv lines -> dict; ValueError naming origin on bad input."""
    d = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError("%s line %d: not KEY=VALUE (expected `pl-nicprobe --kv IF` output): %r"
                             % (origin, n, line[:60]))
        k, v = line.split("=", 1)
        try:
            parts = shlex.split(v)
        except ValueError as e:
            raise ValueError("%s line %d: %s" % (origin, n, e))
        d[k] = parts[0] if parts else ""
    for k in ("DRIVER", "XDP_NATIVE"):
        if k not in d:
            raise ValueError("%s: no %s= line (expected `pl-nicprobe --kv IF` output)" % (origin, k))
    return d


def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise ValueError("--nic-probe %s: %s" % (path, e.strerror))
    p = parse_kv(text, path)
    p["_source"] = "recorded: %s" % path
    return p


def live(lab, ifname, ns=""):
    """Probe ifname now (in namespace ns, or the root namespace)."""
    argv = (["ip", "netns", "exec", ns] if ns else []) + [layout.tool("topologies/pl-nicprobe"), "--kv", ifname]
    if lab:
        rc, out, err = lab.run(argv, timeout=20)
    else:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            rc, out, err = r.returncode, r.stdout, r.stderr
        except (OSError, subprocess.TimeoutExpired) as e:
            rc, out, err = 1, "", str(e)
    if rc != 0:
        raise ValueError("pl-nicprobe %s: %s" % (ifname, (err or out).strip()[-200:]))
    p = parse_kv(out, "pl-nicprobe --kv %s" % ifname)
    p["_source"] = "live: pl-nicprobe --kv %s%s" % (ifname, " (netns %s)" % ns if ns else "")
    return p


def _int(p, k):
    try:
        return int(p.get(k, "0") or 0)
    except ValueError:
        return 0


def choose(p):
    """The modes per path for probe p, and the paths that cannot run with why."""
    drv = p.get("DRIVER", "?")
    note = p.get("NOTE", "")
    native = p.get("XDP_NATIVE") == "1"
    zc = p.get("XDP_ZEROCOPY") == "1"
    why_native = "driver %s has no native XDP" % drv + (" (%s)" % note if note else "")
    queues = max(_int(p, "CH_COMBINED"), _int(p, "CH_RX"), 1)
    max_queues = max(_int(p, "CH_MAX_COMBINED"), _int(p, "CH_MAX_RX"), 1)
    limits = []
    if drv == "ena" and native:
        # ENA: native XDP only up to MTU 3498 and with at most half of the
        # channels in use (the other half become XDP TX queues)
        if _int(p, "MTU") > 3498:
            limits.append("MTU %d above 3498" % _int(p, "MTU"))
        if _int(p, "CH_MAX_COMBINED") and _int(p, "CH_COMBINED") > _int(p, "CH_MAX_COMBINED") // 2:
            limits.append("%d combined channels, more than half of %d" % (_int(p, "CH_COMBINED"),
                                                                         _int(p, "CH_MAX_COMBINED")))
        if limits:
            native = False
            why_native = "driver ena refuses native XDP here (%s; fix: `ip link set dev IF mtu 3498`, " \
                         "`ethtool -L IF combined %d`)" % ("; ".join(limits), max(_int(p, "CH_MAX_COMBINED") // 2, 1))
    xdp = "native" if native else "generic"
    modes = {
        "xdp": xdp,
        "afxdp_xdp": xdp,
        "afxdp": "zero-copy" if zc and native else "copy",
        "multibuffer": p.get("XDP_RX_SG") == "1",
        "queues": queues,
        "max_queues": max_queues,
        "mtu": _int(p, "MTU"),
        "limits": limits,
    }
    refused = {}
    if not native:
        for name in NATIVE_ONLY:
            refused[name] = "%s: generic only (the xdp-generic row measures it)" % why_native
    if p.get("XDP_HW_OFFLOAD") != "1":
        refused["xdp-offload"] = "driver %s does not offload XDP to the NIC" % drv
    per_path = {}
    for name in AFXDP:
        per_path[name] = "%s XDP, AF_XDP %s" % (modes["afxdp_xdp"], modes["afxdp"])
    for name in ("xdp-native", "ref-xdp", "xdp-generic"):
        per_path[name] = "native XDP" if name != "xdp-generic" else "generic XDP"
    per_path["dpdk-afxdp"] = per_path["testpmd-io"] = "net_af_xdp, AF_XDP %s" % modes["afxdp"]
    return {"driver": drv, "version": p.get("DRIVER_VERSION", ""), "firmware": p.get("FIRMWARE", ""),
            "bus": p.get("BUS", ""), "ifname": p.get("IFNAME", ""), "source": p.get("_source", ""),
            "note": note, "modes": modes, "per_path": per_path, "refused": refused,
            "probe": {k: v for k, v in p.items() if not k.startswith("_")}}


def refusal(ctx, name):
    """The reason path `name` cannot run on this run's DUT port, or None."""
    nic = getattr(ctx, "nic", None)
    return nic["refused"].get(name) if nic else None


def afxdp_args(ctx):
    """pathlab-afxdp options for the chosen modes (none without a probe)."""
    nic = getattr(ctx, "nic", None)
    if not nic:
        return []
    m = nic["modes"]
    return ["--xdp-mode", m["afxdp_xdp"], "--zero-copy", "on" if m["afxdp"] == "zero-copy" else "off"]
