/* sluice — `sluice screen`: JSON-lines declarations in, one verdict JSON
 * line per input line out, in input order (SPEC 7).
 *
 * The input is streamed through one fixed buffer: a line longer than
 * SL_LINE_MAX is never held whole; its bytes are skipped up to the next
 * newline and it is answered with LINE_TOO_LONG, so a 100 MB line costs
 * no memory and the stream goes on.  Verdicts are gathered in a fixed
 * output buffer and written in large blocks (no system call per
 * declaration).  A summary goes to stderr at the end.
 *
 * Plane: this is the control plane and the data plane of a one-thread
 * engine; the per-line path (screen_line) allocates nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include <sluice/bundle.h>
#include <sluice/registry.h>
#include <sluice/replay.h>
#include <sluice/screen.h>
#include <sluice/state.h>
#include <sluice/verdict.h>
#include <sluice/vlog.h>

#include "cli.h"

#define IN_CAP		 (SL_LINE_MAX * 4) /* longest line + room to read */
#define OUT_CAP		 (1024 * 1024)	   /* verdict lines between writes */
#define CHECKPOINT_EVERY 256 /* output blocks: about a million verdicts */

struct screen_opts {
	unsigned replay_window; /* --replay-window: logged verdicts kept to
				   answer declarations sent again; 0 = off */
	const char *bundle;	/* -r: rule bundle; NULL = default bundle */
	const char *registry;	/* -e: enterprise registry CSV */
	const char *state_dir;	/* --state: buyer and consignee state */
	const char *input;	/* path, or "-" for stdin */
};

struct screen_run {
	struct sl_screener *w;
	struct sl_snapshot *snap;
	struct sl_state
	    *state; /* buyer totals, windows; durable with --state */
	sl_verdict_t v;

	int out_fd;
	char *out;
	size_t out_len;
	int io_error;	  /* errno of a failed write, 0 if none */
	int state_error;  /* errno of a failed state flush, 0 if none */
	uint64_t flushes; /* output blocks written */

	struct sl_vlog *vlog; /* --verdict-log; NULL = none */
	uint64_t unlogged;    /* verdicts the log refused (disk full, ...) */
	int vlog_error;	      /* the first refusal's -errno */
	uint64_t ordinal;     /* the next verdict's index among the log's
				 verdict records: the tag of its state
				 changes (docs/reliability.md) */
	struct sl_replay *replay; /* the log's last verdicts, answered
				     again to a declaration sent again
				     after a restart; NULL = none (left) */
	uint64_t replayed;	  /* declarations answered from it */
	unsigned replay_window;	  /* lines it is consulted for */

	uint64_t lines;
	uint64_t by_verdict[SL_VERDICT__COUNT];
	uint64_t by_error[SL_E__COUNT];
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sluice screen [OPTIONS] [INPUT|-]\n"
	    "\n"
	    "Screens declarations, one JSON object per line (SPEC 3), from "
	    "INPUT or\n"
	    "stdin, and writes one verdict JSON line per input line to "
	    "stdout, in\n"
	    "input order (SPEC 4).  A summary (counts per verdict and per "
	    "reject\n"
	    "code, throughput) goes to stderr.\n"
	    "\n"
	    "options:\n"
	    "  -r BUNDLE      rule bundle (default: the bundle built from "
	    "rules/)\n"
	    "  -e REGISTRY    enterprise registry CSV (SPEC 5); without it "
	    "every\n"
	    "                 enterprise is unknown and nothing is "
	    "released\n"
	    "      --state DIR  keep buyer quotas and shipment history in "
	    "DIR, so a\n"
	    "                 later run continues them (created if "
	    "missing)\n"
	    "      --verdict-log FILE  also append every verdict to FILE, "
	    "the\n"
	    "                 tamper-evident verdict log (docs/audit.md)\n"
	    "      --vlog-opt KEY=VALUE  a verdict log option (repeatable):"
	    "\n"
	    "                 hash=sm3|sha256, key=PEM (signs "
	    "checkpoints),\n"
	    "                 checkpoint=N,Ts, fsync=none|batch|"
	    "interval:MS,\n"
	    "                 group_records=N, group_ms=MS\n"
	    "      --replay-window N  a declaration whose verdict is among "
	    "the log's last\n"
	    "                 N (default %u) is answered with that verdict, "
	    "not decided\n"
	    "                 or logged again, while the first N lines are "
	    "read: it was\n"
	    "                 sent again after a crash (0: decide "
	    "everything again)\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n"
	    "\n"
	    "Buyer limits and split shipments are tracked within the run "
	    "and, with\n"
	    "--state, across runs (docs/decision.md, docs/state.md).\n"
	    "\n"
	    "exit status: 0 when it ran (rejects included), 1 on an I/O "
	    "error\n"
	    "(also: a verdict the verdict log could not take),\n"
	    "2 on a usage error or an unusable bundle or registry.\n",
	    SL_REPLAY_DEFAULT_MAX);
}

