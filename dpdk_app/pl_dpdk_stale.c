// SPDX-License-Identifier: MIT
/* An interface left behind by a net_af_xdp port whose process is gone.
 *
 * net_af_xdp (DPDK 22.11) attaches its XDP program over netlink: libxdp's
 * `xsk_def_prog`, or with --hybrid our `pathlab` program (xdp_prog=). Nothing
 * detaches it when the process is killed (SIGKILL, a crash): the program
 * stays, still applying the policy in the kernel and redirecting to sockets
 * that no longer exist, and the next start fails in the PMD ("XDP program
 * already attached"). Before the EAL starts (so before the PMD sees the
 * interface), pl_dpdk_xdp_clear_stale() removes such a program when its
 * owner is gone, that is when its XSKMAP holds no socket any more (a socket
 * leaves the map when its process ends), and says so.
 *
 * Left alone: a program attached through a bpf_link (its holder owns it),
 * and any program other than those two. One whose XSKMAP still holds a
 * socket belongs to a running process: the start is refused then, before
 * the EAL, because a net_af_xdp port that is closed (even one that failed
 * to start) detaches whatever program is on its interface.
 * Ports written by hand (--vdev net_af_xdp...) are not checked: after a
 * kill -9, `ip link set dev IF xdp off` (or `xdpgeneric off`). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pl_ctl_bpf.h"
#include "pl_dpdk.h"

/* Does XSKMAP map_fd hold a socket in one of its first n entries? 1, 0, or
 * -errno. User space cannot read an XSKMAP (lookups are BPF-only), so a
 * tiny XDP program does the lookups and is run once with BPF_PROG_TEST_RUN:
 * it returns XDP_DROP when some entry holds a socket, XDP_PASS when none. */
static int xskmap_has_socket(int map_fd, __u32 n)
{
	struct bpf_insn insns[8 * 64 + 8], *p = insns;
	LIBBPF_OPTS(bpf_test_run_opts, t);
	unsigned char frame[64] = { 0 };
	int prog_fd, err;

	if (n > 64)
		n = 64; /* queues beyond 64: not a veth or a NIC port of this lab */
#define INSN(c, d, s, o, i) (*p++ = (struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 0);                  /* r6 = 0 */
	for (__u32 q = 0; q < n; q++) {
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, (int)q);       /* *(u32 *)(fp - 4) = q */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0); /* r2 = fp */
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);         /* r2 -= 4 */
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd); /* r1 = map */
		INSN(0, 0, 0, 0, 0);
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);    /* r0 = lookup(r1, r2) */
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0);            /* if r0 == 0 skip */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 1);          /* r6 = 1 */
	}
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS);          /* r0 = PASS */
	INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_6, 0, 1, 0);                    /* if !r6 skip */
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP);          /* r0 = DROP */
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
#undef INSN
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "pl_xsk_probe", "Dual MIT/GPL", insns,
				(size_t)(p - insns), NULL);
	if (prog_fd < 0)
		return -errno;
	t.data_in = frame;
	t.data_size_in = sizeof(frame);
	err = bpf_prog_test_run_opts(prog_fd, &t);
	err = err ? -errno : t.retval == XDP_DROP;
	close(prog_fd);
	return err;
}

/* Remove a stale net_af_xdp program from ifname (see above). 0, or -EBUSY
 * after saying so when a live process's net_af_xdp program is there (the
 * caller stops before the PMD touches the interface). */
int pl_dpdk_xdp_clear_stale(const char *ifname)
{
	static const struct {
		const char *name;
		__u32 flags;
	} modes[] = { { "native", XDP_FLAGS_DRV_MODE }, { "generic", XDP_FLAGS_SKB_MODE } };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q))
		return 0;
	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		__u32 id = m == 0 ? q.drv_prog_id : q.skb_prog_id, len;
		LIBBPF_OPTS(bpf_xdp_attach_opts, d);
		struct bpf_prog_info pi;
		struct bpf_map_info mi;
		int fd, xsk_fd, bound, err;

		if (!id)
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&pi, 0, sizeof(pi));
		len = sizeof(pi);
		if (bpf_obj_get_info_by_fd(fd, &pi, &len) ||
		    (strcmp(pi.name, "pathlab") && strcmp(pi.name, "xsk_def_prog"))) {
			close(fd);
			continue;
		}
		xsk_fd = pl_ctl_bpf_prog_map_by_type(fd, BPF_MAP_TYPE_XSKMAP, &mi);
		bound = xsk_fd < 0 ? xsk_fd : xskmap_has_socket(xsk_fd, mi.max_entries);
		if (xsk_fd >= 0)
			close(xsk_fd);
		if (bound < 0) {
			pr_warn("%s: XDP program %s (id %u) attached, cannot tell whether its owner is alive "
				"(%s); if no process uses it: ip link set dev %s xdp%s off\n",
				ifname, pi.name, id, strerror(-bound), ifname, m ? "generic" : "");
			close(fd); /* the PMD will say whether it can use the interface */
			continue;
		}
		if (bound) {
			/* refused before the EAL: the PMD would detach it on its way out */
			pr_warn("%s is in use: its XDP program %s (id %u) feeds AF_XDP sockets of a running "
				"process (another pathlab-dpdk? stop it first)\n", ifname, pi.name, id);
			close(fd);
			return -EBUSY;
		}
		/* only this very program, and only a netlink attachment (a bpf_link is refused) */
		d.old_prog_fd = fd;
		err = bpf_xdp_detach(ifindex, modes[m].flags | XDP_FLAGS_REPLACE, &d);
		if (err)
			pr_warn("%s: stale XDP program %s (id %u) left by a killed net_af_xdp port: cannot remove "
				"it (%s); remove it with: ip link set dev %s xdp%s off\n",
				ifname, pi.name, id, strerror(-err), ifname, m ? "generic" : "");
		else
			pr_info("%s: removed a stale XDP program %s (id %u, %s mode) that a net_af_xdp port "
				"left attached (its process is gone: no socket in its XSKMAP)\n",
				ifname, pi.name, id, modes[m].name);
		close(fd);
	}
	return 0;
}
