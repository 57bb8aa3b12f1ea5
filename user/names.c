// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * names.c - event names, filter verdicts and -c counter slots (see names.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agg.h"
#include "decode.h"
#include "events.h"
#include "log.h"
#include "names.h"

struct names {
	struct event_filter *filter;
	int names_fd;		/* BPF names map, -1: not bound */
	int fast_counts_fd;	/* BPF fast_counts (per-CPU array) */
	bool fast;		/* -c --by event: per-CPU counter slots per name */
	struct agg *agg;
	unsigned nslots;
	uint64_t slot_hash[PA_NFAST];
};

struct names *names__new(const char *const *include, int ninclude, const char *const *exclude,
			 int nexclude)
{
	struct names *n = calloc(1, sizeof(*n));
	int i;
	size_t j;

	if (!n)
		return NULL;
	n->names_fd = n->fast_counts_fd = -1;
	n->filter = event_filter__new(include, ninclude, exclude, nexclude);
	if (!n->filter) {
		int err = errno;

		free(n);
		errno = err;
		return NULL;
	}
	/* a -e glob that names no known event still applies: libraries raise their own */
	for (i = 0; i < ninclude; i++) {
		for (j = 0; j < audit_event_table_len; j++)
			if (glob_match(include[i], audit_event_table[j].name))
				break;
		if (j == audit_event_table_len)
			pa_warn("-e '%s' matches no known event (kept: libraries raise "
				"events of their own)",
				include[i]);
	}
	return n;
}

void names__free(struct names *n)
{
	if (!n)
		return;
	event_filter__free(n->filter);
	free(n);
}

bool names__filtering(const struct names *n)
{
	return event_filter__active(n->filter);
}

bool names__pass(const struct names *n, const char *name)
{
	return event_filter__pass(n->filter, name);
}

const struct names *names__filter(const struct names *n)
{
	return event_filter__active(n->filter) ? n : NULL;
}

void names__bind(struct names *n, int names_fd, int fast_counts_fd, bool fast, struct agg *agg)
{
	n->names_fd = names_fd;
	n->fast_counts_fd = fast_counts_fd;
	n->fast = fast;
	n->agg = agg;
}

static void set_verdict(struct names *n, uint64_t hash, const char *name)
{
	struct pa_name_val v = {
		.verdict = names__pass(n, name) ? PA_VERDICT_PASS : PA_VERDICT_DROP,
	};

	/* -c --by event: a counter slot of its own, while there are slots */
	if (n->fast && v.verdict == PA_VERDICT_PASS && n->nslots < PA_NFAST - 1) {
		v.slot = ++n->nslots;
		n->slot_hash[v.slot] = hash;
	}
	if (bpf_map_update_elem(n->names_fd, &hash, &v, BPF_ANY))
		pa_dbg("names map: %s", strerror(errno));
	if (n->agg)
		agg__add_name(n->agg, hash, name);
}

void names__seed(struct names *n)
{
	size_t i;

	for (i = 0; i < audit_event_table_len; i++) {
		const char *s = audit_event_table[i].name;

		if (i && !strcmp(s, audit_event_table[i - 1].name))
			continue;
		set_verdict(n, pa_name_hash(s, strlen(s)), s);
	}
}

void names__on_record(struct names *n, const void *data, size_t size)
{
	const struct pa_name_rec *r = data;
	const struct pa_val *pv;
	char name[PA_NAME_MAX * 4 + 1];
	struct pa_value v;

	if (size < sizeof(*r) + sizeof(struct pa_val))
		return;
	pv = (const void *)(r + 1);
	if (pv->len > size - sizeof(*r) - sizeof(*pv) || pv->len > PA_NAME_MAX)
		return;
	memset(&v, 0, sizeof(v));
	v.kind = pv->kind;
	v.aux = pv->aux;
	v.len = pv->len;
	v.data = (const uint8_t *)(pv + 1);
	value_to_utf8(&v, name, sizeof(name));
	set_verdict(n, r->name_hash, name);
}

bool names__pass_value(const struct names *n, const struct pa_value *name)
{
	char buf[PA_NAME_MAX * 4 + 1];

	value_to_utf8(name, buf, sizeof(buf));
	return names__pass(n, buf);
}

int names__fast_rows(void *ctx, struct agg_count **rows, size_t *nrows)
{
	struct names *n = ctx;
	int ncpu = libbpf_num_possible_cpus();
	struct agg_count *r;
	__u64 *vals;
	__u32 zero = 0;
	unsigned s;
	int c;

	*rows = NULL;
	*nrows = 0;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(__u64) * PA_NFAST);
	r = calloc(n->nslots + 1, sizeof(*r));
	if (!vals || !r) {
		free(vals);
		free(r);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(n->fast_counts_fd, &zero, vals)) {
		int err = -errno;

		free(vals);
		free(r);
		return err;
	}
	for (s = 1; s <= n->nslots; s++) {
		r[s - 1].key.name_hash = n->slot_hash[s];
		for (c = 0; c < ncpu; c++)
			r[s - 1].count += vals[(size_t)c * PA_NFAST + s];
	}
	free(vals);
	*rows = r;
	*nrows = n->nslots;
	return 0;
}
