/* sluice — the DPDK engine's private types (docs/engine.md).
 *
 * Threads and who writes what:
 *   - workers: one per EAL lcore (the main lcore included).  Each owns a
 *     set of (port, RX queue) pairs and the TX queue of the same index, a
 *     screener, a linearisation buffer and the producer side of its log
 *     ring.  Workers write only their own struct sl_worker.
 *   - the log thread (control plane): consumer of every log ring; writes
 *     the verdict log and the quarantine file; frees the mbufs it was
 *     handed.
 *   - the ctl thread (control plane): signals, idle detection, the
 *     control socket, reloads (build, rcu_xchg_pointer, synchronize_rcu,
 *     free).  It writes `live` and the reload fields of struct sl_engine.
 *   - main (before launch and after the workers return): set-up and
 *     teardown of everything.
 */
#ifndef SLUICE_DPDK_ENGINE_H
#define SLUICE_DPDK_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <sluice/error-t.h>
#include <sluice/obs.h>
#include <sluice/types-t.h>
#include <sluice/verdict-t.h>
#include <sluice/vlog-t.h>
#include <sluice/wire.h>

#define SL_BURST	  32 /* rx_burst / tx_burst size */
#define SL_MAX_WORKERS	  RTE_MAX_LCORE
#define SL_MAX_PORTS	  8
#define SL_MAX_RXQ	  16	/* (port, queue) pairs one worker polls */
#define SL_TX_RETRIES	  64	/* tx_burst attempts before a drop is counted */
#define SL_TX_PENDING_MAX 64	/* verdict datagrams held before a flush */
#define SL_LINEAR_MAX	  65536 /* a multi-segment frame is copied here */
#define SL_MBUF_DATAROOM  (RTE_PKTMBUF_HEADROOM + 9216)
#define SL_HELD_MAX	  16384 /* verdict datagrams held per worker */

/* A verdict datagram waiting for its verdicts' commit. */
struct sl_held {
	struct rte_mbuf *m;
	uint64_t ticket; /* worker's msgs count that must be committed */
	uint32_t nv;	 /* verdicts in it */
	uint16_t q;	 /* index of the txq it leaves by */
};

/* A log ring element.  The ring is single-producer (the worker) and
 * single-consumer (the log thread); `m` holds one mbuf reference that the
 * consumer drops. */
enum sl_logmsg_kind {
	SL_LOGMSG_VERDICTS,   /* m is a verdict datagram; [off, off+len) are
				 the verdict maps */
	SL_LOGMSG_QUARANTINE, /* m is an input frame; [off, off+len) are the
				 unreadable bytes */
};

/* Why bytes went to quarantine: a wire class (frame-level) or the error
 * code of a record that named no decl_id. */
enum sl_quar_source {
	SL_QUAR_WIRE,	/* reason is an enum sl_wire_class */
	SL_QUAR_RECORD, /* reason is an enum sl_errcode */
};

struct sl_logmsg {
	struct rte_mbuf *m;
	uint32_t off;
	uint32_t len;
	uint16_t kind;	 /* enum sl_logmsg_kind */
	uint8_t source;	 /* enum sl_quar_source (QUARANTINE only) */
	uint8_t reason;	 /* wire class or error code */
	uint16_t worker; /* producing worker */
	uint16_t port;	 /* input port */
	uint32_t nv;	 /* VERDICTS: verdicts in the datagram */
	uint64_t vno;	 /* VERDICTS: the worker's number of the first one
			    (the tag of its state changes, state.h) */
};

/* Per-worker counters.  Written only by the worker, which publishes a copy
 * once per loop under a sequence count (sl_worker.pub_seq) so that readers
 * always see a consistent set: the accounting identity
 * decls_in == sum(verdicts) + quarantined holds in every published copy. */
struct sl_counters {
	uint64_t rx_frames;		      /* frames taken from the NIC */
	uint64_t rx_bytes;		      /* their bytes */
	uint64_t frames[SL_WIRE__COUNT];      /* frames by wire class */
	uint64_t decls_in;		      /* records + unreadable units */
	uint64_t decoded;		      /* records read as a map */
	uint64_t verdicts[SL_VERDICT__COUNT]; /* verdicts by kind */
	uint64_t rejects[SL_E__COUNT];	      /* rejects by error code */
	uint64_t quarantined;		      /* units sent to quarantine */
	uint64_t no_ruleset;		      /* verdicts made without rules */
	uint64_t tx_datagrams;		      /* verdict datagrams sent */
	uint64_t tx_verdicts;		      /* verdicts in them */
	uint64_t tx_dropped_datagrams;	      /* TX full after retries */
	uint64_t tx_dropped_verdicts;	      /* verdicts in those */
	uint64_t tx_retries;		      /* extra tx_burst calls */
	uint64_t log_stalls;		      /* log ring full: waited */
	uint64_t mbuf_stalls;		      /* TX pool empty: waited */
	uint64_t unlogged;		      /* verdicts neither sent nor
						 logged (must stay 0) */
	uint64_t replayed;    /* declarations sent again after a restart,
				 answered with their logged verdict */
	uint64_t held_waits;  /* held-datagram queue full: waited */
	uint64_t loops;	      /* main loop iterations */
	uint64_t busy_loops;  /* loops that received */
	uint64_t arp_replies; /* ARP requests for --ip answered */
	/* Observability (metrics.c, docs/operations.md). */
	uint64_t tier_verdicts[SL_TIER__COUNT][SL_VERDICT__COUNT];
	uint64_t lat_bucket[SL_LAT_BUCKETS]; /* decision latency, obs.h */
	uint64_t lat_sum_cycles;	     /* their sum, TSC cycles */
};

