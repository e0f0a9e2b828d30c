/* sluice-rulec --test: officer-written test cases (docs/rules.md,
 * "Testing rules").
 *
 * A case file is YAML:
 *
 *   registry: registry.csv      # optional; else each case's `tier`
 *   defaults: {...}             # merged under every case's declaration
 *   cases:
 *     - name: ivory bangle is seized
 *       tier: general           # advanced|general|dishonest|unknown
 *       negative_list: false
 *       decl: {...}             # a declaration (SPEC 3), as YAML
 *       rules: [PROHIBITED.ENDANGERED]   # must fire (an id or namespace)
 *       not_rules: [PROHIBITED.WEAPONS]  # must not fire; [] in rules
 *       verdict: seize                    # means "no rule at all"
 *
 * The declaration goes through the real decoder and validator, then the
 * matcher (sl_match_decl) for the rule checks and the public screening
 * entry point (sl_screen) for the verdict, with a snapshot of the bundle,
 * a registry naming the case's enterprise, and an in-memory state shared
 * by the cases of a file in order (so limits and split shipments can be
 * tested across cases).  When this build cannot screen with a bundle yet,
 * verdict checks are reported as not checked rather than passed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libfyaml.h>
#include <urcu-qsbr.h>

#include <sluice/decl.h>
#include <sluice/screen.h>
#include <sluice/state.h>
#include <sluice/verdict.h>
#if __has_include(<sluice/registry.h>)
#include <sluice/registry.h>
#define HAVE_REGISTRY 1
#else
#define HAVE_REGISTRY 0
#endif

#include "rulec-int.h"

struct cctx {
	const char *file;
	FILE *diag;
	unsigned errors;
};

static struct loc cloc(struct cctx *c, struct fy_node *n)
{
	struct loc l = {c->file, 1, 1};

	for (int depth = 0; n && depth < 64; depth++) {
		void *it = NULL;

		if (fy_node_get_type(n) == FYNT_SCALAR) {
			struct fy_token *t = fy_node_get_scalar_token(n);
			const struct fy_mark *m =
			    t ? fy_token_start_mark(t) : NULL;

			if (m) {
				l.line = m->line + 1;
				l.col = m->column + 1;
			}
			return l;
		}
		if (fy_node_get_type(n) == FYNT_MAPPING) {
			struct fy_node_pair *p =
			    fy_node_mapping_iterate(n, &it);

			n = p ? fy_node_pair_key(p) : NULL;
		} else {
			n = fy_node_sequence_iterate(n, &it);
		}
	}
	return l;
}

static void cerr(struct cctx *c, struct fy_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cerr(struct cctx *c, struct fy_node *n, const char *fmt, ...)
{
	struct loc l = cloc(c, n);
	va_list ap;

	c->errors++;
	fprintf(c->diag, "%s:%d:%d: error: ", l.file, l.line, l.col);
	va_start(ap, fmt);
	vfprintf(c->diag, fmt, ap);
	va_end(ap);
	fputc('\n', c->diag);
}

static char *scalar_dup(struct fy_node *n)
{
	const char *s;
	size_t len;

	if (!n || fy_node_get_type(n) != FYNT_SCALAR)
		return NULL;
	s = fy_node_get_scalar(n, &len);
	return sl__xstrndup(s ? s : "", s ? len : 0);
}

/* A JSON number as RFC 8259 writes it (so "0301" stays a string). */
static bool json_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* YAML to JSON, with YAML's core schema for plain scalars: numbers keep
 * their exact text, true/false/null are themselves, anything quoted is a
 * string. */
