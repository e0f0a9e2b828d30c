/* bench_reload — hot reload under load: build time, swap time, the longest
 * worker stall, and peak RSS during reload over steady RSS.
 *
 * The swap is the DPDK engine's (engine/dpdk/reload.c, docs/engine.md
 * "Hot reload"), without DPDK so it runs anywhere:
 *   - W worker threads, registered liburcu QSBR readers, each loop taking
 *     `snap = rcu_dereference(live)`, screening a burst of 32 MessagePack
 *     records with sl_screen_msgpack on the shared buyer state, then
 *     reporting a quiescent state, as sl_worker_main does;
 *   - the control thread (main) reloads K times: loads the bundle and the
 *     registry from their files and builds a snapshot for W workers
 *     (sl_snapshot_new) — "build"; then `old = rcu_xchg_pointer(&live,
 *     new); synchronize_rcu()` — "swap"; then sl_snapshot_free(old).
 *
 * A worker stall is a gap between two consecutive declarations of one
 * worker (one clock read per declaration; the quiescent state at the end
 * of a loop counts with the loop's last declaration).  Gaps are kept in
 * histograms (bench/hist.h) by whether a reload was under way at the
 * start or the end of the loop, and by whether the loop was preempted
 * (the thread's involuntary context switches moved: another process took
 * the CPU, which on a shared machine happens whatever the reload does).
 * The longest gap of a loop that was not preempted while reloading is the
 * stall the reload caused (target <= 100 us); the same in the steady
 * windows between reloads is the baseline.  Preempted loops are counted
 * apart.  Workers are pinned to CPUs 0..W-1 and the control thread to
 * CPU W when there is one: with as many workers as CPUs, the reload
 * competes with a worker for its CPU (and shows up as preemption).
 *
 * RSS: VmRSS after a warm-up pass (every buyer of the corpus in the
 * state) is steady; the peak is VmHWM over the reloads, after resetting
 * it through /proc/self/clear_refs.  Both are this process's: the corpus
 * in memory is part of both.
 *
 * usage: bench_reload [-r BUNDLE] [-e REGISTRY] [-w WORKERS] [-k RELOADS]
 *                     [--gap MS] [--json FILE] CORPUS.msgpack
 * Plane: a bench; the workers allocate nothing per declaration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <urcu-qsbr.h>

#include <sluice/bundle.h>
#include <sluice/decl.h>
#include <sluice/registry.h>
#include <sluice/screen.h>
#include <sluice/state.h>
#include <sluice/verdict.h>

#include "hist.h"

#define BURST	   32 /* records per worker loop, as SL_BURST */
#define MAX_W	   8
#define MAX_RELOAD 1000

struct corpus {
	char *buf;
	size_t len, n;
	size_t *off, *rlen;
};

/* One worker.  Written by its thread only; main reads it after the join. */
struct worker {
	pthread_t tid;
	unsigned idx;
	int cpu; /* -1: not pinned */
	struct sl_screener *scr;
	uint64_t decls;
	/* gaps between declarations, by window (steady or reloading) and
	 * by whether the loop was preempted (an involuntary context switch:
	 * another process took the CPU, whatever the reload did) */
	struct bench_hist steady, reload, steady_pre, reload_pre;
} __attribute__((aligned(64)));

