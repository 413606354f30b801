// SPDX-License-Identifier: MIT
/* Helpers shared by pl-gen and pl-sink: option tables, finding BPF
 * objects, libbpf logging, reading pl-topo info files. */
#include "pl_bench_util.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#ifndef PL_BPF_INSTALL_DIR
#define PL_BPF_INSTALL_DIR "/usr/local/lib/pathlab"
#endif

int pl_verbose;

/* Fill longopts (n+1 entries) and a short-option string from the table. */
void pl_opts_build(const struct pl_opt *o, int n, struct option *lo, char *shortopts, size_t len)
{
	size_t k = 0;
	int i;

	for (i = 0; i < n; i++) {
		lo[i] = (struct option){ o[i].name, o[i].arg ? required_argument : no_argument, NULL, o[i].val };
		if (o[i].val < 128 && k + 3 < len) {
			shortopts[k++] = (char)o[i].val;
			if (o[i].arg)
				shortopts[k++] = ':';
		}
	}
	shortopts[k] = 0;
	memset(&lo[n], 0, sizeof(lo[n]));
}

/* Print the option table. */
void pl_opts_usage(FILE *f, const struct pl_opt *o, int n)
{
	char left[64];
	int i;

	for (i = 0; i < n; i++) {
		if (o[i].val < 128)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o[i].val, o[i].name, o[i].arg ? " " : "",
				 o[i].arg ? o[i].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o[i].name, o[i].arg ? " " : "",
				 o[i].arg ? o[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, o[i].help);
	}
}

/* Path of a BPF object: $PL_BPF_DIR, next to the executable, install dir. */
int pl_bpf_obj_path(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("PL_BPF_DIR");
	ssize_t n;

	if (env) {
		snprintf(buf, len, "%s/%s", env, name);
		if (!access(buf, R_OK))
			return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(buf, len, "%s/%s", exe, name);
			if (!access(buf, R_OK))
				return 0;
		}
	}
	snprintf(buf, len, "%s/%s", PL_BPF_INSTALL_DIR, name);
	return access(buf, R_OK) ? -ENOENT : 0;
}

/* libbpf's messages, demoted one level. */
static int pl_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN || pl_verbose)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* Install the demoting libbpf print callback. */
void pl_libbpf_logging(void)
{
	libbpf_set_print(pl_libbpf_print);
}

/* Read KEY from /run/pathlab/topo/NAME/info (values may be shell-quoted). */
int pl_topo_get(const char *name, const char *key, char *buf, size_t len)
{
	const char *root = getenv("PL_TOPO_RUNDIR");
	char path[PATH_MAX], line[512];
	size_t kl = strlen(key);
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/info", root ? root : "/run/pathlab/topo", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v, *o;

		if (strncmp(line, key, kl) || line[kl] != '=')
			continue;
		v = line + kl + 1;
		v[strcspn(v, "\n")] = 0;
		/* undo bash's printf %q for the simple cases we emit */
		if (!strcmp(v, "''"))
			v[0] = 0;
		for (o = v; *v; v++) {
			if (*v == '\\' && v[1])
				v++;
			*o++ = *v;
		}
		*o = 0;
		snprintf(buf, len, "%s", line + kl + 1);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* Seconds of CLOCK_MONOTONIC. */
double pl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
