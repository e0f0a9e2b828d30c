/* The default rule set (rules/, built into share/sluice/default.bundle):
 * SPEC 7's categories are caught in Chinese and English and through the
 * usual evasions, restricted goods go to an officer, everyday goods that
 * merely contain a risky word are left alone, and the bundle is found
 * relative to the binary. */
#include "rules_helpers.h"

static struct sl_bundle *def;

static void setup(void)
{
	char path[4096], err[512];

	cr_assert_eq(sl_bundle_default_path(path, sizeof(path)), 0,
		     "no default bundle next to the test binary");
	def = sl_bundle_load(path, err, sizeof(err));
	cr_assert(def, "%s", err);
}

static void teardown(void)
{
	sl_bundle_put(def);
}

TestSuite(default_rules, .init = setup, .fini = teardown);

struct item_case {
	const char *name; /* item name */
	const char *hs;
	const char *rule; /* the rule that must fire; NULL: none may */
	uint8_t action;	  /* its action */
};

#define SEIZE	SL_VERDICT_SEIZE
#define HOLD	SL_VERDICT_HOLD
#define INSPECT SL_VERDICT_INSPECT
#define NONE	SL_VERDICT_RELEASE

static const struct item_case items[] = {
    /* weapons and replicas */
    {"仿真手枪模型 金属 1:1", "9503000000", "PROHIBITED.WEAPONS", SEIZE},
    {"replica pistol metal 1:1 scale", "9503000000", "PROHIBITED.WEAPONS",
     SEIZE},
    {"PCP气枪 打猎用", "9503000000", "PROHIBITED.WEAPONS", SEIZE},
    {"stun gun for self-defence", "8543709990", "PROHIBITED.WEAPONS", SEIZE},
    {"战术匕首", "8211910000", "PROHIBITED.WEAPONS", SEIZE},
    {"automatic switchblade knife", "8211930000", "PROHIBITED.WEAPONS", SEIZE},
    {"复合弩 狩猎", "9506990000", "PROHIBITED.WEAPONS", SEIZE},
    {"手枪消音器", "8714109000", "PROHIBITED.WEAPONS", SEIZE},
    /* ammunition and explosives */
    {"9mm pistol ammunition 50 rounds", "3926909090", "PROHIBITED.AMMUNITION",
     SEIZE},
    {"12号猎枪子弹 25发", "3926909090", "PROHIBITED.AMMUNITION", SEIZE},
    {"training hand grenade", "9503000000", "PROHIBITED.AMMUNITION", SEIZE},
    {"烟花爆竹 礼炮", "3604100000", "PROHIBITED.AMMUNITION", SEIZE},
    {"electric detonators", "3603000000", "PROHIBITED.AMMUNITION", SEIZE},
    /* narcotics and precursors */
    {"大麻软糖 THC", "2106909090", "PROHIBITED.NARCOTICS", SEIZE},
    {"dried cannabis flower", "1211909900", "PROHIBITED.NARCOTICS", SEIZE},
    {"冰毒 晶体", "2939710000", "PROHIBITED.NARCOTICS", SEIZE},
    {"fentanyl powder", "2933399000", "PROHIBITED.NARCOTICS", SEIZE},
    {"罂粟籽 烘焙用", "1207910000", "PROHIBITED.NARCOTICS", SEIZE},
    {"coca leaf tea", "1211300000", "PROHIBITED.NARCOTICS", SEIZE},
    {"麻黄碱 原料", "2939410000", "PROHIBITED.NARCOTICS", SEIZE},
    /* counterfeit currency */
    {"高仿假币 人民币100元", "4907000000", "PROHIBITED.COUNTERFEIT_CURRENCY",
     SEIZE},
    {"counterfeit US dollar bills", "4907000000",
     "PROHIBITED.COUNTERFEIT_CURRENCY", SEIZE},
    /* endangered species */
    {"象牙手镯", "9601100000", "PROHIBITED.ENDANGERED", SEIZE},
    {"carved ivory figurine", "9601100000", "PROHIBITED.ENDANGERED", SEIZE},
    {"犀牛角杯", "0507900000", "PROHIBITED.ENDANGERED", SEIZE},
    {"pangolin scales", "0507900000", "PROHIBITED.ENDANGERED", SEIZE},
    {"玳瑁手镯", "9601900000", "PROHIBITED.ENDANGERED", SEIZE},
    {"hawksbill tortoiseshell bracelet", "9601900000", "PROHIBITED.ENDANGERED",
     SEIZE},
    {"虎骨酒", "2208909090", "PROHIBITED.ENDANGERED", SEIZE},
    {"tiger skin rug", "4303900000", "PROHIBITED.ENDANGERED", SEIZE},
    {"熊胆粉", "0510000000", "PROHIBITED.ENDANGERED", SEIZE},
    {"saiga antelope horn", "0507900000", "PROHIBITED.ENDANGERED", SEIZE},
    {"砗磲手串", "0508000000", "PROHIBITED.ENDANGERED", SEIZE},
    /* poisons */
    {"氰化钾", "2837190000", "PROHIBITED.POISON", SEIZE},
    {"arsenic trioxide", "2811290000", "PROHIBITED.POISON", SEIZE},
    {"毒鼠强 灭鼠药", "3808990000", "PROHIBITED.POISON", SEIZE},
    /* prohibited animal and plant products */
    {"新鲜牛肉 冷鲜", "0201300000", "PROHIBITED.ANIMAL_PLANT", SEIZE},
    {"whole cured Iberico ham", "0210190000", "PROHIBITED.ANIMAL_PLANT", SEIZE},
    {"未加工毛燕窝", "0410900000", "PROHIBITED.ANIMAL_PLANT", SEIZE},
    {"live budgerigar parrots", "0106390000", "PROHIBITED.ANIMAL_PLANT", SEIZE},
    {"imported peat potting soil", "2530900000", "PROHIBITED.ANIMAL_PLANT",
     SEIZE},
    {"新鲜水果 车厘子", "0809290000", "PROHIBITED.ANIMAL_PLANT", SEIZE},
    /* restricted: an officer decides */
    {"布洛芬缓释胶囊", "3004909000", "RESTRICTED.MEDICINE", HOLD},
    {"insulin pen", "3004310000", "RESTRICTED.MEDICINE", HOLD},
    {"维生素 多种", "3004500000", "RESTRICTED.MEDICINE", HOLD},
    {"充电宝 20000mAh 锂电池", "8507600000", "RESTRICTED.LITHIUM_BATTERY",
     HOLD},
    {"CR2032 lithium coin cells", "8506500000", "RESTRICTED.LITHIUM_BATTERY",
     HOLD},
    {"对讲机 一对", "8525600000", "RESTRICTED.RADIO_TRANSMITTER", HOLD},
    {"cellular signal booster", "8517620000", "RESTRICTED.RADIO_TRANSMITTER",
     HOLD},
    {"番茄种子", "1209910000", "RESTRICTED.SEEDS", HOLD},
    {"tulip bulbs", "0601100000", "RESTRICTED.SEEDS", HOLD},
    /* vague descriptions */
    {"礼物", "9999999999", "RISK.VAGUE_DESCRIPTION", HOLD},
    {"Birthday Gift", "9999999999", "RISK.VAGUE_DESCRIPTION", HOLD},
    {"spare parts", "9999999999", "RISK.VAGUE_DESCRIPTION", HOLD},
    {"其他物品", "9999999999", "RISK.VAGUE_DESCRIPTION", HOLD},
    {"礼物 Gift", "9999999999", "RISK.VAGUE_DESCRIPTION", HOLD},
    /* everyday goods that contain a risky word: nothing fires */
    {"象牙白连衣裙", "6204430000", NULL, NONE},
    {"ivory white dress", "6204430000", NULL, NONE},
    {"筋膜枪 按摩器", "9019101000", NULL, NONE},
    {"massage gun percussion massager", "9019101000", NULL, NONE},
    {"喷漆枪", "8424200000", NULL, NONE},
    {"hot glue gun", "8516790000", NULL, NONE},
    {"子弹杯 烈酒杯 6只", "7013370000", NULL, NONE},
    {"Bullet Journal dotted notebook", "4820100000", NULL, NONE},
    {"犀牛盾手机壳 RhinoShield", "3926909090", NULL, NONE},
    {"虎皮蛋糕卷", "1905900000", NULL, NONE},
    {"tiger skin swiss roll cake", "1905900000", NULL, NONE},
    {"枪灰色卫衣", "6110300000", NULL, NONE},
    {"gunmetal grey hoodie", "6110300000", NULL, NONE},
    {"Dior 毒药香水 Poison", "3303000010", NULL, NONE},
    {"泡澡炸弹 沐浴球", "3307300000", NULL, NONE},
    {"bath bomb", "3307300000", NULL, NONE},
    {"gunpowder green tea", "0902101000", NULL, NONE},
    {"天然牛角梳", "9615190000", NULL, NONE},
    {"Guns N' Roses band T-shirt", "6109100000", NULL, NONE},
    {"Nutribullet blender", "8509400000", NULL, NONE},
    {"豹纹连衣裙", "6204430000", NULL, NONE},
    {"玳瑁色眼镜框", "9003190000", NULL, NONE},
    {"anti-counterfeit label", "4821100000", NULL, NONE},
    {"生日礼物盒", "4819100000", NULL, NONE},
    {"gift box", "4819100000", NULL, NONE},
    {"chia seeds", "1207990000", NULL, NONE},
    {"汽车消音器", "8708920000", NULL, NONE},
    {"保湿面霜", "3304990099", NULL, NONE},
    {"smartphone", "8517130000", NULL, NONE},
};

