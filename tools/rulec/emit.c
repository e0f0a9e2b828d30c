/* sluice-rulec: terms into Hyperscan expressions, the bundle file.
 *
 * Terms are normalised exactly as declarations are at run time
 * (sl_normalize), so the run time only scans.  A literal term becomes an
 * escaped byte sequence; where it begins or ends with an ASCII letter or
 * digit that edge must be a word boundary ("gun" does not match "begun"),
 * unless the officer wrote a '*' there ("pistol*" matches "pistols").
 * Chinese has no word boundaries, so a CJK edge matches anywhere.  Regexes
 * are compiled as written, case-insensitive, UTF-8, multi-line (^ and $ at
 * field boundaries), and with start-of-match reporting when an `unless`
 * needs to know where a match began.  Identical expressions are compiled
 * once and fan out to every condition that uses them.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>
#include <utf8proc.h>
#include <xxhash.h>

#include <sluice/normalize.h>

#include "rulec-int.h"

/* ------------------------------------------------------------ patterns */

struct tgt {
	uint32_t leaf;
	uint8_t role;
	uint8_t bounds;
};

struct pat {
	char *expr;
	char *text;
	uint32_t flags;
	uint32_t len;
	uint32_t origin;
	struct loc loc; /* first term that produced it */
	VEC(struct tgt) tgts;
};

struct pats {
	VEC(struct pat) v;
	uint32_t *tab; /* open addressing: index + 1, 0 = empty */
	size_t tab_cap;
};

static uint64_t pat_hash(const char *expr, uint32_t flags)
{
	return XXH3_64bits_withSeed(expr, strlen(expr), flags);
}

static void pats_grow(struct pats *ps)
{
	size_t cap = ps->tab_cap ? ps->tab_cap * 2 : 1024;
	uint32_t *tab = sl__xcalloc(cap, sizeof(uint32_t));

	for (size_t i = 0; i < ps->v.n; i++) {
		size_t h =
		    pat_hash(ps->v.v[i].expr, ps->v.v[i].flags) & (cap - 1);

		while (tab[h])
			h = (h + 1) & (cap - 1);
		tab[h] = (uint32_t)i + 1;
	}
	free(ps->tab);
	ps->tab = tab;
	ps->tab_cap = cap;
}

/* Adds target (leaf, role) to the pattern for (expr, flags), making the
 * pattern if it is new.  expr and text are copied. */
static void pats_add(struct pats *ps, const char *expr, const char *text,
		     uint32_t flags, uint32_t len, uint32_t origin,
		     struct loc loc, uint32_t leaf, uint8_t role,
		     uint8_t bounds)
{
	struct pat *p;
	size_t h;
	struct tgt t = {leaf, role, bounds};

	if ((ps->v.n + 1) * 2 > ps->tab_cap)
		pats_grow(ps);
	h = pat_hash(expr, flags) & (ps->tab_cap - 1);
	while (ps->tab[h]) {
		p = &ps->v.v[ps->tab[h] - 1];
		if (p->flags == flags && !strcmp(p->expr, expr))
			goto found;
		h = (h + 1) & (ps->tab_cap - 1);
	}
	{
		struct pat np = {.expr = sl__xstrdup(expr),
				 .text = sl__xstrdup(text),
				 .flags = flags,
				 .len = len,
				 .origin = origin,
				 .loc = loc};

		vec_push(&ps->v, np);
		ps->tab[h] = (uint32_t)ps->v.n;
		p = &ps->v.v[ps->v.n - 1];
	}
found:
	for (size_t i = 0; i < p->tgts.n; i++)
		if (p->tgts.v[i].leaf == leaf && p->tgts.v[i].role == role &&
		    p->tgts.v[i].bounds == bounds)
			return;
	vec_push(&p->tgts, t);
}

static void pats_free(struct pats *ps)
{
	for (size_t i = 0; i < ps->v.n; i++) {
		free(ps->v.v[i].expr);
		free(ps->v.v[i].text);
		vec_free(&ps->v.v[i].tgts);
	}
	vec_free(&ps->v);
	free(ps->tab);
}

