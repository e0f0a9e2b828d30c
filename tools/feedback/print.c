/* sluice-feedback — the report as tables for people and as JSON.
 *
 * Plane: offline tool.  Both printers read the report only.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <sluice/decl.h>

#include "feedback.h"

#define FINDINGS_SHOWN 3 /* per rule, in the table */

/* "12.34%" or "-" when undefined, right-aligned in w columns. */
static void put_pct(FILE *out, double r, int w)
{
	if (isnan(r))
		fprintf(out, "%*s", w, "-");
	else
		fprintf(out, "%*.2f%%", w - 1, 100.0 * r);
}

static void put_num(FILE *out, double r, int w)
{
	if (isnan(r))
		fprintf(out, "%*s", w, "-");
	else
		fprintf(out, "%*.2f", w, r);
}

static void put_weight(FILE *out, const struct sl_fb_rule *r)
{
	char b[24];

	if (r->action != SL_VERDICT_RELEASE)
		snprintf(b, sizeof(b), "%s", sl_verdict_name(r->action));
	else
		snprintf(b, sizeof(b), "%+d", r->points);
	fprintf(out, "%8s", b);
}

static void put_tier_row(FILE *out, const char *name,
			 const struct sl_fb_tier *t, double avg)
{
	double rate = sl_fb_ratio(t->inspected, t->decls);

	fprintf(out, "%-10s %9llu %9llu %9llu %7llu ", name,
		(unsigned long long)t->decls, (unsigned long long)t->selected,
		(unsigned long long)t->inspected, (unsigned long long)t->found);
	put_pct(out, sl_fb_ratio(t->selected, t->decls), 10);
	put_pct(out, rate, 11);
	put_num(out, isnan(avg) || avg == 0 ? NAN : rate / avg, 8);
	put_pct(out, sl_fb_ratio(t->found, t->inspected), 10);
	fputc('\n', out);
}

static void put_random_row(FILE *out, const char *name,
			   const struct sl_fb_tier *t)
{
	double lo, hi,
	    miss = sl_fb_ratio(t->missed_found, t->sampled_inspected);
	char ci[32], est[48];

	sl_fb_wilson(t->sampled_found, t->sampled_inspected, &lo, &hi);
	if (isnan(lo))
		snprintf(ci, sizeof(ci), "-");
	else
		snprintf(ci, sizeof(ci), "%.2f-%.2f%%", 100 * lo, 100 * hi);
	if (isnan(miss))
		snprintf(est, sizeof(est), "-");
	else
		snprintf(est, sizeof(est), "%.2f%% (~%.0f)", 100 * miss,
			 miss * (double)t->decls);
	fprintf(out, "%-10s %8llu %9llu %6llu ", name,
		(unsigned long long)t->sampled,
		(unsigned long long)t->sampled_inspected,
		(unsigned long long)t->sampled_found);
	put_pct(out, sl_fb_ratio(t->sampled_found, t->sampled_inspected), 10);
	fprintf(out, " %15s %7llu  %s\n", ci,
		(unsigned long long)t->missed_found, est);
}

