/* sluice — matching a declaration against a bundle (bundle.h).
 *
 * One scan per declaration: every text field a rule looks at is
 * normalised into one per-worker buffer, fields separated by '\n' (regexes
 * are compiled with HS_FLAG_MULTILINE, so ^ and $ are field boundaries),
 * and the buffer goes through hs_scan() once.  The match callback maps the
 * match offset to its field (a cursor over the field table: Hyperscan
 * reports in end-offset order, so the cursor almost never moves back),
 * drops matches in fields the condition does not look at, and records the
 * rest in per-leaf state.  Term matches of a condition that has `unless`
 * phrases are kept as spans until the scan ends, because the phrase that
 * covers a term ends after it; they are resolved against the unless spans
 * of the same condition and field afterwards.
 *
 * State is per worker (struct sl_match_scratch), sized at creation, and
 * reset per declaration by bumping an epoch rather than clearing memory.
 * When a bounded buffer fills (a pathological declaration), the matcher
 * errs towards firing rules, never towards releasing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/normalize.h>
#include <sluice/policy.h>

#include "bundle-int.h"

#define SLOTS_MAX                                                              \
	(SL__TF_FIRST_ITEM + SL_MAX_ITEMS * (SL__TF__COUNT - SL__TF_FIRST_ITEM))
#define SPANS_MAX  512	/* term / unless spans kept per declaration */
#define LOG_MAX	   4096 /* (leaf, field) first hits kept for naming */
#define WORK_FIELD 512	/* longest text field, bytes (decl-t.h) */

struct leaf_state {
	uint32_t epoch;	   /* == ms->epoch: valid for this declaration */
	uint32_t decl;	   /* bit per enum sl__tf: hit in that decl field */
	uint64_t items[2]; /* bit per item: hit in one of its fields */
};

struct span {
	uint32_t leaf;
	uint32_t slot;
	uint32_t from, to;
};

struct hitlog {
	uint32_t leaf;
	uint32_t slot;
};

/* One worker's matching state.  Written only by its worker while
 * matching; made and freed on the control plane. */
struct sl_match_scratch {
	const struct sl_bundle *b; /* the bundle it was made for */
	hs_scratch_t *hs;
	char *buf; /* normalised fields, '\n' after each */
	size_t cap, len;
	struct sl__slot slots[SLOTS_MAX];
	uint32_t n_slots;
	uint32_t cursor; /* slot of the last match */
	int32_t *work;	 /* normaliser code points */
	size_t work_cap;

	uint32_t epoch;
	struct leaf_state *ls; /* [b->n_leaves] */
	uint32_t *touched;     /* leaves hit in this declaration */
	uint32_t n_touched;
	uint32_t *rule_epoch; /* [b->n_rules]: rule queued this epoch */
	uint32_t *rule_text;  /* [b->n_rules]: == epoch when one of the rule's
				 text conditions matched */
	uint32_t *queue;      /* rules to evaluate */
	uint32_t n_queue;
	struct span cand[SPANS_MAX]; /* term matches waiting for unless */
	uint32_t n_cand;
	struct span unl[SPANS_MAX]; /* unless matches */
	uint32_t n_unl;
	struct hitlog log[LOG_MAX];
	uint32_t n_log;

	/* Per item, computed on first use in a declaration: the HS code's
	 * prefixes as SL__HS_KEY (index = digits; 0 when the code has fewer)
	 * and the unit price in CNY. */
	uint8_t chap[SL_MAX_ITEMS]; /* item_chapter() of each item, set when
				       a rule without text matches needs it */
	uint32_t item_epoch[SL_MAX_ITEMS];
	uint64_t hs_key[SL_MAX_ITEMS][11];
	int64_t price_cny[SL_MAX_ITEMS];
	bool price_ok[SL_MAX_ITEMS];
	/* the last band looked up for the item: the same list is often
	 * used by several rules (undervalued, deeply undervalued) */
	uint32_t band_list[SL_MAX_ITEMS]; /* BAND index + 1; 0 = none */
	const struct sl__bband *band_hit[SL_MAX_ITEMS];
};

