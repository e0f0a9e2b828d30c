/* sluice-rulec: YAML sources into rules, conditions and text leaves.
 *
 * The language is documented in docs/rules.md.  Every error is reported
 * with the position of the node it concerns and parsing goes on, so that
 * one run shows every mistake in a file.  A YAML syntax error is the
 * exception: libfyaml cannot recover from one, so it is the only error
 * reported for that file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>
#include <utf8proc.h>

#include <sluice/decl.h>

#include "rulec-int.h"

struct pctx {
	struct sl_rulec *rc;
	const char *file; /* interned */
	char dir[4096];	  /* directory of the file, "" for none */
};

/* ----------------------------------------------------------- positions */

/* Where node n starts: its scalar token, else its first key or item. */
static struct loc nloc(struct pctx *p, struct fy_node *n)
{
	struct loc l = {p->file, 0, 0};
	void *it = NULL;

	for (int depth = 0; n && depth < 64; depth++) {
		struct fy_token *t = NULL;

		switch (fy_node_get_type(n)) {
		case FYNT_SCALAR:
			t = fy_node_get_scalar_token(n);
			if (t) {
				const struct fy_mark *m =
				    fy_token_start_mark(t);

				if (m) {
					l.line = m->line + 1;
					l.col = m->column + 1;
				}
			}
			return l;
		case FYNT_MAPPING: {
			struct fy_node_pair *pr;

			it = NULL;
			pr = fy_node_mapping_iterate(n, &it);
			n = pr ? fy_node_pair_key(pr) : NULL;
			break;
		}
		case FYNT_SEQUENCE:
			it = NULL;
			n = fy_node_sequence_iterate(n, &it);
			break;
		default:
			return l;
		}
	}
	return l;
}

/* Position of a mapping pair: its key. */
static struct loc kloc(struct pctx *p, struct fy_node_pair *pr)
{
	return nloc(p, fy_node_pair_key(pr));
}

#define ERR(p, l, ...)                                                         \
	do {                                                                   \
		struct loc l_ = (l);                                           \
		sl__rc_error((p)->rc, &l_, __VA_ARGS__);                       \
	} while (0)

/* --------------------------------------------------------------- scalars */

static bool is_scalar(struct fy_node *n)
{
	return n && fy_node_get_type(n) == FYNT_SCALAR;
}

/* The scalar's text, NUL-terminated (allocated), or NULL with an error
 * naming `what` when n is not a scalar. */
static char *scalar(struct pctx *p, struct fy_node *n, const char *what,
		    struct loc fallback)
{
	const char *s;
	size_t len;

	if (!is_scalar(n)) {
		struct loc l = n ? nloc(p, n) : fallback;

		if (!l.line)
			l = fallback;
		ERR(p, l, "%s must be a single value, not a %s", what,
		    n && fy_node_get_type(n) == FYNT_SEQUENCE ? "list"
							      : "mapping");
		return NULL;
	}
	s = fy_node_get_scalar(n, &len);
	if (!s)
		s = "", len = 0;
	if (memchr(s, '\0', len)) {
		ERR(p, nloc(p, n), "%s contains a NUL character", what);
		return NULL;
	}
	return sl__xstrndup(s, len);
}

/* Calls fn on every scalar of n, which is a scalar or a list of scalars. */
typedef void (*each_fn)(struct pctx *p, const char *s, struct loc l, void *arg);
static void each_scalar(struct pctx *p, struct fy_node *n, const char *what,
			struct loc fallback, each_fn fn, void *arg)
{
	void *it = NULL;
	struct fy_node *x;

	if (!n || fy_node_get_type(n) == FYNT_SCALAR) {
		char *s = scalar(p, n, what, fallback);

		if (s)
			fn(p, s, n ? nloc(p, n) : fallback, arg);
		free(s);
		return;
	}
	if (fy_node_get_type(n) != FYNT_SEQUENCE) {
		ERR(p, nloc(p, n), "%s must be a value or a list of values",
		    what);
		return;
	}
	if (fy_node_sequence_item_count(n) == 0)
		ERR(p, fallback, "%s is an empty list", what);
	while ((x = fy_node_sequence_iterate(n, &it))) {
		char *s = scalar(p, x, what, fallback);

		if (s)
			fn(p, s, nloc(p, x), arg);
		free(s);
	}
}

static bool key_is(struct fy_node_pair *pr, const char *k, const char **out)
{
	size_t len;
	const char *s = fy_node_get_scalar(fy_node_pair_key(pr), &len);

	if (!s)
		return false;
	*out = s;
	return strlen(k) == len && memcmp(k, s, len) == 0;
}

/* The key of pr as a NUL-terminated string in buf. */
static const char *key_str(struct fy_node_pair *pr, char *buf, size_t cap)
{
	size_t len = 0;
	const char *s = fy_node_get_scalar(fy_node_pair_key(pr), &len);

	if (!s)
		s = "?", len = 1;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static bool parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* ---------------------------------------------------------------- nodes */

static uint32_t new_node(struct sl_rulec *rc, uint8_t kind, struct loc l)
{
	struct node n = {.kind = kind, .loc = l};

	vec_push(&rc->nodes, n);
	return (uint32_t)(rc->nodes.n - 1);
}

#define BAD UINT32_MAX

/* A parent over kids (already created, so they precede it). */
static uint32_t new_parent(struct sl_rulec *rc, uint8_t kind, struct loc l,
			   const uint32_t *kids, size_t n)
{
	uint32_t id = new_node(rc, kind, l);

	for (size_t i = 0; i < n; i++)
		vec_push(&rc->nodes.v[id].kids, kids[i]);
	return id;
}

/* ----------------------------------------------------------- text leaf */

static const struct {
	const char *name;
	uint32_t fields;
} field_names[] = {
#define X(id, name, item, idx, max) {name, 1u << SL__TF_##id},
    SL__TEXT_FIELDS(X)
#undef X
	{"item", SL__TF_ITEM_MASK},
    {"sender", (1u << SL__TF_SENDER_NAME) | (1u << SL__TF_SENDER_ADDRESS)},
    {"consignee", (1u << SL__TF_CONS_NAME) | (1u << SL__TF_CONS_ADDRESS)},
    {"parties", SL__TF_ALL_MASK & ~SL__TF_ITEM_MASK},
    {"any", SL__TF_ALL_MASK},
};

static void add_field(struct pctx *p, const char *s, struct loc l, void *arg)
{
	uint32_t *fields = arg;

	for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]);
	     i++)
		if (!strcmp(s, field_names[i].name)) {
			*fields |= field_names[i].fields;
			return;
		}
	ERR(p, l,
	    "unknown field '%s' (text fields: item.name, item.model, "
	    "item.brand, item, sender.name, sender.address, sender, "
	    "consignee.name, consignee.address, consignee, buyer.name, "
	    "ebc.name, ebp.name, logistics.name, parties, any)",
	    s);
}

