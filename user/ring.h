/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ring.h - the reader of the BPF ring buffer the probes write events to.
 */
#ifndef PA_RING_H
#define PA_RING_H

#include <stddef.h>

struct ring;

/* Called for each record; a negative return stops reading (ring__consume returns it). */
typedef int (*ring_fn)(void *ctx, void *data, size_t size);

/* Maps the BPF_MAP_TYPE_RINGBUF map at map_fd.  NULL with errno set on failure. */
struct ring *ring__open(int map_fd, ring_fn fn, void *ctx);
/*
 * Hands the committed records to fn, in order, until the ring is empty or a ring's
 * worth was read.  Returns how many, fn's error, or -EIO if a record's size was
 * impossible (the rest of the ring is then skipped).
 */
long ring__consume(struct ring *r);
/* The descriptor to wait on for a wake-up (the map's). */
int ring__fd(const struct ring *r);
void ring__close(struct ring *r);

#endif
