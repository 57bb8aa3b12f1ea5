// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyaudit.bpf.c - probes on CPython's audit machinery; each audit event becomes
 * one ring-buffer record (trace mode) or one counter increment (-c).
 *
 * Three probe kinds share one record builder (see enum pa_probe_kind):
 *  - usdt_audit:       the python:audit marker, (const char *event, tuple args);
 *  - uprobe_c:         a call of sys_audit_tstate(tstate, event, fmt, va_list *),
 *                      placed on the call instruction, which the kernel emulates
 *                      (a probe on a function's first instruction is often
 *                      single-stepped, 4x dearer); also the prologue of an LTO
 *                      clone of _PySys_Audit(tstate, event, fmt, ...) that has
 *                      sys_audit_tstate inlined, on its first emulated instruction;
 *  - uprobe_sysaudit:  entry of the builtin sys.audit(), which sees Python-level
 *                      events that CPython drops before any C function when no
 *                      hook is installed.
 * With a hook installed, a Python-level event reaches both sys.audit() and the
 * sys_audit_tstate call: the first one records it and leaves a note in task
 * storage, the second recognises the same event name pointer and stays quiet.
 *
 * Filters (-u, --comm, -e/-x through the names map) run before any argument is
 * read, so an excluded event costs little more than the trap itself.
 *
 * Parts are headers under bpf/, included in place (one compilation unit):
 * pyobj.bpf.h (CPython object layouts), ncache.bpf.h (the C event-name cache),
 * varargs.bpf.h (the C-varargs walker and the format cache) and, last,
 * discovery.bpf.h (on_mmap, on_exec, on_fork, on_exit).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pyaudit.h"
#include "pyobj.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 cfg_filter = 0;	/* consult the names map (-e/-x) */
const volatile __u32 cfg_count = 0;	/* -c: count, emit no event records */
const volatile __u32 cfg_count_trace = 0; /* --metrics beside trace output: count, then emit */
const volatile __u32 cfg_hist = 0;	/* --hist: inter-arrival log2 histograms */
const volatile __u32 cfg_fast = 0;	/* -c keyed by event alone, no uid/comm filter: slots */
const volatile __u32 cfg_by = 0;	/* -c key fields: PA_BY_* bits */
const volatile __u32 cfg_have_uid = 0;
const volatile __u32 cfg_uid = 0;
const volatile __u32 cfg_have_comm = 0;
const volatile char cfg_comm[16] = {};
const volatile __u32 cfg_discover = 0;	/* enum pa_discover */
const volatile __u64 cfg_wakeup_bytes = 0; /* wake the reader past this much unread data */
const volatile __u32 cfg_cgroup_filter = 0; /* --cgroup / --container: consult cgroup_verdicts */
const volatile __u32 cfg_site = 0;	/* frames of the call site to capture (0: --no-site) */
const volatile __u32 cfg_follow = 0;	/* -f: only the processes of the followed map */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* name hash -> verdict and -c counter slot; also "userspace knows this name" */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pa_name_val);
} names SEC(".maps");

/* -c --by event: a counter per name slot (struct pa_name_val.slot), per CPU */
struct fast_counts {
	__u64 c[PA_NFAST];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fast_counts);
} fast_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by userspace (--max-keys) */
	__type(key, struct pa_count_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pa_hist_key);
	__type(value, __u64);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pa_last_key);
	__type(value, __u64);
} last_ts SEC(".maps");

/* Per probe id: the fixed-address range of its binary's C event names. */
struct pa_probe_cfg probe_cfg[PA_MAX_PROBES];

/*
 * C event names by their address relative to the binary they are constants of
 * (probe_cfg): reading the name would cost a user-memory read at every event.
 * An entry holds for every process of that binary, wherever it is loaded.
 */
struct ncache_ent {
	__u64 rel;	/* the name's ELF virtual address in the binary */
	__u32 probe_id;
	__u32 len;
	__u64 hash;
	__u32 slot;	/* -c: the name's fast counter (0: none known yet) */
	__u32 verdict;	/* with slot: its filter verdict */
	char name[PA_NCACHE_NAME];
};

struct name_cache {
	struct ncache_ent e[PA_NCACHE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_cache);
} name_cache SEC(".maps");

/* A Python-level event recorded at sys.audit() entry, to recognise it again. */
struct pending {
	__u64 name_ptr;	 /* UTF-8 buffer CPython will pass on: data of a compact ASCII str */
	__u64 str_obj;	 /* the event name object (non-ASCII names: compare its utf8 buffer) */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pendings SEC(".maps");

/*
 * --cgroup / --container: cgroup id -> enum pa_verdict, filled by userspace (every
 * cgroup that exists at start, then each one at its first sight, PA_REC_CGROUP).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u32);
} cgroup_verdicts SEC(".maps");

/* Files reported to userspace (discovery): (dev << 40 ^ ino) -> 1 reported, 2 decided */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} seen_files SEC(".maps");

/* -p: the processes whose new executable mappings matter (a libpython dlopen'd later). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} watched SEC(".maps");

/*
 * -f: the followed processes (tgids): the targets, and every process forked
 * by a followed one, added here at the fork before the child runs (on_fork),
 * removed when its last thread exits (on_exit).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PA_MAX_FOLLOWED);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* ---- objects ---------------------------------------------------------------- */

#define PA_TPFLAGS_HEAPTYPE (1ull << 9)

static __always_inline int rd(void *dst, __u32 size, __u64 src)
{
	return bpf_probe_read_user(dst, size, (const void *)src);
}

/* Reads up to 16 pointers into vec[16]: the size is masked in asm so the verifier sees it. */
static __always_inline int rd_ptrs(__u64 *vec, __u32 n, __u64 src)
{
	__u64 size = (__u64)n * 8;

	asm volatile("%0 &= 0x7f" : "+r"(size));
	return bpf_probe_read_user(vec, size, (const void *)src);
}

/*
 * The first 64 bytes of an object.  An object near the end of a mapping may not
 * have 64 readable bytes: then only its 16-byte header and the next 16 are.
 */
static __always_inline int rd_head(__u64 *head, __u64 obj)
{
	if (!rd(head, HEAD_WORDS * 8, obj))
		return 0;
	__builtin_memset(head, 0, HEAD_WORDS * 8);
	return rd(head, 32, obj);
}

/* A word of the head at a byte offset (8-aligned offsets below 64 only; else 0). */
static __always_inline __u64 hw(const __u64 *head, __u32 off)
{
	return off < HEAD_WORDS * 8 ? head[(off >> 3) & (HEAD_WORDS - 1)] : 0;
}

