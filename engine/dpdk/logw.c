/* sluice — the log thread (control plane): verdict log and quarantine.
 *
 * Consumes every worker's log ring.  A verdict datagram's verdicts are
 * decoded (sl_verdict_from_msgpack) and appended to the tamper-evident
 * verdict log (vlog.h: the same JSON records `sluice screen` writes, hash
 * chained, group committed); an unreadable unit becomes a quarantine
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
#include <sluice/state.h>
#include <sluice/verdict.h>
#include <sluice/vlog.h>

#include "engine.h"
#include "metrics.h"

#define LOG_BURST      64
#define VERDICTS_BATCH 64  /* verdicts decoded before one append */
#define APPEND_RETRIES 100 /* 1 ms apart, when the disk refuses */

struct logw {
	struct sl_engine *e;
	struct sl_vlog *vlog; /* verdict log, NULL = none */
	FILE *quar;	      /* opened at the first entry */
	bool quar_failed;
	uint64_t reopen_seen; /* last `sluicectl reopen` acted on */
	unsigned n_pending;   /* decoded verdicts not yet appended */
	sl_verdict_t pending[VERDICTS_BATCH];
	uint8_t raw[SL_LINEAR_MAX];
};

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
			e->logt.unlogged += lw->n_pending - done;
			e->logt.write_errors++;
			break;
		}
		sl_vlog_commit(lw->vlog);
		nanosleep(&ms, NULL);
	}
	__atomic_fetch_add(&e->logt.verdicts_logged, done, __ATOMIC_RELAXED);
	lw->n_pending = 0;
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

	if (!lw->vlog && !sl_obs_wants_verdicts(e))
		return;
	while (off < msg->len) {
		if (lw->n_pending == VERDICTS_BATCH)
			append_pending(lw);
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

/* Makes the state changes behind the verdicts about to be logged
 * durable first: a worker appends its state record before it emits the
 * verdict, so one flush after the dequeue covers them (group commit). */
static void state_flush(struct logw *lw)
{
	struct sl_engine *e = lw->e;

	if (e->state && sl_state_flush(e->state) < 0)
		e->logt.state_errors++;
}

/* Drains what is there now; returns the number of messages handled. */
static unsigned drain(struct logw *lw)
{
	struct sl_engine *e = lw->e;
	struct sl_logmsg msgs[LOG_BURST];
	unsigned wi, n, i, total = 0;

	for (wi = 0; wi < e->n_workers; wi++) {
		n = rte_ring_sc_dequeue_burst_elem(
		    e->workers[wi].log, msgs, sizeof(msgs[0]), LOG_BURST, NULL);
		if (n)
			state_flush(lw);
		for (i = 0; i < n; i++) {
			if (msgs[i].kind == SL_LOGMSG_VERDICTS)
				write_verdicts(lw, &msgs[i]);
			else
				write_quarantine(lw, &msgs[i]);
			rte_pktmbuf_free(msgs[i].m);
		}
		total += n;
	}
	if (lw->n_pending)
		append_pending(lw);
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
	if (lw->vlog && sl_vlog_tick(lw->vlog) < 0)
		e->logt.write_errors++;
	if (lw->quar && fflush(lw->quar) != 0)
		e->logt.write_errors++;
	state_flush(lw);
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
			if (lw->vlog && sl_vlog_commit(lw->vlog) < 0)
				e->logt.write_errors++;
			publish_vlog_stats(lw);
			sl_obs_flush_done(e, req);
		}
		nanosleep(&nap, NULL);
	}
	tick(lw);
	if (lw->vlog) {
		/* Final checkpoint, commit, fdatasync. */
		if (sl_vlog_close(lw->vlog) < 0)
			e->logt.write_errors++;
		lw->vlog = NULL;
	}
	if (lw->quar && fclose(lw->quar) != 0)
		e->logt.write_errors++;
	rte_free(lw);
	return NULL;
}

int sl_log_start(struct sl_engine *e)
{
	struct logw *lw = rte_zmalloc("sl_logw", sizeof(*lw), 0);
	char err[512] = "";
	int rc;

	if (!lw)
		return -ENOMEM;
	lw->e = e;
	if (e->opt.verdict_log) {
		e->vlog_cfg.path = e->opt.verdict_log;
		lw->vlog = sl_vlog_open(&e->vlog_cfg, err, sizeof(err));
		if (!lw->vlog) {
			fprintf(stderr, "sluice run: verdict log %s: %s\n",
				e->opt.verdict_log, err);
			rte_free(lw);
			return -EINVAL;
		}
		publish_vlog_stats(lw);
	}
	rc = rte_ctrl_thread_create(&e->log_thread, "sl-log", NULL, log_main,
				    lw);
	if (rc != 0) {
		sl_vlog_close(lw->vlog);
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
