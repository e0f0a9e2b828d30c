/* sluice — one JSON line into the flat declaration record (decl.h).
 *
 * cJSON parses the line into a tree allocated in the decoder's arena
 * (arena.h); unescaped strings live there too and the record's views point
 * at them.  Before cJSON sees the line, one pass over its bytes bounds the
 * nesting depth (so cJSON's recursion stays within SL_DEPTH_MAX frames,
 * whatever the line), finds NUL bytes and \u0000 escapes inside strings
 * (cJSON would cut the C string there and silently shorten the value) and
 * notes whether any byte is non-ASCII; only then is the line checked as
 * UTF-8.  A JSON line is valid UTF-8 exactly when all its strings are:
 * outside strings JSON is ASCII, and cJSON turns \u escapes into valid
 * UTF-8 (it refuses lone surrogates).
 *
 * Plane: data plane.  Allocates nothing: the arena was sized at start for
 * the longest line accepted (decode.h).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "decode.h"

enum prescan_result {
	PRESCAN_OK,
	PRESCAN_DEEP, /* nesting deeper than SL_DEPTH_MAX */
	PRESCAN_NUL,  /* a NUL byte, or \u0000 inside a string */
};

/* Byte classes for the pre-scan; 0 = nothing to do. */
enum {
	C_QUOTE = 1,
	C_OPEN,
	C_CLOSE,
	C_BSLASH,
	C_NUL,
};
static const uint8_t byte_class[256] = {
    ['"'] = C_QUOTE, ['['] = C_OPEN,	['{'] = C_OPEN, [']'] = C_CLOSE,
    ['}'] = C_CLOSE, ['\\'] = C_BSLASH, [0] = C_NUL,
};

/* Does any byte of p[0..n) have its high bit set?  Sixteen at a time. */
static bool any_high(const unsigned char *p, size_t n)
{
	__m128i acc = _mm_setzero_si128();
	size_t i = 0;

	for (; n - i >= 16; i += 16)
		acc = _mm_or_si128(acc,
				   _mm_loadu_si128((const __m128i *)(p + i)));
	if (i < n)
		acc = _mm_or_si128(acc, sl__load16(p + i, n - i));
	return _mm_movemask_epi8(acc) != 0;
}

/* *where gets the offending byte offset. */
static enum prescan_result prescan(const unsigned char *p, size_t n,
				   bool *non_ascii, size_t *where)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	unsigned depth = 0;
	size_t i = 0;

	while (i < n) {
		/* outside strings */
		unsigned char c = p[i];

		switch (byte_class[c]) {
		case C_OPEN:
			if (++depth > SL_DEPTH_MAX) {
				*where = i;
				return PRESCAN_DEEP;
			}
			break;
		case C_CLOSE:
			if (depth)
				depth--;
			break;
		case C_NUL:
			/* cJSON would skip it as blank space; refuse it the
			 * same inside and outside strings */
			*where = i;
			return PRESCAN_NUL;
		case C_QUOTE:
			/* inside a string: only '"', '\\' and NUL matter;
			 * plain bytes go sixteen at a time */
			for (i++; i < n;) {
				while (n - i >= 16) {
					__m128i v = _mm_loadu_si128(
					    (const __m128i *)(p + i));
					unsigned m = (unsigned)
					    _mm_movemask_epi8(_mm_or_si128(
						_mm_or_si128(
						    _mm_cmpeq_epi8(v, quote),
						    _mm_cmpeq_epi8(v, bslash)),
						_mm_cmpeq_epi8(
						    v, _mm_setzero_si128())));

					if (m) {
						/* the lowest flag is exact: go
						 * straight to that byte */
						i += (unsigned)__builtin_ctz(m);
						break;
					}
					i += 16;
				}
				if (i >= n)
					break;
				c = p[i];
				if (c == '"')
					break;
				if (!c) {
					*where = i;
					return PRESCAN_NUL;
				}
				if (c == '\\') {
					if (i + 5 < n && p[i + 1] == 'u' &&
					    !memcmp(p + i + 2, "0000", 4)) {
						*where = i;
						return PRESCAN_NUL;
					}
					i += 2; /* the escaped byte too */
					continue;
				}
				i++;
			}
			break;
		default:
			break;
		}
		i++;
	}
	/* every byte of the line is in a string or is JSON's ASCII */
	*non_ascii = any_high(p, n);
	return PRESCAN_OK;
}

static const char *json_type_name(const cJSON *v)
{
	switch (v->type & 0xff) {
	case cJSON_False:
	case cJSON_True:
		return "a boolean";
	case cJSON_Number:
		return "a number";
	case cJSON_String:
		return "a string";
	case cJSON_Array:
		return "an array";
	case cJSON_Object:
		return "an object";
	case cJSON_NULL:
		return "null"; /* as decode_msgpack.c names nil */
	default:
		return "something else";
	}
}

/* Stores the members of JSON object o (object kind obj) into the record;
 * `it` is the current item when obj is ITEM. */
