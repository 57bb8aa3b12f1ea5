/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * names.h - event names, their filter verdicts and -c counter slots: the
 * protocol between userspace and the BPF names map, end to end.
 *
 * Userspace seeds the names map with a verdict for every name of the event
 * table before the first event (struct pa_name_val: PA_VERDICT_PASS/DROP and,
 * for -c --by event, a slot in the per-CPU fast_counts array).  A name BPF has
 * no verdict for arrives as a PA_REC_NAME record; it is decided here and
 * written back.  Until then its events carry PA_EV_NAME_PENDING and the tracer
 * asks names__pass_value().  The aggregator learns every name from here
 * (agg__add_name) and reads the fast counters back through names__fast_rows().
 */
#ifndef PA_NAMES_H
#define PA_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pyaudit.h"

struct agg;
struct agg_count;
struct pa_value;

/*
 * -e / -x globs.  Warns once per -e glob that matches no event of the table
 * (it still applies).  Returns NULL with errno set (ENOMEM).
 */
struct names *names__new(const char *const *include, int ninclude, const char *const *exclude,
			 int nexclude);
void names__free(struct names *n); /* NULL is fine */

/* Is any -e / -x given?  (BPF then consults the names map: cfg_filter.) */
bool names__filtering(const struct names *n);
/*
 * Does an event name pass -e / -x?  The one place the filter is decided: for
 * the names map's verdicts, for events sent pending a verdict, and for the
 * aggregator, which asks for every name it learns (agg_opts.filter).
 */
bool names__pass(const struct names *n, const char *name);
/* The names as the aggregator's filter (agg_opts.filter); NULL when no -e / -x is given. */
const struct names *names__filter(const struct names *n);

/*
 * The BPF side: names_fd (the names map), fast_counts_fd (per-CPU array of
 * PA_NFAST __u64), fast: -c --by event gives passing names a counter slot;
 * agg (may be NULL) learns every name decided.
 */
void names__bind(struct names *n, int names_fd, int fast_counts_fd, bool fast, struct agg *agg);

/* Every name of the event table gets its verdict (before the first event). */
void names__seed(struct names *n);

/* A PA_REC_NAME record of size bytes: its name is decided.  Bad records are ignored. */
void names__on_record(struct names *n, const void *data, size_t size);

/* An event with PA_EV_NAME_PENDING: does its name (a decoded value) pass the filter? */
bool names__pass_value(const struct names *n, const struct pa_value *name);

/*
 * struct agg_opts.extra_counts (ctx: the names): the fast counters summed over
 * CPUs, one row per slot given.  Returns 0 or -errno.
 */
int names__fast_rows(void *ctx, struct agg_count **rows, size_t *nrows);

#endif
