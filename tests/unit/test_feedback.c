/* sluice-feedback: the report's numbers on a fixed set of verdicts and
 * outcomes (tests/data/feedback/), every expected value computed by hand
 * in the comments, and the errors a malformed input gets. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <sluice/decl.h>

#include "feedback.h"

#define DATA SLUICE_SOURCE_DIR "/tests/data/feedback/"

static struct sl_fb *fb;

static void load(const char *ruleset)
{
	char err[512] = "";
	FILE *f;

	fb = sl_fb_new();
	cr_assert_not_null(fb);
	sl_fb_set_ruleset(fb, ruleset);
	f = fopen(DATA "outcomes.csv", "r");
	cr_assert_not_null(f);
	cr_assert_eq(
	    sl_fb_load_outcomes(fb, f, "outcomes.csv", err, sizeof(err)), 0,
	    "%s", err);
	fclose(f);
	f = fopen(DATA "verdicts.jsonl", "r");
	cr_assert_not_null(f);
	cr_assert_eq(
	    sl_fb_load_verdicts(fb, f, "verdicts.jsonl", err, sizeof(err)), 0,
	    "%s", err);
	fclose(f);
}

static void teardown(void)
{
	sl_fb_free(fb);
	fb = NULL;
}

static const struct sl_fb_rule *rule(const struct sl_fb_report *rep,
				     const char *id)
{
	for (size_t i = 0; i < rep->n_rules; i++)
		if (!strcmp(rep->rules[i].rule, id))
			return &rep->rules[i];
	cr_assert_fail("rule %s not in the report", id);
	return NULL;
}

#define near(a, b) (fabs((a) - (b)) < 1e-4)

Test(feedback, counts_by_hand, .fini = teardown)
{
	const struct sl_fb_report *rep;
	const struct sl_fb_tier *t;
	const struct sl_fb_rule *r;

	load(NULL);
	rep = sl_fb_compute(fb, SL_FB_SORT_HITS);
	cr_assert_not_null(rep);

	/* 14 non-blank lines; V03 appears twice, the later (hold) wins. */
	cr_expect_eq(rep->lines, 14);
	cr_expect_eq(rep->duplicates, 1);
	cr_expect_eq(rep->skipped_ruleset, 0);
	/* V12 (BAD_USCC) and the unattributable line. */
	cr_expect_eq(rep->rejects, 2);
	/* 12 rows; V10 has two; X99 names nothing; V12 is a reject. */
	cr_expect_eq(rep->outcome_rows, 12);
	cr_expect_eq(rep->outcome_decls, 11);
	cr_expect_eq(rep->unmatched, 1);
	cr_expect_eq(rep->on_rejects, 1);

	/* general: V01 release, V02 inspect+sampled found (also flagged by
	 * RISK.UNDERVALUED), V03 hold clean, V04 sampled found (nothing else
	 * flagged it: missed), V05 sampled clean. */
	t = &rep->tier[SL_TIER_GENERAL];
	cr_expect_eq(t->decls, 5);
	cr_expect_eq(t->selected, 4);
	cr_expect_eq(t->inspected, 4);
	cr_expect_eq(t->found, 2);
	cr_expect_eq(t->sampled, 3);
	cr_expect_eq(t->sampled_inspected, 3);
	cr_expect_eq(t->sampled_found, 2);
	cr_expect_eq(t->missed_found, 1);
	/* advanced: V06 release, V07 hold found. */
	t = &rep->tier[SL_TIER_ADVANCED];
	cr_expect_eq(t->decls, 2);
	cr_expect_eq(t->selected, 1);
	cr_expect_eq(t->inspected, 1);
	cr_expect_eq(t->found, 1);
	cr_expect_eq(t->sampled, 0);
	/* dishonest: V08 clean, V09 seize found, V10 sampled: a clean row
	 * then a found row, so found, and missed. */
	t = &rep->tier[SL_TIER_DISHONEST];
	cr_expect_eq(t->decls, 3);
	cr_expect_eq(t->selected, 3);
	cr_expect_eq(t->inspected, 3);
	cr_expect_eq(t->found, 2);
	cr_expect_eq(t->sampled_found, 1);
	cr_expect_eq(t->missed_found, 1);
	/* unknown: V11 hold clean.  The reject V12 is in no tier. */
	t = &rep->tier[SL_TIER_UNKNOWN];
	cr_expect_eq(t->decls, 1);
	cr_expect_eq(t->found, 0);
	t = &rep->total;
	cr_expect_eq(t->decls, 11);
	cr_expect_eq(t->selected, 9);
	cr_expect_eq(t->inspected, 9);
	cr_expect_eq(t->found, 5);
	cr_expect_eq(t->sampled, 4);
	cr_expect_eq(t->sampled_inspected, 4);
	cr_expect_eq(t->sampled_found, 3);
	cr_expect_eq(t->missed_found, 2);

	/* Rules.  RISK.UNDERVALUED: V02 found, V03 clean, V07 found (named
	 * twice there, counted once).  Baseline 3/4, lift (2/3)/(3/4). */
	cr_expect_eq(rep->n_rules, 5);
	r = rule(rep, "RISK.UNDERVALUED");
	cr_expect_eq(r->hits, 3);
	cr_expect_eq(r->inspected, 3);
	cr_expect_eq(r->found, 2);
	cr_expect_eq(r->points, 40);
	cr_expect(near(sl_fb_lift(rep, r), 8.0 / 9.0));
	cr_expect_eq(r->n_findings, 1);
	cr_expect_str_eq(r->findings[0].what, "undervalued");
	cr_expect_eq(r->findings[0].n, 2);
	r = rule(rep, "RISK.ORIGIN");
	cr_expect_eq(r->hits, 1);
	cr_expect_eq(r->found, 0);
	cr_expect(near(sl_fb_lift(rep, r), 0));
	r = rule(rep, "PROHIBITED.ENDANGERED.IVORY");
	cr_expect_eq(r->action, SL_VERDICT_SEIZE);
	cr_expect_eq(r->found, 1);
	cr_expect_str_eq(r->findings[0].what, "ivory carving, 2 pcs");
	r = rule(rep, "RANDOM.DISHONEST");
	cr_expect_str_eq(r->findings[0].what, "replica pistol");
	r = rule(rep, "RANDOM.GENERAL");
	cr_expect_eq(r->hits, 3);
	cr_expect_eq(r->found, 2);
	cr_expect_eq(r->n_findings, 2);

	/* Sorted by hits, ties by name. */
	cr_expect_str_eq(rep->rules[0].rule, "RANDOM.GENERAL");
	cr_expect_str_eq(rep->rules[1].rule, "RISK.UNDERVALUED");
	cr_expect_str_eq(rep->rules[2].rule, "PROHIBITED.ENDANGERED.IVORY");
}

