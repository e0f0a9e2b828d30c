/* sluice-rulec: the CSV lists rules reference (libcsv, RFC 4180).
 *
 * Every list file has a header row naming its columns; columns are found
 * by name, so officers may add their own (descriptions, notes) anywhere:
 *
 *   hs         hs_prefix
 *   bands      hs_prefix, origin (ISO 3166-1, "*" or empty = any),
 *              low_cny, high_cny (the reference band per unit, CNY)
 *   terms      term
 *   countries  country
 *
 * Errors name the file and the line of the offending row.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "rulec-int.h"

#define MAX_COLS 32

enum col { C_HS, C_ORIGIN, C_LOW, C_HIGH, C_TERM, C_COUNTRY, C__COUNT };
static const char *const col_names[C__COUNT] = {
    [C_HS] = "hs_prefix",  [C_ORIGIN] = "origin", [C_LOW] = "low_cny",
    [C_HIGH] = "high_cny", [C_TERM] = "term",	  [C_COUNTRY] = "country"};

struct csvctx {
	struct sl_rulec *rc;
	struct list *l;
	const char *file;    /* interned */
	int line;	     /* physical line being parsed (1-based) */
	int row;	     /* rows seen, header = 1 */
	int col;	     /* field index in the row */
	int where[C__COUNT]; /* column index of each known column, -1 */
	char *f[MAX_COLS];   /* fields of the current row */
	bool header_bad;
};

struct list *sl__rc_list_find(struct sl_rulec *rc, const char *name)
{
	for (size_t i = 0; i < rc->lists.n; i++)
		if (!strcmp(rc->lists.v[i].name, name))
			return &rc->lists.v[i];
	return NULL;
}

static void on_field(void *data, size_t len, void *arg)
{
	struct csvctx *c = arg;

	if (c->col < MAX_COLS)
		c->f[c->col] = sl__xstrndup(data ? data : "", len);
	c->col++;
}

static const char *field(struct csvctx *c, enum col k)
{
	int i = c->where[k];

	return i >= 0 && i < c->col && i < MAX_COLS && c->f[i] ? c->f[i] : "";
}

static void header(struct csvctx *c)
{
	static const enum col need[LK__COUNT][3] = {
	    [LK_HS] = {C_HS, C__COUNT, C__COUNT},
	    [LK_BANDS] = {C_HS, C_LOW, C__COUNT},
	    [LK_TERMS] = {C_TERM, C__COUNT, C__COUNT},
	    [LK_COUNTRIES] = {C_COUNTRY, C__COUNT, C__COUNT},
	};
	struct loc at = {c->file, c->line, 1};

	for (int k = 0; k < C__COUNT; k++) {
		c->where[k] = -1;
		for (int i = 0; i < c->col && i < MAX_COLS; i++)
			if (!strcmp(c->f[i], col_names[k]))
				c->where[k] = i;
	}
	for (int j = 0; j < 3; j++) {
		enum col k = need[c->l->kind][j];

		if (k != C__COUNT && c->where[k] < 0) {
			sl__rc_error(c->rc, &at,
				     "list '%s': the header has no column '%s'",
				     c->l->name, col_names[k]);
			c->header_bad = true;
		}
	}
}

static void row(struct csvctx *c)
{
	struct sl_rulec *rc = c->rc;
	struct list *l = c->l;
	struct loc at = {c->file, c->line, 1};
	uint64_t key;
	int64_t low, high = 0;
	const char *s;

	switch (l->kind) {
	case LK_HS:
		s = field(c, C_HS);
		if (sl__parse_hs(s, strlen(s), &key))
			sl__rc_error(rc, &at,
				     "'%s' is not an HS code prefix (1 to 10 "
				     "digits)",
				     s);
		else
			vec_push(&l->vals, key);
		break;
	case LK_COUNTRIES:
		s = field(c, C_COUNTRY);
		if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
		    s[1] > 'Z' ||
		    !sl__rc_country_ok(rc, SL_COUNTRY(s[0], s[1])))
			sl__rc_error(
			    rc, &at,
			    "'%s' is not an ISO 3166-1 alpha-2 country", s);
		else
			vec_push(&l->vals, SL_COUNTRY(s[0], s[1]));
		break;
	case LK_TERMS: {
		struct term t = {.loc = at, .kind = TK_TERM};

		s = field(c, C_TERM);
		if (!*s) {
			sl__rc_error(rc, &at, "empty term");
			break;
		}
		t.text = sl__xstrdup(s);
		vec_push(&l->terms, t);
		break;
	}
	case LK_BANDS: {
		struct sl__bband b = {0};
		const char *o = field(c, C_ORIGIN);

		s = field(c, C_HS);
		if (sl__parse_hs(s, strlen(s), &key)) {
			sl__rc_error(rc, &at,
				     "'%s' is not an HS code prefix (1 to 10 "
				     "digits)",
				     s);
			break;
		}
		b.prefix = key;
		if (*o && strcmp(o, "*")) {
			if (strlen(o) != 2 || o[0] < 'A' || o[0] > 'Z' ||
			    o[1] < 'A' || o[1] > 'Z' ||
			    !sl__rc_country_ok(rc, SL_COUNTRY(o[0], o[1]))) {
				sl__rc_error(rc, &at,
					     "origin '%s' is not an ISO 3166-1 "
					     "alpha-2 country or '*'",
					     o);
				break;
			}
			b.origin = SL_COUNTRY(o[0], o[1]);
		}
		s = field(c, C_LOW);
		if (sl__parse_fixed(s, &low) || low <= 0) {
			sl__rc_error(rc, &at,
				     "low_cny '%s' is not a positive amount",
				     s);
			break;
		}
		s = field(c, C_HIGH);
		if (*s && (sl__parse_fixed(s, &high) || high < low)) {
			sl__rc_error(
			    rc, &at,
			    "high_cny '%s' is not an amount >= low_cny", s);
			break;
		}
		b.low_cny = low;
		b.high_cny = high;
		for (size_t i = 0; i < l->bands.n; i++)
			if (l->bands.v[i].prefix == b.prefix &&
			    l->bands.v[i].origin == b.origin) {
				sl__rc_error(rc, &at,
					     "a second band for hs_prefix %s "
					     "and this origin",
					     field(c, C_HS));
				return;
			}
		vec_push(&l->bands, b);
		break;
	}
	}
}