/* What type is at `type`: from the cache, or read (tp_flags, and tp_name when flags don't say). */
static __always_inline struct tcache_ent *type_info(struct scratch *s, __u64 type,
						    const struct pa_layout *L)
{
	struct tcache_ent *e = &s->tcache[(type >> 4) & (TCACHE_SIZE - 1)];
	__u64 tpf, tp_name;
	long n;

	if (e->type == type && e->mm == s->mm && type)
		return e;
	if (rd(&tpf, 8, type + L->tp_flags))
		return NULL;
	e->type = 0;
	e->tpf = tpf;
	e->name_len = 0;
	if (tpf & PA_TPFLAGS_UNICODE_SUBCLASS)
		e->kind = TK_STR;
	else if (tpf & PA_TPFLAGS_BYTES_SUBCLASS)
		e->kind = TK_BYTES;
	else if (tpf & PA_TPFLAGS_LONG_SUBCLASS)
		/* bool cannot be subclassed: the only int type without BASETYPE */
		e->kind = (tpf & PA_TPFLAGS_BASETYPE) ? TK_LONG : TK_BOOL;
	else if (tpf & PA_TPFLAGS_TUPLE_SUBCLASS)
		e->kind = TK_TUPLE;
	else if (tpf & PA_TPFLAGS_LIST_SUBCLASS)
		e->kind = TK_LIST;
	else if (tpf & PA_TPFLAGS_DICT_SUBCLASS)
		e->kind = TK_DICT;
	else
		e->kind = TK_OTHER;
	if (e->kind == TK_OTHER || e->kind == TK_TUPLE) {
		/*
		 * None, float and bytearray have no flag bit: known by name; a
		 * tuple subclass (a struct sequence such as os.stat_result) is
		 * shown by its type name, as any other object.
		 */
		if (rd(&tp_name, 8, type + L->tp_name))
			return NULL;
		n = bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)tp_name);
		if (n <= 0)
			return NULL;
		e->name_len = (n - 1) & (PA_TYPE_NAME_MAX - 1);
		if (e->kind == TK_TUPLE) {
			if (!(n == 6 && e->name[0] == 't' && e->name[1] == 'u' && e->name[2] == 'p' &&
			      e->name[4] == 'e'))
				e->kind = TK_OTHER; /* not "tuple" itself */
		} else if (n == 9 && e->name[0] == 'N' && e->name[4] == 'T' && e->name[7] == 'e') {
			e->kind = TK_NONE; /* "NoneType" */
		} else if (n == 6 && e->name[0] == 'f' && e->name[1] == 'l' && e->name[4] == 't') {
			e->kind = TK_FLOAT; /* "float" */
		} else if (n == 10 && e->name[0] == 'b' && e->name[4] == 'a' && e->name[8] == 'y') {
			e->kind = TK_BYTEARRAY; /* "bytearray" */
		}
	}
	if (!(tpf & PA_TPFLAGS_HEAPTYPE)) {
		e->type = type;
		e->mm = s->mm;
	}
	return e;
}

/*
 * One object that is not expanded further: scalars, str, bytes, and a
 * container's type and size only.  head holds its first 64 bytes.
 */
static __always_inline __u32 obj_leaf(struct scratch *s, __u32 off, __u64 obj,
				      const struct pa_layout *L, const __u64 *head,
				      struct tcache_ent *ti, __u32 str_limit)
{
	struct pa_val *v;
	__u32 kind, n;

	if (!fits(off, PA_TYPE_NAME_MAX))
		return off;
	kind = ti->kind;
	switch (kind) {
	case TK_STR: {
		__u64 len = hw(head, L->str_length), data, k;
		__u32 state = (__u32)hw(head, L->str_state);

		k = (state >> L->str_kind_shift) & 7;
		if (k != 1 && k != 2 && k != 4)
			return put_unreadable(s, off, obj);
		if (state & L->str_compact_bit)
			data = obj + ((state & L->str_ascii_bit) ? L->str_ascii_data
								: L->str_compact_data);
		else if (L->str_any_data < HEAD_WORDS * 8)
			data = hw(head, L->str_any_data);
		else if (rd(&data, 8, obj + L->str_any_data))
			return put_unreadable(s, off, obj);
		return put_bytes(s, off, PA_V_STR, k, data, len * k, str_limit, len);
	}
	case TK_BYTES: {
		__u64 size = hw(head, L->ob_size);

		return put_bytes(s, off, PA_V_BYTES, 1, obj + L->bytes_data, size, str_limit, size);
	}
	case TK_LONG:
	case TK_BOOL: {
		__u64 w0 = hw(head, L->long_size), nd, neg;
		__u32 *d = (__u32 *)payload_at(s, off);

		if (L->flags & PA_LAYOUT_LV_TAG) {
			nd = w0 >> 3;
			neg = (w0 & 3) == 2;
		} else {
			neg = (__s64)w0 < 0;
			nd = neg ? -(__s64)w0 : w0;
		}
		if (kind == TK_BOOL)
			return put_simple(s, off, PA_V_BOOL,
					  nd ? (hw(head, L->long_digits) & 0xffffffff) != 0 : 0, 0);
		v = val_at(s, off);
		v->kind = PA_V_PYLONG;
		v->flags = neg ? PA_VF_NEG : 0;
		v->full = nd;
		if (nd > PA_MAX_DIGITS) {
			v->flags |= PA_VF_TRUNC;
			nd = PA_MAX_DIGITS;
		}
		if (nd <= 2 && L->long_digits < HEAD_WORDS * 8) {
			*(__u64 *)d = hw(head, L->long_digits);
		} else if (rd_ptrs((__u64 *)d, (nd + 1) / 2, obj + L->long_digits)) {
			return put_unreadable(s, off, obj);
		}
		v->aux = nd;
		v->len = nd * 4;
		return off + sizeof(struct pa_val) + PA_ALIGN8((__u32)(nd * 4));
	}
	case TK_TUPLE:
		return put_simple(s, off, PA_V_TUPLE, 0, hw(head, L->ob_size));
	case TK_LIST:
		return put_simple(s, off, PA_V_LIST, 0, hw(head, L->ob_size));
	case TK_DICT:
		return put_simple(s, off, PA_V_DICT, 0, hw(head, L->dict_used));
	case TK_NONE:
		return put_simple(s, off, PA_V_NONE, 0, 0);
	case TK_FLOAT:
		return put_u64(s, off, PA_V_FLOAT, hw(head, L->float_val));
	case TK_BYTEARRAY: {
		__u64 size = hw(head, L->ob_size), data = hw(head, L->bytearray_data);

		return put_bytes(s, off, PA_V_BYTEARRAY, 1, data, size, cfg_str_size, size);
	}
	}
	/* anything else: its type name */
	n = ti->name_len & (PA_TYPE_NAME_MAX - 1);
	__builtin_memcpy(payload_at(s, off), ti->name, PA_TYPE_NAME_MAX);
	val_set(val_at(s, off), PA_V_OTHER, 0, 0, n, obj);
	return off + sizeof(struct pa_val) + PA_ALIGN8(n);
}

/*
 * Reads obj's first 64 bytes and its type.  Returns the type, or NULL after
 * writing what obj is instead (None for NULL, or unreadable) at *off.
 */
static __always_inline struct tcache_ent *obj_start(struct scratch *s, __u32 *off, __u64 obj,
						    const struct pa_layout *L, __u64 *head)
{
	struct tcache_ent *ti;

	if (!obj) {
		*off = put_simple(s, *off, PA_V_NONE, 0, 0);
		return NULL;
	}
	if (rd_head(head, obj)) {
		*off = put_unreadable(s, *off, obj);
		return NULL;
	}
	ti = type_info(s, hw(head, L->ob_type), L);
	if (!ti)
		*off = put_unreadable(s, *off, obj);
	return ti;
}

/* An item of a container: never expanded further. */
__noinline int put_item(struct scratch *s, __u32 off, __u64 obj, __u32 lidx, __u32 limit)
{
	const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
	struct tcache_ent *ti;
	__u64 *head;

	if (!s || off >= PA_REC_MAX)
		return -1;
	if (!fits(off, 16))
		return -1;
	head = s->item_head;
	ti = obj_start(s, &off, obj, L, head);
	if (!ti)
		return off;
	return obj_leaf(s, off, obj, L, head, ti, limit);
}

