/* sluice — verdict records and their two encodings (SPEC 4, 6).
 *
 * JSON goes through cJSON (tree built in a per-thread arena, printed into
 * the caller's buffer); MessagePack through msgpack-c's packer writing into
 * the caller's buffer.  Both emit the same keys in the same order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <msgpack.h>

#include <sluice/decl.h>
#include <sluice/verdict.h>

#include "arena.h"

#define VERDICT_ARENA_SIZE (64 * 1024) /* a verdict tree needs < 16 KiB */

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void sl_verdict_init(sl_verdict_t *v)
{
	/* Only the header is cleared: reasons[] beyond n_reasons are never
	 * read, and clearing 2 KiB per declaration is measurable. */
	v->decl_id[0] = '\0';
	v->has_decl_id = false;
	v->line = 0;
	v->verdict = SL_VERDICT_HOLD;
	v->tier = SL_TIER_UNKNOWN;
	v->sampled = false;
	v->score = 0;
	v->n_reasons = 0;
	v->n_dropped = 0;
	v->error.code = SL_OK;
	v->error.field[0] = '\0';
	v->error.message[0] = '\0';
	v->ruleset[0] = '\0';
	v->registry[0] = '\0';
}

void sl_verdict_add_reason(sl_verdict_t *v, const char *rule, const char *field,
			   int32_t points, uint8_t action)
{
	sl_reason_t *r;

	if (v->n_reasons >= SL_REASONS_MAX) {
		if (v->n_dropped < UINT8_MAX)
			v->n_dropped++;
		return;
	}
	r = &v->reasons[v->n_reasons++];
	copy_str(r->rule, sizeof(r->rule), rule);
	copy_str(r->field, sizeof(r->field), field);
	r->points = points;
	r->action = action;
}

/* ------------------------------------------------------------------ JSON */

static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void arena_destroy(void *p)
{
	sl_arena_fini(p);
	free(p);
}

static void arena_key_make(void)
{
	(void)pthread_key_create(&arena_key, arena_destroy);
}

/* The calling thread's arena for verdict trees, made on first use (one
 * allocation per thread, never per verdict). */
static struct sl_arena *verdict_arena(void)
{
	struct sl_arena *a;

	pthread_once(&arena_once, arena_key_make);
	a = pthread_getspecific(arena_key);
	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a || sl_arena_init(a, VERDICT_ARENA_SIZE) < 0) {
		free(a);
		return NULL;
	}
	if (pthread_setspecific(arena_key, a) != 0) {
		arena_destroy(a);
		return NULL;
	}
	return a;
}

static cJSON *verdict_tree(const sl_verdict_t *v)
{
	cJSON *o = cJSON_CreateObject(), *arr, *r, *e;
	unsigned i;

	if (!o)
		return NULL;
	if (v->has_decl_id)
		cJSON_AddStringToObject(o, "decl_id", v->decl_id);
	else
		cJSON_AddNullToObject(o, "decl_id");
	if (!v->has_decl_id)
		cJSON_AddNumberToObject(o, "line", (double)v->line);
	cJSON_AddStringToObject(o, "verdict", sl_verdict_name(v->verdict));
	cJSON_AddNumberToObject(o, "status", sl_verdict_status(v->verdict));
	cJSON_AddNumberToObject(o, "score", v->score);
	cJSON_AddStringToObject(o, "tier", sl_tier_name(v->tier));
	arr = cJSON_AddArrayToObject(o, "reasons");
	for (i = 0; arr && i < v->n_reasons; i++) {
		const sl_reason_t *rs = &v->reasons[i];

		r = cJSON_CreateObject();
		if (!r)
			return NULL;
		cJSON_AddStringToObject(r, "rule", rs->rule);
		if (rs->field[0])
			cJSON_AddStringToObject(r, "field", rs->field);
		cJSON_AddNumberToObject(r, "points", rs->points);
		if (rs->action != SL_VERDICT_RELEASE)
			cJSON_AddStringToObject(r, "action",
						sl_verdict_name(rs->action));
		cJSON_AddItemToArray(arr, r);
	}
	if (v->n_dropped)
		cJSON_AddNumberToObject(o, "reasons_dropped", v->n_dropped);
	cJSON_AddBoolToObject(o, "sampled", v->sampled);
	if (v->error.code != SL_OK) {
		e = cJSON_AddObjectToObject(o, "error");
		if (!e)
			return NULL;
		cJSON_AddStringToObject(e, "code",
					sl_errcode_name(v->error.code));
		if (v->error.field[0])
			cJSON_AddStringToObject(e, "field", v->error.field);
		cJSON_AddStringToObject(e, "message", v->error.message);
	}
	cJSON_AddStringToObject(o, "ruleset", v->ruleset);
	cJSON_AddStringToObject(o, "registry", v->registry);
	return o;
}

