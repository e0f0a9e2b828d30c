/* sluice-feedback — joining verdicts with inspection outcomes.
 *
 * Verdicts are parsed by the verdict codec of sluice_core (cJSON inside),
 * outcomes by libcsv.  Both are kept in flat arrays, sorted by decl_id and
 * merge-joined: no per-record allocation beyond the outcome's free text.
 * Measured: a million verdicts and 190,000 outcomes in 151 MB and 2.2 s
 * (docs/targeting.md), so a year of a bureau's verdicts fits on an
 * officer's workstation.
 *
 * Plane: offline tool.
 */
#define _GNU_SOURCE /* tdestroy, qsort_r, strptime */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <search.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <csv.h>

#include <sluice/decl.h>
#include <sluice/verdict.h>
#include <sluice/vlog.h>

#include "feedback.h"

/* One screened declaration, as much of its verdict as the report needs. */
struct fb_decl {
	char id[SL_DECL_ID_MAX + 1];
	uint64_t seq;	    /* order read: a later verdict replaces */
	uint32_t rules_off; /* first entry in fb->refs */
	uint8_t n_rules;    /* distinct rules named, entries in fb->refs */
	uint8_t verdict;    /* enum sl_verdict_kind */
	uint8_t tier;	    /* enum sl_tier */
	bool sampled;	    /* chosen by random selection */
	bool flagged;	    /* a rule other than RANDOM.* selected it */
	uint8_t outcome;    /* enum sl_fb_outcome, set by the join */
	const char *what;   /* finding of the join; owned by an fb_out */
};

/* One outcome row. */
struct fb_out {
	char id[SL_DECL_ID_MAX + 1];
	uint64_t seq; /* row order, to keep the first finding */
	uint8_t outcome;
	char *what; /* malloc'd "finding", never NULL */
};

/* An interned rule: its public counters and its index in fb->rules. */
struct fb_rule {
	struct sl_fb_rule r; /* first: the tree compares r.rule */
	uint32_t idx;
};

/* A (rule, finding) pair of a found declaration, sorted to count. */
struct fb_pair {
	uint32_t rule;
	const char *what;
};

struct sl_fb {
	char *ruleset; /* filter, malloc'd; NULL = all */

	struct fb_decl *decls; /* grows by doubling */
	size_t n_decls, cap_decls;
	uint32_t *refs; /* rule indexes of all decls, back to back */
	size_t n_refs, cap_refs;
	uint64_t seq;

	struct fb_rule **rules; /* interned, stable addresses */
	size_t n_rules, cap_rules;
	void *rule_tree; /* tsearch tree of struct fb_rule * by id */

	struct fb_out *outs;
	size_t n_outs, cap_outs;

	struct fb_pair *pairs; /* for findings; freed with fb */
	const char **unmatched;
	size_t n_unmatched;

	struct sl_fb_report rep;
	struct sl_fb_rule *rep_rules;
	struct sl_fb_finding *rep_findings;
};

/* ------------------------------------------------------------ helpers */

