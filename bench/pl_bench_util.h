/* SPDX-License-Identifier: MIT */
/* What the lab's bench tools (pl-gen, pl-sink) share beyond
 * libpathlab-toolkit: reading pl-topo info files. */
#ifndef PL_BENCH_UTIL_H
#define PL_BENCH_UTIL_H

#include <stddef.h>

/* Read KEY from a pl-topo info file of topology NAME into buf; -ENOENT if absent. */
int pl_topo_get(const char *name, const char *key, char *buf, size_t len);

#endif