struct sl_rxq {
	uint16_t port;
	uint16_t queue; /* RX and TX queue index on port */
};

struct sl_engine;

struct sl_worker {
	/* --- set by main before launch; read-only afterwards --- */
	struct sl_engine *eng;
	unsigned idx;	/* worker index, 0..n_workers-1 (screener index) */
	unsigned lcore; /* EAL lcore it runs on */
	unsigned n_rxq;
	struct sl_rxq rxq[SL_MAX_RXQ];
	struct sl_screener *scr; /* owned; freed by main after the join */
	struct rte_ring *log;	 /* SPSC ring of struct sl_logmsg */
	uint8_t *linear;	 /* SL_LINEAR_MAX bytes, rte_malloc'd */

	/* --- read-write by the worker only --- */
	struct sl_counters acc; /* running counters */
	uint64_t rec_no;	/* records seen, the verdicts' `line` */
	uint64_t vno;		/* verdicts handed to the log thread */
	uint64_t msgs;		/* verdict messages put in the log ring */
	bool dirty;		/* acc changed since the last publish */
	/* Verdict datagrams held until the log thread has committed their
	 * verdicts (docs/reliability.md): a FIFO of SL_HELD_MAX, rte_malloc'd
	 * by main; ticket = the msgs count that must be committed first. */
	struct sl_held *held;
	uint32_t held_head, held_tail;
	void *txq; /* the worker's struct txq[SL_MAX_RXQ] (worker.c) */
	/* TSC when the first frame arrived and when the last burst was
	 * done (0 = none yet); read by the control plane, racy but each is
	 * one aligned 64-bit store. */
	uint64_t first_busy_tsc, last_busy_tsc;

	/* --- written by the log thread, read by the worker --- */
	uint64_t committed __rte_cache_aligned; /* verdict messages whose
						   verdicts are committed */

	/* --- written by the worker, read by the control plane --- */
	uint64_t held_n;		      /* datagrams held now */
	uint64_t pub_seq __rte_cache_aligned; /* odd while pub is written */
	struct sl_counters pub;
	volatile int done;    /* the worker left its loop */
	volatile int drained; /* sees eng->draining and takes no input;
				 everything it took is in TX or its ring */
} __rte_cache_aligned;

/* What the command line asked for.  Read-only after parsing. */
struct sl_run_opts {
	const char *bundle;	   /* -r; NULL = default bundle, else none */
	const char *registry;	   /* -e; NULL = none */
	const char *state_dir;	   /* --state; NULL = no persistence */
	const char *verdict_log;   /* --verdict-log; NULL = none */
	const char *quarantine;	   /* --quarantine; lazily created */
	const char *ctl_path;	   /* --ctl; unix socket */
	long until_idle_ms;	   /* --until-idle; <0 = run until signalled */
	uint16_t port;		   /* --port, declaration UDP port */
	unsigned rxd, txd;	   /* descriptors per queue */
	unsigned log_ring;	   /* log ring elements per worker */
	const char *stats_out;	   /* --stats: final stats JSON file */
	const char *ip;		   /* --ip: answer ARP for it; NULL = none */
	const char *metrics;	   /* --metrics ADDRESS:PORT; NULL = none */
	unsigned drain_timeout_ms; /* --drain-timeout: what `sluicectl
				      drain` waits at most */
	bool quiet;		   /* --quiet: no summary on stderr */
	unsigned replay_window;	   /* --replay-window: logged verdicts kept
				      to answer declarations sent again
				      (0: off) */
	uint64_t state_rotate;	   /* --state-rotate: WAL bytes after which
				      the state is compacted */
};

/* Reload bookkeeping; written by the ctl thread under reload_lock (the
 * stats reader takes it too; never taken on the data plane). */
struct sl_reload_info {
	uint64_t generation; /* snapshots published so far */
	uint64_t ok, failed; /* reload outcomes */
	char bundle_id[SL_SHORT_ID_MAX];
	char registry_id[SL_SHORT_ID_MAX];
	char last_error[256]; /* why the last failure failed */
	double last_ms;	      /* build + publish + grace period */
};

struct sl_log_totals {
	uint64_t verdicts_logged;    /* JSON lines written */
	uint64_t quarantine_written; /* quarantine entries written */
	uint64_t decode_errors;	     /* verdict maps that did not decode
					(a bug if ever non-zero) */
	uint64_t write_errors;	     /* fwrite/fflush failures */
	uint64_t state_errors;	     /* sl_state_flush failures */
	uint64_t unlogged;	   /* verdicts the log writer would not take */
	struct sl_vlog_stats vlog; /* the writer's counters (reload_lock) */
	int vlog_error;		   /* sl_vlog_error() (reload_lock) */
};