struct sl_match_scratch *sl_match_scratch_new(const struct sl_bundle *b)
{
	struct sl_match_scratch *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return NULL;
	ms->b = b;
	ms->cap = b->buf_cap ? b->buf_cap : 1;
	ms->buf = malloc(ms->cap);
	ms->work_cap = SL_NORM_WORK(WORK_FIELD);
	ms->work = malloc(ms->work_cap * sizeof(int32_t));
	ms->ls = calloc(b->n_leaves + 1, sizeof(*ms->ls));
	ms->touched = malloc((b->n_leaves + 1) * sizeof(uint32_t));
	ms->rule_epoch = calloc(b->n_rules + 1, sizeof(uint32_t));
	ms->rule_text = calloc(b->n_rules + 1, sizeof(uint32_t));
	ms->queue = malloc((b->n_rules + 1) * sizeof(uint32_t));
	if (!ms->buf || !ms->work || !ms->ls || !ms->touched ||
	    !ms->rule_epoch || !ms->rule_text || !ms->queue)
		goto free_ms;
	if (b->proto && hs_clone_scratch(b->proto, &ms->hs) != HS_SUCCESS)
		goto free_ms;
	return ms;

free_ms:
	sl_match_scratch_free(ms);
	return NULL;
}

void sl_match_scratch_free(struct sl_match_scratch *ms)
{
	if (!ms)
		return;
	if (ms->hs)
		hs_free_scratch(ms->hs);
	free(ms->buf);
	free(ms->work);
	free(ms->ls);
	free(ms->touched);
	free(ms->rule_epoch);
	free(ms->rule_text);
	free(ms->queue);
	free(ms);
}

/* ------------------------------------------------------- scan buffer */

static int add_field(struct sl_match_scratch *ms, sl_str_t s, uint8_t kind,
		     uint8_t item)
{
	ssize_t n;

	if (!s.p || !s.n)
		return 0;
	if (ms->n_slots >= SLOTS_MAX || ms->len >= ms->cap)
		return -ENOSPC;
	n = sl_normalize(s.p, s.n, ms->buf + ms->len, ms->cap - ms->len - 1,
			 ms->work, ms->work_cap);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	ms->slots[ms->n_slots++] =
	    (struct sl__slot){.start = (uint32_t)ms->len,
			      .end = (uint32_t)(ms->len + (size_t)n),
			      .kind = kind,
			      .item = item};
	ms->len += (size_t)n;
	ms->buf[ms->len++] = '\n';
	return 0;
}

int sl__match_build(const struct sl_bundle *b, struct sl_match_scratch *ms,
		    const sl_decl_t *d)
{
	uint32_t want = b->scan_fields;
	uint32_t n_items =
	    d->n_items < SL_MAX_ITEMS ? d->n_items : SL_MAX_ITEMS;
	int rc;

	ms->len = 0;
	ms->n_slots = 0;
	for (int f = 0; f < SL__TF_FIRST_ITEM; f++) {
		if (!(want & (1u << f)))
			continue;
		rc = add_field(ms, d->s[sl__tf_index[f]], (uint8_t)f,
			       SL__SLOT_DECL);
		if (rc)
			return rc;
	}
	if (!(want & SL__TF_ITEM_MASK))
		return 0;
	for (uint32_t i = 0; i < n_items; i++) {
		const sl_item_t *it = &d->items[i];

		for (int f = SL__TF_FIRST_ITEM; f < SL__TF__COUNT; f++) {
			if (!(want & (1u << f)))
				continue;
			rc = add_field(ms, it->s[sl__tf_index[f]], (uint8_t)f,
				       (uint8_t)i);
			if (rc)
				return rc;
		}
	}
	return 0;
}

const char *sl__match_buf(const struct sl_match_scratch *ms, size_t *len)
{
	*len = ms->len;
	return ms->buf;
}

