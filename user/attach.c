// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attach.c - turns a struct pybin (what user/pybin.c found in a binary) into
 * BPF links.  Each probe point gets a cookie saying how to read its arguments,
 * which object layout to use and which probe-table row it is, so that every
 * event can say what route it came by.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "log.h"
#include "pyaudit.h"
#include "pyaudit.skel.h"
#include "pybin.h"
#include "route.h"
#include "vec.h"

struct binary {
	struct pybin *bin;
	int fd;			/* kept open: its inode number cannot be reused meanwhile */
	int layout;		/* index in skel->bss->layouts, or -1 */
	struct probe_info info;
	char version[24];
};

struct linkset {
	int bin;		/* index in binaries */
	pid_t pid;
	struct bpf_link **links;
	int nlinks;
	uint64_t since_ns;	/* when attached */
};

struct attacher {
	struct pyaudit_bpf *skel;
	enum probe_choice probe;
	int empty;
	struct binary **bins;	/* pointers: probe_info rows point into them */
	int nbins, cap_bins;
	struct linkset *sets;
	int nsets, cap_sets;
	int nlayouts;
	/* ctime 0: not known (marked from a name, not an open file) */
	struct { uint64_t dev, ino, ctime; } *others;
	int nothers, cap_others;
	/* files that could not be analysed, each once (device, inode, change time) */
	struct { uint64_t dev, ino, ctime; } *unanalysed;
	int nunanalysed, cap_unanalysed;
	struct probe_info *probes; /* probe id -> info (points into bins) */
	int nprobes, cap_probes;
};

struct attacher *attacher__new(const struct attach_opts *opts)
{
	struct attacher *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->skel = opts->skel;
	a->probe = opts->probe;
	a->empty = opts->empty;
	return a;
}

void attacher__free(struct attacher *a)
{
	int i, j;

	if (!a)
		return;
	for (i = 0; i < a->nsets; i++) {
		for (j = 0; j < a->sets[i].nlinks; j++)
			bpf_link__destroy(a->sets[i].links[j]);
		free(a->sets[i].links);
	}
	for (i = 0; i < a->nbins; i++) {
		pybin__free(a->bins[i]->bin);
		if (a->bins[i]->fd >= 0)
			close(a->bins[i]->fd);
		free(a->bins[i]);
	}
	free(a->sets);
	free(a->bins);
	free(a->others);
	free(a->unanalysed);
	free(a->probes);
	free(a);
}

int attacher__known_other(struct attacher *a, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < a->nothers; i++)
		if (a->others[i].dev == dev && a->others[i].ino == ino)
			return 1;
	return 0;
}

void attacher__mark_other(struct attacher *a, uint64_t dev, uint64_t ino)
{
	if (attacher__known_other(a, dev, ino))
		return;
	if (VEC_RESERVE(a->others, a->nothers, a->cap_others, 64))
		return;
	a->others[a->nothers].dev = dev;
	a->others[a->nothers].ino = ino;
	a->others[a->nothers].ctime = 0;
	a->nothers++;
}

int attacher__probed_all(struct attacher *a, uint64_t dev, uint64_t ino, uint64_t *since_ns)
{
	int i, j;

	for (i = 0; i < a->nbins; i++) {
		if (a->bins[i]->bin->dev != dev || a->bins[i]->bin->ino != ino)
			continue;
		for (j = 0; j < a->nsets; j++) {
			if (a->sets[j].bin == i && a->sets[j].pid == -1) {
				if (since_ns)
					*since_ns = a->sets[j].since_ns;
				return 1;
			}
		}
	}
	return 0;
}

static uint64_t ctime_ns(const struct stat *st)
{
	return (uint64_t)st->st_ctim.tv_sec * 1000000000ull + st->st_ctim.tv_nsec;
}

/*
 * An inode number is reused once its file is deleted: an open file is the
 * same one as a file known before only if its change time is the same too.
 */
int attacher__known_other_fd(struct attacher *a, int fd)
{
	struct stat st;
	int i;

	if (fstat(fd, &st))
		return 0;
	for (i = 0; i < a->nothers; i++)
		if (a->others[i].dev == st.st_dev && a->others[i].ino == st.st_ino)
			return a->others[i].ctime == ctime_ns(&st);
	return 0;
}

