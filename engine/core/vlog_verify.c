/* sluice — verdict log verification (docs/audit.md, "Verifying").
 *
 * One pass over the file, line by line.  For every complete line:
 *   1. it is at most SL_VLOG_LINE_MAX bytes and a JSON object;
 *   2. its seq is the previous record's seq + 1 (0 on line 1);
 *   3. it ends with `,"h":"<2d hex>"}` and that hex equals
 *      H(h_prev || line-without-that-member);
 *   4. its kind checks: line 1 is the header (and names the hash); a
 *      verdict has decl_id and a known verdict; a checkpoint covers seq-1,
 *      names h_{seq-1} as head and the verdict count so far, and its
 *      signature verifies when the key is given.
 * The first failure is reported with line, seq and what is wrong.
 *
 * Control plane.  Reentrant: state on the stack, one line buffer and one
 * JSON arena per call, freed before return.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <sluice/decl.h>

#include "arena.h"
#include "vlog_priv.h"

#define KEYRING_MAX	  16
#define VERIFY_ARENA_SIZE (256 * 1024) /* a line's tree needs < 64 KiB */

struct sl_vlog_keyring {
	unsigned n;
	struct {
		EVP_PKEY *pkey; /* owned */
		char id[17];
	} k[KEYRING_MAX];
};

struct sl_vlog_keyring *sl_vlog_keyring_new(void)
{
	return calloc(1, sizeof(struct sl_vlog_keyring));
}

void sl_vlog_keyring_free(struct sl_vlog_keyring *kr)
{
	unsigned i;

	if (!kr)
		return;
	for (i = 0; i < kr->n; i++)
		EVP_PKEY_free(kr->k[i].pkey);
	free(kr);
}

unsigned sl_vlog_keyring_count(const struct sl_vlog_keyring *kr)
{
	return kr ? kr->n : 0;
}

const char *sl_vlog_keyring_id(const struct sl_vlog_keyring *kr, unsigned i)
{
	return kr && i < kr->n ? kr->k[i].id : NULL;
}

