// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_gates.c - the audit-gate scan (user/gates.c) on real CPython binaries: every
 * row of the CPython matrix manifest, checked against oracles the scan never uses.
 *
 *  - USDT builds: the functions holding the gate are exactly the functions that load
 *    the python:audit semaphore (CPython checks it right beside the hooks: "is anybody
 *    listening?"), a cold part counting for the function that jumps into it;
 *  - USDT builds: the python:audit notes map one to one onto sys_audit_tstate and the
 *    _PySys_Audit clones (LTO inlines the marker with the function);
 *  - a notes-stripped copy (rows "<row>-nonotes") gets the same gates and the same
 *    probe points as its original, and complete coverage;
 *  - every row: the offsets learnt from sys_audit_tstate are those of the version's
 *    table; rows without clones (3.9, 3.11, 3.13, pyenv) have exactly two gates
 *    (sys_audit_tstate and the builtin sys.audit) and no clone probe;
 *  - negative control: offsets shifted by 8 find no gate, and a binary analysed with
 *    them would not be claimed complete.
 *
 * Usage: test_gates [--require-matrix].  Without a manifest (make unit runs before
 * make matrix provisions it) only the host's /usr/bin/python3.11 is checked, and the
 * run says so; --require-matrix (make check, after make matrix) fails instead.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <unistd.h>
#include "elf.h"
#include "gates.h"
#include "pybin.h"
#include "unit.h"

#define MAX_FN 64

struct fnset {
	uint64_t start[MAX_FN];
	int n;
};

static void set_add(struct fnset *s, uint64_t v)
{
	for (int i = 0; i < s->n; i++)
		if (s->start[i] == v)
			return;
	if (s->n < MAX_FN)
		s->start[s->n++] = v;
}

static int set_has(const struct fnset *s, uint64_t v)
{
	for (int i = 0; i < s->n; i++)
		if (s->start[i] == v)
			return 1;
	return 0;
}

static int set_eq(const struct fnset *a, const struct fnset *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (!set_has(b, a->start[i]))
			return 0;
	return 1;
}

static const char *set_str(const struct fnset *s)
{
	static char buf[4][1024];
	static int k;
	char *b = buf[k++ % 4];
	size_t o = 0;

	b[0] = 0;
	for (int i = 0; i < s->n && o < 1000; i++)
		o += snprintf(b + o, 1024 - o, "%s0x%llx", i ? "," : "",
			      (unsigned long long)s->start[i]);
	return b;
}

struct ctx {
	struct elf_file *ef;
	csh cs;
	cs_insn *insn;
};

/* Does the function [start, end) branch (directly) into [lo, hi)? */
static int branches_into(struct ctx *c, uint64_t start, uint64_t end, uint64_t lo, uint64_t hi)
{
	const uint8_t *code = elf_file__ptr(c->ef, start, end - start);
	size_t size = end - start;
	uint64_t pc = start;

	if (!code)
		return 0;
	while (cs_disasm_iter(c->cs, &code, &size, &pc, c->insn)) {
		const cs_x86 *x = &c->insn->detail->x86;

		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM &&
		    (c->insn->id == X86_INS_JMP || (c->insn->id >= X86_INS_JAE &&
						     c->insn->id <= X86_INS_JS)) &&
		    (uint64_t)x->operands[0].imm >= lo && (uint64_t)x->operands[0].imm < hi)
			return 1;
	}
	return 0;
}

/*
 * The gate function an address belongs to: the one holding it, else the one that
 * jumps into the function (a cold part) holding it.  0 if none or several.
 */
static uint64_t owner(struct ctx *c, const struct pybin *b, uint64_t addr)
{
	const struct elf_func_range *fns;
	size_t n, i;
	uint64_t found = 0;
	int hits = 0;

	if (elf_file__eh_funcs(c->ef, &fns, &n))
		return 0;
	for (i = 0; i < n && !(addr >= fns[i].start && addr < fns[i].end); i++)
		;
	if (i == n)
		return 0;
	for (int g = 0; g < b->ngates; g++) {
		struct elf_func_range fn;

		if (b->gates[g].start == fns[i].start)
			return fns[i].start;
		if (elf_file__func_containing(c->ef, b->gates[g].start, &fn) == 0 &&
		    branches_into(c, fn.start, fn.end, fns[i].start, fns[i].end)) {
			found = b->gates[g].start;
			hits++;
		}
	}
	return hits == 1 ? found : 0;
}

