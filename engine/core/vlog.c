/* sluice — the verdict log writer (see vlog.h, docs/audit.md).
 *
 * Records are encoded, chained and copied into one buffer allocated at
 * open; a group commit hands the buffer to the kernel with one write() and
 * then applies the fsync policy.  Nothing is allocated per record: the
 * verdict encoder uses its per-thread arena, the hash context is reused.
 *
 * Threads: a struct sl_vlog is read and written by its owning thread only
 * (the DPDK engine's log thread, or `sluice screen`'s main loop).  Workers
 * never touch it; they hand verdicts over (rings in the engine) and the
 * owner appends them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <sluice/decl.h>

#include "arena.h"
#include "vlog_priv.h"

#define DEFAULT_BUFFER	   (1u << 20)
#define MIN_BUFFER	   (4 * SL_VLOG_LINE_MAX)
#define DEFAULT_CP_RECORDS 10000
#define DEFAULT_CP_MS	   60000
#define DEFAULT_GROUP_RECS 1024
#define DEFAULT_GROUP_MS   10
#define JSON_ARENA_SIZE	   (128 * 1024) /* append_json's checking tree */

/* Room one record needs in the buffer: the line and its newline. */
#define RECORD_ROOM (SL_VLOG_LINE_MAX + 1)
/* What the log adds after a verdict's own JSON: logged_at, seq and h. */
#define CHAIN_ADDS_MAX                                                         \
	(sizeof(",\"logged_at\":\"\"") + SL__VLOG_TIME_LEN +                   \
	 sizeof(",\"seq\":") + 20 + SL__VLOG_H_SUFFIX(SL_VLOG_DIGEST_MAX) + 2)

struct sl_vlog {
	/* All fields: read-write by the owning thread only. */
	int fd;			   /* O_APPEND, flock()ed; owned */
	char *path;		   /* for messages; owned */
	struct sl_vlog_config cfg; /* copy; cfg.path/key_path not kept */

	EVP_MD *md;			  /* chain hash; owned */
	EVP_MD_CTX *mdctx;		  /* reused for every record; owned */
	unsigned dlen;			  /* digest bytes */
	uint8_t head[SL_VLOG_DIGEST_MAX]; /* h of the last record chained */
	uint64_t next_seq;		  /* seq of the next record */
	uint64_t total_verdicts;	  /* verdicts in the whole log */

	char *buf;	       /* group-commit buffer; owned */
	size_t cap, len;       /* its size, bytes pending */
	uint64_t buf_last_seq; /* seq of the last record in buf */
	uint32_t buf_records;  /* records in buf */
	uint64_t buf_first_ms; /* monotonic time the first one came */

	EVP_PKEY *key; /* checkpoint signing key or NULL; owned */
	char key_id[17];
	const char *sig_alg;
	uint64_t cp_verdicts; /* verdicts since the last checkpoint */
	uint64_t cp_records;  /* records of any kind since then */
	uint64_t cp_last_ms;  /* monotonic time of the last checkpoint */
	bool cp_due;	      /* count reached; written at the next chance */

	uint64_t last_sync_ms; /* monotonic time of the last fdatasync */
	bool dirty;	       /* written since the last fdatasync */
	bool failed;	       /* fdatasync failed: refuse everything */
	int err;	       /* last error, 0 or -errno */

	int (*pre_commit)(void *ctx, bool sync); /* sl_vlog_set_pre_commit */
	void *pre_commit_ctx;
	uint8_t id[SL_VLOG_DIGEST_MAX]; /* h of the header record */
	bool have_id;

	time_t ts_sec;		    /* second ts[] was formatted for */
	char ts[SL__VLOG_TIME_LEN]; /* logged_at of this second */
	struct sl_arena json_arena; /* append_json checks; owned */
	struct sl_vlog_stats st;
};

/* -------------------------------------------------------------- config */

void sl_vlog_config_init(struct sl_vlog_config *c)
{
	memset(c, 0, sizeof(*c));
	c->hash = SL_VLOG_SM3;
	c->checkpoint_records = DEFAULT_CP_RECORDS;
	c->checkpoint_ms = DEFAULT_CP_MS;
	c->sync = SL_VLOG_SYNC_BATCH;
	c->group_records = DEFAULT_GROUP_RECS;
	c->group_ms = DEFAULT_GROUP_MS;
	c->buffer_bytes = DEFAULT_BUFFER;
}

