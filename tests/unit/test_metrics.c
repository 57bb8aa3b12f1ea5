// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_metrics.c - the parts of --metrics that need no socket: ADDR:PORT
 * syntax, and label values as the exposition formats want them (escapes,
 * invalid UTF-8 made valid).
 */
#include <errno.h>
#include <stdlib.h>
#include "metrics.h"
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

int main(void)
{
	test_addr();
	test_labels();
	return unit_summary("test_metrics");
}