static void fb_err(char *err, size_t errlen, const char *name, uint64_t line,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fb_err(char *err, size_t errlen, const char *name, uint64_t line,
		   const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s:%llu: ", name, (unsigned long long)line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Grows *arr (of *cap elements of size sz) to hold at least need. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t ncap = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

double sl_fb_ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

void sl_fb_wilson(uint64_t x, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054; /* 97.5th normal percentile */
	double p, d, c, h;

	if (!n) {
		*lo = *hi = NAN;
		return;
	}
	p = (double)x / (double)n;
	d = 1 + z * z / (double)n;
	c = (p + z * z / (2.0 * (double)n)) / d;
	h = z / d *
	    sqrt(p * (1 - p) / (double)n + z * z / (4.0 * n * (double)n));
	*lo = c - h < 0 ? 0 : c - h;
	*hi = c + h > 1 ? 1 : c + h;
}

double sl_fb_lift(const struct sl_fb_report *rep, const struct sl_fb_rule *r)
{
	double base =
	    sl_fb_ratio(rep->total.sampled_found, rep->total.sampled_inspected);
	double y = sl_fb_ratio(r->found, r->inspected);

	if (isnan(base) || isnan(y) || base == 0)
		return NAN;
	return y / base;
}

/* decl_id rule of SPEC 3 / BAD_DECL_ID: 1..64 printable ASCII bytes. */
static bool decl_id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SL_DECL_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* ------------------------------------------------------------- life */

struct sl_fb *sl_fb_new(void)
{
	return calloc(1, sizeof(struct sl_fb));
}

static void free_nothing(void *p)
{
	(void)p;
}

void sl_fb_free(struct sl_fb *fb)
{
	size_t i;

	if (!fb)
		return;
	tdestroy(fb->rule_tree, free_nothing);
	for (i = 0; i < fb->n_rules; i++)
		free(fb->rules[i]);
	for (i = 0; i < fb->n_outs; i++)
		free(fb->outs[i].what);
	free(fb->rules);
	free(fb->outs);
	free(fb->decls);
	free(fb->refs);
	free(fb->pairs);
	free(fb->unmatched);
	free(fb->rep_rules);
	free(fb->rep_findings);
	free(fb->ruleset);
	free(fb);
}

void sl_fb_set_ruleset(struct sl_fb *fb, const char *id)
{
	free(fb->ruleset);
	fb->ruleset = id ? strdup(id) : NULL;
}

/* ---------------------------------------------------------- verdicts */

static int rule_cmp(const void *a, const void *b)
{
	const struct fb_rule *x = a, *y = b;

	return strcmp(x->r.rule, y->r.rule);
}

/* The index of rule `id`, interning it on first sight.  -ENOMEM. */
static int64_t rule_index(struct sl_fb *fb, const char *id)
{
	struct fb_rule key, *r, **slot;

	snprintf(key.r.rule, sizeof(key.r.rule), "%s", id);
	slot = tfind(&key, &fb->rule_tree, rule_cmp);
	if (slot)
		return (*slot)->idx;
	if (grow((void **)&fb->rules, &fb->cap_rules, fb->n_rules + 1,
		 sizeof(*fb->rules)) < 0)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r->r.rule, key.r.rule, sizeof(r->r.rule));
	r->idx = (uint32_t)fb->n_rules;
	slot = tsearch(r, &fb->rule_tree, rule_cmp);
	if (!slot) {
		free(r);
		return -ENOMEM;
	}
	fb->rules[fb->n_rules] = r;
	return (int64_t)fb->n_rules++;
}

static bool is_random(const char *rule)
{
	return !strncmp(rule, "RANDOM.", 7);
}

/* Explains why sl_verdict_from_json refused a line; NULL when the line is
 * one of the verdict log's own records ({"vlog":"header"|"checkpoint"|
 * "resume",...}, docs/audit.md), which the report skips. */
static const char *why_not_verdict(const char *line, size_t len)
{
	cJSON *t = cJSON_ParseWithLength(line, len);
	const char *why;

	if (!t)
		return "not JSON";
	if (!cJSON_IsObject(t))
		why = "not a JSON object";
	else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "vlog")))
		why = NULL;
	else if (!cJSON_IsString(
		     cJSON_GetObjectItemCaseSensitive(t, "verdict")))
		why = "no \"verdict\" string: not a verdict record";
	else
		why = "\"verdict\" is not one of release, hold, inspect, "
		      "seize, reject, or \"decl_id\" is neither a string nor "
		      "null";
	cJSON_Delete(t);
	return why;
}

static int add_verdict(struct sl_fb *fb, const sl_verdict_t *v)
{
	struct fb_decl *d;
	unsigned i, j;

	if (!v->has_decl_id) {
		/* A line that could not be attributed: counted as a reject,
		 * but no outcome can ever name it. */
		fb->rep.rejects++;
		return 0;
	}
	if (grow((void **)&fb->decls, &fb->cap_decls, fb->n_decls + 1,
		 sizeof(*fb->decls)) < 0 ||
	    grow((void **)&fb->refs, &fb->cap_refs, fb->n_refs + v->n_reasons,
		 sizeof(*fb->refs)) < 0)
		return -ENOMEM;
	d = &fb->decls[fb->n_decls];
	memset(d, 0, sizeof(*d));
	memcpy(d->id, v->decl_id, sizeof(d->id));
	d->seq = fb->seq++;
	d->rules_off = (uint32_t)fb->n_refs;
	d->verdict = v->verdict;
	d->tier = v->tier < SL_TIER__COUNT ? v->tier : SL_TIER_UNKNOWN;
	d->sampled = v->sampled;
	for (i = 0; i < v->n_reasons; i++) {
		const sl_reason_t *rs = &v->reasons[i];
		int64_t idx;

		if (!rs->rule[0])
			continue;
		if (!is_random(rs->rule) &&
		    (rs->points > 0 || rs->action != SL_VERDICT_RELEASE))
			d->flagged = true;
		idx = rule_index(fb, rs->rule);
		if (idx < 0)
			return (int)idx;
		/* The weight as the most recent verdict shows it. */
		fb->rules[idx]->r.points = rs->points;
		fb->rules[idx]->r.action = rs->action;
		for (j = 0; j < d->n_rules; j++)
			if (fb->refs[d->rules_off + j] == (uint32_t)idx)
				break;
		if (j == d->n_rules) {
			fb->refs[fb->n_refs++] = (uint32_t)idx;
			d->n_rules++;
		}
	}
	if (v->n_dropped)
		fb->rep.dropped++;
	fb->n_decls++;
	return 0;
}

