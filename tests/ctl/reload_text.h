/* SPDX-License-Identifier: MIT */
/* Policies at the size limits, for the reload tests of both backends: two
 * disjoint sets of each table's entries (set 0 and set 1), so a reload from
 * one to the other needs room for both at once. Interfaces are named
 * plt-iN (receiving, N = 0..63) and plt-o (the one out port); the tests'
 * resolvers map them. */
#ifndef PL_RELOAD_TEXT_H
#define PL_RELOAD_TEXT_H

#include <stdio.h>
#include <string.h>

#define RT_STEER 256  /* PL_STEER_MAX */
#define RT_FWD 64     /* PL_PORTS_MAX */
#define RT_ROUTES 26  /* PL_RESP_ROUTES_MAX minus the 6 default answers */
#define RT_DEFAULT_ROUTES 6
#define RT_LISTEN 64  /* PL_RESP_LISTEN_MAX */

/* Steering of 256 ports (set 0: udp 10000.., set 1: tcp 20000..). */
static inline void rt_steer(char *buf, size_t len, int set)
{
	snprintf(buf, len, "steer %s %d-%d user\n", set ? "tcp" : "udp", set ? 20000 : 10000,
		 (set ? 20000 : 10000) + RT_STEER - 1);
}

/* 64 redirect rules from plt-i0..63; set 1 uses plt-i64..127. */
static inline void rt_fwd(char *buf, size_t len, int set)
{
	size_t off = 0;

	for (int i = 0; i < RT_FWD && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "forward redirect from plt-i%d to plt-o\n",
					i + set * RT_FWD);
}

/* A responder with 64 listen statements and 27 routes of its own. */
static inline void rt_resp(char *buf, size_t len, int set)
{
	size_t off = 0;

	for (int i = 0; i < RT_LISTEN && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "responder listen any-destination %d\n",
					(set ? 30000 : 40000) + i);
	for (int i = 0; i < RT_ROUTES && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "route /%c%d 200 text/plain r%d\n",
					set ? 'b' : 'a', i, i);
}

/* "plt-iN" -> ifindex 1000 + N (the pl_fwd key), port 1; "plt-o" ->
 * out_ifindex, port 1. */
static inline int rt_resolve(const char *name, uint32_t out_ifindex, uint32_t *ifindex,
			     uint32_t *out_port)
{
	int n;

	*out_port = 1;
	if (!strcmp(name, "plt-o")) {
		*ifindex = out_ifindex;
		return 0;
	}
	if (sscanf(name, "plt-i%d", &n) == 1 && n >= 0 && n < 2 * RT_FWD) {
		*ifindex = 1000u + (uint32_t)n;
		return 0;
	}
	return -ENOENT;
}

#endif
