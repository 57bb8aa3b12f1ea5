// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * agg.c - count mode (-c): turns the BPF counts and hists maps into tables.
 *
 * It owns the hash -> event name table (fed by agg__add_name(), with the -e/-x
 * verdict of each name, asked of user/names.c, cached), the previous snapshot of each map (per-interval
 * tables subtract it: the maps are never cleared, so no event falls between a
 * read and a delete), and the text and JSON layouts described in agg.h.
 *
 * A snapshot goes through three steps: read (or given by a test), sorted by key
 * so that two snapshots subtract in one merge walk; projected onto the --by
 * columns (BPF keys every count on the name, so that late verdicts can still
 * drop it here) and merged; sorted for display and printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "agg.h"
#include "output.h"
#include "escape.h"
#include "jsonw.h"
#include "log.h"
#include "names.h"

#define BAR_WIDTH     40
#define EVENT_COL_MIN 20 /* the style guide's table: short names still line up */
#define HIST_SLOTS    64 /* floor(log2(us)) of a 64-bit value */
#define COMM_LEN      16
/* Escaped comm: at most 4 characters (\xNN) per byte. */
#define COMM_TEXT_MAX (COMM_LEN * 4 + 1)

_Static_assert(offsetof(struct agg_count, count) == sizeof(struct pa_count_key), "agg_count");
_Static_assert(offsetof(struct agg_hist, count) == sizeof(struct pa_hist_key), "agg_hist");
_Static_assert(sizeof(((struct pa_count_key *)0)->comm) == COMM_LEN, "comm");

struct name_ent {
	uint64_t hash;
	char *name;	/* as learned, or "<unknown 0x...>" */
	char *text;	/* name escaped for the text table */
	unsigned width; /* columns text takes */
	bool known;	/* learned through agg__add_name() */
	bool pass;	/* names__pass() of opts.filter (true for unknown names) */
};

/* One line of a count table, keyed on the --by columns only. */
struct row {
	uint64_t count;
	const struct name_ent *ne; /* NULL when EVENT is not a column */
	uint32_t pid, uid;
	char comm[COMM_LEN];
};

struct hrow {
	const struct name_ent *ne;
	uint32_t slot;
	uint64_t count;
};

enum table_kind { TABLE_INTERVAL, TABLE_CUMULATIVE, TABLE_TOTAL };

struct table {
	enum table_kind kind;
	unsigned interval_no; /* TABLE_INTERVAL: 1, 2, ... */
	uint64_t span_ns;
	int64_t wall_ns;
	uint64_t lost; /* not counted within span */
	uint64_t total;
	struct row *rows;
	size_t nrows;
	struct hrow *hrows;
	size_t nhrows;
};

struct agg {
	struct agg_opts opts;
	struct jsonw *w;
	/* open addressing on the hash; entries are allocated one by one so that
	 * rows can point at them while the table grows */
	struct name_ent **names;
	size_t names_cap, names_len;
	/* previous snapshot, sorted by key (per-interval mode) */
	struct agg_count *prev;
	size_t nprev;
	struct agg_hist *prev_h;
	size_t nprev_h;
	bool have_prev;
	uint64_t prev_ns;
	uint64_t prev_lost;
	unsigned intervals; /* per-interval tables printed */
	unsigned tables;    /* tables printed (text: blank line between them) */
	/* bound on map walks: a key seen again while BPF inserts cannot loop us */
	uint64_t counts_max, hists_max;
};

/* ---- names --------------------------------------------------------------- */

