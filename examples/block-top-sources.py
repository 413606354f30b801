#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A mitigation loop: block the sources of a flood.

Every INTERVAL seconds it reads the per-source packet counters of a running
pathlab XDP program (its `pl_src` table, kept when the policy says
`count sources on`; read with bpftool), computes each source's rate since
the previous read and adds every source above THRESHOLD packets per second
to the program's source block list:

    pathlab-policy block --prog-id ID add src ADDR

Blocked sources are dropped by the block stage, which runs before the
per-source counters, so their rate falls to zero and they are not added
again. Nothing is ever removed: `pathlab-policy block --prog-id ID del src
ADDR` (or `load` of a reviewed list) does that.

    block-top-sources.py --prog-id ID [--threshold PPS] [--interval S]
                         [--once] [--dry-run] [--pathlab-policy PATH]

Run it as root in the program's network namespace. --once: one interval,
then exit (status 0; the sources blocked are printed). --dry-run: print what
would be blocked and block nothing.
"""
import argparse
import ipaddress
import json
import shutil
import subprocess
import sys
import time


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def src_map_id(bpftool, prog_id):
    """The id of the pl_src map the program uses."""
    prog = run_json([bpftool, "-j", "prog", "show", "id", str(prog_id)])
    for mid in prog.get("map_ids", []):
        if run_json([bpftool, "-j", "map", "show", "id", str(mid)]).get("name") == "pl_src":
            return mid
    sys.exit(f"program {prog_id} has no pl_src table (is it a pathlab program?)")


def read_sources(bpftool, map_id):
    """{address: packets summed over CPUs}"""
    counts = {}
    for entry in run_json([bpftool, "-j", "map", "dump", "id", str(map_id)]):
        raw = bytes(int(b, 16) for b in entry["key"])
        addr = ipaddress.IPv6Address(raw)
        addr = addr.ipv4_mapped or addr
        packets = 0
        for per_cpu in entry["values"]:
            value = bytes(int(b, 16) for b in per_cpu["value"])
            packets += int.from_bytes(value[:8], "little")
        counts[str(addr)] = packets
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prog-id", type=int, required=True, help="the running program (bpftool prog show name pathlab)")
    ap.add_argument("--threshold", type=float, default=10000.0, help="packets per second above which a source is blocked")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between reads")
    ap.add_argument("--once", action="store_true", help="one interval, then exit")
    ap.add_argument("--dry-run", action="store_true", help="print, do not block")
    ap.add_argument("--pathlab-policy", default=shutil.which("pathlab-policy") or "pathlab-policy")
    ap.add_argument("--bpftool", default=shutil.which("bpftool") or "/usr/sbin/bpftool")
    a = ap.parse_args()
    if a.interval <= 0 or a.threshold <= 0:
        sys.exit("--interval and --threshold must be positive")

    map_id = src_map_id(a.bpftool, a.prog_id)
    blocked = set()
    before = read_sources(a.bpftool, map_id)
    try:
        while True:
            t0 = time.monotonic()
            time.sleep(a.interval)
            now = read_sources(a.bpftool, map_id)
            dt = time.monotonic() - t0
            hot = sorted(((n - before.get(s, 0)) / dt, s) for s, n in now.items())
            for rate, src in reversed(hot):
                if rate <= a.threshold:
                    break
                if src in blocked:
                    continue
                print(f"{src}: {rate:.0f} packets/s > {a.threshold:.0f}: block", flush=True)
                if not a.dry_run:
                    r = subprocess.run([a.pathlab_policy, "block", "--prog-id", str(a.prog_id), "add", "src", src],
                                       capture_output=True, text=True)
                    if r.returncode:
                        print(f"{src}: {r.stderr.strip()}", file=sys.stderr, flush=True)
                        continue
                blocked.add(src)
            before = now
            if a.once:
                return 0
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
