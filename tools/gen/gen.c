/* sluice-gen — the generator: tables, enterprises, the class mix, the
 * scenarios that exercise state (repeat buyers, split shipments), labels,
 * and the registry.  Control plane (a tool).
 *
 * Determinism: every random draw comes from g->rng, seeded from the seed
 * only, and is made in the same order whatever the output format, so the
 * JSON and MessagePack outputs of one seed describe the same declarations.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <csv.h>
#include <opencc.h>
#include <xxhash.h>

#include "gen_model.h"

#define CNY(x)	   ((int64_t)(x)*GEN_ONE)
#define TZ_OFFSET  (8 * 3600) /* the bureau's local time, +08:00 */
#define N_EBC	   260	      /* registered declaring enterprises */
#define N_UNREG	   40	      /* declaring enterprises not in the registry */
#define SCRATCH_SZ (4u << 20)
#define NODES	   16384

void sl_gen_opts_default(struct sl_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->count = 1000;
	o->format = SL_GEN_JSON;
	o->items_min = 1;
	o->items_max = 5;
	o->start = 1798214400; /* 2026-12-26T00:00:00+08:00 */
	o->days = 10;
	o->id_prefix = "TYN";
	o->labels = true;
	o->txn_limit = CNY(5000);
	o->annual_limit = CNY(26000);
	o->split_max_count = 3;
	o->split_max_value = CNY(5000);
}

/* ---------------------------------------------------------------- maps */

struct gen_acc *gen_map_get(struct gen_map *m, uint64_t key)
{
	size_t i;

	if (!key)
		key = 1; /* 0 marks an empty slot */
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4096;
		struct gen_acc *ns = calloc(cap, sizeof(*ns));

		if (!ns) {
			fprintf(stderr, "sluice-gen: out of memory\n");
			exit(1);
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->slot[j].key)
				continue;
			for (i = m->slot[j].key & (cap - 1); ns[i].key;
			     i = (i + 1) & (cap - 1))
				;
			ns[i] = m->slot[j];
		}
		free(m->slot);
		m->slot = ns;
		m->cap = cap;
	}
	for (i = key & (m->cap - 1); m->slot[i].key; i = (i + 1) & (m->cap - 1))
		if (m->slot[i].key == key)
			return &m->slot[i];
	m->slot[i].key = key;
	m->n++;
	return &m->slot[i];
}

/* -------------------------------------------------------------- tables */

static double num(const char *s)
{
	return *s ? strtod(s, NULL) : 0;
}

static int64_t cny_of(const char *s)
{
	return (int64_t)llround(num(s) * GEN_ONE);
}

static void wsel_build(struct sl_gen *g, struct gen_wsel *w, const double *wt,
		       const uint32_t *idx, uint32_t n)
{
	double sum = 0;

	w->n = n;
	w->cum = gen_perm_alloc(&g->perm, (n ? n : 1) * sizeof(double));
	w->idx = NULL;
	if (idx) {
		w->idx =
		    gen_perm_alloc(&g->perm, (n ? n : 1) * sizeof(uint32_t));
		memcpy(w->idx, idx, n * sizeof(uint32_t));
	}
	for (uint32_t i = 0; i < n; i++) {
		sum += wt[i];
		w->cum[i] = sum;
	}
}

static int error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

#define LOAD(name, t)                                                          \
	do {                                                                   \
		if (gen_table_load(&g->perm, g->o.data_dir, (t), (name), err,  \
				   errlen))                                    \
			return -1;                                             \
	} while (0)

static const struct {
	const char *name;
	enum gen_kind kind;
	int evasion;
} kinds[] = {
    {"clean", GEN_K_CLEAN, 0},
    {"tier.dishonest", GEN_K_TIER_DISHONEST, 0},
    {"tier.unknown", GEN_K_TIER_UNKNOWN, 0},
    {"tier.negative", GEN_K_TIER_NEGATIVE, 0},
    {"evasion.fullwidth", GEN_K_EVASION, GEN_EV_FULLWIDTH},
    {"evasion.zero_width", GEN_K_EVASION, GEN_EV_ZERO_WIDTH},
    {"evasion.traditional", GEN_K_EVASION, GEN_EV_TRADITIONAL},
    {"evasion.spaced", GEN_K_EVASION, GEN_EV_SPACED},
    {"evasion.mixed_case", GEN_K_EVASION, GEN_EV_MIXED_CASE},
    {"trap", GEN_K_TRAP, 0},
    {"value.undervalued", GEN_K_UNDERVALUED, 0},
    {"value.vague", GEN_K_VAGUE, 0},
    {"limit.txn", GEN_K_LIMIT_TXN, 0},
    {"annual", GEN_K_ANNUAL, 0},
    {"split", GEN_K_SPLIT, 0},
    {"annual.under", GEN_K_LABEL_ONLY, 0},
    {"annual.over", GEN_K_LABEL_ONLY, 0},
    {"split.under", GEN_K_LABEL_ONLY, 0},
    {"split.over", GEN_K_LABEL_ONLY, 0},
};

