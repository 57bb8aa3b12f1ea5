// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_text.c - the text renderer behind output.c: one line per event,
 * arguments shown as Python's repr() would show them, every string escaped
 * losslessly through escape.h.
 *
 * Big ints go through pylong_to_decimal() and times through values.c, and
 * floats are formatted by jsonw_format_double(), so that text and JSON print
 * the same digits.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "escape.h"
#include "events.h"
#include "jsonw.h"
#include "output.h"

struct text_out {
	struct output_opts opts;
	int64_t hms_sec;       /* the second hms[] was formatted for */
	struct rfc3339_cache rfc3339; /* --time-format rfc3339 */
	char hms[16];	       /* "HH:MM:SS" of hms_sec, local time */
};

struct text_out *text_out__new(const struct output_opts *opts)
{
	struct text_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->opts = *opts;
	o->hms_sec = INT64_MIN;
	o->rfc3339.sec = INT64_MIN;
	return o;
}

void text_out__free(struct text_out *o)
{
	free(o);
}

static void text_value(FILE *f, const struct pa_value *v);

/* Decimal digits of v, without printf's format parsing; at least min digits. */
static void put_u64(FILE *f, uint64_t v, bool neg, int min)
{
	char buf[24];
	int n = sizeof(buf);

	do {
		buf[--n] = '0' + v % 10;
		v /= 10;
	} while (v || (int)sizeof(buf) - n < min);
	if (neg)
		buf[--n] = '-';
	fwrite_unlocked(buf + n, 1, sizeof(buf) - n, f);
}

/* (a, b), (a,), [a, b]; ", ..." when items were left out. */
static void text_items(FILE *f, const struct pa_value *v, char open, char close)
{
	unsigned i;
	bool cut = value_truncated(v);

	putc_unlocked(open, f);
	for (i = 0; i < v->nitems; i++) {
		if (i)
			fputs_unlocked(", ", f);
		text_value(f, &v->items[i]);
	}
	if (cut)
		fputs_unlocked(v->nitems ? ", ..." : "...", f);
	else if (v->kind == PA_V_TUPLE && v->nitems == 1)
		putc_unlocked(',', f);
	putc_unlocked(close, f);
}

static void text_pylong(FILE *f, const struct pa_value *v)
{
	uint32_t d[PA_MAX_DIGITS];
	char buf[PYLONG_DECIMAL_SIZE(PA_MAX_DIGITS)];
	unsigned n = v->len / 4;

	if (value_truncated(v) || n > PA_MAX_DIGITS) {
		/* only the low digits were read: no honest decimal to show */
		fprintf(f, "<int, ~%" PRIu64 " bits>", v->full * 30);
		return;
	}
	memcpy(d, v->data, n * 4);
	pylong_to_decimal(d, n, v->flags & PA_VF_NEG, buf, sizeof(buf));
	fputs_unlocked(buf, f);
}

static void text_value(FILE *f, const struct pa_value *v)
{
	char buf[JSONW_DOUBLE_MAX];
	int64_t i64;
	uint64_t u64;
	double d;

	switch (v->kind) {
	case PA_V_NONE:
		fputs_unlocked("None", f);
		return;
	case PA_V_BOOL:
		fputs_unlocked(v->aux ? "True" : "False", f);
		return;
	case PA_V_INT:
		memcpy(&i64, v->data, 8);
		put_u64(f, i64 < 0 ? 0 - (uint64_t)i64 : (uint64_t)i64, i64 < 0, 1);
		return;
	case PA_V_UINT:
		memcpy(&u64, v->data, 8);
		put_u64(f, u64, false, 1);
		return;
	case PA_V_PYLONG:
		text_pylong(f, v);
		return;
	case PA_V_FLOAT:
		memcpy(&d, v->data, 8);
		jsonw_format_double(d, buf, sizeof(buf));
		fputs_unlocked(buf, f);
		return;
	case PA_V_STR:
		putc_unlocked('\'', f);
		escape_ucs(f, v->data, v->len, v->aux, '\'');
		putc_unlocked('\'', f);
		break;
	case PA_V_WSTR:
		putc_unlocked('\'', f);
		escape_ucs(f, v->data, v->len, 4, '\'');
		putc_unlocked('\'', f);
		break;
	case PA_V_CSTR:
		putc_unlocked('\'', f);
		escape_text(f, v->data, v->len, '\'');
		putc_unlocked('\'', f);
		break;
	case PA_V_BYTES:
		fputs_unlocked("b'", f);
		escape_bytes(f, v->data, v->len, '\'');
		putc_unlocked('\'', f);
		break;
	case PA_V_BYTEARRAY:
		fputs_unlocked("bytearray(b'", f);
		escape_bytes(f, v->data, v->len, '\'');
		fputs_unlocked("')", f);
		break;
	case PA_V_TUPLE:
		text_items(f, v, '(', ')');
		return;
	case PA_V_LIST:
		text_items(f, v, '[', ']');
		return;
	case PA_V_DICT:
		fprintf(f, "<dict len=%" PRIu64 ">", v->full);
		return;
	case PA_V_OTHER:
		putc_unlocked('<', f);
		escape_text(f, v->data, v->len, 0);
		if (v->flags & PA_VF_TRUNC)
			fputs_unlocked("...", f);
		fputs_unlocked(" object>", f);
		return;
	default: /* PA_V_UNREADABLE */
		fputs_unlocked("<?>", f);
		return;
	}
	if (value_truncated(v))
		fputs_unlocked("...", f);
}

