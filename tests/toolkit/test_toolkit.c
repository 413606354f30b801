// SPDX-License-Identifier: MIT
/* Unit tests of libpathlab-toolkit: option and command tables (with
 * --version and the XDP mode options every loader shares), the replay
 * contract (geometry, plres with policy=none, reading back), pcap written
 * and read back through libpcap. */
#define PL_CHECK_MAIN
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pl_check.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_pcap.h"
#include "plt_replay.h"
#include "plt_xdp.h"
#include "pl_version.h"

struct t_opts {
	int flag, verbose, mode;
	const char *str;
	unsigned long num;
	double secs;
	int fn_calls;
	uint32_t u32, guard; /* guard: a U32 write must not spill past u32 */
	double dbl;
};

static const char *const t_modes[] = { "auto", "native", "generic", NULL };

static int t_fn(void *field, const char *arg)
{
	int *calls = field;

	if (!strcmp(arg, "bad"))
		return -EINVAL;
	(*calls)++;
	return 0;
}

#define O(f) offsetof(struct t_opts, f)
static const struct plt_opt t_table[] = {
	{ "flag", 'f', PLT_OPT_FLAG, O(flag), NULL, "a flag" },
	{ "str", 's', PLT_OPT_STR, O(str), "S", "a string" },
	{ "num", 0, PLT_OPT_UINT, O(num), "N", "a number", .min = 1, .max = 10 },
	{ "secs", 0, PLT_OPT_SECONDS, O(secs), "SEC", "seconds" },
	{ "mode", 'm', PLT_OPT_ENUM, O(mode), "MODE", "a mode", .names = t_modes },
	{ "fn", 0, PLT_OPT_FUNC, O(fn_calls), "X", "a callback", .fn = t_fn },
	{ "u32", 0, PLT_OPT_U32, O(u32), "N", "a 32-bit number" },
	{ "dbl", 0, PLT_OPT_DOUBLE, O(dbl), "X", "a number up to 3600", .max = 3600 },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static int t_cmd_ran;
static int t_cmd(void *opts, int n, char **args)
{
	(void)opts;
	(void)args;
	t_cmd_ran = n;
	return 7;
}

static const struct plt_cmd t_cmds[] = {
	{ "go", "A [B]", "run", 1, 2, t_cmd },
};

static const struct plt_tool t_tool = { .name = "t", .usage = "[options]", .opts = t_table,
					.nopts = PLT_ARRAY_SIZE(t_table), .cmds = t_cmds, .ncmds = 1 };

/* Parse a NULL-terminated argument list. */
static int t_parse(struct t_opts *o, const char *const *av, int *nargs, char ***args)
{
	static char *argv[16];
	int argc = 0;

	while (av[argc]) {
		argv[argc] = (char *)av[argc];
		argc++;
	}
	memset(o, 0, sizeof(*o));
	return plt_opts_parse(&t_tool, argc, argv, 1, o, nargs, args);
}

static void test_opts(void)
{
	struct t_opts o;
	char **args;
	int n;

	pl_check_context = "opts";
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "-f", "x", "--str", "hi", "--num", "1e1", "--secs", "0.5",
					       "-m", "generic", "--fn", "a", "-vv", "y", NULL },
			 &n, &args), 0);
	CHECK_EQ(o.flag, 1);
	CHECK(o.str && !strcmp(o.str, "hi"), "str %s", o.str);
	CHECK_EQ(o.num, 10, "1e1 accepted");
	CHECK(o.secs == 0.5, "secs %g", o.secs);
	CHECK_EQ(o.mode, 2);
	CHECK_EQ(o.fn_calls, 1);
	CHECK_EQ(o.verbose, 2);
	CHECK_EQ(n, 2, "operands after permutation");
	CHECK(n == 2 && !strcmp(args[0], "x") && !strcmp(args[1], "y"), "operands");
	plt_log_set_level(PLT_LOG_INFO);
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--num", "11", NULL }, &n, &args), -EINVAL, "above max");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--num", "0", NULL }, &n, &args), -EINVAL, "below min");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--secs", "0", NULL }, &n, &args), -EINVAL, "zero seconds");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "-m", "x", NULL }, &n, &args), -EINVAL, "unknown enum");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--fn", "bad", NULL }, &n, &args), -EINVAL, "callback refuses");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--nope", NULL }, &n, &args), -EINVAL, "unknown option");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--u32", "4294967295", "--dbl", "3600", NULL }, &n, &args), 0);
	CHECK_EQ(o.u32, UINT32_MAX, "U32 takes 2^32-1");
	CHECK_EQ(o.guard, 0, "U32 writes 4 bytes only");
	CHECK(o.dbl == 3600, "DOUBLE up to its max: %g", o.dbl);
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--u32", "4294967296", NULL }, &n, &args), -EINVAL, "U32 above 2^32-1");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--u32", "-1", NULL }, &n, &args), -EINVAL, "U32 negative");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--dbl", "3600.5", NULL }, &n, &args), -EINVAL, "DOUBLE above max");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--dbl", "-1", NULL }, &n, &args), -EINVAL, "DOUBLE negative");
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "-h", NULL }, &n, &args), PLT_OPTS_HELP);
	CHECK(plt_opts_find(&t_tool, "--str") == &t_table[1], "find --str");
	CHECK(plt_opts_find(&t_tool, "--str=x") == &t_table[1], "find --str=x");
	CHECK(plt_opts_find(&t_tool, "-f") == &t_table[0], "find -f");
	CHECK(!plt_opts_find(&t_tool, "--st") && !plt_opts_find(&t_tool, "-fx") &&
		      !plt_opts_find(&t_tool, "str") && !plt_opts_find(&t_tool, "--no-huge"),
	      "find: only whole option names");
}

