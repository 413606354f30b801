// SPDX-License-Identifier: MIT
/* pathlab-afxdp: what its files share (types, defaults, logging, and
 * each file's entry points). See docs/afxdp.md. */
#ifndef AFXDP_H
#define AFXDP_H

#include "pl_user.h" /* core headers first (pl_platform.h before linux/) */
#include "pl_ctl.h"
#include "pl_ctl_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/if_tun.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "pl_frame_pool.h"
#include "plt_bpf.h"
#include "plt_ctlsock.h"
#include "plt_log.h"
#include "plt_routes.h"
#include "plt_time.h"
#include "plt_xdp.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* uapi if_xdp.h, kernel 6.17+ */
#endif
/* The placement "user" program (relative to the build root; installed
 * under its base name, found by plt_bpf_find). */
#define AFX_REDIRECT_OBJ "afxdp_port/redirect_all.bpf.o"
#define AFX_REDIRECT_PROG "pl_redirect_all"

/* Defaults, and why (docs/afxdp.md repeats this):
 * - frame 4096: one page per frame, the only size every zero-copy driver
 *   takes, and room for a 1500-byte MTU frame plus XDP headroom.
 * - rings 2048: Open vSwitch's choice; deep enough to absorb one scheduling
 *   gap of a worker at ~1 Mpps without rx_ring_full drops, small enough that
 *   the rings stay in L2. Rings must be powers of two (the kernel indexes
 *   them with a mask).
 * - batch 32: the burst OVS and DPDK use; large enough to amortise the ring
 *   barriers and syscalls, small enough to keep latency and cache footprint
 *   low (veth NAPI delivers at most 64 per poll).
 * - frames per worker: 4 x ring size per port (fill + rx + tx + completion
 *   can all be full at once). */
/* AF_XDP multi-buffer (XDP_USE_SG, XDP_PKT_CONTD: plt_xdp.h): a chain
 * has at most MAX_SKB_FRAGS + 1 descriptors (18 on x86_64). */
#define AFX_SEGS_MAX 18u

#define AFX_DEF_FRAME 4096u
#define AFX_DEF_RING 2048u
#define AFX_DEF_BATCH 32u
#define AFX_BATCH_MAX 256u
#define AFX_TX_KICK_RETRIES 8
#define AFX_IDLE_SPINS 2000u
#define AFX_DEF_IDLE_YIELD 0u
#define AFX_DEBUG_CHECK_EVERY 1024u
#if (AFX_DEF_RING & (AFX_DEF_RING - 1)) || (AFX_DEF_BATCH > AFX_BATCH_MAX)
#error "default ring size must be a power of two and the batch within AFX_BATCH_MAX"
#endif

/* ---- Logging ------------------------------------------------------------ */
/* plt_log's pr_warn/pr_info/pr_debug; afx_verbose counts -v (the stats
 * lines show more with it too). */
extern int afx_verbose;

/* ---- Options -------------------------------------------------------------- */
enum afx_copy_mode { AFX_ZC_AUTO, AFX_ZC_ON, AFX_ZC_OFF };
enum afx_placement { AFX_PLACE_USER, AFX_PLACE_HYBRID };

/* Filled by the option table (afxdp_opts.c): FLAG options are ints,
 * sizes uint32_t. */
struct afx_opts {
	const char *ifname[PL_PORTS_MAX];
	unsigned nports;
	int queue[PL_WORKERS_MAX];
	unsigned nqueues;
	int cpu[PL_WORKERS_MAX];
	unsigned ncpus;
	int copy;      /* enum afx_copy_mode */
	int xdp_mode;  /* --xdp-mode: enum plt_xdp_mode, auto (default), native or generic */
	bool generic;  /* generic XDP: asked for, or what auto fell back to */
	int no_need_wakeup;
	bool need_wakeup; /* !no_need_wakeup */
	uint32_t busy_poll_us;
	uint32_t busy_budget;
	int hugepages;
	uint32_t frame_size, rx_size, tx_size, fill_size, comp_size, batch, frames;
	uint32_t tx_budget;
	int placement; /* enum afx_placement */
	const char *policy;
	const char *bpf_obj, *redirect_obj;
	const char *tap_prefix;
	const char *sample_out; /* pcap of the frames the policy samples (user-space core) */
	int no_tap;
	int user_to_tap;
	const char *metrics;
	const char *ctl_name; /* --ctl-name: NAME of --target afxdp:NAME (default: the first -i) */
	double duration;
	double interval;
	uint32_t check_every;
	int spin;
	uint32_t idle_yield; /* sched_yield every N empty passes (0: never) */
	int no_sg;
	int no_xdp_meta; /* hybrid: the XDP program sends USER frames without its decision */
	int quiet;
	int verbose;
	const char *replay, *results_out;
};

