// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decode.c - turns a PA_REC_EVENT ring-buffer record into a struct audit_event
 * for the renderers and the name filter.
 *
 * The record comes from BPF, but is treated as untrusted input all the same: a
 * verifier workaround or an ABI drift must produce a rejected record, not an
 * out-of-bounds read.  So every offset is checked against the record size
 * before anything is read at it, counts are checked against the limits of
 * pyaudit.h, and the walk is bounded by the record and by PA_MAX_NEST.  The
 * decoded values point into the record; nothing is allocated per event.
 */
#include <errno.h>
#include <string.h>
#include "decode.h"
#include "escape.h"

/* Pin the ABI: a drift in pyaudit.h must fail the build, not the decoding. */
_Static_assert(sizeof(struct pa_rec_hdr) == 16, "abi: pa_rec_hdr");
_Static_assert(offsetof(struct pa_rec_hdr, len) == 4, "abi: pa_rec_hdr.len");
_Static_assert(offsetof(struct pa_rec_hdr, ts_ns) == 8, "abi: pa_rec_hdr.ts_ns");
_Static_assert(sizeof(struct pa_event) == 104, "abi: pa_event");
_Static_assert(offsetof(struct pa_event, ppid) == 72, "abi: pa_event.ppid");
_Static_assert(offsetof(struct pa_event, frames_off) == 96, "abi: pa_event.frames_off");
_Static_assert(sizeof(struct pa_frame) == 24, "abi: pa_frame");
_Static_assert(offsetof(struct pa_event, pid) == 16, "abi: pa_event.pid");
_Static_assert(offsetof(struct pa_event, probe_id) == 28, "abi: pa_event.probe_id");
_Static_assert(offsetof(struct pa_event, name_hash) == 32, "abi: pa_event.name_hash");
_Static_assert(offsetof(struct pa_event, cgroup_id) == 40, "abi: pa_event.cgroup_id");
_Static_assert(offsetof(struct pa_event, comm) == 48, "abi: pa_event.comm");
_Static_assert(offsetof(struct pa_event, nargs) == 64, "abi: pa_event.nargs");
_Static_assert(offsetof(struct pa_event, nargs_total) == 66, "abi: pa_event.nargs_total");
_Static_assert(offsetof(struct pa_event, flags) == 68, "abi: pa_event.flags");
_Static_assert(sizeof(struct pa_val) == 16, "abi: pa_val");
_Static_assert(offsetof(struct pa_val, aux) == 2, "abi: pa_val.aux");
_Static_assert(offsetof(struct pa_val, len) == 4, "abi: pa_val.len");
_Static_assert(offsetof(struct pa_val, full) == 8, "abi: pa_val.full");
_Static_assert(sizeof(((struct audit_event *)0)->comm) ==
		       sizeof(((struct pa_event *)0)->comm) + 1,
	       "audit_event.comm holds pa_event.comm and a NUL");

#define POOL_SIZE (sizeof(((struct audit_event *)0)->pool) / sizeof(struct pa_value))

struct cursor {
	const uint8_t *rec;
	size_t size;
	size_t off; /* next value; off <= size always */
	struct audit_event *ev;
};

/* Per-kind payload rules (see decode.h); v->len is the payload before padding. */
static bool val_ok(const struct pa_val *v)
{
	switch (v->kind) {
	case PA_V_NONE:
	case PA_V_DICT:
	case PA_V_UNREADABLE:
		return v->len == 0;
	case PA_V_BOOL:
		return v->len == 0 && v->aux <= 1;
	case PA_V_TUPLE:
	case PA_V_LIST:
		return v->len == 0 && v->aux <= PA_MAX_ITEMS && v->aux <= v->full;
	case PA_V_INT:
	case PA_V_UINT:
	case PA_V_FLOAT:
		return v->len == 8;
	case PA_V_PYLONG:
		return v->aux <= PA_MAX_DIGITS && v->len == 4u * v->aux && v->aux <= v->full;
	case PA_V_STR:
		return (v->aux == 1 || v->aux == 2 || v->aux == 4) && v->len % v->aux == 0 &&
		       v->len / v->aux <= v->full;
	case PA_V_CSTR:
		return true;
	case PA_V_BYTES:
	case PA_V_BYTEARRAY:
		/* full == 0 with PA_VF_TRUNC: a C string cut before its end, size unknown */
		return v->len <= v->full || (v->full == 0 && (v->flags & PA_VF_TRUNC));
	case PA_V_OTHER:
		return v->len <= PA_TYPE_NAME_MAX;
	case PA_V_WSTR:
		return v->len % 4 == 0;
	}
	return false; /* unknown kind */
}

