// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_elf.c - root-free tests of user/elf.c and the analysis of a Python
 * binary (user/pybin.c, pyversion.c, probepoints.c): vaddr -> file offset
 * math, the USDT argument parser, version strings, the layout table, and
 * pybin__open() on whatever Python binaries this machine has
 * (each such test is skipped when its file is absent).  Exact addresses are
 * only asserted for the builds they were read from (objdump/readelf), which
 * are recognised by PySys_Audit's address and Py_Version.
 *
 * Usage: test_elf            run the tests; exit status 1 if any failed
 *        test_elf FILE...    print pybin__dump() of each FILE (like --list)
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf.h"
#include "oldpy.h"
#include "probepoints.h"
#include "pybin.h"
#include "pyversion.h"

static int nfail;

static bool expect_u64(const char *test, const char *what, uint64_t actual, uint64_t expected)
{
	if (actual == expected)
		return true;
	printf("test:FAIL:%s %s: actual 0x%llx != expected 0x%llx\n", test, what,
	       (unsigned long long)actual, (unsigned long long)expected);
	return false;
}

static bool expect_str(const char *test, const char *what, const char *actual,
		       const char *expected)
{
	if (strcmp(actual, expected) == 0)
		return true;
	printf("test:FAIL:%s %s: actual '%s' != expected '%s'\n", test, what, actual, expected);
	return false;
}

#define EQ(what, a, e)                                          \
	do {                                                    \
		if (!expect_u64(name, (what), (uint64_t)(a), (uint64_t)(e))) \
			goto out;                               \
	} while (0)
#define STREQ(what, a, e)                                       \
	do {                                                    \
		if (!expect_str(name, (what), (a), (e)))        \
			goto out;                               \
	} while (0)

static void report(const char *name, bool ok)
{
	if (ok) {
		printf("test:OK:%s\n", name);
	} else {
		nfail++;
	}
}

static bool skip(const char *name, const char *path)
{
	if (access(path, R_OK) == 0)
		return false;
	printf("test:SKIP:%s (no %s)\n", name, path);
	return true;
}

static const struct py_probe_point *find_point(const struct pybin *b, unsigned kind,
					       uint64_t lo, uint64_t hi)
{
	int i;

	for (i = 0; i < b->nuprobe; i++)
		if (b->uprobe[i].kind == kind && b->uprobe[i].vaddr >= lo && b->uprobe[i].vaddr < hi)
			return &b->uprobe[i];
	return NULL;
}

