// SPDX-License-Identifier: MIT
/* pathlab-afxdp's TAP devices: PASS frames go to the host through them,
 * and what the host sends into them goes out the port. */
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

/* Write a PASS (or USER) frame to the port's TAP; the frame is recycled. */
void afx_tap_write(struct afx_app *app, struct afx_xsk *x, const uint8_t *data, uint32_t len)
{
	struct afx_port *p = x->port;

	if (p->tap_fd < 0)
		return;
	if (write(p->tap_fd, data, len) == (ssize_t)len)
		x->cnt[AFX_XC_tap_tx]++;
	else
		x->cnt[AFX_XC_tap_err]++;
}

/* Frames the host stack sent into the port's TAP go out the port. */
unsigned afx_tap_read(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	struct afx_port *p = x->port;
	unsigned n = 0;
	uint32_t room = app->o.frame_size - XDP_PACKET_HEADROOM;

	if (p->tap_fd < 0 || p->tap_owner != w)
		return 0;
	while (n < app->o.batch) {
		uint64_t addr;
		ssize_t len;

		if (pl_pool_get(&w->pool, &addr, 1))
			break;
		len = read(p->tap_fd, (uint8_t *)w->umem_area + addr + XDP_PACKET_HEADROOM, room);
		if (len <= 0) {
			pl_pool_put1(&w->pool, addr);
			break;
		}
		w->in_flight++;
		afx_dp_txq_push(app, w, x, addr + XDP_PACKET_HEADROOM, (uint32_t)len);
		x->cnt[AFX_XC_tap_rx]++;
		n++;
	}
	return n;
}