int attacher__note_unanalysed_fd(struct attacher *a, int fd)
{
	struct stat st;
	int i;

	if (fstat(fd, &st))
		return 1;
	for (i = 0; i < a->nunanalysed; i++)
		if (a->unanalysed[i].dev == st.st_dev && a->unanalysed[i].ino == st.st_ino &&
		    a->unanalysed[i].ctime == ctime_ns(&st))
			return 0;
	if (VEC_RESERVE(a->unanalysed, a->nunanalysed, a->cap_unanalysed, 16))
		return 1;
	a->unanalysed[a->nunanalysed].dev = st.st_dev;
	a->unanalysed[a->nunanalysed].ino = st.st_ino;
	a->unanalysed[a->nunanalysed].ctime = ctime_ns(&st);
	a->nunanalysed++;
	return 1;
}

int attacher__unanalysed(const struct attacher *a)
{
	return a ? a->nunanalysed : 0;
}

void attacher__mark_other_fd(struct attacher *a, int fd)
{
	struct stat st;
	int i;

	if (fstat(fd, &st))
		return;
	for (i = 0; i < a->nothers; i++) {
		if (a->others[i].dev == st.st_dev && a->others[i].ino == st.st_ino) {
			a->others[i].ctime = ctime_ns(&st);
			return;
		}
	}
	attacher__mark_other(a, st.st_dev, st.st_ino);
	for (i = 0; i < a->nothers; i++)
		if (a->others[i].dev == st.st_dev && a->others[i].ino == st.st_ino)
			a->others[i].ctime = ctime_ns(&st);
}

#define MIN2(a, b) ((a) < (b) ? (a) : (b))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))

/*
 * The blocks the call site reads (struct pa_layout's spans): a thread
 * state's frame pointer and thread id, a frame's code, back, instruction,
 * owner (and f_lineno, f_trace for PyFrameObject), a code object's names,
 * line table, first line and first traceable instruction.  The probe still
 * bounds every read by its buffer: a span here only narrows it.
 */
static void layout_spans(struct pa_layout *l)
{
	unsigned lo, hi;

	l->ts_lo = MIN2(l->ts_frame, l->ts_tid) - 8;
	l->ts_hi = MAX2(l->ts_frame, l->ts_tid);
	lo = MIN2(MIN2(l->fr_code, l->fr_back), l->fr_instr);
	hi = MAX2(MAX2(l->fr_code, l->fr_back), l->fr_instr) + 8;
	if (l->fr_owner) {
		lo = MIN2(lo, l->fr_owner);
		hi = MAX2(hi, l->fr_owner + 1);
	}
	if (!(l->flags & PA_LAYOUT_IFRAME)) {
		if (l->fr_lineno) {
			lo = MIN2(lo, l->fr_lineno);
			hi = MAX2(hi, l->fr_lineno + 4);
		}
		if (l->fr_trace) {
			lo = MIN2(lo, l->fr_trace);
			hi = MAX2(hi, l->fr_trace + 8);
		}
	}
	l->fr_lo = lo;
	l->fr_hi = hi;
	l->co_lo = l->co_firstlineno & ~7u;
	hi = MAX2(MAX2(l->co_filename, l->co_name), l->co_linetable) + 8;
	hi = MAX2(hi, l->co_firstlineno + 4);
	if (l->co_firsttraceable)
		hi = MAX2(hi, l->co_firsttraceable + 4);
	l->co_hi = hi - l->co_lo;
}

/* Layout slot shared by every binary with the same layout. */
static int layout_slot(struct attacher *a, const struct pa_layout *layout)
{
	struct pa_layout l = *layout;
	int i;

	if (l.flags & PA_LAYOUT_SITE)
		layout_spans(&l);
	for (i = 0; i < a->nlayouts; i++)
		if (!memcmp(&a->skel->bss->layouts[i], &l, sizeof(l)))
			return i;
	if (a->nlayouts >= PA_MAX_LAYOUTS)
		return -1;
	a->skel->bss->layouts[a->nlayouts] = l;
	return a->nlayouts++;
}

static int find_binary(struct attacher *a, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < a->nbins; i++)
		if (a->bins[i]->bin->dev == dev && a->bins[i]->bin->ino == ino)
			return i;
	return -1;
}

