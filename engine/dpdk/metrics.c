/* sluice — the engine's observability on the control plane: the
 * Prometheus endpoint (libmicrohttpd), per-rule counts, `sluicectl top`
 * and `sluicectl drain` (docs/operations.md).
 *
 * Threads:
 *   - the ctl thread serves HTTP from its own loop (libmicrohttpd in
 *     external epoll mode: no thread of its own, so nothing can land on a
 *     worker's lcore), answers top/drain/resume and follows a drain;
 *   - the log thread counts rules (sl_obs_verdict) and answers flush
 *     requests (sl_obs_flush_*);
 *   - workers only read e->draining and write their own counters.
 * Nothing here runs on the data plane.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <sluice/config.h>
#include <sluice/decl.h>

#include "engine.h"
#include "metrics.h"

#define TOP_MAX 100 /* rules `sluicectl top` may ask for */

struct sl_obs {
	struct sl_rulestats rules; /* log thread writes, ctl thread reads */
	bool count_rules;	   /* workers hand verdicts to the log thread */

	/* --- ctl thread only --- */
	struct MHD_Daemon *mhd;
	int mhd_fd;
	uint64_t scrapes;
	bool drained;	      /* the drain in progress is complete */
	bool flush_asked;     /* a flush was requested for this drain */
	uint64_t flush_want;  /* the flush_req value it waits for */
	uint64_t drain_start; /* timer cycles when draining began */
	double drain_ms;      /* how long it took */
};

/* ------------------------------------------------------------- life */

int sl_obs_init(struct sl_engine *e)
{
	struct sl_obs *o = calloc(1, sizeof(*o));

	if (!o || sl_rulestats_init(&o->rules) < 0) {
		free(o);
		return -ENOMEM;
	}
	o->mhd_fd = -1;
	/* Rule counts come from the verdicts the log thread decodes; it
	 * gets them when there is a verdict log or someone to show them. */
	o->count_rules = e->opt.verdict_log || e->opt.metrics;
	e->obs = o;
	return 0;
}

void sl_obs_fini(struct sl_engine *e)
{
	if (!e->obs)
		return;
	sl_metrics_stop(e);
	sl_rulestats_fini(&e->obs->rules);
	free(e->obs);
	e->obs = NULL;
}

bool sl_obs_wants_verdicts(const struct sl_engine *e)
{
	return e->obs && e->obs->count_rules;
}

void sl_obs_verdict(struct sl_engine *e, const sl_verdict_t *v)
{
	if (e->obs && e->obs->count_rules)
		sl_rulestats_add(&e->obs->rules, v, time(NULL));
}

/* ------------------------------------------------------ log flushes */

bool sl_obs_flush_wanted(struct sl_engine *e, uint64_t *req)
{
	*req = __atomic_load_n(&e->flush_req, __ATOMIC_ACQUIRE);
	return *req != __atomic_load_n(&e->flush_done, __ATOMIC_RELAXED);
}

void sl_obs_flush_done(struct sl_engine *e, uint64_t req)
{
	__atomic_store_n(&e->flush_done, req, __ATOMIC_RELEASE);
}

bool sl_obs_reopen_wanted(struct sl_engine *e, uint64_t *seen)
{
	uint64_t r = __atomic_load_n(&e->reopen_req, __ATOMIC_ACQUIRE);

	if (r == *seen)
		return false;
	*seen = r;
	return true;
}

/* ------------------------------------------------------------ drain */

static double ms_since(uint64_t t0)
{
	return (double)(rte_get_timer_cycles() - t0) * 1000.0 /
	       (double)rte_get_timer_hz();
}

/* Follows a drain: every worker stopped taking input, every log ring
 * empty, then one flush of the verdict log, the quarantine file and the
 * state by the log thread.  Ctl thread, every loop. */
