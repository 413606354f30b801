// SPDX-License-Identifier: MIT
/* pathlab-xdp: load the pathlab core (pathlab.bpf.o) as an XDP program,
 * attach it, load a policy, flip the mode switch and show live statistics.
 *
 *   pathlab-xdp run IFACE [IFACE...]     attach, print stats until ^C / --duration, detach
 *   pathlab-xdp attach IFACE [IFACE...]  attach and pin (stays after exit)
 *   pathlab-xdp detach IFACE             remove a pinned / netlink attachment
 *   pathlab-xdp status [IFACE]           what is attached, mode, counters
 *   pathlab-xdp mode IFACE MODE          pass-all | drop-all | count-only | policy
 *   pathlab-xdp policy IFACE FILE        reload the policy live
 *   pathlab-xdp stats IFACE              live stats of an attached program
 *
 * Why libbpf and not libxdp: libxdp 1.3.1 (Debian 12) attaches through its
 * multi-program dispatcher, which on kernels 6.14+ cannot chain a program
 * that calls bpf_xdp_adjust_head/tail (fixed in libxdp 1.5.5), and its
 * tracepoint-based helpers fail on 6.16+. We attach with a bpf_link
 * (BPF_LINK_CREATE, attach type BPF_XDP, mode in the flags): a link belongs
 * to the file descriptors that reference it, so for `run` (link not pinned)
 * the kernel detaches the program when the process exits, even on SIGKILL;
 * `attach` pins the link in bpffs, which keeps it after exit. libxdp stays
 * the tool for AF_XDP sockets (pathlab-afxdp).
 *
 * Options come from one table that drives parsing and --help. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "pl_ctl_bpf.h"
#include "pl_opts.h"
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/sockios.h>

#ifndef PL_BPF_OBJ_BUILD
#define PL_BPF_OBJ_BUILD ""
#endif
#ifndef PL_BPF_OBJ_INSTALL
#define PL_BPF_OBJ_INSTALL "/usr/local/lib/pathlab/pathlab.bpf.o"
#endif

#define PIN_ROOT "/sys/fs/bpf/pathlab"
#define PROG_NAME "pathlab"
#define MAX_IFACES PL_PORTS_MAX

/* ---- logging ------------------------------------------------------------- */
enum log_level { LOG_WARN, LOG_INFO, LOG_DEBUG };
static enum log_level log_max = LOG_INFO;

/* Print when level is enabled; warnings and info go to stderr. */
static void pl_log(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_max)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "pathlab-xdp: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
#define pr_warn(...) pl_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...) pl_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pl_log(LOG_DEBUG, __VA_ARGS__)

/* While set, libbpf's messages are captured here instead of printed (to
 * pick up the kernel's extended ack when diagnosing a refused attach). */
static char *capture_buf;
static size_t capture_len;

/* libbpf's messages, one level lower than libbpf rates them. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;
	static const char tag[] = "Kernel error message: ";

	if (capture_buf) {
		char line[512];

		const char *m;

		vsnprintf(line, sizeof(line), fmt, ap);
		m = strstr(line, tag); /* after libbpf's "libbpf: " prefix */
		if (m) {
			snprintf(capture_buf, capture_len, "%s", m + sizeof(tag) - 1);
			capture_buf[strcspn(capture_buf, "\n")] = '\0';
		}
		return 0;
	}
	if (level == LIBBPF_DEBUG && log_max < LOG_DEBUG)
		return 0;
	if (lvl > log_max)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- options ------------------------------------------------------------- */
enum attach_mode { AM_AUTO, AM_NATIVE, AM_GENERIC, AM_OFFLOAD };
static const char *const attach_mode_names[] = { "auto", "native", "generic", "offload" };

struct opts {
	enum attach_mode mode;
	const char *policy;
	double interval;
	double duration;
	const char *obj;
	const char *metrics;
	int verbose;
	int extended;
};

static const struct pl_opt_def opt_table[] = {
	{ "mode", required_argument, 'm', "MODE",
	  "attach mode: native, generic, offload or auto (native, else generic; default auto)" },
	{ "policy", required_argument, 'p', "FILE", "policy to load at attach (run, attach, attach-ovs); docs/policy.md" },
	{ "interval", required_argument, 'i', "SEC", "stats interval in seconds (run, stats; watch-ovs: check interval; default 1)" },
	{ "duration", required_argument, 'd', "SEC", "stop after SEC seconds (run, stats, watch-ovs; default: until SIGINT/SIGTERM)" },
	{ "obj", required_argument, 'o', "PATH",
	  "BPF object (default: the build tree's, then " PL_BPF_OBJ_INSTALL ")" },
	{ "metrics", required_argument, 'M', "ADDR:PORT",
	  "serve Prometheus metrics at http://ADDR:PORT/metrics (run, stats)" },
	{ "extended", no_argument, 'e', NULL,
	  "run, stats: after each line, every non-zero counter (per stage and protocol: acl_drop, proto_udp...)" },
	{ "verbose", no_argument, 'v', NULL, "debug messages, libbpf's too; implies --extended; status: zero counters too" },
	{ "help", no_argument, 'h', NULL, "this text" },
};
#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* --help from the option table. */
static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pathlab-xdp COMMAND [options] ARGS\n"
		"  run IFACE [IFACE...]     attach, print live stats until SIGINT/SIGTERM or --duration,\n"
		"                           detach on exit (the kernel detaches too if it dies)\n"
		"  attach IFACE [IFACE...]  attach and pin under " PIN_ROOT "/IFACE (stays after exit)\n"
		"  detach IFACE             detach what `attach` left (or any netlink-attached program);\n"
		"                           after attach-ovs: put Open vSwitch's own program back\n"
		"  status [IFACE]           attached program, mode, configuration and counters\n"
		"  mode IFACE MODE          flip the mode switch: pass-all, drop-all, count-only, policy\n"
		"  policy IFACE FILE        load a policy into the attached program (no reload)\n"
		"  stats IFACE              live stats of the attached program\n"
		"  attach-ovs IFACE         put the core in front of an Open vSwitch type=afxdp port: load it\n"
		"                           sharing OVS's XSKMAP (PASS and USER go to OVS's socket) and replace\n"
		"                           OVS's program atomically; again after OVS reloaded its program:\n"
		"                           re-apply (pinned under " PIN_ROOT "/ovs-IFACE; ovs/README.md)\n"
		"  watch-ovs IFACE          re-apply whenever OVS reloads its program (until SIGINT/--duration)\n"
		"Interfaces given to run/attach are REDIRECT ports 0, 1, ... in that order.\n");
	pl_opts_usage(f, opt_table, NOPTS);
}