struct term_arg {
	struct leaf *leaf;
	uint8_t kind, role, exact;
};

static void add_term(struct pctx *p, const char *s, struct loc l, void *arg)
{
	struct term_arg *a = arg;
	struct term t = {.text = sl__xstrdup(s),
			 .loc = l,
			 .kind = a->kind,
			 .role = a->role,
			 .exact = a->exact};

	vec_push(&a->leaf->terms, t);
}

static void add_listref(struct pctx *p, const char *s, struct loc l, void *arg)
{
	struct term_arg *a = arg;
	struct listref r = {.name = sl__xstrdup(s),
			    .loc = l,
			    .role = a->role,
			    .exact = a->exact};

	vec_push(&a->leaf->lists, r);
}

static uint32_t parse_match(struct pctx *p, struct fy_node *n, struct loc at,
			    uint32_t rule)
{
	struct sl_rulec *rc = p->rc;
	struct leaf lf = {.loc = at, .rule = rule};
	struct term_arg ta = {.leaf = &lf};
	bool positive = false, bad = false;
	uint32_t id, leaf;
	void *it = NULL;
	struct fy_node_pair *pr;

	if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
		/* shorthand: `match: 象牙` or `match: [象牙, ivory]` */
		ta.kind = TK_TERM;
		ta.role = SL__ROLE_TERM;
		each_scalar(p, n, "match", at, add_term, &ta);
		positive = lf.terms.n > 0;
	} else {
		while ((pr = fy_node_mapping_iterate(n, &it))) {
			struct fy_node *v = fy_node_pair_value(pr);
			struct loc kl = kloc(p, pr);
			const char *k;
			char kb[64];

			if (key_is(pr, "fields", &k)) {
				each_scalar(p, v, "fields", kl, add_field,
					    &lf.fields);
				if (!lf.fields)
					bad = true;
				continue;
			}
			ta.exact = 0;
			if (key_is(pr, "terms", &k)) {
				ta.kind = TK_TERM, ta.role = SL__ROLE_TERM;
				each_scalar(p, v, "terms", kl, add_term, &ta);
				positive = true;
			} else if (key_is(pr, "exact", &k)) {
				ta.kind = TK_TERM, ta.role = SL__ROLE_TERM;
				ta.exact = 1;
				each_scalar(p, v, "exact", kl, add_term, &ta);
				positive = true;
			} else if (key_is(pr, "regex", &k)) {
				ta.kind = TK_REGEX, ta.role = SL__ROLE_TERM;
				each_scalar(p, v, "regex", kl, add_term, &ta);
				positive = true;
			} else if (key_is(pr, "unless", &k)) {
				ta.kind = TK_TERM, ta.role = SL__ROLE_UNLESS;
				each_scalar(p, v, "unless", kl, add_term, &ta);
			} else if (key_is(pr, "unless_regex", &k)) {
				ta.kind = TK_REGEX, ta.role = SL__ROLE_UNLESS;
				each_scalar(p, v, "unless_regex", kl, add_term,
					    &ta);
			} else if (key_is(pr, "terms_from", &k)) {
				ta.role = SL__ROLE_TERM;
				each_scalar(p, v, "terms_from", kl, add_listref,
					    &ta);
				positive = true;
			} else if (key_is(pr, "exact_from", &k)) {
				ta.role = SL__ROLE_TERM;
				ta.exact = 1;
				each_scalar(p, v, "exact_from", kl, add_listref,
					    &ta);
				positive = true;
			} else if (key_is(pr, "unless_from", &k)) {
				ta.role = SL__ROLE_UNLESS;
				each_scalar(p, v, "unless_from", kl,
					    add_listref, &ta);
			} else {
				ERR(p, kl,
				    "unknown key '%s' in match (expected "
				    "fields, terms, exact, regex, unless, "
				    "unless_regex, terms_from, exact_from, "
				    "unless_from)",
				    key_str(pr, kb, sizeof(kb)));
				bad = true;
			}
		}
	}
	if (!positive) {
		ERR(p, at,
		    "match has nothing to look for: give it terms, "
		    "regex or terms_from");
		bad = true;
	}
	if (!lf.fields)
		lf.fields = SL__TF_ITEM_MASK;
	vec_push(&rc->leaves, lf);
	leaf = (uint32_t)(rc->leaves.n - 1);
	id = new_node(rc, SL__N_TEXT, at);
	rc->nodes.v[id].leaf = leaf;
	return bad ? BAD : id;
}

/* ----------------------------------------------------------- predicates */

struct vals_arg {
	uint32_t node;
	int kind; /* SL__N_HS: HS prefixes, else countries */
};

static void add_val(struct pctx *p, const char *s, struct loc l, void *arg)
{
	struct vals_arg *a = arg;
	struct node *n = &p->rc->nodes.v[a->node];
	uint64_t key;

	if (a->kind == SL__N_HS) {
		if (sl__parse_hs(s, strlen(s), &key)) {
			ERR(p, l,
			    "'%s' is not an HS code prefix (1 to 10 digits; "
			    "quote it to keep leading zeros)",
			    s);
			return;
		}
	} else {
		if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
		    s[1] > 'Z') {
			ERR(p, l,
			    "'%s' is not a country code (ISO 3166-1 alpha-2, "
			    "upper case, e.g. JP)",
			    s);
			return;
		}
		key = SL_COUNTRY(s[0], s[1]);
		if (!sl__rc_country_ok(p->rc, (sl_country_t)key)) {
			ERR(p, l, "unknown country code '%s' (ISO 3166-1)", s);
			return;
		}
	}
	vec_push(&n->vals, key);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sorts and de-duplicates a value list (the matcher binary-searches). */
