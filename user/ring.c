// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring.c - reads the BPF ring buffer (the kernel's layout, Documentation/bpf/ringbuf.rst):
 * a page holding the consumer position, writable by us; a page holding the
 * producer position, then the data area mapped twice in a row, so that a
 * record that wraps around the end reads as one piece.  Each record starts
 * with an 8-byte header: its length, with a busy bit while the producer
 * writes it and a discard bit for a record given up.
 *
 * Why not libbpf's ring_buffer: it stores the consumer position after every
 * record.  The producer reads that position at each reservation and commit,
 * so a reader keeping up with a probe that fires a million times a second
 * made each of those reads a cache miss on the traced thread's CPU.  Here the
 * position is stored once per batch, or once per 64th of the ring within a
 * long one (so the producer always sees the space being freed).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "ring.h"

struct ring {
	int fd;
	ring_fn fn;
	void *ctx;
	uint64_t mask;		/* data size - 1 (a power of two) */
	size_t page;
	uint64_t *consumer;	/* our page */
	const uint64_t *producer;
	const uint8_t *data;
	size_t prod_len;	/* of the producer mapping: page + 2 * data size */
};

struct ring *ring__open(int map_fd, ring_fn fn, void *ctx)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	struct ring *r;
	void *p;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = map_fd;
	r->fn = fn;
	r->ctx = ctx;
	r->mask = info.max_entries - 1;
	r->page = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->consumer = p;
	r->prod_len = r->page + 2 * (size_t)info.max_entries;
	p = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, map_fd, r->page);
	if (p == MAP_FAILED) {
		munmap(r->consumer, r->page);
		goto fail;
	}
	r->producer = p;
	r->data = (const uint8_t *)p + r->page;
	return r;
fail:
	free(r);
	return NULL;
}

#define STORE_EVERY_SHIFT 6 /* within a batch: store the position every 1/64 of the ring */

long ring__consume(struct ring *r)
{
	uint64_t cons = __atomic_load_n(r->consumer, __ATOMIC_RELAXED), stored = cons, prod;
	uint64_t every = (r->mask + 1) >> STORE_EVERY_SHIFT, start = cons;
	long n = 0;
	int err = 0;

	/*
	 * At most a ring's worth a call: probes on many CPUs could outpace one
	 * reader for a long time, and the caller's loop has signals, -d and the
	 * metrics to see to between calls.
	 */
	while (cons - start <= r->mask) {
		prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		while (cons < prod) {
			const uint32_t *hdr = (const uint32_t *)(r->data + (cons & r->mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

			if (len & BPF_RINGBUF_BUSY_BIT)
				goto out; /* not committed yet: the next turn reads it */
			/*
			 * The kernel keeps sizes below the data size.  Should one not
			 * be, what follows cannot be found: skipped to the producer
			 * (a record's start), said by the caller, never read astray.
			 */
			if (size > r->mask + 1 - BPF_RINGBUF_HDR_SZ) {
				cons = prod;
				err = -EIO;
				goto out;
			}
			cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				err = r->fn(r->ctx, (void *)(hdr + 2), size);
				if (err < 0)
					goto out;
				n++;
			}
			if (cons - stored >= every) {
				__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
				stored = cons;
			}
		}
	}
out:
	if (cons != stored)
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
	return err < 0 ? err : n;
}

int ring__fd(const struct ring *r)
{
	return r->fd;
}

void ring__close(struct ring *r)
{
	if (!r)
		return;
	munmap((void *)r->producer, r->prod_len);
	munmap(r->consumer, r->page);
	free(r);
}
