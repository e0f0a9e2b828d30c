/* sluice-gen — the generator's state and the declaration model.
 *
 * A record is made in three steps: build a typed model of the declaration
 * (build.c), settle its label against the buyer and consignee state the
 * generator keeps (gen.c), then turn the model into a tree, damage it if
 * the class is a reject (reject.c), and encode it (tree.c).
 * Control plane (a tool).
 */
#ifndef SLUICE_GEN_MODEL_H
#define SLUICE_GEN_MODEL_H

#include "gen_internal.h"

/* ------------------------------------------------------------ tables */

struct gen_goods {
	const char *hs, *group, *name_zh, *name_en, *unit;
	int64_t pmin, pmax; /* CNY per unit, fixed point */
	uint32_t weight_g;  /* per unit */
	struct gen_list origins, brands, models;
	double pop;
	bool made_in_cn; /* CN among the origins: plausible export */
	bool cosmetic, wine;
	double postal_rate; /* personal postal articles tax */
};

enum gen_kind {
	GEN_K_LABEL_ONLY, /* a label class made by a scenario */
	GEN_K_CLEAN,
	GEN_K_TIER_DISHONEST,
	GEN_K_TIER_UNKNOWN,
	GEN_K_TIER_NEGATIVE,
	GEN_K_PROHIBITED,
	GEN_K_EVASION,
	GEN_K_TRAP,
	GEN_K_RESTRICTED,
	GEN_K_UNDERVALUED,
	GEN_K_VAGUE,
	GEN_K_LIMIT_TXN,
	GEN_K_ANNUAL,
	GEN_K_SPLIT,
	GEN_K_REJECT,
};

enum gen_evasion {
	GEN_EV_FULLWIDTH,
	GEN_EV_ZERO_WIDTH,
	GEN_EV_TRADITIONAL,
	GEN_EV_SPACED,
	GEN_EV_MIXED_CASE,
};

struct gen_class {
	const char *name, *mix, *expect, *rule, *description;
	struct gen_list accept;
	double min_rate; /* 0: no rate check */
	double weight;	 /* default weight (classes.csv) */
	enum gen_kind kind;
	int evasion;	/* enum gen_evasion for GEN_K_EVASION */
	int code;	/* enum sl_errcode for GEN_K_REJECT */
	uint32_t *rows; /* risk.csv rows of this class */
	uint32_t n_rows;
};

struct gen_risk {
	const struct gen_class *cls;
	const char *hs, *name_zh, *name_en, *term_zh, *term_en, *unit;
	int64_t pmin, pmax;
	uint32_t weight_g;
	struct gen_list origins;
	const char *trad_name; /* s2t(name_zh) when it changes term_zh */
	const char *trad_term;
};

struct gen_place {
	const char *code, *province, *city, *district;
	struct gen_list streets;
};

struct gen_party {
	const char *kind, *code, *name, *country, *address, *extra;
};

struct gen_fx {
	const char *cur;
	double rate; /* CNY per unit */
	int dec;     /* minor-unit decimals */
	struct gen_list countries;
};

/* An enterprise: the declaring e-commerce enterprises (ebc), plus the
 * platforms and logistics companies, which also go to the registry. */
struct gen_ent {
	const char *code, *name, *address;
	uint8_t tier; /* enum sl_tier */
	bool negative, registered;
	const char *role; /* "ebc", "ebp", "logistics" */
};

/* A person: buyer and/or consignee. */
struct gen_person {
	const char *name, *id_type, *id_number, *phone;
	const char *address, *district;
	const char *key; /* the consignee before any formatting variant */
};

/* ------------------------------------------------------------- model */

struct gen_item {
	const char *hs, *name, *model, *brand, *unit, *origin, *sku, *barcode,
	    *category;
	int64_t qty, price, total; /* fixed point, in the currency */
	int qty_dec, price_dec, total_dec;
	uint32_t weight_g;
	double tax_rate;
};

struct gen_decl {
	char decl_id[48];
	bool import;
	const char *trade_mode;
	int64_t t;    /* epoch seconds */
	int tz_style; /* 0 +08:00, 1 .mmm+08:00, 2 Z, 3 +09:00 */
	const char *customs_code, *order_no, *pay_txn;
	const struct gen_party *ebp; /* NULL: absent */
	const struct gen_ent *ebc;
	const struct gen_party *logistics;
	const char *waybill;
	bool has_buyer;
	struct gen_person buyer, cons;
	const char *sender_name, *sender_address, *sender_country;
	const char *origin;
	const struct gen_fx *fx;
	int64_t goods, freight, insured, tax, discount, paid; /* currency */
	bool has_insured, has_discount;
	int64_t gross_g, net_g;
	bool has_weights;
	uint32_t n_items;
	struct gen_item items[GEN_MAX_ITEMS];
	/* presentation */
	bool nulls;	 /* some optional fields written as null */
	bool extra;	 /* unknown fields the engine must ignore */
	bool reorder;	 /* root keys in another order */
	bool no_scenery; /* scenario parcel: plain +08:00 time, no
			    cosmetic variation that could blur a label */
};

/* What a record should get. */
struct gen_label {
	const struct gen_class *cls;
	const struct gen_class *base; /* evasion: the prohibited class */
	const char *expect;	      /* NULL: cls->expect */
	const char *field, *term, *evaded, *note;
	int code;	       /* reject: enum sl_errcode */
	const char *err_field; /* reject: NULL = not compared */
	bool decl_id_null;     /* the verdict's decl_id is not comparable */
	bool show_value;       /* print value_cny / paid_cny */
	int64_t value_cny, paid_cny;
	/* state behind the outcome */
	const char *buyer_ref, *cons_ref;
	int year;
	int64_t day; /* local day number */
	int64_t rel_before_g, rel_before_p;
	uint32_t count_before;
	int64_t win_before_g, win_before_p;
	bool ambiguous;
	const char *state_reason;
};

