// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tracer.c - one tracing session from BPF load to exit status.
 *
 * It owns the skeleton (configured between open and load), the poll loop over
 * the ring buffer and timers, the output, the drop counters and the signals.
 * Which processes are traced is user/discovery.c's (-p, `-- COMMAND`, or
 * every Python process), handed the attacher and this loop's epoll set.  Under
 * `-- COMMAND` Ctrl-C that did not come from the terminal is forwarded to the
 * command, and its exit status becomes ours.  Event names, their filter verdicts
 * and the -c counter slots are user/names.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agg.h"
#include "attach.h"
#include "discovery.h"
#include "decode.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "outfile.h"
#include "output.h"
#include "pyaudit.h"
#include "pyaudit.skel.h"
#include "procctx.h"
#include "ring.h"
#include "site.h"
#include "pybin.h"
#include "tracer.h"

struct tracer {
	const struct config *cfg;
	enum disc_mode mode;
	struct pyaudit_bpf *skel;
	struct ring *rb;
	struct attacher *att;
	struct discovery *disc;	/* the traced processes (user/discovery.c) */
	struct output *out;
	struct names *names;	/* names, verdicts, -c counter slots (user/names.c) */
	struct agg *agg;
	struct metrics *metrics; /* --metrics */
	struct outfile *of;	/* stdout or -o: whole lines, O_APPEND, SIGHUP reopen, --rotate */
	FILE *outf;		/* its stream */
	int epfd;
	pid_t child;
	int child_ended, child_status;
	int child_killed;	/* by us, after an output error */
	uint64_t drops_seen[PA_DROP_NR];
	uint64_t start_ns;
	int64_t mono_to_real;
	int out_error;
	int disc_timeout;	/* ms: discovery's pending work wants a shorter poll */
	uint64_t bad_records; /* records that failed to decode */
	int fast;		/* -c --by event: per-CPU counter slots per name */
	unsigned kernel_by;	/* the counts map's key: -c --by, plus comm for --metrics */
	struct audit_event ev;
	struct procctx *pc;	/* exe, cgroup, container of events */
	struct site_cache *sites; /* code objects of call sites */
	char cg_filter[4096];	/* --cgroup, as a path from the cgroup root */
};

static volatile sig_atomic_t got_signal, got_hup;
static volatile pid_t forward_to;

/* SIGHUP reopens -o FILE (logrotate's `create`): never an end, never forwarded. */
static void on_hup(int sig)
{
	got_hup = 1;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	got_signal = sig;
	/*
	 * A terminal's Ctrl-C reaches the command by itself (same process group,
	 * si_code SI_KERNEL); a kill(2) aimed at us is passed on.
	 */
	if (forward_to > 0 && si->si_code != SI_KERNEL && si->si_pid != forward_to)
		kill(forward_to, sig);
}

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int64_t mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return (r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);
}

/* ---- records ---------------------------------------------------------------- */

/* --cgroup / --container: does this cgroup pass? */
static bool cgroup_pass(const struct tracer *t, const struct cgroup_info *ci)
{
	const char *want = t->cfg->container;
	size_t n;

	if (t->cfg->cgroup) {
		n = strlen(t->cg_filter);
		if (!ci->path)
			return false;
		if (strcmp(t->cg_filter, "/") &&
		    (strncmp(ci->path, t->cg_filter, n) || (ci->path[n] && ci->path[n] != '/')))
			return false;
	}
	if (want) {
		if (!ci->path)
			return false; /* a cgroup gone before we saw it: nothing proves it matches */
		if (!strcmp(want, "host"))
			return !ci->container[0];
		if (strncmp(ci->container, want, strlen(want)))
			return false;
	}
	return true;
}

static void cgroup_decide(struct tracer *t, const struct cgroup_info *ci)
{
	__u32 v = cgroup_pass(t, ci) ? PA_VERDICT_PASS : PA_VERDICT_DROP;

	bpf_map_update_elem(bpf_map__fd(t->skel->maps.cgroup_verdicts), &ci->id, &v, BPF_ANY);
}

