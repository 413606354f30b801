// SPDX-License-Identifier: MIT
/* The corpus covers what it claims: replayed through the user-space core
 * with each policy of tests/corpus (parsed and applied by libpathlab-ctl,
 * the replay clock set before every frame, each frame against a guard
 * page), every malformed class, every protocol counter and every stage's
 * decisions show up, and the verdict counters agree with what was seen.
 * And bursts (pl_core_process_burst, as the front ends call it) decide
 * every frame as the frame alone does: verdict, port, bytes, counters.
 * Usage: test-corpus CORPUS.pcap POLICY_DIR */
#define PL_CHECK_MAIN 1
#include "pl_platform.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pl_ctl.h"
#include "pl_user.h"
#include "pl_check.h"
#include "plt_pcap.h"

#define AREA 65536

static uint8_t *area;
static const char *corpus, *dir;

/* Map a buffer followed by an inaccessible page. */
static void guard_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *m = mmap(NULL, AREA + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || mprotect(m + AREA, pg, PROT_NONE)) {
		perror("mmap");
		exit(2);
	}
	area = m;
}

struct run {
	struct pl_counters cnt;
	uint64_t verdicts[PL_VERDICT__MAX];
	uint64_t frames;
	uint64_t redirect_port1;
	uint32_t sources;
};

/* A fresh core with policy applied and the corpus open: the control
 * handle, or NULL (said why). */
static struct pl_ctl *replay_start(const char *policy, struct plt_pcap_reader *pc)
{
	char path[4096];
	struct pl_policy *pol;
	struct pl_ctl *ctl;
	struct pl_err err;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, policy);
	if (pl_core_init(1)) {
		fprintf(stderr, "pl_core_init failed\n");
		return NULL;
	}
	ctl = pl_ctl_open_user();
	if (!ctl || pl_policy_parse_file(path, &pol, &err)) {
		fprintf(stderr, "%s\n", ctl ? err.msg : "pl_ctl_open_user failed");
		pl_ctl_close(ctl);
		return NULL;
	}
	rc = pl_policy_apply(ctl, pol, NULL, NULL, &err);
	pl_policy_free(pol);
	if (rc) {
		fprintf(stderr, "%s\n", err.msg);
		pl_ctl_close(ctl);
		return NULL;
	}
	if (plt_pcap_open(pc, corpus)) { /* says what is wrong */
		pl_ctl_close(ctl);
		return NULL;
	}
	return ctl;
}

/* Replay the corpus with one policy; frames arrive on ifindex 1. */
static int replay(const char *policy, struct run *r)
{
	struct plt_pcap_reader pc;
	struct plt_pcap_frame rec;
	struct pl_ctl *ctl;
	struct pl_table *cfgt;
	int rc;

	memset(r, 0, sizeof(*r));
	ctl = replay_start(policy, &pc);
	if (!ctl)
		return -1;
	cfgt = pl_table_find("pl_config");
	while ((rc = plt_pcap_next(&pc, &rec)) == 1) {
		struct pl_config *cfg = cfgt ? pl_core_config() : NULL;
		struct pl_buf b = { 0 };
		uint32_t out = 0;
		int v;

		cfg->clock_ns = PL_REPLAY_CLOCK_NS(r->frames);
		CHECK_EQ(rec.ts_ns, PL_REPLAY_CLOCK_NS(r->frames), "pcap time is the replay clock");
		b.data = area + AREA - rec.len;
		memcpy(b.data, rec.data, rec.len);
		b.len = rec.len;
		b.headroom = AREA - rec.len;
		b.ifindex = 1;
		v = pl_core_process(&b, &out);
		if (v >= 0 && v < PL_VERDICT__MAX)
			r->verdicts[v]++;
		if (v == PL_REDIRECT && out == 1)
			r->redirect_port1++;
		r->frames++;
	}
	plt_pcap_close(&pc);
	pl_ctl_read_counters(ctl, &r->cnt);
	r->sources = pl_table_count(pl_table_find("pl_src"), 0);
	pl_ctl_close(ctl);
	pl_core_fini();
	return rc < 0 ? -1 : 0;
}

/* ---- Bursts against frames alone ------------------------------------------ */
#define BURST 32
#define SLOT 16384 /* a frame's buffer in a burst: headroom, frame, tailroom */
#define SLOT_HEAD 256