int sl_verdict_to_json(const sl_verdict_t *v, char *buf, size_t cap)
{
	struct sl_arena *a = verdict_arena(), *prev;
	cJSON *tree;
	int rc = -ENOMEM;

	if (!a)
		return -ENOMEM;
	sl_json_hooks_init();
	prev = sl_json_use_arena(a);
	tree = verdict_tree(v);
	if (tree) {
		rc = -ENOSPC;
		if (cap <= INT32_MAX &&
		    cJSON_PrintPreallocated(tree, buf, (int)cap, 0))
			rc = (int)strlen(buf);
	}
	sl_json_use_arena(prev);
	sl_arena_reset(a);
	return rc;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int json_num(const cJSON *o, const char *key, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(it))
		return -1;
	*out = it->valuedouble;
	return 0;
}

static int verdict_kind_from(const char *name)
{
	int i;

	for (i = 0; name && i < SL_VERDICT__COUNT; i++)
		if (!strcmp(name, sl_verdict_name(i)))
			return i;
	return -1;
}

static int tier_from(const char *name)
{
	int i;

	for (i = 0; name && i < SL_TIER__COUNT; i++)
		if (!strcmp(name, sl_tier_name(i)))
			return i;
	return -1;
}

static int errcode_from(const char *name)
{
	int i;

	for (i = 1; name && i < SL_E__COUNT; i++)
		if (!strcmp(name, sl_errcode_name(i)))
			return i;
	return -1;
}

static int verdict_from_tree(const cJSON *o, sl_verdict_t *v)
{
	const cJSON *id, *reasons, *r, *e;
	double d;
	int k;

	sl_verdict_init(v);
	if (!cJSON_IsObject(o))
		return -EBADMSG;
	id = cJSON_GetObjectItemCaseSensitive(o, "decl_id");
	if (cJSON_IsString(id)) {
		copy_str(v->decl_id, sizeof(v->decl_id), id->valuestring);
		v->has_decl_id = true;
	} else if (!cJSON_IsNull(id)) {
		return -EBADMSG;
	}
	if (json_num(o, "line", &d) == 0)
		v->line = (uint64_t)d;
	k = verdict_kind_from(json_str(o, "verdict"));
	if (k < 0)
		return -EBADMSG;
	v->verdict = (uint8_t)k;
	if (json_num(o, "score", &d) == 0)
		v->score = (int32_t)d;
	k = tier_from(json_str(o, "tier"));
	v->tier = k < 0 ? SL_TIER_UNKNOWN : (uint8_t)k;
	v->sampled =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "sampled"));
	reasons = cJSON_GetObjectItemCaseSensitive(o, "reasons");
	cJSON_ArrayForEach (r, reasons) {
		const char *act = json_str(r, "action");

		k = act ? verdict_kind_from(act) : SL_VERDICT_RELEASE;
		d = 0;
		(void)json_num(r, "points", &d);
		sl_verdict_add_reason(v, json_str(r, "rule"),
				      json_str(r, "field"), (int32_t)d,
				      (uint8_t)(k < 0 ? 0 : k));
	}
	if (json_num(o, "reasons_dropped", &d) == 0)
		v->n_dropped = (uint8_t)d;
	e = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (cJSON_IsObject(e)) {
		k = errcode_from(json_str(e, "code"));
		v->error.code = (uint16_t)(k < 0 ? SL_OK : k);
		copy_str(v->error.field, sizeof(v->error.field),
			 json_str(e, "field"));
		copy_str(v->error.message, sizeof(v->error.message),
			 json_str(e, "message"));
	}
	copy_str(v->ruleset, sizeof(v->ruleset), json_str(o, "ruleset"));
	copy_str(v->registry, sizeof(v->registry), json_str(o, "registry"));
	return 0;
}

