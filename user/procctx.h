/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procctx.h - who raised an event, beyond pid and uid: the executable, the
 * cgroup and the container.  BPF sends what is cheap there (cgroup id, ppid,
 * pid in the process's own namespace, start time, executable inode); this
 * resolves the rest from /proc and the cgroup2 file system, and keeps it in
 * bounded caches so that a process or cgroup is looked at once.
 *
 * Everything read from /proc is hostile: lengths are bounded, paths are kept as
 * bytes (renderers escape them), and a process that is gone gives "unknown"
 * (NULL), never another process's answer.
 */
#ifndef PA_PROCCTX_H
#define PA_PROCCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCCTX_CONTAINER_MAX 128

struct cgroup_info {
	uint64_t id;
	char *path;	 /* "/system.slice/foo.service", relative to the cgroup root; NULL: unknown */
	char container[PROCCTX_CONTAINER_MAX]; /* "" on the host */
};

struct procctx;

struct procctx *procctx__new(void); /* NULL, errno set */
void procctx__free(struct procctx *p);

/*
 * The cgroup with this id (pid: a process in it, to read /proc/PID/cgroup
 * first).  Never NULL; ->path is NULL when it could not be resolved (the
 * cgroup is gone, or no cgroup2 file system).
 */
const struct cgroup_info *procctx__cgroup(struct procctx *p, uint64_t id, uint32_t pid);

/*
 * The executable of process pid as the process sees it (relative to its root),
 * if its executable is still the inode exe_ino; NULL if unknown.
 */
const char *procctx__exe(struct procctx *p, uint32_t pid, uint64_t start_ns, uint64_t exe_ino);

/*
 * For a process gone before it could be looked at: a path known to be the
 * executable inode exe_ino now (one seen for another process, or hint, the
 * probed binary's path, whose inode when the tracer opened it was hint_ino;
 * /proc/PID/root/ prefixes stripped).  NULL if none.
 */
const char *procctx__exe_by_file(struct procctx *p, uint64_t exe_ino, const char *hint,
				 uint64_t hint_ino);

/* Calls cb for every cgroup that exists now (depth and count bounded).  Returns 0 or -errno. */
int procctx__each_cgroup(struct procctx *p, void (*cb)(void *ctx, const struct cgroup_info *ci),
			 void *ctx);

/*
 * The id of the cgroup at path (relative to the cgroup root, or absolute under
 * the cgroup2 mount).  Returns 0 or -errno; *canon gets the relative form.
 */
int procctx__cgroup_id(struct procctx *p, const char *path, uint64_t *id, char *canon,
		       size_t size);

/*
 * The container id a cgroup path names, if any: docker-<64 hex>.scope and
 * /docker/<64 hex>, cri-containerd-, crio-, libpod- (<64 hex>, .scope or not),
 * a 64-hex cgroup of a kubepods pod, machine-<name>.scope and
 * systemd-nspawn@<name>.service (systemd's \xNN escapes undone).  The innermost
 * match wins.  Returns 1 and out, or 0 (the host).
 */
int procctx_container_id(const char *path, char *out, size_t size);

#endif
