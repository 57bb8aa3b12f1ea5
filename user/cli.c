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
	OPT_NO_HOLD,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Trace these processes (all their threads)", 0 },
	{ "json", 'j', NULL, 0, "Write JSON Lines instead of text", 0 },
	{ "output", 'o', "FILE", 0, "Write events to FILE instead of standard output", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{ "event", 'e', "GLOB[,GLOB...]", 0, "Only events whose name matches a glob (repeatable)", 0 },
	{ "exclude", 'x', "GLOB[,GLOB...]", 0, "No events whose name matches a glob (repeatable)", 0 },
	{ "string-size", 's', "SIZE", 0, "Bytes captured per string (default 256, at most 4096)", 0 },
	{ "verbose", 'v', NULL, 0, "Say what is attached where, and libbpf's messages", 0 },
	{ "probe", OPT_PROBE, "auto|usdt|uprobe", 0,
	  "Probe route: the USDT marker python:audit, or uprobes on CPython's audit functions "
	  "(default: usdt where the binary has it)", 0 },
	{ "wait", OPT_WAIT, NULL, 0,
	  "With -p: a process with no Python yet is watched until it loads one (an application "
	  "that embeds Python), instead of being an error", 0 },
	{ "no-hold", OPT_NO_HOLD, NULL, 0,
	  "Do not hold a new program at exec (fanotify) while its Python is probed: its first "
	  "events may then be missed", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "KIB", 0, "Ring buffer size in KiB (default 8192)", 0 },
	{ "empty-probe", OPT_EMPTY_PROBE, NULL, OPTION_HIDDEN,
	  "Attach a program that does nothing at the same places (benchmark floor)", 0 },
	{ "list", OPT_LIST, NULL, 0,
	  "List Python processes (or the -p ones) with version, build and the route each gets", 0 },
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the program version", -1 },
	{ NULL, 0, NULL, 0, "Count mode:", 1 },
	{ "count", 'c', NULL, 0, "Count events in the kernel; print a table at the end", 1 },
	{ "interval", 'i', "SECONDS", 0, "With -c: print the table every SECONDS", 1 },
	{ "cumulative", OPT_CUMULATIVE, NULL, 0, "With -i: counts since start, not per interval", 1 },
	{ "by", OPT_BY, "event,pid,comm,uid", 0, "With -c: the key to count by (default event)", 1 },
	{ "top", OPT_TOP, "N", 0, "With -c: only the N largest rows", 1 },
	{ "max-keys", OPT_MAX_KEYS, "N", 0, "With -c: room for N distinct keys (default 16384)",
	  1 },
	{ "hist", OPT_HIST, NULL, 0,
	  "With -c: per event, a log2 histogram of the time between consecutive events", 1 },
	{ NULL, 0, NULL, 0, "Filters (evaluated in the kernel):", 2 },
	{ "uid", 'u', "UID", 0, "Only events of processes running as UID (a number or a user name)", 2 },
	{ "comm", OPT_COMM, "NAME", 0, "Only events of threads whose comm is NAME", 2 },
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

static int parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	static int saw_interval, saw_by, saw_top, saw_cumulative;

	switch (key) {
	case 'p':
		add_pids(cfg, arg);
		break;
	case 'j':
		cfg->json = true;
		break;
	case 'o':
		cfg->output_path = arg;
		break;
	case 'd':
		cfg->duration_s = need_uint("-d", arg, 1, 10u * 365 * 24 * 3600);
		break;
	case 'e':
		add_globs("-e", arg, cfg->include, &cfg->ninclude);
		break;
	case 'x':
		add_globs("-x", arg, cfg->exclude, &cfg->nexclude);
		break;
	case 's':
		cfg->str_size = need_uint("-s", arg, 1, PA_STR_MAX);
		break;
	case 'v':
		cfg->verbose = true;
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
		break;
	}
	case OPT_LIST:
		cfg->list = true;
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
	case ARGP_KEY_ARG:
		/* the command: everything from here on, options included, is its own */
		cfg->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
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
		usage_error("unknown option, or one missing its value: '%s'",
			    state->next > 0 && state->next <= state->argc ? state->argv[state->next - 1]
									 : "?");
		break;
	case ARGP_KEY_END:
		if (cfg->command && cfg->npids)
			usage_error("-p and a command exclude each other");
		if (cfg->hist)
			cfg->count = true;
		if (!cfg->count && (saw_interval || saw_by || saw_top || saw_cumulative))
			usage_error("-i, --by, --top and --cumulative go with -c");
		if (saw_cumulative && !saw_interval)
			usage_error("--cumulative goes with -i");
		if (cfg->wait && !cfg->npids)
			usage_error("--wait goes with -p");
		if (cfg->list && (cfg->count || (cfg->command && cfg->npids)))
			usage_error("--list goes alone, with -p, or with binaries to look at");
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