static void sort_vals(struct node *n)
{
	size_t w = 0;

	if (n->vals.n) /* qsort(NULL, 0) is undefined (UBSan) */
		qsort(n->vals.v, n->vals.n, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < n->vals.n; i++)
		if (!w || n->vals.v[w - 1] != n->vals.v[i])
			n->vals.v[w++] = n->vals.v[i];
	n->vals.n = w;
}

static uint32_t parse_vals(struct pctx *p, struct fy_node *v, struct loc kl,
			   uint8_t kind, const char *what)
{
	uint32_t id = new_node(p->rc, kind, kl);
	struct vals_arg a = {.node = id, .kind = kind};
	unsigned before = p->rc->errors;

	each_scalar(p, v, what, kl, add_val, &a);
	sort_vals(&p->rc->nodes.v[id]);
	if (p->rc->errors != before || p->rc->nodes.v[id].vals.n == 0)
		return BAD;
	return id;
}

static uint32_t parse_listref(struct pctx *p, struct fy_node *v, struct loc kl,
			      uint8_t kind, const char *what)
{
	char *s = scalar(p, v, what, kl);
	uint32_t id;

	if (!s)
		return BAD;
	id = new_node(p->rc, kind, v ? nloc(p, v) : kl);
	p->rc->nodes.v[id].list = s;
	return id;
}

struct mask_arg {
	int64_t mask;
	const char *const *names;
	unsigned n;
	const char *what;
};

static void add_mask(struct pctx *p, const char *s, struct loc l, void *arg)
{
	struct mask_arg *a = arg;

	for (unsigned i = 0; i < a->n; i++)
		if (a->names[i] && !strcmp(s, a->names[i])) {
			a->mask |= INT64_C(1) << i;
			return;
		}
	ERR(p, l, "unknown %s '%s'", a->what, s);
}

static const char *const flow_names[] = {[SL_FLOW_NONE] = NULL,
#define X(id, name) [SL_FLOW_##id] = name,
					 SL_FLOWS(X)
#undef X
};
static const char *const tm_names[] = {[SL_TM_NONE] = NULL,
#define X(id, name) [SL_TM_##id] = name,
				       SL_TRADE_MODES(X)
#undef X
};
static const char *const cat_names[] = {[SL_CAT_NONE] = NULL,
#define X(id, name) [SL_CAT_##id] = name,
					SL_CATEGORIES(X)
#undef X
};

static uint32_t parse_mask(struct pctx *p, struct fy_node *v, struct loc kl,
			   uint8_t kind, const char *const *names, unsigned n,
			   const char *what)
{
	struct mask_arg a = {0, names, n, what};
	unsigned before = p->rc->errors;
	uint32_t id;

	each_scalar(p, v, what, kl, add_mask, &a);
	if (p->rc->errors != before || !a.mask)
		return BAD;
	id = new_node(p->rc, kind, kl);
	p->rc->nodes.v[id].value = a.mask;
	return id;
}

static const struct {
	const char *name;
	uint8_t op;
} op_names[] = {
    {"lt", SL__OP_LT},	    {"below", SL__OP_LT},    {"le", SL__OP_LE},
    {"at_most", SL__OP_LE}, {"gt", SL__OP_GT},	     {"above", SL__OP_GT},
    {"ge", SL__OP_GE},	    {"at_least", SL__OP_GE},
};

static uint32_t parse_num(struct pctx *p, struct fy_node *v, struct loc kl,
			  uint8_t subject, const char *what)
{
	uint32_t kids[8];
	size_t nk = 0;
	bool bad = false;
	void *it = NULL;
	struct fy_node_pair *pr;

	if (!v || fy_node_get_type(v) != FYNT_MAPPING) {
		ERR(p, v ? nloc(p, v) : kl,
		    "%s takes a comparison such as {below: 100} (below, "
		    "above, at_most, at_least, lt, le, gt, ge)",
		    what);
		return BAD;
	}
	while ((pr = fy_node_mapping_iterate(v, &it))) {
		struct loc l = kloc(p, pr);
		char kb[64], *num;
		int64_t val;
		size_t i;

		key_str(pr, kb, sizeof(kb));
		for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (!strcmp(kb, op_names[i].name))
				break;
		if (i == sizeof(op_names) / sizeof(op_names[0])) {
			ERR(p, l,
			    "unknown comparison '%s' (below, above, at_most, "
			    "at_least, lt, le, gt, ge)",
			    kb);
			bad = true;
			continue;
		}
		num = scalar(p, fy_node_pair_value(pr), what, l);
		if (!num) {
			bad = true;
			continue;
		}
		if (sl__parse_fixed(num, &val) || val < 0) {
			ERR(p, nloc(p, fy_node_pair_value(pr)),
			    "'%s' is not a number >= 0 with at most 5 "
			    "decimals",
			    num);
			bad = true;
		} else if (nk < 8) {
			uint32_t id = new_node(p->rc, SL__N_NUM, l);

			p->rc->nodes.v[id].op = op_names[i].op;
			p->rc->nodes.v[id].subject = subject;
			p->rc->nodes.v[id].value = val;
			kids[nk++] = id;
		}
		free(num);
	}
	if (bad || nk == 0) {
		if (!bad)
			ERR(p, kl, "%s has no comparison", what);
		return BAD;
	}
	return nk == 1 ? kids[0] : new_parent(p->rc, SL__N_ALL, kl, kids, nk);
}