/* A positive number of seconds, or -EINVAL. */
static int parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v > 0) || v > 1e7) {
		pr_warn("--%s '%s' is not a positive number of seconds\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* ---- signals and time ------------------------------------------------------ */
static volatile sig_atomic_t stop_flag;

/* SIGINT/SIGTERM only set the flag. */
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Install the handlers without SA_RESTART, so sleeps return at once. */
static void signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Monotonic seconds. */
static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic time `until` or a signal. */
static void sleep_until(double until)
{
	struct timespec ts;

	ts.tv_sec = (time_t)until;
	ts.tv_nsec = (long)((until - ts.tv_sec) * 1e9);
	while (!stop_flag && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- interfaces and drivers ----------------------------------------------------- */

/* The driver name (ethtool -i) of ifname, or "unknown driver". */
static void driver_name(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(buf, len, "unknown driver");
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&di;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && di.driver[0])
		snprintf(buf, len, "%s", di.driver);
	close(fd);
}

/* An ethtool "get value" ioctl (ETHTOOL_GGRO...), or -errno. */
static int ethtool_get_value(const char *ifname, __u32 cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : (int)ev.data;
	close(fd);
	return ret;
}

/* The MTU of ifname, or 0. */
static int iface_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = 0;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* What to try when `driver` refused mode `mode` with error err. */
static void attach_hint(const char *ifname, const char *driver, enum attach_mode mode, int err,
			char *buf, size_t len)
{
	int mtu = iface_mtu(ifname);

	if (err == -EBUSY || err == -EEXIST) {
		snprintf(buf, len,
			 "another XDP program is attached to %s: see `pathlab-xdp status %s`, remove it with "
			 "`pathlab-xdp detach %s` (or `ip link set dev %s xdp off`)",
			 ifname, ifname, ifname, ifname);
	} else if (err == -EPERM) {
		snprintf(buf, len, "run as root (CAP_NET_ADMIN and CAP_BPF)");
	} else if (mode == AM_OFFLOAD) {
		snprintf(buf, len,
			 "only Netronome nfp offloads XDP, and not programs using devmap/xskmap maps: "
			 "use --mode native or --mode generic");
	} else if (mode == AM_GENERIC) {
		snprintf(buf, len, "generic XDP works on every interface: check that %s is up and not a "
				   "bond/team slave with its own XDP program", ifname);
	} else if (!strcmp(driver, "r8169")) {
		snprintf(buf, len, "the Realtek r8169 driver has no native XDP: use --mode generic");
	} else if (!strcmp(driver, "ena")) {
		snprintf(buf, len,
			 "AWS ENA refuses native XDP above MTU 3498 (now %d: `ip link set dev %s mtu 3498`) "
			 "or when more than half of the channels are in use (`ethtool -L %s combined N` with "
			 "N at most half of the maximum); or use --mode generic",
			 mtu, ifname, ifname);
	} else if (!strcmp(driver, "veth")) {
		snprintf(buf, len,
			 "veth refuses native XDP when the peer's MTU is too large for one page (now %d), when "
			 "this end has fewer rx queues than the peer has tx queues, or with GSO/LRO on the peer: "
			 "lower the MTU, create the veth with numrxqueues N, or use --mode generic",
			 mtu);
	} else if (!strcmp(driver, "virtio_net")) {
		snprintf(buf, len,
			 "virtio_net needs one spare tx queue per CPU (`ethtool -L %s combined N` below the "
			 "maximum) and guest offloads off (`ethtool -K %s lro off`), MTU at most one page "
			 "(now %d); or use --mode generic",
			 ifname, ifname, mtu);
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

	buf[0] = '\0';
	capture_buf = buf;
	capture_len = len;
	err = bpf_xdp_attach(ifindex, prog_fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	capture_buf = NULL;
	if (!err) /* accepted this time (it changed its mind): take it back */
		bpf_xdp_detach(ifindex, flags, NULL);
}

/* XDP flags of an attach mode. */
static __u32 mode_flags(enum attach_mode m)
{
	switch (m) {
	case AM_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case AM_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	case AM_OFFLOAD:
		return XDP_FLAGS_HW_MODE;
	default:
		return 0;
	}
}

/* Create an XDP link for prog_fd on ifname in mode m (auto: native, then
 * generic). Returns the link fd and sets *got, or -errno after saying why
 * and what to try. */
static int link_attach(const char *ifname, int ifindex, int prog_fd, enum attach_mode m,
		       enum attach_mode *got)
{
	enum attach_mode try = m == AM_AUTO ? AM_NATIVE : m;
	char driver[64], reason[256], hint[512];
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd, err;

	driver_name(ifname, driver, sizeof(driver));
	for (;;) {
		lo.flags = mode_flags(try);
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			*got = try;
			if (m == AM_AUTO)
				pr_info("%s (%s): attached in %s mode%s\n", ifname, driver,
					attach_mode_names[try],
					try == AM_GENERIC ? " (native refused)" : "");
			return fd;
		}
		err = -errno;
		kernel_reason(ifindex, prog_fd, lo.flags, reason, sizeof(reason));
		if (m == AM_AUTO && try == AM_NATIVE && err != -EBUSY && err != -EEXIST && err != -EPERM) {
			pr_info("%s (%s): native XDP refused (%s%s%s), trying generic\n", ifname, driver,
				strerror(-err), reason[0] ? "; kernel: " : "", reason);
			try = AM_GENERIC;
			continue;
		}
		break;
	}
	attach_hint(ifname, driver, try, err, hint, sizeof(hint));
	pr_warn("cannot attach to %s (driver %s) in %s mode: %s%s%s%s\n  try: %s\n", ifname, driver,
		attach_mode_names[try], strerror(-err), reason[0] ? " (kernel: " : "", reason,
		reason[0] ? ")" : "", hint);
	return err;
}

/* ---- what is attached ------------------------------------------------------------- */
struct attached {
	__u32 prog_id;
	__u8 attach_mode; /* XDP_ATTACHED_* */
	__u32 link_id;    /* 0: attached over netlink, no link */
	char name[BPF_OBJ_NAME_LEN];
};

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

/* What is attached to ifindex: 0, -ENOENT if nothing, or -errno. */
static int query_attached(int ifindex, struct attached *a)
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
	a->prog_id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
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

/* Name of an XDP_ATTACHED_* value. */
static const char *attached_mode_name(__u8 m)
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

/* ifname -> ifindex, or 0 after saying so. */
static int iface_index(const char *ifname)
{
	int idx = if_nametoindex(ifname);

	if (!idx)
		pr_warn("no interface '%s' in this network namespace (see `ip link`)\n", ifname);
	return idx;
}

/* The maps of the pathlab program attached to ifname (NULL after saying why). */
static struct pl_ctl *open_attached(const char *ifname, struct attached *a)
{
	struct pl_ctl *c;
	int idx = iface_index(ifname), err;

	if (!idx)
		return NULL;
	err = query_attached(idx, a);
	if (err == -ENOENT) {
		pr_warn("no XDP program on %s (start one with `pathlab-xdp run %s` or `pathlab-xdp attach %s`)\n",
			ifname, ifname, ifname);
		return NULL;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s%s\n", ifname, strerror(-err), err == -EPERM ? " (run as root)" : "");
		return NULL;
	}
	if (strcmp(a->name, PROG_NAME)) {
		pr_warn("the XDP program on %s is '%s' (id %u), not pathlab's\n", ifname, a->name, a->prog_id);
		return NULL;
	}
	c = pl_ctl_open_bpf_prog(a->prog_id);
	if (!c)
		pr_warn("cannot open the maps of program %u on %s: %s\n", a->prog_id, ifname, strerror(errno));
	return c;
}

/* ---- ports: REDIRECT port numbers --------------------------------------------------
 * Ports are slots of the devmap pl_tx_ports (value = ifindex). `run` and
 * `attach` fill 0, 1, ... with their interfaces in order; a policy naming
 * another interface gets the next free slot. */
struct port_map {
	struct pl_ctl *c;
	__u64 taken; /* slots handed out during this apply */
};

/* pl_port_resolver over pl_tx_ports: the slot holding the interface, else a free one. */
static int port_resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	struct port_map *pm = arg;
	__u32 idx = if_nametoindex(name), v, free_slot = PL_PORTS_MAX;

	if (!idx)
		return -ENOENT;
	for (__u32 p = 0; p < PL_PORTS_MAX; p++) {
		int err = pl_ctl_lookup(pm->c, "pl_tx_ports", &p, &v);

		if (!err && v == idx) {
			*ifindex = idx;
			*out_port = p;
			return 0;
		}
		if (err && free_slot == PL_PORTS_MAX && !(pm->taken & (1ull << p)))
			free_slot = p;
	}
	if (free_slot == PL_PORTS_MAX)
		return -ERANGE;
	pm->taken |= 1ull << free_slot;
	*ifindex = idx;
	*out_port = free_slot;
	return 0;
}

/* Parse and apply a policy file to c (all or nothing). */
static int policy_load(struct pl_ctl *c, const char *path)
{
	struct port_map pm = { .c = c };
	struct pl_policy *p;
	struct pl_err err;
	char sum[256];
	int ret;

	ret = pl_policy_parse_file(path, &p, &err);
	if (ret) {
		pr_warn("%s\n", err.msg);
		return ret;
	}
	ret = pl_policy_apply(c, p, port_resolve, &pm, &err);
	if (ret) {
		pr_warn("%s\n", err.msg);
	} else {
		pl_policy_summary(p, sum, sizeof(sum));
		pr_info("policy %s: %s\n", path, sum);
	}
	pl_policy_free(p);
	return ret;
}

/* Warn when a veth REDIRECT target cannot receive redirected frames: its
 * peer needs an XDP program or GRO on (else frames are dropped silently). */
static void check_veth_targets(char **ifnames, int n)
{
	for (int i = 0; i < n; i++) {
		char driver[64], path[128], peer[IF_NAMESIZE] = "";
		struct attached a;
		FILE *f;
		int iflink = 0;

		driver_name(ifnames[i], driver, sizeof(driver));
		if (strcmp(driver, "veth"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", ifnames[i]);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &iflink) != 1)
				iflink = 0;
			fclose(f);
		}
		/* The peer is in this namespace only if its iflink points back at us. */
		if (iflink && iflink != (int)if_nametoindex(ifnames[i]) && if_indextoname(iflink, peer)) {
			snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", peer);
			f = fopen(path, "r");
			int back = 0;

			if (f) {
				if (fscanf(f, "%d", &back) != 1)
					back = 0;
				fclose(f);
			}
			if (back != (int)if_nametoindex(ifnames[i]))
				peer[0] = '\0';
		} else {
			peer[0] = '\0';
		}
		if (!peer[0]) {
			pr_warn("REDIRECT to veth %s reaches its peer (in another namespace) only if the peer has "
				"an XDP program or GRO on: e.g. `ip netns exec NS ethtool -K PEER gro on`\n",
				ifnames[i]);
			continue;
		}
		if (!query_attached(iflink, &a) || ethtool_get_value(peer, ETHTOOL_GGRO) > 0)
			continue;
		pr_warn("REDIRECT to veth %s will drop frames: its peer %s has no XDP program and GRO off "
			"(try `ethtool -K %s gro on`)\n", ifnames[i], peer, peer);
	}
}

/* ---- the object -------------------------------------------------------------------- */

/* Path of the BPF object to load: --obj, the build tree's, the installed one. */
static const char *obj_path(const struct opts *o)
{
	if (o->obj)
		return o->obj;
	if (PL_BPF_OBJ_BUILD[0] && !access(PL_BPF_OBJ_BUILD, R_OK))
		return PL_BPF_OBJ_BUILD;
	return PL_BPF_OBJ_INSTALL;
}

struct loaded {
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct pl_ctl *ctl;
	int nif;
	char **ifnames;
	int ifindex[MAX_IFACES];
	int link_fd[MAX_IFACES];
	enum attach_mode got[MAX_IFACES];
};

/* Open and load the object (offload: bound to ifindex), write the default
 * configuration and the ports, apply the policy. */
static int object_load(struct loaded *l, const struct opts *o)
{
	const char *path = obj_path(o);
	struct bpf_map *m;
	int err;

	l->obj = bpf_object__open_file(path, NULL);
	if (!l->obj) {
		err = -errno;
		pr_warn("cannot open BPF object %s: %s (build it with `ninja -C build`, or pass --obj PATH)\n",
			path, strerror(-err));
		return err;
	}
	l->prog = bpf_object__find_program_by_name(l->obj, PROG_NAME);
	if (!l->prog) {
		pr_warn("%s has no program '%s': is it pathlab.bpf.o?\n", path, PROG_NAME);
		err = -ENOENT;
		goto err_close_obj;
	}
	/* Only the datapath program is loaded (pathlab_empty is a benchmark baseline). */
	{
		struct bpf_program *p;

		bpf_object__for_each_program(p, l->obj)
			bpf_program__set_autoload(p, p == l->prog);
	}
	if (o->mode == AM_OFFLOAD) {
		bpf_program__set_ifindex(l->prog, l->ifindex[0]);
		bpf_object__for_each_map(m, l->obj)
			bpf_map__set_ifindex(m, l->ifindex[0]);
	}
	err = bpf_object__load(l->obj);
	if (err) {
		pr_warn("cannot load %s: %s%s\n", path, strerror(-err),
			err == -EPERM ? " (run as root; check `ulimit -l`)"
				      : o->mode == AM_OFFLOAD ? " (offload: only nfp offloads XDP, and not devmap/xskmap: use --mode native or generic)"
							     : " (the verifier's log is above with --verbose)");
		goto err_close_obj;
	}
	pr_debug("loaded %s\n", path);
	l->ctl = pl_ctl_open_bpf_obj(l->obj);
	if (!l->ctl) {
		err = -errno;
		pr_warn("cannot reach the maps of %s: %s\n", path, strerror(-err));
		goto err_close_obj;
	}
	err = pl_ctl_init_config(l->ctl);
	if (err) {
		pr_warn("cannot write pl_config: %s\n", strerror(-err));
		goto err_close_ctl;
	}
	for (int i = 0; i < l->nif && o->mode != AM_OFFLOAD; i++) {
		__u32 port = i, idx = l->ifindex[i];

		err = pl_ctl_update(l->ctl, "pl_tx_ports", &port, &idx);
		if (err) {
			pr_warn("cannot write pl_tx_ports[%u] = %s: %s\n", port, l->ifnames[i], strerror(-err));
			goto err_close_ctl;
		}
	}
	if (o->policy) {
		err = policy_load(l->ctl, o->policy);
		if (err)
			goto err_close_ctl;
		struct pl_config cfg;

		if (!pl_ctl_get_config(l->ctl, &cfg) && cfg.fwd_mode == PL_FWD_REDIRECT)
			check_veth_targets(l->ifnames, l->nif);
	}
	return 0;

err_close_ctl:
	pl_ctl_close(l->ctl);
	l->ctl = NULL;
err_close_obj:
	bpf_object__close(l->obj);
	l->obj = NULL;
	return err;
}

/* Detach every link of l and close the object. Accepts a partly set up l. */
static void loaded_destroy(struct loaded *l)
{
	for (int i = 0; i < l->nif; i++)
		if (l->link_fd[i] >= 0) {
			bpf_link_detach(l->link_fd[i]);
			close(l->link_fd[i]);
			l->link_fd[i] = -1;
		}
	pl_ctl_close(l->ctl);
	l->ctl = NULL;
	bpf_object__close(l->obj);
	l->obj = NULL;
}

/* Resolve the interfaces, load, attach all (all or nothing). */
static int load_and_attach(struct loaded *l, const struct opts *o, int n, char **ifnames)
{
	int prog_fd, err;

	if (n > MAX_IFACES) {
		pr_warn("at most %d interfaces (the size of pl_tx_ports)\n", MAX_IFACES);
		return -E2BIG;
	}
	if (o->mode == AM_OFFLOAD && n != 1) {
		pr_warn("--mode offload binds the program to one device: give one interface\n");
		return -EINVAL;
	}
	l->nif = n;
	l->ifnames = ifnames;
	for (int i = 0; i < n; i++) {
		l->link_fd[i] = -1;
		l->ifindex[i] = iface_index(ifnames[i]);
		if (!l->ifindex[i])
			return -ENODEV;
		for (int j = 0; j < i; j++)
			if (l->ifindex[j] == l->ifindex[i]) {
				pr_warn("%s is given twice\n", ifnames[i]);
				return -EINVAL;
			}
	}
	err = object_load(l, o);
	if (err)
		return err;
	prog_fd = bpf_program__fd(l->prog);
	for (int i = 0; i < n; i++) {
		err = link_attach(ifnames[i], l->ifindex[i], prog_fd, o->mode, &l->got[i]);
		if (err < 0) {
			loaded_destroy(l);
			return err;
		}
		l->link_fd[i] = err;
	}
	return 0;
}

/* ---- stats loop --------------------------------------------------------------------- */

/* Print stats of c every interval until a signal, --duration, or (if
 * stop_on_detach) the program leaving ifname. */
static int stats_loop(struct pl_ctl *c, const struct opts *o, const char *label)
{
	struct pl_counters prev, cur;
	double t0 = now_sec(), next = t0, tprev = t0;
	int err;

	err = pl_ctl_read_counters(c, &prev);
	if (err) {
		pr_warn("cannot read pl_counters: %s\n", strerror(-err));
		return err;
	}
	while (!stop_flag) {
		double t;

		next += o->interval;
		if (o->duration > 0 && next > t0 + o->duration)
			next = t0 + o->duration;
		sleep_until(next);
		t = now_sec();
		err = pl_ctl_read_counters(c, &cur);
		if (err) {
			pr_warn("cannot read pl_counters: %s (was the program detached?)\n", strerror(-err));
			return err;
		}
		if (t - tprev > 1e-3)
			pl_stats_print(stdout, label, t - t0, &prev, &cur, t - tprev, o->verbose || o->extended);
		fflush(stdout);
		prev = cur;
		tprev = t;
		if (o->duration > 0 && t >= t0 + o->duration - 1e-6)
			break;
	}
	return 0;
}

/* Start the metrics server if --metrics was given. */
static int metrics_start(const struct opts *o, struct pl_ctl *c, struct pl_metrics_server **srv)
{
	struct pl_err err;

	*srv = NULL;
	if (!o->metrics)
		return 0;
	if (pl_metrics_serve(o->metrics, "xdp", pl_metrics_read_ctl, c, srv, &err)) {
		pr_warn("%s\n", err.msg);
		return -EINVAL;
	}
	pr_info("metrics: GET /metrics on port %u (--metrics %s)\n", pl_metrics_port(*srv), o->metrics);
	return 0;
}

/* ---- subcommands ------------------------------------------------------------------ */

/* The id of a loaded program, or 0. */
static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info pi;
	__u32 len = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	return bpf_obj_get_info_by_fd(fd, &pi, &len) ? 0 : pi.id;
}

/* run IFACE...: attach (links not pinned), stats until stopped, detach. */
static int cmd_run(const struct opts *o, int n, char **ifnames)
{
	struct pl_metrics_server *srv;
	struct loaded l;
	int err;

	if (n < 1) {
		pr_warn("run needs at least one interface\n");
		return 2;
	}
	memset(&l, 0, sizeof(l));
	signals_setup();
	err = load_and_attach(&l, o, n, ifnames);
	if (err)
		return 1;
	for (int i = 0; i < n; i++)
		printf("%s: attached in %s mode, port %d, program id %u\n", ifnames[i],
		       attach_mode_names[l.got[i]], i, prog_id_of(bpf_program__fd(l.prog)));
	fflush(stdout);
	err = metrics_start(o, l.ctl, &srv);
	if (!err)
		err = stats_loop(l.ctl, o, "xdp");
	pl_metrics_stop(srv);
	loaded_destroy(&l);
	printf("detached from %d interface%s\n", n, n == 1 ? "" : "s");
	return err ? 1 : 0;
}

/* In front of Open vSwitch (defined with attach-ovs below). */
static int ovs_pinned(const char *ifname);
static int ovs_detach(const char *ifname, int idx);

/* Is a bpffs mounted at /sys/fs/bpf? */
static int bpffs_ok(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) {
		pr_warn("no bpffs at /sys/fs/bpf: `mount -t bpf -o mode=0700 bpf /sys/fs/bpf` (inside a namespace use "
			"`pl-topo exec`, which keeps one: `ip netns exec` gives a fresh /sys that lasts one command)\n");
		return 0;
	}
	return 1;
}

/* Remove directory dir and every pin in it. */
static void pin_dir_remove(const char *dir)
{
	char path[PATH_MAX + 300];
	struct pl_err perr;
	struct dirent *de;
	DIR *d;

	if (pl_ctl_bpf_pin_dir_check(dir, &perr))
		return; /* missing, or not ours to empty */
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

/* Remove the pin directory of ifname and every pin in it. */
static void pins_remove(const char *ifname)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), PIN_ROOT "/%s", ifname);
	pin_dir_remove(dir);
}

