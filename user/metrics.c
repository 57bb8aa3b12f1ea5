// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * metrics.c - the Prometheus / OpenMetrics endpoint of --metrics (metrics.h).
 *
 * One listening socket and up to MAX_CONNS connections, all non-blocking, in
 * the tracer's epoll set.  A connection reads one request (bounded), is
 * answered from a buffer built at once (the values are read from the BPF maps
 * there), written as the socket takes it, and closed.  metrics__tick() drops
 * connections past their deadline, so a client that sends or reads slowly
 * costs a slot for a few seconds and nothing else.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "agg.h"
#include "attach.h"
#include "cli.h"
#include "escape.h"
#include "log.h"
#include "metrics.h"
#include "vec.h"
#include "pyaudit.h"

#define MAX_CONNS	16
#define REQ_MAX		8192
#define READ_TIMEOUT_MS 5000
#define WRITE_TIMEOUT_MS 10000
#define BODY_MAX	(64u << 20)

enum conn_state { CONN_FREE = 0, CONN_READ, CONN_WRITE };

struct conn {
	enum conn_state state;
	int fd;
	uint64_t deadline_ms;
	char req[REQ_MAX];
	size_t nreq;
	char *out;
	size_t nout, off;
};

struct metrics {
	struct metrics_opts opts;
	int lfd;
	char address[80];
	struct conn conns[MAX_CONNS];
	uint64_t scrapes;
	uint64_t paused_until_ms; /* accept failed (out of descriptors): listening resumes then */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* ---- the address ------------------------------------------------------------ */

/* "ADDR:PORT" -> host and port strings; "[v6]:PORT" for IPv6. 0 or -EINVAL. */
static int split_addr(const char *arg, char *host, size_t hsz, char *port, size_t psz)
{
	const char *colon, *h = arg, *he;
	unsigned long long p;

	if (!arg || !*arg)
		return -EINVAL;
	if (*arg == '[') {
		he = strchr(arg, ']');
		if (!he || he[1] != ':')
			return -EINVAL;
		h = arg + 1;
		colon = he + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon || memchr(arg, ':', colon - arg))
			return -EINVAL; /* an IPv6 address goes in brackets */
		he = colon;
	}
	if (he == h || (size_t)(he - h) >= hsz || strlen(colon + 1) >= psz)
		return -EINVAL;
	if (parse_uint(colon + 1, 0, 65535, &p))
		return -EINVAL;
	memcpy(host, h, he - h);
	host[he - h] = '\0';
	snprintf(port, psz, "%llu", p);
	return 0;
}

int metrics_check_addr(const char *arg)
{
	char host[256], port[8];

	return split_addr(arg, host, sizeof(host), port, sizeof(port));
}

/* ---- the exposition --------------------------------------------------------- */

void metrics_label_value(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		bool bad;
		size_t n = ucs_next(p, len, i, 0, &cp, &bad);

		if (bad)
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
		else if (cp == '\\')
			fputs("\\\\", f);
		else if (cp == '"')
			fputs("\\\"", f);
		else if (cp == '\n')
			fputs("\\n", f);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
}

struct series {
	char *labels;	/* {a="b",...} or "" */
	uint64_t value;
};

struct series_set {
	struct series *s;
	size_t n, cap;
	int err;
};

static void series_add(struct series_set *set, char *labels, uint64_t value)
{
	if (!labels) {
		set->err = -ENOMEM;
		return;
	}
	if (VEC_RESERVE(set->s, set->n, set->cap, 64)) {
		free(labels);
		set->err = -ENOMEM;
		return;
	}
	set->s[set->n].labels = labels;
	set->s[set->n].value = value;
	set->n++;
}

static int cmp_series(const void *x, const void *y)
{
	return strcmp(((const struct series *)x)->labels, ((const struct series *)y)->labels);
}

/* Sorted, and series whose labels came out equal (escaping is not one-to-one) summed. */
static void series_merge(struct series_set *set)
{
	size_t i, j = 0;

	if (!set->n)
		return;
	qsort(set->s, set->n, sizeof(*set->s), cmp_series);
	for (i = 0; i < set->n; i++) {
		if (j && !strcmp(set->s[j - 1].labels, set->s[i].labels)) {
			set->s[j - 1].value += set->s[i].value;
			free(set->s[i].labels);
			continue;
		}
		set->s[j++] = set->s[i];
	}
	set->n = j;
}

