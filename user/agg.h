/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * agg.h - count mode (-c): reads the BPF counts (and --hist histograms) maps,
 * names each key, and prints tables: sorted by count then name, proportional
 * bars, total, time span and rate; per interval or cumulative with -i.
 *
 * Text, one table per agg__print() (two at exit with -i per interval: the last,
 * partial interval if it counted anything, then the total):
 *
 *   -- 14:02:07 -- 1113 events in 10.00 s, 111.3/s, total
 *   EVENT                COUNT
 *   open                   812 |****************************************|
 *   import                 301 |***************                         |
 *   TOTAL                 1113
 *
 * The title ends "counts per interval (N s)", "cumulative since start" or
 * "total".  Key columns follow --by in the order PID, COMM, UID, EVENT, then
 * COUNT and a 40-character bar scaled (rounded) to the largest count shown.
 * Column widths come from the data; EVENT is at least 20 wide.  Rows sort by
 * count descending, then event name (byte order), pid, comm, uid ascending.
 * --top N keeps N rows and says "(+K more rows, M events)" before TOTAL.
 * Names and comms are untrusted and escaped as escape_text() does.  With
 * --hist, one bcc-style log2 histogram per event name follows the table:
 *
 *   event = open
 *        usecs               : count    distribution
 *            0 -> 1          : 120      |****************************************|
 *            2 -> 3          : 3        |*                                       |
 *
 * JSON Lines (-j), per table: one object per row
 *   {"ts": 1764000000.123456, "interval": 3, "pid": 4242, "comm": "python3",
 *    "uid": 0, "event": "open", "count": 812}
 * (pid/comm/uid/event only when in the key), one object per histogram
 *   {"ts": ..., "interval": 3, "event": "open",
 *    "hist": [{"lo": 0, "hi": 1, "count": 120}, {"lo": 2, "hi": 3, "count": 3}]}
 * and last a line closing the table
 *   {"ts": ..., "interval": 3, "total": 1113, "span_s": 10.0, "rate": 111.3}
 * with "more_rows"/"more_events" when --top cut rows and "lost" when events
 * were not counted in the table's span.  "ts" is the wall-clock time of the
 * table; "interval" numbers per-interval tables from 1 and is null for
 * cumulative ones and the total; "rate" is null for an empty span.
 *
 * Events not counted (map full) are a warning on stderr, never in the table:
 *   pyaudit-trace: warning: 12 events not counted (counts map full); raise --max-keys
 */
#ifndef PA_AGG_H
#define PA_AGG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pyaudit.h"

struct names;

struct agg_count;

struct agg_opts {
	FILE *f;		/* stdout or -o */
	int json;		/* -j: one {"event": ..., "count": ...} object per row */
	unsigned by;		/* PA_BY_* bits (enum by_field of user/cli.h); 0 = PA_BY_EVENT */
	unsigned top;		/* 0 = all rows */
	int cumulative;		/* with -i: since start instead of per interval */
	unsigned interval_s;	/* 0 = one table at the end */
	int hist;		/* --hist: print log2 histograms of inter-arrival time */
	int counts_fd;		/* BPF map: struct pa_count_key -> __u64; < 0 = none */
	int hists_fd;		/* BPF map: struct pa_hist_key -> __u64 (when hist); < 0 = none */
	/* -e / -x (names__filter() of user/names.h): BPF keys every count on the
	 * name, so that agg can drop the rows of a name whose verdict came late
	 * (PA_VERDICT_PENDING in BPF); names__pass() says which.  NULL = no filter. */
	const struct names *filter;
	/*
	 * More counts to add to the counts map's (the per-CPU fast counters of
	 * -c --by event, names__fast_rows() of user/names.h): fills *rows
	 * (malloc'd, freed by agg) and *n.  NULL: none.
	 */
	int (*extra_counts)(void *ctx, struct agg_count **rows, size_t *n);
	void *extra_ctx;
	/* Wall-clock time = CLOCK_MONOTONIC ns + this (as in struct output_opts);
	 * 0 = agg__new() measures it. */
	int64_t mono_to_real_ns;
	int time_format;	/* as struct output_opts: 2 = RFC 3339 ("ts" a string) */
};

/*
 * Returns a new aggregator, or NULL with errno set: EINVAL if opts or opts->f
 * is NULL or a map's key or value size is not the ABI's, ENOMEM.
 */
struct agg *agg__new(const struct agg_opts *opts);
void agg__free(struct agg *a);				/* NULL is fine */

/*
 * Learns the name of a hash (from the event table, or a PA_REC_NAME record).
 * The first name learned for a hash stays.  Returns 0, or -EINVAL / -ENOMEM.
 */
int agg__add_name(struct agg *a, uint64_t hash, const char *name);

/*
 * Reads the maps and prints one table.  now_ns/start_ns are CLOCK_MONOTONIC;
 * final = 1 for the table at exit.  lost = events not counted (map full) since
 * start, as BPF counts them; a warning goes to stderr when it moved since the
 * previous table (the increase) and at exit when non-zero (the total).
 * Per interval (interval_s and not cumulative), each table shows what was
 * counted since the previous one, exactly (maps are never cleared: two
 * snapshots are subtracted); rows that did not change are left out.  Returns 0
 * or -errno (a map read or a write to opts->f failed).
 */
int agg__print(struct agg *a, uint64_t start_ns, uint64_t now_ns, int final, uint64_t lost);

/*
 * Every key counted since start (the counts map plus the extra counts, summed
 * per key), with its event name, the filter applied as for the tables:
 * fn(ctx, event, key, count) once per key with a non-zero count.  Key fields
 * not counted by (opts.by) are zero.  Reads the maps only: tables printed
 * before or after are not changed.  Returns 0 or -errno (a map read failed).
 */
int agg__each_count(struct agg *a,
		    void (*fn)(void *ctx, const char *event, const struct pa_count_key *key,
			       uint64_t count),
		    void *ctx);

/* ---- between agg.c and tests/unit/test_agg.c (not for other modules) ---- */

/* One map entry, as agg__print() reads it. */
struct agg_count {
	struct pa_count_key key;
	uint64_t count;
};

struct agg_hist {
	struct pa_hist_key key;
	uint64_t count;
};

/*
 * agg__print() without the maps: the snapshot is given (any order; a key seen
 * twice keeps its larger count).  The arrays are copied.
 */
int agg__print_snapshot(struct agg *a, const struct agg_count *counts, size_t ncounts,
			const struct agg_hist *hists, size_t nhists, uint64_t start_ns,
			uint64_t now_ns, int final, uint64_t lost);

#endif
