/* sluice-gen — the data tables (the CSV files in tools/gen/data), parsed with
 * libcsv. Control plane (a tool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "gen_internal.h"

void *gen_perm_alloc(struct gen_perm *p, size_t n)
{
	void *m;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		void **np = realloc(p->ptr, cap * sizeof(*np));

		if (!np)
			goto oom;
		p->ptr = np;
		p->cap = cap;
	}
	m = calloc(1, n ? n : 1);
	if (!m)
		goto oom;
	p->ptr[p->n++] = m;
	return m;
oom:
	fprintf(stderr, "sluice-gen: out of memory\n");
	exit(1);
}

char *gen_perm_strdup(struct gen_perm *p, const char *s)
{
	size_t n = strlen(s);
	char *d = gen_perm_alloc(p, n + 1);

	memcpy(d, s, n);
	return d;
}

void gen_perm_free(struct gen_perm *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->ptr[i]);
	free(p->ptr);
	memset(p, 0, sizeof(*p));
}

struct gen_list gen_list_split(struct gen_perm *p, const char *s)
{
	struct gen_list l = {NULL, 0};
	uint32_t n = 1, i = 0;
	char *copy, *tok, *save = NULL;

	if (!*s)
		return l;
	for (const char *c = s; *c; c++)
		n += *c == '|';
	l.v = gen_perm_alloc(p, n * sizeof(*l.v));
	copy = gen_perm_strdup(p, s);
	for (tok = strtok_r(copy, "|", &save); tok && i < n;
	     tok = strtok_r(NULL, "|", &save))
		l.v[i++] = tok;
	l.n = i;
	return l;
}

/* libcsv callbacks collect cells into a growing array. */
struct csv_ctx {
	struct gen_perm *perm;
	char **cells;
	size_t n, cap;
	uint32_t cols, rows, col; /* col: cells in the current row */
	bool bad;
	uint32_t bad_row;
};

static void on_field(void *s, size_t len, void *data)
{
	struct csv_ctx *c = data;
	char *v;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char **nc = realloc(c->cells, cap * sizeof(*nc));

		if (!nc) {
			fprintf(stderr, "sluice-gen: out of memory\n");
			exit(1);
		}
		c->cells = nc;
		c->cap = cap;
	}
	v = gen_perm_alloc(c->perm, len + 1);
	if (len) /* libcsv may pass NULL for an empty first field */
		memcpy(v, s, len);
	c->cells[c->n++] = v;
	c->col++;
}

static void on_row(int ch, void *data)
{
	struct csv_ctx *c = data;

	(void)ch;
	if (c->rows == 0)
		c->cols = c->col;
	else if (c->col != c->cols && !c->bad) {
		c->bad = true;
		c->bad_row = c->rows + 1;
	}
	c->rows++;
	c->col = 0;
}

static const struct gen_blob *find_blob(const char *file)
{
	for (unsigned i = 0; i < gen_n_blobs; i++)
		if (!strcmp(gen_blobs[i].name, file))
			return &gen_blobs[i];
	return NULL;
}

int gen_table_load(struct gen_perm *perm, const char *data_dir,
		   struct gen_table *t, const char *name, char *err,
		   size_t errlen)
{
	struct csv_ctx c = {.perm = perm};
	struct csv_parser p;
	char file[64], path[4096];
	const unsigned char *data;
	unsigned char *owned = NULL;
	size_t len;
	int rc = -1;

	snprintf(file, sizeof(file), "%s.csv", name);
	if (data_dir) {
		FILE *f;
		long sz;

		snprintf(path, sizeof(path), "%s/%s", data_dir, file);
		f = fopen(path, "rb");
		if (!f) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		rewind(f);
		owned = malloc(sz > 0 ? (size_t)sz : 1);
		len = owned && sz > 0 ? fread(owned, 1, (size_t)sz, f) : 0;
		fclose(f);
		data = owned;
	} else {
		const struct gen_blob *b = find_blob(file);

		if (!b) {
			snprintf(err, errlen, "no embedded table %s", file);
			return -1;
		}
		snprintf(path, sizeof(path), "<embedded>/%s", file);
		data = b->data;
		len = b->len;
	}

	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI)) {
		snprintf(err, errlen, "%s: csv_init failed", path);
		goto out;
	}
	if (csv_parse(&p, data, len, on_field, on_row, &c) != len ||
	    csv_fini(&p, on_field, on_row, &c)) {
		snprintf(err, errlen, "%s: %s", path,
			 csv_strerror(csv_error(&p)));
		csv_free(&p);
		goto out;
	}
	csv_free(&p);
	if (c.bad) {
		snprintf(err, errlen, "%s:%u: wrong number of fields", path,
			 c.bad_row);
		goto out;
	}
	if (c.rows < 2) {
		snprintf(err, errlen, "%s: no data rows", path);
		goto out;
	}
	t->head = gen_perm_alloc(perm, c.cols * sizeof(char *));
	memcpy(t->head, c.cells, c.cols * sizeof(char *));
	t->rows = c.rows - 1;
	t->cols = c.cols;
	t->cell =
	    gen_perm_alloc(perm, (size_t)t->rows * t->cols * sizeof(char *));
	memcpy(t->cell, c.cells + c.cols,
	       (size_t)t->rows * t->cols * sizeof(char *));
	rc = 0;
out:
	free(c.cells);
	free(owned);
	return rc;
}

int gen_table_col(const struct gen_table *t, const char *name)
{
	for (uint32_t i = 0; i < t->cols; i++)
		if (!strcmp(t->head[i], name))
			return (int)i;
	return -1;
}
