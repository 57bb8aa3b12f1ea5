// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_decode.c - decode_event() on well-formed records of every value kind,
 * nested containers, each rejection rule on its own, every prefix of a valid
 * record, trailing bytes, and random corruption (byte and bit flips, cuts):
 * a record is either rejected or decodes to values that lie inside it.  Each
 * decode reads from a heap copy of exactly the record's size, so that under
 * -fsanitize=address a read past the end is caught.  Also value_to_utf8(),
 * value_truncated() and pa_name_hash().
 */
#include <errno.h>
#include "decode.h"
#include "unit.h"

static struct audit_event ev;

/* Decodes a heap copy of exactly size bytes. */
static int decode_copy(const void *rec, size_t size, struct audit_event *out)
{
	void *copy = malloc(size ? size : 1);
	int err;

	memcpy(copy, rec, size);
	err = decode_event(copy, size, out);
	free(copy);
	return err;
}

/*
 * A record with every kind of value: 12 arguments of 14, PA_EV_ARGS_TRUNC.
 * Returns the size; *last_pad is the padding after the last payload.
 */
static size_t build_full(struct rec *r, size_t *last_pad)
{
	static const uint32_t two70[] = { 0, 0, 1u << 10 };
	static const uint16_t ucs2[] = { 0x20ac, 'x', 0xd800 };
	static const uint8_t bytes[] = { 0, 0xff, 'a' };
	static const uint32_t wide[] = { 'w', 0x1f600 };

	rec_init(r, 12, 14, PA_EV_ARGS_TRUNC);
	rec_cstr(r, "open");
	rec_str(r, "abc");						/* 0 */
	rec_int(r, -5);							/* 1 */
	rec_uint(r, 18446744073709551615ull);				/* 2 */
	rec_pylong(r, two70, 3, true);					/* 3 */
	rec_float(r, 1.5);						/* 4 */
	rec_val(r, PA_V_STR, 0, 2, 3, ucs2, sizeof(ucs2));		/* 5 */
	rec_val(r, PA_V_TUPLE, 0, 3, 5, NULL, 0);	/* 6: (1, ('a', 'b'), None, ...) */
	rec_int(r, 1);
	rec_val(r, PA_V_TUPLE, 0, 2, 2, NULL, 0);
	rec_str(r, "a");
	rec_str(r, "b");
	rec_simple(r, PA_V_NONE, 0, 0);
	rec_val(r, PA_V_BYTES, PA_VF_TRUNC, 1, 100, bytes, sizeof(bytes)); /* 7 */
	rec_simple(r, PA_V_DICT, 0, 3);					/* 8 */
	rec_val(r, PA_V_OTHER, 0, 0, 0x7f0000001000ull, "function", 8); /* 9 */
	rec_val(r, PA_V_WSTR, 0, 4, 0, wide, sizeof(wide));		/* 10 */
	rec_val(r, PA_V_CSTR, PA_VF_TRUNC, 1, 0, "/etc/pa", 7);	/* 11, 1 byte of padding */
	*last_pad = 1;
	return rec_end(r);
}

