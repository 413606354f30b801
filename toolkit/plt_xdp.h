/* SPDX-License-Identifier: MIT */
/* plt_xdp: attach XDP programs with a bpf_link everywhere, see what is
 * attached, detach only what is ours, and the interface facts a refused
 * attach is explained with.
 *
 * API:
 *   struct plt_xdp_link l;
 *   err = plt_xdp_attach(&l, "veth0", prog_fd, PLT_XDP_AUTO); // native, else generic
 *   ... l.mode is what it got ...
 *   plt_xdp_link_pin(&l, "/sys/fs/bpf/pathlab/veth0/link");    // optional: stays after exit
 *   plt_xdp_detach(&l);   // detaches this link only; accepts a zeroed/failed one
 *
 * Why links: a link belongs to the file descriptors (or pin) that reference
 * it, so an unpinned link goes away when the process dies, even on SIGKILL,
 * and detaching a link can never remove somebody else's program. libxdp's
 * dispatcher is not used: libxdp 1.3.1 cannot chain programs that adjust
 * head/tail on kernels 6.14+. */
#ifndef PLT_XDP_H
#define PLT_XDP_H

#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include "plt_opts.h"

/* AF_XDP multi-buffer (kernel 6.6+; Debian's UAPI headers are 6.1): a
 * socket bound with XDP_USE_SG receives and sends a frame longer than a UMEM
 * frame as a chain of descriptors, each but the last with XDP_PKT_CONTD in
 * its options. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

/* An AF_XDP socket's XDP_STATISTICS (getsockopt SOL_XDP), field by field
 * with what each counts: the metrics and stats lines of every front end
 * that owns sockets (pathlab_afxdp_xdp_<field>_total,
 * pathlab_dpdk_xdp_<field>_total). */
#define PLT_XDP_STATS(X)                                                                        \
	X(rx_dropped, "frames the kernel dropped for the socket (any reason, e.g. too long)")   \
	X(rx_invalid_descs, "fill-ring descriptors the kernel found invalid")                   \
	X(tx_invalid_descs, "tx-ring descriptors the kernel found invalid")                     \
	X(rx_ring_full, "frames dropped because the rx ring was full (the poller fell behind)") \
	X(rx_fill_ring_empty_descs, "frames that found no buffer on the fill ring")             \
	X(tx_ring_empty_descs, "times the kernel was asked to send and found the tx ring empty")

enum plt_xdp_mode { PLT_XDP_AUTO, PLT_XDP_NATIVE, PLT_XDP_GENERIC, PLT_XDP_OFFLOAD };
/* "auto", "native", "generic", "offload", NULL: the names tools print. */
extern const char *const plt_xdp_mode_names[];

/* A mode as every tool takes it: auto, native, generic, offload, and
 * xdp-tools' spelling of the last three, drv, skb, hw. A PLT_OPT_FUNC
 * (field: int, enum plt_xdp_mode); -EINVAL after naming the choices. */
int plt_xdp_mode_opt(void *field, const char *arg);
/* The option-table entries that choose a mode: --NAME MODE (short SHORT, 0:
 * none) and the flags -N (native), -S (skb = generic), -O (offload) of the
 * kernel's XDP samples, all writing the int at offset OFF. */
#define PLT_XDP_MODE_OPTS(NAME, SHORT, OFF, HELP)                                                          \
	{ NAME, SHORT, PLT_OPT_FUNC, OFF, "MODE", HELP, .fn = plt_xdp_mode_opt },                          \
	{ "native-mode", 'N', PLT_OPT_SET, OFF, NULL, "same as --" NAME " native (drv)",                   \
	  .min = PLT_XDP_NATIVE },                                                                             \
	{ "skb-mode", 'S', PLT_OPT_SET, OFF, NULL, "same as --" NAME " generic (skb)", .min = PLT_XDP_GENERIC }, \
	{ "offload-mode", 'O', PLT_OPT_SET, OFF, NULL, "same as --" NAME " offload (hw)", .min = PLT_XDP_OFFLOAD }

