// SPDX-License-Identifier: MIT
/* The native and BPF builds of the core, run in process (plr_builds.h). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "plt_log.h"
#include "plt_opts.h"
#include "plr_builds.h"

const char *const plr_build_names[PLR_B__MAX] = { "native", "bpf" };

bool plr_buildset_has(const struct plr_buildset *s, enum plr_build b)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->b[i] == b)
			return true;
	return false;
}

int plr_buildset_opt(void *set, const char *arg)
{
	struct plr_buildset *s = set;
	char buf[128], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", arg);
	s->n = 0;
	s->given = true;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned b;

		for (b = 0; b < PLR_B__MAX && strcmp(tok, plr_build_names[b]); b++)
			;
		if (b == PLR_B__MAX) {
			pr_warn("--builds: unknown build '%s' (known: native, bpf; AF_XDP and DPDK results come in with --against)\n",
				tok);
			return -EINVAL;
		}
		if (plr_buildset_has(s, b)) {
			pr_warn("--builds: '%s' named twice\n", tok);
			return -EINVAL;
		}
		s->b[s->n++] = b;
	}
	if (!s->n) {
		pr_warn("--builds: empty list\n");
		return -EINVAL;
	}
	return 0;
}

int plr_env_port_opt(void *env, const char *arg)
{
	struct plr_env *e = env;
	const char *eq = strchr(arg, '=');
	unsigned long v;

	if (!eq || eq == arg || (size_t)(eq - arg) >= IF_NAMESIZE ||
	    plt_parse_ulong(eq + 1, PL_PORTS_MAX - 1, &v) || !v) {
		pr_warn("--port '%s': expected NAME=IFINDEX with a name shorter than %d characters and 1 <= IFINDEX < %d\n",
			arg, IF_NAMESIZE, PL_PORTS_MAX);
		return -EINVAL;
	}
	if (e->nports == PL_PORTS_MAX) {
		pr_warn("--port: at most %d mappings\n", PL_PORTS_MAX);
		return -EINVAL;
	}
	snprintf(e->port[e->nports].name, IF_NAMESIZE, "%.*s", (int)(eq - arg), arg);
	e->port[e->nports++].ifindex = (uint32_t)v;
	return 0;
}

/* Resolver for pl_policy_apply: --port mappings first, then the kernel's,
 * then the '*' mapping. */
static int plr_resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	const struct plr_env *e = arg;
	int err;

	for (unsigned i = 0; i < e->nports; i++)
		if (!strcmp(e->port[i].name, name)) {
			*ifindex = *out_port = e->port[i].ifindex;
			return 0;
		}
	err = pl_port_resolve_ifname(NULL, name, ifindex, out_port);
	if (err == -ENOENT)
		for (unsigned i = 0; i < e->nports; i++)
			if (!strcmp(e->port[i].name, "*")) {
				*ifindex = *out_port = e->port[i].ifindex;
				return 0;
			}
	return err;
}

/* Pin the process to one CPU (e->cpu, or the one it is on). */
static int plr_pin(struct plr_env *e)
{
	cpu_set_t set;

	e->cpu = e->cpu_opt != PLR_CPU_ANY ? (int)e->cpu_opt : sched_getcpu();
	if (e->cpu < 0)
		e->cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(e->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		pr_warn("cannot pin to CPU %d: %s (choose an allowed one with --cpu; see taskset -p $$)\n", e->cpu,
			strerror(errno));
		return -errno;
	}
	return 0;
}

int plr_env_setup(struct plr_env *e)
{
	unsigned long v;
	uint32_t port;

	if (plr_resolve(e, e->in_port, &e->ifindex, &port)) {
		e->ifindex = if_nametoindex(e->in_port);
		if (!e->ifindex && !plt_parse_ulong(e->in_port, UINT32_MAX, &v) && v)
			e->ifindex = (uint32_t)v;
		if (!e->ifindex) {
			pr_warn("--in-port '%s': no such interface here (give a name from `ip link`, an ifindex, or map it with --port)\n",
				e->in_port);
			return -ENOENT;
		}
	}
	return plr_pin(e);
}

int plr_policy_parse(const char *path, struct pl_policy **p)
{
	struct pl_err err;

	*p = NULL;
	if (!path)
		return 0;
	if (pl_policy_parse_file(path, p, &err)) {
		pr_warn("policy error: %s\n", err.msg);
		return -EINVAL;
	}
	return 0;
}

