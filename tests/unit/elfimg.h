/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elfimg.h - a binary loaded into memory for the tests that change its bytes
 * (test_hostile.c, test_dynview.c): load, copy, read and write fields, hand
 * it to the analysis through a memfd, find a section by name, and the time
 * bound one analysis must keep.
 */
#ifndef PA_ELFIMG_H
#define PA_ELFIMG_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW 8 /* ASan/UBSan build (clang) */
#endif
#endif
#if !defined(SLOW) && defined(__SANITIZE_ADDRESS__)
#define SLOW 8 /* ASan/UBSan build (gcc) */
#endif
#ifndef SLOW
#define SLOW 1
#endif
/* Seconds of CPU one analysis may take: the work budget ends any of them in about one. */
#define BOUND (3.0 * SLOW)

struct img {
	uint8_t *d;
	size_t n;
	const char *path;
};

/* The file at path, with extra bytes of room after it for what a test appends. */
static inline bool img_load(const char *path, size_t extra, struct img *im)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(im, 0, sizeof(*im));
	if (fd < 0 || fstat(fd, &st) || st.st_size < 64) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	im->d = malloc(st.st_size + extra);
	if (!im->d || pread(fd, im->d, st.st_size, 0) != st.st_size) {
		close(fd);
		free(im->d);
		return false;
	}
	close(fd);
	im->n = st.st_size;
	im->path = path;
	return true;
}

static inline struct img img_copy(const struct img *im, size_t extra)
{
	struct img c = *im;

	c.d = malloc(im->n + extra);
	if (!c.d)
		abort();
	memcpy(c.d, im->d, im->n);
	return c;
}

static inline uint64_t rd(const struct img *im, uint64_t at, unsigned w)
{
	uint64_t v = 0;

	memcpy(&v, im->d + at, w);
	return v;
}

static inline void wr(struct img *im, uint64_t at, unsigned w, uint64_t v)
{
	memcpy(im->d + at, &v, w);
}

/* The image as a file (a memfd named name), as the analysis reads one. */
static inline int img_memfd(const struct img *im, const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		abort();
	while (off < im->n) {
		ssize_t w = write(fd, im->d + off, im->n - off);

		if (w <= 0)
			abort();
		off += w;
	}
	return fd;
}

static inline double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * CPU time: what the analysis costs, whatever else the machine is doing (the
 * tests run next to others on loaded machines).
 */
static inline double cpu_now(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

#define SH(im, i) (rd((im), 0x28, 8) + (uint64_t)(i) * 64)
#define SHNUM(im) ((unsigned)rd((im), 0x3c, 2))

/* Index of the section called name, or 0. */
static inline unsigned sec_named(const struct img *im, const char *name)
{
	uint64_t str = rd(im, SH(im, rd(im, 0x3e, 2)) + 0x18, 8);
	unsigned i;

	for (i = 1; i < SHNUM(im); i++)
		if (strcmp((const char *)im->d + str + rd(im, SH(im, i), 4), name) == 0)
			return i;
	return 0;
}

#endif /* PA_ELFIMG_H */