/* Adds k (taking ownership).  Returns 0 or -errno. */
static int keyring_add(struct sl_vlog_keyring *kr, EVP_PKEY *k,
		       const char *path, char *err, size_t errlen)
{
	char id[17];
	unsigned i;

	if (!sl__vlog_sig_alg(k)) {
		snprintf(err, errlen, "key %s is %s, not SM2 or Ed25519", path,
			 EVP_PKEY_get0_type_name(k));
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	if (sl__vlog_key_id(k, id) < 0) {
		snprintf(err, errlen, "key %s: cannot encode it", path);
		EVP_PKEY_free(k);
		return -EIO;
	}
	for (i = 0; i < kr->n; i++) {
		if (!strcmp(kr->k[i].id, id)) { /* same key twice: fine */
			EVP_PKEY_free(k);
			return 0;
		}
	}
	if (kr->n == KEYRING_MAX) {
		snprintf(err, errlen, "more than %d keys", KEYRING_MAX);
		EVP_PKEY_free(k);
		return -E2BIG;
	}
	kr->k[kr->n].pkey = k;
	memcpy(kr->k[kr->n].id, id, sizeof(id));
	kr->n++;
	return 0;
}

int sl__vlog_keyring_add_pkey(struct sl_vlog_keyring *kr, EVP_PKEY *k,
			      char *err, size_t errlen)
{
	if (EVP_PKEY_up_ref(k) != 1)
		return -EIO;
	return keyring_add(kr, k, "(signing key)", err, errlen);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int sl_vlog_keyring_add_file(struct sl_vlog_keyring *kr, const char *path,
			     char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f) {
		snprintf(err, errlen, "cannot open key %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	/* A public key is what an auditor holds; a private key file also
	 * carries its public half, so accept both. */
	k = PEM_read_PUBKEY(f, NULL, no_passphrase, NULL);
	if (!k) {
		rewind(f);
		k = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	}
	fclose(f);
	ERR_clear_error();
	if (!k) {
		snprintf(err, errlen, "%s is not a PEM public or private key",
			 path);
		return -EINVAL;
	}
	return keyring_add(kr, k, path, err, errlen);
}

static EVP_PKEY *keyring_find(const struct sl_vlog_keyring *kr, const char *id)
{
	unsigned i;

	for (i = 0; kr && i < kr->n; i++)
		if (!strcmp(kr->k[i].id, id))
			return kr->k[i].pkey;
	return NULL;
}

/* ------------------------------------------------------------ verifier */

/* What the checks of one line need to know about the lines before. */
struct chain {
	EVP_MD *md; /* from the header; NULL before line 1 is read */
	EVP_MD_CTX *ctx;
	enum sl_vlog_hash hash;
	unsigned dlen;
	uint8_t head[SL_VLOG_DIGEST_MAX]; /* h of the previous record */
	uint64_t next_seq;
	uint64_t verdicts;
	struct sl_arena arena;
	const struct sl_vlog_verify_opts *o;
};

/* Fields of one line, copied out of its JSON tree. */
struct line_fields {
	enum sl_vlog_kind kind;
	uint64_t seq;
	/* header */
	int hash;
	double version;
	/* checkpoint */
	uint64_t covers, cp_verdicts;
	char head[2 * SL_VLOG_DIGEST_MAX + 1];
	char time[SL__VLOG_TIME_LEN + 8];
	char sig_alg[16];
	char key_id[17];
	char sig[2 * SL__VLOG_SIG_MAX + 1];
};

static int __attribute__((format(printf, 2, 3)))
bad(char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, 256, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies a string member into dst (cap bytes); -1 when absent, not a
 * string or too long. */
static int get_str(const cJSON *o, const char *key, char *dst, size_t cap)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	if (!cJSON_IsString(it))
		return -1;
	n = strlen(it->valuestring);
	if (n >= cap)
		return -1;
	memcpy(dst, it->valuestring, n + 1);
	return 0;
}

/* A non-negative integer member (JSON numbers are doubles in cJSON: exact
 * below 2^53, far beyond any log). */
static int get_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
	    it->valuedouble > 9007199254740992.0 ||
	    it->valuedouble != (double)(uint64_t)it->valuedouble)
		return -1;
	*out = (uint64_t)it->valuedouble;
	return 0;
}

static bool known_verdict(const char *name)
{
	int i;

	for (i = 0; i < SL_VERDICT__COUNT; i++)
		if (!strcmp(name, sl_verdict_name(i)))
			return true;
	return false;
}

/* Parses the line and copies what the checks need.  -1 with what. */
static int parse_fields(struct chain *c, const char *line, size_t len,
			struct line_fields *f, char *what)
{
	struct sl_arena *prev = sl_json_use_arena(&c->arena);
	const cJSON *o, *id;
	char kind[16], name[16];
	int rc = -1;

	memset(f, 0, sizeof(*f));
	f->hash = -1;
	o = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(o)) {
		bad(what,
		    "not a JSON object: the record was edited or damaged");
		goto out;
	}
	if (get_u64(o, "seq", &f->seq) < 0) {
		bad(what, "no seq: not a verdict log record");
		goto out;
	}
	if (get_str(o, "vlog", kind, sizeof(kind)) == 0) {
		if (!strcmp(kind, "header")) {
			f->kind = SL_VLOG_REC_HEADER;
			if (get_str(o, "hash", name, sizeof(name)) == 0)
				f->hash = sl__vlog_hash_from(name);
			if (cJSON_IsNumber(
				cJSON_GetObjectItemCaseSensitive(o, "version")))
				f->version = cJSON_GetObjectItemCaseSensitive(
						 o, "version")
						 ->valuedouble;
		} else if (!strcmp(kind, "checkpoint")) {
			f->kind = SL_VLOG_REC_CHECKPOINT;
			if (get_u64(o, "covers", &f->covers) < 0 ||
			    get_u64(o, "verdicts", &f->cp_verdicts) < 0 ||
			    get_str(o, "head", f->head, sizeof(f->head)) < 0 ||
			    get_str(o, "time", f->time, sizeof(f->time)) < 0 ||
			    get_str(o, "sig_alg", f->sig_alg,
				    sizeof(f->sig_alg)) < 0 ||
			    get_str(o, "key_id", f->key_id, sizeof(f->key_id)) <
				0 ||
			    get_str(o, "sig", f->sig, sizeof(f->sig)) < 0) {
				bad(what, "checkpoint lacks covers, verdicts, "
					  "head, time, sig_alg, key_id or sig");
				goto out;
			}
		} else if (!strcmp(kind, "resume")) {
			f->kind = SL_VLOG_REC_RESUME;
		} else {
			bad(what, "unknown record kind \"%s\"", kind);
			goto out;
		}
	} else {
		/* A verdict exactly as sl_verdict_to_json wrote it. */
		f->kind = SL_VLOG_REC_VERDICT;
		id = cJSON_GetObjectItemCaseSensitive(o, "decl_id");
		if (!(cJSON_IsString(id) || cJSON_IsNull(id)) ||
		    get_str(o, "verdict", name, sizeof(name)) < 0 ||
		    !known_verdict(name)) {
			bad(what, "not a verdict record (decl_id or verdict "
				  "missing or unknown)");
			goto out;
		}
	}
	rc = 0;
out:
	sl_json_use_arena(prev);
	sl_arena_reset(&c->arena);
	return rc;
}

