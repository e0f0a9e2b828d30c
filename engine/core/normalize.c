/* sluice — text normalisation (see include/sluice/normalize.h).
 *
 * Why the fast path is exact.  utf8proc's pipeline (decompose with case
 * folding, canonical ordering, composition) is applied per "segment" of
 * the input, and segments are cut only *before* a fast character: an ASCII
 * character or a CJK Unified Ideograph U+3400..U+9FFF.  Those characters
 * are starters (combining class 0), have no decomposition, fold to
 * themselves (ASCII upper case to lower case), and are never the second
 * half of a composition.  So nothing in utf8proc's pipeline crosses such a
 * cut: canonical ordering stops at starters, and composition only joins a
 * starter with what follows it.  A fast character is copied directly only
 * when the character after it is fast too (or the input ends); otherwise
 * it opens a slow segment, so that e.g. "e" + U+0301 still composes.
 * White space and control handling runs after utf8proc on the resulting
 * code points, through the same emitter on both paths.
 * test_normalize checks the equivalence over generated strings and every
 * code point.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <utf8proc.h>

#include <sluice/normalize.h>

#include "simd.h"

#define NORM_OPTS                                                              \
	(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |                \
	 UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_LUMP)

/* ASCII after folding: the byte to write, ' ' for white space (collapsed by
 * the emitter), 0 for a control character (dropped). */
static const uint8_t ascii_map[128] = {
    ['\t'] = ' ',  ['\n'] = ' ', ['\v'] = ' ',	['\f'] = ' ', ['\r'] = ' ',
    [' '] = ' ',   ['!'] = '!',	 ['"'] = '"',	['#'] = '#',  ['$'] = '$',
    ['%'] = '%',   ['&'] = '&',	 ['\''] = '\'', ['('] = '(',  [')'] = ')',
    ['*'] = '*',   ['+'] = '+',	 [','] = ',',	['-'] = '-',  ['.'] = '.',
    ['/'] = '/',   ['0'] = '0',	 ['1'] = '1',	['2'] = '2',  ['3'] = '3',
    ['4'] = '4',   ['5'] = '5',	 ['6'] = '6',	['7'] = '7',  ['8'] = '8',
    ['9'] = '9',   [':'] = ':',	 [';'] = ';',	['<'] = '<',  ['='] = '=',
    ['>'] = '>',   ['?'] = '?',	 ['@'] = '@',	['A'] = 'a',  ['B'] = 'b',
    ['C'] = 'c',   ['D'] = 'd',	 ['E'] = 'e',	['F'] = 'f',  ['G'] = 'g',
    ['H'] = 'h',   ['I'] = 'i',	 ['J'] = 'j',	['K'] = 'k',  ['L'] = 'l',
    ['M'] = 'm',   ['N'] = 'n',	 ['O'] = 'o',	['P'] = 'p',  ['Q'] = 'q',
    ['R'] = 'r',   ['S'] = 's',	 ['T'] = 't',	['U'] = 'u',  ['V'] = 'v',
    ['W'] = 'w',   ['X'] = 'x',	 ['Y'] = 'y',	['Z'] = 'z',  ['['] = '[',
    ['\\'] = '\\', [']'] = ']',	 ['^'] = '^',	['_'] = '_',  ['`'] = '`',
    ['a'] = 'a',   ['b'] = 'b',	 ['c'] = 'c',	['d'] = 'd',  ['e'] = 'e',
    ['f'] = 'f',   ['g'] = 'g',	 ['h'] = 'h',	['i'] = 'i',  ['j'] = 'j',
    ['k'] = 'k',   ['l'] = 'l',	 ['m'] = 'm',	['n'] = 'n',  ['o'] = 'o',
    ['p'] = 'p',   ['q'] = 'q',	 ['r'] = 'r',	['s'] = 's',  ['t'] = 't',
    ['u'] = 'u',   ['v'] = 'v',	 ['w'] = 'w',	['x'] = 'x',  ['y'] = 'y',
    ['z'] = 'z',   ['{'] = '{',	 ['|'] = '|',	['}'] = '}',  ['~'] = '~',
};

/* Writes code points with the white space and control rules applied. */
struct emitter {
	char *out;
	size_t cap;
	size_t len;
	bool pending;  /* white space seen since the last character written */
	bool last_cjk; /* the last character written is CJK */
	bool full;     /* out ran out of room */
};

