/* sluice-gen — one record: its time, its class, the declaration, the state
 * that decides its label, and its two encodings.  Control plane (a tool).
 *
 * The state model the labels assume (docs/generator.md, "State"):
 *   - buyer limit (9610/1210 imports): per buyer id_number and calendar
 *     year of declared_at, a declaration that takes the RELEASED total past
 *     the annual limit is not released; only released value counts;
 *   - transaction limit: a 9610/1210 import over the limit is not released;
 *   - split shipments (imports): per normalised consignee and local day of
 *     declared_at, every valid declaration counts (whatever its verdict); a
 *     parcel is held when, counting it, the day holds more than
 *     split_max_count parcels, or at least two parcels worth more than
 *     split_max_value.
 * Values are checked in two measures, goods_value and actual_paid (both in
 * CNY); scenario parcels are redrawn until both give the same answer, so
 * the labels do not depend on which one the engine uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>
#include <xxhash.h>

#include "gen_model.h"

#define CNY(x)	  ((int64_t)(x)*GEN_ONE)
#define TZ_OFFSET (8 * 3600)

/* Relative traffic per local hour: quiet at night, busy in the evening. */
static const double diurnal[24] = {1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 2.5,
				   4.0, 5.0, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5,
				   5.5, 5.5, 5.5, 6.5, 7.0, 7.0, 5.5, 3.0};

static int64_t slot_time(struct sl_gen *g)
{
	/* (i + u) / count is increasing in i, and the warp within a day
	 * is monotone, so times never go backwards. */
	double x =
	    ((double)g->i + gen_unit(&g->rng)) / (double)g->o.count * g->o.days;
	int64_t day = (int64_t)x, sec;
	double f = x - (double)day, total = 0, acc = 0;
	int h;

	for (h = 0; h < 24; h++)
		total += diurnal[h];
	f *= total;
	for (h = 0; h < 23 && acc + diurnal[h] <= f; h++)
		acc += diurnal[h];
	sec = (int64_t)(h * 3600 + (f - acc) / diurnal[h] * 3600);
	if (sec > 86399)
		sec = 86399;
	return g->o.start + day * 86400 + sec;
}

static int64_t local_day(int64_t t)
{
	return (t + TZ_OFFSET) / 86400;
}

static int local_hour(int64_t t)
{
	return (int)(((t + TZ_OFFSET) % 86400) / 3600);
}

static struct tm local_tm(int64_t t)
{
	time_t x = (time_t)(t + TZ_OFFSET);
	struct tm tm;

	gmtime_r(&x, &tm);
	return tm;
}

static void set_decl_id(struct sl_gen *g)
{
	struct tm tm = local_tm(g->m.t);

	snprintf(g->m.decl_id, sizeof(g->m.decl_id), "%s%04d%02d%02d%08llu",
		 g->o.id_prefix, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 (unsigned long long)(g->i + 1));
}

static bool is_retail(const struct gen_decl *m)
{
	return m->import && (!strcmp(m->trade_mode, "9610") ||
			     !strcmp(m->trade_mode, "1210"));
}

static int64_t cap_paid(const struct sl_gen *g)
{
	/* clean parcels stay CNY 100 under the transaction limit */
	return g->o.txn_limit - CNY(100);
}

static int64_t items_cny(const struct sl_gen *g)
{
	int64_t v = 0;

	for (uint32_t i = 0; i < g->m.n_items; i++)
		v += gen_to_cny(&g->m, g->m.items[i].total);
	return v;
}

/* Drops goods (never the item at *keep) until actual_paid fits under cap;
 * a lone item gets cheaper. */
static void fit_under(struct sl_gen *g, int64_t cap, unsigned *keep)
{
	struct gen_decl *m = &g->m;

	for (int guard = 0; guard < 60; guard++) {
		if (gen_to_cny(m, m->paid) <= cap)
			return;
		if (m->n_items > 1) {
			unsigned drop =
			    *keep == m->n_items - 1 ? 0 : m->n_items - 1;

			gen_item_remove(g, drop);
			if (drop < *keep)
				(*keep)--;
		} else {
			struct gen_item *it = &m->items[0];
			int64_t cny = gen_to_cny(m, it->price) * 3 / 4;

			if (cny < CNY(1))
				return;
			gen_item_price(g, it, cny, 1);
		}
		gen_finish_money(g);
	}
}

/* ------------------------------------------------------------ classes */

