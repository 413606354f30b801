// SPDX-License-Identifier: MIT
/* plt_xdp: XDP attachment with bpf_links, queries, detach-if-ours, hints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/libbpf.h>
#include "pl_nics.h"
#include "pl_ctl_bpf.h"
#include "plt_bpf.h"
#include "plt_log.h"
#include "plt_xdp.h"

const char *const plt_xdp_mode_names[] = { "auto", "native", "generic", "offload", NULL };

int plt_xdp_mode_opt(void *field, const char *arg)
{
	static const struct {
		const char *name;
		enum plt_xdp_mode mode;
	} names[] = {
		{ "auto", PLT_XDP_AUTO },    { "native", PLT_XDP_NATIVE },   { "drv", PLT_XDP_NATIVE },
		{ "generic", PLT_XDP_GENERIC }, { "skb", PLT_XDP_GENERIC }, { "offload", PLT_XDP_OFFLOAD },
		{ "hw", PLT_XDP_OFFLOAD },
	};

	for (size_t i = 0; i < PLT_ARRAY_SIZE(names); i++)
		if (!strcmp(arg, names[i].name)) {
			*(int *)field = names[i].mode;
			return 0;
		}
	pr_warn("XDP mode '%s': use auto, native (or drv), generic (or skb), offload (or hw)\n", arg);
	return -EINVAL;
}

/* ---- interfaces ---- */
int plt_ifindex(const char *ifname)
{
	int idx = if_nametoindex(ifname);

	if (!idx)
		pr_warn("no interface '%s' in this network namespace (see `ip link`)\n", ifname);
	return idx;
}

/* An ioctl on ifname with ifr_data = data; 0 or -errno. */
static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr, void *data)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	ifr->ifr_data = data;
	err = ioctl(fd, req, ifr) ? -errno : 0;
	close(fd);
	return err;
}

void plt_if_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;

	snprintf(buf, len, "unknown driver");
	if (!if_ioctl(ifname, SIOCETHTOOL, &ifr, &di) && di.driver[0])
		snprintf(buf, len, "%s", di.driver);
}

int plt_if_ethtool_get(const char *ifname, __u32 cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;
	int err = if_ioctl(ifname, SIOCETHTOOL, &ifr, &ev);

	return err ? err : (int)ev.data;
}

/* The sum of the ethtool statistics (ethtool -S) of ifname whose names end
 * in suffix; 0 or -errno. */
int plt_if_stat_sum(const char *ifname, const char *suffix, __u64 *sum)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} ss = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_STATS } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *vals = NULL;
	size_t sl = strlen(suffix);
	struct ifreq ifr;
	__u32 n;
	int err;

	*sum = 0;
	err = if_ioctl(ifname, SIOCETHTOOL, &ifr, &ss);
	if (err)
		return err;
	n = ss.hdr.sset_mask ? ss.len : 0;
	if (!n || n > 65536)
		return n ? -E2BIG : 0;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(__u64));
	if (!names || !vals) {
		err = -ENOMEM;
		goto free_bufs;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	err = if_ioctl(ifname, SIOCETHTOOL, &ifr, names);
	if (!err)
		err = if_ioctl(ifname, SIOCETHTOOL, &ifr, vals);
	for (__u32 i = 0; !err && i < n && i < vals->n_stats; i++) {
		char name[ETH_GSTRING_LEN + 1];
		size_t l;

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		l = strlen(name);
		if (l >= sl && !strcmp(name + l - sl, suffix))
			*sum += vals->data[i];
	}
free_bufs:
	free(names);
	free(vals);
	return err;
}

int plt_if_mtu(const char *ifname)
{
	struct ifreq ifr;

	return if_ioctl(ifname, SIOCGIFMTU, &ifr, NULL) ? 0 : ifr.ifr_mtu;
}

/* ---- attaching ---- */

/* The NIC table's hint for a driver (topologies/pl_nics.h), with IFACE
 * replaced by the interface's name, the option and the current MTU added. */
static void nic_hint(const char *hint, const char *ifname, int mtu, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (const char *p = hint; *p && o + 1 < len;) {
		if (!strncmp(p, "IFACE", 5)) {
			snprintf(buf + o, len - o, "%s", ifname);
			o = strlen(buf);
			p += 5;
		} else {
			buf[o++] = *p++;
			buf[o] = 0;
		}
	}
	if (o + 1 < len)
		snprintf(buf + o, len - o, " (--mode generic; MTU now %d)", mtu);
}