/* Columns an escaped string takes: escape_text() output is valid UTF-8. */
static unsigned text_width(const char *s)
{
	unsigned w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* escape_text() of n bytes into a new string, or NULL (ENOMEM). */
static char *escape_dup(const void *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	escape_text(m, s, n, 0);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A comm (up to 16 bytes, NUL-padded) escaped into buf; returns its width. */
static unsigned comm_text(const char *comm, char buf[COMM_TEXT_MAX])
{
	FILE *m;

	memset(buf, 0, COMM_TEXT_MAX);
	m = fmemopen(buf, COMM_TEXT_MAX, "w");
	if (!m) {
		strcpy(buf, "?");
		return 1;
	}
	escape_text(m, comm, strnlen(comm, COMM_LEN), 0);
	fclose(m);
	return text_width(buf);
}

static size_t name_slot(uint64_t hash, size_t cap)
{
	return (size_t)((hash ^ (hash >> 31)) * 0x9e3779b97f4a7c15ull >> 17) & (cap - 1);
}

static struct name_ent *name_find(const struct agg *a, uint64_t hash)
{
	size_t i;

	if (!a->names_cap)
		return NULL;
	for (i = name_slot(hash, a->names_cap); a->names[i]; i = (i + 1) & (a->names_cap - 1))
		if (a->names[i]->hash == hash)
			return a->names[i];
	return NULL;
}

static int name_insert(struct agg *a, struct name_ent *e)
{
	size_t i;

	if ((a->names_len + 1) * 2 > a->names_cap) {
		size_t cap = a->names_cap ? a->names_cap * 2 : 256, j;
		struct name_ent **t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (j = 0; j < a->names_cap; j++) {
			if (!a->names[j])
				continue;
			for (i = name_slot(a->names[j]->hash, cap); t[i]; i = (i + 1) & (cap - 1))
				;
			t[i] = a->names[j];
		}
		free(a->names);
		a->names = t;
		a->names_cap = cap;
	}
	for (i = name_slot(e->hash, a->names_cap); a->names[i]; i = (i + 1) & (a->names_cap - 1))
		;
	a->names[i] = e;
	a->names_len++;
	return 0;
}

static void name_free(struct name_ent *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->text);
	free(e);
}

/* Sets e's strings to a copy of name; false on ENOMEM (e unchanged). */
static bool name_set(struct name_ent *e, const char *name)
{
	char *n = strdup(name), *t = escape_dup(name, strlen(name));

	if (!n || !t) {
		free(n);
		free(t);
		return false;
	}
	free(e->name);
	free(e->text);
	e->name = n;
	e->text = t;
	e->width = text_width(t);
	return true;
}

int agg__add_name(struct agg *a, uint64_t hash, const char *name)
{
	struct name_ent *e;
	bool fresh = false;

	if (!a || !name)
		return -EINVAL;
	e = name_find(a, hash);
	if (e && e->known)
		return 0;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->hash = hash;
		fresh = true;
	}
	if (!name_set(e, name)) {
		if (fresh)
			free(e);
		return -ENOMEM;
	}
	e->known = true;
	e->pass = !a->opts.filter || names__pass(a->opts.filter, name);
	if (fresh && name_insert(a, e)) {
		name_free(e);
		return -ENOMEM;
	}
	return 0;
}

/* The entry of hash, made up as "<unknown 0x...>" if no name was learned; NULL on ENOMEM. */
static struct name_ent *name_get(struct agg *a, uint64_t hash)
{
	struct name_ent *e = name_find(a, hash);
	char buf[40];

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->hash = hash;
	e->pass = true;
	snprintf(buf, sizeof(buf), "<unknown 0x%016" PRIx64 ">", hash);
	if (!name_set(e, buf) || name_insert(a, e)) {
		name_free(e);
		return NULL;
	}
	return e;
}

/* ---- snapshots ------------------------------------------------------------- */

static int cmp_count_key(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct pa_count_key));
}

static int cmp_hist_key(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct pa_hist_key));
}

/*
 * Sorted copy of n elements of elem bytes (a key of key_size, then the __u64
 * count); a key seen twice (a map walk racing inserts) keeps the larger count.
 * Returns 0 or -ENOMEM; *out is NULL when n is 0.
 */
static int snapshot_copy(const void *src, size_t n, size_t elem, size_t key_size,
			 int (*cmp)(const void *, const void *), void **out, size_t *nout)
{
	unsigned char *d;
	size_t i, j;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	d = malloc(n * elem);
	if (!d)
		return -ENOMEM;
	memcpy(d, src, n * elem);
	qsort(d, n, elem, cmp);
	for (i = 1, j = 0; i < n; i++) {
		uint64_t *cj = (uint64_t *)(d + j * elem + key_size);
		const uint64_t *ci = (const uint64_t *)(d + i * elem + key_size);

		if (!cmp(d + j * elem, d + i * elem)) {
			if (*ci > *cj)
				*cj = *ci;
			continue;
		}
		if (++j != i)
			memcpy(d + j * elem, d + i * elem, elem);
	}
	*out = d;
	*nout = j + 1;
	return 0;
}

/*
 * Reads a map of key_size-byte keys and __u64 values into a growing array of
 * elem-byte elements.  Returns 0 or -errno.
 */
