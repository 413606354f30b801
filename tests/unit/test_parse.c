// SPDX-License-Identifier: MIT
/* Well-formed frames of every kind (the catalog in tests/lib/pl_shapes.c)
 * give the pl_hdrs the builder's own layer records predict; the individual
 * parsers agree; the pipeline counts each frame's protocols. */
#include "tunit.h"
#include "pl_shapes.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* What pl_parse() must report for a well-formed frame, derived from the
 * layers the builder recorded (not from the core). */
static void expect_from(const struct pl_pkt *p, struct pl_hdrs *e)
{
	unsigned i = 0;
	int ip = -1;

	memset(e, 0, sizeof(*e));
	for (i = 1; i < p->nlayers && p->layer[i].kind == PL_PK_VLAN; i++) {
		e->vlan_depth++;
		e->vlan_id = pl_pkt_get16(p, p->layer[i].off) & 0x0fff;
	}
	e->l3_off = i < p->nlayers ? p->layer[i].off : (uint16_t)(14 + 4 * e->vlan_depth);
	e->l3_proto = pl_pkt_get16(p, e->l3_off - 2);
	if (i < p->nlayers && (p->layer[i].kind == PL_PK_IPV4 || p->layer[i].kind == PL_PK_IPV6))
		ip = (int)i;
	if (ip < 0)
		return;
	const uint8_t *h = p->b + p->layer[ip].off;
	if (p->layer[ip].kind == PL_PK_IPV4) {
		uint16_t fo = pl_pkt_get16(p, p->layer[ip].off + 6);

		e->family = 4;
		e->l3_len = pl_pkt_get16(p, p->layer[ip].off + 2);
		e->ttl = h[8];
		e->ip_opts = (h[0] & 0xf) > 5;
		e->l4_proto = h[9];
		memset(&e->saddr, 0, sizeof(e->saddr));
		e->saddr.b[10] = e->saddr.b[11] = 0xff;
		e->daddr = e->saddr;
		memcpy(&e->saddr.b[12], h + 12, 4);
		memcpy(&e->daddr.b[12], h + 16, 4);
		e->frag = fo & 0x1fff ? PL_FRAG_LATER : fo & 0x2000 ? PL_FRAG_FIRST : PL_FRAG_NONE;
	} else {
		e->family = 6;
		e->l3_len = 40 + pl_pkt_get16(p, p->layer[ip].off + 4);
		e->ttl = h[7];
		memcpy(e->saddr.b, h + 8, 16);
		memcpy(e->daddr.b, h + 24, 16);
		e->l4_proto = h[6];
	}
	for (i = (unsigned)ip + 1; i < p->nlayers; i++) {
		const struct pl_pkt_layer *l = &p->layer[i];

		if (l->kind == PL_PK_IP6EXT || l->kind == PL_PK_IP6FRAG) {
			e->ip_opts = 1;
			e->l4_proto = p->b[l->off];
			if (l->kind == PL_PK_IP6FRAG) {
				uint16_t fo = pl_pkt_get16(p, l->off + 2);

				e->frag = fo & 0xfff8 ? PL_FRAG_LATER : fo & 1 ? PL_FRAG_FIRST : 0;
			}
			continue;
		}
		if (e->frag == PL_FRAG_LATER)
			break;
		switch (l->kind) {
		case PL_PK_TCP:
			e->tcp_flags = p->b[l->off + 13];
			/* fall through */
		case PL_PK_UDP:
			e->sport = pl_pkt_get16(p, l->off);
			e->dport = pl_pkt_get16(p, l->off + 2);
			e->l4_off = l->off;
			e->payload_off = l->off + l->len;
			break;
		case PL_PK_ICMP:
			e->l4_off = l->off;
			e->payload_off = l->off + 8;
			break;
		case PL_PK_ICMP6:
			e->l4_off = l->off;
			e->payload_off = l->off + 4; /* the core needs the 4-byte header */
			break;
		default:
			break;
		}
		break;
	}
}