/* What to try when `driver` refused mode `mode` with error err. */
static void attach_hint(const char *ifname, const char *driver, enum plt_xdp_mode mode, int err,
			char *buf, size_t len)
{
	int mtu = plt_if_mtu(ifname);
	const struct pl_nic *nic;

	if (err == -EBUSY || err == -EEXIST) {
		snprintf(buf, len,
			 "another XDP program is attached to %s: see `pathlab-xdp status %s`, remove it with "
			 "`pathlab-xdp detach %s` (or `ip link set dev %s xdp off`)",
			 ifname, ifname, ifname, ifname);
	} else if (err == -EPERM) {
		snprintf(buf, len, "run as root (CAP_NET_ADMIN and CAP_BPF)");
	} else if (mode == PLT_XDP_OFFLOAD) {
		snprintf(buf, len,
			 "only Netronome nfp offloads XDP, and not programs using devmap/xskmap maps: "
			 "use --mode native or --mode generic");
	} else if (mode == PLT_XDP_GENERIC) {
		snprintf(buf, len, "generic XDP works on every interface: check that %s is up and not a "
				   "bond/team slave with its own XDP program", ifname);
	} else if ((nic = pl_nic_lookup(driver)) && nic->hint[0]) {
		nic_hint(nic->hint, ifname, mtu, buf, len);
	} else if (err == -EOPNOTSUPP || err == -EINVAL) {
		snprintf(buf, len,
			 "driver %s may have no native XDP, or not at MTU %d: lower the MTU "
			 "(`ip link set dev %s mtu 1500`) or use --mode generic",
			 driver, mtu, ifname);
	} else if (err == -ERANGE) {
		snprintf(buf, len, "MTU %d is too large for native XDP on %s: lower it or use --mode generic",
			 mtu, driver);
	} else {
		snprintf(buf, len, "use --mode generic");
	}
}

/* The kernel's own reason (extended ack) for refusing prog_fd in `flags` on
 * ifindex: BPF_LINK_CREATE does not return it, so ask again over netlink
 * (which does), without replacing anything. Empty if none. */
static void kernel_reason(int ifindex, int prog_fd, __u32 flags, char *buf, size_t len)
{
	int err;

	plt_log_capture_kernel(buf, len);
	err = bpf_xdp_attach(ifindex, prog_fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	plt_log_capture_kernel(NULL, 0);
	if (!err) /* accepted this time (it changed its mind): take it back */
		bpf_xdp_detach(ifindex, flags, NULL);
}

/* XDP flags of an attach mode. */
static __u32 mode_flags(enum plt_xdp_mode m)
{
	switch (m) {
	case PLT_XDP_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case PLT_XDP_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	case PLT_XDP_OFFLOAD:
		return XDP_FLAGS_HW_MODE;
	default:
		return 0;
	}
}

int plt_xdp_attach(struct plt_xdp_link *l, const char *ifname, int prog_fd, enum plt_xdp_mode m)
{
	enum plt_xdp_mode try = m == PLT_XDP_AUTO ? PLT_XDP_NATIVE : m;
	char driver[64], reason[256], hint[512];
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int ifindex, fd, err;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	ifindex = plt_ifindex(ifname);
	if (!ifindex)
		return -ENODEV;
	plt_if_driver(ifname, driver, sizeof(driver));
	for (;;) {
		lo.flags = mode_flags(try);
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			l->fd = fd;
			l->ifindex = ifindex;
			l->mode = try;
			snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
			if (m == PLT_XDP_AUTO)
				pr_info("%s (%s): attached in %s mode%s\n", ifname, driver, plt_xdp_mode_names[try],
					try == PLT_XDP_GENERIC ? " (native refused)" : "");
			return 0;
		}
		err = -errno;
		kernel_reason(ifindex, prog_fd, lo.flags, reason, sizeof(reason));
		if (m == PLT_XDP_AUTO && try == PLT_XDP_NATIVE && err != -EBUSY && err != -EEXIST &&
		    err != -EPERM) {
			pr_info("%s (%s): native XDP refused (%s%s%s), trying generic\n", ifname, driver,
				strerror(-err), reason[0] ? "; kernel: " : "", reason);
			try = PLT_XDP_GENERIC;
			continue;
		}
		break;
	}
	attach_hint(ifname, driver, try, err, hint, sizeof(hint));
	pr_warn("cannot attach to %s (driver %s) in %s mode: %s%s%s%s\n  try: %s\n", ifname, driver,
		plt_xdp_mode_names[try], strerror(-err), reason[0] ? " (kernel: " : "", reason,
		reason[0] ? ")" : "", hint);
	return err;
}

int plt_xdp_link_pin(const struct plt_xdp_link *l, const char *path)
{
	int err;

	if (!bpf_obj_pin(l->fd, path))
		return 0;
	err = -errno;
	pr_warn("cannot pin %s: %s\n", path, strerror(-err));
	return err;
}

void plt_xdp_detach(struct plt_xdp_link *l)
{
	if (l->fd > 0) {
		bpf_link_detach(l->fd);
		close(l->fd);
	}
	l->fd = -1;
}

void plt_xdp_release(struct plt_xdp_link *l)
{
	if (l->fd > 0)
		close(l->fd);
	l->fd = -1;
}

int plt_xdp_detach_pinned(const char *path)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -ENOENT;
	err = bpf_link_detach(fd) ? -errno : 0;
	close(fd);
	if (err == -ENOLINK) /* already detached (interface gone) */
		err = 0;
	if (!err)
		unlink(path);
	return err;
}

/* ---- what is attached ---- */

