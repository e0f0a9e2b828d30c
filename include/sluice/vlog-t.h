/* sluice — types of the tamper-evident verdict log (docs/audit.md).
 *
 * Types only; functions live in vlog.h.
 */
#ifndef SLUICE_VLOG_T_H
#define SLUICE_VLOG_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sluice/verdict.h>

/* Longest log line, without its newline: a verdict's JSON plus the chain
 * fields the log adds (logged_at, seq, h).  Longer lines are refused by the
 * writer and reported as bad by the verifier. */
#define SL_VLOG_LINE_MAX (SL_VERDICT_JSON_MAX + 256)

/* Largest digest the chain can use (SM3 and SHA-256 are both 32 bytes). */
#define SL_VLOG_DIGEST_MAX 64

/* Chain hash. */
enum sl_vlog_hash {
	SL_VLOG_SM3 = 0, /* default: GB/T 32905, domestic cryptography */
	SL_VLOG_SHA256,
	SL_VLOG_HASH__COUNT
};

/* When the writer calls fdatasync() (docs/audit.md, "fsync policies"). */
enum sl_vlog_sync {
	SL_VLOG_SYNC_NONE = 0, /* never while running; once at close */
	SL_VLOG_SYNC_BATCH,    /* after every group commit (default) */
	SL_VLOG_SYNC_INTERVAL, /* at most every sync_interval_ms */
};

/* Kind of a log record (the first key of the line tells it apart). */
enum sl_vlog_kind {
	SL_VLOG_REC_HEADER = 0, /* {"vlog":"header",...}: line 1, seq 0 */
	SL_VLOG_REC_VERDICT,	/* a verdict (SPEC 4) plus chain fields */
	SL_VLOG_REC_CHECKPOINT, /* {"vlog":"checkpoint",...}: signed head */
	SL_VLOG_REC_RESUME,	/* {"vlog":"resume",...}: writer reopened */
	SL_VLOG_REC_UNREADABLE, /* not a record (seen only after a failure,
				   with keep_going) */
};

struct sl_vlog_rec; /* below */

/* Writer configuration.  sl_vlog_config_init() fills the defaults;
 * sl_vlog_config_set() sets one option by name (the command-line flags and
 * the configuration file go through it).  Strings are borrowed until
 * sl_vlog_open() returns. */
struct sl_vlog_config {
	const char *path;	     /* the log file; created when absent */
	enum sl_vlog_hash hash;	     /* chain hash of a NEW log; an existing log
					must already use it */
	const char *key_path;	     /* PEM private key (SM2 or Ed25519) that
					signs checkpoints; NULL: no checkpoints */
	uint32_t checkpoint_records; /* checkpoint after this many records
					(0: not by count) */
	uint32_t checkpoint_ms;	     /* ... or this long after the previous
					one (0: not by time) */
	enum sl_vlog_sync sync;	     /* fsync policy */
	uint32_t sync_interval_ms;   /* for SL_VLOG_SYNC_INTERVAL */
	uint32_t group_records;	     /* group commit once this many records
					are buffered (0: only when the
					buffer is full or the caller
					commits) */
	uint32_t group_ms;	     /* sl_vlog_tick() commits records
					buffered this long (0: whatever is
					buffered, at every tick) */
	size_t buffer_bytes;	     /* group-commit buffer, allocated once at
					open; a commit is forced when it cannot
					hold one more record */
	/* Receives warnings (torn tail cut, no key); NULL: stderr. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	/* Called, when an existing log is opened, for every line the
	 * verification reads (struct sl_vlog_rec; return non-zero to fail
	 * the open): lets a caller rebuild what it needs from the log
	 * without reading it twice (the engines' recent verdicts,
	 * docs/reliability.md).  NULL: none. */
	int (*open_visit)(void *ctx, const struct sl_vlog_rec *rec);
	void *open_visit_ctx;
};

/* Counters of one open writer.  Read by the owning thread only (copy them
 * out with sl_vlog_stats() to publish). */
struct sl_vlog_stats {
	uint64_t verdicts;	 /* verdict records accepted this session */
	uint64_t checkpoints;	 /* checkpoint records written this session */
	uint64_t refused;	 /* records a short append did not take */
	uint64_t commits;	 /* write() batches completed */
	uint64_t bytes;		 /* bytes written this session */
	uint64_t syncs;		 /* fdatasync() calls */
	uint64_t write_errors;	 /* failed write() or fdatasync() */
	uint64_t next_seq;	 /* seq the next record will get */
	uint64_t written_seq;	 /* last seq handed to the kernel by write()
				    (survives kill -9); UINT64_MAX: none */
	uint64_t synced_seq;	 /* last seq fdatasync()ed (survives power
				    loss); UINT64_MAX: none */
	uint64_t total_verdicts; /* verdict records in the whole log */
	uint64_t cut_bytes;	 /* torn tail cut at open (0: none) */
};

/* One record, as the verifier hands it to a visitor. */
struct sl_vlog_rec {
	uint64_t lineno; /* 1-based line number in the file */
	uint64_t seq;	 /* the record's seq */
	off_t offset;	 /* byte offset of the line */
	enum sl_vlog_kind kind;
	const char *line; /* the line, without '\n'; valid during the
			     callback only */
	size_t len;
	bool verified; /* chain (and signature, for a checkpoint
			  whose key was given) verified up to and
			  including this record */
	/* Checkpoints only: */
	uint64_t covers; /* last seq the signature covers */
	int sig;	 /* 1 verified, 0 not checked (no key), -1 bad */
};

/* Outcome of verifying a log file. */
enum sl_vlog_status {
	SL_VLOG_OK = 0, /* every line verified */
	SL_VLOG_TORN,	/* every complete line verified; the file ends
			   in an incomplete line (a crash mid-write, or
			   a cut in the middle of a record) */
	SL_VLOG_BAD,	/* a complete line fails: bad_* says where */
	SL_VLOG_EMPTY,	/* no complete line at all */
	SL_VLOG_IOERR,	/* the file could not be read */
};

struct sl_vlog_report {
	enum sl_vlog_status status;
	enum sl_vlog_hash hash;	 /* from the header */
	uint64_t lines;		 /* complete lines read */
	uint64_t records;	 /* lines verified (all kinds) */
	uint64_t verdicts;	 /* verdict records verified */
	uint64_t checkpoints;	 /* checkpoint records verified */
	uint64_t sigs_verified;	 /* checkpoint signatures verified */
	uint64_t sigs_unchecked; /* checkpoints whose key was not given */
	uint64_t resumes;	 /* resume records */
	uint64_t last_seq;	 /* seq of the last verified record */
	uint64_t last_cp_seq;	 /* seq of the last verified checkpoint, or
				    UINT64_MAX */
	uint64_t after_last_cp;	 /* verified records after the last signed
				    checkpoint (not covered by a signature) */
	off_t good_end;		 /* offset just past the last verified line */
	off_t file_size;
	uint8_t head[SL_VLOG_DIGEST_MAX]; /* h of the last verified record */
	unsigned head_len;
	/* SL_VLOG_BAD: the first bad line. */
	uint64_t bad_line; /* 1-based */
	uint64_t bad_seq;  /* its seq, or UINT64_MAX when unreadable */
	off_t bad_offset;
	char what[256]; /* what is wrong, for a person */
};

#endif /* SLUICE_VLOG_T_H */
