/* sluice — enterprise credit registry (include/sluice/registry.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <openssl/evp.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sluice/decl.h>
#include <sluice/registry.h>

#define CODE_MAX 18 /* a USCC; customs codes are 10 */

/* One slot of the open-addressed table; len == 0 marks an empty slot. */
struct slot {
	char code[CODE_MAX]; /* upper-case, not NUL-terminated */
	uint8_t len;
	uint8_t tier;
	uint8_t negative;
};

struct sl_registry {
	unsigned refs;	    /* atomic */
	uint32_t count;	    /* enterprises */
	uint64_t mask;	    /* slots - 1 (a power of two) */
	struct slot *slots; /* at most half full */
	char id[17];	    /* content id, hex */
};

enum col { COL_CODE, COL_NAME, COL_TIER, COL_NEG, COL__COUNT };
static const char *const col_names[COL__COUNT] = {"code", "name", "tier",
						  "negative_list"};

/* Row under construction and parse context.  Control plane. */
struct parse {
	const char *name;
	uint64_t line;	   /* physical line being fed */
	uint64_t row_line; /* line the current row started on */
	unsigned field;	   /* index of the next field in the row */
	bool header_done;
	int col_of[COL__COUNT];	  /* field index of each column, -1 absent */
	char val[COL__COUNT][64]; /* the row's values (name is not kept) */
	size_t val_len[COL__COUNT];
	bool any_nonempty;

	struct slot *rows; /* parsed rows, grown with realloc */
	uint64_t *lines;   /* their line numbers */
	size_t n, cap;

	char *err;
	size_t errlen;
	unsigned n_bad; /* bad rows; the first is described in err */
	bool nomem;
};

static void bad_row(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void bad_row(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->n_bad++)
		return;
	n = snprintf(p->err, p->errlen, "%s:%llu: ", p->name,
		     (unsigned long long)p->row_line);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	if (strlen(b) != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != b[i])
			return false;
	}
	return true;
}

static void on_field(void *s, size_t len, void *data)
{
	struct parse *p = data;
	unsigned f = p->field++;
	int c;

	if (len)
		p->any_nonempty = true;
	if (!p->header_done) {
		for (c = 0; c < COL__COUNT; c++)
			if (ieq(s, len, col_names[c])) {
				if (p->col_of[c] >= 0)
					bad_row(p,
						"column \"%s\" appears "
						"twice in the header",
						col_names[c]);
				p->col_of[c] = (int)f;
			}
		return;
	}
	for (c = 0; c < COL__COUNT; c++) {
		if (p->col_of[c] != (int)f)
			continue;
		/* Longer values are wrong anyway; keep a prefix for the
		 * message and the length for the check. */
		p->val_len[c] = len;
		len = len < sizeof(p->val[c]) - 1 ? len : sizeof(p->val[c]) - 1;
		memcpy(p->val[c], s, len);
		p->val[c][len] = '\0';
	}
}

static void row_reset(struct parse *p)
{
	memset(p->val_len, 0, sizeof(p->val_len));
	memset(p->val, 0, sizeof(p->val));
	p->field = 0;
	p->any_nonempty = false;
	p->row_line = 0;
}

