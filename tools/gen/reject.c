/* sluice-gen — malformed declarations, one class per reject code of
 * include/sluice/error-t.h.
 *
 * Each record carries exactly one defect, so "the first error in field
 * order" (sl_decl_validate) is that defect and the label can name its code
 * and field.  Field limits come from decl-t.h and decl.h, so the classes
 * follow the contract when it changes.  Control plane (a tool).
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "gen_model.h"

#define CNY(x) ((int64_t)(x)*GEN_ONE)

static unsigned decl_max(const char *path)
{
#define X(id, obj, key, p, max)                                                \
	if (!strcmp(path, p))                                                  \
		return max;
	SL_DECL_STRS(X)
#undef X
	return 64;
}

static unsigned item_max(const char *key)
{
#define X(id, k, max)                                                          \
	if (!strcmp(key, k))                                                   \
		return max;
	SL_ITEM_STRS(X)
#undef X
	return 64;
}

void gen_reject_base(struct sl_gen *g)
{
	struct gen_decl *m = &g->m;
	int64_t cap = g->o.txn_limit - CNY(100);

	switch (g->l.cls->code) {
	case SL_E_BAD_ID_NUMBER:
	case SL_E_BAD_ID_TYPE:
	case SL_E_MISSING_FIELD:
	case SL_E_BAD_TRADE_MODE:
		/* needs a retail import with a resident ID */
		gen_base(g, &g->ent_clean, GEN_FLOW_RETAIL_ID, false, cap, 0);
		break;
	case SL_E_TOO_MANY_ITEMS: {
		unsigned n =
		    SL_MAX_ITEMS + 1 + (unsigned)gen_below(&g->rng, 31);

		gen_base(g, &g->ent_clean, GEN_FLOW_ANY, false, cap, 1);
		while (m->n_items < n)
			gen_add_goods(
			    g, &g->goods[gen_wsel_pick(&g->goods_all, &g->rng)],
			    CNY(300), false);
		gen_finish_money(g);
		break;
	}
	default:
		gen_base(g, &g->ent_clean, GEN_FLOW_ANY, false, cap, 0);
		break;
	}
}

/* ------------------------------------------------------------ helpers */

static cJSON *item(cJSON *root, unsigned k)
{
	return cJSON_GetArrayItem(gt_get(root, "items"), (int)k);
}

static unsigned pick_item(struct sl_gen *g)
{
	return (unsigned)gen_below(&g->rng, g->m.n_items);
}

static const char *ipath(struct sl_gen *g, unsigned k, const char *key)
{
	return gs_printf(&g->sc, "items[%u].%s", k, key);
}

