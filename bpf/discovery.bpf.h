/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * discovery.bpf.h - the discovery programs: on_mmap, on_exec (executable
 * files of new processes), on_fork, on_exit (-f) (part of pyaudit.bpf.c,
 * included last there).
 */
#ifndef PA_DISCOVERY_BPF_H
#define PA_DISCOVERY_BPF_H

/* ---- discovery (system-wide mode) ------------------------------------------- */

static __always_inline void send_proc(__u32 kind, __u64 dev, __u64 ino, const char *path)
{
	struct pa_exec_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!r) {
		count_drop(PA_DROP_RINGBUF);
		return;
	}
	r->hdr.kind = kind;
	r->hdr.len = sizeof(*r);
	r->hdr.ts_ns = bpf_ktime_get_ns();
	r->pid = id >> 32;
	r->tid = (__u32)id;
	r->dev = dev;
	r->ino = ino;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->path[0] = 0;
	if (path)
		bpf_probe_read_kernel_str(r->path, sizeof(r->path), path);
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP); /* a new Python must be probed at once */
}

static __always_inline void file_seen(struct file *file, const char *path)
{
	__u64 dev, ino, key;
	__u32 tgid;
	__u8 one = PA_SEEN_REPORTED, *seen;

	if (!file)
		return;
	ino = BPF_CORE_READ(file, f_inode, i_ino);
	dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	if (cfg_discover == PA_DISCOVER_WATCHED) {
		/* -p: every executable mapping of a watched process (few), none of the others */
		tgid = bpf_get_current_pid_tgid() >> 32;
		if (cfg_follow) {
			/* -f: the followed processes' (many), each file as system-wide below */
			if (!bpf_map_lookup_elem(&followed, &tgid))
				return;
		} else {
			if (bpf_map_lookup_elem(&watched, &tgid))
				send_proc(PA_REC_MMAP, dev, ino, path);
			return;
		}
	}
	/*
	 * Reported until userspace has decided (2: probed for every process, or
	 * not a Python): every process that maps it meanwhile is told of, so that
	 * one started before its probes were in is known and said.
	 */
	key = PA_SEEN_KEY(dev, ino);
	seen = bpf_map_lookup_elem(&seen_files, &key);
	if (seen && *seen == PA_SEEN_SETTLED)
		return;
	if (!seen)
		bpf_map_update_elem(&seen_files, &key, &one, BPF_ANY);
	send_proc(PA_REC_MMAP, dev, ino, path);
}

/*
 * Executable files a process maps (libpython by ld.so or dlopen): at the mmap
 * call, through its fd, so no kprobe or fentry is needed (kernels without
 * ftrace have neither).  Userspace looks for the mapping once it is in place.
 */
SEC("tracepoint/syscalls/sys_enter_mmap")
int on_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds, *file = NULL;
	long fd = ctx->args[4];
	unsigned int max;

	if (cfg_discover == PA_DISCOVER_OFF || !(ctx->args[2] & 4 /* PROT_EXEC */) || fd < 0)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if (!fds || fd >= max)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	file_seen(file, NULL);
	return 0;
}

/* The executable of a new program (a static python3.X maps no library). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (cfg_discover != PA_DISCOVER_OFF)
		file_seen(bprm->file, bprm->filename);
	return 0;
}

/* -f: a child of a followed process is followed from its first instruction */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!cfg_follow || ptgid == ctgid || !bpf_map_lookup_elem(&followed, &ptgid))
		return 0;
	if (bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY))
		count_drop(PA_DROP_FOLLOW);
	return 0;
}

/* -f: the last thread of a process exits (signal->live is down to 0 by now) */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (cfg_follow && !p->signal->live.counter)
		bpf_map_delete_elem(&followed, &tgid);
	return 0;
}

#endif
