/* sluice — counting for observability: the decision-latency histogram and
 * per-rule hit counts with a per-minute ring (docs/operations.md,
 * "Metrics").  Plain C, no DPDK: the engine uses it, unit tests check it.
 *
 * In the DPDK engine:
 *   - workers keep their own latency buckets (sl_lat_add, plain
 *     increments in their counters, published with the others);
 *   - the log thread counts rules (sl_rulestats_add) from the verdicts it
 *     decodes anyway, so the data plane pays nothing per rule;
 *   - the ctl thread reads both for /metrics and `sluicectl top`.
 * The rule counts are shared by two control-plane threads under a mutex;
 * only sl_lat_add() runs on the data plane.
 */
#ifndef SLUICE_OBS_H
#define SLUICE_OBS_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <sluice/verdict-t.h>

/* ------------------------------------------------- decision latency */

/* Upper bounds of the histogram buckets, in nanoseconds; the last bucket
 * (index SL_LAT_BUCKETS - 1) is +Inf.  A declaration's latency is the time
 * from the rx_burst that brought its datagram to the tx_burst that sent
 * its verdict: screening, the other datagrams of the burst, and TX. */
#define SL_LAT_BOUNDS_NS                                                       \
	{                                                                      \
		1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, \
		    1000000, 2500000, 5000000, 10000000, 25000000, 50000000,   \
		    100000000                                                  \
	}
#define SL_LAT_BUCKETS 17 /* 16 bounds + Inf */

/* Fills bound[0..SL_LAT_BUCKETS-2] with the bounds in cycles of a clock
 * of hz cycles per second (the TSC).  Each worker calls it once before
 * its loop. */
void sl_lat_bounds(uint64_t hz, uint64_t *bound);

/* Upper bound of bucket b in seconds (+Inf for the last), for exporters. */
double sl_lat_bound_s(unsigned b);

/* Adds n declarations that took `cycles` each.  Data plane: a few
 * compares, no division. */
static inline void sl_lat_add(uint64_t *buckets, uint64_t *sum_cycles,
			      const uint64_t *bound, uint64_t cycles,
			      uint64_t n)
{
	unsigned b = 0;

	while (b < SL_LAT_BUCKETS - 1 && cycles > bound[b])
		b++;
	buckets[b] += n;
	*sum_cycles += cycles * n;
}

/* ------------------------------------------------------ rule counts */

#define SL_RS_RULES_MAX 4096 /* distinct rule ids counted by name */
#define SL_RS_MINUTES	60   /* `sluicectl top` looks back at most 1 h */
#define SL_RS_HASH	8192 /* index slots, a power of 2 > RULES_MAX */

struct sl_rulestats {
	pthread_mutex_t lock; /* log thread (writes) vs ctl thread (reads) */
	uint32_t n_rules;
	char (*name)[SL_RULE_ID_MAX]; /* interned rule ids */
	uint64_t *total;	      /* hits since start, per rule */
	uint32_t *minute;	      /* [SL_RS_MINUTES][SL_RS_RULES_MAX] */
	uint32_t mverdicts[SL_RS_MINUTES]; /* verdicts counted per minute */
	int64_t stamp[SL_RS_MINUTES];	   /* the minute (time / 60) a slot
					      holds; -1 = empty */
	uint16_t *index;		   /* hash of name -> rule + 1 */
	uint64_t verdicts;		   /* verdicts counted */
	uint64_t overflow;		   /* hits of rules past RULES_MAX */
};

/* Allocates the tables (about 1 MiB).  Control plane, before launch.
 * Returns 0 or -ENOMEM. */
int sl_rulestats_init(struct sl_rulestats *rs);
void sl_rulestats_fini(struct sl_rulestats *rs);

/* Counts one verdict: each rule its reasons name, once.  Log thread. */
void sl_rulestats_add(struct sl_rulestats *rs, const sl_verdict_t *v,
		      time_t now);

/* One rule's hits. */
struct sl_rule_count {
	char rule[SL_RULE_ID_MAX];
	uint64_t hits;
};

/* The rules with the most hits over the last `minutes` minutes (1..60,
 * the current minute included), most first, ties by name; at most max of
 * them, with hits > 0.  *verdicts (may be NULL) gets how many verdicts
 * were counted in that window.  Ctl thread.  Returns how many rules were
 * written to out. */
unsigned sl_rulestats_top(struct sl_rulestats *rs, unsigned minutes, time_t now,
			  struct sl_rule_count *out, unsigned max,
			  uint64_t *verdicts);

/* Calls fn for every rule with its total since start, in first-seen
 * order, under the lock (fn must not block).  Ctl thread. */
void sl_rulestats_each(struct sl_rulestats *rs,
		       void (*fn)(void *arg, const char *rule, uint64_t hits),
		       void *arg);

#endif /* SLUICE_OBS_H */
