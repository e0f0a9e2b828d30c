/* Matching: text conditions and their semantics (unless, fields, word
 * edges, evasions), field predicates, all/any/not, per-item binding, hit
 * order and naming. */
#include "rules_helpers.h"

static const char *ivory_yaml =
    "rules:\n"
    "  - id: PROHIBITED.ENDANGERED.IVORY\n"
    "    title: Ivory\n"
    "    source: test\n"
    "    action: seize\n"
    "    match:\n"
    "      terms: [象牙, ivory]\n"
    "      unless: [象牙白, 象牙色, ivory white]\n"
    "  - id: PROHIBITED.WEAPONS.GUN\n"
    "    title: Guns\n"
    "    source: test\n"
    "    action: seize\n"
    "    match:\n"
    "      terms: [枪, gun, 'pistol*', 手枪]\n"
    "      unless: [筋膜枪, 按摩枪, 水枪, glue gun, massage gun]\n";

static struct sl_bundle *ivory;

static void setup_ivory(void)
{
	ivory = rc_bundle(ivory_yaml);
}

static void teardown_ivory(void)
{
	sl_bundle_put(ivory);
}

struct name_case {
	const char *name;
	const char *rule;
	bool fires;
	const char *why;
};

static const struct name_case name_cases[] = {
    {"象牙手镯", "PROHIBITED.ENDANGERED.IVORY", true, "plain term"},
    {"carved IVORY bangle", "PROHIBITED.ENDANGERED.IVORY", true, "case"},
    {"ＩＶＯＲＹ ｂａｎｇｌｅ", "PROHIBITED.ENDANGERED.IVORY", true,
     "fullwidth"},
    {"象\xe2\x80\x8b牙手镯", "PROHIBITED.ENDANGERED.IVORY", true,
     "zero-width space inside the term"},
    {"i\xe2\x80\x8cvory", "PROHIBITED.ENDANGERED.IVORY", true,
     "zero-width non-joiner inside the term"},
    {"象 牙 手 镯", "PROHIBITED.ENDANGERED.IVORY", true, "spaced CJK"},
    {"象　牙", "PROHIBITED.ENDANGERED.IVORY", true, "ideographic space"},
    {"象牙白连衣裙", "PROHIBITED.ENDANGERED.IVORY", false,
     "unless: the colour ivory-white"},
    {"ivory white dress", "PROHIBITED.ENDANGERED.IVORY", false,
     "unless in English"},
    {"IVORY  WHITE dress", "PROHIBITED.ENDANGERED.IVORY", false,
     "unless after case folding and space collapsing"},
    {"象牙白 象牙手镯", "PROHIBITED.ENDANGERED.IVORY", true,
     "a colour word does not hide a second, real match"},
    {"象牙色衬衫配象牙扣", "PROHIBITED.ENDANGERED.IVORY", true,
     "an uncovered match after a covered one"},
    {"ivory white with ivory inlay", "PROHIBITED.ENDANGERED.IVORY", true,
     "English: second match not covered"},
    {"ivorycoast", "PROHIBITED.ENDANGERED.IVORY", false,
     "ASCII terms match whole words"},
    {"筋膜枪", "PROHIBITED.WEAPONS.GUN", false, "massage gun"},
    {"按摩枪 5档", "PROHIBITED.WEAPONS.GUN", false, "massage gun, other word"},
    {"儿童水枪玩具", "PROHIBITED.WEAPONS.GUN", false, "water gun"},
    {"筋膜枪 配 手枪", "PROHIBITED.WEAPONS.GUN", true,
     "massage gun next to a pistol"},
    {"仿真手槍", "PROHIBITED.WEAPONS.GUN", true,
     "traditional characters (OpenCC variant)"},
    {"仿真手枪", "PROHIBITED.WEAPONS.GUN", true, "simplified"},
    {"hot glue gun", "PROHIBITED.WEAPONS.GUN", false, "glue gun"},
    {"air gun", "PROHIBITED.WEAPONS.GUN", true, "gun"},
    {"begun", "PROHIBITED.WEAPONS.GUN", false, "word boundary before"},
    {"gunk remover", "PROHIBITED.WEAPONS.GUN", false, "word boundary after"},
    {"toy pistols", "PROHIBITED.WEAPONS.GUN", true, "'pistol*' is open"},
    {"Pistol", "PROHIBITED.WEAPONS.GUN", true, "case"},
    {"玩具gun", "PROHIBITED.WEAPONS.GUN", true, "CJK next to ASCII word"},
    {"手枪", "PROHIBITED.WEAPONS.GUN", true, "Chinese term"},
};

