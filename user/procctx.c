// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * procctx.c - executable, cgroup and container of the process behind an event
 * (procctx.h).  Two direct-mapped caches of fixed size: cgroups by their id,
 * executables by (pid, start time, inode of the executable), so an exec or a
 * recycled pid is a new entry and never an old answer.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "procctx.h"

#define CG_SLOTS   1024
#define EXE_SLOTS  1024
#define PATH_CAP   4096
#define WALK_DEPTH 32
#define WALK_MAX   65536
#ifndef FILEID_KERNFS
#define FILEID_KERNFS 0xfe
#endif

struct exe_ent {
	uint32_t pid;
	uint64_t start_ns, ino;
	char *path; /* NULL: unknown */
	bool used;
};

struct procctx {
	char mnt[PATH_CAP]; /* cgroup2 mount point, "" if none */
	int mntfd;
	struct exe_ent by_ino[EXE_SLOTS]; /* executables by inode alone (pid 0), for exited processes */
	struct cgroup_info cg[CG_SLOTS];
	bool cg_used[CG_SLOTS];
	uint64_t cg_tried[CG_SLOTS]; /* CLOCK_MONOTONIC ns of the last failed resolution */
	struct exe_ent exe[EXE_SLOTS];
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* The first cgroup2 mount in /proc/self/mountinfo (field 5 is the mount point). */
static void find_mount(struct procctx *p)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	p->mnt[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *save = NULL, *tok, *mp = NULL;
		int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (i = 0, tok = strtok_r(line, " ", &save); tok && i < 4;
		     i++, tok = strtok_r(NULL, " ", &save))
			if (i == 3)
				mp = strtok_r(NULL, " ", &save);
		if (mp && strlen(mp) < sizeof(p->mnt) && !strchr(mp, '\\')) {
			strcpy(p->mnt, mp);
			break;
		}
	}
	fclose(f);
}

struct procctx *procctx__new(void)
{
	struct procctx *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	find_mount(p);
	p->mntfd = p->mnt[0] ? open(p->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	return p;
}

void procctx__free(struct procctx *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < CG_SLOTS; i++)
		free(p->cg[i].path);
	for (i = 0; i < EXE_SLOTS; i++) {
		free(p->exe[i].path);
		free(p->by_ino[i].path);
	}
	if (p->mntfd >= 0)
		close(p->mntfd);
	free(p);
}

static bool is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* systemd's unit-name escaping: \xNN back to the byte (a NUL or '/' is kept escaped). */
static void unescape_unit(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		unsigned v;

		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
		    isxdigit((unsigned char)s[i + 3]) && sscanf(s + i + 2, "%2x", &v) == 1 && v &&
		    v != '/') {
			out[o++] = (char)v;
			i += 3;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && !memcmp(s, pre, k);
}

