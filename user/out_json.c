// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_json.c - the JSON Lines renderer (-j): one object per event, written
 * through jsonw so that the output is valid JSON whatever the traced process
 * put in its strings.  The schema is described in output.h; numbers stay
 * numbers where JSON can hold them, and every value JSON has no type for (bytes,
 * tuple, dict, opaque objects, cut values) becomes an object with a "type".
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "attach.h"
#include "events.h"
#include "jsonw.h"
#include "output.h"

struct json_out {
	struct output_opts opts;
	struct jsonw *w;
	struct rfc3339_cache rfc3339;
};

struct json_out *json_out__new(const struct output_opts *opts)
{
	struct json_out *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->opts = *opts;
	j->rfc3339.sec = INT64_MIN;
	j->w = jsonw__new(opts->f);
	if (!j->w) {
		free(j);
		return NULL;
	}
	return j;
}

void json_out__free(struct json_out *j)
{
	if (!j)
		return;
	jsonw__free(j->w);
	free(j);
}

/* "truncated": true and, when known, "length": full, for a cut value. */
static void json_cut(struct jsonw *w, const struct pa_value *v)
{
	jsonw_key(w, "truncated");
	jsonw_bool(w, true);
	if (v->full) {
		jsonw_key(w, "length");
		jsonw_uint(w, v->full);
	}
}

/* The width jsonw reads a string-like value's data in: 0 = UTF-8 (C strings). */
static unsigned text_width(const struct pa_value *v)
{
	switch (v->kind) {
	case PA_V_STR:
		return v->aux == 2 || v->aux == 4 ? v->aux : 1;
	case PA_V_WSTR:
		return 4;
	case PA_V_BYTES:
	case PA_V_BYTEARRAY:
		return 1; /* latin-1: byte N is U+00NN */
	default: /* PA_V_CSTR */
		return 0;
	}
}

/* The string itself, for the string-like kinds. */
static void json_text(struct jsonw *w, const struct pa_value *v)
{
	unsigned width = text_width(v);

	if (width)
		jsonw_string_ucs(w, v->data, v->len, width);
	else
		jsonw_string(w, v->data, v->len);
}

/* Units written as U+FFFD in json_text() (then "replaced" says what they were). */
static size_t json_unfit(const struct pa_value *v)
{
	return jsonw_unfit(v->data, v->len, text_width(v));
}

/* "key": [[index, unit], ...] for a string json_text() wrote with replacements. */
static void json_replaced(struct jsonw *w, const char *key, const struct pa_value *v)
{
	jsonw_key(w, key);
	jsonw_replaced(w, v->data, v->len, text_width(v));
}

static void json_pylong(struct jsonw *w, const struct pa_value *v)
{
	uint32_t d[PA_MAX_DIGITS];
	char buf[PYLONG_DECIMAL_SIZE(PA_MAX_DIGITS)];
	unsigned n = v->len / 4, i;
	unsigned __int128 mag = 0;
	bool neg = v->flags & PA_VF_NEG;

	if (value_truncated(v) || n > PA_MAX_DIGITS) {
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, "int");
		jsonw_key(w, "truncated");
		jsonw_bool(w, true);
		jsonw_key(w, "bits");
		jsonw_uint(w, v->full * 30);
		jsonw_end_object(w);
		return;
	}
	memcpy(d, v->data, n * 4);
	while (n && !d[n - 1])
		n--;
	if (n <= 3) { /* up to 90 bits: does it fit a JSON-friendly 64-bit number? */
		for (i = n; i-- > 0;)
			mag = mag << 30 | d[i];
		if (!neg && mag <= INT64_MAX) {
			jsonw_uint(w, (uint64_t)mag);
			return;
		}
		if (neg && mag <= (unsigned __int128)INT64_MAX + 1) {
			jsonw_int(w, mag ? (int64_t)(0 - (uint64_t)mag) : 0);
			return;
		}
	}
	pylong_to_decimal(d, n, neg, buf, sizeof(buf));
	jsonw_start_object(w);
	jsonw_key(w, "type");
	jsonw_cstring(w, "int");
	jsonw_key(w, "value");
	jsonw_cstring(w, buf);
	jsonw_end_object(w);
}