#define N_NAME_CASES (sizeof(name_cases) / sizeof(name_cases[0]))
static size_t name_idx[N_NAME_CASES];

ParameterizedTestParameters(match, names)
{
	for (size_t i = 0; i < N_NAME_CASES; i++)
		name_idx[i] = i;
	return cr_make_param_array(size_t, name_idx, N_NAME_CASES);
}

ParameterizedTest(size_t *i, match, names, .init = setup_ivory,
		  .fini = teardown_ivory)
{
	const struct name_case *c = &name_cases[*i];

	cr_expect_eq(fires_on_name(ivory, c->rule, c->name), c->fires,
		     "%s on \"%s\" should %sfire (%s)", c->rule, c->name,
		     c->fires ? "" : "not ", c->why);
}

Test(match, hit_carries_rule_action_and_field, .init = setup_ivory,
     .fini = teardown_ivory)
{
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	decl_item(d, "cotton shirt", "6205200000", 100);
	decl_item(d, "phone case", "3926909090", 20);
	decl_item(d, "象牙手镯", "9601900000", 50);
	match(ivory, d, &h);
	cr_assert_eq(h.n, 1);
	x = find_hit(ivory, &h, "PROHIBITED.ENDANGERED.IVORY");
	cr_assert(x);
	cr_expect_eq(x->action, SL_VERDICT_SEIZE);
	cr_expect_eq(x->points, 0);
	cr_expect_str_eq(x->field, "items[2].name");
	free(d);
}

Test(match, unless_only_counts_in_the_same_field, .init = setup_ivory,
     .fini = teardown_ivory)
{
	sl_decl_t *d = decl_new();
	sl_item_t *it;
	struct sl_hits h;

	/* "象牙白" in the brand does not excuse "象牙" in the name */
	it = decl_item(d, "象牙梳子", "9601900000", 50);
	it->s[SL_IS_BRAND] = S("象牙白");
	match(ivory, d, &h);
	cr_expect(find_hit(ivory, &h, "PROHIBITED.ENDANGERED.IVORY"));
	free(d);
}

Test(match, scratch_belongs_to_its_bundle, .init = setup_ivory,
     .fini = teardown_ivory)
{
	struct sl_bundle *other = rc_bundle(ivory_yaml);
	struct sl_match_scratch *ms = sl_match_scratch_new(other);
	sl_decl_t *d = decl_new();
	struct sl_hits h;

	decl_item(d, "象牙", "9601900000", 50);
	cr_expect_eq(sl_match_decl(ivory, ms, d, &h), -EINVAL);
	cr_expect_eq(sl_match_decl(other, ms, d, &h), 0);
	cr_expect_eq(h.n, 1);
	sl_match_scratch_free(ms);
	sl_bundle_put(other);
	free(d);
}

Test(match, scratch_reuse_forgets_the_previous_declaration, .init = setup_ivory,
     .fini = teardown_ivory)
{
	struct sl_match_scratch *ms = sl_match_scratch_new(ivory);
	sl_decl_t *a = decl_new(), *b = decl_new();
	struct sl_hits h;

	decl_item(a, "象牙手镯", "9601900000", 50);
	decl_item(b, "cotton shirt", "6205200000", 50);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(sl_match_decl(ivory, ms, a, &h), 0);
		cr_assert_eq(h.n, 1);
		cr_assert_eq(sl_match_decl(ivory, ms, b, &h), 0);
		cr_assert_eq(h.n, 0,
			     "hit leaked from the previous declaration");
	}
	sl_match_scratch_free(ms);
	free(a);
	free(b);
}

/* ------------------------------------------------------------- fields */

static const char *fields_yaml =
    "rules:\n"
    "  - id: WATCH.SENDER\n"
    "    title: Watch-listed sender\n"
    "    source: test\n"
    "    points: 30\n"
    "    match: {fields: [sender.name], terms: [acme smuggling]}\n"
    "  - id: WATCH.ANYWHERE\n"
    "    title: Anywhere\n"
    "    source: test\n"
    "    points: 5\n"
    "    match: {fields: any, terms: [xyzzy]}\n"
    "  - id: WATCH.ADDRESS\n"
    "    title: Consignee address\n"
    "    source: test\n"
    "    points: 5\n"
    "    match: {fields: consignee, terms: [保税区1号仓]}\n"
    "  - id: ITEM.MODEL_ONLY\n"
    "    title: Model only\n"
    "    source: test\n"
    "    points: 1\n"
    "    match: {fields: item.model, terms: [ak47]}\n";

