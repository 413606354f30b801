// SPDX-License-Identifier: MIT
/* Helpers shared by the bench tools: reading pl-topo info files, writing
 * counter files the harness reads. */
#include "pl_bench_util.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int pl_write_counters(const char *path, const char *const *keys, const unsigned long long *vals, size_t n)
{
	char tmp[PATH_MAX];
	FILE *f;
	size_t i;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%s=%llu\n", keys[i], vals[i]);
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}
