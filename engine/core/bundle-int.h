/* sluice — the bundle file format and the loaded bundle (private).
 *
 * Shared by the loader and matcher (engine/core/bundle.c, match.c), the
 * compiler (tools/rulec, which writes this format), and the benches (which
 * run the raw hs_scan of the same buffer with the same database).
 *
 * File layout, little-endian, every part 8-byte aligned:
 *
 *   struct sl__bhdr            256 bytes: magic, format version, sizes,
 *                              Hyperscan version and platform, SHA-256
 *   sections, each            struct sl__bsect + payload padded to 8:
 *     STR   char[]             NUL-terminated strings, offsets into it
 *     RULE  struct sl__brule   one per rule, in rule order
 *     NODE  struct sl__bnode   condition trees, children before parents
 *     KIDS  uint32_t           child node indexes of ALL/ANY/NOT
 *     LEAF  struct sl__bleaf   text conditions (one per `match:`)
 *     PATN  struct sl__bpat    one per Hyperscan expression id
 *     TRGT  struct sl__btgt    what a pattern match means (leaf, role)
 *     VALS  uint64_t           sorted value lists (HS prefixes, countries)
 *     BAND  struct sl__bband   reference price bands
 *     SRCS  struct sl__bsrc    the source files and their SHA-256
 *     PLCY  struct sl_policy   the decision policy
 *     HSDB  bytes              the serialized Hyperscan block database
 *
 * The SHA-256 covers the whole file with the sha256 and id fields of the
 * header zeroed; the bundle id is its first 8 bytes in hex.  Everything a
 * loader can derive (which rule a leaf belongs to, which rules must be
 * evaluated on every declaration, which fields to scan) is derived at load
 * rather than stored, so there is less to trust.
 */
#ifndef SLUICE_BUNDLE_INT_H
#define SLUICE_BUNDLE_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <hs.h>

#include <sluice/bundle.h>
#include <sluice/verdict-t.h>

#define SL__BUNDLE_MAGIC   "SLUICEB\x1a"
#define SL__BUNDLE_VERSION 1
#define SL__BUNDLE_MAX	   (UINT64_C(1) << 30) /* refuse larger files */
#define SL__DEPTH_MAX	   32 /* condition nesting the loader accepts */

/* ---------------------------------------------------------- text fields */

/* The text fields a rule can name, in scan-buffer order: X(id, "name",
 * is_item, index into d->s[] or items[i].s[], max bytes). */
#define SL__TEXT_FIELDS(X)                                                     \
	X(SENDER_NAME, "sender.name", 0, SL_DS_SENDER_NAME, 256)               \
	X(SENDER_ADDRESS, "sender.address", 0, SL_DS_SENDER_ADDRESS, 512)      \
	X(CONS_NAME, "consignee.name", 0, SL_DS_CONS_NAME, 128)                \
	X(CONS_ADDRESS, "consignee.address", 0, SL_DS_CONS_ADDRESS, 512)       \
	X(BUYER_NAME, "buyer.name", 0, SL_DS_BUYER_NAME, 128)                  \
	X(EBC_NAME, "ebc.name", 0, SL_DS_EBC_NAME, 256)                        \
	X(EBP_NAME, "ebp.name", 0, SL_DS_EBP_NAME, 256)                        \
	X(LOG_NAME, "logistics.name", 0, SL_DS_LOG_NAME, 256)                  \
	X(ITEM_NAME, "item.name", 1, SL_IS_NAME, 512)                          \
	X(ITEM_MODEL, "item.model", 1, SL_IS_MODEL, 256)                       \
	X(ITEM_BRAND, "item.brand", 1, SL_IS_BRAND, 128)

enum sl__tf {
#define X(id, name, item, idx, max) SL__TF_##id,
	SL__TEXT_FIELDS(X)
#undef X
	    SL__TF__COUNT
};
#define SL__TF_FIRST_ITEM SL__TF_ITEM_NAME
#define SL__TF_ITEM_MASK                                                       \
	((1u << SL__TF_ITEM_NAME) | (1u << SL__TF_ITEM_MODEL) |                \
	 (1u << SL__TF_ITEM_BRAND))
#define SL__TF_ALL_MASK ((1u << SL__TF__COUNT) - 1)

extern const char *const sl__tf_name[SL__TF__COUNT]; /* "item.name" */
extern const uint16_t sl__tf_max[SL__TF__COUNT];     /* bytes */
extern const uint8_t sl__tf_index[SL__TF__COUNT];    /* into s[] */

