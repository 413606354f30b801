/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk: what the application's files share (the EAL-side state,
 * the per-worker counters, each file's entry points). */
#ifndef PL_DPDK_APP_H
#define PL_DPDK_APP_H

#include "pl_ctl.h" /* core headers first: netinet/in.h before linux/ */
#include "pl_ctl_bpf.h"
#include "pl_user.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "pl_dpdk.h"
#include "plt_xdp.h"

#define PL_DPDK_PORTS_MAX RTE_MAX_ETHPORTS
#define PL_DPDK_RX_DESC 1024
#define PL_DPDK_TX_DESC 1024
#define PL_DPDK_TX_BUF 32

/* Counters the application adds to the core's (per worker): field, the
 * telemetry name (/pathlab/counters), meaning. */
#define PL_DPDK_COUNTERS(X)                                                       \
	X(tx_sent, "dpdk_tx_sent", "frames the PMD took for transmission")          \
	X(tx_lost, "dpdk_tx_lost", "frames a TX buffer could not send (freed)")      \
	X(pass_host, "dpdk_pass_to_host", "PASS frames sent to the exception port") \
	X(pass_nohost, "dpdk_pass_no_exception_port", "PASS frames without an exception port (freed)") \
	X(redirect_badport, "dpdk_redirect_bad_port", "REDIRECT to a port that is not a data port") \
	X(rx_chained, "dpdk_rx_chained", "frames received as mbuf chains (the core reads the first segment, counts all)") \
	X(host_out, "dpdk_host_to_wire", "frames from an exception port sent out its data port")

enum pl_dpdk_cnt {
#define PL_X(f, name, help) PL_DPDK_C_##f,
	PL_DPDK_COUNTERS(PL_X)
#undef PL_X
	PL_DPDK_C__MAX,
};

extern const char *const pl_dpdk_cnt_name[PL_DPDK_C__MAX];

/* Per-worker counters, one cache line apart. */
struct pl_dpdk_wstats {
	uint64_t c[PL_DPDK_C__MAX];
	uint64_t proc_cycles, proc_pkts; /* TSC cycles spent on received bursts, and their frames */
	uint64_t core_cycles; /* the part of proc_cycles spent in pl_core_process */
	uint64_t yields; /* sched_yield calls after --idle-yield empty passes */
} __rte_cache_aligned;

/* One port as the application sees it. */
struct pl_dpdk_port {
	bool used;          /* a data port (not an exception tap) */
	uint32_t ifindex;   /* the key the core sees as the receiving interface */
	char name[RTE_ETH_NAME_MAX_LEN];
	char iface[IF_NAMESIZE]; /* the kernel interface (net_af_xdp), or "" */
	int tap;            /* exception port id, or -1 */
	uint16_t nq;        /* queues configured */
	int bpf_prog_id;    /* --hybrid: the program attached on iface */
	uint32_t cfg_map_id; /* --hybrid: its pl_config, configured before attach */
	int xsk_fd[PL_DPDK_QUEUES_MAX]; /* net_af_xdp: each queue's AF_XDP socket (-1: none) */
};

extern volatile bool pl_quit;
extern struct pl_dpdk_opts opts;
extern struct pl_dpdk_port ports[PL_DPDK_PORTS_MAX];
extern struct pl_dpdk_wstats wstats[PL_DPDK_QUEUES_MAX];
extern struct rte_eth_dev_tx_buffer *txb[PL_DPDK_QUEUES_MAX][PL_DPDK_PORTS_MAX];
extern struct pl_ctl *uctl;   /* the in-process core */
extern struct pl_ctl *kctl[PL_DPDK_PORTS_MAX]; /* --hybrid: the kernel side per port */
extern unsigned nworkers;

/* Queue an mbuf for TX on (port, queue). */
static inline void pl_dpdk_send(unsigned w, uint16_t port, uint16_t q, struct rte_mbuf *m)
{
	wstats[w].c[PL_DPDK_C_tx_sent] += rte_eth_tx_buffer(port, q, txb[w][port], m);
}

/* pl_dpdk_ports.c */
void pl_dpdk_port_iface(uint16_t pid);
void pl_dpdk_tx_lost(struct rte_mbuf **pkts, uint16_t unsent, void *arg);
int pl_dpdk_port_start(uint16_t pid, uint16_t nq, struct rte_mempool *pool);
void pl_dpdk_ports_close(void);
void pl_dpdk_warn_jumbo(const char *ifname, int hybrid);
bool pl_dpdk_hugepages_ok(int argc, char **argv);
char **pl_dpdk_eal_argv(int eal_argc, char **argv, int *out_argc);

/* pl_dpdk_stats.c */
int pl_dpdk_stats_metrics_read(void *arg, struct pl_counters *sum);
void pl_dpdk_stats_print(double t, double dt, struct pl_counters *prev);
int pl_dpdk_stats_tel(const char *cmd, const char *params, struct rte_tel_data *d);
int pl_dpdk_stats_tel_xdp(const char *cmd, const char *params, struct rte_tel_data *d);
void pl_dpdk_stats_find_xsks(void);
int pl_dpdk_stats_metrics_extra(void *arg, struct pl_metrics_sample *out, unsigned max);
void pl_dpdk_stats_print_xsks(void);

/* pl_dpdk_hybrid.c: --hybrid, each port's program configured before attach */
const char *pl_dpdk_hybrid_obj(void);
int pl_dpdk_hybrid_init(void);
int pl_dpdk_hybrid_prepare(uint16_t pid, const struct pl_policy *pol);
int pl_dpdk_hybrid_attach(uint16_t pid);
void pl_dpdk_hybrid_unmount(void);

/* pl_dpdk_replay.c */
int pl_dpdk_replay_run(uint16_t pid);

#endif
