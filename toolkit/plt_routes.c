// SPDX-License-Identifier: MIT
/* plt_routes: the kernel's routing and neighbour tables mirrored into the
 * route stage's tables (plt_routes.h has the mapping). rtnetlink, no
 * library: one socket for dumps, one subscribed to notifications. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include "plt_log.h"
#include "plt_routes.h"
#include "plt_time.h"
#include "stages/route.h"

#define RESYNC_NS (5ull * 1000000000ull)
#define SETTLE_MS 20 /* notifications come in bursts: dump once they pause */

/* A kernel route or neighbour, and an entry of the tables. */
struct krt {
	__u8 family, plen, table, type;
	__u8 addr[16], gw[16];
	int has_gw, multipath;
	__u32 oif, prio;
};

struct kneigh {
	__u8 family;
	__u8 addr[16], mac[6];
	__u32 ifindex;
};

struct ent {
	__u8 family, plen;
	__u8 addr[16];
	struct pl_route_val v;
};

struct vec {
	void *p;
	unsigned n, cap;
	size_t sz;
};

struct plt_routes {
	struct pl_ctl *ctl;
	pl_port_resolver resolve;
	void *arg;
	int dump_fd, event_fd;
	__u32 seq;
	int has_devmap;
	struct vec rt, nb, want, have;
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		unsigned cap = v->cap ? v->cap * 2 : 64;
		void *p = realloc(v->p, cap * v->sz);

		if (!p)
			return NULL;
		v->p = p;
		v->cap = cap;
	}
	memset((char *)v->p + (size_t)v->n * v->sz, 0, v->sz);
	return (char *)v->p + (size_t)v->n++ * v->sz;
}

static int alen(__u8 family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- netlink ---- */

static int nl_socket(unsigned groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	int rcv = 1 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void parse_route(struct plt_routes *r, const struct nlmsghdr *nh)
{
	const struct rtmsg *rm = NLMSG_DATA(nh);
	int len = (int)RTM_PAYLOAD(nh);
	struct krt k = { .family = rm->rtm_family, .plen = rm->rtm_dst_len, .table = rm->rtm_table,
			 .type = rm->rtm_type };
	struct krt *slot;

	if (rm->rtm_family != AF_INET && rm->rtm_family != AF_INET6)
		return;
	for (const struct rtattr *a = RTM_RTA(rm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		unsigned n = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case RTA_DST:
			if (n == (unsigned)alen(k.family))
				memcpy(k.addr, RTA_DATA(a), n);
			break;
		case RTA_GATEWAY:
			if (n == (unsigned)alen(k.family)) {
				memcpy(k.gw, RTA_DATA(a), n);
				k.has_gw = 1;
			}
			break;
		case RTA_VIA: /* a gateway of the other family */
		case RTA_MULTIPATH:
		case RTA_ENCAP:
			k.multipath = 1;
			break;
		case RTA_OIF:
			k.oif = *(__u32 *)RTA_DATA(a);
			break;
		case RTA_PRIORITY:
			k.prio = *(__u32 *)RTA_DATA(a);
			break;
		case RTA_TABLE:
			k.table = (__u8)(*(__u32 *)RTA_DATA(a) > 255 ? 0 : *(__u32 *)RTA_DATA(a));
			break;
		}
	}
	if (k.table != RT_TABLE_MAIN && k.table != RT_TABLE_LOCAL)
		return;
	slot = vec_push(&r->rt);
	if (slot)
		*slot = k;
}

static void parse_neigh(struct plt_routes *r, const struct nlmsghdr *nh)
{
	const struct ndmsg *nd = NLMSG_DATA(nh);
	int len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	const __u16 ok = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	struct kneigh k = { .family = nd->ndm_family, .ifindex = (__u32)nd->ndm_ifindex };
	int have_dst = 0, have_mac = 0;
	struct kneigh *slot;

	if ((nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) || !(nd->ndm_state & ok))
		return;
	for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == (unsigned)alen(k.family)) {
			memcpy(k.addr, RTA_DATA(a), RTA_PAYLOAD(a));
			have_dst = 1;
		} else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
			memcpy(k.mac, RTA_DATA(a), 6);
			have_mac = 1;
		}
	}
	if (!have_dst || !have_mac)
		return;
	if (k.family == AF_INET6 && (k.addr[0] == 0xff || (k.addr[0] == 0xfe && (k.addr[1] & 0xc0) == 0x80)))
		return; /* multicast, link-local: never routed */
	slot = vec_push(&r->nb);
	if (slot)
		*slot = k;
}

