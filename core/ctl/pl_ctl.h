/* SPDX-License-Identifier: MIT */
/* libpathlab-ctl: the control plane every datapath shares.
 *
 * It reads a policy file, checks all of it, and loads it into the core's
 * tables through a backend: the BPF maps of a loaded object or running
 * program, or the in-process user-space tables of libpathlab-core. Tables
 * are found by the names PL_TABLE gave them, on both sides. It also reads
 * the counters back (summed over CPUs / workers) and prints them in the one
 * stats format every datapath uses. */
#ifndef PL_CTL_H
#define PL_CTL_H

#include <stdint.h>
#include <stdio.h>
#include "pl_types.h"

/* ---- Errors --------------------------------------------------------------- */
struct pl_err {
	char msg[512]; /* "file:line: what is wrong (what to try)" */
};

/* ---- Backends ------------------------------------------------------------- */
struct pl_ctl;

/* Operations a backend provides. Keys and values are exactly the core's
 * structs. For per-CPU / per-worker tables, lookup_percpu fills ncopies
 * values back to back (ncopies = pl_ctl_ncopies()), each
 * PL_CTL_PERCPU_STRIDE(value size) bytes apart (as the kernel lays them
 * out), update writes the one value into every copy, and lookup reads
 * copy 0. Every operation returns 0 or -errno: -ESRCH when the backend has
 * no table of that name, -ENOENT when the key is absent. */
#define PL_CTL_PERCPU_STRIDE(vsize) (((size_t)(vsize) + 7) & ~(size_t)7)

struct pl_ctl_ops {
	const char *name; /* "bpf" or "user" */
	int (*update)(struct pl_ctl *c, const char *table, const void *key, const void *val);
	int (*lookup)(struct pl_ctl *c, const char *table, const void *key, void *val);
	int (*lookup_percpu)(struct pl_ctl *c, const char *table, const void *key, void *vals);
	int (*remove)(struct pl_ctl *c, const char *table, const void *key);
	int (*next_key)(struct pl_ctl *c, const char *table, const void *key, void *next);
	unsigned (*ncopies)(struct pl_ctl *c);
	void (*close)(struct pl_ctl *c);
	/* Wait until no frame that started before the call is still running
	 * (optional: NULL when the backend has no concurrent readers). */
	int (*sync)(struct pl_ctl *c);
};

struct pl_ctl {
	const struct pl_ctl_ops *ops;
	void *priv;
};

/* The in-process user-space core (pl_core_init() must have run; NULL with
 * errno ENODEV otherwise). */
struct pl_ctl *pl_ctl_open_user(void);
/* BPF backends live in pl_ctl_bpf.h (they need libbpf). */
void pl_ctl_close(struct pl_ctl *c); /* accepts NULL */

int pl_ctl_update(struct pl_ctl *c, const char *table, const void *key, const void *val);
int pl_ctl_lookup(struct pl_ctl *c, const char *table, const void *key, void *val);
unsigned pl_ctl_ncopies(struct pl_ctl *c);
/* Every copy of a per-CPU entry (vals: ncopies * PL_CTL_PERCPU_STRIDE bytes). */
int pl_ctl_lookup_percpu(struct pl_ctl *c, const char *table, const void *key, void *vals);
int pl_ctl_remove(struct pl_ctl *c, const char *table, const void *key);
/* key NULL: the first key; -ENOENT after the last. */
int pl_ctl_next_key(struct pl_ctl *c, const char *table, const void *key, void *next);

/* Wait until every frame the datapath had started has ended (user space:
 * every worker inside a frame moved on; BPF: an RCU grace period). Before
 * rewriting state a frame may still hold. */
int pl_ctl_sync(struct pl_ctl *c);

/* Counters summed over every CPU / worker. */
int pl_ctl_read_counters(struct pl_ctl *c, struct pl_counters *sum);
/* The live ACL bank's rules and their hit counts (summed; counted per rule
 * index since the last pl_ctl_reset_counters, across policy reloads). */
