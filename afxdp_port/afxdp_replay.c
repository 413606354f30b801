// SPDX-License-Identifier: MIT
/* pathlab-afxdp --replay: the worker's batch code without sockets. */
#include "afxdp.h"

#define PCAP_DONT_INCLUDE_PCAP_BPF_H 1
#include <pcap/pcap.h>

/* ---- Replay: the worker's batch code without sockets ---------------------- */
/* ---- Replay: the worker's batch code without sockets ---------------------- */
/* Feed every frame of pcap through afx_dp_batch_run (one frame per batch, since
 * the clock changes per frame) in a UMEM-like buffer, as received on lo
 * queue 0 (pathlab-replay's default), and write plres. */
int afx_replay_run(struct afx_app *app)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pl_config *cfg;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint8_t *umem = NULL;
	FILE *out = NULL;
	pcap_t *pc;
	__u32 zero = 0;
	uint64_t i = 0;
	int rc, err = 0;
	/* Received on lo, queue 0: what pathlab-replay's builds use by default. */
	int ifindex = (int)if_nametoindex("lo");

	pc = pcap_open_offline(app->o.replay, errbuf);
	if (!pc) {
		pr_warn("cannot read %s: %s\n", app->o.replay, errbuf);
		return -EINVAL;
	}
	out = app->o.results_out ? fopen(app->o.results_out, "w") : stdout;
	if (!out) {
		err = -errno;
		pr_warn("cannot write %s: %s\n", app->o.results_out, strerror(errno));
		goto close_pcap;
	}
	umem = aligned_alloc(app->o.frame_size, app->o.frame_size);
	cfg = pl_table_lookup_worker(pl_table_find("pl_config"), &zero, 0);
	if (!umem || !cfg) {
		err = -ENOMEM;
		goto close_out;
	}
	fprintf(out, "# pathlab-results v1 build=afxdp policy=%s pcap=%s\n",
		app->o.policy ? app->o.policy : "-", app->o.replay);
	while ((rc = pcap_next_ex(pc, &h, &pkt)) == 1) {
		uint32_t len = h->caplen;
		struct xdp_desc d = { .addr = XDP_PACKET_HEADROOM, .len = len };
		struct afx_act a;

		if (len > app->o.frame_size - XDP_PACKET_HEADROOM)
			len = d.len = app->o.frame_size - XDP_PACKET_HEADROOM;
		memcpy(umem + d.addr, pkt, len);
		cfg->clock_ns = PL_REPLAY_CLOCK_NS(i);
		afx_dp_batch_run(umem, app->o.frame_size, ifindex, 0, &d, 1, &a);
		fprintf(out, "%" PRIu64 "\t%s\t%u\t", i, pl_verdict_name((int)a.verdict), a.out_port);
		for (uint32_t j = 0; j < a.len; j++)
			fprintf(out, "%02x", umem[a.addr + j]);
		fputc('\n', out);
		i++;
	}
	if (rc == -1) {
		pr_warn("%s: %s\n", app->o.replay, pcap_geterr(pc));
		err = -EIO;
	}
	pr_info("replayed %" PRIu64 " frames from %s\n", i, app->o.replay);
close_out:
	free(umem);
	if (out != stdout && fclose(out) && !err)
		err = -EIO;
close_pcap:
	pcap_close(pc);
	return err;
}
