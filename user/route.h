/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * route.h - which probe route a Python binary gets for a --probe choice, and
 * what that route sees: decided here once, for attaching and for --list.
 */
#ifndef PA_ROUTE_H
#define PA_ROUTE_H

#include "cli.h"

struct pybin;

struct route_decision {
	const char *route;	/* "usdt" / "uprobe", or "-" if none is usable */
	int usdt;		/* 1 if the route is the USDT marker */
	int complete;		/* 1 if the route sees every event */
	const char *gap;	/* if a route but not complete: what is not seen (may be "") */
	const char *coverage;	/* --list column: complete, partial, no usdt marker, no probe point */
	char why[256];		/* if no route: the message, naming the binary */
};

/*
 * Decides the route of b for the choice probe; name names the binary in the
 * message.  Returns 0, or -ENOTSUP if the choice has no usable probe point in
 * b (out->route is "-" and out->why says why).
 */
int pybin_route(const struct pybin *b, enum probe_choice probe, const char *name,
		struct route_decision *out);

#endif
