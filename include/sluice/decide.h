/* sluice — the decision: rule hits, credit tier, random selection, buyer
 * limits and split shipments in, one verdict out.
 *
 * docs/decision.md describes how a verdict is reached, the reason names and
 * their order.  In short, for a validated declaration:
 *   score   = sum of the points of the rules that fired, times the tier's
 *             multiplier_pct / 100 (truncated toward zero);
 *   verdict = the strongest of: the score band (hold_at, inspect_at), every
 *             rule's forced action, the tier's floor, the negative-list
 *             floor, random selection (inspect), the buyer limits and the
 *             split-shipment check (hold), and any internal failure (hold);
 *   a release of a 9610/1210 import is the last step: it adds the value to
 *   the buyer's annual total atomically, or becomes a hold (LIMIT.ANNUAL).
 *
 * Plane: sl_decide_ctx_init on the control plane; sl_decide and the key
 * functions on the data plane (no allocation, lock, syscall or log).
 */
#ifndef SLUICE_DECIDE_H
#define SLUICE_DECIDE_H

#include <sluice/bundle.h>
#include <sluice/policy.h>
#include <sluice/verdict-t.h>

struct sl_registry;
struct sl_state;

/* Random-selection draws are in parts per million. */
#define SL_PPM 1000000u

/* What sl_decide reads besides the declaration: immutable, one per
 * snapshot. */
struct sl_decide_ctx {
	struct sl_policy policy;       /* checked copy of the bundle's */
	const char *const *rule_names; /* rule index -> id; not owned */
	uint32_t n_rules;
	const struct sl_registry *registry; /* NULL: every enterprise is
					       unknown; not owned */
};

/* Fills *ctx after checking the policy with sl_policy_check (policy.h:
 * SPEC 1's floors, thresholds, limits).  rule_names and registry must
 * outlive it.  Control plane.  Returns 0, or -EINVAL with the message. */
int sl_decide_ctx_init(struct sl_decide_ctx *ctx, const struct sl_policy *p,
		       const char *const *rule_names, uint32_t n_rules,
		       const struct sl_registry *registry, char *err,
		       size_t errlen);

/* Decides one validated declaration.
 *   hits/match_rc: sl_match_decl's output; match_rc < 0 (or hits NULL)
 *                  means matching failed: the verdict is at least hold
 *                  with ENGINE.MATCH_FAILED.
 *   st/worker:     the shared state and this worker's index; st NULL
 *                  means no state: anything that needs it is held
 *                  (ENGINE.STATE_UNAVAILABLE).
 * Sets verdict, status-bearing kind, tier, score, sampled and reasons of
 * *out; leaves decl_id, line, ruleset and registry ids to the caller.
 * Data plane. */
void sl_decide(const struct sl_decide_ctx *ctx, const sl_decl_t *d,
	       const struct sl_hits *hits, int match_rc, struct sl_state *st,
	       unsigned worker, sl_verdict_t *out);

/* The random-selection draw of a declaration: floor(XXH3_64(decl_id,
 * seed) * 10^6 / 2^64), in [0, 10^6).  Sampled iff draw < sample_ppm of
 * the declaration's tier.  Pure; auditors can recompute it (docs). */
uint32_t sl_sample_draw(uint64_t seed, const char *decl_id, size_t len);

/* The split-shipment group of a declaration: XXH3-128 of the normalised
 * consignee name, phone and address (docs/decision.md).  Returns false
 * when the declaration has no consignee fields at all. */
bool sl_consignee_key(const sl_decl_t *d, uint64_t key[2]);

/* The same key without the sixteen-bytes-at-a-time path: one byte or one
 * utf8proc call at a time.  For tests, which hold the two equal. */
bool sl_consignee_key_ref(const sl_decl_t *d, uint64_t key[2]);

#endif /* SLUICE_DECIDE_H */
