// SPDX-License-Identifier: MIT
/* plt_opts: option and command tables -> getopt_long and --help. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "plt_log.h"
#include "plt_opts.h"
#include "pl_version.h"

#define PLT_LONG_BASE 256 /* getopt value of a long-only option: base + index */
#define PLT_VERSION_HELP "print the version and exit"
#define PLT_OPTS_VERSION 2 /* opt_set's loop: --version seen */

void plt_version(const char *name, FILE *f)
{
	fprintf(f, "%s (pathlab) %s\n", name, PL_VERSION);
}

/* Does an option of this type take an argument? */
static int takes_arg(enum plt_opt_type t)
{
	return t == PLT_OPT_STR || t == PLT_OPT_UINT || t == PLT_OPT_U32 || t == PLT_OPT_SECONDS || t == PLT_OPT_DOUBLE ||
	       t == PLT_OPT_ENUM || t == PLT_OPT_FUNC;
}

void plt_usage_entry(FILE *f, const char *left, int width, const char *help)
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

void plt_usage(const struct plt_tool *t, FILE *f)
{
	int w = t->width ? t->width : 24;

	fprintf(f, "Usage: %s %s\n", t->name, t->usage);
	if (t->intro)
		t->intro(f);
	if (t->ncmds)
		fprintf(f, "\nCommands:\n");
	for (size_t i = 0; i < t->ncmds; i++) {
		char left[96];

		snprintf(left, sizeof(left), "%s%s%s", t->cmds[i].name, t->cmds[i].args[0] ? " " : "",
			 t->cmds[i].args);
		if ((int)strlen(left) > w) {
			fprintf(f, "  %s\n", left);
			left[0] = '\0';
		}
		plt_usage_entry(f, left, w, t->cmds[i].help);
	}
	fprintf(f, "\nOptions:\n");
	for (size_t i = 0; i < t->nopts; i++) {
		const struct plt_opt *d = &t->opts[i];
		char left[96];

		if (d->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->short_name, d->name,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		if ((int)strlen(left) > w) {
			fprintf(f, "  %s\n", left);
			left[0] = '\0';
		}
		plt_usage_entry(f, left, w, d->help);
	}
	plt_usage_entry(f, "    --version", w, PLT_VERSION_HELP);
	if (t->outro)
		t->outro(f);
}

int plt_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max) {
		double d = strtod(s, &end); /* 1e6 style */

		if (*end || d < 0 || d > (double)max || d != (double)(unsigned long)d)
			return -EINVAL;
		v = (unsigned long)d;
	}
	*out = v;
	return 0;
}

/* Store one option's argument; -EINVAL after saying what is wrong. */
static int opt_set(const struct plt_opt *d, void *opts, const char *arg)
{
	char *field = (char *)opts + d->off;

	switch (d->type) {
	case PLT_OPT_FLAG:
		*(int *)field = 1;
		return 0;
	case PLT_OPT_VERBOSE:
		*(int *)field += 1;
		plt_log_set_level(plt_log_get_level() + 1);
		return 0;
	case PLT_OPT_QUIET:
		*(int *)field = 1;
		plt_log_set_level(PLT_LOG_WARN);
		return 0;
	case PLT_OPT_STR:
		*(const char **)field = arg;
		return 0;
	case PLT_OPT_UINT:
	case PLT_OPT_U32: {
		unsigned long v, max = d->max ? d->max : d->type == PLT_OPT_U32 ? UINT32_MAX : ~0ul;

		if (plt_parse_ulong(arg, max, &v) || v < d->min) {
			pr_warn("--%s '%s': a number from %lu to %lu\n", d->name, arg, d->min, max);
			return -EINVAL;
		}
		if (d->type == PLT_OPT_U32)
			*(uint32_t *)field = (uint32_t)v;
		else
			*(unsigned long *)field = v;
		return 0;
	}
	case PLT_OPT_SECONDS: {
		char *end;
		double v = strtod(arg, &end);

		if (!*arg || *end || !(v > 0) || v > 1e7) {
			pr_warn("--%s '%s' is not a positive number of seconds\n", d->name, arg);
			return -EINVAL;
		}
		*(double *)field = v;
		return 0;
	}
	case PLT_OPT_DOUBLE: {
		char *end;
		double v = strtod(arg, &end);

		if (!*arg || *end || !(v >= 0) || v > (d->max ? (double)d->max : 1e300)) {
			if (d->max)
				pr_warn("--%s '%s' is not a number from 0 to %lu\n", d->name, arg, d->max);
			else
				pr_warn("--%s '%s' is not a number >= 0\n", d->name, arg);
			return -EINVAL;
		}
		*(double *)field = v;
		return 0;
	}
	case PLT_OPT_ENUM: {
		char list[256] = "";

		for (int i = 0; d->names[i]; i++) {
			if (!strcmp(arg, d->names[i])) {
				*(int *)field = i;
				return 0;
			}
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
				 d->names[i]);
		}
		pr_warn("--%s '%s': use %s\n", d->name, arg, list);
		return -EINVAL;
	}
	case PLT_OPT_FUNC:
		return d->fn(field, arg);
	case PLT_OPT_SET:
		*(int *)field = (int)d->min;
		return 0;
	case PLT_OPT_HELP:
		return PLT_OPTS_HELP;
	}
	return -EINVAL;
}

