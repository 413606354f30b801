// SPDX-License-Identifier: MIT
/* The BPF backends against the real object: build/xdp/pathlab.bpf.o loaded
 * with libbpf (through the verifier, not attached).
 *   - apply full.policy through pl_ctl_open_bpf_obj and read the maps back
 *     with plain bpf_map_lookup_elem;
 *   - run frames with BPF_PROG_TEST_RUN and read the per-CPU counters back
 *     through the ctl (summed over CPUs);
 *   - a second policy goes to the other ACL bank and leaves the first intact;
 *   - pl_ctl_open_bpf_prog finds the same maps from the program id;
 *   - a devmap write the kernel refuses (no such ifindex) is rolled back.
 * Needs root (CAP_BPF); exits 77 only when the kernel says EPERM.
 * Usage: test-ctl-bpf OBJECT EXAMPLES_DIR */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "pl_ctl_bpf.h"
#define PL_CHECK_MAIN
#include "ctl_test.h"
#include "pl_pkt.h"

/* Mirrors core/stages/forward.h (that header needs the user platform). */
struct fwd_entry {
	__u32 out_port, flags;
	__u8 dst_mac[6], src_mac[6];
};

/* plt-c0 and plt-c1 both map to lo (ifindex 1) on ports 1 and 2; plt-ghost
 * to an ifindex that does not exist. */
static int resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	if (!strcmp(name, "plt-c0") || !strcmp(name, "plt-c1")) {
		*ifindex = 1;
		*out_port = name[5] == '0' ? 1 : 2;
		return 0;
	}
	if (!strcmp(name, "plt-ghost")) {
		*ifindex = 99999;
		*out_port = 5;
		return 0;
	}
	return -ENOENT;
}

/* A map's fd by name. */
static int map_fd(struct bpf_object *o, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(o, name));
}

/* Ethernet + IPv4 + TCP (no flags, window 0) 10.0.0.1 -> 10.0.0.2 to
 * dport, padded to 64 bytes, built with the test packet builder. */
static uint32_t make_tcp(uint8_t *f, uint16_t dport)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
	struct pl_pkt p;
	unsigned l4;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, dst, src);
	pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_PKT_IP4(10, 0, 0, 1),
					      .daddr = PL_PKT_IP4(10, 0, 0, 2) });
	pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .dport = dport });
	pl_pkt_finish(&p);
	l4 = pl_pkt_off(&p, PL_PK_TCP);
	pl_pkt_put8(&p, l4 + 13, 0);
	pl_pkt_put16(&p, l4 + 14, 0);
	pl_pkt_recsum(&p);
	pl_pkt_pad(&p, 64);
	memcpy(f, p.b, 64);
	return 64;
}

