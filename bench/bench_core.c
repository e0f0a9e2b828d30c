/* bench_core — the screening core on one core, beside its limit.
 *
 * In one run, on the same records and the same bundle:
 *   raw:  the Hyperscan block scan (hs_scan) of each record's scan buffer
 *         with the bundle's database: what the scan alone costs, the limit
 *         of any design that scans these fields (and, for scale, the
 *         same scan over each whole MessagePack record);
 *   core: sl_screen_msgpack() on each MessagePack record in memory:
 *         decode, validate, normalise, scan, rules, decision, state;
 * and prints declarations/s of both, their ratio (target >= 0.8), ns per
 * declaration, and allocations per declaration counted by jemalloc
 * (target 0).  A further line times the core followed by
 * sl_verdict_to_msgpack, what a DPDK worker does per declaration before
 * the reply leaves.  No I/O inside the timed loops; every timing is the
 * best of ROUNDS passes over the whole corpus.
 *
 * Latency: one more pass takes a timestamp before every record and adds
 * each record's time to a log-linear histogram (bench/hist.h: a fixed
 * array, nothing allocated), for p50 / p99 / p99.9 / max.  The clock read
 * (printed as `timer`) is inside every sample.
 *
 * Tracked buyers (--buyers 10000,1000000,...): for each count, a fresh
 * memory-only state gets that many distinct buyers; printed are the
 * resident bytes per buyer (target <= 64), the insert cost, and the cost
 * of a lookup (sl_state_buyer_total) and of the pipeline's update
 * (sl_state_buyer_add) of an existing buyer picked at random.  A count
 * whose memory would not fit in MemAvailable is skipped and said so.
 *
 * Exact counts (-c): times move with the machine's load, so instead of
 * timing, -c runs each stage once after the warm-up pass, between
 * callgrind client requests (no-ops outside valgrind), one dump per stage:
 *   valgrind --tool=callgrind --callgrind-out-file=cg.%p \
 *       bench_core -c -r AVX2.bundle CORPUS
 *   grep -H -e '^desc: Trigger' -e '^totals' cg.*
 * gives the instructions of "decode+validate", "core", "core+verdict
 * encode" and "raw hs_scan" over the corpus's records; callgrind_annotate
 * --inclusive=yes on the "core" dump splits it by function
 * (docs/performance.md).  valgrind does not emulate AVX-512: give it a
 * bundle built with `sluice-rulec --target avx2`.  -c skips the buyers.
 *
 * The dense-match worst case (--dense TERMS): every text field the bundle
 * scans, in every item, is filled with the bundle's own terms (the file
 * --terms writes), so nearly every byte scanned is part of a match.
 * Items per declaration (--items K): every record gets exactly K items.
 *
 * usage: bench_core [-r BUNDLE] [-e REGISTRY] [-n ROUNDS] [--json FILE]
 *                   [--buyers LIST|none] [--dense TERMS] [--records N]
 *                   [--items K] [--label NAME] [-c] [CORPUS]
 *        bench_core [-r BUNDLE] --terms FILE
 * CORPUS is JSON lines or concatenated MessagePack maps (sluice-gen).
 * Plane: a bench; it allocates freely outside the timed loops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hs.h>
#include <jemalloc/jemalloc.h>
#include <msgpack.h>
#include <urcu-qsbr.h>
#include <valgrind/callgrind.h>

#include <sluice/bundle.h>
#include <sluice/decl.h>
#include <sluice/registry.h>
#include <sluice/screen.h>
#include <sluice/state.h>
#include <sluice/verdict.h>

#include "bundle-int.h"
#include "hist.h"

struct corpus {
	char *buf; /* concatenated MessagePack maps */
	size_t len, cap;
	size_t *off; /* record i starts at off[i] */
	size_t *rlen;
	size_t n, ncap;
};

/* The bundle's literal terms (--dense). */
struct terms {
	char **t;
	size_t n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_core: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static int sbuf_write(void *data, const char *b, size_t n)
{
	struct corpus *c = data;

	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1 << 20;

		while (cap < c->len + n)
			cap *= 2;
		c->buf = realloc(c->buf, cap);
		if (!c->buf)
			die("%s", "out of memory");
		c->cap = cap;
	}
	memcpy(c->buf + c->len, b, n);
	c->len += n;
	return 0;
}

/* JSON value -> MessagePack, keys and types as they are (cJSON and
 * msgpack-c: no hand-written codec). */
static void pack_json(msgpack_packer *pk, const cJSON *j)
{
	const cJSON *it;
	int n = 0;

	if (cJSON_IsObject(j)) {
		cJSON_ArrayForEach (it, j)
			n++;
		msgpack_pack_map(pk, (size_t)n);
		cJSON_ArrayForEach (it, j) {
			msgpack_pack_str_with_body(pk, it->string,
						   strlen(it->string));
			pack_json(pk, it);
		}
	} else if (cJSON_IsArray(j)) {
		msgpack_pack_array(pk, (size_t)cJSON_GetArraySize(j));
		cJSON_ArrayForEach (it, j)
			pack_json(pk, it);
	} else if (cJSON_IsString(j)) {
		msgpack_pack_str_with_body(pk, j->valuestring,
					   strlen(j->valuestring));
	} else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;

		if (d == (double)(int64_t)d && d > -1e15 && d < 1e15)
			msgpack_pack_int64(pk, (int64_t)d);
		else
			msgpack_pack_double(pk, d);
	} else if (cJSON_IsBool(j)) {
		if (cJSON_IsTrue(j))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
	} else {
		msgpack_pack_nil(pk);
	}
}