/* Parses a decimal number with an optional unit suffix from units[]
 * (each "suffix\0" followed by its multiplier).  -1 on junk. */
static int parse_num(const char *s, uint64_t *out, const char *const *sfx,
		     const uint64_t *mul, unsigned n_sfx)
{
	char *end;
	unsigned long long v;
	unsigned i;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == '\0') {
		*out = v;
		return 0;
	}
	for (i = 0; i < n_sfx; i++) {
		if (!strcmp(end, sfx[i])) {
			if (v > UINT64_MAX / mul[i])
				return -1;
			*out = v * mul[i];
			return 0;
		}
	}
	return -1;
}

static int parse_ms(const char *s, uint64_t *ms)
{
	static const char *const sfx[] = {"ms", "s", "m"};
	static const uint64_t mul[] = {1, 1000, 60000};

	return parse_num(s, ms, sfx, mul, 3);
}

int sl_vlog_config_set(struct sl_vlog_config *c, const char *key,
		       const char *val, char *err, size_t errlen)
{
	uint64_t v;
	int h;

	if (!strcmp(key, "hash")) {
		h = sl__vlog_hash_from(val);
		if (h < 0)
			goto bad;
		c->hash = (enum sl_vlog_hash)h;
	} else if (!strcmp(key, "key") || !strcmp(key, "checkpoint_key")) {
		c->key_path = val && *val ? val : NULL;
	} else if (!strcmp(key, "fsync")) {
		/* always / group / never are the names of the engine's
		 * configuration file (deploy/sluice.yaml). */
		if (!strcmp(val, "none") || !strcmp(val, "never")) {
			c->sync = SL_VLOG_SYNC_NONE;
		} else if (!strcmp(val, "batch") || !strcmp(val, "group")) {
			c->sync = SL_VLOG_SYNC_BATCH;
		} else if (!strcmp(val, "always")) {
			c->sync = SL_VLOG_SYNC_BATCH;
			c->group_records = 1;
		} else if (!strncmp(val, "interval:", 9) &&
			   parse_ms(val + 9, &v) == 0 && v > 0 &&
			   v <= UINT32_MAX) {
			c->sync = SL_VLOG_SYNC_INTERVAL;
			c->sync_interval_ms = (uint32_t)v;
		} else {
			goto bad;
		}
	} else if (!strcmp(key, "checkpoint")) {
		/* "N", "Ts" or "N,Ts": by count, by time, or both. */
		char a[32], *comma;
		const char *parts[2];
		unsigned i, n = 1;

		if (!val || strlen(val) >= sizeof(a))
			goto bad;
		strcpy(a, val);
		parts[0] = a;
		comma = strchr(a, ',');
		if (comma) {
			*comma = '\0';
			parts[1] = comma + 1;
			n = 2;
		}
		c->checkpoint_records = 0;
		c->checkpoint_ms = 0;
		for (i = 0; i < n; i++) {
			const char *p = parts[i];
			size_t l = strlen(p);

			if (l && p[l - 1] >= '0' && p[l - 1] <= '9') {
				if (parse_num(p, &v, NULL, NULL, 0) < 0 ||
				    v > UINT32_MAX)
					goto bad;
				c->checkpoint_records = (uint32_t)v;
			} else {
				if (parse_ms(p, &v) < 0 || v > UINT32_MAX)
					goto bad;
				c->checkpoint_ms = (uint32_t)v;
			}
		}
	} else if (!strcmp(key, "checkpoint_records") ||
		   !strcmp(key, "group_records")) {
		if (parse_num(val, &v, NULL, NULL, 0) < 0 || v > UINT32_MAX)
			goto bad_number;
		if (key[0] == 'c')
			c->checkpoint_records = (uint32_t)v;
		else
			c->group_records = (uint32_t)v;
	} else if (!strcmp(key, "checkpoint_ms") || !strcmp(key, "group_ms")) {
		if (parse_ms(val, &v) < 0 || v > UINT32_MAX)
			goto bad_number;
		if (key[0] == 'c')
			c->checkpoint_ms = (uint32_t)v;
		else
			c->group_ms = (uint32_t)v;
	} else if (!strcmp(key, "buffer")) {
		static const char *const sfx[] = {"K", "M", "k", "m"};
		static const uint64_t mul[] = {1024, 1 << 20, 1024, 1 << 20};

		if (parse_num(val, &v, sfx, mul, 4) < 0 || v < MIN_BUFFER ||
		    v > (1u << 30))
			goto bad;
		c->buffer_bytes = (size_t)v;
	} else {
		snprintf(
		    err, errlen,
		    "unknown verdict log option '%s' (hash, key, "
		    "checkpoint, checkpoint_records, checkpoint_ms, fsync, "
		    "group_records, group_ms, buffer)",
		    key);
		return -EINVAL;
	}
	return 0;
bad_number:
	snprintf(err, errlen, "verdict log %s '%s': not a number%s", key,
		 val ? val : "", strstr(key, "_ms") ? " of ms (or Ns)" : "");
	return -EINVAL;
bad:
	if (!strcmp(key, "hash"))
		snprintf(err, errlen,
			 "verdict log hash '%s': use sm3 or sha256",
			 val ? val : "");
	else if (!strcmp(key, "fsync"))
		snprintf(err, errlen,
			 "verdict log fsync '%s': use none, batch or "
			 "interval:MS (or never, group, always)",
			 val ? val : "");
	else if (!strcmp(key, "checkpoint"))
		snprintf(err, errlen,
			 "verdict log checkpoint '%s': use N (records), "
			 "Ts (seconds) or N,Ts",
			 val ? val : "");
	else
		snprintf(err, errlen,
			 "verdict log buffer '%s': bytes (K, M suffixes), "
			 "%d to 1G",
			 val ? val : "", MIN_BUFFER);
	return -EINVAL;
}

