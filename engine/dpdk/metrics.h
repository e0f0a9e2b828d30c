/* sluice — the DPDK engine's Prometheus endpoint and draining
 * (docs/operations.md, "Metrics" and "Upgrading").  Control plane only:
 * the ctl thread serves both from its loop.
 */
#ifndef SLUICE_DPDK_METRICS_H
#define SLUICE_DPDK_METRICS_H

#include <stddef.h>

/* ------------------------------------------------- metrics endpoint */

struct sl_engine;

/* Starts the Prometheus endpoint on e->opt.metrics (ADDRESS:PORT) when
 * set: binds now, so a bad address fails the start.  No thread of its
 * own: the ctl thread serves it from its loop.  Returns 0 or -errno with
 * a message on stderr. */
int sl_metrics_start(struct sl_engine *e);
/* The fd the ctl thread polls for the endpoint, or -1. */
int sl_metrics_fd(struct sl_engine *e);
/* Serves whatever is ready, without blocking.  Ctl thread. */
void sl_metrics_run(struct sl_engine *e);
void sl_metrics_stop(struct sl_engine *e);

/* The exposition text (Prometheus 0.0.4) into a malloc'd buffer that the
 * caller frees; *len gets its length.  Ctl thread.  NULL on ENOMEM. */
char *sl_metrics_text(struct sl_engine *e, size_t *len);

#endif /* SLUICE_DPDK_METRICS_H */