static void test_valid(void)
{
	struct rec r;
	size_t pad, size = build_full(&r, &pad);
	const struct pa_value *t;
	int err;

	err = decode_copy(r.buf, size, &ev);
	if (!ASSERT_INT("valid_full", err, 0))
		return;
	/* decode from the record itself: pointers into it are checked below */
	err = decode_event(r.buf, size, &ev);
	ASSERT_INT("valid_full_again", err, 0);
	ASSERT_UINT("valid_ts", ev.ts_ns, 1000);
	ASSERT_UINT("valid_pid", ev.pid, 4242);
	ASSERT_UINT("valid_tid", ev.tid, 4243);
	ASSERT_UINT("valid_probe_id", ev.probe_id, 7);
	ASSERT_UINT("valid_name_hash", ev.name_hash, 0x1234);
	ASSERT_STR("valid_comm", ev.comm, "python3");
	ASSERT_UINT("valid_flags", ev.flags, PA_EV_ARGS_TRUNC);
	ASSERT_UINT("valid_nargs", ev.nargs, 12);
	ASSERT_UINT("valid_nargs_total", ev.nargs_total, 14);
	ASSERT_UINT("valid_name_kind", ev.name.kind, PA_V_CSTR);
	ASSERT_MEM("valid_name", ev.name.data, ev.name.len, "open", 4);
	ASSERT_UINT("valid_arg0_kind", ev.args[0].kind, PA_V_STR);
	ASSERT_MEM("valid_arg0", ev.args[0].data, ev.args[0].len, "abc", 3);
	ASSERT_UINT("valid_arg3_kind", ev.args[3].kind, PA_V_PYLONG);
	ASSERT_UINT("valid_arg3_aux", ev.args[3].aux, 3);
	ASSERT_UINT("valid_arg3_neg", ev.args[3].flags & PA_VF_NEG, PA_VF_NEG);
	t = &ev.args[6];
	ASSERT_UINT("valid_tuple_kind", t->kind, PA_V_TUPLE);
	ASSERT_UINT("valid_tuple_nitems", t->nitems, 3);
	ASSERT_UINT("valid_tuple_full", t->full, 5);
	if (t->nitems == 3) {
		ASSERT_UINT("valid_tuple_item0", t->items[0].kind, PA_V_INT);
		ASSERT_UINT("valid_tuple_item1", t->items[1].kind, PA_V_TUPLE);
		ASSERT_UINT("valid_tuple_item1_n", t->items[1].nitems, 2);
		if (t->items[1].nitems == 2)
			ASSERT_MEM("valid_nested_item", t->items[1].items[1].data,
				   t->items[1].items[1].len, "b", 1);
		ASSERT_UINT("valid_tuple_item2", t->items[2].kind, PA_V_NONE);
	}
	ASSERT_UINT("valid_npool", ev.npool, 5);
	ASSERT_UINT("valid_other_len", ev.args[9].len, 8);
	ASSERT_UINT("valid_last_kind", ev.args[11].kind, PA_V_CSTR);
	ASSERT_UINT("valid_last_len", ev.args[11].len, 7);
	ASSERT_TRUE("valid_points_into_record",
		    ev.args[11].data > r.buf && ev.args[11].data + 7 <= r.buf + size);
}

static void test_prefixes(void)
{
	struct rec r;
	size_t pad, size = build_full(&r, &pad), n;
	unsigned bad_plain = 0, bad_patched = 0;

	for (n = 0; n < size; n++) {
		struct pa_event *e = (struct pa_event *)r.buf;
		int expect;

		/* hdr.len still says the full size */
		if (decode_copy(r.buf, n, &ev) != -EINVAL) {
			ASSERT_INT(unit_name("prefix[%zu]", n), 0, -EINVAL);
			bad_plain++;
		}
		/* hdr.len patched to agree: only a cut of the final padding is fine */
		e->hdr.len = n;
		expect = n >= size - pad ? 0 : -EINVAL;
		if (decode_copy(r.buf, n, &ev) != expect) {
			ASSERT_INT(unit_name("prefix_patched[%zu]", n), !expect, !!expect);
			bad_patched++;
		}
		e->hdr.len = size;
	}
	ASSERT_UINT("every_prefix_rejected", bad_plain, 0);
	ASSERT_UINT("every_patched_prefix_rejected", bad_patched, 0);
}

static void test_trailing(void)
{
	struct rec r;
	size_t pad, size = build_full(&r, &pad);
	struct pa_event *e = (struct pa_event *)r.buf;

	memset(r.buf + size, 0, 16);
	e->hdr.len = size + 16;
	ASSERT_INT("trailing_value_space", decode_copy(r.buf, size + 16, &ev), -EINVAL);
	e->hdr.len = size + 1;
	ASSERT_INT("trailing_byte", decode_copy(r.buf, size + 1, &ev), -EINVAL);
	/* and back to the real size */
	e->hdr.len = size;
	ASSERT_INT("trailing_none", decode_copy(r.buf, size, &ev), 0);
}

/* One-argument record: name "e", then the given value. */
static size_t one(struct rec *r, unsigned kind, unsigned flags, unsigned aux, uint64_t full,
		  const void *data, uint32_t len)
{
	rec_init(r, 1, 1, 0);
	rec_cstr(r, "e");
	rec_val(r, kind, flags, aux, full, data, len);
	return rec_end(r);
}

