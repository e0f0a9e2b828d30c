/* sluice-rulec --explain: what is inside a bundle, for the officers who
 * wrote the rules and the operators who deploy them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sluice/decl.h>

#include "rulec-int.h"

/* A fixed-point amount with its significant decimals (at least two). */
static void money(FILE *o, int64_t v)
{
	const char *sign = v < 0 ? "-" : "";
	char frac[8];
	int n;

	if (v < 0)
		v = -v;
	snprintf(frac, sizeof(frac), "%05lld", (long long)(v % SL_MONEY_ONE));
	for (n = 5; n > 2 && frac[n - 1] == '0'; n--)
		;
	frac[n] = '\0';
	fprintf(o, "%s%lld.%s", sign, (long long)(v / SL_MONEY_ONE), frac);
}

static void country(FILE *o, uint64_t c)
{
	fprintf(o, "%c%c", (char)(c >> 8), (char)(c & 0xff));
}

static void hs_key(FILE *o, uint64_t k)
{
	unsigned len = (unsigned)(k >> 48);

	fprintf(o, "%0*llu", (int)len,
		(unsigned long long)(k & ((UINT64_C(1) << 48) - 1)));
}

static void mask(FILE *o, int64_t m, const char *(*name)(int))
{
	bool first = true;

	for (int i = 0; i < 16; i++)
		if ((m >> i) & 1) {
			fprintf(o, "%s%s", first ? "" : "|", name(i));
			first = false;
		}
}

static const char *flow_name(int i)
{
	static const char *const n[] = {"?",
#define X(id, name) name,
					SL_FLOWS(X)
#undef X
	};
	return i < (int)(sizeof(n) / sizeof(n[0])) ? n[i] : "?";
}

static const char *tm_name(int i)
{
	static const char *const n[] = {"?",
#define X(id, name) name,
					SL_TRADE_MODES(X)
#undef X
	};
	return i < (int)(sizeof(n) / sizeof(n[0])) ? n[i] : "?";
}

static const char *cat_name(int i)
{
	static const char *const n[] = {"?",
#define X(id, name) name,
					SL_CATEGORIES(X)
#undef X
	};
	return i < (int)(sizeof(n) / sizeof(n[0])) ? n[i] : "?";
}

static const char *const subj_name[SL__NS__COUNT] = {
#define X(id, name, item, path, m) [SL__NS_##id] = name,
    SL__NUM_SUBJECTS(X)
#undef X
};
static const bool subj_money[SL__NS__COUNT] = {
#define X(id, name, item, path, m) [SL__NS_##id] = m,
    SL__NUM_SUBJECTS(X)
#undef X
};
static const char *const op_name[SL__OP__COUNT] = {"<", "<=", ">", ">="};

static void cond(FILE *o, const struct sl_bundle *b, uint32_t i)
{
	const struct sl__bnode *n = &b->nodes[i];

	switch (n->kind) {
	case SL__N_ALL:
	case SL__N_ANY:
	case SL__N_NOT:
		fprintf(o, "%s(",
			n->kind == SL__N_ALL   ? "all"
			: n->kind == SL__N_ANY ? "any"
					       : "not");
		for (uint32_t k = 0; k < n->n; k++) {
			if (k)
				fputs(", ", o);
			cond(o, b, b->kids[n->a + k]);
		}
		fputc(')', o);
		break;
	case SL__N_TEXT:
		fprintf(o, "text#%u", n->a);
		break;
	case SL__N_HS:
	case SL__N_ORIGIN:
	case SL__N_SENDER_COUNTRY:
		fputs(n->kind == SL__N_HS	? "hs "
		      : n->kind == SL__N_ORIGIN ? "origin "
						: "sender_country ",
		      o);
		for (uint32_t k = 0; k < n->n && k < 12; k++) {
			if (k)
				fputc('|', o);
			if (n->kind == SL__N_HS)
				hs_key(o, b->vals[n->a + k]);
			else
				country(o, b->vals[n->a + k]);
		}
		if (n->n > 12)
			fprintf(o, "|... (%u in all)", n->n);
		break;
	case SL__N_FLOW:
		fputs("flow ", o);
		mask(o, n->value, flow_name);
		break;
	case SL__N_TRADE_MODE:
		fputs("trade_mode ", o);
		mask(o, n->value, tm_name);
		break;
	case SL__N_CATEGORY:
		fputs("category ", o);
		mask(o, n->value, cat_name);
		break;
	case SL__N_NUM:
		fprintf(o, "%s %s ", subj_name[n->subject], op_name[n->op]);
		money(o, n->value);
		if (subj_money[n->subject])
			fputs(" CNY", o);
		break;
	case SL__N_BAND:
		fprintf(o,
			"unit_price below %lld%% of the band's low end (%u "
			"bands)",
			(long long)n->value, n->n);
		break;
	default:
		fputs("?", o);
	}
}

