/* sluice — latency buckets and per-rule hit counts (include/sluice/obs.h).
 *
 * Fed by the log thread from the verdicts it decodes anyway, read by the
 * ctl thread for /metrics and `sluicectl top`.  Rules are counted by name
 * (a reload may renumber them); names are interned once, in a fixed-size
 * table allocated at start, so counting allocates nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include <sluice/obs.h>

static const uint64_t lat_bounds_ns[SL_LAT_BUCKETS - 1] = SL_LAT_BOUNDS_NS;

void sl_lat_bounds(uint64_t hz, uint64_t *bound)
{
	unsigned b;

	/* hz < 2^34 and ns < 2^27: the product fits in 64 bits. */
	for (b = 0; b < SL_LAT_BUCKETS - 1; b++)
		bound[b] = lat_bounds_ns[b] * hz / 1000000000u;
}

double sl_lat_bound_s(unsigned b)
{
	return b < SL_LAT_BUCKETS - 1 ? (double)lat_bounds_ns[b] / 1e9
				      : INFINITY;
}

int sl_rulestats_init(struct sl_rulestats *rs)
{
	unsigned i;

	memset(rs, 0, sizeof(*rs));
	rs->name = calloc(SL_RS_RULES_MAX, sizeof(*rs->name));
	rs->total = calloc(SL_RS_RULES_MAX, sizeof(*rs->total));
	rs->minute =
	    calloc((size_t)SL_RS_MINUTES * SL_RS_RULES_MAX, sizeof(uint32_t));
	rs->index = calloc(SL_RS_HASH, sizeof(*rs->index));
	if (!rs->name || !rs->total || !rs->minute || !rs->index) {
		sl_rulestats_fini(rs);
		return -ENOMEM;
	}
	for (i = 0; i < SL_RS_MINUTES; i++)
		rs->stamp[i] = -1;
	pthread_mutex_init(&rs->lock, NULL);
	return 0;
}

void sl_rulestats_fini(struct sl_rulestats *rs)
{
	if (rs->name)
		pthread_mutex_destroy(&rs->lock);
	free(rs->name);
	free(rs->total);
	free(rs->minute);
	free(rs->index);
	memset(rs, 0, sizeof(*rs));
}

/* The rule's index, interning it; -1 when the table is full.  Lock held. */
static int rule_idx(struct sl_rulestats *rs, const char *rule)
{
	size_t len = strnlen(rule, SL_RULE_ID_MAX - 1);
	uint32_t h = (uint32_t)XXH3_64bits(rule, len) & (SL_RS_HASH - 1);
	unsigned probe;

	for (probe = 0; probe < SL_RS_HASH; probe++) {
		uint16_t slot = rs->index[h];

		if (!slot) {
			if (rs->n_rules >= SL_RS_RULES_MAX)
				return -1;
			memcpy(rs->name[rs->n_rules], rule, len);
			rs->name[rs->n_rules][len] = '\0';
			rs->index[h] = (uint16_t)(rs->n_rules + 1);
			return (int)rs->n_rules++;
		}
		if (!strcmp(rs->name[slot - 1], rule))
			return slot - 1;
		h = (h + 1) & (SL_RS_HASH - 1);
	}
	return -1;
}

/* The ring row for minute m, cleared when it held an older minute. */
static uint32_t *minute_row(struct sl_rulestats *rs, int64_t m)
{
	unsigned slot = (unsigned)(m % SL_RS_MINUTES);
	uint32_t *row = rs->minute + (size_t)slot * SL_RS_RULES_MAX;

	if (rs->stamp[slot] != m) {
		memset(row, 0, SL_RS_RULES_MAX * sizeof(*row));
		rs->mverdicts[slot] = 0;
		rs->stamp[slot] = m;
	}
	return row;
}

void sl_rulestats_add(struct sl_rulestats *rs, const sl_verdict_t *v,
		      time_t now)
{
	int seen[SL_REASONS_MAX];
	unsigned i, j, n_seen = 0;
	int64_t m = (int64_t)now / 60;
	uint32_t *row;

	pthread_mutex_lock(&rs->lock);
	row = minute_row(rs, m);
	rs->verdicts++;
	rs->mverdicts[m % SL_RS_MINUTES]++;
	for (i = 0; i < v->n_reasons && i < SL_REASONS_MAX; i++) {
		int r = rule_idx(rs, v->reasons[i].rule);

		if (r < 0) {
			rs->overflow++;
			continue;
		}
		for (j = 0; j < n_seen && seen[j] != r; j++)
			;
		if (j < n_seen)
			continue; /* once per verdict */
		seen[n_seen++] = r;
		rs->total[r]++;
		row[r]++;
	}
	pthread_mutex_unlock(&rs->lock);
}

static int count_cmp(const void *a, const void *b)
{
	const struct sl_rule_count *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

unsigned sl_rulestats_top(struct sl_rulestats *rs, unsigned minutes, time_t now,
			  struct sl_rule_count *out, unsigned max,
			  uint64_t *verdicts)
{
	struct sl_rule_count *all;
	int64_t m = (int64_t)now / 60;
	uint64_t nv = 0;
	unsigned i, r, n = 0;

	if (minutes < 1)
		minutes = 1;
	if (minutes > SL_RS_MINUTES)
		minutes = SL_RS_MINUTES;
	all = calloc(SL_RS_RULES_MAX, sizeof(*all));
	if (!all)
		return 0;
	pthread_mutex_lock(&rs->lock);
	for (r = 0; r < rs->n_rules; r++)
		memcpy(all[r].rule, rs->name[r], SL_RULE_ID_MAX);
	for (i = 0; i < SL_RS_MINUTES; i++) {
		const uint32_t *row = rs->minute + (size_t)i * SL_RS_RULES_MAX;

		/* Slots of the window only: stamp in (m - minutes, m]. */
		if (rs->stamp[i] < 0 || rs->stamp[i] > m ||
		    rs->stamp[i] <= m - (int64_t)minutes)
			continue;
		nv += rs->mverdicts[i];
		for (r = 0; r < rs->n_rules; r++)
			all[r].hits += row[r];
	}
	r = rs->n_rules;
	pthread_mutex_unlock(&rs->lock);
	qsort(all, r, sizeof(*all), count_cmp);
	for (i = 0; i < r && n < max && all[i].hits; i++)
		out[n++] = all[i];
	free(all);
	if (verdicts)
		*verdicts = nv;
	return n;
}

void sl_rulestats_each(struct sl_rulestats *rs,
		       void (*fn)(void *arg, const char *rule, uint64_t hits),
		       void *arg)
{
	unsigned r;

	pthread_mutex_lock(&rs->lock);
	for (r = 0; r < rs->n_rules; r++)
		fn(arg, rs->name[r], rs->total[r]);
	pthread_mutex_unlock(&rs->lock);
}