/* Run one frame; returns the XDP action. */
static int test_run(int prog_fd, uint16_t dport)
{
	uint8_t frame[64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = make_tcp(frame, dport),
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	return (int)o.retval;
}

/* Silence libbpf's debug chatter; keep warnings. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* Load, apply, run, check. */
int main(int argc, char **argv)
{
	struct pl_policy *full, *acl, *ghost;
	struct bpf_object *obj;
	struct pl_ctl *c, *byid;
	struct pl_config cfg;
	struct pl_counters cnt;
	struct pl_acl_set set;
	struct fwd_entry fe;
	struct pl_err err;
	struct bpf_prog_info info;
	__u32 key, ifindex, info_len = sizeof(info);
	int prog_fd, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJECT EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet);
	full = t_parse_example(argv[2], "full.policy");
	acl = t_parse_example(argv[2], "acl.policy");
	{
		struct pl_err e;

		if (pl_policy_parse_string("steer udp 7 user\nforward redirect from plt-c0 to plt-ghost\n",
					   "ghost.policy", &ghost, &e)) {
			fprintf(stderr, "FATAL: %s\n", e.msg);
			return 1;
		}
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ret = bpf_object__load(obj);
	if (ret == -EPERM) {
		printf("SKIP: loading BPF needs root / CAP_BPF (got EPERM)\n");
		return 77;
	}
	if (ret) {
		fprintf(stderr, "FAIL: loading %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "pathlab"));
	c = pl_ctl_open_bpf_obj(obj);
	CHECK(c != NULL, "open bpf obj: %s", strerror(errno));
	if (!c)
		return pl_check_done("test-ctl-bpf");
	CHECK(pl_ctl_ncopies(c) == (unsigned)libbpf_num_possible_cpus(), "ncopies");

	/* The object's config starts zeroed; init writes the defaults. */
	CHECK(pl_ctl_init_config(c) == 0 && pl_ctl_get_config(c, &cfg) == 0 &&
		      cfg.default_verdict == PL_PASS && cfg.malformed_verdict == PL_DROP &&
		      cfg.mode == PL_MODE_POLICY,
	      "init config");
	ret = pl_policy_apply(c, full, resolver, NULL, &err);
	CHECK(ret == 0, "apply full.policy: %s", err.msg);
	key = 0;
	CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_config"), &key, &cfg), "read pl_config");
	CHECK(cfg.acl_bank == 1 && cfg.steer_enabled == 1 && cfg.fwd_mode == PL_FWD_REDIRECT &&
		      cfg.src_stats == 1 && cfg.acl_default == PL_PASS,
	      "config: bank %u steer %u fwd %u", cfg.acl_bank, cfg.steer_enabled, cfg.fwd_mode);
	key = 1;
	CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_acl"), &key, &set) && set.count == 7 &&
		      set.rule[0].dport_lo == 22 && set.rule[0].proto == 6,
	      "pl_acl bank 1: %u rules", set.count);
	{
		struct pl_steer_key sk = { .proto = 17, .port = 4242 };
		struct pl_steer_val sv;

		CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_steer"), &sk, &sv) && sv.action == PL_USER,
		      "pl_steer udp 4242");
	}
	key = 1; /* plt-c1 (ifindex 1 too: the second rule overwrote the first key) */
	CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_fwd"), &key, &fe) && fe.flags == 1 && fe.out_port == 1,
	      "pl_fwd[1]: out %u flags %u", fe.out_port, fe.flags);
	key = 2;
	CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_tx_ports"), &key, &ifindex) && ifindex == 1,
	      "pl_tx_ports[2] = lo");

	/* Frames through the verifier-accepted program; counters summed. */
	CHECK(pl_ctl_reset_counters(c) == 0, "reset");
	CHECK(test_run(prog_fd, 22) == XDP_DROP, "tcp 22 -> XDP_DROP");
	CHECK(test_run(prog_fd, 22) == XDP_DROP, "tcp 22 -> XDP_DROP");
	CHECK(pl_ctl_read_counters(c, &cnt) == 0 && cnt.c[PL_CNT_RX_PACKETS] == 2 &&
		      cnt.c[PL_CNT_V_DROP] == 2 && cnt.c[PL_CNT_ACL_DROP] == 2 &&
		      cnt.c[PL_CNT_P_TCP] == 2,
	      "counters rx=%llu drop=%llu", (unsigned long long)cnt.c[PL_CNT_RX_PACKETS],
	      (unsigned long long)cnt.c[PL_CNT_V_DROP]);

	{
		__u64 hits[PL_ACL_MAX];

		CHECK(pl_ctl_read_acl(c, &set, hits) == 0 && set.count == 7 && hits[0] == 2 &&
			      hits[1] == 0 && set.rule[0].line == 12,
		      "acl hits: rule 0 hit %llu times", (unsigned long long)hits[0]);
	}

	/* Second policy: bank 0, bank 1 intact, stale entries gone. */
	ret = pl_policy_apply(c, acl, resolver, NULL, &err);
	CHECK(ret == 0, "apply acl.policy: %s", err.msg);
	CHECK(pl_ctl_get_config(c, &cfg) == 0 && cfg.acl_bank == 0 && cfg.steer_enabled == 0 &&
		      cfg.fwd_mode == 0,
	      "config after acl.policy");
	key = 1;
	CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_acl"), &key, &set) && set.count == 7,
	      "old bank kept");
	key = 0;
	CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_acl"), &key, &set) && set.count == 2 &&
		      set.rule[1].dport_lo == 80,
	      "new bank");
	{
		struct pl_steer_key sk;

		CHECK(bpf_map_get_next_key(map_fd(obj, "pl_steer"), NULL, &sk) && errno == ENOENT,
		      "pl_steer emptied");
		key = 0;
		CHECK(bpf_map_get_next_key(map_fd(obj, "pl_fwd"), NULL, &key) && errno == ENOENT,
		      "pl_fwd emptied");
	}
	CHECK(test_run(prog_fd, 80) == XDP_PASS, "tcp 80 -> XDP_PASS");
	CHECK(pl_ctl_set_mode(c, PL_MODE_DROP_ALL) == 0 && test_run(prog_fd, 80) == XDP_DROP,
	      "mode switch drop-all takes effect without reload");
	CHECK(pl_ctl_set_mode(c, PL_MODE_POLICY) == 0, "mode back");

	/* The running program's maps by id. */
	memset(&info, 0, sizeof(info));
	CHECK(!bpf_obj_get_info_by_fd(prog_fd, &info, &info_len), "prog info");
	byid = pl_ctl_open_bpf_prog(info.id);
	CHECK(byid != NULL, "open by prog id %u: %s", info.id, strerror(errno));
	if (byid) {
		struct pl_counters c2;

		CHECK(pl_ctl_get_config(byid, &cfg) == 0 && cfg.acl_bank == 0, "config by id");
		CHECK(pl_ctl_read_counters(byid, &c2) == 0 &&
			      c2.c[PL_CNT_RX_PACKETS] == cnt.c[PL_CNT_RX_PACKETS] + 2,
		      "counters by id");
		CHECK(pl_ctl_update(byid, "no_such_map", &key, &key) == -ESRCH, "unknown table -> ESRCH");
		pl_ctl_close(byid);
	}
	CHECK(pl_ctl_open_bpf_prog(0xfffffff0u) == NULL, "no such program");

	/* The kernel refuses the devmap write: everything undone. */
	{
		struct pl_config before, after;
		struct pl_steer_key sk;

		pl_ctl_get_config(c, &before);
		ret = pl_policy_apply(c, ghost, resolver, NULL, &err);
		CHECK(ret < 0, "ghost ifindex accepted");
		CHECK(strstr(err.msg, "ghost.policy:2: writing pl_tx_ports failed:") != NULL &&
			      strstr(err.msg, "undone; the previous policy is still in force") != NULL,
		      "%s", err.msg);
		printf("  kernel refusal: %s\n", err.msg);
		pl_ctl_get_config(c, &after);
		CHECK(!memcmp(&before, &after, sizeof(before)), "config unchanged");
		CHECK(bpf_map_get_next_key(map_fd(obj, "pl_steer"), NULL, &sk) && errno == ENOENT,
		      "steer entry rolled back");
		key = 1;
		CHECK(bpf_map_get_next_key(map_fd(obj, "pl_fwd"), NULL, &key) && errno == ENOENT,
		      "fwd entry rolled back");
		key = 1;
		CHECK(!bpf_map_lookup_elem(map_fd(obj, "pl_acl"), &key, &set) && set.count == 7,
		      "idle bank restored");
	}

	pl_ctl_close(c);
	bpf_object__close(obj);
	pl_policy_free(full);
	pl_policy_free(acl);
	pl_policy_free(ghost);
	return pl_check_done("test-ctl-bpf");
}
