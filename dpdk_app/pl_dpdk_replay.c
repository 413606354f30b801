/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk --replay: parity through net_pcap, under the replay contract
 * every build honours (plt_replay.h: buffer geometry, clock, plres). */
#include "pl_dpdk_app.h"
#include "plt_replay.h"

/* Every frame of the single port's rx_pcap through the core, with the replay
 * clock; writes the plres file; TX/REDIRECT frames go to the port's tx.
 * Frames the contract does not replay (and multi-segment mbufs) get no
 * plres line, as in every build. The mbufs' data room holds the contract's
 * longest frame (PLT_REPLAY_BUF_SIZE), so net_pcap hands every frame in one
 * mbuf; a frame longer than PLT_REPLAY_MAX_DATA is described to the core as
 * the contract's multi-buffer frame (linear part and frags_len). */
int pl_dpdk_replay_run(uint16_t pid)
{
	struct pl_table *cfgt = pl_table_find("pl_config");
	struct pl_config *cfg;
	FILE *f = NULL;
	size_t i = 0;
	unsigned idle = 0;
	int err = 0;

	cfg = cfgt ? pl_core_config() : NULL;
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
		plt_plres_header(f, "dpdk", opts.policy, opts.pcap_name ? opts.pcap_name : ports[pid].name);
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
			uint8_t *base = (uint8_t *)m->buf_addr + PLT_REPLAY_HEADROOM;
			uint32_t len = m->data_len, out = 0;
			struct pl_buf b;
			int v;

			const char *why = plt_replay_skip_reason(m->pkt_len);

			if (m->nb_segs > 1 || why) {
				pr_warn("replay: frame %zu (%u bytes) not replayed (%s); the plres file skips it\n",
					i, m->pkt_len, why ? why : "more than one mbuf");
				rte_pktmbuf_free(m);
				continue;
			}
			/* laid out as the contract says (the mbuf's data room is
			 * PLT_REPLAY_BUF_SIZE) */
			memmove(base, rte_pktmbuf_mtod(m, uint8_t *), len);
			b = (struct pl_buf){ .data = base, .len = PLT_REPLAY_LINEAR(len),
					     .headroom = PLT_REPLAY_HEADROOM,
					     .tailroom = PLT_REPLAY_TAILROOM(len),
					     .ifindex = opts.in_ifindex, .rx_queue = 0,
					     .frags_len = len - PLT_REPLAY_LINEAR(len) };
			cfg->clock_ns = plt_replay_clock_ns(i);
			v = pl_core_process(&b, &out);
			len = b.len + b.frags_len;
			if (f && plt_plres_frame(f, i, v, out, b.data, len))
				err = -EIO;
			m->data_off = (uint16_t)(b.data - (uint8_t *)m->buf_addr);
			m->data_len = (uint16_t)len;
			m->pkt_len = len;
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