/* -------------------------------------------------------------- helpers */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The current logged_at, formatted once per second. */
static const char *now_stamp(struct sl_vlog *log)
{
	time_t t = time(NULL);

	if (t != log->ts_sec) {
		log->ts_sec = t;
		sl__vlog_time(t, log->ts);
	}
	return log->ts;
}

static void __attribute__((format(printf, 2, 3)))
warn(const struct sl_vlog *log, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log->cfg.warn)
		log->cfg.warn(log->cfg.warn_ctx, msg);
	else
		fprintf(stderr, "sluice: verdict log %s: %s\n", log->path, msg);
}

/* Chains the record at p: p[0..blen) is a JSON object ending in '}'.
 * Appends seq (making c_n), hashes, appends h and the newline.  The caller
 * has made sure CHAIN_ADDS_MAX bytes follow.  Returns the line's length
 * with its newline, or -EIO. */
static int chain(struct sl_vlog *log, char *p, size_t blen)
{
	uint8_t h[SL_VLOG_DIGEST_MAX];
	size_t n = blen - 1;

	n += (size_t)sprintf(p + n, ",\"seq\":%" PRIu64 "}", log->next_seq);
	if (sl__vlog_hash(log->mdctx, log->md, log->head, log->dlen, p, n, NULL,
			  0, h) < 0)
		return -EIO;
	n--; /* reopen the object for h */
	memcpy(p + n, ",\"h\":\"", 6);
	n += 6;
	sl_vlog_hex(h, log->dlen, p + n);
	n += 2 * log->dlen;
	memcpy(p + n, "\"}\n", 3);
	n += 3;
	memcpy(log->head, h, log->dlen);
	log->buf_last_seq = log->next_seq++;
	log->cp_records++;
	if (log->buf_records++ == 0 && log->cfg.group_ms)
		log->buf_first_ms = mono_ms();
	return (int)n;
}

/* Makes room for one record, committing when the buffer cannot hold it.
 * Returns 0 or the commit's -errno. */
static int reserve(struct sl_vlog *log)
{
	int rc;

	if (log->failed)
		return log->err;
	if (log->cap - log->len >= RECORD_ROOM)
		return 0;
	rc = sl_vlog_commit(log);
	if (rc < 0)
		return rc;
	return log->cap - log->len >= RECORD_ROOM ? 0 : -ENOBUFS;
}

/* Appends a {"vlog":...} record whose members are printed by fmt. */
static int __attribute__((format(printf, 2, 3)))
add_meta(struct sl_vlog *log, const char *fmt, ...)
{
	char *p;
	va_list ap;
	int n, rc = reserve(log);

	if (rc < 0)
		return rc;
	p = log->buf + log->len;
	va_start(ap, fmt);
	n = vsnprintf(p, SL_VLOG_LINE_MAX - CHAIN_ADDS_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)(SL_VLOG_LINE_MAX - CHAIN_ADDS_MAX))
		return -ENOSPC;
	n = chain(log, p, (size_t)n);
	if (n < 0)
		return n;
	log->len += (size_t)n;
	return 0;
}

