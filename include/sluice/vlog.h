/* sluice — the tamper-evident verdict log (docs/audit.md).
 *
 * An append-only file of JSON lines: a header, then every verdict exactly as
 * `sluice screen` prints it (SPEC 4) plus three fields the log adds
 * (logged_at, seq, h), with signed checkpoints and resume markers between
 * them.  Each record's h chains it to the one before:
 *
 *	h_0 = H(0^d || c_0),   h_n = H(h_{n-1} || c_n)
 *
 * where H is SM3 (default) or SHA-256, d its digest size and c_n the line
 * without its `,"h":"..."` member.  A checkpoint signs (SM2 or Ed25519) the
 * head of the chain, so rewriting the chain after an edit is caught too.
 *
 * Planes and threads.  Everything here runs on the control plane.  A writer
 * (struct sl_vlog) belongs to one thread: the DPDK engine's log thread, or
 * `sluice screen`'s main loop; its calls are not thread-safe and it never
 * blocks on anything but its own file.  It allocates its buffer once, at
 * open; appending allocates nothing.  The verifier is reentrant: it keeps
 * its state on the caller's stack and in one line buffer it frees itself.
 */
#ifndef SLUICE_VLOG_H
#define SLUICE_VLOG_H

#include <string.h>

#include <sluice/vlog-t.h>

/* ------------------------------------------------------------ config */

/* Defaults: SM3, no key (chain only), checkpoint every 10000 records or
 * 60 s when a key is set, fsync `batch`, groups of 1024 records or 10 ms,
 * 1 MiB buffer, warnings to stderr.  path must still be set. */
void sl_vlog_config_init(struct sl_vlog_config *c);

/* Sets one option by name, as given on a command line or in the engine's
 * configuration file (the verdict_log section of deploy/sluice.yaml uses
 * the same names):
 *   hash                sm3 | sha256
 *   key, checkpoint_key PEM private key file (SM2 or Ed25519)
 *   checkpoint          N (records), Ns / Nms (time), or "N,Ts"
 *   checkpoint_records  N          checkpoint_ms  MS (or Ns)
 *   fsync               none | batch | interval:MS; also the
 *                       configuration file's never (= none), group
 *                       (= batch) and always (= batch, group_records 1)
 *   group_records       N          group_ms       MS (or Ns)
 *   buffer              bytes of the group-commit buffer (K, M suffixes)
 * val is borrowed (key only) until sl_vlog_open().  Returns 0, or -EINVAL
 * with a message in err. */
int sl_vlog_config_set(struct sl_vlog_config *c, const char *key,
		       const char *val, char *err, size_t errlen);

/* "sm3", "sha256". */
const char *sl_vlog_hash_name(enum sl_vlog_hash h);

/* ------------------------------------------------------------ writer */

struct sl_vlog;

/* Opens (creating when absent) the log at c->path for appending, and takes
 * an exclusive lock on it (flock) so that no second writer interleaves.
 *   - new or empty file: writes the header record;
 *   - existing file: verifies it from the first line; a torn last record
 *     (a crash mid-write) is cut off with a warning, and a resume record
 *     (naming how many bytes were cut) continues the chain.  A file whose
 *     middle fails verification, or that uses another hash than c->hash,
 *     is refused: the message names the first bad line.
 * Control plane.  Returns the writer, or NULL with a message in err.  The
 * caller frees it with sl_vlog_close(). */
struct sl_vlog *sl_vlog_open(const struct sl_vlog_config *c, char *err,
			     size_t errlen);

/* Appends n verdicts, in order: encodes each (sl_verdict_to_json), chains
 * it and copies it into the buffer.  A full buffer is committed on the way
 * (one write()).  A checkpoint is added when one is due by count.
 * Returns how many verdicts were taken (0..n).  Fewer than n only when the
 * buffer is full and cannot be written (disk full, I/O error: see
 * sl_vlog_error()); the caller keeps the rest and retries later or counts
 * them as backpressure.  Taken records are durable after the next commit
 * per the fsync policy.  Owning thread only; allocates nothing. */
unsigned sl_vlog_append(struct sl_vlog *log, const sl_verdict_t *v, unsigned n);

/* Same for verdicts already encoded by sl_verdict_to_json (one JSON object
 * each, no newline; lens[i] bytes of lines[i]).  Each is parsed to check it
 * is a single-line verdict object without the log's own keys (seq, h,
 * logged_at, vlog); processing stops at the first that is not, with
 * sl_vlog_error() == -EINVAL.  Returns how many were taken. */
unsigned sl_vlog_append_json(struct sl_vlog *log, const char *const *lines,
			     const size_t *lens, unsigned n);

/* Group commit: writes everything buffered with one write() (more only
 * after a short write), then fdatasync()s when the policy says so.
 * Returns 0 or -errno (the unwritten bytes stay buffered; the next commit
 * retries).  After a failed fdatasync() the writer refuses further
 * records (-EIO): what reached the disk is unknown until a reopen
 * verifies it. */
