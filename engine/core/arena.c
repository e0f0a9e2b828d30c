/* sluice — bump arenas and the cJSON allocation hooks (see arena.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "arena.h"

int sl_arena_init(struct sl_arena *a, size_t cap)
{
	a->base = malloc(cap);
	if (!a->base)
		return -ENOMEM;
	a->cap = cap;
	a->used = 0;
	return 0;
}

void sl_arena_fini(struct sl_arena *a)
{
	free(a->base);
	a->base = NULL;
	a->cap = a->used = 0;
}

/* The calling thread's arena for cJSON, or NULL for malloc. */
static __thread struct sl_arena *tl_json_arena;

static void *sl__json_malloc(size_t n)
{
	struct sl_arena *a = tl_json_arena;

	return a ? sl_arena_alloc(a, n) : malloc(n);
}

static void sl__json_free(void *p)
{
	struct sl_arena *a = tl_json_arena;

	/* Memory from an arena goes back when the arena is reset. */
	if (a && sl_arena_owns(a, p))
		return;
	free(p);
}

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void sl__json_install(void)
{
	cJSON_Hooks h = {.malloc_fn = sl__json_malloc,
			 .free_fn = sl__json_free};

	cJSON_InitHooks(&h);
}

void sl_json_hooks_init(void)
{
	pthread_once(&json_once, sl__json_install);
}

struct sl_arena *sl_json_use_arena(struct sl_arena *a)
{
	struct sl_arena *old = tl_json_arena;

	tl_json_arena = a;
	return old;
}
