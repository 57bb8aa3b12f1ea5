/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decode.h - raw ring-buffer record -> struct audit_event.  Every length is
 * checked against the record: a short or garbled record is rejected whole,
 * never read past its end.
 *
 * What decode_event() accepts (anything else is -EINVAL):
 *  - size == hdr.len, sizeof(struct pa_event) <= size <= PA_REC_MAX,
 *    hdr.kind == PA_REC_EVENT, nargs <= PA_MAX_ARGS, nargs <= nargs_total;
 *  - then exactly 1 + nargs values (plus the items of containers), each a
 *    struct pa_val and len payload bytes padded to 8; the record ends with the
 *    last value, its padding included or not, and nothing after it;
 *  - the name value is PA_V_CSTR or PA_V_STR;
 *  - per kind: NONE, BOOL (aux 0 or 1), TUPLE, LIST, DICT, UNREADABLE carry no
 *    payload; INT, UINT, FLOAT exactly 8 bytes; PYLONG len == 4 * aux,
 *    aux <= PA_MAX_DIGITS, aux <= full, each digit < 2^30; STR aux in {1,2,4},
 *    len a multiple of aux, len / aux <= full; BYTES, BYTEARRAY len <= full;
 *    WSTR len a multiple of 4; OTHER len <= PA_TYPE_NAME_MAX; CSTR any len;
 *  - TUPLE/LIST: aux <= PA_MAX_ITEMS items follow, aux <= full; an item may be
 *    a container itself (one more level), an item of that may not; all items
 *    together fit in audit_event.pool;
 *  - frames: frames_off == 0 and nframes == 0, or the values end exactly at
 *    frames_off (8-aligned), nframes <= PA_MAX_FRAMES struct pa_frame follow,
 *    then for each frame with PA_FR_INFO four values and nothing after them
 *    (a STR filename, a STR name, a BYTES line table and an INT first line:
 *    values of other kinds leave the frame without info, has_info false).
 * Unknown bits in pa_event.flags and pa_val.flags are ignored.
 *
 * Payloads are passed on as they are: a NUL inside a PA_V_CSTR (possible with
 * the "s#" format) is not a terminator, the renderers show it as \x00.
 */
#ifndef PA_DECODE_H
#define PA_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pyaudit.h"

/* Deepest container nesting accepted: an argument tuple of tuples. */
#define PA_MAX_NEST 2

/* One decoded value; points into the record (valid while the record is). */
struct pa_value {
	unsigned kind;		/* enum pa_val_kind */
	unsigned flags;		/* PA_VF_* */
	unsigned aux;
	uint64_t full;
	const uint8_t *data;	/* payload */
	uint32_t len;		/* payload bytes */
	unsigned nitems;	/* PA_V_TUPLE / PA_V_LIST: items decoded */
	struct pa_value *items; /* into audit_event.pool */
};

/* One frame of the call site (struct pa_frame), with its code info if sent. */
struct pa_site_frame {
	uint64_t code, fp;
	uint32_t lasti;		/* byte offset of the instruction in the bytecode */
	unsigned flags;		/* PA_FR_* */
	bool has_info;		/* PA_FR_INFO, of the right kinds: the four values below */
	struct pa_value filename, name, linetable, firstlineno;
};

struct audit_event {
	uint64_t ts_ns;		/* CLOCK_MONOTONIC */
	uint32_t pid, tid, uid, probe_id;
	uint64_t name_hash;
	uint64_t cgroup_id;
	uint32_t ppid, nspid;
	uint64_t start_ns, exe_ino;
	unsigned nframes;
	struct pa_site_frame frames[PA_MAX_FRAMES];
	char comm[17];		/* NUL-terminated */
	uint32_t flags;		/* PA_EV_* */
	struct pa_value name;
	unsigned nargs;		/* args decoded */
	unsigned nargs_total;	/* args the event had */
	struct pa_value args[PA_MAX_ARGS];
	struct pa_value pool[PA_MAX_ARGS * PA_MAX_ITEMS];
	unsigned npool;
	/*
	 * Filled by the tracer after decoding, for the renderers (NULL: unknown,
	 * or not asked for).  container is "" on the host.
	 */
	const char *exe, *cgroup, *container;
	bool site_wanted;	/* the site was captured: "site" is null when nsite == 0 */
	unsigned nsite;		/* resolved frames of the call site, innermost first */
	struct {
		const char *file, *function; /* UTF-8 (may be invalid: renderers escape) */
		int line;	/* -1: none (an instruction without a line) */
	} site[PA_MAX_FRAMES];
};

/*
 * Decodes a PA_REC_EVENT record of size bytes.  Returns 0, or -EINVAL if the
 * record is short, a length or count does not fit, or a kind is unknown (the
 * rules are above).  Allocates nothing; *ev points into rec afterwards.
 */
int decode_event(const void *rec, size_t size, struct audit_event *ev);

/*
 * Renders a name value (PA_V_CSTR or PA_V_STR) as UTF-8 into buf (NUL-terminated,
 * invalid sequences kept as they are for the escaper).  Returns the length of
 * the whole rendering, as snprintf() does: a result >= size means buf holds a
 * cut prefix (callers looking a name up must not use it then).  A NUL inside
 * the name is written as the two bytes C0 80 so it cannot shorten the string;
 * a lone surrogate is written as its 3-byte (invalid) encoding.  Any other
 * kind renders as "" (returns 0).
 */
size_t value_to_utf8(const struct pa_value *v, char *buf, size_t size);

/*
 * True if v holds less than the object had: PA_VF_TRUNC, or fewer code points
 * (PA_V_STR), bytes (PA_V_BYTES, PA_V_BYTEARRAY), digits (PA_V_PYLONG) or items
 * (PA_V_TUPLE, PA_V_LIST) than its full count.  Renderers mark it with "...".
 */
bool value_truncated(const struct pa_value *v);

/* FNV-1a 64 over bytes, as BPF computes pa_event.name_hash. */
uint64_t pa_name_hash(const void *data, size_t len);

#endif
