/* The verdict log as the state's commit record (docs/reliability.md):
 * changes tagged with verdict ordinals, dropped at open when their
 * verdicts never reached the log; the DPDK log thread's staging; WAL
 * rotation and compaction from files; read-only inspection; the log
 * writer's pre-commit hook and identity; the set of recent verdicts that
 * answers declarations sent again. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include <sluice/replay.h>
#include <sluice/state.h>
#include <sluice/verdict.h>
#include <sluice/vlog.h>

#define CNY(x) ((sl_money_t)(x)*SL_MONEY_ONE)
#define LIMIT  CNY(26000)

static char dir[256];
static const uint8_t log_a[SL_STATE_LOG_ID_LEN] = "log-A-0123456789";
static const uint8_t log_b[SL_STATE_LOG_ID_LEN] = "log-B-0123456789";

static void setup(void)
{
	rcu_register_thread();
	snprintf(dir, sizeof(dir), "/tmp/sluice-commit-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];

	rcu_unregister_thread();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

TestSuite(commit, .init = setup, .fini = teardown);

struct opts {
	const uint8_t *log_id;
	uint64_t horizon;
	unsigned workers;
	bool staged, read_only;
};

static struct sl_state *open_st(const struct opts *o)
{
	struct sl_state_config cfg;
	char err[512] = "";
	struct sl_state *st;

	sl_state_config_defaults(&cfg);
	cfg.dir = dir;
	cfg.n_workers = o->workers ? o->workers : 1;
	cfg.buyers_per_worker = 1 << 14;
	cfg.windows_per_worker = 1 << 14;
	cfg.sync = false; /* the page cache survives kill -9 */
	cfg.log_id = o->log_id;
	cfg.log_verdicts = o->horizon;
	cfg.staged = o->staged;
	cfg.read_only = o->read_only;
	st = sl_state_open(&cfg, err, sizeof(err));
	cr_assert_not_null(st, "open: %s", err);
	return st;
}

static void die(void)
{
	kill(getpid(), SIGKILL);
	_exit(3);
}

static void wait_killed(pid_t pid)
{
	int ws;

	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL,
		  "the child did not die by SIGKILL");
}

static struct sl_window_key wk = {{11, 22}, 29000000, 1440};

/* A process that tagged its changes with the ordinals 0, 1, 2 (verdicts
 * 0 and 1 reached the log, 2 did not) and was killed after flushing. */
static void crash_after_three(const uint8_t *id)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct opts o = {.log_id = id};
		struct sl_state *st = open_st(&o);
		sl_money_t tot;
		uint32_t c;

		sl_state_tag(st, 0, 0);
		sl_state_buyer_add(st, 0, 7, 2026, CNY(100), LIMIT, &tot);
		sl_state_tag(st, 0, 1);
		sl_state_window_add(st, 0, &wk, CNY(200), &c, &tot);
		sl_state_buyer_add(st, 0, 7, 2026, CNY(200), LIMIT, &tot);
		sl_state_tag(st, 0, 2);
		sl_state_window_add(st, 0, &wk, CNY(400), &c, &tot);
		sl_state_buyer_add(st, 0, 7, 2026, CNY(400), LIMIT, &tot);
		sl_state_flush(st);
		die();
	}
	wait_killed(pid);
}

struct win {
	uint32_t count;
	sl_money_t value;
};

static int find_window(void *ctx, const struct sl_state_entry *e)
{
	struct win *w = ctx;

	if (e->window && e->key.consignee[0] == wk.consignee[0]) {
		w->count = e->count;
		w->value = e->value;
	}
	return 0;
}

Test(commit, changes_whose_verdicts_were_not_logged_are_dropped)
{
	struct opts o = {.log_id = log_a, .horizon = 2};
	struct sl_state_stats s;
	struct sl_state *st;
	struct win w = {0};

	crash_after_three(log_a);
	st = open_st(&o);
	cr_expect_eq(sl_state_buyer_total(st, 7, 2026), CNY(300),
		     "verdicts 0 and 1 count, verdict 2 was never logged");
	sl_state_foreach(st, find_window, &w);
	cr_expect_eq(w.count, 1);
	cr_expect_eq(w.value, CNY(200));
	sl_state_stats(st, &s);
	cr_expect_eq(s.uncommitted, 2, "two changes of verdict 2 dropped");
	sl_state_close(st);
	/* The dropped change does not come back when the log grows: the
	 * open made a snapshot without it. */
	o.horizon = 100;
	st = open_st(&o);
	cr_expect_eq(sl_state_buyer_total(st, 7, 2026), CNY(300));
	sl_state_close(st);
}

