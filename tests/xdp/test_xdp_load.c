// SPDX-License-Identifier: MIT
/* The XDP object through the real verifier, as pathlab-xdp loads it:
 * open build/xdp/pathlab.bpf.o, load every program (a load failure is a
 * test failure), write the default configuration the loader writes, run a
 * UDP frame with BPF_PROG_TEST_RUN and read the counters back.
 * Exits 77 only when not privileged (EPERM from the kernel).
 * Usage: test-xdp-load OBJECT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "pl_ctl_bpf.h"
#include <bpf/bpf.h>
#include <linux/if_link.h>
#define PL_CHECK_MAIN
#include "pl_check.h"
#include "pl_pkt.h"

/* Ethernet + IPv4 + UDP 10.0.1.1:12345 -> 10.0.1.2:4000, 64 bytes, built
 * with the test packet builder. */
static __u32 make_udp(__u8 *f)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t zero[64 - 14 - 20 - 8];
	struct pl_pkt p;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, dst, src);
	pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_PKT_IP4(10, 0, 1, 1),
					      .daddr = PL_PKT_IP4(10, 0, 1, 2) });
	pl_pkt_udp(&p, 12345, 4000);
	pl_pkt_payload(&p, zero, sizeof(zero));
	pl_pkt_finish(&p);
	memcpy(f, p.b, 64);
	return 64;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct pl_counters cnt;
	struct pl_ctl *c;
	__u8 frame[64];
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		printf("FAIL: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err == -EPERM && geteuid() != 0) {
		printf("SKIP: loading BPF needs root (CAP_BPF, CAP_NET_ADMIN)\n");
		return 77;
	}
	CHECK(!err, "pathlab.bpf.o (every program) passes the verifier");
	if (err) {
		printf("  load error: %s (libbpf printed the verifier log above)\n", strerror(-err));
		return 1;
	}
	CHECK(bpf_object__find_program_by_name(obj, "pathlab") != NULL, "program 'pathlab' exists");
	CHECK(bpf_object__find_program_by_name(obj, "pathlab_empty") != NULL, "program 'pathlab_empty' exists");
	CHECK(bpf_object__find_map_by_name(obj, "xsks_map") != NULL, "map 'xsks_map' exists (DPDK/libxdp name)");
	CHECK(bpf_map__type(bpf_object__find_map_by_name(obj, "pl_tx_ports")) == BPF_MAP_TYPE_DEVMAP,
	      "pl_tx_ports is a devmap");
	prog = bpf_object__find_program_by_name(obj, "pathlab");
	c = pl_ctl_open_bpf_obj(obj);
	CHECK(c != NULL, "ctl opens the maps");
	if (!c)
		return 1;
	CHECK(!pl_ctl_init_config(c), "default configuration written");
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = make_udp(frame),
			    .repeat = 5);

		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
		CHECK(!err && o.retval == XDP_PASS, "UDP frame -> XDP_PASS under the default configuration");
	}
	CHECK(!pl_ctl_read_counters(c, &cnt), "counters read");
	CHECK(cnt.c[PL_CNT_RX_PACKETS] == 5 && cnt.c[PL_CNT_P_UDP] == 5 && cnt.c[PL_CNT_V_PASS] == 5,
	      "rx_packets = proto_udp = verdict_pass = 5");
	CHECK(!pl_ctl_set_mode(c, PL_MODE_DROP_ALL), "mode switch to drop-all");
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = make_udp(frame));

		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
		CHECK(!err && o.retval == XDP_DROP, "drop-all -> XDP_DROP without reload");
	}
	pl_ctl_close(c);
	bpf_object__close(obj);
	return pl_check_done("xdp-load");
}
