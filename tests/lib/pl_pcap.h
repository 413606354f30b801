/* SPDX-License-Identifier: MIT */
/* Minimal classic pcap reader and writer (no libpcap): Ethernet link type,
 * microsecond or nanosecond timestamps, either byte order when reading.
 * Functions return 0 or -errno; err (when given) says what was wrong. */
#ifndef PL_PCAP_H
#define PL_PCAP_H

#include <stdint.h>
#include <stdio.h>

#define PL_PCAP_SNAPLEN 65535
#define PL_PCAP_LINKTYPE_ETHERNET 1

struct pl_pcap {
	FILE *f;
	int swapped; /* reading a file of the other byte order */
	int nsec;    /* timestamps in nanoseconds */
	uint32_t snaplen;
	uint32_t linktype;
	uint8_t *buf; /* reader: the current record's bytes */
	uint64_t nrec;
};

struct pl_pcap_rec {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t origlen;
	uint64_t ts_ns;
};

/* Create path (truncating it) and write the file header. */
int pl_pcap_create(struct pl_pcap *w, const char *path);
/* Append one frame with timestamp ts_ns. */
int pl_pcap_write(struct pl_pcap *w, const void *data, uint32_t len, uint64_t ts_ns);
/* Open path for reading; err gets "path: what is wrong". */
int pl_pcap_open(struct pl_pcap *r, const char *path, char *err, size_t errlen);
/* Next record: 1 with rec filled, 0 at the end, -errno on a damaged file. */
int pl_pcap_next(struct pl_pcap *r, struct pl_pcap_rec *rec, char *err, size_t errlen);
/* Close (flushes a writer). Returns 0 or -errno (a failed flush). Accepts a
 * zeroed or already closed struct. */
int pl_pcap_close(struct pl_pcap *p);

#endif