static void series_free(struct series_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->s[i].labels);
	free(set->s);
	memset(set, 0, sizeof(*set));
}

/* Labels from printf-like pairs; values through metrics_label_value(). */
static char *labels_of(int n, const char *const *names, const char *const *values,
		       const size_t *lens)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);
	int i;

	if (!f)
		return NULL;
	if (n)
		putc('{', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", names[i]);
		metrics_label_value(f, values[i], lens[i]);
		putc('"', f);
	}
	if (n)
		putc('}', f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct count_ctx {
	struct series_set *set;
	unsigned by;
};

static void on_count(void *c, const char *event, const struct pa_count_key *k, uint64_t count)
{
	struct count_ctx *ctx = c;
	const char *names[4], *values[4];
	size_t lens[4];
	char pid[16], uid[16];
	int n = 0;

	names[n] = "event", values[n] = event, lens[n++] = strlen(event);
	if (ctx->by & BY_COMM) {
		names[n] = "comm", values[n] = k->comm;
		lens[n++] = strnlen(k->comm, sizeof(k->comm));
	}
	if (ctx->by & BY_PID) {
		snprintf(pid, sizeof(pid), "%u", k->pid);
		names[n] = "pid", values[n] = pid, lens[n++] = strlen(pid);
	}
	if (ctx->by & BY_UID) {
		snprintf(uid, sizeof(uid), "%u", k->uid);
		names[n] = "uid", values[n] = uid, lens[n++] = strlen(uid);
	}
	series_add(ctx->set, labels_of(n, names, values, lens), count);
}

struct set_ctx {
	struct series_set *procs, *bins, *probes;
};

static void on_set(void *c, pid_t pid, const struct probe_info *info, int nprobes)
{
	struct set_ctx *ctx = c;
	const char *names[2] = { "route", "coverage" }, *values[2];
	size_t lens[2];

	values[0] = info->route ? info->route : "unknown";
	values[1] = info->complete ? "complete" : "partial";
	lens[0] = strlen(values[0]);
	lens[1] = strlen(values[1]);
	series_add(pid > 0 ? ctx->procs : ctx->bins, labels_of(2, names, values, lens), 1);
	series_add(ctx->probes, labels_of(1, names, values, lens), nprobes);
}

static void family(FILE *f, bool om, const char *name, const char *type, const char *help)
{
	size_t n = strlen(name);

	/* OpenMetrics names a counter family without its _total suffix */
	if (om && !strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name, type);
}

static void samples(FILE *f, const char *name, struct series_set *set)
{
	size_t i;

	series_merge(set);
	for (i = 0; i < set->n; i++)
		fprintf(f, "%s%s %llu\n", name, set->s[i].labels, (unsigned long long)set->s[i].value);
}

static const struct {
	int reason;
	const char *cause;
} drop_causes[] = {
	{ PA_DROP_RINGBUF, "ring_buffer_full" },
	{ PA_DROP_PREEMPTED, "preempted" },
	{ -1, "undecodable" },
	{ PA_DROP_COUNT_MAP, "counts_map_full" },
	{ PA_DROP_NAME_MAP, "names_map_full" },
	{ PA_DROP_CGROUP_PENDING, "cgroup_pending" },
};

int metrics__write(struct metrics *m, FILE *f, bool om)
{
	struct series_set events = {}, procs = {}, bins = {}, probes = {};
	const struct metrics_opts *o = &m->opts;
	uint64_t lost = 0, v;
	size_t i;
	int err = 0;

	family(f, om, "pyaudit_events_total", "counter",
	       "Audit events counted in the kernel since start, by event name (and comm, pid, "
	       "uid as counted).");
	if (o->agg) {
		struct count_ctx cc = { &events, o->by ? o->by : BY_EVENT };

		err = agg__each_count(o->agg, on_count, &cc);
		if (!err)
			err = events.err;
		if (!err)
			samples(f, "pyaudit_events_total", &events);
	}
	family(f, om, "pyaudit_dropped_events_total", "counter",
	       "Events lost (ring_buffer_full, preempted, undecodable: not written) or not "
	       "counted (counts_map_full; cgroup_pending: a cgroup not yet decided for "
	       "--cgroup/--container), or whose name the kernel could not keep "
	       "(names_map_full), by cause.");
	for (i = 0; i < sizeof(drop_causes) / sizeof(drop_causes[0]); i++) {
		int r = drop_causes[i].reason;

		v = r < 0 ? (o->bad_records ? *o->bad_records : 0) : o->drops ? o->drops[r] : 0;
		if (r != PA_DROP_COUNT_MAP && r != PA_DROP_NAME_MAP && r != PA_DROP_CGROUP_PENDING)
			lost += v;
		fprintf(f, "pyaudit_dropped_events_total{cause=\"%s\"} %llu\n", drop_causes[i].cause,
			(unsigned long long)v);
	}
	family(f, om, "pyaudit_lost_events_total", "counter",
	       "Events that happened and were not written: ring buffer full, probe preempted, "
	       "record undecodable.");
	fprintf(f, "pyaudit_lost_events_total %llu\n", (unsigned long long)lost);
	family(f, om, "pyaudit_read_errors_total", "counter",
	       "Reads of a traced process's memory that failed (a value shown as unreadable).");
	fprintf(f, "pyaudit_read_errors_total %llu\n",
		(unsigned long long)(o->drops ? o->drops[PA_ERR_READ] : 0));
	if (o->att) {
		struct set_ctx sc = { &procs, &bins, &probes };

		attacher__each_set(o->att, on_set, &sc);
		if (procs.err || bins.err || probes.err)
			err = -ENOMEM;
	}
	family(f, om, "pyaudit_traced_processes", "gauge",
	       "Processes probed one by one (-p, -- COMMAND) since start, by route and coverage.");
	samples(f, "pyaudit_traced_processes", &procs);
	family(f, om, "pyaudit_probed_binaries", "gauge",
	       "Python binaries probed for every process that runs them (system-wide), by route "
	       "and coverage.");
	samples(f, "pyaudit_probed_binaries", &bins);
	family(f, om, "pyaudit_unanalysed_binaries", "gauge",
	       "Executable files that processes ran or mapped and that could not be analysed "
	       "(malformed, too costly, or a CPython whose symbols cannot be found): not traced, "
	       "each said once on stderr.");
	fprintf(f, "pyaudit_unanalysed_binaries %d\n", attacher__unanalysed(o->att));
	family(f, om, "pyaudit_probes_attached", "gauge",
	       "Uprobes and USDT probes attached, by route.");
	samples(f, "pyaudit_probes_attached", &probes);
	family(f, om, "pyaudit_start_time_seconds", "gauge",
	       "When the tool started, in seconds since the epoch.");
	fprintf(f, "pyaudit_start_time_seconds %.6f\n", o->start_time);
	family(f, om, "pyaudit_scrapes_total", "counter", "Metrics requests answered.");
	fprintf(f, "pyaudit_scrapes_total %llu\n", (unsigned long long)++m->scrapes);
	if (om)
		fputs("# EOF\n", f);
	series_free(&events);
	series_free(&procs);
	series_free(&bins);
	series_free(&probes);
	return err;
}

/* ---- HTTP ------------------------------------------------------------------- */

static void conn_close(struct metrics *m, struct conn *c)
{
	epoll_ctl(m->opts.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->state = CONN_FREE;
}

/* Case-insensitive search of needle in the n bytes at hay. */
static const char *find_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (!strncasecmp(hay + i, needle, k))
			return hay + i;
	return NULL;
}

/* Does the Accept header (any line of the headers) ask for OpenMetrics? */
static bool wants_openmetrics(const char *req, size_t n)
{
	const char *p = req;

	while (p < req + n) {
		const char *eol = memchr(p, '\n', req + n - p);
		size_t len = eol ? (size_t)(eol - p) : (size_t)(req + n - p);

		if (len > 7 && !strncasecmp(p, "accept:", 7) &&
		    find_ci(p + 7, len - 7, "application/openmetrics-text"))
			return true;
		if (!eol)
			break;
		p = eol + 1;
	}
	return false;
}

static void respond(struct metrics *m, struct conn *c, int status, const char *reason,
		    const char *type, const char *body, size_t nbody)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);

	if (!f) {
		conn_close(m, c);
		return;
	}
	fprintf(f,
		"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\nCache-Control: no-store\r\n\r\n",
		status, reason, type, nbody);
	fwrite(body, 1, nbody, f);
	if (fclose(f)) {
		free(buf);
		conn_close(m, c);
		return;
	}
	c->out = buf;
	c->nout = sz;
	c->off = 0;
	c->state = CONN_WRITE;
	c->deadline_ms = now_ms() + WRITE_TIMEOUT_MS;
}