static int add_binary(struct attacher *a, struct pybin *bin)
{
	struct binary *b;

	if (VEC_RESERVE(a->bins, a->nbins, a->cap_bins, 16))
		return -ENOMEM;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	a->bins[a->nbins] = b;
	b->bin = bin;
	b->fd = -1;
	b->layout = layout_slot(a, &bin->layout);
	if (b->layout < 0) {
		/* more layouts than slots: objects of this binary are reported as opaque */
		struct pa_layout none = {};

		b->layout = layout_slot(a, &none);
	}
	return a->nbins++;
}

/* The page of a probed instruction counted from the binary's ro_lo (PA_COOKIE_PAGE). */
static unsigned probe_page(const struct pybin *bin, uint64_t vaddr)
{
	uint64_t page;

	if (vaddr < bin->ro_lo || vaddr >= bin->ro_hi)
		return PA_NO_PAGE;
	page = (vaddr - bin->ro_lo) >> 12;
	return page < PA_NO_PAGE ? (unsigned)page : PA_NO_PAGE;
}

static int new_probe_id(struct attacher *a, const struct probe_info *info)
{
	if (VEC_RESERVE(a->probes, a->nprobes, a->cap_probes, 16))
		return -ENOMEM;
	a->probes[a->nprobes] = *info;
	return a->nprobes++;
}

void attacher__each_set(struct attacher *a,
			void (*fn)(void *ctx, pid_t pid, const struct probe_info *info, int nprobes),
			void *ctx)
{
	int i;

	for (i = 0; i < a->nsets; i++)
		fn(ctx, a->sets[i].pid, &a->bins[a->sets[i].bin]->info, a->sets[i].nlinks);
}

const struct probe_info *attacher__probe_info(struct attacher *a, unsigned probe_id)
{
	if (!a || probe_id >= (unsigned)a->nprobes)
		return NULL;
	return &a->probes[probe_id];
}

const struct probe_info *attacher_probe_lookup(void *a, unsigned probe_id)
{
	return attacher__probe_info(a, probe_id);
}

static struct bpf_program *prog_for(struct pyaudit_bpf *skel, unsigned kind)
{
	switch (kind) {
	case PA_PROBE_USDT:
		return skel->progs.usdt_audit;
	case PA_PROBE_VALIST:
	case PA_PROBE_VARARGS:
	case PA_PROBE_CLONE:
		return skel->progs.uprobe_c;
	case PA_PROBE_SYSAUDIT:
		return skel->progs.uprobe_sysaudit;
	}
	return NULL;
}

int attacher__add(struct attacher *a, const char *path, pid_t pid, struct attach_result *res,
		  const char **why)
{
	int fd, err;

	memset(res, 0, sizeof(*res));
	*why = NULL;
	/* O_NONBLOCK: a FIFO put where a binary was expected must not block us */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	err = attacher__add_fd(a, fd, path, pid, res, why);
	close(fd);
	return err;
}

/*
 * The kernel resolves /proc/self/fd/N to our open file: is that the inode we
 * analysed?  (It is unless the descriptor was replaced under us; checked, as
 * the probes and the semaphore counts computed from one file must land in it.)
 */
static int fd_path_is(const char *fdpath, const struct pybin *bin)
{
	struct stat st;

	return !stat(fdpath, &st) && st.st_dev == bin->dev && st.st_ino == bin->ino;
}

int attacher__add_fd(struct attacher *a, int fd, const char *name, pid_t pid,
		     struct attach_result *res, const char **why)
{
	struct route_decision rd;
	struct pybin *bin = NULL;
	const struct py_probe_point *pts;
	struct stat st;
	struct linkset *set;
	struct binary *b;
	int i, bi, npts, usdt, err, pid_id, cache_names;
	char path[48];

