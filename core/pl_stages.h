/* SPDX-License-Identifier: MIT */
/* The stages, in the order the pipeline runs them.
 *
 * To add a stage: write core/stages/NAME.h defining
 *     PL_INLINE int pl_stage_NAME(struct pl_ctx *c)
 * returning PL_CONTINUE or a verdict (and declaring its tables with
 * PL_TABLE), include it here, and add X(NAME) to PL_STAGES. Nothing else
 * changes in any datapath.
 *
 * Order (docs/stages.md): sample picks frames (it copies them once the
 * verdict is known: pl_sample_verdict, from the pipeline); block drops listed sources and destinations
 * first (one lookup, before any per-source state is made for them); count
 * sees everything else; ratelimit and synguard come
 * right after it, before the ACL's linear scan, so a flood costs as little
 * as possible; acl filters before anything answers or forwards; the
 * responder answers the flows it listens on before any forwarding; lb
 * follows (ACL-dropped traffic is never balanced; a VIP is not a responder
 * address); steer, then route (an IP router) and forward handle what is
 * left. Each stage costs one
 * configuration check when it is off. */
#ifndef PL_STAGES_H
#define PL_STAGES_H

#include "stages/block.h"
#include "stages/count.h"
#include "stages/ratelimit.h"
#include "stages/synguard.h"
#include "stages/acl.h"
#include "stages/responder.h"
#include "stages/lb.h"
#include "stages/steer.h"
#include "stages/route.h"
#include "stages/forward.h"
#include "stages/sample.h"

#define PL_STAGES(X)                                                            \
	X(sample)                                                               \
	X(block)                                                                \
	X(count)                                                                \
	X(ratelimit)                                                            \
	X(synguard)                                                             \
	X(acl)                                                                  \
	X(responder)                                                            \
	X(lb)                                                                   \
	X(steer)                                                                \
	X(route)                                                                \
	X(forward)

#endif
