/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk: what the option parser and the application share. */
#ifndef PL_DPDK_H
#define PL_DPDK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PL_DPDK_IFACES_MAX 16
#define PL_DPDK_QUEUES_MAX 16
#define PL_DPDK_IDLE_YIELD 64

#include "plt_log.h" /* pr_warn, pr_info, pr_debug */

/* -v count (the stats lines show more with it; each also raises plt_log). */
extern int pl_dpdk_verbose;

/* The application's own options (after the EAL's and `--`), filled by the
 * option table (pl_dpdk_opts.c): flags are ints, counts uint32_t. */
struct pl_dpdk_opts {
	const char *iface[PL_DPDK_IFACES_MAX]; /* --iface: net_af_xdp vdevs */
	unsigned niface;
	const char *pass_tap[PL_DPDK_IFACES_MAX]; /* --pass-tap: exception ports */
	unsigned npass_tap;
	uint32_t queues;       /* per port; one lcore each */
	int hybrid;            /* --hybrid: our BPF object as xdp_prog */
	const char *bpf_obj;   /* --bpf-obj */
	const char *policy;    /* --policy FILE */
	int replay;            /* --replay */
	const char *results_out;
	const char *pcap_name; /* --pcap-name: the pcap named in the plres header */
	uint32_t in_ifindex;   /* --in-ifindex (replay: receiving interface key) */
	double interval;       /* --stats-interval seconds (0: none) */
	double duration;       /* --duration seconds (0: until a signal) */
	int xstats;
	const char *metrics;   /* --metrics ADDR:PORT */
	uint32_t burst;
	uint32_t rx_desc, tx_desc; /* 0: the PMD's recommendation */
	uint32_t idle_yield;   /* empty passes before a sched_yield (0: never) */
	int busy_budget;       /* --busy-budget: net_af_xdp busy_budget of --iface ports (-1: the PMD's) */
	const char *sample_out; /* --sample-out: pcap of the user-space core's samples */
	int verbose;           /* -v count */
};

/* Parse argv (the part after `--`, argv[0] a program name). Returns 0, 1 when
 * --help was printed, or -EINVAL after printing what is wrong. */
int pl_dpdk_parse(int argc, char **argv, struct pl_dpdk_opts *o);
/* -EINVAL after saying so when one of argv[1..eal_argc) (the EAL's part,
 * before `--`) is a pathlab-dpdk option; else 0. */
int pl_dpdk_check_eal_args(int eal_argc, char **argv);
/* The usage text, generated from the option table. */
void pl_dpdk_usage(FILE *f);
/* Remove the XDP program a killed net_af_xdp port left on ifname, when its
 * XSKMAP holds no socket any more; -EBUSY when a live process uses it
 * (pl_dpdk_stale.c). */
int pl_dpdk_xdp_clear_stale(const char *ifname);

#endif