int sl_fb_load_verdicts(struct sl_fb *fb, FILE *f, const char *name, char *err,
			size_t errlen)
{
	sl_verdict_t *v = malloc(sizeof(*v));
	char *line = NULL;
	size_t cap = 0;
	uint64_t line_no = 0;
	ssize_t n;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n, k;

		line_no++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		for (k = 0; k < len && isspace((unsigned char)line[k]); k++)
			;
		if (k == len)
			continue; /* blank line */
		if (sl_vlog_is_meta(line, len)) {
			/* verdict log header, checkpoint, resume */
			fb->rep.log_records++;
			continue;
		}
		if (sl_verdict_from_json(line, len, v) < 0) {
			const char *why = why_not_verdict(line, len);

			if (!why) {
				fb->rep.log_records++;
				continue;
			}
			fb_err(err, errlen, name, line_no, "%s", why);
			rc = -EBADMSG;
			goto out;
		}
		fb->rep.lines++;
		if (fb->ruleset && strcmp(fb->ruleset, v->ruleset)) {
			fb->rep.skipped_ruleset++;
			continue;
		}
		rc = add_verdict(fb, v);
		if (rc < 0) {
			fb_err(err, errlen, name, line_no, "out of memory");
			goto out;
		}
	}
	if (ferror(f)) {
		fb_err(err, errlen, name, line_no, "read error: %s",
		       strerror(errno));
		rc = -EIO;
	}
out:
	free(line);
	free(v);
	return rc;
}

/* ---------------------------------------------------------- outcomes */

enum { COL_DECL_ID, COL_OUTCOME, COL_FINDING, COL_OFFICER, COL_TIME, COL__N };

static const char *const col_names[COL__N] = {
    [COL_DECL_ID] = "decl_id",	 [COL_OUTCOME] = "outcome",
    [COL_FINDING] = "finding",	 [COL_OFFICER] = "officer",
    [COL_TIME] = "inspected_at",
};

#define MAX_COLS 64 /* columns an outcome file may have */

/* libcsv calls back per field and per row; this is their state. */
struct csv_ctx {
	struct sl_fb *fb;
	const char *name;
	char *err;
	size_t errlen;
	int rc;		   /* first error; rows after it are ignored */
	uint64_t line;	   /* line being fed */
	uint64_t row_line; /* line where the current row started */
	bool header_done;
	int col[COL__N]; /* column index of each known name, -1 = absent */
	unsigned n_cols; /* header columns */
	unsigned nf;	 /* fields seen in the current row */
	char *field[MAX_COLS];
	size_t flen[MAX_COLS];
};

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static bool rfc3339_ok(const char *s)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return false;
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || p != s + 10)
		return false;
	p = strptime(s + 11, "%H:%M:%S", &tm);
	if (!p || p != s + 19)
		return false;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && !p[1])
		return true;
	return (*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	       isdigit((unsigned char)p[2]) && p[3] == ':' &&
	       isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]) &&
	       !p[6] && (p[1] - '0') * 10 + (p[2] - '0') < 24 &&
	       (p[4] - '0') * 10 + (p[5] - '0') < 60;
}

static void csv_field(void *s, size_t len, void *data)
{
	struct csv_ctx *c = data;
	char *copy;

	if (c->nf == 0)
		c->row_line = c->line;
	if (c->rc)
		return;
	if (c->nf >= MAX_COLS) {
		fb_err(c->err, c->errlen, c->name, c->row_line,
		       "more than %d columns", MAX_COLS);
		c->rc = -EBADMSG;
		return;
	}
	copy = malloc(len + 1);
	if (!copy) {
		c->rc = -ENOMEM;
		return;
	}
	memcpy(copy, s ? s : "", len);
	copy[len] = '\0';
	c->field[c->nf] = copy;
	c->flen[c->nf] = len;
	c->nf++;
}

