/* bench/hist.h — a log-linear latency histogram for the benches.
 *
 * Values (nanoseconds) go into buckets of 1/16 of a power of two: below
 * 32 ns every value has its own bucket, above it a bucket spans 6.25 % of
 * its lower bound (the resolution of every percentile printed).  The
 * whole histogram is one fixed struct (about 5 KiB): adding a value is a
 * bit scan, a shift and an increment, with no allocation, so it can sit
 * inside a timed loop.  Values past 2^40 ns (18 minutes) land in the last
 * bucket.
 *
 * Plane: bench code; one histogram per thread (no atomics).
 */
#ifndef SLUICE_BENCH_HIST_H
#define SLUICE_BENCH_HIST_H

#include <stdint.h>
#include <string.h>

#define BH_SUB_BITS 4 /* 16 sub-buckets per power of two */
#define BH_SUB	    (1u << BH_SUB_BITS)
#define BH_MAX_EXP  40
#define BH_BUCKETS  ((BH_MAX_EXP - BH_SUB_BITS + 1) * BH_SUB + 1)

struct bench_hist {
	uint64_t n;   /* values added */
	uint64_t max; /* largest value added */
	uint64_t sum; /* their sum, for the mean */
	uint64_t b[BH_BUCKETS];
};

static inline void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
}

/* Bucket of v: v itself below 2 * BH_SUB (buckets 0..31), then 16 per
 * power of two from 2^5 on, by the 4 bits below the leading one. */
static inline unsigned bench_hist_bucket(uint64_t v)
{
	unsigned e;

	if (v < 2 * BH_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* >= BH_SUB_BITS + 1 */
	if (e >= BH_MAX_EXP)
		return BH_BUCKETS - 1;
	return (e - BH_SUB_BITS + 1) * BH_SUB +
	       (unsigned)((v >> (e - BH_SUB_BITS)) & (BH_SUB - 1));
}

/* Largest value that falls in bucket i. */
static inline uint64_t bench_hist_upper(unsigned i)
{
	unsigned e, s;

	if (i < 2 * BH_SUB)
		return i;
	if (i >= BH_BUCKETS - 1)
		return UINT64_MAX;
	e = i / BH_SUB + BH_SUB_BITS - 1;
	s = i % BH_SUB;
	return ((uint64_t)(BH_SUB + s + 1) << (e - BH_SUB_BITS)) - 1;
}

static inline void bench_hist_add(struct bench_hist *h, uint64_t v)
{
	h->b[bench_hist_bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static inline void bench_hist_merge(struct bench_hist *dst,
				    const struct bench_hist *src)
{
	for (unsigned i = 0; i < BH_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* The q-quantile (0 < q <= 1) as the upper bound of the bucket that holds
 * it, capped at the largest value seen: a value at most 6.25 % above the
 * true quantile, never below it.  0 for an empty histogram. */
static inline uint64_t bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t want, acc = 0, up;

	if (!h->n)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < BH_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want) {
			up = bench_hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

/* How many values lie in buckets wholly above v (values within 6.25 % of
 * v may be left out). */
static inline uint64_t bench_hist_above(const struct bench_hist *h, uint64_t v)
{
	uint64_t n = 0;

	for (unsigned i = 1; i < BH_BUCKETS; i++)
		if (bench_hist_upper(i - 1) >= v)
			n += h->b[i];
	return n;
}

#endif /* SLUICE_BENCH_HIST_H */
