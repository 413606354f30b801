/* SPDX-License-Identifier: MIT */
/* Helpers shared by the ctl tests; assertions come from tests/lib/pl_check.h
 * (define PL_CHECK_MAIN before including this in the file with main()). */
#ifndef PL_CTL_TEST_H
#define PL_CTL_TEST_H

#include <stdio.h>
#include <string.h>
#include "pl_check.h"

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