static const char *cell(struct csv_ctx *c, int col, size_t *len)
{
	if (c->col[col] < 0 || (unsigned)c->col[col] >= c->nf) {
		*len = 0;
		return "";
	}
	*len = c->flen[c->col[col]];
	return c->field[c->col[col]];
}

static void header_row(struct csv_ctx *c)
{
	unsigned i, k;

	for (k = 0; k < COL__N; k++)
		c->col[k] = -1;
	for (i = 0; i < c->nf; i++) {
		char *h = c->field[i];

		/* Spreadsheets save UTF-8 CSV with a byte-order mark. */
		if (i == 0 && !strncmp(h, "\xEF\xBB\xBF", 3))
			h += 3;
		for (k = 0; k < COL__N; k++) {
			if (strcmp(h, col_names[k]))
				continue;
			if (c->col[k] >= 0) {
				fb_err(c->err, c->errlen, c->name, c->row_line,
				       "column \"%s\" appears twice", h);
				c->rc = -EBADMSG;
				return;
			}
			c->col[k] = (int)i;
		}
	}
	for (k = 0; k <= COL_OUTCOME; k++)
		if (c->col[k] < 0) {
			fb_err(c->err, c->errlen, c->name, c->row_line,
			       "header has no \"%s\" column (expected "
			       "decl_id,outcome,finding,officer,inspected_at)",
			       col_names[k]);
			c->rc = -EBADMSG;
			return;
		}
	c->n_cols = c->nf;
	c->header_done = true;
}

static void data_row(struct csv_ctx *c)
{
	struct sl_fb *fb = c->fb;
	struct fb_out *o;
	const char *id, *outc, *what, *t;
	size_t idn, on, wn, tn;
	uint8_t outcome;

	if (c->nf != c->n_cols) {
		fb_err(c->err, c->errlen, c->name, c->row_line,
		       "%u fields, the header has %u", c->nf, c->n_cols);
		c->rc = -EBADMSG;
		return;
	}
	id = cell(c, COL_DECL_ID, &idn);
	outc = cell(c, COL_OUTCOME, &on);
	what = cell(c, COL_FINDING, &wn);
	t = cell(c, COL_TIME, &tn);
	if (!decl_id_ok(id, idn) || strlen(id) != idn) {
		fb_err(c->err, c->errlen, c->name, c->row_line,
		       "decl_id \"%.*s\" is empty, longer than %d bytes or "
		       "not printable ASCII",
		       (int)(idn > 80 ? 80 : idn), id, SL_DECL_ID_MAX);
		c->rc = -EBADMSG;
		return;
	}
	if (!strcasecmp(outc, "found"))
		outcome = SL_FB_FOUND;
	else if (!strcasecmp(outc, "clean"))
		outcome = SL_FB_CLEAN;
	else {
		fb_err(c->err, c->errlen, c->name, c->row_line,
		       "outcome \"%.*s\" is neither found nor clean",
		       (int)(on > 80 ? 80 : on), outc);
		c->rc = -EBADMSG;
		return;
	}
	if (tn && !rfc3339_ok(t)) {
		fb_err(c->err, c->errlen, c->name, c->row_line,
		       "inspected_at \"%.*s\" is not an RFC 3339 time "
		       "(2026-11-29T10:05:00+08:00)",
		       (int)(tn > 80 ? 80 : tn), t);
		c->rc = -EBADMSG;
		return;
	}
	if (grow((void **)&fb->outs, &fb->cap_outs, fb->n_outs + 1,
		 sizeof(*fb->outs)) < 0) {
		c->rc = -ENOMEM;
		return;
	}
	o = &fb->outs[fb->n_outs];
	memcpy(o->id, id, idn + 1);
	o->seq = fb->rep.outcome_rows;
	o->outcome = outcome;
	o->what = strdup(outcome == SL_FB_FOUND ? what : "");
	if (!o->what) {
		c->rc = -ENOMEM;
		return;
	}
	fb->n_outs++;
	fb->rep.outcome_rows++;
}

static void csv_row(int term, void *data)
{
	struct csv_ctx *c = data;
	unsigned i;

	if (!c->rc) {
		if (!c->header_done)
			header_row(c);
		else
			data_row(c);
	}
	for (i = 0; i < c->nf; i++)
		free(c->field[i]);
	c->nf = 0;
}