/* --------------------------------------------------------- scenarios */

struct gen_repeat { /* a repeat buyer: annual limit */
	struct gen_person p;
	uint32_t made, target, id;
};

struct gen_group { /* a busy consignee on one day: split shipments */
	struct gen_person p;
	int64_t day;
	uint32_t made, target, id;
	bool by_value;
};

#define GEN_REPEATS 8
#define GEN_GROUPS  6

/* Running totals the labels are settled against. */
struct gen_acc {
	uint64_t key;
	int64_t g, p;	/* goods-value and paid measures, CNY */
	uint32_t count; /* parcels (consignee windows) */
};

struct gen_map {
	struct gen_acc *slot;
	size_t cap, n;
};

struct gen_acc *gen_map_get(struct gen_map *m, uint64_t key);

/* ------------------------------------------------------------- state */

struct sl_gen {
	struct sl_gen_opts o;
	struct gen_perm perm;
	struct gen_rng rng;
	struct gen_scratch sc;
	uint64_t i; /* records made */

	struct gen_goods *goods;
	uint32_t n_goods;
	struct gen_wsel goods_all, goods_export, goods_dear, goods_costly;
	struct gen_risk *risk;
	uint32_t n_risk;
	struct gen_place *places;
	uint32_t n_places;
	struct gen_wsel place_sel;
	struct gen_party *parties;
	uint32_t n_parties;
	struct gen_wsel ebp_sel;
	uint32_t *senders, n_senders, *abroad, n_abroad;
	uint32_t *logistics, n_logistics;
	struct gen_fx *fx;
	uint32_t n_fx;
	const struct gen_fx *cny;
	struct gen_class *classes;
	uint32_t n_classes;
	struct gen_wsel mix;
	struct gen_list given, en_first, en_last, estates;
	struct gen_list surnames;
	struct gen_wsel surname_sel;

	struct gen_ent *ents;
	uint32_t n_ents;
	struct gen_wsel ent_clean, ent_dishonest, ent_negative, ent_unknown;

	struct gen_repeat repeats[GEN_REPEATS];
	uint32_t n_repeats, repeat_ids;
	struct gen_group groups[GEN_GROUPS];
	uint32_t n_groups, group_ids;
	struct gen_map buyers, consignees;
	/* Rare classes forced into fixed slots so that every class with a
	 * weight shows up at least once (sorted by slot). */
	uint64_t *forced_slot;
	uint32_t *forced_class, n_forced, next_forced;

	void *opencc; /* opencc_t, s2t; NULL when unused */

	struct gen_decl m;
	struct gen_label l;
	char *out;
	size_t out_cap;
	msgpack_sbuffer sbuf;
	msgpack_packer pk;
	char *label;
	size_t label_cap;
};

/* gen.c */
const char *gen_tier_name(int tier);
const char *gen_code_name(int code);

/* build.c */
void gen_goods_tax_kind(struct gen_goods *gd);
const struct gen_class *gen_class_find(const struct sl_gen *g,
				       const char *name);
void gen_person_cn(struct sl_gen *g, struct gen_person *p, bool perm);
void gen_base(struct sl_gen *g, const struct gen_wsel *ents, int flow_req,
	      bool cny_only, int64_t paid_max_cny, unsigned n_items);
void gen_finish_money(struct sl_gen *g);
void gen_add_goods(struct sl_gen *g, const struct gen_goods *gd,
		   int64_t budget_cny, bool dear);
void gen_add_risk(struct sl_gen *g, const struct gen_risk *rk, unsigned pos,
		  int lang, int64_t budget_cny);
/* Appends gd at exactly price_cny x qty (value-targeted scenarios). */
void gen_add_goods_at(struct sl_gen *g, const struct gen_goods *gd,
		      int64_t price_cny, int64_t qty);
/* Sets an item's unit price from a CNY amount, in the currency. */
void gen_item_price(struct sl_gen *g, struct gen_item *it, int64_t cny,
		    int64_t qty);
void gen_item_remove(struct sl_gen *g, unsigned pos);
int gen_pick_lang(struct sl_gen *g);
/* A shop price near x CNY. */
int64_t gen_nice_cny(struct gen_rng *r, int64_t x);
int64_t gen_to_cny(const struct gen_decl *m, int64_t v);
char *gen_money(struct gen_scratch *s, int64_t v, int dec);
unsigned gen_n_items(struct sl_gen *g);
cJSON *gen_tree(struct sl_gen *g);
const char *gen_declared_at(struct sl_gen *g, int style);
int64_t gen_price_from_cny(const struct gen_fx *fx, int64_t cny, int *dec,
			   struct gen_rng *r);

enum { GEN_FLOW_ANY, GEN_FLOW_IMPORT, GEN_FLOW_RETAIL, GEN_FLOW_RETAIL_ID };

/* reject.c: damages the tree of the current model per l->cls->code and
 * fills the label's error.  *frame gets the record's bytes when the
 * damage is below the tree (not JSON, truncated), else NULL. */
cJSON *gen_reject(struct sl_gen *g, cJSON *root, const char **frame,
		  size_t *frame_len);
/* Builds the base declaration a reject class damages. */
void gen_reject_base(struct sl_gen *g);

#endif /* SLUICE_GEN_MODEL_H */
