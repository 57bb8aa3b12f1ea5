/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output.h - renderers for decoded events: text (out_text.c) and JSON Lines
 * (out_json.c), chosen once at start.
 */
#ifndef PA_OUTPUT_H
#define PA_OUTPUT_H

#include <stdio.h>
#include "decode.h"

/* What the tracer knows about the probe that produced an event. */
struct probe_info {
	const char *route;	/* "usdt" or "uprobe" */
	const char *python;	/* "3.11.2" */
	const char *binary;	/* path of the probed ELF as the tracer opened it */
	int complete;		/* 1 if the route sees every event of that process */
};

struct output;

struct output_opts {
	FILE *f;
	int json;
	unsigned str_size;	/* -s, to say in JSON where strings were cut */
	int verbose;
	/* Wall-clock time of an event = ts_ns + mono_to_real_ns (set by the tracer). */
	int64_t mono_to_real_ns;
	/* Looks up probe_id; may return NULL. */
	const struct probe_info *(*probe_lookup)(void *ctx, unsigned probe_id);
	void *probe_ctx;
};

struct output *output__new(const struct output_opts *opts); /* NULL, errno set */
/* Writes one event (one line).  Returns 0 or -errno from the stream. */
int output__event(struct output *o, const struct audit_event *ev);
int output__flush(struct output *o);
void output__free(struct output *o);

/* Renders a Python-like big int from 30-bit digits as decimal into buf. */
size_t pylong_to_decimal(const uint32_t *digits, unsigned ndigits, int neg, char *buf,
			 size_t size);

#endif