static inline bool is_space(int32_t c)
{
	return c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Writes the pending space, if any, before a character of CJK-ness cjk. */
static inline void emit_gap(struct emitter *e, bool cjk)
{
	if (e->pending) {
		e->pending = false;
		if (e->len && !(e->last_cjk && cjk)) {
			if (e->len >= e->cap) {
				e->full = true;
				return;
			}
			e->out[e->len++] = ' ';
		}
	}
}

/* m is ascii_map[] of a character. */
static inline void emit_ascii(struct emitter *e, uint8_t m)
{
	if (m == 0)
		return;
	if (m == ' ') {
		e->pending = true;
		return;
	}
	emit_gap(e, false);
	if (e->len >= e->cap) {
		e->full = true;
		return;
	}
	e->out[e->len++] = (char)m;
	e->last_cjk = false;
}

static void emit_cp(struct emitter *e, int32_t c)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t n;
	bool cjk;

	if (c < 0x80) {
		emit_ascii(e, ascii_map[c]);
		return;
	}
	if (is_space(c)) {
		e->pending = true;
		return;
	}
	if (utf8proc_category(c) == UTF8PROC_CATEGORY_CC)
		return;
	cjk = sl_norm_is_cjk(c);
	emit_gap(e, cjk);
	n = utf8proc_encode_char(c, tmp);
	if (e->cap - e->len < (size_t)n) {
		e->full = true;
		return;
	}
	memcpy(e->out + e->len, tmp, (size_t)n);
	e->len += (size_t)n;
	e->last_cjk = cjk;
}

/* Bytes of the fast character at p (1 for ASCII, 3 for a valid encoding of
 * U+3400..U+9FFF), or 0 when the character at p is not fast. */
static inline size_t fast_len(const uint8_t *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	if (n >= 3 && p[0] >= 0xE3 && p[0] <= 0xE9 && (p[1] & 0xC0) == 0x80 &&
	    (p[2] & 0xC0) == 0x80 && (p[0] != 0xE3 || p[1] >= 0x90))
		return 3;
	return 0;
}

/* The number of bytes at p (n available, p[0] printable and not a space)
 * that the emitter would copy unchanged but for case: printable ASCII,
 * no two spaces in a row, not ending with a space, and not ending with a
 * character that the next one (when it is not fast) may combine with.
 * 0..16. */
static inline size_t ascii_run(const uint8_t *p, size_t n, __m128i *vp)
{
	__m128i v = *vp = sl__load16(p, n);
	unsigned ok = (unsigned)_mm_movemask_epi8(
	    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
			  _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f))));
	unsigned sp =
	    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
	unsigned k = (unsigned)__builtin_ctz(~ok | 0x10000u), dbl;

	sp &= (1u << k) - 1;
	dbl = sp & (sp >> 1);
	if (dbl)
		k = (unsigned)__builtin_ctz(dbl); /* stop before the pair */
	if (k && k < n && p[k] >= 0x80 && !fast_len(p + k, n - k))
		k--; /* the last character may combine with p[k] */
	while (k && ((sp >> (k - 1)) & 1))
		k--; /* a space at the end waits for what follows */
	return k;
}

/* The number of bytes at p (n available) that are whole U+3400..U+9FFF
 * characters, at most five, not counting a last one that the character
 * after it (when not fast) may combine with.  0, 3, ..., 15. */
static inline size_t cjk_run(const uint8_t *p, size_t n, __m128i *vp)
{
	__m128i v = *vp = sl__load16(p, n);
	/* as signed bytes: 0x80..0xbf is below -64, 0xe3..0xe9 is -29..-23 */
	unsigned cont =
	    (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64)));
	unsigned lead = (unsigned)_mm_movemask_epi8(
	    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-30)),
			  _mm_cmplt_epi8(v, _mm_set1_epi8(-22))));
	/* U+3000..U+33FF are E3 80..8F: not fast */
	unsigned e3 =
	    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(-29)));
	unsigned low =
	    (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-112)));
	unsigned bad =
	    (lead ^ 0x1249u) | (cont ^ 0x6db6u) | (e3 & (low >> 1)) | 0x8000u;
	size_t k = (size_t)__builtin_ctz(bad) / 3 * 3;

	if (k && k < n && !fast_len(p + k, n - k))
		k -= 3; /* the last character may combine with p[k] */
	return k;
}

/* Writes v lowercased to dst, which has room for 16 bytes. */
static inline void lower16(__m128i v, char *dst)
{
	__m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
				   _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));

	v = _mm_add_epi8(v, _mm_and_si128(up, _mm_set1_epi8(32)));
	_mm_storeu_si128((__m128i *)dst, v);
}