struct sl_engine {
	struct sl_run_opts opt;
	unsigned n_workers;
	unsigned n_ports;
	uint32_t ip_be; /* --ip, network byte order */
	uint16_t port_ids[SL_MAX_PORTS];
	struct rte_ether_addr port_mac[SL_MAX_PORTS];
	unsigned port_nq[SL_MAX_PORTS]; /* queue pairs configured */
	struct rte_mempool *rx_pool, *tx_pool;
	struct sl_worker *workers; /* n_workers, rte_malloc'd, cache-aligned */
	uint64_t start_tsc;

	/* the snapshot the workers read; RCU-protected (QSBR) */
	struct sl_snapshot *live;
	struct sl_state *state;	  /* shared buyer/consignee state (state.h),
				     flushed by the log thread */
	struct sl_vlog *vlog;	  /* the verdict log, opened by main before
				     the state (its count of verdicts is the
				     state's commit horizon), then owned by
				     the log thread; NULL = none */
	bool hold_tx;		  /* verdicts leave only once committed: a
				     verdict log or a state directory */
	struct sl_replay *replay; /* the log's last verdicts, for
				     declarations sent again; NULL = none */
	volatile int replay_off;  /* log thread: past the window */
	uint64_t compact_req;	  /* log thread asks ctl to compact the
				     state (atomic); ctl answers below */
	uint64_t compact_done;

	/* flags; set by signal handlers, the ctl thread and main */
	volatile int quit;     /* workers: leave the loop */
	volatile int log_quit; /* log thread: drain all and leave */
	volatile int ctl_quit; /* ctl thread: leave */
	volatile int draining; /* workers: take no input (ctl thread sets,
				  `sluicectl drain`; metrics.c) */
	uint64_t flush_req;    /* ctl thread asks the log thread to commit */
	uint64_t flush_done;   /* ... and the log thread answers (atomics) */
	uint64_t reopen_req;   /* ctl thread asks the log thread to reopen
				  the quarantine file (logrotate; atomic) */
	struct sl_obs *obs;    /* rule counts, metrics endpoint, drain
				  progress (metrics.c); NULL before init */

	pthread_mutex_t reload_lock; /* control plane only */
	struct sl_reload_info rl;

	struct sl_config *cfg; /* --config FILE, or NULL; opt's strings may
				  point into it */
	struct sl_vlog_config vlog_cfg; /* verdict log options; path set
					   from opt.verdict_log at start */
	struct sl_log_totals logt;	/* written by the log thread */
	pthread_t log_thread, ctl_thread;
	bool log_started, ctl_started;
	int ctl_fd;
};

/* run.c: the engine between rte_eal_init and rte_eal_cleanup, for
 * sl_cmd_run and for benches that make their own ports (main thread).
 * sl_engine_new fills opt with the defaults; sl_engine_run returns the
 * exit status of `sluice run`. */
void sl_run_opts_defaults(struct sl_run_opts *o);
struct sl_engine *sl_engine_new(void);
int sl_engine_run(struct sl_engine *e);
void sl_engine_free(struct sl_engine *e);

/* port.c: pools, queue configuration and start (main, before launch). */
int sl_ports_init(struct sl_engine *e);
void sl_ports_close(struct sl_engine *e);

/* worker.c: the lcore entry point (data plane). */
int sl_worker_main(void *arg);

/* Consistent copy of worker w's published counters.  Control plane. */
void sl_worker_read(const struct sl_worker *w, struct sl_counters *out);
void sl_counters_add(struct sl_counters *sum, const struct sl_counters *c);

/* logw.c: the log thread.  sl_vlog_start opens the verdict log (main,
 * before the state, whose commit horizon it gives) and keeps its last
 * verdicts (e->replay); sl_log_start hands it to the log thread. */
int sl_vlog_start(struct sl_engine *e);
int sl_log_start(struct sl_engine *e);
void sl_log_stop(struct sl_engine *e); /* drains everything, joins */

/* reload.c: builds a snapshot from opt.bundle/opt.registry and publishes
 * it.  Control plane (ctl thread, or main before launch).  Returns 0, or
 * -1 with the reason in why (the old snapshot stays). */
int sl_reload(struct sl_engine *e, char *why, size_t whylen);
void sl_reload_fini(struct sl_engine *e); /* frees live; no readers left */

/* stats.c: the stats as a JSON object (cJSON), control plane; the caller
 * frees it with cJSON_Delete. */
struct cJSON;
struct cJSON *sl_stats_json(struct sl_engine *e);
void sl_stats_summary(struct sl_engine *e, FILE *f);
/* Seconds from the first frame received to the end of the last busy
 * loop, over all workers (0 before any input): the denominator of
 * declarations per second in benches. */
double sl_active_seconds(const struct sl_engine *e);

/* ctl.c: the control thread (socket, signals, idle, reloads). */
int sl_ctl_start(struct sl_engine *e);
void sl_ctl_stop(struct sl_engine *e);
void sl_signals_install(void);

#endif /* SLUICE_DPDK_ENGINE_H */
