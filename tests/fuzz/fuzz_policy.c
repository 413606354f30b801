// SPDX-License-Identifier: MIT
/* Fuzz target for the policy parser and pl_policy_apply().
 *
 * Any text either fails to parse with a message naming the file, or parses
 * into a policy that is summarised and then applied to the user-space
 * tables of libpathlab-core (two workers); interface names resolve or not
 * by their length (odd: unknown). Then the policy applied before it is
 * applied again through a backend that fails one of its table writes
 * (EIO), picked by a hash of the input. After an apply:
 *   - success: the live configuration is the policy's (clock_ns and
 *     acl_bank aside), and every shared table is recorded;
 *   - failure: the message names the file, and every shared table (the
 *     configuration, both ACL banks, steering, forwarding, every stage's
 *     tables) is exactly as the last successful apply left it: all or
 *     nothing.
 * After a successful apply, frames of every kind (the shapes catalogue,
 * flows to the LB services and responder addresses of the example and
 * corpus policies, requests acknowledging the cookie the applied key gives)
 * run through the core on both workers, with head and tail room: the
 * verdict is valid, the frame stays in its buffer, the verdict counters sum
 * to rx. Built with ASan and UBSan: no crash, leak or out-of-bounds access. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl_parse.h"
#include "pl_stages.h"
#include "pl_user.h"
#include "pl_ctl.h"
#include "fuzz_common.h"
#include "pl_pkt.h"
#include "pl_shapes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n);


/* ---- a backend that fails one write ----------------------------------------- */

static struct pl_ctl *user;
static long writes, fail_at = -1;

static int fault(void)
{
	return writes++ == fail_at ? -EIO : 0;
}

static int f_update(struct pl_ctl *c, const char *t, const void *k, const void *v)
{
	return fault() ? -EIO : user->ops->update(user, t, k, v);
}

static int f_remove(struct pl_ctl *c, const char *t, const void *k)
{
	return fault() ? -EIO : user->ops->remove(user, t, k);
}

static int f_lookup(struct pl_ctl *c, const char *t, const void *k, void *v)
{
	return user->ops->lookup(user, t, k, v);
}

static int f_lookup_percpu(struct pl_ctl *c, const char *t, const void *k, void *v)
{
	return user->ops->lookup_percpu(user, t, k, v);
}

static int f_next_key(struct pl_ctl *c, const char *t, const void *k, void *n)
{
	return user->ops->next_key(user, t, k, n);
}

static unsigned f_ncopies(struct pl_ctl *c)
{
	return user->ops->ncopies(user);
}

static const struct pl_ctl_ops fault_ops = {
	.name = "user (failing one write)",
	.update = f_update,
	.lookup = f_lookup,
	.lookup_percpu = f_lookup_percpu,
	.remove = f_remove,
	.next_key = f_next_key,
	.ncopies = f_ncopies,
};
static struct pl_ctl fctl = { .ops = &fault_ops };

/* Names of odd length are unknown; others get a port 1..63. */
static int resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	uint32_t h = 0;
	size_t n = strlen(name);

	if (n & 1)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + (unsigned char)name[i];
	*ifindex = *out_port = 1 + h % 63;
	return 0;
}

/* ---- the shared tables, recorded ----------------------------------------------- */

struct snap {
	struct pl_table *t;
	uint8_t *raw;   /* arrays: every value */
	uint64_t sum;   /* hashes: order-independent digest of key + value */
	uint32_t count;
};

#define SNAP_MAX 64
static struct snap good[SNAP_MAX], now[SNAP_MAX];
static unsigned nsnap;

