/* sluice — recent logged verdicts, answered again (include/sluice/replay.h).
 *
 * Built once on the control plane: the verdict-log lines seen while the
 * writer verified the log go into a ring of `max` copies (the log can be
 * much longer than the tail we keep); sealing turns each kept line into
 * the answer forms and an open-addressing index by the XXH3 of the
 * decl_id.  Readers then only probe the index and take an entry with one
 * atomic exchange, so two workers can never hand out the same logged
 * verdict twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sluice/replay.h>
#include <sluice/verdict.h>

/* One kept verdict.  Written while building (control plane); afterwards
 * only `taken` changes (atomically, by readers). */
struct entry {
	uint64_t hash;			  /* XXH3 of the decl_id */
	char decl_id[SL_DECL_ID_MAX + 1]; /* NUL-terminated */
	uint8_t id_len;
	uint8_t taken; /* 0, then 1 once handed out */
	uint8_t verdict, tier;
	uint16_t error;
	char *json; /* the verdict line without the chain fields */
	size_t json_len;
	uint8_t *mp; /* its MessagePack map, or NULL */
	size_t mp_len;
};

struct sl_replay {
	unsigned max, forms;
	/* Building: the last `max` lines, a ring of malloc'ed copies. */
	char **line;
	size_t *line_len;
	uint64_t offered; /* lines offered so far */
	/* Sealed: */
	struct entry *e;
	unsigned n;
	uint32_t *index; /* entry number + 1, 0 = empty; cap slots */
	size_t cap;
	uint64_t taken;
};

struct sl_replay *sl_replay_new(unsigned max, unsigned forms)
{
	struct sl_replay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->max = max ? max : 1;
	r->forms = forms;
	r->line = calloc(r->max, sizeof(*r->line));
	r->line_len = calloc(r->max, sizeof(*r->line_len));
	if (!r->line || !r->line_len) {
		sl_replay_free(r);
		return NULL;
	}
	return r;
}

int sl_replay_offer(struct sl_replay *r, const char *line, size_t len)
{
	size_t slot = (size_t)(r->offered % r->max);
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, line, len);
	copy[len] = '\0';
	free(r->line[slot]);
	r->line[slot] = copy;
	r->line_len[slot] = len;
	r->offered++;
	return 0;
}

int sl_replay_visit(void *ctx, const struct sl_vlog_rec *rec)
{
	if (rec->kind != SL_VLOG_REC_VERDICT || !rec->verified)
		return 0;
	return sl_replay_offer(ctx, rec->line, rec->len);
}

/* The verdict as `sluice screen` printed it: the log appended
 * `,"logged_at":...,"seq":...,"h":...` after the verdict's own last member
 * (docs/audit.md); a string inside the verdict can't hold that sequence
 * unescaped, so the last occurrence is the log's. */
static size_t strip_chain(char *line, size_t len)
{
	static const char key[] = ",\"logged_at\":\"";
	size_t i;

	if (len < sizeof(key))
		return 0;
	for (i = len - (sizeof(key) - 1); i > 0; i--) {
		if (!memcmp(line + i, key, sizeof(key) - 1)) {
			line[i] = '}';
			line[i + 1] = '\0';
			return i + 1;
		}
	}
	return 0;
}

static int build_entry(struct sl_replay *r, struct entry *e, char *line,
		       size_t len)
{
	static sl_verdict_t v; /* control plane, one builder at a time */
	uint8_t buf[SL_VERDICT_MSGPACK_MAX];
	int n;

	len = strip_chain(line, len);
	if (!len || sl_verdict_from_json(line, len, &v) != 0 || !v.has_decl_id)
		return 0; /* names no declaration: nothing to answer */
	memset(e, 0, sizeof(*e));
	e->id_len = (uint8_t)strlen(v.decl_id);
	memcpy(e->decl_id, v.decl_id, e->id_len);
	e->hash = XXH3_64bits(e->decl_id, e->id_len);
	e->verdict = v.verdict;
	e->tier = v.tier;
	e->error = v.verdict == SL_VERDICT_REJECT ? v.error.code : 0;
	if (r->forms & SL_REPLAY_MSGPACK) {
		n = sl_verdict_to_msgpack(&v, buf, sizeof(buf));
		if (n < 0)
			return 0;
		e->mp = malloc((size_t)n);
		if (!e->mp)
			return -ENOMEM;
		memcpy(e->mp, buf, (size_t)n);
		e->mp_len = (size_t)n;
	}
	if (r->forms & SL_REPLAY_JSON) {
		e->json = malloc(len + 1);
		if (!e->json) {
			free(e->mp);
			e->mp = NULL;
			return -ENOMEM;
		}
		memcpy(e->json, line, len + 1);
		e->json_len = len;
	}
	return 1;
}

