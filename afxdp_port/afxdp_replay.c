// SPDX-License-Identifier: MIT
/* pathlab-afxdp --replay: the worker's batch code without sockets, under the
 * replay contract every build honours (plt_replay.h: buffer geometry, clock,
 * plres), frames read through plt_pcap. */
#include "afxdp.h"
#include "plt_pcap.h"
#include "plt_replay.h"

/* Feed every frame of the pcap through afx_dp_batch_run (one frame per
 * batch, since the clock changes per frame) in a UMEM-like chunk laid out
 * as the contract says, as received on lo queue 0 (pathlab-replay's
 * default), and write plres. Frames the contract does not replay are
 * skipped (no line), as every build skips them. */
int afx_replay_run(struct afx_app *app)
{
	/* Received on lo, queue 0: what pathlab-replay's builds use by default. */
	int ifindex = (int)if_nametoindex("lo");
	struct plt_pcap_reader rd = { 0 };
	struct plt_pcap_frame f;
	struct pl_config *cfg;
	uint8_t *umem = NULL;
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
	umem = aligned_alloc(PLT_REPLAY_PAGE, PLT_REPLAY_PAGE); /* one page, as test_run gives */
	cfg = pl_core_config();
	if (!umem || !cfg) {
		err = -ENOMEM;
		goto close_out;
	}
	err = plt_plres_header(out, "afxdp", app->o.policy, app->o.replay);
	while (!err && (rc = plt_pcap_next(&rd, &f)) == 1) {
		struct xdp_desc d = { .addr = PLT_REPLAY_HEADROOM, .len = f.len };
		struct afx_act a;

		if (plt_replay_skip_reason(f.len)) {
			i++;
			continue;
		}
		memcpy(umem + d.addr, f.data, f.len);
		cfg->clock_ns = plt_replay_clock_ns(i);
		afx_dp_batch_run(umem, PLT_REPLAY_PAGE, PLT_REPLAY_BUF_SIZE, ifindex, 0, &d, 1, &a);
		err = plt_plres_frame(out, i, (int)a.verdict, a.out_port, umem + a.addr, a.len);
		i++;
		done++;
	}
	if (!err && rc < 0)
		err = rc;
	cfg->clock_ns = 0;
	pr_info("replayed %" PRIu64 " of %" PRIu64 " frames from %s\n", done, i, app->o.replay);
close_out:
	free(umem);
	if (out && out != stdout && fclose(out) && !err)
		err = -EIO;
close_pcap:
	plt_pcap_close(&rd);
	return err;
}