static int class_kind(struct gen_class *c)
{
	static const char *const codes[] = {
#define X(id, code, what) code,
	    SL_ERRORS(X)
#undef X
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(c->name, kinds[i].name)) {
			c->kind = kinds[i].kind;
			c->evasion = kinds[i].evasion;
			return 0;
		}
	if (!strncmp(c->name, "prohibited.", 11)) {
		c->kind = GEN_K_PROHIBITED;
		return 0;
	}
	if (!strncmp(c->name, "restricted.", 11)) {
		c->kind = GEN_K_RESTRICTED;
		return 0;
	}
	if (!strncmp(c->name, "reject.", 7)) {
		/* reject.bad_uscc <-> BAD_USCC */
		for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
			const char *a = c->name + 7, *b = codes[i];

			while (*a && *b &&
			       *a == (char)tolower((unsigned char)*b))
				a++, b++;
			if (!*a && !*b) {
				c->kind = GEN_K_REJECT;
				c->code = (int)i + 1; /* SL_OK is 0 */
				return 0;
			}
		}
	}
	return -1;
}

static int load_classes(struct sl_gen *g, char *err, size_t errlen)
{
	struct gen_table t;
	int c_class, c_mix, c_exp, c_acc, c_rule, c_rate, c_w, c_desc;

	LOAD("classes", &t);
	c_class = gen_table_col(&t, "class");
	c_mix = gen_table_col(&t, "mix");
	c_exp = gen_table_col(&t, "expect");
	c_acc = gen_table_col(&t, "accept");
	c_rule = gen_table_col(&t, "rule");
	c_rate = gen_table_col(&t, "min_rate");
	c_w = gen_table_col(&t, "weight");
	c_desc = gen_table_col(&t, "description");
	if (c_class < 0 || c_mix < 0 || c_exp < 0 || c_acc < 0 || c_w < 0)
		return error(err, errlen, "classes.csv: missing columns");
	g->n_classes = t.rows;
	g->classes = gen_perm_alloc(&g->perm, t.rows * sizeof(*g->classes));
	for (uint32_t i = 0; i < t.rows; i++) {
		struct gen_class *c = &g->classes[i];

		c->name = gen_cell(&t, i, c_class);
		c->mix = gen_cell(&t, i, c_mix);
		c->expect = gen_cell(&t, i, c_exp);
		c->accept = gen_list_split(&g->perm, gen_cell(&t, i, c_acc));
		c->rule = gen_cell(&t, i, c_rule);
		c->min_rate = num(gen_cell(&t, i, c_rate));
		c->weight = num(gen_cell(&t, i, c_w));
		c->description = gen_cell(&t, i, c_desc);
		if (class_kind(c))
			return error(err, errlen,
				     "classes.csv: class %s: sluice-gen does "
				     "not know how to make it",
				     c->name);
	}
	return 0;
}

static int load_goods(struct sl_gen *g, char *err, size_t errlen)
{
	static const char *const export_groups[] = {
	    "apparel", "shoes", "toys",	  "home",	"kitchen",
	    "phone",   "bags",	"sports", "electronics"};
	static const char *const dear_groups[] = {
	    "phone", "laptop", "watch", "electronics", "bags", "jewellery"};
	struct gen_table t;
	double *w, *we, *wd, *wc;
	uint32_t *ie, *id, *ic, ne = 0, nd = 0, nc = 0;
	int hs, grp, nz, ne_, unit, pmin, pmax, wt, org, br, mo, pop;

	LOAD("goods", &t);
	hs = gen_table_col(&t, "hs");
	grp = gen_table_col(&t, "group");
	nz = gen_table_col(&t, "name_zh");
	ne_ = gen_table_col(&t, "name_en");
	unit = gen_table_col(&t, "unit");
	pmin = gen_table_col(&t, "price_min");
	pmax = gen_table_col(&t, "price_max");
	wt = gen_table_col(&t, "weight_kg");
	org = gen_table_col(&t, "origins");
	br = gen_table_col(&t, "brands");
	mo = gen_table_col(&t, "models");
	pop = gen_table_col(&t, "pop");
	if (hs < 0 || nz < 0 || ne_ < 0 || pmin < 0 || pmax < 0)
		return error(err, errlen, "goods.csv: missing columns");
	g->n_goods = t.rows;
	g->goods = gen_perm_alloc(&g->perm, t.rows * sizeof(*g->goods));
	w = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	we = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	wd = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	wc = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	ie = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	id = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	ic = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	for (uint32_t i = 0; i < t.rows; i++) {
		struct gen_goods *gd = &g->goods[i];

		gd->hs = gen_cell(&t, i, hs);
		gd->group = gen_cell(&t, i, grp);
		gd->name_zh = gen_cell(&t, i, nz);
		gd->name_en = gen_cell(&t, i, ne_);
		gd->unit = gen_cell(&t, i, unit);
		gd->pmin = cny_of(gen_cell(&t, i, pmin));
		gd->pmax = cny_of(gen_cell(&t, i, pmax));
		gd->weight_g =
		    (uint32_t)llround(num(gen_cell(&t, i, wt)) * 1000);
		gd->origins = gen_list_split(&g->perm, gen_cell(&t, i, org));
		gd->brands = gen_list_split(&g->perm, gen_cell(&t, i, br));
		gd->models = gen_list_split(&g->perm, gen_cell(&t, i, mo));
		gd->pop = pop >= 0 ? num(gen_cell(&t, i, pop)) : 1;
		gen_goods_tax_kind(gd);
		if (gd->pmin <= 0 || gd->pmax < gd->pmin || !gd->origins.n ||
		    strlen(gd->hs) < 6)
			return error(err, errlen,
				     "goods.csv:%u: bad price range, origins "
				     "or HS code",
				     i + 2);
		w[i] = gd->pop;
		for (uint32_t j = 0; j < gd->origins.n; j++)
			gd->made_in_cn |= !strcmp(gd->origins.v[j], "CN");
		for (size_t j = 0; j < sizeof(export_groups) / sizeof(char *);
		     j++)
			if (!strcmp(gd->group, export_groups[j]) ||
			    gd->made_in_cn) {
				ie[ne] = i;
				we[ne++] = gd->pop;
				break;
			}
		for (size_t j = 0; j < sizeof(dear_groups) / sizeof(char *);
		     j++)
			if (!strcmp(gd->group, dear_groups[j]) &&
			    gd->pmin >= CNY(999)) {
				id[nd] = i;
				wd[nd++] = gd->pop;
				break;
			}
		if (gd->pmax >= CNY(2000) && gd->pmin <= CNY(12000)) {
			ic[nc] = i;
			wc[nc++] = gd->pop;
		}
	}
	if (!ne || !nd || !nc)
		return error(
		    err, errlen,
		    "goods.csv: need export goods, goods over CNY "
		    "999 (phones, laptops...) and goods over CNY 2,000");
	wsel_build(g, &g->goods_all, w, NULL, t.rows);
	wsel_build(g, &g->goods_export, we, ie, ne);
	wsel_build(g, &g->goods_dear, wd, id, nd);
	wsel_build(g, &g->goods_costly, wc, ic, nc);
	return 0;
}