static void fields(FILE *o, uint32_t f)
{
	bool first = true;

	for (int i = 0; i < SL__TF__COUNT; i++)
		if (f & (1u << i)) {
			fprintf(o, "%s%s", first ? "" : ", ", sl__tf_name[i]);
			first = false;
		}
}

static void leaves_of(FILE *o, const struct sl_bundle *b, uint32_t node)
{
	const struct sl__bnode *n = &b->nodes[node];
	static const char *const origin[] = {"term", "variant", "regex",
					     "regex variant"};

	if (n->kind == SL__N_ALL || n->kind == SL__N_ANY ||
	    n->kind == SL__N_NOT) {
		for (uint32_t k = 0; k < n->n; k++)
			leaves_of(o, b, b->kids[n->a + k]);
		return;
	}
	if (n->kind != SL__N_TEXT)
		return;
	fprintf(o, "    text#%u in ", n->a);
	fields(o, b->leaves[n->a].fields);
	fputc('\n', o);
	for (uint32_t p = 0; p < b->n_pats; p++) {
		const struct sl__bpat *pt = &b->pats[p];

		for (uint32_t k = 0; k < pt->n_tgt; k++) {
			const struct sl__btgt *t = &b->tgts[pt->tgt + k];

			if (t->leaf != n->a)
				continue;
			fprintf(o, "      %-6s %-13s \"%s\"  #%u %s%s%s%s\n",
				t->role == SL__ROLE_UNLESS ? "unless" : "match",
				pt->origin < 4 ? origin[pt->origin] : "?",
				b->str + pt->text, p,
				t->bounds & SL__BOUND_START ? "\\b" : "",
				b->str + pt->expr,
				t->bounds & SL__BOUND_END ? "\\b" : "",
				t->bounds & SL__BOUND_FIELD ? "  (whole field)"
							    : "");
		}
	}
}

