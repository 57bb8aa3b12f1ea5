// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * output.c - the output object (output.h): the renderer is chosen once, in
 * output__new(), text (out_text.c) or JSON Lines (out_json.c), and each event
 * goes to it.
 */
#include <errno.h>
#include <stdlib.h>
#include "output.h"

struct output {
	struct output_opts opts;
	struct text_out *text;
	struct json_out *json; /* JSON Lines instead of text */
};

struct output *output__new(const struct output_opts *opts)
{
	struct output *o;

	if (!opts || !opts->f) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->opts = *opts;
	if (opts->json)
		o->json = json_out__new(opts);
	else
		o->text = text_out__new(opts);
	if (!o->json && !o->text) {
		free(o);
		return NULL;
	}
	return o;
}

void output__free(struct output *o)
{
	if (!o)
		return;
	json_out__free(o->json);
	text_out__free(o->text);
	free(o);
}

int output__flush(struct output *o)
{
	if (fflush(o->opts.f) || ferror(o->opts.f))
		return -(errno ? errno : EIO);
	return 0;
}

int output__event(struct output *o, const struct audit_event *ev)
{
	int err;

	errno = 0;
	err = o->json ? json_out__event(o->json, ev) : text_out__event(o->text, ev);
	if (err)
		return err;
	if (ferror(o->opts.f))
		return -(errno ? errno : EIO);
	return 0;
}
