// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exechold.c - hold a program at exec until its Python is probed (fanotify
 * FAN_OPEN_EXEC_PERM), see exechold.h.
 *
 * Safety first: this holds execve() of processes that are not ours.
 *  - One thread, with every signal blocked, reads the kernel's requests and
 *    answers them; it never reads a file, never waits on the rest of the tool
 *    (a mutex held only for table updates) and answers every request within
 *    the deadline, decided or not.
 *  - The answer is always FAN_ALLOW.
 *  - The fanotify descriptor is the tool's: if the tool dies, the kernel
 *    allows whatever is still pending.  SIGTSTP, SIGTTIN and SIGTTOU are
 *    ignored while holding, so that a job-control stop cannot freeze execs on
 *    the whole machine (SIGSTOP cannot be ignored: the README says so).
 *  - Only local disk and memory filesystems are marked: a FUSE or network
 *    file could make our own read of it block.
 *  - If the main loop leaves STALLED_MAX held execs untouched until their
 *    deadline (it is stuck on something), nothing more is held until it is back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "exechold.h"
#include "log.h"

#define NSLOTS 128
#define NDECIDED 65536 /* power of two */
#define MAX_PIDS 1024
#define MAX_MOUNTS 4096

struct slot {
	int used, taken, answered;
	int fd;
	pid_t pid;
	uint64_t dev, ino, ctime, t0;
};

struct exec_hold {
	int fan_fd, ev_fd, stop_fd;
	int all;
	uint64_t deadline_ns;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	struct slot slots[NSLOTS];
	struct { uint64_t dev, ino, ctime; } *decided; /* ctime: inode numbers are reused */
	int ndecided;
	pid_t pids[MAX_PIDS];
	int npids;
	int follow_fd;	/* -f: a BPF map of followed tgids, or -1 */
	pid_t self;
	int stalled;	/* held execs the main loop never picked up before their deadline */
	struct exec_hold_stats st;
};

/* The main loop stuck (a binary that takes long to analyse): stop holding until it is back. */
#define STALLED_MAX 3

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void allow(struct exec_hold *h, int fd)
{
	struct fanotify_response r = { .fd = fd, .response = FAN_ALLOW };
	ssize_t n;

	do
		n = write(h->fan_fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
}

static size_t decided_hash(uint64_t dev, uint64_t ino)
{
	uint64_t x = (dev * 0x9e3779b97f4a7c15ull) ^ ino;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return x & (NDECIDED - 1);
}

/* mutex held */
static int is_decided(struct exec_hold *h, uint64_t dev, uint64_t ino, uint64_t ctime)
{
	size_t i = decided_hash(dev, ino), n;

	for (n = 0; n < NDECIDED; n++, i = (i + 1) & (NDECIDED - 1)) {
		if (!h->decided[i].ino && !h->decided[i].dev)
			return 0;
		if (h->decided[i].dev == dev && h->decided[i].ino == ino)
			return h->decided[i].ctime == ctime;
	}
	return 0;
}

static uint64_t ctime_of(const struct stat *st)
{
	return (uint64_t)st->st_ctim.tv_sec * 1000000000ull + st->st_ctim.tv_nsec;
}

/* mutex held */
static int pid_watched(struct exec_hold *h, pid_t pid)
{
	int i;

	for (i = 0; i < h->npids; i++)
		if (h->pids[i] == pid)
			return 1;
	if (h->follow_fd >= 0) {
		__u32 key = pid;
		__u8 v;

		return !bpf_map_lookup_elem(h->follow_fd, &key, &v);
	}
	return 0;
}

/* mutex held: answer what waited too long */
static void expire(struct exec_hold *h, uint64_t now)
{
	int i;

	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &h->slots[i];

		if (!s->used || s->answered || now - s->t0 < h->deadline_ns)
			continue;
		allow(h, s->fd);
		s->answered = 1;
		h->st.late++;
		if (now - s->t0 > h->st.max_ns)
			h->st.max_ns = now - s->t0;
		if (!s->taken) {
			h->stalled++;
			close(s->fd);
			s->used = 0;
		}
	}
}

/* mutex held: how long poll() may sleep */
static int next_timeout_ms(struct exec_hold *h, uint64_t now)
{
	uint64_t first = UINT64_MAX;
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (h->slots[i].used && !h->slots[i].answered && h->slots[i].t0 < first)
			first = h->slots[i].t0;
	if (first == UINT64_MAX)
		return 200;
	if (first + h->deadline_ns <= now)
		return 0;
	return (int)((first + h->deadline_ns - now + 999999) / 1000000);
}