static int write_checkpoint(struct sl_vlog *log)
{
	char head[2 * SL_VLOG_DIGEST_MAX + 1], sighex[2 * SL__VLOG_SIG_MAX + 1];
	char msg[512], t[SL__VLOG_TIME_LEN];
	uint8_t sig[SL__VLOG_SIG_MAX];
	size_t siglen = sizeof(sig);
	int n, rc;

	rc = reserve(log);
	if (rc < 0)
		return rc;
	sl_vlog_hex(log->head, log->dlen, head);
	sl__vlog_time(time(NULL), t);
	n = sl__vlog_cp_message(msg, sizeof(msg),
				sl_vlog_hash_name(log->cfg.hash), log->next_seq,
				head, log->total_verdicts, t);
	if (n < 0)
		return n;
	if (sl__vlog_sign(log->key, msg, (size_t)n, sig, &siglen) < 0) {
		ERR_clear_error();
		warn(log, "OpenSSL failed to sign a checkpoint");
		return -EIO;
	}
	sl_vlog_hex(sig, siglen, sighex);
	rc = add_meta(
	    log,
	    "{\"vlog\":\"checkpoint\",\"time\":\"%s\",\"covers\":%" PRIu64
	    ",\"head\":\"%s\",\"verdicts\":%" PRIu64
	    ",\"sig_alg\":\"%s\",\"key_id\":\"%s\",\"sig\":\"%s\"}",
	    t, log->next_seq - 1, head, log->total_verdicts, log->sig_alg,
	    log->key_id, sighex);
	if (rc < 0)
		return rc;
	log->cp_verdicts = 0;
	log->cp_records = 0;
	log->cp_last_ms = mono_ms();
	log->cp_due = false;
	log->st.checkpoints++;
	return 0;
}

static int do_sync(struct sl_vlog *log)
{
	if (!log->dirty)
		return 0;
	/* What the hook wrote before the groups now synced must be on disk
	 * before them (docs/reliability.md, "Power cuts"). */
	if (log->pre_commit) {
		int rc = log->pre_commit(log->pre_commit_ctx, true);

		if (rc < 0) {
			log->err = rc;
			log->st.write_errors++;
			return rc;
		}
	}
	if (fdatasync(log->fd) < 0) {
		/* After a failed fsync the kernel may have dropped the dirty
		 * pages: nothing written since the last good sync is known
		 * to be on disk.  Stop, so a reopen verifies and decides. */
		log->err = -errno;
		log->failed = true;
		log->st.write_errors++;
		warn(log, "fdatasync failed (%s): refusing further records",
		     strerror(errno));
		return log->err;
	}
	log->dirty = false;
	log->last_sync_ms = mono_ms();
	log->st.syncs++;
	log->st.synced_seq = log->st.written_seq;
	return 0;
}

/* -------------------------------------------------------------- append */

/* Shared tail of both append paths: the verdict JSON is at p[0..n).
 * Adds logged_at, chains, counts, and writes a checkpoint when due. */
static int add_verdict_json(struct sl_vlog *log, char *p, size_t n)
{
	int m;

	/* p[n-1] is the verdict's closing '}'. */
	n--;
	n += (size_t)sprintf(p + n, ",\"logged_at\":\"%s\"}", now_stamp(log));
	m = chain(log, p, n);
	if (m < 0)
		return m;
	log->len += (size_t)m;
	log->total_verdicts++;
	log->cp_verdicts++;
	log->st.verdicts++;
	if (log->key && log->cfg.checkpoint_records &&
	    log->cp_verdicts >= log->cfg.checkpoint_records)
		log->cp_due = true;
	/* A full group goes out now; a failed write keeps it buffered for
	 * the next commit (the record is taken either way). */
	if (log->cfg.group_records &&
	    log->buf_records >= log->cfg.group_records)
		(void)sl_vlog_commit(log);
	return 0;
}

/* Writes a due checkpoint before the next record.  A checkpoint that does
 * not fit now stays due; only a failed signature is an error. */
static int checkpoint_if_due(struct sl_vlog *log)
{
	int rc;

	if (!log->cp_due)
		return 0;
	rc = write_checkpoint(log);
	return rc == -EIO ? rc : 0;
}