#define N_ITEMS (sizeof(items) / sizeof(items[0]))
static size_t item_idx[N_ITEMS];

ParameterizedTestParameters(default_rules, items)
{
	for (size_t i = 0; i < N_ITEMS; i++)
		item_idx[i] = i;
	return cr_make_param_array(size_t, item_idx, N_ITEMS);
}

ParameterizedTest(size_t *i, default_rules, items)
{
	const struct item_case *c = &items[*i];
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	decl_item(d, c->name, c->hs, 1000);
	match(def, d, &h);
	if (!c->rule) {
		cr_expect_eq(h.n, 0, "\"%s\" fired %s", c->name,
			     h.n ? sl_bundle_rule_name(def, h.hit[0].rule)
				 : "");
	} else {
		x = find_hit(def, &h, c->rule);
		cr_assert(x, "\"%s\" did not fire %s", c->name, c->rule);
		cr_expect_eq(x->action, c->action, "\"%s\"", c->name);
		cr_expect_eq(strncmp(x->field, "items[0].", 9), 0, "%s",
			     x->field);
	}
	free(d);
}

/* The evasions of SPEC 7 / issue 4 on a term of every prohibited class. */
static const struct {
	const char *name;
	const char *rule;
} evasions[] = {
    {"ＩＶＯＲＹ bangle", "PROHIBITED.ENDANGERED"},
    {"IvOrY bangle", "PROHIBITED.ENDANGERED"},
    {"象\xe2\x80\x8b牙手镯", "PROHIBITED.ENDANGERED"},
    {"象 牙 手 镯", "PROHIBITED.ENDANGERED"},
    {"穿山甲鱗片", "PROHIBITED.ENDANGERED"},
    {"仿真手槍模型", "PROHIBITED.WEAPONS"},
    {"ｐｉｓｔｏｌ", "PROHIBITED.WEAPONS"},
    {"手\xe2\x80\x8c枪", "PROHIBITED.WEAPONS"},
    {"12號獵槍子彈", "PROHIBITED.AMMUNITION"},
    {"Ｆｅｎｔａｎｙｌ", "PROHIBITED.NARCOTICS"},
    {"氯 胺 酮", "PROHIBITED.NARCOTICS"},
    {"偽鈔 美元", "PROHIBITED.COUNTERFEIT_CURRENCY"},
    {"CyAnIdE", "PROHIBITED.POISON"},
    {"新鮮牛肉", "PROHIBITED.ANIMAL_PLANT"},
};

