/* sluice — loading and verifying rule bundles (bundle.h, bundle-int.h).
 *
 * Control plane only.  The loader reads the whole file, checks it in the
 * order that gives the most useful message (magic, format version, length,
 * checksum, Hyperscan version and platform), then checks every index the
 * matcher will follow, so that a bundle that loads can be matched against
 * without further checks on the data plane.  It never trusts a count or an
 * offset it has not compared with the file's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <sluice/normalize.h>
#include <sluice/policy.h>

#include "bundle-int.h"

const char *const sl__tf_name[SL__TF__COUNT] = {
#define X(id, name, item, idx, max) [SL__TF_##id] = name,
    SL__TEXT_FIELDS(X)
#undef X
};
const uint16_t sl__tf_max[SL__TF__COUNT] = {
#define X(id, name, item, idx, max) [SL__TF_##id] = max,
    SL__TEXT_FIELDS(X)
#undef X
};
const uint8_t sl__tf_index[SL__TF__COUNT] = {
#define X(id, name, item, idx, max) [SL__TF_##id] = idx,
    SL__TEXT_FIELDS(X)
#undef X
};

static int errf(char *err, size_t errlen, const char *name, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/* Writes "NAME: message" into err; returns -EINVAL for convenience. */
static int errf(char *err, size_t errlen, const char *name, const char *fmt,
		...)
{
	va_list ap;
	int n = 0;

	if (!err || !errlen)
		return -EINVAL;
	if (name)
		n = snprintf(err, errlen, "%s: ", name);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int sl__bundle_digest(const void *img, size_t len, uint8_t sha[32],
		      char id[SL_SHORT_ID_MAX])
{
	struct sl__bhdr h;
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int ok;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, img, sizeof(h));
	memset(h.sha256, 0, sizeof(h.sha256));
	memset(h.id, 0, sizeof(h.id));
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, &h, sizeof(h)) &&
	     EVP_DigestUpdate(ctx, (const char *)img + sizeof(h),
			      len - sizeof(h)) &&
	     EVP_DigestFinal_ex(ctx, sha, &n);
	EVP_MD_CTX_free(ctx);
	if (!ok || n != 32)
		return -EIO;
	for (int i = 0; i < 8; i++)
		snprintf(id + 2 * i, 3, "%02x", sha[i]);
	return 0;
}

void sl__hs_features_str(uint64_t f, char *buf, size_t cap)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {{HS_CPU_FEATURES_AVX2, "avx2"},
		     {HS_CPU_FEATURES_AVX512, "avx512"},
		     {HS_CPU_FEATURES_AVX512VBMI, "avx512vbmi"}};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f & names[i].bit) {
			n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0,
					      "%s%s", n ? " " : "",
					      names[i].name);
			f &= ~names[i].bit;
		}
	}
	if (f)
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0,
				      "%sunknown(0x%llx)", n ? " " : "",
				      (unsigned long long)f);
	if (n == 0)
		snprintf(buf, cap, "none");
}

/* ------------------------------------------------------------ sections */

struct sect_spec {
	uint32_t tag;
	uint32_t elem;
	const char *name;
};

static const struct sect_spec sect_specs[SL__N_SECTS] = {
    {SL__SECT_STR, 1, "strings"},
    {SL__SECT_RULE, sizeof(struct sl__brule), "rules"},
    {SL__SECT_NODE, sizeof(struct sl__bnode), "conditions"},
    {SL__SECT_KIDS, sizeof(uint32_t), "condition children"},
    {SL__SECT_LEAF, sizeof(struct sl__bleaf), "text conditions"},
    {SL__SECT_PATN, sizeof(struct sl__bpat), "patterns"},
    {SL__SECT_TRGT, sizeof(struct sl__btgt), "pattern targets"},
    {SL__SECT_VALS, sizeof(uint64_t), "value lists"},
    {SL__SECT_BAND, sizeof(struct sl__bband), "price bands"},
    {SL__SECT_SRCS, sizeof(struct sl__bsrc), "sources"},
    {SL__SECT_PLCY, sizeof(struct sl_policy), "policy"},
    {SL__SECT_HSDB, 1, "Hyperscan database"},
};