static uint32_t parse_band(struct pctx *p, struct fy_node *v, struct loc kl)
{
	int64_t pct = 100;
	char *list = NULL;
	uint32_t id;

	if (is_scalar(v)) {
		list = scalar(p, v, "below_band", kl);
	} else if (v && fy_node_get_type(v) == FYNT_MAPPING) {
		void *it = NULL;
		struct fy_node_pair *pr;

		while ((pr = fy_node_mapping_iterate(v, &it))) {
			const char *k;
			char kb[64];

			if (key_is(pr, "list", &k)) {
				free(list);
				list = scalar(p, fy_node_pair_value(pr),
					      "below_band list", kloc(p, pr));
			} else if (key_is(pr, "percent", &k)) {
				char *s = scalar(p, fy_node_pair_value(pr),
						 "percent", kloc(p, pr));
				long x;

				if (s && !parse_int(s, 1, 1000, &x))
					ERR(p, nloc(p, fy_node_pair_value(pr)),
					    "percent must be a whole number "
					    "from 1 to 1000");
				else if (s)
					pct = x;
				free(s);
			} else {
				ERR(p, kloc(p, pr),
				    "unknown key '%s' in below_band (expected "
				    "list, percent)",
				    key_str(pr, kb, sizeof(kb)));
			}
		}
		if (!list)
			ERR(p, kl, "below_band needs a list of price bands");
	} else {
		ERR(p, kl,
		    "below_band takes the name of a bands list, or {list: "
		    "NAME, percent: N}");
	}
	if (!list)
		return BAD;
	id = new_node(p->rc, SL__N_BAND, kl);
	p->rc->nodes.v[id].list = list;
	p->rc->nodes.v[id].value = pct;
	return id;
}

static uint32_t parse_cond(struct pctx *p, struct fy_node *n, struct loc at,
			   uint32_t rule, int depth);

static uint32_t parse_seq_cond(struct pctx *p, struct fy_node *v, struct loc kl,
			       uint8_t kind, uint32_t rule, int depth)
{
	VEC(uint32_t) kids = {0};
	bool bad = false;
	void *it = NULL;
	struct fy_node *x;
	uint32_t id;

	if (!v || fy_node_get_type(v) != FYNT_SEQUENCE ||
	    fy_node_sequence_item_count(v) == 0) {
		ERR(p, kl, "%s takes a non-empty list of conditions",
		    kind == SL__N_ALL ? "all" : "any");
		return BAD;
	}
	while ((x = fy_node_sequence_iterate(v, &it))) {
		uint32_t c = parse_cond(p, x, nloc(p, x), rule, depth + 1);

		if (c == BAD)
			bad = true;
		else
			vec_push(&kids, c);
	}
	id = bad ? BAD : new_parent(p->rc, kind, kl, kids.v, kids.n);
	vec_free(&kids);
	return id;
}

static uint32_t parse_cond(struct pctx *p, struct fy_node *n, struct loc at,
			   uint32_t rule, int depth)
{
	VEC(uint32_t) kids = {0};
	bool bad = false;
	void *it = NULL;
	struct fy_node_pair *pr;
	uint32_t id;

	if (depth > SL__DEPTH_MAX / 2) {
		ERR(p, at, "conditions nested deeper than %d",
		    SL__DEPTH_MAX / 2);
		return BAD;
	}
	if (!n || fy_node_get_type(n) != FYNT_MAPPING ||
	    fy_node_mapping_item_count(n) == 0) {
		ERR(p, n && nloc(p, n).line ? nloc(p, n) : at,
		    "a condition is a mapping such as {hs: [8517]}, "
		    "{match: {terms: [...]}} or {any: [...]}");
		return BAD;
	}
	while ((pr = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = kloc(p, pr);
		const char *k;
		char kb[64];
		uint32_t c = BAD;

		if (key_is(pr, "all", &k))
			c = parse_seq_cond(p, v, kl, SL__N_ALL, rule, depth);
		else if (key_is(pr, "any", &k))
			c = parse_seq_cond(p, v, kl, SL__N_ANY, rule, depth);
		else if (key_is(pr, "not", &k)) {
			c = parse_cond(p, v, kl, rule, depth + 1);
			if (c != BAD)
				c = new_parent(p->rc, SL__N_NOT, kl, &c, 1);
		} else if (key_is(pr, "match", &k))
			c = parse_match(p, v, kl, rule);
		else if (key_is(pr, "hs", &k))
			c = parse_vals(p, v, kl, SL__N_HS, "hs");
		else if (key_is(pr, "hs_list", &k))
			c = parse_listref(p, v, kl, SL__N_HS, "hs_list");
		else if (key_is(pr, "origin", &k))
			c = parse_vals(p, v, kl, SL__N_ORIGIN, "origin");
		else if (key_is(pr, "origin_list", &k))
			c = parse_listref(p, v, kl, SL__N_ORIGIN,
					  "origin_list");
		else if (key_is(pr, "sender_country", &k))
			c = parse_vals(p, v, kl, SL__N_SENDER_COUNTRY,
				       "sender_country");
		else if (key_is(pr, "sender_country_list", &k))
			c = parse_listref(p, v, kl, SL__N_SENDER_COUNTRY,
					  "sender_country_list");
		else if (key_is(pr, "flow", &k))
			c = parse_mask(p, v, kl, SL__N_FLOW, flow_names,
				       SL_FLOW__COUNT, "flow");
		else if (key_is(pr, "trade_mode", &k))
			c = parse_mask(p, v, kl, SL__N_TRADE_MODE, tm_names,
				       SL_TM__COUNT, "trade_mode");
		else if (key_is(pr, "category", &k))
			c = parse_mask(p, v, kl, SL__N_CATEGORY, cat_names,
				       SL_CAT__COUNT, "category");
		else if (key_is(pr, "below_band", &k))
			c = parse_band(p, v, kl);
		else {
			int s;

			key_str(pr, kb, sizeof(kb));
#define X(id, name, item, path, money)                                         \
	if (!strcmp(kb, name))                                                 \
		s = SL__NS_##id;                                               \
	else
			SL__NUM_SUBJECTS(X)
#undef X
			s = -1;
			if (s >= 0) {
				c = parse_num(p, v, kl, (uint8_t)s, kb);
			} else {
				ERR(p, kl,
				    "unknown condition '%s' (expected all, "
				    "any, not, match, hs, hs_list, origin, "
				    "origin_list, sender_country, "
				    "sender_country_list, flow, trade_mode, "
				    "category, below_band, unit_price, "
				    "item_value, quantity, goods_value, "
				    "gross_weight, net_weight, items)",
				    kb);
			}
		}
		if (c == BAD)
			bad = true;
		else
			vec_push(&kids, c);
	}
	if (bad)
		id = BAD;
	else if (kids.n == 1)
		id = kids.v[0];
	else
		id = new_parent(p->rc, SL__N_ALL, at, kids.v, kids.n);
	vec_free(&kids);
	return id;
}

/* --------------------------------------------------------------- rules */

static bool id_ok(const char *s)
{
	size_t n = strlen(s);
	bool dot = false;

	if (n == 0 || n >= SL_RULE_ID_MAX || s[0] < 'A' || s[0] > 'Z' ||
	    s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (s[i + 1] == '.')
				return false;
			dot = true;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == '_')) {
			return false;
		}
	}
	return dot;
}