static void walk_object(struct sl__dctx *c, const cJSON *o, unsigned obj,
			sl_item_t *it, unsigned item_no)
{
	unsigned prev = SL__N_FIELDS + obj;
	const cJSON *m;

	for (m = o->child; m; m = m->next) {
		const struct sl__field *f;
		int t = m->type & 0xff;

		if (t == cJSON_NULL || !m->string)
			continue; /* null is absent (SPEC 3) */
		f = sl__field_guess(c->follow, &prev, obj, m->string,
				    strlen(m->string));
		if (!f)
			continue; /* unknown fields are ignored */
		switch (f->kind) {
		case SL__F_STR:
			if (t != cJSON_String) {
				sl__derr_type(c, f, item_no, json_type_name(m));
				break;
			}
			sl__put_str(c->d, it, f, m->valuestring,
				    (uint32_t)strlen(m->valuestring));
			break;
		case SL__F_NUM:
			if (t != cJSON_Number) {
				sl__derr_type(c, f, item_no, json_type_name(m));
				break;
			}
			sl__put_num(c->d, it, f, m->valuedouble);
			break;
		case SL__F_OBJ:
			if (t != cJSON_Object) {
				sl__derr_type(c, f, item_no, json_type_name(m));
				break;
			}
			walk_object(c, m, f->idx, NULL, 0);
			break;
		case SL__F_ITEMS: {
			const cJSON *e;

			if (t != cJSON_Array) {
				sl__derr_type(c, f, item_no, json_type_name(m));
				break;
			}
			c->d->items_present = true;
			for (e = m->child; e; e = e->next) {
				unsigned no = c->d->n_items;
				sl_item_t *item = sl__item_begin(c->d);

				if (!item)
					continue; /* > 99: counted only */
				if ((e->type & 0xff) != cJSON_Object) {
					sl__derr_item_type(c, no,
							   json_type_name(e));
					continue;
				}
				walk_object(c, e, SL_OBJ_ITEM, item, no);
			}
			break;
		}
		}
	}
}

/* The line had invalid UTF-8 somewhere: name the first known field (in
 * field order) that holds it, or say where it is when it sits in a key or
 * a field sluice does not read. */
static void blame_utf8(struct sl__dctx *c, size_t offset)
{
	const sl_decl_t *d = c->d;
	char path[SL_ERR_FIELD_MAX];
	unsigned i, f;

	for (f = 0; f < SL_DS__COUNT; f++) {
		const sl_str_t *s = &d->s[f];

		if (s->p && sl__utf8_check(s->p, s->n) != s->n) {
			sl__derr(c, SL__PRIO_UTF8, SL_E_BAD_UTF8,
				 sl__decl_str_path[f],
				 "%s is not valid UTF-8 (byte %zu of the "
				 "value)",
				 sl__decl_str_path[f],
				 sl__utf8_check(s->p, s->n));
			return;
		}
	}
	for (i = 0; i < d->n_items; i++) {
		for (f = 0; f < SL_IS__COUNT; f++) {
			const sl_str_t *s = &d->items[i].s[f];

			if (s->p && sl__utf8_check(s->p, s->n) != s->n) {
				snprintf(path, sizeof(path), "items[%u].%s", i,
					 sl__item_str_key[f]);
				sl__derr(c, SL__PRIO_UTF8, SL_E_BAD_UTF8, path,
					 "%s is not valid UTF-8 (byte %zu of "
					 "the value)",
					 path, sl__utf8_check(s->p, s->n));
				return;
			}
		}
	}
	sl__derr(c, SL__PRIO_UTF8, SL_E_BAD_UTF8, "",
		 "invalid UTF-8 at byte %zu of the line (in a key or a field "
		 "sluice does not read)",
		 offset);
}

static bool only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return true;
}

enum sl_errcode sl_decode_json(struct sl_decoder *dec, const char *line,
			       size_t len, sl_decl_t *d, sl_error_t *err)
{
	struct sl__dctx c = {
	    .d = d, .err = err, .prio = SL__PRIO_NONE, .follow = dec->follow};
	struct sl_arena *prev;
	bool non_ascii = false;
	size_t where = 0, bad_utf8 = len;
	const char *end = NULL;
	cJSON *root;

	sl__decl_reset(d);
	err->code = SL_OK;
	err->field[0] = '\0';
	err->message[0] = '\0';

	if (len > SL_LINE_MAX)
		return sl_error_set(err, SL_E_LINE_TOO_LONG, "",
				    "line is %zu bytes, at most %u allowed",
				    len, SL_LINE_MAX);
	switch (prescan((const unsigned char *)line, len, &non_ascii, &where)) {
	case PRESCAN_DEEP:
		return sl_error_set(err, SL_E_TOO_DEEP, "",
				    "nesting deeper than %u levels at byte %zu",
				    SL_DEPTH_MAX, where);
	case PRESCAN_NUL:
		return sl_error_set(err, SL_E_BAD_UTF8, "",
				    "NUL byte or \\u0000 at byte %zu; U+0000 "
				    "is not allowed in declarations",
				    where);
	case PRESCAN_OK:
		break;
	}
	if (non_ascii)
		bad_utf8 = sl__utf8_check(line, len);
	if (only_space(line, line + len))
		return sl_error_set(err, SL_E_NOT_JSON, "",
				    "empty line; each line must hold one JSON "
				    "object");

	sl_arena_reset(&dec->json);
	prev = sl_json_use_arena(&dec->json);
	root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	sl_json_use_arena(prev);
	/* cJSON sets end to where it stopped, also on failure.  (It also
	 * writes a process-wide "last error" that nothing here reads.) */
	if (!root)
		return sl_error_set(err, SL_E_NOT_JSON, "",
				    "not valid JSON (error near byte %zu)",
				    end && end >= line ? (size_t)(end - line)
						       : 0);
	if (!only_space(end, line + len))
		return sl_error_set(
		    err, SL_E_NOT_JSON, "",
		    "unexpected characters after the JSON value "
		    "at byte %zu",
		    (size_t)(end - line));
	if ((root->type & 0xff) != cJSON_Object)
		return sl_error_set(err, SL_E_NOT_OBJECT, "",
				    "the line is %s, not a JSON object",
				    json_type_name(root));
	walk_object(&c, root, SL_OBJ_ROOT, NULL, 0);
	if (bad_utf8 != len)
		blame_utf8(&c, bad_utf8);
	return (enum sl_errcode)err->code;
}
