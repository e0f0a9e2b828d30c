/* sluice — engine statistics: `sluicectl stats` JSON and the summary
 * printed at exit (control plane).  Field names are documented in
 * docs/engine.md; add fields, never rename them.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <sluice/decl.h>
#include <sluice/state.h>

#include "engine.h"
#include "metrics.h"

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

static cJSON *counters_json(const struct sl_counters *c)
{
	cJSON *o = cJSON_CreateObject(), *x;
	uint64_t verdicts = 0;
	int i;

	add_u64(o, "rx_frames", c->rx_frames);
	add_u64(o, "rx_bytes", c->rx_bytes);
	x = cJSON_AddObjectToObject(o, "frames");
	for (i = 0; i < SL_WIRE__COUNT; i++)
		add_u64(x, sl_wire_class_name((enum sl_wire_class)i),
			c->frames[i]);
	add_u64(o, "decls_in", c->decls_in);
	add_u64(o, "decoded", c->decoded);
	x = cJSON_AddObjectToObject(o, "verdicts");
	for (i = 0; i < SL_VERDICT__COUNT; i++) {
		add_u64(x, sl_verdict_name((enum sl_verdict_kind)i),
			c->verdicts[i]);
		verdicts += c->verdicts[i];
	}
	add_u64(o, "verdicts_total", verdicts);
	x = cJSON_AddObjectToObject(o, "rejects");
	for (i = 1; i < SL_E__COUNT; i++)
		if (c->rejects[i])
			add_u64(x, sl_errcode_name((enum sl_errcode)i),
				c->rejects[i]);
	add_u64(o, "quarantined", c->quarantined);
	add_u64(o, "no_ruleset", c->no_ruleset);
	add_u64(o, "tx_datagrams", c->tx_datagrams);
	add_u64(o, "tx_verdicts", c->tx_verdicts);
	add_u64(o, "tx_dropped_datagrams", c->tx_dropped_datagrams);
	add_u64(o, "tx_dropped_verdicts", c->tx_dropped_verdicts);
	add_u64(o, "tx_retries", c->tx_retries);
	add_u64(o, "log_stalls", c->log_stalls);
	add_u64(o, "mbuf_stalls", c->mbuf_stalls);
	add_u64(o, "unlogged", c->unlogged);
	add_u64(o, "replayed", c->replayed);
	add_u64(o, "held_waits", c->held_waits);
	add_u64(o, "loops", c->loops);
	add_u64(o, "busy_loops", c->busy_loops);
	add_u64(o, "arp_replies", c->arp_replies);
	/* declarations in = verdicts + quarantined (docs/engine.md) */
	x = cJSON_AddObjectToObject(o, "identity");
	add_u64(x, "in", c->decls_in);
	add_u64(x, "verdicts", verdicts);
	add_u64(x, "quarantined", c->quarantined);
	cJSON_AddBoolToObject(x, "holds",
			      c->decls_in == verdicts + c->quarantined);
	return o;
}

double sl_active_seconds(const struct sl_engine *e)
{
	uint64_t first = UINT64_MAX, last = 0;
	unsigned i;

	for (i = 0; i < e->n_workers; i++) {
		const struct sl_worker *w = &e->workers[i];
		uint64_t f =
		    __atomic_load_n(&w->first_busy_tsc, __ATOMIC_RELAXED);
		uint64_t l =
		    __atomic_load_n(&w->last_busy_tsc, __ATOMIC_RELAXED);

		if (f && f < first)
			first = f;
		if (l > last)
			last = l;
	}
	return last > first && first != UINT64_MAX
		   ? (double)(last - first) / (double)rte_get_timer_hz()
		   : 0.0;
}

