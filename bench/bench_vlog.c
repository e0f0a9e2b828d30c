/* bench_vlog — the verdict log writer against a plain write() of the same
 * bytes, under each fsync policy (docs/audit.md, "Cost").
 *
 *   bench_vlog [-n RECORDS] [-s SYNC_RECORDS] [-r REPEATS] [-d DIR]
 *
 * For every configuration the writer appends RECORDS verdicts (realistic
 * ones: reasons, fields, ids) through sl_vlog_append and the group commit,
 * into DIR (default: the current directory; put it on the disk you mean
 * to measure, not on a tmpfs).  The baseline of each row is a plain
 * write() of the very bytes that writer produced, cut at the same group
 * boundaries and synced the same way, timed in the same run: the ratio is
 * what encoding, chaining and bookkeeping cost on top of the I/O itself.
 * Best of REPEATS runs.  Policies that fsync are run over SYNC_RECORDS
 * records (fewer: each group costs a disk flush).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sluice/decl.h>
#include <sluice/vlog.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void make_verdict(sl_verdict_t *v, unsigned i)
{
	static const char *const rules[] = {
	    "RISK.UNDERVALUED", "PROHIBITED.ENDANGERED.IVORY",
	    "RESTRICTED.LITHIUM_BATTERY", "RISK.VAGUE_DESCRIPTION",
	    "RANDOM.GENERAL"};
	unsigned k, n = i % 4;

	sl_verdict_init(v);
	snprintf(v->decl_id, sizeof(v->decl_id), "TYN2026112900%06u", i);
	v->has_decl_id = true;
	v->verdict = (uint8_t)(i % SL_VERDICT__COUNT);
	v->tier = (uint8_t)(i % 3);
	v->score = (int32_t)(i % 90);
	v->sampled = i % 17 == 0;
	strcpy(v->ruleset, "a1b2c3d4e5f60718");
	strcpy(v->registry, "0f1e2d3c4b5a6978");
	if (v->verdict == SL_VERDICT_REJECT) {
		v->error.code = SL_E_BAD_USCC;
		strcpy(v->error.field, "ebc.code");
		strcpy(v->error.message, "check character is 4, expected 3");
		v->tier = SL_TIER_UNKNOWN;
		return;
	}
	for (k = 0; k < n; k++)
		sl_verdict_add_reason(v, rules[(i + k) % 5], "items[0].name",
				      (int32_t)(10 * k), SL_VERDICT_RELEASE);
}

struct row {
	const char *name;
	enum sl_vlog_hash hash;
	const char *fsync; /* sl_vlog_config_set value */
	unsigned group;	   /* records per group commit */
	bool json;	   /* append_json (pre-encoded) */
	bool sign;	   /* SM2 checkpoint every 1000 records */
	bool synced;	   /* uses the smaller record count */
};

static const char *g_dir = ".";
static sl_verdict_t *g_v;
static char **g_json;
static size_t *g_len;
static char g_key[512];

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", g_dir, name);
}

static void quiet(void *ctx, const char *msg)
{
}

/* Runs one writer configuration over n records; returns seconds. */
static double run_vlog(const struct row *r, unsigned n, const char *path)
{
	struct sl_vlog_config c;
	struct sl_vlog *log;
	char err[512];
	double t0, t;
	unsigned i, m;

	unlink(path);
	sl_vlog_config_init(&c);
	c.path = path;
	c.hash = r->hash;
	c.group_records = r->group;
	c.group_ms = 0;
	c.buffer_bytes = (size_t)r->group * 1024 + 64 * 1024;
	if (sl_vlog_config_set(&c, "fsync", r->fsync, err, sizeof(err)) < 0 ||
	    (r->sign && sl_vlog_config_set(&c, "key", g_key, err,
					   sizeof(err)) < 0)) {
		fprintf(stderr, "bench_vlog: %s\n", err);
		exit(2);
	}
	c.checkpoint_records = r->sign ? 1000 : 0;
	c.checkpoint_ms = 0;
	c.warn = quiet; /* "no signing key" once per run is noise here */
	t0 = now_s();
	log = sl_vlog_open(&c, err, sizeof(err));
	if (!log) {
		fprintf(stderr, "bench_vlog: %s\n", err);
		exit(2);
	}
	for (i = 0; i < n; i += m) {
		m = n - i < r->group ? n - i : r->group;
		if ((r->json ? sl_vlog_append_json(log,
						   (const char *const *)g_json +
						       i,
						   g_len + i, m)
			     : sl_vlog_append(log, g_v + i, m)) != m) {
			fprintf(stderr, "bench_vlog: append: %s\n",
				strerror(-sl_vlog_error(log)));
			exit(1);
		}
		if (sl_vlog_commit(log) < 0) {
			fprintf(stderr, "bench_vlog: commit failed\n");
			exit(1);
		}
	}
	if (sl_vlog_close(log) < 0) {
		fprintf(stderr, "bench_vlog: close failed\n");
		exit(1);
	}
	t = now_s() - t0;
	return t;
}