static int load_risk(struct sl_gen *g, char *err, size_t errlen)
{
	struct gen_table t;
	int cl, hs, nz, ne, tz, te, unit, pmin, pmax, wt, org;
	opencc_t cc = (opencc_t)-1;

	LOAD("risk", &t);
	cl = gen_table_col(&t, "class");
	hs = gen_table_col(&t, "hs");
	nz = gen_table_col(&t, "name_zh");
	ne = gen_table_col(&t, "name_en");
	tz = gen_table_col(&t, "term_zh");
	te = gen_table_col(&t, "term_en");
	unit = gen_table_col(&t, "unit");
	pmin = gen_table_col(&t, "price_min");
	pmax = gen_table_col(&t, "price_max");
	wt = gen_table_col(&t, "weight_kg");
	org = gen_table_col(&t, "origins");
	if (cl < 0 || nz < 0 || ne < 0 || tz < 0 || te < 0)
		return error(err, errlen, "risk.csv: missing columns");

	/* Traditional-character evasions come from OpenCC's s2t, not from a
	 * hand-made table. */
	cc = opencc_open("s2t.json");
	g->opencc = cc == (opencc_t)-1 ? NULL : cc;

	g->n_risk = t.rows;
	g->risk = gen_perm_alloc(&g->perm, t.rows * sizeof(*g->risk));
	for (uint32_t i = 0; i < t.rows; i++) {
		struct gen_risk *rk = &g->risk[i];
		struct gen_class *c =
		    (struct gen_class *)gen_class_find(g, gen_cell(&t, i, cl));

		if (!c)
			return error(err, errlen,
				     "risk.csv:%u: unknown class %s", i + 2,
				     gen_cell(&t, i, cl));
		rk->cls = c;
		rk->hs = gen_cell(&t, i, hs);
		rk->name_zh = gen_cell(&t, i, nz);
		rk->name_en = gen_cell(&t, i, ne);
		rk->term_zh = gen_cell(&t, i, tz);
		rk->term_en = gen_cell(&t, i, te);
		rk->unit = gen_cell(&t, i, unit);
		rk->pmin = cny_of(gen_cell(&t, i, pmin));
		rk->pmax = cny_of(gen_cell(&t, i, pmax));
		rk->weight_g =
		    (uint32_t)llround(num(gen_cell(&t, i, wt)) * 1000);
		rk->origins = gen_list_split(&g->perm, gen_cell(&t, i, org));
		if (!strstr(rk->name_zh, rk->term_zh) ||
		    !strcasestr(rk->name_en, rk->term_en))
			return error(
			    err, errlen,
			    "risk.csv:%u: the name must contain the term",
			    i + 2);
		if (c->kind != GEN_K_VAGUE &&
		    (rk->pmin <= 0 || rk->pmax < rk->pmin || !*rk->hs))
			return error(err, errlen,
				     "risk.csv:%u: bad price range or HS code",
				     i + 2);
		if (g->opencc && c->kind == GEN_K_PROHIBITED) {
			char *tn = opencc_convert_utf8(g->opencc, rk->name_zh,
						       (size_t)-1);
			char *tt = opencc_convert_utf8(g->opencc, rk->term_zh,
						       (size_t)-1);

			if (tn && tt && strcmp(tt, rk->term_zh) &&
			    strstr(tn, tt)) {
				rk->trad_name = gen_perm_strdup(&g->perm, tn);
				rk->trad_term = gen_perm_strdup(&g->perm, tt);
			}
			if (tn)
				opencc_convert_utf8_free(tn);
			if (tt)
				opencc_convert_utf8_free(tt);
		}
	}
	/* rows per class */
	for (uint32_t k = 0; k < g->n_classes; k++) {
		struct gen_class *c = &g->classes[k];
		uint32_t n = 0;

		for (uint32_t i = 0; i < g->n_risk; i++)
			n += g->risk[i].cls == c;
		c->rows =
		    gen_perm_alloc(&g->perm, (n ? n : 1) * sizeof(uint32_t));
		for (uint32_t i = 0; i < g->n_risk; i++)
			if (g->risk[i].cls == c)
				c->rows[c->n_rows++] = i;
		if (!n && (c->kind == GEN_K_PROHIBITED ||
			   c->kind == GEN_K_RESTRICTED ||
			   c->kind == GEN_K_TRAP || c->kind == GEN_K_VAGUE))
			return error(err, errlen,
				     "risk.csv: no rows for class %s", c->name);
	}
	return 0;
}

