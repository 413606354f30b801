/* SPDX-License-Identifier: MIT */
/* Tiny assertion helpers shared by the ctl tests. */
#ifndef PL_CTL_TEST_H
#define PL_CTL_TEST_H

#include <stdio.h>
#include <string.h>

static int t_failures, t_checks;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		t_checks++;                                                                \
		if (!(cond)) {                                                             \
			t_failures++;                                                      \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
		}                                                                          \
	} while (0)

/* Exit status for meson: 0 when every check held. */
static inline int t_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
	return t_failures ? 1 : 0;
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

#endif