static void error_page(struct metrics *m, struct conn *c, int status, const char *reason)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

	respond(m, c, status, reason, "text/plain; charset=utf-8", body, n);
}

/* A whole request head is in c->req: answer it. */
static void handle_request(struct metrics *m, struct conn *c)
{
	const char *sp1, *sp2, *path, *eol = memchr(c->req, '\n', c->nreq);
	size_t plen;

	sp1 = memchr(c->req, ' ', eol - c->req);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', eol - sp1 - 1) : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
		error_page(m, c, 400, "Bad Request");
		return;
	}
	path = sp1 + 1;
	plen = sp2 - path;
	if ((size_t)(sp1 - c->req) != 3 || strncmp(c->req, "GET", 3)) {
		error_page(m, c, 405, "Method Not Allowed");
		return;
	}
	if ((plen == 8 && !strncmp(path, "/metrics", 8)) ||
	    (plen > 8 && !strncmp(path, "/metrics?", 9))) {
		bool om = wants_openmetrics(c->req, c->nreq);
		char *body = NULL;
		size_t sz = 0;
		FILE *f = open_memstream(&body, &sz);
		int err = f ? metrics__write(m, f, om) : -ENOMEM;

		if (f && fclose(f))
			err = -ENOMEM;
		if (err || sz > BODY_MAX) {
			pa_warn("metrics: reading the counts: %s", strerror(err ? -err : EFBIG));
			free(body);
			error_page(m, c, 500, "Internal Server Error");
			return;
		}
		respond(m, c, 200, "OK",
			om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
			   : "text/plain; version=0.0.4; charset=utf-8",
			body, sz);
		free(body);
		return;
	}
	if (plen == 1 && *path == '/') {
		static const char page[] = "pyaudit-trace: metrics at /metrics\n";

		respond(m, c, 200, "OK", "text/plain; charset=utf-8", page, sizeof(page) - 1);
		return;
	}
	error_page(m, c, 404, "Not Found");
}

