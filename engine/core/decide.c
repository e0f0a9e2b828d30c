/* sluice — the decision (include/sluice/decide.h, docs/decision.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sluice/decide.h>
#include <sluice/decl.h>
#include <sluice/registry.h>
#include <sluice/state.h>
#include <sluice/verdict.h>

#include "simd.h"

/* ---------------------------------------------------------------- policy */

int sl_decide_ctx_init(struct sl_decide_ctx *ctx, const struct sl_policy *p,
		       const char *const *rule_names, uint32_t n_rules,
		       const struct sl_registry *registry, char *err,
		       size_t errlen)
{
	int rc = sl_policy_check(p, err, errlen);

	if (rc < 0)
		return rc;
	ctx->policy = *p;
	ctx->rule_names = rule_names;
	ctx->n_rules = n_rules;
	ctx->registry = registry;
	return 0;
}

/* --------------------------------------------------------------- helpers */

uint32_t sl_sample_draw(uint64_t seed, const char *decl_id, size_t len)
{
	uint64_t h = XXH3_64bits_withSeed(decl_id, len, seed);

	return (uint32_t)(((unsigned __int128)h * SL_PPM) >> 64);
}

/* ------------------------------------------------- consignee normalising */

/* The normalised consignee, as UTF-8 bytes, hashed at the end.  Sized for
 * the longest fields (128 + 32 + 512 bytes, a code point decomposing into
 * at most a few); what does not fit is left out, deterministically. */
#define NORM_MAX 4096

struct norm {
	uint8_t b[NORM_MAX];
	size_t n;
};

static inline void norm_byte(struct norm *nb, uint8_t c)
{
	if (nb->n < NORM_MAX)
		nb->b[nb->n++] = c;
}

/* The length of the prefix of p[0..n) (n > 0) that norm_text's byte
 * paths below would copy unchanged but for case: ASCII letters and
 * digits, and whole three-byte sequences led by E4..E9; at most 16 bytes,
 * never cutting a sequence.  Sixteen bytes are then copied at once,
 * upper-case ASCII lowered, as the byte paths would write them one by
 * one.  A name or an address in Chinese is mostly such runs. */
static inline size_t norm_run(const uint8_t *p, size_t n, __m128i *vp)
{
	__m128i v = *vp = sl__load16(p, n);
	__m128i lo = _mm_or_si128(v, _mm_set1_epi8(0x20)); /* A-Z -> a-z */
	unsigned alnum = (unsigned)_mm_movemask_epi8(_mm_or_si128(
	    _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
			  _mm_cmplt_epi8(lo, _mm_set1_epi8('z' + 1))),
	    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
			  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)))));
	/* as signed bytes: 80..BF < -64, E4..E9 is -28..-23 */
	unsigned cont =
	    (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64)));
	unsigned lead = (unsigned)_mm_movemask_epi8(
	    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-29)),
			  _mm_cmplt_epi8(v, _mm_set1_epi8(-22))));
	unsigned want = (lead << 1) | (lead << 2);
	unsigned bad =
	    ((~(alnum | cont | lead) | (cont ^ want)) & 0xffffu) | 0x10000u;
	unsigned k = (unsigned)__builtin_ctz(bad);

	if (k >= 1 && ((lead >> (k - 1)) & 1))
		k -= 1;
	else if (k >= 2 && ((lead >> (k - 2)) & 1))
		k -= 2;
	return k;
}

/* Keeps letters and digits only, case-folded and compatibility-decomposed
 * (so fullwidth, ligatures and case variants meet); drops spaces,
 * punctuation, symbols and invisible (format) characters.  Two byte paths
 * cover nearly every byte of a real address: ASCII, and the three-byte
 * sequences of U+4000..U+9FFF (CJK ideographs, kept as they are), which
 * the input, already validated as UTF-8, carries verbatim; runs of both
 * go sixteen bytes at a time (norm_run) when `fast`.  sl_consignee_key_ref
 * turns that off, so that a test can hold the two equal. */
