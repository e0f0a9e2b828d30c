/* sluice-gen check — compares verdicts with labels, per class.
 *
 * Verdicts (SPEC 4) come one per input record, in input order, so the Nth
 * verdict answers the Nth label; decl_ids are compared wherever the label
 * has one.  See docs/generator.md for the rules.  Control plane (a tool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gen_model.h"

struct cls_stat {
	char name[48];
	char expect[16];
	double min_rate;
	unsigned long n, ok, as_expected, sampled;
};

/* A buyer's value released by the engine so far, per calendar year:
 * replayed from the verdicts themselves (docs/generator.md, "State"). */
struct released {
	char key[80]; /* "buyer|year" */
	double g, p;  /* goods value and actual paid, CNY */
};

struct check {
	struct cls_stat *cls;
	size_t n_cls, cap_cls;
	unsigned long total, ok, misaligned, missing, replayed;
	struct released *rel;
	size_t n_rel, cap_rel;
};

static struct cls_stat *stat_for(struct check *c, const char *name,
				 const char *expect, double min_rate)
{
	for (size_t i = 0; i < c->n_cls; i++)
		if (!strcmp(c->cls[i].name, name))
			return &c->cls[i];
	if (c->n_cls == c->cap_cls) {
		size_t cap = c->cap_cls ? 2 * c->cap_cls : 64;
		struct cls_stat *n = realloc(c->cls, cap * sizeof(*n));

		if (!n)
			return NULL;
		c->cls = n;
		c->cap_cls = cap;
	}
	memset(&c->cls[c->n_cls], 0, sizeof(c->cls[0]));
	snprintf(c->cls[c->n_cls].name, sizeof(c->cls[0].name), "%s", name);
	snprintf(c->cls[c->n_cls].expect, sizeof(c->cls[0].expect), "%s",
		 expect);
	c->cls[c->n_cls].min_rate = min_rate;
	return &c->cls[c->n_cls++];
}

static const char *sget(const cJSON *o, const char *k)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(n) ? n->valuestring : NULL;
}

static bool eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Whether verdict v satisfies label l; why gets a reason when not. */
static struct released *released_for(struct check *c, const char *key)
{
	for (size_t i = 0; i < c->n_rel; i++)
		if (!strcmp(c->rel[i].key, key))
			return &c->rel[i];
	if (c->n_rel == c->cap_rel) {
		size_t cap = c->cap_rel ? 2 * c->cap_rel : 64;
		struct released *n = realloc(c->rel, cap * sizeof(*n));

		if (!n)
			return NULL;
		c->rel = n;
		c->cap_rel = cap;
	}
	memset(&c->rel[c->n_rel], 0, sizeof(c->rel[0]));
	snprintf(c->rel[c->n_rel].key, sizeof(c->rel[0].key), "%s", key);
	return &c->rel[c->n_rel++];
}

static double dget(const cJSON *o, const char *k)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

/* A verdict that uses the buyer's quota: a release, or an inspection for
 * which random selection is the only reason (found compliant, the parcel
 * is delivered: docs/decision.md, "Release gate"). */
static bool uses_quota(const cJSON *v, const char *got)
{
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(v, "reasons"), *r;

	if (eq(got, "release"))
		return true;
	if (!eq(got, "inspect") ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "sampled")))
		return false;
	cJSON_ArrayForEach (r, rs) {
		const char *rule = sget(r, "rule");

		if (!rule || strncmp(rule, "RANDOM.", 7))
			return false;
	}
	return true;
}

/* The annual limit depends on what the engine released before, replayed
 * from the verdicts (uses_quota): returns which verdicts are right for
 * this label (1 release, 2 hold, 3 either: the two value measures
 * disagree on the replayed total), or 0 when the label is not an annual
 * one; then records this verdict's effect. */
static int replay_annual(struct check *c, const cJSON *l, const cJSON *v,
			 const char *got)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(l, "state");
	const char *cls = sget(l, "class"), *buyer = sget(st, "buyer");
	double limit = dget(st, "limit_cny"), vg = dget(l, "value_cny"),
	       vp = dget(l, "paid_cny");
	struct released *r;
	char key[80];
	bool og, op;

	if (!cls || strncmp(cls, "annual.", 7) || !buyer || limit < 0 ||
	    vg < 0 || vp < 0)
		return 0;
	snprintf(key, sizeof(key), "%s|%d", buyer, (int)dget(st, "year"));
	r = released_for(c, key);
	if (!r)
		return 0;
	og = r->g + vg > limit + 1e-6;
	op = r->p + vp > limit + 1e-6;
	if (got && uses_quota(v, got)) {
		r->g += vg;
		r->p += vp;
	}
	return og != op ? 3 : og ? 2 : 1;
}