Test(commit, a_wal_of_another_log_is_kept_whole)
{
	struct opts o = {.log_id = log_b, .horizon = 0};
	struct sl_state_stats s;
	struct sl_state *st;

	crash_after_three(log_a);
	st = open_st(&o);
	/* Nothing to check the tags against: holding more is the safe
	 * side. */
	cr_expect_eq(sl_state_buyer_total(st, 7, 2026), CNY(700));
	sl_state_stats(st, &s);
	cr_expect_eq(s.foreign, 1);
	cr_expect_eq(s.uncommitted, 0);
	sl_state_close(st);
}

Test(commit, without_a_log_every_change_counts)
{
	struct opts o = {0};
	struct sl_state *st;

	crash_after_three(log_a);
	st = open_st(&o);
	cr_expect_eq(sl_state_buyer_total(st, 7, 2026), CNY(700));
	sl_state_close(st);
}

/* The DPDK log thread: workers tag with their own verdict numbers, the
 * log thread stages each verdict's changes under its log ordinal, in log
 * order; a decision whose verdict was never handed over is an orphan. */
Test(commit, staged_changes_take_their_verdicts_ordinals)
{
	struct opts o = {.log_id = log_a, .workers = 2, .staged = true};
	struct sl_state_stats s;
	struct sl_state *st;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sl_money_t tot;

		st = open_st(&o);
		sl_state_tag(st, 0, 0);
		sl_state_buyer_add(st, 0, 1, 2026, CNY(100), LIMIT, &tot);
		sl_state_tag(st, 0, 1); /* its verdict is lost */
		sl_state_buyer_add(st, 0, 1, 2026, CNY(50), LIMIT, &tot);
		sl_state_tag(st, 0, 2);
		sl_state_buyer_add(st, 0, 1, 2026, CNY(10), LIMIT, &tot);
		sl_state_tag(st, 1, 0);
		sl_state_buyer_add(st, 1, 2, 2026, CNY(1000), LIMIT, &tot);
		if (sl_state_stage(st, 1, 0, 0) != 1 ||
		    sl_state_stage(st, 0, 0, 1) != 1 ||
		    sl_state_stage(st, 0, 2, 2) != 1)
			_exit(4);
		/* Records not staged are not written by a flush. */
		sl_state_tag(st, 1, 1);
		sl_state_buyer_add(st, 1, 2, 2026, CNY(5000), LIMIT, &tot);
		sl_state_flush(st);
		sl_state_stats(st, &s);
		if (s.orphans != 1)
			_exit(5);
		die();
	}
	wait_killed(pid);
	o.horizon = 2; /* ordinals 0 and 1 are in the log */
	o.staged = false;
	st = open_st(&o);
	cr_expect_eq(sl_state_buyer_total(st, 2, 2026), CNY(1000));
	cr_expect_eq(sl_state_buyer_total(st, 1, 2026), CNY(100),
		     "ordinal 2 (+10) not logged, the orphan (+50) never "
		     "written, the unstaged +5000 neither");
	sl_state_stats(st, &s);
	cr_expect_eq(s.uncommitted, 1);
	sl_state_close(st);
}

Test(commit, stage_needs_staged_mode)
{
	struct opts o = {.log_id = log_a};
	struct sl_state *st = open_st(&o);

	cr_expect_eq(sl_state_stage(st, 0, 0, 0), -EINVAL);
	sl_state_close(st);
}

/* ------------------------------------------------------------ compaction */

/* The same changes, applied to a memory-only state, give the expected
 * table; the compacted directory must give the same. */
struct ops {
	uint64_t buyer;
	int year;
	sl_money_t amount;
	uint32_t window; /* consignee; 0 = none */
};

static void apply_op(struct sl_state *st, const struct ops *op)
{
	struct sl_window_key k = {{op->window, 1}, 29000000, 1440};
	sl_money_t tot;
	uint32_t c;

	if (op->window)
		sl_state_window_add(st, 0, &k, op->amount, &c, &tot);
	else
		sl_state_buyer_add(st, 0, op->buyer, op->year, op->amount,
				   LIMIT, &tot);
}

struct dump {
	char *buf;
	size_t len;
	FILE *f;
};

