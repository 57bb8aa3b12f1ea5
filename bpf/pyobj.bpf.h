/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyobj.bpf.h - bounded readers that copy CPython objects out of the traced
 * process into a record being built.
 *
 * Every object is read through the struct pa_layout of the binary it lives in
 * (chosen by userspace per probe, see PA_COOKIE_LAYOUT): nothing here knows a
 * CPython version.  A failed read is counted in drops[PA_ERR_READ] and the value
 * is reported as PA_V_UNREADABLE, never guessed.  A record is built in a per-CPU
 * scratch buffer with room past PA_REC_MAX so that every write at an offset
 * masked to PA_REC_MAX - 1 stays inside it, whatever the verifier knows of it.
 */
#ifndef PYOBJ_BPF_H
#define PYOBJ_BPF_H

#include "pyaudit.h"

/* What a type is, as far as decoding goes (internal to BPF). */
enum type_kind {
	TK_OTHER = 0, TK_STR, TK_BYTES, TK_LONG, TK_BOOL, TK_TUPLE, TK_LIST, TK_DICT, TK_NONE,
	TK_FLOAT, TK_BYTEARRAY,
};

/*
 * Per-CPU cache of static types: reading tp_flags (and tp_name) of every
 * argument's type would double the reads per event.  Only types without
 * Py_TPFLAGS_HEAPTYPE are kept (static types live as long as the process), and
 * an entry is tied to the address space (mm) it was read in.
 */
#define TCACHE_SIZE 64
#define HEAD_WORDS 8 /* one 64-byte read gives the header and the fields a value needs */
struct tcache_ent {
	__u64 type;
	__u64 mm;
	__u32 kind;	/* enum type_kind */
	__u32 name_len;
	__u64 tpf;
	char name[PA_TYPE_NAME_MAX];
};

/* A C format string of the probed binary, by its address in the binary (see put_varargs). */
#define FCACHE_SIZE 32
struct fcache_ent {
	__u64 rel;
	__u32 probe_id;
	__u32 n;	/* bpf_probe_read_user_str()'s result: length + 1 */
	char fmt[PA_FMT_MAX];
};

struct scratch {
	/*
	 * Offsets are masked below PA_REC_MAX and a copy is at most 8191 bytes
	 * (asm-masked), so this much room makes every write safe for the verifier.
	 * (A per-CPU value may not exceed 32 KiB.)
	 */
	__u8 buf[PA_REC_MAX + 8192 + 64];
	struct tcache_ent tcache[TCACHE_SIZE];
	__u64 mm;		/* current->mm of the event being built */
	__u32 since_wakeup;	/* bytes written since the last wake-up check, this CPU */
	__u32 _pad;
	__u64 seq;		/* bumped by every record started on this CPU */
	__u32 name_hit;		/* the event name came from the name cache */
	__u32 _pad2;
	/*
	 * Working memory of the argument readers.  The BPF stack is 512 bytes for
	 * a whole call chain (probe -> put_varargs -> put_tuple_args -> put_obj
	 * -> put_item), so the arrays live here, one set per level.  A probe that
	 * preempts this one on the CPU may overwrite them: the record is then
	 * dropped as preempted (rec_owned), and what was read meanwhile came
	 * through bpf_probe_read_user only.
	 */
	__u64 args_head[HEAD_WORDS], args_items[16]; /* put_tuple_args, put_obj_array */
	__u64 obj_head[HEAD_WORDS], obj_items[16];   /* put_obj */
	__u64 item_head[HEAD_WORDS];		     /* put_item */
	__u64 va[10];				     /* load_slots: va_list and save area */
	__u64 slots[8];				     /* struct slots of a C event */
	char fmt[PA_FMT_MAX];			     /* put_varargs */
	struct fcache_ent fcache[FCACHE_SIZE];
	__u64 fmt_rel;	/* the event's format string in its binary ... */
	__u32 fmt_id;	/* ... of probe id fmt_id - 1; 0: not a constant of the binary */
	__u32 _pad3;
};
_Static_assert(sizeof(struct scratch) <= 32768, "a per-CPU map value is at most 32 KiB");

