/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * varargs.bpf.h - the C-varargs walker: a va_list or a variadic call's
 * registers and stack slots, read as the C format string says, and the per-CPU
 * format cache (part of pyaudit.bpf.c, included there).
 */
#ifndef PA_VARARGS_BPF_H
#define PA_VARARGS_BPF_H

/* ---- C varargs -------------------------------------------------------------- */

struct va_state {
	__u32 gp_offset;
	__u32 fp_offset;
	__u64 overflow;
	__u64 reg_save;
};

struct slots {
	__u64 overflow; /* next stack slot */
	__u64 save[6];	/* register save area (VALIST) or rdi..r9 (VARARGS) */
	__u32 gp;	/* next register slot, in bytes, up to 48 */
	__u32 _pad;
};

static __always_inline int next_slot(struct slots *sl, __u64 *out)
{
	__u32 idx = sl->gp / 8;

	if (idx < 6) {
		*out = sl->save[idx];
		sl->gp += 8;
		return 0;
	}
	if (rd(out, 8, sl->overflow))
		return -1;
	sl->overflow += 8;
	return 0;
}

/* Is c a Py_BuildValue unit that takes one vararg slot? */
/*
 * Is c a Py_BuildValue unit that takes one vararg slot?  A bit set of the
 * letters, not a switch: branches in the format loop multiply the verifier's work.
 */
static __always_inline int is_unit(char c)
{
	/* bits for 'A'..'Z' (low word) and 'a'..'z' (high word) */
	const __u64 upper = (1ull << ('O' - 'A')) | (1ull << ('N' - 'A')) | (1ull << ('S' - 'A')) |
			    (1ull << ('Z' - 'A')) | (1ull << ('I' - 'A')) | (1ull << ('B' - 'A')) |
			    (1ull << ('H' - 'A')) | (1ull << ('C' - 'A')) | (1ull << ('K' - 'A')) |
			    (1ull << ('L' - 'A'));
	const __u64 lower = (1ull << ('s' - 'a')) | (1ull << ('z' - 'a')) | (1ull << ('y' - 'a')) |
			    (1ull << ('u' - 'a')) | (1ull << ('i' - 'a')) | (1ull << ('b' - 'a')) |
			    (1ull << ('h' - 'a')) | (1ull << ('c' - 'a')) | (1ull << ('k' - 'a')) |
			    (1ull << ('l' - 'a')) | (1ull << ('n' - 'a'));
	__u64 u = (__u8)c;

	if (u >= 'A' && u <= 'Z')
		return (upper >> ((u - 'A') & 31)) & 1;
	if (u >= 'a' && u <= 'z')
		return (lower >> ((u - 'a') & 31)) & 1;
	return 0;
}

/*
 * One format unit's value (and its '#' length) as a value; returns the new
 * offset.  what = unit char | has '#' << 8 | layout index << 16 (five arguments
 * is all a BPF function gets).
 */
__noinline int put_unit(struct scratch *s, __u32 off, __u32 what, __u64 x, __u64 len)
{
	__u32 c = what & 0xff, hash_len = (what >> 8) & 1, lidx = what >> 16;

	if (!s || off >= PA_REC_MAX || !fits(off, 16))
		return -1;
	switch (c) {
	case 'O': case 'N': case 'S':
		return put_obj(s, off, x, lidx);
	case 's': case 'z': case 'y':
		if (!x)
			return put_simple(s, off, PA_V_NONE, 0, 0);
		if (hash_len)
			return put_bytes(s, off, c == 'y' ? PA_V_BYTES : PA_V_CSTR, 1, x, len,
					 cfg_str_size, len);
		return put_cstr(s, off, c == 'y' ? PA_V_BYTES : PA_V_CSTR, x, cfg_str_size);
	case 'u': case 'Z':
		return put_wstr(s, off, x, cfg_str_size);
	case 'i': case 'b': case 'h':
		return put_u64(s, off, PA_V_INT, (__s64)(__s32)x);
	case 'I': case 'B': case 'H':
		return put_u64(s, off, PA_V_UINT, (__u32)x);
	case 'C': /* one code point: a 1-character str (UCS-4) */
		return put_word(s, off, PA_V_STR, 4, 4, 1, (__u32)x);
	case 'c': /* one byte: a 1-byte bytes object */
		return put_word(s, off, PA_V_BYTES, 1, 1, 1, (__u8)x);
	case 'k': case 'K':
		return put_u64(s, off, PA_V_UINT, x);
	}
	return put_u64(s, off, PA_V_INT, x); /* l L n */
}

/*
 * The event's format string into s->fmt: from the format cache when it is a
 * constant of the binary seen before (emit_c_event() set s->fmt_rel), else
 * read.  Returns what bpf_probe_read_user_str() would.
 */