Test(match, field_restrictions)
{
	struct sl_bundle *b = rc_bundle(fields_yaml);
	sl_decl_t *d = decl_new();
	sl_item_t *it;
	struct sl_hits h;
	const struct sl_hit *x;

	d->s[SL_DS_SENDER_NAME] = S("Acme  Smuggling Ltd");
	d->s[SL_DS_CONS_NAME] = S("xyzzy");
	d->s[SL_DS_CONS_ADDRESS] = S("上海市 保税区1号 仓");
	it = decl_item(d, "acme smuggling", "6205200000", 10);
	it->s[SL_IS_MODEL] = S("AK47");
	decl_item(d, "toy ak47", "9503000000", 10);
	match(b, d, &h);
	x = find_hit(b, &h, "WATCH.SENDER");
	cr_assert(x);
	cr_expect_str_eq(x->field, "sender.name");
	cr_expect_eq(x->points, 30);
	x = find_hit(b, &h, "WATCH.ANYWHERE");
	cr_assert(x);
	cr_expect_str_eq(x->field, "consignee.name");
	x = find_hit(b, &h, "WATCH.ADDRESS");
	cr_assert(x, "spaces between CJK characters are removed");
	cr_expect_str_eq(x->field, "consignee.address");
	x = find_hit(b, &h, "ITEM.MODEL_ONLY");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items[0].model",
			 "item 1 has ak47 in its name, not its model");
	/* hits come in rule order */
	cr_assert_eq(h.n, 4);
	for (uint32_t i = 1; i < h.n; i++)
		cr_expect_lt(h.hit[i - 1].rule, h.hit[i].rule);
	sl_bundle_put(b);
	free(d);
}

/* -------------------------------------------------------------- regex */

static const char *regex_yaml =
    "rules:\n"
    "  - id: RISK.VAGUE\n"
    "    title: Vague\n"
    "    source: test\n"
    "    action: hold\n"
    "    match:\n"
    "      regex: ['^(gift|礼物|其他|sample)s?$']\n"
    "  - id: RISK.TUSK\n"
    "    title: Tusk regex with an unless\n"
    "    source: test\n"
    "    points: 10\n"
    "    match:\n"
    "      regex: ['elephant\\s*tusks?']\n"
    "      unless_regex: ['elephant\\s*tusk\\s*(shaped|style)']\n";

Test(match, regex_anchors_are_field_boundaries)
{
	struct sl_bundle *b = rc_bundle(regex_yaml);

	cr_expect(fires_on_name(b, "RISK.VAGUE", "Gift"));
	cr_expect(fires_on_name(b, "RISK.VAGUE", "  礼物 "));
	cr_expect(fires_on_name(b, "RISK.VAGUE", "禮物"),
		  "regex variants in traditional characters");
	cr_expect(fires_on_name(b, "RISK.VAGUE", "samples"));
	cr_expect_not(fires_on_name(b, "RISK.VAGUE", "gift box"));
	cr_expect_not(fires_on_name(b, "RISK.VAGUE", "生日礼物盒"));
	cr_expect(fires_on_name(b, "RISK.TUSK", "Elephant Tusk"));
	cr_expect_not(
	    fires_on_name(b, "RISK.TUSK", "elephant tusk shaped vase"));
	cr_expect(fires_on_name(
	    b, "RISK.TUSK", "elephant tusk shaped vase and elephant tusks"));
	sl_bundle_put(b);
}

Test(match, regex_field_is_the_item_that_matched)
{
	struct sl_bundle *b = rc_bundle(regex_yaml);
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	decl_item(d, "gift box", "4819100000", 5);
	decl_item(d, "其他", "4819100000", 5);
	decl_item(d, "礼物", "4819100000", 5);
	match(b, d, &h);
	x = find_hit(b, &h, "RISK.VAGUE");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items[1].name");
	sl_bundle_put(b);
	free(d);
}

/* --------------------------------------------------------- predicates */

