/* sluice — the decision policy carried by a bundle.
 *
 * Written by risk officers in the `policy:` section of the rule sources
 * (docs/rules.md), compiled by sluice-rulec into the bundle, read-only for
 * the workers.  Defaults follow SPEC 1 and are set by
 * sl_policy_defaults().
 */
#ifndef SLUICE_POLICY_T_H
#define SLUICE_POLICY_T_H

#include <sluice/types-t.h>

#define SL_FX_MAX 64 /* exchange rates one bundle may carry */

/* What a credit tier changes in the decision. */
struct sl_tier_policy {
	uint32_t multiplier_pct; /* score x multiplier_pct / 100 */
	uint32_t sample_ppm;	 /* random inspection rate, per million */
	uint8_t floor;		 /* weakest verdict allowed, enum
				    sl_verdict_kind; RELEASE = no floor */
};

/* One exchange rate: value in `currency` x cny_per_unit / SL_MONEY_ONE
 * = value in CNY.  Used for the buyer limits, which are in CNY. */
struct sl_fx_rate {
	sl_currency_t currency;
	sl_money_t cny_per_unit;
};

struct sl_policy {
	int32_t hold_at;    /* score >= hold_at: at least hold */
	int32_t inspect_at; /* score >= inspect_at: at least inspect */
	struct sl_tier_policy tier[SL_TIER__COUNT];
	uint8_t negative_floor; /* floor for negative-listed enterprises
				   (never RELEASE; default HOLD) */

	/* Retail import limits (9610/1210 import), SPEC 1. */
	sl_money_t txn_limit_cny;    /* one transaction, CNY 5,000 */
	sl_money_t annual_limit_cny; /* one buyer, calendar year, 26,000 */

	/* Split shipments: parcels to one normalised consignee. */
	uint32_t split_window_s;	/* 0 = calendar day of declared_at */
	uint32_t split_max_count;	/* parcels allowed in a window */
	sl_money_t split_max_value_cny; /* value allowed in a window */

	uint64_t sample_seed; /* random selection is a pure function of
				 (seed, decl_id): auditors can replay it */

	uint32_t n_fx;
	struct sl_fx_rate fx[SL_FX_MAX];
};

#endif /* SLUICE_POLICY_T_H */
