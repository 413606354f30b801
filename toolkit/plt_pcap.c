// SPDX-License-Identifier: MIT
/* plt_pcap: pcap/pcapng in, pcap out, through libpcap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "plt_log.h"
#include "plt_pcap.h"

int plt_pcap_open(struct plt_pcap_reader *r, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	uint32_t magic = 0;
	int err;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->file = fopen(path, "rb");
	if (!r->file) {
		err = -errno;
		pr_warn("%s: cannot read: %s\n", path, strerror(errno));
		return err;
	}
	if (fread(&magic, 1, 4, r->file) != 4) {
		pr_warn("%s: not a pcap file (shorter than its 4-byte magic number)\n", path);
		goto err_close;
	}
	rewind(r->file);
	/* libpcap takes the FILE and closes it with the pcap_t. */
	r->pcap = pcap_fopen_offline_with_tstamp_precision(r->file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!r->pcap) {
		if (magic == 0x0a0d0d0a)
			pr_warn("%s: a damaged pcapng file: %s\n", path, errbuf);
		else if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
			 magic == 0x4d3cb2a1)
			pr_warn("%s: a damaged pcap file: %s\n", path, errbuf);
		else
			pr_warn("%s: not a pcap file (magic 0x%08x: neither pcap nor pcapng; %s)\n", path, magic,
				errbuf);
		goto err_close;
	}
	if (pcap_datalink(r->pcap) != DLT_EN10MB) {
		pr_warn("%s: link type %s (%d), not Ethernet: pathlab replays Ethernet frames\n", path,
			pcap_datalink_val_to_name(pcap_datalink(r->pcap)) ?: "?", pcap_datalink(r->pcap));
		pcap_close(r->pcap);
		r->pcap = NULL;
		r->file = NULL;
		return -EINVAL;
	}
	return 0;
err_close:
	fclose(r->file);
	r->file = NULL;
	return -EINVAL;
}

int plt_pcap_next(struct plt_pcap_reader *r, struct plt_pcap_frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(r->pcap, &h, &data);

	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		pr_warn("%s: frame %zu: %s (truncated or corrupt file?)\n", r->path, r->n,
			pcap_geterr(r->pcap));
		return -EINVAL;
	}
	*f = (struct plt_pcap_frame){
		.data = data,
		.len = h->caplen,
		.wire_len = h->len,
		.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec,
	};
	r->n++;
	return 1;
}

void plt_pcap_close(struct plt_pcap_reader *r)
{
	if (r->pcap)
		pcap_close(r->pcap); /* closes r->file too */
	else if (r->file)
		fclose(r->file);
	r->pcap = NULL;
	r->file = NULL;
}

int plt_pcap_load(const char *path, struct plt_pcap_file *pc)
{
	struct plt_pcap_reader r;
	struct plt_pcap_frame f;
	size_t cap = 0;
	int rc;

	memset(pc, 0, sizeof(*pc));
	pc->path = path;
	rc = plt_pcap_open(&r, path);
	if (rc)
		return rc;
	while ((rc = plt_pcap_next(&r, &f)) == 1) {
		uint8_t *copy = malloc(f.len ? f.len : 1);

		if (pc->n == cap) {
			struct plt_pcap_frame *nf;

			cap = cap ? 2 * cap : 256;
			nf = realloc(pc->f, cap * sizeof(*nf));
			if (!nf) {
				free(copy);
				rc = -ENOMEM;
				break;
			}
			pc->f = nf;
		}
		if (!copy) {
			rc = -ENOMEM;
			break;
		}
		memcpy(copy, f.data, f.len);
		f.data = copy;
		pc->f[pc->n++] = f;
		pc->shorter += f.wire_len > f.len;
	}
	plt_pcap_close(&r);
	if (rc == -ENOMEM)
		pr_warn("%s: out of memory after %zu frames\n", path, pc->n);
	if (rc) {
		plt_pcap_free(pc);
		return rc;
	}
	return 0;
}

void plt_pcap_free(struct plt_pcap_file *pc)
{
	for (size_t i = 0; i < pc->n; i++)
		free((void *)pc->f[i].data);
	free(pc->f);
	pc->f = NULL;
	pc->n = 0;
}

int plt_pcap_create(struct plt_pcap_writer *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->path = path;
	w->pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, PLT_PCAP_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (!w->pcap) {
		pr_warn("%s: cannot set up a pcap writer\n", path);
		return -ENOMEM;
	}
	w->dumper = pcap_dump_open(w->pcap, path);
	if (!w->dumper) {
		pr_warn("%s: cannot create: %s\n", path, pcap_geterr(w->pcap));
		pcap_close(w->pcap);
		w->pcap = NULL;
		return -EIO;
	}
	return 0;
}

int plt_pcap_write(struct plt_pcap_writer *w, const void *data, uint32_t len, uint64_t ts_ns)
{
	return plt_pcap_write_snap(w, data, len, len, ts_ns);
}

int plt_pcap_write_snap(struct plt_pcap_writer *w, const void *data, uint32_t caplen, uint32_t wire_len,
			uint64_t ts_ns)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = wire_len > caplen ? wire_len : caplen };

	/* With nanosecond precision, libpcap reads tv_usec as nanoseconds. */
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull);
	pcap_dump(w->dumper, &h, data);
	return ferror(pcap_dump_file(w->dumper)) ? -EIO : 0;
}

int plt_pcap_finish(struct plt_pcap_writer *w)
{
	int err = 0;

	if (w->dumper) {
		FILE *f = pcap_dump_file(w->dumper);

		if (fflush(f) || ferror(f)) {
			pr_warn("%s: write failed: %s\n", w->path, strerror(errno));
			err = -EIO;
		}
		pcap_dump_close(w->dumper);
	}
	if (w->pcap)
		pcap_close(w->pcap);
	w->dumper = NULL;
	w->pcap = NULL;
	return err;
}
