/* sluice — declaration and verdict datagrams on the wire (docs/wire.md).
 *
 * A declaration datagram is an Ethernet II / IPv4 / UDP frame to port
 * SL_WIRE_PORT whose payload is one or more MessagePack maps (SPEC 3 keys)
 * laid end to end, nothing else.  A verdict datagram goes back to the
 * sender (MACs, addresses and ports swapped: source port SL_WIRE_PORT,
 * destination the declaration's source port) and carries the verdict maps
 * (SPEC 4 keys) of that declaration datagram, in record order.
 *
 * Plain C over bytes: shared by the DPDK workers, sluice-pcap, the unit
 * tests and the fuzz target.  Plane: any; nothing here allocates.
 */
#ifndef SLUICE_WIRE_H
#define SLUICE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SL_WIRE_PORT	9610 /* UDP port of declarations (trade mode 9610) */
#define SL_WIRE_MTU	9000 /* IPv4 MTU the links run (jumbo frames) */
#define SL_WIRE_HDR_LEN 42   /* Ethernet 14 + IPv4 20 + UDP 8, no options */
#define SL_WIRE_PAYLOAD_MAX                                                    \
	8972 /* SL_WIRE_MTU - 20 - 8: one datagram, no                         \
		    fragmentation */
#define SL_WIRE_FRAME_MAX (SL_WIRE_PAYLOAD_MAX + SL_WIRE_HDR_LEN)

/* What a frame is, as far as sluice is concerned. */
#define SL_WIRE_CLASSES(X)                                                     \
	X(DECL, "declaration datagram")                                        \
	X(VERDICT, "verdict datagram (source port is ours)")                   \
	X(NOT_UDP, "not IPv4/UDP (ARP, IPv6, VLAN, other protocols)")          \
	X(RUNT, "too short for its own headers; port unknown")                 \
	X(FRAGMENT, "IPv4 fragment after the first; port unknown")             \
	X(OTHER_PORT, "UDP to another port")                                   \
	X(EMPTY, "declaration datagram with no payload")                       \
	X(TRUNCATED, "declaration datagram shorter than its UDP length")       \
	X(OVERSIZED, "declaration datagram over SL_WIRE_PAYLOAD_MAX")          \
	X(FRAGMENTED, "first fragment of a declaration datagram")

enum sl_wire_class {
#define X(id, what) SL_WIRE_##id,
	SL_WIRE_CLASSES(X)
#undef X
	    SL_WIRE__COUNT
};

/* A parsed frame.  Pointers point into the caller's frame.  Addresses and
 * ports are in host byte order except the MACs. */
struct sl_wire_dgram {
	const uint8_t *payload; /* UDP payload (may be short: TRUNCATED) */
	uint32_t len;		/* payload bytes present in the frame */
	uint32_t udp_len;	/* payload bytes the UDP header claims */
	uint8_t dmac[6], smac[6];
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* Classifies one frame and, for DECL, VERDICT, OVERSIZED, TRUNCATED,
 * EMPTY and FRAGMENTED, fills *d.  `port` is the declaration port
 * (SL_WIRE_PORT unless configured).  Never reads past frame + len. */
enum sl_wire_class sl_wire_parse(const void *frame, size_t len, uint16_t port,
				 struct sl_wire_dgram *d);

/* Short stable name of a class ("not_udp"), for counters and reasons. */
const char *sl_wire_class_name(enum sl_wire_class c);

/* Addressing of a datagram to build. */
struct sl_wire_addr {
	uint8_t dmac[6], smac[6];
	uint32_t saddr, daddr; /* host order */
	uint16_t sport, dport; /* host order */
};

/* The addressing of the reply to d: MACs, addresses and ports swapped. */
void sl_wire_reply_addr(const struct sl_wire_dgram *d, struct sl_wire_addr *a);

/* Writes Ethernet, IPv4 (DF, TTL 64) and UDP headers for a payload of
 * payload_len bytes that the caller has placed (or will place) at
 * frame + SL_WIRE_HDR_LEN, and the IPv4 header checksum.  The UDP checksum
 * is left 0 (allowed by IPv4) unless sl_wire_udp_cksum() is called after
 * the payload is written.  frame has room for SL_WIRE_HDR_LEN +
 * payload_len bytes; payload_len <= SL_WIRE_PAYLOAD_MAX.
 * Returns the frame length. */
size_t sl_wire_build(void *frame, const struct sl_wire_addr *a,
		     size_t payload_len);

/* Fills the UDP checksum of a frame made by sl_wire_build whose payload
 * is in place. */
void sl_wire_udp_cksum(void *frame);

#endif /* SLUICE_WIRE_H */