/* ------------------------------------------------------------ file parts */

struct sl__bhdr {
	char magic[8];	      /* SL__BUNDLE_MAGIC */
	uint32_t version;     /* SL__BUNDLE_VERSION */
	uint32_t hdr_size;    /* sizeof(struct sl__bhdr) */
	uint64_t file_size;   /* header + sections */
	int64_t created;      /* seconds since the epoch */
	uint64_t hs_features; /* hs_platform_info.cpu_features built for */
	uint32_t hs_tune;     /* hs_platform_info.tune */
	uint32_t n_rules;     /* == RULE section count */
	uint32_t n_patterns;  /* == PATN section count */
	uint32_t n_sources;   /* == SRCS section count */
	char hs_version[80];  /* hs_version() of the compiler */
	uint8_t sha256[32];   /* see the top of this file */
	char id[24];	      /* 16 hex digits + NUL */
	uint8_t reserved[64]; /* zero */
};
static_assert(sizeof(struct sl__bhdr) == 256, "bundle header size");

struct sl__bsect {
	uint32_t tag;	    /* SL__SECT_* */
	uint32_t elem_size; /* size of one element; 1 for bytes */
	uint64_t size;	    /* payload bytes, not counting padding */
};

#define SL__TAG(a, b, c, d)                                                    \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |            \
	 (uint32_t)(d) << 24)
enum sl__sect_tag {
	SL__SECT_STR = SL__TAG('S', 'T', 'R', ' '),
	SL__SECT_RULE = SL__TAG('R', 'U', 'L', 'E'),
	SL__SECT_NODE = SL__TAG('N', 'O', 'D', 'E'),
	SL__SECT_KIDS = SL__TAG('K', 'I', 'D', 'S'),
	SL__SECT_LEAF = SL__TAG('L', 'E', 'A', 'F'),
	SL__SECT_PATN = SL__TAG('P', 'A', 'T', 'N'),
	SL__SECT_TRGT = SL__TAG('T', 'R', 'G', 'T'),
	SL__SECT_VALS = SL__TAG('V', 'A', 'L', 'S'),
	SL__SECT_BAND = SL__TAG('B', 'A', 'N', 'D'),
	SL__SECT_SRCS = SL__TAG('S', 'R', 'C', 'S'),
	SL__SECT_PLCY = SL__TAG('P', 'L', 'C', 'Y'),
	SL__SECT_HSDB = SL__TAG('H', 'S', 'D', 'B'),
};
#define SL__N_SECTS 12

struct sl__brule {
	uint32_t id;	 /* STR: "PROHIBITED.ENDANGERED.IVORY" */
	uint32_t title;	 /* STR */
	uint32_t source; /* STR: the list or regulation it comes from */
	uint32_t file;	 /* STR: source file it was written in */
	uint32_t line;	 /* 1-based position of the rule in file */
	uint32_t col;
	uint32_t root;	/* NODE index of its condition */
	int32_t points; /* added to the score; 0 = none */
	uint8_t action; /* enum sl_verdict_kind; RELEASE = none */
	uint8_t pad[7];
};
static_assert(sizeof(struct sl__brule) == 40, "rule size");

enum sl__node_kind {
	SL__N_ALL = 1,	      /* every child */
	SL__N_ANY,	      /* at least one child */
	SL__N_NOT,	      /* the one child is false */
	SL__N_TEXT,	      /* text leaf a matched */
	SL__N_HS,	      /* item hs_code starts with a VALS[a..a+n) */
	SL__N_ORIGIN,	      /* item origin in VALS[a..a+n) */
	SL__N_SENDER_COUNTRY, /* sender.country in VALS[a..a+n) */
	SL__N_FLOW,	      /* 1 << flow in value */
	SL__N_TRADE_MODE,     /* 1 << trade_mode in value */
	SL__N_CATEGORY,	      /* 1 << item category in value */
	SL__N_NUM,	      /* subject op value */
	SL__N_BAND,	      /* item unit price (CNY) x 100 < band low x
				 value, band from BAND[a..a+n) */
	SL__N__COUNT
};

/* Numeric subjects: X(id, "name", is_item, "field path", is_money). */
#define SL__NUM_SUBJECTS(X)                                                    \
	X(UNIT_PRICE, "unit_price", 1, "price", 1)                             \
	X(ITEM_VALUE, "item_value", 1, "total_price", 1)                       \
	X(QTY, "quantity", 1, "qty", 0)                                        \
	X(GOODS_VALUE, "goods_value", 0, "goods_value", 1)                     \
	X(GROSS_WEIGHT, "gross_weight", 0, "gross_weight_kg", 0)               \
	X(NET_WEIGHT, "net_weight", 0, "net_weight_kg", 0)                     \
	X(ITEMS, "items", 0, "items", 0)

