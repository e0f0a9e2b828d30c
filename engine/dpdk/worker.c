/* sluice — the run-to-completion worker (data plane).
 *
 * Per loop: take the live snapshot (RCU, QSBR), rx_burst every (port,
 * queue) pair, parse each frame, screen each record, pack the verdicts
 * into reply datagrams, tx_burst them, hand them (and unreadable bytes)
 * to the log thread, publish the counters, report a quiescent state.
 *
 * With a verdict log (or a state directory), a reply datagram leaves only
 * once the log thread has committed its verdicts (and the state changes
 * behind them): the worker holds it in a FIFO and releases it when the
 * log thread's per-worker commit count passes its ticket.  So nothing a
 * client sees is missing from the log after a crash (docs/reliability.md).
 *
 * Nothing here mallocs, locks, logs or makes a system call: mbufs come
 * from pools and ring slots from rings sized at start.  When a ring, a
 * pool or the held FIFO is full the worker waits (counted) rather than
 * lose a verdict; it never reports a quiescent state mid-loop, so the
 * snapshot it holds stays valid while it waits (reloads wait for it; the
 * log thread, which frees the space, never waits for a reload).
 */
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>
#include <rte_udp.h>

#include <sched.h>

#include <urcu-qsbr.h>

#include <sluice/replay.h>
#include <sluice/screen.h>
#include <sluice/state.h>
#include <sluice/verdict.h>

#include "engine.h"
#include "metrics.h"

/* Waiting on the control plane (a full log ring, an empty TX pool): spin
 * a little, then give the CPU away.  The control threads may share this
 * CPU (a two-core host running two workers), and the one we wait for
 * needs it to make room.  Not per declaration: only while stalled. */
static inline void stall_wait(unsigned *spins)
{
	if (++*spins < 256) {
		rte_pause();
		return;
	}
	*spins = 0;
	sched_yield();
}

/* Verdict datagrams under construction for one (port, queue). */
struct txq {
	uint16_t port, queue;
	unsigned n;
	struct rte_mbuf *m[SL_TX_PENDING_MAX];
	uint32_t nv[SL_TX_PENDING_MAX]; /* verdicts in m[i] */
};

/* The verdict datagram being filled for the current input datagram. */
struct outdg {
	struct rte_mbuf *m;
	uint32_t fill; /* payload bytes */
	uint32_t nv;   /* verdicts */
	uint64_t vno;  /* the worker's number of its first verdict */
	bool replayed; /* it carries verdicts answered from the log,
			  which are not logged again */
	struct sl_wire_addr addr;
};

static void tx_flush(struct sl_worker *w, struct txq *q);

/* Moves the held datagrams whose verdicts the log thread has committed to
 * their TX queues and sends them.  Returns how many it released. */
static unsigned release_held(struct sl_worker *w)
{
	struct txq *txq = w->txq;
	uint64_t done = __atomic_load_n(&w->committed, __ATOMIC_ACQUIRE);
	uint32_t dirty = 0; /* bit per txq touched (SL_MAX_RXQ <= 32) */
	unsigned n = 0, i;

	while (w->held_head != w->held_tail) {
		struct sl_held *h = &w->held[w->held_head & (SL_HELD_MAX - 1)];
		struct txq *q = &txq[h->q];

		if (h->ticket > done)
			break;
		if (q->n == SL_TX_PENDING_MAX)
			tx_flush(w, q);
		q->m[q->n] = h->m;
		q->nv[q->n] = h->nv;
		q->n++;
		dirty |= 1u << h->q;
		w->held_head++;
		n++;
	}
	for (i = 0; dirty; i++, dirty >>= 1)
		if (dirty & 1)
			tx_flush(w, &txq[i]);
	if (n)
		__atomic_store_n(&w->held_n, w->held_tail - w->held_head,
				 __ATOMIC_RELAXED);
	return n;
}

