/* SPDX-License-Identifier: MIT */
/* libpathlab-ctl internals shared by its source files (not installed). */
#ifndef PL_CTL_INT_H
#define PL_CTL_INT_H

#include <stddef.h>
#include "pl_ctl.h"

struct pl_ctl *pl_ctl_alloc(const struct pl_ctl_ops *ops, void *priv);
/* Sum every copy of one per-CPU entry made of n u64 fields. */
int pl_ctl_sum_percpu_u64(struct pl_ctl *c, const char *table, const void *key, __u64 *sum,
			  size_t n);

#endif