static void check_row(struct parse *p)
{
	struct slot s = {0};
	char *code = p->val[COL_CODE], expect = 0;
	size_t len = p->val_len[COL_CODE], i;
	const char *tier = p->val[COL_TIER], *neg = p->val[COL_NEG];

	for (i = 0; i < COL__COUNT; i++)
		if (p->field <= (unsigned)p->col_of[i]) {
			bad_row(p, "%u fields, but column \"%s\" is field %d",
				p->field, col_names[i], p->col_of[i] + 1);
			return;
		}
	for (i = 0; i < len && i < sizeof(p->val[COL_CODE]); i++)
		if (code[i] >= 'a' && code[i] <= 'z')
			code[i] = (char)(code[i] - 'a' + 'A');
	if (len == 18) {
		if (sl_uscc_check(code, len, &expect) < 0) {
			if (expect)
				bad_row(p,
					"code \"%s\": USCC check character is "
					"%c, expected %c",
					code, code[17], expect);
			else
				bad_row(p,
					"code \"%s\": not a unified social "
					"credit code (GB 32100 charset)",
					code);
			return;
		}
	} else if (len != 10 || sl_customs_code_check(code, len) < 0) {
		bad_row(p,
			"code \"%s\" is neither an 18-character USCC nor a "
			"10-character customs code",
			code);
		return;
	}
	memcpy(s.code, code, len);
	s.len = (uint8_t)len;
	if (ieq(tier, p->val_len[COL_TIER], "advanced"))
		s.tier = SL_TIER_ADVANCED;
	else if (ieq(tier, p->val_len[COL_TIER], "general"))
		s.tier = SL_TIER_GENERAL;
	else if (ieq(tier, p->val_len[COL_TIER], "dishonest"))
		s.tier = SL_TIER_DISHONEST;
	else {
		bad_row(p, "tier \"%s\" is not advanced, general or dishonest",
			tier);
		return;
	}
	if (p->val_len[COL_NEG] == 1 && (neg[0] == '0' || neg[0] == '1')) {
		s.negative = neg[0] == '1';
	} else {
		bad_row(p, "negative_list \"%s\" is not 0 or 1", neg);
		return;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct slot *nr = realloc(p->rows, cap * sizeof(*nr));
		uint64_t *nl = nr ? realloc(p->lines, cap * sizeof(*nl)) : NULL;

		if (nr)
			p->rows = nr;
		if (!nr || !nl) {
			p->nomem = true;
			return;
		}
		p->lines = nl;
		p->cap = cap;
	}
	p->lines[p->n] = p->row_line;
	p->rows[p->n++] = s;
}

static void on_row(int term, void *data)
{
	struct parse *p = data;
	int c;

	if (!p->header_done) {
		p->header_done = true;
		for (c = 0; c < COL__COUNT; c++)
			if (p->col_of[c] < 0)
				bad_row(p,
					"header has no \"%s\" column (expected "
					"code,name,tier,negative_list)",
					col_names[c]);
	} else if (p->any_nonempty) {
		check_row(p);
	}
	row_reset(p);
}

static uint64_t slot_hash(const char *code, size_t len)
{
	return XXH3_64bits(code, len);
}

/* Inserts s; returns the slot already holding its code, or NULL. */
static struct slot *table_put(struct sl_registry *r, const struct slot *s)
{
	uint64_t i = slot_hash(s->code, s->len) & r->mask;

	for (;; i = (i + 1) & r->mask) {
		struct slot *t = &r->slots[i];

		if (!t->len) {
			*t = *s;
			return NULL;
		}
		if (t->len == s->len && !memcmp(t->code, s->code, s->len))
			return t;
	}
}

static int content_id(const char *buf, size_t len, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n < 8)
		return -EIO;
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

struct sl_registry *sl_registry_parse(const char *buf, size_t len,
				      const char *name, char *err,
				      size_t errlen)
{
	struct parse p = {.name = name, .err = err, .errlen = errlen};
	struct sl_registry *r = NULL;
	struct csv_parser csv;
	size_t off = 0, cap;
	int c;

	err[0] = '\0';
	for (c = 0; c < COL__COUNT; c++)
		p.col_of[c] = -1;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		off = 3; /* UTF-8 byte-order mark from spreadsheet exports */
	if (off == len) {
		snprintf(err, errlen, "%s: empty file (no header)", name);
		return NULL;
	}
	if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	/* Fed one physical line at a time so that rows know their line: a
	 * row starts on the first non-empty line fed after the last one. */
	row_reset(&p);
	while (off < len && !p.nomem) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;

		p.line++;
		if (!p.row_line && n > 0 && buf[off] != '\n' &&
		    !(buf[off] == '\r' && n <= 2))
			p.row_line = p.line;
		if (csv_parse(&csv, buf + off, n, on_field, on_row, &p) != n) {
			p.row_line = p.row_line ? p.row_line : p.line;
			p.n_bad = 0;
			bad_row(&p, "malformed CSV: %s",
				csv_strerror(csv_error(&csv)));
			goto free_csv;
		}
		off += n;
	}
	if (csv_fini(&csv, on_field, on_row, &p) != 0) {
		p.row_line = p.row_line ? p.row_line : p.line;
		p.n_bad = 0;
		bad_row(&p, "malformed CSV: %s (unterminated quoted field?)",
			csv_strerror(csv_error(&csv)));
		goto free_csv;
	}
	if (p.nomem) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto free_csv;
	}
	if (!p.header_done) {
		snprintf(err, errlen, "%s: no header line", name);
		goto free_csv;
	}
	if (p.n_bad)
		goto report_bad;

	r = calloc(1, sizeof(*r));
	for (cap = 16; cap < 2 * p.n; cap *= 2)
		;
	if (r)
		r->slots = calloc(cap, sizeof(*r->slots));
	if (!r || !r->slots || content_id(buf, len, r->id) < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto free_r;
	}
	r->mask = cap - 1;
	r->refs = 1;
	for (size_t i = 0; i < p.n; i++) {
		struct slot *dup = table_put(r, &p.rows[i]);

		if (dup) {
			size_t j;

			for (j = 0; j < i; j++)
				if (p.rows[j].len == dup->len &&
				    !memcmp(p.rows[j].code, dup->code,
					    dup->len))
					break;
			p.row_line = p.lines[i];
			bad_row(&p,
				"code %.*s is listed twice (first on line "
				"%llu)",
				(int)dup->len, dup->code,
				(unsigned long long)p.lines[j]);
		}
	}
	if (p.n_bad)
		goto free_r_bad;
	r->count = (uint32_t)p.n;
	goto free_csv;