static uint64_t fnv(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Record one shared table into s. */
static void record(struct pl_table *t, struct snap *s)
{
	uint8_t key[256], next[256];
	int first = 1;

	s->t = t;
	s->sum = 0;
	s->count = 0;
	if (t->kind == PL_KIND_ARRAY) {
		__u32 zero = 0;
		size_t sz = (size_t)t->max_entries * t->value_size;

		if (!s->raw)
			s->raw = malloc(sz);
		MUST(s->raw);
		memcpy(s->raw, pl_table_lookup_worker(t, &zero, 0), sz);
		return;
	}
	MUST(t->key_size <= sizeof(key));
	while (!pl_table_next_key(t, 0, first ? NULL : key, next)) {
		const uint8_t *v = pl_table_lookup_worker(t, next, 0);

		MUST(v);
		s->sum += fnv(v, t->value_size, fnv(next, t->key_size, 0xcbf29ce484222325ull));
		s->count++;
		memcpy(key, next, t->key_size);
		first = 0;
	}
}

static int shared(struct pl_table *t)
{
	return !pl_table_is_percpu(t) && t->kind != PL_KIND_DEVMAP && t->kind != PL_KIND_XSKMAP;
}

static int count_shared(struct pl_table *t, void *arg)
{
	if (shared(t)) {
		MUST(nsnap < SNAP_MAX);
		good[nsnap].t = now[nsnap].t = t;
		nsnap++;
	}
	return 0;
}

static void record_all(struct snap *s)
{
	for (unsigned i = 0; i < nsnap; i++)
		record(s[i].t, &s[i]);
}

/* Is every shared table as the last successful apply left it? */
static void check_unchanged(const char *msg)
{
	record_all(now);
	for (unsigned i = 0; i < nsnap; i++) {
		struct pl_table *t = good[i].t;
		int same = t->kind == PL_KIND_ARRAY
				   ? !memcmp(good[i].raw, now[i].raw, (size_t)t->max_entries * t->value_size)
				   : good[i].sum == now[i].sum && good[i].count == now[i].count;

		if (!same) {
			fprintf(stderr, "a failed apply changed table %s (%s)\n", t->name, msg);
			abort();
		}
	}
}

/* ---- frames run after a successful apply ------------------------------------------ */

#define FRAMES_MAX 80
static struct pl_pkt frames[FRAMES_MAX];
static unsigned nframes, nreq;
static struct pl_pkt req[2]; /* GETs; their ack is the cookie of the live key */

static struct pl_pkt *next_frame(void)
{
	MUST(nframes < FRAMES_MAX);
	pl_pkt_init(&frames[nframes]);
	return &frames[nframes++];
}

/* TCP (flags) or UDP (flags 0) from src:sp to dst:dp over IPv4 or IPv6. */
static void flow(struct pl_pkt *p, int v6, const uint8_t *src, const uint8_t *dst, uint16_t sp,
		 uint16_t dp, uint8_t flags, const char *payload)
{
	pl_pkt_init(p);
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	if (v6) {
		struct pl_pkt_ip6 ip = { 0 };

		memcpy(ip.saddr, src, 16);
		memcpy(ip.daddr, dst, 16);
		pl_pkt_ipv6(p, &ip);
	} else {
		pl_pkt_ipv4(p, &(struct pl_pkt_ip4){ .saddr = PL_PKT_IP4(src[0], src[1], src[2], src[3]),
						     .daddr = PL_PKT_IP4(dst[0], dst[1], dst[2], dst[3]) });
	}
	if (flags)
		pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = sp, .dport = dp, .flags = flags, .seq = 7000 });
	else
		pl_pkt_udp(p, sp, dp);
	if (payload)
		pl_pkt_payload(p, payload, (unsigned)strlen(payload));
	pl_pkt_finish(p);
}

static void make_frames(void)
{
	static const uint8_t c4[4] = { 10, 9, 0, 1 }, r4[4] = { 10, 70, 0, 2 },
			     v4a[4] = { 10, 71, 0, 100 }, v4b[4] = { 10, 71, 0, 101 },
			     nat4[4] = { 10, 71, 2, 2 },
			     c6[16] = { 0xfd, 0x09, [15] = 1 }, r6[16] = { 0xfd, 0x70, [15] = 2 },
			     v6a[16] = { 0xfd, 0x71, [14] = 1 }, v6b[16] = { 0xfd, 0x71, [14] = 1, [15] = 1 };
	static const uint16_t tcp_ports[] = { 22, 80, 81, 443, 8080, 8081 };
	static const uint16_t udp_ports[] = { 53, 4242, 4790, 5005 };

	for (unsigned i = 0; i < pl_nshapes && nframes < FRAMES_MAX / 2; i++)
		pl_shape_make(i, next_frame());
	for (unsigned i = 0; i < sizeof(tcp_ports) / sizeof(tcp_ports[0]); i++) {
		flow(next_frame(), 0, c4, i < 3 ? v4a : r4, 40000 + i, tcp_ports[i], 0x02, NULL);
		flow(next_frame(), 0, c4, v4b, 40000 + i, tcp_ports[i], 0x10, "data");
		flow(next_frame(), 1, c6, i < 3 ? v6a : r6, 40000 + i, tcp_ports[i], 0x02, NULL);
		flow(next_frame(), 1, c6, v6b, 40000 + i, tcp_ports[i], 0x18, "data");
	}
	for (unsigned i = 0; i < sizeof(udp_ports) / sizeof(udp_ports[0]); i++) {
		flow(next_frame(), 0, c4, v4a, 41000 + i, udp_ports[i], 0, "q");
		flow(next_frame(), 1, c6, v6a, 41000 + i, udp_ports[i], 0, "q");
	}
	flow(next_frame(), 0, nat4, c4, 8081, 40002, 0x12, NULL); /* a NAT backend's reply */
	flow(&req[0], 0, c4, r4, 42000, 80, 0x18, "GET /custom HTTP/1.1\r\n\r\n");
	flow(&req[1], 1, c6, r6, 42001, 8080, 0x18, "HEAD / HTTP/1.1\r\n\r\n");
	nreq = 2;
}