int procctx_container_id(const char *path, char *out, size_t size)
{
	static const char *const pre[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	const char *c = path, *prev = NULL;
	size_t prevn = 0;
	int found = 0;

	if (!size)
		return 0;
	out[0] = '\0';
	while (c && *c) {
		const char *end;
		size_t n, k, m;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		end = strchr(c, '/');
		n = end ? (size_t)(end - c) : strlen(c);
		m = n;
		if (m > 6 && !memcmp(c + m - 6, ".scope", 6))
			m -= 6;
		for (k = 0; k < sizeof(pre) / sizeof(pre[0]); k++) {
			size_t pl = strlen(pre[k]);

			if (has_prefix(c, m, pre[k]) && is_hex64(c + pl, m - pl) && size > 64) {
				memcpy(out, c + pl, 64);
				out[64] = '\0';
				found = 1;
			}
		}
		if (is_hex64(c, n) && prev &&
		    ((prevn == 6 && !memcmp(prev, "docker", 6)) || has_prefix(prev, prevn, "pod") ||
		     has_prefix(prev, prevn, "kubepods-"))) {
			if (size > 64) {
				memcpy(out, c, 64);
				out[64] = '\0';
				found = 1;
			}
		}
		if (n > 14 && has_prefix(c, n, "machine-") && !memcmp(c + n - 6, ".scope", 6)) {
			unescape_unit(c + 8, n - 14, out, size);
			found = out[0] != '\0';
		}
		if (n > 24 && has_prefix(c, n, "systemd-nspawn@") && !memcmp(c + n - 8, ".service", 8)) {
			unescape_unit(c + 15, n - 23, out, size);
			found = out[0] != '\0';
		}
		prev = c;
		prevn = n;
		c = end;
	}
	return found;
}

/* The cgroup id of a directory in the cgroup2 file system: its inode number. */
static int id_of(struct procctx *p, const char *rel, uint64_t *id)
{
	struct stat st;

	if (p->mntfd < 0)
		return -ENOENT;
	if (fstatat(p->mntfd, rel[0] == '/' ? (rel[1] ? rel + 1 : ".") : rel, &st, 0))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

/* The path /proc/PID/cgroup gives, if it is the cgroup with this id. */
static char *path_from_proc(struct procctx *p, uint64_t id, uint32_t pid)
{
	char fn[64], line[PATH_CAP + 64], v1[PATH_CAP] = "";
	char *res = NULL;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%u/cgroup", pid);
	f = fopen(fn, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		uint64_t got;

		if (!n || line[n - 1] != '\n')
			break; /* longer than we take: not trusted */
		line[n - 1] = '\0';
		if (!strncmp(line, "0::", 3)) {
			if (line[3] == '/' && id_of(p, line + 3, &got) == 0 && got == id)
				res = strdup(line + 3);
		} else {
			char *name = strchr(line, ':');

			if (name && !strncmp(name + 1, "name=systemd:", 13) && strlen(name + 14) < sizeof(v1))
				strcpy(v1, name + 14);
		}
	}
	fclose(f);
	/* a hybrid host with no usable unified hierarchy: systemd's v1 tree */
	if (!res && p->mntfd < 0 && v1[0] == '/')
		res = strdup(v1);
	return res;
}

/* The path of a cgroup by its id alone: a handle of the cgroup2 file system (root only). */
static char *path_from_handle(struct procctx *p, uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], buf[PATH_CAP];
	size_t ml = strlen(p->mnt);
	ssize_t n;
	int fd;

	if (p->mntfd < 0)
		return NULL;
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(p->mntfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	if (strncmp(buf, p->mnt, ml) != 0 || (buf[ml] != '/' && buf[ml] != '\0'))
		return NULL;
	return strdup(buf[ml] ? buf + ml : "/");
}

static struct cgroup_info *cg_slot(struct procctx *p, uint64_t id, bool *hit)
{
	size_t i = mix(id) % CG_SLOTS;

	*hit = p->cg_used[i] && p->cg[i].id == id;
	return &p->cg[i];
}

static void cg_fill(struct procctx *p, struct cgroup_info *ci, uint64_t id, char *path)
{
	size_t i = ci - p->cg;

	free(ci->path);
	ci->id = id;
	ci->path = path;
	ci->container[0] = '\0';
	if (path)
		procctx_container_id(path, ci->container, sizeof(ci->container));
	p->cg_used[i] = true;
}

const struct cgroup_info *procctx__cgroup(struct procctx *p, uint64_t id, uint32_t pid)
{
	bool hit;
	struct cgroup_info *ci = cg_slot(p, id, &hit);
	char *path;

	struct timespec now;
	uint64_t now_ns;

	if (hit && ci->path)
		return ci;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = now.tv_sec * 1000000000ull + now.tv_nsec;
	/* a cgroup that could not be resolved is tried again at most every 100 ms */
	if (hit && now_ns - p->cg_tried[ci - p->cg] < 100000000ull)
		return ci;
	path = pid ? path_from_proc(p, id, pid) : NULL;
	if (!path)
		path = path_from_handle(p, id);
	p->cg_tried[ci - p->cg] = path ? 0 : now_ns;
	if (hit && !path)
		return ci; /* still unknown; the entry stays as it is */
	cg_fill(p, ci, id, path);
	return ci;
}

/* Remembers path as the file of inode ino, for processes that exit before they are looked at. */
static const char *remember_ino(struct procctx *p, uint64_t ino, const char *path)
{
	struct exe_ent *e = &p->by_ino[mix(ino) % EXE_SLOTS];

	if (e->used && e->ino == ino && e->path && !strcmp(e->path, path))
		return e->path;
	free(e->path);
	e->path = strdup(path);
	e->ino = ino;
	e->used = e->path != NULL;
	return e->path;
}

const char *procctx__exe_by_file(struct procctx *p, uint64_t exe_ino, const char *hint,
				 uint64_t hint_ino)
{
	struct exe_ent *e = &p->by_ino[mix(exe_ino) % EXE_SLOTS];
	struct stat st;
	const char *path = NULL;
	char *end;

	/* a path seen before for this inode, if it still names it */
	if (e->used && e->ino == exe_ino && !stat(e->path, &st) && st.st_ino == exe_ino)
		return e->path;
	if (!hint)
		return NULL;
	path = hint;
	if (!strncmp(hint, "/proc/", 6)) {
		/* /proc/PID/root/usr/bin/python3: the process's own view is /usr/bin/python3 */
		strtoul(hint + 6, &end, 10);
		if (end == hint + 6 || strncmp(end, "/root/", 6))
			return NULL; /* /proc/PID/map_files/...: no path to show */
		path = end + 5;
		/* the probed binary itself (its inode when opened), or still that file now */
		if (hint_ino != exe_ino && (stat(hint, &st) || st.st_ino != exe_ino))
			return NULL;
		return path;
	}
	if (hint_ino != exe_ino && (stat(hint, &st) || st.st_ino != exe_ino))
		return NULL;
	return remember_ino(p, exe_ino, path);
}

/* Does process pid see files as we do (our mount namespace, no chroot)? */
static bool same_view(uint32_t pid, const char *root, ssize_t rlen)
{
	struct stat a, b;
	char fn[64];

	if (rlen != 1 || root[0] != '/')
		return false;
	snprintf(fn, sizeof(fn), "/proc/%u/ns/mnt", pid);
	return !stat(fn, &a) && !stat("/proc/self/ns/mnt", &b) && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* procctx__exe() on a cache miss: from /proc (kept apart: its buffers are big). */
static const char *exe_lookup(struct procctx *p, struct exe_ent *e, uint32_t pid,
			      uint64_t start_ns, uint64_t exe_ino)
{
	char fn[64], buf[PATH_CAP], root[PATH_CAP];
	struct stat st;
	ssize_t n, r;

	snprintf(fn, sizeof(fn), "/proc/%u/exe", pid);
	n = readlink(fn, buf, sizeof(buf) - 1);
	/* the link must still be the executable the event saw (no exec since, no recycled pid) */
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1 || stat(fn, &st) || st.st_ino != exe_ino)
		return NULL; /* not cached: the next event may find it */
	buf[n] = '\0';
	snprintf(fn, sizeof(fn), "/proc/%u/root", pid);
	r = readlink(fn, root, sizeof(root) - 1);
	if (r > 1 && (size_t)r < sizeof(root) - 1) {
		/* a chroot: the path as the process sees it */
		root[r] = '\0';
		if (!strncmp(buf, root, r) && buf[r] == '/')
			memmove(buf, buf + r, n - r + 1);
	}
	free(e->path);
	e->path = strdup(buf);
	if (same_view(pid, root, r))
		remember_ino(p, exe_ino, buf); /* a path of our own view: valid for others */
	e->pid = pid;
	e->start_ns = start_ns;
	e->ino = exe_ino;
	e->used = e->path != NULL;
	return e->path;
}

const char *procctx__exe(struct procctx *p, uint32_t pid, uint64_t start_ns, uint64_t exe_ino)
{
	struct exe_ent *e = &p->exe[mix(((uint64_t)pid << 32) ^ start_ns ^ exe_ino) % EXE_SLOTS];

	if (e->used && e->pid == pid && e->start_ns == start_ns && e->ino == exe_ino)
		return e->path;
	return exe_lookup(p, e, pid, start_ns, exe_ino);
}

/* Depth-first over the cgroup2 tree, bounded in depth and in directories visited. */
static void walk(struct procctx *p, int dfd, char *rel, size_t len, int depth, size_t *left,
		 void (*cb)(void *ctx, const struct cgroup_info *ci), void *ctx)
{
	struct cgroup_info ci = {};
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!*left || depth > WALK_DEPTH || fstat(dfd, &st)) {
		close(dfd);
		return;
	}
	(*left)--;
	ci.id = st.st_ino;
	ci.path = rel[0] ? rel : "/";
	procctx_container_id(ci.path, ci.container, sizeof(ci.container));
	cb(ctx, &ci);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + 1 + n + 1 > PATH_CAP)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		walk(p, sub, rel, len + 1 + n, depth + 1, left, cb, ctx);
		rel[len] = '\0';
	}
	closedir(d);
}