static char bands_dir[] = "/tmp/sluice-test-bands-XXXXXX";

static struct sl_bundle *preds;

#define PREDS_YAML_FMT                                                         \
	"lists:\n"                                                             \
	"  bands: {kind: bands, file: %s/bands.csv}\n"                         \
	"  lithium_hs: {kind: hs, file: %s/hs.csv}\n"                          \
	"rules:\n"                                                             \
	"  - id: RISK.UNDERVALUED\n"                                           \
	"    title: Below band\n"                                              \
	"    source: test\n"                                                   \
	"    points: 40\n"                                                     \
	"    when: {flow: import, below_band: bands}\n"                        \
	"  - id: RISK.HALF_BAND\n"                                             \
	"    title: Below half the band\n"                                     \
	"    source: test\n"                                                   \
	"    points: 20\n"                                                     \
	"    when: {below_band: {list: bands, percent: 50}}\n"                 \
	"  - id: RESTRICTED.BATTERY\n"                                         \
	"    title: Lithium battery by HS and name on the same item\n"         \
	"    source: test\n"                                                   \
	"    action: hold\n"                                                   \
	"    when:\n"                                                          \
	"      all:\n"                                                         \
	"        - hs_list: lithium_hs\n"                                      \
	"        - match: {terms: [battery, 电池]}\n"                        \
	"  - id: RISK.HEAVY_EXPORT\n"                                          \
	"    title: Heavy postal export\n"                                     \
	"    source: test\n"                                                   \
	"    points: 7\n"                                                      \
	"    when:\n"                                                          \
	"      all:\n"                                                         \
	"        - flow: export\n"                                             \
	"        - trade_mode: [postal, 9610]\n"                               \
	"        - gross_weight: {above: 30}\n"                                \
	"  - id: RISK.GIFT_OVER_VALUE\n"                                       \
	"    title: Gift over CNY 1000 from outside JP/KR\n"                   \
	"    source: test\n"                                                   \
	"    points: 9\n"                                                      \
	"    when:\n"                                                          \
	"      all:\n"                                                         \
	"        - category: gift\n"                                           \
	"        - item_value: {above: 1000}\n"                                \
	"        - not: {origin: [JP, KR]}\n"                                  \
	"  - id: RISK.MANY_OR_PRICY\n"                                         \
	"    title: Many items or a pricy declaration\n"                       \
	"    source: test\n"                                                   \
	"    points: 3\n"                                                      \
	"    when:\n"                                                          \
	"      any:\n"                                                         \
	"        - items: {at_least: 3}\n"                                     \
	"        - goods_value: {above: 4000}\n"                               \
	"  - id: RISK.SENDER_COUNTRY\n"                                        \
	"    title: Sender in a listed country\n"                              \
	"    source: test\n"                                                   \
	"    points: 2\n"                                                      \
	"    when: {sender_country: [US, GB], quantity: {at_least: 10}}\n"

