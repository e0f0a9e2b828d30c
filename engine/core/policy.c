/* sluice — policy defaults, checks and currency conversion (policy.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sluice/policy.h>

#define CNY SL_CURRENCY('C', 'N', 'Y')

/* Illustrative rates (CNY per unit, 5 decimals), late 2025; the same as
 * rules/policy.yaml.  The policy section of the rules replaces them with
 * the rates in force. */
static const struct sl_fx_rate default_fx[] = {
    {CNY, 100000},
    {SL_CURRENCY('U', 'S', 'D'), 720000},
    {SL_CURRENCY('E', 'U', 'R'), 780000},
    {SL_CURRENCY('J', 'P', 'Y'), 4800},
    {SL_CURRENCY('K', 'R', 'W'), 520},
    {SL_CURRENCY('G', 'B', 'P'), 910000},
    {SL_CURRENCY('A', 'U', 'D'), 470000},
    {SL_CURRENCY('N', 'Z', 'D'), 430000},
    {SL_CURRENCY('H', 'K', 'D'), 92000},
    {SL_CURRENCY('M', 'O', 'P'), 89000},
    {SL_CURRENCY('T', 'W', 'D'), 22000},
    {SL_CURRENCY('C', 'H', 'F'), 810000},
    {SL_CURRENCY('C', 'A', 'D'), 520000},
    {SL_CURRENCY('S', 'G', 'D'), 535000},
    {SL_CURRENCY('T', 'H', 'B'), 20000},
    {SL_CURRENCY('M', 'Y', 'R'), 160000},
    {SL_CURRENCY('I', 'D', 'R'), 45},
    {SL_CURRENCY('P', 'H', 'P'), 12500},
    {SL_CURRENCY('V', 'N', 'D'), 28},
    {SL_CURRENCY('I', 'N', 'R'), 8500},
    {SL_CURRENCY('D', 'K', 'K'), 105000},
    {SL_CURRENCY('S', 'E', 'K'), 68000},
    {SL_CURRENCY('N', 'O', 'K'), 66000},
    {SL_CURRENCY('P', 'L', 'N'), 180000},
    {SL_CURRENCY('C', 'Z', 'K'), 31000},
    {SL_CURRENCY('H', 'U', 'F'), 2000},
    {SL_CURRENCY('R', 'U', 'B'), 9000},
    {SL_CURRENCY('T', 'R', 'Y'), 18000},
    {SL_CURRENCY('A', 'E', 'D'), 196000},
    {SL_CURRENCY('S', 'A', 'R'), 192000},
    {SL_CURRENCY('I', 'L', 'S'), 195000},
    {SL_CURRENCY('Z', 'A', 'R'), 40000},
    {SL_CURRENCY('B', 'R', 'L'), 130000},
    {SL_CURRENCY('M', 'X', 'N'), 39000},
};

void sl_policy_defaults(struct sl_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->hold_at = 30;
	p->inspect_at = 60;
	p->tier[SL_TIER_ADVANCED] =
	    (struct sl_tier_policy){.multiplier_pct = 60,
				    .sample_ppm = 4000,
				    .floor = SL_VERDICT_RELEASE};
	p->tier[SL_TIER_GENERAL] =
	    (struct sl_tier_policy){.multiplier_pct = 100,
				    .sample_ppm = 24400,
				    .floor = SL_VERDICT_RELEASE};
	p->tier[SL_TIER_DISHONEST] =
	    (struct sl_tier_policy){.multiplier_pct = 150,
				    .sample_ppm = 850000,
				    .floor = SL_VERDICT_RELEASE};
	p->tier[SL_TIER_UNKNOWN] =
	    (struct sl_tier_policy){.multiplier_pct = 100,
				    .sample_ppm = 24400,
				    .floor = SL_VERDICT_HOLD};
	p->negative_floor = SL_VERDICT_HOLD;
	p->txn_limit_cny = 5000 * SL_MONEY_ONE;
	p->annual_limit_cny = 26000 * SL_MONEY_ONE;
	p->split_window_s = 0;
	p->split_max_count = 3;
	p->split_max_value_cny = 5000 * SL_MONEY_ONE;
	p->sample_seed = UINT64_C(0x736c75696365); /* "sluice" */
	p->n_fx = sizeof(default_fx) / sizeof(default_fx[0]);
	memcpy(p->fx, default_fx, sizeof(default_fx));
}

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

