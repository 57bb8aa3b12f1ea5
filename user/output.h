/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output.h - the output of decoded events (output.c), rendered as text
 * (out_text.c) or JSON Lines (out_json.c), chosen once at start.
 *
 * Text, one line per event:
 *   14:02:07.120431 python3[4242/4243] open(path='/etc/passwd', mode='r', flags=524288)
 * local wall time, comm[pid/tid], the event name, and the arguments as Python's
 * repr() would show them, named after the event table where it documents a
 * name for the position.  Strings are escaped as escape.h says (lossless).
 * Truncation is marked with "...": after a cut value ('abcd'...), as the last
 * item of a container with items left out ((1, 2, ...)), and as the last
 * argument when arguments were left out (PA_EV_ARGS_TRUNC, nargs < nargs_total,
 * PA_EV_FMT_UNSUPPORTED).  Values that have no repr: <dict len=N>,
 * <TYPE object>, <?> for unreadable, and <int, ~N bits> for an int too large to
 * capture whole (only its low digits were read).
 *
 * JSON Lines, one object per event:
 *   {"ts": 1764000000.123456, "pid": 4242, "tid": 4243, "uid": 0, "comm": "python3",
 *    "event": "open", "args": ["/etc/passwd", "r", 524288],
 *    "arg_names": ["path", "mode", "flags"], "route": "usdt", "python": "3.11.2",
 *    "complete": true}
 * "arg_names" is present when the table names at least one captured argument
 * (null where it names none); "args_truncated": true with PA_EV_ARGS_TRUNC,
 * "nargs": N when N arguments existed but fewer were captured,
 * "format_unsupported": true / "layout_unknown": true with those event flags;
 * route/python/complete come from probe_lookup() and are left out when unknown.
 * Process context after them: "ppid", "nspid" (null when it is the pid),
 * "exe", "cgroup" (null when unknown), "container_id" (null on the host or
 * when unknown); with the call site captured, "site": {"file", "line",
 * "function"} or null, and with --stack "stack": [frames, innermost first].
 * Text shows ppid=, ctr= (12 characters of a 64-hex id) and nspid= inside the
 * brackets, and the site as " at FILE:LINE in FUNCTION" (", from ..." per
 * further frame).
 * Values: str -> string; int -> number, or {"type": "int", "value": "<decimal>"}
 * beyond int64/uint64, or {"type": "int", "truncated": true, "bits": N} when cut;
 * float -> number, or {"type": "float", "value": "nan"|"inf"|"-inf"};
 * None -> null; bool; bytes/bytearray -> {"type": "bytes", "value": "<latin-1>"};
 * tuple/list -> {"type": "tuple", "value": [...]}; dict -> {"type": "dict",
 * "len": N}; other -> {"type": "<type name>"}; unreadable -> {"type": "?",
 * "error": "unreadable"}.  A str holding units I-JSON cannot carry (lone
 * surrogates, noncharacters, invalid UTF-8 of a C string) is an object
 * {"type": "str", "value": "<with U+FFFD>", "replaced": [[INDEX, UNIT], ...]}
 * (jsonw_replaced()); "event_replaced" / "comm_replaced" / "type_replaced"
 * likewise beside "event", "comm" and an opaque object's "type".  A cut str/bytes/tuple/list is an object with
 * "truncated": true and "length": the full size (code points for str, bytes
 * for bytes and for C strings of known size, items; left out when unknown).
 */
#ifndef PA_OUTPUT_H
#define PA_OUTPUT_H

#include <stdio.h>
#include "decode.h"
#include "values.h"

struct probe_info; /* attach.h */
struct output;

struct output_opts {
	FILE *f;
	int json;
	unsigned str_size;	/* -s, to say in JSON where strings were cut */
	int verbose;
	/* --time-format (enum time_format of cli.h): 0 = HH:MM:SS.us in text, epoch in JSON;
	 * 1 = epoch seconds in both; 2 = RFC 3339, local time with its offset, as a
	 * string in JSON: "2026-12-06T10:45:11.123456+01:00". */
	int time_format;
	unsigned stack;		/* --stack N: the "stack" array (text: the frames after the first) */
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

/* ---- between the renderers (not for other modules) ---- */

/* The text renderer behind output__new() (out_text.c). */
struct text_out;
struct text_out *text_out__new(const struct output_opts *opts); /* NULL, errno set */
int text_out__event(struct text_out *t, const struct audit_event *ev);
void text_out__free(struct text_out *t); /* NULL is fine */

/* JSON Lines state behind output__new() when opts->json is set (out_json.c). */
struct json_out;
struct json_out *json_out__new(const struct output_opts *opts); /* NULL, errno set */
int json_out__event(struct json_out *j, const struct audit_event *ev);
void json_out__free(struct json_out *j);

/* Wall-clock ns of an event, shared so text and JSON agree. */
static inline int64_t output_wall_ns(const struct output_opts *opts, const struct audit_event *ev)
{
	/* Unsigned: a wild ts_ns from a garbled record wraps instead of overflowing. */
	return (int64_t)(ev->ts_ns + (uint64_t)opts->mono_to_real_ns);
}

#endif
