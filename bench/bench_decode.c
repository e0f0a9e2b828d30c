/* bench_decode — decode + validate throughput on one core, from JSON lines
 * and from MessagePack (issue 2: targets 150k/s and 2M/s).
 *
 *   bench_decode [-n RECORDS] [-r RUNS] [-s SEED]
 *
 * The corpus is generated in memory by sluice_gen (tools/gen, the library
 * behind sluice-gen), default mix without the reject classes: RECORDS
 * realistic declarations, the same ones as JSON lines and as a MessagePack
 * stream.  Each path is timed over the whole corpus, best of RUNS, on the
 * CPU the bench starts on.
 *
 * Baselines, timed in the same run over the same bytes:
 *   - JSON: the line split alone (memchr), and cJSON_ParseWithLength +
 *     cJSON_Delete of every line (the library the JSON decoder uses, with
 *     no field mapping and no checks);
 *   - MessagePack: msgpack_unpack_next over the stream (the library the
 *     MessagePack decoder uses, unpacking every record into its zone).
 * The ratios say what sluice's mapping and validation cost on top of the
 * parsing library, and how far each path is from its target.
 *
 * Times move with the machine's load (printed).  For exact counts, -c runs
 * each path once after a warm-up pass, bracketed by callgrind client
 * requests (no-ops outside valgrind):
 *   valgrind --tool=callgrind --callgrind-out-file=cg.%p bench_decode -n 2000
 * -c grep -H -e '^desc: Trigger' -e '^totals' cg.* gives the instructions of
 * each path over n records.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <msgpack.h>
#include <valgrind/callgrind.h>

#include <sluice/decl.h>

#include "gen.h"

#define TARGET_JSON    150000.0	 /* declarations/s, issue 2 */
#define TARGET_MSGPACK 2000000.0 /* declarations/s, issue 2 */

struct corpus {
	char *buf;
	size_t len, cap, n;
	size_t *off; /* record i at buf + off[i], off[n] = len */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void corpus_make(struct corpus *c, uint64_t seed, uint64_t n,
			enum sl_gen_format f)
{
	struct sl_gen_opts o;
	struct sl_gen *g;
	char err[256];
	const void *rec;
	const char *label;
	size_t len, llen;

	sl_gen_opts_default(&o);
	o.seed = seed;
	o.count = n;
	o.format = f;
	o.mix = "default,reject=0"; /* valid declarations only */
	o.labels = false;
	g = sl_gen_new(&o, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "bench_decode: %s\n", err);
		exit(1);
	}
	memset(c, 0, sizeof(*c));
	c->off = malloc((n + 1) * sizeof(*c->off));
	while (sl_gen_next(g, &rec, &len, &label, &llen) == 1) {
		if (c->len + len > c->cap) {
			c->cap = 2 * (c->len + len) + (64u << 20);
			c->buf = realloc(c->buf, c->cap);
		}
		if (!c->buf || !c->off) {
			fprintf(stderr, "bench_decode: out of memory\n");
			exit(1);
		}
		memcpy(c->buf + c->len, rec, len);
		c->off[c->n++] = c->len;
		c->len += len;
	}
	c->off[c->n] = c->len;
	sl_gen_free(g);
}

/* ------------------------------------------------------------- paths */

/* Each returns how many records failed, so the compiler keeps the work
 * and the bench can say whether the corpus decoded as it should. */

static size_t json_split(const struct corpus *c, struct sl_decoder *dec,
			 sl_decl_t *d)
{
	const char *p = c->buf, *end = c->buf + c->len;
	size_t lines = 0;

	(void)dec;
	(void)d;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		lines++;
		p = nl ? nl + 1 : end;
	}
	return lines != c->n;
}

static size_t json_cjson(const struct corpus *c, struct sl_decoder *dec,
			 sl_decl_t *d)
{
	size_t bad = 0;

	(void)dec;
	(void)d;
	for (size_t i = 0; i < c->n; i++) {
		cJSON *t = cJSON_ParseWithLength(c->buf + c->off[i],
						 c->off[i + 1] - c->off[i] - 1);

		bad += t == NULL;
		cJSON_Delete(t);
	}
	return bad;
}