static void text_name(FILE *f, const struct pa_value *name)
{
	if (name->kind == PA_V_STR)
		escape_ucs(f, name->data, name->len, name->aux, 0);
	else
		escape_text(f, name->data, name->len, 0);
}

static void text_time(struct text_out *o, const struct audit_event *ev)
{
	int64_t ns = output_wall_ns(&o->opts, ev), sec;
	int64_t sub = ns % 1000000000;

	if (o->opts.time_format) {
		char buf[RFC3339_MAX];

		if (o->opts.time_format == 2) {
			fputs_unlocked(format_rfc3339_cached(&o->rfc3339, ns), o->opts.f);
		} else {
			format_epoch(ns, buf, sizeof(buf));
			fputs_unlocked(buf, o->opts.f);
		}
		putc_unlocked(' ', o->opts.f);
		return;
	}
	if (sub < 0)
		sub += 1000000000;
	sec = (ns - sub) / 1000000000;
	if (sec != o->hms_sec) {
		time_t t = sec;
		struct tm tm;

		if (!localtime_r(&t, &tm) || !strftime(o->hms, sizeof(o->hms), "%H:%M:%S", &tm))
			strcpy(o->hms, "??:??:??");
		o->hms_sec = sec;
	}
	fputs_unlocked(o->hms, o->opts.f);
	putc_unlocked('.', o->opts.f);
	put_u64(o->opts.f, sub / 1000, false, 6);
	putc_unlocked(' ', o->opts.f);
}

/* Inside the brackets: " ppid=N", " ctr=ID" (12 characters of a long id), " nspid=N". */
static void text_context(FILE *f, const struct audit_event *ev)
{
	if (!ev->ppid)
		return; /* a record without context (every process has a parent) */
	fputs_unlocked(" ppid=", f);
	put_u64(f, ev->ppid, false, 1);
	if (ev->container && ev->container[0]) {
		size_t n = strlen(ev->container);

		fputs_unlocked(" ctr=", f);
		escape_text(f, ev->container, n == 64 ? 12 : n, 0);
	}
	if (ev->nspid && ev->nspid != ev->pid) {
		fputs_unlocked(" nspid=", f);
		put_u64(f, ev->nspid, false, 1);
	}
}

int text_out__event(struct text_out *o, const struct audit_event *ev)
{
	FILE *f = o->opts.f;
	const struct event_info *info = NULL;
	char name[PA_NAME_MAX * 4 + 1], argname[64];
	unsigned i;

	text_time(o, ev);
	escape_text(f, ev->comm, strlen(ev->comm), 0);
	putc_unlocked('[', f);
	put_u64(f, ev->pid, false, 1);
	putc_unlocked('/', f);
	put_u64(f, ev->tid, false, 1);
	text_context(f, ev);
	fputs_unlocked("] ", f);
	text_name(f, &ev->name);
	if (value_truncated(&ev->name)) /* longer than PA_NAME_MAX: marked like a value */
		fputs_unlocked("...", f);
	putc_unlocked('(', f);
	if (ev->nargs && !value_truncated(&ev->name) &&
	    value_to_utf8(&ev->name, name, sizeof(name)) < sizeof(name))
		info = event_lookup_args(name);
	for (i = 0; i < ev->nargs; i++) {
		if (i)
			fputs_unlocked(", ", f);
		if (event_info_arg_name(info, i, argname, sizeof(argname))) {
			fputs_unlocked(argname, f);
			putc_unlocked('=', f);
		}
		text_value(f, &ev->args[i]);
	}
	if ((ev->flags & (PA_EV_ARGS_TRUNC | PA_EV_FMT_UNSUPPORTED)) || ev->nargs < ev->nargs_total)
		fputs_unlocked(ev->nargs ? ", ..." : "...", f);
	putc_unlocked(')', f);
	for (i = 0; i < ev->nsite && i < (o->opts.stack ? o->opts.stack : 1); i++) {
		fputs_unlocked(i ? ", from " : " at ", f);
		escape_text(f, ev->site[i].file ? ev->site[i].file : "?",
			    strlen(ev->site[i].file ? ev->site[i].file : "?"), 0);
		putc_unlocked(':', f);
		if (ev->site[i].line >= 0)
			put_u64(f, ev->site[i].line, false, 1);
		else
			putc_unlocked('?', f);
		fputs_unlocked(" in ", f);
		escape_text(f, ev->site[i].function ? ev->site[i].function : "?",
			    strlen(ev->site[i].function ? ev->site[i].function : "?"), 0);
	}
	putc_unlocked('\n', f);
	return 0;
}
