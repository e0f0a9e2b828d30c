/* sluice — `sluice run`: options, EAL, set-up, launch, teardown (main).
 *
 * Lifecycle after DPDK's l2fwd: parse our options, rte_eal_init with the
 * arguments after "--", allocate everything the workers will touch
 * (pools, rings, screeners, the first snapshot), start the control-plane
 * threads, rte_eal_mp_remote_launch on every lcore (the main lcore is a
 * worker too), wait, drain the log, print the totals, close the ports,
 * rte_eal_cleanup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring_elem.h>

#include <urcu-qsbr.h>

#include <sluice/config.h>
#include <sluice/replay.h>
#include <sluice/screen.h>
#include <sluice/state.h>
#include <sluice/vlog.h>

#include "engine.h"
#include "metrics.h"
#include "run.h"

#define DEF_CTL_DIR  "/run/sluice"
#define DEF_CTL_PATH DEF_CTL_DIR "/sluice.sock"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sluice run [OPTIONS] -- EAL-ARGS\n"
	    "\n"
	    "The DPDK engine: declarations arrive as UDP datagrams (port "
	    "%d, MessagePack\n"
	    "records, docs/wire.md) on every DPDK port, verdicts leave as "
	    "datagrams to\n"
	    "the sender and go to the verdict log.  One worker per EAL "
	    "lcore.\n"
	    "\n"
	    "options:\n"
	    "      --config FILE      engine configuration (YAML, "
	    "deploy/sluice.yaml): its\n"
	    "                         values are defaults the flags "
	    "override; without\n"
	    "                         EAL-ARGS its eal and ports sections "
	    "make them\n"
	    "  -r, --bundle FILE      rule bundle (default: the built-in "
	    "default bundle;\n"
	    "                         none found: every declaration is "
	    "held, NO_RULESET)\n"
	    "  -e, --registry FILE    enterprise registry CSV\n"
	    "      --state DIR        keep buyer quotas and shipment "
	    "history in DIR\n"
	    "      --verdict-log FILE append every verdict to this "
	    "tamper-evident log\n"
	    "      --vlog-opt KEY=VAL verdict log option (hash, key, "
	    "checkpoint, fsync,\n"
	    "                         group_records, group_ms, buffer; "
	    "docs/audit.md)\n"
	    "      --quarantine FILE  unreadable records, raw (default "
	    "sluice.quarantine)\n"
	    "      --ctl PATH         control socket (default %s; "
	    "\"none\": no socket)\n"
	    "      --until-idle MS    exit once no frame arrived for MS "
	    "milliseconds\n"
	    "      --port N           declaration UDP port (default %d)\n"
	    "      --ip A.B.C.D       the engine's IPv4 address: answer ARP "
	    "requests for it\n"
	    "      --rxd N, --txd N   descriptors per queue (default "
	    "1024)\n"
	    "      --log-ring N       log ring entries per worker (default "
	    "4096)\n"
	    "      --stats FILE       at exit, write the final stats "
	    "(JSON, as `sluicectl stats`)\n"
	    "      --metrics ADDR:PORT  serve Prometheus metrics at "
	    "http://ADDR:PORT/metrics\n"
	    "      --drain-timeout MS what `sluicectl drain` waits at most "
	    "(default 30000)\n"
	    "      --replay-window N  a declaration whose verdict is among "
	    "the verdict log's\n"
	    "                         last N (default 65536) is answered "
	    "with it, not decided\n"
	    "                         or logged again, for the first N "
	    "verdicts after a\n"
	    "                         start: sent again after a crash (0: "
	    "off)\n"
	    "      --state-rotate SIZE  fold the state's WAL into a "
	    "snapshot after SIZE\n"
	    "                         bytes (K, M suffixes; default 64M) or "
	    "a minute\n"
	    "  -q, --quiet            no summary on stderr\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Signals: SIGHUP reloads bundle and registry; SIGINT/SIGTERM "
	    "stop, drain and\n"
	    "print the totals.  `sluicectl stats|reload|ids|drain|resume|top|"
	    "shutdown`\n"
	    "talks to --ctl.\n"
	    "\n"
	    "Without a NIC or hugepages, e.g.:\n"
	    "  sluice run --until-idle 500 --verdict-log v.jsonl -- "
	    "--no-huge --no-pci \\\n"
	    "    --no-shconf --file-prefix=sl1 --no-telemetry -m 1024 -l 0 "
	    "\\\n"
	    "    --vdev=net_pcap0,rx_pcap=decls.pcap,tx_pcap=verdicts.pcap\n"
	    "\n"
	    "Exit status: 0 ran, 1 runtime failure, 2 usage error or "
	    "unusable bundle.\n",
	    SL_WIRE_PORT, DEF_CTL_PATH, SL_WIRE_PORT);
}

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *end || end == s || *out < min || *out > max ? -1 : 0;
}

/* Loads --config FILE (looked for before the other options, so that
 * flags override the file) into e->cfg and takes its values as defaults.
 * Returns 0 or -1 after printing the loader's FILE:LINE:COL message. */
