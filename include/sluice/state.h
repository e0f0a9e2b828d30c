/* sluice — buyer totals and consignee windows, shared by all workers.
 *
 * What is kept (docs/state.md has the full design):
 *   - per buyer: the value released in the current and the previous
 *     calendar year (China Standard Time), for the CNY 26,000 annual limit;
 *   - per normalised consignee and split window: parcels seen and their
 *     value, for split-shipment detection.
 *
 * Planes and threads:
 *   - sl_state_open/flush/checkpoint/close run on the control plane, from
 *     one thread at a time (they serialise on a control-plane mutex).
 *   - sl_state_buyer_add and sl_state_window_add run on the data plane, each
 *     call on behalf of one worker index (0..n_workers-1), with at most one
 *     thread per index at a time.  They never allocate, lock or make a
 *     system call: table nodes come from the worker's preallocated pool and
 *     the write-ahead log record goes into the worker's in-memory ring.  The
 *     control plane drains the rings to disk (sl_state_flush).
 *   - Every thread that calls a data-plane function must be a registered,
 *     online liburcu QSBR reader (rcu_register_thread() from <urcu-qsbr.h>)
 *     that reports quiescent states (rcu_quiescent_state()) between
 *     declarations or bursts, as the DPDK workers do once per loop.  The
 *     control-plane calls may come from a registered thread too.
 *
 * Durability (dir != NULL): a change to the shared table is in the worker's
 * ring before the call returns, as a delta tagged with the worker's current
 * tag (sl_state_tag); it is on disk after the next sl_state_flush()
 * (write(2), plus fdatasync(2) when cfg.sync).
 *
 * The verdict log as commit record (docs/reliability.md): when the tags
 * are verdict-log ordinals (the 0-based index of the verdict among the
 * log's verdict records) and cfg.log_id names the log, a change whose
 * verdict never reached the log is dropped at open: the state after a
 * kill -9 is exactly the effect of the verdicts the log holds.  The
 * writer of the log flushes the state before each group commit
 * (sl_vlog_set_pre_commit), so no logged verdict lacks its change.
 *   - `sluice screen` tags each declaration with the ordinal its verdict
 *     will take and flushes the rings before each commit;
 *   - the DPDK workers tag with a per-worker verdict count; the log thread,
 *     which gives verdicts their ordinals, moves each verdict's records
 *     from the ring to the WAL buffer with sl_state_stage (cfg.staged).
 */
#ifndef SLUICE_STATE_H
#define SLUICE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/types-t.h>

struct sl_state;

struct sl_state_config {
	const char *dir;	     /* NULL: memory only (no WAL, no files) */
	unsigned n_workers;	     /* data-plane worker indexes, >= 1 */
	uint64_t buyers_per_worker;  /* node pool per worker (virtual memory
					is reserved, pages touched on use) */
	uint64_t windows_per_worker; /* idem for consignee windows */
	uint32_t wal_ring;	     /* WAL records a worker may buffer
					between two flushes; power of two */
	bool sync;		     /* fdatasync the WAL on every flush */
	uint32_t window_grace_s;     /* a closed window is kept this long
					past its end (in declared_at time),
					for late parcels; 0 = 2 days */
	/* The verdict log that commits the changes (see the top).  NULL: no
	 * log; every record on disk counts. */
	const uint8_t *log_id; /* SL_STATE_LOG_ID_LEN bytes (sl_vlog_id) */
	uint64_t log_verdicts; /* verdict records in that log at open:
				  records tagged >= this are dropped */
	bool staged;	       /* records reach the WAL through
				  sl_state_stage, not by draining the
				  rings (the DPDK log thread) */
	bool read_only;	       /* inspect (sluice state): shared lock,
				  nothing written, cut or snapshotted */
};

/* Bytes of a verdict log's identity (the first bytes of its header
 * record's hash). */
#define SL_STATE_LOG_ID_LEN 16

/* Fills *cfg with the defaults: 1 worker, 4M buyers and 4M windows per
 * worker, 64Ki WAL records per worker, sync on, grace 2 days. */
void sl_state_config_defaults(struct sl_state_config *cfg);

/* Opens the state.  With cfg->dir set: creates the directory if missing,
 * takes an exclusive lock on it (a second process gets an error), loads the
 * latest snapshot and replays the write-ahead logs after it (a torn tail
 * left by a crash is detected and cut), then writes a fresh snapshot.
 * Control plane, from a registered QSBR reader thread (recovery grows the
 * tables while liburcu may resize them from its own thread).  Returns NULL
 * with a message in err on failure.  Free with sl_state_close(). */
