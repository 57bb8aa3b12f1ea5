/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * listing.h - --list: for every Python process (or the -p ones, or the binaries
 * named on the command line) its CPython version, build kind, and the route and
 * coverage the tracer would get.  Needs no BPF.
 */
#ifndef PA_LISTING_H
#define PA_LISTING_H

#include "cli.h"

/* Prints the table on stdout; returns the exit status. */
int listing_run(const struct config *cfg);

#endif