const struct sl__slot *sl__match_slots(const struct sl_match_scratch *ms,
				       uint32_t *n)
{
	*n = ms->n_slots;
	return ms->slots;
}

hs_scratch_t *sl__match_hs_scratch(struct sl_match_scratch *ms)
{
	return ms->hs;
}

/* ---------------------------------------------------------- callback */

/* The slot holding buffer offset off (off < ms->len). */
static inline uint32_t slot_of(struct sl_match_scratch *ms, uint32_t off)
{
	uint32_t s = ms->cursor;

	if (off >= ms->slots[s].start) {
		while (s + 1 < ms->n_slots && off >= ms->slots[s + 1].start)
			s++;
	} else {
		uint32_t lo = 0, hi = s; /* slots[hi].start > off */

		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (ms->slots[mid].start <= off)
				lo = mid;
			else
				hi = mid;
		}
		s = lo;
	}
	ms->cursor = s;
	return s;
}

/* Records that leaf matched in slot (after unless resolution). */
static void mark(struct sl_match_scratch *ms, uint32_t leaf, uint32_t slot)
{
	struct leaf_state *st = &ms->ls[leaf];
	const struct sl__slot *sl = &ms->slots[slot];

	if (st->epoch != ms->epoch) {
		st->epoch = ms->epoch;
		st->decl = 0;
		st->items[0] = st->items[1] = 0;
		ms->touched[ms->n_touched++] = leaf;
	}
	if (sl->item == SL__SLOT_DECL) {
		uint32_t bit = 1u << sl->kind;

		if (st->decl & bit)
			return;
		st->decl |= bit;
	} else {
		uint64_t bit = UINT64_C(1) << (sl->item & 63);

		if (st->items[sl->item >> 6] & bit)
			return;
		st->items[sl->item >> 6] |= bit;
	}
	if (ms->n_log < LOG_MAX)
		ms->log[ms->n_log++] = (struct hitlog){leaf, slot};
}

/* An ASCII word character, as \\w without UCP: normalised text has no
 * upper case. */
static inline bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       (c >= 'A' && c <= 'Z');
}

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	struct sl_match_scratch *ms = ctx;
	const struct sl_bundle *b = ms->b;
	const struct sl__bpat *p = &b->pats[id];
	uint32_t slot, kind_bit;

	(void)flags;
	if (to == 0 || to > ms->len || ms->n_slots == 0)
		return 0;
	slot = slot_of(ms, (uint32_t)(to - 1));
	kind_bit = 1u << ms->slots[slot].kind;
	if (p->len)
		from = to >= p->len ? to - p->len : 0;
	for (uint32_t k = 0; k < p->n_tgt; k++) {
		const struct sl__btgt *t = &b->tgts[p->tgt + k];
		struct span sp = {t->leaf, slot, (uint32_t)from, (uint32_t)to};

		if (!(b->leaves[t->leaf].fields & kind_bit))
			continue;
		/* Word edges: the buffer's '\n' separators are not word
		 * characters, so the bytes just outside the match decide. */
		if ((t->bounds & SL__BOUND_START) && from > 0 &&
		    is_word((unsigned char)ms->buf[from - 1]))
			continue;
		if ((t->bounds & SL__BOUND_END) && to < ms->len &&
		    is_word((unsigned char)ms->buf[to]))
			continue;
		if ((t->bounds & SL__BOUND_FIELD) &&
		    (from != ms->slots[slot].start ||
		     to != ms->slots[slot].end))
			continue;
		if (t->role == SL__ROLE_UNLESS) {
			/* Losing an unless span can only make a rule fire
			 * that would not have: the safe direction. */
			if (ms->n_unl < SPANS_MAX)
				ms->unl[ms->n_unl++] = sp;
		} else if (!b->leaf_unless[t->leaf] ||
			   ms->n_cand >= SPANS_MAX) {
			mark(ms, t->leaf, slot);
		} else {
			ms->cand[ms->n_cand++] = sp;
		}
	}
	return 0;
}