struct sect {
	const void *p;
	uint64_t size;
	uint64_t count;
	bool seen;
};

static int read_sections(struct sl_bundle *b, struct sect *s, char *err,
			 size_t errlen)
{
	const char *img = b->mem;
	uint64_t off = sizeof(struct sl__bhdr);

	while (off < b->mem_len) {
		struct sl__bsect sh;
		uint64_t padded;
		int k;

		if (b->mem_len - off < sizeof(sh))
			return errf(
			    err, errlen, b->path,
			    "corrupted: section header cut at byte %llu",
			    (unsigned long long)off);
		memcpy(&sh, img + off, sizeof(sh));
		off += sizeof(sh);
		for (k = 0; k < SL__N_SECTS; k++)
			if (sect_specs[k].tag == sh.tag)
				break;
		if (k == SL__N_SECTS)
			return errf(err, errlen, b->path,
				    "corrupted: unknown section 0x%08x at byte "
				    "%llu",
				    sh.tag, (unsigned long long)off);
		if (s[k].seen)
			return errf(err, errlen, b->path,
				    "corrupted: section '%s' appears twice",
				    sect_specs[k].name);
		if (sh.elem_size != sect_specs[k].elem)
			return errf(err, errlen, b->path,
				    "section '%s' has elements of %u bytes, "
				    "this sluice expects %u: recompile the "
				    "rules with this sluice-rulec",
				    sect_specs[k].name, sh.elem_size,
				    sect_specs[k].elem);
		if (sh.size > b->mem_len - off || sh.size % sh.elem_size)
			return errf(err, errlen, b->path,
				    "corrupted: section '%s' size %llu does "
				    "not fit the file",
				    sect_specs[k].name,
				    (unsigned long long)sh.size);
		padded = (sh.size + 7) & ~UINT64_C(7);
		if (padded > b->mem_len - off)
			return errf(err, errlen, b->path,
				    "corrupted: section '%s' padding cut",
				    sect_specs[k].name);
		s[k] = (struct sect){.p = img + off,
				     .size = sh.size,
				     .count = sh.size / sh.elem_size,
				     .seen = true};
		off += padded;
	}
	for (int k = 0; k < SL__N_SECTS; k++) {
		if (!s[k].seen)
			return errf(err, errlen, b->path,
				    "corrupted: section '%s' missing",
				    sect_specs[k].name);
		if (s[k].count > UINT32_MAX)
			return errf(err, errlen, b->path,
				    "corrupted: section '%s' too large",
				    sect_specs[k].name);
	}
	return 0;
}

/* ---------------------------------------------------------- validation */

static bool str_ok(const struct sl_bundle *b, uint32_t off)
{
	return off < b->str_len; /* the table ends with NUL, checked */
}

static bool action_ok(uint8_t a)
{
	return a == SL_VERDICT_RELEASE || a == SL_VERDICT_HOLD ||
	       a == SL_VERDICT_INSPECT || a == SL_VERDICT_SEIZE;
}

static bool is_item_node(const struct sl_bundle *b, const struct sl__bnode *n)
{
	static const bool item_subject[SL__NS__COUNT] = {
#define X(id, name, item, path, money) [SL__NS_##id] = item,
	    SL__NUM_SUBJECTS(X)
#undef X
	};

	switch (n->kind) {
	case SL__N_TEXT:
		return b->leaves[n->a].fields & SL__TF_ITEM_MASK;
	case SL__N_HS:
	case SL__N_ORIGIN:
	case SL__N_CATEGORY:
	case SL__N_BAND:
		return true;
	case SL__N_NUM:
		return item_subject[n->subject];
	default:
		return false;
	}
}

