/* sluice — internals shared by the JSON and MessagePack decoders.
 *
 * Both decoders walk their parsed tree the same way: look each key up in
 * the field table built from the X-macros of decl-t.h, check the value's
 * type, store a view or a number in the flat record.  Errors found while
 * decoding (types, UTF-8) are kept by priority so that the error reported
 * does not depend on key order or on the encoding.
 *
 * Plane: data plane, except sl__fields_init (control plane, once).
 */
#ifndef SLUICE_DECODE_H
#define SLUICE_DECODE_H

#include <string.h>

#include <msgpack.h>

#include <sluice/decl.h>

#include "arena.h"
#include "simd.h"

/* The cJSON tree of one line needs at most one 64-byte node per two input
 * bytes ("0," in an array) plus its strings, which are never longer than
 * the input: 32 bytes of arena per input byte cover every line up to
 * SL_LINE_MAX, so a JSON line never fails for lack of arena.  The block is
 * allocated once; the OS backs only the pages a line actually touches. */
#define SL__JSON_ARENA ((size_t)SL_LINE_MAX * 32 + 4096)

/* First chunk of the MessagePack zone: a record of 99 items with every
 * field present needs about 80 KiB of msgpack_object; records up to that
 * size never make the zone allocate again after the first one. */
#define SL__MSGPACK_ZONE_CHUNK (256 * 1024)

/* Fields a record can name (decode.c's table), and the length of a
 * decoder's key-order memory (sl__field_guess). */
#define SL__N_FIELDS                                                           \
	(SL_DS__COUNT + SL_DN__COUNT + SL_IS__COUNT + SL_IN__COUNT + 7)
#define SL__FOLLOW_LEN (SL__N_FIELDS + SL_OBJ__COUNT)

struct sl_decoder {
	struct sl_arena json; /* cJSON nodes and unescaped strings of the
				 current line; reset before each line */
	msgpack_zone zone;    /* msgpack objects of the current record;
				 cleared before each record */
	uint8_t follow[SL__FOLLOW_LEN]; /* key order last seen, see
					   sl__field_next */
};

/* ---------------------------------------------------------- field table */

enum sl__fkind {
	SL__F_STR,   /* string: idx is SL_DS_* (root objects) or SL_IS_* */
	SL__F_NUM,   /* number: idx is SL_DN_* or SL_IN_* */
	SL__F_OBJ,   /* nested object: idx is its enum sl_decl_object */
	SL__F_ITEMS, /* the "items" array */
};

struct sl__field {
	const char *key; /* as in the record, e.g. "code" */
	uint8_t klen;	 /* strlen(key) */
	uint8_t obj;	 /* object holding the key, enum sl_decl_object */
	uint8_t kind;	 /* enum sl__fkind */
	uint8_t idx;	 /* see enum sl__fkind */
	uint16_t rank;	 /* position in field order, see sl__rank_* */
	uint64_t w[2];	 /* the key's words (sl__key_words), set by
			    sl__fields_init */
};

/* Builds the lookup index once; called by sl_decoder_new().  Thread-safe. */
void sl__fields_init(void);

/* The table, indexed by object and key length: sl__field_head[obj][len]
 * is the first field of obj whose key has that length, chained through
 * sl__field_next; 0xff ends a chain.  A lookup compares one or two keys.
 * Written once by sl__fields_init, read-only after. */
#define SL__KEY_MAX 24 /* longest key ("pay_transaction_id") fits */
extern struct sl__field sl__fields[SL__N_FIELDS];
extern uint8_t sl__field_head[SL_OBJ__COUNT][SL__KEY_MAX + 1];
extern uint8_t sl__field_next[SL__N_FIELDS];

/* Keys are short: compare a word at a time rather than call memcmp. */
static inline bool sl__key_eq(const char *a, const char *b, size_t n)
{
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		uint64_t x, y;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	for (; n; n--)
		if (*a++ != *b++)
			return false;
	return true;
}

/* A key of n bytes as two words that hold all of it up to 16 bytes: the
 * first and the last eight bytes (overlapping below 16), the first and
 * last four below 8, the first and last two below 4.  Two keys of the same
 * length up to 16 are equal exactly when their words are; longer keys
 * also compare the bytes between.  Reads only k[0..n). */
struct sl__kw {
	uint64_t a, b;
};

static inline struct sl__kw sl__key_words(const char *k, size_t n)
{
	struct sl__kw w = {0, 0};

	if (n >= 8) {
		memcpy(&w.a, k, 8);
		memcpy(&w.b, k + n - 8, 8);
	} else if (n >= 4) {
		uint32_t x, y;

		memcpy(&x, k, 4);
		memcpy(&y, k + n - 4, 4);
		w.a = x;
		w.b = y;
	} else if (n >= 2) {
		uint16_t x, y;

		memcpy(&x, k, 2);
		memcpy(&y, k + n - 2, 2);
		w.a = x;
		w.b = y;
	} else if (n == 1) {
		w.a = (uint8_t)k[0];
	}
	return w;
}

