# SPDX-License-Identifier: MIT
"""Running commands, namespaces (pl-topo), background processes, clean-up.

Every command goes through Lab.run or Lab.start so that commands.txt holds the
exact commands of a run; every process started is stopped by its PID (and its
session), every topology by its name and then by the run's prefix.

Nothing outlives the harness, kill -9 included:
- every child runs under `setpriv --pdeathsig KILL` (the kernel kills it when
  the harness dies; the chain pl-topo exec -> ip netns exec -> sh -> program
  is one process that execs, so the signal reaches the program itself);
- what the kernel does not take down with a process (namespaces, daemons that
  detach such as OVS's, sysctls, DPDK run directories) is written to a state
  file (STATE_DIR/PREFIX.json) as the run goes; a watchdog process (`python3
  -m pathlab_bench reap`, its own session) waits on the harness's pidfd and,
  when the harness died without removing the file, undoes what it records;
- every start first undoes what a state file of a dead run records (a run
  killed with its watchdog), and `compare.sh cleanup` does only that.
Processes are killed only when their PID and start time match the record.
"""
import json
import os
import shlex
import signal
import subprocess
import sys
import time

from . import netns
from .where import layout


STATE_DIR = os.environ.get("PL_BENCH_STATE_DIR", "/run/pathlab-bench")
# the kernel kills the child when the harness (the thread that started it) dies
GUARD = ["setpriv", "--pdeathsig", "KILL", "--"]


def start_time(pid):
    """The start time of PID (clock ticks since boot), None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _session_members(sid, not_before):
    """PIDs of session sid started no earlier than its leader was."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
            if int(st[3]) == sid and int(st[19]) >= not_before:
                pids.append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return pids


class State:
    """What a run created that must not outlive it, kept in a file as the run goes."""

    def __init__(self, prefix, pltopo):
        os.makedirs(STATE_DIR, mode=0o700, exist_ok=True)
        self.file = os.path.join(STATE_DIR, prefix + ".json")
        self.data = {"pid": os.getpid(), "start": start_time(os.getpid()), "prefix": prefix,
                     "pltopo": pltopo, "procs": [], "undo": [], "remove": [], "sysctl": {}}
        self.save()

    def save(self):
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f)
        os.replace(tmp, self.file)

    def add_proc(self, pid, argv):
        self.data["procs"].append({"pid": pid, "start": start_time(pid), "argv": argv[:8]})
        self.save()

    def drop_proc(self, pid):
        self.data["procs"] = [p for p in self.data["procs"] if p["pid"] != pid]
        self.save()

    def add(self, key, item):
        if item not in self.data[key]:
            self.data[key].append(item)
            self.save()

    def discard(self, key, item):
        if item in self.data[key]:
            self.data[key].remove(item)
            self.save()

    def sysctl(self, name, value):
        """Record a sysctl's value to put back (the first one recorded wins)."""
        if name not in self.data["sysctl"]:
            self.data["sysctl"][name] = value
            self.save()

    def close(self):
        try:
            os.unlink(self.file)
        except OSError:
            pass


def undo(data, log=None):
    """Undo what a state record says a run left: its processes (by PID and
    start time, with their sessions), the recorded undo commands, paths,
    its topologies (pl-topo down --all-with-prefix), sysctls."""
    def note(msg):
        if log:
            log(msg)
    for p in data.get("procs", []):
        st = p.get("start")
        if st is None or start_time(p["pid"]) != st:
            continue
        for pid in [p["pid"]] + _session_members(p["pid"], st):
            try:
                os.kill(pid, signal.SIGKILL)
                note("killed pid %d (%s)" % (pid, " ".join(p.get("argv", [])[:3])))
            except (ProcessLookupError, PermissionError):
                pass
    for argv in reversed(data.get("undo", [])):
        try:
            subprocess.run(argv, capture_output=True, timeout=60)
            note("ran " + " ".join(argv[-3:]))
        except (OSError, subprocess.TimeoutExpired):
            pass
    for path in data.get("remove", []):
        subprocess.run(["rm", "-rf", "--one-file-system", path], capture_output=True)
    if data.get("prefix") and data.get("pltopo"):
        subprocess.run([data["pltopo"], "down", "--all-with-prefix", data["prefix"]], capture_output=True,
                       timeout=120)
        note("pl-topo down --all-with-prefix %s" % data["prefix"])
    for name, value in data.get("sysctl", {}).items():
        subprocess.run(["sysctl", "-qw", "%s=%s" % (name, value)], capture_output=True)
        note("sysctl %s=%s" % (name, value))