/*
 * Items of a tuple or list whose head was read: from the head when they are in
 * it (small tuples), else with one read.
 */
static __always_inline int container_items(__u64 *items, __u32 n, __u64 obj, const __u64 *head,
					   const struct pa_layout *L, int is_tuple)
{
	__u32 i, first;

	if (!is_tuple)
		return rd_ptrs(items, n, hw(head, L->list_items));
	first = L->tuple_items >> 3;
	if (L->tuple_items + n * 8 > HEAD_WORDS * 8)
		return rd_ptrs(items, n, obj + L->tuple_items);
	for (i = 0; i < HEAD_WORDS; i++) {
		if (i >= n)
			break;
		items[i & 15] = head[(first + i) & (HEAD_WORDS - 1)];
	}
	return 0;
}

/* A top-level argument: a tuple or list shows its first PA_MAX_ITEMS items. */
__noinline int put_obj(struct scratch *s, __u32 off, __u64 obj, __u32 lidx)
{
	const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
	__u64 *head, *items, size;
	struct tcache_ent *ti;
	__u32 i, n, start, tuple;
	int next;

	if (!s || off >= PA_REC_MAX)
		return -1;
	if (!fits(off, 16))
		return -1;
	head = s->obj_head;
	items = s->obj_items;
	ti = obj_start(s, &off, obj, L, head);
	if (!ti)
		return off;
	if (ti->kind != TK_TUPLE && ti->kind != TK_LIST)
		return obj_leaf(s, off, obj, L, head, ti, cfg_str_size);

	tuple = ti->kind == TK_TUPLE;
	size = hw(head, L->ob_size);
	n = size > PA_MAX_ITEMS ? PA_MAX_ITEMS : size;
	if (container_items(items, n, obj, head, L, tuple))
		return put_unreadable(s, off, obj);
	start = off;
	off = put_simple(s, off, tuple ? PA_V_TUPLE : PA_V_LIST, 0, size);
	for (i = 0; i < PA_MAX_ITEMS && i < n; i++) {
		next = put_item(s, off, items[i], lidx, cfg_str_size);
		if (next < 0)
			break;
		off = next;
		val_at(s, start)->aux = i + 1;
	}
	return off;
}

/* ---- records ---------------------------------------------------------------- */

static __always_inline __u64 name_hash(struct scratch *s, __u32 name_off)
{
	struct pa_val *v = val_at(s, name_off);
	__u8 *p = payload_at(s, name_off);
	__u64 h = PA_FNV_OFFSET;
	__u32 i, len = v->len;

	for (i = 0; i < PA_NAME_MAX; i++) {
		if (i >= len)
			break;
		h ^= p[i];
		h *= PA_FNV_PRIME;
	}
	return h;
}

#include "ncache.bpf.h"

/*
 * --cgroup / --container: the verdict on the event's cgroup.  A cgroup the map
 * lacks is reported once (PA_REC_CGROUP); until userspace decides, a traced
 * event goes on marked pending and userspace filters it, and -c counts it as
 * not counted (it cannot be taken back out of a counter).
 */
static __always_inline int cgroup_drop(struct pa_event *e, struct scratch *s)
{
	__u32 *v = bpf_map_lookup_elem(&cgroup_verdicts, &e->cgroup_id);
	__u32 pending = PA_VERDICT_PENDING;

	if (v && *v == PA_VERDICT_PASS)
		return 0;
	if (v && *v == PA_VERDICT_DROP)
		return 1;
	if (!v && !bpf_map_update_elem(&cgroup_verdicts, &e->cgroup_id, &pending, BPF_NOEXIST)) {
		struct pa_cgroup_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (r) {
			r->hdr.kind = PA_REC_CGROUP;
			r->hdr.len = sizeof(*r);
			r->hdr.ts_ns = 0;
			r->cgroup_id = e->cgroup_id;
			r->pid = e->pid;
			r->_pad = 0;
			bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
		} else {
			/* not reported: the next event of the cgroup tries again */
			bpf_map_delete_elem(&cgroup_verdicts, &e->cgroup_id);
			count_drop(PA_DROP_RINGBUF);
		}
	}
	if (cfg_count) {
		count_drop(PA_DROP_CGROUP_PENDING);
		return 1;
	}
	e->flags |= PA_EV_CGROUP_PENDING;
	return 0;
}

/*
 * Starts a record in the scratch buffer: header, identity, the filters that
 * need no name.  Returns NULL if the event is filtered out.
 */
/*
 * On a preemptible kernel another traced thread can run a probe on this CPU
 * while a record is half built and reuse the per-CPU buffer.  *token is the
 * buffer's sequence at the start; rec_owned() tells whether it is still ours.
 */
static __always_inline struct scratch *rec_begin(__u64 cookie, __u64 *token)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct scratch *s;
	struct pa_event *e;
	__u32 zero = 0;
	__u32 uid = task->cred->uid.val;

	if (cfg_have_uid && uid != cfg_uid)
		return NULL;
	if (cfg_follow) {
		__u32 tgid = task->tgid;

		if (!bpf_map_lookup_elem(&followed, &tgid))
			return NULL;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return NULL;
	e = (struct pa_event *)s->buf;
	/* loads through the task pointer: no helper call for comm, pid, tgid */
	__builtin_memcpy(e->comm, task->comm, sizeof(e->comm));
	if (cfg_have_comm) {
		int i;

		for (i = 0; i < 16; i++) {
			if (e->comm[i] != cfg_comm[i])
				return NULL;
			if (!cfg_comm[i])
				break;
		}
	}
	s->mm = (__u64)task->mm;
	*token = ++s->seq;
	e->hdr.kind = PA_REC_EVENT;
	/* -c without --hist needs no time: a helper call saved per event */
	e->hdr.ts_ns = (!cfg_count || cfg_hist || cfg_count_trace) ? bpf_ktime_get_ns() : 0;
	s->name_hit = 0;
	e->pid = task->tgid;
	e->tid = task->pid;
	e->uid = uid;
	e->probe_id = PA_COOKIE_ID(cookie);
	e->name_hash = 0;
	e->nargs = 0;
	e->nargs_total = 0;
	e->flags = 0;
	e->frames_off = 0;
	e->nframes = 0;
	e->_pad = 0;
	/* process context: loads through the task pointer as well */
	e->cgroup_id = !cfg_count || cfg_cgroup_filter ? task->cgroups->dfl_cgrp->kn->id : 0;
	if (cfg_cgroup_filter && cgroup_drop(e, s))
		return NULL;
	if (!cfg_count) {
		struct task_struct *leader = task->group_leader;
		struct pid *tp = leader->thread_pid;
		__u32 level = tp->level;
		int nr = e->pid;

		e->ppid = task->real_parent->tgid;
		e->start_ns = leader->start_boottime;
		e->exe_ino = task->mm->exe_file->f_inode->i_ino;
		/* in a pid namespace (containers): the number the process sees itself under */
		if (level && level < 32)
			bpf_probe_read_kernel(&nr, sizeof(nr), &tp->numbers[level].nr);
		e->nspid = nr;
	}
	return s;
}