int sl_rulec_explain(const char *path, FILE *o, FILE *diag)
{
	char err[512], feat[128], host_feat[128], when[64];
	struct sl_bundle *b = sl_bundle_load(path, err, sizeof(err));
	const struct sl__bhdr *h;
	const struct sl_policy *p;
	hs_platform_info_t host;
	size_t db_size = 0;
	char *info = NULL;
	time_t ct;
	struct tm tm;

	if (!b) {
		fprintf(diag ? diag : stderr, "sluice-rulec: %s\n", err);
		return -1;
	}
	h = b->hdr;
	p = &b->policy;
	ct = (time_t)h->created;
	gmtime_r(&ct, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sl__hs_features_str(h->hs_features, feat, sizeof(feat));
	hs_populate_platform(&host);
	sl__hs_features_str(host.cpu_features, host_feat, sizeof(host_feat));
	if (b->db)
		hs_database_size(b->db, &db_size);
	if (b->hsdb_len)
		hs_serialized_database_info(b->hsdb_bytes, b->hsdb_len, &info);

	fprintf(o, "bundle     %s\n", path);
	fprintf(o, "id         %s\n", b->id);
	fprintf(o, "format     %u\n", h->version);
	fprintf(o, "created    %s\n", when);
	fputs("sha256     ", o);
	for (int i = 0; i < 32; i++)
		fprintf(o, "%02x", h->sha256[i]);
	fputc('\n', o);
	fprintf(o, "hyperscan  %s\n", h->hs_version);
	fprintf(o, "platform   built for %s (tune %u); this machine has %s\n",
		feat, h->hs_tune, host_feat);
	if (info)
		fprintf(o, "database   %s\n", info);
	fprintf(o,
		"sizes      file %zu bytes, database %zu bytes in memory "
		"(%zu serialized), scan buffer %zu bytes per worker\n",
		b->mem_len, db_size, b->hsdb_len, b->buf_cap);
	fprintf(o,
		"counts     %u rules, %u patterns, %u text conditions, "
		"%u price bands, %u rules checked on every declaration\n",
		b->n_rules, b->n_pats, b->n_leaves, b->n_bands, b->n_always);
	fputs("scans      ", o);
	fields(o, b->scan_fields);
	fputc('\n', o);
	free(info);

	fprintf(o, "\nsources\n");
	for (uint32_t i = 0; i < b->n_srcs; i++) {
		fputs("  ", o);
		for (int k = 0; k < 8; k++)
			fprintf(o, "%02x", b->srcs[i].sha256[k]);
		fprintf(o, "  %s\n", b->str + b->srcs[i].path);
	}

	fprintf(o,
		"\npolicy\n  thresholds          hold at %d, inspect at "
		"%d\n",
		p->hold_at, p->inspect_at);
	for (int t = 0; t < SL_TIER__COUNT; t++)
		fprintf(
		    o,
		    "  tier %-10s     score x%u.%02u, random inspection "
		    "%u.%04u%%, floor %s\n",
		    sl_tier_name((enum sl_tier)t),
		    p->tier[t].multiplier_pct / 100,
		    p->tier[t].multiplier_pct % 100,
		    p->tier[t].sample_ppm / 10000,
		    p->tier[t].sample_ppm % 10000,
		    sl_verdict_name((enum sl_verdict_kind)p->tier[t].floor));
	fprintf(o, "  negative list       floor %s\n",
		sl_verdict_name((enum sl_verdict_kind)p->negative_floor));
	fputs("  limits              transaction CNY ", o);
	money(o, p->txn_limit_cny);
	fputs(", annual CNY ", o);
	money(o, p->annual_limit_cny);
	fputs("\n  split shipments     window ", o);
	if (p->split_window_s)
		fprintf(o, "%uh", p->split_window_s / 3600);
	else
		fputs("calendar day", o);
	fprintf(o, ", more than %u parcels or CNY ", p->split_max_count);
	money(o, p->split_max_value_cny);
	fprintf(o, "\n  sampling seed       0x%llx\n  exchange rates     ",
		(unsigned long long)p->sample_seed);
	for (uint32_t i = 0; i < p->n_fx && i < SL_FX_MAX; i++) {
		sl_currency_t c = p->fx[i].currency;

		fprintf(o, " %c%c%c ", (char)(c >> 16), (char)(c >> 8),
			(char)c);
		money(o, p->fx[i].cny_per_unit);
	}
	fputc('\n', o);

	fprintf(o, "\nrules\n");
	for (uint32_t r = 0; r < b->n_rules; r++) {
		const struct sl__brule *x = &b->rules[r];

		fprintf(o, "  %s  ", b->str + x->id);
		if (x->action != SL_VERDICT_RELEASE)
			fprintf(
			    o, "%s",
			    sl_verdict_name((enum sl_verdict_kind)x->action));
		else
			fprintf(o, "%+d points", x->points);
		fprintf(o, "  (%s:%u:%u)\n", b->str + x->file, x->line, x->col);
		fprintf(o, "    title   %s\n    source  %s\n    when    ",
			b->str + x->title, b->str + x->source);
		cond(o, b, x->root);
		fprintf(o, "%s\n", b->rule_item[r] ? "   [per item]" : "");
		leaves_of(o, b, x->root);
	}
	sl_bundle_put(b);
	return 0;
}
