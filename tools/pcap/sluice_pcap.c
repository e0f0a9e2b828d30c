/* sluice-pcap — declaration and verdict datagrams to and from pcap files.
 *
 *   sluice-pcap encode IN.jsonl OUT.pcap   JSON lines -> declaration frames
 *   sluice-pcap decode IN.pcap             frames -> JSON lines on stdout
 *   sluice-pcap mix IN.jsonl OUT.pcap      declarations plus a malformed mix
 *
 * The framing is docs/wire.md (include/sluice/wire.h).  JSON is read with
 * cJSON and MessagePack written and read with msgpack-c; the pcap format is
 * libpcap's.  Control-plane tool: it allocates freely.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <msgpack.h>
#include <pcap/pcap.h>

#include <sluice/verdict.h>
#include <sluice/wire.h>

#define DEF_SPORT 9611

struct opts {
	uint16_t port;	       /* declaration port */
	uint16_t sport;	       /* first source port of declaration frames */
	unsigned flows;	       /* source ports used round robin (RSS spread) */
	size_t max_payload;    /* bytes of records per datagram */
	unsigned per_dgram;    /* records per datagram at most; 0 = no limit */
	uint32_t saddr, daddr; /* host order */
	int raw;   /* decode: records as generic JSON, verdicts too */
	int quiet; /* encode, mix: no per-line reports, only the summary */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-pcap encode [OPTIONS] IN.jsonl OUT.pcap\n"
		"       sluice-pcap decode [OPTIONS] IN.pcap\n"
		"       sluice-pcap mix [OPTIONS] IN.jsonl OUT.pcap\n"
		"\n"
		"encode  every JSON object line of IN becomes one MessagePack "
		"record; records\n"
		"        are packed into declaration datagrams (UDP to port "
		"%d), as many per\n"
		"        datagram as fit in --max-payload bytes.  Lines that "
		"are not JSON\n"
		"        objects are reported on stderr and skipped.\n"
		"decode  prints the records of declaration datagrams and the "
		"verdicts of\n"
		"        verdict datagrams as JSON lines; other frames are "
		"counted on stderr.\n"
		"mix     like encode, with one of each malformed frame before "
		"and after the\n"
		"        declarations: an ARP request for the engine's "
		"address, IPv6, wrong\n"
		"        port, runt, truncated, oversized, empty, garbage "
		"MessagePack, non-map\n"
		"        records, a record whose decl_id is readable but whose "
		"body is not;\n"
		"        prints a JSON manifest of what it wrote on stdout.\n"
		"\n"
		"options:\n"
		"  --port N          declaration UDP port (default %d)\n"
		"  --sport N         source port of declarations (default %d)\n"
		"  --flows N         spread over N source ports, round robin "
		"(default 1)\n"
		"  --max-payload N   datagram payload bytes (default %d; more "
		"makes\n"
		"                    oversized datagrams on purpose)\n"
		"  --per-datagram N  at most N records per datagram\n"
		"  --raw             decode: print verdict maps as read, not "
		"normalised\n"
		"  -q, --quiet       encode, mix: report skipped lines only in "
		"the summary\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit status: 0 done, 1 input/output error, 2 usage error.\n",
		SL_WIRE_PORT, SL_WIRE_PORT, DEF_SPORT, SL_WIRE_PAYLOAD_MAX);
}

/* ------------------------------------------------------ JSON -> msgpack */

/* Packs a cJSON value.  Numbers that are whole and fit in int64 become
 * integers (as a MessagePack producer would write them), others float64;
 * the decoders read both as numbers. */
