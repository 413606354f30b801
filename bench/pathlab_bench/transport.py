# SPDX-License-Identifier: MIT
"""How the harness reaches the generator host: one interface, two ways.

- Netns(lab, ns): a network namespace of this host (`ip netns exec NS`);
  ns "" is the root namespace.
- Ssh(lab, dest, ...): another host over ssh, keys only (BatchMode=yes: ssh
  never asks for a password, and none is kept anywhere). One master
  connection per run (ControlMaster, its socket in the harness's state
  directory) carries every command, so a counter read costs a channel, not a
  handshake. Commands run as root there: directly when the login is root,
  else through `sudo -n` (refused at connect when sudo would ask).

Both give run(argv) (to completion), start(argv, log) (in the background,
output to log), stop(proc), signal(proc, comm, sig) and sh(script), so the
code that drives the generator and the sink is the same for a namespace and
for a second host.

Nothing outlives the harness on the far side either: a background command
runs under a small sh wrapper that prints its PID and kills it (TERM, then
KILL) when the ssh channel's stdin closes, which happens when the local ssh
client dies, i.e. with the harness (the client runs under the harness's
pdeathsig guard) or when the master connection goes.
"""
import os
import re
import shlex
import signal
import time

from .lab import Error

# Runs "$@" in the background, says its PID, and kills it when stdin (the
# ssh channel) closes; exits with its status.
REMOTE_WRAPPER = (
    '"$@" </dev/null & p=$!; echo "pl-remote: pid $p"; exec 3<&0; '
    '{ cat <&3 >/dev/null; if kill -0 $p 2>/dev/null; then kill -TERM $p; sleep 2; kill -KILL $p; fi; } '
    '</dev/null >/dev/null 2>&1 & w=$!; '
    'wait $p; rc=$?; kill $w 2>/dev/null; exit $rc')


class Netns:
    """A network namespace of this host ("" = the root namespace)."""
    kind = "netns"

    def __init__(self, lab, ns):
        self.lab = lab
        self.ns = ns

    def describe(self):
        return "netns %s on this host" % self.ns if self.ns else "this host's root namespace"

    def argv(self, argv):
        return (["ip", "netns", "exec", self.ns] if self.ns else []) + [str(a) for a in argv]

    def connect(self):
        if self.ns and not os.path.exists("/run/netns/" + self.ns):
            raise Error("namespace %s does not exist" % self.ns)

    def close(self):
        pass

    def run(self, argv, **kw):
        return self.lab.run(self.argv(argv), **kw)

    def sh(self, script, **kw):
        return self.run(["sh", "-c", script], **kw)

    def start(self, argv, log):
        return self.lab.start(self.argv(argv), log)

    def stop(self, proc, sig=signal.SIGINT):
        self.lab.stop(proc, sig)

    def signal(self, proc, comm, sig):
        return self.lab.signal(proc, comm, sig)

    def undo_argv(self, argv):
        """argv as the watchdog runs it after the harness died."""
        return self.argv(argv)


class Ssh:
    """A second host over ssh (keys only)."""
    kind = "ssh"

    def __init__(self, lab, dest, config="", control_dir="/run/pathlab-bench"):
        if not dest or dest.startswith("-") or any(c.isspace() for c in dest):
            raise Error("--gen-host '%s': give [user@]host (an ssh destination, or a Host of --ssh-config)" % dest)
        self.lab = lab
        self.dest = dest
        self.config = config
        self.control = os.path.join(control_dir, "%s.ssh" % lab.prefix)
        self.master = None
        self.sudo = []

    def describe(self):
        return "ssh %s" % self.dest

    def base(self, master=False):
        argv = ["ssh"]
        if self.config:
            argv += ["-F", self.config]
        argv += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
                 "-o", "ServerAliveCountMax=3", "-o", "ControlPath=" + self.control,
                 "-o", "ControlMaster=" + ("yes" if master else "no"), "-T"]
        return argv

    def argv(self, argv):
        return self.base() + [self.dest, "--", " ".join(shlex.quote(str(a)) for a in self.sudo + list(argv))]

    def connect(self):
        """The master connection, then who we are there."""
        if os.path.exists(self.control):
            os.unlink(self.control)
        self.lab.record("remove", self.control)
        log = os.path.join(self.lab.out, "logs", "ssh-master.log")
        self.master = self.lab.start(self.base(master=True) + ["-N", self.dest], log)
        end = time.time() + 20
        while not os.path.exists(self.control):
            if not self.master.alive() or time.time() > end:
                raise Error("ssh %s: no connection (%s); the generator host must take this user's key without a "
                            "password (BatchMode): ssh %s%s true" % (
                                self.dest, self.master.tail() or "timed out", "-F %s " % self.config
                                if self.config else "", self.dest))
            time.sleep(0.1)
        rc, out, err = self.run(["id", "-u"], timeout=20)
        if rc != 0:
            raise Error("ssh %s: %s" % (self.dest, (err or out).strip()[-200:]))
        if out.strip() != "0":
            self.sudo = ["sudo", "-n"]
            rc, out, err = self.run(["true"], timeout=20)
            if rc != 0:
                raise Error("ssh %s: the login is not root and `sudo -n` refuses (%s): log in as root or allow "
                            "this user password-less sudo there" % (self.dest, (err or out).strip()[-160:]))

    def close(self):
        if self.master is not None:
            self.lab.stop(self.master, signal.SIGTERM)
            self.master = None
        try:
            os.unlink(self.control)
        except OSError:
            pass
        self.lab.unrecord("remove", self.control)

    def run(self, argv, **kw):
        kw.setdefault("stdin", "")  # never the harness's own
        return self.lab.run(self.argv(argv), **kw)

    def sh(self, script, **kw):
        return self.run(["sh", "-c", script], **kw)

    def start(self, argv, log):
        wrapped = ["sh", "-c", REMOTE_WRAPPER, "sh"] + [str(a) for a in argv]
        proc = self.lab.start(self.argv(wrapped), log, stdin=-1)  # subprocess.PIPE: held open, closed at death
        end = time.time() + 20
        proc.remote_pid = None
        while time.time() < end and proc.alive():
            try:
                with open(log, errors="replace") as f:
                    m = re.search(r"^pl-remote: pid (\d+)$", f.read(), re.M)
            except OSError:
                m = None
            if m:
                proc.remote_pid = int(m.group(1))
                break
            time.sleep(0.05)
        return proc

    def stop(self, proc, sig=signal.SIGINT):
        """Ask the far process to stop (sig), then end the channel."""
        pid = getattr(proc, "remote_pid", None)
        if pid and proc.alive():
            self.run(["kill", "-%d" % int(sig), str(pid)], quiet=True, timeout=15)
            try:
                proc.popen.wait(3)
            except Exception:
                pass
        self.lab.stop(proc, signal.SIGTERM)

    def signal(self, proc, comm, sig):
        pid = getattr(proc, "remote_pid", None)
        if not pid:
            return False
        rc, _, _ = self.run(["kill", "-%d" % int(sig), str(pid)], quiet=True, timeout=15)
        return rc == 0

    def undo_argv(self, argv):
        # the master is gone by then: a connection of its own
        return ["ssh"] + (["-F", self.config] if self.config else []) + [
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-T", self.dest, "--",
            " ".join(shlex.quote(str(a)) for a in self.sudo + list(argv))]