static int check_nodes(struct sl_bundle *b, char *err, size_t errlen)
{
	uint8_t *depth = calloc(b->n_nodes ? b->n_nodes : 1, 1);
	int rc = 0;

	if (!depth)
		return errf(err, errlen, b->path, "out of memory");
	for (uint32_t i = 0; i < b->n_nodes && !rc; i++) {
		const struct sl__bnode *n = &b->nodes[i];
		unsigned d = 0;

		switch (n->kind) {
		case SL__N_ALL:
		case SL__N_ANY:
		case SL__N_NOT:
			if (n->n == 0 || n->a > b->n_kids ||
			    n->n > b->n_kids - n->a ||
			    (n->kind == SL__N_NOT && n->n != 1)) {
				rc = -1;
				break;
			}
			for (uint32_t k = 0; k < n->n; k++) {
				uint32_t c = b->kids[n->a + k];

				if (c >= i) { /* children come first */
					rc = -1;
					break;
				}
				if (depth[c] > d)
					d = depth[c];
			}
			break;
		case SL__N_TEXT:
			rc = n->a < b->n_leaves ? 0 : -1;
			break;
		case SL__N_HS:
		case SL__N_ORIGIN:
		case SL__N_SENDER_COUNTRY:
			if (n->n == 0 || n->a > b->n_vals ||
			    n->n > b->n_vals - n->a) {
				rc = -1;
				break;
			}
			for (uint32_t k = 1; k < n->n; k++)
				if (b->vals[n->a + k - 1] >= b->vals[n->a + k])
					rc = -1; /* sorted, for bsearch */
			if (n->kind == SL__N_HS)
				for (uint32_t k = 0; k < n->n; k++) {
					uint64_t v = b->vals[n->a + k];
					uint64_t len = v >> 48;

					if (len < 1 || len > 10)
						rc = -1;
				}
			break;
		case SL__N_FLOW:
		case SL__N_TRADE_MODE:
		case SL__N_CATEGORY:
			rc = n->value >= 0 && n->value < (1 << 16) ? 0 : -1;
			break;
		case SL__N_NUM:
			rc = n->op < SL__OP__COUNT && n->subject < SL__NS__COUNT
				 ? 0
				 : -1;
			break;
		case SL__N_BAND:
			if (n->n == 0 || n->a > b->n_bands ||
			    n->n > b->n_bands - n->a || n->value <= 0 ||
			    n->value > 100000) {
				rc = -1;
				break;
			}
			for (uint32_t k = 1; k < n->n; k++) {
				const struct sl__bband
				    *x = &b->bands[n->a + k - 1],
				    *y = &b->bands[n->a + k];

				if (x->prefix > y->prefix ||
				    (x->prefix == y->prefix &&
				     x->origin >= y->origin))
					rc = -1;
			}
			for (uint32_t k = 0; k < n->n; k++) {
				uint64_t len = b->bands[n->a + k].prefix >> 48;

				if (len < 1 || len > 10 ||
				    b->bands[n->a + k].low_cny < 0)
					rc = -1;
			}
			break;
		default:
			rc = -1;
		}
		if (!rc && d + 1 > SL__DEPTH_MAX)
			rc = errf(err, errlen, b->path,
				  "conditions nested deeper than %d",
				  SL__DEPTH_MAX);
		else if (rc == -1)
			rc = errf(err, errlen, b->path,
				  "corrupted: condition %u is malformed", i);
		depth[i] = (uint8_t)(d + 1);
	}
	free(depth);
	return rc;
}

/* Walks rule r's condition: records which leaves it holds, whether it is
 * evaluated per item, and whether it can only hold after a text match
 * (returned).  Depth is bounded by check_nodes(). */
static bool walk(struct sl_bundle *b, uint32_t r, uint32_t i, bool *item,
		 int *bad)
{
	const struct sl__bnode *n = &b->nodes[i];
	bool need;

	if (is_item_node(b, n))
		*item = true;
	switch (n->kind) {
	case SL__N_TEXT:
		if (b->leaf_rule[n->a] != UINT32_MAX)
			*bad = 1; /* a leaf belongs to one condition */
		b->leaf_rule[n->a] = r;
		return true;
	case SL__N_ALL:
		need = false;
		for (uint32_t k = 0; k < n->n; k++)
			need |= walk(b, r, b->kids[n->a + k], item, bad);
		return need;
	case SL__N_ANY:
		need = true;
		for (uint32_t k = 0; k < n->n; k++)
			need &= walk(b, r, b->kids[n->a + k], item, bad);
		return need;
	case SL__N_NOT:
		walk(b, r, b->kids[n->a], item, bad);
		return false;
	default:
		return false;
	}
}