/* Checks the chain hash of a line whose digest size is known.
 * On success leaves h_n in out. */
static int check_hash(struct chain *c, const char *line, size_t len,
		      uint8_t *out, char *what)
{
	size_t sfx = SL__VLOG_H_SUFFIX(c->dlen), body;
	char want[2 * SL_VLOG_DIGEST_MAX + 1];

	if (len < sfx + 2 || memcmp(line + len - sfx, ",\"h\":\"", 6) != 0 ||
	    memcmp(line + len - 2, "\"}", 2) != 0)
		return bad(what,
			   "does not end with its chain hash "
			   "(,\"h\":\"<%u hex digits>\"})",
			   2 * c->dlen);
	body = len - sfx;
	/* c_n = the line up to the h member, closed again with '}'. */
	if (sl__vlog_hash(c->ctx, c->md, c->head, c->dlen, line, body, "}", 1,
			  out) < 0)
		return bad(what, "OpenSSL failed to hash the record");
	sl_vlog_hex(out, c->dlen, want);
	if (memcmp(line + body + 6, want, 2 * c->dlen) != 0)
		return bad(what, "hash does not match: the record was edited "
				 "(or the chain before it was rewritten)");
	return 0;
}

static int check_checkpoint(struct chain *c, const struct line_fields *f,
			    struct sl_vlog_rec *rec, char *what)
{
	char head_hex[2 * SL_VLOG_DIGEST_MAX + 1], msg[512];
	uint8_t sig[SL__VLOG_SIG_MAX];
	size_t siglen = strlen(f->sig) / 2;
	EVP_PKEY *k;
	int n;

	/* c->head is still h_{seq-1} here: the line's own hash is checked
	 * after this. */
	sl_vlog_hex(c->head, c->dlen, head_hex);
	if (f->covers + 1 != f->seq)
		return bad(what,
			   "checkpoint covers seq %" PRIu64
			   ", not the record before it (%" PRIu64 ")",
			   f->covers, f->seq - 1);
	if (strcmp(f->head, head_hex) != 0)
		return bad(what,
			   "checkpoint head is not the chain's hash at "
			   "seq %" PRIu64 ": records before it were altered",
			   f->covers);
	if (f->cp_verdicts != c->verdicts)
		return bad(what,
			   "checkpoint counts %" PRIu64
			   " verdicts, the log holds %" PRIu64
			   " before it: verdicts were removed or inserted",
			   f->cp_verdicts, c->verdicts);
	if (strlen(f->sig) % 2 || siglen == 0 ||
	    sl__vlog_unhex(f->sig, siglen, sig) < 0)
		return bad(what, "checkpoint signature is not hex");
	rec->covers = f->covers;
	k = keyring_find(c->o->keys, f->key_id);
	if (!k) {
		if (sl_vlog_keyring_count(c->o->keys) && !c->o->unknown_key_ok)
			return bad(what,
				   "checkpoint signed by key %s, which is not "
				   "among the keys given: forged, or give "
				   "that key",
				   f->key_id);
		rec->sig = 0;
		return 0;
	}
	if (strcmp(f->sig_alg, sl__vlog_sig_alg(k)) != 0)
		return bad(what, "checkpoint says %s but key %s is %s",
			   f->sig_alg, f->key_id, sl__vlog_sig_alg(k));
	n = sl__vlog_cp_message(msg, sizeof(msg), sl_vlog_hash_name(c->hash),
				f->seq, f->head, f->cp_verdicts, f->time);
	if (n < 0 || !sl__vlog_sig_ok(k, msg, (size_t)n, sig, siglen)) {
		rec->sig = -1;
		return bad(what,
			   "checkpoint signature does not verify with key %s: "
			   "the checkpoint was forged or altered",
			   f->key_id);
	}
	rec->sig = 1;
	return 0;
}