static void add_record(struct corpus *c, size_t start)
{
	if (c->n == c->ncap) {
		c->ncap = c->ncap ? c->ncap * 2 : 4096;
		c->off = realloc(c->off, c->ncap * sizeof(*c->off));
		c->rlen = realloc(c->rlen, c->ncap * sizeof(*c->rlen));
		if (!c->off || !c->rlen)
			die("%s", "out of memory");
	}
	c->off[c->n] = start;
	c->rlen[c->n++] = c->len - start;
}

/* A string of terms separated by spaces, at most max bytes, starting with
 * term number *next (which moves on). */
static void dense_text(const struct terms *t, size_t *next, size_t max,
		       char *out)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < t->n; k++) {
		const char *w = t->t[(*next)++ % t->n];
		size_t wl = strlen(w);

		if (len + wl + 1 > max)
			break;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, w, wl + 1);
		len += wl;
	}
}

static void set_string(cJSON *obj, const char *key, const char *val)
{
	if (cJSON_GetObjectItem(obj, key))
		cJSON_ReplaceItemInObject(obj, key, cJSON_CreateString(val));
	else
		cJSON_AddStringToObject(obj, key, val);
}

/* --dense: fills every text field b scans with terms; an item field in
 * every item.  Field sizes stay within the field's limit (sl__tf_max). */
static void densify(cJSON *j, const struct sl_bundle *b, const struct terms *t,
		    size_t *next)
{
	char text[1024];

	for (unsigned f = 0; f < SL__TF__COUNT; f++) {
		const char *name = sl__tf_name[f], *dot = strchr(name, '.');
		size_t max = sl__tf_max[f] < sizeof(text) ? sl__tf_max[f]
							  : sizeof(text) - 1;
		char parent[64];

		if (!(b->scan_fields & (1u << f)) || !dot)
			continue;
		if (f >= SL__TF_FIRST_ITEM) {
			cJSON *it;

			cJSON_ArrayForEach (it, cJSON_GetObjectItem(j, "items"))
				if (cJSON_IsObject(it)) {
					dense_text(t, next, max, text);
					set_string(it, dot + 1, text);
				}
			continue;
		}
		snprintf(parent, sizeof(parent), "%.*s", (int)(dot - name),
			 name);
		if (!cJSON_IsObject(cJSON_GetObjectItem(j, parent))) {
			cJSON_DeleteItemFromObject(j, parent);
			cJSON_AddObjectToObject(j, parent);
		}
		dense_text(t, next, max, text);
		set_string(cJSON_GetObjectItem(j, parent), dot + 1, text);
	}
}

/* --items K: makes every record's item list exactly k items long, from
 * its own items and, past those, copies of items of earlier records (a
 * ring of the last 256), with seq renumbered 1..k: sluice-gen keeps
 * import parcels under the CNY 5,000 limit, which caps their items. */
#define ITEM_RING 256
static void set_items(cJSON *j, unsigned k)
{
	static cJSON *ring[ITEM_RING];
	static unsigned ring_n, ring_next;
	cJSON *items = cJSON_GetObjectItem(j, "items"), *out, *it;
	unsigned n = 0, from = 0;

	if (!cJSON_IsArray(items) || !cJSON_GetArraySize(items))
		return;
	out = cJSON_CreateArray();
	cJSON_ArrayForEach (it, items) {
		if (!cJSON_IsObject(it))
			continue;
		if (n < k) {
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
			n++;
		}
		cJSON_Delete(ring[ring_next]);
		ring[ring_next] = cJSON_Duplicate(it, 1);
		ring_next = (ring_next + 1) % ITEM_RING;
		if (ring_n < ITEM_RING)
			ring_n++;
	}
	while (n < k && ring_n) {
		cJSON_AddItemToArray(out,
				     cJSON_Duplicate(ring[from++ % ring_n], 1));
		n++;
	}
	n = 0;
	cJSON_ArrayForEach (it, out)
		if (cJSON_GetObjectItem(it, "seq"))
			cJSON_ReplaceItemInObject(it, "seq",
						  cJSON_CreateNumber(++n));
	cJSON_ReplaceItemInObject(j, "items", out);
}

/* Reads CORPUS into c, at most max records (0: all); JSON-lines records
 * get exactly n_items items (0: as they are) and dense text. */
static void load_corpus(const char *path, struct corpus *c,
			const struct sl_bundle *b, const struct terms *dense,
			size_t max, unsigned n_items)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, got, next = 0;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			data = realloc(data, cap);
			if (!data)
				die("%s", "out of memory");
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	if ((dense || n_items) && !(len && data[0] == '{'))
		die("%s", "--dense and --items need a JSON-lines corpus");
	if (len && data[0] == '{') { /* JSON lines */
		msgpack_packer pk;
		char *p = data, *end = data + len;

		msgpack_packer_init(&pk, c, sbuf_write);
		while (p < end && (!max || c->n < max)) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			cJSON *j = cJSON_ParseWithLength(p, n);
			size_t start = c->len;

			if (j && cJSON_IsObject(j)) {
				if (n_items)
					set_items(j, n_items);
				if (dense)
					densify(j, b, dense, &next);
				pack_json(&pk, j);
				add_record(c, start);
			}
			cJSON_Delete(j);
			p += n + 1;
		}
		free(data);
	} else { /* MessagePack maps back to back: split with the decoder */
		struct sl_decoder *dec = sl_decoder_new();
		static sl_decl_t d;
		sl_error_t err;
		size_t off = 0, used;

		c->buf = data;
		c->len = c->cap = len;
		while (off < len && (!max || c->n < max)) {
			used = 0;
			sl_decode_msgpack(dec, data + off, len - off, &used, &d,
					  &err);
			if (!used)
				break;
			c->len = off + used;
			add_record(c, off);
			off += used;
		}
		if (!max || c->n < max)
			c->len = len;
		sl_decoder_free(dec);
	}
	if (!c->n)
		die("no records in %s", path);
}