/* The same bytes, written plainly at the same group boundaries (every
 * `group` newlines), fdatasync()ed when the row's policy would. */
static double run_plain(const char *src, const struct row *r,
			const char *dst, size_t *bytes)
{
	int in = open(src, O_RDONLY), out;
	struct stat sb;
	char *buf, *p, *end, *q;
	double t0, t, last_sync = 0;
	unsigned lines;
	long interval_ms = 0;
	bool sync_each = !strcmp(r->fsync, "batch");

	if (!strncmp(r->fsync, "interval:", 9))
		interval_ms = atol(r->fsync + 9);
	if (in < 0 || fstat(in, &sb) < 0)
		exit(2);
	buf = malloc((size_t)sb.st_size);
	if (!buf || read(in, buf, (size_t)sb.st_size) != sb.st_size)
		exit(2);
	close(in);
	*bytes = (size_t)sb.st_size;
	unlink(dst);
	t0 = now_s();
	out = open(dst, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0640);
	if (out < 0)
		exit(2);
	p = buf;
	end = buf + sb.st_size;
	while (p < end) {
		for (q = p, lines = 0; q < end && lines < r->group; lines++) {
			q = memchr(q, '\n', (size_t)(end - q));
			q = q ? q + 1 : end;
		}
		if (write(out, p, (size_t)(q - p)) != q - p)
			exit(1);
		if (sync_each ||
		    (interval_ms &&
		     (now_s() - last_sync) * 1000 >= (double)interval_ms)) {
			fdatasync(out);
			last_sync = now_s();
		}
		p = q;
	}
	fdatasync(out); /* the writer's close syncs too */
	close(out);
	t = now_s() - t0;
	free(buf);
	return t;
}

/* Raw digest speed over 64 KiB blocks, MB/s: what the chain costs. */
static double hash_rate(const char *name)
{
	static unsigned char block[65536];
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MD *m = EVP_MD_fetch(NULL, name, NULL);
	double t0, t;
	int i;

	t0 = now_s();
	for (i = 0; i < 4096; i++)
		EVP_Digest(block, sizeof(block), md, NULL, m, NULL);
	t = now_s() - t0;
	EVP_MD_free(m);
	return 4096.0 * sizeof(block) / t / 1e6;
}

/* Records/s of the chain alone, h = H(prev || line), over the lines of
 * the log at path (in memory): the hashing share of the writer's cost. */
