/* sluice — ports, queues and mbuf pools (main, before launch).
 *
 * Every port the EAL found is used.  A port gets min(workers, its RX
 * queues, its TX queues) queue pairs, spread by RSS over the IP addresses
 * and UDP ports when it has more than one.  (port, queue) pairs are dealt
 * to workers round robin; a worker transmits a datagram's verdicts on the
 * TX queue paired with the RX queue it came from, so no TX queue has two
 * writers.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "engine.h"

#define POOL_CACHE 256

static int port_setup(struct sl_engine *e, unsigned pi)
{
	uint16_t port = e->port_ids[pi];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t rxd = (uint16_t)e->opt.rxd, txd = (uint16_t)e->opt.txd;
	unsigned nq, q;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0) {
		fprintf(stderr, "sluice run: port %u: info: %s\n", port,
			rte_strerror(-rc));
		return rc;
	}
	nq = e->n_workers;
	if (nq > info.max_rx_queues)
		nq = info.max_rx_queues;
	if (nq > info.max_tx_queues)
		nq = info.max_tx_queues;
	if (nq == 0) {
		fprintf(stderr, "sluice run: port %u (%s) has no queues\n",
			port, info.driver_name);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (nq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
		    info.flow_type_rss_offloads;
	}
	/* Declarations arrive in jumbo frames (docs/wire.md). */
	if (info.max_rx_pktlen >= SL_WIRE_FRAME_MAX)
		conf.rxmode.mtu = SL_WIRE_MTU;
	rc = rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc < 0) {
		fprintf(stderr,
			"sluice run: port %u (%s): configure %u queues: "
			"%s\n",
			port, info.driver_name, nq, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc < 0)
		return rc;
	rxc = info.default_rxconf;
	txc = info.default_txconf;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, rxd,
					    rte_eth_dev_socket_id(port), &rxc,
					    e->rx_pool);
		if (rc < 0) {
			fprintf(stderr,
				"sluice run: port %u: RX queue %u: %s\n", port,
				q, rte_strerror(-rc));
			return rc;
		}
		rc = rte_eth_tx_queue_setup(port, (uint16_t)q, txd,
					    rte_eth_dev_socket_id(port), &txc);
		if (rc < 0) {
			fprintf(stderr,
				"sluice run: port %u: TX queue %u: %s\n", port,
				q, rte_strerror(-rc));
			return rc;
		}
	}
	e->port_nq[pi] = nq;
	rte_eth_macaddr_get(port, &e->port_mac[pi]);
	return 0;
}

int sl_ports_init(struct sl_engine *e)
{
	unsigned pi, q, wi, n_pairs = 0, n_rx, n_tx;
	uint16_t port;
	int rc;

	e->n_ports = 0;
	RTE_ETH_FOREACH_DEV (port) {
		if (e->n_ports == SL_MAX_PORTS)
			break;
		e->port_ids[e->n_ports++] = port;
	}
	if (e->n_ports == 0) {
		fprintf(stderr,
			"sluice run: no ports; give a device or a virtual one "
			"after --, e.g. --vdev=net_pcap0,rx_pcap=IN.pcap,"
			"tx_pcap=OUT.pcap\n");
		return -ENODEV;
	}

	/* Pools are sized for everything that can hold an mbuf at once:
	 * RX rings, TX rings, the log rings (quarantine references input
	 * frames, verdict-log references output datagrams), per-lcore
	 * caches and one burst in flight per worker. */
	n_rx = e->n_ports * e->n_workers * e->opt.rxd +
	       e->n_workers * (e->opt.log_ring + SL_BURST + POOL_CACHE) + 1024;
	n_tx = e->n_ports * e->n_workers * e->opt.txd +
	       e->n_workers * (e->opt.log_ring +
			       SL_MAX_RXQ * SL_TX_PENDING_MAX + POOL_CACHE) +
	       1024;
	e->rx_pool = rte_pktmbuf_pool_create("sl_rx", n_rx, POOL_CACHE, 0,
					     SL_MBUF_DATAROOM, rte_socket_id());
	e->tx_pool = rte_pktmbuf_pool_create("sl_tx", n_tx, POOL_CACHE, 0,
					     SL_MBUF_DATAROOM, rte_socket_id());
	if (!e->rx_pool || !e->tx_pool) {
		fprintf(stderr,
			"sluice run: cannot allocate %u + %u mbufs of %u bytes "
			"(%s); give the EAL more memory (-m) or fewer "
			"descriptors (--rxd, --txd, --log-ring)\n",
			n_rx, n_tx, SL_MBUF_DATAROOM, rte_strerror(rte_errno));
		return -ENOMEM;
	}

	for (pi = 0; pi < e->n_ports; pi++) {
		rc = port_setup(e, pi);
		if (rc < 0)
			return rc;
	}

	/* Deal (port, queue) pairs to workers. */
	for (pi = 0; pi < e->n_ports; pi++) {
		for (q = 0; q < e->port_nq[pi]; q++, n_pairs++) {
			struct sl_worker *w =
			    &e->workers[n_pairs % e->n_workers];

			if (w->n_rxq == SL_MAX_RXQ) {
				fprintf(stderr, "sluice run: too many queues "
						"per worker\n");
				return -E2BIG;
			}
			w->rxq[w->n_rxq].port = e->port_ids[pi];
			w->rxq[w->n_rxq].queue = (uint16_t)q;
			w->n_rxq++;
		}
	}
	for (wi = 0; wi < e->n_workers; wi++)
		if (e->workers[wi].n_rxq == 0)
			fprintf(stderr,
				"sluice run: warning: worker %u (lcore %u) has "
				"no queue: the ports offer %u queue pairs for "
				"%u workers\n",
				wi, e->workers[wi].lcore, n_pairs,
				e->n_workers);

	for (pi = 0; pi < e->n_ports; pi++) {
		port = e->port_ids[pi];
		rc = rte_eth_dev_start(port);
		if (rc < 0) {
			fprintf(stderr, "sluice run: port %u: start: %s\n",
				port, rte_strerror(-rc));
			return rc;
		}
		/* Declarations are addressed to us, but a mirror port or a
		 * vdev may not use our MAC. */
		rte_eth_promiscuous_enable(port);
	}
	return 0;
}

void sl_ports_close(struct sl_engine *e)
{
	unsigned pi;

	for (pi = 0; pi < e->n_ports; pi++) {
		rte_eth_dev_stop(e->port_ids[pi]);
		rte_eth_dev_close(e->port_ids[pi]);
	}
	e->n_ports = 0;
}