#define ONE(name, expect, kind, flags, aux, full, data, len)                                 \
	do {                                                                               \
		struct rec r_;                                                             \
		size_t n_ = one(&r_, kind, flags, aux, full, data, len);                   \
		ASSERT_INT(name, decode_copy(r_.buf, n_, &ev), expect);                     \
	} while (0)

static void test_rules(void)
{
	static const uint32_t d1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint32_t dbig[] = { 1u << 30 };
	static const uint8_t z[64];

	ONE("rule_none_ok", 0, PA_V_NONE, 0, 0, 0, NULL, 0);
	ONE("rule_none_payload", -EINVAL, PA_V_NONE, 0, 0, 0, z, 8);
	ONE("rule_kind_0", -EINVAL, 0, 0, 0, 0, NULL, 0);
	ONE("rule_kind_17", -EINVAL, 17, 0, 0, 0, NULL, 0);
	ONE("rule_kind_255", -EINVAL, 255, 0, 0, 0, NULL, 0);
	ONE("rule_bool_ok", 0, PA_V_BOOL, 0, 1, 0, NULL, 0);
	ONE("rule_bool_aux2", -EINVAL, PA_V_BOOL, 0, 2, 0, NULL, 0);
	ONE("rule_int_ok", 0, PA_V_INT, 0, 0, 0, z, 8);
	ONE("rule_int_len4", -EINVAL, PA_V_INT, 0, 0, 0, z, 4);
	ONE("rule_uint_len0", -EINVAL, PA_V_UINT, 0, 0, 0, NULL, 0);
	ONE("rule_float_len16", -EINVAL, PA_V_FLOAT, 0, 0, 0, z, 16);
	ONE("rule_pylong_ok", 0, PA_V_PYLONG, 0, 8, 8, d1, 32);
	ONE("rule_pylong_zero", 0, PA_V_PYLONG, 0, 0, 0, NULL, 0);
	ONE("rule_pylong_trunc_ok", 0, PA_V_PYLONG, PA_VF_TRUNC, 8, 40, d1, 32);
	ONE("rule_pylong_len", -EINVAL, PA_V_PYLONG, 0, 2, 2, d1, 4);
	ONE("rule_pylong_len_odd", -EINVAL, PA_V_PYLONG, 0, 1, 1, d1, 5);
	ONE("rule_pylong_too_many", -EINVAL, PA_V_PYLONG, 0, 9, 9, d1, 36);
	ONE("rule_pylong_aux_over_full", -EINVAL, PA_V_PYLONG, 0, 2, 1, d1, 8);
	ONE("rule_pylong_digit", -EINVAL, PA_V_PYLONG, 0, 1, 1, dbig, 4);
	ONE("rule_str_ok2", 0, PA_V_STR, 0, 2, 2, z, 4);
	ONE("rule_str_ok4", 0, PA_V_STR, 0, 4, 1, z, 4);
	ONE("rule_str_aux3", -EINVAL, PA_V_STR, 0, 3, 1, z, 3);
	ONE("rule_str_aux0", -EINVAL, PA_V_STR, 0, 0, 0, NULL, 0);
	ONE("rule_str_aux8", -EINVAL, PA_V_STR, 0, 8, 1, z, 8);
	ONE("rule_str_partial", -EINVAL, PA_V_STR, 0, 2, 2, z, 3);
	ONE("rule_str_over_full", -EINVAL, PA_V_STR, 0, 1, 2, z, 3);
	ONE("rule_cstr_any", 0, PA_V_CSTR, 0, 7, 0, z, 5);
	ONE("rule_bytes_ok", 0, PA_V_BYTES, 0, 1, 5, z, 5);
	ONE("rule_bytes_over_full", -EINVAL, PA_V_BYTES, 0, 1, 4, z, 5);
	ONE("rule_bytearray_over_full", -EINVAL, PA_V_BYTEARRAY, 0, 1, 0, z, 1);
	ONE("rule_wstr_ok", 0, PA_V_WSTR, 0, 4, 0, z, 8);
	ONE("rule_wstr_partial", -EINVAL, PA_V_WSTR, 0, 4, 0, z, 6);
	ONE("rule_other_ok", 0, PA_V_OTHER, 0, 0, 0, z, PA_TYPE_NAME_MAX);
	ONE("rule_other_long", -EINVAL, PA_V_OTHER, 0, 0, 0, z, PA_TYPE_NAME_MAX + 1);
	ONE("rule_dict_payload", -EINVAL, PA_V_DICT, 0, 0, 3, z, 8);
	ONE("rule_unreadable_payload", -EINVAL, PA_V_UNREADABLE, 0, 0, 0, z, 1);
	ONE("rule_tuple_missing_items", -EINVAL, PA_V_TUPLE, 0, 1, 1, NULL, 0);
	ONE("rule_tuple_empty", 0, PA_V_TUPLE, 0, 0, 0, NULL, 0);
	ONE("rule_tuple_cut_empty", 0, PA_V_LIST, 0, 0, 1000, NULL, 0);
	ONE("rule_tuple_aux_over_full", -EINVAL, PA_V_TUPLE, 0, 1, 0, NULL, 0);
	ONE("rule_tuple_payload", -EINVAL, PA_V_TUPLE, 0, 0, 0, z, 8);
	ONE("rule_unknown_flags_ignored", 0, PA_V_NONE, 0xf8, 0, 0, NULL, 0);

	/* a payload length that runs past the record */
	{
		struct rec r;
		size_t n = one(&r, PA_V_CSTR, 0, 1, 0, "abc", 3);
		struct pa_val *v = (struct pa_val *)(r.buf + sizeof(struct pa_event) + 16 + 8);

		v->len = 0xffffffffu;
		ASSERT_INT("rule_len_huge", decode_copy(r.buf, n, &ev), -EINVAL);
		v->len = 9;
		ASSERT_INT("rule_len_past_end", decode_copy(r.buf, n, &ev), -EINVAL);
	}
}

