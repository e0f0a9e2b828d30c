/* sluice tests — the JSON and MessagePack decoders (decl.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jemalloc/jemalloc.h>

#include <sluice/decl.h>

#include "decl_fixture.h"

static struct sl_decoder *dec;
static sl_decl_t d, d2;
static sl_error_t err;

static void setup(void)
{
	dec = sl_decoder_new();
	cr_assert_not_null(dec);
}

static void teardown(void)
{
	sl_decoder_free(dec);
}

TestSuite(decode, .init = setup, .fini = teardown);

static enum sl_errcode decode(const char *line)
{
	return sl_decode_json(dec, line, strlen(line), &d, &err);
}

static bool str_is(sl_str_t s, const char *want)
{
	return s.p && s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

Test(decode, spec_example_json)
{
	cr_assert_eq(decode(fixture_base), SL_OK, "%s", err.message);
	cr_assert(str_is(d.s[SL_DS_DECL_ID], "TYN2026112900000001"));
	cr_assert(str_is(d.s[SL_DS_EBC_CODE], "91350100M000100Y43"));
	cr_assert(str_is(d.s[SL_DS_BUYER_NAME], "张三"));
	cr_assert(str_is(d.s[SL_DS_CONS_ADDRESS], "山西省太原市小店区…"));
	cr_assert(str_is(d.s[SL_DS_LOG_WAYBILL], "RX123456785CN"));
	cr_assert_eq(d.n[SL_DN_GOODS_VALUE], 398.0);
	cr_assert_eq(d.n[SL_DN_TAX_TOTAL], 36.57);
	cr_assert(d.present & SL_DN_BIT(SL_DN_INSURED_FEE));
	cr_assert_eq(d.n_items, 1);
	cr_assert_eq(d.items_seen, 1);
	cr_assert(str_is(d.items[0].s[SL_IS_NAME], "保湿面霜"));
	cr_assert(str_is(d.items[0].s[SL_IS_UNIT], "瓶"));
	cr_assert_eq(d.items[0].n[SL_IN_QTY], 2.0);
	cr_assert(d.items[0].present & SL_IN_BIT(SL_IN_SEQ));
}

Test(decode, null_is_absent_unknown_ignored)
{
	char *line = fixture_line(
	    "{\"order_no\": null, \"ebp\": null, \"extra\": {\"a\": [1, "
	    "{\"b\": true}]}, \"freight\": null}",
	    "{\"brand\": null, \"colour\": \"red\"}");

	cr_assert_eq(decode(line), SL_OK, "%s", err.message);
	cr_assert_null(d.s[SL_DS_ORDER_NO].p);
	cr_assert_null(d.s[SL_DS_EBP_CODE].p);
	cr_assert_not(d.present & SL_DS_BIT(SL_DS_ORDER_NO));
	cr_assert_not(d.present & SL_DN_BIT(SL_DN_FREIGHT));
	cr_assert_null(d.items[0].s[SL_IS_BRAND].p);
	free(line);
}

Test(decode, escapes_are_unescaped)
{
	char *line = fixture_line("{\"ebc\": {\"name\": \"A \\\"B\\\" "
				  "\\u5f20\\ud83d\\ude00\"}}",
				  NULL);

	cr_assert_eq(decode(line), SL_OK, "%s", err.message);
	cr_assert(str_is(d.s[SL_DS_EBC_NAME], "A \"B\" 张😀"));
	free(line);
}

/* ------------------------------------------------ errors found decoding */

/* Criterion runs each parameter in a fresh process: parameters hold their
 * strings by value, not by pointer. */
struct derr_case {
	char root_patch[96];
	char item_patch[64];
	enum sl_errcode code;
	char field[SL_ERR_FIELD_MAX];
};

