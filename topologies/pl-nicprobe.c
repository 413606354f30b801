// SPDX-License-Identifier: MIT
/* pl-nicprobe: what an interface can do for the lab. Driver and version
 * (ETHTOOL_GDRVINFO), queue counts (ETHTOOL_GCHANNELS), ring sizes
 * (ETHTOOL_GRINGPARAM), MTU, and the XDP features the kernel advertises
 * through the netdev generic-netlink family (kernel 6.3+), falling back to
 * the table of known drivers (pl_nics.h) on older kernels. Output: human,
 * --kv or --json; --drivers prints that table as docs/nics.md has it. */
#include <netinet/in.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include "pl_nics.h"
#include "pl_version.h"

/* From include/uapi/linux/netdev.h (not in this distribution's headers). */
#define PL_NETDEV_FAMILY "netdev"
#define PL_NETDEV_CMD_DEV_GET 1
#define PL_NETDEV_A_DEV_IFINDEX 1
#define PL_NETDEV_A_DEV_XDP_FEATURES 3
#define PL_NETDEV_A_DEV_XDP_ZC_MAX_SEGS 4
static const char *const pl_xdp_names[] = {
	"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg",
};

struct pl_probe {
	char ifname[IF_NAMESIZE];
	int ifindex;
	int mtu;
	struct ethtool_drvinfo drv;
	bool has_drv;
	struct ethtool_channels ch;
	bool has_ch;
	struct ethtool_ringparam ring;
	bool has_ring;
	uint64_t xdp_features;
	uint32_t zc_max_segs;
	const char *xdp_source; /* "netlink", "table" or "unknown" */
	const char *note;
};

enum pl_fmt { PL_FMT_HUMAN, PL_FMT_KV, PL_FMT_JSON };

/* One ethtool ioctl on the interface; returns -errno. */
static int pl_ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* Send one generic-netlink request and read the first reply into buf; returns length or -errno. */
static int pl_genl_call(int fd, void *req, size_t len, char *buf, size_t buflen)
{
	struct nlmsghdr *nh;
	ssize_t n;

	if (send(fd, req, len, 0) < 0)
		return -errno;
	n = recv(fd, buf, buflen, 0);
	if (n < 0)
		return -errno;
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)n))
		return -EBADMSG;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);
		return e->error ? e->error : -ENODATA;
	}
	return (int)n;
}

/* Append a netlink attribute to the message at nh. */
static void pl_nla_put(struct nlmsghdr *nh, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

struct pl_genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr g;
	char attrs[64];
};

#define PL_TB_MAX 16

/* One request: family, command, one attribute; the reply's attributes go
 * into tb (indexed by type, up to PL_TB_MAX). Returns -errno. */
static int pl_genl_query(int fd, int family, int cmd, int attr, const void *val, int len, char *buf,
			 size_t buflen, struct nlattr **tb)
{
	struct pl_genl_req req;
	struct nlattr *a;
	int n, rem;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nh.nlmsg_type = family;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = cmd;
	req.g.version = 1;
	pl_nla_put(&req.nh, attr, val, len);
	n = pl_genl_call(fd, &req, req.nh.nlmsg_len, buf, buflen);
	if (n < 0)
		return n;
	memset(tb, 0, sizeof(*tb) * PL_TB_MAX);
	a = (struct nlattr *)((char *)NLMSG_DATA(buf) + GENL_HDRLEN);
	rem = ((struct nlmsghdr *)buf)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) < PL_TB_MAX)
			tb[a->nla_type & NLA_TYPE_MASK] = a;
	return 0;
}