/* The chapters (rule_chap's bits) where node i can be true (t) and where
 * it can be false (f), for an item, when no text condition matched: a
 * text condition is then false, an HS or band condition can be true only
 * on the chapters its prefixes start (the matcher's chapter_may_match),
 * and anything else can be either.  An over-approximation: the matcher
 * skips an item only where the rule cannot hold.  Depth is bounded by
 * check_nodes(). */
static void chap_masks(const struct sl_bundle *b, uint32_t i, uint64_t t[2],
		       uint64_t f[2])
{
	const struct sl__bnode *n = &b->nodes[i];
	uint64_t kt[2], kf[2];

	t[0] = f[0] = ~UINT64_C(0);
	t[1] = f[1] = SL__CHAP_ALL1;
	switch (n->kind) {
	case SL__N_TEXT:
		t[0] = t[1] = 0;
		break;
	case SL__N_HS:
	case SL__N_BAND:
		t[0] = b->node_chap[i][0];
		t[1] = b->node_chap[i][1];
		break;
	case SL__N_ALL:
		f[0] = f[1] = 0;
		for (uint32_t k = 0; k < n->n; k++) {
			chap_masks(b, b->kids[n->a + k], kt, kf);
			t[0] &= kt[0], t[1] &= kt[1];
			f[0] |= kf[0], f[1] |= kf[1];
		}
		break;
	case SL__N_ANY:
		t[0] = t[1] = 0;
		for (uint32_t k = 0; k < n->n; k++) {
			chap_masks(b, b->kids[n->a + k], kt, kf);
			t[0] |= kt[0], t[1] |= kt[1];
			f[0] &= kf[0], f[1] &= kf[1];
		}
		break;
	case SL__N_NOT:
		chap_masks(b, b->kids[n->a], kt, kf);
		t[0] = kf[0], t[1] = kf[1];
		f[0] = kt[0], f[1] = kt[1];
		break;
	default:
		break;
	}
}