static cJSON *to_json(struct fy_node *n, int depth)
{
	void *it = NULL;
	cJSON *j;

	if (!n || depth > 32)
		return cJSON_CreateNull();
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: {
		char *s = scalar_dup(n);
		bool plain = fy_node_get_style(n) == FYNS_PLAIN;

		if (plain && (!*s || !strcmp(s, "null") || !strcmp(s, "~")))
			j = cJSON_CreateNull();
		else if (plain && !strcmp(s, "true"))
			j = cJSON_CreateTrue();
		else if (plain && !strcmp(s, "false"))
			j = cJSON_CreateFalse();
		else if (plain && json_number(s))
			j = cJSON_CreateRaw(s);
		else
			j = cJSON_CreateString(s);
		free(s);
		return j;
	}
	case FYNT_SEQUENCE: {
		struct fy_node *x;

		j = cJSON_CreateArray();
		while ((x = fy_node_sequence_iterate(n, &it)))
			cJSON_AddItemToArray(j, to_json(x, depth + 1));
		return j;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *p;

		j = cJSON_CreateObject();
		while ((p = fy_node_mapping_iterate(n, &it))) {
			char *k = scalar_dup(fy_node_pair_key(p));

			if (k)
				cJSON_AddItemToObject(
				    j, k,
				    to_json(fy_node_pair_value(p), depth + 1));
			free(k);
		}
		return j;
	}
	default:
		return cJSON_CreateNull();
	}
}

/* over's keys replace base's, recursively for objects (lists are
 * replaced whole).  Returns base, which now owns over's items. */
static cJSON *merge(cJSON *base, cJSON *over)
{
	cJSON *x;

	if (!cJSON_IsObject(base) || !cJSON_IsObject(over)) {
		cJSON_Delete(base);
		return over;
	}
	while ((x = over->child)) {
		cJSON *old;

		cJSON_DetachItemViaPointer(over, x);
		old = cJSON_GetObjectItemCaseSensitive(base, x->string);
		if (old) {
			cJSON_DetachItemViaPointer(base, old);
			if (cJSON_IsObject(old) && cJSON_IsObject(x)) {
				char *key = sl__xstrdup(x->string);

				cJSON_AddItemToObject(base, key, merge(old, x));
				free(key);
				continue;
			}
			cJSON_Delete(old);
		}
		cJSON_AddItemToObject(base, x->string, x);
	}
	cJSON_Delete(over);
	return base;
}

/* Does hit id `got` answer `want` (the id itself, or its namespace)? */
static bool id_matches(const char *got, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(got, want, n) && (got[n] == '\0' || got[n] == '.');
}

static bool bundle_has(const struct sl_bundle *b, const char *want)
{
	for (uint32_t r = 0; r < sl_bundle_rule_count(b); r++)
		if (id_matches(sl_bundle_rule_name(b, r), want))
			return true;
	return false;
}

struct idlist {
	VEC(char *) ids;
	bool given;
};

static void read_ids(struct cctx *c, const struct sl_bundle *b,
		     struct fy_node *n, struct idlist *out)
{
	void *it = NULL;
	struct fy_node *x;

	out->given = true;
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE) {
		cerr(c, n, "rules and not_rules are lists of rule ids");
		return;
	}
	while ((x = fy_node_sequence_iterate(n, &it))) {
		char *s = scalar_dup(x);

		if (!s) {
			cerr(c, x, "a rule id is a single value");
			continue;
		}
		if (!bundle_has(b, s))
			cerr(c, x,
			     "no rule in the bundle is named '%s' or '%s.*'", s,
			     s);
		vec_push(&out->ids, s);
	}
}

static void free_ids(struct idlist *l)
{
	for (size_t i = 0; i < l->ids.n; i++)
		free(l->ids.v[i]);
	vec_free(&l->ids);
}

static int verdict_of(const char *s)
{
	for (int v = 0; v < SL_VERDICT__COUNT; v++)
		if (!strcmp(s, sl_verdict_name((enum sl_verdict_kind)v)))
			return v;
	return -1;
}