static void on_row(int term, void *arg)
{
	struct csvctx *c = arg;

	(void)term;
	c->row++;
	if (c->col > MAX_COLS) {
		struct loc at = {c->file, c->line, 1};

		sl__rc_error(c->rc, &at, "more than %d columns", MAX_COLS);
	} else if (c->row == 1) {
		header(c);
	} else if (!c->header_bad) {
		row(c);
	}
	for (int i = 0; i < c->col && i < MAX_COLS; i++) {
		free(c->f[i]);
		c->f[i] = NULL;
	}
	c->col = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_band(const void *a, const void *b)
{
	const struct sl__bband *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return (x->origin > y->origin) - (x->origin < y->origin);
}

static bool read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *buf = NULL;

	if (!f)
		return false;
	for (;;) {
		size_t got;

		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = sl__xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return false;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return true;
}

bool sl__rc_list_load(struct sl_rulec *rc, struct list *l)
{
	struct csvctx c = {.rc = rc, .l = l, .line = 1};
	struct csv_parser cp;
	unsigned before = rc->errors;
	char *data = NULL;
	size_t len = 0, off = 0;

	if (l->loaded || l->failed)
		return !l->failed;
	l->loaded = true;
	c.file = sl__rc_intern(rc, l->path);
	if (!read_file(l->path, &data, &len)) {
		sl__rc_error(rc, &l->loc, "list '%s': cannot read %s: %s",
			     l->name, l->path, strerror(errno));
		l->failed = true;
		return false;
	}
	sl__rc_add_source(rc, l->path, data, len);
	if (csv_init(&cp, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI)) {
		free(data);
		l->failed = true;
		return false;
	}
	/* One physical line at a time, so that errors can name the line. */
	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (data + off)) + 1 : len - off;

		if (csv_parse(&cp, data + off, n, on_field, on_row, &c) != n) {
			struct loc at = {c.file, c.line, 1};

			sl__rc_error(rc, &at, "list '%s': CSV: %s", l->name,
				     csv_strerror(csv_error(&cp)));
			break;
		}
		off += n;
		if (nl)
			c.line++;
	}
	if (off >= len && csv_fini(&cp, on_field, on_row, &c)) {
		struct loc at = {c.file, c.line, 1};

		sl__rc_error(rc, &at, "list '%s': CSV: %s", l->name,
			     csv_strerror(csv_error(&cp)));
	}
	csv_free(&cp);
	for (int i = 0; i < MAX_COLS; i++)
		free(c.f[i]);
	free(data);
	if (c.row == 0) {
		struct loc at = {c.file, 1, 1};

		sl__rc_error(rc, &at, "list '%s' is empty (no header row)",
			     l->name);
	}
	if (l->kind == LK_HS || l->kind == LK_COUNTRIES) {
		size_t w = 0;

		if (l->vals.n) /* qsort(NULL, 0) is undefined (UBSan) */
			qsort(l->vals.v, l->vals.n, sizeof(uint64_t), cmp_u64);
		for (size_t i = 0; i < l->vals.n; i++)
			if (!w || l->vals.v[w - 1] != l->vals.v[i])
				l->vals.v[w++] = l->vals.v[i];
		l->vals.n = w;
	}
	if (l->kind == LK_BANDS)
		qsort(l->bands.v, l->bands.n, sizeof(l->bands.v[0]), cmp_band);
	/* An empty terms list is an officer's watch list with nobody on it
	 * yet; an empty HS, bands or countries list is a mistake. */
	if (rc->errors == before && l->kind != LK_TERMS &&
	    l->vals.n + l->bands.n == 0) {
		struct loc at = {c.file, 1, 1};

		sl__rc_error(rc, &at, "list '%s' has no entries", l->name);
	}
	l->failed = rc->errors != before;
	return !l->failed;
}
