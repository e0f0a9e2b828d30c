/* sluice — verdict encodings: JSON lines for files and people, MessagePack
 * for the wire (SPEC 4 and 6).  One schema, two encodings.
 *
 * Plane: any.  The encoders write into a caller-owned buffer and allocate
 * nothing that outlives the call.
 */
#ifndef SLUICE_VERDICT_H
#define SLUICE_VERDICT_H

#include <sluice/verdict-t.h>

/* Largest encoding of one verdict, either form, without a newline. */
#define SL_VERDICT_JSON_MAX    8192
#define SL_VERDICT_MSGPACK_MAX 4096

/* Resets *v to an empty verdict (no reasons, no error, verdict HOLD). */
void sl_verdict_init(sl_verdict_t *v);

/* Appends a reason.  Keeps at most SL_REASONS_MAX; counts the rest in
 * v->n_dropped.  rule and field are copied (truncated to fit). */
void sl_verdict_add_reason(sl_verdict_t *v, const char *rule, const char *field,
			   int32_t points, uint8_t action);

/* Writes the verdict as one JSON object, no newline, into buf.
 * Returns the length written (excluding the NUL it also writes) or -ENOSPC.
 * Key order is fixed: decl_id, [line], verdict, status, score, tier,
 * reasons, sampled, [error], ruleset, registry. */
int sl_verdict_to_json(const sl_verdict_t *v, char *buf, size_t cap);

/* Writes the verdict as one MessagePack map with the same keys.
 * Returns bytes written or -ENOSPC. */
int sl_verdict_to_msgpack(const sl_verdict_t *v, void *buf, size_t cap);

/* Reads one MessagePack verdict map at buf into *v; *used gets its size.
 * Returns 0 or -EBADMSG. */
int sl_verdict_from_msgpack(const void *buf, size_t len, size_t *used,
			    sl_verdict_t *v);

/* Reads one JSON verdict line into *v.  Returns 0 or -EBADMSG. */
int sl_verdict_from_json(const char *line, size_t len, sl_verdict_t *v);

#endif /* SLUICE_VERDICT_H */