/* One frame on worker w in a buffer of exactly head + len + tail bytes. */
static void run_frame(const uint8_t *f, uint32_t len, unsigned w, uint32_t head, uint32_t tail)
{
	uint8_t *buf = malloc(head + len + tail);
	struct pl_buf b = { .headroom = head, .tailroom = tail, .len = len, .ifindex = 1 + w };
	struct pl_config *cfg;
	__u32 zero = 0;
	uint32_t out;
	int v;

	MUST(buf);
	memcpy(buf + head, f, len);
	b.data = buf + head;
	pl_worker_set(w);
	cfg = pl_table_lookup(&pl_config, &zero);
	v = pl_core_process(&b, &out);
	fuzz_check_result(v, cfg, &b, buf, head + len + tail);
	pl_worker_set(0);
	free(buf);
}

/* Every frame on both workers under the live policy, at a fixed time. */
static void run_frames(void)
{
	struct pl_resp_params *rp;
	struct pl_config *cfg;
	__u32 zero = 0;

	cfg = pl_table_lookup(&pl_config, &zero);
	MUST(cfg);
	cfg->clock_ns = PL_REPLAY_CLOCK_BASE_NS;
	rp = pl_table_lookup(&pl_resp_params, &zero);
	MUST(rp);
	for (unsigned i = 0; i < nreq; i++) {
		struct pl_hdrs h;

		MUST(pl_parse(req[i].b, req[i].b + req[i].len, &h) >= 0);
		pl_pkt_put32(&req[i], h.l4_off + 8, pl_cookie_make(rp, &h, cfg->clock_ns, 1460) + 1);
		pl_pkt_recsum(&req[i]);
	}
	for (unsigned w = 0; w < 2; w++) {
		for (unsigned i = 0; i < nframes; i++)
			run_frame(frames[i].b, frames[i].len, w, w ? 0 : 256, w ? 16 : 2048);
		for (unsigned i = 0; i < nreq; i++)
			run_frame(req[i].b, req[i].len, w, 256, w ? 0 : 2048);
	}
	for (unsigned w = 0; w < 2; w++) {
		const struct pl_counters *c = pl_table_lookup_worker(&pl_counters, &zero, w);

		MUST(fuzz_verdict_sum(c) == c->c[PL_CNT_RX_PACKETS]);
	}
}

/* With FUZZ_STATS set: every counter the frames moved, at exit. */
static void print_stats(void)
{
	fuzz_print_counters(user);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	make_frames();
	MUST(pl_core_init(2) == 0);
	user = pl_ctl_open_user();
	MUST(user);
	pl_table_for_each(count_shared, NULL);
	record_all(good);
	if (getenv("FUZZ_STATS"))
		atexit(print_stats);
	return 0;
}

/* Apply p with the write numbered fail (-1: none) failing; check the
 * outcome. Returns 0 when it was applied, and sets *nwrites. */
static int apply_checked(const struct pl_policy *p, long fail, long *nwrites)
{
	const struct pl_config *want = pl_policy_config(p);
	struct pl_config live;
	struct pl_err err;

	writes = 0;
	fail_at = fail;
	if (pl_policy_apply(&fctl, p, resolver, NULL, &err)) {
		fail_at = -1;
		MUST(!strncmp(err.msg, "fuzz.policy", 11));
		check_unchanged(err.msg);
		return -1;
	}
	fail_at = -1;
	*nwrites = writes;
	MUST(!pl_ctl_get_config(user, &live));
	live.clock_ns = want->clock_ns;
	live.acl_bank = want->acl_bank;
	MUST(live.lb_seed); /* the policy's, or kept or drawn by the apply */
	if (!want->lb_seed)
		live.lb_seed = 0;
	MUST(!memcmp(&live, want, sizeof(live)));
	run_frames();
	record_all(good);
	return 0;
}

/* The last policy that applied, and how many writes that took. */
static struct pl_policy *prev;
static long prev_writes;

/* One input: NUL-terminate and parse. A policy that parses is summarised
 * and applied (only unknown interfaces can make that fail); then the
 * policy applied before it is applied again with one of its writes
 * failing, which must leave the new policy in force. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char *text = malloc(n + 1);
	struct pl_policy *p;
	struct pl_err err;
	char sum[256];
	long nw;

	if (!text)
		return 0;
	memcpy(text, data, n);
	text[n] = '\0';
	if (pl_policy_parse_string(text, "fuzz.policy", &p, &err)) {
		MUST(!strncmp(err.msg, "fuzz.policy", 11)); /* every parse error names the file */
		free(text);
		return 0;
	}
	free(text);
	pl_policy_summary(p, sum, sizeof(sum));
	if (apply_checked(p, -1, &nw)) {
		pl_policy_free(p);
		return 0;
	}
	if (prev && !apply_checked(prev, (long)(fnv(data, n, 0xcbf29ce484222325ull) % (prev_writes + 1)), &nw)) {
		/* the failure fell past its last write: it is in force; back to p */
		MUST(!apply_checked(p, -1, &nw));
	}
	pl_policy_free(prev);
	prev = p;
	prev_writes = nw;
	return 0;
}
