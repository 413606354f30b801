// SPDX-License-Identifier: MIT
/* Unit test helpers (see tunit.h). */
#include "tunit.h"
#include "pl_shapes.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

const uint8_t TU_V6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
const uint8_t TU_V6_B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
const uint8_t TU_V6_C[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };

#define TU_AREA ((2 * PL_PKT_MAX + 4095) & ~4095) /* whole pages: the guard page follows */

static uint8_t *area; /* TU_AREA bytes, then a PROT_NONE page */

/* Copy the frame against the guard page. */
uint8_t *tu_place(const void *frame, uint32_t len)
{
	if (!area) {
		long pg = sysconf(_SC_PAGESIZE);
		uint8_t *m = mmap(NULL, TU_AREA + pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED || mprotect(m + TU_AREA, pg, PROT_NONE)) {
			perror("tu_place: mmap/mprotect");
			exit(2);
		}
		area = m;
	}
	if (len > TU_AREA)
		len = TU_AREA;
	memcpy(area + TU_AREA - len, frame, len);
	return area + TU_AREA - len;
}

/* Fresh core with the default configuration. */
void tu_reset(void)
{
	int err = pl_core_init(TU_WORKERS);

	if (err) {
		fprintf(stderr, "pl_core_init: %s\n", strerror(-err));
		exit(2);
	}
	pl_worker_set(0);
}

/* A pointer to the live configuration. */
struct pl_config *tu_cfg(void)
{
	struct pl_config *c = pl_core_config();

	if (!c) {
		fprintf(stderr, "no pl_config table\n");
		exit(2);
	}
	return c;
}

/* Counter summed over workers. */
uint64_t tu_cnt(enum pl_counter c)
{
	struct pl_table *t = pl_table_find("pl_counters");
	__u32 zero = 0;
	uint64_t sum = 0;

	for (unsigned w = 0; w < TU_WORKERS; w++) {
		struct pl_counters *v = pl_table_lookup_worker(t, &zero, w);

		if (v)
			sum += v->c[c];
	}
	return sum;
}

/* Run one frame through the core, against the guard page. */
int tu_run_on(const void *frame, uint32_t len, unsigned worker, uint32_t ifindex,
	      uint32_t *out_port, uint8_t **out)
{
	struct pl_buf b = { 0 };
	int v;

	b.data = tu_place(frame, len);
	b.len = len;
	b.headroom = (uint32_t)(TU_AREA - len);
	b.tailroom = 0;
	b.ifindex = ifindex;
	pl_worker_set(worker);
	v = pl_core_process(&b, out_port);
	pl_worker_set(0);
	if (out)
		*out = b.data;
	return v;
}

/* Run a built frame as worker 0 on ifindex 1. */
int tu_run(const struct pl_pkt *p)
{
	return tu_run_on(p->b, p->len, 0, 1, NULL, NULL);
}

/* An any-match rule. */
struct pl_acl_rule tu_rule(enum pl_acl_action action)
{
	struct pl_acl_rule r;

	memset(&r, 0, sizeof(r));
	r.sport_hi = r.dport_hi = 65535;
	r.action = (__u8)action;
	return r;
}

/* Set a v6 prefix (and its mask) of plen bits. */
static void set_prefix(struct pl_addr *a, struct pl_addr *m, const uint8_t addr[16], unsigned plen)
{
	memset(m, 0, sizeof(*m));
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;

		m->b[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		a->b[i] = addr[i] & m->b[i];
	}
}

/* A v4 prefix as v4-mapped v6 of 96 + plen bits. */
static void set_prefix4(struct pl_addr *a, struct pl_addr *m, uint32_t addr, unsigned plen)
{
	uint8_t b[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
			  addr >> 24, addr >> 16 & 0xff, addr >> 8 & 0xff, addr & 0xff };

	set_prefix(a, m, b, 96 + plen);
}