static int dump_entry(void *ctx, const struct sl_state_entry *e)
{
	FILE *f = ctx;

	if (e->window)
		fprintf(f, "w %llx %u %lld\n",
			(unsigned long long)e->key.consignee[0], e->count,
			(long long)e->value);
	else
		fprintf(f, "b %llx %d %lld %d %lld\n",
			(unsigned long long)e->buyer, e->year[0],
			(long long)e->total[0], e->year[1],
			(long long)e->total[1]);
	return 0;
}

/* A sorted text dump of the whole state. */
static char *dump_state(struct sl_state *st)
{
	char path[300], cmd[700], *out;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s.dump", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	sl_state_foreach(st, dump_entry, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sort -o '%s' '%s'", path, path);
	cr_assert_eq(system(cmd), 0);
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	out = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	return out;
}

static unsigned count_files(const char *prefix)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	while ((de = readdir(d)))
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

Test(commit, compaction_folds_closed_wals_exactly)
{
	struct ops op[600];
	struct opts o = {.log_id = log_a, .horizon = UINT64_MAX};
	struct sl_state_config mcfg;
	struct sl_state *mem, *st;
	struct sl_state_stats s;
	char err[256], *want, *got;
	unsigned i, n = 0;
	pid_t pid;

	/* Buyers over three years (a slot reused by the year after next),
	 * windows with many parcels, everything in several WALs. */
	for (i = 0; i < 600; i++) {
		op[n].buyer = i % 37;
		op[n].year = 2026 + (int)(i / 200);
		op[n].amount = CNY(1) + (sl_money_t)(i % 13) * SL_MONEY_ONE;
		op[n].window = i % 3 == 0 ? (uint32_t)(i % 11) + 1 : 0;
		n++;
	}
	sl_state_config_defaults(&mcfg);
	mcfg.buyers_per_worker = mcfg.windows_per_worker = 1 << 12;
	mem = sl_state_open(&mcfg, err, sizeof(err));
	cr_assert_not_null(mem, "%s", err);
	for (i = 0; i < n; i++)
		apply_op(mem, &op[i]);
	want = dump_state(mem);
	sl_state_close(mem);

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		st = open_st(&o);
		for (i = 0; i < n; i++) {
			sl_state_tag(st, 0, i);
			apply_op(st, &op[i]);
			if (i % 50 == 49) {
				sl_state_flush(st);
				if (sl_state_rotate(st) < 0)
					_exit(4);
			}
			if (i % 150 == 149 && sl_state_compact(st) < 0)
				_exit(5);
		}
		sl_state_flush(st);
		sl_state_stats(st, &s);
		if (s.compactions != 4)
			_exit(6);
		die(); /* no final checkpoint: the files must do */
	}
	wait_killed(pid);
	cr_expect_eq(count_files("snap."), 1, "compaction removes old files");
	o.read_only = true; /* reads the files as they are */
	st = open_st(&o);
	got = dump_state(st);
	sl_state_close(st);
	cr_expect_str_eq(got, want);
	free(got);
	free(want);
}

Test(commit, read_only_open_writes_nothing_and_is_refused_while_the_engine_runs)
{
	struct opts o = {.log_id = log_a, .horizon = 2};
	struct opts ro = {.log_id = log_a, .horizon = 2, .read_only = true};
	struct sl_state_config cfg;
	struct sl_state *st;
	char err[512] = "", cmd[2600];
	unsigned wals;

	crash_after_three(log_a);
	wals = count_files("wal.");
	/* every file's name, size and content hash, before and after */
	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && find . -type f -printf '%%p %%s\\n' | sort >'%s.1' "
	    "&& find . -type f -exec md5sum {} + | sort >>'%s.1'",
	    dir, dir, dir);
	cr_assert_eq(system(cmd), 0);
	st = open_st(&ro);
	cr_expect_eq(sl_state_buyer_total(st, 7, 2026), CNY(300));
	sl_state_close(st);
	cr_expect_eq(count_files("wal."), wals, "nothing rewritten");
	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && find . -type f -printf '%%p %%s\\n' | sort >'%s.2' "
	    "&& find . -type f -exec md5sum {} + | sort >>'%s.2' && "
	    "cmp -s '%s.1' '%s.2' && rm '%s.1' '%s.2'",
	    dir, dir, dir, dir, dir, dir, dir);
	cr_expect_eq(system(cmd), 0, "a read-only open changed the files");

	st = open_st(&o); /* the engine */
	sl_state_config_defaults(&cfg);
	cfg.dir = dir;
	cfg.read_only = true;
	cfg.buyers_per_worker = cfg.windows_per_worker = 16;
	cr_expect_null(sl_state_open(&cfg, err, sizeof(err)));
	cr_expect(strstr(err, "in use"), "message: %s", err);
	sl_state_close(st);
}

