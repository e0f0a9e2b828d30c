/* sluice — declaration and verdict datagrams (see wire.h, docs/wire.md).
 *
 * Headers are copied out with memcpy: frames come from pcap files and NIC
 * buffers with no alignment promise.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>

#include <sluice/wire.h>

#define ETH_LEN 14
#define IP_LEN	20
#define UDP_LEN 8

static const char *const class_names[SL_WIRE__COUNT] = {
    [SL_WIRE_DECL] = "decl",	       [SL_WIRE_VERDICT] = "verdict",
    [SL_WIRE_NOT_UDP] = "not_udp",     [SL_WIRE_RUNT] = "runt",
    [SL_WIRE_FRAGMENT] = "fragment",   [SL_WIRE_OTHER_PORT] = "other_port",
    [SL_WIRE_EMPTY] = "empty",	       [SL_WIRE_TRUNCATED] = "truncated",
    [SL_WIRE_OVERSIZED] = "oversized", [SL_WIRE_FRAGMENTED] = "fragmented",
};

const char *sl_wire_class_name(enum sl_wire_class c)
{
	return (unsigned)c < SL_WIRE__COUNT ? class_names[c] : "?";
}

enum sl_wire_class sl_wire_parse(const void *frame, size_t len, uint16_t port,
				 struct sl_wire_dgram *d)
{
	const uint8_t *f = frame;
	struct ether_header eh;
	struct iphdr ip;
	struct udphdr uh;
	size_t ihl, ip_len, l4_off, avail;
	uint16_t frag;

	if (len < ETH_LEN)
		return SL_WIRE_RUNT;
	memcpy(&eh, f, sizeof(eh));
	if (ntohs(eh.ether_type) != ETHERTYPE_IP)
		return SL_WIRE_NOT_UDP;
	if (len < ETH_LEN + IP_LEN)
		return SL_WIRE_RUNT;
	memcpy(&ip, f + ETH_LEN, sizeof(ip));
	if (ip.version != 4)
		return SL_WIRE_NOT_UDP;
	ihl = (size_t)ip.ihl * 4;
	ip_len = ntohs(ip.tot_len);
	if (ihl < IP_LEN || len < ETH_LEN + ihl)
		return SL_WIRE_RUNT;
	if (ip.protocol != IPPROTO_UDP)
		return SL_WIRE_NOT_UDP;
	frag = ntohs(ip.frag_off);
	if (frag & IP_OFFMASK)
		return SL_WIRE_FRAGMENT;
	l4_off = ETH_LEN + ihl;
	if (len < l4_off + UDP_LEN)
		return SL_WIRE_RUNT;
	memcpy(&uh, f + l4_off, sizeof(uh));

	memcpy(d->dmac, eh.ether_dhost, 6);
	memcpy(d->smac, eh.ether_shost, 6);
	d->saddr = ntohl(ip.saddr);
	d->daddr = ntohl(ip.daddr);
	d->sport = ntohs(uh.source);
	d->dport = ntohs(uh.dest);
	d->payload = f + l4_off + UDP_LEN;
	d->udp_len = ntohs(uh.len) >= UDP_LEN ? ntohs(uh.len) - UDP_LEN : 0;
	/* Bytes really there: bounded by the frame and by the IP length (an
	 * Ethernet frame may carry padding after a short datagram). */
	avail = len - l4_off - UDP_LEN;
	if (ip_len >= ihl + UDP_LEN && ip_len - ihl - UDP_LEN < avail)
		avail = ip_len - ihl - UDP_LEN;
	d->len = (uint32_t)(avail < d->udp_len ? avail : d->udp_len);

	if (d->dport != port)
		return d->sport == port ? SL_WIRE_VERDICT : SL_WIRE_OTHER_PORT;
	if (frag & IP_MF)
		return SL_WIRE_FRAGMENTED;
	if (ntohs(uh.len) < UDP_LEN || ip_len < ihl + UDP_LEN ||
	    d->udp_len > ip_len - ihl - UDP_LEN || avail < d->udp_len) {
		/* Everything that is there goes to quarantine. */
		d->len = (uint32_t)(len - l4_off - UDP_LEN);
		return SL_WIRE_TRUNCATED;
	}
	if (d->udp_len > SL_WIRE_PAYLOAD_MAX)
		return SL_WIRE_OVERSIZED;
	if (d->udp_len == 0)
		return SL_WIRE_EMPTY;
	return SL_WIRE_DECL;
}

void sl_wire_reply_addr(const struct sl_wire_dgram *d, struct sl_wire_addr *a)
{
	memcpy(a->dmac, d->smac, 6);
	memcpy(a->smac, d->dmac, 6);
	a->saddr = d->daddr;
	a->daddr = d->saddr;
	a->sport = d->dport;
	a->dport = d->sport;
}

/* RFC 1071 one's-complement sum, folded later. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t sl_wire_build(void *frame, const struct sl_wire_addr *a,
		     size_t payload_len)
{
	uint8_t *f = frame;
	struct ether_header eh;
	struct iphdr ip;
	struct udphdr uh;

	memcpy(eh.ether_dhost, a->dmac, 6);
	memcpy(eh.ether_shost, a->smac, 6);
	eh.ether_type = htons(ETHERTYPE_IP);
	memcpy(f, &eh, ETH_LEN);

	memset(&ip, 0, sizeof(ip));
	ip.version = 4;
	ip.ihl = IP_LEN / 4;
	ip.tot_len = htons((uint16_t)(IP_LEN + UDP_LEN + payload_len));
	ip.frag_off = htons(IP_DF);
	ip.ttl = 64;
	ip.protocol = IPPROTO_UDP;
	ip.saddr = htonl(a->saddr);
	ip.daddr = htonl(a->daddr);
	ip.check = htons(fold(sum16(0, (const uint8_t *)&ip, IP_LEN)));
	memcpy(f + ETH_LEN, &ip, IP_LEN);

	uh.source = htons(a->sport);
	uh.dest = htons(a->dport);
	uh.len = htons((uint16_t)(UDP_LEN + payload_len));
	uh.check = 0;
	memcpy(f + ETH_LEN + IP_LEN, &uh, UDP_LEN);
	return SL_WIRE_HDR_LEN + payload_len;
}

void sl_wire_udp_cksum(void *frame)
{
	uint8_t *f = frame;
	uint8_t *udp = f + ETH_LEN + IP_LEN;
	uint16_t ulen = (uint16_t)(udp[4] << 8 | udp[5]);
	uint32_t sum;
	uint16_t c;

	udp[6] = udp[7] = 0;
	/* Pseudo header: addresses, protocol, UDP length. */
	sum = sum16(0, f + ETH_LEN + 12, 8);
	sum += IPPROTO_UDP + ulen;
	sum = sum16(sum, udp, ulen);
	c = fold(sum);
	if (c == 0)
		c = 0xffff; /* 0 means "no checksum" in UDP over IPv4 */
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
}