static double chain_rate(const char *path, const char *md_name)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	unsigned char prev[EVP_MAX_MD_SIZE] = {0};
	unsigned int dlen = 0;
	EVP_MD *md = EVP_MD_fetch(NULL, md_name, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *buf, *p, *end, *nl;
	unsigned long recs = 0;
	double t0, t;

	if (fd < 0 || fstat(fd, &sb) < 0 || !md || !ctx)
		exit(2);
	buf = malloc((size_t)sb.st_size);
	if (!buf || read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		exit(2);
	close(fd);
	end = buf + sb.st_size;
	dlen = (unsigned)EVP_MD_get_size(md);
	t0 = now_s();
	for (p = buf; p < end; p = nl + 1, recs++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		EVP_DigestInit_ex2(ctx, md, NULL);
		EVP_DigestUpdate(ctx, prev, dlen);
		EVP_DigestUpdate(ctx, p, (size_t)(nl - p));
		EVP_DigestFinal_ex(ctx, prev, NULL);
	}
	t = now_s() - t0;
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	free(buf);
	return recs / t;
}

static void machine(void)
{
	char line[256], model[256] = "?";
	struct statfs fs;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			snprintf(model, sizeof(model), "%s",
				 strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	printf("machine: %s, %ld cpus online; %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), OpenSSL_version(OPENSSL_VERSION));
	if (statfs(g_dir, &fs) == 0)
		printf("directory: %s (filesystem magic 0x%lx%s)\n", g_dir,
		       (unsigned long)fs.f_type,
		       fs.f_type == 0xEF53	 ? ", ext2/3/4"
		       : fs.f_type == 0x01021994 ? ", tmpfs: fsync is free!"
		       : fs.f_type == 0x58465342 ? ", xfs"
						 : "");
}

int main(int argc, char **argv)
{
	static const struct row rows[] = {
	    {"none     sm3    group 1024", SL_VLOG_SM3, "none", 1024, 0, 0, 0},
	    {"none     sha256 group 1024", SL_VLOG_SHA256, "none", 1024, 0, 0,
	     0},
	    {"none     sm3    json  1024", SL_VLOG_SM3, "none", 1024, 1, 0, 0},
	    {"none     sm3 +sm2 cp/1000", SL_VLOG_SM3, "none", 1024, 0, 1, 0},
	    {"none     sm3    group   64", SL_VLOG_SM3, "none", 64, 0, 0, 0},
	    {"interval:100    group 1024", SL_VLOG_SM3, "interval:100", 1024, 0,
	     0, 1},
	    {"interval:10     group 1024", SL_VLOG_SM3, "interval:10", 1024, 0,
	     0, 1},
	    {"batch    sm3    group 1024", SL_VLOG_SM3, "batch", 1024, 0, 0, 1},
	    {"batch    sm3    group  256", SL_VLOG_SM3, "batch", 256, 0, 0, 1},
	    {"batch    sm3    group   64", SL_VLOG_SM3, "batch", 64, 0, 0, 1},
	    {"batch    sm3    group   16", SL_VLOG_SM3, "batch", 16, 0, 0, 1},
	};
	unsigned n = 200000, n_sync = 20000, reps = 3, i, k, nmax;
	double encode_rate = 0, chain_sm3_sha[2] = {0, 0};
	char vpath[1024], ppath[1024];
	int c;

	while ((c = getopt(argc, argv, "n:s:r:d:h")) != -1) {
		switch (c) {
		case 'n':
			n = (unsigned)atoi(optarg);
			break;
		case 's':
			n_sync = (unsigned)atoi(optarg);
			break;
		case 'r':
			reps = (unsigned)atoi(optarg);
			break;
		case 'd':
			g_dir = optarg;
			break;
		case 'h':
			printf("usage: bench_vlog [-n RECORDS] [-s "
			       "SYNC_RECORDS] [-r REPEATS] [-d DIR]\n"
			       "Verdict log writer vs plain write() of the same "
			       "bytes, per fsync policy (docs/audit.md).\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!n || !n_sync || !reps)
		return 2;
	nmax = n > n_sync ? n : n_sync;
	g_v = malloc(nmax * sizeof(*g_v));
	g_json = malloc(nmax * sizeof(*g_json));
	g_len = malloc(nmax * sizeof(*g_len));
	if (!g_v || !g_json || !g_len)
		return 2;
	for (i = 0; i < nmax; i++) {
		char buf[SL_VERDICT_JSON_MAX];
		int len;

		make_verdict(&g_v[i], i);
		len = sl_verdict_to_json(&g_v[i], buf, sizeof(buf));
		g_json[i] = strndup(buf, (size_t)len);
		g_len[i] = (size_t)len;
	}
	/* The checkpoint key, made the way docs/audit.md says (EVP here). */
	path_of(g_key, sizeof(g_key), "bench_vlog_key.pem");
	{
		EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
		FILE *f = fopen(g_key, "w");

		if (!key || !f ||
		    !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
			return 2;
		fclose(f);
		EVP_PKEY_free(key);
	}

	machine();
	printf("digests: sm3 %.0f MB/s, sha256 %.0f MB/s (64 KiB blocks)\n",
	       hash_rate("SM3"), hash_rate("SHA2-256"));
	for (k = 0; k < reps; k++) {
		double t0 = now_s(), t;
		char buf[SL_VERDICT_JSON_MAX];

		for (i = 0; i < n; i++)
			(void)sl_verdict_to_json(&g_v[i], buf, sizeof(buf));
		t = now_s() - t0;
		if (n / t > encode_rate)
			encode_rate = n / t;
	}
	{
		double la[3] = {0, 0, 0};

		getloadavg(la, 3);
		printf("records: %u (fsync rows: %u), best of %u; load average "
		       "%.2f at start\n\n",
		       n, n_sync, reps, la[0]);
	}
	printf("%-28s %12s %9s %12s %9s %7s\n", "policy", "vlog rec/s",
	       "vlog MB/s", "plain rec/s", "plain MB/s", "ratio");
	path_of(vpath, sizeof(vpath), "bench_vlog.log");
	path_of(ppath, sizeof(ppath), "bench_vlog.plain");
	for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct row *r = &rows[k];
		unsigned cnt = r->synced ? n_sync : n;
		double best_v = 1e30, best_p = 1e30, t;
		size_t bytes = 0;

		for (i = 0; i < reps; i++) {
			t = run_vlog(r, cnt, vpath);
			if (t < best_v)
				best_v = t;
			t = run_plain(vpath, r, ppath, &bytes);
			if (t < best_p)
				best_p = t;
		}
		printf("%-28s %12.0f %9.1f %12.0f %9.1f %7.2f\n", r->name,
		       cnt / best_v, bytes / best_v / 1e6, cnt / best_p,
		       bytes / best_p / 1e6, best_p / best_v);
		for (i = 0; k < 2 && i < reps; i++) {
			/* The first rows' logs: the hashing share. */
			t = chain_rate(vpath, k == 0 ? "SM3" : "SHA2-256");
			if (t > chain_sm3_sha[k])
				chain_sm3_sha[k] = t;
		}
		fflush(stdout);
	}
	printf("\nratio = vlog records/s / plain write() records/s of the same "
	       "bytes, same groups, same syncs\n");
	printf("of which: sl_verdict_to_json alone %.0f records/s; the chain "
	       "hash alone over the same lines: sm3 %.0f, sha256 %.0f "
	       "records/s\n",
	       encode_rate, chain_sm3_sha[0], chain_sm3_sha[1]);
	unlink(vpath);
	unlink(ppath);
	unlink(g_key);
	return 0;
}