int sl_vlog_commit(struct sl_vlog *log);

/* Time-driven work; call at least every few hundred milliseconds, also
 * when idle: commits anything buffered, writes a checkpoint when one is
 * due by time, and fdatasync()s when the interval policy is due.
 * Returns 0 or -errno. */
int sl_vlog_tick(struct sl_vlog *log);

/* Writes a checkpoint now (when a key is configured) and commits.
 * Returns 0, -ENOKEY without a key, or -errno. */
int sl_vlog_checkpoint(struct sl_vlog *log);

/* The verdict log as commit record (docs/reliability.md): fn(ctx, false)
 * is called by every group commit before its write(), when something is
 * buffered, to write the state changes behind the buffered verdicts
 * first; fn(ctx, true) before every fdatasync() of the log, to make what
 * it wrote durable first (so a power cut never keeps a verdict whose
 * change it lost).  A negative return fails the commit or the sync
 * (nothing more is written).  fn NULL: none.  Owning thread only. */
void sl_vlog_set_pre_commit(struct sl_vlog *log,
			    int (*fn)(void *ctx, bool sync), void *ctx);

/* The log's identity: the first n (at most the digest size) bytes of the
 * hash of its header record, which no other log shares.  Returns n, or 0
 * when unknown.  Any plane (a copy made at open). */
size_t sl_vlog_id(const struct sl_vlog *log, uint8_t *out, size_t n);

/* The last error of the writer (0, -EINVAL, -ENOSPC, -EIO, ...). */
int sl_vlog_error(const struct sl_vlog *log);

/* Copies the counters. */
void sl_vlog_stats(const struct sl_vlog *log, struct sl_vlog_stats *st);

/* Final checkpoint (when a key is configured and records are unsigned),
 * commit, fdatasync (whatever the policy: a clean shutdown is durable),
 * unlock, close and free.  Returns 0 or the first -errno met; the writer
 * is freed either way.  NULL is a no-op. */
int sl_vlog_close(struct sl_vlog *log);

/* ---------------------------------------------------------- verifier */

/* Public keys that checkpoint signatures are checked against, by key id
 * (first 16 hex digits of SHA-256 over the DER SubjectPublicKeyInfo). */
struct sl_vlog_keyring;

struct sl_vlog_keyring *sl_vlog_keyring_new(void);
/* Adds the public key of a PEM file holding a public or a private key
 * (SM2 or Ed25519).  Returns 0, or -errno with a message in err. */
int sl_vlog_keyring_add_file(struct sl_vlog_keyring *kr, const char *path,
			     char *err, size_t errlen);
unsigned sl_vlog_keyring_count(const struct sl_vlog_keyring *kr);
/* Key id of the i-th key (16 hex digits). */
const char *sl_vlog_keyring_id(const struct sl_vlog_keyring *kr, unsigned i);
void sl_vlog_keyring_free(struct sl_vlog_keyring *kr);

/* Called for every complete line, in order.  Return 0 to go on, anything
 * else to stop (sl_vlog_verify_fd then returns that value). */
typedef int (*sl_vlog_visit_fn)(void *ctx, const struct sl_vlog_rec *rec);

struct sl_vlog_verify_opts {
	const struct sl_vlog_keyring *keys; /* NULL/empty: signatures are
					       not checked (counted) */
	bool unknown_key_ok;	/* a checkpoint signed by a key not in keys is
				   counted unchecked instead of failing */
	bool keep_going;	/* after the first bad line, keep visiting the
				   remaining lines with verified = false */
	sl_vlog_visit_fn visit; /* may be NULL */
	void *ctx;
};

/* Verifies the log read from fd (from its current offset, which must be
 * the start of the file) and fills *rep; see docs/audit.md for every
 * check.  Control plane; reentrant.  Returns 0 when the scan ran (the
 * outcome is rep->status), the visitor's non-zero value when it stopped
 * the scan, or -errno when fd could not be read. */
int sl_vlog_verify_fd(int fd, const struct sl_vlog_verify_opts *o,
		      struct sl_vlog_report *rep);

/* Opens path read-only and verifies it. */
int sl_vlog_verify_file(const char *path, const struct sl_vlog_verify_opts *o,
			struct sl_vlog_report *rep);

/* Is this log line one of the log's own records (header, checkpoint,
 * resume) rather than a verdict?  The writer puts "vlog" first in those, so
 * a reader of verdicts (sluice-feedback, scripts) can skip them without
 * parsing.  Any plane; allocates nothing. */
static inline bool sl_vlog_is_meta(const char *line, size_t len)
{
	static const char tag[] = "{\"vlog\":";

	return len >= sizeof(tag) - 1 && !memcmp(line, tag, sizeof(tag) - 1);
}

/* Lower-case hex of n bytes into out (2n + 1 bytes with the NUL). */
void sl_vlog_hex(const uint8_t *b, size_t n, char *out);

#endif /* SLUICE_VLOG_H */
