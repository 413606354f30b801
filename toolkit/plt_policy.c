// SPDX-License-Identifier: MIT
/* plt_policy: policy file -> a running core; port names -> pl_tx_ports. */
#include <errno.h>
#include <net/if.h>
#include "plt_log.h"
#include "plt_policy.h"

int plt_policy_load(struct pl_ctl *c, const char *path, pl_port_resolver resolve, void *arg)
{
	struct pl_policy *p;
	struct pl_err err;
	char sum[256];
	int ret;

	ret = pl_policy_parse_file(path, &p, &err);
	if (ret) {
		pr_warn("%s\n", err.msg);
		return ret;
	}
	ret = pl_policy_apply(c, p, resolve, arg, &err);
	if (ret) {
		pr_warn("%s\n", err.msg);
	} else {
		pl_policy_summary(p, sum, sizeof(sum));
		pr_info("policy %s: %s\n", path, sum);
		if (pl_policy_route_kernel(p))
			pr_info("route kernel: the route tables are filled by `pathlab-policy routes --prog-id ID` (run it in this network namespace)\n");
	}
	pl_policy_free(p);
	return ret;
}

int plt_tx_ports_resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	struct plt_tx_ports *tp = arg;
	uint32_t idx = if_nametoindex(name), v, free_slot = PL_PORTS_MAX;

	if (!idx)
		return -ENOENT;
	for (uint32_t p = 0; p < PL_PORTS_MAX; p++) {
		int err = pl_ctl_lookup(tp->ctl, "pl_tx_ports", &p, &v);

		if (!err && v == idx) {
			*ifindex = idx;
			*out_port = p;
			return 0;
		}
		if (err && free_slot == PL_PORTS_MAX && !(tp->taken & (1ull << p)))
			free_slot = p;
	}
	if (free_slot == PL_PORTS_MAX)
		return -ERANGE;
	tp->taken |= 1ull << free_slot;
	*ifindex = idx;
	*out_port = free_slot;
	return 0;
}
