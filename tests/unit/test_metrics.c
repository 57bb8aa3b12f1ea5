// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_metrics.c - the parts of --metrics that need no socket: ADDR:PORT
 * syntax, and label values as the exposition formats want them (escapes,
 * invalid UTF-8 made valid).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "agg.h"
#include "cli.h"
#include "metrics.h"
#include "pyaudit.h"
#include "unit.h"

static void test_addr(void)
{
	ASSERT_INT("v4", metrics_check_addr("127.0.0.1:9464"), 0);
	ASSERT_INT("v4_any_port", metrics_check_addr("0.0.0.0:0"), 0);
	ASSERT_INT("v6", metrics_check_addr("[::1]:9464"), 0);
	ASSERT_INT("name", metrics_check_addr("localhost:80"), 0);
	ASSERT_INT("no_port", metrics_check_addr("127.0.0.1"), -EINVAL);
	ASSERT_INT("empty_host", metrics_check_addr(":80"), -EINVAL);
	ASSERT_INT("bare_v6", metrics_check_addr("::1:80"), -EINVAL);
	ASSERT_INT("v6_no_colon", metrics_check_addr("[::1]80"), -EINVAL);
	ASSERT_INT("port_big", metrics_check_addr("1.2.3.4:65536"), -EINVAL);
	ASSERT_INT("port_junk", metrics_check_addr("1.2.3.4:80x"), -EINVAL);
	ASSERT_INT("port_neg", metrics_check_addr("1.2.3.4:-1"), -EINVAL);
	ASSERT_INT("empty", metrics_check_addr(""), -EINVAL);
}

static void label(const char *name, const char *in, size_t n, const char *expected)
{
	char *out = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&out, &sz);

	metrics_label_value(f, in, n);
	fclose(f);
	ASSERT_STR(name, out, expected);
	free(out);
}

static void test_labels(void)
{
	label("plain", "open", 4, "open");
	label("escapes", "a\"b\\c\nd", 7, "a\\\"b\\\\c\\nd");
	label("utf8_kept", "caf\xc3\xa9", 5, "caf\xc3\xa9");
	label("invalid", "x\xff\xe2\x80", 4, "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

/* The agg's extra counts stand in for the BPF maps. */
static int fake_counts(void *ctx, struct agg_count **rows, size_t *n)
{
	static const struct {
		uint64_t hash;
		const char *comm;
		uint64_t count;
	} src[] = {
		{ 1, "python3", 5 }, { 1, "a\xff", 2 }, { 1, "a\xfe", 3 }, { 2, "python3", 1 },
		{ 3, "x", 4 },	     { 1, "zero", 0 },
	};
	size_t i;

	*rows = calloc(sizeof(src) / sizeof(src[0]), sizeof(**rows));
	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		(*rows)[i].key.name_hash = src[i].hash;
		strncpy((*rows)[i].key.comm, src[i].comm, sizeof((*rows)[i].key.comm));
		(*rows)[i].count = src[i].count;
	}
	*n = i;
	return 0;
}

static void test_exposition(void)
{
	uint64_t drops[PA_DROP_NR] = { [PA_DROP_RINGBUF] = 7, [PA_DROP_PREEMPTED] = 1,
				       [PA_DROP_COUNT_MAP] = 3, [PA_ERR_READ] = 2 };
	uint64_t bad = 4;
	struct agg_opts ao = { .f = stderr, .by = BY_EVENT | BY_COMM, .counts_fd = -1,
			       .hists_fd = -1, .extra_counts = fake_counts };
	struct agg *a = agg__new(&ao);
	int epfd = epoll_create1(0);
	struct metrics_opts mo = { .addr = "127.0.0.1:0", .epfd = epfd, .agg = a,
				   .by = BY_EVENT | BY_COMM, .drops = drops, .bad_records = &bad,
				   .start_time = 1764000000.5 };
	struct metrics *m;
	const char *why;
	char *out = NULL;
	size_t sz = 0;
	FILE *f;

	agg__add_name(a, 1, "open");
	agg__add_name(a, 2, "ex\"ec");
	m = metrics__open(&mo, &why);
	if (!ASSERT_TRUE("metrics_open", m != NULL))
		return;
	ASSERT_TRUE("bound_port", strncmp(metrics__address(m), "127.0.0.1:", 10) == 0 &&
					  strcmp(metrics__address(m), "127.0.0.1:0"));
	f = open_memstream(&out, &sz);
	ASSERT_INT("write_text", metrics__write(m, f, false), 0);
	fclose(f);
	/* sorted by labels; the two comms that both read "a\ufffd" summed; no zero rows */
	ASSERT_TRUE("text_events", strstr(out,
		"# TYPE pyaudit_events_total counter\n"
		"pyaudit_events_total{event=\"<unknown 0x0000000000000003>\",comm=\"x\"} 4\n"
		"pyaudit_events_total{event=\"ex\\\"ec\",comm=\"python3\"} 1\n"
		"pyaudit_events_total{event=\"open\",comm=\"a\xef\xbf\xbd\"} 5\n"
		"pyaudit_events_total{event=\"open\",comm=\"python3\"} 5\n#") != NULL);
	ASSERT_TRUE("text_drops", strstr(out,
		"pyaudit_dropped_events_total{cause=\"ring_buffer_full\"} 7\n"
		"pyaudit_dropped_events_total{cause=\"preempted\"} 1\n"
		"pyaudit_dropped_events_total{cause=\"undecodable\"} 4\n"
		"pyaudit_dropped_events_total{cause=\"counts_map_full\"} 3\n"
		"pyaudit_dropped_events_total{cause=\"names_map_full\"} 0\n") != NULL);
	ASSERT_TRUE("text_lost", strstr(out, "\npyaudit_lost_events_total 12\n") != NULL);
	ASSERT_TRUE("text_read_errors", strstr(out, "\npyaudit_read_errors_total 2\n") != NULL);
	ASSERT_TRUE("text_start", strstr(out, "\npyaudit_start_time_seconds 1764000000.500000\n"));
	ASSERT_TRUE("text_no_eof", strstr(out, "# EOF") == NULL);
	free(out);
	out = NULL;
	f = open_memstream(&out, &sz);
	ASSERT_INT("write_om", metrics__write(m, f, true), 0);
	fclose(f);
	ASSERT_TRUE("om_family", strstr(out, "# TYPE pyaudit_events counter\n") != NULL);
	ASSERT_TRUE("om_samples", strstr(out, "\npyaudit_events_total{event=\"open\"") != NULL);
	ASSERT_TRUE("om_gauge", strstr(out, "# TYPE pyaudit_start_time_seconds gauge\n") != NULL);
	ASSERT_TRUE("om_eof", sz > 6 && !strcmp(out + sz - 6, "# EOF\n"));
	free(out);
	metrics__close(m);
	agg__free(a);
	close(epfd);
}

int main(void)
{
	test_addr();
	test_labels();
	test_exposition();
	return unit_summary("test_metrics");
}