unsigned sl_vlog_append(struct sl_vlog *log, const sl_verdict_t *v, unsigned n)
{
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		char *p;

		rc = checkpoint_if_due(log);
		if (rc == 0)
			rc = reserve(log);
		if (rc < 0)
			goto short_append;
		p = log->buf + log->len;
		rc = sl_verdict_to_json(&v[i], p,
					SL_VLOG_LINE_MAX - CHAIN_ADDS_MAX);
		if (rc < 0)
			goto short_append;
		rc = add_verdict_json(log, p, (size_t)rc);
		if (rc < 0)
			goto short_append;
	}
	(void)checkpoint_if_due(log);
	return n;
short_append:
	log->err = rc;
	log->st.refused += n - i;
	return i;
}

static bool reserved_key(const char *k)
{
	return !strcmp(k, "seq") || !strcmp(k, "h") ||
	       !strcmp(k, "logged_at") || !strcmp(k, "vlog");
}

/* Is line a single-line verdict object the verifier will accept back? */
static int check_verdict_json(struct sl_vlog *log, const char *line, size_t len)
{
	struct sl_arena *prev;
	const cJSON *o, *it, *id;
	int rc = -EINVAL, k;

	if (len < 2 || len > SL_VERDICT_JSON_MAX || line[0] != '{' ||
	    line[len - 1] != '}' || memchr(line, '\n', len) ||
	    memchr(line, '\r', len) || memchr(line, '\0', len))
		return -EINVAL;
	sl_json_hooks_init();
	prev = sl_json_use_arena(&log->json_arena);
	o = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(o))
		goto out;
	id = cJSON_GetObjectItemCaseSensitive(o, "decl_id");
	if (!cJSON_IsString(id) && !cJSON_IsNull(id))
		goto out;
	it = cJSON_GetObjectItemCaseSensitive(o, "verdict");
	if (!cJSON_IsString(it))
		goto out;
	for (k = 0; k < SL_VERDICT__COUNT; k++)
		if (!strcmp(it->valuestring, sl_verdict_name(k)))
			break;
	if (k == SL_VERDICT__COUNT)
		goto out;
	cJSON_ArrayForEach (it, o)
		if (it->string && reserved_key(it->string))
			goto out;
	rc = 0;
out:
	sl_json_use_arena(prev);
	sl_arena_reset(&log->json_arena);
	return rc;
}

unsigned sl_vlog_append_json(struct sl_vlog *log, const char *const *lines,
			     const size_t *lens, unsigned n)
{
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		char *p;

		rc = check_verdict_json(log, lines[i], lens[i]);
		if (rc < 0)
			goto short_append;
		rc = checkpoint_if_due(log);
		if (rc == 0)
			rc = reserve(log);
		if (rc < 0)
			goto short_append;
		p = log->buf + log->len;
		memcpy(p, lines[i], lens[i]);
		rc = add_verdict_json(log, p, lens[i]);
		if (rc < 0)
			goto short_append;
	}
	(void)checkpoint_if_due(log);
	return n;
short_append:
	log->err = rc;
	log->st.refused += n - i;
	return i;
}

/* -------------------------------------------------------------- commit */

int sl_vlog_commit(struct sl_vlog *log)
{
	size_t off = 0;
	ssize_t w;
	uint64_t now;

	if (log->failed)
		return log->err;
	if (log->len && log->pre_commit) {
		int rc = log->pre_commit(log->pre_commit_ctx, false);

		if (rc < 0) {
			log->err = rc;
			log->st.write_errors++;
			return rc;
		}
	}
	while (off < log->len) {
		w = write(log->fd, log->buf + off, log->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* Keep what was not written; with O_APPEND the retry
			 * continues exactly where the file ends, so a
			 * partial record is completed, not duplicated. */
			log->err = -errno;
			log->st.write_errors++;
			log->st.bytes += off;
			if (off)
				log->dirty = true;
			memmove(log->buf, log->buf + off, log->len - off);
			log->len -= off;
			return log->err;
		}
		off += (size_t)w;
	}
	if (off) {
		log->st.bytes += off;
		log->st.commits++;
		log->st.written_seq = log->buf_last_seq;
		log->len = 0;
		log->buf_records = 0;
		log->dirty = true;
	}
	switch (log->cfg.sync) {
	case SL_VLOG_SYNC_BATCH:
		return do_sync(log);
	case SL_VLOG_SYNC_INTERVAL:
		now = mono_ms();
		if (now - log->last_sync_ms >= log->cfg.sync_interval_ms)
			return do_sync(log);
		return 0;
	default:
		return 0;
	}
}

