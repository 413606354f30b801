// SPDX-License-Identifier: MIT
/* The unit test executable: parsers, malformed frames, checksums, stages.
 * Prints "N passed, N failed"; exits non-zero on any failure. */
#define PL_CHECK_MAIN 1
#include "tunit.h"

/* Run every group; the summary decides the exit status. */
int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tu_reset();
	test_parse();
	test_malformed();
	test_csum();
	test_stages();
	test_tables();
	pl_core_fini();
	return pl_check_done("unit");
}