/* --------------------------------------------------------------- output */

static void out_flush(struct screen_run *r)
{
	size_t off = 0;
	int rc;

	/* The verdicts below may depend on state changes (released value).
	 * With a verdict log, the log is the commit record: its group commit
	 * writes the state changes first (commit_state), then the verdicts,
	 * and only then does stdout see them.  Without one, the state's own
	 * log is flushed before stdout (docs/reliability.md). */
	if (r->vlog) {
		if (sl_vlog_commit(r->vlog) < 0) {
			rc = sl_vlog_error(r->vlog);
			if (!r->vlog_error)
				r->vlog_error = rc;
			if (r->state_error)
				r->io_error = r->state_error;
		}
	} else if (r->state && r->out_len && !r->io_error) {
		rc = sl_state_flush(r->state);
		if (rc < 0) {
			r->state_error = -rc;
			r->io_error = -rc;
		}
	}
	rcu_quiescent_state();

	while (off < r->out_len && !r->io_error) {
		ssize_t n = write(r->out_fd, r->out + off, r->out_len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r->io_error = errno;
			break;
		}
		off += (size_t)n;
	}
	r->out_len = 0;
	/* Now and then, off the per-declaration path: expire old split
	 * windows (else a long multi-day run fills the pools and holds) and,
	 * with --state, compact the log into a snapshot. */
	if (r->state && !r->io_error && ++r->flushes % CHECKPOINT_EVERY == 0) {
		rc = sl_state_checkpoint(r->state);
		if (rc < 0 && !r->state_error)
			r->state_error = -rc;
	}
}

/* Writes r->v as one JSON line. */
static void emit(struct screen_run *r)
{
	int n;

	if (OUT_CAP - r->out_len < SL_VERDICT_JSON_MAX + 1)
		out_flush(r);
	n = sl_verdict_to_json(&r->v, r->out + r->out_len,
			       OUT_CAP - r->out_len);
	if (n < 0) {
		/* Cannot happen below SL_VERDICT_JSON_MAX; should it anyway,
		 * the line still gets an answer, and it is not a release. */
		n = snprintf(r->out + r->out_len, OUT_CAP - r->out_len,
			     "{\"decl_id\":null,\"line\":%llu,\"verdict\":"
			     "\"hold\",\"status\":300,\"score\":0,\"tier\":"
			     "\"unknown\",\"reasons\":[{\"rule\":"
			     "\"INTERNAL.ENCODE\",\"points\":0}],\"sampled\":"
			     "false,\"ruleset\":\"\",\"registry\":\"\"}",
			     (unsigned long long)r->v.line);
		r->v.verdict = SL_VERDICT_HOLD;
	}
	if (r->vlog) {
		const char *line = r->out + r->out_len;
		size_t len = (size_t)n;

		/* The very bytes printed: the log's records are the same. */
		if (sl_vlog_append_json(r->vlog, &line, &len, 1) != 1) {
			r->unlogged++;
			if (!r->vlog_error)
				r->vlog_error = sl_vlog_error(r->vlog);
		} else {
			r->ordinal++;
		}
	}
	r->out_len += (size_t)n;
	r->out[r->out_len++] = '\n';
	r->by_verdict[r->v.verdict < SL_VERDICT__COUNT ? r->v.verdict
						       : SL_VERDICT_HOLD]++;
	if (r->v.verdict == SL_VERDICT_REJECT && r->v.error.code < SL_E__COUNT)
		r->by_error[r->v.error.code]++;
}

