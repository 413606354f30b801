/* SPDX-License-Identifier: MIT */
/* A tiny assertion framework for pathlab's C tests: CHECK() counts and
 * reports, pl_check_done() prints "N passed, N failed" and gives the exit
 * status. Header-only; one instance of the counters per executable (define
 * PL_CHECK_MAIN in the file that has main()). */
#ifndef PL_CHECK_H
#define PL_CHECK_H

#include <stdio.h>

#ifdef PL_CHECK_MAIN
unsigned long pl_check_passed, pl_check_failed;
const char *pl_check_context = "";
#else
extern unsigned long pl_check_passed, pl_check_failed;
extern const char *pl_check_context;
#endif

/* Check a condition; on failure print where, what and a formatted note. */
#define CHECK(cond, ...)                                                               \
	do {                                                                           \
		if (cond) {                                                            \
			pl_check_passed++;                                             \
		} else {                                                               \
			pl_check_failed++;                                             \
			fprintf(stderr, "FAIL %s:%d [%s] %s: ", __FILE__, __LINE__,    \
				pl_check_context, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
		}                                                                      \
	} while (0)

/* Equality of two integers, printing both. */
#define CHECK_EQ(a, b, ...)                                                            \
	do {                                                                           \
		unsigned long long pl__a = (unsigned long long)(a);                    \
		unsigned long long pl__b = (unsigned long long)(b);                    \
		CHECK(pl__a == pl__b, "%s=%llu %s=%llu: %s", #a, pl__a, #b, pl__b,     \
		      pl__check_note(__VA_ARGS__ ""));                                 \
	} while (0)

static inline const char *pl__check_note(const char *s) { return s; }

/* Print the summary; the exit status for the test harness. */
static inline int pl_check_done(const char *name)
{
	printf("%s: %lu passed, %lu failed\n", name, pl_check_passed, pl_check_failed);
	return pl_check_failed ? 1 : 0;
}

#endif
