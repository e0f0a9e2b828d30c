/* sluice-feedback — targeting feedback from inspection outcomes.
 *
 * Joins verdict records (SPEC 4, JSON lines from `sluice screen` or the
 * verdict log) with the officers' inspection outcomes (CSV, format in
 * docs/targeting.md) and counts, per rule and per credit tier, what the
 * rules selected and what inspection found, plus the random-selection
 * baseline.  Definitions of every number are in docs/targeting.md; the
 * code below follows them word for word.
 *
 * Plane: an offline tool; nothing here runs in the engine.  One sl_fb is
 * used by one thread.
 */
#ifndef SLUICE_FEEDBACK_H
#define SLUICE_FEEDBACK_H

#include <stdint.h>
#include <stdio.h>

#include <sluice/types-t.h>
#include <sluice/verdict-t.h>

/* What the officers' inspections of one declaration came to. */
enum sl_fb_outcome {
	SL_FB_NONE = 0, /* no inspection recorded */
	SL_FB_CLEAN,	/* inspected, nothing found */
	SL_FB_FOUND,	/* inspected, non-compliance found */
};

/* One kind of finding ("finding" column of the outcomes) and how many
 * declarations it was recorded for. */
struct sl_fb_finding {
	const char *what; /* owned by the sl_fb; "" = not stated */
	uint64_t n;
};

/* Counts for one rule, over the declarations whose verdict names it
 * (a rule named twice in one verdict counts once). */
struct sl_fb_rule {
	char rule[SL_RULE_ID_MAX]; /* "RISK.UNDERVALUED" */
	int32_t points;		   /* weight in the last verdict read */
	uint8_t action;		   /* forced verdict there; RELEASE = none */
	uint64_t hits;		   /* declarations whose verdict names it */
	uint64_t inspected;	   /* ... that have an outcome */
	uint64_t found;		   /* ... whose outcome is found */
	size_t n_findings;	   /* entries in findings[] */
	struct sl_fb_finding *findings; /* what was found, most frequent
					   first; owned by the sl_fb */
};

/* Counts for one credit tier (or all tiers).  Rejects are not in any
 * tier: they were returned to the declarant, never screened. */
struct sl_fb_tier {
	uint64_t decls;		    /* verdicts other than reject */
	uint64_t selected;	    /* hold, inspect or seize */
	uint64_t inspected;	    /* with an outcome */
	uint64_t found;		    /* with outcome found */
	uint64_t sampled;	    /* chosen by random selection */
	uint64_t sampled_inspected; /* sampled, with an outcome */
	uint64_t sampled_found;	    /* sampled, found */
	uint64_t missed_found;	    /* sampled, found, and no rule other
				       than RANDOM.* selected it: what the
				       rules would have let through */
};

/* The whole report.  Filled by sl_fb_compute(); owned by the sl_fb. */
struct sl_fb_report {
	uint64_t lines;		  /* verdict records read */
	uint64_t log_records;	  /* verdict-log header, checkpoint and
				   resume records, skipped */
	uint64_t skipped_ruleset; /* not from the --ruleset bundle */
	uint64_t duplicates;	  /* a later verdict replaced an earlier one */
	uint64_t rejects;	  /* reject verdicts (no tier) */
	uint64_t dropped;	  /* verdicts whose reasons were truncated */
	uint64_t outcome_rows;	  /* outcome rows read */
	uint64_t outcome_decls;	  /* distinct decl_ids with an outcome */
	uint64_t unmatched;	  /* outcomes naming no verdict read */
	uint64_t on_rejects;	  /* outcomes naming a rejected declaration */
	struct sl_fb_tier tier[SL_TIER__COUNT];
	struct sl_fb_tier total;
	size_t n_rules;
	struct sl_fb_rule *rules; /* sorted, see sl_fb_sort */
};

enum sl_fb_sort {
	SL_FB_SORT_HITS = 0, /* most hits first (default) */
	SL_FB_SORT_YIELD,    /* best yield first; uninspected last */
	SL_FB_SORT_NAME,     /* rule id, byte order */
};

struct sl_fb;

/* Makes an empty report.  NULL on ENOMEM.  Free with sl_fb_free(). */
struct sl_fb *sl_fb_new(void);
void sl_fb_free(struct sl_fb *fb);

/* Only verdicts whose "ruleset" equals id are counted (NULL: all).  The
 * string is copied.  Call before loading verdicts. */
void sl_fb_set_ruleset(struct sl_fb *fb, const char *id);

/* Reads verdict records, one JSON object a line, from f (`name` is used in
 * messages).  Blank lines are skipped.  A later verdict for a decl_id
 * replaces an earlier one (a declaration screened again).  On the first
 * malformed line returns -EBADMSG with "NAME:LINE: MESSAGE" in err;
 * -ENOMEM or -EIO likewise.  Returns 0 when the whole file was read. */
int sl_fb_load_verdicts(struct sl_fb *fb, FILE *f, const char *name, char *err,
			size_t errlen);

/* Reads inspection outcomes (CSV with a header naming at least decl_id and
 * outcome) from f.  Rows are kept until sl_fb_compute(); a declaration
 * with several rows counts as found when any row is found.  On the first
 * malformed row returns -EBADMSG with "NAME:LINE: MESSAGE" in err. */
int sl_fb_load_outcomes(struct sl_fb *fb, FILE *f, const char *name, char *err,
			size_t errlen);

/* Joins outcomes to verdicts and fills the report.  Call once, after every
 * load.  Returns the report (owned by fb) or NULL on ENOMEM. */
const struct sl_fb_report *sl_fb_compute(struct sl_fb *fb,
					 enum sl_fb_sort sort);

/* Up to max decl_ids of outcomes that named no verdict, for warnings;
 * valid after sl_fb_compute().  Returns how many were stored in ids. */
size_t sl_fb_unmatched_ids(const struct sl_fb *fb, const char **ids,
			   size_t max);

/* a / b, or NAN when b == 0. */
double sl_fb_ratio(uint64_t a, uint64_t b);

/* Wilson score interval (95 %) for x successes in n trials; NAN when
 * n == 0. */
void sl_fb_wilson(uint64_t x, uint64_t n, double *lo, double *hi);

/* Yield of rule r divided by the random baseline find rate (all tiers);
 * NAN when either is undefined or the baseline is zero. */
double sl_fb_lift(const struct sl_fb_report *rep, const struct sl_fb_rule *r);

/* Writes the report as aligned tables for people. */
void sl_fb_print_table(const struct sl_fb_report *rep, FILE *out);

/* Writes the report as one JSON document (docs/targeting.md).  Returns 0,
 * -ENOMEM or -EIO. */
int sl_fb_print_json(const struct sl_fb_report *rep, FILE *out);

#endif /* SLUICE_FEEDBACK_H */