static void norm_text(struct norm *nb, sl_str_t s, bool fast)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s.p;
	utf8proc_ssize_t left = s.n, k, i;
	utf8proc_int32_t cp, dec[32];
	utf8proc_uint8_t enc[4];
	int last = 0;

	while (left > 0) {
		if (fast && nb->n + 16 <= NORM_MAX) {
			__m128i v;
			size_t r = norm_run(p, (size_t)left, &v);

			if (r) {
				__m128i up = _mm_and_si128(
				    _mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
				    _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));

				_mm_storeu_si128(
				    (__m128i *)(nb->b + nb->n),
				    _mm_add_epi8(
					v,
					_mm_and_si128(up, _mm_set1_epi8(32))));
				nb->n += r;
				p += r;
				left -= (utf8proc_ssize_t)r;
				continue;
			}
		}
		if (*p < 0x80) {
			uint8_t c = *p;

			if (c >= 'A' && c <= 'Z')
				norm_byte(nb, (uint8_t)(c + 32));
			else if ((c >= 'a' && c <= 'z') ||
				 (c >= '0' && c <= '9'))
				norm_byte(nb, c);
			p++;
			left--;
			continue;
		}
		if (*p >= 0xE4 && *p <= 0xE9 && left >= 3) {
			norm_byte(nb, p[0]);
			norm_byte(nb, p[1]);
			norm_byte(nb, p[2]);
			p += 3;
			left -= 3;
			continue;
		}
		k = utf8proc_iterate(p, left, &cp);
		if (k <= 0) /* validated input; stop rather than loop */
			break;
		p += k;
		left -= k;
		/* STRIPMARK works only with DECOMPOSE (utf8proc.h) */
		k = utf8proc_decompose_char(
		    cp, dec, 32,
		    UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
			UTF8PROC_IGNORE | UTF8PROC_STRIPMARK,
		    &last);
		if (k < 0) { /* not for valid code points; keep it as is */
			dec[0] = cp;
			k = 1;
		}
		for (i = 0; i < k && i < 32; i++) {
			switch (utf8proc_category(dec[i])) {
			case UTF8PROC_CATEGORY_LU:
			case UTF8PROC_CATEGORY_LL:
			case UTF8PROC_CATEGORY_LT:
			case UTF8PROC_CATEGORY_LM:
			case UTF8PROC_CATEGORY_LO:
			case UTF8PROC_CATEGORY_ND:
			case UTF8PROC_CATEGORY_NL:
			case UTF8PROC_CATEGORY_NO: {
				utf8proc_ssize_t m =
				    utf8proc_encode_char(dec[i], enc);

				for (utf8proc_ssize_t j = 0; j < m; j++)
					norm_byte(nb, enc[j]);
				break;
			}
			default:
				break;
			}
		}
	}
}

/* Digits only, and a leading +86 / 0086 country code dropped from a
 * mainland mobile number. */
static void norm_phone(struct norm *nb, sl_str_t s, bool fast)
{
	size_t start = nb->n, n;

	norm_text(nb, s, fast);
	n = start;
	for (size_t i = start; i < nb->n; i++)
		if (nb->b[i] >= '0' && nb->b[i] <= '9')
			nb->b[n++] = nb->b[i];
	nb->n = n;
	n -= start;
	if (n == 13 && nb->b[start] == '8' && nb->b[start + 1] == '6') {
		memmove(&nb->b[start], &nb->b[start + 2], 11);
		nb->n -= 2;
	} else if (n == 15 && !memcmp(&nb->b[start], "0086", 4)) {
		memmove(&nb->b[start], &nb->b[start + 4], 11);
		nb->n -= 4;
	}
}