static void drain_progress(struct sl_engine *e)
{
	struct sl_obs *o = e->obs;
	unsigned i;

	if (!e->draining || o->drained)
		return;
	for (i = 0; i < e->n_workers; i++) {
		const struct sl_worker *w = &e->workers[i];

		if (!__atomic_load_n(&w->drained, __ATOMIC_ACQUIRE) &&
		    !__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			return;
		if (rte_ring_count(w->log) ||
		    __atomic_load_n(&w->held_n, __ATOMIC_RELAXED))
			return; /* held: sent once the log thread commits */
	}
	if (!o->flush_asked) {
		/* The rings are empty and nothing can enter them: what the
		 * log thread commits after this request is everything. */
		o->flush_want =
		    __atomic_add_fetch(&e->flush_req, 1, __ATOMIC_ACQ_REL);
		o->flush_asked = true;
		return;
	}
	if (!e->log_started ||
	    __atomic_load_n(&e->flush_done, __ATOMIC_ACQUIRE) >=
		o->flush_want) {
		o->drained = true;
		o->drain_ms = ms_since(o->drain_start);
		fprintf(stderr,
			"sluice run: drained in %.1f ms: no input is taken; "
			"every verdict is sent and committed to the log\n",
			o->drain_ms);
	}
}

static cJSON *drain_reply(struct sl_engine *e)
{
	struct sl_obs *o = e->obs;
	cJSON *r = cJSON_CreateObject();
	unsigned i, idle = 0, ring = 0;

	for (i = 0; i < e->n_workers; i++) {
		idle += __atomic_load_n(&e->workers[i].drained,
					__ATOMIC_RELAXED) != 0;
		ring += rte_ring_count(e->workers[i].log);
	}
	cJSON_AddBoolToObject(r, "ok", 1);
	cJSON_AddBoolToObject(r, "draining", e->draining != 0);
	cJSON_AddBoolToObject(r, "drained", o->drained);
	cJSON_AddNumberToObject(r, "workers_stopped", idle);
	cJSON_AddNumberToObject(r, "workers", e->n_workers);
	cJSON_AddNumberToObject(r, "log_ring_used", ring);
	cJSON_AddNumberToObject(r, "elapsed_ms",
				o->drained    ? o->drain_ms
				: e->draining ? ms_since(o->drain_start)
					      : 0);
	cJSON_AddNumberToObject(r, "timeout_ms", e->opt.drain_timeout_ms);
	return r;
}

/* ------------------------------------------------- control commands */

static cJSON *top_reply(struct sl_engine *e, char **save)
{
	struct sl_obs *o = e->obs;
	struct sl_rule_count top[TOP_MAX];
	const char *a = strtok_r(NULL, " \t\r\n", save);
	const char *b = strtok_r(NULL, " \t\r\n", save);
	char *end_a = NULL, *end_b = NULL;
	long minutes = a ? strtol(a, &end_a, 10) : 15;
	long n = b ? strtol(b, &end_b, 10) : 10;
	cJSON *r = cJSON_CreateObject(), *arr;
	uint64_t nv = 0;
	unsigned i, got;

	if (!o->count_rules) {
		cJSON_AddBoolToObject(r, "ok", 0);
		cJSON_AddStringToObject(r, "error",
					"rule counts need --verdict-log or "
					"--metrics");
		return r;
	}
	if ((end_a && *end_a) || (end_b && *end_b) || minutes < 1 ||
	    minutes > SL_RS_MINUTES || n < 1 || n > TOP_MAX) {
		cJSON_AddBoolToObject(r, "ok", 0);
		cJSON_AddStringToObject(r, "error",
					"usage: top [MINUTES 1-60] [N 1-100]");
		return r;
	}
	got = sl_rulestats_top(&o->rules, (unsigned)minutes, time(NULL), top,
			       (unsigned)n, &nv);
	cJSON_AddBoolToObject(r, "ok", 1);
	cJSON_AddNumberToObject(r, "minutes", (double)minutes);
	cJSON_AddNumberToObject(r, "verdicts", (double)nv);
	arr = cJSON_AddArrayToObject(r, "rules");
	for (i = 0; arr && i < got; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "rule", top[i].rule);
		cJSON_AddNumberToObject(x, "hits", (double)top[i].hits);
		cJSON_AddNumberToObject(
		    x, "share", nv ? (double)top[i].hits / (double)nv : 0);
		cJSON_AddItemToArray(arr, x);
	}
	return r;
}

