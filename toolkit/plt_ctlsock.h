/* SPDX-License-Identifier: MIT */
/* plt_ctlsock: the control socket of a running datapath process, and the
 * client that talks to it (pathlab-policy --target afxdp:NAME / dpdk:PREFIX).
 *
 * API (a datapath):
 *   struct plt_ctl_target t;
 *   plt_ctl_target_init(&t, "afxdp", "veth0", "afxdp-user");
 *   plt_ctl_target_add(&t, user_ctl, resolver, arg);     // and the BPF core in hybrid
 *   t.read = ...; t.report_ctl = ...; (counters and tables to report)
 *   plt_ctl_target_policy(&t, "start.policy");            // what runs now (NULL: none)
 *   err = plt_ctlsock_start(&t, &sock);                    // RUN_DIR/afxdp-veth0.sock
 *   pl_metrics_serve(..., plt_ctl_target_metrics_read, &t, ...) and
 *   plt_ctl_target_metrics(&t, srv);                       // labels and the tables' series
 *   ...
 *   plt_ctlsock_stop(sock);                                // socket removed
 *   plt_ctl_target_fini(&t);
 *
 * The socket is AF_UNIX, SOCK_STREAM, in a directory of root's with mode 0700
 * (PLT_RUN_DIR, or $PATHLAB_RUN_DIR; made with its parent when missing), the
 * socket itself 0600; a peer that is
 * neither root nor our user is refused. On start every socket of that
 * directory that no process listens on any more (left by a kill -9) is
 * removed; a name a live process serves is refused with its pid.
 *
 * Protocol: one request per connection: a command line, for `apply` followed
 * by the policy text up to the end of the stream (the client shuts down its
 * side); the answer is "ok\n" or "error: WHAT\n", then text, then the end.
 *   show [N]         configuration, counters, ACL rules, LB, routes, top N sources
 *   show-all [N]     the same with every counter, zeros too
 *   top [N]          the top-N source lists (default 10)
 *   mode MODE        flip the mode switch of every core (no restart)
 *   apply NAME       the policy text that follows, all or nothing, into every core
 *
 * All commands and the metrics reads hold the target's lock, so the control
 * plane has one writer and no reader sees a table mid-write. */
#ifndef PLT_CTLSOCK_H
#define PLT_CTLSOCK_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
#include "pl_ctl.h"

#define PLT_RUN_DIR "/run/pathlab/ctl"
#define PLT_CTL_TARGET_MAX 16 /* the user-space core and one BPF core per port */
#define PLT_CTL_NAME_MAX 48

struct plt_ctl_target {
	char kind[16];                  /* "afxdp", "dpdk" */
	char name[PLT_CTL_NAME_MAX];    /* NAME of --target KIND:NAME */
	const char *path;               /* the metrics path label ("afxdp-user", ...) */
	unsigned nctl;
	struct pl_ctl *ctl[PLT_CTL_TARGET_MAX]; /* every core a policy or mode goes into */
	pl_port_resolver resolve[PLT_CTL_TARGET_MAX];
	void *resolve_arg[PLT_CTL_TARGET_MAX];
	struct pl_ctl *report_ctl;      /* the tables show/top read (default ctl[0]) */
	pl_metrics_read_fn read;        /* the counters (default: report_ctl's) */
	void *read_arg;
	struct pl_metrics_info info;    /* labels (instance set from kind:name) */
	struct pl_policy *applied;      /* what runs now: restored if an apply half fails */
	pthread_mutex_t lock;
};

/* Fill t for KIND:NAME; ifnames comma separated, xdp mode looked up on the
 * first one. 0, or -EINVAL when NAME is not [A-Za-z0-9._-]{1,47}. */
int plt_ctl_target_init(struct plt_ctl_target *t, const char *kind, const char *name, const char *path,
			const char *ifnames);
void plt_ctl_target_add(struct plt_ctl_target *t, struct pl_ctl *c, pl_port_resolver r, void *arg);
/* The policy file the datapath started with (NULL: none; the defaults). */
int plt_ctl_target_policy(struct plt_ctl_target *t, const char *path);
void plt_ctl_target_fini(struct plt_ctl_target *t);
/* pl_metrics_read_fn over a target (arg: the target), under its lock. */
int plt_ctl_target_metrics_read(void *arg, struct pl_counters *sum);
/* Give a metrics server the target's labels and tables' series (top n). */
void plt_ctl_target_metrics(struct plt_ctl_target *t, struct pl_metrics_server *srv, unsigned n);

struct plt_ctlsock;
/* Clean stale sockets, bind RUN_DIR/KIND-NAME.sock, serve from a thread.
 * 0, or -errno after a warning saying what to do. */
int plt_ctlsock_start(struct plt_ctl_target *t, struct plt_ctlsock **out);
/* Stop the thread, remove the socket; accepts NULL. */
void plt_ctlsock_stop(struct plt_ctlsock *s);

/* Is NAME usable as the NAME of KIND:NAME ([A-Za-z0-9._-], 1-47, no leading '.')? */
int plt_ctl_name_ok(const char *name);
/* The run directory (PLT_RUN_DIR or $PATHLAB_RUN_DIR). */
const char *plt_run_dir(void);
/* Send one request to KIND:NAME (payload: NULL or the text after the line),
 * copy the answer's text to out. 0 when the answer was "ok", 1 when it was
 * an error (its message in err), -errno when the datapath could not be
 * reached (err says why and what to try). */
int plt_ctlsock_request(const char *kind, const char *name, const char *line, const char *payload,
			size_t plen, FILE *out, struct pl_err *err);

#endif
