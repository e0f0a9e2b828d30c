/* Buyer totals and consignee windows: limits, calendar, durability across
 * restarts and crashes, torn logs, pools, and two writers racing on one
 * buyer (also built under ThreadSanitizer as test_state_tsan). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include <sluice/state.h>

#define CNY(x) ((sl_money_t)(x)*SL_MONEY_ONE)
#define LIMIT  CNY(26000)

static char dir[256];

static void setup(void)
{
	rcu_register_thread();
	snprintf(dir, sizeof(dir), "/tmp/sluice-state-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];

	rcu_unregister_thread();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static struct sl_state *open_state(const char *d, unsigned workers)
{
	struct sl_state_config cfg;
	char err[512] = "";
	struct sl_state *st;

	sl_state_config_defaults(&cfg);
	cfg.dir = d;
	cfg.n_workers = workers;
	cfg.buyers_per_worker = 1 << 16;
	cfg.windows_per_worker = 1 << 16;
	cfg.sync = false; /* the page cache survives kill -9 */
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "open: %s", err);
	return st;
}

static const char *id1 = "11010519491231002X";

TestSuite(state, .init = setup, .fini = teardown);

/* 2026-12-31T23:59:59+08:00 and the second after it. */
#define T_DEC31_2359 INT64_C(1798732799)
#define T_JAN01_0000 INT64_C(1798732800)

Test(state, calendar_is_china_standard_time)
{
	cr_expect_eq(sl_cst_year(T_DEC31_2359), 2026);
	cr_expect_eq(sl_cst_year(T_JAN01_0000), 2027);
	/* 2026-12-31T20:00:00-05:00 is already 2027 in Beijing. */
	cr_expect_eq(sl_cst_year(T_JAN01_0000 + 1), 2027);
	cr_expect_eq(sl_cst_year(0), 1970);
	cr_expect_eq(sl_cst_year(-8 * 3600 - 1), 1969);
	cr_expect_eq(sl_cst_minute(T_JAN01_0000) % 1440, 0);
	cr_expect_eq(sl_cst_minute(T_DEC31_2359) % 1440, 1439);
	/* 2024-02-29T12:00+08:00: a leap day stays in its year. */
	cr_expect_eq(sl_cst_year(INT64_C(1709179200)), 2024);
}

Test(state, resident_id_packs_exactly)
{
	uint64_t k = sl_state_buyer_key(1, id1, 18);

	cr_expect_eq(k, UINT64_C(11010519491231002));
	cr_expect(sl_state_buyer_key(2, id1, 18) >> 63, "passport is hashed");
	cr_expect_neq(sl_state_buyer_key(2, "E12345678", 9),
		      sl_state_buyer_key(3, "E12345678", 9));
}

Test(state, annual_limit_is_never_passed)
{
	struct sl_state *st = open_state(NULL, 1);
	uint64_t b = sl_state_buyer_key(1, id1, 18);
	sl_money_t tot;

	cr_assert_eq(
	    sl_state_buyer_add(st, 0, b, 2026, CNY(20000), LIMIT, &tot),
	    SL_STATE_OK);
	cr_expect_eq(tot, CNY(20000));
	cr_expect_eq(
	    sl_state_buyer_add(st, 0, b, 2026, CNY(6000) + 1, LIMIT, &tot),
	    SL_STATE_OVER_LIMIT);
	cr_expect_eq(tot, CNY(20000), "a refused add changes nothing");
	cr_expect_eq(sl_state_buyer_add(st, 0, b, 2026, CNY(6000), LIMIT, &tot),
		     SL_STATE_OK, "exactly the limit is allowed");
	cr_expect_eq(tot, LIMIT);
	cr_expect_eq(sl_state_buyer_add(st, 0, b, 2026, 1, LIMIT, &tot),
		     SL_STATE_OVER_LIMIT);
	/* A new year starts from zero; the old year is still kept. */
	cr_expect_eq(sl_state_buyer_add(st, 0, b, 2027, CNY(100), LIMIT, &tot),
		     SL_STATE_OK);
	cr_expect_eq(tot, CNY(100));
	cr_expect_eq(sl_state_buyer_total(st, b, 2026), LIMIT);
	cr_expect_eq(sl_state_buyer_add(st, 0, b, 2026, 1, LIMIT, &tot),
		     SL_STATE_OVER_LIMIT, "late Dec 31 parcel still counted");
	/* 2028 reuses 2026's slot; then 2026 is no longer known. */
	cr_expect_eq(sl_state_buyer_add(st, 0, b, 2028, CNY(1), LIMIT, &tot),
		     SL_STATE_OK);
	cr_expect_eq(sl_state_buyer_add(st, 0, b, 2026, CNY(1), LIMIT, &tot),
		     SL_STATE_TOO_OLD);
	cr_expect_eq(sl_state_buyer_total(st, b, 2027), CNY(100));
	sl_state_close(st);
}

