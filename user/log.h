/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * log.h - messages on stderr: one line, one write, "pyaudit-trace: " prefix;
 * what, then why, then the remedy if any.  stdout carries events only.
 */
#ifndef PA_LOG_H
#define PA_LOG_H

#include <stdarg.h>

#define PA_PROG "pyaudit-trace"

void log_set_verbose(int verbose);
/* -q: pa_info (status lines) says nothing; warnings and errors still do. */
void log_set_quiet(int quiet);
int log_verbose(void);
void pa_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pa_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pa_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown only with -v. */
void pa_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* libbpf's print callback: its messages go to pa_dbg. */
#include <bpf/libbpf.h>
int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