struct plt_xdp_link {
	int fd;             /* the link; -1 / 0 in a zeroed struct: none */
	int ifindex;
	enum plt_xdp_mode mode; /* the mode it got */
	char ifname[IF_NAMESIZE];
};

/* Attach prog_fd to ifname in mode m (auto: native, then generic) with a
 * bpf_link. On failure: -errno after a warning with the kernel's reason and
 * what to try for that driver. */
int plt_xdp_attach(struct plt_xdp_link *l, const char *ifname, int prog_fd, enum plt_xdp_mode m);
/* Pin the link at path (it then outlives the process). 0 or -errno. */
int plt_xdp_link_pin(const struct plt_xdp_link *l, const char *path);
/* Detach (this link only) and close. */
void plt_xdp_detach(struct plt_xdp_link *l);
/* Close without detaching (after pinning: the pin holds it). */
void plt_xdp_release(struct plt_xdp_link *l);
/* Detach the link pinned at path and remove the pin: 0, -ENOENT (no such
 * pin), or -errno. */
int plt_xdp_detach_pinned(const char *path);

/* What is attached to an interface. */
struct plt_xdp_info {
	__u32 prog_id;
	__u8 attach_mode;   /* XDP_ATTACHED_* */
	__u32 link_id;      /* 0: attached over netlink, no link */
	char name[BPF_OBJ_NAME_LEN];
};
/* 0, -ENOENT when nothing is attached, or -errno. */
int plt_xdp_query(int ifindex, struct plt_xdp_info *a);
/* "native", "generic", "offload", "multi", "none". */
const char *plt_xdp_attached_name(__u8 attach_mode);
/* XDP_FLAGS_*_MODE matching an XDP_ATTACHED_* value. */
__u32 plt_xdp_attached_flags(__u8 attach_mode);
/* A program attached over netlink (no link): detach it only if prog_id is
 * still the one attached. 0, -ESRCH (another program is there now: left
 * alone, said so), or -errno. */
int plt_xdp_detach_if_ours(int ifindex, __u32 prog_id);
/* Swap the netlink-attached old_fd for new_fd atomically (XDP_FLAGS_REPLACE:
 * nothing changes when old_fd is not attached any more). 0 or -errno. */
int plt_xdp_replace(int ifindex, int new_fd, int old_fd, __u8 attach_mode);

/* ---- the running core of an interface ---- */
struct pl_ctl;
/* The maps of the pathlab program attached to ifname (what is attached in
 * *a), or NULL after saying why (nothing attached, not pathlab's, no
 * permission). */
struct pl_ctl *plt_xdp_open_core(const char *ifname, struct plt_xdp_info *a);
/* Is the attached program the core: PLT_CORE_PROG, or PLT_CORE_XSK_PROG held
 * by a bpf_link (the pre-filter in front of Open vSwitch; OVS's own program
 * of that name is attached over netlink)? */
int plt_xdp_is_core(const struct plt_xdp_info *a);
/* One configuration writer at a time across processes (mode, policy): a
 * lock on the pin root (or /sys/fs/bpf). Returns the fd to pass to
 * plt_xdp_writer_unlock, or -1 (then unserialised, after saying so). */
int plt_xdp_writer_lock(void);
void plt_xdp_writer_unlock(int fd);

/* ---- interfaces ---- */
/* ifname -> ifindex, or 0 after saying there is no such interface here. */
int plt_ifindex(const char *ifname);
/* The driver name (ethtool -i), or "unknown driver". */
void plt_if_driver(const char *ifname, char *buf, size_t len);
/* The MTU, or 0. */
int plt_if_mtu(const char *ifname);
/* An ethtool "get value" (ETHTOOL_GGRO...), or -errno. */
int plt_if_ethtool_get(const char *ifname, __u32 cmd);
/* The sum of the ethtool statistics (`ethtool -S`) whose names end in
 * suffix ("xdp_tx_errors": every queue's), into *sum; 0 or -errno. */
int plt_if_stat_sum(const char *ifname, const char *suffix, __u64 *sum);

#endif
