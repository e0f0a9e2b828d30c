/* Two writers racing on one buyer and one consignee window, under
 * ThreadSanitizer (built by tests/unit/CMakeLists.txt as test_state_tsan).
 * A plain program rather than a Criterion test: Criterion's forking runner
 * cannot map its arena beside TSan's shadow memory.  Exit status 0 when
 * every invariant holds; TSan aborts on any report (halt_on_error). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <urcu-qsbr.h>

#include <sluice/state.h>

#define CNY(x) ((sl_money_t)(x)*SL_MONEY_ONE)
#define LIMIT  CNY(26000)
#define ROUNDS 20000
#define BUYER  UINT64_C(11010519491231002)

static pthread_barrier_t start;

struct racer {
	struct sl_state *st;
	unsigned worker;
	sl_money_t released; /* amounts this thread was allowed to add */
	uint32_t parcels;    /* window adds that succeeded */
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct sl_window_key k = {{1, 2}, 29000000, 1440};
	sl_money_t tot;
	uint32_t c;
	int i;

	rcu_register_thread();
	pthread_barrier_wait(&start);
	for (i = 0; i < ROUNDS; i++) {
		sl_money_t amt = CNY(1) + (i % 7) * SL_MONEY_ONE / 3;

		if (sl_state_buyer_add(r->st, r->worker, BUYER, 2026, amt,
				       LIMIT, &tot) == SL_STATE_OK)
			r->released += amt;
		if (sl_state_window_add(r->st, r->worker, &k, 1, &c, &tot) ==
		    SL_STATE_OK)
			r->parcels++;
		/* new buyers too, so the table grows under both writers */
		sl_state_buyer_add(r->st, r->worker, (uint64_t)i + 1000, 2026,
				   1, LIMIT, &tot);
		if ((i & 63) == 0)
			rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

int main(void)
{
	struct sl_state_config cfg;
	struct racer r[2];
	struct sl_state *st;
	pthread_t t[2];
	char err[256];
	sl_money_t total;
	int i, bad = 0;

	rcu_register_thread();
	sl_state_config_defaults(&cfg);
	cfg.n_workers = 2;
	cfg.buyers_per_worker = 1 << 16;
	cfg.windows_per_worker = 16;
	st = sl_state_open(&cfg, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	pthread_barrier_init(&start, NULL, 2);
	rcu_thread_offline();
	for (i = 0; i < 2; i++) {
		r[i] = (struct racer){st, (unsigned)i, 0, 0};
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	rcu_thread_online();
	total = sl_state_buyer_total(st, BUYER, 2026);
	if (r[0].released + r[1].released > LIMIT) {
		fprintf(stderr, "released %lld past the limit\n",
			(long long)(r[0].released + r[1].released));
		bad = 1;
	}
	if (r[0].released + r[1].released != total) {
		fprintf(stderr, "threads released %lld, table holds %lld\n",
			(long long)(r[0].released + r[1].released),
			(long long)total);
		bad = 1;
	}
	if (r[0].parcels + r[1].parcels != 2 * ROUNDS) {
		fprintf(stderr, "window counted %u parcels of %d\n",
			r[0].parcels + r[1].parcels, 2 * ROUNDS);
		bad = 1;
	}
	sl_state_close(st);
	rcu_unregister_thread();
	printf("state race: released %lld of limit %lld, %s\n",
	       (long long)total, (long long)LIMIT, bad ? "FAILED" : "ok");
	return bad;
}