static int apply_config(int argc, char **argv, struct sl_engine *e)
{
	struct sl_run_opts *o = &e->opt;
	const char *file = NULL;
	struct sl_config *c;
	char err[512];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			file = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			file = argv[i] + 9;
	}
	if (!file)
		return 0;
	c = sl_config_load(file, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	e->cfg = c;
	if (c->bundle[0])
		o->bundle = c->bundle;
	if (c->registry[0])
		o->registry = c->registry;
	if (c->state_dir[0])
		o->state_dir = c->state_dir;
	if (c->verdict_log[0])
		o->verdict_log = c->verdict_log;
	for (i = 0; i < (int)c->n_vlog_opts; i++) {
		/* Checked at load; a failure here is a loader bug. */
		if (sl_vlog_config_set(&e->vlog_cfg, c->vlog_opt[i].key,
				       c->vlog_opt[i].value, err,
				       sizeof(err)) < 0) {
			fprintf(stderr, "%s: verdict_log.%s: %s\n", file,
				c->vlog_opt[i].key, err);
			return -1;
		}
	}
	if (c->quarantine[0])
		o->quarantine = c->quarantine;
	if (c->ctl_socket[0])
		o->ctl_path = c->ctl_socket;
	if (c->rx_desc)
		o->rxd = c->rx_desc;
	if (c->tx_desc)
		o->txd = c->tx_desc;
	if (c->log_ring)
		o->log_ring = c->log_ring;
	if (c->udp_port)
		o->port = (uint16_t)c->udp_port;
	if (c->metrics_listen[0])
		o->metrics = c->metrics_listen;
	if (c->ip[0])
		o->ip = c->ip;
	if (c->drain_timeout_ms)
		o->drain_timeout_ms = c->drain_timeout_ms;
	return 0;
}

/* Parses our options (argv up to "--").  Returns 0, 1 for --help (exit
 * 0), or -1 after printing a usage error. */
