/* sluice — the screening entry point (screen.h).
 *
 * Decode, validate, match, decide: a reject for any decode or validation
 * error; with no rule bundle, `hold` with reason NO_RULESET (SPEC 2: never
 * release without rules); otherwise the bundle's rules are evaluated
 * (sl_match_decl) and sl_decide turns the hits, the registry tier and the
 * shared state into the verdict (docs/decision.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/bundle.h>
#include <sluice/decide.h>
#include <sluice/registry.h>
#include <sluice/screen.h>
#include <sluice/verdict.h>

struct sl_snapshot {
	/* Read-only once published; owned by the control plane. */
	struct sl_bundle *bundle;     /* NULL: no rule set (NO_RULESET) */
	struct sl_registry *registry; /* NULL: every enterprise unknown */
	unsigned n_workers;
	char bundle_id[SL_SHORT_ID_MAX];   /* "" when no bundle */
	char registry_id[SL_SHORT_ID_MAX]; /* "" when no registry */
	const char **rule_names;	   /* rule index -> id (bundle's) */
	struct sl_match_scratch **scratch; /* one per worker; worker i
					      writes only scratch[i] */
	struct sl_decide_ctx ctx;	   /* policy, names, registry */
};

struct sl_screener {
	/* Read-write by its worker thread only. */
	unsigned worker;
	struct sl_decoder *dec;
	sl_decl_t decl;	     /* the declaration being screened */
	struct sl_hits hits; /* the rules that fired on it */
};