/* A term match is cancelled by an unless match of the same condition, in
 * the same field, whose span contains it. */
static void resolve_unless(struct sl_match_scratch *ms)
{
	for (uint32_t c = 0; c < ms->n_cand; c++) {
		const struct span *t = &ms->cand[c];
		bool cancelled = false;

		for (uint32_t u = 0; u < ms->n_unl && !cancelled; u++) {
			const struct span *x = &ms->unl[u];

			cancelled = x->leaf == t->leaf && x->slot == t->slot &&
				    x->from <= t->from && t->to <= x->to;
		}
		if (!cancelled)
			mark(ms, t->leaf, t->slot);
	}
}

/* -------------------------------------------------------- evaluation */

/* What made a condition true, to name the field in the hit.  A higher
 * prio wins inside ALL, the first of equals: a text match (5) names its
 * field, then a price band (4), an item's number (3), other item and
 * declaration values (2), and last flow and trade mode (1), which say
 * least about why a declaration was picked. */
struct witness {
	uint8_t prio; /* 0 = none */
	uint8_t path; /* enum wpath */
	int16_t item; /* -1: declaration level */
	uint32_t leaf;
};

enum wpath {
	WP_LEAF, /* the field where leaf `leaf` matched */
	WP_HS_CODE,
	WP_ORIGIN,
	WP_CATEGORY,
	WP_PRICE,
	WP_TOTAL_PRICE,
	WP_QTY,
	WP_GOODS_VALUE,
	WP_GROSS_WEIGHT,
	WP_NET_WEIGHT,
	WP_ITEMS,
	WP_SENDER_COUNTRY,
	WP_FLOW,
	WP_TRADE_MODE,
};

static const uint8_t num_path[SL__NS__COUNT] = {
    [SL__NS_UNIT_PRICE] = WP_PRICE,
    [SL__NS_ITEM_VALUE] = WP_TOTAL_PRICE,
    [SL__NS_QTY] = WP_QTY,
    [SL__NS_GOODS_VALUE] = WP_GOODS_VALUE,
    [SL__NS_GROSS_WEIGHT] = WP_GROSS_WEIGHT,
    [SL__NS_NET_WEIGHT] = WP_NET_WEIGHT,
    [SL__NS_ITEMS] = WP_ITEMS,
};

static bool in_vals(const uint64_t *v, uint32_t n, uint64_t key)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == key;
}

/* Fills the item cache of item i (HS prefixes, unit price in CNY). */
static void item_cache(const struct sl_bundle *b, struct sl_match_scratch *ms,
		       const sl_decl_t *d, int i)
{
	const sl_item_t *it = &d->items[i];
	sl_str_t s = it->s[SL_IS_HS_CODE];
	uint64_t v = 0;
	unsigned k;

	ms->item_epoch[i] = ms->epoch;
	ms->band_list[i] = 0;
	memset(ms->hs_key[i], 0, sizeof(ms->hs_key[i]));
	for (k = 0; s.p && k < s.n && k < 10; k++) {
		if (s.p[k] < '0' || s.p[k] > '9')
			break; /* a validated code has digits only */
		v = v * 10 + (uint64_t)(s.p[k] - '0');
		ms->hs_key[i][k + 1] = SL__HS_KEY(k + 1, v);
	}
	ms->price_ok[i] = sl_policy_to_cny(&b->policy, d->currency, it->price,
					   &ms->price_cny[i]) == 0;
}

static inline const uint64_t *item_keys(const struct sl_bundle *b,
					struct sl_match_scratch *ms,
					const sl_decl_t *d, int i)
{
	if (ms->item_epoch[i] != ms->epoch)
		item_cache(b, ms, d, i);
	return ms->hs_key[i];
}

/* False when no prefix of the node can match the item's chapter (the
 * first two digits of its HS code): most items leave here. */
static inline bool chapter_may_match(const struct sl_bundle *b, uint32_t node,
				     const uint64_t *key)
{
	unsigned c;

	if (!key[2])
		return false;
	c = (unsigned)(key[2] & 0xff);
	return (b->node_chap[node][c >> 6] >> (c & 63)) & 1;
}

