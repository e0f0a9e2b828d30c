/* sluice — recent logged verdicts, answered again instead of decided twice
 * (docs/reliability.md, "Declarations sent again after a restart").
 *
 * After a crash, a client sends again every declaration it got no answer
 * for.  Some of those had their verdicts logged (and their state changes
 * committed) just before the crash.  Deciding them again would log a
 * second verdict and count the parcel twice against the buyer's quota, so
 * the engines answer them from the log instead: with the very verdict the
 * log holds, without a new record and without touching the state.
 *
 * The set holds the last `max` verdict records of the log as it was at
 * open (the writer hands every line to sl_replay_visit while it verifies
 * the file).  Each logged verdict answers one declaration with the same
 * decl_id, once.  Records without a decl_id (a line that is not JSON) name
 * no declaration and cannot be recognised: they are decided again.
 *
 * Planes: built on the control plane (new, visit, seal), then read by any
 * number of data-plane threads (sl_replay_take: no malloc, lock, syscall
 * or log; one atomic exchange when an entry is taken), then freed on the
 * control plane when no reader is left.
 */
#ifndef SLUICE_REPLAY_H
#define SLUICE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/vlog-t.h>

/* Verdict records kept by default: more than any one commit group of
 * either engine can hold (docs/reliability.md says why this bounds the
 * verdicts logged but not answered at a crash). */
#define SL_REPLAY_DEFAULT_MAX 65536

/* The forms in which the answers are kept. */
enum sl_replay_form {
	SL_REPLAY_JSON = 1,    /* the verdict line, as `sluice screen` prints */
	SL_REPLAY_MSGPACK = 2, /* the verdict map, as the wire carries it */
};

struct sl_replay;

/* An empty set keeping the last max verdicts, in the forms given (a mask
 * of enum sl_replay_form).  Control plane.  NULL on ENOMEM. */
struct sl_replay *sl_replay_new(unsigned max, unsigned forms);

/* A struct sl_vlog_config open_visit function (ctx: the set): keeps every
 * verified verdict line, dropping the oldest beyond max.  Returns 0, or
 * -ENOMEM (which fails the open). */
int sl_replay_visit(void *ctx, const struct sl_vlog_rec *rec);

/* Offers one verdict-log line (a verdict with its chain fields) directly.
 * Returns 0 or -ENOMEM. */
int sl_replay_offer(struct sl_replay *r, const char *line, size_t len);

/* Encodes the kept lines in the forms asked for and indexes them by
 * decl_id.  After it, only sl_replay_take and the getters may be called.
 * Control plane.  Returns 0, or -ENOMEM. */
int sl_replay_seal(struct sl_replay *r);

/* Verdicts in the sealed set (those with a decl_id). */
unsigned sl_replay_count(const struct sl_replay *r);

/* Verdicts handed out by sl_replay_take so far.  Any plane. */
uint64_t sl_replay_taken(const struct sl_replay *r);

/* A logged answer. */
struct sl_replay_answer {
	const void *bytes; /* in the form asked for; owned by the set */
	size_t len;
	uint8_t verdict; /* enum sl_verdict */
	uint8_t tier;	 /* enum sl_tier */
	uint16_t error;	 /* enum sl_errcode of a reject, else 0 */
};

/* The logged answer for a declaration named decl_id (n bytes), in `form`
 * (one of the forms the set was made with): true with *a filled when an
 * untaken verdict for that decl_id is in the set, which is then taken;
 * false otherwise.  Data plane, any thread; allocates nothing. */
bool sl_replay_take(struct sl_replay *r, const char *decl_id, size_t n,
		    enum sl_replay_form form, struct sl_replay_answer *a);

/* Frees the set.  No reader may be left.  NULL is a no-op. */
void sl_replay_free(struct sl_replay *r);

#endif /* SLUICE_REPLAY_H */