static int derive(struct sl_bundle *b, char *err, size_t errlen)
{
	uint32_t *refs;
	int bad = 0;
	size_t cap = 0;

	b->leaf_rule = malloc(sizeof(uint32_t) * (b->n_leaves + 1));
	b->leaf_unless = calloc(b->n_leaves + 1, 1);
	b->rule_item = calloc(b->n_rules + 1, 1);
	b->node_lens = calloc(b->n_nodes + 1, sizeof(uint16_t));
	b->node_chap = calloc(b->n_nodes + 1, sizeof(*b->node_chap));
	b->rule_chap = calloc(b->n_rules + 1, sizeof(*b->rule_chap));
	b->always = malloc(sizeof(uint32_t) * (b->n_rules + 1));
	refs = calloc(b->n_nodes + 1, sizeof(uint32_t));
	if (!b->leaf_rule || !b->leaf_unless || !b->rule_item || !b->always ||
	    !b->node_lens || !b->node_chap || !b->rule_chap || !refs) {
		free(refs);
		return errf(err, errlen, b->path, "out of memory");
	}
	/* A tree, not a graph: every node has at most one parent, so the
	 * walks below visit each node once. */
	for (uint32_t i = 0; i < b->n_nodes; i++) {
		const struct sl__bnode *n = &b->nodes[i];

		if (n->kind == SL__N_ALL || n->kind == SL__N_ANY ||
		    n->kind == SL__N_NOT)
			for (uint32_t k = 0; k < n->n; k++)
				refs[b->kids[n->a + k]]++;
	}
	for (uint32_t r = 0; r < b->n_rules; r++)
		refs[b->rules[r].root]++;
	for (uint32_t i = 0; i < b->n_nodes; i++)
		if (refs[i] > 1)
			bad = 1;
	free(refs);
	if (bad)
		return errf(err, errlen, b->path,
			    "corrupted: a condition is shared");

	memset(b->leaf_rule, 0xff, sizeof(uint32_t) * b->n_leaves);
	for (uint32_t r = 0; r < b->n_rules; r++) {
		bool item = false;

		if (!walk(b, r, b->rules[r].root, &item, &bad))
			b->always[b->n_always++] = r;
		b->rule_item[r] = item;
	}
	for (uint32_t l = 0; l < b->n_leaves; l++)
		if (b->leaf_rule[l] == UINT32_MAX)
			bad = 1;
	if (bad)
		return errf(err, errlen, b->path,
			    "corrupted: text conditions and rules disagree");
	for (uint32_t t = 0; t < b->n_tgts; t++)
		if (b->tgts[t].role == SL__ROLE_UNLESS)
			b->leaf_unless[b->tgts[t].leaf] = 1;
	/* The prefix lengths each HS list and band list holds, so that the
	 * matcher looks up only those (lengths were checked: 1..10). */
	for (uint32_t i = 0; i < b->n_nodes; i++) {
		const struct sl__bnode *n = &b->nodes[i];

		for (uint32_t k = 0; k < n->n; k++) {
			uint64_t key;
			unsigned len, lo, hi;

			if (n->kind == SL__N_HS)
				key = b->vals[n->a + k];
			else if (n->kind == SL__N_BAND)
				key = b->bands[n->a + k].prefix;
			else
				break;
			len = (unsigned)(key >> 48);
			b->node_lens[i] |= (uint16_t)(1u << len);
			/* the chapters (00..99) this prefix can start */
			if (len == 1) {
				lo = (unsigned)(key & 0xffff) * 10;
				hi = lo + 9;
			} else {
				uint64_t v = key & ((UINT64_C(1) << 48) - 1);

				for (unsigned d = len; d > 2; d--)
					v /= 10;
				lo = hi = (unsigned)v;
			}
			for (unsigned c = lo; c <= hi && c < 100; c++)
				b->node_chap[i][c >> 6] |= UINT64_C(1)
							   << (c & 63);
		}
	}
	for (uint32_t r = 0; r < b->n_rules; r++) {
		uint64_t f[2];

		chap_masks(b, b->rules[r].root, b->rule_chap[r], f);
	}
	/* Only fields some pattern can match in are scanned: a watch list
	 * with nobody on it costs nothing. */
	for (uint32_t t = 0; t < b->n_tgts; t++)
		b->scan_fields |= b->leaves[b->tgts[t].leaf].fields;
	/* Every scanned field at its longest, normalised, plus its '\n'. */
	for (int f = 0; f < SL__TF__COUNT; f++) {
		size_t one = (size_t)sl__tf_max[f] * SL_NORM_EXPANSION + 1;

		if (b->scan_fields & (1u << f))
			cap +=
			    f >= SL__TF_FIRST_ITEM ? one * SL_MAX_ITEMS : one;
	}
	b->buf_cap = cap;
	return 0;
}

