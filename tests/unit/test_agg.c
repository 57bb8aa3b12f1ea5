// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_agg.c - count mode without BPF maps: snapshots go in through
 * agg__print_snapshot() and the tables come out of a memory stream, compared
 * byte for byte.  Covers the sort order (count, then name, then pid ...), bar
 * scaling, --top, per-interval deltas and the partial last interval, cumulative
 * and total titles, --by projection, the late -e/-x filter, unknown hashes,
 * --hist (text and JSON), JSON Lines validity, hostile comms and names, and the
 * lost-events warning on stderr.  The late filter is user/names.c's (the one
 * place -e/-x is decided), as the tracer hands it over.
 *
 * Built by the Makefile against the library objects.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "cli.h"
#include "names.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------------ */

#define SEC	 1000000000ull
#define START_NS (1 * SEC)
/* wall clock at mono 11 s: 1700000000.5 = 22:13:20 UTC */
#define M2R ((int64_t)1700000000 * (int64_t)SEC + 500000000 - (int64_t)(11 * SEC))

static uint64_t fnv(const char *s)
{
	uint64_t h = PA_FNV_OFFSET;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= PA_FNV_PRIME;
	}
	return h;
}

static struct agg_count C(const char *name, uint32_t pid, uint32_t uid, const char *comm,
			  uint64_t n)
{
	struct agg_count c;

	memset(&c, 0, sizeof(c));
	c.key.name_hash = fnv(name);
	c.key.pid = pid;
	c.key.uid = uid;
	if (comm)
		memcpy(c.key.comm, comm, strnlen(comm, sizeof(c.key.comm)));
	c.count = n;
	return c;
}

static struct agg_hist H(const char *name, uint32_t slot, uint64_t n)
{
	struct agg_hist h;

	memset(&h, 0, sizeof(h));
	h.key.name_hash = fnv(name);
	h.key.slot = slot;
	h.count = n;
	return h;
}

/* An aggregator writing into a memory stream; take() returns what is new. */
struct cap {
	char *buf;
	size_t len, off;
	FILE *f;
	struct agg *a;
	char *last;
};

static bool cap_open(struct cap *c, struct agg_opts *o)
{
	static const char *const names[] = { "open", "import", "exec", "a.b", "os.system" };
	size_t i;

	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f)
		return false;
	o->f = c->f;
	o->counts_fd = -1;
	o->hists_fd = -1;
	o->mono_to_real_ns = M2R;
	c->a = agg__new(o);
	if (!c->a)
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		agg__add_name(c->a, fnv(names[i]), names[i]);
	return true;
}

static const char *take(struct cap *c)
{
	fflush(c->f);
	free(c->last);
	c->last = strndup(c->buf + c->off, c->len - c->off);
	c->off = c->len;
	return c->last;
}

static void cap_close(struct cap *c)
{
	agg__free(c->a);
	if (c->f)
		fclose(c->f);
	free(c->buf);
	free(c->last);
}

static int snap(struct cap *c, const struct agg_count *v, size_t n, uint64_t now, int final,
		uint64_t lost)
{
	return agg__print_snapshot(c->a, v, n, NULL, 0, START_NS, now, final, lost);
}

#define N(arr)  (sizeof(arr) / sizeof((arr)[0]))
#define STARS40 "****************************************"
#define BLANK40 "                                        "

/* ---- tests -------------------------------------------------------------------- */

/* The table of docs/style.md, to the byte. */
static void test_style_example(void)
{
	struct agg_opts o = { .by = BY_EVENT };
	struct agg_count v[] = { C("import", 0, 0, NULL, 301), C("open", 0, 0, NULL, 812) };
	struct cap c;

	if (!ASSERT_TRUE("style:open", cap_open(&c, &o)))
		return;
	ASSERT_INT("style:ret", snap(&c, v, N(v), 11 * SEC, 1, 0), 0);
	ASSERT_STR("style:table", take(&c),
		   "-- 22:13:20 -- 1113 events in 10.00 s, 111.3/s, total\n"
		   "EVENT                COUNT\n"
		   "open                   812 |****************************************|\n"
		   "import                 301 |***************                         |\n"
		   "TOTAL                 1113\n");
	cap_close(&c);
}

