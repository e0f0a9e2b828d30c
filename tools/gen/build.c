/* sluice-gen — building one declaration model: parties, people, goods,
 * money, and the tree it is written from.  Control plane (a tool).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_model.h"

#define CNY(x) ((int64_t)(x)*GEN_ONE)

const struct gen_class *gen_class_find(const struct sl_gen *g, const char *name)
{
	for (uint32_t i = 0; i < g->n_classes; i++)
		if (!strcmp(g->classes[i].name, name))
			return &g->classes[i];
	return NULL;
}

/* ------------------------------------------------------------- money */

static char *put_u64(char *p, uint64_t v, int min_digits)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < min_digits);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "398.00" for 398 * GEN_ONE with dec 2.  Digits beyond dec are cut, so
 * callers round first. */
char *gen_money(struct gen_scratch *s, int64_t v, int dec)
{
	char *buf = gs_alloc(s, 32), *p = buf;
	uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
	uint64_t div = 1;

	for (int i = dec; i < 5; i++)
		div *= 10;
	if (v < 0)
		*p++ = '-';
	p = put_u64(p, u / GEN_ONE, 1);
	if (dec > 0) {
		*p++ = '.';
		p = put_u64(p, (u % GEN_ONE) / div, dec);
	}
	*p = '\0';
	return buf;
}

static int64_t round_to(int64_t v, int dec)
{
	int64_t unit = 1;

	for (int i = dec; i < 5; i++)
		unit *= 10;
	return (v >= 0 ? v + unit / 2 : v - unit / 2) / unit * unit;
}

int64_t gen_to_cny(const struct gen_decl *m, int64_t v)
{
	double cny = (double)v / GEN_ONE * m->fx->rate;

	return (int64_t)llround(cny * 100) * (GEN_ONE / 100);
}

/* A shop price near x CNY: 199, 1299, 89.90, 12.50. */
int64_t gen_nice_cny(struct gen_rng *r, int64_t x)
{
	int64_t yuan = x / GEN_ONE;
	static const int cents[] = {0, 90, 50, 99, 0, 80};

	if (yuan >= 100) {
		int64_t v = (yuan + 5) / 10 * 10;

		if (gen_chance(r, 0.6))
			v -= 1;
		return CNY(v);
	}
	if (yuan >= 10)
		return CNY(yuan) + GEN_PICK(r, cents) * (GEN_ONE / 100);
	if (x < CNY(1))
		return CNY(1);
	return x / (GEN_ONE / 10) * (GEN_ONE / 10);
}

int64_t gen_price_from_cny(const struct gen_fx *fx, int64_t cny, int *dec,
			   struct gen_rng *r)
{
	double v = (double)cny / GEN_ONE / fx->rate;

	*dec = fx->dec;
	if (fx->rate == 1.0)
		return cny;
	if (fx->dec == 0) {
		int64_t step = v >= 10000 ? 100 : 10;
		int64_t n = llround(v / (double)step) * step;

		if (n > 4 * step && gen_chance(r, 0.5))
			n -= 2 * step; /* 1980, 3300 */
		return CNY(n < 1 ? 1 : n);
	} else {
		int64_t c = llround(v * 100);

		if (v >= 10 && gen_chance(r, 0.5))
			c = c / 100 * 100 + 99; /* 29.99 */
		else if (v >= 10 && gen_chance(r, 0.3))
			c = c / 100 * 100;
		if (c < 1)
			c = 1;
		return c * (GEN_ONE / 100);
	}
}

/* ------------------------------------------------------------ people */

static const char *const mobile_prefix[] = {
    "130", "131", "132", "133", "134", "135", "136", "137", "138",
    "139", "147", "150", "151", "152", "153", "155", "156", "157",
    "158", "159", "166", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "198", "199"};

static const char *dup(struct sl_gen *g, bool perm, const char *s)
{
	return perm ? gen_perm_strdup(&g->perm, s) : gs_strdup(&g->sc, s);
}