static bool consignee_key(const sl_decl_t *d, uint64_t key[2], bool fast)
{
	const sl_str_t *name = &d->s[SL_DS_CONS_NAME],
		       *phone = &d->s[SL_DS_CONS_PHONE],
		       *addr = &d->s[SL_DS_CONS_ADDRESS];
	struct norm nb;
	XXH128_hash_t h;

	if (!name->p && !phone->p && !addr->p)
		return false;
	nb.n = 0;
	if (name->p)
		norm_text(&nb, *name, fast);
	norm_byte(&nb, 0); /* field separator: "ab"+"c" != "a"+"bc" */
	if (phone->p)
		norm_phone(&nb, *phone, fast);
	norm_byte(&nb, 0);
	if (addr->p)
		norm_text(&nb, *addr, fast);
	h = XXH3_128bits(nb.b, nb.n);
	key[0] = h.low64;
	key[1] = h.high64;
	return true;
}

bool sl_consignee_key(const sl_decl_t *d, uint64_t key[2])
{
	return consignee_key(d, key, true);
}

bool sl_consignee_key_ref(const sl_decl_t *d, uint64_t key[2])
{
	return consignee_key(d, key, false);
}

/* -------------------------------------------------------------- decision */

/* Engine reasons, in the order they are listed after the rules. */
enum eng {
	ENG_MATCH_FAILED,
	ENG_HITS_DROPPED,
	ENG_NEGATIVE,
	ENG_TIER,
	ENG_NO_FX,
	ENG_TXN,
	ENG_SPLIT,
	ENG_ANNUAL,
	ENG_STATE,
	ENG_RANDOM,
	ENG__COUNT
};

static const char *const tier_rule[SL_TIER__COUNT] = {
    [SL_TIER_ADVANCED] = "TIER.ADVANCED",
    [SL_TIER_GENERAL] = "TIER.GENERAL",
    [SL_TIER_DISHONEST] = "TIER.DISHONEST",
    [SL_TIER_UNKNOWN] = "TIER.UNKNOWN",
};

static const char *const random_rule[SL_TIER__COUNT] = {
    [SL_TIER_ADVANCED] = "RANDOM.ADVANCED",
    [SL_TIER_GENERAL] = "RANDOM.GENERAL",
    [SL_TIER_DISHONEST] = "RANDOM.DISHONEST",
    [SL_TIER_UNKNOWN] = "RANDOM.UNKNOWN",
};

struct eng_reason {
	const char *rule;
	const char *field;
	uint8_t action; /* RELEASE = not present */
};

static inline uint8_t vmax(uint8_t a, uint8_t b)
{
	return a > b ? a : b;
}

static void eng_set(struct eng_reason *e, enum eng k, const char *rule,
		    const char *field, uint8_t action)
{
	e[k].rule = rule;
	e[k].field = field;
	e[k].action = action;
}

/* Orders rule hits: forced action first (strongest first), then points
 * (largest first), then rule index, then the order sl_match_decl gave
 * (field order).  Insertion sort over at most SL_HITS_MAX indexes. */
static bool hit_before(const struct sl_hit *a, uint8_t ia,
		       const struct sl_hit *b, uint8_t ib)
{
	if (a->action != b->action)
		return a->action > b->action;
	if (a->points != b->points)
		return a->points > b->points;
	if (a->rule != b->rule)
		return a->rule < b->rule;
	return ia < ib;
}

static bool is_retail_import(const sl_decl_t *d)
{
	return d->flow == SL_FLOW_IMPORT &&
	       (d->trade_mode == SL_TM_M9610 || d->trade_mode == SL_TM_M1210);
}

static enum sl_tier lookup_tier(const struct sl_decide_ctx *ctx,
				const sl_decl_t *d, bool *negative)
{
	const sl_str_t *code = &d->s[SL_DS_EBC_CODE];
	struct sl_registry_entry e;

	*negative = false;
	if (!ctx->registry || !code->p ||
	    sl_registry_lookup(ctx->registry, code->p, code->n, &e) < 0)
		return SL_TIER_UNKNOWN;
	*negative = e.negative;
	return (enum sl_tier)e.tier;
}