const struct plt_opt *plt_opts_find(const struct plt_tool *t, const char *arg)
{
	size_t n;

	if (!arg || arg[0] != '-' || !arg[1])
		return NULL;
	if (arg[1] != '-') { /* -c: a short option alone */
		for (size_t i = 0; i < t->nopts; i++)
			if (t->opts[i].short_name && t->opts[i].short_name == arg[1] && !arg[2])
				return &t->opts[i];
		return NULL;
	}
	arg += 2;
	n = strcspn(arg, "=");
	for (size_t i = 0; i < t->nopts; i++)
		if (strlen(t->opts[i].name) == n && !strncmp(t->opts[i].name, arg, n))
			return &t->opts[i];
	return NULL;
}

int plt_opts_parse(const struct plt_tool *t, int argc, char **argv, int first, void *opts,
		   int *nargs, char ***args)
{
	struct option *lo = calloc(t->nopts + 2, sizeof(*lo)); /* the table, --version, the end */
	char *so = malloc(2 * t->nopts + 2);
	int base = first - 1; /* argv[base] stands where getopt expects the program name */
	size_t ns = 0;
	int c, err = 0;

	if (!lo || !so) {
		free(lo);
		free(so);
		return -ENOMEM;
	}
	so[ns++] = ':'; /* a missing argument is ':', not '?' */
	for (size_t i = 0; i < t->nopts; i++) {
		const struct plt_opt *d = &t->opts[i];

		lo[i].name = d->name;
		lo[i].has_arg = takes_arg(d->type) ? required_argument : no_argument;
		lo[i].val = d->short_name ? d->short_name : PLT_LONG_BASE + (int)i;
		if (d->short_name) {
			so[ns++] = d->short_name;
			if (takes_arg(d->type))
				so[ns++] = ':';
		}
	}
	lo[t->nopts] = (struct option){ "version", no_argument, NULL, PLT_LONG_BASE + (int)t->nopts };
	so[ns] = '\0';
	opterr = 0;
	optind = 0; /* a full restart of getopt's scan, also on a second call */
	while (!err && (c = getopt_long(argc - base, argv + base, so, lo, NULL)) != -1) {
		const char *what = argv[base + optind - 1];
		char sopt[3] = { '-', (char)optopt, 0 };
		size_t i;

		if (c == '?' || c == ':') {
			if (strncmp(what, "--", 2) && optopt && optopt < PLT_LONG_BASE)
				what = sopt; /* in a cluster of short options */
			pr_warn(c == ':' ? "option '%s' needs an argument\n" : "unknown option '%s'\n", what);
			if (c == '?' && t->unknown_hint)
				pr_warn("%s\n", t->unknown_hint);
			err = -EINVAL;
			break;
		}
		if (c == PLT_LONG_BASE + (int)t->nopts) {
			err = PLT_OPTS_VERSION;
			break;
		}
		for (i = 0; i < t->nopts; i++)
			if (lo[i].val == c)
				break;
		err = opt_set(&t->opts[i], opts, optarg);
	}
	free(lo);
	free(so);
	if (err == PLT_OPTS_VERSION) {
		plt_version(t->name, stdout);
		return PLT_OPTS_HELP;
	}
	if (err == PLT_OPTS_HELP) {
		plt_usage(t, stdout);
		return PLT_OPTS_HELP;
	}
	if (err) {
		fprintf(stderr, "Try '%s --help'.\n", t->name);
		return -EINVAL;
	}
	*nargs = argc - base - optind;
	*args = argv + base + optind;
	return 0;
}

int plt_opts_main(const struct plt_tool *t, int argc, char **argv, void *opts, int *nargs, char ***args)
{
	int err;

	plt_log_init(t->name, PLT_LOG_INFO);
	err = plt_opts_parse(t, argc, argv, 1, opts, nargs, args);
	if (err == PLT_OPTS_HELP)
		return 0;
	if (err)
		return 2;
	if (*nargs < t->min_args || (t->max_args >= 0 && *nargs > t->max_args)) {
		if (*nargs > t->max_args)
			pr_warn("unexpected argument '%s'\n", (*args)[t->max_args]);
		else
			pr_warn("usage: %s %s\n", t->name, t->usage);
		fprintf(stderr, "Try '%s --help'.\n", t->name);
		return 2;
	}
	return -1;
}

int plt_cmd_main(const struct plt_tool *t, int argc, char **argv, void *opts)
{
	const struct plt_cmd *cmd = NULL;
	char names[256] = "";
	char **args;
	int nargs, err;

	plt_log_init(t->name, PLT_LOG_INFO);
	if (argc < 2) {
		plt_usage(t, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		plt_usage(t, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		plt_version(t->name, stdout);
		return 0;
	}
	for (size_t i = 0; i < t->ncmds; i++) {
		if (!strcmp(argv[1], t->cmds[i].name))
			cmd = &t->cmds[i];
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
			 t->cmds[i].name);
	}
	if (!cmd) {
		pr_warn("unknown command '%s' (%s; see --help)\n", argv[1], names);
		return 2;
	}
	err = plt_opts_parse(t, argc, argv, 2, opts, &nargs, &args);
	if (err == PLT_OPTS_HELP)
		return 0;
	if (err)
		return 2;
	if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
		pr_warn("usage: %s %s%s%s\n", t->name, cmd->name, cmd->args[0] ? " " : "", cmd->args);
		return 2;
	}
	return cmd->fn(opts, nargs, args);
}