/* ------------------------------------------------------------ the log */

static int hook_calls;
static int hook_rc;
static char hook_path[300];
static long hook_size_seen;
static char hook_seq[16]; /* 'w' per write call, 's' per sync call */

static int hook(void *ctx, bool sync)
{
	FILE *f = fopen(hook_path, "r");
	size_t n = strlen(hook_seq);

	(void)ctx;
	if (n + 1 < sizeof(hook_seq))
		hook_seq[n] = sync ? 's' : 'w';
	hook_calls++;
	if (f) {
		fseek(f, 0, SEEK_END);
		hook_size_seen = ftell(f);
		fclose(f);
	}
	return hook_rc;
}

static void verdict(sl_verdict_t *v, const char *id, uint8_t kind)
{
	sl_verdict_init(v);
	snprintf(v->decl_id, sizeof(v->decl_id), "%s", id);
	v->has_decl_id = true;
	v->verdict = kind;
	snprintf(v->ruleset, sizeof(v->ruleset), "r1");
}

static struct sl_vlog *open_log_sync(const char *name, struct sl_replay *rp,
				     enum sl_vlog_sync sync)
{
	struct sl_vlog_config c;
	struct sl_vlog *log;
	char err[512];

	sl_vlog_config_init(&c);
	snprintf(hook_path, sizeof(hook_path), "%s/%s", dir, name);
	c.path = hook_path;
	c.sync = sync;
	c.group_records = 0;
	c.warn = NULL;
	if (rp) {
		c.open_visit = sl_replay_visit;
		c.open_visit_ctx = rp;
	}
	log = sl_vlog_open(&c, err, sizeof(err));
	cr_assert_not_null(log, "%s", err);
	return log;
}

static struct sl_vlog *open_log(const char *name, struct sl_replay *rp)
{
	return open_log_sync(name, rp, SL_VLOG_SYNC_NONE);
}

/* With fsync batch, each commit writes the state (w), then the group,
 * then syncs the state (s) before it syncs the log; with none, nothing is
 * synced until the close. */
Test(commit, the_state_is_synced_before_the_log_is)
{
	struct sl_vlog *log = open_log_sync("s.log", NULL, SL_VLOG_SYNC_BATCH);
	sl_verdict_t v;

	sl_vlog_set_pre_commit(log, hook, NULL);
	hook_rc = 0;
	memset(hook_seq, 0, sizeof(hook_seq));
	verdict(&v, "S1", SL_VERDICT_RELEASE);
	cr_assert_eq(sl_vlog_append(log, &v, 1), 1);
	cr_assert_eq(sl_vlog_commit(log), 0);
	cr_expect_str_eq(hook_seq, "ws");
	hook_rc = -EIO;
	cr_assert_eq(sl_vlog_append(log, &v, 1), 1);
	cr_expect_eq(sl_vlog_commit(log), -EIO, "a failed state write");
	sl_vlog_close(log);

	log = open_log_sync("n.log", NULL, SL_VLOG_SYNC_NONE);
	sl_vlog_set_pre_commit(log, hook, NULL);
	hook_rc = 0;
	memset(hook_seq, 0, sizeof(hook_seq));
	cr_assert_eq(sl_vlog_append(log, &v, 1), 1);
	cr_assert_eq(sl_vlog_commit(log), 0);
	cr_expect_str_eq(hook_seq, "w");
	sl_vlog_close(log);
	cr_expect_str_eq(hook_seq, "ws", "the close syncs, state first");
}

