/* SPDX-License-Identifier: MIT */
/* Helpers shared by the ctl tests; assertions come from tests/lib/pl_check.h
 * (define PL_CHECK_MAIN before including this in the file with main()). */
#ifndef PL_CTL_TEST_H
#define PL_CTL_TEST_H

#include <stdio.h>
#include <string.h>
#include "pl_check.h"

#include <stdint.h>
/* A 64-byte Ethernet + IPv4 + TCP frame 10.0.0.1 -> 10.0.0.2 to dport with
 * TCP flags (no checksums: the core does not check them). Returns 64. */
static inline uint32_t t_make_tcp(uint8_t *f, uint16_t dport, uint8_t flags)
{
	memset(f, 0, 64);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	f[14] = 0x45;
	f[17] = 40;
	f[22] = 64;
	f[23] = 6;
	memcpy(&f[26], "\x0a\0\0\x01\x0a\0\0\x02", 8);
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[46] = 5 << 4;
	f[47] = flags;
	return 64;
}

#ifdef PL_CTL_H
#include <stdlib.h>
/* Parse DIR/FILE or exit: the examples must parse. */
static inline struct pl_policy *t_parse_example(const char *dir, const char *file)
{
	char path[512];
	struct pl_policy *p;
	struct pl_err err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (pl_policy_parse_file(path, &p, &err)) {
		fprintf(stderr, "FATAL: %s\n", err.msg);
		exit(1);
	}
	return p;
}
#endif

#ifdef PL_CTL_BPF_H
#include <errno.h>
#include <stdarg.h>
/* libbpf's warnings, not its debug chatter. */
static int t_libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* Open and load the BPF object at path (through the verifier, not
 * attached), and give its program's fd and a BPF backend on its maps.
 * Returns 0, 77 when the kernel says EPERM (the test skips), or 1 after
 * saying what failed. */
static inline int t_load_object(const char *path, struct bpf_object **out, int *prog_fd,
				struct pl_ctl **ctl)
{
	struct bpf_object *obj;
	int ret;

	libbpf_set_print(t_libbpf_quiet);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	ret = bpf_object__load(obj);
	if (ret == -EPERM) {
		printf("SKIP: loading BPF needs root / CAP_BPF (got EPERM)\n");
		bpf_object__close(obj);
		return 77;
	}
	if (ret) {
		fprintf(stderr, "FAIL: loading %s: %s\n", path, strerror(-ret));
		bpf_object__close(obj);
		return 1;
	}
	*prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "pathlab"));
	*ctl = pl_ctl_open_bpf_obj(obj);
	if (!*ctl) {
		fprintf(stderr, "FAIL: a BPF backend on %s: %s\n", path, strerror(errno));
		bpf_object__close(obj);
		return 1;
	}
	*out = obj;
	return 0;
}
#endif

#endif
