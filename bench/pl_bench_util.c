// SPDX-License-Identifier: MIT
/* Helpers shared by pl-gen and pl-sink: reading pl-topo info files. */
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