def alive(data):
    return data.get("start") is not None and start_time(data.get("pid", 0)) == data["start"]


def clean_stale(log=None, skip=None):
    """Undo the records of every run that died without cleaning up; returns
    the prefixes of runs still alive."""
    live = []
    try:
        names = sorted(os.listdir(STATE_DIR))
    except OSError:
        return live
    for n in names:
        f = os.path.join(STATE_DIR, n)
        if not n.endswith(".json") or f == skip:
            continue
        try:
            with open(f) as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        if alive(data):
            live.append(data.get("prefix", "?"))
            continue
        if log:
            log("undoing what the dead run %d (prefix %s) left" % (data.get("pid", 0), data.get("prefix")))
        undo(data, log)
        try:
            os.unlink(f)
        except OSError:
            pass
    return live


def reap(state_file, pid, start):
    """The watchdog: wait for the harness (pid, start time) to end; if its
    state file is still there (it did not clean up: killed), undo it."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        fd = None
    if fd is not None and start_time(pid) == start:
        import select
        select.select([fd], [], [])
    try:
        with open(state_file) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return 0
    if data.get("pid") != pid or data.get("start") != start:
        return 0
    undo(data)
    try:
        os.unlink(state_file)
    except OSError:
        pass
    return 0


class Error(Exception):
    """A failure with a message meant for the user."""


class Proc:
    """A background process in its own session (stopped with its group)."""

    def __init__(self, popen, argv, log):
        self.popen = popen
        self.argv = argv
        self.log = log

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def tail(self, n=3):
        try:
            with open(self.log, errors="replace") as f:
                lines = [l.strip() for l in f if l.strip()]
            return " ".join(lines[-n:])
        except OSError:
            return ""


class Lab:
    """Commands, processes and topologies of one run."""

    def __init__(self, src, build, out, prefix, verbose=False):
        self.src = src
        self.build = build
        self.out = out
        self.prefix = prefix
        self.verbose = verbose
        self.pltopo = layout.tool("topologies/pl-topo")
        self.commands = []
        self.procs = []
        self.topos = []
        self.cleanups = []
        os.makedirs(os.path.join(out, "logs"), exist_ok=True)
        self.cmdlog = open(os.path.join(out, "commands.txt"), "a")
        self.env = dict(os.environ)
        self.env["PATH"] = os.path.dirname(self.pltopo) + ":" + self.env.get("PATH", "")
        self.env["PL_BPF_DIR"] = os.path.dirname(layout.tool("bench/pl_gen.bpf.o"))
        self.state = None
        self.watchdog = None

    def arm(self):
        """Clean what dead runs left, then record this run (state file and watchdog)."""
        live = clean_stale(lambda m: print("cleanup: " + m, file=sys.stderr))
        if self.prefix in live:
            raise Error("a run with prefix %s is running: give another --prefix" % self.prefix)
        self.state = State(self.prefix, self.pltopo)
        env = dict(self.env)
        env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        # not guarded: it must outlive the harness to clean up after it
        self.watchdog = subprocess.Popen(
            ["/usr/bin/python3", "-m", "pathlab_bench", "reap", self.state.file, str(os.getpid()),
             str(self.state.data["start"])], env=env, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.state.data["watchdog"] = self.watchdog.pid
        self.state.save()

    def record(self, key, item):
        """Something to undo if the run dies: key "undo" (an argv), "remove" (a path)."""
        if self.state:
            self.state.add(key, [str(a) for a in item] if key == "undo" else item)

    def unrecord(self, key, item):
        if self.state:
            self.state.discard(key, [str(a) for a in item] if key == "undo" else item)

    def record_sysctl(self, name, value):
        if self.state:
            self.state.sysctl(name, value)

    # --- commands -------------------------------------------------------
    def _note(self, argv, bg=False):
        line = " ".join(shlex.quote(str(a)) for a in argv) + (" &" if bg else "")
        stamp = time.strftime("%H:%M:%S", time.gmtime())
        self.commands.append({"t": stamp, "cmd": line})
        self.cmdlog.write("%s %s\n" % (stamp, line))
        self.cmdlog.flush()
        if self.verbose:
            print("+ " + line, file=sys.stderr)

    def run(self, argv, timeout=60, check=False, quiet=False, stdin=None):
        """Run argv to completion; returns (rc, stdout, stderr)."""
        argv = [str(a) for a in argv]
        if not quiet:
            self._note(argv)
        try:
            p = subprocess.run(GUARD + argv, input=stdin, capture_output=True, text=True,
                               timeout=timeout, env=self.env)
        except subprocess.TimeoutExpired:
            if check:
                raise Error("%s: timed out after %s s" % (argv[0], timeout))
            return 124, "", "timed out"
        except OSError as e:
            if check:
                raise Error("%s: %s" % (argv[0], e))
            return 127, "", str(e)
        if check and p.returncode != 0:
            raise Error("%s failed (exit %d): %s" % (" ".join(argv[:4]), p.returncode,
                                                      (p.stderr or p.stdout).strip()[-300:]))
        return p.returncode, p.stdout, p.stderr

    def start(self, argv, log, stdin=None):
        """Start argv in the background in its own session; output to log."""
        argv = [str(a) for a in argv]
        self._note(argv, bg=True)
        f = open(log, "ab")
        p = subprocess.Popen(GUARD + argv, stdout=f, stderr=subprocess.STDOUT, env=self.env,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             start_new_session=True)
        f.close()
        proc = Proc(p, argv, log)
        self.procs.append(proc)
        if self.state:
            self.state.add_proc(p.pid, argv)
        return proc

    def stop(self, proc, sig=signal.SIGINT, wait=3.0):
        """Stop a process started by start (its session too), by PID."""
        if proc is None or proc not in self.procs:
            return
        self.procs.remove(proc)
        if self.state:
            self.state.drop_proc(proc.pid)
        if proc.alive():
            for s, w in ((sig, wait), (signal.SIGKILL, 2.0)):
                try:
                    os.killpg(proc.pid, s)
                except ProcessLookupError:
                    break
                try:
                    proc.popen.wait(w)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # the session may outlive its leader (pl-topo exec children)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.popen.wait(1)
        except subprocess.TimeoutExpired:
            pass

    def session_pids(self, proc):
        """PIDs of every process in proc's session (for CPU accounting)."""
        return _session_members(proc.pid, 0)

    def signal(self, proc, comm, sig):
        """Send sig to the process named comm in proc's session; True when sent."""
        for pid in self.session_pids(proc):
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() != comm:
                        continue
                os.kill(pid, sig)
                return True
            except OSError:
                continue
        return False

    def on_cleanup(self, fn):
        self.cleanups.append(fn)

    def cleanup(self):
        """Stop everything this run started; idempotent."""
        while self.cleanups:
            fn = self.cleanups.pop()
            try:
                fn()
            except Exception as e:  # clean-up goes on whatever failed
                print("cleanup: %s" % e, file=sys.stderr)
        for p in list(self.procs):
            self.stop(p)
        netns.close_all()  # its threads hold the namespaces they read
        for t in list(self.topos):
            t.down()
        self.run([self.pltopo, "down", "--all-with-prefix", self.prefix], quiet=True)
        if self.state:
            # sysctls recorded and not yet put back by their owner
            for name, value in self.state.data["sysctl"].items():
                self.run(["sysctl", "-qw", "%s=%s" % (name, value)], quiet=True)
            self.state.close()
            self.state = None

    # --- topologies -----------------------------------------------------
    def topology(self, name, kind="line", mtu=None):
        t = Topology(self, name, kind, mtu)
        t.up()
        return t