/* Apply the policy through a backend; errors say file:line and what to try. */
static int plr_policy_apply(struct pl_ctl *c, const struct pl_policy *p, struct plr_env *e,
			    const char *build)
{
	struct pl_err err;
	int ret;

	if (!p)
		return 0;
	ret = pl_policy_apply(c, p, plr_resolve, e, &err);
	if (ret)
		pr_warn("%s build: policy error: %s%s\n", build, err.msg,
			ret == -ENOENT ? " (for a replay, map a port name with --port NAME=IFINDEX)" : "");
	return ret;
}

/* ---- the native build ---- */
int plr_native_open(struct plr_native *n, const struct pl_policy *p, struct plr_env *e)
{
	int err = pl_core_init(1);

	memset(n, 0, sizeof(*n));
	if (err) {
		pr_warn("native build: pl_core_init: %s\n", strerror(-err));
		return err;
	}
	pl_worker_set(0);
	n->ctl = pl_ctl_open_user();
	if (!n->ctl) {
		err = -errno;
		pr_warn("native build: cannot open the user-space tables: %s\n", strerror(errno));
		goto fini_core;
	}
	err = plr_policy_apply(n->ctl, p, e, "native");
	if (err)
		goto close_ctl;
	return 0;
close_ctl:
	pl_ctl_close(n->ctl);
	n->ctl = NULL;
fini_core:
	pl_core_fini();
	return err;
}

void plr_native_close(struct plr_native *n)
{
	if (!n->ctl)
		return;
	pl_ctl_close(n->ctl);
	n->ctl = NULL;
	free(n->buf);
	n->buf = NULL;
	pl_core_fini();
}

int plr_native_run(struct plr_native *n, const uint8_t *frame, uint32_t len, uint64_t i,
		   const struct plr_env *e, struct plr_out *out)
{
	size_t need = PLT_REPLAY_BUF_SIZE;
	struct pl_buf b;
	uint32_t port = 0;
	int err;

	if (need > n->bufsz) {
		uint8_t *nb = realloc(n->buf, need);

		if (!nb)
			return -ENOMEM;
		n->buf = nb;
		n->bufsz = need;
	}
	err = plt_replay_set_clock(n->ctl, i);
	if (err) {
		pr_warn("native build: cannot set the replay clock: %s\n", strerror(-err));
		return err;
	}
	b = plt_replay_buf(n->buf, frame, len, e->ifindex, e->rx_queue);
	*out = (struct plr_out){ .xdp_action = -1 };
	out->verdict = pl_core_process(&b, &port);
	out->out_port = port;
	out->data = b.data;
	out->len = b.len + b.frags_len;
	return 0;
}

__attribute__((noinline)) int plr_empty_process(struct pl_buf *b, uint32_t *out_port)
{
	__asm__ volatile("" : : "r"(b), "r"(out_port) : "memory");
	return PL_PASS;
}

__attribute__((noinline)) void plr_empty_burst(struct pl_buf *b, unsigned n, int *verdict, uint32_t *out_port,
					       bool meta)
{
	__asm__ volatile("" : : "r"(b), "r"(meta) : "memory");
	for (unsigned i = 0; i < n; i++) {
		verdict[i] = PL_PASS;
		out_port[i] = 0;
	}
}

/* ---- the BPF build ---- */
int plr_bpf_open(struct plr_bpf *k, const struct pl_policy *p, struct plr_env *e, bool record)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->cpu = e->cpu;
	err = plt_bpf_load(&k->bpf, &(struct plt_bpf_opts){
		.path = plt_bpf_find(e->obj, PLT_CORE_OBJ, e->objbuf, sizeof(e->objbuf)),
		.rodata = (const struct plt_bpf_rodata[]){ { "pl_record_result", record } },
		.nrodata = 1,
	});
	if (err) {
		pr_warn("bpf build: not loaded%s\n",
			err == -EPERM || err == -EACCES
				? ": run as root, or give the binary CAP_BPF and CAP_NET_ADMIN (sudo setcap "
				  "cap_bpf,cap_net_admin+ep BINARY), or replay only the native build with --builds native"
				: " (or replay only the native build with --builds native)");
		return err;
	}
	k->prog_fd = plt_bpf_prog_fd(&k->bpf, PLT_CORE_PROG);
	k->empty_fd = plt_bpf_prog_fd(&k->bpf, "pathlab_empty");
	k->rec_fd = plt_bpf_map_fd(&k->bpf, "pl_last_result");
	if (k->prog_fd < 0 || k->empty_fd < 0 || k->rec_fd < 0) {
		pr_warn("bpf build: %s lacks program pathlab, pathlab_empty or map pl_last_result\n", k->bpf.path);
		err = -ENOENT;
		goto close_obj;
	}
	k->ncpus = (unsigned)libbpf_num_possible_cpus();
	k->ctl = pl_ctl_open_bpf_obj(k->bpf.obj);
	if (!k->ctl) {
		err = -errno;
		pr_warn("bpf build: cannot open the object's maps: %s\n", strerror(errno));
		goto close_obj;
	}
	err = pl_ctl_init_config(k->ctl);
	if (err) {
		pr_warn("bpf build: cannot write the default configuration: %s\n", strerror(-err));
		goto close_ctl;
	}
	err = plr_policy_apply(k->ctl, p, e, "bpf");
	if (err)
		goto close_ctl;
	pr_debug("bpf build: %s loaded (record=%d)\n", k->bpf.path, record);
	return 0;