/* Object layouts, indexed by PA_COOKIE_LAYOUT; written by userspace via the skeleton. */
struct pa_layout layouts[PA_MAX_LAYOUTS];
/* enum pa_drop_reason counters. */
__u64 drops[PA_DROP_NR];

const volatile __u32 cfg_str_size = PA_STR_DEFAULT;

static __always_inline void count_drop(__u32 reason)
{
	if (reason < PA_DROP_NR)
		__sync_fetch_and_add(&drops[reason], 1);
}

/*
 * The mask is done in asm: clang drops a plain `&` it can prove redundant, and
 * the verifier, which tracks another register, then loses the bound.
 */
static __always_inline __u64 rec_off(__u32 off)
{
	__u64 o = off;

	asm volatile("%0 &= 0x3fff" : "+r"(o)); /* PA_REC_MAX - 1 */
	return o;
}

static __always_inline struct pa_val *val_at(struct scratch *s, __u32 off)
{
	return (struct pa_val *)&s->buf[rec_off(off)];
}

/* A value's header, every field of it. */
static __always_inline void val_set(struct pa_val *v, __u8 kind, __u8 flags, __u16 aux,
				    __u32 len, __u64 full)
{
	v->kind = kind;
	v->flags = flags;
	v->aux = aux;
	v->len = len;
	v->full = full;
}

static __always_inline __u8 *payload_at(struct scratch *s, __u32 off)
{
	return &s->buf[rec_off(off) + sizeof(struct pa_val)];
}

/* Room check: a value with up to `payload` bytes fits below PA_REC_MAX. */
static __always_inline int fits(__u32 off, __u32 payload)
{
	return off + sizeof(struct pa_val) + payload + 8 <= PA_REC_MAX;
}

static __always_inline __u32 put_simple(struct scratch *s, __u32 off, __u8 kind, __u16 aux,
					__u64 full)
{
	val_set(val_at(s, off), kind, 0, aux, 0, full);
	return off + sizeof(struct pa_val);
}

/* A value whose payload is one word (len bytes of it count). */
static __always_inline __u32 put_word(struct scratch *s, __u32 off, __u8 kind, __u16 aux,
				      __u32 len, __u64 full, __u64 x)
{
	val_set(val_at(s, off), kind, 0, aux, len, full);
	*(__u64 *)payload_at(s, off) = x;
	return off + sizeof(struct pa_val) + 8;
}

static __always_inline __u32 put_u64(struct scratch *s, __u32 off, __u8 kind, __u64 x)
{
	return put_word(s, off, kind, 0, 8, 0, x);
}

static __always_inline __u32 put_unreadable(struct scratch *s, __u32 off, __u64 addr)
{
	count_drop(PA_ERR_READ);
	return put_simple(s, off, PA_V_UNREADABLE, 0, addr);
}

/*
 * Copies n bytes from user address src as the payload of a value of the given
 * kind, cut to `limit` and to the room left (PA_VF_TRUNC says so); whole code
 * units of width aux only.
 */
static __always_inline __u32 put_bytes(struct scratch *s, __u32 off, __u8 kind, __u16 aux,
				       __u64 src, __u64 n, __u64 limit, __u64 full)
{
	struct pa_val *v = val_at(s, off);
	__u8 flags = 0;
	__u64 room, want = n;

	if (off + sizeof(struct pa_val) + 8 > PA_REC_MAX)
		return off; /* callers check fits(); this keeps the arithmetic below sound */
	room = PA_REC_MAX - 8 - sizeof(struct pa_val) - off;
	if (want > limit) {
		want = limit;
		flags |= PA_VF_TRUNC;
	}
	if (want > room) {
		want = room;
		flags |= PA_VF_TRUNC;
	}
	if (aux == 2)
		want &= ~1ull;
	else if (aux == 4)
		want &= ~3ull;
	if (want > PA_STR_MAX)
		want = PA_STR_MAX;
	asm volatile("%0 &= 0x1fff" : "+r"(want)); /* already <= PA_STR_MAX */
	if (bpf_probe_read_user(payload_at(s, off), want, (const void *)src))
		return put_unreadable(s, off, src);
	val_set(v, kind, flags, aux, want, full);
	return off + sizeof(struct pa_val) + PA_ALIGN8((__u32)want);
}