/* Is f the key `key` of n bytes, whose words are w? */
static inline bool sl__field_is(const struct sl__field *f, const char *key,
				size_t n, struct sl__kw w)
{
	return f->klen == n && f->w[0] == w.a && f->w[1] == w.b &&
	       (n <= 16 || sl__key_eq(f->key + 8, key + 8, n - 16));
}

/* The field `key` (n bytes, not NUL-terminated) of object obj, or NULL
 * for an unknown key (ignored, SPEC 3).  The chain for (obj, n) holds one
 * to four keys. */
static inline const struct sl__field *sl__field_find(unsigned obj,
						     const char *key, size_t n)
{
	struct sl__kw w;

	if (n > SL__KEY_MAX)
		return NULL;
	w = sl__key_words(key, n);
	for (unsigned i = sl__field_head[obj][n]; i != 0xff;
	     i = sl__field_next[i])
		if (sl__field_is(&sl__fields[i], key, n, w))
			return &sl__fields[i];
	return NULL;
}

/* Producers write a record's keys in the same order every time, so the
 * key after field p is most likely the one that followed p last time.
 * follow[p] remembers it (p: a field index, or SL__N_FIELDS + obj before
 * the first key of an object of kind obj), and *prev walks along; a
 * wrong guess costs one compare and falls back to sl__field_find.  The
 * guess only picks which field to compare first: the answer is always
 * the field whose key it is.  follow belongs to one decoder (one thread);
 * every entry holds a field index of the right object, as set by
 * sl__follow_init and updated here. */
static inline const struct sl__field *sl__field_guess(uint8_t *follow,
						      unsigned *prev,
						      unsigned obj,
						      const char *key, size_t n)
{
	const struct sl__field *f = &sl__fields[follow[*prev]];
	struct sl__kw w;
	unsigned i;

	if (n > SL__KEY_MAX)
		return NULL;
	w = sl__key_words(key, n);
	if (sl__field_is(f, key, n, w)) {
		*prev = follow[*prev];
		return f;
	}
	for (i = sl__field_head[obj][n]; i != 0xff; i = sl__field_next[i])
		if (sl__field_is(&sl__fields[i], key, n, w)) {
			follow[*prev] = (uint8_t)i;
			*prev = i;
			return &sl__fields[i];
		}
	return NULL;
}

/* Fills a follow table: every entry a field of the right object. */
void sl__follow_init(uint8_t follow[SL__FOLLOW_LEN]);

/* Field order, used to pick the first error: the root strings and numbers
 * in the order of decl-t.h, then the items, each item's strings then
 * numbers.  A rank is a position in that order. */
#define SL__ITEM_SPAN	 (1 + SL_IS__COUNT + SL_IN__COUNT)
#define SL__RANK_ITEMS	 (SL_DS__COUNT + SL_DN__COUNT)
#define SL__RANK_UNKNOWN 0xffffffu
static inline uint32_t sl__rank_item(unsigned i)
{
	return SL__RANK_ITEMS + 1 + i * SL__ITEM_SPAN;
}
static inline uint32_t sl__rank_item_str(unsigned i, unsigned f)
{
	return sl__rank_item(i) + 1 + f;
}
static inline uint32_t sl__rank_item_num(unsigned i, unsigned f)
{
	return sl__rank_item(i) + 1 + SL_IS__COUNT + f;
}

/* Path names ("ebc.code", "items[3].hs_code") for error messages. */
extern const char *const sl__decl_str_path[SL_DS__COUNT];
extern const char *const sl__decl_num_path[SL_DN__COUNT];
extern const char *const sl__item_str_key[SL_IS__COUNT];
extern const char *const sl__item_num_key[SL_IN__COUNT];
extern const uint16_t sl__decl_str_max[SL_DS__COUNT];
extern const uint16_t sl__item_str_max[SL_IS__COUNT];
extern const char *const sl__object_name[SL_OBJ__COUNT];

/* Writes the path of field f (as found by sl__field_find) of item
 * `item` (ignored outside items) into buf.  Error path only. */
void sl__field_path(const struct sl__field *f, unsigned item, char *buf,
		    size_t cap);

/* --------------------------------------------------------------- record */

/* Clears what a decoder fills, except the items (each is cleared when the
 * decoder reaches it, see sl__item_begin): clearing 99 items per record
 * would cost more than decoding a typical one. */
void sl__decl_reset(sl_decl_t *d);

/* Next item slot, cleared, or NULL once SL_MAX_ITEMS are taken (the rest
 * are counted in items_seen only). */
static inline sl_item_t *sl__item_begin(sl_decl_t *d)
{
	sl_item_t *it;

	d->items_seen++;
	if (d->n_items >= SL_MAX_ITEMS)
		return NULL;
	it = &d->items[d->n_items++];
	for (unsigned i = 0; i < SL_IS__COUNT; i++)
		it->s[i] = SL_STR_NULL;
	for (unsigned i = 0; i < SL_IN__COUNT; i++)
		it->n[i] = 0;
	it->present = 0;
	return it;
}

/* Stores a string / number of field f into the record (it: the current
 * item for item fields, else ignored). */