Test(state, windows_count_and_sum)
{
	struct sl_state *st = open_state(NULL, 2);
	struct sl_window_key k = {{1, 2}, 1000, 1440};
	struct sl_window_key k2 = {{1, 2}, 2440, 1440};
	sl_money_t v;
	uint32_t c;
	int i;

	for (i = 1; i <= 3; i++) {
		cr_assert_eq(
		    sl_state_window_add(st, i & 1, &k, CNY(10), &c, &v),
		    SL_STATE_OK);
		cr_expect_eq(c, (uint32_t)i);
		cr_expect_eq(v, CNY(10) * i);
	}
	cr_assert_eq(sl_state_window_add(st, 0, &k2, CNY(5), &c, &v),
		     SL_STATE_OK);
	cr_expect_eq(c, 1, "the next window starts afresh");
	cr_expect_eq(v, CNY(5));
	sl_state_close(st);
}

Test(state, restart_continues_the_totals)
{
	struct sl_state *st = open_state(dir, 2);
	uint64_t b = sl_state_buyer_key(1, id1, 18);
	struct sl_window_key k = {{7, 8}, 5000, 1440};
	struct sl_state_stats s;
	sl_money_t tot;
	uint32_t c;

	cr_assert_eq(
	    sl_state_buyer_add(st, 1, b, 2026, CNY(25000), LIMIT, &tot),
	    SL_STATE_OK);
	cr_assert_eq(sl_state_window_add(st, 0, &k, CNY(3), &c, &tot),
		     SL_STATE_OK);
	cr_assert_eq(sl_state_flush(st), 0);
	cr_assert_eq(sl_state_close(st), 0);

	st = open_state(dir, 1); /* worker count may change */
	cr_expect_eq(sl_state_buyer_total(st, b, 2026), CNY(25000));
	cr_expect_eq(
	    sl_state_buyer_add(st, 0, b, 2026, CNY(1000) + 1, LIMIT, &tot),
	    SL_STATE_OVER_LIMIT);
	cr_expect_eq(sl_state_window_add(st, 0, &k, CNY(3), &c, &tot),
		     SL_STATE_OK);
	cr_expect_eq(c, 2);
	cr_expect_eq(tot, CNY(6));
	sl_state_stats(st, &s);
	cr_expect_eq(s.buyers, 1);
	cr_expect_eq(s.windows, 1);
	sl_state_close(st);
}

Test(state, second_process_is_refused)
{
	struct sl_state *st = open_state(dir, 1), *st2;
	struct sl_state_config cfg;
	char err[512] = "";

	sl_state_config_defaults(&cfg);
	cfg.dir = dir;
	cfg.buyers_per_worker = cfg.windows_per_worker = 16;
	/* flock locks are per open file description: a second open in the
	 * same process conflicts like another process would. */
	st2 = sl_state_open(&cfg, err, sizeof(err));
	cr_expect_null(st2);
	cr_expect(strstr(err, "in use"), "message: %s", err);
	sl_state_close(st);
}

/* A child adds, flushes part of its work, adds more and dies by SIGKILL:
 * everything flushed survives, nothing else appears. */
