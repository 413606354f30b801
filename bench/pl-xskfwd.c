// SPDX-License-Identifier: MIT
/* pl-xskfwd: the bare AF_XDP reference of the comparison harness, the least
 * an AF_XDP program can do for each workload: receive on one interface's
 * socket (queue 0), and either drop every frame (give it back to the fill
 * ring) or write both MACs and send it out of a second interface's socket.
 * No parsing, no policy: what an AF_XDP datapath costs before it decides
 * anything. One UMEM per socket (the frame is copied into the output's, as
 * net_af_xdp does between ports), copy mode, need_wakeup, optionally preferred
 * busy polling. The XDP program handing frames to the socket is pathlab-afxdp's
 * redirect_all.bpf.o, attached with a bpf_link only this process holds (gone
 * on kill -9 too). Counters go to --stats FILE (key=value, rewritten every
 * 10 ms). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>
#include "pl_bench_util.h"
#include "plt_bpf.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_time.h"
#include "plt_xdp.h"

#define XF_FRAMES 4096
#define XF_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define XF_RING 2048
/* copy mode sends at most 32 frames per sendto() (the kernel's per-call
 * budget): one receive batch, one kick */
#define XF_BATCH 32

struct xf_opts {
	const char *in, *out, *dst_mac, *src_mac, *stats;
	int drop, verbose;
	unsigned long cpu, busy_poll;
	double duration;
};

struct xf_sock {
	const char *ifname;
	unsigned outstanding; /* queued on the TX ring, not completed */
	void *area;
	struct xsk_umem *umem;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct xsk_socket *xsk;
	uint64_t free_addr[XF_FRAMES];
	unsigned nfree;
};

struct xf_counts {
	unsigned long long rx, drop, tx, tx_full;
};

#define O(f) offsetof(struct xf_opts, f)
static const struct plt_opt xf_optv[] = {
	{ "in", 'i', PLT_OPT_STR, O(in), "IF", "receive on IF (queue 0)" },
	{ "out", 'o', PLT_OPT_STR, O(out), "IF", "send on IF (queue 0); absent: --drop" },
	{ "drop", 0, PLT_OPT_FLAG, O(drop), NULL, "drop every frame received" },
	{ "dst-mac", 0, PLT_OPT_STR, O(dst_mac), "MAC", "destination MAC written into forwarded frames" },
	{ "src-mac", 0, PLT_OPT_STR, O(src_mac), "MAC", "source MAC written into forwarded frames" },
	{ "cpu", 0, PLT_OPT_UINT, O(cpu), "N", "pin the poller to CPU N (default: not pinned)", .max = 4095 },
	{ "busy-poll", 0, PLT_OPT_UINT, O(busy_poll), "US",
	  "preferred busy polling: SO_PREFER_BUSY_POLL, SO_BUSY_POLL=US, budget 64 (default 0: poll())",
	  .max = 1000000 },
	{ "stats", 0, PLT_OPT_STR, O(stats), "FILE", "write rx, drop, tx, tx_full to FILE every 10 ms" },
	{ "duration", 'd', PLT_OPT_DOUBLE, O(duration), "SEC", "stop after SEC seconds (default: SIGINT/SIGTERM)" },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more messages" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void xf_intro(FILE *f)
{
	fprintf(f, "(in the DUT's namespace: ip netns exec NS pl-xskfwd ...)\n"
		   "The bare AF_XDP reference: drop, or rewrite both MACs and forward IN -> OUT.\n");
}

static const struct plt_tool xf_tool = {
	.name = "pl-xskfwd",
	.usage = "-i IF (--drop | -o IF --dst-mac MAC --src-mac MAC) [options]",
	.intro = xf_intro,
	.opts = xf_optv,
	.nopts = PLT_ARRAY_SIZE(xf_optv),
	.width = 24,
};

static int xf_mac(const char *s, uint8_t *m)
{
	unsigned v[ETH_ALEN];

	if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != ETH_ALEN)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		m[i] = (uint8_t)v[i];
	}
	return 0;
}

/* One UMEM and one socket on queue 0 of s->ifname: rx (with a fill ring
 * primed) or tx only. The XDP program is ours (INHIBIT_PROG_LOAD). */