/* Dump one kind (RTM_GETROUTE / RTM_GETNEIGH) of one family. */
static int nl_dump(struct plt_routes *r, __u16 type, __u8 family)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct rtmsg rt;
			struct ndmsg nd;
		};
	} req = { 0 };
	static char buf[1 << 16];
	__u32 seq = ++r->seq;

	req.nh.nlmsg_len = NLMSG_LENGTH(type == RTM_GETROUTE ? sizeof(struct rtmsg) : sizeof(struct ndmsg));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = seq;
	if (type == RTM_GETROUTE)
		req.rt.rtm_family = family;
	else
		req.nd.ndm_family = family;
	if (send(r->dump_fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct pollfd pfd = { .fd = r->dump_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 2000) <= 0)
			return -ETIMEDOUT;
		n = recv(r->dump_fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error ? e->error : -EIO;
			}
			if (nh->nlmsg_type == RTM_NEWROUTE)
				parse_route(r, nh);
			else if (nh->nlmsg_type == RTM_NEWNEIGH)
				parse_neigh(r, nh);
		}
	}
}

/* ---- what the tables should hold ---- */

static int covers(const __u8 *net, unsigned plen, const __u8 *addr)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(net, addr, full))
		return 0;
	return !rem || !((net[full] ^ addr[full]) & (0xff << (8 - rem)));
}

/* The route the kernel would pick for addr (main table, lowest metric of
 * the longest prefix), or NULL. */
static const struct krt *kernel_best(const struct plt_routes *r, __u8 family, const __u8 *addr)
{
	const struct krt *rt = r->rt.p, *best = NULL;

	for (unsigned i = 0; i < r->rt.n; i++) {
		const struct krt *k = &rt[i];

		if (k->family != family || k->table != RT_TABLE_MAIN || !covers(k->addr, k->plen, addr))
			continue;
		if (!best || k->plen > best->plen || (k->plen == best->plen && k->prio < best->prio))
			best = k;
	}
	return best;
}

static const struct kneigh *neigh_of(const struct plt_routes *r, __u8 family, __u32 ifindex, const __u8 *addr)
{
	const struct kneigh *nb = r->nb.p;

	for (unsigned i = 0; i < r->nb.n; i++)
		if (nb[i].family == family && nb[i].ifindex == ifindex && !memcmp(nb[i].addr, addr, alen(family)))
			return &nb[i];
	return NULL;
}

/* A forwarding value out ifindex to mac, if the datapath serves the
 * interface (its port; the devmap slot written where there is one). */
static int fwd_val(struct plt_routes *r, __u32 ifindex, const __u8 mac[6], struct pl_route_val *v)
{
	char name[IF_NAMESIZE];
	__u32 idx, port;

	if (!if_indextoname(ifindex, name) || r->resolve(r->arg, name, &idx, &port))
		return -ENOENT;
	if (pl_ifname_mac(name, v->src_mac))
		return -ENOENT;
	if (r->has_devmap && pl_ctl_update(r->ctl, "pl_tx_ports", &port, &idx))
		return -EIO;
	v->action = PL_ROUTE_FWD;
	v->out_port = port;
	memcpy(v->dst_mac, mac, 6);
	return 0;
}

static struct ent *want_find(struct vec *w, __u8 family, __u8 plen, const __u8 *addr)
{
	struct ent *e = w->p;

	for (unsigned i = 0; i < w->n; i++)
		if (e[i].family == family && e[i].plen == plen && !memcmp(e[i].addr, addr, 16))
			return &e[i];
	return NULL;
}

/* Set (or, with prio, keep the better of) the wanted entry for a prefix. */
static void want_set(struct vec *w, __u8 family, __u8 plen, const __u8 *addr, const struct pl_route_val *v)
{
	__u8 a[16] = { 0 };
	struct ent *e;

	memcpy(a, addr, alen(family));
	e = want_find(w, family, plen, a);
	if (!e && !(e = vec_push(w)))
		return;
	e->family = family;
	e->plen = plen;
	memcpy(e->addr, a, 16);
	e->v = *v;
}