static void handle_request(struct exec_hold *h, const struct fanotify_event_metadata *md)
{
	struct stat st;
	int i, hold;
	uint64_t one = 1;

	if (md->fd < 0)
		return;
	if (!(md->mask & FAN_OPEN_EXEC_PERM)) {
		close(md->fd);
		return;
	}
	if (fstat(md->fd, &st)) {
		allow(h, md->fd);
		close(md->fd);
		return;
	}
	pthread_mutex_lock(&h->mu);
	hold = md->pid != h->self && (h->all || pid_watched(h, md->pid)) &&
	       !is_decided(h, st.st_dev, st.st_ino, ctime_of(&st)) && h->stalled < STALLED_MAX;
	for (i = 0; hold && i < NSLOTS; i++)
		if (!h->slots[i].used)
			break;
	if (!hold || i == NSLOTS) {
		/* no decision needed, or too many at once: it runs now (the tracepoint is there) */
		allow(h, md->fd);
		close(md->fd);
		pthread_mutex_unlock(&h->mu);
		return;
	}
	h->slots[i] = (struct slot){
		.used = 1, .fd = md->fd, .pid = md->pid,
		.dev = st.st_dev, .ino = st.st_ino, .ctime = ctime_of(&st), .t0 = now_ns(),
	};
	h->st.held++;
	pthread_mutex_unlock(&h->mu);
	/*
	 * Never a message from this thread: stderr may be a pipe nobody reads.
	 * An eventfd write fails only past 2^64-2, and then it is readable anyway.
	 */
	if (write(h->ev_fd, &one, sizeof(one)) < 0)
		return;
}

static void *hold_thread(void *arg)
{
	struct exec_hold *h = arg;
	union {
		struct fanotify_event_metadata md;
		char b[16384];
	} buf;
	sigset_t all;
	int i;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = h->fan_fd, .events = POLLIN },
			{ .fd = h->stop_fd, .events = POLLIN },
		};
		int timeout;
		ssize_t n;

		pthread_mutex_lock(&h->mu);
		timeout = next_timeout_ms(h, now_ns());
		pthread_mutex_unlock(&h->mu);
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			n = read(h->fan_fd, &buf, sizeof(buf));
			if (n > 0) {
				const struct fanotify_event_metadata *md = &buf.md;
				size_t left = n;

				while (FAN_EVENT_OK(md, left)) {
					if (md->vers != FANOTIFY_METADATA_VERSION) {
						/* cannot happen with this kernel's headers: let it run */
						if (md->fd >= 0) {
							allow(h, md->fd);
							close(md->fd);
						}
					} else {
						handle_request(h, md);
					}
					md = FAN_EVENT_NEXT(md, left);
				}
			}
		}
		pthread_mutex_lock(&h->mu);
		expire(h, now_ns());
		pthread_mutex_unlock(&h->mu);
	}
	/* stopping: everything still held runs now */
	pthread_mutex_lock(&h->mu);
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &h->slots[i];

		if (!s->used)
			continue;
		if (!s->answered) {
			allow(h, s->fd);
			s->answered = 1;
		}
		if (!s->taken) {
			close(s->fd);
			s->used = 0;
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Filesystems whose files we may read without risk of blocking on someone else. */
static int local_fs(const char *type)
{
	static const char *const ok[] = {
		"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay", "f2fs", "squashfs",
		"erofs", "vfat", "zfs", "bcachefs", "ramfs", "iso9660", "jfs", "reiserfs", NULL,
	};
	int i;

	for (i = 0; ok[i]; i++)
		if (!strcmp(type, ok[i]))
			return 1;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = 0;
}

static int mark_filesystems(struct exec_hold *h)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	dev_t *devs;
	int ndevs = 0, lines = 0;

	if (!f)
		return -errno;
	devs = calloc(MAX_MOUNTS, sizeof(*devs));
	if (!devs) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f) && lines++ < 65536 && ndevs < MAX_MOUNTS) {
		char mnt[4096], type[64], *sep;
		struct stat st;
		int i;

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", type) != 1 || !local_fs(type))
			continue;
		unescape(mnt);
		if (stat(mnt, &st))
			continue;
		for (i = 0; i < ndevs; i++)
			if (devs[i] == st.st_dev)
				break;
		if (i < ndevs)
			continue;
		devs[ndevs++] = st.st_dev;
		if (fanotify_mark(h->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
				  AT_FDCWD, mnt)) {
			pa_dbg("exec hold: %s (%s): %s", mnt, type, strerror(errno));
			continue;
		}
		h->st.filesystems++;
	}
	free(devs);
	fclose(f);
	return h->st.filesystems ? 0 : -ENODEV;
}

struct exec_hold *exec_hold__new(int all, int deadline_ms, int *err)
{
	struct exec_hold *h = calloc(1, sizeof(*h));
	struct sigaction ign = { .sa_handler = SIG_IGN };

