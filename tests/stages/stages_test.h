/* SPDX-License-Identifier: MIT */
/* Shared helpers of the stage tests: TCP frames (built with the test packet
 * builder, tests/lib/pl_pkt.h), checksum checks and the responder's default
 * routes (written through any table writer). Assertions: tests/lib/pl_check.h. */
#ifndef STAGES_TEST_H
#define STAGES_TEST_H

#include "pl_platform.h"
#include "pl_types.h"
#include "pl_csum.h"
#include "stages/responder.h"
#include "stages/lb.h"
#include "pl_pkt.h"
#include "pl_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default routes of the responder. */
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

/* Verify the IP header and L4 checksums of an untagged frame; 0 if right. */
PL_UNUSED static int st_verify_csums(const __u8 *f, size_t len)
{
	__u16 et = (__u16)(f[12] << 8 | f[13]);
	__u32 s;

	if (et == 0x0800) {
		const __u8 *ip = f + 14;
		unsigned ihl = (ip[0] & 15) * 4, tot = (unsigned)(ip[2] << 8 | ip[3]);

		if (14 + tot > len || pl_pkt_csum(ip, ihl) != 0)
			return -1;
		if (ip[9] != 6 && ip[9] != 17)
			return 0;
		s = pl_pkt_csum_sum(ip + 12, 8, ip[9] + (tot - ihl));
		return pl_pkt_csum_sum(ip + ihl, tot - ihl, s) == 0xffff ? 0 : -2;
	}
	if (et == 0x86dd) {
		const __u8 *ip = f + 14;
		unsigned pl = (unsigned)(ip[4] << 8 | ip[5]);

		if (14 + 40 + pl > len)
			return -1;
		s = pl_pkt_csum_sum(ip + 8, 32, ip[6] + pl);
		return pl_pkt_csum_sum(ip + 40, pl, s) == 0xffff ? 0 : -2;
	}
	return -3;
}

/* Ethernet (02:00:00:00:00:01 -> 02:00:00:00:00:02) + IPv4 (DF, TTL 64)
 * or IPv6 + TCP (flags, seq, ack, window 65535, an MSS option unless mss
 * is 0) + payload, built with the test packet builder into f; returns the
 * frame length. */
PL_UNUSED static size_t st_tcp_frame(__u8 *f, int v6, const char *src, const char *dst, __u16 sport,
			   __u16 dport, __u8 flags, __u32 seq, __u32 ack, __u16 mss,
			   const char *payload)
{
	static const uint8_t mac_cli[6] = { 2, 0, 0, 0, 0, 1 }, mac_srv[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t opt[4] = { 2, 4, (uint8_t)(mss >> 8), (uint8_t)mss };
	struct pl_pkt p;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, mac_srv, mac_cli);
	if (!v6) {
		struct pl_pkt_ip4 ip = { .dont_frag = 1 };
		struct in_addr a;

		inet_pton(AF_INET, src, &a);
		ip.saddr = ntohl(a.s_addr);
		inet_pton(AF_INET, dst, &a);
		ip.daddr = ntohl(a.s_addr);
		pl_pkt_ipv4(&p, &ip);
	} else {
		struct pl_pkt_ip6 ip = { 0 };

		inet_pton(AF_INET6, src, ip.saddr);
		inet_pton(AF_INET6, dst, ip.daddr);
		pl_pkt_ipv6(&p, &ip);
	}
	pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = sport, .dport = dport, .seq = seq, .ack = ack,
					     .flags = flags, .opts = mss ? opt : NULL,
					     .optlen = mss ? 4 : 0 });
	if (payload)
		pl_pkt_payload(&p, payload, (unsigned)strlen(payload));
	pl_pkt_finish(&p);
	if (p.error) {
		fprintf(stderr, "st_tcp_frame: the frame does not fit\n");
		exit(2);
	}
	memcpy(f, p.b, p.len);
	return p.len;
}

#endif