/* Count descending, then name in byte order; an unknown hash still shows; bars round. */
static void test_sort_and_bars(void)
{
	struct agg_opts o = { .by = BY_EVENT };
	struct agg_count v[] = {
		C("a.b", 0, 0, NULL, 1),  C("open", 0, 0, NULL, 5), C("exec", 0, 0, NULL, 9),
		C("import", 0, 0, NULL, 5),
	};
	struct agg_count u = { .key = { .name_hash = 0xdead }, .count = 5 };
	struct agg_count all[N(v) + 1];
	struct cap c;

	memcpy(all, v, sizeof(v));
	all[N(v)] = u;
	if (!ASSERT_TRUE("sort:open", cap_open(&c, &o)))
		return;
	ASSERT_INT("sort:ret", snap(&c, all, N(all), 11 * SEC, 1, 0), 0);
	ASSERT_STR("sort:table", take(&c),
		   "-- 22:13:20 -- 25 events in 10.00 s, 2.5/s, total\n"
		   "EVENT                        COUNT\n"
		   "exec                             9 |****************************************|\n"
		   "<unknown 0x000000000000dead>     5 |**********************                  |\n"
		   "import                           5 |**********************                  |\n"
		   "open                             5 |**********************                  |\n"
		   "a.b                              1 |****                                    |\n"
		   "TOTAL                           25\n");
	cap_close(&c);
}

/* Round to the nearest star: 3 of 80 is 1.5 -> 2, 1 of 80 is 0.5 -> 1, 1 of 81 -> 0. */
static void test_bar_rounding(void)
{
	struct agg_opts o = { .by = BY_EVENT };
	struct agg_count v[] = { C("open", 0, 0, NULL, 80), C("exec", 0, 0, NULL, 3),
				 C("import", 0, 0, NULL, 1) };
	struct agg_count w[] = { C("open", 0, 0, NULL, 81), C("import", 0, 0, NULL, 1) };
	struct cap c;

	if (!ASSERT_TRUE("bars:open", cap_open(&c, &o)))
		return;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_STR("bars:80", take(&c),
		   "-- 22:13:20 -- 84 events in 10.00 s, 8.4/s, total\n"
		   "EVENT                COUNT\n"
		   "open                    80 |****************************************|\n"
		   "exec                     3 |**                                      |\n"
		   "import                   1 |*                                       |\n"
		   "TOTAL                   84\n");
	cap_close(&c);
	if (!ASSERT_TRUE("bars:open2", cap_open(&c, &o)))
		return;
	snap(&c, w, N(w), 11 * SEC, 1, 0);
	ASSERT_STR("bars:81", take(&c),
		   "-- 22:13:20 -- 82 events in 10.00 s, 8.2/s, total\n"
		   "EVENT                COUNT\n"
		   "open                    81 |****************************************|\n"
		   "import                   1 |                                        |\n"
		   "TOTAL                   82\n");
	cap_close(&c);
}

/* --top: N rows, then what was left out, then the total of everything. */
static void test_top(void)
{
	struct agg_opts o = { .by = BY_EVENT, .top = 2 };
	struct agg_count v[] = {
		C("a.b", 0, 0, NULL, 1),  C("open", 0, 0, NULL, 5), C("exec", 0, 0, NULL, 9),
		C("import", 0, 0, NULL, 4),
	};
	struct cap c;

	if (!ASSERT_TRUE("top:open", cap_open(&c, &o)))
		return;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_STR("top:table", take(&c),
		   "-- 22:13:20 -- 19 events in 10.00 s, 1.9/s, total\n"
		   "EVENT                COUNT\n"
		   "exec                     9 |****************************************|\n"
		   "open                     5 |**********************                  |\n"
		   "(+2 more rows, 5 events)\n"
		   "TOTAL                   19\n");
	cap_close(&c);

	o.top = 3;
	if (!ASSERT_TRUE("top:open1", cap_open(&c, &o)))
		return;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_TRUE("top:one", strstr(take(&c), "\n(+1 more row, 1 event)\nTOTAL") != NULL);
	cap_close(&c);

	o.top = 4; /* exactly as many rows as there are: no line */
	if (!ASSERT_TRUE("top:open4", cap_open(&c, &o)))
		return;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_TRUE("top:none", strstr(take(&c), "more row") == NULL);
	cap_close(&c);
}

