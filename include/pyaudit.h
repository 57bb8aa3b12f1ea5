/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyaudit.h - the ABI between the BPF programs and the userspace loader.
 *
 * Compiled by clang for BPF and by cc for userspace, so it uses only fixed-width
 * __u8..__u64/__s64 types, spells padding out and numbers every kind explicitly.
 * Kinds are never reused: a retired kind keeps its number.
 *
 * A ring-buffer record is a struct pa_rec_hdr followed by a kind-specific body.
 * An audit event (PA_REC_EVENT) is a struct pa_event followed by a sequence of
 * values (struct pa_val + payload, each padded to 8 bytes): the first value is
 * the event name, then one value per top-level argument.  A tuple or list value
 * is followed by its captured items.  Every length in a record is checked by
 * user/decode.c before it is used.
 */
#ifndef PYAUDIT_H
#define PYAUDIT_H

#ifdef __BPF__
/* vmlinux.h provides __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

/* Limits.  Loops in BPF are bounded by these. */
#define PA_REC_MAX	  16384 /* largest record; power of two */
#define PA_STR_DEFAULT	  256	/* -s default: bytes captured per string */
#define PA_STR_MAX	  4096	/* -s maximum */
#define PA_NAME_MAX	  128	/* bytes of an event name */
#define PA_MAX_ARGS	  12	/* top-level arguments captured per event */
#define PA_MAX_ITEMS	  8	/* items captured of a tuple or list argument */
#define PA_MAX_DIGITS	  8	/* 30-bit digits captured of an int (240 bits) */
#define PA_TYPE_NAME_MAX  32	/* bytes of a type name */
#define PA_FMT_MAX	  16	/* bytes of a C format string */
#define PA_MAX_LAYOUTS	  16	/* CPython object layouts known at once */
#define PA_MAX_PROBES	  256	/* probe points (links) described to BPF */
#define PA_MAX_FOLLOWED	  32768	/* -f: processes followed at once */

enum pa_rec_kind {
	PA_REC_EVENT = 1, /* struct pa_event + values */
	PA_REC_NAME = 2,  /* struct pa_name_rec: first sight of an event name (filters, -c) */
	PA_REC_EXEC = 3,  /* struct pa_exec_rec: a process exec'd (target discovery) */
	PA_REC_MMAP = 4,  /* struct pa_exec_rec: an executable file was mapped */
	PA_REC_CGROUP = 5, /* struct pa_cgroup_rec: first sight of a cgroup (--cgroup, --container) */
};

