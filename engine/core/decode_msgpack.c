/* sluice — one MessagePack map into the flat declaration record (decl.h).
 *
 * msgpack-c unpacks the record into msgpack_objects held in the decoder's
 * zone, cleared (not freed) before each record; its strings point into the
 * caller's buffer, and so do the record's views: nothing is copied.
 *
 * Before msgpack_unpack runs, measure() walks the record's headers once.
 * msgpack-c allocates a container's element array from the count in its
 * header, before it has read a single element: a 5-byte header can ask for
 * 4 billion entries.  measure() refuses any count larger than the bytes
 * left (every element takes at least one byte), so what msgpack-c
 * allocates is bounded by the record's size; it also bounds the nesting
 * depth (TOO_DEEP, as on the JSON path) and finds where the record ends,
 * so several maps can follow each other in one datagram.  It reads no
 * values: unpacking stays msgpack-c's job.
 *
 * Plane: data plane.  Nothing is allocated once the zone's first chunk
 * holds a typical record (decode.h).
 */
#include <string.h>

#include "decode.h"

enum measure_result {
	MEASURE_OK,
	MEASURE_SHORT, /* the buffer ends inside the record */
	MEASURE_BAD,   /* 0xc1, a byte no MessagePack object starts with */
	MEASURE_DEEP,  /* nested deeper than SL_DEPTH_MAX */
};

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Header size of each type byte 0xc0..0xdf (MessagePack spec); 0 = 0xc1,
 * never used. */
static const uint8_t head_len[32] = {
    [0x00] = 1,				/* nil */
    [0x02] = 1, [0x03] = 1,		/* false, true */
    [0x04] = 2, [0x05] = 3, [0x06] = 5, /* bin 8/16/32 */
    [0x07] = 3, [0x08] = 4, [0x09] = 6, /* ext 8/16/32 (size, type) */
    [0x0a] = 5, [0x0b] = 9,		/* float 32/64 */
    [0x0c] = 2, [0x0d] = 3, [0x0e] = 5, [0x0f] = 9, /* uint 8..64 */
    [0x10] = 2, [0x11] = 3, [0x12] = 5, [0x13] = 9, /* int 8..64 */
    [0x14] = 3, [0x15] = 4, [0x16] = 6, [0x17] = 10, [0x18] = 18, /* fixext */
    [0x19] = 2, [0x1a] = 3, [0x1b] = 5, /* str 8/16/32 */
    [0x1c] = 3, [0x1d] = 5,		/* array 16/32 */
    [0x1e] = 3, [0x1f] = 5,		/* map 16/32 */
};

/* Whole size of each object whose size its type byte alone gives: fixint,
 * fixstr (header and body), nil, booleans, numbers, fixext.  0: look
 * further (containers, str/bin/ext 8..32, 0xc1).  Most objects of a
 * record are one of these, and cost one table load. */
#define FIXSTR(i) [0xa0 + (i)] = 1 + (i)
static const uint8_t whole_len[256] = {
    [0x00 ... 0x7f] = 1, /* positive fixint */
    [0xe0 ... 0xff] = 1, /* negative fixint */
    FIXSTR(0),		 FIXSTR(1),  FIXSTR(2),	 FIXSTR(3),
    FIXSTR(4),		 FIXSTR(5),  FIXSTR(6),	 FIXSTR(7),
    FIXSTR(8),		 FIXSTR(9),  FIXSTR(10), FIXSTR(11),
    FIXSTR(12),		 FIXSTR(13), FIXSTR(14), FIXSTR(15),
    FIXSTR(16),		 FIXSTR(17), FIXSTR(18), FIXSTR(19),
    FIXSTR(20),		 FIXSTR(21), FIXSTR(22), FIXSTR(23),
    FIXSTR(24),		 FIXSTR(25), FIXSTR(26), FIXSTR(27),
    FIXSTR(28),		 FIXSTR(29), FIXSTR(30), FIXSTR(31),
    [0xc0] = 1,						     /* nil */
    [0xc2] = 1,		 [0xc3] = 1,			     /* false, true */
    [0xca] = 5,		 [0xcb] = 9,			     /* float 32/64 */
    [0xcc] = 2,		 [0xcd] = 3, [0xce] = 5, [0xcf] = 9, /* uint */
    [0xd0] = 2,		 [0xd1] = 3, [0xd2] = 5, [0xd3] = 9, /* int */
    [0xd4] = 3,		 [0xd5] = 4, [0xd6] = 6, [0xd7] = 10,
    [0xd8] = 18, /* fixext: type byte and 1..16 data bytes */
};
#undef FIXSTR