struct sl_state *sl_state_open(const struct sl_state_config *cfg, char *err,
			       size_t errlen);

/* Drains every worker's ring to the WAL file (one write per call, then
 * fdatasync when cfg.sync).  Control plane; may run while workers work.
 * Returns 0 or -errno (the state stays usable, nothing drained is lost:
 * the records stay in the rings, which may then fill up and make the
 * workers fail safe). */
int sl_state_flush(struct sl_state *st);

/* fdatasync()s the WAL when flushes with cfg.sync off wrote to it since
 * the last sync: the verdict log's hook calls it before the log's own
 * fdatasync, so that the state is never less durable than the verdicts
 * (docs/reliability.md).  Control plane.  Returns 0 or -errno. */
int sl_state_sync(struct sl_state *st);

/* With cfg.staged: moves the records worker `worker` made while its tag
 * was `tag` from its ring to the WAL buffer, as the effect of the verdict
 * with log ordinal `ordinal`; the next sl_state_flush() writes them.
 * Records with an older tag (decisions whose verdict was never logged) are
 * dropped and counted (orphans).  Per worker, tags must come in the order
 * the worker made them.  Control plane (the one thread that commits).
 * Returns the records moved, or -ENOSPC when the WAL buffer is full
 * (flush, then call again), -EINVAL without cfg.staged. */
int sl_state_stage(struct sl_state *st, unsigned worker, uint64_t tag,
		   uint64_t ordinal);

/* Starts a new WAL generation (the old one is closed, complete); a later
 * sl_state_compact() folds it into the snapshot.  Call it only when every
 * record written so far is committed (right after a successful verdict-log
 * commit, with nothing staged).  Control plane.  Returns 0 or -errno. */
int sl_state_rotate(struct sl_state *st);

/* Bytes in the current WAL (0 for a memory-only state).  Control plane. */
uint64_t sl_state_wal_bytes(struct sl_state *st);

/* Folds the closed WALs into a new snapshot, from the files alone (the
 * live table may hold changes not yet committed, so it is not walked for
 * this), and expires old entries in the new snapshot and in the live
 * table.  Runs while workers and the committing thread work (memory: the
 * closed WALs' distinct keys).  Control plane, from a thread that is a
 * registered QSBR reader and does not hold up the committing thread.
 * Returns 0 (also when there was nothing to fold) or -errno. */
int sl_state_compact(struct sl_state *st);

/* Flushes, writes a snapshot of the whole table to a new file, starts a new
 * WAL and removes the old files; expires consignee windows that ended more
 * than window_grace_s before the newest declaration seen, and buyers with
 * no total in the last two years; reclaimed nodes go back to their
 * workers' pools after an RCU grace period.  Control plane.  The snapshot
 * is the live table: take it only when every change in the table is
 * committed (no worker deciding, every verdict logged), as `sluice screen`
 * does between output blocks; a running DPDK engine uses
 * sl_state_rotate + sl_state_compact instead.  Returns 0 or -errno. */
int sl_state_checkpoint(struct sl_state *st);

/* Checkpoints (when durable), then frees everything.  No data-plane call may
 * be running or follow.  Control plane, from a registered QSBR reader thread
 * (it walks and empties the tables while liburcu may shrink them; it goes
 * offline itself around their destruction).  Returns 0 or the -errno of the
 * last checkpoint (the state is freed anyway). */
int sl_state_close(struct sl_state *st);

/* ------------------------------------------------------------ data plane */

enum sl_state_rc {
	SL_STATE_OK = 0,
	SL_STATE_OVER_LIMIT, /* the add would pass the limit; nothing added */
	SL_STATE_NO_NODE,    /* the worker's node pool is exhausted */
	SL_STATE_WAL_FULL,   /* the worker's WAL ring is full (flush late) */
	SL_STATE_TOO_OLD,    /* the year is older than the two kept */
	SL_STATE_BAD_ARG,    /* worker index or amount out of range */
};

/* Sets the tag that worker `worker`'s next records carry (see the top).
 * Data plane; a plain store. */
void sl_state_tag(struct sl_state *st, unsigned worker, uint64_t tag);

/* Buyer keys.  An 18-character resident ID (GB 11643, id_type id_card) is
 * packed exactly: its 17 digits, the check character being implied, fit in
 * 57 bits.  Any other id (passport, other) is a 63-bit XXH3 hash of
 * id_type and number, with bit 63 set so the two kinds never meet; a hash
 * collision merges two buyers, which can only hold more, never release
 * more.  Pure function, any plane. */