int sl_vlog_tick(struct sl_vlog *log)
{
	int rc = 0;

	if (log->failed)
		return log->err;
	if (log->key && log->cfg.checkpoint_ms && log->cp_records &&
	    mono_ms() - log->cp_last_ms >= log->cfg.checkpoint_ms)
		log->cp_due = true;
	rc = checkpoint_if_due(log);
	if (rc == 0 && log->len &&
	    (!log->cfg.group_ms ||
	     mono_ms() - log->buf_first_ms >= log->cfg.group_ms))
		rc = sl_vlog_commit(log);
	else if (rc == 0 && log->dirty &&
		 log->cfg.sync == SL_VLOG_SYNC_INTERVAL &&
		 mono_ms() - log->last_sync_ms >= log->cfg.sync_interval_ms)
		rc = do_sync(log);
	return rc;
}

int sl_vlog_checkpoint(struct sl_vlog *log)
{
	int rc;

	if (!log->key)
		return -ENOKEY;
	if (log->failed)
		return log->err;
	rc = write_checkpoint(log);
	return rc < 0 ? rc : sl_vlog_commit(log);
}

void sl_vlog_set_pre_commit(struct sl_vlog *log,
			    int (*fn)(void *ctx, bool sync), void *ctx)
{
	log->pre_commit = fn;
	log->pre_commit_ctx = ctx;
}

size_t sl_vlog_id(const struct sl_vlog *log, uint8_t *out, size_t n)
{
	if (!log->have_id)
		return 0;
	if (n > log->dlen)
		n = log->dlen;
	memcpy(out, log->id, n);
	return n;
}

int sl_vlog_error(const struct sl_vlog *log)
{
	return log->err;
}

void sl_vlog_stats(const struct sl_vlog *log, struct sl_vlog_stats *st)
{
	*st = log->st;
	st->next_seq = log->next_seq;
	st->total_verdicts = log->total_verdicts;
}

/* ---------------------------------------------------------------- open */

/* fsync the directory holding path, so that a newly created log survives
 * a power loss as an entry, not only as data. */