static void test_header_rules(void)
{
	struct rec r;
	struct pa_event *e = (struct pa_event *)r.buf;
	size_t n;
	unsigned i;

	n = one(&r, PA_V_NONE, 0, 0, 0, NULL, 0);
	ASSERT_INT("hdr_ok", decode_copy(r.buf, n, &ev), 0);
	e->hdr.kind = PA_REC_NAME;
	ASSERT_INT("hdr_kind", decode_copy(r.buf, n, &ev), -EINVAL);
	e->hdr.kind = PA_REC_EVENT;
	e->hdr.len = n + 8;
	ASSERT_INT("hdr_len_mismatch", decode_copy(r.buf, n, &ev), -EINVAL);
	e->hdr.len = n;
	e->nargs_total = 0;
	ASSERT_INT("hdr_nargs_over_total", decode_copy(r.buf, n, &ev), -EINVAL);
	e->nargs_total = 2;
	e->nargs = 2;
	ASSERT_INT("hdr_missing_arg", decode_copy(r.buf, n, &ev), -EINVAL);
	e->nargs_total = 1;
	e->nargs = 0;
	ASSERT_INT("hdr_extra_value", decode_copy(r.buf, n, &ev), -EINVAL);
	e->nargs = 1;
	ASSERT_INT("hdr_size_0", decode_copy(r.buf, 0, &ev), -EINVAL);

	/* the name must be a string */
	rec_init(&r, 0, 0, 0);
	rec_int(&r, 1);
	n = rec_end(&r);
	ASSERT_INT("name_int", decode_copy(r.buf, n, &ev), -EINVAL);
	rec_init(&r, 0, 0, 0);
	rec_simple(&r, PA_V_TUPLE, 0, 0);
	n = rec_end(&r);
	ASSERT_INT("name_tuple", decode_copy(r.buf, n, &ev), -EINVAL);
	rec_init(&r, 0, 0, 0);
	rec_val(&r, PA_V_STR, 0, 2, 4, "o\0p\0e\0n\0", 8);
	n = rec_end(&r);
	ASSERT_INT("name_str2", decode_copy(r.buf, n, &ev), 0);
	rec_init(&r, 0, 0, 0);
	n = rec_end(&r);
	ASSERT_INT("name_missing", decode_copy(r.buf, n, &ev), -EINVAL);

	/* nargs over PA_MAX_ARGS, with the values present */
	rec_init(&r, PA_MAX_ARGS + 1, PA_MAX_ARGS + 1, 0);
	rec_cstr(&r, "e");
	for (i = 0; i < PA_MAX_ARGS + 1; i++)
		rec_int(&r, i);
	n = rec_end(&r);
	ASSERT_INT("nargs_over_max", decode_copy(r.buf, n, &ev), -EINVAL);
	e->nargs = PA_MAX_ARGS;
	n -= 24;
	e->hdr.len = n;
	ASSERT_INT("nargs_max", decode_copy(r.buf, n, &ev), 0);

	/* records larger than PA_REC_MAX */
	{
		static struct rec big;
		struct pa_event *be = (struct pa_event *)big.buf;
		static uint8_t payload[PA_REC_MAX];

		rec_init(&big, 0, 0, 0);
		rec_val(&big, PA_V_CSTR, 0, 1, 0, payload, PA_REC_MAX - sizeof(struct pa_event) - 16);
		n = rec_end(&big);
		ASSERT_INT("size_rec_max", decode_copy(big.buf, n, &ev), 0);
		big.len = sizeof(struct pa_event);
		rec_val(&big, PA_V_CSTR, 0, 1, 0, payload, PA_REC_MAX - sizeof(struct pa_event) - 16 + 8);
		n = rec_end(&big);
		ASSERT_INT("size_over_rec_max", decode_copy(big.buf, n, &ev), -EINVAL);
		(void)be;
	}

	/* a decode from an odd address */
	{
		static uint8_t odd[256 + 1];

		n = one(&r, PA_V_INT, 0, 0, 0, "\1\0\0\0\0\0\0\0", 8);
		memcpy(odd + 1, r.buf, n);
		ASSERT_INT("unaligned", decode_event(odd + 1, n, &ev), 0);
	}
}