static const struct gen_wsel *ents_for(struct sl_gen *g,
				       const struct gen_class *c)
{
	switch (c->kind) {
	case GEN_K_TIER_DISHONEST:
		return &g->ent_dishonest;
	case GEN_K_TIER_UNKNOWN:
		return &g->ent_unknown;
	case GEN_K_TIER_NEGATIVE:
		return &g->ent_negative;
	default:
		return &g->ent_clean;
	}
}

static int risk_lang(struct sl_gen *g)
{
	double x = gen_unit(&g->rng);

	if (g->m.import)
		return x < 0.55 ? 0 : x < 0.8 ? 1 : 2;
	return x < 0.7 ? 1 : 2;
}

/* Prohibited, restricted and trap goods: one risky item among everyday
 * ones.  Returns the item's position. */
static unsigned mk_risk(struct sl_gen *g, const struct gen_risk *rk, int lang,
			int flow_req)
{
	struct gen_decl *m = &g->m;
	struct gen_label *l = &g->l;
	unsigned pos;
	int64_t budget;

	gen_base(g, &g->ent_clean, flow_req, false, cap_paid(g), 0);
	pos = (unsigned)gen_below(&g->rng, m->n_items);
	gen_item_remove(g, pos);
	if (lang < 0)
		lang = risk_lang(g);
	if (!m->import && lang == 0)
		lang = 1;
	budget = cap_paid(g) * 100 / 125 - items_cny(g);
	gen_add_risk(g, rk, pos, lang, budget);
	gen_finish_money(g);
	if (m->import)
		fit_under(g, cap_paid(g), &pos);
	l->field =
	    gs_cat(&g->sc, "items[", gs_uint(&g->sc, pos, 1), "].name", NULL);
	l->term = lang == 1 ? rk->term_en : rk->term_zh;
	return pos;
}

/* The animal and plant products list (公告第470号) forbids entry only:
 * the same goods leaving China are not prohibited, so such records must
 * be imports for their label (seize) to hold. */
static bool entry_only(const struct gen_class *c)
{
	return !strcmp(c->name, "prohibited.animal_plant");
}