static void sync_dir(const char *path)
{
	char tmp[PATH_MAX];
	int dfd;

	if (strlen(path) >= sizeof(tmp))
		return;
	strcpy(tmp, path);
	dfd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

static const char *status_text(enum sl_vlog_status s)
{
	switch (s) {
	case SL_VLOG_OK:
		return "ok";
	case SL_VLOG_TORN:
		return "torn last record";
	case SL_VLOG_BAD:
		return "fails verification";
	case SL_VLOG_EMPTY:
		return "no complete record";
	default:
		return "unreadable";
	}
}

/* Does a file without a single complete line start like a log header
 * whose write was cut short?  Only then may the writer start it over. */
static bool torn_header(int fd)
{
	static const char hdr[] = "{\"vlog\":\"header\",";
	char b[sizeof(hdr) - 1];
	ssize_t n = pread(fd, b, sizeof(b), 0);

	return n > 0 && memcmp(b, hdr, (size_t)n) == 0;
}

/* The open-time visitor: takes the log's identity from its header, then
 * hands every line to the caller's visitor (config open_visit). */
static int open_visit(void *ctx, const struct sl_vlog_rec *rec)
{
	struct sl_vlog *log = ctx;
	static const char key[] = ",\"h\":\"";
	size_t hl = 2 * (size_t)log->dlen, i;

	if (rec->lineno == 1 && rec->verified &&
	    rec->kind == SL_VLOG_REC_HEADER &&
	    rec->len > hl + sizeof(key) + 1 &&
	    !memcmp(rec->line + rec->len - hl - 2 - (sizeof(key) - 1), key,
		    sizeof(key) - 1)) {
		const char *hex = rec->line + rec->len - hl - 2;

		for (i = 0; i < log->dlen; i++) {
			unsigned v;

			if (sscanf(hex + 2 * i, "%2x", &v) != 1)
				break;
			log->id[i] = (uint8_t)v;
		}
		log->have_id = i == log->dlen;
	}
	return log->cfg.open_visit
		   ? log->cfg.open_visit(log->cfg.open_visit_ctx, rec)
		   : 0;
}

/* Verifies the existing file and continues its chain.  -errno with err. */
static int resume(struct sl_vlog *log, char *err, size_t errlen)
{
	struct sl_vlog_keyring *kr = sl_vlog_keyring_new();
	struct sl_vlog_verify_opts o = {
	    .unknown_key_ok = true, .visit = open_visit, .ctx = log};
	struct sl_vlog_report rep;
	off_t cut;
	int rc;

	if (!kr)
		return -ENOMEM;
	/* Our own checkpoints are verified with our key; those of a key
	 * used before a rotation are counted, not refused. */
	if (log->key) {
		rc = sl__vlog_keyring_add_pkey(kr, log->key, err, errlen);
		if (rc < 0) {
			sl_vlog_keyring_free(kr);
			return rc;
		}
	}
	o.keys = kr;
	rc = sl_vlog_verify_fd(log->fd, &o, &rep);
	sl_vlog_keyring_free(kr);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", log->path,
			 strerror(-rc));
		return rc;
	}
	if (rc > 0) {
		snprintf(err, errlen, "%s: the caller refused the log (%d)",
			 log->path, rc);
		return -ECANCELED;
	}
	switch (rep.status) {
	case SL_VLOG_OK:
	case SL_VLOG_TORN:
		break;
	case SL_VLOG_EMPTY:
		break;
	default:
		snprintf(err, errlen,
			 "%s %s at line %" PRIu64 " (seq %" PRId64
			 "): %s; not appending to it.  Run `sluice-audit "
			 "verify %s` for details, and move it aside to start "
			 "a new log",
			 log->path, status_text(rep.status), rep.bad_line,
			 rep.bad_seq == UINT64_MAX ? (int64_t)-1
						   : (int64_t)rep.bad_seq,
			 rep.what, log->path);
		return -EBADMSG;
	}
	if (rep.status != SL_VLOG_EMPTY && rep.hash != log->cfg.hash) {
		snprintf(err, errlen,
			 "%s is chained with %s, the configuration asks for "
			 "%s; not mixing hashes in one log (use hash=%s or a "
			 "new file)",
			 log->path, sl_vlog_hash_name(rep.hash),
			 sl_vlog_hash_name(log->cfg.hash),
			 sl_vlog_hash_name(rep.hash));
		return -EINVAL;
	}
	cut = rep.file_size - rep.good_end;
	if (rep.status == SL_VLOG_EMPTY && cut > 0 && !torn_header(log->fd)) {
		snprintf(err, errlen,
			 "%s is not a verdict log (it does not start with a "
			 "log header); not touching it",
			 log->path);
		return -EINVAL;
	}
	if (cut > 0) {
		if (ftruncate(log->fd, rep.good_end) < 0) {
			rc = -errno;
			snprintf(err, errlen,
				 "cannot cut the torn end of %s: %s", log->path,
				 strerror(errno));
			return rc;
		}
		warn(log,
		     "cut %lld bytes of a torn last record at line %" PRIu64
		     " (a crash mid-write); the chain continues from seq "
		     "%" PRIu64,
		     (long long)cut, rep.lines + 1, rep.last_seq);
		log->st.cut_bytes = (uint64_t)cut;
	}
	if (rep.status == SL_VLOG_EMPTY)
		return 1; /* nothing to resume: start a new chain */
	memcpy(log->head, rep.head, rep.head_len);
	log->next_seq = rep.last_seq + 1;
	log->total_verdicts = rep.verdicts;
	log->cp_records = rep.after_last_cp;
	return 0;
}