/* Reads the value at c->off into *out (depth: 0 for a top-level value). */
static int take_value(struct cursor *c, struct pa_value *out, unsigned depth)
{
	struct audit_event *ev = c->ev;
	struct pa_val v;
	size_t start, padded;
	unsigned i;
	int err;

	if (c->size - c->off < sizeof(v))
		return -EINVAL;
	memcpy(&v, c->rec + c->off, sizeof(v));
	start = c->off + sizeof(v);
	if (v.len > c->size - start || !val_ok(&v))
		return -EINVAL;

	out->kind = v.kind;
	out->flags = v.flags;
	out->aux = v.aux;
	out->full = v.full;
	out->data = c->rec + start;
	out->len = v.len;
	out->nitems = 0;
	out->items = NULL;

	/* The padding of the record's last value may be left out. */
	padded = ((size_t)v.len + 7) & ~(size_t)7;
	c->off = padded <= c->size - start ? start + padded : c->size;

	switch (v.kind) {
	case PA_V_OTHER: {
		/*
		 * tp_name of a static type carries its module ("posix.DirEntry");
		 * Python calls the type by what follows the last dot (__name__).
		 */
		const uint8_t *dot = memrchr(out->data, '.', out->len);

		if (dot) {
			out->len -= dot + 1 - out->data;
			out->data = dot + 1;
		}
		break;
	}
	case PA_V_WSTR:
		/*
		 * BPF copies a window of a wchar_t string whose length it cannot
		 * know: the string ends at the first zero code unit; without one
		 * in the window it goes on past what was captured.
		 */
		for (i = 0; i < v.len / 4; i++) {
			uint32_t u;

			memcpy(&u, out->data + 4 * i, 4);
			if (!u)
				break;
		}
		if (i < v.len / 4) {
			out->len = 4 * i;
			out->flags &= ~PA_VF_TRUNC;
		} else {
			out->flags |= PA_VF_TRUNC;
		}
		break;
	case PA_V_PYLONG:
		for (i = 0; i < v.aux; i++) {
			uint32_t d;

			memcpy(&d, out->data + 4 * i, 4);
			if (d >> 30)
				return -EINVAL;
		}
		break;
	case PA_V_TUPLE:
	case PA_V_LIST:
		if (depth >= PA_MAX_NEST)
			return -EINVAL;
		if (v.aux > POOL_SIZE - ev->npool)
			return -EINVAL;
		out->items = &ev->pool[ev->npool];
		out->nitems = v.aux;
		/* reserve the items first so that they stay contiguous */
		ev->npool += v.aux;
		for (i = 0; i < v.aux; i++) {
			err = take_value(c, &out->items[i], depth + 1);
			if (err)
				return err;
		}
		break;
	}
	return 0;
}

/* The call-site frames at off, and the code infos after them (see decode.h). */
static int take_frames(const uint8_t *rec, size_t size, size_t off, unsigned n,
		       struct audit_event *ev)
{
	struct cursor c = { .rec = rec, .size = size, .ev = ev };
	unsigned i;
	int err;

	c.off = off + (size_t)n * sizeof(struct pa_frame);
	for (i = 0; i < n; i++) {
		struct pa_site_frame *f = &ev->frames[i];
		struct pa_frame pf;

		memcpy(&pf, rec + off + i * sizeof(pf), sizeof(pf));
		memset(f, 0, sizeof(*f));
		f->code = pf.code;
		f->fp = pf.fp;
		f->lasti = pf.lasti;
		f->flags = pf.flags;
		if (!(pf.flags & PA_FR_INFO))
			continue;
		if ((err = take_value(&c, &f->filename, PA_MAX_NEST)) ||
		    (err = take_value(&c, &f->name, PA_MAX_NEST)) ||
		    (err = take_value(&c, &f->linetable, PA_MAX_NEST)) ||
		    (err = take_value(&c, &f->firstlineno, PA_MAX_NEST)))
			return err;
		f->has_info = f->filename.kind == PA_V_STR && f->name.kind == PA_V_STR &&
			      f->linetable.kind == PA_V_BYTES && f->firstlineno.kind == PA_V_INT;
	}
	if (c.off != size)
		return -EINVAL;
	ev->nframes = n;
	return 0;
}

