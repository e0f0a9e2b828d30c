/* sluice — the log thread (control plane): verdict log and quarantine.
 *
 * Consumes every worker's log ring.  A verdict datagram becomes JSON lines
 * in the verdict log, the same records `sluice screen` writes (decoded
 * with sl_verdict_from_msgpack and printed with sl_verdict_to_json); an
 * unreadable unit becomes a quarantine entry:
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

#include "engine.h"

#define LOG_BURST 64

struct logw {
	struct sl_engine *e;
	FILE *vlog; /* verdict log, NULL = none */
	FILE *quar; /* opened at the first entry */
	bool quar_failed;
	char json[SL_VERDICT_JSON_MAX + 2];
	uint8_t raw[SL_LINEAR_MAX];
};

static void write_verdicts(struct logw *lw, const struct sl_logmsg *msg)
{
	struct sl_engine *e = lw->e;
	const uint8_t *p =
	    rte_pktmbuf_mtod_offset(msg->m, const uint8_t *, msg->off);
	size_t off = 0, used;
	sl_verdict_t v;
	int n;

	if (!lw->vlog)
		return;
	while (off < msg->len) {
		if (sl_verdict_from_msgpack(p + off, msg->len - off, &used,
					    &v) != 0 ||
		    used == 0) {
			e->logt.decode_errors++;
			return;
		}
		off += used;
		n = sl_verdict_to_json(&v, lw->json, sizeof(lw->json) - 1);
		if (n < 0) {
			e->logt.decode_errors++;
			continue;
		}
		lw->json[n] = '\n';
		if (fwrite(lw->json, 1, (size_t)n + 1, lw->vlog) !=
		    (size_t)n + 1)
			e->logt.write_errors++;
		__atomic_fetch_add(&e->logt.verdicts_logged, 1,
				   __ATOMIC_RELAXED);
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
	return total;
}

static void flush_files(struct logw *lw)
{
	if (lw->vlog && fflush(lw->vlog) != 0)
		lw->e->logt.write_errors++;
	if (lw->quar && fflush(lw->quar) != 0)
		lw->e->logt.write_errors++;
}

static void *log_main(void *arg)
{
	struct logw *lw = arg;
	struct sl_engine *e = lw->e;
	struct timespec nap = {0, 200 * 1000}; /* 200 us when idle */
	unsigned idle = 0;

	for (;;) {
		if (drain(lw)) {
			idle = 0;
			continue;
		}
		if (e->log_quit) {
			/* Workers are done: one last pass. */
			while (drain(lw))
				;
			break;
		}
		/* Flush when the rings went quiet, so a reader of the log
		 * sees verdicts within a few milliseconds. */
		if (++idle == 10)
			flush_files(lw);
		/* The state's WAL rings drain even when nothing is logged. */
		if (idle % 10 == 0)
			state_flush(lw);
		nanosleep(&nap, NULL);
	}
	state_flush(lw);
	flush_files(lw);
	if (lw->vlog && fclose(lw->vlog) != 0)
		e->logt.write_errors++;
	if (lw->quar && fclose(lw->quar) != 0)
		e->logt.write_errors++;
	rte_free(lw);
	return NULL;
}

int sl_log_start(struct sl_engine *e)
{
	struct logw *lw = rte_zmalloc("sl_logw", sizeof(*lw), 0);
	int rc;

	if (!lw)
		return -ENOMEM;
	lw->e = e;
	if (e->opt.verdict_log) {
		lw->vlog = strcmp(e->opt.verdict_log, "-")
			       ? fopen(e->opt.verdict_log, "a")
			       : fdopen(dup(1), "w");
		if (!lw->vlog) {
			fprintf(stderr, "sluice run: verdict log %s: %s\n",
				e->opt.verdict_log, strerror(errno));
			rte_free(lw);
			return -errno;
		}
		setvbuf(lw->vlog, NULL, _IOFBF, 1 << 20);
	}
	rc = rte_ctrl_thread_create(&e->log_thread, "sl-log", NULL, log_main,
				    lw);
	if (rc != 0) {
		if (lw->vlog)
			fclose(lw->vlog);
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