static int check_tables(struct sl_bundle *b, char *err, size_t errlen)
{
	for (uint32_t r = 0; r < b->n_rules; r++) {
		const struct sl__brule *x = &b->rules[r];

		if (!str_ok(b, x->id) || !str_ok(b, x->title) ||
		    !str_ok(b, x->source) || !str_ok(b, x->file) ||
		    x->root >= b->n_nodes || !action_ok(x->action) ||
		    strlen(b->str + x->id) >= SL_RULE_ID_MAX)
			return errf(err, errlen, b->path,
				    "corrupted: rule %u is malformed", r);
	}
	for (uint32_t l = 0; l < b->n_leaves; l++)
		if (!b->leaves[l].fields ||
		    (b->leaves[l].fields & ~SL__TF_ALL_MASK))
			return errf(err, errlen, b->path,
				    "corrupted: text condition %u is malformed",
				    l);
	for (uint32_t p = 0; p < b->n_pats; p++) {
		const struct sl__bpat *x = &b->pats[p];

		if (!str_ok(b, x->expr) || !str_ok(b, x->text) ||
		    x->n_tgt == 0 || x->tgt > b->n_tgts ||
		    x->n_tgt > b->n_tgts - x->tgt)
			return errf(err, errlen, b->path,
				    "corrupted: pattern %u is malformed", p);
	}
	for (uint32_t t = 0; t < b->n_tgts; t++)
		if (b->tgts[t].leaf >= b->n_leaves ||
		    (b->tgts[t].role != SL__ROLE_TERM &&
		     b->tgts[t].role != SL__ROLE_UNLESS) ||
		    b->tgts[t].bounds >
			(SL__BOUND_START | SL__BOUND_END | SL__BOUND_FIELD))
			return errf(err, errlen, b->path,
				    "corrupted: pattern target %u is malformed",
				    t);
	for (uint32_t p = 0; p < b->n_pats; p++)
		for (uint32_t k = 0; k < b->pats[p].n_tgt; k++)
			if (b->pats[p].len == 0 &&
			    b->tgts[b->pats[p].tgt + k].bounds)
				return errf(err, errlen, b->path,
					    "corrupted: word edges on a regex");
	for (uint32_t s = 0; s < b->n_srcs; s++)
		if (!str_ok(b, b->srcs[s].path))
			return errf(err, errlen, b->path,
				    "corrupted: source %u is malformed", s);
	return 0;
}

static const char *hs_err_name(hs_error_t e)
{
	switch (e) {
	case HS_INVALID:
		return "invalid database";
	case HS_NOMEM:
		return "out of memory";
	case HS_DB_VERSION_ERROR:
		return "made by another Hyperscan version";
	case HS_DB_PLATFORM_ERROR:
		return "made for another platform";
	case HS_DB_MODE_ERROR:
		return "not a block-mode database";
	case HS_BAD_ALIGN:
		return "misaligned";
	case HS_ARCH_ERROR:
		return "this CPU lacks the instructions Hyperscan needs";
	default:
		return "Hyperscan error";
	}
}

