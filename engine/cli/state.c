/* sluice — `sluice state DIR`: what a state directory holds, for operators
 * and for the crash tests (docs/state.md, docs/reliability.md).
 *
 * Opens the state read-only (a shared lock: refused while an engine has
 * the directory), replays it exactly as the engine would at start (with
 * --verdict-log, leaving out the changes whose verdicts the log lacks) and
 * prints one JSON line per buyer year and per consignee window, sorted, so
 * that two directories can be compared with diff.  Nothing is written.
 *
 * Plane: control plane only (a one-shot tool).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include <sluice/state.h>
#include <sluice/vlog.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: sluice state [--verdict-log FILE] DIR\n"
	       "\n"
	       "Prints what the state directory DIR (sluice screen/run "
	       "--state) holds,\n"
	       "one JSON object per line, sorted:\n"
	       "  {\"buyer\":KEY,\"year\":Y,\"released\":\"CNY\"}           "
	       "a buyer's released total\n"
	       "  {\"window\":KEY,\"start\":MIN,\"minutes\":LEN,"
	       "\"parcels\":N,\"value\":\"CNY\"}\n"
	       "                                                     a "
	       "consignee's split window\n"
	       "KEY is the buyer key (docs/state.md) or the consignee hash in "
	       "hex; MIN is\n"
	       "minutes since 1970-01-01 00:00 China Standard Time.  The "
	       "directory is\n"
	       "read as an engine would read it at start, and nothing is "
	       "written; while\n"
	       "an engine runs on DIR it is refused.\n"
	       "\n"
	       "options:\n"
	       "      --verdict-log FILE  the verdict log that commits DIR's "
	       "changes: leave\n"
	       "                 out those whose verdicts it does not hold, as "
	       "a restart\n"
	       "                 would (without it, every change on disk "
	       "counts)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "exit status: 0 printed, 1 unreadable, 2 usage error.\n");
}

struct line {
	char s[160];
};

struct collect {
	struct line *l;
	size_t n, cap;
	int err;
};

static void money(char *buf, size_t cap, sl_money_t m)
{
	snprintf(buf, cap, "%" PRId64 ".%05" PRId64, m / SL_MONEY_ONE,
		 m % SL_MONEY_ONE);
}

static struct line *next_line(struct collect *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct line *nl = realloc(c->l, cap * sizeof(*nl));

		if (!nl) {
			c->err = -ENOMEM;
			return NULL;
		}
		c->l = nl;
		c->cap = cap;
	}
	return &c->l[c->n++];
}

static int collect(void *ctx, const struct sl_state_entry *e)
{
	struct collect *c = ctx;
	struct line *l;
	char m[40];
	unsigned p;

	if (!e->window) {
		for (p = 0; p < 2; p++) {
			if (!e->year[p])
				continue;
			l = next_line(c);
			if (!l)
				return 1;
			money(m, sizeof(m), e->total[p]);
			snprintf(l->s, sizeof(l->s),
				 "{\"buyer\":\"%016" PRIx64
				 "\",\"year\":%d,\"released\":\"%s\"}",
				 e->buyer, e->year[p], m);
		}
		return 0;
	}
	l = next_line(c);
	if (!l)
		return 1;
	money(m, sizeof(m), e->value);
	snprintf(l->s, sizeof(l->s),
		 "{\"window\":\"%016" PRIx64 "%016" PRIx64
		 "\",\"start\":%u,\"minutes\":%u,\"parcels\":%u,\"value\":"
		 "\"%s\"}",
		 e->key.consignee[0], e->key.consignee[1], e->key.start_min,
		 e->key.len_min, e->count, m);
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->s, ((const struct line *)b)->s);
}

/* The identity and verdict count of a log, without opening it for
 * writing: the id is the header's hash, which sl_vlog_verify_file's
 * visitor hands over with line 1. */
struct log_info {
	uint8_t id[SL_STATE_LOG_ID_LEN];
	bool have_id;
};

static int log_visit(void *ctx, const struct sl_vlog_rec *rec)
{
	struct log_info *li = ctx;
	const char *h;
	unsigned i, v;

	if (rec->lineno != 1 || !rec->verified ||
	    rec->kind != SL_VLOG_REC_HEADER)
		return 0;
	h = strstr(rec->line, ",\"h\":\"");
	if (!h || (size_t)(rec->line + rec->len - h) < 6 + 2 * sizeof(li->id))
		return 0;
	h += 6;
	for (i = 0; i < sizeof(li->id); i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return 0;
		li->id[i] = (uint8_t)v;
	}
	li->have_id = true;
	return 0;
}

int sl_cmd_state(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"verdict-log", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	struct sl_state_config cfg;
	struct sl_state_stats ss;
	struct collect col = {0};
	struct log_info li = {.have_id = false};
	struct sl_state *st;
	const char *log = NULL;
	char err[512];
	int c, rc = SL_EXIT_OK;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return SL_EXIT_OK;
		case 'l':
			log = optarg;
			break;
		default:
			usage(stderr);
			return SL_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return SL_EXIT_USAGE;
	}
	sl_state_config_defaults(&cfg);
	cfg.dir = argv[optind];
	cfg.read_only = true;
	if (log) {
		struct sl_vlog_verify_opts o = {
		    .unknown_key_ok = true, .visit = log_visit, .ctx = &li};
		struct sl_vlog_report rep;

		if (sl_vlog_verify_file(log, &o, &rep) < 0 ||
		    (rep.status != SL_VLOG_OK && rep.status != SL_VLOG_TORN) ||
		    !li.have_id) {
			fprintf(stderr,
				"sluice state: %s: not a verdict log that "
				"verifies (sluice-audit verify says more)\n",
				log);
			return SL_EXIT_IO;
		}
		cfg.log_id = li.id;
		cfg.log_verdicts = rep.verdicts;
	}
	rcu_register_thread();
	st = sl_state_open(&cfg, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "sluice state: %s\n", err);
		rc = SL_EXIT_IO;
		goto unregister;
	}
	(void)sl_state_foreach(st, collect, &col);
	sl_state_stats(st, &ss);
	sl_state_close(st);
	if (col.err) {
		fprintf(stderr, "sluice state: out of memory\n");
		rc = SL_EXIT_IO;
		goto unregister;
	}
	if (col.n)
		qsort(col.l, col.n, sizeof(*col.l), cmp_line);
	for (i = 0; i < col.n; i++)
		puts(col.l[i].s);
	fprintf(stderr,
		"sluice state: %s: %llu buyers, %llu windows; %llu records "
		"replayed, %llu torn bytes, %llu changes left out (verdict "
		"not logged), %llu WAL files of another log\n",
		argv[optind], (unsigned long long)ss.buyers,
		(unsigned long long)ss.windows, (unsigned long long)ss.replayed,
		(unsigned long long)ss.torn_bytes,
		(unsigned long long)ss.uncommitted,
		(unsigned long long)ss.foreign);
	if (fflush(stdout) != 0)
		rc = SL_EXIT_IO;
unregister:
	free(col.l);
	rcu_unregister_thread();
	return rc;
}
