/* sluice — text normalisation, identical for rule terms and declarations.
 *
 * Rules are compiled against normalised terms and declarations are scanned
 * as normalised text, so one function serves both sides (sluice-rulec at
 * compile time, the workers at run time).  The normal form is:
 *
 *   1. Unicode NFKC with full case folding (utf8proc: COMPAT | COMPOSE |
 *      CASEFOLD | STABLE): fullwidth letters become ASCII, ligatures split,
 *      upper case folds ("ＩＶＯＲＹ" -> "ivory");
 *   2. default-ignorable code points removed (utf8proc IGNORE): zero-width
 *      spaces and joiners, soft hyphens, variation selectors, BOMs; and
 *      look-alike punctuation lumped into ASCII (utf8proc LUMP): curly
 *      quotes become ' and ", dashes and minus signs become -;
 *   3. control characters other than white space removed;
 *   4. every run of white space becomes one ASCII space; white space at the
 *      start and end is dropped, and so is white space between two CJK
 *      characters ("象 牙" -> "象牙").
 *
 * The output never contains '\n', so normalised fields can be joined with
 * '\n' and regexes compiled with HS_FLAG_MULTILINE see ^ and $ at field
 * boundaries.
 *
 * Plane: data plane.  Nothing here allocates: the caller passes the output
 * buffer and a code-point work buffer sized with the macros below.
 */
#ifndef SLUICE_NORMALIZE_H
#define SLUICE_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Output bytes per input byte, at most.  The worst code point is U+FDFA
 * (3 bytes in, 33 out); test_normalize checks every code point. */
#define SL_NORM_EXPANSION 12
/* Code points the work buffer needs for an input of n bytes: one code
 * point decomposes into at most 18 (U+FDFA again). */
#define SL_NORM_WORK(n) ((size_t)(n)*18 + 4)

/* Normalises src[0..len) into dst[0..cap).  work is scratch for the code
 * points of the longest non-ASCII, non-CJK stretch of src (SL_NORM_WORK of
 * len is always enough).  Runs of ASCII and of CJK Unified Ideographs
 * (U+3400..U+9FFF) are copied directly; everything else goes through
 * utf8proc.  The result is byte for byte that of sl_normalize_ref().
 * Returns the bytes written (no NUL is added), -EINVAL when src is not
 * valid UTF-8, -ENOSPC when dst or work is too small. */
ssize_t sl_normalize(const char *src, size_t len, char *dst, size_t cap,
		     int32_t *work, size_t work_cap);

/* The reference: the whole of src through utf8proc, then the same white
 * space and control handling.  Slower; used by tests to prove that the
 * fast path of sl_normalize() changes nothing.  Same contract. */
ssize_t sl_normalize_ref(const char *src, size_t len, char *dst, size_t cap,
			 int32_t *work, size_t work_cap);

/* True for the code points that count as CJK for the spacing rule (Han,
 * kana, Hangul, bopomofo, CJK symbols and punctuation). */
static inline int sl_norm_is_cjk(int32_t c)
{
	return (c >= 0x2E80 && c <= 0x2FDF) || (c >= 0x3000 && c <= 0x9FFF) ||
	       (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0x20000 && c <= 0x3FFFF);
}

#endif /* SLUICE_NORMALIZE_H */