int sl_verdict_from_json(const char *line, size_t len, sl_verdict_t *v)
{
	struct sl_arena *a = verdict_arena(), *prev;
	cJSON *tree;
	int rc = -EBADMSG;

	if (!a)
		return -ENOMEM;
	sl_json_hooks_init();
	prev = sl_json_use_arena(a);
	tree = cJSON_ParseWithLength(line, len);
	if (tree)
		rc = verdict_from_tree(tree, v);
	sl_json_use_arena(prev);
	sl_arena_reset(a);
	return rc;
}

/* ----------------------------------------------------------- MessagePack */

struct fixed_buf {
	char *p;
	size_t cap, len;
	bool full;
};

static int fixed_write(void *data, const char *b, size_t n)
{
	struct fixed_buf *f = data;

	if (f->full || n > f->cap - f->len) {
		f->full = true;
		return -1;
	}
	memcpy(f->p + f->len, b, n);
	f->len += n;
	return 0;
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str_with_body(pk, s, n);
}

/* The constant strings of a verdict (its keys, verdict and tier names),
 * each encoded once by msgpack-c, so that a verdict writes each in one
 * piece: packing them afresh cost two writes and a strlen apiece, a third
 * of the encoding.  Built on first use (pthread_once), read-only after. */
enum vkey {
	K_DECL_ID,
	K_LINE,
	K_VERDICT,
	K_STATUS,
	K_SCORE,
	K_TIER,
	K_REASONS,
	K_RULE,
	K_FIELD,
	K_POINTS,
	K_ACTION,
	K_REASONS_DROPPED,
	K_SAMPLED,
	K_ERROR,
	K_CODE,
	K_MESSAGE,
	K_RULESET,
	K_REGISTRY,
	K__COUNT
};

static const char *const vkey_name[K__COUNT] = {
    [K_DECL_ID] = "decl_id", [K_LINE] = "line",
    [K_VERDICT] = "verdict", [K_STATUS] = "status",
    [K_SCORE] = "score",     [K_TIER] = "tier",
    [K_REASONS] = "reasons", [K_RULE] = "rule",
    [K_FIELD] = "field",     [K_POINTS] = "points",
    [K_ACTION] = "action",   [K_REASONS_DROPPED] = "reasons_dropped",
    [K_SAMPLED] = "sampled", [K_ERROR] = "error",
    [K_CODE] = "code",	     [K_MESSAGE] = "message",
    [K_RULESET] = "ruleset", [K_REGISTRY] = "registry",
};

struct penc {
	uint8_t len;
	char b[31]; /* fixstr: up to 30 bytes of string */
};

static struct penc key_enc[K__COUNT];
static struct penc verdict_enc[SL_VERDICT__COUNT];
static struct penc tier_enc[SL_TIER__COUNT];
static pthread_once_t penc_once = PTHREAD_ONCE_INIT;

static void penc_one(struct penc *e, const char *s)
{
	struct fixed_buf f = {.p = e->b, .cap = sizeof(e->b)};
	msgpack_packer pk;

	msgpack_packer_init(&pk, &f, fixed_write);
	pack_cstr(&pk, s);
	if (f.full)
		abort(); /* a name longer than 30 bytes added: widen b */
	e->len = (uint8_t)f.len;
}

static void penc_build(void)
{
	for (unsigned i = 0; i < K__COUNT; i++)
		penc_one(&key_enc[i], vkey_name[i]);
	for (unsigned i = 0; i < SL_VERDICT__COUNT; i++)
		penc_one(&verdict_enc[i], sl_verdict_name(i));
	for (unsigned i = 0; i < SL_TIER__COUNT; i++)
		penc_one(&tier_enc[i], sl_tier_name(i));
}

static inline void pack_enc(msgpack_packer *pk, const struct penc *e)
{
	pk->callback(pk->data, e->b, e->len);
}

static inline void pack_key(msgpack_packer *pk, enum vkey k)
{
	pack_enc(pk, &key_enc[k]);
}

/* An enum's name, as sl_verdict_name / sl_tier_name give it; a value out
 * of range is packed as they name it (the table covers every value). */
static inline void pack_verdict_name(msgpack_packer *pk, uint8_t v)
{
	if (v < SL_VERDICT__COUNT)
		pack_enc(pk, &verdict_enc[v]);
	else
		pack_cstr(pk, sl_verdict_name(v));
}

static inline void pack_tier_name(msgpack_packer *pk, uint8_t t)
{
	if (t < SL_TIER__COUNT)
		pack_enc(pk, &tier_enc[t]);
	else
		pack_cstr(pk, sl_tier_name(t));
}

