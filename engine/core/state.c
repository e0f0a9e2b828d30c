/* sluice — buyer totals and consignee windows (include/sluice/state.h).
 *
 * Two liburcu lock-free hash tables (cds_lfht, QSBR flavour), one for buyers
 * and one for split windows.  Entries come from per-worker pools carved out
 * of one mmap'ed region reserved at open (pages are touched on first use),
 * so the data plane never allocates.  The values that change are single
 * 64-bit words updated by compare-and-swap:
 *
 *   buyer slot  = year << 48 | released total      (slot index: year & 1)
 *   window word = parcels << 48 | value             (both saturate)
 *
 * Snapshots hold those words; the write-ahead log holds each change as a
 * delta (an amount for a year, one parcel of a value) tagged with the
 * verdict that made it, so that recovery can leave out exactly the changes
 * whose verdicts never reached the verdict log (the commit record) and
 * keep every other one.  Deltas compose in any order (per slot: the newest
 * year wins and amounts of one year add up; window counters add up,
 * saturating), so the log thread may write them in log order while the
 * workers made them in another.  docs/state.md, docs/reliability.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <urcu-qsbr.h>
#include <urcu/lfstack.h>
#include <urcu/rculfhash.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sluice/state.h>

#define MONEY_BITS 48
#define MONEY_MASK ((UINT64_C(1) << MONEY_BITS) - 1)
#define TAG_MAX	   UINT64_C(0xffff)
/* A buyer slot word no add can make (its year would be TAG_MAX, which
 * sl_state_buyer_add refuses): the control plane is unlinking the buyer
 * (expired), so a worker that reads it looks the buyer up again. */
#define SLOT_DEAD UINT64_MAX

/* ------------------------------------------------------------- records */

/* One snapshot record, 32 bytes, host byte order (the files are a
 * machine's own state, not an interchange format).  Also the record of
 * the WAL files written before the verdict log became the commit record
 * (kind WAL_ABS), which carried the word after each change. */
struct rec {
	uint32_t type_len; /* REC_* in the low 8 bits; window length in
			      minutes in the high 24 (windows only) */
	uint32_t start;	   /* window start, minutes CST (windows only) */
	uint64_t k0, k1;   /* buyer key, 0 | consignee hash */
	uint64_t word;	   /* slot word / window word */
};

enum { REC_BUYER = 1, REC_WINDOW = 2 };

/* One WAL record (kind WAL_DELTA), 40 bytes: a change as a delta.
 *   buyer:  r.word = year << 48 | amount added
 *   window: r.word = 1 << 48 | value added (one parcel)
 * tag: in a worker's ring, the tag the worker had set (sl_state_tag); in
 * the file, the verdict-log ordinal of the verdict that made the change
 * (meaningful when the file names a log, see struct whdr). */
struct drec {
	struct rec r;
	uint64_t tag;
};

/* File kinds (struct fhdr.kind). */
enum {
	KIND_WAL_ABS = 1,   /* WAL of words after each change (old) */
	KIND_SNAP = 2,	    /* snapshot: struct rec, absolute words */
	KIND_WAL_DELTA = 3, /* WAL of struct drec, after a struct whdr */
};

/* Records are written in blocks: this header, then n records.  A block
 * whose checksum fails is a torn write: it and what follows are cut. */
struct blk {
	uint32_t magic; /* BLK_MAGIC */
	uint32_t n;	/* records that follow */
	uint64_t sum;	/* XXH3-64 of the n records */
};

#define BLK_MAGIC  UINT32_C(0x4b4c4253) /* "SBLK" */
#define FILE_MAGIC "SLSTATE1"
#define SNAP_BLOCK 4096 /* records per snapshot block */

/* Every file starts with this header. */
struct fhdr {
	char magic[8];	/* FILE_MAGIC */
	uint32_t kind;	/* KIND_* */
	uint32_t rsize; /* record size: refuses foreign layouts */
};

/* A delta WAL's header: which verdict log its tags are ordinals of (all
 * zero: none; the records count whatever the log says). */
struct whdr {
	struct fhdr h;
	uint8_t log_id[SL_STATE_LOG_ID_LEN];
};

/* --------------------------------------------------------------- nodes */

struct buyer {
	struct cds_lfht_node node; /* first: a free entry is a cds_lfs_node */
	uint64_t key;		   /* written before publication, then fixed */
	uint64_t slot[2];	   /* atomic; year << 48 | total */
};

struct window {
	struct cds_lfht_node node; /* first, as above */
	uint64_t c0, c1;	   /* consignee hash; fixed once published */
	uint32_t start, len;	   /* minutes CST; fixed once published */
	uint64_t word;		   /* atomic; count << 48 | value */
};

/* A node pool: `cap` entries of `esize` bytes at `base` (part of the
 * state's one mapping).  Read-write by the owning worker only, except
 * `back`, onto which the control plane pushes reclaimed entries. */
struct pool {
	char *base;
	size_t esize;
	uint64_t cap;
	uint64_t next;		     /* entries never used start here */
	struct cds_lfs_node *free;   /* private free list */
	struct __cds_lfs_stack back; /* pushed by the control plane after a
					grace period; popped whole here */
};

/* Per-worker state.  The first group is written by the worker only (and
 * read by the control plane with relaxed or acquire loads); `tail` is
 * written by the control plane only.  Cache-aligned: nothing shared for
 * writing between workers. */
struct worker {
	struct pool bp, wp;  /* buyer and window pools */
	uint64_t head;	     /* WAL records appended (release store) */
	uint64_t tail_cache; /* last tail seen, to skip the shared load */
	uint64_t tag;	     /* tag of the records appended next */
	int64_t max_minute;  /* newest window start + len seen */
	int32_t max_year;    /* newest year seen by buyer_add */
	uint64_t n_buyers, n_windows, no_node, wal_full, too_old, over_limit;
	struct drec *ring; /* wal_ring records, NULL when memory-only */
	uint64_t mask;	   /* ring size - 1 */

	uint64_t tail __attribute__((aligned(64))); /* control: drained */
	uint64_t flush_head; /* control: head taken by the running flush */
	uint64_t freed_buyers, freed_windows; /* control: reclaimed */
} __attribute__((aligned(64)));

struct sl_state {
	struct sl_state_config cfg;
	struct cds_lfht *buyers, *windows;
	struct worker *w; /* cfg.n_workers of them */
	void *map;	  /* all pools */
	size_t map_len;

	/* control plane only, under ctl */
	pthread_mutex_t ctl;
	char *dir; /* NULL: memory only */
	int lock_fd, wal_fd;
	uint64_t gen;	   /* generation of the current WAL */
	uint64_t snap_gen; /* generation of the newest snapshot */
	uint64_t wal_size; /* bytes of the current WAL known good */
	char *wbuf;	   /* flush buffer: a block header, then records */
	size_t wbuf_cap;   /* records it holds */
	uint64_t n_staged; /* records staged in wbuf (cfg.staged) */
	bool wal_dirty;	   /* written since the last fdatasync */
	uint8_t log_id[SL_STATE_LOG_ID_LEN]; /* zero: no commit log */
	bool read_only;
	uint64_t expired, wal_records, wal_flushes, replayed, torn_bytes;
	uint64_t uncommitted, foreign, orphans, compactions;

	pthread_mutex_t compact; /* one sl_state_compact at a time */
};