static struct derr_case derr_cases[] = {
    {"{\"decl_id\": 12}", "", SL_E_BAD_TYPE, "decl_id"},
    {"{\"goods_value\": \"398.00\"}", "", SL_E_BAD_TYPE, "goods_value"},
    {"{\"ebc\": \"91350100M000100Y43\"}", "", SL_E_BAD_TYPE, "ebc"},
    {"{\"ebc\": {\"code\": [\"x\"]}}", "", SL_E_BAD_TYPE, "ebc.code"},
    {"{\"items\": {\"name\": \"x\"}}", "", SL_E_BAD_TYPE, "items"},
    {"{\"items\": [\"x\"]}", "", SL_E_BAD_TYPE, "items[0]"},
    {"{\"items\": [null]}", "", SL_E_BAD_TYPE, "items[0]"},
    {"", "{\"qty\": \"2\"}", SL_E_BAD_TYPE, "items[0].qty"},
    {"", "{\"hs_code\": 3304990099}", SL_E_BAD_TYPE, "items[0].hs_code"},
    {"{\"flow\": true}", "", SL_E_BAD_TYPE, "flow"},
    /* the first in field order wins, whatever the key order */
    {"{\"currency\": 1, \"flow\": 2}", "", SL_E_BAD_TYPE, "flow"},
    {"{\"net_weight_kg\": \"1\"}", "{\"qty\": \"2\"}", SL_E_BAD_TYPE,
     "net_weight_kg"},
};

ParameterizedTestParameters(decode, type_errors)
{
	return cr_make_param_array(struct derr_case, derr_cases,
				   sizeof(derr_cases) / sizeof(derr_cases[0]));
}

ParameterizedTest(struct derr_case *c, decode, type_errors)
{
	char *line = fixture_line(c->root_patch[0] ? c->root_patch : NULL,
				  c->item_patch[0] ? c->item_patch : NULL);
	msgpack_sbuffer sb;
	size_t used;

	cr_assert_eq(decode(line), c->code, "%s: got %s (%s)", line,
		     sl_errcode_name(err.code), err.message);
	cr_assert_str_eq(err.field, c->field);
	cr_assert_neq(err.message[0], '\0');
	if (strncmp(c->root_patch, "{\"decl_id\"", 10))
		cr_assert(str_is(d.s[SL_DS_DECL_ID], "TYN2026112900000001"),
			  "decl_id must be read despite the error");

	/* the same from MessagePack */
	msgpack_sbuffer_init(&sb);
	fixture_to_msgpack(line, &sb);
	cr_assert_eq(sl_decode_msgpack(dec, sb.data, sb.size, &used, &d2, &err),
		     c->code, "msgpack: got %s (%s)", sl_errcode_name(err.code),
		     err.message);
	cr_assert_str_eq(err.field, c->field);
	msgpack_sbuffer_destroy(&sb);
	free(line);
}

/* ------------------------------------------------------------- framing */

struct frame_case {
	char line[64];
	enum sl_errcode code;
};

static struct frame_case frame_cases[] = {
    {"", SL_E_NOT_JSON},
    {"   ", SL_E_NOT_JSON},
    {"not json", SL_E_NOT_JSON},
    {"{\"decl_id\": \"A\"", SL_E_NOT_JSON},
    {"{\"decl_id\": \"A\"} {}", SL_E_NOT_JSON},
    {"{\"decl_id\": \"A\",}", SL_E_NOT_JSON},
    {"[1, 2]", SL_E_NOT_OBJECT},
    {"\"text\"", SL_E_NOT_OBJECT},
    {"42", SL_E_NOT_OBJECT},
    {"null", SL_E_NOT_OBJECT},
    {"{\"a\":[[[[[[[[1]]]]]]]]}", SL_E_TOO_DEEP},
    {"{\"a\":\"[[[[[[[[[[[[[[\"}", SL_E_MISSING_FIELD}, /* in a string */
    /* escapes at every offset of a word: the pre-scan must not lose
     * track of where strings end */
    {"{\"a\":\"1234567\\\"[[[[[[[[[[[\"}", SL_E_MISSING_FIELD},
    {"{\"a\":\"12345678\\\\\",\"b\":[[[[[[[[1]]]]]]]]}", SL_E_TOO_DEEP},
    {"{\"a\":\"\\\\\\\\\\\\\\\\\\\"[[[[[[[[[[\"}", SL_E_MISSING_FIELD},
    {"{\"decl_id\": \"A\\u0000B\"}", SL_E_BAD_UTF8},
    {"{\"decl_id\": \"A\xff\"}", SL_E_BAD_UTF8},
    {"{\"x\": \"\xc0\xaf\"}", SL_E_BAD_UTF8},	  /* overlong '/' */
    {"{\"x\": \"\xed\xa0\x80\"}", SL_E_BAD_UTF8}, /* surrogate */
    {"{\"x\": \"\\ud800\"}", SL_E_NOT_JSON},	  /* lone surrogate */
    {"{\"\xe5\xbc\": 1}", SL_E_BAD_UTF8},	  /* in a key */
};

