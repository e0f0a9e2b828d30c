/* bench_rulec: the rule compiler and matcher at scale.
 *
 * For 1k, 10k and 100k generated literal patterns (English words and
 * Chinese terms, 10 per rule, no OpenCC variants so the count is exact):
 *   - compile time (YAML + lists + normalisation, and hs_compile) and
 *     database size;
 *   - the raw hs_scan of prebuilt normalised buffers with a no-op
 *     callback (the limit), and sl_match_decl on the same declarations
 *     (normalise, scan, unless resolution, rule evaluation), in
 *     declarations/s, MB/s of scanned text, and their ratio;
 * and the same scan comparison for the default bundle when it is built.
 * Timings are best of --reps runs, measured in this process; nothing here
 * is a pass/fail threshold.  --json FILE writes the same figures as JSON
 * (bench/run reads it).
 *
 * usage: bench_rulec [--quick] [--reps N] [--decls N] [--sizes a,b,c]
 *                    [--json FILE]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <sluice/bundle.h>
#include <sluice/policy.h>

#include "bundle-int.h"
#include "rulec.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A pronounceable lowercase word of 5 to 10 letters. */
static void word(char *buf)
{
	static const char c[] = "bcdfghjklmnprstvwz", v[] = "aeiou";
	int n = 5 + (int)(next() % 6), i;

	for (i = 0; i < n; i++)
		buf[i] = i % 2 ? v[next() % 5] : c[next() % 18];
	buf[i] = '\0';
}

