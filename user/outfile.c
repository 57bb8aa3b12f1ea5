// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * outfile.c - the output file: whole lines, O_APPEND, reopen and rotation
 * between lines, and the first write error kept (see outfile.h).
 *
 * The renderers write into a stdio stream made with fopencookie(): stdio
 * hands its buffer to cookie_write() whenever it fills, mid-line or not; the
 * bytes are kept in pend[] and only the part up to the last newline goes to
 * write(2).  At every outfile__commit() (the tracer calls it after each batch
 * of events) the stream is flushed, so everything written is complete lines
 * and leaves at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"
#include "outfile.h"

#define STREAM_BUF (64 * 1024)	 /* stdio's buffer */
#define PEND_FLUSH (256 * 1024)	 /* write out complete lines once this much is kept */
#define OPEN_FLAGS (O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY)

struct outfile {
	struct outfile_opts opts;
	char *path;		/* NULL: standard output */
	int fd;
	FILE *stream;
	char *pend;		/* bytes from the stream not written yet */
	size_t npend, cap;
	uint64_t size;		/* bytes in the file as far as we know (for --rotate) */
	int err;		/* first write error */
	unsigned rotations;
};

static int open_path(const char *path, bool trunc)
{
	return open(path, OPEN_FLAGS | (trunc ? O_TRUNC : 0), 0600);
}

static uint64_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* write(2) all of it; 0 or -errno.  A non-blocking descriptor (inherited) is waited for. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && poll(&pfd, 1, -1) >= 0)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= w;
	}
	return 0;
}

static char *suffixed(const char *path, unsigned i)
{
	char *s;

	if (i == 0)
		return strdup(path);
	return asprintf(&s, "%s.%u", path, i) < 0 ? NULL : s;
}

/* FILE -> FILE.1 -> ... -> FILE.COUNT (the oldest is overwritten), then a new FILE. */
static int rotate(struct outfile *f)
{
	unsigned i;
	int fd;

	for (i = f->opts.rotate_count; i > 0; i--) {
		char *from = suffixed(f->path, i - 1), *to = suffixed(f->path, i);
		int r = from && to ? rename(from, to) : -1;
		int e = errno;

		free(from);
		free(to);
		if (r && e != ENOENT)
			return -e;
	}
	fd = open_path(f->path, true);
	if (fd < 0)
		return -errno;
	close(f->fd);
	f->fd = fd;
	f->size = 0;
	f->rotations++;
	return 0;
}

/* Writes the complete lines of pend[] (all of it if all is set), rotating between lines. */
static int write_lines(struct outfile *f, bool all)
{
	size_t n = f->npend, off = 0;
	int err = 0;

	if (f->err) {
		f->npend = 0;
		return -f->err;
	}
	if (!all) {
		const char *nl = n ? memrchr(f->pend, '\n', n) : NULL;

		n = nl ? (size_t)(nl - f->pend) + 1 : 0;
	}
	while (off < n && !err) {
		size_t chunk = n - off;

		if (f->path && f->opts.rotate_size) {
			uint64_t room;
			const char *nl;

			if (f->size + chunk > f->opts.rotate_size)
				f->size = file_size(f->fd); /* copytruncate may have emptied it */
			room = f->size < f->opts.rotate_size ? f->opts.rotate_size - f->size : 0;
			if (chunk > room) {
				/* the whole lines that fit; none: rotate, or one line alone */
				nl = room ? memrchr(f->pend + off, '\n', room) : NULL;
				if (nl) {
					chunk = (size_t)(nl - (f->pend + off)) + 1;
				} else if (f->size > 0) {
					err = rotate(f);
					continue;
				} else {
					nl = memchr(f->pend + off, '\n', chunk);
					if (nl)
						chunk = (size_t)(nl - (f->pend + off)) + 1;
				}
			}
		}
		err = write_all(f->fd, f->pend + off, chunk);
		if (!err) {
			off += chunk;
			f->size += chunk;
		}
	}
	if (err) {
		f->err = -err;
		f->npend = 0;
		return err;
	}
	if (off && off < f->npend)
		memmove(f->pend, f->pend + off, f->npend - off);
	f->npend -= off;
	return 0;
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	struct outfile *f = c;

	if (f->err)
		return size; /* discarded: the caller ends on the error */
	if (f->npend + size > f->cap) {
		size_t cap = f->cap ? f->cap : PEND_FLUSH;
		char *p;

		while (cap < f->npend + size)
			cap *= 2;
		p = realloc(f->pend, cap);
		if (!p) {
			f->err = ENOMEM;
			return size;
		}
		f->pend = p;
		f->cap = cap;
	}
	memcpy(f->pend + f->npend, buf, size);
	f->npend += size;
	if (f->npend >= PEND_FLUSH)
		write_lines(f, false);
	return size;
}

