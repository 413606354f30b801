# SPDX-License-Identifier: MIT
"""Where the tools are.

An installed harness (`meson install`: share/pathlab/bench) carries
installed.py, written at install time: programs and scripts are in its
bindir, BPF objects in libdir/pathlab, both found relative to this package
(so a DESTDIR or a moved tree works). From the source tree there is no
installed.py: programs are in the meson build directory ($PATHLAB_BUILD,
default build/), the scripts (pl-topo, pl-ovs) in the source tree.
"""
import os
import re

try:
    from . import installed
except ImportError:
    installed = None

HERE = os.path.dirname(os.path.abspath(__file__))
# scripts run from the source tree, not from the build directory
SOURCE_SCRIPTS = ("topologies/pl-topo", "ovs/pl-ovs")


class Layout:
    def __init__(self):
        if installed:
            self.src = None
            self.build = None
            self.bindir = os.path.normpath(os.path.join(HERE, installed.BINDIR))
            self.bpfdir = os.path.normpath(os.path.join(HERE, installed.BPFDIR))
        else:
            self.src = os.path.dirname(os.path.dirname(HERE))
            self.build = os.environ.get("PATHLAB_BUILD", os.path.join(self.src, "build"))
            self.bindir = self.bpfdir = None

    def tool(self, rel):
        """A program, script or BPF object by its place in the source/build tree
        ("xdp/pathlab-xdp", "bench/pl_ref.bpf.o", "topologies/pl-topo")."""
        if installed:
            base = os.path.basename(rel)
            return os.path.join(self.bpfdir if base.endswith(".bpf.o") else self.bindir, base)
        if rel in SOURCE_SCRIPTS:
            return os.path.join(self.src, rel)
        return os.path.join(self.build, rel)

    def build_hint(self):
        """What to do when a program is missing."""
        if installed:
            return "not installed in %s (meson install, or the pathlab package)" % self.bindir
        return "not built in %s: meson setup build && ninja -C build" % self.build

    def version(self):
        """The project's version: installed.py's, else meson.build's."""
        if installed:
            return installed.VERSION
        try:
            with open(os.path.join(self.src, "meson.build")) as f:
                m = re.search(r"^\s*version:\s*'([^']+)'", f.read(), re.M)
            return m.group(1) if m else "unknown"
        except OSError:
            return "unknown"


layout = Layout()