static void parse_rule(struct pctx *p, struct fy_node *n)
{
	struct sl_rulec *rc = p->rc;
	struct rule r = {.root = BAD, .action = SL_VERDICT_RELEASE};
	struct loc at = nloc(p, n);
	struct fy_node *match = NULL, *when = NULL;
	struct loc match_l = at, when_l = at;
	bool have_action = false, have_points = false;
	unsigned before = rc->errors;
	void *it = NULL;
	struct fy_node_pair *pr;
	uint32_t idx = (uint32_t)rc->rules.n;

	r.loc = at;
	if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
		ERR(p, at,
		    "a rule is a mapping with id, title, source, "
		    "action or points, and match or when");
		return;
	}
	while ((pr = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = kloc(p, pr);
		const char *k;
		char kb[64];

		if (key_is(pr, "id", &k)) {
			free(r.id);
			r.id = scalar(p, v, "id", kl);
			if (r.id && !id_ok(r.id)) {
				ERR(p, nloc(p, v),
				    "rule id '%s' must be namespaced upper "
				    "case, like PROHIBITED.WEAPONS.FIREARM "
				    "(A-Z, 0-9, _, dots; under %d bytes)",
				    r.id, SL_RULE_ID_MAX);
			} else if (r.id && (!strncmp(r.id, "RANDOM.", 7) ||
					    !strncmp(r.id, "ENGINE.", 7) ||
					    !strncmp(r.id, "LIMIT.", 6) ||
					    !strncmp(r.id, "TIER.", 5))) {
				ERR(p, nloc(p, v),
				    "rule id '%s' is in a namespace the engine "
				    "reserves for its own reasons (RANDOM., "
				    "ENGINE., LIMIT., TIER.)",
				    r.id);
			}
		} else if (key_is(pr, "title", &k)) {
			free(r.title);
			r.title = scalar(p, v, "title", kl);
		} else if (key_is(pr, "source", &k)) {
			free(r.source);
			r.source = scalar(p, v, "source", kl);
		} else if (key_is(pr, "action", &k)) {
			char *s = scalar(p, v, "action", kl);

			have_action = true;
			if (s && !strcmp(s, "seize"))
				r.action = SL_VERDICT_SEIZE;
			else if (s && !strcmp(s, "inspect"))
				r.action = SL_VERDICT_INSPECT;
			else if (s && !strcmp(s, "hold"))
				r.action = SL_VERDICT_HOLD;
			else if (s)
				ERR(p, nloc(p, v),
				    "unknown action '%s' (seize, inspect, "
				    "hold; a rule never releases)",
				    s);
			free(s);
		} else if (key_is(pr, "points", &k)) {
			char *s = scalar(p, v, "points", kl);
			long x = 0;

			have_points = true;
			if (s && (!parse_int(s, -1000, 1000, &x) || x == 0))
				ERR(p, nloc(p, v),
				    "points must be a whole number from -1000 "
				    "to 1000, not 0");
			r.points = (int32_t)x;
			free(s);
		} else if (key_is(pr, "match", &k)) {
			match = v;
			match_l = kl;
		} else if (key_is(pr, "when", &k)) {
			when = v;
			when_l = kl;
		} else if (key_is(pr, "note", &k) || key_is(pr, "notes", &k)) {
			/* free text for the officers; not compiled */
		} else {
			ERR(p, kl,
			    "unknown rule key '%s' (expected id, title, "
			    "source, action, points, match, when, note)",
			    key_str(pr, kb, sizeof(kb)));
		}
	}
	if (!r.id)
		ERR(p, at, "rule has no id");
	if (!r.title || !*r.title)
		ERR(p, at, "rule %s has no title", r.id ? r.id : "");
	if (!r.source || !*r.source)
		ERR(p, at,
		    "rule %s has no source (name the list or regulation it "
		    "comes from)",
		    r.id ? r.id : "");
	if (have_action && have_points)
		ERR(p, at,
		    "rule %s has both action and points; give it one of "
		    "them",
		    r.id ? r.id : "");
	else if (!have_action && !have_points)
		ERR(p, at, "rule %s has neither action nor points",
		    r.id ? r.id : "");
	if (r.id) {
		for (size_t i = 0; i < rc->rules.n; i++)
			if (rc->rules.v[i].id &&
			    !strcmp(rc->rules.v[i].id, r.id)) {
				const struct loc *f = &rc->rules.v[i].loc;

				ERR(p, at,
				    "duplicate rule id '%s' (first defined at "
				    "%s:%d:%d)",
				    r.id, f->file, f->line, f->col);
				break;
			}
	}
	if (!match && !when) {
		ERR(p, at, "rule %s has no condition: give it match or when",
		    r.id ? r.id : "");
	} else {
		uint32_t kids[2], nk = 0, c;

		if (match) {
			c = parse_match(p, match, match_l, idx);
			if (c != BAD)
				kids[nk++] = c;
		}
		if (when) {
			c = parse_cond(p, when, when_l, idx, 0);
			if (c != BAD)
				kids[nk++] = c;
		}
		if (rc->errors == before)
			r.root = nk == 1
				     ? kids[0]
				     : new_parent(rc, SL__N_ALL, at, kids, nk);
	}
	if (rc->errors != before)
		r.root = BAD;
	vec_push(&rc->rules, r);
}

/* --------------------------------------------------------------- lists */

static const char *const list_kinds[LK__COUNT] = {[LK_HS] = "hs",
						  [LK_BANDS] = "bands",
						  [LK_TERMS] = "terms",
						  [LK_COUNTRIES] = "countries"};

