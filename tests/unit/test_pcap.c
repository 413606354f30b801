// SPDX-License-Identifier: MIT
/* The test library's pcap reader and writer: a round trip keeps bytes and
 * timestamps; the reader takes the other byte order and nanosecond files;
 * damaged files are errors that say what is wrong, never a crash. */
#include "tunit.h"
#include "pl_pcap.h"
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Write raw bytes to path. */
static void put_file(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(b, 1, n, f) == n, "write %s", path);
	if (f)
		fclose(f);
}

/* Write frames, read them back: same bytes, lengths and times. */
static void round_trip(const char *path)
{
	struct pl_pcap w, r;
	struct pl_pcap_rec rec;
	struct pl_pkt p;
	char err[256];
	unsigned n = 0;

	CHECK_EQ(pl_pcap_create(&w, path), 0);
	for (unsigned i = 0; i < 5; i++) {
		tu_v4_udp(&p, TU_V4_A, TU_V4_B, (uint16_t)i, 9);
		CHECK_EQ(pl_pcap_write(&w, p.b, p.len - i, 1000000000ull * i + 7000ull * i), 0);
	}
	CHECK_EQ(pl_pcap_write(&w, p.b, 0, 0), 0); /* an empty record */
	CHECK_EQ(pl_pcap_close(&w), 0);
	CHECK_EQ(pl_pcap_open(&r, path, err, sizeof(err)), 0);
	while (pl_pcap_next(&r, &rec, err, sizeof(err)) == 1) {
		if (n < 5) {
			tu_v4_udp(&p, TU_V4_A, TU_V4_B, (uint16_t)n, 9);
			CHECK_EQ(rec.caplen, p.len - n);
			CHECK_EQ(rec.origlen, p.len - n);
			CHECK(!memcmp(rec.data, p.b, rec.caplen), "bytes of record %u", n);
			CHECK_EQ(rec.ts_ns, 1000000000ull * n + 7000ull * n);
		} else {
			CHECK_EQ(rec.caplen, 0);
		}
		n++;
	}
	CHECK_EQ(n, 6);
	pl_pcap_close(&r);
	CHECK_EQ(pl_pcap_close(&r), 0); /* twice is fine */
}

/* Big-endian nanosecond files, and every kind of damage. */
static void other_formats(const char *path)
{
	/* big-endian, nanosecond magic, one 4-byte record at 2 s + 5 ns */
	static const uint8_t be_ns[] = {
		0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1,
		0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 60, 0xde, 0xad, 0xbe, 0xef,
	};
	struct pl_pcap r;
	struct pl_pcap_rec rec;
	char err[256];
	uint8_t bad[sizeof(be_ns)];

	put_file(path, be_ns, sizeof(be_ns));
	CHECK_EQ(pl_pcap_open(&r, path, err, sizeof(err)), 0);
	CHECK_EQ(pl_pcap_next(&r, &rec, err, sizeof(err)), 1);
	CHECK_EQ(rec.ts_ns, 2000000005ull);
	CHECK(rec.caplen == 4 && rec.origlen == 60 && rec.data[0] == 0xde, "record");
	CHECK_EQ(pl_pcap_next(&r, &rec, err, sizeof(err)), 0);
	pl_pcap_close(&r);

	/* damaged: cut data, cut record header, huge caplen, bad magic, not
	 * Ethernet, shorter than the file header, missing */
	put_file(path, be_ns, sizeof(be_ns) - 1);
	CHECK_EQ(pl_pcap_open(&r, path, err, sizeof(err)), 0);
	CHECK((int)pl_pcap_next(&r, &rec, err, sizeof(err)) < 0 && strstr(err, "cut short"), "%s", err);
	pl_pcap_close(&r);
	put_file(path, be_ns, 30);
	CHECK_EQ(pl_pcap_open(&r, path, err, sizeof(err)), 0);
	CHECK((int)pl_pcap_next(&r, &rec, err, sizeof(err)) < 0 && strstr(err, "cut short"), "%s", err);
	pl_pcap_close(&r);
	memcpy(bad, be_ns, sizeof(bad));
	bad[32] = 0x7f;
	put_file(path, bad, sizeof(bad));
	CHECK_EQ(pl_pcap_open(&r, path, err, sizeof(err)), 0);
	CHECK((int)pl_pcap_next(&r, &rec, err, sizeof(err)) < 0 && strstr(err, "snap length"), "%s", err);
	pl_pcap_close(&r);
	memcpy(bad, be_ns, sizeof(bad));
	bad[0] = 0x0a;
	put_file(path, bad, sizeof(bad));
	CHECK(pl_pcap_open(&r, path, err, sizeof(err)) < 0 && strstr(err, "not a classic pcap"), "%s", err);
	memcpy(bad, be_ns, sizeof(bad));
	bad[23] = 105;
	put_file(path, bad, sizeof(bad));
	CHECK(pl_pcap_open(&r, path, err, sizeof(err)) < 0 && strstr(err, "not Ethernet"), "%s", err);
	put_file(path, be_ns, 10);
	CHECK(pl_pcap_open(&r, path, err, sizeof(err)) < 0 && strstr(err, "shorter"), "%s", err);
	unlink(path);
	CHECK(pl_pcap_open(&r, path, err, sizeof(err)) == -ENOENT, "%s", err);
}

/* The pcap group, in a scratch file. */
void test_pcap(void)
{
	char path[] = "/tmp/plt-u-pcap.XXXXXX";
	int fd = mkstemp(path);

	pl_check_context = "pcap";
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	close(fd);
	round_trip(path);
	other_formats(path);
	unlink(path);
	pl_check_context = "";
}