enum sl__num_subject {
#define X(id, name, item, path, money) SL__NS_##id,
	SL__NUM_SUBJECTS(X)
#undef X
	    SL__NS__COUNT
};

enum sl__num_op { SL__OP_LT, SL__OP_LE, SL__OP_GT, SL__OP_GE, SL__OP__COUNT };

struct sl__bnode {
	uint8_t kind;	 /* enum sl__node_kind */
	uint8_t op;	 /* NUM: enum sl__num_op */
	uint8_t subject; /* NUM: enum sl__num_subject */
	uint8_t pad;
	uint32_t a; /* ALL/ANY/NOT: first KIDS index; TEXT: leaf;
		       HS/ORIGIN/SENDER_COUNTRY: first VALS; BAND:
		       first BAND */
	uint32_t n; /* count at a */
	uint32_t pad2;
	int64_t value; /* NUM: threshold, 5 decimals (CNY for money);
			  FLOW/TRADE_MODE/CATEGORY: bit mask; BAND:
			  percent of the band's low end */
};
static_assert(sizeof(struct sl__bnode) == 24, "node size");

struct sl__bleaf {
	uint32_t fields; /* bit mask of enum sl__tf it looks at */
	uint32_t pad;
};

enum sl__role {
	SL__ROLE_TERM = 1,   /* a match makes the leaf true */
	SL__ROLE_UNLESS = 2, /* a match cancels the leaf's term matches it
				covers, in the same field */
};

struct sl__bpat {
	uint32_t expr;	   /* STR: the expression given to Hyperscan */
	uint32_t text;	   /* STR: the term (normalised) or regex, shown by
			      --explain */
	uint32_t tgt;	   /* first TRGT */
	uint32_t n_tgt;	   /* >= 1 */
	uint32_t len;	   /* bytes of a literal match: start = end - len;
			      0: regex, start reported by Hyperscan (SOM) */
	uint32_t hs_flags; /* flags it was compiled with */
	uint32_t origin;   /* enum sl__pat_origin */
	uint32_t pad;
};
enum sl__pat_origin {
	SL__PAT_TERM = 0,    /* a term as written */
	SL__PAT_VARIANT = 1, /* a traditional-character variant (OpenCC) */
	SL__PAT_REGEX = 2,   /* a regex as written */
	SL__PAT_REGEX_VARIANT = 3,
};

struct sl__btgt {
	uint32_t leaf;	/* LEAF index */
	uint8_t role;	/* enum sl__role */
	uint8_t bounds; /* SL__BOUND_*: literal patterns only */
	uint8_t pad[2];
};

/* Word edges of a literal term, checked in the match callback on the
 * bytes around the match (an ASCII letter, digit or _ next to the edge
 * means "inside a word": no match).  Compiling \b into the expressions
 * instead costs Hyperscan two orders of magnitude in compile time and
 * database size. */
#define SL__BOUND_START 1u
#define SL__BOUND_END	2u
/* `exact:` terms: the match must be the whole field. */
#define SL__BOUND_FIELD 4u

/* rule_chap's bit for an item without a two-digit chapter, and every
 * bit: chapters 00..99 and that one. */
#define SL__CHAP_NONE 100
#define SL__CHAP_ALL1 ((UINT64_C(1) << (SL__CHAP_NONE + 1 - 64)) - 1)

/* HS prefixes in VALS: number of digits << 48 | their value. */
#define SL__HS_KEY(len, val) ((uint64_t)(len) << 48 | (uint64_t)(val))

struct sl__bband {
	uint64_t prefix; /* SL__HS_KEY */
	uint16_t origin; /* sl_country_t; 0 = any origin */
	uint16_t pad[3];
	int64_t low_cny; /* reference band, CNY per unit, 5 decimals */
	int64_t high_cny;
};
static_assert(sizeof(struct sl__bband) == 32, "band size");

struct sl__bsrc {
	uint32_t path; /* STR */
	uint32_t pad;
	uint8_t sha256[32];
};

/* ------------------------------------------------------ loaded bundle */

/* Read-only after sl_bundle_load() returns, except refs (control plane).
 * Every pointer below points into mem, except db, proto and the derived
 * arrays, which the bundle owns and frees with itself. */
