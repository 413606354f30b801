// SPDX-License-Identifier: MIT
/* The NIC table (pl_nics.h) as data, lookup and its Markdown form. */
#include <string.h>
#include "pl_nics.h"

#define PL_NIC_ENTRY(drv, feat, afxdp_, redirect_, cond, picks_, note_, hint_)                    \
	{ .driver = drv, .features = (feat), .afxdp = afxdp_, .redirect = redirect_,               \
	  .conditions = cond, .picks = picks_, .note = note_, .hint = hint_ },

static const struct pl_nic pl_nic_table[] = { PL_NICS(PL_NIC_ENTRY) };

const struct pl_nic *pl_nics(unsigned *n)
{
	*n = sizeof(pl_nic_table) / sizeof(pl_nic_table[0]);
	return pl_nic_table;
}

const struct pl_nic *pl_nic_lookup(const char *driver)
{
	for (size_t i = 0; driver && i < sizeof(pl_nic_table) / sizeof(pl_nic_table[0]); i++)
		if (!strcmp(driver, pl_nic_table[i].driver))
			return &pl_nic_table[i];
	return NULL;
}

void pl_nics_print_markdown(FILE *f)
{
	fprintf(f, "| driver | native XDP | generic XDP | AF_XDP | multi-buffer (rx-sg) | redirect target "
		   "| conditions | lab picks |\n|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(pl_nic_table) / sizeof(pl_nic_table[0]); i++) {
		const struct pl_nic *n = &pl_nic_table[i];

		fprintf(f, "| `%s` | %s | yes | %s | %s | %s | %s | %s |\n", n->driver,
			pl_nic_native(n) ? "yes" : "**no**", n->afxdp, pl_nic_multibuf(n) ? "yes" : "no",
			n->redirect, n->conditions[0] ? n->conditions : "—", n->picks);
	}
}