/* Verifies and indexes the image b->mem.  On error the caller frees b. */
static int parse(struct sl_bundle *b, unsigned flags, char *err, size_t errlen)
{
	struct sl__bhdr *h = b->mem;
	struct sect s[SL__N_SECTS] = {{0}};
	uint8_t sha[32];
	char id[SL_SHORT_ID_MAX], want[128], have[128];
	hs_platform_info_t host;
	hs_error_t he;
	bool id_ok;
	int rc;

	if (b->mem_len < 8 || memcmp(h->magic, SL__BUNDLE_MAGIC, 8))
		return errf(err, errlen, b->path,
			    "not a sluice bundle (bad magic)");
	if (b->mem_len < sizeof(*h))
		return errf(err, errlen, b->path,
			    "truncated: %zu bytes, shorter than a bundle "
			    "header (%zu)",
			    b->mem_len, sizeof(*h));
	if (h->version != SL__BUNDLE_VERSION)
		return errf(err, errlen, b->path,
			    "bundle format version %u, this sluice reads "
			    "version %u: recompile the rules with this "
			    "sluice-rulec",
			    h->version, SL__BUNDLE_VERSION);
	if (h->hdr_size != sizeof(*h))
		return errf(err, errlen, b->path,
			    "corrupted: header size %u, expected %zu",
			    h->hdr_size, sizeof(*h));
	if (h->file_size > b->mem_len)
		return errf(err, errlen, b->path,
			    "truncated: the header says %llu bytes, the file "
			    "has %zu",
			    (unsigned long long)h->file_size, b->mem_len);
	if (h->file_size < b->mem_len)
		return errf(err, errlen, b->path,
			    "corrupted: %zu bytes after the end the header "
			    "gives (%llu)",
			    b->mem_len - (size_t)h->file_size,
			    (unsigned long long)h->file_size);
	rc = sl__bundle_digest(b->mem, b->mem_len, sha, id);
	if (rc)
		return errf(err, errlen, b->path, "cannot compute SHA-256");
	if (flags & SL__LOAD_FIX_DIGEST) {
		memcpy(h->sha256, sha, sizeof(sha));
		memset(h->id, 0, sizeof(h->id));
		memcpy(h->id, id, sizeof(id));
	}
	{
		char want_id[sizeof(h->id)] = {0}; /* id, then zeros */

		memcpy(want_id, id, sizeof(id));
		id_ok = !memcmp(want_id, h->id, sizeof(h->id));
	}
	if (!id_ok || memcmp(sha, h->sha256, sizeof(sha)))
		return errf(err, errlen, b->path,
			    "checksum mismatch: the file is corrupted "
			    "(SHA-256 of the content does not match the "
			    "header)");
	memcpy(b->id, id, sizeof(id));
	if (strnlen(h->hs_version, sizeof(h->hs_version)) >=
		sizeof(h->hs_version) ||
	    strcmp(h->hs_version, hs_version()))
		return errf(err, errlen, b->path,
			    "built with Hyperscan %.80s, this sluice runs "
			    "Hyperscan %s: recompile the rules with this "
			    "sluice-rulec",
			    h->hs_version, hs_version());
	if (hs_populate_platform(&host) != HS_SUCCESS)
		return errf(err, errlen, b->path,
			    "cannot read this machine's CPU features");
	if (h->hs_features & ~host.cpu_features) {
		sl__hs_features_str(h->hs_features, want, sizeof(want));
		sl__hs_features_str(host.cpu_features, have, sizeof(have));
		return errf(err, errlen, b->path,
			    "built for a CPU with %s, this machine has %s: "
			    "recompile the rules on this machine",
			    want, have);
	}

	rc = read_sections(b, s, err, errlen);
	if (rc)
		return rc;
#define TAKE(k, field, cnt)                                                    \
	do {                                                                   \
		b->field = s[k].p;                                             \
		b->cnt = (uint32_t)s[k].count;                                 \
	} while (0)
	b->str = s[0].p;
	b->str_len = s[0].size;
	TAKE(1, rules, n_rules);
	TAKE(2, nodes, n_nodes);
	TAKE(3, kids, n_kids);
	TAKE(4, leaves, n_leaves);
	TAKE(5, pats, n_pats);
	TAKE(6, tgts, n_tgts);
	TAKE(7, vals, n_vals);
	TAKE(8, bands, n_bands);
	TAKE(9, srcs, n_srcs);
#undef TAKE
	b->hsdb_bytes = s[11].p;
	b->hsdb_len = s[11].size;
	if (b->str_len == 0 || b->str[b->str_len - 1] != '\0')
		return errf(err, errlen, b->path,
			    "corrupted: string table not terminated");
	if (h->n_rules != b->n_rules || h->n_patterns != b->n_pats ||
	    h->n_sources != b->n_srcs)
		return errf(err, errlen, b->path,
			    "corrupted: counts in the header and the sections "
			    "disagree");
	if (s[10].count != 1)
		return errf(err, errlen, b->path, "corrupted: no policy");
	memcpy(&b->policy, s[10].p, sizeof(b->policy));
	rc = sl_policy_check(&b->policy, want, sizeof(want));
	if (rc)
		return errf(err, errlen, b->path, "bad policy: %s", want);

	rc = check_tables(b, err, errlen);
	if (!rc)
		rc = check_nodes(b, err, errlen);
	if (!rc)
		rc = derive(b, err, errlen);
	if (rc)
		return rc;

	if (b->n_pats == 0) {
		if (b->hsdb_len)
			return errf(err, errlen, b->path,
				    "corrupted: a database without patterns");
		return 0;
	}
	he = hs_deserialize_database(b->hsdb_bytes, b->hsdb_len, &b->db);
	if (he != HS_SUCCESS) {
		b->db = NULL;
		return errf(err, errlen, b->path,
			    "the Hyperscan database cannot be loaded: %s "
			    "(error %d)",
			    hs_err_name(he), he);
	}
	he = hs_alloc_scratch(b->db, &b->proto);
	if (he != HS_SUCCESS) {
		b->proto = NULL;
		return errf(err, errlen, b->path,
			    "cannot allocate Hyperscan scratch: %s",
			    hs_err_name(he));
	}
	return 0;
}