/* Shared between main (writes) and the workers (read). */
static struct sl_snapshot *live; /* RCU (QSBR) */
static int stop;		 /* workers leave their loop */
static int reloading;		 /* a reload is under way */
static int warm;		 /* warm-up done: gaps count */
static struct sl_state *state;
static struct corpus corpus;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_reload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads a MessagePack stream and splits it into records. */
static void load_corpus(const char *path, struct corpus *c)
{
	FILE *f = fopen(path, "rb");
	struct sl_decoder *dec = sl_decoder_new();
	static sl_decl_t d;
	sl_error_t err;
	size_t off = 0, used, cap = 0;
	long len;

	if (!f || !dec)
		die("cannot open %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0)
		die("%s is empty", path);
	rewind(f);
	c->buf = malloc((size_t)len);
	if (!c->buf || fread(c->buf, 1, (size_t)len, f) != (size_t)len)
		die("cannot read %s", path);
	fclose(f);
	c->len = (size_t)len;
	if (c->buf[0] == '{')
		die("%s: JSON; give the MessagePack form (sluice-gen --format "
		    "msgpack)",
		    path);
	while (off < c->len) {
		used = 0;
		sl_decode_msgpack(dec, c->buf + off, c->len - off, &used, &d,
				  &err);
		if (!used)
			break;
		if (c->n == cap) {
			cap = cap ? cap * 2 : 4096;
			c->off = realloc(c->off, cap * sizeof(*c->off));
			c->rlen = realloc(c->rlen, cap * sizeof(*c->rlen));
			if (!c->off || !c->rlen)
				die("%s", "out of memory");
		}
		c->off[c->n] = off;
		c->rlen[c->n++] = used;
		off += used;
	}
	sl_decoder_free(dec);
	if (!c->n)
		die("no records in %s", path);
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Involuntary context switches of the calling thread so far. */
static long nivcsw(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_nivcsw;
}

/* The worker loop: sl_worker_main's shape, the records from memory.
 * Worker i starts at its share of the corpus and wraps around.  The
 * loop's gaps are filed once the loop is over, by whether the scheduler
 * took the CPU away meanwhile (one getrusage per loop, a bench-only
 * system call: the engine's loop makes none). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t i = corpus.n * w->idx / MAX_W;
	uint64_t t_prev, t, rec = 0, gap[BURST];
	long cs, cs_prev;
	sl_verdict_t v;

	pin(w->cpu);
	rcu_register_thread();
	cs_prev = nivcsw();
	t_prev = now_ns();
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		const struct sl_snapshot *snap = rcu_dereference(live);
		int rel = __atomic_load_n(&reloading, __ATOMIC_RELAXED);
		struct bench_hist *h;

		for (unsigned k = 0; k < BURST; k++) {
			size_t used;

			sl_screen_msgpack(w->scr, snap, state,
					  corpus.buf + corpus.off[i],
					  corpus.rlen[i], &used, ++rec, &v);
			if (++i == corpus.n)
				i = 0;
			t = now_ns();
			gap[k] = t - t_prev;
			t_prev = t;
		}
		w->decls += BURST;
		rcu_quiescent_state();
		/* the quiescent state (which may wake a waiting reload) is
		 * the last declaration's */
		gap[BURST - 1] += now_ns() - t_prev;
		/* a loop that saw a reload at its start or its end */
		rel |= __atomic_load_n(&reloading, __ATOMIC_RELAXED);
		cs = nivcsw();
		if (cs != cs_prev)
			h = rel ? &w->reload_pre : &w->steady_pre;
		else
			h = rel ? &w->reload : &w->steady;
		cs_prev = cs;
		if (__atomic_load_n(&warm, __ATOMIC_RELAXED))
			for (unsigned k = 0; k < BURST; k++)
				bench_hist_add(h, gap[k]);
		t_prev = now_ns(); /* getrusage is not the worker's time */
	}
	rcu_unregister_thread();
	return NULL;
}