cJSON *sl_obs_command(struct sl_engine *e, const char *cmd, char **save)
{
	struct sl_obs *o = e->obs;

	if (!o)
		return NULL;
	if (!strcmp(cmd, "drain")) {
		if (!e->draining) {
			o->drained = false;
			o->flush_asked = false;
			o->drain_start = rte_get_timer_cycles();
			__atomic_store_n(&e->draining, 1, __ATOMIC_RELEASE);
			fprintf(stderr, "sluice run: draining (control "
					"socket): no more input is taken\n");
		}
		drain_progress(e);
		return drain_reply(e);
	}
	if (!strcmp(cmd, "resume")) {
		if (e->draining)
			fprintf(stderr, "sluice run: resuming: taking input "
					"again\n");
		__atomic_store_n(&e->draining, 0, __ATOMIC_RELEASE);
		o->drained = false;
		o->flush_asked = false;
		return drain_reply(e);
	}
	if (!strcmp(cmd, "reopen")) {
		/* logrotate moved the quarantine file away: the log thread
		 * closes it and opens the path again at the next entry. */
		cJSON *r = cJSON_CreateObject();

		__atomic_add_fetch(&e->reopen_req, 1, __ATOMIC_RELEASE);
		cJSON_AddBoolToObject(r, "ok", 1);
		cJSON_AddStringToObject(r, "quarantine", e->opt.quarantine);
		return r;
	}
	if (!strcmp(cmd, "top"))
		return top_reply(e, save);
	return NULL;
}

void sl_obs_stats_json(struct sl_engine *e, cJSON *eng)
{
	if (!e->obs)
		return;
	cJSON_AddBoolToObject(eng, "draining", e->draining != 0);
	cJSON_AddBoolToObject(eng, "drained", e->obs->drained);
	cJSON_AddStringToObject(eng, "metrics",
				e->opt.metrics ? e->opt.metrics : "");
}

/* ---------------------------------------------------- exposition */

