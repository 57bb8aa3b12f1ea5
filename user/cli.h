/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli.h - the parsed command line: one const struct config, built by cli_parse()
 * and passed down read-only.
 */
#ifndef PA_CLI_H
#define PA_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "pyaudit.h"

#define CLI_MAX_PIDS  64
#define CLI_MAX_GLOBS 64

enum probe_choice { PROBE_AUTO = 0, PROBE_USDT, PROBE_UPROBE };

/* count-mode key fields (--by), a bit set */
/* --time-format; TIME_DEFAULT: HH:MM:SS.us in text, epoch seconds in JSON */
enum time_format { TIME_DEFAULT = 0, TIME_EPOCH, TIME_RFC3339 };

/* the bits are ABI: BPF reads them in cfg_by (include/pyaudit.h) */
enum by_field { BY_EVENT = PA_BY_EVENT, BY_PID = PA_BY_PID, BY_COMM = PA_BY_COMM, BY_UID = PA_BY_UID };

struct config {
	pid_t pids[CLI_MAX_PIDS];	/* -p; npids == 0 and no command: system-wide */
	int npids;
	char **command;			/* after --, NULL-terminated; NULL if none */
	const char *include[CLI_MAX_GLOBS]; /* -e globs (comma lists split) */
	int ninclude;
	const char *exclude[CLI_MAX_GLOBS]; /* -x globs */
	int nexclude;
	const char *output_path;	/* -o; NULL or "-" = stdout */
	bool output_set;		/* -o given, '-' included */
	bool append;			/* --append: -o FILE is appended to, not truncated */
	unsigned long long rotate_size;	/* --rotate SIZE[,COUNT]: bytes; 0 = no rotation */
	unsigned rotate_count;		/* files kept: FILE.1 .. FILE.COUNT */
	enum time_format time_format;	/* --time-format */
	const char *metrics;		/* --metrics ADDR:PORT; NULL = none */
	bool json;			/* -j */
	bool verbose;			/* -v */
	bool quiet;			/* -q: no status lines */
	bool list;			/* --list */
	unsigned long long duration_ns;	/* -d; 0 = until interrupted */
	unsigned str_size;		/* -s: bytes captured per string */
	unsigned ringbuf_kib;		/* --ringbuf-size (KiB, power of two) */
	enum probe_choice probe;	/* --probe */
	/* count mode (-c) */
	bool count;
	unsigned interval_s;		/* -i; 0 = once at exit */
	bool cumulative;		/* --cumulative */
	unsigned by;			/* enum by_field bits; default BY_EVENT */
	unsigned top;			/* --top; 0 = all */
	bool hist;			/* --hist */
	bool wait;			/* --wait: -p of a process with no Python yet is watched */
	bool follow;			/* -f: the processes the targets start are traced too */
	bool empty_probe;		/* --empty-probe: benchmark floor, no events */
	bool no_hold;			/* --no-hold: no fanotify exec hold (user/exechold.c) */
	unsigned max_keys;		/* --max-keys: count map size; 0 = default */
	/* kernel-side filters */
	bool have_uid;
	uid_t uid;			/* -u */
	const char *comm;		/* --comm */
	const char *cgroup;		/* --cgroup: a cgroup path (its subtree) */
	const char *container;		/* --container: an id (or a prefix of one), or "host" */
	/* the call site */
	unsigned stack;			/* --stack: frames per event; 0 = the default (1) */
	bool no_site;			/* --no-site */
};

/*
 * Parses argv into *cfg.  Returns 0, or exits the process with status 2 after
 * printing one line on stderr for a usage error (as argp does).
 */
int cli_parse(int argc, char **argv, struct config *cfg);

/*
 * Parses a decimal unsigned integer in [min, max]; rejects "12abc", "-1", "1.5",
 * "" and overflow.  Returns 0 or -EINVAL / -ERANGE.
 */
/*
 * Parses seconds with an optional fraction ("2", "0.5", ".25"; at most 9
 * decimals) into nanoseconds, at least 1 ms and at most max_s seconds.
 * Returns 0 or -EINVAL / -ERANGE.
 */
int parse_seconds(const char *arg, unsigned long long max_s, unsigned long long *ns);

int parse_uint(const char *arg, unsigned long long min, unsigned long long max,
	       unsigned long long *out);

#endif