Test(feedback, ruleset_filter, .fini = teardown)
{
	const struct sl_fb_report *rep;

	/* The first V03 (release) is of bundle bbbb...: skipped, so there
	 * is no duplicate, and every other number stays. */
	load("aaaa000000000001");
	rep = sl_fb_compute(fb, SL_FB_SORT_NAME);
	cr_assert_not_null(rep);
	cr_expect_eq(rep->skipped_ruleset, 1);
	cr_expect_eq(rep->duplicates, 0);
	cr_expect_eq(rep->total.decls, 11);
	cr_expect_eq(rep->total.found, 5);
	cr_expect_str_eq(rep->rules[0].rule, "PROHIBITED.ENDANGERED.IVORY");
	cr_expect_str_eq(rep->rules[4].rule, "RISK.UNDERVALUED");
}

Test(feedback, sort_by_yield, .fini = teardown)
{
	const struct sl_fb_report *rep;

	load(NULL);
	rep = sl_fb_compute(fb, SL_FB_SORT_YIELD);
	cr_assert_not_null(rep);
	/* 100 % (ties by name), 66.7 % x2, then 0 %. */
	cr_expect_str_eq(rep->rules[0].rule, "PROHIBITED.ENDANGERED.IVORY");
	cr_expect_str_eq(rep->rules[1].rule, "RANDOM.DISHONEST");
	cr_expect_str_eq(rep->rules[4].rule, "RISK.ORIGIN");
}

Test(feedback, wilson_interval)
{
	double lo, hi;

	/* Published values: 2 of 3 -> [0.2077, 0.9385]; 0 of 10 ->
	 * [0, 0.2775]. */
	sl_fb_wilson(2, 3, &lo, &hi);
	cr_expect(near(lo, 0.2077) && near(hi, 0.9385), "%f %f", lo, hi);
	sl_fb_wilson(0, 10, &lo, &hi);
	cr_expect(near(lo, 0) && near(hi, 0.2775), "%f %f", lo, hi);
	sl_fb_wilson(0, 0, &lo, &hi);
	cr_expect(isnan(lo) && isnan(hi));
	cr_expect(isnan(sl_fb_ratio(1, 0)));
}

Test(feedback, json_report, .fini = teardown)
{
	const struct sl_fb_report *rep;
	char *buf = NULL;
	size_t n = 0;
	FILE *m;

	load(NULL);
	rep = sl_fb_compute(fb, SL_FB_SORT_HITS);
	m = open_memstream(&buf, &n);
	cr_assert_not_null(m);
	cr_assert_eq(sl_fb_print_json(rep, m), 0);
	fclose(m);
	/* Undefined rates are null, not NaN; the baseline is 3/4. */
	cr_expect_not_null(strstr(buf, "\"baseline_find_rate\":\t0.75"), "%s",
			   buf);
	cr_expect_not_null(strstr(buf, "\"find_rate_ci95\":\tnull"));
	cr_expect_null(strstr(buf, "nan"));
	free(buf);
}

/* ------------------------------------------------------------ errors */