static int read_map(int fd, size_t key_size, size_t elem, uint64_t max, void **out, size_t *nout)
{
	unsigned char key[64], next[64], *buf = NULL;
	size_t n = 0, cap = 0;
	uint64_t walked = 0;
	bool first = true;
	int err;

	*out = NULL;
	*nout = 0;
	if (fd < 0)
		return 0;
	for (;;) {
		err = bpf_map_get_next_key(fd, first ? NULL : key, next);
		if (err) {
			err = errno ? -errno : err;
			if (err == -ENOENT)
				break;
			free(buf);
			return err;
		}
		first = false;
		memcpy(key, next, key_size);
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			unsigned char *t = realloc(buf, ncap * elem);

			if (!t) {
				free(buf);
				return -ENOMEM;
			}
			buf = t;
			cap = ncap;
		}
		if (!bpf_map_lookup_elem(fd, key, buf + n * elem + key_size)) {
			memcpy(buf + n * elem, key, key_size);
			n++;
		} else if (errno != ENOENT) {
			err = -errno;
			free(buf);
			return err;
		}
		if (++walked > max)
			break;
	}
	*out = buf;
	*nout = n;
	return 0;
}

/* cur - base for the entry cur points at; base walks along (both sorted). */
static uint64_t delta(const void *cur, const void *base, size_t nbase, size_t elem,
		      size_t key_size, size_t *j)
{
	const unsigned char *b = base;
	uint64_t v, old;
	int c = 1;

	memcpy(&v, (const unsigned char *)cur + key_size, sizeof(v));
	while (*j < nbase && (c = memcmp(b + *j * elem, cur, key_size)) < 0)
		(*j)++;
	if (*j >= nbase || c)
		return v;
	memcpy(&old, b + *j * elem + key_size, sizeof(old));
	/* maps only grow; a smaller value means a key that was deleted and made again */
	return v >= old ? v - old : v;
}

/* ---- building a table ------------------------------------------------------ */

static int cmp_row_key(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	uint64_t ha = a->ne ? a->ne->hash : 0, hb = b->ne ? b->ne->hash : 0;

	if (ha != hb)
		return ha < hb ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->uid != b->uid)
		return a->uid < b->uid ? -1 : 1;
	return memcmp(a->comm, b->comm, COMM_LEN);
}

static int cmp_row_show(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->ne && b->ne && a->ne != b->ne) {
		c = strcmp(a->ne->name, b->ne->name);
		if (c)
			return c;
	}
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	c = strncmp(a->comm, b->comm, COMM_LEN);
	if (c)
		return c;
	if (a->uid != b->uid)
		return a->uid < b->uid ? -1 : 1;
	return cmp_row_key(a, b);
}

static int cmp_hrow(const void *x, const void *y)
{
	const struct hrow *a = x, *b = y;
	int c;

	if (a->ne != b->ne) {
		c = strcmp(a->ne->name, b->ne->name);
		if (c)
			return c;
		return a->ne->hash < b->ne->hash ? -1 : 1;
	}
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	return 0;
}

/* Fills t->rows (and t->total) from cur, minus base when base is not NULL. */
static int build_rows(struct agg *a, struct table *t, const struct agg_count *cur, size_t n,
		      const struct agg_count *base, size_t nbase)
{
	unsigned by = a->opts.by;
	size_t i, j = 0, m = 0;
	struct row *rows;

	t->rows = NULL;
	t->nrows = 0;
	t->total = 0;
	if (!n)
		return 0;
	rows = calloc(n, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pa_count_key *k = &cur[i].key;
		uint64_t v = base ? delta(&cur[i], base, nbase, sizeof(*cur), sizeof(*k), &j)
				  : cur[i].count;
		const struct name_ent *ne = NULL;
		struct row *r;

		if (!v)
			continue;
		if (by & PA_BY_EVENT) {
			ne = name_get(a, k->name_hash);
			if (!ne) {
				free(rows);
				return -ENOMEM;
			}
		} else if (a->opts.filter) {
			/* BPF keys on the name anyway: the filter still applies */
			ne = name_find(a, k->name_hash);
		}
		if (ne && !ne->pass)
			continue;
		r = &rows[m++];
		r->count = v;
		r->ne = by & PA_BY_EVENT ? ne : NULL;
		r->pid = by & PA_BY_PID ? k->pid : 0;
		r->uid = by & PA_BY_UID ? k->uid : 0;
		if (by & PA_BY_COMM)
			memcpy(r->comm, k->comm, COMM_LEN);
	}
	/* keys that differ only in columns not shown become one row */
	qsort(rows, m, sizeof(*rows), cmp_row_key);
	for (i = 0, j = 0; i < m; i++) {
		if (j && !cmp_row_key(&rows[j - 1], &rows[i])) {
			rows[j - 1].count += rows[i].count;
			continue;
		}
		rows[j++] = rows[i];
	}
	for (i = 0; i < j; i++)
		t->total += rows[i].count;
	qsort(rows, j, sizeof(*rows), cmp_row_show);
	t->rows = rows;
	t->nrows = j;
	return 0;
}