/* utf8proc walks code points; the generator never splits one. */
static const char *each_cp(struct sl_gen *g, const char *s, const char *sep,
			   bool fullwidth, bool mixed)
{
	size_t n = strlen(s), cap = n * 8 + 8, o = 0;
	char *out = gs_alloc(&g->sc, cap);
	utf8proc_ssize_t k;
	utf8proc_int32_t cp;
	bool first = true;
	unsigned letter = 0;

	for (size_t i = 0; i < n; i += (size_t)k) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
				     (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			break;
		if (!first && sep && cp != ' ') {
			size_t sl = strlen(sep);

			memcpy(out + o, sep, sl);
			o += sl;
		}
		first = false;
		if (mixed && cp < 128 &&
		    ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'))
			cp = letter++ % 2 ? (cp | 0x20) : (cp & ~0x20);
		if (fullwidth && cp > 0x20 && cp < 0x7f)
			cp += 0xfee0; /* ! .. ~  ->  U+FF01 .. U+FF5E */
		else if (fullwidth && cp == ' ')
			cp = 0x3000; /* ideographic space */
		o += (size_t)utf8proc_encode_char(cp,
						  (utf8proc_uint8_t *)out + o);
	}
	out[o] = '\0';
	return out;
}

static bool evasion_fits(const struct gen_risk *rk, int ev)
{
	size_t letters = 0;

	switch (ev) {
	case GEN_EV_TRADITIONAL:
		return rk->trad_name != NULL;
	case GEN_EV_SPACED:
		return strlen(rk->term_zh) >= 6; /* two CJK characters */
	case GEN_EV_FULLWIDTH:
	case GEN_EV_MIXED_CASE:
		for (const char *c = rk->term_en; *c; c++)
			letters += (*c | 0x20) >= 'a' && (*c | 0x20) <= 'z';
		return letters >= 3;
	default:
		return true;
	}
}

static void mk_evasion(struct sl_gen *g, const struct gen_class *c)
{
	static const char *const zw[] = {"\u200b", "\u200c", "\u200d", "\u2060",
					 "\ufeff"};
	struct gen_label *l = &g->l;
	const struct gen_risk *rk = NULL;
	struct gen_item *it;
	const char *term, *hit, *evaded;
	unsigned pos;
	int lang;

	for (int t = 0; t < 200 && !rk; t++) {
		const struct gen_risk *x =
		    &g->risk[gen_below(&g->rng, g->n_risk)];

		if (x->cls->kind == GEN_K_PROHIBITED &&
		    evasion_fits(x, c->evasion))
			rk = x;
	}
	if (!rk) { /* the tables have no candidate: plain prohibited */
		rk = &g->risk[0];
	}
	lang = c->evasion == GEN_EV_FULLWIDTH || c->evasion == GEN_EV_MIXED_CASE
		   ? 1
	       : c->evasion == GEN_EV_ZERO_WIDTH
		   ? (gen_chance(&g->rng, 0.5) ? 0 : 1)
		   : 0;
	/* a Chinese name needs an import: exports are written in English */
	pos = mk_risk(g, rk, lang,
		      lang == 0 || entry_only(rk->cls) ? GEN_FLOW_IMPORT
						       : GEN_FLOW_ANY);
	it = &g->m.items[pos];
	term = lang == 1 ? rk->term_en : rk->term_zh;
	l->base = rk->cls;
	if (c->evasion == GEN_EV_TRADITIONAL) {
		it->name = rk->trad_name;
		l->evaded = rk->trad_term;
		l->note = "name converted with OpenCC s2t";
		return;
	}
	hit = lang == 1 ? strcasestr(it->name, term) : strstr(it->name, term);
	if (!hit) /* an export wrote the English name */
		hit = strcasestr(it->name, term = rk->term_en);
	if (!hit)
		return;
	switch (c->evasion) {
	case GEN_EV_FULLWIDTH:
		evaded = each_cp(g, term, NULL, true, false);
		break;
	case GEN_EV_MIXED_CASE:
		evaded = each_cp(g, term, NULL, false, true);
		break;
	case GEN_EV_SPACED:
		evaded =
		    each_cp(g, term, gen_chance(&g->rng, 0.7) ? " " : "\u3000",
			    false, false);
		break;
	default:
		evaded = each_cp(g, term, GEN_PICK(&g->rng, zw), false, false);
		break;
	}
	it->name = gs_printf(&g->sc, "%.*s%s%s", (int)(hit - it->name),
			     it->name, evaded, hit + strlen(term));
	l->term = term;
	l->evaded = evaded;
}

static void mk_undervalued(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_rng *r = &g->rng;
	const struct gen_goods *gd =
	    &g->goods[gen_wsel_pick(&g->goods_dear, r)];
	bool cny = gen_chance(r, 0.7);
	unsigned pos;
	int64_t pct = gen_range(r, 1, 5), p;
	struct gen_item tmp;

	gen_base(g, &g->ent_clean, GEN_FLOW_IMPORT, cny, cap_paid(g),
		 gen_chance(r, 0.6) ? 1 : 2);
	pos = (unsigned)gen_below(r, m->n_items);
	gen_item_remove(g, pos);
	gen_add_goods_at(g, gd, gd->pmin, 1);
	/* a phone at CNY 50: 1-5 % of the lowest market price */
	p = gd->pmin * pct / 100 / GEN_ONE * GEN_ONE;
	if (p < CNY(5))
		p = CNY(5);
	gen_item_price(g, &m->items[m->n_items - 1], p, 1);
	tmp = m->items[m->n_items - 1];
	memmove(&m->items[pos + 1], &m->items[pos],
		(m->n_items - 1 - pos) * sizeof(m->items[0]));
	m->items[pos] = tmp;
	gen_finish_money(g);
	g->l.field = gs_printf(&g->sc, "items[%u].price", pos);
	g->l.note = gs_printf(&g->sc,
			      "%s declared at %lld%% of its lowest market "
			      "price (CNY %lld)",
			      gd->name_en, (long long)pct,
			      (long long)(gd->pmin / GEN_ONE));
}

static void mk_vague(struct sl_gen *g, const struct gen_class *c)
{
	struct gen_decl *m = &g->m;
	struct gen_rng *r = &g->rng;
	const struct gen_risk *rk = &g->risk[c->rows[gen_below(r, c->n_rows)]];
	struct gen_item *it;
	unsigned pos;
	int lang;

	gen_base(g, &g->ent_clean, GEN_FLOW_ANY, false, cap_paid(g), 0);
	pos = (unsigned)gen_below(r, m->n_items);
	it = &m->items[pos];
	lang = risk_lang(g);
	if (!m->import && lang == 0)
		lang = 1;
	it->name = lang == 0 ? rk->name_zh
		   : lang == 1
		       ? rk->name_en
		       : gs_printf(&g->sc, "%s %s", rk->name_zh, rk->name_en);
	it->brand = NULL;
	it->model = NULL;
	if (strstr(rk->term_en, "gift") && gen_chance(r, 0.5))
		it->category = "gift";
	g->l.field =
	    gs_cat(&g->sc, "items[", gs_uint(&g->sc, pos, 1), "].name", NULL);
	g->l.term = lang == 1 ? rk->term_en : rk->term_zh;
}

static void mk_limit_txn(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_rng *r = &g->rng;
	bool cny = gen_chance(r, 0.7);
	/* foreign currencies stay far over the limit: any plausible rate
	 * gives the same answer */
	int64_t target =
	    cny ? g->o.txn_limit * 106 / 100 : g->o.txn_limit * 160 / 100;
	unsigned nmax = g->o.items_max < 4 ? g->o.items_max : 4;

	gen_base(g, &g->ent_clean, GEN_FLOW_RETAIL, cny, cap_paid(g), 1);
	m->n_items = 0;
	while (m->n_items < nmax && items_cny(g) < target)
		gen_add_goods(g, &g->goods[gen_wsel_pick(&g->goods_costly, r)],
			      INT64_MAX / 4, true);
	for (int k = 0; k < 50 && items_cny(g) < target; k++) {
		struct gen_item *it = &m->items[k % m->n_items];

		it->qty += GEN_ONE;
		it->total = it->qty / GEN_ONE * it->price;
	}
	gen_finish_money(g);
	g->l.field = "goods_value";
	g->l.show_value = true;
}

/* ---------------------------------------------------------- the state */

struct gen_eval {
	struct gen_acc *b, *c; /* buyer-year, consignee-day; NULL: none */
	int64_t vg, vp;	       /* this parcel, CNY: goods, paid */
	bool txn[2], ann[2], spl[2];
	int year;
	int64_t day;
};

static const char *cons_key(struct sl_gen *g)
{
	const struct gen_person *p = &g->m.cons;

	return p->key ? p->key
		      : gs_cat(&g->sc, p->name, "|", p->phone, "|", p->address,
			       NULL);
}

static void evaluate(struct sl_gen *g, struct gen_eval *ev)
{
	struct gen_decl *m = &g->m;
	struct tm tm = local_tm(m->t);

	memset(ev, 0, sizeof(*ev));
	ev->vg = gen_to_cny(m, m->goods);
	ev->vp = gen_to_cny(m, m->paid);
	ev->year = tm.tm_year + 1900;
	ev->day = local_day(m->t);
	if (is_retail(m)) {
		ev->txn[0] = ev->vg > g->o.txn_limit;
		ev->txn[1] = ev->vp > g->o.txn_limit;
		if (m->has_buyer && m->buyer.id_number) {
			const char *id = m->buyer.id_number;

			ev->b = gen_map_get(
			    &g->buyers,
			    XXH3_64bits_withSeed(id, strlen(id),
						 (uint64_t)ev->year));
			ev->ann[0] = ev->b->g + ev->vg > g->o.annual_limit;
			ev->ann[1] = ev->b->p + ev->vp > g->o.annual_limit;
		}
	}
	if (m->import) {
		const char *k = cons_key(g);
		uint32_t cnt;

		ev->c = gen_map_get(
		    &g->consignees,
		    XXH3_64bits_withSeed(k, strlen(k), (uint64_t)ev->day));
		cnt = ev->c->count + 1;
		ev->spl[0] =
		    cnt > g->o.split_max_count ||
		    (cnt >= 2 && ev->c->g + ev->vg > g->o.split_max_value);
		ev->spl[1] =
		    cnt > g->o.split_max_count ||
		    (cnt >= 2 && ev->c->p + ev->vp > g->o.split_max_value);
	}
}

static bool agree(const struct gen_eval *ev)
{
	return ev->txn[0] == ev->txn[1] && ev->ann[0] == ev->ann[1] &&
	       ev->spl[0] == ev->spl[1];
}

/* Fixes the label of a valid declaration against the state, then records
 * the declaration's effect on it. */
static void settle(struct sl_gen *g)
{
	struct gen_label *l = &g->l;
	struct gen_eval ev;
	const char *expect = l->cls->expect, *why = NULL;
	bool released;

	evaluate(g, &ev);
	if (ev.txn[0])
		why = "limit.txn";
	else if (ev.ann[0])
		why = "annual.over";
	else if (ev.spl[0])
		why = "split.over";
	/* The two measures matter only where they would change a release:
	 * scenario parcels are redrawn until they agree, anything else
	 * that still differs is marked. */
	l->ambiguous = !strcmp(expect, "release") &&
		       (ev.txn[0] || ev.ann[0] || ev.spl[0]) !=
			   (ev.txn[1] || ev.ann[1] || ev.spl[1]);
	if (why && !strcmp(expect, "release")) {
		l->cls = gen_class_find(g, why);
		expect = l->cls->expect;
	}
	l->state_reason = why;
	l->expect = expect;
	released = !strcmp(expect, "release");

	l->value_cny = ev.vg;
	l->paid_cny = ev.vp;
	if (ev.b) {
		l->year = ev.year;
		l->rel_before_g = ev.b->g;
		l->rel_before_p = ev.b->p;
	}
	if (ev.c) {
		l->day = ev.day;
		l->count_before = ev.c->count;
		l->win_before_g = ev.c->g;
		l->win_before_p = ev.c->p;
	}
	if (why || l->buyer_ref || l->cons_ref)
		l->show_value = true;
	if (ev.b && released) {
		ev.b->g += ev.vg;
		ev.b->p += ev.vp;
	}
	if (ev.c) {
		ev.c->count++;
		ev.c->g += ev.vg;
		ev.c->p += ev.vp;
	}
}

/* ---------------------------------------------------------- scenarios */

/* Replaces the goods by ones worth about target CNY. */
static void goods_for_value(struct sl_gen *g, int64_t target)
{
	struct gen_rng *r = &g->rng;

	g->m.n_items = 0;
	for (int t = 0; t < 200; t++) {
		const struct gen_goods *gd =
		    &g->goods[gen_wsel_pick(&g->goods_all, r)];

		/* 9.1 % tax only: paid stays within 9.1 % of goods */
		if (gd->cosmetic || gd->wine)
			continue;
		for (int64_t q = 1; q <= 3; q++) {
			int64_t p = gen_nice_cny(r, target / q);

			if (p >= gd->pmin && p <= gd->pmax) {
				gen_add_goods_at(g, gd, p, q);
				gen_finish_money(g);
				return;
			}
		}
	}
	/* no row fits: the first one, at the target price */
	gen_add_goods_at(g, &g->goods[0], gen_nice_cny(r, target), 1);
	gen_finish_money(g);
}

static void mk_annual(struct sl_gen *g)
{
	struct gen_rng *r = &g->rng;
	struct gen_decl *m = &g->m;
	struct gen_repeat *rep;
	struct gen_eval ev;
	unsigned k;

	if (g->n_repeats < GEN_REPEATS &&
	    (!g->n_repeats || gen_chance(r, 0.15))) {
		rep = &g->repeats[g->n_repeats++];
		memset(rep, 0, sizeof(*rep));
		do {
			gen_person_cn(g, &rep->p, true);
		} while (strcmp(rep->p.id_type, "id_card"));
		rep->target = (uint32_t)gen_range(r, 8, 14);
		rep->id = ++g->repeat_ids;
	}
	k = (unsigned)gen_below(r, g->n_repeats);
	rep = &g->repeats[k];

	for (int t = 0; t < 25; t++) {
		struct gen_acc *b;
		int64_t room_g, room_p, target;
		struct tm tm = local_tm(m->t);
		const char *id = rep->p.id_number;

		b = gen_map_get(&g->buyers, XXH3_64bits_withSeed(
						id, strlen(id),
						(uint64_t)(tm.tm_year + 1900)));
		bool can_fit, can_cross;

		room_g = g->o.annual_limit - b->g;
		room_p = g->o.annual_limit - b->p;
		/* paid >= goods, and released totals too: a parcel that fits
		 * in paid fits in goods, one that crosses in goods crosses in
		 * paid.  Aim for one of those two. */
		can_fit = room_p >= CNY(140);
		can_cross = room_g < CNY(3600);
		if (room_p > CNY(6500)) {
			target = CNY(gen_range(r, 2500, 3800)); /* accumulate */
		} else if (can_cross && (!can_fit || gen_chance(r, 0.6))) {
			/* cross: the goods alone go past the limit */
			target = room_g + CNY(gen_range(r, 150, 500));
		} else if (can_fit) {
			/* a small one that still fits, tax included */
			target = (room_p - CNY(30)) * 100 / 110;
			target = target * gen_range(r, 30, 90) / 100;
			if (target < CNY(60))
				target = CNY(60);
		} else {
			target = CNY(3800);
		}
		if (target > CNY(3800))
			target = CNY(3800);
		m->no_scenery = true;
		gen_base(g, &g->ent_clean, GEN_FLOW_RETAIL_ID, true,
			 cap_paid(g), 1);
		m->buyer = rep->p;
		m->has_buyer = true;
		gen_person_cn(g, &m->cons, false); /* ships to others */
		goods_for_value(g, target);
		evaluate(g, &ev);
		if (agree(&ev))
			break;
	}
	g->l.cls = gen_class_find(g, "annual.under");
	g->l.buyer_ref = gs_printf(&g->sc, "B%u", rep->id);
	if (++rep->made >= rep->target)
		g->repeats[k] = g->repeats[--g->n_repeats];
}

/* A consignee written differently: normalisation must still group it. */
static void cons_variant(struct sl_gen *g, struct gen_person *p)
{
	struct gen_scratch *s = &g->sc;

	switch (gen_below(&g->rng, 4)) {
	case 0: { /* a space after the surname */
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(
		    (const utf8proc_uint8_t *)p->name, -1, &cp);

		if (k > 0)
			p->name = gs_printf(s, "%.*s %s", (int)k, p->name,
					    p->name + k);
		g->l.note = "consignee name written with a space";
		break;
	}
	case 1:
		p->address = each_cp(g, p->address, NULL, true, false);
		g->l.note = "consignee address in fullwidth characters";
		break;
	case 2: /* 138 1234 5678 (fullwidth digits would pass 32 bytes) */
		p->phone = gs_printf(s, "%.3s %.4s %s", p->phone, p->phone + 3,
				     p->phone + 7);
		g->l.note = "consignee phone with spaces";
		break;
	default:
		p->address = gs_printf(s, " %s ", p->address);
		g->l.note = "consignee address with surrounding blanks";
		break;
	}
}

static void mk_split(struct sl_gen *g)
{
	struct gen_rng *r = &g->rng;
	struct gen_decl *m = &g->m;
	int64_t day = local_day(m->t);
	struct gen_group *grp;
	struct gen_eval ev;
	unsigned k;

	for (k = 0; k < g->n_groups;) /* yesterday's groups are over */
		if (g->groups[k].day != day)
			g->groups[k] = g->groups[--g->n_groups];
		else
			k++;
	if (g->n_groups < GEN_GROUPS && (!g->n_groups || gen_chance(r, 0.3))) {
		grp = &g->groups[g->n_groups++];
		memset(grp, 0, sizeof(*grp));
		gen_person_cn(g, &grp->p, true);
		grp->p.key = gen_perm_strdup(
		    &g->perm, gs_printf(&g->sc, "%s|%s|%s", grp->p.name,
					grp->p.phone, grp->p.address));
		grp->by_value = gen_chance(r, 0.3);
		grp->target = grp->by_value ? 2 : (uint32_t)gen_range(r, 4, 7);
		grp->day = day;
		grp->id = ++g->group_ids;
	}
	k = (unsigned)gen_below(r, g->n_groups);
	grp = &g->groups[k];

	for (int t = 0; t < 25; t++) {
		struct gen_acc *c = gen_map_get(
		    &g->consignees,
		    XXH3_64bits_withSeed(grp->p.key, strlen(grp->p.key),
					 (uint64_t)day));
		int64_t target;

		if (!grp->by_value)
			target = CNY(gen_range(r, 300, 1200));
		else if (!c->count)
			target = CNY(gen_range(r, 2800, 3600));
		else
			target = g->o.split_max_value - c->g +
				 CNY(gen_range(r, 200, 800));
		if (target < CNY(300))
			target = CNY(300);
		if (target > CNY(3800))
			target = CNY(3800);
		m->no_scenery = true;
		g->l.note = NULL;
		gen_base(g, &g->ent_clean, GEN_FLOW_RETAIL, true, cap_paid(g),
			 1);
		m->cons = grp->p;
		if (grp->made && gen_chance(r, 0.6))
			cons_variant(g, &m->cons);
		goods_for_value(g, target);
		evaluate(g, &ev);
		if (agree(&ev))
			break;
	}
	g->l.cls = gen_class_find(g, "split.under");
	g->l.cons_ref = gs_printf(&g->sc, "C%u", grp->id);
	if (++grp->made >= grp->target)
		g->groups[k] = g->groups[--g->n_groups];
}

/* -------------------------------------------------------------- labels */

static void add_s(struct gen_scratch *s, cJSON *o, const char *k, const char *v)
{
	if (v)
		gt_add(o, k, gt_str(s, v));
}

static void add_money(struct gen_scratch *s, cJSON *o, const char *k, int64_t v)
{
	gt_add(o, k, gt_raw(s, gen_money(s, v, 2)));
}

static int print_label(struct sl_gen *g, bool valid)
{
	struct gen_scratch *s = &g->sc;
	const struct gen_label *l = &g->l;
	const struct gen_class *c = l->cls;
	const char *expect = l->expect ? l->expect : c->expect;
	cJSON *o = gt_obj(s), *a;
	size_t len;

	gt_add(o, "line", gt_raw(s, gs_uint(s, g->i + 1, 1)));
	gt_add(o, "decl_id",
	       l->decl_id_null ? gt_null(s)
			       : gt_str(s, gs_strdup(s, g->m.decl_id)));
	add_s(s, o, "class", c->name);
	add_s(s, o, "expect", expect);
	a = gt_add(o, "accept", gt_arr(s));
	for (uint32_t i = 0; i < c->accept.n; i++)
		gt_add(a, NULL, gt_str(s, c->accept.v[i]));
	if (*c->rule)
		add_s(s, o, "rule",
		      !strcmp(c->rule, "=base") && l->base ? l->base->rule
							   : c->rule);
	if (valid) {
		add_s(s, o, "tier", gen_tier_name(g->m.ebc->tier));
		if (!strcmp(expect, "release"))
			gt_add(o, "sample_ok", gt_bool(s, true));
	}
	if (c->min_rate > 0)
		gt_add(o, "min_rate",
		       gt_raw(s, gs_printf(s, "%.2f", c->min_rate)));
	if (l->base)
		add_s(s, o, "base", l->base->name);
	add_s(s, o, "field", l->field);
	add_s(s, o, "term", l->term);
	add_s(s, o, "evaded", l->evaded);
	if (c->kind == GEN_K_REJECT) {
		cJSON *e = gt_add(o, "error", gt_obj(s));

		add_s(s, e, "code", gen_code_name(l->code));
		gt_add(e, "field",
		       l->err_field ? gt_str(s, l->err_field) : gt_null(s));
	}
	if (valid && l->show_value) {
		add_money(s, o, "value_cny", l->value_cny);
		add_money(s, o, "paid_cny", l->paid_cny);
	}
	bool buyer_part =
	    l->buyer_ref ||
	    (l->state_reason && !strcmp(l->state_reason, "annual.over"));
	bool cons_part =
	    l->cons_ref ||
	    (l->state_reason && !strcmp(l->state_reason, "split.over"));

	if (valid && (buyer_part || cons_part)) {
		cJSON *st = gt_add(o, "state", gt_obj(s));

		if (l->state_reason && strcmp(l->state_reason, c->name))
			add_s(s, st, "reason", l->state_reason);
		if (buyer_part && l->year) {
			add_s(s, st, "buyer",
			      l->buyer_ref ? l->buyer_ref
					   : g->m.buyer.id_number);
			gt_add(st, "year",
			       gt_raw(s, gs_printf(s, "%d", l->year)));
			add_money(s, st, "released_before_cny",
				  l->rel_before_g);
			add_money(s, st, "released_before_paid_cny",
				  l->rel_before_p);
			add_money(s, st, "limit_cny", g->o.annual_limit);
		}
		if (cons_part) {
			time_t d = (time_t)(l->day * 86400);
			struct tm tm;

			gmtime_r(&d, &tm);
			add_s(s, st, "consignee",
			      l->cons_ref ? l->cons_ref : "-");
			add_s(s, st, "day",
			      gs_printf(s, "%04d-%02d-%02d", tm.tm_year + 1900,
					tm.tm_mon + 1, tm.tm_mday));
			gt_add(st, "count_before",
			       gt_raw(s, gs_printf(s, "%u", l->count_before)));
			add_money(s, st, "value_before_cny", l->win_before_g);
			add_money(s, st, "value_before_paid_cny",
				  l->win_before_p);
		}
	}
	if (l->ambiguous)
		gt_add(o, "ambiguous", gt_bool(s, true));
	add_s(s, o, "note", l->note);
	if (gt_print_json(o, g->label, g->label_cap - 1, &len))
		return -1;
	g->label[len++] = '\n';
	g->label[len] = '\0';
	return (int)len;
}

/* -------------------------------------------------------------- record */

int sl_gen_next(struct sl_gen *g, const void **rec, size_t *len,
		const char **label, size_t *label_len)
{
	struct gen_decl *m = &g->m;
	struct gen_label *l = &g->l;
	struct gen_rng *r = &g->rng;
	const struct gen_class *c;
	const char *frame = NULL;
	size_t flen = 0;
	bool tail, valid;
	cJSON *root;
	int n;

	if (g->i >= g->o.count)
		return 0;
	g->sc.used = 0;
	g->sc.n_nodes = 0;
	memset(l, 0, sizeof(*l));
	m->no_scenery = false;
	m->t = slot_time(g);
	set_decl_id(g);

	tail = g->o.truncated_tail && g->i + 1 == g->o.count;
	c = tail ? gen_class_find(g, "clean")
		 : &g->classes[gen_wsel_pick(&g->mix, r)];
	if (g->next_forced < g->n_forced &&
	    g->forced_slot[g->next_forced] == g->i)
		c = &g->classes[g->forced_class[g->next_forced++]];
	/* scenario parcels avoid 00:00-07:59 local time, where the local and
	 * the UTC date differ: the labels then hold whichever day or year
	 * the engine takes */
	if ((c->kind == GEN_K_ANNUAL || c->kind == GEN_K_SPLIT) &&
	    local_hour(m->t) < 8)
		c = gen_class_find(g, "clean");
	l->cls = c;
	valid = c->kind != GEN_K_REJECT;

	switch (c->kind) {
	case GEN_K_PROHIBITED:
	case GEN_K_RESTRICTED:
	case GEN_K_TRAP:
		mk_risk(g, &g->risk[c->rows[gen_below(r, c->n_rows)]], -1,
			entry_only(c) ? GEN_FLOW_IMPORT : GEN_FLOW_ANY);
		break;
	case GEN_K_EVASION:
		mk_evasion(g, c);
		break;
	case GEN_K_UNDERVALUED:
		mk_undervalued(g);
		break;
	case GEN_K_VAGUE:
		mk_vague(g, c);
		break;
	case GEN_K_LIMIT_TXN:
		mk_limit_txn(g);
		break;
	case GEN_K_ANNUAL:
		mk_annual(g);
		break;
	case GEN_K_SPLIT:
		mk_split(g);
		break;
	case GEN_K_REJECT:
		gen_reject_base(g);
		break;
	default:
		gen_base(g, ents_for(g, c), GEN_FLOW_ANY, false, cap_paid(g),
			 0);
		break;
	}
	if (!m->no_scenery && valid) {
		m->nulls = gen_chance(r, 0.03);
		m->extra = gen_chance(r, 0.05);
		m->reorder = gen_chance(r, 0.03);
	} else {
		m->nulls = m->extra = m->reorder = false;
	}
	if (valid && !tail)
		settle(g);

	root = gen_tree(g);
	if (!valid)
		root = gen_reject(g, root, &frame, &flen);

	if (frame && g->o.format == SL_GEN_MSGPACK) {
		/* not JSON on the wire: the same text as a MessagePack string,
		 * which is a record but not a map */
		g->sbuf.size = 0;
		msgpack_pack_str(&g->pk, flen);
		msgpack_pack_str_body(&g->pk, frame, flen);
		*rec = g->sbuf.data;
		*len = g->sbuf.size;
		l->code = SL_E_NOT_OBJECT;
		l->note =
		    gs_printf(&g->sc, "%s (MessagePack: sent as a string)",
			      l->note ? l->note : "not JSON");
	} else if (frame) {
		memcpy(g->out, frame, flen);
		g->out[flen++] = '\n';
		*rec = g->out;
		*len = flen;
	} else if (g->o.format == SL_GEN_JSON) {
		if (gt_print_json(root, g->out, g->out_cap - 1, len))
			return -1;
		g->out[(*len)++] = '\n';
		*rec = g->out;
	} else {
		g->sbuf.size = 0;
		if (gt_pack(root, &g->pk))
			return -1;
		*rec = g->sbuf.data;
		*len = g->sbuf.size;
	}

	if (tail) {
		/* a partial write: the last record cut in the middle */
		*len = g->o.format == SL_GEN_JSON ? (*len - 1) / 2 : *len / 2;
		valid = false;
		l->decl_id_null = true;
		l->err_field = NULL;
		if (g->o.format == SL_GEN_JSON) {
			l->cls = gen_class_find(g, "reject.not_json");
			l->code = SL_E_NOT_JSON;
			l->note = "the last line, cut short (no newline)";
		} else {
			l->cls = gen_class_find(g, "reject.bad_msgpack");
			l->code = SL_E_BAD_MSGPACK;
			l->note = "the last record, cut short";
		}
	}

	*label = NULL;
	*label_len = 0;
	if (g->o.labels) {
		n = print_label(g, valid);
		if (n < 0)
			return -1;
		*label = g->label;
		*label_len = (size_t)n;
	}
	g->i++;
	return 1;
}