/* A declaration whose verdict the log already holds: that verdict again,
 * with no new record and no state change. */
static void emit_replayed(struct screen_run *r,
			  const struct sl_replay_answer *a)
{
	if (OUT_CAP - r->out_len < a->len + 1)
		out_flush(r);
	memcpy(r->out + r->out_len, a->bytes, a->len);
	r->out_len += a->len;
	r->out[r->out_len++] = '\n';
	r->replayed++;
	r->by_verdict[a->verdict < SL_VERDICT__COUNT ? a->verdict
						     : SL_VERDICT_HOLD]++;
	if (a->verdict == SL_VERDICT_REJECT && a->error < SL_E__COUNT)
		r->by_error[a->error]++;
}

/* ---------------------------------------------------------------- input */

/* One complete line (without its newline).  Data plane. */
static void screen_line(struct screen_run *r, const char *p, size_t n)
{
	sl_decl_t *d = sl_screener_decl(r->w);
	struct sl_replay_answer a;
	enum sl_errcode rc;
	sl_error_t err;

	r->lines++;
	if (n && p[n - 1] == '\r')
		n--;
	rc = sl_decode_json(sl_screener_decoder(r->w), p, n, d, &err);
	d->line = r->lines;
	if (r->replay) {
		const sl_str_t *id = &d->s[SL_DS_DECL_ID];

		if (id->p && sl_replay_take(r->replay, id->p, id->n,
					    SL_REPLAY_JSON, &a)) {
			emit_replayed(r, &a);
			return;
		}
		/* Sent again after a restart means sent first: past the
		 * window, a decl_id seen again is a new declaration. */
		if (r->lines > r->replay_window) {
			sl_replay_free(r->replay);
			r->replay = NULL;
		}
	}
	if (r->state)
		sl_state_tag(r->state, 0, r->ordinal);
	sl_screen(r->w, r->snap, r->state, d, rc, &err, &r->v);
	emit(r);
}

/* A line that was too long to hold: answered without its content. */
static void screen_overlong(struct screen_run *r, uint64_t bytes)
{
	sl_decl_t *d = sl_screener_decl(r->w);
	sl_error_t err;

	r->lines++;
	d->s[SL_DS_DECL_ID] = SL_STR_NULL; /* nothing of it was read */
	d->line = r->lines;
	if (r->state)
		sl_state_tag(r->state, 0, r->ordinal);
	sl_error_set(&err, SL_E_LINE_TOO_LONG, "",
		     "line is %llu bytes, at most %u allowed",
		     (unsigned long long)bytes, SL_LINE_MAX);
	sl_screen(r->w, r->snap, r->state, d, SL_E_LINE_TOO_LONG, &err, &r->v);
	emit(r);
}

/* Reads fd to its end, screening every line.  Returns 0 or an errno. */
static int screen_stream(struct screen_run *r, int fd, char *in)
{
	size_t start = 0, end = 0, scanned = 0;
	uint64_t skipping = 0; /* bytes of an overlong line, 0 if none */
	char *nl;

	for (;;) {
		ssize_t got;

		/* every complete line in the buffer */
		while ((nl = memchr(in + scanned, '\n', end - scanned))) {
			size_t len = (size_t)(nl - (in + start));

			if (skipping)
				screen_overlong(r, skipping + len);
			else
				screen_line(r, in + start, len);
			skipping = 0;
			start = scanned = (size_t)(nl - in) + 1;
		}
		scanned = end;
		/* a partial line longer than any accepted line (+ '\r') */
		if (end - start > SL_LINE_MAX + 1) {
			skipping += end - start;
			start = scanned = end = 0;
		}
		if (start > 0) {
			memmove(in, in + start, end - start);
			end -= start;
			scanned = end;
			start = 0;
		}
		/* A slow producer (stdin): the log's group commit by age. */
		if (r->vlog)
			(void)sl_vlog_tick(r->vlog);
		got = read(fd, in + end, IN_CAP - end);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (got == 0)
			break;
		end += (size_t)got;
	}
	/* the last line may have no newline */
	if (skipping)
		screen_overlong(r, skipping + end);
	else if (end > 0)
		screen_line(r, in, end);
	return 0;
}