/* -i 1: each table shows what changed; unchanged rows are left out; exit shows the total. */
static void test_interval_deltas(void)
{
	struct agg_opts o = { .by = BY_EVENT, .interval_s = 1 };
	struct agg_count s1[] = { C("open", 0, 0, NULL, 10), C("import", 0, 0, NULL, 3) };
	/* any order, and a key seen twice by a racing walk keeps its larger count */
	struct agg_count s2[] = { C("exec", 0, 0, NULL, 2), C("import", 0, 0, NULL, 3),
				  C("open", 0, 0, NULL, 14), C("open", 0, 0, NULL, 15) };
	struct agg_count s3[] = { C("exec", 0, 0, NULL, 2), C("import", 0, 0, NULL, 3),
				  C("open", 0, 0, NULL, 16) };
	struct cap c;

	if (!ASSERT_TRUE("ival:open", cap_open(&c, &o)))
		return;
	ASSERT_INT("ival:ret1", snap(&c, s1, N(s1), 11 * SEC, 0, 0), 0);
	ASSERT_STR("ival:1", take(&c),
		   "-- 22:13:20 -- 13 events in 10.00 s, 1.3/s, counts per interval (1 s)\n"
		   "EVENT                COUNT\n"
		   "open                    10 |****************************************|\n"
		   "import                   3 |************                            |\n"
		   "TOTAL                   13\n");
	ASSERT_INT("ival:ret2", snap(&c, s2, N(s2), 12 * SEC, 0, 0), 0);
	ASSERT_STR("ival:2", take(&c),
		   "\n"
		   "-- 22:13:21 -- 7 events in 1.00 s, 7.0/s, counts per interval (1 s)\n"
		   "EVENT                COUNT\n"
		   "open                     5 |****************************************|\n"
		   "exec                     2 |****************                        |\n"
		   "TOTAL                    7\n");
	/* nothing new: an empty interval still prints (time goes on) */
	snap(&c, s2, N(s2), 13 * SEC, 0, 0);
	ASSERT_STR("ival:empty", take(&c),
		   "\n"
		   "-- 22:13:22 -- 0 events in 1.00 s, 0.0/s, counts per interval (1 s)\n"
		   "EVENT                COUNT\n"
		   "TOTAL                    0\n");
	/* exit: the partial interval (it counted one), then the total */
	snap(&c, s3, N(s3), 13 * SEC + SEC / 2, 1, 0);
	ASSERT_STR("ival:final", take(&c),
		   "\n"
		   "-- 22:13:23 -- 1 event in 0.50 s, 2.0/s, counts per interval (1 s)\n"
		   "EVENT                COUNT\n"
		   "open                     1 |****************************************|\n"
		   "TOTAL                    1\n"
		   "\n"
		   "-- 22:13:23 -- 21 events in 12.50 s, 1.7/s, total\n"
		   "EVENT                COUNT\n"
		   "open                    16 |****************************************|\n"
		   "import                   3 |********                                |\n"
		   "exec                     2 |*****                                   |\n"
		   "TOTAL                   21\n");
	cap_close(&c);

	/* exit right after a tick: the empty partial interval is not shown */
	if (!ASSERT_TRUE("ival:open2", cap_open(&c, &o)))
		return;
	snap(&c, s1, N(s1), 11 * SEC, 0, 0);
	take(&c);
	snap(&c, s1, N(s1), 11 * SEC + 1000, 1, 0);
	ASSERT_STR("ival:no-partial", take(&c),
		   "\n"
		   "-- 22:13:20 -- 13 events in 10.00 s, 1.3/s, total\n"
		   "EVENT                COUNT\n"
		   "open                    10 |****************************************|\n"
		   "import                   3 |************                            |\n"
		   "TOTAL                   13\n");
	cap_close(&c);

	/* exit before the first tick: only the total */
	if (!ASSERT_TRUE("ival:open3", cap_open(&c, &o)))
		return;
	snap(&c, s1, N(s1), 11 * SEC, 1, 0);
	ASSERT_TRUE("ival:total-only", strstr(take(&c), "per interval") == NULL);
	cap_close(&c);
}