void gen_person_cn(struct sl_gen *g, struct gen_person *p, bool perm)
{
	struct gen_rng *r = &g->rng;
	const struct gen_place *pl =
	    &g->places[gen_wsel_pick(&g->place_sel, r)];
	const struct gen_place *home =
	    gen_chance(r, 0.75) ? pl : &g->places[gen_below(r, g->n_places)];
	struct gen_scratch *s = &g->sc;
	char id[20];
	const char *addr;
	struct tm tm;
	/* born 1956-01-01 .. 2006-12-31 */
	time_t birth = (time_t)gen_range(r, -441763200, 1167523200);
	const char *street = pl->streets.v[gen_below(r, pl->streets.n)];

	/* Every random draw is its own statement: the order in which a
	 * call's arguments are evaluated is unspecified, and the output
	 * must not depend on the compiler. */
	const char *sur = g->surnames.v[gen_wsel_pick(&g->surname_sel, r)];
	const char *g1 = g->given.v[gen_below(r, g->given.n)];
	const char *g2 =
	    gen_chance(r, 0.7) ? g->given.v[gen_below(r, g->given.n)] : "";
	unsigned seq = (unsigned)gen_range(r, 1, 999);
	const char *pre = GEN_PICK(r, mobile_prefix);
	unsigned tail = (unsigned)gen_below(r, 100000000);
	unsigned num = (unsigned)gen_range(r, 1, 399);

	gmtime_r(&birth, &tm);
	memcpy(id, home->code, 6);
	put_u64(put_u64(put_u64(put_u64(id + 6, (uint64_t)tm.tm_year + 1900, 4),
				(uint64_t)tm.tm_mon + 1, 2),
			(uint64_t)tm.tm_mday, 2),
		seq, 3);
	id[17] = gen_resident_id_check(id);
	id[18] = '\0';
	addr = gs_cat(s, pl->province,
		      strcmp(pl->province, pl->city) ? pl->city : "",
		      pl->district, street, gs_uint(s, num, 1), "号", NULL);
	if (gen_chance(r, 0.8)) {
		const char *estate = g->estates.v[gen_below(r, g->estates.n)];
		unsigned b = (unsigned)gen_range(r, 1, 32);
		unsigned u = (unsigned)gen_range(r, 1, 6);
		unsigned fl = (unsigned)gen_range(r, 1, 33);
		unsigned rm = (unsigned)gen_range(r, 1, 4);

		addr = gs_cat(s, addr, estate, gs_uint(s, b, 1), "号楼",
			      gs_uint(s, u, 1), "单元", gs_uint(s, fl, 1),
			      gs_uint(s, rm, 2), "室", NULL);
	}

	p->name = dup(g, perm, gs_cat(s, sur, g1, g2, NULL));
	if (gen_chance(r, 0.03)) {
		/* Chinese e-passport: E + 8 digits */
		char pp[16];

		snprintf(pp, sizeof(pp), "E%08u",
			 (unsigned)gen_below(r, 100000000));
		p->id_type = "passport";
		p->id_number = dup(g, perm, pp);
	} else {
		p->id_type = "id_card";
		p->id_number = dup(g, perm, id);
	}
	p->phone = dup(g, perm, gs_cat(s, pre, gs_uint(s, tail, 8), NULL));
	p->address = dup(g, perm, addr);
	p->district = pl->code;
	p->key = NULL;
}

static void person_abroad(struct sl_gen *g, struct gen_person *p)
{
	struct gen_rng *r = &g->rng;
	const struct gen_party *a =
	    &g->parties[g->abroad[gen_below(r, g->n_abroad)]];

	const char *first = g->en_first.v[gen_below(r, g->en_first.n)];
	const char *last = g->en_last.v[gen_below(r, g->en_last.n)];
	unsigned cc = (unsigned)gen_range(r, 1, 86);
	unsigned area = (unsigned)gen_range(r, 20, 99);
	unsigned p1 = (unsigned)gen_below(r, 10000);
	unsigned p2 = (unsigned)gen_below(r, 10000);

	p->name = gs_printf(&g->sc, "%s %s", first, last);
	p->id_type = NULL;
	p->id_number = NULL;
	p->phone = gs_printf(&g->sc, "+%u %u %04u %04u", cc, area, p1, p2);
	p->address = a->address;
	p->district = a->country; /* remembered for the sender/currency */
	p->key = NULL;
}

/* ------------------------------------------------------------- goods */

static const char *gs1_prefix(struct gen_rng *r, const char *cc)
{
	static const struct {
		const char *cc, *p;
	} t[] = {{"JP", "49"},	{"KR", "880"}, {"US", "0"},   {"DE", "40"},
		 {"FR", "30"},	{"GB", "50"},  {"IT", "80"},  {"ES", "84"},
		 {"NL", "87"},	{"CH", "76"},  {"AU", "93"},  {"NZ", "94"},
		 {"CN", "69"},	{"TW", "471"}, {"HK", "489"}, {"SE", "73"},
		 {"DK", "57"},	{"BE", "54"},  {"CA", "0"},   {"TH", "885"},
		 {"VN", "893"}, {"IE", "539"}, {"AT", "90"},  {"SG", "888"}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].cc, cc))
			return t[i].p;
	return gen_chance(r, 0.5) ? "40" : "0";
}

static const char *barcode(struct sl_gen *g, const char *origin)
{
	char b[16];
	const char *pre = gs1_prefix(&g->rng, origin);
	size_t n = strlen(pre);

	memcpy(b, pre, n);
	for (; n < 12; n++)
		b[n] = (char)('0' + gen_below(&g->rng, 10));
	b[12] = gen_ean13_check(b);
	b[13] = '\0';
	return gs_strdup(&g->sc, b);
}

static const char *sku(struct sl_gen *g, const char *brand)
{
	char b[8];
	int n = 0;

	for (const char *c = brand; *c && n < 3; c++)
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z'))
			if (c == brand || c[-1] == ' ' || n == 0)
				b[n++] = (char)(*c & ~0x20);
	if (!n)
		b[n++] = 'G';
	b[n] = '\0';
	return gs_cat(
	    &g->sc, b, "-",
	    gs_digits(&g->sc, &g->rng, 4 + (unsigned)gen_below(&g->rng, 3)),
	    NULL);
}