int sl_fb_load_outcomes(struct sl_fb *fb, FILE *f, const char *name, char *err,
			size_t errlen)
{
	struct csv_parser p;
	struct csv_ctx c;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	memset(&c, 0, sizeof(c));
	c.fb = fb;
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL))
		return -ENOMEM;
	/* Fed a line at a time so that errors name the line. */
	while (!c.rc && (n = getline(&line, &cap, f)) >= 0) {
		c.line++;
		if (csv_parse(&p, line, (size_t)n, csv_field, csv_row, &c) !=
		    (size_t)n) {
			fb_err(err, errlen, name, c.line, "%s",
			       csv_strerror(csv_error(&p)));
			c.rc = -EBADMSG;
		}
	}
	if (!c.rc && ferror(f)) {
		fb_err(err, errlen, name, c.line, "read error: %s",
		       strerror(errno));
		c.rc = -EIO;
	}
	if (!c.rc && csv_fini(&p, csv_field, csv_row, &c)) {
		fb_err(err, errlen, name, c.line, "%s (unterminated quote?)",
		       csv_strerror(csv_error(&p)));
		c.rc = -EBADMSG;
	}
	if (!c.rc && !c.header_done) {
		fb_err(err, errlen, name, c.line ? c.line : 1,
		       "empty file: no header");
		c.rc = -EBADMSG;
	}
	if (c.rc == -ENOMEM && err && !*err)
		fb_err(err, errlen, name, c.line, "out of memory");
	for (unsigned i = 0; i < c.nf; i++)
		free(c.field[i]);
	csv_free(&p);
	free(line);
	return c.rc;
}

/* ------------------------------------------------------------- join */

static int decl_cmp(const void *a, const void *b)
{
	const struct fb_decl *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int out_cmp(const void *a, const void *b)
{
	const struct fb_out *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct fb_pair *x = a, *y = b;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return strcmp(x->what, y->what);
}

static int finding_cmp(const void *a, const void *b)
{
	const struct sl_fb_finding *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->what, y->what);
}

static int rule_sort_cmp(const void *a, const void *b, void *arg)
{
	const struct sl_fb_rule *x = a, *y = b;
	double yx, yy;

	switch (*(const enum sl_fb_sort *)arg) {
	case SL_FB_SORT_HITS:
		if (x->hits != y->hits)
			return x->hits > y->hits ? -1 : 1;
		break;
	case SL_FB_SORT_YIELD:
		yx = sl_fb_ratio(x->found, x->inspected);
		yy = sl_fb_ratio(y->found, y->inspected);
		if (isnan(yx) != isnan(yy))
			return isnan(yx) ? 1 : -1;
		if (!isnan(yx) && yx != yy)
			return yx > yy ? -1 : 1;
		if (x->inspected != y->inspected)
			return x->inspected > y->inspected ? -1 : 1;
		break;
	case SL_FB_SORT_NAME:
		break;
	}
	return strcmp(x->rule, y->rule);
}

static void tier_add(struct sl_fb_tier *t, const struct fb_decl *d)
{
	t->decls++;
	if (d->verdict == SL_VERDICT_HOLD || d->verdict == SL_VERDICT_INSPECT ||
	    d->verdict == SL_VERDICT_SEIZE)
		t->selected++;
	if (d->outcome != SL_FB_NONE)
		t->inspected++;
	if (d->outcome == SL_FB_FOUND)
		t->found++;
	if (!d->sampled)
		return;
	t->sampled++;
	if (d->outcome != SL_FB_NONE)
		t->sampled_inspected++;
	if (d->outcome == SL_FB_FOUND) {
		t->sampled_found++;
		if (!d->flagged)
			t->missed_found++;
	}
}