/* The item's HS chapter as rule_chap numbers it: its first two digits,
 * or SL__CHAP_NONE (item_cache then finds no two-digit prefix, so no HS
 * or band condition can hold). */
static inline unsigned item_chapter(const sl_item_t *it)
{
	const char *p = it->s[SL_IS_HS_CODE].p;
	unsigned a, c;

	if (!p || it->s[SL_IS_HS_CODE].n < 2)
		return SL__CHAP_NONE;
	a = (unsigned)(unsigned char)p[0] - '0';
	c = (unsigned)(unsigned char)p[1] - '0';
	return a <= 9 && c <= 9 ? a * 10 + c : SL__CHAP_NONE;
}

/* Does the item's HS code start with one of the node's prefixes?  Only
 * the prefix lengths the list holds are looked up. */
static bool eval_hs(const struct sl_bundle *b, struct sl_match_scratch *ms,
		    const sl_decl_t *d, uint32_t node, int item)
{
	const struct sl__bnode *n = &b->nodes[node];
	const uint64_t *key = item_keys(b, ms, d, item);
	unsigned lens = b->node_lens[node];

	if (!chapter_may_match(b, node, key))
		return false;
	while (lens) {
		unsigned k = (unsigned)__builtin_ctz(lens);

		lens &= lens - 1;
		if (k > 10 || !key[k])
			break;
		if (in_vals(b->vals + n->a, n->n, key[k]))
			return true;
	}
	return false;
}

/* The band for the item: the longest HS prefix that has a band for the
 * item's origin or for any origin; at equal length the origin's own band
 * wins.  NULL when none applies. */
static const struct sl__bband *find_band(const struct sl_bundle *b,
					 struct sl_match_scratch *ms,
					 const sl_decl_t *d, uint32_t node,
					 int item)
{
	const struct sl__bnode *n = &b->nodes[node];
	const struct sl__bband *v = b->bands + n->a;
	const uint64_t *key = item_keys(b, ms, d, item);
	unsigned lens = b->node_lens[node] & 0x7fe;
	sl_country_t origin = d->items[item].origin;
	const struct sl__bband *r = NULL;

	if (!chapter_may_match(b, node, key))
		return NULL;
	if (ms->band_list[item] == n->a + 1)
		return ms->band_hit[item];
	while (lens) {
		unsigned k = 31u - (unsigned)__builtin_clz(lens); /* longest */
		const struct sl__bband *any = NULL;
		uint32_t lo = 0, hi = n->n;

		lens &= ~(1u << k);
		if (!key[k])
			continue;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (v[mid].prefix < key[k])
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n->n && v[lo].prefix == key[k] && !r; lo++) {
			if (v[lo].origin == origin)
				r = &v[lo];
			else if (v[lo].origin == 0)
				any = &v[lo];
		}
		if (!r)
			r = any;
		if (r)
			break;
	}
	/* a list is emitted once and shared: (a, n) names it */
	ms->band_list[item] = n->a + 1;
	ms->band_hit[item] = r;
	return r;
}

static bool cmp(int64_t x, uint8_t op, int64_t y)
{
	switch (op) {
	case SL__OP_LT:
		return x < y;
	case SL__OP_LE:
		return x <= y;
	case SL__OP_GT:
		return x > y;
	default:
		return x >= y;
	}
}

/* The value of a numeric subject, money in CNY.  False when it cannot be
 * had (no exchange rate for the currency): the condition is then false. */
