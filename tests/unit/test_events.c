// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_events.c - the generated event table (size, order, well-formed rows),
 * lookups and argument names, glob_match() on fixed cases and against
 * fnmatch(3) on random patterns, glob_check() errors, and the -e/-x filter.
 */
#include <errno.h>
#include <fnmatch.h>
#include "events.h"
#include "unit.h"

static void test_table(void)
{
	size_t i, unsorted = 0, empty = 0;

	ASSERT_TRUE("table_len_over_200", audit_event_table_len > 200);
	for (i = 0; i < audit_event_table_len; i++) {
		const struct event_info *e = &audit_event_table[i];

		if (!e->name || !*e->name || !e->args || !e->format || !*e->format ||
		    !e->versions || !*e->versions)
			empty++;
		if (i && strcmp(audit_event_table[i - 1].name, e->name) > 0)
			unsorted++;
		/* the header row of the TSV must not end up in the table */
		if (!strcmp(e->name, "event"))
			empty++;
	}
	ASSERT_UINT("table_rows_well_formed", empty, 0);
	ASSERT_UINT("table_sorted", unsorted, 0);
}

static void test_lookup(void)
{
	const struct event_info *e;
	char buf[64];

	e = event_lookup("open");
	if (ASSERT_TRUE("lookup_open", e != NULL))
		ASSERT_STR("lookup_open_name", e->name, "open");
	ASSERT_TRUE("lookup_missing", event_lookup("no.such.event") == NULL);
	ASSERT_TRUE("lookup_prefix_only", event_lookup("ope") == NULL);
	ASSERT_TRUE("lookup_empty", event_lookup("") == NULL);
	e = event_lookup(audit_event_table[0].name);
	ASSERT_TRUE("lookup_first_row", e == &audit_event_table[0]);
	e = event_lookup(audit_event_table[audit_event_table_len - 1].name);
	ASSERT_TRUE("lookup_last_row", e && !strcmp(e->name,
			audit_event_table[audit_event_table_len - 1].name));
	/* several rows: event_lookup() gives the first one */
	e = event_lookup("os.chdir");
	ASSERT_TRUE("lookup_first_of_several",
		    e && e > audit_event_table && strcmp(e[-1].name, "os.chdir"));

	ASSERT_STR("argname_open_0", event_arg_name("open", 0, buf, sizeof(buf)), "path");
	ASSERT_STR("argname_open_1", event_arg_name("open", 1, buf, sizeof(buf)), "mode");
	ASSERT_STR("argname_open_2", event_arg_name("open", 2, buf, sizeof(buf)), "flags");
	ASSERT_STR("argname_open_3", event_arg_name("open", 3, buf, sizeof(buf)), NULL);
	ASSERT_STR("argname_socket_connect_1",
		   event_arg_name("socket.connect", 1, buf, sizeof(buf)), "address");
	ASSERT_STR("argname_import_4", event_arg_name("import", 4, buf, sizeof(buf)),
		   "sys.path_hooks");
	ASSERT_STR("argname_run_module", event_arg_name("cpython.run_module", 0, buf, sizeof(buf)),
		   "module-name");
	ASSERT_STR("argname_undocumented",
		   event_arg_name("_thread.start_joinable_thread", 0, buf, sizeof(buf)), NULL);
	ASSERT_STR("argname_no_args", event_arg_name("os.fork", 0, buf, sizeof(buf)), NULL);
	ASSERT_STR("argname_unknown_event", event_arg_name("my.event", 0, buf, sizeof(buf)),
		   NULL);
	ASSERT_STR("argname_small_buf", event_arg_name("open", 0, buf, 4), NULL);
	ASSERT_STR("argname_exact_buf", event_arg_name("open", 0, buf, 5), "path");
	ASSERT_STR("argname_info_null", event_info_arg_name(NULL, 0, buf, sizeof(buf)), NULL);

	/* the longest list among an event's rows */
	e = event_lookup_args("open");
	ASSERT_TRUE("lookup_args_open", e && !strcmp(e->args, "path,mode,flags"));
	ASSERT_TRUE("lookup_args_missing", event_lookup_args("nope") == NULL);
}