void gen_goods_tax_kind(struct gen_goods *gd)
{
	static const char *const p50[] = {"skincare", "makeup", "perfume",
					  "wine", "jewellery"};
	static const char *const p20[] = {"apparel",  "shoes",	 "bags",
					  "watch",    "toys",	 "sports",
					  "home",     "kitchen", "electronics",
					  "bodycare", "haircare"};

	gd->postal_rate = 0.13;
	for (size_t i = 0; i < sizeof(p50) / sizeof(p50[0]); i++)
		if (!strcmp(gd->group, p50[i]))
			gd->postal_rate = 0.50;
	for (size_t i = 0; i < sizeof(p20) / sizeof(p20[0]); i++)
		if (!strcmp(gd->group, p20[i]))
			gd->postal_rate = 0.20;
	gd->cosmetic = !strcmp(gd->group, "skincare") ||
		       !strcmp(gd->group, "makeup") ||
		       !strcmp(gd->group, "perfume");
	gd->wine = !strcmp(gd->group, "wine");
}

/* Import tax of one item.  gd NULL: goods outside the catalogue. */
static double tax_rate(const struct gen_decl *m, const struct gen_goods *gd,
		       int64_t price_cny)
{
	if (!m->import)
		return 0;
	if (m->trade_mode[0] == 'p') /* personal postal articles: 13/20/50 % */
		return gd ? gd->postal_rate : 0.13;
	/* CBEC retail: 70 % of VAT and consumption tax */
	if (gd && gd->cosmetic && price_cny >= CNY(500))
		return 0.231;
	if (gd && gd->wine)
		return 0.179;
	return 0.091;
}

static bool is_b2b(const struct gen_decl *m)
{
	return !strcmp(m->trade_mode, "9710") || !strcmp(m->trade_mode, "9810");
}

static const char *item_origin(struct sl_gen *g, const struct gen_list *o)
{
	struct gen_decl *m = &g->m;

	if (!m->import)
		return "CN";
	for (uint32_t i = 0; i < o->n; i++)
		if (m->sender_country && !strcmp(o->v[i], m->sender_country))
			return o->v[i];
	return o->n ? o->v[gen_below(&g->rng, o->n)] : m->sender_country;
}

/* 0 Chinese, 1 English, 2 both. */
int gen_pick_lang(struct sl_gen *g)
{
	double x = gen_unit(&g->rng);

	if (g->m.import)
		return x < 0.6 ? 0 : x < 0.8 ? 1 : 2;
	return x < 0.75 ? 1 : 2;
}

static struct gen_item *new_item(struct sl_gen *g, unsigned pos)
{
	struct gen_decl *m = &g->m;
	struct gen_item *it;

	if (pos > m->n_items)
		pos = m->n_items;
	memmove(&m->items[pos + 1], &m->items[pos],
		(m->n_items - pos) * sizeof(m->items[0]));
	m->n_items++;
	it = &m->items[pos];
	memset(it, 0, sizeof(*it));
	return it;
}

static void set_price(struct sl_gen *g, struct gen_item *it, int64_t cny,
		      int64_t qty)
{
	struct gen_decl *m = &g->m;

	it->price = gen_price_from_cny(m->fx, cny, &it->price_dec, &g->rng);
	if (is_b2b(m) && gen_chance(&g->rng, 0.3)) {
		/* wholesale unit prices with 4 decimals */
		double v = (double)cny / GEN_ONE / m->fx->rate;

		it->price = llround(v * 10000) * (GEN_ONE / 10000);
		if (it->price <= 0)
			it->price = GEN_ONE / 10000;
		it->price_dec = 4;
	}
	it->qty = qty * GEN_ONE;
	it->qty_dec = 0;
	it->total = qty * it->price;
	it->total_dec = it->price_dec;
}

static void add_goods(struct sl_gen *g, const struct gen_goods *gd,
		      int64_t budget_cny, bool dear, int64_t fixed,
		      int64_t fixed_qty);

void gen_add_goods(struct sl_gen *g, const struct gen_goods *gd,
		   int64_t budget_cny, bool dear)
{
	add_goods(g, gd, budget_cny, dear, 0, 0);
}

void gen_add_goods_at(struct sl_gen *g, const struct gen_goods *gd,
		      int64_t price_cny, int64_t qty)
{
	add_goods(g, gd, INT64_MAX / 4, false, price_cny, qty);
}

void gen_item_price(struct sl_gen *g, struct gen_item *it, int64_t cny,
		    int64_t qty)
{
	set_price(g, it, cny, qty);
}

void gen_item_remove(struct sl_gen *g, unsigned pos)
{
	struct gen_decl *m = &g->m;

	if (pos >= m->n_items)
		return;
	memmove(&m->items[pos], &m->items[pos + 1],
		(m->n_items - pos - 1) * sizeof(m->items[0]));
	m->n_items--;
}