/* Sends a first-sight name record so userspace can name a hash (count mode, filters). */
static __always_inline void send_name(struct scratch *s, __u32 name_off, __u64 h)
{
	struct pa_val *v = val_at(s, name_off);
	struct pa_name_rec *r;
	__u32 len = v->len;

	if (len > PA_NAME_MAX)
		len = PA_NAME_MAX;
	r = bpf_ringbuf_reserve(&events, sizeof(*r) + sizeof(struct pa_val) + PA_NAME_MAX, 0);
	if (!r) {
		count_drop(PA_DROP_RINGBUF);
		return;
	}
	r->hdr.kind = PA_REC_NAME;
	r->hdr.len = sizeof(*r) + sizeof(struct pa_val) + PA_ALIGN8(len);
	r->hdr.ts_ns = 0;
	r->name_hash = h;
	r->pid = ((struct pa_event *)s->buf)->pid;
	r->_pad = 0;
	bpf_probe_read_kernel((void *)(r + 1), sizeof(struct pa_val) + PA_NAME_MAX,
			      (void *)v);
	((struct pa_val *)(r + 1))->len = len;
	bpf_ringbuf_submit(r, 0);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

/* --hist: time since this process's previous event of the same name, in a log2 slot. */
static __always_inline void hist_add(struct pa_event *e, __u64 h)
{
	struct pa_last_key lk = { .name_hash = h, .pid = e->pid };
	struct pa_hist_key hk = { .name_hash = h };
	__u64 *last, *c, one = 1, now = e->hdr.ts_ns;

	last = bpf_map_lookup_elem(&last_ts, &lk);
	if (!last) {
		bpf_map_update_elem(&last_ts, &lk, &now, BPF_ANY);
		return;
	}
	hk.slot = now > *last ? log2_u64((now - *last) / 1000) : 0;
	*last = now;
	c = bpf_map_lookup_elem(&hists, &hk);
	if (c)
		__sync_fetch_and_add(c, 1);
	else if (bpf_map_update_elem(&hists, &hk, &one, BPF_NOEXIST) &&
		 (c = bpf_map_lookup_elem(&hists, &hk)))
		__sync_fetch_and_add(c, 1);
}

/*
 * After the name value: applies the name filter, and in count mode counts the
 * event.  Returns 1 if the record should go on to its arguments.
 */
static __always_inline int rec_owned(struct scratch *s, __u64 token)
{
	if (s->seq == token)
		return 1;
	count_drop(PA_DROP_PREEMPTED);
	return 0;
}

static __always_inline int rec_name_done(struct scratch *s, __u32 name_off, __u64 token)
{
	struct pa_event *e = (struct pa_event *)s->buf;
	struct pa_name_val *verdict, pending = { .verdict = PA_VERDICT_PENDING };
	__u64 h;

	if (!cfg_filter && !cfg_count)
		return 1;
	h = e->name_hash ? e->name_hash : name_hash(s, name_off);
	e->name_hash = h;
	/*
	 * A name from the name cache went through the names map at its first
	 * sight (userspace knows it); with no filter, -c needs no verdict.
	 */
	if (s->name_hit && !cfg_filter)
		goto count;
	verdict = bpf_map_lookup_elem(&names, &h);
	if (verdict && verdict->verdict == PA_VERDICT_DROP)
		return 0;
	if (!verdict) {
		if (bpf_map_update_elem(&names, &h, &pending, BPF_NOEXIST) == 0)
			send_name(s, name_off, h);
		else
			count_drop(PA_DROP_NAME_MAP);
		e->flags |= PA_EV_NAME_PENDING;
	} else if (verdict->verdict == PA_VERDICT_PENDING) {
		e->flags |= PA_EV_NAME_PENDING;
	} else if (cfg_fast && verdict->slot) {
		struct fast_counts *fc;
		__u32 zero = 0;

		if (!rec_owned(s, token))
			return 0;
		fc = bpf_map_lookup_elem(&fast_counts, &zero);
		if (fc) {
			__sync_fetch_and_add(&fc->c[verdict->slot & (PA_NFAST - 1)], 1);
			return 0;
		}
	}
count:
	if (cfg_count) {
		struct pa_count_key k = {};

		if (!rec_owned(s, token))
			return 0;
		__u64 one = 1, *c;

		k.name_hash = h;
		if (cfg_by & PA_BY_PID)
			k.pid = e->pid;
		if (cfg_by & PA_BY_UID)
			k.uid = e->uid;
		if (cfg_by & PA_BY_COMM)
			__builtin_memcpy(k.comm, e->comm, 16);
		if (cfg_hist)
			hist_add(e, h);
		c = bpf_map_lookup_elem(&counts, &k);
		if (c) {
			__sync_fetch_and_add(c, 1);
		} else if (bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST)) {
			/* another CPU created it first, or the map is full */
			c = bpf_map_lookup_elem(&counts, &k);
			if (c)
				__sync_fetch_and_add(c, 1);
			else
				count_drop(PA_DROP_COUNT_MAP);
		}
		return cfg_count_trace;
	}
	return 1;
}

/*
 * Waking the reader costs the traced thread an irq_work, ~7 us on a VM.  The
 * reader polls the ring every 50 ms anyway, so it is woken only when unread
 * data passes cfg_wakeup_bytes (a quarter of the ring): looked at once every
 * cfg_wakeup_check bytes a CPU writes (a 64th of the ring, at most 16 KiB:
 * some 64 records of an id() event), so that the check itself costs next to
 * nothing, and a small ring of large records is still looked at in time.
 * And only if it sleeps: the reader sets reader_asleep before it waits and
 * clears it when it wakes, and the first record that wakes it clears it too.
 * A reader that is reading, or that the scheduler has not run yet, empties
 * the ring before it sleeps again; waking it once more would be paid for in
 * vain (in a flat-out loop, ~100 ns an event).  Should a record see the flag
 * just before the reader sets it, the next check wakes it.
 */
const volatile __u32 cfg_wakeup_check = 16384;

__u32 reader_asleep;