Test(commit, the_hook_runs_before_each_write_and_can_stop_it)
{
	struct sl_vlog *log = open_log("v.log", NULL);
	long size_before;
	sl_verdict_t v;
	FILE *f;

	sl_vlog_set_pre_commit(log, hook, NULL);
	hook_calls = 0;
	hook_rc = 0;
	cr_assert_eq(sl_vlog_commit(log), 0);
	cr_expect_eq(hook_calls, 0, "nothing buffered, nothing to commit");
	f = fopen(hook_path, "r");
	fseek(f, 0, SEEK_END);
	size_before = ftell(f);
	fclose(f);
	verdict(&v, "D1", SL_VERDICT_RELEASE);
	cr_assert_eq(sl_vlog_append(log, &v, 1), 1);
	hook_rc = -EIO;
	cr_expect_eq(sl_vlog_commit(log), -EIO);
	cr_expect_eq(hook_calls, 1);
	cr_expect_eq(hook_size_seen, size_before, "the hook runs first");
	f = fopen(hook_path, "r");
	fseek(f, 0, SEEK_END);
	cr_expect_eq(ftell(f), size_before, "a failed hook writes nothing");
	fclose(f);
	hook_rc = 0;
	cr_expect_eq(sl_vlog_commit(log), 0, "the next commit retries");
	cr_expect_eq(hook_calls, 2);
	f = fopen(hook_path, "r");
	fseek(f, 0, SEEK_END);
	cr_expect_gt(ftell(f), size_before);
	fclose(f);
	sl_vlog_close(log);
}

Test(commit, a_log_keeps_its_identity_across_opens)
{
	uint8_t a1[16], a2[16], b[16];
	struct sl_vlog *log;

	log = open_log("a.log", NULL);
	cr_assert_eq(sl_vlog_id(log, a1, sizeof(a1)), sizeof(a1));
	sl_vlog_close(log);
	log = open_log("a.log", NULL);
	cr_assert_eq(sl_vlog_id(log, a2, sizeof(a2)), sizeof(a2));
	sl_vlog_close(log);
	log = open_log("b.log", NULL);
	cr_assert_eq(sl_vlog_id(log, b, sizeof(b)), sizeof(b));
	sl_vlog_close(log);
	cr_expect_arr_eq(a1, a2, sizeof(a1));
	cr_expect_arr_neq(a1, b, sizeof(a1));
}

/* ------------------------------------------------------------- replay */

Test(commit, logged_verdicts_answer_once_in_log_order)
{
	struct sl_replay *rp =
	    sl_replay_new(4, SL_REPLAY_JSON | SL_REPLAY_MSGPACK);
	struct sl_replay_answer a;
	struct sl_vlog *log;
	sl_verdict_t v[6], back;
	char json[SL_VERDICT_JSON_MAX];
	size_t used;
	int n;

	/* D0 falls out of a window of four; D2 is logged twice (an
	 * amendment), first released then held. */
	verdict(&v[0], "D0", SL_VERDICT_RELEASE);
	verdict(&v[1], "D1", SL_VERDICT_HOLD);
	verdict(&v[2], "D2", SL_VERDICT_RELEASE);
	verdict(&v[3], "D3", SL_VERDICT_RELEASE);
	verdict(&v[4], "D2", SL_VERDICT_HOLD);
	log = open_log("r.log", NULL);
	cr_assert_eq(sl_vlog_append(log, v, 5), 5);
	sl_vlog_close(log);

	log = open_log("r.log", rp);
	sl_vlog_close(log);
	cr_assert_eq(sl_replay_seal(rp), 0);
	cr_expect_eq(sl_replay_count(rp), 4);
	cr_expect_not(sl_replay_take(rp, "D0", 2, SL_REPLAY_JSON, &a),
		      "outside the window");
	cr_assert(sl_replay_take(rp, "D2", 2, SL_REPLAY_JSON, &a));
	n = sl_verdict_to_json(&v[2], json, sizeof(json));
	cr_expect_eq(a.len, (size_t)n);
	cr_expect_arr_eq(a.bytes, json, (size_t)n,
			 "the line sluice screen printed");
	cr_expect_eq(a.verdict, SL_VERDICT_RELEASE);
	cr_assert(sl_replay_take(rp, "D2", 2, SL_REPLAY_MSGPACK, &a),
		  "the second D2");
	cr_assert_eq(sl_verdict_from_msgpack(a.bytes, a.len, &used, &back), 0);
	cr_expect_eq(back.verdict, SL_VERDICT_HOLD);
	cr_expect_str_eq(back.decl_id, "D2");
	cr_expect_not(sl_replay_take(rp, "D2", 2, SL_REPLAY_JSON, &a),
		      "each logged verdict answers once");
	cr_expect(sl_replay_take(rp, "D1", 2, SL_REPLAY_JSON, &a));
	cr_expect_not(sl_replay_take(rp, "D9", 2, SL_REPLAY_JSON, &a));
	cr_expect_eq(sl_replay_taken(rp), 3);
	sl_replay_free(rp);
}
