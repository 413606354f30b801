/* SPDX-License-Identifier: MIT */
/* The lab's knowledge of NIC drivers, in one place: what each offers for
 * XDP and AF_XDP, under which conditions, what the lab picks, and what to
 * try when an attach is refused. One X-macro list (PL_NICS) is the data;
 * pl-nicprobe falls back to it on kernels without the netdev netlink
 * family, `pl-nicprobe --drivers` prints it as the table of docs/nics.md
 * (the nics-doc test fails when the two differ), and front ends look a
 * driver up with pl_nic_lookup() (topologies/pl_nics.c, nics_dep).
 *
 * PL_NIC(driver, features, afxdp, redirect, conditions, picks, note, hint):
 *   features   the netdev xdp-features bits (PL_XDP_*) assumed when the
 *              kernel cannot report them (before 6.3): native XDP =
 *              BASIC, AF_XDP zero-copy = XSK_ZC, multi-buffer = RX_SG
 *   afxdp      AF_XDP in words (zero-copy or copy, since when)
 *   redirect   can the device be an XDP_REDIRECT target, and when
 *   conditions what native XDP needs on this driver ("" if nothing)
 *   picks      the modes the lab picks
 *   note       one line for pl-nicprobe
 *   hint       what to try when native XDP is refused, "" if nothing
 *              beyond the general advice (IFACE stands for the interface;
 *              callers add the current MTU) */
#ifndef PL_NICS_H
#define PL_NICS_H

#include <stdint.h>
#include <stdio.h>

/* include/uapi/linux/netdev.h, enum netdev_xdp_act (not in every
 * distribution's headers). */
enum {
	PL_XDP_BASIC = 1, PL_XDP_REDIRECT = 2, PL_XDP_NDO_XMIT = 4, PL_XDP_XSK_ZC = 8,
	PL_XDP_HW_OFFLOAD = 16, PL_XDP_RX_SG = 32, PL_XDP_NDO_XMIT_SG = 64,
};

#define PL_NICS(X)                                                                                 \
	X("veth", PL_XDP_BASIC | PL_XDP_REDIRECT | PL_XDP_RX_SG,                                   \
	  "copy mode only",                                                                        \
	  "only while the **peer** has an XDP program or GRO on",                                  \
	  "one page per frame unless rx-sg; rx ring 256 frames, not resizable",                    \
	  "native XDP; AF_XDP copy; attach XDP (or GRO) on the peer of a redirect target",         \
	  "ndo-xmit only while the peer has XDP or GRO; no zero-copy",                             \
	  "veth refuses native XDP when this end has fewer rx queues than the peer has tx "        \
	  "queues, with GSO/LRO on the peer, or (programs that are not frags-aware; pathlab's "    \
	  "are) when the peer's MTU is too large for one page: create the veth with numrxqueues "  \
	  "N, lower the MTU, or use generic XDP")                                                  \
	X("r8169", 0,                                                                              \
	  "copy mode (over generic XDP)",                                                          \
	  "no",                                                                                    \
	  "",                                                                                      \
	  "generic XDP; AF_XDP copy (slow: skb path)",                                              \
	  "no native XDP in mainline: generic XDP and AF_XDP copy mode only",                      \
	  "the Realtek r8169 driver has no native XDP: use generic XDP")                           \
	X("ena", PL_XDP_BASIC | PL_XDP_REDIRECT | PL_XDP_NDO_XMIT,                                 \
	  "copy in mainline (zero-copy only in Amazon's out-of-tree driver)",                      \
	  "yes",                                                                                   \
	  "MTU ≤ 3498 with a program; combined channels ≤ half the maximum (the other half "       \
	  "become XDP TX queues)",                                                                 \
	  "native XDP after `ethtool -L combined max/2` and MTU ≤ 3498; else generic, with the "   \
	  "reason",                                                                                \
	  "native XDP needs MTU <= 3498 and combined channels <= max/2",                           \
	  "AWS ENA refuses native XDP above MTU 3498 (`ip link set dev IFACE mtu 3498`) or when "  \
	  "more than half of the channels are in use (`ethtool -L IFACE combined N` with N at "    \
	  "most half of the maximum); or use generic XDP")                                         \
	X("mlx5_core",                                                                             \
	  PL_XDP_BASIC | PL_XDP_REDIRECT | PL_XDP_NDO_XMIT | PL_XDP_XSK_ZC | PL_XDP_RX_SG,         \
	  "zero-copy",                                                                             \
	  "yes",                                                                                   \
	  "striding RQ / LRO interplay; rx-sg depends on the RQ type",                             \
	  "native XDP; AF_XDP zero-copy",                                                          \
	  "",                                                                                      \
	  "")                                                                                      \
	X("i40e", PL_XDP_BASIC | PL_XDP_REDIRECT | PL_XDP_NDO_XMIT | PL_XDP_XSK_ZC,                \
	  "zero-copy",                                                                             \
	  "yes",                                                                                   \
	  "",                                                                                      \
	  "native; zero-copy",                                                                     \
	  "",                                                                                      \
	  "")                                                                                      \
	X("ice", PL_XDP_BASIC | PL_XDP_REDIRECT | PL_XDP_NDO_XMIT | PL_XDP_XSK_ZC | PL_XDP_RX_SG,  \
	  "zero-copy",                                                                             \
	  "yes",                                                                                   \
	  "",                                                                                      \
	  "native; zero-copy",                                                                     \
	  "",                                                                                      \
	  "")                                                                                      \
	X("virtio_net", PL_XDP_BASIC | PL_XDP_REDIRECT | PL_XDP_NDO_XMIT,                          \
	  "zero-copy from 6.11, copy before",                                                      \
	  "yes (needs enough TX queues: one XDP TX queue per CPU, else shared with a lock)",       \
	  "guest offloads (GRO_HW/TSO/LRO) must be off for XDP; MTU limited by the buffer",        \
	  "native; zero-copy on 6.11+",                                                            \
	  "zero-copy from 6.11; native XDP needs enough queues (2 x vCPUs) and no guest offloads", \
	  "virtio_net needs one spare tx queue per CPU (`ethtool -L IFACE combined N` below the "  \
	  "maximum) and guest offloads off (`ethtool -K IFACE lro off`), MTU at most one page; "   \
	  "or use generic XDP")

struct pl_nic {
	const char *driver;
	uint64_t features;      /* PL_XDP_* */
	const char *afxdp;
	const char *redirect;
	const char *conditions;
	const char *picks;
	const char *note;
	const char *hint;
};

/* Every known driver, in table order; *n gets the count. */
const struct pl_nic *pl_nics(unsigned *n);
/* The entry of a driver (ethtool -i name, e.g. "mlx5_core"), NULL if the
 * lab knows nothing about it. */
const struct pl_nic *pl_nic_lookup(const char *driver);
/* Native XDP, AF_XDP zero-copy, multi-buffer per the table (0 or 1); every
 * driver has generic XDP. */
static inline int pl_nic_native(const struct pl_nic *n) { return !!(n->features & PL_XDP_BASIC); }
static inline int pl_nic_zerocopy(const struct pl_nic *n) { return !!(n->features & PL_XDP_XSK_ZC); }
static inline int pl_nic_multibuf(const struct pl_nic *n) { return !!(n->features & PL_XDP_RX_SG); }
/* Print the table as docs/nics.md has it (Markdown). */
void pl_nics_print_markdown(FILE *f);

#endif