free_r_bad:
	free(r->slots);
	free(r);
	r = NULL;
report_bad:
	if (p.n_bad > 1) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (and %u more bad rows)",
			 p.n_bad - 1);
	}
	goto free_csv;
free_r:
	if (r)
		free(r->slots);
	free(r);
	r = NULL;
free_csv:
	csv_free(&csv);
	free(p.rows);
	free(p.lines);
	return r;
}

struct sl_registry *sl_registry_load(const char *path, char *err, size_t errlen)
{
	struct sl_registry *r;
	char *buf;
	long n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: %s", path,
			 buf ? "read error" : "out of memory");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	/* A file is replaced under a running engine by rename(2), so a
	 * reload reads a whole file; one caught half-written (copied in
	 * place, or cut by a full disk) almost always stops mid-line.  Refuse
	 * it rather than load the rows that happen to be there: the old
	 * registry stays (docs/reliability.md). */
	if (n > 0 && buf[n - 1] != '\n') {
		snprintf(err, errlen,
			 "%s: the last line has no newline: a file cut short "
			 "while it was written? (end the file with a newline, "
			 "and replace a live registry with mv)",
			 path);
		free(buf);
		return NULL;
	}
	r = sl_registry_parse(buf, (size_t)n, path, err, errlen);
	free(buf);
	if (r && r->count == 0) {
		/* A header and nothing else: every enterprise would be
		 * unknown and every declaration held. */
		snprintf(err, errlen,
			 "%s: a header and no enterprise (a file cut short "
			 "while it was written?); refused",
			 path);
		sl_registry_put(r);
		return NULL;
	}
	return r;
}

struct sl_registry *sl_registry_get(struct sl_registry *r)
{
	if (r)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void sl_registry_put(struct sl_registry *r)
{
	if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(r->slots);
		free(r);
	}
}

const char *sl_registry_id(const struct sl_registry *r)
{
	return r ? r->id : "";
}

uint32_t sl_registry_count(const struct sl_registry *r)
{
	return r ? r->count : 0;
}

int sl_registry_lookup(const struct sl_registry *r, const char *code,
		       size_t len, struct sl_registry_entry *out)
{
	char key[CODE_MAX];
	uint64_t i;
	size_t k;

	if (!r || len == 0 || len > CODE_MAX)
		return -ENOENT;
	for (k = 0; k < len; k++) {
		char c = code[k];

		key[k] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	for (i = slot_hash(key, len) & r->mask;; i = (i + 1) & r->mask) {
		const struct slot *t = &r->slots[i];

		if (!t->len)
			return -ENOENT;
		if (t->len == len && !memcmp(t->code, key, len)) {
			out->tier = t->tier;
			out->negative = t->negative;
			return 0;
		}
	}
}
