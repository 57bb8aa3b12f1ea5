// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * site.c - names and line numbers of call-site frames (site.h).
 *
 * The cache is a chained hash table of at most SITE_MAX code objects; when it
 * is full it is emptied (a code object described before is then unknown until
 * BPF describes it again, which its per-CPU cache may not do: such a frame is
 * reported as unknown, never as another code object's).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pyaudit.h"
#include "site.h"

#define SITE_BUCKETS 4096
#define SITE_MAX     65536

struct code_ent {
	struct code_ent *next;
	uint32_t pid;
	uint64_t start_ns, code, fp;
	char *file, *function;
	uint8_t *table;
	size_t table_len;
	bool table_cut; /* the line table was cut: lines past it are unknown */
	int firstlineno;
	uint32_t last_lasti; /* the last instruction looked up and its line (a loop's events) */
	int last_line;
};

struct site_cache {
	struct code_ent *b[SITE_BUCKETS];
	size_t n;
};

struct site_cache *site_cache__new(void)
{
	return calloc(1, sizeof(struct site_cache));
}

static void ent_free(struct code_ent *e)
{
	free(e->file);
	free(e->function);
	free(e->table);
	free(e);
}

static void clear(struct site_cache *c)
{
	size_t i;

	for (i = 0; i < SITE_BUCKETS; i++) {
		while (c->b[i]) {
			struct code_ent *e = c->b[i];

			c->b[i] = e->next;
			ent_free(e);
		}
	}
	c->n = 0;
}

void site_cache__free(struct site_cache *c)
{
	if (!c)
		return;
	clear(c);
	free(c);
}

static size_t bucket(uint32_t pid, uint64_t start, uint64_t code, uint64_t fp)
{
	uint64_t h = (code >> 4) ^ fp ^ ((uint64_t)pid << 20) ^ start;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h % SITE_BUCKETS;
}

/* A str value as a NUL-terminated UTF-8 string (invalid bytes kept for the escapers). */
static char *str_dup(const struct pa_value *v)
{
	size_t n = value_to_utf8(v, NULL, 0) + 1;
	char *s = malloc(n);

	if (s)
		value_to_utf8(v, s, n);
	return s;
}

static struct code_ent *lookup(struct site_cache *c, const struct audit_event *ev,
			       const struct pa_site_frame *f)
{
	struct code_ent *e = c->b[bucket(ev->pid, ev->start_ns, f->code, f->fp)];

	for (; e; e = e->next)
		if (e->pid == ev->pid && e->start_ns == ev->start_ns && e->code == f->code &&
		    e->fp == f->fp)
			return e;
	return NULL;
}

/* Keeps (or replaces) what a record says of a code object. */
static struct code_ent *learn(struct site_cache *c, const struct audit_event *ev,
			      const struct pa_site_frame *f)
{
	struct code_ent *e = lookup(c, ev, f), **head;
	int64_t first;

	if (f->firstlineno.len != 8)
		return e;
	memcpy(&first, f->firstlineno.data, 8);
	if (!e) {
		if (c->n >= SITE_MAX)
			clear(c);
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		head = &c->b[bucket(ev->pid, ev->start_ns, f->code, f->fp)];
		e->next = *head;
		*head = e;
		c->n++;
		e->pid = ev->pid;
		e->start_ns = ev->start_ns;
		e->code = f->code;
		e->fp = f->fp;
	} else {
		free(e->file);
		free(e->function);
		free(e->table);
		e->file = e->function = NULL;
		e->table = NULL;
	}
	e->file = str_dup(&f->filename);
	e->function = str_dup(&f->name);
	e->table_len = f->linetable.len;
	e->table_cut = value_truncated(&f->linetable);
	e->table = malloc(e->table_len ? e->table_len : 1);
	if (e->table)
		memcpy(e->table, f->linetable.data, e->table_len);
	else
		e->table_len = 0;
	e->firstlineno = first < -0x7fffffff ? -0x7fffffff : first > 0x7fffffff ? 0x7fffffff
											: (int)first;
	e->last_lasti = 0xffffffffu; /* none yet */
	return e;
}

/* varint of the 3.11+ location table: 6-bit chunks, bit 6 = more.  -1 past the end. */
static int64_t varint(const uint8_t *t, size_t len, size_t *i)
{
	uint64_t v, shift = 0;
	uint8_t b;

	if (*i >= len)
		return -1;
	b = t[(*i)++];
	v = b & 63;
	while (b & 64) {
		if (*i >= len || shift > 48)
			return -1;
		b = t[(*i)++];
		shift += 6;
		v |= (uint64_t)(b & 63) << shift;
	}
	return (int64_t)v;
}

static int64_t svarint(const uint8_t *t, size_t len, size_t *i)
{
	int64_t u = varint(t, len, i);

	if (u < 0)
		return 0;
	return (u & 1) ? -(u >> 1) : (u >> 1);
}

int site_addr2line(unsigned minor, const uint8_t *t, size_t len, bool cut, int firstlineno,
		   int64_t lasti)
{
	int64_t line = firstlineno, start = 0, end = 0, cur = -1;
	size_t i = 0;

	if (lasti < 0)
		return firstlineno;
	if (minor <= 9) {
		/* co_lnotab: (bytecode increment, line increment) pairs */
		for (i = 0; i + 1 < len; i += 2) {
			end += t[i];
			if (end > lasti)
				break;
			line += (int8_t)t[i + 1];
		}
		if (i + 1 >= len && cut)
			return -1; /* the rest of the table was not captured */
		return line < 0 || line > 0x7fffffff ? -1 : (int)line;
	}
	if (minor == 10) {
		/* co_linetable: (bytecode length, line delta) pairs; -128: no line */
		while (end <= lasti) {
			if (i + 1 >= len)
				return -1;
			start = end;
			end += t[i];
			if ((int8_t)t[i + 1] == -128) {
				cur = -1;
			} else {
				line += (int8_t)t[i + 1];
				cur = line;
			}
			i += 2;
		}
		(void)start;
		return cur < 0 || cur > 0x7fffffff ? -1 : (int)cur;
	}
	/* 3.11+ location table: entries 1cccclll + continuation bytes (bit 7 clear) */
	while (end <= lasti) {
		uint8_t b;
		unsigned code;
		size_t j;

		if (i >= len || !(t[i] & 0x80))
			return -1;
		b = t[i];
		code = (b >> 3) & 15;
		if (code == 13 || code == 14) {
			j = i + 1;
			line += svarint(t, len, &j);
		} else if (code >= 10 && code <= 12) {
			line += code - 10;
		}
		cur = code == 15 ? -1 : line;
		start = end;
		end += ((b & 7) + 1) * 2;
		do
			i++;
		while (i < len && !(t[i] & 0x80));
	}
	(void)start;
	return cur < 0 || cur > 0x7fffffff ? -1 : (int)cur;
}

void site_cache__learn(struct site_cache *c, const struct audit_event *ev)
{
	unsigned i;

	for (i = 0; i < ev->nframes && i < PA_MAX_FRAMES; i++)
		if (ev->frames[i].has_info)
			learn(c, ev, &ev->frames[i]);
}

void site_cache__resolve(struct site_cache *c, struct audit_event *ev, unsigned minor)
{
	unsigned i;

	ev->nsite = 0;
	for (i = 0; i < ev->nframes && i < PA_MAX_FRAMES; i++) {
		const struct pa_site_frame *f = &ev->frames[i];
		struct code_ent *e = lookup(c, ev, f);
		int line;

		if (!e || !e->file || !e->function)
			break;
		if (f->lasti == 0xffffffffu)
			line = e->firstlineno;
		else if (f->flags & PA_FR_LINENO)
			line = (int)f->lasti;
		else if (f->lasti == e->last_lasti)
			line = e->last_line;
		else {
			line = site_addr2line(minor, e->table, e->table_len, e->table_cut,
					      e->firstlineno, f->lasti);
			e->last_lasti = f->lasti;
			e->last_line = line;
		}
		ev->site[ev->nsite].file = e->file;
		ev->site[ev->nsite].function = e->function;
		ev->site[ev->nsite].line = line;
		ev->nsite++;
	}
}