static inline void sl__put_str(sl_decl_t *d, sl_item_t *it,
			       const struct sl__field *f, const char *p,
			       uint32_t n)
{
	if (f->obj == SL_OBJ_ITEM) {
		it->s[f->idx] = (sl_str_t){p, n};
		it->present |= SL_IS_BIT(f->idx);
	} else {
		d->s[f->idx] = (sl_str_t){p, n};
		d->present |= SL_DS_BIT(f->idx);
	}
}

static inline void sl__put_num(sl_decl_t *d, sl_item_t *it,
			       const struct sl__field *f, double v)
{
	if (f->obj == SL_OBJ_ITEM) {
		it->n[f->idx] = v;
		it->present |= SL_IN_BIT(f->idx);
	} else {
		d->n[f->idx] = v;
		d->present |= SL_DN_BIT(f->idx);
	}
}

/* --------------------------------------------------------------- errors */

/* Decoding errors are kept by priority, lowest wins: UTF-8 errors before
 * type errors, then field order.  So the same bad record gives the same
 * error from JSON and from MessagePack, whatever its key order. */
#define SL__PRIO_UTF8 0u
#define SL__PRIO_TYPE (1u << 24)
#define SL__PRIO_NONE UINT32_MAX

struct sl__dctx {
	sl_decl_t *d;
	sl_error_t *err;
	uint32_t prio;	 /* of the error in *err, SL__PRIO_NONE if none */
	uint8_t *follow; /* the decoder's key order (sl__field_guess) */
};

/* Records an error unless one with a lower priority is already there.
 * Error path only (formats). */
void sl__derr(struct sl__dctx *c, uint32_t prio, enum sl_errcode code,
	      const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* BAD_TYPE for field f of item `item`: "expected a string, got a map". */
void sl__derr_type(struct sl__dctx *c, const struct sl__field *f, unsigned item,
		   const char *got);

/* BAD_TYPE for an element of "items" that is not an object. */
void sl__derr_item_type(struct sl__dctx *c, unsigned item, const char *got);

/* ---------------------------------------------------------------- UTF-8 */

/* The length of the prefix of p[0..n) (n > 0) made of characters whose
 * validity a byte pattern decides, at most 16 bytes, never cutting a
 * character: ASCII other than NUL, and three-byte sequences led by
 * E1..EC or EE..EF with two continuation bytes (U+1000..U+CFFF and
 * U+E000..U+FFFF: every such sequence is valid UTF-8, none is overlong or
 * a surrogate).  That is nearly every byte of a declaration: keys, codes,
 * numbers as text, and CJK names and addresses.  0 when p[0] starts
 * something else (NUL, a two- or four-byte character, an E0/ED lead,
 * anything invalid), which the caller hands to utf8proc.
 * test_utf8 proves the pair equal to utf8proc alone on every sequence of
 * up to three bytes, at every alignment, and on random strings. */
static inline size_t sl__utf8_run(const uint8_t *p, size_t n)
{
	__m128i v = sl__load16(p, n);
	unsigned all = n >= 16 ? 0xffffu : (1u << n) - 1;
	unsigned asc, cont, lead, want, bad, k;

	/* as signed bytes: 01..7F > 0; 80..BF < -64; E1..EF is -31..-17,
	 * of which ED (-19) leads surrogates and is left to utf8proc */
	asc =
	    (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_setzero_si128()));
	if (asc == all) /* ASCII to the end or for 16 bytes: most keys,
			   codes and numbers */
		return n >= 16 ? 16 : n;
	cont =
	    (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64)));
	lead =
	    (unsigned)_mm_movemask_epi8(
		_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-32)),
			      _mm_cmplt_epi8(v, _mm_set1_epi8(-16)))) &
	    ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(-19)));
	/* where continuation bytes must be, and nowhere else */
	want = (lead << 1) | (lead << 2);
	bad = ((~(asc | cont | lead) | (cont ^ want)) & 0xffffu) | 0x10000u;
	k = (unsigned)__builtin_ctz(bad);
	/* a lead whose sequence reaches k is not part of the prefix */
	if (k >= 1 && ((lead >> (k - 1)) & 1))
		k -= 1;
	else if (k >= 2 && ((lead >> (k - 2)) & 1))
		k -= 2;
	return k;
}

/* sl__utf8_check from offset i on, where the fast path stopped: one
 * character through utf8proc_iterate, then the fast path again.  Out of
 * line: most strings never get here. */
size_t sl__utf8_check_from(const char *s, size_t n, size_t i);

/* Offset of the first byte of s[0..n) that is not part of valid UTF-8
 * (utf8proc's definition: no overlongs, no surrogates, <= U+10FFFF), or
 * of the first NUL byte (a NUL would cut the value short wherever it is
 * used as a C string); n when the whole string is fine. */
static inline size_t sl__utf8_check(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = sl__utf8_run((const uint8_t *)s + i, n - i);

		if (!k)
			return sl__utf8_check_from(s, n, i);
		i += k;
	}
	return n;
}

/* The reference sl__utf8_check must equal: utf8proc_iterate over every
 * character, NUL refused.  For tests. */
size_t sl__utf8_check_ref(const char *s, size_t n);

#endif /* SLUICE_DECODE_H */