const struct sl_fb_report *sl_fb_compute(struct sl_fb *fb, enum sl_fb_sort sort)
{
	struct sl_fb_report *rep = &fb->rep;
	size_t i, j, w, n_pairs = 0, n_found_refs = 0;

	/* Verdicts: the last one read for each decl_id wins. */
	qsort(fb->decls, fb->n_decls, sizeof(*fb->decls), decl_cmp);
	for (i = 0, w = 0; i < fb->n_decls; i++) {
		if (i + 1 < fb->n_decls &&
		    !strcmp(fb->decls[i].id, fb->decls[i + 1].id)) {
			rep->duplicates++;
			continue;
		}
		fb->decls[w++] = fb->decls[i];
	}
	fb->n_decls = w;

	/* Outcomes: found if any inspection found; the first finding in
	 * file order names it. */
	qsort(fb->outs, fb->n_outs, sizeof(*fb->outs), out_cmp);
	fb->unmatched =
	    calloc(fb->n_outs ? fb->n_outs : 1, sizeof(*fb->unmatched));
	if (!fb->unmatched)
		return NULL;
	for (i = 0, j = 0; i < fb->n_outs;) {
		size_t k = i;
		uint8_t outcome = SL_FB_CLEAN;
		const char *what = "";
		int r = 1;

		for (;
		     k < fb->n_outs && !strcmp(fb->outs[k].id, fb->outs[i].id);
		     k++)
			if (fb->outs[k].outcome == SL_FB_FOUND &&
			    outcome != SL_FB_FOUND) {
				outcome = SL_FB_FOUND;
				what = fb->outs[k].what;
			}
		rep->outcome_decls++;
		while (j < fb->n_decls &&
		       (r = strcmp(fb->decls[j].id, fb->outs[i].id)) < 0)
			j++;
		if (j < fb->n_decls && r == 0) {
			fb->decls[j].outcome = outcome;
			fb->decls[j].what = what;
			if (fb->decls[j].verdict == SL_VERDICT_REJECT)
				rep->on_rejects++;
		} else {
			rep->unmatched++;
			fb->unmatched[fb->n_unmatched++] = fb->outs[i].id;
		}
		i = k;
	}

	/* Counting. */
	for (i = 0; i < fb->n_decls; i++) {
		const struct fb_decl *d = &fb->decls[i];

		if (d->verdict == SL_VERDICT_REJECT) {
			rep->rejects++;
			continue;
		}
		tier_add(&rep->tier[d->tier], d);
		tier_add(&rep->total, d);
		for (j = 0; j < d->n_rules; j++) {
			struct sl_fb_rule *r =
			    &fb->rules[fb->refs[d->rules_off + j]]->r;

			r->hits++;
			if (d->outcome != SL_FB_NONE)
				r->inspected++;
			if (d->outcome == SL_FB_FOUND) {
				r->found++;
				n_found_refs++;
			}
		}
	}

	/* What each rule found: (rule, finding) pairs, sorted and counted. */
	fb->pairs = calloc(n_found_refs ? n_found_refs : 1, sizeof(*fb->pairs));
	fb->rep_findings =
	    calloc(n_found_refs ? n_found_refs : 1, sizeof(*fb->rep_findings));
	fb->rep_rules =
	    calloc(fb->n_rules ? fb->n_rules : 1, sizeof(*fb->rep_rules));
	if (!fb->pairs || !fb->rep_findings || !fb->rep_rules)
		return NULL;
	for (i = 0; i < fb->n_decls; i++) {
		const struct fb_decl *d = &fb->decls[i];

		if (d->verdict == SL_VERDICT_REJECT ||
		    d->outcome != SL_FB_FOUND)
			continue;
		for (j = 0; j < d->n_rules; j++)
			fb->pairs[n_pairs++] = (struct fb_pair){
			    fb->refs[d->rules_off + j], d->what};
	}
	qsort(fb->pairs, n_pairs, sizeof(*fb->pairs), pair_cmp);
	for (i = 0; i < fb->n_rules; i++)
		fb->rep_rules[i] = fb->rules[i]->r;
	for (i = 0, w = 0; i < n_pairs;) {
		struct sl_fb_rule *r = &fb->rep_rules[fb->pairs[i].rule];
		size_t k = i;

		while (k < n_pairs && fb->pairs[k].rule == fb->pairs[i].rule &&
		       !strcmp(fb->pairs[k].what, fb->pairs[i].what))
			k++;
		if (!r->findings)
			r->findings = &fb->rep_findings[w];
		fb->rep_findings[w++] =
		    (struct sl_fb_finding){fb->pairs[i].what, k - i};
		r->n_findings++;
		i = k;
	}
	for (i = 0; i < fb->n_rules; i++)
		if (fb->rep_rules[i].n_findings)
			qsort(fb->rep_rules[i].findings,
			      fb->rep_rules[i].n_findings,
			      sizeof(struct sl_fb_finding), finding_cmp);
	qsort_r(fb->rep_rules, fb->n_rules, sizeof(*fb->rep_rules),
		rule_sort_cmp, &sort);
	rep->rules = fb->rep_rules;
	rep->n_rules = fb->n_rules;
	return rep;
}

size_t sl_fb_unmatched_ids(const struct sl_fb *fb, const char **ids, size_t max)
{
	size_t i;

	for (i = 0; i < max && i < fb->n_unmatched; i++)
		ids[i] = fb->unmatched[i];
	return i;
}