static bool judge(struct check *c, const cJSON *l, const cJSON *v, char *why,
		  size_t wl, bool *sampled_inspect)
{
	const char *got = sget(v, "verdict");
	int annual = replay_annual(c, l, v, got);
	const cJSON *acc = cJSON_GetObjectItemCaseSensitive(l, "accept"), *a;
	const cJSON *le = cJSON_GetObjectItemCaseSensitive(l, "error");
	bool sampled =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "sampled"));
	bool sample_ok =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "sample_ok"));

	*sampled_inspect = false;
	if (!got) {
		snprintf(why, wl, "verdict has no \"verdict\"");
		return false;
	}
	if (le) {
		const cJSON *ve = cJSON_GetObjectItemCaseSensitive(v, "error");
		const char *code = sget(le, "code"), *field = sget(le, "field");

		if (!eq(got, "reject")) {
			snprintf(why, wl, "expected reject %s, got %s", code,
				 got);
			return false;
		}
		if (!eq(sget(ve, "code"), code)) {
			snprintf(why, wl, "expected %s, got %s (%s)", code,
				 sget(ve, "code") ? sget(ve, "code")
						  : "no code",
				 sget(ve, "field") ? sget(ve, "field") : "");
			return false;
		}
		if (field && !eq(sget(ve, "field"), field)) {
			snprintf(why, wl, "%s: expected field %s, got %s", code,
				 field,
				 sget(ve, "field") ? sget(ve, "field")
						   : "none");
			return false;
		}
		return true;
	}
	if (annual) {
		bool rel = eq(got, "release"),
		     held = eq(got, "hold") || eq(got, "inspect");
		bool want_rel = annual != 2, want_held = annual != 1;

		if (annual == 3 ||
		    want_rel != !strcmp(sget(l, "expect"), "release"))
			c->replayed++;
		if ((rel && want_rel) || (held && want_held))
			return true;
		if (eq(got, "inspect") && sampled) { /* random selection */
			*sampled_inspect = true;
			return true;
		}
		snprintf(why, wl,
			 "expected %s (the buyer's total replayed from the "
			 "verdicts), got %s",
			 want_rel ? "release" : "hold", got);
		return false;
	}
	cJSON_ArrayForEach (a, acc) {
		if (cJSON_IsString(a) && !strcmp(a->valuestring, got))
			return true;
	}
	if (eq(got, "inspect") && sampled && sample_ok) {
		*sampled_inspect = true;
		return true;
	}
	snprintf(why, wl, "expected %s, got %s", sget(l, "expect"), got);
	if (eq(got, "reject")) {
		const cJSON *ve = cJSON_GetObjectItemCaseSensitive(v, "error");
		size_t n = strlen(why);

		snprintf(why + n, wl - n, " (%s %s)",
			 sget(ve, "code") ? sget(ve, "code") : "?",
			 sget(ve, "field") ? sget(ve, "field") : "");
	}
	return false;
}

static cJSON *next_json(FILE *f, char **buf, size_t *cap, bool *eof)
{
	ssize_t n = getline(buf, cap, f);

	if (n < 0) {
		*eof = true;
		return NULL;
	}
	while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		n--;
	return cJSON_ParseWithLength(*buf, (size_t)n);
}

/* "prohibited.weapons" -> "prohibited"; "clean" -> "clean" */
static size_t group_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot ? (size_t)(dot - name) : strlen(name);
}

static bool same_group(const char *a, const char *b)
{
	return group_len(a) == group_len(b) && !strncmp(a, b, group_len(a));
}

static void print_groups(const struct check *c, FILE *out)
{
	for (size_t i = 0; i < c->n_cls; i++) {
		const char *name = c->cls[i].name;
		unsigned long n = 0, ok = 0, sampled = 0;
		bool first = true;

		for (size_t j = 0; j < i && first; j++)
			first = !same_group(c->cls[j].name, name);
		if (!first)
			continue;
		for (size_t j = i; j < c->n_cls; j++) {
			if (!same_group(c->cls[j].name, name))
				continue;
			n += c->cls[j].n;
			ok += c->cls[j].ok;
			sampled += c->cls[j].sampled;
		}
		fprintf(out, "%-24.*s %8lu %8lu %8.1f%%", (int)group_len(name),
			name, n, ok, n ? 100.0 * (double)ok / (double)n : 0);
		if (sampled)
			fprintf(out, "  %lu sampled for inspection", sampled);
		fputc('\n', out);
	}
}