int decode_event(const void *rec, size_t size, struct audit_event *ev)
{
	struct pa_event e;
	struct cursor c = { .rec = rec, .size = size, .ev = ev };
	unsigned i;
	int err;

	if (size < sizeof(e) || size > PA_REC_MAX)
		return -EINVAL;
	memcpy(&e, rec, sizeof(e));
	if (e.hdr.kind != PA_REC_EVENT || e.hdr.len != size || e.nargs > PA_MAX_ARGS ||
	    e.nargs > e.nargs_total)
		return -EINVAL;

	if (e.frames_off ? (e.frames_off < sizeof(e) || e.frames_off % 8 || e.frames_off > size ||
			    e.nframes > PA_MAX_FRAMES ||
			    (size - e.frames_off) < e.nframes * sizeof(struct pa_frame))
			 : e.nframes != 0)
		return -EINVAL;
	ev->ts_ns = e.hdr.ts_ns;
	ev->cgroup_id = e.cgroup_id;
	ev->ppid = e.ppid;
	ev->nspid = e.nspid;
	ev->start_ns = e.start_ns;
	ev->exe_ino = e.exe_ino;
	ev->nframes = 0;
	ev->pid = e.pid;
	ev->tid = e.tid;
	ev->uid = e.uid;
	ev->probe_id = e.probe_id;
	ev->name_hash = e.name_hash;
	memcpy(ev->comm, e.comm, sizeof(e.comm));
	ev->comm[sizeof(e.comm)] = '\0';
	ev->flags = e.flags;
	ev->nargs = 0;
	ev->nargs_total = e.nargs_total;
	ev->npool = 0;

	c.off = sizeof(e);
	if (e.frames_off)
		c.size = e.frames_off; /* the values end where the frames start */
	err = take_value(&c, &ev->name, PA_MAX_NEST);
	if (err)
		return err;
	if (ev->name.kind != PA_V_CSTR && ev->name.kind != PA_V_STR)
		return -EINVAL;
	for (i = 0; i < e.nargs; i++) {
		err = take_value(&c, &ev->args[i], 0);
		if (err)
			return err;
	}
	if (c.off != c.size)
		return -EINVAL; /* bytes after the last value */
	ev->nargs = e.nargs;
	if (e.frames_off) {
		err = take_frames(rec, size, e.frames_off, e.nframes, ev);
		if (err)
			return err;
	}
	return 0;
}

/* Appends n bytes to buf as far as they fit; *pos counts all of them. */
static void put(char *buf, size_t size, size_t *pos, const void *s, size_t n)
{
	if (*pos < size) {
		size_t room = size - *pos;

		memcpy(buf + *pos, s, n < room ? n : room);
	}
	*pos += n;
}

size_t value_to_utf8(const struct pa_value *v, char *buf, size_t size)
{
	static const unsigned char nul[2] = { 0xc0, 0x80 }; /* "modified UTF-8" NUL */
	size_t pos = 0, i;

	if (v->kind == PA_V_CSTR) {
		for (i = 0; i < v->len; i++) {
			if (v->data[i])
				put(buf, size, &pos, &v->data[i], 1);
			else
				put(buf, size, &pos, nul, 2);
		}
	} else if (v->kind == PA_V_STR && (v->aux == 1 || v->aux == 2 || v->aux == 4)) {
		for (i = 0; i + v->aux <= v->len; i += v->aux) {
			unsigned char u[4];
			uint32_t cp;
			uint16_t c2;
			size_t n;

			if (v->aux == 1) {
				cp = v->data[i];
			} else if (v->aux == 2) {
				memcpy(&c2, v->data + i, 2);
				cp = c2;
			} else {
				memcpy(&cp, v->data + i, 4);
			}
			if (!cp) {
				put(buf, size, &pos, nul, 2);
				continue;
			}
			n = utf8_encode(cp, u);
			if (!n) {
				u[0] = 0xff; /* not a code point: a byte no UTF-8 has */
				n = 1;
			}
			put(buf, size, &pos, u, n);
		}
	}
	if (size)
		buf[pos < size ? pos : size - 1] = '\0';
	return pos;
}

bool value_truncated(const struct pa_value *v)
{
	if (v->flags & PA_VF_TRUNC)
		return true;
	switch (v->kind) {
	case PA_V_STR:
		return v->aux && v->len / v->aux < v->full;
	case PA_V_BYTES:
	case PA_V_BYTEARRAY:
		return v->len < v->full;
	case PA_V_PYLONG:
		return v->aux < v->full;
	case PA_V_TUPLE:
	case PA_V_LIST:
		return v->nitems < v->full;
	}
	return false;
}

uint64_t pa_name_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = PA_FNV_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= PA_FNV_PRIME;
	}
	return h;
}
