// SPDX-License-Identifier: MIT
/* pl-parity-frames: a pcap for the parity tests until the project corpus
 * (tests/corpus) is built: every frame of the shared catalog (tests/lib
 * pl_shapes), each also cut at every length (as captured, and with the IP
 * and UDP lengths made to agree with the cut), so both builds see the
 * well-formed and the truncated cases of every header. Frames come from the
 * shared test packet builder; nothing here builds packets itself.
 *
 * Usage: pl-parity-frames OUT.pcap */
#include <stdio.h>
#include <string.h>
#include "plt_log.h"
#include "plt_pcap.h"
#include "pl_shapes.h"

/* Write one frame; counts it. */
static int put(struct plt_pcap_writer *w, const struct pl_pkt *p, uint64_t *n)
{
	int err = plt_pcap_write(w, p->b, p->len, *n * 1000);

	if (err)
		fprintf(stderr, "pl-parity-frames: write: %s\n", strerror(-err));
	(*n)++;
	return err;
}

/* Every shape, whole and cut at every length. */
int main(int argc, char **argv)
{
	struct plt_pcap_writer w = { 0 };
	uint64_t n = 0;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.pcap\n", argv[0]);
		return 2;
	}
	plt_log_init("pl-parity-frames", PLT_LOG_INFO);
	err = plt_pcap_create(&w, argv[1]); /* says what is wrong */
	if (err)
		return 2;
	for (unsigned i = 0; i < pl_nshapes && !err; i++) {
		static struct pl_pkt p;
		unsigned len;

		pl_shape_make(i, &p);
		len = p.len;
		err = put(&w, &p, &n);
		for (unsigned cut = 0; cut < len && !err; cut++) {
			pl_shape_make(i, &p);
			pl_pkt_truncate(&p, cut);
			err = put(&w, &p, &n);
			if (err)
				break;
			pl_shape_make(i, &p);
			pl_pkt_truncate_fix(&p, cut);
			err = put(&w, &p, &n);
		}
	}
	if (plt_pcap_finish(&w) || err)
		return 1;
	printf("%s: %llu frames from %u shapes\n", argv[1], (unsigned long long)n, pl_nshapes);
	return 0;
}