int sl_replay_seal(struct sl_replay *r)
{
	uint64_t kept = r->offered < r->max ? r->offered : r->max;
	uint64_t first = r->offered - kept, k;
	unsigned i;
	int rc;

	r->e = calloc(kept ? kept : 1, sizeof(*r->e));
	for (r->cap = 16; r->cap < 2 * kept; r->cap *= 2)
		;
	r->index = calloc(r->cap, sizeof(*r->index));
	if (!r->e || !r->index)
		return -ENOMEM;
	/* Oldest first, so that a decl_id logged twice answers in log
	 * order (linear probing finds earlier insertions first). */
	for (k = first; k < r->offered; k++) {
		size_t slot = (size_t)(k % r->max);

		rc = build_entry(r, &r->e[r->n], r->line[slot],
				 r->line_len[slot]);
		free(r->line[slot]);
		r->line[slot] = NULL;
		if (rc < 0)
			return rc;
		r->n += (unsigned)rc;
	}
	for (i = 0; i < r->n; i++) {
		size_t h = (size_t)r->e[i].hash & (r->cap - 1);

		while (r->index[h])
			h = (h + 1) & (r->cap - 1);
		r->index[h] = i + 1;
	}
	free(r->line);
	free(r->line_len);
	r->line = NULL;
	r->line_len = NULL;
	return 0;
}

unsigned sl_replay_count(const struct sl_replay *r)
{
	return r->n;
}

uint64_t sl_replay_taken(const struct sl_replay *r)
{
	return __atomic_load_n(&r->taken, __ATOMIC_RELAXED);
}

bool sl_replay_take(struct sl_replay *r, const char *decl_id, size_t n,
		    enum sl_replay_form form, struct sl_replay_answer *a)
{
	uint64_t hash;
	size_t h;

	if (!r->n || n == 0 || n > SL_DECL_ID_MAX || !(r->forms & form))
		return false;
	hash = XXH3_64bits(decl_id, n);
	for (h = (size_t)hash & (r->cap - 1); r->index[h];
	     h = (h + 1) & (r->cap - 1)) {
		struct entry *e = &r->e[r->index[h] - 1];

		if (e->hash != hash || e->id_len != n ||
		    memcmp(e->decl_id, decl_id, n) ||
		    __atomic_load_n(&e->taken, __ATOMIC_RELAXED) ||
		    __atomic_exchange_n(&e->taken, 1, __ATOMIC_ACQ_REL))
			continue;
		__atomic_fetch_add(&r->taken, 1, __ATOMIC_RELAXED);
		if (form == SL_REPLAY_MSGPACK) {
			a->bytes = e->mp;
			a->len = e->mp_len;
		} else {
			a->bytes = e->json;
			a->len = e->json_len;
		}
		a->verdict = e->verdict;
		a->tier = e->tier;
		a->error = e->error;
		return true;
	}
	return false;
}

void sl_replay_free(struct sl_replay *r)
{
	unsigned i;

	if (!r)
		return;
	if (r->line)
		for (i = 0; i < r->max; i++)
			free(r->line[i]);
	free(r->line);
	free(r->line_len);
	for (i = 0; i < r->n; i++) {
		free(r->e[i].json);
		free(r->e[i].mp);
	}
	free(r->e);
	free(r->index);
	free(r);
}
