/* SPDX-License-Identifier: MIT */
/* A catalog of well-formed frames of every kind the core parses (Ethernet,
 * VLAN stacks, ARP, IPv4 with options and fragments, IPv6 with extension
 * headers and fragments, TCP with options, UDP, ICMP, ICMPv6, other
 * ethertypes and protocols). Shared by the unit tests (which cut and corrupt
 * each one) and the corpus generator. Deterministic. */
#ifndef PL_SHAPES_H
#define PL_SHAPES_H

#include "pl_pkt.h"

struct pl_shape {
	const char *name;
	void (*build)(struct pl_pkt *p); /* appends the layers to a fresh frame */
	unsigned pad;                    /* Ethernet padding to this length after finishing */
};

extern const struct pl_shape pl_shapes[];
extern const unsigned pl_nshapes;

/* Build shape i into p (init, layers, finish, padding); its name. */
const char *pl_shape_make(unsigned i, struct pl_pkt *p);
/* Index of the shape called name, or -1. */
int pl_shape_index(const char *name);

/* Addresses the shapes use. */
#define PL_SHAPE_V4_SRC PL_PKT_IP4(10, 1, 0, 1)
#define PL_SHAPE_V4_DST PL_PKT_IP4(10, 2, 0, 2)
extern const uint8_t PL_SHAPE_V6_SRC[16], PL_SHAPE_V6_DST[16];

/* Building blocks for frame generators: Ethernet (+ tags) then IPv4/IPv6
 * between the shape addresses. */
void pl_shape_eth_v4(struct pl_pkt *p, const struct pl_pkt_ip4 *ip);
void pl_shape_eth_v6(struct pl_pkt *p);
/* TCP options every shape with options uses: MSS, SACK-permitted, window
 * scale, timestamps (20 bytes). */
extern const uint8_t pl_shape_tcp_opts[20];

#endif
