/* sluice — the DPDK engine's observability on the control plane:
 * Prometheus endpoint, rule counts for `sluicectl top`, and draining
 * (docs/operations.md, "Metrics" and "Upgrading without downtime").
 *
 * Threads (metrics.c says more): the ctl thread serves HTTP and the
 * commands from its loop; the log thread counts rules and answers flush
 * requests; workers only read e->draining.  Nothing here is called on
 * the data plane.
 */
#ifndef SLUICE_DPDK_METRICS_H
#define SLUICE_DPDK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/verdict-t.h>

struct sl_engine;
struct cJSON;

/* Allocates e->obs (rule tables, about 1 MiB).  Main, before the log
 * thread starts.  Returns 0 or -ENOMEM.  sl_obs_fini frees it (after the
 * threads are joined). */
int sl_obs_init(struct sl_engine *e);
void sl_obs_fini(struct sl_engine *e);

/* Do the workers hand verdicts to the log thread even without a verdict
 * log (so that rules can be counted for --metrics)? */
bool sl_obs_wants_verdicts(const struct sl_engine *e);

/* Log thread: counts the rules of one decoded verdict. */
void sl_obs_verdict(struct sl_engine *e, const sl_verdict_t *v);

/* Log thread: is a flush requested (by a drain)?  *req gets the request
 * to acknowledge with sl_obs_flush_done once everything dequeued so far
 * is committed to the verdict log, the quarantine file and the state. */
bool sl_obs_flush_wanted(struct sl_engine *e, uint64_t *req);
void sl_obs_flush_done(struct sl_engine *e, uint64_t req);

/* Log thread: has a reopen of the quarantine file been asked for since
 * *seen?  Updates *seen. */
bool sl_obs_reopen_wanted(struct sl_engine *e, uint64_t *seen);

/* Ctl thread: answers "drain", "resume", "reopen" and "top [MINUTES] [N]" (the
 * arguments are taken from strtok_r's *save); NULL for any other command.
 * The caller frees the reply with cJSON_Delete. */
struct cJSON *sl_obs_command(struct sl_engine *e, const char *cmd, char **save);

/* Ctl thread: adds draining, drained and metrics to the stats' engine
 * object. */
void sl_obs_stats_json(struct sl_engine *e, struct cJSON *eng);

/* Ctl thread, every loop: follows a drain, serves the metrics endpoint. */
void sl_obs_tick(struct sl_engine *e);

/* Starts the Prometheus endpoint on e->opt.metrics (ADDRESS:PORT) when
 * set: binds now, so a bad address fails the start (before launch).  No
 * thread of its own: the ctl thread serves it.  Returns 0 or -errno with
 * a message on stderr. */
int sl_metrics_start(struct sl_engine *e);
/* The fd the ctl thread polls for the endpoint, or -1. */
int sl_metrics_fd(struct sl_engine *e);
/* Serves whatever is ready, without blocking.  Ctl thread. */
void sl_metrics_run(struct sl_engine *e);
void sl_metrics_stop(struct sl_engine *e);

/* The exposition text (Prometheus 0.0.4) in a malloc'd buffer the caller
 * frees; *len gets its length.  Ctl thread.  NULL on ENOMEM. */
char *sl_metrics_text(struct sl_engine *e, size_t *len);

#endif /* SLUICE_DPDK_METRICS_H */
