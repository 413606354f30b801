/* SPDX-License-Identifier: MIT */
/* The XDP pre-filter in front of an Open vSwitch afxdp port (prefix plo_):
 * the core loaded with its xsks_map reusing OVS's own XSKMAP and
 * pl_pass_to_xsk set, holding the interface's XDP hook through a bpf_link
 * OVS cannot detach (libxdp binds OVS's new sockets into the core's
 * xsks_map when OVS reconfigures the port), its maps and link pinned under
 * PLT_PIN_ROOT/ovs-IFACE/. pathlab-xdp's attach-ovs, detach and status use
 * it; ovs/README.md describes the mechanism. */
#ifndef PLO_PREFILTER_H
#define PLO_PREFILTER_H

/* Put the core in front of OVS's program on ifname (policy: optional; obj:
 * the BPF object's path). 0 attached (*reapplied: pinned maps reused), 1
 * already in front (policy loaded if given), or -errno after saying what
 * is wrong; nothing is left behind on error. */
int plo_attach(const char *ifname, const char *obj, const char *policy, int *reapplied);
/* Is the pre-filter attached to ifname by this bpffs (its pins exist)? */
int plo_pinned(const char *ifname);
/* Put OVS's program back (if the pre-filter is still attached) and remove
 * the pins. Exit status. */
int plo_detach(const char *ifname, int ifindex);
/* The program name of OVS's own XDP program (libxdp's xsk_def_prog). */
#define PLO_OVS_PROG "xsk_def_prog"

#endif