/* Checks one complete line.  0, or -1 with what filled. */
static int check_line(struct chain *c, const char *line, size_t len,
		      struct sl_vlog_rec *rec, struct sl_vlog_report *rep,
		      char *what)
{
	struct line_fields f;
	uint8_t h[SL_VLOG_DIGEST_MAX];

	if (len > SL_VLOG_LINE_MAX)
		return bad(what,
			   "line is %zu bytes, longer than any record "
			   "(%d)",
			   len, SL_VLOG_LINE_MAX);
	if (parse_fields(c, line, len, &f, what) < 0)
		return -1;
	rec->seq = f.seq;
	rec->kind = f.kind;
	if (f.seq != c->next_seq) {
		if (f.seq < c->next_seq)
			return bad(what,
				   "seq %" PRIu64 " where %" PRIu64
				   " was expected: a record was inserted, "
				   "duplicated or moved here",
				   f.seq, c->next_seq);
		return bad(what,
			   "seq %" PRIu64 " where %" PRIu64
			   " was expected: %" PRIu64
			   " record(s) before this one were removed (or "
			   "moved)",
			   f.seq, c->next_seq, f.seq - c->next_seq);
	}
	if (!c->md) {
		/* Line 1: the header names the hash of the whole chain. */
		if (f.kind != SL_VLOG_REC_HEADER)
			return bad(what, "line 1 is not the log header");
		if (f.version != 1)
			return bad(what, "log format version %g is not 1",
				   f.version);
		if (f.hash < 0)
			return bad(what, "header names no known hash (sm3, "
					 "sha256)");
		c->hash = (enum sl_vlog_hash)f.hash;
		c->md = sl__vlog_md_fetch(c->hash);
		if (!c->md)
			return bad(what, "this OpenSSL has no %s",
				   sl_vlog_hash_name(c->hash));
		c->dlen = (unsigned)EVP_MD_get_size(c->md);
		memset(c->head, 0, sizeof(c->head));
		rep->hash = c->hash;
	} else if (f.kind == SL_VLOG_REC_HEADER) {
		return bad(what, "a second header: another log was appended "
				 "or a record inserted");
	}
	if (f.kind == SL_VLOG_REC_CHECKPOINT &&
	    check_checkpoint(c, &f, rec, what) < 0)
		return -1;
	if (check_hash(c, line, len, h, what) < 0)
		return -1;
	memcpy(c->head, h, c->dlen);
	c->next_seq++;
	if (f.kind == SL_VLOG_REC_VERDICT)
		c->verdicts++;
	return 0;
}

/* A bounded line reader over pread(): a line longer than any record is
 * reported as such without being held in memory, so a wrong file (a
 * gigabyte without a newline) costs one buffer, never more. */
#define READER_CAP (4 * SL_VLOG_LINE_MAX)

struct reader {
	int fd;
	char *buf;	   /* READER_CAP bytes */
	size_t start, end; /* unread bytes: buf[start..end) */
	off_t file_off;	   /* file offset of buf[end] */
	bool eof;
};

enum { LINE_EOF = 0, LINE_OK = 1, LINE_PARTIAL = 2 };

/* Next line into *p / *len (without '\n'; *len may exceed what *p holds
 * when *too_long).  Returns LINE_OK, LINE_PARTIAL (bytes at the end of the
 * file without a newline; *len counts them all), LINE_EOF or -errno. */
static int reader_next(struct reader *r, char **p, size_t *len, bool *too_long)
{
	size_t skipped = 0;
	char *nl;
	ssize_t n;

	*too_long = false;
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			*p = r->buf + r->start;
			*len = skipped + (size_t)(nl - *p);
			*too_long = skipped > 0;
			r->start = (size_t)(nl - r->buf) + 1;
			return LINE_OK;
		}
		if (r->eof) {
			*p = r->buf + r->start;
			*len = skipped + r->end - r->start;
			r->start = r->end;
			return *len ? LINE_PARTIAL : LINE_EOF;
		}
		if (r->end - r->start > SL_VLOG_LINE_MAX) {
			/* Too long to be a record: count it, drop it. */
			skipped += r->end - r->start;
			r->start = r->end = 0;
		} else if (r->start) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		n = pread(r->fd, r->buf + r->end, READER_CAP - r->end,
			  r->file_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
		r->file_off += n;
	}
}

/* Accounts a verified record in the report. */
static void count_record(struct sl_vlog_report *rep,
			 const struct sl_vlog_rec *rec, off_t end)
{
	rep->records++;
	rep->last_seq = rec->seq;
	rep->good_end = end;
	switch (rec->kind) {
	case SL_VLOG_REC_VERDICT:
		rep->verdicts++;
		break;
	case SL_VLOG_REC_CHECKPOINT:
		rep->checkpoints++;
		if (rec->sig > 0) {
			rep->sigs_verified++;
			rep->last_cp_seq = rec->seq;
			rep->after_last_cp = 0;
			return; /* signed, itself included */
		}
		rep->sigs_unchecked++;
		break;
	case SL_VLOG_REC_RESUME:
		rep->resumes++;
		break;
	default:
		break;
	}
	rep->after_last_cp++;
}