static bool num_value(const struct sl_bundle *b, const sl_decl_t *d,
		      const sl_item_t *it, uint8_t subject, int64_t *v)
{
	sl_money_t m;

	switch (subject) {
	case SL__NS_UNIT_PRICE:
		m = it->price;
		break;
	case SL__NS_ITEM_VALUE:
		m = it->total_price;
		break;
	case SL__NS_QTY:
		*v = it->qty;
		return true;
	case SL__NS_GOODS_VALUE:
		m = d->goods_value;
		break;
	case SL__NS_GROSS_WEIGHT:
		*v = d->gross_weight;
		return true;
	case SL__NS_NET_WEIGHT:
		*v = d->net_weight;
		return true;
	case SL__NS_ITEMS:
		*v = (int64_t)d->n_items * SL_MONEY_ONE;
		return true;
	default:
		return false;
	}
	return sl_policy_to_cny(&b->policy, d->currency, m, v) == 0;
}

static inline void witness(struct witness *w, uint8_t prio, uint8_t path,
			   int item, uint32_t leaf)
{
	*w = (struct witness){prio, path, (int16_t)item, leaf};
}

static bool leaf_true(const struct sl_match_scratch *ms, uint32_t leaf,
		      int item)
{
	const struct leaf_state *st = &ms->ls[leaf];

	if (st->epoch != ms->epoch)
		return false;
	if (st->decl)
		return true;
	if (item < 0)
		return st->items[0] | st->items[1];
	return (st->items[item >> 6] >> (item & 63)) & 1;
}

/* Evaluates node i for item (or -1 at declaration level).  Recursion depth
 * is bounded by the loader (SL__DEPTH_MAX). */
static bool eval(const struct sl_bundle *b, struct sl_match_scratch *ms,
		 const sl_decl_t *d, uint32_t i, int item, struct witness *w)
{
	const struct sl__bnode *n = &b->nodes[i];
	const sl_item_t *it = item >= 0 ? &d->items[item] : NULL;
	struct witness cw;
	int64_t v;

	w->prio = 0;
	switch (n->kind) {
	case SL__N_ALL:
		for (uint32_t k = 0; k < n->n; k++) {
			if (!eval(b, ms, d, b->kids[n->a + k], item, &cw))
				return false;
			if (cw.prio > w->prio)
				*w = cw;
		}
		return true;
	case SL__N_ANY:
		for (uint32_t k = 0; k < n->n; k++)
			if (eval(b, ms, d, b->kids[n->a + k], item, w))
				return true;
		return false;
	case SL__N_NOT:
		return !eval(b, ms, d, b->kids[n->a], item, &cw);
	case SL__N_TEXT:
		if (!leaf_true(ms, n->a, item))
			return false;
		witness(w, 5, WP_LEAF, item, n->a);
		return true;
	case SL__N_HS:
		if (!it || !eval_hs(b, ms, d, i, item))
			return false;
		witness(w, 2, WP_HS_CODE, item, 0);
		return true;
	case SL__N_ORIGIN:
		if (!it || !in_vals(b->vals + n->a, n->n, it->origin))
			return false;
		witness(w, 2, WP_ORIGIN, item, 0);
		return true;
	case SL__N_SENDER_COUNTRY:
		if (!in_vals(b->vals + n->a, n->n, d->sender_country))
			return false;
		witness(w, 2, WP_SENDER_COUNTRY, -1, 0);
		return true;
	case SL__N_FLOW:
		if (!((n->value >> d->flow) & 1))
			return false;
		witness(w, 1, WP_FLOW, -1, 0);
		return true;
	case SL__N_TRADE_MODE:
		if (!((n->value >> d->trade_mode) & 1))
			return false;
		witness(w, 1, WP_TRADE_MODE, -1, 0);
		return true;
	case SL__N_CATEGORY:
		if (!it || !((n->value >> it->category) & 1))
			return false;
		witness(w, 2, WP_CATEGORY, item, 0);
		return true;
	case SL__N_NUM: {
		uint8_t p = num_path[n->subject];
		bool per_item =
		    p == WP_PRICE || p == WP_TOTAL_PRICE || p == WP_QTY;

		if ((per_item && !it) || !num_value(b, d, it, n->subject, &v) ||
		    !cmp(v, n->op, n->value))
			return false;
		witness(w, per_item ? 3 : 2, p, per_item ? item : -1, 0);
		return true;
	}
	case SL__N_BAND: {
		const struct sl__bband *band;

		if (!it || !(band = find_band(b, ms, d, i, item)))
			return false;
		if (!ms->price_ok[item]) /* no rate for the currency */
			return false;
		v = ms->price_cny[item];
		if ((__int128)v * 100 >= (__int128)band->low_cny * n->value)
			return false;
		witness(w, 4, WP_PRICE, item, 0);
		return true;
	}
	default:
		return false;
	}
}