static void cgroup_seed_one(void *ctx, const struct cgroup_info *ci)
{
	cgroup_decide(ctx, ci);
}

/* What the renderers show beyond the record: executable, cgroup, container. */
static void context_fill(struct tracer *t, struct audit_event *ev)
{
	const struct cgroup_info *ci = procctx__cgroup(t->pc, ev->cgroup_id, ev->pid);

	ev->exe = procctx__exe(t->pc, ev->pid, ev->start_ns, ev->exe_ino);
	if (!ev->exe) {
		const struct probe_info *pi = attacher__probe_info(t->att, ev->probe_id);

		ev->exe = procctx__exe_by_file(t->pc, ev->exe_ino, pi ? pi->binary : NULL,
					       pi ? pi->ino : 0);
	}
	ev->cgroup = ci->path;
	ev->container = ci->path ? ci->container : NULL;
	ev->site_wanted = t->skel->rodata->cfg_site != 0;
	ev->nsite = 0;
	if (ev->site_wanted && ev->nframes) {
		const struct probe_info *pi = attacher__probe_info(t->att, ev->probe_id);
		unsigned minor = pi ? pi->minor : 0;

		if (minor >= 8 && minor <= 15)
			site_cache__resolve(t->sites, ev, minor);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct pa_rec_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	switch (h->kind) {
	case PA_REC_EVENT:
		if (decode_event(data, size, &t->ev)) {
			/* a bug of ours if it ever happens: counted and said, never silent */
			t->bad_records++;
			pa_dbg("dropping a malformed record of %zu bytes", size);
			return 0;
		}
		if (t->ev.nframes)
			site_cache__learn(t->sites, &t->ev); /* even if filtered out below */
		if ((t->ev.flags & PA_EV_NAME_PENDING) && !names__pass_value(t->names, &t->ev.name))
			return 0;
		if ((t->ev.flags & PA_EV_CGROUP_PENDING) &&
		    !cgroup_pass(t, procctx__cgroup(t->pc, t->ev.cgroup_id, t->ev.pid)))
			return 0;
		context_fill(t, &t->ev);
		if (output__event(t->out, &t->ev) || outfile__error(t->of)) {
			t->out_error = outfile__error(t->of) ?: errno ?: EIO;
			return -1;
		}
		return 0;
	case PA_REC_NAME:
		names__on_record(t->names, data, size);
		return 0;
	case PA_REC_CGROUP:
		if (size >= sizeof(struct pa_cgroup_rec)) {
			const struct pa_cgroup_rec *r = data;

			cgroup_decide(t, procctx__cgroup(t->pc, r->cgroup_id, r->pid));
		}
		return 0;
	case PA_REC_MMAP:
		if (size >= sizeof(struct pa_exec_rec))
			discovery__on_record(t->disc, data);
		return 0;
	}
	return 0;
}

/* Reads the ring (never stuck: a record the kernel sized impossibly is said and passed). */
static void read_ring(struct tracer *t)
{
	if (ring__consume(t->rb) == -EIO)
		pa_warn("ring buffer: a record of an impossible size; the records after it up to "
			"now were skipped");
}

/*
 * The mmap watcher is a syscall tracepoint, which libbpf finds through tracefs.
 * A machine may run without tracefs mounted: then it is mounted where libbpf
 * looks first, as perf does (and it stays mounted).
 */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (!mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		pa_dbg("mounted tracefs at /sys/kernel/tracing");
		return 0;
	}
	pa_err("watching for Python processes needs tracefs: it is not mounted at "
	       "/sys/kernel/tracing and mounting it failed: %s", strerror(errno));
	return -1;
}

/*
 * With -v, and kernel.bpf_stats_enabled set: the time the kernel spent in each
 * probe program, per run.  What an event costs the traced program beyond the
 * trap itself; `make bench` reads these lines.
 */
