// SPDX-License-Identifier: MIT
/* Classic pcap files (the libpcap "savefile" format): a 24-byte file header,
 * then per record a 16-byte header and the captured bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pl_pcap.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du

struct file_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct rec_hdr {
	uint32_t ts_sec, ts_frac, caplen, origlen;
};

/* Byte swap when reading a file of the other byte order. */
static uint32_t sw32(const struct pl_pcap *r, uint32_t v)
{
	return r->swapped ? __builtin_bswap32(v) : v;
}

/* Create path and write the file header (microsecond timestamps). */
int pl_pcap_create(struct pl_pcap *w, const char *path)
{
	struct file_hdr fh = { MAGIC_USEC, 2, 4, 0, 0, PL_PCAP_SNAPLEN, PL_PCAP_LINKTYPE_ETHERNET };

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wb");
	if (!w->f)
		return -errno;
	w->snaplen = PL_PCAP_SNAPLEN;
	w->linktype = PL_PCAP_LINKTYPE_ETHERNET;
	if (fwrite(&fh, sizeof(fh), 1, w->f) != 1) {
		int err = -errno;

		fclose(w->f);
		w->f = NULL;
		return err ? err : -EIO;
	}
	return 0;
}

/* Append one frame. */
int pl_pcap_write(struct pl_pcap *w, const void *data, uint32_t len, uint64_t ts_ns)
{
	struct rec_hdr rh;

	if (!w->f)
		return -EBADF;
	if (len > w->snaplen)
		return -EMSGSIZE;
	rh.ts_sec = (uint32_t)(ts_ns / 1000000000u);
	rh.ts_frac = (uint32_t)(ts_ns % 1000000000u / 1000u);
	rh.caplen = rh.origlen = len;
	if (fwrite(&rh, sizeof(rh), 1, w->f) != 1 || (len && fwrite(data, len, 1, w->f) != 1))
		return -EIO;
	w->nrec++;
	return 0;
}

/* Open a file for reading and check its header. */
int pl_pcap_open(struct pl_pcap *r, const char *path, char *err, size_t errlen)
{
	struct file_hdr fh;

	memset(r, 0, sizeof(*r));
	r->f = fopen(path, "rb");
	if (!r->f) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fread(&fh, sizeof(fh), 1, r->f) != 1) {
		snprintf(err, errlen, "%s: shorter than a pcap file header (is it a pcap file?)", path);
		goto bad;
	}
	if (fh.magic == MAGIC_USEC || fh.magic == MAGIC_NSEC) {
		r->swapped = 0;
	} else if (__builtin_bswap32(fh.magic) == MAGIC_USEC ||
		   __builtin_bswap32(fh.magic) == MAGIC_NSEC) {
		r->swapped = 1;
	} else {
		snprintf(err, errlen,
			 "%s: not a classic pcap file (magic 0x%08x; pcapng? convert it with `editcap -F pcap`)",
			 path, fh.magic);
		goto bad;
	}
	r->nsec = sw32(r, fh.magic) == MAGIC_NSEC;
	r->snaplen = sw32(r, fh.snaplen);
	r->linktype = sw32(r, fh.linktype) & 0xffff;
	if (r->linktype != PL_PCAP_LINKTYPE_ETHERNET) {
		snprintf(err, errlen, "%s: link type %u is not Ethernet (1)", path, r->linktype);
		goto bad;
	}
	if (!r->snaplen || r->snaplen > 262144)
		r->snaplen = 262144;
	r->buf = malloc(r->snaplen);
	if (!r->buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(r->f);
		r->f = NULL;
		return -ENOMEM;
	}
	return 0;
bad:
	fclose(r->f);
	r->f = NULL;
	return -EINVAL;
}

/* Read the next record. */
int pl_pcap_next(struct pl_pcap *r, struct pl_pcap_rec *rec, char *err, size_t errlen)
{
	struct rec_hdr rh;
	size_t n;

	if (!r->f)
		return -EBADF;
	n = fread(&rh, 1, sizeof(rh), r->f);
	if (n == 0)
		return 0;
	if (n != sizeof(rh)) {
		snprintf(err, errlen, "record %llu: header cut short (file truncated?)",
			 (unsigned long long)r->nrec);
		return -EINVAL;
	}
	rec->caplen = sw32(r, rh.caplen);
	rec->origlen = sw32(r, rh.origlen);
	if (rec->caplen > r->snaplen) {
		snprintf(err, errlen, "record %llu: captured length %u above the snap length %u",
			 (unsigned long long)r->nrec, rec->caplen, r->snaplen);
		return -EINVAL;
	}
	if (rec->caplen && fread(r->buf, rec->caplen, 1, r->f) != 1) {
		snprintf(err, errlen, "record %llu: data cut short (file truncated?)",
			 (unsigned long long)r->nrec);
		return -EINVAL;
	}
	rec->data = r->buf;
	rec->ts_ns = (uint64_t)sw32(r, rh.ts_sec) * 1000000000u +
		     (uint64_t)sw32(r, rh.ts_frac) * (r->nsec ? 1u : 1000u);
	r->nrec++;
	return 1;
}

/* Close a reader or writer. */
int pl_pcap_close(struct pl_pcap *p)
{
	int err = 0;

	if (!p)
		return 0;
	if (p->f && fclose(p->f))
		err = -errno;
	p->f = NULL;
	free(p->buf);
	p->buf = NULL;
	return err;
}