ParameterizedTestParameters(decode, framing)
{
	return cr_make_param_array(struct frame_case, frame_cases,
				   sizeof(frame_cases) /
				       sizeof(frame_cases[0]));
}

ParameterizedTest(struct frame_case *c, decode, framing)
{
	enum sl_errcode rc = decode(c->line);

	if (rc == SL_OK)
		rc = sl_decl_validate(&d, &err);
	cr_assert_eq(rc, c->code, "%s: got %s (%s)", c->line,
		     sl_errcode_name(rc), err.message);
	cr_assert_neq(err.message[0], '\0');
}

/* The JSON pre-scan goes through strings sixteen bytes at a time: an
 * escaped quote, an escaped backslash, a NUL and a non-ASCII byte at
 * every offset of a string (across several blocks) are each found. */
Test(decode, prescan_finds_escapes_at_every_offset)
{
	char line[256], pad[64];

	for (int k = 0; k < 48; k++) {
		memset(pad, 'x', (size_t)k);
		pad[k] = '\0';
		/* \" does not end the string: the brackets are text */
		snprintf(line, sizeof(line), "{\"a\":\"%s\\\"[[[[[[[[[[\"}",
			 pad);
		cr_assert_eq(decode(line), SL_OK, "k %d: %s", k, line);
		/* \\ ends with the quote after it: the nesting is real */
		snprintf(line, sizeof(line),
			 "{\"a\":\"%s\\\\\",\"b\":[[[[[[[[1]]]]]]]]}", pad);
		cr_assert_eq(decode(line), SL_E_TOO_DEEP, "k %d: %s", k, line);
		/* \u0000 and a raw NUL inside the string */
		snprintf(line, sizeof(line), "{\"a\":\"%s\\u0000\"}", pad);
		cr_assert_eq(decode(line), SL_E_BAD_UTF8, "k %d: %s", k, line);
		snprintf(line, sizeof(line), "{\"a\":\"%sZyyyyyyyyyyyyyyyy\"}",
			 pad);
		line[6 + k] = '\0'; /* where Z was; the line goes on */
		cr_assert_eq(
		    sl_decode_json(dec, line, (size_t)k + 25, &d, &err),
		    SL_E_BAD_UTF8, "k %d", k);
		/* a non-ASCII byte: valid, then not */
		snprintf(line, sizeof(line), "{\"a\":\"%s\xc3\xa9\"}", pad);
		cr_assert_eq(decode(line), SL_OK, "k %d: %s", k, line);
		snprintf(line, sizeof(line), "{\"a\":\"%s\xff\"}", pad);
		cr_assert_eq(decode(line), SL_E_BAD_UTF8, "k %d: %s", k, line);
	}
}

Test(decode, nul_byte_anywhere_is_rejected)
{
	static const char in_string[] = "{\"decl_id\": \"A\0B\"}";
	static const char outside[] = "{\"decl_id\": \"A\"}\0";

	cr_assert_eq(
	    sl_decode_json(dec, in_string, sizeof(in_string) - 1, &d, &err),
	    SL_E_BAD_UTF8);
	cr_assert_eq(
	    sl_decode_json(dec, outside, sizeof(outside) - 1, &d, &err),
	    SL_E_BAD_UTF8);
}

Test(decode, bad_utf8_names_the_field_and_keeps_decl_id)
{
	char *line = fixture_line(NULL, "{\"name\": \"ok\"}");
	char *p = strstr(line, "\"ok\"");

	p[1] = (char)0xe5; /* a lead byte followed by 'k' */
	cr_assert_eq(decode(line), SL_E_BAD_UTF8);
	cr_assert_str_eq(err.field, "items[0].name");
	cr_assert(str_is(d.s[SL_DS_DECL_ID], "TYN2026112900000001"));
	free(line);
}

Test(decode, name_of_300kB_is_line_too_long)
{
	size_t n = 300 * 1024;
	char *name = malloc(n + 64), *line;

	memset(name, 'a', n);
	sprintf(name, "{\"name\": \"");
	name[10] = 'a';
	strcpy(name + n, "\"}");
	line = fixture_line(NULL, name);
	cr_assert_gt(strlen(line), SL_LINE_MAX);
	cr_assert_eq(decode(line), SL_E_LINE_TOO_LONG);
	free(line);
	free(name);
}