static int parse_opts(int argc, char **argv, struct sl_engine *e)
{
	struct sl_run_opts *o = &e->opt;
	char err[512];
	char *eq;
	enum {
		O_STATE = 256,
		O_VLOG,
		O_QUAR,
		O_CTL,
		O_IDLE,
		O_PORT,
		O_RXD,
		O_TXD,
		O_LOGRING,
		O_STATS,
		O_CONFIG,
		O_VLOGOPT,
		O_METRICS,
		O_DRAIN,
		O_IP,
		O_REPLAY,
		O_ROTATE
	};
	static const struct option lopts[] = {
	    {"bundle", required_argument, NULL, 'r'},
	    {"registry", required_argument, NULL, 'e'},
	    {"state", required_argument, NULL, O_STATE},
	    {"verdict-log", required_argument, NULL, O_VLOG},
	    {"quarantine", required_argument, NULL, O_QUAR},
	    {"ctl", required_argument, NULL, O_CTL},
	    {"until-idle", required_argument, NULL, O_IDLE},
	    {"port", required_argument, NULL, O_PORT},
	    {"rxd", required_argument, NULL, O_RXD},
	    {"txd", required_argument, NULL, O_TXD},
	    {"log-ring", required_argument, NULL, O_LOGRING},
	    {"stats", required_argument, NULL, O_STATS},
	    {"metrics", required_argument, NULL, O_METRICS},
	    {"drain-timeout", required_argument, NULL, O_DRAIN},
	    {"ip", required_argument, NULL, O_IP},
	    {"replay-window", required_argument, NULL, O_REPLAY},
	    {"state-rotate", required_argument, NULL, O_ROTATE},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"vlog-opt", required_argument, NULL, O_VLOGOPT},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	long v;
	int c;

	if (apply_config(argc, argv, e) < 0)
		return -1;
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "+r:e:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->bundle = optarg;
			break;
		case 'e':
			o->registry = optarg;
			break;
		case O_STATE:
			o->state_dir = optarg;
			break;
		case O_VLOG:
			o->verdict_log = optarg;
			break;
		case O_QUAR:
			o->quarantine = optarg;
			break;
		case O_CTL:
			o->ctl_path = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case O_IDLE:
			if (parse_num(optarg, 0, 86400000L, &v))
				goto bad;
			o->until_idle_ms = v;
			break;
		case O_PORT:
			if (parse_num(optarg, 1, 65535, &v))
				goto bad;
			o->port = (uint16_t)v;
			break;
		case O_RXD:
		case O_TXD:
			if (parse_num(optarg, 32, 16384, &v))
				goto bad;
			if (c == O_RXD)
				o->rxd = (unsigned)v;
			else
				o->txd = (unsigned)v;
			break;
		case O_LOGRING:
			if (parse_num(optarg, 64, 1 << 20, &v))
				goto bad;
			o->log_ring = (unsigned)v;
			break;
		case O_STATS:
			o->stats_out = optarg;
			break;
		case O_METRICS:
			o->metrics = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case O_DRAIN:
			if (parse_num(optarg, 1, 3600L * 1000, &v))
				goto bad;
			o->drain_timeout_ms = (unsigned)v;
			break;
		case O_IP:
			if (inet_pton(AF_INET, optarg, &e->ip_be) != 1)
				goto bad;
			o->ip = optarg;
			break;
		case O_REPLAY:
			if (parse_num(optarg, 0, 1L << 24, &v))
				goto bad;
			o->replay_window = (unsigned)v;
			break;
		case O_ROTATE: {
			char *end;
			unsigned long long b = strtoull(optarg, &end, 10);

			if (end == optarg)
				goto bad;
			if (*end == 'K' || *end == 'k')
				b <<= 10, end++;
			else if (*end == 'M' || *end == 'm')
				b <<= 20, end++;
			else if (*end == 'G' || *end == 'g')
				b <<= 30, end++;
			if (*end || b < 4096)
				goto bad;
			o->state_rotate = b;
			break;
		}
		case O_CONFIG:
			break; /* applied before this loop */
		case O_VLOGOPT:
			eq = strchr(optarg, '=');
			if (!eq)
				goto bad;
			*eq = '\0';
			if (sl_vlog_config_set(&e->vlog_cfg, optarg, eq + 1,
					       err, sizeof(err)) < 0) {
				fprintf(stderr,
					"sluice run: --vlog-opt %s: %s\n",
					optarg, err);
				return -1;
			}
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"sluice run: unexpected argument '%s' (EAL "
			"arguments go after --)\n",
			argv[optind]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "sluice run: bad value for %s: %s\n", argv[optind - 1],
		optarg);
	return -1;
}