static void log_put(struct sl_worker *w, struct sl_logmsg *msg)
{
	struct sl_engine *e = w->eng;
	unsigned spins = 0;
	uint64_t t0;

	if (likely(rte_ring_sp_enqueue_elem(w->log, msg, sizeof(*msg)) == 0))
		return;
	/* Backpressure: the log thread is behind.  Wait; it never waits
	 * for us.  On shutdown it keeps draining until every worker is
	 * done, so this ends. */
	w->acc.log_stalls++;
	t0 = rte_get_timer_cycles();
	while (rte_ring_sp_enqueue_elem(w->log, msg, sizeof(*msg)) != 0) {
		release_held(w);
		stall_wait(&spins);
		if (unlikely(e->log_quit && rte_get_timer_cycles() - t0 >
						rte_get_timer_hz())) {
			/* The log thread is gone (it only goes after the
			 * workers; this is a bug).  Count, never hide. */
			if (msg->kind == SL_LOGMSG_VERDICTS)
				w->acc.unlogged++;
			rte_pktmbuf_free(msg->m);
			return;
		}
	}
}

/* Sends everything pending on q.  TX that stays full after
 * SL_TX_RETRIES attempts drops the rest, counted: those verdicts are
 * still in the verdict log. */
static void tx_flush(struct sl_worker *w, struct txq *q)
{
	unsigned sent = 0, tries = 0, i;

	while (sent < q->n) {
		sent += rte_eth_tx_burst(q->port, q->queue, q->m + sent,
					 (uint16_t)(q->n - sent));
		if (sent < q->n && ++tries >= SL_TX_RETRIES)
			break;
		if (sent < q->n) {
			w->acc.tx_retries++;
			rte_pause();
		}
	}
	for (i = 0; i < sent; i++) {
		w->acc.tx_datagrams++;
		w->acc.tx_verdicts += q->nv[i];
	}
	for (i = sent; i < q->n; i++) {
		w->acc.tx_dropped_datagrams++;
		w->acc.tx_dropped_verdicts += q->nv[i];
		rte_pktmbuf_free(q->m[i]);
	}
	q->n = 0;
}

static struct rte_mbuf *tx_alloc(struct sl_worker *w)
{
	struct sl_engine *e = w->eng;
	struct rte_mbuf *m = rte_pktmbuf_alloc(e->tx_pool);
	unsigned spins = 0;
	uint64_t t0;

	if (likely(m != NULL))
		return m;
	/* The pool refills as TX completes and the log thread frees; the
	 * datagrams we hold ourselves go as the log thread commits. */
	w->acc.mbuf_stalls++;
	t0 = rte_get_timer_cycles();
	while ((m = rte_pktmbuf_alloc(e->tx_pool)) == NULL) {
		release_held(w);
		stall_wait(&spins);
		if (unlikely(e->quit &&
			     rte_get_timer_cycles() - t0 > rte_get_timer_hz()))
			return NULL;
	}
	return m;
}

/* Queues a finished datagram behind the commit of `ticket` messages. */
static void hold(struct sl_worker *w, struct rte_mbuf *m, uint32_t nv,
		 uint16_t qi, uint64_t ticket)
{
	struct sl_engine *e = w->eng;
	struct sl_held *h;
	uint64_t t0;

	if (unlikely(w->held_tail - w->held_head == SL_HELD_MAX)) {
		unsigned spins = 0;

		w->acc.held_waits++;
		t0 = rte_get_timer_cycles();
		while (w->held_tail - w->held_head == SL_HELD_MAX) {
			if (release_held(w))
				break;
			stall_wait(&spins);
			if (unlikely(e->log_quit &&
				     rte_get_timer_cycles() - t0 >
					 rte_get_timer_hz())) {
				/* The log thread is gone: a bug.  Count. */
				w->acc.unlogged += nv;
				rte_pktmbuf_free(m);
				return;
			}
		}
	}
	h = &w->held[w->held_tail & (SL_HELD_MAX - 1)];
	h->m = m;
	h->nv = nv;
	h->q = qi;
	h->ticket = ticket;
	w->held_tail++;
	__atomic_store_n(&w->held_n, w->held_tail - w->held_head,
			 __ATOMIC_RELAXED);
}

/* Closes the current verdict datagram: headers, checksums, a reference
 * for the log thread, queue it for TX (or hold it until committed). */