/* --cumulative: totals since start at each tick, "total" at exit. */
static void test_cumulative(void)
{
	struct agg_opts o = { .by = BY_EVENT, .interval_s = 2, .cumulative = 1 };
	struct agg_count s1[] = { C("open", 0, 0, NULL, 10) };
	struct agg_count s2[] = { C("open", 0, 0, NULL, 12) };
	struct cap c;

	if (!ASSERT_TRUE("cum:open", cap_open(&c, &o)))
		return;
	snap(&c, s1, N(s1), 11 * SEC, 0, 0);
	snap(&c, s2, N(s2), 13 * SEC, 1, 0);
	ASSERT_STR("cum:tables", take(&c),
		   "-- 22:13:20 -- 10 events in 10.00 s, 1.0/s, cumulative since start\n"
		   "EVENT                COUNT\n"
		   "open                    10 |****************************************|\n"
		   "TOTAL                   10\n"
		   "\n"
		   "-- 22:13:22 -- 12 events in 12.00 s, 1.0/s, total\n"
		   "EVENT                COUNT\n"
		   "open                    12 |****************************************|\n"
		   "TOTAL                   12\n");
	cap_close(&c);
}

/* --by pid: keys that differ only in the name become one row; ties sort by pid. */
static void test_by_pid(void)
{
	struct agg_opts o = { .by = BY_PID };
	struct agg_count v[] = { C("open", 4242, 0, NULL, 3), C("exec", 4242, 0, NULL, 4),
				 C("open", 17, 0, NULL, 7), C("open", 1234567, 0, NULL, 1) };
	struct cap c;

	if (!ASSERT_TRUE("bypid:open", cap_open(&c, &o)))
		return;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_STR("bypid:table", take(&c),
		   "-- 22:13:20 -- 15 events in 10.00 s, 1.5/s, total\n"
		   "    PID COUNT\n"
		   "     17     7 |****************************************|\n"
		   "   4242     7 |****************************************|\n"
		   "1234567     1 |******                                  |\n"
		   "TOTAL      15\n");
	cap_close(&c);

	/* narrow key columns still hold "TOTAL" */
	if (!ASSERT_TRUE("bypid:open2", cap_open(&c, &o)))
		return;
	snap(&c, v + 2, 1, 11 * SEC, 1, 0);
	ASSERT_STR("bypid:narrow", take(&c),
		   "-- 22:13:20 -- 7 events in 10.00 s, 0.7/s, total\n"
		   "  PID COUNT\n"
		   "   17     7 |****************************************|\n"
		   "TOTAL     7\n");
	cap_close(&c);
}

/* Columns in the order PID COMM UID EVENT; a hostile comm is escaped and sized as shown. */
static void test_columns_and_hostile_comm(void)
{
	struct agg_opts o = { .by = BY_EVENT | BY_PID | BY_COMM | BY_UID };
	/* ESC ] title BEL, an invalid byte, and 16 bytes with no NUL */
	struct agg_count v[] = { C("open", 4242, 1000, "\x1b]0;pwn\x07\xff", 2),
				 C("exec", 99, 0, "python3", 2),
				 C("open", 7, 0, "0123456789abcdef", 1) };
	struct cap c;

	if (!ASSERT_TRUE("cols:open", cap_open(&c, &o)))
		return;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_STR("cols:table", take(&c),
		   "-- 22:13:20 -- 5 events in 10.00 s, 0.5/s, total\n"
		   " PID COMM                UID EVENT                COUNT\n"
		   "  99 python3               0 exec                     2 "
		   "|****************************************|\n"
		   "4242 \\x1b]0;pwn\\x07\\xff 1000 open                     2 "
		   "|****************************************|\n"
		   "   7 0123456789abcdef      0 open                     1 "
		   "|********************                    |\n"
		   "TOTAL                                                 5\n");
	cap_close(&c);
}