struct outcome {
	int verdict;
	uint32_t out_port;
	uint32_t off, len; /* where the frame ended in its buffer */
	uint64_t hash;     /* of its bytes */
};

static uint64_t bytes_hash(const uint8_t *p, uint32_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Replay the corpus with policy, BURST frames per call of
 * pl_core_process_burst (burst) or each frame alone (pl_core_process); the
 * replay clock is the burst's first frame's for all of its frames either
 * way, the one difference a burst may make. out[i]: frame i's outcome;
 * *cnt the counters after. Returns the frames, or -1. */
static long replay_bursts(const char *policy, bool burst, struct outcome *out, long max, struct pl_counters *cnt)
{
	static uint8_t slots[BURST][SLOT];
	struct pl_buf b[BURST];
	int v[BURST];
	uint32_t port[BURST];
	struct plt_pcap_reader pc;
	struct plt_pcap_frame rec;
	struct pl_ctl *ctl = replay_start(policy, &pc);
	long n = 0;
	int rc = 1;

	if (!ctl)
		return -1;
	while (rc == 1 && n < max) {
		unsigned k = 0;

		while (k < BURST && n + k < max && (rc = plt_pcap_next(&pc, &rec)) == 1) {
			if (rec.len > SLOT - 2 * SLOT_HEAD)
				continue; /* none in the corpus */
			memcpy(slots[k] + SLOT_HEAD, rec.data, rec.len);
			b[k] = (struct pl_buf){ .data = slots[k] + SLOT_HEAD, .len = rec.len, .headroom = SLOT_HEAD,
						.tailroom = SLOT - SLOT_HEAD - rec.len, .ifindex = 1 };
			k++;
		}
		if (!k)
			break;
		pl_core_config()->clock_ns = PL_REPLAY_CLOCK_NS(n);
		if (burst) {
			pl_core_process_burst(b, k, v, port, false);
		} else {
			for (unsigned i = 0; i < k; i++)
				v[i] = pl_core_process(&b[i], &port[i]);
		}
		for (unsigned i = 0; i < k; i++, n++)
			out[n] = (struct outcome){ .verdict = v[i], .out_port = v[i] == PL_REDIRECT ? port[i] : 0,
						   .off = (uint32_t)(b[i].data - slots[i]), .len = b[i].len,
						   .hash = bytes_hash(b[i].data, b[i].len) };
	}
	plt_pcap_close(&pc);
	pl_ctl_read_counters(ctl, cnt);
	pl_ctl_close(ctl);
	pl_core_fini();
	return rc < 0 ? -1 : n;
}

static void check_bursts(const char *policy)
{
	enum { MAX = 200000 };
	static struct outcome a[MAX], b[MAX];
	struct pl_counters ca, cb;
	long na, nb, diff = 0;

	pl_check_context = policy;
	na = replay_bursts(policy, false, a, MAX, &ca);
	nb = replay_bursts(policy, true, b, MAX, &cb);
	CHECK(na > 1000 && na == nb, "bursts: %ld frames alone, %ld in bursts", na, nb);
	for (long i = 0; i < na && i < nb; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i])) && diff++ < 3)
			CHECK(0, "bursts: frame %ld: alone verdict %d port %u %u bytes at %u, in a burst %d %u %u at %u%s",
			      i, a[i].verdict, a[i].out_port, a[i].len, a[i].off, b[i].verdict, b[i].out_port, b[i].len,
			      b[i].off, a[i].hash != b[i].hash ? ", bytes differ" : "");
	}
	CHECK_EQ(diff, 0, "bursts: frames decided otherwise in a burst");
	for (int c = 0; c < PL_CNT__MAX; c++)
		if (ca.c[c] != cb.c[c])
			CHECK(0, "bursts: counter %s alone %llu, in bursts %llu", pl_counter_name(c),
			      (unsigned long long)ca.c[c], (unsigned long long)cb.c[c]);
}

/* Frames counted in any bad_* class. */
static uint64_t bad_sum(const struct run *r)
{
	uint64_t s = 0;

	for (int c = PL_CNT_BAD_ETH; c <= PL_CNT_BAD_ICMP; c++)
		s += r->cnt.c[c];
	return s;
}

