/* SPDX-License-Identifier: MIT */
/* plt_pcap: frames in and out of capture files, through libpcap.
 *
 * Reading takes pcap (micro- or nanosecond, either byte order) and pcapng,
 * Ethernet link type only; timestamps come in nanoseconds. Writing makes
 * classic pcap with nanosecond timestamps. Errors name the file, the frame
 * and what is wrong.
 *
 * API, whole file:   struct plt_pcap_file pc;
 *                    err = plt_pcap_load("in.pcap", &pc);  // pc.f[0..pc.n)
 *                    plt_pcap_free(&pc);
 * API, streaming:    struct plt_pcap_reader r; struct plt_pcap_frame f;
 *                    plt_pcap_open(&r, path); while ((rc = plt_pcap_next(&r, &f)) == 1) ...;
 *                    plt_pcap_close(&r);
 * API, writing:      struct plt_pcap_writer w;
 *                    plt_pcap_create(&w, "out.pcap"); plt_pcap_write(&w, data, len, ts_ns);
 *                    err = plt_pcap_finish(&w);   // flush and close: -EIO if that failed
 * Functions return 0 (or 1 for "a frame") or -errno after a warning
 * (plt_log). Free/close/finish accept a zeroed struct. */
#ifndef PLT_PCAP_H
#define PLT_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PLT_PCAP_SNAPLEN 262144u

struct plt_pcap_frame {
	const uint8_t *data; /* captured bytes */
	uint32_t len;        /* captured length */
	uint32_t wire_len;   /* length on the wire */
	uint64_t ts_ns;
};

struct plt_pcap_reader {
	const char *path;
	void *pcap;   /* pcap_t */
	FILE *file;
	size_t n;     /* frames read so far */
};

int plt_pcap_open(struct plt_pcap_reader *r, const char *path);
/* 1 with f filled (valid until the next call), 0 at the end, -errno. */
int plt_pcap_next(struct plt_pcap_reader *r, struct plt_pcap_frame *f);
void plt_pcap_close(struct plt_pcap_reader *r);

/* A whole file in memory. */
struct plt_pcap_file {
	const char *path;
	struct plt_pcap_frame *f;
	size_t n;
	size_t shorter; /* frames captured shorter than on the wire */
};
int plt_pcap_load(const char *path, struct plt_pcap_file *pc);
void plt_pcap_free(struct plt_pcap_file *pc);

struct plt_pcap_writer {
	const char *path;
	void *pcap;   /* pcap_t (dead) */
	void *dumper; /* pcap_dumper_t */
};
int plt_pcap_create(struct plt_pcap_writer *w, const char *path);
int plt_pcap_write(struct plt_pcap_writer *w, const void *data, uint32_t len, uint64_t ts_ns);
/* A frame's first caplen bytes of wire_len. */
int plt_pcap_write_snap(struct plt_pcap_writer *w, const void *data, uint32_t caplen, uint32_t wire_len,
			uint64_t ts_ns);
int plt_pcap_finish(struct plt_pcap_writer *w);

#endif