Test(decode, name_just_under_the_line_limit_is_field_too_long)
{
	size_t n = 200 * 1024;
	char *name = malloc(n + 64), *line;

	strcpy(name, "{\"name\": \"");
	memset(name + 10, 'a', n);
	strcpy(name + 10 + n, "\"}");
	line = fixture_line(NULL, name);
	cr_assert_eq(decode(line), SL_OK, "%s", err.message);
	cr_assert_eq(sl_decl_validate(&d, &err), SL_E_FIELD_TOO_LONG);
	cr_assert_str_eq(err.field, "items[0].name");
	free(line);
	free(name);
}

Test(decode, nesting_5000_is_too_deep_not_a_crash)
{
	size_t n = 5000, i;
	char *line = malloc(2 * n + 32);

	strcpy(line, "{\"a\":");
	for (i = 0; i < n; i++)
		line[5 + i] = '[';
	for (i = 0; i < n; i++)
		line[5 + n + i] = ']';
	strcpy(line + 5 + 2 * n, "}");
	cr_assert_eq(decode(line), SL_E_TOO_DEEP);
	/* objects too, and unbalanced */
	for (i = 0; i < 2 * n; i += 2)
		memcpy(line + i, "{\"", 2);
	line[2 * n] = '\0';
	cr_assert_eq(decode(line), SL_E_TOO_DEEP);
	free(line);
}

Test(decode, more_than_99_items_counted)
{
	char items[150 * 64] = "{\"items\": [", *line;
	size_t off = strlen(items);
	int i;

	for (i = 0; i < 120; i++)
		off += (size_t)sprintf(items + off,
				       "%s{\"hs_code\": \"3304990099\", "
				       "\"name\": \"x\", \"qty\": 1, "
				       "\"price\": 1}",
				       i ? "," : "");
	strcpy(items + off, "]}");
	line = fixture_line(items, NULL);
	cr_assert_eq(decode(line), SL_OK, "%s", err.message);
	cr_assert_eq(d.n_items, SL_MAX_ITEMS);
	cr_assert_eq(d.items_seen, 120);
	cr_assert_eq(sl_decl_validate(&d, &err), SL_E_TOO_MANY_ITEMS);
	cr_assert_str_eq(err.field, "items");
	free(line);
}

/* -------------------------------------------------------- one record */

static void assert_same_record(const sl_decl_t *a, const sl_decl_t *b)
{
	unsigned i, f;

	cr_assert_eq(a->present, b->present);
	cr_assert_eq(a->n_items, b->n_items);
	cr_assert_eq(a->items_seen, b->items_seen);
	cr_assert_eq(a->items_present, b->items_present);
	for (f = 0; f < SL_DS__COUNT; f++) {
		cr_assert_eq(a->s[f].n, b->s[f].n, "field %u", f);
		cr_assert_eq(!a->s[f].p, !b->s[f].p, "field %u", f);
		if (a->s[f].n)
			cr_assert_arr_eq(a->s[f].p, b->s[f].p, a->s[f].n);
	}
	for (f = 0; f < SL_DN__COUNT; f++)
		cr_assert_eq(a->n[f], b->n[f], "number %u", f);
	for (i = 0; i < a->n_items; i++) {
		const sl_item_t *x = &a->items[i], *y = &b->items[i];

		cr_assert_eq(x->present, y->present);
		for (f = 0; f < SL_IS__COUNT; f++) {
			cr_assert_eq(x->s[f].n, y->s[f].n);
			if (x->s[f].n)
				cr_assert_arr_eq(x->s[f].p, y->s[f].p,
						 x->s[f].n);
		}
		for (f = 0; f < SL_IN__COUNT; f++)
			cr_assert_eq(x->n[f], y->n[f]);
	}
}

static const char *same_patches[] = {
    NULL,
    "{\"ebp\": null, \"buyer\": {\"phone\": null}, \"freight\": 0.5}",
    "{\"items\": [{\"hs_code\": \"010121\", \"name\": \"Horse\", \"qty\": "
    "1.25, \"price\": 1e3}, {\"hs_code\": \"9503000090\", \"name\": "
    "\"积木玩具 building blocks\", \"qty\": 3, \"price\": 0.00001, "
    "\"unknown\": [1, 2, {\"x\": null}]}]}",
};

