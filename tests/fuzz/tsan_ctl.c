// SPDX-License-Identifier: MIT
/* Control plane against running workers, under ThreadSanitizer.
 *
 * The user-space core with WORKERS worker threads, each processing frames
 * of every kind the stages act on (ACL, steering, responder SYNs and
 * requests, LB flows of every mode, rate-limited sources, SYN floods,
 * malformed frames) as fast as it can, while the main thread, as a
 * datapath's control plane does, applies and re-applies policies
 * (pl_policy_apply through the user backend, every stage's tables), flips
 * the mode switch (pl_ctl_set_mode) and reads the counters
 * (pl_ctl_read_counters) and the live ACL with its hits (pl_ctl_read_acl). Built with -fsanitize=thread: any data race
 * between the control plane and the data path is reported and fails the
 * test (TSAN_OPTIONS halt_on_error=1, exitcode 66). Without a report, it
 * also checks that every frame got a valid verdict and that the verdict
 * counters sum to rx on every worker.
 * Usage: tsan-ctl [SECONDS] (default 3; PL_FUZZ_SECONDS in the environment
 * replaces it). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pl_user.h"
#include "pl_ctl.h"
#include "fuzz_common.h"
#include "pl_pkt.h"
#include "pl_shapes.h"

#define WORKERS 3
#define FRAMES_MAX 64


/* Two policies that set every stage differently: applying one after the
 * other rewrites every table the data path reads. */
static const char *const policies[] = {
	"mode policy\nmalformed drop\ndefault pass\ncount sources on\n"
	"ratelimit pps 100000 burst 20 prefix6 64\n"
	"synguard per-source 1000 4 global 100000 50\n"
	"acl drop proto tcp dport 22\nacl pass proto tcp from 10.0.0.0/8 dport 80\n"
	"acl user proto udp dport 5000-5009\n"
	"steer udp 4242 user\n"
	"responder listen any-destination 8080\nresponder listen 10.70.0.2 80\n"
	"responder key 00112233445566778899aabbccddeeff\n"
	"route /custom 200 text/plain one\n"
	"route 10.0.0.0/8 dev p1 mac 02:00:00:00:0d:01 src-mac 02:00:00:00:05:01\n"
	"route 10.72.0.0/16 drop\nroute fd71::/16 dev p2 mac 02:00:00:00:0d:02 src-mac 02:00:00:00:05:02\n"
	"lb service web4 10.71.0.100 80 tcp mode dsr size 251\n"
	"lb backend web4 10.71.1.2 mac 02:00:00:00:71:01 via p1\n"
	"lb backend web4 10.71.1.3 mac 02:00:00:00:71:02 via tx\n"
	"lb service nat4 10.71.0.100 81 tcp mode nat size 13\n"
	"lb backend nat4 10.71.2.2 port 8081 via tx\n"
	"lb service tun4 10.71.0.101 80 tcp mode ipip size 13 encap-src 10.71.0.254\n"
	"lb backend tun4 10.71.4.2 mac 02:00:00:00:74:01 via tx\n"
	"forward reflect\n",
	"mode policy\nmalformed pass\ndefault tx\n"
	"ratelimit pps 1000 burst 2\n"
	"synguard global 100 1\n"
	"acl pass proto icmp\nacl drop proto udp dport 53\nacl default pass\n"
	"steer tcp 8081 drop\nsteer udp 4242 pass\n"
	"responder listen 10.70.0.2 8080\n"
	"responder key ffeeddccbbaa99887766554433221100\n"
	"route /custom 200 text/plain two, longer\n"
	"route 10.0.0.0/8 dev p2 mac 02:00:00:00:0d:03 src-mac 02:00:00:00:05:03\n"
	"route 10.72.0.0/16 pass\nroute 10.71.0.0/24 dev p1 mac 02:00:00:00:0d:04 src-mac 02:00:00:00:05:04\n"
	"lb service web4 10.71.0.100 80 tcp mode nat size 13\n"
	"lb backend web4 10.71.1.9 port 8080 mac 02:00:00:00:71:09 via p2\n"
	"lb backend web4 10.71.1.3 state draining\n"
	"lb service dns6 fd71::100 53 udp mode ipip size 13 encap-src fd71::fe\n"
	"lb backend dns6 fd71:3::2 via tx\n"
	"forward redirect from p1 to p2\nforward redirect from p2 to p1\n",
};