static void pack_json(msgpack_packer *pk, const cJSON *j)
{
	const cJSON *c;
	size_t n;

	if (cJSON_IsNull(j)) {
		msgpack_pack_nil(pk);
	} else if (cJSON_IsTrue(j)) {
		msgpack_pack_true(pk);
	} else if (cJSON_IsFalse(j)) {
		msgpack_pack_false(pk);
	} else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;

		if (isfinite(d) && d == floor(d) && d >= -9.2e18 && d <= 9.2e18)
			msgpack_pack_int64(pk, (int64_t)d);
		else
			msgpack_pack_double(pk, d);
	} else if (cJSON_IsString(j)) {
		n = strlen(j->valuestring);
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, j->valuestring, n);
	} else if (cJSON_IsArray(j)) {
		msgpack_pack_array(pk, (size_t)cJSON_GetArraySize(j));
		cJSON_ArrayForEach (c, j)
			pack_json(pk, c);
	} else if (cJSON_IsObject(j)) {
		msgpack_pack_map(pk, (size_t)cJSON_GetArraySize(j));
		cJSON_ArrayForEach (c, j) {
			n = strlen(c->string);
			msgpack_pack_str(pk, n);
			msgpack_pack_str_body(pk, c->string, n);
			pack_json(pk, c);
		}
	} else {
		msgpack_pack_nil(pk);
	}
}

/* ------------------------------------------------------------ pcap out */

struct writer {
	pcap_t *dead;
	pcap_dumper_t *dump;
	const struct opts *o;
	uint64_t frames;
	unsigned flow;
	uint8_t frame[65536];
	/* the datagram being filled */
	size_t fill;
	unsigned n_recs;
	uint64_t datagrams, records;
};

static int writer_open(struct writer *w, const char *path, const struct opts *o)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (!w->dead)
		return -ENOMEM;
	w->dump = pcap_dump_open(w->dead, path);
	if (!w->dump) {
		fprintf(stderr, "sluice-pcap: %s: %s\n", path,
			pcap_geterr(w->dead));
		pcap_close(w->dead);
		return -EIO;
	}
	return 0;
}

/* Writes one frame of len bytes; timestamps step by 1 us from a fixed
 * origin so that two encodings of one input are byte-identical. */
static void write_frame(struct writer *w, const void *frame, size_t len)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = 1798761600 + (time_t)(w->frames / 1000000);
	h.ts.tv_usec = (suseconds_t)(w->frames % 1000000);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)w->dump, &h, frame);
	w->frames++;
}

static void default_addr(const struct writer *w, struct sl_wire_addr *a)
{
	static const uint8_t engine_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t sender_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

	memcpy(a->dmac, engine_mac, 6);
	memcpy(a->smac, sender_mac, 6);
	a->saddr = w->o->saddr;
	a->daddr = w->o->daddr;
	a->sport = (uint16_t)(w->o->sport + w->flow % w->o->flows);
	a->dport = w->o->port;
}

static void flush_dgram(struct writer *w)
{
	struct sl_wire_addr a;
	size_t len;

	if (!w->n_recs)
		return;
	default_addr(w, &a);
	len = sl_wire_build(w->frame, &a, w->fill);
	sl_wire_udp_cksum(w->frame);
	write_frame(w, w->frame, len);
	w->datagrams++;
	w->flow++;
	w->fill = 0;
	w->n_recs = 0;
}

/* Adds one encoded record; starts a new datagram when it would not fit.
 * Returns 0, or -EMSGSIZE when the record alone exceeds the payload. */
static int add_record(struct writer *w, const void *rec, size_t n)
{
	size_t cap = w->o->max_payload;

	if (n > cap)
		return -EMSGSIZE;
	if (w->fill + n > cap ||
	    (w->o->per_dgram && w->n_recs >= w->o->per_dgram))
		flush_dgram(w);
	memcpy(w->frame + SL_WIRE_HDR_LEN + w->fill, rec, n);
	w->fill += n;
	w->n_recs++;
	w->records++;
	return 0;
}

static int writer_close(struct writer *w)
{
	int rc = 0;

	flush_dgram(w);
	if (pcap_dump_flush(w->dump) != 0)
		rc = -EIO;
	pcap_dump_close(w->dump);
	pcap_close(w->dead);
	return rc;
}

/* ------------------------------------------------------------ encode */

struct enc_stats {
	uint64_t lines, records, skipped, too_big;
};

