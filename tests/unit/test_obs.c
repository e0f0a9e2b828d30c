/* Observability counters: latency buckets land where their bounds say,
 * rules are counted once per verdict, and `top` over N minutes sums the
 * right minutes of the ring and forgets older ones. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <sluice/obs.h>
#include <sluice/verdict.h>

Test(obs, latency_buckets)
{
	uint64_t bound[SL_LAT_BUCKETS - 1], b[SL_LAT_BUCKETS] = {0}, sum = 0;

	/* A 1 GHz clock: cycles are nanoseconds. */
	sl_lat_bounds(1000000000u, bound);
	cr_expect_eq(bound[0], 1000);
	cr_expect_eq(bound[SL_LAT_BUCKETS - 2], 100000000);
	sl_lat_add(b, &sum, bound, 999, 1);	  /* <= 1 us */
	sl_lat_add(b, &sum, bound, 1000, 2);	  /* exactly 1 us: le 1 us */
	sl_lat_add(b, &sum, bound, 1001, 3);	  /* (1, 2.5] us */
	sl_lat_add(b, &sum, bound, 300000, 4);	  /* (250, 500] us */
	sl_lat_add(b, &sum, bound, 200000000, 5); /* over 100 ms: +Inf */
	cr_expect_eq(b[0], 3);
	cr_expect_eq(b[1], 3);
	cr_expect_eq(b[8], 4);
	cr_expect_eq(b[SL_LAT_BUCKETS - 1], 5);
	cr_expect_eq(sum, 999 + 2000 + 3003 + 1200000 + 1000000000);
	/* A 2.5 GHz TSC. */
	sl_lat_bounds(2500000000u, bound);
	cr_expect_eq(bound[0], 2500);
	cr_expect(fabs(sl_lat_bound_s(0) - 1e-6) < 1e-12);
	cr_expect(isinf(sl_lat_bound_s(SL_LAT_BUCKETS - 1)));
}

static void verdict(sl_verdict_t *v, const char *r1, const char *r2,
		    const char *r3)
{
	sl_verdict_init(v);
	if (r1)
		sl_verdict_add_reason(v, r1, "", 10, 0);
	if (r2)
		sl_verdict_add_reason(v, r2, "items[1].name", 10, 0);
	if (r3)
		sl_verdict_add_reason(v, r3, "", 0, SL_VERDICT_INSPECT);
}

static uint64_t total_of(struct sl_rulestats *rs, const char *rule)
{
	for (unsigned i = 0; i < rs->n_rules; i++)
		if (!strcmp(rs->name[i], rule))
			return rs->total[i];
	return 0;
}

Test(obs, rules_top_by_minute)
{
	struct sl_rulestats rs;
	struct sl_rule_count top[8];
	sl_verdict_t v;
	uint64_t nv;
	time_t t0 = 1700000000 - 1700000000 % 60; /* a minute boundary */
	unsigned n;

	cr_assert_eq(sl_rulestats_init(&rs), 0);
	/* Minute 0: A twice in one verdict (counted once), B. */
	verdict(&v, "RISK.A", "RISK.A", "RANDOM.GENERAL");
	sl_rulestats_add(&rs, &v, t0 + 5);
	verdict(&v, "RISK.B", NULL, NULL);
	sl_rulestats_add(&rs, &v, t0 + 59);
	/* Minute 1: B three times. */
	for (int i = 0; i < 3; i++) {
		verdict(&v, "RISK.B", NULL, NULL);
		sl_rulestats_add(&rs, &v, t0 + 60 + i);
	}
	/* A verdict with no reasons counts as a verdict only. */
	verdict(&v, NULL, NULL, NULL);
	sl_rulestats_add(&rs, &v, t0 + 61);

	cr_expect_eq(rs.verdicts, 6);
	cr_expect_eq(total_of(&rs, "RISK.A"), 1);
	cr_expect_eq(total_of(&rs, "RISK.B"), 4);
	cr_expect_eq(total_of(&rs, "RANDOM.GENERAL"), 1);

	/* Last minute only (now = minute 1): B x3. */
	n = sl_rulestats_top(&rs, 1, t0 + 90, top, 8, &nv);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(top[0].rule, "RISK.B");
	cr_expect_eq(top[0].hits, 3);
	cr_expect_eq(nv, 4);
	/* Two minutes: B 4, then A and RANDOM.GENERAL 1 each, by name. */
	n = sl_rulestats_top(&rs, 2, t0 + 90, top, 8, &nv);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(top[0].rule, "RISK.B");
	cr_expect_eq(top[0].hits, 4);
	cr_expect_str_eq(top[1].rule, "RANDOM.GENERAL");
	cr_expect_str_eq(top[2].rule, "RISK.A");
	cr_expect_eq(nv, 6);
	/* max limits the list. */
	cr_expect_eq(sl_rulestats_top(&rs, 2, t0 + 90, top, 1, NULL), 1);
	/* An hour later minute 0 and 1 are out of every window... */
	cr_expect_eq(sl_rulestats_top(&rs, 60, t0 + 3600 + 60, top, 8, &nv), 0);
	cr_expect_eq(nv, 0);
	/* ...and a verdict in minute 61, reusing minute 1's slot, starts
	 * it afresh (minute 0's slot is out of the window). */
	verdict(&v, "RISK.A", NULL, NULL);
	sl_rulestats_add(&rs, &v, t0 + 3600 + 60);
	n = sl_rulestats_top(&rs, 60, t0 + 3600 + 60, top, 8, &nv);
	cr_assert_eq(n, 1);
	cr_expect_eq(top[0].hits, 1);
	cr_expect_eq(nv, 1);
	/* Totals since start are not windowed. */
	cr_expect_eq(total_of(&rs, "RISK.A"), 2);
	sl_rulestats_fini(&rs);
}

Test(obs, rule_table_full)
{
	struct sl_rulestats rs;
	sl_verdict_t v;
	char name[32];

	cr_assert_eq(sl_rulestats_init(&rs), 0);
	for (unsigned i = 0; i < SL_RS_RULES_MAX + 10; i++) {
		snprintf(name, sizeof(name), "R.%u", i);
		verdict(&v, name, NULL, NULL);
		sl_rulestats_add(&rs, &v, 60);
	}
	cr_expect_eq(rs.n_rules, SL_RS_RULES_MAX);
	cr_expect_eq(rs.overflow, 10);
	cr_expect_eq(total_of(&rs, "R.4095"), 1);
	sl_rulestats_fini(&rs);
}