/* Everything needed to screen cases; made once per file. */
struct runner {
	struct sl_bundle *b;
	struct sl_match_scratch *ms;
	struct sl_decoder *dec;
	sl_decl_t *d;
	struct sl_state *st;
	struct sl_screener *w;
	struct sl_registry *file_reg; /* `registry:` of the case file */
	char why_no_verdict[256];     /* "" when verdicts can be checked */
};

#if HAVE_REGISTRY
/* A registry naming one enterprise with the case's tier. */
static struct sl_registry *case_registry(const char *code, const char *tier,
					 bool negative, char *err, size_t cap)
{
	char csv[512];
	int n = snprintf(csv, sizeof(csv),
			 "code,name,tier,negative_list\n%s,test case,%s,%d\n",
			 code, tier, negative ? 1 : 0);

	if (n < 0 || (size_t)n >= sizeof(csv)) {
		snprintf(err, cap, "enterprise code too long");
		return NULL;
	}
	return sl_registry_parse(csv, (size_t)n, "case", err, cap);
}
#endif

/* Screens one case; prints its result.  Returns 1 when it failed. */
static int run_case(struct cctx *c, struct runner *rn, struct fy_node *cn,
		    cJSON *defaults, FILE *out, unsigned *unchecked)
{
	struct fy_node *decl = NULL, *vnode = NULL, *rnode = NULL,
		       *nnode = NULL;
	struct idlist must = {0}, mustnt = {0};
	char *name = NULL, *tier = NULL, *vstr = NULL, msg[2048] = "";
	bool negative = false, failed = false;
	size_t ml = 0;
	struct sl_hits hits;
	sl_error_t err;
	enum sl_errcode rc;
	unsigned before = c->errors;
	void *it = NULL;
	struct fy_node_pair *p;
	cJSON *j;
	char *json;
	int want_verdict = -1;
	struct loc at = cloc(c, cn);
	unsigned unchecked0 = *unchecked;

	if (!cn || fy_node_get_type(cn) != FYNT_MAPPING) {
		cerr(c, cn, "a case is a mapping with name, decl and checks");
		return 0;
	}
	while ((p = fy_node_mapping_iterate(cn, &it))) {
		char *k = scalar_dup(fy_node_pair_key(p));
		struct fy_node *v = fy_node_pair_value(p);

		if (!k)
			continue;
		if (!strcmp(k, "name"))
			name = scalar_dup(v);
		else if (!strcmp(k, "decl"))
			decl = v;
		else if (!strcmp(k, "tier"))
			tier = scalar_dup(v);
		else if (!strcmp(k, "negative_list")) {
			char *s = scalar_dup(v);

			negative = s && !strcmp(s, "true");
			free(s);
		} else if (!strcmp(k, "verdict"))
			vnode = v;
		else if (!strcmp(k, "rules"))
			rnode = v;
		else if (!strcmp(k, "not_rules"))
			nnode = v;
		else if (strcmp(k, "note"))
			cerr(c, fy_node_pair_key(p),
			     "unknown key '%s' in a case (expected name, tier, "
			     "negative_list, decl, rules, not_rules, verdict, "
			     "note)",
			     k);
		free(k);
	}
	if (!name)
		cerr(c, cn, "a case needs a name");
	if (!decl || fy_node_get_type(decl) != FYNT_MAPPING)
		cerr(c, decl ? decl : cn, "a case needs a decl mapping");
	if (rnode)
		read_ids(c, rn->b, rnode, &must);
	if (nnode)
		read_ids(c, rn->b, nnode, &mustnt);
	if (vnode) {
		vstr = scalar_dup(vnode);
		want_verdict = vstr ? verdict_of(vstr) : -1;
		if (want_verdict < 0)
			cerr(c, vnode,
			     "unknown verdict (release, hold, inspect, seize, "
			     "reject)");
	}
	if (tier && strcmp(tier, "advanced") && strcmp(tier, "general") &&
	    strcmp(tier, "dishonest") && strcmp(tier, "unknown"))
		cerr(c, cn, "unknown tier '%s'", tier);
	if (!must.given && !mustnt.given && !vnode)
		cerr(c, cn,
		     "case '%s' checks nothing: give rules, not_rules or "
		     "verdict",
		     name ? name : "");
	if (c->errors != before)
		goto out;

	j = merge(cJSON_Duplicate(defaults, true), to_json(decl, 0));
	json = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);