/* One JSON value filling the whole line (whitespace around it allowed),
 * as `sluice screen` reads lines: trailing bytes make the line not JSON,
 * so both see the same declarations.  NULL when it is not. */
static cJSON *parse_line(const char *line, size_t n)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(line, n, &end, 0);

	if (!j)
		return NULL;
	while (end < line + n &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != line + n) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* Reads IN line by line, encodes every JSON object line and hands it to
 * the writer.  Non-object lines are reported and skipped. */
static int encode_lines(FILE *in, const char *name, struct writer *w,
			struct enc_stats *st)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	while ((n = getline(&line, &cap, in)) > 0) {
		cJSON *j;

		st->lines++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		j = parse_line(line, (size_t)n);
		if (!j || !cJSON_IsObject(j)) {
			if (!w->o->quiet)
				fprintf(
				    stderr,
				    "sluice-pcap: %s:%llu: not a JSON object, "
				    "skipped\n",
				    name, (unsigned long long)st->lines);
			st->skipped++;
			cJSON_Delete(j);
			continue;
		}
		msgpack_sbuffer_clear(&sb);
		pack_json(&pk, j);
		cJSON_Delete(j);
		if (add_record(w, sb.data, sb.size) == -EMSGSIZE) {
			if (!w->o->quiet)
				fprintf(stderr,
					"sluice-pcap: %s:%llu: record is %zu "
					"bytes, "
					"over the datagram payload of %zu; "
					"skipped\n",
					name, (unsigned long long)st->lines,
					sb.size, w->o->max_payload);
			st->too_big++;
			continue;
		}
		st->records++;
	}
	if (ferror(in)) {
		fprintf(stderr, "sluice-pcap: %s: read error\n", name);
		rc = -EIO;
	}
	free(line);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static FILE *open_in(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (!f)
		fprintf(stderr, "sluice-pcap: %s: %s\n", path, strerror(errno));
	return f;
}

static int cmd_encode(const struct opts *o, const char *in_path,
		      const char *out_path)
{
	struct enc_stats st = {0};
	struct writer *w;
	FILE *in;
	int rc;

	in = open_in(in_path);
	if (!in)
		return 1;
	w = malloc(sizeof(*w));
	if (!w || writer_open(w, out_path, o) < 0) {
		free(w);
		if (in != stdin)
			fclose(in);
		return 1;
	}
	rc = encode_lines(in, in_path, w, &st);
	if (writer_close(w) < 0) {
		fprintf(stderr, "sluice-pcap: %s: write error\n", out_path);
		rc = -EIO;
	}
	fprintf(stderr,
		"sluice-pcap: %llu records in %llu datagrams; %llu lines "
		"skipped (not JSON objects), %llu records too large\n",
		(unsigned long long)st.records,
		(unsigned long long)w->datagrams,
		(unsigned long long)st.skipped, (unsigned long long)st.too_big);
	free(w);
	if (in != stdin)
		fclose(in);
	return rc < 0 ? 1 : 0;
}

/* --------------------------------------------------------------- mix */

/* Appends the malformed frames of the mix, one of each, between the
 * declarations.  Counts go to the manifest. */