static void bundle_free(struct sl_bundle *b)
{
	if (!b)
		return;
	if (b->proto)
		hs_free_scratch(b->proto);
	if (b->db)
		hs_free_database(b->db);
	free(b->leaf_rule);
	free(b->leaf_unless);
	free(b->rule_item);
	free(b->node_lens);
	free(b->node_chap);
	free(b->rule_chap);
	free(b->always);
	free(b->mem);
	free(b->path);
	free(b);
}

/* Takes ownership of mem (malloc'ed, len bytes) whatever happens. */
static struct sl_bundle *load_owned(void *mem, size_t len, unsigned flags,
				    const char *name, char *err, size_t errlen)
{
	struct sl_bundle *b = calloc(1, sizeof(*b));

	if (!b || !(b->path = strdup(name ? name : "bundle"))) {
		free(b);
		free(mem);
		errf(err, errlen, name, "out of memory");
		return NULL;
	}
	b->mem = mem;
	b->mem_len = len;
	b->hdr = mem;
	b->refs = 1;
	if (parse(b, flags, err, errlen)) {
		bundle_free(b);
		return NULL;
	}
	return b;
}

struct sl_bundle *sl__bundle_load_mem(const void *buf, size_t len,
				      unsigned flags, const char *name,
				      char *err, size_t errlen)
{
	void *mem;

	if (len > SL__BUNDLE_MAX) {
		errf(err, errlen, name, "larger than %llu bytes",
		     (unsigned long long)SL__BUNDLE_MAX);
		return NULL;
	}
	/* malloc's alignment (16) is what the sections' layout assumes. */
	mem = malloc(len ? len : 1);
	if (!mem) {
		errf(err, errlen, name, "out of memory");
		return NULL;
	}
	memcpy(mem, buf, len);
	return load_owned(mem, len, flags, name, err, errlen);
}

struct sl_bundle *sl_bundle_load(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *mem = NULL;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, errlen, path, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errf(err, errlen, path, "not a regular file");
		goto close_fd;
	}
	if ((uint64_t)st.st_size > SL__BUNDLE_MAX) {
		errf(err, errlen, path, "larger than %llu bytes",
		     (unsigned long long)SL__BUNDLE_MAX);
		goto close_fd;
	}
	mem = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!mem) {
		errf(err, errlen, path, "out of memory");
		goto close_fd;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, mem + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errf(err, errlen, path, "read: %s",
			     n ? strerror(errno) : "file shrank");
			goto free_mem;
		}
		got += (size_t)n;
	}
	close(fd);
	return load_owned(mem, got, 0, path, err, errlen);

free_mem:
	free(mem);
close_fd:
	close(fd);
	return NULL;
}

struct sl_bundle *sl_bundle_get(struct sl_bundle *b)
{
	if (b)
		b->refs++;
	return b;
}

void sl_bundle_put(struct sl_bundle *b)
{
	if (b && --b->refs == 0)
		bundle_free(b);
}

const char *sl_bundle_id(const struct sl_bundle *b)
{
	return b->id;
}

const struct sl_policy *sl_bundle_policy(const struct sl_bundle *b)
{
	return &b->policy;
}

uint32_t sl_bundle_rule_count(const struct sl_bundle *b)
{
	return b->n_rules;
}

const char *sl_bundle_rule_name(const struct sl_bundle *b, uint32_t rule)
{
	return rule < b->n_rules ? b->str + b->rules[rule].id : NULL;
}

int sl_bundle_default_path(char *buf, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int w;

	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	w = snprintf(buf, cap, "%s/../share/sluice/default.bundle", exe);
	if (w < 0 || (size_t)w >= cap)
		return -ENAMETOOLONG;
	return access(buf, R_OK) == 0 ? 0 : -ENOENT;
}