long sl_gen_check(const char *labels_path, const char *verdicts_path, FILE *out,
		  bool verbose, bool groups)
{
	FILE *lf = fopen(labels_path, "r"), *vf = NULL;
	char *lb = NULL, *vb = NULL;
	size_t lc = 0, vc = 0;
	struct check c = {0};
	long bad = 0;
	unsigned long line = 0;

	if (!lf) {
		fprintf(stderr, "sluice-gen check: %s: %s\n", labels_path,
			strerror(errno));
		return -errno;
	}
	vf = strcmp(verdicts_path, "-") ? fopen(verdicts_path, "r") : stdin;
	if (!vf) {
		fprintf(stderr, "sluice-gen check: %s: %s\n", verdicts_path,
			strerror(errno));
		fclose(lf);
		return -errno;
	}
	for (;;) {
		bool leof = false, veof = false, si = false, ok;
		cJSON *l = next_json(lf, &lb, &lc, &leof), *v;
		const cJSON *rate;
		struct cls_stat *st;
		const char *cls, *lid, *vid;
		char why[256] = "";

		if (leof)
			break;
		line++;
		if (!l) {
			fprintf(stderr,
				"sluice-gen check: %s:%lu: not a label\n",
				labels_path, line);
			bad++;
			continue;
		}
		v = next_json(vf, &vb, &vc, &veof);
		cls = sget(l, "class");
		rate = cJSON_GetObjectItemCaseSensitive(l, "min_rate");
		st = stat_for(&c, cls ? cls : "?",
			      sget(l, "expect") ? sget(l, "expect") : "?",
			      cJSON_IsNumber(rate) ? rate->valuedouble : 0);
		if (!st) {
			cJSON_Delete(l);
			cJSON_Delete(v);
			bad = -ENOMEM;
			break;
		}
		st->n++;
		c.total++;
		if (!v) {
			c.missing++;
			if (verbose)
				fprintf(out, "line %lu: %s\n", line,
					veof ? "no verdict"
					     : "verdict is not JSON");
			cJSON_Delete(l);
			continue;
		}
		lid = sget(l, "decl_id");
		vid = sget(v, "decl_id");
		if (lid && !eq(lid, vid)) {
			c.misaligned++;
			if (verbose)
				fprintf(
				    out,
				    "line %lu: decl_id %s, verdict names %s\n",
				    line, lid, vid ? vid : "null");
		}
		ok = judge(&c, l, v, why, sizeof(why), &si);
		if (ok) {
			st->ok++;
			c.ok++;
		} else if (verbose) {
			fprintf(out, "line %lu %s [%s]: %s\n", line,
				lid ? lid : "-", cls ? cls : "?", why);
		}
		st->sampled += si;
		st->as_expected += eq(sget(v, "verdict"), sget(l, "expect"));
		cJSON_Delete(l);
		cJSON_Delete(v);
	}
	free(lb);
	free(vb);
	fclose(lf);
	if (vf != stdin)
		fclose(vf);
	if (bad < 0) {
		free(c.cls);
		free(c.rel);
		return bad;
	}

	fprintf(out, "%-24s %8s %8s %9s  %s\n", groups ? "group" : "class",
		"records", "right", "accuracy", "notes");
	if (groups)
		print_groups(&c, out);
	for (size_t i = 0; i < c.n_cls; i++) {
		const struct cls_stat *st = &c.cls[i];
		double acc = st->n ? 100.0 * (double)st->ok / (double)st->n : 0;
		char note[128] = "";

		if (st->min_rate > 0) {
			double r =
			    st->n ? (double)st->as_expected / (double)st->n : 0;
			bool pass = r + 1e-9 >= st->min_rate;

			snprintf(note, sizeof(note),
				 "%s rate %.1f%% (needs %.0f%%) %s", st->expect,
				 100 * r, 100 * st->min_rate,
				 pass ? "ok" : "TOO LOW");
			if (!pass)
				bad++;
		} else if (groups) {
			continue;
		} else if (st->sampled) {
			snprintf(note, sizeof(note),
				 "%lu sampled for inspection", st->sampled);
		}
		fprintf(out, "%-24s %8lu %8lu %8.1f%%  %s\n", st->name, st->n,
			st->ok, acc, note);
	}
	fprintf(out, "%-24s %8lu %8lu %8.1f%%  %s\n", "total", c.total, c.ok,
		c.total ? 100.0 * (double)c.ok / (double)c.total : 0,
		c.misaligned || c.missing ? "" : "all verdicts aligned");
	if (c.missing)
		fprintf(out, "%lu labels have no verdict\n", c.missing);
	if (c.misaligned)
		fprintf(out,
			"%lu verdicts name another decl_id than their label\n",
			c.misaligned);
	if (c.replayed)
		fprintf(out,
			"%lu annual-limit labels judged on the buyer's total "
			"replayed from the verdicts (releases and parcels "
			"inspected only by random selection use the quota)\n",
			c.replayed);
	bad += (long)(c.total - c.ok) + (long)c.misaligned;
	free(c.cls);
	free(c.rel);
	return bad;
}
