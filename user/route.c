// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * route.c - the probe route of a Python binary (see route.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pybin.h"
#include "route.h"

int pybin_route(const struct pybin *b, enum probe_choice probe, const char *name,
		struct route_decision *out)
{
	int usdt = probe == PROBE_USDT || (probe == PROBE_AUTO && b->nusdt);

	memset(out, 0, sizeof(*out));
	if (usdt && !b->nusdt) {
		out->route = "-";
		out->coverage = "no usdt marker";
		snprintf(out->why, sizeof(out->why),
			 "no USDT marker python:audit in %s (try --probe uprobe)", name);
		return -ENOTSUP;
	}
	if (usdt) {
		out->route = "usdt";
		out->usdt = 1;
		out->complete = 1;
		out->coverage = "complete";
		return 0;
	}
	if (!b->nuprobe) {
		out->route = "-";
		out->coverage = "no probe point";
		if (probe == PROBE_UPROBE)
			snprintf(out->why, sizeof(out->why),
				 "no audit function found for uprobes in %s%s", name,
				 b->nusdt ? " (try --probe usdt)" : "");
		else
			snprintf(out->why, sizeof(out->why), "no usable audit probe point in %s",
				 name);
		return -ENOTSUP;
	}
	out->route = "uprobe";
	out->complete = b->uprobe_complete;
	out->gap = out->complete ? NULL : b->uprobe_gap;
	out->coverage = out->complete ? "complete" : "partial";
	return 0;
}