/* Payload of an attribute. */
static void *pl_nla_data(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

/* Query the netdev family for the XDP features of p->ifindex; returns -errno. */
static int pl_probe_netlink(struct pl_probe *p)
{
	struct nlattr *tb[PL_TB_MAX];
	uint32_t idx = p->ifindex;
	char buf[8192];
	int fd, family, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	/* 1. family id of "netdev" */
	err = pl_genl_query(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, PL_NETDEV_FAMILY,
			    sizeof(PL_NETDEV_FAMILY), buf, sizeof(buf), tb);
	if (err)
		goto close_fd;
	if (!tb[CTRL_ATTR_FAMILY_ID]) {
		err = -ENOENT;
		goto close_fd;
	}
	family = *(uint16_t *)pl_nla_data(tb[CTRL_ATTR_FAMILY_ID]);
	/* 2. NETDEV_CMD_DEV_GET for the interface */
	err = pl_genl_query(fd, family, PL_NETDEV_CMD_DEV_GET, PL_NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx), buf,
			    sizeof(buf), tb);
	if (err)
		goto close_fd;
	if (!tb[PL_NETDEV_A_DEV_XDP_FEATURES]) {
		err = -ENODATA;
		goto close_fd;
	}
	memcpy(&p->xdp_features, pl_nla_data(tb[PL_NETDEV_A_DEV_XDP_FEATURES]), sizeof(uint64_t));
	if (tb[PL_NETDEV_A_DEV_XDP_ZC_MAX_SEGS])
		memcpy(&p->zc_max_segs, pl_nla_data(tb[PL_NETDEV_A_DEV_XDP_ZC_MAX_SEGS]), sizeof(uint32_t));
close_fd:
	close(fd);
	return err;
}

/* Fill p for interface name; returns -errno when the interface is missing. */
static int pl_probe_run(struct pl_probe *p, const char *name)
{
	struct ifreq ifr = { 0 };
	const struct pl_nic *nic;
	int fd;

	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", name);
	p->ifindex = if_nametoindex(name);
	if (!p->ifindex)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		p->mtu = ifr.ifr_mtu;
	p->drv.cmd = ETHTOOL_GDRVINFO;
	p->has_drv = !pl_ethtool(fd, name, &p->drv);
	p->ch.cmd = ETHTOOL_GCHANNELS;
	p->has_ch = !pl_ethtool(fd, name, &p->ch);
	p->ring.cmd = ETHTOOL_GRINGPARAM;
	p->has_ring = !pl_ethtool(fd, name, &p->ring);
	close(fd);

	nic = p->has_drv ? pl_nic_lookup(p->drv.driver) : NULL;
	if (!pl_probe_netlink(p)) {
		p->xdp_source = "netlink";
	} else if (nic) {
		p->xdp_features = nic->features;
		p->xdp_source = "table";
	} else {
		p->xdp_source = "unknown";
	}
	if (nic)
		p->note = nic->note;
	return 0;
}

/* The mode the lab picks for a datapath on this interface. */
static const char *pl_pick_xdp(const struct pl_probe *p)
{
	return (p->xdp_features & PL_XDP_BASIC) ? "native" : "generic";
}

/* AF_XDP mode the lab picks. */
static const char *pl_pick_xsk(const struct pl_probe *p)
{
	return (p->xdp_features & PL_XDP_XSK_ZC) ? "zerocopy" : "copy";
}