int pl_ctl_read_acl(struct pl_ctl *c, struct pl_acl_set *set, __u64 hits[PL_ACL_MAX]);
/* The live configuration bank. */
int pl_ctl_get_config(struct pl_ctl *c, struct pl_config *cfg);
/* Install a configuration so that each frame sees the old one or the new
 * one whole: written into the idle bank (after pl_ctl_sync, so no frame
 * still reads that bank), then made live by one write of pl_config_live.
 * A change of clock_ns alone is written into the live bank in place (one
 * aligned 8-byte field: replay drivers set it before every frame). One
 * writer at a time: callers in different processes serialise themselves
 * (pathlab-xdp takes a lock on the pin root). */
int pl_ctl_set_config(struct pl_ctl *c, const struct pl_config *cfg);
/* Write PL_CONFIG_DEFAULT: what a loader does after loading the BPF object
 * when it applies no policy (its pl_config starts all zeros, which is mode
 * pass-all: every frame passed, no stage run). */
int pl_ctl_init_config(struct pl_ctl *c);
/* Flip the mode switch while running (one field, no reload). */
int pl_ctl_set_mode(struct pl_ctl *c, enum pl_mode mode);
/* Zero every counter and the per-rule ACL hits (for tests and benchmark
 * windows). */
int pl_ctl_reset_counters(struct pl_ctl *c);

/* ---- Policy ------------------------------------------------------------------
 * The policy file format is specified in docs/policy.md. */

/* How the datapath names ports: resolve an interface name from the policy
 * into the receiving-interface key (ifindex) and the REDIRECT out_port the
 * datapath understands. Returns 0, or -ENOENT if the name is unknown. */
typedef int (*pl_port_resolver)(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port);

struct pl_policy; /* opaque: everything a policy file said, checked */

/* Parse and check a whole file; on error *out is NULL and err names
 * file:line. Nothing is applied by parsing. */
int pl_policy_parse_file(const char *path, struct pl_policy **out, struct pl_err *err);
int pl_policy_parse_string(const char *text, const char *name, struct pl_policy **out,
			   struct pl_err *err);
void pl_policy_free(struct pl_policy *p); /* accepts NULL */

/* Load a parsed policy into the tables. All or nothing: every port is
 * resolved and every table write prepared before the first write, and the
 * ACL goes into the idle bank and is made live by one config write at the
 * end (entries of pl_steer / pl_fwd the policy does not name are removed
 * after it). If a write fails, the writes already made are undone and
 * err says whether that fully succeeded. resolver NULL means
 * pl_port_resolve_ifname. When the backend has the devmap pl_tx_ports,
 * apply also writes pl_tx_ports[out_port] = ifindex for every redirect
 * target. The policy's configuration replaces the live one except clock_ns
 * (kept) and acl_bank (flipped). Tables hold two policies' worth of entries,
 * so a policy at the size limits can replace another one. The responder's
 * cookie key is kept unless the policy names one (then the replaced key
 * stays valid as the previous key). */
int pl_policy_apply(struct pl_ctl *c, const struct pl_policy *p, pl_port_resolver resolver,
		    void *resolver_arg, struct pl_err *err);

/* The stock resolver: ifindex from if_nametoindex(), out_port = ifindex;
 * -ENOENT for an unknown name, -ERANGE when the ifindex is not below
 * PL_PORTS_MAX (the devmap size). */
int pl_port_resolve_ifname(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port);

/* An interface's own MAC address (in the caller's network namespace); 0 or
 * -errno. */
int pl_ifname_mac(const char *name, __u8 mac[6]);
/* 1 when the policy says `route kernel`: routing on, its tables filled by a
 * mirror of the kernel's (toolkit/plt_routes.h), which the front end runs. */
int pl_policy_route_kernel(const struct pl_policy *p);
/* The configuration a policy sets (mode, defaults, stage switches). */
const struct pl_config *pl_policy_config(const struct pl_policy *p);
/* The name it was parsed under (the file name). */
const char *pl_policy_name(const struct pl_policy *p);
/* One line: "mode=policy malformed=drop default=pass acl=2 steer=1 ...". */
void pl_policy_summary(const struct pl_policy *p, char *buf, size_t len);

