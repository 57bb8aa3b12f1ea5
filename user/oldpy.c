// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * oldpy.c - a CPython before 3.8 (see oldpy.h): said as such instead of "not Python".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "elf.h"
#include "oldpy.h"

/* "M.m.p" (each 1-3 digits) then at most 8 characters of [a-z0-9+], e.g. "2.7.18", "3.7.0rc1" */
static int parse_py_version(const char *s, size_t n, unsigned *major, unsigned *minor)
{
	unsigned v[3] = { 0 }, i = 0, k;
	size_t j = 0;

	for (k = 0; k < 3; k++) {
		unsigned digits = 0;

		while (j < n && s[j] >= '0' && s[j] <= '9' && digits < 4) {
			v[k] = v[k] * 10 + (unsigned)(s[j++] - '0');
			digits++;
		}
		if (!digits || digits > 3)
			return -1;
		if (k < 2 && (j >= n || s[j++] != '.'))
			return -1;
	}
	for (i = 0; j < n; j++, i++)
		if (i >= 8 || !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9') ||
				s[j] == '+'))
			return -1;
	*major = v[0];
	*minor = v[1];
	return 0;
}

/* The version string at vaddr, if it is one: 0 and *major, *minor, the string in buf */
static int version_at(const struct elf_file *ef, uint64_t vaddr, char *buf, size_t blen,
		      unsigned *major, unsigned *minor)
{
	struct elf_section sec;
	const char *p, *e;
	size_t left;

	if (elf_file__section_of(ef, vaddr, &sec) || !sec.data || sec.type != SHT_PROGBITS ||
	    (sec.flags & SHF_WRITE) || vaddr - sec.addr >= sec.size)
		return -1;
	p = (const char *)sec.data + (vaddr - sec.addr);
	left = sec.size - (vaddr - sec.addr);
	e = memchr(p, 0, left < blen ? left : blen);
	if (!e || parse_py_version(p, (size_t)(e - p), major, minor))
		return -1;
	memcpy(buf, p, (size_t)(e - p) + 1);
	return 0;
}

/*
 * Py_GetVersion() formats PY_VERSION: the first constant it loads that reads as a
 * version (lea reg, [rip+disp32]; in a non-PIE executable also mov reg, imm32).  Not an
 * instruction decoder: a candidate counts only if it points at such a string.
 */
int oldpy_version(int fd, char *ver, size_t len)
{
	struct elf_file *ef = NULL;
	struct elf_sym sym;
	const uint8_t *code;
	unsigned major, minor;
	char buf[24];
	size_t i;
	int err;

	err = elf_file__open_fd(fd, &ef);
	if (err)
		return err;
	err = -ENOENT;
	if (!elf_file__find_symbol(ef, "PySys_Audit", ELF_SYM_DYNSYM, &sym) ||
	    elf_file__find_symbol(ef, "Py_Initialize", ELF_SYM_DYNSYM, &sym) ||
	    sym.type != STT_FUNC ||
	    elf_file__find_symbol(ef, "Py_GetVersion", ELF_SYM_DYNSYM, &sym) ||
	    sym.type != STT_FUNC)
		goto out;
	err = 0;
	snprintf(ver, len, "before 3.8");
	if (sym.size < 8 || sym.size > 4096 || !(code = elf_file__ptr(ef, sym.value, sym.size)))
		goto out;
	for (i = 0; i + 5 <= sym.size; i++) {
		uint64_t at, next;
		int32_t disp;

		if (i + 7 <= sym.size && (code[i] == 0x48 || code[i] == 0x4c) && code[i + 1] == 0x8d &&
		    (code[i + 2] & 0xc7) == 0x05) {
			memcpy(&disp, code + i + 3, 4);
			next = sym.value + i + 7;
			at = next + (int64_t)disp;
		} else if (elf_file__type(ef) == ET_EXEC && code[i] >= 0xb8 && code[i] <= 0xbf) {
			uint32_t imm;

			memcpy(&imm, code + i + 1, 4);
			at = imm;
		} else {
			continue;
		}
		if (elf_file__charge(ef, 8))
			goto out;
		if (!version_at(ef, at, buf, sizeof(buf), &major, &minor) &&
		    (major == 2 || (major == 3 && minor < 8))) {
			snprintf(ver, len, "%s", buf);
			goto out;
		}
	}
out:
	elf_file__close(ef);
	return err;
}

int oldpy_path(const char *path, char *ver, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), err;

	if (fd < 0)
		return -errno;
	err = oldpy_version(fd, ver, len);
	close(fd);
	return err;
}