static int build_hrows(struct agg *a, struct table *t, const struct agg_hist *cur, size_t n,
		       const struct agg_hist *base, size_t nbase)
{
	size_t i, j = 0, m = 0;
	struct hrow *rows;

	t->hrows = NULL;
	t->nhrows = 0;
	if (!n)
		return 0;
	rows = calloc(n, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pa_hist_key *k = &cur[i].key;
		uint64_t v = base ? delta(&cur[i], base, nbase, sizeof(*cur), sizeof(*k), &j)
				  : cur[i].count;
		const struct name_ent *ne;

		if (!v)
			continue;
		ne = name_get(a, k->name_hash);
		if (!ne) {
			free(rows);
			return -ENOMEM;
		}
		if (!ne->pass)
			continue;
		rows[m].ne = ne;
		rows[m].slot = k->slot < HIST_SLOTS ? k->slot : HIST_SLOTS - 1;
		rows[m].count = v;
		m++;
	}
	qsort(rows, m, sizeof(*rows), cmp_hrow);
	for (i = 0, j = 0; i < m; i++) {
		if (j && !cmp_hrow(&rows[j - 1], &rows[i])) {
			rows[j - 1].count += rows[i].count;
			continue;
		}
		rows[j++] = rows[i];
	}
	t->hrows = rows;
	t->nhrows = j;
	return 0;
}

/* ---- text ------------------------------------------------------------------ */

