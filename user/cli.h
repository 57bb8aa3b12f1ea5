/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli.h - the parsed command line: one const struct config, built by cli_parse()
 * and passed down read-only.
 */
#ifndef PA_CLI_H
#define PA_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#define CLI_MAX_PIDS  64
#define CLI_MAX_GLOBS 64

enum probe_choice { PROBE_AUTO = 0, PROBE_USDT, PROBE_UPROBE };

/* count-mode key fields (--by), a bit set */
enum by_field { BY_EVENT = 1 << 0, BY_PID = 1 << 1, BY_COMM = 1 << 2, BY_UID = 1 << 3 };

struct config {
	pid_t pids[CLI_MAX_PIDS];	/* -p; npids == 0 and no command: system-wide */
	int npids;
	char **command;			/* after --, NULL-terminated; NULL if none */
	const char *include[CLI_MAX_GLOBS]; /* -e globs (comma lists split) */
	int ninclude;
	const char *exclude[CLI_MAX_GLOBS]; /* -x globs */
	int nexclude;
	const char *output_path;	/* -o; NULL = stdout */
	bool json;			/* -j */
	bool verbose;			/* -v */
	bool list;			/* --list */
	unsigned duration_s;		/* -d; 0 = until interrupted */
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
	bool empty_probe;		/* --empty-probe: benchmark floor, no events */
	bool no_hold;			/* --no-hold: no fanotify exec hold (user/exechold.c) */
	unsigned max_keys;		/* --max-keys: count map size; 0 = default */
	/* kernel-side filters */
	bool have_uid;
	uid_t uid;			/* -u */
	const char *comm;		/* --comm */
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
int parse_uint(const char *arg, unsigned long long min, unsigned long long max,
	       unsigned long long *out);

#endif
