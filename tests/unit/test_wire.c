/* Datagram framing (wire.h, docs/wire.md) and the verdict MessagePack
 * round trip the DPDK engine's verdict log relies on.  No EAL. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <msgpack.h>

#include <sluice/decl.h>
#include <sluice/verdict.h>
#include <sluice/wire.h>

static uint8_t frame[SL_WIRE_FRAME_MAX + 256];

static const struct sl_wire_addr addr = {
    .dmac = {2, 0, 0, 0, 0, 1},
    .smac = {2, 0, 0, 0, 0, 2},
    .saddr = 0x0a000002,
    .daddr = 0x0a000001,
    .sport = 9611,
    .dport = SL_WIRE_PORT,
};

/* Internet checksum over n bytes; 0 (folded 0xffff) when valid. */
static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t build(const void *payload, size_t n)
{
	memcpy(frame + SL_WIRE_HDR_LEN, payload, n);
	return sl_wire_build(frame, &addr, n);
}

Test(wire, build_then_parse_gives_payload_and_addresses)
{
	struct sl_wire_dgram d;
	size_t len = build("\x81\xa1x\x01", 4);

	cr_assert_eq(len, SL_WIRE_HDR_LEN + 4);
	cr_assert_eq(sl_wire_parse(frame, len, SL_WIRE_PORT, &d), SL_WIRE_DECL);
	cr_assert_eq(d.len, 4);
	cr_assert_eq(memcmp(d.payload, "\x81\xa1x\x01", 4), 0);
	cr_assert_eq(d.saddr, addr.saddr);
	cr_assert_eq(d.daddr, addr.daddr);
	cr_assert_eq(d.sport, 9611);
	cr_assert_eq(d.dport, SL_WIRE_PORT);
	cr_assert_eq(memcmp(d.smac, addr.smac, 6), 0);
}

