// SPDX-License-Identifier: MIT
/* plt_replay: the replay contract (geometry, clock, plres files). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "pl_user.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_replay.h"

_Static_assert(PLT_REPLAY_MAX_DATA == 3520, "the replay geometry is part of the plres contract");

const char *plt_replay_skip_reason(uint32_t len)
{
	if (len < PLT_REPLAY_MIN_DATA)
		return "shorter than an Ethernet header (14 bytes): BPF_PROG_TEST_RUN refuses it";
	if (len > PLT_REPLAY_MAX_FRAME)
		return "longer than the replay contract's longest frame (9216 bytes)";
	return NULL;
}

struct pl_buf plt_replay_buf(uint8_t *mem, const uint8_t *frame, uint32_t len, uint32_t ifindex,
			     uint32_t rx_queue)
{
	memcpy(mem + PLT_REPLAY_HEADROOM, frame, len);
	return (struct pl_buf){
		.data = mem + PLT_REPLAY_HEADROOM,
		.len = PLT_REPLAY_LINEAR(len),
		.headroom = PLT_REPLAY_HEADROOM,
		.tailroom = PLT_REPLAY_TAILROOM(len),
		.ifindex = ifindex,
		.rx_queue = rx_queue,
		.frags_len = len - PLT_REPLAY_LINEAR(len),
	};
}

int plt_replay_set_clock(struct pl_ctl *c, uint64_t i)
{
	struct pl_config cfg;
	int err = pl_ctl_get_config(c, &cfg);

	if (err)
		return err;
	cfg.clock_ns = plt_replay_clock_ns(i);
	return pl_ctl_set_config(c, &cfg);
}

int plt_plres_header(FILE *f, const char *build, const char *policy, const char *pcap)
{
	return fprintf(f, "# pathlab-results v1 build=%s policy=%s pcap=%s\n", build,
		       policy ? policy : "none", pcap) < 0 ? -EIO : 0;
}

int plt_plres_frame(FILE *f, uint64_t index, int verdict, uint32_t out_port, const uint8_t *data,
		    uint32_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (fprintf(f, "%" PRIu64 "\t%s\t%u\t", index, pl_verdict_name(verdict), out_port) < 0)
		return -EIO;
	for (uint32_t j = 0; j < len; j++) {
		putc(hex[data[j] >> 4], f);
		putc(hex[data[j] & 15], f);
	}
	return putc('\n', f) == EOF ? -EIO : 0;
}

/* Value of a hex digit, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One frame line (already split off its newline): parse, decode, call fn. */
static int plres_line(const char *path, size_t lineno, char *line, uint64_t nframes, uint8_t *seen,
		      plt_plres_fn fn, void *arg)
{
	char *fields[4], *b = line;
	unsigned long idx, port;
	size_t hexlen, nf;
	uint8_t *bytes;
	int v;

	/* split at tabs; the bytes field is empty for an empty frame */
	for (nf = 0; nf < 4; nf++) {
		fields[nf] = b;
		b = strchr(b, '\t');
		if (!b)
			break;
		*b++ = 0;
	}
	if (nf != 3 || b) {
		pr_warn("%s:%zu: expected 4 tab-separated fields: index, verdict, out_port, hex bytes\n", path,
			lineno);
		return -EINVAL;
	}
	if (plt_parse_ulong(fields[0], ~0ul, &idx)) {
		pr_warn("%s:%zu: bad frame index '%s'\n", path, lineno, fields[0]);
		return -EINVAL;
	}
	if (idx >= nframes) {
		pr_warn("%s:%zu: frame %lu, but the pcap has %" PRIu64 " frames (results of another pcap?)\n",
			path, lineno, idx, nframes);
		return -EINVAL;
	}
	if (seen[idx]) {
		pr_warn("%s:%zu: frame %lu listed twice\n", path, lineno, idx);
		return -EINVAL;
	}
	seen[idx] = 1;
	v = pl_verdict_parse(fields[1]);
	if (v < 0) {
		pr_warn("%s:%zu: unknown verdict '%s' (drop, pass, tx, redirect, user, aborted)\n", path, lineno,
			fields[1]);
		return -EINVAL;
	}
	if (plt_parse_ulong(fields[2], UINT32_MAX, &port)) {
		pr_warn("%s:%zu: bad out_port '%s'\n", path, lineno, fields[2]);
		return -EINVAL;
	}
	hexlen = strlen(fields[3]);
	if (hexlen % 2) {
		pr_warn("%s:%zu: odd number of hex digits (%zu)\n", path, lineno, hexlen);
		return -EINVAL;
	}
	bytes = (uint8_t *)fields[3]; /* decoded in place: output is half the size */
	for (size_t j = 0; j < hexlen; j += 2) {
		int hi = hexval(fields[3][j]), lo = hexval(fields[3][j + 1]);

		if (hi < 0 || lo < 0) {
			pr_warn("%s:%zu: not a hex digit at byte %zu of the frame field\n", path, lineno,
				j + (hi < 0 ? 0 : 1));
			return -EINVAL;
		}
		bytes[j / 2] = (uint8_t)(hi << 4 | lo);
	}
	return fn(arg, idx, v, (uint32_t)port, bytes, (uint32_t)(hexlen / 2));
}

int plt_plres_load(const char *path, uint64_t nframes, char *build, size_t buildlen, plt_plres_fn fn,
		   void *arg)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	uint8_t *seen;
	ssize_t got;
	int err = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		err = -errno;
		pr_warn("%s: cannot open: %s\n", path, strerror(errno));
		return err;
	}
	seen = calloc(nframes ? nframes : 1, 1);
	if (!seen) {
		fclose(f);
		return -ENOMEM;
	}
	while (!err && (got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = 0;
		if (lineno == 1) {
			const char *b = strstr(line, " build=");

			if (strncmp(line, "# pathlab-results v1", 20)) {
				pr_warn("%s:1: not a pathlab results file (the first line must be '# pathlab-results v1 build=NAME ...')\n",
					path);
				err = -EINVAL;
			} else if (build && buildlen) {
				build[0] = '\0';
				if (b)
					snprintf(build, buildlen, "%.*s", (int)strcspn(b + 7, " "), b + 7);
			}
			continue;
		}
		if (!got || line[0] == '#')
			continue;
		err = plres_line(path, lineno, line, nframes, seen, fn, arg);
	}
	if (!err && lineno == 0) {
		pr_warn("%s: empty file (not a pathlab results file)\n", path);
		err = -EINVAL;
	}
	free(seen);
	free(line);
	fclose(f);
	return err;
}