static void compute(struct plt_routes *r)
{
	const struct krt *rt = r->rt.p;
	const struct kneigh *nb = r->nb.p;

	r->want.n = 0;
	/* main first (lowest metric of a prefix wins), then local over it */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < r->rt.n; i++) {
			const struct krt *k = &rt[i];
			struct pl_route_val v = { .action = PL_ROUTE_PASS };

			if (k->table != (pass ? RT_TABLE_LOCAL : RT_TABLE_MAIN))
				continue;
			if (!pass) {
				const struct krt *b = kernel_best(r, k->family, k->addr);

				if (b && b->plen == k->plen && b != k && b->prio < k->prio)
					continue; /* a better metric for the same prefix */
				if (k->type == RTN_BLACKHOLE) {
					v.action = PL_ROUTE_DROP;
				} else if (k->type == RTN_UNICAST && k->has_gw && !k->multipath && k->oif) {
					const struct kneigh *n = neigh_of(r, k->family, k->oif, k->gw);

					if (n)
						fwd_val(r, k->oif, n->mac, &v);
				}
			}
			want_set(&r->want, k->family, k->plen, k->addr, &v);
		}
	for (unsigned i = 0; i < r->nb.n; i++) {
		const struct kneigh *n = &nb[i];
		const struct krt *b = kernel_best(r, n->family, n->addr);
		struct pl_route_val v = { 0 };
		unsigned plen = n->family == AF_INET ? 32 : 128;

		if (!b || b->type != RTN_UNICAST || b->has_gw || b->multipath || b->oif != n->ifindex)
			continue;
		if (want_find(&r->want, n->family, (__u8)plen, n->addr))
			continue; /* a host route of the kernel's own: it decides */
		if (!fwd_val(r, n->ifindex, n->mac, &v))
			want_set(&r->want, n->family, (__u8)plen, n->addr, &v);
	}
}

/* ---- the tables ---- */

static int ent_write(struct plt_routes *r, const struct ent *e, int del)
{
	if (e->family == AF_INET) {
		struct pl_route_key4 k = { .prefixlen = e->plen };

		memcpy(k.addr, e->addr, 4);
		return del ? pl_ctl_remove(r->ctl, "pl_route4", &k) : pl_ctl_update(r->ctl, "pl_route4", &k, &e->v);
	} else {
		struct pl_route_key6 k = { .prefixlen = e->plen };

		memcpy(k.addr, e->addr, 16);
		return del ? pl_ctl_remove(r->ctl, "pl_route6", &k) : pl_ctl_update(r->ctl, "pl_route6", &k, &e->v);
	}
}

/* What the tables hold now. */
static int read_tables(struct plt_routes *r)
{
	struct pl_route_key6 k6, n6;
	struct pl_route_key4 k4, n4;
	struct ent *e;
	int err, first;

	r->have.n = 0;
	for (first = 1; !(err = pl_ctl_next_key(r->ctl, "pl_route4", first ? NULL : &k4, &n4)); first = 0) {
		if (!(e = vec_push(&r->have)))
			return -ENOMEM;
		e->family = AF_INET;
		e->plen = (__u8)n4.prefixlen;
		memcpy(e->addr, n4.addr, 4);
		if (pl_ctl_lookup(r->ctl, "pl_route4", &n4, &e->v))
			r->have.n--;
		k4 = n4;
	}
	if (err != -ENOENT)
		return err;
	for (first = 1; !(err = pl_ctl_next_key(r->ctl, "pl_route6", first ? NULL : &k6, &n6)); first = 0) {
		if (!(e = vec_push(&r->have)))
			return -ENOMEM;
		e->family = AF_INET6;
		e->plen = (__u8)n6.prefixlen;
		memcpy(e->addr, n6.addr, 16);
		if (pl_ctl_lookup(r->ctl, "pl_route6", &n6, &e->v))
			r->have.n--;
		k6 = n6;
	}
	return err == -ENOENT ? 0 : err;
}

int plt_routes_sync(struct plt_routes *r)
{
	struct ent *w, *h;
	int err, changed = 0;

	r->rt.n = r->nb.n = 0;
	if ((err = nl_dump(r, RTM_GETROUTE, AF_INET)) || (err = nl_dump(r, RTM_GETROUTE, AF_INET6)) ||
	    (err = nl_dump(r, RTM_GETNEIGH, AF_INET)) || (err = nl_dump(r, RTM_GETNEIGH, AF_INET6)))
		return err;
	compute(r);
	w = r->want.p;
	h = r->have.p;
	/* new and changed entries first, then the ones that went */
	for (unsigned i = 0; i < r->want.n; i++) {
		struct ent *o = want_find(&r->have, w[i].family, w[i].plen, w[i].addr);

		if (o && !memcmp(&o->v, &w[i].v, sizeof(o->v)))
			continue;
		if ((err = ent_write(r, &w[i], 0)))
			return err;
		changed++;
	}
	for (unsigned i = 0; i < r->have.n; i++) {
		if (want_find(&r->want, h[i].family, h[i].plen, h[i].addr))
			continue;
		err = ent_write(r, &h[i], 1);
		if (err && err != -ENOENT)
			return err;
		changed++;
	}
	/* installed = wanted */
	{
		struct vec t = r->have;

		r->have = r->want;
		r->want = t;
	}
	return changed;
}

