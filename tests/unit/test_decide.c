/* The decision, path by path: tiers, scores, hard actions, the negative
 * list, buyer limits (transaction, annual, the year boundary, exports,
 * FX), split shipments (windows across midnight, normalised consignees),
 * random selection (determinism and measured rate), reason order and the
 * fail-safe paths.  Declarations and rule hits are built by hand. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <urcu-qsbr.h>

#include <sluice/decide.h>
#include <sluice/decl.h>
#include <sluice/registry.h>
#include <sluice/state.h>
#include <sluice/verdict.h>

#define CNY(x)	     ((sl_money_t)(x)*SL_MONEY_ONE)
#define CUR(a, b, c) ((sl_currency_t)((a) << 16 | (b) << 8 | (c)))

/* Enterprises of the test registry (valid USCCs). */
#define E_ADV "91350100M000100Y43"
static char e_gen[19], e_dis[19], e_neg[19], e_unreg[19];

static const char *const names[] = {"PROHIBITED.ENDANGERED.IVORY",
				    "RISK.UNDERVALUED", "RISK.VAGUE",
				    "RESTRICTED.MEDICINE", "RISK.ORIGIN"};

static struct sl_registry *reg;
static struct sl_state *st;
static struct sl_decide_ctx ctx;
static struct sl_policy pol;
static sl_decl_t d;
static struct sl_hits hits;
static sl_verdict_t v;
static char id_buf[64];
static char id2[19], id3[19]; /* two more valid resident IDs */

static void make_id(char out[19], const char *body)
{
	char expect = 0;

	memcpy(out, body, 17);
	out[17] = '0';
	out[18] = '\0';
	sl_resident_id_check(out, 18, &expect);
	out[17] = expect;
}

static void make_uscc(char out[19], const char *body)
{
	char expect = 0;

	memcpy(out, body, 17);
	out[17] = '0';
	out[18] = '\0';
	sl_uscc_check(out, 18, &expect);
	out[17] = expect;
}

static void base_policy(struct sl_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->hold_at = 30;
	p->inspect_at = 60;
	p->tier[SL_TIER_ADVANCED] = (struct sl_tier_policy){50, 0, 0};
	p->tier[SL_TIER_GENERAL] = (struct sl_tier_policy){100, 1, 0};
	p->tier[SL_TIER_DISHONEST] =
	    (struct sl_tier_policy){150, 0, SL_VERDICT_INSPECT};
	p->tier[SL_TIER_UNKNOWN] =
	    (struct sl_tier_policy){100, 0, SL_VERDICT_HOLD};
	p->negative_floor = SL_VERDICT_HOLD;
	p->txn_limit_cny = CNY(5000);
	p->annual_limit_cny = CNY(26000);
	p->split_window_s = 0;
	p->split_max_count = 3;
	p->split_max_value_cny = CNY(20000);
	p->sample_seed = 42;
	p->n_fx = 2;
	p->fx[0] = (struct sl_fx_rate){CUR('U', 'S', 'D'), 710000};
	p->fx[1] = (struct sl_fx_rate){CUR('J', 'P', 'Y'), 4800};
}

static void use_policy(void)
{
	char err[256];

	cr_assert_eq(
	    sl_decide_ctx_init(&ctx, &pol, names, 5, reg, err, sizeof(err)), 0,
	    "%s", err);
}

static void setup(void)
{
	struct sl_state_config cfg;
	char csv[1024], err[256];

	rcu_register_thread();
	make_id(id2, "11010519800101001");
	make_id(id3, "11010519800101002");
	make_uscc(e_gen, "91110000100000001");
	make_uscc(e_dis, "91110000100000002");
	make_uscc(e_neg, "91110000100000003");
	make_uscc(e_unreg, "91110000100000004");
	snprintf(csv, sizeof(csv),
		 "code,name,tier,negative_list\n"
		 "%s,Adv,advanced,0\n%s,Gen,general,0\n%s,Dis,dishonest,0\n"
		 "%s,\"Neg, Ltd\",general,1\n",
		 E_ADV, e_gen, e_dis, e_neg);
	reg = sl_registry_parse(csv, strlen(csv), "t.csv", err, sizeof(err));
	cr_assert_not_null(reg, "%s", err);
	sl_state_config_defaults(&cfg);
	cfg.buyers_per_worker = cfg.windows_per_worker = 1 << 18;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "%s", err);
	base_policy(&pol);
	use_policy();
}

