/* SPDX-License-Identifier: MIT */
/* Shared helpers of the stage tests: frame building, checksum checks and
 * the responder's default routes (written through any table writer). */
#ifndef STAGES_TEST_H
#define STAGES_TEST_H

#include "pl_platform.h"
#include "pl_types.h"
#include "pl_csum.h"
#include "stages/responder.h"
#include "stages/lb.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int st_failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                           \
			fprintf(stderr, "\n");                                  \
			st_failures++;                                          \
		}                                                               \
	} while (0)

/* The default routes of the responder (issue 3). */
struct st_route {
	const char *path;
	unsigned status;
	const char *ctype;
	const char *body;
};
PL_UNUSED static const struct st_route st_default_routes[] = {
	{ "/", 200, "text/plain", "Hello from XDP!" },
	{ "/api", 200, "application/json", "{\"status\":\"ok\"}" },
	{ "/health", 200, "text/plain", "OK" },
	{ "#404", 404, "text/plain", "Not Found" },
	{ "#405", 405, "text/plain", "Method Not Allowed" },
	{ "#400", 400, "text/plain", "Bad Request" },
};

/* Full one's-complement sum of n bytes (odd tail padded). */
PL_UNUSED static __u32 st_sum(const void *p, size_t n, __u32 sum)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (__u32)b[n - 1] << 8;
	return sum;
}

PL_UNUSED static __u16 st_fold(__u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Verify the IP header and L4 checksums of an untagged frame; 0 if right. */
PL_UNUSED static int st_verify_csums(const __u8 *f, size_t len)
{
	__u16 et = (__u16)(f[12] << 8 | f[13]);
	__u32 s;

	if (et == 0x0800) {
		const __u8 *ip = f + 14;
		unsigned ihl = (ip[0] & 15) * 4, tot = (unsigned)(ip[2] << 8 | ip[3]);

		if (14 + tot > len || st_fold(st_sum(ip, ihl, 0)) != 0xffff)
			return -1;
		if (ip[9] != 6 && ip[9] != 17)
			return 0;
		s = st_sum(ip + 12, 8, 0) + ip[9] + (tot - ihl);
		return st_fold(st_sum(ip + ihl, tot - ihl, s)) == 0xffff ? 0 : -2;
	}
	if (et == 0x86dd) {
		const __u8 *ip = f + 14;
		unsigned pl = (unsigned)(ip[4] << 8 | ip[5]);

		if (14 + 40 + pl > len)
			return -1;
		s = st_sum(ip + 8, 32, 0) + ip[6] + pl;
		return st_fold(st_sum(ip + 40, pl, s)) == 0xffff ? 0 : -2;
	}
	return -3;
}

/* Build Ethernet + IPv4/IPv6 + TCP (flags, seq, ack, optional MSS) +
 * payload into f; returns the frame length. */
PL_UNUSED static size_t st_tcp_frame(__u8 *f, int v6, const char *src, const char *dst, __u16 sport,
			   __u16 dport, __u8 flags, __u32 seq, __u32 ack, __u16 mss,
			   const char *payload)
{
	size_t plen = payload ? strlen(payload) : 0, tl = 20 + (mss ? 4 : 0), o;
	__u8 *ip = f + 14, *th;
	__u32 s;

	memset(f, 0, 14 + 40 + tl + plen);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (!v6) {
		f[12] = 0x08; f[13] = 0x00;
		ip[0] = 0x45; ip[2] = (__u8)((20 + tl + plen) >> 8); ip[3] = (__u8)(20 + tl + plen);
		ip[6] = 0x40; ip[8] = 64; ip[9] = 6;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
		s = ~st_fold(st_sum(ip, 20, 0)) & 0xffff;
		ip[10] = (__u8)(s >> 8); ip[11] = (__u8)s;
		th = ip + 20;
	} else {
		f[12] = 0x86; f[13] = 0xdd;
		ip[0] = 0x60; ip[4] = (__u8)((tl + plen) >> 8); ip[5] = (__u8)(tl + plen);
		ip[6] = 6; ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
		th = ip + 40;
	}
	th[0] = (__u8)(sport >> 8); th[1] = (__u8)sport;
	th[2] = (__u8)(dport >> 8); th[3] = (__u8)dport;
	th[4] = (__u8)(seq >> 24); th[5] = (__u8)(seq >> 16); th[6] = (__u8)(seq >> 8); th[7] = (__u8)seq;
	th[8] = (__u8)(ack >> 24); th[9] = (__u8)(ack >> 16); th[10] = (__u8)(ack >> 8); th[11] = (__u8)ack;
	th[12] = (__u8)((tl / 4) << 4);
	th[13] = flags;
	th[14] = 0xff; th[15] = 0xff;
	if (mss) {
		th[20] = 2; th[21] = 4; th[22] = (__u8)(mss >> 8); th[23] = (__u8)mss;
	}
	memcpy(th + tl, payload ? payload : "", plen);
	o = (size_t)(th - f) + tl + plen;
	if (!v6)
		s = st_sum(ip + 12, 8, 0) + 6 + (unsigned)(tl + plen);
	else
		s = st_sum(ip + 8, 32, 0) + 6 + (unsigned)(tl + plen);
	s = ~st_fold(st_sum(th, tl + plen, s)) & 0xffff;
	th[16] = (__u8)(s >> 8); th[17] = (__u8)s;
	return o;
}

#endif