/* ---- Replay clock ----------------------------------------------------------
 * Parity runs drive time explicitly: before the i-th frame of a replay (from
 * 0), every build sets cfg.clock_ns to PL_REPLAY_CLOCK_NS(i), so rate limits
 * and SYN-cookie time slices behave identically everywhere. */
#define PL_REPLAY_CLOCK_BASE_NS 1000000000ull
#define PL_REPLAY_CLOCK_STEP_NS 1000ull
#define PL_REPLAY_CLOCK_NS(i) (PL_REPLAY_CLOCK_BASE_NS + (unsigned long long)(i) * PL_REPLAY_CLOCK_STEP_NS)

/* ---- Names ------------------------------------------------------------------ */
const char *pl_verdict_name(int v);
int pl_verdict_parse(const char *s); /* -1 if unknown */
const char *pl_mode_name(int m);
int pl_mode_parse(const char *s); /* -1 if unknown */
const char *pl_counter_name(int i);
const char *pl_counter_help(int i);

/* ---- Stats ---------------------------------------------------------------------
 * One format for every datapath's per-second line:
 *   [path] t=SECONDS rx=PPS drop=PPS pass=PPS tx=PPS redirect=PPS user=PPS aborted=PPS
 * followed, with verbose, by every non-zero counter's rate. */
void pl_stats_print(FILE *f, const char *path, double t_sec, const struct pl_counters *prev,
		    const struct pl_counters *cur, double interval_sec, int verbose);

/* ---- Metrics (Prometheus text format 0.0.4) ----------------------------------
 * The same metric names for every datapath, told apart by a `path` label:
 *   pathlab_packets_total{path="xdp",verdict="drop"}  frames per verdict
 *   pathlab_rx_packets_total{path}, pathlab_rx_bytes_total{path}
 *   pathlab_<counter name>_total{path}               every other PL_COUNTERS entry
 *   pathlab_up{path}                                  1 when counters were read */

/* Render counters (NULL: only pathlab_up 0). Returns the length written
 * (NUL-terminated) or -ENOSPC. */
int pl_metrics_render(char *buf, size_t len, const char *path_label, const struct pl_counters *c);

/* Where the server gets counters: fill *sum, return 0 or -errno. Called from
 * the server thread. */
typedef int (*pl_metrics_read_fn)(void *arg, struct pl_counters *sum);
/* Adapter for the common case: arg is a struct pl_ctl *. */
int pl_metrics_read_ctl(void *ctl, struct pl_counters *sum);

/* Hybrid placement (XDP core in the kernel, USER frames processed again by
 * the user-space core): one view in which every frame counts once. The
 * kernel core's counters, except that its USER verdicts are replaced by the
 * verdicts the user-space core gave those frames. Monotonic when both are. */
void pl_metrics_merge_hybrid(const struct pl_counters *kernel, const struct pl_counters *user,
			     struct pl_counters *out);
/* Check an --metrics "ADDR:PORT" argument without binding (0 or -EINVAL with
 * err filled): lets a tool reject a typo before it sets anything up. */
int pl_metrics_check_addr(const char *addr_port, struct pl_err *err);

struct pl_metrics_server;
/* Serve GET/HEAD /metrics over HTTP/1.1 from a thread, on "ADDR:PORT",
 * "[V6ADDR]:PORT" or ":PORT" (all addresses); port 0 picks a free one (see
 * pl_metrics_port). For a datapath's `--metrics ADDR:PORT` option. */
int pl_metrics_serve(const char *addr_port, const char *path_label, pl_metrics_read_fn read,
		     void *arg, struct pl_metrics_server **out, struct pl_err *err);
uint16_t pl_metrics_port(const struct pl_metrics_server *s);
/* Stop the thread, close the socket, free; accepts NULL. */
void pl_metrics_stop(struct pl_metrics_server *s);

#endif
