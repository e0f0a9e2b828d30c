/* libFuzzer: one Ethernet frame through what a DPDK worker does with it,
 * without the EAL: sl_wire_parse, then for a declaration datagram every
 * record through sl_screen_msgpack (no snapshot: the fail-safe path), each
 * verdict into a reply datagram with sl_verdict_to_msgpack and back with
 * sl_verdict_from_msgpack, which must print the same JSON (the verdict
 * log decodes exactly these bytes).  libFuzzer hands an exact-size
 * buffer, so a read past the frame is an ASan report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/screen.h>
#include <sluice/verdict.h>
#include <sluice/wire.h>

static struct sl_screener *scr;
static uint8_t reply[SL_WIRE_FRAME_MAX];
static char j1[SL_VERDICT_JSON_MAX], j2[SL_VERDICT_JSON_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const sl_verdict_t *v, size_t *fill)
{
	sl_verdict_t back;
	size_t used;
	int n;

	if (*fill + SL_VERDICT_MSGPACK_MAX > SL_WIRE_PAYLOAD_MAX)
		*fill = 0; /* a new reply datagram */
	n = sl_verdict_to_msgpack(v, reply + SL_WIRE_HDR_LEN + *fill,
				  SL_WIRE_PAYLOAD_MAX - *fill);
	if (n <= 0)
		abort(); /* a verdict always fits in SL_VERDICT_MSGPACK_MAX */
	if (sl_verdict_from_msgpack(reply + SL_WIRE_HDR_LEN + *fill, (size_t)n,
				    &used, &back) != 0 ||
	    used != (size_t)n)
		abort();
	if (sl_verdict_to_json(v, j1, sizeof(j1)) < 0 ||
	    sl_verdict_to_json(&back, j2, sizeof(j2)) < 0 || strcmp(j1, j2))
		abort(); /* the log would not say what the wire said */
	*fill += (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_wire_dgram d;
	struct sl_wire_addr a;
	enum sl_wire_class k;
	size_t off = 0, used, fill = 0;
	uint64_t rec = 0;
	sl_verdict_t v;

	if (!scr && !(scr = sl_screener_new(0)))
		abort();
	k = sl_wire_parse(data, size, SL_WIRE_PORT, &d);
	if ((unsigned)k >= SL_WIRE__COUNT)
		abort();
	if (k != SL_WIRE_DECL && k != SL_WIRE_TRUNCATED &&
	    k != SL_WIRE_OVERSIZED && k != SL_WIRE_EMPTY &&
	    k != SL_WIRE_FRAGMENTED && k != SL_WIRE_VERDICT)
		return 0;
	if (d.payload < data || d.payload + d.len > data + size)
		abort(); /* the payload lies inside the frame */
	if (k != SL_WIRE_DECL)
		return 0;
	if (d.len == 0 || d.len > SL_WIRE_PAYLOAD_MAX)
		abort();
	sl_wire_reply_addr(&d, &a);
	while (off < d.len) {
		sl_screen_msgpack(scr, NULL, NULL, d.payload + off, d.len - off,
				  &used, ++rec, &v);
		if (used > d.len - off)
			abort();
		if (v.verdict == SL_VERDICT_RELEASE)
			abort(); /* no rules: never released (SPEC 2) */
		if (v.has_decl_id)
			round_trip(&v, &fill);
		if (used == 0)
			break;
		off += used;
	}
	sl_wire_build(reply, &a, fill);
	sl_wire_udp_cksum(reply);
	return 0;
}