static int xf_open(struct xf_sock *s, bool rx, const struct xf_opts *o)
{
	struct xsk_umem_config ucfg = { .fill_size = XF_RING, .comp_size = XF_RING,
					.frame_size = XF_FRAME_SIZE, .frame_headroom = 0 };
	struct xsk_socket_config cfg = { .rx_size = XF_RING, .tx_size = XF_RING,
					 .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
					 .xdp_flags = XDP_FLAGS_DRV_MODE,
					 .bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP };
	size_t len = (size_t)XF_FRAMES * XF_FRAME_SIZE;
	__u32 idx;
	int err;

	s->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->area == MAP_FAILED) {
		s->area = NULL;
		pr_warn("cannot map %zu bytes for the UMEM: %s\n", len, strerror(errno));
		return -ENOMEM;
	}
	err = xsk_umem__create(&s->umem, s->area, len, &s->fill, &s->comp, &ucfg);
	if (err) {
		pr_warn("%s: cannot create the UMEM: %s\n", s->ifname, strerror(-err));
		return err;
	}
	err = xsk_socket__create(&s->xsk, s->ifname, 0, s->umem, rx ? &s->rx : NULL, rx ? NULL : &s->tx, &cfg);
	if (err) {
		pr_warn("%s: cannot create the AF_XDP socket on queue 0: %s\n", s->ifname, strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < XF_FRAMES; i++)
		s->free_addr[s->nfree++] = (uint64_t)i * XF_FRAME_SIZE;
	if (rx) {
		unsigned n = XF_RING;

		if (xsk_ring_prod__reserve(&s->fill, n, &idx) != n)
			return -ENOSPC;
		for (unsigned i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&s->fill, idx + i) = s->free_addr[--s->nfree];
		xsk_ring_prod__submit(&s->fill, n);
	}
	if (o->busy_poll) {
		int one = 1, us = (int)o->busy_poll, budget = XF_BATCH, fd = xsk_socket__fd(s->xsk);

		if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget))) {
			pr_warn("%s: busy-poll socket options refused: %s\n", s->ifname, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void xf_close(struct xf_sock *s)
{
	if (s->xsk)
		xsk_socket__delete(s->xsk);
	if (s->umem)
		xsk_umem__delete(s->umem);
	if (s->area)
		munmap(s->area, (size_t)XF_FRAMES * XF_FRAME_SIZE);
}

static void xf_write_stats(const char *path, const struct xf_counts *c)
{
	static const char *const keys[] = { "rx", "drop", "tx", "tx_full" };
	const unsigned long long v[] = { c->rx, c->drop, c->tx, c->tx_full };

	pl_write_counters(path, keys, v, PLT_ARRAY_SIZE(keys));
}

/* Completed transmissions back to the output's free list. */
static void xf_reclaim(struct xf_sock *s)
{
	__u32 idx, n = xsk_ring_cons__peek(&s->comp, XF_RING, &idx);

	for (__u32 i = 0; i < n; i++)
		s->free_addr[s->nfree++] = *xsk_ring_cons__comp_addr(&s->comp, idx + i);
	if (n)
		xsk_ring_cons__release(&s->comp, n);
	s->outstanding -= n;
}

/* Copy mode transmits in sendto(): kick while frames wait on the TX ring. */
static void xf_kick(struct xf_sock *s)
{
	if (s->outstanding && xsk_ring_prod__needs_wakeup(&s->tx))
		sendto(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
}

/* Received frames: dropped, or copied into the output's UMEM with both MACs
 * written and queued on its TX ring (no room: counted in tx_full). Every
 * received address goes back to the input's fill ring. */
static void xf_batch(struct xf_sock *in, struct xf_sock *out, const uint8_t *mac, __u32 idx_rx, __u32 n,
		     struct xf_counts *c)
{
	__u32 idx_fill, idx_tx = 0, ntx = 0;

	while (xsk_ring_prod__reserve(&in->fill, n, &idx_fill) != n)
		; /* n slots were freed by the n frames received */
	if (out) {
		xf_reclaim(out);
		ntx = n < out->nfree ? n : out->nfree;
		if (ntx && xsk_ring_prod__reserve(&out->tx, ntx, &idx_tx) != ntx)
			ntx = 0;
	}
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&in->rx, idx_rx + i);

		if (i < ntx) {
			struct xdp_desc *t = xsk_ring_prod__tx_desc(&out->tx, idx_tx + i);
			uint8_t *dst;

			t->addr = out->free_addr[--out->nfree];
			t->len = d->len;
			t->options = 0;
			dst = xsk_umem__get_data(out->area, t->addr);
			memcpy(dst, xsk_umem__get_data(in->area, d->addr), d->len);
			if (d->len >= 2 * ETH_ALEN)
				memcpy(dst, mac, 2 * ETH_ALEN);
		}
		*xsk_ring_prod__fill_addr(&in->fill, idx_fill + i) = d->addr;
	}
	xsk_ring_cons__release(&in->rx, n);
	xsk_ring_prod__submit(&in->fill, n);
	c->rx += n;
	if (!out) {
		c->drop += n;
		return;
	}
	c->tx_full += n - ntx;
	if (ntx) {
		xsk_ring_prod__submit(&out->tx, ntx);
		out->outstanding += ntx;
		c->tx += ntx;
	}
	xf_kick(out);
}

int main(int argc, char **argv)
{
	static struct xf_opts o = { .cpu = ULONG_MAX };
	static struct xf_sock in, out;
	struct plt_xdp_link link = { .fd = -1 };
	struct plt_bpf b = { 0 };
	struct xf_counts c = { 0 };
	uint8_t mac[2 * ETH_ALEN];
	char objpath[PATH_MAX], **args;
	double t0, last_stats = 0;
	int err, nargs, map_fd, rc = 1;

	err = plt_opts_main(&xf_tool, argc, argv, &o, &nargs, &args);
	if (err >= 0)
		return err;
	if (!o.in || (!o.drop && !o.out) || (o.drop && o.out)) {
		pr_warn("give -i IF and either --drop or -o IF (see --help)\n");
		return 2;
	}
	if (o.out && (xf_mac(o.dst_mac, mac) || xf_mac(o.src_mac, mac + ETH_ALEN))) {
		pr_warn("forwarding needs --dst-mac and --src-mac as aa:bb:cc:dd:ee:ff\n");
		return 2;
	}
	for (const char *i = o.in; i; i = i == o.in ? o.out : NULL)
		if (!if_nametoindex(i)) {
			pr_warn("no interface '%s' in this namespace\n", i);
			return 2;
		}
	if (o.cpu != ULONG_MAX) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			pr_warn("cannot pin to CPU %lu: %s\n", o.cpu, strerror(errno));
			return 2;
		}
	}
	plt_log_use_libxdp();
	err = plt_bpf_load(&b, &(struct plt_bpf_opts){
		.path = plt_bpf_find(NULL, "afxdp_port/redirect_all.bpf.o", objpath, sizeof(objpath)),
		.prog = "pl_redirect_all",
	});
	if (err)
		return 1;
	map_fd = plt_bpf_map_fd(&b, "xsks_map");
	in.ifname = o.in;
	out.ifname = o.out;
	if (map_fd < 0 || xf_open(&in, true, &o) || (o.out && xf_open(&out, false, &o)))
		goto done;
	err = xsk_socket__update_xskmap(in.xsk, map_fd);
	if (err) {
		pr_warn("cannot insert the socket into xsks_map: %s\n", strerror(-err));
		goto done;
	}
	if (plt_xdp_attach(&link, o.in, bpf_program__fd(b.prog), PLT_XDP_NATIVE))
		goto done;
	plt_stop_on_signals();
	printf("pl-xskfwd: %s -> %s, copy mode, %s\n", o.in, o.out ? o.out : "drop",
	       o.busy_poll ? "preferred busy polling" : "poll() with need_wakeup");
	fflush(stdout);
	t0 = plt_now();
	while (!plt_stop) {
		__u32 idx;
		__u32 n = xsk_ring_cons__peek(&in.rx, XF_BATCH, &idx);
		double now;

		if (n) {
			xf_batch(&in, o.out ? &out : NULL, mac, idx, n, &c);
		} else if (o.out && out.outstanding) {
			xf_reclaim(&out);
			xf_kick(&out);
		} else if (o.busy_poll) {
			recvfrom(xsk_socket__fd(in.xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		} else {
			struct pollfd p = { .fd = xsk_socket__fd(in.xsk), .events = POLLIN };

			poll(&p, 1, 10);
		}
		if (o.stats || o.duration > 0) {
			now = plt_now();
			if (o.stats && now - last_stats >= 0.01) {
				xf_write_stats(o.stats, &c);
				last_stats = now;
			}
			if (o.duration > 0 && now - t0 >= o.duration)
				break;
		}
	}
	if (o.stats)
		xf_write_stats(o.stats, &c);
	printf("pl-xskfwd: rx %llu, dropped %llu, sent %llu, TX ring full %llu\n", c.rx, c.drop, c.tx, c.tx_full);
	rc = 0;
done:
	plt_xdp_detach(&link);
	xf_close(&in);
	xf_close(&out);
	plt_bpf_close(&b);
	return rc;
}