/* ------------------------------------------------------------- snapshot */

/* Builds what every verdict is decided with: the rule bundle (-r, or the
 * default bundle built from rules/) and the registry (-e).  Control
 * plane.  NULL with a message when either is unusable. */
static struct sl_snapshot *load_snapshot(const struct screen_opts *o, char *err,
					 size_t errlen)
{
	struct sl_registry *reg = NULL;
	struct sl_bundle *b;
	struct sl_snapshot *snap;
	char path[4096];
	const char *bp = o->bundle;

	if (!bp) {
		if (sl_bundle_default_path(path, sizeof(path)) < 0) {
			snprintf(err, errlen,
				 "no default rule bundle next to this binary "
				 "(share/sluice/default.bundle); give -r "
				 "BUNDLE");
			return NULL;
		}
		bp = path;
	}
	b = sl_bundle_load(bp, err, errlen);
	if (!b)
		return NULL;
	if (o->registry) {
		reg = sl_registry_load(o->registry, err, errlen);
		if (!reg) {
			sl_bundle_put(b);
			return NULL;
		}
	}
	snap = sl_snapshot_new(b, reg, 1, err, errlen);
	/* the snapshot holds its own references */
	sl_registry_put(reg);
	sl_bundle_put(b);
	return snap;
}

/* The state, committed by the verdict log when there is one: changes
 * whose verdicts the log does not hold are left out (docs/reliability.md).
 */
static struct sl_state *open_state(const struct screen_opts *o,
				   struct sl_vlog *vlog, char *err,
				   size_t errlen)
{
	struct sl_state_config cfg;
	uint8_t id[SL_STATE_LOG_ID_LEN];
	struct sl_vlog_stats vs;

	sl_state_config_defaults(&cfg);
	cfg.dir = o->state_dir; /* NULL: this run only, in memory */
	if (vlog && sl_vlog_id(vlog, id, sizeof(id)) == sizeof(id)) {
		sl_vlog_stats(vlog, &vs);
		cfg.log_id = id;
		cfg.log_verdicts = vs.total_verdicts;
		cfg.sync = false; /* synced when the log syncs (commit_state) */
	}
	return sl_state_open(&cfg, err, errlen);
}

/* The verdict log's group commit: the state changes of the verdicts about
 * to be written go to the state's log first, and are synced before the log
 * is (sync). */
static int commit_state(void *ctx, bool sync)
{
	struct screen_run *r = ctx;
	int rc = sl_state_flush(r->state);

	if (rc == 0 && sync)
		rc = sl_state_sync(r->state);

	if (rc < 0 && !r->state_error)
		r->state_error = -rc;
	return rc;
}

/* -------------------------------------------------------------- summary */

