// SPDX-License-Identifier: MIT
/* Parity of the issue-3 stages: the same policy applied to the user-space
 * core and to the BPF object (BPF_PROG_TEST_RUN, the real verifier and
 * helpers), the same frames with the same fixed clock, and the verdicts and
 * output bytes compared frame by frame: responder handshakes, answers and
 * teardown (IPv4 and IPv6, replies grown in place), LB in DSR, NAT and
 * IP-in-IP (out "tx"), rate limiting. Pinned to CPU 0 (per-CPU state). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define PL_CHECK_MAIN
#include "stages_test.h"
#include "pl_user.h"
#include "pl_ctl.h"
#include "pl_ctl_bpf.h"
#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

static const char *policy =
	"responder listen any-destination 8080\n"
	"responder key 00112233445566778899aabbccddeeff\n"
	"route /p 200 text/plain parity body\n"
	"lb seed 99\n"
	"lb service d 10.0.0.99 80 tcp mode dsr size 251\n"
	"lb backend d 10.0.1.2 mac 02:00:00:00:01:02 via tx\n"
	"lb backend d 10.0.2.2 mac 02:00:00:00:02:02 via tx\n"
	"lb service n 10.0.0.99 81 tcp mode nat size 251\n"
	"lb backend n 10.0.1.2 port 8081 mac 02:00:00:00:01:02 via tx\n"
	"lb service i fd00::99 80 tcp mode ipip size 251 encap-src fd00::fe\n"
	"lb backend i fd00:1::2 mac 02:00:00:00:01:02 via tx\n"
	"lb service j 10.0.0.99 82 tcp mode ipip size 251 encap-src 10.0.0.254\n"
	"lb backend j 10.0.3.2 mac 02:00:00:00:03:02 via tx\n"
	"ratelimit pps 100 burst 25 prefix4 32\n";

static int prog_fd;
static unsigned nframes, mismatches, by_action[8];

/* XDP action of a core verdict. */
static int xdp_of(int v)
{
	switch (v) {
	case PL_DROP: return XDP_DROP;
	case PL_PASS: return XDP_PASS;
	case PL_TX: return XDP_TX;
	case PL_REDIRECT: return XDP_REDIRECT;
	default: return XDP_ABORTED;
	}
}

/* Run f through both builds; compare; the user-space output goes to out. */
static void both(const __u8 *f, size_t len, __u8 *out, size_t *olen, const char *what)
{
	static __u8 mem[256 + 4096];
	__u8 bout[4096];
	struct pl_buf b = { .data = mem + 256, .len = (uint32_t)len, .headroom = 256,
			    .tailroom = (uint32_t)(4096 - 320 - 256 - len) };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len,
		    .data_out = bout, .data_size_out = sizeof(bout), .repeat = 1);
	__u32 port;
	int v, err;

	memcpy(mem + 256, f, len);
	v = pl_core_process(&b, &port);
	err = bpf_prog_test_run_opts(prog_fd, &o);
	nframes++;
	by_action[o.retval & 7]++;
	CHECK(!err, "%s: test_run: %s", what, strerror(errno));
	if (!err && (o.retval != (__u32)xdp_of(v) || o.data_size_out != b.len ||
		     memcmp(bout, b.data, b.len))) {
		mismatches++;
		CHECK(0, "%s: user verdict %d len %u, BPF action %u len %u", what, v, b.len, o.retval,
		      o.data_size_out);
	}
	if (out) {
		memcpy(out, b.data, b.len);
		*olen = b.len;
	}
}