/* Functions (by owner) holding an instruction that reads the semaphore rip-relative. */
static void sema_loaders(struct ctx *c, const struct pybin *b, uint64_t sema, struct fnset *out)
{
	const struct elf_func_range *fns;
	size_t n, i;

	if (elf_file__eh_funcs(c->ef, &fns, &n))
		return;
	for (i = 0; i < n; i++) {
		const uint8_t *p = elf_file__ptr(c->ef, fns[i].start, fns[i].end - fns[i].start);
		size_t len = fns[i].end - fns[i].start, j;
		int cand = 0;

		if (!p || len > (4u << 20))
			continue;
		/* rip-relative disp32, followed by no immediate or by one of 1, 2 or 4 bytes */
		for (j = 0; j + 4 <= len && !cand; j++) {
			int32_t d;

			memcpy(&d, p + j, 4);
			for (int imm = 0; imm <= 4 && !cand; imm++)
				cand = fns[i].start + j + 4 + imm + (int64_t)d == sema;
		}
		if (!cand)
			continue;
		{
			const uint8_t *code = p;
			size_t size = len;
			uint64_t pc = fns[i].start;

			while (cs_disasm_iter(c->cs, &code, &size, &pc, c->insn)) {
				const cs_x86 *x = &c->insn->detail->x86;

				for (int k = 0; k < x->op_count; k++) {
					const cs_x86_op *op = &x->operands[k];

					if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
					    c->insn->address + c->insn->size + op->mem.disp == sema) {
						uint64_t o = owner(c, b, c->insn->address);

						set_add(out, o ? o : fns[i].start);
					}
				}
			}
		}
	}
}

static int role_is(const struct py_gate *g, const char *prefix)
{
	return strncmp(g->role, prefix, strlen(prefix)) == 0;
}

static void gate_sets(const struct pybin *b, struct fnset *all, struct fnset *clones,
		      uint64_t *tstate)
{
	*tstate = 0;
	for (int i = 0; i < b->ngates; i++) {
		set_add(all, b->gates[i].start);
		if (role_is(&b->gates[i], "_PySys_Audit clone"))
			set_add(clones, b->gates[i].start);
		if (role_is(&b->gates[i], "sys_audit_tstate"))
			*tstate = b->gates[i].start;
	}
}

static int nclone_probes(const struct pybin *b)
{
	int n = 0;

	for (int i = 0; i < b->nuprobe; i++)
		n += b->uprobe[i].kind == PA_PROBE_CLONE;
	return n;
}