/* Nesting measure() follows to find where a too-deep record ends, so
 * that the records after it in the same datagram can still be read. */
#define MEASURE_DEPTH_CAP 64

/* Size of the object at p[0..len) into *size.  Reads only within len.
 * MEASURE_DEEP sets *size too when the record's end was found (nesting
 * up to MEASURE_DEPTH_CAP).
 *
 * One pass over the headers, none over the values.  `pending` counts the
 * objects still to come (the record is one; a container adds its
 * elements), and a container at depth k is complete when pending falls
 * back to close_at, the count it had when the container opened; the
 * enclosing containers' close_at wait in closes[].  Objects whose size
 * the type byte gives (whole_len: every key, most values) take the first
 * branch. */
static enum measure_result measure(const uint8_t *p, size_t len, size_t *size)
{
	uint64_t closes[MEASURE_DEPTH_CAP + 1];
	uint64_t pending = 1, close_at = 0;
	unsigned depth = 0;
	size_t off = 0;
	bool deep = false;

	for (;;) {
		uint64_t elems;
		uint8_t t;

		if (off >= len)
			return MEASURE_SHORT;
		t = p[off];
		pending--;
		if (whole_len[t]) { /* most objects: size from the type */
			if (whole_len[t] > len - off)
				return MEASURE_SHORT;
			off += whole_len[t];
			goto next;
		}
		if (t <= 0x9f) { /* fixmap, fixarray */
			elems = t <= 0x8f ? 2 * (uint64_t)(t & 0x0f) : t & 0x0f;
			off++;
		} else {
			size_t head = head_len[t - 0xc0];
			uint64_t body = 0;

			if (!head)
				return MEASURE_BAD;
			if (head > len - off)
				return MEASURE_SHORT;
			elems = 0;
			switch (t) {
			case 0xc4:
			case 0xc7:
			case 0xd9:
				body = p[off + 1];
				break;
			case 0xc5:
			case 0xc8:
			case 0xda:
				body = be16(p + off + 1);
				break;
			case 0xc6:
			case 0xc9:
			case 0xdb:
				body = be32(p + off + 1);
				break;
			case 0xdc:
				elems = be16(p + off + 1);
				break;
			case 0xdd:
				elems = be32(p + off + 1);
				break;
			case 0xde:
				elems = 2 * (uint64_t)be16(p + off + 1);
				break;
			case 0xdf:
				elems = 2 * (uint64_t)be32(p + off + 1);
				break;
			default:
				/* scalars and fixext (type byte and data
				 * counted in head_len): the header is all */
				break;
			}
			off += head;
			if (body > len - off)
				return MEASURE_SHORT;
			off += (size_t)body;
			if (t < 0xdc || t > 0xdf)
				goto next;
		}
		/* a container of elems elements */
		if (elems > len - off) /* each takes at least one byte */
			return MEASURE_SHORT;
		if (depth == SL_DEPTH_MAX)
			deep = true;
		if (depth == MEASURE_DEPTH_CAP)
			return MEASURE_DEEP; /* end unknown */
		if (elems) {
			closes[depth++] = close_at;
			close_at = pending;
			pending += elems;
		}
	next:
		while (pending == close_at) {
			if (depth == 0) {
				*size = off;
				return deep ? MEASURE_DEEP : MEASURE_OK;
			}
			close_at = closes[--depth];
		}
	}
}

/* Type names in the schema's (JSON) terms, as decode_json.c prints them:
 * one schema, two encodings (SPEC 6), so a declarant gets the same reject
 * message whichever encoding carried the declaration. */
static const char *mp_type_name(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return "null";
	case MSGPACK_OBJECT_BOOLEAN:
		return "a boolean";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return "a number";
	case MSGPACK_OBJECT_STR:
		return "a string";
	case MSGPACK_OBJECT_ARRAY:
		return "an array";
	case MSGPACK_OBJECT_MAP:
		return "an object";
	case MSGPACK_OBJECT_BIN:
		return "binary data";
	default:
		return "an extension type";
	}
}

