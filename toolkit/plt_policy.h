/* SPDX-License-Identifier: MIT */
/* plt_policy: load a policy file into a running core, as every front end
 * does it: parse all of it, apply it (all or nothing), log its summary.
 *
 * API: plt_policy_load(ctl, "acl.policy", plt_tx_ports_resolve, &tp) with
 * `struct plt_tx_ports tp = { .ctl = ctl };`: port names of the policy
 * (REDIRECT targets) become slots of the devmap pl_tx_ports (value =
 * ifindex): the slot already holding that interface, else the next free
 * one. Other resolvers (pl_port_resolver, pl_ctl.h) work the same way. */
#ifndef PLT_POLICY_H
#define PLT_POLICY_H

#include <stdint.h>
#include "pl_ctl.h"

/* Parse and apply path to c; 0 or -errno after a warning "file:line: ...". */
int plt_policy_load(struct pl_ctl *c, const char *path, pl_port_resolver resolve, void *arg);

struct plt_tx_ports {
	struct pl_ctl *ctl;
	uint64_t taken; /* slots handed out during this apply */
};
/* pl_port_resolver over pl_tx_ports (arg: struct plt_tx_ports). */
int plt_tx_ports_resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port);

#endif