static void report_prog_time(struct tracer *t)
{
	struct bpf_program *prog;

	if (!log_verbose())
		return;
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt)
			continue;
		pa_dbg("program %s: %llu runs, %.1f ns per run", bpf_program__name(prog),
		       (unsigned long long)info.run_cnt, (double)info.run_time_ns / info.run_cnt);
	}
}

static void check_drops(struct tracer *t, int final)
{
	uint64_t d = t->skel->bss->drops[PA_DROP_RINGBUF];
	uint64_t m = t->skel->bss->drops[PA_DROP_NAME_MAP];

	if (!final && d > t->drops_seen[PA_DROP_RINGBUF])
		pa_warn("lost %llu events (ring buffer full); try a larger --ringbuf-size",
			(unsigned long long)(d - t->drops_seen[PA_DROP_RINGBUF]));
	if (!final && m > t->drops_seen[PA_DROP_NAME_MAP])
		pa_warn("%llu events with names the kernel could not remember (names map full): "
			"filtered in userspace",
			(unsigned long long)(m - t->drops_seen[PA_DROP_NAME_MAP]));
	t->drops_seen[PA_DROP_RINGBUF] = d;
	t->drops_seen[PA_DROP_NAME_MAP] = m;
	if (final && d)
		pa_warn("lost %llu events in all (ring buffer full); try a larger --ringbuf-size",
			(unsigned long long)d);
	if (final && t->skel->bss->drops[PA_DROP_PREEMPTED])
		pa_warn("lost %llu events whose probe was preempted on its CPU by another traced "
			"thread (a fully preemptible kernel)",
			(unsigned long long)t->skel->bss->drops[PA_DROP_PREEMPTED]);
	if (final && t->skel->bss->drops[PA_DROP_CGROUP_PENDING])
		pa_warn("%llu events not counted: their cgroup was new and not yet decided "
			"(--cgroup, --container)",
			(unsigned long long)t->skel->bss->drops[PA_DROP_CGROUP_PENDING]);
	if (final && t->skel->bss->drops[PA_DROP_FOLLOW])
		pa_warn("%llu child processes not followed: more than %d followed at once (-f)",
			(unsigned long long)t->skel->bss->drops[PA_DROP_FOLLOW], PA_MAX_FOLLOWED);
	if (final && t->skel->bss->drops[PA_ERR_READ])
		pa_warn("%llu reads of a traced process's memory failed: those values are shown "
			"as unreadable",
			(unsigned long long)t->skel->bss->drops[PA_ERR_READ]);
	if (final && t->bad_records)
		pa_warn("lost %llu events whose records could not be decoded (please report)",
			(unsigned long long)t->bad_records);
}

/* ---- open / run / close ------------------------------------------------------ */