static void test_nesting_and_pool(void)
{
	struct rec r;
	size_t n;
	unsigned i, j;

	/* ((1,),) : two levels */
	rec_init(&r, 1, 1, 0);
	rec_cstr(&r, "e");
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_simple(&r, PA_V_LIST, 1, 1);
	rec_int(&r, 1);
	n = rec_end(&r);
	ASSERT_INT("nest_2", decode_copy(r.buf, n, &ev), 0);
	ASSERT_UINT("nest_2_inner", ev.args[0].items[0].items[0].kind, PA_V_INT);

	/* (((1,),),) : three levels */
	rec_init(&r, 1, 1, 0);
	rec_cstr(&r, "e");
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_int(&r, 1);
	n = rec_end(&r);
	ASSERT_INT("nest_3", decode_copy(r.buf, n, &ev), -EINVAL);
	/* an empty container at the third level is still a container too deep */
	rec_init(&r, 1, 1, 0);
	rec_cstr(&r, "e");
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_simple(&r, PA_V_TUPLE, 1, 1);
	rec_simple(&r, PA_V_TUPLE, 0, 0);
	n = rec_end(&r);
	ASSERT_INT("nest_3_empty", decode_copy(r.buf, n, &ev), -EINVAL);

	/* PA_MAX_ITEMS + 1 items */
	rec_init(&r, 1, 1, 0);
	rec_cstr(&r, "e");
	rec_simple(&r, PA_V_LIST, PA_MAX_ITEMS + 1, 100);
	for (i = 0; i < PA_MAX_ITEMS + 1; i++)
		rec_simple(&r, PA_V_NONE, 0, 0);
	n = rec_end(&r);
	ASSERT_INT("items_over_max", decode_copy(r.buf, n, &ev), -EINVAL);

	/* every argument a full tuple: exactly the pool */
	rec_init(&r, PA_MAX_ARGS, PA_MAX_ARGS, 0);
	rec_cstr(&r, "e");
	for (i = 0; i < PA_MAX_ARGS; i++) {
		rec_simple(&r, PA_V_TUPLE, PA_MAX_ITEMS, PA_MAX_ITEMS);
		for (j = 0; j < PA_MAX_ITEMS; j++)
			rec_int(&r, j);
	}
	n = rec_end(&r);
	ASSERT_INT("pool_exact", decode_copy(r.buf, n, &ev), 0);
	ASSERT_UINT("pool_exact_npool", ev.npool, PA_MAX_ARGS * PA_MAX_ITEMS);

	/* tuples of tuples: more items than the pool holds */
	rec_init(&r, PA_MAX_ARGS, PA_MAX_ARGS, 0);
	rec_cstr(&r, "e");
	for (i = 0; i < PA_MAX_ARGS; i++) {
		rec_simple(&r, PA_V_TUPLE, 2, 2);
		for (j = 0; j < 2; j++) {
			unsigned k;

			rec_simple(&r, PA_V_TUPLE, PA_MAX_ITEMS, PA_MAX_ITEMS);
			for (k = 0; k < PA_MAX_ITEMS; k++)
				rec_simple(&r, PA_V_NONE, 0, 0);
		}
	}
	n = rec_end(&r);
	ASSERT_INT("pool_overflow", decode_copy(r.buf, n, &ev), -EINVAL);
}