static void parse_lists(struct pctx *p, struct fy_node *n, struct loc at)
{
	struct sl_rulec *rc = p->rc;
	void *it = NULL;
	struct fy_node_pair *pr;

	if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
		ERR(p, at,
		    "lists is a mapping of NAME: {kind: ..., file: ...}");
		return;
	}
	while ((pr = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *v = fy_node_pair_value(pr);
		struct list l = {.kind = LK__COUNT, .loc = kloc(p, pr)};
		char name[128];
		void *it2 = NULL;
		struct fy_node_pair *q;
		bool ok = true;

		key_str(pr, name, sizeof(name));
		for (const char *c = name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') ||
			      (*c >= '0' && *c <= '9') || *c == '_'))
				ok = false;
		if (!ok || !*name) {
			ERR(p, l.loc,
			    "list name '%s' must be lower case letters, digits "
			    "and _",
			    name);
			continue;
		}
		if (sl__rc_list_find(rc, name)) {
			const struct loc *f = &sl__rc_list_find(rc, name)->loc;

			ERR(p, l.loc,
			    "duplicate list '%s' (first defined at %s:%d:%d)",
			    name, f->file, f->line, f->col);
			continue;
		}
		if (!v || fy_node_get_type(v) != FYNT_MAPPING) {
			ERR(p, l.loc,
			    "list '%s' must be a mapping {kind: hs|bands|terms|"
			    "countries, file: PATH}",
			    name);
			continue;
		}
		while ((q = fy_node_mapping_iterate(v, &it2))) {
			const char *k;
			char kb[64];

			if (key_is(q, "kind", &k)) {
				char *s = scalar(p, fy_node_pair_value(q),
						 "kind", kloc(p, q));

				for (int i = 0; s && i < LK__COUNT; i++)
					if (!strcmp(s, list_kinds[i]))
						l.kind = (uint8_t)i;
				if (s && l.kind == LK__COUNT)
					ERR(p, nloc(p, fy_node_pair_value(q)),
					    "unknown list kind '%s' (hs, "
					    "bands, terms, countries)",
					    s);
				free(s);
				if (!s)
					ok = false;
			} else if (key_is(q, "file", &k)) {
				char *s = scalar(p, fy_node_pair_value(q),
						 "file", kloc(p, q));

				if (s && s[0] != '/' && p->dir[0]) {
					size_t need =
					    strlen(p->dir) + strlen(s) + 2;

					l.path = sl__xrealloc(NULL, need);
					snprintf(l.path, need, "%s/%s", p->dir,
						 s);
					free(s);
				} else {
					l.path = s;
				}
			} else if (key_is(q, "note", &k)) {
				/* free text */
			} else {
				ERR(p, kloc(p, q),
				    "unknown key '%s' in list (expected kind, "
				    "file, note)",
				    key_str(q, kb, sizeof(kb)));
				ok = false;
			}
		}
		if (l.kind == LK__COUNT) {
			ERR(p, l.loc, "list '%s' has no valid kind", name);
			ok = false;
		}
		if (!l.path) {
			ERR(p, l.loc, "list '%s' has no file", name);
			ok = false;
		} else if (rc->o.no_files) {
			ERR(p, l.loc, "list files are disabled here");
			ok = false;
		}
		l.name = sl__xstrdup(name);
		l.failed = !ok;
		vec_push(&rc->lists, l);
	}
}

/* -------------------------------------------------------------- policy */

static int parse_pct(const char *s, int64_t *fixed_pct)
{
	size_t n = strlen(s);
	char buf[64];
	int64_t v;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%') {
		buf[n - 1] = '\0';
		if (sl__parse_fixed(buf, &v))
			return -EINVAL;
		*fixed_pct = v;
	} else {
		if (sl__parse_fixed(buf, &v))
			return -EINVAL;
		*fixed_pct = v * 100; /* a fraction: 0.5 = 50 % */
	}
	return *fixed_pct < 0 ? -EINVAL : 0;
}

static uint8_t parse_verdict(struct pctx *p, struct fy_node *v, struct loc kl,
			     bool *ok)
{
	char *s = scalar(p, v, "floor", kl);
	uint8_t r = SL_VERDICT_RELEASE;

	if (!s) {
		*ok = false;
		return r;
	}
	if (!strcmp(s, "release"))
		r = SL_VERDICT_RELEASE;
	else if (!strcmp(s, "hold"))
		r = SL_VERDICT_HOLD;
	else if (!strcmp(s, "inspect"))
		r = SL_VERDICT_INSPECT;
	else if (!strcmp(s, "seize"))
		r = SL_VERDICT_SEIZE;
	else {
		ERR(p, nloc(p, v),
		    "unknown verdict '%s' (release, hold, inspect, seize)", s);
		*ok = false;
	}
	free(s);
	return r;
}

/* A money amount in CNY ("5000", "5000.50"). */
static bool pol_money(struct pctx *p, struct fy_node_pair *pr, sl_money_t *out)
{
	struct fy_node *v = fy_node_pair_value(pr);
	char *s = scalar(p, v, "amount", kloc(p, pr));
	int64_t x;
	bool ok = s && !sl__parse_fixed(s, &x) && x > 0;

	if (s && !ok)
		ERR(p, nloc(p, v),
		    "'%s' is not a positive amount with at most 5 decimals", s);
	if (ok)
		*out = x;
	free(s);
	return ok;
}

static bool pol_int(struct pctx *p, struct fy_node_pair *pr, long lo, long hi,
		    long *out)
{
	struct fy_node *v = fy_node_pair_value(pr);
	char *s = scalar(p, v, "value", kloc(p, pr));
	bool ok = s && parse_int(s, lo, hi, out);

	if (s && !ok)
		ERR(p, nloc(p, v),
		    "'%s' must be a whole number from %ld to %ld", s, lo, hi);
	free(s);
	return ok;
}

/* The first iterator state for mapping n, or DONE after reporting that
 * n is not a mapping. */
