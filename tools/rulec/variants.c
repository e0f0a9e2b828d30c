/* sluice-rulec: traditional / simplified variants of Chinese terms.
 *
 * Declarations arrive in simplified and traditional characters (and in
 * Taiwan and Hong Kong usage).  Rather than converting every declaration
 * at run time, each term is expanded here, with OpenCC's dictionaries, into
 * the variants a declaration may use:
 *   - the whole term through s2t, s2tw, s2hk and t2s (phrase-aware);
 *   - per-character mixes (a smuggler writing "手槍" mixes 手 with 槍),
 *     every combination of each character's variants, while there are at
 *     most MIX_MAX of them.
 */
#include <stdlib.h>
#include <string.h>

#include <opencc.h>
#include <utf8proc.h>

#include "rulec-int.h"

#define MIX_MAX 32

static const char *const configs[] = {"s2t.json", "s2tw.json", "s2hk.json",
				      "t2s.json"};
#define N_CONF (sizeof(configs) / sizeof(configs[0]))
static opencc_t cc[N_CONF];
static bool cc_tried, cc_ok;

static bool open_all(void)
{
	if (cc_tried)
		return cc_ok;
	cc_tried = true;
	cc_ok = true;
	for (size_t i = 0; i < N_CONF; i++) {
		cc[i] = opencc_open(configs[i]);
		if (cc[i] == (opencc_t)-1) {
			cc[i] = NULL;
			cc_ok = false;
		}
	}
	return cc_ok;
}

void sl__rc_variants_fini(void)
{
	for (size_t i = 0; i < N_CONF; i++)
		if (cc[i])
			opencc_close(cc[i]);
	memset(cc, 0, sizeof(cc));
	cc_tried = cc_ok = false;
}

static bool is_han(int32_t c)
{
	return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0x20000 && c <= 0x3FFFF);
}

struct strset {
	VEC(char *) s;
};

static void set_add(struct strset *set, const char *s, const char *orig)
{
	if (!strcmp(s, orig))
		return;
	for (size_t i = 0; i < set->s.n; i++)
		if (!strcmp(set->s.v[i], s))
			return;
	vec_push(&set->s, sl__xstrdup(s));
}

static char *convert(size_t i, const char *s, size_t n)
{
	char *out = opencc_convert_utf8(cc[i], s, n);
	char *r;

	if (!out)
		return NULL;
	r = sl__xstrdup(out);
	opencc_convert_utf8_free(out);
	return r;
}

char **sl__rc_variants(struct sl_rulec *rc, const char *term)
{
	struct strset set = {0};
	/* per character: its variants (first = itself) */
	VEC(char *) ch[256];
	size_t nch = 0, len = strlen(term), off = 0, combos = 1;
	bool han = false;

	(void)rc;
	while (off < len && nch < 256) {
		int32_t c;
		utf8proc_ssize_t k =
		    utf8proc_iterate((const utf8proc_uint8_t *)term + off,
				     (utf8proc_ssize_t)(len - off), &c);

		if (k <= 0)
			break;
		memset(&ch[nch], 0, sizeof(ch[nch]));
		vec_push(&ch[nch], sl__xstrndup(term + off, (size_t)k));
		if (is_han(c)) {
			han = true;
		}
		off += (size_t)k;
		nch++;
	}
	if (!han || off < len || !open_all())
		goto out;
	for (size_t i = 0; i < N_CONF; i++) {
		char *v = convert(i, term, len);

		if (v)
			set_add(&set, v, term);
		free(v);
	}
	/* per-character variants */
	for (size_t j = 0; j < nch; j++) {
		for (size_t i = 0; i < N_CONF; i++) {
			char *v = convert(i, ch[j].v[0], strlen(ch[j].v[0]));
			bool dup = false;

			if (!v)
				continue;
			for (size_t q = 0; q < ch[j].n; q++)
				dup |= !strcmp(ch[j].v[q], v);
			if (dup)
				free(v);
			else
				vec_push(&ch[j], v);
		}
		if (combos <= MIX_MAX)
			combos *= ch[j].n;
	}
	if (combos > 1 && combos <= MIX_MAX) {
		size_t idx[256] = {0};

		for (size_t c = 0; c < combos; c++) {
			size_t rest = c, tot = 0;
			char *buf;

			for (size_t j = 0; j < nch; j++) {
				idx[j] = rest % ch[j].n;
				rest /= ch[j].n;
				tot += strlen(ch[j].v[idx[j]]);
			}
			buf = sl__xrealloc(NULL, tot + 1);
			buf[0] = '\0';
			for (size_t j = 0; j < nch; j++)
				strcat(buf, ch[j].v[idx[j]]);
			set_add(&set, buf, term);
			free(buf);
		}
	}
out:
	for (size_t j = 0; j < nch; j++) {
		for (size_t q = 0; q < ch[j].n; q++)
			free(ch[j].v[q]);
		vec_free(&ch[j]);
	}
	if (han && !cc_ok) {
		for (size_t i = 0; i < set.s.n; i++)
			free(set.s.v[i]);
		vec_free(&set.s);
		return NULL;
	}
	vec_push(&set.s, NULL);
	return set.s.v;
}