/* ------------------------------------------------------------ naming */

static size_t put_str(char *dst, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		dst[at++] = *s++;
	dst[at] = '\0';
	return at;
}

static size_t put_item(char *dst, size_t cap, int item)
{
	char num[4];
	int n = 0;

	if (item >= 10)
		num[n++] = (char)('0' + item / 10);
	num[n++] = (char)('0' + item % 10);
	num[n] = '\0';
	return put_str(dst,
		       put_str(dst, put_str(dst, 0, cap, "items["), cap, num),
		       cap, "].");
}

static const char *const wp_item_field[] = {
    [WP_HS_CODE] = "hs_code",	      [WP_ORIGIN] = "origin_country",
    [WP_CATEGORY] = "category",	      [WP_PRICE] = "price",
    [WP_TOTAL_PRICE] = "total_price", [WP_QTY] = "qty",
};
static const char *const wp_decl_field[] = {
    [WP_GOODS_VALUE] = "goods_value",
    [WP_GROSS_WEIGHT] = "gross_weight_kg",
    [WP_NET_WEIGHT] = "net_weight_kg",
    [WP_ITEMS] = "items",
    [WP_SENDER_COUNTRY] = "sender.country",
    [WP_FLOW] = "flow",
    [WP_TRADE_MODE] = "trade_mode",
};

/* Writes the field a witness names: "items[2].name", "sender.name". */
static void name_field(const struct sl_match_scratch *ms,
		       const struct witness *w, char *dst, size_t cap)
{
	dst[0] = '\0';
	if (!w->prio)
		return;
	if (w->path != WP_LEAF) {
		if (w->item >= 0 &&
		    w->path <
			sizeof(wp_item_field) / sizeof(wp_item_field[0]) &&
		    wp_item_field[w->path])
			put_str(dst, put_item(dst, cap, w->item), cap,
				wp_item_field[w->path]);
		else if (w->path <
			     sizeof(wp_decl_field) / sizeof(wp_decl_field[0]) &&
			 wp_decl_field[w->path])
			put_str(dst, 0, cap, wp_decl_field[w->path]);
		return;
	}
	/* The first recorded match of the leaf in this item, or in a
	 * declaration field. */
	for (uint32_t k = 0; k < ms->n_log; k++) {
		const struct sl__slot *sl;

		if (ms->log[k].leaf != w->leaf)
			continue;
		sl = &ms->slots[ms->log[k].slot];
		if (sl->item == SL__SLOT_DECL) {
			put_str(dst, 0, cap, sl__tf_name[sl->kind]);
			return;
		}
		if (w->item < 0 || sl->item == w->item) {
			/* "item.name" -> "items[N].name" */
			put_str(dst, put_item(dst, cap, sl->item), cap,
				sl__tf_name[sl->kind] + 5);
			return;
		}
	}
	if (w->item >= 0) /* log overflowed: name the item at least */
		put_str(dst, put_item(dst, cap, w->item), cap, "name");
}

/* --------------------------------------------------------------- API */

static void queue_rule(struct sl_match_scratch *ms, uint32_t r)
{
	if (ms->rule_epoch[r] == ms->epoch)
		return;
	ms->rule_epoch[r] = ms->epoch;
	ms->queue[ms->n_queue++] = r;
}

/* In-place heapsort: qsort() may allocate (glibc merges through a
 * malloc'ed buffer for large arrays), and the data plane must not. */
static void sift(uint32_t *v, uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t c = 2 * i + 1, t;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[i] >= v[c])
			return;
		t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