int sl_vlog_verify_fd(int fd, const struct sl_vlog_verify_opts *o,
		      struct sl_vlog_report *rep)
{
	static const struct sl_vlog_verify_opts none;
	struct chain c = {.o = o ? o : &none};
	struct reader rd = {.fd = fd};
	bool failed = false, torn = false, too_long;
	struct stat sb;
	off_t off = 0;
	size_t len = 0;
	char *line = NULL;
	int rc = 0, k;

	memset(rep, 0, sizeof(*rep));
	rep->status = SL_VLOG_IOERR;
	rep->last_cp_seq = UINT64_MAX;
	rep->bad_seq = UINT64_MAX;
	o = c.o;

	rd.buf = malloc(READER_CAP + 1);
	c.ctx = EVP_MD_CTX_new();
	if (!rd.buf || !c.ctx ||
	    sl_arena_init(&c.arena, VERIFY_ARENA_SIZE) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	sl_json_hooks_init();

	while ((k = reader_next(&rd, &line, &len, &too_long)) == LINE_OK) {
		struct sl_vlog_rec rec = {.lineno = rep->lines + 1,
					  .offset = off,
					  .line = line,
					  .len = too_long ? 0 : len,
					  .seq = UINT64_MAX,
					  .kind = SL_VLOG_REC_UNREADABLE};

		off += (off_t)len + 1;
		rep->lines++;
		if (!too_long)
			line[len] = '\0'; /* over the '\n' */
		if (!failed) {
			int bad_line;

			if (too_long)
				bad_line = bad(rep->what,
					       "line is %zu bytes, longer than "
					       "any record (%d)",
					       len, SL_VLOG_LINE_MAX);
			else
				bad_line = check_line(&c, line, len, &rec, rep,
						      rep->what);
			if (bad_line < 0) {
				failed = true;
				rep->bad_line = rec.lineno;
				rep->bad_seq = rec.seq;
				rep->bad_offset = rec.offset;
				if (!o->keep_going)
					break;
			} else {
				rec.verified = true;
				count_record(rep, &rec, off);
			}
		} else if (!too_long) {
			struct line_fields lf;
			char ignored[256];

			/* Past the first failure: tell the visitor what the
			 * line claims to be, verifying nothing. */
			if (parse_fields(&c, line, len, &lf, ignored) == 0) {
				rec.kind = lf.kind;
				rec.seq = lf.seq;
			}
		}
		if (o->visit) {
			rc = o->visit(o->ctx, &rec);
			if (rc)
				goto out;
		}
	}
	if (k < 0) {
		rc = k;
		goto out;
	}
	if (k == LINE_PARTIAL) {
		torn = true; /* the last line, cut short */
		off += (off_t)len;
	}
	rep->file_size = off;
	if (failed && !o->keep_going && fstat(fd, &sb) == 0)
		rep->file_size = sb.st_size; /* the scan stopped early */
	memcpy(rep->head, c.head, sizeof(rep->head));
	rep->head_len = c.dlen;
	if (failed)
		rep->status = SL_VLOG_BAD;
	else if (rep->records == 0)
		rep->status = SL_VLOG_EMPTY;
	else if (torn)
		rep->status = SL_VLOG_TORN;
	else
		rep->status = SL_VLOG_OK;
	if (torn && !failed)
		snprintf(rep->what, sizeof(rep->what),
			 "the last %lld bytes (line %" PRIu64
			 ") are an incomplete record: a write cut short by a "
			 "crash, or the file was truncated",
			 (long long)(off - rep->good_end), rep->lines + 1);
out:
	free(rd.buf);
	sl_arena_fini(&c.arena);
	EVP_MD_CTX_free(c.ctx);
	EVP_MD_free(c.md);
	return rc;
}

int sl_vlog_verify_file(const char *path, const struct sl_vlog_verify_opts *o,
			struct sl_vlog_report *rep)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		memset(rep, 0, sizeof(*rep));
		rep->status = SL_VLOG_IOERR;
		snprintf(rep->what, sizeof(rep->what), "cannot open %s: %s",
			 path, strerror(errno));
		return -errno;
	}
	rc = sl_vlog_verify_fd(fd, o, rep);
	close(fd);
	return rc;
}
