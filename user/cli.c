// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli.c - the command line: one argp table, strict number parsing, and the
 * cross-option checks, producing the const struct config everything else reads.
 */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "outfile.h"
#include "pyaudit.h"

const char *argp_program_version = "pyaudit-trace 0.1";

static const char doc[] =
	"Show the PEP 578 audit events of Python processes, from outside, with no\n"
	"change to them: a running process (-p), a command (after --), or, with\n"
	"neither, every Python process on the machine, also ones that start later.\n"
	"\n"
	"EXAMPLES:\n"
	"  pyaudit-trace -- python3 app.py     trace a command from its first event\n"
	"  pyaudit-trace -p 4242               trace a running process\n"
	"  pyaudit-trace -e 'socket.*' -j      every Python's socket events, JSON\n"
	"  pyaudit-trace -x import,open        everything but two noisy events\n"
	"  pyaudit-trace -c -d 10              count events for 10 seconds\n"
	"  pyaudit-trace -c -i 1 --by comm     counts per command, every second\n"
	"  pyaudit-trace --list                Python processes and their routes\n"
	"  pyaudit-trace --metrics 127.0.0.1:9464  counts, scraped by Prometheus\n"
	"\v"
	"Text output: TIME COMM[PID/TID] EVENT(NAME=VALUE, ...), one event per line,\n"
	"control bytes escaped.  JSON Lines: see the README for the schema.\n"
	"Drops (a full ring buffer) are reported on stderr, never silent.";