static void sort_u32(uint32_t *v, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (uint32_t e = n; e-- > 1;) {
		uint32_t t = v[0];

		v[0] = v[e];
		v[e] = t;
		sift(v, 0, e);
	}
}

static void next_epoch(const struct sl_bundle *b, struct sl_match_scratch *ms)
{
	if (++ms->epoch == 0) { /* wrapped: forget every old mark */
		memset(ms->ls, 0, sizeof(*ms->ls) * b->n_leaves);
		memset(ms->rule_epoch, 0, sizeof(uint32_t) * b->n_rules);
		memset(ms->rule_text, 0, sizeof(uint32_t) * b->n_rules);
		ms->epoch = 1;
	}
	ms->n_touched = ms->n_cand = ms->n_unl = ms->n_log = ms->n_queue = 0;
	ms->cursor = 0;
}

int sl_match_decl(const struct sl_bundle *b, struct sl_match_scratch *ms,
		  const sl_decl_t *d, struct sl_hits *out)
{
	bool chaps = false; /* ms->chap[] is filled */
	int rc;

	out->n = 0;
	out->dropped = 0;
	if (ms->b != b)
		return -EINVAL; /* a scratch serves the bundle it was made for
				 */
	next_epoch(b, ms);
	rc = sl__match_build(b, ms, d);
	if (rc)
		return rc;
	if (b->db && ms->len) {
		hs_error_t he = hs_scan(b->db, ms->buf, (unsigned)ms->len, 0,
					ms->hs, on_match, ms);

		if (he != HS_SUCCESS)
			return -EIO;
	}
	if (ms->n_cand)
		resolve_unless(ms);

	/* Rules to evaluate: those with a text match, and those whose
	 * condition can hold without one; in rule order. */
	for (uint32_t k = 0; k < ms->n_touched; k++) {
		uint32_t r = b->leaf_rule[ms->touched[k]];

		ms->rule_text[r] = ms->epoch;
		queue_rule(ms, r);
	}
	for (uint32_t k = 0; k < b->n_always; k++)
		queue_rule(ms, b->always[k]);
	/* b->always is in rule order already: without a text match, the
	 * common case, the queue is too */
	if (ms->n_queue > 1 && ms->n_touched)
		sort_u32(ms->queue, ms->n_queue);

	for (uint32_t k = 0; k < ms->n_queue; k++) {
		uint32_t r = ms->queue[k];
		const struct sl__brule *rule = &b->rules[r];
		struct witness w = {0};
		struct sl_hit *h;
		bool fired = false;

		if (b->rule_item[r]) {
			uint32_t n_items = d->n_items < SL_MAX_ITEMS
					       ? d->n_items
					       : SL_MAX_ITEMS;
			/* without a text match the rule can hold only on
			 * the chapters of rule_chap: skip the other items
			 * (most rules checked on every declaration are HS
			 * or price-band rules of a few chapters) */
			const uint64_t *chap = ms->rule_text[r] == ms->epoch
						   ? NULL
						   : b->rule_chap[r];

			if (chap && !chaps)
				for (uint32_t i = 0; i < n_items; i++)
					ms->chap[i] =
					    (uint8_t)item_chapter(&d->items[i]);
			chaps |= chap != NULL;
			for (uint32_t i = 0; i < n_items && !fired; i++) {
				if (chap) {
					unsigned c = ms->chap[i];

					if (!((chap[c >> 6] >> (c & 63)) & 1))
						continue;
				}
				fired = eval(b, ms, d, rule->root, (int)i, &w);
			}
		} else {
			fired = eval(b, ms, d, rule->root, -1, &w);
		}
		if (!fired)
			continue;
		if (out->n >= SL_HITS_MAX) {
			out->dropped++;
			continue;
		}
		h = &out->hit[out->n++];
		h->rule = r;
		h->points = rule->points;
		h->action = rule->action;
		name_field(ms, &w, h->field, sizeof(h->field));
	}
	return 0;
}