static int load_places(struct sl_gen *g, char *err, size_t errlen)
{
	struct gen_table t;
	double *w;
	int code, prov, city, dist, wt, st;

	LOAD("places", &t);
	code = gen_table_col(&t, "code");
	prov = gen_table_col(&t, "province");
	city = gen_table_col(&t, "city");
	dist = gen_table_col(&t, "district");
	wt = gen_table_col(&t, "weight");
	st = gen_table_col(&t, "streets");
	if (code < 0 || prov < 0 || city < 0 || dist < 0 || st < 0)
		return error(err, errlen, "places.csv: missing columns");
	g->n_places = t.rows;
	g->places = gen_perm_alloc(&g->perm, t.rows * sizeof(*g->places));
	w = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	for (uint32_t i = 0; i < t.rows; i++) {
		struct gen_place *p = &g->places[i];

		p->code = gen_cell(&t, i, code);
		p->province = gen_cell(&t, i, prov);
		p->city = gen_cell(&t, i, city);
		p->district = gen_cell(&t, i, dist);
		p->streets = gen_list_split(&g->perm, gen_cell(&t, i, st));
		w[i] = num(gen_cell(&t, i, wt));
		if (strlen(p->code) != 6 || !p->streets.n)
			return error(err, errlen,
				     "places.csv:%u: code must be 6 digits and "
				     "streets non-empty",
				     i + 2);
	}
	wsel_build(g, &g->place_sel, w, NULL, t.rows);
	return 0;
}

static int load_parties(struct sl_gen *g, char *err, size_t errlen)
{
	struct gen_table t;
	double *w;
	uint32_t *ix, n_ebp = 0, n_log = 0;
	int kind, code, name, cc, addr, extra;

	LOAD("parties", &t);
	kind = gen_table_col(&t, "kind");
	code = gen_table_col(&t, "code");
	name = gen_table_col(&t, "name");
	cc = gen_table_col(&t, "country");
	addr = gen_table_col(&t, "address");
	extra = gen_table_col(&t, "extra");
	if (kind < 0 || code < 0 || name < 0 || cc < 0 || addr < 0 || extra < 0)
		return error(err, errlen, "parties.csv: missing columns");
	g->n_parties = t.rows;
	g->parties = gen_perm_alloc(&g->perm, t.rows * sizeof(*g->parties));
	w = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	ix = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	g->senders = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	g->abroad = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	g->logistics = gen_perm_alloc(&g->perm, t.rows * sizeof(uint32_t));
	for (uint32_t i = 0; i < t.rows; i++) {
		struct gen_party *p = &g->parties[i];

		p->kind = gen_cell(&t, i, kind);
		p->code = gen_cell(&t, i, code);
		p->name = gen_cell(&t, i, name);
		p->country = gen_cell(&t, i, cc);
		p->address = gen_cell(&t, i, addr);
		p->extra = gen_cell(&t, i, extra);
		if (!strcmp(p->kind, "ebp")) {
			ix[n_ebp] = i;
			w[n_ebp++] = num(p->extra) > 0 ? num(p->extra) : 1;
		} else if (!strcmp(p->kind, "logistics")) {
			g->logistics[g->n_logistics++] = i;
			n_log++;
		} else if (!strcmp(p->kind, "sender")) {
			g->senders[g->n_senders++] = i;
		} else if (!strcmp(p->kind, "abroad")) {
			g->abroad[g->n_abroad++] = i;
		} else {
			return error(err, errlen,
				     "parties.csv:%u: unknown kind %s", i + 2,
				     p->kind);
		}
	}
	if (!n_ebp || !n_log || !g->n_senders || !g->n_abroad)
		return error(err, errlen,
			     "parties.csv: need ebp, logistics, sender and "
			     "abroad rows");
	wsel_build(g, &g->ebp_sel, w, ix, n_ebp);
	return 0;
}

static int load_fx(struct sl_gen *g, char *err, size_t errlen)
{
	struct gen_table t;
	int cur, rate, dec, cc;

	LOAD("fx", &t);
	cur = gen_table_col(&t, "currency");
	rate = gen_table_col(&t, "cny_per_unit");
	dec = gen_table_col(&t, "decimals");
	cc = gen_table_col(&t, "countries");
	if (cur < 0 || rate < 0 || dec < 0 || cc < 0)
		return error(err, errlen, "fx.csv: missing columns");
	g->n_fx = t.rows;
	g->fx = gen_perm_alloc(&g->perm, t.rows * sizeof(*g->fx));
	for (uint32_t i = 0; i < t.rows; i++) {
		struct gen_fx *f = &g->fx[i];

		f->cur = gen_cell(&t, i, cur);
		f->rate = num(gen_cell(&t, i, rate));
		f->dec = (int)num(gen_cell(&t, i, dec));
		f->countries = gen_list_split(&g->perm, gen_cell(&t, i, cc));
		if (f->rate <= 0 || (f->dec != 0 && f->dec != 2))
			return error(
			    err, errlen,
			    "fx.csv:%u: rate must be > 0, decimals 0 or 2",
			    i + 2);
		if (!strcmp(f->cur, "CNY")) {
			if (f->rate != 1.0)
				return error(err, errlen,
					     "fx.csv: CNY rate must be 1");
			g->cny = f;
		}
	}
	if (!g->cny)
		return error(err, errlen, "fx.csv: no CNY row");
	return 0;
}