struct sl_bundle {
	unsigned refs;
	char id[SL_SHORT_ID_MAX];
	char *path; /* as loaded, for messages */

	void *mem; /* the file image */
	size_t mem_len;
	const struct sl__bhdr *hdr;

	const char *str;
	uint64_t str_len;
	const struct sl__brule *rules;
	uint32_t n_rules;
	const struct sl__bnode *nodes;
	uint32_t n_nodes;
	const uint32_t *kids;
	uint32_t n_kids;
	const struct sl__bleaf *leaves;
	uint32_t n_leaves;
	const struct sl__bpat *pats;
	uint32_t n_pats;
	const struct sl__btgt *tgts;
	uint32_t n_tgts;
	const uint64_t *vals;
	uint32_t n_vals;
	const struct sl__bband *bands;
	uint32_t n_bands;
	const struct sl__bsrc *srcs;
	uint32_t n_srcs;
	const void *hsdb_bytes;
	size_t hsdb_len;
	struct sl_policy policy;

	hs_database_t *db;   /* NULL when the bundle has no patterns */
	hs_scratch_t *proto; /* prototype scratch, cloned per worker */

	/* derived at load */
	uint32_t *leaf_rule;	  /* rule whose condition holds leaf i */
	uint8_t *leaf_unless;	  /* leaf i has unless terms */
	uint8_t *rule_item;	  /* rule i is evaluated per item */
	uint16_t *node_lens;	  /* HS / BAND node i: bit k set when one of its
				     prefixes has k digits (1..10) */
	uint64_t (*node_chap)[2]; /* HS / BAND node i: bit c set when one of
				     its prefixes can match chapter c (the
				     first two digits), for a quick no */
	uint64_t (*rule_chap)[2]; /* rule i, per item: bit c set when the rule
				     can hold for an item of HS chapter c
				     (bit SL__CHAP_NONE: an HS code that does
				     not start with two digits) while none
				     of its text conditions matched */
	uint32_t *always;	  /* rules evaluated on every declaration */
	uint32_t n_always;
	uint32_t scan_fields; /* union of the leaves' fields */
	size_t buf_cap;	      /* scan buffer a scratch needs */
};

/* Loads a bundle from memory (copied).  flags: SL__LOAD_* below.  Same
 * contract as sl_bundle_load(); `name` is used in messages. */
#define SL__LOAD_FIX_DIGEST                                                    \
	1u /* fuzzing only: recompute the digest                               \
	      instead of checking it, so that the                              \
	      parser behind it gets exercised */
struct sl_bundle *sl__bundle_load_mem(const void *buf, size_t len,
				      unsigned flags, const char *name,
				      char *err, size_t errlen);

/* Computes the digest of a bundle image (header sha256/id treated as zero)
 * into sha[32] and the id into id[17].  Used by the writer and the loader.
 * Returns 0 or -EINVAL (image shorter than a header). */
int sl__bundle_digest(const void *img, size_t len, uint8_t sha[32],
		      char id[SL_SHORT_ID_MAX]);

/* Names of Hyperscan CPU feature bits, "avx2 avx512"; "none" when 0. */
void sl__hs_features_str(uint64_t features, char *buf, size_t cap);

/* ------------------------------------------------------------ scanning */

/* One field in the scan buffer. */
struct sl__slot {
	uint32_t start; /* first byte in the buffer */
	uint32_t end;	/* one past the last byte (the '\n' sits there) */
	uint8_t kind;	/* enum sl__tf */
	uint8_t item;	/* item index, SL__SLOT_DECL for a decl field */
};
#define SL__SLOT_DECL 0xFF

/* Builds ms's scan buffer for d: every text field the bundle's rules look
 * at, normalised, each followed by '\n', declaration fields first, then
 * item by item.  Data plane.  Returns 0 or -ENOSPC / -EINVAL (a field that
 * is not UTF-8).  This is exactly the buffer sl_match_decl() scans. */
int sl__match_build(const struct sl_bundle *b, struct sl_match_scratch *ms,
		    const sl_decl_t *d);
/* The buffer built last, and its length. */
const char *sl__match_buf(const struct sl_match_scratch *ms, size_t *len);
/* The field slots of the buffer built last. */
const struct sl__slot *sl__match_slots(const struct sl_match_scratch *ms,
				       uint32_t *n);
/* The worker's Hyperscan scratch (for a raw hs_scan of the same buffer
 * with the same database, b->db). */
hs_scratch_t *sl__match_hs_scratch(struct sl_match_scratch *ms);

#endif /* SLUICE_BUNDLE_INT_H */