/* 2 to 4 common Han characters (U+4E00..U+62FF). */
static void han(char *buf)
{
	int n = 2 + (int)(next() % 3), w = 0;

	for (int i = 0; i < n; i++) {
		unsigned cp = 0x4E00 + (unsigned)(next() % 0x1500);

		buf[w++] = (char)(0xE0 | (cp >> 12));
		buf[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		buf[w++] = (char)(0x80 | (cp & 0x3F));
	}
	buf[w] = '\0';
}

static sl_str_t str(const char *s)
{
	return (sl_str_t){s, (uint32_t)strlen(s)};
}

/* Declarations are kept compact and copied into one reused record before
 * matching, as a worker decodes every declaration into the same record:
 * matching thousands of distinct 20 KiB records would measure cache
 * misses the pipeline does not have. */
struct rec {
	uint32_t n_items;
	char *names[3];
	uint32_t lens[3];
};

struct corpus {
	struct rec *r;
	size_t n;
};

/* Declarations of 1 to 3 items whose names mix ordinary words with, in
 * 1 of 20 items, one of the patterns. */
static void make_corpus(struct corpus *c, size_t n, char **terms,
			size_t n_terms)
{
	c->n = n;
	c->r = calloc(n, sizeof(*c->r));
	for (size_t i = 0; i < n; i++) {
		struct rec *r = &c->r[i];

		r->n_items = 1 + (uint32_t)(next() % 3);
		for (uint32_t k = 0; k < r->n_items; k++) {
			char name[256], w[16];
			size_t len = 0;

			for (int j = 0; j < 4; j++) {
				if (j == 2 && next() % 20 == 0 && n_terms)
					len += (size_t)snprintf(
					    name + len, sizeof(name) - len,
					    "%s ", terms[next() % n_terms]);
				word(w);
				len += (size_t)snprintf(
				    name + len, sizeof(name) - len, "%s ", w);
			}
			han(w);
			len += (size_t)snprintf(name + len, sizeof(name) - len,
						"%s 50ml", w);
			r->names[k] = strdup(name);
			r->lens[k] = (uint32_t)len;
		}
	}
}

/* The record a worker would have decoded: the fixed parts once, the
 * items per declaration. */
static void decl_base(sl_decl_t *d)
{
	memset(d, 0, sizeof(*d));
	d->flow = SL_FLOW_IMPORT;
	d->trade_mode = SL_TM_M9610;
	d->currency = SL_CURRENCY('C', 'N', 'Y');
	d->s[SL_DS_SENDER_NAME] = str("Tokyo Shop KK");
	d->s[SL_DS_CONS_NAME] = str("张三");
	d->s[SL_DS_CONS_ADDRESS] = str("山西省太原市小店区长治路1号");
	for (int k = 0; k < 3; k++) {
		sl_item_t *it = &d->items[k];

		it->s[SL_IS_BRAND] = str("Example");
		it->s[SL_IS_MODEL] = str("A-100");
		it->s[SL_IS_HS_CODE] = str("3304990099");
		it->hs_len = 10;
		it->price = 199 * SL_MONEY_ONE;
		it->total_price = it->price;
		it->qty = SL_MONEY_ONE;
		it->origin = SL_COUNTRY('J', 'P');
	}
}

static inline void decl_fill(sl_decl_t *d, const struct rec *r)
{
	d->n_items = r->n_items;
	for (uint32_t k = 0; k < r->n_items; k++)
		d->items[k].s[SL_IS_NAME] = (sl_str_t){r->names[k], r->lens[k]};
}

static void free_corpus(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		for (uint32_t k = 0; k < c->r[i].n_items; k++)
			free(c->r[i].names[k]);
	free(c->r);
}

static int noop(unsigned id, unsigned long long from, unsigned long long to,
		unsigned flags, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

struct scan_result {
	double raw_s, match_s, build_s;
	uint64_t bytes, raw_matches, hits;
};

/* Raw hs_scan of prebuilt buffers vs sl_match_decl, best of reps. */
static void compare(const struct sl_bundle *b, struct corpus *c, int reps,
		    struct scan_result *r)
{
	struct sl_match_scratch *ms = sl_match_scratch_new(b);
	char **bufs = calloc(c->n, sizeof(char *));
	size_t *lens = calloc(c->n, sizeof(size_t));
	hs_scratch_t *hs = sl__match_hs_scratch(ms);
	static sl_decl_t d;
	struct sl_hits h;

	memset(r, 0, sizeof(*r));
	decl_base(&d);
	for (size_t i = 0; i < c->n; i++) {
		const char *p;
		int rc;

		decl_fill(&d, &c->r[i]);
		rc = sl__match_build(b, ms, &d);

		if (rc) {
			fprintf(stderr, "building the scan buffer failed: %d\n",
				rc);
			exit(1);
		}
		p = sl__match_buf(ms, &lens[i]);
		bufs[i] = malloc(lens[i] + 1);
		memcpy(bufs[i], p, lens[i]);
		r->bytes += lens[i];
	}
	r->raw_s = r->match_s = r->build_s = 1e30;
	for (int k = 0; k < reps; k++) {
		double t0 = now(), t;
		uint64_t m = 0, hits = 0;

		for (size_t i = 0; i < c->n; i++) {
			decl_fill(&d, &c->r[i]);
			sl__match_build(b, ms, &d);
		}
		t = now() - t0;
		if (t < r->build_s)
			r->build_s = t;
		t0 = now();

		for (size_t i = 0; i < c->n; i++)
			if (b->db)
				hs_scan(b->db, bufs[i], (unsigned)lens[i], 0,
					hs, noop, &m);
		t = now() - t0;
		if (t < r->raw_s)
			r->raw_s = t;
		r->raw_matches = m;
		t0 = now();
		for (size_t i = 0; i < c->n; i++) {
			decl_fill(&d, &c->r[i]);
			sl_match_decl(b, ms, &d, &h);
			hits += h.n;
		}
		t = now() - t0;
		if (t < r->match_s)
			r->match_s = t;
		r->hits = hits;
	}
	for (size_t i = 0; i < c->n; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
	sl_match_scratch_free(ms);
}

/* The scan comparison as a JSON object, added to arr unless NULL. */
static cJSON *scan_json(cJSON *arr, size_t n, const struct scan_result *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "decls", (double)n);
	cJSON_AddNumberToObject(o, "scan_bytes", (double)r->bytes);
	cJSON_AddNumberToObject(o, "raw_decl_s", n / r->raw_s);
	cJSON_AddNumberToObject(o, "raw_bytes_s", r->bytes / r->raw_s);
	cJSON_AddNumberToObject(o, "match_decl_s", n / r->match_s);
	cJSON_AddNumberToObject(o, "match_bytes_s", r->bytes / r->match_s);
	cJSON_AddNumberToObject(o, "ratio_match_raw", r->raw_s / r->match_s);
	cJSON_AddNumberToObject(o, "raw_matches", (double)r->raw_matches);
	cJSON_AddNumberToObject(o, "hits", (double)r->hits);
	if (arr)
		cJSON_AddItemToArray(arr, o);
	return o;
}

static void print_scan(const char *what, size_t n, const struct scan_result *r)
{
	printf("%-10s raw hs_scan %9.0f decl/s %7.1f MB/s | sl_match_decl "
	       "%9.0f decl/s %7.1f MB/s | match/raw %.2f | per decl: scan "
	       "%.0f ns, normalise+build %.0f ns, match %.0f ns | %llu raw "
	       "matches, %llu hits\n",
	       what, n / r->raw_s, r->bytes / r->raw_s / 1e6, n / r->match_s,
	       r->bytes / r->match_s / 1e6, r->raw_s / r->match_s,
	       r->raw_s / n * 1e9, r->build_s / n * 1e9, r->match_s / n * 1e9,
	       (unsigned long long)r->raw_matches, (unsigned long long)r->hits);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"quick", no_argument, NULL, 'q'},
	    {"reps", required_argument, NULL, 'r'},
	    {"decls", required_argument, NULL, 'n'},
	    {"sizes", required_argument, NULL, 's'},
	    {"json", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	size_t sizes[8] = {1000, 10000, 100000}, n_sizes = 3, n_decls = 20000;
	int reps = 3, ch;
	double base_rate = 0;
	char path[4096];
	const char *json = NULL;
	cJSON *jroot = cJSON_CreateObject(), *jsizes, *jdef = NULL;

	while ((ch = getopt_long(argc, argv, "qr:n:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			sizes[0] = 1000, sizes[1] = 10000, n_sizes = 2;
			n_decls = 5000, reps = 2;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'j':
			json = optarg;
			break;
		case 'n':
			n_decls = (size_t)atol(optarg);
			break;
		case 's': {
			char *s = optarg, *tok;

			n_sizes = 0;
			while ((tok = strsep(&s, ",")) && n_sizes < 8)
				sizes[n_sizes++] = (size_t)atol(tok);
			break;
		}
		case 'h':
			puts("usage: bench_rulec [--quick] [--reps N] [--decls "
			     "N] "
			     "[--sizes 1000,10000,100000] [--json FILE]\n"
			     "Compile time, database size and scan rates of "
			     "generated rule sets, and raw hs_scan vs "
			     "sl_match_decl.");
			return 0;
		default:
			return 2;
		}
	}
	printf("bench_rulec: %zu declarations, best of %d; Hyperscan %s\n",
	       n_decls, reps, hs_version());
	cJSON_AddNumberToObject(jroot, "decls", (double)n_decls);
	cJSON_AddNumberToObject(jroot, "reps", reps);
	cJSON_AddStringToObject(jroot, "hyperscan", hs_version());
	jsizes = cJSON_AddArrayToObject(jroot, "sizes");
	for (size_t si = 0; si < n_sizes; si++) {
		size_t n = sizes[si], cap = n * 40 + 1024, len = 0;
		char **terms = calloc(n, sizeof(char *));
		char *yaml = malloc(cap), tmp[] = "/tmp/bench-rulec-XXXXXX",
		     err[512];
		struct sl_rulec_opts o = {.no_variants = true};
		struct sl_rulec *rc = sl_rulec_new(&o);
		struct sl_rulec_stats st;
		struct sl_bundle *b;
		struct corpus c;
		struct scan_result r;
		int fd = mkstemp(tmp);
		double t0;

		close(fd);
		len += (size_t)snprintf(yaml + len, cap - len, "rules:\n");
		for (size_t i = 0; i < n; i++) {
			char t[64];

			if (i % 3 == 2)
				han(t);
			else
				word(t);
			snprintf(t + strlen(t), sizeof(t) - strlen(t), "%s%zu",
				 i % 3 == 2 ? "" : "x", i);
			terms[i] = strdup(t);
			if (i % 10 == 0)
				len += (size_t)snprintf(
				    yaml + len, cap - len,
				    "  - {id: GEN.R%zu, title: t, source: s, "
				    "points: 1, match: {terms: [",
				    i / 10);
			len += (size_t)snprintf(yaml + len, cap - len, "%s%s",
						i % 10 ? ", " : "", t);
			if (i % 10 == 9 || i + 1 == n)
				len += (size_t)snprintf(yaml + len, cap - len,
							"]}}\n");
		}
		t0 = now();
		sl_rulec_add_source(rc, "gen.yaml", yaml, len);
		if (sl_rulec_build(rc, tmp, &st)) {
			fprintf(stderr, "compile of %zu patterns failed\n", n);
			return 1;
		}
		t0 = now() - t0;
		printf("%7zu patterns: compiled in %6.2f s (sources %.2f s, "
		       "hs_compile %.2f s), database %zu bytes, bundle %zu "
		       "bytes\n",
		       n, t0, st.parse_s, st.compile_s, st.db_bytes,
		       st.file_bytes);
		sl_rulec_free(rc);
		b = sl_bundle_load(tmp, err, sizeof(err));
		if (!b) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		make_corpus(&c, n_decls, terms, n);
		compare(b, &c, reps, &r);
		{
			char what[32];
			cJSON *jo = scan_json(jsizes, n_decls, &r);

			snprintf(what, sizeof(what), "%zu pat", n);
			print_scan(what, n_decls, &r);
			cJSON_AddNumberToObject(jo, "patterns", (double)n);
			cJSON_AddNumberToObject(jo, "compile_s", t0);
			cJSON_AddNumberToObject(jo, "parse_s", st.parse_s);
			cJSON_AddNumberToObject(jo, "hs_compile_s",
						st.compile_s);
			cJSON_AddNumberToObject(jo, "db_bytes",
						(double)st.db_bytes);
			cJSON_AddNumberToObject(jo, "bundle_bytes",
						(double)st.file_bytes);
		}
		if (si == 0)
			base_rate = n_decls / r.match_s;
		else
			printf(
			    "%-10s sl_match_decl rate vs %zu patterns: %.2f\n",
			    "", sizes[0], n_decls / r.match_s / base_rate);
		free_corpus(&c);
		sl_bundle_put(b);
		unlink(tmp);
		for (size_t i = 0; i < n; i++)
			free(terms[i]);
		free(terms);
		free(yaml);
	}
	if (sl_bundle_default_path(path, sizeof(path)) == 0) {
		char err[512];
		struct sl_bundle *b = sl_bundle_load(path, err, sizeof(err));
		struct corpus c;
		struct scan_result r;
		static char *dterms[] = {"象牙", "ivory", "手枪", "cannabis"};

		if (b) {
			make_corpus(&c, n_decls, dterms, 4);
			compare(b, &c, reps, &r);
			printf("default bundle: %u rules, %u patterns\n",
			       b->n_rules, b->n_pats);
			print_scan("default", n_decls, &r);
			jdef = scan_json(NULL, n_decls, &r);
			cJSON_AddItemToObject(jroot, "default", jdef);
			cJSON_AddNumberToObject(jdef, "patterns", b->n_pats);
			cJSON_AddNumberToObject(jdef, "rules", b->n_rules);
			free_corpus(&c);
			sl_bundle_put(b);
		}
	}
	if (json) {
		char *txt = cJSON_Print(jroot);
		FILE *f = fopen(json, "w");

		if (!f || !txt || fputs(txt, f) < 0 || fclose(f)) {
			fprintf(stderr, "bench_rulec: cannot write %s\n", json);
			return 1;
		}
		free(txt);
	}
	cJSON_Delete(jroot);
	return 0;
}
