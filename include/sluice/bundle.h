/* sluice — compiled rule bundles and matching.
 *
 * A bundle is one file made by sluice-rulec: the rules, their Hyperscan
 * databases, the lists they reference and the decision policy.  It is
 * loaded and verified on the control plane, then read-only: workers match
 * against it through a per-worker scratch.
 */
#ifndef SLUICE_BUNDLE_H
#define SLUICE_BUNDLE_H

#include <sluice/decl-t.h>
#include <sluice/error-t.h>
#include <sluice/policy-t.h>

struct sl_bundle;

/* Loads and verifies a bundle file (magic, version, Hyperscan version and
 * platform, checksum).  Control plane.  Returns a bundle holding one
 * reference, or NULL with a human message in err (truncated, corrupted,
 * wrong version, wrong platform, ...).  Never crashes on a bad file. */
struct sl_bundle *sl_bundle_load(const char *path, char *err, size_t errlen);

/* Reference counting, control plane only (not atomic). */
struct sl_bundle *sl_bundle_get(struct sl_bundle *b);
void sl_bundle_put(struct sl_bundle *b);

/* 16 lowercase hex digits naming the bundle's content; in every verdict. */
const char *sl_bundle_id(const struct sl_bundle *b);
const struct sl_policy *sl_bundle_policy(const struct sl_bundle *b);
uint32_t sl_bundle_rule_count(const struct sl_bundle *b);
/* The id of rule `rule` ("PROHIBITED.ENDANGERED.IVORY"). */
const char *sl_bundle_rule_name(const struct sl_bundle *b, uint32_t rule);

/* Writes the path of the default bundle (built from rules/, found relative
 * to the running executable: <bindir>/../share/sluice/default.bundle) into
 * buf.  Returns 0, or -ENOENT when it does not exist. */
int sl_bundle_default_path(char *buf, size_t cap);

/* ------------------------------------------------------------ matching */

struct sl_match_scratch; /* one worker's Hyperscan scratch and buffers */

/* Makes a scratch for matching against b.  Control plane; the snapshot
 * makes one per worker before it is published.  NULL on ENOMEM. */
struct sl_match_scratch *sl_match_scratch_new(const struct sl_bundle *b);
void sl_match_scratch_free(struct sl_match_scratch *ms);

/* One rule that fired. */
struct sl_hit {
	uint32_t rule;		      /* index into the bundle's rules */
	int32_t points;		      /* points it adds (0: action only) */
	uint8_t action;		      /* forced verdict; RELEASE = none */
	char field[SL_ERR_FIELD_MAX]; /* "items[2].name"; "" = whole decl */
};

#define SL_HITS_MAX 64
struct sl_hits {
	uint32_t n;			/* valid entries */
	uint32_t dropped;		/* rules that fired but did not fit */
	struct sl_hit hit[SL_HITS_MAX]; /* in rule order, then field order */
};

/* Evaluates every rule of b on a validated declaration: normalises the
 * text fields, scans them, evaluates text conditions, `unless` terms and
 * field predicates.  Data plane: allocates nothing, takes no lock.
 * Returns 0, or a negative errno when matching itself failed (the caller
 * must then not release). */
int sl_match_decl(const struct sl_bundle *b, struct sl_match_scratch *ms,
		  const sl_decl_t *d, struct sl_hits *out);

#endif /* SLUICE_BUNDLE_H */
