/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decode.h - raw ring-buffer record -> struct audit_event.  Every length is
 * checked against the record: a short or garbled record is rejected whole,
 * never read past its end.
 */
#ifndef PA_DECODE_H
#define PA_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "pyaudit.h"

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

struct audit_event {
	uint64_t ts_ns;		/* CLOCK_MONOTONIC */
	uint32_t pid, tid, uid, probe_id;
	uint64_t name_hash;
	char comm[17];		/* NUL-terminated */
	uint32_t flags;		/* PA_EV_* */
	struct pa_value name;
	unsigned nargs;		/* args decoded */
	unsigned nargs_total;	/* args the event had */
	struct pa_value args[PA_MAX_ARGS];
	struct pa_value pool[PA_MAX_ARGS * PA_MAX_ITEMS];
	unsigned npool;
};

/*
 * Decodes a PA_REC_EVENT record of size bytes.  Returns 0, or -EINVAL if the
 * record is short, a length or count does not fit, or a kind is unknown.
 */
int decode_event(const void *rec, size_t size, struct audit_event *ev);

/*
 * Renders a name value (PA_V_CSTR or PA_V_STR) as UTF-8 into buf (NUL-terminated,
 * invalid sequences kept as they are for the escaper).  Returns bytes written.
 */
size_t value_to_utf8(const struct pa_value *v, char *buf, size_t size);

/* FNV-1a 64 over bytes, as BPF computes pa_event.name_hash. */
uint64_t pa_name_hash(const void *data, size_t len);

#endif
