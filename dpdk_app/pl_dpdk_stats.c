/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk's statistics: the stats lines, the metrics reader and the
 * telemetry commands. Read from the main lcore (or the telemetry thread). */
#include "pl_dpdk_app.h"

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
