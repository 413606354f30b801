/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the lab's bench tools (pl-gen, pl-sink). */
#ifndef PL_BENCH_UTIL_H
#define PL_BENCH_UTIL_H

#include <netinet/in.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* One command-line option: drives both getopt_long and --help. */
struct pl_opt {
	const char *name;
	const char *arg; /* NULL: flag */
	int val;
	const char *help;
};

extern int pl_verbose;
#define pr_warn(...) fprintf(stderr, __VA_ARGS__)
#define pr_info(...) fprintf(stderr, __VA_ARGS__)
#define pr_debug(...) do { if (pl_verbose) fprintf(stderr, __VA_ARGS__); } while (0)

/* Fill longopts (n+1 entries) and a short-option string from the table. */
void pl_opts_build(const struct pl_opt *o, int n, struct option *lo, char *shortopts, size_t len);
/* Print the option table. */
void pl_opts_usage(FILE *f, const struct pl_opt *o, int n);
/* Path of a BPF object shipped with the tools: $PL_BPF_DIR, next to the
 * executable, then the install directory. Returns -ENOENT when missing. */
int pl_bpf_obj_path(const char *name, char *buf, size_t len);
/* Demote libbpf's messages one level (warnings shown, info only with -v). */
void pl_libbpf_logging(void);
/* Read KEY from a pl-topo info file of topology NAME into buf; -ENOENT if absent. */
int pl_topo_get(const char *name, const char *key, char *buf, size_t len);
/* Seconds of CLOCK_MONOTONIC. */
double pl_now(void);

#endif
