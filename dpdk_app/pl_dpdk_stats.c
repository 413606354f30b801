/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk's statistics: the stats lines, the metrics reader and the
 * telemetry commands. Read from the main lcore (or the telemetry thread). */
#include "pl_dpdk_app.h"

#include <linux/if_xdp.h>

const char *const pl_dpdk_cnt_name[PL_DPDK_C__MAX] = {
#define PL_X(f, name, help) name,
	PL_DPDK_COUNTERS(PL_X)
#undef PL_X
};

/* Metrics server reader: the user-space core's counters; with --hybrid the
 * kernel programs' (all ports) with their USER verdicts replaced by the user
 * core's, so each frame counts once (pl_metrics_merge_hybrid). */
int pl_dpdk_stats_metrics_read(void *arg, struct pl_counters *sum)
{
	struct pl_counters u, k, ksum = { { 0 } };
	uint16_t pid;
	int err;

	(void)arg;
	err = pl_ctl_read_counters(uctl, opts.hybrid ? &u : sum);
	if (err || !opts.hybrid)
		return err;
	for (pid = 0; pid < PL_DPDK_PORTS_MAX; pid++) {
		if (!kctl[pid])
			continue;
		err = pl_ctl_read_counters(kctl[pid], &k);
		if (err)
			return err;
		for (int i = 0; i < PL_CNT__MAX; i++)
			ksum.c[i] += k.c[i];
	}
	pl_metrics_merge_hybrid(&ksum, &u, sum);
	return 0;
}

/* Print one stats line (and xstats): main lcore only. */
void pl_dpdk_stats_print(double t, double dt, struct pl_counters *prev)
{
	struct pl_counters cur;
	uint16_t pid;

	if (pl_ctl_read_counters(uctl, &cur))
		return;
	pl_stats_print(stdout, "dpdk", t, prev, &cur, dt, pl_dpdk_verbose);
	*prev = cur;
	RTE_ETH_FOREACH_DEV(pid) {
		struct pl_counters k;

		if (kctl[pid] && !pl_ctl_read_counters(kctl[pid], &k)) {
			char label[48];
			static struct pl_counters kprev[PL_DPDK_PORTS_MAX];

			snprintf(label, sizeof(label), "dpdk-xdp:%s", ports[pid].iface);
			pl_stats_print(stdout, label, t, &kprev[pid], &k, dt, pl_dpdk_verbose);
			kprev[pid] = k;
		}
	}
	if (opts.xstats) {
		RTE_ETH_FOREACH_DEV(pid) {
			int n = rte_eth_xstats_get(pid, NULL, 0);
			struct rte_eth_xstat *xs;
			struct rte_eth_xstat_name *names;

			if (n <= 0)
				continue;
			xs = calloc(n, sizeof(*xs));
			names = calloc(n, sizeof(*names));
			if (xs && names && rte_eth_xstats_get(pid, xs, n) == n &&
			    rte_eth_xstats_get_names(pid, names, n) == n) {
				printf("  port %u (%s) xstats:", pid, ports[pid].name);
				for (int i = 0; i < n; i++)
					if (xs[i].value)
						printf(" %s=%" PRIu64, names[xs[i].id].name, xs[i].value);
				printf("\n");
			}
			free(xs);
			free(names);
		}
	}
	fflush(stdout);
}

/* /pathlab/stats: verdict totals; /pathlab/counters: every counter. */
int pl_dpdk_stats_tel(const char *cmd, const char *params, struct rte_tel_data *d)
{
	bool all = !strcmp(cmd, "/pathlab/counters");
	struct pl_counters c;

	(void)params;
	if (!uctl || pl_ctl_read_counters(uctl, &c))
		return -1;
	rte_tel_data_start_dict(d);
	for (int i = 0; i < PL_CNT__MAX; i++) {
		if (!all && i > PL_CNT_V_ABORTED)
			break;
		rte_tel_data_add_dict_u64(d, pl_counter_name(i), c.c[i]);
	}
	if (!all)
		return 0;
	for (int i = 0; i < PL_DPDK_C__MAX; i++) {
		uint64_t sum = 0;

		for (unsigned w = 0; w < nworkers; w++)
			sum += wstats[w].c[i];
		rte_tel_data_add_dict_u64(d, pl_dpdk_cnt_name[i], sum);
	}
	return 0;
}

/* /pathlab/xdp (--hybrid): the kernel programs' counters, summed over ports
 * (the frames DPDK never sees: DROP/TX/REDIRECT/PASS decided in the kernel). */
int pl_dpdk_stats_tel_xdp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pl_counters k, sum = { { 0 } };
	int n = 0;

	(void)cmd;
	(void)params;
	for (uint16_t pid = 0; pid < PL_DPDK_PORTS_MAX; pid++) {
		if (!kctl[pid] || pl_ctl_read_counters(kctl[pid], &k))
			continue;
		for (int i = 0; i < PL_CNT__MAX; i++)
			sum.c[i] += k.c[i];
		n++;
	}
	if (!n)
		return -1;
	rte_tel_data_start_dict(d);
	for (int i = 0; i < PL_CNT__MAX; i++)
		rte_tel_data_add_dict_u64(d, pl_counter_name(i), sum.c[i]);
	return 0;
}

/* ---- The AF_XDP sockets of net_af_xdp ports ----------------------------------- */
/* The inode of the mapping that holds addr (/proc/self/maps), or 0. */
static unsigned long pl_dpdk_map_inode(uintptr_t addr)
{
	unsigned long ino = 0, lo, hi, i;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &i) == 3 && addr >= lo && addr < hi) {
			ino = i;
			break;
		}
	}
	fclose(f);
	return ino;
}

