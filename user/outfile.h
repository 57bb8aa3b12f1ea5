/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * outfile.h - where events and count tables are written (stdout or -o FILE),
 * safe for daemons and log collectors:
 *
 *  - lines are written whole: the renderers write into a stdio stream whose
 *    bytes are kept here and handed to write(2) only up to the last complete
 *    line, so no reader, rotation or reopen ever sees half a line;
 *  - the file is always opened O_APPEND (and a regular file on stdout gets
 *    O_APPEND too), so after logrotate's copytruncate the next line goes to
 *    the new end of the file, offset 0, not to the old offset behind a run of
 *    NUL bytes;
 *  - outfile__reopen() (SIGHUP, for logrotate's `create`) and the size
 *    rotation (--rotate SIZE[,COUNT]: FILE -> FILE.1 ... FILE.COUNT) happen
 *    between lines;
 *  - the first failed write is kept with its errno (outfile__error()), and
 *    everything after it is discarded: the caller decides how to end.
 */
#ifndef PA_OUTFILE_H
#define PA_OUTFILE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct outfile_opts {
	const char *path;	/* NULL or "-": standard output */
	bool append;		/* keep what FILE holds (else it is truncated at open) */
	uint64_t rotate_size;	/* rotate when FILE would pass this many bytes; 0 = never */
	unsigned rotate_count;	/* files kept besides FILE: FILE.1 .. FILE.COUNT */
};

struct outfile;

/* errno of outfile__open() when --rotate is asked for what is not a regular file. */
#define EFTYPE_ROTATE EMEDIUMTYPE

/* Opens (creates with mode 0600) the file.  NULL with errno set. */
struct outfile *outfile__open(const struct outfile_opts *opts);
/* The stream the renderers write to; its bytes reach the file at outfile__commit(). */
FILE *outfile__stream(struct outfile *f);
/* The name to use in messages: the path, or "standard output". */
const char *outfile__name(const struct outfile *f);
/*
 * Writes every complete line written so far (rotating first if FILE would
 * pass its size).  Returns 0, or -errno of the first failed write (then and
 * later: the error sticks).
 */
int outfile__commit(struct outfile *f);
/*
 * Commits, then reopens FILE by its path (created if missing, appended to).
 * Nothing to do for standard output.  Returns 0 or -errno (the old file is
 * kept then).
 */
int outfile__reopen(struct outfile *f);
/* errno of the first failed write, or 0. */
int outfile__error(const struct outfile *f);
/* How many rotations were done (for tests and -v). */
unsigned outfile__rotations(const struct outfile *f);
/* Commits what is complete and frees everything (NULL is fine). */
void outfile__close(struct outfile *f);

/*
 * Parses --rotate's "SIZE[,COUNT]": SIZE in bytes with an optional K, M or G
 * (powers of 1024), at least 4096; COUNT 1..1000, default 5.  0 or -EINVAL.
 */
int outfile_parse_rotate(const char *arg, uint64_t *size, unsigned *count);

#endif