#define NOTE(...)                                                              \
	ml += (size_t)snprintf(                                                \
	    msg + ml, ml < sizeof(msg) ? sizeof(msg) - ml : 0, __VA_ARGS__)
	/* ---- rules, through the matcher */
	rc = sl_decode_json(rn->dec, json, strlen(json), rn->d, &err);
	if (rc == SL_OK)
		rc = sl_decl_validate(rn->d, &err);
	if (rc != SL_OK) {
		if (want_verdict != SL_VERDICT_REJECT || must.ids.n) {
			NOTE("      the declaration is rejected: %s %s: %s\n",
			     sl_errcode_name(rc), err.field, err.message);
			failed = true;
		}
	} else if (sl_match_decl(rn->b, rn->ms, rn->d, &hits)) {
		NOTE("      matching failed\n");
		failed = true;
	} else {
		for (size_t i = 0; i < must.ids.n; i++) {
			bool found = false;

			for (uint32_t h = 0; h < hits.n && !found; h++)
				found = id_matches(sl_bundle_rule_name(
						       rn->b, hits.hit[h].rule),
						   must.ids.v[i]);
			if (!found) {
				NOTE("      rule %s did not fire\n",
				     must.ids.v[i]);
				failed = true;
			}
		}
		for (uint32_t h = 0; h < hits.n; h++) {
			const char *id =
			    sl_bundle_rule_name(rn->b, hits.hit[h].rule);
			bool bad = must.given && must.ids.n == 0;

			for (size_t i = 0; i < mustnt.ids.n; i++)
				bad |= id_matches(id, mustnt.ids.v[i]);
			if (bad) {
				NOTE("      rule %s fired on %s but must not\n",
				     id,
				     hits.hit[h].field[0] ? hits.hit[h].field
							  : "the declaration");
				failed = true;
			}
		}
	}

	/* ---- verdict, through the screening entry point */
	if (want_verdict >= 0) {
		struct sl_snapshot *snap = NULL;
		struct sl_registry *reg = NULL;
		char serr[256] = "";
		sl_verdict_t v;

		if (rn->why_no_verdict[0]) {
			snprintf(serr, sizeof(serr), "%s", rn->why_no_verdict);
		} else {
#if HAVE_REGISTRY
			const char *code =
			    rc == SL_OK && rn->d->s[SL_DS_EBC_CODE].p
				? rn->d->s[SL_DS_EBC_CODE].p
				: "";
			size_t cl =
			    rc == SL_OK ? rn->d->s[SL_DS_EBC_CODE].n : 0;
			char cbuf[64];

			snprintf(cbuf, sizeof(cbuf), "%.*s", (int)cl, code);
			if (tier && strcmp(tier, "unknown"))
				reg = case_registry(cbuf, tier, negative, serr,
						    sizeof(serr));
			else if (!tier && rn->file_reg)
				reg = sl_registry_get(rn->file_reg);
			else if (!tier && cl)
				reg = case_registry(cbuf, "general", negative,
						    serr, sizeof(serr));
			if (reg || !serr[0])
#else
			(void)negative;
			if (tier && strcmp(tier, "unknown"))
				snprintf(
				    serr, sizeof(serr),
				    "this build has no enterprise registry "
				    "to give the case its tier");
			else
#endif
				snap = sl_snapshot_new(rn->b, reg, 1, serr,
						       sizeof(serr));
		}
		if (!snap) {
			NOTE("      verdict not checked: %s\n", serr);
			(*unchecked)++;
		} else {
			sl_screen_json(rn->w, snap, rn->st, json, strlen(json),
				       1, &v);
			if (v.verdict != want_verdict) {
				NOTE("      expected verdict %s, got %s", vstr,
				     sl_verdict_name(v.verdict));
				for (int r = 0; r < v.n_reasons; r++)
					NOTE("%s%s", r ? ", " : " (",
					     v.reasons[r].rule);
				if (v.verdict == SL_VERDICT_REJECT)
					NOTE(" (%s %s)",
					     sl_errcode_name(v.error.code),
					     v.error.field);
				NOTE("%s\n", v.n_reasons ? ")" : "");
				failed = true;
			}
			sl_snapshot_free(snap);
		}
#if HAVE_REGISTRY /* the snapshot took its own reference */
		if (reg)
			sl_registry_put(reg);
#endif
	}
	free(json);
	fprintf(out, "%s  %s  (%s:%d:%d)\n%s",
		failed			   ? "FAIL"
		: *unchecked != unchecked0 ? "part"
					   : "ok  ",
		name ? name : "", at.file, at.line, at.col, msg);