static void teardown(void)
{
	sl_state_close(st);
	sl_registry_put(reg);
	rcu_unregister_thread();
}

static sl_str_t S(const char *s)
{
	return (sl_str_t){s, (uint32_t)strlen(s)};
}

/* 2026-11-29T08:15:00+08:00 */
#define T0 INT64_C(1795911300)

/* A valid 9610 import of CNY 398 from a general enterprise. */
static void decl(const char *id, const char *ebc)
{
	memset(&d, 0, sizeof(d));
	snprintf(id_buf, sizeof(id_buf), "%s", id);
	d.s[SL_DS_DECL_ID] = S(id_buf);
	d.s[SL_DS_EBC_CODE] = S(ebc);
	d.s[SL_DS_BUYER_ID_NUMBER] = S("11010519491231002X");
	d.s[SL_DS_CONS_NAME] = S("张三");
	d.s[SL_DS_CONS_PHONE] = S("13800000000");
	d.s[SL_DS_CONS_ADDRESS] = S("山西省太原市小店区长治路1号");
	d.flow = SL_FLOW_IMPORT;
	d.trade_mode = SL_TM_M9610;
	d.id_type = SL_IDT_ID_CARD;
	d.declared_at = T0;
	d.declared_tz = 480;
	d.currency = CUR('C', 'N', 'Y');
	d.goods_value = CNY(398);
	d.n_items = 1;
	memset(&hits, 0, sizeof(hits));
}

static void hit(uint32_t rule, int32_t points, uint8_t action,
		const char *field)
{
	struct sl_hit *h = &hits.hit[hits.n++];

	h->rule = rule;
	h->points = points;
	h->action = action;
	snprintf(h->field, sizeof(h->field), "%s", field);
}

static void run(void)
{
	sl_verdict_init(&v);
	sl_decide(&ctx, &d, &hits, 0, st, 0, &v);
}

static bool has_reason(const char *rule)
{
	for (unsigned i = 0; i < v.n_reasons; i++)
		if (!strcmp(v.reasons[i].rule, rule))
			return true;
	return false;
}

#define expect_verdict(kind, tier_)                                            \
	do {                                                                   \
		cr_expect_eq(v.verdict, kind, "verdict %s, want %s",           \
			     sl_verdict_name(v.verdict),                       \
			     sl_verdict_name(kind));                           \
		cr_expect_eq(v.tier, tier_, "tier %s", sl_tier_name(v.tier));  \
	} while (0)

TestSuite(decide, .init = setup, .fini = teardown);

/* ------------------------------------------------------------- tiers */

Test(decide, clean_parcels_by_tier)
{
	decl("A1", E_ADV);
	run();
	expect_verdict(SL_VERDICT_RELEASE, SL_TIER_ADVANCED);
	cr_expect_eq(v.n_reasons, 0);

	decl("G1", e_gen);
	d.s[SL_DS_BUYER_ID_NUMBER] = S(id2);
	run();
	expect_verdict(SL_VERDICT_RELEASE, SL_TIER_GENERAL);

	decl("D1", e_dis);
	run();
	expect_verdict(SL_VERDICT_INSPECT, SL_TIER_DISHONEST);
	cr_expect(has_reason("TIER.DISHONEST"));

	decl("U1", e_unreg);
	run();
	expect_verdict(SL_VERDICT_HOLD, SL_TIER_UNKNOWN);
	cr_expect(has_reason("TIER.UNKNOWN"));

	decl("N1", e_neg);
	run();
	expect_verdict(SL_VERDICT_HOLD, SL_TIER_GENERAL);
	cr_expect_str_eq(v.reasons[0].rule, "TIER.NEGATIVE_LIST");
	cr_expect_str_eq(v.reasons[0].field, "ebc.code");
}

