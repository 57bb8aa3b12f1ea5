// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_decode.c - libFuzzer target: decode_event() on arbitrary bytes, and a
 * record that decodes rendered by both renderers (text and JSON, plain and
 * -v).  Besides sanitizer reports, a finding is a rendering that is not one
 * line (text: no control byte before the final newline; JSON: one valid JSON
 * value, per the unit tests' checker, then the newline), or a renderer error.
 *
 * The first input byte picks the options; the record starts at the next one.
 * Seeds come from tests/fuzz/seed_records.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "attach.h"
#include "output.h"
#include "unit.h"

static const struct probe_info probes[] = {
	{ "usdt", "3.11.2", 11, "/usr/bin/python3.11", 1 },
	{ "uprobe", "3.13.5", 13, "/tmp/odd\n\x1b[31mpath\xff", 0 },
};

static const struct probe_info *probe_lookup(void *ctx, unsigned id)
{
	return id < 2 ? &probes[id] : NULL;
}

static void render(const struct audit_event *ev, int json, int verbose, unsigned str_size)
{
	struct output_opts opts = {
		.json = json,
		.verbose = verbose,
		.str_size = str_size,
		.mono_to_real_ns = 1700000000000000000ll,
		.probe_lookup = probe_lookup,
	};
	struct output *o;
	char *s = NULL;
	size_t n = 0, i;

	opts.f = open_memstream(&s, &n);
	if (!opts.f)
		abort();
	o = output__new(&opts);
	if (!o || output__event(o, ev) || output__flush(o))
		abort();
	output__free(o);
	fclose(opts.f);
	if (n == 0 || s[n - 1] != '\n')
		abort();
	if (json) {
		if (!unit_json_valid(s, n - 1) || memchr(s, '\n', n - 1))
			abort();
	} else {
		for (i = 0; i + 1 < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				abort();
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct audit_event ev;
	static uint64_t rec[PA_REC_MAX / 8 + 1]; /* ring-buffer records are 8-aligned */
	unsigned opt;

	if (size < 1 || size - 1 > sizeof(rec))
		return 0;
	opt = data[0];
	memcpy(rec, data + 1, size - 1);
	if (decode_event(rec, size - 1, &ev))
		return 0;
	render(&ev, 0, opt & 1, 16 + (opt >> 2));
	render(&ev, 1, opt & 1, 16 + (opt >> 2));
	return 0;
}