/* Narrow a rule to an IPv4 source prefix. */
void tu_rule_src4(struct pl_acl_rule *r, uint32_t addr, unsigned plen)
{
	set_prefix4(&r->src, &r->src_mask, addr, plen);
	r->family = 4;
}

/* Narrow a rule to an IPv4 destination prefix. */
void tu_rule_dst4(struct pl_acl_rule *r, uint32_t addr, unsigned plen)
{
	set_prefix4(&r->dst, &r->dst_mask, addr, plen);
	r->family = 4;
}

/* Narrow a rule to an IPv6 source prefix. */
void tu_rule_src6(struct pl_acl_rule *r, const uint8_t addr[16], unsigned plen)
{
	set_prefix(&r->src, &r->src_mask, addr, plen);
	r->family = 6;
}

/* Narrow a rule to an IPv6 destination prefix. */
void tu_rule_dst6(struct pl_acl_rule *r, const uint8_t addr[16], unsigned plen)
{
	set_prefix(&r->dst, &r->dst_mask, addr, plen);
	r->family = 6;
}

/* Write the idle bank whole, then flip. */
void tu_acl(const struct pl_acl_rule *rules, unsigned n)
{
	static struct pl_acl_set set;
	struct pl_config *cfg = tu_cfg();
	__u32 idle = (cfg->acl_bank & 1) ^ 1;

	memset(&set, 0, sizeof(set));
	set.count = n;
	memcpy(set.rule, rules, n * sizeof(*rules));
	CHECK(!pl_table_update(pl_table_find("pl_acl"), &idle, &set, PL_UPDATE_ANY), "acl write");
	cfg->acl_bank = idle;
	cfg->acl_rules = n != 0;
}

/* Add a steering entry and switch steering on. */
void tu_steer(uint8_t proto, uint16_t port, enum pl_verdict v)
{
	struct pl_steer_key k = { .proto = proto, .port = port };
	struct pl_steer_val val = { .action = v };

	CHECK(!pl_table_update(pl_table_find("pl_steer"), &k, &val, PL_UPDATE_ANY), "steer write");
	tu_cfg()->steer_enabled = 1;
}

/* A frame of one of the standard kinds: IPv4 or IPv6 (s6/d6 given), TCP
 * SYN or UDP, with a little payload. */
static void std_frame(struct pl_pkt *p, uint32_t s4, uint32_t d4, const uint8_t *s6,
		      const uint8_t *d6, int tcp, uint16_t sport, uint16_t dport)
{
	pl_pkt_init(p);
	if (s6)
		pl_shape_eth_v6(p, s6, d6);
	else
		pl_shape_eth_v4(p, &(struct pl_pkt_ip4){ .saddr = s4, .daddr = d4 });
	if (tcp)
		pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = sport, .dport = dport });
	else
		pl_pkt_udp(p, sport, dport);
	pl_pkt_fill(p, tcp ? 10 : 18, dport);
	pl_pkt_finish(p);
}

/* IPv4 TCP SYN with 10 bytes of data. */
void tu_v4_tcp(struct pl_pkt *p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	std_frame(p, saddr, daddr, NULL, NULL, 1, sport, dport);
}

/* IPv4 UDP with 18 bytes of data. */
void tu_v4_udp(struct pl_pkt *p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	std_frame(p, saddr, daddr, NULL, NULL, 0, sport, dport);
}

/* IPv6 TCP SYN with 10 bytes of data. */
void tu_v6_tcp(struct pl_pkt *p, const uint8_t s[16], const uint8_t d[16], uint16_t sport,
	       uint16_t dport)
{
	std_frame(p, 0, 0, s, d, 1, sport, dport);
}

/* IPv6 UDP with 18 bytes of data. */
void tu_v6_udp(struct pl_pkt *p, const uint8_t s[16], const uint8_t d[16], uint16_t sport,
	       uint16_t dport)
{
	std_frame(p, 0, 0, s, d, 0, sport, dport);
}