close_ctl:
	pl_ctl_close(k->ctl);
	k->ctl = NULL;
close_obj:
	plt_bpf_close(&k->bpf);
	return err;
}

void plr_bpf_close(struct plr_bpf *k)
{
	pl_ctl_close(k->ctl);
	k->ctl = NULL;
	plt_bpf_close(&k->bpf);
}

int plr_bpf_test_run(int fd, const uint8_t *frame, uint32_t len, const struct plr_env *e,
		     unsigned long repeat, uint8_t *out, uint32_t *out_len, int *action,
		     uint32_t *duration)
{
	struct xdp_md ctx = {
		.data_end = len,
		.ingress_ifindex = e->ifindex,
		.rx_queue_index = e->rx_queue,
	}, ctx_out = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = out ? PLT_REPLAY_MAX_FRAME + PLT_REPLAY_HEADROOM : 0, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .ctx_out = &ctx_out, .ctx_size_out = sizeof(ctx_out), .repeat = (int)repeat);

	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	/* The output starts at the XDP metadata (ctx_out.data bytes: the
	 * decision USER frames carry to user space, core/pl_meta.h), which is
	 * not part of the frame. */
	if (out && ctx_out.data && ctx_out.data <= t.data_size_out) {
		memmove(out, out + ctx_out.data, t.data_size_out - ctx_out.data);
		t.data_size_out -= ctx_out.data;
	}
	if (out_len)
		*out_len = t.data_size_out;
	if (action)
		*action = (int)t.retval;
	if (duration)
		*duration = t.duration;
	return 0;
}

const char *plr_xdp_action_name(int a)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return a >= 0 && a < 5 ? names[a] : "XDP_?";
}

int plr_bpf_run(struct plr_bpf *k, const uint8_t *frame, uint32_t len, uint64_t i,
		const struct plr_env *e, struct plr_out *out)
{
	struct pl_result_rec *rec, r;
	uint32_t out_len = 0;
	int err, action = 0;

	err = plt_replay_set_clock(k->ctl, i);
	if (err) {
		pr_warn("bpf build: cannot set the replay clock: %s\n", strerror(-err));
		return err;
	}
	err = plr_bpf_test_run(k->prog_fd, frame, len, e, 1, k->out, &out_len, &action, NULL);
	if (err) {
		pr_warn("bpf build: frame %llu (%u bytes): BPF_PROG_TEST_RUN failed: %s\n",
			(unsigned long long)i, len, strerror(-err));
		return err;
	}
	rec = calloc(k->ncpus, PL_CTL_PERCPU_STRIDE(sizeof(*rec)));
	if (!rec)
		return -ENOMEM;
	err = bpf_map_lookup_elem(k->rec_fd, &(uint32_t){ 0 }, rec) ? -errno : 0;
	r = rec[k->cpu];
	free(rec);
	if (err) {
		pr_warn("bpf build: cannot read pl_last_result: %s\n", strerror(-err));
		return err;
	}
	if (r.seq != ++k->seq) {
		pr_warn("bpf build: frame %llu: pl_last_result on CPU %d has seq %llu, expected %llu (did the run move to another CPU?)\n",
			(unsigned long long)i, k->cpu, (unsigned long long)r.seq, (unsigned long long)k->seq);
		return -EIO;
	}
	*out = (struct plr_out){ .verdict = (int)r.verdict, .out_port = r.out_port, .xdp_action = action,
				 .data = k->out, .len = out_len };
	return 0;
}

int plr_expected_action(int v)
{
	switch (v) {
	case PL_DROP: return 1;
	case PL_PASS: return 2;
	case PL_TX: return 3;
	case PL_REDIRECT: return 4;
	case PL_USER: return 2;
	default: return 0;
	}
}
