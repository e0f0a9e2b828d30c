/* sluice-rulec: the compiler object, sources, and small helpers. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include <sluice/normalize.h>

#include "rulec-int.h"

#ifndef SLUICE_ISO_CODES_DIR
#define SLUICE_ISO_CODES_DIR "/usr/share/iso-codes/json"
#endif

/* ----------------------------------------------------------- allocation */

void *sl__xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("sluice-rulec: out of memory\n", stderr);
		abort();
	}
	return q;
}

void *sl__xcalloc(size_t n, size_t size)
{
	void *q = calloc(n ? n : 1, size ? size : 1);

	if (!q) {
		fputs("sluice-rulec: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *sl__xstrndup(const char *s, size_t n)
{
	char *d = sl__xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *sl__xstrdup(const char *s)
{
	return sl__xstrndup(s, strlen(s));
}

double sl__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ----------------------------------------------------------- diagnostics */

void sl__rc_error(struct sl_rulec *rc, const struct loc *at, const char *fmt,
		  ...)
{
	va_list ap;

	rc->errors++;
	fprintf(rc->diag, "%s:%d:%d: error: ", at && at->file ? at->file : "?",
		at && at->line ? at->line : 1, at && at->col ? at->col : 1);
	va_start(ap, fmt);
	vfprintf(rc->diag, fmt, ap);
	va_end(ap);
	fputc('\n', rc->diag);
}

const char *sl__rc_intern(struct sl_rulec *rc, const char *file)
{
	for (size_t i = 0; i < rc->files.n; i++)
		if (!strcmp(rc->files.v[i], file))
			return rc->files.v[i];
	vec_push(&rc->files, sl__xstrdup(file));
	return rc->files.v[rc->files.n - 1];
}

void sl__rc_add_source(struct sl_rulec *rc, const char *path, const void *data,
		       size_t len)
{
	struct source s = {.path = sl__xstrdup(path)};
	unsigned int n = 0;

	EVP_Digest(data, len, s.sha256, &n, EVP_sha256(), NULL);
	vec_push(&rc->sources, s);
}

const char *sl__rc_norm(struct sl_rulec *rc, const char *s, size_t len,
			size_t *out_len)
{
	size_t cap = len * SL_NORM_EXPANSION + 16;
	ssize_t n;

	if (cap > rc->nbuf_cap) {
		rc->nbuf = sl__xrealloc(rc->nbuf, cap);
		rc->nbuf_cap = cap;
	}
	if (SL_NORM_WORK(len) > rc->nwork_cap) {
		rc->nwork_cap = SL_NORM_WORK(len);
		rc->nwork =
		    sl__xrealloc(rc->nwork, rc->nwork_cap * sizeof(int32_t));
	}
	n = sl_normalize(s, len, rc->nbuf, rc->nbuf_cap - 1, rc->nwork,
			 rc->nwork_cap);
	if (n < 0)
		return NULL;
	rc->nbuf[n] = '\0';
	*out_len = (size_t)n;
	return rc->nbuf;
}

/* -------------------------------------------------------------- numbers */

int sl__parse_fixed(const char *s, int64_t *out)
{
	int64_t ip = 0, fp = 0;
	int nd = 0, nf = 0;
	bool neg = false;

	if (*s == '-') {
		neg = true;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (ip > INT64_C(90000000000000))
			return -ERANGE;
		ip = ip * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, nf++) {
			if (nf >= SL_MONEY_DECIMALS)
				return -EINVAL;
			fp = fp * 10 + (*s - '0');
		}
		if (nf == 0)
			return -EINVAL;
	}
	if (*s || nd == 0)
		return -EINVAL;
	for (; nf < SL_MONEY_DECIMALS; nf++)
		fp *= 10;
	*out = (ip * SL_MONEY_ONE + fp) * (neg ? -1 : 1);
	return 0;
}

int sl__parse_hs(const char *s, size_t n, uint64_t *key)
{
	uint64_t v = 0;

	if (n < 1 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*key = SL__HS_KEY(n, v);
	return 0;
}

/* ----------------------------------------------------------- iso-codes */

static cJSON *read_json(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	cJSON *j;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = sl__xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	j = cJSON_Parse(buf);
	free(buf);
	return j;
}

static void iso_load(struct sl_rulec *rc)
{
	cJSON *j, *arr, *e;

	if (rc->iso_loaded)
		return;
	rc->iso_loaded = true;
	j = read_json(SLUICE_ISO_CODES_DIR "/iso_3166-1.json");
	arr = j ? cJSON_GetObjectItem(j, "3166-1") : NULL;
	cJSON_ArrayForEach (e, arr) {
		const char *a =
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "alpha_2"));

		if (a && strlen(a) == 2)
			vec_push(&rc->countries, SL_COUNTRY(a[0], a[1]));
	}
	cJSON_Delete(j);
	j = read_json(SLUICE_ISO_CODES_DIR "/iso_4217.json");
	arr = j ? cJSON_GetObjectItem(j, "4217") : NULL;
	cJSON_ArrayForEach (e, arr) {
		const char *a =
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "alpha_3"));

		if (a && strlen(a) == 3)
			vec_push(&rc->currencies,
				 SL_CURRENCY(a[0], a[1], a[2]));
	}
	cJSON_Delete(j);
}

bool sl__rc_country_ok(struct sl_rulec *rc, sl_country_t c)
{
	iso_load(rc);
	if (!rc->countries.n)
		return true;
	for (size_t i = 0; i < rc->countries.n; i++)
		if (rc->countries.v[i] == c)
			return true;
	return false;
}