struct sl_snapshot *sl_snapshot_new(struct sl_bundle *bundle,
				    struct sl_registry *registry,
				    unsigned n_workers, char *err,
				    size_t errlen)
{
	struct sl_snapshot *snap;
	uint32_t i, n;

	if (n_workers == 0) {
		snprintf(err, errlen, "a snapshot needs at least one worker");
		return NULL;
	}
	snap = calloc(1, sizeof(*snap));
	if (!snap)
		goto nomem;
	snap->n_workers = n_workers;
	snap->registry = sl_registry_get(registry);
	snprintf(snap->registry_id, sizeof(snap->registry_id), "%s",
		 sl_registry_id(registry));
	if (!bundle)
		return snap;
	snap->bundle = sl_bundle_get(bundle);
	snprintf(snap->bundle_id, sizeof(snap->bundle_id), "%s",
		 sl_bundle_id(bundle));
	n = sl_bundle_rule_count(bundle);
	snap->rule_names = calloc(n ? n : 1, sizeof(*snap->rule_names));
	snap->scratch = calloc(n_workers, sizeof(*snap->scratch));
	if (!snap->rule_names || !snap->scratch)
		goto free_snap;
	for (i = 0; i < n; i++)
		snap->rule_names[i] = sl_bundle_rule_name(bundle, i);
	for (i = 0; i < n_workers; i++) {
		snap->scratch[i] = sl_match_scratch_new(bundle);
		if (!snap->scratch[i])
			goto free_snap;
	}
	if (sl_decide_ctx_init(&snap->ctx, sl_bundle_policy(bundle),
			       snap->rule_names, n, registry, err,
			       errlen) < 0) {
		sl_snapshot_free(snap);
		return NULL;
	}
	return snap;

free_snap:
	sl_snapshot_free(snap);
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

void sl_snapshot_free(struct sl_snapshot *snap)
{
	unsigned i;

	if (!snap)
		return;
	for (i = 0; snap->scratch && i < snap->n_workers; i++)
		sl_match_scratch_free(snap->scratch[i]);
	free(snap->scratch);
	free(snap->rule_names);
	sl_bundle_put(snap->bundle);
	sl_registry_put(snap->registry);
	free(snap);
}

const char *sl_snapshot_bundle_id(const struct sl_snapshot *snap)
{
	return snap ? snap->bundle_id : "";
}

const char *sl_snapshot_registry_id(const struct sl_snapshot *snap)
{
	return snap ? snap->registry_id : "";
}

struct sl_screener *sl_screener_new(unsigned worker)
{
	struct sl_screener *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->worker = worker;
	w->dec = sl_decoder_new();
	if (!w->dec) {
		free(w);
		return NULL;
	}
	return w;
}

void sl_screener_free(struct sl_screener *w)
{
	if (!w)
		return;
	sl_decoder_free(w->dec);
	free(w);
}

sl_decl_t *sl_screener_decl(struct sl_screener *w)
{
	return &w->decl;
}

struct sl_decoder *sl_screener_decoder(struct sl_screener *w)
{
	return w->dec;
}

/* Copies the decl_id into the verdict when it can name the declaration:
 * 1..64 visible ASCII bytes.  Anything else stays null (SPEC 4), and the
 * verdict carries the line number instead. */
static void name_verdict(const sl_decl_t *d, sl_verdict_t *out)
{
	const sl_str_t *id = &d->s[SL_DS_DECL_ID];
	uint32_t i;

	if (!id->p || id->n == 0 || id->n > SL_DECL_ID_MAX)
		return;
	for (i = 0; i < id->n; i++)
		if ((unsigned char)id->p[i] < 0x21 ||
		    (unsigned char)id->p[i] > 0x7e)
			return;
	memcpy(out->decl_id, id->p, id->n);
	out->decl_id[id->n] = '\0';
	out->has_decl_id = true;
}

/* The decision for a valid declaration.  Without a bundle there are no
 * rules to clear it, so it is held for an officer.  Data plane. */
static void decide(struct sl_screener *w, const struct sl_snapshot *snap,
		   struct sl_state *st, const sl_decl_t *d, sl_verdict_t *out)
{
	int rc;

	if (!snap || !snap->bundle) {
		out->verdict = SL_VERDICT_HOLD;
		sl_verdict_add_reason(out, "NO_RULESET", "", 0,
				      SL_VERDICT_HOLD);
		return;
	}
	/* A screener whose worker index the snapshot has no scratch for
	 * cannot match: fail safe. */
	rc = w->worker < snap->n_workers
		 ? sl_match_decl(snap->bundle, snap->scratch[w->worker], d,
				 &w->hits)
		 : -EINVAL;
	sl_decide(&snap->ctx, d, &w->hits, rc, st, w->worker, out);
}

void sl_screen(struct sl_screener *w, const struct sl_snapshot *snap,
	       struct sl_state *st, sl_decl_t *d, enum sl_errcode rc,
	       const sl_error_t *err, sl_verdict_t *out)
{
	sl_verdict_init(out);
	out->line = d->line;
	name_verdict(d, out);
	if (snap) {
		memcpy(out->ruleset, snap->bundle_id, sizeof(out->ruleset));
		memcpy(out->registry, snap->registry_id, sizeof(out->registry));
	}
	if (rc == SL_OK)
		rc = sl_decl_validate(d, &out->error);
	else
		out->error = *err;
	if (rc != SL_OK) {
		out->verdict = SL_VERDICT_REJECT;
		out->error.code = (uint16_t)rc;
		return;
	}
	decide(w, snap, st, d, out);
}

void sl_screen_json(struct sl_screener *w, const struct sl_snapshot *snap,
		    struct sl_state *st, const char *line, size_t len,
		    uint64_t line_no, sl_verdict_t *out)
{
	sl_error_t err;
	enum sl_errcode rc;

	rc = sl_decode_json(w->dec, line, len, &w->decl, &err);
	w->decl.line = line_no;
	sl_screen(w, snap, st, &w->decl, rc, &err, out);
}

void sl_screen_msgpack(struct sl_screener *w, const struct sl_snapshot *snap,
		       struct sl_state *st, const void *buf, size_t len,
		       size_t *used, uint64_t rec_no, sl_verdict_t *out)
{
	sl_error_t err;
	enum sl_errcode rc;

	rc = sl_decode_msgpack(w->dec, buf, len, used, &w->decl, &err);
	w->decl.line = rec_no;
	sl_screen(w, snap, st, &w->decl, rc, &err, out);
}