static void out_finish(struct sl_worker *w, struct outdg *o, struct txq *q)
{
	struct rte_mbuf *m = o->m;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *f;
	size_t len;

	if (!m)
		return; /* every record of the datagram went to quarantine */
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = sl_wire_build(f, &o->addr, o->fill);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	ip = (struct rte_ipv4_hdr *)(f + m->l2_len);
	udp = (struct rte_udp_hdr *)((uint8_t *)ip + m->l3_len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);

	/* Verdicts answered again from the log are not logged again; they
	 * still leave after everything before them. */
	if (!o->replayed && (w->eng->hold_tx || w->eng->opt.verdict_log ||
			     sl_obs_wants_verdicts(w->eng))) {
		struct sl_logmsg msg = {.m = m,
					.off = SL_WIRE_HDR_LEN,
					.len = o->fill,
					.kind = SL_LOGMSG_VERDICTS,
					.worker = (uint16_t)w->idx,
					.port = q->port,
					.nv = o->nv,
					.vno = o->vno};

		rte_mbuf_refcnt_update(m, 1);
		log_put(w, &msg);
		w->msgs++;
	}
	if (w->eng->hold_tx) {
		hold(w, m, o->nv, (uint16_t)(q - (struct txq *)w->txq),
		     w->msgs);
	} else {
		if (q->n == SL_TX_PENDING_MAX)
			tx_flush(w, q);
		q->m[q->n] = m;
		q->nv[q->n] = o->nv;
		q->n++;
	}
	o->m = NULL;
	o->fill = o->nv = 0;
}

/* Opens a datagram of the right kind (new or replayed verdicts): a
 * datagram carries one kind only, since the log thread logs every verdict
 * of the datagrams it is handed. */
static void out_kind(struct sl_worker *w, struct outdg *o, struct txq *q,
		     bool replayed)
{
	if (o->m && o->replayed != replayed)
		out_finish(w, o, q);
	if (!o->m) {
		o->replayed = replayed;
		o->vno = w->vno;
	}
}

/* Appends one verdict (v, or the logged answer a when v is NULL) to the
 * reply datagram, opening a new one when it does not fit.  Returns false
 * when the verdict could not be placed (counted). */
static bool out_verdict(struct sl_worker *w, struct outdg *o, struct txq *q,
			const sl_verdict_t *v, const struct sl_replay_answer *a)
{
	int n;

	for (;;) {
		out_kind(w, o, q, v == NULL);
		if (!o->m) {
			o->m = tx_alloc(w);
			if (unlikely(!o->m)) {
				w->acc.unlogged++;
				return false;
			}
			o->fill = o->nv = 0;
		}
		if (v) {
			n = sl_verdict_to_msgpack(
			    v,
			    rte_pktmbuf_mtod_offset(o->m, uint8_t *,
						    SL_WIRE_HDR_LEN + o->fill),
			    SL_WIRE_PAYLOAD_MAX - o->fill);
		} else if (a->len <= SL_WIRE_PAYLOAD_MAX - o->fill) {
			memcpy(rte_pktmbuf_mtod_offset(
				   o->m, uint8_t *, SL_WIRE_HDR_LEN + o->fill),
			       a->bytes, a->len);
			n = (int)a->len;
		} else {
			n = -1;
		}
		if (likely(n >= 0)) {
			o->fill += (uint32_t)n;
			o->nv++;
			return true;
		}
		if (o->nv == 0) {
			/* Cannot happen: a verdict is at most
			 * SL_VERDICT_MSGPACK_MAX < SL_WIRE_PAYLOAD_MAX. */
			w->acc.unlogged++;
			return false;
		}
		out_finish(w, o, q);
	}
}

static void quarantine(struct sl_worker *w, struct rte_mbuf *m, uint16_t port,
		       uint32_t off, uint32_t len, uint8_t source,
		       uint8_t reason)
{
	struct sl_logmsg msg = {.m = m,
				.off = off,
				.len = len,
				.kind = SL_LOGMSG_QUARANTINE,
				.source = source,
				.reason = reason,
				.worker = (uint16_t)w->idx,
				.port = port};

	w->acc.decls_in++;
	w->acc.quarantined++;
	rte_mbuf_refcnt_update(m, 1);
	log_put(w, &msg);
}

