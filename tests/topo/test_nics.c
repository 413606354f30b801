// SPDX-License-Identifier: MIT
/* The NIC table's C API (topologies/pl_nics.h): lookup by driver name, the
 * flags front ends ask for, one entry per driver, and every text a
 * consumer prints present where the table promises it. */
#include <string.h>
#define PL_CHECK_MAIN
#include "pl_check.h"
#include "pl_nics.h"

int main(void)
{
	const struct pl_nic *n, *all;
	unsigned count;

	all = pl_nics(&count);
	CHECK(count >= 7, "%u drivers", count);
	for (unsigned i = 0; i < count; i++) {
		CHECK(pl_nic_lookup(all[i].driver) == &all[i], "%s: lookup finds its own entry",
		      all[i].driver);
		CHECK(all[i].afxdp[0] && all[i].redirect[0] && all[i].picks[0],
		      "%s: AF_XDP, redirect and picks texts", all[i].driver);
		CHECK(!strchr(all[i].hint, '%'), "%s: the hint is no format string", all[i].driver);
		if (!pl_nic_native(&all[i]))
			CHECK(all[i].hint[0], "%s: no native XDP, so a hint says what to do",
			      all[i].driver);
	}
	CHECK(pl_nic_lookup("nosuchdriver") == NULL, "unknown driver");
	CHECK(pl_nic_lookup(NULL) == NULL, "NULL driver");
	CHECK(pl_nic_lookup("veth_") == NULL && pl_nic_lookup("vet") == NULL, "whole names only");

	n = pl_nic_lookup("veth");
	CHECK(n && pl_nic_native(n) && !pl_nic_zerocopy(n) && pl_nic_multibuf(n), "veth flags");
	n = pl_nic_lookup("r8169");
	CHECK(n && !pl_nic_native(n) && !pl_nic_zerocopy(n), "r8169: generic only");
	CHECK(n && strstr(n->hint, "generic"), "r8169 hint: use generic XDP");
	n = pl_nic_lookup("ena");
	CHECK(n && pl_nic_native(n) && !pl_nic_zerocopy(n) && strstr(n->hint, "3498"),
	      "ena: native, copy mode, the MTU limit in the hint");
	n = pl_nic_lookup("mlx5_core");
	CHECK(n && pl_nic_native(n) && pl_nic_zerocopy(n) && pl_nic_multibuf(n), "mlx5 flags");
	n = pl_nic_lookup("virtio_net");
	CHECK(n && pl_nic_native(n) && strstr(n->hint, "tx queue"), "virtio_net hint: queues");
	return pl_check_done("nics");
}