int procctx__each_cgroup(struct procctx *p, void (*cb)(void *ctx, const struct cgroup_info *ci),
			 void *ctx)
{
	char rel[PATH_CAP] = "";
	size_t left = WALK_MAX;
	int fd;

	if (p->mntfd < 0)
		return -ENOENT;
	fd = openat(p->mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	walk(p, fd, rel, 0, 0, &left, cb, ctx);
	return 0;
}

int procctx__cgroup_id(struct procctx *p, const char *path, uint64_t *id, char *canon,
		       size_t size)
{
	size_t ml = strlen(p->mnt);
	const char *rel = path;
	int err;

	if (p->mntfd < 0)
		return -ENOENT;
	if (ml && !strncmp(path, p->mnt, ml) && (path[ml] == '/' || !path[ml]))
		rel = path[ml] ? path + ml : "/";
	if (rel[0] != '/')
		return -EINVAL;
	if (strstr(rel, "/../") || (strlen(rel) >= 3 && !strcmp(rel + strlen(rel) - 3, "/..")))
		return -EINVAL;
	err = id_of(p, rel, id);
	if (err)
		return err;
	if (canon) {
		size_t n = strlen(rel);

		while (n > 1 && rel[n - 1] == '/')
			n--;
		if (n + 1 > size)
			return -ENAMETOOLONG;
		memcpy(canon, rel, n);
		canon[n] = '\0';
	}
	return 0;
}
