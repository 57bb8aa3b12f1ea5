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

/* All rows of the table (one per (event, format)), sorted by name. */
extern const struct event_info audit_event_table[];
extern const size_t audit_event_table_len;

/* First row for name, or NULL. */
const struct event_info *event_lookup(const char *name);

/*
 * Name of argument i of event name (documented names; several rows of one
 * event share them), or NULL if the table has none for that position.
 * Writes into buf.
 */
const char *event_arg_name(const char *name, unsigned i, char *buf, size_t size);

/*
 * Shell-glob match of the whole string: '*', '?', '[...]' with ranges and '!'
 * or '^' negation, '\\' escapes.  Returns true on match.
 */
bool glob_match(const char *pattern, const char *str);

/* Returns 0, or -EINVAL with *why set to a static reason ("unmatched '['"). */
int glob_check(const char *pattern, const char **why);

struct event_filter;

/* Builds a filter from -e (include) and -x (exclude) globs; NULL lists allowed.
 * An event passes if it matches some include glob (or there are none) and no
 * exclude glob.  Returns NULL with errno set on allocation failure. */
struct event_filter *event_filter__new(const char *const *include, int ninclude,
				       const char *const *exclude, int nexclude);
bool event_filter__pass(const struct event_filter *f, const char *name);
bool event_filter__active(const struct event_filter *f);
void event_filter__free(struct event_filter *f);

#endif