cJSON *sl_stats_json(struct sl_engine *e)
{
	cJSON *root = cJSON_CreateObject(), *eng, *ws, *ps, *lg;
	struct sl_counters tot, c;
	struct sl_reload_info rl;
	unsigned i, q;

	memset(&tot, 0, sizeof(tot));
	pthread_mutex_lock(&e->reload_lock);
	rl = e->rl;
	pthread_mutex_unlock(&e->reload_lock);

	cJSON_AddBoolToObject(root, "ok", 1);
	eng = cJSON_AddObjectToObject(root, "engine");
	cJSON_AddNumberToObject(
	    eng, "uptime_s",
	    (double)(rte_get_timer_cycles() - e->start_tsc) /
		(double)rte_get_timer_hz());
	add_u64(eng, "workers", e->n_workers);
	cJSON_AddStringToObject(eng, "bundle", rl.bundle_id);
	cJSON_AddStringToObject(eng, "registry", rl.registry_id);
	add_u64(eng, "generation", rl.generation);
	add_u64(eng, "reloads_ok", rl.ok);
	add_u64(eng, "reloads_failed", rl.failed);
	cJSON_AddStringToObject(eng, "last_reload_error", rl.last_error);
	cJSON_AddNumberToObject(eng, "last_reload_ms", rl.last_ms);
	add_u64(eng, "decl_port", e->opt.port);
	sl_obs_stats_json(e, eng); /* draining, drained, metrics */
	cJSON_AddNumberToObject(eng, "active_s", sl_active_seconds(e));

	ws = cJSON_AddArrayToObject(root, "workers");
	for (i = 0; i < e->n_workers; i++) {
		struct sl_worker *w = &e->workers[i];
		cJSON *wj, *qs;

		sl_worker_read(w, &c);
		sl_counters_add(&tot, &c);
		wj = counters_json(&c);
		cJSON_AddNumberToObject(wj, "worker", i);
		cJSON_AddNumberToObject(wj, "lcore", w->lcore);
		qs = cJSON_AddArrayToObject(wj, "queues");
		for (q = 0; q < w->n_rxq; q++) {
			cJSON *pq = cJSON_CreateObject();

			add_u64(pq, "port", w->rxq[q].port);
			add_u64(pq, "queue", w->rxq[q].queue);
			cJSON_AddItemToArray(qs, pq);
		}
		add_u64(wj, "log_ring_used", rte_ring_count(w->log));
		cJSON_AddItemToArray(ws, wj);
	}
	cJSON_AddItemToObject(root, "totals", counters_json(&tot));

	ps = cJSON_AddArrayToObject(root, "ports");
	for (i = 0; i < e->n_ports; i++) {
		struct rte_eth_stats s;
		char name[RTE_ETH_NAME_MAX_LEN] = "";
		cJSON *pj = cJSON_CreateObject();

		rte_eth_dev_get_name_by_port(e->port_ids[i], name);
		add_u64(pj, "port", e->port_ids[i]);
		cJSON_AddStringToObject(pj, "name", name);
		add_u64(pj, "queues", e->port_nq[i]);
		if (rte_eth_stats_get(e->port_ids[i], &s) == 0) {
			add_u64(pj, "ipackets", s.ipackets);
			add_u64(pj, "ibytes", s.ibytes);
			add_u64(pj, "imissed", s.imissed);
			add_u64(pj, "ierrors", s.ierrors);
			add_u64(pj, "rx_nombuf", s.rx_nombuf);
			add_u64(pj, "opackets", s.opackets);
			add_u64(pj, "obytes", s.obytes);
			add_u64(pj, "oerrors", s.oerrors);
		}
		cJSON_AddItemToArray(ps, pj);
	}

	lg = cJSON_AddObjectToObject(root, "log");
	cJSON_AddStringToObject(lg, "verdict_log",
				e->opt.verdict_log ? e->opt.verdict_log : "");
	cJSON_AddStringToObject(lg, "quarantine", e->opt.quarantine);
	add_u64(lg, "verdicts_logged",
		__atomic_load_n(&e->logt.verdicts_logged, __ATOMIC_RELAXED));
	add_u64(lg, "quarantine_written",
		__atomic_load_n(&e->logt.quarantine_written, __ATOMIC_RELAXED));
	add_u64(lg, "decode_errors", e->logt.decode_errors);
	add_u64(lg, "write_errors", e->logt.write_errors);
	add_u64(lg, "state_errors", e->logt.state_errors);
	add_u64(lg, "unlogged", e->logt.unlogged);
	if (e->opt.verdict_log) {
		struct sl_vlog_stats vs;
		cJSON *vj = cJSON_AddObjectToObject(lg, "vlog");

		pthread_mutex_lock(&e->reload_lock);
		vs = e->logt.vlog;
		cJSON_AddNumberToObject(vj, "error", e->logt.vlog_error);
		pthread_mutex_unlock(&e->reload_lock);
		add_u64(vj, "verdicts", vs.verdicts);
		add_u64(vj, "checkpoints", vs.checkpoints);
		add_u64(vj, "commits", vs.commits);
		add_u64(vj, "syncs", vs.syncs);
		add_u64(vj, "bytes", vs.bytes);
		add_u64(vj, "write_errors", vs.write_errors);
		add_u64(vj, "total_verdicts", vs.total_verdicts);
		add_u64(vj, "cut_bytes", vs.cut_bytes);
	}
	if (e->state) {
		/* docs/state.md, docs/reliability.md */
		struct sl_state_stats ss;
		cJSON *sj = cJSON_AddObjectToObject(root, "state");

		sl_state_stats(e->state, &ss);
		cJSON_AddStringToObject(
		    sj, "dir", e->opt.state_dir ? e->opt.state_dir : "");
		add_u64(sj, "buyers", ss.buyers);
		add_u64(sj, "windows", ss.windows);
		add_u64(sj, "no_node", ss.no_node);
		add_u64(sj, "wal_full", ss.wal_full);
		add_u64(sj, "expired", ss.expired);
		add_u64(sj, "wal_records", ss.wal_records);
		add_u64(sj, "replayed", ss.replayed);
		add_u64(sj, "torn_bytes", ss.torn_bytes);
		add_u64(sj, "uncommitted", ss.uncommitted);
		add_u64(sj, "foreign", ss.foreign);
		add_u64(sj, "orphans", ss.orphans);
		add_u64(sj, "compactions", ss.compactions);
	}
	return root;
}