Test(state, kill_9_loses_nothing_flushed)
{
	uint64_t b1 = sl_state_buyer_key(1, id1, 18);
	uint64_t b2 = sl_state_buyer_key(2, "P1234567", 8);
	struct sl_state *st;
	sl_money_t tot;
	pid_t pid;
	int ws, i;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) { /* registered already: fork copies the thread */
		st = open_state(dir, 1);
		for (i = 0; i < 100; i++)
			sl_state_buyer_add(st, 0, b1, 2026, CNY(10), LIMIT,
					   &tot);
		sl_state_flush(st);
		sl_state_buyer_add(st, 0, b2, 2026, CNY(10), LIMIT, &tot);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	st = open_state(dir, 1);
	cr_expect_eq(sl_state_buyer_total(st, b1, 2026), CNY(1000));
	cr_expect_eq(sl_state_buyer_total(st, b2, 2026), 0);
	sl_state_close(st);
}

static void append_garbage(const char *d)
{
	char cmd[600];

	/* The newest WAL is the one a crash would have torn. */
	snprintf(
	    cmd, sizeof(cmd),
	    "f=$(ls '%s'/wal.* | sort | tail -n 1) && "
	    "printf 'SBLK\\001\\000\\000\\000garbage-torn-write' >> \"$f\"",
	    d);
	cr_assert_eq(system(cmd), 0);
}

Test(state, torn_wal_tail_is_cut)
{
	uint64_t b = sl_state_buyer_key(1, id1, 18);
	struct sl_state_stats s;
	struct sl_state *st;
	sl_money_t tot;
	pid_t pid;
	int ws;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) { /* registered already: fork copies the thread */
		st = open_state(dir, 1);
		sl_state_buyer_add(st, 0, b, 2026, CNY(700), LIMIT, &tot);
		sl_state_flush(st);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	append_garbage(dir);
	st = open_state(dir, 1);
	sl_state_stats(st, &s);
	cr_expect_gt(s.torn_bytes, 0);
	cr_expect_eq(s.replayed, 1);
	cr_expect_eq(sl_state_buyer_total(st, b, 2026), CNY(700));
	sl_state_close(st);
	/* And the cut file reads cleanly the next time. */
	st = open_state(dir, 1);
	sl_state_stats(st, &s);
	cr_expect_eq(s.torn_bytes, 0);
	cr_expect_eq(sl_state_buyer_total(st, b, 2026), CNY(700));
	sl_state_close(st);
}

Test(state, damaged_snapshot_is_refused)
{
	struct sl_state *st = open_state(dir, 1);
	struct sl_state_config cfg;
	char err[512] = "", cmd[600];
	sl_money_t tot;

	sl_state_buyer_add(st, 0, 42, 2026, CNY(1), LIMIT, &tot);
	sl_state_close(st);
	snprintf(cmd, sizeof(cmd),
		 "f=$(ls '%s'/snap.* | tail -n 1) && "
		 "printf 'XXXXXXXX' | dd of=\"$f\" bs=1 seek=40 conv=notrunc "
		 "status=none",
		 dir);
	cr_assert_eq(system(cmd), 0);
	sl_state_config_defaults(&cfg);
	cfg.dir = dir;
	cfg.buyers_per_worker = cfg.windows_per_worker = 16;
	cr_expect_null(sl_state_open(&cfg, err, sizeof(err)));
	cr_expect(strstr(err, "damaged"), "message: %s", err);
}

Test(state, pool_exhaustion_is_reported)
{
	struct sl_state_config cfg;
	struct sl_state_stats s;
	struct sl_state *st;
	char err[256];
	sl_money_t tot;

	sl_state_config_defaults(&cfg);
	cfg.buyers_per_worker = 2;
	cfg.windows_per_worker = 2;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "%s", err);
	cr_expect_eq(sl_state_buyer_add(st, 0, 1, 2026, 1, LIMIT, &tot),
		     SL_STATE_OK);
	cr_expect_eq(sl_state_buyer_add(st, 0, 2, 2026, 1, LIMIT, &tot),
		     SL_STATE_OK);
	cr_expect_eq(sl_state_buyer_add(st, 0, 3, 2026, 1, LIMIT, &tot),
		     SL_STATE_NO_NODE);
	cr_expect_eq(sl_state_buyer_add(st, 0, 1, 2026, 1, LIMIT, &tot),
		     SL_STATE_OK, "known buyers still work");
	sl_state_stats(st, &s);
	cr_expect_eq(s.no_node, 1);
	sl_state_close(st);
}

