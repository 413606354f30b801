// SPDX-License-Identifier: MIT
/* libFuzzer target for the policy parser: any text either parses into a
 * policy that can be summarised and freed, or fails with a message; never
 * a crash, leak or out-of-bounds access (built with ASan and UBSan). */
#include <stdlib.h>
#include <string.h>
#include "pl_ctl.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n);

/* One input: NUL-terminate, parse, summarise, free. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char *text = malloc(n + 1);
	struct pl_policy *p;
	struct pl_err err;

	if (!text)
		return 0;
	memcpy(text, data, n);
	text[n] = '\0';
	if (!pl_policy_parse_string(text, "fuzz.policy", &p, &err)) {
		char sum[256];

		pl_policy_summary(p, sum, sizeof(sum));
		pl_policy_free(p);
	} else if (strncmp(err.msg, "fuzz.policy", 11)) {
		abort(); /* every parse error names the file */
	}
	free(text);
	return 0;
}
