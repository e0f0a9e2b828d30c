/* bench_core — the screening core on one core, beside its limit.
 *
 * In one run, on the same records and the same bundle:
 *   raw:  the Hyperscan block scan (hs_scan) of each record's scan buffer
 *         with the bundle's database: what the scan alone costs, the limit
 *         of any design that scans these fields;
 *   core: sl_screen_msgpack() on each MessagePack record in memory:
 *         decode, validate, normalise, scan, rules, decision, state;
 * and prints declarations/s of both, their ratio (target >= 0.8), ns per
 * declaration, and allocations per declaration counted by jemalloc
 * (target 0).  A third measure is the state's resident bytes per tracked
 * buyer (target <= 64).  No I/O inside the timed loops.
 *
 * A fourth line times the core followed by sl_verdict_to_msgpack, what a
 * DPDK worker does per declaration before the reply leaves.
 *
 * usage: bench_core [-r BUNDLE] [-e REGISTRY] [-n ROUNDS] [-c] CORPUS
 * CORPUS is JSON lines or concatenated MessagePack maps (sluice-gen).
 *
 * Times move with the machine's load.  For exact counts, -c runs each
 * stage once after the warm-up, bracketed by callgrind client requests
 * (no-ops outside valgrind), one dump per stage:
 *   valgrind --tool=callgrind --callgrind-out-file=cg.%p bench_core -c ...
 *   grep -H -e '^desc: Trigger' -e '^totals' cg.*
 * gives each stage's instructions over the corpus; callgrind_annotate
 * --inclusive=yes on the "core" dump splits it by function
 * (docs/performance.md).  A bundle built with `sluice-rulec --target avx2`
 * runs under valgrind, which does not emulate AVX-512.
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

struct corpus {
	char *buf; /* concatenated MessagePack maps */
	size_t len, cap;
	size_t *off; /* record i starts at off[i] */
	size_t *rlen;
	size_t n, ncap;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void load_corpus(const char *path, struct corpus *c)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		die("cannot open %s", path);
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
	if (len && data[0] == '{') { /* JSON lines */
		msgpack_packer pk;
		char *p = data, *end = data + len;

		msgpack_packer_init(&pk, c, sbuf_write);
		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			cJSON *j = cJSON_ParseWithLength(p, n);
			size_t start = c->len;

			if (j && cJSON_IsObject(j)) {
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
		while (off < len) {
			used = 0;
			sl_decode_msgpack(dec, data + off, len - off, &used, &d,
					  &err);
			if (!used)
				break;
			c->len = off + used;
			add_record(c, off);
			off += used;
		}
		c->len = len;
		sl_decoder_free(dec);
	}
	if (!c->n)
		die("no records in %s", path);
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

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Resident bytes per tracked buyer: n distinct buyers into a fresh
 * memory-only state. */
static double bytes_per_buyer(uint64_t n)
{
	struct sl_state_config cfg;
	struct sl_state *st;
	char err[256];
	sl_money_t tot;
	long before;
	uint64_t i;
	double per;

	sl_state_config_defaults(&cfg);
	cfg.buyers_per_worker = n + 16;
	cfg.windows_per_worker = 16;
	st = sl_state_open(&cfg, err, sizeof(err));
	if (!st)
		die("state: %s", err);
	before = rss_kib();
	for (i = 0; i < n; i++) {
		sl_state_buyer_add(st, 0, i * 7919 + 1, 2026, SL_MONEY_ONE,
				   26000 * SL_MONEY_ONE, &tot);
		if ((i & 1023) == 0)
			rcu_quiescent_state();
	}
	/* let the resizer finish before measuring */
	rcu_thread_offline();
	usleep(200000);
	rcu_thread_online();
	per = (double)(rss_kib() - before) * 1024.0 / (double)n;
	sl_state_close(st);
	return per;
}

int main(int argc, char **argv)
{
	const char *bundle_path = NULL, *reg_path = NULL;
	char path[4096], err[512];
	struct sl_bundle *b;
	struct sl_registry *reg = NULL;
	struct sl_snapshot *snap;
	struct sl_screener *w;
	struct sl_state *st;
	struct sl_state_config cfg;
	struct sl_match_scratch *ms;
	struct corpus c = {0};
	char *scan;
	size_t *soff, *slen, scan_len = 0, scan_cap = 0;
	uint64_t kinds[SL_VERDICT__COUNT] = {0}, matches = 0, a0, a1;
	unsigned rounds = 5, r;
	double t, raw_best = 1e30, core_best = 1e30, dec_best = 1e30,
		  enc_best = 1e30;
	bool callgrind = false;
	size_t enc_bytes = 0;
	static uint8_t enc[SL_VERDICT_MSGPACK_MAX];
	sl_verdict_t v;
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "r:e:n:ch")) != -1) {
		switch (opt) {
		case 'c':
			callgrind = true;
			break;
		case 'r':
			bundle_path = optarg;
			break;
		case 'e':
			reg_path = optarg;
			break;
		case 'n':
			rounds = (unsigned)atoi(optarg);
			break;
		default:
			printf(
			    "usage: bench_core [-r BUNDLE] [-e REGISTRY] [-n "
			    "ROUNDS] [-c] CORPUS\n"
			    "CORPUS: JSON lines or MessagePack maps "
			    "(sluice-gen).  Prints declarations/s of the raw "
			    "Hyperscan\nscan and of the core pipeline, "
			    "their ratio, allocations per declaration\n"
			    "(jemalloc) and resident bytes per tracked "
			    "buyer.\n"
			    "  -c  one round per stage, each bracketed by "
			    "callgrind client requests\n"
			    "      (run under valgrind --tool=callgrind for "
			    "exact instruction counts)\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || rounds == 0)
		die("%s", "one CORPUS expected (-h for help)");
	if (callgrind)
		rounds = 1;
	rcu_register_thread();
	if (!bundle_path) {
		if (sl_bundle_default_path(path, sizeof(path)) < 0)
			die("%s", "no default bundle; give -r BUNDLE");
		bundle_path = path;
	}
	b = sl_bundle_load(bundle_path, err, sizeof(err));
	if (!b)
		die("%s", err);
	if (reg_path && !(reg = sl_registry_load(reg_path, err, sizeof(err))))
		die("%s", err);
	snap = sl_snapshot_new(b, reg, 1, err, sizeof(err));
	if (!snap)
		die("%s", err);
	w = sl_screener_new(0);
	sl_state_config_defaults(&cfg);
	st = sl_state_open(&cfg, err, sizeof(err));
	if (!w || !st)
		die("%s", "out of memory");
	load_corpus(argv[optind], &c);

	/* The raw scan's input: each record's scan buffer, built once. */
	ms = sl_match_scratch_new(b);
	soff = calloc(c.n, sizeof(*soff));
	slen = calloc(c.n, sizeof(*slen));
	scan = NULL;
	for (i = 0; i < c.n; i++) {
		sl_decl_t *d = sl_screener_decl(w);
		sl_error_t e;
		size_t used, n = 0;
		const char *p;

		if (sl_decode_msgpack(sl_screener_decoder(w), c.buf + c.off[i],
				      c.rlen[i], &used, d, &e) != SL_OK ||
		    sl_decl_validate(d, &e) != SL_OK ||
		    sl__match_build(b, ms, d) < 0)
			continue;
		p = sl__match_buf(ms, &n);
		if (scan_len + n > scan_cap) {
			scan_cap = (scan_len + n) * 2 + (1 << 20);
			scan = realloc(scan, scan_cap);
			if (!scan)
				die("%s", "out of memory");
		}
		memcpy(scan + scan_len, p, n);
		soff[i] = scan_len;
		slen[i] = n;
		scan_len += n;
	}

	/* Warm-up: every buyer and window exists afterwards, so the timed
	 * rounds measure lookups, and the table has stopped resizing. */
	for (i = 0; i < c.n; i++) {
		size_t used;

		sl_screen_msgpack(w, snap, st, c.buf + c.off[i], c.rlen[i],
				  &used, i + 1, &v);
		kinds[v.verdict]++;
		if ((i & 255) == 0) /* as a DPDK worker does once per loop */
			rcu_quiescent_state();
	}
	/* let the table's resizer finish: it waits for grace periods */
	rcu_thread_offline();
	usleep(200000);
	rcu_thread_online();
	rcu_quiescent_state();

	/* decode + validate alone, to show where the core's time goes */
	for (r = 0; r < rounds; r++) {
		sl_decl_t *d = sl_screener_decl(w);
		sl_error_t e;

		if (callgrind)
			CALLGRIND_ZERO_STATS;
		t = now();
		for (i = 0; i < c.n; i++) {
			size_t used;

			if (sl_decode_msgpack(sl_screener_decoder(w),
					      c.buf + c.off[i], c.rlen[i],
					      &used, d, &e) == SL_OK)
				sl_decl_validate(d, &e);
		}
		t = now() - t;
		if (callgrind)
			CALLGRIND_DUMP_STATS_AT("decode+validate");
		dec_best = t < dec_best ? t : dec_best;
	}

	a0 = jemalloc_nmalloc();
	for (r = 0; r < rounds; r++) {
		if (callgrind)
			CALLGRIND_ZERO_STATS;
		t = now();
		for (i = 0; i < c.n; i++) {
			size_t used;

			sl_screen_msgpack(w, snap, st, c.buf + c.off[i],
					  c.rlen[i], &used, i + 1, &v);
			if ((i & 255) == 0)
				rcu_quiescent_state();
		}
		t = now() - t;
		if (callgrind)
			CALLGRIND_DUMP_STATS_AT("core");
		core_best = t < core_best ? t : core_best;
		rcu_quiescent_state();
	}
	/* the same, and the verdict encoded for the wire */
	for (r = 0; r < rounds; r++) {
		if (callgrind)
			CALLGRIND_ZERO_STATS;
		enc_bytes = 0;
		t = now();
		for (i = 0; i < c.n; i++) {
			size_t used;
			int n;

			sl_screen_msgpack(w, snap, st, c.buf + c.off[i],
					  c.rlen[i], &used, i + 1, &v);
			n = sl_verdict_to_msgpack(&v, enc, sizeof(enc));
			enc_bytes += n > 0 ? (size_t)n : 0;
			if ((i & 255) == 0)
				rcu_quiescent_state();
		}
		t = now() - t;
		if (callgrind)
			CALLGRIND_DUMP_STATS_AT("core+verdict encode");
		enc_best = t < enc_best ? t : enc_best;
		rcu_quiescent_state();
	}
	a1 = jemalloc_nmalloc();

	for (r = 0; r < rounds && b->db; r++) {
		hs_scratch_t *hs = sl__match_hs_scratch(ms);

		if (callgrind)
			CALLGRIND_ZERO_STATS;
		t = now();
		for (i = 0; i < c.n; i++)
			if (slen[i])
				hs_scan(b->db, scan + soff[i],
					(unsigned)slen[i], 0, hs, on_match,
					&matches);
		t = now() - t;
		if (callgrind)
			CALLGRIND_DUMP_STATS_AT("raw hs_scan");
		raw_best = t < raw_best ? t : raw_best;
	}

	printf("records: %zu (%.1f MiB MessagePack, %.1f MiB scanned), "
	       "best of %u rounds\n",
	       c.n, c.len / 1048576.0, scan_len / 1048576.0, rounds);
	printf("verdicts (first pass): release %llu, hold %llu, inspect "
	       "%llu, seize %llu, reject %llu\n",
	       (unsigned long long)kinds[SL_VERDICT_RELEASE],
	       (unsigned long long)kinds[SL_VERDICT_HOLD],
	       (unsigned long long)kinds[SL_VERDICT_INSPECT],
	       (unsigned long long)kinds[SL_VERDICT_SEIZE],
	       (unsigned long long)kinds[SL_VERDICT_REJECT]);
	printf("raw hs_scan:  %10.0f declarations/s  %7.1f ns/decl  (%.0f "
	       "MB/s)\n",
	       c.n / raw_best, raw_best * 1e9 / c.n, scan_len / raw_best / 1e6);
	printf("decode+valid: %10.0f declarations/s  %7.1f ns/decl\n",
	       c.n / dec_best, dec_best * 1e9 / c.n);
	printf("core:         %10.0f declarations/s  %7.1f ns/decl\n",
	       c.n / core_best, core_best * 1e9 / c.n);
	printf("core+encode:  %10.0f declarations/s  %7.1f ns/decl  (%.0f "
	       "verdict bytes/decl)\n",
	       c.n / enc_best, enc_best * 1e9 / c.n,
	       (double)enc_bytes / (double)c.n);
	printf("ratio core/raw-scan: %.2f (target >= 0.80)\n",
	       raw_best / core_best);
	if (a0 == UINT64_MAX || a1 == UINT64_MAX)
		printf("allocations per declaration: unknown (jemalloc stats "
		       "unavailable)\n");
	else
		printf("allocations per declaration: %.4f (%llu in %llu "
		       "declarations; target 0)\n",
		       (double)(a1 - a0) / ((double)c.n * rounds * 2),
		       (unsigned long long)(a1 - a0),
		       (unsigned long long)c.n * rounds * 2);
	if (!callgrind) /* a million inserts: minutes under valgrind */
		printf("state: %.1f resident bytes per tracked buyer (1M "
		       "buyers; target <= 64)\n",
		       bytes_per_buyer(1000000));

	free(scan);
	free(soff);
	free(slen);
	sl_match_scratch_free(ms);
	sl_screener_free(w);
	sl_snapshot_free(snap);
	sl_state_close(st);
	sl_registry_put(reg);
	sl_bundle_put(b);
	free(c.buf);
	free(c.off);
	free(c.rlen);
	rcu_unregister_thread();
	return 0;
}