static void add_goods(struct sl_gen *g, const struct gen_goods *gd,
		      int64_t budget_cny, bool dear, int64_t fixed,
		      int64_t fixed_qty)
{
	struct gen_rng *r = &g->rng;
	struct gen_decl *m = &g->m;
	struct gen_item *it = new_item(g, m->n_items);
	int64_t hi = gd->pmax < budget_cny ? gd->pmax : budget_cny;
	int64_t price, qty = 1;
	const char *brand =
	    gd->brands.n ? gd->brands.v[gen_below(r, gd->brands.n)] : NULL;
	const char *model =
	    gd->models.n ? gd->models.v[gen_below(r, gd->models.n)] : NULL;
	int lang = gen_pick_lang(g);
	double x;

	if (hi < gd->pmin)
		hi = gd->pmin;
	if (dear) {
		int64_t mid = (gd->pmin + gd->pmax) / 2;

		price = gen_range(r, mid, gd->pmax);
	} else {
		/* log-uniform: cheap variants are more common */
		double lo = log((double)gd->pmin), up = log((double)hi);

		price = (int64_t)exp(lo + (up - lo) * gen_unit(r));
	}
	price = gen_nice_cny(r, price);
	if (fixed) {
		price = fixed;
		qty = fixed_qty;
	} else if (dear) {
		qty = 1;
	} else if (is_b2b(m)) {
		/* wholesale: 30-55 % of retail, whole cents */
		price = price * gen_range(r, 30, 55) / 100 / (GEN_ONE / 100) *
			(GEN_ONE / 100);
		qty = gen_range(r, 2, 50) * 10;
	} else {
		x = gen_unit(r);
		qty = x < 0.75 ? 1 : x < 0.9 ? 2 : gen_range(r, 3, 6);
		while (qty > 1 && qty * price > budget_cny)
			qty--;
	}
	set_price(g, it, price, qty);

	it->hs = gd->hs;
	it->origin = item_origin(g, &gd->origins);
	it->unit = gd->unit;
	it->weight_g = gd->weight_g;
	it->tax_rate = tax_rate(m, gd, price);
	x = gen_unit(r);
	if (lang == 0)
		it->name =
		    x < 0.45 && brand
			? gs_cat(&g->sc, brand, " ", gd->name_zh,
				 model ? " " : "", model ? model : "", NULL)
		    : x < 0.8 && model
			? gs_cat(&g->sc, gd->name_zh, " ", model, NULL)
			: gd->name_zh;
	else if (lang == 1)
		it->name = x < 0.6 && brand
			       ? gs_cat(&g->sc, brand, " ", gd->name_en, NULL)
			       : gd->name_en;
	else
		it->name = gs_cat(&g->sc, brand ? brand : "", brand ? " " : "",
				  gd->name_zh, " ", gd->name_en, NULL);
	it->brand = brand && gen_chance(r, 0.85) ? brand : NULL;
	it->model = model && gen_chance(r, 0.7) ? model : NULL;
	it->sku =
	    gen_chance(r, 0.8) ? sku(g, brand ? brand : gd->name_en) : NULL;
	it->barcode = gen_chance(r, 0.75) ? barcode(g, it->origin) : NULL;
	it->category = gen_chance(r, 0.8) ? "sale" : NULL;
}

void gen_add_risk(struct sl_gen *g, const struct gen_risk *rk, unsigned pos,
		  int lang, int64_t budget_cny)
{
	struct gen_rng *r = &g->rng;
	struct gen_decl *m = &g->m;
	struct gen_item *it = new_item(g, pos);
	int64_t hi = rk->pmax < budget_cny ? rk->pmax : budget_cny;
	int64_t price;

	if (hi < rk->pmin)
		hi = rk->pmin;
	price = gen_nice_cny(r, gen_range(r, rk->pmin, hi));
	set_price(g, it, price, 1);
	it->hs = rk->hs;
	it->origin = item_origin(g, &rk->origins);
	it->unit = rk->unit;
	it->weight_g = rk->weight_g;
	it->tax_rate = tax_rate(m, NULL, price);
	it->name = lang == 0 ? rk->name_zh
		   : lang == 1
		       ? rk->name_en
		       : gs_printf(&g->sc, "%s %s", rk->name_zh, rk->name_en);
	it->sku = gen_chance(r, 0.5) ? sku(g, rk->name_en) : NULL;
	it->category = gen_chance(r, 0.8) ? "sale" : NULL;
}

unsigned gen_n_items(struct sl_gen *g)
{
	unsigned lo = g->o.items_min, hi = g->o.items_max, k;
	double total = 0, x;

	for (k = lo; k <= hi; k++)
		total += pow((double)(k - lo + 1), -1.6);
	x = gen_unit(&g->rng) * total;
	for (k = lo; k < hi; k++) {
		x -= pow((double)(k - lo + 1), -1.6);
		if (x < 0)
			break;
	}
	return k;
}

/* ------------------------------------------------------------ parties */

static const struct gen_party *pick_logistics(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_rng *r = &g->rng;
	const char *want;
	static const char *const imp9610[] = {
	    "s10:E", "s10:C", "s10:E", "dhl", "fedex", "ups", "cainiao", "sf"};
	static const char *const imp1210[] = {"sf", "zto",     "yto",
					      "jd", "cainiao", "s10:E"};
	static const char *const postal[] = {"s10:C", "s10:R", "s10:E"};
	static const char *const exp9610[] = {"s10:E", "cainiao", "sf",
					      "s10:C"};
	static const char *const b2b[] = {"dhl", "fedex", "ups", "sf"};

	if (m->import)
		want = !strcmp(m->trade_mode, "9610")	? GEN_PICK(r, imp9610)
		       : !strcmp(m->trade_mode, "1210") ? GEN_PICK(r, imp1210)
							: GEN_PICK(r, postal);
	else
		want = !strcmp(m->trade_mode, "9610") ? GEN_PICK(r, exp9610)
						      : GEN_PICK(r, b2b);
	for (uint32_t i = 0; i < g->n_logistics; i++)
		if (!strcmp(g->parties[g->logistics[i]].extra, want))
			return &g->parties[g->logistics[i]];
	return &g->parties[g->logistics[0]];
}