struct gcase {
	const char *pat, *str;
	bool match;
};

static void test_glob_fixed(void)
{
	static const struct gcase cases[] = {
		{ "socket.*", "socket.connect", true },
		{ "socket.*", "socket.", true },
		{ "socket.*", "socket", false },
		{ "socket.*", "xsocket.bind", false },
		{ "os.[cs]*", "os.chdir", true },
		{ "os.[cs]*", "os.system", true },
		{ "os.[cs]*", "os.remove", false },
		{ "os.[cs]*", "os.", false },
		{ "o?en", "open", true },
		{ "o?en", "oen", false },
		{ "?", "", false },
		{ "?", "a", true },
		{ "*", "", true },
		{ "*", "anything.at/all", true },
		{ "", "", true },
		{ "", "a", false },
		{ "open", "open", true },
		{ "open", "opens", false },
		{ "open", "ope", false },
		{ "os?chdir", "os.chdir", true },
		{ "*/*", "a/b", true },
		{ "*.*", "open", false },
		{ "[!a]*", "open", true },
		{ "[!o]*", "open", false },
		{ "[^o]*", "open", false },
		{ "[a-z]pen", "open", true },
		{ "[A-Z]pen", "open", false },
		{ "[z-a]pen", "open", false },
		{ "[]x]", "]", true },
		{ "[!]x]", "]", false },
		{ "[!]x]", "y", true },
		{ "[a-]", "-", true },
		{ "[-a]", "-", true },
		{ "\\*", "*", true },
		{ "\\*", "a", false },
		{ "a\\?c", "a?c", true },
		{ "a\\?c", "abc", false },
		{ "[\\]]", "]", true },
		{ "os.[", "os.[", true },	/* unmatched '[': literal (glob_check rejects) */
		{ "os.[", "os.c", false },
		{ "a\\", "a\\", true },		/* trailing backslash: literal */
		{ "*a*b*c*", "xaxbxcx", true },
		{ "*a*b*c*", "xaxcxbx", false },
		{ "a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
		{ "**.connect", "socket.connect", true },
		{ "*connect", "socket.connect", true },
		{ "sys.*", "sys.audit.extra", true },
		{ "\xc3\xa9*", "\xc3\xa9t\xc3\xa9", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_INT(unit_name("glob_match['%s','%s']", cases[i].pat, cases[i].str),
			   glob_match(cases[i].pat, cases[i].str), cases[i].match);
}

/* Random patterns over a small alphabet against glibc fnmatch(pattern, str, 0). */
static void test_glob_vs_fnmatch(void)
{
	static const char pat_chars[] = "ab.*?[]!^-\\";
	static const char str_chars[] = "ab.-]!";
	unsigned iter, compared = 0, diff = 0;

	for (iter = 0; iter < 200000; iter++) {
		char pat[10], str[10];
		size_t pl = unit_rand() % 8, sl = unit_rand() % 8, i;
		bool mine, theirs;

		for (i = 0; i < pl; i++)
			pat[i] = pat_chars[unit_rand() % (sizeof(pat_chars) - 1)];
		pat[pl] = '\0';
		for (i = 0; i < sl; i++)
			str[i] = str_chars[unit_rand() % (sizeof(str_chars) - 1)];
		str[sl] = '\0';
		/* compare only where the semantics are defined the same way */
		/* POSIX "[.", "[=", "[:" inside brackets are collating elements and
		 * classes for fnmatch(), ordinary characters here */
		if (glob_check(pat, NULL) || strstr(pat, "[.") || strstr(pat, "[=") ||
		    strstr(pat, "[:"))
			continue;
		mine = glob_match(pat, str);
		theirs = fnmatch(pat, str, 0) == 0;
		compared++;
		if (mine != theirs) {
			if (diff < 5)
				ASSERT_INT(unit_name("glob_vs_fnmatch['%s','%s']", pat, str), mine,
					   theirs);
			diff++;
		}
	}
	ASSERT_TRUE("glob_vs_fnmatch_compared", compared > 50000);
	ASSERT_UINT("glob_vs_fnmatch_diffs", diff, 0);
}

static void test_glob_check(void)
{
	static const struct {
		const char *pat, *why;
	} cases[] = {
		{ "open", NULL },
		{ "socket.*", NULL },
		{ "os.[cs]*", NULL },
		{ "[]]", NULL },
		{ "[!]]", NULL },
		{ "\\[", NULL },
		{ "a\\\\", NULL },
		{ "", "empty pattern" },
		{ "os.[", "unmatched '['" },
		{ "os.[cs", "unmatched '['" },
		{ "[]", "unmatched '['" },
		{ "[!]", "unmatched '['" },
		{ "[a\\]", "unmatched '['" },
		{ "a\\", "trailing backslash" },
		{ "*\\", "trailing backslash" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		int err = glob_check(cases[i].pat, &why);

		ASSERT_INT(unit_name("glob_check_err['%s']", cases[i].pat), err,
			   cases[i].why ? -EINVAL : 0);
		ASSERT_STR(unit_name("glob_check_why['%s']", cases[i].pat), why, cases[i].why);
	}
	ASSERT_INT("glob_check_null_why", glob_check("[", NULL), -EINVAL);
}

static void test_filter(void)
{
	const char *inc[] = { "socket.*", "open" };
	const char *exc[] = { "socket.getaddrinfo", "*.gethost*" };
	struct event_filter *f;

	ASSERT_TRUE("filter_null_pass", event_filter__pass(NULL, "open"));
	ASSERT_TRUE("filter_null_inactive", !event_filter__active(NULL));

	f = event_filter__new(NULL, 0, NULL, 0);
	if (ASSERT_TRUE("filter_empty_new", f != NULL)) {
		ASSERT_TRUE("filter_empty_inactive", !event_filter__active(f));
		ASSERT_TRUE("filter_empty_pass", event_filter__pass(f, "anything"));
		event_filter__free(f);
	}

	f = event_filter__new(inc, 2, exc, 2);
	if (!ASSERT_TRUE("filter_new", f != NULL))
		return;
	ASSERT_TRUE("filter_active", event_filter__active(f));
	ASSERT_TRUE("filter_include_glob", event_filter__pass(f, "socket.connect"));
	ASSERT_TRUE("filter_include_exact", event_filter__pass(f, "open"));
	ASSERT_TRUE("filter_not_included", !event_filter__pass(f, "os.system"));
	ASSERT_TRUE("filter_excluded_exact", !event_filter__pass(f, "socket.getaddrinfo"));
	ASSERT_TRUE("filter_excluded_glob", !event_filter__pass(f, "socket.gethostbyname"));
	ASSERT_TRUE("filter_whole_name", !event_filter__pass(f, "opened"));
	event_filter__free(f);

	/* exclude only: everything else passes */
	f = event_filter__new(NULL, 0, exc, 1);
	if (ASSERT_TRUE("filter_exclude_only_new", f != NULL)) {
		ASSERT_TRUE("filter_exclude_only_active", event_filter__active(f));
		ASSERT_TRUE("filter_exclude_only_pass", event_filter__pass(f, "open"));
		ASSERT_TRUE("filter_exclude_only_drop",
			    !event_filter__pass(f, "socket.getaddrinfo"));
		event_filter__free(f);
	}

	/* the filter keeps its own copies of the patterns */
	{
		char pat[] = "open";
		const char *p = pat;

		f = event_filter__new(&p, 1, NULL, 0);
		pat[0] = 'x';
		ASSERT_TRUE("filter_copies_patterns", f && event_filter__pass(f, "open"));
		event_filter__free(f);
	}
	event_filter__free(NULL);
}

int main(void)
{
	test_table();
	test_lookup();
	test_glob_fixed();
	test_glob_vs_fnmatch();
	test_glob_check();
	test_filter();
	return unit_summary("test_events");
}