/* A hostile event name (Python code can raise any) is escaped, in text and JSON. */
static void test_hostile_name(void)
{
	struct agg_opts o = { .by = BY_EVENT };
	const char *evil = "x\n\x1b[2J\tz";
	struct agg_count v = C(evil, 0, 0, NULL, 1);
	struct cap c;

	if (!ASSERT_TRUE("hname:open", cap_open(&c, &o)))
		return;
	agg__add_name(c.a, fnv(evil), evil);
	snap(&c, &v, 1, 11 * SEC, 1, 0);
	ASSERT_STR("hname:text", take(&c),
		   "-- 22:13:20 -- 1 event in 10.00 s, 0.1/s, total\n"
		   "EVENT                COUNT\n"
		   "x\\n\\x1b[2J\\tz            1 |****************************************|\n"
		   "TOTAL                    1\n");
	cap_close(&c);

	o.json = 1;
	if (!ASSERT_TRUE("hname:open-json", cap_open(&c, &o)))
		return;
	agg__add_name(c.a, fnv(evil), evil);
	snap(&c, &v, 1, 11 * SEC, 1, 0);
	ASSERT_STR("hname:json", take(&c),
		   "{\"ts\": 1700000000.500000, \"interval\": null, "
		   "\"event\": \"x\\u000a\\u001b[2J\\u0009z\", \"count\": 1}\n"
		   "{\"ts\": 1700000000.500000, \"interval\": null, \"total\": 1, "
		   "\"span_s\": 10.0, \"rate\": 0.1}\n");
	cap_close(&c);
}

/* Each JSON line parses (strictly here, and with Python's json when it is installed). */
static bool json_lines_valid(const char *name, const char *s)
{
	const char *p = s, *nl;
	bool ok = true;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			ok &= ASSERT_TRUE(unit_name("%s:newline", name), false);
			break;
		}
		ok &= ASSERT_TRUE(unit_name("%s:line", name), unit_json_valid(p, nl - p));
	}
	return ok;
}

static void python_check(const char *name, const char *s)
{
	char path[] = "/tmp/test_agg.XXXXXX";
	int fd = mkstemp(path);
	bool ran, ok;

	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	ok = unit_python_json_lines(path, &ran);
	if (ran)
		ASSERT_TRUE(unit_name("%s:python", name), ok);
	unlink(path);
}

static void test_json_rows(void)
{
	struct agg_opts o = { .by = BY_EVENT | BY_PID | BY_COMM | BY_UID, .json = 1,
			      .interval_s = 5, .top = 1 };
	struct agg_count s1[] = { C("open", 4242, 1000, "\x1b[31m\"x\\\n\xff", 3),
				  C("exec", 1, 0, "init", 1) };
	struct agg_count s2[] = { C("open", 4242, 1000, "\x1b[31m\"x\\\n\xff", 5),
				  C("exec", 1, 0, "init", 1) };
	const char *out;
	struct cap c;

	if (!ASSERT_TRUE("json:open", cap_open(&c, &o)))
		return;
	snap(&c, s1, N(s1), 11 * SEC, 0, 0);
	out = take(&c);
	ASSERT_STR("json:interval1", out,
		   "{\"ts\": 1700000000.500000, \"interval\": 1, \"pid\": 4242, "
		   "\"comm\": \"\\u001b[31m\\\"x\\\\\\u000a\\ufffd\", \"comm_replaced\": [[9, 255]], \"uid\": 1000, "
		   "\"event\": \"open\", \"count\": 3}\n"
		   "{\"ts\": 1700000000.500000, \"interval\": 1, \"total\": 4, \"span_s\": 10.0, "
		   "\"rate\": 0.4, \"more_rows\": 1, \"more_events\": 1}\n");
	json_lines_valid("json:1", out);
	python_check("json:1", out);

	snap(&c, s2, N(s2), 12 * SEC + 250000000, 1, 0);
	out = take(&c);
	ASSERT_STR("json:final", out,
		   "{\"ts\": 1700000001.750000, \"interval\": 2, \"pid\": 4242, "
		   "\"comm\": \"\\u001b[31m\\\"x\\\\\\u000a\\ufffd\", \"comm_replaced\": [[9, 255]], \"uid\": 1000, "
		   "\"event\": \"open\", \"count\": 2}\n"
		   "{\"ts\": 1700000001.750000, \"interval\": 2, \"total\": 2, \"span_s\": 1.25, "
		   "\"rate\": 1.6}\n"
		   "{\"ts\": 1700000001.750000, \"interval\": null, \"pid\": 4242, "
		   "\"comm\": \"\\u001b[31m\\\"x\\\\\\u000a\\ufffd\", \"comm_replaced\": [[9, 255]], \"uid\": 1000, "
		   "\"event\": \"open\", \"count\": 5}\n"
		   "{\"ts\": 1700000001.750000, \"interval\": null, \"total\": 6, "
		   "\"span_s\": 11.25, \"rate\": 0.5333333333333333, \"more_rows\": 1, "
		   "\"more_events\": 1}\n");
	json_lines_valid("json:2", out);
	python_check("json:2", out);
	cap_close(&c);

	/* an empty span has no rate */
	o.interval_s = 0;
	o.top = 0;
	if (!ASSERT_TRUE("json:open0", cap_open(&c, &o)))
		return;
	snap(&c, NULL, 0, START_NS, 1, 0);
	ASSERT_STR("json:empty", take(&c),
		   "{\"ts\": 1699999990.500000, \"interval\": null, \"total\": 0, \"span_s\": 0.0, "
		   "\"rate\": null}\n");
	cap_close(&c);
}