/* Inline arrays, not pointers: Criterion runs each case in a new
 * process, where addresses of the parent's data mean nothing. */
struct bad {
	int kind;      /* 0 outcomes, 1 verdicts */
	char text[96]; /* file contents */
	char err[64];  /* substring of the message, with FILE:LINE */
};

ParameterizedTestParameters(feedback, malformed)
{
	static struct bad cases[] = {
	    {0, "", "in:1: empty file: no header"},
	    {0, "decl_id,finding\nV1,x\n", "in:1: header has no \"outcome\""},
	    {0, "decl_id,outcome,outcome\n",
	     "in:1: column \"outcome\" appears"},
	    {0, "decl_id,outcome\nV1,found\nV2,maybe\n",
	     "in:3: outcome \"maybe\" is neither found nor clean"},
	    {0, "decl_id,outcome\nV1,found,extra\n",
	     "in:2: 3 fields, the header has 2"},
	    {0, "decl_id,outcome\n,found\n", "in:2: decl_id \"\" is empty"},
	    {0, "decl_id,outcome,inspected_at\nV1,clean,yesterday\n",
	     "in:2: inspected_at \"yesterday\" is not an RFC 3339"},
	    {0, "decl_id,outcome,inspected_at\nV1,clean,2026-11-29T10:00:00\n",
	     "in:2: inspected_at"},
	    {0, "decl_id,outcome,finding\nV1,found,\"unterminated\n", "in:2: "},
	    {1, "{\"decl_id\":\"A\",\"verdict\":\"hold\"}\nnot json\n",
	     "in:2: not JSON"},
	    {1, "\n\n[1,2]\n", "in:3: not a JSON object"},
	    {1, "{\"decl_id\":\"A\",\"status\":300}\n",
	     "in:1: no \"verdict\" string"},
	    {1, "{\"decl_id\":\"A\",\"verdict\":\"maybe\"}\n",
	     "in:1: \"verdict\" is not one of"},
	};
	return cr_make_param_array(struct bad, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *c, feedback, malformed)
{
	struct sl_fb *f = sl_fb_new();
	char err[512] = "";
	FILE *m = fmemopen(c->text, strlen(c->text), "r");
	int rc;

	/* fmemopen of an empty buffer is refused; use /dev/null then. */
	if (!m)
		m = fopen("/dev/null", "r");
	cr_assert_not_null(m);
	rc = c->kind ? sl_fb_load_verdicts(f, m, "in", err, sizeof(err))
		     : sl_fb_load_outcomes(f, m, "in", err, sizeof(err));
	fclose(m);
	cr_expect_eq(rc, -EBADMSG);
	cr_expect_not_null(strstr(err, c->err), "got \"%s\", want \"%s\"", err,
			   c->err);
	sl_fb_free(f);
}

Test(feedback, verdict_log_records)
{
	/* The verdict log's own records are skipped; its verdicts carry
	 * three more keys (logged_at, seq, h) and count as verdicts. */
	static const char log[] =
	    "{\"vlog\":\"header\",\"version\":1,\"hash\":\"sm3\",\"seq\":0}\n"
	    "{\"decl_id\":\"L1\",\"verdict\":\"inspect\",\"status\":500,"
	    "\"score\":0,\"tier\":\"general\",\"reasons\":[{\"rule\":"
	    "\"RANDOM.GENERAL\",\"points\":0,\"action\":\"inspect\"}],"
	    "\"sampled\":true,\"ruleset\":\"r\",\"registry\":\"g\","
	    "\"logged_at\":\"2026-11-29T08:15:00.000Z\",\"seq\":1,"
	    "\"h\":\"00ff\"}\n"
	    "{\"vlog\":\"checkpoint\",\"seq\":2,\"covers\":1}\n"
	    "{\"vlog\":\"resume\",\"seq\":3}\n";
	static const char out[] = "decl_id,outcome\nL1,found\n";
	struct sl_fb *f = sl_fb_new();
	const struct sl_fb_report *rep;
	char err[256] = "";
	FILE *m;

	m = fmemopen((void *)log, sizeof(log) - 1, "r");
	cr_assert_eq(sl_fb_load_verdicts(f, m, "log", err, sizeof(err)), 0,
		     "%s", err);
	fclose(m);
	m = fmemopen((void *)out, sizeof(out) - 1, "r");
	cr_assert_eq(sl_fb_load_outcomes(f, m, "out", err, sizeof(err)), 0,
		     "%s", err);
	fclose(m);
	rep = sl_fb_compute(f, SL_FB_SORT_HITS);
	cr_assert_not_null(rep);
	cr_expect_eq(rep->lines, 1);
	cr_expect_eq(rep->log_records, 3);
	cr_expect_eq(rep->total.sampled_found, 1);
	/* RANDOM.* forces inspect, but is not "another rule": missed. */
	cr_expect_eq(rep->total.missed_found, 1);
	sl_fb_free(f);
}