#undef NOTE
out:
	free(name);
	free(tier);
	free(vstr);
	free_ids(&must);
	free_ids(&mustnt);
	return failed;
}

static int runner_init(struct runner *rn, const char *bundle, FILE *diag)
{
	char err[512];
	struct sl_state_config sc;
	struct sl_snapshot *probe;

	rn->b = sl_bundle_load(bundle, err, sizeof(err));
	if (!rn->b) {
		fprintf(diag, "sluice-rulec: %s\n", err);
		return -1;
	}
	rn->ms = sl_match_scratch_new(rn->b);
	rn->dec = sl_decoder_new();
	rn->d = calloc(1, sizeof(*rn->d));
	rn->w = sl_screener_new(0);
	if (!rn->ms || !rn->dec || !rn->d || !rn->w) {
		fprintf(diag, "sluice-rulec: out of memory\n");
		return -1;
	}
	sl_state_config_defaults(&sc);
	sc.dir = NULL;
	sc.n_workers = 1;
	sc.buyers_per_worker = 4096;
	sc.windows_per_worker = 4096;
	rn->st = sl_state_open(&sc, err, sizeof(err));
	if (!rn->st) {
		fprintf(diag, "sluice-rulec: state: %s\n", err);
		return -1;
	}
	/* Can this build screen with a bundle at all? */
	probe = sl_snapshot_new(rn->b, NULL, 1, rn->why_no_verdict,
				sizeof(rn->why_no_verdict));
	if (probe) {
		rn->why_no_verdict[0] = '\0';
		sl_snapshot_free(probe);
	} else if (!rn->why_no_verdict[0]) {
		snprintf(rn->why_no_verdict, sizeof(rn->why_no_verdict),
			 "cannot make a snapshot");
	}
	return 0;
}

static void runner_fini(struct runner *rn)
{
	if (rn->st)
		sl_state_close(rn->st);
	sl_screener_free(rn->w);
	free(rn->d);
	sl_decoder_free(rn->dec);
	sl_match_scratch_free(rn->ms);
#if HAVE_REGISTRY
	if (rn->file_reg)
		sl_registry_put(rn->file_reg);
#endif
	sl_bundle_put(rn->b);
}