/* --terms: the bundle's literal terms as a user would grep for them: the
 * normalised text of every literal pattern (terms as written and their
 * OpenCC variants) that makes a rule's text condition true.  `unless`
 * terms (exceptions) and regexes are left out: grep -F can't say "but
 * not".  One per line, each once.  Returns how many were written. */
static size_t write_terms(const struct sl_bundle *b, const char *path)
{
	FILE *o = strcmp(path, "-") ? fopen(path, "w") : stdout;
	char **seen = calloc(b->n_pats + 1, sizeof(*seen));
	size_t n = 0;

	if (!o || !seen)
		die("cannot write %s", path);
	for (uint32_t p = 0; p < b->n_pats; p++) {
		const struct sl__bpat *pt = &b->pats[p];
		const char *text = b->str + pt->text;
		bool term = false, dup = false;

		if (pt->origin != SL__PAT_TERM && pt->origin != SL__PAT_VARIANT)
			continue;
		for (uint32_t k = 0; k < pt->n_tgt; k++)
			term |= b->tgts[pt->tgt + k].role == SL__ROLE_TERM;
		if (!term || !*text || strchr(text, '\n'))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = !strcmp(seen[i], text);
		if (dup)
			continue;
		seen[n++] = (char *)text;
		fprintf(o, "%s\n", text);
	}
	if (o != stdout && fclose(o))
		die("cannot write %s", path);
	free(seen);
	return n;
}