int sl_verdict_to_msgpack(const sl_verdict_t *v, void *buf, size_t cap)
{
	struct fixed_buf f = {.p = buf, .cap = cap};
	msgpack_packer pk;
	/* decl_id verdict status score tier reasons sampled ruleset registry */
	size_t n_keys = 9;
	unsigned i;

	pthread_once(&penc_once, penc_build);
	msgpack_packer_init(&pk, &f, fixed_write);
	n_keys += !v->has_decl_id;	  /* line */
	n_keys += v->n_dropped ? 1 : 0;	  /* reasons_dropped */
	n_keys += v->error.code != SL_OK; /* error */
	msgpack_pack_map(&pk, n_keys);
	pack_key(&pk, K_DECL_ID);
	if (v->has_decl_id)
		pack_cstr(&pk, v->decl_id);
	else
		msgpack_pack_nil(&pk);
	if (!v->has_decl_id) {
		pack_key(&pk, K_LINE);
		msgpack_pack_uint64(&pk, v->line);
	}
	pack_key(&pk, K_VERDICT);
	pack_verdict_name(&pk, v->verdict);
	pack_key(&pk, K_STATUS);
	msgpack_pack_uint16(&pk, sl_verdict_status(v->verdict));
	pack_key(&pk, K_SCORE);
	msgpack_pack_int32(&pk, v->score);
	pack_key(&pk, K_TIER);
	pack_tier_name(&pk, v->tier);
	pack_key(&pk, K_REASONS);
	msgpack_pack_array(&pk, v->n_reasons);
	for (i = 0; i < v->n_reasons; i++) {
		const sl_reason_t *r = &v->reasons[i];

		msgpack_pack_map(&pk, 2 + (r->field[0] != '\0') +
					  (r->action != SL_VERDICT_RELEASE));
		pack_key(&pk, K_RULE);
		pack_cstr(&pk, r->rule);
		if (r->field[0]) {
			pack_key(&pk, K_FIELD);
			pack_cstr(&pk, r->field);
		}
		pack_key(&pk, K_POINTS);
		msgpack_pack_int32(&pk, r->points);
		if (r->action != SL_VERDICT_RELEASE) {
			pack_key(&pk, K_ACTION);
			pack_verdict_name(&pk, r->action);
		}
	}
	if (v->n_dropped) {
		pack_key(&pk, K_REASONS_DROPPED);
		msgpack_pack_uint8(&pk, v->n_dropped);
	}
	pack_key(&pk, K_SAMPLED);
	if (v->sampled)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	if (v->error.code != SL_OK) {
		pack_key(&pk, K_ERROR);
		msgpack_pack_map(&pk, 2 + (v->error.field[0] != '\0'));
		pack_key(&pk, K_CODE);
		pack_cstr(&pk, sl_errcode_name(v->error.code));
		if (v->error.field[0]) {
			pack_key(&pk, K_FIELD);
			pack_cstr(&pk, v->error.field);
		}
		pack_key(&pk, K_MESSAGE);
		pack_cstr(&pk, v->error.message);
	}
	pack_key(&pk, K_RULESET);
	pack_cstr(&pk, v->ruleset);
	pack_key(&pk, K_REGISTRY);
	pack_cstr(&pk, v->registry);
	return f.full ? -ENOSPC : (int)f.len;
}

static bool key_is(const msgpack_object *k, const char *s)
{
	size_t n = strlen(s);

	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	       !memcmp(k->via.str.ptr, s, n);
}

static void obj_str(const msgpack_object *o, char *dst, size_t cap)
{
	size_t n;

	if (o->type != MSGPACK_OBJECT_STR) {
		dst[0] = '\0';
		return;
	}
	n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
	memcpy(dst, o->via.str.ptr, n);
	dst[n] = '\0';
}

static int64_t obj_int(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return (int64_t)o->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return o->via.i64;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return (int64_t)o->via.f64;
	default:
		return 0;
	}
}