static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0). */
static int reset_hwm(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	int rc = fd >= 0 && write(fd, "5", 1) == 1 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

static struct sl_snapshot *build(const char *bundle, const char *registry,
				 unsigned nw)
{
	char err[512];
	struct sl_bundle *b = sl_bundle_load(bundle, err, sizeof(err));
	struct sl_registry *reg = NULL;
	struct sl_snapshot *s;

	if (!b)
		die("%s", err);
	if (registry && !(reg = sl_registry_load(registry, err, sizeof(err))))
		die("%s", err);
	s = sl_snapshot_new(b, reg, nw, err, sizeof(err));
	if (!s)
		die("snapshot: %s", err);
	sl_bundle_put(b); /* the snapshot holds its own references */
	sl_registry_put(reg);
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double min, med, max;
};

static struct stat3 stat3(double *v, unsigned n)
{
	struct stat3 s;

	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.med = v[n / 2];
	s.max = v[n - 1];
	return s;
}

static void add_stat3(cJSON *o, const char *name, struct stat3 s)
{
	cJSON *x = cJSON_AddObjectToObject(o, name);

	cJSON_AddNumberToObject(x, "min", s.min);
	cJSON_AddNumberToObject(x, "median", s.med);
	cJSON_AddNumberToObject(x, "max", s.max);
}

static void add_hist(cJSON *o, const char *name, const struct bench_hist *h,
		     double window_s)
{
	cJSON *x = cJSON_AddObjectToObject(o, name);

	cJSON_AddNumberToObject(x, "gaps", (double)h->n);
	cJSON_AddNumberToObject(x, "window_s", window_s);
	cJSON_AddNumberToObject(x, "p50_ns",
				(double)bench_hist_quantile(h, 0.5));
	cJSON_AddNumberToObject(x, "p999_ns",
				(double)bench_hist_quantile(h, 0.999));
	cJSON_AddNumberToObject(x, "max_ns", (double)h->max);
	cJSON_AddNumberToObject(x, "over_100us",
				(double)bench_hist_above(h, 100000));
}

static void print_gaps(const char *what, const struct bench_hist *h,
		       const struct bench_hist *pre, uint64_t window_ns,
		       const char *note)
{
	printf("worker gaps %s (%.2f s), loops not preempted: p50 %llu ns, "
	       "p99.9 %llu ns, longest %llu ns (%s), %llu over 100 us\n",
	       what, (double)window_ns / 1e9,
	       (unsigned long long)bench_hist_quantile(h, 0.5),
	       (unsigned long long)bench_hist_quantile(h, 0.999),
	       (unsigned long long)h->max, note,
	       (unsigned long long)bench_hist_above(h, 100000));
	printf("  loops preempted by the scheduler: %llu gaps, longest %llu "
	       "ns, %llu over 100 us\n",
	       (unsigned long long)pre->n, (unsigned long long)pre->max,
	       (unsigned long long)bench_hist_above(pre, 100000));
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_reload [-r BUNDLE] [-e REGISTRY] [-w WORKERS] "
		"[-k RELOADS]\n"
		"                    [--gap MS] [--json FILE] "
		"CORPUS.msgpack\n"
		"Reloads bundle and registry K times (default 10) under W "
		"screening workers\n"
		"(default 1), the DPDK engine's RCU swap without DPDK.  "
		"Prints build and swap\n"
		"times, the longest gap between two declarations of a worker "
		"while reloading\n"
		"and in the steady windows between reloads (--gap MS each, "
		"default 200),\n"
		"and peak RSS during the reloads over steady RSS.\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"json", required_argument, NULL, 'j'},
	    {"gap", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *bundle = NULL, *registry = NULL, *json = NULL;
	char path[4096];
	unsigned nw = 1, k = 10, gap_ms = 200, ncpu;
	static struct worker ws[MAX_W];
	static double build_ms[MAX_RELOAD], swap_us[MAX_RELOAD],
	    free_ms[MAX_RELOAD], total_ms[MAX_RELOAD];
	struct bench_hist steady, rel, steady_pre, rel_pre;
	uint64_t decls = 0, t_reload = 0, t_steady = 0, t0, t1, t2, t3;
	long rss_steady, rss_peak;
	struct stat3 sb, ss, sf, st;
	cJSON *j;
	int opt;

	while ((opt = getopt_long(argc, argv, "r:e:w:k:h", lopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'r':
			bundle = optarg;
			break;
		case 'e':
			registry = optarg;
			break;
		case 'w':
			nw = (unsigned)atoi(optarg);
			break;
		case 'k':
			k = (unsigned)atoi(optarg);
			break;
		case 'g':
			gap_ms = (unsigned)atoi(optarg);
			break;
		case 'j':
			json = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || nw < 1 || nw > MAX_W || k < 1 ||
	    k > MAX_RELOAD)
		die("%s", "one CORPUS, 1 <= -w <= 8, 1 <= -k <= 1000 (-h)");
	if (!bundle) {
		if (sl_bundle_default_path(path, sizeof(path)) < 0)
			die("%s", "no default bundle; give -r BUNDLE");
		bundle = path;
	}
	ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	load_corpus(argv[optind], &corpus);

	{
		struct sl_state_config cfg;
		char err[512];

		sl_state_config_defaults(&cfg);
		cfg.n_workers = nw;
		state = sl_state_open(&cfg, err, sizeof(err));
		if (!state)
			die("state: %s", err);
	}
	live = build(bundle, registry, nw);
	for (unsigned i = 0; i < nw; i++) {
		ws[i].idx = i;
		ws[i].cpu = i < ncpu ? (int)i : -1;
		ws[i].scr = sl_screener_new(i);
		if (!ws[i].scr)
			die("%s", "out of memory");
		bench_hist_init(&ws[i].steady);
		bench_hist_init(&ws[i].reload);
		bench_hist_init(&ws[i].steady_pre);
		bench_hist_init(&ws[i].reload_pre);
	}
	pin(nw < ncpu ? (int)nw : -1);
	for (unsigned i = 0; i < nw; i++)
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]))
			die("%s", "cannot start a worker");

	/* Warm-up: a full pass of the corpus per worker, or 3 s. */
	for (int i = 0; i < 300; i++) {
		uint64_t done = 0;

		usleep(10000);
		for (unsigned w = 0; w < nw; w++)
			done += __atomic_load_n(&ws[w].decls, __ATOMIC_RELAXED);
		if (done >= corpus.n * nw)
			break;
	}
	rss_steady = status_kib("VmRSS");
	if (reset_hwm() < 0)
		fprintf(stderr, "bench_reload: cannot reset VmHWM: the peak "
				"includes start-up\n");
	__atomic_store_n(&warm, 1, __ATOMIC_RELAXED);

	for (unsigned r = 0; r < k; r++) {
		struct sl_snapshot *snap, *old;

		t0 = now_ns();
		usleep(gap_ms * 1000);
		t_steady += now_ns() - t0;

		__atomic_store_n(&reloading, 1, __ATOMIC_RELAXED);
		t0 = now_ns();
		snap = build(bundle, registry, nw);
		t1 = now_ns();
		old = rcu_xchg_pointer(&live, snap);
		synchronize_rcu();
		t2 = now_ns();
		sl_snapshot_free(old);
		t3 = now_ns();
		__atomic_store_n(&reloading, 0, __ATOMIC_RELAXED);
		t_reload += t3 - t0;
		build_ms[r] = (double)(t1 - t0) / 1e6;
		swap_us[r] = (double)(t2 - t1) / 1e3;
		free_ms[r] = (double)(t3 - t2) / 1e6;
		total_ms[r] = (double)(t3 - t0) / 1e6;
	}
	t0 = now_ns();
	usleep(gap_ms * 1000);
	t_steady += now_ns() - t0;
	rss_peak = status_kib("VmHWM");
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	bench_hist_init(&steady);
	bench_hist_init(&rel);
	bench_hist_init(&steady_pre);
	bench_hist_init(&rel_pre);
	for (unsigned i = 0; i < nw; i++) {
		pthread_join(ws[i].tid, NULL);
		bench_hist_merge(&steady, &ws[i].steady);
		bench_hist_merge(&rel, &ws[i].reload);
		bench_hist_merge(&steady_pre, &ws[i].steady_pre);
		bench_hist_merge(&rel_pre, &ws[i].reload_pre);
		decls += ws[i].decls;
		sl_screener_free(ws[i].scr);
	}
	sb = stat3(build_ms, k);
	ss = stat3(swap_us, k);
	sf = stat3(free_ms, k);
	st = stat3(total_ms, k);

	printf("bench_reload: %u worker%s (CPU %s), control thread %s; "
	       "%zu records, %llu declarations screened, %u reloads\n",
	       nw, nw > 1 ? "s" : "", nw > 1 ? "0.." : "0",
	       nw < ncpu ? "on its own CPU" : "sharing the workers' CPUs",
	       corpus.n, (unsigned long long)decls, k);
	printf("build (load bundle + registry, snapshot): min %.2f ms, "
	       "median %.2f ms, max %.2f ms\n",
	       sb.min, sb.med, sb.max);
	printf("swap (rcu_xchg_pointer + synchronize_rcu): min %.0f us, "
	       "median %.0f us, max %.0f us\n",
	       ss.min, ss.med, ss.max);
	printf("free old snapshot: median %.2f ms; whole reload: median %.2f "
	       "ms, max %.2f ms\n",
	       sf.med, st.med, st.max);
	print_gaps("while reloading", &rel, &rel_pre, t_reload,
		   "stall; target <= 100000 ns");
	print_gaps("in steady windows", &steady, &steady_pre, t_steady,
		   "baseline");
	printf("RSS: steady %ld KiB, peak during reloads %ld KiB, ratio %.2f "
	       "(target <= 2.20)\n",
	       rss_steady, rss_peak,
	       rss_steady > 0 ? (double)rss_peak / rss_steady : 0);

	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "workers", nw);
	cJSON_AddBoolToObject(j, "ctl_own_cpu", nw < ncpu);
	cJSON_AddNumberToObject(j, "records", (double)corpus.n);
	cJSON_AddNumberToObject(j, "reloads", k);
	cJSON_AddNumberToObject(j, "decls", (double)decls);
	add_stat3(j, "build_ms", sb);
	add_stat3(j, "swap_us", ss);
	add_stat3(j, "free_ms", sf);
	add_stat3(j, "reload_ms", st);
	add_hist(j, "gaps_reload", &rel, (double)t_reload / 1e9);
	add_hist(j, "gaps_steady", &steady, (double)t_steady / 1e9);
	add_hist(j, "gaps_reload_preempted", &rel_pre, (double)t_reload / 1e9);
	add_hist(j, "gaps_steady_preempted", &steady_pre,
		 (double)t_steady / 1e9);
	cJSON_AddNumberToObject(j, "rss_steady_kib", (double)rss_steady);
	cJSON_AddNumberToObject(j, "rss_peak_kib", (double)rss_peak);
	cJSON_AddNumberToObject(
	    j, "rss_ratio", rss_steady > 0 ? (double)rss_peak / rss_steady : 0);
	if (json) {
		char *txt = cJSON_Print(j);
		FILE *f = fopen(json, "w");

		if (!f || !txt || fputs(txt, f) < 0 || fclose(f))
			die("cannot write %s", json);
		free(txt);
	}
	cJSON_Delete(j);
	sl_snapshot_free(live);
	sl_state_close(state);
	free(corpus.buf);
	free(corpus.off);
	free(corpus.rlen);
	return 0;
}