void sl_fb_print_table(const struct sl_fb_report *rep, FILE *out)
{
	const struct sl_fb_tier *all = &rep->total;
	double avg = sl_fb_ratio(all->inspected, all->decls);
	int w = 4; /* width of the RULE column */
	size_t i, k;

	for (i = 0; i < rep->n_rules; i++)
		if ((int)strlen(rep->rules[i].rule) > w)
			w = (int)strlen(rep->rules[i].rule);

	fprintf(out, "%llu verdict records read",
		(unsigned long long)rep->lines);
	if (rep->skipped_ruleset)
		fprintf(out, ", %llu of other rulesets skipped",
			(unsigned long long)rep->skipped_ruleset);
	if (rep->duplicates)
		fprintf(out, ", %llu replaced by a later verdict",
			(unsigned long long)rep->duplicates);
	fprintf(out,
		": %llu screened, %llu rejected\n"
		"%llu outcome rows for %llu declarations, %llu naming no "
		"verdict read\n",
		(unsigned long long)all->decls,
		(unsigned long long)rep->rejects,
		(unsigned long long)rep->outcome_rows,
		(unsigned long long)rep->outcome_decls,
		(unsigned long long)rep->unmatched);

	fprintf(out, "\nRules (a declaration counts once per rule its verdict "
		     "names)\n");
	fprintf(out, "%-*s %8s %8s %9s %6s %9s %6s\n", w, "RULE", "WEIGHT",
		"HITS", "INSPECTED", "FOUND", "YIELD", "LIFT");
	for (i = 0; i < rep->n_rules; i++) {
		const struct sl_fb_rule *r = &rep->rules[i];

		fprintf(out, "%-*s ", w, r->rule);
		put_weight(out, r);
		fprintf(out, " %8llu %9llu %6llu ", (unsigned long long)r->hits,
			(unsigned long long)r->inspected,
			(unsigned long long)r->found);
		put_pct(out, sl_fb_ratio(r->found, r->inspected), 9);
		fputc(' ', out);
		put_num(out, sl_fb_lift(rep, r), 6);
		fputc('\n', out);
	}

	fprintf(out, "\nCredit tiers (rejects are in no tier)\n");
	fprintf(out, "%-10s %9s %9s %9s %7s %10s %11s %8s %10s\n", "TIER",
		"DECLS", "SELECTED", "INSPECTED", "FOUND", "SELECTION",
		"INSPECTION", "vs AVG", "FIND RATE");
	for (i = 0; i < SL_TIER__COUNT; i++)
		if (rep->tier[i].decls)
			put_tier_row(out, sl_tier_name(i), &rep->tier[i], avg);
	put_tier_row(out, "all", all, avg);

	fprintf(out, "\nRandom-selection baseline (parcels sampled by "
		     "RANDOM.*)\n");
	fprintf(out, "%-10s %8s %9s %6s %10s %15s %7s  %s\n", "TIER", "SAMPLED",
		"INSPECTED", "FOUND", "FIND RATE", "95% CI", "MISSED",
		"UNDETECTED (est. parcels)");
	for (i = 0; i < SL_TIER__COUNT; i++)
		if (rep->tier[i].sampled)
			put_random_row(out, sl_tier_name(i), &rep->tier[i]);
	put_random_row(out, "all", all);

	for (i = 0, k = 0; i < rep->n_rules; i++)
		k += rep->rules[i].n_findings;
	if (!k)
		return;
	fprintf(out, "\nWhat was found, by rule (most frequent first)\n");
	for (i = 0; i < rep->n_rules; i++) {
		const struct sl_fb_rule *r = &rep->rules[i];

		if (!r->n_findings)
			continue;
		fprintf(out, "%-*s ", w, r->rule);
		for (k = 0; k < r->n_findings && k < FINDINGS_SHOWN; k++)
			fprintf(out, "%s%s x%llu", k ? ", " : "",
				r->findings[k].what[0] ? r->findings[k].what
						       : "(not stated)",
				(unsigned long long)r->findings[k].n);
		if (r->n_findings > FINDINGS_SHOWN)
			fprintf(out, ", %zu more",
				r->n_findings - FINDINGS_SHOWN);
		fputc('\n', out);
	}
}

/* ------------------------------------------------------------- JSON */

/* Adds a rate, or null when it is undefined.  Returns the item. */
static cJSON *add_rate(cJSON *o, const char *k, double r)
{
	return isnan(r) ? cJSON_AddNullToObject(o, k)
			: cJSON_AddNumberToObject(o, k, r);
}