static void check_row(const char *name, const char *elf, const char *orig_elf)
{
	struct pybin *b = NULL, *o = NULL;
	struct fnset all = { 0 }, clones = { 0 };
	struct gate_offs tab, shifted;
	struct gate_fn fns[8];
	struct gate_scan st;
	struct ctx c = { 0 };
	uint64_t tstate;
	int err;

	err = pybin__open(elf, &b);
	if (!ASSERT_INT(unit_name("%s: pybin__open", name), err, 0))
		return;
	gate_sets(b, &all, &clones, &tstate);
	ASSERT_TRUE(unit_name("%s: uprobe route complete (%s)", name, b->uprobe_gap),
		    b->uprobe_complete);
	if (((b->version_hex >> 16) & 0xff) == 8) {
		/* 3.8: no sys_audit_tstate; PySys_Audit holds the gate itself and is probed at
		 * its entry, the builtin sys.audit() beside it; no scan, no clones */
		int varargs = 0, sysaudit = 0;

		for (int i = 0; i < b->nuprobe; i++) {
			varargs += b->uprobe[i].kind == PA_PROBE_VARARGS;
			sysaudit += b->uprobe[i].kind == PA_PROBE_SYSAUDIT;
		}
		ASSERT_INT(unit_name("%s: 3.8: no gate scan", name), b->gates_total, 0);
		ASSERT_INT(unit_name("%s: 3.8: PySys_Audit entry probed", name), varargs, 1);
		ASSERT_INT(unit_name("%s: 3.8: sys.audit builtin probed", name), sysaudit, 1);
		ASSERT_INT(unit_name("%s: 3.8: nothing else probed", name), b->nuprobe, 2);
		pybin__free(b);
		return;
	}
	ASSERT_INT(unit_name("%s: gates listed = found", name), b->ngates, b->gates_total);
	ASSERT_TRUE(unit_name("%s: sys_audit_tstate among the gates", name), tstate != 0);
	ASSERT_INT(unit_name("%s: one clone probe per clone", name), nclone_probes(b), clones.n);
	if (ASSERT_INT(unit_name("%s: version has a gate table", name),
		       gates_table((b->version_hex >> 16) & 0xff, &tab), 0)) {
		ASSERT_STR(unit_name("%s: offsets learnt", name), b->gate_src, "learnt");
		ASSERT_UINT(unit_name("%s: X learnt = table", name), b->gate_x, tab.x);
		ASSERT_UINT(unit_name("%s: Y learnt = table", name), b->gate_y, tab.y);
		ASSERT_UINT(unit_name("%s: Z learnt = table", name), b->gate_z, tab.z);
	}
	if (clones.n == 0)
		ASSERT_INT(unit_name("%s: no clones: the two gates every build has (%s)", name,
				     set_str(&all)),
			   all.n, 2);

	if (elf_file__open(elf, &c.ef) || cs_open(CS_ARCH_X86, CS_MODE_64, &c.cs) != CS_ERR_OK) {
		ASSERT_TRUE(unit_name("%s: open for the oracles", name), 0);
		goto out;
	}
	cs_option(c.cs, CS_OPT_DETAIL, CS_OPT_ON);
	c.insn = cs_malloc(c.cs);

	/* negative control: shifted offsets find nothing */
	shifted = (struct gate_offs){ b->gate_x, b->gate_y + 8, b->gate_z + 8 };
	if (ASSERT_INT(unit_name("%s: scan with shifted offsets", name),
		       gates_scan(c.ef, c.cs, c.insn, &shifted, fns, 8, &st), 0))
		ASSERT_INT(unit_name("%s: shifted offsets find no gate", name), (int)st.ngates, 0);

	if (b->usdt_total) {
		struct elf_usdt_note *notes = NULL;
		struct fnset loaders = { 0 }, noted = { 0 }, want = clones;
		size_t nnotes = 0, i;
		uint64_t sema = 0;
		int naudit = 0, unmapped = 0;

		elf_file__usdt_notes(c.ef, &notes, &nnotes);
		for (i = 0; i < nnotes; i++) {
			uint64_t own;

			if (strcmp(notes[i].provider, "python") || strcmp(notes[i].name, "audit"))
				continue;
			naudit++;
			sema = notes[i].sema;
			own = owner(&c, b, notes[i].pc);
			if (!own)
				unmapped++;
			else
				set_add(&noted, own);
		}
		free(notes);
		sema_loaders(&c, b, sema, &loaders);
		if (getenv("TEST_GATES_VERBOSE"))
			printf("%s: semaphore loaders {%s}, notes in {%s} (%d notes)\n", name,
			       set_str(&loaders), set_str(&noted), naudit);
		ASSERT_TRUE(unit_name("%s: gates {%s} = semaphore loaders {%s}", name,
				      set_str(&all), set_str(&loaders)),
			    set_eq(&all, &loaders));
		set_add(&want, tstate);
		ASSERT_INT(unit_name("%s: every note in one gate function", name), unmapped, 0);
		ASSERT_INT(unit_name("%s: notes 1:1 (%d notes, %d functions)", name, naudit,
				     noted.n),
			   naudit, noted.n);
		ASSERT_TRUE(unit_name("%s: noted functions {%s} = clones + sys_audit_tstate {%s}",
				      name, set_str(&noted), set_str(&want)),
			    set_eq(&noted, &want));
	}
	if (orig_elf && ASSERT_INT(unit_name("%s: original opens", name),
				   pybin__open(orig_elf, &o), 0)) {
		ASSERT_INT(unit_name("%s: no notes left", name), b->usdt_total, 0);
		ASSERT_INT(unit_name("%s: gates as the original's", name), b->ngates, o->ngates);
		for (int i = 0; i < b->ngates && i < o->ngates; i++)
			ASSERT_TRUE(unit_name("%s: gate %d as the original's", name, i),
				    b->gates[i].start == o->gates[i].start &&
					    !strcmp(b->gates[i].role, o->gates[i].role));
		if (ASSERT_INT(unit_name("%s: probes as the original's", name), b->nuprobe,
			       o->nuprobe))
			for (int i = 0; i < b->nuprobe; i++)
				ASSERT_TRUE(unit_name("%s: probe %d (%s) as the original's", name, i,
						      b->uprobe[i].what),
					    b->uprobe[i].kind == o->uprobe[i].kind &&
						    b->uprobe[i].vaddr == o->uprobe[i].vaddr &&
						    b->uprobe[i].reg0 == o->uprobe[i].reg0);
		ASSERT_TRUE(unit_name("%s: clones found without notes", name),
			    nclone_probes(b) == nclone_probes(o));
	}
out:
	if (c.insn)
		cs_free(c.insn, 1);
	if (c.cs)
		cs_close(&c.cs);
	elf_file__close(c.ef);
	pybin__free(b);
	pybin__free(o);
}

