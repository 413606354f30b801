/* SPDX-License-Identifier: MIT */
/* plt_log: the one logging of pathlab's command-line tools.
 *
 * API: plt_log_init("pathlab-xdp", PLT_LOG_INFO) once (sets the prefix of
 * every line and installs libbpf's print callback), then pr_warn / pr_info
 * / pr_debug / pr_trace (printf-style, to stderr, "PROG: " prefixed).
 * Options map to levels: -q -> PLT_LOG_WARN, default PLT_LOG_INFO, -v ->
 * PLT_LOG_DEBUG, -vv -> PLT_LOG_TRACE (plt_log_set_level). libbpf's and
 * libxdp's own messages are shown one level lower than they rate them
 * (their warnings at INFO, info at DEBUG, debug at TRACE). A tool that uses
 * libxdp includes <xdp/libxdp.h> before this header and calls
 * plt_log_use_libxdp() after plt_log_init(). (No libbpf header is pulled in:
 * libpcap's users could not include it.)
 *
 * plt_log_capture_kernel(buf, len) makes libbpf's messages silent and keeps
 * the kernel's extended ack ("Kernel error message: ...") in buf until
 * plt_log_capture_kernel(NULL, 0): how a refused attach is explained. */
#ifndef PLT_LOG_H
#define PLT_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum plt_log_level {
	PLT_LOG_WARN,  /* always shown (-q leaves only these) */
	PLT_LOG_INFO,  /* default */
	PLT_LOG_DEBUG, /* -v */
	PLT_LOG_TRACE, /* -vv: libbpf's / libxdp's debug output */
};

/* Prefix lines with "prog: ", set the level, install libbpf's callback. */
void plt_log_init(const char *prog, enum plt_log_level level);
void plt_log_set_level(enum plt_log_level level);
enum plt_log_level plt_log_get_level(void);
/* One message at level (the caller ends it with '\n'). */
void plt_log(enum plt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plt_vlog(enum plt_log_level level, const char *fmt, va_list ap);

#define pr_warn(...) plt_log(PLT_LOG_WARN, __VA_ARGS__)
#define pr_info(...) plt_log(PLT_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) plt_log(PLT_LOG_DEBUG, __VA_ARGS__)
#define pr_trace(...) plt_log(PLT_LOG_TRACE, __VA_ARGS__)

/* A library's message at its own level lib_level (0 warn, 1 info, 2 debug:
 * libbpf's and libxdp's numbering), printed one level lower, unprefixed. */
int plt_log_lib(int lib_level, const char *fmt, va_list ap);
#ifdef __LIBBPF_LIBBPF_H
/* The callback plt_log_init installs with libbpf_set_print(). */
int plt_log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);
#endif

/* Capture the kernel's extended ack from libbpf's messages into buf (and
 * print none of them); NULL stops. */
void plt_log_capture_kernel(char *buf, size_t len);

#ifdef __LIBXDP_LIBXDP_H
/* libxdp's messages, one level lower. */
static inline int plt_log_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return plt_log_lib((int)level, fmt, ap);
}

static inline void plt_log_use_libxdp(void)
{
	libxdp_set_print(plt_log_libxdp);
}
#endif

#endif