static const char *waybill(struct sl_gen *g, const char *style,
			   const char *country)
{
	struct gen_scratch *s = &g->sc;
	struct gen_rng *r = &g->rng;

	if (!strncmp(style, "s10:", 4)) {
		char l2 = (char)('A' + gen_below(r, 26));
		const char *d = gs_digits(s, r, 8);

		char head[3] = {style[4], l2, '\0'},
		     chk[2] = {gen_s10_check(d), '\0'};

		return gs_cat(s, head, d, chk, country, NULL);
	}
	if (!strcmp(style, "sf"))
		return gs_cat(s, "SF", gs_digits(s, r, 13), NULL);
	if (!strcmp(style, "zto"))
		return gs_cat(s, "7", gs_digits(s, r, 11), NULL);
	if (!strcmp(style, "yto"))
		return gs_cat(s, "YT", gs_digits(s, r, 13), NULL);
	if (!strcmp(style, "jd"))
		return gs_cat(s, "JDV", gs_digits(s, r, 12), NULL);
	if (!strcmp(style, "cainiao"))
		return gs_cat(s, "LP", gs_digits(s, r, 14), NULL);
	if (!strcmp(style, "dhl"))
		return gs_digits(s, r, 10);
	if (!strcmp(style, "fedex"))
		return gs_digits(s, r, 12);
	{
		char a = (char)('A' + gen_below(r, 26));
		char b = (char)('0' + gen_below(r, 10));
		char c = (char)('A' + gen_below(r, 26));

		return gs_printf(s, "1Z%c%c%c%s", a, b, c, gs_digits(s, r, 13));
	}
}

/* A sender in country cc if the tables have one, else any sender. */
static const struct gen_party *sender_from(struct sl_gen *g, const char *cc)
{
	uint32_t n = 0, pick;

	for (uint32_t i = 0; i < g->n_senders; i++)
		n += !strcmp(g->parties[g->senders[i]].country, cc);
	if (!n)
		return &g->parties[g->senders[gen_below(&g->rng,
							g->n_senders)]];
	pick = (uint32_t)gen_below(&g->rng, n);
	for (uint32_t i = 0; i < g->n_senders; i++)
		if (!strcmp(g->parties[g->senders[i]].country, cc) && !pick--)
			return &g->parties[g->senders[i]];
	return &g->parties[g->senders[0]];
}

static const struct gen_fx *fx_of(struct sl_gen *g, const char *cc)
{
	for (uint32_t i = 0; i < g->n_fx; i++)
		for (uint32_t j = 0; j < g->fx[i].countries.n; j++)
			if (!strcmp(g->fx[i].countries.v[j], cc))
				return &g->fx[i];
	return NULL;
}

static const struct gen_fx *fx_named(struct sl_gen *g, const char *cur)
{
	for (uint32_t i = 0; i < g->n_fx; i++)
		if (!strcmp(g->fx[i].cur, cur))
			return &g->fx[i];
	return g->cny;
}

