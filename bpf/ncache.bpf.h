/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ncache.bpf.h - the per-CPU name cache of C event names (part of
 * pyaudit.bpf.c, included there: it uses that file's maps, scratch and config).
 * Keyed by the name's address relative to the probed binary; early_done()
 * decides a known name's event before any record is started.
 */
#ifndef PA_NCACHE_BPF_H
#define PA_NCACHE_BPF_H

/* PA_NCACHE_NAME bytes, word by word (clang's memcpy here would go through the stack). */
static __always_inline void copy48(void *dst, const void *src)
{
	__u64 *d = dst;
	const __u64 *q = src;

	d[0] = q[0];
	d[1] = q[1];
	d[2] = q[2];
	d[3] = q[3];
	d[4] = q[4];
	d[5] = q[5];
}

#define barrier() asm volatile("" ::: "memory")

/*
 * The per-CPU caches (names, formats) are written by a probe that another
 * probe on the same CPU may preempt.  A writer marks the entry's key invalid,
 * writes the rest, then the key; if any record was started on this CPU
 * meanwhile (s->seq moved), the key is left invalid.  A reader building a
 * record needs nothing more (a preempted record is dropped); early_done(),
 * which makes none, checks the key again after reading the entry.
 */
#define CACHE_KEY_NONE (~0ull)

static __always_inline void cache_write_begin(__u64 *key)
{
	*key = CACHE_KEY_NONE;
	barrier();
}

static __always_inline void cache_write_end(__u64 *key, __u64 val, struct scratch *s, __u64 seq)
{
	barrier();
	*key = val;
	barrier();
	if (s->seq != seq)
		*key = CACHE_KEY_NONE;
}

/*
 * ptr's address in the probed binary (*rel), if it lies in the binary's
 * read-only segments: a constant of the binary, the same in every process.
 * The binary's load address in this process is the instruction pointer at the
 * probe minus the probed instruction's address in the binary, whose page is in
 * the cookie.
 */
static __always_inline int bin_rel(struct pt_regs *ctx, __u64 cookie, __u64 ptr, __u64 *rel)
{
	__u32 id = PA_COOKIE_ID(cookie), page = PA_COOKIE_PAGE(cookie);
	struct pa_probe_cfg *pc;
	__u64 r;

	if (id >= PA_MAX_PROBES || page == PA_NO_PAGE)
		return 0;
	pc = &probe_cfg[id & (PA_MAX_PROBES - 1)];
	r = ptr - ((ctx->ip & ~0xfffull) - pc->ro_lo - ((__u64)page << 12));
	if (r < pc->ro_lo || r >= pc->ro_hi)
		return 0;
	*rel = r;
	return 1;
}

/*
 * The cache slot for a C event name at ptr, or NULL if the name is not a
 * constant of the probed binary (bin_rel): one entry serves every process, with
 * no per-process key and no lookup of the mapping.
 */
static __always_inline struct ncache_ent *ncache_slot(struct pt_regs *ctx, __u64 cookie,
						      __u64 ptr, __u64 *rel)
{
	__u32 id = PA_COOKIE_ID(cookie), zero = 0;
	struct name_cache *nc;
	__u64 r;

	if (!bin_rel(ctx, cookie, ptr, &r))
		return NULL;
	*rel = r;
	nc = bpf_map_lookup_elem(&name_cache, &zero);
	if (!nc)
		return NULL;
	return &nc->e[(r ^ (r >> 7) ^ (id << 3)) & (PA_NCACHE - 1)];
}

/*
 * The event name of a C-level event as the first value: from the name cache
 * when it has it, else read (and kept, if its binary allows).  Sets
 * e->name_hash when known from the cache.
 */
static __always_inline __u32 put_c_name(struct scratch *s, __u32 off, struct pt_regs *ctx,
				       __u64 cookie, __u64 ptr)
{
	__u32 id = PA_COOKIE_ID(cookie);
	__u64 rel = 0, seq = s->seq;
	struct ncache_ent *ce = ncache_slot(ctx, cookie, ptr, &rel);
	struct pa_event *e = (struct pa_event *)s->buf;
	struct pa_val *v;
	__u32 next, len;

	/* a probe preempting this one may rewrite the entry: then seq differs, the record is dropped */
	if (ce && ce->rel == rel && ce->probe_id == id) {
		len = ce->len & 63;
		if (len > PA_NCACHE_NAME)
			len = PA_NCACHE_NAME;
		copy48(payload_at(s, off), ce->name);
		val_set(val_at(s, off), PA_V_CSTR, 0, 1, len, len);
		e->name_hash = ce->hash;
		s->name_hit = 1;
		return off + sizeof(struct pa_val) + PA_ALIGN8(len);
	}
	next = put_cstr(s, off, PA_V_CSTR, ptr, PA_NAME_MAX);
	v = val_at(s, off);
	if (ce && v->kind == PA_V_CSTR && !(v->flags & PA_VF_TRUNC) && v->len <= PA_NCACHE_NAME) {
		__u8 *p = payload_at(s, off);
		__u64 h = PA_FNV_OFFSET;
		__u32 i;

		len = v->len;
		for (i = 0; i < PA_NCACHE_NAME && i < len; i++) {
			h ^= p[i];
			h *= PA_FNV_PRIME;
		}
		cache_write_begin(&ce->rel);
		copy48(ce->name, p);
		ce->len = len;
		ce->hash = h;
		ce->slot = 0;
		ce->verdict = PA_VERDICT_PENDING;
		if (cfg_fast || cfg_filter) {
			/* a decided verdict never changes: kept with the name */
			struct pa_name_val *nv = bpf_map_lookup_elem(&names, &h);

			if (nv && nv->verdict != PA_VERDICT_PENDING) {
				ce->slot = nv->slot;
				ce->verdict = nv->verdict;
			}
		}
		ce->probe_id = id;
		cache_write_end(&ce->rel, rel, s, seq);
		e->name_hash = h;
	}
	return next;
}

/*
 * Before any other work: is this C event's name known, from the cache, to be
 * filtered out, or (-c --by event) to be counted in its slot?  Then the event
 * costs the trap, two lookups and nothing else.  Returns 1 if it was handled.
 */
static __always_inline int early_done(struct pt_regs *ctx, __u64 cookie, __u64 ptr)
{
	struct pa_name_val *verdict;
	struct ncache_ent *ce;
	__u32 verdict_v, slot;
	__u64 rel = 0;

	if (!cfg_filter && !cfg_fast)
		return 0;
	ce = ncache_slot(ctx, cookie, ptr, &rel);
	if (!ce || ce->rel != rel || ce->probe_id != PA_COOKIE_ID(cookie))
		return 0;
	verdict_v = ce->verdict;
	slot = ce->slot;
	/* rewritten meanwhile by a probe that preempted this one: take the slow path */
	barrier();
	if (ce->rel != rel)
		return 0;
	if (verdict_v == PA_VERDICT_DROP)
		return 1;
	if (cfg_fast && slot) {
		struct fast_counts *fc;
		__u32 zero = 0;

		fc = bpf_map_lookup_elem(&fast_counts, &zero);
		if (!fc)
			return 0;
		/* atomic: a preempting probe on this CPU may count the same slot */
		__sync_fetch_and_add(&fc->c[slot & (PA_NFAST - 1)], 1);
		return 1;
	}
	if (!cfg_filter || verdict_v == PA_VERDICT_PASS)
		return 0;
	verdict = bpf_map_lookup_elem(&names, &ce->hash);
	return verdict && verdict->verdict == PA_VERDICT_DROP;
}

#endif