struct mix_counts {
	unsigned not_udp, arp, runt, other_port, truncated, oversized;
	unsigned garbage, non_map, readable_id, empty;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void mix_frames(struct writer *w, struct mix_counts *mc)
{
	uint8_t *f = w->frame;
	struct sl_wire_addr a;
	size_t len, i;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	flush_dgram(w);
	default_addr(w, &a);

	/* ARP request: who has the engine's address (--dst), tell the
	 * sender; padded to the 60-byte Ethernet minimum. */
	memset(f, 0, 64);
	memset(f, 0xff, 6);
	memcpy(f + 6, a.smac, 6);
	f[12] = 0x08, f[13] = 0x06;		    /* ARP */
	f[14] = 0, f[15] = 1;			    /* Ethernet */
	f[16] = 0x08, f[17] = 0x00;		    /* IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, a.smac, 6);
	put_be32(f + 28, a.saddr);
	put_be32(f + 38, a.daddr);
	write_frame(w, f, 60);
	mc->not_udp++;
	mc->arp++;

	/* IPv6 frame (Ethernet type 0x86dd) */
	memset(f, 0, 80);
	memcpy(f, a.dmac, 6);
	memcpy(f + 6, a.smac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	write_frame(w, f, 80);
	mc->not_udp++;

	/* Runt: an IPv4 Ethernet header and half an IP header */
	len = sl_wire_build(f, &a, 0);
	write_frame(w, f, 24);
	mc->runt++;

	/* UDP to another port, with a valid-looking payload */
	a.dport = (uint16_t)(w->o->port + 1);
	memcpy(f + SL_WIRE_HDR_LEN, "\x81\xa1x\x01", 4);
	len = sl_wire_build(f, &a, 4);
	write_frame(w, f, len);
	mc->other_port++;
	a.dport = w->o->port;

	/* Truncated: the UDP header claims 200 payload bytes, 20 are there */
	memset(f + SL_WIRE_HDR_LEN, 0x90, 20);
	len = sl_wire_build(f, &a, 200);
	write_frame(w, f, len - 180);
	mc->truncated++;

	/* Oversized: payload over SL_WIRE_PAYLOAD_MAX (fixstr bytes) */
	memset(f + SL_WIRE_HDR_LEN, 0xa0, SL_WIRE_PAYLOAD_MAX + 100);
	len = sl_wire_build(f, &a, SL_WIRE_PAYLOAD_MAX + 100);
	write_frame(w, f, len);
	mc->oversized++;

	/* Empty declaration datagram */
	len = sl_wire_build(f, &a, 0);
	write_frame(w, f, len);
	mc->empty++;

	/* Garbage: 0xc1 is never used in MessagePack */
	for (i = 0; i < 64; i++)
		f[SL_WIRE_HDR_LEN + i] = (uint8_t)(i % 3 ? 0xc1 : i);
	len = sl_wire_build(f, &a, 64);
	write_frame(w, f, len);
	mc->garbage++;

	/* A record that is not a map (an integer), then an array */
	memcpy(f + SL_WIRE_HDR_LEN, "\x2a\x92\x01\x02", 4);
	len = sl_wire_build(f, &a, 4);
	write_frame(w, f, len);
	mc->non_map += 2;

	/* A map whose decl_id is readable, with a broken body: items is a
	 * number.  Must become a reject that names MIX-BAD-BODY. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str(&pk, 7);
	msgpack_pack_str_body(&pk, "decl_id", 7);
	msgpack_pack_str(&pk, 12);
	msgpack_pack_str_body(&pk, "MIX-BAD-BODY", 12);
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "items", 5);
	msgpack_pack_int(&pk, 5);
	memcpy(f + SL_WIRE_HDR_LEN, sb.data, sb.size);
	len = sl_wire_build(f, &a, sb.size);
	write_frame(w, f, len);
	mc->readable_id++;
	msgpack_sbuffer_destroy(&sb);
}

static int cmd_mix(const struct opts *o, const char *in_path,
		   const char *out_path)
{
	struct enc_stats st = {0};
	struct mix_counts mc = {0};
	struct writer *w;
	FILE *in;
	int rc;

	in = open_in(in_path);
	if (!in)
		return 1;
	w = malloc(sizeof(*w));
	if (!w || writer_open(w, out_path, o) < 0) {
		free(w);
		if (in != stdin)
			fclose(in);
		return 1;
	}
	mix_frames(w, &mc);
	rc = encode_lines(in, in_path, w, &st);
	mix_frames(w, &mc);
	if (writer_close(w) < 0)
		rc = -EIO;
	printf("{\"records\":%llu,\"datagrams\":%llu,\"not_udp\":%u,"
	       "\"arp_requests\":%u,"
	       "\"runt\":%u,\"other_port\":%u,\"truncated\":%u,"
	       "\"oversized\":%u,\"empty\":%u,\"garbage\":%u,"
	       "\"non_map\":%u,\"readable_id\":%u}\n",
	       (unsigned long long)st.records, (unsigned long long)w->datagrams,
	       mc.not_udp, mc.arp, mc.runt, mc.other_port, mc.truncated,
	       mc.oversized, mc.empty, mc.garbage, mc.non_map, mc.readable_id);
	free(w);
	if (in != stdin)
		fclose(in);
	return rc < 0 ? 1 : 0;
}

/* ------------------------------------------------------------ decode */

/* Converts a MessagePack object to a cJSON value (generic: binary and
 * extension types become null; map keys that are not strings are
 * printed as their JSON text). */
static cJSON *obj_to_json(const msgpack_object *o)
{
	cJSON *j;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return cJSON_CreateNull();
	case MSGPACK_OBJECT_BOOLEAN:
		return cJSON_CreateBool(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return cJSON_CreateNumber((double)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return cJSON_CreateNumber((double)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return cJSON_CreateNumber(o->via.f64);
	case MSGPACK_OBJECT_STR: {
		char *s = malloc(o->via.str.size + 1);

		if (!s)
			return NULL;
		memcpy(s, o->via.str.ptr, o->via.str.size);
		s[o->via.str.size] = '\0';
		j = cJSON_CreateString(s);
		free(s);
		return j;
	}
	case MSGPACK_OBJECT_ARRAY:
		j = cJSON_CreateArray();
		for (i = 0; j && i < o->via.array.size; i++)
			cJSON_AddItemToArray(j,
					     obj_to_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		j = cJSON_CreateObject();
		for (i = 0; j && i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			char key[256];

			if (k->type == MSGPACK_OBJECT_STR)
				snprintf(key, sizeof(key), "%.*s",
					 (int)k->via.str.size, k->via.str.ptr);
			else
				snprintf(key, sizeof(key), "?");
			cJSON_AddItemToObject(
			    j, key, obj_to_json(&o->via.map.ptr[i].val));
		}
		return j;
	default:
		return cJSON_CreateNull();
	}
}

struct dec_stats {
	uint64_t frames, by_class[SL_WIRE__COUNT], records, verdicts, bad;
};

/* Prints every MessagePack value in payload as a JSON line.  Verdict
 * datagrams are normalised through sl_verdict_from_msgpack/to_json, so
 * they print exactly as `sluice screen` prints verdicts. */
static void decode_payload(const struct opts *o, const uint8_t *p, size_t n,
			   int verdicts, uint64_t frame_no,
			   struct dec_stats *st)
{
	static char json[SL_VERDICT_JSON_MAX + 1];
	msgpack_zone zone;
	msgpack_object obj;
	size_t off = 0;
	int rc;

	msgpack_zone_init(&zone, 4096);
	while (off < n) {
		size_t at = off;

		if (verdicts && !o->raw) {
			sl_verdict_t v;
			size_t used;

			if (sl_verdict_from_msgpack(p + off, n - off, &used,
						    &v) == 0 &&
			    used > 0 &&
			    sl_verdict_to_json(&v, json, sizeof(json)) >= 0) {
				puts(json);
				st->verdicts++;
				off += used;
				continue;
			}
			fprintf(stderr,
				"sluice-pcap: frame %llu: byte %zu: not a "
				"verdict, rest skipped\n",
				(unsigned long long)frame_no, at);
			st->bad++;
			break;
		}
		rc = msgpack_unpack((const char *)p, n, &off, &zone, &obj);
		if (rc != MSGPACK_UNPACK_SUCCESS &&
		    rc != MSGPACK_UNPACK_EXTRA_BYTES) {
			fprintf(stderr,
				"sluice-pcap: frame %llu: byte %zu: not "
				"MessagePack, rest skipped\n",
				(unsigned long long)frame_no, at);
			st->bad++;
			break;
		}
		cJSON *j = obj_to_json(&obj);
		char *s = j ? cJSON_PrintUnformatted(j) : NULL;

		if (s)
			puts(s);
		free(s);
		cJSON_Delete(j);
		if (verdicts)
			st->verdicts++;
		else
			st->records++;
		msgpack_zone_clear(&zone);
	}
	msgpack_zone_destroy(&zone);
}

static int cmd_decode(const struct opts *o, const char *in_path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct dec_stats st = {0};
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int rc, c;

	p = pcap_open_offline(in_path, err);
	if (!p) {
		fprintf(stderr, "sluice-pcap: %s: %s\n", in_path, err);
		return 1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "sluice-pcap: %s: not an Ethernet capture\n",
			in_path);
		pcap_close(p);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct sl_wire_dgram d;
		enum sl_wire_class k;

		st.frames++;
		k = sl_wire_parse(data, h->caplen, o->port, &d);
		st.by_class[k]++;
		if (k == SL_WIRE_DECL || k == SL_WIRE_VERDICT)
			decode_payload(o, d.payload, d.len,
				       k == SL_WIRE_VERDICT, st.frames, &st);
	}
	if (rc == -1)
		fprintf(stderr, "sluice-pcap: %s: %s\n", in_path,
			pcap_geterr(p));
	pcap_close(p);
	fflush(stdout);
	fprintf(stderr,
		"sluice-pcap: %llu frames: %llu declarations, %llu verdicts, "
		"%llu unreadable payloads",
		(unsigned long long)st.frames, (unsigned long long)st.records,
		(unsigned long long)st.verdicts, (unsigned long long)st.bad);
	for (c = 0; c < SL_WIRE__COUNT; c++)
		if (st.by_class[c] && c != SL_WIRE_DECL && c != SL_WIRE_VERDICT)
			fprintf(stderr, ", %llu %s",
				(unsigned long long)st.by_class[c],
				sl_wire_class_name((enum sl_wire_class)c));
	fputc('\n', stderr);
	return rc == -1 ? 1 : 0;
}

/* -------------------------------------------------------------- main */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || end == s || *out > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"sport", required_argument, NULL, 's'},
	    {"flows", required_argument, NULL, 'f'},
	    {"max-payload", required_argument, NULL, 'm'},
	    {"per-datagram", required_argument, NULL, 'n'},
	    {"raw", no_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct opts o = {.port = SL_WIRE_PORT,
			 .sport = DEF_SPORT,
			 .flows = 1,
			 .max_payload = SL_WIRE_PAYLOAD_MAX,
			 .saddr = 0x0a000002,  /* 10.0.0.2, the sender */
			 .daddr = 0x0a000001}; /* 10.0.0.1, the engine */
	const char *cmd;
	unsigned long v;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 's':
			if (parse_uint(optarg, 65535, &v) || v == 0)
				goto bad_value;
			if (c == 'p')
				o.port = (uint16_t)v;
			else
				o.sport = (uint16_t)v;
			break;
		case 'f':
			if (parse_uint(optarg, 1024, &v) || v == 0)
				goto bad_value;
			o.flows = (unsigned)v;
			break;
		case 'm':
			if (parse_uint(optarg, 65000, &v) || v == 0)
				goto bad_value;
			o.max_payload = v;
			break;
		case 'n':
			if (parse_uint(optarg, 1u << 20, &v))
				goto bad_value;
			o.per_dgram = (unsigned)v;
			break;
		case 'r':
			o.raw = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.sport == o.port) {
		fprintf(stderr, "sluice-pcap: --sport must differ from "
				"--port (verdicts come from --port)\n");
		return 2;
	}
	if (!strcmp(cmd, "encode") && argc - optind == 2)
		return cmd_encode(&o, argv[optind], argv[optind + 1]);
	if (!strcmp(cmd, "mix") && argc - optind == 2)
		return cmd_mix(&o, argv[optind], argv[optind + 1]);
	if (!strcmp(cmd, "decode") && argc - optind == 1)
		return cmd_decode(&o, argv[optind]);
	usage(stderr);
	return 2;

bad_value:
	fprintf(stderr, "sluice-pcap: bad option value: %s\n", optarg);
	return 2;
}