/* A name pending a verdict in BPF is counted there; its rows go when the filter says no. */
static void test_filter(void)
{
	static const char *const exclude[] = { "import" };
	struct names *flt = names__new(NULL, 0, exclude, 1);
	struct agg_opts o = { .by = BY_EVENT, .hist = 1, .filter = flt ? names__filter(flt) : NULL };
	struct agg_count v[] = { C("open", 0, 0, NULL, 4), C("import", 0, 0, NULL, 9) };
	struct agg_hist h[] = { H("import", 0, 8), H("open", 1, 3) };
	struct cap c;

	if (!ASSERT_TRUE("filter:new", flt != NULL) ||
	    !ASSERT_TRUE("filter:open", cap_open(&c, &o)))
		goto out;
	ASSERT_INT("filter:ret", agg__print_snapshot(c.a, v, N(v), h, N(h), START_NS, 11 * SEC, 1,
						     0),
		   0);
	ASSERT_STR("filter:table", take(&c),
		   "-- 22:13:20 -- 4 events in 10.00 s, 0.4/s, total\n"
		   "EVENT                COUNT\n"
		   "open                     4 |****************************************|\n"
		   "TOTAL                    4\n"
		   "\n"
		   "event = open\n"
		   "     usecs               : count    distribution\n"
		   "         0 -> 1          : 0        |" BLANK40 "|\n"
		   "         2 -> 3          : 3        |" STARS40 "|\n");
	cap_close(&c);

	/* not in the key, the name still decides */
	o.by = BY_PID;
	o.hist = 0;
	if (!ASSERT_TRUE("filter:open2", cap_open(&c, &o)))
		goto out;
	v[0].key.pid = v[1].key.pid = 5;
	snap(&c, v, N(v), 11 * SEC, 1, 0);
	ASSERT_TRUE("filter:bypid", strstr(take(&c), "\n    5     4 |") != NULL);
	cap_close(&c);
out:
	names__free(flt);
}