static bool floor_ok(uint8_t v)
{
	return v == SL_VERDICT_RELEASE || v == SL_VERDICT_HOLD ||
	       v == SL_VERDICT_INSPECT || v == SL_VERDICT_SEIZE;
}

int sl_policy_check(const struct sl_policy *p, char *err, size_t errlen)
{
	const struct sl_tier_policy *adv = &p->tier[SL_TIER_ADVANCED];
	const struct sl_tier_policy *gen = &p->tier[SL_TIER_GENERAL];
	const struct sl_tier_policy *dis = &p->tier[SL_TIER_DISHONEST];
	const struct sl_tier_policy *unk = &p->tier[SL_TIER_UNKNOWN];

	if (p->hold_at <= 0 || p->inspect_at < p->hold_at)
		return fail(err, errlen,
			    "thresholds: need 0 < hold <= inspect");
	for (int t = 0; t < SL_TIER__COUNT; t++) {
		if (p->tier[t].sample_ppm > 1000000)
			return fail(err, errlen,
				    "tiers: a sample rate is above 100%");
		if (p->tier[t].multiplier_pct > 10000)
			return fail(err, errlen,
				    "tiers: a multiplier is above 100x");
		if (!floor_ok(p->tier[t].floor))
			return fail(err, errlen,
				    "tiers: a floor is not a "
				    "verdict (release, hold, "
				    "inspect, seize)");
	}
	/* SPEC 1: advanced below 20 % of the average (we take the general
	 * tier's rate as the average), dishonest at least 80 %. */
	if ((uint64_t)adv->sample_ppm * 5 >= gen->sample_ppm &&
	    adv->floor < SL_VERDICT_INSPECT)
		return fail(err, errlen,
			    "tiers: the advanced tier's inspection rate must "
			    "be below 20% of the general tier's (SPEC 1)");
	if (dis->sample_ppm < 800000 && dis->floor != SL_VERDICT_INSPECT &&
	    dis->floor != SL_VERDICT_SEIZE)
		return fail(err, errlen,
			    "tiers: the dishonest tier must be inspected at "
			    "least 80% of the time (SPEC 1)");
	if (unk->floor == SL_VERDICT_RELEASE)
		return fail(err, errlen,
			    "tiers: unknown enterprises are never "
			    "released; give them a floor (SPEC 1)");
	if (!floor_ok(p->negative_floor) ||
	    p->negative_floor == SL_VERDICT_RELEASE)
		return fail(err, errlen,
			    "negative_list_floor: negative-listed enterprises "
			    "are never released (SPEC 1)");
	if (p->txn_limit_cny <= 0 || p->annual_limit_cny <= 0 ||
	    p->annual_limit_cny < p->txn_limit_cny)
		return fail(err, errlen,
			    "limits: need 0 < transaction <= "
			    "annual");
	if (p->split_max_count == 0 || p->split_max_value_cny <= 0)
		return fail(err, errlen,
			    "split_shipment: thresholds must be positive");
	if (p->n_fx > SL_FX_MAX)
		return fail(err, errlen, "exchange_rates: too many rates");
	for (uint32_t i = 0; i < p->n_fx; i++) {
		if (p->fx[i].cny_per_unit <= 0)
			return fail(err, errlen,
				    "exchange_rates: a rate is not positive");
		for (uint32_t j = 0; j < i; j++)
			if (p->fx[j].currency == p->fx[i].currency)
				return fail(err, errlen,
					    "exchange_rates: a currency is "
					    "listed twice");
	}
	return 0;
}

int sl_policy_to_cny(const struct sl_policy *p, sl_currency_t cur,
		     sl_money_t amount, sl_money_t *cny)
{
	uint32_t n = p->n_fx < SL_FX_MAX ? p->n_fx : SL_FX_MAX;

	if (cur == CNY) {
		*cny = amount;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (p->fx[i].currency == cur) {
			__int128 v = (__int128)amount * p->fx[i].cny_per_unit /
				     SL_MONEY_ONE;

			if (v > INT64_MAX || v < INT64_MIN)
				return -ERANGE;
			*cny = (sl_money_t)v;
			return 0;
		}
	}
	return -ENOENT;
}
