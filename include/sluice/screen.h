/* sluice — the screening core: declaration in, verdict out.
 *
 * The one entry point shared by `sluice screen`, the DPDK workers, the
 * benches and the tests (STYLE 2: it never sees an rte_mbuf).
 *
 * Planes:
 *   - snapshots are built and freed on the control plane, then published to
 *     workers (by RCU in the DPDK engine); a worker only reads one;
 *   - a screener belongs to one worker thread;
 *   - sl_screen*() run on the data plane: no malloc, lock, syscall or log.
 */
#ifndef SLUICE_SCREEN_H
#define SLUICE_SCREEN_H

#include <sluice/decl.h>
#include <sluice/verdict-t.h>

struct sl_bundle;   /* compiled rules and policy, bundle.h */
struct sl_registry; /* enterprise credit registry, registry.h */
struct sl_state;    /* buyer totals and consignee windows, state.h */
struct sl_snapshot; /* bundle + registry + per-worker scan scratch */
struct sl_screener; /* one worker's decoder and scratch buffers */

/* Builds an immutable snapshot for n_workers workers (worker indexes
 * 0..n_workers-1).  Takes a reference on bundle and registry (either may be
 * NULL: no bundle means every valid declaration is held with reason
 * NO_RULESET; no registry means every enterprise is `unknown`).
 * Control plane.  Returns NULL with a message in err on failure. */
struct sl_snapshot *sl_snapshot_new(struct sl_bundle *bundle,
				    struct sl_registry *registry,
				    unsigned n_workers, char *err,
				    size_t errlen);

/* Frees a snapshot that no worker can still see (after synchronize_rcu in
 * the engine).  Drops its bundle and registry references. */
void sl_snapshot_free(struct sl_snapshot *snap);

/* Short ids named in every verdict; "" when absent. */
const char *sl_snapshot_bundle_id(const struct sl_snapshot *snap);
const char *sl_snapshot_registry_id(const struct sl_snapshot *snap);

/* Makes worker `worker`'s screener.  Control plane, before the worker
 * starts.  Returns NULL on ENOMEM. */
struct sl_screener *sl_screener_new(unsigned worker);
void sl_screener_free(struct sl_screener *w);

/* The declaration buffer and decoder that belong to this screener. */
sl_decl_t *sl_screener_decl(struct sl_screener *w);
struct sl_decoder *sl_screener_decoder(struct sl_screener *w);

/* Decides one decoded declaration.
 *   rc/err: the decoder's result; rc != SL_OK yields a reject carrying err.
 *   snap:   may be NULL (no snapshot published yet): fail-safe, every valid
 *           declaration is held (NO_RULESET), never released.
 *   st:     may be NULL only in tests that exercise no buyer state;
 *           without state, limits can't be checked and nothing subject to
 *           them is released.
 * Validates d (sl_decl_validate), then matches, scores and decides, and
 * records the verdict's effect on st.  Fills *out completely. */
void sl_screen(struct sl_screener *w, const struct sl_snapshot *snap,
	       struct sl_state *st, sl_decl_t *d, enum sl_errcode rc,
	       const sl_error_t *err, sl_verdict_t *out);

/* Decode + sl_screen for one JSON line (line_no is 1-based, used when the
 * line can't be attributed to a decl_id). */
void sl_screen_json(struct sl_screener *w, const struct sl_snapshot *snap,
		    struct sl_state *st, const char *line, size_t len,
		    uint64_t line_no, sl_verdict_t *out);

/* Decode + sl_screen for one MessagePack record at buf; *used as in
 * sl_decode_msgpack (0: the rest of buf is unreadable). */
void sl_screen_msgpack(struct sl_screener *w, const struct sl_snapshot *snap,
		       struct sl_state *st, const void *buf, size_t len,
		       size_t *used, uint64_t rec_no, sl_verdict_t *out);

#endif /* SLUICE_SCREEN_H */