Test(wire, checksums_are_valid)
{
	size_t len = build("hello, customs", 14);
	uint8_t pseudo[12];
	uint32_t sum = 0;
	size_t i;

	cr_assert_eq(csum(frame + 14, 20, 0), 0, "IPv4 header checksum");
	sl_wire_udp_cksum(frame);
	memcpy(pseudo, frame + 14 + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = frame[14 + 20 + 4];
	pseudo[11] = frame[14 + 20 + 5];
	for (i = 0; i < 12; i += 2)
		sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
	cr_assert_eq(csum(frame + 34, len - 34, sum), 0, "UDP checksum");
}

Test(wire, reply_swaps_everything)
{
	struct sl_wire_dgram d, r;
	struct sl_wire_addr a;
	size_t len = build("\xc0", 1);

	sl_wire_parse(frame, len, SL_WIRE_PORT, &d);
	sl_wire_reply_addr(&d, &a);
	len = sl_wire_build(frame, &a, 1);
	/* A reply is a verdict datagram from the declaration port. */
	cr_assert_eq(sl_wire_parse(frame, len, SL_WIRE_PORT, &r),
		     SL_WIRE_VERDICT);
	cr_assert_eq(r.sport, SL_WIRE_PORT);
	cr_assert_eq(r.dport, 9611);
	cr_assert_eq(r.daddr, addr.saddr);
	cr_assert_eq(memcmp(r.dmac, addr.smac, 6), 0);
}

struct class_case {
	const char *what;
	size_t payload; /* payload bytes to build */
	long cut;	/* bytes removed from the end of the frame */
	int patch;	/* 0 none, 1 ARP, 2 IPv6, 3 other port, 4 TCP,
			   5 later fragment, 6 first fragment, 7 UDP length
			   over IP length */
	enum sl_wire_class want;
};

static struct class_case cases[] = {
    {"declaration", 10, 0, 0, SL_WIRE_DECL},
    {"ARP", 10, 0, 1, SL_WIRE_NOT_UDP},
    {"IPv6", 10, 0, 2, SL_WIRE_NOT_UDP},
    {"other port", 10, 0, 3, SL_WIRE_OTHER_PORT},
    {"TCP", 10, 0, 4, SL_WIRE_NOT_UDP},
    {"later fragment", 10, 0, 5, SL_WIRE_FRAGMENT},
    {"first fragment", 10, 0, 6, SL_WIRE_FRAGMENTED},
    {"UDP longer than IP", 10, 0, 7, SL_WIRE_TRUNCATED},
    {"payload cut short", 100, 50, 0, SL_WIRE_TRUNCATED},
    {"UDP header cut", 10, 14, 0, SL_WIRE_RUNT},
    {"IP header cut", 10, 30, 0, SL_WIRE_RUNT},
    {"Ethernet header cut", 10, 45, 0, SL_WIRE_RUNT},
    {"empty", 0, 0, 0, SL_WIRE_EMPTY},
    {"oversized", SL_WIRE_PAYLOAD_MAX + 1, 0, 0, SL_WIRE_OVERSIZED},
    {"largest", SL_WIRE_PAYLOAD_MAX, 0, 0, SL_WIRE_DECL},
};

ParameterizedTestParameters(wire, classes)
{
	return cr_make_param_array(struct class_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct class_case *c, wire, classes)
{
	static uint8_t payload[SL_WIRE_PAYLOAD_MAX + 1];
	struct sl_wire_dgram d;
	size_t len;

	memset(payload, 0xa0, sizeof(payload));
	len = build(payload, c->payload);
	switch (c->patch) {
	case 1:
		frame[12] = 0x08, frame[13] = 0x06;
		break;
	case 2:
		frame[12] = 0x86, frame[13] = 0xdd;
		break;
	case 3:
		frame[36] = 0x30, frame[37] = 0x39; /* 12345 */
		break;
	case 4:
		frame[23] = 6;
		break;
	case 5:
		frame[20] = 0x00, frame[21] = 0x10; /* offset 128 bytes */
		break;
	case 6:
		frame[20] = 0x20, frame[21] = 0x00; /* MF */
		break;
	case 7:
		frame[38] = 0x01, frame[39] = 0x00; /* UDP length 256 */
		break;
	}
	len = (size_t)((long)len - c->cut);
	cr_assert_eq(
	    sl_wire_parse(frame, len, SL_WIRE_PORT, &d), c->want, "%s: got %s",
	    c->what,
	    sl_wire_class_name(sl_wire_parse(frame, len, SL_WIRE_PORT, &d)));
	if (c->want == SL_WIRE_DECL || c->want == SL_WIRE_TRUNCATED)
		cr_assert_leq(d.payload + d.len, frame + len,
			      "payload stays inside the frame");
}

/* Ethernet pads short frames to 60 bytes: the padding is not payload. */
Test(wire, ethernet_padding_is_not_payload)
{
	struct sl_wire_dgram d;
	size_t len = build("\x01", 1);

	memset(frame + len, 0, 60 - len);
	cr_assert_eq(sl_wire_parse(frame, 60, SL_WIRE_PORT, &d), SL_WIRE_DECL);
	cr_assert_eq(d.len, 1);
}

/* Every prefix of a frame parses without reading past it (ASan checks the
 * reads; the classes must be the short-frame ones). */
Test(wire, every_prefix_is_safe)
{
	static uint8_t copy[SL_WIRE_HDR_LEN + 64];
	struct sl_wire_dgram d;
	size_t len = build("0123456789abcdef", 16), n;

	for (n = 0; n <= len; n++) {
		enum sl_wire_class k;

		memcpy(copy, frame, n);
		k = sl_wire_parse(copy, n, SL_WIRE_PORT, &d);
		if (n < len)
			cr_assert(k == SL_WIRE_RUNT || k == SL_WIRE_TRUNCATED,
				  "prefix %zu: %s", n, sl_wire_class_name(k));
		else
			cr_assert_eq(k, SL_WIRE_DECL);
	}
}

/* The engine logs verdicts by decoding the datagrams it sent: the
 * MessagePack form must carry everything the JSON form prints. */
Test(verdict_wire, msgpack_round_trip_prints_the_same_json)
{
	static char j1[SL_VERDICT_JSON_MAX], j2[SL_VERDICT_JSON_MAX];
	static uint8_t mp[SL_VERDICT_MSGPACK_MAX];
	sl_verdict_t v, back;
	size_t used;
	int n;

	sl_verdict_init(&v);
	strcpy(v.decl_id, "TYN2026112900000001");
	v.has_decl_id = true;
	v.verdict = SL_VERDICT_INSPECT;
	v.tier = SL_TIER_GENERAL;
	v.score = 62;
	v.sampled = true;
	sl_verdict_add_reason(&v, "RISK.UNDERVALUED", "items[0].price", 40,
			      SL_VERDICT_RELEASE);
	sl_verdict_add_reason(&v, "PROHIBITED.X", "", 0, SL_VERDICT_SEIZE);
	strcpy(v.ruleset, "0123456789abcdef");
	strcpy(v.registry, "fedcba9876543210");

	n = sl_verdict_to_msgpack(&v, mp, sizeof(mp));
	cr_assert_gt(n, 0);
	cr_assert_eq(sl_verdict_from_msgpack(mp, (size_t)n, &used, &back), 0);
	cr_assert_eq(used, (size_t)n);
	cr_assert_geq(sl_verdict_to_json(&v, j1, sizeof(j1)), 0);
	cr_assert_geq(sl_verdict_to_json(&back, j2, sizeof(j2)), 0);
	cr_assert_str_eq(j2, j1);
}

Test(verdict_wire, reject_without_decl_id_round_trips)
{
	static char j1[SL_VERDICT_JSON_MAX], j2[SL_VERDICT_JSON_MAX];
	static uint8_t mp[SL_VERDICT_MSGPACK_MAX];
	sl_verdict_t v, back;
	size_t used;
	int n;

	sl_verdict_init(&v);
	v.line = 7;
	v.verdict = SL_VERDICT_REJECT;
	sl_error_set(&v.error, SL_E_BAD_USCC, "ebc.code",
		     "check character is 4, expected 3");
	n = sl_verdict_to_msgpack(&v, mp, sizeof(mp));
	cr_assert_gt(n, 0);
	/* Two verdicts back to back, as in one datagram. */
	memcpy(mp + n, mp, (size_t)n);
	cr_assert_eq(sl_verdict_from_msgpack(mp, 2 * (size_t)n, &used, &back),
		     0);
	cr_assert_eq(used, (size_t)n);
	sl_verdict_to_json(&v, j1, sizeof(j1));
	sl_verdict_to_json(&back, j2, sizeof(j2));
	cr_assert_str_eq(j2, j1);
}

/* The reference encoding of a verdict, with msgpack-c's packer alone, in
 * the documented key order (verdict.h, SPEC 4 keys). */
static void ref_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void ref_verdict(const sl_verdict_t *v, msgpack_sbuffer *sb)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 9 + !v->has_decl_id + (v->n_dropped != 0) +
				  (v->error.code != SL_OK));
	ref_str(&pk, "decl_id");
	if (v->has_decl_id) {
		ref_str(&pk, v->decl_id);
	} else {
		msgpack_pack_nil(&pk);
		ref_str(&pk, "line");
		msgpack_pack_uint64(&pk, v->line);
	}
	ref_str(&pk, "verdict");
	ref_str(&pk, sl_verdict_name(v->verdict));
	ref_str(&pk, "status");
	msgpack_pack_uint16(&pk, sl_verdict_status(v->verdict));
	ref_str(&pk, "score");
	msgpack_pack_int32(&pk, v->score);
	ref_str(&pk, "tier");
	ref_str(&pk, sl_tier_name(v->tier));
	ref_str(&pk, "reasons");
	msgpack_pack_array(&pk, v->n_reasons);
	for (unsigned i = 0; i < v->n_reasons; i++) {
		const sl_reason_t *r = &v->reasons[i];

		msgpack_pack_map(&pk, 2 + (r->field[0] != '\0') +
					  (r->action != SL_VERDICT_RELEASE));
		ref_str(&pk, "rule");
		ref_str(&pk, r->rule);
		if (r->field[0]) {
			ref_str(&pk, "field");
			ref_str(&pk, r->field);
		}
		ref_str(&pk, "points");
		msgpack_pack_int32(&pk, r->points);
		if (r->action != SL_VERDICT_RELEASE) {
			ref_str(&pk, "action");
			ref_str(&pk, sl_verdict_name(r->action));
		}
	}
	if (v->n_dropped) {
		ref_str(&pk, "reasons_dropped");
		msgpack_pack_uint8(&pk, v->n_dropped);
	}
	ref_str(&pk, "sampled");
	if (v->sampled)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	if (v->error.code != SL_OK) {
		ref_str(&pk, "error");
		msgpack_pack_map(&pk, 2 + (v->error.field[0] != '\0'));
		ref_str(&pk, "code");
		ref_str(&pk, sl_errcode_name(v->error.code));
		if (v->error.field[0]) {
			ref_str(&pk, "field");
			ref_str(&pk, v->error.field);
		}
		ref_str(&pk, "message");
		ref_str(&pk, v->error.message);
	}
	ref_str(&pk, "ruleset");
	ref_str(&pk, v->ruleset);
	ref_str(&pk, "registry");
	ref_str(&pk, v->registry);
}

