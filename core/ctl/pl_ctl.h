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

/* Called for every entry of a table walk; a non-zero return stops it. */
typedef int (*pl_ctl_walk_fn)(const void *key, const void *val, void *arg);

struct pl_ctl_ops {
	const char *name; /* "bpf" or "user" */
	int (*update)(struct pl_ctl *c, const char *table, const void *key, const void *val);
	int (*lookup)(struct pl_ctl *c, const char *table, const void *key, void *val);
	int (*lookup_percpu)(struct pl_ctl *c, const char *table, const void *key, void *vals);
	int (*remove)(struct pl_ctl *c, const char *table, const void *key);
	int (*next_key)(struct pl_ctl *c, const char *table, const void *key, void *next);
	unsigned (*ncopies)(struct pl_ctl *c);
	/* Every (key, copy) of a hash table: fn once per copy holding the key
	 * (per-CPU / per-worker tables), with that copy's value. Safe while
	 * the datapath runs. */
	int (*walk)(struct pl_ctl *c, const char *table, pl_ctl_walk_fn fn, void *arg);
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

/* Walk a hash table while the datapath runs (see pl_ctl_ops.walk). */
int pl_ctl_walk(struct pl_ctl *c, const char *table, pl_ctl_walk_fn fn, void *arg);

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

/* Block lists (the block stage) changed live, without a policy apply;
 * list 0 is the source list, 1 the destination list. add: one address or
 * prefix, and the list's enable bit set; del: one prefix as it was added
 * (the bit stays set). load: the list becomes exactly FILE's prefixes (the
 * policy's list format): the missing ones are written (all or none: a
 * failed write undoes the others), the bit set, then the extra ones removed
 * (the bit cleared for an empty list), so a list that
 * was off is whole before it is used and, while it is on, each prefix is in
 * the old list or the new one. Returns 0 (load: the number of prefixes) or
 * -errno with err naming what is wrong. A later policy apply replaces the
 * lists with the policy's. */
int pl_block_add(struct pl_ctl *c, int list, const char *prefix, struct pl_err *err);
int pl_block_del(struct pl_ctl *c, int list, const char *prefix, struct pl_err *err);
long pl_block_load(struct pl_ctl *c, int list, const char *file, struct pl_err *err);

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

/* ---- Report: what a running datapath does -----------------------------------
 * Read back from the core's tables by pl_report_read, for every backend and
 * while the datapath runs. Per-source lists are the top N only (bounded
 * whatever the tables hold); addresses are 16 bytes, IPv4 v4-mapped. */
#define PL_REPORT_TOP_MAX 64
#define PL_REPORT_SVC_MAX 32
#define PL_REPORT_BE_MAX 256
#define PL_REPORT_ROUTE_MAX 64

struct pl_report_src {
	struct pl_addr addr; /* rate limit / SYN guard: the source masked to the stage's prefix */
	__u32 family;        /* 4 or 6 */
	__u64 packets;       /* per-source drops in the rate-limit / SYN-guard lists */
	__u64 bytes;
};

struct pl_report_svc {
	struct pl_addr vip;
	__u32 family, port, proto, id, mode;
	__u64 packets, new_flows, no_backend;
};

struct pl_report_be {
	struct pl_addr addr;
	__u32 family, port, id, svc, state; /* svc: the id of its service */
	__u64 packets, new_flows;
};

struct pl_report_route {
	char path[49]; /* "/...", or "#400", "#404", "#405" for the error answers */
	unsigned status;
	__u64 hits;    /* responses sent */
};

struct pl_report {
	struct pl_config cfg;
	struct pl_counters cnt;
	int have_acl;
	struct pl_acl_set acl;          /* the live bank */
	__u64 acl_hits[PL_ACL_MAX];
	unsigned topn;
	unsigned nsrc, nrl, nsyn;
	struct pl_report_src src_pkts[PL_REPORT_TOP_MAX];  /* by packets */
	struct pl_report_src src_bytes[PL_REPORT_TOP_MAX]; /* by bytes */
	struct pl_report_src rl_drops[PL_REPORT_TOP_MAX];  /* by rate-limit drops */
	struct pl_report_src syn_drops[PL_REPORT_TOP_MAX]; /* by SYN-guard (per-source) drops */
	unsigned nsvc, nbe, nroute;
	struct pl_report_svc svc[PL_REPORT_SVC_MAX];
	struct pl_report_be be[PL_REPORT_BE_MAX];
	struct pl_report_route route[PL_REPORT_ROUTE_MAX];
};

/* Read everything (topn capped at PL_REPORT_TOP_MAX). 0 or -errno. */
int pl_report_read(struct pl_ctl *c, unsigned topn, struct pl_report *r);
/* What pl_report_print prints (or together). */
#define PL_REPORT_CONFIG 1       /* the configuration line */
#define PL_REPORT_COUNTERS 2     /* non-zero counters */
#define PL_REPORT_ALL_COUNTERS 4 /* every counter */
#define PL_REPORT_TABLES 8       /* ACL rules with hits, LB services/backends, routes */
#define PL_REPORT_TOP 16         /* the top-N source lists */
void pl_report_print(FILE *f, const struct pl_report *r, int what);
/* "acl drop proto tcp from 10.0.0.0/8 dport 22": a rule in the policy's words. */
void pl_acl_rule_format(const struct pl_acl_rule *r, char *buf, size_t len);
/* "192.0.2.1" / "2001:db8::1" (family 4: the v4-mapped address's last 4 bytes). */
void pl_addr_format(const struct pl_addr *a, unsigned family, char *buf, size_t len);
/* "VIP:PORT/tcp" and "ADDR[:PORT]"; "up", "draining", "down". */
void pl_report_svc_name(const struct pl_report_svc *s, char *buf, size_t len);
void pl_report_be_name(const struct pl_report_be *b, char *buf, size_t len);
const char *pl_lb_state_name(unsigned state);

/* ---- Metrics (Prometheus text format 0.0.4) ----------------------------------
 * The same metric names for every datapath, told apart by a `path` label:
 *   pathlab_packets_total{path="xdp",verdict="drop"}  frames per verdict
 *   pathlab_rx_packets_total{path}, pathlab_rx_bytes_total{path}
 *   pathlab_<counter name>_total{path}               every other PL_COUNTERS entry
 *   pathlab_up{path}                                  1 when counters were read */

/* Render counters (NULL: only pathlab_up 0). Returns the length written
 * (NUL-terminated) or -ENOSPC. */
int pl_metrics_render(char *buf, size_t len, const char *path_label, const struct pl_counters *c);

/* Labels a served datapath puts on every series, so that two interfaces,
 * two processes or two XDP modes are never summed together. */
struct pl_metrics_info {
	char instance[64]; /* the control target: "xdp:eth1", "afxdp:NAME", "dpdk:PREFIX" */
	char ifname[64];   /* the interfaces, comma separated */
	char xdp_mode[16]; /* "native", "generic", or "none" (no XDP program: a bypass PMD) */
};
/* The same with info's labels (NULL: path only) and, with r, the tables'
 * series: top-N sources by packets / bytes / rate-limit and SYN-guard
 * drops, hits per ACL rule, LB services and backends, responder routes
 * (docs/metrics.md). */
int pl_metrics_render_ex(char *buf, size_t len, const char *path_label, const struct pl_metrics_info *info,
			 const struct pl_counters *c, const struct pl_report *r);

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
/* Put info's labels on every series served from now on. */
void pl_metrics_set_info(struct pl_metrics_server *s, const struct pl_metrics_info *info);
/* Serve the tables' series too (top n sources): fn fills a report, 0 or
 * -errno (called under the server's read lock, after the counter read). */
typedef int (*pl_metrics_report_fn)(void *arg, unsigned n, struct pl_report *r);
void pl_metrics_set_report(struct pl_metrics_server *s, pl_metrics_report_fn fn, void *arg, unsigned n);
/* Adapter for the common case: arg is a struct pl_ctl *. */
int pl_metrics_report_ctl(void *ctl, unsigned n, struct pl_report *r);
/* A front end's own series (its sockets, rings, PMD queues), served after
 * the core's with the same labels first: name (full, e.g.
 * "pathlab_afxdp_tx_ring_full_total"), help, type ("counter" or "gauge"),
 * its own labels ('iface="eth1",queue="0"', or ""), value. The samples of
 * one family are consecutive. fn fills at most max, returns how many, or
 * -errno (called under the server's read lock, after the counter read). */
struct pl_metrics_sample {
	const char *name, *help, *type;
	char labels[128];
	unsigned long long value;
};
#define PL_METRICS_EXTRA_MAX 1024
typedef int (*pl_metrics_extra_fn)(void *arg, struct pl_metrics_sample *s, unsigned max);
void pl_metrics_set_extra(struct pl_metrics_server *s, pl_metrics_extra_fn fn, void *arg);
/* Stop the thread, close the socket, free; accepts NULL. */
void pl_metrics_stop(struct pl_metrics_server *s);

/* Socket I/O the servers share (the metrics server here, the control
 * socket of toolkit/plt_ctlsock.c): milliseconds on the monotonic clock,
 * accepting until told to stop, and sending all of buf before a deadline
 * (0, -ETIMEDOUT or -errno). */
long long pl_io_now_ms(void);
/* The next connection on listening lfd (non-blocking, close-on-exec), or -1
 * once stop_fd is readable: a server thread's accept loop. */
int pl_io_accept(int lfd, int stop_fd);
int pl_io_send_all(int fd, const char *buf, size_t len, long long deadline);

#endif
