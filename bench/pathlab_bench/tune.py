# SPDX-License-Identifier: MIT
"""Settings of a real port: what a run changes is put back, and --tune.

Saved(lab) keeps, for every setting the run is about to change, the command
that puts the old value back. Each one goes into the run's state file as an
undo step before the change, so the watchdog restores it when the harness
is killed (lab.py); restore() runs them at the end of a normal run (newest
first) and takes them out of the state file.

--tune applies the settings docs/benchmarking.md ("Real ports") documents
for a measurement on a NIC, on each DUT port:
- ring sizes: `ethtool -G IF rx MAX tx MAX` (the driver's pre-set maximum);
- IRQ affinity: the port's queue interrupts spread over the DUT budget
  (/proc/irq/N/smp_affinity_list);
- threaded NAPI: /sys/class/net/IF/threaded = 1 (a kthread per NAPI
  instance, which the placement pins to the budget).
What a device does not support is reported n/a with the reason (veth: no
rings, no interrupts). Everything applied is listed in meta.json ("tune").
"""

from . import hostenv
from .hostenv import _read


class Saved:
    """Undo steps of the settings a run changed on this host."""

    def __init__(self, lab):
        self.lab = lab
        self.steps = []

    def write(self, path, value, what):
        """Write value to a sysfs/procfs file, saving the old value first.
        Returns None, or why it could not."""
        old = _read(path)
        if old is None:
            return "no %s" % path
        if old == str(value):
            return None
        undo = ["sh", "-c", "echo %s > %s" % (old, path)]
        self.add(undo)
        try:
            with open(path, "w") as f:
                f.write("%s\n" % value)
        except OSError as e:
            self.drop(undo)
            return "%s refused %s: %s" % (path, value, e.strerror)
        self.lab._note(["echo", value, ">", path, "#", what, "was", old])
        return None

    def add(self, undo):
        self.steps.append(undo)
        self.lab.record("undo", undo)

    def drop(self, undo):
        if undo in self.steps:
            self.steps.remove(undo)
        self.lab.unrecord("undo", undo)

    def restore(self):
        while self.steps:
            undo = self.steps.pop()
            self.lab.run(undo, quiet=True, timeout=60)
            self.lab.unrecord("undo", undo)


def _rings(lab, ifname):
    """{"max": {rx, tx}, "now": {rx, tx}} from ethtool -g, or a reason."""
    rc, out, err = lab.run(["ethtool", "-g", ifname], quiet=True)
    if rc != 0:
        return "ethtool -g %s: %s" % (ifname, ((err or out).strip().splitlines() or ["refused"])[-1])
    sec = hostenv._sections(out)
    mx = sec.get("Pre-set maximums", {})
    now = sec.get("Current hardware settings", {})
    res = {"max": {}, "now": {}}
    for k in ("RX", "TX"):
        try:
            res["max"][k.lower()] = int(mx.get(k, ""))
            res["now"][k.lower()] = int(now.get(k, ""))
        except ValueError:
            pass
    if not res["max"]:
        return "ethtool -g %s: no RX/TX ring sizes" % ifname
    return res


def apply(lab, saved, ifname, cpus):
    """--tune on one port of this host; returns {"applied": {...}, "n/a": {...}}."""
    applied, na = {}, {}
    # rings
    r = _rings(lab, ifname)
    if isinstance(r, str):
        na["rings"] = r
    else:
        want = {k: v for k, v in r["max"].items() if v and r["now"].get(k) != v}
        if not want:
            applied["rings"] = "already at the maximum (%s)" % ", ".join("%s %d" % kv for kv in sorted(r["max"].items()))
        else:
            undo = ["ethtool", "-G", ifname] + [x for k in sorted(want) for x in (k, str(r["now"][k]))]
            saved.add(undo)
            rc, out, err = lab.run(["ethtool", "-G", ifname] + [x for k in sorted(want) for x in (k, str(want[k]))])
            if rc != 0:
                saved.drop(undo)
                na["rings"] = "ethtool -G %s refused: %s" % (ifname, (err or out).strip()[-160:])
            else:
                applied["rings"] = ", ".join("%s %d -> %d" % (k, r["now"][k], want[k]) for k in sorted(want))
    # IRQ affinity
    irqs = hostenv.irqs(ifname)
    if not irqs:
        na["irq_affinity"] = "no interrupts of %s in /proc/interrupts (a virtual device, or MSI-X names differ)" \
                             % ifname
    else:
        done, bad = [], []
        for i, n in enumerate(sorted(irqs, key=int)):
            cpu = cpus[i % len(cpus)]
            why = saved.write("/proc/irq/%s/smp_affinity_list" % n, cpu, "IRQ %s (%s)" % (n, irqs[n]["name"]))
            (bad if why else done).append("%s -> cpu%d" % (n, cpu) if not why else why)
        if done:
            applied["irq_affinity"] = "; ".join(done)
        if bad:
            na["irq_affinity"] = "; ".join(bad)
    # threaded NAPI
    why = saved.write("/sys/class/net/%s/threaded" % ifname, 1, "threaded NAPI")
    if why:
        na["threaded_napi"] = why
    else:
        applied["threaded_napi"] = "on"
    return {"applied": applied, "n/a": na}