Test(decide, no_registry_means_unknown)
{
	char err[256];

	cr_assert_eq(
	    sl_decide_ctx_init(&ctx, &pol, names, 5, NULL, err, sizeof(err)),
	    0);
	decl("A1", E_ADV);
	run();
	expect_verdict(SL_VERDICT_HOLD, SL_TIER_UNKNOWN);
}

Test(decide, never_release_floors_hold_against_any_policy)
{
	/* Even a policy struct that slipped past sl_policy_check (built by
	 * hand, not through ctx_init) cannot release these. */
	pol.negative_floor = SL_VERDICT_RELEASE;
	pol.tier[SL_TIER_UNKNOWN].floor = SL_VERDICT_RELEASE;
	ctx.policy = pol;
	decl("N1", e_neg);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	decl("U1", e_unreg);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
}

/* ----------------------------------------------------- score and rules */

Test(decide, score_bands_and_tier_multiplier)
{
	decl("G1", e_gen);
	hit(1, 40, SL_VERDICT_RELEASE, "items[0].price");
	run();
	expect_verdict(SL_VERDICT_HOLD, SL_TIER_GENERAL);
	cr_expect_eq(v.score, 40);
	cr_expect_str_eq(v.reasons[0].rule, "RISK.UNDERVALUED");
	cr_expect_str_eq(v.reasons[0].field, "items[0].price");
	cr_expect_eq(v.reasons[0].points, 40);

	decl("A1", E_ADV); /* x0.5: 20, under hold_at */
	hit(1, 40, SL_VERDICT_RELEASE, "items[0].price");
	run();
	expect_verdict(SL_VERDICT_RELEASE, SL_TIER_ADVANCED);
	cr_expect_eq(v.score, 20);
	cr_expect_eq(v.n_reasons, 1, "contributing rules are listed");

	decl("G2", e_gen);
	hit(1, 40, SL_VERDICT_RELEASE, "items[0].price");
	hit(4, 25, SL_VERDICT_RELEASE, "origin_country");
	d.s[SL_DS_BUYER_ID_NUMBER] = S(id2);
	run();
	expect_verdict(SL_VERDICT_INSPECT, SL_TIER_GENERAL);
	cr_expect_eq(v.score, 65);
}

Test(decide, hard_action_wins_over_tier)
{
	decl("A1", E_ADV);
	hit(0, 0, SL_VERDICT_SEIZE, "items[0].name");
	run();
	expect_verdict(SL_VERDICT_SEIZE, SL_TIER_ADVANCED);
	cr_expect_str_eq(v.reasons[0].rule, "PROHIBITED.ENDANGERED.IVORY");
	cr_expect_eq(v.reasons[0].action, SL_VERDICT_SEIZE);
}

Test(decide, reasons_are_in_documented_order)
{
	decl("D1", e_dis);
	/* given in rule order, as sl_match_decl returns them */
	hit(1, 40, SL_VERDICT_RELEASE, "items[0].price");
	hit(2, 10, SL_VERDICT_HOLD, "items[0].name");
	hit(3, 10, SL_VERDICT_HOLD, "items[1].name");
	hit(3, 10, SL_VERDICT_HOLD, "items[0].name");
	hit(4, 5, SL_VERDICT_RELEASE, "");
	hit(4, 0, SL_VERDICT_RELEASE, "origin_country"); /* no effect */
	run();
	cr_assert_eq(v.n_reasons, 6);
	/* forced actions first, then points, then rule index, then the
	 * order given; engine reasons after the rules */
	cr_expect_str_eq(v.reasons[0].rule, "RISK.VAGUE");
	cr_expect_str_eq(v.reasons[1].rule, "RESTRICTED.MEDICINE");
	cr_expect_str_eq(v.reasons[1].field, "items[1].name");
	cr_expect_str_eq(v.reasons[2].field, "items[0].name");
	cr_expect_str_eq(v.reasons[3].rule, "RISK.UNDERVALUED");
	cr_expect_str_eq(v.reasons[4].rule, "RISK.ORIGIN");
	cr_expect_str_eq(v.reasons[5].rule, "TIER.DISHONEST");
	cr_expect_eq(v.score, (40 + 10 + 10 + 10 + 5) * 150 / 100);
	expect_verdict(SL_VERDICT_INSPECT, SL_TIER_DISHONEST);
}