unsigned plt_routes_count(const struct plt_routes *r)
{
	return r->have.n;
}

int plt_routes_open(struct plt_routes **out, struct pl_ctl *ctl, pl_port_resolver resolve, void *arg)
{
	struct plt_routes *r = calloc(1, sizeof(*r));
	__u32 zero = 0, val;
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->ctl = ctl;
	r->resolve = resolve ? resolve : pl_port_resolve_ifname;
	r->arg = arg;
	r->rt.sz = sizeof(struct krt);
	r->nb.sz = sizeof(struct kneigh);
	r->want.sz = r->have.sz = sizeof(struct ent);
	r->dump_fd = r->event_fd = -1;
	r->has_devmap = pl_ctl_lookup(ctl, "pl_tx_ports", &zero, &val) != -ESRCH;
	r->dump_fd = nl_socket(0);
	if (r->dump_fd < 0) {
		err = r->dump_fd;
		goto fail;
	}
	r->event_fd = nl_socket(RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_NEIGH | RTMGRP_LINK |
				RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
	if (r->event_fd < 0) {
		err = r->event_fd;
		goto fail;
	}
	err = read_tables(r);
	if (err)
		goto fail;
	*out = r;
	return 0;
fail:
	plt_routes_close(r);
	return err;
}

void plt_routes_close(struct plt_routes *r)
{
	if (!r)
		return;
	if (r->dump_fd >= 0)
		close(r->dump_fd);
	if (r->event_fd >= 0)
		close(r->event_fd);
	free(r->rt.p);
	free(r->nb.p);
	free(r->want.p);
	free(r->have.p);
	free(r);
}

/* Read every pending notification; 1 if there was any (or the socket
 * overran: a resync is needed either way). */
static int drain(struct plt_routes *r)
{
	static char buf[1 << 16];
	int any = 0;

	for (;;) {
		ssize_t n = recv(r->event_fd, buf, sizeof(buf), 0);

		if (n > 0) {
			any = 1;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			any = 1;
			continue;
		}
		return any;
	}
}

int plt_routes_run(struct plt_routes *r, volatile sig_atomic_t *stop)
{
	uint64_t last = plt_now_ns();
	int err = plt_routes_sync(r);

	if (err < 0)
		return err;
	pr_info("routes: %u entries mirrored from the kernel\n", plt_routes_count(r));
	while (!(stop && *stop) && !plt_stop) {
		struct pollfd pfd = { .fd = r->event_fd, .events = POLLIN };
		int n = poll(&pfd, 1, 200);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && drain(r)) {
			/* let a burst finish, then dump once */
			while (poll(&pfd, 1, SETTLE_MS) > 0 && drain(r))
				;
		} else if (plt_now_ns() - last < RESYNC_NS) {
			continue;
		}
		last = plt_now_ns();
		err = plt_routes_sync(r);
		if (err < 0) {
			pr_warn("routes: mirroring the kernel's tables failed: %s (retrying)\n", strerror(-err));
			continue;
		}
		if (err)
			pr_debug("routes: %d entries changed, %u installed\n", err, plt_routes_count(r));
	}
	return 0;
}

/* ---- a thread of its own ---- */

struct plt_routes_thread {
	struct plt_routes *r;
	pthread_t tid;
	volatile sig_atomic_t stop;
};

static void *routes_main(void *arg)
{
	struct plt_routes_thread *t = arg;
	int err = plt_routes_run(t->r, &t->stop);

	if (err)
		pr_warn("routes: the mirror stopped: %s\n", strerror(-err));
	return NULL;
}

int plt_routes_start(struct plt_routes_thread **out, struct pl_ctl *ctl, pl_port_resolver resolve,
		     void *arg)
{
	struct plt_routes_thread *t = calloc(1, sizeof(*t));
	int err;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	err = plt_routes_open(&t->r, ctl, resolve, arg);
	if (!err) {
		err = plt_routes_sync(t->r);
		err = err < 0 ? err : 0;
	}
	if (!err)
		err = -pthread_create(&t->tid, NULL, routes_main, t);
	if (err) {
		plt_routes_close(t->r);
		free(t);
		return err;
	}
	*out = t;
	return 0;
}

void plt_routes_stop(struct plt_routes_thread *t)
{
	if (!t)
		return;
	t->stop = 1;
	pthread_join(t->tid, NULL);
	plt_routes_close(t->r);
	free(t);
}