static inline bool framing_error(uint16_t code)
{
	return code == SL_E_BAD_MSGPACK || code == SL_E_NOT_OBJECT ||
	       code == SL_E_TOO_DEEP || code == SL_E_LINE_TOO_LONG ||
	       code == SL_E_NOT_JSON;
}

/* Screens every record of one declaration datagram. */
static void handle_decls(struct sl_worker *w, const struct sl_snapshot *snap,
			 struct rte_mbuf *m, const uint8_t *frame,
			 const struct sl_wire_dgram *d, struct txq *q)
{
	struct sl_engine *e = w->eng;
	struct outdg o = {.m = NULL};
	uint32_t base = (uint32_t)(d->payload - frame), off = 0;
	sl_decl_t *decl = sl_screener_decl(w->scr);
	struct sl_replay_answer a;
	enum sl_errcode rc;
	sl_error_t err;
	sl_verdict_t v;
	size_t used;

	sl_wire_reply_addr(d, &o.addr);
	while (off < d->len) {
		rc = sl_decode_msgpack(sl_screener_decoder(w->scr),
				       d->payload + off, d->len - off, &used,
				       decl, &err);
		decl->line = ++w->rec_no;
		/* Sent again after a restart, its verdict already logged:
		 * that verdict, not a second decision (docs/reliability.md). */
		if (unlikely(e->replay != NULL) && !e->replay_off &&
		    decl->s[SL_DS_DECL_ID].p &&
		    sl_replay_take(e->replay, decl->s[SL_DS_DECL_ID].p,
				   decl->s[SL_DS_DECL_ID].n, SL_REPLAY_MSGPACK,
				   &a)) {
			w->acc.decls_in++;
			w->acc.replayed++;
			w->acc.verdicts[a.verdict < SL_VERDICT__COUNT
					    ? a.verdict
					    : SL_VERDICT_HOLD]++;
			w->acc.tier_verdicts
			    [a.tier < SL_TIER__COUNT ? a.tier : SL_TIER_UNKNOWN]
			    [a.verdict < SL_VERDICT__COUNT ? a.verdict
							   : SL_VERDICT_HOLD]++;
			if (a.verdict == SL_VERDICT_REJECT &&
			    a.error < SL_E__COUNT)
				w->acc.rejects[a.error]++;
			w->acc.decoded++;
			out_verdict(w, &o, q, NULL, &a);
			if (used == 0 || used > d->len - off)
				break;
			off += (uint32_t)used;
			continue;
		}
		/* The state changes of this decision carry the number its
		 * verdict gets, so the log thread can tie them to it. */
		if (e->state)
			sl_state_tag(e->state, w->idx, w->vno);
		sl_screen(w->scr, snap, e->state, decl, rc, &err, &v);
		if (used > d->len - off)
			used = 0; /* defensive: never walk past the payload */
		if (!v.has_decl_id) {
			/* Not attributable to a declaration: raw bytes to
			 * quarantine with the reason (SPEC 2). */
			quarantine(w, m, q->port, base + off,
				   used ? (uint32_t)used : d->len - off,
				   SL_QUAR_RECORD, (uint8_t)v.error.code);
		} else {
			w->acc.decls_in++;
			w->acc.verdicts[v.verdict]++;
			w->acc
			    .tier_verdicts[v.tier < SL_TIER__COUNT
					       ? v.tier
					       : SL_TIER_UNKNOWN][v.verdict]++;
			if (v.verdict == SL_VERDICT_REJECT) {
				if (v.error.code < SL_E__COUNT)
					w->acc.rejects[v.error.code]++;
			}
			if (!framing_error(v.error.code))
				w->acc.decoded++;
			if (!v.ruleset[0])
				w->acc.no_ruleset++;
			/* The number is spent even when the verdict could
			 * not be placed (counted as unlogged): its state
			 * changes then stay under a number no datagram
			 * carries, and the log thread drops them as orphans
			 * instead of committing them with the next one. */
			(void)out_verdict(w, &o, q, &v, NULL);
			w->vno++;
		}
		if (used == 0)
			break; /* the rest was unreadable and is accounted */
		off += (uint32_t)used;
	}
	out_finish(w, &o, q);
}

/* Answers an ARP request for --ip in place (senders then reach the engine
 * without a static neighbour entry) and queues it for TX.  Returns true
 * when m was turned into the reply. */