static void conn_write(struct metrics *m, struct conn *c)
{
	while (c->off < c->nout) {
		ssize_t w = send(c->fd, c->out + c->off, c->nout - c->off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct epoll_event ee = { .events = EPOLLOUT,
						  .data.u64 = METRICS_EPOLL_TAG + 1 + (c - m->conns) };

			epoll_ctl(m->opts.epfd, EPOLL_CTL_MOD, c->fd, &ee);
			return;
		}
		if (w <= 0)
			break;
		c->off += w;
	}
	conn_close(m, c);
}

static void conn_read(struct metrics *m, struct conn *c)
{
	for (;;) {
		ssize_t r;

		if (c->nreq == sizeof(c->req)) {
			error_page(m, c, 431, "Request Header Fields Too Large");
			conn_write(m, c);
			return;
		}
		r = recv(c->fd, c->req + c->nreq, sizeof(c->req) - c->nreq, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			conn_close(m, c);
			return;
		}
		c->nreq += r;
		/* the head ends with an empty line; a body (there should be none) is not read */
		if (find_ci(c->req, c->nreq, "\r\n\r\n") || find_ci(c->req, c->nreq, "\n\n")) {
			handle_request(m, c);
			if (c->state == CONN_WRITE)
				conn_write(m, c);
			return;
		}
	}
}

static void accept_all(struct metrics *m)
{
	for (;;) {
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;
		struct epoll_event ee = { .events = EPOLLIN };

		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			       errno == ENOMEM)) {
			/* the socket stays readable: left out of the loop for a second, not spun on */
			epoll_ctl(m->opts.epfd, EPOLL_CTL_DEL, m->lfd, NULL);
			m->paused_until_ms = now_ms() + 1000;
			pa_warn("metrics: accepting a connection: %s", strerror(errno));
			return;
		}
		if (fd < 0)
			return; /* EAGAIN, or a connection that went away meanwhile */
		for (i = 0; i < MAX_CONNS && m->conns[i].state != CONN_FREE; i++)
			;
		if (i == MAX_CONNS) {
			/*
			 * All taken: the connection that has been silent the longest
			 * (reading, earliest deadline) makes room, so idle clients
			 * cannot keep a scraper out; if all are being answered, the
			 * new one is closed and retried at the next scrape.
			 */
			int old = -1, j;

			for (j = 0; j < MAX_CONNS; j++)
				if (m->conns[j].state == CONN_READ &&
				    (old < 0 || m->conns[j].deadline_ms < m->conns[old].deadline_ms))
					old = j;
			if (old < 0) {
				close(fd);
				continue;
			}
			conn_close(m, &m->conns[old]);
			i = old;
		}
		ee.data.u64 = METRICS_EPOLL_TAG + 1 + i;
		if (epoll_ctl(m->opts.epfd, EPOLL_CTL_ADD, fd, &ee)) {
			close(fd);
			continue;
		}
		m->conns[i].fd = fd;
		m->conns[i].state = CONN_READ;
		m->conns[i].nreq = 0;
		m->conns[i].deadline_ms = now_ms() + READ_TIMEOUT_MS;
	}
}

