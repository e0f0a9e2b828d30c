/* sluice — the decoder object, the key -> field table shared by both
 * decoders, and their error and UTF-8 helpers (decode.h). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "decode.h"

/* ---------------------------------------------------------- field table */

/* Every key a declaration may carry, from the X-macros of decl-t.h.  The
 * nested objects are keys of ROOT; "items" is the array of ITEM. */
static const struct sl__field fields[] = {
#define X(id, obj, key, path, max)                                             \
	{key,	     sizeof(key) - 1, SL_OBJ_##obj, SL__F_STR,                 \
	 SL_DS_##id, SL_DS_##id,      {0, 0}},
    SL_DECL_STRS(X)
#undef X
#define X(id, obj, key, path)                                                  \
	{key,	     sizeof(key) - 1,		SL_OBJ_##obj, SL__F_NUM,       \
	 SL_DN_##id, SL_DS__COUNT + SL_DN_##id, {0, 0}},
	SL_DECL_NUMS(X)
#undef X
#define X(id, key, max)                                                        \
	{key,	     sizeof(key) - 1, SL_OBJ_ITEM, SL__F_STR,                  \
	 SL_IS_##id, SL_IS_##id,      {0, 0}},
	    SL_ITEM_STRS(X)
#undef X
#define X(id, key)                                                             \
	{key,	     sizeof(key) - 1,		SL_OBJ_ITEM, SL__F_NUM,        \
	 SL_IN_##id, SL_IS__COUNT + SL_IN_##id, {0, 0}},
		SL_ITEM_NUMS(X)
#undef X
    /* nested objects; rank is set to their first field's by init,
     * the key words w of every field too */
    {"ebp", 3, SL_OBJ_ROOT, SL__F_OBJ, SL_OBJ_EBP, 0, {0, 0}},
    {"ebc", 3, SL_OBJ_ROOT, SL__F_OBJ, SL_OBJ_EBC, 0, {0, 0}},
    {"logistics", 9, SL_OBJ_ROOT, SL__F_OBJ, SL_OBJ_LOGISTICS, 0, {0, 0}},
    {"buyer", 5, SL_OBJ_ROOT, SL__F_OBJ, SL_OBJ_BUYER, 0, {0, 0}},
    {"consignee", 9, SL_OBJ_ROOT, SL__F_OBJ, SL_OBJ_CONSIGNEE, 0, {0, 0}},
    {"sender", 6, SL_OBJ_ROOT, SL__F_OBJ, SL_OBJ_SENDER, 0, {0, 0}},
    {"items", 5, SL_OBJ_ROOT, SL__F_ITEMS, SL_OBJ_ITEM, SL__RANK_ITEMS, {0, 0}},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* The table with the nested objects' ranks filled in by fields_build. */
struct sl__field sl__fields[SL__N_FIELDS];
uint8_t sl__field_head[SL_OBJ__COUNT][SL__KEY_MAX + 1];
uint8_t sl__field_next[SL__N_FIELDS];
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

_Static_assert(N_FIELDS == SL__N_FIELDS, "SL__N_FIELDS is out of date");
_Static_assert(N_FIELDS < 0xff, "field index must fit in uint8_t");

static void fields_build(void)
{
	struct sl__kw w;
	unsigned i, j;

	memcpy(sl__fields, fields, sizeof(sl__fields));
	memset(sl__field_head, 0xff, sizeof(sl__field_head));
	/* An object's type error ranks with its first field. */
	for (i = 0; i < N_FIELDS; i++) {
		if (sl__fields[i].kind != SL__F_OBJ)
			continue;
		sl__fields[i].rank = UINT16_MAX;
		for (j = 0; j < N_FIELDS; j++)
			if (sl__fields[j].obj == sl__fields[i].idx &&
			    sl__fields[j].kind != SL__F_OBJ &&
			    sl__fields[j].rank < sl__fields[i].rank)
				sl__fields[i].rank = sl__fields[j].rank;
	}
	/* Chains in reverse so that they run in table order. */
	for (i = N_FIELDS; i-- > 0;) {
		const struct sl__field *f = &sl__fields[i];

		if (f->klen > SL__KEY_MAX)
			abort(); /* a key added to decl-t.h: raise SL__KEY_MAX
				  */
		sl__field_next[i] = sl__field_head[f->obj][f->klen];
		sl__field_head[f->obj][f->klen] = (uint8_t)i;
		w = sl__key_words(f->key, f->klen);
		sl__fields[i].w[0] = w.a;
		sl__fields[i].w[1] = w.b;
	}
}

void sl__follow_init(uint8_t follow[SL__FOLLOW_LEN])
{
	unsigned i, j;

	/* a field's successor guess: itself (any field of its object);
	 * an object's first-key guess: its first field in the table */
	for (i = 0; i < N_FIELDS; i++)
		follow[i] = (uint8_t)i;
	for (i = 0; i < SL_OBJ__COUNT; i++)
		for (j = 0; j < N_FIELDS; j++)
			if (sl__fields[j].obj == i) {
				follow[N_FIELDS + i] = (uint8_t)j;
				break;
			}
}

void sl__fields_init(void)
{
	pthread_once(&fields_once, fields_build);
}

const char *const sl__decl_str_path[SL_DS__COUNT] = {
#define X(id, obj, key, path, max) [SL_DS_##id] = path,
    SL_DECL_STRS(X)
#undef X
};
const char *const sl__decl_num_path[SL_DN__COUNT] = {
#define X(id, obj, key, path) [SL_DN_##id] = path,
    SL_DECL_NUMS(X)
#undef X
};
const char *const sl__item_str_key[SL_IS__COUNT] = {
#define X(id, key, max) [SL_IS_##id] = key,
    SL_ITEM_STRS(X)
#undef X
};
const char *const sl__item_num_key[SL_IN__COUNT] = {
#define X(id, key) [SL_IN_##id] = key,
    SL_ITEM_NUMS(X)
#undef X
};
const uint16_t sl__decl_str_max[SL_DS__COUNT] = {
#define X(id, obj, key, path, max) [SL_DS_##id] = max,
    SL_DECL_STRS(X)
#undef X
};
const uint16_t sl__item_str_max[SL_IS__COUNT] = {
#define X(id, key, max) [SL_IS_##id] = max,
    SL_ITEM_STRS(X)
#undef X
};
const char *const sl__object_name[SL_OBJ__COUNT] = {
#define X(id, name) [SL_OBJ_##id] = name,
    SL_DECL_OBJECTS(X)
#undef X
};

void sl__field_path(const struct sl__field *f, unsigned item, char *buf,
		    size_t cap)
{
	const char *name;

	switch (f->kind) {
	case SL__F_STR:
		name = f->obj == SL_OBJ_ITEM ? sl__item_str_key[f->idx]
					     : sl__decl_str_path[f->idx];
		break;
	case SL__F_NUM:
		name = f->obj == SL_OBJ_ITEM ? sl__item_num_key[f->idx]
					     : sl__decl_num_path[f->idx];
		break;
	default:
		name = f->key;
		break;
	}
	if (f->obj == SL_OBJ_ITEM)
		snprintf(buf, cap, "items[%u].%s", item, name);
	else
		snprintf(buf, cap, "%s", name);
}

/* -------------------------------------------------------------- decoder */

struct sl_decoder *sl_decoder_new(void)
{
	struct sl_decoder *dec = calloc(1, sizeof(*dec));

	if (!dec)
		return NULL;
	sl__fields_init();
	sl_json_hooks_init();
	if (sl_arena_init(&dec->json, SL__JSON_ARENA) < 0)
		goto free_dec;
	if (!msgpack_zone_init(&dec->zone, SL__MSGPACK_ZONE_CHUNK))
		goto free_arena;
	sl__follow_init(dec->follow);
	return dec;

free_arena:
	sl_arena_fini(&dec->json);
free_dec:
	free(dec);
	return NULL;
}

void sl_decoder_free(struct sl_decoder *dec)
{
	if (!dec)
		return;
	msgpack_zone_destroy(&dec->zone);
	sl_arena_fini(&dec->json);
	free(dec);
}

void sl__decl_reset(sl_decl_t *d)
{
	unsigned i;

	for (i = 0; i < SL_DS__COUNT; i++)
		d->s[i] = SL_STR_NULL;
	for (i = 0; i < SL_DN__COUNT; i++)
		d->n[i] = 0;
	d->present = 0;
	d->n_items = 0;
	d->items_seen = 0;
	d->items_present = false;
	d->line = 0;
}

/* --------------------------------------------------------------- errors */

void sl__derr(struct sl__dctx *c, uint32_t prio, enum sl_errcode code,
	      const char *field, const char *fmt, ...)
{
	va_list ap;

	if (prio >= c->prio)
		return;
	c->prio = prio;
	c->err->code = (uint16_t)code;
	snprintf(c->err->field, sizeof(c->err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
	va_end(ap);
}

static const char *kind_name(const struct sl__field *f)
{
	switch (f->kind) {
	case SL__F_STR:
		return "a string";
	case SL__F_NUM:
		return "a number";
	case SL__F_OBJ:
		return "an object";
	default:
		return "an array";
	}
}

void sl__derr_type(struct sl__dctx *c, const struct sl__field *f, unsigned item,
		   const char *got)
{
	char path[SL_ERR_FIELD_MAX];
	uint32_t rank = f->rank;

	if (f->obj == SL_OBJ_ITEM)
		rank += sl__rank_item(item) + 1;
	if (SL__PRIO_TYPE + rank >= c->prio)
		return;
	sl__field_path(f, item, path, sizeof(path));
	sl__derr(c, SL__PRIO_TYPE + rank, SL_E_BAD_TYPE, path,
		 "%s must be %s, got %s", path, kind_name(f), got);
}

void sl__derr_item_type(struct sl__dctx *c, unsigned item, const char *got)
{
	char path[SL_ERR_FIELD_MAX];

	if (SL__PRIO_TYPE + sl__rank_item(item) >= c->prio)
		return;
	snprintf(path, sizeof(path), "items[%u]", item);
	sl__derr(c, SL__PRIO_TYPE + sl__rank_item(item), SL_E_BAD_TYPE, path,
		 "%s must be an object (one item), got %s", path, got);
}

/* ---------------------------------------------------------------- UTF-8 */

size_t sl__utf8_check_from(const char *s, size_t n, size_t i)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;

	while (i < n) {
		size_t k = sl__utf8_run(p + i, n - i);

		if (!k) {
			utf8proc_int32_t cp;
			utf8proc_ssize_t m;

			if (!p[i])
				return i;
			m = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i),
					     &cp);
			if (m <= 0)
				return i;
			k = (size_t)m;
		}
		i += k;
	}
	return n;
}

size_t sl__utf8_check_ref(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t m;

		if (!p[i])
			return i;
		m = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (m <= 0)
			return i;
		i += (size_t)m;
	}
	return n;
}