/* Print p in the chosen format. */
static void pl_probe_print(const struct pl_probe *p, enum pl_fmt fmt)
{
	const char *drv = p->has_drv ? p->drv.driver : "unknown";
	const char *ver = p->has_drv ? p->drv.version : "";
	unsigned int i;
	bool first = true;

#define B(f) ((p->xdp_features & (f)) ? 1 : 0)
	if (fmt == PL_FMT_KV) {
		printf("IFNAME=%s\nIFINDEX=%d\nDRIVER=%s\nDRIVER_VERSION='%s'\nFIRMWARE='%s'\nBUS='%s'\nMTU=%d\n",
		       p->ifname, p->ifindex, drv, ver, p->has_drv ? p->drv.fw_version : "",
		       p->has_drv ? p->drv.bus_info : "", p->mtu);
		if (p->has_ch)
			printf("CH_RX=%u\nCH_TX=%u\nCH_COMBINED=%u\nCH_MAX_RX=%u\nCH_MAX_TX=%u\nCH_MAX_COMBINED=%u\n",
			       p->ch.rx_count, p->ch.tx_count, p->ch.combined_count, p->ch.max_rx,
			       p->ch.max_tx, p->ch.max_combined);
		if (p->has_ring)
			printf("RING_RX=%u\nRING_TX=%u\nRING_MAX_RX=%u\nRING_MAX_TX=%u\n", p->ring.rx_pending,
			       p->ring.tx_pending, p->ring.rx_max_pending, p->ring.tx_max_pending);
		printf("XDP_SOURCE=%s\nXDP_FEATURES=0x%llx\n", p->xdp_source,
		       (unsigned long long)p->xdp_features);
		printf("XDP_NATIVE=%d\nXDP_REDIRECT=%d\nXDP_NDO_XMIT=%d\nXDP_ZEROCOPY=%d\nXDP_HW_OFFLOAD=%d\n"
		       "XDP_RX_SG=%d\nXDP_NDO_XMIT_SG=%d\nXSK_ZC_MAX_SEGS=%u\n",
		       B(PL_XDP_BASIC), B(PL_XDP_REDIRECT), B(PL_XDP_NDO_XMIT), B(PL_XDP_XSK_ZC),
		       B(PL_XDP_HW_OFFLOAD), B(PL_XDP_RX_SG), B(PL_XDP_NDO_XMIT_SG), p->zc_max_segs);
		printf("PICK_XDP=%s\nPICK_AFXDP=%s\nNOTE='%s'\n", pl_pick_xdp(p), pl_pick_xsk(p),
		       p->note ? p->note : "");
		return;
	}
	if (fmt == PL_FMT_JSON) {
		printf("{\"ifname\":\"%s\",\"ifindex\":%d,\"driver\":\"%s\",\"driver_version\":\"%s\","
		       "\"mtu\":%d,", p->ifname, p->ifindex, drv, ver, p->mtu);
		if (p->has_ch)
			printf("\"channels\":{\"rx\":%u,\"tx\":%u,\"combined\":%u,\"max_rx\":%u,\"max_tx\":%u,"
			       "\"max_combined\":%u},", p->ch.rx_count, p->ch.tx_count, p->ch.combined_count,
			       p->ch.max_rx, p->ch.max_tx, p->ch.max_combined);
		if (p->has_ring)
			printf("\"rings\":{\"rx\":%u,\"tx\":%u,\"max_rx\":%u,\"max_tx\":%u},",
			       p->ring.rx_pending, p->ring.tx_pending, p->ring.rx_max_pending,
			       p->ring.tx_max_pending);
		printf("\"xdp\":{\"source\":\"%s\",\"features\":[", p->xdp_source);
		for (i = 0; i < sizeof(pl_xdp_names) / sizeof(pl_xdp_names[0]); i++)
			if (p->xdp_features & (1ull << i)) {
				printf("%s\"%s\"", first ? "" : ",", pl_xdp_names[i]);
				first = false;
			}
		printf("],\"native\":%s,\"zerocopy\":%s,\"zc_max_segs\":%u},\"pick\":{\"xdp\":\"%s\","
		       "\"afxdp\":\"%s\"},\"note\":\"%s\"}\n", B(PL_XDP_BASIC) ? "true" : "false",
		       B(PL_XDP_XSK_ZC) ? "true" : "false", p->zc_max_segs, pl_pick_xdp(p),
		       pl_pick_xsk(p), p->note ? p->note : "");
		return;
	}
	printf("%s (ifindex %d)\n  driver:    %s %s%s%s\n  mtu:       %d\n", p->ifname, p->ifindex,
	       drv, ver, p->has_drv && p->drv.bus_info[0] ? " bus " : "",
	       p->has_drv ? p->drv.bus_info : "", p->mtu);
	if (p->has_ch)
		printf("  channels:  rx %u tx %u combined %u (max rx %u tx %u combined %u)\n",
		       p->ch.rx_count, p->ch.tx_count, p->ch.combined_count, p->ch.max_rx, p->ch.max_tx,
		       p->ch.max_combined);
	else
		printf("  channels:  not reported (ETHTOOL_GCHANNELS unsupported)\n");
	if (p->has_ring)
		printf("  rings:     rx %u tx %u (max rx %u tx %u)\n", p->ring.rx_pending,
		       p->ring.tx_pending, p->ring.rx_max_pending, p->ring.tx_max_pending);
	else
		printf("  rings:     not reported (ETHTOOL_GRINGPARAM unsupported)\n");
	printf("  xdp (%s):", p->xdp_source);
	for (i = 0; i < sizeof(pl_xdp_names) / sizeof(pl_xdp_names[0]); i++)
		if (p->xdp_features & (1ull << i))
			printf(" %s", pl_xdp_names[i]);
	printf("%s\n  native XDP: %s, redirect target: %s, AF_XDP zero-copy: %s\n",
	       p->xdp_features ? "" : " none", B(PL_XDP_BASIC) ? "yes" : "no",
	       B(PL_XDP_NDO_XMIT) ? "yes" : "no (now)", B(PL_XDP_XSK_ZC) ? "yes" : "no");
	printf("  lab picks: XDP %s, AF_XDP %s\n", pl_pick_xdp(p), pl_pick_xsk(p));
	if (p->note && p->note[0])
		printf("  note:      %s\n", p->note);
#undef B
}