static int workers_init(struct sl_engine *e)
{
	unsigned lcore, i = 0;
	char name[RTE_RING_NAMESIZE];

	e->n_workers = rte_lcore_count();
	e->workers =
	    rte_zmalloc("sl_workers", sizeof(*e->workers) * e->n_workers,
			RTE_CACHE_LINE_SIZE);
	if (!e->workers)
		return -ENOMEM;
	/* The main lcore is worker 0, then the others in lcore order. */
	e->workers[i++].lcore = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER (lcore) {
		e->workers[i++].lcore = lcore;
	}
	for (i = 0; i < e->n_workers; i++) {
		struct sl_worker *w = &e->workers[i];

		w->eng = e;
		w->idx = i;
		w->scr = sl_screener_new(i);
		snprintf(name, sizeof(name), "sl_log%u", i);
		w->log = rte_ring_create_elem(
		    name, sizeof(struct sl_logmsg), e->opt.log_ring,
		    rte_lcore_to_socket_id(w->lcore),
		    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		w->linear = rte_malloc("sl_linear", SL_LINEAR_MAX, 0);
		w->held =
		    rte_malloc("sl_held", SL_HELD_MAX * sizeof(struct sl_held),
			       RTE_CACHE_LINE_SIZE);
		if (!w->scr || !w->log || !w->linear || !w->held)
			return -ENOMEM;
	}
	return 0;
}

static void workers_fini(struct sl_engine *e)
{
	unsigned i;

	if (!e->workers)
		return;
	for (i = 0; i < e->n_workers; i++) {
		struct sl_worker *w = &e->workers[i];

		if (w->scr)
			sl_screener_free(w->scr);
		rte_ring_free(w->log);
		rte_free(w->linear);
		rte_free(w->held);
	}
	rte_free(e->workers);
	e->workers = NULL;
}

/* Buyer totals and consignee windows, shared by every worker (a
 * lock-free table, docs/engine.md says why not steering).  Memory only
 * without --state: limits still hold within the run.  With a verdict
 * log, the log commits the changes: those whose verdicts it lacks are
 * left out at open, and the log thread stages each verdict's changes
 * (docs/reliability.md). */
static int state_open(struct sl_engine *e)
{
	struct sl_state_config cfg;
	uint8_t id[SL_STATE_LOG_ID_LEN];
	struct sl_vlog_stats vs;
	char err[256] = "";

	sl_state_config_defaults(&cfg);
	cfg.dir = e->opt.state_dir;
	cfg.n_workers = e->n_workers;
	if (e->vlog && sl_vlog_id(e->vlog, id, sizeof(id)) == sizeof(id)) {
		sl_vlog_stats(e->vlog, &vs);
		cfg.log_id = id;
		cfg.log_verdicts = vs.total_verdicts;
		cfg.staged = true;
		cfg.sync = false; /* synced when the log syncs (logw.c) */
	}
	/* Recovery and the first snapshot walk and grow the tables, which
	 * liburcu may resize meanwhile from its own thread: only a registered
	 * QSBR reader is safe from that (main runs worker 0 later, which
	 * registers itself again). */
	rcu_register_thread();
	e->state = sl_state_open(&cfg, err, sizeof(err));
	rcu_unregister_thread();
	if (!e->state) {
		fprintf(stderr, "sluice run: state %s: %s\n",
			cfg.dir ? cfg.dir : "(memory)", err);
		return -1;
	}
	return 0;
}

/* Writes the final counters as `sluicectl stats` would show them. */
static int write_stats(struct sl_engine *e)
{
	cJSON *j = sl_stats_json(e);
	char *txt = j ? cJSON_Print(j) : NULL;
	FILE *f = txt ? fopen(e->opt.stats_out, "w") : NULL;
	int rc = 0;

	if (!f || fprintf(f, "%s\n", txt) < 0) {
		fprintf(stderr, "sluice run: --stats %s: %s\n",
			e->opt.stats_out, strerror(errno));
		rc = -1;
	}
	if (f && fclose(f) != 0)
		rc = -1;
	free(txt);
	cJSON_Delete(j);
	return rc;
}

/* The default control socket lives in /run/sluice; made on demand. */
static void default_ctl(struct sl_run_opts *o)
{
	if (mkdir(DEF_CTL_DIR, 0700) == 0 || errno == EEXIST)
		o->ctl_path = DEF_CTL_PATH;
}

void sl_run_opts_defaults(struct sl_run_opts *o)
{
	*o = (struct sl_run_opts){.quarantine = "sluice.quarantine",
				  .until_idle_ms = -1,
				  .port = SL_WIRE_PORT,
				  .rxd = 1024,
				  .txd = 1024,
				  .log_ring = 4096,
				  .drain_timeout_ms = 30000,
				  .replay_window = SL_REPLAY_DEFAULT_MAX,
				  .state_rotate = UINT64_C(64) << 20,
				  .ctl_path = ""};
}

struct sl_engine *sl_engine_new(void)
{
	struct sl_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	pthread_mutex_init(&e->reload_lock, NULL);
	e->ctl_fd = -1;
	sl_run_opts_defaults(&e->opt);
	sl_vlog_config_init(&e->vlog_cfg);
	return e;
}

void sl_engine_free(struct sl_engine *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->reload_lock);
	if (e->cfg)
		sl_config_free(e->cfg);
	free(e);
}