static void setup_preds(void)
{
	char path[256], *yaml;
	FILE *f;

	cr_assert(mkdtemp(bands_dir));
	snprintf(path, sizeof(path), "%s/bands.csv", bands_dir);
	f = fopen(path, "w");
	fputs("hs_prefix,origin,low_cny,high_cny,description\n"
	      "8517,*,500,12000,phones\n"
	      "851713,US,1500,12000,\"smartphones, from the US\"\n"
	      "851713,*,800,,smartphones\n",
	      f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/hs.csv", bands_dir);
	f = fopen(path, "w");
	fputs("hs_prefix,description\n850650,lithium primary\n"
	      "850760,lithium-ion\n",
	      f);
	fclose(f);
	cr_assert(asprintf(&yaml, PREDS_YAML_FMT, bands_dir, bands_dir) > 0);
	preds = rc_bundle(yaml);
	free(yaml);
}

static void teardown_preds(void)
{
	char cmd[300];

	sl_bundle_put(preds);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", bands_dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(preds, .init = setup_preds, .fini = teardown_preds);

Test(preds, undervaluation_uses_longest_prefix_and_origin)
{
	sl_decl_t *d = decl_new();
	sl_item_t *it;
	struct sl_hits h;
	const struct sl_hit *x;

	/* 851713 from JP: the any-origin band of 851713 (800): 700 is below */
	decl_item(d, "phone", "8517130000", 700);
	match(preds, d, &h);
	x = find_hit(preds, &h, "RISK.UNDERVALUED");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items[0].price");
	cr_expect_eq(x->points, 40);
	cr_expect_null(find_hit(preds, &h, "RISK.HALF_BAND"));
	/* from the US the US band (1500) applies */
	d->items[0].origin = SL_COUNTRY('U', 'S');
	d->items[0].price = 1000 * SL_MONEY_ONE;
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.UNDERVALUED"));
	d->items[0].origin = SL_COUNTRY('J', 'P');
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.UNDERVALUED"),
		       "1000 is above the any-origin band of 800");
	/* 8517 other: band 500 */
	it = &d->items[0];
	it->s[SL_IS_HS_CODE] = S("8517620000");
	it->price = 499 * SL_MONEY_ONE;
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.UNDERVALUED"));
	cr_expect(find_hit(preds, &h, "RISK.HALF_BAND") == NULL);
	it->price = 200 * SL_MONEY_ONE;
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.HALF_BAND"));
	/* no band for the HS code: nothing */
	it->s[SL_IS_HS_CODE] = S("6205200000");
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.UNDERVALUED"));
	/* exports are not checked by the first rule */
	it->s[SL_IS_HS_CODE] = S("8517620000");
	d->flow = SL_FLOW_EXPORT;
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.UNDERVALUED"));
	cr_expect(find_hit(preds, &h, "RISK.HALF_BAND"));
	free(d);
}

Test(preds, undervaluation_converts_currency)
{
	sl_decl_t *d = decl_new();
	struct sl_hits h;

	d->currency = SL_CURRENCY('U', 'S', 'D');
	decl_item(d, "phone", "8517620000", 60); /* USD 60 = CNY 426 < 500 */
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.UNDERVALUED"));
	d->items[0].price = 80 * SL_MONEY_ONE; /* CNY 568 */
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.UNDERVALUED"));
	/* no rate for the currency: the condition cannot hold */
	d->currency = SL_CURRENCY('X', 'A', 'F');
	d->items[0].price = 1;
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.UNDERVALUED"));
	free(d);
}

Test(preds, conditions_bind_to_one_item)
{
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	decl_item(d, "phone case", "8507600000", 20);
	decl_item(d, "spare battery pack", "8504409999", 20);
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RESTRICTED.BATTERY"),
		       "HS of item 0 and name of item 1 must not combine");
	decl_item(d, "锂电池 20000mAh", "8507600010", 80);
	match(preds, d, &h);
	x = find_hit(preds, &h, "RESTRICTED.BATTERY");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items[2].name");
	cr_expect_eq(x->action, SL_VERDICT_HOLD);
	free(d);
}

Test(preds, declaration_predicates)
{
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	decl_item(d, "books", "4901990000", 20);
	d->flow = SL_FLOW_EXPORT;
	d->trade_mode = SL_TM_POSTAL;
	d->gross_weight = 31 * SL_MONEY_ONE;
	match(preds, d, &h);
	x = find_hit(preds, &h, "RISK.HEAVY_EXPORT");
	cr_assert(x);
	cr_expect_str_eq(x->field, "gross_weight_kg");
	d->gross_weight = 30 * SL_MONEY_ONE;
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.HEAVY_EXPORT"), "above: >");
	d->gross_weight = 40 * SL_MONEY_ONE;
	d->trade_mode = SL_TM_M1210;
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.HEAVY_EXPORT"));
	cr_expect_null(find_hit(preds, &h, "RISK.MANY_OR_PRICY"));
	d->goods_value = 4001 * SL_MONEY_ONE;
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.MANY_OR_PRICY"));
	d->goods_value = 0;
	decl_item(d, "pens", "9608100000", 1);
	decl_item(d, "ink", "3215900000", 1);
	match(preds, d, &h);
	x = find_hit(preds, &h, "RISK.MANY_OR_PRICY");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items");
	free(d);
}

Test(preds, not_and_category)
{
	sl_decl_t *d = decl_new();
	sl_item_t *it;
	struct sl_hits h;

	it = decl_item(d, "handbag", "4202210000", 1500);
	it->category = SL_CAT_GIFT;
	it->origin = SL_COUNTRY('F', 'R');
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.GIFT_OVER_VALUE"));
	it->origin = SL_COUNTRY('J', 'P');
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.GIFT_OVER_VALUE"),
		       "not: origin JP");
	it->origin = SL_COUNTRY('F', 'R');
	it->category = SL_CAT_SALE;
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.GIFT_OVER_VALUE"));
	it->category = SL_CAT_GIFT;
	it->total_price = 1000 * SL_MONEY_ONE;
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.GIFT_OVER_VALUE"),
		       "above 1000: 1000 is not");
	free(d);
}

