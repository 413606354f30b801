/* SPDX-License-Identifier: MIT */
/* One option table per tool drives both getopt_long and --help (the
 * xdp-tools habit). Header-only, for pathlab's command-line tools. */
#ifndef PL_OPTS_H
#define PL_OPTS_H

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct pl_opt_def {
	const char *name; /* long name */
	int has_arg;      /* no_argument / required_argument */
	int val;          /* short option letter, returned by getopt_long */
	const char *arg;  /* argument name in --help, NULL without argument */
	const char *help;
};

/* Fill getopt_long's tables from defs: lopts needs n + 1 entries, sopts
 * 2 * n + 1 bytes (no leading '+': options may follow operands). */
static inline void pl_opts_build(const struct pl_opt_def *defs, size_t n, struct option *lopts,
				 char *sopts)
{
	size_t ns = 0;

	memset(lopts, 0, (n + 1) * sizeof(*lopts));
	for (size_t i = 0; i < n; i++) {
		lopts[i].name = defs[i].name;
		lopts[i].has_arg = defs[i].has_arg;
		lopts[i].val = defs[i].val;
		sopts[ns++] = (char)defs[i].val;
		if (defs[i].has_arg)
			sopts[ns++] = ':';
	}
	sopts[ns] = '\0';
}

/* One entry of --help: LEFT padded to WIDTH, then HELP; each '\n' in HELP
 * starts a new line indented under the first. */
static inline void pl_opts_print_entry(FILE *f, const char *left, int width, const char *help)
{
	fprintf(f, "  %-*s ", width, left);
	while (*help) {
		const char *nl = strchr(help, '\n');
		int n = nl ? (int)(nl - help) : (int)strlen(help);

		fprintf(f, "%.*s\n", n, help);
		help += n;
		if (*help == '\n') {
			help++;
			fprintf(f, "  %-*s ", width, "");
		}
	}
}

/* The "Options:" part of --help, one entry per table entry. */
static inline void pl_opts_usage(FILE *f, const struct pl_opt_def *defs, size_t n)
{
	fprintf(f, "\nOptions:\n");
	for (size_t i = 0; i < n; i++) {
		char left[40];

		snprintf(left, sizeof(left), "-%c, --%s%s%s", defs[i].val, defs[i].name,
			 defs[i].arg ? " " : "", defs[i].arg ? defs[i].arg : "");
		pl_opts_print_entry(f, left, 24, defs[i].help);
	}
}

#endif