struct sl_vlog *sl_vlog_open(const struct sl_vlog_config *c, char *err,
			     size_t errlen)
{
	struct sl_vlog *log;
	struct stat sb;
	char host[256] = "";
	bool created;
	int rc;

	if (!c->path || !*c->path) {
		snprintf(err, errlen, "no verdict log path");
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (!log)
		goto fail_nomem;
	log->fd = -1;
	log->cfg = *c;
	log->cfg.path = NULL;
	log->cfg.key_path = NULL;
	if (log->cfg.buffer_bytes < MIN_BUFFER)
		log->cfg.buffer_bytes = MIN_BUFFER;
	log->st.written_seq = UINT64_MAX;
	log->st.synced_seq = UINT64_MAX;
	log->path = strdup(c->path);
	log->cap = log->cfg.buffer_bytes;
	log->buf = malloc(log->cap);
	log->mdctx = EVP_MD_CTX_new();
	if (!log->path || !log->buf || !log->mdctx ||
	    sl_arena_init(&log->json_arena, JSON_ARENA_SIZE) < 0)
		goto fail_nomem;
	log->md = sl__vlog_md_fetch(c->hash);
	if (!log->md) {
		snprintf(err, errlen,
			 "this OpenSSL (%s) provides no %s digest for the "
			 "verdict log",
			 OpenSSL_version(OPENSSL_VERSION),
			 sl_vlog_hash_name(c->hash));
		goto fail;
	}
	log->dlen = (unsigned)EVP_MD_get_size(log->md);

	if (c->key_path) {
		log->key = sl__vlog_load_private(c->key_path, err, errlen);
		if (!log->key)
			goto fail;
		log->sig_alg = sl__vlog_sig_alg(log->key);
		if (sl__vlog_key_id(log->key, log->key_id) < 0) {
			snprintf(err, errlen, "cannot encode key %s",
				 c->key_path);
			goto fail;
		}
	}

	log->fd = open(c->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log->fd < 0) {
		snprintf(err, errlen, "cannot open verdict log %s: %s", c->path,
			 strerror(errno));
		goto fail;
	}
	if (flock(log->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen,
			 errno == EWOULDBLOCK
			     ? "verdict log %s is in use by another writer"
			     : "cannot lock verdict log %s: %s",
			 c->path, strerror(errno));
		goto fail;
	}
	if (fstat(log->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "verdict log %s is not a regular file",
			 c->path);
		goto fail;
	}
	created = sb.st_size == 0;
	if (!created) {
		rc = resume(log, err, errlen);
		if (rc < 0)
			goto fail;
		created = rc == 1;
	}
	log->cp_last_ms = log->last_sync_ms = mono_ms();
	if (created) {
		gethostname(host, sizeof(host) - 1);
		for (char *h = host; *h; h++) /* keep the JSON plain */
			if (*h == '"' || *h == '\\' || (unsigned char)*h < 32)
				*h = '_';
		/* A random nonce makes every log's header, so its hash (the
		 * log's identity, sl_vlog_id), unique: two logs created in
		 * the same second on one host still differ, and a state
		 * directory never mistakes one for the other. */
		uint8_t nonce[8];
		char nhex[2 * sizeof(nonce) + 1];

		if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
			snprintf(err, errlen, "no random bytes from OpenSSL");
			goto fail;
		}
		sl_vlog_hex(nonce, sizeof(nonce), nhex);
		rc = add_meta(
		    log,
		    "{\"vlog\":\"header\",\"version\":1,\"hash\":\"%s\","
		    "\"created\":\"%s\",\"host\":\"%s\",\"nonce\":\"%s\"}",
		    sl_vlog_hash_name(c->hash), now_stamp(log), host, nhex);
		memcpy(log->id, log->head, log->dlen);
		log->have_id = rc == 0;
	} else {
		rc = add_meta(log,
			      "{\"vlog\":\"resume\",\"time\":\"%s\",\"cut_"
			      "bytes\":%" PRIu64 "}",
			      now_stamp(log), log->st.cut_bytes);
	}
	if (rc == 0)
		rc = sl_vlog_commit(log);
	if (rc == 0 && log->cfg.sync != SL_VLOG_SYNC_BATCH)
		rc = do_sync(log); /* the header or resume marker, and a cut */
	if (rc < 0) {
		snprintf(err, errlen, "cannot write verdict log %s: %s",
			 c->path, strerror(-rc));
		goto fail;
	}
	if (created)
		sync_dir(c->path);
	if (!log->key)
		warn(log, "no signing key: checkpoints are off; the log is "
			  "chained but not signed");
	return log;

fail_nomem:
	snprintf(err, errlen, "out of memory opening the verdict log");
fail:
	ERR_clear_error();
	if (log) {
		log->failed = true; /* close must not write */
		(void)sl_vlog_close(log);
	}
	return NULL;
}

/* --------------------------------------------------------------- close */

int sl_vlog_close(struct sl_vlog *log)
{
	int rc = 0, r;

	if (!log)
		return 0;
	if (!log->failed && log->fd >= 0) {
		if (log->key && log->cp_records)
			rc = write_checkpoint(log);
		r = sl_vlog_commit(log);
		if (!rc)
			rc = r;
		r = do_sync(log);
		if (!rc)
			rc = r;
	} else if (log->failed && log->fd >= 0 && log->len) {
		rc = log->err ? log->err : -EIO;
	}
	if (log->fd >= 0)
		close(log->fd); /* drops the flock */
	EVP_PKEY_free(log->key);
	EVP_MD_CTX_free(log->mdctx);
	EVP_MD_free(log->md);
	sl_arena_fini(&log->json_arena);
	free(log->buf);
	free(log->path);
	free(log);
	return rc;
}