static bool arp_reply(struct sl_worker *w, struct rte_mbuf *m, struct txq *q)
{
	struct sl_engine *e = w->eng;
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *arp;
	const struct rte_ether_addr *mac = NULL;
	unsigned pi;

	if (m->nb_segs != 1 ||
	    rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*arp))
		return false;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eh + 1);
	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_data.arp_tip != e->ip_be)
		return false;
	for (pi = 0; pi < e->n_ports; pi++)
		if (e->port_ids[pi] == q->port)
			mac = &e->port_mac[pi];
	if (!mac)
		return false;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = *mac;
	arp->arp_data.arp_sip = e->ip_be;
	eh->dst_addr = arp->arp_data.arp_tha;
	eh->src_addr = *mac;
	w->acc.arp_replies++;
	if (q->n == SL_TX_PENDING_MAX)
		tx_flush(w, q);
	q->m[q->n] = m;
	q->nv[q->n] = 0;
	q->n++;
	return true;
}

static void handle_frame(struct sl_worker *w, const struct sl_snapshot *snap,
			 struct rte_mbuf *m, struct txq *q)
{
	struct sl_engine *e = w->eng;
	const uint8_t *frame;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct sl_wire_dgram d;
	enum sl_wire_class k;

	w->acc.rx_frames++;
	w->acc.rx_bytes += len;
	if (likely(m->nb_segs == 1)) {
		frame = rte_pktmbuf_mtod(m, const uint8_t *);
	} else {
		/* Chained (jumbo from a PMD without scatter-free RX):
		 * copy out once; quarantine offsets stay packet offsets. */
		if (len > SL_LINEAR_MAX)
			len = SL_LINEAR_MAX;
		frame = rte_pktmbuf_read(m, 0, len, w->linear);
	}
	k = sl_wire_parse(frame, len, e->opt.port, &d);
	w->acc.frames[k]++;
	switch (k) {
	case SL_WIRE_DECL:
		handle_decls(w, snap, m, frame, &d, q);
		break;
	case SL_WIRE_TRUNCATED:
	case SL_WIRE_OVERSIZED:
	case SL_WIRE_FRAGMENTED:
		/* A declaration datagram we will not parse: its records
		 * can't be told apart, so the whole payload is one unit. */
		quarantine(w, m, q->port, (uint32_t)(d.payload - frame), d.len,
			   SL_QUAR_WIRE, (uint8_t)k);
		break;
	case SL_WIRE_NOT_UDP:
		if (e->opt.ip && arp_reply(w, m, q))
			return; /* m now belongs to TX */
		break;
	default:
		/* Not ours (other ports, verdicts looping back, ...):
		 * counted by class, ignored. */
		break;
	}
	rte_pktmbuf_free(m);
}

/* Publishes acc under the sequence count (see sl_worker_read). */
static void publish(struct sl_worker *w)
{
	uint64_t s = w->pub_seq;

	__atomic_store_n(&w->pub_seq, s + 1, __ATOMIC_RELAXED);
	rte_smp_wmb();
	w->pub = w->acc;
	rte_smp_wmb();
	__atomic_store_n(&w->pub_seq, s + 2, __ATOMIC_RELAXED);
	w->dirty = false;
}

