// SPDX-License-Identifier: MIT
/* Checksum helpers (core/pl_csum.h) against a reference full checksum
 * computed byte by byte in the test library (RFC 1071): full IPv4 header
 * sums, and RFC 1624 incremental updates of 16- and 32-bit fields checked
 * against recomputing the whole sum, including the 0x0000/0xffff corners. */
#include "tunit.h"

static uint32_t rng = 12345;

/* Deterministic pseudo-random numbers. */
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A random IPv4 header with a correct checksum (reference). */
static void random_iph(uint8_t h[20])
{
	for (int i = 0; i < 20; i++)
		h[i] = (uint8_t)rnd();
	h[0] = 0x45;
	h[10] = h[11] = 0;
	{
		uint16_t c = pl_pkt_csum(h, 20);

		h[10] = c >> 8;
		h[11] = c & 0xff;
	}
}

/* The checksum field as stored, in the core's (native) load. */
static __u16 ld16(const uint8_t *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return v;
}

static __u32 ld32(const uint8_t *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static void full_sums(void)
{
	uint8_t h[20];

	pl_check_context = "ipv4 header sum";
	for (int n = 0; n < 2000; n++) {
		random_iph(h);
		CHECK_EQ(pl_csum_ipv4_hdr20(h), ld16(h + 10));
		/* the reference sum over a header with its checksum is 0xffff */
		CHECK_EQ(pl_pkt_csum_sum(h, 20, 0), 0xffff);
		/* words helper + fold agree with the reference */
		CHECK_EQ((__u16)~pl_csum_fold32(pl_csum_words(h, 10, 0)), 0);
	}
	/* fold corners */
	CHECK_EQ(pl_csum_fold32(0xffffffffu), 0xffff);
	CHECK_EQ(pl_csum_fold32(0x0001ffffu), 0x0001);
	CHECK_EQ(pl_csum_fold32(0), 0);
	CHECK_EQ(pl_csum_fold64(0xffffffffffffffffull), 0xffff);
	CHECK_EQ(pl_csum_fold64(0x0000000100000000ull), 1);
	pl_check_context = "";
}

/* Change the 16-bit word at off to v: incremental vs recomputed. */
static void check_replace2(uint8_t h[20], unsigned off, uint16_t v)
{
	__u16 old = ld16(h + off), check = ld16(h + 10), inc;

	memcpy(h + off, &v, 2);
	inc = pl_csum_replace2(check, old, v);
	h[10] = h[11] = 0;
	{
		uint16_t ref = pl_pkt_csum(h, 20);
		uint8_t want[2] = { ref >> 8, ref & 0xff };

		CHECK(!memcmp(&inc, want, 2), "replace2 at %u: incremental %04x, recomputed %02x%02x",
		      off, inc, want[0], want[1]);
		memcpy(h + 10, want, 2);
	}
}

/* Change the 32-bit word at off (an address) to v. */
static void check_replace4(uint8_t h[20], unsigned off, __u32 v)
{
	__u32 old = ld32(h + off);
	__u16 check = ld16(h + 10), inc;

	memcpy(h + off, &v, 4);
	inc = pl_csum_replace4(check, old, v);
	h[10] = h[11] = 0;
	{
		uint16_t ref = pl_pkt_csum(h, 20);
		uint8_t want[2] = { ref >> 8, ref & 0xff };

		CHECK(!memcmp(&inc, want, 2), "replace4 at %u: incremental %04x, recomputed %02x%02x",
		      off, inc, want[0], want[1]);
		memcpy(h + 10, want, 2);
	}
}

static void incremental(void)
{
	static const uint16_t corner16[] = { 0, 0xffff, 1, 0xfffe, 0x8000, 0x7fff };
	static const __u32 corner32[] = { 0, 0xffffffffu, 1, 0xffff0000u, 0x0000ffffu };
	uint8_t h[20];

	pl_check_context = "RFC 1624";
	for (int n = 0; n < 5000; n++) {
		random_iph(h);
		check_replace2(h, 8, (uint16_t)rnd());  /* TTL + protocol */
		check_replace2(h, 4, (uint16_t)rnd());  /* id */
		check_replace4(h, 12, rnd());           /* source */
		check_replace4(h, 16, rnd());           /* destination */
		check_replace2(h, 6, ld16(h + 6));      /* no change */
	}
	for (unsigned a = 0; a < 6; a++)
		for (unsigned b = 0; b < 6; b++) {
			random_iph(h);
			memcpy(h + 4, &corner16[a], 2);
			h[10] = h[11] = 0;
			{
				uint16_t c = pl_pkt_csum(h, 20);

				h[10] = c >> 8;
				h[11] = c & 0xff;
			}
			check_replace2(h, 4, corner16[b]);
		}
	for (unsigned a = 0; a < 5; a++)
		for (unsigned b = 0; b < 5; b++) {
			random_iph(h);
			check_replace4(h, 12, corner32[a]);
			check_replace4(h, 12, corner32[b]);
		}

	/* An L4 checksum over the pseudo header: rewrite the IPv4 source
	 * of a TCP segment incrementally; the builder recomputes it. */
	pl_check_context = "RFC 1624 on TCP pseudo header";
	for (int n = 0; n < 200; n++) {
		struct pl_pkt p, q;
		__u32 nsrc = rnd();
		unsigned ip, tcp;
		__u16 check;

		tu_v4_tcp(&p, rnd(), rnd(), (uint16_t)rnd(), (uint16_t)rnd());
		ip = pl_pkt_off(&p, PL_PK_IPV4);
		tcp = pl_pkt_off(&p, PL_PK_TCP);
		q = p;
		memcpy(q.b + ip + 12, &nsrc, 4);
		pl_pkt_recsum(&q); /* reference for both checksums */
		check = pl_csum_replace4(ld16(p.b + tcp + 16), ld32(p.b + ip + 12), nsrc);
		CHECK_EQ(check, ld16(q.b + tcp + 16));
		check = pl_csum_replace4(ld16(p.b + ip + 10), ld32(p.b + ip + 12), nsrc);
		CHECK_EQ(check, ld16(q.b + ip + 10));
	}
	pl_check_context = "";
}

void test_csum(void)
{
	full_sums();
	incremental();
}