uint64_t sl_state_buyer_key(uint8_t id_type, const char *id, size_t len);

/* Atomically adds `amount` (CNY, fixed point) to the buyer's released total
 * for `year` unless that would take it past `limit`: two workers racing on
 * one buyer can't both pass the limit.  *total gets the total after the
 * call (after the add on SL_STATE_OK, the unchanged total otherwise).
 * Data plane; see the threading rules above. */
enum sl_state_rc sl_state_buyer_add(struct sl_state *st, unsigned worker,
				    uint64_t buyer, int year, sl_money_t amount,
				    sl_money_t limit, sl_money_t *total);

/* A split window: consignee key (XXH3-128 of the normalised name, phone and
 * address), window start and length in minutes since the epoch in China
 * Standard Time.  */
struct sl_window_key {
	uint64_t consignee[2];
	uint32_t start_min;
	uint32_t len_min;
};

/* Counts one parcel of `value` (CNY) in the window and returns the window's
 * parcel count and value after it (the counts saturate, never wrap).
 * Data plane. */
enum sl_state_rc sl_state_window_add(struct sl_state *st, unsigned worker,
				     const struct sl_window_key *key,
				     sl_money_t value, uint32_t *count,
				     sl_money_t *total);

/* Per-worker WAL record counts: appended by the worker so far, and durable
 * (written, and synced when cfg.sync) so far.  Any plane, no syscall.
 * Both are 0 for a memory-only state. */
uint64_t sl_state_appended(const struct sl_state *st, unsigned worker);
uint64_t sl_state_durable(const struct sl_state *st, unsigned worker);

/* ------------------------------------------------------- introspection */

/* The released total of a buyer for a year (0 when unknown).  Any plane;
 * from a registered QSBR reader thread when workers run concurrently. */
sl_money_t sl_state_buyer_total(struct sl_state *st, uint64_t buyer, int year);

struct sl_state_stats {
	uint64_t buyers;      /* buyer entries in the table */
	uint64_t windows;     /* window entries in the table */
	uint64_t no_node;     /* adds refused: pool exhausted */
	uint64_t wal_full;    /* adds refused: WAL ring full */
	uint64_t too_old;     /* adds refused: year not kept */
	uint64_t over_limit;  /* buyer adds refused by the limit */
	uint64_t expired;     /* entries expired by checkpoints */
	uint64_t wal_records; /* records written to disk */
	uint64_t wal_flushes; /* flushes that wrote something */
	uint64_t replayed;    /* records applied at open */
	uint64_t torn_bytes;  /* bytes cut from a torn WAL tail at open */
	uint64_t uncommitted; /* records dropped at open: their verdicts
				 never reached the verdict log */
	uint64_t foreign;     /* WAL files kept whole at open because they
				 were committed by another verdict log */
	uint64_t orphans;     /* records sl_state_stage dropped */
	uint64_t compactions; /* snapshots made by sl_state_compact */
};

/* Sums the per-worker counters.  Any plane (relaxed reads). */
void sl_state_stats(const struct sl_state *st, struct sl_state_stats *out);

/* One entry, as sl_state_foreach hands it out. */
struct sl_state_entry {
	bool window;		  /* false: a buyer */
	uint64_t buyer;		  /* buyer key (sl_state_buyer_key) */
	int year[2];		  /* years of the two slots (0: empty) */
	sl_money_t total[2];	  /* released in those years */
	struct sl_window_key key; /* window */
	uint32_t count;		  /* parcels in the window */
	sl_money_t value;	  /* their value */
};

/* Calls fn for every entry (any order) until it returns non-zero, which
 * is returned.  Control plane; no data-plane call may run meanwhile
 * (sluice state, tests).  Returns 0 when every entry was visited. */
int sl_state_foreach(struct sl_state *st,
		     int (*fn)(void *ctx, const struct sl_state_entry *e),
		     void *ctx);

/* "released" etc. for enum sl_state_rc. */
const char *sl_state_rc_name(enum sl_state_rc rc);

/* ------------------------------------------------------------ calendar */

/* China Standard Time (UTC+8, no daylight saving) defines the calendar
 * year of the annual limit and the calendar day of the default split
 * window, whatever offset a declaration was written with. */
#define SL_CST_OFFSET_S (8 * 3600)

/* Calendar year in CST of a UTC epoch time.  Pure, any plane (no libc
 * time functions: glibc's take a lock). */
int sl_cst_year(int64_t t);
/* Minutes since 1970-01-01 00:00 CST of a UTC epoch time (floor). */
int64_t sl_cst_minute(int64_t t);

#endif /* SLUICE_STATE_H */