static unsigned digits(uint64_t v)
{
	unsigned d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static void pad(FILE *f, unsigned n)
{
	while (n--)
		putc_unlocked(' ', f);
}

/* |****   | of width columns, v scaled to max and rounded to the nearest star. */
static void bar(FILE *f, uint64_t v, uint64_t max, unsigned width)
{
	unsigned stars = 0;

	if (max)
		stars = (unsigned)(((unsigned __int128)(v < max ? v : max) * width + max / 2) /
				   max);
	putc_unlocked('|', f);
	for (unsigned i = 0; i < width; i++)
		putc_unlocked(i < stars ? '*' : ' ', f);
	putc_unlocked('|', f);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void text_title(struct agg *a, const struct table *t)
{
	FILE *f = a->opts.f;
	time_t secs = (time_t)(t->wall_ns / 1000000000);
	char when[RFC3339_MAX] = "??:??:??";
	double span = t->span_ns / 1e9;
	struct tm tm;

	if (a->opts.time_format == 2)
		format_rfc3339(t->wall_ns, when, sizeof(when));
	else if (a->opts.time_format == 1)
		format_epoch(t->wall_ns, when, sizeof(when));
	else if (localtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(f, "-- %s -- %" PRIu64 " %s in %.2f s", when, t->total,
		plural(t->total, "event", "events"), span);
	if (t->span_ns)
		fprintf(f, ", %.1f/s", t->total / span);
	switch (t->kind) {
	case TABLE_INTERVAL:
		fprintf(f, ", counts per interval (%u s)\n", a->opts.interval_s);
		break;
	case TABLE_CUMULATIVE:
		fputs(", cumulative since start\n", f);
		break;
	case TABLE_TOTAL:
		fputs(", total\n", f);
		break;
	}
}

static void text_hist(FILE *f, const struct hrow *h, size_t n)
{
	uint64_t vals[HIST_SLOTS] = { 0 }, max = 0;
	unsigned idx_max = 0, width, stars;
	size_t i;

	for (i = 0; i < n; i++) {
		vals[h[i].slot] = h[i].count;
		if (h[i].slot > idx_max)
			idx_max = h[i].slot;
		if (h[i].count > max)
			max = h[i].count;
	}
	/* bcc's print_log2_hist(): wider columns and half the stars past 2^32 us */
	width = idx_max <= 32 ? 10 : 20;
	stars = idx_max <= 32 ? BAR_WIDTH : BAR_WIDTH / 2;
	fprintf(f, "\nevent = %s\n", h[0].ne->text);
	fprintf(f, "%*s%-*s : count    distribution\n", idx_max <= 32 ? 5 : 15, "",
		idx_max <= 32 ? 19 : 29, "usecs");
	for (i = 0; i <= idx_max; i++) {
		uint64_t lo = i ? 1ull << i : 0;
		uint64_t hi = i + 1 < HIST_SLOTS ? (1ull << (i + 1)) - 1 : UINT64_MAX;

		fprintf(f, "%*" PRIu64 " -> %-*" PRIu64 " : %-8" PRIu64 " ", width, lo, width, hi,
			vals[i]);
		bar(f, vals[i], max, stars);
		putc_unlocked('\n', f);
	}
}

static void text_table(struct agg *a, const struct table *t)
{
	FILE *f = a->opts.f;
	unsigned by = a->opts.by;
	size_t shown = a->opts.top && a->opts.top < t->nrows ? a->opts.top : t->nrows;
	unsigned wpid = 3, wcomm = 4, wuid = 3, wev = EVENT_COL_MIN, wcount = 5;
	unsigned keys = 0, ncols = 0;
	unsigned *last = NULL;
	char comm[COMM_TEXT_MAX];
	uint64_t max = shown ? t->rows[0].count : 0, hidden = 0;
	size_t i, j;

	for (i = 0; i < shown; i++) {
		const struct row *r = &t->rows[i];
		unsigned w;

		if (digits(r->pid) > wpid)
			wpid = digits(r->pid);
		if (digits(r->uid) > wuid)
			wuid = digits(r->uid);
		if ((by & PA_BY_COMM) && (w = comm_text(r->comm, comm)) > wcomm)
			wcomm = w;
		if (r->ne && r->ne->width > wev)
			wev = r->ne->width;
		if (r->count > max)
			max = r->count;
	}
	if (digits(t->total) > wcount)
		wcount = digits(t->total);
	/* the key columns together hold "TOTAL": widen the last one if they are narrower */
	for (j = 0; j < 4; j++) {
		static const unsigned bits[4] = { PA_BY_PID, PA_BY_COMM, PA_BY_UID, PA_BY_EVENT };
		unsigned *cols[4] = { &wpid, &wcomm, &wuid, &wev };

		if (!(by & bits[j]))
			continue;
		keys += (ncols++ ? 1 : 0) + *cols[j];
		last = cols[j];
	}
	if (keys < 5) {
		*last += 5 - keys;
		keys = 5;
	}

	if (a->tables)
		putc_unlocked('\n', f);
	text_title(a, t);
	j = 0;
	if (by & PA_BY_PID)
		fprintf(f, "%s%*s", j++ ? " " : "", wpid, "PID");
	if (by & PA_BY_COMM)
		fprintf(f, "%s%-*s", j++ ? " " : "", wcomm, "COMM");
	if (by & PA_BY_UID)
		fprintf(f, "%s%*s", j++ ? " " : "", wuid, "UID");
	if (by & PA_BY_EVENT)
		fprintf(f, "%s%-*s", j++ ? " " : "", wev, "EVENT");
	fprintf(f, " %*s\n", wcount, "COUNT");

	for (i = 0; i < shown; i++) {
		const struct row *r = &t->rows[i];
		unsigned w;

		j = 0;
		if (by & PA_BY_PID)
			fprintf(f, "%s%*" PRIu32, j++ ? " " : "", wpid, r->pid);
		if (by & PA_BY_COMM) {
			w = comm_text(r->comm, comm);
			fprintf(f, "%s%s", j++ ? " " : "", comm);
			pad(f, wcomm - w);
		}
		if (by & PA_BY_UID)
			fprintf(f, "%s%*" PRIu32, j++ ? " " : "", wuid, r->uid);
		if (by & PA_BY_EVENT) {
			fprintf(f, "%s%s", j++ ? " " : "", r->ne->text);
			pad(f, wev - r->ne->width);
		}
		fprintf(f, " %*" PRIu64 " ", wcount, r->count);
		bar(f, r->count, max, BAR_WIDTH);
		putc_unlocked('\n', f);
	}
	if (shown < t->nrows) {
		for (i = shown; i < t->nrows; i++)
			hidden += t->rows[i].count;
		fprintf(f, "(+%zu more %s, %" PRIu64 " %s)\n", t->nrows - shown,
			plural(t->nrows - shown, "row", "rows"), hidden,
			plural(hidden, "event", "events"));
	}
	fprintf(f, "%-*s %*" PRIu64 "\n", keys, "TOTAL", wcount, t->total);

	for (i = 0; i < t->nhrows; i = j) {
		for (j = i + 1; j < t->nhrows && t->hrows[j].ne == t->hrows[i].ne; j++)
			;
		text_hist(f, &t->hrows[i], j - i);
	}
}

/* ---- JSON ------------------------------------------------------------------ */

/* {"ts": ..., "interval": ..., opened and left open. */
static void json_head(struct agg *a, const struct table *t)
{
	struct jsonw *w = a->w;
	char ts[48];

	jsonw_start_object(w);
	jsonw_key(w, "ts");
	if (a->opts.time_format == 2 && format_rfc3339(t->wall_ns, ts, sizeof(ts))) {
		jsonw_cstring(w, ts);
	} else if (t->wall_ns >= 0) {
		snprintf(ts, sizeof(ts), "%" PRId64 ".%06" PRId64, t->wall_ns / 1000000000,
			 t->wall_ns % 1000000000 / 1000);
		jsonw_raw(w, ts);
	} else {
		jsonw_double(w, t->wall_ns / 1e9);
	}
	jsonw_key(w, "interval");
	if (t->kind == TABLE_INTERVAL)
		jsonw_uint(w, t->interval_no);
	else
		jsonw_null(w);
}

static void json_hist(struct agg *a, const struct table *t, const struct hrow *h, size_t n)
{
	struct jsonw *w = a->w;
	unsigned idx_max = h[n - 1].slot, s;
	size_t i = 0;

	json_head(a, t);
	jsonw_key(w, "event");
	jsonw_cstring(w, h[0].ne->name);
	jsonw_key(w, "hist");
	jsonw_start_array(w);
	/* every slot up to the last used one, as the text histogram shows them */
	for (s = 0; s <= idx_max; s++) {
		uint64_t v = 0;

		if (i < n && h[i].slot == s)
			v = h[i++].count;
		jsonw_start_object(w);
		jsonw_key(w, "lo");
		jsonw_uint(w, s ? 1ull << s : 0);
		jsonw_key(w, "hi");
		jsonw_uint(w, s + 1 < HIST_SLOTS ? (1ull << (s + 1)) - 1 : UINT64_MAX);
		jsonw_key(w, "count");
		jsonw_uint(w, v);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_end_line(w);
}

static void json_table(struct agg *a, const struct table *t)
{
	struct jsonw *w = a->w;
	unsigned by = a->opts.by;
	size_t shown = a->opts.top && a->opts.top < t->nrows ? a->opts.top : t->nrows;
	uint64_t hidden = 0;
	size_t i, j;

	for (i = 0; i < shown; i++) {
		const struct row *r = &t->rows[i];

		json_head(a, t);
		if (by & PA_BY_PID) {
			jsonw_key(w, "pid");
			jsonw_uint(w, r->pid);
		}
		if (by & PA_BY_COMM) {
			jsonw_key(w, "comm");
			jsonw_string(w, r->comm, strnlen(r->comm, COMM_LEN));
			if (jsonw_unfit(r->comm, strnlen(r->comm, COMM_LEN), 0)) {
				jsonw_key(w, "comm_replaced");
				jsonw_replaced(w, r->comm, strnlen(r->comm, COMM_LEN), 0);
			}
		}
		if (by & PA_BY_UID) {
			jsonw_key(w, "uid");
			jsonw_uint(w, r->uid);
		}
		if (by & PA_BY_EVENT) {
			jsonw_key(w, "event");
			jsonw_cstring(w, r->ne->name);
		}
		jsonw_key(w, "count");
		jsonw_uint(w, r->count);
		jsonw_end_object(w);
		jsonw_end_line(w);
	}
	for (i = 0; i < t->nhrows; i = j) {
		for (j = i + 1; j < t->nhrows && t->hrows[j].ne == t->hrows[i].ne; j++)
			;
		json_hist(a, t, &t->hrows[i], j - i);
	}
	json_head(a, t);
	jsonw_key(w, "total");
	jsonw_uint(w, t->total);
	jsonw_key(w, "span_s");
	jsonw_double(w, t->span_ns / 1e9);
	jsonw_key(w, "rate");
	if (t->span_ns)
		jsonw_double(w, t->total / (t->span_ns / 1e9));
	else
		jsonw_null(w);
	if (shown < t->nrows) {
		for (i = shown; i < t->nrows; i++)
			hidden += t->rows[i].count;
		jsonw_key(w, "more_rows");
		jsonw_uint(w, t->nrows - shown);
		jsonw_key(w, "more_events");
		jsonw_uint(w, hidden);
	}
	if (t->lost) {
		jsonw_key(w, "lost");
		jsonw_uint(w, t->lost);
	}
	jsonw_end_object(w);
	jsonw_end_line(w);
}

/* ---- tables ---------------------------------------------------------------- */

/* Builds and prints one table of cur (minus base, if given). */
static int emit(struct agg *a, struct table *t, bool skip_empty, const struct agg_count *cur,
		size_t n, const struct agg_count *base, size_t nbase, const struct agg_hist *cur_h,
		size_t nh, const struct agg_hist *base_h, size_t nbase_h)
{
	int err;

	err = build_rows(a, t, cur, n, base, nbase);
	if (!err)
		err = build_hrows(a, t, cur_h, nh, base_h, nbase_h);
	if (!err && !(skip_empty && !t->nrows && !t->nhrows)) {
		if (t->kind == TABLE_INTERVAL)
			t->interval_no = ++a->intervals;
		if (a->opts.json)
			json_table(a, t);
		else
			text_table(a, t);
		a->tables++;
	}
	free(t->rows);
	free(t->hrows);
	return err;
}

int agg__print_snapshot(struct agg *a, const struct agg_count *counts, size_t ncounts,
			const struct agg_hist *hists, size_t nhists, uint64_t start_ns,
			uint64_t now_ns, int final, uint64_t lost)
{
	bool per_interval;
	int64_t wall;
	uint64_t lost_delta;
	struct agg_count *cur = NULL;
	struct agg_hist *cur_h = NULL;
	size_t n = 0, nh = 0;
	int err;

	if (!a || (ncounts && !counts) || (nhists && !hists))
		return -EINVAL;
	per_interval = a->opts.interval_s && !a->opts.cumulative;
	wall = (int64_t)now_ns + a->opts.mono_to_real_ns;
	lost_delta = lost > a->prev_lost ? lost - a->prev_lost : 0;

	err = snapshot_copy(counts, ncounts, sizeof(*counts), sizeof(counts->key), cmp_count_key,
			    (void **)&cur, &n);
	if (!err && a->opts.hist)
		err = snapshot_copy(hists, nhists, sizeof(*hists), sizeof(hists->key),
				    cmp_hist_key, (void **)&cur_h, &nh);
	if (err)
		goto out;

	if (per_interval) {
		uint64_t since = a->have_prev ? a->prev_ns : start_ns;
		struct table t = {
			.kind = TABLE_INTERVAL,
			.span_ns = now_ns > since ? now_ns - since : 0,
			.wall_ns = wall,
			.lost = lost_delta,
		};

		/*
		 * At exit, the last (partial) interval only if it counted anything,
		 * and not at all before the first tick: the total says the same.
		 */
		if (!final || a->intervals)
			err = emit(a, &t, final, cur, n, a->prev, a->nprev, cur_h, nh, a->prev_h,
				   a->nprev_h);
		free(a->prev);
		free(a->prev_h);
		a->prev = cur;
		a->nprev = n;
		a->prev_h = cur_h;
		a->nprev_h = nh;
		cur = NULL;
		cur_h = NULL;
		a->have_prev = true;
		a->prev_ns = now_ns;
		if (err)
			goto out;
	}
	if (!per_interval || final) {
		struct table t = {
			.kind = final ? TABLE_TOTAL : TABLE_CUMULATIVE,
			.span_ns = now_ns > start_ns ? now_ns - start_ns : 0,
			.wall_ns = wall,
			.lost = lost,
		};

		if (per_interval)
			err = emit(a, &t, false, a->prev, a->nprev, NULL, 0, a->prev_h, a->nprev_h,
				   NULL, 0);
		else
			err = emit(a, &t, false, cur, n, NULL, 0, cur_h, nh, NULL, 0);
		if (err)
			goto out;
	}
	if (lost_delta || (final && lost)) {
		uint64_t nl = final ? lost : lost_delta;

		/* after the table, so that a terminal shows them in order */
		fflush(a->opts.f);
		pa_warn("%" PRIu64 " %s not counted (counts map full); raise --max-keys", nl,
			plural(nl, "event", "events"));
	}
	a->prev_lost = lost;
out:
	free(cur);
	free(cur_h);
	if (!err && ferror(a->opts.f))
		err = errno ? -errno : -EIO;
	return err;
}

/*
 * Adds the extra counts (another BPF map's) to the counts map's, summing the
 * counts of equal keys: one event name may be counted in both places.
 */
static int merge_extra(struct agg *a, struct agg_count **counts, size_t *n)
{
	struct agg_count *extra = NULL, *base = NULL, *out;
	size_t ne = 0, nb = 0, i, k;
	int err;

	err = a->opts.extra_counts(a->opts.extra_ctx, &extra, &ne);
	if (err)
		return err;
	err = snapshot_copy(*counts, *n, sizeof(**counts), sizeof((*counts)->key), cmp_count_key,
			    (void **)&base, &nb);
	if (err) {
		free(extra);
		return err;
	}
	out = realloc(base, (nb + ne + 1) * sizeof(*out));
	if (!out) {
		free(base);
		free(extra);
		return -ENOMEM;
	}
	/* extras have keys of their own (one per name); they are added after the sorted ones */
	k = nb;
	for (i = 0; i < ne; i++) {
		struct agg_count *hit = nb ? bsearch(&extra[i], out, nb, sizeof(*out),
						     cmp_count_key) : NULL;

		if (hit)
			hit->count += extra[i].count;
		else if (extra[i].count)
			out[k++] = extra[i];
	}
	nb = k;
	free(extra);
	free(*counts);
	*counts = out;
	*n = nb;
	return 0;
}

int agg__print(struct agg *a, uint64_t start_ns, uint64_t now_ns, int final, uint64_t lost)
{
	struct agg_count *counts = NULL;
	struct agg_hist *hists = NULL;
	size_t n = 0, nh = 0;
	int err;

	if (!a)
		return -EINVAL;
	err = read_map(a->opts.counts_fd, sizeof(counts->key), sizeof(*counts), a->counts_max,
		       (void **)&counts, &n);
	if (err) {
		pa_err("reading the counts map: %s", strerror(-err));
		return err;
	}
	if (a->opts.hist) {
		err = read_map(a->opts.hists_fd, sizeof(hists->key), sizeof(*hists), a->hists_max,
			       (void **)&hists, &nh);
		if (err) {
			pa_err("reading the hists map: %s", strerror(-err));
			free(counts);
			return err;
		}
	}
	if (a->opts.extra_counts) {
		err = merge_extra(a, &counts, &n);
		if (err) {
			pa_err("reading the fast counters: %s", strerror(-err));
			free(counts);
			free(hists);
			return err;
		}
	}
	err = agg__print_snapshot(a, counts, n, hists, nh, start_ns, now_ns, final, lost);
	free(counts);
	free(hists);
	return err;
}

int agg__each_count(struct agg *a,
		    void (*fn)(void *ctx, const char *event, const struct pa_count_key *key,
			       uint64_t count),
		    void *ctx)
{
	struct agg_count *counts = NULL;
	size_t n = 0, i;
	int err;

	err = read_map(a->opts.counts_fd, sizeof(counts->key), sizeof(*counts), a->counts_max,
		       (void **)&counts, &n);
	if (!err && a->opts.extra_counts)
		err = merge_extra(a, &counts, &n);
	for (i = 0; !err && i < n; i++) {
		const struct name_ent *ne;

		if (!counts[i].count)
			continue;
		ne = name_get(a, counts[i].key.name_hash);
		if (!ne) {
			err = -ENOMEM;
			break;
		}
		if (ne->pass)
			fn(ctx, ne->name, &counts[i].key, counts[i].count);
	}
	free(counts);
	return err;
}

/* ---- life cycle ------------------------------------------------------------ */

/*
 * Checks that fd is a map with the ABI's key and __u64 values, and bounds a walk
 * of it.  A map whose info cannot be read is trusted (the walk then stops at
 * 2^24 keys, the --max-keys limit).
 */
static int check_map(int fd, size_t key_size, uint64_t *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	*max = 4ull << 24;
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		pa_dbg("count mode: map info: %s", strerror(errno));
		return 0;
	}
	if (info.key_size != key_size || info.value_size != sizeof(uint64_t))
		return -EINVAL;
	*max = 4ull * info.max_entries + 64;
	return 0;
}

struct agg *agg__new(const struct agg_opts *opts)
{
	struct timespec m, r;
	struct agg *a;
	int err;

	if (!opts || !opts->f) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->opts = *opts;
	a->opts.by &= PA_BY_EVENT | PA_BY_PID | PA_BY_COMM | PA_BY_UID;
	if (!a->opts.by)
		a->opts.by = PA_BY_EVENT;
	err = check_map(opts->counts_fd, sizeof(struct pa_count_key), &a->counts_max);
	if (!err && opts->hist)
		err = check_map(opts->hists_fd, sizeof(struct pa_hist_key), &a->hists_max);
	if (err) {
		pa_err("count mode: a map does not have the layout of include/pyaudit.h");
		free(a);
		errno = -err;
		return NULL;
	}
	if (opts->json) {
		a->w = jsonw__new(opts->f);
		if (!a->w) {
			free(a);
			return NULL;
		}
	}
	if (!a->opts.mono_to_real_ns) {
		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &r);
		a->opts.mono_to_real_ns =
			(r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);
	}
	return a;
}

void agg__free(struct agg *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->names_cap; i++)
		name_free(a->names[i]);
	free(a->names);
	free(a->prev);
	free(a->prev_h);
	jsonw__free(a->w);
	free(a);
}
