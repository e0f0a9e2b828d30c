/* sluice — bump arenas for per-record scratch memory.
 *
 * An arena is one block allocated on the control plane; the data plane
 * takes bytes from it and resets it after each record.  Nothing is freed
 * piecemeal and nothing grows: when the block is full, allocation fails and
 * the caller turns that into an error (a record too large), never a crash.
 */
#ifndef SLUICE_ARENA_H
#define SLUICE_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct sl_arena {
	char *base;  /* the block; owned by the arena */
	size_t cap;  /* bytes in the block */
	size_t used; /* bytes handed out since the last reset */
};

/* Allocates the block.  Control plane.  Returns 0 or -ENOMEM. */
int sl_arena_init(struct sl_arena *a, size_t cap);
/* Frees the block.  Safe on a zeroed arena. */
void sl_arena_fini(struct sl_arena *a);

/* n bytes aligned to 16, or NULL when the block is full.  Data plane. */
static inline void *sl_arena_alloc(struct sl_arena *a, size_t n)
{
	size_t off = (a->used + 15) & ~(size_t)15;

	if (n > a->cap || off > a->cap - n)
		return NULL;
	a->used = off + n;
	return a->base + off;
}

static inline void sl_arena_reset(struct sl_arena *a)
{
	a->used = 0;
}

static inline int sl_arena_owns(const struct sl_arena *a, const void *p)
{
	return (const char *)p >= a->base && (const char *)p < a->base + a->cap;
}

/* cJSON allocates through global hooks.  sl_json_hooks_init() installs
 * hooks that take memory from the calling thread's current arena when one
 * is set with sl_json_use_arena(), and from malloc otherwise.  Trees built
 * in an arena are never passed to cJSON_Delete: the arena is reset instead.
 * Call sl_json_hooks_init() once before any thread uses cJSON (the
 * constructors of decoders and encoders do). */
void sl_json_hooks_init(void);
/* Sets (a != NULL) or clears the calling thread's cJSON arena; returns the
 * previous one so callers can nest. */
struct sl_arena *sl_json_use_arena(struct sl_arena *a);

#endif /* SLUICE_ARENA_H */