Test(decode, json_and_msgpack_give_the_same_record)
{
	unsigned k;

	for (k = 0; k < sizeof(same_patches) / sizeof(same_patches[0]); k++) {
		char *line = fixture_line(same_patches[k], NULL);
		struct sl_decoder *dec2 = sl_decoder_new();
		msgpack_sbuffer sb;
		size_t used = 0;

		msgpack_sbuffer_init(&sb);
		fixture_to_msgpack(line, &sb);
		cr_assert_eq(decode(line), SL_OK, "%s", err.message);
		cr_assert_eq(
		    sl_decode_msgpack(dec2, sb.data, sb.size, &used, &d2, &err),
		    SL_OK, "%s", err.message);
		cr_assert_eq(used, sb.size);
		assert_same_record(&d, &d2);
		/* views point into the MessagePack buffer: zero copy */
		cr_assert_geq(d2.s[SL_DS_DECL_ID].p, sb.data);
		cr_assert_lt(d2.s[SL_DS_DECL_ID].p, sb.data + sb.size);
		/* and validate the same */
		cr_assert_eq(sl_decl_validate(&d, &err), SL_OK, "%s",
			     err.message);
		cr_assert_eq(sl_decl_validate(&d2, &err), SL_OK, "%s",
			     err.message);
		cr_assert_eq(d.goods_value, d2.goods_value);
		cr_assert_eq(d.items[d.n_items - 1].qty,
			     d2.items[d2.n_items - 1].qty);
		msgpack_sbuffer_destroy(&sb);
		sl_decoder_free(dec2);
		free(line);
	}
}

/* The record with the members of every object in reverse order. */
static void reverse_members(cJSON *o)
{
	cJSON *m, *next, *rev = NULL;

	if (!cJSON_IsObject(o) && !cJSON_IsArray(o))
		return;
	for (m = o->child; m; m = m->next)
		reverse_members(m);
	if (!cJSON_IsObject(o))
		return;
	for (m = o->child; m; m = next) { /* relink backwards */
		next = m->next;
		m->next = rev;
		m->prev = NULL;
		if (rev)
			rev->prev = m;
		rev = m;
	}
	o->child = rev;
	if (rev) { /* cJSON keeps the last element in child->prev */
		for (m = rev; m->next; m = m->next)
			;
		rev->prev = m;
	}
}

/* The decoder remembers the key order it saw last, to compare the likely
 * key first (decode.h); whatever order comes next, the record is the same.
 * Orders alternate on one decoder, so every guess is stale. */
Test(decode, key_order_does_not_matter)
{
	char *line = fixture_line(same_patches[2], NULL), *back;
	struct sl_decoder *ref = sl_decoder_new();
	cJSON *j = cJSON_Parse(line);
	msgpack_sbuffer fwd, bwd;
	size_t used;

	reverse_members(j);
	back = cJSON_PrintUnformatted(j);
	msgpack_sbuffer_init(&fwd);
	msgpack_sbuffer_init(&bwd);
	fixture_to_msgpack(line, &fwd);
	fixture_to_msgpack(back, &bwd);
	cr_assert_neq(strncmp(line, back, 12), 0, "not reversed: %s", back);
	/* the reference, on a decoder of its own: views stay valid */
	cr_assert_eq(sl_decode_json(ref, line, strlen(line), &d, &err), SL_OK,
		     "%s", err.message);
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(sl_decode_json(dec, back, strlen(back), &d2, &err),
			     SL_OK, "%s", err.message);
		assert_same_record(&d, &d2);
		cr_assert_eq(sl_decode_json(dec, line, strlen(line), &d2, &err),
			     SL_OK, "%s", err.message);
		assert_same_record(&d, &d2);
		cr_assert_eq(sl_decode_msgpack(dec, bwd.data, bwd.size, &used,
					       &d2, &err),
			     SL_OK, "%s", err.message);
		assert_same_record(&d, &d2);
		cr_assert_eq(sl_decode_msgpack(dec, fwd.data, fwd.size, &used,
					       &d2, &err),
			     SL_OK, "%s", err.message);
		assert_same_record(&d, &d2);
	}
	msgpack_sbuffer_destroy(&fwd);
	msgpack_sbuffer_destroy(&bwd);
	cJSON_free(back);
	cJSON_Delete(j);
	sl_decoder_free(ref);
	free(line);
}

/* ---------------------------------------------------------- MessagePack */

