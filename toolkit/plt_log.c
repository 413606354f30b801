// SPDX-License-Identifier: MIT
/* plt_log: leveled messages to stderr, libraries one level lower. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "plt_log.h"

static const char *log_prog = "pathlab";
static enum plt_log_level log_level = PLT_LOG_INFO;
static char *capture_buf; /* plt_log_capture_kernel */
static size_t capture_len;

void plt_log_init(const char *prog, enum plt_log_level level)
{
	log_prog = prog;
	log_level = level;
	libbpf_set_print(plt_log_libbpf);
}

void plt_log_set_level(enum plt_log_level level)
{
	log_level = level > PLT_LOG_TRACE ? PLT_LOG_TRACE : level;
}

enum plt_log_level plt_log_get_level(void)
{
	return log_level;
}

void plt_vlog(enum plt_log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	fprintf(stderr, "%s: ", log_prog);
	vfprintf(stderr, fmt, ap);
}

void plt_log(enum plt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plt_vlog(level, fmt, ap);
	va_end(ap);
}

/* Keep the kernel's extended ack of a libbpf message in capture_buf. */
static void capture(const char *fmt, va_list ap)
{
	static const char tag[] = "Kernel error message: ";
	char line[512];
	const char *m;

	vsnprintf(line, sizeof(line), fmt, ap);
	m = strstr(line, tag); /* after libbpf's "libbpf: " prefix */
	if (m) {
		snprintf(capture_buf, capture_len, "%s", m + sizeof(tag) - 1);
		capture_buf[strcspn(capture_buf, "\n")] = '\0';
	}
}

int plt_log_lib(int lib_level, const char *fmt, va_list ap)
{
	enum plt_log_level level = lib_level <= 0 ? PLT_LOG_INFO : lib_level == 1 ? PLT_LOG_DEBUG : PLT_LOG_TRACE;

	if (capture_buf) {
		capture(fmt, ap);
		return 0;
	}
	if (level > log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int plt_log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return plt_log_lib(level == LIBBPF_WARN ? 0 : level == LIBBPF_INFO ? 1 : 2, fmt, ap);
}

void plt_log_capture_kernel(char *buf, size_t len)
{
	if (buf && len)
		buf[0] = '\0';
	capture_buf = len ? buf : NULL;
	capture_len = len;
}
