/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * events.h - the audit event table (generated from data/audit-events.tsv) and
 * the -e/-x glob filter.
 */
#ifndef PA_EVENTS_H
#define PA_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

struct event_info {
	const char *name;
	const char *args;	/* documented argument names, comma-separated ("" if none) */
	const char *format;	/* C format, "NULL", "py" or "?" */
	const char *versions;	/* "3.8+", "3.9-3.11", ... */
};

/* All rows of the table (one per (event, format)), sorted by name (strcmp order). */
extern const struct event_info audit_event_table[];
extern const size_t audit_event_table_len;

/* First row for name, or NULL. */
const struct event_info *event_lookup(const char *name);

/*
 * The row of name whose argument list is longest (the most names; the first
 * such row on a tie), or NULL if name is not in the table.  Look it up once
 * per event and pass it to event_info_arg_name() for each argument.
 */
const struct event_info *event_lookup_args(const char *name);

/*
 * Name of argument i of row e (NULL is fine), copied into buf.  Returns buf,
 * or NULL if e documents no name at that position or it does not fit in buf.
 */
const char *event_info_arg_name(const struct event_info *e, unsigned i, char *buf,
				size_t size);

/*
 * Name of argument i of event name (documented names; several rows of one
 * event share them, the longest list wins), or NULL if the table has none for
 * that position.  Writes into buf.
 */
const char *event_arg_name(const char *name, unsigned i, char *buf, size_t size);

/*
 * Shell-glob match of the whole string: '*', '?', '[...]' with ranges and '!'
 * or '^' negation, '\\' escapes (also inside brackets).  '.' and '/' are
 * ordinary characters and matching is byte by byte (no locale, no case
 * folding, no POSIX classes or collating elements: a '[' inside brackets is
 * an ordinary character).  A ']' right after '[' or '[!' is a member; a '-'
 * first or last in a bracket is a member; a reversed range ("[z-a]") matches
 * nothing.  A '[' without its ']' matches itself, a trailing '\\' matches a
 * backslash (but glob_check() rejects both).  Returns true on match.
 */
bool glob_match(const char *pattern, const char *str);

/*
 * Returns 0, or -EINVAL with *why (if why is not NULL) set to a static reason:
 * "empty pattern", "unmatched '['" or "trailing backslash".
 */
int glob_check(const char *pattern, const char **why);

struct event_filter;

/* Builds a filter from -e (include) and -x (exclude) globs; NULL lists allowed.
 * An event passes if it matches some include glob (or there are none) and no
 * exclude glob.  The patterns are copied.  Returns NULL with errno set on
 * allocation failure (the globs are not checked here: see glob_check()). */
struct event_filter *event_filter__new(const char *const *include, int ninclude,
				       const char *const *exclude, int nexclude);
/* True if name passes f; a NULL f passes everything. */
bool event_filter__pass(const struct event_filter *f, const char *name);
/* True if f has any glob (so names need a verdict); false for NULL. */
bool event_filter__active(const struct event_filter *f);
void event_filter__free(struct event_filter *f); /* NULL is fine */

#endif
