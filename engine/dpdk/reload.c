/* sluice — building and publishing snapshots (control plane).
 *
 * Suricata's rule: a reload builds a complete new context off the data
 * path; if that fails the old one stays.  liburcu's hot swap:
 *     old = rcu_xchg_pointer(&live, new); synchronize_rcu(); free(old);
 * Workers report a quiescent state once per loop (QSBR), so the grace
 * period lasts at most one worker loop (plus any wait on a full ring).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include <sluice/bundle.h>
#include <sluice/registry.h>
#include <sluice/screen.h>

#include "engine.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Loads the bundle named by -r, or the default bundle when -r was not
 * given.  *b is NULL (and 0 returned) when no -r was given and no
 * default bundle exists: the engine then holds everything (NO_RULESET). */
static int load_bundle(struct sl_engine *e, struct sl_bundle **b, char *why,
		       size_t whylen)
{
	char path[4096], err[256] = "";
	const char *p = e->opt.bundle;

	*b = NULL;
	if (!p) {
		if (sl_bundle_default_path(path, sizeof(path)) < 0)
			return 0;
		p = path;
	}
	*b = sl_bundle_load(p, err, sizeof(err));
	if (!*b) {
		snprintf(why, whylen, "bundle %s: %s", p, err);
		return -1;
	}
	return 0;
}

int sl_reload(struct sl_engine *e, char *why, size_t whylen)
{
	struct sl_bundle *b = NULL;
	struct sl_registry *reg = NULL;
	struct sl_snapshot *snap, *old;
	char err[256] = "";
	double t0 = now_ms();

	if (load_bundle(e, &b, why, whylen) < 0)
		goto fail;
	if (e->opt.registry) {
		reg = sl_registry_load(e->opt.registry, err, sizeof(err));
		if (!reg) {
			snprintf(why, whylen, "registry %s: %s",
				 e->opt.registry, err);
			goto fail_bundle;
		}
	}
	snap = sl_snapshot_new(b, reg, e->n_workers, err, sizeof(err));
	/* The snapshot holds its own references. */
	if (reg)
		sl_registry_put(reg);
	if (b)
		sl_bundle_put(b);
	if (!snap) {
		snprintf(why, whylen, "snapshot: %s", err);
		goto fail;
	}

	old = rcu_xchg_pointer(&e->live, snap);
	synchronize_rcu();
	if (old)
		sl_snapshot_free(old);

	pthread_mutex_lock(&e->reload_lock);
	e->rl.generation++;
	e->rl.ok++;
	snprintf(e->rl.bundle_id, sizeof(e->rl.bundle_id), "%s",
		 sl_snapshot_bundle_id(snap));
	snprintf(e->rl.registry_id, sizeof(e->rl.registry_id), "%s",
		 sl_snapshot_registry_id(snap));
	e->rl.last_ms = now_ms() - t0;
	pthread_mutex_unlock(&e->reload_lock);
	return 0;

fail_bundle:
	if (b)
		sl_bundle_put(b);
fail:
	pthread_mutex_lock(&e->reload_lock);
	e->rl.failed++;
	snprintf(e->rl.last_error, sizeof(e->rl.last_error), "%s", why);
	pthread_mutex_unlock(&e->reload_lock);
	return -1;
}

void sl_reload_fini(struct sl_engine *e)
{
	/* Precondition: no worker runs (joined), so no grace period. */
	if (e->live)
		sl_snapshot_free(e->live);
	e->live = NULL;
}