static __u32 be32(const __u8 *p) { return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct pl_ctl *uc, *bc;
	struct pl_policy *p = NULL;
	struct pl_config cfg;
	struct pl_err err;
	cpu_set_t set;
	__u8 f[2048], o[4096];
	size_t len, olen;

	if (argc < 2) {
		fprintf(stderr, "usage: test-parity-stages pathlab.bpf.o\n");
		return 2;
	}
	if (geteuid()) {
		printf("SKIP: BPF_PROG_TEST_RUN needs root\n");
		return 77;
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "FAIL: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "pathlab");
	prog_fd = bpf_program__fd(prog);
	if (pl_core_init(1))
		return 1;
	pl_worker_set(0);
	uc = pl_ctl_open_user();
	bc = pl_ctl_open_bpf_obj(obj);
	if (!uc || !bc || pl_ctl_init_config(bc) ||
	    pl_policy_parse_string(policy, "parity.policy", &p, &err)) {
		fprintf(stderr, "FAIL: set-up: %s\n", err.msg);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		struct pl_ctl *c = i ? bc : uc;

		if (pl_policy_apply(c, p, NULL, NULL, &err)) {
			fprintf(stderr, "FAIL: apply: %s\n", err.msg);
			return 1;
		}
		pl_ctl_get_config(c, &cfg);
		cfg.clock_ns = 7ull << 36;
		pl_ctl_set_config(c, &cfg);
	}
	pl_policy_free(p);

	/* responder: each route, v4 and v6 */
	for (int v6 = 0; v6 < 2; v6++) {
		static const char *const reqs[] = {
			"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET /p HTTP/1.1\r\n\r\n",
			"HEAD /api HTTP/1.1\r\n\r\n", "GET /none HTTP/1.1\r\n\r\n",
			"DELETE / HTTP/1.1\r\n\r\n",
		};
		const char *cli = v6 ? "fd00::1" : "10.9.0.1", *srv = v6 ? "fd00::2" : "10.9.0.2";
		size_t l3 = v6 ? 40 : 20;

		for (unsigned r = 0; r < 5; r++) {
			__u16 sport = (__u16)(30000 + r);
			__u32 isn;

			len = st_tcp_frame(f, v6, cli, srv, sport, 8080, PL_TCP_SYN, 77, 0, 1460, NULL);
			both(f, len, o, &olen, "SYN");
			isn = be32(o + 14 + l3 + 4);
			len = st_tcp_frame(f, v6, cli, srv, sport, 8080, PL_TCP_ACK | PL_TCP_PSH, 78,
					   isn + 1, 0, reqs[r]);
			both(f, len, NULL, NULL, reqs[r]);
			len = st_tcp_frame(f, v6, cli, srv, sport, 8080, PL_TCP_ACK | PL_TCP_FIN, 78 + 40,
					   isn + 300, 0, NULL);
			both(f, len, NULL, NULL, "FIN");
			len = st_tcp_frame(f, v6, cli, srv, sport, 8080, PL_TCP_ACK, 78, isn + 9000, 0, NULL);
			both(f, len, NULL, NULL, "bad cookie");
		}
	}
	/* lb: DSR, NAT, IPv6-in-IPv6, UDP IPv4-in-IPv4, several flows */
	for (int i = 0; i < 8; i++) {
		len = st_tcp_frame(f, 0, "10.5.0.1", "10.0.0.99", (__u16)(1000 + i), 80, PL_TCP_SYN, 1, 0, 0, NULL);
		both(f, len, NULL, NULL, "lb dsr");
		len = st_tcp_frame(f, 0, "10.5.0.2", "10.0.0.99", (__u16)(1000 + i), 81, PL_TCP_SYN, 1, 0, 0, NULL);
		both(f, len, NULL, NULL, "lb nat");
		len = st_tcp_frame(f, 1, "fd00::5", "fd00::99", (__u16)(1000 + i), 80, PL_TCP_SYN, 1, 0, 0, NULL);
		both(f, len, NULL, NULL, "lb ipip6");
		len = st_tcp_frame(f, 0, "10.5.0.3", "10.0.0.99", (__u16)(1000 + i), 82, PL_TCP_SYN, 1, 0, 0, NULL);
		both(f, len, NULL, NULL, "lb ipip4");
	}
	/* rate limit: 40 frames from one source at one instant (burst 25) */
	for (int i = 0; i < 40; i++) {
		len = st_tcp_frame(f, 0, "10.6.0.1", "10.9.0.2", 5, 22, PL_TCP_ACK, 1, 1, 0, NULL);
		both(f, len, NULL, NULL, "ratelimit");
	}
	printf("parity: %u frames (BPF: %u tx, %u drop, %u pass, %u aborted), %u mismatches\n", nframes,
	       by_action[XDP_TX], by_action[XDP_DROP], by_action[XDP_PASS], by_action[XDP_ABORTED],
	       mismatches);
	CHECK(by_action[XDP_TX] >= 72 && by_action[XDP_DROP] >= 15, "the frames exercised the stages");
	pl_ctl_close(bc);
	pl_ctl_close(uc);
	bpf_object__close(obj);
	pl_core_fini();
	return pl_check_done("stages-parity");
}