static __always_inline __u64 wakeup_flags(struct scratch *s, __u32 len)
{
	s->since_wakeup += len;
	if (s->since_wakeup < cfg_wakeup_check)
		return BPF_RB_NO_WAKEUP;
	s->since_wakeup = 0;
	if (!*(volatile __u32 *)&reader_asleep ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) <= cfg_wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	*(volatile __u32 *)&reader_asleep = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline int rec_submit(struct scratch *s, __u32 len, __u64 token)
{
	struct pa_event *e = (struct pa_event *)s->buf;
	__u64 n = len;

	if (!rec_owned(s, token))
		return -1;
	/* fits() keeps every record below PA_REC_MAX - 8 */
	if (n > PA_REC_MAX - 8)
		n = PA_REC_MAX - 8;
	/* keep clang from handing the unclamped copy to the helper */
	asm volatile("%0 &= 0x3fff" : "+r"(n));
	e->hdr.len = n;
	if (bpf_ringbuf_output(&events, s->buf, n, wakeup_flags(s, n))) {
		count_drop(PA_DROP_RINGBUF);
		return -1;
	}
	return 0;
}

/* ---- reading registers ------------------------------------------------------ */

/*
 * A register named by number, in struct pt_regs order (USDT argument specs
 * differ per binary).  The context may not be indexed, and clang would turn a
 * plain switch back into an indexed load: each case is one load in asm, a few
 * compares in all, cheaper than copying the registers to the stack.
 */
#define CTX_LOAD(v, ctx, field)                                                               \
	asm volatile("%0 = *(u64 *)(%1 + %2)"                                                  \
		     : "=r"(v)                                                                 \
		     : "r"(ctx), "i"(__builtin_offsetof(struct pt_regs, field)))

static __always_inline __u64 reg(struct pt_regs *ctx, __u32 r)
{
	__u64 v = 0;

	switch (r & 15) {
	case 0: CTX_LOAD(v, ctx, r15); break;
	case 1: CTX_LOAD(v, ctx, r14); break;
	case 2: CTX_LOAD(v, ctx, r13); break;
	case 3: CTX_LOAD(v, ctx, r12); break;
	case 4: CTX_LOAD(v, ctx, bp); break;
	case 5: CTX_LOAD(v, ctx, bx); break;
	case 6: CTX_LOAD(v, ctx, r11); break;
	case 7: CTX_LOAD(v, ctx, r10); break;
	case 8: CTX_LOAD(v, ctx, r9); break;
	case 9: CTX_LOAD(v, ctx, r8); break;
	case 10: CTX_LOAD(v, ctx, ax); break;
	case 11: CTX_LOAD(v, ctx, cx); break;
	case 12: CTX_LOAD(v, ctx, dx); break;
	case 13: CTX_LOAD(v, ctx, si); break;
	case 14: CTX_LOAD(v, ctx, di); break;
	}
	return v;
}

/* The event's arguments from m object pointers: one put_obj() each. */
static __always_inline __u32 put_args(struct scratch *s, __u32 off, const __u64 *items, __u32 m,
				      __u32 lidx)
{
	struct pa_event *e = (struct pa_event *)s->buf;
	__u32 i;
	int next;

	for (i = 0; i < PA_MAX_ARGS && i < m; i++) {
		next = put_obj(s, off, items[i], lidx);
		if (next < 0 || !fits(next, 0)) {
			e->flags |= PA_EV_ARGS_TRUNC;
			break;
		}
		off = next;
		e->nargs = i + 1;
	}
	return off;
}

/*
 * Arguments as an array of object pointers (a tuple's items, or sys.audit()'s
 * args after the name): one put_obj() each.
 */
__noinline int put_obj_array(struct scratch *s, __u32 off, __u64 vec, __u32 n, __u32 lidx)
{
	struct pa_event *e;
	__u64 *items;
	__u32 m;

	if (!s || off >= PA_REC_MAX)
		return -1;
	items = s->args_items;
	e = (struct pa_event *)s->buf;
	e->nargs_total = n;
	m = n > PA_MAX_ARGS ? PA_MAX_ARGS : n;
	if (m < n)
		e->flags |= PA_EV_ARGS_TRUNC;
	if (rd_ptrs(items, m, vec)) {
		count_drop(PA_ERR_READ);
		e->flags |= PA_EV_ARGS_TRUNC;
		return off;
	}
	return put_args(s, off, items, m, lidx);
}

/* Arguments given as one tuple object (USDT, "O" with a tuple). */
__noinline int put_tuple_args(struct scratch *s, __u32 off, __u64 tuple, __u32 lidx)
{
	const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
	__u64 *head, *items;
	struct pa_event *e;
	__u32 m, size;

	if (!s || off >= PA_REC_MAX)
		return -1;
	head = s->args_head;
	items = s->args_items;
	e = (struct pa_event *)s->buf;
	if (!(L->flags & PA_LAYOUT_VALID)) {
		e->flags |= PA_EV_LAYOUT_UNKNOWN;
		return off;
	}
	if (!tuple)
		return off;
	if (rd_head(head, tuple)) {
		count_drop(PA_ERR_READ);
		e->flags |= PA_EV_ARGS_TRUNC;
		return off;
	}
	size = hw(head, L->ob_size);
	e->nargs_total = size;
	m = size > PA_MAX_ARGS ? PA_MAX_ARGS : size;
	if (m < size)
		e->flags |= PA_EV_ARGS_TRUNC;
	if (container_items(items, m, tuple, head, L, 1)) {
		count_drop(PA_ERR_READ);
		e->flags |= PA_EV_ARGS_TRUNC;
		return off;
	}
	return put_args(s, off, items, m, lidx);
}

#include "varargs.bpf.h"

/* ---- the call site ---------------------------------------------------------- */

/*
 * Working memory of put_site(): the blocks it reads, and which code objects
 * this CPU has already described to userspace (by address space, address and
 * fingerprint), so that a code object's names and line table are read once.
 */
/* at most (rd_span() reads only the part the layout's fields lie in): */
#define TS_BLK 192  /* bytes of a PyThreadState from offset 8: next, frame, tid */
#define FR_BLK 112  /* bytes of a frame: code, back, instruction, owner, f_lineno */
#define CO_BLK 144  /* bytes of a code object from co_firstlineno & ~7 */
#define CCACHE 64
#define SITE_WALK 12 /* frames looked at (shims and incomplete ones are skipped) */

struct ccache_ent {
	__u64 mm, start, code, fp; /* start: the process's start (a reused mm is another process) */
};

/* A thread's PyThreadState, found before on this CPU (checked again at every use). */
#define TSCACHE 64
struct tscache_ent {
	__u64 mm, tstate;
	__u32 tid, _pad;
};

struct sitebuf {
	__u64 ts[TS_BLK / 8];
	__u64 fr[FR_BLK / 8];
	__u64 co[CO_BLK / 8];
	__u64 code[PA_MAX_FRAMES], fp[PA_MAX_FRAMES];
	__u64 filename[PA_MAX_FRAMES], name[PA_MAX_FRAMES], linetable[PA_MAX_FRAMES];
	__s64 firstlineno[PA_MAX_FRAMES];
	__u32 n;	/* frames put_frames() wrote */
	__u32 trunc;
	__u32 commit;	/* frames whose code put_infos() described: cached once the record is sent */
	__u32 need;	/* frames whose code this CPU has not described yet (put_frames()) */
	struct ccache_ent cc[CCACHE];
	struct tscache_ent tc[TSCACHE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sitebuf);
} sitebuf SEC(".maps");

/* A word of a block at a byte offset (8-aligned, below size; else 0). */
static __always_inline __u64 bw(const __u64 *blk, __u32 off, __u32 size)
{
	return off + 8 <= size ? blk[(off >> 3) & 31] : 0;
}

/* A 32-bit int of a block at a 4-aligned byte offset. */
static __always_inline __s32 bw32(const __u64 *blk, __u32 off, __u32 size)
{
	__u64 w = bw(blk, off & ~7u, size);

	return (__s32)(off & 4 ? w >> 32 : w);
}

/*
 * Reads bytes [lo, hi) of an object into blk at the same offsets (blk[i] is the
 * object's word at base + 8 * i): only the span the layout's fields need, since
 * a read costs by its size as well (~0.14 ns a byte here, on top of ~28 ns a
 * call).  hi never exceeds max (what pyversion.c checked the fields against).
 */
static __always_inline int rd_span(__u64 *blk, __u64 obj, __u32 lo, __u32 hi, __u32 max)
{
	__u64 o, n;

	lo &= ~7u;
	hi = PA_ALIGN8(hi);
	if (hi > max)
		hi = max;
	if (lo >= hi)
		return -1;
	o = lo;
	n = hi - lo;
	asm volatile("%0 &= 0xf8" : "+r"(o));
	asm volatile("%0 &= 0xff" : "+r"(n));
	return bpf_probe_read_user((__u8 *)blk + o, n, (const void *)(obj + o));
}


/*
 * The thread state at ts is this thread's if its thread id says so: reads its
 * block into sb->ts (all of it when walking the list, which needs next; else
 * only the frame pointer and the thread id).  want: the tid, or
 * pthread_self() (= fsbase) for <= 3.10.
 */
static __always_inline int ts_is_mine(struct sitebuf *sb, __u64 ts, const struct pa_layout *L,
				      __u64 want, int walk)
{
	int err;

	if (ts && walk)
		err = rd(sb->ts, TS_BLK, ts + 8);
	else if (ts)
		err = rd_span(sb->ts, ts + 8, L->ts_lo, L->ts_hi, TS_BLK);
	if (!ts || err) {
		__builtin_memset(sb->ts, 0, 8); /* no next either */
		return 0;
	}
	if (L->flags & PA_LAYOUT_TID_PTHREAD)
		return bw(sb->ts, L->ts_tid - 8, TS_BLK) == want;
	return (__u32)bw(sb->ts, L->ts_tid - 8, TS_BLK) == (__u32)want;
}

/*
 * This thread's PyThreadState: the one found before (the CPU's cache, no
 * helper call), else the GIL holder (<= 3.11: the thread raising an audit
 * event holds the GIL), else found in the interpreter's thread list.  Leaves
 * its block in sb->ts.
 */
static __always_inline __u64 find_tstate(struct sitebuf *sb, const struct pa_layout *L, __u64 rt,
					 __u32 tid, __u64 mm, __u64 want)
{
	struct tscache_ent *p = &sb->tc[tid & (TSCACHE - 1)];
	__u64 ts = 0, interp = 0;
	__u32 i;

	if (p->tid == tid && p->mm == mm && ts_is_mine(sb, p->tstate, L, want, 0))
		return p->tstate;
	if (L->rt_tstate) {
		if (rd(&ts, 8, rt + L->rt_tstate) || !ts_is_mine(sb, ts, L, want, 0))
			return 0;
		goto found;
	}
	if (rd(&interp, 8, rt + L->rt_interp_head) || !interp ||
	    rd(&ts, 8, interp + L->is_threads_head))
		return 0;
	/* newest thread first; the block read for the check holds next as well */
	for (i = 0; i < 32 && ts; i++) {
		if (ts_is_mine(sb, ts, L, want, 1))
			goto found;
		ts = bw(sb->ts, L->ts_next - 8, TS_BLK);
	}
	return 0;
found:
	p->tstate = ts;
	p->mm = mm;
	p->tid = tid;
	return ts;
}

/*
 * Appends the call site to the record at off: up to cfg_site frames of the
 * thread's Python stack, innermost first, as sys._getframe() walks it
 * (C-stack shims and frames not yet started are skipped).  rt: _PyRuntime in
 * this process.  Returns the new end of the record; sb keeps the frames' code
 * objects for put_infos().
 */
__noinline int put_frames(struct scratch *s, __u32 off, __u64 rt, __u32 lidx, __u64 ts)
{
	const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
	struct pa_event *e;
	struct sitebuf *sb;
	struct ccache_ent *ce;
	__u64 frame, want;
	__u32 zero = 0, i, n = 0, frames_off, cbase;

	if (!s || off >= PA_REC_MAX || !(L->flags & PA_LAYOUT_SITE))
		return off;
	e = (struct pa_event *)s->buf;
	sb = bpf_map_lookup_elem(&sitebuf, &zero);
	if (!sb)
		return off;
	sb->need = 0;
	frames_off = PA_ALIGN8(off);
	if (frames_off + PA_MAX_FRAMES * sizeof(struct pa_frame) + 8 > PA_REC_MAX)
		return off;
	if (ts) {
		/* the thread state CPython passed (rdi): this thread's, only its frame is read */
		if (rd_span(sb->ts, ts + 8, L->ts_frame - 8, L->ts_frame, TS_BLK))
			return off;
	} else {
		want = (L->flags & PA_LAYOUT_TID_PTHREAD) ? bpf_get_current_task_btf()->thread.fsbase
							  : e->tid;
		ts = find_tstate(sb, L, rt, e->tid, s->mm, want);
		if (!ts)
			return off;
	}
	frame = bw(sb->ts, L->ts_frame - 8, TS_BLK);
	if ((L->flags & PA_LAYOUT_CFRAME) && frame && rd(&frame, 8, frame + L->cf_current))
		return off;
	cbase = L->co_lo;
	for (i = 0; i < SITE_WALK && frame && n < cfg_site && n < PA_MAX_FRAMES; i++) {
		struct pa_frame *f;
		__u64 code, back, instr, start;
		__s64 lasti;
		__u32 flags = 0, owner = 0;

		/* the layout's fields are loaded where used, not kept on the 512-byte stack */
		asm volatile("" : "+r"(L));
		if (rd_span(sb->fr, frame, L->fr_lo, L->fr_hi, FR_BLK))
			break;
		code = bw(sb->fr, L->fr_code, FR_BLK) & ~(__u64)L->fr_exec_mask;
		back = bw(sb->fr, L->fr_back, FR_BLK);
		if (L->fr_owner) {
			owner = (bw(sb->fr, L->fr_owner & ~7u, FR_BLK) >> ((L->fr_owner & 7) * 8)) & 0xff;
			if (L->fr_owner_shim && owner >= L->fr_owner_shim) {
				frame = back; /* a C-stack / interpreter shim, not Python code */
				continue;
			}
		}
		if (!code || rd_span(sb->co, code + cbase, 0, L->co_hi, CO_BLK))
			break;
		if (L->flags & PA_LAYOUT_IFRAME) {
			instr = bw(sb->fr, L->fr_instr, FR_BLK);
			start = code + L->co_code;
			/* not started yet (an incomplete frame): sys._getframe() skips it too */
			if (owner != 1 &&
			    instr < start + 2 * (__u64)(__u32)bw32(sb->co, L->co_firsttraceable - cbase,
								   CO_BLK)) {
				frame = back;
				continue;
			}
			lasti = instr >= start ? (__s64)(instr - start) : -1;
		} else {
			lasti = bw32(sb->fr, L->fr_instr, FR_BLK);
			if (L->fr_kind == PA_FK_LASTI_UNITS && lasti >= 0)
				lasti *= 2;
			if (L->fr_kind == PA_FK_LASTI_BYTES ? L->fr_trace && bw(sb->fr, L->fr_trace, FR_BLK)
							    : bw32(sb->fr, L->fr_lineno, FR_BLK) != 0) {
				/* being traced: the frame's own line number is what Python reports */
				lasti = bw32(sb->fr, L->fr_lineno, FR_BLK);
				flags |= PA_FR_LINENO;
			}
		}
		sb->code[n & 7] = code;
		sb->filename[n & 7] = bw(sb->co, L->co_filename - cbase, CO_BLK);
		sb->name[n & 7] = bw(sb->co, L->co_name - cbase, CO_BLK);
		sb->linetable[n & 7] = bw(sb->co, L->co_linetable - cbase, CO_BLK);
		sb->firstlineno[n & 7] = bw32(sb->co, L->co_firstlineno - cbase, CO_BLK);
		sb->fp[n & 7] = PA_FRAME_FP(sb->filename[n & 7], sb->name[n & 7], sb->linetable[n & 7],
					    sb->firstlineno[n & 7]);
		/* described to userspace before, from this CPU? else put_infos() does it */
		ce = &sb->cc[(code >> 4 ^ sb->fp[n & 7]) & (CCACHE - 1)];
		if (ce->mm != s->mm || ce->start != e->start_ns || ce->code != code ||
		    ce->fp != sb->fp[n & 7])
			sb->need |= 1u << n;
		f = (struct pa_frame *)&s->buf[rec_off(frames_off + n * sizeof(*f))];
		f->code = code;
		f->fp = sb->fp[n & 7];
		f->lasti = lasti < 0 || lasti > 0x7fffffff ? 0xffffffffu : (__u32)lasti;
		f->flags = flags;
		f->_pad = 0;
		n++;
		frame = back;
	}
	sb->n = n;
	sb->commit = 0;
	if (!n)
		return off;
	e->frames_off = frames_off;
	e->nframes = n;
	return frames_off + n * sizeof(struct pa_frame);
}

/*
 * After the frames: the filename, name, line table and first line of each
 * code object this CPU has not described to userspace yet.
 */
__noinline int put_infos(struct scratch *s, __u32 off, __u32 lidx)
{
	struct pa_event *e;
	struct sitebuf *sb;
	__u32 zero = 0, i;
	int next;

	if (!s || off >= PA_REC_MAX)
		return off;
	sb = bpf_map_lookup_elem(&sitebuf, &zero);
	if (!sb)
		return off;
	e = (struct pa_event *)s->buf;
	for (i = 0; i < PA_MAX_FRAMES && i < sb->n; i++) {
		if (!(sb->need & (1u << i)))
			continue;
		if (!fits(off, 64))
			break;
		next = put_item(s, off, sb->filename[i & 7], lidx, 1024);
		if (next < 0 || val_at(s, off)->kind != PA_V_STR)
			break;
		off = next;
		next = put_item(s, off, sb->name[i & 7], lidx, 256);
		if (next < 0 || val_at(s, off)->kind != PA_V_STR)
			break;
		off = next;
		next = put_item(s, off, sb->linetable[i & 7], lidx, PA_LINETABLE_MAX);
		if (next < 0 || val_at(s, off)->kind != PA_V_BYTES || !fits(next, 8))
			break;
		sb->trunc = val_at(s, off)->flags & PA_VF_TRUNC;
		off = put_u64(s, next, PA_V_INT, sb->firstlineno[i & 7]);
		((struct pa_frame *)&s->buf[rec_off(e->frames_off + i * sizeof(struct pa_frame))])
			->flags |= PA_FR_INFO;
		if (!sb->trunc)
			sb->commit |= 1u << i;
	}
	return off;
}

/*
 * The code objects a sent record described are known to userspace now: kept
 * in the CPU's cache only then (a record lost to a full ring or to preemption
 * leaves them to be described again).
 */
static __always_inline void infos_sent(struct scratch *s)
{
	struct pa_event *e = (struct pa_event *)s->buf;
	struct sitebuf *sb;
	__u32 zero = 0, i;

	sb = bpf_map_lookup_elem(&sitebuf, &zero);
	if (!sb || !sb->commit)
		return;
	for (i = 0; i < PA_MAX_FRAMES; i++) {
		struct ccache_ent *ce;

		if (!(sb->commit & (1u << i)))
			continue;
		ce = &sb->cc[(sb->code[i & 7] >> 4 ^ sb->fp[i & 7]) & (CCACHE - 1)];
		ce->mm = s->mm;
		ce->start = e->start_ns;
		ce->code = sb->code[i & 7];
		ce->fp = sb->fp[i & 7];
	}
	sb->commit = 0;
}

/*
 * Sends the record, with the call site first in trace mode.  The site reads
 * from _PyRuntime, whose address in this process the cookie gives, as for
 * the names (bin_rel()).
 */
static __always_inline void rec_finish(struct pt_regs *ctx, __u64 cookie, struct scratch *s,
				       __u32 off, __u64 token)
{
	__u32 id = PA_COOKIE_ID(cookie), page = PA_COOKIE_PAGE(cookie);
	int next;

	if (cfg_site && id < PA_MAX_PROBES && page != PA_NO_PAGE) {
		struct pa_probe_cfg *pc = &probe_cfg[id & (PA_MAX_PROBES - 1)];

		if (pc->runtime) {
			__u32 kind = PA_COOKIE_KIND(cookie);

			/* a call of sys_audit_tstate or a _PySys_Audit clone: rdi is the thread state */
			next = put_frames(s, off, pc->runtime + (ctx->ip & ~0xfffull) - pc->ro_lo -
							  ((__u64)page << 12),
					  PA_COOKIE_LAYOUT(cookie),
					  kind == PA_PROBE_VALIST || kind == PA_PROBE_CLONE ? ctx->di : 0);
			if (next > 0 && (__u32)next != off) {
				__u32 zero = 0;
				struct sitebuf *sb = bpf_map_lookup_elem(&sitebuf, &zero);

				off = next;
				/* a code object not described yet: its names and line table follow */
				if (sb && sb->need) {
					next = put_infos(s, off, PA_COOKIE_LAYOUT(cookie));
					if (next > 0)
						off = next;
				}
			}
		}
	}
	if (!rec_submit(s, off, token) && cfg_site)
		infos_sent(s);
}

/* ---- probes ----------------------------------------------------------------- */

/*
 * The varargs of a C event.  VALIST: sys_audit_tstate's va_list sits a few words
 * below the register save area in PySys_Audit's frame, so one read of both is
 * tried first (user-memory reads dominate the cost of an event).
 */
static __always_inline int load_slots(struct scratch *s, struct pt_regs *ctx, __u64 cookie,
				      struct slots *sl)
{
	__u32 kind = PA_COOKIE_KIND(cookie);
	__u64 *buf = s->va;
	struct va_state *va = (struct va_state *)buf;
	__u64 d;

	if (kind == PA_PROBE_VARARGS) {
		/* PySys_Audit(event, fmt, ...) at entry: rdx, rcx, r8, r9, then the stack */
		sl->save[2] = ctx->dx;
		sl->save[3] = ctx->cx;
		sl->save[4] = ctx->r8;
		sl->save[5] = ctx->r9;
		sl->gp = 16;
		sl->overflow = ctx->sp + 8;
		return 0;
	}
	if (kind == PA_PROBE_CLONE) {
		/*
		 * _PySys_Audit(tstate, event, fmt, ...) copy, in its prologue:
		 * rcx, r8, r9, then the caller's stack above what the prologue
		 * has pushed or subtracted so far (in the cookie).
		 */
		sl->save[3] = ctx->cx;
		sl->save[4] = ctx->r8;
		sl->save[5] = ctx->r9;
		sl->gp = 24;
		sl->overflow = ctx->sp + 8 * (__u64)PA_COOKIE_SPADJ(cookie) + 8;
		return 0;
	}
	if (rd(buf, sizeof(s->va), ctx->cx) && rd(buf, sizeof(*va), ctx->cx))
		return -1;
	sl->gp = va->gp_offset;
	sl->overflow = va->overflow;
	d = va->reg_save - ctx->cx;
	if (d >= sizeof(*va) && d <= sizeof(s->va) - 48 && !(d & 7)) {
		__u32 i, w = d / 8;

		for (i = 0; i < 6; i++) {
			__u32 j = w + i;

			if (j >= 10)
				return rd(sl->save, sizeof(sl->save), va->reg_save);
			sl->save[i] = buf[j];
		}
		return 0;
	}
	return rd(sl->save, sizeof(sl->save), va->reg_save);
}

/*
 * The start every C-level event shares once early_done() said no: a record
 * with its name, past the filters.  Returns the offset
 * past the name in the CPU's scratch record, 0 if there is nothing more to do.
 * Not inlined: the name's work then takes no room in the stack of the probe
 * while it reads the arguments (512 bytes for the whole call chain).
 */
static __noinline int c_event_begin(struct pt_regs *ctx, __u64 cookie, __u64 event,
				 __u64 *token)
{
	__u32 name_off = sizeof(struct pa_event), off;
	struct scratch *s;

	s = rec_begin(cookie, token);
	if (!s)
		return 0;
	off = put_c_name(s, name_off, ctx, cookie, event);
	if (val_at(s, name_off)->kind != PA_V_CSTR || !rec_name_done(s, name_off, *token))
		return 0;
	return off;
}

/* The CPU's scratch record that c_event_begin() started. */
static __always_inline struct scratch *scratch_rec(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline int emit_c_event(struct pt_regs *ctx, __u64 cookie, __u64 event,
					__u64 fmt)
{
	struct scratch *s;
	struct slots *sl;
	__u64 token = 0;
	__u32 off = 0;
	int next;

	off = c_event_begin(ctx, cookie, event, &token);
	if (!off || !(s = scratch_rec()))
		return 0;
	sl = (struct slots *)s->slots;
	__builtin_memset(sl, 0, sizeof(*sl));
	s->fmt_id = bin_rel(ctx, cookie, fmt, &s->fmt_rel) ? PA_COOKIE_ID(cookie) + 1 : 0;
	/* only now, past the filters, are the arguments read */
	if (load_slots(s, ctx, cookie, sl)) {
		count_drop(PA_ERR_READ);
		((struct pa_event *)s->buf)->flags |= PA_EV_ARGS_TRUNC;
	} else {
		next = put_varargs(s, off, sl, fmt, PA_COOKIE_LAYOUT(cookie));
		if (next > 0)
			off = next;
	}
	rec_finish(ctx, cookie, s, off, token);
	return 0;
}

/* Is this the Python-level event that sys.audit() already recorded? */
static __always_inline int is_pending_dup(__u64 event, __u32 lidx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pending *p;

	p = bpf_task_storage_get(&pendings, task, NULL, 0);
	if (!p || !p->str_obj)
		return 0;
	if (event == p->name_ptr) {
		p->str_obj = 0;
		return 1;
	}
	if (!p->name_ptr) {
		/* non-ASCII name: CPython passes the str's cached UTF-8 buffer */
		const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
		__u64 utf8;

		if (!rd(&utf8, 8, p->str_obj + L->str_utf8) && utf8 == event) {
			p->str_obj = 0;
			return 1;
		}
	}
	return 0;
}

/*
 * C-level events: a call of sys_audit_tstate (VALIST), PySys_Audit's entry
 * (VARARGS, 3.8), or the prologue of a _PySys_Audit clone holding the gate
 * (CLONE: tstate, event, fmt in rdi, rsi, rdx like VALIST).  One program for
 * all: the verifier checks the shared argument walker once.
 */
SEC("uprobe")
int uprobe_c(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (PA_COOKIE_KIND(cookie) == PA_PROBE_VARARGS) {
		if (early_done(ctx, cookie, ctx->di))
			return 0;
		/* 3.8: sys.audit() calls PySys_Audit itself when a hook is installed */
		if (is_pending_dup(ctx->di, PA_COOKIE_LAYOUT(cookie)))
			return 0;
		return emit_c_event(ctx, cookie, ctx->di, ctx->si);
	}
	/* sys_audit_tstate returns at once without a thread state: no hook sees that */
	if (!ctx->di)
		return 0;
	/* a C name filtered out needs no duplicate check (Python-level names are never cached) */
	if (early_done(ctx, cookie, ctx->si))
		return 0;
	if (is_pending_dup(ctx->si, PA_COOKIE_LAYOUT(cookie)))
		return 0;
	return emit_c_event(ctx, cookie, ctx->si, ctx->dx);
}

SEC("uprobe")
int uprobe_sysaudit(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 lidx = PA_COOKIE_LAYOUT(cookie);
	const struct pa_layout *L = &layouts[lidx & (PA_MAX_LAYOUTS - 1)];
	__u64 args = ctx->si, nargs = ctx->dx, name, head[HEAD_WORDS];
	struct tcache_ent *ti;
	struct scratch *s;
	__u64 token = 0;
	struct pending *p;
	__u32 off = sizeof(struct pa_event), name_off = off, state;
	int next;

	/* sys.audit() with no argument, or a name that is not a str, raises TypeError */
	if (!nargs || !(L->flags & PA_LAYOUT_VALID))
		return 0;
	if (rd(&name, 8, args) || !name || rd_head(head, name))
		return 0;
	s = rec_begin(cookie, &token);
	if (!s)
		return 0;
	ti = type_info(s, hw(head, L->ob_type), L);
	if (!ti || ti->kind != TK_STR)
		return 0;
	off = obj_leaf(s, off, name, L, head, ti, PA_NAME_MAX); /* names are not cut to -s */
	if (val_at(s, name_off)->kind != PA_V_STR)
		return 0;
	((struct pa_event *)s->buf)->flags |= PA_EV_PYLEVEL;

	/* remember it so that the sys_audit_tstate call it may lead to stays quiet */
	p = bpf_task_storage_get(&pendings, bpf_get_current_task_btf(), NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (p) {
		state = (__u32)hw(head, L->str_state);
		p->str_obj = name;
		p->name_ptr = (state & L->str_compact_bit) && (state & L->str_ascii_bit)
				      ? name + L->str_ascii_data
				      : 0;
	}
	if (!rec_name_done(s, name_off, token))
		return 0;
	next = put_obj_array(s, off, args + 8, nargs - 1, lidx);
	if (next > 0)
		off = next;
	rec_finish(ctx, cookie, s, off, token);
	return 0;
}

SEC("uprobe")
int usdt_audit(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 event = reg(ctx, PA_COOKIE_R0(cookie));
	struct scratch *s;
	__u64 token = 0;
	__u32 off = 0;
	int next;

	if (early_done(ctx, cookie, event))
		return 0;
	off = c_event_begin(ctx, cookie, event, &token);
	if (!off || !(s = scratch_rec()))
		return 0;
	/* the argument tuple's register only now: an event counted or dropped above needs none */
	next = put_tuple_args(s, off, reg(ctx, PA_COOKIE_R1(cookie)), PA_COOKIE_LAYOUT(cookie));
	if (next > 0)
		off = next;
	rec_finish(ctx, cookie, s, off, token);
	return 0;
}

/* Does nothing: `--empty-probe` puts it at the same places, the floor `make bench` measures. */
SEC("uprobe")
int empty_probe(struct pt_regs *ctx)
{
	return 0;
}

#include "discovery.bpf.h"