/* The XDP link of ifindex holding prog_id, or 0. Links are listed system-wide and
 * ifindexes are per network namespace: the program id tells ours apart. */
static __u32 find_link(int ifindex, __u32 prog_id)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info li;
		__u32 len = sizeof(li);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&li, 0, sizeof(li));
		if (!bpf_obj_get_info_by_fd(fd, &li, &len) && li.type == BPF_LINK_TYPE_XDP &&
		    (int)li.xdp.ifindex == ifindex && li.prog_id == prog_id) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

int plt_xdp_query(int ifindex, struct plt_xdp_info *a)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info pi;
	__u32 len = sizeof(pi);
	int fd, err;

	memset(a, 0, sizeof(*a));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.attach_mode == XDP_ATTACHED_NONE)
		return -ENOENT;
	a->attach_mode = q.attach_mode;
	a->prog_id = q.prog_id       ? q.prog_id
		     : q.drv_prog_id ? q.drv_prog_id
		     : q.skb_prog_id ? q.skb_prog_id
				     : q.hw_prog_id;
	fd = bpf_prog_get_fd_by_id(a->prog_id);
	if (fd >= 0) {
		memset(&pi, 0, sizeof(pi));
		if (!bpf_obj_get_info_by_fd(fd, &pi, &len))
			snprintf(a->name, sizeof(a->name), "%s", pi.name);
		close(fd);
	}
	a->link_id = find_link(ifindex, a->prog_id);
	return 0;
}

const char *plt_xdp_attached_name(__u8 m)
{
	switch (m) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

__u32 plt_xdp_attached_flags(__u8 attach_mode)
{
	return attach_mode == XDP_ATTACHED_SKB  ? XDP_FLAGS_SKB_MODE
	       : attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						: XDP_FLAGS_DRV_MODE;
}

int plt_xdp_detach_if_ours(int ifindex, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	struct plt_xdp_info a;
	int fd, err = plt_xdp_query(ifindex, &a);

	if (err == -ENOENT || (!err && a.prog_id != prog_id)) {
		pr_warn("ifindex %d: the XDP program is no longer ours (id %u, ours %u); left alone\n",
			ifindex, err ? 0 : a.prog_id, prog_id);
		return -ESRCH;
	}
	if (err)
		return err;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	/* REPLACE with "no program" only if ours is still the one there. */
	xo.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, plt_xdp_attached_flags(a.attach_mode) | XDP_FLAGS_REPLACE, &xo);
	close(fd);
	return err;
}

int plt_xdp_replace(int ifindex, int new_fd, int old_fd, __u8 attach_mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);

	xo.old_prog_fd = old_fd;
	return bpf_xdp_attach(ifindex, new_fd, plt_xdp_attached_flags(attach_mode) | XDP_FLAGS_REPLACE, &xo);
}

/* ---- the running core of an interface ---- */

int plt_xdp_is_core(const struct plt_xdp_info *a)
{
	return !strcmp(a->name, PLT_CORE_PROG) || (!strcmp(a->name, PLT_CORE_XSK_PROG) && a->link_id);
}

/* The maps of the pathlab program attached to ifname, or NULL after saying why. */
struct pl_ctl *plt_xdp_open_core(const char *ifname, struct plt_xdp_info *a)
{
	struct pl_ctl *c;
	int idx = plt_ifindex(ifname), err;

	if (!idx)
		return NULL;
	err = plt_xdp_query(idx, a);
	if (err == -ENOENT) {
		pr_warn("no XDP program on %s (start one with `pathlab-xdp run %s` or `pathlab-xdp attach %s`)\n",
			ifname, ifname, ifname);
		return NULL;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s%s\n", ifname, strerror(-err), err == -EPERM ? " (run as root)" : "");
		return NULL;
	}
	if (!plt_xdp_is_core(a)) {
		pr_warn("the XDP program on %s is '%s' (id %u), not pathlab's\n", ifname, a->name, a->prog_id);
		return NULL;
	}
	c = pl_ctl_open_bpf_prog(a->prog_id);
	if (!c)
		pr_warn("cannot open the maps of program %u on %s: %s\n", a->prog_id, ifname, strerror(errno));
	return c;
}

/* One configuration writer at a time: `mode` and `policy` (in any number of
 * processes) each take this lock around their writes, since both write the
 * idle configuration bank and then flip the live index. The lock is on the
 * pin root (bpffs: gone with the mount, nothing to clean up), or on
 * /sys/fs/bpf before anything was pinned. Returns the fd to close, or -1
 * (then the write goes ahead unserialised, after saying so). */
int plt_xdp_writer_lock(void)
{
	const char *dirs[] = { PLT_PIN_ROOT, "/sys/fs/bpf" };

	for (unsigned i = 0; i < 2; i++) {
		int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (!flock(fd, LOCK_EX))
			return fd;
		close(fd);
	}
	pr_warn("cannot lock %s against other pathlab-xdp mode/policy commands: %s\n", PLT_PIN_ROOT,
		strerror(errno));
	return -1;
}

void plt_xdp_writer_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}
