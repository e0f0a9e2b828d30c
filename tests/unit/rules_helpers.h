/* Helpers for the rule compiler and matcher tests (test_rules_*.c):
 * compile YAML held in a string into a bundle, and fill declarations by
 * hand (the typed fields sl_decl_validate() would set), so that matching
 * is tested on its own. */
#ifndef SLUICE_TEST_RULES_HELPERS_H
#define SLUICE_TEST_RULES_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, open_memstream */
#endif
#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <sluice/bundle.h>
#include <sluice/policy.h>

#include "bundle-int.h"
#include "rulec.h"

/* Compiles yaml (named name, lists relative to dir when name has one) and
 * returns the diagnostics (malloc'ed, "" when none) and the error count. */
static inline char *rc_diag(const char *name, const char *yaml, int *errors,
			    const char *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sl_rulec_opts o = {.diag = f};
	struct sl_rulec *rc = sl_rulec_new(&o);

	cr_assert(rc);
	sl_rulec_add_source(rc, name, yaml, strlen(yaml));
	*errors = sl_rulec_build(rc, out, NULL);
	sl_rulec_free(rc);
	fclose(f);
	return buf;
}

/* Compiles yaml, which must be free of errors, and loads the bundle. */
static inline struct sl_bundle *rc_bundle(const char *yaml)
{
	char path[] = "/tmp/sluice-test-bundle-XXXXXX", err[512];
	int fd = mkstemp(path), errors;
	char *diag;
	struct sl_bundle *b;

	cr_assert(fd >= 0);
	close(fd);
	diag = rc_diag("test.yaml", yaml, &errors, path);
	cr_assert_eq(errors, 0, "rules did not compile:\n%s", diag);
	free(diag);
	b = sl_bundle_load(path, err, sizeof(err));
	cr_assert(b, "bundle did not load: %s", err);
	unlink(path);
	return b;
}

static inline sl_str_t S(const char *s)
{
	return (sl_str_t){s, (uint32_t)strlen(s)};
}

/* A valid-looking 9610 import in CNY without items. */
static inline sl_decl_t *decl_new(void)
{
	sl_decl_t *d = calloc(1, sizeof(*d));

	cr_assert(d);
	d->s[SL_DS_DECL_ID] = S("T1");
	d->flow = SL_FLOW_IMPORT;
	d->trade_mode = SL_TM_M9610;
	d->currency = SL_CURRENCY('C', 'N', 'Y');
	d->origin = SL_COUNTRY('J', 'P');
	return d;
}

/* Adds an item: name, HS code, unit price in the declaration's currency
 * (yuan / dollars, as a double), quantity 1, origin of the declaration. */
static inline sl_item_t *decl_item(sl_decl_t *d, const char *name,
				   const char *hs, double price)
{
	sl_item_t *it = &d->items[d->n_items++];

	it->s[SL_IS_NAME] = name ? S(name) : SL_STR_NULL;
	it->s[SL_IS_HS_CODE] = S(hs);
	it->hs_len = (uint8_t)strlen(hs);
	it->price = (sl_money_t)(price * SL_MONEY_ONE + 0.5);
	it->qty = SL_MONEY_ONE;
	it->total_price = it->price;
	it->origin = d->origin;
	it->category = SL_CAT_SALE;
	return it;
}

/* The hit of rule `id` in h, or NULL. */
static inline const struct sl_hit *
find_hit(const struct sl_bundle *b, const struct sl_hits *h, const char *id)
{
	for (uint32_t i = 0; i < h->n; i++)
		if (!strcmp(sl_bundle_rule_name(b, h->hit[i].rule), id))
			return &h->hit[i];
	return NULL;
}

/* Matches d against b with a fresh scratch; asserts success. */
static inline void match(const struct sl_bundle *b, const sl_decl_t *d,
			 struct sl_hits *h)
{
	struct sl_match_scratch *ms = sl_match_scratch_new(b);
	int rc;

	cr_assert(ms);
	rc = sl_match_decl(b, ms, d, h);
	cr_assert_eq(rc, 0, "sl_match_decl: %d", rc);
	sl_match_scratch_free(ms);
}

/* One item named `name` (HS 9999999999, CNY 100): does rule `id` fire,
 * and on which field? */
static inline bool fires_on_name(const struct sl_bundle *b, const char *id,
				 const char *name)
{
	sl_decl_t *d = decl_new();
	struct sl_hits h;
	bool r;

	decl_item(d, name, "9999999999", 100);
	match(b, d, &h);
	r = find_hit(b, &h, id) != NULL;
	free(d);
	return r;
}

#endif /* SLUICE_TEST_RULES_HELPERS_H */