/* One stretch of input through utf8proc into the emitter. */
static ssize_t slow(struct emitter *e, const uint8_t *s, size_t n,
		    int32_t *work, size_t work_cap)
{
	utf8proc_ssize_t k;

	k = utf8proc_decompose_custom(s, (utf8proc_ssize_t)n, work,
				      (utf8proc_ssize_t)work_cap, NORM_OPTS,
				      NULL, NULL);
	if (k < 0)
		return k == UTF8PROC_ERROR_NOMEM ? -ENOSPC : -EINVAL;
	if ((size_t)k > work_cap)
		return -ENOSPC;
	k = utf8proc_normalize_utf32(work, k, NORM_OPTS);
	if (k < 0)
		return -EINVAL;
	for (utf8proc_ssize_t i = 0; i < k; i++)
		emit_cp(e, work[i]);
	return 0;
}

ssize_t sl_normalize(const char *src, size_t len, char *dst, size_t cap,
		     int32_t *work, size_t work_cap)
{
	struct emitter e = {.out = dst, .cap = cap};
	const uint8_t *s = (const uint8_t *)src;
	/* The emitter's state in locals on the fast path: stores through
	 * dst (a char *) would otherwise force reloads of e.len and e.out
	 * after every byte. */
	size_t i = 0, o = 0;
	bool pending = false, last_cjk = false;

	for (;;) {
		size_t n, j;
		ssize_t rc;

		/* ASCII runs, the common case.  Up to sixteen bytes at a
		 * time: the printable prefix of the next sixteen bytes, cut
		 * before a double space, a trailing space and a last
		 * character that may combine with what follows; for those
		 * bytes the emitter would write exactly them, lowercased. */
		while (i < len && s[i] < 0x80) {
			uint8_t m;

			if (s[i] > ' ' && s[i] < 0x7f && cap - o >= 17) {
				__m128i v;
				size_t k = ascii_run(s + i, len - i, &v);

				if (k) {
					if (pending) {
						pending = false;
						if (o)
							dst[o++] = ' ';
					}
					lower16(v, dst + o);
					o += k;
					i += k;
					last_cjk = false;
					continue;
				}
			}
			if (i + 1 < len && s[i + 1] >= 0x80 &&
			    !fast_len(s + i + 1, len - i - 1))
				goto slow_segment; /* may combine */
			m = ascii_map[s[i++]];
			if (m > ' ') {
				if (pending) {
					pending = false;
					if (o) {
						if (o >= cap)
							return -ENOSPC;
						dst[o++] = ' ';
					}
				}
				if (o >= cap)
					return -ENOSPC;
				dst[o++] = (char)m;
				last_cjk = false;
			} else if (m == ' ') {
				pending = true;
			}
		}
		if (i >= len)
			break;
		/* CJK runs: up to five ideographs (15 bytes) at a time, as
		 * many as have exactly the shape of U+3400..U+9FFF encodings
		 * and are followed by a fast character. */
		while (i < len && s[i] >= 0xe3 && s[i] <= 0xe9 &&
		       cap - o >= 17) {
			__m128i v;
			size_t k = cjk_run(s + i, len - i, &v);

			if (!k)
				break;
			if (pending) {
				pending = false;
				if (o && !last_cjk)
					dst[o++] = ' ';
			}
			_mm_storeu_si128((__m128i *)(dst + o), v);
			o += k;
			i += k;
			last_cjk = true;
		}
		if (i >= len)
			break;
		if (s[i] < 0x80)
			continue; /* back to the ASCII path */
		n = fast_len(s + i, len - i);
		if (n == 3 &&
		    (i + 3 == len || fast_len(s + i + 3, len - i - 3))) {
			/* a CJK ideograph: no space between two of them */
			if (pending) {
				pending = false;
				if (o && !last_cjk) {
					if (o >= cap)
						return -ENOSPC;
					dst[o++] = ' ';
				}
			}
			if (cap - o < 3)
				return -ENOSPC;
			memcpy(dst + o, s + i, 3);
			o += 3;
			i += 3;
			last_cjk = true;
			continue;
		}
	slow_segment:
		/* From here to the next fast character, through utf8proc. */
		n = fast_len(s + i, len - i);
		j = i + (n ? n : 1);
		while (j < len && !fast_len(s + j, len - j))
			j++;
		e.len = o;
		e.pending = pending;
		e.last_cjk = last_cjk;
		rc = slow(&e, s + i, j - i, work, work_cap);
		if (rc < 0)
			return rc;
		if (e.full)
			return -ENOSPC;
		o = e.len;
		pending = e.pending;
		last_cjk = e.last_cjk;
		i = j;
	}
	return (ssize_t)o;
}

ssize_t sl_normalize_ref(const char *src, size_t len, char *dst, size_t cap,
			 int32_t *work, size_t work_cap)
{
	struct emitter e = {.out = dst, .cap = cap};
	ssize_t rc;

	if (len == 0)
		return 0;
	rc = slow(&e, (const uint8_t *)src, len, work, work_cap);
	if (rc < 0)
		return rc;
	return e.full ? -ENOSPC : (ssize_t)e.len;
}