Test(decide, engine_reasons_survive_many_hits)
{
	decl("U1", e_unreg);
	for (int i = 0; i < 30; i++)
		hit(1, 1, SL_VERDICT_RELEASE, "items[0].name");
	run();
	cr_expect_eq(v.n_reasons, SL_REASONS_MAX);
	cr_expect_str_eq(v.reasons[SL_REASONS_MAX - 1].rule, "TIER.UNKNOWN");
	cr_expect_eq(v.n_dropped, 30 - (SL_REASONS_MAX - 1));
	cr_expect_eq(v.score, 30);
}

/* ----------------------------------------------------------- fail-safe */

Test(decide, failures_never_release)
{
	decl("A1", E_ADV);
	sl_verdict_init(&v);
	sl_decide(&ctx, &d, NULL, -ENOMEM, st, 0, &v);
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("ENGINE.MATCH_FAILED"));

	decl("A2", E_ADV);
	hits.dropped = 3;
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("ENGINE.HITS_DROPPED"));
	cr_expect_eq(v.n_dropped, 3);

	decl("A3", E_ADV); /* a retail import with no state */
	sl_verdict_init(&v);
	sl_decide(&ctx, &d, &hits, 0, NULL, 0, &v);
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("ENGINE.STATE_UNAVAILABLE"));

	decl("A4", E_ADV); /* worker index the state does not have */
	sl_verdict_init(&v);
	sl_decide(&ctx, &d, &hits, 0, st, 7, &v);
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("ENGINE.STATE_UNAVAILABLE"));
}

Test(decide, exhausted_pool_holds)
{
	struct sl_state_config cfg;
	char err[256];

	sl_state_close(st);
	sl_state_config_defaults(&cfg);
	cfg.buyers_per_worker = 1;
	cfg.windows_per_worker = 2;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st);
	decl("A1", E_ADV);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	decl("A2", E_ADV); /* another buyer: no node left */
	d.s[SL_DS_BUYER_ID_NUMBER] = S(id2);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("ENGINE.STATE_UNAVAILABLE"));
}

/* -------------------------------------------------------- buyer limits */

Test(decide, transaction_limit_counts_freight_and_insurance)
{
	decl("A1", E_ADV);
	d.goods_value = CNY(4980);
	d.freight = CNY(20);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE, "exactly 5000 is allowed");

	decl("A2", E_ADV);
	d.goods_value = CNY(4980);
	d.freight = CNY(20);
	d.insured_fee = 1; /* CNY 0.00001 */
	d.s[SL_DS_BUYER_ID_NUMBER] = S(id2);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect_str_eq(v.reasons[0].rule, "LIMIT.TRANSACTION");
	cr_expect_str_eq(v.reasons[0].field, "goods_value");

	decl("A3", E_ADV);
	d.trade_mode = SL_TM_M1210;
	d.goods_value = CNY(6000);
	d.s[SL_DS_CONS_ADDRESS] = S("A3");
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD, "1210 has the limit too");
	cr_expect_not(has_reason("SPLIT_SHIPMENT"),
		      "one parcel alone is not a split shipment");
}