static size_t json_decode(const struct corpus *c, struct sl_decoder *dec,
			  sl_decl_t *d)
{
	sl_error_t err;
	size_t bad = 0;

	for (size_t i = 0; i < c->n; i++)
		bad += sl_decode_json(dec, c->buf + c->off[i],
				      c->off[i + 1] - c->off[i] - 1, d,
				      &err) != SL_OK;
	return bad;
}

static size_t json_full(const struct corpus *c, struct sl_decoder *dec,
			sl_decl_t *d)
{
	sl_error_t err;
	size_t bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		enum sl_errcode rc =
		    sl_decode_json(dec, c->buf + c->off[i],
				   c->off[i + 1] - c->off[i] - 1, d, &err);

		bad += (rc == SL_OK ? sl_decl_validate(d, &err) : rc) != SL_OK;
	}
	return bad;
}

static size_t mp_unpack(const struct corpus *c, struct sl_decoder *dec,
			sl_decl_t *d)
{
	msgpack_unpacked u;
	size_t off = 0, records = 0;

	(void)dec;
	(void)d;
	msgpack_unpacked_init(&u);
	while (off < c->len && msgpack_unpack_next(&u, c->buf, c->len, &off) ==
				   MSGPACK_UNPACK_SUCCESS)
		records++;
	msgpack_unpacked_destroy(&u);
	return records != c->n;
}

static size_t mp_decode(const struct corpus *c, struct sl_decoder *dec,
			sl_decl_t *d)
{
	sl_error_t err;
	size_t off = 0, used, bad = 0;

	while (off < c->len) {
		bad += sl_decode_msgpack(dec, c->buf + off, c->len - off, &used,
					 d, &err) != SL_OK;
		if (!used)
			return bad + 1;
		off += used;
	}
	return bad;
}

static size_t mp_full(const struct corpus *c, struct sl_decoder *dec,
		      sl_decl_t *d)
{
	sl_error_t err;
	size_t off = 0, used, bad = 0;

	while (off < c->len) {
		enum sl_errcode rc = sl_decode_msgpack(
		    dec, c->buf + off, c->len - off, &used, d, &err);

		bad += (rc == SL_OK ? sl_decl_validate(d, &err) : rc) != SL_OK;
		if (!used)
			return bad + 1;
		off += used;
	}
	return bad;
}

struct path {
	const char *name;
	size_t (*fn)(const struct corpus *, struct sl_decoder *, sl_decl_t *);
	int json; /* which corpus */
	double best;
	size_t bad;
};

static void run(struct path *p, const struct corpus *c, unsigned runs,
		struct sl_decoder *dec, sl_decl_t *d, bool callgrind)
{
	p->best = 1e30;
	p->fn(c, dec, d); /* warm the caches, the zone and the arenas */
	for (unsigned r = 0; r < runs; r++) {
		double t0;

		if (callgrind)
			CALLGRIND_ZERO_STATS;
		t0 = now_s();
		p->bad = p->fn(c, dec, d);
		t0 = now_s() - t0;
		if (callgrind)
			CALLGRIND_DUMP_STATS_AT(p->name);
		if (t0 < p->best)
			p->best = t0;
	}
}

static void machine(void)
{
	char line[256], model[128] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	double load = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s",
				 strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	printf("machine: %s, %ld cpus online, load average %.2f; pinned to "
	       "cpu %d\n",
	       model, sysconf(_SC_NPROCESSORS_ONLN), load, sched_getcpu());
}