static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The Hyperscan expression for a normalised literal: its bytes, escaped.
 * Word edges are checked in the match callback (SL__BOUND_*). */
static char *literal_expr(const char *t, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *e = sl__xrealloc(NULL, n * 4 + 1), *w = e;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			*w++ = (char)c;
		} else {
			*w++ = '\\';
			*w++ = 'x';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w = '\0';
	return e;
}

/* Which edges of normalised literal t must be word boundaries: those
 * that are ASCII letters or digits, unless written open with '*'. */
static uint8_t literal_bounds(const char *t, size_t n, bool open_start,
			      bool open_end, bool exact)
{
	uint8_t b = 0;

	if (exact)
		return SL__BOUND_FIELD;
	if (!open_start && is_word((unsigned char)t[0]))
		b |= SL__BOUND_START;
	if (!open_end && is_word((unsigned char)t[n - 1]))
		b |= SL__BOUND_END;
	return b;
}

static uint32_t leaf_max_bytes(const struct leaf *l)
{
	uint32_t m = 0;

	for (int f = 0; f < SL__TF__COUNT; f++)
		if ((l->fields & (1u << f)) && sl__tf_max[f] > m)
			m = sl__tf_max[f];
	return m * SL_NORM_EXPANSION;
}

/* One literal term (as written, maybe with '*' edges) of leaf li. */
static void add_literal(struct sl_rulec *rc, struct pats *ps,
			struct sl_rulec_stats *st, uint32_t li,
			const struct term *t)
{
	const struct leaf *l = &rc->leaves.v[li];
	const char *s = t->text;
	size_t n = strlen(s), nl;
	bool open_start = false, open_end = false;
	const char *norm;
	char *copy, **vars;

	if (n && s[0] == '*')
		open_start = true, s++, n--;
	if (n && s[n - 1] == '*')
		open_end = true, n--;
	norm = sl__rc_norm(rc, s, n, &nl);
	if (!norm) {
		sl__rc_error(rc, &t->loc, "term '%s' is not valid UTF-8",
			     t->text);
		return;
	}
	if (nl == 0) {
		sl__rc_error(rc, &t->loc,
			     "term '%s' is empty after normalisation (only "
			     "white space, zero-width or control characters): "
			     "it would match nothing",
			     t->text);
		return;
	}
	if (nl > leaf_max_bytes(l)) {
		sl__rc_error(rc, &t->loc,
			     "term is %zu bytes after normalisation, longer "
			     "than any field it looks at can be: it can never "
			     "match",
			     nl);
		return;
	}
	copy = sl__xstrndup(norm, nl);
	{
		char *e = literal_expr(copy, nl);

		pats_add(
		    ps, e, copy, 0, (uint32_t)nl,
		    t->variant ? SL__PAT_VARIANT : SL__PAT_TERM, t->loc, li,
		    t->role,
		    literal_bounds(copy, nl, open_start, open_end, t->exact));
		free(e);
	}
	if (t->role == SL__ROLE_TERM)
		st->terms++;
	if (!rc->o.no_variants && !t->variant) {
		vars = sl__rc_variants(rc, copy);
		if (!vars) {
			sl__rc_error(rc, &t->loc,
				     "cannot open OpenCC's conversion "
				     "configurations (s2t.json, s2tw.json, "
				     "s2hk.json, t2s.json): install opencc");
		}
		for (size_t i = 0; vars && vars[i]; i++) {
			const char *vn =
			    sl__rc_norm(rc, vars[i], strlen(vars[i]), &nl);

			if (vn && nl) {
				char *vc = sl__xstrndup(vn, nl);
				char *e = literal_expr(vc, nl);

				pats_add(ps, e, vc, 0, (uint32_t)nl,
					 SL__PAT_VARIANT, t->loc, li, t->role,
					 literal_bounds(vc, nl, open_start,
							open_end, t->exact));
				st->variants++;
				free(e);
				free(vc);
			}
			free(vars[i]);
		}
		free(vars);
	}
	free(copy);
}