	*err = -ENOMEM;
	if (!h)
		return NULL;
	h->fan_fd = h->ev_fd = h->stop_fd = -1;
	h->all = all;
	h->follow_fd = -1;
	h->self = getpid();
	h->deadline_ns = (uint64_t)deadline_ms * 1000000ull;
	pthread_mutex_init(&h->mu, NULL);
	h->decided = calloc(NDECIDED, sizeof(*h->decided));
	if (!h->decided)
		goto fail;
	h->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
				  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (h->fan_fd < 0) {
		*err = -errno;
		goto fail;
	}
	h->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->ev_fd < 0 || h->stop_fd < 0) {
		*err = -errno;
		goto fail;
	}
	*err = mark_filesystems(h);
	if (*err)
		goto fail;
	/* a job-control stop of the tool must not stop every exec on the machine */
	sigaction(SIGTSTP, &ign, NULL);
	sigaction(SIGTTIN, &ign, NULL);
	sigaction(SIGTTOU, &ign, NULL);
	*err = -pthread_create(&h->thread, NULL, hold_thread, h);
	if (*err)
		goto fail;
	h->started = 1;
	return h;
fail:
	exec_hold__free(h);
	return NULL;
}

void exec_hold__free(struct exec_hold *h)
{
	uint64_t one = 1;
	int i;

	if (!h)
		return;
	if (h->started) {
		if (write(h->stop_fd, &one, sizeof(one)) < 0)
			pa_dbg("exec hold: stop: %s", strerror(errno));
		pthread_join(h->thread, NULL);
	}
	for (i = 0; i < NSLOTS; i++) {
		if (h->slots[i].used) {
			if (!h->slots[i].answered && h->fan_fd >= 0)
				allow(h, h->slots[i].fd);
			close(h->slots[i].fd);
		}
	}
	if (h->fan_fd >= 0)
		close(h->fan_fd); /* and the kernel allows anything left */
	if (h->ev_fd >= 0)
		close(h->ev_fd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	pthread_mutex_destroy(&h->mu);
	free(h->decided);
	free(h);
}

int exec_hold__event_fd(struct exec_hold *h)
{
	return h->ev_fd;
}

int exec_hold__next(struct exec_hold *h, struct held_exec *e)
{
	uint64_t v;
	int i;

	pthread_mutex_lock(&h->mu);
	h->stalled = 0; /* the main loop is here: hold again */
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &h->slots[i];

		if (!s->used || s->taken)
			continue;
		s->taken = 1;
		*e = (struct held_exec){
			.fd = s->fd, .pid = s->pid, .dev = s->dev, .ino = s->ino, .ctime = s->ctime,
			.t0_ns = s->t0,
			.slot = i,
		};
		pthread_mutex_unlock(&h->mu);
		return 1;
	}
	/* nothing left: the eventfd is read empty (a later request writes it again) */
	if (read(h->ev_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pa_dbg("exec hold: eventfd: %s", strerror(errno));
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int exec_hold__done(struct exec_hold *h, const struct held_exec *e)
{
	struct slot *s;
	int held = 0;

	if (e->slot < 0 || e->slot >= NSLOTS)
		return 0;
	pthread_mutex_lock(&h->mu);
	s = &h->slots[e->slot];
	if (s->used && s->taken && s->fd == e->fd) {
		uint64_t t = now_ns() - s->t0;

		if (!s->answered) {
			allow(h, s->fd);
			s->answered = 1;
			held = 1;
			if (t > h->st.max_ns)
				h->st.max_ns = t;
		}
		close(s->fd);
		s->used = 0;
	}
	pthread_mutex_unlock(&h->mu);
	return held;
}

void exec_hold__decided(struct exec_hold *h, uint64_t dev, uint64_t ino, uint64_t ctime)
{
	size_t i = decided_hash(dev, ino), n;

	if (!dev && !ino)
		return;
	pthread_mutex_lock(&h->mu);
	if (h->ndecided < NDECIDED / 2) {
		for (n = 0; n < NDECIDED; n++, i = (i + 1) & (NDECIDED - 1)) {
			if (h->decided[i].dev == dev && h->decided[i].ino == ino) {
				h->decided[i].ctime = ctime;
				break;
			}
			if (!h->decided[i].ino && !h->decided[i].dev) {
				h->decided[i].dev = dev;
				h->decided[i].ino = ino;
				h->decided[i].ctime = ctime;
				h->ndecided++;
				break;
			}
		}
	}
	pthread_mutex_unlock(&h->mu);
}

void exec_hold__watch_pid(struct exec_hold *h, pid_t pid, int on)
{
	int i;

	pthread_mutex_lock(&h->mu);
	for (i = 0; i < h->npids; i++)
		if (h->pids[i] == pid)
			break;
	if (on && i == h->npids && h->npids < MAX_PIDS)
		h->pids[h->npids++] = pid;
	else if (!on && i < h->npids)
		h->pids[i] = h->pids[--h->npids];
	pthread_mutex_unlock(&h->mu);
}

void exec_hold__stats(struct exec_hold *h, struct exec_hold_stats *st)
{
	pthread_mutex_lock(&h->mu);
	*st = h->st;
	pthread_mutex_unlock(&h->mu);
}

void exec_hold__follow_map(struct exec_hold *h, int map_fd)
{
	pthread_mutex_lock(&h->mu);
	h->follow_fd = map_fd;
	pthread_mutex_unlock(&h->mu);
}