/* Compare two pl_hdrs field by field. */
static void check_hdrs(const struct pl_hdrs *g, const struct pl_hdrs *e)
{
	CHECK_EQ(g->l3_off, e->l3_off);
	CHECK_EQ(g->l4_off, e->l4_off);
	CHECK_EQ(g->payload_off, e->payload_off);
	CHECK_EQ(g->l3_proto, e->l3_proto);
	CHECK_EQ(g->l3_len, e->l3_len);
	CHECK_EQ(g->sport, e->sport);
	CHECK_EQ(g->dport, e->dport);
	CHECK_EQ(g->vlan_id, e->vlan_id);
	CHECK_EQ(g->vlan_depth, e->vlan_depth);
	CHECK_EQ(g->family, e->family);
	CHECK_EQ(g->l4_proto, e->l4_proto);
	CHECK_EQ(g->frag, e->frag);
	CHECK_EQ(g->tcp_flags, e->tcp_flags);
	CHECK_EQ(g->ip_opts, e->ip_opts);
	CHECK_EQ(g->bad, 0);
	CHECK_EQ(g->ttl, e->ttl);
	CHECK(!memcmp(&g->saddr, &e->saddr, 16), "saddr");
	CHECK(!memcmp(&g->daddr, &e->daddr, 16), "daddr");
}

/* Every shape parses to what its layers say, and the pipeline counts it. */
static void shapes_parse(void)
{
	static char ctx[128];

	for (unsigned s = 0; s < pl_nshapes; s++) {
		struct pl_pkt p;
		struct pl_hdrs h, e;
		const char *name = pl_shape_make(s, &p);
		uint8_t *data;
		int v;

		snprintf(ctx, sizeof(ctx), "shape %s", name);
		pl_check_context = ctx;
		CHECK(!p.error, "builder error");
		data = tu_place(p.b, p.len);
		CHECK_EQ(pl_parse(data, data + p.len, &h), 0);
		expect_from(&p, &e);
		check_hdrs(&h, &e);

		/* Through the pipeline: default policy passes it, counts it. */
		tu_reset();
		v = tu_run(&p);
		CHECK_EQ(v, PL_PASS);
		CHECK_EQ(tu_cnt(PL_CNT_RX_PACKETS), 1);
		CHECK_EQ(tu_cnt(PL_CNT_RX_BYTES), p.len);
		CHECK_EQ(tu_cnt(PL_CNT_V_PASS), 1);
		CHECK_EQ(tu_cnt(PL_CNT_P_VLAN), e.vlan_depth ? 1 : 0);
		CHECK_EQ(tu_cnt(PL_CNT_P_IPV4), e.family == 4);
		CHECK_EQ(tu_cnt(PL_CNT_P_IPV6), e.family == 6);
		CHECK_EQ(tu_cnt(PL_CNT_P_ARP), e.l3_proto == 0x0806);
		CHECK_EQ(tu_cnt(PL_CNT_P_OTHER_L3), !e.family && e.l3_proto != 0x0806);
		CHECK_EQ(tu_cnt(PL_CNT_P_FRAGMENT), e.frag != 0);
		CHECK_EQ(tu_cnt(PL_CNT_P_TCP), e.family && e.l4_proto == IPPROTO_TCP);
		CHECK_EQ(tu_cnt(PL_CNT_P_UDP), e.family && e.l4_proto == IPPROTO_UDP);
		CHECK_EQ(tu_cnt(PL_CNT_P_ICMP), e.family && e.l4_proto == IPPROTO_ICMP);
		CHECK_EQ(tu_cnt(PL_CNT_P_ICMPV6), e.family && e.l4_proto == IPPROTO_ICMPV6);
		for (int c = PL_CNT_BAD_ETH; c <= PL_CNT_BAD_ICMP; c++)
			CHECK_EQ(tu_cnt(c), 0, "no bad_* counter");
	}
	pl_check_context = "";
}

/* The individual parsers on their own headers: cursors advance by exactly
 * the header length and stop on failure. */