/* Reports characters of a regex that normalised text never contains. */
static bool regex_chars_ok(struct sl_rulec *rc, const struct term *t)
{
	const char *s = t->text;
	size_t len = strlen(s), off = 0;

	while (off < len) {
		int32_t c;
		utf8proc_ssize_t k =
		    utf8proc_iterate((const utf8proc_uint8_t *)s + off,
				     (utf8proc_ssize_t)(len - off), &c);
		size_t nl;
		const char *n;

		if (k <= 0) {
			sl__rc_error(rc, &t->loc, "regex is not valid UTF-8");
			return false;
		}
		if (c >= 0x80) {
			n = sl__rc_norm(rc, s + off, (size_t)k, &nl);
			if (!n || nl != (size_t)k ||
			    memcmp(n, s + off, (size_t)k)) {
				if (n && nl)
					sl__rc_error(
					    rc, &t->loc,
					    "regex contains '%.*s' (U+%04X), "
					    "which normalised text never "
					    "contains; write '%s'",
					    (int)k, s + off, (unsigned)c, n);
				else
					sl__rc_error(
					    rc, &t->loc,
					    "regex contains U+%04X, which "
					    "normalisation removes",
					    (unsigned)c);
				return false;
			}
		}
		off += (size_t)k;
	}
	return true;
}

#define REGEX_FLAGS (HS_FLAG_UTF8 | HS_FLAG_CASELESS | HS_FLAG_MULTILINE)

static bool regex_valid(const char *expr, uint32_t flags, char *msg, size_t cap)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *ce = NULL;
	bool ok;

	if (hs_expression_info(expr, flags, &info, &ce) != HS_SUCCESS) {
		snprintf(msg, cap, "%s", ce && ce->message ? ce->message : "?");
		hs_free_compile_error(ce);
		return false;
	}
	ok = info->min_width > 0;
	if (!ok)
		snprintf(msg, cap,
			 "it matches the empty string, so it would "
			 "match every field");
	free(info);
	return ok;
}

static void add_regex(struct sl_rulec *rc, struct pats *ps,
		      struct sl_rulec_stats *st, uint32_t li,
		      const struct term *t)
{
	bool som = t->role == SL__ROLE_UNLESS;
	uint32_t flags;
	char msg[256], **vars;

	for (size_t i = 0; i < rc->leaves.v[li].terms.n && !som; i++)
		som = rc->leaves.v[li].terms.v[i].role == SL__ROLE_UNLESS;
	for (size_t i = 0; i < rc->leaves.v[li].lists.n && !som; i++)
		som = rc->leaves.v[li].lists.v[i].role == SL__ROLE_UNLESS;
	flags = REGEX_FLAGS | (som ? HS_FLAG_SOM_LEFTMOST : 0);
	if (!regex_chars_ok(rc, t))
		return;
	if (!regex_valid(t->text, flags, msg, sizeof(msg))) {
		sl__rc_error(rc, &t->loc, "bad regex '%s': %s", t->text, msg);
		return;
	}
	pats_add(ps, t->text, t->text, flags, 0, SL__PAT_REGEX, t->loc, li,
		 t->role, 0);
	st->regexes++;
	if (rc->o.no_variants)
		return;
	vars = sl__rc_variants(rc, t->text);
	for (size_t i = 0; vars && vars[i]; i++) {
		/* A variant that does not compile is skipped: the regex as
		 * written is what the officer answers for. */
		if (regex_valid(vars[i], flags, msg, sizeof(msg))) {
			pats_add(ps, vars[i], vars[i], flags, 0,
				 SL__PAT_REGEX_VARIANT, t->loc, li, t->role, 0);
			st->variants++;
		}
		free(vars[i]);
	}
	free(vars);
}

/* ---------------------------------------------------------- resolution */

static const char *const kind_names[LK__COUNT] = {[LK_HS] = "hs",
						  [LK_BANDS] = "bands",
						  [LK_TERMS] = "terms",
						  [LK_COUNTRIES] = "countries"};