static int resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	if (strcmp(name, "p1") && strcmp(name, "p2"))
		return -ENOENT;
	*ifindex = *out_port = (uint32_t)(name[1] - '0');
	return 0;
}

struct frame {
	uint8_t b[2048];
	uint32_t len;
};
static struct frame frames[FRAMES_MAX];
static unsigned nframes;
static atomic_int stop;
static atomic_ulong processed;

static void add(struct pl_pkt *p)
{
	if (nframes < FRAMES_MAX && p->len <= sizeof(frames[0].b)) {
		memcpy(frames[nframes].b, p->b, p->len);
		frames[nframes++].len = p->len;
	}
}

/* A TCP or UDP frame (IPv4, or IPv6 when v6) with the given addresses. */
static void l4(int v6, uint32_t s4, uint32_t d4, int tcp, uint16_t sp, uint16_t dp,
	       uint8_t flags, const char *payload)
{
	struct pl_pkt p;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	if (v6) {
		struct pl_pkt_ip6 ip = { 0 };

		ip.saddr[0] = 0xfd;
		ip.saddr[1] = 0x71;
		ip.saddr[15] = (uint8_t)s4;
		ip.daddr[0] = 0xfd;
		ip.daddr[1] = 0x71;
		ip.daddr[15] = 0;
		ip.daddr[14] = 1; /* fd71::100 */
		pl_pkt_ipv6(&p, &ip);
	} else {
		pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = s4, .daddr = d4 });
	}
	if (tcp)
		pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = sp, .dport = dp, .flags = flags,
						      .seq = 1000, .ack = 1 });
	else
		pl_pkt_udp(&p, sp, dp);
	if (payload)
		pl_pkt_payload(&p, payload, strlen(payload));
	pl_pkt_finish(&p);
	add(&p);
}

static void make_frames(void)
{
	struct pl_pkt p;

	for (unsigned i = 0; i < pl_nshapes && nframes < FRAMES_MAX / 2; i++) {
		pl_shape_make(i, &p);
		add(&p);
		if (p.len > 20) { /* and cut short: malformed */
			pl_pkt_truncate(&p, p.len - 7);
			add(&p);
		}
	}
	l4(0, PL_PKT_IP4(10, 0, 0, 1), PL_PKT_IP4(10, 70, 0, 2), 1, 40000, 8080, 0x02, NULL);
	l4(0, PL_PKT_IP4(10, 0, 0, 1), PL_PKT_IP4(10, 70, 0, 2), 1, 40000, 8080, 0x18,
	   "GET /custom HTTP/1.1\r\n\r\n");
	l4(0, PL_PKT_IP4(10, 0, 0, 1), PL_PKT_IP4(10, 70, 0, 2), 1, 40000, 22, 0x02, NULL);
	l4(0, PL_PKT_IP4(10, 9, 0, 1), PL_PKT_IP4(10, 71, 0, 100), 1, 40001, 80, 0x02, NULL);
	l4(0, PL_PKT_IP4(10, 9, 0, 1), PL_PKT_IP4(10, 71, 0, 100), 1, 40001, 80, 0x10, "x");
	l4(0, PL_PKT_IP4(10, 9, 0, 2), PL_PKT_IP4(10, 71, 0, 100), 1, 40002, 81, 0x10, "y");
	l4(0, PL_PKT_IP4(10, 9, 0, 3), PL_PKT_IP4(10, 71, 0, 101), 1, 40003, 80, 0x10, "z");
	l4(0, PL_PKT_IP4(10, 71, 2, 2), PL_PKT_IP4(10, 9, 0, 2), 1, 8081, 40002, 0x10, "r");
	l4(1, 7, 0, 0, 5353, 53, 0, "q");
	l4(0, PL_PKT_IP4(10, 0, 0, 5), PL_PKT_IP4(10, 0, 0, 6), 0, 1000, 4242, 0, "s");
	l4(0, PL_PKT_IP4(10, 0, 0, 5), PL_PKT_IP4(10, 0, 0, 6), 0, 1000, 5003, 0, "u");
	l4(0, PL_PKT_IP4(10, 0, 0, 5), PL_PKT_IP4(10, 0, 0, 6), 0, 1000, 53, 0, "d");
}