static char done_;
#define DONE ((void *)&done_)
static void *map_iter(struct pctx *p, struct fy_node *n, struct loc at,
		      const char *what)
{
	if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
		ERR(p, at, "%s must be a mapping", what);
		return DONE;
	}
	return NULL;
}

/* Iterates the pairs of mapping n into pr, with iterator variable it. */
#define FOR_PAIRS(p, n, at, what, pr, it)                                      \
	for (void *it = map_iter(p, n, at, what);                              \
	     it != DONE && ((pr) = fy_node_mapping_iterate(n, &it));)

static void unknown_key(struct pctx *p, struct fy_node_pair *pr,
			const char *where, const char *expected)
{
	char kb[64];

	ERR(p, kloc(p, pr), "unknown key '%s' in %s (expected %s)",
	    key_str(pr, kb, sizeof(kb)), where, expected);
}

static void parse_tier(struct pctx *p, struct fy_node *n, struct loc at,
		       struct sl_tier_policy *t)
{
	struct fy_node_pair *pr;
	const char *k;

	FOR_PAIRS(p, n, at, "a tier", pr, it)
	{
		struct fy_node *v = fy_node_pair_value(pr);

		if (key_is(pr, "multiplier", &k)) {
			char *s = scalar(p, v, "multiplier", kloc(p, pr));
			int64_t f;

			if (s && (parse_pct(s, &f) || f > 100 * 100 * 100000LL))
				ERR(p, nloc(p, v),
				    "multiplier '%s' must be a factor such as "
				    "1.5 or a percentage such as 150%%",
				    s);
			else if (s)
				t->multiplier_pct = (uint32_t)(f / 100000);
			free(s);
		} else if (key_is(pr, "inspection_rate", &k) ||
			   key_is(pr, "sample_rate", &k)) {
			char *s = scalar(p, v, "inspection_rate", kloc(p, pr));
			int64_t f;

			if (s && (parse_pct(s, &f) || f > 100 * 100000LL))
				ERR(p, nloc(p, v),
				    "inspection_rate '%s' must be a percentage "
				    "such as 2.44%% or a fraction such as "
				    "0.0244",
				    s);
			else if (s)
				t->sample_ppm = (uint32_t)(f / 10);
			free(s);
		} else if (key_is(pr, "floor", &k)) {
			bool ok = true;
			uint8_t f = parse_verdict(p, v, kloc(p, pr), &ok);

			if (ok)
				t->floor = f;
		} else {
			unknown_key(p, pr, "tier",
				    "multiplier, inspection_rate, floor");
		}
	}
}

static void parse_fx(struct pctx *p, struct fy_node *n, struct loc at)
{
	struct sl_policy *pol = &p->rc->policy;
	struct fy_node_pair *pr;

	pol->n_fx = 0;
	FOR_PAIRS(p, n, at, "exchange_rates", pr, it)
	{
		char cur[64];
		sl_currency_t c;
		sl_money_t rate;

		key_str(pr, cur, sizeof(cur));
		if (strlen(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z' ||
		    cur[1] < 'A' || cur[1] > 'Z' || cur[2] < 'A' ||
		    cur[2] > 'Z') {
			ERR(p, kloc(p, pr),
			    "'%s' is not a currency code (ISO 4217, e.g. USD)",
			    cur);
			continue;
		}
		c = SL_CURRENCY(cur[0], cur[1], cur[2]);
		if (!sl__rc_currency_ok(p->rc, c)) {
			ERR(p, kloc(p, pr), "unknown currency '%s' (ISO 4217)",
			    cur);
			continue;
		}
		if (!pol_money(p, pr, &rate))
			continue;
		if (pol->n_fx >= SL_FX_MAX) {
			ERR(p, kloc(p, pr), "more than %d exchange rates",
			    SL_FX_MAX);
			return;
		}
		pol->fx[pol->n_fx++] = (struct sl_fx_rate){c, rate};
	}
}

static void parse_policy(struct pctx *p, struct fy_node *n, struct loc at)
{
	struct sl_rulec *rc = p->rc;
	struct sl_policy *pol = &rc->policy;
	struct fy_node_pair *pr, *q;
	const char *k;
	long x;

	if (rc->have_policy) {
		ERR(p, at, "a second policy section (the first is at %s:%d:%d)",
		    rc->policy_loc.file, rc->policy_loc.line,
		    rc->policy_loc.col);
		return;
	}
	rc->have_policy = true;
	rc->policy_loc = at;
	FOR_PAIRS(p, n, at, "policy", pr, it)
	{
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = kloc(p, pr);

		if (key_is(pr, "thresholds", &k)) {
			FOR_PAIRS(p, v, kl, "thresholds", q, it2)
			{
				if (key_is(q, "hold", &k) &&
				    pol_int(p, q, 1, 100000, &x))
					pol->hold_at = (int32_t)x;
				else if (key_is(q, "inspect", &k) &&
					 pol_int(p, q, 1, 100000, &x))
					pol->inspect_at = (int32_t)x;
				else if (!key_is(q, "hold", &k) &&
					 !key_is(q, "inspect", &k))
					unknown_key(p, q, "thresholds",
						    "hold, inspect");
			}
		} else if (key_is(pr, "tiers", &k)) {
			FOR_PAIRS(p, v, kl, "tiers", q, it2)
			{
				char tb[64];
				int t = -1;

				key_str(q, tb, sizeof(tb));
				for (int i = 0; i < SL_TIER__COUNT; i++)
					if (!strcmp(tb, sl_tier_name(
							    (enum sl_tier)i)))
						t = i;
				if (t < 0)
					unknown_key(p, q, "tiers",
						    "advanced, general, "
						    "dishonest, unknown");
				else
					parse_tier(p, fy_node_pair_value(q),
						   kloc(p, q), &pol->tier[t]);
			}
		} else if (key_is(pr, "negative_list_floor", &k)) {
			bool ok = true;
			uint8_t f = parse_verdict(p, v, kl, &ok);

			if (ok)
				pol->negative_floor = f;
		} else if (key_is(pr, "limits", &k)) {
			FOR_PAIRS(p, v, kl, "limits", q, it2)
			{
				if (key_is(q, "transaction_cny", &k))
					pol_money(p, q, &pol->txn_limit_cny);
				else if (key_is(q, "annual_cny", &k))
					pol_money(p, q, &pol->annual_limit_cny);
				else
					unknown_key(p, q, "limits",
						    "transaction_cny, "
						    "annual_cny");
			}
		} else if (key_is(pr, "split_shipment", &k)) {
			FOR_PAIRS(p, v, kl, "split_shipment", q, it2)
			{
				if (key_is(q, "window", &k)) {
					struct fy_node *w =
					    fy_node_pair_value(q);
					char *s =
					    scalar(p, w, "window", kloc(p, q));
					size_t sl = s ? strlen(s) : 0;
					long h = 0;

					if (s && !strcmp(s, "day")) {
						pol->split_window_s = 0;
					} else if (sl > 1 && s[sl - 1] == 'h') {
						s[sl - 1] = '\0';
						if (parse_int(s, 1, 24 * 366,
							      &h))
							pol->split_window_s =
							    (uint32_t)(h *
								       3600);
					}
					if (s && strcmp(s, "day") && !h)
						ERR(p, nloc(p, w),
						    "window must be 'day' (the "
						    "calendar day of "
						    "declared_at) or hours "
						    "such as '48h'");
					free(s);
				} else if (key_is(q, "max_parcels", &k)) {
					if (pol_int(p, q, 1, 1000000, &x))
						pol->split_max_count =
						    (uint32_t)x;
				} else if (key_is(q, "max_value_cny", &k)) {
					pol_money(p, q,
						  &pol->split_max_value_cny);
				} else {
					unknown_key(p, q, "split_shipment",
						    "window, max_parcels, "
						    "max_value_cny");
				}
			}
		} else if (key_is(pr, "sampling_seed", &k)) {
			char *s = scalar(p, v, "sampling_seed", kl);
			char *end;

			errno = 0;
			if (s) {
				unsigned long long seed = strtoull(s, &end, 0);

				if (errno || end == s || *end || s[0] == '-')
					ERR(p, nloc(p, v),
					    "sampling_seed '%s' must be a "
					    "number (decimal or 0x hex)",
					    s);
				else
					pol->sample_seed = seed;
			}
			free(s);
		} else if (key_is(pr, "exchange_rates", &k)) {
			parse_fx(p, v, kl);
		} else {
			unknown_key(p, pr, "policy",
				    "thresholds, tiers, negative_list_floor, "
				    "limits, split_shipment, sampling_seed, "
				    "exchange_rates");
		}
	}
}

/* ---------------------------------------------------------------- file */

/* Reports the first invalid UTF-8 byte of text, by line and column. */
static bool utf8_ok(struct pctx *p, const char *text, size_t len)
{
	size_t i = 0;
	int line = 1, col = 1;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n =
		    utf8proc_iterate((const utf8proc_uint8_t *)text + i,
				     (utf8proc_ssize_t)(len - i), &c);

		if (n <= 0) {
			struct loc l = {p->file, line, col};

			ERR(p, l, "invalid UTF-8 (byte 0x%02x)",
			    (unsigned char)text[i]);
			return false;
		}
		if (c == '\n')
			line++, col = 1;
		else
			col++;
		i += (size_t)n;
	}
	return true;
}

