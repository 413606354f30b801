/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk's ports and the EAL's arguments: the kernel interface behind a
 * port, starting (rings as the PMD recommends, RSS over the workers' queues)
 * and closing ports, the TX-buffer drop callback, the jumbo-frame warning for
 * net_af_xdp, the hugepage check and the EAL argv built from --iface and
 * --pass-tap. */
#include "pl_dpdk_app.h"
#include "plt_bpf.h"
#include "plt_xdp.h"

/* The kernel interface behind a port: the iface= devarg (net_af_xdp from
 * --iface or --vdev, net_tap, net_pcap's iface=), so policies name ports by
 * interface name as on every other datapath. */
void pl_dpdk_port_iface(uint16_t pid)
{
	struct pl_dpdk_port *p = &ports[pid];
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	const char *a;

	if (rte_eth_dev_info_get(pid, &info) || !info.device)
		return;
	da = rte_dev_devargs(info.device);
	a = da ? da->args : NULL;
	while (a && *a) {
		if (!strncmp(a, "iface=", 6)) {
			size_t n = strcspn(a + 6, ",");

			if (n < sizeof(p->iface)) {
				memcpy(p->iface, a + 6, n);
				p->iface[n] = 0;
				p->ifindex = if_nametoindex(p->iface);
			}
			return;
		}
		a = strchr(a, ',');
		a = a ? a + 1 : NULL;
	}
}

/* Count a TX buffer's unsent frames, then free them. */
void pl_dpdk_tx_lost(struct rte_mbuf **pkts, uint16_t unsent, void *arg)
{
	struct pl_dpdk_wstats *ws = arg;

	ws->c[PL_DPDK_C_tx_lost] += unsent;
	rte_pktmbuf_free_bulk(pkts, unsent);
}

/* Configure and start one port with nq queues (RSS when nq > 1). */
int pl_dpdk_port_start(uint16_t pid, uint16_t nq, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nrx, ntx;
	int err;

	err = rte_eth_dev_info_get(pid, &info);
	if (err)
		return err;
	/* ring sizes: what was asked, else the PMD's recommendation (net_af_xdp:
	 * 2048, its XSK rings; a deeper rx ring absorbs a longer scheduling gap
	 * of the worker), else 1024 */
	nrx = (uint16_t)(opts.rx_desc ? opts.rx_desc
		       : info.default_rxportconf.ring_size ? info.default_rxportconf.ring_size
							   : PL_DPDK_RX_DESC);
	ntx = (uint16_t)(opts.tx_desc ? opts.tx_desc
		       : opts.rx_desc ? opts.rx_desc
		       : info.default_txportconf.ring_size ? info.default_txportconf.ring_size
							   : PL_DPDK_TX_DESC);
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		pr_warn("port %u (%s): %u queues asked, the device has %u rx / %u tx (for net_af_xdp: ethtool -L IF combined %u)\n",
			pid, ports[pid].name, nq, info.max_rx_queues, info.max_tx_queues, nq);
		return -EINVAL;
	}
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
		conf.rx_adv_conf.rss_conf.rss_hf &= info.flow_type_rss_offloads;
	}
	err = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (err) {
		pr_warn("port %u (%s): configure: %s\n", pid, ports[pid].name, strerror(-err));
		return err;
	}
	err = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	if (err)
		return err;
	for (uint16_t q = 0; q < nq; q++) {
		err = rte_eth_rx_queue_setup(pid, q, nrx, rte_eth_dev_socket_id(pid), NULL, pool);
		if (!err)
			err = rte_eth_tx_queue_setup(pid, q, ntx, rte_eth_dev_socket_id(pid), NULL);
		if (err) {
			pr_warn("port %u (%s): queue %u setup: %s\n", pid, ports[pid].name, q, strerror(-err));
			return err;
		}
	}
	err = rte_eth_dev_start(pid);
	if (err) {
		pr_warn("port %u (%s): start: %s\n", pid, ports[pid].name, strerror(-err));
		return err;
	}
	ports[pid].nq = nq;
	pr_debug("port %u (%s): %u queue(s), %u rx / %u tx descriptors\n", pid, ports[pid].name, nq, nrx, ntx);
	rte_eth_promiscuous_enable(pid);
	return 0;
}

/* Stop and close every port (the PMDs detach what they attached). */
void pl_dpdk_ports_close(void)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		rte_eth_dev_stop(pid);
		rte_eth_dev_close(pid);
	}
}