static void parsers_direct(void)
{
	struct pl_pkt p;
	struct pl_hdrs h;
	struct pl_cursor cur;
	uint8_t *d;

	pl_check_context = "parsers";
	/* Ethernet + 2 tags */
	pl_shape_make(pl_shape_index("qinq-ipv6-tcpopts"), &p);
	d = tu_place(p.b, p.len);
	memset(&h, 0, sizeof(h));
	cur = (struct pl_cursor){ d, d + p.len };
	CHECK_EQ(pl_parse_eth(&cur, &h), pl_htons(PL_ETH_P_IPV6));
	CHECK_EQ((uint8_t *)cur.pos - d, 22);
	CHECK_EQ(h.vlan_depth, 2);
	CHECK_EQ(h.vlan_id, 4094);
	CHECK(pl_parse_ipv6(&cur, p.len - 22, &h) != NULL, "ipv6");
	CHECK_EQ((uint8_t *)cur.pos - d, 62);
	CHECK(pl_parse_tcp(&cur, d + p.len, &h) != NULL, "tcp");
	CHECK_EQ((uint8_t *)cur.pos - d, 62 + 32);
	CHECK_EQ(h.sport, 443);

	/* IPv4 with options: the cursor ends after the options. */
	pl_shape_make(pl_shape_index("ipv4opts-tcpopts-22"), &p);
	d = tu_place(p.b, p.len);
	memset(&h, 0, sizeof(h));
	cur = (struct pl_cursor){ d + 14, d + p.len };
	CHECK(pl_parse_ipv4(&cur, p.len - 14, &h) != NULL, "ipv4");
	CHECK_EQ((uint8_t *)cur.pos - d, 14 + 24);
	CHECK_EQ(h.ip_opts, 1);
	CHECK_EQ(h.ttl, 5);

	/* ARP: header plus both address pairs. */
	pl_shape_make(pl_shape_index("arp-request"), &p);
	d = tu_place(p.b, p.len);
	cur = (struct pl_cursor){ d + 14, d + p.len };
	CHECK(pl_parse_arp(&cur, &h) != NULL, "arp");
	CHECK(cur.pos == d + p.len, "arp consumed 28 bytes");
	/* one byte short */
	d = tu_place(p.b, p.len - 1);
	memset(&h, 0, sizeof(h));
	cur = (struct pl_cursor){ d + 14, d + p.len - 1 };
	CHECK(pl_parse_arp(&cur, &h) == NULL, "short arp");
	CHECK_EQ(h.bad, PL_CNT_BAD_ARP);

	/* The cursor refuses a pull past the end and does not move. */
	d = tu_place(p.b, 10);
	cur = (struct pl_cursor){ d, d + 10 };
	CHECK(pl_cursor_pull(&cur, 11) == NULL, "pull past end");
	CHECK(cur.pos == d, "cursor unmoved");
	CHECK(pl_cursor_pull(&cur, 10) == d, "pull to end");
	CHECK(pl_cursor_pull(&cur, 0) == d + 10, "empty pull at end");
	CHECK(pl_ptr(d, d + 10, 8, 2) == d + 8, "pl_ptr in bounds");
	CHECK(pl_ptr(d, d + 10, 9, 2) == NULL, "pl_ptr out of bounds");
	pl_check_context = "";
}

/* Fragments: a first fragment's UDP length is the whole datagram's (only
 * the 8-byte header must fit), and a later IPv6 fragment's data is not
 * walked as extension headers. */