int sl_engine_run(struct sl_engine *e)
{
	int i, rc, status = 1;
	bool ctl_default = false;
	char why[512];
	struct sl_counters tot, c;
	uint64_t verdicts = 0;

	if (e->opt.ctl_path && !e->opt.ctl_path[0]) {
		default_ctl(&e->opt);
		ctl_default = true;
	}
	if (workers_init(e) < 0) {
		fprintf(stderr, "sluice run: out of memory for %u workers\n",
			e->n_workers);
		goto out_workers;
	}
	if (sl_ports_init(e) < 0)
		goto out_ports;
	if (sl_vlog_start(e) < 0) {
		status = 2;
		goto out_ports;
	}
	if (state_open(e) < 0) {
		status = 2;
		goto out_ports;
	}
	/* Nothing leaves before the record that proves it. */
	e->hold_tx = e->opt.verdict_log || e->opt.state_dir;
	if (e->replay && !e->opt.quiet)
		fprintf(stderr,
			"sluice run: the verdict log's last %u verdicts answer "
			"declarations sent again after a restart\n",
			sl_replay_count(e->replay));

	/* The first snapshot, before any worker runs. */
	if (sl_reload(e, why, sizeof(why)) < 0) {
		fprintf(stderr, "sluice run: %s\n", why);
		status = 2;
		goto out_snap;
	}
	if (!e->rl.bundle_id[0])
		fprintf(stderr, "sluice run: warning: no rule bundle (no -r "
				"and no default bundle): every declaration is "
				"held (NO_RULESET)\n");

	if (sl_obs_init(e) < 0) {
		fprintf(stderr, "sluice run: out of memory for rule counts\n");
		goto out_snap;
	}
	if (sl_log_start(e) < 0)
		goto out_snap;
	if (sl_metrics_start(e) < 0)
		goto out_log;
	rc = sl_ctl_start(e);
	if (rc < 0 && ctl_default) {
		/* The default socket is a convenience; run without it. */
		fprintf(stderr, "sluice run: warning: no control socket\n");
		e->opt.ctl_path = NULL;
		rc = sl_ctl_start(e);
	}
	if (rc < 0)
		goto out_log;

	e->start_tsc = rte_get_timer_cycles();
	rte_eal_mp_remote_launch(sl_worker_main, e, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	status = 0;

	sl_ctl_stop(e);
out_log:
	sl_log_stop(e); /* drains every ring: all verdicts are written */
	if (status == 0) {
		memset(&tot, 0, sizeof(tot));
		for (i = 0; i < (int)e->n_workers; i++) {
			sl_worker_read(&e->workers[i], &c);
			sl_counters_add(&tot, &c);
		}
		for (i = 0; i < SL_VERDICT__COUNT; i++)
			verdicts += tot.verdicts[i];
		if (!e->opt.quiet)
			sl_stats_summary(e, stderr);
		if (e->opt.stats_out && write_stats(e) < 0)
			status = 1;
		if (tot.decls_in != verdicts + tot.quarantined ||
		    tot.unlogged || e->logt.unlogged || e->logt.write_errors ||
		    e->logt.state_errors || e->logt.decode_errors) {
			fprintf(stderr, "sluice run: error: accounting or log "
					"failure (see counters above)\n");
			status = 1;
		}
	}
out_snap:
	sl_obs_fini(e); /* the threads that used it are joined */
	sl_reload_fini(e);
	/* Registered for the same reason as at open: the final snapshot and
	 * the teardown delete every entry while the table shrinks.  An
	 * unregistered main thread once hit liburcu's assertion in
	 * _cds_lfht_gc_bucket here. */
	rcu_register_thread();
	if (e->state && sl_state_close(e->state) < 0) {
		fprintf(stderr,
			"sluice run: state %s: final checkpoint failed\n",
			e->opt.state_dir);
		status = 1;
	}
	rcu_unregister_thread();
	e->state = NULL;
out_ports:
	if (e->vlog) { /* never handed to the log thread */
		(void)sl_vlog_close(e->vlog);
		e->vlog = NULL;
	}
	sl_replay_free(e->replay); /* the workers are done */
	e->replay = NULL;
	sl_ports_close(e);
out_workers:
	workers_fini(e);
	rte_mempool_free(e->rx_pool);
	rte_mempool_free(e->tx_pool);
	e->rx_pool = e->tx_pool = NULL;
	return status;
}

int sl_cmd_run(int argc, char **argv)
{
	struct sl_engine *e;
	char *eal_argv[256];
	int n_ours = argc, eal_argc = 0, i, rc, status;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			n_ours = i;
			break;
		}
	e = sl_engine_new();
	if (!e)
		return 1;
	rc = parse_opts(n_ours, argv, e);
	if (rc) {
		sl_engine_free(e);
		return rc > 0 ? 0 : 2;
	}

	if (n_ours + 1 >= argc && e->cfg) {
		/* No EAL-ARGS: the configuration's eal and ports. */
		eal_argc =
		    sl_config_eal_argv(e->cfg, "sluice-run", eal_argv, 255);
		if (eal_argc < 0) {
			fprintf(stderr, "sluice run: too many EAL arguments "
					"in the configuration\n");
			sl_engine_free(e);
			return 2;
		}
	} else {
		eal_argv[eal_argc++] = "sluice-run";
		for (i = n_ours + 1; i < argc && eal_argc < 255; i++)
			eal_argv[eal_argc++] = argv[i];
	}
	eal_argv[eal_argc] = NULL;
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "sluice run: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		sl_engine_free(e);
		return 1;
	}
	sl_signals_install();
	status = sl_engine_run(e);
	rte_eal_cleanup();
	sl_engine_free(e);
	return status;
}