void sl_decide(const struct sl_decide_ctx *ctx, const sl_decl_t *d,
	       const struct sl_hits *hits, int match_rc, struct sl_state *st,
	       unsigned worker, sl_verdict_t *out)
{
	const struct sl_policy *pol = &ctx->policy;
	struct eng_reason eng[ENG__COUNT] = {{0}};
	uint8_t order[SL_HITS_MAX];
	uint32_t n_hits = 0, i, j, room, n_eng = 0;
	int64_t raw = 0, score;
	uint8_t v = SL_VERDICT_RELEASE, floor;
	bool negative, sampled, limits, have_cny;
	sl_money_t value = 0, cny = 0;
	enum sl_tier tier;

	tier = lookup_tier(ctx, d, &negative);
	out->tier = (uint8_t)tier;

	/* 1. Rules: points and forced actions. */
	if (match_rc < 0 || !hits) {
		eng_set(eng, ENG_MATCH_FAILED, "ENGINE.MATCH_FAILED", "",
			SL_VERDICT_HOLD);
	} else {
		for (i = 0; i < hits->n && i < SL_HITS_MAX; i++) {
			const struct sl_hit *h = &hits->hit[i];

			if (h->points == 0 && h->action == SL_VERDICT_RELEASE)
				continue;
			raw += h->points;
			v = vmax(v, h->action > SL_VERDICT_SEIZE
					? SL_VERDICT_SEIZE
					: h->action);
			/* insert keeping the documented order */
			for (j = n_hits;
			     j > 0 &&
			     hit_before(h, (uint8_t)i, &hits->hit[order[j - 1]],
					order[j - 1]);
			     j--)
				order[j] = order[j - 1];
			order[j] = (uint8_t)i;
			n_hits++;
		}
		if (hits->dropped)
			eng_set(eng, ENG_HITS_DROPPED, "ENGINE.HITS_DROPPED",
				"", SL_VERDICT_HOLD);
	}
	score = raw * (int64_t)pol->tier[tier].multiplier_pct / 100;
	if (score > INT32_MAX)
		score = INT32_MAX;
	if (score < INT32_MIN)
		score = INT32_MIN;
	out->score = (int32_t)score;
	if (score >= pol->inspect_at)
		v = vmax(v, SL_VERDICT_INSPECT);
	else if (score >= pol->hold_at)
		v = vmax(v, SL_VERDICT_HOLD);

	/* 2. Enterprise: negative list and tier floors.  The SPEC's "never
	 * released" holds even against a policy that says otherwise. */
	if (negative)
		eng_set(eng, ENG_NEGATIVE, "TIER.NEGATIVE_LIST", "ebc.code",
			vmax(pol->negative_floor, SL_VERDICT_HOLD));
	floor = pol->tier[tier].floor;
	if (tier == SL_TIER_UNKNOWN)
		floor = vmax(floor, SL_VERDICT_HOLD);
	if (floor != SL_VERDICT_RELEASE)
		eng_set(eng, ENG_TIER, tier_rule[tier], "ebc.code", floor);

	/* 3. Random selection: a pure function of (seed, decl_id). */
	sampled =
	    sl_sample_draw(pol->sample_seed, d->s[SL_DS_DECL_ID].p,
			   d->s[SL_DS_DECL_ID].n) < pol->tier[tier].sample_ppm;
	if (sampled)
		eng_set(eng, ENG_RANDOM, random_rule[tier], "",
			SL_VERDICT_INSPECT);
	out->sampled = sampled;

	/* 4. Value in CNY (transaction value: goods, freight, insurance). */
	value = d->goods_value + d->freight + d->insured_fee;
	have_cny = sl_policy_to_cny(pol, d->currency, value, &cny) == 0;
	limits = is_retail_import(d);
	if (limits && !have_cny)
		eng_set(eng, ENG_NO_FX, "LIMIT.NO_FX_RATE", "currency",
			SL_VERDICT_HOLD);
	if (limits && have_cny && cny > pol->txn_limit_cny)
		eng_set(eng, ENG_TXN, "LIMIT.TRANSACTION", "goods_value",
			SL_VERDICT_HOLD);

	/* 5. Split shipments: every valid import parcel counts in its
	 * consignee's window, whatever its verdict. */
	if (d->flow == SL_FLOW_IMPORT) {
		uint64_t key[2];

		if (sl_consignee_key(d, key)) {
			struct sl_window_key wk;
			int64_t minute = sl_cst_minute(d->declared_at);
			uint32_t len = pol->split_window_s
					   ? (pol->split_window_s + 59) / 60
					   : 1440;
			uint32_t count;
			sl_money_t total;
			enum sl_state_rc rc;

			wk.consignee[0] = key[0];
			wk.consignee[1] = key[1];
			wk.len_min = len;
			wk.start_min = (uint32_t)(minute - minute % len);
			rc = st ? sl_state_window_add(st, worker, &wk,
						      have_cny ? cny : 0,
						      &count, &total)
				: SL_STATE_BAD_ARG;
			if (rc != SL_STATE_OK)
				eng_set(eng, ENG_STATE,
					"ENGINE.STATE_UNAVAILABLE", "",
					SL_VERDICT_HOLD);
			else if ((pol->split_max_count &&
				  count > pol->split_max_count) ||
				 (pol->split_max_value_cny && count >= 2 &&
				  total > pol->split_max_value_cny))
				eng_set(eng, ENG_SPLIT, "SPLIT_SHIPMENT",
					"consignee", SL_VERDICT_HOLD);
		}
	}

	/* Everything but random selection: a parcel inspected only because
	 * it was drawn is delivered once found compliant, so it uses the
	 * buyer's quota like a release does. */
	for (i = 0; i < ENG__COUNT; i++)
		if (i != ENG_RANDOM)
			v = vmax(v, eng[i].action);

	/* 6. The annual limit gates a release, atomically. */
	if (v == SL_VERDICT_RELEASE && limits) {
		const sl_str_t *id = &d->s[SL_DS_BUYER_ID_NUMBER];
		sl_money_t total;
		enum sl_state_rc rc = SL_STATE_BAD_ARG;

		if (st && id->p)
			rc = sl_state_buyer_add(
			    st, worker,
			    sl_state_buyer_key(d->id_type, id->p, id->n),
			    sl_cst_year(d->declared_at), cny,
			    pol->annual_limit_cny, &total);
		if (rc == SL_STATE_OVER_LIMIT)
			eng_set(eng, ENG_ANNUAL, "LIMIT.ANNUAL",
				"buyer.id_number", SL_VERDICT_HOLD);
		else if (rc != SL_STATE_OK)
			eng_set(eng, ENG_STATE, "ENGINE.STATE_UNAVAILABLE", "",
				SL_VERDICT_HOLD);
		v = vmax(v, eng[ENG_ANNUAL].action);
		v = vmax(v, eng[ENG_STATE].action);
	}
	out->verdict = vmax(v, eng[ENG_RANDOM].action);

	/* 7. Reasons: rules first, then the engine's, which always fit. */
	for (i = 0; i < ENG__COUNT; i++)
		n_eng += eng[i].action != SL_VERDICT_RELEASE;
	room = SL_REASONS_MAX - n_eng;
	for (i = 0; i < n_hits; i++) {
		const struct sl_hit *h = &hits->hit[order[i]];
		const char *name = h->rule < ctx->n_rules && ctx->rule_names
				       ? ctx->rule_names[h->rule]
				       : "ENGINE.UNKNOWN_RULE";

		if (i < room)
			sl_verdict_add_reason(out, name, h->field, h->points,
					      h->action);
		else if (out->n_dropped < UINT8_MAX)
			out->n_dropped++;
	}
	if (hits && match_rc >= 0 && hits->dropped)
		out->n_dropped =
		    (uint8_t)(out->n_dropped + hits->dropped > UINT8_MAX
				  ? UINT8_MAX
				  : out->n_dropped + hits->dropped);
	for (i = 0; i < ENG__COUNT; i++)
		if (eng[i].action != SL_VERDICT_RELEASE)
			sl_verdict_add_reason(out, eng[i].rule, eng[i].field, 0,
					      eng[i].action);
}
