// SPDX-License-Identifier: MIT
/* pathlab-afxdp's TAP devices: PASS frames go to the host through them,
 * and what the host sends into them goes out the port. */
#include <sys/uio.h>
#include "afxdp.h"

/* Create the TAP device for port p (non-blocking fd, link up). */
int afx_tap_open(struct afx_app *app, struct afx_port *p)
{
	struct ifreq ifr = { 0 };
	int fd, s, err;

	p->tap_fd = -1;
	if (app->o.no_tap)
		return 0;
	snprintf(p->tap_name, sizeof(p->tap_name), "%s%u", app->o.tap_prefix, p->idx);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open /dev/net/tun for the PASS TAP: %s (load the tun module, or use --no-tap)\n",
			strerror(errno));
		return err;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, p->tap_name, IFNAMSIZ); /* both IFNAMSIZ, NUL-terminated */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		pr_warn("cannot create TAP %s: %s (is the name taken? try --tap-prefix)\n", p->tap_name,
			strerror(errno));
		close(fd);
		return err;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		struct ifreq hw = { 0 };

		/* The TAP takes the port's MAC: frames addressed to the port are
		 * addressed to the host behind it, and the host answers as the port. */
		strncpy(hw.ifr_name, p->ifname, IFNAMSIZ - 1);
		if (ioctl(s, SIOCGIFHWADDR, &hw) == 0) {
			memcpy(hw.ifr_name, p->tap_name, IFNAMSIZ);
			if (ioctl(s, SIOCSIFHWADDR, &hw) < 0)
				pr_warn("TAP %s: cannot take the MAC of %s: %s\n", p->tap_name,
					p->ifname, strerror(errno));
		}
		/* The TAP takes the port's MTU: what the host sends through it
		 * (a jumbo frame as a chain) fits the port. */
		strncpy(hw.ifr_name, p->ifname, IFNAMSIZ - 1);
		if (ioctl(s, SIOCGIFMTU, &hw) == 0) {
			p->mtu = (unsigned)hw.ifr_mtu;
			memcpy(hw.ifr_name, p->tap_name, IFNAMSIZ);
			if (ioctl(s, SIOCSIFMTU, &hw) < 0)
				pr_warn("TAP %s: cannot take the MTU %u of %s: %s\n", p->tap_name, p->mtu,
					p->ifname, strerror(errno));
		}
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
				pr_warn("TAP %s: cannot set it up: %s\n", p->tap_name, strerror(errno));
		}
		close(s);
	}
	p->tap_fd = fd;
	return 0;
}

/* Write a PASS (or USER) frame to the port's TAP, all the buffers of its
 * chain in one writev (d: the batch's descriptors); the frame is recycled. */
void afx_tap_write(struct afx_app *app, struct afx_xsk *x, const uint8_t *umem, const struct afx_act *a,
		   const struct xdp_desc *d)
{
	struct afx_port *p = x->port;
	struct iovec iov[AFX_SEGS_MAX];
	size_t len = a->len;

	(void)app;
	if (p->tap_fd < 0)
		return;
	iov[0] = (struct iovec){ (void *)(umem + a->addr), a->len };
	for (unsigned k = 1; k < a->nseg && k < AFX_SEGS_MAX; k++) {
		iov[k] = (struct iovec){ (void *)(umem + d[a->seg + k].addr), d[a->seg + k].len };
		len += d[a->seg + k].len;
	}
	if (writev(p->tap_fd, iov, (int)a->nseg) == (ssize_t)len)
		x->cnt[AFX_XC_tap_tx]++;
	else
		x->cnt[AFX_XC_tap_err]++;
}

/* Frames the host stack sent into the port's TAP go out the port. On a
 * socket bound with XDP_USE_SG a frame longer than one UMEM frame (the TAP
 * has the port's MTU) is read across as many UMEM frames as the MTU needs
 * (one readv) and sent as a chain. */
unsigned afx_tap_read(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	struct afx_port *p = x->port;
	uint32_t fs = app->o.frame_size, room = fs - XDP_PACKET_HEADROOM;
	uint32_t need = p->mtu + 18 > room ? 1 + (p->mtu + 18 - room + fs - 1) / fs : 1;
	unsigned n = 0, nseg = x->sg && need <= AFX_SEGS_MAX ? need : 1;

	if (p->tap_fd < 0 || p->tap_owner != w)
		return 0;
	while (n < app->o.batch) {
		uint64_t addr[AFX_SEGS_MAX] = { 0 };
		struct xdp_desc more[AFX_SEGS_MAX];
		struct iovec iov[AFX_SEGS_MAX];
		unsigned used = 1;
		ssize_t len;

		if (pl_pool_get(&w->pool, addr, nseg))
			break;
		iov[0] = (struct iovec){ (uint8_t *)w->umem_area + addr[0] + XDP_PACKET_HEADROOM, room };
		for (unsigned k = 1; k < nseg; k++)
			iov[k] = (struct iovec){ (uint8_t *)w->umem_area + addr[k], fs };
		len = readv(p->tap_fd, iov, (int)nseg);
		if (len <= 0) {
			pl_pool_put(&w->pool, addr, nseg);
			break;
		}
		if ((size_t)len > room) {
			size_t left = (size_t)len - room;

			for (; left; used++) {
				size_t l = left < fs ? left : fs;

				more[used - 1] = (struct xdp_desc){ .addr = addr[used], .len = (uint32_t)l };
				left -= l;
			}
		}
		pl_pool_put(&w->pool, addr + used, nseg - used);
		w->in_flight += used;
		afx_dp_txq_push(app, w, x, addr[0] + XDP_PACKET_HEADROOM,
				(uint32_t)((size_t)len < room ? (size_t)len : room), more, used - 1);
		x->cnt[AFX_XC_tap_rx]++;
		n++;
	}
	return n;
}