	memset(res, 0, sizeof(*res));
	*why = NULL;
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
	/* the probes go into the file analysed: the same open file, by its descriptor */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* a binary looked at before is not read again (libpython can be tens of MiB) */
	bi = find_binary(a, st.st_dev, st.st_ino);
	if (bi < 0) {
		err = pybin__open_fd(fd, name, &bin);
		if (err)
			return err;
		bi = find_binary(a, bin->dev, bin->ino);
	}
	if (bi >= 0) {
		pybin__free(bin);
	} else {
		bi = add_binary(a, bin);
		if (bi < 0) {
			pybin__free(bin);
			return bi;
		}
		/* held open for the run: (dev, ino) stays this file's, never a later one's */
		a->bins[bi]->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	b = a->bins[bi];
	bin = b->bin;

	err = pybin_route(bin, a->probe, name, &rd);
	if (err) {
		snprintf(res->why, sizeof(res->why), "%s", rd.why);
		*why = res->why;
		return err;
	}
	usdt = rd.usdt;
	pts = usdt ? bin->usdt : bin->uprobe;
	npts = usdt ? bin->nusdt : bin->nuprobe;

	res->bin = bin;
	res->route = rd.route;
	res->complete = rd.complete;
	res->gap = rd.gap;

	/* one link set per (binary, pid); pid -1 covers every process */
	for (i = 0; i < a->nsets; i++) {
		if (a->sets[i].bin == bi && (a->sets[i].pid == pid || a->sets[i].pid == -1)) {
			res->already = 1;
			res->since_ns = a->sets[i].since_ns;
			return 0;
		}
	}
	if (VEC_RESERVE(a->sets, a->nsets, a->cap_sets, 16))
		return -ENOMEM;
	set = &a->sets[a->nsets];
	memset(set, 0, sizeof(*set));
	set->bin = bi;
	set->pid = pid;
	set->links = calloc(npts, sizeof(*set->links));
	if (!set->links)
		return -ENOMEM;

	b->info.route = res->route;
	snprintf(b->version, sizeof(b->version), "%s", bin->version);
	b->info.python = b->version;
	b->info.minor = bin->version_hex >> 24 == 3 ? (bin->version_hex >> 16) & 0xff : 0;
	b->info.binary = bin->path;
	b->info.ino = bin->ino;
	b->info.complete = res->complete;
	pid_id = new_probe_id(a, &b->info);
	if (pid_id < 0)
		return pid_id;
	if (pid_id > PA_MAX_PROBE_ID) {
		pa_err("more than %d probe sets in one run", PA_MAX_PROBE_ID);
		return -E2BIG;
	}
	/* names kept by address only if every probed instruction's page fits its cookie */
	cache_names = pid_id < PA_MAX_PROBES && bin->ro_hi;
	for (i = 0; cache_names && i < npts; i++)
		cache_names = probe_page(bin, pts[i].vaddr) != PA_NO_PAGE;
	if (pid_id < PA_MAX_PROBES) {
		a->skel->bss->probe_cfg[pid_id].ro_lo = cache_names ? bin->ro_lo : 0;
		a->skel->bss->probe_cfg[pid_id].ro_hi = cache_names ? bin->ro_hi : 0;
		/* the call site needs the binary's load address: the same cookie page */
		a->skel->bss->probe_cfg[pid_id].runtime = cache_names ? bin->runtime_vaddr : 0;
	}

	if (!fd_path_is(path, bin)) {
		err = -ESTALE;
		goto fail;
	}
	for (i = 0; i < npts; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *link;
		unsigned kind = pts[i].kind;

		uo.ref_ctr_offset = kind == PA_PROBE_USDT ? pts[i].ref_ctr_offset : 0;
		uo.bpf_cookie = PA_COOKIE(kind, pts[i].reg0 & 0xff, pts[i].reg1 & 0xff, b->layout,
					  pid_id,
					  cache_names ? probe_page(bin, pts[i].vaddr) : PA_NO_PAGE);
		link = bpf_program__attach_uprobe_opts(a->empty ? a->skel->progs.empty_probe
								: prog_for(a->skel, kind),
						       pid, path,
						       pts[i].offset, &uo);
		if (!link) {
			err = -errno;
			pa_dbg("attach %s at %s+0x%llx (pid %d): %s", pts[i].what, name,
			       (unsigned long long)pts[i].offset, pid, strerror(-err));
			goto fail;
		}
		pa_dbg("attached %s at %s+0x%llx for %s %d", pts[i].what, name,
		       (unsigned long long)pts[i].offset, pid == -1 ? "every process" : "pid",
		       pid);
		set->links[set->nlinks++] = link;
	}
	/* and after: the links are on the inode analysed, or none of them counts */
	if (!fd_path_is(path, bin)) {
		err = -ESTALE;
		goto fail;
	}
	res->nlinks = set->nlinks;
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		set->since_ns = res->since_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	a->nsets++;
	return 0;
fail:
	for (i = 0; i < set->nlinks; i++)
		bpf_link__destroy(set->links[i]);
	free(set->links);
	return err;
}