static void read_terms(const char *path, struct terms *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t n;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		if (t->n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			t->t = realloc(t->t, alloc * sizeof(*t->t));
			if (!t->t)
				die("%s", "out of memory");
		}
		t->t[t->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	if (!t->n)
		die("no terms in %s", path);
}

/* jemalloc's allocation count, all arenas (small + large). */
static uint64_t jemalloc_nmalloc(void)
{
	uint64_t epoch = 1, small = 0, large = 0;
	size_t sz = sizeof(epoch);
	char name[64];

	mallctl("epoch", &epoch, &sz, &epoch, sz);
	sz = sizeof(small);
	snprintf(name, sizeof(name), "stats.arenas.%d.small.nmalloc",
		 MALLCTL_ARENAS_ALL);
	if (mallctl(name, &small, &sz, NULL, 0))
		return UINT64_MAX;
	snprintf(name, sizeof(name), "stats.arenas.%d.large.nmalloc",
		 MALLCTL_ARENAS_ALL);
	if (mallctl(name, &large, &sz, NULL, 0))
		return UINT64_MAX;
	return small + large;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* MemAvailable from /proc/meminfo, in bytes; 0 when unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

/* ------------------------------------------------------------- buyers */

struct buyers_result {
	uint64_t n;
	bool skipped;
	char why[300];	  /* when skipped */
	double per_buyer; /* resident bytes per tracked buyer */
	double insert_ns; /* per new buyer, table growing */
	double lookup_ns; /* sl_state_buyer_total, random existing buyer */
	double update_ns; /* sl_state_buyer_add, random existing buyer */
	uint64_t probes;  /* lookups and updates timed */
	double settle_s;  /* until the RSS stopped moving */
	int passes;	  /* lookup passes until two agreed */
};

static inline uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Waits until the RSS has not moved for ten polls of 100 ms, at most
 * 60 s, and returns it.  The table grows in liburcu's resize thread,
 * which needs grace periods (we go offline so it gets them) and, on a
 * loaded machine, CPU time: right after the inserts it may still be
 * small, with long chains. */
static long settle_rss(double *waited)
{
	long last = -1, cur;
	int same = 0, i;

	rcu_thread_offline();
	for (i = 0; i < 600 && same < 10; i++) {
		usleep(100000);
		cur = rss_kib();
		same = cur == last ? same + 1 : 0;
		last = cur;
	}
	rcu_thread_online();
	*waited = i * 0.1;
	return last;
}

/* Measures one buyer count; est is the bytes per buyer to budget for. */
static void buyers_measure(uint64_t n, double est, struct buyers_result *r)
{
	struct sl_state_config cfg;
	struct sl_state *st;
	char err[256];
	sl_money_t tot, sink = 0;
	uint64_t avail = mem_available(), i, rng = 88172645463325252ull;
	uint64_t probes = n < 2000000 ? n : 2000000;
	long before;
	double t, need = est * (double)n + 256.0 * 1048576;

	memset(r, 0, sizeof(*r));
	r->n = n;
	if (!avail || need > 0.8 * (double)avail) {
		r->skipped = true;
		snprintf(r->why, sizeof(r->why),
			 "needs about %.1f GiB at %.0f B/buyer; MemAvailable "
			 "is %.1f GiB (80 %% budget)",
			 need / 1073741824.0, est,
			 (double)avail / 1073741824.0);
		return;
	}
	sl_state_config_defaults(&cfg);
	cfg.buyers_per_worker = n + 16;
	cfg.windows_per_worker = 16;
	st = sl_state_open(&cfg, err, sizeof(err));
	if (!st) {
		r->skipped = true;
		snprintf(r->why, sizeof(r->why), "state: %s", err);
		return;
	}
	before = rss_kib();
	t = now();
	for (i = 0; i < n; i++) {
		sl_state_buyer_add(st, 0, i * 7919 + 1, 2026, SL_MONEY_ONE,
				   26000 * SL_MONEY_ONE, &tot);
		if ((i & 1023) == 0)
			rcu_quiescent_state();
	}
	r->insert_ns = (now() - t) * 1e9 / (double)n;
	r->per_buyer =
	    (double)(settle_rss(&r->settle_s) - before) * 1024.0 / (double)n;

	/* Random existing buyers: what a declaration's lookup meets.  Passes
	 * until two agree within 10 % (at most 4): a table still growing
	 * makes the later pass faster. */
	for (int pass = 0; pass < 4; pass++) {
		double ns;

		t = now();
		for (i = 0; i < probes; i++) {
			sink += sl_state_buyer_total(
			    st, (xorshift(&rng) % n) * 7919 + 1, 2026);
			if ((i & 1023) == 0)
				rcu_quiescent_state();
		}
		ns = (now() - t) * 1e9 / (double)probes;
		r->passes = pass + 1;
		if (pass && ns > 0.9 * r->lookup_ns) {
			r->lookup_ns = ns < r->lookup_ns ? ns : r->lookup_ns;
			break;
		}
		r->lookup_ns = ns;
	}
	t = now();
	for (i = 0; i < probes; i++) {
		sl_state_buyer_add(st, 0, (xorshift(&rng) % n) * 7919 + 1, 2026,
				   SL_MONEY_ONE, 26000 * SL_MONEY_ONE, &tot);
		if ((i & 1023) == 0)
			rcu_quiescent_state();
	}
	r->update_ns = (now() - t) * 1e9 / (double)probes;
	r->probes = probes;
	if (sink < 0)
		printf("(impossible total)\n");
	rcu_thread_offline(); /* close may wait for a resize */
	sl_state_close(st);
	rcu_thread_online();
}

/* ------------------------------------------------------------ main run */

struct opts {
	const char *bundle, *registry, *json, *terms_out, *dense, *corpus;
	const char *label;
	char *buyers;	/* comma-separated counts, or NULL */
	size_t max;	/* --records: the first max records only; 0 = all */
	unsigned items; /* --items: items per record; 0 = as they are */
	unsigned rounds;
	bool callgrind;
};

struct run {
	struct sl_bundle *b;
	struct sl_snapshot *snap;
	struct sl_screener *w;
	struct sl_state *st;
	struct sl_match_scratch *ms;
	struct corpus c;
	char *scan; /* every record's scan buffer, back to back */
	size_t *soff, *slen, scan_len, n_scanned, items;
	uint64_t kinds[SL_VERDICT__COUNT], matches;
	double raw, dec, core; /* best seconds over the corpus */
	double enc;	       /* core + sl_verdict_to_msgpack */
	double raw_rec;	       /* hs_scan of the whole records */
	/* the same, in thread CPU time (what a core of its own would take:
	 * time the scheduler gave to other processes is not in it) */
	double raw_cpu, dec_cpu, core_cpu, enc_cpu, raw_rec_cpu;
	uint64_t record_matches;   /* matches in them */
	size_t enc_bytes;	   /* verdict bytes of the last enc pass */
	double timer_ns;	   /* one clock read, back to back */
	uint64_t allocs, screened; /* jemalloc count over timed passes */
	bool allocs_known;
	struct bench_hist lat;
};

/* Builds the raw scan's input: each record's scan buffer, as the matcher
 * builds it (decode, validate, normalise), once, outside any timing. */
static void build_scan(struct run *R)
{
	size_t cap = 0;

	R->soff = calloc(R->c.n, sizeof(*R->soff));
	R->slen = calloc(R->c.n, sizeof(*R->slen));
	for (size_t i = 0; i < R->c.n; i++) {
		sl_decl_t *d = sl_screener_decl(R->w);
		sl_error_t e;
		size_t used, n = 0;
		const char *p;

		if (sl_decode_msgpack(sl_screener_decoder(R->w),
				      R->c.buf + R->c.off[i], R->c.rlen[i],
				      &used, d, &e) != SL_OK ||
		    sl_decl_validate(d, &e) != SL_OK ||
		    sl__match_build(R->b, R->ms, d) < 0)
			continue;
		R->items += d->n_items;
		p = sl__match_buf(R->ms, &n);
		if (R->scan_len + n > cap) {
			cap = (R->scan_len + n) * 2 + (1 << 20);
			R->scan = realloc(R->scan, cap);
			if (!R->scan)
				die("%s", "out of memory");
		}
		memcpy(R->scan + R->scan_len, p, n);
		R->soff[i] = R->scan_len;
		R->slen[i] = n;
		R->scan_len += n;
		R->n_scanned++;
	}
}

static void pass_raw(struct run *R)
{
	hs_scratch_t *hs = sl__match_hs_scratch(R->ms);

	R->matches = 0;
	for (size_t i = 0; i < R->c.n; i++)
		if (R->slen[i])
			hs_scan(R->b->db, R->scan + R->soff[i],
				(unsigned)R->slen[i], 0, hs, on_match,
				&R->matches);
}

/* The same database over each whole MessagePack record, as bytes: what a
 * design that scanned the record without decoding it first would pay. */
static void pass_raw_record(struct run *R)
{
	hs_scratch_t *hs = sl__match_hs_scratch(R->ms);
	uint64_t m = 0;

	for (size_t i = 0; i < R->c.n; i++)
		hs_scan(R->b->db, R->c.buf + R->c.off[i],
			(unsigned)R->c.rlen[i], 0, hs, on_match, &m);
	R->record_matches = m;
}

static void pass_decode(struct run *R)
{
	sl_decl_t *d = sl_screener_decl(R->w);
	sl_error_t e;

	for (size_t i = 0; i < R->c.n; i++) {
		size_t used;

		if (sl_decode_msgpack(sl_screener_decoder(R->w),
				      R->c.buf + R->c.off[i], R->c.rlen[i],
				      &used, d, &e) == SL_OK)
			sl_decl_validate(d, &e);
	}
}

/* The core over the corpus; kinds counts verdicts when non-NULL. */
static void pass_core(struct run *R, uint64_t *kinds)
{
	sl_verdict_t v;

	for (size_t i = 0; i < R->c.n; i++) {
		size_t used;

		sl_screen_msgpack(R->w, R->snap, R->st, R->c.buf + R->c.off[i],
				  R->c.rlen[i], &used, i + 1, &v);
		if (kinds)
			kinds[v.verdict]++;
		if ((i & 255) == 0) /* as a DPDK worker does once per loop */
			rcu_quiescent_state();
	}
	rcu_quiescent_state();
}

/* The core and the verdict encoded for the wire: what a DPDK worker pays
 * per declaration before the reply leaves. */
static void pass_core_encode(struct run *R)
{
	static uint8_t enc[SL_VERDICT_MSGPACK_MAX];
	sl_verdict_t v;

	R->enc_bytes = 0;
	for (size_t i = 0; i < R->c.n; i++) {
		size_t used;
		int n;

		sl_screen_msgpack(R->w, R->snap, R->st, R->c.buf + R->c.off[i],
				  R->c.rlen[i], &used, i + 1, &v);
		n = sl_verdict_to_msgpack(&v, enc, sizeof(enc));
		R->enc_bytes += n > 0 ? (size_t)n : 0;
		if ((i & 255) == 0)
			rcu_quiescent_state();
	}
	rcu_quiescent_state();
}

/* The core again, one clock read per record into the histogram. */
static void pass_latency(struct run *R)
{
	sl_verdict_t v;
	uint64_t t0, t1, best = UINT64_MAX;

	for (int k = 0; k < 1000; k++) {
		t0 = now_ns();
		t1 = now_ns();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	R->timer_ns = (double)best;
	bench_hist_init(&R->lat);
	t0 = now_ns();
	for (size_t i = 0; i < R->c.n; i++) {
		size_t used;

		sl_screen_msgpack(R->w, R->snap, R->st, R->c.buf + R->c.off[i],
				  R->c.rlen[i], &used, i + 1, &v);
		if ((i & 255) == 0)
			rcu_quiescent_state();
		t1 = now_ns();
		bench_hist_add(&R->lat, t1 - t0);
		t0 = t1;
	}
	rcu_quiescent_state();
}

static void settle(void)
{
	/* let the state table's resizer finish: it waits for grace periods */
	rcu_thread_offline();
	usleep(200000);
	rcu_thread_online();
	rcu_quiescent_state();
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pass_core_only(struct run *R)
{
	pass_core(R, NULL);
}

/* One pass of fn; keeps the best wall and the best thread CPU time. */
static void timeit(void (*fn)(struct run *), struct run *R, double *wall,
		   double *cpu)
{
	double t = now(), c = cpu_now();

	fn(R);
	c = cpu_now() - c;
	t = now() - t;
	*wall = t < *wall ? t : *wall;
	*cpu = c < *cpu ? c : *cpu;
}

/* The stages take turns, round after round, so that a burst of load
 * from other processes falls on every stage alike rather than on all
 * the rounds of one. */
static void timed(struct run *R, unsigned rounds)
{
	uint64_t a0, a1;

	R->raw = R->dec = R->core = R->enc = R->raw_rec = 1e30;
	R->raw_cpu = R->dec_cpu = R->core_cpu = R->enc_cpu = R->raw_rec_cpu =
	    1e30;
	R->allocs = 0;
	R->allocs_known = true;
	for (unsigned r = 0; r < rounds; r++) {
		timeit(pass_decode, R, &R->dec, &R->dec_cpu);
		a0 = jemalloc_nmalloc();
		timeit(pass_core_only, R, &R->core, &R->core_cpu);
		timeit(pass_core_encode, R, &R->enc, &R->enc_cpu);
		a1 = jemalloc_nmalloc();
		R->allocs_known &= a0 != UINT64_MAX && a1 != UINT64_MAX;
		R->allocs += a1 - a0;
		timeit(pass_raw, R, &R->raw, &R->raw_cpu);
		timeit(pass_raw_record, R, &R->raw_rec, &R->raw_rec_cpu);
	}
	R->screened = (uint64_t)R->c.n * rounds * 2;
	pass_latency(R);
}

/* -c: each path once, between callgrind requests.  The warm-up pass
 * before made every buyer and window, as in the timed mode. */
static void counted(struct run *R)
{
	CALLGRIND_ZERO_STATS;
	pass_decode(R);
	CALLGRIND_DUMP_STATS_AT("decode+validate");
	CALLGRIND_ZERO_STATS;
	pass_core(R, NULL);
	CALLGRIND_DUMP_STATS_AT("core");
	CALLGRIND_ZERO_STATS;
	pass_core_encode(R);
	CALLGRIND_DUMP_STATS_AT("core+verdict encode");
	CALLGRIND_ZERO_STATS;
	pass_raw(R);
	CALLGRIND_DUMP_STATS_AT("raw hs_scan");
}

/* A stage's figures: from wall time (decl_s, ns_per_decl, bytes_s) and
 * from thread CPU time (*_cpu), both the best of the rounds. */
static cJSON *rate_json(cJSON *o, const char *name, double n, double s,
			double cpu, double bytes)
{
	cJSON *r = cJSON_AddObjectToObject(o, name);

	cJSON_AddNumberToObject(r, "decl_s", n / s);
	cJSON_AddNumberToObject(r, "ns_per_decl", s * 1e9 / n);
	cJSON_AddNumberToObject(r, "bytes_s", bytes / s);
	cJSON_AddNumberToObject(r, "seconds", s);
	cJSON_AddNumberToObject(r, "decl_s_cpu", n / cpu);
	cJSON_AddNumberToObject(r, "ns_per_decl_cpu", cpu * 1e9 / n);
	cJSON_AddNumberToObject(r, "cpu_seconds", cpu);
	return r;
}

static void print_run(const struct opts *o, struct run *R, cJSON *j)
{
	const struct corpus *c = &R->c;
	static const char *const kind[] = {
#define X(id, name, status) name,
	    SL_VERDICTS(X)
#undef X
	};
	cJSON *v;

	printf("records: %zu (%.1f MiB MessagePack, %zu scanned: %.1f MiB, "
	       "%.1f items per scanned declaration), %s of %u rounds\n",
	       c->n, c->len / 1048576.0, R->n_scanned, R->scan_len / 1048576.0,
	       R->n_scanned ? (double)R->items / R->n_scanned : 0,
	       o->callgrind ? "one" : "best", o->rounds);
	printf("verdicts (first pass): release %llu, hold %llu, inspect "
	       "%llu, seize %llu, reject %llu\n",
	       (unsigned long long)R->kinds[SL_VERDICT_RELEASE],
	       (unsigned long long)R->kinds[SL_VERDICT_HOLD],
	       (unsigned long long)R->kinds[SL_VERDICT_INSPECT],
	       (unsigned long long)R->kinds[SL_VERDICT_SEIZE],
	       (unsigned long long)R->kinds[SL_VERDICT_REJECT]);
	cJSON_AddNumberToObject(j, "records", (double)c->n);
	cJSON_AddNumberToObject(j, "msgpack_bytes", (double)c->len);
	cJSON_AddNumberToObject(j, "scanned_records", (double)R->n_scanned);
	cJSON_AddNumberToObject(j, "scan_bytes", (double)R->scan_len);
	cJSON_AddNumberToObject(j, "items", (double)R->items);
	cJSON_AddNumberToObject(j, "rounds", o->rounds);
	v = cJSON_AddObjectToObject(j, "verdicts");
	for (int k = 0; k < SL_VERDICT__COUNT; k++)
		cJSON_AddNumberToObject(v, kind[k], (double)R->kinds[k]);
	if (o->callgrind) {
		printf("callgrind: dumps \"decode+validate\", \"core\", "
		       "\"core+verdict encode\", \"raw hs_scan\" (one pass "
		       "each over %zu records)\n",
		       c->n);
		return;
	}
	printf("raw hs_scan:  %10.0f declarations/s  %7.1f ns/decl  (%.0f "
	       "MB/s, %.2f matches/decl)\n",
	       c->n / R->raw, R->raw * 1e9 / c->n, R->scan_len / R->raw / 1e6,
	       (double)R->matches / c->n);
	printf("raw, records: %10.0f declarations/s  %7.1f ns/decl  (%.0f "
	       "MB/s: hs_scan of each whole MessagePack record)\n",
	       c->n / R->raw_rec, R->raw_rec * 1e9 / c->n,
	       c->len / R->raw_rec / 1e6);
	printf("decode+valid: %10.0f declarations/s  %7.1f ns/decl\n",
	       c->n / R->dec, R->dec * 1e9 / c->n);
	printf("core:         %10.0f declarations/s  %7.1f ns/decl  (%.0f "
	       "MB/s of MessagePack)\n",
	       c->n / R->core, R->core * 1e9 / c->n, c->len / R->core / 1e6);
	printf("core+encode:  %10.0f declarations/s  %7.1f ns/decl  (%.0f "
	       "verdict bytes/decl)\n",
	       c->n / R->enc, R->enc * 1e9 / c->n,
	       (double)R->enc_bytes / (double)c->n);
	printf("latency (core, per declaration, %llu samples, timer %.0f ns "
	       "included): p50 %llu ns, p99 %llu ns, p99.9 %llu ns, max %llu "
	       "ns (target p99 <= 10000 ns)\n",
	       (unsigned long long)R->lat.n, R->timer_ns,
	       (unsigned long long)bench_hist_quantile(&R->lat, 0.5),
	       (unsigned long long)bench_hist_quantile(&R->lat, 0.99),
	       (unsigned long long)bench_hist_quantile(&R->lat, 0.999),
	       (unsigned long long)R->lat.max);
	printf("core, CPU time: %10.0f declarations/s  %7.1f ns/decl  (raw "
	       "hs_scan %.0f/s: what a core of its own would run)\n",
	       c->n / R->core_cpu, R->core_cpu * 1e9 / c->n, c->n / R->raw_cpu);
	printf("ratio core/raw-scan: %.2f (target >= 0.80; CPU time %.2f)\n",
	       R->raw / R->core, R->raw_cpu / R->core_cpu);
	if (!R->allocs_known)
		printf("allocations per declaration: unknown (jemalloc stats "
		       "unavailable)\n");
	else
		printf("allocations per declaration: %.4f (%llu in %llu "
		       "declarations; target 0)\n",
		       (double)R->allocs / (double)R->screened,
		       (unsigned long long)R->allocs,
		       (unsigned long long)R->screened);

	rate_json(j, "raw", (double)c->n, R->raw, R->raw_cpu,
		  (double)R->scan_len);
	cJSON_AddNumberToObject(j, "raw_matches_per_decl",
				(double)R->matches / c->n);
	rate_json(j, "raw_record", (double)c->n, R->raw_rec, R->raw_rec_cpu,
		  (double)c->len);
	rate_json(j, "decode", (double)c->n, R->dec, R->dec_cpu,
		  (double)c->len);
	rate_json(j, "core", (double)c->n, R->core, R->core_cpu,
		  (double)c->len);
	rate_json(j, "core_encode", (double)c->n, R->enc, R->enc_cpu,
		  (double)c->len);
	cJSON_AddNumberToObject(j, "ratio_core_raw_cpu",
				R->raw_cpu / R->core_cpu);
	cJSON_AddNumberToObject(j, "ratio_core_raw", R->raw / R->core);
	v = cJSON_AddObjectToObject(j, "latency_ns");
	cJSON_AddNumberToObject(v, "samples", (double)R->lat.n);
	cJSON_AddNumberToObject(v, "timer", R->timer_ns);
	cJSON_AddNumberToObject(v, "p50",
				(double)bench_hist_quantile(&R->lat, 0.5));
	cJSON_AddNumberToObject(v, "p99",
				(double)bench_hist_quantile(&R->lat, 0.99));
	cJSON_AddNumberToObject(v, "p999",
				(double)bench_hist_quantile(&R->lat, 0.999));
	cJSON_AddNumberToObject(v, "max", (double)R->lat.max);
	cJSON_AddNumberToObject(v, "mean",
				R->lat.n ? (double)R->lat.sum / R->lat.n : 0);
	if (R->allocs_known)
		cJSON_AddNumberToObject(j, "allocs_per_decl",
					(double)R->allocs /
					    (double)R->screened);
}

static void run_corpus(const struct opts *o, cJSON *j)
{
	struct run *R = calloc(1, sizeof(*R));
	struct sl_registry *reg = NULL;
	struct sl_state_config cfg;
	struct terms dense = {0};
	char path[4096], err[512];
	const char *bp = o->bundle;

	if (!R)
		die("%s", "out of memory");
	if (!bp) {
		if (sl_bundle_default_path(path, sizeof(path)) < 0)
			die("%s", "no default bundle; give -r BUNDLE");
		bp = path;
	}
	R->b = sl_bundle_load(bp, err, sizeof(err));
	if (!R->b)
		die("%s", err);
	if (!R->b->db)
		die("%s has no patterns: nothing to compare with", bp);
	if (o->registry &&
	    !(reg = sl_registry_load(o->registry, err, sizeof(err))))
		die("%s", err);
	R->snap = sl_snapshot_new(R->b, reg, 1, err, sizeof(err));
	if (!R->snap)
		die("%s", err);
	sl_registry_put(reg);
	R->w = sl_screener_new(0);
	sl_state_config_defaults(&cfg);
	R->st = sl_state_open(&cfg, err, sizeof(err));
	R->ms = sl_match_scratch_new(R->b);
	if (!R->w || !R->st || !R->ms)
		die("%s", "out of memory");
	if (o->dense)
		read_terms(o->dense, &dense);
	load_corpus(o->corpus, &R->c, R->b, o->dense ? &dense : NULL, o->max,
		    o->items);
	build_scan(R);

	/* Warm-up: every buyer and window exists afterwards, so the timed
	 * rounds measure lookups, and the table has stopped resizing. */
	pass_core(R, R->kinds);
	settle();

	if (o->callgrind)
		counted(R);
	else
		timed(R, o->rounds);
	print_run(o, R, j);

	for (size_t i = 0; i < dense.n; i++)
		free(dense.t[i]);
	free(dense.t);
	free(R->scan);
	free(R->soff);
	free(R->slen);
	sl_match_scratch_free(R->ms);
	sl_screener_free(R->w);
	sl_snapshot_free(R->snap);
	rcu_thread_offline();
	sl_state_close(R->st);
	rcu_thread_online();
	sl_bundle_put(R->b);
	free(R->c.buf);
	free(R->c.off);
	free(R->c.rlen);
	free(R);
}

static void run_buyers(char *list, cJSON *j)
{
	cJSON *arr = cJSON_AddArrayToObject(j, "buyers");
	double est = 64.0;
	char *tok;

	while ((tok = strsep(&list, ","))) {
		struct buyers_result r;
		cJSON *o;
		uint64_t n = strtoull(tok, NULL, 10);

		if (!n)
			die("bad buyer count '%s'", tok);
		buyers_measure(n, est, &r);
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "n", (double)n);
		if (r.skipped) {
			printf("state, %llu buyers: skipped: %s\n",
			       (unsigned long long)n, r.why);
			cJSON_AddStringToObject(o, "skipped", r.why);
		} else {
			printf("state, %llu buyers: %.1f resident bytes per "
			       "tracked buyer (target <= 64); insert %.0f "
			       "ns, lookup %.0f ns, update %.0f ns (random "
			       "existing buyer, %llu probes, %d lookup "
			       "passes; table settled in %.1f s)\n",
			       (unsigned long long)n, r.per_buyer, r.insert_ns,
			       r.lookup_ns, r.update_ns,
			       (unsigned long long)r.probes, r.passes,
			       r.settle_s);
			cJSON_AddNumberToObject(o, "bytes_per_buyer",
						r.per_buyer);
			cJSON_AddNumberToObject(o, "insert_ns", r.insert_ns);
			cJSON_AddNumberToObject(o, "lookup_ns", r.lookup_ns);
			cJSON_AddNumberToObject(o, "update_ns", r.update_ns);
			cJSON_AddNumberToObject(o, "lookup_passes", r.passes);
			cJSON_AddNumberToObject(o, "settle_s", r.settle_s);
			/* budget the next size on what this one took */
			if (r.per_buyer * 1.25 > est)
				est = r.per_buyer * 1.25;
		}
		cJSON_AddItemToArray(arr, o);
		fflush(stdout);
	}
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bench_core [-r BUNDLE] [-e REGISTRY] [-n ROUNDS] [--json "
	    "FILE]\n"
	    "                  [--buyers LIST|none] [--dense TERMS] [--records "
	    "N] [-c] [CORPUS]\n"
	    "       bench_core [-r BUNDLE] --terms FILE\n"
	    "CORPUS: JSON lines or MessagePack maps (sluice-gen).  Prints "
	    "declarations/s of\n"
	    "the raw Hyperscan scan and of the core pipeline, their ratio, "
	    "latency\n"
	    "percentiles, allocations per declaration (jemalloc) and, for "
	    "each count in\n"
	    "--buyers (default 1000000), resident bytes per tracked buyer and "
	    "lookup cost.\n"
	    "  -r BUNDLE       rule bundle (default: the default bundle)\n"
	    "  -e REGISTRY     enterprise registry CSV\n"
	    "  -n ROUNDS       timed passes; the best counts (default 5)\n"
	    "  --json FILE     also write the results as JSON\n"
	    "  --buyers LIST   buyer counts to measure, e.g. "
	    "10000,1000000; none: skip\n"
	    "  --dense TERMS   fill every scanned field with these terms "
	    "(worst case)\n"
	    "  --terms FILE    write the bundle's literal terms (- for "
	    "stdout), exit\n"
	    "  -c              one pass per path between callgrind requests "
	    "(run under\n"
	    "                  valgrind --tool=callgrind with an avx2 "
	    "bundle)\n"
	    "  --records N     use the first N records of CORPUS only\n"
	    "  --items K       give every record exactly K items (JSON "
	    "corpus)\n"
	    "  --label NAME    a name for this run in the JSON\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"json", required_argument, NULL, 'j'},
	    {"buyers", required_argument, NULL, 'B'},
	    {"dense", required_argument, NULL, 'D'},
	    {"terms", required_argument, NULL, 'T'},
	    {"label", required_argument, NULL, 'L'},
	    {"records", required_argument, NULL, 'N'},
	    {"items", required_argument, NULL, 'I'},
	    {"callgrind", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct opts o = {.rounds = 5};
	char buyers_default[] = "1000000";
	cJSON *j = cJSON_CreateObject();
	int opt;

	while ((opt = getopt_long(argc, argv, "r:e:n:ch", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o.bundle = optarg;
			break;
		case 'e':
			o.registry = optarg;
			break;
		case 'n':
			o.rounds = (unsigned)atoi(optarg);
			break;
		case 'j':
			o.json = optarg;
			break;
		case 'B':
			o.buyers = strcmp(optarg, "none") ? optarg : "";
			break;
		case 'D':
			o.dense = optarg;
			break;
		case 'T':
			o.terms_out = optarg;
			break;
		case 'L':
			o.label = optarg;
			break;
		case 'N':
			o.max = strtoul(optarg, NULL, 10);
			break;
		case 'I':
			o.items = (unsigned)strtoul(optarg, NULL, 10);
			if (o.items < 1 || o.items > SL_MAX_ITEMS)
				die("--items takes 1 to %d", SL_MAX_ITEMS);
			break;
		case 'c':
			o.callgrind = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.terms_out) {
		char path[4096], err[512];
		const char *bp = o.bundle;
		struct sl_bundle *b;
		size_t n;

		if (!bp && sl_bundle_default_path(path, sizeof(path)) < 0)
			die("%s", "no default bundle; give -r BUNDLE");
		b = sl_bundle_load(bp ? bp : path, err, sizeof(err));
		if (!b)
			die("%s", err);
		n = write_terms(b, o.terms_out);
		fprintf(stderr,
			"bench_core: %zu literal terms of %u patterns\n", n,
			b->n_pats);
		sl_bundle_put(b);
		return 0;
	}
	if (optind < argc)
		o.corpus = argv[optind++];
	if (optind != argc || o.rounds == 0)
		die("%s", "at most one CORPUS, and -n > 0 (-h for help)");
	if (!o.buyers)
		o.buyers = o.callgrind ? "" : buyers_default;
	if (!o.corpus && !*o.buyers)
		die("%s", "nothing to do: give a CORPUS or --buyers (-h)");
	if (o.callgrind)
		o.rounds = 1;

	rcu_register_thread();
	if (o.label)
		cJSON_AddStringToObject(j, "label", o.label);
	if (o.corpus)
		run_corpus(&o, j);
	if (*o.buyers)
		run_buyers(o.buyers, j);
	rcu_unregister_thread();

	if (o.json) {
		char *txt = cJSON_Print(j);
		FILE *f = fopen(o.json, "w");

		if (!f || !txt || fputs(txt, f) < 0 || fclose(f))
			die("cannot write %s", o.json);
		free(txt);
	}
	cJSON_Delete(j);
	return 0;
}