/* bcc's print_log2_hist() layout, one histogram per name in name order; and its JSON. */
static void test_hist(void)
{
	struct agg_opts o = { .by = BY_EVENT, .hist = 1 };
	struct agg_count v[] = { C("open", 0, 0, NULL, 124), C("exec", 0, 0, NULL, 2) };
	struct agg_hist h[] = { H("open", 0, 120), H("open", 1, 3), H("exec", 3, 1),
				H("open", 4, 1) };
	struct agg_hist big[] = { H("open", 40, 2), H("open", 0, 1) };
	const char *out;
	struct cap c;

	if (!ASSERT_TRUE("hist:open", cap_open(&c, &o)))
		return;
	agg__print_snapshot(c.a, v, N(v), h, N(h), START_NS, 11 * SEC, 1, 0);
	ASSERT_STR("hist:text", take(&c),
		   "-- 22:13:20 -- 126 events in 10.00 s, 12.6/s, total\n"
		   "EVENT                COUNT\n"
		   "open                   124 |****************************************|\n"
		   "exec                     2 |*                                       |\n"
		   "TOTAL                  126\n"
		   "\n"
		   "event = exec\n"
		   "     usecs               : count    distribution\n"
		   "         0 -> 1          : 0        |" BLANK40 "|\n"
		   "         2 -> 3          : 0        |" BLANK40 "|\n"
		   "         4 -> 7          : 0        |" BLANK40 "|\n"
		   "         8 -> 15         : 1        |" STARS40 "|\n"
		   "\n"
		   "event = open\n"
		   "     usecs               : count    distribution\n"
		   "         0 -> 1          : 120      |" STARS40 "|\n"
		   "         2 -> 3          : 3        |*"
		   "                                       |\n"
		   "         4 -> 7          : 0        |" BLANK40 "|\n"
		   "         8 -> 15         : 0        |" BLANK40 "|\n"
		   "        16 -> 31         : 1        |" BLANK40 "|\n");
	cap_close(&c);

	/* past 2^32 us: wider columns, 20 stars */
	if (!ASSERT_TRUE("hist:open-big", cap_open(&c, &o)))
		return;
	agg__print_snapshot(c.a, v, 1, big, N(big), START_NS, 11 * SEC, 1, 0);
	out = take(&c);
	ASSERT_TRUE("hist:big-head",
		    strstr(out, "\n               usecs                         : count    "
				"distribution\n                   0 -> 1                    : 1  "
				"      |**********          |\n") != NULL);
	ASSERT_TRUE("hist:big-last",
		    strstr(out, "\n       1099511627776 -> 2199023255551        : 2        "
				"|********************|\n") != NULL);
	cap_close(&c);

	o.json = 1;
	if (!ASSERT_TRUE("hist:open-json", cap_open(&c, &o)))
		return;
	agg__print_snapshot(c.a, v, N(v), h, 3, START_NS, 11 * SEC, 1, 0);
	out = take(&c);
	ASSERT_STR("hist:json", out,
		   "{\"ts\": 1700000000.500000, \"interval\": null, \"event\": \"open\", "
		   "\"count\": 124}\n"
		   "{\"ts\": 1700000000.500000, \"interval\": null, \"event\": \"exec\", "
		   "\"count\": 2}\n"
		   "{\"ts\": 1700000000.500000, \"interval\": null, \"event\": \"exec\", \"hist\": "
		   "[{\"lo\": 0, \"hi\": 1, \"count\": 0}, {\"lo\": 2, \"hi\": 3, \"count\": 0}, "
		   "{\"lo\": 4, \"hi\": 7, \"count\": 0}, {\"lo\": 8, \"hi\": 15, \"count\": 1}]}\n"
		   "{\"ts\": 1700000000.500000, \"interval\": null, \"event\": \"open\", \"hist\": "
		   "[{\"lo\": 0, \"hi\": 1, \"count\": 120}, "
		   "{\"lo\": 2, \"hi\": 3, \"count\": 3}]}\n"
		   "{\"ts\": 1700000000.500000, \"interval\": null, \"total\": 126, "
		   "\"span_s\": 10.0, \"rate\": 12.6}\n");
	json_lines_valid("hist:json", out);
	python_check("hist:json", out);
	cap_close(&c);

	/* per interval, histograms are deltas too */
	o.json = 0;
	o.interval_s = 1;
	if (!ASSERT_TRUE("hist:open-ival", cap_open(&c, &o)))
		return;
	agg__print_snapshot(c.a, v, 1, h, 2, START_NS, 11 * SEC, 0, 0);
	take(&c);
	h[1].count = 5;
	agg__print_snapshot(c.a, v, 1, h, 2, START_NS, 12 * SEC, 0, 0);
	out = take(&c);
	ASSERT_TRUE("hist:ival", strstr(out, "\nevent = open\n"
				"     usecs               : count    distribution\n"
				"         0 -> 1          : 0        |" BLANK40 "|\n"
				"         2 -> 3          : 2        |" STARS40 "|\n") != NULL);
	cap_close(&c);
}