Test(decide, annual_limit_releases_up_to_26000)
{
	char id[16];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "Y%d", i);
		decl(id, E_ADV);
		d.s[SL_DS_CONS_ADDRESS] = S(id); /* not a split shipment */
		d.goods_value = CNY(5000);
		run();
		cr_assert_eq(v.verdict, SL_VERDICT_RELEASE, "parcel %d", i);
	}
	decl("Y5", E_ADV);
	d.s[SL_DS_CONS_ADDRESS] = S("Y5");
	d.goods_value = CNY(1000) + 1;
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("LIMIT.ANNUAL"));
	cr_expect_str_eq(v.reasons[0].field, "buyer.id_number");

	decl("Y6", E_ADV); /* exactly up to the limit still goes */
	d.s[SL_DS_CONS_ADDRESS] = S("Y6");
	d.goods_value = CNY(1000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2026),
	    CNY(26000));

	decl("Y7", E_ADV); /* held parcels never counted */
	d.s[SL_DS_CONS_ADDRESS] = S("Y7");
	d.goods_value = CNY(1);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2026),
	    CNY(26000));
}

Test(decide, a_randomly_inspected_parcel_uses_the_quota)
{
	/* Drawn for inspection, otherwise clean: found compliant it is
	 * delivered, so it counts like a release. */
	pol.tier[SL_TIER_ADVANCED].sample_ppm = 0;
	pol.tier[SL_TIER_GENERAL].sample_ppm = SL_PPM;
	use_policy();
	decl("R1", e_gen);
	d.goods_value = CNY(5000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_INSPECT);
	cr_expect(v.sampled);
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2026),
	    CNY(5000));
	for (int i = 0; i < 4; i++) {
		id_buf[1]++;
		d.s[SL_DS_CONS_ADDRESS] = S(id_buf);
		run();
	}
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2026),
	    CNY(25000));
	decl("R9", e_gen); /* over the limit: held for it, and drawn too */
	d.s[SL_DS_CONS_ADDRESS] = S("R9");
	d.goods_value = CNY(1001);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_INSPECT);
	cr_expect(has_reason("LIMIT.ANNUAL"));
	cr_expect(has_reason("RANDOM.GENERAL"));
}

Test(decide, only_released_value_counts)
{
	decl("H1", e_dis); /* inspected: not released, not counted */
	d.goods_value = CNY(5000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_INSPECT);
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2026), 0);
}

/* The year is China Standard Time's, whatever offset was declared. */
Test(decide, year_boundary_in_china_standard_time)
{
	pol.split_max_count = 100; /* one consignee, many parcels: no split */
	pol.split_max_value_cny = CNY(1000000);
	use_policy();
	decl("B1", E_ADV); /* 2026-12-31T23:59:00+08:00, fills 2026 */
	d.declared_at = INT64_C(1798732740);
	d.s[SL_DS_CONS_ADDRESS] = S("B1");
	for (int i = 0; i < 6; i++) {
		d.goods_value = i < 5 ? CNY(5000) : CNY(1000);
		run();
		cr_assert_eq(v.verdict, SL_VERDICT_RELEASE);
		id_buf[1]++;
	}
	decl("B2", E_ADV); /* a minute later, 2027-01-01T00:00+08:00 */
	d.declared_at = INT64_C(1798732800);
	d.s[SL_DS_CONS_ADDRESS] = S("B2");
	d.goods_value = CNY(5000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE, "a new year's quota");

	decl("B3", E_ADV); /* 2026-12-31T12:30:00-05:00 is 2027 01:30 CST */
	d.declared_at = INT64_C(1798738200);
	d.declared_tz = -300;
	d.s[SL_DS_CONS_ADDRESS] = S("B3");
	d.goods_value = CNY(5000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2027),
	    CNY(10000));

	decl("B4", E_ADV); /* 2026-12-31T15:59:59Z is 23:59:59 CST: 2026 */
	d.declared_at = INT64_C(1798732799);
	d.declared_tz = 0;
	d.s[SL_DS_CONS_ADDRESS] = S("B4");
	d.goods_value = CNY(1);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("LIMIT.ANNUAL"));
}