enum {
	OPT_PROBE = 0x100,
	OPT_CUMULATIVE,
	OPT_BY,
	OPT_TOP,
	OPT_HIST,
	OPT_COMM,
	OPT_LIST,
	OPT_RINGBUF,
	OPT_MAX_KEYS,
	OPT_EMPTY_PROBE,
	OPT_USAGE,
	OPT_WAIT,
	OPT_LIST_EVENTS,
	OPT_APPEND,
	OPT_ROTATE,
	OPT_TIME_FORMAT,
	OPT_METRICS,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_STACK,
	OPT_NO_SITE,
	OPT_NO_HOLD,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Trace these processes (all their threads)", 0 },
	{ "follow", 'f', NULL, 0,
	  "With -p or a command: trace the processes they start too (fork, exec, threads), "
	  "from their first event", 0 },
	{ "json", 'j', NULL, 0, "Write JSON Lines instead of text", 0 },
	{ "output", 'o', "FILE", 0, "Write events to FILE instead of standard output ('-': stdout)",
	  0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (fractions allowed: 0.5)", 0 },
	{ "event", 'e', "GLOB[,GLOB...]", 0, "Only events whose name matches a glob (repeatable)", 0 },
	{ "exclude", 'x', "GLOB[,GLOB...]", 0, "No events whose name matches a glob (repeatable)", 0 },
	{ "string-size", 's', "SIZE", 0, "Bytes captured per string (default 256, at most 4096)", 0 },
	{ "verbose", 'v', NULL, 0, "Say what is attached where, and libbpf's messages", 0 },
	{ "quiet", 'q', NULL, 0,
	  "No status lines (what is traced, how to end); warnings and errors still shown", 0 },
	{ "probe", OPT_PROBE, "auto|usdt|uprobe", 0,
	  "Probe route: the USDT marker python:audit, or uprobes on CPython's audit functions "
	  "(default: usdt where the binary has it)", 0 },
	{ "wait", OPT_WAIT, NULL, 0,
	  "With -p: a process with no Python yet is watched until it loads one (an application "
	  "that embeds Python), instead of being an error", 0 },
	{ "append", OPT_APPEND, NULL, 0, "With -o: append to FILE instead of truncating it", 0 },
	{ "rotate", OPT_ROTATE, "SIZE[,COUNT]", 0,
	  "With -o: rotate FILE (to FILE.1 ... FILE.COUNT, default 5) before it passes SIZE bytes "
	  "(K, M, G suffixes); SIGHUP reopens FILE in any case", 0 },
	{ "time-format", OPT_TIME_FORMAT, "epoch|rfc3339", 0,
	  "Event times as epoch seconds or RFC 3339 with microseconds and UTC offset (default: "
	  "HH:MM:SS.us in text, epoch seconds in JSON)", 0 },
	{ "metrics", OPT_METRICS, "ADDR:PORT", 0,
	  "Serve Prometheus metrics (counted in the kernel) on http://ADDR:PORT/metrics; without "
	  "-c and -o, nothing else is written", 0 },
	{ "stack", OPT_STACK, "N", 0,
	  "Show the N innermost Python frames of each event's call site (default 1, at most 8)", 0 },
	{ "no-site", OPT_NO_SITE, NULL, 0, "Do not read the Python call site of events", 0 },
	{ "no-hold", OPT_NO_HOLD, NULL, 0,
	  "Do not hold a new program at exec (fanotify) while its Python is probed: its first "
	  "events may then be missed", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "KIB", 0, "Ring buffer size in KiB (default 8192)", 0 },
	{ "empty-probe", OPT_EMPTY_PROBE, NULL, OPTION_HIDDEN,
	  "Attach a program that does nothing at the same places (benchmark floor)", 0 },
	{ "list", OPT_LIST, NULL, 0,
	  "List Python processes (or the -p ones) with version, build and the route each gets", 0 },
	{ "list-events", OPT_LIST_EVENTS, NULL, 0,
	  "Print the names of the documented audit events, one a line", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ NULL, '?', NULL, OPTION_ALIAS, NULL, -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the program version", -1 },
	{ NULL, 0, NULL, 0, "Count mode:", 1 },
	{ "count", 'c', NULL, 0, "Count events in the kernel; print a table at the end", 1 },
	{ "interval", 'i', "SECONDS", 0, "With -c: print the table every SECONDS", 1 },
	{ "cumulative", OPT_CUMULATIVE, NULL, 0, "With -i: counts since start, not per interval", 1 },
	{ "by", OPT_BY, "event,pid,comm,uid", 0, "With -c: the key to count by (default event)", 1 },
	{ "top", OPT_TOP, "N", 0, "With -c: only the N largest rows", 1 },
	{ "max-keys", OPT_MAX_KEYS, "N", 0,
	  "With -c or --metrics: room for N distinct keys (default 16384)", 1 },
	{ "hist", OPT_HIST, NULL, 0,
	  "With -c: per event, a log2 histogram of the time between consecutive events", 1 },
	{ NULL, 0, NULL, 0, "Filters (evaluated in the kernel):", 2 },
	{ "uid", 'u', "UID", 0, "Only events of processes running as UID (a number or a user name)", 2 },
	{ "comm", OPT_COMM, "NAME", 0, "Only events of threads whose comm is NAME", 2 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only events of processes in cgroup PATH or below it (v2 path, as in the output)", 2 },
	{ "container", OPT_CONTAINER, "ID|host", 0,
	  "Only events of the container ID (a prefix will do), or of no container (host)", 2 },
	{},
};

__attribute__((noreturn)) static void usage_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pa_err("%s", buf);
	fprintf(stderr, "Try '" PA_PROG " --help'.\n");
	exit(2);
}

int parse_uint(const char *arg, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!arg || !*arg || *arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static unsigned long long need_uint(const char *opt, const char *arg, unsigned long long min,
				    unsigned long long max)
{
	unsigned long long v;
	int err = parse_uint(arg, min, max, &v);

	if (err == -EINVAL)
		usage_error("%s '%s': not a whole number", opt, arg);
	if (err)
		usage_error("%s '%s': out of range (%llu to %llu)", opt, arg, min, max);
	return v;
}

/*
 * Seconds as a decimal with an optional fraction ("2", "0.5", ".25"; no sign,
 * no exponent, at most 9 decimals) -> nanoseconds in [1 ms, max_s].
 */
int parse_seconds(const char *arg, unsigned long long max_s, unsigned long long *ns)
{
	unsigned long long whole = 0, frac = 0, scale = 1000000000ull;
	const char *p = arg;
	int digits = 0, fdigits = 0;

	if (!arg)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 12)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fdigits++) {
			if (fdigits >= 9)
				return -EINVAL;
			scale /= 10;
			frac += (*p - '0') * scale;
		}
	}
	if (*p || digits + fdigits == 0)
		return -EINVAL;
	if (whole > max_s || (whole == max_s && frac))
		return -ERANGE;
	*ns = whole * 1000000000ull + frac;
	if (*ns < 1000000ull)
		return -ERANGE;
	return 0;
}

static void add_globs(const char *opt, const char *arg, const char **list, int *n)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		usage_error("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *why = NULL;

		if (glob_check(tok, &why))
			usage_error("%s '%s': bad glob: %s", opt, tok, why ? why : "invalid");
		if (*n >= CLI_MAX_GLOBS)
			usage_error("%s: too many globs (at most %d)", opt, CLI_MAX_GLOBS);
		list[(*n)++] = tok;
	}
	if (!*n)
		usage_error("%s '%s': empty glob", opt, arg);
	/* copy stays allocated: the globs point into it for the life of the process */
}

