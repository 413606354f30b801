/* SPDX-License-Identifier: MIT */
/* The two in-process builds of the core pathlab-replay and pl-corebench
 * run frames through (prefix plr_): the native core (libpathlab-core, this
 * thread as worker 0) and the BPF object under BPF_PROG_TEST_RUN. Both are
 * set up the same way: default configuration, the policy (port names
 * resolved by plr_env), the replay contract's buffer geometry and clock
 * (toolkit/plt_replay.h). The process is pinned to one CPU (plr_env_pin)
 * so every test_run uses the same per-CPU state. */
#ifndef PLR_BUILDS_H
#define PLR_BUILDS_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "pl_user.h"
#include "pl_ctl_bpf.h"
#include "plt_bpf.h"
#include "plt_replay.h"

enum plr_build { PLR_NATIVE, PLR_BPF, PLR_B__MAX };
extern const char *const plr_build_names[PLR_B__MAX];

/* What every build runs with. */
struct plr_portmap {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
};
struct plr_env {
	const char *obj;      /* --obj, or NULL: plt_bpf_find's default */
	const char *in_port;  /* receiving interface: name, --port name or ifindex */
	uint32_t ifindex;     /* in_port resolved (plr_env_setup) */
	unsigned long rx_queue;
	unsigned long cpu_opt; /* --cpu; PLR_CPU_ANY: the one it starts on */
	int cpu;               /* the CPU it runs on (plr_env_setup) */
	struct plr_portmap port[PL_PORTS_MAX];
	unsigned nports;
	char objbuf[PATH_MAX];
};

#define PLR_CPU_ANY (~0ul)
#define PLR_ENV_INIT { .in_port = "lo", .cpu_opt = PLR_CPU_ANY }

/* The --port NAME=IFINDEX option (PLT_OPT_FUNC on a struct plr_env). */
int plr_env_port_opt(void *env, const char *arg);
/* --builds LIST (PLT_OPT_FUNC on a struct plr_buildset). */
struct plr_buildset {
	enum plr_build b[PLR_B__MAX]; /* in order: the first is the reference */
	unsigned n;
	bool given;
};
#define PLR_BUILDSET_ALL { .b = { PLR_NATIVE, PLR_BPF }, .n = 2 }
int plr_buildset_opt(void *set, const char *arg);
bool plr_buildset_has(const struct plr_buildset *s, enum plr_build b);

/* The option table entries of a struct plr_env member ENV of struct T,
 * shared by every tool that runs the builds. */
#define PLR_ENV_OPTS(T, ENV)                                                                            \
	{ "obj", 'o', PLT_OPT_STR, offsetof(T, ENV.obj), "FILE",                                         \
	  "BPF object (default: the build tree's xdp/pathlab.bpf.o,\nthen the installed one)" },        \
	{ "in-port", 0, PLT_OPT_STR, offsetof(T, ENV.in_port), "IF",                                     \
	  "receiving interface, name or ifindex (default lo, as test_run)" },                           \
	{ "rx-queue", 0, PLT_OPT_UINT, offsetof(T, ENV.rx_queue), "N", "receiving queue (default 0)",   \
	  .max = UINT32_MAX },                                                                          \
	{ "port", 0, PLT_OPT_FUNC, offsetof(T, ENV), "NAME=IFINDEX",                                     \
	  "resolve a port name of the policy to IFINDEX (repeatable);\n"                                \
	  "other names are looked up in this network namespace, and\n"                                  \
	  "NAME * stands for every name not found there (e.g. --port '*=1')",                           \
	  .fn = plr_env_port_opt },                                                                     \
	{ "cpu", 0, PLT_OPT_UINT, offsetof(T, ENV.cpu_opt), "N",                                         \
	  "pin to CPU N (default: the CPU it starts on)", .max = 1023 }
/* Resolve in_port and pin to one CPU; 0 or -errno after saying why. */
int plr_env_setup(struct plr_env *e);
/* Parse a policy file (*p NULL when path is NULL); -EINVAL after saying why. */
int plr_policy_parse(const char *path, struct pl_policy **p);

/* A build's result for one frame; data valid until the build's next run. */
struct plr_out {
	int verdict;
	uint32_t out_port;
	int xdp_action; /* BPF only; -1 elsewhere */
	const uint8_t *data;
	uint32_t len;
};

/* ---- the native build ---- */
typedef int (*plr_process_fn)(struct pl_buf *b, uint32_t *out_port);
struct plr_native {
	struct pl_ctl *ctl;
	uint8_t *buf; /* PLT_REPLAY_BUF_SIZE, more for longer frames */
	size_t bufsz;
};
int plr_native_open(struct plr_native *n, const struct pl_policy *p, struct plr_env *e);
void plr_native_close(struct plr_native *n); /* accepts a zeroed struct */
/* Frame i through the core (longer than PLT_REPLAY_MAX_DATA: a
 * multi-buffer frame, no tailroom). */
int plr_native_run(struct plr_native *n, const uint8_t *frame, uint32_t len, uint64_t i,
		   const struct plr_env *e, struct plr_out *out);
/* The native baseline: the same call path as pl_core_process, no work. */
int plr_empty_process(struct pl_buf *b, uint32_t *out_port);
/* The same for pl_core_process_burst: every verdict PL_PASS, no work. */
typedef void (*plr_burst_fn)(struct pl_buf *b, unsigned n, int *verdict, uint32_t *out_port, bool meta);
void plr_empty_burst(struct pl_buf *b, unsigned n, int *verdict, uint32_t *out_port, bool meta);

/* ---- the BPF build ---- */
struct plr_bpf {
	struct plt_bpf bpf;
	struct pl_ctl *ctl;
	int prog_fd;
	int empty_fd; /* pathlab_empty: the baseline */
	int rec_fd;   /* pl_last_result */
	unsigned ncpus;
	int cpu;
	uint64_t seq;
	uint8_t out[PLT_REPLAY_MAX_FRAME + PLT_REPLAY_HEADROOM]; /* grown by adjust_head */
};
/* record: load with pl_record_result = 1 (the core's own verdict is kept). */
int plr_bpf_open(struct plr_bpf *k, const struct pl_policy *p, struct plr_env *e, bool record);
void plr_bpf_close(struct plr_bpf *k); /* accepts a zeroed struct */
int plr_bpf_run(struct plr_bpf *k, const uint8_t *frame, uint32_t len, uint64_t i,
		const struct plr_env *e, struct plr_out *out);
/* test_run once with repeat on program fd; out (PLT_REPLAY_MAX_FRAME +
 * PLT_REPLAY_HEADROOM bytes) / action /
 * duration may be NULL. 0 or -errno. */
int plr_bpf_test_run(int fd, const uint8_t *frame, uint32_t len, const struct plr_env *e,
		     unsigned long repeat, uint8_t *out, uint32_t *out_len, int *action,
		     uint32_t *duration);
/* The XDP action pathlab.bpf.c gives verdict v (test_run, no AF_XDP socket,
 * a devmap entry for REDIRECT), and its name. */
int plr_expected_action(int v);
const char *plr_xdp_action_name(int a);

#endif