Test(default_rules, evasions_are_caught)
{
	for (size_t i = 0; i < sizeof(evasions) / sizeof(evasions[0]); i++)
		cr_expect(
		    fires_on_name(def, evasions[i].rule, evasions[i].name),
		    "\"%s\" evaded %s", evasions[i].name, evasions[i].rule);
}

Test(default_rules, undervaluation)
{
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	const struct sl_hit *x;

	decl_item(d, "smartphone", "8517130000", 60); /* 3 % of 1999 */
	match(def, d, &h);
	x = find_hit(def, &h, "RISK.UNDERVALUED");
	cr_assert(x);
	cr_expect_gt(x->points, 0);
	cr_expect_str_eq(x->field, "items[0].price");
	d->items[0].price = 1999 * SL_MONEY_ONE;
	match(def, d, &h);
	cr_expect_eq(h.n, 0);
	d->n_items = 0;
	decl_item(d, "laptop computer", "8471300000", 120);
	match(def, d, &h);
	cr_expect(find_hit(def, &h, "RISK.UNDERVALUED"));
	free(d);
}

Test(default_rules, policy_follows_spec_1)
{
	const struct sl_policy *p = sl_bundle_policy(def);
	const struct sl_tier_policy *t = p->tier;

	cr_expect_eq(p->txn_limit_cny, 5000 * SL_MONEY_ONE);
	cr_expect_eq(p->annual_limit_cny, 26000 * SL_MONEY_ONE);
	cr_expect_lt((uint64_t)t[SL_TIER_ADVANCED].sample_ppm * 5,
		     t[SL_TIER_GENERAL].sample_ppm);
	cr_expect_geq(t[SL_TIER_DISHONEST].sample_ppm, 800000);
	cr_expect_neq(t[SL_TIER_UNKNOWN].floor, SL_VERDICT_RELEASE);
	cr_expect_neq(p->negative_floor, SL_VERDICT_RELEASE);
}

Test(default_rules, every_rule_names_its_source)
{
	for (uint32_t r = 0; r < def->n_rules; r++) {
		const char *src = def->str + def->rules[r].source;

		cr_expect_gt(strlen(src), 10, "%s: source '%s'",
			     sl_bundle_rule_name(def, r), src);
	}
	cr_expect_geq(def->n_rules, 15);
}
