// SPDX-License-Identifier: MIT
/* pathlab-afxdp --replay: the worker's batch code without sockets, under the
 * replay contract every build honours (plt_replay.h: buffer geometry, clock,
 * plres), frames read through plt_pcap. */
#include "afxdp.h"
#include "plt_pcap.h"
#include "plt_replay.h"

/* The pages of the replay UMEM: a frame of PLT_REPLAY_MAX_FRAME bytes
 * takes the first page's 3520 and then whole pages. */
#define AFX_REPLAY_PAGES (1 + (PLT_REPLAY_MAX_FRAME - PLT_REPLAY_MAX_DATA + PLT_REPLAY_PAGE - 1) / PLT_REPLAY_PAGE)

/* Lay frame (len bytes) out in umem as the contract says: a chain of
 * descriptors, the first at the headroom of page 0 with up to 3520 bytes,
 * the rest a page each from page 1 on (XDP_PKT_CONTD on all but the last),
 * as a socket bound with XDP_USE_SG receives a multi-buffer frame. Returns
 * the number of descriptors. */
static unsigned afx_replay_layout(uint8_t *umem, const uint8_t *frame, uint32_t len, struct xdp_desc *d)
{
	uint32_t first = PLT_REPLAY_LINEAR(len), off = first;
	unsigned n = 1;

	d[0] = (struct xdp_desc){ .addr = PLT_REPLAY_HEADROOM, .len = first };
	memcpy(umem + d[0].addr, frame, first);
	while (off < len) {
		uint32_t l = len - off < PLT_REPLAY_PAGE ? len - off : PLT_REPLAY_PAGE;

		d[n - 1].options = XDP_PKT_CONTD;
		d[n] = (struct xdp_desc){ .addr = (uint64_t)n * PLT_REPLAY_PAGE, .len = l };
		memcpy(umem + d[n].addr, frame + off, l);
		off += l;
		n++;
	}
	return n;
}

/* Feed every frame of the pcap through afx_dp_batch_run (one frame per
 * batch, since the clock changes per frame) in a UMEM-like area laid out
 * as the contract says (a jumbo frame as a chain of descriptors), as
 * received on lo queue 0 (pathlab-replay's default), and write plres.
 * Frames the contract does not replay are skipped (no line), as every build
 * skips them. */
int afx_replay_run(struct afx_app *app)
{
	/* Received on lo, queue 0: what pathlab-replay's builds use by default. */
	int ifindex = (int)if_nametoindex("lo");
	struct plt_pcap_reader rd = { 0 };
	struct plt_pcap_frame f;
	struct pl_config *cfg;
	uint8_t *umem = NULL, *flat = NULL;
	FILE *out = NULL;
	uint64_t i = 0, done = 0;
	int rc, err;

	err = plt_pcap_open(&rd, app->o.replay);
	if (err)
		return err;
	out = app->o.results_out ? fopen(app->o.results_out, "w") : stdout;
	if (!out) {
		err = -errno;
		pr_warn("cannot write %s: %s\n", app->o.results_out, strerror(errno));
		goto close_pcap;
	}
	/* pages as test_run gives them; flat: a chain's output in one piece */
	umem = aligned_alloc(PLT_REPLAY_PAGE, (size_t)AFX_REPLAY_PAGES * PLT_REPLAY_PAGE);
	flat = malloc(PLT_REPLAY_BUF_SIZE);
	cfg = pl_core_config();
	if (!umem || !flat || !cfg) {
		err = -ENOMEM;
		goto close_out;
	}
	err = plt_plres_header(out, "afxdp", app->o.policy, app->o.replay);
	while (!err && (rc = plt_pcap_next(&rd, &f)) == 1) {
		struct xdp_desc d[AFX_REPLAY_PAGES];
		struct afx_act a;
		unsigned nd, used;
		uint32_t len;

		if (plt_replay_skip_reason(f.len)) {
			i++;
			continue;
		}
		nd = afx_replay_layout(umem, f.data, f.len, d);
		cfg->clock_ns = plt_replay_clock_ns(i);
		afx_dp_batch_run(umem, PLT_REPLAY_PAGE, PLT_REPLAY_HEADROOM + PLT_REPLAY_MAX_DATA, ifindex, 0,
				 d, nd, &a, &used, false);
		memcpy(flat, umem + a.addr, a.len);
		len = a.len;
		for (unsigned k = 1; k < a.nseg; k++) {
			memcpy(flat + len, umem + d[k].addr, d[k].len);
			len += d[k].len;
		}
		err = plt_plres_frame(out, i, (int)a.verdict, a.out_port, flat, len);
		i++;
		done++;
	}
	if (!err && rc < 0)
		err = rc;
	cfg->clock_ns = 0;
	pr_info("replayed %" PRIu64 " of %" PRIu64 " frames from %s\n", done, i, app->o.replay);
close_out:
	free(umem);
	free(flat);
	if (out && out != stdout && fclose(out) && !err)
		err = -EIO;
close_pcap:
	plt_pcap_close(&rd);
	return err;
}