int main(int argc, char **argv)
{
	struct path paths[] = {
	    {"JSON decode+validate", json_full, 1, 0, 0},
	    {"JSON decode only", json_decode, 1, 0, 0},
	    {"JSON baseline: cJSON parse", json_cjson, 1, 0, 0},
	    {"JSON baseline: line split", json_split, 1, 0, 0},
	    {"MessagePack decode+validate", mp_full, 0, 0, 0},
	    {"MessagePack decode only", mp_decode, 0, 0, 0},
	    {"MessagePack baseline: unpack", mp_unpack, 0, 0, 0},
	};
	const size_t np = sizeof(paths) / sizeof(paths[0]);
	uint64_t n = 100000, seed = 1;
	unsigned runs = 5;
	bool callgrind = false;
	struct corpus js, mp;
	struct sl_decoder *dec;
	sl_decl_t *d;
	cpu_set_t set;
	double t0;
	int c;

	while ((c = getopt(argc, argv, "n:r:s:ch")) != -1) {
		switch (c) {
		case 'c':
			callgrind = true;
			runs = 1;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			runs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		default:
			printf("usage: bench_decode [-n RECORDS] [-r RUNS] [-s "
			       "SEED] [-c]\n"
			       "Decode + validate throughput on one core, JSON "
			       "and MessagePack, over a corpus\n"
			       "generated in memory by sluice_gen, against "
			       "cJSON and msgpack-c alone.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!n || !runs) {
		fprintf(stderr, "bench_decode: -n and -r must be > 0\n");
		return 2;
	}
	/* one core: the decoder is per worker thread */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);

	t0 = now_s();
	corpus_make(&js, seed, n, SL_GEN_JSON);
	corpus_make(&mp, seed, n, SL_GEN_MSGPACK);
	t0 = now_s() - t0;
	dec = sl_decoder_new();
	d = malloc(sizeof(*d));
	if (!dec || !d) {
		fprintf(stderr, "bench_decode: out of memory\n");
		return 1;
	}

	machine();
	printf(
	    "corpus: %zu declarations made in memory by sluice_gen (seed "
	    "%llu, default mix without rejects) in %.1f s:\n"
	    "        JSON %.1f MB (%.0f B/record), MessagePack %.1f MB (%.0f "
	    "B/record); best of %u runs\n\n",
	    js.n, (unsigned long long)seed, t0, (double)js.len / 1e6,
	    (double)js.len / (double)js.n, (double)mp.len / 1e6,
	    (double)mp.len / (double)mp.n, runs);

	for (size_t i = 0; i < np; i++)
		run(&paths[i], paths[i].json ? &js : &mp, runs, dec, d,
		    callgrind);

	printf("%-30s %12s %10s %9s  %-24s %s\n", "path", "records/s",
	       "ns/record", "MB/s", "vs baseline", "vs target");
	for (size_t i = 0; i < np; i++) {
		const struct path *p = &paths[i];
		const struct corpus *cp = p->json ? &js : &mp;
		double rps = (double)cp->n / p->best;
		char base[40] = "", target[40] = "";

		if (p->fn == json_full || p->fn == json_decode)
			snprintf(base, sizeof(base), "%.2f x cJSON parse",
				 paths[2].best / p->best);
		else if (p->fn == mp_full || p->fn == mp_decode)
			snprintf(base, sizeof(base), "%.2f x msgpack unpack",
				 paths[6].best / p->best);
		if (p->fn == json_full)
			snprintf(target, sizeof(target), "%.2f x %.0fk/s",
				 rps / TARGET_JSON, TARGET_JSON / 1e3);
		else if (p->fn == mp_full)
			snprintf(target, sizeof(target), "%.2f x %.0fM/s",
				 rps / TARGET_MSGPACK, TARGET_MSGPACK / 1e6);
		printf("%-30s %12.0f %10.0f %9.1f  %-24s %s\n", p->name, rps,
		       1e9 / rps, (double)cp->len / 1e6 / p->best, base,
		       target);
	}
	for (size_t i = 0; i < np; i++)
		if (paths[i].bad)
			printf("warning: %s: %zu records failed\n",
			       paths[i].name, paths[i].bad);
	printf("\nratio x baseline = baseline time / path time on the same "
	       "bytes (below 1: slower than the bare library);\n"
	       "x target = records/s / the issue's target.\n");

	free(d);
	sl_decoder_free(dec);
	free(js.buf);
	free(js.off);
	free(mp.buf);
	free(mp.off);
	return 0;
}
