/* SPDX-License-Identifier: MIT */
/* plt_time: the run loop's clock and stop flag.
 *
 * API: plt_stop_on_signals() makes SIGINT, SIGTERM, SIGHUP and SIGQUIT set
 * plt_stop (and nothing else; no SA_RESTART, so sleeps return at once): a
 * tool ends the same clean way however it is told to stop; loops test
 * plt_stop. plt_now() is monotonic seconds, plt_now_ns() nanoseconds;
 * plt_sleep_until(t) sleeps to monotonic time t or until a signal. */
#ifndef PLT_TIME_H
#define PLT_TIME_H

#include <signal.h>
#include <stdint.h>

extern volatile sig_atomic_t plt_stop;

void plt_stop_on_signals(void);
double plt_now(void);
uint64_t plt_now_ns(void);
void plt_sleep_until(double t);

#endif