/* The bytes at a probe's file offset are the bytes the ELF maps at its vaddr. */
static bool offset_matches(const char *path, struct elf_file *ef, const struct py_probe_point *p)
{
	unsigned char a[8], b[8];
	int fd = open(path, O_RDONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, a, sizeof(a), (off_t)p->offset) == sizeof(a) &&
	     elf_file__read(ef, p->vaddr, b, sizeof(b)) == 0 && memcmp(a, b, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void test_vaddr_to_offset(void)
{
	const char *name = "vaddr_to_offset";
	/* Shaped like pyenv's libpython3.11: the RW segment's vaddr is 0x1000 above its offset. */
	const struct elf_segment segs[] = {
		{ .vaddr = 0x0, .offset = 0x0, .filesz = 0xf4188, .memsz = 0xf4188, .flags = PF_R },
		{ .vaddr = 0xf5000, .offset = 0xf5000, .filesz = 0x23b6d9, .memsz = 0x23b6d9,
		  .flags = PF_R | PF_X },
		{ .vaddr = 0x415ed0, .offset = 0x414ed0, .filesz = 0x161190, .memsz = 0x1a3a68,
		  .flags = PF_R | PF_W },
	};
	uint64_t off = 0;
	bool ok = false;

	EQ("text", elf_segments_vaddr_to_offset(segs, 3, 0x2a6249, 0, &off), 0);
	EQ("text offset", off, 0x2a6249);
	EQ("data", elf_segments_vaddr_to_offset(segs, 3, 0x466208, 0, &off), 0);
	EQ("data offset", off, 0x465208);
	EQ("first byte", elf_segments_vaddr_to_offset(segs, 3, 0x415ed0, 0, &off), 0);
	EQ("first byte offset", off, 0x414ed0);
	EQ("last file byte", elf_segments_vaddr_to_offset(segs, 3, 0x415ed0 + 0x161190 - 1, 0, &off),
	   0);
	EQ("bss, file only", elf_segments_vaddr_to_offset(segs, 3, 0x415ed0 + 0x161190, 0, &off),
	   -ENOENT);
	EQ("bss, in memory", elf_segments_vaddr_to_offset(segs, 3, 0x415ed0 + 0x161190, 1, &off), 0);
	EQ("bss offset", off, 0x414ed0 + 0x161190);
	EQ("gap between segments", elf_segments_vaddr_to_offset(segs, 3, 0xf4200, 1, &off), -ENOENT);
	EQ("past the end", elf_segments_vaddr_to_offset(segs, 3, 0x600000, 1, &off), -ENOENT);
	ok = true;
out:
	report(name, ok);
}

static void test_usdt_args(void)
{
	const char *name = "usdt_args";
	unsigned r0 = 99, r1 = 99;
	bool ok = false;

	EQ("rbx r15", probepoints_usdt_regs("8@%rbx 8@%r15", &r0, &r1), 0);
	EQ("reg0", r0, PA_REG_RBX);
	EQ("reg1", r1, PA_REG_R15);
	EQ("blanks", probepoints_usdt_regs(" 8@%r12  8@%rax ", &r0, &r1), 0);
	EQ("reg0 r12", r0, PA_REG_R12);
	EQ("reg1 rax", r1, PA_REG_RAX);
	EQ("r8 rdi", probepoints_usdt_regs("8@%r8 8@%rdi", &r0, &r1), 0);
	EQ("reg0 r8", r0, PA_REG_R8);
	EQ("reg1 rdi", r1, PA_REG_RDI);
	EQ("signed", probepoints_usdt_regs("-8@%rbx 8@%r15", &r0, &r1), -EINVAL);
	EQ("memory", probepoints_usdt_regs("8@-16(%rbp) 8@%r12", &r0, &r1), -EINVAL);
	EQ("4 bytes", probepoints_usdt_regs("4@%eax 8@%rbx", &r0, &r1), -EINVAL);
	EQ("rsp", probepoints_usdt_regs("8@%rsp 8@%rbx", &r0, &r1), -EINVAL);
	EQ("constant", probepoints_usdt_regs("8@$0 8@%rbx", &r0, &r1), -EINVAL);
	EQ("one arg", probepoints_usdt_regs("8@%rbx", &r0, &r1), -EINVAL);
	EQ("three args", probepoints_usdt_regs("8@%rbx 8@%r15 8@%rax", &r0, &r1), -EINVAL);
	EQ("unknown reg", probepoints_usdt_regs("8@%r1 8@%rbx", &r0, &r1), -EINVAL);
	EQ("longer name", probepoints_usdt_regs("8@%rbxx 8@%rbx", &r0, &r1), -EINVAL);
	EQ("empty", probepoints_usdt_regs("", &r0, &r1), -EINVAL);
	ok = true;
out:
	report(name, ok);
}

static void test_version_parse(void)
{
	const char *name = "version_parse";
	unsigned hex = 0;
	bool ok = false;

	EQ("3.11.2", pyversion_parse("3.11.2", &hex), 0);
	EQ("3.11.2 hex", hex, 0x030b02f0);
	EQ("3.9.18", pyversion_parse("3.9.18", &hex), 0);
	EQ("3.9.18 hex", hex, 0x030912f0);
	EQ("3.13.0rc2", pyversion_parse("3.13.0rc2", &hex), 0);
	EQ("3.13.0rc2 hex", hex, 0x030d00c2);
	EQ("3.15.0a3", pyversion_parse("3.15.0a3", &hex), 0);
	EQ("3.15.0a3 hex", hex, 0x030f00a3);
	EQ("3.12.6+", pyversion_parse("3.12.6+", &hex), 0);
	EQ("3.12.6+ hex", hex, 0x030c06f0);
	EQ("2.7.18", pyversion_parse("2.7.18", &hex), -EINVAL);
	EQ("3.x", pyversion_parse("3.x", &hex), -EINVAL);
	EQ("trailing text", pyversion_parse("3.11.2 (main", &hex), -EINVAL);
	EQ("bad level", pyversion_parse("3.11.2c1", &hex), -EINVAL);
	ok = true;
out:
	report(name, ok);
}

static void test_layout_table(void)
{
	const char *name = "layout_table";
	struct pa_layout l;
	bool ok = false;

	EQ("3.11", pyversion_layout(0x030b02f0, 0, &l), 0);
	EQ("3.11 valid", l.flags & ~PA_LAYOUT_SITE_BITS, PA_LAYOUT_VALID);
	EQ("3.11 site", l.flags & PA_LAYOUT_SITE_BITS,
	   PA_LAYOUT_SITE | PA_LAYOUT_CFRAME | PA_LAYOUT_IFRAME);
	EQ("3.11 frame", l.ts_frame, 56);
	EQ("3.11 code filename", l.co_filename, 112);
	EQ("3.11 ob_type", l.ob_type, 8);
	EQ("3.11 tp_flags", l.tp_flags, 168);
	EQ("3.11 tuple", l.tuple_items, 24);
	EQ("3.11 ascii data", l.str_ascii_data, 48);
	EQ("3.11 compact data", l.str_compact_data, 72);
	EQ("3.11 kind shift", l.str_kind_shift, 2);
	EQ("3.11 long size", l.long_size, 16);

	EQ("3.12", pyversion_layout(0x030c01f0, 0, &l), 0);
	EQ("3.12 flags", l.flags & ~PA_LAYOUT_SITE_BITS, PA_LAYOUT_VALID | PA_LAYOUT_LV_TAG);
	EQ("3.12 tuple", l.tuple_items, 24);
	EQ("3.12 ascii data", l.str_ascii_data, 40);
	EQ("3.12 compact data", l.str_compact_data, 56);
	EQ("3.12 any data", l.str_any_data, 56);
	EQ("3.12 digits", l.long_digits, 24);

	EQ("3.14", pyversion_layout(0x030e0af0, 0, &l), 0);
	EQ("3.14 tuple", l.tuple_items, 32);
	EQ("3.8", pyversion_layout(0x030812f0, 0, &l), 0);
	EQ("3.8 bytes", l.bytes_data, 32);
	EQ("3.8 bytearray", l.bytearray_data, 40);
	EQ("3.8 dict_used", l.dict_used, 16);

	EQ("3.7", pyversion_layout(0x030710f0, 0, &l), -ENOTSUP);
	EQ("3.7 flags", l.flags, 0);
	EQ("3.16", pyversion_layout(0x031000a1, 0, &l), -ENOTSUP);
	EQ("3.13t", pyversion_layout(0x030d05f0, 1, &l), -ENOTSUP);
	EQ("3.13t flags", l.flags, 0);
	EQ("unknown", pyversion_layout(0, 0, &l), -ENOTSUP);
	ok = true;
out:
	report(name, ok);
}

static void test_not_python(void)
{
	const char *name = "not_python";
	struct pybin *b = NULL;
	bool ok = false;

	if (skip(name, "/bin/ls"))
		return;
	EQ("/bin/ls", pybin__open("/bin/ls", &b), -ENOENT);
	EQ("/bin/ls out", (uintptr_t)b, 0);
	if (access("/etc/passwd", R_OK) == 0)
		EQ("/etc/passwd", pybin__open("/etc/passwd", &b), -ENOEXEC);
	EQ("directory", pybin__open("/", &b), -EISDIR);
	ok = true;
out:
	report(name, ok);
}

/* A Python cut in half, read through /proc/self/fd (as /proc/PID/map_files would be). */
static void test_truncated(void)
{
	const char *name = "truncated";
	const char *src = "/usr/bin/python3.11";
	char path[64], buf[65536];
	struct pybin *b = NULL;
	bool ok = false;
	off_t left;
	int in, fd;

	if (skip(name, src))
		return;
	fd = memfd_create("pyaudit-test", MFD_CLOEXEC);
	in = open(src, O_RDONLY);
	if (fd < 0 || in < 0) {
		printf("test:SKIP:%s (memfd: %s)\n", name, strerror(errno));
		goto close;
	}
	for (left = lseek(in, 0, SEEK_END) / 2, lseek(in, 0, SEEK_SET); left > 0;) {
		ssize_t n = read(in, buf, left < (off_t)sizeof(buf) ? left : (off_t)sizeof(buf));

		if (n <= 0 || write(fd, buf, n) != n)
			break;
		left -= n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* its symbols are in the half cut off, its code is not: not analysable, not "no Python" */
	EQ("half a python", pybin__open(path, &b), -ENODATA);
	ok = true;
out:
	report(name, ok);
close:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
}

/* Debian 3.11.2 (python3.11-minimal 3.11.2-6+deb12u6): static, stripped, non-PIE, dtrace. */
static void test_debian_exe(void)
{
	const char *name = "debian_python3.11";
	const char *path = "/usr/bin/python3.11";
	const struct py_probe_point *p;
	struct elf_file *ef = NULL;
	struct pybin *b = NULL;
	struct elf_sym pysys;
	struct elf_func_range fn;
	bool ok = false, known;

	if (skip(name, path))
		return;
	EQ("open", pybin__open(path, &b), 0);
	EQ("elf open", elf_file__open(path, &ef), 0);
	EQ("PySys_Audit", elf_file__find_symbol(ef, "PySys_Audit", ELF_SYM_DYNSYM, &pysys), 0);
	EQ("major.minor", b->version_hex >> 16, 0x030b);
	EQ("shared", b->shared, 0);
	EQ("pie", b->pie, 0);
	EQ("stripped", b->stripped, 1);
	EQ("layout", b->layout.flags & ~PA_LAYOUT_SITE_BITS, PA_LAYOUT_VALID);
	EQ("layout tuple", b->layout.tuple_items, 24);
	EQ("usdt notes", b->nusdt, 1);
	EQ("usdt total", b->usdt_total, 1);
	EQ("usdt kind", b->usdt[0].kind, PA_PROBE_USDT);
	EQ("usdt reg0", b->usdt[0].reg0, PA_REG_RBX);
	EQ("usdt reg1", b->usdt[0].reg1, PA_REG_R15);
	EQ("usdt offset", offset_matches(path, ef, &b->usdt[0]), 1);
	EQ("usdt sema", b->usdt[0].ref_ctr_offset != 0, 1);
	/* The va_list call inside PySys_Audit, and the builtin's entry. */
	p = find_point(b, PA_PROBE_VALIST, pysys.value, pysys.value + pysys.size);
	EQ("call in PySys_Audit", p != NULL, 1);
	EQ("call offset", offset_matches(path, ef, p), 1);
	STREQ("call what", p->what, "call sys_audit_tstate in PySys_Audit");
	EQ("sys.audit", find_point(b, PA_PROBE_SYSAUDIT, 0, ~0ull) != NULL, 1);
	EQ("complete", b->uprobe_complete, 1);

	known = pysys.value == 0x51fd10 && b->version_hex == 0x030b02f0;
	if (known) {
		/* Addresses read with objdump -d and readelf -n from this build. */
		STREQ("version", b->version, "3.11.2");
		STREQ("build", b->build, "static exe, stripped, usdt");
		EQ("usdt vaddr", b->usdt[0].vaddr, 0x42512a);
		EQ("usdt file offset", b->usdt[0].offset, 0x2512a);
		EQ("semaphore file offset", b->usdt[0].ref_ctr_offset, 0xa84276 - 0x945dc8 + 0x544dc8);
		EQ("site PySys_Audit+0x8f", p->vaddr, 0x51fd9f);
		EQ("site file offset", p->offset, 0x11fd9f);
		EQ("site in _PySys_Audit", find_point(b, PA_PROBE_VALIST, 0x4f804a, 0x4f804b) != NULL,
		   1);
		EQ("sys_audit", find_point(b, PA_PROBE_SYSAUDIT, 0x5fd800, 0x5fd801) != NULL, 1);
		EQ("points", b->nuprobe, 3);
		/* Stripped: _PySys_Audit's bounds come from .eh_frame. */
		EQ("fde", elf_file__func_containing(ef, 0x4f804a, &fn), 0);
		EQ("fde start", fn.start, 0x4f7fd0);
	} else {
		printf("test:SKIP:%s exact addresses (not the 3.11.2-6+deb12u6 build)\n", name);
	}
	ok = true;
out:
	report(name, ok);
	pybin__free(b);
	elf_file__close(ef);
}

/* pyenv 3.11.7 --enable-shared: unstripped, no dtrace. */
static void test_pyenv_lib(void)
{
	const char *name = "pyenv_libpython3.11";
	const char *path = "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0";
	const struct py_probe_point *p;
	struct elf_file *ef = NULL;
	struct pybin *b = NULL;
	struct elf_sym sym;
	uint64_t v;
	bool ok = false;

	if (skip(name, path))
		return;
	EQ("open", pybin__open(path, &b), 0);
	EQ("elf open", elf_file__open(path, &ef), 0);
	EQ("version", b->version_hex, 0x030b07f0);
	STREQ("version string", b->version, "3.11.7");
	STREQ("build", b->build, "shared lib, symbols");
	EQ("no usdt", b->nusdt + b->usdt_total, 0);
	EQ("layout", b->layout.flags & ~PA_LAYOUT_SITE_BITS, PA_LAYOUT_VALID);
	EQ("PySys_Audit", elf_file__find_symbol(ef, "PySys_Audit", ELF_SYM_DYNSYM, &sym), 0);
	EQ("PySys_Audit addr", sym.value, 0x2a61b0);
	p = find_point(b, PA_PROBE_VALIST, sym.value, sym.value + sym.size);
	EQ("call in PySys_Audit", p != NULL, 1);
	EQ("call vaddr", p->vaddr, 0x2a6249);
	EQ("call offset", p->offset, 0x2a6249);
	EQ("call offset bytes", offset_matches(path, ef, p), 1);
	EQ("_PySys_Audit symtab", elf_file__find_symbol(ef, "_PySys_Audit", ELF_SYM_SYMTAB, &sym), 0);
	EQ("_PySys_Audit not exported",
	   elf_file__find_symbol(ef, "_PySys_Audit", ELF_SYM_DYNSYM, &sym), -ENOENT);
	elf_file__find_symbol(ef, "_PySys_Audit", ELF_SYM_SYMTAB, &sym);
	p = find_point(b, PA_PROBE_VALIST, sym.value, sym.value + sym.size);
	EQ("call in _PySys_Audit", p != NULL, 1);
	STREQ("call what", p->what, "call sys_audit_tstate in _PySys_Audit");
	p = find_point(b, PA_PROBE_SYSAUDIT, 0, ~0ull);
	EQ("sys.audit", p != NULL, 1);
	EQ("sys.audit vaddr", p->vaddr, 0x2a5da0);
	STREQ("sys.audit what", p->what, "sys.audit builtin (sys_audit)");
	EQ("points", b->nuprobe, 3);
	EQ("complete", b->uprobe_complete, 1);
	/* The sys_methods "audit" entry: RELATIVE relocations (internals doc 7.3). */
	EQ("reloc ml_meth", elf_file__relative_addend(ef, 0x466208, &v), 0);
	EQ("reloc ml_meth value", v, 0x2a5da0);
	EQ("reloc ml_name", elf_file__read_ptr(ef, 0x466200, &v), 0);
	EQ("reloc ml_name value", v, 0x38fe87);
	EQ("no reloc", elf_file__relative_addend(ef, 0x466210, &v), -ENOENT);
	ok = true;
out:
	report(name, ok);
	pybin__free(b);
	elf_file__close(ef);
}

/* Every pyenv libpython: 3.8+ is a Python with complete uprobe coverage, older ones are not. */
static void test_pyenv_all(void)
{
	const char *name = "pyenv_all";
	glob_t g;
	size_t i;
	bool ok = false;

	if (glob("/root/.pyenv/versions/*/lib/libpython*.so.1.0", 0, NULL, &g) != 0) {
		printf("test:SKIP:%s (no pyenv)\n", name);
		return;
	}
	{
		char ver[32];

		EQ("/bin/ls: no Python", oldpy_path("/bin/ls", ver, sizeof(ver)), -ENOENT);
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i], *v = strstr(path, "libpython3.");
		struct pybin *b = NULL;
		int minor = v ? atoi(v + 11) : 0, err;

		char ver[32], want[32] = "";

		err = pybin__open(path, &b);
		/* the version said of a Python before 3.8: its directory's name (3.7.16) */
		if (!strncmp(path, "/root/.pyenv/versions/", 22))
			sscanf(path + 22, "%31[^/]", want);
		if (minor < 8) {
			EQ(path, err, -ENOENT);
			EQ(path, oldpy_path(path, ver, sizeof(ver)), 0);
			EQ(path, strcmp(ver, want), 0);
			continue;
		}
		EQ(path, oldpy_path(path, ver, sizeof(ver)), -ENOENT);
		EQ(path, err, 0);
		EQ(path, (b->version_hex >> 16) & 0xff, (unsigned)minor);
		EQ(path, b->layout.flags & PA_LAYOUT_VALID, PA_LAYOUT_VALID);
		EQ(path, b->uprobe_complete, 1);
		EQ(path, b->nuprobe, minor == 8 ? 2 : 3);
		EQ(path, b->uprobe[0].kind == PA_PROBE_VARARGS, minor == 8);
		pybin__free(b);
	}
	ok = true;
out:
	globfree(&g);
	report(name, ok);
}

int main(int argc, char **argv)
{
	int i, err;

	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			struct pybin *b;

			err = pybin__open(argv[i], &b);
			if (err) {
				printf("%s: %s\n", argv[i],
				       err == -ENOENT ? "not a Python (no PySys_Audit)" : strerror(-err));
				continue;
			}
			pybin__dump(b, stdout);
			pybin__free(b);
		}
		return 0;
	}
	test_vaddr_to_offset();
	test_usdt_args();
	test_version_parse();
	test_layout_table();
	test_not_python();
	test_truncated();
	test_debian_exe();
	test_pyenv_lib();
	test_pyenv_all();
	return nfail ? 1 : 0;
}