int sl_rulec_test(const char *bundle, const char *cases, FILE *out, FILE *diag)
{
	struct cctx c = {.file = cases, .diag = diag ? diag : stderr};
	struct runner rn = {0};
	struct fy_diag_cfg dc;
	struct fy_diag *fd;
	struct fy_parse_cfg cfg = {0};
	struct fy_document *doc;
	struct fy_diag_error *e;
	struct fy_node *root, *list = NULL;
	cJSON *defaults = NULL;
	unsigned failed = 0, total = 0, unchecked = 0;
	void *it = NULL;
	struct fy_node_pair *p;
	int ret = -1;

	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.colorize = false;
	fd = fy_diag_create(&dc);
	if (!fd)
		return -1;
	fy_diag_set_collect_errors(fd, true);
	cfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
	cfg.diag = fd;
	doc = fy_document_build_from_file(&cfg, cases);
	while ((e = fy_diag_errors_iterate(fd, &it)))
		fprintf(c.diag, "%s:%d:%d: error: YAML: %s\n", cases,
			e->line > 0 ? e->line : 1,
			e->column > 0 ? e->column : 1,
			e->msg ? e->msg : "syntax error");
	if (!doc) {
		if (!fy_diag_got_error(fd))
			fprintf(c.diag,
				"%s:1:1: error: cannot read the cases\n",
				cases);
		fy_diag_destroy(fd);
		return 1;
	}
	root = fy_document_root(doc);
	if (!root || fy_node_get_type(root) != FYNT_MAPPING) {
		cerr(&c, root, "a case file is a mapping with cases");
		ret = 1;
		goto free_doc;
	}
	if (runner_init(&rn, bundle, c.diag))
		goto fini;
	rcu_register_thread();
	it = NULL;
	while ((p = fy_node_mapping_iterate(root, &it))) {
		char *k = scalar_dup(fy_node_pair_key(p));
		struct fy_node *v = fy_node_pair_value(p);

		if (k && !strcmp(k, "cases")) {
			list = v;
		} else if (k && !strcmp(k, "defaults")) {
			if (!v || fy_node_get_type(v) != FYNT_MAPPING)
				cerr(&c, v,
				     "defaults is a declaration mapping");
			else
				defaults = to_json(v, 0);
		} else if (k && !strcmp(k, "registry")) {
			char *path = scalar_dup(v);
#if HAVE_REGISTRY
			char err[512], full[4096];
			const char *slash = strrchr(cases, '/');

			if (path && path[0] != '/' && slash)
				snprintf(full, sizeof(full), "%.*s/%s",
					 (int)(slash - cases), cases, path);
			else
				snprintf(full, sizeof(full), "%s",
					 path ? path : "");
			rn.file_reg = sl_registry_load(full, err, sizeof(err));
			if (!rn.file_reg)
				cerr(&c, v, "registry: %s", err);
#else
			cerr(&c, v,
			     "this build has no enterprise registry to load");
#endif
			free(path);
		} else {
			cerr(&c, fy_node_pair_key(p),
			     "unknown key '%s' in a case file (expected "
			     "registry, defaults, cases)",
			     k ? k : "?");
		}
		free(k);
	}
	if (!list || fy_node_get_type(list) != FYNT_SEQUENCE) {
		cerr(&c, list ? list : root, "cases is a list of cases");
	} else if (!c.errors) {
		struct fy_node *x;

		if (!defaults)
			defaults = cJSON_CreateObject();
		it = NULL;
		while ((x = fy_node_sequence_iterate(list, &it))) {
			total++;
			failed += (unsigned)run_case(&c, &rn, x, defaults, out,
						     &unchecked);
			rcu_quiescent_state();
		}
	}
	rcu_unregister_thread();
	if (!c.errors) {
		fprintf(out, "%u cases: %u passed, %u failed", total,
			total - failed, failed);
		if (unchecked)
			fprintf(out, ", %u verdicts not checked (%s)",
				unchecked,
				rn.why_no_verdict[0] ? rn.why_no_verdict
						     : "see above");
		fputc('\n', out);
		ret = (int)failed;
	} else {
		fprintf(c.diag, "sluice-rulec: %u error%s in %s\n", c.errors,
			c.errors == 1 ? "" : "s", cases);
		ret = (int)(c.errors + failed);
	}
fini:
	runner_fini(&rn);
free_doc:
	cJSON_Delete(defaults);
	fy_document_destroy(doc);
	fy_diag_destroy(fd);
	return ret;
}
