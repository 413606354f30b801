/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk --replay: parity through net_pcap. */
#include "pl_dpdk_app.h"

/* Every frame of the single port's rx_pcap through the core, with the replay
 * clock; writes the plres file; TX/REDIRECT frames go to the port's tx. */
int pl_dpdk_replay_run(uint16_t pid)
{
	struct pl_table *cfgt = pl_table_find("pl_config");
	struct pl_config *cfg;
	FILE *f = NULL;
	uint32_t key = 0;
	size_t i = 0;
	unsigned idle = 0;
	int err = 0;

	cfg = cfgt ? pl_table_lookup_worker(cfgt, &key, 0) : NULL;
	if (!cfg) {
		pr_warn("replay: the core has no pl_config table\n");
		return -ENOENT;
	}
	if (opts.results_out) {
		f = fopen(opts.results_out, "w");
		if (!f) {
			err = -errno;
			pr_warn("--results-out %s: cannot create: %s\n", opts.results_out, strerror(errno));
			return err;
		}
		fprintf(f, "# pathlab-results v1 build=dpdk policy=%s pcap=%s\n",
			opts.policy ? opts.policy : "none", opts.pcap_name ? opts.pcap_name : ports[pid].name);
	}
	pl_worker_set(0);
	while (!pl_quit && idle < 3) {
		struct rte_mbuf *pkts[32];
		uint16_t n = rte_eth_rx_burst(pid, 0, pkts, 32);

		if (!n) {
			idle++; /* net_pcap returns 0 only at the end of the file */
			continue;
		}
		idle = 0;
		for (uint16_t k = 0; k < n; k++, i++) {
			struct rte_mbuf *m = pkts[k];
			uint8_t *base = (uint8_t *)m->buf_addr + PL_DPDK_REPLAY_HEADROOM;
			uint32_t len = m->data_len, out = 0;
			struct pl_buf b;
			int v;

			if (m->nb_segs > 1 || len > PL_DPDK_REPLAY_ROOM) {
				pr_warn("replay: frame %zu (%u bytes) does not fit one mbuf; the plres file skips it\n",
					i, m->pkt_len);
				rte_pktmbuf_free(m);
				continue;
			}
			/* the same headroom/tailroom as pathlab-replay's native build */
			memmove(base, rte_pktmbuf_mtod(m, uint8_t *), len);
			b = (struct pl_buf){ .data = base, .len = len, .headroom = PL_DPDK_REPLAY_HEADROOM,
					     .tailroom = PL_DPDK_REPLAY_ROOM - len,
					     .ifindex = opts.in_ifindex, .rx_queue = 0 };
			cfg->clock_ns = PL_REPLAY_CLOCK_NS(i);
			v = pl_core_process(&b, &out);
			if (f) {
				fprintf(f, "%zu\t%s\t%u\t", i, pl_verdict_name(v), out);
				for (uint32_t j = 0; j < b.len; j++)
					fprintf(f, "%02x", b.data[j]);
				fputc('\n', f);
			}
			m->data_off = (uint16_t)(b.data - (uint8_t *)m->buf_addr);
			m->data_len = (uint16_t)b.len;
			m->pkt_len = b.len;
			if (v == PL_TX || v == PL_REDIRECT)
				pl_dpdk_send(0, pid, 0, m);
			else
				rte_pktmbuf_free(m);
		}
	}
	rte_eth_tx_buffer_flush(pid, 0, txb[0][pid]);
	cfg->clock_ns = 0;
	if (f && (fflush(f) || ferror(f))) {
		err = -EIO;
		pr_warn("--results-out %s: write failed\n", opts.results_out);
	}
	if (f)
		fclose(f);
	pr_info("replay: %zu frames\n", i);
	return err;
}