/* Pin the link of interface i and every map under PIN_ROOT/IFACE/. */
static int pins_create(struct loaded *l, int i)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct bpf_map *m;
	struct pl_err perr;
	int err;

	snprintf(dir, sizeof(dir), PIN_ROOT "/%s", l->ifnames[i]);
	if ((err = pl_ctl_bpf_pin_dir(PIN_ROOT, &perr)) || (err = pl_ctl_bpf_pin_dir(dir, &perr))) {
		pr_warn("%s\n", perr.msg);
		return err;
	}
	bpf_object__for_each_map(m, l->obj) {
		if (bpf_map__fd(m) < 0 || strchr(bpf_map__name(m), '.'))
			continue; /* .rodata and friends */
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
		if (bpf_obj_pin(bpf_map__fd(m), path) && errno != EEXIST) {
			err = -errno;
			pr_warn("cannot pin %s: %s\n", path, strerror(-err));
			return err;
		}
	}
	snprintf(path, sizeof(path), "%s/link", dir);
	if (bpf_obj_pin(l->link_fd[i], path)) {
		err = -errno;
		pr_warn("cannot pin %s: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

/* attach IFACE...: attach and pin the links (they stay after exit). */
static int cmd_attach(const struct opts *o, int n, char **ifnames)
{
	struct loaded l;
	int err;

	if (n < 1) {
		pr_warn("attach needs at least one interface\n");
		return 2;
	}
	if (!bpffs_ok())
		return 1;
	memset(&l, 0, sizeof(l));
	err = load_and_attach(&l, o, n, ifnames);
	if (err)
		return 1;
	for (int i = 0; i < n; i++) {
		err = pins_create(&l, i);
		if (err) {
			for (int j = 0; j <= i; j++)
				pins_remove(ifnames[j]);
			loaded_destroy(&l);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		printf("%s: attached in %s mode, port %d, pinned at " PIN_ROOT "/%s\n", ifnames[i],
		       attach_mode_names[l.got[i]], i, ifnames[i]);
		close(l.link_fd[i]); /* the pin holds it now */
		l.link_fd[i] = -1;
	}
	pl_ctl_close(l.ctl);
	bpf_object__close(l.obj);
	return 0;
}

/* detach IFACE: the pinned link, else a netlink attachment. A link held
 * by a running `run` is left to that process. */
static int cmd_detach(int n, char **ifnames)
{
	char path[PATH_MAX];
	struct attached a;
	int idx, err, fd;

	if (n != 1) {
		pr_warn("detach takes one interface\n");
		return 2;
	}
	idx = iface_index(ifnames[0]);
	if (!idx)
		return 1;
	if (ovs_pinned(ifnames[0]))
		return ovs_detach(ifnames[0], idx);
	snprintf(path, sizeof(path), PIN_ROOT "/%s/link", ifnames[0]);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = bpf_link_detach(fd) ? -errno : 0;
		close(fd);
		if (err && err != -ENOLINK) {
			pr_warn("cannot detach the link pinned at %s: %s\n", path, strerror(-err));
			return 1;
		}
		pins_remove(ifnames[0]);
		printf("%s: detached (pinned link removed)\n", ifnames[0]);
		return 0;
	}
	err = query_attached(idx, &a);
	if (err == -ENOENT) {
		pins_remove(ifnames[0]);
		printf("%s: nothing attached\n", ifnames[0]);
		return 0;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifnames[0], strerror(-err));
		return 1;
	}
	if (a.link_id) {
		pr_warn("%s: program %u is held by link %u that is not pinned here (a running `pathlab-xdp run`, "
			"or another tool): stop that process (SIGINT) instead\n",
			ifnames[0], a.prog_id, a.link_id);
		return 1;
	}
	err = bpf_xdp_detach(idx, a.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE
				  : a.attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
								     : XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		pr_warn("cannot detach program %u from %s: %s\n", a.prog_id, ifnames[0], strerror(-err));
		return 1;
	}
	printf("%s: detached program %u ('%s', attached over netlink)\n", ifnames[0], a.prog_id, a.name);
	return 0;
}

/* Status of one interface; quiet: say nothing when nothing is attached. */
static int status_one(const char *ifname, int idx, int quiet, int verbose)
{
	char path[PATH_MAX], driver[64];
	struct pl_counters cnt;
	struct pl_config cfg;
	struct attached a;
	struct pl_ctl *c;
	int err = query_attached(idx, &a);

	if (err == -ENOENT) {
		if (!quiet)
			printf("%s: no XDP program\n", ifname);
		return 0;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	driver_name(ifname, driver, sizeof(driver));
	snprintf(path, sizeof(path), PIN_ROOT "/%s/link", ifname);
	struct statfs sf;
	const char *how = !a.link_id ? "attached over netlink"
			  : !access(path, F_OK) ? "link pinned (pathlab-xdp attach)"
			  : statfs("/sys/fs/bpf", &sf) || sf.f_type != BPF_FS_MAGIC
				  ? "link (no bpffs at /sys/fs/bpf here: cannot tell whether it is pinned)"
				  : "link held by a process (pathlab-xdp run)";

	if (ovs_pinned(ifname))
		how = !strcmp(a.name, PROG_NAME) ? "in front of Open vSwitch's AF_XDP socket (attach-ovs)"
						 : "Open vSwitch reloaded its own program: the pre-filter is NOT in "
						   "front any more (re-apply: `pathlab-xdp attach-ovs IFACE`)";
	printf("%s: driver %s, program '%s' id %u, %s mode, %s", ifname, driver, a.name, a.prog_id,
	       attached_mode_name(a.attach_mode), how);
	if (a.link_id)
		printf(", link id %u", a.link_id);
	if (a.link_id && !access(path, F_OK))
		printf(", pin %s", path);
	printf("\n");
	if (strcmp(a.name, PROG_NAME))
		return 0;
	c = pl_ctl_open_bpf_prog(a.prog_id);
	if (!c) {
		pr_warn("cannot open the maps of program %u: %s\n", a.prog_id, strerror(errno));
		return -errno;
	}
	err = pl_ctl_get_config(c, &cfg);
	if (!err)
		err = pl_ctl_read_counters(c, &cnt);
	if (err) {
		pr_warn("cannot read pl_config/pl_counters of program %u: %s\n", a.prog_id, strerror(-err));
		pl_ctl_close(c);
		return err;
	}
	printf("  mode-switch %s, malformed %s, default %s, acl default %s, forward %s, steer %s\n",
	       pl_mode_name(cfg.mode), pl_verdict_name(cfg.malformed_verdict),
	       pl_verdict_name(cfg.default_verdict), pl_verdict_name(cfg.acl_default),
	       cfg.fwd_mode == PL_FWD_REFLECT ? "reflect" : cfg.fwd_mode == PL_FWD_REDIRECT ? "redirect" : "off",
	       cfg.steer_enabled ? "on" : "off");
	printf("  stages: ratelimit %s, synguard %s, responder %s, lb %s\n", cfg.rl_enabled ? "on" : "off",
	       cfg.syn_enabled ? "on" : "off", cfg.resp_enabled ? "on" : "off", cfg.lb_enabled ? "on" : "off");
	for (__u32 p = 0; p < PL_PORTS_MAX; p++) {
		__u32 v;
		char nm[IF_NAMESIZE];

		if (!pl_ctl_lookup(c, "pl_tx_ports", &p, &v))
			printf("  port %u -> %s (ifindex %u)\n", p, if_indextoname(v, nm) ? nm : "?", v);
	}
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (cnt.c[i] || verbose || i <= PL_CNT_V_ABORTED)
			printf("  %-18s %llu\n", pl_counter_name(i), (unsigned long long)cnt.c[i]);
	pl_ctl_close(c);
	return 0;
}

/* status [IFACE]: one interface, or every interface with an XDP program. */
static int cmd_status(const struct opts *o, int n, char **ifnames)
{
	struct if_nameindex *all, *it;
	int bad = 0, shown = 0;

	if (n > 1) {
		pr_warn("status takes at most one interface\n");
		return 2;
	}
	if (n == 1) {
		int idx = iface_index(ifnames[0]);

		return idx && !status_one(ifnames[0], idx, 0, o->verbose) ? 0 : 1;
	}
	all = if_nameindex();
	if (!all) {
		pr_warn("cannot list interfaces: %s\n", strerror(errno));
		return 1;
	}
	for (it = all; it->if_index; it++) {
		struct attached a;

		if (query_attached(it->if_index, &a))
			continue;
		shown++;
		if (status_one(it->if_name, it->if_index, 1, o->verbose))
			bad++;
	}
	if_freenameindex(all);
	if (!shown)
		printf("no XDP program on any interface of this network namespace\n");
	return bad ? 1 : 0;
}

/* The subcommand's arguments checked (n must be want) and the program on
 * args[0] opened; NULL with *rc = 2 (usage) or 1 (not reachable). */
static struct pl_ctl *open_cmd(int n, int want, const char *usage, char **args, struct attached *a,
			       int *rc)
{
	struct pl_ctl *c;

	if (n != want) {
		pr_warn("usage: %s\n", usage);
		*rc = 2;
		return NULL;
	}
	c = open_attached(args[0], a);
	*rc = c ? 0 : 1;
	return c;
}

/* mode IFACE MODE: flip the switch of the running program. */
static int cmd_mode(int n, char **args)
{
	struct attached a;
	struct pl_ctl *c;
	int m, err;

	m = n == 2 ? pl_mode_parse(args[1]) : 0;
	if (m < 0) {
		pr_warn("unknown mode '%s' (pass-all, drop-all, count-only, policy)\n", args[1]);
		return 2;
	}
	c = open_cmd(n, 2, "mode IFACE pass-all|drop-all|count-only|policy", args, &a, &err);
	if (!c)
		return err;
	err = pl_ctl_set_mode(c, m);
	pl_ctl_close(c);
	if (err) {
		pr_warn("cannot set the mode of program %u: %s\n", a.prog_id, strerror(-err));
		return 1;
	}
	printf("%s: mode %s\n", args[0], pl_mode_name(m));
	return 0;
}

/* policy IFACE FILE: reload the policy live. */
static int cmd_policy(int n, char **args)
{
	struct attached a;
	struct pl_ctl *c;
	int err;

	c = open_cmd(n, 2, "policy IFACE FILE", args, &a, &err);
	if (!c)
		return err;
	err = policy_load(c, args[1]);
	pl_ctl_close(c);
	if (!err)
		printf("%s: policy %s loaded into program %u\n", args[0], args[1], a.prog_id);
	return err ? 1 : 0;
}

/* stats IFACE: live stats of the attached program. */
static int cmd_stats(const struct opts *o, int n, char **args)
{
	struct pl_metrics_server *srv;
	struct attached a;
	struct pl_ctl *c;
	int err;

	c = open_cmd(n, 1, "stats IFACE [--interval SEC] [--duration SEC]", args, &a, &err);
	if (!c)
		return err;
	signals_setup();
	err = metrics_start(o, c, &srv);
	if (!err)
		err = stats_loop(c, o, "xdp");
	pl_metrics_stop(srv);
	pl_ctl_close(c);
	return err ? 1 : 0;
}

/* ---- in front of an Open vSwitch afxdp port ------------------------------------------
 * OVS 3.1 removes any XDP program when it adds a type=afxdp port and loads
 * its own (libxdp's xsk_def_prog: redirect to the socket of the receiving
 * queue through an XSKMAP). attach-ovs loads the core with its xsks_map
 * reusing that very XSKMAP (found by map id among the program's maps) and
 * pl_pass_to_xsk set, so PASS and USER reach OVS's socket while DROP, TX
 * and REDIRECT happen in XDP, then swaps the programs in one netlink call
 * (XDP_FLAGS_REPLACE with OVS's program as the expected old one: if OVS
 * changed it meanwhile, nothing is replaced). The core's other maps are
 * pinned under PIN_ROOT/ovs-IFACE/ with OVS's program (ovs_prog, kept for
 * detach). When OVS reconfigures the port it loads a new program and map:
 * attach-ovs again (or watch-ovs) loads the core anew reusing the pinned
 * maps (policy and counters survive) and OVS's new XSKMAP. */
#define OVS_PROG_NAME "xsk_def_prog"

/* PIN_ROOT/ovs-IFACE[/file]. */
static void ovs_pin_path(char *buf, size_t len, const char *ifname, const char *file)
{
	snprintf(buf, len, PIN_ROOT "/ovs-%s%s%s", ifname, file ? "/" : "", file ? file : "");
}

/* Is the core attached in front of OVS on ifname (its pin directory exists)? */
static int ovs_pinned(const char *ifname)
{
	char path[PATH_MAX];

	ovs_pin_path(path, sizeof(path), ifname, "ovs_prog");
	return !access(path, F_OK);
}

/* Remove PIN_ROOT/ovs-IFACE and what is in it (and PIN_ROOT if then empty). */
static void ovs_pins_remove(const char *ifname)
{
	char dir[PATH_MAX];

	ovs_pin_path(dir, sizeof(dir), ifname, NULL);
	pin_dir_remove(dir);
	rmdir(PIN_ROOT); /* when nothing else is pinned there */
}

/* An fd of the XSKMAP among the maps of program prog_fd (*map_id set), or
 * -ENOENT. */
static int prog_xskmap(int prog_fd, __u32 *map_id)
{
	struct bpf_map_info mi;
	int fd = pl_ctl_bpf_prog_map_by_type(prog_fd, BPF_MAP_TYPE_XSKMAP, &mi);

	if (fd >= 0)
		*map_id = mi.id;
	return fd;
}

/* XDP flags matching how a program is attached (XDP_ATTACHED_*). */
static __u32 attached_flags(__u8 attach_mode)
{
	return attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE
	       : attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						: XDP_FLAGS_DRV_MODE;
}

/* Serialise attach-ovs / watch-ovs / detach (a watch and a manual re-apply
 * racing each other): an flock on the pin root directory, so nothing is
 * left behind. Returns the lock fd (close to release) or -1 when no lock
 * could be taken (then go on unlocked). */
static int ovs_lock(const char *ifname)
{
	struct pl_err perr;
	int fd;

	(void)ifname;
	if (pl_ctl_bpf_pin_dir(PIN_ROOT, &perr))
		return -1; /* attach-ovs refuses it with the reason */
	fd = open(PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Release ovs_lock's lock (fd may be -1). */
static void ovs_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Put the core in front of OVS's program on ifname (policy: optional).
 * reapplied: set when the pinned maps of an earlier attach were reused.
 * Returns 0, 1 when the core is already in front (policy loaded if given),
 * or -errno after saying what is wrong. Nothing is left behind on error. */
static int ovs_attach_locked(const struct opts *o, const char *ifname, int *reapplied)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	int idx = iface_index(ifname), ovs_fd = -1, xsk_fd = -1, err, fresh;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog, *p;
	struct pl_ctl *ctl = NULL;
	struct attached a;
	struct bpf_map *m;
	struct pl_err perr;
	__u32 xsk_id = 0;

	*reapplied = 0;
	if (!idx)
		return -ENODEV;
	err = query_attached(idx, &a);
	/* OVS reconfiguring the port: no program for a moment, then its new one. */
	for (int i = 0; i < 50 && err == -ENOENT && ovs_pinned(ifname); i++) {
		usleep(100000);
		err = query_attached(idx, &a);
	}
	if (err == -ENOENT) {
		pr_warn("no XDP program on %s: it is not an Open vSwitch afxdp port (add it first: "
			"`pl-ovs add-port %s`, or `ovs-vsctl add-port BR %s -- set interface %s type=afxdp`)\n",
			ifname, ifname, ifname, ifname);
		return -ENOENT;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s%s\n", ifname, strerror(-err), err == -EPERM ? " (run as root)" : "");
		return err;
	}
	if (!strcmp(a.name, PROG_NAME)) {
		if (!ovs_pinned(ifname)) {
			pr_warn("%s has pathlab's program attached, but not by attach-ovs with this bpffs (pathlab-xdp "
				"run/attach, or attach-ovs under a bpffs that is gone, e.g. an earlier `ip netns exec`): "
				"`pathlab-xdp detach %s` first, or remove and add the port in OVS\n", ifname, ifname);
			return -EEXIST;
		}
		if (o->policy) {
			struct pl_ctl *c = pl_ctl_open_bpf_prog(a.prog_id);

			if (!c) {
				pr_warn("cannot open the maps of program %u: %s\n", a.prog_id, strerror(errno));
				return -errno;
			}
			err = policy_load(c, o->policy);
			pl_ctl_close(c);
			if (err)
				return err;
		}
		return 1;
	}
	if (strcmp(a.name, OVS_PROG_NAME)) {
		pr_warn("the XDP program on %s is '%s' (id %u), not Open vSwitch's %s: is %s an OVS afxdp port "
			"(`ovs-vsctl list interface %s`)? Nothing attached.\n",
			ifname, a.name, a.prog_id, OVS_PROG_NAME, ifname, ifname);
		return -EINVAL;
	}
	if (!bpffs_ok())
		return -ENOENT;
	ovs_fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (ovs_fd < 0) {
		err = -errno;
		pr_warn("cannot open OVS's program %u on %s: %s\n", a.prog_id, ifname, strerror(-err));
		return err;
	}
	xsk_fd = prog_xskmap(ovs_fd, &xsk_id);
	if (xsk_fd < 0) {
		err = xsk_fd;
		pr_warn("OVS's program %u on %s has no XSKMAP (%s): not the AF_XDP program expected\n",
			a.prog_id, ifname, strerror(-err));
		goto out;
	}
	obj = bpf_object__open_file(obj_path(o), NULL);
	if (!obj) {
		err = -errno;
		pr_warn("cannot open BPF object %s: %s (build it with `ninja -C build`, or pass --obj PATH)\n",
			obj_path(o), strerror(-err));
		goto out;
	}
	prog = bpf_object__find_program_by_name(obj, PROG_NAME);
	if (!prog) {
		pr_warn("%s has no program '%s': is it pathlab.bpf.o?\n", obj_path(o), PROG_NAME);
		err = -ENOENT;
		goto out;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	err = pl_ctl_bpf_set_rodata_u32(obj, "pl_pass_to_xsk", 1);
	if (err) {
		pr_warn("%s has no rodata global pl_pass_to_xsk (%s): rebuild it (ninja -C build)\n",
			obj_path(o), strerror(-err));
		goto out;
	}
	/* The core's maps: the pinned ones of an earlier attach, OVS's XSKMAP. */
	ovs_pin_path(dir, sizeof(dir), ifname, NULL);
	fresh = 1;
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		int fd;

		if (!strcmp(name, "xsks_map")) {
			err = bpf_map__reuse_fd(m, xsk_fd);
			if (err) {
				pr_warn("cannot reuse OVS's XSKMAP (id %u) as xsks_map: %s\n", xsk_id, strerror(-err));
				goto out;
			}
			continue;
		}
		if (strchr(name, '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err) {
			pr_warn("cannot reuse the pinned map %s: %s (remove %s and attach again)\n", path,
				strerror(-err), dir);
			goto out;
		}
		fresh = 0;
	}
	err = bpf_object__load(obj);
	if (err) {
		pr_warn("cannot load %s: %s (the verifier's log is above with --verbose)\n", obj_path(o),
			strerror(-err));
		goto out;
	}
	ctl = pl_ctl_open_bpf_obj(obj);
	if (!ctl) {
		err = -errno;
		pr_warn("cannot reach the maps of %s: %s\n", obj_path(o), strerror(-err));
		goto out;
	}
	if (fresh) {
		err = pl_ctl_init_config(ctl);
		if (err) {
			pr_warn("cannot write pl_config: %s\n", strerror(-err));
			goto out;
		}
	}
	if (o->policy) {
		err = policy_load(ctl, o->policy);
		if (err)
			goto out;
	}
	/* Pins: the core's maps (first time) and OVS's current program. */
	if ((err = pl_ctl_bpf_pin_dir(PIN_ROOT, &perr)) || (err = pl_ctl_bpf_pin_dir(dir, &perr))) {
		pr_warn("%s\n", perr.msg);
		goto out;
	}
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);

		if (!fresh || strchr(name, '.') || !strcmp(name, "xsks_map"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (bpf_obj_pin(bpf_map__fd(m), path) && errno != EEXIST) {
			err = -errno;
			pr_warn("cannot pin %s: %s\n", path, strerror(-err));
			goto err_unpin;
		}
	}
	snprintf(path, sizeof(path), "%s/ovs_prog", dir);
	unlink(path);
	if (bpf_obj_pin(ovs_fd, path)) {
		err = -errno;
		pr_warn("cannot pin %s: %s\n", path, strerror(-err));
		goto err_unpin;
	}
	/* The swap: only if OVS's program is still the one attached. */
	xo.old_prog_fd = ovs_fd;
	err = bpf_xdp_attach(idx, bpf_program__fd(prog), attached_flags(a.attach_mode) | XDP_FLAGS_REPLACE, &xo);
	if (err) {
		pr_warn("cannot replace OVS's program %u on %s: %s%s\n", a.prog_id, ifname, strerror(-err),
			err == -EEXIST ? " (OVS replaced it meanwhile: try again)" : "");
		goto err_unpin;
	}
	*reapplied = !fresh;
	printf("%s: pathlab (id %u) in front of Open vSwitch: replaced %s id %u (%s mode), sharing its "
	       "XSKMAP id %u; DROP/TX/REDIRECT in XDP, PASS and USER to OVS's socket%s\n",
	       ifname, prog_id_of(bpf_program__fd(prog)), OVS_PROG_NAME, a.prog_id,
	       attached_mode_name(a.attach_mode), xsk_id, fresh ? "" : " (pinned maps reused: policy and counters kept)");
	err = 0;
	goto out;

err_unpin:
	if (fresh)
		ovs_pins_remove(ifname);
out:
	pl_ctl_close(ctl);
	bpf_object__close(obj); /* the attachment holds the program, the pins the maps */
	if (xsk_fd >= 0)
		close(xsk_fd);
	if (ovs_fd >= 0)
		close(ovs_fd);
	return err;
}

/* ovs_attach_locked under the interface's lock. */
static int ovs_attach(const struct opts *o, const char *ifname, int *reapplied)
{
	int lk = ovs_lock(ifname), err;

	err = ovs_attach_locked(o, ifname, reapplied);
	ovs_unlock(lk);
	return err;
}

/* attach-ovs IFACE: put the core in front of OVS's afxdp port, or re-apply
 * after OVS reloaded its own program. */
static int cmd_attach_ovs(const struct opts *o, int n, char **args)
{
	int err, re;

	if (n != 1) {
		pr_warn("usage: attach-ovs IFACE [--policy FILE]\n");
		return 2;
	}
	err = ovs_attach(o, args[0], &re);
	if (err == 1) {
		printf("%s: pathlab already in front of Open vSwitch%s%s\n", args[0],
		       o->policy ? ", policy loaded: " : "", o->policy ? o->policy : "");
		return 0;
	}
	return err ? 1 : 0;
}

/* Detach from an OVS port: put OVS's pinned program back if the core is
 * still attached, remove the pins. */
static int ovs_detach_locked(const char *ifname, int idx)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	char path[PATH_MAX];
	struct attached a;
	int ovs_fd, cur_fd, err;

	err = query_attached(idx, &a);
	if (err == -ENOENT || (!err && strcmp(a.name, PROG_NAME))) {
		ovs_pins_remove(ifname);
		printf("%s: the pre-filter was not attached any more (%s); pins removed\n", ifname,
		       err ? "no XDP program" : a.name);
		return 0;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return 1;
	}
	ovs_pin_path(path, sizeof(path), ifname, "ovs_prog");
	ovs_fd = bpf_obj_get(path);
	cur_fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (ovs_fd < 0 || cur_fd < 0) {
		pr_warn("cannot open %s: %s\n", ovs_fd < 0 ? path : "the attached program", strerror(errno));
		if (ovs_fd >= 0)
			close(ovs_fd);
		if (cur_fd >= 0)
			close(cur_fd);
		return 1;
	}
	xo.old_prog_fd = cur_fd;
	err = bpf_xdp_attach(idx, ovs_fd, attached_flags(a.attach_mode) | XDP_FLAGS_REPLACE, &xo);
	close(cur_fd);
	close(ovs_fd);
	if (err) {
		pr_warn("cannot put OVS's program back on %s: %s (remove the port from OVS and add it again)\n",
			ifname, strerror(-err));
		return 1;
	}
	ovs_pins_remove(ifname);
	printf("%s: pre-filter detached, Open vSwitch's own program is back\n", ifname);
	return 0;
}

/* ovs_detach_locked under the interface's lock. */
static int ovs_detach(const char *ifname, int idx)
{
	int lk = ovs_lock(ifname), err;

	err = ovs_detach_locked(ifname, idx);
	ovs_unlock(lk);
	return err;
}

/* watch-ovs IFACE: re-apply the pre-filter whenever OVS reloads its own
 * program (port reconfiguration), until a signal or --duration. */
static int cmd_watch_ovs(const struct opts *o, int n, char **args)
{
	struct opts oo = *o;
	double t0 = now_sec(), next = t0;
	int idx, re, bad = 0;

	if (n != 1) {
		pr_warn("usage: watch-ovs IFACE [--interval SEC] [--duration SEC]\n");
		return 2;
	}
	idx = iface_index(args[0]);
	if (!idx)
		return 1;
	if (!ovs_pinned(args[0])) {
		pr_warn("%s: no pre-filter to watch (attach it first: `pathlab-xdp attach-ovs %s --policy FILE`)\n",
			args[0], args[0]);
		return 1;
	}
	oo.policy = NULL; /* the pinned maps keep the policy */
	signals_setup();
	printf("%s: watching (every %.1fs) for Open vSwitch reloading its program\n", args[0], o->interval);
	fflush(stdout);
	while (!stop_flag) {
		struct attached a;
		int err = query_attached(idx, &a);

		if (!err && !strcmp(a.name, OVS_PROG_NAME)) {
			pr_info("%s: Open vSwitch reloaded its program (id %u): re-applying the pre-filter\n",
				args[0], a.prog_id);
			if (ovs_attach(&oo, args[0], &re) < 0)
				bad++;
			fflush(stdout);
		} else if (err == -ENOENT) {
			pr_warn("%s: no XDP program (port removed from OVS?)\n", args[0]);
		}
		next += o->interval;
		if (o->duration > 0 && next > t0 + o->duration)
			break;
		sleep_until(next);
	}
	return bad ? 1 : 0;
}

/* Parse options (from opt_table) and run the subcommand. */
int main(int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char sopts[2 * NOPTS + 1];
	struct opts o = { .mode = AM_AUTO, .interval = 1.0 };
	const char *cmd;
	int ch, nargs;
	char **args;

	pl_opts_build(opt_table, NOPTS, lopts, sopts);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	/* Options may come anywhere after the command. */
	optind = 2;
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		switch (ch) {
		case 'm': {
			int found = 0;

			for (int i = 0; i < 4; i++)
				if (!strcmp(optarg, attach_mode_names[i])) {
					o.mode = i;
					found = 1;
				}
			if (!found) {
				pr_warn("--mode '%s': use native, generic, offload or auto\n", optarg);
				return 2;
			}
			break;
		}
		case 'p':
			o.policy = optarg;
			break;
		case 'i':
			if (parse_seconds("interval", optarg, &o.interval))
				return 2;
			break;
		case 'd':
			if (parse_seconds("duration", optarg, &o.duration))
				return 2;
			break;
		case 'o':
			o.obj = optarg;
			break;
		case 'M':
			o.metrics = optarg;
			break;
		case 'e':
			o.extended = 1;
			break;
		case 'v':
			o.verbose = 1;
			log_max = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	libbpf_set_print(libbpf_print);
	args = argv + optind;
	nargs = argc - optind;
	if (!strcmp(cmd, "run"))
		return cmd_run(&o, nargs, args);
	if (!strcmp(cmd, "attach"))
		return cmd_attach(&o, nargs, args);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(nargs, args);
	if (!strcmp(cmd, "status"))
		return cmd_status(&o, nargs, args);
	if (!strcmp(cmd, "mode"))
		return cmd_mode(nargs, args);
	if (!strcmp(cmd, "policy"))
		return cmd_policy(nargs, args);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(&o, nargs, args);
	if (!strcmp(cmd, "attach-ovs"))
		return cmd_attach_ovs(&o, nargs, args);
	if (!strcmp(cmd, "watch-ovs"))
		return cmd_watch_ovs(&o, nargs, args);
	pr_warn("unknown command '%s' (run, attach, detach, status, mode, policy, stats, attach-ovs, "
		"watch-ovs; see --help)\n", cmd);
	return 2;
}