static void test_cmds(void)
{
	struct t_opts o = { 0 };
	char *go1[] = { "t", "go", "a", NULL }, *go3[] = { "t", "go", "a", "b", "c", NULL };
	char *none[] = { "t", "stop", NULL }, *help[] = { "t", "help", NULL };

	pl_check_context = "cmds";
	CHECK_EQ(plt_cmd_main(&t_tool, 3, go1, &o), 7, "the command's status");
	CHECK_EQ(t_cmd_ran, 1);
	CHECK_EQ(plt_cmd_main(&t_tool, 5, go3, &o), 2, "too many arguments");
	CHECK_EQ(plt_cmd_main(&t_tool, 2, none, &o), 2, "unknown command");
	CHECK_EQ(plt_cmd_main(&t_tool, 2, help, &o), 0, "help");
}

/* --version: "NAME (pathlab) VERSION" from meson's project version, on every
 * tool, with and without commands, listed in --help. */
static void test_version(void)
{
	char *go[] = { "t", "go", "--version", NULL }, *top[] = { "t", "--version", NULL };
	char *buf = NULL, expect[128];
	size_t len = 0;
	struct t_opts o;
	char **args;
	FILE *f;
	int n;

	pl_check_context = "version";
	f = open_memstream(&buf, &len);
	plt_version("pl-x", f);
	fclose(f);
	snprintf(expect, sizeof(expect), "pl-x (pathlab) %s\n", PL_VERSION);
	CHECK(buf && !strcmp(buf, expect), "plt_version wrote '%s'", buf ? buf : "(null)");
	CHECK(PL_VERSION[0] >= '0' && PL_VERSION[0] <= '9', "PL_VERSION '%s' is a version", PL_VERSION);
	free(buf);
	CHECK_EQ(t_parse(&o, (const char *[]){ "t", "--version", "x", NULL }, &n, &args), PLT_OPTS_HELP);
	t_cmd_ran = 0;
	CHECK_EQ(plt_cmd_main(&t_tool, 3, go, &o), 0, "COMMAND --version");
	CHECK_EQ(plt_cmd_main(&t_tool, 2, top, &o), 0, "TOOL --version");
	CHECK_EQ(t_cmd_ran, 0, "--version runs no command");
	buf = NULL;
	f = open_memstream(&buf, &len);
	plt_usage(&t_tool, f);
	fclose(f);
	CHECK(buf && strstr(buf, "--version"), "--help lists --version");
	free(buf);
}

/* The XDP mode options: pathlab's names, xdp-tools' (drv, skb, hw) and the
 * kernel samples' flags -N, -S, -O. */
struct t_mode_opts {
	int mode;
};
static const struct plt_opt t_mode_table[] = {
	PLT_XDP_MODE_OPTS("mode", 'm', offsetof(struct t_mode_opts, mode), "mode"),
};
static const struct plt_tool t_mode_tool = { .name = "t", .usage = "", .opts = t_mode_table,
					     .nopts = PLT_ARRAY_SIZE(t_mode_table) };

static int t_mode(const char *a, const char *b)
{
	char *argv[] = { "t", (char *)a, (char *)b, NULL };
	struct t_mode_opts o = { .mode = -1 };
	char **args;
	int n;

	if (plt_opts_parse(&t_mode_tool, b ? 3 : 2, argv, 1, &o, &n, &args))
		return -100;
	return o.mode;
}