/* Offsets of sys_audit_tstate's gate vs the table, without a binary. */
static void test_table(void)
{
	struct gate_offs o;

	ASSERT_INT("table: 3.8 has none (no sys_audit_tstate)", gates_table(8, &o), -ENOENT);
	ASSERT_INT("table: 3.10", gates_table(10, &o), 0);
	ASSERT_INT("table: 3.16 unknown", gates_table(16, &o), -ENOENT);
	ASSERT_INT("table: 3.14", gates_table(14, &o), 0);
	ASSERT_TRUE("table: 3.14 values", o.x == 0x1cd8 && o.y == 0x2990 && o.z == 0x2aa0);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("PYAUDIT_MATRIX_DIR");
	int require = argc > 1 && !strcmp(argv[1], "--require-matrix");
	char path[4096], line[8192];
	struct { char name[64], elf[4096]; } rows[32];
	int nrows = 0;
	FILE *f;

	test_table();
	/* negative controls beyond the matrix: pyenv builds of other versions, if installed */
	{
		static const char *const extra[] = {
			"/root/.pyenv/versions/3.9.18/lib/libpython3.9.so.1.0",
			"/root/.pyenv/versions/3.10.13/lib/libpython3.10.so.1.0",
			"/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0",
			"/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0",
		};

		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			if (access(extra[i], R_OK) == 0)
				check_row(extra[i] + strlen("/root/.pyenv/versions/"), extra[i], NULL);
	}
	snprintf(path, sizeof(path), "%s/manifest", dir && *dir ? dir : "/var/cache/pyaudit-trace/matrix");
	f = fopen(path, "r");
	if (!f) {
		if (require) {
			ASSERT_TRUE(unit_name("matrix manifest %s readable (make matrix)", path), 0);
		} else {
			printf("test_gates: no matrix manifest %s: checking the host's python3.11 "
			       "only (make check runs every row after make matrix)\n", path);
			check_row("host-3.11", "/usr/bin/python3.11", NULL);
		}
		return unit_summary("test_gates");
	}
	while (fgets(line, sizeof(line), f) && nrows < 32) {
		char *fld[7], *p = line;
		int n = 0;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = 0;
		while (n < 7 && (fld[n] = strsep(&p, "\t")))
			n++;
		if (n != 7)
			continue;
		snprintf(rows[nrows].name, sizeof(rows[0].name), "%s", fld[0]);
		snprintf(rows[nrows].elf, sizeof(rows[0].elf), "%s", fld[4]);
		nrows++;
	}
	fclose(f);
	ASSERT_TRUE("manifest lists rows", nrows > 0);
	for (int i = 0; i < nrows; i++) {
		const char *orig = NULL;
		size_t len = strlen(rows[i].name);

		if (len > 8 && !strcmp(rows[i].name + len - 8, "-nonotes")) {
			for (int j = 0; j < nrows; j++)
				if (strlen(rows[j].name) == len - 8 &&
				    !strncmp(rows[j].name, rows[i].name, len - 8))
					orig = rows[j].elf;
			ASSERT_TRUE(unit_name("%s: its original is in the manifest", rows[i].name),
				    orig != NULL);
		}
		check_row(rows[i].name, rows[i].elf, orig);
	}
	return unit_summary("test_gates");
}