static int verdict_from_object(const msgpack_object *o, sl_verdict_t *v)
{
	char name[32];
	uint32_t i, j;
	int k;

	sl_verdict_init(v);
	if (o->type != MSGPACK_OBJECT_MAP)
		return -EBADMSG;
	v->verdict = UINT8_MAX;
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *key = &o->via.map.ptr[i].key;
		const msgpack_object *val = &o->via.map.ptr[i].val;

		if (key_is(key, "decl_id")) {
			v->has_decl_id = val->type == MSGPACK_OBJECT_STR;
			obj_str(val, v->decl_id, sizeof(v->decl_id));
		} else if (key_is(key, "line")) {
			v->line = (uint64_t)obj_int(val);
		} else if (key_is(key, "verdict")) {
			obj_str(val, name, sizeof(name));
			k = verdict_kind_from(name);
			if (k < 0)
				return -EBADMSG;
			v->verdict = (uint8_t)k;
		} else if (key_is(key, "score")) {
			v->score = (int32_t)obj_int(val);
		} else if (key_is(key, "tier")) {
			obj_str(val, name, sizeof(name));
			k = tier_from(name);
			v->tier = k < 0 ? SL_TIER_UNKNOWN : (uint8_t)k;
		} else if (key_is(key, "sampled")) {
			v->sampled = val->type == MSGPACK_OBJECT_BOOLEAN &&
				     val->via.boolean;
		} else if (key_is(key, "reasons_dropped")) {
			v->n_dropped = (uint8_t)obj_int(val);
		} else if (key_is(key, "ruleset")) {
			obj_str(val, v->ruleset, sizeof(v->ruleset));
		} else if (key_is(key, "registry")) {
			obj_str(val, v->registry, sizeof(v->registry));
		} else if (key_is(key, "reasons") &&
			   val->type == MSGPACK_OBJECT_ARRAY) {
			for (j = 0; j < val->via.array.size; j++) {
				const msgpack_object *r =
				    &val->via.array.ptr[j];
				char rule[SL_RULE_ID_MAX] = "";
				char field[SL_ERR_FIELD_MAX] = "";
				int32_t pts = 0;
				int act = SL_VERDICT_RELEASE;
				uint32_t m;

				if (r->type != MSGPACK_OBJECT_MAP)
					return -EBADMSG;
				for (m = 0; m < r->via.map.size; m++) {
					const msgpack_object *rk =
					    &r->via.map.ptr[m].key;
					const msgpack_object *rv =
					    &r->via.map.ptr[m].val;

					if (key_is(rk, "rule"))
						obj_str(rv, rule, sizeof(rule));
					else if (key_is(rk, "field"))
						obj_str(rv, field,
							sizeof(field));
					else if (key_is(rk, "points"))
						pts = (int32_t)obj_int(rv);
					else if (key_is(rk, "action")) {
						obj_str(rv, name, sizeof(name));
						act = verdict_kind_from(name);
						if (act < 0)
							act =
							    SL_VERDICT_RELEASE;
					}
				}
				sl_verdict_add_reason(v, rule, field, pts,
						      (uint8_t)act);
			}
		} else if (key_is(key, "error") &&
			   val->type == MSGPACK_OBJECT_MAP) {
			for (j = 0; j < val->via.map.size; j++) {
				const msgpack_object *ek =
				    &val->via.map.ptr[j].key;
				const msgpack_object *ev =
				    &val->via.map.ptr[j].val;

				if (key_is(ek, "code")) {
					obj_str(ev, name, sizeof(name));
					k = errcode_from(name);
					v->error.code =
					    (uint16_t)(k < 0 ? 0 : k);
				} else if (key_is(ek, "field")) {
					obj_str(ev, v->error.field,
						sizeof(v->error.field));
				} else if (key_is(ek, "message")) {
					obj_str(ev, v->error.message,
						sizeof(v->error.message));
				}
			}
		}
	}
	return v->verdict == UINT8_MAX ? -EBADMSG : 0;
}

int sl_verdict_from_msgpack(const void *buf, size_t len, size_t *used,
			    sl_verdict_t *v)
{
	msgpack_zone zone;
	msgpack_object obj;
	size_t off = 0;
	int rc;

	*used = 0;
	if (!msgpack_zone_init(&zone, 4096))
		return -ENOMEM;
	rc = msgpack_unpack(buf, len, &off, &zone, &obj);
	if (rc == MSGPACK_UNPACK_SUCCESS || rc == MSGPACK_UNPACK_EXTRA_BYTES) {
		rc = verdict_from_object(&obj, v);
		if (rc == 0)
			*used = off;
	} else {
		rc = -EBADMSG;
	}
	msgpack_zone_destroy(&zone);
	return rc;
}