static enum sl_errcode mp(const void *buf, size_t len, size_t *used)
{
	return sl_decode_msgpack(dec, buf, len, used, &d, &err);
}

Test(decode, msgpack_several_maps_in_one_buffer)
{
	char *a = fixture_line("{\"decl_id\": \"A-1\"}", NULL);
	char *b = fixture_line("{\"decl_id\": \"B-2\"}", NULL);
	msgpack_sbuffer sb;
	size_t used, off = 0;

	msgpack_sbuffer_init(&sb);
	fixture_to_msgpack(a, &sb);
	fixture_to_msgpack(b, &sb);
	cr_assert_eq(mp(sb.data, sb.size, &used), SL_OK);
	cr_assert(str_is(d.s[SL_DS_DECL_ID], "A-1"));
	off += used;
	cr_assert_lt(off, sb.size);
	cr_assert_eq(mp(sb.data + off, sb.size - off, &used), SL_OK);
	cr_assert(str_is(d.s[SL_DS_DECL_ID], "B-2"));
	off += used;
	cr_assert_eq(off, sb.size);
	msgpack_sbuffer_destroy(&sb);
	free(a);
	free(b);
}

struct mp_case {
	char bytes[24];
	size_t len;
	enum sl_errcode code;
	size_t used;
};

#define MP(s) s, sizeof(s) - 1
static struct mp_case mp_cases[] = {
    {MP(""), SL_E_BAD_MSGPACK, 0},
    {MP("\xc1"), SL_E_BAD_MSGPACK, 0},
    {MP("\x81\xa1"
	"a"),
     SL_E_BAD_MSGPACK, 0},			       /* truncated */
    {MP("\xdf\xff\xff\xff\xff"), SL_E_BAD_MSGPACK, 0}, /* 4G entries */
    {MP("\xdd\x7f\xff\xff\xff\x01"), SL_E_BAD_MSGPACK, 0},
    {MP("\xdb\xff\xff\xff\xff"
	"abc"),
     SL_E_BAD_MSGPACK, 0},
    {MP("\x92\x01\x02"), SL_E_NOT_OBJECT, 3},
    {MP("\xa3"
	"abc"),
     SL_E_NOT_OBJECT, 4},
    {MP("\x81\xa1"
	"a\x91\x91\x91\x91\x91\x91\x91\x91\x01"),
     SL_E_TOO_DEEP, 12}, /* its end is known: the next record is readable */
    {MP("\x81\xa7"
	"decl_id\xa2\xff\xfe"),
     SL_E_BAD_UTF8, 12},
    {MP("\x81\xa1"
	"x\xa1\x00"),
     SL_E_BAD_UTF8, 5},
    {MP("\x81\xa7"
	"decl_id\xc4\x01"
	"A"),
     SL_E_BAD_TYPE, 12},
    {MP("\x81\xa5"
	"items\x91\xc0"),
     SL_E_BAD_TYPE, 9},
    {MP("\x80"), SL_E_MISSING_FIELD, 1},
};

ParameterizedTestParameters(decode, msgpack_errors)
{
	return cr_make_param_array(struct mp_case, mp_cases,
				   sizeof(mp_cases) / sizeof(mp_cases[0]));
}

ParameterizedTest(struct mp_case *c, decode, msgpack_errors)
{
	/* an exact-size heap copy, so ASan sees any read past len */
	char *buf = malloc(c->len ? c->len : 1);
	size_t used = 12345;
	enum sl_errcode rc;

	memcpy(buf, c->bytes, c->len);
	rc = mp(buf, c->len, &used);
	if (rc == SL_OK)
		rc = sl_decl_validate(&d, &err);
	cr_assert_eq(rc, c->code, "got %s (%s)", sl_errcode_name(rc),
		     err.message);
	if (c->code != SL_E_MISSING_FIELD)
		cr_assert_eq(used, c->used);
	free(buf);
}

Test(decode, msgpack_every_truncation_is_rejected_within_len)
{
	msgpack_sbuffer sb;
	size_t cut, used;

	msgpack_sbuffer_init(&sb);
	fixture_to_msgpack(fixture_base, &sb);
	for (cut = 0; cut < sb.size; cut++) {
		char *buf = malloc(cut ? cut : 1);

		memcpy(buf, sb.data, cut);
		cr_assert_eq(mp(buf, cut, &used), SL_E_BAD_MSGPACK,
			     "cut at %zu", cut);
		cr_assert_eq(used, 0);
		free(buf);
	}
	msgpack_sbuffer_destroy(&sb);
}