Test(decide, exports_and_b2b_have_no_buyer_limits)
{
	decl("X1", E_ADV);
	d.flow = SL_FLOW_EXPORT;
	d.goods_value = CNY(90000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);

	decl("X2", E_ADV);
	d.trade_mode = SL_TM_M9710;
	d.flow = SL_FLOW_EXPORT;
	d.goods_value = CNY(90000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	cr_expect_eq(
	    sl_state_buyer_total(st, UINT64_C(11010519491231002), 2026), 0);
}

Test(decide, foreign_currency_is_converted)
{
	decl("F1", E_ADV); /* USD 704 x 7.1 = 4998.4 */
	d.currency = CUR('U', 'S', 'D');
	d.goods_value = CNY(704);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);

	decl("F2", E_ADV); /* USD 705 x 7.1 = 5005.5 */
	d.currency = CUR('U', 'S', 'D');
	d.goods_value = CNY(705);
	d.s[SL_DS_CONS_ADDRESS] = S("F2");
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("LIMIT.TRANSACTION"));

	decl("F3", E_ADV);
	d.currency = CUR('E', 'U', 'R'); /* no rate in the policy */
	d.s[SL_DS_CONS_ADDRESS] = S("F3");
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	cr_expect(has_reason("LIMIT.NO_FX_RATE"));

	decl("F4", E_ADV); /* an export needs no rate */
	d.flow = SL_FLOW_EXPORT;
	d.currency = CUR('E', 'U', 'R');
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
}

/* ------------------------------------------------------ split shipments */

Test(decide, split_shipments_past_count_are_held)
{
	const char *ids[] = {"S1", "S2", "S3", "S4", "S5"};

	for (int i = 0; i < 5; i++) {
		decl(ids[i], E_ADV);
		d.declared_at = T0 + i * 600;
		run();
		if (i < 3) {
			cr_expect_eq(v.verdict, SL_VERDICT_RELEASE, "%d", i);
		} else {
			cr_expect_eq(v.verdict, SL_VERDICT_HOLD, "%d", i);
			cr_expect(has_reason("SPLIT_SHIPMENT"));
		}
	}
}

Test(decide, split_value_threshold)
{
	decl("V1", E_ADV);
	d.goods_value = CNY(4000);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	decl("V2", E_ADV);
	d.goods_value = CNY(4000);
	d.s[SL_DS_BUYER_ID_NUMBER] = S(id2);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	pol.split_max_value_cny = CNY(10000);
	use_policy();
	decl("V3", E_ADV);
	d.goods_value = CNY(2001);
	d.s[SL_DS_BUYER_ID_NUMBER] = S(id3);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD, "10001 in the day");
	cr_expect(has_reason("SPLIT_SHIPMENT"));
}

Test(decide, split_window_is_the_calendar_day_in_cst)
{
	/* 2026-11-29T23:5x+08:00 three times, then 00:01 the next day */
	int64_t late = INT64_C(1795967940); /* 23:59:00 CST */
	const char *ids[] = {"M1", "M2", "M3", "M4"};

	for (int i = 0; i < 3; i++) {
		decl(ids[i], E_ADV);
		d.declared_at = late - 120 + i * 30;
		run();
		cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	}
	decl(ids[3], E_ADV);
	d.declared_at = late + 120; /* 00:01 CST */
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE, "a new day's window");
}

Test(decide, split_window_of_fixed_length)
{
	pol.split_window_s = 3600;
	pol.split_max_count = 1;
	use_policy();
	decl("W1", E_ADV);
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE);
	decl("W2", E_ADV);
	d.declared_at = T0 + 60;
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_HOLD);
	decl("W3", E_ADV);
	d.declared_at = T0 + 3600;
	run();
	cr_expect_eq(v.verdict, SL_VERDICT_RELEASE, "next hour");
}