static int load_names(struct sl_gen *g, char *err, size_t errlen)
{
	struct gen_table t;
	struct gen_list *l[5] = {&g->surnames, &g->given, &g->en_first,
				 &g->en_last, &g->estates};
	static const char *const k[5] = {"surname", "given", "en_first",
					 "en_last", "estate"};
	double *sw;
	int kind, val, wt;

	LOAD("names", &t);
	kind = gen_table_col(&t, "kind");
	val = gen_table_col(&t, "value");
	wt = gen_table_col(&t, "weight");
	if (kind < 0 || val < 0)
		return error(err, errlen, "names.csv: missing columns");
	for (int j = 0; j < 5; j++)
		l[j]->v = gen_perm_alloc(&g->perm, t.rows * sizeof(char *));
	sw = gen_perm_alloc(&g->perm, t.rows * sizeof(double));
	for (uint32_t i = 0; i < t.rows; i++)
		for (int j = 0; j < 5; j++)
			if (!strcmp(gen_cell(&t, i, kind), k[j])) {
				if (j == 0)
					sw[l[j]->n] =
					    wt >= 0 ? num(gen_cell(&t, i, wt))
						    : 1;
				l[j]->v[l[j]->n++] = gen_cell(&t, i, val);
			}
	for (int j = 0; j < 5; j++)
		if (!l[j]->n)
			return error(err, errlen, "names.csv: no %s rows",
				     k[j]);
	wsel_build(g, &g->surname_sel, sw, NULL, g->surnames.n);
	return 0;
}

/* --------------------------------------------------------- enterprises */

static const struct {
	const char *region, *city, *addr;
} ent_cities[] = {
    {"440300", "深圳市", "广东省深圳市南山区"},
    {"330100", "杭州市", "浙江省杭州市滨江区"},
    {"310115", "上海", "上海市浦东新区"},
    {"440100", "广州市", "广东省广州市黄埔区"},
    {"330200", "宁波市", "浙江省宁波市北仑区"},
    {"410100", "郑州市", "河南省郑州市航空港区"},
    {"140100", "太原市", "山西省太原市小店区"},
    {"140100", "山西", "山西省太原市万柏林区"},
    {"350200", "厦门市", "福建省厦门市湖里区"},
    {"120116", "天津", "天津市滨海新区"},
    {"500000", "重庆", "重庆市渝北区"},
    {"510100", "成都市", "四川省成都市双流区"},
    {"370200", "青岛市", "山东省青岛市黄岛区"},
    {"330782", "义乌市", "浙江省义乌市稠江街道"},
    {"140700", "晋中市", "山西省晋中市榆次区"},
};

static const char *const ent_brand[] = {
    "优品", "海淘", "乐购", "环球", "晋商", "跨洋", "优选", "云仓", "佳禾",
    "嘉盛", "恒信", "盛世", "博远", "汇通", "鸿运", "金桥", "瑞丰", "华晨",
    "星辰", "海纳", "百联", "欧亚", "美淘", "宝贝", "好物", "臻选", "丝路",
    "东方", "晋品", "汾河", "龙城", "并州", "锦程", "万邦", "正阳", "天和"};
static const char *const ent_trade[] = {
    "跨境电子商务", "国际贸易", "进出口贸易", "供应链管理",
    "电子商务",	    "商贸",	"网络科技",   "贸易"};
static const char *const ent_word[] = {
    "Sunrise",	 "Pacific",    "Golden", "Harbor",	"Blue Ocean",
    "Evergreen", "Silk Road",  "Jade",	 "Phoenix",	"Orient",
    "Maple",	 "Kiwi",       "Lotus",	 "Summit",	"Crystal",
    "Northstar", "Happy Kids", "Panda",	 "Dragon Gate", "Bright",
    "Highland",	 "Coral",      "Aurora", "Meridian"};
static const char *const ent_street[] = {
    "科技园南路",	  "创业大道",	"保税区港城大道",   "跨境电商产业园路",
    "综合保税区物流大道", "长风西大街", "航空港区迎宾大道", "自贸区海港路"};

static const char *ent_name(struct sl_gen *g, const char *city)
{
	struct gen_rng *r = &g->rng;
	struct gen_scratch *s = &g->sc;
	double x = gen_unit(r);
	const char *w1 = GEN_PICK(r, ent_word);
	const char *w2 = GEN_PICK(r, ent_word);
	const char *brand = GEN_PICK(r, ent_brand);
	const char *trade = GEN_PICK(r, ent_trade);

	if (x < 0.74)
		return gs_printf(s, "%s%s%s%s", city, brand, trade,
				 gen_chance(r, 0.9) ? "有限公司"
						    : "股份有限公司");
	if (x < 0.78) /* Chinese quotation marks in the name */
		return gs_printf(s, "%s“%s”%s有限公司", city, brand, trade);
	if (x < 0.86)
		return gs_printf(s, "%s %s Trading Co., Ltd.", w1, w2);
	if (x < 0.91)
		return gs_printf(s, "%s International (Shanghai) Co., Ltd.",
				 w1);
	if (x < 0.95) /* RFC 4180 must double these quotes */
		return gs_printf(s,
				 "\"%s\" Cross-border E-commerce (Hangzhou) "
				 "Co., Ltd.",
				 w1);
	return gs_printf(s, "%s & %s, Inc.",
			 g->en_last.v[gen_below(r, g->en_last.n)], w2);
}

