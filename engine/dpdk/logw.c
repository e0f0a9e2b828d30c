/* sluice — the log thread (control plane): verdict log and quarantine.
 *
 * Consumes every worker's log ring.  A verdict datagram's verdicts are
 * decoded (sl_verdict_from_msgpack) and appended to the tamper-evident
 * verdict log (vlog.h: the same JSON records `sluice screen` writes, hash
 * chained, group committed).  The log is the commit record
 * (docs/reliability.md): before appending a verdict, the thread moves the
 * state changes of its decision from the worker's WAL ring to the state's
 * WAL buffer, tagged with the verdict's ordinal in the log
 * (sl_state_stage); each group commit of the log writes that buffer first
 * (the pre-commit hook).  After each pass over the rings it commits and
 * tells every worker how many of its datagrams are committed, and the
 * workers send them only then.  An unreadable unit becomes a quarantine
 * entry:
 *
 *     # sluice-quarantine worker=W port=P reason=NAME bytes=N\n
 *     <N raw bytes>\n
 *
 * It frees every mbuf reference it is handed.  It never waits for the
 * workers or for a reload, so a worker waiting on a full ring always makes
 * progress.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include <sluice/decl.h>
#include <sluice/replay.h>
#include <sluice/state.h>
#include <sluice/verdict.h>
#include <sluice/vlog.h>

#include "engine.h"
#include "metrics.h"

#define LOG_BURST	  64
#define PASS_MAX	  1024 /* messages per worker per pass (a group) */
#define VERDICTS_BATCH	  64   /* verdicts decoded before one append */
#define APPEND_RETRIES	  100  /* 1 ms apart, when the disk refuses */
#define COMMIT_GIVE_UP_MS 100  /* then held verdicts go out unlogged */
#define ROTATE_MS                                                              \
	60000 /* a state WAL this old asks for a compaction                    \
		 (or one of --state-rotate bytes) */