static const struct pl_opt {
	const char *name;
	int val;
	const char *help;
} pl_opts[] = {
	{ "kv", 'k', "KEY=VALUE lines (shell-evaluable)" },
	{ "json", 'j', "one JSON object" },
	{ "drivers", 'd', "the table of known drivers (Markdown, as in docs/nics.md), no IFACE" },
	{ "help", 'h', "this text" },
	{ "version", 'V', "print the version and exit" },
};

/* Usage from the option table. */
static void pl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pl-nicprobe [--kv|--json] IFACE | --drivers\n"
		   "Driver, queues, rings, MTU and XDP features of IFACE (in the current namespace).\n");
	for (i = 0; i < sizeof(pl_opts) / sizeof(pl_opts[0]); i++)
		fprintf(f, "  --%-8s %s\n", pl_opts[i].name, pl_opts[i].help);
}

int main(int argc, char **argv)
{
	struct option lo[sizeof(pl_opts) / sizeof(pl_opts[0]) + 1] = { 0 };
	enum pl_fmt fmt = PL_FMT_HUMAN;
	bool drivers = false;
	struct pl_probe p;
	size_t i;
	int c, err;

	for (i = 0; i < sizeof(pl_opts) / sizeof(pl_opts[0]); i++)
		lo[i] = (struct option){ pl_opts[i].name, no_argument, NULL, pl_opts[i].val };
	while ((c = getopt_long(argc, argv, "kjdhV", lo, NULL)) != -1) {
		switch (c) {
		case 'k': fmt = PL_FMT_KV; break;
		case 'j': fmt = PL_FMT_JSON; break;
		case 'd': drivers = true; break;
		case 'h': pl_usage(stdout); return 0;
		case 'V': printf("pl-nicprobe (pathlab) %s\n", PL_VERSION); return 0;
		default: pl_usage(stderr); return 2;
		}
	}
	if (drivers && optind == argc) {
		pl_nics_print_markdown(stdout);
		return 0;
	}
	if (drivers || optind != argc - 1) {
		pl_usage(stderr);
		return 2;
	}
	err = pl_probe_run(&p, argv[optind]);
	if (err) {
		fprintf(stderr, "pl-nicprobe: %s: no such interface in this namespace (try ip netns exec NS)\n",
			argv[optind]);
		return 1;
	}
	pl_probe_print(&p, fmt);
	return 0;
}