/* Checks every string in a value sluice does not read (keys included):
 * SPEC 3 makes invalid UTF-8 anywhere a reject.  Depth is bounded by
 * measure(). */
static void check_unknown(struct sl__dctx *c, const msgpack_object *o)
{
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		if (sl__utf8_check(o->via.str.ptr, o->via.str.size) !=
		    o->via.str.size)
			sl__derr(c, SL__PRIO_UTF8 + SL__RANK_UNKNOWN,
				 SL_E_BAD_UTF8, "",
				 "invalid UTF-8 in a key or a field sluice "
				 "does not read");
		break;
	case MSGPACK_OBJECT_ARRAY:
		for (i = 0; i < o->via.array.size; i++)
			check_unknown(c, &o->via.array.ptr[i]);
		break;
	case MSGPACK_OBJECT_MAP:
		for (i = 0; i < o->via.map.size; i++) {
			check_unknown(c, &o->via.map.ptr[i].key);
			check_unknown(c, &o->via.map.ptr[i].val);
		}
		break;
	default:
		break;
	}
}

static void walk_map(struct sl__dctx *c, const msgpack_object *o, unsigned obj);
static void walk_item(struct sl__dctx *c, const msgpack_object *o,
		      sl_item_t *it, unsigned item_no);

/* A string value that is not valid UTF-8: the error names its field. */
static void utf8_error(struct sl__dctx *c, const struct sl__field *f,
		       unsigned item_no, const msgpack_object *v)
{
	char path[SL_ERR_FIELD_MAX];
	uint32_t rank = f->rank;

	if (f->obj == SL_OBJ_ITEM)
		rank += sl__rank_item(item_no) + 1;
	sl__field_path(f, item_no, path, sizeof(path));
	sl__derr(c, SL__PRIO_UTF8 + rank, SL_E_BAD_UTF8, path,
		 "%s is not valid UTF-8 (byte %zu of the value)", path,
		 sl__utf8_check(v->via.str.ptr, v->via.str.size));
}

/* The members of map o (object kind obj; `it` is the current item when
 * obj is ITEM) into the record.  Inlined into walk_map and walk_item, so
 * that for items, most of a record, obj is a constant.  A string field
 * with a string value, the common case, is handled first. */
static inline __attribute__((always_inline)) void
walk_members(struct sl__dctx *c, const msgpack_object *o, unsigned obj,
	     sl_item_t *it, unsigned item_no)
{
	unsigned prev = SL__N_FIELDS + obj;
	uint32_t i;

	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		const msgpack_object *v = &o->via.map.ptr[i].val;
		const struct sl__field *f = NULL;

		if (k->type == MSGPACK_OBJECT_STR)
			f = sl__field_guess(c->follow, &prev, obj,
					    k->via.str.ptr, k->via.str.size);
		if (!f) {
			check_unknown(c, k);
			check_unknown(c, v);
			continue; /* unknown fields are ignored */
		}
		if (f->kind == SL__F_STR && v->type == MSGPACK_OBJECT_STR) {
			if (sl__utf8_check(v->via.str.ptr, v->via.str.size) !=
			    v->via.str.size)
				utf8_error(c, f, item_no, v);
			sl__put_str(c->d, it, f, v->via.str.ptr,
				    v->via.str.size);
			continue;
		}
		if (v->type == MSGPACK_OBJECT_NIL)
			continue; /* nil is absent (SPEC 3) */
		switch (f->kind) {
		case SL__F_STR: /* and not a string */
			sl__derr_type(c, f, item_no, mp_type_name(v));
			break;
		case SL__F_NUM:
			switch (v->type) {
			case MSGPACK_OBJECT_POSITIVE_INTEGER:
				sl__put_num(c->d, it, f, (double)v->via.u64);
				break;
			case MSGPACK_OBJECT_NEGATIVE_INTEGER:
				sl__put_num(c->d, it, f, (double)v->via.i64);
				break;
			case MSGPACK_OBJECT_FLOAT32:
			case MSGPACK_OBJECT_FLOAT64:
				sl__put_num(c->d, it, f, v->via.f64);
				break;
			default:
				sl__derr_type(c, f, item_no, mp_type_name(v));
				break;
			}
			break;
		case SL__F_OBJ:
			if (v->type != MSGPACK_OBJECT_MAP) {
				sl__derr_type(c, f, item_no, mp_type_name(v));
				break;
			}
			walk_map(c, v, f->idx);
			break;
		case SL__F_ITEMS:
			if (v->type != MSGPACK_OBJECT_ARRAY) {
				sl__derr_type(c, f, item_no, mp_type_name(v));
				break;
			}
			c->d->items_present = true;
			for (uint32_t j = 0; j < v->via.array.size; j++) {
				const msgpack_object *e = &v->via.array.ptr[j];
				unsigned no = c->d->n_items;
				sl_item_t *item = sl__item_begin(c->d);

				if (!item) {
					check_unknown(c, e);
					continue; /* > 99: counted only */
				}
				if (e->type != MSGPACK_OBJECT_MAP) {
					sl__derr_item_type(c, no,
							   mp_type_name(e));
					check_unknown(c, e);
					continue;
				}
				walk_item(c, e, item, no);
			}
			break;
		}
	}
}