/* A label value with \, " and newline escaped (text format 0.0.4). */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_u64(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

struct rule_ctx {
	FILE *f;
};

static void put_rule(void *arg, const char *rule, uint64_t hits)
{
	struct rule_ctx *c = arg;

	fputs("sluice_rule_hits_total{rule=\"", c->f);
	put_label(c->f, rule);
	fprintf(c->f, "\"} %llu\n", (unsigned long long)hits);
}

char *sl_metrics_text(struct sl_engine *e, size_t *len)
{
	struct sl_counters tot, c;
	struct sl_reload_info rl;
	struct sl_log_totals lt;
	char *buf = NULL;
	size_t n = 0;
	uint64_t verdicts = 0, cum = 0;
	double hz = (double)rte_get_tsc_hz();
	unsigned i, t, k;
	FILE *f;

	f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < e->n_workers; i++) {
		sl_worker_read(&e->workers[i], &c);
		sl_counters_add(&tot, &c);
	}
	for (k = 0; k < SL_VERDICT__COUNT; k++)
		verdicts += tot.verdicts[k];
	pthread_mutex_lock(&e->reload_lock);
	rl = e->rl;
	lt = e->logt;
	pthread_mutex_unlock(&e->reload_lock);

	head(f, "sluice_info", "gauge",
	     "The live bundle and registry (value is always 1).");
	fputs("sluice_info{bundle=\"", f);
	put_label(f, rl.bundle_id);
	fputs("\",registry=\"", f);
	put_label(f, rl.registry_id);
	fputs("\"} 1\n", f);
	head(f, "sluice_snapshot_generation", "gauge",
	     "Snapshots published since start.");
	put_u64(f, "sluice_snapshot_generation", rl.generation);
	head(f, "sluice_reloads_total", "counter",
	     "Reloads of bundle and registry, by result (the first load "
	     "counts as ok).");
	fprintf(f, "sluice_reloads_total{result=\"ok\"} %llu\n",
		(unsigned long long)rl.ok);
	fprintf(f, "sluice_reloads_total{result=\"failed\"} %llu\n",
		(unsigned long long)rl.failed);
	head(f, "sluice_last_reload_seconds", "gauge",
	     "Duration of the last reload: build, publish, grace period.");
	fprintf(f, "sluice_last_reload_seconds %.6f\n", rl.last_ms / 1000.0);
	head(f, "sluice_uptime_seconds", "gauge", "Seconds since launch.");
	fprintf(f, "sluice_uptime_seconds %.3f\n",
		e->start_tsc ? (double)(rte_get_timer_cycles() - e->start_tsc) /
				   (double)rte_get_timer_hz()
			     : 0.0);
	head(f, "sluice_workers", "gauge", "Worker lcores.");
	put_u64(f, "sluice_workers", e->n_workers);
	head(f, "sluice_draining", "gauge",
	     "1 while the engine takes no input (sluicectl drain).");
	put_u64(f, "sluice_draining", e->draining ? 1 : 0);

	head(f, "sluice_declarations_total", "counter",
	     "Declarations in: records read plus unreadable units.");
	put_u64(f, "sluice_declarations_total", tot.decls_in);
	head(f, "sluice_verdicts_total", "counter", "Verdicts by kind.");
	for (k = 0; k < SL_VERDICT__COUNT; k++)
		fprintf(f, "sluice_verdicts_total{verdict=\"%s\"} %llu\n",
			sl_verdict_name(k),
			(unsigned long long)tot.verdicts[k]);
	head(f, "sluice_tier_verdicts_total", "counter",
	     "Verdicts by enterprise credit tier and kind (rejects have "
	     "tier unknown).");
	for (t = 0; t < SL_TIER__COUNT; t++)
		for (k = 0; k < SL_VERDICT__COUNT; k++)
			fprintf(f,
				"sluice_tier_verdicts_total{tier=\"%s\","
				"verdict=\"%s\"} %llu\n",
				sl_tier_name(t), sl_verdict_name(k),
				(unsigned long long)tot.tier_verdicts[t][k]);
	head(f, "sluice_rule_hits_total", "counter",
	     "Verdicts naming each rule in their reasons (once per "
	     "verdict), counted from the verdict stream.");
	if (e->obs && e->obs->count_rules) {
		struct rule_ctx rc = {f};

		sl_rulestats_each(&e->obs->rules, put_rule, &rc);
	}
	head(f, "sluice_rule_hits_uncounted_total", "counter",
	     "Rule hits not counted by name: more distinct rules than the "
	     "table holds.");
	put_u64(f, "sluice_rule_hits_uncounted_total",
		e->obs ? e->obs->rules.overflow : 0);
	head(f, "sluice_rejects_total", "counter",
	     "Rejected declarations by error code.");
	for (k = 1; k < SL_E__COUNT; k++)
		fprintf(f, "sluice_rejects_total{code=\"%s\"} %llu\n",
			sl_errcode_name(k), (unsigned long long)tot.rejects[k]);
	head(f, "sluice_quarantined_total", "counter",
	     "Units written raw to quarantine (no decl_id to answer).");
	put_u64(f, "sluice_quarantined_total", tot.quarantined);
	head(f, "sluice_accounting_identity", "gauge",
	     "1 while declarations in = verdicts + quarantined.");
	put_u64(f, "sluice_accounting_identity",
		tot.decls_in == verdicts + tot.quarantined);
	head(f, "sluice_no_ruleset_total", "counter",
	     "Verdicts made without a rule set (held, NO_RULESET).");
	put_u64(f, "sluice_no_ruleset_total", tot.no_ruleset);
	head(f, "sluice_frames_total", "counter",
	     "Frames received, by what they are (docs/wire.md).");
	for (k = 0; k < SL_WIRE__COUNT; k++)
		fprintf(f, "sluice_frames_total{class=\"%s\"} %llu\n",
			sl_wire_class_name(k),
			(unsigned long long)tot.frames[k]);
	head(f, "sluice_tx_verdicts_total", "counter",
	     "Verdicts sent back in datagrams.");
	put_u64(f, "sluice_tx_verdicts_total", tot.tx_verdicts);
	head(f, "sluice_tx_dropped_verdicts_total", "counter",
	     "Verdicts whose datagram a full TX queue dropped (they are in "
	     "the verdict log).");
	put_u64(f, "sluice_tx_dropped_verdicts_total", tot.tx_dropped_verdicts);
	head(f, "sluice_unlogged_verdicts_total", "counter",
	     "Verdicts neither sent nor logged, or refused by the log "
	     "writer (must stay 0).");
	put_u64(f, "sluice_unlogged_verdicts_total",
		tot.unlogged + lt.unlogged);
	head(f, "sluice_log_stalls_total", "counter",
	     "Times a worker waited for the log thread (backpressure).");
	put_u64(f, "sluice_log_stalls_total", tot.log_stalls);
	head(f, "sluice_mbuf_stalls_total", "counter",
	     "Times a worker waited for TX mbufs.");
	put_u64(f, "sluice_mbuf_stalls_total", tot.mbuf_stalls);

	head(f, "sluice_decision_latency_seconds", "histogram",
	     "Per declaration: from the rx_burst that brought it to the "
	     "tx_burst that sent its verdict.");
	for (k = 0; k < SL_LAT_BUCKETS; k++) {
		cum += tot.lat_bucket[k];
		if (k < SL_LAT_BUCKETS - 1)
			fprintf(f,
				"sluice_decision_latency_seconds_bucket{le=\"%g"
				"\"} %llu\n",
				sl_lat_bound_s(k), (unsigned long long)cum);
		else
			fprintf(f,
				"sluice_decision_latency_seconds_bucket{le=\"+"
				"Inf\"} %llu\n",
				(unsigned long long)cum);
	}
	fprintf(f, "sluice_decision_latency_seconds_sum %.9f\n",
		(double)tot.lat_sum_cycles / hz);
	fprintf(f, "sluice_decision_latency_seconds_count %llu\n",
		(unsigned long long)cum);

	head(f, "sluice_nic_rx_packets_total", "counter",
	     "Packets the NIC received, per port.");
	head(f, "sluice_nic_rx_missed_total", "counter",
	     "Packets the NIC dropped because the RX queue was full "
	     "(imissed): the workers did not keep up.");
	head(f, "sluice_nic_rx_errors_total", "counter",
	     "Erroneous packets received, per port.");
	head(f, "sluice_nic_rx_nombuf_total", "counter",
	     "RX mbuf allocation failures, per port.");
	head(f, "sluice_nic_tx_packets_total", "counter",
	     "Packets sent, per port.");
	head(f, "sluice_nic_tx_errors_total", "counter",
	     "Packets that failed to be sent, per port.");
	for (i = 0; i < e->n_ports; i++) {
		struct rte_eth_stats s;
		char name[RTE_ETH_NAME_MAX_LEN] = "";

		if (rte_eth_stats_get(e->port_ids[i], &s) != 0)
			continue;
		rte_eth_dev_get_name_by_port(e->port_ids[i], name);
#define PORT_LINE(metric, v)                                                   \
	do {                                                                   \
		fprintf(f, metric "{port=\"");                                 \
		put_label(f, name);                                            \
		fprintf(f, "\"} %llu\n", (unsigned long long)(v));             \
	} while (0)
		PORT_LINE("sluice_nic_rx_packets_total", s.ipackets);
		PORT_LINE("sluice_nic_rx_missed_total", s.imissed);
		PORT_LINE("sluice_nic_rx_errors_total", s.ierrors);
		PORT_LINE("sluice_nic_rx_nombuf_total", s.rx_nombuf);
		PORT_LINE("sluice_nic_tx_packets_total", s.opackets);
		PORT_LINE("sluice_nic_tx_errors_total", s.oerrors);
#undef PORT_LINE
	}

	head(f, "sluice_worker_loops_total", "counter",
	     "Poll loops per worker.");
	head(f, "sluice_worker_busy_loops_total", "counter",
	     "Poll loops that received frames, per worker: busy / loops is "
	     "the worker's load.");
	head(f, "sluice_log_ring_used", "gauge",
	     "Entries waiting in each worker's ring to the log thread.");
	for (i = 0; i < e->n_workers; i++) {
		sl_worker_read(&e->workers[i], &c);
		fprintf(f, "sluice_worker_loops_total{worker=\"%u\"} %llu\n", i,
			(unsigned long long)c.loops);
		fprintf(f,
			"sluice_worker_busy_loops_total{worker=\"%u\"} %llu\n",
			i, (unsigned long long)c.busy_loops);
		fprintf(f, "sluice_log_ring_used{worker=\"%u\"} %u\n", i,
			rte_ring_count(e->workers[i].log));
	}

	head(f, "sluice_vlog_verdicts_total", "counter",
	     "Verdicts appended to the verdict log.");
	put_u64(f, "sluice_vlog_verdicts_total",
		__atomic_load_n(&e->logt.verdicts_logged, __ATOMIC_RELAXED));
	head(f, "sluice_vlog_syncs_total", "counter",
	     "fdatasync calls of the verdict log.");
	put_u64(f, "sluice_vlog_syncs_total", lt.vlog.syncs);
	head(f, "sluice_vlog_checkpoints_total", "counter",
	     "Signed checkpoints written to the verdict log.");
	put_u64(f, "sluice_vlog_checkpoints_total", lt.vlog.checkpoints);
	head(f, "sluice_log_write_errors_total", "counter",
	     "Failed writes of the verdict log, quarantine or state.");
	put_u64(f, "sluice_log_write_errors_total",
		lt.write_errors + lt.state_errors);
	head(f, "sluice_quarantine_written_total", "counter",
	     "Quarantine entries written.");
	put_u64(f, "sluice_quarantine_written_total",
		__atomic_load_n(&e->logt.quarantine_written, __ATOMIC_RELAXED));
	head(f, "sluice_metrics_scrapes_total", "counter",
	     "Requests for /metrics served (this one included).");
	put_u64(f, "sluice_metrics_scrapes_total",
		e->obs ? e->obs->scrapes : 0);

	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* --------------------------------------------------- HTTP endpoint */

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static const char index_text[] = "sluice engine: metrics at /metrics\n";
	static const char not_found[] = "not found: try /metrics\n";
	static const char bad_method[] = "only GET and HEAD\n";
	struct sl_engine *e = cls;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;
	char *body = NULL;
	size_t len = 0;

	(void)version;
	(void)upload;
	(void)con_cls;
	if (*upload_size) {
		*upload_size = 0; /* ignore any body */
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		resp = MHD_create_response_from_buffer(sizeof(bad_method) - 1,
						       (void *)bad_method,
						       MHD_RESPMEM_PERSISTENT);
	} else if (!strcmp(url, "/metrics")) {
		e->obs->scrapes++;
		body = sl_metrics_text(e, &len);
		if (!body)
			return MHD_NO; /* ENOMEM: drop the connection */
		resp = MHD_create_response_from_buffer(len, body,
						       MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(body);
			return MHD_NO;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; version=0.0.4; "
					"charset=utf-8");
	} else if (!strcmp(url, "/")) {
		resp = MHD_create_response_from_buffer(sizeof(index_text) - 1,
						       (void *)index_text,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		status = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1,
						       (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

int sl_metrics_start(struct sl_engine *e)
{
	struct sl_obs *o = e->obs;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL;

	if (!o || !e->opt.metrics)
		return 0;
	if (sl_config_parse_listen(e->opt.metrics, &ss) < 0) {
		fprintf(stderr,
			"sluice run: --metrics %s: not ADDRESS:PORT "
			"(127.0.0.1:9478, [::1]:9478)\n",
			e->opt.metrics);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* External epoll mode: the ctl thread runs it, one fd to poll. */
	o->mhd = MHD_start_daemon(
	    flags, 1, NULL, NULL, answer, e, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!o->mhd) {
		fprintf(stderr,
			"sluice run: metrics endpoint %s: cannot listen "
			"(address in use or not on this host?)\n",
			e->opt.metrics);
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(o->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	o->mhd_fd = info ? info->epoll_fd : -1;
	fprintf(stderr, "sluice run: metrics on http://%s/metrics\n",
		e->opt.metrics);
	return 0;
}

int sl_metrics_fd(struct sl_engine *e)
{
	return e->obs && e->obs->mhd ? e->obs->mhd_fd : -1;
}

void sl_metrics_run(struct sl_engine *e)
{
	if (e->obs && e->obs->mhd)
		MHD_run(e->obs->mhd);
}

void sl_metrics_stop(struct sl_engine *e)
{
	if (e->obs && e->obs->mhd) {
		MHD_stop_daemon(e->obs->mhd);
		e->obs->mhd = NULL;
		e->obs->mhd_fd = -1;
	}
}

void sl_obs_tick(struct sl_engine *e)
{
	if (!e->obs)
		return;
	drain_progress(e);
	sl_metrics_run(e);
}
