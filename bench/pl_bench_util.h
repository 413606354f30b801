/* SPDX-License-Identifier: MIT */
/* What the lab's bench tools (pl-gen, pl-sink, pl-xskfwd) share beyond
 * libpathlab-toolkit: reading pl-topo info files, writing counter files. */
#ifndef PL_BENCH_UTIL_H
#define PL_BENCH_UTIL_H

#include <stddef.h>

/* Read KEY from a pl-topo info file of topology NAME into buf; -ENOENT if absent. */
int pl_topo_get(const char *name, const char *key, char *buf, size_t len);

/* Replace FILE with n lines "key=value" (written to FILE.tmp, then renamed
 * over FILE: a reader sees the old or the new file whole); 0 or -errno. */
int pl_write_counters(const char *path, const char *const *keys, const unsigned long long *vals, size_t n);

#endif