/* ---- Data structures ------------------------------------------------------- */
/* Per-socket counters (written by the worker, read by the stats thread). */
#define AFX_XSK_COUNTERS(X)                                                      \
	X(rx, "frames received")                                                \
	X(rx_multibuf, "of which multi-buffer (a chain of descriptors)")        \
	X(tx, "frames put on the tx ring")                                      \
	X(tx_done, "tx completions")                                            \
	X(tx_ring_full, "frames dropped because the tx ring was full")          \
	X(tx_kicks, "sendto() kicks")                                           \
	X(tx_kick_err, "kicks that failed with an error other than EAGAIN/EBUSY") \
	X(tx_stalls, "kicks whose retries ran out with frames left on the tx ring (kicked again next pass)") \
	X(rx_wakeups, "fill-ring wakeups (recvfrom)")                           \
	X(fill_short, "refills skipped: pool had less than a batch")            \
	X(tap_tx, "frames written to the TAP (PASS)")                           \
	X(tap_err, "TAP writes that failed")                                    \
	X(tap_rx, "frames read from the TAP and sent out the port")             \
	X(redirect_noport, "REDIRECT to a port without this queue (dropped)")   \
	X(rx_drained, "frames left on the rx ring at exit, recycled unprocessed")

enum afx_xsk_cnt {
#define PL_X(n, d) AFX_XC_##n,
	AFX_XSK_COUNTERS(PL_X)
#undef PL_X
	AFX_XC__MAX,
};

extern const char *const afx_xsk_cnt_name[AFX_XC__MAX];

struct afx_port;

/* One AF_XDP socket: (port, queue), owned by one worker. */
struct afx_xsk {
	struct afx_port *port;
	uint32_t queue;
	struct xsk_socket *xsk;
	int fd;
	struct xsk_ring_cons rx, comp;
	struct xsk_ring_prod tx, fill;
	/* Frame accounting: frames we handed to the kernel. */
	uint64_t out_fill; /* in the fill ring, in the kernel, or in the rx ring */
	uint64_t out_tx;   /* in the tx ring, in the kernel, or in the completion ring */
	uint64_t cnt[AFX_XC__MAX];
	/* This batch's frames for this socket's tx ring. */
	struct xdp_desc txq[AFX_BATCH_MAX * 2 + AFX_SEGS_MAX];
	uint32_t ntxq;
	bool tx_stalled;  /* the last kick left frames on the tx ring */
	bool zero_copy;
	bool sg;          /* bound with XDP_USE_SG: multi-buffer frames */
	bool busy_poll;   /* the busy-poll options were accepted */
	/* The kernel busy-polls a socket's queue only once the socket has a
	 * NAPI id (marked at its first received frame): until then, and for
	 * good when the first frames leave it without one (veth's queues on
	 * Linux 6.18), a busy-poll recvfrom does nothing. */
	bool napi_checked; /* looked up after the first received frames */
	bool napi_ok;      /* SO_INCOMING_NAPI_ID gave a NAPI id: recvfrom busy-polls */
};

/* One interface. */
struct afx_port {
	unsigned idx;
	const char *ifname;
	int ifindex;
	unsigned nqueues;
	struct plt_bpf bpf;       /* the loaded program, attached once configured */
	struct plt_xdp_link link; /* the bpf_link holding it on the interface */
	int prog_id;
	int xsks_map_fd;
	unsigned mtu;             /* the interface's MTU (the TAP takes it) */
	char tap_name[IFNAMSIZ];
	int tap_fd;
	struct afx_worker *tap_owner; /* the worker that reads the TAP */
};