void metrics__on_epoll(struct metrics *m, uint64_t tag, uint32_t events)
{
	uint64_t i;
	struct conn *c;

	if (!m || tag < METRICS_EPOLL_TAG)
		return;
	if (tag == METRICS_EPOLL_TAG) {
		accept_all(m);
		return;
	}
	i = tag - METRICS_EPOLL_TAG - 1;
	if (i >= MAX_CONNS || m->conns[i].state == CONN_FREE)
		return;
	c = &m->conns[i];
	if (c->state == CONN_READ)
		conn_read(m, c);
	else
		conn_write(m, c);
}

void metrics__tick(struct metrics *m)
{
	uint64_t now;
	int i;

	if (!m)
		return;
	now = now_ms();
	if (m->paused_until_ms && now >= m->paused_until_ms) {
		struct epoll_event ee = { .events = EPOLLIN, .data.u64 = METRICS_EPOLL_TAG };

		if (!epoll_ctl(m->opts.epfd, EPOLL_CTL_ADD, m->lfd, &ee))
			m->paused_until_ms = 0;
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (m->conns[i].state != CONN_FREE && now >= m->conns[i].deadline_ms)
			conn_close(m, &m->conns[i]);
}

struct metrics *metrics__open(const struct metrics_opts *opts, const char **why)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG },
			*res = NULL, *ai;
	char host[256], port[8], hbuf[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct epoll_event ee = { .events = EPOLLIN, .data.u64 = METRICS_EPOLL_TAG };
	struct metrics *m;
	int err = 0, one = 1, gai;

	*why = "bad address (expected ADDR:PORT, [IPv6]:PORT)";
	if (split_addr(opts->addr, host, sizeof(host), port, sizeof(port))) {
		errno = EINVAL;
		return NULL;
	}
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		*why = gai_strerror(gai);
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		freeaddrinfo(res);
		*why = "out of memory";
		return NULL;
	}
	m->opts = *opts;
	m->lfd = -1;
	for (ai = res; ai; ai = ai->ai_next) {
		m->lfd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (m->lfd < 0) {
			err = errno;
			*why = "socket";
			continue;
		}
		setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(m->lfd, ai->ai_addr, ai->ai_addrlen) && !listen(m->lfd, 16))
			break;
		err = errno;
		*why = "bind";
		close(m->lfd);
		m->lfd = -1;
	}
	freeaddrinfo(res);
	if (m->lfd < 0)
		goto fail;
	if (epoll_ctl(opts->epfd, EPOLL_CTL_ADD, m->lfd, &ee)) {
		err = errno;
		*why = "epoll";
		goto fail;
	}
	if (getsockname(m->lfd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, hbuf, sizeof(hbuf));
			snprintf(m->address, sizeof(m->address), "[%s]:%u", hbuf, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, hbuf, sizeof(hbuf));
			snprintf(m->address, sizeof(m->address), "%s:%u", hbuf, ntohs(s4->sin_port));
		}
	}
	*why = NULL;
	return m;
fail:
	if (m->lfd >= 0)
		close(m->lfd);
	free(m);
	errno = err ? err : EINVAL;
	return NULL;
}

const char *metrics__address(const struct metrics *m)
{
	return m->address;
}

void metrics__close(struct metrics *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < MAX_CONNS; i++)
		if (m->conns[i].state != CONN_FREE)
			conn_close(m, &m->conns[i]);
	if (m->lfd >= 0) {
		epoll_ctl(m->opts.epfd, EPOLL_CTL_DEL, m->lfd, NULL);
		close(m->lfd);
	}
	free(m);
}