static void add_pids(struct config *cfg, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		usage_error("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (cfg->npids >= CLI_MAX_PIDS)
			usage_error("-p: too many PIDs (at most %d)", CLI_MAX_PIDS);
		cfg->pids[cfg->npids++] = need_uint("-p", tok, 1, 4194304);
	}
	free(copy);
	if (!cfg->npids)
		usage_error("-p '%s': no PID", arg);
}

static void parse_by(struct config *cfg, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		usage_error("out of memory");
	cfg->by = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "event"))
			cfg->by |= BY_EVENT;
		else if (!strcmp(tok, "pid"))
			cfg->by |= BY_PID;
		else if (!strcmp(tok, "comm"))
			cfg->by |= BY_COMM;
		else if (!strcmp(tok, "uid"))
			cfg->by |= BY_UID;
		else
			usage_error("--by '%s': unknown key (event, pid, comm, uid)", tok);
	}
	free(copy);
	if (!cfg->by)
		usage_error("--by '%s': no key", arg);
}

static const struct argp argp_def;

/*
 * argp, told to say nothing (ARGP_NO_ERRS), reports a bad option without
 * saying which: walk argv as getopt does, with the same table, to name it.
 */
__attribute__((noreturn)) static void bad_option(int argc, char **argv)
{
	const struct argp_option *o, *hit;
	const char *last_arg;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *p;

		if (!strcmp(a, "--") || a[0] != '-' || !a[1])
			break; /* the command starts here (ARGP_IN_ORDER) */
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int nhit = 0;

			hit = NULL;
			for (o = opts; o->name || o->key || o->doc; o++) {
				if (!o->name || strncmp(o->name, name, len))
					continue;
				if (strlen(o->name) == len) {
					hit = o, nhit = 1;
					break;
				}
				if (!hit || hit->key != o->key)
					nhit++;
				hit = o;
			}
			if (!nhit)
				usage_error("unknown option '--%.*s'", (int)(len > 64 ? 64 : len), name);
			if (nhit > 1)
				usage_error("ambiguous option '--%.*s'", (int)(len > 64 ? 64 : len), name);
			if (hit->arg && !eq) {
				if (i + 1 >= argc)
					usage_error("option '--%s' needs a value (%s)", hit->name, hit->arg);
				i++;
			} else if (!hit->arg && eq) {
				usage_error("option '--%s' takes no value", hit->name);
			}
			continue;
		}
		for (p = a + 1; *p; p++) {
			const char *arg = NULL;

			hit = NULL;
			last_arg = NULL;
			for (o = opts; o->name || o->key || o->doc; o++) {
				if (!(o->flags & OPTION_ALIAS))
					last_arg = o->arg;
				if (o->key == (unsigned char)*p && isprint((unsigned char)*p)) {
					hit = o;
					arg = last_arg;
					break;
				}
			}
			if (!hit) {
				if (isprint((unsigned char)*p) && strlen(a) > 2)
					usage_error("unknown option '-%c' (in '%.64s')", *p, a);
				if (isprint((unsigned char)*p))
					usage_error("unknown option '-%c'", *p);
				usage_error("unknown option: byte 0x%02x in '-...'", (unsigned char)*p);
			}
			if (arg) {
				if (!p[1] && i + 1 >= argc)
					usage_error("option '-%c' needs a value (%s)", *p, arg);
				if (!p[1])
					i++;
				break;
			}
		}
	}
	usage_error("bad command line");
}