static void fragments(void)
{
	/* A later fragment's data that, read as Destination Options, claims
	 * 2048 bytes. */
	static const uint8_t not_ext[16] = { 17, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
	struct pl_pkt p;
	struct pl_hdrs h;
	uint8_t *d;
	int udp;

	pl_check_context = "fragments";
	/* First fragment of a 3,008-byte UDP datagram (1,480 bytes here, 1,448
	 * for IPv6): only the UDP header must fit. */
	for (int v6 = 0; v6 < 2; v6++) {
		pl_pkt_init(&p);
		if (v6) {
			pl_shape_eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
			pl_pkt_ip6_frag(&p, 0, 1, 7);
		} else {
			pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .more_frags = 1, .id = 5 });
		}
		pl_pkt_udp(&p, 33000, 4242);
		pl_pkt_fill(&p, v6 ? 1440 : 1472, 1);
		pl_pkt_finish(&p);
		udp = pl_pkt_find(&p, PL_PK_UDP);
		pl_pkt_put16(&p, p.layer[udp].off + 4, 3008);
		d = tu_place(p.b, p.len);
		CHECK_EQ(pl_parse(d, d + p.len, &h), 0);
		CHECK_EQ(h.bad, 0);
		CHECK_EQ(h.frag, PL_FRAG_FIRST);
		CHECK_EQ(h.dport, 4242);
		CHECK_EQ(h.payload_off, p.layer[udp].off + 8);
	}
	/* The same UDP length without fragmentation is past the IP length. */
	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .id = 5 });
	pl_pkt_udp(&p, 33000, 4242);
	pl_pkt_fill(&p, 1472, 1);
	pl_pkt_finish(&p);
	pl_pkt_put16(&p, p.layer[pl_pkt_find(&p, PL_PK_UDP)].off + 4, 3008);
	d = tu_place(p.b, p.len);
	CHECK_EQ(pl_parse(d, d + p.len, &h), -1);
	CHECK_EQ(h.bad, PL_CNT_BAD_UDP);
	/* A first fragment too short for the UDP header stays malformed. */
	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .more_frags = 1, .id = 6 });
	pl_pkt_raw(&p, IPPROTO_UDP, not_ext, 6);
	pl_pkt_finish(&p);
	d = tu_place(p.b, p.len);
	CHECK_EQ(pl_parse(d, d + p.len, &h), -1);
	CHECK_EQ(h.bad, PL_CNT_BAD_UDP);

	/* IPv6 later fragment whose first fragment began with Destination
	 * Options: the walk stops at the Fragment header. */
	pl_pkt_init(&p);
	pl_shape_eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_ip6_frag(&p, 185, 0, 7);
	pl_pkt_raw(&p, IPPROTO_DSTOPTS, not_ext, sizeof(not_ext));
	pl_pkt_finish(&p);
	d = tu_place(p.b, p.len);
	CHECK_EQ(pl_parse(d, d + p.len, &h), 0);
	CHECK_EQ(h.bad, 0);
	CHECK_EQ(h.frag, PL_FRAG_LATER);
	CHECK_EQ(h.l4_proto, IPPROTO_DSTOPTS);
	CHECK_EQ(h.l4_off, 0);
	pl_check_context = "";
}

/* The guard page works: reading one byte past a placed frame faults. */
static void guard_page(void)
{
	static const uint8_t frame[3] = { 1, 2, 3 };
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		volatile uint8_t *d = tu_place(frame, sizeof(frame));
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 2); /* the sanitizer's report of the expected fault */
		alarm(5);
		(void)d[sizeof(frame)];
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork/wait");
	CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0),
	      "a read past the frame must fault (status 0x%x)", st);
}

/* A multi-buffer frame: a 9014-byte IPv4 UDP frame of which only the
 * first 3520 bytes are in memory (the linear part, against the guard page).
 * The IP and UDP lengths are checked against the whole frame; the core
 * counts all of it; lengths past the whole frame are still malformed. */
static void multi_buffer(void)
{
	static struct pl_pkt p;
	struct pl_hdrs h;
	struct pl_buf b = { 0 };
	uint32_t out = 0;
	uint8_t *d;

	pl_check_context = "multi-buffer";
	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .id = 9 });
	pl_pkt_udp(&p, 40000, 4242);
	pl_pkt_fill(&p, 9014 - 42, 9);
	pl_pkt_finish(&p);
	CHECK_EQ(p.len, 9014);
	d = tu_place(p.b, 3520);
	CHECK_EQ(pl_parse_frame(d, d + 3520, p.len, &h), 0, "headers in the first buffer, lengths over the frame");
	CHECK_EQ(h.l3_len, 9000);
	CHECK_EQ(h.dport, 4242);
	CHECK_EQ(pl_parse(d, d + 3520, &h), -1, "the same bytes as a whole frame are truncated");
	CHECK_EQ(h.bad, PL_CNT_BAD_IPV4);
	CHECK_EQ(pl_parse_frame(d, d + 3520, p.len - 1, &h), -1, "one byte short of the IP length");
	CHECK_EQ(h.bad, PL_CNT_BAD_IPV4);

	tu_reset();
	b.data = d;
	b.len = 3520;
	b.frags_len = p.len - 3520;
	b.ifindex = 1;
	pl_worker_set(0);
	CHECK_EQ(pl_core_process(&b, &out), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_RX_BYTES), 9014, "bytes counted over every buffer");
	CHECK_EQ(tu_cnt(PL_CNT_P_UDP), 1);
	CHECK_EQ(tu_cnt(PL_CNT_BAD_IPV4), 0);
	CHECK_EQ(pl_hw_adjust_tail(&b, -4), -22, "the tail is in a buffer the core does not reach");
	pl_check_context = "";
}

/* The well-formed parsing group. */
void test_parse(void)
{
	guard_page();
	shapes_parse();
	parsers_direct();
	fragments();
	multi_buffer();
}