static cJSON *tier_json(const char *name, const struct sl_fb_tier *t,
			double avg)
{
	cJSON *o = cJSON_CreateObject(), *rnd, *ci;
	double rate = sl_fb_ratio(t->inspected, t->decls), lo, hi, miss;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "tier", name);
	cJSON_AddNumberToObject(o, "declarations", (double)t->decls);
	cJSON_AddNumberToObject(o, "selected", (double)t->selected);
	cJSON_AddNumberToObject(o, "inspected", (double)t->inspected);
	cJSON_AddNumberToObject(o, "found", (double)t->found);
	add_rate(o, "selection_rate", sl_fb_ratio(t->selected, t->decls));
	add_rate(o, "inspection_rate", rate);
	add_rate(o, "inspection_rate_vs_average",
		 isnan(avg) || avg == 0 ? NAN : rate / avg);
	add_rate(o, "find_rate", sl_fb_ratio(t->found, t->inspected));
	rnd = cJSON_AddObjectToObject(o, "random");
	if (!rnd)
		goto fail;
	cJSON_AddNumberToObject(rnd, "sampled", (double)t->sampled);
	cJSON_AddNumberToObject(rnd, "inspected", (double)t->sampled_inspected);
	cJSON_AddNumberToObject(rnd, "found", (double)t->sampled_found);
	add_rate(rnd, "find_rate",
		 sl_fb_ratio(t->sampled_found, t->sampled_inspected));
	sl_fb_wilson(t->sampled_found, t->sampled_inspected, &lo, &hi);
	if (isnan(lo)) {
		cJSON_AddNullToObject(rnd, "find_rate_ci95");
	} else {
		ci = cJSON_AddArrayToObject(rnd, "find_rate_ci95");
		if (!ci)
			goto fail;
		cJSON_AddItemToArray(ci, cJSON_CreateNumber(lo));
		cJSON_AddItemToArray(ci, cJSON_CreateNumber(hi));
	}
	cJSON_AddNumberToObject(rnd, "missed_found", (double)t->missed_found);
	miss = sl_fb_ratio(t->missed_found, t->sampled_inspected);
	add_rate(rnd, "undetected_rate", miss);
	add_rate(rnd, "undetected_estimate",
		 isnan(miss) ? NAN : round(miss * (double)t->decls));
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *report_json(const struct sl_fb_report *rep)
{
	const struct sl_fb_tier *all = &rep->total;
	double avg = sl_fb_ratio(all->inspected, all->decls);
	cJSON *o = cJSON_CreateObject(), *s, *arr, *r, *f, *t;
	size_t i, k;

	if (!o)
		return NULL;
	s = cJSON_AddObjectToObject(o, "verdicts");
	if (!s)
		goto fail;
	cJSON_AddNumberToObject(s, "read", (double)rep->lines);
	cJSON_AddNumberToObject(s, "log_records", (double)rep->log_records);
	cJSON_AddNumberToObject(s, "skipped_ruleset",
				(double)rep->skipped_ruleset);
	cJSON_AddNumberToObject(s, "duplicates", (double)rep->duplicates);
	cJSON_AddNumberToObject(s, "screened", (double)all->decls);
	cJSON_AddNumberToObject(s, "rejects", (double)rep->rejects);
	cJSON_AddNumberToObject(s, "reasons_truncated", (double)rep->dropped);
	s = cJSON_AddObjectToObject(o, "outcomes");
	if (!s)
		goto fail;
	cJSON_AddNumberToObject(s, "rows", (double)rep->outcome_rows);
	cJSON_AddNumberToObject(s, "declarations", (double)rep->outcome_decls);
	cJSON_AddNumberToObject(s, "unmatched", (double)rep->unmatched);
	cJSON_AddNumberToObject(s, "on_rejects", (double)rep->on_rejects);
	add_rate(o, "baseline_find_rate",
		 sl_fb_ratio(all->sampled_found, all->sampled_inspected));

	arr = cJSON_AddArrayToObject(o, "rules");
	if (!arr)
		goto fail;
	for (i = 0; i < rep->n_rules; i++) {
		const struct sl_fb_rule *rl = &rep->rules[i];

		r = cJSON_CreateObject();
		if (!r)
			goto fail;
		cJSON_AddItemToArray(arr, r);
		cJSON_AddStringToObject(r, "rule", rl->rule);
		cJSON_AddNumberToObject(r, "points", rl->points);
		if (rl->action != SL_VERDICT_RELEASE)
			cJSON_AddStringToObject(r, "action",
						sl_verdict_name(rl->action));
		else
			cJSON_AddNullToObject(r, "action");
		cJSON_AddNumberToObject(r, "hits", (double)rl->hits);
		cJSON_AddNumberToObject(r, "inspected", (double)rl->inspected);
		cJSON_AddNumberToObject(r, "found", (double)rl->found);
		add_rate(r, "yield", sl_fb_ratio(rl->found, rl->inspected));
		add_rate(r, "lift", sl_fb_lift(rep, rl));
		f = cJSON_AddObjectToObject(r, "findings");
		if (!f)
			goto fail;
		for (k = 0; k < rl->n_findings; k++)
			cJSON_AddNumberToObject(f,
						rl->findings[k].what[0]
						    ? rl->findings[k].what
						    : "(not stated)",
						(double)rl->findings[k].n);
	}
	arr = cJSON_AddArrayToObject(o, "tiers");
	if (!arr)
		goto fail;
	for (i = 0; i < SL_TIER__COUNT; i++) {
		t = tier_json(sl_tier_name(i), &rep->tier[i], avg);
		if (!t)
			goto fail;
		cJSON_AddItemToArray(arr, t);
	}
	t = tier_json("all", all, avg);
	if (!t)
		goto fail;
	cJSON_AddItemToObject(o, "total", t);
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int sl_fb_print_json(const struct sl_fb_report *rep, FILE *out)
{
	cJSON *o = report_json(rep);
	char *s;
	int rc = 0;

	if (!o)
		return -ENOMEM;
	s = cJSON_Print(o);
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	if (fputs(s, out) < 0 || fputc('\n', out) < 0)
		rc = -EIO;
	cJSON_free(s);
	return rc;
}