static inline uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void st_relaxed(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Counters are written by one thread and read by others: a relaxed
 * increment without a locked instruction. */
static inline void bump(uint64_t *p)
{
	st_relaxed(p, ld(p) + 1);
}

/* ------------------------------------------------------------ calendar */

/* Days since 1970-01-01 to a proleptic Gregorian year (H. Hinnant's
 * civil_from_days, year part only). */
static int year_from_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return (int)(y + (mp >= 10));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int sl_cst_year(int64_t t)
{
	return year_from_days(floor_div(t + SL_CST_OFFSET_S, 86400));
}

int64_t sl_cst_minute(int64_t t)
{
	return floor_div(t + SL_CST_OFFSET_S, 60);
}

/* -------------------------------------------------------------- hashing */

uint64_t sl_state_buyer_key(uint8_t id_type, const char *id, size_t len)
{
	uint64_t v = 0;
	size_t i;

	/* 1 == SL_IDT_ID_CARD (types-t.h); the check character (last) is a
	 * function of the 17 digits before it, so it adds nothing. */
	if (id_type == 1 && len == 18) {
		for (i = 0; i < 17 && id[i] >= '0' && id[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(id[i] - '0');
		if (i == 17)
			return v; /* < 10^17 < 2^57 */
	}
	v = XXH3_64bits_withSeed(id, len, id_type);
	return v | (UINT64_C(1) << 63);
}

static inline unsigned long buyer_hash(uint64_t key)
{
	return (unsigned long)XXH3_64bits(&key, sizeof(key));
}

static inline unsigned long window_hash(const struct sl_window_key *k)
{
	uint64_t b[3] = {k->consignee[0], k->consignee[1],
			 (uint64_t)k->start_min << 32 | k->len_min};

	return (unsigned long)XXH3_64bits(b, sizeof(b));
}

static int buyer_match(struct cds_lfht_node *node, const void *key)
{
	const struct buyer *b = caa_container_of(node, struct buyer, node);

	return ld(&b->key) == *(const uint64_t *)key;
}

/* The fixed fields are read with relaxed atomics: publication through
 * cds_lfht orders them already, and this keeps ThreadSanitizer (which does
 * not see inside liburcu) from reporting the hand-off as a race. */
static int window_match(struct cds_lfht_node *node, const void *key)
{
	const struct window *w = caa_container_of(node, struct window, node);
	const struct sl_window_key *k = key;

	return ld(&w->c0) == k->consignee[0] && ld(&w->c1) == k->consignee[1] &&
	       __atomic_load_n(&w->start, __ATOMIC_RELAXED) == k->start_min &&
	       __atomic_load_n(&w->len, __ATOMIC_RELAXED) == k->len_min;
}

/* ---------------------------------------------------------------- pools */

static void *pool_get(struct pool *p)
{
	struct cds_lfs_node *n = p->free;
	struct cds_lfs_head *h;

	if (n) {
		p->free = n->next;
		return n;
	}
	/* Reclaimed entries before untouched ones, so that the pages in use
	 * follow the live entries, not every entry since start: a soak with
	 * expiring windows grew by 100 MiB in ten minutes when untouched
	 * entries came first.  The plain load keeps the atomic exchange off
	 * the path while nothing was reclaimed; the worker is the single
	 * consumer of `back`, so pop_all needs no other synchronisation
	 * (urcu/lfstack.h). */
	if (!cds_lfs_empty(&p->back)) {
		h = __cds_lfs_pop_all(&p->back);
		if (h) {
			n = &h->node;
			p->free = n->next;
			return n;
		}
	}
	if (p->next < p->cap)
		return p->base + p->next++ * p->esize;
	return NULL;
}

/* Returns an entry that was never published: no grace period needed. */
static void pool_put_private(struct pool *p, void *e)
{
	struct cds_lfs_node *n = e;

	n->next = p->free;
	p->free = n;
}

/* ------------------------------------------------------------------ WAL */

static bool wal_reserve(struct worker *w)
{
	if (!w->ring || w->head - w->tail_cache <= w->mask)
		return true;
	w->tail_cache = __atomic_load_n(&w->tail, __ATOMIC_ACQUIRE);
	return w->head - w->tail_cache <= w->mask;
}

/* Precondition: wal_reserve() returned true since the last wal_put (a
 * single producer: the space can only grow in between).  `delta` is the
 * change (struct drec). */
static void wal_put(struct worker *w, uint32_t type_len, uint32_t start,
		    uint64_t k0, uint64_t k1, uint64_t delta)
{
	struct drec *d;

	if (!w->ring)
		return;
	d = &w->ring[w->head & w->mask];
	d->r.type_len = type_len;
	d->r.start = start;
	d->r.k0 = k0;
	d->r.k1 = k1;
	d->r.word = delta;
	d->tag = w->tag;
	__atomic_store_n(&w->head, w->head + 1, __ATOMIC_RELEASE);
}

void sl_state_tag(struct sl_state *st, unsigned worker, uint64_t tag)
{
	if (worker < st->cfg.n_workers)
		st->w[worker].tag = tag;
}

/* --------------------------------------------------------- table access */

/* Finds or inserts the buyer.  NULL when the pool is dry.  Data plane (and
 * control plane during replay, before workers start). */
static struct buyer *buyer_get(struct sl_state *st, struct worker *w,
			       uint64_t key)
{
	unsigned long h = buyer_hash(key);
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct buyer *b;

	cds_lfht_lookup(st->buyers, h, buyer_match, &key, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n)
		return caa_container_of(n, struct buyer, node);
	b = pool_get(&w->bp);
	if (!b)
		return NULL;
	st_relaxed(&b->key, key);
	st_relaxed(&b->slot[0], 0);
	st_relaxed(&b->slot[1], 0);
	cds_lfht_node_init(&b->node);
	n = cds_lfht_add_unique(st->buyers, h, buyer_match, &key, &b->node);
	if (n != &b->node) { /* another worker inserted it first */
		pool_put_private(&w->bp, b);
		return caa_container_of(n, struct buyer, node);
	}
	bump(&w->n_buyers);
	return b;
}

static struct window *window_get(struct sl_state *st, struct worker *w,
				 const struct sl_window_key *k)
{
	unsigned long h = window_hash(k);
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct window *e;

	cds_lfht_lookup(st->windows, h, window_match, k, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n)
		return caa_container_of(n, struct window, node);
	e = pool_get(&w->wp);
	if (!e)
		return NULL;
	st_relaxed(&e->c0, k->consignee[0]);
	st_relaxed(&e->c1, k->consignee[1]);
	__atomic_store_n(&e->start, k->start_min, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, k->len_min, __ATOMIC_RELAXED);
	st_relaxed(&e->word, 0);
	cds_lfht_node_init(&e->node);
	n = cds_lfht_add_unique(st->windows, h, window_match, k, &e->node);
	if (n != &e->node) {
		pool_put_private(&w->wp, e);
		return caa_container_of(n, struct window, node);
	}
	bump(&w->n_windows);
	return e;
}

/* ----------------------------------------------------------- data plane */

enum sl_state_rc sl_state_buyer_add(struct sl_state *st, unsigned worker,
				    uint64_t buyer, int year, sl_money_t amount,
				    sl_money_t limit, sl_money_t *total)
{
	struct worker *w;
	struct buyer *b;
	uint64_t *slot, old, nw, tag, cur;

	*total = 0;
	if (worker >= st->cfg.n_workers || amount < 0 || year <= 0 ||
	    (uint64_t)year >= TAG_MAX || limit < 0)
		return SL_STATE_BAD_ARG;
	w = &st->w[worker];
	if ((uint64_t)limit > MONEY_MASK)
		limit = (sl_money_t)MONEY_MASK;
	if (year > __atomic_load_n(&w->max_year, __ATOMIC_RELAXED))
		__atomic_store_n(&w->max_year, year, __ATOMIC_RELAXED);
	if (!wal_reserve(w)) {
		bump(&w->wal_full);
		return SL_STATE_WAL_FULL;
	}
	rcu_read_lock();
again:
	b = buyer_get(st, w, buyer);
	if (!b) {
		rcu_read_unlock();
		bump(&w->no_node);
		return SL_STATE_NO_NODE;
	}
	slot = &b->slot[year & 1];
	old = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	for (;;) {
		if (old == SLOT_DEAD) {
			/* Being unlinked by an expiry (buyer_kill): an add
			 * here would be lost with the node.  The unlink
			 * follows at once; then the lookup inserts anew. */
			caa_cpu_relax();
			goto again;
		}
		tag = old >> MONEY_BITS;
		if (tag > (uint64_t)year) {
			rcu_read_unlock();
			bump(&w->too_old);
			return SL_STATE_TOO_OLD;
		}
		/* A slot of an older year of the same parity is stale. */
		cur = tag == (uint64_t)year ? old & MONEY_MASK : 0;
		if (amount > limit || cur > (uint64_t)(limit - amount)) {
			rcu_read_unlock();
			*total = (sl_money_t)cur;
			bump(&w->over_limit);
			return SL_STATE_OVER_LIMIT;
		}
		nw = (uint64_t)year << MONEY_BITS | (cur + (uint64_t)amount);
		if (__atomic_compare_exchange_n(slot, &old, nw, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
	}
	rcu_read_unlock();
	wal_put(w, REC_BUYER, 0, buyer, 0,
		(uint64_t)year << MONEY_BITS | (uint64_t)amount);
	*total = (sl_money_t)(nw & MONEY_MASK);
	return SL_STATE_OK;
}

enum sl_state_rc sl_state_window_add(struct sl_state *st, unsigned worker,
				     const struct sl_window_key *key,
				     sl_money_t value, uint32_t *count,
				     sl_money_t *total)
{
	struct worker *w;
	struct window *e;
	uint64_t old, nw, c, v;
	int64_t end;

	*count = 0;
	*total = 0;
	if (worker >= st->cfg.n_workers || value < 0 || key->len_min == 0 ||
	    key->len_min >= (1u << 24))
		return SL_STATE_BAD_ARG;
	w = &st->w[worker];
	end = (int64_t)key->start_min + key->len_min;
	if (end > w->max_minute)
		__atomic_store_n(&w->max_minute, end, __ATOMIC_RELAXED);
	if (!wal_reserve(w)) {
		bump(&w->wal_full);
		return SL_STATE_WAL_FULL;
	}
	rcu_read_lock();
	e = window_get(st, w, key);
	if (!e) {
		rcu_read_unlock();
		bump(&w->no_node);
		return SL_STATE_NO_NODE;
	}
	old = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
	do {
		c = old >> MONEY_BITS;
		v = old & MONEY_MASK;
		c = c < TAG_MAX ? c + 1 : c;
		v = (uint64_t)value > MONEY_MASK - v ? MONEY_MASK
						     : v + (uint64_t)value;
		nw = c << MONEY_BITS | v;
	} while (!__atomic_compare_exchange_n(
	    &e->word, &old, nw, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	rcu_read_unlock();
	wal_put(
	    w, REC_WINDOW | key->len_min << 8, key->start_min,
	    key->consignee[0], key->consignee[1],
	    UINT64_C(1) << MONEY_BITS |
		((uint64_t)value > MONEY_MASK ? MONEY_MASK : (uint64_t)value));
	*count = (uint32_t)c;
	*total = (sl_money_t)v;
	return SL_STATE_OK;
}

uint64_t sl_state_appended(const struct sl_state *st, unsigned worker)
{
	if (worker >= st->cfg.n_workers)
		return 0;
	return __atomic_load_n(&st->w[worker].head, __ATOMIC_ACQUIRE);
}

uint64_t sl_state_durable(const struct sl_state *st, unsigned worker)
{
	if (worker >= st->cfg.n_workers)
		return 0;
	return __atomic_load_n(&st->w[worker].tail, __ATOMIC_ACQUIRE);
}

sl_money_t sl_state_buyer_total(struct sl_state *st, uint64_t buyer, int year)
{
	unsigned long h = buyer_hash(buyer);
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	uint64_t s = 0;

	if (year <= 0)
		return 0;
	rcu_read_lock();
	cds_lfht_lookup(st->buyers, h, buyer_match, &buyer, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n) {
		struct buyer *b = caa_container_of(n, struct buyer, node);

		s = __atomic_load_n(&b->slot[year & 1], __ATOMIC_ACQUIRE);
	}
	rcu_read_unlock();
	if (s >> MONEY_BITS != (uint64_t)year)
		return 0;
	return (sl_money_t)(s & MONEY_MASK);
}

/* --------------------------------------------------------------- replay */

/* Word arithmetic shared by replay and compaction.  A buyer slot word
 * and a buyer delta are both `year << 48 | amount`; composing them keeps
 * the newest year and adds the amounts of that year (a stale slot restarts
 * from zero, as in sl_state_buyer_add), which is associative and
 * commutative: the order the deltas come in does not matter. */
static uint64_t buyer_word_add(uint64_t s, uint64_t d)
{
	uint64_t sy = s >> MONEY_BITS, y = d >> MONEY_BITS, t;

	if (sy < y || s == 0)
		return d;
	if (sy > y)
		return s;
	t = (s & MONEY_MASK) + (d & MONEY_MASK);
	return y << MONEY_BITS | (t > MONEY_MASK ? MONEY_MASK : t);
}

/* Window words and deltas: `count << 48 | value`, added with saturation
 * like sl_state_window_add does. */
static uint64_t window_word_add(uint64_t s, uint64_t d)
{
	uint64_t c = (s >> MONEY_BITS) + (d >> MONEY_BITS);
	uint64_t v = (s & MONEY_MASK) + (d & MONEY_MASK);

	return (c > TAG_MAX ? TAG_MAX : c) << MONEY_BITS |
	       (v > MONEY_MASK ? MONEY_MASK : v);
}

/* Applies one record: an absolute word (snapshot, old WAL) by taking the
 * maximum, which is idempotent; a delta (WAL_DELTA) by adding it.  Control
 * plane, at open, before any worker runs. */
static int apply(struct sl_state *st, const struct rec *r, bool delta)
{
	unsigned wi;
	uint64_t *slot, s;

	switch (r->type_len & 0xff) {
	case REC_BUYER: {
		uint64_t tag = r->word >> MONEY_BITS;
		struct buyer *b;

		if (!tag || tag > TAG_MAX)
			return -EBADMSG;
		wi = (unsigned)(r->k0 % st->cfg.n_workers);
		b = buyer_get(st, &st->w[wi], r->k0);
		if (!b)
			return -ENOSPC;
		slot = &b->slot[tag & 1];
		s = ld(slot);
		if (delta)
			st_relaxed(slot, buyer_word_add(s, r->word));
		else if (s >> MONEY_BITS < tag ||
			 (s >> MONEY_BITS == tag && s < r->word))
			st_relaxed(slot, r->word);
		if ((int32_t)tag > st->w[wi].max_year)
			st->w[wi].max_year = (int32_t)tag;
		break;
	}
	case REC_WINDOW: {
		struct sl_window_key k = {
		    {r->k0, r->k1}, r->start, r->type_len >> 8};
		struct window *e;
		uint64_t c, v;

		if (!k.len_min)
			return -EBADMSG;
		wi = (unsigned)(r->k0 % st->cfg.n_workers);
		e = window_get(st, &st->w[wi], &k);
		if (!e)
			return -ENOSPC;
		s = ld(&e->word);
		if (delta) {
			st_relaxed(&e->word, window_word_add(s, r->word));
		} else {
			c = s >> MONEY_BITS;
			v = s & MONEY_MASK;
			if (r->word >> MONEY_BITS > c)
				c = r->word >> MONEY_BITS;
			if ((r->word & MONEY_MASK) > v)
				v = r->word & MONEY_MASK;
			st_relaxed(&e->word, c << MONEY_BITS | v);
		}
		if ((int64_t)k.start_min + k.len_min > st->w[wi].max_minute)
			st->w[wi].max_minute = (int64_t)k.start_min + k.len_min;
		break;
	}
	default:
		return -EBADMSG;
	}
	st->replayed++;
	return 0;
}

static void path_of(char *buf, size_t cap, const char *dir, const char *kind,
		    uint64_t gen, const char *suffix)
{
	snprintf(buf, cap, "%s/%s.%016" PRIx64 "%s", dir, kind, gen, suffix);
}

/* Reads a whole file into a malloc'ed buffer.  Control plane. */
static int slurp(const char *path, char **out, size_t *len)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto close_fd;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto close_fd;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			free(buf);
			buf = NULL;
			goto close_fd;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
close_fd:
	close(fd);
	return rc;
}

static bool id_zero(const uint8_t *id)
{
	static const uint8_t z[SL_STATE_LOG_ID_LEN];

	return !memcmp(id, z, sizeof(z));
}

/* Replays one file: the snapshot (snapshot = true) or a WAL of either
 * kind.  A delta WAL committed by the verdict log the state was opened
 * with keeps only the records whose verdicts the log holds (tag <
 * cfg.log_verdicts).  *good gets the length of the valid prefix.  Returns
 * 0 when the whole file is valid, 1 when a torn tail follows *good, or a
 * negative errno (bad header, no memory for nodes). */
static int replay_file(struct sl_state *st, const char *path, bool snapshot,
		       size_t *good)
{
	const struct fhdr *fh;
	struct blk bh;
	size_t len = 0, off, hlen, rsize;
	bool delta, filter = false;
	char *buf = NULL;
	int rc;

	*good = 0;
	rc = slurp(path, &buf, &len);
	if (rc < 0)
		return rc;
	fh = (const struct fhdr *)buf;
	if (len < sizeof(*fh)) {
		/* A WAL created but never written by a crash right after
		 * open(2) is empty: treat as torn, not as foreign. */
		rc = snapshot ? -EBADMSG : 1;
		goto free_buf;
	}
	if (memcmp(fh->magic, FILE_MAGIC, 8) ||
	    (snapshot && fh->kind != KIND_SNAP) ||
	    (!snapshot && fh->kind != KIND_WAL_ABS &&
	     fh->kind != KIND_WAL_DELTA)) {
		rc = -EBADMSG;
		goto free_buf;
	}
	delta = fh->kind == KIND_WAL_DELTA;
	hlen = delta ? sizeof(struct whdr) : sizeof(struct fhdr);
	rsize = delta ? sizeof(struct drec) : sizeof(struct rec);
	if (fh->rsize != rsize) {
		rc = -EBADMSG;
		goto free_buf;
	}
	if (len < hlen) {
		rc = 1;
		goto free_buf;
	}
	if (delta) {
		const struct whdr *wh = (const struct whdr *)buf;

		if (!id_zero(wh->log_id) && !id_zero(st->log_id)) {
			if (!memcmp(wh->log_id, st->log_id,
				    SL_STATE_LOG_ID_LEN))
				filter = true;
			else
				/* Committed by another log (the log was
				 * replaced after a crash): nothing to check
				 * the records against, so all of them count,
				 * which can only hold more. */
				st->foreign++;
		}
	}
	off = hlen;
	while (off < len) {
		uint32_t i;

		if (len - off < sizeof(bh)) {
			rc = 1;
			break;
		}
		memcpy(&bh, buf + off, sizeof(bh));
		if (bh.magic != BLK_MAGIC || bh.n == 0 ||
		    (len - off - sizeof(bh)) / rsize < bh.n ||
		    XXH3_64bits(buf + off + sizeof(bh), bh.n * rsize) !=
			bh.sum) {
			rc = 1;
			break;
		}
		for (i = 0; i < bh.n; i++) {
			struct drec d = {.tag = 0};

			memcpy(&d, buf + off + sizeof(bh) + i * rsize, rsize);
			if (filter && d.tag >= st->cfg.log_verdicts) {
				/* Its verdict never reached the log. */
				st->uncommitted++;
				continue;
			}
			rc = apply(st, &d.r, delta);
			if (rc < 0)
				goto free_buf;
		}
		off += sizeof(bh) + bh.n * rsize;
	}
	*good = off;
free_buf:
	free(buf);
	return rc;
}

/* -------------------------------------------------------------- writing */

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n) {
		k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void fhdr_init(struct fhdr *h, uint32_t kind)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, FILE_MAGIC, 8);
	h->kind = kind;
	h->rsize =
	    kind == KIND_WAL_DELTA ? sizeof(struct drec) : sizeof(struct rec);
}

/* Creates WAL `gen` with its header, naming the commit log.  Returns the
 * fd or -errno. */
static int wal_create(struct sl_state *st, uint64_t gen)
{
	char path[4096];
	struct whdr h;
	int fd, rc;

	path_of(path, sizeof(path), st->dir, "wal", gen, "");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	memset(&h, 0, sizeof(h));
	fhdr_init(&h.h, KIND_WAL_DELTA);
	memcpy(h.log_id, st->log_id, sizeof(h.log_id));
	rc = write_all(fd, &h, sizeof(h));
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		unlink(path);
		return rc;
	}
	return fd;
}

/* Writes one block: the records staged by sl_state_stage (cfg.staged), or
 * else every record in the rings, tags as the workers set them. */
static int flush_locked(struct sl_state *st)
{
	struct blk *bh = (struct blk *)st->wbuf;
	struct drec *out = (struct drec *)(st->wbuf + sizeof(*bh));
	uint64_t n = 0, i;
	unsigned wi;
	int rc;

	if (!st->dir || st->read_only)
		return 0;
	if (st->cfg.staged) {
		n = st->n_staged;
	} else {
		for (wi = 0; wi < st->cfg.n_workers; wi++) {
			struct worker *w = &st->w[wi];

			w->flush_head =
			    __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
			for (i = w->tail; i < w->flush_head; i++)
				out[n++] = w->ring[i & w->mask];
		}
	}
	if (n == 0)
		return 0;
	bh->magic = BLK_MAGIC;
	bh->n = (uint32_t)n;
	bh->sum = XXH3_64bits(out, n * sizeof(*out));
	rc = write_all(st->wal_fd, st->wbuf, sizeof(*bh) + n * sizeof(*out));
	if (rc == 0 && st->cfg.sync && fdatasync(st->wal_fd) < 0)
		rc = -errno;
	else if (rc == 0)
		st->wal_dirty = !st->cfg.sync;
	if (rc < 0) {
		/* Cut what may have been written, so that the next block
		 * follows the last good one and replay reads past it.  The
		 * records stay in the rings for the next attempt. */
		(void)!ftruncate(st->wal_fd, (off_t)st->wal_size);
		return rc;
	}
	st->wal_size += sizeof(*bh) + n * sizeof(*out);
	st->wal_records += n;
	st->wal_flushes++;
	if (st->cfg.staged) {
		st->n_staged = 0;
		return 0;
	}
	/* Only now may the workers reuse the slots, and only now are the
	 * records durable. */
	for (wi = 0; wi < st->cfg.n_workers; wi++)
		__atomic_store_n(&st->w[wi].tail, st->w[wi].flush_head,
				 __ATOMIC_RELEASE);
	return 0;
}

int sl_state_stage(struct sl_state *st, unsigned worker, uint64_t tag,
		   uint64_t ordinal)
{
	struct drec *out = (struct drec *)(st->wbuf + sizeof(struct blk));
	struct worker *w;
	uint64_t head, t;
	int moved = 0;

	if (!st->cfg.staged || worker >= st->cfg.n_workers)
		return -EINVAL;
	if (!st->dir)
		return 0;
	w = &st->w[worker];
	pthread_mutex_lock(&st->ctl);
	head = __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
	/* Only the control plane moves tail; this thread is the consumer. */
	t = w->tail;
	while (t < head) {
		const struct drec *d = &w->ring[t & w->mask];

		if (d->tag > tag)
			break; /* a later verdict's */
		if (d->tag < tag) {
			st->orphans++; /* its verdict was never logged */
			t++;
			continue;
		}
		if (st->n_staged == st->wbuf_cap) {
			moved = -ENOSPC;
			break;
		}
		out[st->n_staged] = *d;
		out[st->n_staged].tag = ordinal;
		st->n_staged++;
		moved++;
		t++;
	}
	__atomic_store_n(&w->tail, t, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&st->ctl);
	return moved;
}

/* Closes the current WAL, durable first when flushes left it unsynced. */
static void wal_close_locked(struct sl_state *st)
{
	if (st->wal_fd < 0)
		return;
	if (st->wal_dirty)
		(void)fdatasync(st->wal_fd);
	st->wal_dirty = false;
	close(st->wal_fd);
	st->wal_fd = -1;
}

int sl_state_sync(struct sl_state *st)
{
	int rc = 0;

	if (!st->dir || st->read_only)
		return 0;
	pthread_mutex_lock(&st->ctl);
	if (st->wal_dirty && st->wal_fd >= 0) {
		if (fdatasync(st->wal_fd) < 0)
			rc = -errno;
		else
			st->wal_dirty = false;
	}
	pthread_mutex_unlock(&st->ctl);
	return rc;
}

int sl_state_flush(struct sl_state *st)
{
	int rc;

	pthread_mutex_lock(&st->ctl);
	rc = flush_locked(st);
	pthread_mutex_unlock(&st->ctl);
	return rc;
}

/* ----------------------------------------------------------- checkpoint */

/* Buffered writer of record blocks to one fd.  Control plane. */
struct rw {
	int fd;
	int err;
	uint32_t n;
	struct rec *r; /* SNAP_BLOCK records after a struct blk */
	char *buf;
};

static void rw_flush(struct rw *w)
{
	struct blk *bh = (struct blk *)w->buf;

	if (w->n == 0 || w->err)
		return;
	bh->magic = BLK_MAGIC;
	bh->n = w->n;
	bh->sum = XXH3_64bits(w->r, w->n * sizeof(struct rec));
	w->err =
	    write_all(w->fd, w->buf, sizeof(*bh) + w->n * sizeof(struct rec));
	w->n = 0;
}

static void rw_put(struct rw *w, const struct rec *r)
{
	if (!w->buf)
		return;
	w->r[w->n++] = *r;
	if (w->n == SNAP_BLOCK)
		rw_flush(w);
}

/* Nodes unlinked by a checkpoint, returned to their pools after a grace
 * period.  Control plane; grows with realloc. */
struct reclaim {
	void **p;
	size_t n, cap;
};

static int reclaim_add(struct reclaim *rc, void *p)
{
	if (rc->n == rc->cap) {
		size_t cap = rc->cap ? rc->cap * 2 : 1024;
		void **np = realloc(rc->p, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		rc->p = np;
		rc->cap = cap;
	}
	rc->p[rc->n++] = p;
	return 0;
}

static void reclaim_finish(struct sl_state *st, struct reclaim *rc)
{
	size_t i;
	unsigned wi;

	if (rc->n) {
		synchronize_rcu(); /* no reader can still hold them */
		for (i = 0; i < rc->n; i++) {
			char *p = rc->p[i];

			for (wi = 0; wi < st->cfg.n_workers; wi++) {
				struct worker *w = &st->w[wi];
				struct pool *pl = NULL;

				if (p >= w->bp.base &&
				    p < w->bp.base + w->bp.cap * w->bp.esize)
					pl = &w->bp;
				else if (p >= w->wp.base &&
					 p < w->wp.base +
						 w->wp.cap * w->wp.esize)
					pl = &w->wp;
				if (!pl)
					continue;
				cds_lfs_push(&pl->back,
					     (struct cds_lfs_node *)(void *)p);
				if (pl == &w->bp)
					bump(&w->freed_buyers);
				else
					bump(&w->freed_windows);
				break;
			}
		}
	}
	free(rc->p);
}

/* Removes every file of a generation older than `keep` and stray .tmp. */
static void remove_old(struct sl_state *st, uint64_t keep)
{
	char path[4096];
	struct dirent *de;
	uint64_t gen;
	DIR *d;
	int used;

	d = opendir(st->dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		used = 0;
		if ((sscanf(de->d_name, "snap.%16" SCNx64 "%n", &gen, &used) ==
			 1 ||
		     sscanf(de->d_name, "wal.%16" SCNx64 "%n", &gen, &used) ==
			 1) &&
		    used > 0 &&
		    (gen < keep || strcmp(de->d_name + used, "") != 0)) {
			snprintf(path, sizeof(path), "%s/%s", st->dir,
				 de->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* The expiry limits of a checkpoint or compaction: the newest window end
 * (minutes CST) and year the workers have seen. */
static void newest_seen(struct sl_state *st, int64_t *newest_min,
			int *newest_year)
{
	unsigned wi;

	*newest_min = 0;
	*newest_year = 0;
	for (wi = 0; wi < st->cfg.n_workers; wi++) {
		int64_t m =
		    __atomic_load_n(&st->w[wi].max_minute, __ATOMIC_RELAXED);
		int y = __atomic_load_n(&st->w[wi].max_year, __ATOMIC_RELAXED);

		*newest_min = m > *newest_min ? m : *newest_min;
		*newest_year = y > *newest_year ? y : *newest_year;
	}
	if (*newest_min &&
	    sl_cst_year(*newest_min * 60 - SL_CST_OFFSET_S) > *newest_year)
		*newest_year = sl_cst_year(*newest_min * 60 - SL_CST_OFFSET_S);
}

static bool buyer_expired(uint64_t s0, uint64_t s1, int newest_year)
{
	int y0 = (int)(s0 >> MONEY_BITS), y1 = (int)(s1 >> MONEY_BITS);

	return newest_year && y0 < newest_year - 1 && y1 < newest_year - 1;
}

/* Claims an expired buyer for unlinking: both slot words, as the expiry
 * check read them, become SLOT_DEAD, so that no worker's add can land on
 * the node after the check (it would be lost with the node: an annual
 * total short by it).  False when a worker changed a slot since (the buyer
 * is back: keep it).  Control plane, the only writer of SLOT_DEAD. */
static bool buyer_kill(struct buyer *b, uint64_t s0, uint64_t s1)
{
	if (!__atomic_compare_exchange_n(&b->slot[0], &s0, SLOT_DEAD, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	if (!__atomic_compare_exchange_n(&b->slot[1], &s1, SLOT_DEAD, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Workers wait while slot 0 is dead; give it back. */
		__atomic_store_n(&b->slot[0], s0, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

static bool window_expired(uint32_t start, uint32_t len, int64_t newest_min,
			   int64_t grace_min)
{
	return (int64_t)start + len + grace_min < newest_min;
}

enum cp_mode {
	CP_SNAPSHOT, /* new WAL, snapshot of the live table, expiry */
	CP_EXPIRE,   /* expiry in the live table only (compaction) */
	CP_TEARDOWN, /* unlink everything (close) */
};

static int checkpoint_locked(struct sl_state *st, enum cp_mode mode)
{
	struct reclaim rc = {0};
	struct cds_lfht_iter it;
	struct buyer *b;
	struct window *e;
	struct rw out = {.fd = -1};
	char tmp[4096] = "", path[4096];
	int64_t newest_min, grace_min;
	int newest_year, ret = 0;
	uint64_t gen = st->gen + 1;
	bool teardown = mode == CP_TEARDOWN;
	bool write = mode == CP_SNAPSHOT && st->dir && !st->read_only;

	if (mode == CP_SNAPSHOT && !st->read_only) {
		ret = flush_locked(st);
		if (ret < 0)
			return ret;
	}
	newest_seen(st, &newest_min, &newest_year);
	grace_min = st->cfg.window_grace_s / 60;

	if (write) {
		int fd = wal_create(st, gen);

		if (fd < 0)
			return fd;
		/* From here on, flushes go to the new WAL; everything in the
		 * old one is already in the table, so in the snapshot. */
		wal_close_locked(st);
		st->wal_fd = fd;
		st->wal_size = sizeof(struct whdr);
		st->gen = gen; /* never reuse (O_TRUNC) a WAL in use */
		path_of(tmp, sizeof(tmp), st->dir, "snap", gen, ".tmp");
		out.fd =
		    open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		out.buf = malloc(sizeof(struct blk) +
				 SNAP_BLOCK * sizeof(struct rec));
		if (out.fd < 0 || !out.buf) {
			ret = out.fd < 0 ? -errno : -ENOMEM;
			goto close_out;
		}
		out.r = (struct rec *)(out.buf + sizeof(struct blk));
		{
			struct fhdr h;

			fhdr_init(&h, KIND_SNAP);
			out.err = write_all(out.fd, &h, sizeof(h));
		}
	}

	rcu_read_lock();
	cds_lfht_for_each_entry (st->buyers, &it, b, node) {
		uint64_t s0 = ld(&b->slot[0]), s1 = ld(&b->slot[1]);
		bool gone = teardown;

		if (!gone && buyer_expired(s0, s1, newest_year)) {
			gone = buyer_kill(b, s0, s1);
			if (!gone) { /* a worker brought it back meanwhile */
				s0 = ld(&b->slot[0]);
				s1 = ld(&b->slot[1]);
			}
		}
		if (gone) {
			if (cds_lfht_del(st->buyers, &b->node) == 0) {
				if (!teardown)
					__atomic_fetch_add(&st->expired, 1,
							   __ATOMIC_RELAXED);
				if (reclaim_add(&rc, b) < 0)
					ret = -ENOMEM;
			}
			continue;
		}
		if (s0) {
			struct rec r = {REC_BUYER, 0, ld(&b->key), 0, s0};

			rw_put(&out, &r);
		}
		if (s1) {
			struct rec r = {REC_BUYER, 0, ld(&b->key), 0, s1};

			rw_put(&out, &r);
		}
	}
	cds_lfht_for_each_entry (st->windows, &it, e, node) {
		uint32_t start = __atomic_load_n(&e->start, __ATOMIC_RELAXED);
		uint32_t len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);
		struct rec r = {REC_WINDOW | len << 8, start, ld(&e->c0),
				ld(&e->c1), ld(&e->word)};

		if (teardown ||
		    window_expired(start, len, newest_min, grace_min)) {
			if (cds_lfht_del(st->windows, &e->node) == 0) {
				if (!teardown)
					__atomic_fetch_add(&st->expired, 1,
							   __ATOMIC_RELAXED);
				if (reclaim_add(&rc, e) < 0)
					ret = -ENOMEM;
			}
			continue;
		}
		rw_put(&out, &r);
	}
	rcu_read_unlock();

	if (write) {
		rw_flush(&out);
		if (!out.err && fsync(out.fd) < 0)
			out.err = -errno;
		if (out.err) {
			ret = out.err;
			goto close_out;
		}
		path_of(path, sizeof(path), st->dir, "snap", gen, "");
		if (rename(tmp, path) < 0) {
			ret = -errno;
			goto close_out;
		}
		(void)fsync_dir(st->dir);
		st->snap_gen = gen;
		remove_old(st, gen);
	}
close_out:
	if (out.fd >= 0)
		close(out.fd);
	free(out.buf);
	if (ret < 0 && write)
		unlink(tmp);
	if (teardown)
		free(rc.p); /* the pools are unmapped whole */
	else
		reclaim_finish(st, &rc);
	return ret;
}

int sl_state_checkpoint(struct sl_state *st)
{
	int rc;

	pthread_mutex_lock(&st->compact);
	pthread_mutex_lock(&st->ctl);
	rc = checkpoint_locked(st, CP_SNAPSHOT);
	pthread_mutex_unlock(&st->ctl);
	pthread_mutex_unlock(&st->compact);
	return rc;
}

/* ------------------------------------------------------ rotate, compact */

int sl_state_rotate(struct sl_state *st)
{
	int fd, rc = 0;

	if (!st->dir || st->read_only)
		return 0;
	pthread_mutex_lock(&st->ctl);
	if (st->n_staged) {
		rc = -EBUSY; /* staged records belong in the old WAL */
		goto unlock;
	}
	fd = wal_create(st, st->gen + 1);
	if (fd < 0) {
		rc = fd;
		goto unlock;
	}
	wal_close_locked(st);
	st->wal_fd = fd;
	st->wal_size = sizeof(struct whdr);
	st->gen++;
	(void)fsync_dir(st->dir);
unlock:
	pthread_mutex_unlock(&st->ctl);
	return rc;
}

uint64_t sl_state_wal_bytes(struct sl_state *st)
{
	uint64_t n;

	if (!st->dir)
		return 0;
	pthread_mutex_lock(&st->ctl);
	n = st->wal_size;
	pthread_mutex_unlock(&st->ctl);
	return n;
}

/* One key's words while folding files: a buyer (both slots, by year
 * parity) or a window. */
struct unit {
	struct rec r;	  /* key fields; for a window, r.word is its word */
	uint64_t slot[2]; /* buyer slot words */
	bool used;	  /* merged with a snapshot record already */
};

/* The closed WALs' deltas composed per key: open addressing over units
 * (r.type_len == 0: empty).  Control plane (compaction). */
struct agg {
	struct unit *u;
	size_t cap, n;
};

static uint64_t unit_hash(const struct rec *r)
{
	uint64_t b[4] = {r->type_len, r->start, r->k0, r->k1};

	if ((r->type_len & 0xff) == REC_BUYER)
		b[0] = REC_BUYER, b[1] = 0, b[3] = 0;
	return XXH3_64bits(b, sizeof(b));
}

static bool unit_same(const struct rec *a, const struct rec *b)
{
	if ((a->type_len & 0xff) != (b->type_len & 0xff) || a->k0 != b->k0)
		return false;
	if ((a->type_len & 0xff) == REC_BUYER)
		return true;
	return a->type_len == b->type_len && a->start == b->start &&
	       a->k1 == b->k1;
}

static struct unit *agg_find(struct agg *g, const struct rec *r, bool insert)
{
	size_t i;

	if (insert && (g->n + 1) * 2 > g->cap) {
		struct agg ng = {.cap = g->cap ? g->cap * 2 : 4096};
		size_t j;

		ng.u = calloc(ng.cap, sizeof(*ng.u));
		if (!ng.u)
			return NULL;
		for (j = 0; j < g->cap; j++) {
			if (!g->u[j].r.type_len)
				continue;
			i = unit_hash(&g->u[j].r) & (ng.cap - 1);
			while (ng.u[i].r.type_len)
				i = (i + 1) & (ng.cap - 1);
			ng.u[i] = g->u[j];
		}
		ng.n = g->n;
		free(g->u);
		*g = ng;
	}
	if (!g->cap)
		return NULL;
	i = unit_hash(r) & (g->cap - 1);
	while (g->u[i].r.type_len) {
		if (unit_same(&g->u[i].r, r))
			return &g->u[i];
		i = (i + 1) & (g->cap - 1);
	}
	if (!insert)
		return NULL;
	memset(&g->u[i], 0, sizeof(g->u[i]));
	g->u[i].r = *r;
	g->u[i].r.word = 0;
	if ((r->type_len & 0xff) == REC_BUYER)
		g->u[i].r.type_len = REC_BUYER, g->u[i].r.start = 0,
		g->u[i].r.k1 = 0;
	g->n++;
	return &g->u[i];
}

/* Folds a word into a unit: deltas compose (WAL), snapshot words start
 * from an empty unit and compose the same way (a snapshot holds each slot
 * or window once). */
static void unit_add(struct unit *u, const struct rec *r)
{
	if ((r->type_len & 0xff) == REC_BUYER) {
		unsigned p = (unsigned)(r->word >> MONEY_BITS) & 1;

		u->slot[p] = buyer_word_add(u->slot[p], r->word);
	} else {
		u->r.word = window_word_add(u->r.word, r->word);
	}
}

/* Reads the records of a closed delta WAL into g.  A torn tail (there
 * should be none: the file was closed whole) ends the file.  Returns 0 or
 * -errno. */
static int agg_load_wal(struct agg *g, const char *path)
{
	const struct whdr *wh;
	struct blk bh;
	size_t len = 0, off;
	char *buf = NULL;
	int rc;

	rc = slurp(path, &buf, &len);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	wh = (const struct whdr *)buf;
	if (len < sizeof(*wh) || memcmp(wh->h.magic, FILE_MAGIC, 8) ||
	    wh->h.kind != KIND_WAL_DELTA ||
	    wh->h.rsize != sizeof(struct drec)) {
		rc = -EBADMSG;
		goto free_buf;
	}
	for (off = sizeof(*wh); len - off >= sizeof(bh);) {
		uint32_t i;

		memcpy(&bh, buf + off, sizeof(bh));
		if (bh.magic != BLK_MAGIC || bh.n == 0 ||
		    (len - off - sizeof(bh)) / sizeof(struct drec) < bh.n ||
		    XXH3_64bits(buf + off + sizeof(bh),
				bh.n * sizeof(struct drec)) != bh.sum)
			break;
		for (i = 0; i < bh.n; i++) {
			struct drec d;
			struct unit *u;

			memcpy(&d, buf + off + sizeof(bh) + i * sizeof(d),
			       sizeof(d));
			if ((d.r.type_len & 0xff) != REC_BUYER &&
			    ((d.r.type_len & 0xff) != REC_WINDOW ||
			     !(d.r.type_len >> 8))) {
				rc = -EBADMSG;
				goto free_buf;
			}
			u = agg_find(g, &d.r, true);
			if (!u) {
				rc = -ENOMEM;
				goto free_buf;
			}
			unit_add(u, &d.r);
		}
		off += sizeof(bh) + bh.n * sizeof(struct drec);
	}
free_buf:
	free(buf);
	return rc;
}

/* Writes a unit's records, unless expired.  Returns true when written. */
static bool unit_emit(struct rw *out, const struct unit *u, int64_t newest_min,
		      int newest_year, int64_t grace_min)
{
	if ((u->r.type_len & 0xff) == REC_BUYER) {
		struct rec r = {REC_BUYER, 0, u->r.k0, 0, 0};
		unsigned p;

		if (buyer_expired(u->slot[0], u->slot[1], newest_year))
			return false;
		for (p = 0; p < 2; p++) {
			if (!u->slot[p])
				continue;
			r.word = u->slot[p];
			rw_put(out, &r);
		}
		return true;
	}
	if (window_expired(u->r.start, u->r.type_len >> 8, newest_min,
			   grace_min))
		return false;
	rw_put(out, &u->r);
	return true;
}

/* Streams snapshot `path`, one unit at a time (a buyer's two slot records
 * are next to each other), folding in the matching WAL units.  Returns 0
 * or -errno. */
static int fold_snapshot(const char *path, struct agg *g, struct rw *out,
			 int64_t newest_min, int newest_year, int64_t grace_min,
			 uint64_t *expired)
{
	struct fhdr fh;
	struct blk bh;
	struct rec *recs;
	struct unit cur;
	bool have = false;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	recs = malloc(SNAP_BLOCK * sizeof(*recs));
	if (!recs) {
		close(fd);
		return -ENOMEM;
	}
	if (read(fd, &fh, sizeof(fh)) != (ssize_t)sizeof(fh) ||
	    memcmp(fh.magic, FILE_MAGIC, 8) || fh.kind != KIND_SNAP ||
	    fh.rsize != sizeof(struct rec)) {
		rc = -EBADMSG;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, &bh, sizeof(bh));
		uint32_t i;

		if (n == 0)
			break;
		if (n != (ssize_t)sizeof(bh) || bh.magic != BLK_MAGIC ||
		    bh.n == 0 || bh.n > SNAP_BLOCK ||
		    read(fd, recs, bh.n * sizeof(*recs)) !=
			(ssize_t)(bh.n * sizeof(*recs)) ||
		    XXH3_64bits(recs, bh.n * sizeof(*recs)) != bh.sum) {
			rc = -EBADMSG; /* a damaged snapshot: keep it all */
			goto out;
		}
		for (i = 0; i < bh.n; i++) {
			const struct rec *r = &recs[i];

			if ((r->type_len & 0xff) != REC_BUYER &&
			    (r->type_len & 0xff) != REC_WINDOW) {
				rc = -EBADMSG;
				goto out;
			}
			if (have && !unit_same(&cur.r, r)) {
				if (!unit_emit(out, &cur, newest_min,
					       newest_year, grace_min))
					(*expired)++;
				have = false;
			}
			if (!have) {
				struct unit *u = agg_find(g, r, false);

				memset(&cur, 0, sizeof(cur));
				cur.r = *r;
				cur.r.word = 0;
				if (u) { /* the WAL's changes to it */
					cur.slot[0] = u->slot[0];
					cur.slot[1] = u->slot[1];
					cur.r.word = u->r.word;
					u->used = true;
				}
				have = true;
			}
			unit_add(&cur, r);
		}
	}
	if (have && !unit_emit(out, &cur, newest_min, newest_year, grace_min))
		(*expired)++;
out:
	free(recs);
	close(fd);
	return rc;
}

int sl_state_compact(struct sl_state *st)
{
	struct agg g = {0};
	struct rw out = {.fd = -1};
	char path[4096], tmp[4096];
	uint64_t gen, snap, i, expired = 0;
	int64_t newest_min, grace_min;
	int newest_year, rc = 0;
	size_t k;

	if (!st->dir || st->read_only)
		return 0;
	pthread_mutex_lock(&st->compact);
	pthread_mutex_lock(&st->ctl);
	gen = st->gen; /* the WAL being written; the ones before are closed */
	snap = st->snap_gen;
	pthread_mutex_unlock(&st->ctl);
	if (gen <= snap)
		goto unlock; /* nothing closed since the last snapshot */

	for (i = snap; i < gen && rc == 0; i++) {
		path_of(path, sizeof(path), st->dir, "wal", i, "");
		rc = agg_load_wal(&g, path);
	}
	if (rc < 0)
		goto free_agg;
	newest_seen(st, &newest_min, &newest_year);
	grace_min = st->cfg.window_grace_s / 60;

	path_of(tmp, sizeof(tmp), st->dir, "snap", gen, ".tmp");
	out.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	out.buf = malloc(sizeof(struct blk) + SNAP_BLOCK * sizeof(struct rec));
	if (out.fd < 0 || !out.buf) {
		rc = out.fd < 0 ? -errno : -ENOMEM;
		goto close_out;
	}
	out.r = (struct rec *)(out.buf + sizeof(struct blk));
	{
		struct fhdr h;

		fhdr_init(&h, KIND_SNAP);
		out.err = write_all(out.fd, &h, sizeof(h));
	}
	path_of(path, sizeof(path), st->dir, "snap", snap, "");
	rc = fold_snapshot(path, &g, &out, newest_min, newest_year, grace_min,
			   &expired);
	if (rc < 0)
		goto close_out;
	for (k = 0; k < g.cap; k++) /* keys the snapshot did not have */
		if (g.u[k].r.type_len && !g.u[k].used &&
		    !unit_emit(&out, &g.u[k], newest_min, newest_year,
			       grace_min))
			expired++;
	rw_flush(&out);
	if (!out.err && fsync(out.fd) < 0)
		out.err = -errno;
	if (out.err) {
		rc = out.err;
		goto close_out;
	}
	path_of(path, sizeof(path), st->dir, "snap", gen, "");
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto close_out;
	}
	(void)fsync_dir(st->dir);
	pthread_mutex_lock(&st->ctl);
	st->snap_gen = gen;
	st->compactions++;
	remove_old(st, gen); /* snapshot `snap`, WALs snap..gen-1 */
	pthread_mutex_unlock(&st->ctl);
close_out:
	if (out.fd >= 0)
		close(out.fd);
	free(out.buf);
	if (rc < 0)
		unlink(tmp);
free_agg:
	free(g.u);
	if (rc == 0) {
		/* The same expiry in the live table, so that the pools give
		 * nodes back.  Not under ctl: its grace period waits for the
		 * workers, which may wait for the thread that needs ctl. */
		rc = checkpoint_locked(st, CP_EXPIRE);
	}
unlock:
	pthread_mutex_unlock(&st->compact);
	return rc;
}

/* ------------------------------------------------------------- recovery */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Loads the newest snapshot and replays the WALs from its generation on.
 * Sets st->gen to the newest generation seen.  Control plane, at open. */
static int recover(struct sl_state *st, char *err, size_t errlen)
{
	uint64_t snap = 0, *wals = NULL, gen;
	size_t n_wals = 0, cap = 0, i, good;
	bool have_snap = false;
	char path[4096];
	struct dirent *de;
	int rc = 0, used;
	DIR *d;

	d = opendir(st->dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", st->dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		used = 0;
		if (sscanf(de->d_name, "snap.%16" SCNx64 "%n", &gen, &used) ==
			1 &&
		    de->d_name[used] == '\0') {
			if (!have_snap || gen > snap)
				snap = gen;
			have_snap = true;
		} else if (sscanf(de->d_name, "wal.%16" SCNx64 "%n", &gen,
				  &used) == 1 &&
			   de->d_name[used] == '\0') {
			if (n_wals == cap) {
				uint64_t *nw;

				cap = cap ? cap * 2 : 16;
				nw = realloc(wals, cap * sizeof(*nw));
				if (!nw) {
					rc = -ENOMEM;
					goto out;
				}
				wals = nw;
			}
			wals[n_wals++] = gen;
		}
	}
	if (n_wals) /* qsort(NULL, 0, ...) is undefined (UBSan) */
		qsort(wals, n_wals, sizeof(*wals), cmp_u64);
	st->gen = have_snap ? snap : 0;
	st->snap_gen = st->gen;
	if (have_snap) {
		path_of(path, sizeof(path), st->dir, "snap", snap, "");
		rc = replay_file(st, path, true, &good);
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", path,
				 rc == -ENOSPC ? "more entries than the pools "
						 "hold (raise the limits)"
				 : rc == 1     ? "damaged snapshot"
					       : strerror(-rc));
			rc = rc == 1 ? -EBADMSG : rc;
			goto out;
		}
	}
	for (i = 0; i < n_wals; i++) {
		if (have_snap && wals[i] < snap)
			continue;
		path_of(path, sizeof(path), st->dir, "wal", wals[i], "");
		rc = replay_file(st, path, false, &good);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", path,
				 rc == -ENOSPC ? "more entries than the pools "
						 "hold (raise the limits)"
					       : strerror(-rc));
			goto out;
		}
		if (rc == 1) { /* torn tail: cut it, keep the good prefix */
			struct stat sb;

			if (stat(path, &sb) == 0 && (uint64_t)sb.st_size > good)
				st->torn_bytes += (uint64_t)sb.st_size - good;
			if (good && !st->read_only &&
			    truncate(path, (off_t)good) < 0) {
				rc = -errno;
				snprintf(err, errlen, "%s: %s", path,
					 strerror(errno));
				goto out;
			}
			rc = 0;
		}
		if (wals[i] > st->gen)
			st->gen = wals[i];
	}
out:
	closedir(d);
	free(wals);
	return rc;
}

/* ----------------------------------------------------------- open/close */

void sl_state_config_defaults(struct sl_state_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_workers = 1;
	cfg->buyers_per_worker = UINT64_C(4) << 20;
	cfg->windows_per_worker = UINT64_C(4) << 20;
	cfg->wal_ring = 1u << 16;
	cfg->sync = true;
	cfg->window_grace_s = 2 * 86400;
}

static int lock_dir(struct sl_state *st, char *err, size_t errlen)
{
	char path[4096];

	if (!st->read_only && mkdir(st->dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", st->dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/LOCK", st->dir);
	st->lock_fd = st->read_only
			  ? open(path, O_RDONLY | O_CLOEXEC)
			  : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lock_fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	/* Readers share the lock; a writer (the engine) excludes them. */
	if (flock(st->lock_fd, (st->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) <
	    0) {
		snprintf(err, errlen,
			 "%s: state directory is in use by another process",
			 st->dir);
		return -EBUSY;
	}
	return 0;
}

struct sl_state *sl_state_open(const struct sl_state_config *cfg, char *err,
			       size_t errlen)
{
	struct sl_state *st;
	size_t per_w, off = 0;
	unsigned wi;
	int rc;

	if (!cfg->n_workers || cfg->n_workers > 1024 ||
	    !cfg->buyers_per_worker || !cfg->windows_per_worker ||
	    cfg->wal_ring < 2 || (cfg->wal_ring & (cfg->wal_ring - 1)) ||
	    cfg->wal_ring > (1u << 26)) {
		snprintf(err, errlen,
			 "state: bad configuration (workers 1..1024, pools > "
			 "0, WAL ring a power of two)");
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		goto nomem;
	st->cfg = *cfg;
	if (!st->cfg.window_grace_s)
		st->cfg.window_grace_s = 2 * 86400;
	st->lock_fd = st->wal_fd = -1;
	st->read_only = cfg->read_only && cfg->dir;
	if (cfg->log_id)
		memcpy(st->log_id, cfg->log_id, sizeof(st->log_id));
	pthread_mutex_init(&st->ctl, NULL);
	pthread_mutex_init(&st->compact, NULL);
	st->w = aligned_alloc(64, cfg->n_workers * sizeof(*st->w));
	if (!st->w)
		goto free_st;
	memset(st->w, 0, cfg->n_workers * sizeof(*st->w));

	per_w = cfg->buyers_per_worker * sizeof(struct buyer) +
		cfg->windows_per_worker * sizeof(struct window);
	st->map_len = per_w * cfg->n_workers;
	/* Reserved, not committed: untouched pages cost nothing. */
	st->map = mmap(NULL, st->map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (st->map == MAP_FAILED) {
		st->map = NULL;
		snprintf(err, errlen, "state: cannot reserve %zu bytes: %s",
			 st->map_len, strerror(errno));
		goto free_w;
	}
	for (wi = 0; wi < cfg->n_workers; wi++) {
		struct worker *w = &st->w[wi];

		w->bp.base = (char *)st->map + off;
		w->bp.esize = sizeof(struct buyer);
		w->bp.cap = cfg->buyers_per_worker;
		off += cfg->buyers_per_worker * sizeof(struct buyer);
		w->wp.base = (char *)st->map + off;
		w->wp.esize = sizeof(struct window);
		w->wp.cap = cfg->windows_per_worker;
		off += cfg->windows_per_worker * sizeof(struct window);
		__cds_lfs_init(&w->bp.back);
		__cds_lfs_init(&w->wp.back);
	}
	st->buyers =
	    cds_lfht_new(1u << 12, 1u << 12, 0,
			 CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	st->windows =
	    cds_lfht_new(1u << 12, 1u << 12, 0,
			 CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!st->buyers || !st->windows)
		goto nomem_tables;
	if (!cfg->dir)
		return st;

	st->dir = strdup(cfg->dir);
	st->wbuf_cap = (size_t)cfg->wal_ring * cfg->n_workers;
	st->wbuf =
	    malloc(sizeof(struct blk) + st->wbuf_cap * sizeof(struct drec));
	if (!st->dir || !st->wbuf)
		goto nomem_tables;
	for (wi = 0; wi < cfg->n_workers; wi++) {
		st->w[wi].ring = calloc(cfg->wal_ring, sizeof(struct drec));
		st->w[wi].mask = cfg->wal_ring - 1;
		if (!st->w[wi].ring)
			goto nomem_tables;
	}
	if (lock_dir(st, err, errlen) < 0)
		goto close_st;
	if (recover(st, err, errlen) < 0)
		goto close_st;
	if (st->read_only)
		return st;
	rc = checkpoint_locked(st, CP_SNAPSHOT);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write a snapshot: %s",
			 st->dir, strerror(-rc));
		goto close_st;
	}
	return st;

nomem_tables:
	snprintf(err, errlen, "state: out of memory");
close_st:
	/* Nothing durable is written by a failed open beyond what recover
	 * and checkpoint leave consistent, so a plain teardown is right. */
	free(st->dir);
	st->dir = NULL;
	(void)sl_state_close(st);
	return NULL;
free_w:
	free(st->w);
free_st:
	free(st);
	return NULL;
nomem:
	snprintf(err, errlen, "state: out of memory");
	return NULL;
}

static void table_destroy(struct cds_lfht *ht)
{
	if (ht)
		(void)cds_lfht_destroy(ht, NULL);
}

int sl_state_close(struct sl_state *st)
{
	bool online;
	unsigned wi;
	int rc = 0;

	if (!st)
		return 0;
	pthread_mutex_lock(&st->compact); /* none may be running */
	pthread_mutex_lock(&st->ctl);
	if (st->dir && !st->read_only)
		rc = checkpoint_locked(st, CP_SNAPSHOT);
	/* Empty the tables (cds_lfht_destroy refuses a non-empty one) while
	 * still online, then go offline so destroy can wait for a resize
	 * in progress. */
	if (st->buyers && st->windows)
		(void)checkpoint_locked(st, CP_TEARDOWN);
	online = rcu_read_ongoing();
	if (online)
		rcu_thread_offline();
	table_destroy(st->buyers);
	table_destroy(st->windows);
	if (online)
		rcu_thread_online();
	pthread_mutex_unlock(&st->ctl);
	pthread_mutex_destroy(&st->ctl);
	pthread_mutex_unlock(&st->compact);
	pthread_mutex_destroy(&st->compact);
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	for (wi = 0; wi < st->cfg.n_workers; wi++)
		free(st->w[wi].ring);
	if (st->map)
		munmap(st->map, st->map_len);
	free(st->wbuf);
	free(st->dir);
	free(st->w);
	free(st);
	return rc;
}

/* ---------------------------------------------------------------- stats */

void sl_state_stats(const struct sl_state *st, struct sl_state_stats *out)
{
	unsigned wi;

	memset(out, 0, sizeof(*out));
	for (wi = 0; wi < st->cfg.n_workers; wi++) {
		struct worker *w = &st->w[wi];

		out->buyers += ld(&w->n_buyers) - ld(&w->freed_buyers);
		out->windows += ld(&w->n_windows) - ld(&w->freed_windows);
		out->no_node += ld(&w->no_node);
		out->wal_full += ld(&w->wal_full);
		out->too_old += ld(&w->too_old);
		out->over_limit += ld(&w->over_limit);
	}
	out->expired = __atomic_load_n(&st->expired, __ATOMIC_RELAXED);
	out->wal_records = st->wal_records;
	out->wal_flushes = st->wal_flushes;
	out->replayed = st->replayed;
	out->torn_bytes = st->torn_bytes;
	out->uncommitted = st->uncommitted;
	out->foreign = st->foreign;
	out->orphans = st->orphans;
	out->compactions = st->compactions;
}

int sl_state_foreach(struct sl_state *st,
		     int (*fn)(void *ctx, const struct sl_state_entry *e),
		     void *ctx)
{
	struct cds_lfht_iter it;
	struct buyer *b;
	struct window *w;
	int rc = 0;

	rcu_read_lock();
	cds_lfht_for_each_entry (st->buyers, &it, b, node) {
		struct sl_state_entry e = {.window = false,
					   .buyer = ld(&b->key)};
		unsigned p;

		for (p = 0; p < 2; p++) {
			uint64_t s = ld(&b->slot[p]);

			e.year[p] = (int)(s >> MONEY_BITS);
			e.total[p] = (sl_money_t)(s & MONEY_MASK);
		}
		rc = fn(ctx, &e);
		if (rc)
			goto out;
	}
	cds_lfht_for_each_entry (st->windows, &it, w, node) {
		uint64_t word = ld(&w->word);
		struct sl_state_entry e = {
		    .window = true,
		    .key = {{ld(&w->c0), ld(&w->c1)},
			    __atomic_load_n(&w->start, __ATOMIC_RELAXED),
			    __atomic_load_n(&w->len, __ATOMIC_RELAXED)},
		    .count = (uint32_t)(word >> MONEY_BITS),
		    .value = (sl_money_t)(word & MONEY_MASK)};

		rc = fn(ctx, &e);
		if (rc)
			goto out;
	}
out:
	rcu_read_unlock();
	return rc;
}

const char *sl_state_rc_name(enum sl_state_rc rc)
{
	switch (rc) {
	case SL_STATE_OK:
		return "ok";
	case SL_STATE_OVER_LIMIT:
		return "over_limit";
	case SL_STATE_NO_NODE:
		return "pool_exhausted";
	case SL_STATE_WAL_FULL:
		return "wal_full";
	case SL_STATE_TOO_OLD:
		return "year_not_kept";
	case SL_STATE_BAD_ARG:
		return "bad_argument";
	}
	return "unknown";
}
