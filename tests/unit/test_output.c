// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_output.c - both renderers, from raw records through decode_event():
 * exact text and JSON lines for the documented example, every value kind (big
 * and negative ints, floats, cut strings, nested tuples, bytes, opaque
 * objects), escaping of newlines, ANSI and invalid UTF-8, argument truncation,
 * probe info, stream errors; pylong_to_decimal(); and corrupted records that
 * still decode must render as one clean text line and one valid JSON line
 * (checked by a strict parser and by Python's json module).
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "decode.h"
#include "attach.h"
#include "output.h"
#include "unit.h"

/* ts_ns 1000 in the records + this = 1764000000.120431 s = 16:00:00.120431 UTC */
#define MONO_TO_REAL (1764000000120431000ll - 1000)

static const struct probe_info usdt_311 = { "usdt", "3.11.2", 11, "/usr/bin/python3.11", 1 };

static const struct probe_info *probe_lookup(void *ctx, unsigned id)
{
	return id == 7 ? &usdt_311 : NULL;
}

/* Renders one record; returns a malloc'd string, or NULL if it did not decode. */
static char *render(const void *rec, size_t size, int json, size_t *len)
{
	static struct audit_event ev;
	struct output_opts opts = {
		.json = json,
		.str_size = PA_STR_DEFAULT,
		.mono_to_real_ns = MONO_TO_REAL,
		.probe_lookup = probe_lookup,
	};
	struct output *o;
	char *s = NULL;
	size_t n = 0;
	int err;

	if (decode_event(rec, size, &ev))
		return NULL;
	opts.f = open_memstream(&s, &n);
	o = output__new(&opts);
	err = output__event(o, &ev);
	if (!err)
		err = output__flush(o);
	output__free(o);
	fclose(opts.f);
	if (err) {
		free(s);
		return NULL;
	}
	if (len)
		*len = n;
	return s;
}

static void check(const char *name, struct rec *r, const char *text, const char *json)
{
	size_t n = rec_end(r), len;
	char *t = render(r->buf, n, 0, NULL), *j = render(r->buf, n, 1, &len);

	if (ASSERT_TRUE(unit_name("%s_decodes", name), t && j)) {
		ASSERT_STR(unit_name("%s_text", name), t, text);
		ASSERT_STR(unit_name("%s_json", name), j, json);
		ASSERT_TRUE(unit_name("%s_json_valid", name), unit_json_valid(j, len));
	}
	free(t);
	free(j);
}

#define HEAD "16:00:00.120431 python3[4242/4243] "
#define JHEAD "{\"ts\": 1764000000.120431, \"pid\": 4242, \"tid\": 4243, \"uid\": 0, " \
	      "\"comm\": \"python3\", "
#define JPROBE "\"route\": \"usdt\", \"python\": \"3.11.2\", \"complete\": true}\n"

static void test_open(void)
{
	struct rec r;

	rec_init(&r, 3, 3, 0);
	rec_cstr(&r, "open");
	rec_str(&r, "/etc/passwd");
	rec_cstr(&r, "r");
	rec_int(&r, 524288);
	check("open", &r, HEAD "open(path='/etc/passwd', mode='r', flags=524288)\n",
	      JHEAD "\"event\": \"open\", \"args\": [\"/etc/passwd\", \"r\", 524288], "
		    "\"arg_names\": [\"path\", \"mode\", \"flags\"], " JPROBE);

	/* the same with the name as a str of width 2 (sys.audit route) */
	rec_init(&r, 1, 1, 0);
	rec_val(&r, PA_V_STR, 0, 2, 4, "o\0p\0e\0n\0", 8);
	rec_str(&r, "/x");
	check("open_str2", &r, HEAD "open(path='/x')\n",
	      JHEAD "\"event\": \"open\", \"args\": [\"/x\"], \"arg_names\": [\"path\"], " JPROBE);

	/* more arguments than documented names; no probe info */
	rec_init(&r, 4, 4, 0);
	((struct pa_event *)r.buf)->probe_id = 99;
	rec_cstr(&r, "open");
	rec_str(&r, "/x");
	rec_str(&r, "r");
	rec_int(&r, 0);
	rec_int(&r, 1);
	check("open_extra", &r, HEAD "open(path='/x', mode='r', flags=0, 1)\n",
	      JHEAD "\"event\": \"open\", \"args\": [\"/x\", \"r\", 0, 1], "
		    "\"arg_names\": [\"path\", \"mode\", \"flags\", null]}\n");
}

static void test_numbers(void)
{
	static const uint32_t two70[] = { 0, 0, 1u << 10 };
	static const uint32_t u64max[] = { 0x3fffffff, 0x3fffffff, 15 };
	static const uint32_t two63[] = { 0, 0, 8 };
	static const uint32_t two64[] = { 0, 0, 16 };
	static const uint32_t lowdig[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rec r;

	rec_init(&r, 12, 12, 0);
	rec_cstr(&r, "my.event");
	rec_simple(&r, PA_V_NONE, 0, 0);
	rec_simple(&r, PA_V_BOOL, 1, 0);
	rec_pylong(&r, two70, 3, false);
	rec_pylong(&r, two70, 3, true);
	rec_pylong(&r, u64max, 3, false);
	rec_pylong(&r, two63, 3, true);
	rec_pylong(&r, NULL, 0, false);
	rec_val(&r, PA_V_PYLONG, PA_VF_TRUNC, 8, 10, lowdig, sizeof(lowdig));
	rec_float(&r, 1.0);
	rec_float(&r, 1e100);
	rec_float(&r, -1.0 / 0.0);
	rec_float(&r, 0.0 / 0.0);
	check("numbers", &r,
	      HEAD "my.event(None, True, 1180591620717411303424, -1180591620717411303424, "
		   "18446744073709551615, -9223372036854775808, 0, <int, ~300 bits>, 1.0, "
		   "1e+100, -inf, nan)\n",
	      JHEAD "\"event\": \"my.event\", \"args\": [null, true, "
		    "{\"type\": \"int\", \"value\": \"1180591620717411303424\"}, "
		    "{\"type\": \"int\", \"value\": \"-1180591620717411303424\"}, "
		    "{\"type\": \"int\", \"value\": \"18446744073709551615\"}, -9223372036854775808, 0, "
		    "{\"type\": \"int\", \"truncated\": true, \"bits\": 300}, 1.0, 1e+100, "
		    "{\"type\": \"float\", \"value\": \"-inf\"}, "
		    "{\"type\": \"float\", \"value\": \"nan\"}], " JPROBE);

	rec_init(&r, 6, 6, 0);
	rec_cstr(&r, "n");
	rec_pylong(&r, two64, 3, false);
	rec_val(&r, PA_V_PYLONG, PA_VF_NEG, 3, 3, (const uint32_t[]){ 1, 0, 8 }, 12);
	rec_int(&r, INT64_MIN);
	rec_uint(&r, UINT64_MAX);
	rec_simple(&r, PA_V_BOOL, 0, 0);
	rec_val(&r, PA_V_PYLONG, PA_VF_NEG, 1, 1, (const uint32_t[]){ 0 }, 4); /* -0 */
	check("numbers_edges", &r,
	      HEAD "n(18446744073709551616, -9223372036854775809, -9223372036854775808, "
		   "18446744073709551615, False, 0)\n",
	      JHEAD "\"event\": \"n\", \"args\": ["
		    "{\"type\": \"int\", \"value\": \"18446744073709551616\"}, "
		    "{\"type\": \"int\", \"value\": \"-9223372036854775809\"}, "
		    "-9223372036854775808, {\"type\": \"int\", \"value\": \"18446744073709551615\"}, false, 0], " JPROBE);
}

static void test_strings(void)
{
	static const uint16_t ucs2[] = { 0x20ac, 0xd800, 'x' };
	static const uint32_t wide[] = { 'w', 0x1f600, 0 } /* BPF copies a window: the string ends at its NUL */;
	static const uint8_t bytes[] = { 0, 0xff, 'a' };
	struct rec r;

	rec_init(&r, 11, 11, 0);
	rec_cstr(&r, "s");
	rec_val(&r, PA_V_STR, PA_VF_TRUNC, 1, 10, "abcd", 4);
	rec_val(&r, PA_V_CSTR, PA_VF_TRUNC, 1, 0, "/etc/pa", 7);
	rec_str(&r, "a\nb\x1b[31m");
	rec_cstr(&r, "x\xffy\xc3\xa9");
	rec_val(&r, PA_V_STR, 0, 2, 3, ucs2, sizeof(ucs2));
	rec_val(&r, PA_V_WSTR, 0, 4, 0, wide, sizeof(wide));
	rec_val(&r, PA_V_BYTES, 0, 1, 3, bytes, 3);
	rec_val(&r, PA_V_BYTEARRAY, PA_VF_TRUNC, 1, 9, "ab", 2);
	rec_str(&r, "it's \\");
	rec_val(&r, PA_V_STR, 0, 1, 2, "\xe9\x85", 2);
	rec_val(&r, PA_V_CSTR, 0, 1, 5, "ab\0cd", 5); /* "s#" with a NUL inside */
	check("strings", &r,
	      HEAD "s('abcd'..., '/etc/pa'..., 'a\\nb\\x1b[31m', 'x\\xffy\xc3\xa9', "
		   "'\xe2\x82\xac\\ud800x', 'w\xf0\x9f\x98\x80', b'\\x00\\xffa', "
		   "bytearray(b'ab')..., 'it\\'s \\\\', '\xc3\xa9\\u0085', 'ab\\x00cd')\n",
	      JHEAD "\"event\": \"s\", \"args\": ["
		    "{\"type\": \"str\", \"value\": \"abcd\", \"truncated\": true, "
		    "\"length\": 10}, "
		    "{\"type\": \"str\", \"value\": \"/etc/pa\", \"truncated\": true}, "
		    "\"a\\u000ab\\u001b[31m\", {\"type\": \"str\", \"value\": \"x\\ufffdy\xc3\xa9\", "
		    "\"replaced\": [[1, 255]]}, {\"type\": \"str\", \"value\": \"\xe2\x82\xac\\ufffdx\", "
		    "\"replaced\": [[1, 55296]]}, "
		    "\"w\xf0\x9f\x98\x80\", "
		    "{\"type\": \"bytes\", \"value\": \"\\u0000\xc3\xbf" "a\"}, "
		    "{\"type\": \"bytearray\", \"value\": \"ab\", \"truncated\": true, "
		    "\"length\": 9}, \"it's \\\\\", \"\xc3\xa9\\u0085\", \"ab\\u0000cd\"], " JPROBE);
}

static void test_containers(void)
{
	struct rec r;

	rec_init(&r, 9, 9, 0);
	rec_cstr(&r, "c");
	rec_simple(&r, PA_V_TUPLE, 1, 1); /* (1,) */
	rec_int(&r, 1);
	rec_simple(&r, PA_V_LIST, 2, 5); /* [1, 2, ...] */
	rec_int(&r, 1);
	rec_int(&r, 2);
	rec_simple(&r, PA_V_TUPLE, 2, 2); /* ((1, 2), 'x') */
	rec_simple(&r, PA_V_TUPLE, 2, 2);
	rec_int(&r, 1);
	rec_int(&r, 2);
	rec_str(&r, "x");
	rec_simple(&r, PA_V_TUPLE, 0, 0); /* () */
	rec_simple(&r, PA_V_LIST, 0, 3);  /* [...] */
	rec_simple(&r, PA_V_DICT, 0, 3);
	rec_val(&r, PA_V_OTHER, 0, 0, 0x7f00, "function", 8);
	rec_simple(&r, PA_V_UNREADABLE, 0, 0x7f00);
	rec_simple(&r, PA_V_LIST, 1, 1); /* [(...)] : an item tuple not expanded */
	rec_simple(&r, PA_V_TUPLE, 0, 4);
	check("containers", &r,
	      HEAD "c((1,), [1, 2, ...], ((1, 2), 'x'), (), [...], <dict len=3>, "
		   "<function object>, <?>, [(...)])\n",
	      JHEAD "\"event\": \"c\", \"args\": ["
		    "{\"type\": \"tuple\", \"value\": [1]}, "
		    "{\"type\": \"list\", \"value\": [1, 2], \"truncated\": true, \"length\": 5}, "
		    "{\"type\": \"tuple\", \"value\": [{\"type\": \"tuple\", \"value\": [1, 2]}, "
		    "\"x\"]}, "
		    "{\"type\": \"tuple\", \"value\": []}, "
		    "{\"type\": \"list\", \"value\": [], \"truncated\": true, \"length\": 3}, "
		    "{\"type\": \"dict\", \"len\": 3}, {\"type\": \"function\"}, "
		    "{\"type\": \"?\", \"error\": \"unreadable\"}, "
		    "{\"type\": \"list\", \"value\": [{\"type\": \"tuple\", \"value\": [], "
		    "\"truncated\": true, \"length\": 4}]}], " JPROBE);
}

static void test_truncated_args(void)
{
	struct rec r;

	rec_init(&r, 1, 3, PA_EV_ARGS_TRUNC);
	rec_cstr(&r, "open");
	rec_str(&r, "/x");
	check("args_trunc", &r, HEAD "open(path='/x', ...)\n",
	      JHEAD "\"event\": \"open\", \"args\": [\"/x\"], \"arg_names\": [\"path\"], "
		    "\"args_truncated\": true, \"nargs\": 3, " JPROBE);

	rec_init(&r, 0, 0, PA_EV_ARGS_TRUNC);
	rec_cstr(&r, "e");
	check("args_trunc_none", &r, HEAD "e(...)\n",
	      JHEAD "\"event\": \"e\", \"args\": [], \"args_truncated\": true, " JPROBE);

	/* fewer captured than there were, without the flag: still marked */
	rec_init(&r, 0, 2, PA_EV_FMT_UNSUPPORTED | PA_EV_LAYOUT_UNKNOWN);
	rec_cstr(&r, "e");
	check("args_fewer", &r, HEAD "e(...)\n",
	      JHEAD "\"event\": \"e\", \"args\": [], \"nargs\": 2, \"format_unsupported\": true, "
		    "\"layout_unknown\": true, " JPROBE);

	rec_init(&r, 0, 0, 0);
	rec_cstr(&r, "os.fork");
	check("no_args", &r, HEAD "os.fork()\n",
	      JHEAD "\"event\": \"os.fork\", \"args\": [], " JPROBE);
}

static void test_hostile_names(void)
{
	struct rec r;
	struct pa_event *e = (struct pa_event *)r.buf;

	rec_init(&r, 0, 0, 0);
	memcpy(e->comm, "py\x1b[2Jth\non\xff\x80zzz", 16); /* no NUL: all 16 bytes */
	rec_cstr(&r, "ev\x1b]0;x\a\n");
	check("hostile", &r,
	      "16:00:00.120431 py\\x1b[2Jth\\non\\xff\\x80zzz[4242/4243] ev\\x1b]0;x\\x07\\n()\n",
	      "{\"ts\": 1764000000.120431, \"pid\": 4242, \"tid\": 4243, \"uid\": 0, "
	      "\"comm\": \"py\\u001b[2Jth\\u000aon\\ufffd\\ufffdzzz\", "
	      "\"comm_replaced\": [[11, 255], [12, 128]], "
	      "\"event\": \"ev\\u001b]0;x\\u0007\\u000a\", \"args\": [], " JPROBE);

	/* an event name with a bidi override and a type name of invalid UTF-8 */
	rec_init(&r, 1, 1, 0);
	rec_cstr(&r, "a\xe2\x80\xae" "b\xff");
	rec_val(&r, PA_V_OTHER, 0, 0, 0, "ty\xc3pe", 5);
	check("hostile_type", &r, HEAD "a\\u202eb\\xff(<ty\\xc3pe object>)\n",
	      JHEAD "\"event\": \"a\\u202eb\\ufffd\", \"event_replaced\": [[3, 255]], "
		    "\"args\": [{\"type\": \"ty\\ufffdpe\", \"type_replaced\": [[2, 195]]}], " JPROBE);
}

static void test_time(void)
{
	struct rec r;
	size_t n;
	char *t;

	/* a second later, then back: the cached HH:MM:SS must follow */
	rec_init(&r, 0, 0, 0);
	rec_cstr(&r, "e");
	n = rec_end(&r);
	((struct pa_event *)r.buf)->hdr.ts_ns = 1000 + 3600ull * 1000000000 + 879569000;
	t = render(r.buf, n, 0, NULL);
	ASSERT_STR("time_next_hour", t, "17:00:01.000000 python3[4242/4243] e()\n");
	free(t);
	t = render(r.buf, n, 1, NULL);
	ASSERT_TRUE("time_json", t && !strncmp(t, "{\"ts\": 1764003601.000000, ", 26));
	free(t);
}

static void test_stream_error(void)
{
	struct rec r;
	static struct audit_event ev;
	struct output_opts opts = { .mono_to_real_ns = MONO_TO_REAL };
	struct output *o;
	int err = 0, i;
	size_t n;

	rec_init(&r, 1, 1, 0);
	rec_cstr(&r, "open");
	rec_str(&r, "/etc/passwd");
	n = rec_end(&r);
	if (decode_event(r.buf, n, &ev))
		return;
	opts.f = fopen("/dev/full", "w");
	if (!opts.f) {
		printf("test_output: no /dev/full, skipping the stream error test\n");
		return;
	}
	o = output__new(&opts);
	for (i = 0; i < 10000 && !err; i++)
		err = output__event(o, &ev);
	if (!err)
		err = output__flush(o);
	ASSERT_INT("stream_enospc", err, -ENOSPC);
	output__free(o);
	fclose(opts.f);

	errno = 0;
	ASSERT_TRUE("output_new_null_stream", output__new(&(struct output_opts){ 0 }) == NULL);
	ASSERT_INT("output_new_null_stream_errno", errno, EINVAL);
	output__free(NULL);
}

static void test_pylong_to_decimal(void)
{
	static const uint32_t max240[] = { 0x3fffffff, 0x3fffffff, 0x3fffffff, 0x3fffffff,
					   0x3fffffff, 0x3fffffff, 0x3fffffff, 0x3fffffff };
	static const uint32_t e18[] = { 1000000000000000000ull & 0x3fffffff,
					1000000000000000000ull >> 30 & 0x3fffffff,
					1000000000000000000ull >> 60 };
	char buf[PYLONG_DECIMAL_SIZE(8)];
	size_t n;

	n = pylong_to_decimal(max240, 8, 0, buf, sizeof(buf));
	ASSERT_STR("pylong_2_240_minus_1", buf,
		   "1766847064778384329583297500742918515827483896875618958121606201292619775");
	ASSERT_UINT("pylong_2_240_minus_1_len", n, 73);
	pylong_to_decimal(max240, 8, 1, buf, sizeof(buf));
	ASSERT_STR("pylong_neg", buf,
		   "-1766847064778384329583297500742918515827483896875618958121606201292619775");
	pylong_to_decimal(e18, 3, 0, buf, sizeof(buf));
	ASSERT_STR("pylong_1e18", buf, "1000000000000000000");
	pylong_to_decimal((const uint32_t[]){ 1000000000 % (1 << 30), 0, 0 }, 3, 0, buf,
			  sizeof(buf));
	ASSERT_STR("pylong_leading_zero_digits", buf, "1000000000");
	pylong_to_decimal(NULL, 0, 1, buf, sizeof(buf));
	ASSERT_STR("pylong_zero", buf, "0");
	pylong_to_decimal((const uint32_t[]){ 0x80000000u }, 1, 0, buf, sizeof(buf));
	ASSERT_STR("pylong_unnormalised_digit", buf, "2147483648");
	ASSERT_UINT("pylong_small_buf", pylong_to_decimal(max240, 8, 0, buf, 73), 0);
	ASSERT_STR("pylong_small_buf_empty", buf, "");
	ASSERT_UINT("pylong_exact_buf", pylong_to_decimal(max240, 8, 0, buf, 74), 73);
	ASSERT_UINT("pylong_neg_exact_buf", pylong_to_decimal(max240, 8, 1, buf, 74), 0);
	ASSERT_UINT("pylong_size0", pylong_to_decimal(max240, 8, 0, buf, 0), 0);
}

/* Corrupted records that still decode: one clean text line, one valid JSON line. */
static void test_fuzz_render(void)
{
	static const uint32_t two70[] = { 0, 0, 1u << 10 };
	char path[] = "/tmp/test_output.XXXXXX";
	int fd = mkstemp(path);
	FILE *all = fdopen(fd, "w");
	struct rec base, r;
	size_t size, i;
	unsigned iter, rendered = 0, bad_text = 0, bad_json = 0, one_only = 0;
	bool ran;

	rec_init(&base, 9, 11, 0);
	rec_cstr(&base, "socket.connect");
	rec_simple(&base, PA_V_TUPLE, 3, 3);
	rec_str(&base, "127.0.0.1");
	rec_int(&base, 80);
	rec_simple(&base, PA_V_LIST, 1, 2);
	rec_float(&base, 2.5);
	rec_val(&base, PA_V_STR, 0, 2, 4, "a\0\xe9\0\x00\xd8z\0", 8);
	rec_val(&base, PA_V_STR, 0, 4, 2, "\x00\xf6\x01\x00\xff\xff\x10\x00", 8);
	rec_val(&base, PA_V_BYTES, 0, 1, 4, "\x1b[0m", 4);
	rec_pylong(&base, two70, 3, true);
	rec_cstr(&base, "caf\xc3\xa9\n");
	rec_val(&base, PA_V_OTHER, 0, 0, 0, "function", 8);
	rec_val(&base, PA_V_WSTR, 0, 4, 0, "a\0\0\0\x00\xd8\0\0", 8);
	rec_simple(&base, PA_V_DICT, 0, 2);
	size = rec_end(&base);

	for (iter = 0; iter < 100000; iter++) {
		unsigned flips = 1 + unit_rand() % 3, k;
		char *t, *j;
		size_t tl, jl;

		memcpy(r.buf, base.buf, size);
		for (k = 0; k < flips; k++) {
			uint64_t x = unit_rand();
			size_t hdr = sizeof(struct pa_event);
			size_t at = hdr + (x >> 8) % (size - hdr);

			if (x & 1)
				r.buf[at] ^= 1u << ((x >> 4) & 7);
			else
				r.buf[at] = x >> 32;
		}
		t = render(r.buf, size, 0, &tl);
		j = render(r.buf, size, 1, &jl);
		if (!t || !j) {
			one_only += !t != !j;
			free(t);
			free(j);
			continue;
		}
		rendered++;
		for (i = 0; i + 1 < tl; i++)
			if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
				break;
		if (i + 1 != tl || t[tl - 1] != '\n')
			bad_text++;
		if (!unit_json_valid(j, jl) || memchr(j, '\n', jl - 1) || j[jl - 1] != '\n') {
			if (!bad_json)
				ASSERT_MEM("fuzz_render_first_bad_json", j, jl, "", 0);
			bad_json++;
		}
		fwrite(j, 1, jl, all);
		free(t);
		free(j);
	}
	fclose(all);
	ASSERT_TRUE("fuzz_render_some", rendered > 1000);
	ASSERT_UINT("fuzz_render_both_or_none", one_only, 0);
	ASSERT_UINT("fuzz_render_text_one_clean_line", bad_text, 0);
	ASSERT_UINT("fuzz_render_json_valid", bad_json, 0);
	printf("test_output: fuzz: %u of 100000 corrupted records rendered\n", rendered);
	ASSERT_TRUE("fuzz_render_python_json", unit_python_json_lines(path, &ran));
	if (!ran)
		printf("test_output: python3 not found, skipping the json module check\n");
	unlink(path);
}

/* --time-format: RFC 3339 with microseconds and the local offset, and epoch seconds. */
static void test_time_formats(void)
{
	static const struct {
		const char *tz, *expected;
	} cases[] = {
		{ "UTC", "2025-11-24T16:00:00.123456+00:00" },
		{ "Asia/Kolkata", "2025-11-24T21:30:00.123456+05:30" },
		{ "America/St_Johns", "2025-11-24T12:30:00.123456-03:30" },
	};
	struct rfc3339_cache c = { .sec = INT64_MIN };
	char buf[RFC3339_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("TZ", cases[i].tz, 1);
		tzset();
		format_rfc3339(1764000000123456789ll, buf, sizeof(buf));
		ASSERT_STR(unit_name("rfc3339_%s", cases[i].tz), buf, cases[i].expected);
		c.sec = INT64_MIN;
		ASSERT_STR(unit_name("rfc3339_cached_%s", cases[i].tz),
			   format_rfc3339_cached(&c, 1764000000123456789ll), cases[i].expected);
	}
	/* the cache follows the microseconds within its second, and the next second */
	ASSERT_STR("rfc3339_cached_same_second", format_rfc3339_cached(&c, 1764000000999999000ll),
		   "2025-11-24T12:30:00.999999-03:30");
	ASSERT_STR("rfc3339_cached_next_second", format_rfc3339_cached(&c, 1764000001000001000ll),
		   "2025-11-24T12:30:01.000001-03:30");
	setenv("TZ", "UTC", 1);
	tzset();
	format_epoch(1764000000123456789ll, buf, sizeof(buf));
	ASSERT_STR("epoch", buf, "1764000000.123456");
	format_epoch(5000, buf, sizeof(buf));
	ASSERT_STR("epoch_small", buf, "0.000005");
	ASSERT_UINT("epoch_cut", format_epoch(1764000000123456789ll, buf, 5), 17);
	ASSERT_STR("epoch_cut_buf", buf, "1764");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_open();
	test_numbers();
	test_strings();
	test_containers();
	test_truncated_args();
	test_hostile_names();
	test_time();
	test_time_formats();
	test_stream_error();
	test_pylong_to_decimal();
	test_fuzz_render();
	return unit_summary("test_output");
}
