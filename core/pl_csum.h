/* SPDX-License-Identifier: MIT */
/* Internet checksums: RFC 1624 incremental updates for rewritten fields, and
 * full sums for headers the core builds. Plain C on both platforms. */
#ifndef PL_CSUM_H
#define PL_CSUM_H

#include "pl_platform.h"

/* Fold a 32-bit one's-complement accumulator to 16 bits (not inverted). */
PL_INLINE __u16 pl_csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Fold a 64-bit accumulator to 16 bits (not inverted). */
PL_INLINE __u16 pl_csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return pl_csum_fold32((__u32)sum);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from
 * old to new (both as stored in the packet). Returns the new checksum as
 * stored in the packet. */
PL_INLINE __u16 pl_csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old;
	sum += new;
	return (__u16)~pl_csum_fold32(sum);
}

/* The same for a 32-bit field (an IPv4 address, a sequence number). */
PL_INLINE __u16 pl_csum_replace4(__u16 check, __u32 old, __u32 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~(old & 0xffff);
	sum += (__u16)~(old >> 16);
	sum += new & 0xffff;
	sum += new >> 16;
	return (__u16)~pl_csum_fold32(sum);
}

/* Sum of nwords 16-bit words at p (p must have been bounds-checked for
 * 2 * nwords bytes). nwords is a compile-time bound in BPF callers. */
PL_INLINE __u32 pl_csum_words(const void *p, __u32 nwords, __u32 seed)
{
	const __u16 *w = (const __u16 *)p;
	__u32 sum = seed;
	__u32 i;

	for (i = 0; i < nwords; i++)
		sum += w[i];
	return sum;
}

/* Full IPv4 header checksum of a 20-byte header without options, as stored
 * in the packet (the check field is treated as zero). */
PL_INLINE __u16 pl_csum_ipv4_hdr20(const void *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;

	PL_UNROLL
	for (int i = 0; i < 10; i++)
		if (i != 5)
			sum += w[i];
	return (__u16)~pl_csum_fold32(sum);
}

#endif