static bool code_taken(const struct sl_gen *g, uint32_t n, const char *code)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(g->ents[i].code, code))
			return true;
	for (uint32_t i = 0; i < g->n_parties; i++)
		if (!strcmp(g->parties[i].code, code))
			return true;
	return false;
}

static void make_enterprises(struct sl_gen *g)
{
	struct gen_rng *r = &g->rng;
	struct gen_scratch *s = &g->sc;
	uint32_t n_log = 0, n_ebp = 0, n;
	double *wc, *wd, *wn, *wu;
	uint32_t *ic, *id, *in, *iu, nc = 0, nd = 0, nn = 0, nu = 0;

	for (uint32_t i = 0; i < g->n_parties; i++) {
		n_ebp += !strcmp(g->parties[i].kind, "ebp");
		n_log += !strcmp(g->parties[i].kind, "logistics");
	}
	n = N_EBC + N_UNREG + n_ebp + n_log;
	g->ents = gen_perm_alloc(&g->perm, n * sizeof(*g->ents));
	wc = gen_perm_alloc(&g->perm, n * sizeof(double));
	wd = gen_perm_alloc(&g->perm, n * sizeof(double));
	wn = gen_perm_alloc(&g->perm, n * sizeof(double));
	wu = gen_perm_alloc(&g->perm, n * sizeof(double));
	ic = gen_perm_alloc(&g->perm, n * sizeof(uint32_t));
	id = gen_perm_alloc(&g->perm, n * sizeof(uint32_t));
	in = gen_perm_alloc(&g->perm, n * sizeof(uint32_t));
	iu = gen_perm_alloc(&g->perm, n * sizeof(uint32_t));

	for (uint32_t i = 0; i < N_EBC + N_UNREG; i++) {
		struct gen_ent *e = &g->ents[i];
		unsigned ci = (unsigned)gen_below(r, sizeof(ent_cities) /
							 sizeof(ent_cities[0]));
		char code[20];
		double x, pop = 1.0 / (i % 97 + 3);

		s->used = 0;
		do {
			if (gen_chance(r, 0.8)) {
				/* USCC: authority 9, type 1 (or 2), region,
				 * organisation code with its own GB 11714
				 * check, then the GB 32100 check */
				char org[10];

				if (gen_chance(r, 0.7)) {
					org[0] = 'M';
					org[1] = 'A';
					for (int k = 2; k < 8; k++)
						org[k] =
						    gen_uscc_charset[gen_below(
							r, 31)];
				} else {
					for (int k = 0; k < 8; k++)
						org[k] =
						    (char)('0' +
							   gen_below(r, 10));
				}
				org[8] = gen_orgcode_check(org);
				snprintf(code, sizeof(code), "9%c%s%.9s",
					 gen_chance(r, 0.95) ? '1' : '2',
					 ent_cities[ci].region, org);
				code[17] = gen_uscc_check(code);
				code[18] = '\0';
			} else {
				/* customs registration code: region, zone
				 * type (never 9: the parties use it), kind,
				 * serial */
				static const char zones[] = "12346";
				char zone = zones[gen_below(r, 5)];
				char kind = (char)('1' + gen_below(r, 8));
				unsigned serial = (unsigned)gen_below(r, 10000);

				snprintf(code, sizeof(code), "%.4s%c%c%04u",
					 ent_cities[ci].region, zone, kind,
					 serial);
			}
		} while (code_taken(g, i, code));
		e->code = gen_perm_strdup(&g->perm, code);
		e->name =
		    gen_perm_strdup(&g->perm, ent_name(g, ent_cities[ci].city));
		{
			const char *st = GEN_PICK(r, ent_street);
			unsigned no = (unsigned)gen_range(r, 1, 999);

			e->address = gen_perm_strdup(
			    &g->perm, gs_printf(s, "%s%s%u号",
						ent_cities[ci].addr, st, no));
		}
		e->role = "ebc";
		e->registered = i < N_EBC;
		x = gen_unit(r);
		e->tier = !e->registered ? SL_TIER_UNKNOWN
			  : x < 0.12	 ? SL_TIER_ADVANCED
			  : x < 0.90	 ? SL_TIER_GENERAL
					 : SL_TIER_DISHONEST;
		e->negative = e->registered &&
			      gen_chance(r, e->tier == SL_TIER_DISHONEST ? 0.4
					    : e->tier == SL_TIER_GENERAL ? 0.02
									 : 0);
		/* keep every subset non-empty whatever the seed */
		if (i == 0)
			e->tier = SL_TIER_ADVANCED, e->negative = false;
		if (i == 1)
			e->tier = SL_TIER_GENERAL, e->negative = false;
		if (i == 2)
			e->tier = SL_TIER_DISHONEST, e->negative = false;
		if (i == 3)
			e->tier = SL_TIER_GENERAL, e->negative = true;
		if (!e->registered) {
			iu[nu] = i;
			wu[nu++] = pop;
		} else if (e->negative) {
			in[nn] = i;
			wn[nn++] = pop;
		} else if (e->tier == SL_TIER_DISHONEST) {
			id[nd] = i;
			wd[nd++] = pop;
		} else {
			ic[nc] = i;
			wc[nc++] = pop;
		}
	}
	g->n_ents = N_EBC + N_UNREG;
	/* platforms and logistics companies are registered too */
	for (uint32_t i = 0; i < g->n_parties; i++) {
		const struct gen_party *p = &g->parties[i];
		struct gen_ent *e;

		if (strcmp(p->kind, "ebp") && strcmp(p->kind, "logistics"))
			continue;
		e = &g->ents[g->n_ents++];
		e->code = p->code;
		e->name = p->name;
		e->address = p->address;
		e->role = p->kind;
		e->registered = true;
		e->tier =
		    gen_chance(r, 0.7) ? SL_TIER_ADVANCED : SL_TIER_GENERAL;
	}
	wsel_build(g, &g->ent_clean, wc, ic, nc);
	wsel_build(g, &g->ent_dishonest, wd, id, nd);
	wsel_build(g, &g->ent_negative, wn, in, nn);
	wsel_build(g, &g->ent_unknown, wu, iu, nu);
	s->used = 0;
}

