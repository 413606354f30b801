// SPDX-License-Identifier: MIT
/* One frame sees one configuration: a writer thread flips the user-space
 * core between two configurations through libpathlab-ctl while worker
 * threads run frames, and no frame may see fields of both.
 *   A: mode count-only, default verdict drop  -> every frame PASS
 *   B: mode policy,     default verdict tx    -> every frame TX
 * The pipeline reads the mode first and the default verdict last, so a
 * frame that read B's mode and A's default verdict says DROP: a mix.
 * B also turns steering on, and with every flip the writer replaces one of
 * 200 steer entries (none for the frames' port: every lookup is a miss that
 * probes), so the table's tombstones are reclaimed, its slot array replaced
 * and the old one freed while workers read it.
 * Built twice: plainly, and with ThreadSanitizer compiling the core and the
 * control library into it (the data-race check of the same run).
 * Usage: test-ctl-config-flip [FLIPS] */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "pl_user.h"
#include "stages/steer.h"
#include "pl_ctl.h"
#define PL_CHECK_MAIN
#include "ctl_test.h"

#define WORKERS 2

static int stop;
static unsigned long seen[WORKERS][PL_VERDICT__MAX];
static unsigned long frames; /* all workers */

static void *worker(void *arg)
{
	unsigned id = (unsigned)(unsigned long)arg;
	uint8_t f[64];

	pl_worker_set(id);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct pl_buf b = { .data = f, .len = t_make_tcp(f, 53, 0x10) };
		int v = pl_core_process(&b, NULL);

		if (v >= 0 && v < PL_VERDICT__MAX)
			__atomic_fetch_add(&seen[id][v], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&frames, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct pl_config a = PL_CONFIG_DEFAULT, b = PL_CONFIG_DEFAULT, got;
	unsigned long flips = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000, sum[PL_VERDICT__MAX] = { 0 };
	pthread_t th[WORKERS];
	struct pl_ctl *c;

	a.mode = PL_MODE_COUNT_ONLY;
	a.default_verdict = PL_DROP;
	b.mode = PL_MODE_POLICY;
	b.default_verdict = PL_TX;
	b.steer_enabled = 1;
	if (pl_core_init(WORKERS) || !(c = pl_ctl_open_user())) {
		fprintf(stderr, "FATAL: cannot start the user core\n");
		return 1;
	}
	CHECK(pl_ctl_set_config(c, &a) == 0, "config A");
	for (__u16 p = 1000; p < 1200; p++) {
		struct pl_steer_key k = { .proto = IPPROTO_UDP, .port = p };
		struct pl_steer_val v = { .action = PL_DROP };

		CHECK(pl_ctl_update(c, "pl_steer", &k, &v) == 0, "steer %u", p);
	}
	for (unsigned long i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	/* Each flip waits for a few frames run under the previous one, so
	 * flips and frames interleave whatever the scheduler does. */
	for (unsigned long i = 0; i < flips; i++) {
		unsigned long at = __atomic_load_n(&frames, __ATOMIC_RELAXED);

		struct pl_steer_key old = { .proto = IPPROTO_UDP, .port = (__u16)(1000 + i % 30000) };
		struct pl_steer_key new = { .proto = IPPROTO_UDP, .port = (__u16)(1200 + i % 30000) };
		struct pl_steer_val v = { .action = PL_DROP };

		if (pl_ctl_set_config(c, i & 1 ? &a : &b) || pl_ctl_remove(c, "pl_steer", &old) ||
		    pl_ctl_update(c, "pl_steer", &new, &v)) {
			CHECK(0, "flip %lu failed", i);
			break;
		}
		while (__atomic_load_n(&frames, __ATOMIC_RELAXED) < at + 3)
			sched_yield();
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < WORKERS; i++)
		for (int v = 0; v < PL_VERDICT__MAX; v++)
			sum[v] += seen[i][v];
	printf("%lu flips; frames: %lu pass (A), %lu tx (B), %lu drop (mixed), %lu other\n", flips,
	       sum[PL_PASS], sum[PL_TX], sum[PL_DROP], sum[PL_USER] + sum[PL_REDIRECT] + sum[PL_ABORTED]);
	CHECK(sum[PL_DROP] == 0, "%lu frames saw a mixed configuration", sum[PL_DROP]);
	CHECK(sum[PL_USER] + sum[PL_REDIRECT] + sum[PL_ABORTED] == 0, "unexpected verdicts");
	CHECK(sum[PL_PASS] + sum[PL_TX] > 0, "no frames ran");
	CHECK(pl_ctl_get_config(c, &got) == 0 && !memcmp(&got, flips & 1 ? &b : &a, sizeof(got)),
	      "the last configuration written is the live one");
	pl_ctl_close(c);
	pl_core_fini();
	return pl_check_done("test-ctl-config-flip");
}