/* Byte for byte what msgpack-c's packer writes for every verdict kind,
 * tier and reason action, with and without decl_id, error and dropped
 * reasons; a buffer one byte short is -ENOSPC. */
Test(verdict_wire, msgpack_bytes_equal_the_reference_packer)
{
	static uint8_t mp[SL_VERDICT_MSGPACK_MAX];

	for (int k = 0; k < SL_VERDICT__COUNT; k++)
		for (int t = 0; t < SL_TIER__COUNT; t++)
			for (int shape = 0; shape < 4; shape++) {
				msgpack_sbuffer sb;
				sl_verdict_t v;
				int n;

				sl_verdict_init(&v);
				v.verdict = (uint8_t)k;
				v.tier = (uint8_t)t;
				v.score = shape * 37 - 20;
				v.sampled = shape & 1;
				v.line = 12345;
				if (shape != 3) {
					strcpy(v.decl_id,
					       "TYN2026112900000001");
					v.has_decl_id = true;
				}
				for (int r = 0; r < shape * 3; r++)
					sl_verdict_add_reason(
					    &v, "PROHIBITED.ENDANGERED.IVORY",
					    r % 2 ? "items[3].name" : "",
					    r * 10,
					    (uint8_t)(r % SL_VERDICT__COUNT));
				v.n_dropped = shape == 2 ? 3 : 0;
				if (k == SL_VERDICT_REJECT)
					sl_error_set(&v.error, SL_E_BAD_USCC,
						     shape ? "ebc.code" : "",
						     "check character is 4");
				strcpy(v.ruleset, "0123456789abcdef");
				strcpy(v.registry,
				       shape ? "fedcba9876543210" : "");
				msgpack_sbuffer_init(&sb);
				ref_verdict(&v, &sb);
				n = sl_verdict_to_msgpack(&v, mp, sizeof(mp));
				cr_assert_eq(n, (int)sb.size, "k %d t %d s %d",
					     k, t, shape);
				cr_assert_arr_eq(mp, sb.data, sb.size);
				cr_assert_eq(
				    sl_verdict_to_msgpack(&v, mp, sb.size - 1),
				    -ENOSPC);
				msgpack_sbuffer_destroy(&sb);
			}
}