/* The header walk that bounds a record before msgpack-c unpacks it
 * agrees with msgpack-c on where every kind of object ends: each type
 * byte as the value of a one-key map, followed by 0 to 20 bytes of 0x00
 * or 0x01 (lengths and counts of 0 or 1, fixint elements).  Where
 * msgpack-c finds the map complete, the decoder reads exactly as many
 * bytes and finds no framing error; where msgpack-c needs more bytes or refuses
 * them, the record is BAD_MSGPACK and nothing is consumed. */
Test(decode, msgpack_header_walk_agrees_with_msgpack_c)
{
	for (unsigned t = 0; t < 256; t++)
		for (unsigned fill = 0; fill < 2; fill++)
			for (size_t extra = 0; extra <= 20; extra++) {
				size_t len = 4 + extra, used = 99, off = 0;
				char *buf = malloc(len);
				msgpack_zone z;
				msgpack_object o;
				int mrc;
				enum sl_errcode rc;

				memcpy(buf, "\x81\xa1x", 3);
				buf[3] = (char)t;
				memset(buf + 4, (int)fill, extra);
				msgpack_zone_init(&z, 4096);
				mrc = msgpack_unpack(buf, len, &off, &z, &o);
				msgpack_zone_destroy(&z);
				rc = mp(buf, len, &used);
				if (mrc == MSGPACK_UNPACK_SUCCESS ||
				    mrc == MSGPACK_UNPACK_EXTRA_BYTES) {
					/* a string of 0x00 bytes holds NULs */
					cr_assert(rc == SL_OK ||
						      (rc == SL_E_BAD_UTF8 &&
						       fill == 0),
						  "type %02x fill %u +%zu: %s",
						  t, fill, extra, err.message);
					cr_assert_eq(used, off,
						     "type %02x fill %u +%zu",
						     t, fill, extra);
				} else {
					cr_assert_eq(
					    rc, SL_E_BAD_MSGPACK,
					    "type %02x fill %u +%zu: %s", t,
					    fill, extra, sl_errcode_name(rc));
					cr_assert_eq(used, 0);
				}
				free(buf);
			}
}

/* --------------------------------------------------------- allocation */

/* jemalloc's per-thread allocation counter; the count is meaningless
 * under a sanitizer, which replaces malloc. */
static __attribute__((unused)) uint64_t allocated(void)
{
	uint64_t *p;
	size_t len = sizeof(p);

	cr_assert_eq(mallctl("thread.allocatedp", &p, &len, NULL, 0), 0);
	return *p;
}

Test(decode, nothing_allocated_per_record_after_warm_up)
{
#ifdef SLUICE_SANITIZED
	cr_skip_test("the sanitizer's allocator is not jemalloc");
#else
	msgpack_sbuffer sb;
	size_t used, len = strlen(fixture_base);
	uint64_t before;
	int i;

	msgpack_sbuffer_init(&sb);
	fixture_to_msgpack(fixture_base, &sb);
	for (i = 0; i < 3; i++) { /* warm-up: first zone chunk, hooks */
		cr_assert_eq(mp(sb.data, sb.size, &used), SL_OK);
		cr_assert_eq(sl_decode_json(dec, fixture_base, len, &d, &err),
			     SL_OK);
		cr_assert_eq(sl_decl_validate(&d, &err), SL_OK);
	}
	/* the counter works: it sees an allocation this thread makes */
	before = allocated();
	{
		void *volatile p = malloc(4096); /* volatile: not elided */

		free(p);
	}
	cr_assert_geq(allocated() - before, 4096,
		      "jemalloc is not this process's malloc");

	before = allocated();
	for (i = 0; i < 1000; i++) {
		cr_assert_eq(mp(sb.data, sb.size, &used), SL_OK);
		cr_assert_eq(sl_decl_validate(&d, &err), SL_OK);
		cr_assert_eq(sl_decode_json(dec, fixture_base, len, &d, &err),
			     SL_OK);
		cr_assert_eq(sl_decl_validate(&d, &err), SL_OK);
	}
	cr_assert_eq(allocated(), before, "%llu bytes allocated",
		     (unsigned long long)(allocated() - before));
	msgpack_sbuffer_destroy(&sb);
#endif
}
