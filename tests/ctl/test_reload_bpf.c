// SPDX-License-Identifier: MIT
/* Reloads into the maps of the real BPF object (build/xdp/pathlab.bpf.o
 * loaded through the verifier, not attached):
 *   - a freshly loaded object whose pl_config nobody wrote (what `ip link`,
 *     xdp-loader or a PMD's xdp_prog= leave) passes every frame
 *     (BPF_PROG_TEST_RUN -> XDP_PASS);
 *   - a full steer / forward / responder policy swapped for another full
 *     one: old and new entries are in the maps at once during the swap.
 * Needs root (CAP_BPF); exits 77 only when the kernel says EPERM.
 * Usage: test-ctl-reload-bpf OBJECT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "pl_ctl_bpf.h"
#define PL_CHECK_MAIN
#include "ctl_test.h"
#include "reload_text.h"

/* Receiving interfaces are keys only; the out port is lo (the devmap
 * refuses an ifindex that does not exist). */
static int resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	(void)arg;
	return rt_resolve(name, 1, ifindex, out_port);
}

/* Ethernet + IPv4 + TCP SYN to port 22, and a truncated frame. */
static int test_run(int prog_fd, int truncated)
{
	uint8_t f[64];
	uint32_t len = t_make_tcp(f, 22, 0x02);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = truncated ? 20 : len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	return (int)o.retval;
}

/* Number of keys in a map. */
static unsigned map_count(struct bpf_object *o, const char *name, size_t ksz)
{
	int fd = bpf_map__fd(bpf_object__find_map_by_name(o, name));
	uint8_t cur[64], next[64];
	unsigned n = 0;

	if (ksz > sizeof(cur))
		return 0;
	while (!bpf_map_get_next_key(fd, n ? cur : NULL, next) && n < 100000) {
		memcpy(cur, next, ksz);
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static char text[16384];
	void (*gen[3])(char *, size_t, int) = { rt_steer, rt_fwd, rt_resp };
	const char *name[3] = { "steer", "forward", "responder" };
	struct bpf_object *obj;
	struct pl_counters cnt;
	struct pl_ctl *c;
	int prog_fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	ret = t_load_object(argv[1], &obj, &prog_fd, &c);
	if (ret)
		return ret;

	/* Nobody wrote pl_config: every frame passes, malformed ones too. */
	CHECK(test_run(prog_fd, 0) == XDP_PASS, "fresh object: TCP SYN -> XDP_PASS");
	CHECK(test_run(prog_fd, 1) == XDP_PASS, "fresh object: truncated frame -> XDP_PASS");
	CHECK(pl_ctl_read_counters(c, &cnt) == 0 && cnt.c[PL_CNT_V_PASS] == 2 &&
		      cnt.c[PL_CNT_RX_PACKETS] == 2,
	      "counted as rx and pass: pass=%llu", (unsigned long long)cnt.c[PL_CNT_V_PASS]);

	for (int g = 0; g < 3; g++)
		for (int round = 0; round < 3; round++) {
			struct pl_policy *p;
			struct pl_err err;

			gen[g](text, sizeof(text), round & 1);
			if (pl_policy_parse_string(text, "t.policy", &p, &err)) {
				fprintf(stderr, "FATAL: %s\n", err.msg);
				return 1;
			}
			ret = pl_policy_apply(c, p, resolver, NULL, &err);
			CHECK(ret == 0, "%s set %d (round %d): %s", name[g], round & 1, round,
			      ret ? err.msg : "");
			pl_policy_free(p);
		}
	CHECK(map_count(obj, "pl_steer", 4) == 0 && map_count(obj, "pl_fwd", 4) == 0,
	      "steer/forward emptied by the last policy");
	CHECK(map_count(obj, "pl_resp_listen", 20) == RT_LISTEN &&
		      map_count(obj, "pl_resp_routes", 48) == RT_ROUTES + RT_DEFAULT_ROUTES,
	      "responder: %u listen, %u routes", map_count(obj, "pl_resp_listen", 20),
	      map_count(obj, "pl_resp_routes", 48));

	pl_ctl_close(c);
	bpf_object__close(obj);
	return pl_check_done("test-ctl-reload-bpf");
}