/* Our fd of the socket with inode ino, or -1. */
static int pl_dpdk_socket_fd(unsigned long ino)
{
	char want[48], link[64];
	struct dirent *e;
	int fd = -1;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -1;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	while ((e = readdir(d))) {
		ssize_t n;

		n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, want)) {
			fd = atoi(e->d_name);
			break;
		}
	}
	closedir(d);
	return fd;
}

/* Find each net_af_xdp queue's AF_XDP socket, for its XDP_STATISTICS. The
 * PMD keeps the fd to itself; its rx ring's producer index (what
 * rte_eth_get_monitor_addr gives) lies in the socket's mmap of that ring,
 * and the mapping's inode is the socket's. After the ports started. */
void pl_dpdk_stats_find_xsks(void)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		struct pl_dpdk_port *p = &ports[pid];

		for (unsigned q = 0; q < PL_DPDK_QUEUES_MAX; q++)
			p->xsk_fd[q] = -1;
		if (!p->used || strncmp(p->name, "net_af_xdp", 10))
			continue;
		for (uint16_t q = 0; q < p->nq; q++) {
			struct rte_power_monitor_cond pmc = { 0 };
			unsigned long ino;

			if (rte_eth_get_monitor_addr(pid, q, &pmc) || !pmc.addr)
				continue;
			ino = pl_dpdk_map_inode((uintptr_t)pmc.addr);
			if (ino)
				p->xsk_fd[q] = pl_dpdk_socket_fd(ino);
			if (p->xsk_fd[q] < 0)
				pr_debug("port %u (%s) queue %u: its AF_XDP socket not found: no XDP_STATISTICS\n",
					 pid, p->name, q);
		}
	}
}

static int pl_dpdk_xsk_stats(int fd, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	return fd >= 0 ? getsockopt(fd, SOL_XDP, XDP_STATISTICS, st, &len) : -1;
}

/* Metrics next to the core's: the application's counters per worker
 * (pathlab_dpdk_<counter>_total{queue}: dpdk_tx_lost counts frames a full TX
 * ring did not take) and each AF_XDP socket's XDP_STATISTICS
 * (pathlab_dpdk_xdp_<field>_total{iface,queue}). */
int pl_dpdk_stats_metrics_extra(void *arg, struct pl_metrics_sample *out, unsigned max)
{
	static const char *const names[PL_DPDK_C__MAX] = {
#define PL_X(f, name, help) "pathlab_" name "_total",
		PL_DPDK_COUNTERS(PL_X)
#undef PL_X
	};
	static const char *const helps[PL_DPDK_C__MAX] = {
#define PL_X(f, name, help) help,
		PL_DPDK_COUNTERS(PL_X)
#undef PL_X
	};
	struct xdp_statistics st[PL_DPDK_PORTS_MAX][PL_DPDK_QUEUES_MAX];
	bool have[PL_DPDK_PORTS_MAX][PL_DPDK_QUEUES_MAX];
	unsigned n = 0;
	uint16_t pid;

	(void)arg;
	for (int c = 0; c < PL_DPDK_C__MAX; c++)
		for (unsigned w = 0; w < nworkers && n < max; w++, n++) {
			out[n] = (struct pl_metrics_sample){ .name = names[c], .help = helps[c], .type = "counter",
							     .value = __atomic_load_n(&wstats[w].c[c], __ATOMIC_RELAXED) };
			snprintf(out[n].labels, sizeof(out[n].labels), "queue=\"%u\"", w);
		}
	memset(have, 0, sizeof(have));
	RTE_ETH_FOREACH_DEV(pid)
		for (unsigned q = 0; q < ports[pid].nq && q < PL_DPDK_QUEUES_MAX; q++)
			have[pid][q] = !pl_dpdk_xsk_stats(ports[pid].xsk_fd[q], &st[pid][q]);
#define PL_X(f, h)                                                                                 \
	RTE_ETH_FOREACH_DEV(pid)                                                                    \
		for (unsigned q = 0; q < ports[pid].nq && q < PL_DPDK_QUEUES_MAX; q++) {            \
			if (!have[pid][q] || n >= max)                                              \
				continue;                                                           \
			out[n] = (struct pl_metrics_sample){ .name = "pathlab_dpdk_xdp_" #f "_total", \
							     .help = "XDP_STATISTICS: " h,            \
							     .type = "counter", .value = st[pid][q].f }; \
			snprintf(out[n].labels, sizeof(out[n].labels), "iface=\"%s\",queue=\"%u\"",  \
				 ports[pid].iface, q);                                              \
			n++;                                                                        \
		}
	PLT_XDP_STATS(PL_X)
#undef PL_X
	return (int)n;
}

/* At exit: each AF_XDP socket's XDP_STATISTICS, one line per queue. */
void pl_dpdk_stats_print_xsks(void)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid)
		for (unsigned q = 0; q < ports[pid].nq && q < PL_DPDK_QUEUES_MAX; q++) {
			struct xdp_statistics st;

			if (pl_dpdk_xsk_stats(ports[pid].xsk_fd[q], &st))
				continue;
			printf("[dpdk-xsk] iface=%s queue=%u", ports[pid].iface, q);
#define PL_X(f, h) printf(" xdp_%s=%llu", #f, (unsigned long long)st.f);
			PLT_XDP_STATS(PL_X)
#undef PL_X
			printf("\n");
		}
}