Test(preds, sender_country_and_quantity)
{
	sl_decl_t *d = decl_new();
	sl_item_t *it;
	struct sl_hits h;

	it = decl_item(d, "socks", "6115950000", 2);
	it->qty = 12 * SL_MONEY_ONE;
	d->sender_country = SL_COUNTRY('G', 'B');
	match(preds, d, &h);
	cr_expect(find_hit(preds, &h, "RISK.SENDER_COUNTRY"));
	d->sender_country = SL_COUNTRY('D', 'E');
	match(preds, d, &h);
	cr_expect_null(find_hit(preds, &h, "RISK.SENDER_COUNTRY"));
	free(d);
}

/* ------------------------------------------------- chapter shortcut */

/* Without a text match, a per-item rule is evaluated only on items of the
 * HS chapters where it can hold (bundle.c chap_masks); these rules put
 * HS and band conditions under not, any and all, with and without text,
 * so that a wrong mask would drop a hit. */
Test(match, chapter_shortcut_keeps_every_hit)
{
	struct sl_bundle *b = rc_bundle(
	    "rules:\n"
	    "  - {id: R.NOT_ARMS, title: t, source: s, points: 1,\n"
	    "     when: {not: {hs: ['93']}}}\n"
	    "  - {id: R.ARMS_OR_WORD, title: t, source: s, points: 2,\n"
	    "     when: {any: [{hs: ['93']}, {match: {terms: [crossbow]}}]}}\n"
	    "  - {id: R.ARMS_NOT_WORD, title: t, source: s, points: 3,\n"
	    "     when: {all: [{hs: ['9303']}, {not: {match: {terms: "
	    "[toy]}}}]}}\n"
	    "  - {id: R.NOT_BOTH, title: t, source: s, points: 4,\n"
	    "     when: {not: {all: [{hs: ['93']}, {flow: import}]}}}\n");
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	/* cosmetics, no word: only the negations hold */
	decl_item(d, "face cream", "3304990099", 50);
	match(b, d, &h);
	cr_expect(find_hit(b, &h, "R.NOT_ARMS"));
	cr_expect(find_hit(b, &h, "R.NOT_BOTH"));
	cr_expect_null(find_hit(b, &h, "R.ARMS_OR_WORD"));
	cr_expect_null(find_hit(b, &h, "R.ARMS_NOT_WORD"));
	/* the word on a chapter 33 item: any() holds there */
	d->items[0].s[SL_IS_NAME] = S("crossbow face cream");
	match(b, d, &h);
	x = find_hit(b, &h, "R.ARMS_OR_WORD");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items[0].name");
	/* a chapter 93 item after it: all() with not(text) holds on it */
	d->items[0].s[SL_IS_NAME] = S("face cream");
	decl_item(d, "hunting rifle", "9303200000", 900);
	match(b, d, &h);
	cr_expect(find_hit(b, &h, "R.ARMS_NOT_WORD"));
	x = find_hit(b, &h, "R.ARMS_OR_WORD");
	cr_assert(x);
	cr_expect_str_eq(x->field, "items[1].hs_code");
	cr_expect(find_hit(b, &h, "R.NOT_ARMS"), "item 0 is not arms");
	/* ... unless its name says toy */
	d->items[1].s[SL_IS_NAME] = S("toy rifle");
	match(b, d, &h);
	cr_expect_null(find_hit(b, &h, "R.ARMS_NOT_WORD"));
	/* an HS code without two leading digits has no chapter: the
	 * negations still hold for it */
	d->n_items = 0;
	decl_item(d, "thing", "X", 10);
	match(b, d, &h);
	cr_expect(find_hit(b, &h, "R.NOT_ARMS"));
	cr_expect(find_hit(b, &h, "R.NOT_BOTH"));
	cr_expect_null(find_hit(b, &h, "R.ARMS_OR_WORD"));
	free(d);
	sl_bundle_put(b);
}

/* --------------------------------------------------------- overflow */

