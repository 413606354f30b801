# SPDX-License-Identifier: MIT
"""Counters of a network namespace read from the harness itself, without a
process per reading: one thread per namespace enters it (setns(2) moves only
the calling thread) and answers ethtool's statistics (SIOCETHTOOL:
ETHTOOL_GSTRINGS and ETHTOOL_GSTATS, what `ethtool -S` prints), the
interface totals of /proc/thread-self/net/dev (what `ip -s link` prints) and
HTTP GETs to 127.0.0.1 there (a datapath's /metrics, what curl fetches).
A reading that fails returns None: the caller runs the commands instead.
close_all() ends the threads (each holds its namespace while it runs).
"""
import http.client
import ctypes
import fcntl
import os
import queue
import socket
import struct
import threading

SIOCETHTOOL = 0x8946
ETHTOOL_GDRVINFO = 0x03
ETHTOOL_GSTRINGS = 0x1b
ETHTOOL_GSTATS = 0x1d
ETH_SS_STATS = 1
ETH_GSTRING_LEN = 32
CLONE_NEWNET = 0x40000000
DRVINFO_SIZE = 196          # struct ethtool_drvinfo
DRVINFO_N_STATS = 180       # offset of n_stats in it

_libc = ctypes.CDLL(None, use_errno=True)


class _Worker:
    """A thread inside one namespace that runs what it is handed."""

    def __init__(self, ns):
        self.q = queue.Queue()
        self.ok = threading.Event()
        self.err = None
        self.names = {}
        t = threading.Thread(target=self._run, args=(ns,), name="netns-" + ns, daemon=True)
        t.start()
        self.ok.wait(5)

    def _run(self, ns):
        try:
            if ns:
                fd = os.open("/run/netns/" + ns, os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns %s" % ns)
                finally:
                    os.close(fd)
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except OSError as e:
            self.err = e
            self.ok.set()
            return
        self.ok.set()
        while True:
            fn, box, done = self.q.get()
            if fn is None:
                self.sock.close()
                return
            try:
                box.append(fn(self))
            except Exception:  # any failure: the caller falls back
                box.append(None)
            done.set()

    def stop(self):
        if self.err is None:
            self.q.put((None, None, None))

    def call(self, fn, timeout=5.0):
        if self.err is not None:
            return None
        box, done = [], threading.Event()
        self.q.put((fn, box, done))
        return box[0] if done.wait(timeout) and box else None

    # --- in the namespace's thread ---------------------------------------
    def _ioctl(self, ifname, buf):
        ifr = struct.pack("16sP", ifname.encode()[:15], ctypes.addressof(buf)) + b"\0" * 16
        fcntl.ioctl(self.sock.fileno(), SIOCETHTOOL, ifr)

    def ethtool_stats(self, ifname):
        drv = ctypes.create_string_buffer(DRVINFO_SIZE)
        struct.pack_into("I", drv, 0, ETHTOOL_GDRVINFO)
        self._ioctl(ifname, drv)
        n = struct.unpack_from("I", drv, DRVINFO_N_STATS)[0]
        names = self.names.get(ifname)
        if names is None or len(names) != n:
            sb = ctypes.create_string_buffer(12 + n * ETH_GSTRING_LEN)
            struct.pack_into("III", sb, 0, ETHTOOL_GSTRINGS, ETH_SS_STATS, n)
            self._ioctl(ifname, sb)
            raw = sb.raw[12:]
            names = [raw[i * ETH_GSTRING_LEN:(i + 1) * ETH_GSTRING_LEN].split(b"\0", 1)[0].decode()
                     for i in range(n)]
            self.names[ifname] = names
        vb = ctypes.create_string_buffer(8 + n * 8)
        struct.pack_into("II", vb, 0, ETHTOOL_GSTATS, n)
        self._ioctl(ifname, vb)
        vals = struct.unpack_from("%dQ" % n, vb, 8)
        return dict(zip(names, vals))

    @staticmethod
    def dev_totals(ifname):
        with open("/proc/thread-self/net/dev") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name.strip() == ifname:
                    v = [int(x) for x in rest.split()]
                    return {"rx_packets": v[1], "rx_errors": v[2], "rx_dropped": v[3],
                            "tx_packets": v[9], "tx_errors": v[10], "tx_dropped": v[11]}
        raise KeyError(ifname)


    @staticmethod
    def http_get(port, path, timeout):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.read().decode(errors="replace") if r.status == 200 else None
        finally:
            c.close()


_workers = {}
_lock = threading.Lock()


def worker(ns):
    """The thread of namespace ns ("": the harness's own), or None when ns is gone."""
    if ns and not os.path.exists("/run/netns/" + ns):
        return None
    with _lock:
        w = _workers.get(ns)
        if w is None:
            w = _workers[ns] = _Worker(ns)
        return w


def close_all():
    with _lock:
        for w in _workers.values():
            w.stop()
        _workers.clear()


def http_get(ns, port, path="/metrics", timeout=2.0):
    """The body of http://127.0.0.1:PORT/PATH in namespace ns, or None."""
    w = worker(ns)
    return w.call(lambda w: w.http_get(port, path, timeout), timeout + 1) if w else None


def ethtool(ns, ifname):
    """`ethtool -S IF` of namespace ns as {counter: value}, or None."""
    w = worker(ns)
    return w.call(lambda w: w.ethtool_stats(ifname)) if w else None


def veth(ns, ifname):
    """`ethtool -S IF` and `ip -s link show IF` of namespace ns ("": the
    harness's own) as one dict (the keys of counters.veth), or None."""
    w = worker(ns)
    if w is None:
        return None

    def read(w):
        c = {k: v for k, v in w.ethtool_stats(ifname).items() if k != "peer_ifindex"}
        c.update(w.dev_totals(ifname))
        return c
    return w.call(read)