static bool utf8_valid(const char *s, size_t n)
{
	utf8proc_int32_t cp;

	for (size_t i = 0; i < n;) {
		utf8proc_ssize_t k =
		    utf8proc_iterate((const utf8proc_uint8_t *)s + i,
				     (utf8proc_ssize_t)(n - i), &cp);

		if (k <= 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

/* Whole keywords until the text is longer than max bytes: valid UTF-8,
 * just too long. */
static const char *stuffed(struct sl_gen *g, const char *base, size_t max,
			   bool zh)
{
	static const char *const kz[] = {
	    " 正品保证", " 官方旗舰店",	    " 海外直邮", " 包邮",
	    " 现货速发", " 七天无理由退换", " 专柜同款", " 限时特惠",
	    " 新品上市", " 爆款推荐",	    " 顺丰包邮", " 假一赔十"};
	static const char *const ke[] = {
	    " Authentic",    " Official Store", " Free Shipping", " In Stock",
	    " Best Seller",  " New Arrival",	" Limited Offer", " Gift Box",
	    " 100% Genuine", " Fast Delivery"};
	size_t n = strlen(base), extra = (size_t)gen_range(&g->rng, 1, 200);
	char *out = gs_alloc(&g->sc, n + max + extra + 64);

	memcpy(out, base, n);
	while (n <= max + extra - 1 || n <= max) {
		const char *k =
		    zh ? GEN_PICK(&g->rng, kz) : GEN_PICK(&g->rng, ke);
		size_t kl = strlen(k);

		memcpy(out + n, k, kl);
		n += kl;
	}
	out[n] = '\0';
	return out;
}

static const char *str_of(cJSON *n)
{
	return n && (n->type & 0xff) == cJSON_String ? n->valuestring
	       : n && (n->type & 0xff) == cJSON_Raw  ? n->valuestring
						     : NULL;
}

/* A valid USCC, for a code field that holds a customs code. */
static char *fresh_uscc(struct sl_gen *g)
{
	char *c = gs_alloc(&g->sc, 19);
	char org[10];

	for (int k = 0; k < 8; k++)
		org[k] = (char)('0' + gen_below(&g->rng, 10));
	org[8] = gen_orgcode_check(org);
	snprintf(c, 19, "91140105%.9s", org);
	c[17] = gen_uscc_check(c);
	c[18] = '\0';
	return c;
}

/* Which enterprise code to damage: ebc mostly, else ebp or logistics. */
static const char *code_field(struct sl_gen *g, cJSON *root, cJSON **obj)
{
	double x = gen_unit(&g->rng);

	if (x < 0.15 && gt_get(root, "ebp")) {
		*obj = gt_get(root, "ebp");
		return "ebp.code";
	}
	if (x < 0.3) {
		*obj = gt_get(root, "logistics");
		return "logistics.code";
	}
	*obj = gt_get(root, "ebc");
	return "ebc.code";
}

/* ------------------------------------------------------------- shapes */

static void missing(struct sl_gen *g, cJSON *root)
{
	static const char *const top[] = {"decl_id",	"flow",
					  "trade_mode", "declared_at",
					  "currency",	"goods_value"};
	static const char *const ik[] = {"name", "hs_code", "qty", "price"};
	struct gen_label *l = &g->l;
	double x = gen_unit(&g->rng);

	if (x < 0.45) {
		const char *k = GEN_PICK(&g->rng, top);

		gt_del(root, k);
		l->err_field = k;
		l->decl_id_null = !strcmp(k, "decl_id");
	} else if (x < 0.55) {
		gt_del(gt_get(root, "ebc"), "code");
		l->err_field = "ebc.code";
	} else if (x < 0.7) {
		gt_del(gt_get(root, "buyer"), "id_number");
		l->err_field = "buyer.id_number";
		l->note = "a 9610/1210 import needs the buyer's ID number";
	} else {
		unsigned k = pick_item(g);
		const char *key = GEN_PICK(&g->rng, ik);

		gt_del(item(root, k), key);
		l->err_field = ipath(g, k, key);
	}
}

static void bad_type(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	struct gen_label *l = &g->l;
	unsigned k = pick_item(g);
	cJSON *n;

	switch (gen_below(&g->rng, 9)) {
	case 0:
		n = gt_get(root, "goods_value");
		gt_set(root, "goods_value", gt_str(s, str_of(n)));
		l->err_field = "goods_value";
		l->note = "amount as a string";
		break;
	case 1:
		n = gt_get(root, "freight");
		gt_set(root, "freight", gt_str(s, str_of(n)));
		l->err_field = "freight";
		l->note = "amount as a string";
		break;
	case 2:
		n = gt_get(item(root, k), "price");
		gt_set(item(root, k), "price", gt_str(s, str_of(n)));
		l->err_field = ipath(g, k, "price");
		l->note = "price as a string";
		break;
	case 3:
		n = gt_get(item(root, k), "qty");
		gt_set(item(root, k), "qty", gt_str(s, str_of(n)));
		l->err_field = ipath(g, k, "qty");
		l->note = "quantity as a string";
		break;
	case 4:
		gt_set(root, "flow", gt_bool(s, true));
		l->err_field = "flow";
		l->note = "flow as a boolean";
		break;
	case 5:
		gt_set(root, "decl_id",
		       gt_raw(s, gs_printf(s, "%llu",
					   (unsigned long long)(g->i + 1))));
		l->err_field = "decl_id";
		l->decl_id_null = true;
		l->note = "decl_id as a number";
		break;
	case 6: {
		cJSON *items = gt_get(root, "items"), *first = items->child;
		cJSON *obj = gt_obj(s);

		cJSON_DetachItemViaPointer(items, first);
		gt_add(obj, "1", first);
		gt_set(root, "items", obj);
		l->err_field = "items";
		l->note = "items as an object";
		break;
	}
	case 7: {
		cJSON *lg = gt_get(root, "logistics");

		gt_set(lg, "code", gt_raw(s, str_of(gt_get(lg, "code"))));
		l->err_field = "logistics.code";
		l->note = "a 10-digit code as a number";
		break;
	}
	default: {
		cJSON *o = gt_get(root, "consignee");

		gt_set(o, "phone", gt_raw(s, gs_digits(s, &g->rng, 11)));
		/* an 11-digit phone starting with 1 */
		gt_get(o, "phone")->valuestring[0] = '1';
		l->err_field = "consignee.phone";
		l->note = "phone as a number";
		break;
	}
	}
}

static void too_long(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	struct gen_label *l = &g->l;
	unsigned k = pick_item(g);
	cJSON *o;

	switch (gen_below(&g->rng, 7)) {
	case 0:
	case 1:
		o = item(root, k);
		gt_set(o, "name",
		       gt_str(s, stuffed(g, str_of(gt_get(o, "name")),
					 item_max("name"), true)));
		l->err_field = ipath(g, k, "name");
		l->note = "keyword-stuffed item name";
		break;
	case 2:
		o = gt_get(root, "consignee");
		gt_set(o, "address",
		       gt_str(s, stuffed(g, str_of(gt_get(o, "address")),
					 decl_max("consignee.address"), true)));
		l->err_field = "consignee.address";
		break;
	case 3:
		o = gt_get(root, "ebc");
		gt_set(o, "name",
		       gt_str(s, stuffed(g, str_of(gt_get(o, "name")),
					 decl_max("ebc.name"), false)));
		l->err_field = "ebc.name";
		break;
	case 4:
		o = gt_get(root, "sender");
		gt_set(o, "name",
		       gt_str(s, stuffed(g, str_of(gt_get(o, "name")),
					 decl_max("sender.name"), false)));
		l->err_field = "sender.name";
		break;
	case 5:
		o = gt_get(root, "logistics");
		gt_set(
		    o, "waybill",
		    gt_str(s, gs_digits(s, &g->rng,
					decl_max("logistics.waybill") + 1 +
					    (unsigned)gen_below(&g->rng, 40))));
		l->err_field = "logistics.waybill";
		break;
	default:
		o = item(root, k);
		gt_set(o, "sku",
		       gt_str(s, gs_printf(s, "SKU-%s",
					   gs_digits(s, &g->rng,
						     item_max("sku") + 1))));
		l->err_field = ipath(g, k, "sku");
		break;
	}
}

/* ------------------------------------------------------------- values */

static const char *pick_str(struct sl_gen *g, const char *const *v, size_t n)
{
	return v[gen_below(&g->rng, n)];
}
#define PICK(g, arr) pick_str((g), (arr), sizeof(arr) / sizeof((arr)[0]))

static void bad_decl_id(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	const char *id = g->m.decl_id, *v;
	size_t p = strlen(g->o.id_prefix);

	switch (gen_below(&g->rng, 5)) {
	case 0:
		v = "";
		g->l.note = "empty";
		break;
	case 1:
		v = gs_printf(s, "%.*s %s", (int)p, id, id + p);
		g->l.note = "a space inside";
		break;
	case 2:
		v = gs_printf(s, "%.*s\t%s", (int)p, id, id + p);
		g->l.note = "a tab inside";
		break;
	case 3:
		v = gs_printf(s, "ＴＹＮ%s", id + p);
		g->l.note = "fullwidth letters";
		break;
	default:
		v = gs_printf(s, "%s\x01", id);
		g->l.note = "a control character";
		break;
	}
	gt_set(root, "decl_id", gt_str(s, v));
	g->l.err_field = "decl_id";
	g->l.decl_id_null = true;
}

static void bad_time(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	time_t t = (time_t)(g->m.t + 8 * 3600);
	struct tm tm;
	const char *v;
	int y, mo, d, h, mi, se;

	gmtime_r(&t, &tm);
	y = tm.tm_year + 1900;
	mo = tm.tm_mon + 1;
	d = tm.tm_mday;
	h = tm.tm_hour;
	mi = tm.tm_min;
	se = tm.tm_sec;
	switch (gen_below(&g->rng, 8)) {
	case 0:
		v = gs_printf(s, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h,
			      mi, se);
		g->l.note = "no UTC offset";
		break;
	case 1:
		v = gs_printf(s, "%04d-13-%02dT%02d:%02d:%02d+08:00", y, d, h,
			      mi, se);
		g->l.note = "month 13";
		break;
	case 2:
		v = gs_printf(s, "%04d-%02d-%02dT25:%02d:%02d+08:00", y, mo, d,
			      mi, se);
		g->l.note = "hour 25";
		break;
	case 3:
		v = gs_printf(s, "%04d-02-30T%02d:%02d:%02d+08:00", y, h, mi,
			      se);
		g->l.note = "February 30";
		break;
	case 4:
		v = gs_printf(s, "%04d/%02d/%02d %02d:%02d:%02d", y, mo, d, h,
			      mi, se);
		g->l.note = "slashes";
		break;
	case 5:
		v = gs_printf(s, "%lld", (long long)g->m.t);
		g->l.note = "epoch seconds as a string";
		break;
	case 6:
		v = gs_printf(s, "%04d年%02d月%02d日 %02d:%02d", y, mo, d, h,
			      mi);
		g->l.note = "Chinese date";
		break;
	default:
		v = gs_printf(s, "%04d-%02d-%02dT%02d:61:%02d+08:00", y, mo, d,
			      h, se);
		g->l.note = "minute 61";
		break;
	}
	gt_set(root, "declared_at", gt_str(s, v));
	g->l.err_field = "declared_at";
}

static void bad_uscc(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	cJSON *obj;
	const char *field = code_field(g, root, &obj);
	const char *cur = str_of(gt_get(obj, "code"));
	char *c = strlen(cur) == 18 ? gs_strdup(s, cur) : fresh_uscc(g);
	unsigned v = (unsigned)gen_below(&g->rng, 3);

	if (v == 0) {
		/* a wrong check character */
		char good = gen_uscc_check(c), bad;

		do {
			bad = gen_uscc_charset[gen_below(&g->rng, 31)];
		} while (bad == good);
		c[17] = bad;
		g->l.note = "wrong check character";
	} else if (v == 1) {
		/* I, O, S, V, Z are not in the GB 32100 charset */
		static const char nope[] = "IOSVZ";

		c[8 + gen_below(&g->rng, 9)] = nope[gen_below(&g->rng, 5)];
		g->l.note = "a letter outside the charset";
	} else {
		/* two adjacent characters swapped (a typing error) */
		unsigned p = 8 + (unsigned)gen_below(&g->rng, 8);
		char tmp = c[p];

		c[p] = c[p + 1];
		c[p + 1] = tmp;
		if (c[p] == c[p + 1] || gen_uscc_check(c) == c[17]) {
			char good = gen_uscc_check(c);

			c[17] = good == '0' ? '1' : '0';
		}
		g->l.note = "two characters swapped";
	}
	gt_set(obj, "code", gt_str(s, c));
	g->l.err_field = field;
}

static void bad_customs(struct sl_gen *g, cJSON *root)
{
	static const char junk[] = "- #./";
	struct gen_scratch *s = &g->sc;
	cJSON *obj;
	const char *field = code_field(g, root, &obj);
	const char *cur = str_of(gt_get(obj, "code"));
	char *c = strlen(cur) == 10
		      ? gs_strdup(s, cur)
		      : gs_printf(s, "1401%s", gs_digits(s, &g->rng, 6));

	c[1 + gen_below(&g->rng, 8)] = junk[gen_below(&g->rng, 5)];
	gt_set(obj, "code", gt_str(s, c));
	g->l.err_field = field;
	g->l.note = "punctuation inside a 10-character code";
}

static void bad_ent_code(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	cJSON *obj;
	const char *field = code_field(g, root, &obj);
	const char *u = fresh_uscc(g), *v;

	switch (gen_below(&g->rng, 4)) {
	case 0:
		v = gs_strndup(s, u, 17);
		g->l.note = "a USCC missing its last character";
		break;
	case 1:
		v = gs_printf(s, "%s0", u);
		g->l.note = "19 characters";
		break;
	case 2:
		v = gs_printf(s, "1401%s", gs_digits(s, &g->rng, 5));
		g->l.note = "9 digits";
		break;
	default:
		v = gs_printf(s, "1401%s", gs_digits(s, &g->rng, 8));
		g->l.note = "12 digits";
		break;
	}
	gt_set(obj, "code", gt_str(s, v));
	g->l.err_field = field;
}

static void bad_id_number(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	cJSON *b = gt_get(root, "buyer");
	const char *id = str_of(gt_get(b, "id_number"));
	char *c = gs_strdup(s, id);

	switch (gen_below(&g->rng, 4)) {
	case 0: {
		static const char map[] = "0123456789X";
		char good = gen_resident_id_check(c), bad;

		do {
			bad = map[gen_below(&g->rng, 11)];
		} while (bad == good);
		c[17] = bad;
		g->l.note = "wrong check character";
		break;
	}
	case 1:
		c[17] = '\0';
		g->l.note = "17 characters";
		break;
	case 2:
		/* the first-generation 15-digit number */
		c = gs_printf(s, "%.6s%.6s%.3s", id, id + 8, id + 14);
		g->l.note = "the old 15-digit form";
		break;
	default:
		c[10] = 'A';
		g->l.note = "a letter inside";
		break;
	}
	gt_set(b, "id_number", gt_str(s, c));
	g->l.err_field = "buyer.id_number";
}

static void bad_hs(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	unsigned k = pick_item(g);
	cJSON *it = item(root, k);
	const char *hs = str_of(gt_get(it, "hs_code")), *v;
	size_t n = strlen(hs);

	switch (gen_below(&g->rng, 6)) {
	case 0:
		v = n >= 8 ? gs_printf(s, "%.4s.%.2s.%.2s", hs, hs + 4, hs + 6)
			   : gs_printf(s, "%.4s.%.2s", hs, hs + 4);
		g->l.note = "dotted";
		break;
	case 1:
		v = gs_strndup(s, hs, 5);
		g->l.note = "5 digits";
		break;
	case 2:
		v = gs_strndup(s, hs, 4);
		g->l.note = "4 digits (a heading)";
		break;
	case 3:
		v = gs_printf(
		    s, "%s%s", hs,
		    gs_digits(s, &g->rng, 11 - (unsigned)(n < 11 ? n : 10)));
		g->l.note = "11 or more digits";
		break;
	case 4:
		v = gs_printf(s, "HS%s", hs);
		g->l.note = "letters";
		break;
	default:
		v = gs_printf(s, "%.4s %s", hs, hs + 4);
		g->l.note = "a space inside";
		break;
	}
	gt_set(it, "hs_code", gt_str(s, v));
	g->l.err_field = ipath(g, k, "hs_code");
}

static void bad_money(struct sl_gen *g, cJSON *root)
{
	static const char *const top[] = {"goods_value", "freight",
					  "tax_total",	 "actual_paid",
					  "discount",	 "insured_fee"};
	struct gen_scratch *s = &g->sc;
	cJSON *obj = root;
	const char *key, *cur, *v;
	unsigned k = pick_item(g);

	if (gen_chance(&g->rng, 0.4)) {
		obj = item(root, k);
		key = gen_chance(&g->rng, 0.7) ? "price" : "total_price";
		g->l.err_field = ipath(g, k, key);
	} else {
		key = GEN_PICK(&g->rng, top);
		g->l.err_field = key;
	}
	cur = str_of(gt_get(obj, key));
	if (!cur)
		cur = "0";
	switch (gen_below(&g->rng, 4)) {
	case 0:
		v = strspn(cur, "0.") == strlen(cur) ? "-5.00"
						     : gs_printf(s, "-%s", cur);
		g->l.note = "negative";
		break;
	case 1:
		v = strchr(cur, '.')
			? gs_printf(s, "%s%.*s1", cur,
				    (int)(5 - (strlen(strchr(cur, '.')) - 1)),
				    "00000")
			: gs_printf(s, "%s.000001", cur);
		g->l.note = "6 decimals";
		break;
	case 2:
		v = "1e20";
		g->l.note = "too large";
		break;
	default:
		v = "1e999";
		g->l.note = "not finite";
		break;
	}
	gt_set(obj, key, gt_raw(s, v));
}

static void bad_quantity(struct sl_gen *g, cJSON *root)
{
	static const char *const qv[] = {"0", "-1", "1.000001", "1e999"};
	static const char *const qn[] = {"zero", "negative", "6 decimals",
					 "not finite"};
	struct gen_scratch *s = &g->sc;
	unsigned k = pick_item(g), v = (unsigned)gen_below(&g->rng, 6);

	if (v < 4) {
		gt_set(item(root, k), "qty", gt_raw(s, qv[v]));
		g->l.err_field = ipath(g, k, "qty");
		g->l.note = qn[v];
	} else {
		const char *key = v == 4 ? "gross_weight_kg" : "net_weight_kg";

		gt_set(root, key, gt_raw(s, v == 4 ? "-1.250" : "-0.300"));
		g->l.err_field = key;
		g->l.note = "negative weight";
	}
}

static void bad_utf8(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	unsigned k = pick_item(g);
	cJSON *obj;
	const char *key, *cur;
	char *v;
	size_t n;
	unsigned variant;

	switch (gen_below(&g->rng, 5)) {
	case 0:
	case 1:
		obj = item(root, k);
		key = "name";
		g->l.err_field = ipath(g, k, key);
		break;
	case 2:
		obj = gt_get(root, "consignee");
		key = "address";
		g->l.err_field = "consignee.address";
		break;
	case 3:
		obj = gt_get(root, "consignee");
		key = "name";
		g->l.err_field = "consignee.name";
		break;
	default:
		obj = gt_get(root, "ebc");
		key = "name";
		g->l.err_field = "ebc.name";
		break;
	}
	cur = str_of(gt_get(obj, key));
	n = strlen(cur);
	variant = (unsigned)gen_below(&g->rng, 6);
	v = gs_alloc(s, n * 2 + 16);
	if (variant == 0) {
		/* GBK bytes from a legacy system, converted with iconv */
		iconv_t cd = iconv_open("GBK//IGNORE", "UTF-8");
		char *in = (char *)cur, *out = v;
		size_t il = n, ol = n * 2 + 8;

		if (cd != (iconv_t)-1) {
			iconv(cd, &in, &il, &out, &ol);
			iconv_close(cd);
			*out = '\0';
		} else {
			v[0] = '\0';
		}
		g->l.note = "GBK-encoded";
		if (!*v || utf8_valid(v, strlen(v)))
			variant = 1; /* ASCII or accidentally valid */
	}
	switch (variant) {
	case 0:
		break;
	case 1:
		snprintf(v, n * 2 + 16, "%s\x80", cur);
		g->l.note = "a lone continuation byte";
		break;
	case 2:
		snprintf(v, n * 2 + 16, "\xc0\xaf%s", cur);
		g->l.note = "an overlong encoding";
		break;
	case 3:
		snprintf(v, n * 2 + 16, "%s\xed\xa0\x80", cur);
		g->l.note = "an encoded surrogate";
		break;
	case 4:
		snprintf(v, n * 2 + 16, "%s\xe4\xb8", cur);
		g->l.note = "a truncated character";
		break;
	default:
		snprintf(v, n * 2 + 16, "\xff%s", cur);
		g->l.note = "a 0xFF byte";
		break;
	}
	gt_set(obj, key, gt_str(s, v));
}

/* ------------------------------------------------------------ framing */

static const char *print(struct sl_gen *g, cJSON *root, size_t *len)
{
	char *buf = g->sc.buf + g->sc.used;
	size_t room = g->sc.cap - g->sc.used;

	if (gt_print_json(root, buf, room, len))
		return NULL;
	gs_alloc(&g->sc, *len + 1);
	return buf;
}

static void not_json(struct sl_gen *g, cJSON *root, const char **frame,
		     size_t *flen)
{
	struct gen_scratch *s = &g->sc;
	const char *t;
	char *v;
	size_t n;

	switch (gen_below(&g->rng, 7)) {
	case 0:
		t = print(g, root, &n);
		*flen = (size_t)gen_range(&g->rng, (int64_t)n / 4,
					  (int64_t)n * 3 / 4);
		*frame = t;
		g->l.note = "cut short";
		return;
	case 1:
		t = print(g, root, &n);
		v = gs_strndup(s, t, n);
		for (char *p = v; *p; p++)
			if (*p == '"')
				*p = '\'';
		*frame = v;
		*flen = n;
		g->l.note = "a Python dict repr";
		return;
	case 2:
		gt_set(root, "goods_value", gt_raw(s, "NaN"));
		*frame = print(g, root, flen);
		g->l.note = "NaN";
		return;
	case 3:
		t = print(g, root, &n);
		*frame = gs_printf(s, "%.*s,}", (int)n - 1, t);
		*flen = n + 1;
		g->l.note = "a trailing comma";
		return;
	case 4:
		t = print(g, root, &n);
		*frame = gs_printf(s, "%s}", t);
		*flen = n + 1;
		g->l.note = "a stray closing brace";
		return;
	case 5:
		*frame = gs_printf(
		    s,
		    "<?xml version=\"1.0\" "
		    "encoding=\"UTF-8\"?><ceb:CEB621Message "
		    "xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
		    "version=\"1.0\"><ceb:Inventory><ceb:InventoryHead>"
		    "<ceb:copNo>%s</ceb:copNo><ceb:ebcCode>%s</ceb:ebcCode>"
		    "<ceb:tradeMode>%s</ceb:tradeMode></ceb:InventoryHead>"
		    "</ceb:Inventory></ceb:CEB621Message>",
		    g->m.decl_id, g->m.ebc->code, g->m.trade_mode);
		*flen = strlen(*frame);
		g->l.note = "a CEB621 XML message";
		return;
	default:
		*frame =
		    gs_printf(s, "%s,%s,%s,%s,%s", g->m.decl_id,
			      g->m.import ? "import" : "export",
			      g->m.trade_mode, g->m.ebc->code, g->m.fx->cur);
		*flen = strlen(*frame);
		g->l.note = "a CSV row";
		return;
	}
}

static cJSON *not_object(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	cJSON *a;

	switch (gen_below(&g->rng, 5)) {
	case 0:
		a = gt_arr(s);
		root->string = NULL;
		gt_add(a, NULL, root);
		g->l.note = "the object inside an array";
		return a;
	case 1:
		g->l.note = "a string";
		return gt_str(s, gs_strdup(s, g->m.decl_id));
	case 2:
		g->l.note = "a number";
		return gt_raw(
		    s, gs_printf(s, "%llu", (unsigned long long)(g->i + 1)));
	case 3:
		g->l.note = "null";
		return gt_null(s);
	default:
		g->l.note = "true";
		return gt_bool(s, true);
	}
}

static void too_deep(struct sl_gen *g, cJSON *root)
{
	struct gen_scratch *s = &g->sc;
	bool brackets = gen_chance(&g->rng, 0.2);
	unsigned depth = (unsigned)gen_range(&g->rng, SL_DEPTH_MAX + 1, 40);
	cJSON *n, *top;

	if (brackets)
		depth = 5000;
	/* msgpack-c's unpacker stops at 32 levels; stay well inside it */
	if (g->o.format == SL_GEN_MSGPACK && depth > 24)
		depth = 24;
	/* root is level 1, "attributes" level 2 */
	top = n = brackets ? gt_arr(s) : gt_obj(s);
	for (unsigned d = 3; d <= depth; d++)
		n = gt_add(n, brackets ? NULL : "a",
			   brackets ? gt_arr(s) : gt_obj(s));
	gt_add(root, "attributes", top);
	g->l.note = gs_printf(s, "nested %u levels%s", depth,
			      brackets ? " of brackets" : "");
}

/* ---------------------------------------------------------------- all */

static void long_line(struct sl_gen *g, cJSON *root)
{
	size_t size = SL_LINE_MAX + (size_t)gen_range(&g->rng, 4096, 61440);
	cJSON *it = item(root, 0);

	gt_set(
	    it, "name",
	    gt_str(&g->sc, stuffed(g, str_of(gt_get(it, "name")), size, true)));
	g->l.note =
	    gs_printf(&g->sc, "an item name of over %zu kB", size / 1000);
}

cJSON *gen_reject(struct sl_gen *g, cJSON *root, const char **frame,
		  size_t *flen)
{
	struct gen_scratch *s = &g->sc;
	struct gen_label *l = &g->l;
	int code = l->cls->code;
	unsigned k;
	cJSON *o;

	static const char *const flows[] = {"inbound", "进口", "imp", "in",
					    "outbound"};
	static const char *const modes[] = {"9611", "1239", "B2C", "0110"};
	static const char *const idtypes[] = {"idcard", "身份证", "ID",
					      "id-card", "resident_id"};
	static const char *const countries[] = {"UK",  "EU", "ZZ",  "JPN",
						"CHN", "XX", "日本"};
	static const char *const currencies[] = {"RMB",	 "YEN", "US$",
						 "EURO", "￥",	"CNH"};
	static const char *const cats[] = {"gift_item", "礼品", "promo",
					   "resale", "personal"};

	l->code = code;
	*frame = NULL;
	switch (code) {
	case SL_E_LINE_TOO_LONG:
		long_line(g, root);
		l->decl_id_null = true;
		break;
	case SL_E_NOT_JSON:
		not_json(g, root, frame, flen);
		l->decl_id_null = true;
		break;
	case SL_E_TOO_DEEP:
		too_deep(g, root);
		l->decl_id_null = true;
		break;
	case SL_E_NOT_OBJECT:
		root = not_object(g, root);
		l->decl_id_null = true;
		break;
	case SL_E_BAD_UTF8:
		bad_utf8(g, root);
		break;
	case SL_E_MISSING_FIELD:
		missing(g, root);
		break;
	case SL_E_BAD_TYPE:
		bad_type(g, root);
		break;
	case SL_E_FIELD_TOO_LONG:
		too_long(g, root);
		break;
	case SL_E_NO_ITEMS:
		gt_set(root, "items", gt_arr(s));
		l->err_field = "items";
		break;
	case SL_E_TOO_MANY_ITEMS:
		l->err_field = "items";
		l->note = gs_printf(s, "%u items", g->m.n_items);
		break;
	case SL_E_BAD_DECL_ID:
		bad_decl_id(g, root);
		break;
	case SL_E_BAD_FLOW:
		gt_set(root, "flow", gt_str(s, PICK(g, flows)));
		l->err_field = "flow";
		break;
	case SL_E_BAD_TRADE_MODE:
		if (gen_chance(&g->rng, 0.4)) {
			gt_set(root, "trade_mode",
			       gt_str(s, gen_chance(&g->rng, 0.5) ? "9710"
								  : "9810"));
			l->note = "an export-only mode on an import";
		} else {
			gt_set(root, "trade_mode", gt_str(s, PICK(g, modes)));
			l->note = "unknown mode";
		}
		l->err_field = "trade_mode";
		break;
	case SL_E_BAD_TIME:
		bad_time(g, root);
		break;
	case SL_E_BAD_USCC:
		bad_uscc(g, root);
		break;
	case SL_E_BAD_CUSTOMS_CODE:
		bad_customs(g, root);
		break;
	case SL_E_BAD_ENTERPRISE_CODE:
		bad_ent_code(g, root);
		break;
	case SL_E_BAD_ID_TYPE:
		gt_set(gt_get(root, "buyer"), "id_type",
		       gt_str(s, PICK(g, idtypes)));
		l->err_field = "buyer.id_type";
		break;
	case SL_E_BAD_ID_NUMBER:
		bad_id_number(g, root);
		break;
	case SL_E_BAD_COUNTRY:
		k = pick_item(g);
		switch (gen_below(&g->rng, 3)) {
		case 0:
			gt_set(root, "origin_country",
			       gt_str(s, PICK(g, countries)));
			l->err_field = "origin_country";
			break;
		case 1:
			gt_set(gt_get(root, "sender"), "country",
			       gt_str(s, PICK(g, countries)));
			l->err_field = "sender.country";
			break;
		default:
			gt_set(item(root, k), "origin_country",
			       gt_str(s, PICK(g, countries)));
			l->err_field = ipath(g, k, "origin_country");
			break;
		}
		break;
	case SL_E_BAD_CURRENCY:
		gt_set(root, "currency", gt_str(s, PICK(g, currencies)));
		l->err_field = "currency";
		break;
	case SL_E_BAD_HS_CODE:
		bad_hs(g, root);
		break;
	case SL_E_BAD_MONEY:
		bad_money(g, root);
		break;
	case SL_E_BAD_QUANTITY:
		bad_quantity(g, root);
		break;
	case SL_E_BAD_CATEGORY:
		k = pick_item(g);
		o = item(root, k);
		gt_set(o, "category", gt_str(s, PICK(g, cats)));
		l->err_field = ipath(g, k, "category");
		break;
	case SL_E_BAD_CUSTOMS_OFFICE: {
		static const char *const offices[] = {"501", "05010", "TYN1",
						      "太原", "05-1"};

		gt_set(root, "customs_code", gt_str(s, PICK(g, offices)));
		l->err_field = "customs_code";
		break;
	}
	case SL_E_BAD_SEQ: {
		static const char *const seqs[] = {"0", "100", "1.5", "-1"};

		k = pick_item(g);
		gt_set(item(root, k), "seq", gt_raw(s, PICK(g, seqs)));
		l->err_field = ipath(g, k, "seq");
		break;
	}
	default:
		/* a code this generator does not know yet: a plain
		 * declaration would be mislabelled, so say so loudly */
		fprintf(stderr, "sluice-gen: no generator for reject code %s\n",
			gen_code_name(code));
		abort();
	}
	return root;
}
