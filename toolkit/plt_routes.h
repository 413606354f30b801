/* SPDX-License-Identifier: MIT */
/* plt_routes: mirror the kernel's routing and neighbour tables into the route
 * stage's tables (pl_route4 / pl_route6) of a running core, so every build
 * routes as the kernel of its network namespace does; what a policy's
 * `route kernel` asks for.
 *
 * API: plt_routes_open(&r, ctl, resolver, arg) then plt_routes_run(r, &stop)
 * (until *stop, or SIGINT/SIGTERM through plt_stop), or
 * plt_routes_start(&t, ctl, resolver, arg) / plt_routes_stop(t) for a thread
 * of its own beside a datapath's workers. plt_routes_sync(r) makes one pass.
 *
 * What the tables get (main and local tables, IPv4 and IPv6):
 *   local table entries (own addresses, broadcast)       pass
 *   main: via a gateway whose neighbour entry is valid    forward: out the route's
 *         on an interface the datapath serves             interface, to the neighbour's MAC
 *   main: via a gateway not (yet) resolved, on-link nets, pass (the kernel resolves,
 *         multipath, interfaces the datapath does not     forwards, or answers)
 *         serve, unreachable / prohibit
 *   main: blackhole                                       drop
 *   each valid neighbour (not link-local) whose longest   forward (a /32 or /128)
 *   route is on-link on its interface
 * Every netlink notification (routes, neighbours, links, addresses) triggers
 * a new dump, compared with what is installed: only differences are
 * written, each one entry at a time (a frame sees an entry's old value or
 * its new one), plus a full pass every 5 s. Sized for lab tables (thousands
 * of routes), not a full Internet table. */
#ifndef PLT_ROUTES_H
#define PLT_ROUTES_H

#include <signal.h>
#include "pl_ctl.h"

struct plt_routes;

/* Open the netlink sockets; entries already in the tables count as
 * installed (and go unless the kernel has them). 0 or -errno. */
int plt_routes_open(struct plt_routes **out, struct pl_ctl *ctl, pl_port_resolver resolve, void *arg);
/* One pass: dump, compare, write. Returns the number of entries written
 * or removed, or -errno. */
int plt_routes_sync(struct plt_routes *r);
/* Sync, then follow the kernel until *stop (or plt_stop) is set. 0 or
 * -errno. */
int plt_routes_run(struct plt_routes *r, volatile sig_atomic_t *stop);
/* Entries installed now (IPv4 + IPv6). */
unsigned plt_routes_count(const struct plt_routes *r);
void plt_routes_close(struct plt_routes *r); /* accepts NULL */

struct plt_routes_thread;
/* plt_routes_open + a first sync here (errors reported to the caller),
 * then plt_routes_run in a thread. */
int plt_routes_start(struct plt_routes_thread **out, struct pl_ctl *ctl, pl_port_resolver resolve,
		     void *arg);
void plt_routes_stop(struct plt_routes_thread *t); /* accepts NULL */

#endif
