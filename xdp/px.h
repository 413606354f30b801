/* SPDX-License-Identifier: MIT */
/* pathlab-xdp's own parts (prefix px_): the options, loading and attaching
 * the core (px_load.c), the commands (px_cmds.c, px_status.c). The shared
 * infrastructure is libpathlab-toolkit's (plt_*). */
#ifndef PX_H
#define PX_H

#include <linux/types.h>
#include "pl_ctl_bpf.h"
#include "plt_bpf.h"
#include "plt_xdp.h"

#define PX_MAX_IFACES PL_PORTS_MAX
/* --spread: CPUs 0..PX_SPREAD_MAX-1 (pl_cpumap's size, pathlab.bpf.c) */
#define PX_SPREAD_MAX 256
#define PX_CPUMAP_PROG "pathlab_cpu"

struct px_opts {
	int mode; /* enum plt_xdp_mode */
	const char *policy;
	double interval;
	double duration;
	const char *obj;
	const char *metrics;
	int verbose;
	int extended;
	const char *out;     /* sample: the pcap file */
	unsigned long count; /* sample: stop after this many records (0: no limit) */
	const char *spread;  /* run, attach: CPU list to spread flows over (cpumap) */
	unsigned long spread_queue; /* the cpumap queue size per CPU */
	char objbuf[4096]; /* plt_bpf_find's result */
};

/* The object path: --obj, the build tree's, the installed one. */
const char *px_obj_path(struct px_opts *o);

/* The core loaded and attached to interfaces (REDIRECT ports 0, 1, ...). */
struct px_loaded {
	struct plt_bpf bpf;
	struct pl_ctl *ctl;
	int nif;
	char **ifnames;
	int ifindex[PX_MAX_IFACES];
	struct plt_xdp_link link[PX_MAX_IFACES];
	int nspread; /* --spread: the target CPUs (0: not spread) */
	int spread[PX_SPREAD_MAX];
};

/* Resolve the interfaces, load, configure, apply the policy, attach all
 * (all or nothing). 0 or -errno after saying why. */
int px_load_and_attach(struct px_loaded *l, struct px_opts *o, int n, char **ifnames);
/* Detach every link of l and close it; accepts a partly set up l. */
void px_loaded_destroy(struct px_loaded *l);
/* Pin interface i's link and the maps under PLT_PIN_ROOT/IFACE/. */
int px_pins_create(struct px_loaded *l, int i);
/* Remove PLT_PIN_ROOT/IFACE and its pins. */
void px_pins_remove(const char *ifname);
/* --spread's CPU list, checked online: the count of cpus, or -EINVAL after saying why. */
int px_spread_cpus(const char *list, int *cpus);
/* Load a policy file into c (port names -> pl_tx_ports slots). */
int px_policy_load(struct pl_ctl *c, const char *path);

/* Commands: exit status (0, 1 failed, 2 usage). */
int px_cmd_run(void *o, int n, char **args);
int px_cmd_attach(void *o, int n, char **args);
int px_cmd_detach(void *o, int n, char **args);
int px_cmd_status(void *o, int n, char **args);
int px_cmd_mode(void *o, int n, char **args);
int px_cmd_policy(void *o, int n, char **args);
int px_cmd_stats(void *o, int n, char **args);
int px_cmd_attach_ovs(void *o, int n, char **args);
int px_cmd_sample(void *o, int n, char **args);

#endif