struct pa_rec_hdr {
	__u32 kind; /* enum pa_rec_kind */
	__u32 len;  /* bytes of the whole record, header included */
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

/*
 * How a probe reads an event; chosen per probe point by userspace and passed in
 * the BPF cookie (see PA_COOKIE_*).
 */
enum pa_probe_kind {
	PA_PROBE_USDT = 1,    /* python:audit marker: arg0 = const char *event, arg1 = args tuple */
	PA_PROBE_VALIST = 2,  /* at a call of sys_audit_tstate(tstate, event, fmt, va_list *) */
	PA_PROBE_VARARGS = 3, /* entry of PySys_Audit(event, fmt, ...) (3.8: no inner function) */
	PA_PROBE_SYSAUDIT = 4, /* entry of builtin sys.audit(self, PyObject *const *args, nargs) */
	PA_PROBE_CLONE = 5,   /* a _PySys_Audit(tstate, event, fmt, ...) copy holding the audit
			       * gate (LTO clone), near its entry: see PA_COOKIE_SPADJ */
};

/* Route a process got, as reported in JSON and on stderr. */
enum pa_route {
	PA_ROUTE_NONE = 0,
	PA_ROUTE_USDT = 1,
	PA_ROUTE_UPROBE = 2,
};

/*
 * BPF cookie layout (64 bits):
 *   bits  0..7   enum pa_probe_kind
 *   bits  8..15  register of arg0 (USDT only; enum pa_reg)
 *   bits 16..23  register of arg1 (USDT only; enum pa_reg)
 *   bits 24..31  layout index into pa_layouts[]
 *   bits 32..51  probe id (index into userspace's probe table; reported per event)
 *   bits 52..63  the probed instruction's page in its binary, counted from
 *                pa_probe_cfg.ro_lo: with the instruction pointer at the probe
 *                it gives the binary's load address in the process (PA_NO_PAGE:
 *                out of range)
 */
#define PA_COOKIE(kind, r0, r1, layout, id, page)                                              \
	((__u64)(kind) | ((__u64)(r0) << 8) | ((__u64)(r1) << 16) | ((__u64)(layout) << 24) |  \
	 ((__u64)(id) << 32) | ((__u64)(page) << 52))
#define PA_COOKIE_KIND(c)   ((__u32)((c)&0xff))
#define PA_COOKIE_R0(c)	    ((__u32)(((c) >> 8) & 0xff))
#define PA_COOKIE_R1(c)	    ((__u32)(((c) >> 16) & 0xff))
#define PA_COOKIE_LAYOUT(c) ((__u32)(((c) >> 24) & 0xff))
#define PA_COOKIE_ID(c)	    ((__u32)(((c) >> 32) & 0xfffff))
#define PA_COOKIE_PAGE(c)   ((__u32)((c) >> 52))
/*
 * PA_PROBE_CLONE reuses the arg0 register byte: what the clone's prologue
 * subtracted from rsp before the probed instruction, in 8-byte units (its
 * stack arguments start at rsp + 8 * units + 8).
 */
#define PA_COOKIE_SPADJ(c)  PA_COOKIE_R0(c)
#define PA_SPADJ_MAX	    (0xfe * 8)
#define PA_MAX_PROBE_ID	    0xfffff
#define PA_NO_PAGE	    0xfff

/* x86-64 registers a USDT argument can live in (struct pt_regs field order). */
enum pa_reg {
	PA_REG_R15 = 0, PA_REG_R14, PA_REG_R13, PA_REG_R12, PA_REG_RBP, PA_REG_RBX,
	PA_REG_R11, PA_REG_R10, PA_REG_R9, PA_REG_R8, PA_REG_RAX, PA_REG_RCX,
	PA_REG_RDX, PA_REG_RSI, PA_REG_RDI, PA_REG_NONE = 0xff,
};

/*
 * Offsets into CPython objects for one interpreter build (x86-64), filled by
 * user/pyversion.c and read by bpf/pyobj.bpf.h.  flags == 0 means "layout not
 * known": objects are then reported as opaque, never guessed at.
 */
#define PA_LAYOUT_VALID	 (1u << 0)
#define PA_LAYOUT_LV_TAG (1u << 1) /* int sign/size in lv_tag (3.12+), not ob_size */
#define PA_LAYOUT_SITE	 (1u << 2) /* the site fields below are known: call sites are read */
#define PA_LAYOUT_CFRAME (1u << 3) /* tstate -> _PyCFrame -> current frame (3.11, 3.12) */
#define PA_LAYOUT_TID_PTHREAD (1u << 4) /* ts_tid is pthread_self() (= fsbase), not the tid */
#define PA_LAYOUT_IFRAME (1u << 5) /* _PyInterpreterFrame (3.11+): fr_instr is a pointer */
#define PA_LAYOUT_SITE_BITS                                                                    \
	(PA_LAYOUT_SITE | PA_LAYOUT_CFRAME | PA_LAYOUT_TID_PTHREAD | PA_LAYOUT_IFRAME)

/* How a frame's instruction position reads (pa_layout.fr_kind). */
enum pa_frame_kind {
	PA_FK_LASTI_BYTES = 1, /* PyFrameObject.f_lasti, a byte offset (3.8, 3.9) */
	PA_FK_LASTI_UNITS = 2, /* PyFrameObject.f_lasti, in 2-byte code units (3.10) */
	PA_FK_INSTR_PTR = 3,   /* _PyInterpreterFrame prev_instr / instr_ptr (3.11+) */
};

struct pa_layout {
	__u32 flags;
	__u32 ob_type;		/* PyObject.ob_type */
	__u32 ob_size;		/* PyVarObject.ob_size */
	__u32 tp_name;		/* PyTypeObject.tp_name */
	__u32 tp_flags;		/* PyTypeObject.tp_flags */
	__u32 str_length;	/* PyASCIIObject.length */
	__u32 str_state;	/* PyASCIIObject.state (32-bit word) */
	__u32 str_ascii_data;	/* data of a compact ASCII str: sizeof(PyASCIIObject) */
	__u32 str_compact_data; /* data of a compact non-ASCII str: sizeof(PyCompactUnicodeObject) */
	__u32 str_any_data;	/* PyUnicodeObject.data.any (non-compact str) */
	__u32 str_kind_shift;	/* state >> shift & 7 = kind (1, 2, 4) */
	__u32 str_compact_bit;	/* state & bit: compact */
	__u32 str_ascii_bit;	/* state & bit: ascii */
	__u32 bytes_data;	/* PyBytesObject.ob_sval */
	__u32 bytearray_data;	/* PyByteArrayObject.ob_start (char *) */
	__u32 tuple_items;	/* PyTupleObject.ob_item[] (inline) */
	__u32 list_items;	/* PyListObject.ob_item (PyObject **) */
	__u32 long_size;	/* ob_size (<=3.11) or lv_tag (3.12+), see PA_LAYOUT_LV_TAG */
	__u32 long_digits;	/* ob_digit[] (30-bit digits in __u32) */
	__u32 float_val;	/* PyFloatObject.ob_fval */
	__u32 dict_used;	/* PyDictObject.ma_used */
	__u32 str_utf8;		/* PyCompactUnicodeObject.utf8 (char *, cached UTF-8 or NULL) */
	/* the call site (PA_LAYOUT_SITE); see docs/design.md */
	__u32 rt_tstate;	/* _PyRuntime.gilstate.tstate_current (<= 3.11), 0: none */
	__u32 rt_interp_head;	/* _PyRuntime.interpreters.head */
	__u32 is_threads_head;	/* PyInterpreterState.threads.head (tstate_head <= 3.10) */
	__u32 ts_next;		/* PyThreadState.next */
	__u32 ts_frame;		/* PyThreadState.frame / cframe / current_frame */
	__u32 ts_tid;		/* PyThreadState.native_thread_id (thread_id <= 3.10) */
	__u32 cf_current;	/* _PyCFrame.current_frame (PA_LAYOUT_CFRAME) */
	__u32 fr_kind;		/* enum pa_frame_kind */
	__u32 fr_code;		/* f_code / f_executable */
	__u32 fr_back;		/* f_back / previous */
	__u32 fr_instr;		/* f_lasti (int) / prev_instr / instr_ptr */
	__u32 fr_owner;		/* owner (char), 0: none (PyFrameObject) */
	__u32 fr_lineno;	/* PyFrameObject.f_lineno (<= 3.10), 0: none */
	__u32 fr_trace;		/* f_trace: f_lineno is the line when set (3.8, 3.9); 0: f_lineno when not 0 (3.10) */
	__u32 fr_owner_shim;	/* owner values >= this are C-stack/interpreter shims, 0: none */
	__u32 fr_exec_mask;	/* low tag bits of f_executable to clear (3.14+: 3) */
	__u32 co_firstlineno;
	__u32 co_filename;
	__u32 co_name;
	__u32 co_linetable;	/* co_lnotab (3.8, 3.9) / co_linetable */
	__u32 co_firsttraceable; /* _co_firsttraceable (3.11+), 0: none */
	__u32 co_code;		/* co_code_adaptive: the bytecode inside the code object (3.11+) */
	/*
	 * The byte spans [lo, hi) the fields above lie in, read as one block
	 * each: of a thread state from offset 8 (thread id and frame), of a
	 * frame, and of a code object from co_lo.  Derived from the fields
	 * when the layout is installed (attach.c), not per event.
	 */
	__u16 ts_lo, ts_hi, fr_lo, fr_hi, co_lo, co_hi;
};

/* Python type flags (stable 3.8 - 3.15). */
#define PA_TPFLAGS_BASETYPE	  (1ull << 10)
#define PA_TPFLAGS_LONG_SUBCLASS  (1ull << 24)
#define PA_TPFLAGS_LIST_SUBCLASS  (1ull << 25)
#define PA_TPFLAGS_TUPLE_SUBCLASS (1ull << 26)
#define PA_TPFLAGS_BYTES_SUBCLASS (1ull << 27)
#define PA_TPFLAGS_UNICODE_SUBCLASS (1ull << 28)
#define PA_TPFLAGS_DICT_SUBCLASS  (1ull << 29)

/* Event flags (struct pa_event.flags). */
#define PA_EV_NAME_PENDING  (1u << 0) /* no filter verdict for this name yet: userspace decides */
#define PA_EV_ARGS_TRUNC    (1u << 1) /* more top-level args than PA_MAX_ARGS, or record full */
#define PA_EV_FMT_UNSUPPORTED (1u << 2) /* C format had a unit BPF cannot read; args stop there */
#define PA_EV_LAYOUT_UNKNOWN (1u << 3) /* no object layout for this binary: objects are opaque */
#define PA_EV_PYLEVEL	    (1u << 4) /* raised by Python code through sys.audit() */
#define PA_EV_CGROUP_PENDING (1u << 5) /* no cgroup verdict yet (--cgroup, --container): userspace decides */

struct pa_event {
	struct pa_rec_hdr hdr;	/* kind = PA_REC_EVENT */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 uid;
	__u32 probe_id;		/* PA_COOKIE_ID: which probe point (binary, route) fired */
	__u64 name_hash;	/* pa_name_hash() of the name value's payload */
	__u64 cgroup_id;	/* the thread's cgroup (v2 hierarchy): its kernfs id */
	char comm[16];
	__u16 nargs;		/* top-level argument values that follow the name */
	__u16 nargs_total;	/* top-level arguments the event had (>= nargs) */
	__u32 flags;		/* PA_EV_* */
	__u32 ppid;		/* the parent's tgid */
	__u32 nspid;		/* tgid in the process's own pid namespace */
	__u64 start_ns;		/* the process's start (start_boottime): (pid, start_ns) is one process */
	__u64 exe_ino;		/* inode of its executable (another after an exec) */
	__u16 frames_off;	/* offset of the call-site frames (struct pa_frame), 0: none */
	__u16 nframes;		/* frames there; their code infos (if any) follow them */
	__u32 _pad;
	/* followed by: name value, then nargs argument values, then the frames */
};

/* Value kinds.  Numbers are ABI: never reuse one. */
enum pa_val_kind {
	PA_V_NONE = 1,	    /* None (or a NULL C string, which Py_BuildValue makes None) */
	PA_V_BOOL = 2,	    /* aux = 0 or 1 */
	PA_V_INT = 3,	    /* payload: __s64 (C signed units) */
	PA_V_UINT = 4,	    /* payload: __u64 (C unsigned units) */
	PA_V_PYLONG = 5,    /* payload: __u32 digits[aux] (30 bits each, little end first);
			     * flags PA_VF_NEG; full = digits the int really has */
	PA_V_FLOAT = 6,	    /* payload: double */
	PA_V_STR = 7,	    /* payload: code units of width aux (1 = latin-1/ASCII, 2 = UCS-2,
			     * 4 = UCS-4); full = length in code points */
	PA_V_CSTR = 8,	    /* payload: UTF-8 bytes of a C string; full = 0 (unknown) */
	PA_V_BYTES = 9,	    /* payload: bytes; full = size */
	PA_V_BYTEARRAY = 10, /* payload: bytes; full = size */
	PA_V_TUPLE = 11,    /* no payload; aux = items that follow; full = items it has */
	PA_V_LIST = 12,	    /* likewise */
	PA_V_DICT = 13,	    /* no payload; full = number of items */
	PA_V_OTHER = 14,    /* payload: type name bytes; full = object address */
	PA_V_UNREADABLE = 15, /* a read failed or the layout is unknown; full = address */
	PA_V_WSTR = 16,	    /* payload: wchar_t (UTF-32) code units of a C wide string */
};

#define PA_VF_TRUNC (1u << 0) /* payload was cut to -s or to the room left */
#define PA_VF_NEG   (1u << 1) /* PA_V_PYLONG: negative */
#define PA_VF_SUBCLASS (1u << 2) /* str/int/bytes/tuple/list/dict subclass instance */

struct pa_val {
	__u8 kind;  /* enum pa_val_kind */
	__u8 flags; /* PA_VF_* */
	__u16 aux;
	__u32 len;  /* payload bytes that follow (before padding to 8) */
	__u64 full;
};

#define PA_ALIGN8(x) (((x) + 7) & ~7u)

struct pa_name_rec {
	struct pa_rec_hdr hdr; /* kind = PA_REC_NAME */
	__u64 name_hash;
	__u32 pid;
	__u32 _pad;
	/* followed by the name value (struct pa_val + payload) */
};

struct pa_exec_rec {
	struct pa_rec_hdr hdr; /* kind = PA_REC_EXEC or PA_REC_MMAP */
	__u32 pid;
	__u32 tid;
	__u64 dev;  /* st_dev of the file (PA_REC_MMAP) */
	__u64 ino;  /* st_ino of the file (PA_REC_MMAP) */
	char comm[16];
	char path[256]; /* exec: the file as execve named it (may be relative); else "" */
};

/*
 * Per probe id (PA_COOKIE_ID): the binary's read-only segments, as ELF virtual
 * addresses (ro_lo page-aligned).  A C event name inside them is the binary's
 * own constant: BPF keeps it by its address relative to the binary, the same
 * in every process that maps it, instead of reading it at every event.
 * ro_hi == 0: no such range.
 */
struct pa_probe_cfg {
	__u64 ro_lo;
	__u64 ro_hi;
	__u64 runtime;	/* ELF virtual address of _PyRuntime, 0: unknown (no call site) */
};

/* --cgroup / --container: a cgroup id the kernel has no verdict for yet. */
struct pa_cgroup_rec {
	struct pa_rec_hdr hdr; /* kind = PA_REC_CGROUP */
	__u64 cgroup_id;
	__u32 pid;
	__u32 _pad;
};

/*
 * One Python frame of an event's call site (innermost first), after the
 * arguments.  code is the code object; fp a fingerprint of it (its filename,
 * name and line-table pointers and first line, see PA_FRAME_FP) so that a
 * code object freed and another allocated at its address are told apart;
 * lasti the byte offset of the current instruction in its bytecode, as
 * PyCode_Addr2Line takes it.  PA_FR_INFO: the code's filename (str), name
 * (str), line table (bytes) and first line (int) follow the frames as values,
 * in frame order: sent at a code object's first sight on a CPU, so userspace
 * needs no read of the process to name it.
 */
struct pa_frame {
	__u64 code;
	__u64 fp;
	__u32 lasti;
	__u16 flags;	/* PA_FR_* */
	__u16 _pad;
};
#define PA_FR_INFO	(1u << 0)
#define PA_FR_LINENO	(1u << 1) /* lasti is the frame's own line number (a traced frame, <= 3.10) */
#define PA_MAX_FRAMES	8	/* --stack at most */
#define PA_LINETABLE_MAX 4096	/* bytes of a line table sent with PA_FR_INFO */
#define PA_FRAME_FP(filename, name, linetable, firstlineno)                                    \
	((filename) ^ (((name) << 17) | ((name) >> 47)) ^                                     \
	 (((linetable) << 34) | ((linetable) >> 30)) ^ (__u64)(__u32)(firstlineno))

#define PA_NCACHE      128 /* per-CPU name cache entries (power of two) */
#define PA_NCACHE_NAME 48  /* longest name kept in it */

/* -c key fields (--by), a bit set: cfg_by of the BPF program, user/cli.h's enum by_field. */
#define PA_BY_EVENT (1u << 0)
#define PA_BY_PID   (1u << 1)
#define PA_BY_COMM  (1u << 2)
#define PA_BY_UID   (1u << 3)

/* -c key; fields not chosen with --by are zero. */
struct pa_count_key {
	__u64 name_hash;
	__u32 pid;
	__u32 uid;
	char comm[16];
};

/* Which processes' exec and executable mappings BPF reports (cfg_discover). */
enum pa_discover {
	PA_DISCOVER_OFF = 0,
	PA_DISCOVER_EVERY = 1,	 /* every process (system-wide, -f) */
	PA_DISCOVER_WATCHED = 2, /* the watched ones (-p, a command) */
};

/*
 * seen_files map (system-wide discovery): key PA_SEEN_KEY of the file's kernel
 * dev_t (major << 20 | minor) and inode; value PA_SEEN_*.
 */
#define PA_SEEN_KEY(kdev, ino) (((__u64)(kdev) << 40) ^ (__u64)(ino))
#define PA_SEEN_REPORTED 1 /* reported to userspace, not decided yet: reported again */
#define PA_SEEN_SETTLED	 2 /* decided by userspace for good: no longer reported */

/* --hist: log2 histogram of the time between two events of one name in one process. */
struct pa_hist_key {
	__u64 name_hash;
	__u32 slot; /* floor(log2(microseconds)), 0 for < 2 us */
	__u32 _pad;
};

struct pa_last_key {
	__u64 name_hash;
	__u32 pid;
	__u32 _pad;
};

/* Drop and error counters, one slot each in the BPF program's .bss. */
enum pa_drop_reason {
	PA_DROP_RINGBUF = 0,   /* ring buffer full: event lost */
	PA_DROP_NAME_MAP = 1,  /* names map full: filter or count key not stored */
	PA_DROP_COUNT_MAP = 2, /* counts map full: event not counted */
	PA_ERR_READ = 3,       /* a user-memory read failed (value reported as unreadable) */
	PA_DROP_PREEMPTED = 4, /* the probe was preempted and its per-CPU buffer reused: event lost */
	PA_DROP_CGROUP_PENDING = 5, /* -c: event of a cgroup not decided yet (--cgroup, --container) */
	PA_DROP_FOLLOW = 7,    /* -f: followed map full, a child is not followed */
	PA_DROP_NR = 8,
};

/*
 * Value of the BPF names map (key: name hash).  slot: -c --by event only, the
 * name's counter in the per-CPU fast_counts array (0 = none): an event whose
 * name is known then costs one increment, not a hash-map update.
 */
struct pa_name_val {
	__u32 verdict; /* enum pa_verdict */
	__u32 slot;
};

#define PA_NFAST 2048 /* fast counter slots (16 KiB per CPU) */

/* Filter verdicts kept per name hash in the BPF names map. */
enum pa_verdict {
	PA_VERDICT_PENDING = 0, /* seen, userspace has not decided yet */
	PA_VERDICT_PASS = 1,
	PA_VERDICT_DROP = 2,
};

/*
 * FNV-1a, 64 bit, over a name value's payload bytes.  Shared so that userspace
 * can key the names map exactly as BPF does.
 */
#define PA_FNV_OFFSET 0xcbf29ce484222325ull
#define PA_FNV_PRIME  0x100000001b3ull

/*
 * Layout asserts: every record and map key/value crossing the boundary has the
 * same size and offsets for clang -target bpf and for cc (x86-64).
 */
#define PA_ASSERT_SIZE(t, n) _Static_assert(sizeof(struct t) == (n), #t " size is ABI")
#define PA_ASSERT_OFF(t, f, n)                                                                 \
	_Static_assert(__builtin_offsetof(struct t, f) == (n), #t "." #f " offset is ABI")
PA_ASSERT_SIZE(pa_rec_hdr, 16);
PA_ASSERT_SIZE(pa_event, 104);
PA_ASSERT_OFF(pa_event, pid, 16);
PA_ASSERT_OFF(pa_event, name_hash, 32);
PA_ASSERT_OFF(pa_event, cgroup_id, 40);
PA_ASSERT_OFF(pa_event, comm, 48);
PA_ASSERT_OFF(pa_event, nargs, 64);
PA_ASSERT_OFF(pa_event, flags, 68);
PA_ASSERT_OFF(pa_event, start_ns, 80);
PA_ASSERT_OFF(pa_event, exe_ino, 88);
PA_ASSERT_OFF(pa_event, frames_off, 96);
PA_ASSERT_SIZE(pa_val, 16);
PA_ASSERT_OFF(pa_val, len, 4);
PA_ASSERT_OFF(pa_val, full, 8);
PA_ASSERT_SIZE(pa_name_rec, 32);
PA_ASSERT_OFF(pa_name_rec, name_hash, 16);
PA_ASSERT_OFF(pa_name_rec, pid, 24);
PA_ASSERT_SIZE(pa_exec_rec, 312);
PA_ASSERT_OFF(pa_exec_rec, pid, 16);
PA_ASSERT_OFF(pa_exec_rec, dev, 24);
PA_ASSERT_OFF(pa_exec_rec, ino, 32);
PA_ASSERT_OFF(pa_exec_rec, comm, 40);
PA_ASSERT_OFF(pa_exec_rec, path, 56);
PA_ASSERT_SIZE(pa_cgroup_rec, 32);
PA_ASSERT_OFF(pa_cgroup_rec, cgroup_id, 16);
PA_ASSERT_OFF(pa_cgroup_rec, pid, 24);
PA_ASSERT_SIZE(pa_frame, 24);
PA_ASSERT_OFF(pa_frame, lasti, 16);
PA_ASSERT_OFF(pa_frame, flags, 20);
PA_ASSERT_SIZE(pa_probe_cfg, 24);
PA_ASSERT_SIZE(pa_layout, 44 * 4 + 6 * 2);
PA_ASSERT_SIZE(pa_count_key, 32);
PA_ASSERT_OFF(pa_count_key, pid, 8);
PA_ASSERT_OFF(pa_count_key, uid, 12);
PA_ASSERT_OFF(pa_count_key, comm, 16);
PA_ASSERT_SIZE(pa_hist_key, 16);
PA_ASSERT_OFF(pa_hist_key, slot, 8);
PA_ASSERT_SIZE(pa_last_key, 16);
PA_ASSERT_OFF(pa_last_key, pid, 8);
PA_ASSERT_SIZE(pa_name_val, 8);
PA_ASSERT_OFF(pa_name_val, slot, 4);

#endif /* PYAUDIT_H */