/* DPDK 22.11's net_af_xdp binds without XDP_USE_SG and its UMEM frames are
 * one mbuf's data room: a frame longer than that never reaches DPDK. Say
 * so when the interface's MTU allows such frames. */
#define PL_DPDK_AFXDP_FRAME_MAX (RTE_MBUF_DEFAULT_DATAROOM)
void pl_dpdk_warn_jumbo(const char *ifname, int hybrid)
{
	int mtu = plt_if_mtu(ifname);

	if (mtu <= 0 || mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN <= PL_DPDK_AFXDP_FRAME_MAX)
		return;
	if (hybrid)
		pr_warn("--iface %s: MTU %d: net_af_xdp (DPDK %d.%d) has no AF_XDP multi-buffer: XDP carries out every verdict on whole frames, but USER frames longer than %d bytes are dropped by the kernel before pathlab-dpdk sees them\n",
			ifname, mtu, RTE_VER_YEAR, RTE_VER_MONTH, PL_DPDK_AFXDP_FRAME_MAX);
	else
		pr_warn("--iface %s: MTU %d: net_af_xdp (DPDK %d.%d) has no AF_XDP multi-buffer: frames longer than %d bytes are dropped by the kernel before pathlab-dpdk sees them (for jumbo frames: --hybrid, pathlab-afxdp or pathlab-xdp; or a PMD that delivers mbuf chains, e.g. --vdev net_pcap0,iface=%s)\n",
			ifname, mtu, RTE_VER_YEAR, RTE_VER_MONTH, PL_DPDK_AFXDP_FRAME_MAX, ifname);
}

/* Are hugepages there (or not needed)? Prints what to do when not. */
bool pl_dpdk_hugepages_ok(int argc, char **argv)
{
	unsigned long total = 0, free_ = 0;
	char line[256];
	FILE *f;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--no-huge") || !strcmp(argv[i], "--in-memory"))
			return true;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return true; /* let the EAL say */
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %lu", &total);
		sscanf(line, "HugePages_Free: %lu", &free_);
	}
	fclose(f);
	if (free_ == 0) {
		pr_warn("no free hugepages (HugePages_Total %lu, Free %lu): reserve and mount them with\n"
			"  dpdk_app/hugepages.sh reserve 512\n"
			"or run without them: put the EAL option --no-huge before `--` (tests do)\n",
			total, free_);
		return false;
	}
	return true;
}

/* The EAL argv: ours, plus one net_af_xdp --vdev per --iface and one
 * net_tap per --pass-tap. */
char **pl_dpdk_eal_argv(int eal_argc, char **argv, int *out_argc)
{
	int n = eal_argc + 2 * (int)(opts.niface + opts.npass_tap) + 1;
	char **a = calloc(n + 1, sizeof(*a));
	bool unlink_huge = true;
	int k = 0;

	if (!a)
		return NULL;
	for (int i = 0; i < eal_argc; i++) {
		a[k++] = argv[i];
		if (!strcmp(argv[i], "--no-huge") || !strcmp(argv[i], "--in-memory") ||
		    !strncmp(argv[i], "--huge-unlink", 13) || !strncmp(argv[i], "--proc-type", 11))
			unlink_huge = false;
	}
	/* hugepage files unlinked once mapped: the pages go back to the pool when
	 * the process ends, whatever happens (DPDK's default keeps rtemap_* files
	 * in hugetlbfs after exit, holding the memory) */
	if (unlink_huge)
		a[k++] = "--huge-unlink";
	for (unsigned i = 0; i < opts.niface; i++) {
		char budget[32] = "", *v = NULL;

		if (opts.busy_budget >= 0) /* --busy-budget; else the PMD's default */
			snprintf(budget, sizeof(budget), ",busy_budget=%d", opts.busy_budget);
		if (asprintf(&v, "net_af_xdp%u,iface=%s,start_queue=0,queue_count=%u%s%s%s", i,
			     opts.iface[i], opts.queues, budget, opts.hybrid ? ",xdp_prog=" : "",
			     opts.hybrid ? pl_dpdk_hybrid_obj() : "") < 0)
			return NULL;
		a[k++] = "--vdev";
		a[k++] = v;
	}
	for (unsigned i = 0; i < opts.npass_tap; i++) {
		char *v = NULL;

		if (asprintf(&v, "net_tap_pl%u,iface=%s", i, opts.pass_tap[i]) < 0)
			return NULL;
		a[k++] = "--vdev";
		a[k++] = v;
	}
	*out_argc = k;
	return a;
}