static __always_inline long get_fmt(struct scratch *s, __u64 fmt_ptr)
{
	struct fcache_ent *fe = NULL;
	__u64 rel = s->fmt_rel, seq = s->seq, *d = (__u64 *)s->fmt;
	long n;

	if (s->fmt_id) {
		fe = &s->fcache[(rel ^ (rel >> 5)) & (FCACHE_SIZE - 1)];
		/* as for names: a probe preempting this one moves seq, the record is dropped */
		if (fe->rel == rel && fe->probe_id == s->fmt_id) {
			d[0] = ((__u64 *)fe->fmt)[0];
			d[1] = ((__u64 *)fe->fmt)[1];
			return fe->n;
		}
	}
	__builtin_memset(s->fmt, 0, PA_FMT_MAX);
	n = bpf_probe_read_user_str(s->fmt, PA_FMT_MAX, (const void *)fmt_ptr);
	if (fe && n > 0 && n < PA_FMT_MAX) {
		cache_write_begin(&fe->rel);
		((__u64 *)fe->fmt)[0] = d[0];
		((__u64 *)fe->fmt)[1] = d[1];
		fe->n = n;
		fe->probe_id = s->fmt_id;
		cache_write_end(&fe->rel, rel, s, seq);
	}
	return n;
}

/*
 * Builds the event's arguments from a C format string and its varargs, the way
 * Py_BuildValue + sys_audit_tstate shape them: one top-level unit that is a
 * tuple (a "(...)" group, or "O" given a tuple) IS the argument list; several
 * units are one argument each.  Audit formats never nest parentheses.
 */
__noinline int put_varargs(struct scratch *s, __u32 off, struct slots *sl, __u64 fmt_ptr,
			   __u32 lidx)
{
	struct pa_event *e;
	char *fmt;
	__u32 i, nargs = 0, c, hash_len;
	long n;
	__u64 x, len;
	int next;

	if (!s || !sl || off >= PA_REC_MAX)
		return -1;
	e = (struct pa_event *)s->buf;
	if (!fmt_ptr)
		return off;
	fmt = s->fmt;
	n = get_fmt(s, fmt_ptr);
	if (n <= 0) {
		count_drop(PA_ERR_READ);
		e->flags |= PA_EV_FMT_UNSUPPORTED;
		return off;
	}
	if (n == PA_FMT_MAX) {
		e->flags |= PA_EV_FMT_UNSUPPORTED;
		return off;
	}
	/*
	 * Audit formats have one group at most, and only as the whole format
	 * ("(O)"): its units are the arguments, as are the units of a format
	 * without one, so parentheses are simply skipped below.  A lone "O" is
	 * the other shape rule: given a tuple, that tuple is the argument list.
	 * (No loop here: a scan that counts units multiplies the verifier's work.)
	 */
	if (fmt[0] == 'O' && fmt[1] == 0) {
		const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
		struct tcache_ent *ti;
		__u64 type;

		if (next_slot(sl, &x)) {
			count_drop(PA_ERR_READ);
			return off;
		}
		e->nargs_total = 1;
		if (!(L->flags & PA_LAYOUT_VALID)) {
			e->flags |= PA_EV_LAYOUT_UNKNOWN;
			return off;
		}
		if (x && !rd(&type, 8, x + L->ob_type) && (ti = type_info(s, type, L)) &&
		    (ti->tpf & PA_TPFLAGS_TUPLE_SUBCLASS)) { /* PyTuple_Check, as CPython */
			next = put_tuple_args(s, off, x, lidx);
			return next < 0 ? off : next;
		}
		next = put_obj(s, off, x, lidx);
		if (next < 0)
			return off;
		e->nargs = 1;
		return next;
	}

	for (i = 0; i < PA_FMT_MAX; i++) {
		c = fmt[i];
		if (!c)
			break;
		if ((c == '(' && i == 0) || c == ')' || c == ' ' || c == ',' || c == ':' ||
		    c == '\t' || c == '#')
			continue;
		if (!is_unit(c)) {
			e->flags |= PA_EV_FMT_UNSUPPORTED;
			break;
		}
		if (next_slot(sl, &x)) {
			count_drop(PA_ERR_READ);
			e->flags |= PA_EV_ARGS_TRUNC;
			break;
		}
		len = 0;
		hash_len = i + 1 < PA_FMT_MAX && fmt[(i + 1) & (PA_FMT_MAX - 1)] == '#';
		if (hash_len && next_slot(sl, &len)) {
			e->flags |= PA_EV_ARGS_TRUNC;
			break;
		}
		nargs++;
		if (nargs > PA_MAX_ARGS) {
			e->flags |= PA_EV_ARGS_TRUNC;
			continue;
		}
		next = put_unit(s, off, c | hash_len << 8 | lidx << 16, x, len);
		if (next <= 0 || (__u32)next == off) {
			e->flags |= PA_EV_ARGS_TRUNC;
			continue;
		}
		off = next;
		e->nargs++;
	}
	e->nargs_total = nargs;
	return off;
}

#endif