Test(decide, consignee_variants_group_together)
{
	static const char *const names_[] = {"张三", "张 三", "张\u200b三",
					     "张三 "};
	static const char *const phones[] = {"13800000000", "+86 138 0000 0000",
					     "0086-13800000000",
					     "１３８００００００００"};
	static const char *const addrs[] = {
	    "山西省太原市小店区长治路1号", "山西省 太原市 小店区 长治路 1 号",
	    "山西省太原市小店区长治路１号", "山西省太原市小店区长治路1号。"};
	uint64_t k0[2], k[2];
	int i;

	decl("K", E_ADV);
	cr_assert(sl_consignee_key(&d, k0));
	for (i = 0; i < 4; i++) {
		d.s[SL_DS_CONS_NAME] = S(names_[i]);
		d.s[SL_DS_CONS_PHONE] = S(phones[i]);
		d.s[SL_DS_CONS_ADDRESS] = S(addrs[i]);
		cr_assert(sl_consignee_key(&d, k));
		cr_expect(k[0] == k0[0] && k[1] == k0[1], "variant %d", i);
	}
	d.s[SL_DS_CONS_NAME] = S("Zhang SAN");
	cr_assert(sl_consignee_key(&d, k0));
	d.s[SL_DS_CONS_NAME] = S("ｚｈａｎｇ san");
	cr_assert(sl_consignee_key(&d, k));
	cr_expect(k[0] == k0[0] && k[1] == k0[1], "fullwidth, case");
	d.s[SL_DS_CONS_NAME] = S("李四");
	cr_assert(sl_consignee_key(&d, k));
	cr_expect(k[0] != k0[0] || k[1] != k0[1], "another person");
	/* fields do not run into each other */
	decl("K2", E_ADV);
	d.s[SL_DS_CONS_NAME] = S("ab");
	d.s[SL_DS_CONS_PHONE] = SL_STR_NULL;
	d.s[SL_DS_CONS_ADDRESS] = S("c");
	cr_assert(sl_consignee_key(&d, k0));
	d.s[SL_DS_CONS_NAME] = S("a");
	d.s[SL_DS_CONS_ADDRESS] = S("bc");
	cr_assert(sl_consignee_key(&d, k));
	cr_expect(k[0] != k0[0] || k[1] != k0[1]);
}

/* The consignee key's sixteen-byte fast path writes exactly what the
 * byte-at-a-time path does: random names, phones and addresses from
 * fragments of real ones (CJK, ASCII in both cases, digits, fullwidth,
 * punctuation, spaces, zero-width and other slow characters), at every
 * length, with the fields cut anywhere a character ends. */
Test(decide, consignee_key_fast_path_equals_reference)
{
	static const char *const frag[] = {
	    "山西省", "太原市", "小店区", "长治路", "号",      "张三", "李",
	    "Zhang",  "SAN",	"road",	  "8",	    "1380000", " ",    "-",
	    "#",      "(",	"。",	  "、",	    "１２",    "ＡＢ", "\u200b",
	    "é",      "Ω",	"😀",	  "〇",	    "ﬁ",       "\t",
	};
	const size_t nf = sizeof(frag) / sizeof(frag[0]);
	uint64_t x = 0x9e3779b97f4a7c15ull, a[2], b[2];
	char f[3][200];

	for (int it = 0; it < 200000; it++) {
		sl_decl_t *dd = &d;

		for (int k = 0; k < 3; k++) {
			size_t n = 0, want;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			want = x % 120;
			while (n < want) {
				const char *s;
				size_t len;

				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				/* mostly the common fragments */
				s = frag[(x >> 8) % 4 ? (x >> 16) % 12
						      : (x >> 16) % nf];
				len = strlen(s);
				if (n + len >= sizeof(f[k]))
					break;
				memcpy(f[k] + n, s, len);
				n += len;
			}
			f[k][n] = '\0';
		}
		dd->s[SL_DS_CONS_NAME] = S(f[0]);
		dd->s[SL_DS_CONS_PHONE] = S(f[1]);
		dd->s[SL_DS_CONS_ADDRESS] = S(f[2]);
		cr_assert(sl_consignee_key(dd, a));
		cr_assert(sl_consignee_key_ref(dd, b));
		cr_assert(a[0] == b[0] && a[1] == b[1],
			  "differ on \"%s\" / \"%s\" / \"%s\"", f[0], f[1],
			  f[2]);
	}
}

/* ---------------------------------------------------- random selection */

