/* sluice-gen — per-record scratch, JSON trees and their two encodings.
 *
 * A record is built as a tree of cJSON nodes taken from a pool, then
 * printed by cJSON (JSON lines) or walked into msgpack-c's packer
 * (MessagePack): one tree, two encodings, so both outputs of a seed
 * describe the same declarations.  Control plane (a tool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		/* splitmix64 */
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

uint32_t gen_wsel_pick(const struct gen_wsel *w, struct gen_rng *r)
{
	double x = gen_unit(r) * w->cum[w->n - 1];
	uint32_t lo = 0, hi = w->n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (w->cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return w->idx ? w->idx[lo] : lo;
}

/* ------------------------------------------------------------ scratch */

static void scratch_full(const char *what)
{
	fprintf(stderr,
		"sluice-gen: internal error: record scratch full (%s)\n", what);
	abort();
}

char *gs_alloc(struct gen_scratch *s, size_t n)
{
	char *p;

	if (n > s->cap - s->used)
		scratch_full("strings");
	p = s->buf + s->used;
	s->used += n;
	return p;
}

char *gs_strndup(struct gen_scratch *s, const char *str, size_t n)
{
	char *p = gs_alloc(s, n + 1);

	memcpy(p, str, n);
	p[n] = '\0';
	return p;
}

char *gs_strdup(struct gen_scratch *s, const char *str)
{
	return gs_strndup(s, str, strlen(str));
}

char *gs_printf(struct gen_scratch *s, const char *fmt, ...)
{
	size_t room = s->cap - s->used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		scratch_full("strings");
	return gs_alloc(s, (size_t)n + 1);
}

char *gs_cat(struct gen_scratch *s, const char *a, ...)
{
	size_t room = s->cap - s->used, n = 0;
	char *out = s->buf + s->used;
	va_list ap;

	va_start(ap, a);
	for (const char *p = a; p; p = va_arg(ap, const char *)) {
		size_t l = strlen(p);

		if (l >= room - n) {
			va_end(ap);
			scratch_full("strings");
		}
		memcpy(out + n, p, l);
		n += l;
	}
	va_end(ap);
	out[n] = '\0';
	return gs_alloc(s, n + 1);
}

char *gs_uint(struct gen_scratch *s, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	char *out;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < width);
	out = gs_alloc(s, (size_t)n + 1);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return out;
}

char *gs_digits(struct gen_scratch *s, struct gen_rng *r, unsigned n)
{
	char *p = gs_alloc(s, n + 1);
	uint64_t x = 0;

	for (unsigned i = 0; i < n; i++) {
		if (i % 18 == 0)
			x = gen_rand(r);
		p[i] = (char)('0' + x % 10);
		x /= 10;
	}
	p[n] = '\0';
	return p;
}

/* -------------------------------------------------------------- nodes */

static cJSON *node(struct gen_scratch *s, int type)
{
	cJSON *n;

	if (s->n_nodes == s->cap_nodes)
		scratch_full("nodes");
	n = &s->nodes[s->n_nodes++];
	memset(n, 0, sizeof(*n));
	/* IsReference/StringIsConst: nothing here is cJSON's to free. */
	n->type = type | cJSON_IsReference;
	return n;
}

cJSON *gt_obj(struct gen_scratch *s)
{
	return node(s, cJSON_Object);
}

cJSON *gt_arr(struct gen_scratch *s)
{
	return node(s, cJSON_Array);
}

cJSON *gt_str(struct gen_scratch *s, const char *v)
{
	cJSON *n = node(s, cJSON_String);

	n->valuestring = (char *)v;
	return n;
}

cJSON *gt_raw(struct gen_scratch *s, const char *num)
{
	cJSON *n = node(s, cJSON_Raw);

	n->valuestring = (char *)num;
	return n;
}

cJSON *gt_null(struct gen_scratch *s)
{
	return node(s, cJSON_NULL);
}

cJSON *gt_bool(struct gen_scratch *s, bool v)
{
	return node(s, v ? cJSON_True : cJSON_False);
}

cJSON *gt_add(cJSON *parent, const char *key, cJSON *child)
{
	child->string = (char *)key;
	child->type |= cJSON_StringIsConst;
	child->next = NULL;
	if (!parent->child) {
		parent->child = child;
		child->prev = child;
	} else {
		/* cJSON keeps the tail in child->prev */
		cJSON *tail = parent->child->prev;

		tail->next = child;
		child->prev = tail;
		parent->child->prev = child;
	}
	return child;
}

cJSON *gt_get(cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

cJSON *gt_del(cJSON *obj, const char *key)
{
	cJSON *n = gt_get(obj, key);

	/* DetachItemViaPointer unlinks without freeing. */
	return n ? cJSON_DetachItemViaPointer(obj, n) : NULL;
}

void gt_set(cJSON *obj, const char *key, cJSON *v)
{
	cJSON *old = gt_get(obj, key);

	if (!old) {
		gt_add(obj, key, v);
		return;
	}
	/* Take over old's place in the list. */
	old->type = v->type | cJSON_StringIsConst;
	old->valuestring = v->valuestring;
	old->child = v->child;
}

/* ----------------------------------------------------------- encoders */

int gt_print_json(cJSON *root, char *buf, size_t cap, size_t *len)
{
	/* cJSON may overestimate by a few bytes; keep a margin. */
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	if (!cJSON_PrintPreallocated(root, buf, (int)cap - 8, 0))
		return -ENOSPC;
	*len = strlen(buf);
	return 0;
}

static bool integral(const char *t)
{
	const char *p = t + (*t == '-');

	if (!*p || strlen(p) > 18)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

int gt_pack(cJSON *n, msgpack_packer *pk)
{
	int rc = 0;
	uint32_t k = 0;
	cJSON *c;

	switch (n->type & 0xff) {
	case cJSON_NULL:
		return msgpack_pack_nil(pk);
	case cJSON_True:
		return msgpack_pack_true(pk);
	case cJSON_False:
		return msgpack_pack_false(pk);
	case cJSON_Raw:
		/* Integral text packs as an integer, as a typical encoder
		 * would; anything else as float64 ("1e999" becomes inf). */
		if (integral(n->valuestring))
			return msgpack_pack_int64(
			    pk, strtoll(n->valuestring, NULL, 10));
		return msgpack_pack_double(pk, strtod(n->valuestring, NULL));
	case cJSON_String: {
		size_t len = strlen(n->valuestring);

		rc = msgpack_pack_str(pk, len);
		return rc ? rc : msgpack_pack_str_body(pk, n->valuestring, len);
	}
	case cJSON_Array:
	case cJSON_Object:
		for (c = n->child; c; c = c->next)
			k++;
		rc = (n->type & 0xff) == cJSON_Array ? msgpack_pack_array(pk, k)
						     : msgpack_pack_map(pk, k);
		for (c = n->child; c && !rc; c = c->next) {
			if ((n->type & 0xff) == cJSON_Object) {
				size_t kl = strlen(c->string);

				rc = msgpack_pack_str(pk, kl);
				if (!rc)
					rc = msgpack_pack_str_body(
					    pk, c->string, kl);
			}
			if (!rc)
				rc = gt_pack(c, pk);
		}
		return rc;
	default:
		return -EINVAL;
	}
}