void sl_stats_summary(struct sl_engine *e, FILE *f)
{
	struct sl_counters tot, c;
	uint64_t verdicts = 0, imissed = 0;
	unsigned i;

	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < e->n_workers; i++) {
		sl_worker_read(&e->workers[i], &c);
		sl_counters_add(&tot, &c);
	}
	for (i = 0; i < SL_VERDICT__COUNT; i++)
		verdicts += tot.verdicts[i];
	for (i = 0; i < e->n_ports; i++) {
		struct rte_eth_stats s;

		if (rte_eth_stats_get(e->port_ids[i], &s) == 0)
			imissed += s.imissed;
	}
	fprintf(f,
		"sluice run: %llu declarations in, %llu verdicts "
		"(release %llu, hold %llu, inspect %llu, seize %llu, "
		"reject %llu), %llu quarantined; identity %s\n",
		(unsigned long long)tot.decls_in, (unsigned long long)verdicts,
		(unsigned long long)tot.verdicts[SL_VERDICT_RELEASE],
		(unsigned long long)tot.verdicts[SL_VERDICT_HOLD],
		(unsigned long long)tot.verdicts[SL_VERDICT_INSPECT],
		(unsigned long long)tot.verdicts[SL_VERDICT_SEIZE],
		(unsigned long long)tot.verdicts[SL_VERDICT_REJECT],
		(unsigned long long)tot.quarantined,
		tot.decls_in == verdicts + tot.quarantined ? "holds"
							   : "BROKEN");
	fprintf(f,
		"sluice run: %llu frames (%llu declaration datagrams, "
		"%llu not UDP, %llu other port, %llu runt, %llu truncated, "
		"%llu oversized), NIC imissed %llu\n",
		(unsigned long long)tot.rx_frames,
		(unsigned long long)tot.frames[SL_WIRE_DECL],
		(unsigned long long)tot.frames[SL_WIRE_NOT_UDP],
		(unsigned long long)(tot.frames[SL_WIRE_OTHER_PORT] +
				     tot.frames[SL_WIRE_VERDICT]),
		(unsigned long long)tot.frames[SL_WIRE_RUNT],
		(unsigned long long)tot.frames[SL_WIRE_TRUNCATED],
		(unsigned long long)tot.frames[SL_WIRE_OVERSIZED],
		(unsigned long long)imissed);
	fprintf(f,
		"sluice run: %llu verdict datagrams sent, %llu dropped by a "
		"full TX (%llu verdicts); %llu verdicts "
		"logged, %llu quarantine entries written; %u workers; "
		"bundle %s, registry %s, %llu reloads (%llu failed)\n",
		(unsigned long long)tot.tx_datagrams,
		(unsigned long long)tot.tx_dropped_datagrams,
		(unsigned long long)tot.tx_dropped_verdicts,
		(unsigned long long)e->logt.verdicts_logged,
		(unsigned long long)e->logt.quarantine_written, e->n_workers,
		e->rl.bundle_id[0] ? e->rl.bundle_id : "(none)",
		e->rl.registry_id[0] ? e->rl.registry_id : "(none)",
		(unsigned long long)(e->rl.ok ? e->rl.ok - 1 : 0),
		(unsigned long long)e->rl.failed);
}
