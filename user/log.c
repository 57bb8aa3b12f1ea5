// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * log.c - stderr messages, each built in one buffer and written with a single
 * write(2) so that lines from the tracer never interleave mid-line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"

static int verbose, quiet;

void log_set_verbose(int v)
{
	verbose = v;
}

void log_set_quiet(int q)
{
	quiet = q;
}

int log_verbose(void)
{
	return verbose;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), PA_PROG ": %s", prefix);
	int m;

	if (n < 0)
		return;
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

#define DEFINE_LOG(name, prefix, cond)                \
	void name(const char *fmt, ...)               \
	{                                             \
		va_list ap;                           \
		if (!(cond))                          \
			return;                       \
		va_start(ap, fmt);                    \
		vlog(prefix, fmt, ap);                \
		va_end(ap);                           \
	}

DEFINE_LOG(pa_err, "", 1)
DEFINE_LOG(pa_warn, "warning: ", 1)
DEFINE_LOG(pa_info, "", !quiet)
DEFINE_LOG(pa_dbg, "", verbose)

int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's messages can be whole verifier logs: no line buffer of ours fits them */
	if (!verbose)
		return 0;
	/* libbpf starts most of its messages with "libbpf: " itself: say it once */
	fputs(strncmp(fmt, "libbpf: ", 8) ? PA_PROG ": libbpf: " : PA_PROG ": ", stderr);
	return vfprintf(stderr, fmt, ap);
}
