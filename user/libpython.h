/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libpython.h - the libpython a dynamic executable links (pyenv's and
 * python.org's bin/python3, a program embedding Python), found the way ld.so
 * finds it, from the executable's open file: for --list (user/listing.c) and
 * for a program held at exec or stopped at its first exec (user/discovery.c).
 *
 * The executable is read through user/elf.c (no file over its size cap, every
 * entry charged to the file's work budget, at most LIBPYTHON_MAX_DYN entries).
 * The search is ld.so's without the environment: DT_RUNPATH, else DT_RPATH
 * ($ORIGIN and ${ORIGIN} expanded), then the directories of
 * /etc/ld.so.conf.d/ *.conf, then the standard ones.  Not LD_LIBRARY_PATH (the
 * traced program's, not ours) nor ld.so.cache: a library found only through
 * them is seen when the program maps it.
 */
#ifndef PA_LIBPYTHON_H
#define PA_LIBPYTHON_H

#include <stddef.h>

#define LIBPYTHON_MAX_NEEDED  2	   /* libpython names kept of one executable */
#define LIBPYTHON_MAX_DYN     4096 /* .dynamic entries read */
#define LIBPYTHON_MAX_DIRS    32   /* directories of one RUNPATH / RPATH */
#define LIBPYTHON_NAME_MAX    128
#define LIBPYTHON_RUNPATH_MAX 1024

struct libpython_needed {
	int n; /* libpython names in name[] */
	char name[LIBPYTHON_MAX_NEEDED][LIBPYTHON_NAME_MAX];
	/* DT_RUNPATH, else DT_RPATH, "" if neither (or longer than the buffer) */
	char runpath[LIBPYTHON_RUNPATH_MAX];
};

/*
 * Reads the DT_NEEDED entries naming a libpython ("libpython...", no '/') and
 * the RUNPATH of the ELF file open at fd (not consumed; read from its start
 * whatever its offset).  Returns how many libpython names were found: 0 for
 * none, or for a file that is not a usable dynamic ELF (too large, too costly,
 * no .dynamic / .dynstr).
 */
int libpython_needed(int fd, struct libpython_needed *nd);

/*
 * Opens nd->name[k] as ld.so would find it for a process whose root
 * directory is rootfd (an O_PATH descriptor of "/" or /proc/PID/root) and
 * whose executable is in directory origin (as we reach it: $ORIGIN
 * directories are opened by that path, the others inside rootfd, symbolic
 * links resolved there, magic links refused).  Only a regular file is taken.
 * Returns an O_RDONLY | O_CLOEXEC | O_NONBLOCK descriptor and, when path is
 * not NULL, the path it was opened by (the $ORIGIN one, or one inside rootfd;
 * "" when none was found) in path; -1 if none was found.
 */
int libpython_open(const struct libpython_needed *nd, int k, int rootfd, const char *origin,
		   char *path, size_t size);

#endif