struct logw {
	struct sl_engine *e;
	struct sl_vlog *vlog; /* verdict log, NULL = none */
	FILE *quar;	      /* opened at the first entry */
	bool quar_failed;
	uint64_t reopen_seen; /* last `sluicectl reopen` acted on */
	unsigned n_pending;   /* decoded verdicts not yet appended */
	sl_verdict_t pending[VERDICTS_BATCH];
	uint64_t next_ordinal;	/* the log ordinal of the next verdict
				   appended (the state changes' tag) */
	uint64_t logged;	/* verdicts appended since start */
	bool staged;		/* state changes go through sl_state_stage */
	uint64_t *pass_msgs;	/* per worker: verdict messages handled
				   and not yet published as committed */
	bool uncommitted;	/* something handled since the last commit */
	uint64_t fail_since_ms; /* commits failing since (0: they work) */
	uint64_t last_rotate_ms;
	uint8_t raw[SL_LINEAR_MAX];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Hands the decoded verdicts to the log writer.  A short append means the
 * buffer is full and the disk refuses it: retry (the workers wait behind
 * us, which is the backpressure we want), then count what could not be
 * logged; the exit status reports it. */
static void append_pending(struct logw *lw)
{
	struct sl_engine *e = lw->e;
	unsigned done = 0, tries = 0;
	struct timespec ms = {0, 1000 * 1000};

	while (done < lw->n_pending) {
		done += sl_vlog_append(lw->vlog, lw->pending + done,
				       lw->n_pending - done);
		if (done == lw->n_pending)
			break;
		if (++tries > APPEND_RETRIES) {
			/* Their state changes stay staged under ordinals the
			 * next verdicts will take: they were decided and
			 * are answered, so they keep counting (the exit
			 * status reports the failure). */
			e->logt.unlogged += lw->n_pending - done;
			e->logt.write_errors++;
			break;
		}
		sl_vlog_commit(lw->vlog);
		nanosleep(&ms, NULL);
	}
	__atomic_fetch_add(&e->logt.verdicts_logged, done, __ATOMIC_RELAXED);
	lw->next_ordinal += done;
	lw->logged += done;
	lw->n_pending = 0;
	/* Sent again after a restart means sent first: past the window, a
	 * decl_id seen again is a new declaration. */
	if (e->replay && !e->replay_off && lw->logged > e->opt.replay_window)
		e->replay_off = 1;
}

/* The state changes of verdict number vno of worker wi go to the WAL
 * buffer as the effect of the next verdict appended.  A full buffer is
 * written out first, directly: records may reach the WAL before their
 * verdicts reach the log (recovery keeps only ordinals the log holds), and
 * the log's commit would not write it when the log has nothing buffered. */
static void stage(struct logw *lw, unsigned wi, uint64_t vno)
{
	struct sl_engine *e = lw->e;
	int tries = 0;

	while (sl_state_stage(e->state, wi, vno,
			      lw->next_ordinal + lw->n_pending) == -ENOSPC) {
		if (++tries > 2 || sl_state_flush(e->state) < 0) {
			e->logt.state_errors++;
			return;
		}
	}
}

/* Publishes the writer's counters for the stats reader. */
static void publish_vlog_stats(struct logw *lw)
{
	struct sl_engine *e = lw->e;

	if (!lw->vlog)
		return;
	pthread_mutex_lock(&e->reload_lock);
	sl_vlog_stats(lw->vlog, &e->logt.vlog);
	e->logt.vlog_error = sl_vlog_error(lw->vlog);
	pthread_mutex_unlock(&e->reload_lock);
}

static void write_verdicts(struct logw *lw, const struct sl_logmsg *msg)
{
	struct sl_engine *e = lw->e;
	const uint8_t *p =
	    rte_pktmbuf_mtod_offset(msg->m, const uint8_t *, msg->off);
	size_t off = 0, used;
	uint64_t vno = msg->vno;

	if (!lw->vlog && !sl_obs_wants_verdicts(e))
		return;
	while (off < msg->len) {
		if (lw->n_pending == VERDICTS_BATCH)
			append_pending(lw);
		if (lw->staged && lw->vlog)
			stage(lw, msg->worker, vno++);
		if (sl_verdict_from_msgpack(p + off, msg->len - off, &used,
					    &lw->pending[lw->n_pending]) != 0 ||
		    used == 0) {
			/* Our own encoding: a bug if it ever happens. */
			e->logt.decode_errors++;
			return;
		}
		off += used;
		sl_obs_verdict(e, &lw->pending[lw->n_pending]); /* rules */
		if (lw->vlog)
			lw->n_pending++;
	}
}

static const char *quar_reason(const struct sl_logmsg *msg)
{
	const char *s;

	if (msg->source == SL_QUAR_WIRE)
		return sl_wire_class_name((enum sl_wire_class)msg->reason);
	s = sl_errcode_name((enum sl_errcode)msg->reason);
	return s ? s : "?";
}

static void write_quarantine(struct logw *lw, const struct sl_logmsg *msg)
{
	struct sl_engine *e = lw->e;
	const uint8_t *p;
	uint32_t len = msg->len;

	if (!lw->quar && !lw->quar_failed) {
		lw->quar = fopen(e->opt.quarantine, "a");
		if (!lw->quar) {
			/* Counted in the stats and the summary; the
			 * entries stay counted as quarantined. */
			fprintf(stderr, "sluice run: quarantine %s: %s\n",
				e->opt.quarantine, strerror(errno));
			lw->quar_failed = true;
		}
	}
	if (!lw->quar) {
		e->logt.write_errors++;
		return;
	}
	if (len > sizeof(lw->raw))
		len = sizeof(lw->raw);
	p = rte_pktmbuf_read(msg->m, msg->off, len, lw->raw);
	if (!p)
		len = 0, p = lw->raw;
	fprintf(lw->quar,
		"# sluice-quarantine worker=%u port=%u reason=%s bytes=%u\n",
		msg->worker, msg->port, quar_reason(msg), len);
	if (fwrite(p, 1, len, lw->quar) != len || fputc('\n', lw->quar) == EOF)
		e->logt.write_errors++;
	__atomic_fetch_add(&e->logt.quarantine_written, 1, __ATOMIC_RELAXED);
}

/* The verdict log's pre-commit hook: the state changes behind the
 * verdicts about to be written go to the state's WAL first, and are
 * synced before the log is (sync). */
static int commit_state(void *ctx, bool sync)
{
	struct logw *lw = ctx;
	int rc = sl_state_flush(lw->e->state);

	if (rc == 0 && sync)
		rc = sl_state_sync(lw->e->state);

	if (rc < 0)
		lw->e->logt.state_errors++;
	return rc;
}

/* Without a verdict log, the state's own WAL is the commit record: every
 * change in the rings is written before the verdicts behind it leave. */
static int state_flush(struct logw *lw)
{
	struct sl_engine *e = lw->e;
	int rc;

	if (!e->state || lw->staged)
		return 0;
	rc = sl_state_flush(e->state);
	if (rc < 0)
		e->logt.state_errors++;
	return rc;
}

/* Starts a new state WAL now and then and asks the ctl thread to fold the
 * closed one into a snapshot (sl_state_compact), so that the WAL does not
 * grow with the run and a restart replays little.  Only right after a
 * commit, when everything in the WAL is committed. */
static void maybe_rotate(struct logw *lw)
{
	struct sl_engine *e = lw->e;
	uint64_t bytes, now;

	if (!e->state || !e->opt.state_dir)
		return;
	bytes = sl_state_wal_bytes(e->state);
	now = mono_ms();
	if (bytes < e->opt.state_rotate &&
	    (now - lw->last_rotate_ms < ROTATE_MS || bytes <= 64))
		return;
	if (sl_state_rotate(e->state) == 0) {
		lw->last_rotate_ms = now;
		__atomic_add_fetch(&e->compact_req, 1, __ATOMIC_RELEASE);
	}
}

/* Commits what the passes since the last commit handled, then lets every
 * worker send the datagrams that were waiting for it.  With a verdict log
 * the log's own group policy decides when (docs/audit.md: a group once it
 * holds group_records verdicts or its oldest is group_ms old; `force` for
 * a drain and for shutdown): a verdict waits at most about group_ms plus
 * one commit, and a lightly loaded engine does not sync for every
 * datagram.  Without a log, the state's WAL is flushed every pass.  When
 * commits keep failing (a dead disk), the verdicts go out anyway after
 * COMMIT_GIVE_UP_MS, counted: answering beats holding the wire forever,
 * and the exit status reports it. */
static void commit_publish(struct logw *lw, bool force)
{
	struct sl_engine *e = lw->e;
	struct sl_vlog_stats vs;
	unsigned wi;
	int rc;

	if (!lw->uncommitted)
		return;
	if (lw->n_pending)
		append_pending(lw);
	if (lw->vlog) {
		rc = force ? sl_vlog_commit(lw->vlog) : sl_vlog_tick(lw->vlog);
		sl_vlog_stats(lw->vlog, &vs);
		/* Not due yet: everything stays held until a later pass or
		 * tick writes the group. */
		if (rc == 0 && vs.written_seq + 1 != vs.next_seq)
			return;
	} else {
		rc = state_flush(lw);
	}
	if (rc < 0) {
		uint64_t now = mono_ms();

		if (!lw->fail_since_ms)
			lw->fail_since_ms = now;
		if (now - lw->fail_since_ms < COMMIT_GIVE_UP_MS)
			return;
		e->logt.write_errors++;
	} else {
		lw->fail_since_ms = 0;
	}
	for (wi = 0; wi < e->n_workers; wi++) {
		if (!lw->pass_msgs[wi])
			continue;
		__atomic_fetch_add(&e->workers[wi].committed, lw->pass_msgs[wi],
				   __ATOMIC_RELEASE);
		lw->pass_msgs[wi] = 0;
	}
	lw->uncommitted = false;
	if (rc == 0)
		maybe_rotate(lw);
}

/* Drains what is there now (up to PASS_MAX messages per worker: one
 * group) and commits it; returns the number of messages handled. */
static unsigned drain(struct logw *lw)
{
	struct sl_engine *e = lw->e;
	struct sl_logmsg msgs[LOG_BURST];
	unsigned wi, n, i, total = 0, got;

	for (wi = 0; wi < e->n_workers; wi++) {
		for (got = 0; got < PASS_MAX; got += n) {
			n = rte_ring_sc_dequeue_burst_elem(
			    e->workers[wi].log, msgs, sizeof(msgs[0]),
			    LOG_BURST, NULL);
			if (!n)
				break;
			for (i = 0; i < n; i++) {
				if (msgs[i].kind == SL_LOGMSG_VERDICTS) {
					write_verdicts(lw, &msgs[i]);
					lw->pass_msgs[wi]++;
				} else {
					write_quarantine(lw, &msgs[i]);
				}
				rte_pktmbuf_free(msgs[i].m);
			}
			total += n;
		}
	}
	if (total)
		lw->uncommitted = true;
	commit_publish(lw, false);
	return total;
}

/* Time-driven work: the log's group commit and checkpoints by time, the
 * quarantine file, the state's WAL. */
static void tick(struct logw *lw)
{
	struct sl_engine *e = lw->e;

	/* `sluicectl reopen` (logrotate moved the quarantine file away):
	 * the next quarantine entry opens the path again. */
	if (sl_obs_reopen_wanted(e, &lw->reopen_seen) && lw->quar) {
		if (fclose(lw->quar) != 0)
			e->logt.write_errors++;
		lw->quar = NULL;
		lw->quar_failed = false;
	}
	commit_publish(lw, false); /* a group due by age; retries a failure */
	if (lw->vlog && sl_vlog_tick(lw->vlog) < 0)
		e->logt.write_errors++;
	if (lw->quar && fflush(lw->quar) != 0)
		e->logt.write_errors++;
	(void)state_flush(lw);
	publish_vlog_stats(lw);
}

static void *log_main(void *arg)
{
	struct logw *lw = arg;
	struct sl_engine *e = lw->e;
	struct timespec nap = {0, 200 * 1000}; /* 200 us when idle */
	unsigned idle = 0, busy = 0;
	uint64_t req;

	for (;;) {
		if (drain(lw)) {
			idle = 0;
			/* Under load, tick every ~1k batches anyway. */
			if ((++busy & 1023) == 0)
				tick(lw);
			continue;
		}
		if (e->log_quit) {
			/* Workers are done: one last pass. */
			while (drain(lw))
				;
			break;
		}
		/* Tick when the rings go quiet and every 2 ms after, so a
		 * reader of the log sees verdicts within milliseconds and the
		 * vlog's time-based checkpoints happen. */
		if (++idle % 10 == 0)
			tick(lw);
		/* A drain asks for everything dequeued so far to be on disk
		 * (metrics.c): commit now, whatever the group policy. */
		if (sl_obs_flush_wanted(e, &req)) {
			tick(lw);
			commit_publish(lw, true);
			if (lw->vlog && sl_vlog_commit(lw->vlog) < 0)
				e->logt.write_errors++;
			publish_vlog_stats(lw);
			sl_obs_flush_done(e, req);
		}
		nanosleep(&nap, NULL);
	}
	tick(lw);
	commit_publish(lw, true);
	if (lw->vlog) {
		/* Final checkpoint, commit, fdatasync. */
		if (sl_vlog_close(lw->vlog) < 0)
			e->logt.write_errors++;
		lw->vlog = NULL;
	}
	if (lw->quar && fclose(lw->quar) != 0)
		e->logt.write_errors++;
	rte_free(lw->pass_msgs);
	rte_free(lw);
	return NULL;
}

int sl_vlog_start(struct sl_engine *e)
{
	char err[512] = "";

	if (!e->opt.verdict_log)
		return 0;
	/* Its last verdicts answer declarations sent again after a crash
	 * (replay.h); the writer hands them over while it verifies. */
	if (e->opt.replay_window) {
		e->replay =
		    sl_replay_new(e->opt.replay_window, SL_REPLAY_MSGPACK);
		if (!e->replay)
			return -ENOMEM;
		e->vlog_cfg.open_visit = sl_replay_visit;
		e->vlog_cfg.open_visit_ctx = e->replay;
	}
	e->vlog_cfg.path = e->opt.verdict_log;
	e->vlog = sl_vlog_open(&e->vlog_cfg, err, sizeof(err));
	if (!e->vlog) {
		fprintf(stderr, "sluice run: verdict log %s: %s\n",
			e->opt.verdict_log, err);
		return -EINVAL;
	}
	if (!e->replay)
		return 0;
	if (sl_replay_seal(e->replay) < 0)
		return -ENOMEM;
	if (!sl_replay_count(e->replay)) {
		sl_replay_free(e->replay);
		e->replay = NULL;
	}
	return 0;
}

int sl_log_start(struct sl_engine *e)
{
	struct logw *lw = rte_zmalloc("sl_logw", sizeof(*lw), 0);
	struct sl_vlog_stats vs;
	int rc;

	if (!lw)
		return -ENOMEM;
	lw->e = e;
	lw->pass_msgs =
	    rte_zmalloc("sl_logw_pass", e->n_workers * sizeof(uint64_t), 0);
	if (!lw->pass_msgs) {
		rte_free(lw);
		return -ENOMEM;
	}
	lw->last_rotate_ms = mono_ms();
	lw->vlog = e->vlog; /* the log thread owns it from here */
	e->vlog = NULL;
	if (lw->vlog) {
		sl_vlog_stats(lw->vlog, &vs);
		lw->next_ordinal = vs.total_verdicts;
		lw->staged = e->state && e->opt.state_dir;
		if (e->state)
			sl_vlog_set_pre_commit(lw->vlog, commit_state, lw);
		publish_vlog_stats(lw);
	}
	rc = rte_ctrl_thread_create(&e->log_thread, "sl-log", NULL, log_main,
				    lw);
	if (rc != 0) {
		sl_vlog_close(lw->vlog);
		rte_free(lw->pass_msgs);
		rte_free(lw);
		return -rc;
	}
	e->log_started = true;
	return 0;
}

void sl_log_stop(struct sl_engine *e)
{
	if (!e->log_started)
		return;
	__atomic_store_n(&e->log_quit, 1, __ATOMIC_RELEASE);
	pthread_join(e->log_thread, NULL);
	e->log_started = false;
}
