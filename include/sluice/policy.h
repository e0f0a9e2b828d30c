/* sluice — the decision policy: defaults, checks and currency conversion.
 *
 * The policy is compiled into a bundle by sluice-rulec (the `policy:`
 * section, docs/rules.md) and read through sl_bundle_policy().
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stddef.h>

#include <sluice/policy-t.h>

/* Packs an ISO 4217 code: SL_CURRENCY('C', 'N', 'Y'). */
#define SL_CURRENCY(a, b, c)                                                   \
	((sl_currency_t)(((uint32_t)(a) << 16) | ((uint32_t)(b) << 8) |        \
			 (uint32_t)(c)))
/* Packs an ISO 3166-1 alpha-2 code: SL_COUNTRY('J', 'P'). */
#define SL_COUNTRY(a, b) ((sl_country_t)(((unsigned)(a) << 8) | (unsigned)(b)))

/* Fills *p with the defaults of SPEC 1: thresholds hold 30 / inspect 60;
 * tiers advanced (x0.6, 0.4 % random inspection), general (x1, 2.44 %),
 * dishonest (x1.5, 85 %), unknown (x1, 2.44 %, floor hold); negative-listed
 * floor hold; limits CNY 5,000 per transaction and 26,000 per buyer and
 * year; split shipments: more than 3 parcels or CNY 5,000 to one
 * consignee in a calendar day; illustrative exchange rates for common
 * currencies (officers set the rates in force).  Any plane. */
void sl_policy_defaults(struct sl_policy *p);

/* Checks what SPEC 1 makes non-negotiable: an advanced enterprise's
 * random-inspection rate below 20 % of the general one, a dishonest one's
 * at least 80 % (or a floor of inspect), unknown and negative-listed
 * enterprises never released, thresholds and limits positive and ordered,
 * rates sane.  Returns 0, or -EINVAL with a message in err.  Any plane. */
int sl_policy_check(const struct sl_policy *p, char *err, size_t errlen);

/* Converts amount (in currency cur, fixed point) to CNY with the policy's
 * rate.  Returns 0, -ENOENT when the policy has no rate for cur, -ERANGE
 * when the result does not fit.  Data plane: pure, no allocation. */
int sl_policy_to_cny(const struct sl_policy *p, sl_currency_t cur,
		     sl_money_t amount, sl_money_t *cny);

#endif /* SLUICE_POLICY_H */