Test(state, wal_ring_full_is_refused_until_flushed)
{
	struct sl_state_config cfg;
	struct sl_state *st;
	char err[256];
	sl_money_t tot;

	sl_state_config_defaults(&cfg);
	cfg.dir = dir;
	cfg.wal_ring = 2;
	cfg.buyers_per_worker = cfg.windows_per_worker = 16;
	cfg.sync = false;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "%s", err);
	cr_expect_eq(sl_state_buyer_add(st, 0, 1, 2026, 1, LIMIT, &tot),
		     SL_STATE_OK);
	cr_expect_eq(sl_state_buyer_add(st, 0, 1, 2026, 1, LIMIT, &tot),
		     SL_STATE_OK);
	cr_expect_eq(sl_state_appended(st, 0), 2);
	cr_expect_eq(sl_state_durable(st, 0), 0);
	cr_expect_eq(sl_state_buyer_add(st, 0, 1, 2026, 1, LIMIT, &tot),
		     SL_STATE_WAL_FULL);
	cr_expect_eq(sl_state_buyer_total(st, 1, 2026), 2,
		     "a refused add changes nothing");
	cr_assert_eq(sl_state_flush(st), 0);
	cr_expect_eq(sl_state_durable(st, 0), 2);
	cr_expect_eq(sl_state_buyer_add(st, 0, 1, 2026, 1, LIMIT, &tot),
		     SL_STATE_OK);
	sl_state_close(st);
}

Test(state, old_windows_expire_and_nodes_are_reused)
{
	struct sl_state_config cfg;
	struct sl_state_stats s;
	struct sl_state *st;
	struct sl_window_key k = {{1, 1}, 0, 1440};
	char err[256];
	sl_money_t v;
	uint32_t c, day;

	sl_state_config_defaults(&cfg);
	cfg.windows_per_worker = 4;
	cfg.window_grace_s = 86400;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "%s", err);
	/* Day after day, one window each: with 4 nodes and a one-day grace,
	 * checkpoints must hand expired nodes back for this to go on. */
	for (day = 20000; day < 20040; day++) {
		k.start_min = day * 1440;
		cr_assert_eq(sl_state_window_add(st, 0, &k, 1, &c, &v),
			     SL_STATE_OK, "day %u", day);
		cr_assert_eq(sl_state_checkpoint(st), 0);
	}
	sl_state_stats(st, &s);
	cr_expect_leq(s.windows, 3);
	cr_expect_geq(s.expired, 37);
	sl_state_close(st);
}

/* ------------------------------------------------------------- racing */

static pthread_barrier_t start;

struct racer {
	struct sl_state *st;
	unsigned worker;
	uint64_t buyer;
	sl_money_t released; /* sum of amounts this thread got OK for */
};

