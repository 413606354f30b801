# SPDX-License-Identifier: MIT
"""Running commands, namespaces (pl-topo), background processes, clean-up.

Every command goes through Lab.run or Lab.start so that commands.txt holds the
exact commands of a run; every process started is stopped by its PID (and its
session), every topology by its name and then by the run's prefix.
"""
import os
import shlex
import signal
import subprocess
import sys
import time

from .where import layout


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
            p = subprocess.run(argv, input=stdin, capture_output=True, text=True,
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
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=self.env,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             start_new_session=True)
        f.close()
        proc = Proc(p, argv, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGINT, wait=3.0):
        """Stop a process started by start (its session too), by PID."""
        if proc is None or proc not in self.procs:
            return
        self.procs.remove(proc)
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
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read().rsplit(")", 1)[1].split()
                if int(st[3]) == proc.pid:  # session id
                    pids.append(int(d))
            except (OSError, IndexError, ValueError):
                continue
        return pids

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
        for t in list(self.topos):
            t.down()
        self.run([self.pltopo, "down", "--all-with-prefix", self.prefix], quiet=True)

    # --- topologies -----------------------------------------------------
    def topology(self, name, kind="line"):
        t = Topology(self, name, kind)
        t.up()
        return t


class Topology:
    """A pl-topo topology (generator -> DUT -> sink namespaces over veths)."""

    def __init__(self, lab, name, kind):
        self.lab = lab
        self.name = name
        self.kind = kind
        self.info = {}

    def up(self):
        lab = self.lab
        lab.run([lab.pltopo, "down", self.name], quiet=True)
        rc, out, err = lab.run([lab.pltopo, "up", self.name, "--topo", self.kind, "--prefix",
                                lab.prefix, "--threaded-napi"], timeout=60)
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
        for pid in self.napi_threads(ifname):
            self.lab.run(["taskset", "-pc", str(cpu), str(pid)], quiet=True)
            if fifo:
                self.lab.run(["chrt", "-f", "-p", str(fifo), str(pid)], quiet=True)