static struct list *use_list(struct sl_rulec *rc, const char *name,
			     const struct loc *at, uint8_t kind)
{
	struct list *l = sl__rc_list_find(rc, name);

	if (!l) {
		sl__rc_error(
		    rc, at, "unknown list '%s' (define it under lists:)", name);
		return NULL;
	}
	if (l->failed || l->kind >= LK__COUNT)
		return NULL; /* its definition was reported already */
	if (l->kind != kind) {
		sl__rc_error(rc, at,
			     "list '%s' is a %s list; a %s list is needed "
			     "here",
			     name, kind_names[l->kind], kind_names[kind]);
		return NULL;
	}
	return sl__rc_list_load(rc, l) ? l : NULL;
}

static void resolve(struct sl_rulec *rc)
{
	for (size_t i = 0; i < rc->nodes.n; i++) {
		struct node *n = &rc->nodes.v[i];
		uint8_t kind;

		if (!n->list)
			continue;
		kind = n->kind == SL__N_HS     ? LK_HS
		       : n->kind == SL__N_BAND ? LK_BANDS
					       : LK_COUNTRIES;
		use_list(rc, n->list, &n->loc, kind);
	}
	for (size_t i = 0; i < rc->leaves.n; i++) {
		struct leaf *lf = &rc->leaves.v[i];

		for (size_t k = 0; k < lf->lists.n; k++) {
			struct listref *r = &lf->lists.v[k];
			struct list *l =
			    use_list(rc, r->name, &r->loc, LK_TERMS);

			for (size_t j = 0; l && j < l->terms.n; j++) {
				struct term t = l->terms.v[j];

				t.text = sl__xstrdup(t.text);
				t.role = r->role;
				t.exact = r->exact;
				vec_push(&lf->terms, t);
			}
		}
	}
}

/* ------------------------------------------------------------- output */

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap * 2 : 65536;

		while (c < b->n + n)
			c *= 2;
		b->p = sl__xrealloc(b->p, c);
		b->cap = c;
	}
	if (n) /* p may be NULL for an empty section (UBSan) */
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void sect(struct buf *b, uint32_t tag, uint32_t elem, const void *p,
		 size_t n)
{
	struct sl__bsect h = {.tag = tag, .elem_size = elem, .size = n};
	static const char zero[8];

	buf_put(b, &h, sizeof(h));
	buf_put(b, p, n);
	buf_put(b, zero, (8 - n % 8) % 8);
}

static uint32_t str_add(struct buf *s, const char *str)
{
	uint32_t off = (uint32_t)s->n;

	buf_put(s, str ? str : "", strlen(str ? str : "") + 1);
	return off;
}

