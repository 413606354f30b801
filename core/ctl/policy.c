// SPDX-License-Identifier: MIT
/* Policy parser: placeholder until the parser lands (same branch, next
 * commit). Every entry point reports that it is missing. */
#include <errno.h>
#include <stdio.h>
#include "pl_ctl.h"

/* Not yet implemented. */
int pl_policy_parse_string(const char *text, const char *name, struct pl_policy **out,
			   struct pl_err *err)
{
	*out = NULL;
	snprintf(err->msg, sizeof(err->msg), "%s: policy parser not built yet (update the ctl branch)",
		 name);
	return -ENOSYS;
}

/* Not yet implemented. */
int pl_policy_parse_file(const char *path, struct pl_policy **out, struct pl_err *err)
{
	return pl_policy_parse_string("", path, out, err);
}

/* Nothing to free yet. */
void pl_policy_free(struct pl_policy *p)
{
}

/* Not yet implemented. */
int pl_policy_apply(struct pl_ctl *c, const struct pl_policy *p, pl_port_resolver resolver,
		    void *resolver_arg, struct pl_err *err)
{
	snprintf(err->msg, sizeof(err->msg), "policy apply not built yet");
	return -ENOSYS;
}

/* Not yet implemented. */
const struct pl_config *pl_policy_config(const struct pl_policy *p)
{
	return NULL;
}