int tracer__open(const struct config *cfg, struct tracer **out)
{
	struct tracer *t = calloc(1, sizeof(*t));
	struct output_opts oo = {};
	int err;

	*out = NULL;
	if (!t) {
		pa_err("out of memory");
		return -ENOMEM;
	}
	t->cfg = cfg;
	t->epfd = -1;
	t->disc_timeout = 50;
	t->mode = discovery_mode(cfg);
	libbpf_set_print(log_libbpf);

	{
		struct outfile_opts fo = {
			.path = cfg->output_path,
			.append = cfg->append,
			.rotate_size = cfg->rotate_size,
			.rotate_count = cfg->rotate_count,
		};

		t->of = outfile__open(&fo);
		if (!t->of) {
			err = -errno;
			if (errno == EFTYPE_ROTATE)
				pa_err("-o %s: not a regular file: --rotate would rename it",
				       cfg->output_path);
			else
				pa_err("-o %s: %s", cfg->output_path ? cfg->output_path : "-",
				       strerror(errno));
			goto fail;
		}
		t->outf = outfile__stream(t->of);
	}
	if (geteuid() != 0) {
		pa_err("loading BPF programs: %s (run as root)", strerror(EPERM));
		err = -EPERM;
		goto fail;
	}
	t->names = names__new(cfg->include, cfg->ninclude, cfg->exclude, cfg->nexclude);
	if (!t->names) {
		err = -errno;
		pa_err("filters: %s", strerror(errno));
		goto fail;
	}

	t->skel = pyaudit_bpf__open();
	if (!t->skel) {
		err = -errno;
		pa_err("opening BPF object: %s", strerror(errno));
		goto fail;
	}
	t->skel->rodata->cfg_str_size = cfg->str_size;
	t->skel->rodata->cfg_filter = names__filtering(t->names);
	/*
	 * --metrics counts in the kernel whatever else is done: beside -c's table
	 * (its key), beside trace output to -o (events are counted, then sent), or
	 * alone (counted only), keyed by event and comm without -c.
	 */
	t->skel->rodata->cfg_count = cfg->count || cfg->metrics;
	t->skel->rodata->cfg_count_trace = cfg->metrics && !cfg->count && cfg->output_path;
	t->skel->rodata->cfg_hist = cfg->hist;
	t->kernel_by = (cfg->count ? cfg->by : BY_EVENT) | (cfg->metrics ? BY_COMM : 0);
	t->skel->rodata->cfg_by = t->kernel_by;
	t->fast = cfg->count && t->kernel_by == BY_EVENT && !cfg->hist && !cfg->have_uid &&
		  !cfg->comm && !cfg->cgroup && !cfg->container && !cfg->follow;
	t->skel->rodata->cfg_cgroup_filter = cfg->cgroup || cfg->container;
	t->skel->rodata->cfg_site = cfg->count || cfg->no_site ? 0 : cfg->stack ? cfg->stack : 1;
	t->skel->rodata->cfg_fast = t->fast;
	t->skel->rodata->cfg_have_uid = cfg->have_uid;
	t->skel->rodata->cfg_uid = cfg->uid;
	if (cfg->comm) {
		t->skel->rodata->cfg_have_comm = 1;
		strncpy((char *)t->skel->rodata->cfg_comm, cfg->comm, 15);
	}
	/* -p and the command: the watched processes' new executable files (exec, dlopen) */
	t->skel->rodata->cfg_discover =
		t->mode == DISC_SYSTEM ? PA_DISCOVER_EVERY : PA_DISCOVER_WATCHED;
	/* -f: events of the followed processes only, the map extended in BPF at fork */
	t->skel->rodata->cfg_follow = cfg->follow && t->mode != DISC_SYSTEM;
	if (!t->skel->rodata->cfg_follow) {
		/* not even run at the forks and exits of the machine without -f */
		bpf_program__set_autoload(t->skel->progs.on_fork, false);
		bpf_program__set_autoload(t->skel->progs.on_exit, false);
	}
	bpf_map__set_max_entries(t->skel->maps.events, cfg->ringbuf_kib * 1024);
	/* records wake the reader only once a quarter of the ring is used; else the 50 ms poll */
	t->skel->rodata->cfg_wakeup_bytes = cfg->ringbuf_kib * 1024 / 4;
	t->skel->rodata->cfg_wakeup_check = cfg->ringbuf_kib >= 1024 ? 16384 : cfg->ringbuf_kib * 16;
	if (cfg->max_keys)
		bpf_map__set_max_entries(t->skel->maps.counts, cfg->max_keys);

	t->pc = procctx__new();
	t->sites = site_cache__new();
	if (!t->pc || !t->sites) {
		err = -ENOMEM;
		pa_err("out of memory");
		goto fail;
	}
	if (cfg->cgroup) {
		uint64_t id;

		err = procctx__cgroup_id(t->pc, cfg->cgroup, &id, t->cg_filter, sizeof(t->cg_filter));
		if (err) {
			pa_err("--cgroup %s: %s", cfg->cgroup,
			       err == -ENOENT ? "no such cgroup (in the cgroup2 file system)"
					      : strerror(-err));
			goto fail;
		}
	}
	err = pyaudit_bpf__load(t->skel);
	if (err) {
		pa_err("loading BPF programs: %s%s", strerror(-err),
		       err == -EPERM ? " (run as root)" : " (-v shows the verifier's log)");
		goto fail;
	}
	if (cfg->cgroup || cfg->container) {
		/* the kernel decides alone for every cgroup of now; later ones at first sight */
		err = procctx__each_cgroup(t->pc, cgroup_seed_one, t);
		if (err)
			pa_warn("listing cgroups: %s (each is decided at its first event)",
				strerror(-err));
	}
	if (ensure_tracefs())
		goto fail;
	err = pyaudit_bpf__attach(t->skel);
	if (err) {
		pa_err("attaching the mmap watcher: %s", strerror(-err));
		goto fail;
	}
	{
		struct attach_opts ao = {
			.skel = t->skel,
			.probe = cfg->probe,
			.empty = cfg->empty_probe,
		};

		t->att = attacher__new(&ao);
		if (!t->att) {
			err = -ENOMEM;
			pa_err("out of memory");
			goto fail;
		}
	}
	t->rb = ring__open(bpf_map__fd(t->skel->maps.events), on_record, t);
	if (!t->rb) {
		err = -errno;
		pa_err("ring buffer: %s", strerror(errno));
		goto fail;
	}
	t->mono_to_real = mono_to_real();
	if (cfg->count || cfg->metrics) {
		struct agg_opts ag = {
			.f = t->outf,
			.json = cfg->json,
			.by = cfg->count ? cfg->by : t->kernel_by,
			.top = cfg->top,
			.cumulative = cfg->cumulative,
			.interval_s = cfg->interval_s,
			.hist = cfg->hist,
			.counts_fd = bpf_map__fd(t->skel->maps.counts),
			.hists_fd = bpf_map__fd(t->skel->maps.hists),
			.filter = names__filter(t->names),
			.extra_counts = t->fast ? names__fast_rows : NULL,
			.extra_ctx = t->names,
			.mono_to_real_ns = t->mono_to_real,
			.time_format = cfg->time_format,
		};

		t->agg = agg__new(&ag);
		if (!t->agg) {
			err = -errno;
			pa_err("count mode: %s", strerror(errno));
			goto fail;
		}
	}
	if (!cfg->count && (!cfg->metrics || cfg->output_path)) {
		oo.f = t->outf;
		oo.json = cfg->json;
		oo.str_size = cfg->str_size;
		oo.verbose = cfg->verbose;
		oo.stack = cfg->stack;
		oo.mono_to_real_ns = t->mono_to_real;
		oo.time_format = cfg->time_format;
		oo.probe_lookup = attacher_probe_lookup;
		oo.probe_ctx = t->att;
		t->out = output__new(&oo);
		if (!t->out) {
			err = -errno;
			pa_err("output: %s", strerror(errno));
			goto fail;
		}
	}
	names__bind(t->names, bpf_map__fd(t->skel->maps.names),
		    bpf_map__fd(t->skel->maps.fast_counts), t->fast, t->agg);
	if (names__filtering(t->names) || cfg->count || cfg->metrics)
		names__seed(t->names);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0) {
		err = -errno;
		pa_err("epoll: %s", strerror(errno));
		goto fail;
	}
	{
		struct epoll_event ee = { .events = EPOLLIN, .data.u64 = 0 };

		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, ring__fd(t->rb), &ee)) {
			err = -errno;
			pa_err("epoll: %s", strerror(errno));
			goto fail;
		}
	}
	if (cfg->metrics) {
		struct metrics_opts mo = {
			.addr = cfg->metrics,
			.epfd = t->epfd,
			.agg = t->agg,
			.by = t->kernel_by | BY_EVENT,
			.drops = (const volatile uint64_t *)t->skel->bss->drops,
			.bad_records = &t->bad_records,
			.att = t->att,
		};
		struct timespec now;
		const char *why;

		clock_gettime(CLOCK_REALTIME, &now);
		mo.start_time = now.tv_sec + now.tv_nsec / 1e9;
		t->metrics = metrics__open(&mo, &why);
		if (!t->metrics) {
			err = -errno;
			pa_err("--metrics %s: %s%s%s", cfg->metrics, why, errno == EINVAL ? "" : ": ",
			       errno == EINVAL ? "" : strerror(errno));
			goto fail;
		}
		pa_info("metrics on http://%s/metrics", metrics__address(t->metrics));
	}
	{
		struct discovery_opts dopts = {
			.cfg = cfg,
			.skel = t->skel,
			.att = t->att,
			.epfd = t->epfd,
		};

		t->disc = discovery__new(&dopts);
		if (!t->disc) {
			err = -ENOMEM;
			pa_err("out of memory");
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	tracer__close(t);
	return err ? err : -EINVAL;
}

static void install_signals(void)
{
	struct sigaction sa = {};

	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int start_targets(struct tracer *t)
{
	int err = discovery__start(t->disc);

	t->child = discovery__child(t->disc, &t->child_ended, &t->child_status);
	forward_to = t->child;
	return err;
}

int tracer__run(struct tracer *t)
{
	const struct config *cfg = t->cfg;
	uint64_t deadline = 0, next_tick, next_table = 0;
	int err;

	install_signals();
	t->start_ns = now_mono();
	err = start_targets(t);
	if (err) {
		if (t->mode == DISC_COMMAND && t->child_ended)
			return WIFEXITED(t->child_status) ? WEXITSTATUS(t->child_status) : 1;
		return 1;
	}
	if (t->mode == DISC_COMMAND && t->child_ended && discovery__all_gone(t->disc)) {
		/* the command ended before it ran any Python (-f: and left no process behind) */
		read_ring(t);
		goto out;
	}
	if (cfg->duration_ns)
		deadline = t->start_ns + cfg->duration_ns;
	if (cfg->count && cfg->interval_s)
		next_table = t->start_ns + cfg->interval_s * 1000000000ull;
	next_tick = now_mono() + 1000000000ull;

	while (!t->out_error) {
		struct epoll_event evs[8];
		int i, n, timeout = t->disc_timeout;
		uint64_t now;

		if (got_signal && (t->mode != DISC_COMMAND || t->child_ended))
			break; /* -f: a signal after the command's end does not wait for its children */
		/* records wake us only while this says we sleep (wakeup_flags() in BPF) */
		__atomic_store_n(&t->skel->bss->reader_asleep, 1, __ATOMIC_SEQ_CST);
		n = epoll_wait(t->epfd, evs, 8, timeout);
		__atomic_store_n(&t->skel->bss->reader_asleep, 0, __ATOMIC_RELAXED);
		if (n < 0 && errno != EINTR) {
			pa_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t w = evs[i].data.u64;

			if (evs[i].data.u64 >= METRICS_EPOLL_TAG) {
				metrics__on_epoll(t->metrics, evs[i].data.u64, evs[i].events);
				continue;
			}
			if (w == 0)
				continue; /* consumed below, readable or not */
			discovery__on_epoll(t->disc, evs[i].data.u64);
		}
		t->child = discovery__child(t->disc, &t->child_ended, &t->child_status);
		/*
		 * Records are written without waking us (see wakeup_flags() in BPF):
		 * the ring is read at every turn, on the 50 ms timeout too.
		 */
		read_ring(t);
		t->disc_timeout = discovery__poll(t->disc);
		metrics__tick(t->metrics);
		/*
		 * Whatever the batch wrote goes out now, not when stdio's buffer
		 * fills: a reader of a pipe (jq, tail -f, a test) sees events live.
		 */
		if (t->out)
			output__flush(t->out);
		if (outfile__commit(t->of) && !t->out_error)
			t->out_error = outfile__error(t->of);
		if (got_hup) {
			got_hup = 0;
			err = outfile__reopen(t->of);
			if (err && outfile__error(t->of))
				t->out_error = outfile__error(t->of);
			else if (err)
				pa_warn("SIGHUP: reopening %s: %s (still writing to the file open before)",
					outfile__name(t->of), strerror(-err));
		}
		now = now_mono();
		if (now >= next_tick) {
			check_drops(t, 0);
			next_tick = now + 1000000000ull;
		}
		if (next_table && now >= next_table) {
			read_ring(t);
			agg__print(t->agg, t->start_ns, now, 0, t->skel->bss->drops[PA_DROP_COUNT_MAP]);
			next_table += cfg->interval_s * 1000000000ull;
			if (outfile__commit(t->of) && !t->out_error)
				t->out_error = outfile__error(t->of);
		}
		if (discovery__all_gone(t->disc))
			break;
		if (deadline && now >= deadline)
			break;
	}
out:
	if (!t->out_error)
		read_ring(t);
	if (t->agg && cfg->count && !t->out_error)
		agg__print(t->agg, t->start_ns, now_mono(), 1, t->skel->bss->drops[PA_DROP_COUNT_MAP]);
	if (t->out)
		output__flush(t->out);
	if (outfile__commit(t->of) && !t->out_error)
		t->out_error = outfile__error(t->of);
	if (t->out_error && t->mode == DISC_COMMAND && !t->child_ended && t->child > 0) {
		/*
		 * Output failed while the command runs: it is not left running
		 * untraced.  It is killed and reaped; its pidfd watch is moot now.
		 */
		kill(t->child, SIGKILL);
		if (waitpid(t->child, &t->child_status, 0) == t->child)
			t->child_ended = 1;
		forward_to = 0;
		if (t->out_error != EPIPE)
			pa_err("writing %s %s: %s; the command (PID %d) was killed: it is never left "
			       "running untraced",
			       cfg->count ? "the count table to" : "events to", outfile__name(t->of),
			       strerror(t->out_error), t->child);
		t->child_status = 0; /* our status is the output's, not the kill's */
		t->child_killed = 1;
	} else if (t->out_error && t->out_error != EPIPE) {
		pa_err("writing %s %s: %s", cfg->count ? "the count table to" : "events to",
		       outfile__name(t->of), strerror(t->out_error));
	}
	check_drops(t, 1);
	discovery__report(t->disc);
	report_prog_time(t);
	/* a reader that went away (`| head -1`) ends us quietly, as SIGPIPE ends other tools */
	if (t->out_error == EPIPE)
		return 128 + SIGPIPE;
	if (t->out_error)
		return 1;
	if (t->mode == DISC_COMMAND) {
		if (!t->child_ended && t->child > 0) {
			/* -d ended us first: the command goes on untraced, as asked */
			return 0;
		}
		if (WIFEXITED(t->child_status))
			return WEXITSTATUS(t->child_status);
		if (WIFSIGNALED(t->child_status))
			return 128 + WTERMSIG(t->child_status);
	}
	return 0;
}

void tracer__close(struct tracer *t)
{
	int sig = 0;

	if (!t)
		return;
	if (t->mode == DISC_COMMAND && t->child_ended && !t->child_killed &&
	    WIFSIGNALED(t->child_status))
		sig = WTERMSIG(t->child_status);
	discovery__free(t->disc);
	metrics__close(t->metrics);
	if (t->epfd >= 0)
		close(t->epfd);
	ring__close(t->rb);
	attacher__free(t->att);
	procctx__free(t->pc);
	site_cache__free(t->sites);
	pyaudit_bpf__destroy(t->skel);
	output__free(t->out);
	agg__free(t->agg);
	names__free(t->names);
	outfile__close(t->of);
	free(t);
	if (sig) {
		/* die the way the command died, as strace does */
		struct sigaction sa = { .sa_handler = SIG_DFL };
		sigset_t set;

		sigaction(sig, &sa, NULL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
}