/* One worker thread: one UMEM, one frame pool, one socket per port. */
struct afx_worker {
	unsigned id;
	uint32_t queue;
	int cpu;
	pthread_t thread;
	bool started;
	void *umem_area;
	size_t umem_len;
	bool umem_huge;
	struct xsk_umem *umem;
	struct xsk_ring_prod umem_fill; /* rings given to xsk_umem__create */
	struct xsk_ring_cons umem_comp;
	uint32_t nframes;
	struct pl_frame_pool pool;
	uint64_t in_flight;       /* taken from rx/pool, not yet placed */
	struct afx_xsk *xsk[PL_PORTS_MAX]; /* by port index; NULL: port lacks this queue */
	unsigned nxsk;
	uint64_t batches;
	uint64_t check_fail;
	uint64_t double_free;
	char last_check[256];
};

struct afx_app {
	struct afx_opts o;
	struct afx_port port[PL_PORTS_MAX];
	unsigned nports;
	struct afx_worker *worker[PL_WORKERS_MAX];
	unsigned nworkers;
	struct pl_ctl *ctl_user;
	struct pl_ctl *ctl_bpf;
	struct pl_metrics_server *metrics;
	bool route_kernel;         /* the policy says `route kernel` */
	struct plt_routes_thread *routes_user, *routes_bpf; /* its mirrors */
	struct plt_ctl_target target; /* what the control socket reaches */
	struct plt_ctlsock *ctlsock;
	bool zc_any, copy_any;
	bool sg_refused;           /* a socket was bound without XDP_USE_SG */
	bool busy_any, busy_refused;
	unsigned tx_budget;        /* XDP_MAX_TX_SKB_BUDGET in effect (0: kernel's 32) */
	bool tx_budget_warned;
};

/* What the core decided for one received frame. */
struct afx_act {
	uint64_t addr;     /* where the (possibly moved) frame starts in the UMEM */
	uint32_t len;      /* bytes in its first buffer */
	uint32_t verdict;
	uint32_t out_port;
	uint32_t seg;      /* index of its first descriptor in the batch */
	uint32_t nseg;     /* descriptors in its chain (1: one buffer) */
};

/* A worker thread's argument. */
struct afx_wctx {
	struct afx_app *app;
	struct afx_worker *w;
};


/* ---- afxdp_opts.c ---- */
/* Fill o from argv: -1 to go on, else the exit status (0 after --help, 2
 * after a usage error, said). */
int afx_opt_parse(int argc, char **argv, struct afx_opts *o);
int afx_opt_check(const struct afx_opts *o);

/* ---- afxdp_dp.c: the data path ---- */
unsigned afx_dp_batch_run(uint8_t *umem, uint32_t frame_size, uint32_t room, int ifindex,
			  uint32_t queue, const struct xdp_desc *d, unsigned n, struct afx_act *act,
			  unsigned *nused, bool meta);
int afx_dp_frames_check(struct afx_worker *w);
void afx_dp_recycle(struct afx_worker *w, uint64_t addr, uint32_t frame_size);
void afx_dp_refill(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x);
void afx_dp_txq_push(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x, uint64_t addr,
		     uint32_t len, const struct xdp_desc *more, unsigned nmore);
void *afx_dp_worker(void *arg);
void afx_dp_drain(struct afx_app *app, struct afx_worker *w);

/* ---- afxdp_tap.c ---- */
int afx_tap_open(struct afx_app *app, struct afx_port *p);
void afx_tap_write(struct afx_app *app, struct afx_xsk *x, const uint8_t *umem, const struct afx_act *a,
		   const struct xdp_desc *d);
unsigned afx_tap_read(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x);

/* ---- afxdp_setup.c: XDP program, UMEM, sockets ---- */
unsigned afx_setup_if_nqueues(const char *ifname);
int afx_setup_port_load(struct afx_app *app, struct afx_port *p);
int afx_setup_port_attach(struct afx_app *app, struct afx_port *p);
void afx_setup_port_unload(struct afx_port *p);
int afx_setup_umem(struct afx_app *app, struct afx_worker *w);
int afx_setup_xsk_open(struct afx_app *app, struct afx_worker *w, struct afx_port *p);
void afx_setup_worker_destroy(struct afx_worker *w);

/* ---- afxdp_stats.c ---- */
void afx_stats_events(struct afx_app *app, double t, uint64_t *prev, struct xdp_statistics *pk);
int afx_stats_metrics_read(void *arg, struct pl_counters *sum);
int afx_stats_metrics_extra(void *arg, struct pl_metrics_sample *out, unsigned max);
int afx_stats_report(struct afx_app *app);

/* ---- afxdp_replay.c ---- */
int afx_replay_run(struct afx_app *app);

#endif