static void json_value(struct jsonw *w, const struct pa_value *v)
{
	int64_t i64;
	uint64_t u64;
	double d;
	unsigned i;

	switch (v->kind) {
	case PA_V_NONE:
		jsonw_null(w);
		return;
	case PA_V_BOOL:
		jsonw_bool(w, v->aux);
		return;
	case PA_V_INT:
		memcpy(&i64, v->data, 8);
		jsonw_int(w, i64);
		return;
	case PA_V_UINT:
		memcpy(&u64, v->data, 8);
		if (u64 > INT64_MAX) {
			/* as for Python ints: beyond int64, a string many JSON readers keep exact */
			char num[24];

			snprintf(num, sizeof(num), "%llu", (unsigned long long)u64);
			jsonw_start_object(w);
			jsonw_key(w, "type");
			jsonw_cstring(w, "int");
			jsonw_key(w, "value");
			jsonw_cstring(w, num);
			jsonw_end_object(w);
			return;
		}
		jsonw_uint(w, u64);
		return;
	case PA_V_PYLONG:
		json_pylong(w, v);
		return;
	case PA_V_FLOAT:
		memcpy(&d, v->data, 8);
		if (isfinite(d)) {
			jsonw_double(w, d);
			return;
		}
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, "float");
		jsonw_key(w, "value");
		jsonw_double(w, d); /* "nan", "inf", "-inf" */
		jsonw_end_object(w);
		return;
	case PA_V_STR:
	case PA_V_CSTR:
	case PA_V_WSTR: {
		size_t unfit = json_unfit(v);

		if (!value_truncated(v) && !unfit) {
			json_text(w, v);
			return;
		}
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, "str");
		jsonw_key(w, "value");
		json_text(w, v);
		if (unfit)
			json_replaced(w, "replaced", v);
		if (value_truncated(v))
			json_cut(w, v);
		jsonw_end_object(w);
		return;
	}
	case PA_V_BYTES:
	case PA_V_BYTEARRAY:
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, v->kind == PA_V_BYTES ? "bytes" : "bytearray");
		jsonw_key(w, "value");
		json_text(w, v);
		if (value_truncated(v))
			json_cut(w, v);
		jsonw_end_object(w);
		return;
	case PA_V_TUPLE:
	case PA_V_LIST:
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, v->kind == PA_V_TUPLE ? "tuple" : "list");
		jsonw_key(w, "value");
		jsonw_start_array(w);
		for (i = 0; i < v->nitems; i++)
			json_value(w, &v->items[i]);
		jsonw_end_array(w);
		if (value_truncated(v))
			json_cut(w, v);
		jsonw_end_object(w);
		return;
	case PA_V_DICT:
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, "dict");
		jsonw_key(w, "len");
		jsonw_uint(w, v->full);
		jsonw_end_object(w);
		return;
	case PA_V_OTHER:
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_string(w, v->data, v->len);
		if (jsonw_unfit(v->data, v->len, 0)) { /* a type name is read from the process */
			jsonw_key(w, "type_replaced");
			jsonw_replaced(w, v->data, v->len, 0);
		}
		if (v->flags & PA_VF_TRUNC) {
			jsonw_key(w, "truncated");
			jsonw_bool(w, true);
		}
		jsonw_end_object(w);
		return;
	default: /* PA_V_UNREADABLE */
		jsonw_start_object(w);
		jsonw_key(w, "type");
		jsonw_cstring(w, "?");
		jsonw_key(w, "error");
		jsonw_cstring(w, "unreadable");
		jsonw_end_object(w);
		return;
	}
}

/* Seconds with 6 decimals, as a JSON number; or an RFC 3339 string. */
static void json_ts(struct json_out *j, int64_t ns)
{
	char buf[RFC3339_MAX];

	if (j->opts.time_format == 2) {
		jsonw_cstring(j->w, format_rfc3339_cached(&j->rfc3339, ns));
		return;
	}
	format_epoch(ns, buf, sizeof(buf));
	jsonw_raw(j->w, buf);
}

static void json_cstr_or_null(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	if (s)
		jsonw_string(w, s, strlen(s));
	else
		jsonw_null(w);
}

static void json_frame(struct jsonw *w, const struct audit_event *ev, unsigned i)
{
	jsonw_start_object(w);
	json_cstr_or_null(w, "file", ev->site[i].file);
	jsonw_key(w, "line");
	if (ev->site[i].line >= 0)
		jsonw_int(w, ev->site[i].line);
	else
		jsonw_null(w);
	json_cstr_or_null(w, "function", ev->site[i].function);
	jsonw_end_object(w);
}