static void summary(const struct screen_run *r, double secs)
{
	unsigned i;
	bool any = false;

	fprintf(stderr,
		"sluice screen: %llu lines, %llu verdicts in %.3f s "
		"(%.0f declarations/s)\n",
		(unsigned long long)r->lines,
		(unsigned long long)(r->by_verdict[0] + r->by_verdict[1] +
				     r->by_verdict[2] + r->by_verdict[3] +
				     r->by_verdict[4]),
		secs, secs > 0 ? (double)r->lines / secs : 0.0);
	fprintf(stderr, "verdicts:");
	for (i = 0; i < SL_VERDICT__COUNT; i++)
		fprintf(stderr, "%s %s %llu", i ? "," : "", sl_verdict_name(i),
			(unsigned long long)r->by_verdict[i]);
	fprintf(stderr, "\nrejects:");
	for (i = 1; i < SL_E__COUNT; i++) {
		if (!r->by_error[i])
			continue;
		fprintf(stderr, "%s %s %llu", any ? "," : "",
			sl_errcode_name(i), (unsigned long long)r->by_error[i]);
		any = true;
	}
	fprintf(stderr, "%s\n", any ? "" : " none");
	if (r->vlog) {
		struct sl_vlog_stats st;

		sl_vlog_stats(r->vlog, &st);
		fprintf(
		    stderr,
		    "verdict log: %llu verdicts appended (%llu in the log), "
		    "%llu checkpoints%s\n",
		    (unsigned long long)st.verdicts,
		    (unsigned long long)st.total_verdicts,
		    (unsigned long long)st.checkpoints,
		    r->unlogged ? "; SOME VERDICTS NOT LOGGED" : "");
		if (r->replayed)
			fprintf(stderr,
				"verdict log: %llu declarations sent again "
				"answered with their logged verdict (not "
				"decided or logged again)\n",
				(unsigned long long)r->replayed);
	}
	if (r->snap)
		fprintf(stderr, "ruleset: %s, registry: %s\n",
			*sl_snapshot_bundle_id(r->snap)
			    ? sl_snapshot_bundle_id(r->snap)
			    : "none (every valid declaration held)",
			*sl_snapshot_registry_id(r->snap)
			    ? sl_snapshot_registry_id(r->snap)
			    : "none");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ----------------------------------------------------------------- main */

enum { OPT_STATE = 256, OPT_VLOG, OPT_VLOG_OPT, OPT_REPLAY };

int sl_cmd_screen(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"state", required_argument, NULL, OPT_STATE},
	    {"verdict-log", required_argument, NULL, OPT_VLOG},
	    {"vlog-opt", required_argument, NULL, OPT_VLOG_OPT},
	    {"replay-window", required_argument, NULL, OPT_REPLAY},
	    {NULL, 0, NULL, 0},
	};
	struct screen_opts o = {.input = "-",
				.replay_window = SL_REPLAY_DEFAULT_MAX};
	char *end;
	unsigned long ul;
	struct sl_vlog_config vlog_cfg; /* --verdict-log, --vlog-opt */
	struct screen_run *r;
	char errbuf[512], *in = NULL;
	int c, fd = STDIN_FILENO, rc = SL_EXIT_OK, e;
	double t0;

	sl_vlog_config_init(&vlog_cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hVr:e:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return SL_EXIT_OK;
		case 'V':
			sl_cli_print_version();
			return SL_EXIT_OK;
		case 'r':
			o.bundle = optarg;
			break;
		case 'e':
			o.registry = optarg;
			break;
		case OPT_STATE:
			o.state_dir = optarg;
			break;
		case OPT_VLOG:
			vlog_cfg.path = optarg;
			break;
		case OPT_REPLAY:
			errno = 0;
			ul = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || ul > 1u << 24) {
				fprintf(stderr,
					"sluice screen: --replay-window %s: a "
					"count from 0 to %u\n",
					optarg, 1u << 24);
				return SL_EXIT_USAGE;
			}
			o.replay_window = (unsigned)ul;
			break;
		case OPT_VLOG_OPT:
			if (!strchr(optarg, '=')) {
				fprintf(stderr,
					"sluice screen: --vlog-opt %s: use "
					"KEY=VALUE\n",
					optarg);
				return SL_EXIT_USAGE;
			}
			*strchr(optarg, '=') = '\0';
			if (sl_vlog_config_set(&vlog_cfg, optarg,
					       optarg + strlen(optarg) + 1,
					       errbuf, sizeof(errbuf)) < 0) {
				fprintf(stderr, "sluice screen: %s\n", errbuf);
				return SL_EXIT_USAGE;
			}
			break;
		default:
			usage(stderr);
			return SL_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "sluice screen: one INPUT at most\n");
		usage(stderr);
		return SL_EXIT_USAGE;
	}
	if (argc - optind == 1)
		o.input = argv[optind];

	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, "sluice screen: out of memory\n");
		return SL_EXIT_IO;
	}
	r->out_fd = STDOUT_FILENO;
	rcu_register_thread();
	r->snap = load_snapshot(&o, errbuf, sizeof(errbuf));
	if (!r->snap) {
		fprintf(stderr, "sluice screen: %s\n", errbuf);
		rc = SL_EXIT_USAGE;
		goto free_run;
	}
	r->replay_window = o.replay_window;
	if (vlog_cfg.path) {
		/* Verifies an existing log first and refuses a damaged one;
		 * keeps its last verdicts for declarations sent again. */
		if (o.replay_window) {
			r->replay =
			    sl_replay_new(o.replay_window, SL_REPLAY_JSON);
			if (!r->replay) {
				fprintf(stderr,
					"sluice screen: out of memory\n");
				rc = SL_EXIT_IO;
				goto free_buffers;
			}
			vlog_cfg.open_visit = sl_replay_visit;
			vlog_cfg.open_visit_ctx = r->replay;
		}
		r->vlog = sl_vlog_open(&vlog_cfg, errbuf, sizeof(errbuf));
		if (!r->vlog) {
			fprintf(stderr, "sluice screen: verdict log: %s\n",
				errbuf);
			rc = SL_EXIT_USAGE;
			goto free_buffers;
		}
		if (r->replay && sl_replay_seal(r->replay) < 0) {
			fprintf(stderr, "sluice screen: out of memory\n");
			rc = SL_EXIT_IO;
			goto free_buffers;
		}
		{
			struct sl_vlog_stats vs;

			sl_vlog_stats(r->vlog, &vs);
			r->ordinal = vs.total_verdicts;
		}
	}
	r->state = open_state(&o, r->vlog, errbuf, sizeof(errbuf));
	if (!r->state) {
		fprintf(stderr, "sluice screen: --state %s: %s\n",
			o.state_dir ? o.state_dir : "(memory)", errbuf);
		rc = SL_EXIT_USAGE;
		goto free_buffers;
	}
	if (r->vlog)
		sl_vlog_set_pre_commit(r->vlog, commit_state, r);
	r->w = sl_screener_new(0);
	in = malloc(IN_CAP);
	r->out = malloc(OUT_CAP);
	if (!r->w || !in || !r->out) {
		fprintf(stderr, "sluice screen: out of memory\n");
		rc = SL_EXIT_IO;
		goto free_buffers;
	}
	if (strcmp(o.input, "-") != 0) {
		fd = open(o.input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "sluice screen: %s: %s\n", o.input,
				strerror(errno));
			rc = SL_EXIT_IO;
			goto free_buffers;
		}
	}
	t0 = now();
	e = screen_stream(r, fd, in);
	/* Sign what this run logged (no-op without a key), then commit. */
	if (r->vlog && sl_vlog_checkpoint(r->vlog) < 0 &&
	    sl_vlog_error(r->vlog) < 0 && !r->vlog_error)
		r->vlog_error = sl_vlog_error(r->vlog);
	out_flush(r);
	summary(r, now() - t0);
	if (r->vlog) {
		/* Final checkpoint, commit and fdatasync. */
		if (sl_vlog_close(r->vlog) < 0 && !r->vlog_error)
			r->vlog_error = -EIO;
		r->vlog = NULL;
	}
	if (r->unlogged || r->vlog_error) {
		fprintf(stderr,
			"sluice screen: verdict log %s: %s; %llu verdicts not "
			"logged\n",
			vlog_cfg.path,
			strerror(r->vlog_error ? -r->vlog_error : EIO),
			(unsigned long long)r->unlogged);
		rc = SL_EXIT_IO;
	}
	if (e) {
		fprintf(stderr, "sluice screen: reading %s: %s\n",
			strcmp(o.input, "-") ? o.input : "stdin", strerror(e));
		rc = SL_EXIT_IO;
	}
	if (r->state_error) {
		fprintf(stderr,
			"sluice screen: --state %s: cannot write the state log "
			"(%s); the verdicts that depend on it were not "
			"written\n",
			o.state_dir, strerror(r->state_error));
		rc = SL_EXIT_IO;
	} else if (r->io_error) {
		fprintf(stderr, "sluice screen: writing verdicts: %s\n",
			strerror(r->io_error));
		rc = SL_EXIT_IO;
	}
	if (fd != STDIN_FILENO)
		close(fd);
free_buffers:
	if (r->vlog) /* an error path: nothing was screened */
		(void)sl_vlog_close(r->vlog);
	sl_replay_free(r->replay);
	e = sl_state_close(r->state); /* a final snapshot with --state */
	if (e < 0 && rc == SL_EXIT_OK) {
		fprintf(stderr, "sluice screen: --state %s: %s\n", o.state_dir,
			strerror(-e));
		rc = SL_EXIT_IO;
	}
	free(r->out);
	free(in);
	sl_screener_free(r->w);
	sl_snapshot_free(r->snap);
free_run:
	rcu_unregister_thread();
	free(r);
	return rc;
}