void sl_worker_read(const struct sl_worker *w, struct sl_counters *out)
{
	uint64_t s1, s2;

	for (;;) {
		s1 = __atomic_load_n(&w->pub_seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			rte_pause();
			continue;
		}
		*out = w->pub;
		rte_smp_rmb();
		s2 = __atomic_load_n(&w->pub_seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return;
	}
}

void sl_counters_add(struct sl_counters *sum, const struct sl_counters *c)
{
	const uint64_t *src = (const uint64_t *)c;
	uint64_t *dst = (uint64_t *)sum;
	size_t i;

	/* struct sl_counters is only uint64_t fields. */
	for (i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

int sl_worker_main(void *arg)
{
	struct sl_engine *e = arg;
	struct sl_worker *w = NULL;
	struct rte_mbuf *pkts[SL_BURST];
	struct txq txq[SL_MAX_RXQ];
	uint64_t lat_bound[SL_LAT_BUCKETS - 1];
	unsigned lcore = rte_lcore_id(), i, j;

	for (i = 0; i < e->n_workers; i++)
		if (e->workers[i].lcore == lcore)
			w = &e->workers[i];
	if (!w)
		return 0;
	for (i = 0; i < w->n_rxq; i++) {
		txq[i].port = w->rxq[i].port;
		txq[i].queue = w->rxq[i].queue;
		txq[i].n = 0;
	}
	w->txq = txq;

	sl_lat_bounds(rte_get_tsc_hz(), lat_bound);

	rcu_register_thread();
	while (!e->quit) {
		/* One snapshot for the whole loop; the quiescent state at
		 * the bottom says we no longer hold it. */
		const struct sl_snapshot *snap;
		unsigned got = 0;
		uint64_t t_rx, n_in;

		/* `sluicectl drain` (metrics.c): take no input.  Everything
		 * taken so far went to TX and the log ring last loop. */
		if (unlikely(e->draining)) {
			release_held(w); /* as the log thread commits */
			if (!w->drained) {
				publish(w);
				__atomic_store_n(&w->drained, 1,
						 __ATOMIC_RELEASE);
			}
			rcu_quiescent_state();
			rte_pause();
			continue;
		}
		if (unlikely(w->drained))
			__atomic_store_n(&w->drained, 0, __ATOMIC_RELEASE);
		snap = rcu_dereference(e->live);

		for (i = 0; i < w->n_rxq; i++) {
			uint16_t n = rte_eth_rx_burst(
			    w->rxq[i].port, w->rxq[i].queue, pkts, SL_BURST);

			if (n == 0)
				continue;
			/* Decision latency: from this burst's arrival to its
			 * tx_burst, charged to each declaration in it. */
			t_rx = rte_rdtsc();
			n_in = w->acc.decls_in;
			got += n;
			for (j = 0; j < n && j < 4; j++)
				rte_prefetch0(
				    rte_pktmbuf_mtod(pkts[j], void *));
			for (j = 0; j < n; j++) {
				if (j + 4 < n)
					rte_prefetch0(rte_pktmbuf_mtod(
					    pkts[j + 4], void *));
				handle_frame(w, snap, pkts[j], &txq[i]);
			}
			tx_flush(w, &txq[i]);
			if (w->acc.decls_in != n_in)
				sl_lat_add(w->acc.lat_bucket,
					   &w->acc.lat_sum_cycles, lat_bound,
					   rte_rdtsc() - t_rx,
					   w->acc.decls_in - n_in);
		}
		/* What the log thread committed since the last loop. */
		if (w->held_head != w->held_tail)
			release_held(w);
		w->acc.loops++;
		if (got) {
			uint64_t now = rte_rdtsc();

			if (unlikely(!w->first_busy_tsc))
				w->first_busy_tsc = now;
			w->last_busy_tsc = now;
			w->acc.busy_loops++;
			w->dirty = true;
		}
		/* Idle loops publish rarely: only the loop counter moved. */
		if (w->dirty || (w->acc.loops & 0xfff) == 0)
			publish(w);
		rcu_quiescent_state();
	}
	for (i = 0; i < w->n_rxq; i++)
		tx_flush(w, &txq[i]);
	/* The held datagrams go once the log thread has committed them; it
	 * keeps running until every worker is done. */
	{
		uint64_t t0 = rte_get_timer_cycles();
		unsigned spins = 0;

		while (w->held_head != w->held_tail) {
			if (!release_held(w))
				stall_wait(&spins);
			if (rte_get_timer_cycles() - t0 >
			    30 * rte_get_timer_hz()) {
				/* The log cannot commit (a dead disk):
				 * counted, and the exit status says so. */
				while (w->held_head != w->held_tail) {
					struct sl_held *h =
					    &w->held[w->held_head++ &
						     (SL_HELD_MAX - 1)];

					w->acc.unlogged += h->nv;
					rte_pktmbuf_free(h->m);
				}
			}
		}
		__atomic_store_n(&w->held_n, 0, __ATOMIC_RELAXED);
	}
	w->txq = NULL;
	publish(w);
	rcu_unregister_thread();
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return 0;
}