void sl__rc_parse(struct sl_rulec *rc, const char *name, const char *text,
		  size_t len)
{
	struct pctx p = {.rc = rc, .file = sl__rc_intern(rc, name)};
	struct fy_diag_cfg dc;
	struct fy_diag *diag;
	struct fy_parse_cfg cfg = {0};
	struct fy_document *doc;
	struct fy_diag_error *e;
	struct fy_node *root;
	struct fy_node_pair *pr;
	void *it = NULL;
	const char *slash = strrchr(name, '/');

	if (slash && (size_t)(slash - name) < sizeof(p.dir)) {
		memcpy(p.dir, name, (size_t)(slash - name));
		p.dir[slash - name] = '\0';
	}
	if (!utf8_ok(&p, text, len))
		return;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.colorize = false;
	diag = fy_diag_create(&dc);
	if (!diag) {
		struct loc l = {p.file, 0, 0};

		ERR(&p, l, "out of memory");
		return;
	}
	fy_diag_set_collect_errors(diag, true);
	cfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
	cfg.diag = diag;
	doc = fy_document_build_from_string(&cfg, text, len);
	it = NULL;
	while ((e = fy_diag_errors_iterate(diag, &it))) {
		struct loc l = {p.file, e->line > 0 ? e->line : 1,
				e->column > 0 ? e->column : 1};

		ERR(&p, l, "YAML: %s", e->msg ? e->msg : "syntax error");
	}
	if (!doc) {
		/* An empty file builds no document and reports nothing. */
		bool blank = true;

		for (size_t i = 0; i < len && blank; i++)
			blank = text[i] == ' ' || text[i] == '\n' ||
				text[i] == '\t' || text[i] == '\r';
		if (!blank && !fy_diag_got_error(diag)) {
			struct loc l = {p.file, 1, 1};

			ERR(&p, l, "YAML: cannot parse this file");
		}
		fy_diag_destroy(diag);
		return;
	}
	root = fy_document_root(doc);
	if (root && fy_node_get_type(root) != FYNT_MAPPING) {
		struct loc l = nloc(&p, root);

		if (!l.line)
			l.line = l.col = 1;
		ERR(&p, l,
		    "a rule file is a mapping with rules, lists and "
		    "policy");
		root = NULL;
	}
	it = NULL;
	while (root && (pr = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = kloc(&p, pr);
		const char *k;

		if (key_is(pr, "rules", &k)) {
			void *it2 = NULL;
			struct fy_node *x;

			if (!v || fy_node_get_type(v) != FYNT_SEQUENCE) {
				ERR(&p, kl, "rules is a list of rules");
				continue;
			}
			while ((x = fy_node_sequence_iterate(v, &it2)))
				parse_rule(&p, x);
		} else if (key_is(pr, "lists", &k)) {
			parse_lists(&p, v, kl);
		} else if (key_is(pr, "policy", &k)) {
			parse_policy(&p, v, kl);
		} else {
			unknown_key(&p, pr, "a rule file",
				    "rules, lists, policy");
		}
	}
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
}