static void *worker(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg, i = w;
	static _Thread_local uint8_t buf[256 + 2048 + 2048];
	unsigned long n = 0;

	pl_worker_set(w);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		const struct frame *f = &frames[i++ % nframes];
		struct pl_buf b = { .data = buf + 256, .len = f->len, .headroom = 256,
				    .tailroom = 2048, .ifindex = 1 + (i & 1), .rx_queue = w };
		uint32_t out;
		int v;

		memcpy(buf + 256, f->b, f->len);
		v = pl_core_process(&b, &out);
		MUST(v >= 0 && v < PL_VERDICT__MAX);
		n++;
	}
	atomic_fetch_add(&processed, n);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *env = getenv("PL_FUZZ_SECONDS");
	double secs = env ? atof(env) : argc > 1 ? atof(argv[1]) : 3, end;
	struct pl_policy *pol[2];
	pthread_t th[WORKERS];
	static struct pl_acl_set acl;
	static __u64 hits[PL_ACL_MAX];
	struct pl_counters sum;
	struct pl_err err;
	struct pl_ctl *ctl;
	unsigned long applies = 0, modes = 0;

	MUST(pl_core_init(WORKERS) == 0);
	ctl = pl_ctl_open_user();
	MUST(ctl);
	for (int i = 0; i < 2; i++)
		if (pl_policy_parse_string(policies[i], "tsan.policy", &pol[i], &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	if (pl_policy_apply(ctl, pol[0], resolver, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	make_frames();
	for (unsigned w = 0; w < WORKERS; w++)
		MUST(!pthread_create(&th[w], NULL, worker, (void *)(uintptr_t)w));
	end = now_s() + secs;
	while (now_s() < end) {
		static const enum pl_mode m[] = { PL_MODE_COUNT_ONLY, PL_MODE_PASS_ALL,
						  PL_MODE_DROP_ALL, PL_MODE_POLICY };

		if (pl_policy_apply(ctl, pol[applies & 1], resolver, NULL, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		applies++;
		MUST(!pl_ctl_set_mode(ctl, m[modes++ % 4]));
		MUST(!pl_ctl_set_mode(ctl, PL_MODE_POLICY));
		MUST(!pl_ctl_read_counters(ctl, &sum));
		MUST(!pl_ctl_read_acl(ctl, &acl, hits));
	}
	atomic_store(&stop, 1);
	for (unsigned w = 0; w < WORKERS; w++)
		pthread_join(th[w], NULL);
	MUST(applies >= 2); /* both policies went in while workers ran */
	MUST(!pl_ctl_read_counters(ctl, &sum));
	MUST(fuzz_verdict_sum(&sum) == sum.c[PL_CNT_RX_PACKETS]);
	MUST(sum.c[PL_CNT_RX_PACKETS] == atomic_load(&processed));
	printf("%lu frames on %d workers, %lu policy applies, %lu mode switches: no race reported\n",
	       atomic_load(&processed), WORKERS, applies, modes * 2);
	for (int i = 0; i < 2; i++)
		pl_policy_free(pol[i]);
	pl_ctl_close(ctl);
	pl_core_fini();
	return 0;
}