const char *gen_tier_name(int tier)
{
	static const char *const names[] = {
#define X(id, name) name,
	    SL_TIERS(X)
#undef X
	};

	return tier >= 0 && tier < SL_TIER__COUNT ? names[tier] : "unknown";
}

const char *gen_code_name(int code)
{
	static const char *const names[] = {"OK",
#define X(id, code, what) code,
					    SL_ERRORS(X)
#undef X
	};

	return code >= 0 && code < SL_E__COUNT ? names[code] : "?";
}

int sl_gen_write_registry(const struct sl_gen *g, FILE *f)
{
	fputs("code,name,tier,negative_list\n", f);
	for (uint32_t i = 0; i < g->n_ents; i++) {
		const struct gen_ent *e = &g->ents[i];
		const char *nm = e->name;

		if (!e->registered)
			continue;
		fputs(e->code, f);
		fputc(',', f);
		/* RFC 4180: quote a field holding a comma, quote or line
		 * break, doubling the quotes (libcsv's writer does that) */
		if (strpbrk(nm, ",\"\r\n"))
			csv_fwrite(f, nm, strlen(nm));
		else
			fputs(nm, f);
		fprintf(f, ",%s,%d\n", gen_tier_name(e->tier), e->negative);
	}
	return ferror(f) ? -EIO : 0;
}

/* ----------------------------------------------------------------- mix */