/* A NUL inside a C string ("s#") is content: nothing after it may be hidden. */
static void test_cstr_nul(void)
{
	struct rec r;
	size_t n = one(&r, PA_V_CSTR, 0, 1, 5, "ab\0cd", 5);

	ASSERT_INT("cstr_nul_ok", decode_copy(r.buf, n, &ev), 0);
	ASSERT_UINT("cstr_nul_kept", ev.args[0].len, 5);
}

/* Every value of an accepted record lies inside it. */
static bool inside(const struct pa_value *v, const uint8_t *rec, size_t size, unsigned depth)
{
	unsigned i;

	if (depth > PA_MAX_NEST)
		return false;
	if (v->data < rec || v->data > rec + size || v->len > (size_t)(rec + size - v->data))
		return false;
	for (i = 0; i < v->nitems; i++)
		if (!inside(&v->items[i], rec, size, depth + 1))
			return false;
	return true;
}

static void test_fuzz(void)
{
	struct rec base[3], r;
	size_t sizes[3], pad;
	unsigned iter, accepted = 0, bad = 0;
	uint8_t *copy;

	sizes[0] = build_full(&base[0], &pad);
	sizes[1] = one(&base[1], PA_V_STR, 0, 1, 3, "abc", 3);
	rec_init(&base[2], 2, 2, 0);
	rec_cstr(&base[2], "socket.connect");
	rec_simple(&base[2], PA_V_TUPLE, 2, 2);
	rec_str(&base[2], "127.0.0.1");
	rec_int(&base[2], 80);
	rec_simple(&base[2], PA_V_LIST, 1, 1);
	rec_simple(&base[2], PA_V_TUPLE, 0, 4);
	sizes[2] = rec_end(&base[2]);

	for (iter = 0; iter < 300000; iter++) {
		unsigned b = iter % 3, flips = 1 + unit_rand() % 4, k;
		size_t size = sizes[b];

		memcpy(r.buf, base[b].buf, size);
		for (k = 0; k < flips; k++) {
			uint64_t x = unit_rand();
			size_t at = (x >> 8) % size;

			if (x & 1)
				r.buf[at] ^= 1u << ((x >> 4) & 7);
			else
				r.buf[at] = x >> 32;
		}
		if (unit_rand() % 8 == 0) { /* cut, and maybe make hdr.len agree */
			size = unit_rand() % (size + 1);
			if (size >= 8 && unit_rand() % 2)
				((struct pa_event *)r.buf)->hdr.len = size;
		}
		copy = malloc(size ? size : 1);
		memcpy(copy, r.buf, size);
		if (decode_event(copy, size, &ev) == 0) {
			unsigned i;

			accepted++;
			if (!inside(&ev.name, copy, size, 0) || ev.nargs > PA_MAX_ARGS ||
			    ev.npool > PA_MAX_ARGS * PA_MAX_ITEMS)
				bad++;
			for (i = 0; i < ev.nargs; i++)
				if (!inside(&ev.args[i], copy, size, 0))
					bad++;
		}
		free(copy);
	}
	ASSERT_UINT("fuzz_accepted_values_inside", bad, 0);
	/* some corruption must survive (flags, payload bytes), or the fuzz is blind */
	ASSERT_TRUE("fuzz_some_accepted", accepted > 1000);
	printf("test_decode: fuzz: %u of 300000 corrupted records accepted\n", accepted);
}