class Topology:
    """A pl-topo topology (generator -> DUT -> sink namespaces over veths)."""

    def __init__(self, lab, name, kind, mtu=None):
        self.lab = lab
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.info = {}

    def up(self):
        lab = self.lab
        lab.run([lab.pltopo, "down", self.name], quiet=True)
        # No IPv6 on the lab links: no workload sends it, and the kernel's own
        # IPv6 traffic (MLD reports for a few seconds after a link comes up)
        # would reach the sink through a forwarding DUT and count as delivered.
        rc, out, err = lab.run([lab.pltopo, "up", self.name, "--topo", self.kind, "--prefix",
                                lab.prefix, "--threaded-napi", "--ipv6", "off"] +
                               (["--mtu", str(self.mtu)] if self.mtu else []), timeout=60)
        if rc != 0:
            raise Error("pl-topo up %s failed: %s" % (self.name, (err or out).strip()[-300:]))
        lab.topos.append(self)
        rc, out, err = lab.run([lab.pltopo, "info", self.name], quiet=True, check=True)
        for line in out.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                self.info[k] = (shlex.split(v) or [""])[0]
        # A new namespace has bridge-nf-call-iptables on; no bridge is used
        # here, but state it the same everywhere.
        for ns in self.info.get("NAMESPACES", "").split():
            lab.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                     "net.bridge.bridge-nf-call-iptables=0"], quiet=True)

    def down(self):
        if self in self.lab.topos:
            self.lab.topos.remove(self)
            self.lab.run([self.lab.pltopo, "down", self.name], quiet=True, timeout=60)

    def __getitem__(self, k):
        return self.info[k]

    def ns(self, role):
        return self.info.get("NS_" + role.upper(), "")

    def local_ns(self, role):
        """ROLE's namespace on this host (counters read in it by the harness: netns.py)."""
        return self.ns(role) or None

    def exec_argv(self, role, argv):
        """argv run in ROLE's namespace with the topology's bpffs (pl-topo exec)."""
        return [self.lab.pltopo, "exec", self.name, role, "--"] + list(argv)

    def nsrun(self, role, argv, **kw):
        """Run argv in ROLE's namespace (plain ip netns exec: fast, no bpffs)."""
        return self.lab.run(["ip", "netns", "exec", self.ns(role)] + list(argv), **kw)

    def xrun(self, role, argv, **kw):
        return self.lab.run(self.exec_argv(role, argv), **kw)

    def start(self, role, argv, log, **kw):
        return self.lab.start(self.exec_argv(role, argv), log, **kw)

    def tool(self, name):
        """pl-gen or pl-sink, where the generator host has it."""
        return layout.tool("bench/" + name)

    def gen_args(self):
        """pl-gen's target options (interface, MACs, addresses)."""
        return ["-T", self.name]

    def links(self):
        """(role, interface) of every link of the line, generator to sink."""
        t = self.info
        return [(r, t[k]) for r, k in (("gen", "GEN_IF"), ("dut", "DUT_IN_IF"), ("dut", "DUT_OUT_IF"),
                                       ("sink", "SINK_IF")) if t.get(k)]

    def set_mtu(self, mtu):
        """Every link of the line to MTU while the DUT runs (a jumbo cell
        raises it and the next cell puts it back); an XDP program without
        multi-buffer support on a port caps its peer's MTU: the error says so."""
        self.mtu_now = -1  # unknown until every link took it
        for role, ifname in self.links():
            rc, out, err = self.nsrun(role, ["ip", "link", "set", "dev", ifname, "mtu", str(mtu)], quiet=True)
            if rc != 0:
                raise Error("ip link set dev %s mtu %d: %s (an XDP program without multi-buffer support on its "
                            "peer caps the MTU)" % (ifname, mtu, (err or out).strip()[-200:]))
        self.mtu_now = mtu

    def sink_counts_path(self):
        """Where the sink's pl-sink writes what it received (--counts)."""
        return os.path.join(self.lab.out, "work", "%s-sink.counts" % self.name)

    def read_file(self, role, path):
        """The text of a file the tools of ROLE write ("" when there is none)."""
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return ""

    def stop_proc(self, proc):
        self.lab.stop(proc)

    def signal(self, proc, comm, sig):
        return self.lab.signal(proc, comm, sig)

    def set_threaded(self, role, ifname, on):
        self.nsrun(role, ["sh", "-c", "echo %d > /sys/class/net/%s/threaded" % (1 if on else 0, ifname)],
                   quiet=True)

    def napi_threads(self, ifname):
        """PIDs of the NAPI kthreads of ifname (comm napi/IF-ID, cut at 15)."""
        pids = []
        want = ("napi/%s-" % ifname)[:15]
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/comm" % d) as f:
                        if f.read().strip().startswith(want):
                            pids.append(int(d))
                except OSError:
                    pass
        return pids

    def pin_napi(self, ifname, cpu, fifo=0):
        # the calls taskset -pc and chrt -f -p make, without a process each
        for pid in self.napi_threads(ifname):
            try:
                os.sched_setaffinity(pid, {cpu})
                if fifo:
                    os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(fifo))
            except OSError as e:
                if self.lab.verbose:
                    print("pin napi %s (pid %d) to cpu%d: %s" % (ifname, pid, cpu, e), file=sys.stderr)