static int parse_mix(struct sl_gen *g, char *err, size_t errlen)
{
	double *w = gen_perm_alloc(&g->perm, g->n_classes * sizeof(double));
	uint32_t *ix =
	    gen_perm_alloc(&g->perm, g->n_classes * sizeof(uint32_t));
	double *cw = gen_perm_alloc(&g->perm, g->n_classes * sizeof(double));
	char *spec, *tok, *save = NULL;
	uint32_t n = 0;
	double total = 0;
	bool defaults = !g->o.mix;

	for (uint32_t i = 0; i < g->n_classes; i++) {
		const struct gen_class *c = &g->classes[i];

		cw[i] = c->kind == GEN_K_LABEL_ONLY ? 0 : c->weight;
	}
	if (g->o.mix) {
		spec = gen_perm_strdup(&g->perm, g->o.mix);
		for (tok = strtok_r(spec, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(tok, '='), *end;
			double v, gsum = 0;
			uint32_t members = 0;
			size_t nl;

			if (!strcmp(tok, "default")) {
				defaults = true;
				continue;
			}
			if (!eq)
				return error(err, errlen,
					     "--mix: '%s' is not NAME=WEIGHT",
					     tok);
			*eq = '\0';
			v = strtod(eq + 1, &end);
			if (*end || end == eq + 1 || !(v >= 0) || v > 1e9)
				return error(err, errlen,
					     "--mix: bad weight for %s", tok);
			if (!defaults && !n) {
				/* an explicit mix starts from nothing */
				for (uint32_t i = 0; i < g->n_classes; i++)
					cw[i] = 0;
				n = 1;
			}
			nl = strlen(tok);
			/* a class, or a group: "reject" covers reject.* */
			for (uint32_t i = 0; i < g->n_classes; i++) {
				const struct gen_class *c = &g->classes[i];

				if (c->kind == GEN_K_LABEL_ONLY)
					continue;
				if (!strcmp(c->name, tok) ||
				    (!strncmp(c->name, tok, nl) &&
				     c->name[nl] == '.')) {
					members++;
					gsum += c->weight;
				}
			}
			if (!members)
				return error(err, errlen,
					     "--mix: unknown class '%s' (see "
					     "sluice-gen --list-classes)",
					     tok);
			for (uint32_t i = 0; i < g->n_classes; i++) {
				const struct gen_class *c = &g->classes[i];

				if (c->kind == GEN_K_LABEL_ONLY)
					continue;
				if (!strcmp(c->name, tok) ||
				    (!strncmp(c->name, tok, nl) &&
				     c->name[nl] == '.'))
					cw[i] = gsum > 0 ? v * c->weight / gsum
							 : v / members;
			}
		}
	}
	n = 0;
	for (uint32_t i = 0; i < g->n_classes; i++) {
		const struct gen_class *c = &g->classes[i];

		if (cw[i] <= 0)
			continue;
		if (c->kind == GEN_K_REJECT && c->code == SL_E_BAD_MSGPACK) {
			if (!g->o.mix || !strstr(g->o.mix, "bad_msgpack"))
				continue;
			return error(
			    err, errlen,
			    "--mix: reject.bad_msgpack can only be the "
			    "last record: use --truncated-tail");
		}
		if (c->kind == GEN_K_EVASION &&
		    c->evasion == GEN_EV_TRADITIONAL && !g->opencc)
			return error(
			    err, errlen,
			    "--mix: evasion.traditional needs OpenCC's "
			    "s2t.json (apt-get install opencc)");
		ix[n] = i;
		w[n++] = cw[i];
		total += cw[i];
	}
	if (!n || !(total > 0))
		return error(err, errlen, "--mix: every weight is zero");
	wsel_build(g, &g->mix, w, ix, n);

	/* Coverage: a class whose share would give it fewer than 20 records
	 * (so that the draw could miss it: P = e^-share) still gets one, in
	 * an evenly spaced slot, when the file has room for every class (at
	 * least 20 records per class). */
	g->forced_slot = gen_perm_alloc(&g->perm, n * sizeof(uint64_t));
	g->forced_class = gen_perm_alloc(&g->perm, n * sizeof(uint32_t));
	if (g->o.count >= 20 * (uint64_t)n) {
		for (uint32_t j = 0; j < n; j++) {
			if (w[j] / total * (double)g->o.count >= 20.0)
				continue;
			g->forced_slot[g->n_forced] =
			    (2 * (uint64_t)j + 1) * g->o.count / (2 * n);
			g->forced_class[g->n_forced++] = ix[j];
		}
	}
	return 0;
}

/* ---------------------------------------------------------- lifecycle */

struct sl_gen *sl_gen_new(const struct sl_gen_opts *o, char *err, size_t errlen)
{
	struct sl_gen *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->o = *o;
	if (!g->o.id_prefix)
		g->o.id_prefix = "TYN";
	if (g->o.items_min < 1 || g->o.items_max < g->o.items_min ||
	    g->o.items_max > SL_MAX_ITEMS) {
		snprintf(err, errlen, "--items: need 1 <= MIN <= MAX <= %d",
			 SL_MAX_ITEMS);
		goto fail;
	}
	if (g->o.days < 1 || g->o.days > 3660) {
		snprintf(err, errlen, "--days: need 1 to 3660");
		goto fail;
	}
	if (strlen(g->o.id_prefix) > 20) {
		snprintf(err, errlen, "--id-prefix: at most 20 characters");
		goto fail;
	}
	gen_rng_seed(&g->rng, o->seed);
	g->sc.cap = SCRATCH_SZ;
	g->sc.buf = malloc(g->sc.cap);
	g->sc.cap_nodes = NODES;
	g->sc.nodes = malloc(NODES * sizeof(cJSON));
	g->out_cap = 2 * SL_LINE_MAX + (1u << 20);
	g->out = malloc(g->out_cap);
	g->label_cap = 1u << 16;
	g->label = malloc(g->label_cap);
	if (!g->sc.buf || !g->sc.nodes || !g->out || !g->label) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	msgpack_sbuffer_init(&g->sbuf);
	msgpack_packer_init(&g->pk, &g->sbuf, msgpack_sbuffer_write);

	if (load_classes(g, err, errlen) || load_goods(g, err, errlen) ||
	    load_risk(g, err, errlen) || load_places(g, err, errlen) ||
	    load_parties(g, err, errlen) || load_fx(g, err, errlen) ||
	    load_names(g, err, errlen) || parse_mix(g, err, errlen))
		goto fail;
	make_enterprises(g);
	return g;
fail:
	sl_gen_free(g);
	return NULL;
}

void sl_gen_free(struct sl_gen *g)
{
	if (!g)
		return;
	if (g->opencc)
		opencc_close((opencc_t)g->opencc);
	msgpack_sbuffer_destroy(&g->sbuf);
	free(g->buyers.slot);
	free(g->consignees.slot);
	free(g->sc.buf);
	free(g->sc.nodes);
	free(g->out);
	free(g->label);
	gen_perm_free(&g->perm);
	free(g);
}

void sl_gen_print_classes(FILE *f)
{
	char err[256];
	struct sl_gen_opts o;
	struct sl_gen *g;

	sl_gen_opts_default(&o);
	g = sl_gen_new(&o, err, sizeof(err));
	if (!g) {
		fprintf(f, "  (tables unreadable: %s)\n", err);
		return;
	}
	fprintf(f, "  %-24s %-8s %6s  %s\n", "CLASS", "EXPECT", "WEIGHT",
		"MEANING");
	for (uint32_t i = 0; i < g->n_classes; i++) {
		const struct gen_class *c = &g->classes[i];

		fprintf(f, "  %-24s %-8s %6g  %s\n", c->name,
			*c->expect ? c->expect : "-",
			c->kind == GEN_K_LABEL_ONLY ? 0 : c->weight,
			c->description);
	}
	sl_gen_free(g);
}