/* Runs fn with stderr going to a file; returns what it wrote. */
static char *capture_stderr(void (*fn)(struct cap *), struct cap *c)
{
	FILE *t = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *s = calloc(1, 4096);

	if (!t || saved < 0 || !s) {
		free(s);
		return NULL;
	}
	dup2(fileno(t), STDERR_FILENO);
	fn(c);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(t);
	if (fread(s, 1, 4095, t) == 0)
		s[0] = '\0';
	fclose(t);
	return s;
}

static struct agg_count lost_v[1];
static int lost_step;

static void lost_run(struct cap *c)
{
	static const uint64_t lost[] = { 0, 5, 5, 7 };

	snap(c, lost_v, 1, (11 + lost_step) * SEC, lost_step == 3, lost[lost_step]);
}

/* Not counted: a warning on stderr (the increase at a tick, the total at exit), not a row. */
static void test_lost(void)
{
	struct agg_opts o = { .by = BY_EVENT, .interval_s = 1 };
	static const char *const want[] = {
		"",
		"pyaudit-trace: warning: 5 events not coun"
		"ted (counts map full); raise --max-keys\n",
		"",
		"pyaudit-trace: warning: 7 events not coun"
		"ted (counts map full); raise --max-keys\n",
	};
	struct cap c;
	char *err;

	lost_v[0] = C("open", 0, 0, NULL, 1);
	if (!ASSERT_TRUE("lost:open", cap_open(&c, &o)))
		return;
	for (lost_step = 0; lost_step < 4; lost_step++) {
		lost_v[0].count = lost_step + 1;
		err = capture_stderr(lost_run, &c);
		ASSERT_STR(unit_name("lost:stderr%d", lost_step), err, want[lost_step]);
		free(err);
		ASSERT_TRUE(unit_name("lost:table%d", lost_step),
			    strstr(take(&c), "not counted") == NULL);
	}
	cap_close(&c);

	/* JSON says it in the table's closing line: the part of the span */
	o.json = 1;
	if (!ASSERT_TRUE("lost:open-json", cap_open(&c, &o)))
		return;
	lost_step = 1;
	lost_v[0].count = 1;
	err = capture_stderr(lost_run, &c);
	free(err);
	ASSERT_STR("lost:json", take(&c),
		   "{\"ts\": 1700000001.500000, \"interval\": 1, \"event\": \"open\", "
		   "\"count\": 1}\n"
		   "{\"ts\": 1700000001.500000, \"interval\": 1, \"total\": 1, \"span_s\": 11.0, "
		   "\"rate\": 0.09090909090909091, \"lost\": 5}\n");
	cap_close(&c);
}

static void test_add_name(void)
{
	struct agg_opts o = { .by = BY_EVENT };
	struct agg_count v = C("late.name", 0, 0, NULL, 2);
	struct cap c;

	if (!ASSERT_TRUE("names:open", cap_open(&c, &o)))
		return;
	ASSERT_INT("names:null", agg__add_name(c.a, 1, NULL), -EINVAL);
	/* seen before its name: unknown, then named once the PA_REC_NAME arrives */
	snap(&c, &v, 1, 11 * SEC, 0, 0);
	ASSERT_TRUE("names:unknown", strstr(take(&c), "\n<unknown 0x") != NULL);
	ASSERT_INT("names:add", agg__add_name(c.a, fnv("late.name"), "late.name"), 0);
	ASSERT_INT("names:again", agg__add_name(c.a, fnv("late.name"), "other"), 0);
	snap(&c, &v, 1, 12 * SEC, 0, 0);
	ASSERT_TRUE("names:known", strstr(take(&c), "\nlate.name                2 |") != NULL);
	cap_close(&c);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_style_example();
	test_sort_and_bars();
	test_bar_rounding();
	test_top();
	test_interval_deltas();
	test_cumulative();
	test_by_pid();
	test_columns_and_hostile_comm();
	test_hostile_name();
	test_json_rows();
	test_filter();
	test_hist();
	test_lost();
	test_add_name();
	return unit_summary("agg");
}
