/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * site.h - the Python call site of an event: the frames BPF captured (code
 * object, instruction offset) named and numbered in userspace.  A code
 * object's filename, name, line table and first line come with the first
 * record of it on each CPU (PA_FR_INFO) and are kept per process (pid, start
 * time, code address, fingerprint); the line is computed from the line table
 * at the instruction, as PyCode_Addr2Line() does for that CPython version.
 */
#ifndef PA_SITE_H
#define PA_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decode.h"

struct site_cache;

struct site_cache *site_cache__new(void); /* NULL, errno set */
void site_cache__free(struct site_cache *c);

/*
 * Keeps what the record tells of its frames' code objects.  Called for every
 * decoded record, also one filtered out afterwards: BPF describes a code
 * object once per CPU.
 */
void site_cache__learn(struct site_cache *c, const struct audit_event *ev);

/*
 * Fills ev->site[] and ev->nsite from ev->frames (minor: the CPython minor
 * version of the probed binary, 8 - 15).  A frame whose code object was never
 * described (its record was lost) ends the resolved frames there.
 */
void site_cache__resolve(struct site_cache *c, struct audit_event *ev, unsigned minor);

/*
 * The line of byte offset lasti in a line table of CPython 3.minor (co_lnotab
 * for 3.8/3.9, co_linetable for 3.10, the location table for 3.11+), as
 * PyCode_Addr2Line() gives it; -1 for an instruction with no line or outside
 * the table (cut: the table goes on past len, so an answer that needs more of
 * it is -1 too).  Bounded by len; never reads past it.
 */
int site_addr2line(unsigned minor, const uint8_t *table, size_t len, bool cut, int firstlineno,
		   int64_t lasti);

#endif