bool sl__rc_currency_ok(struct sl_rulec *rc, sl_currency_t c)
{
	iso_load(rc);
	if (!rc->currencies.n)
		return true;
	for (size_t i = 0; i < rc->currencies.n; i++)
		if (rc->currencies.v[i] == c)
			return true;
	return false;
}

/* ------------------------------------------------------------ the object */

struct sl_rulec *sl_rulec_new(const struct sl_rulec_opts *o)
{
	struct sl_rulec *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return NULL;
	if (o)
		rc->o = *o;
	rc->diag = rc->o.diag ? rc->o.diag : stderr;
	sl_policy_defaults(&rc->policy);
	return rc;
}

static void free_terms(struct term *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].text);
}

void sl_rulec_free(struct sl_rulec *rc)
{
	if (!rc)
		return;
	for (size_t i = 0; i < rc->files.n; i++)
		free(rc->files.v[i]);
	vec_free(&rc->files);
	for (size_t i = 0; i < rc->sources.n; i++)
		free(rc->sources.v[i].path);
	vec_free(&rc->sources);
	for (size_t i = 0; i < rc->rules.n; i++) {
		free(rc->rules.v[i].id);
		free(rc->rules.v[i].title);
		free(rc->rules.v[i].source);
	}
	vec_free(&rc->rules);
	for (size_t i = 0; i < rc->nodes.n; i++) {
		vec_free(&rc->nodes.v[i].kids);
		vec_free(&rc->nodes.v[i].vals);
		free(rc->nodes.v[i].list);
	}
	vec_free(&rc->nodes);
	for (size_t i = 0; i < rc->leaves.n; i++) {
		struct leaf *l = &rc->leaves.v[i];

		free_terms(l->terms.v, l->terms.n);
		vec_free(&l->terms);
		for (size_t k = 0; k < l->lists.n; k++)
			free(l->lists.v[k].name);
		vec_free(&l->lists);
	}
	vec_free(&rc->leaves);
	for (size_t i = 0; i < rc->lists.n; i++) {
		struct list *l = &rc->lists.v[i];

		free(l->name);
		free(l->path);
		vec_free(&l->vals);
		vec_free(&l->bands);
		free_terms(l->terms.v, l->terms.n);
		vec_free(&l->terms);
	}
	vec_free(&rc->lists);
	vec_free(&rc->countries);
	vec_free(&rc->currencies);
	free(rc->nbuf);
	free(rc->nwork);
	free(rc);
}

unsigned sl_rulec_errors(const struct sl_rulec *rc)
{
	return rc->errors;
}

int sl_rulec_add_source(struct sl_rulec *rc, const char *name, const char *text,
			size_t len)
{
	unsigned before = rc->errors;
	double t0 = sl__now();

	sl__rc_add_source(rc, name, text, len);
	sl__rc_parse(rc, name, text, len);
	rc->parse_s += sl__now() - t0;
	return (int)(rc->errors - before);
}

static int add_file(struct sl_rulec *rc, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc_;

	if (!f) {
		struct loc l = {sl__rc_intern(rc, path), 1, 1};

		sl__rc_error(rc, &l, "cannot open: %s", strerror(errno));
		return 1;
	}
	for (;;) {
		size_t got;

		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = sl__xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (!got)
			break;
	}
	if (ferror(f)) {
		struct loc l = {sl__rc_intern(rc, path), 1, 1};

		fclose(f);
		free(buf);
		sl__rc_error(rc, &l, "cannot read: %s", strerror(errno));
		return 1;
	}
	fclose(f);
	rc_ = sl_rulec_add_source(rc, path, buf ? buf : "", n);
	free(buf);
	return rc_;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && !strcmp(name + n - e, ext);
}

static int add_dir(struct sl_rulec *rc, const char *path, int depth)
{
	VEC(char *) names = {0};
	DIR *d = opendir(path);
	struct dirent *e;
	int errs = 0;

	if (!d) {
		struct loc l = {sl__rc_intern(rc, path), 1, 1};

		sl__rc_error(rc, &l, "cannot open directory: %s",
			     strerror(errno));
		return 1;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			vec_push(&names, sl__xstrdup(e->d_name));
	closedir(d);
	qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		size_t need = strlen(path) + strlen(names.v[i]) + 2;
		char *full = sl__xrealloc(NULL, need);
		struct stat st;

		snprintf(full, need, "%s%s%s", path,
			 path[strlen(path) - 1] == '/' ? "" : "/", names.v[i]);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 16)
				errs += add_dir(rc, full, depth + 1);
		} else if ((has_ext(names.v[i], ".yaml") ||
			    has_ext(names.v[i], ".yml")) &&
			   !has_ext(names.v[i], ".cases.yaml") &&
			   !has_ext(names.v[i], ".cases.yml")) {
			/* test cases (--test) live beside the rules */
			errs += add_file(rc, full);
		}
		free(full);
		free(names.v[i]);
	}
	vec_free(&names);
	return errs;
}

int sl_rulec_add_path(struct sl_rulec *rc, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		struct loc l = {sl__rc_intern(rc, path), 1, 1};

		sl__rc_error(rc, &l, "cannot read: %s", strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(rc, path, 0);
	return add_file(rc, path);
}

int sl_rulec_build(struct sl_rulec *rc, const char *out,
		   struct sl_rulec_stats *stats)
{
	struct sl_rulec_stats st = {0};
	int r = sl__rc_emit(rc, out, &st);

	if (stats)
		*stats = st;
	return r;
}