static void test_value_to_utf8(void)
{
	struct pa_value v = { 0 };
	static const uint16_t u2[] = { 'o', 0xe9, 0x20ac, 0 };
	static const uint32_t u4[] = { 0x1f600, 0xd800, 0x110000 };
	char buf[32];
	size_t n;

	v.kind = PA_V_CSTR;
	v.data = (const uint8_t *)"open";
	v.len = 4;
	n = value_to_utf8(&v, buf, sizeof(buf));
	ASSERT_UINT("utf8_cstr_len", n, 4);
	ASSERT_STR("utf8_cstr", buf, "open");
	n = value_to_utf8(&v, buf, 3);
	ASSERT_UINT("utf8_cut_len", n, 4);
	ASSERT_STR("utf8_cut", buf, "op");
	ASSERT_UINT("utf8_size0", value_to_utf8(&v, buf, 0), 4);

	v.kind = PA_V_STR;
	v.aux = 1;
	v.data = (const uint8_t *)"caf\xe9";
	v.len = 4;
	n = value_to_utf8(&v, buf, sizeof(buf));
	ASSERT_STR("utf8_latin1", buf, "caf\xc3\xa9");
	ASSERT_UINT("utf8_latin1_len", n, 5);

	v.aux = 2;
	v.data = (const uint8_t *)u2;
	v.len = sizeof(u2);
	n = value_to_utf8(&v, buf, sizeof(buf));
	ASSERT_MEM("utf8_ucs2", buf, n, "o\xc3\xa9\xe2\x82\xac\xc0\x80", 8);

	v.aux = 4;
	v.data = (const uint8_t *)u4;
	v.len = sizeof(u4);
	n = value_to_utf8(&v, buf, sizeof(buf));
	ASSERT_MEM("utf8_ucs4", buf, n, "\xf0\x9f\x98\x80\xed\xa0\x80\xff", 8);

	v.kind = PA_V_INT;
	ASSERT_UINT("utf8_not_a_string", value_to_utf8(&v, buf, sizeof(buf)), 0);
	ASSERT_STR("utf8_not_a_string_empty", buf, "");
}

static void test_truncated_and_hash(void)
{
	struct pa_value v = { 0 };

	v.kind = PA_V_STR;
	v.aux = 2;
	v.len = 4;
	v.full = 2;
	ASSERT_TRUE("trunc_str_whole", !value_truncated(&v));
	v.full = 3;
	ASSERT_TRUE("trunc_str_cut", value_truncated(&v));
	v.kind = PA_V_CSTR;
	v.full = 0;
	ASSERT_TRUE("trunc_cstr_whole", !value_truncated(&v));
	v.flags = PA_VF_TRUNC;
	ASSERT_TRUE("trunc_cstr_flag", value_truncated(&v));
	v.flags = 0;
	v.kind = PA_V_TUPLE;
	v.nitems = 2;
	v.full = 3;
	ASSERT_TRUE("trunc_tuple", value_truncated(&v));
	v.kind = PA_V_DICT;
	ASSERT_TRUE("trunc_dict_never", !value_truncated(&v));

	ASSERT_UINT("fnv_empty", pa_name_hash("", 0), 0xcbf29ce484222325ull);
	ASSERT_UINT("fnv_a", pa_name_hash("a", 1), 0xaf63dc4c8601ec8cull);
	ASSERT_UINT("fnv_foobar", pa_name_hash("foobar", 6), 0x85944171f73967e8ull);
}

int main(void)
{
	test_valid();
	test_prefixes();
	test_trailing();
	test_rules();
	test_header_rules();
	test_nesting_and_pool();
	test_cstr_nul();
	test_fuzz();
	test_value_to_utf8();
	test_truncated_and_hash();
	return unit_summary("test_decode");
}