/* A NUL-terminated C string (UTF-8 or raw bytes) of at most `limit` bytes. */
static __always_inline __u32 put_cstr(struct scratch *s, __u32 off, __u8 kind, __u64 src,
				      __u32 limit)
{
	struct pa_val *v = val_at(s, off);
	/*
	 * Two bytes more than the limit: a string of exactly `limit` bytes comes back
	 * with its NUL inside the window, a longer one fills the window.
	 */
	__u64 room, want = (__u64)limit + 2;
	long n;

	if (!src)
		return put_simple(s, off, PA_V_NONE, 0, 0);
	if (off + sizeof(struct pa_val) + 8 > PA_REC_MAX)
		return off;
	room = PA_REC_MAX - 8 - sizeof(struct pa_val) - off;
	if (want > room)
		want = room;
	if (want > PA_STR_MAX + 2)
		want = PA_STR_MAX + 2;
	asm volatile("%0 &= 0x1fff" : "+r"(want)); /* already <= PA_STR_MAX + 2 */
	n = bpf_probe_read_user_str(payload_at(s, off), want, (const void *)src);
	if (n <= 0)
		return put_unreadable(s, off, src);
	n -= 1; /* the NUL */
	v->kind = kind;
	v->flags = 0;
	v->aux = 1;
	v->full = 0;
	if ((__u32)n + 1 >= want && n > 0) {
		/* no NUL inside the window: the string goes on */
		v->flags = PA_VF_TRUNC;
		if ((__u32)n > limit)
			n = limit;
	}
	n &= PA_STR_MAX * 2 - 1;
	v->len = n;
	if (!(v->flags & PA_VF_TRUNC))
		v->full = n; /* whole: its size is known (0 = unknown, for a cut one) */
	return off + sizeof(struct pa_val) + PA_ALIGN8((__u32)n);
}

/*
 * A wchar_t (UTF-32) C string, as 'u' units pass it.  Its length is unknown and
 * its bytes contain zeros, so a window is copied and userspace finds the NUL
 * code unit.  The window is read up to the end of the string's page first (that
 * much is readable if its first byte is), then the rest of it, if readable.
 */
static __always_inline __u32 put_wstr(struct scratch *s, __u32 off, __u64 src, __u32 limit)
{
	__u64 want = (__u64)limit * 4, first, rest;
	struct pa_val *v;
	__u32 next;

	if (!src)
		return put_simple(s, off, PA_V_NONE, 0, 0);
	if (want > PA_STR_MAX)
		want = PA_STR_MAX;
	first = 4096 - (src & 4095);
	if (first > want)
		first = want;
	first &= ~3ull;
	next = put_bytes(s, off, PA_V_WSTR, 4, src, first, first, 0);
	v = val_at(s, off);
	if (v->kind != PA_V_WSTR || v->len != first || first >= want)
		return next;
	rest = want - first;
	if (off + sizeof(struct pa_val) + want + 8 > PA_REC_MAX)
		return next;
	asm volatile("%0 &= 0xfff" : "+r"(first)); /* < 4096: the verifier needs it said */
	asm volatile("%0 &= 0xfff" : "+r"(rest));
	if (bpf_probe_read_user(payload_at(s, off) + first, rest, (const void *)(src + first)))
		return next; /* the next page is not mapped: the string ends before it */
	v->len = first + rest;
	return off + sizeof(struct pa_val) + PA_ALIGN8((__u32)(first + rest));
}

#endif /* PYOBJ_BPF_H */