/* Who raised the event: process context, and the Python call site. */
static void json_context(struct json_out *j, const struct audit_event *ev)
{
	struct jsonw *w = j->w;
	unsigned i;

	if (!ev->ppid)
		return; /* a record without context (every process has a parent) */
	jsonw_key(w, "ppid");
	jsonw_uint(w, ev->ppid);
	jsonw_key(w, "nspid");
	if (ev->nspid && ev->nspid != ev->pid)
		jsonw_uint(w, ev->nspid);
	else
		jsonw_null(w);
	json_cstr_or_null(w, "exe", ev->exe);
	json_cstr_or_null(w, "cgroup", ev->cgroup);
	json_cstr_or_null(w, "container_id",
			  ev->container && ev->container[0] ? ev->container : NULL);
	if (!ev->site_wanted)
		return;
	jsonw_key(w, "site");
	if (ev->nsite)
		json_frame(w, ev, 0);
	else
		jsonw_null(w);
	if (j->opts.stack) {
		jsonw_key(w, "stack");
		jsonw_start_array(w);
		for (i = 0; i < ev->nsite && i < j->opts.stack; i++)
			json_frame(w, ev, i);
		jsonw_end_array(w);
	}
}

int json_out__event(struct json_out *j, const struct audit_event *ev)
{
	struct jsonw *w = j->w;
	const struct event_info *info = NULL;
	const struct probe_info *probe = NULL;
	char name[PA_NAME_MAX * 4 + 1], argname[64];
	bool named = false;
	unsigned i;

	jsonw_start_object(w);
	jsonw_key(w, "ts");
	json_ts(j, output_wall_ns(&j->opts, ev));
	jsonw_key(w, "pid");
	jsonw_uint(w, ev->pid);
	jsonw_key(w, "tid");
	jsonw_uint(w, ev->tid);
	jsonw_key(w, "uid");
	jsonw_uint(w, ev->uid);
	jsonw_key(w, "comm");
	jsonw_string(w, ev->comm, strlen(ev->comm));
	if (jsonw_unfit(ev->comm, strlen(ev->comm), 0)) {
		jsonw_key(w, "comm_replaced");
		jsonw_replaced(w, ev->comm, strlen(ev->comm), 0);
	}
	jsonw_key(w, "event");
	json_text(w, &ev->name);
	if (json_unfit(&ev->name))
		json_replaced(w, "event_replaced", &ev->name);
	if (value_truncated(&ev->name)) { /* longer than PA_NAME_MAX: the name is a prefix */
		jsonw_key(w, "event_truncated");
		jsonw_bool(w, true);
	}

	jsonw_key(w, "args");
	jsonw_start_array(w);
	for (i = 0; i < ev->nargs; i++)
		json_value(w, &ev->args[i]);
	jsonw_end_array(w);

	if (ev->nargs && !value_truncated(&ev->name) &&
	    value_to_utf8(&ev->name, name, sizeof(name)) < sizeof(name))
		info = event_lookup_args(name);
	for (i = 0; i < ev->nargs && info && !named; i++)
		named = event_info_arg_name(info, i, argname, sizeof(argname)) != NULL;
	if (named) {
		jsonw_key(w, "arg_names");
		jsonw_start_array(w);
		for (i = 0; i < ev->nargs; i++) {
			if (event_info_arg_name(info, i, argname, sizeof(argname)))
				jsonw_cstring(w, argname);
			else
				jsonw_null(w);
		}
		jsonw_end_array(w);
	}
	if (ev->flags & PA_EV_ARGS_TRUNC) {
		jsonw_key(w, "args_truncated");
		jsonw_bool(w, true);
	}
	if (ev->nargs_total != ev->nargs) {
		jsonw_key(w, "nargs");
		jsonw_uint(w, ev->nargs_total);
	}
	if (ev->flags & PA_EV_FMT_UNSUPPORTED) {
		jsonw_key(w, "format_unsupported");
		jsonw_bool(w, true);
	}
	if (ev->flags & PA_EV_LAYOUT_UNKNOWN) {
		jsonw_key(w, "layout_unknown");
		jsonw_bool(w, true);
	}

	if (j->opts.probe_lookup)
		probe = j->opts.probe_lookup(j->opts.probe_ctx, ev->probe_id);
	if (probe && probe->route) {
		jsonw_key(w, "route");
		jsonw_cstring(w, probe->route);
	}
	if (probe && probe->python) {
		jsonw_key(w, "python");
		jsonw_cstring(w, probe->python);
	}
	if (probe) {
		jsonw_key(w, "complete");
		jsonw_bool(w, probe->complete);
	}
	json_context(j, ev);
	jsonw_end_object(w);
	jsonw_end_line(w);
	return 0;
}