static int write_atomic(struct sl_rulec *rc, const char *out, const void *p,
			size_t n)
{
	size_t need = strlen(out) + 16;
	char *tmp = sl__xrealloc(NULL, need), *dcopy;
	const char *w = p;
	int fd, dfd;
	struct loc at = {out, 1, 1};

	snprintf(tmp, need, "%s.XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0) {
		sl__rc_error(rc, &at, "cannot create a file next to it: %s",
			     strerror(errno));
		free(tmp);
		return -1;
	}
	while (n) {
		ssize_t k = write(fd, w, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto fail;
		w += k;
		n -= (size_t)k;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, out) < 0)
		goto fail;
	/* The rename is durable once the directory is. */
	dcopy = sl__xstrdup(out);
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	free(tmp);
	return 0;

fail:
	sl__rc_error(rc, &at, "cannot write the bundle: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

static int64_t creation_time(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
	char *end;

	if (s && *s) {
		long long v = strtoll(s, &end, 10);

		if (!*end && v >= 0)
			return v;
	}
	return (int64_t)time(NULL);
}

/* Emits nodes, values and bands of the IR into the section buffers. */
struct tables {
	VEC(struct sl__bnode) nodes;
	VEC(uint32_t) kids;
	VEC(uint64_t) vals;
	VEC(struct sl__bband) bands;
};

static void emit_node(struct sl_rulec *rc, struct tables *t, uint32_t i)
{
	struct node *n = &rc->nodes.v[i];
	struct sl__bnode b = {.kind = n->kind,
			      .op = n->op,
			      .subject = n->subject,
			      .value = n->value};

	switch (n->kind) {
	case SL__N_ALL:
	case SL__N_ANY:
	case SL__N_NOT:
		b.a = (uint32_t)t->kids.n;
		b.n = (uint32_t)n->kids.n;
		for (size_t k = 0; k < n->kids.n; k++)
			vec_push(&t->kids, n->kids.v[k]);
		break;
	case SL__N_TEXT:
		b.a = n->leaf;
		break;
	case SL__N_HS:
	case SL__N_ORIGIN:
	case SL__N_SENDER_COUNTRY:
		if (n->list) {
			struct list *l = sl__rc_list_find(rc, n->list);

			if (!l->emitted) {
				l->a = (uint32_t)t->vals.n;
				l->n = (uint32_t)l->vals.n;
				for (size_t k = 0; k < l->vals.n; k++)
					vec_push(&t->vals, l->vals.v[k]);
				l->emitted = true;
			}
			b.a = l->a;
			b.n = l->n;
		} else {
			b.a = (uint32_t)t->vals.n;
			b.n = (uint32_t)n->vals.n;
			for (size_t k = 0; k < n->vals.n; k++)
				vec_push(&t->vals, n->vals.v[k]);
		}
		break;
	case SL__N_BAND: {
		struct list *l = sl__rc_list_find(rc, n->list);

		if (!l->emitted) {
			l->a = (uint32_t)t->bands.n;
			l->n = (uint32_t)l->bands.n;
			for (size_t k = 0; k < l->bands.n; k++)
				vec_push(&t->bands, l->bands.v[k]);
			l->emitted = true;
		}
		b.a = l->a;
		b.n = l->n;
		break;
	}
	default:
		break;
	}
	vec_push(&t->nodes, b);
}

int sl__rc_emit(struct sl_rulec *rc, const char *out, struct sl_rulec_stats *st)
{
	struct pats ps = {0};
	struct tables t = {0};
	struct buf img = {0}, strs = {0};
	VEC(struct sl__brule) rules = {0};
	VEC(struct sl__bleaf) leaves = {0};
	VEC(struct sl__bpat) bpats = {0};
	VEC(struct sl__btgt) tgts = {0};
	VEC(struct sl__bsrc) srcs = {0};
	hs_database_t *db = NULL;
	char *ser = NULL;
	size_t ser_len = 0;
	hs_platform_info_t plat = {0};
	struct sl__bhdr h = {0};
	char msg[256];
	double t0 = sl__now();

	resolve(rc);
	/* Patterns of every text condition. */
	for (uint32_t li = 0; li < rc->leaves.n; li++) {
		struct leaf *l = &rc->leaves.v[li];
		size_t n_terms = l->terms.n; /* variants are not re-expanded */

		for (size_t k = 0; k < n_terms; k++) {
			struct term tm = l->terms.v[k];

			if (tm.kind == TK_REGEX)
				add_regex(rc, &ps, st, li, &tm);
			else
				add_literal(rc, &ps, st, li, &tm);
		}
	}
	if (rc->have_policy && sl_policy_check(&rc->policy, msg, sizeof(msg)))
		sl__rc_error(rc, &rc->policy_loc, "policy: %s", msg);
	st->rules = (uint32_t)rc->rules.n;
	st->patterns = (uint32_t)ps.v.n;
	st->parse_s = rc->parse_s + (sl__now() - t0);
	if (rc->errors)
		goto out;

	if (hs_populate_platform(&plat) != HS_SUCCESS) {
		struct loc at = {out ? out : "bundle", 1, 1};

		sl__rc_error(rc, &at,
			     "cannot read this machine's CPU features");
		goto out;
	}
	if (rc->o.target && strcmp(rc->o.target, "native")) {
		struct loc at = {out ? out : "bundle", 1, 1};
		uint64_t want;

		if (!strcmp(rc->o.target, "avx512"))
			want = HS_CPU_FEATURES_AVX2 | HS_CPU_FEATURES_AVX512;
		else if (!strcmp(rc->o.target, "avx2"))
			want = HS_CPU_FEATURES_AVX2;
		else if (!strcmp(rc->o.target, "generic"))
			want = 0;
		else {
			sl__rc_error(rc, &at,
				     "unknown target '%s' (native, avx512, "
				     "avx2, generic)",
				     rc->o.target);
			goto out;
		}
		plat.cpu_features = want;
		plat.tune = HS_TUNE_FAMILY_GENERIC;
	}
	if (ps.v.n && !rc->o.no_database) {
		const char **exprs = sl__xcalloc(ps.v.n, sizeof(char *));
		unsigned *flags = sl__xcalloc(ps.v.n, sizeof(unsigned));
		unsigned *ids = sl__xcalloc(ps.v.n, sizeof(unsigned));
		hs_compile_error_t *ce = NULL;
		double c0 = sl__now();
		hs_error_t he;

		for (size_t i = 0; i < ps.v.n; i++) {
			exprs[i] = ps.v.v[i].expr;
			flags[i] = ps.v.v[i].flags;
			ids[i] = (unsigned)i;
		}
		he = hs_compile_ext_multi(exprs, flags, ids, NULL,
					  (unsigned)ps.v.n, HS_MODE_BLOCK,
					  &plat, &db, &ce);
		st->compile_s = sl__now() - c0;
		if (he != HS_SUCCESS) {
			struct loc at = {rc->sources.n ? rc->sources.v[0].path
						       : "rules",
					 1, 1};

			if (ce && ce->expression >= 0 &&
			    (size_t)ce->expression < ps.v.n)
				at = ps.v.v[ce->expression].loc;
			sl__rc_error(rc, &at, "Hyperscan cannot compile %s: %s",
				     ce && ce->expression >= 0 ? "this pattern"
							       : "the rule set",
				     ce && ce->message ? ce->message : "?");
			hs_free_compile_error(ce);
		}
		free(exprs);
		free(flags);
		free(ids);
		if (he != HS_SUCCESS)
			goto out;
		hs_database_size(db, &st->db_bytes);
		if (hs_serialize_database(db, &ser, &ser_len) != HS_SUCCESS) {
			struct loc at = {out ? out : "bundle", 1, 1};

			sl__rc_error(rc, &at,
				     "cannot serialize the Hyperscan database");
			goto out;
		}
	}
	if (!out)
		goto out;

	/* ------------------------------------------------ tables */
	str_add(&strs, ""); /* offset 0: the empty string */
	for (size_t i = 0; i < rc->nodes.n; i++)
		emit_node(rc, &t, (uint32_t)i);
	for (size_t i = 0; i < rc->rules.n; i++) {
		struct rule *r = &rc->rules.v[i];
		struct sl__brule b = {.id = str_add(&strs, r->id),
				      .title = str_add(&strs, r->title),
				      .source = str_add(&strs, r->source),
				      .file = str_add(&strs, r->loc.file),
				      .line = (uint32_t)r->loc.line,
				      .col = (uint32_t)r->loc.col,
				      .root = r->root,
				      .points = r->points,
				      .action = r->action};

		vec_push(&rules, b);
	}
	for (size_t i = 0; i < rc->leaves.n; i++) {
		struct sl__bleaf b = {.fields = rc->leaves.v[i].fields};

		vec_push(&leaves, b);
	}
	for (size_t i = 0; i < ps.v.n; i++) {
		struct pat *p = &ps.v.v[i];
		struct sl__bpat b = {.expr = str_add(&strs, p->expr),
				     .text = str_add(&strs, p->text),
				     .tgt = (uint32_t)tgts.n,
				     .n_tgt = (uint32_t)p->tgts.n,
				     .len = p->len,
				     .hs_flags = p->flags,
				     .origin = p->origin};

		for (size_t k = 0; k < p->tgts.n; k++) {
			struct sl__btgt bt = {.leaf = p->tgts.v[k].leaf,
					      .role = p->tgts.v[k].role,
					      .bounds = p->tgts.v[k].bounds};

			vec_push(&tgts, bt);
		}
		vec_push(&bpats, b);
	}
	for (size_t i = 0; i < rc->sources.n; i++) {
		struct sl__bsrc b = {.path =
					 str_add(&strs, rc->sources.v[i].path)};

		memcpy(b.sha256, rc->sources.v[i].sha256, 32);
		vec_push(&srcs, b);
	}

	/* ------------------------------------------------ image */
	memcpy(h.magic, SL__BUNDLE_MAGIC, 8);
	h.version = SL__BUNDLE_VERSION;
	h.hdr_size = sizeof(h);
	h.created = creation_time();
	h.hs_features = plat.cpu_features;
	h.hs_tune = plat.tune;
	h.n_rules = (uint32_t)rules.n;
	h.n_patterns = (uint32_t)bpats.n;
	h.n_sources = (uint32_t)srcs.n;
	snprintf(h.hs_version, sizeof(h.hs_version), "%s", hs_version());
	buf_put(&img, &h, sizeof(h));
	sect(&img, SL__SECT_STR, 1, strs.p, strs.n);
	sect(&img, SL__SECT_RULE, sizeof(struct sl__brule), rules.v,
	     rules.n * sizeof(struct sl__brule));
	sect(&img, SL__SECT_NODE, sizeof(struct sl__bnode), t.nodes.v,
	     t.nodes.n * sizeof(struct sl__bnode));
	sect(&img, SL__SECT_KIDS, sizeof(uint32_t), t.kids.v,
	     t.kids.n * sizeof(uint32_t));
	sect(&img, SL__SECT_LEAF, sizeof(struct sl__bleaf), leaves.v,
	     leaves.n * sizeof(struct sl__bleaf));
	sect(&img, SL__SECT_PATN, sizeof(struct sl__bpat), bpats.v,
	     bpats.n * sizeof(struct sl__bpat));
	sect(&img, SL__SECT_TRGT, sizeof(struct sl__btgt), tgts.v,
	     tgts.n * sizeof(struct sl__btgt));
	sect(&img, SL__SECT_VALS, sizeof(uint64_t), t.vals.v,
	     t.vals.n * sizeof(uint64_t));
	sect(&img, SL__SECT_BAND, sizeof(struct sl__bband), t.bands.v,
	     t.bands.n * sizeof(struct sl__bband));
	sect(&img, SL__SECT_SRCS, sizeof(struct sl__bsrc), srcs.v,
	     srcs.n * sizeof(struct sl__bsrc));
	sect(&img, SL__SECT_PLCY, sizeof(struct sl_policy), &rc->policy,
	     sizeof(struct sl_policy));
	sect(&img, SL__SECT_HSDB, 1, ser, ser_len);
	{
		struct sl__bhdr *hp = (struct sl__bhdr *)img.p;
		char id[SL_SHORT_ID_MAX];

		hp->file_size = img.n;
		sl__bundle_digest(img.p, img.n, hp->sha256, id);
		memcpy(hp->id, id, sizeof(id));
		memcpy(st->id, id, sizeof(id));
	}
	st->file_bytes = img.n;
	write_atomic(rc, out, img.p, img.n);

out:
	pats_free(&ps);
	vec_free(&t.nodes);
	vec_free(&t.kids);
	vec_free(&t.vals);
	vec_free(&t.bands);
	vec_free(&rules);
	vec_free(&leaves);
	vec_free(&bpats);
	vec_free(&tgts);
	vec_free(&srcs);
	free(img.p);
	free(strs.p);
	free(ser);
	if (db)
		hs_free_database(db);
	return (int)rc->errors;
}