Test(match, more_hits_than_fit_are_counted)
{
	char *yaml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&yaml, &len);
	struct sl_bundle *b;
	sl_decl_t *d = decl_new();
	struct sl_hits h;

	fputs("rules:\n", f);
	for (int i = 0; i < SL_HITS_MAX + 6; i++)
		fprintf(f,
			"  - {id: T.R%03d, title: t, source: s, points: 1, "
			"match: {terms: [w%03d]}}\n",
			i, i);
	fclose(f);
	b = rc_bundle(yaml);
	free(yaml);
	{
		static char name[8 * (SL_HITS_MAX + 6) + 1];
		size_t n = 0;

		for (int i = 0; i < SL_HITS_MAX + 6; i++)
			n += (size_t)sprintf(name + n, "w%03d ", i);
		decl_item(d, name, "9999999999", 1);
		match(b, d, &h);
	}
	cr_expect_eq(h.n, SL_HITS_MAX);
	cr_expect_eq(h.dropped, 6);
	cr_expect_str_eq(sl_bundle_rule_name(b, h.hit[0].rule), "T.R000");
	sl_bundle_put(b);
	free(d);
}

Test(match, dense_matches_do_not_break_anything)
{
	struct sl_bundle *b = rc_bundle(ivory_yaml);
	sl_decl_t *d = decl_new();
	static char name[600];
	struct sl_hits h;

	/* 170 covered matches, then one real one at the end */
	name[0] = '\0';
	for (int i = 0; i < 56; i++)
		strcat(name, "象牙白");
	strcat(name, "象牙");
	decl_item(d, name, "9999999999", 1);
	match(b, d, &h);
	cr_expect(find_hit(b, &h, "PROHIBITED.ENDANGERED.IVORY"));
	d->n_items = 0;
	name[strlen(name) - 6] = '\0';
	decl_item(d, name, "9999999999", 1);
	match(b, d, &h);
	cr_expect_null(find_hit(b, &h, "PROHIBITED.ENDANGERED.IVORY"));
	sl_bundle_put(b);
	free(d);
}

Test(match, exact_terms_must_be_the_whole_field)
{
	struct sl_bundle *b = rc_bundle("rules:\n"
					"  - id: RISK.VAGUE\n"
					"    title: Vague\n"
					"    source: test\n"
					"    action: hold\n"
					"    match: {fields: item.name, exact: "
					"[gift, 礼物, spare parts]}\n");

	cr_expect(fires_on_name(b, "RISK.VAGUE", "gift"));
	cr_expect(fires_on_name(b, "RISK.VAGUE", "  GIFT "),
		  "after normalisation");
	cr_expect(fires_on_name(b, "RISK.VAGUE", "禮物"), "variants too");
	cr_expect(fires_on_name(b, "RISK.VAGUE", "Spare  Parts"));
	cr_expect_not(fires_on_name(b, "RISK.VAGUE", "gift box"));
	cr_expect_not(fires_on_name(b, "RISK.VAGUE", "a gift"));
	cr_expect_not(fires_on_name(b, "RISK.VAGUE", "生日礼物盒"));
	cr_expect_not(fires_on_name(b, "RISK.VAGUE", "spare parts kit"));
	sl_bundle_put(b);
}

Test(match, bundles_for_older_cpus_still_match)
{
	static const char *targets[] = {"generic", "avx2"};

	for (size_t i = 0; i < 2; i++) {
		char path[] = "/tmp/sluice-test-target-XXXXXX", err[256];
		int fd = mkstemp(path);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct sl_rulec_opts o = {.diag = f, .target = targets[i]};
		struct sl_rulec *rc = sl_rulec_new(&o);
		struct sl_bundle *b;

		close(fd);
		sl_rulec_add_source(rc, "t.yaml", ivory_yaml,
				    strlen(ivory_yaml));
		cr_assert_eq(sl_rulec_build(rc, path, NULL), 0);
		sl_rulec_free(rc);
		fclose(f);
		free(buf);
		b = sl_bundle_load(path, err, sizeof(err));
		cr_assert(b, "%s: %s", targets[i], err);
		cr_expect(
		    fires_on_name(b, "PROHIBITED.ENDANGERED.IVORY", "象牙"));
		cr_expect_not(
		    fires_on_name(b, "PROHIBITED.ENDANGERED.IVORY", "象牙白"));
		sl_bundle_put(b);
		unlink(path);
	}
}