/* The root or one of its objects (ebp, ebc, buyer, ...). */
static void walk_map(struct sl__dctx *c, const msgpack_object *o, unsigned obj)
{
	walk_members(c, o, obj, NULL, 0);
}

/* One element of "items", item number item_no, into *it. */
static void walk_item(struct sl__dctx *c, const msgpack_object *o,
		      sl_item_t *it, unsigned item_no)
{
	walk_members(c, o, SL_OBJ_ITEM, it, item_no);
}

enum sl_errcode sl_decode_msgpack(struct sl_decoder *dec, const void *buf,
				  size_t len, size_t *used, sl_decl_t *d,
				  sl_error_t *err)
{
	struct sl__dctx c = {
	    .d = d, .err = err, .prio = SL__PRIO_NONE, .follow = dec->follow};
	msgpack_object root;
	size_t size = 0, off = 0;
	int rc;

	sl__decl_reset(d);
	err->code = SL_OK;
	err->field[0] = '\0';
	err->message[0] = '\0';
	*used = 0;

	switch (measure(buf, len, &size)) {
	case MEASURE_OK:
		break;
	case MEASURE_SHORT:
		/* Truncated, or a header claims more than the data holds;
		 * either way the rest of buf cannot be split (*used = 0). */
		if (len > SL_LINE_MAX)
			return sl_error_set(err, SL_E_LINE_TOO_LONG, "",
					    "record runs past %u bytes",
					    SL_LINE_MAX);
		return sl_error_set(err, SL_E_BAD_MSGPACK, "",
				    "record is truncated: the %zu bytes "
				    "received end inside it",
				    len);
	case MEASURE_BAD:
		return sl_error_set(err, SL_E_BAD_MSGPACK, "",
				    "not valid MessagePack (byte 0xc1, which "
				    "no object starts with)");
	case MEASURE_DEEP:
		/* Like a too-deep JSON line: this record only.  The next
		 * record can be read when the end was found (size > 0). */
		*used = size;
		return sl_error_set(err, SL_E_TOO_DEEP, "",
				    "nesting deeper than %u levels",
				    SL_DEPTH_MAX);
	}
	if (size > SL_LINE_MAX) {
		*used = size; /* the next record can still be read */
		return sl_error_set(err, SL_E_LINE_TOO_LONG, "",
				    "record is %zu bytes, at most %u allowed",
				    size, SL_LINE_MAX);
	}

	msgpack_zone_clear(&dec->zone);
	rc = msgpack_unpack(buf, size, &off, &dec->zone, &root);
	if (rc != MSGPACK_UNPACK_SUCCESS || off != size)
		return sl_error_set(err, SL_E_BAD_MSGPACK, "",
				    "MessagePack record could not be unpacked "
				    "(msgpack-c error %d)",
				    rc);
	*used = size;
	if (root.type != MSGPACK_OBJECT_MAP)
		return sl_error_set(err, SL_E_NOT_OBJECT, "",
				    "record is %s, not a map",
				    mp_type_name(&root));
	walk_map(&c, &root, SL_OBJ_ROOT);
	return (enum sl_errcode)err->code;
}