const char *gen_declared_at(struct sl_gen *g, int style)
{
	int64_t off = style == 2 ? 0 : style == 3 ? 9 * 3600 : 8 * 3600;
	time_t t = (time_t)(g->m.t + off);
	struct tm tm;

	char *o = gs_alloc(&g->sc, 32), *p = o;

	gmtime_r(&t, &tm);
	p = put_u64(p, (uint64_t)tm.tm_year + 1900, 4);
	*p++ = '-';
	p = put_u64(p, (uint64_t)tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_u64(p, (uint64_t)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_u64(p, (uint64_t)tm.tm_hour, 2);
	*p++ = ':';
	p = put_u64(p, (uint64_t)tm.tm_min, 2);
	*p++ = ':';
	p = put_u64(p, (uint64_t)tm.tm_sec, 2);
	if (style == 1) {
		*p++ = '.';
		p = put_u64(p, gen_below(&g->rng, 1000), 3);
	}
	strcpy(p, style == 2 ? "Z" : style == 3 ? "+09:00" : "+08:00");
	return o;
}

/* Order and payment numbers in the platforms' own shapes. */
static void order_numbers(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_scratch *s = &g->sc;
	struct gen_rng *r = &g->rng;
	time_t t = (time_t)(m->t + 8 * 3600);
	struct tm tm;
	char date[16];

	gmtime_r(&t, &tm);
	put_u64(put_u64(put_u64(date, (uint64_t)tm.tm_year + 1900, 4),
			(uint64_t)tm.tm_mon + 1, 2),
		(uint64_t)tm.tm_mday, 2)[0] = '\0';
	if (m->ebp && strstr(m->ebp->name, "天猫"))
		m->order_no = gs_digits(s, r, 19);
	else if (m->ebp && strstr(m->ebp->name, "京东"))
		m->order_no = gs_digits(s, r, 12);
	else
		m->order_no = gs_cat(s, "SO", date, gs_digits(s, r, 8), NULL);
	if (gen_chance(r, 0.9)) {
		double x = gen_unit(r);

		if (x < 0.55) { /* Alipay */
			m->pay_txn =
			    gs_cat(s, date, "2200", gs_digits(s, r, 16), NULL);
		} else if (x < 0.9) { /* WeChat Pay */
			const char *a = gs_digits(s, r, 5);

			m->pay_txn = gs_cat(s, "42000", a, date,
					    gs_digits(s, r, 10), NULL);
		} else { /* UnionPay */
			m->pay_txn =
			    gs_cat(s, "UP", date, gs_digits(s, r, 12), NULL);
		}
	}
}

void gen_base(struct sl_gen *g, const struct gen_wsel *ents, int flow_req,
	      bool cny_only, int64_t paid_max_cny, unsigned n_items)
{
	struct gen_decl *m = &g->m;
	struct gen_rng *r = &g->rng;
	struct gen_scratch *s = &g->sc;
	const struct gen_party *snd;
	const struct gen_goods *first = NULL;
	int64_t budget, cap;
	double x;
	int tries;
	bool no_scenery = m->no_scenery;
	int64_t t = m->t;
	char id[48];

	memcpy(id, m->decl_id, sizeof(id));
	memset(m, 0, offsetof(struct gen_decl, items));
	memcpy(m->decl_id, id, sizeof(id));
	m->t = t;
	m->no_scenery = no_scenery;

	/* flow and trade mode */
	x = gen_unit(r);
	if (flow_req == GEN_FLOW_ANY && x >= 0.85) {
		m->import = false;
		x = gen_unit(r);
		m->trade_mode = x < 0.5 ? "9610" : x < 0.8 ? "9710" : "9810";
	} else {
		m->import = true;
		x = gen_unit(r);
		m->trade_mode = flow_req >= GEN_FLOW_RETAIL
				    ? (x < 0.65 ? "9610" : "1210")
				    : (x < 0.55	  ? "9610"
				       : x < 0.85 ? "1210"
						  : "postal");
	}
	m->tz_style = 0;
	if (!no_scenery) {
		x = gen_unit(r);
		m->tz_style = x < 0.89 ? 0 : x < 0.93 ? 1 : x < 0.97 ? 2 : 3;
	}
	m->ebc = &g->ents[gen_wsel_pick(ents, r)];
	m->customs_code = gen_chance(r, 0.92) ? "0501" : NULL;

	/* parties */
	if (m->import) {
		bool postal = !strcmp(m->trade_mode, "postal");

		if (gen_chance(r, postal ? 0.3 : 0.95))
			m->ebp = &g->parties[gen_wsel_pick(&g->ebp_sel, r)];
		/* the first item decides where the parcel comes from */
		first = &g->goods[gen_wsel_pick(&g->goods_all, r)];
		snd = sender_from(
		    g, first->origins.v[gen_below(r, first->origins.n)]);
		m->sender_name = snd->name;
		m->sender_address = snd->address;
		m->sender_country = snd->country;
		m->has_buyer = !postal || gen_chance(r, 0.5);
		gen_person_cn(g, &m->buyer, false);
		if (flow_req == GEN_FLOW_RETAIL_ID) {
			while (strcmp(m->buyer.id_type, "id_card"))
				gen_person_cn(g, &m->buyer, false);
		}
		if (gen_chance(r, 0.7)) {
			m->cons = m->buyer;
		} else {
			gen_person_cn(g, &m->cons, false);
			if (gen_chance(r, 0.5)) { /* family, same home */
				m->cons.address = m->buyer.address;
				m->cons.district = m->buyer.district;
			}
		}
		if (cny_only || !strcmp(m->trade_mode, "1210"))
			m->fx = g->cny;
		else if (gen_chance(r, !strcmp(m->trade_mode, "9610") ? 0.75
								      : 0.6))
			m->fx = g->cny;
		else
			m->fx = fx_of(g, m->sender_country);
		if (!m->fx)
			m->fx = fx_named(g, "USD");
	} else {
		if (!strcmp(m->trade_mode, "9610") && gen_chance(r, 0.7))
			m->ebp = &g->parties[gen_wsel_pick(&g->ebp_sel, r)];
		person_abroad(g, &m->cons);
		m->has_buyer = false;
		m->sender_name = m->ebc->name;
		m->sender_address = m->ebc->address;
		m->sender_country = "CN";
		x = gen_unit(r);
		m->fx = cny_only   ? g->cny
			: x < 0.6  ? fx_named(g, "USD")
			: x < 0.75 ? fx_named(g, "EUR")
			: x < 0.9  ? g->cny
				   : fx_of(g, m->cons.district);
		if (!m->fx)
			m->fx = fx_named(g, "USD");
		m->cons.district = NULL;
	}
	m->logistics = pick_logistics(g);
	m->waybill = waybill(g, m->logistics->extra,
			     m->import ? m->sender_country : "CN");
	order_numbers(g);

	/* goods, within the budget */
	if (!n_items)
		n_items = gen_n_items(g);
	/* Foreign-currency parcels stay far below the limits, so the labels
	 * do not depend on the exchange rates a bundle uses. */
	cap = m->fx != g->cny && paid_max_cny > CNY(3500) ? CNY(3500)
							  : paid_max_cny;
	budget = cap == INT64_MAX ? CNY(4000) : (cap - CNY(150)) * 100 / 125;
	for (tries = 0;; tries++) {
		const struct gen_wsel *sel =
		    m->import ? &g->goods_all : &g->goods_export;
		int64_t left = budget;

		m->n_items = 0;
		for (unsigned k = 0; k < n_items; k++) {
			const struct gen_goods *gd = NULL;

			if (k == 0 && first && first->pmin <= left)
				gd = first;
			for (int a = 0; a < 40 && !gd; a++) {
				gd = &g->goods[gen_wsel_pick(sel, r)];
				if (gd->pmin <= left || is_b2b(m))
					break;
				gd = NULL;
			}
			if (!gd)
				break;
			gen_add_goods(g, gd, left, false);
			left -= gen_to_cny(m, m->items[m->n_items - 1].total);
			if (left < CNY(20))
				left = CNY(20);
		}
		if (!m->n_items) {
			/* nothing fitted: the cheapest thing there is */
			uint32_t c = 0;

			for (uint32_t i = 1; i < g->n_goods; i++)
				if (g->goods[i].pmin < g->goods[c].pmin)
					c = i;
			gen_add_goods(g, &g->goods[c], g->goods[c].pmin, false);
		}
		gen_finish_money(g);
		if (paid_max_cny == INT64_MAX || tries > 20 ||
		    gen_to_cny(m, m->paid) <= cap)
			break;
		budget = budget * 3 / 4;
		n_items = n_items > 1 ? n_items - 1 : 1;
	}
	(void)s;
}

void gen_finish_money(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_rng *r = &g->rng;
	int dec = m->fx->dec;
	int64_t goods = 0, net = 0, tax = 0, freight_cny;
	int pd;

	for (uint32_t i = 0; i < m->n_items; i++) {
		const struct gen_item *it = &m->items[i];

		goods += it->total;
		net += it->qty / GEN_ONE * it->weight_g;
		tax += (int64_t)llround((double)it->total * it->tax_rate);
	}
	m->goods = goods;

	if (m->import) {
		if (!strcmp(m->trade_mode, "9610"))
			freight_cny = gen_chance(r, 0.4)
					  ? 0
					  : CNY(30) + CNY(25) * net / 1000;
		else if (!strcmp(m->trade_mode, "1210"))
			freight_cny =
			    gen_chance(r, 0.6) ? 0 : CNY(gen_range(r, 10, 25));
		else
			freight_cny = CNY(gen_range(r, 0, 60));
		if (freight_cny > CNY(300))
			freight_cny = CNY(300);
	} else if (is_b2b(m)) {
		freight_cny = gen_to_cny(m, goods) * gen_range(r, 1, 3) / 100;
	} else {
		freight_cny = CNY(gen_range(r, 20, 120));
	}
	m->freight =
	    freight_cny
		? round_to(gen_price_from_cny(m->fx, freight_cny, &pd, r), dec)
		: 0;
	/* Scenario parcels ship free (as most CBEC orders do): with no
	 * freight or discount, actual_paid >= goods_value by tax alone,
	 * which keeps the two value measures in step (record.c). */
	if (m->no_scenery)
		m->freight = 0;
	if (m->no_scenery) {
		m->insured = 0;
		m->has_insured = false;
		m->discount = 0;
		m->has_discount = false;
	} else {
		m->has_insured = gen_chance(r, 0.5);
		m->insured = m->has_insured && gen_chance(r, 0.2)
				 ? round_to(goods * 3 / 1000, dec)
				 : 0;
		m->discount = 0;
		m->has_discount = gen_chance(r, 0.6);
		if (m->import && m->has_discount && gen_chance(r, 0.35)) {
			int64_t d = goods * gen_range(r, 3, 12) / 100;
			int64_t cap =
			    gen_price_from_cny(m->fx, CNY(300), &pd, r);

			m->discount = round_to(d < cap ? d : cap, dec);
		}
	}
	if (m->import) {
		tax += (int64_t)llround((double)m->freight * 0.091);
		tax = round_to(tax, dec);
		/* postal articles: tax up to CNY 50 is waived */
		if (!strcmp(m->trade_mode, "postal") &&
		    gen_to_cny(m, tax) <= CNY(50))
			tax = 0;
	} else {
		tax = 0;
	}
	m->tax = tax;
	m->paid = goods + m->freight + m->insured + m->tax - m->discount;
	m->net_g = net;
	m->gross_g = net + gen_range(r, 50, 400);
	m->has_weights = gen_chance(r, 0.9);
}

/* --------------------------------------------------------------- tree */

static cJSON *money_node(struct sl_gen *g, int64_t v, int dec)
{
	return gt_raw(&g->sc, gen_money(&g->sc, v, dec));
}

static cJSON *kg_node(struct sl_gen *g, int64_t grams)
{
	return gt_raw(&g->sc, gen_money(&g->sc, grams * (GEN_ONE / 1000), 3));
}

static void add_str(struct sl_gen *g, cJSON *o, const char *k, const char *v)
{
	if (v)
		gt_add(o, k, gt_str(&g->sc, v));
}

static cJSON *items_node(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_scratch *s = &g->sc;
	cJSON *arr = gt_arr(s);

	for (uint32_t i = 0; i < m->n_items; i++) {
		const struct gen_item *it = &m->items[i];
		cJSON *o = gt_add(arr, NULL, gt_obj(s));

		gt_add(o, "seq",
		       gt_raw(s, gen_money(s, (int64_t)(i + 1) * GEN_ONE, 0)));
		add_str(g, o, "sku", it->sku);
		add_str(g, o, "hs_code", it->hs);
		add_str(g, o, "name", it->name);
		add_str(g, o, "model", it->model);
		add_str(g, o, "brand", it->brand);
		add_str(g, o, "barcode", it->barcode);
		add_str(g, o, "origin_country", it->origin);
		gt_add(o, "qty", money_node(g, it->qty, it->qty_dec));
		add_str(g, o, "unit", it->unit);
		gt_add(o, "price", money_node(g, it->price, it->price_dec));
		gt_add(o, "total_price",
		       money_node(g, it->total, it->total_dec));
		add_str(g, o, "category", it->category);
		if (m->extra && i == 0)
			gt_add(o, "tax_rate",
			       gt_raw(s, gen_money(s,
						   (int64_t)llround(
						       it->tax_rate * GEN_ONE),
						   3)));
	}
	return arr;
}

static cJSON *party(struct sl_gen *g, const char *code, const char *name)
{
	cJSON *o = gt_obj(&g->sc);

	add_str(g, o, "code", code);
	add_str(g, o, "name", name);
	return o;
}

cJSON *gen_tree(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	struct gen_scratch *s = &g->sc;
	struct gen_rng *r = &g->rng;
	cJSON *root = gt_obj(s), *o;
	int dec = m->fx->dec;

	if (m->reorder)
		gt_add(root, "items", items_node(g));
	gt_add(root, "decl_id", gt_str(s, gs_strdup(s, m->decl_id)));
	gt_add(root, "flow", gt_str(s, m->import ? "import" : "export"));
	add_str(g, root, "trade_mode", m->trade_mode);
	add_str(g, root, "declared_at", gen_declared_at(g, m->tz_style));
	add_str(g, root, "customs_code", m->customs_code);
	add_str(g, root, "order_no", m->order_no);
	add_str(g, root, "pay_transaction_id", m->pay_txn);
	if (m->ebp)
		gt_add(root, "ebp", party(g, m->ebp->code, m->ebp->name));
	gt_add(root, "ebc", party(g, m->ebc->code, m->ebc->name));
	o = gt_add(root, "logistics",
		   party(g, m->logistics->code, m->logistics->name));
	add_str(g, o, "waybill", m->waybill);
	if (m->has_buyer) {
		o = gt_add(root, "buyer", gt_obj(s));
		add_str(g, o, "name", m->buyer.name);
		add_str(g, o, "id_type", m->buyer.id_type);
		add_str(g, o, "id_number", m->buyer.id_number);
		if (m->no_scenery || gen_chance(r, 0.9))
			add_str(g, o, "phone", m->buyer.phone);
	}
	o = gt_add(root, "consignee", gt_obj(s));
	add_str(g, o, "name", m->cons.name);
	add_str(g, o, "phone", m->cons.phone);
	add_str(g, o, "address", m->cons.address);
	add_str(g, o, "district", m->cons.district);
	o = gt_add(root, "sender", gt_obj(s));
	add_str(g, o, "name", m->sender_name);
	add_str(g, o, "address", m->sender_address);
	add_str(g, o, "country", m->sender_country);
	add_str(g, root, "origin_country",
		m->n_items ? m->items[0].origin : m->sender_country);
	add_str(g, root, "currency", m->fx->cur);
	gt_add(root, "goods_value", money_node(g, m->goods, dec));
	gt_add(root, "freight", money_node(g, m->freight, dec));
	if (m->has_insured)
		gt_add(root, "insured_fee", money_node(g, m->insured, dec));
	gt_add(root, "tax_total", money_node(g, m->tax, dec));
	if (m->has_discount)
		gt_add(root, "discount", money_node(g, m->discount, dec));
	gt_add(root, "actual_paid", money_node(g, m->paid, dec));
	if (m->has_weights) {
		gt_add(root, "gross_weight_kg", kg_node(g, m->gross_g));
		gt_add(root, "net_weight_kg", kg_node(g, m->net_g));
	}
	if (!m->reorder)
		gt_add(root, "items", items_node(g));

	if (m->nulls) {
		/* optional fields sent as null: the engine treats them as
		 * absent */
		static const char *const opt[] = {"customs_code", "discount",
						  "insured_fee",
						  "pay_transaction_id"};
		const char *k = GEN_PICK(r, opt);

		gt_set(root, k, gt_null(s));
		if (m->has_buyer && gen_chance(r, 0.5))
			gt_set(gt_get(root, "buyer"), "phone", gt_null(s));
	}
	if (m->extra) {
		o = gt_add(root, "ext", gt_obj(s));
		add_str(g, o, "channel",
			gen_chance(r, 0.6) ? "app" : "mini_program");
		add_str(g, o, "coupon_id",
			gs_printf(s, "CP%s", gs_digits(s, r, 10)));
		add_str(g, root, "remark",
			gen_chance(r, 0.5) ? "请尽快发货，谢谢"
					   : "Leave at the door");
	}
	return root;
}