/* Verdict counters agree with the verdicts returned. */
static void check_verdicts(const struct run *r)
{
	CHECK(r->frames > 1000, "%llu frames", (unsigned long long)r->frames);
	CHECK_EQ(r->cnt.c[PL_CNT_RX_PACKETS], r->frames);
	for (int v = 0; v < PL_VERDICT__MAX; v++)
		CHECK_EQ(r->cnt.c[PL_CNT_V_DROP + v], r->verdicts[v]);
	CHECK_EQ(r->verdicts[PL_ABORTED], 0);
}

/* Replay with every policy and check what each must show. */
int main(int argc, char **argv)
{
	static const int must[] = {
		PL_CNT_P_ARP, PL_CNT_P_IPV4, PL_CNT_P_IPV6, PL_CNT_P_OTHER_L3, PL_CNT_P_TCP,
		PL_CNT_P_UDP, PL_CNT_P_ICMP, PL_CNT_P_ICMPV6, PL_CNT_P_OTHER_L4, PL_CNT_P_FRAGMENT,
		PL_CNT_P_VLAN, PL_CNT_ACL_DROP, PL_CNT_ACL_PASS, PL_CNT_ACL_USER, PL_CNT_ACL_DEFAULT,
		PL_CNT_STEER_USER,
	};
	struct run r;

	if (argc != 3) {
		fprintf(stderr, "usage: test-corpus CORPUS.pcap POLICY_DIR\n");
		return 2;
	}
	corpus = argv[1];
	dir = argv[2];
	guard_init();

	pl_check_context = "acl.policy";
	CHECK(!replay("acl.policy", &r), "replay");
	check_verdicts(&r);
	for (int c = PL_CNT_BAD_ETH; c <= PL_CNT_BAD_ICMP; c++)
		CHECK(r.cnt.c[c] > 0, "malformed class %s covered", pl_counter_name(c));
	for (unsigned i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		CHECK(r.cnt.c[must[i]] > 0, "counter %s covered", pl_counter_name(must[i]));
	CHECK(r.verdicts[PL_DROP] > bad_sum(&r), "drops beyond malformed");
	CHECK(r.verdicts[PL_USER] > 0 && r.verdicts[PL_PASS] > 0, "user and pass");
	CHECK(r.sources > 5, "%u sources counted", r.sources);

	pl_check_context = "acl-default-drop.policy";
	CHECK(!replay("acl-default-drop.policy", &r), "replay");
	check_verdicts(&r);
	CHECK(r.cnt.c[PL_CNT_ACL_DEFAULT] > 0, "acl default hit");
	CHECK_EQ(r.verdicts[PL_DROP], r.cnt.c[PL_CNT_ACL_DEFAULT], "the only drops are the default");
	CHECK(r.verdicts[PL_PASS] > bad_sum(&r), "malformed passed, and more");

	pl_check_context = "reflect.policy";
	CHECK(!replay("reflect.policy", &r), "replay");
	check_verdicts(&r);
	CHECK(r.cnt.c[PL_CNT_FWD_TX] > 0, "reflected");
	CHECK_EQ(r.verdicts[PL_TX], r.cnt.c[PL_CNT_FWD_TX]);
	CHECK_EQ(r.verdicts[PL_USER], bad_sum(&r) + r.cnt.c[PL_CNT_STEER_USER], "malformed and 4242 to user");

	pl_check_context = "redirect.policy";
	CHECK(!replay("redirect.policy", &r), "replay");
	check_verdicts(&r);
	CHECK(r.cnt.c[PL_CNT_FWD_REDIRECT] > 0, "redirected");
	CHECK_EQ(r.redirect_port1, r.cnt.c[PL_CNT_FWD_REDIRECT], "to out_port 1");

	pl_check_context = "count-only.policy";
	CHECK(!replay("count-only.policy", &r), "replay");
	check_verdicts(&r);
	CHECK_EQ(r.verdicts[PL_PASS], r.frames, "count-only passes everything");
	CHECK(bad_sum(&r) > 0 && r.cnt.c[PL_CNT_ACL_DROP] == 0, "counted, ACL not run");
	CHECK(r.sources > 5, "%u sources counted", r.sources);

	pl_check_context = "pass-all.policy";
	CHECK(!replay("pass-all.policy", &r), "replay");
	check_verdicts(&r);
	CHECK_EQ(r.verdicts[PL_PASS], r.frames);
	CHECK_EQ(bad_sum(&r), 0, "not parsed");

	/* The stage policies: every decision of every stage shows up. */
	pl_check_context = "responder.policy";
	CHECK(!replay("responder.policy", &r), "replay");
	check_verdicts(&r);
	{
		static const int resp[] = { PL_CNT_RESP_SYNACK, PL_CNT_RESP_REPLY, PL_CNT_RESP_404,
					    PL_CNT_RESP_405, PL_CNT_RESP_FINACK, PL_CNT_RESP_ACK,
					    PL_CNT_RESP_RST, PL_CNT_RESP_TOO_BIG, PL_CNT_RESP_400 };

		for (unsigned i = 0; i < sizeof(resp) / sizeof(resp[0]); i++)
			CHECK(r.cnt.c[resp[i]] > 0, "counter %s covered", pl_counter_name(resp[i]));
	}
	CHECK(r.cnt.c[PL_CNT_RESP_REPLY] >= 60, "%llu responses", (unsigned long long)r.cnt.c[PL_CNT_RESP_REPLY]);
	CHECK_EQ(r.verdicts[PL_TX], r.cnt.c[PL_CNT_RESP_SYNACK] + r.cnt.c[PL_CNT_RESP_REPLY] +
					 r.cnt.c[PL_CNT_RESP_FINACK] + r.cnt.c[PL_CNT_RESP_RST] +
					 r.cnt.c[PL_CNT_RESP_TOO_BIG], "every TX is a responder segment");

	pl_check_context = "lb.policy";
	CHECK(!replay("lb.policy", &r), "replay");
	check_verdicts(&r);
	{
		static const int lb[] = { PL_CNT_LB_NEW_FLOW, PL_CNT_LB_CT_HIT, PL_CNT_LB_NO_BACKEND,
					  PL_CNT_LB_DSR, PL_CNT_LB_IPIP, PL_CNT_LB_NAT };

		for (unsigned i = 0; i < sizeof(lb) / sizeof(lb[0]); i++)
			CHECK(r.cnt.c[lb[i]] > 0, "counter %s covered", pl_counter_name(lb[i]));
	}
	CHECK(r.verdicts[PL_TX] > 0 && r.redirect_port1 > 0, "backends via tx and via lo");
	CHECK_EQ(r.cnt.c[PL_CNT_LB_CT_FULL], 0);

	pl_check_context = "ratelimit.policy";
	CHECK(!replay("ratelimit.policy", &r), "replay");
	check_verdicts(&r);
	CHECK(r.cnt.c[PL_CNT_RL_DROP] > 0, "ratelimit_drop covered");
	CHECK(r.cnt.c[PL_CNT_SYN_DROP_SRC] > 0, "synguard_drop_src covered");
	CHECK(r.cnt.c[PL_CNT_SYN_DROP_GLOBAL] > 0, "synguard_drop_global covered");
	CHECK_EQ(r.cnt.c[PL_CNT_RL_TABLE_FULL], 0);

	pl_check_context = "stages.policy";
	CHECK(!replay("stages.policy", &r), "replay");
	check_verdicts(&r);
	{
		static const int all[] = { PL_CNT_RL_DROP, PL_CNT_SYN_DROP_SRC, PL_CNT_ACL_DROP,
					   PL_CNT_RESP_REPLY, PL_CNT_LB_NEW_FLOW, PL_CNT_LB_IPIP,
					   PL_CNT_STEER_USER };

		for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			CHECK(r.cnt.c[all[i]] > 0, "counter %s covered", pl_counter_name(all[i]));
	}

	pl_check_context = "drop-all.policy";
	CHECK(!replay("drop-all.policy", &r), "replay");
	check_verdicts(&r);
	CHECK_EQ(r.verdicts[PL_DROP], r.frames);

	/* Every stage's policy again, in bursts and alone. */
	{
		static const char *const pols[] = { "acl.policy", "block.policy", "reflect.policy",
						    "redirect.policy", "count-only.policy", "responder.policy",
						    "lb.policy", "ratelimit.policy", "route.policy", "stages.policy" };

		for (unsigned i = 0; i < sizeof(pols) / sizeof(pols[0]); i++)
			check_bursts(pols[i]);
	}
	return pl_check_done("corpus");
}