/* Records follow each other in a datagram: a record nested too deep is
 * rejected on its own (as a too-deep JSON line is), and the record after
 * it is still read. */
Test(wire_records, too_deep_record_does_not_swallow_the_next)
{
	static uint8_t buf[256];
	static sl_decl_t d;
	struct sl_decoder *dec = sl_decoder_new();
	sl_error_t err;
	size_t n = 0, used, first;
	int i;

	cr_assert_not_null(dec);
	/* {"x": [[[[[[[[[[[]]]]]]]]]]} : 12 levels */
	buf[n++] = 0x81;
	buf[n++] = 0xa1;
	buf[n++] = 'x';
	for (i = 0; i < 10; i++)
		buf[n++] = 0x91;
	buf[n++] = 0x90;
	first = n;
	/* {"decl_id": "NEXT"} */
	memcpy(buf + n,
	       "\x81\xa7"
	       "decl_id"
	       "\xa4"
	       "NEXT",
	       14);
	n += 14;

	cr_assert_eq(sl_decode_msgpack(dec, buf, n, &used, &d, &err),
		     SL_E_TOO_DEEP);
	cr_assert_eq(used, first, "the deep record is %zu bytes, used %zu",
		     first, used);
	cr_assert_eq(
	    sl_decode_msgpack(dec, buf + used, n - used, &used, &d, &err),
	    SL_OK);
	cr_assert_eq(used, 14);
	cr_assert_eq(d.s[SL_DS_DECL_ID].n, 4);
	cr_assert_eq(memcmp(d.s[SL_DS_DECL_ID].p, "NEXT", 4), 0);
	sl_decoder_free(dec);
}