static void test_xdp_modes(void)
{
	pl_check_context = "xdp modes";
	CHECK_EQ(t_mode("-N", NULL), PLT_XDP_NATIVE);
	CHECK_EQ(t_mode("-S", NULL), PLT_XDP_GENERIC);
	CHECK_EQ(t_mode("-O", NULL), PLT_XDP_OFFLOAD);
	CHECK_EQ(t_mode("--skb-mode", NULL), PLT_XDP_GENERIC);
	CHECK_EQ(t_mode("--native-mode", NULL), PLT_XDP_NATIVE);
	CHECK_EQ(t_mode("--offload-mode", NULL), PLT_XDP_OFFLOAD);
	CHECK_EQ(t_mode("--mode", "native"), PLT_XDP_NATIVE);
	CHECK_EQ(t_mode("--mode", "drv"), PLT_XDP_NATIVE);
	CHECK_EQ(t_mode("--mode", "skb"), PLT_XDP_GENERIC);
	CHECK_EQ(t_mode("-m", "generic"), PLT_XDP_GENERIC);
	CHECK_EQ(t_mode("--mode", "hw"), PLT_XDP_OFFLOAD);
	CHECK_EQ(t_mode("--mode", "offload"), PLT_XDP_OFFLOAD);
	CHECK_EQ(t_mode("--mode", "auto"), PLT_XDP_AUTO);
	CHECK_EQ(t_mode("--mode", "nic"), -100, "an unknown mode is refused");
	CHECK_EQ(t_mode("-S", "-N"), PLT_XDP_NATIVE, "the last flag wins");
}

struct t_rec {
	unsigned n;
	uint64_t idx[4];
	int verdict[4];
	uint32_t len[4];
	uint8_t first[4];
};

static int t_put(void *arg, uint64_t index, int verdict, uint32_t out_port, const uint8_t *data, uint32_t len)
{
	struct t_rec *r = arg;

	(void)out_port;
	r->idx[r->n] = index;
	r->verdict[r->n] = verdict;
	r->len[r->n] = len;
	r->first[r->n] = len ? data[0] : 0;
	r->n++;
	return 0;
}

static void test_replay(void)
{
	static uint8_t mem[PLT_REPLAY_BUF_SIZE];
	uint8_t frame[60] = { 0xab, 0xcd };
	char path[] = "/tmp/plt-tk-XXXXXX", line[256], build[32];
	struct t_rec rec = { 0 };
	struct pl_buf b;
	FILE *f;
	int fd;

	pl_check_context = "replay";
	b = plt_replay_buf(mem, frame, sizeof(frame), 1, 0);
	CHECK_EQ(b.headroom, 256);
	CHECK_EQ(b.tailroom, 3520 - 60, "tailroom is 3520 - len");
	CHECK(b.data == mem + 256 && b.data[0] == 0xab, "frame after the headroom");
	CHECK(plt_replay_skip_reason(13) != NULL, "runt skipped");
	CHECK_EQ(b.frags_len, 0, "a short frame is linear");
	CHECK(plt_replay_skip_reason(9217) != NULL, "too long skipped");
	CHECK(plt_replay_skip_reason(3520) == NULL, "3520 replayed");
	CHECK(plt_replay_skip_reason(9014) == NULL, "a jumbo frame replayed");
	{
		static uint8_t jumbo[9014] = { 0x12 };

		jumbo[3520] = 0x34;
		b = plt_replay_buf(mem, jumbo, sizeof(jumbo), 1, 0);
		CHECK_EQ(b.len, 3520, "linear part of a jumbo frame: what test_run gives");
		CHECK_EQ(b.frags_len, 9014 - 3520, "the rest in fragments");
		CHECK_EQ(b.tailroom, 0, "no tailroom");
		CHECK(b.data[b.len] == 0x34, "fragments follow the linear part");
	}
	CHECK_EQ(plt_replay_clock_ns(2), PL_REPLAY_CLOCK_NS(2));

	fd = mkstemp(path);
	f = fdopen(fd, "w+");
	CHECK_EQ(plt_plres_header(f, "afxdp", NULL, "c.pcap"), 0);
	CHECK_EQ(plt_plres_frame(f, 0, PL_DROP, 0, frame, 2), 0);
	CHECK_EQ(plt_plres_frame(f, 3, PL_REDIRECT, 5, frame, 0), 0);
	rewind(f);
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "# pathlab-results v1 build=afxdp policy=none pcap=c.pcap\n"),
	      "header: %s", line);
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "0\tdrop\t0\tabcd\n"), "frame line: %s", line);
	fclose(f);
	CHECK_EQ(plt_plres_load(path, 4, build, sizeof(build), t_put, &rec), 0);
	CHECK(!strcmp(build, "afxdp"), "build %s", build);
	CHECK_EQ(rec.n, 2);
	CHECK_EQ(rec.idx[1], 3);
	CHECK_EQ(rec.verdict[1], PL_REDIRECT);
	CHECK_EQ(rec.first[0], 0xab);
	CHECK_EQ(plt_plres_load(path, 3, NULL, 0, t_put, &rec), -EINVAL, "index beyond the pcap");
	unlink(path);
}