Test(decide, sampling_is_deterministic_and_marked)
{
	int sampled_at = -1;
	char id[32];

	pol.tier[SL_TIER_GENERAL].sample_ppm = 100000; /* 10 % */
	use_policy();
	for (int i = 0; i < 200 && sampled_at < 0; i++) {
		snprintf(id, sizeof(id), "TYN20261129%08d", i);
		decl(id, e_gen);
		d.flow = SL_FLOW_EXPORT;
		run();
		if (v.sampled)
			sampled_at = i;
	}
	cr_assert_geq(sampled_at, 0, "10 %% of 200 ids, none sampled");
	cr_expect_eq(v.verdict, SL_VERDICT_INSPECT);
	cr_expect_str_eq(v.reasons[v.n_reasons - 1].rule, "RANDOM.GENERAL");
	cr_expect_eq(v.reasons[v.n_reasons - 1].points, 0);
	/* Same id, same seed: same answer, whatever else happened since. */
	run();
	cr_expect(v.sampled);
	/* The draw is the documented function of (seed, decl_id). */
	cr_expect_lt(sl_sample_draw(42, id, strlen(id)), 100000);
	/* Another seed draws differently for some of these ids. */
	int differ = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "TYN20261129%08d", i);
		differ += (sl_sample_draw(42, id, strlen(id)) < 100000) !=
			  (sl_sample_draw(43, id, strlen(id)) < 100000);
	}
	cr_expect_gt(differ, 0);
}

/* Over 100,000 ids the measured rate of each tier stays within five
 * standard deviations of the configured one. */
Test(decide, sampling_rate_over_100k_ids)
{
	static const struct {
		const char *ebc;
		uint32_t ppm;
	} t[] = {{E_ADV, 1000}, {NULL, 24400}, {NULL, 847600}};
	const char *ebcs[3] = {E_ADV, e_gen, e_dis};
	char id[32];

	pol.tier[SL_TIER_ADVANCED].sample_ppm = t[0].ppm;
	pol.tier[SL_TIER_GENERAL].sample_ppm = t[1].ppm;
	pol.tier[SL_TIER_DISHONEST].sample_ppm = t[2].ppm;
	pol.tier[SL_TIER_DISHONEST].floor = SL_VERDICT_RELEASE;
	use_policy();
	for (int k = 0; k < 3; k++) {
		const int n = 100000;
		int got = 0, inspected = 0;
		double p = t[k].ppm / 1e6, sd = sqrt(n * p * (1 - p));

		for (int i = 0; i < n; i++) {
			snprintf(id, sizeof(id), "TYN2026%012d", i);
			decl(id, ebcs[k]);
			d.flow = SL_FLOW_EXPORT; /* no state involved */
			run();
			got += v.sampled;
			inspected += v.verdict == SL_VERDICT_INSPECT;
		}
		cr_expect(fabs(got - n * p) <= 5 * sd,
			  "tier %d: %d sampled of %d, configured %u ppm", k,
			  got, n, t[k].ppm);
		cr_expect_eq(inspected, got);
	}
}

/* ------------------------------------------------------------- policy */

Test(decide, policy_check_enforces_spec_floors)
{
	struct sl_policy p;
	char err[256];

	base_policy(&p);
	cr_expect_eq(sl_policy_check(&p, err, sizeof(err)), 0, "%s", err);
	p.tier[SL_TIER_DISHONEST].floor = SL_VERDICT_RELEASE;
	p.tier[SL_TIER_DISHONEST].sample_ppm = 500000;
	cr_expect_eq(sl_policy_check(&p, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "80%"), "%s", err);

	base_policy(&p);
	p.tier[SL_TIER_UNKNOWN].floor = SL_VERDICT_RELEASE;
	cr_expect_eq(sl_policy_check(&p, err, sizeof(err)), -EINVAL);

	base_policy(&p);
	p.tier[SL_TIER_ADVANCED].sample_ppm = 5000;
	p.tier[SL_TIER_GENERAL].sample_ppm = 20000;
	cr_expect_eq(sl_policy_check(&p, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "advanced"), "%s", err);

	base_policy(&p);
	p.hold_at = 70;
	cr_expect_eq(sl_policy_check(&p, err, sizeof(err)), -EINVAL);
}