struct outfile *outfile__open(const struct outfile_opts *opts)
{
	cookie_io_functions_t io = { .write = cookie_write };
	struct outfile *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return NULL;
	f->opts = *opts;
	f->fd = -1;
	if (opts->path && strcmp(opts->path, "-")) {
		f->path = strdup(opts->path);
		if (!f->path)
			goto fail;
		f->fd = open_path(f->path, !opts->append);
		if (f->fd < 0)
			goto fail;
	} else {
		int fl = fcntl(STDOUT_FILENO, F_GETFL);
		struct stat st;

		f->fd = STDOUT_FILENO;
		/* `> FILE` from a shell: append too, for the same copytruncate reason */
		if (fl >= 0 && !(fl & O_APPEND) && fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode))
			fcntl(f->fd, F_SETFL, fl | O_APPEND);
	}
	if (f->path && opts->rotate_size) {
		struct stat st;

		/* renaming /dev/null or a FIFO away is not a rotation */
		if (fstat(f->fd, &st) || !S_ISREG(st.st_mode)) {
			errno = EFTYPE_ROTATE;
			goto fail;
		}
	}
	f->size = file_size(f->fd);
	f->stream = fopencookie(f, "w", io);
	if (!f->stream)
		goto fail;
	setvbuf(f->stream, NULL, _IOFBF, STREAM_BUF);
	return f;
fail:
	err = errno;
	if (f->fd > STDOUT_FILENO)
		close(f->fd);
	free(f->path);
	free(f);
	errno = err;
	return NULL;
}

FILE *outfile__stream(struct outfile *f)
{
	return f->stream;
}

const char *outfile__name(const struct outfile *f)
{
	return f->path ? f->path : "standard output";
}

int outfile__commit(struct outfile *f)
{
	fflush(f->stream);
	return write_lines(f, false);
}

int outfile__reopen(struct outfile *f)
{
	int fd, err = outfile__commit(f);

	if (err || !f->path)
		return err;
	fd = open_path(f->path, false);
	if (fd < 0)
		return -errno;
	close(f->fd);
	f->fd = fd;
	f->size = file_size(fd);
	return 0;
}

int outfile__error(const struct outfile *f)
{
	return f->err;
}

unsigned outfile__rotations(const struct outfile *f)
{
	return f->rotations;
}

void outfile__close(struct outfile *f)
{
	if (!f)
		return;
	if (f->stream) {
		fflush(f->stream);
		write_lines(f, true);
		fclose(f->stream);
	}
	if (f->fd > STDOUT_FILENO)
		close(f->fd);
	free(f->pend);
	free(f->path);
	free(f);
}

int outfile_parse_rotate(const char *arg, uint64_t *size, unsigned *count)
{
	unsigned long long v, c = 5;
	char *end, *comma;
	int shift = 0;

	if (!arg || *arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end != '\0' && *end != ',')
		return -EINVAL;
	comma = *end == ',' ? end + 1 : NULL;
	if (v > (1ull << 50) >> shift)
		return -EINVAL;
	v <<= shift;
	if (v < 4096)
		return -EINVAL;
	if (comma && parse_uint(comma, 1, 1000, &c))
		return -EINVAL;
	*size = v;
	*count = c;
	return 0;
}