static int parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	static int saw_interval, saw_by, saw_top, saw_cumulative, saw_max_keys, saw_duration,
		saw_ringbuf, saw_str_size;

	switch (key) {
	case 'p':
		add_pids(cfg, arg);
		break;
	case 'j':
		cfg->json = true;
		break;
	case 'o':
		if (!*arg)
			usage_error("-o '': no file name");
		cfg->output_path = arg; /* '-' is stdout (outfile.c) */
		cfg->output_set = true;
		break;
	case 'd': {
		int err = parse_seconds(arg, 10ull * 365 * 24 * 3600, &cfg->duration_ns);

		if (err == -EINVAL)
			usage_error("-d '%s': not a number of seconds (e.g. 10 or 0.5)", arg);
		if (err)
			usage_error("-d '%s': out of range (0.001 to %llu seconds)", arg,
				    10ull * 365 * 24 * 3600);
		saw_duration = 1;
		break;
	}
	case 'e':
		add_globs("-e", arg, cfg->include, &cfg->ninclude);
		break;
	case 'x':
		add_globs("-x", arg, cfg->exclude, &cfg->nexclude);
		break;
	case 's':
		cfg->str_size = need_uint("-s", arg, 1, PA_STR_MAX);
		saw_str_size = 1;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case 'q':
		cfg->quiet = true;
		break;
	case OPT_PROBE:
		if (!strcmp(arg, "auto"))
			cfg->probe = PROBE_AUTO;
		else if (!strcmp(arg, "usdt"))
			cfg->probe = PROBE_USDT;
		else if (!strcmp(arg, "uprobe"))
			cfg->probe = PROBE_UPROBE;
		else
			usage_error("--probe '%s': expected auto, usdt or uprobe", arg);
		break;
	case OPT_RINGBUF: {
		unsigned long long k = need_uint("--ringbuf-size", arg, 64, 1 << 20);

		if (k & (k - 1))
			usage_error("--ringbuf-size '%s': not a power of two", arg);
		cfg->ringbuf_kib = k;
		saw_ringbuf = 1;
		break;
	}
	case OPT_LIST:
		cfg->list = true;
		break;
	case OPT_APPEND:
		cfg->append = true;
		break;
	case OPT_ROTATE: {
		uint64_t size;

		if (outfile_parse_rotate(arg, &size, &cfg->rotate_count))
			usage_error("--rotate '%s': expected SIZE[,COUNT], SIZE at least 4096 bytes "
				    "(K, M, G suffixes), COUNT 1 to 1000", arg);
		cfg->rotate_size = size;
		break;
	}
	case OPT_TIME_FORMAT:
		if (!strcmp(arg, "epoch"))
			cfg->time_format = TIME_EPOCH;
		else if (!strcmp(arg, "rfc3339"))
			cfg->time_format = TIME_RFC3339;
		else
			usage_error("--time-format '%s': expected epoch or rfc3339", arg);
		break;
	case OPT_METRICS:
		if (metrics_check_addr(arg))
			usage_error("--metrics '%s': expected ADDR:PORT (an IPv6 address in brackets: "
				    "[::1]:9464), PORT 0 to 65535", arg);
		cfg->metrics = arg;
		break;
	case 'c':
		cfg->count = true;
		break;
	case 'i':
		cfg->interval_s = need_uint("-i", arg, 1, 24 * 3600);
		saw_interval = 1;
		break;
	case OPT_CUMULATIVE:
		cfg->cumulative = true;
		saw_cumulative = 1;
		break;
	case OPT_BY:
		parse_by(cfg, arg);
		saw_by = 1;
		break;
	case OPT_TOP:
		cfg->top = need_uint("--top", arg, 1, 1000000);
		saw_top = 1;
		break;
	case 'f':
		cfg->follow = true;
		break;
	case OPT_WAIT:
		cfg->wait = true;
		break;
	case OPT_EMPTY_PROBE:
		cfg->empty_probe = true;
		break;
	case OPT_NO_HOLD:
		cfg->no_hold = true;
		break;
	case OPT_MAX_KEYS:
		cfg->max_keys = need_uint("--max-keys", arg, 1, 1 << 24);
		saw_max_keys = 1;
		break;
	case OPT_HIST:
		cfg->hist = true;
		break;
	case 'u': {
		/* a user name as ps and strace take it, or a number */
		struct passwd *pw = *arg && !isdigit((unsigned char)*arg) ? getpwnam(arg) : NULL;

		if (*arg && !isdigit((unsigned char)*arg) && !pw)
			usage_error("-u '%s': no such user", arg);
		cfg->uid = pw ? pw->pw_uid : need_uint("-u", arg, 0, 0xfffffffeu);
		cfg->have_uid = true;
		break;
	}
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15)
			usage_error("--comm '%s': a comm is 1 to 15 bytes", arg);
		cfg->comm = arg;
		break;
	case OPT_CGROUP:
		if (arg[0] != '/' || strlen(arg) >= 4096)
			usage_error("--cgroup '%s': a cgroup path starts with '/'", arg);
		cfg->cgroup = arg;
		break;
	case OPT_CONTAINER: {
		size_t i, n = strlen(arg);

		if (!n || n > 127)
			usage_error("--container '%s': an id is 1 to 127 bytes", arg);
		for (i = 0; i < n; i++)
			if (arg[i] == '/' || (unsigned char)arg[i] < 0x20)
				usage_error("--container '%s': not a container id", arg);
		cfg->container = arg;
		break;
	}
	case OPT_STACK:
		cfg->stack = need_uint("--stack", arg, 1, PA_MAX_FRAMES);
		break;
	case OPT_NO_SITE:
		cfg->no_site = true;
		break;
	case ARGP_KEY_ARG:
		/* the command: everything from here on, options included, is its own */
		cfg->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case OPT_LIST_EVENTS: {
		size_t i;

		/* one row per (event, format): print each name once (the table is sorted) */
		for (i = 0; i < audit_event_table_len; i++)
			if (!i || strcmp(audit_event_table[i].name, audit_event_table[i - 1].name))
				printf("%s\n", audit_event_table[i].name);
		exit(fflush(stdout) || ferror(stdout) ? 1 : 0);
	}
	case 'h':
	case '?':
		argp_help(&argp_def, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK, (char *)PA_PROG);
		exit(0);
	case OPT_USAGE:
		argp_help(&argp_def, stdout, ARGP_HELP_USAGE, (char *)PA_PROG);
		exit(0);
	case 'V':
		printf("%s\n", argp_program_version);
		exit(0);
	case ARGP_KEY_ERROR:
		/* with ARGP_NO_ERRS argp says nothing itself: one line of ours instead */
		bad_option(state->argc, state->argv);
		break;
	case ARGP_KEY_END:
		if (cfg->command && cfg->npids)
			usage_error("-p and a command exclude each other");
		/*
		 * An option that would do nothing in the chosen mode is an error when the
		 * user expects it to change what they get (a filter, a format, a file, a
		 * table's shape): silently ignored, it would mislead.  Only pure tuning
		 * that cannot change the result is a warning.
		 */
		if (cfg->list) {
			if (cfg->count || saw_interval || saw_by || saw_top || saw_cumulative ||
			    saw_max_keys || cfg->hist)
				usage_error("--list does not count: -c, -i, --by, --top, --cumulative, "
					    "--max-keys and --hist do not go with it");
			if (cfg->json)
				usage_error("-j does not go with --list (its output is a table)");
			if (cfg->output_set)
				usage_error("-o does not go with --list (it writes to standard output)");
			if (cfg->ninclude || cfg->nexclude || cfg->have_uid || cfg->comm)
				usage_error("-e, -x, -u and --comm filter events; --list shows none");
			if (saw_duration || cfg->wait || saw_str_size || saw_ringbuf || cfg->empty_probe)
				usage_error("-d, --wait, -s, --ringbuf-size and --empty-probe do not go "
					    "with --list");
		}
		if (!cfg->count && (saw_interval || saw_by || saw_top || saw_cumulative ||
				    (saw_max_keys && !cfg->metrics) || cfg->hist))
			usage_error("-i, --by, --top, --cumulative, --max-keys and --hist go with -c "
				    "(--max-keys with --metrics too)");
		if (cfg->count && saw_str_size)
			pa_warn("-s has no effect with -c (count mode captures no argument)");
		if (saw_cumulative && !saw_interval)
			usage_error("--cumulative goes with -i");
		if (cfg->no_site && cfg->stack)
			usage_error("--stack and --no-site exclude each other");
		if ((cfg->stack || cfg->no_site) && cfg->count)
			usage_error("--stack and --no-site go with trace mode, not -c");
		if (cfg->wait && !cfg->npids)
			usage_error("--wait goes with -p");
		if (cfg->follow && (cfg->list || (!cfg->npids && !cfg->command)))
			usage_error("-f goes with -p or a command (system-wide, every process is "
				    "traced already)");
		if (cfg->list && (cfg->count || (cfg->command && cfg->npids)))
			usage_error("--list goes alone, with -p, or with binaries to look at");
		if ((cfg->append || cfg->rotate_size) &&
		    (!cfg->output_path || !strcmp(cfg->output_path, "-")))
			usage_error("--append and --rotate go with -o FILE");
		if (cfg->list && cfg->metrics)
			usage_error("--metrics does not go with --list");
		if (cfg->metrics && !cfg->count && !cfg->output_path && cfg->json)
			usage_error("--metrics without -c writes events only where -o says "
				    "(-o - for standard output): -j alone would write nothing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp_def = {
	.options = opts,
	.parser = parse_opt,
	.args_doc = "[-- COMMAND [ARG...]]\n--list [-p PID | BINARY...]",
	.doc = doc,
};

int cli_parse(int argc, char **argv, struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->str_size = PA_STR_DEFAULT;
	cfg->ringbuf_kib = 8192;
	cfg->by = BY_EVENT;
	program_invocation_name = program_invocation_short_name = (char *)PA_PROG;
	/* argp's own messages and --help would be two lines and argv[0]-named: ours instead */
	if (argp_parse(&argp_def, argc, argv, ARGP_IN_ORDER | ARGP_NO_ERRS | ARGP_NO_HELP, NULL,
		       cfg))
		usage_error("bad command line");
	return 0;
}