static void test_pcap(void)
{
	char path[] = "/tmp/plt-tk-XXXXXX";
	struct plt_pcap_writer w;
	struct plt_pcap_file pc;
	uint8_t a[14] = { 1 }, bb[100] = { 2 };
	int fd = mkstemp(path);

	pl_check_context = "pcap";
	close(fd);
	CHECK_EQ(plt_pcap_create(&w, path), 0);
	CHECK_EQ(plt_pcap_write(&w, a, sizeof(a), 1000000000ull), 0);
	CHECK_EQ(plt_pcap_write(&w, bb, sizeof(bb), 1000001001ull), 0);
	CHECK_EQ(plt_pcap_finish(&w), 0);
	CHECK_EQ(plt_pcap_load(path, &pc), 0);
	CHECK_EQ(pc.n, 2);
	if (pc.n == 2) {
		CHECK_EQ(pc.f[0].len, 14);
		CHECK_EQ(pc.f[1].len, 100);
		CHECK_EQ(pc.f[1].data[0], 2);
		CHECK_EQ(pc.f[1].ts_ns, 1000001001ull, "nanosecond timestamps kept");
	}
	plt_pcap_free(&pc);
	CHECK_EQ(plt_pcap_load("/nonexistent/x.pcap", &pc), -ENOENT);
	unlink(path);
}

/* Write raw bytes to path. */
static void put_file(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(b, 1, n, f) == n, "write %s", path);
	if (f)
		fclose(f);
}

/* Reading: a big-endian nanosecond file, an empty record, and damaged
 * files, which are errors (never a crash). */
static void test_pcap_formats(void)
{
	/* big-endian, nanosecond magic, one 4-byte record at 2 s + 5 ns */
	static const uint8_t be_ns[] = {
		0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1,
		0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 60, 0xde, 0xad, 0xbe, 0xef,
	};
	char path[] = "/tmp/plt-tk-XXXXXX";
	struct plt_pcap_reader r;
	struct plt_pcap_writer w;
	struct plt_pcap_frame f;
	uint8_t bad[sizeof(be_ns)];
	int fd = mkstemp(path);

	pl_check_context = "pcap formats";
	close(fd);
	put_file(path, be_ns, sizeof(be_ns));
	CHECK_EQ(plt_pcap_open(&r, path), 0);
	CHECK_EQ(plt_pcap_next(&r, &f), 1);
	CHECK_EQ(f.ts_ns, 2000000005ull);
	CHECK(f.len == 4 && f.wire_len == 60 && f.data[0] == 0xde, "record");
	CHECK_EQ(plt_pcap_next(&r, &f), 0);
	plt_pcap_close(&r);
	plt_pcap_close(&r); /* twice is fine */

	/* damaged: cut data, cut record header, bad magic, not Ethernet,
	 * shorter than the file header */
	put_file(path, be_ns, sizeof(be_ns) - 1);
	CHECK_EQ(plt_pcap_open(&r, path), 0);
	CHECK(plt_pcap_next(&r, &f) < 0, "cut data is an error");
	plt_pcap_close(&r);
	put_file(path, be_ns, 30);
	CHECK_EQ(plt_pcap_open(&r, path), 0);
	CHECK(plt_pcap_next(&r, &f) < 0, "cut record header is an error");
	plt_pcap_close(&r);
	memcpy(bad, be_ns, sizeof(bad));
	bad[0] = 0x0b;
	put_file(path, bad, sizeof(bad));
	CHECK_EQ(plt_pcap_open(&r, path), -EINVAL, "bad magic");
	memcpy(bad, be_ns, sizeof(bad));
	bad[23] = 105; /* IEEE 802.11 */
	put_file(path, bad, sizeof(bad));
	CHECK_EQ(plt_pcap_open(&r, path), -EINVAL, "not Ethernet");
	put_file(path, be_ns, 10);
	CHECK(plt_pcap_open(&r, path) < 0, "shorter than the file header");
	plt_pcap_close(&r);

	/* an empty record survives a round trip */
	CHECK_EQ(plt_pcap_create(&w, path), 0);
	CHECK_EQ(plt_pcap_write(&w, be_ns, 0, 7), 0);
	CHECK_EQ(plt_pcap_finish(&w), 0);
	CHECK_EQ(plt_pcap_finish(&w), 0); /* twice is fine */
	CHECK_EQ(plt_pcap_open(&r, path), 0);
	CHECK_EQ(plt_pcap_next(&r, &f), 1);
	CHECK(f.len == 0 && f.ts_ns == 7, "empty record, len %u", f.len);
	plt_pcap_close(&r);
	unlink(path);
}

int main(void)
{
	plt_log_init("test-toolkit", PLT_LOG_WARN);
	test_opts();
	test_cmds();
	test_version();
	test_xdp_modes();
	test_replay();
	test_pcap();
	test_pcap_formats();
	return pl_check_done("test-toolkit");
}