static void *race(void *arg)
{
	struct racer *r = arg;
	sl_money_t tot;
	int i;

	rcu_register_thread();
	pthread_barrier_wait(&start);
	for (i = 0; i < 20000; i++) {
		sl_money_t amt = CNY(1) + (i % 7) * SL_MONEY_ONE / 3;

		if (sl_state_buyer_add(r->st, r->worker, r->buyer, 2026, amt,
				       LIMIT, &tot) == SL_STATE_OK)
			r->released += amt;
		/* Many buyers too, so the table grows (and resizes) under
		 * both writers. */
		sl_state_buyer_add(r->st, r->worker, (uint64_t)i + 1000, 2026,
				   1, LIMIT, &tot);
		if ((i & 63) == 0)
			rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

Test(race, two_writers_never_pass_the_limit)
{
	struct sl_state_config cfg;
	struct racer r[2];
	pthread_t t[2];
	struct sl_state *st;
	char err[256];
	uint64_t b = sl_state_buyer_key(1, id1, 18);
	int i;

	rcu_register_thread();
	sl_state_config_defaults(&cfg);
	cfg.n_workers = 2;
	cfg.buyers_per_worker = 1 << 16;
	cfg.windows_per_worker = 16;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "%s", err);
	rcu_thread_offline(); /* the main thread only waits */
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		r[i] = (struct racer){st, (unsigned)i, b, 0};
		cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	rcu_thread_online();
	cr_expect_leq(r[0].released + r[1].released, LIMIT);
	cr_expect_eq(r[0].released + r[1].released,
		     sl_state_buyer_total(st, b, 2026),
		     "every successful add is in the total exactly once");
	cr_expect_gt(r[0].released + r[1].released, LIMIT - CNY(4),
		     "the limit is actually reached");
	for (i = 1000; i < 21000; i += 997)
		cr_expect_eq(sl_state_buyer_total(st, (uint64_t)i, 2026), 2,
			     "buyer %d added once by each writer", i);
	sl_state_close(st);
	rcu_unregister_thread();
}

/* A buyer whose slots are two years old is expired by a checkpoint while a
 * worker brings it back with this year's parcel: the worker's add must
 * never land on the node the checkpoint unlinks (it would be lost, and the
 * buyer's annual total with it).  The worker's years run forward batch by
 * batch, so the checkpoints keep the table small and run often. */
struct reviver {
	struct sl_state *st;
	volatile int done;
	unsigned batches;
	uint64_t lost; /* this year's parcels not in the total right after */
};

static void *revive(void *arg)
{
	struct reviver *r = arg;
	sl_money_t tot;
	unsigned i;
	uint64_t j;

	rcu_register_thread();
	pthread_barrier_wait(&start);
	for (i = 0; i < r->batches; i++) {
		int year = 2000 + (int)i;
		uint64_t k = (uint64_t)i * 64 + 1;

		/* six years old (the same slot parity): expired at once */
		for (j = k; j < k + 64; j++)
			sl_state_buyer_add(r->st, 0, j, year - 6, 1, LIMIT,
					   &tot);
		for (j = k; j < k + 64; j++)
			sl_state_buyer_add(r->st, 0, j, year, 1, LIMIT, &tot);
		/* nothing of `year` can expire before year + 2 is seen */
		for (j = k; j < k + 64; j++)
			r->lost += sl_state_buyer_total(r->st, j, year) != 1;
		rcu_quiescent_state();
	}
	r->done = 1;
	rcu_unregister_thread();
	return NULL;
}

static void *expire(void *arg)
{
	struct reviver *r = arg;

	rcu_register_thread();
	pthread_barrier_wait(&start);
	while (!r->done)
		sl_state_checkpoint(r->st);
	rcu_unregister_thread();
	return NULL;
}

Test(race, expiry_never_loses_a_revived_buyer)
{
	struct sl_state_config cfg;
	struct sl_state_stats s;
	pthread_t t[2];
	struct sl_state *st;
	char err[256];
	uint64_t lost = 0, expired = 0;
	int round;

	rcu_register_thread();
	sl_state_config_defaults(&cfg);
	cfg.n_workers = 1;
	cfg.buyers_per_worker = 1 << 20;
	/* The race is a window of a few instructions: rounds of fresh state
	 * (the years must run forward) to meet it often without the fix. */
	for (round = 0; round < 6; round++) {
		struct reviver r = {.batches = 20000};

		st = sl_state_open(&cfg, err, sizeof(err));
		cr_assert_not_null(st, "%s", err);
		r.st = st;
		rcu_thread_offline();
		pthread_barrier_init(&start, NULL, 2);
		cr_assert_eq(pthread_create(&t[0], NULL, revive, &r), 0);
		cr_assert_eq(pthread_create(&t[1], NULL, expire, &r), 0);
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		pthread_barrier_destroy(&start);
		rcu_thread_online();
		sl_state_stats(st, &s);
		lost += r.lost;
		expired += s.expired;
		sl_state_close(st);
	}
	cr_expect_eq(lost, 0,
		     "%" PRIu64 " buyers lost this year's parcel (%" PRIu64
		     " expired)",
		     lost, expired);
	cr_expect_gt(expired, 0, "the checkpoints expired buyers");
	rcu_unregister_thread();
}
